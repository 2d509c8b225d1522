//! Junction diode `Dname anode cathode model [area] [off] [ic=v] [m=] [temp=]`,
//! the SPICE level-1 model (Berkeley SPICE3 `dio`, as in ngspice):
//!
//! - DC: I = Is·(e^{V/(N·Vt)} − 1) + gmin·V for V ≥ −3N·Vt; a smooth reverse
//!   tail −Is·(1 + (3N·Vt/(V·e))³) below; breakdown −Is·e^{−(BV+V)/(N·Vt)} for
//!   V < −BV (BV adjusted so the current at −BV is IBV).
//! - Charge: depletion Cj0·Vj·(1 − (1 − V/Vj)^{1−M})/(1 − M) below FC·Vj and the
//!   SPICE linear extension above; diffusion TT·I.
//! - Temperature: Is(T) = Is·(T/Tnom)^{XTI/N}·e^{(T/Tnom − 1)·EG/(N·Vt)};
//!   Vj, Cj0 with the SPICE3 band-gap formulas (identity at T = Tnom).
//! - RS: series resistance to an internal anode node.
//! - Newton limiting: pnjlim on the junction voltage (SPICE3 DEVpnjlim, with
//!   the ngspice reverse-bias clamp), also on the breakdown branch.
//!
//! - High injection (ngspice `dioload.c`): with IKF (alias IK) the forward
//!   current I is replaced by I/(1 + √(I/IKF)), with IKR the reverse one by
//!   I/(1 + √(I/−IKR)).
//! - Sidewall (ngspice, perimeter factor PJ, instance or model): saturation
//!   current JSW·PJ with its own emission coefficient NS (else merged into IS,
//!   same characteristic), depletion charge CJSW·PJ with PHP (default VJ),
//!   MJSW (0.33) and FCS (default FC), without temperature scaling of CJSW.
//!   NBV is the breakdown emission coefficient (default N).
//! - ISR and NR (recombination current, Xyce/PSpice) are accepted and not
//!   modelled — ngspice, the reference, has no such term either; elaboration
//!   says so.
//!
//! Units: A, V, F, s, eV, K. Valid where the SPICE level-1 diode is.

use super::{Device, Instance};
use crate::diag::{DResult, Diagnostic};
use crate::system::{LoadCtx, Setup, Slot, SlotAlloc, Stamp};

/// Boltzmann constant [J/K] and elementary charge [C] (CODATA 2018, as ngspice).
const KB: f64 = 1.380_649e-23;
const Q: f64 = 1.602_176_634e-19;
/// SPICE reference temperature [K].
const REFTEMP: f64 = 300.15;

#[derive(Debug, Clone)]
struct Params {
    is: f64,
    n: f64,
    rs: f64,
    cjo: f64,
    vj: f64,
    m: f64,
    tt: f64,
    bv: Option<f64>,
    ibv: f64,
    eg: f64,
    xti: f64,
    fc: f64,
}

/// The sidewall part of a diode (ngspice's perimeter terms) and the knee
/// currents; all zero/None when not given.
#[derive(Debug, Clone, Default)]
struct Extra {
    /// Sidewall saturation current with its own characteristic (NS given).
    csatsw: f64,
    vtesw: f64,
    /// Sidewall depletion: CJSW·PJ·area-free, PHP, MJSW, FCS·PHP.
    czsw: f64,
    vjsw: f64,
    msw: f64,
    fcsw: f64,
    /// Forward and reverse knee currents [A] (IKF, IKR; 0 = none).
    ikf: f64,
    ikr: f64,
    /// Breakdown emission N_BV·Vt.
    vtebrk: f64,
}

