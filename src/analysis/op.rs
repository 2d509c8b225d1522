//! DC operating point: plain Newton, then gmin stepping, then source stepping
//! (the SPICE3/ngspice continuation order), then a pseudo-transient
//! relaxation of the device states. The method that worked is reported.
//!
//! A DC solution is then checked:
//! - **stability of device states** whose DC rows are their dynamics (a
//!   macrospin's torque balance, [`Device::dc_dynamics`]): Newton converges to
//!   an unstable equilibrium (a magnetization against its field, a saddle) as
//!   readily as to a stable one. Such a solution is replaced by the
//!   pseudo-transient relaxation from the initial guess, which follows the
//!   damped dynamics of the states to a stable equilibrium; when none exists
//!   (a bias beyond switching or above an auto-oscillation threshold) the
//!   solution is kept with a warning;
//! - **physically absurd values** (|v| > [`V_ABSURD`], |i| > [`I_ABSURD`]),
//!   which a circuit without a DC solution a real device could hold produces
//!   (a current forced into a reverse junction, held only by gmin): warned,
//!   naming the node and its devices.
//!
//! Warnings go to `System::notes`.
//!
//! [`Device::dc_dynamics`]: crate::devices::Device::dc_dynamics

use super::newton::{Newton, NewtonError, Relax, Terms};
use crate::system::{LoadCtx, Mode, System, UnknownKind, Workspace};

/// Node voltage [V] above which an operating point is reported as absurd.
pub const V_ABSURD: f64 = 1e6;
/// Branch current [A] above which an operating point is reported as absurd.
pub const I_ABSURD: f64 = 1e3;

/// How the operating point was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpMethod {
    Newton,
    GminStepping,
    SourceStepping,
    PseudoTransient,
}

impl OpMethod {
    pub fn describe(self) -> &'static str {
        match self {
            OpMethod::Newton => "Newton",
            OpMethod::GminStepping => "gmin stepping",
            OpMethod::SourceStepping => "source stepping",
            OpMethod::PseudoTransient => "pseudo-transient relaxation of the device states",
        }
    }
}

#[derive(Debug, Clone, Copy)]
pub struct OpReport {
    pub method: OpMethod,
    pub iterations: usize,
}

/// Context of a DC solve at temperature `temp_k` in `mode` (Dc or TranOp).
pub fn dc_ctx(sys: &System, mode: Mode) -> LoadCtx {
    LoadCtx {
        mode,
        time: 0.0,
        src_scale: 1.0,
        gmin: sys.opts.gmin,
        temp_k: sys.opts.temp + 273.15,
        first_iter: true,
        init_junctions: false,
        h: 0.0,
    }
}

fn terms(force: &[(usize, f64)], gshunt: f64) -> Terms<'_> {
    Terms {
        dynamic: None,
        gshunt,
        force,
        relax: None,
    }
}

/// Find the operating point starting from the guess in `x`.
/// `force` holds `.ic` node values (kept through the solve); `nodeset` values
/// only seed a first solve and are then released. Warnings (unstable device
/// states, absurd values) are added to `sys.notes`.
pub fn operating_point(
    sys: &mut System,
    ws: &mut Workspace,
    nt: &mut Newton,
    x: &mut [f64],
    mode: Mode,
    force: &[(usize, f64)],
    nodeset: &[(usize, f64)],
) -> Result<OpReport, NewtonError> {
    let guess: Vec<f64> = x.to_vec();
    let mut cx = dc_ctx(sys, mode);
    let rep = match continuation(sys, ws, nt, x, &mut cx, force, nodeset) {
        Ok(rep) => {
            if unstable_states(sys, ws, nt, x, mode).is_empty() {
                rep
            } else {
                // an unstable equilibrium: relax the states from the guess
                let found = x.to_vec();
                x.copy_from_slice(&guess);
                cx.init_junctions = true;
                match relax_to_stable(sys, ws, nt, x, &mut cx, force) {
                    Ok((it, still)) if still.is_empty() => OpReport {
                        method: OpMethod::PseudoTransient,
                        iterations: rep.iterations + it,
                    },
                    _ => {
                        // no stable state: keep Newton's, and say why
                        x.copy_from_slice(&found);
                        let un = unstable_states(sys, ws, nt, x, mode);
                        sys.notes.extend(un.into_iter().map(|u| u.message));
                        rep
                    }
                }
            }
        }
        Err(e) => {
            if !nt.has_states() {
                return Err(e);
            }
            x.copy_from_slice(&guess);
            cx.init_junctions = true;
            let (it, still) = relax_to_stable(sys, ws, nt, x, &mut cx, force).map_err(|_| e)?;
            sys.notes.extend(still);
            OpReport {
                method: OpMethod::PseudoTransient,
                iterations: it,
            }
        }
    };
    let absurd = absurd_values(sys, x);
    sys.notes.extend(absurd);
    Ok(rep)
}

