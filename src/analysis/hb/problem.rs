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

/// One nonzero entry of the linear part: row, column (0-based), value.
#[derive(Clone, Copy)]
struct LinEntry {
    r: u32,
    c: u32,
    v: f64,
}

/// Samples per chunk of [`Problem::sample`].
const CHUNK: usize = 32;

/// Rows of a tile of [`gather`] and [`scatter_add`].
const TILE: usize = 16;

/// |z| without `hypot`'s overflow guards (the HB's phasors are far from
/// 1e150); for tolerance scales and norms.
#[inline(always)]
pub fn fast_norm(z: Complex64) -> f64 {
    (z.re * z.re + z.im * z.im).sqrt()
}

/// dst[j·nh + h] = x[h·n + idx[j] − 1]: the spectra of the unknowns `idx`
/// (1-based) from a harmonic-major vector, a tile of rows at a time so that
/// both sides are read and written in runs.
fn gather(x: &[Complex64], idx: &[u32], nh: usize, n: usize, dst: &mut [Complex64]) {
    for (t, tile) in idx.chunks(TILE).enumerate() {
        let j0 = t * TILE;
        for h in 0..nh {
            let xh = &x[h * n..(h + 1) * n];
            for (jj, &u) in tile.iter().enumerate() {
                dst[(j0 + jj) * nh + h] = xh[u as usize - 1];
            }
        }
    }
}

/// dst[h·n + idx[j] − 1] += src[j·nh + h] (the inverse of [`gather`]).
fn scatter_add(src: &[Complex64], idx: &[u32], nh: usize, n: usize, dst: &mut [Complex64]) {
    for (t, tile) in idx.chunks(TILE).enumerate() {
        let j0 = t * TILE;
        for h in 0..nh {
            let dh = &mut dst[h * n..(h + 1) * n];
            for (jj, &u) in tile.iter().enumerate() {
                dh[u as usize - 1] += src[(j0 + jj) * nh + h];
            }
        }
    }
}

/// out[h] = harmonic h of the samples `y` when `live`, else 0 (a dead
/// signal's samples are stale).
fn spectrum_row(tr: &mut Transform, live: bool, y: &[f64], out: &mut [Complex64]) {
    if live {
        tr.forward(y);
        for (h, o) in out.iter_mut().enumerate() {
            *o = tr.phasor(h);
        }
    } else {
        out.fill(Complex64::default());
    }
}

/// Row stride of a chunk of `cols` signals: whole cache lines, an odd
/// number of them, so that the rows of a chunk fall into different cache
/// sets (a stride of a multiple of 4 KiB would map them all to one).
fn chunk_stride(cols: usize) -> usize {
    let lines = cols.div_ceil(8);
    8 * (lines | 1)
}

/// dst[j·s + k0 + kk] = chunk[kk·stride + j] for kk < b: a chunk of `b`
/// samples (sample-major, `cols` signals, row stride [`chunk_stride`])
/// into signal-major arrays of `s` samples, for the live signals. A dead
/// signal (`live[j]` false: zero so far) that is nonzero in this chunk
/// becomes live, its samples before the chunk zeroed.
/// `nz[j]`: whether signal j is nonzero in this chunk (kept by the loads).
#[allow(clippy::too_many_arguments)]
fn unchunk(
    chunk: &[f64],
    b: usize,
    cols: usize,
    dst: &mut [f64],
    s: usize,
    k0: usize,
    live: &mut [bool],
    nz: &[bool],
) {
    let st = chunk_stride(cols);
    for (j, lj) in live.iter_mut().enumerate().take(cols) {
        if !*lj {
            if !nz[j] {
                continue;
            }
            *lj = true;
            dst[j * s..j * s + k0].fill(0.0);
        }
        let d = &mut dst[j * s + k0..j * s + k0 + b];
        for (kk, dv) in d.iter_mut().enumerate() {
            *dv = chunk[kk * st + j];
        }
    }
}

/// The large buffers of a [`Problem`], kept by a worker between points
/// ([`super::Reuse`]): a new problem resizes them in place instead of
/// allocating (and page-faulting) hundreds of megabytes per point.
#[derive(Default)]
pub struct Scratch {
    xt: Vec<f64>,
    ft: Vec<f64>,
    qt: Vec<f64>,
    gt: Vec<f64>,
    ct: Vec<f64>,
    ug: Vec<f64>,
    uc: Vec<f64>,
    qspec: Vec<Complex64>,
    spec_in: Vec<Complex64>,
    spec_out: Vec<Complex64>,
    b: Vec<Complex64>,
}

