//! `.meas` evaluated from the stream of output points, in memory that does
//! not grow with the length of the analysis.
//!
//! The run hands every output point to a [`MeasStream`] (the axis value and
//! the values of the probes the measures read). A measure whose window and
//! arguments are known before the data is *streamed*: its signal is
//! evaluated point by point and reduced on the fly by the same arithmetic as
//! the batch evaluation (the window points of `window_points`, the running
//! sums of `Acc`), so the result is the batch result to the bit, in O(1)
//! memory. Streamed:
//!
//! * `AVG RMS INTEG MIN MAX PP MIN_AT MAX_AT` (any `FROM=`/`TO=`),
//! * `FIND … AT=`,
//! * `DCMEAN`/`RIPPLE` with `TO=` and `FROM=` (the window), or with `TO=`,
//!   `FREQ=` and `SETTLE=` (the window `TO − n/FREQ … TO`),
//! * `PARAM` (no data),
//!
//! when their `FROM`/`TO`/`AT`/… are numbers or parameters (not earlier
//! measures) and their signal does not use earlier measures. The others
//! (`WHEN`, `FIND … WHEN`, `TRIG … TARG`, `TONE*`, `DCMEAN`/`RIPPLE` whose
//! window ends with the data) keep the samples of the signals *they* read
//! (8 bytes per point and signal; 16 for AC) and are evaluated by
//! [`super::evaluate_with`] at the end, as before.
//!
//! One difference: with `FREQ=`, a `TO=` just beyond the last point (within
//! the 1e-9 tolerance that clamps window limits onto the data) ends the
//! streamed window at `TO` and the batch one at the last point, so the
//! window starts differ by that much (the result by about 1e-9 relative).
//!
//! Points of equal axis value (a group) are handled as the batch code does
//! (the first of them is the value *at* that axis value, all of them are
//! inside a window): a group is processed when the next larger value
//! arrives, or at the end.

use super::{
    describe, evaluate_with, has_probe, mentions_ident, part_value, required_probes, split_probe,
    Acc, AxisFault, Column, Ctx, MResult, MeasData, Part, Scalars,
};
use crate::expr::eval::{eval, Env};
use crate::expr::{Expr, ExprKind};
use crate::netlist::ast::{FuncDef, MeasAnalysis, MeasKind, Measure, StatFn};
use crate::output::MeasureValue;

/// The measures of one analysis, fed point by point.
pub struct MeasStream<'m> {
    kind: MeasAnalysis,
    measures: Vec<&'m Measure>,
    params: &'m dyn Env,
    plans: Vec<Plan<'m>>,
    /// Base probes (`("v", ["out"])`, …) whose values each point brings.
    probes: Vec<(String, Vec<String>)>,
    /// The samples kept for the measures that do not stream.
    rec: Recording,
    axis_name: Option<&'static str>,
    axis_word: &'static str,
}

/// How one measure is evaluated.
enum Plan<'m> {
    /// From the recorded samples, at the end (or without data: `PARAM`).
    Batch,
    Stat(Box<Streamed<'m>>, StatFn),
    FindAt(Box<Streamed<'m>>),
    DcMean(Box<Streamed<'m>>, bool),
}

/// A streamed measure: its signal, its window and the reduction so far.
struct Streamed<'m> {
    sig: Sig<'m>,
    /// Signal evaluation error at the first point it failed.
    error: Option<String>,
    /// The window limits as written (`from`, `to`), or `at` for FIND … AT.
    from: Option<f64>,
    to: Option<f64>,
    /// DCMEAN/RIPPLE: `FREQ=`.
    freq: Option<f64>,
    win: Win,
    acc: Acc,
    /// `describe(signal)`, for the messages.
    what: String,
}

/// The signal of a streamed measure.
enum Sig<'m> {
    /// A single probe: its index in the point's values and the part read.
    Probe(usize, Part),
    /// An expression without probes nor axis variable.
    Const(f64),
    /// An expression, its probes as written with their index and part.
    Expr(&'m Expr, Vec<(String, Vec<String>, usize, Part)>),
}

/// The samples kept for the measures that do not stream, and the axis
/// faults (for all).
struct Recording {
    kind: MeasAnalysis,
    keep: bool,
    /// Which probes are recorded (index into `MeasStream::probes`).
    recorded: Vec<usize>,
    probes: Vec<(String, Vec<String>)>,
    axis: Vec<f64>,
    re: Vec<Vec<f64>>,
    im: Option<Vec<Vec<f64>>>,
    track: AxisTrack,
}

impl MeasData for Recording {
    fn analysis(&self) -> MeasAnalysis {
        self.kind
    }
    fn axis(&self) -> &[f64] {
        &self.axis
    }
    fn column(&self, func: &str, args: &[String]) -> Option<Column<'_>> {
        let j = self
            .recorded
            .iter()
            .position(|&k| self.probes[k].0 == func && self.probes[k].1 == args)?;
        Some(match &self.im {
            Some(im) => Column::Complex(&self.re[j], &im[j]),
            None => Column::Real(&self.re[j]),
        })
    }
    fn axis_fault(&self) -> Option<AxisFault> {
        self.track.fault()
    }
}

