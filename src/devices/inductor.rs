//! Linear inductor `Lname n+ n- value [ic=i] [m=]`.
//!
//! Branch current i (from n+ through the inductor to n−) is an unknown; the
//! branch equation is V+ − V− − L di/dt = 0, i.e. F = V+ − V−, Q = −L·i.
//! In DC it is a short. `ic=` is the initial current with `uic`.
//!
//! A model's `L` (or `IND`) is the default inductance, used when the
//! instance has no value (ngspice; Xyce reads it as a multiplier).

use super::{Device, Instance};
use crate::diag::{DResult, Diagnostic};
use crate::system::{Setup, Slot, SlotAlloc};

pub struct Inductor {
    name: String,
    a: usize,
    b: usize,
    br: usize,
    /// Inductance [H].
    pub(crate) ind: f64,
    ic: Option<f64>,
    s: [Slot; 5],
}

impl Inductor {
    pub fn from_instance(inst: &Instance) -> DResult<Inductor> {
        const P: &[&str] = &[
            "l",
            "inductance",
            "ic",
            "m",
            "temp",
            "dtemp",
            "tc1",
            "tc2",
            "nt",
        ];
        const M: &[&str] = &["l", "ind", "tc1", "tc2", "tnom"];
        inst.check_params(P, M)?;
        let (l, span) = match inst.primary_value("l", "inductance", "inductor") {
            Ok(v) => v,
            Err(e) => match inst.model_param("l").or(inst.model_param("ind")) {
                Some(l) => (l, inst.span),
                None => return Err(e),
            },
        };
        if !l.is_finite() {
            return Err(Diagnostic::error(
                span,
                format!("inductance of '{}' must be finite (got {l})", inst.name),
            ));
        }
        let m = inst.require("m", inst.param("m").unwrap_or(1.0), |m| m > 0.0, "positive")?;
        let (_, tf) = inst.temp_factor();
        Ok(Inductor {
            name: inst.name.clone(),
            a: inst.nodes[0],
            b: inst.nodes[1],
            br: 0,
            ind: l * tf / m,
            ic: inst.instance_param("ic"),
            s: [Slot::default(); 5],
        })
    }
}

impl Device for Inductor {
    fn name(&self) -> &str {
        &self.name
    }
    fn setup(&mut self, s: &mut Setup) -> DResult<()> {
        self.br = s.branch_current();
        Ok(())
    }
    fn slots(&mut self, s: &mut SlotAlloc) {
        self.s = [
            s.slot(self.a, self.br),
            s.slot(self.b, self.br),
            s.slot(self.br, self.a),
            s.slot(self.br, self.b),
            s.slot(self.br, self.br),
        ];
    }
    fn stamp_linear(&self, g: &mut [f64], c: &mut [f64]) {
        g[self.s[0].i()] += 1.0;
        g[self.s[1].i()] -= 1.0;
        g[self.s[2].i()] += 1.0;
        g[self.s[3].i()] -= 1.0;
        c[self.s[4].i()] -= self.ind;
    }
    fn init_unknowns(&self, x: &mut [f64]) {
        if let Some(ic) = self.ic {
            x[self.br] = ic;
        }
    }
    fn branch(&self) -> Option<usize> {
        Some(self.br)
    }
    fn dc_pairs(&self) -> Vec<(usize, usize)> {
        vec![(self.a, self.b)]
    }
    fn voltage_pair(&self) -> Option<(usize, usize)> {
        Some((self.a, self.b))
    }
}
