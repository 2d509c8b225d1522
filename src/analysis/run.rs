//! The run driver: netlist AST → (for each `.step` point) elaborated circuit →
//! DAE system → each analysis in netlist order → sink, with measures.
//!
//! Results are pushed to the sink point by point as they are computed; when an
//! analysis fails, everything computed so far is already in the sink and the
//! caller finishes it with `complete = false`.

use super::ac::{ac, AcError};
use super::dc::{dc_sweep, DcError, DcVar};
use super::meas::{self, Column, MeasData};
use super::newton::NewtonError;
use super::op::{dc_ctx, operating_point, OpReport};
use super::outputs::{self, Source};
use super::tran::{transient, TranError};
use crate::diag::Diagnostic;
use crate::elab::{elaborate, AnalysisSpec, Circuit};
use crate::expr::eval::Env;
use crate::netlist::ast::{FuncDef, MeasAnalysis, Measure, Netlist, Stmt};
use crate::output::{AnalysisInfo, AnalysisKind, MeasureValue, SignalInfo, Sink};
use crate::sweep::exec::{NoSweepProgress, SaveMode, SweepOptions, SweepProgress};
use crate::sweep::grid::CliStep;
use crate::system::{Mode, System};
use std::collections::HashMap;
use std::io::Write;

/// Receives progress in [0, 1] (the CLI draws a bar).
pub trait Progress {
    fn set(&mut self, frac: f64);
}

/// No progress display.
pub struct NoProgress;
impl Progress for NoProgress {
    fn set(&mut self, _: f64) {}
}

/// Options of one run.
pub struct RunConfig<'a> {
    /// `--param NAME=VALUE` overrides.
    pub overrides: Vec<(String, f64)>,
    /// Print measures and operating points here (stdout in the CLI).
    pub report: &'a mut dyn Write,
    pub progress: &'a mut dyn Progress,
    /// Print operating-point values of `.op`.
    pub print_op: bool,
    /// Collect statistics and timings as with `.options acct`.
    pub acct: bool,
    /// `--step` sweeps from the command line.
    pub steps: Vec<CliStep>,
    /// `--jobs`, `--save`, `--shard`.
    pub sweep: SweepOptions,
    /// Progress of a sweep (points done / total).
    pub sweep_progress: &'a mut dyn SweepProgress,
}

/// Statistics of one analysis (`--stats`, `.options acct`).
#[derive(Debug, Clone)]
pub enum AnalysisStats {
    Tran {
        tran: super::tran::TranStats,
        wall: f64,
    },
    Hb {
        /// Kept harmonics (with DC), time samples, unknowns.
        harmonics: usize,
        samples: usize,
        unknowns: usize,
        method: super::hb::solve::Method,
        stats: super::hb::solve::Stats,
        continuation: usize,
        wall: f64,
    },
}

impl AnalysisStats {
    /// `name = value` lines.
    pub fn lines(&self) -> Vec<String> {
        match self {
            AnalysisStats::Tran { tran, wall } => tran_lines(tran, *wall),
            AnalysisStats::Hb {
                harmonics,
                samples,
                unknowns,
                method,
                stats,
                continuation,
                wall,
            } => vec![
                format!("harmonic balance wall time [s] = {wall:.4}"),
                format!("harmonics (with DC) = {harmonics}, time samples = {samples}, unknowns = {unknowns}"),
                format!("linear solver = {method:?}"),
                format!("newton iterations = {}", stats.newton),
                format!("residual evaluations = {}", stats.residuals),
                format!("factorizations = {}", stats.factorizations),
                format!("krylov iterations = {}", stats.krylov),
                format!("source continuation steps = {continuation}"),
            ],
        }
    }
}

fn tran_lines(t: &super::tran::TranStats, wall: f64) -> Vec<String> {
    let n = &t.newton;
    let ms = |ns: u64| ns as f64 * 1e-6;
    vec![
        format!("transient wall time [s] = {wall:.4}"),
        format!("accepted steps = {}", t.accepted),
        format!("rejected steps (truncation error) = {}", t.rejected_lte),
        format!(
            "steps accepted at minstep above the error tolerance = {}",
            t.lte_at_minstep
        ),
        format!("rejected steps (Newton) = {}", t.rejected_newton),
        format!("newton iterations = {}", n.iterations),
        format!("device loads = {}", n.loads),
        format!(
            "factorizations = {} (pivoting {}, refactor {}, repivot {}), reused = {}",
            t.lu.full + t.lu.refactor,
            t.lu.full,
            t.lu.refactor,
            t.lu.repivot,
            t.lu.reused
        ),
        format!("solves = {}", t.lu.solves),
        format!(
            "time in load / factor / solve [ms] = {:.1} / {:.1} / {:.1}",
            ms(n.load_ns),
            ms(n.factor_ns),
            ms(n.solve_ns)
        ),
    ]
}

