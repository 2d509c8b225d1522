//! DC sweep (`.dc src start stop step [src2 start2 stop2 step2]`): the first
//! source is the inner sweep. Each point starts Newton from the previous
//! solution (continuation) and falls back to the full operating-point
//! procedure (gmin, source stepping) if that fails. A point where a device
//! state ends on an unstable equilibrium (a magnetization past its
//! switching current, which continuation follows as readily as the stable
//! branch) is relaxed in pseudo time from the previous point's state, so a
//! sweep through switching switches (hysteresis); where no stable state
//! exists the point is kept and a warning says so.

use super::newton::{Newton, NewtonError, Terms};
use super::op::{dc_ctx, operating_point, relax_to_stable, unstable_states};
use crate::system::{Mode, System};

/// One swept variable: device index and its values.
#[derive(Debug, Clone)]
pub struct DcVar {
    pub device: usize,
    pub values: Vec<f64>,
}

/// SPICE sweep values start, start+step, … up to stop (inclusive within
/// rounding); a negative step sweeps downward.
pub fn sweep_values(start: f64, stop: f64, step: f64) -> Vec<f64> {
    let mut v = Vec::new();
    if step == 0.0 || !step.is_finite() {
        v.push(start);
        return v;
    }
    let n = ((stop - start) / step + 1e-9).floor();
    if n < 0.0 {
        v.push(start);
        return v;
    }
    for k in 0..=(n as usize) {
        v.push(start + step * k as f64);
    }
    v
}

/// Receives each sweep point: system, swept values (inner first), solution.
pub type DcOutputFn<'a> = dyn FnMut(&System, &[f64], &[f64]) -> std::io::Result<()> + 'a;

#[derive(Debug)]
pub enum DcError {
    NoConvergence { values: Vec<f64>, err: NewtonError },
    NotSweepable(usize),
    Output(std::io::Error),
}

/// Run the sweep; `out(values, x)` gets the swept values (inner first) and the solution.
/// The swept devices get their netlist values back afterwards (also after
/// a failure), so a later `.op`/`.tran` sees the circuit as written.
pub fn dc_sweep(sys: &mut System, vars: &[DcVar], out: &mut DcOutputFn) -> Result<(), DcError> {
    let saved: Vec<Option<f64>> = vars
        .iter()
        .map(|v| sys.devices[v.device].sweep_saved())
        .collect();
    let r = sweep(sys, vars, out);
    for (v, s) in vars.iter().zip(saved) {
        sys.devices[v.device].sweep_restore(s);
    }
    sys.restamp_linear();
    r
}

fn sweep(sys: &mut System, vars: &[DcVar], out: &mut DcOutputFn) -> Result<(), DcError> {
    let n1 = sys.n + 1;
    let mut ws = sys.workspace();
    let mut nt = Newton::new(sys).map_err(|_| DcError::NoConvergence {
        values: vec![],
        err: NewtonError::Singular { unknown: None },
    })?;
    let mut x = vec![0.0; n1];
    for d in &sys.devices {
        d.init_unknowns(&mut x);
    }
    let outer: Vec<f64> = vars
        .get(1)
        .map(|v| v.values.clone())
        .unwrap_or_else(|| vec![f64::NAN]);
    let inner = &vars[0];
    let mut have_solution = false;
    let mut vals = vec![0.0; vars.len()];
    let mut cx = dc_ctx(sys, Mode::Dc);
    let mut prev = x.clone();
    // the first point with a device on an unstable equilibrium (warned once)
    let mut unstable_at: Option<(Vec<f64>, Vec<String>)> = None;
    // the last relaxation found no stable state: the following points on
    // the same unstable branch are not relaxed again (an auto-oscillating
    // range would cost a full escape per point)
    let mut gave_up = false;
    for &vo in &outer {
        if let Some(v2) = vars.get(1) {
            if !sys.devices[v2.device].set_sweep_value(vo) {
                return Err(DcError::NotSweepable(v2.device));
            }
            vals[1] = vo;
        }
        for &vi in &inner.values {
            if !sys.devices[inner.device].set_sweep_value(vi) {
                return Err(DcError::NotSweepable(inner.device));
            }
            vals[0] = vi;
            sys.restamp_linear();
            let mut ok = false;
            prev.copy_from_slice(&x);
            if have_solution {
                cx.first_iter = true;
                let itl = sys.opts.itl2;
                ok = nt
                    .solve(sys, &mut ws, &mut x, &mut cx, Terms::DC, itl)
                    .is_ok();
                let unstable =
                    ok && !unstable_states(sys, &mut ws, &mut nt, &x, Mode::Dc).is_empty();
                if !unstable {
                    gave_up = false;
                } else if !gave_up {
                    // past switching: relax from the previous point's state
                    let found = x.clone();
                    x.copy_from_slice(&prev);
                    match relax_to_stable(sys, &mut ws, &mut nt, &mut x, &mut cx, &[]) {
                        Ok((_, still)) if still.is_empty() => {}
                        Ok((_, still)) => {
                            x.copy_from_slice(&found);
                            gave_up = true;
                            unstable_at.get_or_insert((vals.clone(), still));
                        }
                        Err(_) => {
                            x.copy_from_slice(&found);
                            gave_up = true;
                            let un = unstable_states(sys, &mut ws, &mut nt, &x, Mode::Dc);
                            let msgs = un.into_iter().map(|u| u.message).collect();
                            unstable_at.get_or_insert((vals.clone(), msgs));
                        }
                    }
                }
            }
            if !ok {
                operating_point(sys, &mut ws, &mut nt, &mut x, Mode::Dc, &[], &[]).map_err(
                    |err| DcError::NoConvergence {
                        values: vals.clone(),
                        err,
                    },
                )?;
            }
            have_solution = true;
            out(sys, &vals, &x).map_err(DcError::Output)?;
        }
    }
    if let Some((v, notes)) = unstable_at {
        let at = v
            .iter()
            .map(|v| format!("{v:.6e}"))
            .collect::<Vec<_>>()
            .join(", ");
        for n in notes {
            sys.notes.push(format!("from sweep value {at} on: {n}"));
        }
    }
    Ok(())
}
