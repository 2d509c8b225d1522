//! Newton's method on the harmonic-balance equations R(X) = 0, with the
//! frequencies of autonomous fundamentals as extra unknowns fixed by phase
//! conditions (Kundert, White & Sangiovanni-Vincentelli, *Steady-State
//! Methods for Simulating Analog and Microwave Circuits*, 1990, §7.3).
//!
//! Each iteration solves J·Δ = −R with the exact Jacobian: assembled and
//! factored with KLU ([`Direct`]) for small systems, or matrix-free
//! GMRES with the block-diagonal preconditioner ([`BlockDiag`]) otherwise,
//! to a relative accuracy that leaves the linearised residual a tenth of
//! the tolerance (inexact Newton, Dembo, Eisenstat & Steihaug 1982). Steps
//! are damped by Deuflhard's natural monotonicity test with a watchdog step
//! ([`Solver::newton`]). Convergence (SPICE's rule per unknown and harmonic):
//! the last correction within rtol·max_h|X_uh| + atol and the residual of
//! every row within rtol·(its largest term) + abstol/vntol.

use super::direct::{from_real, to_real, Border, Direct};
use super::linear::{gmres, BlockDiag, GmresWork, Operator};
use super::problem::{fast_norm, EvalError, Problem};
use crate::solver::LuError;
use num_complex::Complex64;

/// How the Newton step is solved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Direct,
    Krylov,
}

/// An autonomous fundamental: its phase is fixed by Im X_{harmonic,probe} = 0.
#[derive(Debug, Clone, Copy)]
pub struct Auto {
    pub fund: usize,
    /// Probe unknown (0-based) and the harmonic of the fundamental.
    pub probe: usize,
    pub harmonic: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub enum SolveError {
    Eval(EvalError),
    /// The Jacobian (or preconditioner at `harmonic`) is singular at this
    /// unknown (1-based) when known.
    Singular {
        harmonic: Option<usize>,
        unknown: Option<usize>,
    },
    /// No convergence; the unknown (1-based) and harmonic farthest from
    /// tolerance.
    NoConvergence {
        unknown: usize,
        harmonic: usize,
        iterations: usize,
    },
}

/// Work counters.
#[derive(Debug, Clone, Copy, Default)]
pub struct Stats {
    pub newton: usize,
    pub residuals: usize,
    pub krylov: usize,
    pub factorizations: usize,
}

impl Stats {
    /// Add another solve's counters.
    pub fn add(&mut self, o: &Stats) {
        self.newton += o.newton;
        self.residuals += o.residuals;
        self.krylov += o.krylov;
        self.factorizations += o.factorizations;
    }
}

pub struct Solver {
    pub method: Method,
    direct: Option<Direct>,
    pre: Option<BlockDiag>,
    gw: Option<GmresWork>,
    borders: Vec<Border>,
    pub stats: Stats,
    /// Scratch: residual and trial point, correction, weights.
    r: Vec<Complex64>,
    rt: Vec<Complex64>,
    xt: Vec<Complex64>,
    dx: Vec<Complex64>,
    dnu: Vec<f64>,
    /// The full Newton correction while damped steps are tried.
    dx0: Vec<Complex64>,
    dnu0: Vec<f64>,
    wr: Vec<f64>,
    wx: Vec<f64>,
    /// Damping-test weights and the unknowns' largest harmonic magnitude.
    wm: Vec<f64>,
    xref: Vec<f64>,
    real: Vec<f64>,
    rhs: Vec<Complex64>,
    g_avg: Vec<f64>,
    c_avg: Vec<f64>,
    /// Krylov: ∂R/∂ω of the autonomous fundamentals, their preconditioned
    /// images and the Schur complement of the phase conditions.
    dcols: Vec<Complex64>,
    zcols: Vec<Complex64>,
    schur: Vec<f64>,
    /// Krylov: the weighted right-hand side and solution, and the complex
    /// scratch of the operator (kept: they are the size of the spectrum).
    kb: Vec<f64>,
    ksol: Vec<f64>,
    kcv: Vec<Complex64>,
    kco: Vec<Complex64>,
    /// Whether the preconditioner in use was factored at an earlier point
    /// (lagged), and the GMRES iterations of the last solve with fresh
    /// factors.
    lagged: bool,
    fresh_iters: usize,
}

/// A vector of `len` zeros in `v`'s allocation.
fn zeroed<T: Clone + Default>(mut v: Vec<T>, len: usize) -> Vec<T> {
    v.clear();
    v.resize(len, T::default());
    v
}

impl Solver {
    pub fn new(p: &Problem, auto: &[Auto], method: Method) -> Result<Solver, SolveError> {
        Solver::reuse(None, p, auto, method)
    }

