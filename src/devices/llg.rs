//! Macrospin Landau–Lifshitz–Gilbert–Slonczewski core shared by the MTJ
//! (`mtj.rs`) and AMR (`amr.rs`) devices: effective field, spin torques, the
//! explicit right-hand side ṁ = f(m, I, I_fl, h_th) and its exact Jacobian,
//! plus the thermal-field random numbers and the parameter helpers of the
//! spintronic `Y` devices.
//!
//! Source: `docs/physics/devices.md` §1.2–1.4 and §1.8 (referred to as
//! "devices.md" below), which derives everything from seeds [001] Eq. 4–5,
//! [002] Eq. 2.1–2.13 and the textbook references [S96], [S05], [Br63].
//!
//! Units: SI. m is the unit magnetization (dimensionless), fields H in A/m,
//! currents in A, time in s, γ0 = γμ0 in m/(A·s).
//!
//! Validity: single-domain (macrospin) free layer; torques linear in the
//! current; the field-like torque a fixed fraction β of the damping-like one.

// 3-vector algebra is written with explicit component indices.
#![allow(clippy::needless_range_loop)]

use super::Instance;
use crate::diag::{Diagnostic, Span};

/// Vacuum permeability μ0 [T·m/A] (CODATA 2018).
pub const MU0: f64 = 1.256_637_062_12e-6;
/// Electron gyromagnetic ratio |γ_e| [rad/(s·T)] (CODATA 2018).
pub const GAMMA_E: f64 = 1.760_859_630_23e11;
/// Reduced Planck constant ħ [J·s] (CODATA 2018).
pub const HBAR: f64 = 1.054_571_817e-34;
/// Elementary charge e [C] (exact).
pub const QE: f64 = 1.602_176_634e-19;
/// Boltzmann constant k_B [J/K] (exact).
pub const KB: f64 = 1.380_649e-23;

pub type V3 = [f64; 3];
pub type M3 = [[f64; 3]; 3];

#[inline]
pub fn dot(a: &V3, b: &V3) -> f64 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}

#[inline]
pub fn cross(a: &V3, b: &V3) -> V3 {
    [
        a[1] * b[2] - a[2] * b[1],
        a[2] * b[0] - a[0] * b[2],
        a[0] * b[1] - a[1] * b[0],
    ]
}

/// skew(v) with skew(v)·w = v × w.
#[inline]
pub fn skew(v: &V3) -> M3 {
    [[0.0, -v[2], v[1]], [v[2], 0.0, -v[0]], [-v[1], v[0], 0.0]]
}

#[inline]
pub fn norm(a: &V3) -> f64 {
    dot(a, a).sqrt()
}

/// Spin-torque angular efficiency g(c), c = m·p (devices.md §1.4 table;
/// a_J = ħ g(c) I/(e μ0 Ms V)). Every variant is finite for all c ∈ [−1, 1]
/// under the parameter checks of the devices (η < 1, Λ > 0, and Λ < 1 for
/// `CmtjAlt`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Efficiency {
    /// g = η/2: the standard Slonczewski prefactor ħP/(2e), no angle dependence.
    Const,
    /// g = η Λ²/(Λ² + 1 + (Λ² − 1)c): Slonczewski asymmetry Λ (cmtj default;
    /// Λ = 1 gives η/2).
    Cmtj,
    /// g = η/(1 + Λc): cmtj `setAlternativeSTT` (Taniguchi).
    CmtjAlt,
    /// g = (η/2)/(1 + η²c): MTJ angular factor after Slonczewski 2005 [S05].
    Mtj,
    /// g = 2η/(1 + η²c): seed [001] Eq. 5 taken literally (4× `Mtj`; the
    /// form that reproduces [001]'s threshold, devices.md §1.4).
    Mazza,
    /// g = 1 (the amplitude per ampere is given directly, e.g. the AMR
    /// strip's spin-Hall field k_dl).
    Unit,
}

