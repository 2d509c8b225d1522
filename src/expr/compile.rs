//! Compilation of a substituted expression to a flat program evaluated with
//! forward-mode derivatives, for behavioural devices in the Newton loop.
//!
//! A [`Program`] is a flat list of stack instructions (no recursion, no boxes
//! at evaluation time). Each stack slot holds a value and, when the slot
//! depends on a variable, a gradient row of `nvars` entries; slots that depend
//! only on numbers and `time` carry no row (known at compile time), so
//! constants cost nothing in the gradient. [`Program::eval`] computes the value
//! and the full gradient in one pass, allocating nothing. Programs are
//! specialised for 1–4 variables.
//!
//! Derivatives of piecewise functions are those of the active branch (0 for
//! steps and comparisons); `if`/ternaries evaluate only the chosen branch.
//! Values are bit-identical to [`super::eval::eval`] of the same expression
//! (both use [`super::builtins`]).

use super::builtins::{self, Bin, Builtin, Un};
use super::eval::{bin_of, builtin_call, ddt_outside, pwl_points, MAX_NESTING};
use super::{Expr, ExprKind, UnOp};
use crate::diag::{DResult, Diagnostic, Span};

/// The probe-numbering callback of [`Program::compile`]: `(func, args, span)`
/// → variable index.
pub type Resolve<'a> = dyn FnMut(&str, &[String], Span) -> DResult<usize> + 'a;

/// Which operands of a binary instruction carry a gradient row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Neither: value only.
    None,
    /// Only the left operand.
    L,
    /// Only the right operand.
    R,
    /// Both.
    Both,
}

/// One instruction. `g` flags say whether the operand slot carries a gradient
/// row.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Op {
    /// Push a number (no gradient row).
    Const(f64),
    /// Push variable k (gradient row = unit vector k).
    Var(u32),
    /// Push `time` (no gradient row).
    Time,
    /// Give the top slot (which has no row) a zero gradient row.
    ZeroGrad,
    /// top = f(top).
    Un(Un, bool),
    /// top = top + c (also c + x, and x − c as x + (−c): bit-identical).
    AddC(f64),
    /// top = top · c (also c · x).
    MulC(f64, bool),
    /// top = top ∘ c.
    BinR(Bin, f64, bool),
    /// top = c ∘ top.
    BinL(Bin, f64, bool),
    /// a, b → a ∘ b.
    Bin(Bin, Mode),
    /// x, lo, hi → limit(x, lo, hi); bit i set = operand i has a row.
    Limit(u8),
    /// top = pwl(top) over the points `pts[off..off + len]`; `hold`: table()
    /// (constant beyond the ends); the last flag: top has a row.
    Pwl {
        off: u32,
        len: u32,
        hold: bool,
        gr: bool,
    },
    /// Pop; if it is 0, jump.
    Jz(u32),
    /// Jump.
    Jmp(u32),
}

/// A compiled expression of `nvars` variables (the probes, numbered by the
/// caller) and `time`.
#[derive(Debug, Clone)]
pub struct Program {
    nvars: usize,
    code: Vec<Op>,
    /// The points of the `pwl`/`table` calls (x1, y1, x2, y2, …).
    pts: Vec<f64>,
    /// Maximum stack depth.
    depth: usize,
    /// Whether the result carries a gradient row (depends on a variable).
    dep: bool,
    uses_time: bool,
}

/// Preallocated evaluation stack for one program (values and gradients).
#[derive(Debug, Clone, Default)]
pub struct Scratch {
    vals: Vec<f64>,
    grads: Vec<f64>,
}

impl Program {
    /// `resolve(func, args, span)` returns the variable index (< nvars) of each
    /// probe; the same probe must map to the same index. Identifiers other than
    /// `time` are an error (parameters must have been substituted).
    ///
    /// Builtin constants (`pi`, `e`, `boltz`, …) are accepted as such;
    /// sub-trees made only of numbers are folded. Errors: an unknown function,
    /// a wrong number of arguments, an identifier other than `time`, an index
    /// from `resolve` ≥ `nvars`, or an expression nested too deeply.
    pub fn compile(e: &Expr, nvars: usize, resolve: &mut Resolve<'_>) -> DResult<Program> {
        let mut c = Compiler {
            code: Vec::new(),
            pts: Vec::new(),
            sp: 0,
            depth: 0,
            nvars,
            resolve,
            uses_time: false,
        };
        let dep = c.expr(e, 0)?;
        debug_assert_eq!(c.sp, 1);
        Ok(Program {
            nvars,
            code: c.code,
            pts: c.pts,
            depth: c.depth,
            dep,
            uses_time: c.uses_time,
        })
    }

    /// Number of variables (length of `vars` and `grad` in [`Program::eval`]).
    pub fn nvars(&self) -> usize {
        self.nvars
    }

    /// Number of instructions (after folding and fusing constants).
    pub fn len(&self) -> usize {
        self.code.len()
    }

    /// Always false: a program has at least one instruction.
    pub fn is_empty(&self) -> bool {
        self.code.is_empty()
    }

    /// A scratch area sized for this program.
    pub fn scratch(&self) -> Scratch {
        Scratch {
            vals: vec![0.0; self.depth],
            grads: vec![0.0; self.depth * self.nvars],
        }
    }

    /// Value at `vars` (in the caller's units: V, A, internal states) and
    /// `time` (s); writes d(value)/d(`vars[k]`) into `grad[k]` (k < nvars).
    /// The derivative with respect to `time` is not computed. Allocates nothing when `s` comes from [`Program::scratch`]
    /// of this program (a smaller scratch area is grown once).
    ///
    /// Panics if `vars` or `grad` is shorter than `nvars` (a caller bug, not
    /// user input). Values that are not finite (a division by zero at this
    /// point) are returned as they are; the caller decides what to report.
    pub fn eval(&self, vars: &[f64], time: f64, grad: &mut [f64], s: &mut Scratch) -> f64 {
        let n = self.nvars;
        assert!(
            vars.len() >= n && grad.len() >= n,
            "Program::eval: vars/grad shorter than nvars = {n}"
        );
        if s.vals.len() < self.depth || s.grads.len() < self.depth * n {
            *s = self.scratch();
        }
        let grad = &mut grad[..n];
        let v = &mut s.vals[..];
        let g = &mut s.grads[..];
        match n {
            1 => self.run(vars, time, grad, v, Fixed::<1>(g.as_chunks_mut().0)),
            2 => self.run(vars, time, grad, v, Fixed::<2>(g.as_chunks_mut().0)),
            3 => self.run(vars, time, grad, v, Fixed::<3>(g.as_chunks_mut().0)),
            4 => self.run(vars, time, grad, v, Fixed::<4>(g.as_chunks_mut().0)),
            _ => self.run(vars, time, grad, v, Dyn(g, n)),
        }
    }

    /// Whether the value depends on `time` explicitly.
    pub fn uses_time(&self) -> bool {
        self.uses_time
    }

