//! The harmonic-balance Jacobian assembled as one real sparse matrix and
//! factored with KLU, for systems small enough (a direct solve then costs
//! less than the Krylov iterations).
//!
//! Real unknowns per circuit unknown u (0-based): DC, then Re and Im of
//! every harmonic: index u·P + p with P = 2·nh − 1, p = 0 (DC), 2h − 1
//! (Re X_h), 2h (Im X_h); the autonomous frequencies follow at n·P + a.
//!
//! Entries (derivation in the module doc of `problem.rs`; peak phasors,
//! x(θ) = X_0 + Σ Re(X_l e^{j m_l θ}), ĝ_p the two-sided coefficients of a
//! nonlinear slot's G(t), m the bins):
//! - linear slot (g, c): per harmonic the 2×2 real form of g + jω_h c;
//! - nonlinear slot: U_0 = ĝ_0 X_0 + Σ_l Re(ĝ_{−m_l} X_l),
//!   U_k = 2ĝ_{m_k} X_0 + Σ_l (ĝ_{m_k−m_l} X_l + ĝ_{m_k+m_l} X̄_l), and the
//!   same with ĉ times jω_k;
//! - ∂R/∂ω_f = j K_{h,f} Q_h (a dense column) and the phase condition row
//!   Im X_{h_f, probe} = 0 of an autonomous fundamental f.

use super::problem::Problem;
use crate::solver::{CscPattern, Klu, LuError};
use num_complex::Complex64;

/// Assembled Jacobian with a fixed pattern and its LU.
pub struct Direct {
    vals: Vec<f64>,
    /// Position in `vals` of every entry, in assembly order.
    order: Vec<u32>,
    lu: Klu<f64>,
    ptr: usize,
    pub dim: usize,
}

/// An autonomous fundamental in the assembled system.
pub struct Border {
    pub fund: usize,
    /// Probe unknown (0-based) and its fundamental harmonic.
    pub probe: usize,
    pub harmonic: usize,
    /// Scale of the frequency unknown (ω = ω0·(1 + ν)).
    pub w0: f64,
}

/// Entries in assembly order: (row, col). Shared by the pattern pass and
/// every value pass, so positions stay fixed.
fn visit(p: &Problem, borders: &[Border], mut f: impl FnMut(usize, usize)) {
    let (n, nh) = (p.n, p.nh);
    let np = 2 * nh - 1;
    let pt = &p.sys.pattern;
    for c in 0..n {
        for k in pt.col_ptr[c] as usize..pt.col_ptr[c + 1] as usize {
            if p.sys.g_lin[k] == 0.0 && p.sys.c_lin[k] == 0.0 {
                continue;
            }
            let r = pt.row_idx[k] as usize;
            f(r * np, c * np);
            for h in 1..nh {
                for (a, b) in [(0, 0), (0, 1), (1, 0), (1, 1)] {
                    f(r * np + 2 * h - 1 + a, c * np + 2 * h - 1 + b);
                }
            }
        }
    }
    for j in 0..p.pat.slots.len() {
        let (r, c) = (p.pat.rows[j] as usize - 1, p.pat.cols[j] as usize - 1);
        for a in 0..np {
            for b in 0..np {
                f(r * np + a, c * np + b);
            }
        }
    }
    for (a, bd) in borders.iter().enumerate() {
        for row in 0..n * np {
            f(row, n * np + a);
        }
        f(n * np + a, bd.probe * np + 2 * bd.harmonic);
    }
}

impl Direct {
    /// The pattern of `p` (with these autonomous borders), analysed once.
    pub fn new(p: &Problem, borders: &[Border]) -> Result<Direct, LuError> {
        let np = 2 * p.nh - 1;
        let dim = p.n * np + borders.len();
        let mut entries: Vec<(u32, u32, u32)> = Vec::new();
        visit(p, borders, |r, c| {
            let k = entries.len() as u32;
            entries.push((c as u32, r as u32, k));
        });
        entries.sort_unstable();
        let mut col_ptr = vec![0i32; dim + 1];
        let mut row_idx: Vec<i32> = Vec::new();
        let mut order = vec![0u32; entries.len()];
        let mut last: Option<(u32, u32)> = None;
        for &(c, r, k) in &entries {
            if last != Some((c, r)) {
                row_idx.push(r as i32);
                col_ptr[c as usize + 1] += 1;
                last = Some((c, r));
            }
            order[k as usize] = row_idx.len() as u32 - 1;
        }
        for c in 0..dim {
            col_ptr[c + 1] += col_ptr[c];
        }
        let pattern = CscPattern {
            n: dim,
            col_ptr,
            row_idx,
        };
        let vals = vec![0.0; pattern.nnz()];
        let mut lu = Klu::new(pattern)?;
        lu.track_reuse = false;
        Ok(Direct {
            vals,
            order,
            lu,
            ptr: 0,
            dim,
        })
    }

