//! Magnetic tunnel junction with a macrospin LLGS free layer:
//! `YMTJ name n+ n- [fl+ fl-] model [param=value …]` with `.model name MTJ (…)`.
//!
//! This file also holds [`Macrospin`], the circuit device shared with the AMR
//! spin diode (`amr.rs`): three state unknowns m = (mx, my, mz), a
//! voltage-controlled resistance I = V/R(m, V) between n+ and n−, and an
//! optional field line (a separate resistor between fl+ and fl−, with no DC
//! path to the junction, whose current makes a field).
//!
//! DAE rows (ARCHITECTURE.md; `llg.rs` for f):
//! - state rows, transient: Q = m (C = 1, linear, so stamped once in
//!   `stamp_linear`), F = −f(m, I, I_fl, h_th) with f the explicit LLGS
//!   right-hand side (devices.md Eq. 1.2), so dm/dt = f; a residual-only load
//!   (chord iteration) evaluates I and f without their derivatives;
//! - state rows, DC/operating point (`dcop=eq`, default): the damped
//!   equilibrium F = −f(m, I, I_fl) + κ (m − m/|m|): its tangent part is the
//!   torque balance f = 0 and its radial part pins |m| = 1 (f ⟂ m, so the two
//!   parts are independent and the root has |m| = 1 exactly). The transient
//!   starts from it; `.ac` sees the exact linearized LLGS (the radial row
//!   decouples). `dcop=hold`: F = m − m0 (m frozen at its initial value;
//!   needed when the equilibrium is degenerate, e.g. no field and no anisotropy);
//! - KCL rows: I = V·G(m, V) leaving n+, entering n−; I_fl = (v(fl+) − v(fl−))/R_fl.
//!
//! |m| = 1 is restored after every accepted step (`accept`), as in cmtj
//! (devices.md §1.7); the integrator takes dQ/dt before the projection, so
//! the next step restarts from the unit vector.
//!
//! Thermal field ([Br63], devices.md §1.8): with `noise=1`, each Cartesian
//! component of the field has the Wiener increment ΔW_i = √(D·Δt)·ξ_i over
//! a step, D = 2αk_BT/(γ0 μ0 Ms V) [(A/m)²·s], ξ drawn after each accepted
//! step (reused if the step is rejected and retried with another Δt). The
//! increment enters the *charge* of the state rows, Q = m − g(m̄, ΔW) with
//! g the field drive of the LLG ([`Llg::field_drive`]) at the midpoint m̄ =
//! (m_n + m)/2 of the step, and F keeps the deterministic part: any
//! integration formula then adds the noise increment once per step,
//! m_{n+1} − m_n = (drift) + g(m̄, ΔW), evaluated at the midpoint
//! (Stratonovich, as Brown's equation is meant). With the trapezoidal rule
//! this is the stochastic trapezoidal (midpoint-noise) scheme, whose
//! stationary covariance is exact for the linearized dynamics at any step
//! (the Cayley map preserves the Lyapunov equation); holding the thermal
//! field in F instead (the earlier scheme) puts the previous step's sample
//! into the trapezoid's first half and biases ⟨m²⟩ by ≈ −0.5·α·ωh. `accept`
//! resets the charge to m for the next step (the increment belongs to the
//! step just taken). The noise-induced drift left by the projection is
//! radial. The noisy states are excluded from the truncation-error control,
//! so the step is set by `tmax` (default: the `.tran` step) and by the rest
//! of the circuit.

// 3-vector algebra is written with explicit component indices.
#![allow(clippy::needless_range_loop)]

use super::llg::{self, dot, norm, Efficiency, Gauss, Llg, Params, Rhs, Stt, V3};
use super::{Device, Instance, OutputDesc};
use crate::diag::{DResult, Diagnostic};
use crate::system::{LoadCtx, Setup, Slot, SlotAlloc, Stamp};

/// Resistance law of a macrospin device.
#[derive(Debug, Clone, Copy)]
pub enum RLaw {
    /// MTJ angular law R(θ) = R_P + (R_AP(V) − R_P)(1 − cos θ)/2
    /// (devices.md Eq. 1.7; issue 3, cmtj CLASSIC, [001] Eq. 6), cos θ = m·p.
    Angular {
        rp: f64,
        tmr0: f64,
        vh2inv: f64,
        p: V3,
    },
    /// MTJ conductance (tunnelling) law G(θ) = (G_P + G_AP(V))/2 +
    /// (G_P − G_AP(V))/2·cos θ (devices.md Eq. 1.8).
    Conductance {
        rp: f64,
        tmr0: f64,
        vh2inv: f64,
        p: V3,
    },
    /// AMR strip R = R0 + ΔR (m·ĵ)² = R0 + ΔR cos²Φ ([002] §2.3.1,
    /// devices.md §2.1), ĵ the in-plane current direction.
    Amr { r0: f64, dr: f64, j: V3 },
}

