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
use super::eval::{bin_of, builtin_call, MAX_NESTING};
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

    /// Value at `vars`/`time`; writes d(value)/d(vars[k]) into `grad[k]`
    /// (k < nvars). Allocates nothing when `s` comes from [`Program::scratch`]
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
        match n {
            1 => self.run::<1>(1, vars, time, grad, s),
            2 => self.run::<2>(2, vars, time, grad, s),
            3 => self.run::<3>(3, vars, time, grad, s),
            4 => self.run::<4>(4, vars, time, grad, s),
            _ => self.run::<0>(n, vars, time, grad, s),
        }
    }

    /// Whether the value depends on `time` explicitly.
    pub fn uses_time(&self) -> bool {
        self.uses_time
    }

    /// The interpreter. `N` > 0 fixes the number of variables at compile time
    /// (so the row loops unroll); `N` = 0 uses `n`.
    #[inline(always)]
    fn run<const N: usize>(
        &self,
        n: usize,
        vars: &[f64],
        time: f64,
        grad: &mut [f64],
        s: &mut Scratch,
    ) -> f64 {
        let n = if N > 0 { N } else { n };
        let v = &mut s.vals[..];
        let g = &mut s.grads[..];
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
                    let r = &mut g[sp * n..sp * n + n];
                    r.fill(0.0);
                    r[k] = 1.0;
                    sp += 1;
                }
                Op::Time => {
                    v[sp] = time;
                    sp += 1;
                }
                Op::ZeroGrad => {
                    let t = sp - 1;
                    g[t * n..t * n + n].fill(0.0);
                }
                Op::Un(u, gr) => {
                    let t = sp - 1;
                    if gr {
                        let (y, d) = u.eval(v[t]);
                        v[t] = y;
                        scale(&mut g[t * n..t * n + n], d);
                    } else {
                        v[t] = u.value(v[t]);
                    }
                }
                Op::AddC(c) => v[sp - 1] += c,
                Op::MulC(c, gr) => {
                    let t = sp - 1;
                    v[t] *= c;
                    if gr {
                        scale(&mut g[t * n..t * n + n], c);
                    }
                }
                Op::BinR(b, c, gr) => {
                    let t = sp - 1;
                    if gr {
                        let (y, da, _) = b.eval(v[t], c);
                        v[t] = y;
                        scale(&mut g[t * n..t * n + n], da);
                    } else {
                        v[t] = b.value(v[t], c);
                    }
                }
                Op::BinL(b, c, gr) => {
                    let t = sp - 1;
                    if gr {
                        let (y, _, db) = b.eval(c, v[t]);
                        v[t] = y;
                        scale(&mut g[t * n..t * n + n], db);
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
                        continue;
                    }
                    let (r, da, db) = b.eval(x, y);
                    v[t] = r;
                    let (lo, hi) = g.split_at_mut(sp * n);
                    let ra = &mut lo[t * n..t * n + n];
                    let rb = &hi[..n];
                    match mode {
                        Mode::L => scale(ra, da),
                        Mode::R => {
                            for (a, b) in ra.iter_mut().zip(rb) {
                                *a = db * b;
                            }
                        }
                        _ => {
                            for (a, b) in ra.iter_mut().zip(rb) {
                                *a = da * *a + db * b;
                            }
                        }
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
                            g[t * n..t * n + n].fill(0.0);
                        } else if which != 0 {
                            let src = (t + which as usize) * n;
                            g.copy_within(src..src + n, t * n);
                        }
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
            grad.copy_from_slice(&g[..n]);
        } else {
            grad.fill(0.0);
        }
        v[0]
    }
}

#[inline(always)]
fn scale(r: &mut [f64], d: f64) {
    for a in r {
        *a *= d;
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
            ExprKind::Call(name, args) => match builtin_call(name, args.len(), e.span)? {
                Builtin::Un(u) => self.un(u, &args[0], n),
                Builtin::Bin(b) => self.bin(b, &args[0], &args[1], n),
                Builtin::Variadic(b) => self.variadic(b, args, n),
                Builtin::If => self.ternary(&args[0], &args[1], &args[2], n),
                Builtin::Limit => self.limit(args, n),
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
        let flat = b.is_boolean();
        // One literal operand: fuse it into the instruction.
        if let Some(k) = c.as_num() {
            if a.as_num().is_none() {
                let start = self.code.len();
                let g = self.expr(a, n)? && !flat;
                if let Some(x) = self.single_const(start) {
                    self.code[start] = Op::Const(b.value(x, k));
                    return Ok(false);
                }
                self.code.push(match b {
                    Bin::Add => Op::AddC(k),
                    Bin::Sub => Op::AddC(-k),
                    Bin::Mul => Op::MulC(k, g),
                    _ => Op::BinR(b, k, g),
                });
                return Ok(g);
            }
        } else if let Some(k) = a.as_num() {
            let start = self.code.len();
            let g = self.expr(c, n)? && !flat;
            if let Some(y) = self.single_const(start) {
                self.code[start] = Op::Const(b.value(k, y));
                return Ok(false);
            }
            match b {
                Bin::Add => self.code.push(Op::AddC(k)),
                Bin::Mul => self.code.push(Op::MulC(k, g)),
                Bin::Sub => {
                    // k − x = k + (−x), bit-identical.
                    self.code.push(Op::Un(Un::Neg, g));
                    self.code.push(Op::AddC(k));
                }
                _ => self.code.push(Op::BinL(b, k, g)),
            }
            return Ok(g);
        }
        let start = self.code.len();
        let ga = self.expr(a, n)?;
        let mid = self.code.len();
        let gb = self.expr(c, n)?;
        self.sp -= 1;
        if mid == start + 1 && self.code.len() == mid + 1 {
            if let (Op::Const(x), Op::Const(y)) = (self.code[start], self.code[mid]) {
                self.code.truncate(start);
                self.code.push(Op::Const(b.value(x, y)));
                return Ok(false);
            }
        }
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
        let mut ga = self.expr(&args[0], n)?;
        for a in &args[1..] {
            let gb = self.expr(a, n)?;
            self.sp -= 1;
            let mode = match (ga, gb) {
                (false, false) => Mode::None,
                (true, false) => Mode::L,
                (false, true) => Mode::R,
                (true, true) => Mode::Both,
            };
            self.code.push(Op::Bin(b, mode));
            ga = ga || gb;
        }
        Ok(ga)
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