#[derive(Debug, Default)]
pub struct RunSummary {
    /// Transient statistics (last point), and whether `.options acct` asked for them.
    pub stats: Vec<AnalysisStats>,
    pub acct: bool,
    /// Points run (1 without a sweep; the shard's points with `--shard`).
    pub points: usize,
    /// The run was a sweep.
    pub sweep: bool,
    /// Timing of the sweep.
    pub sweep_stats: Option<crate::sweep::exec::SweepStats>,
    /// Errors of failed points (step index, message); empty when all succeeded.
    pub failures: Vec<(usize, Diagnostic)>,
    pub warnings: Vec<Diagnostic>,
    /// Measures of the last point (for library users and tests).
    pub measures: Vec<MeasureValue>,
}

/// Run a parsed netlist. `Err` only for errors before any analysis ran
/// (elaboration); analysis failures are in `RunSummary::failures`, and the
/// sink has been finished with `complete = false` in that case.
///
/// Takes the netlist by value: a run without `.step` drops the AST once the
/// circuit is elaborated (it is large for big netlists); a `.step` run keeps
/// it to elaborate each point.
pub fn run(
    nl: Netlist,
    text: &str,
    cfg: &mut RunConfig,
    sink: &mut dyn Sink,
) -> Result<RunSummary, Vec<Diagnostic>> {
    check_overrides(&nl, &cfg.overrides)?;
    let mut base = elaborate(&nl, &cfg.overrides)?;
    require_analysis(&base)?;
    base.options.acct |= cfg.acct;
    let mut warnings = base.warnings.clone();
    // `.print` tables are printed from the stream of points, in point order.
    let mut printer = crate::output::print::PrintSink::new(sink, std::mem::take(&mut base.prints));
    let sink: &mut dyn Sink = &mut printer;
    let plan = crate::sweep::sweep_grid(&nl, &base, &cfg.overrides, &cfg.steps, cfg.sweep.shard)?;
    warnings.extend(crate::sweep::mc_notes(
        &base,
        plan.as_ref().map(|p| &p.1[..]),
    ));
    if let Some((grid, targets)) = plan {
        // A sweep (.step / --step): the points run in parallel.
        let measure_names: Vec<(String, String, AnalysisKind)> = base
            .measures
            .iter()
            .map(|m| {
                let kind = meas::analysis_kind(m.analysis);
                (m.name.name.clone(), meas::unit_of(m), kind)
            })
            .collect();
        // What would fail every point before its first analysis fails once,
        // here; the measures that will fail are said once.
        let sys =
            System::build(&base.node_names, base.devices, &base.options).map_err(|d| vec![d])?;
        outputs::select(&sys, &base.saves).map_err(|d| vec![d])?;
        warnings.extend(measure_problems(&sys, &base.measures));
        drop(sys);
        let mut summary =
            crate::sweep::run_sweep(&nl, text, cfg, grid, targets, measure_names, sink)?;
        summary.warnings = warnings;
        return Ok(summary);
    }
    if cfg.sweep.shard.is_some() {
        return Err(vec![Diagnostic::plain(
            "--shard needs a sweep (.step lines or --step)",
        )]);
    }
    let mut summary = RunSummary {
        warnings,
        ..Default::default()
    };
    drop(nl);
    // --save measures / none: no waveforms, the measures only.
    let keep = cfg.sweep.save == SaveMode::All;
    let mut filter =
        crate::sweep::exec::DropWaveforms::new(sink, keep).with_cancel(cfg.sweep.cancel.clone());
    let sink: &mut dyn Sink = &mut filter;
    sink.begin_run(&base.title, text, None).map_err(io_diag)?;
    summary.points = 1;
    let mut prog = |f: f64| cfg.progress.set(f);
    summary.acct = base.options.acct;
    let r = run_circuit(
        base,
        sink,
        cfg.report,
        &mut prog,
        cfg.print_op,
        &mut summary.measures,
        &mut summary.stats,
        &mut summary.warnings,
        &mut PointCache::default(),
    );
    if let Err(e) = r {
        summary.failures.push((0, e));
    }
    let ok = summary.failures.is_empty();
    sink.finish(ok).map_err(io_diag)?;
    Ok(summary)
}

fn io_diag(e: std::io::Error) -> Vec<Diagnostic> {
    vec![Diagnostic::plain(format!(
        "cannot write the output file: {e}"
    ))]
}

/// `--param` names must exist as top-level `.param`s (catches typos).
fn check_overrides(nl: &Netlist, ov: &[(String, f64)]) -> Result<(), Vec<Diagnostic>> {
    for (name, _) in ov {
        let known = name == "temp"
            || nl.statements.iter().any(|st| match st {
                Stmt::Param(list, _) => list.iter().any(|p| &p.name.name == name),
                _ => false,
            });
        if !known {
            return Err(vec![Diagnostic::plain(format!(
                "--param {name}=…: the netlist has no '.param {name}'"
            ))]);
        }
    }
    Ok(())
}

/// Human description of unknown `i`: its label and the device it belongs to.
pub fn describe_unknown(sys: &System, i: usize) -> String {
    if i == 0 || i > sys.n {
        return "an unidentified unknown".into();
    }
    let label = sys.unknown_label(i);
    match sys.unknowns[i].owner {
        Some(d) => format!("{label} (device {})", sys.devices[d].name()),
        // the devices attached to this node
        None => match super::op::devices_on(sys, i).strip_prefix("; ") {
            Some(at) => format!("{label} ({at})"),
            None => label,
        },
    }
}

