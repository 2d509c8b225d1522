//! Expressions: `.param` values, `{…}`/`'…'` instance values, B-source and
//! `VALUE=` expressions, `.func` bodies and `.meas PARAM`.
//!
//! Pipeline: text → [`Expr`] (this module's AST, spans kept) → parameter
//! evaluation ([`eval`]) during elaboration, or compilation to a flat program
//! with forward-mode derivatives ([`compile`]) for behavioural devices, which
//! evaluate it in the Newton loop without allocating.

pub mod builtins;
pub mod compile;
pub mod ddt;
pub mod eval;
pub mod number;
pub mod parse;
pub mod random;

use crate::diag::Span;

/// An expression with its source span.
#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnOp {
    Neg,
    Plus,
    Not,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
    /// `**` or `^` (both are power, as in ngspice/LTspice).
    Pow,
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
    Ne,
    And,
    Or,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ExprKind {
    /// A literal; engineering suffixes already applied (`1k` → 1000).
    Num(f64),
    /// A bare name: a parameter, a `.func` argument, or a builtin constant/variable
    /// (`time`, `temper`, `pi`, `e`, `hertz`). Lower-cased.
    Ident(String),
    /// A function call `name(args…)`: builtin (`sin`, `exp`, `limit`, …) or `.func`.
    /// Lower-cased name.
    Call(String, Vec<Expr>),
    /// A circuit quantity whose arguments are names, not expressions:
    /// `v(a)`, `v(a,b)`, `i(vsrc)`, AC forms `vm vp vdb vr vi im ip idb ir ii`,
    /// and device internal states `@dev[var]` (func = "@", args = [dev, var]).
    /// Func and args lower-cased.
    Probe {
        func: String,
        args: Vec<String>,
    },
    Unary(UnOp, Box<Expr>),
    Binary(BinOp, Box<Expr>, Box<Expr>),
    /// `c ? a : b` (also produced by `if(c, a, b)`).
    Ternary(Box<Expr>, Box<Expr>, Box<Expr>),
}

impl Expr {
    pub fn num(v: f64, span: Span) -> Expr {
        Expr {
            kind: ExprKind::Num(v),
            span,
        }
    }
    /// The literal value if this is a plain number.
    pub fn as_num(&self) -> Option<f64> {
        match self.kind {
            ExprKind::Num(v) => Some(v),
            ExprKind::Unary(UnOp::Neg, ref e) => e.as_num().map(|v| -v),
            _ => None,
        }
    }
    /// Visit every probe (`v(..)`, `i(..)`, `@dev[var]`) in the expression.
    pub fn for_each_probe(&self, f: &mut dyn FnMut(&str, &[String], Span)) {
        match &self.kind {
            ExprKind::Num(_) | ExprKind::Ident(_) => {}
            ExprKind::Probe { func, args } => f(func, args, self.span),
            ExprKind::Call(_, a) => a.iter().for_each(|e| e.for_each_probe(f)),
            ExprKind::Unary(_, a) => a.for_each_probe(f),
            ExprKind::Binary(_, a, b) => {
                a.for_each_probe(f);
                b.for_each_probe(f);
            }
            ExprKind::Ternary(c, a, b) => {
                c.for_each_probe(f);
                a.for_each_probe(f);
                b.for_each_probe(f);
            }
        }
    }
}
