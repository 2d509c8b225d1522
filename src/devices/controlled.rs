//! Linear controlled sources (SPICE E, F, G, H).
//!
//! - E (VCVS): V+ − V− = gain·(Vc+ − Vc−); branch current unknown.
//! - G (VCCS): current gm·(Vc+ − Vc−) from n+ through the device to n−.
//! - F (CCCS): current gain·i(vctrl) from n+ through the device to n−.
//! - H (CCVS): V+ − V− = r·i(vctrl); branch current unknown.
//!
//! The controlling current of F/H is the branch current of a device that has
//! one (voltage source, inductor, E/H/B-V source).

use super::Device;
use crate::diag::{DResult, Diagnostic, Span};
use crate::system::{Resolver, Setup, Slot, SlotAlloc};

/// Which controlled source, and what controls it.
#[derive(Debug, Clone)]
pub enum Control {
    /// Controlling node pair (unknown indices).
    Voltage(usize, usize),
    /// Controlling device name (its branch current), resolved later.
    Current(String),
}

pub struct Controlled {
    name: String,
    span: Span,
    a: usize,
    b: usize,
    gain: f64,
    /// Output is a voltage (E, H) — has a branch current unknown.
    voltage_out: bool,
    ctrl: Control,
    /// Resolved controlling unknowns (+, −); for current control (+ = branch, − = 0).
    cp: usize,
    cn: usize,
    br: usize,
    s: [Slot; 8],
}

impl Controlled {
    /// `letter` is one of `e f g h`.
    pub fn new(
        name: String,
        span: Span,
        nodes: [usize; 2],
        letter: char,
        ctrl: Control,
        gain: f64,
        gain_span: Span,
    ) -> DResult<Controlled> {
        if !gain.is_finite() {
            return Err(Diagnostic::error(
                gain_span,
                format!("gain of '{name}' must be finite (got {gain})"),
            ));
        }
        let (cp, cn) = match &ctrl {
            Control::Voltage(p, n) => (*p, *n),
            Control::Current(_) => (0, 0),
        };
        Ok(Controlled {
            name,
            span,
            a: nodes[0],
            b: nodes[1],
            gain,
            voltage_out: matches!(letter, 'e' | 'h'),
            ctrl,
            cp,
            cn,
            br: 0,
            s: [Slot::default(); 8],
        })
    }
}

impl Device for Controlled {
    fn name(&self) -> &str {
        &self.name
    }
    fn setup(&mut self, s: &mut Setup) -> DResult<()> {
        if self.voltage_out {
            self.br = s.branch_current();
        }
        Ok(())
    }
    fn resolve(&mut self, r: &Resolver) -> DResult<()> {
        if let Control::Current(dev) = &self.ctrl {
            self.cp = r.branch_of(dev).ok_or_else(|| {
                let why = if r.has_device(dev) {
                    "has no branch current (use a voltage source, inductor, E, H or B-V element)"
                } else {
                    "does not exist"
                };
                Diagnostic::error(
                    self.span,
                    format!("controlling device '{dev}' of '{}' {why}", self.name),
                )
            })?;
            self.cn = 0;
        }
        Ok(())
    }
    fn slots(&mut self, s: &mut SlotAlloc) {
        let (a, b, cp, cn, br) = (self.a, self.b, self.cp, self.cn, self.br);
        self.s = if self.voltage_out {
            [
                s.slot(a, br),
                s.slot(b, br),
                s.slot(br, a),
                s.slot(br, b),
                s.slot(br, cp),
                s.slot(br, cn),
                Slot::default(),
                Slot::default(),
            ]
        } else {
            [
                s.slot(a, cp),
                s.slot(a, cn),
                s.slot(b, cp),
                s.slot(b, cn),
                Slot::default(),
                Slot::default(),
                Slot::default(),
                Slot::default(),
            ]
        };
    }
    fn stamp_linear(&self, g: &mut [f64], _c: &mut [f64]) {
        let s = &self.s;
        let k = self.gain;
        if self.voltage_out {
            g[s[0].i()] += 1.0;
            g[s[1].i()] -= 1.0;
            g[s[2].i()] += 1.0;
            g[s[3].i()] -= 1.0;
            g[s[4].i()] -= k;
            g[s[5].i()] += k;
        } else {
            g[s[0].i()] += k;
            g[s[1].i()] -= k;
            g[s[2].i()] -= k;
            g[s[3].i()] += k;
        }
    }
    fn branch(&self) -> Option<usize> {
        self.voltage_out.then_some(self.br)
    }
    fn dc_pairs(&self) -> Vec<(usize, usize)> {
        // E/H tie their outputs; a G whose control includes an output node
        // is a conductance.
        let own = matches!(self.ctrl, Control::Voltage(p, n) if [p, n].iter().any(|&c| c == self.a || c == self.b));
        if self.voltage_out || own {
            vec![(self.a, self.b)]
        } else {
            Vec::new()
        }
    }
    fn voltage_pair(&self) -> Option<(usize, usize)> {
        self.voltage_out.then_some((self.a, self.b))
    }
}
