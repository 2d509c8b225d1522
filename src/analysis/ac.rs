//! Small-signal AC analysis: linearize every device at the operating point
//! (G = ∂F/∂x, C = ∂Q/∂x) and solve (G + jωC)·X = B for each frequency with
//! the complex KLU (same pattern as the transient matrix).

use super::newton::{Newton, NewtonError};
use super::op::{dc_ctx, operating_point, OpReport};
use crate::netlist::ast::AcScale;
use crate::solver::{Klu, LuError};
use crate::system::{Mode, System};
use num_complex::Complex64;

/// `.ac dec|oct|lin n fstart fstop` evaluated.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AcSpec {
    pub scale: AcScale,
    pub points: usize,
    pub fstart: f64,
    pub fstop: f64,
}

impl AcSpec {
    /// How many frequencies [`AcSpec::frequencies`] gives (within one),
    /// computed without building them (to check the size first).
    pub fn count(&self) -> f64 {
        let n = self.points.max(1) as f64;
        match self.scale {
            AcScale::Lin => n,
            AcScale::Dec => n * (self.fstop / self.fstart).log10().max(0.0) + 1.0,
            AcScale::Oct => n * (self.fstop / self.fstart).log2().max(0.0) + 1.0,
        }
    }

    /// The frequency list (SPICE rules: dec/oct = points per decade/octave
    /// from fstart up to fstop inclusive within rounding; lin = total points).
    pub fn frequencies(&self) -> Vec<f64> {
        let mut v = Vec::new();
        match self.scale {
            AcScale::Lin => {
                let n = self.points.max(1);
                for k in 0..n {
                    let f = if n == 1 {
                        self.fstart
                    } else {
                        self.fstart + (self.fstop - self.fstart) * k as f64 / (n - 1) as f64
                    };
                    v.push(f);
                }
            }
            AcScale::Dec | AcScale::Oct => {
                let base: f64 = if self.scale == AcScale::Dec {
                    10.0
                } else {
                    2.0
                };
                let ratio = base.powf(1.0 / self.points.max(1) as f64);
                let mut k = 0i32;
                loop {
                    let f = self.fstart * ratio.powi(k);
                    if f > self.fstop * (1.0 + 1e-9) {
                        break;
                    }
                    v.push(f);
                    k += 1;
                }
            }
        }
        v
    }
}

#[derive(Debug)]
pub enum AcError {
    Op(NewtonError),
    Singular { freq: f64, unknown: Option<usize> },
    Output(std::io::Error),
}

/// Run the AC analysis; `out(freq, x)` receives the complex solution (index 0 = ground).
pub fn ac(
    sys: &mut System,
    spec: &AcSpec,
    out: &mut dyn FnMut(f64, &[Complex64]) -> std::io::Result<()>,
) -> Result<OpReport, AcError> {
    let n1 = sys.n + 1;
    let mut ws = sys.workspace();
    let mut nt =
        Newton::new(sys).map_err(|_| AcError::Op(NewtonError::Singular { unknown: None }))?;
    let mut x = vec![0.0; n1];
    for d in &sys.devices {
        d.init_unknowns(&mut x);
    }
    let rep =
        operating_point(sys, &mut ws, &mut nt, &mut x, Mode::Dc, &[], &[]).map_err(AcError::Op)?;
    // Linearization at the operating point (ws holds the last load at x).
    let cx = dc_ctx(sys, Mode::Dc);
    sys.sources(&cx, &mut ws);
    sys.load(&cx, &x, &mut ws, None, true, false);
    let nnz = sys.nnz();
    let mut lu = Klu::<Complex64>::new(sys.pattern.clone()).map_err(|_| AcError::Singular {
        freq: 0.0,
        unknown: None,
    })?;
    let mut y = vec![Complex64::default(); nnz];
    let mut b = vec![Complex64::default(); n1];
    for &k in &sys.sources_idx {
        sys.devices[k].stamp_ac(&mut b);
    }
    let mut rhs = vec![Complex64::default(); sys.n];
    let mut sol = vec![Complex64::default(); n1];
    for f in spec.frequencies() {
        let w = 2.0 * std::f64::consts::PI * f;
        for ((yk, &g), &c) in y.iter_mut().zip(&ws.g[..nnz]).zip(&ws.c[..nnz]) {
            *yk = Complex64::new(g, w * c);
        }
        lu.factor(&mut y).map_err(|e| AcError::Singular {
            freq: f,
            unknown: match e {
                LuError::Singular { col } => col.map(|c| c + 1),
                LuError::Failed(_) => None,
            },
        })?;
        rhs.copy_from_slice(&b[1..]);
        lu.solve(&mut rhs).map_err(|_| AcError::Singular {
            freq: f,
            unknown: None,
        })?;
        sol[1..].copy_from_slice(&rhs);
        out(f, &sol).map_err(AcError::Output)?;
    }
    Ok(rep)
}
