//! HDF5 writer, built on the pure-Rust `hdf5-pure` crate (no libhdf5).
//!
//! # Layout
//!
//! ```text
//! /                                 root attributes:
//!   @generator  "spinspice"
//!   @version    crate version, e.g. "0.1.0"
//!   @title      the run title (the netlist's title line)
//!   @netlist    the full netlist text
//!   @complete   int32: 0 while running and after a failed or killed run,
//!               1 once every analysis finished (`finish(true)`)
//!
//! Run without .step:
//!   /op, /dc, /ac, /tran            one group per analysis (AnalysisKind::name());
//!   /tran_2, /ac_2, …               a second analysis of the same kind
//!       @kind      "tran"           analysis kind
//!       @sweep     "time"           name of the sweep dataset
//!       @complex   int32 0/1
//!       @complete  int32 1 once the analysis ended normally, 0 if cut short
//!     time | frequency | <source>   sweep values, float64 [N]   @unit "s" | "Hz" | "V" …
//!                                   (.op: a 1-point axis)
//!     v(out), i(v1), @m1[mx], …     one dataset per signal, float64 [N]   @unit "V", "A", ""
//!                                   AC: complex128, i.e. compound {r: f64, i: f64},
//!                                   which h5py reads as numpy complex128
//!   /hb                             harmonic balance spectrum (complex, as AC): the
//!                                   sweep is `frequency`, the lines ascending from 0 Hz;
//!     tones                         int64 [lines, tones]: the mix indices of each line,
//!                                   @columns "4e8, 5.5e8, osc:x1" (the tones' names)
//!   /hb_td                          the steady-state waveform over `time` (one period)
//!   /measures                       only if the run has measures
//!     <name>                        float64 scalar; NaN when the measure failed
//!       @analysis  "tran"           the analysis it belongs to
//!       @error     message          only when it failed
//!
//! Run with .step (N points):
//!   /steps
//!     <param>                       float64 [N], value of each swept parameter per point
//!     status                        int32 [N]: 0 ok, 1 failed, -1 not run
//!     error                         variable-length string [N]: why a point failed ("" otherwise)
//!   /step_00000, /step_00001, …     one group per point that was started (index zero-padded
//!                                   to 5 digits)
//!     tran, ac, tran_2, …           the point's analyses, laid out as above
//!   /measures
//!     <name>                        float64 [N] over the points, NaN where failed / not run
//!       @analysis  "tran"
//!       @error     string [N], per point ("" where ok); only once some point failed
//! ```
//!
//! Sweep runs (`.step` lines or `--step`) also have the grid, and every
//! array over it (dimension `j` = axis `j` = the `j`-th `.step` line, then
//! the `--step`s; the first axis varies fastest in the point order, so point
//! `k = i0 + n0·(i1 + n1·(i2 + …))` is element `[i0, i1, i2, …]`):
//!
//! ```text
//!   /sweep
//!     @axes      variable-length string array: axis names, in dimension order
//!     @shape     int64 array (n0, n1, …)
//!     @measures  variable-length string array: the netlist's measures, in order
//!     @measure_units  variable-length string array: their units ("" when unknown)
//!     @shard     "K/N": only in the file of one shard (`run --shard K/N`)
//!     axes/<name>       float64 [n_j]: values of axis j   @unit (fixed string) @dim int32 j
//!     point             int64 [n0, n1, …]: the point index k (into /steps, step_k)
//!     status            int32 [n0, n1, …]: 0 ok, 1 failed, -1 not run
//!     measures/<name>   float64 [n0, n1, …], NaN where failed / not run
//!                       @analysis, @unit (fixed string: "V", "Hz", "dBm", "" …)
//! ```
//!
//! `/sweep` is written whole when the sweep starts (`status` −1 and the
//! measures NaN everywhere); `status` and `measures/` are rewritten by every
//! commit that changes them (see "Checkpoints" below), so the file of a
//! killed sweep has them, current up to its last commit.
//!
//! **netCDF/xarray view.** Every dataset also has CF `units` (`"1"` for
//! unitless) and `long_name` ([`super::cf`]). Every axis is an HDF5
//! dimension scale (`CLASS`, `NAME`, `REFERENCE_LIST`) and every array lists
//! its scales in `DIMENSION_LIST`: an analysis' signals use its sweep
//! dataset; `/steps/*` and `/measures/*` of a `.step` run a `point` index
//! dataset in each group (`/steps/point`, `/measures/point`); `/sweep`
//! and `/sweep/measures` hold copies of the axes as their coordinates
//! (`/sweep/<axis>`, `/sweep/measures/<axis>`). Details and name clashes:
//! `hdf5/scales.rs`. The scales are attached by [`super::dimscale::write`]
//! after the file is closed at `finish` (a killed run has none).
//!
//! Waveform datasets are 1-D. Those of an analysis longer than one block (see
//! below) are chunked, with an unlimited maximum shape, and grow while the run
//! proceeds; an analysis that fits in one block is written whole, contiguous.
//! Units are SI strings (`""` for unitless).
//!
//! While an analysis with more than 256 columns is being streamed, its group
//! also holds `%columns`, an object-reference dataset listing the sweep and
//! signal datasets in column order (the writer appends through it, see
//! below). It is deleted when the analysis ends, so it is only found in the
//! file of a run that was killed (h5py: `[f[r] for r in g["%columns"]]`). No
//! signal can have that name, since `%` in names is escaped.
//!
//! String attributes of the root and of `/measures` are variable-length UTF-8
//! strings (h5py reads them as `str`). Those of analysis groups and signal
//! datasets (`kind`, `sweep`, `unit`, `name`) are fixed-length UTF-8 strings,
//! which h5py returns as `numpy.bytes_` (`.decode()` them): hdf5-pure stores
//! every variable-length attribute in a global-heap collection of its own, at
//! least 4 KiB, which would double the size of a file of short waveforms.
//!
//! **Names.** A dataset is named exactly as its signal. HDF5 reserves `/` (the
//! path separator) and the name `.`, so names are percent-escaped where needed:
//! `%` → `%25`, `/` → `%2F`, and a name that is exactly `.` → `%2E`; such a
//! dataset also carries an attribute `name` with the original name. Names must
//! be unique within an analysis (the sweep included) and non-empty.
//!
//! # Streaming and crash safety
//!
//! Points are buffered per analysis, column by column, in blocks: a block holds
//! `budget / (8 × columns)` points, at most 4096 (`budget` = 16 MiB by
//! default, see [`Hdf5Sink::set_buffer_budget`] or the environment variable
//! `SPINSPICE_HDF5_BUFFER_MIB`), so memory does not grow with the number of
//! points, nor beyond the budget with the number of signals (a very wide
//! analysis gets short blocks). The chunked datasets of a long analysis are
//! created empty and every block, the first included, is appended, so no
//! block is copied into hdf5-pure's builders: resident memory is about one
//! budget above the engine's (measured in BENCHMARKS.md, "HDF5 writer
//! memory").
//! An analysis that ends within its first block (and is at most 4 MiB) is
//! written whole, as contiguous datasets, when it ends. A longer one gets its
//! group and its datasets (chunked, one block per chunk, unlimited), created
//! empty in one commit; each block, the first included, is appended in place
//! to every dataset (`hdf5_pure::Dataset::append`). The last, partly filled chunk of each
//! dataset is allocated whole, so at most about one budget's worth of the
//! file is unused space.
//!
//! hdf5-pure finds a dataset by path with a linear scan of its group's links,
//! once per dataset and session, which makes the first round of appends
//! quadratic in the number of signals (over a minute for 30 000). Wide
//! analyses (more than 256 columns) therefore append through handles reached
//! by object reference (`%columns`), in a fresh session, which need no lookup.
//!
//! Appends are crash-atomic and issued with `write` before they return, so a
//! process that is killed leaves a file that h5py and `h5dump` read, holding
//! every flushed block, with `complete = 0`. (Columns appended one after the
//! other, a kill in the middle of a block's appends leaves the later columns
//! one block shorter than the earlier ones.)
//!
//! Every change reaches the file through a commit (`write` calls, the
//! superblock repointed last), which rewrites each group on the path to the
//! root, the root included. **Every commit carries the results**: the step
//! status and errors, the measures and the `/sweep` arrays changed since the
//! last commit are staged into it, so a point's group never becomes visible
//! in the file without the status and measures of the points before it.
//!
//! **Checkpoints** (`.step` runs). At the end of a point, its edits (the
//! analyses that fit in one block, its measures, its status) are committed:
//! - always when the point already committed something (an analysis longer
//!   than a block: its group is in the file, so its status follows at once);
//! - else when the time since the last commit is at least 20 times what the
//!   last checkpoint cost (commits then take at most about 5 % of the run),
//!   or a second ([`Hdf5Sink::set_checkpoint_interval`]), whichever is less;
//!   or when the gathered data exceed the buffer budget or 4096 datasets;
//! - and always at `finish`.
//!
//! So a point whose results took longer to compute than ~20 commits (every
//! point of a real sweep) is on disk, status, error and measures included,
//! when the next one starts; a run of many tiny points commits every few of
//! them and a kill loses at most the last ~5 % of the elapsed time (1 s at
//! most). Points not (fully) committed keep status −1: "not run". Analyses
//! longer than a block are written as they stream, block by block (an append
//! needs no commit).
//!
//! The file is opened with `SyncPolicy::OnClose`: no `fsync` per block or
//! commit, one at `finish`. A killed *process* loses nothing that was written;
//! durability against *power loss* is only guaranteed for a finished run.
//!
//! **Ownership.** The run holds an exclusive advisory lock on the file from
//! [`Hdf5Sink::create`] to the drop of the sink, taken *before* the file is
//! truncated ([`super::common::claim_output`]; the `hdf5-pure` sessions,
//! opened and closed several times in a run, take none of their own). A
//! second run on the same output is refused with a message and leaves the
//! file, and the first run, untouched. The HDF5 C library and h5py can read
//! the file meanwhile with `HDF5_USE_FILE_LOCKING=FALSE`.
use super::common::{check_point, claim_output, misuse, GroupNamer};
use super::dimscale::DimPlan;
use super::*;
use hdf5_pure::{
    AttrValue, CompoundTypeBuilder, Dataset, File, FileAccessProperties, FileBuilder, FileLocking,
    MaxExtent, Object, SyncPolicy,
};
use std::collections::{HashMap, HashSet};
use std::io::{Seek, SeekFrom};
use std::path::PathBuf;
use std::time::{Duration, Instant};

