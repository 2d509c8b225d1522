//! Spin-torque nano-oscillator `YSTNO name n+ n- model [param=value …]`: the
//! universal auto-oscillator of Slavin & Tiberkevich ([ST09]: IEEE Trans.
//! Magn. 45, 1875 (2009)) inside the circuit. Specification:
//! `docs/physics/devices.md` §3; oracles: `docs/physics/oracles.md` §d.
//!
//! # Equations (SI units)
//!
//! **Level 1** (default, phase resolved). State: the complex amplitude
//! c = √p·e^{−iφ} stored as two real unknowns `cr` = Re c, `ci` = Im c
//! (dimensionless; p = |c|² is the normalised power, φ the phase):
//!
//! ```text
//! dc/dt = −i ω(p) c − Γ_G (1 + Q p) c + σ I_st (1 − p) c + (κ/ω0) e^{iχ} dI/dt + ζ(t)   (3.1, 3.3)
//! ω(p) = ω0 + N p,   σ = Γ_G / I_th,   ξ = I_st / I_th
//! ```
//!
//! ([ST09] Eq. 8–14 with Γ₊ = Γ_G(1+Qp), Γ₋ = σI(1−p); seeds 000 Eq. 3,
//! 002 Eq. 5.2; devices.md §3.1.) I is the device current (n+ → n−, a branch
//! unknown), I_st = clamp(I, −I_clamp, I_clamp) the current that exerts the
//! spin torque (`iclamp`, seed 000 Methods: 8 mA), ζ an optional thermal noise.
//! The injection term (devices.md §3.3) couples to the *time derivative* of
//! the device current, so DC bias exerts no force; for I = I_dc + I_rf cos ω_e t
//! its co-rotating component is F = κ I_rf ω_e/(2ω0) and the locking range is
//! |ω_e − ω_g| ≤ (F/√p0)√(1+ν²), ν = N/(Γ_G(ξ+Q)) (oracles.md §d.4, Eq. D3–D4).
//! In the DAE: Q_c = c − (κ/ω0)e^{iχ} I (no extra state), F_c = the rest with
//! the sign reversed.
//!
//! Electrical branch (devices.md §3.2): V(n+) − V(n−) = R(t)·I with
//! R = R0 + ΔR_osc·Re c = R0 + ΔR_osc √p cos φ, so a DC bias makes the device
//! emit RF at ω(p) and the RF current of other devices can lock it.
//!
//! **Level 2** (power only, no phase; devices.md §3.4). State `p`:
//!
//! ```text
//! dp/dt = −2 [Γ_G (1 + Q p) − σ I_st (1 − p)] p                                     (3.5)
//! ```
//!
//! With Q = 0, Γ_G = γ/2 and σ = ½·(1 GHz/mA) this is the thesis' dynamical
//! neuron dx/dt = −γx + I(t)x(1−x) (seed 002 Eq. 5.3); its steady state
//! p0 = (ξ−1)/(ξ+Q) is seed 000 Eq. 3 and the algebraic neuron of the RF
//! network code (seed 004-code, `LayerOscillators`). The electrical branch
//! is R = R0 (no RF emission).
//!
//! Closed forms the tests check (oracles.md §d): steady power
//! p0 = (ξ−1)/(ξ+Q) for ξ > 1; relaxation rate of p toward it 2Γ_G(ξ−1);
//! frequency ω0 + N p0.
//!
//! # DC solution (`.op`, `.dc`, the operating point before `.tran`)
//!
//! An auto-oscillation is not a DC state in the lab frame, so in DC the state
//! equations are replaced by the steady state of the oscillator at the DC
//! current, p_dc = max(p0(ξ), p_init), with p0 = 0 below threshold:
//! - level 1: c = −i√p_dc, i.e. phase φ = π/2 (the phase is free; this choice
//!   makes Re c = 0, so the DC resistance is R0, the time average of R(t));
//! - level 2: p = p_dc.
//!
//! The floor `pinit` (default 1e-6) seeds the instability: c = 0 is a fixed
//! point of (3.1) that a noiseless transient could never leave. `pinit = 0`
//! gives exactly p = 0 below threshold. With `uic` the transient starts from
//! c = √pinit·e^{−i·phinit} (level 2: p = pinit) instead.
//!
//! # Thermal noise (level 1, optional)
//!
//! ζ = ζ_r + iζ_i with ⟨ζ(t)ζ*(t')⟩ = 2D_n δ(t−t') (devices.md §3.3), i.e.
//! each real component has intensity D_n [1/s]. It is realised as a piecewise
//! linear interpolation of independent Gaussian samples on a fixed grid of
//! spacing Δt_n = `tnoise`, drawn from a counter-based generator keyed by
//! (`seed`, grid index): the noise is a fixed function of time, identical for
//! rejected and repeated steps and for any step sequence. The power spectral
//! density of that process is σ²Δt_n·sinc⁴(fΔt_n); the sample variance
//! σ² = D_n/(Δt_n sinc⁴(f0Δt_n)) makes it exactly D_n at f0, where the
//! oscillator picks it up (the rotating frame). In this normalisation the phase
//! diffuses as Var[φ(t+τ) − φ(t)] = (D_n/p0)(1 + ν²)·τ for τ ≫ 1/Γ_p and
//! ⟨δp²⟩ = p0·D_n/Γ_p (linearised, Γ_p = Γ_G(ξ−1)); the Lorentzian line has a
//! half width at half maximum of (D_n/(2p0))(1+ν²) rad/s. Steps longer than
//! Δt_n are refused (the Newton iteration is marked as limited), so set
//! `.tran` tstep or tmax ≤ tnoise.
//!
//! # Accuracy
//!
//! The trapezoidal rule lags a rotation by (ωh)²/12 in frequency whatever the
//! local-error test says. The amplitude states therefore carry their own
//! tolerances, reltol_c = `CR_TOL`·reltol (absolute: half of it): about 85
//! steps per period and a frequency error of ≈ 4e-4 at the default
//! reltol = 1e-3 (measured −4.3e-4), scaling as reltol^{2/3} (−2e-5 at 1e-5).
//!
//! # Validity
//!
//! Weakly nonlinear regime (p ≲ 0.5), a single dominant mode; injection and
//! mutual locking in the weak-forcing limit F ≪ Γ_p√p0 ([ST09]; oracles.md
//! §d). ΔR_osc ≤ R0 keeps R > 0 for p < 1 (p stays below 1 from any
//! start below 1).
//!
//! # Parameters (instance overrides model; `.model name STNO (…)`)
//!
//! | name | meaning | unit | default |
//! |---|---|---|---|
//! | `level` | 1 = complex amplitude, 2 = power only | – | 1 |
//! | `f0` | linear frequency ω0/2π (> 0) | Hz | 1e9 |
//! | `nshift` | nonlinear frequency shift N/2π | Hz | 0 |
//! | `gammag` | Gilbert damping rate Γ_G of the mode (> 0) | 1/s | 2π·10e6 |
//! | `ith` | threshold current I_th = Γ_G/σ (> 0) | A | 1e-3 |
//! | `sigma` | spin-torque efficiency σ (> 0; alternative to `ith`) | 1/(A·s) | Γ_G/I_th |
//! | `q` | nonlinear damping Q (≥ 0) | – | 0 |
//! | `r0` | mean resistance R0 (> 0) | Ω | 100 |
//! | `drosc` | oscillating magnetoresistance ΔR_osc (0 ≤ ΔR_osc ≤ R0) | Ω | 0 |
//! | `kinj` | injection coupling κ (level 1) | 1/(A·s) | 0 |
//! | `chiinj` | injection phase χ | rad | 0 |
//! | `iclamp` | clamp of the spin-torque current, \|I_st\| ≤ I_clamp (> 0) | A | ∞ |
//! | `pinit` | seed power / `uic` initial power (0 ≤ p < 1) | – | 1e-6 |
//! | `phinit` | `uic` initial phase (level 1) | rad | π/2 |
//! | `dn` | noise intensity D_n (≥ 0; level 1) | 1/s | 0 |
//! | `tnoise` | noise sample spacing Δt_n (> 0) | s | 1/(40 f0) |
//! | `seed` | noise seed (integer ≥ 0) | – | 1 |
//!
//! # Unknowns and outputs (`@name[var]`)
//!
//! Unknowns: `i(name)` (branch current, A); level 1 states `cr`, `ci`
//! (Re c, Im c); level 2 state `p`. Derived outputs: `p` (level 1), `phase`
//! (φ = −arg c in (−π, π], rad; level 1), `r` (Ω), `freq` (ω(p)/2π, Hz),
//! `xi` (I_st/I_th), `prf` (power into a matched load through a DC block,
//! I²ΔR_osc² p/(8R0), W, devices.md §3.2; level 1 and 2).