    /// A solver for `p`, in the buffers of `prev` (a solver of an earlier
    /// point of the same worker) when there is one: its preconditioner's
    /// symbolic analysis and factors are kept when the pattern and the
    /// number of harmonics match (the factors are then refreshed only if
    /// the averaged Jacobian moved, [`BlockDiag::factor_if_changed`]).
    pub fn reuse(
        prev: Option<Solver>,
        p: &Problem,
        auto: &[Auto],
        method: Method,
    ) -> Result<Solver, SolveError> {
        let (n, nh) = (p.n, p.nh);
        let borders: Vec<Border> = auto
            .iter()
            .map(|a| Border {
                fund: a.fund,
                probe: a.probe,
                harmonic: a.harmonic,
                w0: p.w[a.fund],
            })
            .collect();
        let sing = |_| SolveError::Singular {
            harmonic: None,
            unknown: None,
        };
        let len = 2 * nh * n + auto.len();
        let prev = prev.filter(|s| s.method == method);
        let (old_pre, old_gw, bufs) = match prev {
            Some(s) => (
                s.pre,
                s.gw,
                Some((s.r, s.rt, s.xt, s.dx, s.dx0, s.kb, s.ksol, s.kcv, s.kco)),
            ),
            None => (None, None, None),
        };
        let (direct, pre, gw) = match method {
            Method::Direct => (Some(Direct::new(p, &borders).map_err(sing)?), None, None),
            Method::Krylov => {
                let pre = match old_pre {
                    Some(b) if b.fits(&p.sys.pattern, nh) => b,
                    _ => BlockDiag::new(&p.sys.pattern, nh).map_err(sing)?,
                };
                let gw = match old_gw {
                    Some(g) if g.fits(len) => g,
                    _ => GmresWork::new(len, 40),
                };
                (None, Some(pre), Some(gw))
            }
        };
        let (r, rt, xt, dx, dx0, kb, ksol, kcv, kco) = bufs.unwrap_or_default();
        let nn = nh * n;
        let nnz1 = p.sys.nnz() + 1;
        let krylov = method == Method::Krylov;
        Ok(Solver {
            method,
            direct,
            pre,
            gw,
            borders,
            stats: Stats::default(),
            r: zeroed(r, nn),
            rt: zeroed(rt, nn),
            xt: zeroed(xt, nn),
            dx0: zeroed(dx0, nn),
            dnu0: vec![0.0; auto.len()],
            dx: zeroed(dx, nn),
            dnu: vec![0.0; auto.len()],
            wr: vec![0.0; n],
            wx: vec![0.0; n],
            wm: vec![0.0; n],
            xref: vec![0.0; n],
            real: if krylov {
                Vec::new()
            } else {
                vec![0.0; (2 * nh - 1) * n + auto.len()]
            },
            rhs: Vec::with_capacity(nn),
            dcols: Vec::new(),
            zcols: Vec::new(),
            schur: Vec::new(),
            g_avg: vec![0.0; nnz1],
            c_avg: vec![0.0; nnz1],
            kb: zeroed(kb, if krylov { len } else { 0 }),
            ksol: zeroed(ksol, if krylov { len } else { 0 }),
            kcv: zeroed(kcv, if krylov { nn } else { 0 }),
            kco: zeroed(kco, if krylov { nn } else { 0 }),
            lagged: false,
            fresh_iters: 0,
        })
    }