mod scales;

/// Default total size of the per-analysis point buffers.
pub const DEFAULT_BUFFER_BUDGET: usize = 16 << 20;
/// Analyses with more columns than this append through handles reached by
/// object reference (see [`COLUMNS`]).
const REFERENCE_HANDLES_ABOVE: usize = 256;
/// Name of the transient object-reference dataset listing an analysis'
/// datasets in column order. `%` is always escaped in signal names, so no
/// signal can have this name.
pub const COLUMNS: &str = "%columns";
/// Most points per block (= chunk length).
const MAX_BLOCK: usize = 4096;
/// An analysis ending within its first block is written whole (contiguous)
/// only up to this size; a larger one is created chunked and appended.
const WHOLE_MAX: usize = 4 << 20;
/// A checkpoint is due when this many datasets are staged.
const MAX_PENDING_DATASETS: usize = 4096;
/// Step points' small edits are committed at least this often.
const CHECKPOINT: Duration = Duration::from_secs(1);
/// ... and as soon as this many times the cost of the last checkpoint has
/// elapsed since the last commit (commits ≤ ~5 % of the run).
const CHECKPOINT_COST_RATIO: u32 = 20;

/// Streams results into an HDF5 file (layout in the module documentation).
pub struct Hdf5Sink {
    path: PathBuf,
    /// The output, locked for the whole run (see "Ownership").
    lock: std::fs::File,
    /// The read-write session, open from `begin_run` to `finish`.
    file: Option<File>,
    budget: usize,
    steps: Option<StepState>,
    point: Option<usize>,
    namer: GroupNamer,
    stream: Option<Stream>,
    /// Measures in order of first appearance.
    measures: Vec<MeasureState>,
    /// Edits staged in the session and not committed yet.
    pending: bool,
    /// Bytes of waveform data among them.
    pending_bytes: usize,
    /// Datasets among them (each staged dataset costs some kB of memory).
    pending_datasets: usize,
    last_commit: Instant,
    /// Wall time of the last checkpoint's commit(s).
    last_checkpoint_cost: Duration,
    checkpoint_interval: Duration,
    /// A commit happened during the current point (its group is in the file).
    point_visible: bool,
    finished: bool,
    /// The grid of a sweep run.
    sweep: Option<SweepInfo>,
    /// Dimension scales to attach when the file is closed (`scales.rs`).
    dims: DimPlan,
}

struct StepState {
    count: usize,
    status: Vec<i32>,
    errors: Vec<String>,
    /// `status` changed since it was last written.
    dirty: bool,
    /// `errors` changed since they were last written (rare: rewriting a
    /// variable-length string dataset relocates it, and hdf5-pure then walks
    /// the whole file's links in the commit).
    errors_dirty: bool,
}

struct MeasureState {
    /// Dataset name (escaped).
    name: String,
    original: String,
    analysis: AnalysisKind,
    /// Its unit (`""` when not known).
    unit: String,
    /// Per step point (a single value without `.step`).
    values: Vec<f64>,
    errors: Vec<String>,
    /// The dataset exists in the file (or is staged).
    created: bool,
    /// The `error` attribute the file holds, if any.
    error_attr: Option<Vec<String>>,
    dirty: bool,
}

