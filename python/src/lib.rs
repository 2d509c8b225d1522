//! `spinspice._native`: the simulator as a Python extension module (PyO3).
//!
//! Two functions, both returning plain Python objects (dicts, lists, and
//! `bytearray`s of native-endian float64 that the Python layer wraps as
//! numpy arrays without copying): [`run`] parses and runs a netlist with the
//! GIL released, [`read`] replays a spinspice HDF5 file through the same
//! collector, so both give the same structure. The Python package
//! (`python/spinspice/`) turns it into xarray objects and exceptions.
//!
//! Ctrl-C: Python only runs signal handlers on the main thread, between
//! bytecodes. While the simulation runs, the calling thread checks for
//! signals (`Python::check_signals`) at most every 50 ms from the progress
//! callbacks and the output points; a `KeyboardInterrupt` sets the run's
//! cancel flag (`SweepOptions::cancel`), the engine stops at its next output
//! point, the output file is finished with `complete = 0`, and the
//! exception is re-raised.
use pyo3::exceptions::{PyOSError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyByteArray, PyDict, PyList};
use spinspice::analysis::run::{run as run_netlist, Progress, RunConfig};
use spinspice::diag::{Diagnostic, Severity, SourceMap};
use spinspice::output::{
    cf, open_sink, AnalysisInfo, MeasureValue, PointStatus, Sink, StepInfo, SweepInfo,
};
use spinspice::sweep::exec::{interrupted, SaveMode, SweepOptions, SweepProgress};
use spinspice::sweep::grid::parse_cli_step;
use std::cell::RefCell;
use std::collections::HashMap;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Signals and the progress callback are looked at no more often than this.
const POLL: Duration = Duration::from_millis(50);

// ------------------------------------------------------------- collector

/// One analysis table, as the run (or the file) gave it.
struct Table {
    /// Group name: `tran`, `ac`, `tran_2` … (as in the HDF5 file).
    name: String,
    point: Option<usize>,
    info: AnalysisInfo,
    sweep: Vec<f64>,
    re: Vec<Vec<f64>>,
    im: Vec<Vec<f64>>,
    complete: bool,
}

/// Every sink call of a run, kept in memory with its step point.
#[derive(Default)]
struct Collector {
    title: String,
    netlist: String,
    steps: Option<StepInfo>,
    sweep: Option<SweepInfo>,
    tables: Vec<Table>,
    measures: Vec<(Option<usize>, MeasureValue)>,
    status: Vec<(usize, PointStatus)>,
    complete: Option<bool>,
    point: Option<usize>,
    /// Analyses of each kind so far in this point (for `tran_2` names).
    seen: HashMap<&'static str, usize>,
}

impl Sink for Collector {
    fn begin_run(
        &mut self,
        title: &str,
        netlist: &str,
        steps: Option<&StepInfo>,
    ) -> io::Result<()> {
        self.title = title.to_string();
        self.netlist = netlist.to_string();
        self.steps = steps.cloned();
        Ok(())
    }
    fn sweep(&mut self, info: &SweepInfo) -> io::Result<()> {
        self.sweep = Some(info.clone());
        Ok(())
    }
    fn begin_point(&mut self, index: usize) -> io::Result<()> {
        self.point = Some(index);
        self.seen.clear();
        Ok(())
    }
    fn begin_analysis(&mut self, info: &AnalysisInfo) -> io::Result<()> {
        let kind = info.kind.name();
        let k = self.seen.entry(kind).or_insert(0);
        *k += 1;
        let name = if *k == 1 {
            kind.to_string()
        } else {
            format!("{kind}_{k}")
        };
        let n = info.signals.len();
        self.tables.push(Table {
            name,
            point: self.point,
            info: info.clone(),
            sweep: Vec::new(),
            re: vec![Vec::new(); n],
            im: if info.complex {
                vec![Vec::new(); n]
            } else {
                Vec::new()
            },
            complete: false,
        });
        Ok(())
    }
    fn point(&mut self, sweep: f64, values: &[f64], imag: Option<&[f64]>) -> io::Result<()> {
        let t = self
            .tables
            .last_mut()
            .ok_or_else(|| io::Error::other("point() outside an analysis"))?;
        t.sweep.push(sweep);
        for (c, v) in t.re.iter_mut().zip(values) {
            c.push(*v);
        }
        if let Some(im) = imag {
            for (c, v) in t.im.iter_mut().zip(im) {
                c.push(*v);
            }
        }
        Ok(())
    }
    fn end_analysis(&mut self) -> io::Result<()> {
        if let Some(t) = self.tables.last_mut() {
            t.complete = true;
        }
        Ok(())
    }
    fn measures(&mut self, values: &[MeasureValue]) -> io::Result<()> {
        let p = self.point;
        self.measures.extend(values.iter().map(|m| (p, m.clone())));
        Ok(())
    }
    fn end_point(&mut self, index: usize, status: &PointStatus) -> io::Result<()> {
        self.status.push((index, status.clone()));
        self.point = None;
        Ok(())
    }
    fn finish(&mut self, complete: bool) -> io::Result<()> {
        self.complete = Some(complete);
        Ok(())
    }
}

