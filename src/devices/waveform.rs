//! Independent-source time functions: DC, SIN, PULSE, PWL, EXP, SFFM, AM, with
//! the breakpoints (corners, delays) the transient step control must hit.
//!
//! # Compatibility
//!
//! The values reproduce **ngspice 39** (`src/spicelib/devices/vsrc/vsrcload.c`
//! of that release) operation for operation, so that `value(t)` equals what
//! ngspice loads at the same `t` to the last bits; this is checked against the
//! ngspice binary in the tests below. Where ngspice 39 differs from its manual,
//! the binary wins; the differences found are:
//!
//! * `EXP`: an omitted (or zero) `TD1` is `TSTEP`, not 0 as the manual says.
//! * `PULSE`: `TR`, `TF` equal to 0 mean `TSTEP`; `PW`, `PER` equal to 0 mean
//!   `TSTOP` (also when only five arguments are given). The eighth argument is
//!   the number of pulses `NP` (0 = unlimited; it may be fractional: the train is
//!   cut at `TD + NP·PER`).
//! * `SIN` before `TD` holds `VO + VA·sin(PHASE)` (the phase offset is applied
//!   before the delay too).
//! * `SFFM(VO VA FC MDI FS PHASEC PHASES)` has no delay and starts at t = 0.
//! * `AM(VA VO MF FC TD PHASEM PHASEC)`: `FC` defaults to 0 (so an `AM` with
//!   four or fewer arguments is identically zero); the value is 0 up to and
//!   including `TD`; ngspice 39 ignores the sixth argument (`PHASEM`) and applies
//!   the **seventh** (`PHASEC`) to both the modulating and the carrier sine.
//! * `PWL … r=T`: `T` must equal one of the time points and be before the last
//!   one; the repeated section is `[T, t_last]`. `r=-1` (any `r < -0.5`) means no
//!   repetition. Exactly at a repetition boundary the value is the one at `T`
//!   (start of the next repetition), not the last value. `td=` shifts the whole
//!   waveform (including the repetitions) later.
//!
//! Inputs that ngspice accepts but that have no sensible meaning are errors here:
//! negative `TR`, `TF`, `PW`, `PER`, `NP`, `TAU1`, `TAU2`; non-increasing PWL times
//! (ngspice only warns); `r=` not matching a time point or not before the last
//! one (ngspice 39 hangs for `r` = last time).
//!
//! # Breakpoints
//!
//! [`Waveform::next_breakpoint`] returns the first corner `c` (a time where the
//! value or its slope jumps) that is *after* `t` in the sense of
//! [`is_after`]: `c − t > BREAKPOINT_REL_TOL · max(|c|, |t|)`. A step that
//! lands a hair (up to ~10⁻¹² relative, i.e. a few thousand ulps) before a
//! corner is therefore treated as being on it, and the following corner is
//! returned instead; corners closer together than that tolerance are merged.

use std::f64::consts::PI;

use crate::diag::{DResult, Diagnostic, Span};
use crate::expr::Expr;
use crate::netlist::ast::TranFn;
use num_complex::Complex64;

pub mod noise;
use noise::{RandomKind, TrNoise, TrRandom};

/// Analysis parameters that SPICE uses for omitted source arguments.
#[derive(Debug, Clone, Copy)]
pub struct TranDefaults {
    /// `.tran` TSTEP (s): default rise/fall time, EXP delay and time constants.
    pub tstep: f64,
    /// `.tran` TSTOP (s): default pulse width and period; 1/TSTOP is the default frequency.
    pub tstop: f64,
}

/// Relative tolerance of [`Waveform::next_breakpoint`] (see the module docs).
pub const BREAKPOINT_REL_TOL: f64 = 1e-12;

/// True if corner `c` (s) counts as strictly after time `t` (s):
/// `c − t > BREAKPOINT_REL_TOL · max(|c|, |t|)`.
pub fn is_after(c: f64, t: f64) -> bool {
    c - t > BREAKPOINT_REL_TOL * c.abs().max(t.abs())
}

/// A transient source function with every default resolved. Values are in the
/// source's unit (V for `V…`, A for `I…`), times in s, frequencies in Hz,
/// phases in degrees (as written), damping in 1/s.
#[derive(Debug, Clone, PartialEq)]
pub enum Waveform {
    /// A constant (a source without a transient function).
    Dc(f64),
    /// `SIN(VO VA FREQ TD THETA PHASE)`:
    /// `VO + VA·sin(2π·FREQ·(t−TD) + PHASE)·exp(−THETA·(t−TD))` for t > TD,
    /// `VO + VA·sin(PHASE)` before.
    Sin {
        vo: f64,
        va: f64,
        freq: f64,
        td: f64,
        theta: f64,
        phase: f64,
    },
    /// `PULSE(V1 V2 TD TR TF PW PER NP)`; `np` None = unlimited pulses.
    Pulse {
        v1: f64,
        v2: f64,
        td: f64,
        tr: f64,
        tf: f64,
        pw: f64,
        per: f64,
        np: Option<f64>,
    },
    /// `PWL(t1 v1 t2 v2 …) r=… td=…`: `times` strictly increasing;
    /// `repeat` = index of the point the repetition restarts from.
    Pwl {
        times: Vec<f64>,
        values: Vec<f64>,
        repeat: Option<usize>,
        delay: f64,
    },
    /// `EXP(V1 V2 TD1 TAU1 TD2 TAU2)`.
    Exp {
        v1: f64,
        v2: f64,
        td1: f64,
        tau1: f64,
        td2: f64,
        tau2: f64,
    },
    /// `SFFM(VO VA FC MDI FS PHASEC PHASES)`:
    /// `VO + VA·sin(2π·FC·t + PHASEC + MDI·sin(2π·FS·t + PHASES))`.
    Sffm {
        vo: f64,
        va: f64,
        fc: f64,
        mdi: f64,
        fs: f64,
        phasec: f64,
        phases: f64,
    },
    /// `AM(VA VO MF FC TD PHASEM PHASEC)`, with τ = t − TD:
    /// `VA·(VO + sin(2π·MF·τ + PHASEC))·sin(2π·FC·τ + PHASEC)` for τ > 0, else 0.
    /// `phasem` (sixth argument) is kept but, as in ngspice 39, not used.
    Am {
        va: f64,
        vo: f64,
        mf: f64,
        fc: f64,
        td: f64,
        phasem: f64,
        phasec: f64,
    },
    /// `TRNOISE(NA NT)` (white part; [`noise`]).
    TrNoise(TrNoise),
    /// `TRRANDOM(TYPE TS TD PARAM1 PARAM2)` ([`noise`]).
    TrRandom(TrRandom),
}

/// Evaluated arguments of one function call, with their spans for messages.
struct Args<'a> {
    func: &'static str,
    names: &'static [&'static str],
    vals: Vec<f64>,
    exprs: &'a [Expr],
    span: Span,
    d: TranDefaults,
}

