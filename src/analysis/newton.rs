//! Newton–Raphson on F(x) + a0·Q(x) + h = 0 (h = integration history; a0 = 0
//! in DC). The iterate x_k is accepted when:
//! - its correction |Δx_i| ≤ rtol_i·max(|x_i|, |x_i + Δx_i|) + atol_i (SPICE rule,
//!   atol = vntol for voltages, abstol for currents, the device's own for states);
//! - its residual |r_i| ≤ rtol_i·s_i + ratol_i, where s_i is the sum of the
//!   magnitudes of the terms of row i (so large currents that cancel are judged
//!   relative to their size) and ratol is abstol for KCL rows and vntol for
//!   branch-voltage rows. A device-state row (torque balance of a macrospin,
//!   steady state of an oscillator) has no natural absolute unit; in a
//!   transient its charge term a0·Q gives it a scale, in DC nothing does and
//!   its terms may all vanish at the solution (the torques of a magnetization
//!   at rest), so a purely relative test could never pass. Its DC ratol is
//!   the residual that moving each unknown of the row by its absolute
//!   tolerance produces, Σ_j |J_ij|·atol_j (see [`Newton::state_row_tolerance`]);
//! - no device limited its voltages in its evaluation;
//!
//! and then x_{k+1} = x_k + Δx_k is returned. A point x_k whose own
//! correction Δx_{k−1} was already within tolerance, but whose predecessor's
//! residual was not, is returned as it is once its residual passes (SPICE's
//! test: small last update, consistent device currents at the new point),
//! saving that iteration's factorization and solve. In a transient solve,
//! x_{k+1} is also accepted when its correction is within tolerance and the
//! residual at x_{k+1}, estimated from the rate of convergence (ρ·|r(x_k)|,
//! DASSL's rate-based test), is below a quarter of tolerance: that saves the
//! evaluation at x_{k+1} that would only confirm it.
//!
//! A transient solve evaluates and tests only the rows nonlinear devices
//! stamp (`System::nl_rows`): its first step is formed as J·x_new = J·x −
//! r(x), in which a linear row is b − hist, and every solve leaves the
//! linear rows satisfied exactly (ARCHITECTURE.md, *Linear rows are solved,
//! not tested*).
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
    /// Pseudo-transient relaxation of the device states (DC only; see
    /// `op::pseudo_transient`).
    pub relax: Option<Relax<'a>>,
}

impl Terms<'_> {
    pub const DC: Terms<'static> = Terms {
        dynamic: None,
        gshunt: 0.0,
        force: &[],
        relax: None,
    };
}

/// A pseudo-time step on the device-state rows alone (the circuit stays at
/// DC): adds `rate`·(x_i − prev_i) + `fprev`_i to every state row i. Backward
/// Euler: rate = 1/Δτ, no `fprev`; trapezoidal: rate = 2/Δτ and `fprev` =
/// F(prev) (full-length vectors, 1-based).
#[derive(Clone, Copy)]
pub struct Relax<'a> {
    pub rate: f64,
    pub prev: &'a [f64],
    pub fprev: Option<&'a [f64]>,
}

/// Largest residual-to-tolerance ratio estimated at x_{k+1} from the rate of
/// convergence that accepts x_{k+1} without evaluating it (see
/// [`Newton::solve`]).
const RES_ESTIMATE_SAFETY: f64 = 0.25;

/// Conductance used to hold `.ic`/`.nodeset` nodes [S] (as SPICE3's 1e10).
/// Largest correction (in units of its tolerance) that a stagnated
/// transient iteration may leave and still be accepted as rounding noise.
const STAGNATION_MAX_RATIO: f64 = 4.0;

pub const G_FORCE: f64 = 1e10;