// ------------------------------------------------------ signals, progress

/// What the calling thread learns while the GIL is released: Ctrl-C, and
/// an exception raised by the progress callback. Either stops the run.
struct Watch {
    cancel: Arc<AtomicBool>,
    callback: Option<Py<PyAny>>,
    /// Last signal check, last progress report.
    checked: Instant,
    reported: Instant,
    error: Option<PyErr>,
    total: usize,
}

impl Watch {
    fn new(cancel: Arc<AtomicBool>, callback: Option<Py<PyAny>>) -> Watch {
        Watch {
            cancel,
            callback,
            checked: Instant::now(),
            reported: Instant::now(),
            error: None,
            total: 0,
        }
    }

    /// Checks for signals, and reports progress `frac` to the callback,
    /// each at most every 50 ms (unless `force`). Only called on the thread
    /// that called `run`.
    fn poll(&mut self, frac: Option<f64>, force: bool) {
        if self.error.is_some() {
            return;
        }
        let report =
            frac.filter(|_| self.callback.is_some() && (force || self.reported.elapsed() >= POLL));
        if report.is_none() && !force && self.checked.elapsed() < POLL {
            return;
        }
        self.checked = Instant::now();
        if report.is_some() {
            self.reported = self.checked;
        }
        let res = Python::attach(|py| -> PyResult<()> {
            py.check_signals()?;
            if let (Some(cb), Some(f)) = (&self.callback, report) {
                cb.call1(py, (f.clamp(0.0, 1.0),))?;
            }
            Ok(())
        });
        if let Err(e) = res {
            self.error = Some(e);
            self.cancel.store(true, Ordering::Relaxed);
        }
    }
}

/// Progress of a run without sweep (the transient's fraction of `tstop`).
struct RunProgress<'a>(&'a RefCell<Watch>);

impl Progress for RunProgress<'_> {
    fn set(&mut self, frac: f64) {
        self.0.borrow_mut().poll(Some(frac), false);
    }
}

/// Progress of a sweep: points done / total.
struct PointsProgress<'a>(&'a RefCell<Watch>);

impl SweepProgress for PointsProgress<'_> {
    fn begin(&mut self, total: usize) {
        self.0.borrow_mut().total = total;
    }
    fn point_done(&mut self, done: usize, _failed: usize) {
        let mut w = self.0.borrow_mut();
        let f = done as f64 / w.total.max(1) as f64;
        let last = done == w.total;
        w.poll(Some(f), last);
    }
    fn end(&mut self) {}
    fn tick(&mut self) {
        self.0.borrow_mut().poll(None, false);
    }
}

/// The collector, the output file (if any), and a signal check at the
/// output points.
struct Tee<'a> {
    mem: &'a mut Collector,
    file: Option<Box<dyn Sink>>,
    watch: &'a RefCell<Watch>,
}

macro_rules! both {
    ($self:ident, $call:ident ( $($arg:expr),* )) => {{
        $self.mem.$call($($arg),*)?;
        match &mut $self.file {
            Some(f) => f.$call($($arg),*),
            None => Ok(()),
        }
    }};
}

