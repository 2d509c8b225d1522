//! Independent-source time functions: DC, SIN, PULSE, PWL, EXP, SFFM, AM, with
//! the breakpoints (corners, delays) the transient step control must hit.
//!
//! INTERFACE STUB — implemented by the waveform/measure work item.

use crate::diag::DResult;
use crate::expr::Expr;
use crate::netlist::ast::TranFn;

/// Analysis parameters that SPICE uses for omitted source arguments.
#[derive(Debug, Clone, Copy)]
pub struct TranDefaults {
    pub tstep: f64,
    pub tstop: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Waveform {
    Placeholder,
}

impl Waveform {
    /// Build from the AST; `eval` evaluates argument expressions (parameters).
    /// Errors (wrong argument count, negative times, non-increasing PWL times…)
    /// point at the argument's span.
    pub fn from_ast(
        _f: &TranFn,
        _eval: &mut dyn FnMut(&Expr) -> DResult<f64>,
        _d: TranDefaults,
    ) -> DResult<Waveform> {
        unimplemented!()
    }
    /// Value at time `t` (s).
    pub fn value(&self, _t: f64) -> f64 {
        unimplemented!()
    }
    /// First breakpoint strictly after `t` (s), if any.
    pub fn next_breakpoint(&self, _t: f64) -> Option<f64> {
        unimplemented!()
    }
}