/// The axis as it streams: its range and [`AxisFault::of`] without keeping it.
#[derive(Debug, Default, Clone, Copy)]
struct AxisTrack {
    n: usize,
    first: f64,
    last: f64,
    nonfinite: bool,
    decreasing: bool,
}

impl AxisTrack {
    fn push(&mut self, x: f64) {
        if self.n == 0 {
            self.first = x;
        } else if x < self.last {
            self.decreasing = true;
        }
        self.nonfinite |= !x.is_finite();
        self.last = x;
        self.n += 1;
    }

    fn fault(&self) -> Option<AxisFault> {
        if self.n == 0 {
            Some(AxisFault::Empty)
        } else if self.nonfinite {
            Some(AxisFault::NonFinite)
        } else if self.decreasing {
            Some(AxisFault::Decreasing)
        } else {
            None
        }
    }
}

/// The window points of `window_points(axis, y, lo, hi)`, produced from the
/// stream into an [`Acc`]. `lo`/`hi` start as written (±∞ for "the first /
/// last axis value") and are clamped to the data as it arrives: to the first
/// value with the first point, to the last one at the end.
#[derive(Debug, Clone)]
struct Win {
    lo: f64,
    hi: f64,
    phase: Phase,
    /// The group of points at axis value `gx` not processed yet.
    gx: f64,
    group: Vec<f64>,
    /// The last point of the group before.
    before: Option<(f64, f64)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Empty,
    Before,
    In,
    Done,
}

/// `y` at `x` on the line through `(x0, y0)` and `(x1, y1)`, as `interp`.
fn lin(x0: f64, y0: f64, x1: f64, y1: f64, x: f64) -> f64 {
    y0 + (x - x0) * (y1 - y0) / (x1 - x0)
}

impl Win {
    fn new(lo: f64, hi: f64) -> Win {
        Win {
            lo,
            hi,
            phase: Phase::Empty,
            gx: 0.0,
            group: Vec::new(),
            before: None,
        }
    }

    fn sample(&mut self, x: f64, y: f64, acc: &mut Acc) {
        match self.phase {
            Phase::Done => return,
            Phase::Empty => {
                self.lo = self.lo.max(x);
                self.hi = self.hi.max(x);
                self.phase = Phase::Before;
            }
            _ if x == self.gx => {
                self.group.push(y);
                return;
            }
            _ => {
                self.flush(acc);
                self.before = self.group.last().map(|&v| (self.gx, v));
                self.group.clear();
            }
        }
        self.gx = x;
        self.group.push(y);
    }

    /// End of the data: the last group, with the limits clamped to its value.
    fn finish(&mut self, acc: &mut Acc) {
        if self.phase == Phase::Empty || self.phase == Phase::Done {
            return;
        }
        self.lo = self.lo.min(self.gx);
        self.hi = self.hi.min(self.gx);
        self.flush(acc);
        self.group.clear();
    }

    /// The value at `x` (≤ `gx`, above the group before): `interp`.
    fn at(&self, x: f64) -> f64 {
        let first = self.group.first().copied().unwrap_or(f64::NAN);
        match self.before {
            Some((bx, by)) if x != self.gx => lin(bx, by, self.gx, first, x),
            _ => first,
        }
    }