    /// Weights 1/tolerance of the rows (from the last residual's scales)
    /// and of the unknowns (from `x`).
    ///
    /// Also the weights of the damping test, relative to the largest
    /// signal of the same unit in the circuit (Spectre's `relref=allglobal`)
    /// rather than to the unknown itself: a quiet node (0 A at the start,
    /// 1e-7 A at the solution) would otherwise dominate the test with
    /// corrections that are far below anything that matters.
    fn weights(&mut self, p: &Problem, x: &[Complex64]) {
        let n = p.n;
        let mut by_unit: Vec<(&str, f64)> = Vec::new();
        self.xref.fill(0.0);
        for xh in x.chunks_exact(n) {
            for (m, v) in self.xref.iter_mut().zip(xh) {
                *m = m.max(fast_norm(*v));
            }
        }
        let wmax = p.omega.iter().fold(0.0f64, |a, w| a.max(w.abs()));
        for u in 0..n {
            let k = u + 1;
            let rt = p.sys.rtol[k];
            self.wr[u] = 1.0 / (rt * p.rscale[u] + p.row_atol(k, wmax)).max(1e-30);
            let xref = self.xref[u];
            self.wx[u] = 1.0 / (rt * xref + p.sys.atol[k]).max(1e-30);
            let unit = p.sys.unknowns[k].unit.as_str();
            match by_unit.iter_mut().find(|e| e.0 == unit) {
                Some(e) => e.1 = e.1.max(xref),
                None => by_unit.push((unit, xref)),
            }
        }
        for u in 0..n {
            let k = u + 1;
            let unit = p.sys.unknowns[k].unit.as_str();
            let global = by_unit.iter().find(|e| e.0 == unit).map_or(0.0, |e| e.1);
            self.wm[u] =
                1.0 / (p.sys.rtol[k] * global.max(self.xref[u]) + p.sys.atol[k]).max(1e-30);
        }
    }

    /// Weighted max norm of the correction (dx, dnu) at the weights of the
    /// last [`Solver::weights`], and where it is largest (unknown 0-based,
    /// harmonic). Frequencies: relative tolerance 1e-3·reltol.
    fn update_norm(&self, p: &Problem, damping: bool) -> (f64, usize, usize) {
        let n = p.n;
        let w = if damping { &self.wm } else { &self.wx };
        // squared magnitudes: one square root at the end
        let mut worst = (0.0, 0, 0);
        for (h, dh) in self.dx.chunks_exact(n).enumerate() {
            for (u, (d, wu)) in dh.iter().zip(w).enumerate() {
                let v = (d.re * d.re + d.im * d.im) * (wu * wu);
                if v > worst.0 || v.is_nan() {
                    worst = (v, u, h);
                }
            }
        }
        worst.0 = worst.0.sqrt();
        let wnu = 1.0 / (1e-3 * p.sys.opts.reltol);
        for (b, &dn) in self.borders.iter().zip(&self.dnu) {
            let v = dn.abs() * wnu;
            if v > worst.0 || v.is_nan() {
                worst = (v, b.probe, b.harmonic);
            }
        }
        worst
    }

    /// The weighted norm of the Newton correction at `x` (None when the
    /// equations or the step cannot be evaluated there).
    pub fn correction_norm(&mut self, p: &mut Problem, x: &[Complex64]) -> Option<f64> {
        let mut r = std::mem::take(&mut self.r);
        let ok = p.residual(x, &mut r).is_ok();
        self.weights(p, x);
        let ok = ok && self.step(p, x, &r).is_ok();
        self.r = r;
        ok.then(|| self.update_norm(p, true).0)
    }

