//! Expression parser (nom).
//!
//! Grammar, lowest to highest precedence:
//!
//! ```text
//! expr    = or ["?" expr ":" expr]                 (right-associative)
//! or      = and {"||" and}
//! and     = eq {"&&" eq}
//! eq      = cmp {("==" | "!=") cmp}
//! cmp     = add {("<=" | ">=" | "<" | ">") add}
//! add     = mul {("+" | "-") mul}
//! mul     = unary {("*" | "/") unary}
//! unary   = ("-" | "+" | "!") unary | pow
//! pow     = primary [("**" | "^") unary]           (right-associative; -2^2 = -4)
//! primary = number | "(" expr ")" | "@" dev "[" var "]"
//!         | probe "(" name ["," name] ")" | ident "(" [expr {"," expr}] ")" | ident
//! ```
//!
//! `probe` is one of `v vm vp vdb vr vi` (one or two node names) or
//! `i im ip idb ir ii` (one device name); their arguments are names, not
//! expressions (`x1.n2`, `out_1`, `3`). `if(c, a, b)` is the ternary. Identifiers
//! are `[A-Za-z_][A-Za-z0-9_]*`, lower-cased. Numbers follow
//! [`super::number::parse_number`].
//!
//! Nesting is capped ([`MAX_NESTING`] levels of parentheses / calls / unary
//! operators, [`MAX_TREE_DEPTH`] levels in the resulting tree) so hostile input
//! gets an error instead of overflowing the stack.

use super::number::parse_number;
use super::{BinOp, Expr, ExprKind, UnOp};
use crate::diag::{DResult, Diagnostic, Span};
use nom::branch::alt;
use nom::bytes::complete::{tag, take_while1};
use nom::character::complete::char;
use nom::combinator::{not, value};
use nom::error::{ErrorKind, ParseError};
use nom::sequence::terminated;
use nom::{IResult, Parser};
use std::cell::Cell;

/// Maximum recursion depth of the parser (parentheses, call arguments,
/// conditional branches, chains of unary operators or powers).
pub const MAX_NESTING: u32 = 100;
/// Maximum depth of the produced expression tree (long `a+b+c+…` chains).
pub const MAX_TREE_DEPTH: u32 = 1000;

/// Probe functions taking node names (one or two).
const VOLTAGE_PROBES: [&str; 6] = ["v", "vm", "vp", "vdb", "vr", "vi"];
/// Probe functions taking one device name.
const CURRENT_PROBES: [&str; 6] = ["i", "im", "ip", "idb", "ir", "ii"];

/// Whether `name` (lower-case) is a probe function (`v`, `i`, `vdb`, …).
pub fn is_probe_name(name: &str) -> bool {
    VOLTAGE_PROBES.contains(&name) || CURRENT_PROBES.contains(&name)
}

/// Whether `s` is a plain identifier `[A-Za-z_][A-Za-z0-9_]*`.
pub fn is_ident(s: &str) -> bool {
    let mut it = s.chars();
    matches!(it.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && it.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Parse error: position given as the length of the remaining input (nom
/// style), converted to an offset once the whole text is known.
#[derive(Debug, Clone)]
struct PErr {
    rest: usize,
    len: usize,
    msg: Option<String>,
}

impl<'a> ParseError<&'a str> for PErr {
    fn from_error_kind(input: &'a str, _kind: ErrorKind) -> Self {
        PErr {
            rest: input.len(),
            len: 0,
            msg: None,
        }
    }
    fn append(_input: &'a str, _kind: ErrorKind, other: Self) -> Self {
        other
    }
    fn or(self, other: Self) -> Self {
        // Prefer an error with a message, then the one further into the text.
        match (&self.msg, &other.msg) {
            (Some(_), None) => self,
            (None, Some(_)) => other,
            _ if self.rest < other.rest => self,
            _ => other,
        }
    }
}

type R<'a, T> = IResult<&'a str, T, PErr>;
/// An expression and the depth of its tree.
type D = (Expr, u32);

/// Short description of what stands at the start of `i`, for messages.
fn found(i: &str) -> String {
    let i = i.trim_start();
    match i.chars().next() {
        None => "end of expression".to_string(),
        Some(c) if c.is_alphanumeric() || c == '_' || c == '.' => {
            let w: String = i
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == '.')
                .take(20)
                .collect();
            format!("'{w}'")
        }
        Some(c) => format!("'{c}'"),
    }
}

fn fail<T>(rest: &str, len: usize, msg: impl Into<String>) -> R<'_, T> {
    Err(nom::Err::Failure(PErr {
        rest: rest.len(),
        len,
        msg: Some(msg.into()),
    }))
}

fn ws(i: &str) -> &str {
    i.trim_start()
}

/// Length of the token at the start of `i` (for error spans).
fn tok_len(i: &str) -> usize {
    match i.chars().next() {
        None => 0,
        Some(c) if c.is_alphanumeric() || c == '_' || c == '.' => i
            .char_indices()
            .find(|(_, c)| !(c.is_alphanumeric() || *c == '_' || *c == '.'))
            .map(|(k, _)| k)
            .unwrap_or(i.len()),
        Some(c) => c.len_utf8(),
    }
}

fn ident(i: &str) -> R<'_, &str> {
    let (rest, _) = take_while1(|c: char| c.is_ascii_alphabetic() || c == '_').parse(i)?;
    let (rest, _) =
        nom::bytes::complete::take_while(|c: char| c.is_ascii_alphanumeric() || c == '_')
            .parse(rest)?;
    Ok((rest, &i[..i.len() - rest.len()]))
}

