//! `.meas` evaluation on finished analysis data.
//!
//! Every measure reads the recorded columns of one analysis (time, frequency
//! or swept value on the *axis*) and treats the samples as a piecewise-linear
//! function of the axis:
//!
//! * `AVG`, `RMS`, `INTEG` integrate with the trapezoidal rule over the window
//!   `[FROM, TO]` (default: all the data), whose end points are interpolated:
//!   `INTEG = ∫x`, `AVG = ∫x / (TO − FROM)`, `RMS = √(∫x² / (TO − FROM))`
//!   (trapezoids on x²). Units: INTEG is the signal's unit times the axis unit
//!   (V·s for a voltage in `.tran`).
//! * `MIN`, `MAX`, `PP` over the samples inside the window plus the two
//!   interpolated end points.
//! * `FIND x AT=a`: linear interpolation at `a`.
//! * `WHEN lhs=rhs …` / `FIND x WHEN …`: the n-th `RISE`/`FALL`/`CROSS` (or the
//!   `LAST`) of `d = lhs − rhs` through zero, counted from `max(TD, FROM)` (each
//!   defaults to the start of the data) to `TO`, both included; the crossing
//!   point is interpolated linearly between the samples around it. A rise is
//!   `d` going from < 0 to > 0, a fall from > 0 to < 0; samples with `d = 0` in
//!   between place the crossing at the first of them; touching zero and coming
//!   back is no crossing. `TD` is in axis units for every analysis (in `.dc`
//!   it is a lower bound on the swept value).
//! * `TRIG … TARG …` gives `targ − trig`; `PARAM` evaluates an expression in
//!   which the earlier measures of the same analysis are defined by name.
//!
//! Signals: a single probe (`v(out)`, `v(a,b)`, `i(v1)`, `@d[var]`, AC forms) is
//! read straight from its column; any other expression is evaluated point by
//! point with [`eval`] (the probes answered from the columns; `time` in `.tran`
//! and `frequency` in `.ac` are the axis). AC columns are complex:
//! `vm`/`im` = |x|, `vdb`/`idb` = 20·log10|x| (dB), `vp`/`ip` = phase in
//! radians (atan2, in (−π, π]), `vr`/`vi` = real / imaginary part, and a bare
//! `v(x)`/`i(x)` = |x|. In an expression, each probe becomes that real number
//! before the arithmetic.
//!
//! A measure that cannot be computed (unknown signal, crossing not found,
//! window outside the data, non-finite result…) gets `Err(message)`; nothing
//! here panics on user input.
//!
//! # Differences from ngspice 39 (checked with the binary)
//!
//! * ngspice `AVG` does not interpolate the window ends (it averages the
//!   samples from the first at or after `FROM` to the last at or before `TO`);
//!   `MIN`/`MAX` only look at samples.
//! * ngspice `RMS`/`INTEG` use Simpson's rules on runs of equal steps (and the
//!   trapezoidal rule elsewhere); the results differ from ours by the
//!   quadrature error, O(h²).
//! * ngspice reads a bare `v(x)` in an AC measure as the real part, not |x|.
//! * ngspice counts a crossing between the first two samples of the window
//!   without being able to report it, and counts touching zero as a fall and a
//!   rise.

use crate::expr::eval::{eval, Env};
use crate::expr::{Expr, ExprKind};
use crate::netlist::ast::{
    Condition, Count, Edge, FftWindow, FuncDef, MeasAnalysis, MeasKind, Measure, RfWindow, StatFn,
    ToneOut, Trigger,
};
use crate::output::{AnalysisKind, MeasureValue};

pub mod stream;

/// A recorded signal column.
pub enum Column<'a> {
    Real(&'a [f64]),
    /// AC: real and imaginary parts.
    Complex(&'a [f64], &'a [f64]),
}

/// The data of one finished analysis, as seen by the measures.
pub trait MeasData {
    fn analysis(&self) -> MeasAnalysis;
    /// The independent variable (time, frequency, swept value), increasing.
    fn axis(&self) -> &[f64];
    /// Column of a base probe: `v(a)`, `v(a,b)`, `i(dev)`, `@dev[var]`
    /// (func = "v" | "i" | "@"). None = not recorded / unknown.
    fn column(&self, func: &str, args: &[String]) -> Option<Column<'_>>;
    /// What is wrong with the axis, if anything (the stream of points tells
    /// without keeping the axis: [`stream`]).
    fn axis_fault(&self) -> Option<AxisFault> {
        AxisFault::of(self.axis())
    }
}

/// Why an axis cannot carry measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AxisFault {
    Empty,
    NonFinite,
    Decreasing,
}

impl AxisFault {
    /// The fault of a whole axis (the first that applies, in this order).
    pub fn of(a: &[f64]) -> Option<AxisFault> {
        if a.is_empty() {
            Some(AxisFault::Empty)
        } else if a.iter().any(|x| !x.is_finite()) {
            Some(AxisFault::NonFinite)
        } else if a.windows(2).any(|w| w[1] < w[0]) {
            Some(AxisFault::Decreasing)
        } else {
            None
        }
    }
}

/// The base probes the given measures read (so the analysis keeps them), in
/// order of first use, without duplicates: `("v", ["out"])`, `("v", ["a","b"])`,
/// `("i", ["v1"])`, `("@", [dev, var])`. AC forms map to their base
/// (`vdb(out)` → `("v", ["out"])`). All analyses' measures are included;
/// filter the slice first to get one analysis' probes.
pub fn required_probes(measures: &[Measure]) -> Vec<(String, Vec<String>)> {
    let mut out: Vec<(String, Vec<String>)> = Vec::new();
    for m in measures {
        for e in measure_exprs(m) {
            e.for_each_probe(&mut |func, args, _| {
                if let Some((base, _)) = split_probe(func) {
                    if !out.iter().any(|(f, a)| f == base && a.as_slice() == args) {
                        out.push((base.to_string(), args.to_vec()));
                    }
                }
            });
        }
    }
    out
}

/// Every probe a measure reads, as written (`vdb`, args, span), for the
/// checks made before a run (see [`probe_base`]).
pub fn probes_of(m: &Measure) -> Vec<(String, Vec<String>, crate::diag::Span)> {
    let mut out = Vec::new();
    for e in measure_exprs(m) {
        e.for_each_probe(&mut |func, args, span| out.push((func.to_string(), args.to_vec(), span)));
    }
    out
}

/// The base probe of a probe function (`vdb` → `v`, `@` → `@`) and whether
/// it has the right number of arguments; None for a function that is not a
/// probe.
pub fn probe_base(func: &str, args: usize) -> Option<(&'static str, bool)> {
    let (base, _) = split_probe(func)?;
    let arity = match base {
        "v" => args == 1 || args == 2,
        "i" => args == 1,
        _ => args == 2,
    };
    Some((base, arity))
}

/// The unit of a measure's value, when it follows from its form: a voltage
/// probe's statistics are in V, a current's in A, `TONEFREQ` in Hz,
/// `TONEPOWER` in W, `TONEDBM` in dBm, `WHEN`/`TRIG…TARG`/`MAX_AT` in the axis unit
/// (s in `.tran`, Hz in `.ac`); "" when unknown (expressions, `PARAM`).
pub fn unit_of(m: &Measure) -> String {
    let probe_unit = |e: &Expr| -> &'static str {
        match &e.kind {
            ExprKind::Probe { func, .. } => match split_probe(func) {
                Some((_, Part::Db)) => "dB",
                Some((_, Part::Phase)) => "rad",
                Some(("v", _)) => "V",
                Some(("i", _)) => "A",
                _ => "",
            },
            _ => "",
        }
    };
    let axis = match m.analysis {
        MeasAnalysis::Tran | MeasAnalysis::HbTd => "s",
        MeasAnalysis::Ac | MeasAnalysis::Hb => "Hz",
        MeasAnalysis::Dc => "",
    };
    match &m.kind {
        MeasKind::Stat { func, signal, .. } => match (func, probe_unit(signal)) {
            (StatFn::Integ, u) if !u.is_empty() && !axis.is_empty() && u != "dB" && u != "rad" => {
                format!("{u}*{axis}")
            }
            (StatFn::Integ, _) => String::new(),
            (StatFn::MinAt | StatFn::MaxAt, _) => axis.to_string(),
            (_, u) => u.to_string(),
        },
        MeasKind::FindAt { signal, .. } | MeasKind::FindWhen { signal, .. } => {
            probe_unit(signal).to_string()
        }
        MeasKind::When(_) | MeasKind::TrigTarg { .. } => axis.to_string(),
        MeasKind::Param(_) => String::new(),
        MeasKind::DcMean { signal, .. } => probe_unit(signal).to_string(),
        MeasKind::Tone { out, signal, .. } => match out {
            ToneOut::Amp => probe_unit(signal).to_string(),
            ToneOut::Freq => "Hz".into(),
            ToneOut::Power => "W".into(),
            ToneOut::Dbm => "dBm".into(),
            ToneOut::Phase => "rad".into(),
        },
    }
}

/// Evaluate the measures of `data.analysis()` in order (measures of other
/// analyses are skipped). `params` resolves parameters; PARAM measures (and
/// any scalar argument) may also use earlier measure results by name.
pub fn evaluate(measures: &[&Measure], data: &dyn MeasData, params: &dyn Env) -> Vec<MeasureValue> {
    evaluate_with(measures, data, params, &|_| None)
}

/// [`evaluate`], with the results of some measures already known:
/// `known(k)` for the k-th measure of `data.analysis()` (the streamed ones,
/// [`stream`]); they take their place in the order, so later `PARAM`
/// measures and arguments see them by name.
pub fn evaluate_with(
    measures: &[&Measure],
    data: &dyn MeasData,
    params: &dyn Env,
    known: &dyn Fn(usize) -> Option<MResult<f64>>,
) -> Vec<MeasureValue> {
    let kind = data.analysis();
    let mut ctx = Ctx {
        data,
        kind,
        axis: data.axis(),
        scalars: Scalars {
            params,
            done: Vec::new(),
            failed: Vec::new(),
        },
    };
    let mut out = Vec::new();
    for (k, m) in measures.iter().filter(|m| m.analysis == kind).enumerate() {
        let value = match known(k) {
            Some(v) => v,
            None => ctx.measure(&m.kind),
        }
        .and_then(|v| finite(v, "the result"));
        let name = m.name.name.clone();
        match value {
            Ok(v) => ctx.scalars.done.push((name.clone(), v)),
            Err(_) => ctx.scalars.failed.push(name.clone()),
        }
        out.push(MeasureValue {
            name,
            analysis: analysis_kind(kind),
            value,
            unit: unit_of(m),
        });
    }
    out
}

// ------------------------------------------------------------------ internals

type MResult<T> = Result<T, String>;

/// The output analysis kind of a `.meas` analysis word.
pub fn analysis_kind(a: MeasAnalysis) -> AnalysisKind {
    match a {
        MeasAnalysis::Tran => AnalysisKind::Tran,
        MeasAnalysis::Dc => AnalysisKind::Dc,
        MeasAnalysis::Ac => AnalysisKind::Ac,
        MeasAnalysis::Hb => AnalysisKind::Hb,
        MeasAnalysis::HbTd => AnalysisKind::HbTd,
    }
}

/// Every expression a measure refers to.
fn measure_exprs(m: &Measure) -> Vec<&Expr> {
    fn cond<'a>(c: &'a Condition, v: &mut Vec<&'a Expr>) {
        v.push(&c.lhs);
        v.push(&c.rhs);
        v.extend(c.td.iter().chain(&c.from).chain(&c.to));
    }
    let mut v = Vec::new();
    match &m.kind {
        MeasKind::Stat {
            signal, from, to, ..
        } => {
            v.push(signal);
            v.extend(from.iter().chain(to));
        }
        MeasKind::FindAt { signal, at } => v.extend([signal, at]),
        MeasKind::FindWhen { signal, when } => {
            v.push(signal);
            cond(when, &mut v);
        }
        MeasKind::When(c) => cond(c, &mut v),
        MeasKind::TrigTarg { trig, targ } => {
            for t in [trig, targ] {
                match t {
                    Trigger::Cross(c) => cond(c, &mut v),
                    Trigger::At(e) => v.push(e),
                }
            }
        }
        MeasKind::Param(e) => v.push(e),
        MeasKind::DcMean { signal, win, .. } => {
            v.push(signal);
            v.extend(
                win.freq
                    .iter()
                    .chain(&win.settle)
                    .chain(&win.from)
                    .chain(&win.to),
            );
        }
        MeasKind::Tone {
            signal,
            fmin,
            fmax,
            from,
            to,
            r,
            ..
        } => {
            v.push(signal);
            v.extend(fmin.iter().chain(fmax).chain(from).chain(to).chain(r));
        }
    }
    v
}

/// Which part of a (possibly complex) column a probe function reads.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Part {
    /// Bare `v`/`i`/`@`: the value (real data) or |x| (complex data).
    Plain,
    Mag,
    Db,
    Phase,
    Re,
    Im,
}

