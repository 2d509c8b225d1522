//! Scalar evaluation of expressions (parameters, measures) and parameter
//! substitution (folding parameters and inlining `.func` bodies, leaving only
//! probes and `time` for behavioural devices).
//!
//! Name resolution, in order, for a bare identifier:
//! 1. an argument of the `.func` whose body is being evaluated (lexical scope:
//!    only the innermost function's own arguments);
//! 2. (substitution only) a name in `keep`, left symbolic;
//! 3. the builtin constants `pi boltz echarge planck kelvin`
//!    ([`super::builtins::constant`]);
//! 4. the environment ([`Env::ident`]);
//! 5. `e` (Euler's number), so that a parameter named `e` shadows it.
//!
//! Function calls: a `.func` of that name ([`Env::func`]) first, then the
//! builtins listed in [`super::builtins`].
//!
//! Any operation whose result is not a finite number (division by zero, log of
//! a negative number, overflow…) is an error at that operation's span, e.g.
//! `division by zero in 'a / (b - 1)'`.

use std::fmt::Write as _;

use super::builtins::{self, Bin, Builtin, Un};
use super::random::{self, Dist};
use super::{BinOp, Expr, ExprKind, UnOp};
use crate::diag::{DResult, Diagnostic, Span};
use crate::netlist::ast::{FuncDef, Ident};

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
    /// Stream seed of the Monte Carlo function called at `site`
    /// ([`super::random`]); None (the default): no Monte Carlo run here, the
    /// functions return their nominal value.
    fn random_stream(&self, _site: Span) -> Option<u64> {
        None
    }
}

/// Deepest chain of nested `.func` calls accepted (deeper is reported as an
/// error at the call, as is any recursion).
pub const MAX_CALL_DEPTH: usize = 64;

/// Deepest syntactic nesting of one expression accepted (guards the recursive
/// evaluator's stack against pathological input).
pub const MAX_NESTING: usize = 400;

/// Evaluate to a number. Errors (undefined name, wrong arity, probe not allowed
/// here, division producing a non-finite value…) point at the offending span.
pub fn eval(e: &Expr, env: &dyn Env) -> DResult<f64> {
    ev(e, env, None, 0)
}

/// Replace parameters by their values and inline `.func` calls; keep probes and
/// the names in `keep` (e.g. `time`) symbolic; fold constant sub-trees.
///
/// The result contains only numbers, probes, identifiers from `keep`, builtin
/// calls, operators and ternaries, with the spans of the original nodes (nodes
/// inlined from a `.func` body keep the spans of the body; an argument keeps
/// the span of the argument at the call; a folded sub-tree gets the span of its
/// root). `if(c, a, b)` becomes a ternary. Errors are those of [`eval`] for the
/// parts that can be computed now: a constant part that is invalid (say
/// `ln(-1)`) is reported even inside a branch of a ternary whose condition
/// depends on probes, since it would fail whenever that branch is taken
/// (a ternary with a constant condition keeps only the chosen branch, as
/// [`eval`] evaluates only that one).
pub fn substitute(e: &Expr, env: &dyn Env, keep: &[&str]) -> DResult<Expr> {
    sub(e, env, keep, None, 0)
}

/// The expression as text (normalised spacing, minimal parentheses), for
/// messages: `2 * tanh(v(a) - v(b)) * 0.001`.
pub fn format_expr(e: &Expr) -> String {
    let mut s = String::new();
    fmt_expr(e, 0, &mut s);
    s
}

// ------------------------------------------------------------ .func frames

/// One active `.func` call: its arguments (bound to values, or to expressions
/// during substitution) and the call chain for recursion detection.
struct Frame<'a, V> {
    func: &'a str,
    names: &'a [Ident],
    vals: &'a [V],
    caller: Option<&'a Frame<'a, V>>,
    depth: usize,
}

impl<'a, V> Frame<'a, V> {
    fn arg(&self, name: &str) -> Option<&'a V> {
        let vals = self.vals;
        self.names
            .iter()
            .position(|n| n.name == name)
            .and_then(|i| vals.get(i))
    }
}

/// Chain "f → g → h" from the outermost call to `last`.
fn chain<V>(frame: Option<&Frame<'_, V>>, last: &str) -> String {
    let mut names = vec![last.to_string()];
    let mut f = frame;
    while let Some(fr) = f {
        names.push(fr.func.to_string());
        f = fr.caller;
    }
    names.reverse();
    names.join(" → ")
}

/// Checks before entering `.func` `fd` (called as `name` at `span`) with `nargs`
/// arguments: arity, recursion, depth.
fn check_call<V>(
    fd: &FuncDef,
    name: &str,
    nargs: usize,
    frame: Option<&Frame<'_, V>>,
    span: Span,
) -> DResult<usize> {
    if fd.args.len() != nargs {
        return Err(arity_error(name, fd.args.len(), fd.args.len(), nargs, span));
    }
    let mut f = frame;
    while let Some(fr) = f {
        if fr.func == name {
            return Err(Diagnostic::error(
                span,
                format!("recursive .func call: {}", chain(frame, name)),
            )
            .with_help("a .func may not call itself, directly or through other functions"));
        }
        f = fr.caller;
    }
    let depth = frame.map_or(1, |f| f.depth + 1);
    if depth > MAX_CALL_DEPTH {
        return Err(Diagnostic::error(
            span,
            format!(".func calls nested deeper than {MAX_CALL_DEPTH} (calling '{name}')"),
        ));
    }
    Ok(depth)
}

fn arity_error(name: &str, min: usize, max: usize, got: usize, span: Span) -> Diagnostic {
    let plural = |n: usize| if n == 1 { "" } else { "s" };
    let expects = if min == max {
        format!("{min} argument{}", plural(min))
    } else if max == usize::MAX {
        format!("at least {min} argument{}", plural(min))
    } else {
        format!("{min} to {max} arguments")
    };
    Diagnostic::error(
        span,
        format!("function '{name}' expects {expects}, got {got}"),
    )
}

fn nesting_error(span: Span) -> Diagnostic {
    Diagnostic::error(
        span,
        format!("expression nested more than {MAX_NESTING} levels deep"),
    )
}

fn undefined(name: &str, span: Span) -> Diagnostic {
    Diagnostic::error(span, format!("undefined parameter '{name}'"))
}

