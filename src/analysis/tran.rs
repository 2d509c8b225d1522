//! Transient analysis: variable step, variable order (1–2) implicit
//! integration of F(x) + dQ(x)/dt = 0.
//!
//! - Methods: trapezoidal (default) and BDF2 (`method=gear`); order 1
//!   (backward Euler) at the start and after every breakpoint.
//! - dQ/dt at t_{n+1} is a0·Q(x_{n+1}) + hist, with
//!   BE: a0 = 1/h, hist = −q_n/h;
//!   trap: a0 = 2/h, hist = −(2/h)·q_n − q̇_n;
//!   BDF2 (variable step, ρ = h/h_{n−1}): a0 = (1+2ρ)/(h(1+ρ)),
//!   hist = −(1+ρ)/h·q_n + ρ²/(h(1+ρ))·q_{n−1}.
//! - Local truncation error from divided differences of x over the points
//!   since the last breakpoint: BE h²·DD₂, trap (h³/2)·DD₃, BDF2
//!   DD₃·h²(h+h₁)²/(2h+h₁) (the x'''·C terms of each method), for every
//!   *differential* unknown (one with a nonzero ∂Q/∂x column; states a
//!   device excluded as noise-driven are skipped), weighted by
//!   trtol·(rtol_i·|x_i| + atol_i) — per-unknown tolerances, so a device state
//!   carries its own — and combined in an RMS norm. A step is accepted when the
//!   norm ≤ 1; the next step is h·clamp(0.9·err^(−1/(k+1)), 0.2, 2).
//! - Breakpoints from sources are hit exactly (no sliver steps); `tmax` caps h;
//!   a Newton failure divides h by 8 and drops to order 1; a Newton failure
//!   below the minimum step ends the run with an error naming the time and
//!   the worst unknown. The truncation-error control never goes below
//!   `minstep` (a step at the floor is accepted and counted).

use super::newton::{Newton, NewtonError, Terms};
use super::op::{dc_ctx, operating_point, OpReport};
use crate::system::{LoadCtx, Method, Mode, System};

/// `.tran tstep tstop [tstart [tmax]] [uic]` evaluated.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TranSpec {
    pub tstep: f64,
    pub tstop: f64,
    pub tstart: f64,
    pub tmax: Option<f64>,
    pub uic: bool,
}

#[derive(Debug, Clone, Default)]
pub struct TranStats {
    pub accepted: usize,
    pub rejected_lte: usize,
    pub rejected_newton: usize,
    pub op: Option<OpReport>,
    pub output_points: usize,
    /// Steps accepted at `minstep` although their truncation error was above tolerance.
    pub lte_at_minstep: usize,
    pub newton: super::newton::NewtonStats,
    pub lu: crate::solver::LuStats,
}

#[derive(Debug)]
pub enum TranError {
    /// The initial operating point failed.
    Op(NewtonError),
    /// The step fell below the minimum at `time`.
    /// Newton failed at the minimum step at `time`.
    StepTooSmall {
        time: f64,
        h: f64,
        newton: NewtonError,
    },
    /// The output writer failed.
    Output(std::io::Error),
    /// More accepted steps than the `timepoints` limit ([`crate::limits`]):
    /// a run crawling at tiny steps is stopped, not left to run for days.
    TooManySteps { time: f64, steps: usize },
}

/// Receives each output point: the system (for derived outputs), time,
/// solution (index 0 = ground), context.
pub type OutputFn<'a> = dyn FnMut(&System, f64, &[f64], &LoadCtx) -> std::io::Result<()> + 'a;

/// Last accepted points since the last breakpoint (newest first).
struct History {
    t: [f64; 4],
    x: [Vec<f64>; 4],
    len: usize,
}

impl History {
    fn new(n1: usize) -> History {
        History {
            t: [0.0; 4],
            x: [vec![0.0; n1], vec![0.0; n1], vec![0.0; n1], vec![0.0; n1]],
            len: 0,
        }
    }
    /// Push a new newest point (rotates buffers; no allocation).
    fn push(&mut self, t: f64, x: &[f64]) {
        self.x.rotate_right(1);
        self.t.rotate_right(1);
        self.t[0] = t;
        self.x[0].copy_from_slice(x);
        self.len = (self.len + 1).min(4);
    }
    /// Keep only the newest point (after a breakpoint).
    fn restart(&mut self) {
        self.len = self.len.min(1);
    }
}