pub struct Diode {
    name: String,
    a: usize,
    k: usize,
    /// Junction anode (internal node when RS > 0).
    ap: usize,
    /// Temperature-adjusted values.
    vte: f64,
    /// 1/vte and 1/vj, and vj·CJO/(1 − M) (the depletion charge's scale):
    /// the per-iteration evaluation multiplies instead of dividing.
    inv_vte: f64,
    inv_vj: f64,
    qdep: f64,
    csat: f64,
    czero: f64,
    m: f64,
    tt: f64,
    fc_vj: f64,
    f1: f64,
    f2: f64,
    f3: f64,
    vcrit: f64,
    bv: Option<f64>,
    gs: f64,
    off: bool,
    /// Junction voltage used in the previous iteration (limiting state);
    /// starts at `ic=` (the SPICE initial-condition hint) or 0.
    vd_old: f64,
    s_rs: [Slot; 4],
    s_j: [Slot; 4],
    x: Extra,
}

/// SPICE3 DEVpnjlim with ngspice's clamp for large negative steps.
fn pnjlim(vnew: f64, vold: f64, vt: f64, vcrit: f64) -> (f64, bool) {
    if vnew > vcrit && (vnew - vold).abs() > 2.0 * vt {
        if vold > 0.0 {
            let arg = 1.0 + (vnew - vold) / vt;
            if arg > 0.0 {
                (vold + vt * arg.ln(), true)
            } else {
                (vcrit, true)
            }
        } else {
            (vt * (vnew / vt).ln(), true)
        }
    } else if vnew < 0.0 {
        let arg = if vold > 0.0 {
            -vold - 1.0
        } else {
            2.0 * vold - 1.0
        };
        if vnew < arg {
            (arg, true)
        } else {
            (vnew, false)
        }
    } else {
        (vnew, false)
    }
}

/// Current and conductance of a junction branch with saturation current
/// `cs` and emission voltage `vte` (SPICE3: forward exponential, cubic
/// reverse tail, breakdown with `vtb`).
fn branch_iv(vd: f64, cs: f64, vte: f64, bv: Option<f64>, vtb: f64) -> (f64, f64) {
    if vd >= -3.0 * vte {
        let e = (vd / vte).exp();
        (cs * (e - 1.0), cs * e / vte)
    } else if bv.is_none_or(|bv| vd >= -bv) {
        let a = 3.0 * vte / (vd * std::f64::consts::E);
        let a3 = a * a * a;
        (-cs * (1.0 + a3), cs * 3.0 * a3 / vd)
    } else {
        let e = (-(bv.unwrap_or(0.0) + vd) / vtb).exp();
        (-cs * e, cs * e / vtb)
    }
}

/// Depletion charge and capacitance (SPICE3, with the linear extension
/// above fc·vj): zero-bias capacitance `cz`, potential `vj`, grading `m`.
fn depletion(vd: f64, cz: f64, vj: f64, m: f64, fc: f64) -> (f64, f64) {
    let fcv = fc * vj;
    if vd < fcv {
        let arg = 1.0 - vd / vj;
        let sarg = (-m * arg.ln()).exp();
        (vj * cz * (1.0 - arg * sarg) / (1.0 - m), cz * sarg)
    } else {
        let f1 = vj * (1.0 - (1.0 - fc).powf(1.0 - m)) / (1.0 - m);
        let f2 = (1.0 - fc).powf(1.0 + m);
        let f3 = 1.0 - fc * (1.0 + m);
        (
            cz * f1 + cz / f2 * (f3 * (vd - fcv) + 0.5 * m / vj * (vd * vd - fcv * fcv)),
            cz / f2 * (f3 + m * vd / vj),
        )
    }
}