use super::{Device, Instance, OutputDesc};
use crate::diag::{DResult, Diagnostic, Span};
use crate::system::{LoadCtx, Setup, Slot, SlotAlloc, Stamp};
use std::f64::consts::{FRAC_PI_2, PI};

/// Parameters accepted on the instance line and in the model card.
const PARAMS: &[&str] = &[
    "level", "f0", "nshift", "gammag", "ith", "sigma", "q", "r0", "drosc", "kinj", "chiinj",
    "iclamp", "pinit", "phinit", "dn", "tnoise", "seed",
];

/// Relative tolerance of the amplitude states cr, ci per unit of the
/// circuit's `reltol` (their absolute tolerance is half of it).
const CR_TOL: f64 = 0.003;

/// Counter-based Gaussian noise on a fixed time grid (see the module doc).
#[derive(Debug, Clone)]
struct Noise {
    /// Sample standard deviation per real component.
    sigma: f64,
    /// Grid spacing [s].
    dt: f64,
    seed: u64,
}

/// SplitMix64 finaliser: a bijective 64-bit mix (Steele, Lea & Flood 2014).
fn mix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

impl Noise {
    /// Two independent standard normal samples for grid index `k`
    /// (Box–Muller on two uniforms from the hashed counter).
    fn normals(&self, k: u64) -> (f64, f64) {
        let h1 = mix64(self.seed.wrapping_mul(0xD1B5_4A32_D192_ED03) ^ mix64(k));
        let h2 = mix64(h1 ^ 0x6A09_E667_F3BC_C909);
        // uniforms in (0, 1]
        let u1 = ((h1 >> 11) as f64 + 1.0) * (1.0 / (1u64 << 53) as f64);
        let u2 = (h2 >> 11) as f64 * (1.0 / (1u64 << 53) as f64);
        let r = (-2.0 * u1.ln()).sqrt();
        let (s, c) = (2.0 * PI * u2).sin_cos();
        (r * c, r * s)
    }
    /// ζ(t) = (ζ_r, ζ_i): linear interpolation of the samples around t.
    fn at(&self, t: f64) -> (f64, f64) {
        let u = (t / self.dt).max(0.0);
        let k = u.floor();
        let f = u - k;
        let k = k as u64;
        let (a0, b0) = self.normals(k);
        let (a1, b1) = self.normals(k + 1);
        (
            self.sigma * ((1.0 - f) * a0 + f * a1),
            self.sigma * ((1.0 - f) * b0 + f * b1),
        )
    }
}

