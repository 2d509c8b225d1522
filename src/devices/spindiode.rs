//! Behavioural spin-diode resonator `YSD name n+ n- [fl+ fl-] model
//! [param=value …]`: a cheap rectifying resonator for large RF networks
//! (seed 000 Eq. 4–5; seed 004-code `LayerChainsResonators`). Specification:
//! `docs/physics/devices.md` §4; oracle: `docs/physics/oracles.md` §f.
//!
//! # Equations (SI units)
//!
//! Internal state z = x + iy [A] (unknowns `zr`, `zi`), a damped oscillator at
//! ω_r = 2π f_res with decay rate Γ = α ω_r, driven by the drive current I_d
//! (the device current, or the field-line current of the 4-terminal form):
//!
//! ```text
//! drive=1:  dz/dt = (iω_r − Γ) z − i (Γ/ω_r) dI_d/dt          (devices.md Eq. 4.1)
//! drive=2:  dz/dt = (iω_r − Γ) z + Γ I_d                       (devices.md Eq. 4.7)
//! R(t) = R0 + (2 R0 𝒜/α) Re[e^{iψ} z] − c_m (I_d − u)          (Eq. 4.2, + mirror option)
//! V(n+) − V(n−) = R(t) · I                                     (Eq. 4.3)
//! ```
//!
//! (With drive=2 the gain 2R0𝒜/α equals devices.md's 4R0K_SD for 𝒜 = 2αK_SD.)
//! In the DAE: drive=1 puts the drive into the charge, Q_y = y + (Γ/ω_r) I_d,
//! so DC current exerts no force; all state equations are linear; only the
//! branch row R(z)·I is bilinear.
//!
//! For I = Re[Î e^{iωt}] the time-averaged voltage is exactly (the device is
//! exactly quadratic in I, so this holds at any amplitude; devices.md Eq. 4.5):
//!
//! ```text
//! drive=1: V_dc = P 𝒜 ω [ (Δ sinψ + Γ cosψ)/(Γ² + Δ²) + (Σ sinψ − Γ cosψ)/(Γ² + Σ²) ]
//! drive=2: V_dc = P 𝒜 ω_r [ (Δ sinψ + Γ cosψ)/(Γ² + Δ²) − (Σ sinψ − Γ cosψ)/(Γ² + Σ²) ]
//! Δ = ω − ω_r,  Σ = ω + ω_r,  P = ½ R0 |Î|²   (RF power absorbed by R0)
//! ```
//!
//! At ψ = 90° (the default) the first term is exactly seed 000 Eq. 4,
//! P·W(f) with W = 𝒜 f (f − f_r)/(α²f_r² + (f − f_r)²), and the second is its
//! mirror image P·W(−f): no causal linear time-invariant realisation can
//! remove it (devices.md §4.3); near resonance it is ≈ 𝒜P/2, about 1 % of the
//! peak for α = 0.01 (0.975 % at f_r − 3αf_r, 1.005 % at f_r + 3αf_r).
//!
//! **Mirror compensation** (`mirror=0`): a memoryless term −c_m·y in R driven
//! by the high-passed drive current y = I_d − u, du/dt = ω_c (I_d − u) with
//! ω_c = ω_r/10 (one more state, `u`), subtracts the mirror term's value at
//! resonance, M0 = ±𝒜 (2 sinψ − α cosψ)/(4 + α²) per watt (+ for drive=1,
//! − for drive=2), with c_m = R0 M0 (1 + (ω_c/ω_r)²). It adds
//! −P M0 (1 + (ω_c/ω_r)²) ω²/(ω² + ω_c²) to V_dc: the response then equals
//! Eq. 4 exactly at f_r and to ≈ 𝒜P·3α/4 (0.015 % of the peak) at ±3αf_r. The
//! high-pass keeps DC current free of any artefact; its cost is that the
//! correction is only right near resonance (it is a constant in disguise).
//!
//! Orientation: ψ_eff = ψ + 180° for `orient=-1`, which flips the sign of
//! V_dc (the head-to-tail resonators of the seed 004 chains). Several tones
//! add (their cross terms average to zero over the beat period; devices.md
//! §4.4). Field-line form: the state is driven by the field-line current and
//! V_dc = ½ Re[H(ω) Î_fl Î_dev*] with the same H.
//!
//! **Time step.** The trapezoidal rule is the bilinear transform: at a step h
//! it reproduces the response at the warped frequency (2/h)·tan(ωh/2), a
//! relative shift (ωh)²/12 that is (ωh)²/(12α) line widths. The states'
//! tolerances are therefore tied to α (`z_tolerances`): at the default
//! `reltol` = 1e-3 the step controller takes ≈ 340 steps per period and V_dc
//! is within 1 % of the peak (measured 0.3–0.7 % at f_r and f_r(1 − α/2));
//! tighter `reltol` scales the shift down in proportion.
//!
//! Validity: phenomenological and linear: no saturation, no resonance shift
//! with power or bias (the seed 000 assumption); the real spin diode differs
//! at order α and away from resonance (oracles.md §b).
//!
//! # Parameters (instance overrides model; `.model name SPINDIODE (…)`)
//!
//! | name | meaning | unit | default |
//! |---|---|---|---|
//! | `fres` | resonance frequency f_res (> 0) | Hz | 1e9 |
//! | `alpha` | damping α (> 0), Γ = α·2πf_res | – | 0.01 |
//! | `a` | sensitivity 𝒜 (seed 000 Eq. 5): peak ≈ 𝒜/(2α) per watt | V/W (= µV/µW) | 1 |
//! | `ksd` | seed 004-code K_SD, alternative to `a` (𝒜 = 2αK_SD) | V/W | – |
//! | `r0` | resistance R0 (> 0) | Ω | 50 |
//! | `psi` | mix angle ψ: 90 = antisymmetric (Eq. 4), 0 = symmetric Lorentzian | degree | 90 |
//! | `orient` | orientation ±1 (−1 flips the sign of V_dc) | – | 1 |
//! | `drive` | 1: drive by dI/dt (Eq. 4.1); 2: by I (Eq. 4.7, the seed 004 kernel; a DC current I_dc then gives a DC artefact 2R0𝒜(α cosψ − sinψ) I_dc²/(1+α²)) | – | 1 |
//! | `mirror` | 1: exact causal response; 0: subtract the mirror term near resonance | – | 1 |
//! | `rfl` | field-line resistance between fl+ and fl− (4-terminal form, ≥ 0; 0 = ideal strip) | Ω | 0 |
//!
//! # Unknowns and outputs
//!
//! `i(name)` (device current), `@name[flbranch]` (field-line current, 4-terminal
//! form), states `zr`, `zi` [A] (and `u` [A] with `mirror=0`); derived output
//! `r` (R(t), Ω).

