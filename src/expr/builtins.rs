//! Builtin constants, functions and operators, shared by the scalar evaluator
//! ([`super::eval`]), parameter substitution (constant folding) and the compiled
//! evaluator ([`super::compile`]), so that all three compute bit-identical
//! values.
//!
//! Every function has a value and a derivative (partials for two-argument
//! functions). Piecewise functions (`abs`, `min`, `max`, `limit`, `u`,
//! comparisons, `floor`, …) return the derivative of the active branch, 0 for
//! steps and comparisons.
//!
//! Function reference (names are lower-case; `log` is the natural logarithm, as
//! in ngspice and LTspice):
//!
//! | name | value |
//! |---|---|
//! | `sin cos tan asin acos atan sinh cosh tanh exp sqrt` | the usual (radians) |
//! | `ln(x)`, `log(x)` | natural logarithm |
//! | `log10(x)` | decimal logarithm |
//! | `abs(x)`, `sgn(x)`/`sign(x)` | \|x\|, −1/0/+1 |
//! | `floor ceil`, `int(x)` (truncate), `round(x)` (half away from zero) | |
//! | `u(x)` | unit step: 1 for x > 0, else 0 |
//! | `uramp(x)` | x for x > 0, else 0 |
//! | `atan2(y, x)` | angle of (x, y), radians |
//! | `min(a, b, …)`, `max(a, b, …)` | two or more arguments |
//! | `pow(x, y)` | x^y (IEEE `pow`: negative x needs an integer y) |
//! | `pwr(x, y)` | sgn(x)·\|x\|^y |
//! | `limit(x, lo, hi)`, `clamp(x, lo, hi)` | x clamped to [min(lo,hi), max(lo,hi)] (= median of the three, as LTspice) |
//! | `if(c, a, b)` | a if c ≠ 0 else b (only the chosen branch is evaluated) |
//! | `db(x)` | 20·log10\|x\| (dB of an amplitude ratio) |
//! | `dbm2w(p)` | power in W of p dBm: 10^(p/10)·1e-3 |
//! | `dbm2v(p, r)` | amplitude (V) of a sine delivering p dBm into r Ω: sqrt(2·r·dbm2w(p)) |
//!
//! Operators: `+ - * / ** ^` (power = `pow`), comparisons `< <= > >= == !=`
//! and logic `&& || !` yield 1.0 or 0.0; a value is true when it is ≠ 0.

use std::f64::consts::{LN_10, PI};

/// Builtin constants as `(name, value, meaning)`. `e` is special: a parameter
/// or `.func` argument named `e` shadows it (see [`constant`]).
pub const CONSTANTS: &[(&str, f64, &str)] = &[
    ("pi", PI, "π"),
    (
        "e",
        std::f64::consts::E,
        "Euler's number (shadowed by a parameter named e)",
    ),
    (
        "boltz",
        1.380649e-23,
        "Boltzmann constant k_B, J/K (SI 2019, exact)",
    ),
    (
        "echarge",
        1.602176634e-19,
        "elementary charge q, C (SI 2019, exact)",
    ),
    (
        "planck",
        6.62607015e-34,
        "Planck constant h, J·s (SI 2019, exact)",
    ),
    ("kelvin", 273.15, "0 °C in K (add to a Celsius temperature)"),
];

/// Value of a builtin constant that takes precedence over parameters: every
/// constant of [`CONSTANTS`] except `e`, which is looked up only after the
/// environment (use [`constant_e`]).
pub fn constant(name: &str) -> Option<f64> {
    match name {
        "pi" => Some(PI),
        "boltz" => Some(1.380649e-23),
        "echarge" => Some(1.602176634e-19),
        "planck" => Some(6.62607015e-34),
        "kelvin" => Some(273.15),
        _ => None,
    }
}

/// `e` (Euler's number) if `name` is `"e"`: the fallback used when neither a
/// `.func` argument nor the environment defines `e`.
pub fn constant_e(name: &str) -> Option<f64> {
    (name == "e").then_some(std::f64::consts::E)
}

/// Whether `name` is a builtin function (so that the elaborator can warn when a
/// `.func` shadows it; user functions take precedence over builtins).
pub fn is_function(name: &str) -> bool {
    lookup(name).is_some() || super::random::lookup(name).is_some()
}

