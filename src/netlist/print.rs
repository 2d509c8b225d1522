//! AST → netlist text.
//!
//! [`to_netlist`] writes a [`Netlist`] so that parsing the text gives back the
//! same AST (spans aside): numbers are written with Rust's shortest
//! round-trip form (`1.5e-12`), non-literal values in braces with every binary
//! operation parenthesised, long lines folded with `+` continuations. Useful for
//! netlist generators and for the parser's round-trip tests.
//!
//! Limits: a negative literal `Num(-x)` is written `-x`, which parses as
//! `Unary(Neg, Num(x))` (the parser never produces negative literals); a
//! `Behavioural` element named `e…`/`g…` is written in the `VALUE=` form of its
//! letter, any other name in the `B` form.

use super::ast::*;
use crate::expr::{BinOp, Expr, ExprKind, UnOp};
use std::fmt::{self, Write};

/// Lines longer than this are folded with `+` continuations.
const WRAP: usize = 100;

/// Shortest decimal form of `v` that parses back to the same `f64`: Rust's
/// shortest round-trip digits, in plain (`0.5`, `20`) or exponent (`1e-12`,
/// `1.5e6`) notation, whichever is shorter.
pub fn number_to_string(v: f64) -> String {
    let plain = format!("{v}");
    let exp = format!("{v:e}");
    if plain.len() <= exp.len() {
        plain
    } else {
        exp
    }
}

fn binop(op: BinOp) -> &'static str {
    match op {
        BinOp::Add => "+",
        BinOp::Sub => "-",
        BinOp::Mul => "*",
        BinOp::Div => "/",
        BinOp::Pow => "^",
        BinOp::Lt => "<",
        BinOp::Le => "<=",
        BinOp::Gt => ">",
        BinOp::Ge => ">=",
        BinOp::Eq => "==",
        BinOp::Ne => "!=",
        BinOp::And => "&&",
        BinOp::Or => "||",
    }
}

fn write_expr(out: &mut String, e: &Expr) {
    match &e.kind {
        ExprKind::Num(v) => out.push_str(&number_to_string(*v)),
        ExprKind::Ident(n) => out.push_str(n),
        ExprKind::Call(n, args) => {
            out.push_str(n);
            out.push('(');
            for (k, a) in args.iter().enumerate() {
                if k > 0 {
                    out.push_str(", ");
                }
                write_expr(out, a);
            }
            out.push(')');
        }
        ExprKind::Probe { func, args } => {
            if func == "@" {
                out.push('@');
                out.push_str(args.first().map_or("", String::as_str));
                out.push('[');
                out.push_str(args.get(1).map_or("", String::as_str));
                out.push(']');
            } else {
                out.push_str(func);
                out.push('(');
                out.push_str(&args.join(", "));
                out.push(')');
            }
        }
        ExprKind::Unary(op, a) => {
            out.push('(');
            out.push(match op {
                UnOp::Neg => '-',
                UnOp::Plus => '+',
                UnOp::Not => '!',
            });
            write_expr(out, a);
            out.push(')');
        }
        ExprKind::Binary(op, a, b) => {
            out.push('(');
            write_expr(out, a);
            out.push(' ');
            out.push_str(binop(*op));
            out.push(' ');
            write_expr(out, b);
            out.push(')');
        }
        ExprKind::Ternary(c, a, b) => {
            out.push('(');
            write_expr(out, c);
            out.push_str(" ? ");
            write_expr(out, a);
            out.push_str(" : ");
            write_expr(out, b);
            out.push(')');
        }
    }
}

/// An expression as text (fully parenthesised, no braces).
pub fn expr_to_string(e: &Expr) -> String {
    let mut s = String::new();
    write_expr(&mut s, e);
    s
}

/// A value in a netlist position: a non-negative literal as a number, anything
/// else in braces.
fn value(e: &Expr) -> String {
    match e.kind {
        ExprKind::Num(v) if v >= 0.0 && v.is_finite() => number_to_string(v),
        _ => format!("{{{}}}", expr_to_string(e)),
    }
}

/// A measured signal: probes as written, anything else in braces.
fn signal(e: &Expr) -> String {
    match &e.kind {
        ExprKind::Probe { .. } => expr_to_string(e),
        _ => value(e),
    }
}

fn assign(p: &ParamAssign) -> String {
    format!("{}={}", p.name.name, value(&p.value))
}