/// Newton, gmin stepping, source stepping (after an optional nodeset solve).
fn continuation(
    sys: &mut System,
    ws: &mut Workspace,
    nt: &mut Newton,
    x: &mut [f64],
    cx: &mut LoadCtx,
    force: &[(usize, f64)],
    nodeset: &[(usize, f64)],
) -> Result<OpReport, NewtonError> {
    let itl = sys.opts.itl1;
    cx.init_junctions = true;
    let guess: Vec<f64> = x.to_vec();
    let mut total = 0usize;

    // 0. nodeset: solve with the nodeset nodes held, then release.
    if !nodeset.is_empty() {
        let mut held: Vec<(usize, f64)> = force.to_vec();
        held.extend_from_slice(nodeset);
        cx.first_iter = true;
        if let Ok(it) = nt.solve(sys, ws, x, cx, terms(&held, 0.0), itl) {
            total += it;
            cx.init_junctions = false;
        } else {
            x.copy_from_slice(&guess);
        }
    }

    // 1. Plain Newton.
    cx.first_iter = true;
    let first_err = match nt.solve(sys, ws, x, cx, terms(force, 0.0), itl) {
        Ok(it) => {
            return Ok(OpReport {
                method: OpMethod::Newton,
                iterations: total + it,
            })
        }
        Err(e) => e,
    };
    // where plain Newton ended: if every method fails, its failure (with all
    // sources on) is the one reported, and the devices' notes are refreshed
    // there (`Device::convergence_note`)
    let x_first = x.to_vec();

    // 2. gmin stepping: a shunt from every node to ground, reduced by 10× per
    //    step from 1e-2 S; on failure the reduction factor is relaxed.
    x.copy_from_slice(&guess);
    cx.init_junctions = true;
    let mut gshunt = 1e-2;
    let mut factor = 10.0f64;
    let mut ok = true;
    let mut last_good: Vec<f64> = x.to_vec();
    let mut steps = 0usize;
    while gshunt > sys.opts.gmin * 1e-3 {
        steps += 1;
        if steps > 20 * sys.opts.gminsteps.max(1) {
            ok = false;
            break;
        }
        cx.first_iter = true;
        match nt.solve(sys, ws, x, cx, terms(force, gshunt), itl) {
            Ok(it) => {
                total += it;
                cx.init_junctions = false;
                last_good.copy_from_slice(x);
                gshunt /= factor;
            }
            Err(_) => {
                x.copy_from_slice(&last_good);
                if factor < 1.01 {
                    ok = false;
                    break;
                }
                gshunt *= factor;
                factor = factor.sqrt();
                gshunt /= factor;
            }
        }
    }
    if ok {
        cx.first_iter = true;
        if let Ok(it) = nt.solve(sys, ws, x, cx, terms(force, 0.0), itl) {
            return Ok(OpReport {
                method: OpMethod::GminStepping,
                iterations: total + it,
            });
        }
    }

    // 3. Source stepping: ramp all independent sources from 0 to 1, starting
    //    from the guess (node voltages 0, device states at their initial
    //    values: a magnetization at m0, not at 0).
    x.copy_from_slice(&guess);
    cx.init_junctions = true;
    let mut scale = 0.0f64;
    let mut step = 1.0 / sys.opts.srcsteps.max(1) as f64;
    let mut last_good: Vec<f64> = x.to_vec();
    let mut first = true;
    let result = loop {
        if !(scale < 1.0 || first) {
            break Ok(());
        }
        let target = if first { 0.0 } else { (scale + step).min(1.0) };
        cx.src_scale = target;
        cx.first_iter = true;
        match nt.solve(sys, ws, x, cx, terms(force, 0.0), itl) {
            Ok(it) => {
                total += it;
                cx.init_junctions = false;
                last_good.copy_from_slice(x);
                scale = target;
                first = false;
                step = (step * 1.5).min(0.5);
            }
            Err(e) => {
                x.copy_from_slice(&last_good);
                step /= 4.0;
                if first || step < 1e-6 {
                    break Err(e);
                }
            }
        }
    };
    cx.src_scale = 1.0;
    match result {
        Ok(()) => Ok(OpReport {
            method: OpMethod::SourceStepping,
            iterations: total,
        }),
        Err(_) => {
            x.copy_from_slice(&x_first);
            sys.sources(cx, ws);
            sys.load(cx, x, ws, None, true, false);
            Err(first_err)
        }
    }
}