/// Bias-dependent TMR, devices.md Eq. (1.9): TMR(V) = TMR0/(1 + V²/V_h²)
/// and dTMR/dV. `vh2inv` = 1/V_h² (0: no bias dependence).
#[inline]
fn tmr(tmr0: f64, vh2inv: f64, v: f64) -> (f64, f64) {
    if vh2inv == 0.0 {
        return (tmr0, 0.0);
    }
    let id = 1.0 / (1.0 + v * v * vh2inv);
    (tmr0 * id, -tmr0 * 2.0 * v * vh2inv * id * id)
}

impl RLaw {
    /// Junction current I(V, m) [A] and its derivatives ∂I/∂V [S], ∂I/∂m [A].
    #[inline]
    pub fn iv(&self, v: f64, m: &V3) -> (f64, f64, V3) {
        match *self {
            RLaw::Angular {
                rp,
                tmr0,
                vh2inv,
                p,
            } => {
                let c = dot(m, &p);
                let (t, tp) = tmr(tmr0, vh2inv, v);
                let r = rp * (1.0 + 0.5 * t * (1.0 - c));
                let drdc = -0.5 * rp * t;
                let drdv = 0.5 * rp * (1.0 - c) * tp;
                let ir = 1.0 / r;
                let i = v * ir;
                let didv = ir - i * ir * drdv;
                let didc = -i * ir * drdc;
                (i, didv, [didc * p[0], didc * p[1], didc * p[2]])
            }
            RLaw::Conductance {
                rp,
                tmr0,
                vh2inv,
                p,
            } => {
                let c = dot(m, &p);
                let (t, tp) = tmr(tmr0, vh2inv, v);
                let gp = 1.0 / rp;
                let gap = 1.0 / (rp * (1.0 + t));
                let dgap = -tp / (rp * (1.0 + t) * (1.0 + t));
                let g = 0.5 * (gp + gap) + 0.5 * (gp - gap) * c;
                let didv = g + v * 0.5 * (1.0 - c) * dgap;
                let didc = 0.5 * v * (gp - gap);
                (v * g, didv, [didc * p[0], didc * p[1], didc * p[2]])
            }
            RLaw::Amr { r0, dr, j } => {
                let c = dot(m, &j);
                let ir = 1.0 / (r0 + dr * c * c);
                let i = v * ir;
                let didc = -i * ir * 2.0 * dr * c;
                (i, ir, [didc * j[0], didc * j[1], didc * j[2]])
            }
        }
    }

    /// Junction current I(V, m) [A] alone: the value of [`RLaw::iv`]
    /// (same expressions, bit-identical) without the derivatives.
    #[inline]
    pub fn current(&self, v: f64, m: &V3) -> f64 {
        match *self {
            RLaw::Angular {
                rp,
                tmr0,
                vh2inv,
                p,
            } => {
                let c = dot(m, &p);
                let t = tmr(tmr0, vh2inv, v).0;
                v * (1.0 / (rp * (1.0 + 0.5 * t * (1.0 - c))))
            }
            _ => self.iv(v, m).0,
        }
    }

    /// Resistance [Ω] at (V, m).
    pub fn resistance(&self, v: f64, m: &V3) -> f64 {
        match *self {
            RLaw::Angular {
                rp,
                tmr0,
                vh2inv,
                p,
            } => rp * (1.0 + 0.5 * tmr(tmr0, vh2inv, v).0 * (1.0 - dot(m, &p))),
            RLaw::Conductance { .. } => {
                let (i, didv, _) = self.iv(v, m);
                if v != 0.0 {
                    v / i
                } else {
                    1.0 / didv
                }
            }
            RLaw::Amr { r0, dr, j } => {
                let c = dot(m, &j);
                r0 + dr * c * c
            }
        }
    }

    /// Reference direction for `theta` (polarizer p or current direction ĵ).
    pub fn axis(&self) -> V3 {
        match *self {
            RLaw::Angular { p, .. } | RLaw::Conductance { p, .. } => p,
            RLaw::Amr { j, .. } => j,
        }
    }
}