impl Efficiency {
    pub const NAMES: &'static [&'static str] = &["const", "cmtj", "cmtj_alt", "mtj", "mazza"];

    pub fn from_index(i: usize) -> Efficiency {
        match i {
            0 => Efficiency::Const,
            1 => Efficiency::Cmtj,
            2 => Efficiency::CmtjAlt,
            3 => Efficiency::Mtj,
            _ => Efficiency::Mazza,
        }
    }

    /// (g(c), g'(c)) for polarization/efficiency η and asymmetry Λ.
    #[inline]
    pub fn eval(self, c: f64, eta: f64, lambda: f64) -> (f64, f64) {
        match self {
            Efficiency::Const => (0.5 * eta, 0.0),
            Efficiency::Cmtj => {
                let l2 = lambda * lambda;
                let d = l2 + 1.0 + (l2 - 1.0) * c;
                let g = eta * l2 / d;
                (g, -g * (l2 - 1.0) / d)
            }
            Efficiency::CmtjAlt => {
                let d = 1.0 + lambda * c;
                let g = eta / d;
                (g, -g * lambda / d)
            }
            Efficiency::Mtj => {
                let d = 1.0 + eta * eta * c;
                let g = 0.5 * eta / d;
                (g, -g * eta * eta / d)
            }
            Efficiency::Mazza => {
                let d = 1.0 + eta * eta * c;
                let g = 2.0 * eta / d;
                (g, -g * eta * eta / d)
            }
            Efficiency::Unit => (1.0, 0.0),
        }
    }
}

/// Slonczewski spin torque with a fixed polarizer, written in the explicit
/// (Landau–Lifshitz) form of devices.md Eq. (1.2):
/// contribution −γ0/(1+α²)·[A_d m×(m×p) + A_f m×p] to ṁ, with
/// A_d = cd·a1·g(m·p)·I and A_f = cf·a1·g(m·p)·I [A/m].
#[derive(Debug, Clone, Copy)]
pub struct Stt {
    /// Polarizer unit vector p.
    pub p: V3,
    pub eff: Efficiency,
    pub eta: f64,
    pub lambda: f64,
    /// ħ/(e μ0 Ms V) [A/m per A] (devices.md Eq. 1.6), or k_dl for `Unit`.
    pub a1: f64,
    /// Damping-like and field-like coefficients of the explicit form
    /// (devices.md Eq. 1.3/1.4, with the damping-like multiplier κ):
    /// Gilbert form cd = κ − αβ, cf = −(β + ακ); LL form cd = κ, cf = −β.
    pub cd: f64,
    pub cf: f64,
}

impl Stt {
    /// Coefficients (cd, cf) for the torque form: `gilbert` adds the torques
    /// −γ0 κ a_J m×(m×p) + γ0 β a_J m×p to the Gilbert equation (devices.md
    /// Eq. 1.1, field-like sign of the seeds/cmtj, §1.6); `ll` adds them to
    /// the Landau–Lifshitz form directly (cmtj, [001] Eq. 4).
    pub fn coefficients(gilbert: bool, alpha: f64, beta: f64, kappa: f64) -> (f64, f64) {
        if gilbert {
            (kappa - alpha * beta, -(beta + alpha * kappa))
        } else {
            (kappa, -beta)
        }
    }
}

/// Static description of one macrospin free layer.
#[derive(Debug, Clone)]
pub struct Llg {
    /// γ0 = γμ0 [m/(A·s)].
    pub g0: f64,
    /// Gilbert damping α.
    pub alpha: f64,
    /// External field H_ext [A/m] (constant).
    pub hext: V3,
    /// Uniaxial anisotropy field H_K = 2K_u/(μ0 Ms) [A/m] along the unit axis `kax`.
    pub hk: f64,
    pub kax: V3,
    /// Demagnetizing stiffness Ms·N_ii per axis [A/m] (diagonal N).
    pub nd: V3,
    /// Field per ampere of the device current (Oersted / strip field) [A/m per A].
    pub k_i: V3,
    /// Field per ampere of the field-line current [A/m per A].
    pub k_fl: V3,
    pub stt: Option<Stt>,
}

/// Result of [`Llg::eval`]: ṁ and its partial derivatives.
#[derive(Debug, Clone, Copy, Default)]
pub struct Rhs {
    /// f = ṁ [1/s].
    pub f: V3,
    /// ∂f/∂m [1/s] (row i = component of f, column j = m_j).
    pub dm: M3,
    /// ∂f/∂I [1/(A·s)] (device current) and ∂f/∂I_fl (field-line current).
    pub di: V3,
    pub dfl: V3,
}