    /// The interpreter, generic over the gradient-row storage (fixed-size rows
    /// for 1–4 variables, so the row loops unroll).
    #[inline(always)]
    fn run<R: Rows>(
        &self,
        vars: &[f64],
        time: f64,
        grad: &mut [f64],
        v: &mut [f64],
        mut g: R,
    ) -> f64 {
        let code = &self.code[..];
        let mut sp = 0usize;
        let mut pc = 0usize;
        while let Some(op) = code.get(pc) {
            pc += 1;
            match *op {
                Op::Const(c) => {
                    v[sp] = c;
                    sp += 1;
                }
                Op::Var(k) => {
                    let k = k as usize;
                    v[sp] = vars[k];
                    g.unit(sp, k);
                    sp += 1;
                }
                Op::Time => {
                    v[sp] = time;
                    sp += 1;
                }
                Op::ZeroGrad => g.zero(sp - 1),
                Op::Un(u, gr) => {
                    let t = sp - 1;
                    if gr {
                        let (y, d) = u.eval(v[t]);
                        v[t] = y;
                        g.scale(t, d);
                    } else {
                        v[t] = u.value(v[t]);
                    }
                }
                Op::AddC(c) => v[sp - 1] += c,
                Op::MulC(c, gr) => {
                    let t = sp - 1;
                    v[t] *= c;
                    if gr {
                        g.scale(t, c);
                    }
                }
                Op::BinR(b, c, gr) => {
                    let t = sp - 1;
                    if gr {
                        let (y, da) = b.eval_r(v[t], c);
                        v[t] = y;
                        g.scale(t, da);
                    } else {
                        v[t] = b.value(v[t], c);
                    }
                }
                Op::BinL(b, c, gr) => {
                    let t = sp - 1;
                    if gr {
                        let (y, db) = b.eval_l(c, v[t]);
                        v[t] = y;
                        g.scale(t, db);
                    } else {
                        v[t] = b.value(c, v[t]);
                    }
                }
                Op::Bin(b, mode) => {
                    sp -= 1;
                    let t = sp - 1;
                    let (x, y) = (v[t], v[sp]);
                    if mode == Mode::None {
                        v[t] = b.value(x, y);
                    } else {
                        let (r, da, db) = b.eval(x, y);
                        v[t] = r;
                        g.bin(t, mode, da, db);
                    }
                }
                Op::Limit(bits) => {
                    sp -= 2;
                    let t = sp - 1;
                    let (r, which) = builtins::limit(v[t], v[t + 1], v[t + 2]);
                    v[t] = r;
                    // The result's row is the selected operand's row (zero
                    // when that operand has none but another has).
                    if bits != 0 {
                        if bits & (1 << which) == 0 {
                            g.zero(t);
                        } else if which != 0 {
                            g.copy(t, t + which as usize);
                        }
                    }
                }
                Op::Pwl { off, len, hold, gr } => {
                    let t = sp - 1;
                    let pts = &self.pts[off as usize..(off + len) as usize];
                    let (y, d) = builtins::pwl(v[t], pts, hold);
                    v[t] = y;
                    if gr {
                        g.scale(t, d);
                    }
                }
                Op::Jz(target) => {
                    sp -= 1;
                    if v[sp] == 0.0 {
                        pc = target as usize;
                    }
                }
                Op::Jmp(target) => pc = target as usize,
            }
        }
        if self.dep {
            g.write(grad);
        } else {
            grad.fill(0.0);
        }
        v[0]
    }
}

/// Storage of the gradient rows of the stack slots.
trait Rows {
    /// Row i = unit vector k.
    fn unit(&mut self, i: usize, k: usize);
    fn zero(&mut self, i: usize);
    /// Row i ·= d.
    fn scale(&mut self, i: usize, d: f64);
    /// Row i = da·row i + db·row i+1, for the operands that have rows.
    fn bin(&mut self, i: usize, mode: Mode, da: f64, db: f64);
    fn copy(&mut self, dst: usize, src: usize);
    /// Row 0 into `grad`.
    fn write(&self, grad: &mut [f64]);
}

/// Rows of a fixed number of variables.
struct Fixed<'a, const N: usize>(&'a mut [[f64; N]]);

impl<const N: usize> Rows for Fixed<'_, N> {
    #[inline(always)]
    fn unit(&mut self, i: usize, k: usize) {
        let mut r = [0.0; N];
        r[k] = 1.0;
        self.0[i] = r;
    }
    #[inline(always)]
    fn zero(&mut self, i: usize) {
        self.0[i] = [0.0; N];
    }
    #[inline(always)]
    fn scale(&mut self, i: usize, d: f64) {
        scale(&mut self.0[i], d);
    }
    #[inline(always)]
    fn bin(&mut self, i: usize, mode: Mode, da: f64, db: f64) {
        let (lo, hi) = self.0.split_at_mut(i + 1);
        bin_rows(&mut lo[i], &hi[0], mode, da, db);
    }
    #[inline(always)]
    fn copy(&mut self, dst: usize, src: usize) {
        self.0[dst] = self.0[src];
    }
    #[inline(always)]
    fn write(&self, grad: &mut [f64]) {
        grad.copy_from_slice(&self.0[0]);
    }
}

/// Rows of any number of variables (the second field), stored one after the
/// other.
struct Dyn<'a>(&'a mut [f64], usize);

impl Rows for Dyn<'_> {
    fn unit(&mut self, i: usize, k: usize) {
        let n = self.1;
        let r = &mut self.0[i * n..i * n + n];
        r.fill(0.0);
        r[k] = 1.0;
    }
    fn zero(&mut self, i: usize) {
        let n = self.1;
        self.0[i * n..i * n + n].fill(0.0);
    }
    fn scale(&mut self, i: usize, d: f64) {
        let n = self.1;
        scale(&mut self.0[i * n..i * n + n], d);
    }
    fn bin(&mut self, i: usize, mode: Mode, da: f64, db: f64) {
        let n = self.1;
        let (lo, hi) = self.0.split_at_mut((i + 1) * n);
        bin_rows(&mut lo[i * n..], &hi[..n], mode, da, db);
    }
    fn copy(&mut self, dst: usize, src: usize) {
        let n = self.1;
        self.0.copy_within(src * n..src * n + n, dst * n);
    }
    fn write(&self, grad: &mut [f64]) {
        grad.copy_from_slice(&self.0[..self.1]);
    }
}

/// ra = da·ra + db·rb, where `mode` says which of the two exist.
#[inline(always)]
fn bin_rows(ra: &mut [f64], rb: &[f64], mode: Mode, da: f64, db: f64) {
    match mode {
        Mode::None => {}
        Mode::L => scale(ra, da),
        Mode::R => {
            ra.copy_from_slice(rb);
            scale(ra, db);
        }
        Mode::Both => combine(ra, rb, da, db),
    }
}

#[inline(always)]
fn scale(r: &mut [f64], d: f64) {
    if d.is_finite() {
        for a in r {
            *a *= d;
        }
    } else {
        for a in r {
            *a = mul0(d, *a);
        }
    }
}

