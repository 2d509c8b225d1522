//! AMR spin diode (Permalloy strip), seed [002] ch. 2 (Eq. 2.1–2.13) as
//! corrected in `docs/physics/devices.md` §2:
//! `YAMR name n+ n- model [param=value …]` with `.model name AMR (…)`.
//!
//! The same macrospin circuit device as the MTJ ([`super::mtj::Macrospin`]),
//! without spin-transfer torque:
//! - frame: film normal z; thin-film demagnetizing field −M_eff m_z ẑ with the
//!   effective magnetization M_eff of the Kittel fit ([002] Fig. 2.8:
//!   μ0M_eff = 0.968 T); only M_eff enters the dynamics (devices.md §2.1);
//! - external field H_ext per instance (its position in the magnet gradient);
//! - current direction ĵ = (cos Φ0, sin Φ0, 0) in the film plane, Φ0 measured
//!   from x (with H_ext along x, Φ0 is the angle between m0 and the current;
//!   +45° and −45° give opposite rectified voltages, [002] §2.7.3);
//! - RF field of the strip's own current h = k I (ẑ × ĵ) (Oersted field of the
//!   current sheet, devices.md §2.1), optional spin-Hall damping-like torque
//!   −γ0 k_dl I m×(m×σ), σ = ẑ × ĵ, added to the Gilbert equation;
//! - resistance R = R0 + ΔR (m·ĵ)² = R0 + ΔR cos²Φ ([002] §2.3.1).
//!
//! Resonance: Kittel f = (γ0/2π)√(H(H + M_eff)) up to the damping correction
//! (devices.md §2.2; oracles.md §e). Validity: saturated film, no Joule heating.

use super::llg::{self, Efficiency, Llg, Params, Stt};
use super::mtj::{check_kind, dc_mode, initial_m, m_tolerances, required, Common, Macrospin, RLaw};
use super::{Device, Instance};
use crate::diag::{DResult, Diagnostic};

/// Parameters accepted on `YAMR` lines and `.model … AMR` cards.
pub const AMR_PARAMS: &[&str] = &[
    "meff", "alpha", "gamma", "mu0", "hx", "hy", "hz", "hk", "kax", "kay", "kaz", "phi0", "k",
    "kdl", "r0", "dr", "mx0", "my0", "mz0", "dcop", "mabstol", "mreltol",
];

/// Build an AMR spin diode from its instance line and `.model … AMR` card.
pub fn amr(inst: &Instance) -> DResult<Box<dyn Device>> {
    let pr = Params { inst, what: "AMR" };
    check_kind(inst, "amr", "YAMR")?;
    if inst.nodes.len() != 2 {
        return Err(Diagnostic::error(
            inst.span,
            format!(
                "AMR diode '{}' has {} node(s); expected 2 (n+ n-)",
                inst.name,
                inst.nodes.len()
            ),
        )
        .with_help("form: YAMR name n+ n- model [param=value …]"));
    }
    inst.check_params(AMR_PARAMS, AMR_PARAMS)?;
    let meff = required(&pr, "meff", |v| v > 0.0, "> 0")?;
    let alpha = required(&pr, "alpha", |v| v > 0.0, "> 0")?;
    let gamma = pr.num_if("gamma", llg::GAMMA_E, |v| v > 0.0, "> 0")?;
    let mu0 = pr.num_if("mu0", llg::MU0, |v| v > 0.0, "> 0")?;
    let hext = pr.vec3(["hx", "hy", "hz"], [0.0; 3])?;
    let hk = pr.num("hk", 0.0)?;
    let kax = pr.unit3(["kax", "kay", "kaz"], [1.0, 0.0, 0.0])?;
    let phi0 = pr.num("phi0", 45.0)?.to_radians();
    let k = pr.num("k", 0.0)?;
    let kdl = pr.num("kdl", 0.0)?;
    let r0 = required(&pr, "r0", |v| v > 0.0, "> 0")?;
    let dr = required(&pr, "dr", |v| v > -r0, "> −r0")?;
    let j = [phi0.cos(), phi0.sin(), 0.0];
    // σ = ẑ × ĵ: in-plane, perpendicular to the current
    let sigma = [-phi0.sin(), phi0.cos(), 0.0];
    let (cd, cf) = Stt::coefficients(true, alpha, 0.0, 1.0);
    let core = Llg {
        g0: gamma * mu0,
        alpha,
        hext,
        hk,
        kax,
        nd: [0.0, 0.0, meff],
        k_i: [k * sigma[0], k * sigma[1], 0.0],
        k_fl: [0.0; 3],
        stt: (kdl != 0.0).then_some(Stt {
            p: sigma,
            eff: Efficiency::Unit,
            eta: 0.0,
            lambda: 1.0,
            a1: kdl,
            cd,
            cf,
        }),
    };
    let m0 = initial_m(&pr, &core)?;
    let dcop = dc_mode(&pr)?;
    let (abstol, reltol) = m_tolerances(&pr)?;
    Ok(Box::new(Macrospin::new(
        inst,
        Common {
            core,
            law: RLaw::Amr { r0, dr, j },
            m0,
            dcop,
            rfl: None,
            noise_d: None,
            abstol,
            reltol,
        },
    )))
}
