//! Result writers. The analyses push points into a [`Sink`]; the extension of the
//! output path picks the format ([`open_sink`]): `.h5`/`.hdf5` (HDF5, streamed in
//! blocks, readable after a crash with `complete = 0`), `.csv`, `.raw` (ngspice
//! binary rawfile).

pub mod cf;
mod common;
pub mod csv;
pub mod dimscale;
pub mod hdf5;
pub mod memory;
pub mod print;
pub mod raw;

use std::io;
use std::path::Path;

/// Kind of analysis a table of results comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AnalysisKind {
    Op,
    Dc,
    Ac,
    Tran,
    /// Harmonic balance: the spectrum (complex peak phasors over frequency).
    Hb,
    /// Harmonic balance: the steady-state waveform over time.
    HbTd,
}

impl AnalysisKind {
    /// Group / plot name: `op`, `dc`, `ac`, `tran`, `hb`, `hb_td`.
    pub fn name(self) -> &'static str {
        match self {
            AnalysisKind::Op => "op",
            AnalysisKind::Dc => "dc",
            AnalysisKind::Ac => "ac",
            AnalysisKind::Tran => "tran",
            AnalysisKind::Hb => "hb",
            AnalysisKind::HbTd => "hb_td",
        }
    }
    /// Every kind, in the order of [`AnalysisKind::index`].
    pub const ALL: [AnalysisKind; 6] = [
        AnalysisKind::Op,
        AnalysisKind::Dc,
        AnalysisKind::Ac,
        AnalysisKind::Tran,
        AnalysisKind::Hb,
        AnalysisKind::HbTd,
    ];
    /// Position in [`AnalysisKind::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }
}

/// Integer labels of the points of an analysis, one row per point
/// (harmonic balance: the index k_j of every tone in each spectral line).
#[derive(Debug, Clone, PartialEq)]
pub struct PointLabels {
    /// Dataset name (`tones`).
    pub name: String,
    /// Column names (the tones, e.g. `1e9`, `osc:x1`).
    pub columns: Vec<String>,
    pub rows: Vec<Vec<i64>>,
}

/// A named column with its SI unit (`"V"`, `"A"`, `"s"`, `"Hz"`, `""` for unitless).
#[derive(Debug, Clone, PartialEq)]
pub struct SignalInfo {
    pub name: String,
    pub unit: String,
}

impl SignalInfo {
    pub fn new(name: impl Into<String>, unit: impl Into<String>) -> SignalInfo {
        SignalInfo {
            name: name.into(),
            unit: unit.into(),
        }
    }
}

/// Description of one analysis' table, given before its first point.
#[derive(Debug, Clone)]
pub struct AnalysisInfo {
    pub kind: AnalysisKind,
    /// The independent variable: `time` [s], `frequency` [Hz], the swept source
    /// (`v1` [V]) for `.dc`; for `.op` a dummy axis with one point.
    pub sweep: SignalInfo,
    pub signals: Vec<SignalInfo>,
    /// AC results are complex: each point carries real and imaginary parts.
    pub complex: bool,
}

/// A measure result (`.meas`): the value, or why it could not be computed.
#[derive(Debug, Clone, PartialEq)]
pub struct MeasureValue {
    pub name: String,
    /// Analysis it belongs to.
    pub analysis: AnalysisKind,
    pub value: Result<f64, String>,
    /// Its unit, from what it measures (`"V"`, `"s"`, …; `""` when not known).
    pub unit: String,
}

/// Description of a `.step` run: swept parameter names and, per point, their values.
#[derive(Debug, Clone)]
pub struct StepInfo {
    pub params: Vec<String>,
    /// `values[k][j]` = value of `params[j]` at step point `k`.
    pub values: Vec<Vec<f64>>,
}

/// The grid of a sweep (`.step`/`--step`), handed to the sink right after
/// `begin_run` (see [`Sink::sweep`]). Point `k` of [`StepInfo::values`] has
/// the multi-index given by [`crate::sweep::grid::Grid::index`].
#[derive(Debug, Clone)]
pub struct SweepInfo {
    pub grid: crate::sweep::grid::Grid,
    /// `--shard K/N`: only these points are run in this file.
    pub shard: Option<crate::sweep::grid::Shard>,
    /// Names of the measures of every point, in netlist order.
    pub measures: Vec<String>,
    /// Their units ("" when unknown), same order.
    pub measure_units: Vec<String>,
    /// The analysis each belongs to, same order.
    pub measure_analyses: Vec<AnalysisKind>,
}