impl Sink for Tee<'_> {
    fn begin_run(
        &mut self,
        title: &str,
        netlist: &str,
        steps: Option<&StepInfo>,
    ) -> io::Result<()> {
        both!(self, begin_run(title, netlist, steps))
    }
    fn sweep(&mut self, info: &SweepInfo) -> io::Result<()> {
        both!(self, sweep(info))
    }
    fn begin_point(&mut self, index: usize) -> io::Result<()> {
        both!(self, begin_point(index))
    }
    fn begin_analysis(&mut self, info: &AnalysisInfo) -> io::Result<()> {
        both!(self, begin_analysis(info))
    }
    fn point(&mut self, sweep: f64, values: &[f64], imag: Option<&[f64]>) -> io::Result<()> {
        let mut w = self.watch.borrow_mut();
        w.poll(None, false);
        if w.error.is_some() {
            return Err(interrupted());
        }
        drop(w);
        both!(self, point(sweep, values, imag))
    }
    fn end_analysis(&mut self) -> io::Result<()> {
        both!(self, end_analysis())
    }
    fn measures(&mut self, values: &[MeasureValue]) -> io::Result<()> {
        both!(self, measures(values))
    }
    fn end_point(&mut self, index: usize, status: &PointStatus) -> io::Result<()> {
        both!(self, end_point(index, status))
    }
    fn finish(&mut self, complete: bool) -> io::Result<()> {
        both!(self, finish(complete))
    }
}

// ------------------------------------------------------------ diagnostics

/// A diagnostic as a dict: message, severity, location (`file`, `line`,
/// `column`, `text`), label, help, the one-line and the rendered report,
/// and for analysis failures the time, unknown and device it names.
fn diag_dict<'py>(py: Python<'py>, d: &Diagnostic, sm: &SourceMap) -> PyResult<Bound<'py, PyDict>> {
    let o = PyDict::new(py);
    o.set_item("message", &d.message)?;
    let sev = match d.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    };
    o.set_item("severity", sev)?;
    let (mut file, mut line, mut column, mut text) = (None, None, None, None);
    if let Some(sp) = d.span {
        if (sp.file.0 as usize) < sm.files().len() {
            let loc = sm.location(sp);
            file = Some(loc.path.display().to_string());
            line = Some(loc.line);
            column = Some(loc.col);
            text = Some(sm.text(sp).to_string());
        }
    }
    o.set_item("file", file)?;
    o.set_item("line", line)?;
    o.set_item("column", column)?;
    o.set_item("text", text)?;
    o.set_item("label", &d.label)?;
    o.set_item("help", &d.help)?;
    let has_file = d
        .span
        .is_some_and(|sp| (sp.file.0 as usize) < sm.files().len());
    let (short, rendered) = if has_file {
        (d.short(sm), d.render(sm, false))
    } else {
        let s = format!("{sev}: {}", d.message);
        (s.clone(), s)
    };
    o.set_item("short", short)?;
    o.set_item("rendered", rendered)?;
    let f = failure_fields(&d.message);
    o.set_item("time", f.time)?;
    o.set_item("unknown", f.unknown)?;
    o.set_item("device", f.device)?;
    Ok(o)
}

/// Where an analysis failure happened, as its message states it.
#[derive(Debug, Default, PartialEq)]
struct Failure {
    time: Option<f64>,
    unknown: Option<String>,
    device: Option<String>,
}

/// Reads time, unknown and device off an analysis failure message:
/// `… at t = 2.5e-9 s …`, `worst unknown v(x) (device d1)`, `singular
/// matrix at v(x)`, `non-finite value at @m1[mx] (device m1)` (the forms of
/// `analysis::run`). Tested through the Python tests (an extension module
/// cannot link a Rust test binary).
fn failure_fields(msg: &str) -> Failure {
    let mut f = Failure::default();
    if let Some(rest) = msg.split("at t = ").nth(1) {
        f.time = rest.split_whitespace().next().and_then(|t| t.parse().ok());
    }
    let after = [
        "worst unknown ",
        "singular matrix at ",
        "non-finite value at ",
    ]
    .iter()
    .find_map(|k| msg.split(k).nth(1));
    if let Some(rest) = after {
        let unknown: String = rest
            .split_whitespace()
            .next()
            .unwrap_or("")
            .trim_end_matches([';', ',', '.'])
            .to_string();
        if !unknown.is_empty() && unknown != "an" {
            f.unknown = Some(unknown);
        }
        if let Some(dev) = rest.split("(device ").nth(1) {
            f.device = dev.split(')').next().map(str::to_string);
        }
    }
    f
}

// ------------------------------------------------------------- to Python