impl Args<'_> {
    fn eval<'e>(
        func: &'static str,
        names: &'static [&'static str],
        min: usize,
        exprs: &'e [Expr],
        span: Span,
        eval: &mut dyn FnMut(&Expr) -> DResult<f64>,
        d: TranDefaults,
    ) -> DResult<Args<'e>> {
        if exprs.len() < min {
            return Err(Diagnostic::error(
                span,
                format!(
                    "{func} needs at least {min} arguments ({}), got {}",
                    names[..min].join(" "),
                    exprs.len()
                ),
            )
            .with_help(format!("{func}({})", names.join(" "))));
        }
        if exprs.len() > names.len() {
            return Err(Diagnostic::error(
                exprs[names.len()].span,
                format!(
                    "{func} takes at most {} arguments, got {}",
                    names.len(),
                    exprs.len()
                ),
            )
            .with_label("extra argument")
            .with_help(format!("{func}({})", names.join(" "))));
        }
        let mut vals = Vec::with_capacity(exprs.len());
        for (e, name) in exprs.iter().zip(names) {
            vals.push(finite(eval(e)?, e.span, func, name)?);
        }
        Ok(Args {
            func,
            names,
            vals,
            exprs,
            span,
            d,
        })
    }

    /// Argument `i` as given (None if omitted).
    fn get(&self, i: usize) -> Option<f64> {
        self.vals.get(i).copied()
    }

    /// Argument `i`, or `default` if omitted.
    fn or(&self, i: usize, default: f64) -> f64 {
        self.get(i).unwrap_or(default)
    }

    /// Argument `i` if given and non-zero, else `None` (SPICE: 0 = default).
    fn nonzero(&self, i: usize) -> Option<f64> {
        self.get(i).filter(|v| *v != 0.0)
    }

    /// Error at argument `i` (or at the whole call if it was omitted).
    fn err(&self, i: usize, msg: String) -> Diagnostic {
        let span = self.exprs.get(i).map(|e| e.span).unwrap_or(self.span);
        Diagnostic::error(span, msg)
    }

    /// Argument `i` must not be negative.
    fn non_negative(&self, i: usize) -> DResult<()> {
        match self.get(i) {
            Some(v) if v < 0.0 => Err(self.err(
                i,
                format!(
                    "{} {} must not be negative (got {v:e})",
                    self.func, self.names[i]
                ),
            )),
            _ => Ok(()),
        }
    }

    /// `.tran` TSTEP, needed because argument `i` was omitted or zero.
    fn tstep(&self, i: usize) -> DResult<f64> {
        let v = self.d.tstep;
        if v.is_finite() && v > 0.0 {
            Ok(v)
        } else {
            Err(self.err(
                i,
                format!(
                    "{} {} is omitted or zero, so it defaults to the .tran TSTEP, but there is none",
                    self.func, self.names[i]
                ),
            )
            .with_help(format!("give {} explicitly", self.names[i])))
        }
    }

    /// `.tran` TSTOP, needed because argument `i` was omitted or zero.
    fn tstop(&self, i: usize) -> DResult<f64> {
        let v = self.d.tstop;
        if v.is_finite() && v > 0.0 {
            Ok(v)
        } else {
            Err(self.err(
                i,
                format!(
                    "{} {} is omitted or zero, so it defaults to the .tran TSTOP, but there is none",
                    self.func, self.names[i]
                ),
            )
            .with_help(format!("give {} explicitly", self.names[i])))
        }
    }
}

fn finite(v: f64, span: Span, func: &str, name: &str) -> DResult<f64> {
    if v.is_finite() {
        Ok(v)
    } else {
        Err(Diagnostic::error(
            span,
            format!("{func} {name} is not a finite number ({v})"),
        ))
    }
}

const SIN_ARGS: &[&str] = &["VO", "VA", "FREQ", "TD", "THETA", "PHASE"];
const PULSE_ARGS: &[&str] = &["V1", "V2", "TD", "TR", "TF", "PW", "PER", "NP"];
const EXP_ARGS: &[&str] = &["V1", "V2", "TD1", "TAU1", "TD2", "TAU2"];
const SFFM_ARGS: &[&str] = &["VO", "VA", "FC", "MDI", "FS", "PHASEC", "PHASES"];
const AM_ARGS: &[&str] = &["VA", "VO", "MF", "FC", "TD", "PHASEM", "PHASEC"];
const TRNOISE_ARGS: &[&str] = &["NA", "NT", "NALPHA", "NAMP", "RTSAM", "RTSCAPT", "RTSEMT"];
const TRRANDOM_ARGS: &[&str] = &["TYPE", "TS", "TD", "PARAM1", "PARAM2"];

impl Waveform {
    /// Build from the AST; `eval` evaluates argument expressions (parameters).
    /// Errors (wrong argument count, negative times, non-increasing PWL times…)
    /// point at the argument's span. Omitted arguments take the ngspice 39
    /// defaults (see the module docs), some of which come from `d`.
    pub fn from_ast(
        f: &TranFn,
        eval: &mut dyn FnMut(&Expr) -> DResult<f64>,
        d: TranDefaults,
    ) -> DResult<Waveform> {
        match f {
            TranFn::Sin(exprs, span) => {
                let a = Args::eval("SIN", SIN_ARGS, 2, exprs, *span, eval, d)?;
                let freq = match a.nonzero(2) {
                    Some(f) => f,
                    None => 1.0 / a.tstop(2)?,
                };
                Ok(Waveform::Sin {
                    vo: a.vals[0],
                    va: a.vals[1],
                    freq,
                    td: a.or(3, 0.0),
                    theta: a.or(4, 0.0),
                    phase: a.or(5, 0.0),
                })
            }
            TranFn::Pulse(exprs, span) => {
                let a = Args::eval("PULSE", PULSE_ARGS, 2, exprs, *span, eval, d)?;
                for i in 3..8 {
                    a.non_negative(i)?;
                }
                let tr = match a.nonzero(3) {
                    Some(v) => v,
                    None => a.tstep(3)?,
                };
                let tf = match a.nonzero(4) {
                    Some(v) => v,
                    None => a.tstep(4)?,
                };
                let pw = match a.nonzero(5) {
                    Some(v) => v,
                    None => a.tstop(5)?,
                };
                let per = match a.nonzero(6) {
                    Some(v) => v,
                    None => a.tstop(6)?,
                };
                Ok(Waveform::Pulse {
                    v1: a.vals[0],
                    v2: a.vals[1],
                    td: a.or(2, 0.0),
                    tr,
                    tf,
                    pw,
                    per,
                    np: a.nonzero(7),
                })
            }
            TranFn::Exp(exprs, span) => {
                let a = Args::eval("EXP", EXP_ARGS, 2, exprs, *span, eval, d)?;
                a.non_negative(3)?;
                a.non_negative(5)?;
                let td1 = match a.nonzero(2) {
                    Some(v) => v,
                    None => a.tstep(2)?,
                };
                let tau1 = match a.nonzero(3) {
                    Some(v) => v,
                    None => a.tstep(3)?,
                };
                let td2 = match a.nonzero(4) {
                    Some(v) => v,
                    None => td1 + a.tstep(4)?,
                };
                let tau2 = match a.nonzero(5) {
                    Some(v) => v,
                    None => a.tstep(5)?,
                };
                Ok(Waveform::Exp {
                    v1: a.vals[0],
                    v2: a.vals[1],
                    td1,
                    tau1,
                    td2,
                    tau2,
                })
            }
            TranFn::Sffm(exprs, span) => {
                let a = Args::eval("SFFM", SFFM_ARGS, 2, exprs, *span, eval, d)?;
                let fc = match a.nonzero(2) {
                    Some(v) => v,
                    None => 1.0 / a.tstop(2)?,
                };
                let fs = match a.nonzero(4) {
                    Some(v) => v,
                    None => 1.0 / a.tstop(4)?,
                };
                Ok(Waveform::Sffm {
                    vo: a.vals[0],
                    va: a.vals[1],
                    fc,
                    mdi: a.or(3, 0.0),
                    fs,
                    phasec: a.or(5, 0.0),
                    phases: a.or(6, 0.0),
                })
            }
            TranFn::Am(exprs, span) => {
                let a = Args::eval("AM", AM_ARGS, 2, exprs, *span, eval, d)?;
                let mf = match a.nonzero(2) {
                    Some(v) => v,
                    None => 1.0 / a.tstop(2)?,
                };
                Ok(Waveform::Am {
                    va: a.vals[0],
                    vo: a.vals[1],
                    mf,
                    fc: a.or(3, 0.0),
                    td: a.or(4, 0.0),
                    phasem: a.or(5, 0.0),
                    phasec: a.or(6, 0.0),
                })
            }
            TranFn::Pwl {
                points,
                repeat,
                delay,
                span,
            } => pwl_from_ast(points, repeat.as_ref(), delay.as_ref(), *span, eval),
            TranFn::TrNoise(exprs, span) => {
                let a = Args::eval("TRNOISE", TRNOISE_ARGS, 2, exprs, *span, eval, d)?;
                a.non_negative(1)?;
                if let Some(i) = (2..a.vals.len()).find(|&i| a.vals[i] != 0.0) {
                    return Err(a.err(
                        i,
                        format!(
                            "TRNOISE {} is not supported here (only white noise: NA NT); \
                             1/f and random telegraph noise are not generated",
                            TRNOISE_ARGS[i]
                        ),
                    ));
                }
                Ok(Waveform::TrNoise(TrNoise {
                    na: a.vals[0],
                    nt: a.vals[1],
                    key: 0,
                }))
            }
            TranFn::TrRandom(exprs, span) => {
                let a = Args::eval("TRRANDOM", TRRANDOM_ARGS, 2, exprs, *span, eval, d)?;
                let Some(kind) = RandomKind::from_type(a.vals[0]) else {
                    return Err(a.err(
                        0,
                        format!(
                            "TRRANDOM TYPE must be 1 (uniform), 2 (Gaussian), 3 (exponential) \
                             or 4 (Poisson), got {}",
                            a.vals[0]
                        ),
                    ));
                };
                let Some(ts) = a.nonzero(1).filter(|&v| v > 0.0) else {
                    return Err(a.err(1, "TRRANDOM TS must be positive".into()));
                };
                a.non_negative(2)?;
                Ok(Waveform::TrRandom(TrRandom {
                    kind,
                    ts,
                    td: a.or(2, 0.0),
                    p1: a.or(3, 1.0),
                    p2: a.or(4, 0.0),
                    key: 0,
                }))
            }
        }
    }