/// Sidewall, knee and breakdown-emission terms from the model card.
fn extra(inst: &Instance, p: &Params, area: f64, vt: f64, ratio: f64) -> DResult<Extra> {
    let pj = inst.param("pj").unwrap_or(0.0);
    let pos = |n: &str| -> DResult<f64> {
        match inst.model_param(n) {
            Some(v) if !(v >= 0.0 && v.is_finite()) => Err(Diagnostic::error(
                inst.param_span(n),
                format!(
                    "{} must be ≥ 0 (diode '{}', got {v})",
                    n.to_uppercase(),
                    inst.name
                ),
            )),
            v => Ok(v.unwrap_or(0.0)),
        }
    };
    let mut x = Extra {
        vtebrk: inst.model_param("nbv").unwrap_or(p.n) * vt,
        ikf: pos("ikf")?.max(pos("ik")?) * area,
        ikr: pos("ikr")? * area,
        ..Extra::default()
    };
    if let Some(ns) = inst.model_param("ns").filter(|&ns| ns > 0.0) {
        // own characteristic; temperature scaling as IS with NS
        let t = ((ratio - 1.0) * p.eg / (ns * vt) + p.xti / ns * ratio.ln()).exp();
        x.csatsw = pos("jsw")? * pj * t;
        x.vtesw = ns * vt;
    }
    let cjsw = pos("cjsw")?;
    if cjsw > 0.0 && pj > 0.0 {
        x.czsw = cjsw * pj;
        x.vjsw = inst.model_param("php").unwrap_or(p.vj);
        x.msw = inst.model_param("mjsw").unwrap_or(0.33);
        x.fcsw = inst.model_param("fcs").unwrap_or(p.fc);
        if !(x.vjsw > 0.0 && x.msw > 0.0 && x.msw < 1.0 && x.fcsw >= 0.0 && x.fcsw < 1.0) {
            return Err(Diagnostic::error(
                inst.span,
                format!(
                    "diode '{}': PHP must be > 0, MJSW in (0, 1), FCS in [0, 1)",
                    inst.name
                ),
            ));
        }
    }
    Ok(x)
}

/// Silicon band gap vs temperature [eV] (SPICE3 formula).
fn egfet(t: f64) -> f64 {
    1.16 - (7.02e-4 * t * t) / (t + 1108.0)
}