/// float64 values as a `bytearray` (native byte order).
fn f64_bytes<'py>(py: Python<'py>, v: &[f64]) -> PyResult<Bound<'py, PyByteArray>> {
    PyByteArray::new_with(py, v.len() * 8, |b| {
        for (c, x) in b.chunks_exact_mut(8).zip(v) {
            c.copy_from_slice(&x.to_ne_bytes());
        }
        Ok(())
    })
}

/// complex128 values (interleaved re, im) as a `bytearray`.
fn complex_bytes<'py>(
    py: Python<'py>,
    re: &[f64],
    im: &[f64],
) -> PyResult<Bound<'py, PyByteArray>> {
    PyByteArray::new_with(py, re.len() * 16, |b| {
        for ((c, r), i) in b.chunks_exact_mut(16).zip(re).zip(im) {
            c[..8].copy_from_slice(&r.to_ne_bytes());
            c[8..].copy_from_slice(&i.to_ne_bytes());
        }
        Ok(())
    })
}

/// Name, unit, and the CF `units` and `long_name` the HDF5 file carries.
fn signal_dict<'py>(py: Python<'py>, name: &str, unit: &str) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("name", name)?;
    d.set_item("unit", unit)?;
    d.set_item("units", cf::cf_units(unit))?;
    d.set_item("long_name", cf::long_name(name))?;
    Ok(d)
}

fn table_dict<'py>(py: Python<'py>, t: &Table) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("name", &t.name)?;
    d.set_item("kind", t.info.kind.name())?;
    d.set_item("point", t.point)?;
    d.set_item("complex", t.info.complex)?;
    d.set_item("complete", t.complete)?;
    d.set_item(
        "sweep",
        signal_dict(py, &t.info.sweep.name, &t.info.sweep.unit)?,
    )?;
    d.set_item("x", f64_bytes(py, &t.sweep)?)?;
    let signals = PyList::empty(py);
    for (k, s) in t.info.signals.iter().enumerate() {
        let sd = signal_dict(py, &s.name, &s.unit)?;
        let data = if t.info.complex {
            complex_bytes(py, &t.re[k], &t.im[k])?
        } else {
            f64_bytes(py, &t.re[k])?
        };
        sd.set_item("data", data)?;
        signals.append(sd)?;
    }
    d.set_item("signals", signals)?;
    Ok(d)
}

fn measure_dict<'py>(
    py: Python<'py>,
    point: Option<usize>,
    m: &MeasureValue,
) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("name", &m.name)?;
    d.set_item("analysis", m.analysis.name())?;
    d.set_item("unit", &m.unit)?;
    d.set_item("units", (!m.unit.is_empty()).then(|| cf::cf_units(&m.unit)))?;
    d.set_item(
        "long_name",
        cf::measure_long_name(&m.name, m.analysis.name()),
    )?;
    d.set_item("point", point)?;
    match &m.value {
        Ok(v) => {
            d.set_item("value", *v)?;
            d.set_item("error", None::<String>)?;
        }
        Err(e) => {
            d.set_item("value", f64::NAN)?;
            d.set_item("error", e)?;
        }
    }
    Ok(d)
}

/// The collected run as a dict (the layout `spinspice/_result.py` reads).
fn collector_dict<'py>(py: Python<'py>, c: &Collector) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("title", &c.title)?;
    d.set_item("netlist", &c.netlist)?;
    d.set_item("complete", c.complete.unwrap_or(false))?;
    let tables = PyList::empty(py);
    for t in &c.tables {
        tables.append(table_dict(py, t)?)?;
    }
    d.set_item("analyses", tables)?;
    let ms = PyList::empty(py);
    for (p, m) in &c.measures {
        ms.append(measure_dict(py, *p, m)?)?;
    }
    d.set_item("measures", ms)?;
    if let Some(s) = &c.steps {
        let sd = PyDict::new(py);
        sd.set_item("params", &s.params)?;
        sd.set_item("values", &s.values)?;
        d.set_item("steps", sd)?;
    } else {
        d.set_item("steps", None::<String>)?;
    }
    if let Some(sw) = &c.sweep {
        let sd = PyDict::new(py);
        let axes = PyList::empty(py);
        for a in &sw.grid.axes {
            let ad = signal_dict(py, &a.name, &a.unit)?;
            ad.set_item("values", &a.values)?;
            axes.append(ad)?;
        }
        sd.set_item("axes", axes)?;
        sd.set_item("measures", &sw.measures)?;
        sd.set_item("measure_units", &sw.measure_units)?;
        let cfu: Vec<String> = sw
            .measure_units
            .iter()
            .map(|u| {
                if u.is_empty() {
                    String::new()
                } else {
                    cf::cf_units(u)
                }
            })
            .collect();
        sd.set_item("measure_cf_units", cfu)?;
        sd.set_item("shard", sw.shard.map(|s| s.text()))?;
        d.set_item("sweep", sd)?;
    } else {
        d.set_item("sweep", None::<String>)?;
    }
    let status = PyList::empty(py);
    for (k, s) in &c.status {
        let (code, msg) = match s {
            PointStatus::Ok => (0, String::new()),
            PointStatus::Failed(m) => (1, m.clone()),
        };
        status.append((*k, code, msg))?;
    }
    d.set_item("status", status)?;
    Ok(d)
}