/// Collects the words of one statement and folds long lines.
struct Line {
    words: Vec<String>,
}

impl Line {
    fn new(first: impl Into<String>) -> Line {
        Line {
            words: vec![first.into()],
        }
    }
    fn w(&mut self, s: impl Into<String>) -> &mut Line {
        self.words.push(s.into());
        self
    }
    fn params(&mut self, ps: &[ParamAssign]) -> &mut Line {
        for p in ps {
            self.words.push(assign(p));
        }
        self
    }
    fn write(&self, out: &mut String) {
        let mut len = 0;
        for (k, w) in self.words.iter().enumerate() {
            if k > 0 {
                if len + 1 + w.len() > WRAP {
                    out.push_str("\n+ ");
                    len = 2;
                } else {
                    out.push(' ');
                    len += 1;
                }
            }
            out.push_str(w);
            len += w.len();
        }
        out.push('\n');
    }
}

fn tran_fn(l: &mut Line, f: &TranFn) {
    let args = |name: &str, a: &[Expr]| {
        let inner: Vec<String> = a.iter().map(value).collect();
        format!("{name}({})", inner.join(" "))
    };
    match f {
        TranFn::Sin(a, _) => {
            l.w(args("sin", a));
        }
        TranFn::Pulse(a, _) => {
            l.w(args("pulse", a));
        }
        TranFn::Exp(a, _) => {
            l.w(args("exp", a));
        }
        TranFn::Sffm(a, _) => {
            l.w(args("sffm", a));
        }
        TranFn::Am(a, _) => {
            l.w(args("am", a));
        }
        TranFn::TrNoise(a, _) => {
            l.w(args("trnoise", a));
        }
        TranFn::TrRandom(a, _) => {
            l.w(args("trrandom", a));
        }
        TranFn::Pwl {
            points,
            repeat,
            delay,
            ..
        } => {
            let inner: Vec<String> = points
                .iter()
                .map(|(t, v)| format!("{} {}", value(t), value(v)))
                .collect();
            l.w(format!("pwl({})", inner.join(" ")));
            if let Some(r) = repeat {
                l.w(format!("r={}", value(r)));
            }
            if let Some(d) = delay {
                l.w(format!("td={}", value(d)));
            }
        }
    }
}

fn source(l: &mut Line, s: &SourceSpec) {
    if let Some(dc) = &s.dc {
        l.w("dc").w(value(dc));
    }
    if let Some((m, p)) = &s.ac {
        l.w("ac").w(value(m));
        if let Some(p) = p {
            l.w(value(p));
        }
    }
    if let Some(f) = &s.tran {
        tran_fn(l, f);
    }
}

fn element(out: &mut String, e: &Element) {
    let name = e.name.name.as_str();
    let nodes2 = |l: &mut Line, n: &[Node; 2]| {
        l.w(n[0].name.clone()).w(n[1].name.clone());
    };
    let mut l = Line::new(name);
    match &e.kind {
        ElementKind::Resistor {
            nodes,
            value: v,
            model,
            params,
        }
        | ElementKind::Capacitor {
            nodes,
            value: v,
            model,
            params,
        }
        | ElementKind::Inductor {
            nodes,
            value: v,
            model,
            params,
        } => {
            nodes2(&mut l, nodes);
            if let Some(v) = v {
                l.w(value(v));
            }
            if let Some(m) = model {
                l.w(m.name.clone());
            }
            l.params(params);
        }
        ElementKind::Mutual {
            inductors,
            coupling,
        } => {
            nodes2(&mut l, inductors);
            l.w(value(coupling));
        }
        ElementKind::VSource { nodes, spec } | ElementKind::ISource { nodes, spec } => {
            nodes2(&mut l, nodes);
            source(&mut l, spec);
        }
        ElementKind::Vcvs { nodes, ctrl, gain } | ElementKind::Vccs { nodes, ctrl, gain } => {
            nodes2(&mut l, nodes);
            nodes2(&mut l, ctrl);
            l.w(value(gain));
        }
        ElementKind::Cccs { nodes, ctrl, gain } | ElementKind::Ccvs { nodes, ctrl, gain } => {
            nodes2(&mut l, nodes);
            l.w(ctrl.name.clone()).w(value(gain));
        }
        ElementKind::Behavioural {
            nodes,
            output,
            expr,
            params,
        } => {
            nodes2(&mut l, nodes);
            let key = match (name.chars().next(), output) {
                (Some('e'), BOutput::Voltage) | (Some('g'), BOutput::Current) => "value",
                (_, BOutput::Voltage) => "v",
                (_, BOutput::Current) => "i",
            };
            l.w(format!("{key}={{{}}}", expr_to_string(expr)));
            l.params(params);
        }
        ElementKind::Diode {
            nodes,
            model,
            area,
            off,
            params,
        } => {
            nodes2(&mut l, nodes);
            l.w(model.name.clone());
            if let Some(a) = area {
                l.w(value(a));
            }
            if *off {
                l.w("off");
            }
            l.params(params);
        }
        ElementKind::Subckt {
            nodes,
            subckt,
            params,
        } => {
            for n in nodes {
                l.w(n.name.clone());
            }
            l.w(subckt.name.clone());
            if !params.is_empty() {
                l.w("params:").params(params);
            }
        }
        ElementKind::General {
            dev_type,
            nodes,
            model,
            params,
        } => {
            l = Line::new(format!("y{}", dev_type.name));
            l.w(name);
            for n in nodes {
                l.w(n.name.clone());
            }
            l.w(model.name.clone()).params(params);
        }
    }
    l.write(out);
}