impl Llg {
    /// Effective field (devices.md Eq. 1.5) without the thermal term:
    /// H = H_ext + H_K (k·m) k − Ms N m + k_I I + k_fl I_fl [A/m].
    #[inline]
    pub fn field(&self, m: &V3, i: f64, ifl: f64) -> V3 {
        let km = self.hk * dot(&self.kax, m);
        let mut h = [0.0; 3];
        for a in 0..3 {
            h[a] = self.hext[a] + km * self.kax[a] - self.nd[a] * m[a]
                + self.k_i[a] * i
                + self.k_fl[a] * ifl;
        }
        h
    }

    /// Explicit LLGS right-hand side, devices.md Eq. (1.2):
    ///
    /// (1+α²) ṁ = −γ0 m×H − αγ0 m×(m×H) − γ0 A_d m×(m×p) − γ0 A_f m×p
    ///
    /// with H from [`Llg::field`] plus the thermal field `hth`, and its exact
    /// Jacobian (devices.md §1.2, "The Jacobian of (1.2)"), with
    /// K = ∂H/∂m = H_K k kᵀ − diag(Ms N) and skew(v) w = v × w:
    ///
    /// ∂(m×H)/∂m = −skew(H) + skew(m) K,
    /// ∂(m×(m×H))/∂m = (m·H) 1 + m (H + K m)ᵀ − |m|² K − 2 H mᵀ,
    /// ∂(m×p)/∂m = −skew(p), ∂(m×(m×p))/∂m = (m·p) 1 + m pᵀ − 2 p mᵀ,
    /// ∂A/∂m = A'(m·p) pᵀ.
    ///
    /// Valid for any m (no angular coordinates, no singular orientation);
    /// f ⟂ m for every m.
    #[inline]
    pub fn eval(&self, m: &V3, i: f64, ifl: f64, hth: &V3, out: &mut Rhs) {
        let al = self.alpha;
        let k = -self.g0 / (1.0 + al * al);
        let (hk, ka, nd) = (self.hk, &self.kax, &self.nd);
        let kdm = hk * dot(ka, m);
        let mut km = [0.0; 3]; // K m
        let mut h = [0.0; 3];
        for a in 0..3 {
            km[a] = kdm * ka[a] - nd[a] * m[a];
            h[a] = self.hext[a] + km[a] + self.k_i[a] * i + self.k_fl[a] * ifl + hth[a];
        }
        let mh = dot(m, &h);
        let mm = dot(m, m);
        let a1 = cross(m, &h);
        let mut f = [0.0; 3];
        for a in 0..3 {
            // m×H + α m×(m×H), m×(m×H) = m (m·H) − H |m|²
            f[a] = a1[a] + al * (m[a] * mh - h[a] * mm);
        }
        let mxk = cross(m, ka);
        let sh = skew(&h);
        let sm = skew(m);
        let mut jm: M3 = [[0.0; 3]; 3];
        for r in 0..3 {
            for c in 0..3 {
                let kc = hk * ka[r] * ka[c] - if r == c { nd[r] } else { 0.0 };
                let ja = -sh[r][c] + hk * mxk[r] * ka[c] - sm[r][c] * nd[c];
                let jb = if r == c { mh } else { 0.0 } + m[r] * (h[c] + km[c])
                    - mm * kc
                    - 2.0 * h[r] * m[c];
                jm[r][c] = ja + al * jb;
            }
        }
        // ∂f/∂I and ∂f/∂I_fl through the field: m×k + α m×(m×k)
        let field_drive = |kv: &V3| -> V3 {
            let a = cross(m, kv);
            let mk = dot(m, kv);
            [
                a[0] + al * (m[0] * mk - kv[0] * mm),
                a[1] + al * (m[1] * mk - kv[1] * mm),
                a[2] + al * (m[2] * mk - kv[2] * mm),
            ]
        };
        let mut di = field_drive(&self.k_i);
        let dfl = field_drive(&self.k_fl);
        if let Some(s) = &self.stt {
            let p = &s.p;
            let c = dot(m, p);
            let (g, gp) = s.eff.eval(c, s.eta, s.lambda);
            let mp = cross(m, p); // m×p
            let mut mmp = [0.0; 3]; // m×(m×p) = m (m·p) − p |m|²
            for a in 0..3 {
                mmp[a] = m[a] * c - p[a] * mm;
            }
            let ad1 = s.cd * s.a1; // A_d per (g·I)
            let af1 = s.cf * s.a1;
            let (ad, af) = (ad1 * g * i, af1 * g * i);
            let (add, afd) = (ad1 * gp * i, af1 * gp * i); // ∂A/∂c
            let sp = skew(p);
            for r in 0..3 {
                f[r] += ad * mmp[r] + af * mp[r];
                di[r] += ad1 * g * mmp[r] + af1 * g * mp[r];
                let w = mmp[r] * add + mp[r] * afd;
                for cc in 0..3 {
                    let jmmp = if r == cc { c } else { 0.0 } + m[r] * p[cc] - 2.0 * p[r] * m[cc];
                    jm[r][cc] += ad * jmmp - af * sp[r][cc] + w * p[cc];
                }
            }
        }
        for r in 0..3 {
            out.f[r] = k * f[r];
            out.di[r] = k * di[r];
            out.dfl[r] = k * dfl[r];
            for c in 0..3 {
                out.dm[r][c] = k * jm[r][c];
            }
        }
    }