/// Thermal-noise state (devices.md §1.8).
#[derive(Debug, Clone)]
struct Noise {
    /// D = 2αk_BT/(γ0 μ0 Ms V) [(A/m)²·s].
    d: f64,
    rng: Gauss,
    /// Standard normals of the current step.
    xi: V3,
    /// m at the start of the current step (the last accepted point).
    m_start: V3,
}

/// DC / operating-point behaviour of the magnetization.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DcOp {
    /// Damped equilibrium (torque balance with |m| = 1), found by Newton from m0.
    Equilibrium,
    /// m held at m0.
    Hold,
}

/// A macrospin free layer in the circuit (MTJ or AMR strip).
pub struct Macrospin {
    name: String,
    np: usize,
    nn: usize,
    flp: usize,
    fln: usize,
    /// Field-line conductance [S] (0 without a field line).
    gfl: f64,
    /// State unknowns (mx, my, mz).
    im: [usize; 3],
    core: Llg,
    law: RLaw,
    m0: V3,
    dcop: DcOp,
    /// Radial stiffness κ of the DC equilibrium rows [1/s].
    kappa_r: f64,
    noise: Option<Noise>,
    abstol: f64,
    /// Relative tolerance of m (`mreltol`; None: [`default_m_reltol`]).
    reltol: Option<f64>,
    /// KCL rows (n+, n−) × columns (n+, n−, mx, my, mz).
    s_kcl: [[Slot; 5]; 2],
    /// State rows × columns (n+, n−, fl+, fl−, mx, my, mz).
    s_st: [[Slot; 7]; 3],
    s_fl: [Slot; 4],
}

/// Output variables (`@name[var]`) besides the states mx, my, mz.
const OUTPUTS: &[(&str, &str)] = &[
    ("theta", "rad"),
    ("cos", "1"),
    ("r", "Ohm"),
    ("i", "A"),
    ("ifl", "A"),
    ("aj", "A/m"),
    ("mnorm", "1"),
];

/// Settings shared by the MTJ and AMR constructors.
pub(crate) struct Common {
    pub core: Llg,
    pub law: RLaw,
    pub m0: V3,
    pub dcop: DcOp,
    pub rfl: Option<f64>,
    pub noise_d: Option<(f64, u64)>,
    pub abstol: f64,
    pub reltol: Option<f64>,
}

/// Default absolute tolerance of m [1] (Newton update and truncation error).
pub const M_ABSTOL: f64 = 1e-14;

/// Default relative tolerance of m for damping `alpha` and the circuit's
/// `reltol`: the accuracy budget of a precessing magnetization.
///
/// The trapezoidal rule lags a rotation by (ωh)²/12 in frequency whatever
/// the truncation-error test says, and the step the test allows for a
/// precession gives a frequency error ε_f ≈ 4.7e-4·(mreltol/1e-5)^(2/3)
/// (measured on the ringdowns of tests/devices_mtj.rs; theory
/// (84·mreltol)^(2/3)/12 for a rotation at trtol = 7). A driven response
/// (ST-FMR) is a line of relative half width α, so its error relative to
/// the peak is ≈ 2.35·ε_f/α (field-like, the worse part; measured). The
/// default keeps that at 0.35 % of the peak and the free frequency within
/// 8e-5 at reltol = 1e-3, i.e. ε_f = min(8e-5, 1.5e-3·α):
/// mreltol = min(7e-7, 1e-5·(3.17·α)^1.5)·(reltol/1e-3).
/// It scales with `reltol` like the other oscillating states (STNO,
/// resonator). Table of accuracy and cost: docs/spin_devices.md.
pub fn default_m_reltol(alpha: f64, reltol: f64) -> f64 {
    let r = (1e-5 * (3.17 * alpha).powf(1.5)).min(7e-7);
    (r * (reltol / 1e-3)).clamp(1e-12, 0.1)
}

impl Macrospin {
    pub(crate) fn new(inst: &Instance, c: Common) -> Macrospin {
        let (flp, fln) = if inst.nodes.len() == 4 {
            (inst.nodes[2], inst.nodes[3])
        } else {
            (0, 0)
        };
        let hs = [
            norm(&c.core.hext),
            c.core.hk.abs(),
            c.core.nd.iter().fold(0.0f64, |a, v| a.max(v.abs())),
            1.0,
        ]
        .iter()
        .fold(0.0f64, |a, v| a.max(*v));
        let kappa_r = c.core.g0 * hs / (1.0 + c.core.alpha * c.core.alpha);
        let noise = c.noise_d.map(|(d, seed)| {
            let mut rng = Gauss::new(seed ^ llg::name_hash(&inst.name));
            let xi = [rng.normal(), rng.normal(), rng.normal()];
            Noise {
                d,
                rng,
                xi,
                m_start: [0.0; 3],
            }
        });
        Macrospin {
            name: inst.name.clone(),
            np: inst.nodes[0],
            nn: inst.nodes[1],
            flp,
            fln,
            gfl: c.rfl.map(|r| 1.0 / r).unwrap_or(0.0),
            im: [0; 3],
            core: c.core,
            law: c.law,
            m0: c.m0,
            dcop: c.dcop,
            kappa_r,
            noise,
            abstol: c.abstol,
            reltol: c.reltol,
            s_kcl: [[Slot::default(); 5]; 2],
            s_st: [[Slot::default(); 7]; 3],
            s_fl: [Slot::default(); 4],
        }
    }

