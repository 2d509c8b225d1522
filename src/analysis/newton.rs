//! Newton–Raphson on F(x) + a0·Q(x) + h = 0 (h = integration history; a0 = 0
//! in DC). The iterate x_k is accepted when:
//! - its correction |Δx_i| ≤ rtol_i·max(|x_i|, |x_i + Δx_i|) + atol_i (SPICE rule,
//!   atol = vntol for voltages, abstol for currents, the device's own for states);
//! - its residual |r_i| ≤ rtol_i·s_i + ratol_i, where s_i is the sum of the
//!   magnitudes of the terms of row i (so large currents that cancel are judged
//!   relative to their size) and ratol is abstol for KCL rows and vntol for
//!   branch-voltage rows;
//! - no device limited its voltages in its evaluation.
//!
//! Each iteration: one load, one factorization (a fixed-pivot KLU refactor, or
//! nothing when a linear circuit's matrix is unchanged), one solve. Nothing is
//! allocated.

use crate::solver::{Klu, LuError};
use crate::system::{LoadCtx, System, UnknownKind, Workspace};

/// Why a Newton solve failed.
#[derive(Debug, Clone, PartialEq)]
pub enum NewtonError {
    /// No convergence within the iteration limit; `worst` is the unknown
    /// farthest from its tolerance in the last iteration.
    NoConvergence { worst: usize, iterations: usize },
    /// The Jacobian is singular; `unknown` is the column KLU could not pivot.
    Singular { unknown: Option<usize> },
    /// A NaN/inf appeared in the residual or update at this unknown.
    NonFinite { unknown: usize },
}

/// Counters over the life of a solver (for the benchmark report).
#[derive(Debug, Clone, Copy, Default)]
pub struct NewtonStats {
    pub solves: u64,
    pub iterations: u64,
    pub loads: u64,
    pub failures: u64,
    /// Solves accepted at the rounding-noise floor (see [`Newton::solve`]).
    pub stagnated: u64,
    /// Iterations that reused the previous factorization (chord steps).
    pub chord: u64,
    pub load_ns: u64,
    pub factor_ns: u64,
    pub solve_ns: u64,
}

/// Extra terms for one solve.
#[derive(Clone, Copy)]
pub struct Terms<'a> {
    /// Integration: dQ/dt ≈ a0·Q(x) + hist (None in DC).
    pub dynamic: Option<(f64, &'a [f64])>,
    /// Conductance [S] from every node to ground (gmin stepping).
    pub gshunt: f64,
    /// Nodes held at values through a large conductance (`.ic`, `.nodeset`).
    pub force: &'a [(usize, f64)],
}

impl Terms<'_> {
    pub const DC: Terms<'static> = Terms {
        dynamic: None,
        gshunt: 0.0,
        force: &[],
    };
}

/// Conductance used to hold `.ic`/`.nodeset` nodes [S] (as SPICE3's 1e10).
pub const G_FORCE: f64 = 1e10;

/// Newton solver state for one system: LU, Jacobian values and vectors.
pub struct Newton {
    pub lu: Klu<f64>,
    rhs: Vec<f64>,
    /// Per-row magnitude of the residual's terms.
    scale: Vec<f64>,
    /// Residual-tolerance absolute part per row.
    ratol: Vec<f64>,
    pub stats: NewtonStats,
    timing: bool,
}

impl Newton {
    pub fn new(sys: &System) -> Result<Newton, LuError> {
        let lu = Klu::new(sys.pattern.clone())?;
        let ratol = sys
            .unknowns
            .iter()
            .map(|u| match u.kind {
                UnknownKind::Voltage => sys.opts.abstol,
                UnknownKind::Current => sys.opts.vntol,
                // state rows are rates; judged relative to their terms only
                UnknownKind::State => 0.0,
            })
            .collect();
        Ok(Newton {
            lu,
            rhs: vec![0.0; sys.n],
            scale: vec![0.0; sys.n + 1],
            ratol,
            stats: NewtonStats::default(),
            timing: sys.opts.acct,
        })
    }