    /// ṁ = f(m, I, I_fl, h_th) alone, without the Jacobian (a residual-only
    /// evaluation, e.g. a chord Newton iteration): the same expressions in
    /// the same order as [`Llg::eval`], so the value is bit-identical.
    #[inline]
    pub fn eval_f(&self, m: &V3, i: f64, ifl: f64, hth: &V3) -> V3 {
        let al = self.alpha;
        let k = -self.g0 / (1.0 + al * al);
        let (hk, ka, nd) = (self.hk, &self.kax, &self.nd);
        let kdm = hk * dot(ka, m);
        let mut h = [0.0; 3];
        for a in 0..3 {
            let km = kdm * ka[a] - nd[a] * m[a];
            h[a] = self.hext[a] + km + self.k_i[a] * i + self.k_fl[a] * ifl + hth[a];
        }
        let mh = dot(m, &h);
        let mm = dot(m, m);
        let a1 = cross(m, &h);
        let mut f = [0.0; 3];
        for a in 0..3 {
            f[a] = a1[a] + al * (m[a] * mh - h[a] * mm);
        }
        if let Some(s) = &self.stt {
            let p = &s.p;
            let c = dot(m, p);
            let (g, _) = s.eff.eval(c, s.eta, s.lambda);
            let mp = cross(m, p);
            let (ad, af) = (s.cd * s.a1 * g * i, s.cf * s.a1 * g * i);
            for r in 0..3 {
                let mmp = m[r] * c - p[r] * mm;
                f[r] += ad * mmp + af * mp[r];
            }
        }
        [k * f[0], k * f[1], k * f[2]]
    }

    /// The change of m that a field `w` [A/m] drives per unit time, and its
    /// Jacobian in m: g(m, w) = −γ0/(1+α²)·[m×w + α m×(m×w)] (the field
    /// terms of [`Llg::eval`], linear in w), ∂g/∂m = −γ0/(1+α²)·[−skew(w) +
    /// α((m·w) 1 + m wᵀ − 2 w mᵀ)]. With w the Wiener increment of the
    /// thermal field over a step it is that step's noise increment of m
    /// (devices.md §1.8).
    pub fn field_drive(&self, m: &V3, w: &V3) -> (V3, M3) {
        let al = self.alpha;
        let k = -self.g0 / (1.0 + al * al);
        let a = cross(m, w);
        let mw = dot(m, w);
        let mm = dot(m, m);
        let sw = skew(w);
        let mut v = [0.0; 3];
        let mut j = [[0.0; 3]; 3];
        for r in 0..3 {
            v[r] = k * (a[r] + al * (m[r] * mw - w[r] * mm));
            for c in 0..3 {
                let id = if r == c { mw } else { 0.0 };
                j[r][c] = k * (-sw[r][c] + al * (id + m[r] * w[c] - 2.0 * w[r] * m[c]));
            }
        }
        (v, j)
    }

