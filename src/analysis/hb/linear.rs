//! Linear solves of the harmonic-balance Newton step J·Δ = −R.
//!
//! - [`BlockDiag`]: the per-harmonic block-diagonal preconditioner
//!   P_h = (G_lin + Ḡ) + jω_h (C_lin + C̄), Ḡ, C̄ the time averages of the
//!   nonlinear devices' Jacobians, each factored with the complex KLU on the
//!   circuit's own pattern (Feldmann, Melville & Long, CICC 1996; Kundert et
//!   al. 1990 §6.3). Exact for a linear circuit.
//! - [`gmres`]: restarted GMRES(m) with right preconditioning (Saad &
//!   Schultz 1986; Saad, *Iterative Methods for Sparse Linear Systems*, 2nd
//!   ed., Alg. 9.5), real arithmetic, modified Gram–Schmidt and Givens
//!   rotations, the Krylov basis in one preallocated block.

use crate::solver::{CscPattern, Klu, LuError};
use num_complex::Complex64;

/// The block-diagonal preconditioner (one complex LU per harmonic).
///
/// It keeps the matrices it factored: [`BlockDiag::factor_if_changed`]
/// reuses the factors while the averaged Jacobian and the frequencies stay
/// close to them (a lagged preconditioner: the Newton step stays exact,
/// GMRES may take an iteration more), which spares the factorizations
/// between Newton iterations and between the points of a sweep whose
/// averaged Jacobian does not move (a circuit whose sources change only
/// their amplitudes).
pub struct BlockDiag {
    n: usize,
    pattern: CscPattern,
    lus: Vec<Klu<Complex64>>,
    vals: Vec<Complex64>,
    /// G, C and ω_h of the factors (empty before the first factorization).
    g: Vec<f64>,
    c: Vec<f64>,
    omega: Vec<f64>,
    /// Scratch of [`BlockDiag::close`]: the largest |entry| of each row.
    rowmax: Vec<f64>,
}

/// Largest relative change of the averaged G, C entries that keeps the
/// factors; ω_h must stay within 1e-3 of the factored one.
const LAG_ENTRY: f64 = 0.05;
const LAG_OMEGA: f64 = 1e-3;

impl BlockDiag {
    pub fn new(pattern: &CscPattern, nh: usize) -> Result<BlockDiag, LuError> {
        let mut lus = Vec::with_capacity(nh);
        for _ in 0..nh {
            let mut lu = Klu::new(pattern.clone())?;
            lu.track_reuse = false;
            lus.push(lu);
        }
        Ok(BlockDiag {
            n: pattern.n,
            pattern: pattern.clone(),
            lus,
            vals: vec![Complex64::default(); pattern.nnz()],
            g: Vec::new(),
            c: Vec::new(),
            omega: Vec::new(),
            rowmax: Vec::new(),
        })
    }

    /// Whether this preconditioner was built for `pattern` and `nh` harmonics.
    pub fn fits(&self, pattern: &CscPattern, nh: usize) -> bool {
        self.lus.len() == nh
            && self.pattern.n == pattern.n
            && self.pattern.col_ptr == pattern.col_ptr
            && self.pattern.row_idx == pattern.row_idx
    }

    /// Whether the factors were made from (about) these matrices: every
    /// entry of G and C within [`LAG_ENTRY`] of the factored one, relative
    /// to the larger of the two or to 1e-6 of the largest entry of its row
    /// (an entry that is rounding noise around 0 does not count), and
    /// every ω_h within [`LAG_OMEGA`].
    fn close(&mut self, g: &[f64], c: &[f64], omega: &[f64]) -> bool {
        let nnz = self.pattern.nnz();
        if self.g.len() < nnz || g.len() < nnz || c.len() < nnz || self.omega.len() != omega.len() {
            return false;
        }
        let w_ok = self
            .omega
            .iter()
            .zip(omega)
            .all(|(&x, &y)| (x - y).abs() <= LAG_OMEGA * x.abs().max(y.abs()));
        if !w_ok {
            return false;
        }
        let rows = &self.pattern.row_idx;
        for (old, new) in [(&self.g, g), (&self.c, c)] {
            self.rowmax.clear();
            self.rowmax.resize(self.n, 0.0);
            for (k, &r) in rows.iter().enumerate() {
                let m = &mut self.rowmax[r as usize];
                *m = m.max(new[k].abs());
            }
            for (k, &r) in rows.iter().enumerate() {
                let (x, y) = (old[k], new[k]);
                let scale = x.abs().max(y.abs()).max(1e-6 * self.rowmax[r as usize]);
                if (x - y).abs() > LAG_ENTRY * scale {
                    return false;
                }
            }
        }
        true
    }

    /// Factor unless the factors are [`close`](Self::close) to these
    /// matrices; returns whether it factored.
    pub fn factor_if_changed(
        &mut self,
        g: &[f64],
        c: &[f64],
        omega: &[f64],
    ) -> Result<bool, (usize, Option<usize>)> {
        if self.close(g, c, omega) {
            return Ok(false);
        }
        self.factor(g, c, omega).map(|()| true)
    }