/// The universal auto-oscillator device (see the module documentation).
pub struct Stno {
    name: String,
    a: usize,
    b: usize,
    /// Branch current unknown.
    br: usize,
    /// Level 1: Re c; level 2: p.
    s0: usize,
    /// Level 1: Im c (unused at level 2).
    s1: usize,
    power_only: bool,
    /// ω0 [rad/s], N [rad/s], Γ_G [1/s], σ [1/(A·s)].
    w0: f64,
    nsh: f64,
    gg: f64,
    sigma: f64,
    ith: f64,
    q: f64,
    r0: f64,
    dr: f64,
    /// κ/ω0 · (cos χ, sin χ) [1/A].
    inj: (f64, f64),
    iclamp: f64,
    pinit: f64,
    phinit: f64,
    noise: Option<Noise>,
    // slots: linear branch pattern (a,br) (b,br) (br,a) (br,b)
    s_lin: [Slot; 4],
    s_brbr: Slot,
    s_brc: Slot,
    /// (s0,s0) (s0,s1) (s1,s0) (s1,s1)
    s_cc: [Slot; 4],
    /// (s0,br) (s1,br)
    s_ci: [Slot; 2],
}

impl Stno {
    /// Build from a `YSTNO` line. `type_span` is the span of the `STNO` type
    /// word (for errors that concern the line as a whole, the line is used).
    pub fn from_instance(inst: &Instance, _type_span: Span) -> DResult<Stno> {
        if inst.nodes.len() != 2 {
            return Err(Diagnostic::error(
                inst.span,
                format!(
                    "YSTNO '{}' needs 2 nodes (n+ n-), got {}",
                    inst.name,
                    inst.nodes.len()
                ),
            )
            .with_help("expected form: YSTNO name n+ n- model [param=value …]"));
        }
        check_model_kind(inst, "stno", "YSTNO")?;
        inst.check_params(PARAMS, PARAMS)?;
        let get = |n: &str, d: f64| inst.param(n).unwrap_or(d);
        let level = inst.require(
            "level",
            get("level", 1.0),
            |v| v == 1.0 || v == 2.0,
            "1 or 2",
        )?;
        let power_only = level == 2.0;
        let f0 = inst.require("f0", get("f0", 1e9), |v| v > 0.0, "positive")?;
        let nshift = inst.require("nshift", get("nshift", 0.0), |_| true, "finite")?;
        let gg = inst.require(
            "gammag",
            get("gammag", 2.0 * PI * 10e6),
            |v| v > 0.0,
            "positive",
        )?;
        let ith = match (inst.param("ith"), inst.param("sigma")) {
            (Some(_), Some(_)) => {
                return Err(Diagnostic::error(
                    inst.param_span("sigma"),
                    format!(
                        "give either ith or sigma for '{}', not both (I_th = gammag/sigma)",
                        inst.name
                    ),
                ))
            }
            (None, Some(s)) => {
                let s = inst.require("sigma", s, |v| v > 0.0, "positive")?;
                gg / s
            }
            (i, None) => inst.require("ith", i.unwrap_or(1e-3), |v| v > 0.0, "positive")?,
        };
        let q = inst.require("q", get("q", 0.0), |v| v >= 0.0, "≥ 0")?;
        let r0 = inst.require("r0", get("r0", 100.0), |v| v > 0.0, "positive")?;
        let dr = inst.require(
            "drosc",
            get("drosc", 0.0),
            |v| (0.0..=r0).contains(&v),
            &format!("in [0, r0] = [0, {r0}]"),
        )?;
        let kinj = inst.require("kinj", get("kinj", 0.0), |_| true, "finite")?;
        let chi = inst.require("chiinj", get("chiinj", 0.0), |_| true, "finite")?;
        let iclamp = match inst.param("iclamp") {
            Some(v) => inst.require("iclamp", v, |v| v > 0.0, "positive")?,
            None => f64::INFINITY,
        };
        let pinit = inst.require(
            "pinit",
            get("pinit", 1e-6),
            |v| (0.0..1.0).contains(&v),
            "in [0, 1)",
        )?;
        let phinit = inst.require("phinit", get("phinit", FRAC_PI_2), |_| true, "finite")?;
        let dn = inst.require("dn", get("dn", 0.0), |v| v >= 0.0, "≥ 0")?;
        let tnoise = inst.require(
            "tnoise",
            get("tnoise", 1.0 / (40.0 * f0)),
            |v| v > 0.0,
            "positive",
        )?;
        let seed = inst.require(
            "seed",
            get("seed", 1.0),
            |v| v >= 0.0 && v.fract() == 0.0 && v < 9.0e15,
            "a non-negative integer",
        )?;
        if power_only {
            for (n, v) in [("kinj", kinj), ("dn", dn)] {
                if v != 0.0 {
                    return Err(Diagnostic::error(
                        inst.param_span(n),
                        format!(
                            "{n} of '{}' needs level=1 (the power-only level 2 has no phase)",
                            inst.name
                        ),
                    ));
                }
            }
        }
        let noise = (dn > 0.0).then(|| {
            let x = f0 * tnoise;
            let sinc = if x == 0.0 {
                1.0
            } else {
                (PI * x).sin() / (PI * x)
            };
            Noise {
                sigma: (dn / (tnoise * sinc.powi(4))).sqrt(),
                dt: tnoise,
                seed: seed as u64,
            }
        });
        let w0 = 2.0 * PI * f0;
        Ok(Stno {
            name: inst.name.clone(),
            a: inst.nodes[0],
            b: inst.nodes[1],
            br: 0,
            s0: 0,
            s1: 0,
            power_only,
            w0,
            nsh: 2.0 * PI * nshift,
            gg,
            sigma: gg / ith,
            ith,
            q,
            r0,
            dr,
            inj: (kinj / w0 * chi.cos(), kinj / w0 * chi.sin()),
            iclamp,
            pinit,
            phinit,
            noise,
            s_lin: [Slot::default(); 4],
            s_brbr: Slot::default(),
            s_brc: Slot::default(),
            s_cc: [Slot::default(); 4],
            s_ci: [Slot::default(); 2],
        })
    }

