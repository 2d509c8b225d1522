//! Devices. Each device is one file that evaluates its part of the DAE
//! **F(x) + dQ(x)/dt = 0** — residual contributions to F and Q and their
//! Jacobians G = ∂F/∂x and C = ∂Q/∂x — into matrix slots it reserved once per
//! topology. Nothing outside a device file knows which device it is running.
//!
//! Sign convention: a device's F contribution at a node row is the current
//! *leaving* that node through the device (KCL: Σ currents leaving = 0).
//! Independent excitations enter as F = … − b(t) through [`Device::stamp_rhs`].

pub mod amr;
pub mod behavioural;
pub mod capacitor;
pub mod controlled;
pub mod diode;
pub mod inductor;
pub mod isource;
pub mod llg;
pub mod mtj;
pub mod mutual;
pub mod resistor;
pub mod spindiode;
pub mod stno;
pub mod vsource;
pub mod waveform;

use crate::diag::DResult;
use crate::system::{LoadCtx, Resolver, Setup, SlotAlloc, Stamp};
use num_complex::Complex64;

/// A derived output of a device (resistance, angle, power …) besides its unknowns.
#[derive(Debug, Clone, PartialEq)]
pub struct OutputDesc {
    /// Variable name as used in `@dev[var]`.
    pub var: String,
    pub unit: String,
}

/// A free-running oscillation of a device (see [`Device::oscillation`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Oscillation {
    /// Natural frequency [Hz].
    pub freq: f64,
    /// Own unknowns: (index, DC value, peak phasor of the fundamental),
    /// x_i(t) = dc + Re(phasor·e^{jωt}).
    pub unknowns: Vec<(usize, f64, Complex64)>,
    /// The unknown whose fundamental fixes the phase (Im = 0 there).
    pub probe: usize,
}

/// The interface every device implements. Call order per topology:
/// `setup` (allocate unknowns) → `resolve` (look up other devices' unknowns)
/// → `slots` twice (reserve, then bind) → `stamp_linear` once.
/// Per time point: `stamp_rhs`; per Newton iteration: `load` (nonlinear only);
/// per accepted point: `accept`.
pub trait Device: Send {
    /// Hierarchical instance name (lower-case), e.g. `x1.r3`.
    fn name(&self) -> &str;

    /// Allocate branch currents, internal nodes and internal states.
    fn setup(&mut self, _s: &mut Setup) -> DResult<()> {
        Ok(())
    }

    /// Resolve references to other devices (controlling sources, coupled
    /// inductors, probes in expressions). Called after every `setup`.
    fn resolve(&mut self, _r: &Resolver) -> DResult<()> {
        Ok(())
    }

    /// Declare the matrix entries this device writes. Called twice with the
    /// same sequence of `s.slot(row, col)` calls: the first call records the
    /// pattern, the second returns the final positions, which the device stores.
    fn slots(&mut self, s: &mut SlotAlloc);

    /// Constant parts of G and C (F_lin = G·x, Q_lin = C·x). Called once.
    fn stamp_linear(&self, _g: &mut [f64], _c: &mut [f64]) {}

    /// Whether `stamp_rhs` / `stamp_ac` do anything (independent sources).
    fn is_source(&self) -> bool {
        false
    }

    /// Whether `accept` does anything (devices with states to project).
    fn wants_accept(&self) -> bool {
        false
    }

    /// Independent excitation at `cx.time` in mode `cx.mode`, scaled by
    /// `cx.src_scale` (source stepping): adds b to `b`; the residual gets F = … − b.
    fn stamp_rhs(&self, _cx: &LoadCtx, _b: &mut [f64]) {}

    /// Small-signal AC excitation (complex amplitude, phase in the value).
    fn stamp_ac(&self, _b: &mut [Complex64]) {}

    /// Harmonic balance: the excitation b of this source in its periodic
    /// steady state as spectral lines `line(row, f, B)` (f ≥ 0 [Hz]; the row
    /// gets the term Re(B·e^{j2πft}), B a peak phasor, real at f = 0), every
    /// line up to `fmax`. `Err` says why the source has no periodic steady
    /// state (a damped sine, a single pulse …).
    fn stamp_hb(
        &self,
        _fmax: f64,
        _line: &mut dyn FnMut(usize, f64, Complex64),
    ) -> Result<(), String> {
        Ok(())
    }