/// A builtin function of one argument (also the unary operators).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Un {
    Neg,
    Not,
    Sin,
    Cos,
    Tan,
    Asin,
    Acos,
    Atan,
    Sinh,
    Cosh,
    Tanh,
    Exp,
    Ln,
    Log10,
    Sqrt,
    Abs,
    Sgn,
    Floor,
    Ceil,
    Trunc,
    Round,
    Step,
    Uramp,
    Db,
    Dbm2w,
}

/// A builtin function of two arguments (also the binary operators).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Bin {
    Add,
    Sub,
    Mul,
    Div,
    Pow,
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
    Ne,
    And,
    Or,
    Atan2,
    Min,
    Max,
    Pwr,
    Dbm2v,
}

/// What a builtin function name denotes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Builtin {
    Un(Un),
    Bin(Bin),
    /// `min`/`max` with two or more arguments (folded pairwise).
    Variadic(Bin),
    /// `limit`/`clamp(x, lo, hi)`.
    Limit,
    /// `if(c, a, b)`.
    If,
    /// `pwl(x, x1, y1, x2, y2, …)` (`false`: ngspice's B-source function,
    /// extended linearly beyond the end points) and `table(…)` (`true`:
    /// Xyce's and HSPICE's, held constant beyond them).
    Pwl(bool),
}

impl Builtin {
    /// (minimum, maximum) argument count.
    pub(crate) fn arity(self) -> (usize, usize) {
        match self {
            Builtin::Un(_) => (1, 1),
            Builtin::Bin(_) => (2, 2),
            Builtin::Variadic(_) => (1, usize::MAX),
            Builtin::Limit | Builtin::If => (3, 3),
            Builtin::Pwl(_) => (3, usize::MAX),
        }
    }
}

/// The builtin a lower-case function name denotes.
pub(crate) fn lookup(name: &str) -> Option<Builtin> {
    use Builtin as B;
    Some(match name {
        "sin" => B::Un(Un::Sin),
        "cos" => B::Un(Un::Cos),
        "tan" => B::Un(Un::Tan),
        "asin" => B::Un(Un::Asin),
        "acos" => B::Un(Un::Acos),
        "atan" => B::Un(Un::Atan),
        "sinh" => B::Un(Un::Sinh),
        "cosh" => B::Un(Un::Cosh),
        "tanh" => B::Un(Un::Tanh),
        "exp" => B::Un(Un::Exp),
        "ln" | "log" => B::Un(Un::Ln),
        "log10" => B::Un(Un::Log10),
        "sqrt" => B::Un(Un::Sqrt),
        "abs" => B::Un(Un::Abs),
        "sgn" | "sign" => B::Un(Un::Sgn),
        "floor" => B::Un(Un::Floor),
        "ceil" => B::Un(Un::Ceil),
        "int" => B::Un(Un::Trunc),
        "round" => B::Un(Un::Round),
        "u" => B::Un(Un::Step),
        "uramp" => B::Un(Un::Uramp),
        "db" => B::Un(Un::Db),
        "dbm2w" => B::Un(Un::Dbm2w),
        "atan2" => B::Bin(Bin::Atan2),
        "pow" => B::Bin(Bin::Pow),
        "pwr" => B::Bin(Bin::Pwr),
        "dbm2v" => B::Bin(Bin::Dbm2v),
        "min" => B::Variadic(Bin::Min),
        "max" => B::Variadic(Bin::Max),
        "limit" | "clamp" => B::Limit,
        "if" => B::If,
        "pwl" => B::Pwl(false),
        "table" => B::Pwl(true),
        _ => return None,
    })
}

#[inline(always)]
fn b2f(b: bool) -> f64 {
    if b {
        1.0
    } else {
        0.0
    }
}

#[inline(always)]
fn sgn(x: f64) -> f64 {
    if x > 0.0 {
        1.0
    } else if x < 0.0 {
        -1.0
    } else {
        0.0
    }
}

/// 10^(p/10)·1e-3: watts of `p` dBm.
#[inline(always)]
fn dbm2w(p: f64) -> f64 {
    10f64.powf(p / 10.0) * 1e-3
}

