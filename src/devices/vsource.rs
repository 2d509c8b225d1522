//! Independent voltage source `Vname n+ n- [DC v] [AC mag [phase]] [tran fn]`.
//!
//! Branch current i flows from n+ through the source to n− (SPICE sign: a
//! source delivering power has negative i). Branch equation
//! V+ − V− = v(t). In `.op`/`.dc` the DC value is used if given, else the
//! transient function at t = 0 (ngspice rule); in a transient, the function.

use super::waveform::Waveform;
use super::{Device, Instance};
use crate::diag::DResult;
use crate::system::{LoadCtx, Mode, Setup, Slot, SlotAlloc};
use num_complex::Complex64;

/// Evaluated source description shared by V and I sources.
#[derive(Debug, Clone)]
pub struct SourceValues {
    /// DC value if written.
    pub dc: Option<f64>,
    /// AC phasor (magnitude ∠ phase).
    pub ac: Complex64,
    pub wave: Option<Waveform>,
}

impl SourceValues {
    /// Value of the source in mode `cx.mode` at `cx.time`, before source stepping.
    #[inline]
    pub fn value(&self, cx: &LoadCtx) -> f64 {
        match (cx.mode, &self.wave, self.dc) {
            (Mode::Dc, _, Some(dc)) => dc,
            (Mode::Dc | Mode::TranOp, Some(w), _) => w.value(0.0),
            (Mode::Tran | Mode::Hb, Some(w), _) => w.value(cx.time),
            (_, None, dc) => dc.unwrap_or(0.0),
        }
    }
    /// Spectral lines of the periodic steady state up to `fmax` (see
    /// [`Device::stamp_hb`]): the transient function if there is one, else
    /// the DC value.
    pub fn spectrum(&self, fmax: f64) -> Result<Vec<(f64, Complex64)>, String> {
        match (&self.wave, self.dc) {
            (Some(w), _) => w.spectrum(fmax),
            (None, dc) => Ok(vec![(0.0, Complex64::new(dc.unwrap_or(0.0), 0.0))]),
        }
    }
    /// First breakpoint strictly after `t`.
    pub fn next_breakpoint(&self, t: f64) -> Option<f64> {
        self.wave.as_ref().and_then(|w| w.next_breakpoint(t))
    }
}

pub struct VSource {
    name: String,
    a: usize,
    b: usize,
    br: usize,
    src: SourceValues,
    s: [Slot; 4],
}

impl VSource {
    pub fn new(inst: &Instance, src: SourceValues) -> DResult<VSource> {
        inst.check_params(&[], &[])?;
        Ok(VSource {
            name: inst.name.clone(),
            a: inst.nodes[0],
            b: inst.nodes[1],
            br: 0,
            src,
            s: [Slot::default(); 4],
        })
    }
}

impl Device for VSource {
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
        ];
    }
    fn stamp_linear(&self, g: &mut [f64], _c: &mut [f64]) {
        g[self.s[0].i()] += 1.0;
        g[self.s[1].i()] -= 1.0;
        g[self.s[2].i()] += 1.0;
        g[self.s[3].i()] -= 1.0;
    }
    fn stamp_rhs(&self, cx: &LoadCtx, b: &mut [f64]) {
        b[self.br] += self.src.value(cx) * cx.src_scale;
    }
    fn is_source(&self) -> bool {
        true
    }
    fn stamp_ac(&self, b: &mut [Complex64]) {
        b[self.br] += self.src.ac;
    }
    fn stamp_hb(
        &self,
        fmax: f64,
        line: &mut dyn FnMut(usize, f64, Complex64),
    ) -> Result<(), String> {
        for (f, v) in self.src.spectrum(fmax)? {
            line(self.br, f, v);
        }
        Ok(())
    }
    fn next_breakpoint(&self, t: f64) -> Option<f64> {
        self.src.next_breakpoint(t)
    }
    fn branch(&self) -> Option<usize> {
        Some(self.br)
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
    fn dc_pairs(&self) -> Vec<(usize, usize)> {
        vec![(self.a, self.b)]
    }
    fn voltage_pair(&self) -> Option<(usize, usize)> {
        Some((self.a, self.b))
    }
}