    #[inline]
    fn m(&self, x: &[f64]) -> V3 {
        [x[self.im[0]], x[self.im[1]], x[self.im[2]]]
    }

    #[inline]
    fn ifl(&self, x: &[f64]) -> f64 {
        (x[self.flp] - x[self.fln]) * self.gfl
    }

    /// The thermal noise increment of the present transient step in the
    /// charge: Q_noise = −g(m̄, ΔW) with m̄ = (m_start + m)/2 and ΔW =
    /// √(D·Δt)·ξ, stamped with its derivative ∂Q/∂m = −½ ∂g/∂m̄ (module doc).
    fn stamp_noise(&self, cx: &LoadCtx, m: &V3, st: &mut Stamp) {
        let Some(nz) = &self.noise else { return };
        if cx.h <= 0.0 || !cx.mode.has_noise() {
            return;
        }
        let s = (nz.d * cx.h).sqrt();
        let w = [s * nz.xi[0], s * nz.xi[1], s * nz.xi[2]];
        let mb = [
            0.5 * (nz.m_start[0] + m[0]),
            0.5 * (nz.m_start[1] + m[1]),
            0.5 * (nz.m_start[2] + m[2]),
        ];
        let (g, j) = self.core.field_drive(&mb, &w);
        for r in 0..3 {
            st.q(self.im[r], -g[r]);
            if st.wants_jacobian() {
                for c in 0..3 {
                    st.c(self.s_st[r][4 + c], -0.5 * j[r][c]);
                }
            }
        }
    }
}

impl Device for Macrospin {
    fn name(&self) -> &str {
        &self.name
    }

    fn setup(&mut self, s: &mut Setup) -> DResult<()> {
        let rt = self
            .reltol
            .unwrap_or_else(|| default_m_reltol(self.core.alpha, s.options().reltol));
        for (k, suffix) in ["mx", "my", "mz"].iter().enumerate() {
            self.im[k] = s.state(suffix, "1", self.abstol, Some(rt));
            if self.noise.is_some() {
                s.exclude_from_lte(self.im[k]);
            }
        }
        Ok(())
    }

    fn slots(&mut self, s: &mut SlotAlloc) {
        let kcl_cols = [self.np, self.nn, self.im[0], self.im[1], self.im[2]];
        for (r, row) in [self.np, self.nn].iter().enumerate() {
            for (c, col) in kcl_cols.iter().enumerate() {
                self.s_kcl[r][c] = s.slot(*row, *col);
            }
        }
        let st_cols = [
            self.np, self.nn, self.flp, self.fln, self.im[0], self.im[1], self.im[2],
        ];
        for r in 0..3 {
            for (c, col) in st_cols.iter().enumerate() {
                self.s_st[r][c] = s.slot(self.im[r], *col);
            }
        }
        self.s_fl = super::slots4(s, self.flp, self.fln);
    }

    fn stamp_linear(&self, g: &mut [f64], c: &mut [f64]) {
        if self.gfl > 0.0 {
            super::stamp4(g, &self.s_fl, self.gfl);
        }
        // Q = m is linear (C = 1 on the state rows): stamped once, not per load
        for r in 0..3 {
            c[self.s_st[r][4 + r].i()] += 1.0;
        }
    }

    fn is_nonlinear(&self) -> bool {
        true
    }

    fn wants_accept(&self) -> bool {
        true
    }

