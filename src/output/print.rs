//! `.print`: a table of outputs per analysis, on stdout or in `FILE=`, as
//! ngspice prints it in batch mode (Xyce writes the same columns to a file).
//!
//! [`PrintSink`] sits in front of the run's sink and passes every call on; at
//! each `begin_analysis` it picks the `.print` lines of that analysis
//! (`.print tran …`; a `.print` without an analysis word prints every
//! analysis), and prints one row per output point, streamed (no waveform is
//! held). Columns:
//!
//! ```text
//! Index   time            v(out)          vdb(x)
//! 0       0.000000e+00    1.000000e+00    …
//! ```
//!
//! - `v(a)`, `v(a,b)`, `i(dev)`, `@dev[var]`: the saved signal (`v(a,b)` is
//!   v(a) − v(b) when not saved as such). In AC a bare `v(…)`/`i(…)` prints
//!   `re,im` (as ngspice does).
//! - `vm vdb vp vr vi` and `im idb ip ir ii`: magnitude, 20·log10|x|, phase
//!   [rad], real and imaginary part (ngspice's definitions; in DC and
//!   transient the value is real: phase 0 or π).
//! - `{expr}`: any expression of those probes and parameters (a probe inside
//!   an AC expression is its magnitude).
//! - `FORMAT=CSV`: comma-separated, one header line; `FILE=path`: the table
//!   goes to that file (created or truncated by the first analysis printed).
//!
//! The items were checked at elaboration (a missing node or device is
//! dropped there with a warning), so every probe names a saved signal.

use super::*;
use crate::elab::PrintSpec;
use crate::expr::eval::{eval, Env};
use crate::expr::{Expr, ExprKind};
use std::collections::HashMap;
use std::fs::File;
use std::io::{BufWriter, Write};

/// The table printed to one destination for the current analysis: the
/// columns of every `.print` line of that analysis with that destination,
/// in netlist order (one table, as the rows are streamed).
struct Active {
    file: Option<String>,
    csv: bool,
    /// Label, expression, and whether it prints as `re,im` (a bare probe in AC).
    cols: Vec<(String, Expr, bool)>,
    row: usize,
}

pub struct PrintSink<'a> {
    inner: &'a mut dyn Sink,
    specs: Vec<PrintSpec>,
    /// Writers: stdout or the FILE= of each spec (opened on first use).
    files: HashMap<String, BufWriter<File>>,
    active: Vec<Active>,
    kind: Option<AnalysisKind>,
    names: HashMap<String, usize>,
    sweep_name: String,
    step: Option<usize>,
    /// Messages to show once (a FILE= that cannot be written).
    pub warnings: Vec<String>,
}

impl<'a> PrintSink<'a> {
    pub fn new(inner: &'a mut dyn Sink, specs: Vec<PrintSpec>) -> PrintSink<'a> {
        PrintSink {
            inner,
            specs,
            files: HashMap::new(),
            active: Vec::new(),
            kind: None,
            names: HashMap::new(),
            sweep_name: String::new(),
            step: None,
            warnings: Vec::new(),
        }
    }

    fn out(&mut self, file: Option<&str>, text: &str) -> io::Result<()> {
        match file {
            None => {
                let mut o = io::stdout().lock();
                o.write_all(text.as_bytes())
            }
            Some(path) => {
                if !self.files.contains_key(path) {
                    match File::create(path) {
                        Ok(f) => {
                            self.files.insert(path.to_string(), BufWriter::new(f));
                        }
                        Err(e) => {
                            let msg = format!(".print FILE={path}: {e}; printing to stdout");
                            if !self.warnings.contains(&msg) {
                                eprintln!("warning: {msg}");
                                self.warnings.push(msg);
                            }
                            return io::stdout().lock().write_all(text.as_bytes());
                        }
                    }
                }
                match self.files.get_mut(path) {
                    Some(f) => f.write_all(text.as_bytes()),
                    None => Ok(()),
                }
            }
        }
    }

    fn header(&mut self, k: usize) -> io::Result<()> {
        let a = &self.active[k];
        let sep = if a.csv { "," } else { "\t" };
        let mut h = String::new();
        if !a.csv {
            if let Some(p) = self.step {
                h.push_str(&format!("\n* step {p}\n"));
            }
        }
        h.push_str("Index");
        h.push_str(sep);
        h.push_str(&self.sweep_name);
        for (label, _, cplx) in &a.cols {
            h.push_str(sep);
            if *cplx && a.csv {
                h.push_str(&format!("re({label}){sep}im({label})"));
            } else {
                h.push_str(label);
            }
        }
        h.push('\n');
        let file = a.file.clone();
        self.out(file.as_deref(), &h)
    }
}

/// `%e` as C prints it (`1.000000e+01`), the form ngspice's tables use.
fn sci(v: f64) -> String {
    let s = format!("{v:.6e}");
    match s.split_once('e') {
        Some((m, e)) => {
            let (sign, digits) = match e.strip_prefix('-') {
                Some(d) => ('-', d),
                None => ('+', e),
            };
            format!("{m}e{sign}{digits:0>2}")
        }
        None => s, // NaN, inf
    }
}

/// Probe values of one output point, by signal name.
struct RowEnv<'r> {
    names: &'r HashMap<String, usize>,
    re: &'r [f64],
    im: Option<&'r [f64]>,
    /// The sweep value (`time`, `frequency`, the `.dc` source).
    sweep: f64,
}

