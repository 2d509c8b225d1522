//! Linear resistor `Rname n+ n- value [tc1= tc2= m=]`.
//!
//! I = (V+ − V−)/R, R(T) = R·(1 + tc1·ΔT + tc2·ΔT²), ΔT = T − Tnom (SPICE
//! semiconductor-resistor temperature law; ngspice manual §3.2.1). `m` parallel
//! copies divide R.

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
        ];
        const M: &[&str] = &["r", "tc1", "tc2", "tnom"];
        inst.check_params(P, M)?;
        let (r, span) = inst.primary_value("r", "resistance", "resistor")?;
        if !r.is_finite() || r == 0.0 {
            return Err(Diagnostic::error(
                span,
                format!(
                    "resistance of '{}' must be finite and nonzero (got {r})",
                    inst.name
                ),
            ));
        }
        let r = r * inst.model_param("r").unwrap_or(1.0);
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