/// The part of a probe value that `part` reads: of a real value `re`
/// (`im` None), or of a complex one.
fn part_value(part: Part, re: f64, im: Option<f64>) -> f64 {
    match im {
        None => match part {
            Part::Plain | Part::Re => re,
            Part::Mag => re.abs(),
            Part::Db => 20.0 * re.abs().log10(),
            Part::Phase => 0f64.atan2(re),
            Part::Im => 0.0,
        },
        Some(i) => match part {
            Part::Plain | Part::Mag => re.hypot(i),
            Part::Db => 20.0 * re.hypot(i).log10(),
            Part::Phase => i.atan2(re),
            Part::Re => re,
            Part::Im => i,
        },
    }
}

/// `vdb` → ("v", Db) …; None for a function that is not a probe we know.
fn split_probe(func: &str) -> Option<(&'static str, Part)> {
    let (base, rest) = match func.as_bytes().first()? {
        b'v' => ("v", &func[1..]),
        b'i' => ("i", &func[1..]),
        b'@' if func.len() == 1 => return Some(("@", Part::Plain)),
        _ => return None,
    };
    let part = match rest {
        "" => Part::Plain,
        "m" => Part::Mag,
        "db" => Part::Db,
        "p" => Part::Phase,
        "r" => Part::Re,
        "i" => Part::Im,
        _ => return None,
    };
    Some((base, part))
}

/// `v(out)`, `vdb(a,b)`, `@d[var]` for messages.
fn probe_text(func: &str, args: &[String]) -> String {
    if func == "@" && args.len() == 2 {
        format!("@{}[{}]", args[0], args[1])
    } else {
        format!("{func}({})", args.join(","))
    }
}

/// Short text of an expression for messages.
fn describe(e: &Expr) -> String {
    match &e.kind {
        ExprKind::Probe { func, args } => probe_text(func, args),
        ExprKind::Num(v) => format!("{v}"),
        ExprKind::Ident(n) => n.clone(),
        _ => match e.as_num() {
            Some(v) => format!("{v}"),
            None => "the expression".to_string(),
        },
    }
}

fn finite(v: f64, what: &str) -> MResult<f64> {
    if v.is_finite() {
        Ok(v)
    } else {
        Err(format!("{what} is not a finite number ({v})"))
    }
}

fn has_probe(e: &Expr) -> bool {
    let mut any = false;
    e.for_each_probe(&mut |_, _, _| any = true);
    any
}

fn mentions_ident(e: &Expr, name: &str) -> bool {
    match &e.kind {
        ExprKind::Ident(n) => n == name,
        ExprKind::Num(_) | ExprKind::Probe { .. } => false,
        ExprKind::Call(_, a) => a.iter().any(|x| mentions_ident(x, name)),
        ExprKind::Unary(_, a) => mentions_ident(a, name),
        ExprKind::Binary(_, a, b) => mentions_ident(a, name) || mentions_ident(b, name),
        ExprKind::Ternary(c, a, b) => {
            mentions_ident(c, name) || mentions_ident(a, name) || mentions_ident(b, name)
        }
    }
}

/// `e` calls the function `name` somewhere (`deriv`: a derivative over the
/// whole axis, not a point-by-point value).
pub(crate) fn calls(e: &Expr, name: &str) -> bool {
    match &e.kind {
        ExprKind::Ident(_) | ExprKind::Num(_) | ExprKind::Probe { .. } => false,
        ExprKind::Call(f, a) => f == name || a.iter().any(|x| calls(x, name)),
        ExprKind::Unary(_, a) => calls(a, name),
        ExprKind::Binary(_, a, b) => calls(a, name) || calls(b, name),
        ExprKind::Ternary(c, a, b) => calls(c, name) || calls(a, name) || calls(b, name),
    }
}

/// Names for scalar arguments: the parameters plus the measures done so far.
struct Scalars<'a> {
    params: &'a dyn Env,
    done: Vec<(String, f64)>,
    failed: Vec<String>,
}

impl Env for Scalars<'_> {
    fn ident(&self, name: &str) -> Option<f64> {
        self.done
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .map(|(_, v)| *v)
            .or_else(|| self.params.ident(name))
    }
    fn func(&self, name: &str) -> Option<&FuncDef> {
        self.params.func(name)
    }
}

/// Names at one data point: the scalars, the axis variable and the probes.
struct PointEnv<'a> {
    scalars: &'a Scalars<'a>,
    axis_name: Option<&'static str>,
    x: f64,
    k: usize,
    probes: &'a [(String, Vec<String>, Vec<f64>)],
}

impl Env for PointEnv<'_> {
    fn ident(&self, name: &str) -> Option<f64> {
        if Some(name) == self.axis_name {
            return Some(self.x);
        }
        self.scalars.ident(name)
    }
    fn probe(&self, func: &str, args: &[String]) -> Option<f64> {
        self.probes
            .iter()
            .find(|(f, a, _)| f == func && a.as_slice() == args)
            .map(|(_, _, v)| v[self.k])
    }
    fn func(&self, name: &str) -> Option<&FuncDef> {
        self.scalars.func(name)
    }
}

struct Ctx<'a> {
    data: &'a dyn MeasData,
    kind: MeasAnalysis,
    axis: &'a [f64],
    scalars: Scalars<'a>,
}