fn newton_msg(sys: &System, e: &NewtonError) -> String {
    let msg = match e {
        NewtonError::NoConvergence {
            worst: 0,
            iterations,
        } => format!(
            "Newton did not converge in {iterations} iterations (a device limited or \
             substituted its evaluation in the last one)"
        ),
        NewtonError::NoConvergence { worst, iterations } => format!(
            "Newton did not converge in {iterations} iterations; worst unknown {}",
            describe_unknown(sys, *worst)
        ),
        NewtonError::Singular { unknown: Some(u) } => {
            format!("singular matrix at {}", describe_unknown(sys, *u))
        }
        NewtonError::Singular { unknown: None } => "singular matrix".into(),
        NewtonError::NonFinite { unknown } => {
            format!("non-finite value at {}", describe_unknown(sys, *unknown))
        }
    };
    // the devices whose own equations could not be evaluated (they name
    // the culprit where the worst unknown may be an innocent neighbour)
    let notes: Vec<String> = sys
        .devices
        .iter()
        .filter_map(|d| d.convergence_note())
        .collect();
    if notes.is_empty() {
        msg
    } else {
        format!("{}; {msg}", notes.join("; "))
    }
}

/// Signals the measures read that the system does not give (a device
/// without that variable or without a current, a function that is not a
/// probe), as warnings at their place: such a measure fails at the end of
/// the analysis (ngspice's semantics: the run goes on). Missing nodes and
/// devices are warned about by the elaborator already.
fn measure_problems(sys: &System, measures: &[Measure]) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for m in measures {
        for (func, args, span) in meas::probes_of(m) {
            let what = format!("measure '{}'", m.name.name);
            let why = match meas::probe_base(&func, args.len()) {
                None => Some(format!(
                    "'{func}' is not a probe function (v, i, @dev[var] and the AC forms vm, vdb, vp, vr, vi)"
                )),
                Some((_, false)) => Some(format!("malformed signal {func}({})", args.join(","))),
                Some(("i", _)) if sys.by_name.contains_key(&args[0]) => {
                    outputs::current_source(sys, &args[0])
                        .is_none()
                        .then(|| outputs::current_error(sys, &args[0]))
                }
                Some(("@", _)) if sys.by_name.contains_key(&args[0]) => {
                    outputs::device_var_source(sys, &args[0], &args[1])
                        .is_none()
                        .then(|| outputs::device_var_error(sys, &args[0], &args[1]))
                }
                _ => None,
            };
            if let Some(why) = why {
                out.push(Diagnostic::warning(
                    span,
                    format!("{what}: {why}; the measure will fail"),
                ));
            }
        }
    }
    out
}

/// What `spinspice check` reports of a netlist that passed.
#[derive(Debug, Default)]
pub struct CheckSummary {
    pub nodes: usize,
    pub devices: usize,
    pub unknowns: usize,
    pub analyses: usize,
    /// Swept names and the number of points, for a sweep.
    pub sweep: Option<(Vec<String>, usize)>,
    pub warnings: Vec<Diagnostic>,
}

/// Everything a run does before its first analysis, for the nominal point
/// (`spinspice check`): the `--param` names, elaboration, the analyses and
/// their sizes, the sweep grid, the DAE system, the saved signals; and every
/// signal a measure reads (a warning: such a measure fails, the run goes
/// on). So a netlist that checks can only fail in `run` by the numerics (or
/// at a sweep point whose values break it).
pub fn check(
    nl: &Netlist,
    overrides: &[(String, f64)],
    steps: &[CliStep],
) -> Result<CheckSummary, Vec<Diagnostic>> {
    check_overrides(nl, overrides)?;
    let c = elaborate(nl, overrides)?;
    require_analysis(&c)?;
    let sweep = crate::sweep::sweep_grid(nl, &c, overrides, steps, None)?
        .map(|(g, _)| (g.axes.iter().map(|a| a.name.clone()).collect(), g.len()));
    let mut summary = CheckSummary {
        nodes: c.node_names.len().saturating_sub(1),
        devices: c.devices.len(),
        analyses: c.analyses.len(),
        sweep,
        warnings: c.warnings.clone(),
        ..Default::default()
    };
    let sys = System::build(&c.node_names, c.devices, &c.options).map_err(|d| vec![d])?;
    summary.unknowns = sys.n;
    outputs::select(&sys, &c.saves).map_err(|d| vec![d])?;
    summary.warnings.extend(measure_problems(&sys, &c.measures));
    Ok(summary)
}

/// A netlist without `.op`, `.dc`, `.ac`, `.tran` or `.hb` has nothing to run: an
/// error, not an empty output file and exit 0.
fn require_analysis(c: &Circuit) -> Result<(), Vec<Diagnostic>> {
    if c.analyses.is_empty() {
        let top = crate::diag::Span::new(crate::diag::FileId(0), 0, 0);
        return Err(vec![Diagnostic::error(
            top,
            "the netlist has no analysis: nothing to simulate",
        )
        .with_help("add .op, .dc, .ac, .tran or .hb")]);
    }
    Ok(())
}