    /// Spin-torque current and its derivative with respect to I.
    #[inline]
    fn ist(&self, i: f64) -> (f64, f64) {
        if i > self.iclamp {
            (self.iclamp, 0.0)
        } else if i < -self.iclamp {
            (-self.iclamp, 0.0)
        } else {
            (i, 1.0)
        }
    }

    /// Steady power p0(ξ) = (ξ−1)/(ξ+Q) above threshold, else 0 (seed 000
    /// Eq. 3), and dp0/dI.
    fn p_steady(&self, i: f64) -> (f64, f64) {
        let (is, d) = self.ist(i);
        let xi = is / self.ith;
        if xi <= 1.0 {
            (0.0, 0.0)
        } else {
            let den = xi + self.q;
            (
                (xi - 1.0) / den,
                (1.0 + self.q) / (den * den) * d / self.ith,
            )
        }
    }

    /// DC state p_dc = max(p0, pinit) and its derivative with respect to I.
    fn p_dc(&self, i: f64) -> (f64, f64) {
        let (p, dp) = self.p_steady(i);
        if p > self.pinit {
            (p, dp)
        } else {
            (self.pinit, 0.0)
        }
    }

    fn power(&self, x: &[f64]) -> f64 {
        if self.power_only {
            x[self.s0]
        } else {
            x[self.s0] * x[self.s0] + x[self.s1] * x[self.s1]
        }
    }