    /// Newton from `x` (updated in place; autonomous frequencies in `p.w`).
    /// Returns the number of iterations.
    ///
    /// Damping by the natural monotonicity test (Deuflhard, *Newton Methods
    /// for Nonlinear Problems*, 2004, §3.3): a step x + αΔ is taken when the
    /// Newton correction at the new point is smaller than (1 − α/4) of Δ in
    /// the damping norm ([`Solver::weights`]), else α is halved; the test is
    /// invariant under the scaling of the equations, which range from
    /// amperes to the rates of magnetization. When the full step fails the
    /// test, the next full step is tried first (a watchdog step): a device
    /// crossing a kink (a clamp) moves the next correction into unknowns the
    /// last one did not touch, and Newton recovers in one more step. The
    /// solve stops when the correction is within tolerance (weighted norm
    /// ≤ 1) and takes it.
    pub fn newton(
        &mut self,
        p: &mut Problem,
        x: &mut [Complex64],
        max_iter: usize,
    ) -> Result<usize, SolveError> {
        let mut r = std::mem::take(&mut self.r);
        let res = self.newton_loop(p, x, &mut r, max_iter);
        self.r = r;
        res
    }

    fn newton_loop(
        &mut self,
        p: &mut Problem,
        x: &mut [Complex64],
        r: &mut Vec<Complex64>,
        max_iter: usize,
    ) -> Result<usize, SolveError> {
        let debug = std::env::var_os("SPINSPICE_HB_DEBUG").is_some();
        p.residual(x, r).map_err(SolveError::Eval)?;
        self.stats.residuals += 1;
        if std::env::var_os("SPINSPICE_HB_CHECKJ").is_some() {
            check_jacobian(p, x, r);
        }
        self.weights(p, x);
        self.step(p, x, r)?;
        for it in 0..max_iter.max(1) {
            let (dn, wu, wh) = self.update_norm(p, false);
            let dm = self.update_norm(p, true).0;
            if debug {
                eprintln!(
                    "hb newton {it}: |dx|w = {dn:.3e} at {} harmonic {wh} (damping norm {dm:.3e}), lambda {}",
                    p.sys.unknown_label(wu + 1),
                    p.lambda
                );
            }
            let w0: Vec<f64> = p.w.clone();
            if dn <= 1.0 {
                self.advance(p, x, 1.0, &w0);
                return Ok(it + 1);
            }
            self.stats.newton += 1;
            self.dx0.copy_from_slice(&self.dx);
            self.dnu0.copy_from_slice(&self.dnu);
            let mut alpha = 1.0;
            loop {
                self.xt.copy_from_slice(x);
                self.dx.copy_from_slice(&self.dx0);
                self.dnu.copy_from_slice(&self.dnu0);
                let mut xt = std::mem::take(&mut self.xt);
                self.advance(p, &mut xt, alpha, &w0);
                let (ok, dt, dtm) = self.trial(p, &xt);
                let mut accepted = ok && (dt <= 1.0 || dtm <= (1.0 - 0.25 * alpha) * dm);
                if !accepted && ok && alpha == 1.0 {
                    // watchdog: the next full step, judged against the base
                    let wt: Vec<f64> = p.w.clone();
                    self.advance(p, &mut xt, 1.0, &wt);
                    let (ok2, d2, d2m) = self.trial(p, &xt);
                    accepted = ok2 && (d2 <= 1.0 || d2m <= 0.75 * dm);
                    if debug {
                        eprintln!("  watchdog: damping norm {d2m:.3e} vs {dm:.3e} ({accepted})");
                    }
                }
                if debug {
                    eprintln!("  alpha {alpha}: damping norm {dtm:.3e} vs {dm:.3e} (ok {ok}, accepted {accepted})");
                }
                self.xt = xt;
                if accepted {
                    break;
                }
                alpha *= 0.5;
                if alpha < 1.0 / 1024.0 {
                    for b in self.borders.iter_mut() {
                        b.w0 = w0[b.fund];
                    }
                    p.w.copy_from_slice(&w0);
                    p.set_frequencies();
                    return Err(SolveError::NoConvergence {
                        unknown: wu + 1,
                        harmonic: wh,
                        iterations: it + 1,
                    });
                }
            }
            x.copy_from_slice(&self.xt);
            std::mem::swap(r, &mut self.rt);
            // re-weigh at the new point (its correction is in self.dx)
            self.weights(p, x);
        }
        let (_, wu, wh) = self.update_norm(p, false);
        Err(SolveError::NoConvergence {
            unknown: wu + 1,
            harmonic: wh,
            iterations: max_iter,
        })
    }