fn unknown_function(name: &str, span: Span) -> Diagnostic {
    Diagnostic::error(span, format!("unknown function '{name}'"))
}

/// `v` if finite, else an error at `e`'s span explaining why.
fn finite(v: f64, e: &Expr, why: impl FnOnce() -> String) -> DResult<f64> {
    if v.is_finite() {
        Ok(v)
    } else {
        Err(Diagnostic::error(
            e.span,
            format!("{} in '{}'", why(), format_expr(e)),
        ))
    }
}

fn un_of(op: UnOp) -> Option<Un> {
    match op {
        UnOp::Neg => Some(Un::Neg),
        UnOp::Not => Some(Un::Not),
        UnOp::Plus => None,
    }
}

pub(crate) fn bin_of(op: BinOp) -> Bin {
    match op {
        BinOp::Add => Bin::Add,
        BinOp::Sub => Bin::Sub,
        BinOp::Mul => Bin::Mul,
        BinOp::Div => Bin::Div,
        BinOp::Pow => Bin::Pow,
        BinOp::Lt => Bin::Lt,
        BinOp::Le => Bin::Le,
        BinOp::Gt => Bin::Gt,
        BinOp::Ge => Bin::Ge,
        BinOp::Eq => Bin::Eq,
        BinOp::Ne => Bin::Ne,
        BinOp::And => Bin::And,
        BinOp::Or => Bin::Or,
    }
}

/// The builtin called `name` with `nargs` arguments (arity checked).
pub(crate) fn builtin_call(name: &str, nargs: usize, span: Span) -> DResult<Builtin> {
    let b = builtins::lookup(name).ok_or_else(|| unknown_function(name, span))?;
    let (min, max) = b.arity();
    if nargs < min || nargs > max {
        return Err(arity_error(name, min, max, nargs, span));
    }
    Ok(b)
}

fn apply_un(u: Un, x: f64, e: &Expr) -> DResult<f64> {
    finite(u.value(x), e, || u.why_not_finite(x))
}

fn apply_bin(b: Bin, x: f64, y: f64, e: &Expr) -> DResult<f64> {
    finite(b.value(x, y), e, || b.why_not_finite(x, y))
}

/// `ddt(…)` where there is no time derivative to take.
pub(crate) fn ddt_outside(span: Span) -> Diagnostic {
    Diagnostic::error(
        span,
        "ddt() (a time derivative) is only available in a behavioural source's expression (B, E/G VALUE=)",
    )
}

/// `pwl`/`table(x, x1, y1, …)` of evaluated arguments `v`.
fn apply_pwl(name: &str, hold: bool, v: &[f64], e: &Expr) -> DResult<f64> {
    if let Some(m) = builtins::pwl_points_error(&v[1..]) {
        return Err(Diagnostic::error(e.span, format!("{name}(): {m}")));
    }
    Ok(builtins::pwl(v[0], &v[1..], hold).0)
}

/// The points of `pwl`/`table` (after substitution): numbers, usable ones.
pub(crate) fn pwl_points(name: &str, pts: &[Expr], e: &Expr) -> DResult<Vec<f64>> {
    let Some(v) = pts.iter().map(|x| x.as_num()).collect::<Option<Vec<f64>>>() else {
        return Err(Diagnostic::error(
            e.span,
            format!(
                "the points of {name}() must be constants (parameters), not circuit quantities or time"
            ),
        ));
    };
    match builtins::pwl_points_error(&v) {
        Some(m) => Err(Diagnostic::error(e.span, format!("{name}(): {m}"))),
        None => Ok(v),
    }
}

/// `agauss(…)` & co. at `e` with evaluated arguments `vals`.
fn random_value(d: Dist, e: &Expr, vals: &[f64], env: &dyn Env) -> DResult<f64> {
    let v = d
        .value(vals, env.random_stream(e.span))
        .map_err(|m| Diagnostic::error(e.span, m))?;
    finite(v, e, || {
        format!("{} is not a finite number ({v})", d.name())
    })
}

fn random_arity(d: Dist, nargs: usize, span: Span) -> DResult<()> {
    if nargs == d.arity() {
        Ok(())
    } else {
        Err(arity_error(d.name(), d.arity(), d.arity(), nargs, span))
    }
}

fn probe_text(func: &str, args: &[String]) -> String {
    if func == "@" {
        let dev = args.first().map_or("", |s| s.as_str());
        let var = args.get(1..).unwrap_or(&[]).join(",");
        format!("@{dev}[{var}]")
    } else {
        format!("{func}({})", args.join(","))
    }
}

// ------------------------------------------------------------------- eval

