//! Behavioural source `Bname n+ n- V=expr | I=expr` (also E/G with `VALUE=`).
//!
//! The expression may use node voltages `v(a)`, `v(a,b)`, branch currents
//! `i(vx)` of devices that have one, the current `i(r1)` of a linear
//! resistor (read as g·(v+ − v−), [`Device::linear_current`]; ngspice allows
//! it), time derivatives `k·ddt(g)` as terms (a charge in Q,
//! [`crate::expr::ddt`]), internal state unknowns `@dev[var]`
//! (e.g. `@n1[p]` of a level-2 YSTNO), `time`, parameters (already
//! substituted) and the builtin functions. It is compiled once; each Newton iteration
//! evaluates its value and exact gradient (forward-mode) without allocating.
//! - `I=`: current f(x) from n+ through the device to n−.
//! - `V=`: V+ − V− = f(x), with a branch current unknown.
//!
//! Outside the domain of its functions (sqrt or ln of a negative number, a
//! division by zero, also at the very first Newton iterate x = 0 of an
//! operating point, where `sqrt(v(b))` has an infinite slope and `1/v(b)`
//! no value) the expression is not finite. The device then stamps a finite
//! substitute — its present output (V=: the branch voltage as it is; I=: no
//! current) with the non-finite slopes set to 0 — and marks the iteration
//! limited, so Newton cannot accept it but moves on with the rest of the
//! circuit (which usually brings the arguments into the domain: with
//! `V1 b 0 1`, `V=sqrt(v(b))` converges to 1 as in ngspice). If it stays
//! outside, the failure message names the device and the values of its
//! arguments ([`Device::convergence_note`]).

use super::{Device, PValue};
use crate::diag::{DResult, Diagnostic, Span};
use crate::expr::compile::{Program, Scratch};
use crate::expr::Expr;
use crate::netlist::ast::BOutput;
use crate::system::{LoadCtx, Resolver, Setup, Slot, SlotAlloc, Stamp};

pub struct Behavioural {
    name: String,
    span: Span,
    a: usize,
    b: usize,
    output: BOutput,
    expr: Expr,
    prog: Option<Program>,
    /// Per variable: the unknowns whose difference it is and a factor
    /// (`v(a,b)` → (a, b, 1); `v(a)` → (a, 0, 1); `i(v1)` → (branch, 0, 1);
    /// `i(r1)` → (r+, r−, 1/R)).
    vars: Vec<(usize, usize, f64)>,
    /// The variables that are `i(r)` of a linear resistor: (variable,
    /// device index).
    linear: Vec<(usize, usize)>,
    vals: Vec<f64>,
    grad: Vec<f64>,
    scratch: Scratch,
    /// The `ddt` terms' argument q (`expr` = f + dq/dt), its program and
    /// gradient.
    charge: Option<Expr>,
    qprog: Option<Program>,
    qgrad: Vec<f64>,
    qscratch: Scratch,
    br: usize,
    /// Linear slots (V output): (a,br) (b,br) (br,a) (br,b).
    lin: [Slot; 4],
    /// Per variable: V output (br,p) (br,m); I output (a,p) (a,m) (b,p) (b,m).
    var_slots: Vec<[Slot; 4]>,
    /// Node unknowns the expression reads (for the DC-path check).
    ctrl_nodes: Vec<usize>,
    /// Per variable: its name as written (`v(b)`, `i(v1)`, `@n1[p]`).
    labels: Vec<String>,
    /// The last evaluation was not finite (value or a slope).
    out_of_domain: bool,
}

impl Behavioural {
    /// `ctrl_nodes`: node unknowns read by `v(…)` in the expression;
    /// `charge`: the argument q of its `ddt` terms (`expr` without them,
    /// [`crate::expr::ddt::split`]).
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        name: String,
        span: Span,
        nodes: [usize; 2],
        output: BOutput,
        expr: Expr,
        params: Vec<PValue>,
        ctrl_nodes: Vec<usize>,
        charge: Option<Expr>,
    ) -> DResult<Behavioural> {
        if let Some(p) = params.first() {
            return Err(Diagnostic::error(
                p.span,
                format!(
                    "unknown parameter '{}' for behavioural source '{name}'",
                    p.name
                ),
            ));
        }
        Ok(Behavioural {
            name,
            span,
            a: nodes[0],
            b: nodes[1],
            output,
            expr,
            prog: None,
            vars: Vec::new(),
            linear: Vec::new(),
            vals: Vec::new(),
            grad: Vec::new(),
            scratch: Scratch::default(),
            charge,
            qprog: None,
            qgrad: Vec::new(),
            qscratch: Scratch::default(),
            br: 0,
            lin: [Slot::default(); 4],
            var_slots: Vec::new(),
            ctrl_nodes,
            labels: Vec::new(),
            out_of_domain: false,
        })
    }
}