/// The measures of one analysis, fed with every output point: the
/// probe values they read, computed from the solution ([`meas::stream`]).
struct MeasFeed<'m> {
    stream: meas::stream::MeasStream<'m>,
    sources: Vec<Option<Source>>,
    re: Vec<f64>,
    im: Vec<f64>,
}

/// The output column a base probe reads, if the circuit has it.
fn probe_source(sys: &System, f: &str, a: &[String]) -> Option<Source> {
    match (f, a) {
        ("v", [n]) => sys.nodes.get(n).map(|&i| Source::Unknown(i)),
        ("v", [p, n]) => match (sys.nodes.get(p), sys.nodes.get(n)) {
            (Some(&p), Some(&n)) => Some(Source::Diff(p, n)),
            _ => None,
        },
        ("i", [d]) => outputs::current_source(sys, d),
        ("@", [d, v]) => outputs::device_var_source(sys, d, v).map(|x| x.0),
        _ => None,
    }
}

impl<'m> MeasFeed<'m> {
    fn new(
        sys: &System,
        kind: MeasAnalysis,
        measures: &[&'m Measure],
        env: &'m dyn Env,
        complex: bool,
    ) -> MeasFeed<'m> {
        let known = |f: &str, a: &[String]| probe_source(sys, f, a).is_some();
        let stream = meas::stream::MeasStream::new(kind, measures, env, complex, &known);
        let sources: Vec<Option<Source>> = stream
            .probes()
            .iter()
            .map(|(f, a)| probe_source(sys, f, a))
            .collect();
        let n = sources.len();
        MeasFeed {
            stream,
            sources,
            re: vec![0.0; n],
            im: vec![0.0; n],
        }
    }

    fn real(&mut self, sys: &System, t: f64, x: &[f64], cx: &crate::system::LoadCtx) {
        for (v, s) in self.re.iter_mut().zip(&self.sources) {
            *v = s.map_or(f64::NAN, |s| outputs::eval_source(sys, s, x, cx));
        }
        self.stream.push(t, &self.re, None);
    }

    fn complex(&mut self, f: f64, xc: &[num_complex::Complex64]) {
        for k in 0..self.sources.len() {
            let v = match self.sources[k] {
                Some(Source::Unknown(i)) => xc[i],
                Some(Source::Diff(a, b)) => xc[a] - xc[b],
                _ => num_complex::Complex64::new(f64::NAN, f64::NAN),
            };
            self.re[k] = v.re;
            self.im[k] = v.im;
        }
        self.stream.push(f, &self.re, Some(&self.im));
    }
}

/// The columns `.meas hb` / `.meas hb_td` read, whole (a steady state's
/// spectrum or one period: small), for the batch measure engine.
struct Recorded {
    kind: MeasAnalysis,
    axis: Vec<f64>,
    keys: Vec<(String, Vec<String>)>,
    sources: Vec<Source>,
    re: Vec<Vec<f64>>,
    im: Option<Vec<Vec<f64>>>,
}

impl MeasData for Recorded {
    fn analysis(&self) -> MeasAnalysis {
        self.kind
    }
    fn axis(&self) -> &[f64] {
        &self.axis
    }
    fn column(&self, func: &str, args: &[String]) -> Option<Column<'_>> {
        let k = self
            .keys
            .iter()
            .position(|(f, a)| f == func && a.as_slice() == args)?;
        Some(match &self.im {
            Some(im) => Column::Complex(&self.re[k], &im[k]),
            None => Column::Real(&self.re[k]),
        })
    }
}

impl Recorded {
    fn new(sys: &System, kind: MeasAnalysis, measures: &[&Measure], complex: bool) -> Recorded {
        let owned: Vec<Measure> = measures.iter().map(|m| (*m).clone()).collect();
        let mut keys = Vec::new();
        let mut sources = Vec::new();
        for (f, a) in meas::required_probes(&owned) {
            let src = probe_source(sys, &f, &a);
            if let Some(s) = src {
                keys.push((f, a));
                sources.push(s);
            }
        }
        let n = sources.len();
        Recorded {
            kind,
            axis: Vec::new(),
            keys,
            sources,
            re: vec![Vec::new(); n],
            im: complex.then(|| vec![Vec::new(); n]),
        }
    }
}

struct ParamEnv<'a> {
    params: &'a HashMap<String, f64>,
    funcs: &'a HashMap<String, FuncDef>,
}

impl Env for ParamEnv<'_> {
    fn ident(&self, name: &str) -> Option<f64> {
        self.params.get(name).copied()
    }
    fn func(&self, name: &str) -> Option<&FuncDef> {
        self.funcs.get(name)
    }
}

fn meas_kind(k: AnalysisKind) -> Option<MeasAnalysis> {
    match k {
        AnalysisKind::Tran => Some(MeasAnalysis::Tran),
        AnalysisKind::Dc => Some(MeasAnalysis::Dc),
        AnalysisKind::Ac => Some(MeasAnalysis::Ac),
        AnalysisKind::Hb => Some(MeasAnalysis::Hb),
        AnalysisKind::HbTd => Some(MeasAnalysis::HbTd),
        AnalysisKind::Op => None,
    }
}