    /// Processes the group at `gx`: the window start, inner points, end.
    fn flush(&mut self, acc: &mut Acc) {
        if self.phase == Phase::Before && self.gx >= self.lo {
            acc.pt(self.lo, self.at(self.lo));
            self.phase = Phase::In;
        }
        if self.phase != Phase::In {
            return;
        }
        if self.gx > self.lo && self.gx < self.hi {
            for &y in &self.group {
                acc.pt(self.gx, y);
            }
        } else if self.gx >= self.hi {
            if self.hi > self.lo {
                acc.pt(self.hi, self.at(self.hi));
            }
            self.phase = Phase::Done;
        }
    }
}

/// Names at one point of the stream: the axis variable, the probes, the
/// parameters.
struct PointEnv<'a> {
    params: &'a dyn Env,
    axis_name: Option<&'static str>,
    x: f64,
    probes: &'a [(String, Vec<String>, usize, Part)],
    re: &'a [f64],
    im: Option<&'a [f64]>,
}

impl Env for PointEnv<'_> {
    fn ident(&self, name: &str) -> Option<f64> {
        if Some(name) == self.axis_name {
            return Some(self.x);
        }
        self.params.ident(name)
    }
    fn probe(&self, func: &str, args: &[String]) -> Option<f64> {
        let (_, _, k, part) = self
            .probes
            .iter()
            .find(|(f, a, _, _)| f == func && a.as_slice() == args)?;
        Some(part_value(*part, self.re[*k], self.im.map(|im| im[*k])))
    }
    fn func(&self, name: &str) -> Option<&FuncDef> {
        self.params.func(name)
    }
}

impl<'m> MeasStream<'m> {
    /// Plans the measures of `kind` among `measures` (in order). `known`
    /// tells whether the run can give a probe's values (`("v", ["out"])`);
    /// a measure reading one it cannot give is left to the batch
    /// evaluation, which reports it.
    pub fn new(
        kind: MeasAnalysis,
        measures: &[&'m Measure],
        params: &'m dyn Env,
        complex: bool,
        known: &dyn Fn(&str, &[String]) -> bool,
    ) -> MeasStream<'m> {
        let measures: Vec<&Measure> = measures
            .iter()
            .copied()
            .filter(|m| m.analysis == kind)
            .collect();
        let mut st = MeasStream {
            kind,
            measures: measures.clone(),
            params,
            plans: Vec::new(),
            probes: Vec::new(),
            rec: Recording {
                kind,
                keep: false,
                recorded: Vec::new(),
                probes: Vec::new(),
                axis: Vec::new(),
                re: Vec::new(),
                im: None,
                track: AxisTrack::default(),
            },
            axis_name: None,
            axis_word: "",
        };
        let (axis_name, axis_word) = {
            let ctx = st.ctx();
            (ctx.axis_name(), ctx.axis_word())
        };
        st.axis_name = axis_name;
        st.axis_word = axis_word;
        let mut batch: Vec<Measure> = Vec::new();
        for (k, m) in measures.iter().enumerate() {
            let earlier: Vec<&str> = measures[..k].iter().map(|m| m.name.name.as_str()).collect();
            let plan = st.plan(m, &earlier, known);
            if matches!(plan, Plan::Batch) && !matches!(m.kind, MeasKind::Param(_)) {
                batch.push((*m).clone());
            }
            st.plans.push(plan);
        }
        // The batch measures' probes are recorded.
        for (f, a) in required_probes(&batch) {
            if known(&f, &a) {
                let k = st.probe_index(&f, &a);
                st.rec.recorded.push(k);
            }
        }
        st.rec.keep = !batch.is_empty();
        st.rec.probes = st.probes.clone();
        st.rec.re = vec![Vec::new(); st.rec.recorded.len()];
        st.rec.im = complex.then(|| vec![Vec::new(); st.rec.recorded.len()]);
        st
    }

    /// The base probes whose values [`MeasStream::push`] takes, in order.
    pub fn probes(&self) -> &[(String, Vec<String>)] {
        &self.probes
    }

