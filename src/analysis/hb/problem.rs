//! The harmonic-balance equations of one circuit on one frequency grid:
//!
//! ```text
//! R_h(X) = (G_lin + jω_h C_lin)·X_h + F_h(x(t)) + jω_h·Q_h(x(t)) − λ_h·B_h = 0
//! ```
//!
//! for every kept harmonic h (peak phasors; h = 0 is DC, real). Linear
//! devices enter per harmonic exactly (their constant G and C); the
//! nonlinear devices are loaded at the S time samples of x(t) (mode
//! [`Mode::Hb`]) and their F and Q transformed back. The loads also give
//! G(t) and C(t) at the nonlinear devices' slots, which make the exact
//! Jacobian–vector product J·V = (G_lin + jω_h C_lin)·V_h +
//! FFT_h[G(t)·v(t)] + jω_h·FFT_h[C(t)·v(t)] without forming J (Kundert,
//! White & Sangiovanni-Vincentelli 1990, ch. 6) and the time averages Ḡ, C̄
//! of the block-diagonal preconditioner. No device-specific code: every
//! device that stamps F, Q and their Jacobians runs here.
//!
//! Vectors are harmonic-major: entry `h·n + (u − 1)` is unknown u (1-based,
//! ground excluded) at harmonic h.

use super::grid::Grid;
use super::transform::Transform;
use crate::system::{LoadCtx, Mode, NlPattern, System, UnknownKind, Workspace};
use num_complex::Complex64;

/// A failure while evaluating the equations.
#[derive(Debug, Clone, PartialEq)]
pub enum EvalError {
    /// A device returned a NaN/inf at this unknown's row (at sample `sample`).
    NonFinite { unknown: usize, sample: usize },
}

pub struct Problem<'s> {
    pub sys: &'s mut System,
    pub grid: Grid,
    /// Circuit unknowns (ground excluded) and harmonics (DC included).
    pub n: usize,
    pub nh: usize,
    pub pat: NlPattern,
    tr: Transform,
    /// Fundamental angular frequencies [rad/s]; ω_h per harmonic.
    pub w: Vec<f64>,
    pub omega: Vec<f64>,
    /// Excitation B (harmonic-major) and the scale of its non-DC part
    /// (source-amplitude continuation).
    pub b: Vec<Complex64>,
    pub lambda: f64,
    /// Period of the single fundamental [s] (sample times for devices that
    /// read the time), None with several fundamentals.
    pub period: Option<f64>,
    /// Per unknown: index into `pat.reads` / `pat.f_rows`, or u32::MAX.
    read_pos: Vec<u32>,
    row_pos: Vec<u32>,
    /// Samples: x of the read unknowns (reads × S), F and Q of the nonlinear
    /// rows (rows × S), G and C at the nonlinear slots (S × slots).
    xt: Vec<f64>,
    ft: Vec<f64>,
    qt: Vec<f64>,
    gt: Vec<f64>,
    ct: Vec<f64>,
    /// Whether any nonlinear C was nonzero (else the C products are skipped).
    c_used: bool,
    /// Scratch: per nonlinear row the largest F scale over the samples, and
    /// the products G·v, C·v of [`Problem::jv`] (rows × S).
    fmax: Vec<f64>,
    ug: Vec<f64>,
    uc: Vec<f64>,
    /// Spectra of the nonlinear charges (harmonic-major, full n).
    pub qspec: Vec<Complex64>,
    /// Per row (0-based): the scale of the residual tolerance, largest sum
    /// of the magnitudes of its terms over harmonics and samples.
    pub rscale: Vec<f64>,
    ws: Workspace,
    xs: Vec<f64>,
    pub cx: LoadCtx,
    /// Per unknown u (1-based): CSC position of the diagonal (u, u) and its
    /// index among the nonlinear slots, if any.
    diag: Vec<(Option<usize>, Option<usize>)>,
}

