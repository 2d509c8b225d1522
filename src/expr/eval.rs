//! Scalar evaluation of expressions (parameters, measures) and parameter
//! substitution (folding parameters and inlining `.func` bodies, leaving only
//! probes and `time` for behavioural devices).
//!
//! INTERFACE STUB — implemented by the expression work item.

use super::Expr;
use crate::diag::DResult;
use crate::netlist::ast::FuncDef;

/// What names mean where an expression is evaluated.
pub trait Env {
    /// Value of a bare identifier (a parameter, a measure result, `time`,
    /// `temper`, …). Builtin constants (`pi`, `e`, `boltz`, …) are handled by
    /// the evaluator before asking the environment. None = undefined.
    fn ident(&self, name: &str) -> Option<f64>;
    /// Value of a probe (`v(a)`, `i(v1)`, `@d[var]`); None = not available here.
    fn probe(&self, _func: &str, _args: &[String]) -> Option<f64> {
        None
    }
    /// A user function (`.func`) by lower-case name.
    fn func(&self, _name: &str) -> Option<&FuncDef> {
        None
    }
}

/// Evaluate to a number. Errors (undefined name, wrong arity, probe not allowed
/// here, division producing a non-finite value…) point at the offending span.
pub fn eval(_e: &Expr, _env: &dyn Env) -> DResult<f64> {
    unimplemented!("expr::eval")
}

/// Replace parameters by their values and inline `.func` calls; keep probes and
/// the names in `keep` (e.g. `time`) symbolic; fold constant sub-trees.
pub fn substitute(_e: &Expr, _env: &dyn Env, _keep: &[&str]) -> DResult<Expr> {
    unimplemented!("expr::substitute")
}