/// Run a transient analysis, calling `out` at each output point.
pub fn transient(
    sys: &mut System,
    spec: &TranSpec,
    ic: &[(usize, f64)],
    nodeset: &[(usize, f64)],
    out: &mut OutputFn,
    progress: &mut dyn FnMut(f64),
) -> Result<TranStats, TranError> {
    let n1 = sys.n + 1;
    let mut ws = sys.workspace();
    let mut nt =
        Newton::new(sys).map_err(|_| TranError::Op(NewtonError::Singular { unknown: None }))?;
    let mut stats = TranStats::default();
    let max_steps = crate::limits::get().timepoints;
    let opts = sys.opts.clone();
    let tstop = spec.tstop;
    let span = tstop - spec.tstart.min(tstop);
    let tmax = spec
        .tmax
        .filter(|&m| m > 0.0)
        .unwrap_or_else(|| spec.tstep.min(span / 50.0))
        .min(tstop);
    let hmin = if opts.minstep > 0.0 {
        opts.minstep
    } else {
        1e-11 * tmax.min(tstop / 50.0)
    };

    // ---- initial state
    let mut x = vec![0.0; n1];
    for d in &sys.devices {
        d.init_unknowns(&mut x);
    }
    for &(i, v) in ic {
        x[i] = v;
    }
    if !spec.uic {
        let rep = operating_point(sys, &mut ws, &mut nt, &mut x, Mode::TranOp, ic, nodeset)
            .map_err(TranError::Op)?;
        stats.op = Some(rep);
    }
    // The DC matrix (capacitors open, inductors shorted) pivots differently
    // from the transient one: pivot afresh on the first transient matrix.
    nt.lu.invalidate();
    let mut cx = dc_ctx(sys, Mode::Tran);
    cx.time = 0.0;
    sys.sources(&cx, &mut ws);
    sys.load(&cx, &x, &mut ws, None, true, false);
    sys.mark_from_c(&ws.c);
    let mut q_n = ws.q.clone();
    if spec.uic {
        for d in &sys.devices {
            d.uic_charge(&x, &mut q_n);
        }
    }
    let mut q_nm1 = q_n.clone();
    let mut qdot_n = vec![0.0; n1];
    let mut hist = vec![0.0; n1];
    let mut hist_pts = History::new(n1);
    hist_pts.push(0.0, &x);
    sys.accept_reference(&x);
    for &k in &sys.acceptors {
        sys.devices[k].accept(&cx, &mut x, &mut q_n);
    }

    let diff_idx: Vec<usize> = (1..n1)
        .filter(|&i| sys.differential[i] && sys.unknowns[i].lte)
        .collect();
    let bp_devices: Vec<usize> = (0..sys.devices.len())
        // any finite time before the analysis (a waveform's "strictly after"
        // test is relative to |t|, so not −∞)
        .filter(|&k| sys.devices[k].next_breakpoint(-f64::MAX).is_some())
        .collect();
    let next_bp = |sys: &System, t: f64| -> f64 {
        let mut b = tstop;
        for &k in &bp_devices {
            if let Some(v) = sys.devices[k].next_breakpoint(t) {
                if v < b {
                    b = v;
                }
            }
        }
        b
    };

    // First step: SPICE's tstep/10, and at most a tenth of the way to the
    // first breakpoint (the first step after a breakpoint is backward Euler
    // without a truncation-error estimate, so it must be short).
    let mut h = (spec.tstep.min(tstop / 100.0) / 10.0).min(tmax);
    let mut bp = next_bp(sys, 0.0);
    if bp < tstop {
        h = h.min(0.1 * bp);
    }

    // With `uic` the initial state fixes the charges/fluxes only; the
    // algebraic unknowns (source currents, nodes without capacitance) follow
    // from it. Solve for them by a backward-Euler step over a vanishing
    // interval (consistent initialization), keeping the initial charges.
    if spec.uic {
        let hc = 1e-9 * h;
        for (hi, &qi) in hist.iter_mut().zip(&q_n) {
            *hi = -qi / hc;
        }
        let terms = Terms {
            dynamic: Some((1.0 / hc, &hist)),
            gshunt: 0.0,
            force: &[],
            relax: None,
        };
        cx.first_iter = true;
        nt.solve(sys, &mut ws, &mut x, &mut cx, terms, opts.itl1)
            .map_err(TranError::Op)?;
        hist_pts = History::new(n1);
        hist_pts.push(0.0, &x);
        sys.accept_reference(&x);
    }

    // ---- output at t = 0 (the uniform grid is tstart + k·tstep)
    let mut interp_buf = vec![0.0; n1];
    let mut out_k = 0usize;
    if spec.tstart <= 0.0 {
        out(sys, 0.0, &x, &cx).map_err(TranError::Output)?;
        stats.output_points += 1;
        out_k = 1;
    }

    let mut t = 0.0f64;
    let mut h_prev = h;
    let maxord = if opts.maxord >= 2 { 2 } else { 1 };
    let mut force_be = false;
    let mut x_new = x.clone();
    let mut last_progress = 0.0;

    while t < tstop * (1.0 - 1e-12) {
        // --- choose the step
        h = h.min(tmax);
        let mut hit_bp = false;
        if t + h >= bp - 1e-9 * h {
            h = bp - t;
            hit_bp = true;
        } else if t + 2.0 * h > bp {
            h = 0.5 * (bp - t);
        }
        if h < hmin {
            // Never plan a step below the minimum (only rejections may end
            // the run there): take the minimum, or land on a breakpoint that
            // is closer.
            if bp - t <= hmin * (1.0 + 1e-6) {
                h = bp - t;
                hit_bp = true;
            } else {
                h = hmin;
            }
        }
        // a step ending within rounding of the breakpoint lands on it
        if !hit_bp && bp - (t + h) <= 1e-9 * h {
            h = bp - t;
            hit_bp = true;
        }
        let tn = t + h;

        // --- integration coefficients: order 2 once three points since the
        // last breakpoint exist (so its truncation error can be estimated)
        let k = if hist_pts.len >= 3 && !force_be {
            maxord
        } else {
            1
        };
        let method = if k >= 2 { opts.method } else { Method::Trap };
        let a0 = match (k, method) {
            (0 | 1, _) => {
                for i in 0..n1 {
                    hist[i] = -q_n[i] / h;
                }
                1.0 / h
            }
            (_, Method::Trap) => {
                let a0 = 2.0 / h;
                for i in 0..n1 {
                    hist[i] = -a0 * q_n[i] - qdot_n[i];
                }
                a0
            }
            (_, Method::Gear) => {
                let rho = h / h_prev;
                let a0 = (1.0 + 2.0 * rho) / (h * (1.0 + rho));
                let a1 = -(1.0 + rho) / h;
                let a2 = rho * rho / (h * (1.0 + rho));
                for i in 0..n1 {
                    hist[i] = a1 * q_n[i] + a2 * q_nm1[i];
                }
                a0
            }
        };

        // --- predictor: polynomial extrapolation through the history
        predict(&hist_pts, k, tn, &mut x_new);

        // --- corrector
        cx.time = tn;
        cx.h = h;
        cx.first_iter = true;
        let terms = Terms {
            dynamic: Some((a0, &hist)),
            gshunt: 0.0,
            force: &[],
            relax: None,
        };
        match nt.solve(sys, &mut ws, &mut x_new, &mut cx, terms, opts.itl4) {
            Ok(_) => {
                force_be = false;
            }
            Err(e) => {
                stats.rejected_newton += 1;
                h /= 8.0;
                force_be = true;
                if h < hmin {
                    return Err(TranError::StepTooSmall {
                        time: t,
                        h,
                        newton: e,
                    });
                }
                continue;
            }
        }

        // --- truncation error
        let err = if hist_pts.len > k && !diff_idx.is_empty() {
            lte_norm(&hist_pts, k, method, tn, &x_new, &diff_idx, sys, opts.trtol)
        } else {
            0.0
        };
        let expo = 1.0 / (k as f64 + 1.0);
        // `minstep` is a floor for the truncation-error control: a step of
        // the minimum size is accepted even if its error estimate is too
        // large (counted in the statistics); only Newton failures end the run.
        let at_floor = h <= hmin * (1.0 + 1e-9);
        if err > 1.0 && !at_floor {
            stats.rejected_lte += 1;
            h = (h * (0.9 * err.powf(-expo)).clamp(0.1, 0.9)).max(hmin);
            continue;
        }
        if err > 1.0 {
            stats.lte_at_minstep += 1;
        }

        // --- accept
        stats.accepted += 1;
        if stats.accepted as f64 > max_steps {
            return Err(TranError::TooManySteps {
                time: t,
                steps: stats.accepted,
            });
        }
        let mut q_acc = std::mem::take(&mut q_nm1);
        q_acc.copy_from_slice(&ws.q);
        sys.add_linear_q(&x_new, &mut q_acc);
        // dQ/dt at the accepted point, from the solved (unprojected) charges:
        // a device projection in `accept` then moves q_n only, so the next
        // step restarts from the projected state with this rate instead of
        // undoing the projection through a0·Δq.
        for i in 0..n1 {
            qdot_n[i] = a0 * q_acc[i] + hist[i];
        }
        for &k in &sys.acceptors {
            sys.devices[k].accept(&cx, &mut x_new, &mut q_acc);
        }
        q_nm1 = std::mem::replace(&mut q_n, q_acc);
        sys.accept_reference(&x_new);
        let t_old = t;
        t = if hit_bp { bp } else { tn };
        hist_pts.push(t, &x_new);
        std::mem::swap(&mut x, &mut x_new);

        // --- output
        if opts.interp {
            loop {
                let tt = spec.tstart + out_k as f64 * spec.tstep;
                if tt > t * (1.0 + 1e-12) || tt > tstop * (1.0 + 1e-12) {
                    break;
                }
                if tt < t_old {
                    out_k += 1;
                    continue;
                }
                if (tt - t).abs() <= 1e-12 * t.abs() {
                    out(sys, t, &x, &cx).map_err(TranError::Output)?;
                } else {
                    interpolate(&hist_pts, tt, &mut interp_buf);
                    out(sys, tt, &interp_buf, &cx).map_err(TranError::Output)?;
                }
                stats.output_points += 1;
                out_k += 1;
            }
        } else if t >= spec.tstart {
            out(sys, t, &x, &cx).map_err(TranError::Output)?;
            stats.output_points += 1;
        }
        if t - last_progress > tstop * 1e-3 {
            progress(t / tstop);
            last_progress = t;
        }

        // --- next step size and order
        h_prev = h;
        let grow = if err > 0.0 {
            (0.9 * err.powf(-expo)).clamp(0.2, 2.0)
        } else {
            2.0
        };
        let mut h_next = h * grow;
        if hit_bp {
            hist_pts.restart();
            bp = next_bp(sys, t);
            h_next = h_next.min(0.1 * h.min(bp - t).max(hmin));
        }
        h = h_next;
    }
    progress(1.0);
    stats.newton = nt.stats;
    stats.lu = nt.lu.stats;
    Ok(stats)
}