impl Un {
    /// Value and derivative at `x`.
    #[inline(always)]
    pub(crate) fn eval(self, x: f64) -> (f64, f64) {
        match self {
            Un::Neg => (-x, -1.0),
            Un::Not => (b2f(x == 0.0), 0.0),
            Un::Sin => {
                let (s, c) = x.sin_cos();
                (s, c)
            }
            Un::Cos => {
                let (s, c) = x.sin_cos();
                (c, -s)
            }
            Un::Tan => {
                let t = x.tan();
                (t, 1.0 + t * t)
            }
            Un::Asin => (x.asin(), 1.0 / (1.0 - x * x).sqrt()),
            Un::Acos => (x.acos(), -1.0 / (1.0 - x * x).sqrt()),
            Un::Atan => (x.atan(), 1.0 / (1.0 + x * x)),
            Un::Sinh => (x.sinh(), x.cosh()),
            Un::Cosh => (x.cosh(), x.sinh()),
            Un::Tanh => {
                let t = x.tanh();
                (t, 1.0 - t * t)
            }
            Un::Exp => {
                let v = x.exp();
                (v, v)
            }
            Un::Ln => (x.ln(), 1.0 / x),
            Un::Log10 => (x.log10(), 1.0 / (x * LN_10)),
            Un::Sqrt => {
                let v = x.sqrt();
                (v, 0.5 / v)
            }
            // Active branch; at 0 the right-hand derivative (+1).
            Un::Abs => (x.abs(), if x >= 0.0 { 1.0 } else { -1.0 }),
            Un::Sgn => (sgn(x), 0.0),
            Un::Floor => (x.floor(), 0.0),
            Un::Ceil => (x.ceil(), 0.0),
            Un::Trunc => (x.trunc(), 0.0),
            Un::Round => (x.round(), 0.0),
            Un::Step => (b2f(x > 0.0), 0.0),
            Un::Uramp => {
                if x > 0.0 {
                    (x, 1.0)
                } else {
                    (0.0, 0.0)
                }
            }
            Un::Db => (20.0 * x.abs().log10(), 20.0 / (x * LN_10)),
            Un::Dbm2w => {
                let v = dbm2w(x);
                (v, v * (LN_10 / 10.0))
            }
        }
    }

    /// Value only.
    #[inline(always)]
    pub(crate) fn value(self, x: f64) -> f64 {
        self.eval(x).0
    }

    /// Function name for messages.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Un::Neg => "-",
            Un::Not => "!",
            Un::Sin => "sin",
            Un::Cos => "cos",
            Un::Tan => "tan",
            Un::Asin => "asin",
            Un::Acos => "acos",
            Un::Atan => "atan",
            Un::Sinh => "sinh",
            Un::Cosh => "cosh",
            Un::Tanh => "tanh",
            Un::Exp => "exp",
            Un::Ln => "ln",
            Un::Log10 => "log10",
            Un::Sqrt => "sqrt",
            Un::Abs => "abs",
            Un::Sgn => "sgn",
            Un::Floor => "floor",
            Un::Ceil => "ceil",
            Un::Trunc => "int",
            Un::Round => "round",
            Un::Step => "u",
            Un::Uramp => "uramp",
            Un::Db => "db",
            Un::Dbm2w => "dbm2w",
        }
    }

    /// Why the value at (finite) `x` is not finite, in words.
    pub(crate) fn why_not_finite(self, x: f64) -> String {
        match self {
            Un::Ln | Un::Log10 if x == 0.0 => "logarithm of zero".into(),
            Un::Ln | Un::Log10 => format!("logarithm of a negative number ({x})"),
            Un::Db => "dB of zero".into(),
            Un::Sqrt => format!("square root of a negative number ({x})"),
            Un::Asin | Un::Acos => format!("{} of {x}, outside [-1, 1]", self.name()),
            _ => format!("overflow: {}({x}) is not a finite number", self.name()),
        }
    }
}