// ------------------------------------------------------------------ API

fn parse_value(name: &str, v: &Bound<'_, PyAny>) -> PyResult<f64> {
    if let Ok(x) = v.extract::<f64>() {
        return Ok(x);
    }
    let s: String = v.extract().map_err(|_| {
        PyValueError::new_err(format!(
            "params['{name}']: expected a number or a string like '1k'"
        ))
    })?;
    let t = s.trim();
    match spinspice::expr::number::parse_number(t) {
        Some((x, n)) if n == t.len() && x.is_finite() => Ok(x),
        _ => Err(PyValueError::new_err(format!(
            "params['{name}']: '{s}' is not a number"
        ))),
    }
}

/// Parses and runs a netlist; returns `(result, failures, warnings, fatal)`
/// where `fatal` is a list of diagnostics when nothing ran (parse or
/// elaboration errors), else None.
///
/// `netlist` is the netlist text, or a path when `is_path`. `params` are
/// (name, value) overrides, `steps` `--step` specifications, `jobs` 0 for
/// every core, `save` "all", "measures" or "none", `output` a file to write
/// as the command line does (.h5, .csv, .raw), `progress` a callable taking
/// a fraction in [0, 1].
#[pyfunction]
#[pyo3(signature = (netlist, is_path, params, steps, jobs, save, output, progress))]
#[allow(clippy::too_many_arguments)]
fn run<'py>(
    py: Python<'py>,
    netlist: String,
    is_path: bool,
    params: Vec<(String, Bound<'py, PyAny>)>,
    steps: Vec<String>,
    jobs: usize,
    save: &str,
    output: Option<PathBuf>,
    progress: Option<Py<PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    let mut overrides = Vec::with_capacity(params.len());
    for (name, v) in &params {
        overrides.push((name.trim().to_ascii_lowercase(), parse_value(name, v)?));
    }
    let cli_steps = steps
        .iter()
        .map(|s| parse_cli_step(s).map_err(|e| PyValueError::new_err(format!("step '{s}': {e}"))))
        .collect::<PyResult<Vec<_>>>()?;
    let save = SaveMode::parse(save).map_err(PyValueError::new_err)?;
    let outcome = py.detach(move || {
        let mut sm = SourceMap::new();
        let parsed = if is_path {
            spinspice::netlist::parse_file(Path::new(&netlist), &mut sm)
        } else {
            let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
            spinspice::netlist::parse_str("<netlist>", &netlist, &cwd, &mut sm)
        };
        let parsed = match parsed {
            Ok(p) => p,
            Err(d) => return Outcome::fatal(d, sm),
        };
        let text = sm
            .files()
            .first()
            .map(|f| f.text.clone())
            .unwrap_or_default();
        // The output file only once the netlist parses, as the command line.
        let file = match &output {
            Some(p) => match open_sink(p) {
                Ok(s) => Some(s),
                Err(e) => {
                    return Outcome::os_error(format!("cannot create '{}': {e}", p.display()))
                }
            },
            None => None,
        };
        let cancel = Arc::new(AtomicBool::new(false));
        let watch = RefCell::new(Watch::new(cancel.clone(), progress));
        let mut mem = Collector::default();
        let mut tee = Tee {
            mem: &mut mem,
            file,
            watch: &watch,
        };
        let mut report: Vec<u8> = Vec::new();
        let mut prog = RunProgress(&watch);
        let mut sprog = PointsProgress(&watch);
        let mut cfg = RunConfig {
            overrides,
            report: &mut report,
            progress: &mut prog,
            print_op: false,
            acct: false,
            steps: cli_steps,
            sweep: SweepOptions {
                jobs,
                save,
                shard: None,
                cancel: Some(cancel),
            },
            sweep_progress: &mut sprog,
        };
        let res = run_netlist(parsed.netlist, &text, &mut cfg, &mut tee);
        drop(tee);
        let mut warnings = parsed.warnings;
        let (failures, fatal) = match res {
            Ok(summary) => {
                warnings.extend(summary.warnings);
                (summary.failures, None)
            }
            Err(d) => (Vec::new(), Some(d)),
        };
        let mut watch = watch.into_inner();
        if watch.callback.is_some() && fatal.is_none() {
            // The last report, 1.0, whatever the throttle let through.
            watch.poll(Some(1.0), true);
        }
        Outcome {
            mem: Some(mem),
            failures,
            warnings,
            fatal,
            sm,
            error: watch.error,
            os_error: None,
        }
    });
    outcome.into_py(py)
}