/// Extrapolate the solution at `t` from the newest `min(k+2, len)` points
/// (one order above the method, so the predictor error is below the
/// truncation error and Newton usually needs a single correction).
fn predict(hp: &History, k: usize, t: f64, out: &mut [f64]) {
    let m = (k + 2).min(hp.len);
    lagrange(hp, m, t, out);
}

/// Interpolate at `t` (within the newest step) with up to 3 points.
fn interpolate(hp: &History, t: f64, out: &mut [f64]) {
    let m = hp.len.min(3);
    lagrange(hp, m, t, out);
}

/// Lagrange polynomial through the newest `m` points evaluated at `t`.
fn lagrange(hp: &History, m: usize, t: f64, out: &mut [f64]) {
    let mut w = [0.0f64; 4];
    for (j, wj) in w.iter_mut().enumerate().take(m) {
        let mut l = 1.0;
        for i in 0..m {
            if i != j {
                l *= (t - hp.t[i]) / (hp.t[j] - hp.t[i]);
            }
        }
        *wj = l;
    }
    match m {
        0 => {}
        1 => out.copy_from_slice(&hp.x[0]),
        2 => {
            let (a, b) = (&hp.x[0], &hp.x[1]);
            for i in 0..out.len() {
                out[i] = w[0] * a[i] + w[1] * b[i];
            }
        }
        _ => {
            let (a, b, c) = (&hp.x[0], &hp.x[1], &hp.x[2]);
            for i in 0..out.len() {
                out[i] = w[0] * a[i] + w[1] * b[i] + w[2] * c[i];
            }
            if m == 4 {
                let d = &hp.x[3];
                for i in 0..out.len() {
                    out[i] += w[3] * d[i];
                }
            }
        }
    }
}