    /// Tangent-plane stiffness fields (H1, H2) of the energy at the
    /// equilibrium m0 (zero current) along the orthonormal tangent axes
    /// e1, e2: the diagonal of the Hessian of E/(μ0 Ms V) (oracles.md §a).
    /// Used for the default tolerances and by tests.
    pub fn stiffness(&self, m0: &V3, e: &V3) -> f64 {
        let h0 = self.field(m0, 0.0, 0.0);
        // E/(μ0MsV) = −H_ext·m − H_K (k·m)²/2 + Σ Ms N m²/2; second derivative
        // along the geodesic through m0 in direction e:
        let ke = dot(&self.kax, e);
        let mut nde = 0.0;
        for a in 0..3 {
            nde += self.nd[a] * e[a] * e[a];
        }
        dot(&h0, m0) - self.hk * ke * ke + nde
    }
}

/// Deterministic Gaussian random numbers for the thermal field: xoshiro256**
/// seeded through SplitMix64, Box–Muller transform. Identical on every
/// platform for a given seed.
#[derive(Debug, Clone)]
pub struct Gauss {
    s: [u64; 4],
    spare: Option<f64>,
}

impl Gauss {
    pub fn new(seed: u64) -> Gauss {
        let mut z = seed;
        let mut next = || {
            z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut x = z;
            x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            x ^ (x >> 31)
        };
        Gauss {
            s: [next(), next(), next(), next()],
            spare: None,
        }
    }

    fn next_u64(&mut self) -> u64 {
        let s = &mut self.s;
        let r = s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = s[1] << 17;
        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = s[3].rotate_left(45);
        r
    }

    /// Uniform in (0, 1].
    fn uniform(&mut self) -> f64 {
        ((self.next_u64() >> 11) as f64 + 1.0) * (1.0 / (1u64 << 53) as f64)
    }

    /// A standard normal deviate.
    pub fn normal(&mut self) -> f64 {
        if let Some(v) = self.spare.take() {
            return v;
        }
        let r = (-2.0 * self.uniform().ln()).sqrt();
        let th = std::f64::consts::TAU * self.uniform();
        self.spare = Some(r * th.sin());
        r * th.cos()
    }
}

/// FNV-1a hash of a device name (decorrelates the noise of devices that
/// share a `seed`).
pub fn name_hash(name: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in name.bytes() {
        h ^= b as u64;
        h = h.wrapping_mul(0x0000_0100_0000_01B3);
    }
    h
}

/// Parameter access for the spintronic devices: instance value, else model
/// value, else the default; keyword values; errors with the parameter's span.
pub(crate) struct Params<'i, 'a> {
    pub inst: &'i Instance<'a>,
    pub what: &'static str,
}

impl Params<'_, '_> {
    fn err(&self, name: &str, msg: String) -> Diagnostic {
        Diagnostic::error(self.inst.param_span(name), msg)
    }

    /// Whether the parameter was written (instance or model).
    pub fn has(&self, name: &str) -> bool {
        self.inst.param(name).is_some() || self.inst.word(name).is_some()
    }

    /// A finite number, or the default when absent.
    pub fn num(&self, name: &str, default: f64) -> Result<f64, Diagnostic> {
        match self.inst.param(name) {
            None => Ok(default),
            Some(v) if v.is_finite() => Ok(v),
            Some(v) => Err(match self.inst.word(name) {
                Some((w, _)) => self.err(
                    name,
                    format!(
                        "{name} of {} '{}' must be a number; '{w}' is not a defined parameter",
                        self.what, self.inst.name
                    ),
                ),
                None => self.err(
                    name,
                    format!(
                        "{name} of {} '{}' must be finite (got {v})",
                        self.what, self.inst.name
                    ),
                ),
            }),
        }
    }

    /// A number satisfying `ok` (described by `cond`, e.g. "> 0").
    pub fn num_if(
        &self,
        name: &str,
        default: f64,
        ok: impl Fn(f64) -> bool,
        cond: &str,
    ) -> Result<f64, Diagnostic> {
        let v = self.num(name, default)?;
        if ok(v) {
            Ok(v)
        } else {
            Err(self.err(
                name,
                format!(
                    "{name} of {} '{}' must be {cond} (got {v})",
                    self.what, self.inst.name
                ),
            ))
        }
    }