    /// x += α·dx and the autonomous frequencies ω = w0·(1 + α·dnu).
    fn advance(&mut self, p: &mut Problem, x: &mut [Complex64], alpha: f64, w0: &[f64]) {
        for (xk, d) in x.iter_mut().zip(&self.dx) {
            *xk += alpha * d;
        }
        for (b, &d) in self.borders.iter_mut().zip(&self.dnu) {
            p.w[b.fund] = w0[b.fund] * (1.0 + alpha * d);
            b.w0 = p.w[b.fund];
        }
        p.set_frequencies();
    }

    /// Residual (into `rt`) and Newton correction (into `dx`) at the trial
    /// point `xt`: (evaluated, convergence norm, damping norm), both norms
    /// at the weights of the base point.
    fn trial(&mut self, p: &mut Problem, xt: &[Complex64]) -> (bool, f64, f64) {
        self.stats.residuals += 1;
        let mut rt = std::mem::take(&mut self.rt);
        let ok = p.residual(xt, &mut rt).is_ok() && self.step(p, xt, &rt).is_ok();
        self.rt = rt;
        (
            ok,
            self.update_norm(p, false).0,
            self.update_norm(p, true).0,
        )
    }

    /// The Newton correction (dx, dnu) for residual `r` at `x` (the samples
    /// of the last residual are at x).
    fn step(
        &mut self,
        p: &mut Problem,
        x: &[Complex64],
        r: &[Complex64],
    ) -> Result<(), SolveError> {
        self.prepare(p, x)?;
        let phase: Vec<f64> = self
            .borders
            .iter()
            .map(|b| -x[b.harmonic * p.n + b.probe].im)
            .collect();
        self.rhs.clear();
        self.rhs.extend(r.iter().map(|v| -v));
        let rhs = std::mem::take(&mut self.rhs);
        let res = self.solve(p, &rhs, &phase);
        self.rhs = rhs;
        res
    }

    /// Factor the Jacobian at `x` (direct) or the preconditioner and the
    /// autonomous borders (Krylov), for [`Solver::solve`].
    pub fn prepare(&mut self, p: &mut Problem, x: &[Complex64]) -> Result<(), SolveError> {
        let (n, nh) = (p.n, p.nh);
        if let Some(d) = self.direct.as_mut() {
            self.stats.factorizations += 1;
            return d
                .factor(p, x, &self.borders)
                .map_err(|e| singular(e, n, nh));
        }
        p.averaged_jacobian(&mut self.g_avg, &mut self.c_avg);
        let pre = self.pre.as_mut().expect("preconditioner");
        let fresh = pre
            .factor_if_changed(&self.g_avg, &self.c_avg, &p.omega)
            .map_err(pre_singular)?;
        self.lagged = !fresh;
        if fresh {
            self.stats.factorizations += 1;
        }
        // ∂R/∂ω columns (scaled by ω0)
        let na = self.borders.len();
        self.dcols = vec![Complex64::default(); na * nh * n];
        for (a, b) in self.borders.iter().enumerate() {
            let d = &mut self.dcols[a * nh * n..(a + 1) * nh * n];
            p.d_omega(x, b.fund, d);
            d.iter_mut().for_each(|v| *v *= b.w0);
        }
        self.border_images(n * nh);
        Ok(())
    }

    /// The preconditioned images of the ∂R/∂ω columns and the Schur
    /// complement S_ab = Im z_b at (h_a, probe_a) of the bordered solve.
    fn border_images(&mut self, nn: usize) {
        let n = self.wr.len();
        let na = self.borders.len();
        let pre = self.pre.as_mut().expect("preconditioner");
        self.zcols.clone_from(&self.dcols);
        for a in 0..na {
            pre.solve(&mut self.zcols[a * nn..(a + 1) * nn]);
        }
        self.schur = vec![0.0; na * na];
        for (a, ba) in self.borders.iter().enumerate() {
            for b in 0..na {
                self.schur[a * na + b] = self.zcols[b * nn + ba.harmonic * n + ba.probe].im;
            }
        }
    }