/// Pseudo-transient continuation of the device states (Kelley & Keyes,
/// *SIAM J. Numer. Anal.* 35, 508 (1998)): backward-Euler steps in a pseudo
/// time τ on the state rows only, F(x) + (x_s − x_s,prev)/Δτ = 0, with the
/// circuit at DC in every step; Δτ starts at a tenth of the states' fastest
/// time scale (1/`Newton::state_rate`) and grows (×2, ×10 once the states
/// barely move) until the term is negligible, then a plain Newton solve
/// polishes the point. It follows the damped dynamics of the states (a
/// magnetization relaxes into the well it starts in) closely at first; its
/// long steps later stabilise any fixed point nearby (backward Euler damps
/// a mode growing at λ once |1 − λΔτ| > 1), so where it ends is checked
/// ([`relax_to_stable`]). Returns the Newton iterations spent.
pub fn pseudo_transient(
    sys: &mut System,
    ws: &mut Workspace,
    nt: &mut Newton,
    x: &mut [f64],
    cx: &mut LoadCtx,
    force: &[(usize, f64)],
) -> Result<usize, NewtonError> {
    let itl = sys.opts.itl1;
    let fail = NewtonError::NoConvergence {
        worst: 0,
        iterations: 0,
    };
    cx.first_iter = true;
    sys.sources(cx, ws);
    sys.load(cx, x, ws, None, true, false);
    let rate = nt.state_rate(sys, &ws.g);
    if !(rate > 0.0 && rate.is_finite()) {
        return Err(fail);
    }
    let mut dtau = 0.1 / rate;
    let mut prev = x.to_vec();
    let mut total = 0usize;
    for _ in 0..200 {
        cx.first_iter = true;
        let relax = Relax {
            rate: 1.0 / dtau,
            prev: &prev,
            fprev: None,
        };
        let t = Terms {
            relax: Some(relax),
            ..terms(force, 0.0)
        };
        match nt.solve(sys, ws, x, cx, t, itl) {
            Ok(it) => {
                total += it;
                cx.init_junctions = false;
                let moved = nt.state_change(sys, x, &prev);
                prev.copy_from_slice(x);
                if dtau * rate > 1e6 && moved <= 1.0 {
                    cx.first_iter = true;
                    let it = nt.solve(sys, ws, x, cx, terms(force, 0.0), itl)?;
                    return Ok(total + it);
                }
                dtau *= if moved < 1e3 { 10.0 } else { 2.0 };
            }
            Err(e) => {
                x.copy_from_slice(&prev);
                dtau *= 0.25;
                if dtau * rate < 1e-6 {
                    return Err(e);
                }
            }
        }
    }
    Err(fail)
}

/// Leave an unstable equilibrium and settle elsewhere: trapezoidal steps
/// of a fixed `dtau` in pseudo time on the state rows, F(x) + F(x_prev) +
/// 2(x − x_prev)/Δτ = 0, then a plain Newton solve. Unlike backward Euler,
/// the trapezoidal rule lets a mode with Re λ > 0 grow at any step (its
/// stability boundary is the imaginary axis), so the states spiral away
/// from a source as the dynamics do, at one step per radian of precession
/// (Δτ = 1/|λ|), and ring down into the next well like them. The steps go
/// on until the states have moved away (by more than [`ESCAPED`]) and then
/// change by less than [`SETTLED`] per step, within `budget` steps (else
/// Err: e.g. a limit cycle, an auto-oscillation).
#[allow(clippy::too_many_arguments)]
fn escape(
    sys: &mut System,
    ws: &mut Workspace,
    nt: &mut Newton,
    x: &mut [f64],
    cx: &mut LoadCtx,
    force: &[(usize, f64)],
    dtau: f64,
    budget: usize,
) -> Result<usize, NewtonError> {
    let itl = sys.opts.itl1;
    let (mut dtau, min_dtau) = (dtau, 1e-3 * dtau);
    let start = x.to_vec();
    let mut prev = x.to_vec();
    let mut fprev = vec![0.0; x.len()];
    let mut total = 0usize;
    let mut away = false;
    for _ in 0..budget {
        sys.sources(cx, ws);
        sys.load(cx, &prev, ws, None, true, false);
        fprev.copy_from_slice(&ws.f);
        cx.first_iter = true;
        let relax = Relax {
            rate: 2.0 / dtau,
            prev: &prev,
            fprev: Some(&fprev),
        };
        let t = Terms {
            relax: Some(relax),
            ..terms(force, 0.0)
        };
        match nt.solve(sys, ws, x, cx, t, itl) {
            Ok(it) => total += it,
            Err(e) => {
                // a step too long for Newton: shorter ones from where it was
                x.copy_from_slice(&prev);
                dtau *= 0.25;
                if dtau < min_dtau {
                    return Err(e);
                }
                continue;
            }
        }
        let step = nt.state_distance(x, &prev);
        prev.copy_from_slice(x);
        away |= nt.state_distance(x, &start) > ESCAPED;
        if away && step < SETTLED {
            cx.first_iter = true;
            return Ok(total + nt.solve(sys, ws, x, cx, terms(force, 0.0), itl)?);
        }
    }
    Err(NewtonError::NoConvergence {
        worst: 0,
        iterations: total,
    })
}