/// `v` and its gradient, with `substitute` for a value that is not finite
/// and 0 for slopes that are not; whether anything was replaced.
fn finite_or(v: f64, substitute: f64, grad: &mut [f64]) -> (f64, bool) {
    let mut bad = !v.is_finite();
    for g in grad.iter_mut().filter(|g| !g.is_finite()) {
        *g = 0.0;
        bad = true;
    }
    (if v.is_finite() { v } else { substitute }, bad)
}

impl Behavioural {
    /// Stamp the value `v` of f (or, with `charge`, of q) and its gradient
    /// (per variable): a V output's branch row is v+ − v− − f − dq/dt, an
    /// I output's current f + dq/dt leaves node a and enters node b.
    fn stamp_part(&self, st: &mut Stamp, v: f64, grad: &[f64], charge: bool) {
        let put = |st: &mut Stamp, row: usize, x: f64| {
            if charge {
                st.q(row, x)
            } else {
                st.f(row, x)
            }
        };
        let jac = |st: &mut Stamp, s: Slot, x: f64| {
            if charge {
                st.c(s, x)
            } else {
                st.g(s, x)
            }
        };
        let d = |k: usize| grad[k] * self.vars[k].2;
        if self.output == BOutput::Voltage {
            put(st, self.br, -v);
            for (k, s) in self.var_slots.iter().enumerate() {
                jac(st, s[0], -d(k));
                jac(st, s[1], d(k));
            }
        } else {
            put(st, self.a, v);
            put(st, self.b, -v);
            for (k, s) in self.var_slots.iter().enumerate() {
                jac(st, s[0], d(k));
                jac(st, s[1], -d(k));
                jac(st, s[2], -d(k));
                jac(st, s[3], d(k));
            }
        }
    }
}