    /// Factor P_h for every harmonic from the value arrays `g`, `c` (CSC
    /// order) and the angular frequencies `omega`. Err: (harmonic, column).
    pub fn factor(
        &mut self,
        g: &[f64],
        c: &[f64],
        omega: &[f64],
    ) -> Result<(), (usize, Option<usize>)> {
        self.g.clear();
        for (h, lu) in self.lus.iter_mut().enumerate() {
            let w = omega[h];
            for ((v, &g), &c) in self.vals.iter_mut().zip(g).zip(c) {
                *v = Complex64::new(g, w * c);
            }
            lu.factor(&mut self.vals).map_err(|e| match e {
                LuError::Singular { col } => (h, col),
                LuError::Failed(_) => (h, None),
            })?;
        }
        self.g.clear();
        self.g.extend_from_slice(g);
        self.c.clear();
        self.c.extend_from_slice(c);
        self.omega.clear();
        self.omega.extend_from_slice(omega);
        Ok(())
    }

    /// r_h ← P_h⁻¹ r_h for every harmonic (harmonic-major blocks of n).
    pub fn solve(&mut self, r: &mut [Complex64]) {
        let n = self.n;
        for (h, lu) in self.lus.iter_mut().enumerate() {
            // a factored LU solves without error
            let _ = lu.solve(&mut r[h * n..(h + 1) * n]);
        }
        for v in r[..n].iter_mut() {
            v.im = 0.0;
        }
    }
}

/// A linear operator with a right preconditioner, on real vectors.
pub trait Operator {
    /// Dimension of the (square) operator.
    fn dim(&self) -> usize;
    /// out = A·v.
    fn apply(&mut self, v: &[f64], out: &mut [f64]);
    /// out = M⁻¹·v.
    fn precondition(&mut self, v: &[f64], out: &mut [f64]);
}

/// Workspace of [`gmres`] (kept for a whole Newton solve). The Krylov
/// bases grow to the number of vectors a cycle needs (at most the restart
/// length) and stay allocated: a well-preconditioned solve of a large
/// circuit holds a few vectors, not the restart length's worth.
pub struct GmresWork {
    m: usize,
    len: usize,
    /// Krylov basis V (up to m + 1 vectors) and the preconditioned basis Z (m).
    v: Vec<f64>,
    z: Vec<f64>,
    /// The residual b − A x of a restart.
    r: Vec<f64>,
    h: Vec<f64>,
    cs: Vec<f64>,
    sn: Vec<f64>,
    g: Vec<f64>,
    w: Vec<f64>,
    /// The small least-squares solution of one cycle.
    y: Vec<f64>,
}

impl GmresWork {
    pub fn new(len: usize, m: usize) -> GmresWork {
        GmresWork {
            m,
            len,
            v: vec![0.0; len],
            z: Vec::new(),
            r: vec![0.0; len],
            h: vec![0.0; (m + 1) * m],
            cs: vec![0.0; m],
            sn: vec![0.0; m],
            g: vec![0.0; m + 1],
            w: vec![0.0; len],
            y: vec![0.0; m],
        }
    }

    /// Whether this workspace is for vectors of length `len`.
    pub fn fits(&self, len: usize) -> bool {
        self.len == len
    }

    /// Room for the basis vectors v_0 … v_{k+1} and z_0 … z_k.
    fn reserve(&mut self, k: usize) {
        let len = self.len;
        if self.v.len() < (k + 2) * len {
            self.v.resize((k + 2) * len, 0.0);
        }
        if self.z.len() < (k + 1) * len {
            self.z.resize((k + 1) * len, 0.0);
        }
    }
}