/// Distance (in the states' units) beyond which an escape has left.
const ESCAPED: f64 = 0.03;
/// Change per trapezoidal pseudo step below which an escaped state has
/// settled near an equilibrium (Newton finishes from there).
const SETTLED: f64 = 1e-4;

/// Relax the device states from `x` to a stable equilibrium: a
/// pseudo-transient; if it ends on an unstable equilibrium (the states
/// started on one, or its long steps stabilised one), a kick of 10⁻³
/// along the unstable direction and an escape by trapezoidal pseudo steps
/// ([`escape`], at most 4000), up to three times. An escape that does not
/// settle within its budget (the states head for a limit cycle, an
/// auto-oscillation) ends the attempt. Returns the iterations and the messages of the devices
/// still unstable (empty: stable).
pub fn relax_to_stable(
    sys: &mut System,
    ws: &mut Workspace,
    nt: &mut Newton,
    x: &mut [f64],
    cx: &mut LoadCtx,
    force: &[(usize, f64)],
) -> Result<(usize, Vec<String>), NewtonError> {
    let mut total = pseudo_transient(sys, ws, nt, x, cx, force)?;
    for _ in 0..3 {
        let un = unstable_states(sys, ws, nt, x, cx.mode);
        if un.is_empty() {
            return Ok((total, Vec::new()));
        }
        let before = x.to_vec();
        let mut dtau = f64::INFINITY;
        for u in &un {
            dtau = dtau.min(u.step);
            for &(i, c) in &u.dir {
                x[i] += KICK * c;
            }
        }
        match escape(sys, ws, nt, x, cx, force, dtau, 4000) {
            Ok(it) => total += it,
            Err(_) => {
                x.copy_from_slice(&before);
                return Ok((total, un.into_iter().map(|u| u.message).collect()));
            }
        }
    }
    let un = unstable_states(sys, ws, nt, x, cx.mode);
    Ok((total, un.into_iter().map(|u| u.message).collect()))
}

/// Size of the kick off an unstable equilibrium (in the states' units: a
/// magnetization direction).
const KICK: f64 = 1e-3;

/// A device state on an unstable equilibrium: the device, the growth rate
/// λ [1/s] (largest real part of the eigenvalues), whether the unstable
/// eigenvalue is real (a saddle: the state switches) or a complex pair (it
/// spirals out: an auto-oscillation), a direction (over state unknowns)
/// along which the state leaves, and the warning text.
#[derive(Debug, Clone)]
pub struct Unstable {
    pub device: usize,
    pub rate: f64,
    pub real: bool,
    /// The trapezoidal pseudo step of the escape: 1/|λ| (one step per
    /// radian of a spiral; two steps per e-fold of a real λ).
    pub step: f64,
    pub dir: Vec<(usize, f64)>,
    pub message: String,
}

