//! `spinspice merge OUT SHARD…`: combines the files of `run --shard K/N`
//! into the file one run of the whole sweep would have written.
//!
//! The shard files are read back (hdf5-pure) and every point is *replayed*,
//! in point order, through the same [`Sink`] a single run uses: the merged
//! file has the same layout, chunking and values as a single run's, value for
//! value. Each point is taken from the first shard file that ran it (status
//! ≠ −1); points that no shard ran stay "not run" and the merged file is
//! marked incomplete.

use super::grid::{Axis, Grid};
use crate::output::hdf5::COLUMNS;
use crate::output::{
    open_sink, AnalysisInfo, AnalysisKind, MeasureValue, PointLabels, PointStatus, SignalInfo,
    Sink, StepInfo, SweepInfo,
};
use hdf5_pure::{AttrValue, DType, File, Group};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// What a merge did.
#[derive(Debug, Default)]
pub struct MergeReport {
    pub points: usize,
    pub failed: usize,
    /// Points found in no input.
    pub missing: Vec<usize>,
    /// Points found in more than one input (the first was used).
    pub duplicates: Vec<usize>,
}

/// One opened shard file.
struct Input {
    path: PathBuf,
    file: File,
    status: Vec<i32>,
    errors: Vec<String>,
    /// name → (analysis, values, errors)
    measures: HashMap<String, (AnalysisKind, Vec<f64>, Vec<String>)>,
}

fn err(path: &Path, what: impl std::fmt::Display) -> String {
    format!("{}: {what}", path.display())
}

pub(crate) fn attr_string(v: Option<&AttrValue>) -> Option<String> {
    match v? {
        AttrValue::String(s) | AttrValue::VarLenString(s) => Some(s.clone()),
        AttrValue::AsciiString(s) => Some(s.clone()),
        _ => None,
    }
}

pub(crate) fn attr_strings(v: Option<&AttrValue>) -> Option<Vec<String>> {
    match v? {
        AttrValue::VarLenStringArray(s) | AttrValue::StringArray(s) => Some(s.clone()),
        AttrValue::String(s) | AttrValue::VarLenString(s) => Some(vec![s.clone()]),
        _ => None,
    }
}

pub(crate) fn attr_int(v: Option<&AttrValue>) -> Option<i64> {
    match v? {
        AttrValue::I32(x) => Some(*x as i64),
        AttrValue::I64(x) => Some(*x),
        AttrValue::U32(x) => Some(*x as i64),
        AttrValue::U64(x) => Some(*x as i64),
        AttrValue::I32Array(a) if a.len() == 1 => Some(a[0] as i64),
        AttrValue::I64Array(a) if a.len() == 1 => Some(a[0]),
        _ => None,
    }
}

fn kind_of(s: &str) -> Option<AnalysisKind> {
    AnalysisKind::ALL.into_iter().find(|k| k.name() == s)
}

/// The run description shared by every shard: title, netlist, grid, measures.
#[derive(PartialEq)]
pub(crate) struct Header {
    pub title: String,
    pub netlist: String,
    pub grid: Grid,
    pub measures: Vec<String>,
    pub measure_units: Vec<String>,
    pub measure_analyses: Vec<AnalysisKind>,
}

/// Reads the header of a sweep file.
pub(crate) fn read_header(path: &Path, f: &File) -> Result<Header, String> {
    let root = f.root();
    let attrs = root.attrs().map_err(|e| err(path, e))?;
    let title = attr_string(attrs.get("title")).unwrap_or_default();
    let netlist = attr_string(attrs.get("netlist")).unwrap_or_default();
    let sweep = f
        .group("sweep")
        .map_err(|_| err(path, "not the file of a sweep (no /sweep group)"))?;
    let sa = sweep.attrs().map_err(|e| err(path, e))?;
    let names = attr_strings(sa.get("axes")).ok_or_else(|| err(path, "/sweep has no 'axes'"))?;
    let measures = attr_strings(sa.get("measures")).unwrap_or_default();
    let measure_units = attr_strings(sa.get("measure_units")).unwrap_or_default();
    let measure_analyses = measures.iter().map(|m| measure_analysis(f, m)).collect();
    let mut axes = Vec::new();
    for n in &names {
        let dpath = format!("sweep/axes/{}", crate::output::hdf5::dataset_name(n));
        let ds = f
            .dataset(&dpath)
            .map_err(|e| err(path, format!("/{dpath}: {e}")))?;
        let values = ds
            .read_f64()
            .map_err(|e| err(path, format!("/{dpath}: {e}")))?;
        let unit = ds
            .attrs()
            .ok()
            .and_then(|a| attr_string(a.get("unit")))
            .unwrap_or_default();
        axes.push(Axis {
            name: n.clone(),
            values,
            unit,
        });
    }
    Ok(Header {
        title,
        netlist,
        grid: Grid { axes },
        measures,
        measure_units,
        measure_analyses,
    })
}