    /// How many measures stream (the others keep their samples).
    pub fn streamed(&self) -> usize {
        self.plans
            .iter()
            .filter(|p| !matches!(p, Plan::Batch))
            .count()
    }

    /// One output point: the axis value and the probes' values (real parts;
    /// `im` for AC).
    pub fn push(&mut self, x: f64, re: &[f64], im: Option<&[f64]>) {
        self.rec.track.push(x);
        if self.rec.keep {
            self.rec.axis.push(x);
            for (j, &k) in self.rec.recorded.iter().enumerate() {
                self.rec.re[j].push(re[k]);
                if let (Some(dst), Some(src)) = (self.rec.im.as_mut(), im) {
                    dst[j].push(src[k]);
                }
            }
        }
        // A faulty axis makes every result an error: nothing to reduce.
        if self.rec.track.nonfinite || self.rec.track.decreasing {
            return;
        }
        let (params, axis_name, axis_word) = (self.params, self.axis_name, self.axis_word);
        for plan in &mut self.plans {
            let s = match plan {
                Plan::Batch => continue,
                Plan::Stat(s, _) | Plan::FindAt(s) | Plan::DcMean(s, _) => s,
            };
            // An expression is evaluated at every point, as in the batch
            // (its first error is the result), until it fails.
            let expr = matches!(s.sig, Sig::Expr(..));
            if s.error.is_some() || (s.win.phase == Phase::Done && !expr) {
                continue;
            }
            let y = match &s.sig {
                Sig::Probe(k, part) => part_value(*part, re[*k], im.map(|im| im[*k])),
                Sig::Const(v) => *v,
                Sig::Expr(e, probes) => {
                    let env = PointEnv {
                        params,
                        axis_name,
                        x,
                        probes,
                        re,
                        im,
                    };
                    match eval(e, &env) {
                        Ok(v) => v,
                        Err(d) => {
                            if s.error.is_none() {
                                s.error = Some(format!("at {axis_word}={x:e}: {}", d.message));
                            }
                            f64::NAN
                        }
                    }
                }
            };
            s.win.sample(x, y, &mut s.acc);
        }
    }

    /// The measures' results, in order (as [`super::evaluate`] gives them).
    pub fn finish(mut self) -> Vec<MeasureValue> {
        for plan in &mut self.plans {
            if let Plan::Stat(s, _) | Plan::FindAt(s) | Plan::DcMean(s, _) = plan {
                s.win.finish(&mut s.acc);
            }
        }
        let results: Vec<Option<MResult<f64>>> = {
            let ctx = self.ctx();
            self.plans.iter().map(|p| self.result(&ctx, p)).collect()
        };
        evaluate_with(&self.measures, &self.rec, self.params, &|k| {
            results.get(k).cloned().flatten()
        })
    }

    // ------------------------------------------------------------ planning