    /// A vector from three scalar parameters, given as a whole: when the
    /// instance line writes any of the three, the vector is the instance's
    /// components with 0 for the others; else when the model card writes
    /// any, the card's with 0 for the others; else `default`. Never a mix of
    /// written components and defaults, nor of instance and model
    /// components (`kaz=1` alone is the axis z, not (1, 0, 1)/√2).
    pub fn vec3(&self, names: [&str; 3], default: V3) -> Result<V3, Diagnostic> {
        let written = |get: &dyn Fn(&str) -> Option<f64>| names.iter().any(|n| get(n).is_some());
        let on_inst = written(&|n| self.inst.instance_param(n));
        if !on_inst && !written(&|n| self.inst.model_param(n)) {
            return Ok(default);
        }
        let mut v = [0.0; 3];
        for (k, n) in names.iter().enumerate() {
            let got = if on_inst {
                self.inst.instance_param(n)
            } else {
                self.inst.model_param(n)
            };
            if got.is_some() {
                v[k] = self.num(n, 0.0)?;
            }
        }
        Ok(v)
    }

    /// A unit vector from three scalar parameters (normalized; error if zero).
    pub fn unit3(&self, names: [&str; 3], default: V3) -> Result<V3, Diagnostic> {
        let v = self.vec3(names, default)?;
        let n = norm(&v);
        if n > 0.0 && n.is_finite() {
            Ok([v[0] / n, v[1] / n, v[2] / n])
        } else {
            let span = names
                .iter()
                .map(|n| self.inst.param_span(n))
                .find(|s| *s != self.inst.span)
                .unwrap_or(self.inst.span);
            Err(Diagnostic::error(
                span,
                format!(
                    "({}, {}, {}) of {} '{}' must be a nonzero vector",
                    names[0], names[1], names[2], self.what, self.inst.name
                ),
            ))
        }
    }

    /// A keyword among `options` (index), or `default` when absent.
    pub fn keyword(
        &self,
        name: &str,
        options: &[&str],
        default: usize,
    ) -> Result<usize, Diagnostic> {
        if let Some((w, span)) = self.inst.word(name) {
            return match options.iter().position(|o| *o == w) {
                Some(k) => Ok(k),
                None => Err(Diagnostic::error(
                    span,
                    format!(
                        "unknown value '{w}' for {name} of {} '{}'",
                        self.what, self.inst.name
                    ),
                )
                .with_help(format!("accepted: {}", options.join(", ")))),
            };
        }
        if self.inst.param(name).is_some() {
            return Err(self
                .err(
                    name,
                    format!(
                        "{name} of {} '{}' takes a keyword, not a number",
                        self.what, self.inst.name
                    ),
                )
                .with_help(format!("accepted: {}", options.join(", "))));
        }
        Ok(default)
    }