fn ev(e: &Expr, env: &dyn Env, frame: Option<&Frame<'_, f64>>, nest: usize) -> DResult<f64> {
    if nest > MAX_NESTING {
        return Err(nesting_error(e.span));
    }
    let n = nest + 1;
    match &e.kind {
        ExprKind::Num(v) => finite(*v, e, || "number out of range".into()),
        ExprKind::Ident(name) => {
            if let Some(v) = frame.and_then(|f| f.arg(name)) {
                return Ok(*v);
            }
            let v = builtins::constant(name)
                .or_else(|| env.ident(name))
                .or_else(|| builtins::constant_e(name))
                .ok_or_else(|| undefined(name, e.span))?;
            finite(v, e, || {
                format!("parameter '{name}' is not a finite number ({v})")
            })
        }
        ExprKind::Probe { func, args } => {
            let v = env.probe(func, args).ok_or_else(|| {
                Diagnostic::error(
                    e.span,
                    format!(
                        "circuit quantity '{}' is not available here",
                        probe_text(func, args)
                    ),
                )
            })?;
            finite(v, e, || {
                format!("'{}' is not a finite number ({v})", probe_text(func, args))
            })
        }
        ExprKind::Unary(op, a) => {
            let x = ev(a, env, frame, n)?;
            match un_of(*op) {
                Some(u) => apply_un(u, x, e),
                None => Ok(x),
            }
        }
        ExprKind::Binary(op, a, b) => {
            let x = ev(a, env, frame, n)?;
            // && and || short-circuit (so `x != 0 && 1/x > 2` is fine at x = 0).
            match op {
                BinOp::And if x == 0.0 => return Ok(0.0),
                BinOp::Or if x != 0.0 => return Ok(1.0),
                _ => {}
            }
            let y = ev(b, env, frame, n)?;
            apply_bin(bin_of(*op), x, y, e)
        }
        ExprKind::Ternary(c, a, b) => {
            if ev(c, env, frame, n)? != 0.0 {
                ev(a, env, frame, n)
            } else {
                ev(b, env, frame, n)
            }
        }
        ExprKind::Call(name, args) => {
            if let Some(fd) = env.func(name) {
                let depth = check_call(fd, name, args.len(), frame, e.span)?;
                let vals = args
                    .iter()
                    .map(|a| ev(a, env, frame, n))
                    .collect::<DResult<Vec<f64>>>()?;
                let fr = Frame {
                    func: name,
                    names: &fd.args,
                    vals: &vals,
                    caller: frame,
                    depth,
                };
                // The body's own spans point into the .func line; a value
                // error there is reported there, which names the function.
                return ev(&fd.body, env, Some(&fr), n);
            }
            if let Some(d) = random::lookup(name) {
                random_arity(d, args.len(), e.span)?;
                let vals = args
                    .iter()
                    .map(|a| ev(a, env, frame, n))
                    .collect::<DResult<Vec<f64>>>()?;
                return random_value(d, e, &vals, env);
            }
            if name == "ddt" {
                return Err(ddt_outside(e.span));
            }
            match builtin_call(name, args.len(), e.span)? {
                Builtin::If => {
                    if ev(&args[0], env, frame, n)? != 0.0 {
                        ev(&args[1], env, frame, n)
                    } else {
                        ev(&args[2], env, frame, n)
                    }
                }
                Builtin::Un(u) => {
                    let x = ev(&args[0], env, frame, n)?;
                    apply_un(u, x, e)
                }
                Builtin::Bin(b) => {
                    let x = ev(&args[0], env, frame, n)?;
                    let y = ev(&args[1], env, frame, n)?;
                    apply_bin(b, x, y, e)
                }
                Builtin::Variadic(b) => {
                    let mut acc = ev(&args[0], env, frame, n)?;
                    for a in &args[1..] {
                        let y = ev(a, env, frame, n)?;
                        acc = apply_bin(b, acc, y, e)?;
                    }
                    Ok(acc)
                }
                Builtin::Limit => {
                    let x = ev(&args[0], env, frame, n)?;
                    let lo = ev(&args[1], env, frame, n)?;
                    let hi = ev(&args[2], env, frame, n)?;
                    Ok(builtins::limit(x, lo, hi).0)
                }
                Builtin::Pwl(hold) => {
                    let v = args
                        .iter()
                        .map(|a| ev(a, env, frame, n))
                        .collect::<DResult<Vec<f64>>>()?;
                    apply_pwl(name, hold, &v, e)
                }
            }
        }
    }
}

// ------------------------------------------------------------- substitute

fn mk(kind: ExprKind, span: Span) -> Expr {
    Expr { kind, span }
}