fn edge(c: &Condition, l: &mut Line) {
    let (k, n) = match c.edge {
        Edge::Rise(n) => ("rise", n),
        Edge::Fall(n) => ("fall", n),
        Edge::Cross(n) => ("cross", n),
    };
    let n = match n {
        Count::Nth(n) => n.to_string(),
        Count::Last => "last".to_string(),
    };
    l.w(format!("{k}={n}"));
    if let Some(td) = &c.td {
        l.w(format!("td={}", value(td)));
    }
    if let Some(f) = &c.from {
        l.w(format!("from={}", value(f)));
    }
    if let Some(t) = &c.to {
        l.w(format!("to={}", value(t)));
    }
}

fn trigger(l: &mut Line, key: &str, t: &Trigger) {
    l.w(key);
    match t {
        Trigger::At(a) => {
            l.w(format!("at={}", value(a)));
        }
        Trigger::Cross(c) => {
            l.w(signal(&c.lhs)).w(format!("val={}", value(&c.rhs)));
            edge(c, l);
        }
    }
}

fn measure(out: &mut String, m: &Measure) {
    let an = match m.analysis {
        MeasAnalysis::Tran => "tran",
        MeasAnalysis::Dc => "dc",
        MeasAnalysis::Ac => "ac",
        MeasAnalysis::Hb => "hb",
        MeasAnalysis::HbTd => "hb_td",
    };
    let mut l = Line::new(".meas");
    l.w(an).w(m.name.name.clone());
    match &m.kind {
        MeasKind::Stat {
            func,
            signal: s,
            from,
            to,
        } => {
            l.w(match func {
                StatFn::Avg => "avg",
                StatFn::Rms => "rms",
                StatFn::Pp => "pp",
                StatFn::Min => "min",
                StatFn::Max => "max",
                StatFn::Integ => "integ",
                StatFn::MinAt => "min_at",
                StatFn::MaxAt => "max_at",
            });
            l.w(signal(s));
            if let Some(f) = from {
                l.w(format!("from={}", value(f)));
            }
            if let Some(t) = to {
                l.w(format!("to={}", value(t)));
            }
        }
        MeasKind::FindAt { signal: s, at } => {
            l.w("find").w(signal(s)).w(format!("at={}", value(at)));
        }
        MeasKind::FindWhen { signal: s, when } => {
            l.w("find").w(signal(s)).w("when");
            l.w(format!("{}={}", signal(&when.lhs), signal(&when.rhs)));
            edge(when, &mut l);
        }
        MeasKind::When(c) => {
            l.w("when")
                .w(format!("{}={}", signal(&c.lhs), signal(&c.rhs)));
            edge(c, &mut l);
        }
        MeasKind::TrigTarg { trig, targ } => {
            trigger(&mut l, "trig", trig);
            trigger(&mut l, "targ", targ);
        }
        MeasKind::Param(e) => {
            l.w(format!("param={{{}}}", expr_to_string(e)));
        }
        MeasKind::DcMean {
            ripple,
            signal: s,
            win,
        } => {
            l.w(if *ripple { "ripple" } else { "dcmean" }).w(signal(s));
            for (k, v) in [
                ("freq", &win.freq),
                ("settle", &win.settle),
                ("from", &win.from),
                ("to", &win.to),
            ] {
                if let Some(v) = v {
                    l.w(format!("{k}={}", value(v)));
                }
            }
        }
        MeasKind::Tone {
            out: o,
            signal: s,
            fmin,
            fmax,
            from,
            to,
            r,
            window,
        } => {
            l.w(match o {
                ToneOut::Amp => "toneamp",
                ToneOut::Freq => "tonefreq",
                ToneOut::Power => "tonepower",
                ToneOut::Dbm => "tonedbm",
                ToneOut::Phase => "tonephase",
            })
            .w(signal(s));
            for (k, v) in [
                ("fmin", fmin),
                ("fmax", fmax),
                ("from", from),
                ("to", to),
                ("r", r),
            ] {
                if let Some(v) = v {
                    l.w(format!("{k}={}", value(v)));
                }
            }
            if *window == FftWindow::Rect {
                l.w("window=rect");
            }
        }
    }
    l.write(out);
}

