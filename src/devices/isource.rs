//! Independent current source `Iname n+ n- …` (same value syntax as V).
//! The current flows from n+ through the source to n− (SPICE convention), so
//! it leaves node n+ into the source and enters the circuit at n−.

use super::vsource::SourceValues;
use super::{Device, Instance};
use crate::diag::DResult;
use crate::system::{LoadCtx, SlotAlloc};
use num_complex::Complex64;

pub struct ISource {
    name: String,
    a: usize,
    b: usize,
    src: SourceValues,
}

impl ISource {
    pub fn new(inst: &Instance, src: SourceValues) -> DResult<ISource> {
        inst.check_params(&[], &[])?;
        Ok(ISource {
            name: inst.name.clone(),
            a: inst.nodes[0],
            b: inst.nodes[1],
            src,
        })
    }
}

impl Device for ISource {
    fn name(&self) -> &str {
        &self.name
    }
    fn slots(&mut self, _s: &mut SlotAlloc) {}
    fn stamp_rhs(&self, cx: &LoadCtx, b: &mut [f64]) {
        let i = self.src.value(cx) * cx.src_scale;
        b[self.a] -= i;
        b[self.b] += i;
    }
    fn is_source(&self) -> bool {
        true
    }
    fn stamp_ac(&self, b: &mut [Complex64]) {
        b[self.a] -= self.src.ac;
        b[self.b] += self.src.ac;
    }
    fn stamp_hb(
        &self,
        fmax: f64,
        line: &mut dyn FnMut(usize, f64, Complex64),
    ) -> Result<(), String> {
        for (f, v) in self.src.spectrum(fmax)? {
            line(self.a, f, -v);
            line(self.b, f, v);
        }
        Ok(())
    }
    fn next_breakpoint(&self, t: f64) -> Option<f64> {
        self.src.next_breakpoint(t)
    }
    fn current(&self, _x: &[f64], cx: &LoadCtx) -> Option<f64> {
        Some(self.src.value(cx) * cx.src_scale)
    }
    fn set_sweep_value(&mut self, v: f64) -> bool {
        self.src.dc = Some(v);
        true
    }
    fn sweep_saved(&self) -> Option<f64> {
        self.src.dc
    }
    fn sweep_restore(&mut self, saved: Option<f64>) {
        self.src.dc = saved;
    }
}