    fn ctx(&self) -> Ctx<'_> {
        Ctx {
            data: &self.rec,
            kind: self.kind,
            axis: &[],
            scalars: Scalars {
                params: self.params,
                done: Vec::new(),
                failed: Vec::new(),
            },
        }
    }

    fn probe_index(&mut self, f: &str, a: &[String]) -> usize {
        match self
            .probes
            .iter()
            .position(|(pf, pa)| pf == f && pa.as_slice() == a)
        {
            Some(k) => k,
            None => {
                self.probes.push((f.to_string(), a.to_vec()));
                self.probes.len() - 1
            }
        }
    }

    /// A number known before the data: a literal, or an expression of
    /// parameters that names no earlier measure. None: leave it to the batch.
    fn number(&self, e: Option<&Expr>, what: &str, earlier: &[&str]) -> Option<Option<f64>> {
        let Some(e) = e else { return Some(None) };
        if earlier.iter().any(|n| mentions_ident(e, n)) {
            return None;
        }
        self.ctx().scalar(e, what).ok().map(Some)
    }

    /// The signal, evaluable point by point; None: leave it to the batch.
    fn signal(
        &mut self,
        e: &'m Expr,
        earlier: &[&str],
        known: &dyn Fn(&str, &[String]) -> bool,
    ) -> Option<Sig<'m>> {
        // a derivative needs the whole axis: the batch
        if earlier.iter().any(|n| mentions_ident(e, n)) || super::calls(e, "deriv") {
            return None;
        }
        let mut probes: Vec<(String, Vec<String>, Part)> = Vec::new();
        let mut ok = true;
        e.for_each_probe(&mut |func, args, _| match split_probe(func) {
            Some((base, part)) if known(base, args) => {
                probes.push((func.to_string(), args.to_vec(), part));
            }
            _ => ok = false,
        });
        if !ok {
            return None;
        }
        if let ExprKind::Probe { func, args } = &e.kind {
            let (base, part) = split_probe(func)?;
            let arity = match base {
                "v" => args.len() == 1 || args.len() == 2,
                "i" => args.len() == 1,
                _ => args.len() == 2,
            };
            if !arity {
                return None;
            }
            return Some(Sig::Probe(self.probe_index(base, args), part));
        }
        let per_point = has_probe(e) || self.axis_name.is_some_and(|a| mentions_ident(e, a));
        if !per_point {
            return self.ctx().scalar(e, "the value").ok().map(Sig::Const);
        }
        let probes = probes
            .into_iter()
            .map(|(f, a, part)| {
                let base = split_probe(&f).map_or("", |b| b.0);
                let k = self.probe_index(base, &a);
                (f, a, k, part)
            })
            .collect();
        Some(Sig::Expr(e, probes))
    }

    fn plan(
        &mut self,
        m: &'m Measure,
        earlier: &[&str],
        known: &dyn Fn(&str, &[String]) -> bool,
    ) -> Plan<'m> {
        let streamed = |sig, from, to, freq, lo, hi, what| Streamed {
            sig,
            error: None,
            from,
            to,
            freq,
            win: Win::new(lo, hi),
            acc: Acc::new(),
            what,
        };
        match &m.kind {
            MeasKind::Stat {
                func,
                signal,
                from,
                to,
            } => {
                let (Some(sig), Some(f), Some(t)) = (
                    self.signal(signal, earlier, known),
                    self.number(from.as_ref(), "FROM", earlier),
                    self.number(to.as_ref(), "TO", earlier),
                ) else {
                    return Plan::Batch;
                };
                let (lo, hi) = (f.unwrap_or(f64::NEG_INFINITY), t.unwrap_or(f64::INFINITY));
                let s = streamed(sig, f, t, None, lo, hi, describe(signal));
                Plan::Stat(Box::new(s), *func)
            }
            MeasKind::FindAt { signal, at } => {
                let (Some(sig), Some(Some(x))) = (
                    self.signal(signal, earlier, known),
                    self.number(Some(at), "AT", earlier),
                ) else {
                    return Plan::Batch;
                };
                let s = streamed(sig, Some(x), Some(x), None, x, x, describe(signal));
                Plan::FindAt(Box::new(s))
            }
            MeasKind::DcMean {
                ripple,
                signal,
                win,
            } => {
                // Without FREQ and FROM (SETTLE instead), the period is the
                // strongest tone of the window: that needs the samples.
                if self.kind != MeasAnalysis::Tran
                    || win.from.is_some() == win.settle.is_some()
                    || (win.freq.is_none() && win.from.is_none())
                {
                    return Plan::Batch;
                }
                let start = win.from.as_ref().or(win.settle.as_ref());
                let (Some(sig), Some(Some(lo)), Some(Some(to)), Some(freq)) = (
                    self.signal(signal, earlier, known),
                    self.number(start, "FROM", earlier),
                    self.number(win.to.as_ref(), "TO", earlier),
                    self.number(win.freq.as_ref(), "FREQ", earlier),
                ) else {
                    return Plan::Batch;
                };
                if freq.is_some_and(|f| f.is_nan() || f <= 0.0) {
                    return Plan::Batch;
                }
                // With FREQ, a whole number of periods ending at TO (as
                // `dc_mean_result`, to the bit).
                let wlo = match freq {
                    Some(f) => {
                        let tp = 1.0 / f;
                        to - ((to - lo) / tp * (1.0 + 1e-9)).floor() * tp
                    }
                    None => lo,
                };
                let s = streamed(sig, Some(lo), Some(to), freq, wlo, to, describe(signal));
                Plan::DcMean(Box::new(s), *ripple)
            }
            _ => Plan::Batch,
        }
    }

    // ------------------------------------------------------------ results

    /// A streamed measure's result, with the errors in the order the batch
    /// evaluation meets them; None for the batch ones.
    fn result(&self, ctx: &Ctx, plan: &Plan) -> Option<MResult<f64>> {
        let s = match plan {
            Plan::Batch => return None,
            Plan::Stat(s, _) | Plan::FindAt(s) | Plan::DcMean(s, _) => s,
        };
        if let Some(f) = self.rec.track.fault() {
            return Some(Err(ctx.fault_message(f)));
        }
        if let Some(e) = &s.error {
            return Some(Err(e.clone()));
        }
        let (a, b) = (self.rec.track.first, self.rec.track.last);
        Some(match plan {
            Plan::Stat(s, func) => stat_result(ctx, s, *func, a, b),
            Plan::FindAt(s) => ctx
                .inside_ab(a, b, s.from.unwrap_or(f64::NAN), "AT")
                .map(|_| s.acc.last.1),
            Plan::DcMean(s, ripple) => dc_mean_result(ctx, s, *ripple, a, b),
            Plan::Batch => return None,
        })
    }
}