    fn load(&mut self, cx: &LoadCtx, x: &[f64], st: &mut Stamp) {
        let m = self.m(x);
        let v = x[self.np] - x[self.nn];
        let ifl = self.ifl(x);
        let dc = cx.mode.is_dc();
        if !st.wants_jacobian() && !dc {
            // residual only (a chord iteration of the transient Newton): the
            // same I and f as below, without their derivatives
            let i = self.law.current(v, &m);
            st.f(self.np, i);
            st.f(self.nn, -i);
            let f = self.core.eval_f(&m, i, ifl, &[0.0; 3]);
            for r in 0..3 {
                st.f(self.im[r], -f[r]);
            }
            self.stamp_noise(cx, &m, st);
            return;
        }
        let (i, didv, didm) = self.law.iv(v, &m);
        // junction KCL
        st.f(self.np, i);
        st.f(self.nn, -i);
        let kcl = [didv, -didv, didm[0], didm[1], didm[2]];
        for c in 0..5 {
            st.g(self.s_kcl[0][c], kcl[c]);
            st.g(self.s_kcl[1][c], -kcl[c]);
        }
        // magnetization (its charge Q = m is linear: `stamp_linear`)
        if dc && self.dcop == DcOp::Hold {
            for r in 0..3 {
                st.f(self.im[r], m[r] - self.m0[r]);
                st.g(self.s_st[r][4 + r], 1.0);
            }
            return;
        }
        let mut rh = Rhs::default();
        self.core.eval(&m, i, ifl, &[0.0; 3], &mut rh);
        if !dc {
            self.stamp_noise(cx, &m, st);
        }
        for r in 0..3 {
            let row = &self.s_st[r];
            st.f(self.im[r], -rh.f[r]);
            st.g(row[0], -rh.di[r] * didv);
            st.g(row[1], rh.di[r] * didv);
            st.g(row[2], -rh.dfl[r] * self.gfl);
            st.g(row[3], rh.dfl[r] * self.gfl);
            for c in 0..3 {
                st.g(row[4 + c], -(rh.dm[r][c] + rh.di[r] * didm[c]));
            }
        }
        if cx.mode.is_steady() {
            // radial pin: κ (m − m/|m|); ∂/∂m = κ (1 − (1 − m̂m̂ᵀ)/|m|)
            // (also in harmonic balance, where no projection restores |m|)
            let n = norm(&m);
            let (mh, n) = if n > 1e-6 {
                ([m[0] / n, m[1] / n, m[2] / n], n)
            } else {
                (self.m0, 1.0)
            };
            let k = self.kappa_r;
            for r in 0..3 {
                st.f(self.im[r], k * (m[r] - mh[r]));
                for c in 0..3 {
                    let id = if r == c { 1.0 } else { 0.0 };
                    st.g(self.s_st[r][4 + c], k * (id - (id - mh[r] * mh[c]) / n));
                }
            }
        }
    }

    fn accept(&mut self, _cx: &LoadCtx, x: &mut [f64], q: &mut [f64]) {
        let m = self.m(x);
        let n = norm(&m);
        if n > 0.0 && n.is_finite() {
            for r in 0..3 {
                x[self.im[r]] = m[r] / n;
                q[self.im[r]] = m[r] / n;
            }
        }
        let m_acc = self.m(x);
        if let Some(nz) = self.noise.as_mut() {
            nz.xi = [nz.rng.normal(), nz.rng.normal(), nz.rng.normal()];
            nz.m_start = m_acc;
        }
    }

    fn init_unknowns(&self, x: &mut [f64]) {
        for r in 0..3 {
            x[self.im[r]] = self.m0[r];
        }
    }

    fn outputs(&self) -> Vec<OutputDesc> {
        OUTPUTS
            .iter()
            .map(|(v, u)| OutputDesc {
                var: v.to_string(),
                unit: u.to_string(),
            })
            .collect()
    }

    fn output(&self, k: usize, x: &[f64], _cx: &LoadCtx) -> f64 {
        let m = self.m(x);
        let v = x[self.np] - x[self.nn];
        let axis = self.law.axis();
        let n = norm(&m);
        let c = if n > 0.0 {
            dot(&m, &axis) / n
        } else {
            f64::NAN
        };
        match OUTPUTS.get(k).map(|o| o.0) {
            Some("theta") => c.clamp(-1.0, 1.0).acos(),
            Some("cos") => c,
            Some("r") => self.law.resistance(v, &m),
            Some("i") => self.law.iv(v, &m).0,
            Some("ifl") => self.ifl(x),
            Some("aj") => match &self.core.stt {
                Some(s) => {
                    let (g, _) = s.eff.eval(dot(&m, &s.p), s.eta, s.lambda);
                    s.a1 * g * self.law.iv(v, &m).0
                }
                None => 0.0,
            },
            Some("mnorm") => n,
            _ => f64::NAN,
        }
    }

    fn current(&self, x: &[f64], _cx: &LoadCtx) -> Option<f64> {
        Some(self.law.iv(x[self.np] - x[self.nn], &self.m(x)).0)
    }