    /// The key of a random waveform's draws ([`noise`]): a hash of the run
    /// seed and the source's name. Other waveforms are unchanged.
    pub fn with_key(mut self, key: u64) -> Waveform {
        match &mut self {
            Waveform::TrNoise(w) => w.key = key,
            Waveform::TrRandom(w) => w.key = key,
            _ => {}
        }
        self
    }

    /// Value at time `t` (s), in the source's unit.
    pub fn value(&self, t: f64) -> f64 {
        match self {
            Waveform::Dc(v) => *v,
            Waveform::TrNoise(w) => w.value(t),
            Waveform::TrRandom(w) => w.value(t),
            &Waveform::Sin {
                vo,
                va,
                freq,
                td,
                theta,
                phase,
            } => {
                // Same operations, in the same order, as ngspice 39.
                let phase = phase * PI / 180.0;
                let time = t - td;
                if time <= 0.0 {
                    vo + va * phase.sin()
                } else {
                    vo + va * (freq * time * 2.0 * PI + phase).sin() * (-time * theta).exp()
                }
            }
            &Waveform::Pulse {
                v1,
                v2,
                td,
                tr,
                tf,
                pw,
                per,
                np,
            } => {
                let mut time = t - td;
                let tmax = np.map_or(1e99, |n| n * per);
                if time > tmax {
                    return v1;
                }
                if time > per {
                    let basetime = per * (time / per).floor();
                    time -= basetime;
                }
                if time <= 0.0 || time >= tr + pw + tf {
                    v1
                } else if time >= tr && time <= tr + pw {
                    v2
                } else if time > 0.0 && time < tr {
                    v1 + (v2 - v1) * time / tr
                } else {
                    v2 + (v1 - v2) * (time - (tr + pw)) / tf
                }
            }
            &Waveform::Exp {
                v1,
                v2,
                td1,
                tau1,
                td2,
                tau2,
            } => {
                if t <= td1 {
                    v1
                } else if t <= td2 {
                    v1 + (v2 - v1) * (1.0 - (-(t - td1) / tau1).exp())
                } else {
                    v1 + (v2 - v1) * (1.0 - (-(t - td1) / tau1).exp())
                        + (v1 - v2) * (1.0 - (-(t - td2) / tau2).exp())
                }
            }
            &Waveform::Sffm {
                vo,
                va,
                fc,
                mdi,
                fs,
                phasec,
                phases,
            } => {
                let phasec = phasec * PI / 180.0;
                let phases = phases * PI / 180.0;
                vo + va
                    * ((2.0 * PI * fc * t + phasec) + mdi * (2.0 * PI * fs * t + phases).sin())
                        .sin()
            }
            &Waveform::Am {
                va,
                vo,
                mf,
                fc,
                td,
                phasec,
                ..
            } => {
                let phase = phasec * PI / 180.0;
                let time = t - td;
                if time <= 0.0 {
                    0.0
                } else {
                    va * (vo + (2.0 * PI * mf * time + phase).sin())
                        * (2.0 * PI * fc * time + phase).sin()
                }
            }
            Waveform::Pwl {
                times,
                values,
                repeat,
                delay,
            } => pwl_value(times, values, *repeat, *delay, t),
        }
    }

    /// Spectral lines of the periodic steady state reached for t → ∞, up to
    /// `fmax` [Hz]: `(f, B)` with the waveform Σ Re(B·e^{j2πft}) (B a peak
    /// phasor; f = 0 is the mean). SIN (undamped) and AM are exact sums of
    /// sines; PULSE with unlimited periods and PWL with `r=` are periodic
    /// piecewise-linear functions whose Fourier coefficients are integrated
    /// exactly per segment. `Err` names why there is no periodic steady
    /// state (harmonic balance needs one).
    pub fn spectrum(&self, fmax: f64) -> Result<Vec<(f64, Complex64)>, String> {
        let c = |v: f64| Complex64::new(v, 0.0);
        // sin(ω(t − td) + φ) = Re(e^{j(φ − ω td − π/2)} e^{jωt})
        let sine = |a: f64, f: f64, td: f64, phi: f64| {
            Complex64::from_polar(a, phi - 2.0 * PI * f * td - PI / 2.0)
        };
        match *self {
            Waveform::Dc(v) => Ok(vec![(0.0, c(v))]),
            Waveform::TrNoise(_) | Waveform::TrRandom(_) => {
                Err("a random source (TRNOISE, TRRANDOM) has no periodic steady state".into())
            }
            Waveform::Sin {
                vo,
                va,
                freq,
                td,
                theta,
                phase,
            } => {
                if theta != 0.0 {
                    return Err("a damped SIN (THETA ≠ 0) has no periodic steady state".into());
                }
                let phi = phase * PI / 180.0;
                if freq == 0.0 {
                    return Ok(vec![(0.0, c(vo + va * phi.sin()))]);
                }
                Ok(vec![
                    (0.0, c(vo)),
                    (freq.abs(), sine(va * freq.signum(), freq.abs(), td, phi)),
                ])
            }
            Waveform::Am {
                va,
                vo,
                mf,
                fc,
                td,
                phasec,
                ..
            } => {
                // va(vo + sin(ωm τ + φ)) sin(ωc τ + φ) = va vo sin(ωc τ + φ)
                //   + va/2 [cos((ωc − ωm)τ) − cos((ωc + ωm)τ + 2φ)],  τ = t − td
                let phi = phasec * PI / 180.0;
                let cosine = |a: f64, f: f64, ph: f64| {
                    let ph = ph - 2.0 * PI * f * td;
                    if f < 0.0 {
                        (-f, Complex64::from_polar(a, -ph))
                    } else {
                        (f, Complex64::from_polar(a, ph))
                    }
                };
                let mut v = vec![(0.0, c(0.0))];
                v.push((fc, sine(va * vo, fc, td, phi)));
                v.push(cosine(0.5 * va, fc - mf, 0.0));
                v.push(cosine(-0.5 * va, fc + mf, 2.0 * phi));
                Ok(v)
            }
            Waveform::Pulse {
                v1,
                v2,
                td,
                tr,
                tf,
                pw,
                per,
                np,
            } => {
                if np.is_some() || !(per.is_finite() && per > 0.0) {
                    return Err("a PULSE with a limited number of periods (NP) has no \
                                periodic steady state"
                        .into());
                }
                let mut pts = vec![(0.0, v1), (tr, v2), (tr + pw, v2), (tr + pw + tf, v1)];
                pts.retain(|p| p.0 <= per);
                pts.push((per, pts.last().map_or(v1, |p| p.1)));
                Ok(pwl_lines(&pts, td, fmax))
            }
            Waveform::Pwl {
                ref times,
                ref values,
                repeat,
                delay,
            } => {
                let n = times.len().min(values.len());
                match repeat.filter(|&k| k + 1 < n) {
                    Some(k) => {
                        let t0 = times[k];
                        // one period: points k..n, then the waveform restarts at point k
                        let pts: Vec<(f64, f64)> =
                            (k..n).map(|i| (times[i] - t0, values[i])).collect();
                        Ok(pwl_lines(&pts, delay + t0, fmax))
                    }
                    None if values[..n].iter().all(|&v| v == values[0]) => {
                        Ok(vec![(0.0, c(values.first().copied().unwrap_or(0.0)))])
                    }
                    None => {
                        Err("a PWL without repetition (r=) has no periodic steady state".into())
                    }
                }
            }
            Waveform::Exp { .. } => Err("an EXP source has no periodic steady state".into()),
            Waveform::Sffm { .. } => Err(
                "SFFM is not supported in harmonic balance (use AM or several SIN sources)".into(),
            ),
        }
    }