/// One analysis being written.
struct Stream {
    /// `tran` or `step_00003/tran`.
    group: String,
    info: AnalysisInfo,
    /// Dataset names: the sweep, then the signals (escaped).
    names: Vec<String>,
    /// Points per block, which is also the chunk length.
    block: usize,
    /// `f64`s per value: 1, or 2 (re, im) for complex analyses.
    width: usize,
    sweep: Vec<f64>,
    /// Signal columns, each `block * width` long, column-major.
    data: Vec<f64>,
    /// Points in the buffers.
    len: usize,
    /// Handles onto the datasets once the group exists: sweep first.
    handles: Option<Vec<Dataset>>,
    /// Scratch for the byte image of complex columns.
    bytes: Vec<u8>,
    /// The handles were reached through the `%columns` references.
    by_reference: bool,
    /// Integer labels of the points ([`Sink::labels`]), written with the group.
    labels: Option<PointLabels>,
}

/// `/` and `%` escaped so that a signal name is one HDF5 link name.
pub fn dataset_name(name: &str) -> String {
    if name == "." {
        return "%2E".to_string();
    }
    let mut out = String::with_capacity(name.len());
    for c in name.chars() {
        match c {
            '%' => out.push_str("%25"),
            '/' => out.push_str("%2F"),
            c => out.push(c),
        }
    }
    out
}

/// Row-major data and shape [rows, columns] of a labels table.
fn labels_array(l: &PointLabels) -> (Vec<i64>, Vec<u64>) {
    let cols = l.columns.len();
    let data: Vec<i64> = l
        .rows
        .iter()
        .flat_map(|r| (0..cols).map(|c| r.get(c).copied().unwrap_or(0)))
        .collect();
    (data, vec![l.rows.len() as u64, cols as u64])
}

fn h5err(path: &Path, doing: &str, e: hdf5_pure::Error) -> io::Error {
    io::Error::other(format!("{}: {doing}: {e}", path.display()))
}

/// Replaces the content of the claimed output with the file `b` builds,
/// through the locked handle (same inode: the lock keeps covering it).
fn write_image(path: &Path, lock: &std::fs::File, b: FileBuilder) -> io::Result<()> {
    let mut f = lock;
    f.set_len(0)
        .and_then(|_| f.seek(SeekFrom::Start(0)))
        .map_err(|e| {
            io::Error::new(
                e.kind(),
                format!("{}: cannot truncate: {e}", path.display()),
            )
        })?;
    b.finish_to(f).map_err(|e| h5err(path, "cannot write", e))
}

/// A variable-length string attribute (h5py: `str`).
fn text(s: &str) -> AttrValue {
    AttrValue::VarLenString(s.to_string())
}

/// A fixed-length UTF-8 string attribute (h5py: `numpy.bytes_`). hdf5-pure
/// gives every variable-length attribute its own global-heap collection, at
/// least 4 KiB, too much for one per signal.
fn fixed(s: &str) -> AttrValue {
    AttrValue::String(s.to_string())
}

/// The first non-empty line of the netlist (SPICE's title line).
fn default_title(netlist: &str) -> String {
    netlist
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("")
        .to_string()
}

fn complex_type() -> io::Result<hdf5_pure::Datatype> {
    CompoundTypeBuilder::new()
        .f64_field("r")
        .f64_field("i")
        .build()
        .map_err(|e| io::Error::other(format!("complex datatype: {e}")))
}

fn le_bytes(values: &[f64], out: &mut Vec<u8>) {
    out.clear();
    out.reserve(values.len() * 8);
    for v in values {
        out.extend_from_slice(&v.to_le_bytes());
    }
}

fn error_attr(stepped: bool, errors: &[String]) -> AttrValue {
    if stepped {
        AttrValue::VarLenStringArray(errors.to_vec())
    } else {
        text(errors.first().map(String::as_str).unwrap_or(""))
    }
}