    #[inline]
    fn put(&mut self, v: f64) {
        self.vals[self.order[self.ptr] as usize] += v;
        self.ptr += 1;
    }

    /// Assemble at the samples of the last residual (with the state `x` for
    /// the autonomous columns) and factor. Err: the singular real column.
    pub fn factor(
        &mut self,
        p: &mut Problem,
        x: &[Complex64],
        borders: &[Border],
    ) -> Result<(), LuError> {
        self.vals.fill(0.0);
        self.ptr = 0;
        let (n, nh) = (p.n, p.nh);
        for c in 0..n {
            let pt = &p.sys.pattern;
            for k in pt.col_ptr[c] as usize..pt.col_ptr[c + 1] as usize {
                let (g, cap) = (p.sys.g_lin[k], p.sys.c_lin[k]);
                if g == 0.0 && cap == 0.0 {
                    continue;
                }
                self.put(g);
                for h in 1..nh {
                    let wc = p.omega[h] * cap;
                    for v in [g, -wc, wc, g] {
                        self.put(v);
                    }
                }
            }
        }
        let s = p.samples();
        let mut gs = vec![Complex64::default(); s];
        let mut cs = vec![Complex64::default(); s];
        let bins = p.grid.bin.clone();
        for j in 0..p.pat.slots.len() {
            p.slot_coefficients(j, &mut gs, &mut cs);
            let at = |v: &[Complex64], m: i64| v[m.rem_euclid(s as i64) as usize];
            for k in 0..nh {
                let jw = Complex64::new(0.0, p.omega[k]);
                for re_k in [true, false].into_iter().take(if k == 0 { 1 } else { 2 }) {
                    // derivative of output (k, re/im) w.r.t. each input
                    for l in 0..nh {
                        let (dre, dim) = if k == 0 && l == 0 {
                            (at(&gs, 0), Complex64::default())
                        } else if k == 0 {
                            let gm = at(&gs, -bins[l]);
                            (gm, Complex64::new(0.0, 1.0) * gm)
                        } else if l == 0 {
                            (
                                2.0 * (at(&gs, bins[k]) + jw * at(&cs, bins[k])),
                                Complex64::default(),
                            )
                        } else {
                            let (d, sm) = (bins[k] - bins[l], bins[k] + bins[l]);
                            let gd = at(&gs, d) + jw * at(&cs, d);
                            let gsum = at(&gs, sm) + jw * at(&cs, sm);
                            (gd + gsum, Complex64::new(0.0, 1.0) * (gd - gsum))
                        };
                        let pick = |z: Complex64| if re_k { z.re } else { z.im };
                        if l == 0 {
                            self.put(pick(dre));
                        } else {
                            self.put(pick(dre));
                            self.put(pick(dim));
                        }
                    }
                }
            }
        }
        let mut d = vec![Complex64::default(); nh * n];
        for bd in borders {
            p.d_omega(x, bd.fund, &mut d);
            for u in 0..n {
                self.put(d[u].re * bd.w0);
                for h in 1..nh {
                    let z = d[h * n + u] * bd.w0;
                    self.put(z.re);
                    self.put(z.im);
                }
            }
            self.put(1.0);
        }
        debug_assert_eq!(self.ptr, self.order.len());
        self.lu.factor(&mut self.vals)
    }

    /// Solve in place (real layout of the module doc).
    pub fn solve(&mut self, b: &mut [f64]) -> Result<(), LuError> {
        self.lu.solve(b)
    }
}

/// Complex harmonic-major vector (n per harmonic) → the real layout.
pub fn to_real(x: &[Complex64], n: usize, nh: usize, out: &mut [f64]) {
    let np = 2 * nh - 1;
    for u in 0..n {
        out[u * np] = x[u].re;
        for h in 1..nh {
            out[u * np + 2 * h - 1] = x[h * n + u].re;
            out[u * np + 2 * h] = x[h * n + u].im;
        }
    }
}

/// The real layout → complex harmonic-major.
pub fn from_real(v: &[f64], n: usize, nh: usize, out: &mut [Complex64]) {
    let np = 2 * nh - 1;
    for u in 0..n {
        out[u] = Complex64::new(v[u * np], 0.0);
        for h in 1..nh {
            out[h * n + u] = Complex64::new(v[u * np + 2 * h - 1], v[u * np + 2 * h]);
        }
    }
}