    /// First breakpoint (corner of the waveform, s) strictly after `t` in the
    /// sense of [`is_after`], if any: PULSE corners `TD + k·PER + {0, TR,
    /// TR+PW, TR+PW+TF}` (those inside the period) for the first NP periods,
    /// then `TD + NP·PER`; PWL points (shifted by `td=`, repeated by `r=`);
    /// the delays of SIN, AM (TD) and EXP (TD1, TD2). DC and SFFM have none.
    pub fn next_breakpoint(&self, t: f64) -> Option<f64> {
        match self {
            Waveform::Dc(_) | Waveform::Sffm { .. } => None,
            Waveform::TrNoise(w) => w.next_breakpoint(t),
            Waveform::TrRandom(w) => w.next_breakpoint(t),
            Waveform::Sin { td, .. } | Waveform::Am { td, .. } => is_after(*td, t).then_some(*td),
            &Waveform::Exp { td1, td2, .. } => {
                [td1, td2.max(td1)].into_iter().find(|&c| is_after(c, t))
            }
            &Waveform::Pulse {
                td,
                tr,
                tf,
                pw,
                per,
                np,
                ..
            } => pulse_next_breakpoint(td, tr, tf, pw, per, np, t),
            Waveform::Pwl {
                times,
                repeat,
                delay,
                ..
            } => pwl_next_breakpoint(times, *repeat, *delay, t),
        }
    }
}

fn pulse_next_breakpoint(
    td: f64,
    tr: f64,
    tf: f64,
    pw: f64,
    per: f64,
    np: Option<f64>,
    t: f64,
) -> Option<f64> {
    let local = [0.0, tr, tr + pw, tr + pw + tf];
    let end = np.map(|n| td + n * per);
    let k_start = (((t - td) / per).floor() - 1.0).max(0.0);
    if !k_start.is_finite() {
        return None;
    }
    // Every period starts with a corner, so a few periods always suffice unless
    // PER is below the breakpoint resolution at `t` (then there is none to hit).
    for j in 0..8 {
        let base = td + (k_start + j as f64) * per;
        for (i, &c) in local.iter().enumerate() {
            if i > 0 && c >= per {
                break; // cut by the next period, whose start is the corner
            }
            let x = base + c;
            if let Some(e) = end {
                if x >= e {
                    return is_after(e, t).then_some(e);
                }
            }
            if is_after(x, t) {
                return Some(x);
            }
        }
    }
    None
}

fn pwl_from_ast(
    points: &[(Expr, Expr)],
    repeat: Option<&Expr>,
    delay: Option<&Expr>,
    span: Span,
    eval: &mut dyn FnMut(&Expr) -> DResult<f64>,
) -> DResult<Waveform> {
    if points.is_empty() {
        return Err(Diagnostic::error(
            span,
            "PWL needs at least one time-value pair",
        ));
    }
    let mut times = Vec::with_capacity(points.len());
    let mut values = Vec::with_capacity(points.len());
    for (i, (te, ve)) in points.iter().enumerate() {
        let tv = finite(eval(te)?, te.span, "PWL", "time")?;
        let vv = finite(eval(ve)?, ve.span, "PWL", "value")?;
        if let Some(&prev) = times.last() {
            if tv <= prev {
                return Err(Diagnostic::error(
                    te.span,
                    format!(
                        "PWL time points must increase: point {} is at {tv:e} s, not after {prev:e} s",
                        i + 1
                    ),
                )
                .with_label("not after the previous time"));
            }
        }
        times.push(tv);
        values.push(vv);
    }
    let delay = match delay {
        Some(e) => finite(eval(e)?, e.span, "PWL", "td")?,
        None => 0.0,
    };
    let repeat = match repeat {
        None => None,
        Some(e) => {
            let r = finite(eval(e)?, e.span, "PWL", "r")?;
            if r < -0.5 {
                None // ngspice: r = -1 disables the repetition
            } else {
                let last = times[times.len() - 1];
                if r >= last {
                    return Err(Diagnostic::error(
                        e.span,
                        format!(
                            "PWL r={r:e} s must be before the last time point ({last:e} s): the repeated section would be empty"
                        ),
                    ));
                }
                match times.iter().position(|&x| x == r) {
                    Some(k) => Some(k),
                    None => {
                        return Err(Diagnostic::error(
                            e.span,
                            format!("PWL r={r:e} s does not match any of the time points"),
                        )
                        .with_help("r= names the time point the repetition restarts from (r=0 repeats from a point at t=0; r=-1 disables repetition)"))
                    }
                }
            }
        }
    };
    Ok(Waveform::Pwl {
        times,
        values,
        repeat,
        delay,
    })
}

/// ngspice's `AlmostEqualUlps`: equal within `max_ulps` units in the last place.
fn almost_equal_ulps(a: f64, b: f64, max_ulps: i64) -> bool {
    if a == b {
        return true;
    }
    let lex = |x: f64| -> i128 {
        let i = x.to_bits() as i64 as i128;
        if i < 0 {
            i64::MIN as i128 - i
        } else {
            i
        }
    };
    (lex(a) - lex(b)).abs() <= max_ulps as i128
}

/// One pass of ngspice 39's PWL search: segments `start..n-1` shifted by `r`.
fn pwl_pass(times: &[f64], values: &[f64], start: usize, r: f64, time: f64) -> Option<f64> {
    let n = times.len();
    if start + 1 >= n {
        return None;
    }
    // Skip (by bisection) the segments that end well before `time`; the scan
    // below then meets the same first match as ngspice's linear scan.
    let skip = times[start..n - 1].partition_point(|&x| x + r < time);
    let from = start + skip.saturating_sub(2);
    for i in from..n - 1 {
        let it = times[i] + r;
        if almost_equal_ulps(it, time, 3) {
            return Some(values[i]);
        } else if it < time && times[i + 1] + r > time {
            return Some(
                values[i] + ((time - it) / (times[i + 1] - times[i])) * (values[i + 1] - values[i]),
            );
        } else if it > time {
            return None;
        }
    }
    None
}

/// Fourier lines up to `fmax` of the periodic piecewise-linear function
/// through `pts` (times from 0 to the period, the last point closing the
/// period), delayed by `delay`: the exact integral of each linear segment,
/// c_n = (2/T) Σ ∫ v(t) e^{−jω_n t} dt (DC: 1/T), times e^{−jω_n·delay}.
/// At most 10^5 lines.
fn pwl_lines(pts: &[(f64, f64)], delay: f64, fmax: f64) -> Vec<(f64, Complex64)> {
    let period = pts.last().map_or(0.0, |p| p.0);
    if period <= 0.0 {
        return vec![(0.0, Complex64::new(pts.first().map_or(0.0, |p| p.1), 0.0))];
    }
    let mean: f64 = pts
        .windows(2)
        .map(|w| 0.5 * (w[0].1 + w[1].1) * (w[1].0 - w[0].0))
        .sum::<f64>()
        / period;
    let mut out = vec![(0.0, Complex64::new(mean, 0.0))];
    let nmax = (fmax * period).floor().clamp(0.0, 1e5) as usize;
    let j = Complex64::new(0.0, 1.0);
    for n in 1..=nmax {
        let w = 2.0 * PI * n as f64 / period;
        let mut acc = Complex64::new(0.0, 0.0);
        for s in pts.windows(2) {
            let ((ta, va), (tb, vb)) = (s[0], s[1]);
            let l = tb - ta;
            if l <= 0.0 {
                continue;
            }
            let slope = (vb - va) / l;
            let e = (-j * w * l).exp();
            let i0 = (1.0 - e) / (j * w); // ∫_0^L e^{−jωu} du
            let i1 = -l * e / (j * w) + (1.0 - e) / ((j * w) * (j * w)); // ∫ u e^{−jωu}
            acc += (-j * w * ta).exp() * (va * i0 + slope * i1);
        }
        out.push((
            n as f64 / period,
            acc * (2.0 / period) * (-j * w * delay).exp(),
        ));
    }
    out
}

fn pwl_value(times: &[f64], values: &[f64], repeat: Option<usize>, delay: f64, t: f64) -> f64 {
    // `from_ast` guarantees these; a hand-built value must not panic either.
    let n = times.len().min(values.len());
    if n == 0 {
        return 0.0;
    }
    let (times, values) = (&times[..n], &values[..n]);
    let repeat = repeat.filter(|&k| k + 1 < n);
    let time = t - delay;
    if time < times[0] {
        return values[0];
    }
    if let Some(v) = pwl_pass(times, values, 0, 0.0, time) {
        return v;
    }
    let Some(k) = repeat else {
        return values[n - 1];
    };
    let end = times[n - 1];
    let bp = times[k];
    let period = end - bp;
    // ngspice tries repetition m = 0, 1, 2, … in turn (repetition m covers
    // [end + m·period, end + (m+1)·period]); start one before the right one.
    let m0 = (((time - end) / period).floor() - 1.0).max(0.0);
    if m0.is_finite() {
        for j in 0..4 {
            let r = end + (end - bp) * (m0 + j as f64) - bp;
            if let Some(v) = pwl_pass(times, values, k, r, time) {
                return v;
            }
        }
    }
    // Not reached for finite inputs; modular fallback instead of ngspice's hang.
    let mut x = time - bp;
    x -= period * (x / period).floor();
    x += bp;
    pwl_pass(times, values, k, 0.0, x).unwrap_or(values[n - 1])
}