/// Run all analyses of one elaborated circuit. Results go to `sink` (and
/// `report`), measures, statistics and warnings to the three vectors.
/// What a worker keeps between the points it runs (each sweep worker has
/// one; a run without sweep makes its own): analysis state that does not
/// depend on the point's values, reused when the next point fits it.
#[derive(Default)]
pub struct PointCache {
    pub hb: super::hb::Reuse,
}

#[allow(clippy::too_many_arguments)]
pub fn run_circuit(
    c: Circuit,
    sink: &mut dyn Sink,
    report: &mut dyn Write,
    progress: &mut dyn FnMut(f64),
    print_op: bool,
    measures_out: &mut Vec<MeasureValue>,
    stats_out: &mut Vec<AnalysisStats>,
    warnings: &mut Vec<Diagnostic>,
    cache: &mut PointCache,
) -> Result<(), Diagnostic> {
    let Circuit {
        node_names,
        devices,
        analyses,
        options,
        ic,
        nodeset,
        saves,
        print_saves,
        measures,
        params,
        funcs,
        ..
    } = c;
    let mut sys = System::build(&node_names, devices, &options)?;
    let mut outs = outputs::select(&sys, &saves)?;
    for it in &print_saves {
        if let Err(e) = outs.add(&sys, it) {
            let _ = writeln!(
                std::io::stderr(),
                "warning: .print: {}; that column prints NaN",
                e.message
            );
        }
    }
    let nsig = outs.signals.len();
    let mut vals = vec![0.0; nsig];
    let mut imag = vec![0.0; nsig];
    let env = ParamEnv {
        params: &params,
        funcs: &funcs,
    };
    let n_an = analyses.len().max(1);
    for (ai, (an, span)) in analyses.iter().enumerate() {
        let frac0 = ai as f64 / n_an as f64;
        let kind = match an {
            AnalysisSpec::Op => AnalysisKind::Op,
            AnalysisSpec::Dc(_) => AnalysisKind::Dc,
            AnalysisSpec::Ac(_) => AnalysisKind::Ac,
            AnalysisSpec::Tran(_) => AnalysisKind::Tran,
            AnalysisSpec::Hb(_) => AnalysisKind::Hb,
        };
        let mk = meas_kind(kind);
        let these: Vec<&Measure> = measures.iter().filter(|m| Some(m.analysis) == mk).collect();
        let mut rec = mk
            .filter(|_| !these.is_empty() && kind != AnalysisKind::Hb)
            .map(|k| MeasFeed::new(&sys, k, &these, &env, kind == AnalysisKind::Ac));
        let fail = |msg: String| Diagnostic::error(*span, msg);
        // the analysis; its warnings (sys.notes) are kept whether it fails or not
        let res = (|| -> Result<(), Diagnostic> {
            match an {
                AnalysisSpec::Hb(spec) => {
                    let mut out = MeasOut {
                        report: &mut *report,
                        env: &env,
                        values: &mut *measures_out,
                    };
                    run_hb(
                        &mut sys,
                        spec,
                        &outs,
                        &measures,
                        sink,
                        &mut out,
                        stats_out,
                        &mut cache.hb,
                    )
                    .map_err(fail)?;
                }
                AnalysisSpec::Op => {
                    let info = AnalysisInfo {
                        kind,
                        sweep: SignalInfo::new("index", ""),
                        signals: outs.signals.clone(),
                        complex: false,
                    };
                    sink.begin_analysis(&info)
                        .map_err(|e| fail(format!("output: {e}")))?;
                    let mut ws = sys.workspace();
                    let mut nt = super::newton::Newton::new(&sys)
                        .map_err(|_| fail("singular matrix".into()))?;
                    let mut x = vec![0.0; sys.n + 1];
                    for d in &sys.devices {
                        d.init_unknowns(&mut x);
                    }
                    let rep: OpReport = operating_point(
                        &mut sys,
                        &mut ws,
                        &mut nt,
                        &mut x,
                        Mode::Dc,
                        &ic,
                        &nodeset,
                    )
                    .map_err(|e| {
                        fail(format!("operating point failed: {}", newton_msg(&sys, &e)))
                    })?;
                    let cx = dc_ctx(&sys, Mode::Dc);
                    outs.eval(&sys, &x, &cx, &mut vals);
                    sink.point(0.0, &vals, None)
                        .map_err(|e| fail(format!("output: {e}")))?;
                    sink.end_analysis()
                        .map_err(|e| fail(format!("output: {e}")))?;
                    if print_op {
                        let _ = writeln!(
                            report,
                            "operating point ({}, {} iterations):",
                            rep.method.describe(),
                            rep.iterations
                        );
                        for (s, v) in outs.signals.iter().zip(&vals) {
                            let _ = writeln!(report, "{} = {v:e}", s.name);
                        }
                    }
                }
                AnalysisSpec::Dc(specs) => {
                    let mut signals = outs.signals.clone();
                    if specs.len() > 1 {
                        signals.insert(
                            0,
                            SignalInfo::new(specs[1].name.clone(), unit_of_swept(&specs[1].name)),
                        );
                    }
                    let info = AnalysisInfo {
                        kind,
                        sweep: SignalInfo::new(
                            specs[0].name.clone(),
                            unit_of_swept(&specs[0].name),
                        ),
                        signals,
                        complex: false,
                    };
                    sink.begin_analysis(&info)
                        .map_err(|e| fail(format!("output: {e}")))?;
                    let vars: Vec<DcVar> = specs
                        .iter()
                        .map(|s| DcVar {
                            device: s.device,
                            values: s.values.clone(),
                        })
                        .collect();
                    let total = specs
                        .iter()
                        .map(|s| s.values.len())
                        .product::<usize>()
                        .max(1);
                    let mut count = 0usize;
                    let cx = dc_ctx(&sys, Mode::Dc);
                    let outer = specs.len() > 1;
                    let mut row = vec![0.0; nsig + usize::from(outer)];
                    let mut cb = |sys: &System, sw: &[f64], x: &[f64]| -> std::io::Result<()> {
                        let off = usize::from(outer);
                        if outer {
                            row[0] = sw[1];
                        }
                        outs.eval(sys, x, &cx, &mut row[off..]);
                        if let Some(r) = rec.as_mut() {
                            r.real(sys, sw[0], x, &cx);
                        }
                        count += 1;
                        progress(frac0 + count as f64 / total as f64 / n_an as f64);
                        sink.point(sw[0], &row, None)
                    };
                    let r = dc_sweep(&mut sys, &vars, &mut cb);
                    if let Err(e) = r {
                        let _ = sink.end_analysis();
                        return Err(fail(match e {
                            DcError::NoConvergence { values, err } => format!(
                                "DC sweep failed at {}: {}",
                                specs
                                    .iter()
                                    .zip(&values)
                                    .map(|(s, v)| format!("{}={v:e}", s.name))
                                    .collect::<Vec<_>>()
                                    .join(", "),
                                newton_msg(&sys, &err)
                            ),
                            DcError::NotSweepable(d) => {
                                format!("'{}' cannot be swept", sys.devices[d].name())
                            }
                            DcError::Output(e) => format!("output: {e}"),
                        }));
                    }
                    sink.end_analysis()
                        .map_err(|e| fail(format!("output: {e}")))?;
                }
                AnalysisSpec::Ac(spec) => {
                    let info = AnalysisInfo {
                        kind,
                        sweep: SignalInfo::new("frequency", "Hz"),
                        signals: outs.signals.clone(),
                        complex: true,
                    };
                    sink.begin_analysis(&info)
                        .map_err(|e| fail(format!("output: {e}")))?;
                    let total = spec.frequencies().len().max(1);
                    let mut count = 0usize;
                    let mut cb = |f: f64, xc: &[num_complex::Complex64]| -> std::io::Result<()> {
                        outs.eval_complex(xc, &mut vals, &mut imag);
                        if let Some(r) = rec.as_mut() {
                            r.complex(f, xc);
                        }
                        count += 1;
                        progress(frac0 + count as f64 / total as f64 / n_an as f64);
                        sink.point(f, &vals, Some(&imag))
                    };
                    let r = ac(&mut sys, spec, &mut cb);
                    if let Err(e) = r {
                        let _ = sink.end_analysis();
                        return Err(fail(match e {
                            AcError::Op(err) => {
                                format!("operating point failed: {}", newton_msg(&sys, &err))
                            }
                            AcError::Singular { freq, unknown } => format!(
                                "singular AC matrix at {freq:e} Hz{}",
                                unknown
                                    .map(|u| format!(" at {}", describe_unknown(&sys, u)))
                                    .unwrap_or_default()
                            ),
                            AcError::Output(e) => format!("output: {e}"),
                        }));
                    }
                    sink.end_analysis()
                        .map_err(|e| fail(format!("output: {e}")))?;
                }
                AnalysisSpec::Tran(spec) => {
                    let info = AnalysisInfo {
                        kind,
                        sweep: SignalInfo::new("time", "s"),
                        signals: outs.signals.clone(),
                        complex: false,
                    };
                    sink.begin_analysis(&info)
                        .map_err(|e| fail(format!("output: {e}")))?;
                    let mut cb = |s: &System,
                                  t: f64,
                                  x: &[f64],
                                  cx: &crate::system::LoadCtx|
                     -> std::io::Result<()> {
                        outs.eval(s, x, cx, &mut vals);
                        if let Some(r) = rec.as_mut() {
                            r.real(s, t, x, cx);
                        }
                        sink.point(t, &vals, None)
                    };
                    let mut prog = |f: f64| progress(frac0 + f / n_an as f64);
                    let t0 = std::time::Instant::now();
                    let r = transient(&mut sys, spec, &ic, &nodeset, &mut cb, &mut prog);
                    if let Ok(st) = &r {
                        stats_out.push(AnalysisStats::Tran {
                            tran: st.clone(),
                            wall: t0.elapsed().as_secs_f64(),
                        });
                    }

                    if let Err(e) = r {
                        let _ = sink.end_analysis();
                        return Err(fail(match e {
                            TranError::Op(err) => {
                                format!(
                                    "initial operating point failed: {}",
                                    newton_msg(&sys, &err)
                                )
                            }
                            TranError::StepTooSmall { time, h, newton } => format!(
                                "time step too small at t = {time:e} s (h = {h:e} s): {}",
                                newton_msg(&sys, &newton)
                            ),
                            TranError::Output(e) => format!("output: {e}"),
                            TranError::TooManySteps { time, steps } => format!(
                                "more than {steps} time steps by t = {time:e} s; {}",
                                crate::limits::lift("timepoints", crate::limits::get().timepoints)
                            ),
                        }));
                    }
                    sink.end_analysis()
                        .map_err(|e| fail(format!("output: {e}")))?;
                }
            }
            Ok(())
        })();
        for n in sys.notes.drain(..) {
            warnings.push(Diagnostic::warning(*span, n));
        }
        res?;
        if let Some(r) = rec {
            let mut out = MeasOut {
                report: &mut *report,
                env: &env,
                values: &mut *measures_out,
            };
            out.emit(r.stream.finish(), sink).map_err(fail)?;
        }
    }
    Ok(())
}