/// AVG … PP: the window checks of `Ctx::window`, the NaN check, the statistic.
fn stat_result(ctx: &Ctx, s: &Streamed, func: StatFn, a: f64, b: f64) -> MResult<f64> {
    let lo = match s.from {
        Some(f) => ctx.inside_ab(a, b, f, "FROM")?,
        None => a,
    };
    let hi = match s.to {
        Some(t) => ctx.inside_ab(a, b, t, "TO")?,
        None => b,
    };
    if lo > hi {
        return Err(format!(
            "the window is empty: FROM={lo:e} is after TO={hi:e}"
        ));
    }
    if let Some(x) = s.acc.nan {
        return Err(format!(
            "{} is not a number at {}={x:e}",
            s.what,
            ctx.axis_word()
        ));
    }
    s.acc.stat(func, lo, hi)
}

/// DCMEAN / RIPPLE with both ends given: the checks of `Ctx::dc_mean`.
fn dc_mean_result(ctx: &Ctx, s: &Streamed, ripple: bool, a: f64, b: f64) -> MResult<f64> {
    let what = if ripple { "RIPPLE" } else { "DCMEAN" };
    let hi = ctx.inside_ab(a, b, s.to.unwrap_or(f64::NAN), "TO")?;
    let mut lo = ctx.inside_ab(a, b, s.from.unwrap_or(f64::NAN), "FROM")?;
    if hi <= lo {
        return Err(format!(
            "the window is empty: FROM={lo:e} is not before TO={hi:e}"
        ));
    }
    if let Some(f) = s.freq {
        let tp = 1.0 / f;
        let n = ((hi - lo) / tp * (1.0 + 1e-9)).floor();
        if n < 1.0 {
            return Err(format!(
                "{what}: the window {lo:e}…{hi:e} s is shorter than one period ({tp:e} s)"
            ));
        }
        lo = hi - n * tp;
    }
    if let Some(x) = s.acc.nonfinite {
        return Err(format!("{} is not a number at time={x:e}", s.what));
    }
    s.acc
        .stat(if ripple { StatFn::Pp } else { StatFn::Avg }, lo, hi)
}

#[cfg(test)]
mod tests {
    //! The stream against the batch evaluation (itself checked against
    //! analytic results and ngspice in `super::tests` and `tests/`): on
    //! random data, with repeated axis values, NaN, faulty axes, windows
    //! inside, on and outside the data, every measure's result must be the
    //! same — value to the bit, or the same message.
    use super::*;
    use crate::netlist::ast::Stmt;
    use proptest::prelude::*;

    #[derive(Debug)]
    struct Data {
        axis: Vec<f64>,
        a: Vec<f64>,
        b: Vec<f64>,
    }

