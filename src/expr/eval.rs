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
/// parts that can be computed now.
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
        format!("at least {min} arguments")
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
            let text = probe_text(func, args);
            let v = env.probe(func, args).ok_or_else(|| {
                Diagnostic::error(
                    e.span,
                    format!("circuit quantity '{text}' is not available here"),
                )
            })?;
            finite(v, e, || format!("'{text}' is not a finite number ({v})"))
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