    fn resistance(&self, x: &[f64]) -> f64 {
        if self.power_only {
            self.r0
        } else {
            self.r0 + self.dr * x[self.s0]
        }
    }
}

/// Error unless the instance's model card has type `kind`.
pub(crate) fn check_model_kind(inst: &Instance, kind: &str, line: &str) -> DResult<()> {
    match inst.model {
        Some(m) if m.kind == kind => Ok(()),
        Some(m) => Err(Diagnostic::error(
            inst.span,
            format!(
                "model '{}' has type '{}', but {line} '{}' needs a type {} model",
                m.name,
                m.kind.to_uppercase(),
                inst.name,
                kind.to_uppercase()
            ),
        )),
        None => Err(Diagnostic::error(
            inst.span,
            format!("{line} '{}' needs a model", inst.name),
        )),
    }
}

impl Device for Stno {
    fn name(&self) -> &str {
        &self.name
    }

    fn setup(&mut self, s: &mut Setup) -> DResult<()> {
        self.br = s.branch_current();
        if self.power_only {
            self.s0 = s.state("p", "", 1e-9, None);
        } else {
            // Phase accuracy: trapezoidal steps lag by (ωh)²/12 in frequency;
            // reltol·CR_TOL on c keeps that below 0.5·reltol (module doc).
            let rt = CR_TOL * s.options().reltol;
            self.s0 = s.state("cr", "", 0.5 * rt, Some(rt));
            self.s1 = s.state("ci", "", 0.5 * rt, Some(rt));
        }
        Ok(())
    }

    fn slots(&mut self, s: &mut SlotAlloc) {
        let (a, b, br, s0, s1) = (self.a, self.b, self.br, self.s0, self.s1);
        self.s_lin = [s.slot(a, br), s.slot(b, br), s.slot(br, a), s.slot(br, b)];
        self.s_brbr = s.slot(br, br);
        if self.power_only {
            self.s_cc[0] = s.slot(s0, s0);
            self.s_ci[0] = s.slot(s0, br);
        } else {
            self.s_brc = s.slot(br, s0);
            self.s_cc = [
                s.slot(s0, s0),
                s.slot(s0, s1),
                s.slot(s1, s0),
                s.slot(s1, s1),
            ];
            self.s_ci = [s.slot(s0, br), s.slot(s1, br)];
        }
    }