/// What a run gives back to the Python side.
struct Outcome {
    mem: Option<Collector>,
    failures: Vec<(usize, Diagnostic)>,
    warnings: Vec<Diagnostic>,
    fatal: Option<Vec<Diagnostic>>,
    sm: SourceMap,
    /// Ctrl-C or an exception of the progress callback.
    error: Option<PyErr>,
    /// The output file could not be created.
    os_error: Option<String>,
}

impl Outcome {
    fn fatal(d: Vec<Diagnostic>, sm: SourceMap) -> Outcome {
        Outcome {
            mem: None,
            failures: Vec::new(),
            warnings: Vec::new(),
            fatal: Some(d),
            sm,
            error: None,
            os_error: None,
        }
    }

    fn os_error(msg: String) -> Outcome {
        Outcome {
            os_error: Some(msg),
            ..Outcome::fatal(Vec::new(), SourceMap::new())
        }
    }

    fn into_py(self, py: Python<'_>) -> PyResult<Bound<'_, PyAny>> {
        if let Some(e) = self.error {
            return Err(e);
        }
        if let Some(msg) = self.os_error {
            return Err(PyOSError::new_err(msg));
        }
        let out = PyDict::new(py);
        match &self.mem {
            Some(m) => out.set_item("result", collector_dict(py, m)?)?,
            None => out.set_item("result", None::<String>)?,
        }
        let failures = PyList::empty(py);
        for (k, d) in &self.failures {
            let dd = diag_dict(py, d, &self.sm)?;
            dd.set_item("point", *k)?;
            failures.append(dd)?;
        }
        out.set_item("failures", failures)?;
        let warnings = PyList::empty(py);
        for d in &self.warnings {
            warnings.append(diag_dict(py, d, &self.sm)?)?;
        }
        out.set_item("warnings", warnings)?;
        match &self.fatal {
            Some(ds) => {
                let l = PyList::empty(py);
                for d in ds {
                    l.append(diag_dict(py, d, &self.sm)?)?;
                }
                out.set_item("fatal", l)?;
            }
            None => out.set_item("fatal", None::<String>)?,
        }
        Ok(out.into_any())
    }
}

/// Reads a spinspice HDF5 file (finished, failed or killed) into the
/// structure `run` returns (`result`), with `failures`: the failed points
/// of a sweep as diagnostics (the file keeps their messages, not their
/// netlist places).
#[pyfunction]
fn read<'py>(py: Python<'py>, path: PathBuf) -> PyResult<Bound<'py, PyDict>> {
    let mem = py.detach(move || -> Result<Collector, String> {
        let mut c = Collector::default();
        spinspice::sweep::merge::replay_file(&path, &mut c)?;
        Ok(c)
    });
    let mem = mem.map_err(PyOSError::new_err)?;
    let d = collector_dict(py, &mem)?;
    let failures = PyList::empty(py);
    let sm = SourceMap::new();
    for (k, s) in &mem.status {
        if let PointStatus::Failed(msg) = s {
            let dd = diag_dict(py, &Diagnostic::plain(msg.clone()), &sm)?;
            dd.set_item("point", *k)?;
            failures.append(dd)?;
        }
    }
    d.set_item("failures", failures)?;
    Ok(d)
}

/// The native part of the `spinspice` package.
#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(run, m)?)?;
    m.add_function(wrap_pyfunction!(read, m)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