impl Bin {
    /// Value and partial derivatives (d/da, d/db) at (`a`, `b`).
    #[inline(always)]
    pub(crate) fn eval(self, a: f64, b: f64) -> (f64, f64, f64) {
        match self {
            Bin::Add => (a + b, 1.0, 1.0),
            Bin::Sub => (a - b, 1.0, -1.0),
            Bin::Mul => (a * b, b, a),
            Bin::Div => {
                let r = 1.0 / b;
                (a / b, r, -a * r * r)
            }
            Bin::Pow => pow_partials(a, b),
            Bin::Lt => (b2f(a < b), 0.0, 0.0),
            Bin::Le => (b2f(a <= b), 0.0, 0.0),
            Bin::Gt => (b2f(a > b), 0.0, 0.0),
            Bin::Ge => (b2f(a >= b), 0.0, 0.0),
            Bin::Eq => (b2f(a == b), 0.0, 0.0),
            Bin::Ne => (b2f(a != b), 0.0, 0.0),
            Bin::And => (b2f(a != 0.0 && b != 0.0), 0.0, 0.0),
            Bin::Or => (b2f(a != 0.0 || b != 0.0), 0.0, 0.0),
            Bin::Atan2 => {
                // atan2(y = a, x = b)
                let r2 = a * a + b * b;
                (a.atan2(b), b / r2, -a / r2)
            }
            // Ties take the first argument.
            Bin::Min => {
                if b < a {
                    (b, 0.0, 1.0)
                } else {
                    (a, 1.0, 0.0)
                }
            }
            Bin::Max => {
                if b > a {
                    (b, 0.0, 1.0)
                } else {
                    (a, 1.0, 0.0)
                }
            }
            Bin::Pwr => {
                let m = a.abs().powf(b);
                let v = sgn(a) * m;
                let da = if b == 0.0 {
                    0.0
                } else {
                    b * a.abs().powf(b - 1.0)
                };
                let db = v * a.abs().ln();
                (
                    v,
                    da,
                    if db.is_nan() && v.is_finite() {
                        0.0
                    } else {
                        db
                    },
                )
            }
            Bin::Dbm2v => {
                let v = (2.0 * b * dbm2w(a)).sqrt();
                (v, v * (LN_10 / 20.0), 0.5 * v / b)
            }
        }
    }

    /// Value only.
    #[inline(always)]
    pub(crate) fn value(self, a: f64, b: f64) -> f64 {
        match self {
            // The cheap ones directly (the optimiser would get there too, but
            // this keeps debug builds fast).
            Bin::Add => a + b,
            Bin::Sub => a - b,
            Bin::Mul => a * b,
            Bin::Div => a / b,
            Bin::Pow => pow(a, b),
            _ => self.eval(a, b).0,
        }
    }

    /// Value and d/da, for a constant `b` (the unused partial is not
    /// computed: no logarithm for `x ** 2`).
    #[inline(always)]
    pub(crate) fn eval_r(self, a: f64, b: f64) -> (f64, f64) {
        match self {
            Bin::Pow => (pow(a, b), pow_dx(a, b)),
            _ => {
                let (v, da, _) = self.eval(a, b);
                (v, da)
            }
        }
    }

    /// Value and d/db, for a constant `a`.
    #[inline(always)]
    pub(crate) fn eval_l(self, a: f64, b: f64) -> (f64, f64) {
        match self {
            Bin::Pow => {
                let v = pow(a, b);
                (v, pow_dy(a, v))
            }
            _ => {
                let (v, _, db) = self.eval(a, b);
                (v, db)
            }
        }
    }

    /// Whether the value is always 0.0 or 1.0 (comparisons and logic).
    pub(crate) fn is_boolean(self) -> bool {
        matches!(
            self,
            Bin::Lt | Bin::Le | Bin::Gt | Bin::Ge | Bin::Eq | Bin::Ne | Bin::And | Bin::Or
        )
    }

    /// Operator symbol or function name, for messages.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Bin::Add => "+",
            Bin::Sub => "-",
            Bin::Mul => "*",
            Bin::Div => "/",
            Bin::Pow => "**",
            Bin::Lt => "<",
            Bin::Le => "<=",
            Bin::Gt => ">",
            Bin::Ge => ">=",
            Bin::Eq => "==",
            Bin::Ne => "!=",
            Bin::And => "&&",
            Bin::Or => "||",
            Bin::Atan2 => "atan2",
            Bin::Min => "min",
            Bin::Max => "max",
            Bin::Pwr => "pwr",
            Bin::Dbm2v => "dbm2v",
        }
    }

    /// Why the value at (finite) (`a`, `b`) is not finite, in words.
    pub(crate) fn why_not_finite(self, a: f64, b: f64) -> String {
        match self {
            Bin::Div if b == 0.0 => "division by zero".into(),
            Bin::Pow | Bin::Pwr if a == 0.0 && b < 0.0 => {
                format!("zero raised to a negative power ({b})")
            }
            Bin::Pow if a < 0.0 => {
                format!("negative base ({a}) raised to a non-integer power ({b})")
            }
            Bin::Dbm2v if b < 0.0 => format!("negative resistance ({b} Ω)"),
            _ => format!(
                "overflow: the result of {} is not a finite number",
                self.name()
            ),
        }
    }
}