impl Device for Behavioural {
    fn name(&self) -> &str {
        &self.name
    }
    fn uses_time(&self) -> bool {
        self.prog.as_ref().is_some_and(|p| p.uses_time())
    }
    fn setup(&mut self, s: &mut Setup) -> DResult<()> {
        if self.output == BOutput::Voltage {
            self.br = s.branch_current();
        }
        Ok(())
    }
    fn resolve(&mut self, r: &Resolver) -> DResult<()> {
        let mut keys: Vec<(String, Vec<String>)> = Vec::new();
        let mut vars: Vec<(usize, usize, f64)> = Vec::new();
        let mut linear: Vec<(usize, usize)> = Vec::new();
        let name = self.name.clone();
        let mut resolve = |func: &str, args: &[String], span: Span| -> DResult<usize> {
            if let Some(k) = keys
                .iter()
                .position(|(f, a)| f == func && a.as_slice() == args)
            {
                return Ok(k);
            }
            let pair = match (func, args.len()) {
                ("v", 1 | 2) => {
                    let mut idx = [0usize; 2];
                    for (k, a) in args.iter().enumerate() {
                        idx[k] = r.node(a).ok_or_else(|| {
                            Diagnostic::error(
                                span,
                                format!("'{name}' refers to unknown node '{a}'"),
                            )
                        })?;
                    }
                    (idx[0], idx[1], 1.0)
                }
                ("i", 1) => {
                    if let Some((d, p, m, g)) = r.linear_current(&args[0]) {
                        linear.push((keys.len(), d));
                        (p, m, g)
                    } else {
                        let br = r.branch_of(&args[0]).ok_or_else(|| {
                            let why = if r.has_device(&args[0]) {
                                "has no branch current (use a voltage source, inductor, E, H, B-V element or a linear resistor)"
                            } else {
                                "does not exist"
                            };
                            Diagnostic::error(span, format!("'{name}' uses i({}), which {why}", args[0]))
                        })?;
                        (br, 0, 1.0)
                    }
                }
                ("@", 2) => {
                    let st = r.state_of(&args[0], &args[1]).ok_or_else(|| {
                        let why = if r.has_device(&args[0]) {
                            format!("'{}' has no internal state '{}'", args[0], args[1])
                        } else {
                            format!("device '{}' does not exist", args[0])
                        };
                        Diagnostic::error(span, format!("'{name}' uses @{}[{}]: {why} (a behavioural source reads the state unknowns of a device, e.g. @stno[p] of a level-2 YSTNO)", args[0], args[1]))
                    })?;
                    (st, 0, 1.0)
                }
                _ => {
                    return Err(Diagnostic::error(
                        span,
                        format!(
                        "'{func}(…)' cannot be used in a behavioural source (use v(…), i(…), @dev[state], time)"
                    ),
                    ))
                }
            };
            keys.push((func.to_string(), args.to_vec()));
            vars.push(pair);
            Ok(keys.len() - 1)
        };
        // Count probes first so the programs know nvars (the charge's
        // probes are variables of both).
        let mut n = 0usize;
        let mut seen: Vec<(String, Vec<String>)> = Vec::new();
        let mut count = |f: &str, a: &[String], _| {
            if !seen.iter().any(|(g, b)| g == f && b.as_slice() == a) {
                seen.push((f.to_string(), a.to_vec()));
                n += 1;
            }
        };
        self.expr.for_each_probe(&mut count);
        if let Some(q) = &self.charge {
            q.for_each_probe(&mut count);
        }
        let prog = Program::compile(&self.expr, n, &mut resolve)?;
        if let Some(q) = &self.charge {
            let qp = Program::compile(q, n, &mut resolve)?;
            self.qgrad = vec![0.0; n];
            self.qscratch = qp.scratch();
            self.qprog = Some(qp);
        }
        self.labels = keys
            .iter()
            .map(|(f, a)| match f.as_str() {
                "@" => format!("@{}[{}]", a[0], a.get(1).map_or("", |s| s.as_str())),
                _ => format!("{f}({})", a.join(",")),
            })
            .collect();
        self.vars = vars;
        self.linear = linear;
        self.vals = vec![0.0; n];
        self.grad = vec![0.0; n];
        self.scratch = prog.scratch();
        self.prog = Some(prog);
        let _ = self.span;
        Ok(())
    }
    fn slots(&mut self, s: &mut SlotAlloc) {
        let (a, b, br) = (self.a, self.b, self.br);
        self.var_slots.clear();
        if self.output == BOutput::Voltage {
            self.lin = [s.slot(a, br), s.slot(b, br), s.slot(br, a), s.slot(br, b)];
            for &(p, m, _) in &self.vars {
                self.var_slots.push([
                    s.slot(br, p),
                    s.slot(br, m),
                    Slot::default(),
                    Slot::default(),
                ]);
            }
        } else {
            for &(p, m, _) in &self.vars {
                self.var_slots
                    .push([s.slot(a, p), s.slot(a, m), s.slot(b, p), s.slot(b, m)]);
            }
        }
    }
    fn stamp_linear(&self, g: &mut [f64], _c: &mut [f64]) {
        if self.output == BOutput::Voltage {
            g[self.lin[0].i()] += 1.0;
            g[self.lin[1].i()] -= 1.0;
            g[self.lin[2].i()] += 1.0;
            g[self.lin[3].i()] -= 1.0;
        }
    }
    fn is_nonlinear(&self) -> bool {
        true
    }
    fn load(&mut self, cx: &LoadCtx, x: &[f64], st: &mut Stamp) {
        let Some(prog) = &self.prog else { return };
        for (k, &(p, m, g)) in self.vars.iter().enumerate() {
            self.vals[k] = g * (x[p] - x[m]);
        }
        let v = prog.eval(&self.vals, cx.time, &mut self.grad, &mut self.scratch);
        let keep = match self.output {
            BOutput::Voltage => x[self.a] - x[self.b],
            BOutput::Current => 0.0,
        };
        let (v, bad) = finite_or(v, keep, &mut self.grad);
        let q = match &self.qprog {
            Some(qp) => {
                let q = qp.eval(&self.vals, cx.time, &mut self.qgrad, &mut self.qscratch);
                let (q, qbad) = finite_or(q, 0.0, &mut self.qgrad);
                self.out_of_domain = bad || qbad;
                Some(q)
            }
            None => {
                self.out_of_domain = bad;
                None
            }
        };
        if self.out_of_domain {
            // a finite substitute, and an iteration Newton cannot accept
            // (module doc)
            st.limited = true;
        }
        self.stamp_part(st, v, &self.grad, false);
        if let Some(q) = q {
            self.stamp_part(st, q, &self.qgrad, true);
        }
    }
    fn branch(&self) -> Option<usize> {
        (self.output == BOutput::Voltage).then_some(self.br)
    }
    fn refresh_linear_currents(&mut self, g_of: &dyn Fn(usize) -> Option<f64>) {
        for &(k, d) in &self.linear {
            if let Some(g) = g_of(d) {
                self.vars[k].2 = g;
            }
        }
    }
    fn convergence_note(&self) -> Option<String> {
        if !self.out_of_domain {
            return None;
        }
        let args = self
            .labels
            .iter()
            .zip(&self.vals)
            .map(|(l, v)| format!("{l} = {v:e}"))
            .collect::<Vec<_>>()
            .join(", ");
        Some(format!(
            "the expression of '{}' is not finite (or has an infinite slope) at {}: an argument \
             outside the domain of a function (sqrt or ln of a negative number, division by zero …)",
            self.name,
            if args.is_empty() { "its last evaluation".into() } else { args }
        ))
    }
    fn dc_pairs(&self) -> Vec<(usize, usize)> {
        // A current that depends on its own terminal voltages conducts.
        let conducts = self.output == BOutput::Voltage
            || self.ctrl_nodes.iter().any(|&n| n == self.a || n == self.b);
        if conducts {
            vec![(self.a, self.b)]
        } else {
            Vec::new()
        }
    }
    fn voltage_pair(&self) -> Option<(usize, usize)> {
        (self.output == BOutput::Voltage).then_some((self.a, self.b))
    }
}