use super::stno::check_model_kind;
use super::{Device, Instance, OutputDesc};
use crate::diag::{DResult, Diagnostic, Span};
use crate::system::{LoadCtx, Setup, Slot, SlotAlloc, Stamp};
use std::f64::consts::PI;

const PARAMS: &[&str] = &[
    "fres", "alpha", "a", "ksd", "r0", "psi", "orient", "drive", "mirror", "rfl",
];

/// ω_c/ω_r of the mirror-compensation high-pass.
const HP_RATIO: f64 = 0.1;

/// Frequency-warping budget: the tolerances of z aim at a trapezoidal
/// frequency error (ωh)²/12 of `WARP`·reltol line widths (module doc).
const WARP: f64 = 5.0;

/// Relative and absolute tolerances of the resonator states for the circuit
/// `reltol` and damping α. The trapezoidal local error per step of a rotation
/// is ≈ (ωh)³/12 relative, and the step controller accepts it up to
/// trtol·rtol_z (trtol = 7): ωh ≈ (84 rtol_z)^{1/3}. The accumulated frequency
/// error (ωh)²/12, in line widths (ωh)²/(12α), is set to WARP·reltol:
/// rtol_z = (12 α WARP reltol)^{3/2}/84. The absolute tolerance treats
/// amplitudes below 1 µA as negligible.
fn z_tolerances(reltol: f64, alpha: f64) -> (f64, f64) {
    let rt = ((12.0 * alpha * WARP * reltol).powf(1.5) / 84.0).min(reltol);
    (rt, rt * 1e-6)
}

/// Behavioural spin-diode resonator (see the module documentation).
pub struct SpinDiode {
    name: String,
    a: usize,
    b: usize,
    /// Field-line terminals (0, 0 in the 2-terminal form).
    fp: usize,
    fm: usize,
    four: bool,
    br: usize,
    /// Field-line branch current (4-terminal form).
    brf: usize,
    zr: usize,
    zi: usize,
    /// High-pass state of the mirror compensation (0 if off).
    u: usize,
    wr: f64,
    gam: f64,
    r0: f64,
    /// Gain 2R0𝒜/α times (cos ψ, −sin ψ): R = R0 + kx·zr + ky·zi − c_m y.
    kx: f64,
    ky: f64,
    derivative: bool,
    /// c_m [Ω/A] (0 without compensation) and ω_c [rad/s].
    cm: f64,
    wc: f64,
    rfl: f64,
    s_lin: [Slot; 4],
    s_fl: [Slot; 5],
    /// (zr,zr) (zr,zi) (zi,zr) (zi,zi) (zi,drv) (zr,drv)
    s_z: [Slot; 6],
    /// (u,u) (u,drv)
    s_u: [Slot; 2],
    /// (br,br) (br,zr) (br,zi) (br,u) (br,drv)
    s_br: [Slot; 5],
}