    /// Harmonic balance: this device as a free-running oscillator at the
    /// operating point `x` (from [`Device::load`] in DC): its natural
    /// frequency and the steady oscillation of its own unknowns, to start
    /// the periodic solution from; None when it does not oscillate there
    /// (below threshold, or not an oscillator).
    fn oscillation(&self, _x: &[f64]) -> Option<Oscillation> {
        None
    }

    /// Whether this device can oscillate freely (a harmonic-balance `OSC=`
    /// target); [`Device::oscillation`] says whether it does at a given
    /// operating point.
    fn can_oscillate(&self) -> bool {
        false
    }

    /// Whether `load` depends on the time itself (a `time` in an
    /// expression), not only through the unknowns.
    fn uses_time(&self) -> bool {
        false
    }

    /// Whether `load` must be called every Newton iteration.
    fn is_nonlinear(&self) -> bool {
        false
    }

    /// Nonlinear part: add F, Q contributions and their Jacobians at `x`.
    fn load(&mut self, _cx: &LoadCtx, _x: &[f64], _st: &mut Stamp) {}

    /// First source breakpoint strictly after `t`.
    fn next_breakpoint(&self, _t: f64) -> Option<f64> {
        None
    }

    /// Called when a time point is accepted; may project internal states
    /// (e.g. renormalise |m|) in `x`, and must then update its rows of the
    /// accepted charges `q` consistently. The integrator's dQ/dt at this
    /// point was taken before the call (from the solved, unprojected
    /// charges), so a projection moves the state without feeding a spurious
    /// rate a0·Δq into the next step.
    fn accept(&mut self, _cx: &LoadCtx, _x: &mut [f64], _q: &mut [f64]) {}

    /// Initial values of own unknowns for the first Newton guess and for `uic`
    /// (inductor `ic=`, initial magnetization …).
    fn init_unknowns(&self, _x: &mut [f64]) {}

    /// With `uic`: correct the initial charges in `q` (capacitor `ic=`).
    fn uic_charge(&self, _x: &[f64], _q: &mut [f64]) {}

    /// Derived outputs available as `@name[var]`.
    fn outputs(&self) -> Vec<OutputDesc> {
        Vec::new()
    }

    /// Value of derived output `k` (index into `outputs()`) at `x`.
    fn output(&self, _k: usize, _x: &[f64], _cx: &LoadCtx) -> f64 {
        f64::NAN
    }

    /// The branch-current unknown that `i(name)` refers to, if any.
    fn branch(&self) -> Option<usize> {
        None
    }

    /// Current through the device (from n+ through it to n−) for `i(name)` on
    /// devices without a branch unknown (R, I, D …).
    fn current(&self, _x: &[f64], _cx: &LoadCtx) -> Option<f64> {
        None
    }

    /// `(a, b, g)` when the current (from n+ through the device to n−) is
    /// g·(x[a] − x[b]) with a constant g (a linear resistor), so that an
    /// expression may read `i(name)` without a branch unknown.
    fn linear_current(&self) -> Option<(usize, usize, f64)> {
        None
    }

    /// Re-read the conductances of the devices whose `i(…)` this device
    /// reads through [`Device::linear_current`] (`g_of(device index)`), after
    /// a `.dc` sweep changed one.
    fn refresh_linear_currents(&mut self, _g_of: &dyn Fn(usize) -> Option<f64>) {}

    /// Terminal pairs joined by a DC-conducting path through this device (for
    /// the "no DC path to ground" check).
    fn dc_pairs(&self) -> Vec<(usize, usize)> {
        Vec::new()
    }

    /// The node pair this device ties as an ideal voltage branch (V, E, H, L,
    /// B with V=), for the voltage-source / inductor loop check.
    fn voltage_pair(&self) -> Option<(usize, usize)> {
        None
    }

    /// The device's DC state rows that are its linearized dynamics, for the
    /// stability check of an operating point (Newton finds an unstable
    /// equilibrium of a magnetization as readily as a stable one); None
    /// when the device has no such states (or its DC rows are not its
    /// dynamics). See [`DcDynamics`].
    fn dc_dynamics(&self, _x: &[f64]) -> Option<DcDynamics> {
        None
    }

