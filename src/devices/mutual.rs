//! Mutual inductance `Kname L1 L2 k`: M = k·√(L1·L2) couples the branch
//! equations: V1 = L1 di1/dt + M di2/dt, V2 = M di1/dt + L2 di2/dt
//! (dot convention: both n+ terminals). |k| ≤ 1.

use super::Device;
use crate::diag::{DResult, Diagnostic, Span};
use crate::system::{Resolver, Slot, SlotAlloc};

pub struct Mutual {
    name: String,
    span: Span,
    l: [String; 2],
    m: f64,
    br: [usize; 2],
    s: [Slot; 2],
}

impl Mutual {
    /// `inductances` are the values of the two coupled inductors [H].
    pub fn new(
        name: String,
        span: Span,
        l: [String; 2],
        inductances: [f64; 2],
        k: f64,
        k_span: Span,
    ) -> DResult<Mutual> {
        if !(k.is_finite() && k.abs() <= 1.0) {
            return Err(Diagnostic::error(
                k_span,
                format!("coupling coefficient of '{name}' must satisfy |k| ≤ 1 (got {k})"),
            ));
        }
        let p = inductances[0] * inductances[1];
        if p < 0.0 {
            return Err(Diagnostic::error(
                span,
                format!("'{name}' couples inductances of opposite sign"),
            ));
        }
        Ok(Mutual {
            name,
            span,
            l,
            m: k * p.sqrt(),
            br: [0, 0],
            s: [Slot::default(); 2],
        })
    }
}

impl Device for Mutual {
    fn name(&self) -> &str {
        &self.name
    }
    fn resolve(&mut self, r: &Resolver) -> DResult<()> {
        for k in 0..2 {
            self.br[k] = r.branch_of(&self.l[k]).ok_or_else(|| {
                Diagnostic::error(
                    self.span,
                    format!("'{}' couples unknown inductor '{}'", self.name, self.l[k]),
                )
            })?;
        }
        Ok(())
    }
    fn slots(&mut self, s: &mut SlotAlloc) {
        self.s = [
            s.slot(self.br[0], self.br[1]),
            s.slot(self.br[1], self.br[0]),
        ];
    }
    fn stamp_linear(&self, _g: &mut [f64], c: &mut [f64]) {
        c[self.s[0].i()] -= self.m;
        c[self.s[1].i()] -= self.m;
    }
}