/// A node or device name inside a probe: anything up to a separator.
fn probe_arg(i: &str) -> R<'_, &str> {
    take_while1(|c: char| !c.is_whitespace() && !"(),[]{}'\"=;".contains(c)).parse(i)
}

struct Ctx<'s> {
    src: &'s str,
    span_of: &'s dyn Fn(usize, usize) -> Span,
    nesting: Cell<u32>,
}

/// Decrements the nesting counter when a recursive rule returns.
struct Nest<'c>(&'c Cell<u32>);
impl Drop for Nest<'_> {
    fn drop(&mut self) {
        self.0.set(self.0.get().saturating_sub(1));
    }
}

impl<'s> Ctx<'s> {
    fn pos(&self, i: &str) -> usize {
        self.src.len() - i.len()
    }
    fn span(&self, a: usize, b: usize) -> Span {
        (self.span_of)(a, b)
    }
    fn enter(&self, i: &str) -> Result<Nest<'_>, nom::Err<PErr>> {
        let d = self.nesting.get() + 1;
        if d > MAX_NESTING {
            return Err(nom::Err::Failure(PErr {
                rest: i.len(),
                len: tok_len(i).max(1),
                msg: Some(format!(
                    "expression nested too deeply (more than {MAX_NESTING} levels)"
                )),
            }));
        }
        self.nesting.set(d);
        Ok(Nest(&self.nesting))
    }
    fn binary(&self, op: BinOp, a: D, b: D, at: &'s str) -> Result<D, nom::Err<PErr>> {
        let depth = a.1.max(b.1) + 1;
        if depth > MAX_TREE_DEPTH {
            return Err(nom::Err::Failure(PErr {
                rest: at.len(),
                len: tok_len(at).max(1),
                msg: Some(format!(
                    "expression too deep (more than {MAX_TREE_DEPTH} levels of operators)"
                )),
            }));
        }
        let span = a.0.span.to(b.0.span);
        Ok((
            Expr {
                kind: ExprKind::Binary(op, Box::new(a.0), Box::new(b.0)),
                span,
            },
            depth,
        ))
    }

    fn expr(&self, i: &'s str) -> R<'s, D> {
        let (i, c) = self.or(i)?;
        let j = ws(i);
        let Ok((j, _)) = char::<&str, PErr>('?').parse(j) else {
            return Ok((i, c));
        };
        let _g = self.enter(j)?;
        let (j, a) = self.expr(j)?;
        let k = ws(j);
        let Ok((k, _)) = char::<&str, PErr>(':').parse(k) else {
            return fail(
                k,
                tok_len(k),
                format!("expected ':' in conditional expression, found {}", found(k)),
            );
        };
        let (k, b) = self.expr(k)?;
        let depth = c.1.max(a.1).max(b.1) + 1;
        let span = c.0.span.to(b.0.span);
        Ok((
            k,
            (
                Expr {
                    kind: ExprKind::Ternary(Box::new(c.0), Box::new(a.0), Box::new(b.0)),
                    span,
                },
                depth,
            ),
        ))
    }

    /// Left-associative level: `next {op next}`.
    fn level(
        &self,
        i: &'s str,
        op: &mut dyn FnMut(&'s str) -> R<'s, BinOp>,
        next: fn(&Self, &'s str) -> R<'s, D>,
    ) -> R<'s, D> {
        let (mut i, mut lhs) = next(self, i)?;
        loop {
            let j = ws(i);
            let Ok((k, o)) = op(j) else {
                return Ok((i, lhs));
            };
            let (k, rhs) = next(self, k)?;
            lhs = self.binary(o, lhs, rhs, j)?;
            i = k;
        }
    }

    fn or(&self, i: &'s str) -> R<'s, D> {
        self.level(i, &mut |j| value(BinOp::Or, tag("||")).parse(j), Self::and)
    }
    fn and(&self, i: &'s str) -> R<'s, D> {
        self.level(i, &mut |j| value(BinOp::And, tag("&&")).parse(j), Self::eq)
    }
    fn eq(&self, i: &'s str) -> R<'s, D> {
        self.level(
            i,
            &mut |j| alt((value(BinOp::Eq, tag("==")), value(BinOp::Ne, tag("!=")))).parse(j),
            Self::cmp,
        )
    }
    fn cmp(&self, i: &'s str) -> R<'s, D> {
        self.level(
            i,
            &mut |j| {
                alt((
                    value(BinOp::Le, tag("<=")),
                    value(BinOp::Ge, tag(">=")),
                    value(BinOp::Lt, tag("<")),
                    value(BinOp::Gt, tag(">")),
                ))
                .parse(j)
            },
            Self::add,
        )
    }
    fn add(&self, i: &'s str) -> R<'s, D> {
        self.level(
            i,
            &mut |j| alt((value(BinOp::Add, char('+')), value(BinOp::Sub, char('-')))).parse(j),
            Self::mul,
        )
    }
    fn mul(&self, i: &'s str) -> R<'s, D> {
        self.level(
            i,
            &mut |j| {
                alt((
                    value(BinOp::Mul, terminated(char('*'), not(char('*')))),
                    value(BinOp::Div, char('/')),
                ))
                .parse(j)
            },
            Self::unary,
        )
    }

    fn unary(&self, i: &'s str) -> R<'s, D> {
        let i = ws(i);
        let op = alt((
            value(UnOp::Neg, char::<&str, PErr>('-')),
            value(UnOp::Plus, char('+')),
            value(UnOp::Not, terminated(char('!'), not(char('=')))),
        ))
        .parse(i);
        match op {
            Ok((j, op)) => {
                let _g = self.enter(i)?;
                let start = self.pos(i);
                let (j, (e, d)) = self.unary(j)?;
                let span = self.span(start, start + 1).to(e.span);
                if d + 1 > MAX_TREE_DEPTH {
                    return fail(i, 1, "expression too deep");
                }
                Ok((
                    j,
                    (
                        Expr {
                            kind: ExprKind::Unary(op, Box::new(e)),
                            span,
                        },
                        d + 1,
                    ),
                ))
            }
            Err(_) => self.pow(i),
        }
    }

    fn pow(&self, i: &'s str) -> R<'s, D> {
        let (i, base) = self.primary(i)?;
        let j = ws(i);
        match alt((tag::<&str, &str, PErr>("**"), tag("^"))).parse(j) {
            Ok((k, _)) => {
                let _g = self.enter(j)?;
                let (k, exp) = self.unary(k)?;
                Ok((k, self.binary(BinOp::Pow, base, exp, j)?))
            }
            Err(_) => Ok((i, base)),
        }
    }

    fn primary(&self, i: &'s str) -> R<'s, D> {
        let i = ws(i);
        let start = self.pos(i);
        let Some(c) = i.chars().next() else {
            return fail(
                i,
                0,
                "expected a value (number, name or '('), found end of expression",
            );
        };
        if c.is_ascii_digit() || (c == '.' && i[1..].starts_with(|d: char| d.is_ascii_digit())) {
            return self.number(i);
        }
        if c == '(' {
            let _g = self.enter(i)?;
            let (j, e) = self.expr(&i[1..])?;
            let j = ws(j);
            return match char::<&str, PErr>(')').parse(j) {
                Ok((k, _)) => Ok((k, e)),
                Err(_) if j.is_empty() => fail(i, 1, "unbalanced parentheses: '(' is never closed"),
                Err(_) => fail(
                    j,
                    tok_len(j),
                    format!("expected ')' or an operator, found {}", found(j)),
                ),
            };
        }
        if c == '@' {
            return self.at_probe(i);
        }
        if let Ok((j, name)) = ident(i) {
            let lname = name.to_ascii_lowercase();
            let k = ws(j);
            if k.starts_with('(') {
                if is_probe_name(&lname) {
                    return self.probe(i, lname, k);
                }
                return self.call(i, lname, k);
            }
            let span = self.span(start, self.pos(j));
            return Ok((
                j,
                (
                    Expr {
                        kind: ExprKind::Ident(lname),
                        span,
                    },
                    1,
                ),
            ));
        }
        let msg = match c {
            ')' => "unbalanced parentheses: unexpected ')'".to_string(),
            '{' | '}' => format!("unexpected '{c}' inside an expression"),
            _ => format!("expected a value (number, name or '('), found {}", found(i)),
        };
        fail(i, tok_len(i), msg)
    }

    fn number(&self, i: &'s str) -> R<'s, D> {
        let start = self.pos(i);
        let Some((v, n)) = parse_number(i) else {
            return fail(i, tok_len(i), format!("invalid number {}", found(i)));
        };
        let rest = &i[n..];
        if rest.starts_with(|c: char| c.is_alphanumeric() || c == '_' || c == '.') {
            let bad = n + tok_len(rest);
            return fail(i, bad, format!("invalid number '{}'", &i[..bad]));
        }
        if !v.is_finite() {
            return fail(i, n, format!("number out of range '{}'", &i[..n]));
        }
        let span = self.span(start, start + n);
        Ok((rest, (Expr::num(v, span), 1)))
    }

    /// `@dev[var]`
    fn at_probe(&self, i: &'s str) -> R<'s, D> {
        let start = self.pos(i);
        let bad = |j: &'s str| {
            fail::<D>(
                i,
                i.len() - j.len() + tok_len(j),
                "expected a device quantity '@device[variable]'",
            )
        };
        let j = &i[1..];
        let Ok((j, dev)) = probe_arg(j) else {
            return bad(j);
        };
        let Ok((j, _)) = char::<&str, PErr>('[').parse(j) else {
            return bad(j);
        };
        let k = ws(j);
        let Ok((k, var)) = probe_arg(k) else {
            return bad(k);
        };
        let k = ws(k);
        let Ok((k, _)) = char::<&str, PErr>(']').parse(k) else {
            return bad(k);
        };
        let span = self.span(start, self.pos(k));
        Ok((
            k,
            (
                Expr {
                    kind: ExprKind::Probe {
                        func: "@".to_string(),
                        args: vec![dev.to_lowercase(), var.to_lowercase()],
                    },
                    span,
                },
                1,
            ),
        ))
    }

    /// `v(a)`, `v(a,b)`, `i(v1)`… ; `open` starts at the `(`.
    fn probe(&self, i: &'s str, func: String, open: &'s str) -> R<'s, D> {
        let start = self.pos(i);
        let mut args = Vec::new();
        let mut j = &open[1..];
        loop {
            j = ws(j);
            let Ok((k, a)) = probe_arg(j) else {
                if j.is_empty() {
                    return fail(open, 1, "unbalanced parentheses: '(' is never closed");
                }
                return fail(
                    j,
                    tok_len(j),
                    format!(
                        "expected a node or device name in {func}(), found {}",
                        found(j)
                    ),
                );
            };
            args.push(a.to_lowercase());
            let k = ws(k);
            if let Some(k) = k.strip_prefix(',') {
                j = k;
                continue;
            }
            if let Some(k) = k.strip_prefix(')') {
                j = k;
                break;
            }
            if k.is_empty() {
                return fail(open, 1, "unbalanced parentheses: '(' is never closed");
            }
            return fail(
                k,
                tok_len(k),
                format!("expected ',' or ')' in {func}(), found {}", found(k)),
            );
        }
        let max = if VOLTAGE_PROBES.contains(&func.as_str()) {
            2
        } else {
            1
        };
        if args.len() > max {
            let what = if max == 2 {
                "one or two node names"
            } else {
                "one device name"
            };
            return fail(
                i,
                i.len() - j.len(),
                format!("{func}() takes {what}, got {}", args.len()),
            );
        }
        let span = self.span(start, self.pos(j));
        Ok((
            j,
            (
                Expr {
                    kind: ExprKind::Probe { func, args },
                    span,
                },
                1,
            ),
        ))
    }

    /// `name(expr, …)`; `if(c, a, b)` becomes a ternary.
    fn call(&self, i: &'s str, name: String, open: &'s str) -> R<'s, D> {
        let _g = self.enter(open)?;
        let start = self.pos(i);
        let mut args: Vec<Expr> = Vec::new();
        let mut depth = 0;
        let mut j = ws(&open[1..]);
        if let Some(k) = j.strip_prefix(')') {
            j = k;
        } else {
            loop {
                if ws(j).is_empty() {
                    return fail(open, 1, "unbalanced parentheses: '(' is never closed");
                }
                let (k, (a, d)) = self.expr(j)?;
                args.push(a);
                depth = depth.max(d);
                let k = ws(k);
                if let Some(k) = k.strip_prefix(',') {
                    j = k;
                    continue;
                }
                if let Some(k) = k.strip_prefix(')') {
                    j = k;
                    break;
                }
                if k.is_empty() {
                    return fail(open, 1, "unbalanced parentheses: '(' is never closed");
                }
                return fail(
                    k,
                    tok_len(k),
                    format!(
                        "expected ',' or ')' in call of {name}(), found {}",
                        found(k)
                    ),
                );
            }
        }
        let span = self.span(start, self.pos(j));
        if name == "if" {
            let n = args.len();
            let mut it = args.into_iter();
            return match (it.next(), it.next(), it.next(), it.next()) {
                (Some(c), Some(a), Some(b), None) => Ok((
                    j,
                    (
                        Expr {
                            kind: ExprKind::Ternary(Box::new(c), Box::new(a), Box::new(b)),
                            span,
                        },
                        depth + 1,
                    ),
                )),
                _ => fail(
                    i,
                    i.len() - j.len(),
                    format!("if() takes 3 arguments (condition, then, else), got {n}"),
                ),
            };
        }
        Ok((
            j,
            (
                Expr {
                    kind: ExprKind::Call(name, args),
                    span,
                },
                depth + 1,
            ),
        ))
    }
}

/// Parse a whole expression from `text`. `span_of(start, end)` maps byte
/// offsets in `text` to a source span (logical lines may join several physical
/// lines, so the mapping is the caller's).
///
/// Errors point at the offending text: an unexpected token, an invalid number
/// (`1.2.3`, `1k2`), an unclosed `(`, a stray `)`, too deep nesting.
pub fn parse_expr(text: &str, span_of: &dyn Fn(usize, usize) -> Span) -> DResult<Expr> {
    let ctx = Ctx {
        src: text,
        span_of,
        nesting: Cell::new(0),
    };
    let to_diag = |e: PErr| {
        let pos = text.len().saturating_sub(e.rest);
        let end = (pos + e.len).min(text.len());
        let msg = e.msg.unwrap_or_else(|| {
            format!(
                "syntax error in expression at {}",
                found(text.get(pos..).unwrap_or(""))
            )
        });
        Diagnostic::error(span_of(pos, end), msg)
    };
    if text.trim().is_empty() {
        return Err(Diagnostic::error(
            span_of(0, text.len()),
            "empty expression",
        ));
    }
    match ctx.expr(text) {
        Ok((rest, (e, _))) => {
            let rest = ws(rest);
            if rest.is_empty() {
                return Ok(e);
            }
            let pos = text.len() - rest.len();
            let msg = if rest.starts_with(')') {
                "unbalanced parentheses: unexpected ')'".to_string()
            } else {
                format!("unexpected {} in expression", found(rest))
            };
            Err(Diagnostic::error(span_of(pos, pos + tok_len(rest)), msg))
        }
        Err(nom::Err::Error(e)) | Err(nom::Err::Failure(e)) => Err(to_diag(e)),
        Err(nom::Err::Incomplete(_)) => Err(Diagnostic::error(
            span_of(0, text.len()),
            "incomplete expression",
        )),
    }
}