fn stmt(out: &mut String, s: &Stmt) {
    match s {
        Stmt::Element(e) => element(out, e),
        Stmt::Model(m) => {
            let mut l = Line::new(".model");
            l.w(m.name.name.clone()).w(m.kind.name.clone());
            if !m.params.is_empty() {
                let ps: Vec<String> = m.params.iter().map(assign).collect();
                l.w("(");
                for p in ps {
                    l.w(p);
                }
                // Closing parenthesis attached to the last word.
                if let Some(last) = l.words.last_mut() {
                    last.push(')');
                }
            }
            l.write(out);
        }
        Stmt::Subckt(d) => {
            let mut l = Line::new(".subckt");
            l.w(d.name.name.clone());
            for p in &d.ports {
                l.w(p.name.clone());
            }
            if !d.params.is_empty() {
                l.w("params:").params(&d.params);
            }
            l.write(out);
            for s in &d.body {
                stmt(out, s);
            }
            let _ = writeln!(out, ".ends {}", d.name.name);
        }
        Stmt::Param(ps, _) => {
            Line::new(".param").params(ps).write(out);
        }
        Stmt::Func(f) => {
            let args: Vec<&str> = f.args.iter().map(|a| a.name.as_str()).collect();
            let _ = writeln!(
                out,
                ".func {}({}) {{{}}}",
                f.name.name,
                args.join(", "),
                expr_to_string(&f.body)
            );
        }
        Stmt::Options(items, _) => {
            let mut l = Line::new(".options");
            for it in items {
                match &it.value {
                    None => l.w(it.name.name.clone()),
                    Some(OptionValue::Word(w)) => l.w(format!("{}={}", it.name.name, w.name)),
                    Some(OptionValue::Expr(e)) => l.w(format!("{}={}", it.name.name, value(e))),
                };
            }
            l.write(out);
        }
        Stmt::Ic(v, _) | Stmt::Nodeset(v, _) => {
            let mut l = Line::new(if matches!(s, Stmt::Ic(..)) {
                ".ic"
            } else {
                ".nodeset"
            });
            for nv in v {
                l.w(format!("v({})={}", nv.node.name, value(&nv.value)));
            }
            l.write(out);
        }
        Stmt::Temp(v, _) => {
            let mut l = Line::new(".temp");
            for e in v {
                l.w(value(e));
            }
            l.write(out);
        }
        Stmt::Global(v, _) => {
            let mut l = Line::new(".global");
            for n in v {
                l.w(n.name.clone());
            }
            l.write(out);
        }
        Stmt::Save(sv) => {
            let mut l = Line::new(if sv.print { ".print" } else { ".save" });
            if let Some(a) = &sv.analysis {
                l.w(a.name.clone());
            }
            for it in &sv.items {
                match &it.kind {
                    ExprKind::Ident(n) if n == "all" => l.w("all"),
                    ExprKind::Probe { .. } => l.w(expr_to_string(it)),
                    // A bare word would be read as a node name (`.save out`).
                    _ => l.w(format!("{{{}}}", expr_to_string(it))),
                };
            }
            if let Some((f, _)) = &sv.file {
                l.w(format!("file=\"{f}\""));
            }
            if sv.csv {
                l.w("format=csv");
            }
            l.write(out);
        }
        Stmt::Analysis(a) => {
            let mut l;
            match &**a {
                Analysis::Op(_) => l = Line::new(".op"),
                Analysis::Dc { sweeps, .. } => {
                    l = Line::new(".dc");
                    for s in sweeps {
                        l.w(s.var.name.clone())
                            .w(value(&s.start))
                            .w(value(&s.stop))
                            .w(value(&s.step));
                    }
                }
                Analysis::Ac {
                    scale,
                    points,
                    fstart,
                    fstop,
                    ..
                } => {
                    l = Line::new(".ac");
                    l.w(match scale {
                        AcScale::Dec => "dec",
                        AcScale::Oct => "oct",
                        AcScale::Lin => "lin",
                    })
                    .w(value(points))
                    .w(value(fstart))
                    .w(value(fstop));
                }
                Analysis::Hb { tones, osc, .. } => {
                    l = Line::new(".hb");
                    for t in tones {
                        l.w(value(t));
                    }
                    for o in osc {
                        l.w(format!("osc={}", o.name));
                    }
                }
                Analysis::Tran {
                    tstep,
                    tstop,
                    tstart,
                    tmax,
                    uic,
                    ..
                } => {
                    l = Line::new(".tran");
                    l.w(value(tstep)).w(value(tstop));
                    if let Some(t) = tstart {
                        l.w(value(t));
                    }
                    if let Some(t) = tmax {
                        l.w(value(t));
                    }
                    if *uic {
                        l.w("uic");
                    }
                }
            }
            l.write(out);
        }
        Stmt::Meas(m) => measure(out, m),
        Stmt::Step(st) => {
            let mut l = Line::new(".step");
            let vals = |l: &mut Line, a: &Expr, b: &Expr, c: &Expr| {
                l.w(value(a)).w(value(b)).w(value(c));
            };
            match &st.sweep {
                StepSweep::List(v) => {
                    l.w("param").w(st.var.name.clone()).w("list");
                    for e in v {
                        l.w(value(e));
                    }
                }
                StepSweep::Lin(a, b, c) => {
                    l.w("lin").w("param").w(st.var.name.clone());
                    vals(&mut l, a, b, c);
                }
                StepSweep::Dec(a, b, c) => {
                    l.w("dec").w("param").w(st.var.name.clone());
                    vals(&mut l, a, b, c);
                }
                StepSweep::Oct(a, b, c) => {
                    l.w("oct").w("param").w(st.var.name.clone());
                    vals(&mut l, a, b, c);
                }
                StepSweep::Mc(n) => {
                    l.w("mc").w(value(n));
                }
                StepSweep::Data => {
                    l.w(format!("data={}", st.var.name));
                }
            }
            if let Some(u) = &st.unit {
                l.w(format!("unit={}", u.name));
            }
            l.write(out);
        }
        Stmt::Data(d) => data(out, d),
        Stmt::Ignored { what, .. } => {
            if what == ".control" {
                out.push_str(".control\n.endc\n");
            } else {
                let _ = writeln!(out, "{what}");
            }
        }
    }
}