    impl MeasData for Data {
        fn analysis(&self) -> MeasAnalysis {
            MeasAnalysis::Tran
        }
        fn axis(&self) -> &[f64] {
            &self.axis
        }
        fn column(&self, func: &str, args: &[String]) -> Option<Column<'_>> {
            match (func, args.first().map(String::as_str)) {
                ("v", Some("a")) if args.len() == 1 => Some(Column::Real(&self.a)),
                ("v", Some("b")) if args.len() == 1 => Some(Column::Real(&self.b)),
                _ => None,
            }
        }
    }

    struct Params;
    impl Env for Params {
        fn ident(&self, name: &str) -> Option<f64> {
            (name == "tw").then_some(2.5)
        }
    }

    fn measures(lines: &[String]) -> Vec<Measure> {
        let text = format!(
            "t\nV1 a 0 1\nR1 a b 1\nR2 b 0 1\n{}\n.tran 1 10\n.end\n",
            lines.join("\n")
        );
        let mut sm = crate::diag::SourceMap::new();
        let parsed = crate::netlist::parse_str("t.cir", &text, std::path::Path::new("."), &mut sm)
            .unwrap_or_else(|e| panic!("{text}\n{:?}", e[0].message));
        parsed
            .netlist
            .statements
            .into_iter()
            .filter_map(|s| match s {
                Stmt::Meas(m) => Some(*m),
                _ => None,
            })
            .collect()
    }

    fn both(data: &Data, ms: &[Measure]) -> (Vec<MeasureValue>, Vec<MeasureValue>, usize) {
        let refs: Vec<&Measure> = ms.iter().collect();
        let batch = super::super::evaluate(&refs, data, &Params);
        let known =
            |f: &str, a: &[String]| f == "v" && a.len() == 1 && (a[0] == "a" || a[0] == "b");
        let mut st = MeasStream::new(MeasAnalysis::Tran, &refs, &Params, false, &known);
        let cols: Vec<usize> = st
            .probes()
            .iter()
            .map(|(_, a)| usize::from(a[0] == "b"))
            .collect();
        let streamed = st.streamed();
        for (k, &x) in data.axis.iter().enumerate() {
            let vals = [data.a[k], data.b[k]];
            let re: Vec<f64> = cols.iter().map(|&c| vals[c]).collect();
            st.push(x, &re, None);
        }
        (batch, st.finish(), streamed)
    }

    fn same(batch: &[MeasureValue], stream: &[MeasureValue]) -> Result<(), String> {
        if batch.len() != stream.len() {
            return Err(format!("{} vs {} results", batch.len(), stream.len()));
        }
        for (b, s) in batch.iter().zip(stream) {
            let eq = match (&b.value, &s.value) {
                (Ok(x), Ok(y)) => x.to_bits() == y.to_bits(),
                (Err(x), Err(y)) => x == y,
                _ => false,
            };
            if !eq || b.name != s.name {
                return Err(format!(
                    "{}: batch {:?}, stream {:?}",
                    b.name, b.value, s.value
                ));
            }
        }
        Ok(())
    }

    /// A number for a window limit: a sample, between samples, just off
    /// the ends (within and beyond the tolerance), or far outside.
    fn limit(axis: &[f64], pick: usize, how: u8) -> f64 {
        let (a, b) = match (axis.first(), axis.last()) {
            (Some(&a), Some(&b)) if a.is_finite() && b.is_finite() => (a, b),
            _ => (0.0, 10.0),
        };
        let x = axis.get(pick % axis.len().max(1)).copied().unwrap_or(1.0);
        let s = (b - a).abs().max(a.abs()).max(b.abs());
        match how % 7 {
            0 | 1 => x,
            2 => x + 0.37,
            3 => a - 0.3e-9 * s,
            4 => b + 0.3e-9 * s,
            5 => b + 1.0,
            _ => a - 1.0,
        }
    }

    fn arb_data() -> impl Strategy<Value = Data> {
        (1usize..40, any::<u64>()).prop_map(|(n, seed)| {
            let mut r = seed;
            let mut next = move || {
                r ^= r << 13;
                r ^= r >> 7;
                r ^= r << 17;
                (r % 1000) as f64 / 1000.0
            };
            let mut axis = Vec::new();
            let mut x = next() * 2.0;
            for _ in 0..n {
                axis.push(x);
                let u = next();
                x += if u < 0.15 {
                    0.0
                } else if u < 0.17 {
                    -0.5
                } else {
                    u
                };
            }
            if next() < 0.03 {
                axis[n / 2] = f64::NAN;
            }
            let mut col = |nan: f64| -> Vec<f64> {
                (0..n)
                    .map(|_| {
                        let u = next();
                        if u < nan {
                            f64::NAN
                        } else {
                            4.0 * next() - 2.0
                        }
                    })
                    .collect()
            };
            let a = col(0.02);
            let b = col(0.0);
            Data { axis, a, b }
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(400))]
        #[test]
        fn stream_equals_batch(data in arb_data(), picks in proptest::collection::vec((any::<usize>(), any::<u8>(), any::<usize>(), any::<u8>()), 8)) {
            let sigs = ["v(a)", "v(b)", "{v(a)*2-v(b)}", "{time*v(b)}", "{3}", "vdb(a)", "{v(a)/(time-1)}"];
            let funcs = ["avg", "rms", "integ", "min", "max", "pp", "min_at", "max_at"];
            let ax = &data.axis;
            let mut lines = Vec::new();
            for (k, &(p1, h1, p2, h2)) in picks.iter().enumerate() {
                let sig = sigs[p1 % sigs.len()];
                let (lo, hi) = (limit(ax, p1, h1), limit(ax, p2, h2));
                let line = match k % 4 {
                    0 | 1 => {
                        let f = funcs[p2 % funcs.len()];
                        let from = if h1 % 5 == 0 { String::new() } else { format!("from={lo:e}") };
                        let to = if h2 % 5 == 0 { String::new() } else { format!("to={hi:e}") };
                        format!(".meas tran m{k} {f} {sig} {from} {to}")
                    }
                    2 => format!(".meas tran m{k} find {sig} at={lo:e}"),
                    _ => {
                        // (with FREQ, a TO clamped onto the data moves the
                        // streamed window: not compared, see the module doc)
                        let (lo, hi) = if p2 % 3 == 0 { (lo, hi) } else { (limit(ax, p1, h1 % 3), limit(ax, p2, h2 % 3)) };
                        let what = if h1 % 2 == 0 { "dcmean" } else { "ripple" };
                        let start = if h2 % 2 == 0 { "from" } else { "settle" };
                        let freq = if p2 % 3 == 0 { String::new() } else { format!("freq={:e}", 1.0 / (0.3 + (p2 % 7) as f64 * 0.4)) };
                        format!(".meas tran m{k} {what} {sig} {freq} {start}={:e} to={:e}", lo.min(hi), lo.max(hi))
                    }
                };
                lines.push(line);
            }
            // measures that stay batch: a window from an earlier measure, a PARAM
            lines.push(".meas tran late avg v(a) from=m1".into());
            lines.push(".meas tran p param='m0*2+tw'".into());
            let ms = measures(&lines);
            let (batch, stream, streamed) = both(&data, &ms);
            // (a NaN limit, taken from a NaN axis value, leaves it to the batch)
            let finite = data.axis.iter().all(|x| x.is_finite());
            prop_assert!(streamed >= 6 || !finite, "only {streamed} measures streamed");
            if let Err(e) = same(&batch, &stream) {
                return Err(TestCaseError::fail(format!("{e}\naxis {:?}\na {:?}\nb {:?}\n{}", data.axis, data.a, data.b, lines.join("\n"))));
            }
        }
    }

    #[test]
    fn plain_measures_stream_and_others_record() {
        let data = Data {
            axis: vec![0.0, 1.0, 2.0, 3.0],
            a: vec![0.0, 1.0, 0.0, -1.0],
            b: vec![1.0; 4],
        };
        let ms = measures(&[
            ".meas tran x avg v(a) from=0.5 to=3".into(),
            ".meas tran y find v(b) at=2".into(),
            ".meas tran z when v(a)=0.5".into(),
            ".meas tran w param='x+y'".into(),
        ]);
        let (batch, stream, streamed) = both(&data, &ms);
        same(&batch, &stream).unwrap();
        assert_eq!(streamed, 2, "AVG and FIND AT stream; WHEN and PARAM do not");
        assert_eq!(stream[3].value, Ok(stream[0].value.clone().unwrap() + 1.0));
    }
}