impl SpinDiode {
    pub fn from_instance(inst: &Instance, _type_span: Span) -> DResult<SpinDiode> {
        let n = inst.nodes.len();
        if n != 2 && n != 4 {
            return Err(Diagnostic::error(
                inst.span,
                format!(
                    "YSD '{}' needs 2 nodes (n+ n-) or 4 (n+ n- fl+ fl-), got {n}",
                    inst.name
                ),
            )
            .with_help("expected form: YSD name n+ n- [fl+ fl-] model [param=value …]"));
        }
        check_model_kind(inst, "spindiode", "YSD")?;
        inst.check_params(PARAMS, PARAMS)?;
        let get = |n: &str, d: f64| inst.param(n).unwrap_or(d);
        let fres = inst.require("fres", get("fres", 1e9), |v| v > 0.0, "positive")?;
        let alpha = inst.require("alpha", get("alpha", 0.01), |v| v > 0.0, "positive")?;
        let sens = match (inst.param("a"), inst.param("ksd")) {
            (Some(_), Some(_)) => {
                return Err(Diagnostic::error(
                    inst.param_span("ksd"),
                    format!(
                        "give either a or ksd for '{}', not both (a = 2·alpha·ksd)",
                        inst.name
                    ),
                ))
            }
            (None, Some(k)) => 2.0 * alpha * inst.require("ksd", k, |_| true, "finite")?,
            (a, None) => inst.require("a", a.unwrap_or(1.0), |_| true, "finite")?,
        };
        let r0 = inst.require("r0", get("r0", 50.0), |v| v > 0.0, "positive")?;
        let psi_deg = inst.require("psi", get("psi", 90.0), |_| true, "finite")?;
        let orient = inst.require(
            "orient",
            get("orient", 1.0),
            |v| v == 1.0 || v == -1.0,
            "1 or -1",
        )?;
        let drive = inst.require(
            "drive",
            get("drive", 1.0),
            |v| v == 1.0 || v == 2.0,
            "1 or 2",
        )?;
        let mirror = inst.require(
            "mirror",
            get("mirror", 1.0),
            |v| v == 0.0 || v == 1.0,
            "0 or 1",
        )?;
        let rfl = inst.require("rfl", get("rfl", 0.0), |v| v >= 0.0, "≥ 0")?;
        if n == 2 && inst.param("rfl").is_some() {
            return Err(Diagnostic::error(
                inst.param_span("rfl"),
                format!(
                    "rfl of '{}' needs the 4-terminal form (YSD name n+ n- fl+ fl- model)",
                    inst.name
                ),
            ));
        }
        let psi = psi_deg.to_radians() + if orient < 0.0 { PI } else { 0.0 };
        let wr = 2.0 * PI * fres;
        let gain = 2.0 * r0 * sens / alpha;
        let derivative = drive == 1.0;
        let (cm, wc) = if mirror == 0.0 {
            let m0 = sens * (2.0 * psi.sin() - alpha * psi.cos()) / (4.0 + alpha * alpha);
            let m0 = if derivative { m0 } else { -m0 };
            (r0 * m0 * (1.0 + HP_RATIO * HP_RATIO), HP_RATIO * wr)
        } else {
            (0.0, 0.0)
        };
        let (fp, fm) = if n == 4 {
            (inst.nodes[2], inst.nodes[3])
        } else {
            (0, 0)
        };
        Ok(SpinDiode {
            name: inst.name.clone(),
            a: inst.nodes[0],
            b: inst.nodes[1],
            fp,
            fm,
            four: n == 4,
            br: 0,
            brf: 0,
            zr: 0,
            zi: 0,
            u: 0,
            wr,
            gam: alpha * wr,
            r0,
            kx: gain * psi.cos(),
            ky: -gain * psi.sin(),
            derivative,
            cm,
            wc,
            rfl,
            s_lin: [Slot::default(); 4],
            s_fl: [Slot::default(); 5],
            s_z: [Slot::default(); 6],
            s_u: [Slot::default(); 2],
            s_br: [Slot::default(); 5],
        })
    }

    /// Unknown of the drive current.
    fn drv(&self) -> usize {
        if self.four {
            self.brf
        } else {
            self.br
        }
    }

    fn resistance(&self, x: &[f64]) -> f64 {
        let mut r = self.r0 + self.kx * x[self.zr] + self.ky * x[self.zi];
        if self.u != 0 {
            r -= self.cm * (x[self.drv()] - x[self.u]);
        }
        r
    }
}

impl Device for SpinDiode {
    fn name(&self) -> &str {
        &self.name
    }