/// Where evaluated measures go: printed as `name = value`, stored.
struct MeasOut<'a> {
    report: &'a mut dyn Write,
    env: &'a ParamEnv<'a>,
    values: &'a mut Vec<MeasureValue>,
}

impl MeasOut<'_> {
    /// Print and store evaluated measures, pass them to `sink`.
    fn emit(&mut self, res: Vec<MeasureValue>, sink: &mut dyn Sink) -> Result<(), String> {
        if res.is_empty() {
            return Ok(());
        }
        for m in &res {
            match &m.value {
                Ok(v) => {
                    let _ = writeln!(self.report, "{} = {v:e}", m.name);
                }
                Err(why) => {
                    let _ = writeln!(self.report, "{} = failed ({why})", m.name);
                }
            }
        }
        sink.measures(&res).map_err(|e| format!("output: {e}"))?;
        self.values.extend(res);
        Ok(())
    }
}

/// `.hb`: solve, write the spectrum (`hb`, with the tone indices of every
/// line) and the steady-state waveform (`hb_td`), evaluate `.meas hb` and
/// `.meas hb_td`. A failed solve still writes its last iterate's spectrum
/// (the analysis left incomplete) before the error.
#[allow(clippy::too_many_arguments)]
fn run_hb(
    sys: &mut System,
    spec: &super::hb::HbSpec,
    outs: &outputs::OutputSet,
    measures: &[Measure],
    sink: &mut dyn Sink,
    mout: &mut MeasOut,
    stats_out: &mut Vec<AnalysisStats>,
    reuse: &mut super::hb::Reuse,
) -> Result<(), String> {
    use super::hb::{harmonic_balance, output, HbError};
    let t0 = std::time::Instant::now();
    let (res, failure) = match harmonic_balance(sys, spec, reuse) {
        Ok(r) => (r, None),
        Err(HbError::Op(e)) => {
            return Err(format!("operating point failed: {}", newton_msg(sys, &e)))
        }
        Err(HbError::Setup(m)) => return Err(m),
        Err(HbError::Solve {
            err,
            lambda,
            harmonic,
            partial,
        }) => {
            let msg = hb_msg(sys, &err, lambda, &harmonic);
            (*partial, Some(msg))
        }
    };
    for note in &res.notes {
        let _ = writeln!(mout.report, "note: {note}");
    }
    stats_out.push(AnalysisStats::Hb {
        harmonics: res.grid.len(),
        samples: res.grid.samples,
        unknowns: sys.n,
        method: res.method,
        stats: res.stats,
        continuation: res.continuation,
        wall: t0.elapsed().as_secs_f64(),
    });
    let cx = super::op::dc_ctx(sys, Mode::Hb);
    let lines = output::lines(&res);
    let kinds = [MeasAnalysis::Hb, MeasAnalysis::HbTd];
    let these: Vec<Vec<&Measure>> = kinds
        .iter()
        .map(|k| measures.iter().filter(|m| m.analysis == *k).collect())
        .collect();
    let io = |e: std::io::Error| format!("output: {e}");
    // spectrum
    let spectra = output::spectra(sys, &res, &lines, &outs.sources, &cx);
    sink.begin_analysis(&AnalysisInfo {
        kind: AnalysisKind::Hb,
        sweep: SignalInfo::new("frequency", "Hz"),
        signals: outs.signals.clone(),
        complex: true,
    })
    .map_err(io)?;
    let (mut re, mut im) = (vec![0.0; spectra.len()], vec![0.0; spectra.len()]);
    for (k, &f) in lines.freq.iter().enumerate() {
        for (j, s) in spectra.iter().enumerate() {
            re[j] = s[k].re;
            im[j] = s[k].im;
        }
        sink.point(f, &re, Some(&im)).map_err(io)?;
    }
    let columns = tone_names(&res, spec);
    sink.labels(&crate::output::PointLabels {
        name: "tones".into(),
        columns,
        rows: lines.tones.clone(),
    })
    .map_err(io)?;
    if let Some(msg) = failure {
        return Err(msg);
    }
    sink.end_analysis().map_err(io)?;
    // waveform
    let (time, waves) = output::waveforms(sys, &res, &lines, &outs.sources, &cx);
    sink.begin_analysis(&AnalysisInfo {
        kind: AnalysisKind::HbTd,
        sweep: SignalInfo::new("time", "s"),
        signals: outs.signals.clone(),
        complex: false,
    })
    .map_err(io)?;
    let mut row = vec![0.0; waves.len()];
    for (k, &t) in time.iter().enumerate() {
        for (j, w) in waves.iter().enumerate() {
            row[j] = w[k];
        }
        sink.point(t, &row, None).map_err(io)?;
    }
    sink.end_analysis().map_err(io)?;
    // measures
    for (kind, these) in kinds.iter().zip(&these) {
        if these.is_empty() {
            continue;
        }
        let mut r = Recorded::new(sys, *kind, these, *kind == MeasAnalysis::Hb);
        if *kind == MeasAnalysis::Hb {
            r.axis = lines.freq.clone();
            let sp = output::spectra(sys, &res, &lines, &r.sources, &cx);
            r.re = sp
                .iter()
                .map(|s| s.iter().map(|v| v.re).collect())
                .collect();
            r.im = Some(
                sp.iter()
                    .map(|s| s.iter().map(|v| v.im).collect())
                    .collect(),
            );
        } else {
            let (t, w) = output::waveforms(sys, &res, &lines, &r.sources, &cx);
            r.axis = t;
            r.re = w;
        }
        mout.emit(meas::evaluate(these, &r, mout.env), sink)?;
    }
    Ok(())
}

