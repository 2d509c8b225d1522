//! `ddt(x)` in behavioural expressions: the time derivative of x.
//!
//! The DAE is F(x) + dQ(x)/dt = 0, so a term `k·ddt(g(x))` of an expression
//! is a charge: [`split`] writes the expression as `f(x) + d/dt q(x)` with
//! `q = Σ k·g` and the device stamps f into F and q into Q. The integrator
//! then differentiates q with the formula of every other charge; in DC the
//! term is 0 and in AC it is jω·(∂q/∂x)·x̂, as for a capacitor. This needs
//! `ddt` to appear as a *term*: sums, differences, negations, products and
//! quotients by constants (numbers after parameter substitution). `ddt`
//! inside a function or multiplied by a circuit quantity or `time` is
//! refused with a message (ngspice differentiates the sampled value
//! numerically there; a charge formulation would need a state unknown).

use super::{BinOp, Expr, ExprKind, UnOp};
use crate::diag::{DResult, Diagnostic};

/// Whether `e` calls `ddt` anywhere.
pub fn has_ddt(e: &Expr) -> bool {
    match &e.kind {
        ExprKind::Num(_) | ExprKind::Ident(_) | ExprKind::Probe { .. } => false,
        ExprKind::Call(name, args) => name == "ddt" || args.iter().any(has_ddt),
        ExprKind::Unary(_, a) => has_ddt(a),
        ExprKind::Binary(_, a, b) => has_ddt(a) || has_ddt(b),
        ExprKind::Ternary(c, a, b) => has_ddt(c) || has_ddt(a) || has_ddt(b),
    }
}

/// `e` = f + d/dt q: (f, q), q None when `e` has no `ddt`. Errors name a
/// `ddt` that is not a term (module doc) or has not one argument.
pub fn split(e: &Expr) -> DResult<(Expr, Option<Expr>)> {
    if !has_ddt(e) {
        return Ok((e.clone(), None));
    }
    let (f, q) = terms(e)?;
    let zero = || Expr::num(0.0, e.span);
    Ok((f.unwrap_or_else(zero), q))
}

type Parts = (Option<Expr>, Option<Expr>);

fn mk(kind: ExprKind, at: &Expr) -> Expr {
    Expr {
        kind,
        span: at.span,
    }
}

fn bin(op: BinOp, a: Option<Expr>, b: Option<Expr>, at: &Expr) -> Option<Expr> {
    match (a, b) {
        (a, None) => a,
        (None, Some(b)) if op == BinOp::Add => Some(b),
        (None, Some(b)) => Some(mk(ExprKind::Unary(UnOp::Neg, Box::new(b)), at)),
        (Some(a), Some(b)) => Some(mk(ExprKind::Binary(op, Box::new(a), Box::new(b)), at)),
    }
}

/// A constant factor: no probe, no `time`, no `ddt`.
fn constant(e: &Expr) -> bool {
    let mut probe = false;
    e.for_each_probe(&mut |_, _, _| probe = true);
    !probe && !has_ddt(e) && !mentions_time(e)
}

fn mentions_time(e: &Expr) -> bool {
    match &e.kind {
        ExprKind::Ident(n) => n == "time",
        ExprKind::Num(_) | ExprKind::Probe { .. } => false,
        ExprKind::Call(_, args) => args.iter().any(mentions_time),
        ExprKind::Unary(_, a) => mentions_time(a),
        ExprKind::Binary(_, a, b) => mentions_time(a) || mentions_time(b),
        ExprKind::Ternary(c, a, b) => mentions_time(c) || mentions_time(a) || mentions_time(b),
    }
}

fn terms(e: &Expr) -> DResult<Parts> {
    if !has_ddt(e) {
        return Ok((Some(e.clone()), None));
    }
    let scaled = |op: BinOp, p: Parts, k: &Expr| -> Parts {
        let s = |x: Option<Expr>| {
            x.map(|x| {
                let (l, r) = if op == BinOp::Div {
                    (x, k.clone())
                } else {
                    (k.clone(), x)
                };
                mk(ExprKind::Binary(op, Box::new(l), Box::new(r)), e)
            })
        };
        (s(p.0), s(p.1))
    };
    match &e.kind {
        ExprKind::Call(name, args) if name == "ddt" => match args.as_slice() {
            [g] if !has_ddt(g) => Ok((None, Some(g.clone()))),
            [_] => Err(Diagnostic::error(
                e.span,
                "ddt(ddt(…)) is not supported (a second derivative needs a state unknown)",
            )),
            _ => Err(Diagnostic::error(
                e.span,
                format!("function 'ddt' expects 1 argument, got {}", args.len()),
            )),
        },
        ExprKind::Unary(UnOp::Plus, a) => terms(a),
        ExprKind::Unary(UnOp::Neg, a) => {
            let (f, q) = terms(a)?;
            let neg = |x: Option<Expr>| x.map(|x| mk(ExprKind::Unary(UnOp::Neg, Box::new(x)), e));
            Ok((neg(f), neg(q)))
        }
        ExprKind::Binary(op @ (BinOp::Add | BinOp::Sub), a, b) => {
            let (fa, qa) = terms(a)?;
            let (fb, qb) = terms(b)?;
            Ok((bin(*op, fa, fb, e), bin(*op, qa, qb, e)))
        }
        ExprKind::Binary(BinOp::Mul, a, b) if constant(a) => Ok(scaled(BinOp::Mul, terms(b)?, a)),
        ExprKind::Binary(op @ (BinOp::Mul | BinOp::Div), a, b) if constant(b) => {
            Ok(scaled(*op, terms(a)?, b))
        }
        _ => Err(Diagnostic::error(
            e.span,
            "ddt() must be a term of the expression (f + k·ddt(g), k a constant): \
             inside a function, a condition, or multiplied by a circuit quantity or time \
             it is not supported",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diag::Span;
    use crate::expr::eval::eval;
    use crate::expr::eval::test_support::TestEnv;

    fn parse_expr(text: &str) -> DResult<Expr> {
        crate::expr::parse::parse_expr(text, &|_, _| Span::default())
    }

    fn at(e: &Expr, v: f64, dv: f64) -> (f64, f64) {
        let (f, q) = split(e).unwrap();
        let env = TestEnv::new().volt("a", v);
        let f = eval(&f, &env).unwrap();
        // dq/dt = ∂q/∂v · dv/dt, q linear in v here: (q(v + dv) − q(v))
        let q = q.map_or(0.0, |q| {
            let q1 = eval(&q, &TestEnv::new().volt("a", v + dv)).unwrap();
            q1 - eval(&q, &env).unwrap()
        });
        (f, q)
    }

    #[test]
    fn terms_split_into_f_and_q() {
        let e = parse_expr("v(a)/2 - 3*ddt(v(a)) + ddt(2*v(a))/4 - (-ddt(v(a)))").unwrap();
        let (f, dq) = at(&e, 1.5, 1.0);
        assert_eq!(f, 0.75);
        assert_eq!(dq, -3.0 + 0.5 + 1.0);
        let (f, q) = split(&parse_expr("v(a)").unwrap()).unwrap();
        assert!(q.is_none() && !has_ddt(&f));
        for bad in [
            "exp(ddt(v(a)))",
            "v(a)*ddt(v(a))",
            "time*ddt(v(a))",
            "ddt(ddt(v(a)))",
            "ddt(v(a), 1)",
        ] {
            assert!(split(&parse_expr(bad).unwrap()).is_err(), "{bad}");
        }
    }
}