impl Ctx<'_> {
    fn axis_name(&self) -> Option<&'static str> {
        match self.kind {
            MeasAnalysis::Tran | MeasAnalysis::HbTd => Some("time"),
            MeasAnalysis::Ac | MeasAnalysis::Hb => Some("frequency"),
            MeasAnalysis::Dc => None,
        }
    }

    fn axis_word(&self) -> &'static str {
        match self.kind {
            MeasAnalysis::Tran | MeasAnalysis::HbTd => "time",
            MeasAnalysis::Ac | MeasAnalysis::Hb => "frequency",
            MeasAnalysis::Dc => "sweep value",
        }
    }

    /// The axis, checked: non-empty, finite, non-decreasing.
    fn checked_axis(&self) -> MResult<&[f64]> {
        match self.data.axis_fault() {
            Some(f) => Err(self.fault_message(f)),
            None => Ok(self.axis),
        }
    }

    fn fault_message(&self, f: AxisFault) -> String {
        match f {
            AxisFault::Empty => format!("the {} analysis has no data points", self.analysis_word()),
            AxisFault::NonFinite => {
                format!("the {} axis holds a non-finite value", self.axis_word())
            }
            AxisFault::Decreasing => format!("the {} axis is not increasing", self.axis_word()),
        }
    }

    fn analysis_word(&self) -> &'static str {
        match self.kind {
            MeasAnalysis::Tran => "tran",
            MeasAnalysis::Ac => "ac",
            MeasAnalysis::Dc => "dc",
            MeasAnalysis::Hb => "hb",
            MeasAnalysis::HbTd => "hb_td",
        }
    }

    fn measure(&self, kind: &MeasKind) -> MResult<f64> {
        let axis = self.checked_axis()?;
        match kind {
            MeasKind::Stat {
                func,
                signal,
                from,
                to,
            } => {
                let y = self.signal(signal)?;
                let from = self.opt_scalar(from.as_ref(), "FROM")?;
                let to = self.opt_scalar(to.as_ref(), "TO")?;
                let (lo, hi) = self.window(axis, from, to)?;
                let pts = window_points(axis, &y, lo, hi);
                if let Some(&(x, _)) = pts.iter().find(|(_, v)| v.is_nan()) {
                    return Err(format!(
                        "{} is not a number at {}={x:e}",
                        describe(signal),
                        self.axis_word()
                    ));
                }
                stat(*func, &pts, lo, hi)
            }
            MeasKind::FindAt { signal, at } => {
                let y = self.signal(signal)?;
                let at = self.scalar(at, "AT")?;
                let x = self.inside(axis, at, "AT")?;
                Ok(interp(axis, &y, x))
            }
            MeasKind::FindWhen { signal, when } => {
                let y = self.signal(signal)?;
                let x = self.crossing(axis, when)?;
                Ok(interp(axis, &y, x))
            }
            MeasKind::When(c) => self.crossing(axis, c),
            MeasKind::TrigTarg { trig, targ } => {
                let t0 = self.trigger(axis, trig, "TRIG")?;
                let t1 = self.trigger(axis, targ, "TARG")?;
                Ok(t1 - t0)
            }
            MeasKind::Param(e) => self.scalar(e, "PARAM"),
            MeasKind::DcMean {
                ripple,
                signal,
                win,
            } => self.dc_mean(axis, *ripple, signal, win),
            MeasKind::Tone {
                out,
                signal,
                fmin,
                fmax,
                from,
                to,
                r,
                window,
            } => {
                let name = match out {
                    ToneOut::Amp => "TONEAMP",
                    ToneOut::Freq => "TONEFREQ",
                    ToneOut::Power => "TONEPOWER",
                    ToneOut::Dbm => "TONEDBM",
                    ToneOut::Phase => "TONEPHASE",
                };
                let fmin = self.opt_scalar(fmin.as_ref(), "FMIN")?;
                let fmax = self.opt_scalar(fmax.as_ref(), "FMAX")?;
                let tone = if self.kind == MeasAnalysis::Hb {
                    // the strongest spectral line in the band (time windows
                    // do not apply to a steady state)
                    self.line(axis, signal, fmin, fmax)?
                } else {
                    self.need_tran(name)?;
                    if *out == ToneOut::Phase {
                        return Err(
                            "TONEPHASE works on the harmonic-balance spectrum (.meas hb)".into(),
                        );
                    }
                    let y = self.signal(signal)?;
                    let from = self.opt_scalar(from.as_ref(), "FROM")?;
                    let to = self.opt_scalar(to.as_ref(), "TO")?;
                    let (lo, hi) = self.rf_window(axis, from, to)?;
                    strongest_tone(axis, &y, lo, hi, fmin, fmax, *window)?
                };
                let r = self.opt_scalar(r.as_ref(), "R")?.unwrap_or(50.0);
                if r.is_nan() || r <= 0.0 {
                    return Err(format!("R={r:e} must be positive"));
                }
                let p = tone.amp * tone.amp / (2.0 * r);
                Ok(match out {
                    ToneOut::Amp => tone.amp,
                    ToneOut::Freq => tone.freq,
                    ToneOut::Power => p,
                    ToneOut::Dbm => 10.0 * (p / 1e-3).log10(),
                    ToneOut::Phase => tone.phase,
                })
            }
        }
    }

    fn need_tran(&self, what: &str) -> MResult<()> {
        if matches!(self.kind, MeasAnalysis::Tran | MeasAnalysis::HbTd) {
            Ok(())
        } else {
            Err(format!(
                "{what} works on waveforms (.meas tran or .meas hb_td)"
            ))
        }
    }

    /// The real and imaginary parts of a single probe's (complex) column.
    fn complex_probe(&self, signal: &Expr, what: &str) -> MResult<(Vec<f64>, Vec<f64>)> {
        let ExprKind::Probe { func, args } = &signal.kind else {
            return Err(format!(
                "{what} in .meas hb needs a single signal (v(…), i(…), @dev[var])"
            ));
        };
        let base = split_probe(func).map_or(func.as_str(), |b| b.0);
        let n = self.axis.len();
        match self.data.column(base, args) {
            Some(Column::Complex(re, im)) if re.len() == n && im.len() == n => {
                Ok((re.to_vec(), im.to_vec()))
            }
            Some(Column::Real(re)) if re.len() == n => Ok((re.to_vec(), vec![0.0; n])),
            Some(_) => Err(length_error(&probe_text(func, args), 0, n)),
            None => Err(format!(
                "unknown signal {}: not recorded in the hb results",
                probe_text(func, args)
            )),
        }
    }

    /// The strongest spectral line of a harmonic-balance signal with
    /// frequency in [FMIN, FMAX] (default: every line above DC).
    fn line(
        &self,
        axis: &[f64],
        signal: &Expr,
        fmin: Option<f64>,
        fmax: Option<f64>,
    ) -> MResult<Tone> {
        let (re, im) = self.complex_probe(signal, "a tone measure")?;
        let (lo, hi) = (fmin.unwrap_or(0.0), fmax.unwrap_or(f64::INFINITY));
        let mag = |k: usize| re[k].hypot(im[k]);
        let Some(best) = (0..axis.len())
            .filter(|&k| axis[k] > 0.0 && axis[k] >= lo && axis[k] <= hi)
            .max_by(|&a, &b| mag(a).total_cmp(&mag(b)))
        else {
            // no line there: the steady state has nothing in the band (its
            // amplitude is 0; a frequency or phase does not exist)
            return Ok(Tone {
                amp: 0.0,
                freq: f64::NAN,
                phase: f64::NAN,
            });
        };
        Ok(Tone {
            amp: mag(best),
            freq: axis[best],
            phase: im[best].atan2(re[best]),
        })
    }

    /// `[FROM, TO]` of the RF measures: FROM defaults to half way through
    /// the data (the whole period for a harmonic-balance waveform), TO to
    /// its end.
    fn rf_window(&self, axis: &[f64], from: Option<f64>, to: Option<f64>) -> MResult<(f64, f64)> {
        let (a, b) = (axis[0], axis[axis.len() - 1]);
        let hi = match to {
            Some(t) => self.inside(axis, t, "TO")?,
            None => b,
        };
        let half = if self.kind == MeasAnalysis::HbTd {
            0.0
        } else {
            0.5
        };
        let lo = match from {
            Some(f) => self.inside(axis, f, "FROM")?,
            None => a + half * (hi - a),
        };
        if hi <= lo {
            return Err(format!(
                "the window is empty: FROM={lo:e} is not before TO={hi:e}"
            ));
        }
        Ok((lo, hi))
    }

    /// DCMEAN / RIPPLE (see the module documentation).
    fn dc_mean(&self, axis: &[f64], ripple: bool, signal: &Expr, win: &RfWindow) -> MResult<f64> {
        let what = if ripple { "RIPPLE" } else { "DCMEAN" };
        if self.kind == MeasAnalysis::Hb && !ripple {
            // the 0 Hz line (real); windows do not apply to a steady state
            let (re, _) = self.complex_probe(signal, what)?;
            return match axis.first().filter(|&&f| f == 0.0) {
                Some(_) => Ok(re[0]),
                None => Err("the spectrum has no 0 Hz line".into()),
            };
        }
        self.need_tran(what)?;
        let y = self.signal(signal)?;
        let freq = self.opt_scalar(win.freq.as_ref(), "FREQ")?;
        let settle = self.opt_scalar(win.settle.as_ref(), "SETTLE")?;
        let from = self.opt_scalar(win.from.as_ref(), "FROM")?;
        let to = self.opt_scalar(win.to.as_ref(), "TO")?;
        if from.is_some() && settle.is_some() {
            return Err(format!("{what}: give SETTLE= or FROM=, not both"));
        }
        if let Some(f) = freq {
            if f.is_nan() || f <= 0.0 {
                return Err(format!("FREQ={f:e} must be positive"));
            }
        }
        let (mut lo, hi) = self.rf_window(axis, from.or(settle), to)?;
        // The period: FREQ=, else (unless the user gave both ends) the
        // strongest tone of the signal in the window.
        let period = match freq {
            Some(f) => Some(1.0 / f),
            None if from.is_some() && to.is_some() => None,
            None => strongest_tone(axis, &y, lo, hi, None, None, FftWindow::Hann)
                .ok()
                .filter(|t| t.amp > 0.0)
                .map(|t| 1.0 / t.freq),
        };
        if let Some(tp) = period {
            let n = ((hi - lo) / tp * (1.0 + 1e-9)).floor();
            if n < 1.0 {
                return Err(format!(
                    "{what}: the window {lo:e}…{hi:e} s is shorter than one period ({tp:e} s)"
                ));
            }
            lo = hi - n * tp;
        }
        let pts = window_points(axis, &y, lo, hi);
        if let Some(&(x, _)) = pts.iter().find(|(_, v)| !v.is_finite()) {
            return Err(format!(
                "{} is not a number at time={x:e}",
                describe(signal)
            ));
        }
        stat(if ripple { StatFn::Pp } else { StatFn::Avg }, &pts, lo, hi)
    }

    fn trigger(&self, axis: &[f64], t: &Trigger, what: &str) -> MResult<f64> {
        match t {
            Trigger::At(e) => self.scalar(e, &format!("{what} AT")),
            Trigger::Cross(c) => self.crossing(axis, c).map_err(|m| format!("{what}: {m}")),
        }
    }

    // ------------------------------------------------------------ scalars

    fn opt_scalar(&self, e: Option<&Expr>, what: &str) -> MResult<Option<f64>> {
        e.map(|e| self.scalar(e, what)).transpose()
    }

    /// A number: literal, parameter / earlier measure, or an expression
    /// without probes (evaluated with [`eval`]).
    fn scalar(&self, e: &Expr, what: &str) -> MResult<f64> {
        if let Some(v) = e.as_num() {
            return finite(v, what);
        }
        for f in &self.scalars.failed {
            if mentions_ident(e, f) {
                return Err(format!("{what} uses measure '{f}', which failed"));
            }
        }
        if has_probe(e) {
            return Err(format!(
                "{what} must be a number, not a signal ({})",
                describe(e)
            ));
        }
        if let ExprKind::Ident(name) = &e.kind {
            if let Some(v) = self.scalars.ident(name) {
                return finite(v, what);
            }
        }
        let v = eval(e, &self.scalars).map_err(|d| format!("{what}: {}", d.message))?;
        finite(v, what)
    }

    // ------------------------------------------------------------ signals

    /// Values of a signal expression at every axis point.
    fn signal(&self, e: &Expr) -> MResult<Vec<f64>> {
        let n = self.axis.len();
        if let ExprKind::Probe { func, args } = &e.kind {
            return self.probe_values(func, args);
        }
        if let ExprKind::Call(f, a) = &e.kind {
            if f == "deriv" && a.len() == 1 {
                return Ok(derivative(self.axis, &self.signal(&a[0])?));
            }
        }
        let axis_name = self.axis_name();
        let per_point = has_probe(e) || axis_name.is_some_and(|a| mentions_ident(e, a));
        if !per_point {
            let v = self.scalar(e, "the value")?;
            return Ok(vec![v; n]);
        }
        let mut probes: Vec<(String, Vec<String>, Vec<f64>)> = Vec::new();
        let mut missing: Option<String> = None;
        e.for_each_probe(&mut |func, args, _| {
            if missing.is_some()
                || probes
                    .iter()
                    .any(|(f, a, _)| f == func && a.as_slice() == args)
            {
                return;
            }
            match self.probe_values(func, args) {
                Ok(v) => probes.push((func.to_string(), args.to_vec(), v)),
                Err(m) => missing = Some(m),
            }
        });
        if let Some(m) = missing {
            return Err(m);
        }
        for f in &self.scalars.failed {
            if mentions_ident(e, f) {
                return Err(format!("the signal uses measure '{f}', which failed"));
            }
        }
        let mut out = Vec::with_capacity(n);
        for (k, &x) in self.axis.iter().enumerate() {
            let env = PointEnv {
                scalars: &self.scalars,
                axis_name,
                x,
                k,
                probes: &probes,
            };
            let v = eval(e, &env)
                .map_err(|d| format!("at {}={x:e}: {}", self.axis_word(), d.message))?;
            out.push(v);
        }
        Ok(out)
    }

    /// A single probe's values, read from its column.
    fn probe_values(&self, func: &str, args: &[String]) -> MResult<Vec<f64>> {
        let text = probe_text(func, args);
        let Some((base, part)) = split_probe(func) else {
            return Err(format!(
                "unknown signal {text}: '{func}' is not a probe function"
            ));
        };
        let arity_ok = match base {
            "v" => args.len() == 1 || args.len() == 2,
            "i" => args.len() == 1,
            _ => args.len() == 2,
        };
        if !arity_ok {
            return Err(format!("malformed signal {text}"));
        }
        let n = self.axis.len();
        let col = self.data.column(base, args).ok_or_else(|| {
            format!(
                "unknown signal {text}: {} is not recorded in the {} results",
                probe_text(base, args),
                self.analysis_word()
            )
        })?;
        let v: Vec<f64> = match col {
            Column::Real(x) => {
                if x.len() != n {
                    return Err(length_error(&text, x.len(), n));
                }
                x.iter().map(|&x| part_value(part, x, None)).collect()
            }
            Column::Complex(re, im) => {
                if re.len() != n || im.len() != n {
                    return Err(length_error(&text, re.len().min(im.len()), n));
                }
                re.iter()
                    .zip(im)
                    .map(|(&r, &i)| part_value(part, r, Some(i)))
                    .collect()
            }
        };
        Ok(v)
    }

    // ------------------------------------------------------------ windows

    /// `x` must lie in the data range, within a tolerance for limits just
    /// outside it (rounding of the last time point) of 1e-9 of the axis
    /// scale `max(|b − a|, |a|, |b|)`; clamped into it.
    fn inside(&self, axis: &[f64], x: f64, what: &str) -> MResult<f64> {
        self.inside_ab(axis[0], axis[axis.len() - 1], x, what)
    }

    /// [`Ctx::inside`] for data from `a` to `b`.
    fn inside_ab(&self, a: f64, b: f64, x: f64, what: &str) -> MResult<f64> {
        let s = 1e-9 * (b - a).abs().max(a.abs()).max(b.abs());
        if x < a - s || x > b + s {
            return Err(format!(
                "{what}={x:e} is outside the data ({} from {a:e} to {b:e})",
                self.axis_word()
            ));
        }
        Ok(x.clamp(a, b))
    }

    /// `[FROM, TO]`, defaulting to the whole data, checked against it.
    fn window(&self, axis: &[f64], from: Option<f64>, to: Option<f64>) -> MResult<(f64, f64)> {
        let lo = match from {
            Some(f) => self.inside(axis, f, "FROM")?,
            None => axis[0],
        };
        let hi = match to {
            Some(t) => self.inside(axis, t, "TO")?,
            None => axis[axis.len() - 1],
        };
        if lo > hi {
            return Err(format!(
                "the window is empty: FROM={lo:e} is after TO={hi:e}"
            ));
        }
        Ok((lo, hi))
    }

    // ------------------------------------------------------------ crossings

    fn crossing(&self, axis: &[f64], c: &Condition) -> MResult<f64> {
        let lhs = self.signal(&c.lhs)?;
        let rhs = self.signal(&c.rhs)?;
        let d: Vec<f64> = lhs.iter().zip(&rhs).map(|(a, b)| a - b).collect();
        let td = self.opt_scalar(c.td.as_ref(), "TD")?;
        let from = self.opt_scalar(c.from.as_ref(), "FROM")?;
        let to = self.opt_scalar(c.to.as_ref(), "TO")?;
        let (a, b) = (axis[0], axis[axis.len() - 1]);
        let start = match (td, from) {
            (Some(x), Some(y)) => Some(x.max(y)),
            (x, y) => x.or(y),
        };
        let hi = match to {
            Some(t) => self.inside(axis, t, "TO")?,
            None => b,
        };
        let lo = match start {
            // A delay before the data is no restriction.
            Some(s) if s <= a => a,
            Some(s) if s > hi => {
                return Err(format!(
                    "nothing to search: TD/FROM={s:e} is after the end of the window ({hi:e})"
                ))
            }
            Some(s) => s,
            None => a,
        };
        let pts = window_points(axis, &d, lo, hi);
        let (want_rise, want_fall, count, word) = match c.edge {
            Edge::Rise(n) => (true, false, n, "rise"),
            Edge::Fall(n) => (false, true, n, "fall"),
            Edge::Cross(n) => (true, true, n, "crossing"),
        };
        if count == Count::Nth(0) {
            return Err(format!("{}=0: the count starts at 1", word.to_uppercase()));
        }
        // Sides of zero just outside the window, so that a crossing exactly at
        // its start or end (d = 0 there) is seen.
        let before = axis.partition_point(|&x| x < lo);
        let after = axis.partition_point(|&x| x <= hi);
        let side = |v: f64| -> i8 {
            if v > 0.0 {
                1
            } else if v < 0.0 {
                -1
            } else {
                0
            }
        };
        let outside_before = d[..before].iter().rev().map(|&v| side(v)).find(|&s| s != 0);
        let outside_after = d[after..].iter().map(|&v| side(v)).find(|&s| s != 0);
        let sides = (outside_before.unwrap_or(0), outside_after.unwrap_or(0));
        match find_crossing(&pts, sides, want_rise, want_fall, count) {
            Ok(x) => Ok(x),
            Err(found) => {
                let which = match count {
                    Count::Nth(n) => format!("{} {word}", ordinal(n)),
                    Count::Last => format!("{word} (LAST)"),
                };
                Err(format!(
                    "no {which} of {}={} between {} {lo:e} and {hi:e} (found {found})",
                    describe(&c.lhs),
                    describe(&c.rhs),
                    self.axis_word()
                ))
            }
        }
    }
}

fn length_error(text: &str, len: usize, n: usize) -> String {
    format!("signal {text} has {len} points but the axis has {n}")
}

fn ordinal(n: u32) -> String {
    let suffix = match (n % 10, n % 100) {
        (1, r) if r != 11 => "st",
        (2, r) if r != 12 => "nd",
        (3, r) if r != 13 => "rd",
        _ => "th",
    };
    format!("{n}{suffix}")
}

/// Linear interpolation of samples `y` over `axis` at `x` (within the axis).
fn interp(axis: &[f64], y: &[f64], x: f64) -> f64 {
    let n = axis.len();
    let j = axis.partition_point(|&a| a < x);
    if j < n && axis[j] == x {
        return y[j];
    }
    if j == 0 {
        return y[0];
    }
    if j >= n {
        return y[n - 1];
    }
    let (x0, x1, y0, y1) = (axis[j - 1], axis[j], y[j - 1], y[j]);
    y0 + (x - x0) * (y1 - y0) / (x1 - x0)
}