    /// Solve J·(dx, dnu) = (rhs, phase) with the last [`Solver::prepare`]
    /// (phase: the right-hand sides of the phase conditions).
    pub fn solve(
        &mut self,
        p: &mut Problem,
        rhs: &[Complex64],
        phase: &[f64],
    ) -> Result<(), SolveError> {
        let (n, nh) = (p.n, p.nh);
        let na = self.borders.len();
        if let Some(d) = self.direct.as_mut() {
            to_real(rhs, n, nh, &mut self.real);
            let m = n * (2 * nh - 1);
            self.real[m..m + na].copy_from_slice(phase);
            d.solve(&mut self.real).map_err(|e| singular(e, n, nh))?;
            from_real(&self.real, n, nh, &mut self.dx);
            self.dnu.copy_from_slice(&self.real[m..m + na]);
            return Ok(());
        }
        let nn = nh * n;
        self.kb.fill(0.0);
        for (h, rh) in rhs.chunks_exact(n).enumerate() {
            for (u, (v, w)) in rh.iter().zip(&self.wr).enumerate() {
                let k = h * n + u;
                self.kb[2 * k] = v.re * w;
                self.kb[2 * k + 1] = v.im * w;
            }
        }
        for (a, bd) in self.borders.iter().enumerate() {
            self.kb[2 * nn + a] = phase[a] * self.wx[bd.probe];
        }
        // relative 1e-6, and at most 1 % of the tolerance in the weighted
        // norm: a relative target alone leaves the rows with small weights
        // (the quiet nodes) inaccurate while the others are far from it
        let bnorm = self.kb.iter().map(|v| v * v).sum::<f64>().sqrt();
        let tol = (0.01 / bnorm.max(1e-300)).clamp(1e-13, 1e-6);
        let mut st = self.gmres(p, tol, self.lag_limit());
        if self.lagged && !st.converged {
            // the lagged factors no longer precondition well (GMRES stopped
            // at `lag_limit`): refactor at this point and solve again
            let pre = self.pre.as_mut().expect("preconditioner");
            pre.factor(&self.g_avg, &self.c_avg, &p.omega)
                .map_err(pre_singular)?;
            self.stats.factorizations += 1;
            self.lagged = false;
            self.border_images(nn);
            self.stats.krylov += st.iterations;
            st = self.gmres(p, tol, 400);
        }
        if !self.lagged {
            self.fresh_iters = st.iterations;
        }
        if std::env::var_os("SPINSPICE_HB_DEBUG").is_some() {
            eprintln!("  gmres: {st:?} (target {tol:.1e}, lagged {})", self.lagged);
        }
        self.stats.krylov += st.iterations;
        // a partially converged correction is still a direction; the
        // damping judges it
        for (k, d) in self.dx.iter_mut().enumerate() {
            *d = Complex64::new(self.ksol[2 * k], self.ksol[2 * k + 1]);
        }
        self.dnu.copy_from_slice(&self.ksol[2 * nn..]);
        Ok(())
    }

    /// GMRES iterations a lagged preconditioner may take before it is
    /// refactored: twice those of the last fresh one, and a few.
    fn lag_limit(&self) -> usize {
        if self.lagged {
            2 * self.fresh_iters + 4
        } else {
            400
        }
    }

    /// GMRES on the weighted bordered operator, from `kb` into `ksol`.
    fn gmres(&mut self, p: &mut Problem, tol: f64, max_iter: usize) -> super::linear::GmresStats {
        let mut op = KOp {
            p,
            pre: self.pre.as_mut().expect("preconditioner"),
            borders: &self.borders,
            wr: &self.wr,
            wx: &self.wx,
            dcols: &self.dcols,
            zcols: &self.zcols,
            schur: &self.schur,
            cv: std::mem::take(&mut self.kcv),
            co: std::mem::take(&mut self.kco),
        };
        let gw = self.gw.as_mut().expect("gmres work");
        let st = gmres(&mut op, &self.kb, &mut self.ksol, tol, max_iter, gw);
        self.kcv = op.cv;
        self.kco = op.co;
        st
    }