/// The analysis of a measure: `@analysis` of `/sweep/measures/<name>`, else of
/// `/measures/<name>` (files written before the former existed), else `tran`.
fn measure_analysis(f: &File, name: &str) -> AnalysisKind {
    let d = crate::output::hdf5::dataset_name(name);
    [format!("sweep/measures/{d}"), format!("measures/{d}")]
        .iter()
        .find_map(|p| {
            let a = f.dataset(p).ok()?.attrs().ok()?;
            kind_of(attr_string(a.get("analysis"))?.as_str())
        })
        .unwrap_or(AnalysisKind::Tran)
}

fn open_input(path: &Path, n: usize) -> Result<(Input, Header), String> {
    let file = File::open(path).map_err(|e| err(path, format!("cannot open: {e}")))?;
    let header = read_header(path, &file)?;
    let status = file
        .dataset("steps/status")
        .and_then(|d| d.read_i32())
        .map_err(|e| err(path, format!("/steps/status: {e}")))?;
    let errors = file
        .dataset("steps/error")
        .and_then(|d| d.read_string())
        .map_err(|e| err(path, format!("/steps/error: {e}")))?;
    if status.len() != n || errors.len() != n {
        return Err(err(path, format!("expected {n} points in /steps")));
    }
    let mut measures = HashMap::new();
    if let Ok(g) = file.group("measures") {
        for (name, ds) in g.iter_datasets().map_err(|e| err(path, e))? {
            let a = ds.attrs().map_err(|e| err(path, e))?;
            if !a.contains_key("analysis") {
                continue; // the coordinate `point`, not a measure
            }
            let original = attr_string(a.get("name")).unwrap_or(name);
            let kind = attr_string(a.get("analysis"))
                .and_then(|k| kind_of(&k))
                .unwrap_or(AnalysisKind::Tran);
            let values = ds.read_f64().map_err(|e| err(path, e))?;
            let errs = attr_strings(a.get("error")).unwrap_or_else(|| vec![String::new(); n]);
            if values.len() != n || errs.len() != n {
                return Err(err(
                    path,
                    format!("measure '{original}' is not over {n} points"),
                ));
            }
            measures.insert(original, (kind, values, errs));
        }
    }
    Ok((
        Input {
            path: path.to_path_buf(),
            file,
            status,
            errors,
            measures,
        },
        header,
    ))
}

/// An analysis group of a point, read back.
pub(crate) struct ReadAnalysis {
    pub info: AnalysisInfo,
    pub sweep: Vec<f64>,
    /// Per signal: real parts, and imaginary parts for complex analyses.
    pub re: Vec<Vec<f64>>,
    pub im: Vec<Vec<f64>>,
    /// Integer labels of the points (`/hb/tones`), if the group has them.
    pub labels: Option<PointLabels>,
    pub complete: bool,
}