impl<'s> Problem<'s> {
    /// Set up for `grid` with the operating point `x_dc` (1-based, for the
    /// probe load that finds the nonlinear rows).
    pub fn new(sys: &'s mut System, grid: Grid, x_dc: &[f64], cx: LoadCtx) -> Problem<'s> {
        let n = sys.n;
        let nh = grid.len();
        let s = grid.samples;
        let pat = sys.nonlinear_pattern(&cx, x_dc);
        let mut read_pos = vec![u32::MAX; n + 1];
        for (j, &u) in pat.reads.iter().enumerate() {
            read_pos[u as usize] = j as u32;
        }
        let mut row_pos = vec![u32::MAX; n + 1];
        for (j, &u) in pat.f_rows.iter().enumerate() {
            row_pos[u as usize] = j as u32;
        }
        let w: Vec<f64> = grid
            .fund
            .iter()
            .map(|f| 2.0 * std::f64::consts::PI * f.freq)
            .collect();
        let period = (grid.fund.len() == 1).then(|| 1.0 / grid.fund[0].freq);
        let tr = Transform::new(s, &grid.bin);
        let ns = pat.slots.len();
        let nr = pat.f_rows.len();
        let mut diag = vec![(None, None); n + 1];
        for (u, d) in diag.iter_mut().enumerate().skip(1) {
            let c = u - 1;
            let pt = &sys.pattern;
            d.0 = (pt.col_ptr[c] as usize..pt.col_ptr[c + 1] as usize)
                .find(|&k| pt.row_idx[k] as usize == c);
        }
        for (j, (&r, &c)) in pat.rows.iter().zip(&pat.cols).enumerate() {
            if r == c {
                diag[r as usize].1 = Some(j);
            }
        }
        let mut p = Problem {
            diag,
            ws: sys.workspace(),
            xs: vec![0.0; n + 1],
            sys,
            n,
            nh,
            tr,
            omega: vec![0.0; nh],
            w,
            b: vec![Complex64::default(); nh * n],
            lambda: 1.0,
            period,
            read_pos,
            row_pos,
            xt: vec![0.0; pat.reads.len() * s],
            ft: vec![0.0; nr * s],
            qt: vec![0.0; nr * s],
            gt: vec![0.0; s * ns],
            ct: vec![0.0; s * ns],
            c_used: false,
            fmax: vec![0.0; nr],
            ug: vec![0.0; nr * s],
            uc: vec![0.0; nr * s],
            qspec: vec![Complex64::default(); nh * n],
            rscale: vec![0.0; n],
            pat,
            grid,
            cx: LoadCtx {
                mode: Mode::Hb,
                first_iter: false,
                init_junctions: false,
                h: 0.0,
                ..cx
            },
        };
        p.set_frequencies();
        p
    }

    /// Recompute ω_h from the fundamentals `w`.
    pub fn set_frequencies(&mut self) {
        for h in 0..self.nh {
            self.omega[h] = self.grid.omega(h, &self.w);
        }
    }

    pub fn samples(&self) -> usize {
        self.grid.samples
    }

    /// x(t) at every sample for the read unknowns, and the nonlinear loads.
    fn sample(&mut self, x: &[Complex64]) -> Result<(), EvalError> {
        let (n, s) = (self.n, self.samples());
        for (j, &u) in self.pat.reads.iter().enumerate() {
            self.tr
                .to_time(x, n, u as usize - 1, &mut self.xt[j * s..(j + 1) * s]);
        }
        self.fmax.fill(0.0);
        for k in 0..s {
            for (j, &u) in self.pat.reads.iter().enumerate() {
                self.xs[u as usize] = self.xt[j * s + k];
            }
            self.cx.time = self.period.map_or(0.0, |t| t * k as f64 / s as f64);
            self.sys
                .load_nonlinear(&self.cx, &self.xs, &mut self.ws, &self.pat);
            for (j, &r) in self.pat.f_rows.iter().enumerate() {
                let r = r as usize;
                let (f, q) = (self.ws.f[r], self.ws.q[r]);
                if !(f.is_finite() && q.is_finite()) {
                    return Err(EvalError::NonFinite {
                        unknown: r,
                        sample: k,
                    });
                }
                self.ft[j * s + k] = f;
                self.qt[j * s + k] = q;
                self.fmax[j] = self.fmax[j].max(self.ws.fscale[r]);
            }
            for (j, &slot) in self.pat.slots.iter().enumerate() {
                self.gt[j * s + k] = self.ws.g[slot as usize];
                let c = self.ws.c[slot as usize];
                self.ct[j * s + k] = c;
                self.c_used |= c != 0.0;
            }
        }
        for (j, &r) in self.pat.f_rows.iter().enumerate() {
            self.rscale[r as usize - 1] = self.rscale[r as usize - 1].max(self.fmax[j]);
        }
        Ok(())
    }

    /// out_h += (G_lin + jω_h C_lin)·v_h for every harmonic; with `scale`,
    /// also the magnitudes of the terms into `rscale` (per row, max over h).
    fn add_linear(&mut self, v: &[Complex64], out: &mut [Complex64], scale: bool) {
        let n = self.n;
        let pt = &self.sys.pattern;
        for h in 0..self.nh {
            let w = self.omega[h];
            let (vh, oh) = (&v[h * n..(h + 1) * n], &mut out[h * n..(h + 1) * n]);
            for (c, &vc) in vh.iter().enumerate() {
                if vc == Complex64::default() {
                    continue;
                }
                for k in pt.col_ptr[c] as usize..pt.col_ptr[c + 1] as usize {
                    let (g, cap) = (self.sys.g_lin[k], self.sys.c_lin[k]);
                    if g == 0.0 && cap == 0.0 {
                        continue;
                    }
                    let r = pt.row_idx[k] as usize;
                    let t = Complex64::new(g, w * cap) * vc;
                    oh[r] += t;
                    if scale {
                        self.rscale[r] = self.rscale[r].max(t.norm());
                    }
                }
            }
        }
    }

    /// The residual R(X) into `r`; also refreshes the samples (for
    /// [`Problem::jv`]), `qspec` and `rscale`.
    pub fn residual(&mut self, x: &[Complex64], r: &mut [Complex64]) -> Result<(), EvalError> {
        let (n, s) = (self.n, self.samples());
        self.rscale.fill(0.0);
        self.c_used = false;
        self.sample(x)?;
        r.fill(Complex64::default());
        self.add_linear(x, r, true);
        self.qspec.fill(Complex64::default());
        for (j, &u) in self.pat.f_rows.iter().enumerate() {
            let i = u as usize - 1;
            self.tr.forward(&self.ft[j * s..(j + 1) * s]);
            for h in 0..self.nh {
                r[h * n + i] += self.tr.phasor(h);
            }
            self.tr.forward(&self.qt[j * s..(j + 1) * s]);
            for h in 0..self.nh {
                let q = self.tr.phasor(h);
                self.qspec[h * n + i] = q;
                let t = Complex64::new(0.0, self.omega[h]) * q;
                r[h * n + i] += t;
                self.rscale[i] = self.rscale[i].max(t.norm());
            }
        }
        for h in 0..self.nh {
            let lam = if h == 0 { 1.0 } else { self.lambda };
            for i in 0..n {
                let b = self.b[h * n + i] * lam;
                r[h * n + i] -= b;
                self.rscale[i] = self.rscale[i].max(b.norm());
            }
        }
        for v in r[..n].iter_mut() {
            v.im = 0.0;
        }
        Ok(())
    }

    /// out = J·v at the samples of the last [`Problem::residual`].
    pub fn jv(&mut self, v: &[Complex64], out: &mut [Complex64]) {
        let (n, s) = (self.n, self.samples());
        let ns = self.pat.slots.len();
        out.fill(Complex64::default());
        self.add_linear(v, out, false);
        // v(t) of the columns, into xt's space (the x samples are not needed
        // again until the next residual)
        let mut vt = std::mem::take(&mut self.xt);
        for (j, &u) in self.pat.reads.iter().enumerate() {
            self.tr
                .to_time(v, n, u as usize - 1, &mut vt[j * s..(j + 1) * s]);
        }
        self.ug.fill(0.0);
        self.uc.fill(0.0);
        for j in 0..ns {
            let row = self.row_pos[self.pat.rows[j] as usize] as usize;
            let col = self.read_pos[self.pat.cols[j] as usize] as usize;
            let vc = &vt[col * s..(col + 1) * s];
            let g = &self.gt[j * s..(j + 1) * s];
            for ((u, gk), vk) in self.ug[row * s..(row + 1) * s].iter_mut().zip(g).zip(vc) {
                *u += gk * vk;
            }
            if self.c_used {
                let c = &self.ct[j * s..(j + 1) * s];
                for ((u, ck), vk) in self.uc[row * s..(row + 1) * s].iter_mut().zip(c).zip(vc) {
                    *u += ck * vk;
                }
            }
        }
        self.xt = vt;
        for (j, &u) in self.pat.f_rows.iter().enumerate() {
            let i = u as usize - 1;
            self.tr.forward(&self.ug[j * s..(j + 1) * s]);
            for h in 0..self.nh {
                out[h * n + i] += self.tr.phasor(h);
            }
            if self.c_used {
                self.tr.forward(&self.uc[j * s..(j + 1) * s]);
                for h in 0..self.nh {
                    out[h * n + i] += Complex64::new(0.0, self.omega[h]) * self.tr.phasor(h);
                }
            }
        }
        for o in out[..n].iter_mut() {
            o.im = 0.0;
        }
    }

    /// out = C̃·v: the charge Jacobian per harmonic, C_lin·v_h +
    /// FFT_h[C(t)·v(t)] (J·v without G and without the factors jω_h), at
    /// the samples of the last residual. A Floquet exponent s of the
    /// solution makes J + s·C̃ singular.
    pub fn cv(&mut self, v: &[Complex64], out: &mut [Complex64]) {
        let (n, s) = (self.n, self.samples());
        let ns = self.pat.slots.len();
        out.fill(Complex64::default());
        let pt = &self.sys.pattern;
        for h in 0..self.nh {
            for c in 0..n {
                for k in pt.col_ptr[c] as usize..pt.col_ptr[c + 1] as usize {
                    let cap = self.sys.c_lin[k];
                    if cap != 0.0 {
                        out[h * n + pt.row_idx[k] as usize] += cap * v[h * n + c];
                    }
                }
            }
        }
        if !self.c_used {
            return;
        }
        let mut vt = std::mem::take(&mut self.xt);
        for (j, &u) in self.pat.reads.iter().enumerate() {
            self.tr
                .to_time(v, n, u as usize - 1, &mut vt[j * s..(j + 1) * s]);
        }
        self.uc.fill(0.0);
        for j in 0..ns {
            let row = self.row_pos[self.pat.rows[j] as usize] as usize;
            let col = self.read_pos[self.pat.cols[j] as usize] as usize;
            let (c, vc) = (&self.ct[j * s..(j + 1) * s], &vt[col * s..(col + 1) * s]);
            for ((u, ck), vk) in self.uc[row * s..(row + 1) * s].iter_mut().zip(c).zip(vc) {
                *u += ck * vk;
            }
        }
        self.xt = vt;
        for (j, &u) in self.pat.f_rows.iter().enumerate() {
            self.tr.forward(&self.uc[j * s..(j + 1) * s]);
            for h in 0..self.nh {
                out[h * n + u as usize - 1] += self.tr.phasor(h);
            }
        }
        for o in out[..n].iter_mut() {
            o.im = 0.0;
        }
    }

    /// ∂R/∂ω_f for fundamental `f` at the last residual's X: j·K_{h,f}·Q_h,
    /// Q_h = C_lin·X_h + Q_nl,h.
    pub fn d_omega(&self, x: &[Complex64], f: usize, out: &mut [Complex64]) {
        let n = self.n;
        let pt = &self.sys.pattern;
        out.fill(Complex64::default());
        for h in 1..self.nh {
            let kf = self.grid.k(h)[f];
            if kf == 0 {
                continue;
            }
            let oh = &mut out[h * n..(h + 1) * n];
            for (o, &q) in oh.iter_mut().zip(&self.qspec[h * n..(h + 1) * n]) {
                *o = q;
            }
            for c in 0..n {
                for k in pt.col_ptr[c] as usize..pt.col_ptr[c + 1] as usize {
                    let cap = self.sys.c_lin[k];
                    if cap != 0.0 {
                        oh[pt.row_idx[k] as usize] += cap * x[h * n + c];
                    }
                }
            }
            let jk = Complex64::new(0.0, kf as f64);
            for o in oh.iter_mut() {
                *o *= jk;
            }
        }
    }

    /// Time averages of G and C at the nonlinear slots: `g_avg`, `c_avg` are
    /// full value arrays (nnz + 1) holding G_lin + Ḡ and C_lin + C̄.
    pub fn averaged_jacobian(&self, g_avg: &mut [f64], c_avg: &mut [f64]) {
        g_avg.copy_from_slice(&self.sys.g_lin);
        c_avg.copy_from_slice(&self.sys.c_lin);
        let s = self.samples();
        for (j, &slot) in self.pat.slots.iter().enumerate() {
            let g: f64 = self.gt[j * s..(j + 1) * s].iter().sum();
            let c: f64 = self.ct[j * s..(j + 1) * s].iter().sum();
            g_avg[slot as usize] += g / s as f64;
            c_avg[slot as usize] += c / s as f64;
        }
    }

    /// Two-sided Fourier coefficients ĝ_p, ĉ_p (p = 0 … S−1, modulo S) of
    /// G(t) and C(t) at nonlinear slot j (index into `pat.slots`), for the
    /// assembled Jacobian.
    pub fn slot_coefficients(&mut self, j: usize, gs: &mut [Complex64], cs: &mut [Complex64]) {
        let s = self.samples();
        for (src, dst) in [(&self.gt, gs), (&self.ct, cs)] {
            self.ug[..s].copy_from_slice(&src[j * s..(j + 1) * s]);
            self.tr.forward(&self.ug[..s]);
            for (p, d) in dst.iter_mut().enumerate().take(s) {
                *d = self.tr.two_sided(p as i64);
            }
        }
    }

    /// Absolute residual tolerance of row u (1-based): abstol for KCL rows,
    /// vntol for branch rows. A device state's row is a rate, whose terms
    /// may all vanish at the solution (a torque balance): its tolerance is
    /// the state's own absolute tolerance times the row's rate scale
    /// |Ḡ_uu| + ω_max·|C̄_uu| (the residual a state error of atol leaves).
    pub fn row_atol(&self, u: usize) -> f64 {
        match self.sys.unknowns[u].kind {
            UnknownKind::Voltage => self.sys.opts.abstol,
            UnknownKind::Current => self.sys.opts.vntol,
            UnknownKind::State => {
                let (lin, nl) = self.diag[u];
                let (mut g, mut c) =
                    lin.map_or((0.0, 0.0), |k| (self.sys.g_lin[k], self.sys.c_lin[k]));
                if let Some(j) = nl {
                    let s = self.samples();
                    for k in 0..s {
                        g += self.gt[j * s + k] / s as f64;
                        c += self.ct[j * s + k] / s as f64;
                    }
                }
                let wmax = self.omega.iter().fold(0.0f64, |a, w| a.max(w.abs()));
                self.sys.atol[u] * (g.abs() + wmax * c.abs())
            }
        }
    }
}