/// Outcome of [`gmres`].
#[derive(Debug, Clone, Copy)]
pub struct GmresStats {
    pub iterations: usize,
    /// ‖b − A x‖ / ‖b‖ reached.
    pub rel_residual: f64,
    pub converged: bool,
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// Solve A x = b from x = 0 until ‖b − A x‖ ≤ tol·‖b‖ or `max_iter`
/// iterations (restarts every `wk.m`).
pub fn gmres(
    a: &mut dyn Operator,
    b: &[f64],
    x: &mut [f64],
    tol: f64,
    max_iter: usize,
    wk: &mut GmresWork,
) -> GmresStats {
    let len = a.dim();
    let m = wk.m;
    x.fill(0.0);
    let bnorm = dot(b, b).sqrt();
    if bnorm == 0.0 {
        return GmresStats {
            iterations: 0,
            rel_residual: 0.0,
            converged: true,
        };
    }
    let mut total = 0;
    wk.r.copy_from_slice(b);
    let mut rel = 1.0;
    while total < max_iter {
        // r = b − A x (x = 0 on the first cycle)
        if total > 0 {
            a.apply(x, &mut wk.w);
            for ((ri, bi), wi) in wk.r.iter_mut().zip(b).zip(&wk.w) {
                *ri = bi - wi;
            }
        }
        let beta = dot(&wk.r, &wk.r).sqrt();
        rel = beta / bnorm;
        if rel <= tol {
            return GmresStats {
                iterations: total,
                rel_residual: rel,
                converged: true,
            };
        }
        for (vi, ri) in wk.v[..len].iter_mut().zip(&wk.r) {
            *vi = ri / beta;
        }
        wk.g.fill(0.0);
        wk.g[0] = beta;
        let mut k = 0;
        while k < m && total < max_iter {
            // z_k = M⁻¹ v_k, w = A z_k
            wk.reserve(k);
            {
                let (vk, zk) = (
                    &wk.v[k * len..(k + 1) * len],
                    &mut wk.z[k * len..(k + 1) * len],
                );
                a.precondition(vk, zk);
            }
            a.apply(&wk.z[k * len..(k + 1) * len], &mut wk.w);
            for j in 0..=k {
                let vj = &wk.v[j * len..(j + 1) * len];
                let hjk = dot(&wk.w, vj);
                wk.h[j * m + k] = hjk;
                for (wi, vi) in wk.w.iter_mut().zip(vj) {
                    *wi -= hjk * vi;
                }
            }
            let hn = dot(&wk.w, &wk.w).sqrt();
            wk.h[(k + 1) * m + k] = hn;
            if hn > 0.0 {
                for (vi, wi) in wk.v[(k + 1) * len..(k + 2) * len].iter_mut().zip(&wk.w) {
                    *vi = wi / hn;
                }
            }
            // apply the earlier rotations, then a new one
            for j in 0..k {
                let (a0, a1) = (wk.h[j * m + k], wk.h[(j + 1) * m + k]);
                wk.h[j * m + k] = wk.cs[j] * a0 + wk.sn[j] * a1;
                wk.h[(j + 1) * m + k] = -wk.sn[j] * a0 + wk.cs[j] * a1;
            }
            let (a0, a1) = (wk.h[k * m + k], wk.h[(k + 1) * m + k]);
            let d = a0.hypot(a1);
            let (c, s) = if d == 0.0 {
                (1.0, 0.0)
            } else {
                (a0 / d, a1 / d)
            };
            wk.cs[k] = c;
            wk.sn[k] = s;
            wk.h[k * m + k] = d;
            wk.h[(k + 1) * m + k] = 0.0;
            wk.g[k + 1] = -s * wk.g[k];
            wk.g[k] *= c;
            total += 1;
            k += 1;
            rel = wk.g[k].abs() / bnorm;
            if rel <= tol || hn == 0.0 {
                break;
            }
        }
        // y = H⁻¹ g (upper triangular k × k), x += Z y
        let y = &mut wk.y;
        for i in (0..k).rev() {
            let mut s = wk.g[i];
            for (j, yj) in y.iter().enumerate().take(k).skip(i + 1) {
                s -= wk.h[i * m + j] * yj;
            }
            y[i] = if wk.h[i * m + i] != 0.0 {
                s / wk.h[i * m + i]
            } else {
                0.0
            };
        }
        for (j, &yj) in y.iter().enumerate().take(k) {
            for (xi, zi) in x.iter_mut().zip(&wk.z[j * len..(j + 1) * len]) {
                *xi += yj * zi;
            }
        }
        if rel <= tol {
            return GmresStats {
                iterations: total,
                rel_residual: rel,
                converged: true,
            };
        }
    }
    GmresStats {
        iterations: total,
        rel_residual: rel,
        converged: rel <= tol,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A nonsymmetric tridiagonal system with a Jacobi preconditioner:
    /// GMRES reaches the tolerance and the solution satisfies A x = b.
    struct Tri(usize);
    impl Operator for Tri {
        fn dim(&self) -> usize {
            self.0
        }
        fn apply(&mut self, v: &[f64], out: &mut [f64]) {
            let n = self.0;
            for i in 0..n {
                let mut s = 4.0 * v[i];
                if i > 0 {
                    s -= 1.5 * v[i - 1];
                }
                if i + 1 < n {
                    s -= 0.5 * v[i + 1];
                }
                out[i] = s;
            }
        }
        fn precondition(&mut self, v: &[f64], out: &mut [f64]) {
            for (o, x) in out.iter_mut().zip(v) {
                *o = x / 4.0;
            }
        }
    }

    #[test]
    fn gmres_solves_with_restarts() {
        let n = 200;
        let mut a = Tri(n);
        let b: Vec<f64> = (0..n).map(|i| ((i * 7) % 13) as f64 - 6.0).collect();
        let mut x = vec![0.0; n];
        let mut wk = GmresWork::new(n, 8);
        let st = gmres(&mut a, &b, &mut x, 1e-10, 500, &mut wk);
        assert!(st.converged, "{st:?}");
        let mut ax = vec![0.0; n];
        a.apply(&x, &mut ax);
        let err: f64 = ax
            .iter()
            .zip(&b)
            .map(|(p, q)| (p - q).abs())
            .fold(0.0, f64::max);
        assert!(err < 1e-8, "residual {err}");
    }
}
