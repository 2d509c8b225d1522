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
pub const MAX_NESTING: u32 = 64;
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
/// Prefix operators (with their offsets) read before an operand.
type Prefix = Vec<(UnOp, usize)>;
/// An operand after `^`: its prefix operators, the operand, the `^` position.
type PowOperand<'s> = (Prefix, D, &'s str);

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

fn too_deep_msg() -> String {
    format!("expression too deep (more than {MAX_TREE_DEPTH} levels of operators)")
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

/// A binary operator (other than power) and its precedence (higher binds
/// tighter): `||` 1, `&&` 2, `== !=` 3, `< <= > >=` 4, `+ -` 5, `* /` 6.
fn binop(i: &str) -> R<'_, (BinOp, u8)> {
    alt((
        value((BinOp::Or, 1), tag("||")),
        value((BinOp::And, 2), tag("&&")),
        value((BinOp::Eq, 3), tag("==")),
        value((BinOp::Ne, 3), tag("!=")),
        value((BinOp::Le, 4), tag("<=")),
        value((BinOp::Ge, 4), tag(">=")),
        value((BinOp::Lt, 4), tag("<")),
        value((BinOp::Gt, 4), tag(">")),
        value((BinOp::Add, 5), tag("+")),
        value((BinOp::Sub, 5), tag("-")),
        value((BinOp::Mul, 6), terminated(tag("*"), not(char('*')))),
        value((BinOp::Div, 6), tag("/")),
    ))
    .parse(i)
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
    fn binary_node(&self, op: BinOp, a: D, b: D, at: &'s str) -> Result<D, nom::Err<PErr>> {
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

    /// `cond ? a : b` chains. The else-chain (`a ? b : c ? d : e`) is parsed
    /// in a loop and folded from the right, so only the middle branch nests.
    fn expr(&self, i: &'s str) -> R<'s, D> {
        let mut pairs: Vec<(D, D)> = Vec::new();
        let mut i = i;
        loop {
            let (j, c) = self.binary(i)?;
            let q = ws(j);
            let Ok((q, _)) = char::<&str, PErr>('?').parse(q) else {
                let mut acc = c;
                while let Some((cond, then)) = pairs.pop() {
                    let depth = cond.1.max(then.1).max(acc.1) + 1;
                    if depth > MAX_TREE_DEPTH {
                        return fail(i, tok_len(i), too_deep_msg());
                    }
                    let span = cond.0.span.to(acc.0.span);
                    acc = (
                        Expr {
                            kind: ExprKind::Ternary(
                                Box::new(cond.0),
                                Box::new(then.0),
                                Box::new(acc.0),
                            ),
                            span,
                        },
                        depth,
                    );
                }
                return Ok((j, acc));
            };
            let (k, a) = {
                let _g = self.enter(q)?;
                self.expr(q)?
            };
            let k = ws(k);
            let Ok((k, _)) = char::<&str, PErr>(':').parse(k) else {
                return fail(
                    k,
                    tok_len(k),
                    format!("expected ':' in conditional expression, found {}", found(k)),
                );
            };
            if pairs.len() as u32 >= MAX_TREE_DEPTH {
                return fail(k, tok_len(k), too_deep_msg());
            }
            pairs.push((c, a));
            i = k;
        }
    }

    /// Binary operators (all left-associative) by operator precedence with
    /// explicit operand/operator stacks: one stack frame however long or
    /// mixed the chain, so that only parentheses and calls nest.
    fn binary(&self, i: &'s str) -> R<'s, D> {
        let (mut i, first) = self.unary(i)?;
        let mut operands: Vec<D> = vec![first];
        let mut ops: Vec<(BinOp, u8, &'s str)> = Vec::new();
        loop {
            let j = ws(i);
            let Ok((k, (op, prec))) = binop(j) else {
                break;
            };
            while ops.last().is_some_and(|&(_, p, _)| p >= prec) {
                self.reduce(&mut operands, &mut ops)?;
            }
            ops.push((op, prec, j));
            let (k, rhs) = self.unary(k)?;
            operands.push(rhs);
            i = k;
        }
        while !ops.is_empty() {
            self.reduce(&mut operands, &mut ops)?;
        }
        match operands.pop() {
            Some(e) => Ok((i, e)),
            None => fail(i, 0, "internal error: empty operand stack"),
        }
    }

    /// Combine the top two operands with the top operator.
    fn reduce(
        &self,
        operands: &mut Vec<D>,
        ops: &mut Vec<(BinOp, u8, &'s str)>,
    ) -> Result<(), nom::Err<PErr>> {
        let (Some((op, _, at)), Some(b), Some(a)) = (ops.pop(), operands.pop(), operands.pop())
        else {
            return fail::<()>(self.src, 0, "internal error: operator stack").map(|_| ());
        };
        operands.push(self.binary_node(op, a, b, at)?);
        Ok(())
    }

    /// Prefix operators `- + !` (applied to the whole power that follows).
    fn prefix(&self, mut i: &'s str) -> R<'s, Prefix> {
        let mut ops = Vec::new();
        loop {
            i = ws(i);
            let op = alt((
                value(UnOp::Neg, char::<&str, PErr>('-')),
                value(UnOp::Plus, char('+')),
                value(UnOp::Not, terminated(char('!'), not(char('=')))),
            ))
            .parse(i);
            match op {
                Ok((j, op)) => {
                    if ops.len() as u32 >= MAX_NESTING {
                        return fail(
                            i,
                            1,
                            format!(
                                "expression nested too deeply (more than {MAX_NESTING} levels)"
                            ),
                        );
                    }
                    ops.push((op, self.pos(i)));
                    i = j;
                }
                Err(_) => return Ok((i, ops)),
            }
        }
    }

    /// Apply prefix operators (innermost last in `ops`).
    fn apply_prefix(&self, ops: Prefix, mut e: D, at: &'s str) -> Result<D, nom::Err<PErr>> {
        for (op, pos) in ops.into_iter().rev() {
            if e.1 + 1 > MAX_TREE_DEPTH {
                return fail(at, tok_len(at), too_deep_msg()).map(|(_, d)| d);
            }
            let span = self.span(pos, pos + 1).to(e.0.span);
            e = (
                Expr {
                    kind: ExprKind::Unary(op, Box::new(e.0)),
                    span,
                },
                e.1 + 1,
            );
        }
        Ok(e)
    }

    /// `unary = {prefix} primary {("**" | "^") {prefix} primary}`, with power
    /// right-associative and binding tighter than the prefixes before it:
    /// `-a^-b^c` = `-(a^(-(b^c)))`. Parsed in a loop, folded from the right.
    fn unary(&self, i: &'s str) -> R<'s, D> {
        let (i, pre) = self.prefix(i)?;
        let (mut i, base) = self.primary(i)?;
        let mut rest: Vec<PowOperand<'s>> = Vec::new();
        loop {
            let j = ws(i);
            let Ok((k, _)) = alt((tag::<&str, &str, PErr>("**"), tag("^"))).parse(j) else {
                break;
            };
            let (k, p) = self.prefix(k)?;
            let (k, operand) = self.primary(k)?;
            if rest.len() as u32 >= MAX_TREE_DEPTH {
                return fail(j, tok_len(j), too_deep_msg());
            }
            rest.push((p, operand, j));
            i = k;
        }
        // Fold: x0 ^ P1(x1 ^ P2(x2 ^ … Pn(xn))).
        let mut acc: Option<PowOperand<'s>> = None;
        while let Some((p, x, at)) = rest.pop() {
            let rhs = match acc.take() {
                None => x,
                Some((pp, right, right_at)) => {
                    let right = self.apply_prefix(pp, right, right_at)?;
                    self.binary_node(BinOp::Pow, x, right, right_at)?
                }
            };
            acc = Some((p, rhs, at));
        }
        let e = match acc {
            None => base,
            Some((p, right, at)) => {
                let right = self.apply_prefix(p, right, at)?;
                self.binary_node(BinOp::Pow, base, right, at)?
            }
        };
        Ok((i, self.apply_prefix(pre, e, i)?))
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