pub(crate) fn read_analysis(path: &Path, g: &Group, group: &str) -> Result<ReadAnalysis, String> {
    let e = |x: hdf5_pure::Error| err(path, format!("/{group}: {x}"));
    let a = g.attrs().map_err(e)?;
    let kind = attr_string(a.get("kind"))
        .and_then(|k| kind_of(&k))
        .ok_or_else(|| err(path, format!("/{group}: no analysis kind")))?;
    let sweep_name = attr_string(a.get("sweep")).unwrap_or_default();
    let complex = attr_int(a.get("complex")).unwrap_or(0) != 0;
    let complete = attr_int(a.get("complete")).unwrap_or(0) != 0;
    let mut sweep_info = None;
    let mut sweep = Vec::new();
    let mut signals = Vec::new();
    let (mut re, mut im) = (Vec::new(), Vec::new());
    let mut labels = None;
    let mut sets: Vec<_> = g.iter_datasets().map_err(e)?.collect();
    sets.sort_by(|x, y| x.0.cmp(&y.0));
    for (name, ds) in sets {
        if name == COLUMNS {
            continue;
        }
        let da = ds.attrs().map_err(e)?;
        if let Some(cols) = attr_string(da.get("columns")) {
            // a point-label table (`tones`: [points, columns] int64)
            let columns: Vec<String> = cols.split(", ").map(str::to_string).collect();
            let flat = ds.read_i64().map_err(e)?;
            let w = columns.len().max(1);
            let rows = flat.chunks(w).map(<[i64]>::to_vec).collect();
            labels = Some(PointLabels {
                name,
                columns,
                rows,
            });
            continue;
        }
        let original = attr_string(da.get("name")).unwrap_or_else(|| name.clone());
        let unit = attr_string(da.get("unit")).unwrap_or_default();
        let info = SignalInfo::new(original, unit);
        if name == sweep_name {
            sweep = ds.read_f64().map_err(e)?;
            sweep_info = Some(info);
            continue;
        }
        let is_compound = matches!(ds.dtype(), Ok(DType::Compound(_)));
        if complex && is_compound {
            let raw = ds.read_raw().map_err(e)?;
            let mut r = Vec::with_capacity(raw.len() / 16);
            let mut i = Vec::with_capacity(raw.len() / 16);
            for c in raw.chunks_exact(16) {
                let mut b = [0u8; 8];
                b.copy_from_slice(&c[..8]);
                r.push(f64::from_le_bytes(b));
                b.copy_from_slice(&c[8..]);
                i.push(f64::from_le_bytes(b));
            }
            re.push(r);
            im.push(i);
        } else {
            re.push(ds.read_f64().map_err(e)?);
            im.push(Vec::new());
        }
        signals.push(info);
    }
    let sweep_info = sweep_info
        .ok_or_else(|| err(path, format!("/{group}: no sweep dataset '{sweep_name}'")))?;
    let mut n = sweep.len();
    let lengths = || re.iter().chain(im.iter().filter(|_| complex)).map(Vec::len);
    if lengths().any(|l| l != n) {
        if complete {
            return Err(err(path, format!("/{group}: columns of different lengths")));
        }
        // A killed run: the columns hold the blocks appended before the
        // kill, the later ones possibly one block fewer. Keep the points
        // every column has.
        n = lengths().fold(n, usize::min);
        sweep.truncate(n);
        for c in re.iter_mut().chain(im.iter_mut()) {
            c.truncate(n);
        }
    }
    Ok(ReadAnalysis {
        info: AnalysisInfo {
            kind,
            sweep: sweep_info,
            signals,
            complex,
        },
        sweep,
        re,
        im,
        labels,
        complete,
    })
}

/// Analysis groups of a point in the order that recreates their names:
/// within a kind, `tran` before `tran_2` before `tran_10`.
fn analysis_order(names: Vec<String>) -> Vec<String> {
    let key = |n: &str| -> (String, u64) {
        match n.rsplit_once('_') {
            Some((k, d)) if d.chars().all(|c| c.is_ascii_digit()) && !d.is_empty() => {
                (k.to_string(), d.parse().unwrap_or(u64::MAX))
            }
            _ => (n.to_string(), 1),
        }
    };
    let mut v = names;
    v.sort_by_key(|n| key(n));
    v
}