impl Diode {
    pub fn from_instance(inst: &Instance) -> DResult<Diode> {
        const P: &[&str] = &["area", "m", "off", "ic", "temp", "dtemp", "pj"];
        const M: &[&str] = &[
            "is", "js", "n", "rs", "cjo", "cj0", "cj", "vj", "pb", "m", "mj", "tt", "bv", "vb",
            "ibv", "eg", "xti", "fc", "tnom", "kf", "af", "level", "ikf", "ik", "ikr", "jsw", "ns",
            "cjsw", "php", "mjsw", "fcs", "pj", "nbv", "isr", "nr",
        ];
        inst.check_params(P, M)?;
        let mp = |names: &[&str]| names.iter().find_map(|n| inst.model_param(n));
        let p = Params {
            is: mp(&["is", "js"]).unwrap_or(1e-14),
            n: mp(&["n"]).unwrap_or(1.0),
            rs: mp(&["rs"]).unwrap_or(0.0),
            cjo: mp(&["cjo", "cj0", "cj"]).unwrap_or(0.0),
            vj: mp(&["vj", "pb"]).unwrap_or(1.0),
            m: mp(&["m", "mj"]).unwrap_or(0.5),
            tt: mp(&["tt"]).unwrap_or(0.0),
            bv: mp(&["bv", "vb"]),
            ibv: mp(&["ibv"]).unwrap_or(1e-3),
            eg: mp(&["eg"]).unwrap_or(1.11),
            xti: mp(&["xti"]).unwrap_or(3.0),
            fc: mp(&["fc"]).unwrap_or(0.5),
        };
        let bad = |what: &str, names: &[&str], v: f64| {
            let span = names
                .iter()
                .map(|n| inst.param_span(n))
                .find(|s| *s != inst.span)
                .unwrap_or(inst.span);
            Err(Diagnostic::error(
                span,
                format!("{what} (diode '{}', got {v})", inst.name),
            ))
        };
        if !(p.is > 0.0 && p.is.is_finite()) {
            return bad("IS must be positive", &["is", "js"], p.is);
        }
        if !(p.n > 0.0 && p.n.is_finite()) {
            return bad("N must be positive", &["n"], p.n);
        }
        if !(p.rs >= 0.0 && p.rs.is_finite()) {
            return bad("RS must be ≥ 0", &["rs"], p.rs);
        }
        if !(p.cjo >= 0.0 && p.cjo.is_finite()) {
            return bad("CJO must be ≥ 0", &["cjo", "cj0", "cj"], p.cjo);
        }
        if !(p.vj > 0.0 && p.vj.is_finite()) {
            return bad("VJ must be positive", &["vj", "pb"], p.vj);
        }
        if !(p.m > 0.0 && p.m < 1.0) {
            return bad("M must be in (0, 1)", &["m", "mj"], p.m);
        }
        if !(p.tt >= 0.0 && p.tt.is_finite()) {
            return bad("TT must be ≥ 0", &["tt"], p.tt);
        }
        if !(p.fc >= 0.0 && p.fc < 1.0) {
            return bad("FC must be in [0, 1)", &["fc"], p.fc);
        }
        if let Some(bv) = p.bv {
            if !(bv > 0.0 && bv.is_finite()) {
                return bad("BV must be positive", &["bv", "vb"], bv);
            }
            if !(p.ibv > 0.0 && p.ibv.is_finite()) {
                return bad("IBV must be positive", &["ibv"], p.ibv);
            }
        }
        let area = match inst.value {
            Some((a, span)) => {
                if !(a > 0.0 && a.is_finite()) {
                    return Err(Diagnostic::error(
                        span,
                        format!("area of diode '{}' must be positive (got {a})", inst.name),
                    ));
                }
                a
            }
            None => inst.require(
                "area",
                inst.instance_param("area").unwrap_or(1.0),
                |a| a > 0.0,
                "positive",
            )?,
        } * inst.require(
            "m",
            inst.instance_param("m").unwrap_or(1.0),
            |m| m > 0.0,
            "positive",
        )?;

        // --- temperature adjustment (SPICE3 diotemp.c)
        let tnom = inst.model_param("tnom").unwrap_or(inst.tnom) + 273.15;
        let temp = inst.instance_param("temp").unwrap_or(inst.temp)
            + inst.instance_param("dtemp").unwrap_or(0.0)
            + 273.15;
        let vt = KB * temp / Q;
        let vtnom = KB * tnom / Q;
        let fact2 = temp / REFTEMP;
        let arg = -egfet(temp) / (2.0 * KB * temp) + 1.1150877 / (KB * 2.0 * REFTEMP);
        let pbfact = -2.0 * vt * (1.5 * fact2.ln() + Q * arg);
        let arg1 = -egfet(tnom) / (KB * 2.0 * tnom) + 1.1150877 / (2.0 * KB * REFTEMP);
        let fact1 = tnom / REFTEMP;
        let pbfact1 = -2.0 * vtnom * (1.5 * fact1.ln() + Q * arg1);
        let pbo = (p.vj - pbfact1) / fact1;
        let gmaold = (p.vj - pbo) / pbo;
        let mut cj = p.cjo / (1.0 + p.m * (400e-6 * (tnom - REFTEMP) - gmaold));
        let vj = pbfact + fact2 * pbo;
        let gmanew = (vj - pbo) / pbo;
        cj *= 1.0 + p.m * (400e-6 * (temp - REFTEMP) - gmanew);
        let ratio = temp / tnom;
        let is_t = p.is * ((ratio - 1.0) * p.eg / (p.n * vt) + p.xti / p.n * ratio.ln()).exp();
        let xfc = (1.0 - p.fc).ln();
        let f1 = vj * (1.0 - ((1.0 - p.m) * xfc).exp()) / (1.0 - p.m);
        let vte = p.n * vt;
        let csat = is_t * area;
        let vcrit = vte * (vte / (std::f64::consts::SQRT_2 * csat)).ln();
        // Breakdown voltage adjusted so that I(−BV) = IBV (SPICE3 iteration,
        // with ngspice's breakdown emission NBV·Vt, NBV defaulting to N).
        let vtb = inst.model_param("nbv").unwrap_or(p.n) * vt;
        let bv = p.bv.map(|bv| {
            let cbv = p.ibv * area;
            if cbv < csat * bv / vt {
                bv
            } else {
                let tol = 1e-3 * cbv;
                let mut xbv = bv - vtb * (1.0 + cbv / csat).ln();
                for _ in 0..25 {
                    xbv = bv - vtb * (cbv / csat + 1.0 - xbv / vt).ln();
                    let xcbv = csat * (((bv - xbv) / vtb).exp() - 1.0 + xbv / vt);
                    if (xcbv - cbv).abs() <= tol {
                        break;
                    }
                }
                xbv
            }
        });
        let x = extra(inst, &p, area, vt, ratio)?;
        // JSW without NS shares the bottom characteristic: merged into IS
        let csat = csat
            + if x.vtesw == 0.0 {
                inst.model_param("jsw").unwrap_or(0.0)
                    * inst.param("pj").unwrap_or(0.0)
                    * (csat / (p.is * area))
            } else {
                0.0
            };
        if !(csat.is_finite() && vj.is_finite() && cj.is_finite() && vcrit.is_finite()) {
            return Err(Diagnostic::error(
                inst.span,
                format!(
                    "diode '{}': parameters give non-finite values at {:.2} °C",
                    inst.name,
                    temp - 273.15
                ),
            ));
        }
        Ok(Diode {
            name: inst.name.clone(),
            a: inst.nodes[0],
            k: inst.nodes[1],
            ap: inst.nodes[0],
            vte,
            inv_vte: 1.0 / vte,
            inv_vj: 1.0 / vj,
            qdep: vj * cj * area / (1.0 - p.m),
            csat,
            czero: cj * area,
            m: p.m,
            tt: p.tt,
            fc_vj: p.fc * vj,
            f1,
            f2: (1.0 - p.fc).powf(1.0 + p.m),
            f3: 1.0 - p.fc * (1.0 + p.m),
            vcrit,
            bv,
            gs: if p.rs > 0.0 { area / p.rs } else { 0.0 },
            off: inst.instance_param("off").is_some(),
            vd_old: inst.instance_param("ic").unwrap_or(0.0),
            s_rs: [Slot::default(); 4],
            s_j: [Slot::default(); 4],
            x,
        })
    }