/// The device states (`Device::dc_dynamics`) that sit on an unstable
/// equilibrium at the DC solution `x`. The DC Jacobian is factored at `x`
/// and reduced to the device's states with the rest of the circuit at DC:
/// Y = (J⁻¹)_ss from one solve per state, S = Y⁻¹ (the Schur complement of
/// the circuit), and the dynamics in the free directions B is A = −BᵀSB
/// (1×1 or 2×2; stable when trace < 0 and det > 0). Other devices' states
/// are taken at their equilibrium (adiabatic), exact for one device in a
/// resistive circuit.
pub fn unstable_states(
    sys: &mut System,
    ws: &mut Workspace,
    nt: &mut Newton,
    x: &[f64],
    mode: Mode,
) -> Vec<Unstable> {
    let dyns: Vec<(usize, crate::devices::DcDynamics)> = sys
        .devices
        .iter()
        .enumerate()
        .filter_map(|(k, d)| d.dc_dynamics(x).map(|dd| (k, dd)))
        .collect();
    if dyns.is_empty() {
        return Vec::new();
    }
    let cx = dc_ctx(sys, mode);
    sys.sources(&cx, ws);
    sys.load(&cx, x, ws, None, true, false);
    let nnz = sys.nnz();
    if nt.lu.factor(&mut ws.g[..nnz]).is_err() {
        return Vec::new();
    }
    let mut rhs = vec![0.0; sys.n];
    let mut out = Vec::new();
    for (k, dd) in dyns {
        let Some(a) = reduced_dynamics(nt, &dd, &mut rhs) else {
            continue;
        };
        if let Some(u) = classify(k, &a, &dd, sys.devices[k].name()) {
            out.push(u);
        }
    }
    out
}

/// A = −BᵀSB: the device's DC dynamics on its free directions B (`dd`),
/// S = ((J⁻¹)_ss)⁻¹ from the factored Jacobian in `nt` (one solve per
/// state; `rhs` is scratch of length n). Up to 2 directions.
fn reduced_dynamics(
    nt: &mut Newton,
    dd: &crate::devices::DcDynamics,
    rhs: &mut [f64],
) -> Option<Vec<Vec<f64>>> {
    let ns = dd.states.len();
    let mut y = vec![vec![0.0; ns]; ns];
    for j in 0..ns {
        rhs.iter_mut().for_each(|v| *v = 0.0);
        rhs[dd.states[j] - 1] = 1.0;
        nt.lu.solve(rhs).ok()?;
        for (i, row) in y.iter_mut().enumerate() {
            row[j] = rhs[dd.states[i] - 1];
        }
    }
    let s = invert(&y)?;
    let b = &dd.basis[..dd.basis.len().min(2)];
    Some(
        b.iter()
            .map(|bp| {
                b.iter()
                    .map(|bq| {
                        let sb: Vec<f64> = s
                            .iter()
                            .map(|row| row.iter().zip(bq).map(|(x, y)| x * y).sum())
                            .collect();
                        -bp.iter().zip(&sb).map(|(x, y)| x * y).sum::<f64>()
                    })
                    .collect()
            })
            .collect(),
    )
}

/// None when the reduced dynamics `a` (1×1 or 2×2) is stable (trace < 0,
/// det > 0); else the growth rate, its kind, the escape step, a direction
/// in the states' space and the message.
fn classify(
    device: usize,
    a: &[Vec<f64>],
    dd: &crate::devices::DcDynamics,
    name: &str,
) -> Option<Unstable> {
    let d = a.len();
    let (tr, det) = if d == 1 {
        (a[0][0], 1.0)
    } else {
        (a[0][0] + a[1][1], a[0][0] * a[1][1] - a[0][1] * a[1][0])
    };
    if tr < 0.0 && det > 0.0 {
        return None;
    }
    let disc = tr * tr - 4.0 * det;
    let real = d == 1 || disc >= 0.0;
    let step = if real {
        0.5 / (0.5 * (tr + disc.max(0.0).sqrt())).max(f64::MIN_POSITIVE)
    } else {
        1.0 / det.sqrt()
    };
    // the growth rate (largest real part) and a direction it grows in
    let (rate, v) = if d == 1 {
        (tr, [1.0, 0.0])
    } else if disc >= 0.0 {
        let l = 0.5 * (tr + disc.sqrt());
        // (A − λ)v = 0 from the better-conditioned row
        let v = if a[0][1].abs() + (l - a[0][0]).abs() > a[1][0].abs() + (l - a[1][1]).abs() {
            [a[0][1], l - a[0][0]]
        } else {
            [l - a[1][1], a[1][0]]
        };
        (l, v)
    } else {
        (0.5 * tr, [1.0, 0.0])
    };
    let nv = v[0].hypot(v[1]).max(f64::MIN_POSITIVE);
    let dir = dd
        .states
        .iter()
        .enumerate()
        .map(|(i, &st)| {
            let c = (0..d).map(|p| v[p] / nv * dd.basis[p][i]).sum::<f64>();
            (st, c)
        })
        .collect();
    let why = if real {
        "the DC bias is beyond switching and no stable state was found by relaxing it, \
         or the state is held on a symmetric unstable point"
    } else {
        "it spirals out (the DC bias is above an auto-oscillation threshold: the state \
         precesses, or switches through precession)"
    };
    Some(Unstable {
        device,
        rate,
        real,
        step,
        dir,
        message: format!(
            "the operating point of '{name}' is an unstable equilibrium of its state \
             (growth rate {rate:.3e} 1/s): {why}; a transient from it will leave it"
        ),
    })
}