fn pwl_next_breakpoint(times: &[f64], repeat: Option<usize>, delay: f64, t: f64) -> Option<f64> {
    let n = times.len();
    let repeat = repeat.filter(|&k| k + 1 < n);
    let first = times.partition_point(|&x| !is_after(x + delay, t));
    if first < n {
        return Some(times[first] + delay);
    }
    let k = repeat?;
    let end = times[n - 1];
    let bp = times[k];
    let period = end - bp;
    let m0 = (((t - delay - end) / period).floor() - 1.0).max(0.0);
    if !m0.is_finite() {
        return None;
    }
    for j in 0..4 {
        let r = end + (end - bp) * (m0 + j as f64) - bp;
        let seg = &times[k + 1..];
        let i = seg.partition_point(|&x| !is_after(x + r + delay, t));
        if i < seg.len() {
            return Some(seg[i] + r + delay);
        }
    }
    None
}

/// Helpers for the cross-checks against the ngspice binary (also used by the
/// `.meas` tests).
#[cfg(test)]
pub(crate) mod ngspice_tool {
    use std::path::Path;
    use std::process::Command;

    /// True if `ngspice` runs. When it does not: panics if the environment sets
    /// `SPINSPICE_REQUIRE_TOOLS=1` (CI), else prints a notice (the caller skips).
    pub(crate) fn available(test: &str) -> bool {
        let ok = Command::new("ngspice")
            .arg("-v")
            .output()
            .map(|o| o.status.success())
            .unwrap_or(false);
        if !ok {
            if std::env::var("SPINSPICE_REQUIRE_TOOLS").as_deref() == Ok("1") {
                panic!("{test}: ngspice is required (SPINSPICE_REQUIRE_TOOLS=1) but cannot be run");
            }
            eprintln!("NOTICE: {test} skipped: ngspice not found (install it, or set SPINSPICE_REQUIRE_TOOLS=1 to make this a failure)");
        }
        ok
    }

    /// Write `netlist` to `dir/name.cir`, run `ngspice -b` on it in `dir` with
    /// `env` set, and return its stdout. Panics (test failure) if ngspice fails.
    pub(crate) fn run(dir: &Path, name: &str, netlist: &str, env: &[(&str, &str)]) -> String {
        let cir = dir.join(format!("{name}.cir"));
        std::fs::write(&cir, netlist).expect("write netlist");
        let mut cmd = Command::new("ngspice");
        cmd.arg("-b").arg(&cir).current_dir(dir);
        for (k, v) in env {
            cmd.env(k, v);
        }
        let out = cmd.output().expect("run ngspice");
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(
            out.status.success() && !stderr.contains("rror") && !stdout.contains("rror"),
            "ngspice failed on {}:\n{stdout}\n{stderr}",
            cir.display()
        );
        stdout
    }

    /// The double ngspice 39 reads for a plain number such as `2.5e-7`: its
    /// `INPevaluate` accumulates the digits into an integer mantissa and
    /// multiplies by `pow(10, exponent)`, which is not always the correctly
    /// rounded value (`5e-6` reads as 4.9999999999999996e-06). Cross-checks feed
    /// spinspice the same doubles, so that period boundaries fall alike.
    pub(crate) fn ngspice_number(s: &str) -> f64 {
        let (sign, s) = match s.strip_prefix('-') {
            Some(rest) => (-1.0, rest),
            None => (1.0, s),
        };
        let (mant, exp) = match s.split_once(['e', 'E']) {
            Some((m, e)) => (m, e.parse::<i32>().expect("exponent")),
            None => (s, 0),
        };
        let mut mantis = 0.0f64;
        let mut expo1 = 0i32;
        let (int, frac) = mant.split_once('.').unwrap_or((mant, ""));
        for c in int.chars() {
            mantis = 10.0 * mantis + f64::from(c.to_digit(10).expect("digit"));
        }
        for c in frac.chars() {
            mantis = 10.0 * mantis + f64::from(c.to_digit(10).expect("digit"));
            expo1 -= 1;
        }
        sign * mantis * 10f64.powf(f64::from(expo1 + exp))
    }