    /// Junction current and conductance at `vd` (with `gmin` in parallel).
    fn iv(&self, vd: f64, gmin: f64) -> (f64, f64) {
        let (cd, gd) = if vd >= -3.0 * self.vte {
            let e = (vd * self.inv_vte).exp();
            (self.csat * (e - 1.0), self.csat * e * self.inv_vte)
        } else if self.bv.is_none_or(|bv| vd >= -bv) {
            let inv_vd = 1.0 / vd;
            let a = 3.0 * self.vte / std::f64::consts::E * inv_vd;
            let a3 = a * a * a;
            (-self.csat * (1.0 + a3), self.csat * 3.0 * a3 * inv_vd)
        } else {
            let bv = self.bv.unwrap_or(0.0);
            let vtb = self.x.vtebrk;
            let e = (-(bv + vd) / vtb).exp();
            (-self.csat * e, self.csat * e / vtb)
        };
        let (mut cd, mut gd) = (cd, gd);
        if self.x.csatsw > 0.0 {
            let (c, g) = branch_iv(vd, self.x.csatsw, self.x.vtesw, self.bv, self.x.vtebrk);
            cd += c;
            gd += g;
        }
        let ik = if vd >= -3.0 * self.vte {
            self.x.ikf
        } else {
            -self.x.ikr
        };
        if ik != 0.0 && cd / ik > 1e-18 / ik.abs() {
            // high injection (ngspice dioload.c): cd/(1 + √(cd/ik))
            let s = (cd / ik).sqrt();
            gd = ((1.0 + s) * gd - cd * gd / (2.0 * s * ik)) / (1.0 + 2.0 * s + cd / ik);
            cd /= 1.0 + s;
        }
        (cd + gmin * vd, gd + gmin)
    }