    /// What in this device's last evaluation may keep Newton from
    /// converging (an expression evaluated outside its domain …), for the
    /// message of a failed solve; None when nothing.
    fn convergence_note(&self) -> Option<String> {
        None
    }

    /// `.dc` sweep: set the swept value (source DC value, resistance …).
    /// Returns false if this device cannot be swept.
    fn set_sweep_value(&mut self, _v: f64) -> bool {
        false
    }
    /// The value a `.dc` sweep changes, as it was in the netlist (restored
    /// by [`Device::sweep_restore`] after the sweep, so the analyses after a
    /// `.dc` see the circuit as written, as in SPICE).
    fn sweep_saved(&self) -> Option<f64> {
        None
    }
    fn sweep_restore(&mut self, _saved: Option<f64>) {}
}

use crate::diag::{Diagnostic, Span};

/// Stability data of a device at a DC solution: its state unknowns s whose
/// DC rows are F_s = −ṡ(x) (plus terms that vanish on `basis`), and an
/// orthonormal basis (1 or 2 vectors over `states`) of the directions the
/// states are free to move in (the tangent plane of |m| = 1). The
/// operating point reduces the DC Jacobian to these states with the rest of
/// the circuit at DC (Schur complement, through the factored Jacobian) and
/// calls the state stable when every eigenvalue of −Bᵀ·S·B has a negative
/// real part.
#[derive(Debug, Clone)]
pub struct DcDynamics {
    pub states: Vec<usize>,
    pub basis: Vec<Vec<f64>>,
}

/// Construct a Xyce-style general device `Y<type> name … model …`.
pub fn general(dev_type: &str, type_span: Span, inst: &Instance) -> DResult<Box<dyn Device>> {
    match dev_type.to_ascii_lowercase().as_str() {
        "mtj" => mtj::mtj(inst),
        "amr" => amr::amr(inst),
        "stno" => Ok(Box::new(stno::Stno::from_instance(inst, type_span)?)),
        "sd" => Ok(Box::new(spindiode::SpinDiode::from_instance(
            inst, type_span,
        )?)),
        _ => Err(Diagnostic::error(
            type_span,
            format!("unknown device type 'Y{}'", dev_type.to_uppercase()),
        )
        .with_help("known general devices: YMTJ, YAMR, YSTNO, YSD")),
    }
}

/// An evaluated parameter `name=value` with the span of its text.
#[derive(Debug, Clone, PartialEq)]
pub struct PValue {
    pub name: String,
    pub value: f64,
    pub span: Span,
    /// The written bare name, for keyword-valued parameters of general `Y`
    /// devices (`torque=ll`); `value` is NaN unless the name is also a
    /// defined parameter.
    pub word: Option<String>,
}

/// An evaluated `.model` card.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelCard {
    pub name: String,
    /// Model type word, lower-case (`d`, `r`, `mtj` …).
    pub kind: String,
    pub params: Vec<PValue>,
    pub span: Span,
}

/// Everything a device constructor needs from the elaborated netlist.
#[derive(Debug, Clone)]
pub struct Instance<'a> {
    /// Hierarchical name (`x1.r3`).
    pub name: String,
    /// The element's line.
    pub span: Span,
    /// Unknown indices of the terminals (0 = ground).
    pub nodes: Vec<usize>,
    /// Positional value (R, C, L value; diode area), if written.
    pub value: Option<(f64, Span)>,
    /// Instance parameters, evaluated, in written order.
    pub params: Vec<PValue>,
    pub model: Option<&'a ModelCard>,
    /// Circuit temperature [°C] and nominal temperature [°C].
    pub temp: f64,
    pub tnom: f64,
}