    fn setup(&mut self, s: &mut Setup) -> DResult<()> {
        self.br = s.branch_current();
        if self.four {
            let at = s.options().abstol;
            self.brf = s.state("flbranch", "A", at, None);
        }
        let (rt, at) = z_tolerances(s.options().reltol, self.gam / self.wr);
        self.zr = s.state("zr", "A", at, Some(rt));
        self.zi = s.state("zi", "A", at, Some(rt));
        if self.cm != 0.0 {
            let at = s.options().abstol;
            self.u = s.state("u", "A", at, None);
        }
        Ok(())
    }

    fn slots(&mut self, s: &mut SlotAlloc) {
        let (a, b, br, zr, zi, d) = (self.a, self.b, self.br, self.zr, self.zi, self.drv());
        self.s_lin = [s.slot(a, br), s.slot(b, br), s.slot(br, a), s.slot(br, b)];
        if self.four {
            let (fp, fm, f) = (self.fp, self.fm, self.brf);
            self.s_fl = [
                s.slot(fp, f),
                s.slot(fm, f),
                s.slot(f, fp),
                s.slot(f, fm),
                s.slot(f, f),
            ];
        }
        self.s_z = [
            s.slot(zr, zr),
            s.slot(zr, zi),
            s.slot(zi, zr),
            s.slot(zi, zi),
            s.slot(zi, d),
            s.slot(zr, d),
        ];
        if self.u != 0 {
            self.s_u = [s.slot(self.u, self.u), s.slot(self.u, d)];
        }
        self.s_br[0] = s.slot(br, br);
        self.s_br[1] = s.slot(br, zr);
        self.s_br[2] = s.slot(br, zi);
        if self.u != 0 {
            self.s_br[3] = s.slot(br, self.u);
            self.s_br[4] = s.slot(br, d);
        }
    }

    fn stamp_linear(&self, g: &mut [f64], c: &mut [f64]) {
        // KCL and the branch row's V+ − V− (R·I is in `load`).
        g[self.s_lin[0].i()] += 1.0;
        g[self.s_lin[1].i()] -= 1.0;
        g[self.s_lin[2].i()] += 1.0;
        g[self.s_lin[3].i()] -= 1.0;
        if self.four {
            // field line: V(fl+) − V(fl−) − rfl·I_fl = 0
            g[self.s_fl[0].i()] += 1.0;
            g[self.s_fl[1].i()] -= 1.0;
            g[self.s_fl[2].i()] += 1.0;
            g[self.s_fl[3].i()] -= 1.0;
            g[self.s_fl[4].i()] -= self.rfl;
        }
        // F_x = Γx + ω_r y, F_y = −ω_r x + Γy, Q = z (+ drive)
        g[self.s_z[0].i()] += self.gam;
        g[self.s_z[1].i()] += self.wr;
        g[self.s_z[2].i()] -= self.wr;
        g[self.s_z[3].i()] += self.gam;
        c[self.s_z[0].i()] += 1.0;
        c[self.s_z[3].i()] += 1.0;
        if self.derivative {
            // Q_y = y + (Γ/ω_r) I_d
            c[self.s_z[4].i()] += self.gam / self.wr;
        } else {
            // F_x −= Γ I_d
            g[self.s_z[5].i()] -= self.gam;
        }
        if self.u != 0 {
            // F_u = ω_c (u − I_d), Q_u = u
            g[self.s_u[0].i()] += self.wc;
            g[self.s_u[1].i()] -= self.wc;
            c[self.s_u[0].i()] += 1.0;
        }
    }

    fn is_nonlinear(&self) -> bool {
        true
    }

    fn load(&mut self, _cx: &LoadCtx, x: &[f64], st: &mut Stamp) {
        let i = x[self.br];
        let r = self.resistance(x);
        st.f(self.br, -self.r0 * i);
        st.f(self.br, -(r - self.r0) * i);
        st.g(self.s_br[0], -r);
        st.g(self.s_br[1], -self.kx * i);
        st.g(self.s_br[2], -self.ky * i);
        if self.u != 0 {
            // R ⊃ −c_m (I_d − u)
            st.g(self.s_br[3], -self.cm * i);
            st.g(self.s_br[4], self.cm * i);
        }
    }

    fn outputs(&self) -> Vec<OutputDesc> {
        vec![OutputDesc {
            var: "r".into(),
            unit: "Ohm".into(),
        }]
    }

    fn output(&self, k: usize, x: &[f64], _cx: &LoadCtx) -> f64 {
        match k {
            0 => self.resistance(x),
            _ => f64::NAN,
        }
    }

    fn branch(&self) -> Option<usize> {
        Some(self.br)
    }

    fn dc_pairs(&self) -> Vec<(usize, usize)> {
        let mut v = vec![(self.a, self.b)];
        if self.four {
            v.push((self.fp, self.fm));
        }
        v
    }

    fn voltage_pair(&self) -> Option<(usize, usize)> {
        (self.four && self.rfl == 0.0).then_some((self.fp, self.fm))
    }
}