fn sub(
    e: &Expr,
    env: &dyn Env,
    keep: &[&str],
    frame: Option<&Frame<'_, Expr>>,
    nest: usize,
) -> DResult<Expr> {
    if nest > MAX_NESTING {
        return Err(nesting_error(e.span));
    }
    let n = nest + 1;
    let num = |v: f64| Expr::num(v, e.span);
    match &e.kind {
        ExprKind::Num(v) => Ok(num(finite(*v, e, || "number out of range".into())?)),
        ExprKind::Ident(name) => {
            if let Some(x) = frame.and_then(|f| f.arg(name)) {
                return Ok(x.clone());
            }
            if keep.contains(&name.as_str()) {
                return Ok(e.clone());
            }
            let v = builtins::constant(name)
                .or_else(|| env.ident(name))
                .or_else(|| builtins::constant_e(name))
                .ok_or_else(|| undefined(name, e.span))?;
            Ok(num(finite(v, e, || {
                format!("parameter '{name}' is not a finite number ({v})")
            })?))
        }
        ExprKind::Probe { .. } => Ok(e.clone()),
        ExprKind::Unary(op, a) => {
            let x = sub(a, env, keep, frame, n)?;
            match (un_of(*op), &x.kind) {
                (None, _) => Ok(x),
                (Some(u), ExprKind::Num(v)) => Ok(num(apply_un(u, *v, e)?)),
                (Some(_), _) => Ok(mk(ExprKind::Unary(*op, Box::new(x)), e.span)),
            }
        }
        ExprKind::Binary(op, a, b) => {
            let x = sub(a, env, keep, frame, n)?;
            if let ExprKind::Num(xv) = x.kind {
                match op {
                    BinOp::And if xv == 0.0 => return Ok(num(0.0)),
                    BinOp::Or if xv != 0.0 => return Ok(num(1.0)),
                    _ => {}
                }
            }
            let y = sub(b, env, keep, frame, n)?;
            if let (ExprKind::Num(xv), ExprKind::Num(yv)) = (&x.kind, &y.kind) {
                return Ok(num(apply_bin(bin_of(*op), *xv, *yv, e)?));
            }
            Ok(mk(ExprKind::Binary(*op, Box::new(x), Box::new(y)), e.span))
        }
        ExprKind::Ternary(c, a, b) => sub_ternary(e, c, a, b, env, keep, frame, n),
        ExprKind::Call(name, args) => {
            if let Some(fd) = env.func(name) {
                let depth = check_call(fd, name, args.len(), frame, e.span)?;
                let vals = args
                    .iter()
                    .map(|a| sub(a, env, keep, frame, n))
                    .collect::<DResult<Vec<Expr>>>()?;
                let fr = Frame {
                    func: name,
                    names: &fd.args,
                    vals: &vals,
                    caller: frame,
                    depth,
                };
                return sub(&fd.body, env, keep, Some(&fr), n);
            }
            if let Some(d) = random::lookup(name) {
                random_arity(d, args.len(), e.span)?;
                let xs = args
                    .iter()
                    .map(|a| sub(a, env, keep, frame, n))
                    .collect::<DResult<Vec<Expr>>>()?;
                let Some(vals) = xs.iter().map(|x| x.as_num()).collect::<Option<Vec<f64>>>() else {
                    return Err(Diagnostic::error(
                        e.span,
                        format!(
                            "the arguments of {} must be constants (parameters), not circuit quantities or time",
                            d.name()
                        ),
                    ));
                };
                return Ok(num(random_value(d, e, &vals, env)?));
            }
            if name == "ddt" {
                // kept for the behavioural source (a charge term, expr::ddt)
                let xs = args
                    .iter()
                    .map(|a| sub(a, env, keep, frame, n))
                    .collect::<DResult<Vec<Expr>>>()?;
                return Ok(mk(ExprKind::Call(name.clone(), xs), e.span));
            }
            let bi = builtin_call(name, args.len(), e.span)?;
            if bi == Builtin::If {
                return sub_ternary(e, &args[0], &args[1], &args[2], env, keep, frame, n);
            }
            let xs = args
                .iter()
                .map(|a| sub(a, env, keep, frame, n))
                .collect::<DResult<Vec<Expr>>>()?;
            let vals: Option<Vec<f64>> = xs.iter().map(|x| x.as_num()).collect();
            let Some(v) = vals else {
                if let Builtin::Pwl(_) = bi {
                    pwl_points(name, &xs[1..], e)?;
                }
                return Ok(mk(ExprKind::Call(name.clone(), xs), e.span));
            };
            Ok(num(match bi {
                Builtin::Un(u) => apply_un(u, v[0], e)?,
                Builtin::Bin(b) => apply_bin(b, v[0], v[1], e)?,
                Builtin::Variadic(b) => {
                    let mut acc = v[0];
                    for y in &v[1..] {
                        acc = apply_bin(b, acc, *y, e)?;
                    }
                    acc
                }
                Builtin::Limit => builtins::limit(v[0], v[1], v[2]).0,
                Builtin::Pwl(hold) => apply_pwl(name, hold, &v, e)?,
                Builtin::If => unreachable!("handled above"),
            }))
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn sub_ternary(
    e: &Expr,
    c: &Expr,
    a: &Expr,
    b: &Expr,
    env: &dyn Env,
    keep: &[&str],
    frame: Option<&Frame<'_, Expr>>,
    n: usize,
) -> DResult<Expr> {
    let cx = sub(c, env, keep, frame, n)?;
    if let Some(cv) = cx.as_num() {
        // Only the chosen branch is evaluated, as in `eval`.
        return sub(if cv != 0.0 { a } else { b }, env, keep, frame, n);
    }
    let ax = sub(a, env, keep, frame, n)?;
    let bx = sub(b, env, keep, frame, n)?;
    Ok(mk(
        ExprKind::Ternary(Box::new(cx), Box::new(ax), Box::new(bx)),
        e.span,
    ))
}

// ---------------------------------------------------------------- display

/// Binding strength for printing (higher binds tighter).
fn prec(e: &Expr) -> u8 {
    match &e.kind {
        ExprKind::Ternary(..) => 1,
        ExprKind::Binary(op, ..) => match op {
            BinOp::Or => 2,
            BinOp::And => 3,
            BinOp::Eq | BinOp::Ne => 4,
            BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => 5,
            BinOp::Add | BinOp::Sub => 6,
            BinOp::Mul | BinOp::Div => 7,
            BinOp::Pow => 9,
        },
        ExprKind::Unary(..) => 8,
        ExprKind::Num(v) if v.is_sign_negative() => 8,
        _ => 10,
    }
}

fn fmt_expr(e: &Expr, min_prec: u8, out: &mut String) {
    let p = prec(e);
    let paren = p < min_prec;
    if paren {
        out.push('(');
    }
    match &e.kind {
        ExprKind::Num(v) => {
            let _ = write!(out, "{v}");
        }
        ExprKind::Ident(n) => out.push_str(n),
        ExprKind::Probe { func, args } => out.push_str(&probe_text(func, args)),
        ExprKind::Call(name, args) => {
            out.push_str(name);
            out.push('(');
            for (i, a) in args.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                fmt_expr(a, 0, out);
            }
            out.push(')');
        }
        ExprKind::Unary(op, a) => {
            out.push(match op {
                UnOp::Neg => '-',
                UnOp::Plus => '+',
                UnOp::Not => '!',
            });
            fmt_expr(a, 8, out);
        }
        ExprKind::Binary(op, a, b) => {
            // Left-associative except power (right-associative).
            let (lp, rp) = if *op == BinOp::Pow {
                (p + 1, p)
            } else {
                (p, p + 1)
            };
            fmt_expr(a, lp, out);
            let _ = write!(out, " {} ", bin_of(*op).name());
            fmt_expr(b, rp, out);
        }
        ExprKind::Ternary(c, a, b) => {
            fmt_expr(c, 2, out);
            out.push_str(" ? ");
            fmt_expr(a, 2, out);
            out.push_str(" : ");
            fmt_expr(b, 1, out);
        }
    }
    if paren {
        out.push(')');
    }
}

/// Constructors and an environment for tests of this module and of
/// [`super::compile`] (the parser is developed separately).
#[cfg(test)]
pub(crate) mod test_support {
    use super::*;
    use crate::diag::FileId;
    use std::collections::HashMap;

    pub fn sp(start: usize, end: usize) -> Span {
        Span::new(FileId(0), start, end)
    }
    pub fn num(v: f64) -> Expr {
        Expr::num(v, Span::default())
    }
    pub fn id(name: &str) -> Expr {
        mk(ExprKind::Ident(name.into()), Span::default())
    }
    pub fn v(node: &str) -> Expr {
        mk(
            ExprKind::Probe {
                func: "v".into(),
                args: vec![node.into()],
            },
            Span::default(),
        )
    }
    pub fn bin(op: BinOp, a: Expr, b: Expr) -> Expr {
        mk(
            ExprKind::Binary(op, Box::new(a), Box::new(b)),
            Span::default(),
        )
    }
    pub fn un(op: UnOp, a: Expr) -> Expr {
        mk(ExprKind::Unary(op, Box::new(a)), Span::default())
    }
    pub fn call(name: &str, args: Vec<Expr>) -> Expr {
        mk(ExprKind::Call(name.into(), args), Span::default())
    }
    pub fn tern(c: Expr, a: Expr, b: Expr) -> Expr {
        mk(
            ExprKind::Ternary(Box::new(c), Box::new(a), Box::new(b)),
            Span::default(),
        )
    }
    pub fn at(mut e: Expr, start: usize, end: usize) -> Expr {
        e.span = sp(start, end);
        e
    }
    pub fn func(name: &str, args: &[&str], body: Expr) -> FuncDef {
        FuncDef {
            name: Ident {
                name: name.into(),
                span: Span::default(),
            },
            args: args
                .iter()
                .map(|a| Ident {
                    name: (*a).into(),
                    span: Span::default(),
                })
                .collect(),
            body,
            span: Span::default(),
        }
    }

    /// Parameters, node voltages `v(name)` and `.func`s.
    #[derive(Default, Clone)]
    pub struct TestEnv {
        pub params: HashMap<String, f64>,
        pub volts: HashMap<String, f64>,
        pub funcs: HashMap<String, FuncDef>,
    }

    impl TestEnv {
        pub fn new() -> TestEnv {
            TestEnv::default()
        }
        pub fn param(mut self, name: &str, v: f64) -> TestEnv {
            self.params.insert(name.into(), v);
            self
        }
        pub fn volt(mut self, node: &str, v: f64) -> TestEnv {
            self.volts.insert(node.into(), v);
            self
        }
        pub fn func(mut self, f: FuncDef) -> TestEnv {
            self.funcs.insert(f.name.name.clone(), f);
            self
        }
    }

    impl Env for TestEnv {
        fn ident(&self, name: &str) -> Option<f64> {
            self.params.get(name).copied()
        }
        fn probe(&self, func: &str, args: &[String]) -> Option<f64> {
            match (func, args) {
                ("v", [n]) => self.volts.get(n).copied(),
                _ => None,
            }
        }
        fn func(&self, name: &str) -> Option<&FuncDef> {
            self.funcs.get(name)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::test_support::*;
    use super::*;
    use std::f64::consts::{E, PI};
    use BinOp::*;

    fn ev0(e: &Expr) -> f64 {
        eval(e, &TestEnv::new()).unwrap_or_else(|d| panic!("{}: {}", format_expr(e), d))
    }
    fn f1(name: &str, x: f64) -> f64 {
        ev0(&call(name, vec![num(x)]))
    }
    fn f2(name: &str, x: f64, y: f64) -> f64 {
        ev0(&call(name, vec![num(x), num(y)]))
    }
    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-14 * b.abs().max(1e-300)
    }
    fn err(e: &Expr, env: &TestEnv) -> Diagnostic {
        match eval(e, env) {
            Ok(v) => panic!("expected an error from '{}', got {v}", format_expr(e)),
            Err(d) => d,
        }
    }

    #[test]
    fn unary_builtins_hand_values() {
        // Exact or well-known values.
        assert_eq!(f1("sin", 0.0), 0.0);
        assert!(close(f1("sin", PI / 6.0), 0.5));
        assert!(close(f1("cos", PI / 3.0), 0.5));
        assert!(close(f1("tan", PI / 4.0), 1.0));
        assert!(close(f1("asin", 0.5), PI / 6.0));
        assert!(close(f1("acos", 0.5), PI / 3.0));
        assert!(close(f1("atan", 1.0), PI / 4.0));
        // sinh 1 = (e − 1/e)/2, cosh 1 = (e + 1/e)/2, tanh 1 = sinh/cosh.
        assert!(close(f1("sinh", 1.0), 1.1752011936438014));
        assert!(close(f1("cosh", 1.0), 1.5430806348152437));
        assert!(close(f1("tanh", 1.0), 0.7615941559557649));
        assert!(close(f1("exp", 1.0), E));
        assert!(close(f1("ln", E * E), 2.0));
        assert!(close(f1("log", 1000.0), 3.0 * 10f64.ln())); // natural log, as ngspice
        assert_eq!(f1("log10", 1000.0), 3.0);
        assert_eq!(f1("sqrt", 2.25), 1.5);
        assert_eq!(f1("abs", -3.5), 3.5);
        assert_eq!(f1("sgn", -0.2), -1.0);
        assert_eq!(f1("sgn", 0.0), 0.0);
        assert_eq!(f1("sign", 7.0), 1.0);
        assert_eq!(f1("floor", -1.5), -2.0);
        assert_eq!(f1("ceil", -1.5), -1.0);
        assert_eq!(f1("int", -1.7), -1.0);
        assert_eq!(f1("int", 1.7), 1.0);
        assert_eq!(f1("round", 2.5), 3.0);
        assert_eq!(f1("round", -2.5), -3.0);
        assert_eq!(f1("u", 0.1), 1.0);
        assert_eq!(f1("u", 0.0), 0.0);
        assert_eq!(f1("u", -0.1), 0.0);
        assert_eq!(f1("uramp", 2.0), 2.0);
        assert_eq!(f1("uramp", -2.0), 0.0);
        assert!(close(f1("db", 10.0), 20.0));
        assert!(close(f1("db", -0.1), -20.0));
        // RF helpers: 0 dBm = 1 mW, 30 dBm = 1 W, −10 dBm = 0.1 mW.
        assert!(close(f1("dbm2w", 0.0), 1e-3));
        assert!(close(f1("dbm2w", 30.0), 1.0));
        assert!(close(f1("dbm2w", -10.0), 1e-4));
    }

    #[test]
    fn binary_builtins_hand_values() {
        assert!(close(f2("atan2", 1.0, -1.0), 3.0 * PI / 4.0));
        assert_eq!(f2("min", 2.0, -3.0), -3.0);
        assert_eq!(f2("max", 2.0, -3.0), 2.0);
        assert_eq!(ev0(&call("min", vec![num(4.0), num(-1.0), num(2.0)])), -1.0);
        assert_eq!(ev0(&call("max", vec![num(4.0), num(-1.0), num(9.0)])), 9.0);
        assert_eq!(f2("pow", 2.0, 10.0), 1024.0);
        assert_eq!(f2("pow", -2.0, 3.0), -8.0);
        assert_eq!(f2("pwr", -8.0, 1.0 / 3.0), -2.0);
        assert!(close(f2("pwr", -4.0, 0.5), -2.0));
        assert!(close(f2("pwr", 4.0, 0.5), 2.0));
        assert_eq!(f2("pwr", 0.0, 2.0), 0.0);
        // 0 dBm into 50 Ω: P = 1 mW = A²/(2R) → A = sqrt(0.1) V.
        assert!(close(f2("dbm2v", 0.0, 50.0), 0.1f64.sqrt()));
        // 10 dBm into 50 Ω: A = sqrt(2·50·0.01) = 1 V.
        assert!(close(f2("dbm2v", 10.0, 50.0), 1.0));
    }

    #[test]
    fn limit_clamp_and_if() {
        let lim = |x: f64, a: f64, b: f64| ev0(&call("limit", vec![num(x), num(a), num(b)]));
        assert_eq!(lim(5.0, -1.0, 2.0), 2.0);
        assert_eq!(lim(-5.0, -1.0, 2.0), -1.0);
        assert_eq!(lim(0.5, -1.0, 2.0), 0.5);
        assert_eq!(lim(5.0, 2.0, -1.0), 2.0); // bounds swapped: median
        assert_eq!(
            ev0(&call("clamp", vec![num(-5.0), num(0.0), num(1.0)])),
            0.0
        );
        assert_eq!(ev0(&call("if", vec![num(0.0), num(1.0), num(2.0)])), 2.0);
        assert_eq!(ev0(&call("if", vec![num(-0.5), num(1.0), num(2.0)])), 1.0);
        assert_eq!(ev0(&tern(num(3.0), num(1.0), num(2.0))), 1.0);
        assert_eq!(ev0(&tern(num(0.0), num(1.0), num(2.0))), 2.0);
        // Only the chosen branch is evaluated: ln(-1) in the other is no error.
        let env = TestEnv::new().param("x", -1.0);
        let guarded = call(
            "if",
            vec![
                bin(Gt, id("x"), num(0.0)),
                call("ln", vec![id("x")]),
                num(-99.0),
            ],
        );
        assert_eq!(eval(&guarded, &env).unwrap(), -99.0);
        let guarded = tern(
            bin(Le, id("x"), num(0.0)),
            num(7.0),
            call("ln", vec![id("x")]),
        );
        assert_eq!(eval(&guarded, &env).unwrap(), 7.0);
    }

    #[test]
    fn operators_comparisons_logic() {
        let b = |op, x: f64, y: f64| ev0(&bin(op, num(x), num(y)));
        assert_eq!(b(Add, 1.5, 2.25), 3.75);
        assert_eq!(b(Sub, 1.5, 2.25), -0.75);
        assert_eq!(b(Mul, 1.5, -2.0), -3.0);
        assert_eq!(b(Div, 3.0, 4.0), 0.75);
        assert_eq!(b(Pow, 2.0, -2.0), 0.25);
        assert_eq!(b(Pow, 9.0, 0.5), 3.0);
        for (op, t) in [
            (Lt, [1.0, 0.0, 0.0]),
            (Le, [1.0, 1.0, 0.0]),
            (Gt, [0.0, 0.0, 1.0]),
            (Ge, [0.0, 1.0, 1.0]),
            (Eq, [0.0, 1.0, 0.0]),
            (Ne, [1.0, 0.0, 1.0]),
        ] {
            assert_eq!(
                [b(op, 1.0, 2.0), b(op, 2.0, 2.0), b(op, 3.0, 2.0)],
                t,
                "{op:?}"
            );
        }
        assert_eq!(b(And, 2.0, -1.0), 1.0);
        assert_eq!(b(And, 2.0, 0.0), 0.0);
        assert_eq!(b(And, 0.0, 5.0), 0.0);
        assert_eq!(b(Or, 0.0, 0.0), 0.0);
        assert_eq!(b(Or, 0.0, 0.3), 1.0);
        assert_eq!(b(Or, -4.0, 0.0), 1.0);
        assert_eq!(ev0(&un(UnOp::Not, num(0.0))), 1.0);
        assert_eq!(ev0(&un(UnOp::Not, num(2.0))), 0.0);
        assert_eq!(ev0(&un(UnOp::Neg, num(2.0))), -2.0);
        assert_eq!(ev0(&un(UnOp::Plus, num(2.0))), 2.0);
        // Short-circuit: the right operand is not evaluated.
        let env = TestEnv::new().param("x", 0.0);
        let e = bin(
            And,
            bin(Ne, id("x"), num(0.0)),
            bin(Gt, bin(Div, num(1.0), id("x")), num(2.0)),
        );
        assert_eq!(eval(&e, &env).unwrap(), 0.0);
        let e = bin(Or, bin(Eq, id("x"), num(0.0)), bin(Div, num(1.0), id("x")));
        assert_eq!(eval(&e, &env).unwrap(), 1.0);
    }

    #[test]
    fn constants_and_shadowing() {
        assert_eq!(ev0(&id("pi")), PI);
        assert_eq!(ev0(&id("e")), E);
        assert_eq!(ev0(&id("boltz")), 1.380649e-23);
        assert_eq!(ev0(&id("echarge")), 1.602176634e-19);
        assert_eq!(ev0(&id("planck")), 6.62607015e-34);
        assert_eq!(ev0(&id("kelvin")), 273.15);
        // A parameter named e shadows Euler's number…
        let env = TestEnv::new().param("e", 0.5).param("pi", 3.0);
        assert_eq!(eval(&id("e"), &env).unwrap(), 0.5);
        // …the other constants are fixed (looked up before the environment).
        assert_eq!(eval(&id("pi"), &env).unwrap(), PI);
        // A .func argument named e shadows both.
        let env = TestEnv::new().func(func("twice", &["e"], bin(Mul, num(2.0), id("e"))));
        assert_eq!(eval(&call("twice", vec![num(4.0)]), &env).unwrap(), 8.0);
        // Thermal voltage at 27 °C from the constants: kT/q = 25.85 mV.
        let vt = bin(
            Div,
            bin(Mul, id("boltz"), bin(Add, num(27.0), id("kelvin"))),
            id("echarge"),
        );
        assert!((ev0(&vt) - 0.025865).abs() < 1e-6);
    }

    #[test]
    fn params_and_probes() {
        let env = TestEnv::new().param("r0", 50.0).volt("a", 0.2);
        let e = bin(Mul, bin(Mul, num(2.0), id("r0")), v("a"));
        assert!(close(eval(&e, &env).unwrap(), 20.0));
        // A probe where the environment has none (e.g. in a .param).
        let d = err(&at(v("b"), 4, 8), &env);
        assert_eq!(d.message, "circuit quantity 'v(b)' is not available here");
        assert_eq!(d.span, Some(sp(4, 8)));
    }

    #[test]
    fn func_inlining_nested_and_scoped() {
        // .param g=3; .func sq(x) {x*x}; .func hyp(a,b) {sqrt(sq(a)+sq(b))*g}
        let env = TestEnv::new()
            .param("g", 3.0)
            .func(func("sq", &["x"], bin(Mul, id("x"), id("x"))))
            .func(func(
                "hyp",
                &["a", "b"],
                bin(
                    Mul,
                    call(
                        "sqrt",
                        vec![bin(
                            Add,
                            call("sq", vec![id("a")]),
                            call("sq", vec![id("b")]),
                        )],
                    ),
                    id("g"),
                ),
            ));
        let e = call("hyp", vec![num(3.0), num(4.0)]);
        assert_eq!(eval(&e, &env).unwrap(), 15.0);
        // Arguments are evaluated in the caller's scope.
        let env2 = env.clone().param("x", 10.0);
        let e = call("sq", vec![bin(Add, id("x"), num(1.0))]);
        assert_eq!(eval(&e, &env2).unwrap(), 121.0);
        // Lexical scope: a body sees its own arguments, not its caller's.
        let env3 = TestEnv::new()
            .func(func("inner", &["y"], bin(Add, id("y"), id("x"))))
            .func(func("outer", &["x"], call("inner", vec![num(1.0)])));
        let d = err(&call("outer", vec![num(5.0)]), &env3);
        assert_eq!(d.message, "undefined parameter 'x'");
        // A user function shadows a builtin of the same name.
        let env4 = TestEnv::new().func(func("limit", &["x"], bin(Mul, id("x"), num(10.0))));
        assert_eq!(eval(&call("limit", vec![num(2.0)]), &env4).unwrap(), 20.0);
    }

    #[test]
    fn func_recursion_and_arity_errors() {
        let env = TestEnv::new()
            .func(func("f", &["x"], call("g", vec![id("x")])))
            .func(func("g", &["x"], at(call("f", vec![id("x")]), 20, 24)))
            .func(func("self", &["x"], call("self", vec![id("x")])))
            .func(func("two", &["x", "y"], bin(Add, id("x"), id("y"))));
        let d = err(&at(call("f", vec![num(1.0)]), 10, 14), &env);
        assert_eq!(d.message, "recursive .func call: f → g → f");
        // The error is at the call that closes the cycle (in g's body).
        assert_eq!(d.span, Some(sp(20, 24)));
        let d = err(&at(call("self", vec![num(1.0)]), 3, 10), &env);
        assert_eq!(d.message, "recursive .func call: self → self");
        let d = err(&at(call("two", vec![num(1.0)]), 3, 9), &env);
        assert_eq!(d.message, "function 'two' expects 2 arguments, got 1");
        assert_eq!(d.span, Some(sp(3, 9)));
        let d = err(&at(call("sin", vec![num(1.0), num(2.0)]), 0, 9), &env);
        assert_eq!(d.message, "function 'sin' expects 1 argument, got 2");
        // one argument is itself (ngspice, HSPICE); none is an error
        assert_eq!(eval(&call("max", vec![num(-3.0)]), &env).ok(), Some(-3.0));
        let d = err(&call("min", vec![]), &env);
        assert_eq!(
            d.message,
            "function 'min' expects at least 1 argument, got 0"
        );
        let d = err(&call("limit", vec![num(1.0)]), &env);
        assert_eq!(d.message, "function 'limit' expects 3 arguments, got 1");
        // A chain of 70 distinct functions is too deep.
        let mut env = TestEnv::new().func(func("f0", &["x"], id("x")));
        for i in 1..70 {
            let prev = format!("f{}", i - 1);
            env = env.func(func(&format!("f{i}"), &["x"], call(&prev, vec![id("x")])));
        }
        assert_eq!(eval(&call("f60", vec![num(2.0)]), &env).unwrap(), 2.0);
        let d = err(&call("f69", vec![num(2.0)]), &env);
        assert!(d.message.contains("nested deeper than 64"), "{}", d.message);
    }

    #[test]
    fn undefined_names_and_value_errors_point_at_spans() {
        let env = TestEnv::new().param("x", 1.0);
        // 1 + foo   (foo at 4..7)
        let e = bin(Add, num(1.0), at(id("foo"), 4, 7));
        let d = err(&e, &env);
        assert_eq!(d.message, "undefined parameter 'foo'");
        assert_eq!(d.span, Some(sp(4, 7)));
        let d = err(&at(call("bar", vec![num(1.0)]), 2, 8), &env);
        assert_eq!(d.message, "unknown function 'bar'");
        assert_eq!(d.span, Some(sp(2, 8)));
        // 2 * (1 / (x - 1)): the division is at 5..16.
        let div = at(bin(Div, num(1.0), bin(Sub, id("x"), num(1.0))), 5, 16);
        let d = err(&bin(Mul, num(2.0), div), &env);
        assert_eq!(d.message, "division by zero in '1 / (x - 1)'");
        assert_eq!(d.span, Some(sp(5, 16)));
        let d = err(&at(call("ln", vec![num(-2.0)]), 1, 7), &env);
        assert_eq!(d.message, "logarithm of a negative number (-2) in 'ln(-2)'");
        assert_eq!(d.span, Some(sp(1, 7)));
        let d = err(&call("log10", vec![num(0.0)]), &env);
        assert_eq!(d.message, "logarithm of zero in 'log10(0)'");
        let d = err(&call("sqrt", vec![num(-1.0)]), &env);
        assert_eq!(
            d.message,
            "square root of a negative number (-1) in 'sqrt(-1)'"
        );
        let d = err(&call("asin", vec![num(2.0)]), &env);
        assert_eq!(d.message, "asin of 2, outside [-1, 1] in 'asin(2)'");
        let d = err(&bin(Pow, num(-8.0), num(0.5)), &env);
        assert_eq!(
            d.message,
            "negative base (-8) raised to a non-integer power (0.5) in '(-8) ** 0.5'"
        );
        let d = err(&call("exp", vec![num(1000.0)]), &env);
        assert_eq!(
            d.message,
            "overflow: exp(1000) is not a finite number in 'exp(1000)'"
        );
        let d = err(&bin(Pow, num(0.0), num(-1.0)), &env);
        assert!(d.message.starts_with("zero raised to a negative power"));
        let d = err(&call("dbm2v", vec![num(0.0), num(-50.0)]), &env);
        assert!(
            d.message.starts_with("negative resistance"),
            "{}",
            d.message
        );
    }

    #[test]
    fn nesting_limit_is_an_error_not_a_crash() {
        let mut e = num(1.0);
        for _ in 0..(MAX_NESTING + 10) {
            e = un(UnOp::Neg, e);
        }
        let d = err(&e, &TestEnv::new());
        assert!(d.message.contains("nested more than"));
        assert!(substitute(&e, &TestEnv::new(), &[]).is_err());
    }

    #[test]
    fn format_expr_parenthesises_minimally() {
        let e = bin(
            Mul,
            bin(Add, id("a"), num(1.0)),
            bin(Pow, id("b"), bin(Pow, num(2.0), num(3.0))),
        );
        assert_eq!(format_expr(&e), "(a + 1) * b ** 2 ** 3");
        let e = bin(Sub, id("a"), bin(Sub, id("b"), id("c")));
        assert_eq!(format_expr(&e), "a - (b - c)");
        let e = bin(Pow, un(UnOp::Neg, id("a")), num(2.0));
        assert_eq!(format_expr(&e), "(-a) ** 2");
        let e = tern(
            bin(Gt, v("x"), num(0.0)),
            call("max", vec![id("a"), id("b")]),
            num(1e-3),
        );
        assert_eq!(format_expr(&e), "v(x) > 0 ? max(a, b) : 0.001");
        let e = mk(
            ExprKind::Probe {
                func: "@".into(),
                args: vec!["m1".into(), "mx".into()],
            },
            Span::default(),
        );
        assert_eq!(format_expr(&e), "@m1[mx]");
    }

    // ------------------------------------------------------- substitute

    #[test]
    fn substitute_folds_params_and_keeps_probes() {
        let env = TestEnv::new().param("r0", 50.0).param("time", 1.0);
        // {2*r0}*v(a): the parameter product folds to one number at its span.
        let e = at(
            bin(
                Mul,
                at(bin(Mul, num(2.0), id("r0")), 0, 6),
                at(v("a"), 7, 11),
            ),
            0,
            11,
        );
        let s = substitute(&e, &env, &["time"]).unwrap();
        assert_eq!(
            s,
            at(bin(Mul, at(num(100.0), 0, 6), at(v("a"), 7, 11)), 0, 11)
        );
        // `time` is kept symbolic even though the environment defines it.
        let e = call("sin", vec![bin(Mul, id("time"), id("r0"))]);
        let s = substitute(&e, &env, &["time"]).unwrap();
        assert_eq!(s, call("sin", vec![bin(Mul, id("time"), num(50.0))]));
        // Without keep it is a parameter like any other.
        let s = substitute(&e, &env, &[]).unwrap();
        assert_eq!(s, num(50f64.sin()));
        // Undefined names are errors at their span.
        let d = substitute(&at(id("zz"), 3, 5), &env, &["time"]).unwrap_err();
        assert_eq!(d.message, "undefined parameter 'zz'");
        assert_eq!(d.span, Some(sp(3, 5)));
    }

    #[test]
    fn substitute_inlines_funcs_with_probe_arguments() {
        let env = TestEnv::new()
            .param("k", 2.0)
            .func(func("sq", &["x"], bin(Mul, id("x"), id("x"))))
            .func(func(
                "gain",
                &["x"],
                bin(Mul, id("k"), call("sq", vec![id("x")])),
            ));
        let e = call("gain", vec![bin(Sub, v("a"), v("b"))]);
        let s = substitute(&e, &env, &["time"]).unwrap();
        let d = bin(Sub, v("a"), v("b"));
        assert_eq!(s, bin(Mul, num(2.0), bin(Mul, d.clone(), d)));
        // Constant arguments fold through the body.
        let s = substitute(&call("gain", vec![num(3.0)]), &env, &[]).unwrap();
        assert_eq!(s, num(18.0));
        // if with a constant condition keeps only the chosen branch; with a
        // probe condition it becomes a ternary.
        let e = call(
            "if",
            vec![
                bin(Gt, id("k"), num(1.0)),
                v("a"),
                call("ln", vec![num(-1.0)]),
            ],
        );
        assert_eq!(substitute(&e, &env, &[]).unwrap(), v("a"));
        let e = call("if", vec![bin(Gt, v("a"), num(1.0)), id("k"), num(0.0)]);
        assert_eq!(
            substitute(&e, &env, &[]).unwrap(),
            tern(bin(Gt, v("a"), num(1.0)), num(2.0), num(0.0))
        );
        // Recursion is reported by substitute too.
        let env = env.func(func("r", &["x"], call("r", vec![id("x")])));
        let d = substitute(&call("r", vec![v("a")]), &env, &[]).unwrap_err();
        assert_eq!(d.message, "recursive .func call: r → r");
        // A value error in a folded part is reported at that part.
        let e = bin(Mul, v("a"), at(bin(Div, id("k"), num(0.0)), 4, 9));
        let d = substitute(&e, &env, &[]).unwrap_err();
        assert_eq!(d.message, "division by zero in 'k / 0'");
        assert_eq!(d.span, Some(sp(4, 9)));
    }

    #[test]
    fn substitute_short_circuits_like_eval() {
        let env = TestEnv::new().param("x", 0.0);
        let e = bin(And, id("x"), bin(Div, v("a"), id("x")));
        assert_eq!(substitute(&e, &env, &[]).unwrap(), num(0.0));
        let e = bin(Or, num(1.0), v("a"));
        assert_eq!(substitute(&e, &env, &[]).unwrap(), num(1.0));
        let e = bin(And, num(1.0), v("a"));
        assert_eq!(
            substitute(&e, &env, &[]).unwrap(),
            bin(And, num(1.0), v("a"))
        );
    }
}