/// `v` resized to `len` in its own allocation, contents unspecified (for
/// the sample arrays, written before they are read).
fn sized(mut v: Vec<f64>, len: usize) -> Vec<f64> {
    v.resize(len, 0.0);
    v
}

/// `v` resized to `len` zeros in its own allocation.
fn zeros<T: Clone + Default>(mut v: Vec<T>, len: usize) -> Vec<T> {
    v.clear();
    v.resize(len, T::default());
    v
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
    /// Liveness of the signals of the last residual: per nonlinear row
    /// whether F, Q was nonzero at any sample, per slot whether G, C was;
    /// and per row whether any live slot of G, C is in it. A dead signal
    /// is not stored (its array holds stale values) and not transformed:
    /// the slots a device reserves for its constant stamps (in G_lin,
    /// C_lin) are all dead, and so are most charges.
    f_live: Vec<bool>,
    q_live: Vec<bool>,
    g_live: Vec<bool>,
    c_live: Vec<bool>,
    g_row: Vec<bool>,
    c_row: Vec<bool>,
    /// Per read unknown: whether a live slot is in its column (J·v needs
    /// v(t) of those only).
    col_live: Vec<bool>,
    /// Per signal: nonzero in the current chunk (F, Q rows; G, C slots).
    nz_f: Vec<bool>,
    nz_q: Vec<bool>,
    nz_g: Vec<bool>,
    nz_c: Vec<bool>,
    /// One chunk of consecutive samples, sample-major (chunk × reads, rows,
    /// slots): the loads write here contiguously and the chunk is then
    /// transposed into the signal-major arrays above (strided stores into
    /// arrays of S-long signals would miss the cache at every sample).
    xc: Vec<f64>,
    fc: Vec<f64>,
    qc: Vec<f64>,
    gc: Vec<f64>,
    cc: Vec<f64>,
    /// Spectra of the read unknowns and of the nonlinear rows, unknown-major
    /// (reads × nh, rows × nh), gathered from and added into the
    /// harmonic-major vectors in tiles.
    spec_in: Vec<Complex64>,
    spec_out: Vec<Complex64>,
    /// The linear entries (G_lin, C_lin) that are not both zero, column-major.
    lin: Vec<LinEntry>,
    lin_c: Vec<LinEntry>,
    /// Scratch of [`Problem::add_linear`]: squared term magnitudes per row.
    rs2: Vec<f64>,
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
    /// probe load that finds the nonlinear rows), in the buffers `sc`.
    pub fn new(
        sys: &'s mut System,
        grid: Grid,
        x_dc: &[f64],
        cx: LoadCtx,
        sc: Scratch,
    ) -> Problem<'s> {
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
            b: zeros(sc.b, nh * n),
            lambda: 1.0,
            period,
            read_pos,
            row_pos,
            xt: sized(sc.xt, pat.reads.len() * s),
            ft: sized(sc.ft, nr * s),
            qt: sized(sc.qt, nr * s),
            gt: sized(sc.gt, s * ns),
            ct: sized(sc.ct, s * ns),
            c_used: false,
            f_live: vec![false; nr],
            q_live: vec![false; nr],
            g_live: vec![false; ns],
            c_live: vec![false; ns],
            g_row: vec![false; nr],
            c_row: vec![false; nr],
            col_live: vec![false; pat.reads.len()],
            nz_f: vec![false; nr],
            nz_q: vec![false; nr],
            nz_g: vec![false; ns],
            nz_c: vec![false; ns],
            xc: vec![0.0; CHUNK * chunk_stride(pat.reads.len())],
            fc: vec![0.0; CHUNK * chunk_stride(nr)],
            qc: vec![0.0; CHUNK * chunk_stride(nr)],
            gc: vec![0.0; CHUNK * chunk_stride(ns)],
            cc: vec![0.0; CHUNK * chunk_stride(ns)],
            spec_in: zeros(sc.spec_in, pat.reads.len() * nh),
            spec_out: zeros(sc.spec_out, nr * nh),
            lin: Vec::new(),
            lin_c: Vec::new(),
            rs2: Vec::new(),
            fmax: vec![0.0; nr],
            ug: sized(sc.ug, nr * s),
            uc: sized(sc.uc, nr * s),
            qspec: zeros(sc.qspec, nh * n),
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

    /// Give the large buffers back for the next problem.
    pub fn into_scratch(mut self) -> Scratch {
        use std::mem::take;
        Scratch {
            xt: take(&mut self.xt),
            ft: take(&mut self.ft),
            qt: take(&mut self.qt),
            gt: take(&mut self.gt),
            ct: take(&mut self.ct),
            ug: take(&mut self.ug),
            uc: take(&mut self.uc),
            qspec: take(&mut self.qspec),
            spec_in: take(&mut self.spec_in),
            spec_out: take(&mut self.spec_out),
            b: take(&mut self.b),
        }
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

    /// x(t) at every sample for the read unknowns, and the nonlinear loads:
    /// F, Q of the nonlinear rows and G, C at their slots, signal-major.
    fn sample(&mut self, x: &[Complex64]) -> Result<(), EvalError> {
        let (n, s, nh) = (self.n, self.samples(), self.nh);
        let (nrd, nr, ns) = (
            self.pat.reads.len(),
            self.pat.f_rows.len(),
            self.pat.slots.len(),
        );
        gather(x, &self.pat.reads, nh, n, &mut self.spec_in);
        for j in 0..nrd {
            self.tr.to_time(
                &self.spec_in[j * nh..(j + 1) * nh],
                1,
                0,
                &mut self.xt[j * s..(j + 1) * s],
            );
        }
        self.fmax.fill(0.0);
        for l in [
            &mut self.f_live,
            &mut self.q_live,
            &mut self.g_live,
            &mut self.c_live,
        ] {
            l.fill(false);
        }
        let (sx, sr, ss) = (chunk_stride(nrd), chunk_stride(nr), chunk_stride(ns));
        let mut k0 = 0;
        while k0 < s {
            let b = CHUNK.min(s - k0);
            for j in 0..nrd {
                for (kk, &v) in self.xt[j * s + k0..j * s + k0 + b].iter().enumerate() {
                    self.xc[kk * sx + j] = v;
                }
            }
            for l in [
                &mut self.nz_f,
                &mut self.nz_q,
                &mut self.nz_g,
                &mut self.nz_c,
            ] {
                l.fill(false);
            }
            for kk in 0..b {
                let k = k0 + kk;
                for (&u, &v) in self.pat.reads.iter().zip(&self.xc[kk * sx..kk * sx + nrd]) {
                    self.xs[u as usize] = v;
                }
                self.cx.time = self.period.map_or(0.0, |t| t * k as f64 / s as f64);
                self.sys
                    .load_nonlinear(&self.cx, &self.xs, &mut self.ws, &self.pat);
                let (fc, qc) = (
                    &mut self.fc[kk * sr..kk * sr + nr],
                    &mut self.qc[kk * sr..kk * sr + nr],
                );
                for (j, &r) in self.pat.f_rows.iter().enumerate() {
                    let r = r as usize;
                    let (f, q) = (self.ws.f[r], self.ws.q[r]);
                    if !(f.is_finite() && q.is_finite()) {
                        return Err(EvalError::NonFinite {
                            unknown: r,
                            sample: k,
                        });
                    }
                    fc[j] = f;
                    qc[j] = q;
                    self.nz_f[j] |= f != 0.0;
                    self.nz_q[j] |= q != 0.0;
                    self.fmax[j] = self.fmax[j].max(self.ws.fscale[r]);
                }
                let (gc, cc) = (
                    &mut self.gc[kk * ss..kk * ss + ns],
                    &mut self.cc[kk * ss..kk * ss + ns],
                );
                for (j, &slot) in self.pat.slots.iter().enumerate() {
                    let (g, c) = (self.ws.g[slot as usize], self.ws.c[slot as usize]);
                    gc[j] = g;
                    cc[j] = c;
                    self.nz_g[j] |= g != 0.0;
                    self.nz_c[j] |= c != 0.0;
                }
            }
            unchunk(
                &self.fc,
                b,
                nr,
                &mut self.ft,
                s,
                k0,
                &mut self.f_live,
                &self.nz_f,
            );
            unchunk(
                &self.qc,
                b,
                nr,
                &mut self.qt,
                s,
                k0,
                &mut self.q_live,
                &self.nz_q,
            );
            unchunk(
                &self.gc,
                b,
                ns,
                &mut self.gt,
                s,
                k0,
                &mut self.g_live,
                &self.nz_g,
            );
            unchunk(
                &self.cc,
                b,
                ns,
                &mut self.ct,
                s,
                k0,
                &mut self.c_live,
                &self.nz_c,
            );
            k0 += b;
        }
        self.c_used = self.c_live.iter().any(|&l| l);
        self.g_row.fill(false);
        self.c_row.fill(false);
        self.col_live.fill(false);
        for j in 0..ns {
            let row = self.row_pos[self.pat.rows[j] as usize] as usize;
            let col = self.read_pos[self.pat.cols[j] as usize] as usize;
            self.g_row[row] |= self.g_live[j];
            self.c_row[row] |= self.c_live[j];
            self.col_live[col] |= self.g_live[j] || self.c_live[j];
        }
        for (j, &r) in self.pat.f_rows.iter().enumerate() {
            self.rscale[r as usize - 1] = self.rscale[r as usize - 1].max(self.fmax[j]);
        }
        Ok(())
    }

    /// The nonzero linear entries, from the system's current G_lin, C_lin:
    /// the G part and the C part apart (most entries have one of them).
    fn collect_linear(&mut self) {
        let pt = &self.sys.pattern;
        self.lin.clear();
        self.lin_c.clear();
        for c in 0..self.n {
            for k in pt.col_ptr[c] as usize..pt.col_ptr[c + 1] as usize {
                let (g, cap) = (self.sys.g_lin[k], self.sys.c_lin[k]);
                let (r, c) = (pt.row_idx[k] as u32, c as u32);
                if g != 0.0 {
                    self.lin.push(LinEntry { r, c, v: g });
                }
                if cap != 0.0 {
                    self.lin_c.push(LinEntry { r, c, v: cap });
                }
            }
        }
    }

    /// out_h += (G_lin + jω_h C_lin)·v_h for every harmonic; with `scale`,
    /// also the magnitudes of the terms (G·v and jω C·v apart) into
    /// `rscale` (per row, max over h).
    fn add_linear(&mut self, v: &[Complex64], out: &mut [Complex64], scale: bool) {
        let n = self.n;
        if scale {
            self.rs2.clear();
            self.rs2.resize(n, 0.0);
        }
        for h in 0..self.nh {
            let w = self.omega[h];
            let (vh, oh) = (&v[h * n..(h + 1) * n], &mut out[h * n..(h + 1) * n]);
            for e in &self.lin {
                let t = vh[e.c as usize] * e.v;
                oh[e.r as usize] += t;
                if scale {
                    let m = &mut self.rs2[e.r as usize];
                    *m = m.max(t.re * t.re + t.im * t.im);
                }
            }
            for e in &self.lin_c {
                let t = vh[e.c as usize] * (w * e.v);
                let o = &mut oh[e.r as usize];
                o.re -= t.im;
                o.im += t.re;
                if scale {
                    let m = &mut self.rs2[e.r as usize];
                    *m = m.max(t.re * t.re + t.im * t.im);
                }
            }
        }
        if scale {
            for (m, &q) in self.rscale.iter_mut().zip(&self.rs2) {
                *m = m.max(q.sqrt());
            }
        }
    }

    /// The residual R(X) into `r`; also refreshes the samples (for
    /// [`Problem::jv`]), `qspec` and `rscale`.
    pub fn residual(&mut self, x: &[Complex64], r: &mut [Complex64]) -> Result<(), EvalError> {
        let (n, s, nh) = (self.n, self.samples(), self.nh);
        self.rscale.fill(0.0);
        self.collect_linear();
        self.sample(x)?;
        r.fill(Complex64::default());
        self.add_linear(x, r, true);
        self.qspec.fill(Complex64::default());
        for (j, &u) in self.pat.f_rows.iter().enumerate() {
            let i = u as usize - 1;
            let out = &mut self.spec_out[j * nh..(j + 1) * nh];
            spectrum_row(
                &mut self.tr,
                self.f_live[j],
                &self.ft[j * s..(j + 1) * s],
                out,
            );
            if !self.q_live[j] {
                continue;
            }
            self.tr.forward(&self.qt[j * s..(j + 1) * s]);
            for (h, o) in out.iter_mut().enumerate() {
                let q = self.tr.phasor(h);
                self.qspec[h * n + i] = q;
                let t = Complex64::new(0.0, self.omega[h]) * q;
                *o += t;
                self.rscale[i] = self.rscale[i].max(fast_norm(t));
            }
        }
        scatter_add(&self.spec_out, &self.pat.f_rows, nh, n, r);
        for h in 0..nh {
            let lam = if h == 0 { 1.0 } else { self.lambda };
            let (rh, bh) = (&mut r[h * n..(h + 1) * n], &self.b[h * n..(h + 1) * n]);
            for ((ri, &b), m) in rh.iter_mut().zip(bh).zip(self.rscale.iter_mut()) {
                if b != Complex64::default() {
                    let b = b * lam;
                    *ri -= b;
                    *m = m.max(fast_norm(b));
                }
            }
        }
        for v in r[..n].iter_mut() {
            v.im = 0.0;
        }
        Ok(())
    }

    /// out = J·v at the samples of the last [`Problem::residual`].
    pub fn jv(&mut self, v: &[Complex64], out: &mut [Complex64]) {
        let (n, s, nh) = (self.n, self.samples(), self.nh);
        let ns = self.pat.slots.len();
        out.fill(Complex64::default());
        self.add_linear(v, out, false);
        // v(t) of the columns, into xt's space (the x samples are not needed
        // again until the next residual)
        gather(v, &self.pat.reads, nh, n, &mut self.spec_in);
        for j in (0..self.pat.reads.len()).filter(|&j| self.col_live[j]) {
            self.tr.to_time(
                &self.spec_in[j * nh..(j + 1) * nh],
                1,
                0,
                &mut self.xt[j * s..(j + 1) * s],
            );
        }
        for (j, (&g, &c)) in self.g_row.iter().zip(&self.c_row).enumerate() {
            if g {
                self.ug[j * s..(j + 1) * s].fill(0.0);
            }
            if c {
                self.uc[j * s..(j + 1) * s].fill(0.0);
            }
        }
        for j in 0..ns {
            let (gl, cl) = (self.g_live[j], self.c_live[j]);
            if !(gl || cl) {
                continue;
            }
            let row = self.row_pos[self.pat.rows[j] as usize] as usize;
            let col = self.read_pos[self.pat.cols[j] as usize] as usize;
            let vc = &self.xt[col * s..(col + 1) * s];
            if gl {
                let g = &self.gt[j * s..(j + 1) * s];
                for ((u, gk), vk) in self.ug[row * s..(row + 1) * s].iter_mut().zip(g).zip(vc) {
                    *u += gk * vk;
                }
            }
            if cl {
                let c = &self.ct[j * s..(j + 1) * s];
                for ((u, ck), vk) in self.uc[row * s..(row + 1) * s].iter_mut().zip(c).zip(vc) {
                    *u += ck * vk;
                }
            }
        }
        for j in 0..self.pat.f_rows.len() {
            let o = &mut self.spec_out[j * nh..(j + 1) * nh];
            spectrum_row(&mut self.tr, self.g_row[j], &self.ug[j * s..(j + 1) * s], o);
            if self.c_row[j] {
                self.tr.forward(&self.uc[j * s..(j + 1) * s]);
                for (h, oh) in o.iter_mut().enumerate() {
                    *oh += Complex64::new(0.0, self.omega[h]) * self.tr.phasor(h);
                }
            }
        }
        scatter_add(&self.spec_out, &self.pat.f_rows, nh, n, out);
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
        for j in (0..ns).filter(|&j| self.c_live[j]) {
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
            // (a dead signal's array holds stale values)
            let sum = |live: bool, a: &[f64]| {
                if live {
                    a[j * s..(j + 1) * s].iter().sum()
                } else {
                    0.0
                }
            };
            let g: f64 = sum(self.g_live[j], &self.gt);
            let c: f64 = sum(self.c_live[j], &self.ct);
            g_avg[slot as usize] += g / s as f64;
            c_avg[slot as usize] += c / s as f64;
        }
    }

    /// Two-sided Fourier coefficients ĝ_p, ĉ_p (p = 0 … S−1, modulo S) of
    /// G(t) and C(t) at nonlinear slot j (index into `pat.slots`), for the
    /// assembled Jacobian.
    pub fn slot_coefficients(&mut self, j: usize, gs: &mut [Complex64], cs: &mut [Complex64]) {
        let s = self.samples();
        for (src, dst, live) in [
            (&self.gt, gs, self.g_live[j]),
            (&self.ct, cs, self.c_live[j]),
        ] {
            if !live {
                // (a dead signal's array holds stale values)
                dst.iter_mut().for_each(|c| *c = Complex64::default());
                continue;
            }
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
    /// `wmax` is the largest |ω_h|.
    pub fn row_atol(&self, u: usize, wmax: f64) -> f64 {
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
                        if self.g_live[j] {
                            g += self.gt[j * s + k] / s as f64;
                        }
                        if self.c_live[j] {
                            c += self.ct[j * s + k] / s as f64;
                        }
                    }
                }
                self.sys.atol[u] * (g.abs() + wmax * c.abs())
            }
        }
    }
}