/// r = da·r + db·s, entry by entry.
#[inline(always)]
fn combine(r: &mut [f64], s: &[f64], da: f64, db: f64) {
    if da.is_finite() && db.is_finite() {
        for (a, b) in r.iter_mut().zip(s) {
            *a = da * *a + db * b;
        }
    } else {
        for (a, b) in r.iter_mut().zip(s) {
            *a = mul0(da, *a) + mul0(db, *b);
        }
    }
}

/// d·x with 0·∞ = 0: a variable that does not reach an operand keeps a zero
/// partial even where the operation's own derivative is infinite (sqrt at
/// 0, asin at ±1).
#[inline(always)]
fn mul0(d: f64, x: f64) -> f64 {
    if x == 0.0 {
        0.0
    } else {
        d * x
    }
}

/// Whether a function's derivative is identically 0 (its result never carries
/// a gradient row).
fn flat_un(u: Un) -> bool {
    matches!(
        u,
        Un::Not | Un::Sgn | Un::Floor | Un::Ceil | Un::Trunc | Un::Round | Un::Step
    )
}

struct Compiler<'r> {
    code: Vec<Op>,
    pts: Vec<f64>,
    sp: usize,
    depth: usize,
    nvars: usize,
    resolve: &'r mut Resolve<'r>,
    uses_time: bool,
}

impl Compiler<'_> {
    fn push(&mut self, op: Op) {
        self.code.push(op);
        self.sp += 1;
        self.depth = self.depth.max(self.sp);
    }

    /// The value if the code from `start` is a single constant.
    fn single_const(&self, start: usize) -> Option<f64> {
        match self.code.get(start..)? {
            [Op::Const(c)] => Some(*c),
            _ => None,
        }
    }

    /// Compile `e`; returns whether its slot carries a gradient row.
    fn expr(&mut self, e: &Expr, nest: usize) -> DResult<bool> {
        if nest > MAX_NESTING {
            return Err(Diagnostic::error(
                e.span,
                format!("expression nested more than {MAX_NESTING} levels deep"),
            ));
        }
        let n = nest + 1;
        match &e.kind {
            ExprKind::Num(v) => {
                self.push(Op::Const(*v));
                Ok(false)
            }
            ExprKind::Ident(name) if name == "time" => {
                self.uses_time = true;
                self.push(Op::Time);
                Ok(false)
            }
            ExprKind::Ident(name) => {
                match builtins::constant(name).or_else(|| builtins::constant_e(name)) {
                    Some(c) => {
                        self.push(Op::Const(c));
                        Ok(false)
                    }
                    None => Err(
                        Diagnostic::error(e.span, format!("undefined parameter '{name}'"))
                            .with_help(
                                "only probes and `time` may remain in a compiled expression",
                            ),
                    ),
                }
            }
            ExprKind::Probe { func, args } => {
                let k = (self.resolve)(func, args, e.span)?;
                if k >= self.nvars {
                    return Err(Diagnostic::error(
                        e.span,
                        format!(
                            "internal error: probe mapped to variable {k} of {}",
                            self.nvars
                        ),
                    ));
                }
                self.push(Op::Var(k as u32));
                Ok(true)
            }
            ExprKind::Unary(UnOp::Plus, a) => self.expr(a, n),
            ExprKind::Unary(UnOp::Neg, a) => self.un(Un::Neg, a, n),
            ExprKind::Unary(UnOp::Not, a) => self.un(Un::Not, a, n),
            ExprKind::Binary(op, a, b) => self.bin(bin_of(*op), a, b, n),
            ExprKind::Ternary(c, a, b) => self.ternary(c, a, b, n),
            ExprKind::Call(name, _) if name == "ddt" => Err(ddt_outside(e.span)),
            ExprKind::Call(name, args) => match builtin_call(name, args.len(), e.span)? {
                Builtin::Un(u) => self.un(u, &args[0], n),
                Builtin::Bin(b) => self.bin(b, &args[0], &args[1], n),
                Builtin::Variadic(b) => self.variadic(b, args, n),
                Builtin::If => self.ternary(&args[0], &args[1], &args[2], n),
                Builtin::Limit => self.limit(args, n),
                Builtin::Pwl(hold) => self.pwl(name, hold, args, e, n),
            },
        }
    }

    fn un(&mut self, u: Un, a: &Expr, n: usize) -> DResult<bool> {
        let start = self.code.len();
        let g = self.expr(a, n)?;
        if let Some(c) = self.single_const(start) {
            self.code[start] = Op::Const(u.value(c));
            return Ok(false);
        }
        if flat_un(u) {
            self.code.push(Op::Un(u, false));
            return Ok(false);
        }
        self.code.push(Op::Un(u, g));
        Ok(g)
    }

    fn bin(&mut self, b: Bin, a: &Expr, c: &Expr, n: usize) -> DResult<bool> {
        let start = self.code.len();
        let ga = self.expr(a, n)?;
        self.bin_rhs(b, start, ga, c, n)
    }

    /// The left operand is compiled (its code starts at `start`, `ga` = it has
    /// a row): compile the right operand `c` and combine. A constant operand
    /// is fused into the instruction; two constants fold.
    fn bin_rhs(&mut self, b: Bin, start: usize, ga: bool, c: &Expr, n: usize) -> DResult<bool> {
        let flat = b.is_boolean();
        if let Some(k) = self.single_const(start) {
            self.code.truncate(start);
            self.sp -= 1;
            let cs = self.code.len();
            let g = self.expr(c, n)? && !flat;
            if let Some(y) = self.single_const(cs) {
                self.code[cs] = Op::Const(b.value(k, y));
                return Ok(false);
            }
            match b {
                Bin::Add => self.code.push(Op::AddC(k)),
                Bin::Mul => self.code.push(Op::MulC(k, g)),
                Bin::Sub => {
                    // k − x = (−x) + k, bit-identical.
                    self.code.push(Op::Un(Un::Neg, g));
                    self.code.push(Op::AddC(k));
                }
                _ => self.code.push(Op::BinL(b, k, g)),
            }
            return Ok(g);
        }
        let mid = self.code.len();
        let gb = self.expr(c, n)?;
        if let Some(k) = self.single_const(mid) {
            // (A jump to `mid` from the left operand's code now lands on the
            // fused instruction, which is what it should do.)
            self.code.truncate(mid);
            self.sp -= 1;
            let g = ga && !flat;
            self.code.push(match b {
                Bin::Add => Op::AddC(k),
                Bin::Sub => Op::AddC(-k),
                Bin::Mul => Op::MulC(k, g),
                _ => Op::BinR(b, k, g),
            });
            return Ok(g);
        }
        self.sp -= 1;
        let mode = match (ga && !flat, gb && !flat) {
            (false, false) => Mode::None,
            (true, false) => Mode::L,
            (false, true) => Mode::R,
            (true, true) => Mode::Both,
        };
        self.code.push(Op::Bin(b, mode));
        Ok(mode != Mode::None)
    }

    fn variadic(&mut self, b: Bin, args: &[Expr], n: usize) -> DResult<bool> {
        let start = self.code.len();
        let mut g = self.expr(&args[0], n)?;
        for a in &args[1..] {
            g = self.bin_rhs(b, start, g, a, n)?;
        }
        Ok(g)
    }

    /// `pwl`/`table`: the points must be numbers after substitution; a
    /// constant argument folds.
    fn pwl(&mut self, name: &str, hold: bool, args: &[Expr], e: &Expr, n: usize) -> DResult<bool> {
        let pts = pwl_points(name, &args[1..], e)?;
        let start = self.code.len();
        let g = self.expr(&args[0], n)?;
        if let Some(c) = self.single_const(start) {
            self.code[start] = Op::Const(builtins::pwl(c, &pts, hold).0);
            return Ok(false);
        }
        let too_many = || Diagnostic::error(e.span, format!("{name}(): too many points"));
        let off = u32::try_from(self.pts.len()).map_err(|_| too_many())?;
        let len = u32::try_from(pts.len()).map_err(|_| too_many())?;
        self.pts.extend_from_slice(&pts);
        self.code.push(Op::Pwl {
            off,
            len,
            hold,
            gr: g,
        });
        Ok(g)
    }

    fn limit(&mut self, args: &[Expr], n: usize) -> DResult<bool> {
        let mut bits = 0u8;
        for (i, a) in args.iter().enumerate() {
            if self.expr(a, n)? {
                bits |= 1 << i;
            }
        }
        self.sp -= 2;
        self.code.push(Op::Limit(bits));
        Ok(bits != 0)
    }

    fn ternary(&mut self, c: &Expr, a: &Expr, b: &Expr, n: usize) -> DResult<bool> {
        let start = self.code.len();
        self.expr(c, n)?;
        if let Some(cv) = self.single_const(start) {
            self.code.truncate(start);
            self.sp -= 1;
            return self.expr(if cv != 0.0 { a } else { b }, n);
        }
        let jz = self.code.len();
        self.code.push(Op::Jz(0));
        self.sp -= 1;
        let sp0 = self.sp;
        // Both branches must leave a slot of the same kind: a branch without a
        // row gets a zero row when the other may have one (a branch without
        // probes never has one).
        let ga = self.expr(a, n)?;
        let dep = ga || has_probe(b);
        if dep && !ga {
            self.code.push(Op::ZeroGrad);
        }
        let jmp = self.code.len();
        self.code.push(Op::Jmp(0));
        self.sp = sp0;
        let b_start = self.code.len();
        let gb = self.expr(b, n)?;
        if dep && !gb {
            self.code.push(Op::ZeroGrad);
        }
        let end = self.code.len();
        self.code[jz] = Op::Jz(b_start as u32);
        self.code[jmp] = Op::Jmp(end as u32);
        Ok(dep)
    }
}