    fn stamp_linear(&self, g: &mut [f64], c: &mut [f64]) {
        // KCL: +I leaves n+, −I leaves n−; branch row: V+ − V− − R·I.
        g[self.s_lin[0].i()] += 1.0;
        g[self.s_lin[1].i()] -= 1.0;
        g[self.s_lin[2].i()] += 1.0;
        g[self.s_lin[3].i()] -= 1.0;
        // Q_c = c − (κ/ω0) e^{iχ} I ; level 2: Q_p = p.
        c[self.s_cc[0].i()] += 1.0;
        if !self.power_only {
            c[self.s_cc[3].i()] += 1.0;
            c[self.s_ci[0].i()] -= self.inj.0;
            c[self.s_ci[1].i()] -= self.inj.1;
        }
    }

    fn is_nonlinear(&self) -> bool {
        true
    }

    fn load(&mut self, cx: &LoadCtx, x: &[f64], st: &mut Stamp) {
        let i = x[self.br];
        let r = self.resistance(x);
        st.f(self.br, -r * i);
        st.g(self.s_brbr, -r);
        if !self.power_only {
            st.g(self.s_brc, -self.dr * i);
        }
        let dc = cx.mode.is_dc();
        if self.power_only {
            let p = x[self.s0];
            if dc {
                let (pd, dpd) = self.p_dc(i);
                st.f(self.s0, p);
                st.f(self.s0, -pd);
                st.g(self.s_cc[0], 1.0);
                st.g(self.s_ci[0], -dpd);
            } else {
                // F_p = 2 [Γ_G(1+Qp) − σ I_st (1−p)] p   (Eq. 3.5 moved to F)
                let (is, dis) = self.ist(i);
                let gp = self.gg * (1.0 + self.q * p);
                let gm = self.sigma * is * (1.0 - p);
                st.f(self.s0, 2.0 * gp * p);
                st.f(self.s0, -2.0 * gm * p);
                let da_dp = self.gg * self.q + self.sigma * is;
                st.g(self.s_cc[0], 2.0 * (gp - gm) + 2.0 * p * da_dp);
                st.g(self.s_ci[0], -2.0 * p * self.sigma * (1.0 - p) * dis);
            }
            return;
        }
        let (cr, ci) = (x[self.s0], x[self.s1]);
        if dc {
            // DC: c = −i √p_dc (phase π/2, R = R0); see the module doc.
            let (pd, dpd) = self.p_dc(i);
            let s = pd.sqrt();
            let ds = if s > 0.0 {
                0.5 * dpd / s.max(1e-6)
            } else {
                0.0
            };
            st.f(self.s0, cr);
            st.g(self.s_cc[0], 1.0);
            st.f(self.s1, ci);
            st.f(self.s1, s);
            st.g(self.s_cc[3], 1.0);
            st.g(self.s_ci[1], ds);
            return;
        }
        // F_c = (A + iω) c − ζ,  A = Γ_G(1+Qp) − σ I_st (1−p),  ω = ω0 + N p
        let p = cr * cr + ci * ci;
        let (is, dis) = self.ist(i);
        let gp = self.gg * (1.0 + self.q * p);
        let gm = self.sigma * is * (1.0 - p);
        let a = gp - gm;
        let w = self.w0 + self.nsh * p;
        st.f(self.s0, gp * cr);
        st.f(self.s0, -gm * cr);
        st.f(self.s0, -w * ci);
        st.f(self.s1, gp * ci);
        st.f(self.s1, -gm * ci);
        st.f(self.s1, w * cr);
        let ap = self.gg * self.q + self.sigma * is; // ∂A/∂p
        let np = self.nsh; // ∂ω/∂p
                           // ∂p/∂cr = 2cr, ∂p/∂ci = 2ci
        st.g(self.s_cc[0], a + 2.0 * cr * (cr * ap - ci * np));
        st.g(self.s_cc[1], -w + 2.0 * ci * (cr * ap - ci * np));
        st.g(self.s_cc[2], w + 2.0 * cr * (ci * ap + cr * np));
        st.g(self.s_cc[3], a + 2.0 * ci * (ci * ap + cr * np));
        let ai = -self.sigma * (1.0 - p) * dis; // ∂A/∂I
        st.g(self.s_ci[0], ai * cr);
        st.g(self.s_ci[1], ai * ci);
        if let Some(nz) = self.noise.as_ref().filter(|_| cx.mode.has_noise()) {
            if cx.h > nz.dt * (1.0 + 1e-9) {
                // the noise samples would be skipped: refuse the step
                st.limited = true;
            }
            let (zr, zi) = nz.at(cx.time);
            st.f(self.s0, -zr);
            st.f(self.s1, -zi);
        }
    }