    /// In `dcop=eq` the DC rows are −f(m) plus the radial pin (which
    /// vanishes in the tangent plane): the tangent plane of m is the space
    /// the stability of the equilibrium is judged in.
    fn dc_dynamics(&self, x: &[f64]) -> Option<super::DcDynamics> {
        if self.dcop != DcOp::Equilibrium {
            return None;
        }
        let m = self.m(x);
        let n = norm(&m);
        if !(n > 0.0 && n.is_finite()) {
            return None;
        }
        let mh = [m[0] / n, m[1] / n, m[2] / n];
        // e1: the axis least aligned with m, made orthogonal; e2 = m̂ × e1
        let k = (0..3)
            .min_by(|&a, &b| mh[a].abs().total_cmp(&mh[b].abs()))
            .unwrap_or(0);
        let mut e1 = [0.0; 3];
        e1[k] = 1.0;
        let d = dot(&e1, &mh);
        for a in 0..3 {
            e1[a] -= d * mh[a];
        }
        let l = norm(&e1);
        let e1 = [e1[0] / l, e1[1] / l, e1[2] / l];
        let e2 = llg::cross(&mh, &e1);
        Some(super::DcDynamics {
            states: self.im.to_vec(),
            basis: vec![e1.to_vec(), e2.to_vec()],
        })
    }

    fn dc_pairs(&self) -> Vec<(usize, usize)> {
        let mut v = vec![(self.np, self.nn)];
        if self.gfl > 0.0 {
            v.push((self.flp, self.fln));
        }
        v
    }
}

/// Parameters accepted on `YMTJ` lines and `.model … MTJ` cards (instance
/// values override model values).
pub const MTJ_PARAMS: &[&str] = &[
    "ms", "alpha", "gamma", "mu0", "ku", "kax", "kay", "kaz", "nx", "ny", "nz", "hx", "hy", "hz",
    "px", "py", "pz", "vol", "area", "tfl", "eta", "eff", "lambda", "beta", "kappa", "torque",
    "rp", "rap", "rlaw", "vh", "koex", "koey", "koez", "kflx", "kfly", "kflz", "rfl", "mx0", "my0",
    "mz0", "dcop", "noise", "temp", "seed", "mabstol", "mreltol",
];