/// x^y and its partials. d/dx = y·x^(y−1); d/dy = ln(x)·x^y, taken as 0 when it
/// would be NaN while x^y is finite (x ≤ 0, where only integer y are defined).
#[inline(always)]
fn pow_partials(x: f64, y: f64) -> (f64, f64, f64) {
    let v = pow(x, y);
    (v, pow_dx(x, y), pow_dy(x, v))
}

/// x^y; `x ** 2` is computed as x·x (correctly rounded, and the common case).
#[inline(always)]
fn pow(x: f64, y: f64) -> f64 {
    if y == 2.0 {
        x * x
    } else {
        x.powf(y)
    }
}

/// d(x^y)/dx = y·x^(y−1) (0 for y = 0, also at x = 0).
#[inline(always)]
fn pow_dx(x: f64, y: f64) -> f64 {
    if y == 0.0 {
        0.0
    } else if y == 2.0 {
        2.0 * x
    } else {
        y * x.powf(y - 1.0)
    }
}

/// d(x^y)/dy = ln(x)·x^y given v = x^y; 0 where ln(x) is NaN (x < 0) or
/// −∞ (x = 0) but x^y is finite.
#[inline(always)]
fn pow_dy(x: f64, v: f64) -> f64 {
    let d = v * x.ln();
    if d.is_nan() && v.is_finite() {
        0.0
    } else {
        d
    }
}

/// `limit(x, lo, hi)`: x clamped to [min(lo,hi), max(lo,hi)]. Returns the
/// value and which argument (0 = x, 1 = lo, 2 = hi) it equals, whose
/// derivative is the derivative of the result.
#[inline(always)]
pub(crate) fn limit(x: f64, lo: f64, hi: f64) -> (f64, u8) {
    let (l, li, h, hi_i) = if lo <= hi {
        (lo, 1, hi, 2)
    } else {
        (hi, 2, lo, 1)
    };
    if x < l {
        (l, li)
    } else if x > h {
        (h, hi_i)
    } else {
        (x, 0)
    }
}

/// Why the points `x1, y1, x2, y2, …` of `pwl`/`table` cannot be used:
/// an odd count, a value that is not finite, or abscissae that do not
/// increase strictly.
pub(crate) fn pwl_points_error(pts: &[f64]) -> Option<String> {
    if !pts.len().is_multiple_of(2) || pts.is_empty() {
        return Some(format!(
            "needs pairs of points after the argument (x1, y1, x2, y2, …), got {} value{}",
            pts.len(),
            if pts.len() == 1 { "" } else { "s" }
        ));
    }
    if let Some(v) = pts.iter().find(|v| !v.is_finite()) {
        return Some(format!("point value {v} is not finite"));
    }
    let xs: Vec<f64> = pts.iter().step_by(2).copied().collect();
    let bad = xs.windows(2).position(|w| w[1] <= w[0])?;
    Some(format!(
        "the abscissae must increase: x{} = {:e} follows x{} = {:e}",
        bad + 2,
        xs[bad + 1],
        bad + 1,
        xs[bad]
    ))
}