    fn init_unknowns(&self, x: &mut [f64]) {
        if self.power_only {
            x[self.s0] = self.pinit;
        } else {
            let s = self.pinit.sqrt();
            x[self.s0] = s * self.phinit.cos();
            x[self.s1] = -s * self.phinit.sin();
        }
    }

    /// Above threshold (p0(ξ) above the seed power `pinit` at the DC
    /// current, seed 000 Eq. 3) the
    /// steady oscillation c(t) = √p0·e^{−iω(p0)t}: cr = √p0 cos ωt,
    /// ci = −√p0 sin ωt, at f = (ω0 + N p0)/2π (module doc; level 1 only).
    fn can_oscillate(&self) -> bool {
        !self.power_only
    }

    fn oscillation(&self, x: &[f64]) -> Option<super::Oscillation> {
        let (p0, _) = self.p_steady(x[self.br]);
        if self.power_only || p0 <= self.pinit {
            return None;
        }
        let a = p0.sqrt();
        Some(super::Oscillation {
            freq: (self.w0 + self.nsh * p0) / (2.0 * PI),
            unknowns: vec![
                (self.s0, 0.0, num_complex::Complex64::new(a, 0.0)),
                (self.s1, 0.0, num_complex::Complex64::new(0.0, a)),
            ],
            probe: self.s0,
        })
    }

    fn outputs(&self) -> Vec<OutputDesc> {
        let o = |v: &str, u: &str| OutputDesc {
            var: v.into(),
            unit: u.into(),
        };
        let mut v = Vec::new();
        if !self.power_only {
            v.push(o("p", ""));
            v.push(o("phase", "rad"));
        }
        v.extend([o("r", "Ohm"), o("freq", "Hz"), o("xi", ""), o("prf", "W")]);
        v
    }

    fn output(&self, k: usize, x: &[f64], _cx: &LoadCtx) -> f64 {
        let k = if self.power_only { k + 2 } else { k };
        let p = self.power(x);
        let i = x[self.br];
        match k {
            0 => p,
            1 => (-x[self.s1]).atan2(x[self.s0]),
            2 => self.resistance(x),
            3 => (self.w0 + self.nsh * p) / (2.0 * PI),
            4 => self.ist(i).0 / self.ith,
            5 => i * i * self.dr * self.dr * p / (8.0 * self.r0),
            _ => f64::NAN,
        }
    }

    fn branch(&self) -> Option<usize> {
        Some(self.br)
    }

    fn dc_pairs(&self) -> Vec<(usize, usize)> {
        vec![(self.a, self.b)]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The noise samples are a fixed function of (seed, index), standard
    /// normal per component and uncorrelated between components and indices.
    #[test]
    fn noise_samples_are_reproducible_standard_normals() {
        let nz = Noise {
            sigma: 1.0,
            dt: 1.0,
            seed: 7,
        };
        let n = 200_000u64;
        let (mut m, mut v, mut c, mut lag) = (0.0, 0.0, 0.0, 0.0);
        let mut prev = nz.normals(0).0;
        for k in 0..n {
            let (a, b) = nz.normals(k);
            m += a + b;
            v += a * a + b * b;
            c += a * b;
            if k > 0 {
                lag += a * prev;
            }
            prev = a;
        }
        let nf = n as f64;
        assert!((m / (2.0 * nf)).abs() < 0.01);
        assert!((v / (2.0 * nf) - 1.0).abs() < 0.01);
        assert!((c / nf).abs() < 0.01 && (lag / nf).abs() < 0.01);
        assert_eq!(nz.normals(12345), nz.normals(12345));
        let other = Noise {
            seed: 8,
            ..nz.clone()
        };
        assert_ne!(nz.normals(3), other.normals(3));
        // linear interpolation between grid samples
        let (a0, _) = nz.normals(4);
        let (a1, _) = nz.normals(5);
        assert!((nz.at(4.25).0 - (0.75 * a0 + 0.25 * a1)).abs() < 1e-12);
    }
}