    /// Solve for `x` (initial guess in, solution out; `x[0]` stays 0) with the
    /// excitation of `cx` (time, mode, source scale).
    ///
    /// Each iteration loads at x_k, solves J·dx_k = −r(x_k) and sets
    /// x_{k+1} = x_k + dx_k; it stops when dx_k and r(x_k) are within tolerance
    /// and no device limited at x_k (SPICE's rule). `ws` then holds the
    /// evaluation at x_k, one small correction before the returned point: the
    /// transient completes the charges with the linear part at x_{k+1}
    /// ([`System::add_linear_q`]); the nonlinear charges are those of x_k, as in
    /// SPICE. Returns the number of iterations (loads = solves).
    pub fn solve(
        &mut self,
        sys: &mut System,
        ws: &mut Workspace,
        x: &mut [f64],
        cx: &mut LoadCtx,
        terms: Terms,
        max_iter: usize,
    ) -> Result<usize, NewtonError> {
        self.stats.solves += 1;
        let n = sys.n;
        let nnz = sys.nnz();
        let (a0, hist) = match terms.dynamic {
            Some((a0, h)) => (Some(a0), Some(h)),
            None => (None, None),
        };
        self.lu.track_reuse = sys.nonlinear.is_empty();
        sys.sources(cx, ws);
        let mut worst = 0usize;
        let mut prev_ratio = f64::INFINITY;
        let mut refactor_next = false;
        let first = cx.first_iter;
        for it in 0..max_iter.max(1) {
            cx.first_iter = first && it == 0;
            let t0 = self.now();
            sys.load(cx, x, ws, a0);
            self.stats.loads += 1;
            self.stats.load_ns += self.since(t0);
            // Residual r = F (+ a0 Q, fused) + hist (+ shunts) into rhs as −r.
            let (f, fs) = (&ws.f[1..=n], &ws.fscale[1..=n]);
            match hist {
                Some(h) => {
                    for ((((r, s), &fi), &fsi), &hi) in self
                        .rhs
                        .iter_mut()
                        .zip(&mut self.scale[1..])
                        .zip(f)
                        .zip(fs)
                        .zip(&h[1..=n])
                    {
                        *r = -(fi + hi);
                        *s = fsi + hi.abs();
                    }
                }
                None => {
                    for (((r, s), &fi), &fsi) in
                        self.rhs.iter_mut().zip(&mut self.scale[1..]).zip(f).zip(fs)
                    {
                        *r = -fi;
                        *s = fsi;
                    }
                }
            }
            if terms.gshunt > 0.0 {
                for &(i, s) in &sys.node_diag {
                    self.rhs[i - 1] -= terms.gshunt * x[i];
                    ws.g[s.i()] += terms.gshunt;
                }
            }
            for &(i, v) in terms.force {
                self.rhs[i - 1] -= G_FORCE * (x[i] - v);
                self.scale[i] += G_FORCE * v.abs();
                if let Some(&(j, s)) = sys.node_diag.get(i.wrapping_sub(1)) {
                    if j == i {
                        ws.g[s.i()] += G_FORCE;
                    }
                }
            }
            let (res_ok, _worst_res, worst_res_i) = {
                let mut ok = true;
                let mut any_bad = false;
                for (((&r, &sc), &rt), &ra) in self
                    .rhs
                    .iter()
                    .zip(&self.scale[1..])
                    .zip(&sys.rtol[1..])
                    .zip(&self.ratol[1..])
                {
                    // (NaN fails the comparison and is caught below)
                    use std::cmp::Ordering::{Equal, Less};
                    let bad = !matches!(r.abs().partial_cmp(&(rt * sc + ra)), Some(Less | Equal));
                    any_bad |= bad;
                }
                let (mut worst, mut wi) = (0.0f64, 0usize);
                if any_bad {
                    ok = false;
                    for (k, ((&r, &sc), (&rt, &ra))) in self
                        .rhs
                        .iter()
                        .zip(&self.scale[1..])
                        .zip(sys.rtol[1..].iter().zip(&self.ratol[1..]))
                        .enumerate()
                    {
                        if !r.is_finite() {
                            return self.fail(NewtonError::NonFinite { unknown: k + 1 });
                        }
                        let tol = rt * sc + ra;
                        if r.abs() > tol {
                            let ratio = r.abs() / tol.max(f64::MIN_POSITIVE);
                            if ratio > worst {
                                worst = ratio;
                                wi = k + 1;
                            }
                        }
                    }
                }
                (ok, worst, wi)
            };
            let t1 = self.now();
            // Chord step: in a transient solve, later iterations reuse the
            // first iteration's factorization while the corrections keep
            // shrinking fast; the residual is always the exact one, so the
            // converged point is the same, only reached more cheaply.
            let chord = hist.is_some() && it > 0 && prev_ratio < f64::INFINITY && !refactor_next;
            if chord {
                self.stats.chord += 1;
            } else if let Err(e) = self.lu.factor(&mut ws.g[..nnz]) {
                return self.fail(match e {
                    LuError::Singular { col } => NewtonError::Singular {
                        unknown: col.map(|c| c + 1),
                    },
                    LuError::Failed(_) => NewtonError::Singular { unknown: None },
                });
            }
            let t2 = self.now();
            self.stats.factor_ns += t2.saturating_sub(t1);
            if self.lu.solve(&mut self.rhs).is_err() {
                return self.fail(NewtonError::Singular { unknown: None });
            }
            self.stats.solve_ns += self.since(t2);
            // Update test on this iteration's own correction.
            let mut update_ok = true;
            for (((&dx, &xo), (&rt, &at)), &xr) in self
                .rhs
                .iter()
                .zip(&x[1..])
                .zip(sys.rtol[1..].iter().zip(&sys.atol[1..]))
                .zip(&sys.xref[1..])
            {
                let xn = xo + dx;
                let tol = rt * xo.abs().max(xn.abs()).max(xr) + at;
                update_ok &= dx.abs() <= tol;
            }
            let mut worst_ratio = 0.0f64;
            let mut worst_upd = 0;
            if !update_ok {
                for (k, (((&dx, &xo), (&rt, &at)), &xr)) in self
                    .rhs
                    .iter()
                    .zip(&x[1..])
                    .zip(sys.rtol[1..].iter().zip(&sys.atol[1..]))
                    .zip(&sys.xref[1..])
                    .enumerate()
                {
                    let xn = xo + dx;
                    if !xn.is_finite() {
                        return self.fail(NewtonError::NonFinite { unknown: k + 1 });
                    }
                    let tol = rt * xo.abs().max(xn.abs()).max(xr) + at;
                    if dx.abs() > tol {
                        let ratio = dx.abs() / tol;
                        if ratio > worst_ratio {
                            worst_ratio = ratio;
                            worst_upd = k + 1;
                        }
                    }
                }
            }
            if res_ok && !ws.limited {
                // Converged; or stagnated: the residual is within tolerance and
                // the correction stopped shrinking (Newton would have squared
                // it), i.e. it is rounding noise of rows with large cancelling
                // terms, not a distance to the solution.
                let stagnated = it > 0 && !chord && worst_ratio > 0.25 * prev_ratio;
                if update_ok || stagnated {
                    if !update_ok {
                        self.stats.stagnated += 1;
                    }
                    // Take the last (small) correction too: x_k + dx_k is
                    // quadratically closer to the solution than x_k. In the
                    // transient, move the nonlinear charges along to first
                    // order (q(x_k + dx) = q(x_k) + C·dx + O(dx²)) so that the
                    // integration history stays consistent with x.
                    for (xi, &dx) in x[1..].iter_mut().zip(&self.rhs) {
                        *xi += dx;
                    }
                    if a0.is_some() && !sys.nonlinear.is_empty() {
                        crate::system::spmv0(&sys.pattern, &ws.c, &self.rhs, &mut ws.q);
                        ws.q[0] = 0.0;
                    }
                    self.stats.iterations += it as u64 + 1;
                    return Ok(it + 1);
                }
            }
            // a chord step that did not shrink the correction by 4× asks
            // for a fresh Jacobian next time
            refactor_next = chord && worst_ratio > 0.25 * prev_ratio;
            prev_ratio = worst_ratio;
            worst = if !update_ok { worst_upd } else { worst_res_i };
            for (xi, &dx) in x[1..].iter_mut().zip(&self.rhs) {
                *xi += dx;
            }
        }
        self.stats.iterations += max_iter as u64;
        self.fail(NewtonError::NoConvergence {
            worst,
            iterations: max_iter,
        })
    }

    fn fail(&mut self, e: NewtonError) -> Result<usize, NewtonError> {
        self.stats.failures += 1;
        Err(e)
    }

    #[inline]
    fn now(&self) -> u64 {
        if self.timing {
            PROFILE_EPOCH.elapsed().as_nanos() as u64
        } else {
            0
        }
    }
    #[inline]
    fn since(&self, t0: u64) -> u64 {
        self.now().saturating_sub(t0)
    }
}

static PROFILE_EPOCH: std::sync::LazyLock<std::time::Instant> =
    std::sync::LazyLock::new(std::time::Instant::now);