fn has_probe(e: &Expr) -> bool {
    let mut any = false;
    e.for_each_probe(&mut |_, _, _| any = true);
    any
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expr::eval::test_support::*;
    use crate::expr::eval::{eval, format_expr, substitute};
    use crate::expr::BinOp::*;
    use proptest::prelude::*;
    use proptest::test_runner::{Config, TestCaseError, TestRunner};
    use std::cell::Cell;

    /// Probes `v(x0)`, `v(x1)`, … are variables 0, 1, …
    fn resolve_x(func: &str, args: &[String], span: Span) -> DResult<usize> {
        match (func, args) {
            ("v", [n]) if n.starts_with('x') => n[1..]
                .parse()
                .map_err(|_| Diagnostic::error(span, "bad test probe")),
            _ => Err(Diagnostic::error(span, format!("unknown probe {func}"))),
        }
    }
    fn prog(e: &Expr, nvars: usize) -> Program {
        Program::compile(e, nvars, &mut resolve_x).unwrap_or_else(|d| panic!("{}", d.message))
    }
    /// (value, gradient) at `x`, time `t`.
    fn run(p: &Program, x: &[f64], t: f64) -> (f64, Vec<f64>) {
        let mut g = vec![f64::NAN; p.nvars()];
        let mut s = p.scratch();
        let v = p.eval(x, t, &mut g, &mut s);
        (v, g)
    }
    fn x(k: usize) -> Expr {
        v(&format!("x{k}"))
    }
    fn close(a: f64, b: f64, rel: f64) -> bool {
        (a - b).abs() <= rel * b.abs().max(1e-300)
    }

    #[test]
    fn behavioural_example_value_and_gradient() {
        // 2*tanh(v(a)-v(b))*1e-3 at v(a) = 0.3, v(b) = -0.1.
        let e = bin(
            Mul,
            bin(Mul, num(2.0), call("tanh", vec![bin(Sub, x(0), x(1))])),
            num(1e-3),
        );
        let p = prog(&e, 2);
        assert_eq!(p.len(), 6); // x0 x1 - tanh *2 *1e-3
        let (val, g) = run(&p, &[0.3, -0.1], 0.0);
        let t = 0.4f64.tanh();
        assert_eq!(val, 2.0 * t * 1e-3);
        let d = 2e-3 * (1.0 - t * t);
        assert!(close(g[0], d, 1e-15) && close(g[1], -d, 1e-15), "{g:?}");
        assert!(!p.uses_time());
    }

    #[test]
    fn pow_partials_variable_base_and_exponent() {
        let p = prog(&call("pow", vec![x(0), x(1)]), 2);
        let (val, g) = run(&p, &[2.0, 3.0], 0.0);
        assert_eq!((val, g[0]), (8.0, 12.0));
        assert!(close(g[1], 8.0 * 2f64.ln(), 1e-15));
        // Negative base, integer exponent: d/dy taken as 0 (ln x is NaN).
        let (val, g) = run(&p, &[-2.0, 3.0], 0.0);
        assert_eq!((val, g.as_slice()), (-8.0, [12.0, 0.0].as_slice()));
        // x**2 (constant exponent) and 2**x (constant base).
        let p = prog(&bin(Pow, x(0), num(2.0)), 1);
        assert_eq!(run(&p, &[-3.0], 0.0), (9.0, vec![-6.0]));
        let p = prog(&bin(Pow, num(2.0), x(0)), 1);
        let (val, g) = run(&p, &[3.0], 0.0);
        assert_eq!(val, 8.0);
        assert!(close(g[0], 8.0 * 2f64.ln(), 1e-15));
        // pwr(x, y) = sgn(x)|x|^y: d/dx = y|x|^(y-1), d/dy = pwr·ln|x|.
        let p = prog(&call("pwr", vec![x(0), x(1)]), 2);
        let (val, g) = run(&p, &[-4.0, 0.5], 0.0);
        assert_eq!(val, -2.0);
        assert!(close(g[0], 0.25, 1e-15));
        assert!(close(g[1], -2.0 * 4f64.ln(), 1e-15));
    }

    #[test]
    fn piecewise_functions_use_the_active_branch() {
        let p = prog(&call("abs", vec![x(0)]), 1);
        assert_eq!(run(&p, &[-2.0], 0.0), (2.0, vec![-1.0]));
        assert_eq!(run(&p, &[2.0], 0.0), (2.0, vec![1.0]));
        let p = prog(&call("min", vec![x(0), bin(Mul, num(3.0), x(1))]), 2);
        assert_eq!(run(&p, &[1.0, 1.0], 0.0), (1.0, vec![1.0, 0.0]));
        assert_eq!(run(&p, &[1.0, 0.1], 0.0).1, vec![0.0, 3.0]);
        let p = prog(&call("max", vec![x(0), num(0.5), x(1)]), 2);
        assert_eq!(run(&p, &[0.0, 0.2], 0.0), (0.5, vec![0.0, 0.0]));
        assert_eq!(run(&p, &[0.0, 0.7], 0.0), (0.7, vec![0.0, 1.0]));
        // limit(x0, x1, 2*x1): each argument in turn is the active one.
        let p = prog(
            &call("limit", vec![x(0), x(1), bin(Mul, num(2.0), x(1))]),
            2,
        );
        assert_eq!(run(&p, &[1.5, 1.0], 0.0), (1.5, vec![1.0, 0.0]));
        assert_eq!(run(&p, &[0.5, 1.0], 0.0), (1.0, vec![0.0, 1.0]));
        assert_eq!(run(&p, &[5.0, 1.0], 0.0), (2.0, vec![0.0, 2.0]));
        // limit with constant bounds: a bound selected → zero gradient.
        let p = prog(&call("limit", vec![x(0), num(-1.0), num(1.0)]), 1);
        assert_eq!(run(&p, &[3.0], 0.0), (1.0, vec![0.0]));
        assert_eq!(run(&p, &[0.25], 0.0), (0.25, vec![1.0]));
        // Steps, comparisons, rounding: zero derivative.
        for f in ["u", "sgn", "floor", "ceil", "int", "round"] {
            let p = prog(&call(f, vec![bin(Mul, num(3.0), x(0))]), 1);
            assert_eq!(run(&p, &[0.3], 0.0).1, vec![0.0], "{f}");
        }
        let p = prog(&bin(Mul, bin(Gt, x(0), x(1)), x(1)), 2);
        assert_eq!(run(&p, &[2.0, 1.5], 0.0), (1.5, vec![0.0, 1.0]));
        assert_eq!(run(&p, &[1.0, 1.5], 0.0), (0.0, vec![0.0, 0.0]));
        let p = prog(&call("uramp", vec![x(0)]), 1);
        assert_eq!(run(&p, &[-1.0], 0.0), (0.0, vec![0.0]));
        assert_eq!(run(&p, &[1.0], 0.0), (1.0, vec![1.0]));
    }

    #[test]
    fn ternary_branches_with_and_without_gradient() {
        // v(x0) > 0 ? v(x0)*v(x1) : 3
        let e = tern(bin(Gt, x(0), num(0.0)), bin(Mul, x(0), x(1)), num(3.0));
        let p = prog(&e, 2);
        assert_eq!(run(&p, &[2.0, 5.0], 0.0), (10.0, vec![5.0, 2.0]));
        assert_eq!(run(&p, &[-1.0, 5.0], 0.0), (3.0, vec![0.0, 0.0]));
        // The constant branch first, nested ternaries, time in the condition.
        let e = tern(
            bin(Lt, id("time"), num(1.0)),
            num(-1.0),
            tern(bin(Gt, x(1), num(0.0)), bin(Mul, num(4.0), x(1)), x(0)),
        );
        let p = prog(&e, 2);
        assert!(p.uses_time());
        assert_eq!(run(&p, &[2.0, 5.0], 0.5), (-1.0, vec![0.0, 0.0]));
        assert_eq!(run(&p, &[2.0, 5.0], 1.5), (20.0, vec![0.0, 4.0]));
        assert_eq!(run(&p, &[2.0, -5.0], 1.5), (2.0, vec![1.0, 0.0]));
        // A ternary inside an operator, whose other operand has a gradient.
        let e = bin(
            Add,
            x(0),
            call("if", vec![x(1), num(1.0), bin(Mul, x(1), x(1))]),
        );
        let p = prog(&e, 2);
        assert_eq!(run(&p, &[1.0, 0.0], 0.0), (1.0, vec![1.0, 0.0]));
        assert_eq!(run(&p, &[1.0, 3.0], 0.0), (2.0, vec![1.0, 0.0]));
        // Only the chosen branch runs: no NaN leaks from ln of a negative.
        let e = tern(bin(Gt, x(0), num(0.0)), call("ln", vec![x(0)]), num(0.0));
        assert_eq!(run(&prog(&e, 1), &[-2.0], 0.0), (0.0, vec![0.0]));
    }

    #[test]
    fn constants_fold_and_time() {
        // 2*3 + v(x0) → x0, +6
        let p = prog(&bin(Add, bin(Mul, num(2.0), num(3.0)), x(0)), 1);
        assert_eq!(p.len(), 2);
        assert_eq!(run(&p, &[1.0], 0.0), (7.0, vec![1.0]));
        // pi is accepted as a constant; sin(2*pi*f*time)*v(x0).
        let e = bin(
            Mul,
            call(
                "sin",
                vec![bin(
                    Mul,
                    bin(Mul, bin(Mul, num(2.0), id("pi")), num(1e9)),
                    id("time"),
                )],
            ),
            x(0),
        );
        let p = prog(&e, 1);
        assert!(p.uses_time());
        let t = 0.1e-9;
        let s = (2.0 * std::f64::consts::PI * 1e9 * t).sin();
        let (val, g) = run(&p, &[3.0], t);
        assert_eq!((val, g[0]), (s * 3.0, s));
        // A folded-away branch does not count as using time.
        let p = prog(&call("if", vec![num(1.0), x(0), id("time")]), 1);
        assert!(!p.uses_time());
        // No variables at all.
        let p = prog(&bin(Mul, num(2.0), id("time")), 0);
        assert_eq!(run(&p, &[], 4.0), (8.0, vec![]));
        let p = prog(&num(5.0), 3);
        assert_eq!(run(&p, &[1.0, 2.0, 3.0], 0.0), (5.0, vec![0.0; 3]));
    }

    #[test]
    fn many_variables_use_the_generic_path() {
        // sum_k (k+1)·x_k² over 6 variables.
        let mut e = num(0.0);
        for k in 0..6 {
            e = bin(Add, e, bin(Mul, num((k + 1) as f64), bin(Mul, x(k), x(k))));
        }
        let p = prog(&e, 6);
        let xs = [1.0, -1.0, 0.5, 2.0, 0.0, 3.0];
        let (val, g) = run(&p, &xs, 0.0);
        let want: f64 = xs
            .iter()
            .enumerate()
            .map(|(k, x)| (k + 1) as f64 * x * x)
            .sum();
        assert_eq!(val, want);
        for k in 0..6 {
            assert_eq!(g[k], 2.0 * (k + 1) as f64 * xs[k]);
        }
    }

    #[test]
    fn scratch_is_reusable_and_mismatch_is_safe() {
        let small = prog(&x(0), 1);
        let big = prog(
            &bin(
                Mul,
                bin(Add, x(0), bin(Mul, x(0), bin(Add, x(0), num(1.0)))),
                x(0),
            ),
            1,
        );
        let mut s = small.scratch();
        let mut g = [0.0];
        // x(x + x(x+1)) at 2 = 2·(2 + 6) = 16; d/dx = 3x²·... check by hand:
        // f = x² + x³ + x² = x³ + 2x² → f' = 3x² + 4x = 20.
        assert_eq!(big.eval(&[2.0], 0.0, &mut g, &mut s), 16.0);
        assert_eq!(g[0], 20.0);
        let mut s2 = big.scratch();
        let (pv, pg) = (s2.vals.as_ptr(), s2.grads.as_ptr());
        for i in 0..10 {
            big.eval(&[i as f64], 0.0, &mut g, &mut s2);
        }
        assert_eq!((pv, pg), (s2.vals.as_ptr(), s2.grads.as_ptr()));
    }

    #[test]
    fn compile_errors() {
        let err = |e: &Expr, n: usize| Program::compile(e, n, &mut resolve_x).unwrap_err();
        let d = err(&bin(Mul, x(0), at(id("r0"), 4, 6)), 1);
        assert_eq!(d.message, "undefined parameter 'r0'");
        assert_eq!(d.span, Some(sp(4, 6)));
        let d = err(&at(call("myf", vec![x(0)]), 0, 7), 1);
        assert_eq!(d.message, "unknown function 'myf'");
        assert_eq!(d.span, Some(sp(0, 7)));
        let d = err(&call("atan2", vec![x(0)]), 1);
        assert_eq!(d.message, "function 'atan2' expects 2 arguments, got 1");
        let d = err(&x(3), 2);
        assert!(d.message.contains("variable 3 of 2"), "{}", d.message);
        let i = mk_probe("i", "v1");
        let d = err(&at(i, 2, 7), 1);
        assert_eq!(d.message, "unknown probe i");
        assert_eq!(d.span, Some(sp(2, 7)));
    }

    fn mk_probe(func: &str, arg: &str) -> Expr {
        Expr {
            kind: ExprKind::Probe {
                func: func.into(),
                args: vec![arg.into()],
            },
            span: Span::default(),
        }
    }

    // ---------------------------------------------------------- proptest

    const UN: &[&str] = &[
        "sin", "cos", "tan", "asin", "acos", "atan", "sinh", "cosh", "tanh", "exp", "ln", "log",
        "log10", "sqrt", "abs", "sgn", "floor", "ceil", "int", "round", "u", "uramp", "db",
        "dbm2w",
    ];
    const BIN_FN: &[&str] = &["atan2", "pow", "pwr", "dbm2v", "min", "max"];
    const OPS: &[crate::expr::BinOp] = &[
        Add, Add, Sub, Mul, Mul, Div, Pow, Lt, Le, Gt, Ge, Eq, Ne, And, Or,
    ];
    /// Functions with a non-zero derivative almost everywhere.
    const UN_SMOOTH: &[&str] = &[
        "sin", "cos", "tan", "asin", "acos", "atan", "sinh", "cosh", "tanh", "exp", "ln", "log10",
        "sqrt", "abs", "uramp", "db", "dbm2w",
    ];
    const OPS_SMOOTH: &[crate::expr::BinOp] = &[Add, Sub, Mul, Div, Pow];

    /// Random expressions over `v(x0..nv)`, `time`, numbers, and the extra
    /// leaves (parameter names) and `.func` names given. `smooth` leaves out
    /// the operations with a zero derivative (steps, comparisons, logic,
    /// rounding) except in ternary conditions.
    fn tree(
        nv: usize,
        smooth: bool,
        extra_leaves: Vec<&'static str>,
        funcs: Vec<(&'static str, usize)>,
    ) -> impl Strategy<Value = Expr> {
        let mut leaves: Vec<BoxedStrategy<Expr>> = vec![
            (-2.5f64..2.5).prop_map(num).boxed(),
            prop::sample::select(vec![0.0, 1.0, 2.0, 0.5, -1.0])
                .prop_map(num)
                .boxed(),
            (0..nv).prop_map(x).boxed(),
            (0..nv).prop_map(x).boxed(),
            Just(id("time")).boxed(),
        ];
        for l in extra_leaves {
            leaves.push(Just(id(l)).boxed());
        }
        let leaf = proptest::strategy::Union::new(leaves);
        let (un_fns, ops) = if smooth {
            (UN_SMOOTH, OPS_SMOOTH)
        } else {
            (UN, OPS)
        };
        leaf.prop_recursive(5, 40, 3, move |inner| {
            let mut alts: Vec<BoxedStrategy<Expr>> = vec![
                (prop::sample::select(un_fns), inner.clone())
                    .prop_map(|(f, a)| call(f, vec![a]))
                    .boxed(),
                (
                    prop::sample::select(if smooth {
                        vec![UnOp::Neg, UnOp::Plus]
                    } else {
                        vec![UnOp::Neg, UnOp::Plus, UnOp::Not]
                    }),
                    inner.clone(),
                )
                    .prop_map(|(op, a)| un(op, a))
                    .boxed(),
                (prop::sample::select(ops), inner.clone(), inner.clone())
                    .prop_map(|(op, a, b)| bin(op, a, b))
                    .boxed(),
                (prop::sample::select(ops), inner.clone(), inner.clone())
                    .prop_map(|(op, a, b)| bin(op, a, b))
                    .boxed(),
                (
                    prop::sample::select(if smooth { &BIN_FN[..3] } else { BIN_FN }),
                    inner.clone(),
                    inner.clone(),
                )
                    .prop_map(|(f, a, b)| call(f, vec![a, b]))
                    .boxed(),
                (inner.clone(), inner.clone(), inner.clone())
                    .prop_map(|(c, a, b)| tern(c, a, b))
                    .boxed(),
                (prop::sample::select(vec!["pwl", "table"]), inner.clone())
                    .prop_map(|(f, a)| {
                        let pts = [-1.0, 0.5, 0.0, -1.0, 0.5, 2.0, 1.5, 1.0];
                        call(f, std::iter::once(a).chain(pts.map(num)).collect())
                    })
                    .boxed(),
            ];
            if !smooth {
                alts.extend([
                    (
                        prop::sample::select(vec!["limit", "if"]),
                        inner.clone(),
                        inner.clone(),
                        inner.clone(),
                    )
                        .prop_map(|(f, a, b, c)| call(f, vec![a, b, c]))
                        .boxed(),
                    (
                        prop::sample::select(vec!["min", "max"]),
                        prop::collection::vec(inner.clone(), 3..5),
                    )
                        .prop_map(|(f, a)| call(f, a))
                        .boxed(),
                ]);
            }
            for (name, arity) in funcs.clone() {
                alts.push(
                    prop::collection::vec(inner.clone(), arity..=arity)
                        .prop_map(move |a| call(name, a))
                        .boxed(),
                );
            }
            proptest::strategy::Union::new(alts)
        })
    }

    fn point(nv: usize) -> impl Strategy<Value = (Vec<f64>, f64)> {
        (prop::collection::vec(-2.0f64..2.0, nv..=nv), 0.0f64..2.0)
    }

    fn env_at(xs: &[f64], t: f64) -> TestEnv {
        let mut env = TestEnv::new().param("time", t);
        for (k, x) in xs.iter().enumerate() {
            env = env.volt(&format!("x{k}"), *x);
        }
        env
    }

    /// Central difference with one Richardson step, at steps h and h/2.
    fn fd(p: &Program, xs: &[f64], t: f64, k: usize, h: f64) -> (f64, f64) {
        let mut s = p.scratch();
        let mut g = vec![0.0; p.nvars()];
        let mut f = |dx: f64| {
            let mut y = xs.to_vec();
            y[k] += dx;
            p.eval(&y, t, &mut g, &mut s)
        };
        let mut d = |h: f64| (f(h) - f(-h)) / (2.0 * h);
        let (d1, d2, d4) = (d(h), d(h / 2.0), d(h / 4.0));
        ((4.0 * d2 - d1) / 3.0, (4.0 * d4 - d2) / 3.0)
    }

    struct Counts {
        cases: Cell<usize>,
        values: Cell<usize>,
        grads: Cell<usize>,
        grads_nonzero: Cell<usize>,
        cases_nonzero: Cell<usize>,
        singular: Cell<usize>,
    }

    /// Compiled value equals `eval` (bit for bit); compiled gradient equals
    /// a Richardson-extrapolated central difference to 1e-6 relative wherever
    /// the difference quotient itself is reliable (consistent at two step sizes
    /// to 1e-7; kinks of piecewise functions and near-singular points are
    /// skipped that way).
    fn check_value_and_gradient(
        e: &Expr,
        nv: usize,
        xs: &[f64],
        t: f64,
        c: &Counts,
    ) -> Result<(), TestCaseError> {
        c.cases.set(c.cases.get() + 1);
        let Ok(want) = eval(e, &env_at(xs, t)) else {
            return Ok(()); // singular point: skipped
        };
        let p =
            Program::compile(e, nv, &mut resolve_x).map_err(|d| TestCaseError::fail(d.message))?;
        let (val, g) = run(&p, xs, t);
        prop_assert!(
            val == want,
            "value {val} != eval {want} for {}",
            format_expr(e)
        );
        c.values.set(c.values.get() + 1);
        let scale = 1.0 + val.abs();
        let mut nonzero = false;
        for k in 0..nv {
            let h = 1e-3 * xs[k].abs().max(0.1);
            let (r1, r2) = fd(&p, xs, t, k, h);
            let tol = 1e-6 * r2.abs() + 1e-9 * scale;
            if !(r1.is_finite() && r2.is_finite()) || (r1 - r2).abs() > 0.1 * tol {
                continue; // the difference quotient is not reliable here
            }
            if !g[k].is_finite() {
                // A singular derivative (asin'(1) times a rounding-level
                // inner derivative of v/v, say) where the function is flat to
                // the difference quotient: counted, must stay rare.
                c.singular.set(c.singular.get() + 1);
                continue;
            }
            prop_assert!(
                (g[k] - r2).abs() <= tol,
                "d/dx{k} = {} but finite difference {r2} for {} at {xs:?}, t = {t}",
                g[k],
                format_expr(e)
            );
            c.grads.set(c.grads.get() + 1);
            if r2.abs() > 1e-6 {
                c.grads_nonzero.set(c.grads_nonzero.get() + 1);
                nonzero = true;
            }
        }
        c.cases_nonzero
            .set(c.cases_nonzero.get() + usize::from(nonzero));
        Ok(())
    }

    fn runner(cases: u32) -> TestRunner {
        TestRunner::new(Config {
            cases,
            failure_persistence: None,
            ..Config::default()
        })
    }

    #[test]
    fn prop_compiled_matches_eval_and_finite_differences() {
        for smooth in [false, true] {
            let c = Counts {
                cases: Cell::new(0),
                values: Cell::new(0),
                grads: Cell::new(0),
                grads_nonzero: Cell::new(0),
                cases_nonzero: Cell::new(0),
                singular: Cell::new(0),
            };
            for nv in 1..=3 {
                let strat = (tree(nv, smooth, vec![], vec![]), point(nv));
                runner(700)
                    .run(&strat, |(e, (xs, t))| {
                        check_value_and_gradient(&e, nv, &xs, t, &c)
                    })
                    .unwrap();
            }
            let (n, vals, gr, nz, cnz) = (
                c.cases.get(),
                c.values.get(),
                c.grads.get(),
                c.grads_nonzero.get(),
                c.cases_nonzero.get(),
            );
            eprintln!(
                "smooth = {smooth}: {n} cases, {vals} values compared, \
                 {gr} gradient entries compared, {nz} of them non-zero, \
                 in {cnz} cases, {} singular",
                c.singular.get()
            );
            // The checks must not be vacuous, and singular gradients rare.
            assert!(vals * 2 > n, "only {vals} of {n} samples were finite");
            let sing = c.singular.get();
            assert!(sing * 100 < gr, "{sing} singular gradient entries");
            if smooth {
                assert!(cnz * 3 > n, "only {cnz} cases compared a non-zero gradient");
            }
        }
    }

    #[test]
    fn prop_substitute_then_compile_matches_eval() {
        // .param p0=0.7 p1=-1.3 e=0.25
        // .func fa(x, y) {x*p0 + sin(y)}
        // .func fb(z) {fa(z, v(x0)) * e}
        let fa = func(
            "fa",
            &["x", "y"],
            bin(Add, bin(Mul, id("x"), id("p0")), call("sin", vec![id("y")])),
        );
        let fb = func(
            "fb",
            &["z"],
            bin(Mul, call("fa", vec![id("z"), x(0)]), id("e")),
        );
        let c = Counts {
            cases: Cell::new(0),
            values: Cell::new(0),
            grads: Cell::new(0),
            grads_nonzero: Cell::new(0),
            cases_nonzero: Cell::new(0),
            singular: Cell::new(0),
        };
        let substituted = Cell::new(0);
        let strat = (
            tree(
                2,
                false,
                vec!["p0", "p1", "e", "pi"],
                vec![("fa", 2), ("fb", 1)],
            ),
            point(2),
        );
        runner(1000)
            .run(&strat, |(e, (xs, t))| {
                c.cases.set(c.cases.get() + 1);
                let env = env_at(&xs, t)
                    .param("p0", 0.7)
                    .param("p1", -1.3)
                    .param("e", 0.25)
                    .func(fa.clone())
                    .func(fb.clone());
                let Ok(want) = eval(&e, &env) else {
                    return Ok(());
                };
                // A constant part that is invalid (in a branch not taken at
                // this point) is reported by substitute: only value errors.
                let s = match substitute(&e, &env, &["time"]) {
                    Ok(s) => s,
                    Err(d) => {
                        prop_assert!(d.message.contains(" in '"), "{}", d.message);
                        return Ok(());
                    }
                };
                substituted.set(substituted.get() + 1);
                let mut names = Vec::new();
                s.for_each_probe(&mut |f, a, _| names.push(format!("{f}{a:?}")));
                let p = Program::compile(&s, 2, &mut resolve_x)
                    .map_err(|d| TestCaseError::fail(d.message))?;
                let (val, _) = run(&p, &xs, t);
                prop_assert!(
                    val == want,
                    "{val} != {want}: {} → {}",
                    format_expr(&e),
                    format_expr(&s)
                );
                c.values.set(c.values.get() + 1);
                Ok(())
            })
            .unwrap();
        eprintln!(
            "{} cases, {} substituted, {} values compared",
            c.cases.get(),
            substituted.get(),
            c.values.get()
        );
        assert!(c.values.get() * 2 > c.cases.get());
    }

    /// CPU time of this thread (from /proc/thread-self/schedstat, so that a
    /// loaded machine does not inflate the figures), else wall time.
    struct Clock(Option<u64>, std::time::Instant);
    impl Clock {
        fn cpu_ns() -> Option<u64> {
            let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
            s.split_whitespace().next()?.parse().ok()
        }
        fn now() -> Clock {
            Clock(Clock::cpu_ns(), std::time::Instant::now())
        }
        fn elapsed_ns(&self) -> f64 {
            match (self.0, Clock::cpu_ns()) {
                (Some(a), Some(b)) => (b - a) as f64,
                _ => self.1.elapsed().as_nanos() as f64,
            }
        }
    }

    /// Cost of one evaluation (value + gradient). Run with
    /// `cargo test --release --lib expr::compile::tests::bench_eval -- --ignored --nocapture`.
    #[test]
    #[ignore]
    fn bench_eval() {
        use std::hint::black_box;
        let small = bin(
            Mul,
            bin(Mul, num(2.0), call("tanh", vec![bin(Sub, x(0), x(1))])),
            num(1e-3),
        );
        // A 20-operation expression of 3 variables: a diode-like current with
        // a series term, a limit, a ternary and a power.
        let big = bin(
            Add,
            bin(
                Mul,
                num(1e-14),
                bin(
                    Sub,
                    call(
                        "exp",
                        vec![call(
                            "limit",
                            vec![
                                bin(Div, bin(Sub, x(0), x(1)), num(0.02585)),
                                num(-40.0),
                                num(40.0),
                            ],
                        )],
                    ),
                    num(1.0),
                ),
            ),
            bin(
                Add,
                bin(Mul, bin(Sub, x(0), x(1)), num(1e-3)),
                tern(
                    bin(Gt, x(2), num(0.0)),
                    bin(
                        Mul,
                        bin(Pow, x(2), num(1.5)),
                        call("sqrt", vec![bin(Add, bin(Mul, x(0), x(0)), num(1.0))]),
                    ),
                    bin(Mul, call("atan", vec![x(2)]), call("cos", vec![x(1)])),
                ),
            ),
        );
        // The same by hand (value and gradient), as the floor to compare with.
        fn native_small(x: &[f64], g: &mut [f64]) -> f64 {
            let t = (x[0] - x[1]).tanh();
            let d = 2.0 * (1.0 - t * t) * 1e-3;
            g[0] = d;
            g[1] = -d;
            2.0 * t * 1e-3
        }
        fn native_big(x: &[f64], g: &mut [f64]) -> f64 {
            let d = x[0] - x[1];
            let u = d / 0.02585;
            let (l, dl) = if u < -40.0 {
                (-40.0, 0.0)
            } else if u > 40.0 {
                (40.0, 0.0)
            } else {
                (u, 1.0 / 0.02585)
            };
            let ex = l.exp();
            let mut v = 1e-14 * (ex - 1.0) + d * 1e-3;
            let k = 1e-14 * ex * dl + 1e-3;
            g[0] = k;
            g[1] = -k;
            g[2] = 0.0;
            if x[2] > 0.0 {
                let p = x[2].powf(1.5);
                let s = (x[0] * x[0] + 1.0).sqrt();
                v += p * s;
                g[2] += 1.5 * x[2].powf(0.5) * s;
                g[0] += p * x[0] / s;
            } else {
                let a = x[2].atan();
                let c = x[1].cos();
                v += a * c;
                g[2] += c / (1.0 + x[2] * x[2]);
                g[1] -= a * x[1].sin();
            }
            v
        }
        type Native = fn(&[f64], &mut [f64]) -> f64;
        let cases: [(&str, &Expr, usize, Native); 2] = [
            ("2*tanh(v(a)-v(b))*1e-3", &small, 2, native_small),
            ("20-op, 3 vars", &big, 3, native_big),
        ];
        let only = std::env::var("EXPR_BENCH_ONLY").ok();
        for (name, e, nv, native) in cases {
            if only.as_deref().is_some_and(|o| !name.starts_with(o)) {
                continue;
            }
            let p = prog(e, nv);
            let mut s = p.scratch();
            let mut g = vec![0.0; nv];
            let mut gn = vec![0.0; nv];
            let n: usize = std::env::var("EXPR_BENCH_N")
                .ok()
                .and_then(|s| s.parse().ok())
                .unwrap_or(2_000_000);
            let point = |i: usize| {
                let mut xs = vec![0.1 + (i & 1023) as f64 * 1e-4, 0.05, 0.3 - (i & 1) as f64];
                xs.truncate(nv);
                xs
            };
            // Same numbers as the hand-written derivative (both branches).
            for i in 0..4 {
                let xs = point(i);
                let (a, b) = (p.eval(&xs, 0.0, &mut g, &mut s), native(&xs, &mut gn));
                assert!(close(a, b, 1e-12), "{a} vs {b}");
                for k in 0..nv {
                    assert!(
                        (g[k] - gn[k]).abs() <= 1e-12 * gn[k].abs().max(1e-3),
                        "{g:?} vs {gn:?}"
                    );
                }
            }
            let pts: Vec<Vec<f64>> = (0..1024).map(point).collect();
            let time = |f: &mut dyn FnMut(&[f64], &mut [f64]) -> f64| {
                let mut acc = 0.0;
                let mut gg = vec![0.0; nv];
                let t0 = Clock::now();
                for i in 0..n {
                    acc += f(black_box(&pts[i & 1023]), &mut gg) + gg[0];
                }
                black_box(acc);
                t0.elapsed_ns() / n as f64
            };
            let ns = time(&mut |x, g| p.eval(x, 0.0, g, &mut s));
            let ns_native = time(&mut |x, g| native(x, g));
            // The tree evaluator, for scale (value only).
            let mut env = env_at(&pts[0], 0.0);
            let m = n / 10;
            let t0 = Clock::now();
            for i in 0..m {
                env.volts.insert("x0".into(), pts[i & 1023][0]);
                black_box(eval(black_box(e), &env).unwrap_or(0.0));
            }
            let ns_tree = t0.elapsed_ns() / m as f64;
            eprintln!(
                "{name}: {} instructions; compiled value+gradient {ns:.1} ns/eval, \
                 hand-written value+gradient {ns_native:.1} ns (ratio {:.1}); \
                 tree eval, value only {ns_tree:.0} ns",
                p.len(),
                ns / ns_native
            );
        }
    }
}