    /// Junction charge and capacitance at `vd` (cd, gd: the DC current and
    /// conductance, for the diffusion part). With `cap` false the
    /// capacitance is not wanted (its depletion part is returned as 0): a
    /// residual-only evaluation at an unlimited voltage, which then skips the
    /// abrupt junction's division.
    fn qc(&self, vd: f64, cd: f64, gd: f64, cap: bool) -> (f64, f64) {
        let (qj, cj) = if self.czero == 0.0 {
            (0.0, 0.0)
        } else if vd < self.fc_vj {
            let arg = 1.0 - vd * self.inv_vj;
            if self.m == 0.5 {
                // the common abrupt junction without ln/exp: arg^(1/2)
                let s = arg.sqrt();
                (
                    self.qdep * (1.0 - s),
                    if cap { self.czero / s } else { 0.0 },
                )
            } else {
                let sarg = (-self.m * arg.ln()).exp(); // arg^(−M)
                (self.qdep * (1.0 - arg * sarg), self.czero * sarg)
            }
        } else {
            let czof2 = self.czero / self.f2;
            (
                self.czero * self.f1
                    + czof2
                        * (self.f3 * (vd - self.fc_vj)
                            + 0.5 * self.m * self.inv_vj * (vd * vd - self.fc_vj * self.fc_vj)),
                czof2 * (self.f3 + self.m * vd * self.inv_vj),
            )
        };
        let (qs, cs) = if self.x.czsw > 0.0 {
            depletion(vd, self.x.czsw, self.x.vjsw, self.x.msw, self.x.fcsw)
        } else {
            (0.0, 0.0)
        };
        (qj + qs + self.tt * cd, cj + cs + self.tt * gd)
    }
}