/// Column names of the tone-index table: the driven tones' frequencies,
/// then `osc:<device>`.
fn tone_names(res: &super::hb::HbResult, spec: &super::hb::HbSpec) -> Vec<String> {
    let nd = spec.tones.len();
    (0..res.grid.tone_freq.len())
        .map(|j| match j.checked_sub(nd) {
            None => format!("{:e}", spec.tones[j]),
            Some(a) => format!("osc:{}", spec.osc.get(a).map_or("?", |s| s.as_str())),
        })
        .collect()
}

fn hb_msg(sys: &System, e: &super::hb::solve::SolveError, lambda: f64, harmonic: &str) -> String {
    use super::hb::problem::EvalError;
    use super::hb::solve::SolveError as E;
    let at = if harmonic.is_empty() {
        String::new()
    } else {
        format!(" at {harmonic}")
    };
    let cont = if lambda < 1.0 {
        format!(
            " (source-amplitude continuation reached {:.1} % of the excitation)",
            100.0 * lambda
        )
    } else {
        String::new()
    };
    match e {
        E::NoConvergence { unknown, iterations, .. } => format!(
            "harmonic balance did not converge in {iterations} Newton iterations; worst unknown {}{at}{cont}",
            describe_unknown(sys, *unknown)
        ),
        E::Singular { unknown: Some(u), .. } => format!(
            "singular harmonic-balance Jacobian at {}{at}{cont}",
            describe_unknown(sys, *u)
        ),
        E::Singular { unknown: None, .. } => format!("singular harmonic-balance Jacobian{at}{cont}"),
        E::Eval(EvalError::NonFinite { unknown, sample }) => format!(
            "non-finite value in the equation of {} at time sample {sample}{cont}",
            describe_unknown(sys, *unknown)
        ),
    }
}