fn replay_point(
    sink: &mut dyn Sink,
    inp: &Input,
    k: usize,
    measures: &[String],
) -> Result<(), String> {
    let io = |e: std::io::Error| e.to_string();
    sink.begin_point(k).map_err(io)?;
    let gname = format!("step_{k:05}");
    if let Ok(g) = inp.file.group(&gname) {
        let names = analysis_order(g.groups().map_err(|e| err(&inp.path, e))?);
        for n in names {
            let path = format!("{gname}/{n}");
            let ag = inp
                .file
                .group(&path)
                .map_err(|e| err(&inp.path, format!("/{path}: {e}")))?;
            let a = read_analysis(&inp.path, &ag, &path)?;
            replay_analysis(sink, &a).map_err(io)?;
        }
    }
    // The measures the point computed (a NaN without a message was never reported).
    let mut names: Vec<&String> = measures.iter().collect();
    let mut extra: Vec<&String> = inp
        .measures
        .keys()
        .filter(|n| !measures.contains(n))
        .collect();
    extra.sort();
    names.extend(extra);
    let mut vals = Vec::new();
    for name in names {
        if let Some((kind, v, e)) = inp.measures.get(name) {
            let value = if e[k].is_empty() {
                if v[k].is_nan() {
                    continue;
                }
                Ok(v[k])
            } else {
                Err(e[k].clone())
            };
            vals.push(MeasureValue {
                name: name.clone(),
                analysis: *kind,
                value,
                // The sink takes it from the sweep's measure units.
                unit: String::new(),
            });
        }
    }
    if !vals.is_empty() {
        sink.measures(&vals).map_err(io)?;
    }
    let status = match inp.status[k] {
        0 => PointStatus::Ok,
        _ => PointStatus::Failed(inp.errors[k].clone()),
    };
    sink.end_point(k, &status).map_err(io)
}

/// Merges `inputs` (shard files of one sweep) into `out` (`.h5`, or `.csv`
/// for the tables only).
pub fn merge(out: &Path, inputs: &[PathBuf]) -> Result<MergeReport, String> {
    if inputs.is_empty() {
        return Err("merge: no input files".into());
    }
    let mut opened = Vec::new();
    let mut header: Option<Header> = None;
    for p in inputs {
        if p == out {
            return Err(err(p, "is both an input and the output"));
        }
        let f = File::open(p).map_err(|e| err(p, format!("cannot open: {e}")))?;
        let h = read_header(p, &f)?;
        drop(f);
        let n = h.grid.len();
        match &header {
            None => header = Some(h),
            Some(h0) => {
                if h0.netlist != h.netlist {
                    return Err(err(
                        p,
                        "comes from a different netlist than the first input",
                    ));
                }
                if h0.grid != h.grid {
                    return Err(err(p, "has a different sweep grid than the first input"));
                }
            }
        }
        opened.push(open_input(p, n)?.0);
    }
    let Some(h) = header else {
        return Err("merge: no input files".into());
    };
    let n = h.grid.len();
    let mut report = MergeReport::default();
    let mut owner: Vec<Option<usize>> = vec![None; n];
    for (i, inp) in opened.iter().enumerate() {
        for (k, o) in owner.iter_mut().enumerate() {
            if inp.status[k] != -1 {
                match o {
                    None => *o = Some(i),
                    Some(_) => report.duplicates.push(k),
                }
            }
        }
    }
    report.duplicates.sort_unstable();
    report.duplicates.dedup();
    let mut sink = open_sink(out).map_err(|e| err(out, format!("cannot create: {e}")))?;
    let info = StepInfo {
        params: h.grid.axes.iter().map(|a| a.name.clone()).collect(),
        values: (0..n).map(|k| h.grid.values_at(k)).collect(),
    };
    let io = |e: std::io::Error| e.to_string();
    sink.begin_run(&h.title, &h.netlist, Some(&info))
        .map_err(io)?;
    sink.sweep(&SweepInfo {
        grid: h.grid.clone(),
        shard: None,
        measures: h.measures.clone(),
        measure_units: h.measure_units.clone(),
        measure_analyses: h.measure_analyses.clone(),
    })
    .map_err(io)?;
    for (k, o) in owner.iter().enumerate() {
        match *o {
            Some(i) => {
                let inp = &opened[i];
                replay_point(sink.as_mut(), inp, k, &h.measures)?;
                report.points += 1;
                if inp.status[k] != 0 {
                    report.failed += 1;
                }
            }
            None => report.missing.push(k),
        }
    }
    let complete = report.missing.is_empty() && report.failed == 0;
    sink.finish(complete).map_err(io)?;
    Ok(report)
}