/// Build an MTJ from its instance line and `.model … MTJ` card.
pub fn mtj(inst: &Instance) -> DResult<Box<dyn Device>> {
    let pr = Params { inst, what: "MTJ" };
    check_kind(inst, "mtj", "YMTJ")?;
    if inst.nodes.len() != 2 && inst.nodes.len() != 4 {
        return Err(Diagnostic::error(
            inst.span,
            format!(
                "MTJ '{}' has {} node(s); expected 2 (n+ n-) or 4 (n+ n- fl+ fl-)",
                inst.name,
                inst.nodes.len()
            ),
        )
        .with_help("form: YMTJ name n+ n- [fl+ fl-] model [param=value …]"));
    }
    inst.check_params(MTJ_PARAMS, MTJ_PARAMS)?;
    let ms = required(&pr, "ms", |v| v > 0.0, "> 0")?;
    let alpha = required(&pr, "alpha", |v| v > 0.0, "> 0")?;
    let gamma = pr.num_if("gamma", llg::GAMMA_E, |v| v > 0.0, "> 0")?;
    let mu0 = pr.num_if("mu0", llg::MU0, |v| v > 0.0, "> 0")?;
    let ku = pr.num("ku", 0.0)?;
    let kax = pr.unit3(["kax", "kay", "kaz"], [1.0, 0.0, 0.0])?;
    let nd = pr.vec3(["nx", "ny", "nz"], [0.0, 0.0, 1.0])?;
    for (k, n) in ["nx", "ny", "nz"].iter().zip(nd) {
        pr.num_if(k, n, |v| (0.0..=1.0).contains(&v), "in [0, 1]")?;
    }
    let hext = pr.vec3(["hx", "hy", "hz"], [0.0; 3])?;
    let p = pr.unit3(["px", "py", "pz"], [1.0, 0.0, 0.0])?;
    let vol = volume(&pr)?;
    let eta = pr.num_if("eta", 0.0, |v| v >= 0.0, "≥ 0")?;
    let eff = Efficiency::from_index(pr.keyword("eff", Efficiency::NAMES, 3)?);
    let lambda = pr.num_if("lambda", 1.0, |v| v > 0.0, "> 0")?;
    if matches!(eff, Efficiency::Mtj | Efficiency::Mazza) && eta >= 1.0 {
        return Err(Diagnostic::error(
            inst.param_span("eta"),
            format!(
                "eta of MTJ '{}' must be < 1 with eff=mtj|mazza (g = …/(1 + η² cos θ)); got {eta}",
                inst.name
            ),
        ));
    }
    if eff == Efficiency::CmtjAlt && lambda >= 1.0 {
        return Err(Diagnostic::error(
            inst.param_span("lambda"),
            format!(
                "lambda of MTJ '{}' must be < 1 with eff=cmtj_alt (g = η/(1 + Λ cos θ) is singular at cos θ = −1/Λ); got {lambda}",
                inst.name
            ),
        ));
    }
    let beta = pr.num("beta", 0.0)?;
    let kappa = pr.num("kappa", 1.0)?;
    let gilbert = pr.keyword("torque", &["gilbert", "ll"], 0)? == 0;
    let rp = required(&pr, "rp", |v| v > 0.0, "> 0")?;
    let rap = required(&pr, "rap", |v| v > 0.0, "> 0")?;
    let conductance = pr.keyword("rlaw", &["angular", "conductance"], 0)? == 1;
    let vh2inv = if pr.has("vh") {
        let vh = pr.num_if(
            "vh",
            0.0,
            |v| v > 0.0,
            "> 0 (omit it for no bias dependence)",
        )?;
        1.0 / (vh * vh)
    } else {
        0.0
    };
    let koe = pr.vec3(["koex", "koey", "koez"], [0.0; 3])?;
    let kfl = pr.vec3(["kflx", "kfly", "kflz"], [0.0; 3])?;
    let rfl = pr.num_if("rfl", 10.0, |v| v > 0.0, "> 0")?;
    let tmr0 = rap / rp - 1.0;
    let law = if conductance {
        RLaw::Conductance {
            rp,
            tmr0,
            vh2inv,
            p,
        }
    } else {
        RLaw::Angular {
            rp,
            tmr0,
            vh2inv,
            p,
        }
    };
    let g0 = gamma * mu0;
    let hk = 2.0 * ku / (mu0 * ms);
    let (cd, cf) = Stt::coefficients(gilbert, alpha, beta, kappa);
    let stt = (eta > 0.0).then_some(Stt {
        p,
        eff,
        eta,
        lambda,
        // ħ/(e μ0 Ms V): devices.md Eq. (1.6)
        a1: llg::HBAR / (llg::QE * mu0 * ms * vol),
        cd,
        cf,
    });
    let core = Llg {
        g0,
        alpha,
        hext,
        hk,
        kax,
        nd: [ms * nd[0], ms * nd[1], ms * nd[2]],
        k_i: koe,
        k_fl: kfl,
        stt,
    };
    let m0 = initial_m(&pr, &core)?;
    let dcop = dc_mode(&pr)?;
    let noise_d = thermal(&pr, alpha, g0, mu0, ms, vol)?;
    let (abstol, reltol) = m_tolerances(&pr)?;
    Ok(Box::new(Macrospin::new(
        inst,
        Common {
            core,
            law,
            m0,
            dcop,
            rfl: (inst.nodes.len() == 4).then_some(rfl),
            noise_d,
            abstol,
            reltol,
        },
    )))
}

/// The model card must be of the device's type.
pub(crate) fn check_kind(inst: &Instance, kind: &str, line: &str) -> DResult<()> {
    match inst.model {
        Some(m) if m.kind != kind => Err(Diagnostic::error(
            m.span,
            format!(
                "model '{}' has type '{}', but {line} '{}' needs a type {} model",
                m.name,
                m.kind,
                inst.name,
                kind.to_uppercase()
            ),
        )),
        _ => Ok(()),
    }
}

/// A parameter that must be written (instance or model).
pub(crate) fn required(
    pr: &Params,
    name: &str,
    ok: impl Fn(f64) -> bool,
    cond: &str,
) -> DResult<f64> {
    if !pr.has(name) {
        return Err(Diagnostic::error(
            pr.span(),
            format!(
                "{} '{}' needs parameter '{name}' (on the model card or the instance)",
                pr.what, pr.inst.name
            ),
        ));
    }
    pr.num_if(name, 0.0, ok, cond)
}

/// Free-layer volume [m³]: `vol`, or `area`·`tfl`.
fn volume(pr: &Params) -> DResult<f64> {
    if pr.has("vol") {
        return pr.num_if("vol", 0.0, |v| v > 0.0, "> 0");
    }
    if pr.has("area") || pr.has("tfl") {
        let a = required(pr, "area", |v| v > 0.0, "> 0")?;
        let t = required(pr, "tfl", |v| v > 0.0, "> 0")?;
        return Ok(a * t);
    }
    Err(Diagnostic::error(
        pr.span(),
        format!(
            "MTJ '{}' needs its free-layer volume: 'vol' [m³] or 'area' [m²] and 'tfl' [m]",
            pr.inst.name
        ),
    ))
}