    /// The last correction computed.
    pub fn correction(&self) -> &[Complex64] {
        &self.dx
    }
}

/// A singular preconditioner block (harmonic, column).
fn pre_singular((h, c): (usize, Option<usize>)) -> SolveError {
    SolveError::Singular {
        harmonic: Some(h),
        unknown: c.map(|c| c + 1),
    }
}

fn singular(e: LuError, n: usize, nh: usize) -> SolveError {
    let np = 2 * nh - 1;
    match e {
        LuError::Singular { col: Some(c) } if c < n * np => SolveError::Singular {
            harmonic: Some((c % np).div_ceil(2)),
            unknown: Some(c / np + 1),
        },
        _ => SolveError::Singular {
            harmonic: None,
            unknown: None,
        },
    }
}

/// The weighted bordered operator of the Krylov step:
/// [W·J, W·D; W_φ·E, 0] with its bordered block-diagonal preconditioner.
struct KOp<'a, 'p> {
    p: &'a mut Problem<'p>,
    pre: &'a mut BlockDiag,
    borders: &'a [Border],
    wr: &'a [f64],
    wx: &'a [f64],
    dcols: &'a [Complex64],
    zcols: &'a [Complex64],
    schur: &'a [f64],
    cv: Vec<Complex64>,
    co: Vec<Complex64>,
}

impl Operator for KOp<'_, '_> {
    fn dim(&self) -> usize {
        2 * self.cv.len() + self.borders.len()
    }

    fn apply(&mut self, v: &[f64], out: &mut [f64]) {
        let (nn, n) = (self.cv.len(), self.p.n);
        for k in 0..nn {
            self.cv[k] = Complex64::new(v[2 * k], v[2 * k + 1]);
        }
        for c in self.cv[..n].iter_mut() {
            c.im = 0.0;
        }
        self.p.jv(&self.cv, &mut self.co);
        for (a, _) in self.borders.iter().enumerate() {
            let nu = v[2 * nn + a];
            for (o, d) in self.co.iter_mut().zip(&self.dcols[a * nn..(a + 1) * nn]) {
                *o += nu * d;
            }
        }
        for (oh, ch) in out[..2 * nn]
            .chunks_exact_mut(2 * n)
            .zip(self.co.chunks_exact(n))
        {
            for ((o, c), &w) in oh.chunks_exact_mut(2).zip(ch).zip(self.wr) {
                o[0] = c.re * w;
                o[1] = c.im * w;
            }
        }
        for (a, b) in self.borders.iter().enumerate() {
            out[2 * nn + a] = self.cv[b.harmonic * n + b.probe].im * self.wx[b.probe];
        }
    }