/// `pwl`/`table` at `x` over checked points (`pwl_points_error` is None):
/// the value and d(value)/dx of the segment that holds x (at a breakpoint,
/// the segment to its right). Beyond the ends, `hold` keeps the end values
/// (slope 0; Xyce's `table`), otherwise the end segments go on (ngspice's
/// `pwl`, `PTpwl` in `inpptree.c`). One pair is a constant.
#[inline]
pub(crate) fn pwl(x: f64, pts: &[f64], hold: bool) -> (f64, f64) {
    let n = pts.len() / 2;
    let px = |k: usize| pts[2 * k];
    let py = |k: usize| pts[2 * k + 1];
    if n == 1 || (hold && x <= px(0)) {
        return (py(0), 0.0);
    }
    if hold && x >= px(n - 1) {
        return (py(n - 1), 0.0);
    }
    // segment k: x_k ≤ x < x_{k+1} (the first/last segment beyond the
    // ends); binary search for the first interior breakpoint above x
    let (mut lo, mut hi) = (1, n - 1);
    while lo < hi {
        let mid = (lo + hi) / 2;
        if px(mid) <= x {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    let k = lo - 1;
    let (x0, y0, x1, y1) = (px(k), py(k), px(k + 1), py(k + 1));
    let slope = (y1 - y0) / (x1 - x0);
    (y0 + (x - x0) * slope, slope)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pwl_segments_ends_and_checks() {
        let p = [0.0, 0.0, 1.0, 2.0, 2.0, 3.0];
        assert_eq!(pwl(0.5, &p, false), (1.0, 2.0));
        // at a breakpoint: the value, the slope on its right
        assert_eq!(pwl(1.0, &p, false), (2.0, 1.0));
        assert_eq!(pwl(-1.0, &p, false), (-2.0, 2.0));
        assert_eq!(pwl(3.0, &p, false), (4.0, 1.0));
        assert_eq!(pwl(-1.0, &p, true), (0.0, 0.0));
        assert_eq!(pwl(3.0, &p, true), (3.0, 0.0));
        assert_eq!(pwl(7.0, &[1.0, 5.0], false), (5.0, 0.0));
        assert!(pwl_points_error(&p).is_none());
        assert!(pwl_points_error(&p[..5]).is_some());
        assert!(pwl_points_error(&[0.0, 1.0, 0.0, 2.0]).is_some());
        assert!(pwl_points_error(&[0.0, f64::NAN]).is_some());
    }

    #[test]
    fn constants_values() {
        assert_eq!(constant("boltz"), Some(1.380649e-23));
        assert_eq!(constant("echarge"), Some(1.602176634e-19));
        assert_eq!(constant("planck"), Some(6.62607015e-34));
        assert_eq!(constant("kelvin"), Some(273.15));
        assert_eq!(constant("pi"), Some(std::f64::consts::PI));
        assert_eq!(constant("e"), None);
        assert_eq!(constant_e("e"), Some(std::f64::consts::E));
        for (name, v, _) in CONSTANTS {
            assert_eq!(constant(name).or(constant_e(name)), Some(*v), "{name}");
        }
    }

    #[test]
    fn limit_is_median_of_three() {
        assert_eq!(limit(5.0, 0.0, 1.0), (1.0, 2));
        assert_eq!(limit(-5.0, 0.0, 1.0), (0.0, 1));
        assert_eq!(limit(0.5, 0.0, 1.0), (0.5, 0));
        // Bounds given in the wrong order: still the median.
        assert_eq!(limit(5.0, 1.0, 0.0), (1.0, 1));
        assert_eq!(limit(-5.0, 1.0, 0.0), (0.0, 2));
    }

    #[test]
    fn pow_guard_at_nonpositive_base() {
        // (-2)^3 = -8, d/dx = 3·4 = 12, d/dy would be NaN (ln of -2) → 0.
        assert_eq!(pow_partials(-2.0, 3.0), (-8.0, 12.0, 0.0));
        // 0^2: d/dy = ln(0)·0 → 0.
        assert_eq!(pow_partials(0.0, 2.0), (0.0, 0.0, 0.0));
        // 2^3: d/dy = ln 2 · 8.
        let (v, dx, dy) = pow_partials(2.0, 3.0);
        assert_eq!((v, dx), (8.0, 12.0));
        assert!((dy - 8.0 * 2f64.ln()).abs() < 1e-15);
    }

    #[test]
    fn every_name_resolves() {
        for n in [
            "sin", "cos", "tan", "asin", "acos", "atan", "atan2", "sinh", "cosh", "tanh", "exp",
            "ln", "log", "log10", "sqrt", "abs", "sgn", "sign", "min", "max", "pow", "pwr",
            "floor", "ceil", "int", "round", "limit", "clamp", "u", "uramp", "if", "db", "dbm2w",
            "dbm2v",
        ] {
            assert!(is_function(n), "{n}");
        }
        assert!(!is_function("v"));
        assert!(!is_function("foo"));
    }
}
