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

use super::newton::{Newton, NewtonError, Terms};
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
            let unstable = unstable_states(sys, ws, nt, x, mode);
            if unstable.is_empty() {
                rep
            } else {
                // an unstable equilibrium: relax the states from the guess
                let found = x.to_vec();
                x.copy_from_slice(&guess);
                cx.init_junctions = true;
                match pseudo_transient(sys, ws, nt, x, &mut cx, force) {
                    Ok(it) if unstable_states(sys, ws, nt, x, mode).is_empty() => OpReport {
                        method: OpMethod::PseudoTransient,
                        iterations: rep.iterations + it,
                    },
                    _ => {
                        x.copy_from_slice(&found);
                        sys.notes.extend(unstable);
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
            let it = pseudo_transient(sys, ws, nt, x, &mut cx, force).map_err(|_| e)?;
            let unstable = unstable_states(sys, ws, nt, x, mode);
            sys.notes.extend(unstable);
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
/// magnetization relaxes into the well it starts in), so it ends at a
/// stable equilibrium where plain Newton may find any root. Returns the
/// Newton iterations spent.
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
    for _ in 0..400 {
        cx.first_iter = true;
        let t = Terms {
            relax: Some((1.0 / dtau, &prev)),
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

/// The device states (`Device::dc_dynamics`) that sit on an unstable
/// equilibrium at the DC solution `x`: one message per device. The DC
/// Jacobian is factored at `x` and reduced to the device's states with the
/// rest of the circuit at DC: Y = (J⁻¹)_ss from one solve per state, S =
/// Y⁻¹ (the Schur complement of the circuit), and the dynamics in the free
/// directions B is −BᵀSB (1×1 or 2×2; stable when trace < 0 and det > 0).
/// Other devices' states are taken at their equilibrium (adiabatic), exact
/// for one device in a resistive circuit.
pub fn unstable_states(
    sys: &mut System,
    ws: &mut Workspace,
    nt: &mut Newton,
    x: &[f64],
    mode: Mode,
) -> Vec<String> {
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
    let n = sys.n;
    let mut out = Vec::new();
    let mut rhs = vec![0.0; n];
    for (k, dd) in dyns {
        let ns = dd.states.len();
        // Y = (J⁻¹)_ss, column by column
        let mut y = vec![vec![0.0; ns]; ns];
        for j in 0..ns {
            rhs.iter_mut().for_each(|v| *v = 0.0);
            rhs[dd.states[j] - 1] = 1.0;
            if nt.lu.solve(&mut rhs).is_err() {
                return out;
            }
            for i in 0..ns {
                y[i][j] = rhs[dd.states[i] - 1];
            }
        }
        let Some(s) = invert(&y) else { continue };
        // A = −BᵀSB on the free directions
        let d = dd.basis.len();
        let mut a = [[0.0f64; 2]; 2];
        for p in 0..d.min(2) {
            for q in 0..d.min(2) {
                let mut v = 0.0;
                for i in 0..ns {
                    for j in 0..ns {
                        v += dd.basis[p][i] * s[i][j] * dd.basis[q][j];
                    }
                }
                a[p][q] = -v;
            }
        }
        let (tr, det) = if d == 1 {
            (a[0][0], 1.0)
        } else {
            (a[0][0] + a[1][1], a[0][0] * a[1][1] - a[0][1] * a[1][0])
        };
        if !(tr < 0.0 && det > 0.0) {
            // the growth rate: the largest real part of the eigenvalues
            let disc = tr * tr - 4.0 * det;
            let rate = if d == 1 {
                tr
            } else if disc >= 0.0 {
                0.5 * (tr + disc.sqrt())
            } else {
                0.5 * tr
            };
            out.push(format!(
                "the operating point of '{}' is an unstable equilibrium of its state \
                 (growth rate {rate:.3e} 1/s): the DC bias is beyond switching or an \
                 auto-oscillation threshold, or the initial state sits on an unstable \
                 equilibrium; a transient from it will leave it",
                sys.devices[k].name()
            ));
        }
    }
    out
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
