//! Linear resistor `Rname n+ n- [value] [model] [l= w=] [tc1= tc2= m= ac=]`.
//!
//! I = (V+ − V−)/R, R(T) = R·(1 + tc1·ΔT + tc2·ΔT²), ΔT = T − Tnom (SPICE
//! semiconductor-resistor temperature law; ngspice manual §3.2.1). `m` parallel
//! copies divide R.
//!
//! Without a value, the ngspice semiconductor resistor (manual §3.2.2):
//! R = RSH·(L − SHORT)/(W − NARROW), W defaulting to the model's DEFW (1 µm);
//! else the model's `R` (its default resistance). A value written on the
//! instance wins over both (ngspice; HSPICE and Xyce read a model `R` as a
//! multiplier instead). `ac=` (ngspice: the resistance used in `.ac` only)
//! is accepted; here the DC value serves every analysis, with a warning
//! from elaboration. A zero resistance is set to 1 mΩ, as ngspice does
//! (with a warning from elaboration).

use super::{slots4, stamp4, Device, Instance};
use crate::diag::{DResult, Diagnostic};
use crate::system::{Slot, SlotAlloc};

pub struct Resistor {
    name: String,
    a: usize,
    b: usize,
    /// Conductance [S].
    g: f64,
    /// Temperature/multiplier factor applied to a swept resistance.
    factor: f64,
    s: [Slot; 4],
}

impl Resistor {
    pub fn from_instance(inst: &Instance) -> DResult<Resistor> {
        const P: &[&str] = &[
            "r",
            "resistance",
            "tc1",
            "tc2",
            "m",
            "temp",
            "dtemp",
            "tnom",
            "l",
            "w",
            "ac",
            "scale",
        ];
        const M: &[&str] = &[
            "r", "res", "tc1", "tc2", "tnom", "rsh", "defw", "narrow", "short", "kf", "af",
        ];
        inst.check_params(P, M)?;
        let (r, span) = match inst.primary_value("r", "resistance", "resistor") {
            Ok(v) => v,
            Err(e) => match semiconductor_r(inst) {
                Some(r) => (r, inst.span),
                None => return Err(e),
            },
        };
        let r = if r == 0.0 { ZERO_R } else { r };
        if !r.is_finite() {
            return Err(Diagnostic::error(
                span,
                format!("resistance of '{}' must be finite (got {r})", inst.name),
            ));
        }
        let (temp, tf) = inst.temp_factor();
        let m = inst.require("m", inst.param("m").unwrap_or(1.0), |m| m > 0.0, "positive")?;
        let factor = tf / m;
        let rt = r * factor;
        if !rt.is_finite() || rt == 0.0 {
            return Err(Diagnostic::error(
                span,
                format!("resistance of '{}' at {temp} °C is {rt} Ω", inst.name),
            ));
        }
        Ok(Resistor {
            name: inst.name.clone(),
            a: inst.nodes[0],
            b: inst.nodes[1],
            g: 1.0 / rt,
            factor,
            s: [Slot::default(); 4],
        })
    }
}

/// What a zero resistance becomes (ngspice's minimum resistance) [Ω].
pub const ZERO_R: f64 = 1e-3;

/// R from the geometry (`l`, `w`, model RSH/DEFW/NARROW/SHORT), else the
/// model's default resistance `R`; None when neither is given.
fn semiconductor_r(inst: &Instance) -> Option<f64> {
    let from_geometry = match (inst.instance_param("l"), inst.model_param("rsh")) {
        (Some(l), Some(rsh)) => {
            let w = inst
                .instance_param("w")
                .or(inst.model_param("defw"))
                .unwrap_or(1e-6);
            let narrow = inst.model_param("narrow").unwrap_or(0.0);
            let short = inst.model_param("short").unwrap_or(0.0);
            Some(rsh * (l - short) / (w - narrow))
        }
        _ => None,
    };
    from_geometry.or(inst.model_param("r").or(inst.model_param("res")))
}

impl Device for Resistor {
    fn name(&self) -> &str {
        &self.name
    }
    fn slots(&mut self, s: &mut SlotAlloc) {
        self.s = slots4(s, self.a, self.b);
    }
    fn stamp_linear(&self, g: &mut [f64], _c: &mut [f64]) {
        stamp4(g, &self.s, self.g);
    }
    fn current(&self, x: &[f64], _cx: &crate::system::LoadCtx) -> Option<f64> {
        Some((x[self.a] - x[self.b]) * self.g)
    }
    fn linear_current(&self) -> Option<(usize, usize, f64)> {
        Some((self.a, self.b, self.g))
    }
    fn sweep_saved(&self) -> Option<f64> {
        Some(1.0 / (self.g * self.factor))
    }
    fn sweep_restore(&mut self, saved: Option<f64>) {
        if let Some(r) = saved {
            self.set_sweep_value(r);
        }
    }
    fn set_sweep_value(&mut self, v: f64) -> bool {
        if v == 0.0 || !v.is_finite() {
            return false;
        }
        self.g = 1.0 / (v * self.factor);
        true
    }
    fn dc_pairs(&self) -> Vec<(usize, usize)> {
        vec![(self.a, self.b)]
    }
}
