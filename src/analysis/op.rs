//! DC operating point: plain Newton, then gmin stepping, then source stepping
//! (the SPICE3/ngspice continuation order). The method that worked is reported.

use super::newton::{Newton, NewtonError, Terms};
use crate::system::{LoadCtx, Mode, System, Workspace};

/// How the operating point was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpMethod {
    Newton,
    GminStepping,
    SourceStepping,
}

impl OpMethod {
    pub fn describe(self) -> &'static str {
        match self {
            OpMethod::Newton => "Newton",
            OpMethod::GminStepping => "gmin stepping",
            OpMethod::SourceStepping => "source stepping",
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
    }
}

/// Find the operating point starting from the guess in `x`.
/// `force` holds `.ic` node values (kept through the solve); `nodeset` values
/// only seed a first solve and are then released.
pub fn operating_point(
    sys: &mut System,
    ws: &mut Workspace,
    nt: &mut Newton,
    x: &mut [f64],
    mode: Mode,
    force: &[(usize, f64)],
    nodeset: &[(usize, f64)],
) -> Result<OpReport, NewtonError> {
    let itl = sys.opts.itl1;
    let mut cx = dc_ctx(sys, mode);
    cx.init_junctions = true;
    let guess: Vec<f64> = x.to_vec();
    let mut total = 0usize;

    // 0. nodeset: solve with the nodeset nodes held, then release.
    if !nodeset.is_empty() {
        let mut held: Vec<(usize, f64)> = force.to_vec();
        held.extend_from_slice(nodeset);
        cx.first_iter = true;
        if let Ok(it) = nt.solve(sys, ws, x, &mut cx, terms(&held, 0.0), itl) {
            total += it;
            cx.init_junctions = false;
        } else {
            x.copy_from_slice(&guess);
        }
    }

    // 1. Plain Newton.
    cx.first_iter = true;
    if let Ok(it) = nt.solve(sys, ws, x, &mut cx, terms(force, 0.0), itl) {
        return Ok(OpReport {
            method: OpMethod::Newton,
            iterations: total + it,
        });
    }

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
        match nt.solve(sys, ws, x, &mut cx, terms(force, gshunt), itl) {
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
        if let Ok(it) = nt.solve(sys, ws, x, &mut cx, terms(force, 0.0), itl) {
            return Ok(OpReport {
                method: OpMethod::GminStepping,
                iterations: total + it,
            });
        }
    }

    // 3. Source stepping: ramp all independent sources from 0 to 1.
    x.copy_from_slice(&guess);
    x.iter_mut().for_each(|v| *v = 0.0);
    cx.init_junctions = true;
    let mut scale = 0.0f64;
    let mut step = 1.0 / sys.opts.srcsteps.max(1) as f64;
    let mut last_good: Vec<f64> = x.to_vec();
    let mut first = true;
    while scale < 1.0 || first {
        let target = if first { 0.0 } else { (scale + step).min(1.0) };
        cx.src_scale = target;
        cx.first_iter = true;
        match nt.solve(sys, ws, x, &mut cx, terms(force, 0.0), itl) {
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
                    return Err(e);
                }
            }
        }
    }
    Ok(OpReport {
        method: OpMethod::SourceStepping,
        iterations: total,
    })
}