/// Weighted RMS truncation-error norm of the candidate point (t, x) given the
/// history.
///
/// The divided differences DD₂ (order 1) and DD₃ (order 2) are fixed linear
/// combinations of the newest points with weights that depend only on the
/// times, so each unknown costs a few multiply-adds and one division.
#[allow(clippy::too_many_arguments)]
fn lte_norm(
    hp: &History,
    k: usize,
    method: Method,
    t: f64,
    x: &[f64],
    diff: &[usize],
    sys: &System,
    trtol: f64,
) -> f64 {
    let h = t - hp.t[0];
    // Divided difference over points ts[0..m] = Σ x_j / Π_{i≠j}(t_j − t_i).
    let ts = [t, hp.t[0], hp.t[1], hp.t[2]];
    let m = if k <= 1 { 3 } else { 4 };
    let mut w = [0.0f64; 4];
    for (j, wj) in w.iter_mut().enumerate().take(m) {
        let mut d = 1.0;
        for (i, ti) in ts.iter().enumerate().take(m) {
            if i != j {
                d *= ts[j] - ti;
            }
        }
        *wj = 1.0 / d;
    }
    // LTE = c · DD (BE: h²·DD₂; trap: (h³/2)·DD₃; BDF2: DD₃·h²(h+h₁)²/(2h+h₁)).
    let h1 = hp.t[0] - hp.t[1];
    let c = if k <= 1 {
        h * h
    } else {
        match method {
            Method::Trap => 0.5 * h * h * h,
            Method::Gear => h * h * (h + h1) * (h + h1) / (2.0 * h + h1),
        }
    };
    let cw = [c * w[0], c * w[1], c * w[2], c * w[3]];
    let (x0, x1, x2) = (&hp.x[0], &hp.x[1], &hp.x[2]);
    let term = |i: usize| -> f64 {
        let mut lte = cw[0] * x[i] + cw[1] * x0[i] + cw[2] * x1[i];
        if m == 4 {
            lte += cw[3] * x2[i];
        }
        let wt = trtol * (sys.rtol[i] * x[i].abs().max(x0[i].abs()) + sys.atol[i]);
        let r = lte / wt;
        r * r
    };
    // four partial sums: the additions do not wait on each other
    let mut acc = [0.0f64; 4];
    let mut chunks = diff.chunks_exact(4);
    for c in &mut chunks {
        for (a, &i) in acc.iter_mut().zip(c) {
            *a += term(i);
        }
    }
    for &i in chunks.remainder() {
        acc[0] += term(i);
    }
    let sum = (acc[0] + acc[1]) + (acc[2] + acc[3]);
    (sum / diff.len() as f64).sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::devices::capacitor::Capacitor;
    use crate::devices::resistor::Resistor;
    use crate::devices::vsource::{SourceValues, VSource};
    use crate::devices::{Device, Instance};
    use crate::diag::Span;
    use crate::system::Options;
    use num_complex::Complex64;

    fn inst(name: &str, nodes: &[usize], value: f64, params: &[(&str, f64)]) -> Instance<'static> {
        Instance {
            name: name.into(),
            span: Span::default(),
            nodes: nodes.to_vec(),
            value: Some((value, Span::default())),
            params: params
                .iter()
                .map(|(n, v)| crate::devices::PValue {
                    name: n.to_string(),
                    value: *v,
                    span: Span::default(),
                    word: None,
                })
                .collect(),
            model: None,
            temp: 27.0,
            tnom: 27.0,
        }
    }

    /// RC charging from 0 V with `uic`: v(2) = V(1 − e^(−t/RC)).
    #[test]
    fn rc_charge_matches_exponential() {
        let opts = Options {
            reltol: 1e-6,
            trtol: 1.0,
            vntol: 1e-9,
            ..Default::default()
        };
        let src = SourceValues {
            dc: Some(1.0),
            ac: Complex64::default(),
            wave: None,
        };
        let devs: Vec<Box<dyn Device>> = vec![
            Box::new(VSource::new(&inst("v1", &[1, 0], 0.0, &[]), src).unwrap()),
            Box::new(Resistor::from_instance(&inst("r1", &[1, 2], 1e3, &[])).unwrap()),
            Box::new(Capacitor::from_instance(&inst("c1", &[2, 0], 1e-9, &[("ic", 0.0)])).unwrap()),
        ];
        let names = vec!["0".to_string(), "1".into(), "2".into()];
        let mut sys = System::build(&names, devs, &opts).unwrap();
        let spec = TranSpec {
            tstep: 1e-8,
            tstop: 5e-6,
            tstart: 0.0,
            tmax: Some(1e-7),
            uic: true,
        };
        let tau = 1e3 * 1e-9;
        let mut worst = 0.0f64;
        let mut n = 0;
        let mut out = |_: &System, t: f64, x: &[f64], _: &LoadCtx| {
            if t > 0.0 {
                let exact = 1.0 - (-t / tau).exp();
                worst = worst.max((x[2] - exact).abs());
                n += 1;
            }
            Ok(())
        };
        let st = transient(&mut sys, &spec, &[], &[], &mut out, &mut |_| {}).unwrap();
        assert!(n > 10);
        assert!(worst < 1e-4, "max abs error {worst} ({st:?})");
    }
}
