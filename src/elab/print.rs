//! `.print` lines: check each item against the circuit, warn (never fail)
//! for what cannot be printed, and record the table and what it needs saved.

use super::{Elab, PrintSpec, SaveItem, Scope};
use crate::diag::{Diagnostic, Span};
use crate::expr::eval::{format_expr, substitute};
use crate::expr::{Expr, ExprKind};
use crate::netlist::ast::SaveStmt;

impl<'a> Elab<'a> {
    pub(super) fn print_stmt(&mut self, s: &SaveStmt, scope: &Scope<'a>) {
        let mut cols = Vec::new();
        for it in &s.items {
            match &it.kind {
                ExprKind::Ident(w) if w == "all" => self.print_all_nodes(it.span, &mut cols),
                ExprKind::Probe { func, args } if args.len() == 1 && args[0] == "*" => {
                    if func == "v" {
                        self.print_all_nodes(it.span, &mut cols);
                    } else {
                        self.print_all_branches(it.span, &mut cols);
                    }
                }
                ExprKind::Probe { func, .. } if func == "p" || func == "w" => {
                    self.warnings.push(Diagnostic::warning(
                        it.span,
                        format!(
                            "'.print {func}(…)' (device power) is not supported; column left out"
                        ),
                    ));
                }
                _ => {
                    if let Some(e) = self.print_item(it, scope) {
                        let label = match &it.kind {
                            ExprKind::Probe { .. } => format_expr(it),
                            _ => format!("{{{}}}", format_expr(it)),
                        };
                        cols.push((label, e));
                    }
                }
            }
        }
        self.prints.push(PrintSpec {
            analysis: s.analysis.as_ref().map(|a| a.name.clone()),
            cols,
            file: s.file.as_ref().map(|f| f.0.clone()),
            csv: s.csv,
        });
    }

    /// `V(*)`/`all`: every node voltage.
    fn print_all_nodes(&mut self, span: Span, cols: &mut Vec<(String, Expr)>) {
        for (i, n) in self.node_names.iter().enumerate().skip(1) {
            if n.contains('#') {
                continue;
            }
            let e = probe("v", vec![n.clone()], span);
            cols.push((format!("v({n})"), e));
            self.print_saves.push(SaveItem::Voltage {
                label: format!("v({n})"),
                a: i,
                b: 0,
            });
        }
    }

    /// `I(*)`: the current of every voltage source and inductor.
    fn print_all_branches(&mut self, span: Span, cols: &mut Vec<(String, Expr)>) {
        let mut names: Vec<(usize, String)> = self
            .device_index
            .iter()
            .filter(|(n, _)| n.starts_with('v') || n.starts_with('l'))
            .map(|(n, &k)| (k, n.clone()))
            .collect();
        names.sort();
        for (_, n) in names {
            cols.push((format!("i({n})"), probe("i", vec![n.clone()], span)));
            self.print_saves.push(SaveItem::Current {
                label: format!("i({n})"),
                device: n,
                span,
            });
        }
    }

    /// One item: every probe in it must name a node or device of the
    /// circuit; parameters are substituted. None (with a warning) otherwise.
    fn print_item(&mut self, it: &Expr, scope: &Scope<'a>) -> Option<Expr> {
        let mut missing: Option<(String, Span)> = None;
        let mut needs = Vec::new();
        it.for_each_probe(&mut |func, args, span| {
            if missing.is_some() {
                return;
            }
            match self.probe_save(func, args, span) {
                Ok(mut v) => needs.append(&mut v),
                Err(m) => missing = Some((m, span)),
            }
        });
        if let Some((m, span)) = missing {
            self.warnings.push(
                Diagnostic::warning(span, format!("'.print': {m}; column left out"))
                    .with_help("the analysis runs and the other columns are printed"),
            );
            return None;
        }
        match substitute(it, &self.env(scope), &["time", "frequency", "freq"]) {
            Ok(e) => {
                self.print_saves.append(&mut needs);
                Some(e)
            }
            Err(d) => {
                self.warnings
                    .push(d.into_warning().with_help("'.print' column left out"));
                None
            }
        }
    }

    /// What a probe needs saved, or why it cannot be printed.
    fn probe_save(&self, func: &str, args: &[String], span: Span) -> Result<Vec<SaveItem>, String> {
        let text = || format!("{func}({})", args.join(","));
        match func {
            "@" => Ok(vec![SaveItem::DeviceVar {
                label: format!("@{}[{}]", args[0], args.get(1).cloned().unwrap_or_default()),
                device: args[0].clone(),
                var: args.get(1).cloned().unwrap_or_default(),
                span,
            }]),
            f if f.starts_with('v') => {
                let mut v = Vec::new();
                for a in args {
                    let flat = if a == "gnd" { "0" } else { a.as_str() };
                    match self.node_index.get(flat) {
                        Some(&0) => {}
                        Some(&i) => v.push(SaveItem::Voltage {
                            label: format!("v({a})"),
                            a: i,
                            b: 0,
                        }),
                        None => return Err(format!("no node '{a}' in the circuit ({})", text())),
                    }
                }
                Ok(v)
            }
            _ => {
                let d = &args[0];
                if !self.device_index.contains_key(d) {
                    return Err(format!("no device '{d}' in the circuit ({})", text()));
                }
                Ok(vec![SaveItem::Current {
                    label: format!("i({d})"),
                    device: d.clone(),
                    span,
                }])
            }
        }
    }
}

fn probe(func: &str, args: Vec<String>, span: Span) -> Expr {
    Expr {
        kind: ExprKind::Probe {
            func: func.to_string(),
            args,
        },
        span,
    }
}