    fn precondition(&mut self, v: &[f64], out: &mut [f64]) {
        let (nn, n) = (self.cv.len(), self.p.n);
        let na = self.borders.len();
        for (ch, vh) in self
            .cv
            .chunks_exact_mut(n)
            .zip(v[..2 * nn].chunks_exact(2 * n))
        {
            for ((c, x), &w) in ch.iter_mut().zip(vh.chunks_exact(2)).zip(self.wr) {
                let r = 1.0 / w;
                *c = Complex64::new(x[0] * r, x[1] * r);
            }
        }
        self.pre.solve(&mut self.cv);
        // bordered elimination: ν = S⁻¹ (E y0 − φ), y = y0 − Z ν
        if na > 0 {
            let mut rhs: Vec<f64> = self
                .borders
                .iter()
                .enumerate()
                .map(|(a, b)| {
                    self.cv[b.harmonic * n + b.probe].im - v[2 * nn + a] / self.wx[b.probe]
                })
                .collect();
            let nu = solve_small(self.schur, &mut rhs, na);
            for (a, &nua) in nu.iter().enumerate() {
                for (c, z) in self.cv.iter_mut().zip(&self.zcols[a * nn..(a + 1) * nn]) {
                    *c -= nua * z;
                }
                out[2 * nn + a] = nua;
            }
        }
        for k in 0..nn {
            out[2 * k] = self.cv[k].re;
            out[2 * k + 1] = self.cv[k].im;
        }
    }
}

/// Solve the small dense system S·ν = rhs (Gaussian elimination with
/// partial pivoting); a singular S gives ν = 0.
fn solve_small(s: &[f64], rhs: &mut [f64], n: usize) -> Vec<f64> {
    let mut a = s.to_vec();
    for c in 0..n {
        let piv = (c..n)
            .max_by(|&i, &j| a[i * n + c].abs().total_cmp(&a[j * n + c].abs()))
            .unwrap_or(c);
        if a[piv * n + c] == 0.0 {
            return vec![0.0; n];
        }
        if piv != c {
            for k in 0..n {
                a.swap(c * n + k, piv * n + k);
            }
            rhs.swap(c, piv);
        }
        for i in c + 1..n {
            let f = a[i * n + c] / a[c * n + c];
            for k in c..n {
                a[i * n + k] -= f * a[c * n + k];
            }
            rhs[i] -= f * rhs[c];
        }
    }
    let mut x = vec![0.0; n];
    for i in (0..n).rev() {
        let mut s = rhs[i];
        for k in i + 1..n {
            s -= a[i * n + k] * x[k];
        }
        x[i] = s / a[i * n + i];
    }
    x
}

/// Developer check (`SPINSPICE_HB_CHECKJ=1`): J·e_k against finite
/// differences of R, per unknown and harmonic, printed to stderr.
fn check_jacobian(p: &mut Problem, x: &[Complex64], r: &[Complex64]) {
    let (n, nh) = (p.n, p.nh);
    let mut v = vec![Complex64::default(); n * nh];
    let mut jv = vec![Complex64::default(); n * nh];
    let mut r2 = vec![Complex64::default(); n * nh];
    let mut xp = x.to_vec();
    for h in 0..nh {
        for u in 0..n {
            for part in [Complex64::new(1.0, 0.0), Complex64::new(0.0, 1.0)] {
                if h == 0 && part.im != 0.0 {
                    continue;
                }
                v.fill(Complex64::default());
                let xref = (0..nh).map(|g| x[g * n + u].norm()).fold(0.0, f64::max);
                let eps = 1e-6 * (xref + 1e-9);
                v[h * n + u] = part;
                let _ = p.residual(x, &mut r2);
                p.jv(&v, &mut jv);
                xp.copy_from_slice(x);
                xp[h * n + u] += eps * part;
                let _ = p.residual(&xp, &mut r2);
                let rp = r2.clone();
                xp[h * n + u] -= 2.0 * eps * part;
                let _ = p.residual(&xp, &mut r2);
                let _ = r;
                let mut worst = (0.0, 0, 0, Complex64::default(), Complex64::default());
                let mut scale = 0.0f64;
                for k in 0..n * nh {
                    let fd = (rp[k] - r2[k]) / (2.0 * eps);
                    scale = scale.max(fd.norm()).max(jv[k].norm());
                    let d = (fd - jv[k]).norm();
                    if d > worst.0 {
                        worst = (d, k % n, k / n, fd, jv[k]);
                    }
                }
                if worst.0 > 1e-4 * scale && u + 1 == 57 && h == 7 {
                    for g in 0..nh {
                        let k = g * n + worst.1;
                        eprintln!(
                            "   row h={g}: fd {:.4e} jv {:.4e}",
                            (rp[k] - r2[k]) / (2.0 * eps),
                            jv[k]
                        );
                    }
                }
                if worst.0 > 1e-4 * scale {
                    eprintln!(
                        "jac check: column {} h={h} {:?} (eps {eps:.2e}): worst diff {:.3e} (scale {:.3e}) at row {} h={}: fd {:.4e} jv {:.4e}",
                        p.sys.unknown_label(u + 1), part, worst.0, scale, p.sys.unknown_label(worst.1 + 1), worst.2, worst.3, worst.4
                    );
                }
            }
        }
    }
    let _ = p.residual(x, &mut r2);
}