/// Inverse of a small dense matrix (Gauss–Jordan with partial pivoting).
fn invert(a: &[Vec<f64>]) -> Option<Vec<Vec<f64>>> {
    let n = a.len();
    let mut m: Vec<Vec<f64>> = a
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let mut row = r.clone();
            row.extend((0..n).map(|j| if i == j { 1.0 } else { 0.0 }));
            row
        })
        .collect();
    for c in 0..n {
        let p = (c..n).max_by(|&i, &j| m[i][c].abs().total_cmp(&m[j][c].abs()))?;
        if m[p][c] == 0.0 || !m[p][c].is_finite() {
            return None;
        }
        m.swap(c, p);
        let d = m[c][c];
        m[c].iter_mut().for_each(|v| *v /= d);
        for r in 0..n {
            if r != c {
                let f = m[r][c];
                if f != 0.0 {
                    let pivot = m[c].clone();
                    m[r].iter_mut().zip(&pivot).for_each(|(v, p)| *v -= f * p);
                }
            }
        }
    }
    Some(m.into_iter().map(|r| r[n..].to_vec()).collect())
}

/// Warnings for node voltages above [`V_ABSURD`] and branch currents above
/// [`I_ABSURD`] (at most a few, the largest first), naming the devices on
/// the node.
pub fn absurd_values(sys: &System, x: &[f64]) -> Vec<String> {
    let mut bad: Vec<(f64, usize)> = (1..=sys.n)
        .filter_map(|i| {
            let lim = match sys.unknowns[i].kind {
                UnknownKind::Voltage => V_ABSURD,
                UnknownKind::Current => I_ABSURD,
                UnknownKind::State => return None,
            };
            let r = x[i].abs() / lim;
            (r > 1.0 || !x[i].is_finite()).then_some((r, i))
        })
        .collect();
    bad.sort_by(|a, b| b.0.total_cmp(&a.0));
    bad.iter()
        .take(3)
        .map(|&(_, i)| {
            let (unit, lim) = match sys.unknowns[i].kind {
                UnknownKind::Voltage => ("V", V_ABSURD),
                _ => ("A", I_ABSURD),
            };
            format!(
                "physically absurd operating point: {} = {:e} {unit} (beyond ±{lim:e} {unit}{}); \
                 the circuit has no DC solution a real device could hold (e.g. a current \
                 forced into a reverse junction, held only by gmin, or a voltage source \
                 across a forward junction)",
                sys.unknown_label(i),
                x[i],
                devices_on(sys, i)
            )
        })
        .collect()
}

/// Where unknown `i` is, for messages: "; node of d1, r2" for a circuit
/// node (the devices with a terminal pair on it), "; through v1, at d1" for
/// a branch current (its device and the devices on its terminals), "" when
/// nothing is found.
pub fn devices_on(sys: &System, i: usize) -> String {
    let at = |nodes: &[usize], skip: Option<usize>| -> Vec<&str> {
        sys.devices
            .iter()
            .enumerate()
            .filter(|(k, d)| {
                Some(*k) != skip
                    && d.dc_pairs()
                        .iter()
                        .chain(d.voltage_pair().iter())
                        .any(|&(a, b)| nodes.iter().any(|&n| n != 0 && (a == n || b == n)))
            })
            .map(|(_, d)| d.name())
            .collect()
    };
    let u = &sys.unknowns[i];
    match (u.kind, u.owner) {
        (UnknownKind::Voltage, None) => {
            let names = at(&[i], None);
            if names.is_empty() {
                String::new()
            } else {
                format!("; node of {}", names.join(", "))
            }
        }
        (_, Some(d)) => {
            let dev = &sys.devices[d];
            let others = dev
                .voltage_pair()
                .map(|(a, b)| at(&[a, b], Some(d)))
                .unwrap_or_default();
            if others.is_empty() {
                format!("; device {}", dev.name())
            } else {
                format!("; through {}, at {}", dev.name(), others.join(", "))
            }
        }
        _ => String::new(),
    }
}
