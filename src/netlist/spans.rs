//! Span erasure, for comparing ASTs by structure only (tests, generators).

use super::ast::*;
use crate::diag::Span;
use crate::expr::{Expr, ExprKind};

/// Set every span inside a value to `Span::default()`.
pub trait ClearSpans {
    /// Reset all spans (recursively).
    fn clear_spans(&mut self);
}

impl<T: ClearSpans> ClearSpans for Vec<T> {
    fn clear_spans(&mut self) {
        self.iter_mut().for_each(ClearSpans::clear_spans);
    }
}
impl<T: ClearSpans> ClearSpans for Option<T> {
    fn clear_spans(&mut self) {
        if let Some(x) = self {
            x.clear_spans();
        }
    }
}
impl<T: ClearSpans, const N: usize> ClearSpans for [T; N] {
    fn clear_spans(&mut self) {
        self.iter_mut().for_each(ClearSpans::clear_spans);
    }
}
impl<A: ClearSpans, B: ClearSpans> ClearSpans for (A, B) {
    fn clear_spans(&mut self) {
        self.0.clear_spans();
        self.1.clear_spans();
    }
}
impl ClearSpans for Span {
    fn clear_spans(&mut self) {
        *self = Span::default();
    }
}

impl ClearSpans for Expr {
    fn clear_spans(&mut self) {
        self.span.clear_spans();
        match &mut self.kind {
            ExprKind::Num(_) | ExprKind::Ident(_) | ExprKind::Probe { .. } => {}
            ExprKind::Call(_, a) => a.clear_spans(),
            ExprKind::Unary(_, a) => a.clear_spans(),
            ExprKind::Binary(_, a, b) => {
                a.clear_spans();
                b.clear_spans();
            }
            ExprKind::Ternary(c, a, b) => {
                c.clear_spans();
                a.clear_spans();
                b.clear_spans();
            }
        }
    }
}

impl ClearSpans for Ident {
    fn clear_spans(&mut self) {
        self.span.clear_spans();
    }
}
impl ClearSpans for ParamAssign {
    fn clear_spans(&mut self) {
        self.name.clear_spans();
        self.value.clear_spans();
    }
}
impl ClearSpans for Netlist {
    fn clear_spans(&mut self) {
        self.statements.clear_spans();
    }
}

impl ClearSpans for Stmt {
    fn clear_spans(&mut self) {
        match self {
            Stmt::Element(e) => e.clear_spans(),
            Stmt::Model(m) => {
                m.name.clear_spans();
                m.kind.clear_spans();
                m.params.clear_spans();
                m.span.clear_spans();
            }
            Stmt::Subckt(s) => {
                s.name.clear_spans();
                s.ports.clear_spans();
                s.params.clear_spans();
                s.body.clear_spans();
                s.span.clear_spans();
            }
            Stmt::Param(p, s) => {
                p.clear_spans();
                s.clear_spans();
            }
            Stmt::Func(f) => {
                f.name.clear_spans();
                f.args.clear_spans();
                f.body.clear_spans();
                f.span.clear_spans();
            }
            Stmt::Options(o, s) => {
                for it in o.iter_mut() {
                    it.name.clear_spans();
                    match &mut it.value {
                        Some(OptionValue::Expr(e)) => e.clear_spans(),
                        Some(OptionValue::Word(w)) => w.clear_spans(),
                        None => {}
                    }
                }
                s.clear_spans();
            }
            Stmt::Ic(v, s) | Stmt::Nodeset(v, s) => {
                for nv in v.iter_mut() {
                    nv.node.clear_spans();
                    nv.value.clear_spans();
                }
                s.clear_spans();
            }
            Stmt::Temp(v, s) => {
                v.clear_spans();
                s.clear_spans();
            }
            Stmt::Global(v, s) => {
                v.clear_spans();
                s.clear_spans();
            }
            Stmt::Save(sv) => {
                sv.analysis.clear_spans();
                sv.items.clear_spans();
                if let Some((_, sp)) = &mut sv.file {
                    sp.clear_spans();
                }
                sv.span.clear_spans();
            }
            Stmt::Analysis(a) => a.clear_spans(),
            Stmt::Meas(m) => {
                m.name.clear_spans();
                m.span.clear_spans();
                match &mut m.kind {
                    MeasKind::Stat {
                        signal, from, to, ..
                    } => {
                        signal.clear_spans();
                        from.clear_spans();
                        to.clear_spans();
                    }
                    MeasKind::FindAt { signal, at } => {
                        signal.clear_spans();
                        at.clear_spans();
                    }
                    MeasKind::FindWhen { signal, when } => {
                        signal.clear_spans();
                        when.clear_spans();
                    }
                    MeasKind::When(c) => c.clear_spans(),
                    MeasKind::TrigTarg { trig, targ } => {
                        trig.clear_spans();
                        targ.clear_spans();
                    }
                    MeasKind::Param(e) => e.clear_spans(),
                    MeasKind::DcMean { signal, win, .. } => {
                        signal.clear_spans();
                        win.freq.clear_spans();
                        win.settle.clear_spans();
                        win.from.clear_spans();
                        win.to.clear_spans();
                    }
                    MeasKind::Tone {
                        signal,
                        fmin,
                        fmax,
                        from,
                        to,
                        r,
                        ..
                    } => {
                        signal.clear_spans();
                        fmin.clear_spans();
                        fmax.clear_spans();
                        from.clear_spans();
                        to.clear_spans();
                        r.clear_spans();
                    }
                }
            }
            Stmt::Step(st) => {
                st.var.clear_spans();
                st.unit.clear_spans();
                st.span.clear_spans();
                match &mut st.sweep {
                    StepSweep::List(v) => v.clear_spans(),
                    StepSweep::Lin(a, b, c) | StepSweep::Dec(a, b, c) | StepSweep::Oct(a, b, c) => {
                        a.clear_spans();
                        b.clear_spans();
                        c.clear_spans();
                    }
                    StepSweep::Mc(n) => n.clear_spans(),
                    StepSweep::Data => {}
                }
            }
            Stmt::Data(d) => {
                d.name.clear_spans();
                d.span.clear_spans();
                match &mut d.source {
                    DataSource::Inline { names, .. } => names.clear_spans(),
                    DataSource::File(f) => {
                        f.path_span.clear_spans();
                        f.dataset.clear_spans();
                        f.param.clear_spans();
                        if let Some((_, _, sp)) = &mut f.rows {
                            sp.clear_spans();
                        }
                    }
                }
            }
            Stmt::Ignored { span, .. } => span.clear_spans(),
        }
    }
}