/// The attributes of an analysis group.
fn group_attrs(info: &AnalysisInfo, sweep: &str, complete: bool) -> [(&'static str, AttrValue); 4] {
    [
        ("kind", fixed(info.kind.name())),
        ("sweep", fixed(sweep)),
        ("complex", AttrValue::I32(i32::from(info.complex))),
        ("complete", AttrValue::I32(i32::from(complete))),
    ]
}

impl Stream {
    /// Bytes of waveform data in `n` points.
    fn bytes_for(&self, n: usize) -> usize {
        8 * n * (1 + self.width * self.info.signals.len())
    }

    /// Configures the dataset of column `k` (0: the sweep) with the first
    /// `n` buffered points and its attributes.
    fn column(
        &self,
        k: usize,
        n: usize,
        ctype: &hdf5_pure::Datatype,
        bytes: &mut Vec<u8>,
        b: &mut hdf5_pure::DatasetBuilder,
    ) {
        let stride = self.block * self.width;
        let sig = if k == 0 {
            &self.info.sweep
        } else {
            &self.info.signals[k - 1]
        };
        if k == 0 {
            b.with_f64_data(&self.sweep[..n]);
        } else {
            let at = (k - 1) * stride;
            if self.info.complex {
                le_bytes(&self.data[at..at + 2 * n], bytes);
                b.with_compound_data(ctype.clone(), bytes.clone(), n as u64);
            } else {
                b.with_f64_data(&self.data[at..at + n]);
            }
        }
        b.with_shape(&[n as u64]);
        b.set_attr("unit", fixed(&sig.unit));
        super::cf::signal_attrs(b, sig);
        if self.names[k] != sig.name {
            b.set_attr("name", fixed(&sig.name));
        }
    }
}

impl Hdf5Sink {
    /// Claims `path` (lock, then truncation) and writes it as a valid HDF5
    /// file with `complete = 0`.
    pub fn create(path: &Path) -> io::Result<Hdf5Sink> {
        let lock = claim_output(path, || Ok(()))?;
        let mut b = FileBuilder::new();
        b.set_attr("generator", text("spinspice"));
        b.set_attr("version", text(env!("CARGO_PKG_VERSION")));
        b.set_attr("complete", AttrValue::I32(0));
        write_image(path, &lock, b)?;
        let budget = std::env::var("SPINSPICE_HDF5_BUFFER_MIB")
            .ok()
            .and_then(|s| s.trim().parse::<usize>().ok())
            .filter(|&m| m > 0)
            .map(|m| m << 20)
            .unwrap_or(DEFAULT_BUFFER_BUDGET);
        Ok(Hdf5Sink {
            path: path.to_path_buf(),
            lock,
            file: None,
            budget,
            steps: None,
            point: None,
            namer: GroupNamer::default(),
            stream: None,
            measures: Vec::new(),
            pending: false,
            pending_bytes: 0,
            pending_datasets: 0,
            last_commit: Instant::now(),
            last_checkpoint_cost: Duration::ZERO,
            checkpoint_interval: CHECKPOINT,
            point_visible: false,
            finished: false,
            sweep: None,
            dims: DimPlan::new(),
        })
    }

    /// Total bytes the point buffers of one analysis may take (default
    /// [`DEFAULT_BUFFER_BUDGET`]). Larger budgets mean longer blocks, fewer
    /// appends and fewer, larger chunks. Takes effect at the next analysis.
    pub fn set_buffer_budget(&mut self, bytes: usize) {
        self.budget = bytes.max(1);
    }

    /// How often the gathered edits of `.step` points are committed (default
    /// 1 s; `Duration::ZERO` commits at the end of every point).
    pub fn set_checkpoint_interval(&mut self, interval: Duration) {
        self.checkpoint_interval = interval;
    }

    fn session(&self) -> io::Result<&File> {
        match &self.file {
            Some(f) => Ok(f),
            None if self.finished => Err(misuse(&self.path, "HDF5 output already finished")),
            None => Err(misuse(&self.path, "begin_run() was not called")),
        }
    }

    /// Commits everything staged, with the changed results (step status,
    /// measures, `/sweep` arrays) staged into the same commit.
    fn commit(&mut self, doing: &str) -> io::Result<()> {
        let attrs = self.stage_results()?;
        self.session()?
            .commit()
            .map_err(|e| h5err(&self.path, doing, e))?;
        if attrs {
            // hdf5-pure takes one edit per dataset and commit: the measures'
            // `error` attributes go in a second one.
            self.stage_measure_errors()?;
            self.session()?
                .commit()
                .map_err(|e| h5err(&self.path, "cannot write measure errors", e))?;
        }
        self.pending = false;
        self.pending_bytes = 0;
        self.pending_datasets = 0;
        self.last_commit = Instant::now();
        if self.point.is_some() {
            self.point_visible = true;
        }
        Ok(())
    }

    /// Stages the results changed since the last commit; true when an
    /// `error` attribute of an existing measure must change (which needs a
    /// commit of its own).
    fn stage_results(&mut self) -> io::Result<bool> {
        self.stage_sweep_arrays()?;
        self.stage_status()?;
        self.stage_measures()
    }

    /// Writes the buffered points of the current analysis. `last` marks the
    /// final flush (end of the analysis or of the run); `complete` is then
    /// whether the analysis ended normally.
    fn flush_stream(&mut self, last: bool, complete: bool) -> io::Result<()> {
        let Some(mut st) = self.stream.take() else {
            return Ok(());
        };
        let res = if st.handles.is_some() {
            self.append_block(&mut st)
        } else {
            self.create_analysis(&mut st, last, complete)
        };
        st.len = 0;
        st.sweep.clear();
        self.stream = Some(st);
        res
    }

    /// First flush of an analysis. An analysis that ends within its first
    /// block is written whole ([`Self::write_whole`]); a longer one gets its
    /// group and chunked, growable datasets holding the first block, committed,
    /// and handles for the appends to come.
    fn create_analysis(&mut self, st: &mut Stream, last: bool, complete: bool) -> io::Result<()> {
        // Written whole, an analysis is copied twice (builders, image):
        // only for small ones.
        if last && st.bytes_for(st.len) <= WHOLE_MAX {
            return self.write_whole(st, complete);
        }
        let path = self.path.clone();
        let by_reference = st.names.len() > REFERENCE_HANDLES_ABOVE;
        let ctype = complex_type()?;
        {
            let file = self.session()?;
            let (parent, name) = match st.group.rsplit_once('/') {
                Some((p, g)) => (
                    file.group(p)
                        .map_err(|e| h5err(&path, &format!("cannot open group '{p}'"), e))?,
                    g.to_string(),
                ),
                None => (file.root(), st.group.clone()),
            };
            let targets: Vec<String> = st
                .names
                .iter()
                .map(|d| format!("{}/{d}", st.group))
                .collect();
            let targets: Vec<&str> = targets.iter().map(String::as_str).collect();
            let mut bytes = std::mem::take(&mut st.bytes);
            let chunk = st.block as u64;
            let stream = &*st;
            parent
                .create_group_with(&name, |g| {
                    for (key, value) in group_attrs(&stream.info, &stream.names[0], false) {
                        g.set_attr(key, value);
                    }
                    for k in 0..stream.names.len() {
                        g.create_dataset(&stream.names[k], |b| {
                            // Created empty; the first block is appended
                            // below like the others (no copy of it).
                            stream.column(k, 0, &ctype, &mut bytes, b);
                            b.with_maxshape(&[MaxExtent::Unlimited])
                                .with_chunks(&[chunk]);
                        });
                    }
                    if by_reference {
                        g.create_dataset(COLUMNS, |b| {
                            b.with_path_references(&targets);
                        });
                    }
                })
                .map_err(|e| h5err(&path, &format!("cannot create group '{}'", st.group), e))?;
            st.bytes = bytes;
        }
        self.pending_datasets += st.names.len();
        self.pending = true;
        self.commit(&format!("cannot write group '{}'", st.group))?;
        let handles = if by_reference {
            // Appends through handles reached by object reference skip the
            // per-dataset path lookup (linear in the group size), but only in
            // a session that has not committed: start a new one.
            self.reopen()?;
            let file = self.session()?;
            let refs = format!("{}/{COLUMNS}", st.group);
            let objects = file
                .dataset(&refs)
                .and_then(|d| d.dereference())
                .map_err(|e| h5err(&path, &format!("cannot read /{refs}"), e))?;
            st.by_reference = true;
            objects
                .into_iter()
                .map(|o| match o {
                    Object::Dataset(d) => Some(*d),
                    _ => None,
                })
                .collect::<Option<Vec<Dataset>>>()
        } else {
            // One walk over the new group gives every handle.
            let file = self.session()?;
            let group = file
                .group(&st.group)
                .map_err(|e| h5err(&path, &format!("cannot open group '{}'", st.group), e))?;
            let index: HashMap<&str, usize> = st
                .names
                .iter()
                .enumerate()
                .map(|(k, s)| (s.as_str(), k))
                .collect();
            let mut handles: Vec<Option<Dataset>> = (0..st.names.len()).map(|_| None).collect();
            for (name, ds) in group
                .iter_datasets()
                .map_err(|e| h5err(&path, &format!("cannot list group '{}'", st.group), e))?
            {
                if let Some(&k) = index.get(name.as_str()) {
                    handles[k] = Some(ds);
                }
            }
            handles.into_iter().collect()
        };
        match handles {
            Some(h) if h.len() == st.names.len() => {
                st.handles = Some(h);
                self.append_block(st)
            }
            _ => Err(h5err(
                &path,
                "cannot reopen the datasets just written",
                hdf5_pure::Error::Format(hdf5_pure::FormatError::PathNotFound(st.group.clone())),
            )),
        }
    }

    /// Writes an analysis that ended within its first block: built as a small
    /// in-memory HDF5 file and copied in as one subtree, which costs hdf5-pure
    /// one path lookup (linear in the size of the parent group, the root of a
    /// `.step` run) instead of one per dataset. In a `.step` run the copy is
    /// only staged, for the next checkpoint.
    fn write_whole(&mut self, st: &mut Stream, complete: bool) -> io::Result<()> {
        let path = self.path.clone();
        let ctype = complex_type()?;
        let mut fb = FileBuilder::new();
        let mut g = fb.create_group("a");
        for (key, value) in group_attrs(&st.info, &st.names[0], complete) {
            g.set_attr(key, value);
        }
        let mut bytes = std::mem::take(&mut st.bytes);
        for k in 0..st.names.len() {
            st.column(
                k,
                st.len,
                &ctype,
                &mut bytes,
                g.create_dataset(&st.names[k]),
            );
        }
        st.bytes = bytes;
        if let Some(l) = &st.labels {
            let (data, shape) = labels_array(l);
            g.create_dataset(&dataset_name(&l.name))
                .with_i64_data(&data)
                .with_shape(&shape)
                .set_attr("columns", fixed(&l.columns.join(", ")));
        }
        fb.add_group(g.finish());
        let image = fb
            .finish()
            .map_err(|e| h5err(&path, &format!("cannot build group '{}'", st.group), e))?;
        let source = File::from_bytes(image)
            .map_err(|e| h5err(&path, "cannot read back a built group", e))?;
        self.session()?
            .copy_from(&source, "a", &st.group)
            .map_err(|e| h5err(&path, &format!("cannot write group '{}'", st.group), e))?;
        self.pending = true;
        self.pending_bytes += st.bytes_for(st.len);
        self.pending_datasets += st.names.len();
        if self.steps.is_some() {
            Ok(())
        } else {
            self.commit(&format!("cannot write group '{}'", st.group))
        }
    }

    /// Appends the buffered points to every dataset of the analysis.
    fn append_block(&self, st: &mut Stream) -> io::Result<()> {
        let n = st.len;
        let stride = st.block * st.width;
        let Some(handles) = &mut st.handles else {
            return Ok(());
        };
        if n == 0 {
            return Ok(());
        }
        let what = |k: usize| format!("cannot append to '{}/{}'", st.group, st.names[k]);
        handles[0]
            .append(&st.sweep[..n])
            .map_err(|e| h5err(&self.path, &what(0), e))?;
        for (k, handle) in handles.iter_mut().enumerate().skip(1) {
            let col = &st.data[(k - 1) * stride..(k - 1) * stride + n * st.width];
            if st.info.complex {
                le_bytes(col, &mut st.bytes);
                handle.append_raw(&st.bytes)
            } else {
                handle.append(col)
            }
            .map_err(|e| h5err(&self.path, &what(k), e))?;
        }
        Ok(())
    }

    /// Closes the read-write session (one `fsync`) and opens a new one.
    fn reopen(&mut self) -> io::Result<()> {
        if let Some(file) = self.file.take() {
            file.close()
                .map_err(|e| h5err(&self.path, "cannot close", e))?;
        }
        // The run holds its own lock on the file (`claim_output`).
        let access = FileAccessProperties::new()
            .with_sync_policy(SyncPolicy::OnClose)
            .with_locking(FileLocking::Disabled);
        let file = File::open_rw_with_options(&self.path, access).map_err(|e| {
            let why = if matches!(e, hdf5_pure::Error::FileLocked(_)) {
                "cannot open for writing (HDF5_USE_FILE_LOCKING=TRUE in the environment makes \
                 the writer lock the file a second time: unset it)"
            } else {
                "cannot open for writing"
            };
            h5err(&self.path, why, e)
        })?;
        self.file = Some(file);
        Ok(())
    }

    /// Ends the current analysis: last flush and, for an analysis that
    /// streamed several blocks, its `complete` attribute.
    fn close_stream(&mut self, ok: bool) -> io::Result<()> {
        self.flush_stream(true, ok)?;
        let Some(st) = self.stream.take() else {
            return Ok(());
        };
        let Some(handles) = st.handles else {
            return Ok(()); // written whole by the last flush
        };
        drop(handles);
        if let Some(l) = &st.labels {
            let (data, shape) = labels_array(l);
            self.session()?
                .group(&st.group)
                .and_then(|g| {
                    g.create_dataset(&dataset_name(&l.name), |b| {
                        b.with_i64_data(&data).with_shape(&shape);
                        b.set_attr("columns", fixed(&l.columns.join(", ")));
                    })
                })
                .map_err(|e| {
                    h5err(
                        &self.path,
                        &format!("cannot write '{}/{}'", st.group, l.name),
                        e,
                    )
                })?;
        }
        if ok || st.by_reference || st.labels.is_some() {
            let g = self
                .session()?
                .group(&st.group)
                .map_err(|e| h5err(&self.path, &format!("cannot open group '{}'", st.group), e))?;
            if st.by_reference {
                g.delete(COLUMNS)
                    .map_err(|e| h5err(&self.path, &format!("cannot delete {COLUMNS}"), e))?;
            }
            if ok {
                g.set_attr("complete", AttrValue::I32(1))
                    .map_err(|e| h5err(&self.path, "cannot mark analysis complete", e))?;
            }
            self.commit(&format!("cannot close '{}'", st.group))?;
        }
        Ok(())
    }

    /// Commits the gathered edits of step points, the step status and the
    /// measures when `force`, or when a checkpoint is due (see "Checkpoints"
    /// in the module documentation).
    fn checkpoint(&mut self, force: bool) -> io::Result<()> {
        let dirty = self.pending
            || self
                .steps
                .as_ref()
                .is_some_and(|s| s.dirty || s.errors_dirty)
            || self.measures.iter().any(|m| m.dirty);
        let gap = self
            .checkpoint_interval
            .min(self.last_checkpoint_cost * CHECKPOINT_COST_RATIO);
        if !dirty
            || (!force
                && self.last_commit.elapsed() < gap
                && self.pending_bytes < self.budget
                && self.pending_datasets < MAX_PENDING_DATASETS)
        {
            return Ok(());
        }
        let t0 = Instant::now();
        self.commit("cannot write step status and measures")?;
        self.last_checkpoint_cost = t0.elapsed();
        Ok(())
    }

    /// Stages `/sweep/status` and the changed `/sweep/measures/*` (the
    /// arrays over the grid, created by [`Sink::sweep`]) from the per-point
    /// state. Reads the dirty flags that `stage_status` and
    /// `stage_measures` clear, so it runs before them.
    fn stage_sweep_arrays(&mut self) -> io::Result<()> {
        let (Some(info), Some(steps), Some(file)) = (&self.sweep, &self.steps, &self.file) else {
            return Ok(());
        };
        let path = &self.path;
        let order = info.grid.c_order_points();
        if order.len() != steps.count {
            return Err(misuse(
                path,
                "the sweep grid does not match the step points",
            ));
        }
        let shape: Vec<u64> = info.grid.shape().iter().map(|&n| n as u64).collect();
        if steps.dirty {
            let status: Vec<i32> = order.iter().map(|&k| steps.status[k]).collect();
            file.dataset("sweep/status")
                .and_then(|mut d| {
                    d.write_staged(|b| {
                        b.with_i32_data(&status).with_shape(&shape);
                    })
                })
                .map_err(|e| h5err(path, "cannot write /sweep/status", e))?;
        }
        for m in self.measures.iter().filter(|m| m.dirty) {
            if !info.measures.contains(&m.original) {
                continue;
            }
            let values: Vec<f64> = order.iter().map(|&k| m.values[k]).collect();
            let dpath = format!("sweep/measures/{}", m.name);
            file.dataset(&dpath)
                .and_then(|mut d| {
                    d.write_staged(|b| {
                        b.with_f64_data(&values).with_shape(&shape);
                    })
                })
                .map_err(|e| h5err(path, &format!("cannot write /{dpath}"), e))?;
        }
        Ok(())
    }

    fn stage_status(&mut self) -> io::Result<()> {
        let Some(steps) = &mut self.steps else {
            return Ok(());
        };
        if !steps.dirty && !steps.errors_dirty {
            return Ok(());
        }
        let Some(file) = &self.file else {
            return Ok(());
        };
        let path = &self.path;
        let mut status = file
            .dataset("steps/status")
            .map_err(|e| h5err(path, "cannot open /steps/status", e))?;
        status
            .write(&steps.status)
            .map_err(|e| h5err(path, "cannot write /steps/status", e))?;
        if steps.errors_dirty {
            let mut error = file
                .dataset("steps/error")
                .map_err(|e| h5err(path, "cannot open /steps/error", e))?;
            let errs: Vec<&str> = steps.errors.iter().map(String::as_str).collect();
            error
                .write_staged(|b| {
                    b.with_vlen_strings(&errs);
                })
                .map_err(|e| h5err(path, "cannot write /steps/error", e))?;
        }
        steps.dirty = false;
        steps.errors_dirty = false;
        self.pending = true;
        Ok(())
    }

    /// Stages new and changed measures; true when an `error` attribute of an
    /// existing measure must change (which needs its own commit).
    fn stage_measures(&mut self) -> io::Result<bool> {
        let stepped = self.steps.is_some();
        let Some(file) = &self.file else {
            return Ok(false);
        };
        let path = &self.path;
        let root = file.root();
        if !self.measures.iter().any(|m| m.dirty) {
            return Ok(false);
        }
        if !self.measures.iter().any(|m| m.created) {
            root.create_group("measures")
                .map_err(|e| h5err(path, "cannot create /measures", e))?;
        }
        let mut attrs = false;
        for m in self.measures.iter_mut().filter(|m| m.dirty) {
            let dpath = format!("measures/{}", m.name);
            let failed = m.errors.iter().any(|e| !e.is_empty());
            let values = &m.values;
            if m.created {
                file.dataset(&dpath)
                    .and_then(|mut d| {
                        d.write_staged(|b| {
                            b.with_f64_data(values);
                            if !stepped {
                                b.with_shape(&[]);
                            }
                        })
                    })
                    .map_err(|e| h5err(path, &format!("cannot write /{dpath}"), e))?;
                let want = failed.then(|| m.errors.clone());
                attrs |= want != m.error_attr;
            } else {
                let errors = &m.errors;
                let (analysis, name, original) = (m.analysis, &m.name, &m.original);
                let unit = &m.unit;
                root.create_dataset(&dpath, |b| {
                    b.with_f64_data(values);
                    if !stepped {
                        b.with_shape(&[]);
                    }
                    b.set_attr("analysis", text(analysis.name()));
                    b.set_attr("unit", fixed(unit));
                    super::cf::measure_attrs(b, original, analysis.name(), unit);
                    if failed {
                        b.set_attr("error", error_attr(stepped, errors));
                    }
                    if name != original {
                        b.set_attr("name", text(original));
                    }
                })
                .map_err(|e| h5err(path, &format!("cannot create /{dpath}"), e))?;
                m.created = true;
                m.error_attr = failed.then(|| m.errors.clone());
            }
            m.dirty = false;
        }
        self.pending = true;
        Ok(attrs)
    }

    fn stage_measure_errors(&mut self) -> io::Result<()> {
        let stepped = self.steps.is_some();
        let Some(file) = &self.file else {
            return Ok(());
        };
        for m in &mut self.measures {
            let failed = m.errors.iter().any(|e| !e.is_empty());
            let want = failed.then(|| m.errors.clone());
            if !m.created || want == m.error_attr {
                continue;
            }
            let dpath = format!("measures/{}", m.name);
            let mut ds = file
                .dataset(&dpath)
                .map_err(|e| h5err(&self.path, &format!("cannot open /{dpath}"), e))?;
            match &want {
                Some(errors) => ds.set_attr("error", error_attr(stepped, errors)),
                None => ds.remove_attr("error"),
            }
            .map_err(|e| h5err(&self.path, &format!("cannot write /{dpath}"), e))?;
            m.error_attr = want;
            self.pending = true;
        }
        Ok(())
    }
}

impl Sink for Hdf5Sink {
    fn begin_run(
        &mut self,
        title: &str,
        netlist: &str,
        steps: Option<&StepInfo>,
    ) -> io::Result<()> {
        if self.finished || self.file.is_some() {
            return Err(misuse(&self.path, "begin_run() called twice"));
        }
        let title = if title.is_empty() {
            default_title(netlist)
        } else {
            title.to_string()
        };
        let mut b = FileBuilder::new();
        b.set_attr("generator", text("spinspice"));
        b.set_attr("version", text(env!("CARGO_PKG_VERSION")));
        b.set_attr("title", text(&title));
        b.set_attr("netlist", text(netlist));
        b.set_attr("complete", AttrValue::I32(0));
        if let Some(steps) = steps {
            let n = steps.values.len();
            let mut g = b.create_group("steps");
            let mut seen: HashSet<String> = ["status", "error"].map(String::from).into();
            for (j, p) in steps.params.iter().enumerate() {
                let name = dataset_name(p);
                if p.is_empty() || !seen.insert(name.clone()) {
                    return Err(misuse(
                        &self.path,
                        format!("step parameter name '{p}' is empty or not unique"),
                    ));
                }
                let vals: Vec<f64> = steps
                    .values
                    .iter()
                    .map(|v| v.get(j).copied().unwrap_or(f64::NAN))
                    .collect();
                g.create_dataset(&name).with_f64_data(&vals);
            }
            g.create_dataset("status").with_i32_data(&vec![-1; n]);
            let empty = vec![""; n];
            g.create_dataset("error").with_vlen_strings(&empty);
            scales::steps_point(&mut g, &mut self.dims, &steps.params, n);
            b.add_group(g.finish());
            self.steps = Some(StepState {
                count: n,
                status: vec![-1; n],
                errors: vec![String::new(); n],
                dirty: false,
                errors_dirty: false,
            });
        }
        write_image(&self.path, &self.lock, b)?;
        self.reopen()
    }

    fn sweep(&mut self, info: &SweepInfo) -> io::Result<()> {
        let Some(steps) = &self.steps else {
            return Err(misuse(&self.path, "sweep() in a run without .step"));
        };
        if self.sweep.is_some() {
            return Err(misuse(&self.path, "sweep() called twice"));
        }
        if info.grid.len() != steps.count {
            return Err(misuse(
                &self.path,
                format!(
                    "sweep grid of {} points for {} step points",
                    info.grid.len(),
                    steps.count
                ),
            ));
        }
        let path = self.path.clone();
        let names: Vec<String> = info.grid.axes.iter().map(|a| a.name.clone()).collect();
        let shape: Vec<i64> = info.grid.shape().iter().map(|&n| n as i64).collect();
        let dims: Vec<u64> = shape.iter().map(|&n| n as u64).collect();
        let point: Vec<i64> = info
            .grid
            .c_order_points()
            .iter()
            .map(|&k| k as i64)
            .collect();
        let n = point.len();
        self.session()?
            .root()
            .create_group_with("sweep", |g| {
                g.set_attr("axes", AttrValue::VarLenStringArray(names.clone()));
                g.set_attr("shape", AttrValue::I64Array(shape.clone()));
                g.set_attr(
                    "measures",
                    AttrValue::VarLenStringArray(info.measures.clone()),
                );
                g.set_attr(
                    "measure_units",
                    AttrValue::VarLenStringArray(info.measure_units.clone()),
                );
                if let Some(sh) = &info.shard {
                    g.set_attr("shard", text(&sh.text()));
                }
                scales::sweep_coords(g, info, &scales::SWEEP_TAKEN);
                g.create_group_with("axes", |ag| {
                    for (j, a) in info.grid.axes.iter().enumerate() {
                        ag.create_dataset(&dataset_name(&a.name), |b| {
                            b.with_f64_data(&a.values);
                            b.set_attr("unit", fixed(&a.unit));
                            b.set_attr("dim", AttrValue::I32(j as i32));
                            super::cf::axis_attrs(b, &a.name, &a.unit);
                            if dataset_name(&a.name) != a.name {
                                b.set_attr("name", fixed(&a.name));
                            }
                        });
                    }
                });
                // The arrays over the grid, rewritten by every commit that
                // changes them: a killed sweep has them too.
                g.create_dataset("point", |b| {
                    b.with_i64_data(&point).with_shape(&dims);
                    b.set_attr("long_name", fixed("index of the point in /steps"));
                });
                g.create_dataset("status", |b| {
                    b.with_i32_data(&vec![-1; n]).with_shape(&dims);
                    super::cf::status_attrs(b);
                });
                g.create_group_with("measures", |mg| {
                    let nan = vec![f64::NAN; n];
                    let mut taken = Vec::new();
                    for (j, name) in info.measures.iter().enumerate() {
                        let analysis = info.measure_analyses.get(j).map_or("", |a| a.name());
                        let unit = info.measure_units.get(j).map_or("", String::as_str);
                        let dname = dataset_name(name);
                        mg.create_dataset(&dname, |b| {
                            b.with_f64_data(&nan).with_shape(&dims);
                            b.set_attr("analysis", fixed(analysis));
                            b.set_attr("unit", fixed(unit));
                            super::cf::measure_attrs(b, &dname, analysis, unit);
                        });
                        taken.push(dname);
                    }
                    let taken: Vec<&str> = taken.iter().map(String::as_str).collect();
                    scales::sweep_coords(mg, info, &taken);
                });
            })
            .map_err(|e| h5err(&path, "cannot create /sweep", e))?;
        self.sweep = Some(info.clone());
        self.commit("cannot write /sweep")
    }

    fn begin_point(&mut self, index: usize) -> io::Result<()> {
        let Some(steps) = &self.steps else {
            return Err(misuse(&self.path, "begin_point() in a run without .step"));
        };
        if index >= steps.count {
            return Err(misuse(
                &self.path,
                format!("step point {index} out of range ({} points)", steps.count),
            ));
        }
        if self.stream.is_some() {
            return Err(misuse(&self.path, "begin_point() inside an analysis"));
        }
        let name = format!("step_{index:05}");
        // Staged: committed with the point's first commit.
        self.session()?
            .root()
            .create_group(&name)
            .map_err(|e| h5err(&self.path, &format!("cannot create '{name}'"), e))?;
        self.pending = true;
        self.point = Some(index);
        self.namer.reset();
        Ok(())
    }

    fn begin_analysis(&mut self, info: &AnalysisInfo) -> io::Result<()> {
        self.session()?;
        if let Some(st) = &self.stream {
            return Err(misuse(
                &self.path,
                format!(
                    "begin_analysis({}) while '{}' is still open",
                    info.kind.name(),
                    st.group
                ),
            ));
        }
        if self.steps.is_some() && self.point.is_none() {
            return Err(misuse(
                &self.path,
                "analysis outside a step point in a .step run",
            ));
        }
        let name = self.namer.next(info.kind);
        let group = match self.point {
            Some(k) => format!("step_{k:05}/{name}"),
            None => name,
        };
        let mut names = Vec::with_capacity(info.signals.len() + 1);
        let mut seen = HashSet::with_capacity(info.signals.len() + 1);
        for s in std::iter::once(&info.sweep).chain(info.signals.iter()) {
            let d = dataset_name(&s.name);
            if s.name.is_empty() || !seen.insert(d.clone()) {
                return Err(misuse(
                    &self.path,
                    format!(
                        "{}: signal name '{}' is empty or not unique",
                        info.kind.name(),
                        s.name
                    ),
                ));
            }
            names.push(d);
        }
        self.dims.axis_group(&group, &names[0], &names);
        let width = if info.complex { 2 } else { 1 };
        let per_point = 8 * (1 + info.signals.len() * width);
        let block = (self.budget / per_point).clamp(1, MAX_BLOCK);
        self.stream = Some(Stream {
            group,
            info: info.clone(),
            names,
            block,
            width,
            sweep: Vec::with_capacity(block),
            data: vec![0.0; block * width * info.signals.len()],
            len: 0,
            handles: None,
            bytes: Vec::new(),
            by_reference: false,
            labels: None,
        });
        Ok(())
    }

    fn point(&mut self, sweep: f64, values: &[f64], imag: Option<&[f64]>) -> io::Result<()> {
        let Some(st) = &mut self.stream else {
            return Err(misuse(&self.path, "point() outside an analysis"));
        };
        check_point(&self.path, &st.info, values, imag)?;
        let stride = st.block * st.width;
        let at = st.len * st.width;
        st.sweep.push(sweep);
        match imag {
            Some(im) if st.info.complex => {
                for (k, (re, im)) in values.iter().zip(im).enumerate() {
                    st.data[k * stride + at] = *re;
                    st.data[k * stride + at + 1] = *im;
                }
            }
            _ => {
                for (k, v) in values.iter().enumerate() {
                    st.data[k * stride + at] = *v;
                }
            }
        }
        st.len += 1;
        if st.len == st.block {
            self.flush_stream(false, false)?;
        }
        Ok(())
    }

    fn labels(&mut self, labels: &PointLabels) -> io::Result<()> {
        match self.stream.as_mut() {
            Some(st) => {
                st.labels = Some(labels.clone());
                Ok(())
            }
            None => Err(misuse(&self.path, "labels() outside an analysis")),
        }
    }

    fn end_analysis(&mut self) -> io::Result<()> {
        if self.stream.is_none() {
            return Err(misuse(
                &self.path,
                "end_analysis() without begin_analysis()",
            ));
        }
        self.close_stream(true)
    }

    fn measures(&mut self, values: &[MeasureValue]) -> io::Result<()> {
        self.session()?;
        let (slots, slot) = match (&self.steps, self.point) {
            (Some(s), Some(k)) => (s.count, k),
            (Some(_), None) => {
                return Err(misuse(
                    &self.path,
                    "measures() outside a step point in a .step run",
                ))
            }
            (None, _) => (1, 0),
        };
        for m in values {
            if m.name.is_empty() {
                return Err(misuse(&self.path, "measure with an empty name"));
            }
            let name = dataset_name(&m.name);
            let k = match self.measures.iter().position(|s| s.name == name) {
                Some(k) => k,
                None => {
                    let unit = match (&m.unit, &self.sweep) {
                        (u, Some(sw)) if u.is_empty() => sw
                            .measures
                            .iter()
                            .position(|n| *n == m.name)
                            .and_then(|j| sw.measure_units.get(j).cloned())
                            .unwrap_or_default(),
                        (u, _) => u.clone(),
                    };
                    self.measures.push(MeasureState {
                        name,
                        original: m.name.clone(),
                        analysis: m.analysis,
                        unit,
                        values: vec![f64::NAN; slots],
                        errors: vec![String::new(); slots],
                        created: false,
                        error_attr: None,
                        dirty: false,
                    });
                    self.measures.len() - 1
                }
            };
            let state = &mut self.measures[k];
            let (value, error) = match &m.value {
                Ok(v) => (*v, String::new()),
                Err(msg) => (f64::NAN, msg.clone()),
            };
            state.values[slot] = value;
            state.errors[slot] = error;
            state.dirty = true;
        }
        // A run without .step writes its measures at once; step points at
        // their checkpoint.
        self.checkpoint(self.steps.is_none())
    }

    fn end_point(&mut self, index: usize, status: &PointStatus) -> io::Result<()> {
        self.session()?;
        if self.stream.is_some() {
            // An analysis cut short by the failure of this point.
            self.close_stream(false)?;
        }
        if let Some(steps) = &mut self.steps {
            if index < steps.count {
                let (s, e) = match status {
                    PointStatus::Ok => (0, String::new()),
                    PointStatus::Failed(msg) => (1, msg.clone()),
                };
                steps.status[index] = s;
                steps.dirty = true;
                if steps.errors[index] != e {
                    steps.errors[index] = e;
                    steps.errors_dirty = true;
                }
            }
        }
        self.point = None;
        let visible = std::mem::take(&mut self.point_visible);
        self.checkpoint(visible)
    }

    fn finish(&mut self, complete: bool) -> io::Result<()> {
        if self.finished {
            return Ok(());
        }
        if self.file.is_none() {
            // No run started: the file from `create` stays, complete = 0.
            self.finished = true;
            return Ok(());
        }
        let mut first_err = None;
        if self.stream.is_some() {
            if let Err(e) = self.close_stream(false) {
                first_err.get_or_insert(e);
                self.stream = None;
            }
        }
        if let (Some(k), Some(steps)) = (self.point.take(), &mut self.steps) {
            if steps.status.get(k) == Some(&-1) {
                steps.status[k] = 1;
                steps.errors[k] = "run interrupted".to_string();
                steps.dirty = true;
                steps.errors_dirty = true;
            }
        }
        if let Err(e) = self.checkpoint(true) {
            first_err.get_or_insert(e);
        }
        if let Err(e) = self.plan_tables() {
            first_err.get_or_insert(e);
        }
        if first_err.is_none() {
            let res = self
                .session()?
                .root()
                .set_attr("complete", AttrValue::I32(i32::from(complete)))
                .map_err(|e| h5err(&self.path, "cannot set 'complete'", e))
                .and_then(|_| self.commit("cannot set 'complete'"));
            if let Err(e) = res {
                first_err.get_or_insert(e);
            }
        }
        self.finished = true;
        if let Some(file) = self.file.take() {
            if let Err(e) = file.close() {
                first_err.get_or_insert(h5err(&self.path, "cannot close", e));
            }
        }
        if first_err.is_none() {
            // Last: nothing may move an object header after this.
            if let Err(e) = super::dimscale::write(&self.path, &self.dims) {
                first_err.get_or_insert(e);
            }
        }
        match first_err {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }
}

impl Drop for Hdf5Sink {
    fn drop(&mut self) {
        if !self.finished && self.file.is_some() {
            // Best effort: put the buffered points of an interrupted analysis
            // and the gathered step edits in the file; `complete` stays 0.
            let _ = self.flush_stream(true, false);
            let _ = self.checkpoint(true);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping() {
        assert_eq!(dataset_name("v(out)"), "v(out)");
        assert_eq!(dataset_name("@m1[mx]"), "@m1[mx]");
        assert_eq!(dataset_name("v(a/b)"), "v(a%2Fb)");
        assert_eq!(dataset_name("50%"), "50%25");
        assert_eq!(dataset_name("."), "%2E");
        assert_eq!(dataset_name(".."), "..");
    }
}
