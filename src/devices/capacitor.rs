//! Linear capacitor `Cname n+ n- value [ic=v] [m=]`: Q = C·(V+ − V−).
//!
//! With `.tran … uic`, `ic=` sets the initial voltage across the capacitor
//! (the initial charge C·ic replaces C·(V+ − V−) at t = 0).

use super::{slots4, stamp4, Device, Instance};
use crate::diag::{DResult, Diagnostic};
use crate::system::{Slot, SlotAlloc};

pub struct Capacitor {
    name: String,
    a: usize,
    b: usize,
    /// Capacitance [F].
    cap: f64,
    ic: Option<f64>,
    s: [Slot; 4],
}

impl Capacitor {
    pub fn from_instance(inst: &Instance) -> DResult<Capacitor> {
        const P: &[&str] = &["c", "capacitance", "ic", "m", "temp", "dtemp", "tc1", "tc2"];
        const M: &[&str] = &["c", "tc1", "tc2", "tnom"];
        inst.check_params(P, M)?;
        let (c, span) = inst.primary_value("c", "capacitance", "capacitor")?;
        if !c.is_finite() {
            return Err(Diagnostic::error(
                span,
                format!("capacitance of '{}' must be finite (got {c})", inst.name),
            ));
        }
        let m = inst.require("m", inst.param("m").unwrap_or(1.0), |m| m > 0.0, "positive")?;
        let (_, tf) = inst.temp_factor();
        Ok(Capacitor {
            name: inst.name.clone(),
            a: inst.nodes[0],
            b: inst.nodes[1],
            cap: c * m * tf * inst.model_param("c").unwrap_or(1.0),
            ic: inst.instance_param("ic"),
            s: [Slot::default(); 4],
        })
    }
}

impl Device for Capacitor {
    fn name(&self) -> &str {
        &self.name
    }
    fn slots(&mut self, s: &mut SlotAlloc) {
        self.s = slots4(s, self.a, self.b);
    }
    fn stamp_linear(&self, _g: &mut [f64], c: &mut [f64]) {
        stamp4(c, &self.s, self.cap);
    }
    fn uic_charge(&self, x: &[f64], q: &mut [f64]) {
        if let Some(ic) = self.ic {
            let dq = self.cap * (ic - (x[self.a] - x[self.b]));
            q[self.a] += dq;
            q[self.b] -= dq;
        }
    }
}