fn unit_of_swept(name: &str) -> &'static str {
    match name.chars().next() {
        Some('v') => "V",
        Some('i') => "A",
        Some('r') => "Ohm",
        _ => "",
    }
}

/// Parse and run netlist text in memory (for tests and library users):
/// returns the in-memory results and the run summary, or the diagnostics
/// rendered as `file:line:col: error: …` lines.
pub fn simulate_str(
    text: &str,
    overrides: &[(String, f64)],
) -> Result<(crate::output::memory::MemorySink, RunSummary), String> {
    let mut sm = crate::diag::SourceMap::new();
    let parsed = crate::netlist::parse_str("<netlist>", text, std::path::Path::new("."), &mut sm)
        .map_err(|d| {
        d.iter()
            .map(|x| x.short(&sm))
            .collect::<Vec<_>>()
            .join("\n")
    })?;
    let mut sink = crate::output::memory::MemorySink::new();
    let mut report = Vec::new();
    let mut np = NoProgress;
    let mut nsp = NoSweepProgress;
    let mut cfg = RunConfig {
        overrides: overrides.to_vec(),
        report: &mut report,
        progress: &mut np,
        print_op: false,
        acct: false,
        steps: Vec::new(),
        sweep: SweepOptions::default(),
        sweep_progress: &mut nsp,
    };
    let summary = run(parsed.netlist, text, &mut cfg, &mut sink).map_err(|d| {
        d.iter()
            .map(|x| x.short(&sm))
            .collect::<Vec<_>>()
            .join("\n")
    })?;
    Ok((sink, summary))
}
