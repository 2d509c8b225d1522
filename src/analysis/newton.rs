//! Newton–Raphson on F(x) + a0·Q(x) + h = 0 (h = integration history; a0 = 0
//! in DC). Convergence needs, after at least one update:
//! - every update |Δx_i| ≤ rtol_i·max(|x_i|, |x_i + Δx_i|) + atol_i (SPICE rule,
//!   atol = vntol for voltages, abstol for currents, the device's own for states);
//! - every residual |r_i| ≤ rtol_i·s_i + ratol_i, where s_i is the sum of the
//!   magnitudes of the terms of row i (so large currents that cancel are judged
//!   relative to their size) and ratol is abstol for KCL rows and vntol for
//!   branch-voltage rows;
//! - no device limited its voltages in the last evaluation.
//!
//! Each iteration: one load, one factorization (a fixed-pivot KLU refactor, or
//! nothing when the matrix is unchanged), one solve. Nothing is allocated.

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
    jac: Vec<f64>,
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
            jac: vec![0.0; sys.nnz()],
            rhs: vec![0.0; sys.n],
            scale: vec![0.0; sys.n + 1],
            ratol,
            stats: NewtonStats::default(),
            timing: sys.opts.acct,
        })
    }

    /// Solve for `x` (initial guess in, solution out; `x[0]` stays 0) with the
    /// excitation of `cx` (time, mode, source scale). On success `ws` holds
    /// F, Q, G, C evaluated at the returned `x`.
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
            Some((a0, h)) => (a0, Some(h)),
            None => (0.0, None),
        };
        sys.sources(cx, ws);
        let mut update_ok = false;
        let mut worst = 0usize;
        let first = cx.first_iter;
        for it in 0..max_iter.max(1) {
            cx.first_iter = first && it == 0;
            let t0 = self.now();
            sys.load(cx, x, ws);
            self.stats.loads += 1;
            self.stats.load_ns += self.since(t0);
            // Residual r = F + a0 Q + hist (+ shunts) into rhs as −r.
            for i in 1..=n {
                let mut r = ws.f[i];
                let mut sc = ws.fscale[i];
                if let Some(h) = hist {
                    let dq = a0 * ws.q[i];
                    r += dq + h[i];
                    sc += dq.abs() + h[i].abs();
                }
                self.rhs[i - 1] = -r;
                self.scale[i] = sc;
            }
            if terms.gshunt > 0.0 {
                for &(i, _) in &sys.node_diag {
                    self.rhs[i - 1] -= terms.gshunt * x[i];
                }
            }
            for &(i, v) in terms.force {
                self.rhs[i - 1] -= G_FORCE * (x[i] - v);
                self.scale[i] += G_FORCE * v.abs();
            }
            let mut res_ok = true;
            let mut worst_res = 0.0f64;
            let mut worst_res_i = 0;
            for i in 1..=n {
                let r = self.rhs[i - 1];
                if !r.is_finite() {
                    return self.fail(NewtonError::NonFinite { unknown: i });
                }
                let tol = sys.rtol[i] * self.scale[i] + self.ratol[i];
                if r.abs() > tol {
                    res_ok = false;
                    let ratio = r.abs() / tol.max(f64::MIN_POSITIVE);
                    if ratio > worst_res {
                        worst_res = ratio;
                        worst_res_i = i;
                    }
                }
            }
            if it > 0 && update_ok && res_ok && !ws.limited {
                self.stats.iterations += it as u64;
                return Ok(it);
            }
            if !res_ok && update_ok {
                worst = worst_res_i;
            }
            // Jacobian J = G + a0 C (+ shunts).
            if a0 != 0.0 {
                for k in 0..nnz {
                    self.jac[k] = ws.g[k] + a0 * ws.c[k];
                }
            } else {
                self.jac.copy_from_slice(&ws.g[..nnz]);
            }
            if terms.gshunt > 0.0 {
                for &(_, s) in &sys.node_diag {
                    self.jac[s.i()] += terms.gshunt;
                }
            }
            for &(i, _) in terms.force {
                if let Some(&(j, s)) = sys.node_diag.get(i.wrapping_sub(1)) {
                    if j == i {
                        self.jac[s.i()] += G_FORCE;
                    }
                }
            }
            let t1 = self.now();
            if let Err(e) = self.lu.factor(&mut self.jac) {
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
            // Update and its convergence test.
            update_ok = true;
            let mut worst_ratio = 0.0f64;
            for (i, &dx) in self.rhs.iter().enumerate().map(|(k, d)| (k + 1, d)) {
                let xo = x[i];
                let xn = xo + dx;
                if !xn.is_finite() {
                    return self.fail(NewtonError::NonFinite { unknown: i });
                }
                let tol = sys.rtol[i] * xo.abs().max(xn.abs()) + sys.atol[i];
                if dx.abs() > tol {
                    update_ok = false;
                    let ratio = dx.abs() / tol;
                    if ratio > worst_ratio {
                        worst_ratio = ratio;
                        worst = i;
                    }
                }
                x[i] = xn;
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