/// The samples of `y` in `[lo, hi]`, with interpolated end points.
fn window_points(axis: &[f64], y: &[f64], lo: f64, hi: f64) -> Vec<(f64, f64)> {
    let mut pts = vec![(lo, interp(axis, y, lo))];
    let first = axis.partition_point(|&a| a <= lo);
    for (&x, &v) in axis[first..].iter().zip(&y[first..]) {
        if x >= hi {
            break;
        }
        pts.push((x, v));
    }
    if hi > lo {
        pts.push((hi, interp(axis, y, hi)));
    }
    pts
}

/// AVG, RMS, INTEG, MIN, MAX, PP, MIN_AT, MAX_AT over window points.
fn stat(func: StatFn, pts: &[(f64, f64)], lo: f64, hi: f64) -> MResult<f64> {
    let mut acc = Acc::new();
    for &(x, y) in pts {
        acc.pt(x, y);
    }
    acc.stat(func, lo, hi)
}

/// Running statistics of window points fed in order: the trapezoidal
/// integrals of y and y² (summed in order, from −0.0 as `Iterator::sum`),
/// min, max (and where they first occur), and the first point whose value
/// is NaN / not finite. The batch [`stat`] and the stream ([`stream`]) both
/// reduce through it, so they agree to the bit.
#[derive(Debug, Clone, Copy)]
struct Acc {
    n: usize,
    last: (f64, f64),
    int: f64,
    int2: f64,
    min: f64,
    max: f64,
    /// Abscissae of the first minimum and maximum.
    min_at: f64,
    max_at: f64,
    nan: Option<f64>,
    nonfinite: Option<f64>,
}

impl Acc {
    fn new() -> Acc {
        Acc {
            n: 0,
            last: (0.0, 0.0),
            int: -0.0,
            int2: -0.0,
            min: f64::INFINITY,
            max: f64::NEG_INFINITY,
            min_at: f64::NAN,
            max_at: f64::NAN,
            nan: None,
            nonfinite: None,
        }
    }

    fn pt(&mut self, x: f64, y: f64) {
        if self.n > 0 {
            let (x0, y0) = self.last;
            self.int += 0.5 * (y0 + y) * (x - x0);
            self.int2 += 0.5 * (y0 * y0 + y * y) * (x - x0);
        }
        if y < self.min {
            self.min_at = x;
        }
        if y > self.max {
            self.max_at = x;
        }
        self.min = self.min.min(y);
        self.max = self.max.max(y);
        if self.nan.is_none() && y.is_nan() {
            self.nan = Some(x);
        }
        if self.nonfinite.is_none() && !y.is_finite() {
            self.nonfinite = Some(x);
        }
        self.last = (x, y);
        self.n += 1;
    }

    /// The statistic over the window `[lo, hi]` the points covered.
    fn stat(&self, func: StatFn, lo: f64, hi: f64) -> MResult<f64> {
        let width = hi - lo;
        let need_width = |name: &str| {
            if width > 0.0 {
                Ok(width)
            } else {
                Err(format!(
                    "{name} needs a window of non-zero width (FROM = TO = {lo:e})"
                ))
            }
        };
        Ok(match func {
            StatFn::Integ => self.int,
            StatFn::Avg => self.int / need_width("AVG")?,
            StatFn::Rms => (self.int2 / need_width("RMS")?).sqrt(),
            StatFn::Min => self.min,
            StatFn::Max => self.max,
            StatFn::Pp => self.max - self.min,
            StatFn::MinAt => self.min_at,
            StatFn::MaxAt => self.max_at,
        })
    }
}

// ------------------------------------------------------------ spectra

/// The strongest tone of a signal in a band.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Tone {
    /// Peak amplitude (signal unit).
    pub amp: f64,
    /// Frequency [Hz].
    pub freq: f64,
    /// Phase of the peak phasor [rad] (spectral lines only; NaN from a
    /// waveform).
    pub phase: f64,
}

/// In-place radix-2 FFT (`re.len()` a power of two).
fn fft(re: &mut [f64], im: &mut [f64]) {
    let n = re.len();
    let mut j = 0usize;
    for i in 1..n {
        let mut bit = n >> 1;
        while j & bit != 0 {
            j ^= bit;
            bit >>= 1;
        }
        j |= bit;
        if i < j {
            re.swap(i, j);
            im.swap(i, j);
        }
    }
    let mut len = 2;
    while len <= n {
        let ang = -2.0 * std::f64::consts::PI / len as f64;
        for start in (0..n).step_by(len) {
            for k in 0..len / 2 {
                let (s, c) = (ang * k as f64).sin_cos();
                let (a, b) = (start + k, start + k + len / 2);
                let tr = re[b] * c - im[b] * s;
                let ti = re[b] * s + im[b] * c;
                re[b] = re[a] - tr;
                im[b] = im[a] - ti;
                re[a] += tr;
                im[a] += ti;
            }
        }
        len <<= 1;
    }
}

/// The samples of `y` on a uniform grid over `[lo, hi]`: the data's own
/// points when they are uniform there (`.options interp`), else a linear
/// resampling with as many points as the data has in the window.
fn uniform_samples(axis: &[f64], y: &[f64], lo: f64, hi: f64) -> (Vec<f64>, f64) {
    let a = axis.partition_point(|&t| t < lo - 1e-9 * (hi - lo));
    let b = axis.partition_point(|&t| t <= hi + 1e-9 * (hi - lo));
    let seg = &axis[a..b];
    if seg.len() >= 8 {
        let dt = (seg[seg.len() - 1] - seg[0]) / (seg.len() - 1) as f64;
        let uniform = dt > 0.0
            && seg
                .windows(2)
                .all(|w| ((w[1] - w[0]) - dt).abs() <= 1e-6 * dt);
        if uniform {
            return (y[a..b].to_vec(), dt);
        }
    }
    let n = seg.len().max(64);
    let dt = (hi - lo) / (n - 1) as f64;
    let v = (0..n)
        .map(|k| interp(axis, y, (lo + k as f64 * dt).min(hi)))
        .collect();
    (v, dt)
}

/// Amplitude and frequency of the strongest tone of `y` in `[fmin, fmax]`
/// over the time window `[lo, hi]`: mean removed, window (Hann by default),
/// zero-padded FFT to find the peak, then the windowed DTFT maximised by
/// golden-section search around it (frequency far below one bin, amplitude
/// without scalloping loss). Amplitude = 2 |X(f)| / Σw.
pub fn strongest_tone(
    axis: &[f64],
    y: &[f64],
    lo: f64,
    hi: f64,
    fmin: Option<f64>,
    fmax: Option<f64>,
    window: FftWindow,
) -> MResult<Tone> {
    let (mut v, dt) = uniform_samples(axis, y, lo, hi);
    let n = v.len();
    if n < 8 {
        return Err(format!(
            "too few samples ({n}) in the window for a spectrum"
        ));
    }
    if v.iter().any(|x| !x.is_finite()) {
        return Err("the signal is not a finite number in the window".into());
    }
    let mean = v.iter().sum::<f64>() / n as f64;
    for x in &mut v {
        *x -= mean;
    }
    let w: Vec<f64> = match window {
        FftWindow::Rect => vec![1.0; n],
        FftWindow::Hann => (0..n)
            .map(|k| 0.5 - 0.5 * (2.0 * std::f64::consts::PI * k as f64 / n as f64).cos())
            .collect(),
    };
    let wsum: f64 = w.iter().sum();
    let span = n as f64 * dt;
    let nyq = 0.5 / dt;
    let lo_f = fmin.unwrap_or(match window {
        FftWindow::Hann => 2.0 / span,
        FftWindow::Rect => 1.0 / span,
    });
    let hi_f = fmax.unwrap_or(nyq).min(nyq);
    if !(lo_f >= 0.0 && hi_f > lo_f) {
        return Err(format!(
            "empty band: FMIN={lo_f:e} Hz, FMAX={hi_f:e} Hz (Nyquist {nyq:e} Hz, resolution {:e} Hz)",
            1.0 / span
        ));
    }
    // Zero-padded to at least twice the length: the coarse peak is within
    // half a bin of the true one; the DTFT search does the rest.
    let m = (2 * n).next_power_of_two();
    let mut re = vec![0.0; m];
    let mut im = vec![0.0; m];
    for k in 0..n {
        re[k] = v[k] * w[k];
    }
    fft(&mut re, &mut im);
    let df = 1.0 / (m as f64 * dt);
    let k0 = (lo_f / df).ceil() as usize;
    let k1 = ((hi_f / df).floor() as usize).min(m / 2);
    if k0 > k1 {
        return Err(format!(
            "the band {lo_f:e}…{hi_f:e} Hz holds no frequency of the spectrum"
        ));
    }
    let mut best = k0;
    let mut best_mag = -1.0;
    for k in k0..=k1 {
        let mag = re[k].hypot(im[k]);
        if mag > best_mag {
            best_mag = mag;
            best = k;
        }
    }
    // |X(f)| of the windowed samples at any frequency.
    // (The phase factor advances by a rotation, recomputed exactly every
    // 256 samples so that rounding does not accumulate.)
    let dtft = |f: f64| -> f64 {
        let (mut sr, mut si) = (0.0, 0.0);
        let step = -2.0 * std::f64::consts::PI * f * dt;
        let (rs, rc) = step.sin_cos();
        let (mut s, mut c) = (0.0f64, 1.0f64);
        for k in 0..n {
            if k % 256 == 0 {
                (s, c) = (step * k as f64).sin_cos();
            }
            let x = v[k] * w[k];
            sr += x * c;
            si += x * s;
            (s, c) = (s * rc + c * rs, c * rc - s * rs);
        }
        sr.hypot(si)
    };
    let (mut a, mut b) = (
        ((best as f64 - 1.0) * df).max(lo_f),
        ((best as f64 + 1.0) * df).min(hi_f),
    );
    let g = 0.5 * (5f64.sqrt() - 1.0);
    let mut c = b - g * (b - a);
    let mut d = a + g * (b - a);
    let (mut fc, mut fd) = (dtft(c), dtft(d));
    for _ in 0..60 {
        if fc > fd {
            b = d;
            d = c;
            fd = fc;
            c = b - g * (b - a);
            fc = dtft(c);
        } else {
            a = c;
            c = d;
            fc = fd;
            d = a + g * (b - a);
            fd = dtft(d);
        }
        if b - a <= 1e-12 * b.abs().max(df) {
            break;
        }
    }
    let f = 0.5 * (a + b);
    Ok(Tone {
        amp: 2.0 * dtft(f) / wsum,
        freq: f,
        phase: f64::NAN,
    })
}

/// The crossing of zero by the window points `(x, d)` that `count` selects
/// among the wanted rises/falls; Err(number of wanted crossings seen).
/// `sides` = signs (−1, 0 = unknown, 1) of the data just before and just after
/// the window: they only matter when `d` is exactly 0 at a window end, to
/// decide whether the signal crosses there.
fn find_crossing(
    pts: &[(f64, f64)],
    sides: (i8, i8),
    want_rise: bool,
    want_fall: bool,
    count: Count,
) -> Result<f64, usize> {
    // Sign of the last non-zero sample (0 = none yet), the first zero sample
    // after it, and that last non-zero sample.
    let mut sign = 0i8;
    let mut zero_at: Option<f64> = None;
    let mut prev = (0.0, 0.0);
    let mut seen = 0usize;
    let mut last = None;
    if let Some(&(x, d)) = pts.first() {
        if d == 0.0 && sides.0 != 0 {
            sign = sides.0;
            zero_at = Some(x);
        }
    }
    // A new sign `s` arriving at `x` (with value `d`): a crossing if it differs.
    let mut step = |s: i8, x: f64, d: f64, sign: i8, zero_at: Option<f64>, prev: (f64, f64)| {
        if sign == 0 || s == sign {
            return None;
        }
        let rising = s > 0;
        if !((rising && want_rise) || (!rising && want_fall)) {
            return None;
        }
        let xc = match zero_at {
            Some(z) => z,
            None => {
                let (xp, dp) = prev;
                xp + (0.0 - dp) * (x - xp) / (d - dp)
            }
        };
        seen += 1;
        last = Some(xc);
        (count == Count::Nth(seen as u32)).then_some(xc)
    };
    for &(x, d) in pts {
        if d.is_nan() {
            continue;
        }
        if d == 0.0 {
            if sign != 0 && zero_at.is_none() {
                zero_at = Some(x);
            }
            continue;
        }
        let s: i8 = if d > 0.0 { 1 } else { -1 };
        if let Some(xc) = step(s, x, d, sign, zero_at, prev) {
            return Ok(xc);
        }
        sign = s;
        zero_at = None;
        prev = (x, d);
    }
    // Zero at the end of the window and the other side just after it.
    if zero_at.is_some() && sides.1 != 0 {
        if let Some(xc) = step(sides.1, f64::NAN, f64::NAN, sign, zero_at, prev) {
            return Ok(xc);
        }
    }
    match count {
        Count::Last => last.ok_or(seen),
        Count::Nth(_) => Err(seen),
    }
}