/// `.data` (an inline table is followed by `.enddata`).
fn data(out: &mut String, d: &DataStmt) {
    let mut l = Line::new(".data");
    l.w(d.name.name.clone());
    match &d.source {
        DataSource::Inline { names, values } => {
            for n in names {
                l.w(n.name.clone());
            }
            for v in values {
                l.w(number_to_string(*v));
            }
            l.write(out);
            out.push_str(".enddata\n");
        }
        DataSource::File(f) => {
            l.w(format!("file=\"{}\"", f.path));
            if let Some(ds) = &f.dataset {
                l.w(format!("dataset={}", ds.name));
            }
            if let Some(p) = &f.param {
                l.w(format!("param={}", p.name));
            }
            if let Some((a, b, _)) = &f.rows {
                l.w(match b {
                    Some(b) => format!("rows={a}:{b}"),
                    None => format!("rows={a}:"),
                });
            }
            l.write(out);
        }
    }
}

/// Write a netlist: the title line, the statements, `.end`.
pub fn to_netlist(n: &Netlist) -> String {
    let mut out = String::new();
    out.push_str(n.title.lines().next().unwrap_or(""));
    out.push('\n');
    for s in &n.statements {
        stmt(&mut out, s);
    }
    out.push_str(".end\n");
    out
}

/// One statement as netlist text (with its trailing newline).
pub fn stmt_to_string(s: &Stmt) -> String {
    let mut out = String::new();
    stmt(&mut out, s);
    out
}

impl fmt::Display for Netlist {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&to_netlist(self))
    }
}