impl Instance<'_> {
    /// Instance parameter, else model parameter, else None.
    pub fn param(&self, name: &str) -> Option<f64> {
        self.instance_param(name).or_else(|| self.model_param(name))
    }
    pub fn instance_param(&self, name: &str) -> Option<f64> {
        self.params
            .iter()
            .rev()
            .find(|p| p.name == name)
            .map(|p| p.value)
    }
    pub fn model_param(&self, name: &str) -> Option<f64> {
        self.model
            .and_then(|m| m.params.iter().rev().find(|p| p.name == name))
            .map(|p| p.value)
    }
    /// Keyword value of a parameter (instance, else model) written as a bare
    /// name, with its span; None if the parameter is absent or numeric.
    pub fn word(&self, name: &str) -> Option<(&str, Span)> {
        let p = self
            .params
            .iter()
            .rev()
            .find(|p| p.name == name)
            .or_else(|| {
                self.model
                    .and_then(|m| m.params.iter().rev().find(|p| p.name == name))
            })?;
        p.word.as_deref().map(|w| (w, p.span))
    }
    /// Span of a parameter (instance first, then model), else the element.
    pub fn param_span(&self, name: &str) -> Span {
        self.params
            .iter()
            .rev()
            .find(|p| p.name == name)
            .map(|p| p.span)
            .or_else(|| {
                self.model
                    .and_then(|m| m.params.iter().rev().find(|p| p.name == name))
                    .map(|p| p.span)
            })
            .unwrap_or(self.span)
    }
    /// Error on any instance parameter not in `inst_ok` and any model
    /// parameter not in `model_ok`.
    pub fn check_params(&self, inst_ok: &[&str], model_ok: &[&str]) -> Result<(), Diagnostic> {
        for p in &self.params {
            if !inst_ok.contains(&p.name.as_str()) {
                return Err(Diagnostic::error(
                    p.span,
                    format!("unknown parameter '{}' for '{}'", p.name, self.name),
                )
                .with_help(format!("accepted: {}", inst_ok.join(", "))));
            }
        }
        if let Some(m) = self.model {
            for p in &m.params {
                if !model_ok.contains(&p.name.as_str()) {
                    return Err(Diagnostic::error(
                        p.span,
                        format!(
                            "unknown parameter '{}' in model '{}' (type {})",
                            p.name, m.name, m.kind
                        ),
                    )
                    .with_help(format!("accepted: {}", model_ok.join(", "))));
                }
            }
        }
        Ok(())
    }
    /// The value of an R, C or L: the positional value, else `key=` or
    /// `long=` on the instance; with the span to report it at.
    pub fn primary_value(&self, key: &str, long: &str, what: &str) -> DResult<(f64, Span)> {
        match self.value {
            Some(v) => Ok(v),
            None => match self.instance_param(key).or(self.instance_param(long)) {
                Some(v) => Ok((v, self.param_span(key))),
                None => Err(Diagnostic::error(
                    self.span,
                    format!("{what} '{}' has no value", self.name),
                )),
            },
        }
    }
    /// Device temperature [°C] (`temp`, else the circuit's, plus `dtemp`) and
    /// the SPICE linear/quadratic temperature factor
    /// 1 + tc1·(T − Tnom) + tc2·(T − Tnom)².
    pub fn temp_factor(&self) -> (f64, f64) {
        let temp =
            self.instance_param("temp").unwrap_or(self.temp) + self.param("dtemp").unwrap_or(0.0);
        let dt = temp - self.param("tnom").unwrap_or(self.tnom);
        let tf = 1.0
            + self.param("tc1").unwrap_or(0.0) * dt
            + self.param("tc2").unwrap_or(0.0) * dt * dt;
        (temp, tf)
    }
    /// A parameter that must be finite and satisfy `ok`, else an error at its span.
    pub fn require(
        &self,
        name: &str,
        v: f64,
        ok: impl Fn(f64) -> bool,
        what: &str,
    ) -> Result<f64, Diagnostic> {
        if v.is_finite() && ok(v) {
            Ok(v)
        } else {
            Err(Diagnostic::error(
                self.param_span(name),
                format!("{} of '{}' must be {what} (got {v})", name, self.name),
            ))
        }
    }
}

/// Add the 4-entry conductance pattern of a two-terminal branch.
#[inline]
pub(crate) fn stamp4(vals: &mut [f64], s: &[crate::system::Slot; 4], v: f64) {
    vals[s[0].i()] += v;
    vals[s[1].i()] -= v;
    vals[s[2].i()] -= v;
    vals[s[3].i()] += v;
}

/// Reserve the four slots (aa, ab, ba, bb) of a two-terminal branch.
pub(crate) fn slots4(
    s: &mut crate::system::SlotAlloc,
    a: usize,
    b: usize,
) -> [crate::system::Slot; 4] {
    [s.slot(a, a), s.slot(a, b), s.slot(b, a), s.slot(b, b)]
}