/// Newton solver state for one system: LU, Jacobian values and vectors.
pub struct Newton {
    pub lu: Klu<f64>,
    rhs: Vec<f64>,
    /// n zeros: the integration history of a DC solve.
    zeros: Vec<f64>,
    /// Residual-tolerance absolute part per row.
    ratol: Vec<f64>,
    /// Jacobian entries in device-state rows: (slot, row, column), 1-based
    /// unknowns (their DC residual tolerance, [`Newton::state_row_tolerance`]).
    state_entries: Vec<(u32, u32, u32)>,
    /// The device-state rows (1-based) and the slots of their diagonal
    /// entries (u32::MAX: none).
    state_rows: Vec<u32>,
    state_diag: Vec<u32>,
    /// `ratol` of the state rows holds a DC tolerance.
    state_dc_tol: bool,
    pub stats: NewtonStats,
    timing: bool,
    /// a0 of the current factorization (None: DC or not factored).
    jac_a0: Option<f64>,
    /// The last transient solve converged quickly: its factorization may
    /// serve the next step.
    jac_fresh_ok: bool,
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
                // set per DC iteration (`state_row_tolerance`); in a transient
                // judged relative to their terms, a0·Q included
                UnknownKind::State => 0.0,
            })
            .collect();
        let is_state = |i: usize| sys.unknowns[i].kind == UnknownKind::State;
        let state_rows: Vec<u32> = (1..=sys.n)
            .filter(|&i| is_state(i))
            .map(|i| i as u32)
            .collect();
        let p = &sys.pattern;
        let mut state_entries = Vec::new();
        let mut diag = vec![u32::MAX; sys.n + 1];
        for c in 0..p.n {
            for k in p.col_ptr[c] as usize..p.col_ptr[c + 1] as usize {
                let r = p.row_idx[k] as usize + 1;
                if is_state(r) {
                    state_entries.push((k as u32, r as u32, c as u32 + 1));
                    if r == c + 1 {
                        diag[r] = k as u32;
                    }
                }
            }
        }
        let state_diag = state_rows.iter().map(|&r| diag[r as usize]).collect();
        Ok(Newton {
            lu,
            rhs: vec![0.0; sys.n],
            zeros: vec![0.0; sys.n],
            ratol,
            state_entries,
            state_rows,
            state_diag,
            state_dc_tol: false,
            stats: NewtonStats::default(),
            timing: sys.opts.acct,
            jac_a0: None,
            jac_fresh_ok: false,
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
    // `!(a <= b)` is deliberate: it is also true for NaN.
    #[allow(clippy::neg_cmp_op_on_partial_ord)]
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
        // Transient solves work on the nonlinear rows only (SPICE's way):
        // the first iteration solves J·x_new = J·x − r(x), whose linear rows
        // need no residual (`System::spice_rhs`), and every solve leaves the
        // linear rows satisfied exactly (their Jacobian rows are exact), so
        // later iterations and the tests see only the nonlinear rows.
        let nl_only =
            hist.is_some() && terms.gshunt == 0.0 && terms.force.is_empty() && sys.nl_rows_fused();
        let mut worst = 0usize;
        let mut prev_ratio = f64::INFINITY;
        let mut refactor_next = false;
        let first = cx.first_iter;
        // the previous iteration's correction was within tolerance
        let mut prev_update_ok = false;
        // the previous correction's largest |dx|/tol (the convergence rate's
        // denominator), whether or not it was within tolerance
        let mut prev_u = f64::INFINITY;
        for it in 0..max_iter.max(1) {
            cx.first_iter = first && it == 0;
            // Chord step: in a transient solve, later iterations reuse the
            // first iteration's factorization while the corrections keep
            // shrinking fast; the residual is always the exact one, so the
            // converged point is the same, only reached more cheaply.
            // Across time steps the factorization of the previous step is
            // kept while the step size (a0) is the same and that solve
            // converged within two iterations (DASSL-style Jacobian reuse).
            // A chord iteration needs no Jacobian, so its load skips it.
            // (Reuse across a changed a0, DASSL-style, was measured: 5.6×
            // fewer factorizations on the 100-MTJ array, but the chord
            // iterations' looser convergence moved a locking edge of the DOR
            // test and cost accuracy on µV AMR outputs; not adopted.)
            let reuse_prev = it == 0 && hist.is_some() && self.jac_a0 == a0 && self.jac_fresh_ok;
            let chord = reuse_prev
                || (hist.is_some() && it > 0 && prev_ratio < f64::INFINITY && !refactor_next);
            let t0 = self.now();
            sys.load(cx, x, ws, a0, !chord, nl_only);
            self.stats.loads += 1;
            self.stats.load_ns += self.since(t0);
            // Shunts and held nodes enter F (and its scale) directly.
            if terms.gshunt > 0.0 {
                for &(i, s) in &sys.node_diag {
                    let v = terms.gshunt * x[i];
                    ws.f[i] += v;
                    ws.fscale[i] += v.abs();
                    ws.g[s.i()] += terms.gshunt;
                }
            }
            for &(i, v) in terms.force {
                ws.f[i] += G_FORCE * (x[i] - v);
                ws.fscale[i] += G_FORCE * v.abs();
                if let Some(&(j, s)) = sys.node_diag.get(i.wrapping_sub(1)) {
                    if j == i {
                        ws.g[s.i()] += G_FORCE;
                    }
                }
            }
            if let Some(Relax { rate, prev, fprev }) = terms.relax {
                for (&r, &k) in self.state_rows.iter().zip(&self.state_diag) {
                    let r = r as usize;
                    let v = rate * (x[r] - prev[r]) + fprev.map_or(0.0, |f| f[r]);
                    ws.f[r] += v;
                    ws.fscale[r] += v.abs();
                    if k != u32::MAX {
                        ws.g[k as usize] += rate;
                    }
                }
            }
            if hist.is_none() {
                self.state_row_tolerance(sys, &ws.g);
            } else if it == 0 && self.state_dc_tol {
                // transient: state rows are judged relative to their terms
                for &r in &self.state_rows {
                    self.ratol[r as usize] = 0.0;
                }
                self.state_dc_tol = false;
            }
            // Residual r = F (+ a0 Q, fused) + hist into rhs as −r, and its test.
            // The loop only counts the rows outside tolerance and sums |r| (a
            // NaN or infinity shows there), branch-free, so rows failing in an
            // irregular pattern cost no mispredictions; which row is worst is
            // found by a second pass only when a message needs it.
            // (DC: no history; the zero vector keeps one loop for both)
            let hs: &[f64] = match hist {
                Some(h) => &h[1..=n],
                None => &self.zeros[..n],
            };
            let (f, fs) = (&ws.f[1..=n], &ws.fscale[1..=n]);
            let (rt, ra) = (&sys.rtol[1..=n], &self.ratol[1..=n]);
            let rhs = &mut self.rhs[..n];
            let rows = sys.nl_rows.as_deref().filter(|_| nl_only);
            let (nbad, finite) = residual_test(rows, f, fs, hs, rt, ra, rhs);
            if !finite {
                let k = rhs.iter().position(|r| !r.is_finite()).unwrap_or(0);
                return self.fail(NewtonError::NonFinite { unknown: k + 1 });
            }
            let res_ok = nbad == 0;
            // A transient iterate whose residual is outside tolerance may still
            // lead to an accepted x_{k+1}, judged by the residual estimated
            // there (below); that needs the largest |r|/tol (second pass, only
            // then).
            let res_ratio = if !res_ok && it > 0 && hist.is_some() {
                let ratio = |k: usize| rhs[k].abs() / (rt[k] * (fs[k] + hs[k].abs()) + ra[k]);
                match rows {
                    Some(rows) => rows
                        .iter()
                        .map(|&r| ratio(r as usize - 1))
                        .fold(0.0, f64::max),
                    None => (0..n).map(ratio).fold(0.0, f64::max),
                }
            } else {
                f64::INFINITY
            };
            if !res_ok && it + 1 >= max_iter.max(1) {
                // last iteration: name the worst row for the error message
                let mut wres = Worst::new();
                for k in 0..n {
                    wres.offer(rhs[k].abs(), rt[k] * (fs[k] + hs[k].abs()) + ra[k], k + 1);
                }
                worst = wres.idx;
            }
            // x_k came from a correction within tolerance and its own residual
            // is within tolerance: x_k is accepted as it is (SPICE's rule: small
            // last update, consistent currents at the new point), without
            // another factorization and solve. `ws` holds the evaluation at
            // x_k itself, so the charges need no correction.
            if prev_update_ok && res_ok && !ws.limited {
                self.stats.iterations += it as u64 + 1;
                self.jac_fresh_ok = it < 2;
                return Ok(it + 1);
            }
            let t1 = self.now();
            // Chord step: in a transient solve, later iterations reuse the
            // first iteration's factorization while the corrections keep
            // shrinking fast; the residual is always the exact one, so the
            // converged point is the same, only reached more cheaply.
            // Across time steps the factorization of the previous step is
            // kept while the step size (a0) is the same and that solve
            // converged within two iterations (DASSL-style Jacobian reuse).
            if chord {
                self.stats.chord += 1;
            } else if let Err(e) = self.lu.factor(&mut ws.g[..nnz]) {
                self.jac_a0 = None;
                return self.fail(match e {
                    LuError::Singular { col } => NewtonError::Singular {
                        unknown: col.map(|c| c + 1),
                    },
                    LuError::Failed(_) => NewtonError::Singular { unknown: None },
                });
            }
            if !chord {
                self.jac_a0 = a0;
            }
            let t2 = self.now();
            self.stats.factor_ns += t2.saturating_sub(t1);
            // first iteration: the right-hand side in SPICE's form, for
            // the factored Jacobian (the linear rows' residual at x_0 was
            // never formed)
            let xform = nl_only && it == 0;
            if xform {
                if let Some(h) = hist {
                    sys.spice_rhs(ws, x, h, &mut self.rhs);
                }
            }
            if self.lu.solve(&mut self.rhs).is_err() {
                return self.fail(NewtonError::Singular { unknown: None });
            }
            if xform {
                // x_new → dx
                for (d, &xi) in self.rhs[..n].iter_mut().zip(&x[1..=n]) {
                    *d -= xi;
                }
            }
            self.stats.solve_ns += self.since(t2);
            // Update test on this iteration's own correction, applying it:
            // x_{k+1} = x_k + dx_k. Branch-free as the residual test; the
            // largest |dx|/tol (the chord-step control's measure) is a
            // max-reduction over lanes.
            let (dxs, xs) = (&self.rhs[..n], &mut x[1..=n]);
            let (rt, at, xr) = (&sys.rtol[1..=n], &sys.atol[1..=n], &sys.xref[1..=n]);
            let (nbad, finite, max_ratio) = update_test(dxs, xs, rt, at, xr);
            if !finite {
                let k = xs.iter().position(|v| !v.is_finite()).unwrap_or(0);
                return self.fail(NewtonError::NonFinite { unknown: k + 1 });
            }
            let update_ok = nbad == 0;
            // the ratio of the worst row outside tolerance (0 when all are in)
            let worst_ratio = if update_ok { 0.0 } else { max_ratio };
            if !update_ok && it + 1 >= max_iter.max(1) {
                let mut wupd = Worst::new();
                for i in 0..n {
                    let (dx, xn) = (dxs[i], xs[i]);
                    let xo = xn - dx;
                    let tol = rt[i] * xo.abs().max(xn.abs()).max(xr[i]) + at[i];
                    if !(dx.abs() <= tol) {
                        wupd.offer(dx.abs(), tol, i + 1);
                    }
                }
                worst = wupd.idx;
            }
            // The residual at x_{k+1}, estimated from the rate of convergence:
            // r(x_{k+1}) ≈ (J − J_k)·dx_k and r(x_k) ≈ (J − J_k)·dx_{k−1}, so
            // |r(x_{k+1})|/tol ≈ ρ·|r(x_k)|/tol with ρ = |dx_k|/|dx_{k−1}|
            // (weighted max norms; a Newton step, J_k = J, does better, O(dx²)).
            // This is the rate-based test of DASSL (Brenan, Campbell & Petzold,
            // *Numerical Solution of IVPs in DAEs*, §5.2.2), applied to the
            // residual, with a safety factor: x_{k+1} is accepted with its
            // correction within tolerance and its residual estimated below a
            // quarter of it, without a further evaluation at x_{k+1}. On the
            // detector-chain benchmark the estimate is within 2× of the
            // residual evaluated at x_{k+1}, which is 0.01–0.07 of tolerance.
            let est_ok = !res_ok
                && update_ok
                && res_ratio.is_finite()
                && res_ratio * (max_ratio / prev_u) <= RES_ESTIMATE_SAFETY;
            if (res_ok || est_ok) && !ws.limited {
                // Converged; or stagnated: the residual is within tolerance and
                // the correction stopped shrinking (Newton would have squared
                // it), i.e. it is rounding noise of rows with large cancelling
                // terms, not a distance to the solution.
                // Noise is a few tolerances at most: a correction far above
                // tolerance that "stops shrinking" is Newton walking down a
                // junction's exponential by ~N·Vt per step, not noise. Its
                // residual passes where the row's terms are large (a0·q of a
                // capacitor at a small step, amperes against a mA diode) or
                // tiny (a DC node held by nothing but a diode: v = −0.078 V
                // instead of 0); accepting it left a diode clipper ringing
                // until the step collapsed.
                let stagnated = it > 0
                    && !chord
                    && worst_ratio > 0.25 * prev_ratio
                    && worst_ratio <= STAGNATION_MAX_RATIO;
                if update_ok || stagnated {
                    if !update_ok {
                        self.stats.stagnated += 1;
                    }
                    // x holds x_k + dx_k (quadratically closer to the solution
                    // than x_k). In the transient, move the nonlinear charges
                    // along to first order (q(x_k + dx) = q(x_k) + C·dx +
                    // O(dx²)) so the integration history stays consistent.
                    if a0.is_some() && !sys.nonlinear.is_empty() {
                        sys.correct_charges(ws, &self.rhs);
                    }
                    self.stats.iterations += it as u64 + 1;
                    self.jac_fresh_ok = it < 2;
                    return Ok(it + 1);
                }
            }
            // a chord step that did not shrink the correction by 4× (or a
            // first step on an old factorization that is not already close)
            // asks for a fresh Jacobian next time
            refactor_next =
                chord && (worst_ratio > 0.25 * prev_ratio || (reuse_prev && worst_ratio > 1e2));
            prev_ratio = worst_ratio;
            prev_update_ok = update_ok;
            prev_u = max_ratio;
        }
        self.stats.iterations += max_iter as u64;
        self.jac_fresh_ok = false;
        self.fail(NewtonError::NoConvergence {
            worst,
            iterations: max_iter,
        })
    }

    /// DC residual tolerance of the device-state rows: ratol_i =
    /// Σ_j |J_ij|·atol_j, the residual that moving every unknown of row i by
    /// its absolute tolerance produces (the residual a correction within
    /// tolerance leaves). Such a row has no absolute unit of its own (a
    /// torque-balance row is a rate [1/s], an oscillator's a power), and
    /// without a charge term nothing else gives it a scale: the terms of a
    /// magnetization's torque balance all vanish at rest, so a test relative
    /// to them alone fails at every solution that is not exact to the last
    /// bit. Rounding noise in such a row is ε·Σ_j|J_ij·x_j| at most, far
    /// below this as long as atol_j ≫ ε·|x_j|. O(entries of the state
    /// rows) per DC iteration; transient solves keep ratol = 0 there (their
    /// a0·Q term is the scale).
    fn state_row_tolerance(&mut self, sys: &System, g: &[f64]) {
        self.state_dc_tol = true;
        for &r in &self.state_rows {
            self.ratol[r as usize] = 0.0;
        }
        for &(k, r, c) in &self.state_entries {
            self.ratol[r as usize] += g[k as usize].abs() * sys.atol[c as usize];
        }
    }

    /// The fastest rate of the device-state rows [1/s for a magnetization]:
    /// max_i Σ_j |J_ij| over state rows i and state columns j of the
    /// Jacobian `g` (0 without states). Sets the first pseudo-time step of
    /// `op::pseudo_transient`.
    pub fn state_rate(&self, sys: &System, g: &[f64]) -> f64 {
        let mut acc = vec![0.0; sys.n + 1];
        for &(k, r, c) in &self.state_entries {
            if sys.unknowns[c as usize].kind == UnknownKind::State {
                acc[r as usize] += g[k as usize].abs();
            }
        }
        acc.into_iter().fold(0.0, f64::max)
    }

    /// The largest |x_i − y_i| over the device states (in their units).
    pub fn state_distance(&self, x: &[f64], y: &[f64]) -> f64 {
        self.state_rows
            .iter()
            .map(|&r| (x[r as usize] - y[r as usize]).abs())
            .fold(0.0, f64::max)
    }

    /// Whether the system has device-state unknowns.
    pub fn has_states(&self) -> bool {
        !self.state_rows.is_empty()
    }

    /// The largest |x_i − y_i|/(rtol_i·|x_i| + atol_i) over the device
    /// states: how far the states moved, in units of their tolerance.
    pub fn state_change(&self, sys: &System, x: &[f64], y: &[f64]) -> f64 {
        self.state_rows
            .iter()
            .map(|&r| {
                let r = r as usize;
                (x[r] - y[r]).abs() / (sys.rtol[r] * x[r].abs() + sys.atol[r])
            })
            .fold(0.0, f64::max)
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

/// Call `f(i, lane)` for i in 0..n, in groups of four consecutive i on lanes
/// 0..4 (the remainder on lane 0), so per-lane accumulators carry no
/// dependency from one element to the next and the compiler vectorizes.
#[inline(always)]
fn in_lanes(n: usize, f: &mut impl FnMut(usize, usize)) {
    let full = n - n % 4;
    for k in (0..full).step_by(4) {
        for l in 0..4 {
            f(k + l, l);
        }
    }
    for k in full..n {
        f(k, 0);
    }
}

/// The residual test: rhs = −(f + h) and, per row, |r| ≤ rt·(fs + |h|) + ra,
/// over all rows, or over the (1-based) `rows` only with the other entries
/// of `rhs` set to 0 (linear rows: see [`Newton::solve`]). Returns (rows
/// outside tolerance, all finite). All rows: in lanes of four with no
/// branch, so the compiler vectorizes it; a NaN or infinity shows in the
/// sum of |r|.
fn residual_test(
    rows: Option<&[u32]>,
    f: &[f64],
    fs: &[f64],
    hs: &[f64],
    rt: &[f64],
    ra: &[f64],
    rhs: &mut [f64],
) -> (usize, bool) {
    let n = rhs.len();
    let (f, fs, hs, rt, ra) = (&f[..n], &fs[..n], &hs[..n], &rt[..n], &ra[..n]);
    if rows.is_some() {
        rhs.fill(0.0);
    }
    let mut bad = [0u64; 4];
    let mut sum = [0.0f64; 4];
    let mut row = |k: usize, l: usize| {
        let h = hs[k];
        let r = -(f[k] + h);
        rhs[k] = r;
        let tol = rt[k] * (fs[k] + h.abs()) + ra[k];
        bad[l] += u64::from(r.abs() > tol);
        sum[l] += r.abs();
    };
    match rows {
        Some(rows) => {
            for &r in rows {
                row(r as usize - 1, 0);
            }
        }
        None => in_lanes(n, &mut row),
    }
    let s = (sum[0] + sum[1]) + (sum[2] + sum[3]);
    ((bad[0] + bad[1] + bad[2] + bad[3]) as usize, s.is_finite())
}

/// The update test, applying the correction: x += dx and, per unknown,
/// |dx| ≤ rt·max(|x_old|, |x_new|, xr) + at. Returns (unknowns outside
/// tolerance: 0 or 1, all finite, the largest |dx|/tol). Lanes of four, no
/// branch. The test is the largest ratio ≤ 1: for tol > 0, |dx| > tol
/// exactly when the rounded |dx|/tol > 1 (division rounds monotonically and
/// 1 + 2⁻⁵² is representable); tol = 0 gives ∞ for dx ≠ 0 and NaN (ignored:
/// within tolerance, as before) for dx = 0.
fn update_test(
    dxs: &[f64],
    xs: &mut [f64],
    rt: &[f64],
    at: &[f64],
    xr: &[f64],
) -> (usize, bool, f64) {
    let n = xs.len();
    let (dxs, rt, at, xr) = (&dxs[..n], &rt[..n], &at[..n], &xr[..n]);
    let mut sum = [0.0f64; 4];
    let mut mx = [0.0f64; 4];
    let mut one = |i: usize, l: usize| {
        let dx = dxs[i];
        let xo = xs[i];
        let xn = xo + dx;
        let tol = rt[i] * xo.abs().max(xn.abs()).max(xr[i]) + at[i];
        let a = dx.abs();
        sum[l] += xn.abs();
        // NaN (0/0 of an exact zero tolerance) never wins
        let q = a / tol;
        mx[l] = if q > mx[l] { q } else { mx[l] };
        xs[i] = xn;
    };
    in_lanes(n, &mut one);
    let s = (sum[0] + sum[1]) + (sum[2] + sum[3]);
    let m = mx[0].max(mx[1]).max(mx[2].max(mx[3]));
    (usize::from(m > 1.0), s.is_finite(), m)
}

/// The row with the largest |v|/tol, tracked without a division per row.
struct Worst {
    num: f64,
    den: f64,
    idx: usize,
}

impl Worst {
    fn new() -> Worst {
        Worst {
            num: 0.0,
            den: 1.0,
            idx: 0,
        }
    }
    #[inline]
    fn offer(&mut self, v: f64, tol: f64, idx: usize) {
        if v * self.den > self.num * tol {
            self.num = v;
            self.den = tol;
            self.idx = idx;
        }
    }
}

static PROFILE_EPOCH: std::sync::LazyLock<std::time::Instant> =
    std::sync::LazyLock::new(std::time::Instant::now);

#[cfg(test)]
mod tests {
    use super::update_test;

    /// The update test's verdict from the largest ratio is the per-unknown
    /// comparison |dx| ≤ tol, including ties, the next float above, zero
    /// tolerances and zero corrections.
    #[test]
    fn update_test_verdict_is_the_exact_comparison() {
        let tols = [1e-12, 1e-6, 0.3e-3, 1.0, 7.5e3];
        let mut state = 12345u64;
        let mut rnd = || {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1);
            (state >> 11) as f64 / (1u64 << 53) as f64
        };
        for case in 0..2000 {
            let n = 1 + case % 9;
            let mut xs = vec![0.0; n];
            let mut dxs = vec![0.0; n];
            let (mut rt, mut at, xr) = (vec![0.0; n], vec![0.0; n], vec![0.0; n]);
            let mut expect_bad = false;
            for i in 0..n {
                at[i] = if case % 5 == 0 {
                    0.0
                } else {
                    tols[(case + i) % tols.len()]
                };
                rt[i] = if case % 3 == 0 { 0.0 } else { 1e-3 };
                xs[i] = (rnd() - 0.5) * 2.0;
                let x = xs[i];
                // a correction at, just above, below or far from its tolerance
                let probe = (x.abs() * rt[i] + at[i]).max(0.0);
                dxs[i] = match (case + 3 * i) % 5 {
                    0 => 0.0,
                    1 => probe * rnd(),
                    2 => f64::from_bits(probe.to_bits() + 1) * 10.0,
                    3 => probe * 0.5,
                    _ => (rnd() - 0.5) * 1e-2,
                };
                let xn = x + dxs[i];
                let tol = rt[i] * x.abs().max(xn.abs()).max(xr[i]) + at[i];
                expect_bad |= dxs[i].abs() > tol;
            }
            let (nbad, finite, m) = update_test(&dxs, &mut xs, &rt, &at, &xr);
            assert!(finite);
            assert_eq!(nbad > 0, expect_bad, "case {case}: ratio {m}");
        }
    }
}
