//! Which signals are written, and how each is computed from the solution.
//! Default (no `.save`, or `.save all`): every netlist node voltage `v(node)`
//! and every branch current `i(device)` (sources, inductors, E/H/B-V), in
//! unknown order, plus the device internal states.

use crate::diag::{DResult, Diagnostic};
use crate::elab::SaveItem;
use crate::output::SignalInfo;
use crate::system::{LoadCtx, System, UnknownKind};
use num_complex::Complex64;

/// How one output column is computed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Source {
    /// An unknown (node voltage, branch current, state).
    Unknown(usize),
    /// Difference of two unknowns (`v(a,b)`).
    Diff(usize, usize),
    /// `i(dev)` of a device without a branch unknown.
    DeviceCurrent(usize),
    /// `@dev[var]` derived output k of a device.
    DeviceOutput(usize, usize),
}

#[derive(Debug, Clone)]
pub struct OutputSet {
    pub signals: Vec<SignalInfo>,
    pub sources: Vec<Source>,
}

impl OutputSet {
    /// Evaluate every column at real solution `x`.
    pub fn eval(&self, sys: &System, x: &[f64], cx: &LoadCtx, out: &mut [f64]) {
        for (o, s) in out.iter_mut().zip(&self.sources) {
            *o = eval_source(sys, *s, x, cx);
        }
    }

    /// Evaluate every column at a complex (AC) solution; derived outputs that
    /// have no small-signal meaning are NaN.
    pub fn eval_complex(&self, xc: &[Complex64], re: &mut [f64], im: &mut [f64]) {
        for (k, s) in self.sources.iter().enumerate() {
            let v = match *s {
                Source::Unknown(i) => xc[i],
                Source::Diff(a, b) => xc[a] - xc[b],
                _ => Complex64::new(f64::NAN, f64::NAN),
            };
            re[k] = v.re;
            im[k] = v.im;
        }
    }

    /// Index of the column of a probe, if recorded.
    pub fn find(&self, src: Source) -> Option<usize> {
        self.sources.iter().position(|s| *s == src)
    }

    /// Add a column (for measures) unless present; returns its index.
    pub fn ensure(&mut self, src: Source, info: SignalInfo) -> usize {
        match self.find(src) {
            Some(k) => k,
            None => {
                self.sources.push(src);
                self.signals.push(info);
                self.sources.len() - 1
            }
        }
    }
}

pub fn eval_source(sys: &System, s: Source, x: &[f64], cx: &LoadCtx) -> f64 {
    match s {
        Source::Unknown(i) => x[i],
        Source::Diff(a, b) => x[a] - x[b],
        Source::DeviceCurrent(d) => sys.devices[d].current(x, cx).unwrap_or(f64::NAN),
        Source::DeviceOutput(d, k) => sys.devices[d].output(k, x, cx),
    }
}

/// Resolve `i(dev)` to a column source.
pub fn current_source(sys: &System, dev: &str) -> Option<Source> {
    let &d = sys.by_name.get(dev)?;
    match sys.devices[d].branch() {
        Some(br) => Some(Source::Unknown(br)),
        None => {
            // devices without a branch unknown must report a current
            let probe = sys.devices[d].current(&vec![0.0; sys.n + 1], &probe_ctx(sys));
            probe.map(|_| Source::DeviceCurrent(d))
        }
    }
}

/// Resolve `@dev[var]`: a derived output or an internal state unknown.
pub fn device_var_source(sys: &System, dev: &str, var: &str) -> Option<(Source, String)> {
    let &d = sys.by_name.get(dev)?;
    if let Some(k) = sys.devices[d].outputs().iter().position(|o| o.var == var) {
        let unit = sys.devices[d].outputs()[k].unit.clone();
        return Some((Source::DeviceOutput(d, k), unit));
    }
    let state = format!("{dev}#{var}");
    sys.unknowns
        .iter()
        .position(|u| u.name == state)
        .map(|i| (Source::Unknown(i), sys.unknowns[i].unit.clone()))
}

fn probe_ctx(sys: &System) -> LoadCtx {
    super::op::dc_ctx(sys, crate::system::Mode::Dc)
}

/// Build the output set from `.save` items.
pub fn select(sys: &System, saves: &[SaveItem]) -> DResult<OutputSet> {
    let mut set = OutputSet {
        signals: Vec::new(),
        sources: Vec::new(),
    };
    let all = saves.is_empty() || saves.iter().any(|s| matches!(s, SaveItem::All));
    if all {
        for (i, u) in sys.unknowns.iter().enumerate().skip(1) {
            let keep = match u.kind {
                UnknownKind::Voltage => u.external,
                UnknownKind::Current | UnknownKind::State => true,
            };
            if keep {
                set.sources.push(Source::Unknown(i));
                set.signals
                    .push(SignalInfo::new(sys.unknown_label(i), u.unit.clone()));
            }
        }
    }
    for s in saves {
        set.add(sys, s)?;
    }
    Ok(set)
}

impl OutputSet {
    /// Add one `.save` item (kept once when it is already there).
    pub fn add(&mut self, sys: &System, s: &SaveItem) -> DResult<()> {
        let set = self;
        match s {
            SaveItem::All => {}
            SaveItem::Voltage { label, a, b } => {
                let src = if *b == 0 {
                    Source::Unknown(*a)
                } else {
                    Source::Diff(*a, *b)
                };
                set.ensure(src, SignalInfo::new(label.clone(), "V"));
            }
            SaveItem::Current {
                label,
                device,
                span,
            } => {
                let src = current_source(sys, device).ok_or_else(|| {
                    Diagnostic::error(*span, format!("no device '{device}' with a current"))
                })?;
                set.ensure(src, SignalInfo::new(label.clone(), "A"));
            }
            SaveItem::DeviceVar {
                label,
                device,
                var,
                span,
            } => {
                let (src, unit) = device_var_source(sys, device, var).ok_or_else(|| {
                    Diagnostic::error(*span, format!("device '{device}' has no variable '{var}'"))
                })?;
                set.ensure(src, SignalInfo::new(label.clone(), unit));
            }
        }
        Ok(())
    }
}