    /// Span of the element line (for errors not tied to one parameter).
    pub fn span(&self) -> Span {
        self.inst.span
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn card() -> Llg {
        Llg {
            g0: GAMMA_E * MU0,
            alpha: 0.03,
            hext: [1.2e4, -3e3, 2.5e4],
            hk: 4e5,
            kax: {
                let v = [0.3, 0.2, 0.9];
                let n = norm(&v);
                [v[0] / n, v[1] / n, v[2] / n]
            },
            nd: [1e4, 3e4, 8e5],
            k_i: [2e6, -1e6, 5e5],
            k_fl: [-3e5, 4e5, 1e5],
            stt: Some(Stt {
                p: [0.6, 0.0, -0.8],
                eff: Efficiency::Mtj,
                eta: 0.66,
                lambda: 1.0,
                a1: 4.785e7,
                cd: 0.97,
                cf: -0.13,
            }),
        }
    }

    /// The analytic Jacobian equals central finite differences, for every
    /// efficiency variant, off the unit sphere too (Newton iterates are not
    /// normalized).
    #[test]
    fn jacobian_matches_finite_differences() {
        let effs = [
            Efficiency::Const,
            Efficiency::Cmtj,
            Efficiency::CmtjAlt,
            Efficiency::Mtj,
            Efficiency::Mazza,
            Efficiency::Unit,
        ];
        for eff in effs {
            let mut l = card();
            if let Some(s) = l.stt.as_mut() {
                s.eff = eff;
                s.lambda = if eff == Efficiency::CmtjAlt { 0.5 } else { 1.7 };
            }
            let m = [0.31, -0.52, 0.83];
            let (i, ifl) = (1.3e-4, -2e-3);
            let hth = [1e3, -2e3, 5e2];
            let mut r = Rhs::default();
            l.eval(&m, i, ifl, &hth, &mut r);
            let scale = r.dm.iter().flatten().fold(0.0f64, |a, v| a.max(v.abs()));
            for c in 0..3 {
                let d = 1e-6;
                let (mut mp, mut mn) = (m, m);
                mp[c] += d;
                mn[c] -= d;
                let (mut rp, mut rn) = (Rhs::default(), Rhs::default());
                l.eval(&mp, i, ifl, &hth, &mut rp);
                l.eval(&mn, i, ifl, &hth, &mut rn);
                for rr in 0..3 {
                    let fd = (rp.f[rr] - rn.f[rr]) / (2.0 * d);
                    assert!(
                        (fd - r.dm[rr][c]).abs() < 1e-7 * scale,
                        "{eff:?} d f{rr}/d m{c}: fd {fd} vs {}",
                        r.dm[rr][c]
                    );
                }
            }
            for (which, x) in [(0, i), (1, ifl)] {
                let d = 1e-9;
                let (mut rp, mut rn) = (Rhs::default(), Rhs::default());
                if which == 0 {
                    l.eval(&m, x + d, ifl, &hth, &mut rp);
                    l.eval(&m, x - d, ifl, &hth, &mut rn);
                } else {
                    l.eval(&m, i, x + d, &hth, &mut rp);
                    l.eval(&m, i, x - d, &hth, &mut rn);
                }
                let an = if which == 0 { r.di } else { r.dfl };
                let s = an.iter().fold(0.0f64, |a, v| a.max(v.abs()));
                for rr in 0..3 {
                    let fd = (rp.f[rr] - rn.f[rr]) / (2.0 * d);
                    assert!((fd - an[rr]).abs() < 1e-6 * s, "{eff:?} {which} {rr}");
                }
            }
            // the residual-only evaluation is bit-identical
            assert_eq!(l.eval_f(&m, i, ifl, &hth), r.f, "{eff:?} eval_f");
            // f ⟂ m for any m
            let fm = dot(&r.f, &m) / (norm(&r.f) * norm(&m));
            assert!(fm.abs() < 1e-14, "f·m = {fm}");
        }
    }

    /// Explicit form (1.2) reproduces the Gilbert equation (1.1): with
    /// A_d, A_f from `Stt::coefficients(gilbert)`, ṁ − α m×ṁ equals
    /// −γ0 m×H − γ0 κ a m×(m×p) + γ0 β a m×p on the unit sphere.
    #[test]
    fn explicit_form_solves_gilbert_equation() {
        let mut l = card();
        let (alpha, beta, kappa) = (l.alpha, 0.2, 0.7);
        let (cd, cf) = Stt::coefficients(true, alpha, beta, kappa);
        let s = l.stt.as_mut().unwrap();
        s.cd = cd;
        s.cf = cf;
        let s = *s;
        let m = {
            let v = [0.2, 0.7, -0.4];
            let n = norm(&v);
            [v[0] / n, v[1] / n, v[2] / n]
        };
        let i = 2e-4;
        let mut r = Rhs::default();
        l.eval(&m, i, 0.0, &[0.0; 3], &mut r);
        let h = l.field(&m, i, 0.0);
        let (g, _) = s.eff.eval(dot(&m, &s.p), s.eta, s.lambda);
        let a = s.a1 * g * i;
        let mxmd = cross(&m, &r.f);
        let mh = cross(&m, &h);
        let mp = cross(&m, &s.p);
        let mmp = cross(&m, &mp);
        for k in 0..3 {
            let lhs = r.f[k] - alpha * mxmd[k];
            let rhs = -l.g0 * mh[k] - l.g0 * kappa * a * mmp[k] + l.g0 * beta * a * mp[k];
            assert!(
                (lhs - rhs).abs() < 1e-12 * l.g0 * 1e6,
                "{k}: {lhs} vs {rhs}"
            );
        }
    }

    #[test]
    fn gaussian_moments() {
        let mut g = Gauss::new(42);
        let n = 200_000;
        let (mut s1, mut s2, mut s4) = (0.0, 0.0, 0.0);
        for _ in 0..n {
            let x = g.normal();
            s1 += x;
            s2 += x * x;
            s4 += x * x * x * x;
        }
        let nf = n as f64;
        assert!((s1 / nf).abs() < 0.01);
        assert!((s2 / nf - 1.0).abs() < 0.01);
        assert!((s4 / nf - 3.0).abs() < 0.05);
    }
}