impl RowEnv<'_> {
    /// The complex value of `v(…)`/`i(…)`/`@dev[var]` by its base name.
    fn base(&self, func: &str, args: &[String]) -> Option<(f64, f64)> {
        let get = |name: &str| {
            let k = *self.names.get(name)?;
            Some((self.re[k], self.im.map_or(0.0, |im| im[k])))
        };
        let node = |a: &str| -> Option<(f64, f64)> {
            if a == "0" || a == "gnd" {
                Some((0.0, 0.0))
            } else {
                get(&format!("v({a})"))
            }
        };
        match (func, args) {
            ("@", [d, v]) => get(&format!("@{d}[{v}]")),
            (f, [a]) if f.starts_with('v') => node(a),
            (f, [a, b]) if f.starts_with('v') => get(&format!("v({a},{b})")).or_else(|| {
                let (x, y) = (node(a)?, node(b)?);
                Some((x.0 - y.0, x.1 - y.1))
            }),
            (f, [d]) if f.starts_with('i') => get(&format!("i({d})")),
            _ => None,
        }
    }
}

impl Env for RowEnv<'_> {
    fn ident(&self, name: &str) -> Option<f64> {
        matches!(name, "time" | "frequency" | "freq").then_some(self.sweep)
    }
    fn probe(&self, func: &str, args: &[String]) -> Option<f64> {
        let (re, im) = self.base(func, args)?;
        let mag = re.hypot(im);
        Some(match func.get(1..).unwrap_or("") {
            "m" => mag,
            "db" => 20.0 * mag.log10(),
            "p" => im.atan2(re),
            "r" => re,
            "i" => im,
            // a bare probe: the value (its magnitude in AC)
            _ if self.im.is_some() => mag,
            _ => re,
        })
    }
}

fn bare_probe(e: &Expr) -> bool {
    matches!(&e.kind, ExprKind::Probe { func, .. } if func == "v" || func == "i" || func == "@")
}

impl Sink for PrintSink<'_> {
    fn begin_run(&mut self, t: &str, n: &str, s: Option<&StepInfo>) -> io::Result<()> {
        self.inner.begin_run(t, n, s)
    }
    fn sweep(&mut self, info: &SweepInfo) -> io::Result<()> {
        self.inner.sweep(info)
    }
    fn begin_point(&mut self, index: usize) -> io::Result<()> {
        self.step = Some(index);
        self.inner.begin_point(index)
    }
    fn begin_analysis(&mut self, info: &AnalysisInfo) -> io::Result<()> {
        self.kind = Some(info.kind);
        self.active.clear();
        self.names = info
            .signals
            .iter()
            .enumerate()
            .map(|(k, s)| (s.name.clone(), k))
            .collect();
        self.sweep_name = info.sweep.name.clone();
        for spec in &self.specs {
            if spec.cols.is_empty()
                || spec
                    .analysis
                    .as_ref()
                    .is_some_and(|a| a != info.kind.name())
            {
                continue;
            }
            let k = match self.active.iter().position(|a| a.file == spec.file) {
                Some(k) => k,
                None => {
                    self.active.push(Active {
                        file: spec.file.clone(),
                        csv: spec.csv,
                        cols: Vec::new(),
                        row: 0,
                    });
                    self.active.len() - 1
                }
            };
            for (label, e) in &spec.cols {
                let cplx = info.complex && bare_probe(e);
                self.active[k].cols.push((label.clone(), e.clone(), cplx));
            }
        }
        for k in 0..self.active.len() {
            self.header(k)?;
        }
        self.inner.begin_analysis(info)
    }
    fn point(&mut self, sweep: f64, values: &[f64], imag: Option<&[f64]>) -> io::Result<()> {
        for k in 0..self.active.len() {
            let a = &self.active[k];
            let env = RowEnv {
                names: &self.names,
                re: values,
                im: imag,
                sweep,
            };
            let sep = if a.csv { "," } else { "\t" };
            let mut line = format!("{}{sep}{}", a.row, sci(sweep));
            for (_, e, cplx) in &a.cols {
                line.push_str(sep);
                if *cplx {
                    let (re, im) = match &e.kind {
                        ExprKind::Probe { func, args } => env.base(func, args),
                        _ => None,
                    }
                    .unwrap_or((f64::NAN, f64::NAN));
                    let mid = if a.csv { "," } else { ",\t" };
                    line.push_str(&format!("{}{mid}{}", sci(re), sci(im)));
                } else {
                    line.push_str(&sci(eval(e, &env).unwrap_or(f64::NAN)));
                }
            }
            line.push('\n');
            let file = a.file.clone();
            self.active[k].row += 1;
            self.out(file.as_deref(), &line)?;
        }
        self.inner.point(sweep, values, imag)
    }
    fn labels(&mut self, labels: &crate::output::PointLabels) -> io::Result<()> {
        self.inner.labels(labels)
    }
    fn end_analysis(&mut self) -> io::Result<()> {
        for f in self.files.values_mut() {
            f.flush()?;
        }
        if !self.active.is_empty() {
            io::stdout().lock().flush()?;
        }
        self.active.clear();
        self.inner.end_analysis()
    }
    fn measures(&mut self, values: &[MeasureValue]) -> io::Result<()> {
        self.inner.measures(values)
    }
    fn end_point(&mut self, index: usize, status: &PointStatus) -> io::Result<()> {
        self.inner.end_point(index, status)
    }
    fn finish(&mut self, complete: bool) -> io::Result<()> {
        for f in self.files.values_mut() {
            f.flush()?;
        }
        self.inner.finish(complete)
    }
}