impl ClearSpans for Condition {
    fn clear_spans(&mut self) {
        self.lhs.clear_spans();
        self.rhs.clear_spans();
        self.td.clear_spans();
        self.from.clear_spans();
        self.to.clear_spans();
    }
}
impl ClearSpans for Trigger {
    fn clear_spans(&mut self) {
        match self {
            Trigger::Cross(c) => c.clear_spans(),
            Trigger::At(e) => e.clear_spans(),
        }
    }
}

impl ClearSpans for Analysis {
    fn clear_spans(&mut self) {
        match self {
            Analysis::Op(s) => s.clear_spans(),
            Analysis::Dc { sweeps, span } => {
                for sw in sweeps.iter_mut() {
                    sw.var.clear_spans();
                    sw.start.clear_spans();
                    sw.stop.clear_spans();
                    sw.step.clear_spans();
                }
                span.clear_spans();
            }
            Analysis::Ac {
                points,
                fstart,
                fstop,
                span,
                ..
            } => {
                points.clear_spans();
                fstart.clear_spans();
                fstop.clear_spans();
                span.clear_spans();
            }
            Analysis::Hb { tones, osc, span } => {
                tones.clear_spans();
                osc.clear_spans();
                span.clear_spans();
            }
            Analysis::Tran {
                tstep,
                tstop,
                tstart,
                tmax,
                span,
                ..
            } => {
                tstep.clear_spans();
                tstop.clear_spans();
                tstart.clear_spans();
                tmax.clear_spans();
                span.clear_spans();
            }
        }
    }
}

impl ClearSpans for TranFn {
    fn clear_spans(&mut self) {
        match self {
            TranFn::Sin(a, s)
            | TranFn::Pulse(a, s)
            | TranFn::Exp(a, s)
            | TranFn::Sffm(a, s)
            | TranFn::Am(a, s)
            | TranFn::TrNoise(a, s)
            | TranFn::TrRandom(a, s) => {
                a.clear_spans();
                s.clear_spans();
            }
            TranFn::Pwl {
                points,
                repeat,
                delay,
                span,
            } => {
                points.clear_spans();
                repeat.clear_spans();
                delay.clear_spans();
                span.clear_spans();
            }
        }
    }
}

impl ClearSpans for SourceSpec {
    fn clear_spans(&mut self) {
        self.dc.clear_spans();
        if let Some((m, p)) = &mut self.ac {
            m.clear_spans();
            p.clear_spans();
        }
        self.tran.clear_spans();
    }
}

impl ClearSpans for Element {
    fn clear_spans(&mut self) {
        self.name.clear_spans();
        self.span.clear_spans();
        match &mut self.kind {
            ElementKind::Resistor {
                nodes,
                value,
                model,
                params,
            }
            | ElementKind::Capacitor {
                nodes,
                value,
                model,
                params,
            }
            | ElementKind::Inductor {
                nodes,
                value,
                model,
                params,
            } => {
                nodes.clear_spans();
                value.clear_spans();
                model.clear_spans();
                params.clear_spans();
            }
            ElementKind::Mutual {
                inductors,
                coupling,
            } => {
                inductors.clear_spans();
                coupling.clear_spans();
            }
            ElementKind::VSource { nodes, spec } | ElementKind::ISource { nodes, spec } => {
                nodes.clear_spans();
                spec.clear_spans();
            }
            ElementKind::Vcvs { nodes, ctrl, gain } | ElementKind::Vccs { nodes, ctrl, gain } => {
                nodes.clear_spans();
                ctrl.clear_spans();
                gain.clear_spans();
            }
            ElementKind::Cccs { nodes, ctrl, gain } | ElementKind::Ccvs { nodes, ctrl, gain } => {
                nodes.clear_spans();
                ctrl.clear_spans();
                gain.clear_spans();
            }
            ElementKind::Behavioural {
                nodes,
                expr,
                params,
                ..
            } => {
                nodes.clear_spans();
                expr.clear_spans();
                params.clear_spans();
            }
            ElementKind::Diode {
                nodes,
                model,
                area,
                params,
                ..
            } => {
                nodes.clear_spans();
                model.clear_spans();
                area.clear_spans();
                params.clear_spans();
            }
            ElementKind::Subckt {
                nodes,
                subckt,
                params,
            } => {
                nodes.clear_spans();
                subckt.clear_spans();
                params.clear_spans();
            }
            ElementKind::General {
                dev_type,
                nodes,
                model,
                params,
            } => {
                dev_type.clear_spans();
                nodes.clear_spans();
                model.clear_spans();
                params.clear_spans();
            }
        }
    }
}