/// Replays the HDF5 file of any run (with or without a sweep, finished,
/// failed or killed) into `sink`, as the run itself called it: the reader
/// behind the Python `spinspice.open`. The points of a sweep that did not
/// run (status −1) are left out. Returns the file's `complete` flag.
pub fn replay_file(path: &Path, sink: &mut dyn Sink) -> Result<bool, String> {
    let io = |e: std::io::Error| e.to_string();
    let f = File::open(path).map_err(|e| err(path, format!("cannot open: {e}")))?;
    let attrs = f.root().attrs().map_err(|e| err(path, e))?;
    let complete = attr_int(attrs.get("complete")).unwrap_or(0) != 0;
    if f.group("steps").is_ok() {
        let h = read_header(path, &f)?;
        let shard = f
            .group("sweep")
            .ok()
            .and_then(|g| g.attrs().ok())
            .and_then(|a| attr_string(a.get("shard")))
            .and_then(|s| super::grid::Shard::parse(&s).ok());
        drop(f);
        let n = h.grid.len();
        let (inp, _) = open_input(path, n)?;
        let info = StepInfo {
            params: h.grid.axes.iter().map(|a| a.name.clone()).collect(),
            values: (0..n).map(|k| h.grid.values_at(k)).collect(),
        };
        sink.begin_run(&h.title, &h.netlist, Some(&info))
            .map_err(io)?;
        sink.sweep(&SweepInfo {
            grid: h.grid.clone(),
            shard,
            measures: h.measures.clone(),
            measure_units: h.measure_units.clone(),
            measure_analyses: h.measure_analyses.clone(),
        })
        .map_err(io)?;
        for k in (0..n).filter(|&k| inp.status[k] != -1) {
            replay_point(sink, &inp, k, &h.measures)?;
        }
    } else {
        let title = attr_string(attrs.get("title")).unwrap_or_default();
        let netlist = attr_string(attrs.get("netlist")).unwrap_or_default();
        sink.begin_run(&title, &netlist, None).map_err(io)?;
        let root = f.root();
        let mut groups = Vec::new();
        for g in root.groups().map_err(|e| err(path, e))? {
            let ag = f.group(&g).map_err(|e| err(path, format!("/{g}: {e}")))?;
            let kind = ag.attrs().ok().and_then(|a| attr_string(a.get("kind")));
            if kind.is_some_and(|k| kind_of(&k).is_some()) {
                groups.push(g);
            }
        }
        for g in analysis_order(groups) {
            let ag = f.group(&g).map_err(|e| err(path, format!("/{g}: {e}")))?;
            let a = read_analysis(path, &ag, &g)?;
            replay_analysis(sink, &a).map_err(io)?;
        }
        let mut vals = Vec::new();
        if let Ok(g) = f.group("measures") {
            let mut sets: Vec<_> = g.iter_datasets().map_err(|e| err(path, e))?.collect();
            sets.sort_by(|x, y| x.0.cmp(&y.0));
            for (name, ds) in sets {
                let a = ds.attrs().map_err(|e| err(path, e))?;
                let Some(kind) = attr_string(a.get("analysis")).and_then(|k| kind_of(&k)) else {
                    continue;
                };
                let v = ds.read_f64().map_err(|e| err(path, e))?;
                let value = match (attr_string(a.get("error")), v.first()) {
                    (Some(e), _) if !e.is_empty() => Err(e),
                    (_, Some(x)) => Ok(*x),
                    (_, None) => continue,
                };
                vals.push(MeasureValue {
                    name: attr_string(a.get("name")).unwrap_or(name),
                    analysis: kind,
                    value,
                    unit: attr_string(a.get("unit")).unwrap_or_default(),
                });
            }
        }
        if !vals.is_empty() {
            sink.measures(&vals).map_err(io)?;
        }
    }
    sink.finish(complete).map_err(io)?;
    Ok(complete)
}

/// One analysis read back, into `sink`.
fn replay_analysis(sink: &mut dyn Sink, a: &ReadAnalysis) -> std::io::Result<()> {
    sink.begin_analysis(&a.info)?;
    let m = a.info.signals.len();
    let mut row = vec![0.0; m];
    let mut irow = vec![0.0; m];
    for (r, &s) in a.sweep.iter().enumerate() {
        for j in 0..m {
            row[j] = a.re[j][r];
            if a.info.complex {
                irow[j] = a.im[j][r];
            }
        }
        let im = a.info.complex.then_some(irow.as_slice());
        sink.point(s, &row, im)?;
    }
    if let Some(l) = &a.labels {
        sink.labels(l)?;
    }
    if a.complete {
        sink.end_analysis()?;
    }
    Ok(())
}
