//! Linear capacitor `Cname n+ n- [value] [model] [l= w=] [ic=v] [m=]`:
//! Q = C·(V+ − V−).
//!
//! Without a value, the ngspice semiconductor capacitor (manual §3.2.6):
//! C = CJ·(L − SHORT)·(W − NARROW) + 2·CJSW·((L − SHORT) + (W − NARROW)),
//! W defaulting to DEFW (1 µm), CJ to ε₀·ε_r(DI)/THICK when THICK is
//! given; else the model's `CAP` (`C`). An instance value wins (ngspice).
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
        const P: &[&str] = &[
            "c",
            "capacitance",
            "ic",
            "m",
            "temp",
            "dtemp",
            "tc1",
            "tc2",
            "l",
            "w",
            "scale",
        ];
        const M: &[&str] = &[
            "c", "cap", "tc1", "tc2", "tnom", "cj", "cjsw", "defw", "narrow", "short", "di",
            "thick",
        ];
        inst.check_params(P, M)?;
        let (c, span) = match inst.primary_value("c", "capacitance", "capacitor") {
            Ok(v) => v,
            Err(e) => match semiconductor_c(inst) {
                Some(c) => (c, inst.span),
                None => return Err(e),
            },
        };
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
            cap: c * m * tf,
            ic: inst.instance_param("ic"),
            s: [Slot::default(); 4],
        })
    }
}

/// C from the geometry, else the model's `CAP`/`C`; None without either.
fn semiconductor_c(inst: &Instance) -> Option<f64> {
    /// Vacuum permittivity [F/m] (CODATA 2018).
    const EPS0: f64 = 8.854_187_812_8e-12;
    let cj = inst.model_param("cj").or_else(|| {
        let thick = inst.model_param("thick")?;
        Some(EPS0 * inst.model_param("di").unwrap_or(3.9) / thick)
    });
    let geometry = inst.instance_param("l").map(|l| {
        let w = inst
            .instance_param("w")
            .or(inst.model_param("defw"))
            .unwrap_or(1e-6);
        let le = l - inst.model_param("short").unwrap_or(0.0);
        let we = w - inst.model_param("narrow").unwrap_or(0.0);
        let cjsw = inst.model_param("cjsw").unwrap_or(0.0);
        cj.unwrap_or(0.0) * le * we + 2.0 * cjsw * (le + we)
    });
    geometry.or(inst.model_param("cap").or(inst.model_param("c")))
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
