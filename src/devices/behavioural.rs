//! Behavioural source `Bname n+ n- V=expr | I=expr` (also E/G with `VALUE=`).
//!
//! The expression may use node voltages `v(a)`, `v(a,b)`, branch currents
//! `i(vx)` of devices that have one, internal state unknowns `@dev[var]`
//! (e.g. `@n1[p]` of a level-2 YSTNO), `time`, parameters (already
//! substituted) and the builtin functions. It is compiled once; each Newton iteration
//! evaluates its value and exact gradient (forward-mode) without allocating.
//! - `I=`: current f(x) from n+ through the device to n−.
//! - `V=`: V+ − V− = f(x), with a branch current unknown.

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
    /// Per variable: the unknowns whose difference it is (`v(a,b)` → (a, b);
    /// `v(a)` → (a, 0); `i(v1)` → (branch, 0)).
    vars: Vec<(usize, usize)>,
    vals: Vec<f64>,
    grad: Vec<f64>,
    scratch: Scratch,
    br: usize,
    /// Linear slots (V output): (a,br) (b,br) (br,a) (br,b).
    lin: [Slot; 4],
    /// Per variable: V output (br,p) (br,m); I output (a,p) (a,m) (b,p) (b,m).
    var_slots: Vec<[Slot; 4]>,
    /// Node unknowns the expression reads (for the DC-path check).
    ctrl_nodes: Vec<usize>,
}

impl Behavioural {
    /// `ctrl_nodes`: node unknowns read by `v(…)` in the expression.
    pub fn new(
        name: String,
        span: Span,
        nodes: [usize; 2],
        output: BOutput,
        expr: Expr,
        params: Vec<PValue>,
        ctrl_nodes: Vec<usize>,
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
            vals: Vec::new(),
            grad: Vec::new(),
            scratch: Scratch::default(),
            br: 0,
            lin: [Slot::default(); 4],
            var_slots: Vec::new(),
            ctrl_nodes,
        })
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
        let mut vars: Vec<(usize, usize)> = Vec::new();
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
                    (idx[0], idx[1])
                }
                ("i", 1) => {
                    let br = r.branch_of(&args[0]).ok_or_else(|| {
                        let why = if r.has_device(&args[0]) {
                            "has no branch current (use a voltage source, inductor, E, H or B-V element)"
                        } else {
                            "does not exist"
                        };
                        Diagnostic::error(span, format!("'{name}' uses i({}), which {why}", args[0]))
                    })?;
                    (br, 0)
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
                    (st, 0)
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
        // Count probes first so the program knows nvars.
        let mut n = 0usize;
        let mut seen: Vec<(String, Vec<String>)> = Vec::new();
        self.expr.for_each_probe(&mut |f, a, _| {
            if !seen.iter().any(|(g, b)| g == f && b.as_slice() == a) {
                seen.push((f.to_string(), a.to_vec()));
                n += 1;
            }
        });
        let prog = Program::compile(&self.expr, n, &mut resolve)?;
        self.vars = vars;
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
            for &(p, m) in &self.vars {
                self.var_slots.push([
                    s.slot(br, p),
                    s.slot(br, m),
                    Slot::default(),
                    Slot::default(),
                ]);
            }
        } else {
            for &(p, m) in &self.vars {
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
        for (k, &(p, m)) in self.vars.iter().enumerate() {
            self.vals[k] = x[p] - x[m];
        }
        let v = prog.eval(&self.vals, cx.time, &mut self.grad, &mut self.scratch);
        if self.output == BOutput::Voltage {
            st.f(self.br, -v);
            for (k, s) in self.var_slots.iter().enumerate() {
                let d = self.grad[k];
                st.g(s[0], -d);
                st.g(s[1], d);
            }
        } else {
            st.f(self.a, v);
            st.f(self.b, -v);
            for (k, s) in self.var_slots.iter().enumerate() {
                let d = self.grad[k];
                st.g(s[0], d);
                st.g(s[1], -d);
                st.g(s[2], -d);
                st.g(s[3], d);
            }
        }
    }
    fn branch(&self) -> Option<usize> {
        (self.output == BOutput::Voltage).then_some(self.br)
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