/// dy/dx at every point of a sampled curve (`.meas DERIV`): the slope of
/// the parabola through each point and its neighbours (second-order on an
/// uneven grid), one-sided at the ends; 0 where the axis does not advance.
fn derivative(x: &[f64], y: &[f64]) -> Vec<f64> {
    let n = x.len().min(y.len());
    let slope = |i: usize, j: usize| {
        let dx = x[j] - x[i];
        if dx == 0.0 {
            0.0
        } else {
            (y[j] - y[i]) / dx
        }
    };
    (0..n)
        .map(|k| match (k, n) {
            (_, 0 | 1) => 0.0,
            (0, _) => slope(0, 1),
            (k, n) if k == n - 1 => slope(n - 2, n - 1),
            (k, _) => {
                let (h0, h1) = (x[k] - x[k - 1], x[k + 1] - x[k]);
                if h0 + h1 == 0.0 {
                    return 0.0;
                }
                (slope(k - 1, k) * h1 + slope(k, k + 1) * h0) / (h0 + h1)
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diag::Span;
    use crate::expr::BinOp;
    use crate::netlist::ast::Ident;
    use std::f64::consts::PI;

    // ------------------------------------------------------------ fixtures

    enum Col {
        Real(Vec<f64>),
        Complex(Vec<f64>, Vec<f64>),
    }

    struct Data {
        kind: MeasAnalysis,
        axis: Vec<f64>,
        cols: Vec<(&'static str, Vec<&'static str>, Col)>,
    }

    impl Data {
        fn tran(axis: Vec<f64>) -> Data {
            Data {
                kind: MeasAnalysis::Tran,
                axis,
                cols: Vec::new(),
            }
        }
        fn with(mut self, func: &'static str, args: &[&'static str], col: Col) -> Data {
            self.cols.push((func, args.to_vec(), col));
            self
        }
        fn v(self, node: &'static str, y: Vec<f64>) -> Data {
            self.with("v", &[node], Col::Real(y))
        }
    }

    impl MeasData for Data {
        fn analysis(&self) -> MeasAnalysis {
            self.kind
        }
        fn axis(&self) -> &[f64] {
            &self.axis
        }
        fn column(&self, func: &str, args: &[String]) -> Option<Column<'_>> {
            self.cols
                .iter()
                .find(|(f, a, _)| {
                    *f == func && a.len() == args.len() && a.iter().zip(args).all(|(x, y)| x == y)
                })
                .map(|(_, _, c)| match c {
                    Col::Real(v) => Column::Real(v),
                    Col::Complex(r, i) => Column::Complex(r, i),
                })
        }
    }

    /// Parameters for scalar arguments.
    struct Params(Vec<(&'static str, f64)>);
    impl Env for Params {
        fn ident(&self, name: &str) -> Option<f64> {
            self.0.iter().find(|(n, _)| *n == name).map(|(_, v)| *v)
        }
    }
    const NO_PARAMS: Params = Params(Vec::new());

    fn sp() -> Span {
        Span::default()
    }
    fn num(v: f64) -> Expr {
        Expr::num(v, sp())
    }
    fn ident(n: &str) -> Expr {
        Expr {
            kind: ExprKind::Ident(n.into()),
            span: sp(),
        }
    }
    fn probe(func: &str, args: &[&str]) -> Expr {
        Expr {
            kind: ExprKind::Probe {
                func: func.into(),
                args: args.iter().map(|s| s.to_string()).collect(),
            },
            span: sp(),
        }
    }
    fn v(node: &str) -> Expr {
        probe("v", &[node])
    }
    fn bin(op: BinOp, a: Expr, b: Expr) -> Expr {
        Expr {
            kind: ExprKind::Binary(op, Box::new(a), Box::new(b)),
            span: sp(),
        }
    }
    fn meas(name: &str, kind: MeasKind) -> Measure {
        meas_in(MeasAnalysis::Tran, name, kind)
    }
    fn meas_in(analysis: MeasAnalysis, name: &str, kind: MeasKind) -> Measure {
        Measure {
            analysis,
            name: Ident {
                name: name.into(),
                span: sp(),
            },
            kind,
            span: sp(),
        }
    }
    fn stat(func: StatFn, signal: Expr, from: Option<f64>, to: Option<f64>) -> MeasKind {
        MeasKind::Stat {
            func,
            signal,
            from: from.map(num),
            to: to.map(num),
        }
    }
    fn cond(lhs: Expr, rhs: Expr, edge: Edge) -> Condition {
        Condition {
            lhs,
            rhs,
            edge,
            td: None,
            from: None,
            to: None,
        }
    }
    fn when(lhs: Expr, val: f64, edge: Edge) -> MeasKind {
        MeasKind::When(cond(lhs, num(val), edge))
    }

    fn run(ms: &[Measure], data: &Data, params: &dyn Env) -> Vec<MeasureValue> {
        let refs: Vec<&Measure> = ms.iter().collect();
        evaluate(&refs, data, params)
    }
    fn one(m: MeasKind, data: &Data) -> Result<f64, String> {
        run(&[meas("m", m)], data, &NO_PARAMS)[0].value.clone()
    }
    #[track_caller]
    fn assert_close(got: Result<f64, String>, want: f64, rel: f64) {
        let g = got.unwrap_or_else(|e| panic!("measure failed: {e}"));
        assert!(
            (g - want).abs() <= rel * want.abs().max(1e-300),
            "got {g:e}, want {want:e} (rel {:.1e})",
            (g - want).abs() / want.abs()
        );
    }
    #[track_caller]
    fn assert_err(got: Result<f64, String>, contains: &str) {
        match got {
            Ok(v) => panic!("expected an error containing '{contains}', got {v}"),
            Err(m) => assert!(m.contains(contains), "error '{m}' lacks '{contains}'"),
        }
    }

    /// y = off + A·sin(2π f t) sampled uniformly, `per` samples per period, `n` periods.
    fn sine(off: f64, amp: f64, f: f64, per: usize, n: usize) -> Data {
        let h = 1.0 / (f * per as f64);
        let axis: Vec<f64> = (0..=per * n).map(|k| k as f64 * h).collect();
        let y = axis
            .iter()
            .map(|t| off + amp * (2.0 * PI * f * t).sin())
            .collect();
        Data::tran(axis).v("out", y)
    }

    /// Triangle 0,1,0,1,… at x = 0,1,2,… (9 points): crossings of 0.5 at k+0.5.
    fn triangle() -> Data {
        let axis: Vec<f64> = (0..9).map(|k| k as f64).collect();
        let y = (0..9).map(|k| (k % 2) as f64).collect();
        Data::tran(axis).v("a", y)
    }

    // ------------------------------------------------------------ statistics

    #[test]
    fn sine_statistics() {
        // 3 whole periods of 0.4 + 1.5 sin(2π·1kHz·t), 200 samples per period:
        // the trapezoidal rule is exact (to rounding) for these trig polynomials.
        let d = sine(0.4, 1.5, 1e3, 200, 3);
        let s = |f| one(stat(f, v("out"), None, None), &d);
        assert_close(s(StatFn::Avg), 0.4, 1e-12);
        assert_close(
            s(StatFn::Rms),
            (0.4f64 * 0.4 + 1.5 * 1.5 / 2.0).sqrt(),
            1e-12,
        );
        assert_close(s(StatFn::Integ), 0.4 * 3e-3, 1e-12);
        assert_close(s(StatFn::Pp), 3.0, 1e-12);
        assert_close(s(StatFn::Max), 1.9, 1e-12);
        assert_close(s(StatFn::Min), -1.1, 1e-12);
        // the first of the three peaks and troughs (on samples 50 and 150)
        assert_close(s(StatFn::MaxAt), 0.25e-3, 1e-12);
        assert_close(s(StatFn::MinAt), 0.75e-3, 1e-12);
        // A window of exactly one period in the middle, limits between samples
        // shifted by a whole period keep the result.
        let w = |f| one(stat(f, v("out"), Some(1e-3), Some(2e-3)), &d);
        assert_close(w(StatFn::Avg), 0.4, 1e-12);
        assert_close(
            w(StatFn::Rms),
            (0.4f64 * 0.4 + 1.5 * 1.5 / 2.0).sqrt(),
            1e-12,
        );
    }

    #[test]
    fn ramp_window_interpolates_end_points() {
        // y = 2x − 1 on an irregular grid: piecewise-linear data, so every
        // measure is exact (to rounding).
        let axis = vec![0.0, 0.13, 0.3, 0.31, 0.58, 0.9, 1.0];
        let y = axis.iter().map(|x| 2.0 * x - 1.0).collect();
        let d = Data::tran(axis).v("r", y);
        let f = |x: f64| x * x - x; // antiderivative
        let s = |fun, a, b| one(stat(fun, v("r"), Some(a), Some(b)), &d);
        assert_close(s(StatFn::Integ, 0.1, 0.77), f(0.77) - f(0.1), 1e-12);
        assert_close(s(StatFn::Avg, 0.1, 0.77), (f(0.77) - f(0.1)) / 0.67, 1e-12);
        assert_close(s(StatFn::Min, 0.2, 0.7), -0.6, 1e-12);
        assert_close(s(StatFn::Max, 0.2, 0.7), 0.4, 1e-12);
        assert_close(s(StatFn::Pp, 0.2, 0.7), 1.0, 1e-12);
        // RMS: trapezoids on y² over the window points 0.2, 0.3, 0.31, 0.58, 0.7.
        let pts = [0.2, 0.3, 0.31, 0.58, 0.7];
        let sq = |x: f64| (2.0 * x - 1.0) * (2.0 * x - 1.0);
        let trap: f64 = pts
            .windows(2)
            .map(|w| 0.5 * (sq(w[0]) + sq(w[1])) * (w[1] - w[0]))
            .sum();
        assert_close(s(StatFn::Rms, 0.2, 0.7), (trap / 0.5).sqrt(), 1e-12);
        // FIND … AT=
        assert_close(
            one(
                MeasKind::FindAt {
                    signal: v("r"),
                    at: num(0.333),
                },
                &d,
            ),
            -0.334,
            1e-12,
        );
        assert_close(
            one(
                MeasKind::FindAt {
                    signal: v("r"),
                    at: num(0.58),
                },
                &d,
            ),
            0.16,
            1e-12,
        );
        // Zero-width window: MIN/MAX/INTEG defined, AVG/RMS not.
        assert_close(s(StatFn::Max, 0.45, 0.45), -0.1, 1e-12);
        assert_eq!(s(StatFn::Integ, 0.45, 0.45), Ok(0.0));
        assert_err(s(StatFn::Avg, 0.45, 0.45), "non-zero width");
    }

    #[test]
    fn exponential_integral() {
        // y = e^(−t/τ), uniform step h, N steps over L = N·h.
        let (tau, n, h) = (1e-3, 400usize, 1e-5);
        let axis: Vec<f64> = (0..=n).map(|k| k as f64 * h).collect();
        let y = axis.iter().map(|t| (-t / tau).exp()).collect();
        let d = Data::tran(axis).v("e", y);
        let got = one(stat(StatFn::Integ, v("e"), None, None), &d);
        // The trapezoidal sum in closed form: (h/2)(1+r)/(1−r)(1−r^N), r = e^(−h/τ).
        let r = (-h / tau).exp();
        let trap = h / 2.0 * (1.0 + r) / (1.0 - r) * (1.0 - r.powi(n as i32));
        assert_close(got.clone(), trap, 1e-12);
        // And the exact integral within the trapezoidal error bound L·h²·max|y''|/12.
        let l = n as f64 * h;
        let exact = tau * (1.0 - (-l / tau).exp());
        let bound = l * h * h / (tau * tau) / 12.0;
        let g = got.unwrap();
        assert!((g - exact).abs() <= bound, "{g} vs {exact}, bound {bound}");
        assert!(
            (g - exact).abs() >= bound / 10.0,
            "error suspiciously small"
        );
    }

    // ------------------------------------------------------------ crossings

    #[test]
    fn when_counts_rises_falls_crosses() {
        let d = triangle();
        let w = |e| one(when(v("a"), 0.5, e), &d);
        assert_close(w(Edge::Rise(Count::Nth(1))), 0.5, 1e-15);
        assert_close(w(Edge::Rise(Count::Nth(2))), 2.5, 1e-15);
        assert_close(w(Edge::Fall(Count::Nth(1))), 1.5, 1e-15);
        assert_close(w(Edge::Cross(Count::Nth(3))), 2.5, 1e-15);
        assert_close(w(Edge::Cross(Count::Nth(4))), 3.5, 1e-15);
        assert_close(w(Edge::Rise(Count::Last)), 6.5, 1e-15);
        assert_close(w(Edge::Fall(Count::Last)), 7.5, 1e-15);
        assert_close(w(Edge::Cross(Count::Last)), 7.5, 1e-15);
        // Interpolation at a non-midpoint level.
        assert_close(
            one(when(v("a"), 0.2, Edge::Fall(Count::Nth(2))), &d),
            3.8,
            1e-15,
        );
        // Not found.
        assert_err(w(Edge::Rise(Count::Nth(5))), "no 5th rise of v(a)=0.5");
        assert_err(
            one(when(v("a"), 2.0, Edge::Cross(Count::Last)), &d),
            "found 0",
        );
        assert_err(w(Edge::Rise(Count::Nth(0))), "RISE=0");
    }

    #[test]
    fn when_delay_and_window() {
        let d = triangle();
        let mut c = cond(v("a"), num(0.5), Edge::Rise(Count::Nth(1)));
        c.td = Some(num(3.0));
        assert_close(one(MeasKind::When(c.clone()), &d), 4.5, 1e-15);
        // A crossing exactly at the delay counts; one just before it does not.
        c.td = Some(num(4.5));
        assert_close(one(MeasKind::When(c.clone()), &d), 4.5, 1e-15);
        c.td = Some(num(4.50001));
        assert_close(one(MeasKind::When(c.clone()), &d), 6.5, 1e-15);
        // FROM/TO window; the later of TD and FROM wins.
        let mut c = cond(v("a"), num(0.5), Edge::Cross(Count::Last));
        c.from = Some(num(1.0));
        c.to = Some(num(5.2));
        assert_close(one(MeasKind::When(c.clone()), &d), 4.5, 1e-15);
        c.td = Some(num(5.0));
        assert_err(
            one(MeasKind::When(c.clone()), &d),
            "between time 5e0 and 5.2e0",
        );
        c.td = Some(num(6.0));
        assert_err(one(MeasKind::When(c), &d), "after the end of the window");
        // A crossing exactly at TO counts too.
        let mut c = cond(v("a"), num(0.5), Edge::Rise(Count::Last));
        c.to = Some(num(2.5));
        assert_close(one(MeasKind::When(c.clone()), &d), 2.5, 1e-15);
        c.to = Some(num(2.49));
        assert_close(one(MeasKind::When(c), &d), 0.5, 1e-15);
        // Touching the level at the window start is no crossing.
        let axis: Vec<f64> = (0..4).map(|k| k as f64).collect();
        let t = Data::tran(axis).v("a", vec![1.0, 0.0, 1.0, -1.0]);
        let mut c = cond(v("a"), num(0.0), Edge::Cross(Count::Nth(1)));
        c.td = Some(num(1.0));
        assert_close(one(MeasKind::When(c), &t), 2.5, 1e-15);
    }

    #[test]
    fn crossing_through_exact_zero_and_touching() {
        // d: -1, 0, 0, 1 (rise at the first zero), 1, 0, 1 (touch: no crossing), -1
        let axis: Vec<f64> = (0..8).map(|k| k as f64).collect();
        let d = Data::tran(axis).v("a", vec![-1.0, 0.0, 0.0, 1.0, 1.0, 0.0, 1.0, -1.0]);
        let w = |e| one(when(v("a"), 0.0, e), &d);
        assert_close(w(Edge::Rise(Count::Nth(1))), 1.0, 1e-15);
        assert_close(w(Edge::Cross(Count::Nth(2))), 6.5, 1e-15);
        assert_err(w(Edge::Rise(Count::Nth(2))), "found 1");
    }

    #[test]
    fn when_two_signals_and_find_when() {
        // a: triangle; b: ramp x/8 → a = b where the triangle meets the ramp.
        let d = triangle();
        let axis = d.axis.clone();
        let b: Vec<f64> = axis.iter().map(|x| x / 8.0).collect();
        let c2: Vec<f64> = axis.iter().map(|x| 10.0 - x).collect();
        let d = d.v("b", b).v("c", c2);
        // Between x=0 (a=0 < 0) and x=1 (a=1 > 1/8): a − b = x − x/8 = 0 only at 0,
        // so the first rise is the start, not counted; first fall on [1,2]:
        // 2 − x = x/8 → x = 16/9.
        assert_close(
            one(
                MeasKind::When(cond(v("a"), v("b"), Edge::Fall(Count::Nth(1)))),
                &d,
            ),
            16.0 / 9.0,
            1e-14,
        );
        // First rise, on [2,3]: x − 2 = x/8 → x = 16/7; second on [4,5]: 32/7.
        assert_close(
            one(
                MeasKind::When(cond(v("a"), v("b"), Edge::Rise(Count::Nth(1)))),
                &d,
            ),
            16.0 / 7.0,
            1e-14,
        );
        assert_close(
            one(
                MeasKind::When(cond(v("a"), v("b"), Edge::Rise(Count::Nth(2)))),
                &d,
            ),
            32.0 / 7.0,
            1e-14,
        );
        // FIND v(c) WHEN v(a)=0.5 RISE=2 → c at 2.5.
        let find = MeasKind::FindWhen {
            signal: v("c"),
            when: cond(v("a"), num(0.5), Edge::Rise(Count::Nth(2))),
        };
        assert_close(one(find, &d), 7.5, 1e-15);
    }

    #[test]
    fn trig_targ() {
        let d = triangle();
        let trig = Trigger::Cross(cond(v("a"), num(0.5), Edge::Rise(Count::Nth(1))));
        let targ = Trigger::Cross(cond(v("a"), num(0.5), Edge::Fall(Count::Nth(2))));
        assert_close(
            one(
                MeasKind::TrigTarg {
                    trig: trig.clone(),
                    targ,
                },
                &d,
            ),
            3.0,
            1e-15,
        );
        let at = MeasKind::TrigTarg {
            trig: Trigger::At(num(1.0)),
            targ: Trigger::Cross(cond(v("a"), num(0.25), Edge::Cross(Count::Last))),
        };
        assert_close(one(at, &d), 6.75, 1e-15);
        let bad = MeasKind::TrigTarg {
            trig,
            targ: Trigger::Cross(cond(v("a"), num(3.0), Edge::Rise(Count::Nth(1)))),
        };
        assert_err(one(bad, &d), "TARG: no 1st rise of v(a)=3");
    }

    // ------------------------------------------------------------ AC

    /// RC low-pass H = 1/(1 + j f/fc), fc = 1 kHz, 10 points per decade 10 Hz – 100 kHz.
    fn lowpass() -> (Data, Vec<f64>) {
        let fc = 1e3;
        let f: Vec<f64> = (0..=40)
            .map(|k| 10f64 * 10f64.powf(k as f64 / 10.0))
            .collect();
        let (mut re, mut im) = (Vec::new(), Vec::new());
        for &x in &f {
            let w = x / fc;
            re.push(1.0 / (1.0 + w * w));
            im.push(-w / (1.0 + w * w));
        }
        let d = Data {
            kind: MeasAnalysis::Ac,
            axis: f.clone(),
            cols: vec![("v", vec!["out"], Col::Complex(re, im))],
        };
        (d, f)
    }

    fn ac(kind: MeasKind, d: &Data) -> Result<f64, String> {
        run(&[meas_in(MeasAnalysis::Ac, "m", kind)], d, &NO_PARAMS)[0]
            .value
            .clone()
    }

    #[test]
    fn ac_forms() {
        let (d, f) = lowpass();
        let at = |func: &str, k: usize| {
            ac(
                MeasKind::FindAt {
                    signal: probe(func, &["out"]),
                    at: num(f[k]),
                },
                &d,
            )
        };
        let w = f[17] / 1e3;
        let mag = 1.0 / (1.0 + w * w).sqrt();
        assert_close(at("vm", 17), mag, 1e-14);
        assert_close(at("v", 17), mag, 1e-14); // bare v = magnitude in AC
        assert_close(at("vdb", 17), 20.0 * mag.log10(), 1e-13);
        assert_close(at("vp", 17), -w.atan(), 1e-14); // radians
        assert_close(at("vr", 17), 1.0 / (1.0 + w * w), 1e-14);
        assert_close(at("vi", 17), -w / (1.0 + w * w), 1e-14);
        // MAX vdb is at the first point.
        let w0 = f[0] / 1e3;
        assert_close(
            ac(stat(StatFn::Max, probe("vdb", &["out"]), None, None), &d),
            -10.0 * (1.0 + w0 * w0).log10(),
            1e-12,
        );
        // WHEN vp = −π/4: linear interpolation of the phase between the
        // bracketing frequencies (f[20] = 1 kHz exactly has −π/4 up to rounding).
        let ph = |x: f64| -(x / 1e3).atan();
        let (k0, k1) = (19, 21);
        let got = ac(
            when(probe("vp", &["out"]), -PI / 3.0, Edge::Fall(Count::Nth(1))),
            &d,
        );
        // −π/3 is crossed between the two samples around √3 kHz.
        let k = f.iter().position(|&x| ph(x) < -PI / 3.0).unwrap();
        let want =
            f[k - 1] + (-PI / 3.0 - ph(f[k - 1])) * (f[k] - f[k - 1]) / (ph(f[k]) - ph(f[k - 1]));
        assert_close(got, want, 1e-12);
        assert!(ph(f[k0]) > -PI / 4.0 && ph(f[k1]) < -PI / 4.0);
    }

    // ------------------------------------------------------------ params, errors

    #[test]
    fn param_and_scalar_names() {
        let d = triangle();
        let params = Params(vec![("half", 0.5), ("t3", 3.0)]);
        let mut c = cond(v("a"), ident("half"), Edge::Rise(Count::Nth(1)));
        c.td = Some(ident("t3"));
        let ms = [
            meas("first", MeasKind::When(c)),
            meas("again", MeasKind::Param(ident("first"))),
            meas("p", MeasKind::Param(ident("half"))),
            // TD may use an earlier measure.
            meas(
                "next",
                MeasKind::When(Condition {
                    td: Some(ident("first")),
                    ..cond(v("a"), num(0.5), Edge::Fall(Count::Nth(1)))
                }),
            ),
        ];
        let r = run(&ms, &d, &params);
        assert_eq!(r.len(), 4);
        assert_eq!(r[0].name, "first");
        assert_eq!(r[0].analysis, AnalysisKind::Tran);
        assert_eq!(r[0].value, Ok(4.5));
        assert_eq!(r[1].value, Ok(4.5));
        assert_eq!(r[2].value, Ok(0.5));
        assert_eq!(r[3].value, Ok(5.5));
    }

    #[test]
    fn failures_are_errors_not_panics() {
        let d = triangle();
        let ms = [
            meas("unknown", stat(StatFn::Avg, v("nope"), None, None)),
            meas("dep", MeasKind::Param(ident("unknown"))),
            meas("late", stat(StatFn::Avg, v("a"), Some(2.0), Some(9.5))),
            meas(
                "early",
                MeasKind::FindAt {
                    signal: v("a"),
                    at: num(-1.0),
                },
            ),
            meas("backwards", stat(StatFn::Max, v("a"), Some(5.0), Some(4.0))),
            meas("nan", MeasKind::Param(num(f64::NAN))),
            meas(
                "sig",
                MeasKind::FindAt {
                    signal: v("a"),
                    at: v("a"),
                },
            ),
            meas("badfn", stat(StatFn::Max, probe("vx", &["a"]), None, None)),
            meas(
                "arity",
                stat(StatFn::Max, probe("i", &["a", "b"]), None, None),
            ),
            meas("db0", stat(StatFn::Min, probe("vdb", &["a"]), None, None)),
            // Rounding slack at the end of the data is accepted.
            meas("edge", stat(StatFn::Max, v("a"), None, Some(8.0 + 1e-12))),
        ];
        let r = run(&ms, &d, &NO_PARAMS);
        assert_err(r[0].value.clone(), "unknown signal v(nope)");
        assert_err(r[1].value.clone(), "measure 'unknown', which failed");
        assert_err(r[2].value.clone(), "TO=9.5e0 is outside the data");
        assert_err(r[3].value.clone(), "AT=-1e0 is outside the data");
        assert_err(r[4].value.clone(), "window is empty");
        assert_err(r[5].value.clone(), "not a finite number");
        assert_err(r[6].value.clone(), "must be a number, not a signal");
        assert_err(r[7].value.clone(), "not a probe function");
        assert_err(r[8].value.clone(), "malformed signal i(a,b)");
        assert_err(r[9].value.clone(), "not a finite number");
        assert_eq!(r[10].value, Ok(1.0));
        // Degenerate data.
        let empty = Data::tran(vec![]).v("a", vec![]);
        assert_err(
            one(stat(StatFn::Max, v("a"), None, None), &empty),
            "no data points",
        );
        let short = Data::tran(vec![0.0, 1.0]).v("a", vec![1.0]);
        assert_err(
            one(stat(StatFn::Max, v("a"), None, None), &short),
            "has 1 points but the axis has 2",
        );
        let back = Data::tran(vec![0.0, 2.0, 1.0]).v("a", vec![0.0; 3]);
        assert_err(
            one(stat(StatFn::Max, v("a"), None, None), &back),
            "not increasing",
        );
        let nan = Data::tran(vec![0.0, 1.0]).v("a", vec![0.0, f64::NAN]);
        assert_err(
            one(stat(StatFn::Max, v("a"), None, None), &nan),
            "not a number at time=1e0",
        );
    }

    #[test]
    fn other_analyses_are_skipped() {
        let d = triangle();
        let ms = [
            meas_in(MeasAnalysis::Ac, "x", stat(StatFn::Max, v("a"), None, None)),
            meas("y", stat(StatFn::Max, v("a"), None, None)),
        ];
        let r = run(&ms, &d, &NO_PARAMS);
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].name, "y");
        assert_eq!(r[0].value, Ok(1.0));
    }

    #[test]
    fn required_probes_lists_base_probes_once() {
        let ms = vec![
            meas("a", stat(StatFn::Avg, v("out"), None, None)),
            meas_in(
                MeasAnalysis::Ac,
                "b",
                stat(StatFn::Max, probe("vdb", &["out"]), None, None),
            ),
            meas(
                "c",
                MeasKind::FindWhen {
                    signal: probe("i", &["v1"]),
                    when: cond(
                        probe("v", &["a", "b"]),
                        probe("ip", &["l1"]),
                        Edge::Rise(Count::Last),
                    ),
                },
            ),
            meas(
                "d",
                MeasKind::TrigTarg {
                    trig: Trigger::At(num(1.0)),
                    targ: Trigger::Cross(cond(
                        probe("@", &["m1", "mx"]),
                        num(0.0),
                        Edge::Cross(Count::Nth(1)),
                    )),
                },
            ),
            meas("e", MeasKind::Param(ident("a"))),
            meas(
                "f",
                MeasKind::FindAt {
                    signal: bin(BinOp::Sub, v("out"), v("in")),
                    at: num(1.0),
                },
            ),
        ];
        let got = required_probes(&ms);
        let want: Vec<(String, Vec<String>)> = [
            ("v", vec!["out"]),
            ("i", vec!["v1"]),
            ("v", vec!["a", "b"]),
            ("i", vec!["l1"]),
            ("@", vec!["m1", "mx"]),
            ("v", vec!["in"]),
        ]
        .into_iter()
        .map(|(f, a)| (f.to_string(), a.into_iter().map(String::from).collect()))
        .collect();
        assert_eq!(got, want);
    }

    // ------------------------------------------------------------ ngspice

    use crate::devices::waveform::ngspice_tool;

    /// `name = value` lines of ngspice's `.meas` output (first occurrence).
    fn ngspice_results(stdout: &str) -> Vec<(String, f64)> {
        let mut out: Vec<(String, f64)> = Vec::new();
        for line in stdout.lines() {
            let Some((name, rest)) = line.split_once('=') else {
                continue;
            };
            let name = name.trim();
            if name.is_empty() || name.contains(char::is_whitespace) {
                continue;
            }
            let Some(Ok(v)) = rest.split_whitespace().next().map(str::parse::<f64>) else {
                continue;
            };
            if !out.iter().any(|(n, _)| n == name) {
                out.push((name.to_string(), v));
            }
        }
        out
    }

    /// Max |y''| and max step over the samples inside [lo, hi] (for the
    /// trapezoid-vs-Simpson tolerance).
    fn curvature(axis: &[f64], y: &[f64], lo: f64, hi: f64) -> (f64, f64) {
        let (mut m2, mut h) = (0.0f64, 0.0f64);
        for k in 1..axis.len() - 1 {
            if axis[k] < lo || axis[k] > hi {
                continue;
            }
            let (h0, h1) = (axis[k] - axis[k - 1], axis[k + 1] - axis[k]);
            let d2 = 2.0 * ((y[k + 1] - y[k]) / h1 - (y[k] - y[k - 1]) / h0) / (h0 + h1);
            m2 = m2.max(d2.abs());
            h = h.max(h0).max(h1);
        }
        (m2, h)
    }

    #[test]
    fn matches_ngspice_tran() {
        if !ngspice_tool::available("meas::matches_ngspice_tran") {
            return;
        }
        // Offset sine through an RC low-pass (τ = 10 µs, f = 10 kHz).
        let measures = "\
.meas tran avg_all avg v(out)
.meas tran rms_all rms v(out)
.meas tran int_all integ v(out)
.meas tran rms_w rms v(out) from=1.23e-4 to=2.71e-4
.meas tran int_w integ v(out) from=1.23e-4 to=2.71e-4
.meas tran max_w max v(out) from=1.1e-4 to=2.9e-4
.meas tran min_w min v(out) from=1.1e-4 to=2.9e-4
.meas tran pp_w pp v(out) from=1.1e-4 to=2.9e-4
.meas tran max_at_w max_at v(out) from=1.1e-4 to=2.9e-4
.meas tran min_at_w min_at v(out) from=1.1e-4 to=2.9e-4
.meas tran t_r2 when v(out)=0.8 rise=2
.meas tran t_fl when v(out)=0.8 fall=last
.meas tran t_c3 when v(out)=v(in) cross=3 td=2e-5
.meas tran t_td when v(out)=0.2 rise=1 td=1.37e-4
.meas tran f_w find v(in) when v(out)=0.8 fall=1
.meas tran f_at find v(out) at=1.234e-4
.meas tran d1 trig v(in) val=0.9 rise=1 targ v(out) val=0.9 rise=1
.meas tran d2 trig at=5e-5 targ v(out) val=0.1 fall=2
";
        let net = format!(
            "meas cross-check\nv1 in 0 sin(0.5 1 10k)\nr1 in out 1k\nc1 out 0 10n\n\
             .tran 1e-7 3e-4 0 1e-7\n{measures}\
             .control\nset numdgt=17\nset wr_singlescale\nrun\nwrdata meas.txt v(in) v(out)\nquit\n.endc\n.end\n"
        );
        let dir = tempfile::tempdir().unwrap();
        let stdout = ngspice_tool::run(
            dir.path(),
            "meas",
            &net,
            &[("NGSPICE_MEAS_PRECISION", "15")],
        );
        let ng = ngspice_results(&stdout);
        let rows = ngspice_tool::read_wrdata(&dir.path().join("meas.txt"));
        let axis: Vec<f64> = rows.iter().map(|r| r[0]).collect();
        let vin: Vec<f64> = rows.iter().map(|r| r[1]).collect();
        let vout: Vec<f64> = rows.iter().map(|r| r[2]).collect();
        let data = Data::tran(axis.clone()).v("in", vin).v("out", vout.clone());

        let cross = |lhs: Expr, rhs: Expr, edge: Edge, td: Option<f64>| Condition {
            td: td.map(num),
            ..cond(lhs, rhs, edge)
        };
        let n1 = Count::Nth(1);
        let ms = vec![
            meas("avg_all", stat(StatFn::Avg, v("out"), None, None)),
            meas("rms_all", stat(StatFn::Rms, v("out"), None, None)),
            meas("int_all", stat(StatFn::Integ, v("out"), None, None)),
            meas(
                "rms_w",
                stat(StatFn::Rms, v("out"), Some(1.23e-4), Some(2.71e-4)),
            ),
            meas(
                "int_w",
                stat(StatFn::Integ, v("out"), Some(1.23e-4), Some(2.71e-4)),
            ),
            meas(
                "max_w",
                stat(StatFn::Max, v("out"), Some(1.1e-4), Some(2.9e-4)),
            ),
            meas(
                "min_w",
                stat(StatFn::Min, v("out"), Some(1.1e-4), Some(2.9e-4)),
            ),
            meas(
                "pp_w",
                stat(StatFn::Pp, v("out"), Some(1.1e-4), Some(2.9e-4)),
            ),
            meas(
                "max_at_w",
                stat(StatFn::MaxAt, v("out"), Some(1.1e-4), Some(2.9e-4)),
            ),
            meas(
                "min_at_w",
                stat(StatFn::MinAt, v("out"), Some(1.1e-4), Some(2.9e-4)),
            ),
            meas("t_r2", when(v("out"), 0.8, Edge::Rise(Count::Nth(2)))),
            meas("t_fl", when(v("out"), 0.8, Edge::Fall(Count::Last))),
            meas(
                "t_c3",
                MeasKind::When(cross(
                    v("out"),
                    v("in"),
                    Edge::Cross(Count::Nth(3)),
                    Some(2e-5),
                )),
            ),
            meas(
                "t_td",
                MeasKind::When(cross(v("out"), num(0.2), Edge::Rise(n1), Some(1.37e-4))),
            ),
            meas(
                "f_w",
                MeasKind::FindWhen {
                    signal: v("in"),
                    when: cond(v("out"), num(0.8), Edge::Fall(n1)),
                },
            ),
            meas(
                "f_at",
                MeasKind::FindAt {
                    signal: v("out"),
                    at: num(1.234e-4),
                },
            ),
            meas(
                "d1",
                MeasKind::TrigTarg {
                    trig: Trigger::Cross(cond(v("in"), num(0.9), Edge::Rise(n1))),
                    targ: Trigger::Cross(cond(v("out"), num(0.9), Edge::Rise(n1))),
                },
            ),
            meas(
                "d2",
                MeasKind::TrigTarg {
                    trig: Trigger::At(num(5e-5)),
                    targ: Trigger::Cross(cond(v("out"), num(0.1), Edge::Fall(Count::Nth(2)))),
                },
            ),
        ];
        let mine = run(&ms, &data, &NO_PARAMS);
        // Tolerances: ngspice prints AVG/MIN/MAX/PP/FIND/TRIG-TARG with 7
        // significant digits, WHEN/RMS/INTEG with 16. RMS/INTEG differ by the
        // quadrature (ngspice: Simpson on equal steps; here: trapezoids), whose
        // difference is bounded by the trapezoid error W·h²·max|f''|/12.
        let (t0, t1) = (axis[0], axis[axis.len() - 1]);
        let sq: Vec<f64> = vout.iter().map(|x| x * x).collect();
        let trap_bound = |f: &[f64], lo: f64, hi: f64| {
            let (m2, h) = curvature(&axis, f, lo, hi);
            (hi - lo) * h * h * m2 / 12.0
        };
        for m in &mine {
            let name = m.name.as_str();
            let got = m.value.clone().unwrap_or_else(|e| panic!("{name}: {e}"));
            let want = ng
                .iter()
                .find(|(n, _)| n == name)
                .unwrap_or_else(|| panic!("ngspice gave no result for {name}:\n{stdout}"))
                .1;
            let tol = match name {
                "int_all" => trap_bound(&vout, t0, t1) + 1e-14 * want.abs(),
                "int_w" => trap_bound(&vout, 1.23e-4, 2.71e-4) + 1e-14 * want.abs(),
                // RMS = √(mean y²): Δrms ≈ Δmean / (2 rms).
                "rms_all" => trap_bound(&sq, t0, t1) / (t1 - t0) / (2.0 * want) + 1e-14,
                "rms_w" => trap_bound(&sq, 1.23e-4, 2.71e-4) / 1.48e-4 / (2.0 * want) + 1e-14,
                n if n.starts_with("t_") => 1e-12 * want.abs(),
                _ => 1e-6 * want.abs(),
            };
            eprintln!(
                "{name}: spinspice {got:.15e}, ngspice {want:.15e}, |diff| {:.1e} (tol {tol:.1e})",
                (got - want).abs()
            );
            assert!(
                (got - want).abs() <= tol,
                "{name}: spinspice {got:e}, ngspice {want:e}, tol {tol:e}"
            );
        }
    }

    #[test]
    fn matches_ngspice_ac() {
        if !ngspice_tool::available("meas::matches_ngspice_ac") {
            return;
        }
        let measures = "\
.meas ac maxdb max vdb(out)
.meas ac mindb min vdb(out)
.meas ac f3db when vdb(out)=-3
.meas ac fph when vp(out)=-0.5
.meas ac ph find vp(out) at=500
.meas ac mag find vm(out) at=2500
.meas ac re find vr(out) at=300
.meas ac im find vi(out) at=300
.meas ac avgm avg vm(out)
";
        let net = format!(
            "meas ac cross-check\nv1 in 0 dc 0 ac 1\nr1 in out 1k\nc1 out 0 1u\n.ac dec 10 10 100k\n{measures}\
             .control\nset numdgt=17\nset wr_singlescale\nrun\nwrdata ac.txt v(out)\nquit\n.endc\n.end\n"
        );
        let dir = tempfile::tempdir().unwrap();
        let stdout = ngspice_tool::run(dir.path(), "ac", &net, &[("NGSPICE_MEAS_PRECISION", "15")]);
        let ng = ngspice_results(&stdout);
        let rows = ngspice_tool::read_wrdata(&dir.path().join("ac.txt"));
        let data = Data {
            kind: MeasAnalysis::Ac,
            axis: rows.iter().map(|r| r[0]).collect(),
            cols: vec![(
                "v",
                vec!["out"],
                Col::Complex(
                    rows.iter().map(|r| r[1]).collect(),
                    rows.iter().map(|r| r[2]).collect(),
                ),
            )],
        };
        let n1 = Count::Nth(1);
        let at = |f: &str, x: f64| MeasKind::FindAt {
            signal: probe(f, &["out"]),
            at: num(x),
        };
        let ms = vec![
            meas_in(
                MeasAnalysis::Ac,
                "maxdb",
                stat(StatFn::Max, probe("vdb", &["out"]), None, None),
            ),
            meas_in(
                MeasAnalysis::Ac,
                "mindb",
                stat(StatFn::Min, probe("vdb", &["out"]), None, None),
            ),
            meas_in(
                MeasAnalysis::Ac,
                "f3db",
                when(probe("vdb", &["out"]), -3.0, Edge::Cross(n1)),
            ),
            meas_in(
                MeasAnalysis::Ac,
                "fph",
                when(probe("vp", &["out"]), -0.5, Edge::Cross(n1)),
            ),
            meas_in(MeasAnalysis::Ac, "ph", at("vp", 500.0)),
            meas_in(MeasAnalysis::Ac, "mag", at("vm", 2500.0)),
            meas_in(MeasAnalysis::Ac, "re", at("vr", 300.0)),
            meas_in(MeasAnalysis::Ac, "im", at("vi", 300.0)),
            meas_in(
                MeasAnalysis::Ac,
                "avgm",
                stat(StatFn::Avg, probe("vm", &["out"]), None, None),
            ),
        ];
        for m in run(&ms, &data, &NO_PARAMS) {
            let name = m.name.as_str();
            let got = m.value.clone().unwrap_or_else(|e| panic!("{name}: {e}"));
            let want = ng
                .iter()
                .find(|(n, _)| n == name)
                .unwrap_or_else(|| panic!("ngspice gave no result for {name}:\n{stdout}"))
                .1;
            let tol = if name.starts_with('f') { 1e-12 } else { 1e-6 } * want.abs();
            eprintln!("{name}: spinspice {got:.15e}, ngspice {want:.15e}");
            assert!(
                (got - want).abs() <= tol,
                "{name}: spinspice {got:e}, ngspice {want:e}"
            );
        }
    }

    // ------------------------------------------------------------ with expr::eval

    #[test]
    fn param_expression_uses_earlier_measures() {
        let d = sine(0.4, 1.5, 1e3, 200, 3);
        let ms = [
            meas("avg1", stat(StatFn::Avg, v("out"), None, None)),
            meas("pp1", stat(StatFn::Pp, v("out"), None, None)),
            meas(
                "p",
                MeasKind::Param(bin(
                    BinOp::Add,
                    bin(BinOp::Mul, num(2.0), ident("avg1")),
                    ident("pp1"),
                )),
            ),
        ];
        let r = run(&ms, &d, &NO_PARAMS);
        assert_close(r[2].value.clone(), 2.0 * 0.4 + 3.0, 1e-12);
    }

    #[test]
    fn expression_signals_are_evaluated_per_point() {
        // v(a) − v(b) crosses zero where the triangle meets the ramp; a·b power.
        let d = triangle();
        let axis = d.axis.clone();
        let d = d.v("b", axis.iter().map(|x| x / 8.0).collect());
        let diff = bin(BinOp::Sub, v("a"), v("b"));
        assert_close(
            one(
                MeasKind::When(cond(diff, num(0.0), Edge::Fall(Count::Nth(1)))),
                &d,
            ),
            16.0 / 9.0,
            1e-14,
        );
        // ∫ a·b dt over [0,8] by trapezoids on the sampled product.
        let prod = bin(BinOp::Mul, v("a"), v("b"));
        let want: f64 = (0..8)
            .map(|k| {
                0.5 * ((k % 2) as f64 * k as f64 / 8.0
                    + ((k + 1) % 2) as f64 * (k + 1) as f64 / 8.0)
            })
            .sum();
        assert_close(one(stat(StatFn::Integ, prod, None, None), &d), want, 1e-14);
        // `time` is the axis.
        let t2 = bin(BinOp::Mul, ident("time"), num(2.0));
        assert_close(
            one(
                MeasKind::FindAt {
                    signal: t2,
                    at: num(3.25),
                },
                &d,
            ),
            6.5,
            1e-15,
        );
    }

    // ------------------------------------------------------------ RF measures

    /// `off + a1 sin(2π f1 t + p1) + a2 sin(2π f2 t)` sampled every `h` up to `t_end`.
    #[allow(clippy::too_many_arguments)]
    fn tones(off: f64, a1: f64, f1: f64, p1: f64, a2: f64, f2: f64, h: f64, t_end: f64) -> Data {
        let n = (t_end / h).round() as usize;
        let axis: Vec<f64> = (0..=n).map(|k| k as f64 * h).collect();
        let y = axis
            .iter()
            .map(|t| off + a1 * (2.0 * PI * f1 * t + p1).sin() + a2 * (2.0 * PI * f2 * t).sin())
            .collect();
        Data::tran(axis).v("out", y)
    }

    fn dcmean(
        ripple: bool,
        freq: Option<f64>,
        settle: Option<f64>,
        from: Option<f64>,
        to: Option<f64>,
    ) -> MeasKind {
        MeasKind::DcMean {
            ripple,
            signal: v("out"),
            win: RfWindow {
                freq: freq.map(num),
                settle: settle.map(num),
                from: from.map(num),
                to: to.map(num),
            },
        }
    }

    fn tone(out: ToneOut, fmin: Option<f64>, fmax: Option<f64>, window: FftWindow) -> MeasKind {
        MeasKind::Tone {
            out,
            signal: v("out"),
            fmin: fmin.map(num),
            fmax: fmax.map(num),
            from: None,
            to: None,
            r: None,
            window,
        }
    }

    #[test]
    fn dcmean_averages_whole_periods() {
        // 0.25 V + 0.1 sin(2π·1.3 GHz·t + 0.7) + 0.03 sin(2π·2.6 GHz·t) over
        // 20 ns, 1 ps steps. Mean over the second half (10 ns = 13 periods of
        // 1.3 GHz, to the picosecond) by hand: 0.25 exactly; a plain AVG over
        // a window of 12.5 periods is off by about a1/(2π·12.5) · 2 ≈ 1e-3.
        let d = tones(0.25, 0.1, 1.3e9, 0.7, 0.03, 2.6e9, 1e-12, 20e-9);
        assert_close(
            one(dcmean(false, Some(1.3e9), None, None, None), &d),
            0.25,
            1e-6,
        );
        // Window 5.4 … 20 ns holds 18.98 periods: trimmed to 18 ending at 20 ns.
        assert_close(
            one(dcmean(false, Some(1.3e9), Some(5.4e-9), None, None), &d),
            0.25,
            1e-6,
        );
        // Without FREQ the period comes from the strongest tone (1.3 GHz).
        assert_close(
            one(dcmean(false, None, Some(3.3e-9), None, None), &d),
            0.25,
            1e-6,
        );
        // The same data averaged over a non-integer window is biased: the
        // robust measure is what makes the difference.
        let biased = one(stat(StatFn::Avg, v("out"), Some(10.4e-9), None), &d).unwrap();
        assert!((biased - 0.25).abs() > 1e-4, "{biased}");
        // A user window without FREQ is used as given (here 13 whole periods).
        let t0 = 20e-9 - 13.0 / 1.3e9;
        assert_close(
            one(dcmean(false, None, None, Some(t0), Some(20e-9)), &d),
            0.25,
            1e-6,
        );
    }

    #[test]
    fn ripple_is_peak_to_peak_of_the_window() {
        // One tone: ripple = 2·a1 (samples 1 ps apart at 1 GHz: the peak is
        // missed by at most a1·(1 − cos(π·1e-3)) ≈ 5e-7·a1).
        let d = tones(0.1, 0.02, 1e9, 0.3, 0.0, 1.0, 1e-12, 10e-9);
        assert_close(
            one(dcmean(true, Some(1e9), None, None, None), &d),
            0.04,
            1e-5,
        );
    }

    #[test]
    fn dcmean_errors() {
        let d = tones(0.1, 0.02, 1e9, 0.3, 0.0, 1.0, 1e-12, 10e-9);
        // window 9.5 … 10 ns shorter than one 1 ns period
        assert_err(
            one(dcmean(false, Some(1e9), Some(9.5e-9), None, None), &d),
            "shorter than one period",
        );
        assert_err(
            one(dcmean(false, Some(-1.0), None, None, None), &d),
            "positive",
        );
        assert_err(
            one(dcmean(false, None, Some(1e-9), Some(2e-9), None), &d),
            "not both",
        );
        let ac = Data {
            kind: MeasAnalysis::Ac,
            axis: vec![1.0, 2.0],
            cols: vec![],
        };
        let m = meas_in(MeasAnalysis::Ac, "m", dcmean(false, None, None, None, None));
        assert_err(run(&[m], &ac, &NO_PARAMS)[0].value.clone(), "waveforms");
    }

    #[test]
    fn strongest_tone_amplitude_and_frequency() {
        // 0.5 V at 1.37 GHz (13.7 periods in the 10 ns window, not a whole
        // number: no bin falls on it) plus 0.05 V at 4.1 GHz and 0.3 V DC.
        let d = tones(0.3, 0.5, 1.37e9, 0.4, 0.05, 4.1e9, 1e-12, 20e-9);
        assert_close(
            one(tone(ToneOut::Freq, None, None, FftWindow::Hann), &d),
            1.37e9,
            1e-5,
        );
        assert_close(
            one(tone(ToneOut::Amp, None, None, FftWindow::Hann), &d),
            0.5,
            1e-3,
        );
        // P = A²/(2·50 Ω) = 2.5 mW = 3.979 dBm
        assert_close(
            one(tone(ToneOut::Power, None, None, FftWindow::Hann), &d),
            2.5e-3,
            2e-3,
        );
        assert_close(
            one(tone(ToneOut::Dbm, None, None, FftWindow::Hann), &d),
            10.0 * 2.5f64.log10(),
            1e-3,
        );
        // The band selects the weaker tone.
        assert_close(
            one(
                tone(ToneOut::Freq, Some(3e9), Some(5e9), FftWindow::Hann),
                &d,
            ),
            4.1e9,
            1e-4,
        );
        assert_close(
            one(
                tone(ToneOut::Amp, Some(3e9), Some(5e9), FftWindow::Hann),
                &d,
            ),
            0.05,
            1e-2,
        );
        // Rectangular window over 20 periods of 2 GHz (plus the end sample).
        // Its sidelobes decay only as 1/k: the image at −2 GHz, 40 bins of
        // 100 MHz away, tilts the main lobe and moves the maximum by a few
        // 1/(π²·40) of a bin (≈ 1e-4 of 2 GHz): WINDOW=HANN is the default.
        let d2 = tones(0.0, 0.2, 2e9, 0.0, 0.0, 1.0, 1e-12, 20e-9);
        assert_close(
            one(tone(ToneOut::Amp, None, None, FftWindow::Rect), &d2),
            0.2,
            1e-4,
        );
        assert_close(
            one(tone(ToneOut::Freq, None, None, FftWindow::Rect), &d2),
            2e9,
            1e-3,
        );
    }

    #[test]
    fn tones_on_a_non_uniform_grid_are_resampled() {
        // Time points with a jitter of ±30 % of the step: resampled linearly.
        let n = 20000;
        let axis: Vec<f64> = (0..=n)
            .map(|k| {
                let j = if k == 0 || k == n {
                    0.0
                } else {
                    0.3 * ((k * 7919) % 13) as f64 / 13.0
                };
                (k as f64 + j) * 1e-12
            })
            .collect();
        let y: Vec<f64> = axis
            .iter()
            .map(|t| 0.1 * (2.0 * PI * 1.37e9 * t).sin())
            .collect();
        let d = Data::tran(axis).v("out", y);
        assert_close(
            one(tone(ToneOut::Freq, None, None, FftWindow::Hann), &d),
            1.37e9,
            1e-5,
        );
        assert_close(
            one(tone(ToneOut::Amp, None, None, FftWindow::Hann), &d),
            0.1,
            1e-3,
        );
    }

    #[test]
    fn tone_errors() {
        let d = tones(0.3, 0.5, 1.37e9, 0.4, 0.0, 1.0, 1e-12, 20e-9);
        assert_err(
            one(
                tone(ToneOut::Amp, Some(5e9), Some(1e9), FftWindow::Hann),
                &d,
            ),
            "empty band",
        );
        assert_err(
            one(tone(ToneOut::Amp, Some(1e12), None, FftWindow::Hann), &d),
            "empty band",
        );
        let mut m = tone(ToneOut::Power, None, None, FftWindow::Hann);
        if let MeasKind::Tone { r, .. } = &mut m {
            *r = Some(num(0.0));
        }
        assert_err(one(m, &d), "positive");
    }

    #[test]
    fn fft_matches_a_direct_dft() {
        let n = 16;
        let x: Vec<f64> = (0..n).map(|k| ((k * k) % 7) as f64 - 2.5).collect();
        let (mut re, mut im) = (x.clone(), vec![0.0; n]);
        fft(&mut re, &mut im);
        for f in 0..n {
            let (mut sr, mut si) = (0.0, 0.0);
            for (k, v) in x.iter().enumerate() {
                let a = -2.0 * PI * (f * k) as f64 / n as f64;
                sr += v * a.cos();
                si += v * a.sin();
            }
            assert!((re[f] - sr).abs() < 1e-12 && (im[f] - si).abs() < 1e-12);
        }
    }
}