/// Initial magnetization: `mx0 my0 mz0` (normalized), else the anisotropy
/// axis (turned towards H_ext), else the direction of H_ext, else the axis
/// of smallest demagnetizing factor.
pub(crate) fn initial_m(pr: &Params, core: &Llg) -> DResult<V3> {
    if pr.has("mx0") || pr.has("my0") || pr.has("mz0") {
        return pr.unit3(["mx0", "my0", "mz0"], [0.0; 3]);
    }
    let h = norm(&core.hext);
    if core.hk > 0.0 {
        let s = if dot(&core.hext, &core.kax) < 0.0 {
            -1.0
        } else {
            1.0
        };
        return Ok([s * core.kax[0], s * core.kax[1], s * core.kax[2]]);
    }
    if h > 0.0 {
        return Ok([core.hext[0] / h, core.hext[1] / h, core.hext[2] / h]);
    }
    let mut k = 0;
    for a in 1..3 {
        if core.nd[a] < core.nd[k] {
            k = a;
        }
    }
    let mut m = [0.0; 3];
    m[k] = 1.0;
    Ok(m)
}

pub(crate) fn dc_mode(pr: &Params) -> DResult<DcOp> {
    Ok(match pr.keyword("dcop", &["eq", "hold"], 0)? {
        0 => DcOp::Equilibrium,
        _ => DcOp::Hold,
    })
}

/// `mabstol` (default [`M_ABSTOL`]) and `mreltol` (None when not given:
/// [`default_m_reltol`] at setup).
pub(crate) fn m_tolerances(pr: &Params) -> DResult<(f64, Option<f64>)> {
    let rt = if pr.has("mreltol") {
        Some(pr.num_if("mreltol", 0.0, |v| v > 0.0 && v < 1.0, "in (0, 1)")?)
    } else {
        None
    };
    Ok((pr.num_if("mabstol", M_ABSTOL, |v| v > 0.0, "> 0")?, rt))
}

/// Thermal-noise diffusion D = 2αk_BT/(γ0 μ0 Ms V) [(A/m)²·s] (devices.md
/// Eq. 1.10) and the seed, when `noise=1`. `temp` is in kelvin (default: the
/// circuit temperature).
fn thermal(
    pr: &Params,
    alpha: f64,
    g0: f64,
    mu0: f64,
    ms: f64,
    vol: f64,
) -> DResult<Option<(f64, u64)>> {
    let on = pr.num_if("noise", 0.0, |v| v == 0.0 || v == 1.0, "0 or 1")? == 1.0;
    let t = pr.num_if("temp", pr.inst.temp + 273.15, |v| v >= 0.0, "≥ 0 K")?;
    let seed = pr.num_if(
        "seed",
        1.0,
        |v| v >= 0.0 && v.fract() == 0.0 && v < 9.0e15,
        "a non-negative integer",
    )?;
    if !on || t == 0.0 {
        return Ok(None);
    }
    Ok(Some((
        2.0 * alpha * llg::KB * t / (g0 * mu0 * ms * vol),
        seed as u64,
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The value-only current equals the value of `iv`, bit for bit (the
    /// chord iterations of the transient Newton use it).
    #[test]
    fn current_equals_iv_value() {
        let p = [0.6, 0.0, -0.8];
        let laws = [
            RLaw::Angular {
                rp: 640.0,
                tmr0: 0.875,
                vh2inv: 0.0,
                p,
            },
            RLaw::Angular {
                rp: 640.0,
                tmr0: 0.875,
                vh2inv: 4.0,
                p,
            },
            RLaw::Conductance {
                rp: 640.0,
                tmr0: 0.875,
                vh2inv: 4.0,
                p,
            },
            RLaw::Amr {
                r0: 100.0,
                dr: 2.0,
                j: [0.0, 1.0, 0.0],
            },
        ];
        for law in laws {
            for (v, m) in [
                (0.3, [0.31, -0.52, 0.83]),
                (-0.07, [-0.9, 0.1, 0.2]),
                (0.0, [0.0, 0.0, 1.0]),
            ] {
                assert_eq!(law.current(v, &m), law.iv(v, &m).0, "{law:?} {v} {m:?}");
            }
        }
    }
}