impl Device for Diode {
    fn name(&self) -> &str {
        &self.name
    }
    fn setup(&mut self, s: &mut Setup) -> DResult<()> {
        if self.gs > 0.0 && self.a != self.k {
            self.ap = s.internal_node("internal");
        }
        Ok(())
    }
    fn slots(&mut self, s: &mut SlotAlloc) {
        self.s_rs = super::slots4(s, self.a, self.ap);
        self.s_j = super::slots4(s, self.ap, self.k);
    }
    fn stamp_linear(&self, g: &mut [f64], _c: &mut [f64]) {
        if self.ap != self.a {
            super::stamp4(g, &self.s_rs, self.gs);
        }
    }
    fn is_nonlinear(&self) -> bool {
        true
    }
    fn load(&mut self, cx: &LoadCtx, x: &[f64], st: &mut Stamp) {
        let vd_x = x[self.ap] - x[self.k];
        let mut vd = vd_x;
        if !cx.mode.limits() {
            // harmonic balance: successive loads are different time samples
        } else if cx.init_junctions && cx.first_iter {
            vd = if self.off { 0.0 } else { self.vcrit };
            st.limited = true;
        } else {
            let mut limited = false;
            if let Some(bv) = self.bv {
                if vd < (-bv + 10.0 * self.vte).min(0.0) {
                    let (vt, l) = pnjlim(-(vd + bv), -(self.vd_old + bv), self.vte, self.vcrit);
                    vd = -(vt + bv);
                    limited = l;
                } else {
                    let (v, l) = pnjlim(vd, self.vd_old, self.vte, self.vcrit);
                    vd = v;
                    limited = l;
                }
            } else {
                let (v, l) = pnjlim(vd, self.vd_old, self.vte, self.vcrit);
                vd = v;
                limited |= l;
            }
            if limited {
                st.limited = true;
            }
        }
        self.vd_old = vd;
        let (cd, gd) = self.iv(vd, cx.gmin);
        // Linearized about the limited voltage, evaluated at the actual x.
        let i = cd + gd * (vd_x - vd);
        st.g(self.s_j[0], gd);
        st.g(self.s_j[1], -gd);
        st.g(self.s_j[2], -gd);
        st.g(self.s_j[3], gd);
        if self.czero == 0.0 && self.tt == 0.0 {
            st.f(self.ap, i);
            st.f(self.k, -i);
        } else {
            // the capacitance enters the charge only at a limited voltage
            let (qd, cap) = self.qc(vd, cd, gd, st.wants_jacobian() || vd != vd_x);
            let q = qd + cap * (vd_x - vd);
            st.branch(self.ap, self.k, i, q);
            st.c(self.s_j[0], cap);
            st.c(self.s_j[1], -cap);
            st.c(self.s_j[2], -cap);
            st.c(self.s_j[3], cap);
        }
    }
    fn current(&self, x: &[f64], cx: &LoadCtx) -> Option<f64> {
        Some(self.iv(x[self.ap] - x[self.k], cx.gmin).0)
    }
    fn dc_pairs(&self) -> Vec<(usize, usize)> {
        vec![(self.a, self.k)]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A residual-only (chord) load gives bit-identical F and Q to a full
    /// load with the Jacobian, at forward, reverse and depletion-edge
    /// voltages and with the charge fused into F (transient) or apart (DC).
    #[test]
    fn residual_only_load_matches_the_full_load_exactly() {
        use crate::system::{LoadCtx, Mode, System};
        let text = "t\nV1 a 0 0.1\nD1 a b dm\nR1 b 0 1k\nD2 b c dm 2\nC1 c 0 1p\n\
                    .model dm D(IS=5e-6 N=1.05 RS=10 CJO=0.1p VJ=0.35 M=0.5 TT=1n)\n\
                    .model dn D(IS=1e-14 CJO=1p M=0.4)\nD3 c 0 dn\n.tran 1p 1n\n.end\n";
        let mut sm = crate::diag::SourceMap::new();
        let parsed =
            crate::netlist::parse_str("t.cir", text, std::path::Path::new("."), &mut sm).unwrap();
        let c = crate::elab::elaborate(&parsed.netlist, &[]).unwrap();
        let mut sys = System::build(&c.node_names, c.devices, &c.options).unwrap();
        let cx = LoadCtx {
            mode: Mode::Tran,
            time: 0.0,
            src_scale: 1.0,
            gmin: 1e-12,
            temp_k: 300.15,
            first_iter: false,
            init_junctions: false,
            h: 1e-12,
        };
        let n1 = sys.n + 1;
        for seed in 0..40 {
            // voltages from −1.2 to +0.6 V (reverse tail, depletion, forward)
            let x: Vec<f64> = (0..n1)
                .map(|i| {
                    if i == 0 {
                        0.0
                    } else {
                        -1.2 + 1.8 * (((seed * 7 + i * 13) % 29) as f64) / 28.0
                    }
                })
                .collect();
            for a0 in [None, Some(2e12)] {
                let mut full = sys.workspace();
                let mut chord = sys.workspace();
                sys.sources(&cx, &mut full);
                sys.sources(&cx, &mut chord);
                // settle the limiting state at x, so both loads start from it
                for _ in 0..100 {
                    sys.load(&cx, &x, &mut full, a0, true, false);
                    if !full.limited {
                        break;
                    }
                }
                assert!(!full.limited);
                sys.load(&cx, &x, &mut full, a0, true, false);
                sys.load(&cx, &x, &mut chord, a0, a0.is_none(), false);
                for i in 0..n1 {
                    assert_eq!(full.f[i].to_bits(), chord.f[i].to_bits(), "f[{i}] {a0:?}");
                    assert_eq!(full.q[i].to_bits(), chord.q[i].to_bits(), "q[{i}] {a0:?}");
                    assert_eq!(full.fscale[i].to_bits(), chord.fscale[i].to_bits());
                }
            }
        }
    }

    #[test]
    fn pnjlim_limits_large_forward_steps_only() {
        let vt = 0.025852;
        let vcrit = 0.6;
        // small step: unchanged
        assert_eq!(pnjlim(0.61, 0.6, vt, vcrit), (0.61, false));
        // big forward step from 0.6: logarithmic compression
        let (v, l) = pnjlim(5.0, 0.6, vt, vcrit);
        assert!(l && (v - (0.6 + vt * (1.0 + 4.4 / vt).ln())).abs() < 1e-15);
        // large negative step from 0 is clamped to −1
        assert_eq!(pnjlim(-10.0, 0.0, vt, vcrit), (-1.0, true));
    }
}