/// Final state of one step point (or of the single run).
#[derive(Debug, Clone, PartialEq)]
pub enum PointStatus {
    Ok,
    Failed(String),
}

/// Where results go. Call order:
/// `begin_run` → [`sweep`] → ( [`begin_point` (only for .step runs)] → ( `begin_analysis` →
/// `point`* → `end_analysis` )* → `measures`* → [`end_point`] )* → `finish`.
///
/// Implementations must not hold whole waveforms in memory: points are buffered
/// in blocks and written as the run proceeds, so that an interrupted run leaves
/// everything up to the last block on disk.
pub trait Sink {
    /// Start of the run: title, full netlist text, and the step description
    /// (None for a run without `.step`).
    fn begin_run(&mut self, title: &str, netlist: &str, steps: Option<&StepInfo>)
        -> io::Result<()>;
    /// The grid of a sweep, right after `begin_run` (sweep runs only). The
    /// default ignores it.
    fn sweep(&mut self, _info: &SweepInfo) -> io::Result<()> {
        Ok(())
    }
    /// Start of step point `index` (0-based, into `StepInfo::values`).
    fn begin_point(&mut self, index: usize) -> io::Result<()>;
    fn begin_analysis(&mut self, info: &AnalysisInfo) -> io::Result<()>;
    /// One output point. `values.len() == info.signals.len()`; for complex
    /// analyses `imag` holds the imaginary parts (same length), else None.
    fn point(&mut self, sweep: f64, values: &[f64], imag: Option<&[f64]>) -> io::Result<()>;
    fn end_analysis(&mut self) -> io::Result<()>;
    /// Integer labels of the current analysis' points, given after its last
    /// point (HDF5: a 2-D int64 dataset in the analysis group). The default
    /// ignores them (CSV, raw).
    fn labels(&mut self, _labels: &PointLabels) -> io::Result<()> {
        Ok(())
    }
    /// Measures of the current point (or run).
    fn measures(&mut self, values: &[MeasureValue]) -> io::Result<()>;
    fn end_point(&mut self, index: usize, status: &PointStatus) -> io::Result<()>;
    /// Flush everything and set `complete` (true only if every analysis finished).
    fn finish(&mut self, complete: bool) -> io::Result<()>;
}

/// A sink that discards everything (no `-o` given).
pub struct NullSink;

impl Sink for NullSink {
    fn begin_run(&mut self, _: &str, _: &str, _: Option<&StepInfo>) -> io::Result<()> {
        Ok(())
    }
    fn begin_point(&mut self, _: usize) -> io::Result<()> {
        Ok(())
    }
    fn begin_analysis(&mut self, _: &AnalysisInfo) -> io::Result<()> {
        Ok(())
    }
    fn point(&mut self, _: f64, _: &[f64], _: Option<&[f64]>) -> io::Result<()> {
        Ok(())
    }
    fn end_analysis(&mut self) -> io::Result<()> {
        Ok(())
    }
    fn measures(&mut self, _: &[MeasureValue]) -> io::Result<()> {
        Ok(())
    }
    fn end_point(&mut self, _: usize, _: &PointStatus) -> io::Result<()> {
        Ok(())
    }
    fn finish(&mut self, _: bool) -> io::Result<()> {
        Ok(())
    }
}

/// Open the writer that the extension of `path` selects.
pub fn open_sink(path: &Path) -> io::Result<Box<dyn Sink>> {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(|e| e.to_ascii_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "h5" | "hdf5" => Ok(Box::new(hdf5::Hdf5Sink::create(path)?)),
        "csv" => Ok(Box::new(csv::CsvSink::create(path)?)),
        "raw" => Ok(Box::new(raw::RawSink::create(path)?)),
        _ => Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "cannot tell the output format of '{}': use .h5, .hdf5, .csv or .raw",
                path.display()
            ),
        )),
    }
}
