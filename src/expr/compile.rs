//! Compilation of a substituted expression to a flat program evaluated with
//! forward-mode derivatives, for behavioural devices in the Newton loop.
//!
//! INTERFACE STUB — implemented by the expression work item.

use super::Expr;
use crate::diag::{DResult, Span};

/// Maps a probe `(func, args, span)` to a variable index.
pub type Resolve<'a> = dyn FnMut(&str, &[String], Span) -> DResult<usize> + 'a;

/// A compiled expression of `nvars` variables (the probes, numbered by the
/// caller) and `time`.
#[derive(Debug, Clone)]
pub struct Program {
    nvars: usize,
}

/// Preallocated evaluation stack for one program (values and gradients).
#[derive(Debug, Clone, Default)]
pub struct Scratch {
    _buf: Vec<f64>,
}

impl Program {
    /// `resolve(func, args, span)` returns the variable index (< nvars) of each
    /// probe; the same probe must map to the same index. Identifiers other than
    /// `time` are an error (parameters must have been substituted).
    pub fn compile(_e: &Expr, _nvars: usize, _resolve: &mut Resolve) -> DResult<Program> {
        unimplemented!("Program::compile")
    }
    pub fn nvars(&self) -> usize {
        self.nvars
    }
    /// A scratch area sized for this program.
    pub fn scratch(&self) -> Scratch {
        unimplemented!("Program::scratch")
    }
    /// Value at `vars`/`time`; writes d(value)/d(vars[k]) into `grad[k]`.
    /// Allocates nothing.
    pub fn eval(&self, _vars: &[f64], _time: f64, _grad: &mut [f64], _s: &mut Scratch) -> f64 {
        unimplemented!("Program::eval")
    }
    /// Whether the value depends on `time` explicitly.
    pub fn uses_time(&self) -> bool {
        unimplemented!("Program::uses_time")
    }
}