    /// Rows of numbers written by `wrdata` (with `set wr_singlescale`).
    pub(crate) fn read_wrdata(path: &Path) -> Vec<Vec<f64>> {
        let text = std::fs::read_to_string(path).expect("read wrdata output");
        text.lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| {
                l.split_whitespace()
                    .map(|w| w.parse::<f64>().expect("number in wrdata output"))
                    .collect()
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diag::FileId;

    const D: TranDefaults = TranDefaults {
        tstep: 1e-7,
        tstop: 2e-5,
    };

    /// Argument `i` gets span `10i..10i+5` so error spans can be checked.
    fn sp(i: usize) -> Span {
        Span::new(FileId(0), 10 * i, 10 * i + 5)
    }
    const CALL: Span = Span {
        file: FileId(0),
        start: 1000,
        end: 1100,
    };
    fn nums(v: &[f64]) -> Vec<Expr> {
        v.iter()
            .enumerate()
            .map(|(i, &x)| Expr::num(x, sp(i)))
            .collect()
    }
    fn ev(e: &Expr) -> DResult<f64> {
        e.as_num()
            .ok_or_else(|| Diagnostic::error(e.span, "not a number"))
    }
    fn build(f: &TranFn, d: TranDefaults) -> DResult<Waveform> {
        Waveform::from_ast(f, &mut ev, d)
    }
    fn sin(v: &[f64]) -> Waveform {
        build(&TranFn::Sin(nums(v), CALL), D).unwrap()
    }
    fn pulse(v: &[f64]) -> Waveform {
        build(&TranFn::Pulse(nums(v), CALL), D).unwrap()
    }
    fn exp(v: &[f64]) -> Waveform {
        build(&TranFn::Exp(nums(v), CALL), D).unwrap()
    }
    fn sffm(v: &[f64]) -> Waveform {
        build(&TranFn::Sffm(nums(v), CALL), D).unwrap()
    }
    fn am(v: &[f64]) -> Waveform {
        build(&TranFn::Am(nums(v), CALL), D).unwrap()
    }
    fn pwl_fn(pts: &[f64], r: Option<f64>, td: Option<f64>) -> TranFn {
        let e = nums(pts);
        let points = e.chunks(2).map(|c| (c[0].clone(), c[1].clone())).collect();
        TranFn::Pwl {
            points,
            repeat: r.map(|x| Expr::num(x, sp(90))),
            delay: td.map(|x| Expr::num(x, sp(91))),
            span: CALL,
        }
    }
    fn pwl(pts: &[f64], r: Option<f64>, td: Option<f64>) -> Waveform {
        build(&pwl_fn(pts, r, td), D).unwrap()
    }

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol * a.abs().max(b.abs()).max(1.0)
    }
    #[track_caller]
    fn check(w: &Waveform, t: f64, want: f64) {
        let got = w.value(t);
        assert!(
            close(got, want, 1e-12),
            "{w:?} at t={t:e}: got {got}, want {want}"
        );
    }
    fn breakpoints(w: &Waveform, from: f64, until: f64) -> Vec<f64> {
        let mut out = Vec::new();
        let mut t = from;
        while let Some(b) = w.next_breakpoint(t) {
            if b > until || out.len() > 1000 {
                break;
            }
            out.push(b);
            t = b;
        }
        out
    }
    #[track_caller]
    fn same_times(got: &[f64], want: &[f64]) {
        assert_eq!(got.len(), want.len(), "got {got:?}, want {want:?}");
        for (g, w) in got.iter().zip(want) {
            assert!(close(*g, *w, 1e-12), "got {got:?}, want {want:?}");
        }
    }

    // ------------------------------------------------------------ values

    #[test]
    fn sin_values_and_defaults() {
        let tau = 2.0 * std::f64::consts::PI;
        // SIN(0.5 2): FREQ = 1/TSTOP = 50 kHz, no delay, no damping.
        let w = sin(&[0.5, 2.0]);
        check(&w, 0.0, 0.5);
        check(&w, 5e-6, 2.5); // quarter period
        check(&w, 1.5e-5, -1.5);
        check(&w, 3e-6, 0.5 + 2.0 * (tau * 5e4 * 3e-6).sin());
        // FREQ = 0 also means 1/TSTOP.
        assert_eq!(sin(&[0.5, 2.0, 0.0]), w);
        // Delay, damping and phase; before TD the phase offset already applies.
        let w = sin(&[1.0, 2.0, 1e5, 1e-6, 2e5, 30.0]);
        check(&w, 0.0, 1.0 + 2.0 * 0.5);
        check(&w, 1e-6, 2.0);
        let t = 3.5e-6;
        let want =
            1.0 + 2.0 * (tau * 1e5 * (t - 1e-6) + tau / 12.0).sin() * (-2e5 * (t - 1e-6)).exp();
        check(&w, t, want);
        // 2.5 µs after TD: a quarter period of 100 kHz (sin(90°+30°) = sin 120°).
        check(
            &w,
            3.5e-6,
            1.0 + 2.0 * (3f64.sqrt() / 2.0) * (-0.5f64).exp(),
        );
    }

    #[test]
    fn pulse_values() {
        // V1=0 V2=4 TD=1u TR=1u TF=2u PW=3u PER=10u
        let w = pulse(&[0.0, 4.0, 1e-6, 1e-6, 2e-6, 3e-6, 1e-5]);
        for (t, v) in [
            (0.0, 0.0),
            (1e-6, 0.0),
            (1.25e-6, 1.0),
            (1.5e-6, 2.0),
            (2e-6, 4.0),
            (5e-6, 4.0),
            (5.5e-6, 3.0),
            (6e-6, 2.0),
            (7e-6, 0.0),
            (9e-6, 0.0),
            (11e-6, 0.0),
            (11.5e-6, 2.0),
            (16e-6, 2.0),
            (101.25e-6, 1.0),
        ] {
            check(&w, t, v);
        }
    }

    #[test]
    fn pulse_defaults() {
        // TR = TF = TSTEP (0.1 µs), PW = PER = TSTOP (20 µs).
        let w = pulse(&[-1.0, 1.0]);
        assert_eq!(
            w,
            Waveform::Pulse {
                v1: -1.0,
                v2: 1.0,
                td: 0.0,
                tr: 1e-7,
                tf: 1e-7,
                pw: 2e-5,
                per: 2e-5,
                np: None
            }
        );
        check(&w, 0.05e-6, 0.0);
        check(&w, 1e-6, 1.0);
        // Zeros mean the same defaults; five arguments keep PW = TSTOP (ngspice 39).
        assert_eq!(pulse(&[-1.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]), w);
        assert_eq!(pulse(&[-1.0, 1.0, 0.0, 1e-7, 1e-7]), w);
    }

    #[test]
    fn pulse_count() {
        // NP = 2: two pulses, then V1 for ever.
        let w = pulse(&[0.0, 1.0, 1e-6, 1e-6, 1e-6, 2e-6, 5e-6, 2.0]);
        check(&w, 3e-6, 1.0);
        check(&w, 8e-6, 1.0);
        check(&w, 13e-6, 0.0);
        check(&w, 11.5e-6, 0.0);
        // NP = 1.5: the second pulse is cut at TD + 1.5 PER = 8.5 µs.
        let w = pulse(&[0.0, 1.0, 1e-6, 1e-6, 1e-6, 2e-6, 5e-6, 1.5]);
        check(&w, 8.4e-6, 1.0);
        check(&w, 8.6e-6, 0.0);
        // NP = 0: unlimited.
        let w = pulse(&[0.0, 1.0, 1e-6, 1e-6, 1e-6, 2e-6, 5e-6, 0.0]);
        check(&w, 503e-6, 1.0);
    }

    #[test]
    fn exp_values_and_defaults() {
        // EXP(0 1): TD1 = TSTEP (ngspice 39, not 0), TAU1 = TSTEP, TD2 = TD1 + TSTEP, TAU2 = TSTEP.
        let w = exp(&[0.0, 1.0]);
        assert_eq!(
            w,
            Waveform::Exp {
                v1: 0.0,
                v2: 1.0,
                td1: 1e-7,
                tau1: 1e-7,
                td2: 2e-7,
                tau2: 1e-7
            }
        );
        check(&w, 1e-7, 0.0);
        check(&w, 1.5e-7, 1.0 - (-0.5f64).exp());
        check(&w, 3e-7, (1.0 - (-2.0f64).exp()) - (1.0 - (-1.0f64).exp()));
        // Given values.
        let w = exp(&[1.0, -1.0, 2e-6, 1e-6, 5e-6, 3e-6]);
        check(&w, 1e-6, 1.0);
        check(&w, 4e-6, 1.0 - 2.0 * (1.0 - (-2.0f64).exp()));
        check(
            &w,
            8e-6,
            1.0 - 2.0 * (1.0 - (-6.0f64).exp()) + 2.0 * (1.0 - (-1.0f64).exp()),
        );
        // TD2 omitted: TD1 + TSTEP.
        let w = exp(&[0.0, 2.0, 1e-6, 2e-6]);
        assert!(matches!(w, Waveform::Exp { td2, .. } if close(td2, 1.1e-6, 1e-15)));
    }

    #[test]
    fn sffm_values_and_defaults() {
        let tau = 2.0 * std::f64::consts::PI;
        // SFFM(0.1 1): FC = FS = 1/TSTOP, MDI = 0.
        let w = sffm(&[0.1, 1.0]);
        check(&w, 5e-6, 1.1);
        // Full form; no delay: the value at t = 0 carries both phases.
        let w = sffm(&[0.1, 1.0, 1e6, 2.0, 1e5, 45.0, 90.0]);
        check(&w, 0.0, 0.1 + (tau / 8.0 + 2.0).sin());
        let t = 1.3e-6;
        check(
            &w,
            t,
            0.1 + (tau * 1e6 * t + tau / 8.0 + 2.0 * (tau * 1e5 * t + tau / 4.0).sin()).sin(),
        );
    }

    #[test]
    fn am_values_and_defaults() {
        let tau = 2.0 * std::f64::consts::PI;
        // AM(2 0.5): MF = 1/TSTOP, FC = 0, so identically zero (ngspice 39).
        let w = am(&[2.0, 0.5]);
        for t in [0.0, 1e-6, 7e-6] {
            check(&w, t, 0.0);
        }
        // AM(VA VO MF FC TD PHASEM PHASEC): zero up to TD; the 7th argument is
        // the phase of both sines, the 6th is ignored (ngspice 39).
        let w = am(&[2.0, 0.5, 1e5, 1e6, 1e-6, 30.0, 90.0]);
        check(&w, 1e-6, 0.0);
        let t = 1.7e-6;
        let s = t - 1e-6;
        let want =
            2.0 * (0.5 + (tau * 1e5 * s + tau / 4.0).sin()) * (tau * 1e6 * s + tau / 4.0).sin();
        check(&w, t, want);
        // 0.25 µs after TD: carrier at 90°+90° → sin = 0.
        check(&w, 1.25e-6, 0.0);
    }

    #[test]
    fn pwl_values() {
        let pts = [0.0, 0.0, 1e-6, 1.0, 2e-6, 1.0, 3e-6, -1.0];
        let w = pwl(&pts, None, None);
        for (t, v) in [
            (-1e-6, 0.0),
            (0.0, 0.0),
            (0.25e-6, 0.25),
            (1e-6, 1.0),
            (1.5e-6, 1.0),
            (2.5e-6, 0.0),
            (3e-6, -1.0),
            (9e-6, -1.0),
        ] {
            check(&w, t, v);
        }
        // First point after 0: its value holds before it.
        let w = pwl(&[1e-6, 0.5, 2e-6, 1.0], None, None);
        check(&w, 0.0, 0.5);
        check(&w, 1.5e-6, 0.75);
        // td shifts everything.
        let w = pwl(&pts, None, Some(0.5e-6));
        check(&w, 0.75e-6, 0.25);
        check(&w, 3e-6, 0.0);
        // Repeat from r = 1 µs: section [1 µs, 3 µs], period 2 µs.
        let w = pwl(&pts, Some(1e-6), None);
        check(&w, 3e-6, 1.0); // boundary: start of the next repetition
        check(&w, 3.5e-6, 1.0);
        check(&w, 4.5e-6, 0.0);
        check(&w, 1001.5e-6, 1.0); // 500 repetitions later
        check(&w, 1002.25e-6, 0.5);
        // r = 0 with td = 1 µs: the whole 3 µs waveform repeats.
        let w = pwl(&pts, Some(0.0), Some(1e-6));
        check(&w, 4.15e-6, 0.15);
        check(&w, 5.15e-6, 1.0);
        check(&w, 6.5e-6, 0.0);
        // r = -1: no repetition.
        assert_eq!(pwl(&pts, Some(-1.0), None), pwl(&pts, None, None));
        // A single point is a constant.
        let w = pwl(&[1e-6, 3.0], None, None);
        check(&w, 0.0, 3.0);
        check(&w, 5e-6, 3.0);
    }

    #[test]
    fn hand_built_pwl_does_not_panic() {
        let w = Waveform::Pwl {
            times: vec![],
            values: vec![],
            repeat: Some(3),
            delay: 0.0,
        };
        assert_eq!(w.value(1.0), 0.0);
        assert_eq!(w.next_breakpoint(0.0), None);
        let w = Waveform::Pwl {
            times: vec![0.0, 1.0],
            values: vec![2.0, 4.0],
            repeat: Some(7),
            delay: 0.0,
        };
        check(&w, 0.5, 3.0);
        check(&w, 5.0, 4.0);
    }

    #[test]
    fn dc_is_constant() {
        let w = Waveform::Dc(1.5);
        check(&w, 0.0, 1.5);
        check(&w, 1.0, 1.5);
        assert_eq!(w.next_breakpoint(0.0), None);
    }

    // ------------------------------------------------------------ breakpoints

    #[test]
    fn pulse_breakpoints() {
        // TD=1u TR=1u TF=2u PW=3u PER=10u NP=2: corners 1,2,5,7 µs, +10 µs, end 21 µs.
        let w = pulse(&[0.0, 1.0, 1e-6, 1e-6, 2e-6, 3e-6, 1e-5, 2.0]);
        let us = |v: &[f64]| v.iter().map(|x| x * 1e-6).collect::<Vec<_>>();
        same_times(
            &breakpoints(&w, 0.0, 1.0),
            &us(&[1.0, 2.0, 5.0, 7.0, 11.0, 12.0, 15.0, 17.0, 21.0]),
        );
        // Unlimited: continues periodically.
        let w = pulse(&[0.0, 1.0, 1e-6, 1e-6, 2e-6, 3e-6, 1e-5]);
        same_times(
            &breakpoints(&w, 1000.5e-6, 1012e-6),
            &us(&[1001.0, 1002.0, 1005.0, 1007.0, 1011.0, 1012.0]),
        );
        // A step landing a hair before a corner does not get it again ...
        assert!(close(
            w.next_breakpoint(2e-6 * (1.0 - 1e-14)).unwrap(),
            5e-6,
            1e-12
        ));
        // ... but a real gap does.
        assert!(close(
            w.next_breakpoint(2e-6 * (1.0 - 1e-9)).unwrap(),
            2e-6,
            1e-12
        ));
        // Pulse longer than the period: cut at each period start.
        let w = pulse(&[0.0, 1.0, 0.0, 1e-6, 1e-6, 5e-6, 4e-6]);
        same_times(
            &breakpoints(&w, 0.0, 10e-6),
            &us(&[1.0, 4.0, 5.0, 8.0, 9.0]),
        );
        // Fractional NP: the train ends at TD + NP·PER.
        let w = pulse(&[0.0, 1.0, 1e-6, 1e-6, 1e-6, 2e-6, 5e-6, 1.5]);
        same_times(
            &breakpoints(&w, 0.0, 1.0),
            &us(&[1.0, 2.0, 4.0, 5.0, 6.0, 7.0, 8.5]),
        );
    }

    #[test]
    fn pwl_breakpoints() {
        let pts = [0.0, 0.0, 1e-6, 1.0, 2e-6, 1.0, 3e-6, -1.0];
        let us = |v: &[f64]| v.iter().map(|x| x * 1e-6).collect::<Vec<_>>();
        same_times(
            &breakpoints(&pwl(&pts, None, None), -1.0, 1.0),
            &us(&[0.0, 1.0, 2.0, 3.0]),
        );
        same_times(
            &breakpoints(&pwl(&pts, None, Some(0.5e-6)), 0.0, 1.0),
            &us(&[0.5, 1.5, 2.5, 3.5]),
        );
        // r=1u td=0.5u: then the section [1u,3u] every 2 µs.
        let w = pwl(&pts, Some(1e-6), Some(0.5e-6));
        same_times(
            &breakpoints(&w, 0.0, 9e-6),
            &us(&[0.5, 1.5, 2.5, 3.5, 4.5, 5.5, 6.5, 7.5, 8.5]),
        );
        same_times(
            &breakpoints(&w, 2000.6e-6, 2004e-6),
            &us(&[2001.5, 2002.5, 2003.5]),
        );
    }

    #[test]
    fn delay_breakpoints() {
        let us = |v: &[f64]| v.iter().map(|x| x * 1e-6).collect::<Vec<_>>();
        same_times(
            &breakpoints(&sin(&[0.0, 1.0, 1e5, 2e-6]), 0.0, 1.0),
            &us(&[2.0]),
        );
        assert_eq!(sin(&[0.0, 1.0]).next_breakpoint(0.0), None);
        same_times(
            &breakpoints(&am(&[1.0, 1.0, 1e5, 1e6, 3e-6]), 0.0, 1.0),
            &us(&[3.0]),
        );
        same_times(
            &breakpoints(&exp(&[0.0, 1.0, 2e-6, 1e-6, 5e-6, 1e-6]), 0.0, 1.0),
            &us(&[2.0, 5.0]),
        );
        assert_eq!(sffm(&[0.0, 1.0]).next_breakpoint(0.0), None);
    }

    // ------------------------------------------------------------ errors

    #[test]
    fn argument_count_errors() {
        let e = build(&TranFn::Sin(nums(&[1.0]), CALL), D).unwrap_err();
        assert_eq!(e.span, Some(CALL));
        assert!(e.message.contains("SIN needs at least 2"), "{}", e.message);
        let e = build(&TranFn::Pulse(nums(&[0.0; 9]), CALL), D).unwrap_err();
        assert_eq!(e.span, Some(sp(8)));
        assert!(e.message.contains("at most 8"), "{}", e.message);
        let e = build(&TranFn::Sffm(nums(&[0.0; 8]), CALL), D).unwrap_err();
        assert_eq!(e.span, Some(sp(7)));
        let e = build(&TranFn::Am(nums(&[0.0; 8]), CALL), D).unwrap_err();
        assert_eq!(e.span, Some(sp(7)));
        let e = build(&TranFn::Exp(nums(&[0.0; 7]), CALL), D).unwrap_err();
        assert_eq!(e.span, Some(sp(6)));
        let e = build(&pwl_fn(&[], None, None), D).unwrap_err();
        assert_eq!(e.span, Some(CALL));
    }

    #[test]
    fn negative_times_are_errors() {
        for (i, name) in [(3, "TR"), (4, "TF"), (5, "PW"), (6, "PER"), (7, "NP")] {
            let mut v = vec![0.0, 1.0, 0.0, 1e-6, 1e-6, 1e-6, 1e-5, 1.0];
            v[i] = -1e-6;
            let e = build(&TranFn::Pulse(nums(&v), CALL), D).unwrap_err();
            assert_eq!(e.span, Some(sp(i)), "{name}");
            assert!(e.message.contains(name), "{}", e.message);
        }
        let e = build(&TranFn::Exp(nums(&[0.0, 1.0, 0.0, -1e-6]), CALL), D).unwrap_err();
        assert_eq!(e.span, Some(sp(3)));
        let e = build(
            &TranFn::Exp(nums(&[0.0, 1.0, 0.0, 1e-6, 0.0, -1.0]), CALL),
            D,
        )
        .unwrap_err();
        assert_eq!(e.span, Some(sp(5)));
    }

    #[test]
    fn pwl_errors() {
        // Equal times (ngspice only warns).
        let e = build(&pwl_fn(&[0.0, 0.0, 1e-6, 1.0, 1e-6, 2.0], None, None), D).unwrap_err();
        assert_eq!(e.span, Some(sp(4)));
        assert!(e.message.contains("increase"), "{}", e.message);
        // Decreasing.
        let e = build(&pwl_fn(&[0.0, 0.0, 2e-6, 1.0, 1e-6, 2.0], None, None), D).unwrap_err();
        assert_eq!(e.span, Some(sp(4)));
        // r not a time point; r at the last point (zero period).
        let pts = [0.0, 0.0, 1e-6, 1.0, 2e-6, 0.0];
        let e = build(&pwl_fn(&pts, Some(1.5e-6), None), D).unwrap_err();
        assert_eq!(e.span, Some(sp(90)));
        assert!(e.message.contains("does not match"), "{}", e.message);
        let e = build(&pwl_fn(&pts, Some(2e-6), None), D).unwrap_err();
        assert_eq!(e.span, Some(sp(90)));
        assert!(e.message.contains("before the last"), "{}", e.message);
        let e = build(&pwl_fn(&pts, Some(3e-6), None), D).unwrap_err();
        assert_eq!(e.span, Some(sp(90)));
    }

    #[test]
    fn defaults_need_a_tran() {
        let none = TranDefaults {
            tstep: 0.0,
            tstop: 0.0,
        };
        let e = build(&TranFn::Sin(nums(&[0.0, 1.0]), CALL), none).unwrap_err();
        assert_eq!(e.span, Some(CALL));
        assert!(e.message.contains("TSTOP"), "{}", e.message);
        let e = build(&TranFn::Pulse(nums(&[0.0, 1.0, 0.0, 0.0]), CALL), none).unwrap_err();
        assert_eq!(e.span, Some(sp(3)));
        assert!(e.message.contains("TSTEP"), "{}", e.message);
        // Everything given: no .tran needed.
        assert!(build(&TranFn::Sin(nums(&[0.0, 1.0, 1e3]), CALL), none).is_ok());
        assert!(build(
            &TranFn::Pulse(nums(&[0.0, 1.0, 0.0, 1e-6, 1e-6, 1e-6, 1e-5]), CALL),
            none
        )
        .is_ok());
    }

    #[test]
    fn evaluation_errors_propagate_and_non_finite_rejected() {
        let mut args = nums(&[0.0, 1.0]);
        args.push(Expr {
            kind: crate::expr::ExprKind::Ident("f".into()),
            span: sp(2),
        });
        let e = build(&TranFn::Sin(args, CALL), D).unwrap_err();
        assert_eq!(e.span, Some(sp(2)));
        let e = build(&TranFn::Sin(nums(&[0.0, f64::INFINITY]), CALL), D).unwrap_err();
        assert_eq!(e.span, Some(sp(1)));
    }

    // ------------------------------------------------------------ ngspice

    /// Every function and default, against the values ngspice 39 loads at its
    /// own time points (exported with 17 significant digits).
    #[test]
    fn matches_ngspice() {
        if !ngspice_tool::available("waveform::matches_ngspice") {
            return;
        }
        let ng = ngspice_tool::ngspice_number;
        let d = TranDefaults {
            tstep: ng("1e-7"),
            tstop: ng("2e-5"),
        };
        type Case = (&'static str, Vec<f64>, Option<f64>, Option<f64>);
        let cases: Vec<Case> = vec![
            ("sin", vec![0.5, 1.0], None, None),
            ("sin", vec![0.5, 1.0, 2e5, 2e-6, 1e5, 45.0], None, None),
            ("sin", vec![0.0, 2.0, 0.0, 1e-6, 0.0, -90.0], None, None),
            ("sin", vec![0.1, 1.0, 3e5, -1e-6], None, None),
            ("pulse", vec![0.0, 1.0, 1e-6], None, None),
            ("pulse", vec![0.0, 1.0, 1e-6, 2e-6, 3e-6], None, None),
            (
                "pulse",
                vec![0.0, 1.0, 1e-6, 0.0, 0.0, 0.0, 5e-6],
                None,
                None,
            ),
            (
                "pulse",
                vec![-1.0, 2.0, 1e-6, 1e-6, 1e-6, 2e-6, 5e-6, 2.0],
                None,
                None,
            ),
            (
                "pulse",
                vec![0.0, 1.0, 1e-6, 1e-6, 1e-6, 2e-6, 5e-6, 1.5],
                None,
                None,
            ),
            (
                "pulse",
                vec![1.0, 0.0, 0.0, 0.3e-6, 0.7e-6, 3e-6, 4e-6],
                None,
                None,
            ),
            (
                "pulse",
                vec![0.0, 1.0, 0.5e-6, 1e-6, 1e-6, 5e-6, 4e-6],
                None,
                None,
            ),
            ("exp", vec![0.0, 1.0], None, None),
            ("exp", vec![0.0, 1.0, 0.0, 0.0, 0.0, 0.0], None, None),
            ("exp", vec![1.0, -1.0, 2e-6, 1e-6, 5e-6, 3e-6], None, None),
            ("exp", vec![0.0, 2.0, 1e-6, 2e-6], None, None),
            ("sffm", vec![0.1, 1.0], None, None),
            (
                "sffm",
                vec![0.1, 1.0, 1e6, 2.0, 1e5, 45.0, 90.0],
                None,
                None,
            ),
            ("sffm", vec![0.0, 1.0, 5e5, 3.0], None, None),
            ("am", vec![2.0, 0.5], None, None),
            ("am", vec![2.0, 0.5, 1e5, 1e6, 1e-6, 30.0, 60.0], None, None),
            ("am", vec![1.0, 1.0, 2e5, 5e5, 0.0, 0.0, 90.0], None, None),
            ("am", vec![1.0, 0.3, 1e5, 1e6, 2e-6, 45.0], None, None),
            (
                "pwl",
                vec![0.0, 0.0, 1e-6, 1.0, 2e-6, 1.0, 3e-6, -1.0],
                Some(1e-6),
                None,
            ),
            (
                "pwl",
                vec![1e-6, 0.5, 2e-6, 1.0, 3e-6, -1.0],
                None,
                Some(2e-6),
            ),
            (
                "pwl",
                vec![0.0, 0.0, 1e-6, 1.0, 2e-6, 1.0, 3e-6, -1.0],
                Some(0.0),
                Some(1e-6),
            ),
            (
                "pwl",
                vec![0.0, 0.0, 1e-6, 1.0, 2e-6, 1.0, 3e-6, -1.0],
                Some(2e-6),
                None,
            ),
            (
                "pwl",
                vec![0.0, 0.0, 1e-6, 1.0, 2e-6, 1.0, 3e-6, -1.0],
                None,
                Some(0.5e-6),
            ),
            (
                "pwl",
                vec![0.5e-6, 1.0, 1.5e-6, -1.0, 1.7e-6, 0.25],
                None,
                None,
            ),
        ];
        let mut net = String::from("waveform cross-check\n");
        let mut waves = Vec::new();
        for (i, (f, a, r, td)) in cases.iter().enumerate() {
            let list = a
                .iter()
                .map(|x| format!("{x:e}"))
                .collect::<Vec<_>>()
                .join(" ");
            let mut line = format!("v{i} n{i} 0 {f}({list})");
            if let Some(r) = r {
                line += &format!(" r={r:e}");
            }
            if let Some(td) = td {
                line += &format!(" td={td:e}");
            }
            // The doubles ngspice reads from that text.
            let a: &Vec<f64> = &a.iter().map(|x| ng(&format!("{x:e}"))).collect();
            let r = &r.map(|x| ng(&format!("{x:e}")));
            let td = &td.map(|x| ng(&format!("{x:e}")));
            net += &format!("{line}\nr{i} n{i} 0 1k\n");
            let tf = match *f {
                "sin" => TranFn::Sin(nums(a), CALL),
                "pulse" => TranFn::Pulse(nums(a), CALL),
                "exp" => TranFn::Exp(nums(a), CALL),
                "sffm" => TranFn::Sffm(nums(a), CALL),
                "am" => TranFn::Am(nums(a), CALL),
                _ => pwl_fn(a, *r, *td),
            };
            waves.push((line, build(&tf, d).unwrap()));
        }
        let vecs = (0..cases.len())
            .map(|i| format!("v(n{i})"))
            .collect::<Vec<_>>()
            .join(" ");
        net += &format!(
            ".tran 1e-7 2e-5 0 5e-8\n.control\nset numdgt=17\nset wr_singlescale\nrun\nwrdata wave.txt {vecs}\nquit\n.endc\n.end\n"
        );
        let dir = tempfile::tempdir().unwrap();
        ngspice_tool::run(dir.path(), "wave", &net, &[]);
        let rows = ngspice_tool::read_wrdata(&dir.path().join("wave.txt"));
        assert!(rows.len() > 400, "only {} time points", rows.len());
        for (j, (line, w)) in waves.iter().enumerate() {
            let peak = rows.iter().map(|r| r[j + 1].abs()).fold(0.0, f64::max);
            let mut worst = 0.0f64;
            for r in &rows {
                let (t, ng) = (r[0], r[j + 1]);
                let mine = w.value(t);
                let rel = (mine - ng).abs() / ng.abs().max(peak).max(1e-3);
                worst = worst.max(rel);
                assert!(
                    rel <= 1e-9,
                    "{line}: t={t:e}: spinspice {mine:e}, ngspice {ng:e}"
                );
            }
            eprintln!(
                "{line}: {} points, worst relative difference {worst:.1e}",
                rows.len()
            );
        }
    }
}
