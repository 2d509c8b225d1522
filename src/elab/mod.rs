//! Elaboration: AST → flat circuit.
//!
//! - Parameters: top-level `.param`s are evaluated lazily (any order, cycles
//!   reported); overrides from `--param` / `.step` win. A subcircuit instance
//!   gets a scope with the definition's defaults, overridden by the instance's
//!   values (evaluated in the parent scope), then its body's `.param`s in order.
//! - Subcircuits are flattened: internal nodes and devices are prefixed with
//!   the instance path (`x1.x2.n3`, `x1.r1`); ports map to the parent's nodes;
//!   `0`, `gnd` and `.global` nodes stay global. Recursion is an error.
//! - Nodes are numbered in order of first appearance (0 = ground).
//! - Devices are constructed here (each device file checks its parameters).
//! - Topology checks: every node needs a DC path to ground; no loop of voltage
//!   sources/inductors.

mod checks;
mod params;
mod print;
mod size;

use crate::analysis::ac::AcSpec;
use crate::analysis::dc::sweep_values;
use crate::analysis::hb::solve::Method as HbMethod;
use crate::analysis::hb::{HbOptions, HbSpec};
use crate::analysis::tran::TranSpec;
use crate::devices::controlled::{Control, Controlled};
use crate::devices::vsource::{SourceValues, VSource};
use crate::devices::waveform::{TranDefaults, Waveform};
use crate::devices::{self, Device, Instance, ModelCard, PValue};
use crate::diag::{Diagnostic, Span};
use crate::expr::eval::{eval, substitute};
use crate::expr::{Expr, ExprKind};
use crate::netlist::ast::*;
use crate::system::{Method, Options};
use num_complex::Complex64;
pub use params::McSample;
use params::{undefined_name, Globals, ScopeEnv};
use std::collections::{HashMap, HashSet};

/// An analysis with its arguments evaluated.
#[derive(Debug, Clone)]
pub enum AnalysisSpec {
    Op,
    /// Inner sweep first.
    Dc(Vec<DcSpec>),
    Ac(AcSpec),
    Tran(TranSpec),
    Hb(HbSpec),
}

#[derive(Debug, Clone)]
pub struct DcSpec {
    /// Swept device name and index into `Circuit::devices`.
    pub name: String,
    pub device: usize,
    pub values: Vec<f64>,
}

/// What to write (`.save` / `.print`).
#[derive(Debug, Clone, PartialEq)]
pub enum SaveItem {
    /// All node voltages and branch currents (the default).
    All,
    /// `v(a)` or `v(a,b)` (unknown indices; b = 0 for ground).
    Voltage { label: String, a: usize, b: usize },
    /// `i(dev)`.
    Current {
        label: String,
        device: String,
        span: Span,
    },
    /// `@dev[var]`.
    DeviceVar {
        label: String,
        device: String,
        var: String,
        span: Span,
    },
}

/// Option groups of Xyce (`.options TIMEINT method=gear`).
const XYCE_OPTION_GROUPS: [&str; 16] = [
    "timeint",
    "device",
    "nonlin",
    "nonlin-tran",
    "nonlin-hb",
    "output",
    "linsol",
    "restart",
    "diagnostic",
    "homotopy",
    "parser",
    "measure",
    "sensitivity",
    "loca",
    "circuit",
    "conparam",
];

/// `.print`: the analysis it belongs to (`tran`, `ac`, `dc`, `op`; None =
/// every analysis) and its columns (label, expression of probes with the
/// parameters substituted). Printed by `output::print::PrintSink`.
#[derive(Debug, Clone)]
pub struct PrintSpec {
    pub analysis: Option<String>,
    pub cols: Vec<(String, Expr)>,
    pub file: Option<String>,
    pub csv: bool,
}

/// `.step`: one swept name and its values.
#[derive(Debug, Clone)]
pub struct StepSpec {
    pub name: String,
    pub values: Vec<f64>,
    pub span: Span,
    pub kind: StepKind,
}

/// What a `.step` line sweeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepKind {
    /// A parameter, `temp` or a device value over `values`.
    Values,
    /// `.step mc N`: Monte Carlo samples 1…N (`name` is `mc`).
    Mc,
    /// `.step data=TABLE`: the rows of the table `name` (`values` empty
    /// until the table is read).
    Data,
}

/// The flat circuit.
pub struct Circuit {
    pub title: String,
    /// Names of unknowns 0..n_nodes (index 0 = "0").
    pub node_names: Vec<String>,
    pub devices: Vec<Box<dyn Device>>,
    /// Line of each device (for messages).
    pub device_spans: Vec<Span>,
    pub analyses: Vec<(AnalysisSpec, Span)>,
    pub options: Options,
    pub ic: Vec<(usize, f64)>,
    pub nodeset: Vec<(usize, f64)>,
    /// Empty = default (all nodes and branch currents).
    pub saves: Vec<SaveItem>,
    /// `.print` tables.
    pub prints: Vec<PrintSpec>,
    /// What the `.print` lines need saved beyond `saves`: added when the
    /// system can give it, else the column prints NaN (with a warning).
    pub print_saves: Vec<SaveItem>,
    pub measures: Vec<Measure>,
    pub steps: Vec<StepSpec>,
    /// Evaluated top-level parameters (for measures).
    pub params: HashMap<String, f64>,
    pub funcs: HashMap<String, FuncDef>,
    pub warnings: Vec<Diagnostic>,
    /// The first Monte Carlo function (`agauss` …) evaluated, if any.
    pub random_site: Option<Span>,
    /// `.options seed=N`: the seed of the Monte Carlo draws.
    pub seed: Option<u64>,
}

/// Elaborate the netlist with parameter `overrides` (from `--param`/`.step`).
/// Monte Carlo functions take their nominal values.
pub fn elaborate(nl: &Netlist, overrides: &[(String, f64)]) -> Result<Circuit, Vec<Diagnostic>> {
    elaborate_mc(nl, overrides, None)
}

/// [`elaborate`] as one sample of a Monte Carlo run (`agauss` & co. draw;
/// see [`params`] for which values share a draw).
pub fn elaborate_mc(
    nl: &Netlist,
    overrides: &[(String, f64)],
    mc: Option<McSample>,
) -> Result<Circuit, Vec<Diagnostic>> {
    let mut e = Elab::new(nl, overrides, mc);
    e.run();
    if e.errors.is_empty() {
        Ok(e.finish())
    } else {
        Err(e.errors)
    }
}

/// Walks the statements of the top level and of each subcircuit instance.
struct Scope<'a> {
    /// Instance path prefix ("" at top level, "x1." inside x1, …).
    prefix: String,
    params: HashMap<String, f64>,
    /// Port name → flattened node name.
    ports: HashMap<String, String>,
    subckts: HashMap<String, &'a SubcktDef>,
    models: HashMap<String, &'a ModelDef>,
    funcs: HashMap<String, &'a FuncDef>,
    /// Subcircuit names being instantiated (recursion check).
    chain: Vec<String>,
    /// Local parameters whose definition failed (already reported).
    failed: HashSet<String>,
    /// Multiplicity of this instance (`X1 … m=2`, product over the
    /// hierarchy): parallel copies, applied to the R, C, L and D inside.
    mult: f64,
}

/// A name used by an element that must exist once the whole circuit is
/// known (nodes and elements may be defined further down).
enum PendingRef {
    /// `v(node)` in a behavioural source (flattened node name).
    Node {
        owner: String,
        node: String,
        span: Span,
    },
    /// `i(dev)` in a behavioural source.
    Current {
        owner: String,
        device: String,
        span: Span,
    },
    /// The controlling source of F/H.
    Control {
        owner: String,
        device: String,
        span: Span,
    },
}

struct PendingK {
    name: String,
    span: Span,
    l: [String; 2],
    l_spans: [Span; 2],
    k: f64,
    k_span: Span,
}

struct Elab<'a> {
    nl: &'a Netlist,
    globals: Globals<'a>,
    global_nodes: HashSet<String>,
    node_names: Vec<String>,
    node_index: HashMap<String, usize>,
    /// Span of the first element that used each node.
    node_first: Vec<Span>,
    devices: Vec<Box<dyn Device>>,
    device_spans: Vec<Span>,
    device_index: HashMap<String, usize>,
    inductors: HashMap<String, f64>,
    pending_k: Vec<PendingK>,
    pending_refs: Vec<PendingRef>,
    /// Flattened names of subcircuit instances (`x1`, `x1.x2`).
    instances: HashSet<String>,
    errors: Vec<Diagnostic>,
    /// The same errors, to drop repeats in constant time.
    error_set: std::collections::HashSet<Diagnostic>,
    /// Sizes of subcircuit instances before flattening (`devices` limit).
    sizer: size::Sizer,
    warnings: Vec<Diagnostic>,
    options: Options,
    hb_opts: HbOptions,
    tran_defaults: TranDefaults,
    analyses: Vec<(AnalysisSpec, Span)>,
    ic: Vec<(usize, f64)>,
    nodeset: Vec<(usize, f64)>,
    saves: Vec<SaveItem>,
    prints: Vec<PrintSpec>,
    /// What the `.print` lines need saved (added to the saves at the end).
    print_saves: Vec<SaveItem>,
    measures: Vec<Measure>,
    steps: Vec<StepSpec>,
    /// The element whose line is being elaborated ("" outside elements).
    owner: String,
    /// `.options seed=N`.
    seed: Option<u64>,
}

/// `.options` names that belong to harmonic balance even without `hbint`.
const HB_OPTIONS: &[&str] = &[
    "intmodmax",
    "startupperiods",
    "oversample",
    "maxharmonics",
    "maxmemory",
];

fn flag(v: Option<&OptionValue>) -> bool {
    match v {
        None => true,
        Some(OptionValue::Expr(e)) => e.as_num().map(|x| x != 0.0).unwrap_or(true),
        Some(OptionValue::Word(w)) => !matches!(w.name.as_str(), "0" | "false" | "no" | "off"),
    }
}

impl<'a> Elab<'a> {
    fn new(nl: &'a Netlist, overrides: &[(String, f64)], mc: Option<McSample>) -> Elab<'a> {
        let mut globals = Globals::new(overrides, mc);
        let mut global_nodes = HashSet::new();
        let mut warnings = Vec::new();
        for st in &nl.statements {
            match st {
                Stmt::Param(list, _) => {
                    for p in list {
                        if globals.define(&p.name.name, &p.value) {
                            warnings.push(Diagnostic::warning(
                                p.name.span,
                                format!(
                                    "parameter '{}' redefined; the last definition is used",
                                    p.name.name
                                ),
                            ));
                        }
                    }
                }
                Stmt::Func(f) => globals.define_func(f),
                Stmt::Global(nodes, _) => {
                    for n in nodes {
                        global_nodes.insert(n.name.clone());
                    }
                }
                _ => {}
            }
        }
        let mut node_index = HashMap::new();
        node_index.insert("0".to_string(), 0);
        Elab {
            nl,
            globals,
            global_nodes,
            node_names: vec!["0".into()],
            node_index,
            node_first: vec![Span::default()],
            devices: Vec::new(),
            device_spans: Vec::new(),
            device_index: HashMap::new(),
            inductors: HashMap::new(),
            pending_k: Vec::new(),
            pending_refs: Vec::new(),
            instances: HashSet::new(),
            errors: Vec::new(),
            error_set: Default::default(),
            sizer: Default::default(),
            warnings,
            options: Options::default(),
            hb_opts: HbOptions::default(),
            tran_defaults: TranDefaults {
                tstep: 1e-9,
                tstop: 1e-6,
            },
            analyses: Vec::new(),
            ic: Vec::new(),
            nodeset: Vec::new(),
            saves: Vec::new(),
            prints: Vec::new(),
            print_saves: Vec::new(),
            measures: Vec::new(),
            steps: Vec::new(),
            owner: String::new(),
            seed: None,
        }
    }

    fn top_scope(&self) -> Scope<'a> {
        let mut s = Scope {
            prefix: String::new(),
            params: HashMap::new(),
            ports: HashMap::new(),
            subckts: HashMap::new(),
            models: HashMap::new(),
            funcs: HashMap::new(),
            chain: Vec::new(),
            failed: HashSet::new(),
            mult: 1.0,
        };
        for st in &self.nl.statements {
            match st {
                Stmt::Subckt(d) => {
                    s.subckts.insert(d.name.name.clone(), d);
                }
                Stmt::Model(m) => {
                    // a second `.model` of the same name: the first counts
                    // (ngspice), warned in `run`
                    s.models.entry(m.name.name.clone()).or_insert(m);
                }
                _ => {}
            }
        }
        s
    }

    fn run(&mut self) {
        let top = self.top_scope();
        for st in &self.nl.statements {
            if let Stmt::Model(m) = st {
                if !std::ptr::eq(top.models[&m.name.name], m) {
                    self.warnings.push(Diagnostic::warning(
                        m.name.span,
                        format!(
                            "model '{}' is defined again: the first definition is used (as ngspice)",
                            m.name.name
                        ),
                    ));
                }
            }
        }
        // Options and temperature first (devices depend on them), and the
        // .tran arguments (source defaults).
        for st in &self.nl.statements {
            match st {
                Stmt::Options(items, _) => self.options_stmt(items, &top),
                Stmt::Temp(v, span) => self.temp_stmt(v, *span, &top),
                Stmt::Analysis(a) if matches!(**a, Analysis::Tran { .. }) => {
                    let Analysis::Tran { tstep, tstop, .. } = &**a else {
                        continue;
                    };
                    if let (Some(a), Some(b)) = (self.eval(tstep, &top), self.eval(tstop, &top)) {
                        self.tran_defaults = TranDefaults { tstep: a, tstop: b };
                    }
                }
                _ => {}
            }
        }
        if let Some(t) = self.globals.override_value("temp") {
            self.options.temp = t;
        }
        self.body(&self.nl.statements, &top);
        self.resolve_mutuals();
        self.resolve_refs();
        // Circuit-level statements (need node numbers and devices).
        for st in &self.nl.statements {
            match st {
                Stmt::Analysis(a) => self.analysis(a, &top),
                Stmt::Ic(list, _) => {
                    let v = self.node_values(list, &top);
                    self.ic.extend(v);
                }
                Stmt::Nodeset(list, _) => {
                    let v = self.node_values(list, &top);
                    self.nodeset.extend(v);
                }
                Stmt::Save(s) if s.print => self.print_stmt(s, &top),
                Stmt::Save(s) => self.save(s),
                Stmt::Meas(m) => {
                    self.measure_probe_warnings(m);
                    self.measures.push((**m).clone())
                }
                Stmt::Step(s) => self.step(s, &top),
                // (a .control block was already warned about by the parser,
                // naming what it did not run)
                Stmt::Ignored { what, .. } if what == ".control" => {}
                Stmt::Ignored { what, span } => self.warnings.push(Diagnostic::warning(
                    *span,
                    format!("'{what}' is not supported and was ignored"),
                )),
                _ => {}
            }
        }
        if !self.print_saves.is_empty() && self.saves.is_empty() {
            // `.print` adds to what is saved (`print_saves`); without a
            // `.save` everything is still saved (the default).
            self.saves.push(SaveItem::All);
        }
        if self.errors.is_empty() {
            let mut floating = Vec::new();
            let mut errs = checks::topology(
                &self.node_names,
                &self.devices,
                &self.device_spans,
                &mut floating,
            );
            self.errors.append(&mut errs);
            self.gmin_to_ground(&floating);
        }
        for e in self.globals.take_errors() {
            self.push_err(e);
        }
    }

    fn finish(self) -> Circuit {
        let params = self.globals.evaluated();
        let funcs = self.globals.funcs_owned();
        let random_site = self.globals.random_site();
        Circuit {
            title: self.nl.title.clone(),
            node_names: self.node_names,
            devices: self.devices,
            device_spans: self.device_spans,
            analyses: self.analyses,
            options: self.options,
            ic: self.ic,
            nodeset: self.nodeset,
            saves: self.saves,
            prints: self.prints,
            print_saves: self.print_saves,
            measures: self.measures,
            steps: self.steps,
            params,
            funcs,
            warnings: self.warnings,
            random_site,
            seed: self.seed,
        }
    }

    // ------------------------------------------------------------- helpers

    fn env<'s>(&'s self, scope: &'s Scope<'a>) -> ScopeEnv<'s, 'a> {
        ScopeEnv {
            params: &scope.params,
            funcs: &scope.funcs,
            globals: &self.globals,
            owner: &self.owner,
        }
    }

    fn eval(&mut self, e: &Expr, scope: &Scope<'a>) -> Option<f64> {
        let r = eval(e, &self.env(scope));
        match r {
            Ok(v) => {
                self.take_param_errors();
                Some(v)
            }
            Err(d) => {
                self.report(d, scope);
                None
            }
        }
    }

    /// Record an evaluation error, after the errors of the parameters it
    /// evaluated on the way (so a root cause comes first). An "undefined
    /// parameter" error about a parameter whose own definition failed is a
    /// follow-up of that failure and is dropped.
    fn report(&mut self, d: Diagnostic, scope: &Scope<'a>) {
        self.take_param_errors();
        if let Some(n) = undefined_name(&d) {
            if !scope.params.contains_key(n) && (scope.failed.contains(n) || self.globals.failed(n))
            {
                return;
            }
        }
        self.push_err(d);
    }

    /// Move the errors of top-level parameters evaluated so far into the list.
    fn take_param_errors(&mut self) {
        for e in self.globals.take_errors() {
            self.push_err(e);
        }
    }

    fn push_err(&mut self, d: Diagnostic) {
        if self.error_set.insert(d.clone()) {
            self.errors.push(d);
        }
    }

    /// Flattened name of a node written in `scope`.
    fn node_name(&self, n: &str, scope: &Scope) -> String {
        if n == "0" || n == "gnd" {
            return "0".into();
        }
        if self.global_nodes.contains(n) {
            return n.to_string();
        }
        if let Some(p) = scope.ports.get(n) {
            return p.clone();
        }
        format!("{}{}", scope.prefix, n)
    }

    fn intern(&mut self, flat: String, span: Span) -> usize {
        if let Some(&i) = self.node_index.get(&flat) {
            return i;
        }
        let i = self.node_names.len();
        self.node_index.insert(flat.clone(), i);
        self.node_names.push(flat);
        self.node_first.push(span);
        i
    }

    fn node(&mut self, n: &Node, scope: &Scope, line: Span) -> usize {
        let flat = self.node_name(&n.name, scope);
        self.intern(flat, line)
    }

    fn lookup_model(&self, name: &str, scope: &Scope<'a>) -> Option<&'a ModelDef> {
        scope.models.get(name).copied()
    }

    fn model_card(&mut self, m: &ModelDef, scope: &Scope<'a>, words: bool) -> Option<ModelCard> {
        let mut params = Vec::new();
        for p in &m.params {
            let (value, word) = self.param_value(&p.value, scope, words)?;
            params.push(PValue {
                name: p.name.name.clone(),
                value,
                span: p.name.span.to(p.value.span),
                word,
            });
        }
        Some(ModelCard {
            name: m.name.name.clone(),
            kind: m.kind.name.clone(),
            params,
            span: m.span,
        })
    }

    /// Evaluate a parameter value. With `words` (general `Y` devices and
    /// their models), a bare name is also kept as a keyword (`torque=ll`);
    /// if it names no parameter its value is NaN and the device decides
    /// whether a keyword is allowed there.
    fn param_value(
        &mut self,
        e: &Expr,
        scope: &Scope<'a>,
        words: bool,
    ) -> Option<(f64, Option<String>)> {
        if words {
            if let ExprKind::Ident(w) = &e.kind {
                let v = eval(e, &self.env(scope)).unwrap_or(f64::NAN);
                return Some((v, Some(w.clone())));
            }
        }
        self.eval(e, scope).map(|v| (v, None))
    }

    fn pvalues(
        &mut self,
        list: &[ParamAssign],
        scope: &Scope<'a>,
        words: bool,
    ) -> Option<Vec<PValue>> {
        let mut out = Vec::new();
        let mut ok = true;
        for p in list {
            match self.param_value(&p.value, scope, words) {
                Some((value, word)) => out.push(PValue {
                    name: p.name.name.clone(),
                    value,
                    span: p.name.span.to(p.value.span),
                    word,
                }),
                None => ok = false,
            }
        }
        ok.then_some(out)
    }

    fn add_device(&mut self, dev: Result<Box<dyn Device>, Diagnostic>, span: Span) {
        match dev {
            Ok(d) => {
                let name = d.name().to_string();
                if let Some(&prev) = self.device_index.get(&name) {
                    let _ = prev;
                    self.push_err(Diagnostic::error(span, format!("duplicate element name '{name}'")).with_help(
                        "another element with this name was defined earlier; element names must be unique",
                    ));
                    return;
                }
                self.device_index.insert(name, self.devices.len());
                self.devices.push(d);
                self.device_spans.push(span);
            }
            Err(e) => self.push_err(e),
        }
    }

    // ------------------------------------------------------------- statements

    fn body(&mut self, stmts: &'a [Stmt], scope: &Scope<'a>) {
        for st in stmts {
            if let Stmt::Element(el) = st {
                self.element(el, scope);
            }
        }
    }

    /// A B element (also an R whose value depends on `time` or on circuit
    /// quantities: I = v(n+, n−)/R(…), as ngspice turns it into one).
    #[allow(clippy::too_many_arguments)]
    fn behavioural(
        &mut self,
        name: String,
        line: Span,
        nodes: &[Node; 2],
        output: BOutput,
        expr: &Expr,
        params: &[ParamAssign],
        scope: &Scope<'a>,
    ) {
        let ns = [
            self.node(&nodes[0], scope, line),
            self.node(&nodes[1], scope, line),
        ];
        let Some(mut ps) = self.pvalues(params, scope, false) else {
            return;
        };
        // `m=` (parallel copies) multiplies a current output
        let mut mult = scope.mult;
        if let Some(k) = ps.iter().position(|p| p.name == "m") {
            let p = ps.remove(k);
            if output == BOutput::Voltage {
                self.warnings.push(Diagnostic::warning(
                    p.span,
                    format!("m= of '{name}' (a voltage output) has no meaning and is ignored"),
                ));
            } else {
                mult *= p.value;
            }
        }
        let scaled;
        let expr = if mult != 1.0 && output == BOutput::Current {
            scaled = Expr {
                kind: ExprKind::Binary(
                    crate::expr::BinOp::Mul,
                    Box::new(Expr::num(mult, expr.span)),
                    Box::new(expr.clone()),
                ),
                span: expr.span,
            };
            &scaled
        } else {
            expr
        };
        let env = self.env(scope);
        let sub = substitute(expr, &env, &["time", "temper"]);
        let sub = match sub {
            Ok(s) => s,
            Err(d) => {
                self.report(d, scope);
                return;
            }
        };
        let mapped = self.map_probes(&sub, scope);
        // `k·ddt(q)` terms are a charge (expr::ddt)
        let (mapped, charge) = match crate::expr::ddt::split(&mapped) {
            Ok(s) => s,
            Err(d) => {
                self.report(d, scope);
                return;
            }
        };
        // the nodes a DC current depends on (not those of the charge)
        let mut ctrl = Vec::new();
        mapped.for_each_probe(&mut |f, args, _| {
            if f == "v" {
                ctrl.extend(args.iter().filter_map(|a| self.node_index.get(a).copied()));
            }
        });
        let mut refs = Vec::new();
        let mut check = |f: &str, args: &[String], span| {
            if f == "v" {
                refs.extend(args.iter().map(|a| PendingRef::Node {
                    owner: name.clone(),
                    node: a.clone(),
                    span,
                }));
            } else if f == "i" && args.len() == 1 {
                refs.push(PendingRef::Current {
                    owner: name.clone(),
                    device: args[0].clone(),
                    span,
                });
            }
        };
        mapped.for_each_probe(&mut check);
        if let Some(q) = &charge {
            q.for_each_probe(&mut check);
        }
        self.pending_refs.append(&mut refs);
        let dev = devices::behavioural::Behavioural::new(
            name, line, ns, output, mapped, ps, ctrl, charge,
        )
        .map(|d| Box::new(d) as Box<dyn Device>);
        self.add_device(dev, line);
    }

    /// A node with no DC path to ground (joined only by capacitors or
    /// current sources) gets gmin to ground, as ngspice's matrix does, with a
    /// warning: the DC solution then defines its voltage (0 for a node fed by
    /// nothing, else what gmin makes of the current into it).
    fn gmin_to_ground(&mut self, floating: &[usize]) {
        let gmin = self.options.gmin;
        for &i in floating {
            let span = self.node_first[i];
            self.warnings.push(
                Diagnostic::warning(
                    span,
                    format!(
                        "node '{}' has no DC path to ground: joined to ground by gmin ({gmin:e} S)",
                        self.node_names[i]
                    ),
                )
                .with_help("a node joined only by capacitors or current sources floats in DC"),
            );
            let inst = Instance {
                name: format!("gmin#{}", self.node_names[i]),
                span,
                nodes: vec![i, 0],
                value: Some((1.0 / gmin, span)),
                params: Vec::new(),
                model: None,
                temp: self.options.temp,
                tnom: self.options.tnom,
            };
            let dev = devices::resistor::Resistor::from_instance(&inst)
                .map(|d| Box::new(d) as Box<dyn Device>);
            self.add_device(dev, span);
        }
    }

    /// What a resistor line asks that is done differently here (ngspice's
    /// behaviour, said once per element).
    fn resistor_warnings(&mut self, inst: &Instance) {
        if let Some((r, span)) = inst.value.filter(|(r, _)| *r == 0.0) {
            self.warnings.push(Diagnostic::warning(
                span,
                format!(
                    "resistance of '{}' is {r}: set to {} Ω (as ngspice does)",
                    inst.name,
                    devices::resistor::ZERO_R
                ),
            ));
        }
        if inst.instance_param("ac").is_some() {
            self.warnings.push(Diagnostic::warning(
                inst.param_span("ac"),
                format!(
                    "'ac=' of '{}' (ngspice: the resistance in .ac only) is not supported: the DC value is used in every analysis",
                    inst.name
                ),
            ));
        }
    }

    /// Whether a value depends on `time` or a circuit quantity (`v(…)`,
    /// `i(…)`): not a constant once the parameters are substituted.
    fn depends_on_circuit(&self, e: &Expr, scope: &Scope<'a>) -> bool {
        matches!(substitute(e, &self.env(scope), &["time"]), Ok(s) if s.as_num().is_none())
    }

    /// One element line; its values (and those of a subcircuit instance's
    /// parameters) belong to the element for the Monte Carlo draws.
    fn element(&mut self, el: &'a Element, scope: &Scope<'a>) {
        let outer = std::mem::replace(&mut self.owner, format!("{}{}", scope.prefix, el.name.name));
        self.element_line(el, scope);
        self.owner = outer;
    }

    fn element_line(&mut self, el: &'a Element, scope: &Scope<'a>) {
        let name = format!("{}{}", scope.prefix, el.name.name);
        let line = el.span;
        let (temp, tnom) = (self.options.temp, self.options.tnom);
        match &el.kind {
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
                if let (ElementKind::Resistor { .. }, Some(e)) = (&el.kind, value) {
                    if model.is_none() && self.depends_on_circuit(e, scope) {
                        let b = resistor_as_current(nodes, e);
                        return self.behavioural(
                            name,
                            line,
                            nodes,
                            BOutput::Current,
                            &b,
                            params,
                            scope,
                        );
                    }
                }
                let ns = vec![
                    self.node(&nodes[0], scope, line),
                    self.node(&nodes[1], scope, line),
                ];
                let mut v = match value {
                    Some(e) => match self.eval(e, scope) {
                        Some(v) => Some((v, e.span)),
                        None => return,
                    },
                    None => None,
                };
                // `R1 a b rval` with `.param rval=2k` and no model `rval`: the
                // word is the value (ngspice reads a bare parameter name so)
                let mut model = model.as_ref();
                if let (None, Some(m)) = (v, model) {
                    if self.lookup_model(&m.name, scope).is_none() {
                        let e = Expr {
                            kind: ExprKind::Ident(m.name.clone()),
                            span: m.span,
                        };
                        if let Ok(x) = eval(&e, &self.env(scope)) {
                            v = Some((x, m.span));
                            model = None;
                        }
                    }
                }
                let Some(mut ps) = self.pvalues(params, scope, false) else {
                    return;
                };
                apply_mult(&mut ps, scope.mult, line);
                let (what, letter, kinds): (&str, &str, &[&str]) = match &el.kind {
                    ElementKind::Resistor { .. } => ("resistor", "R", &["r", "res"]),
                    ElementKind::Capacitor { .. } => ("capacitor", "C", &["c"]),
                    _ => ("inductor", "L", &["l"]),
                };
                let card = match model {
                    Some(m) => match self.lookup_model(&m.name, scope) {
                        Some(md) => match self.model_card(md, scope, false) {
                            Some(c) if kinds.contains(&c.kind.as_str()) => Some(c),
                            Some(c) => {
                                self.push_err(Diagnostic::error(
                                    m.span,
                                    format!(
                                        "model '{}' has type '{}', but {what} '{name}' needs a type {letter} model",
                                        c.name, c.kind
                                    ),
                                ));
                                return;
                            }
                            None => return,
                        },
                        None => {
                            self.push_err(Diagnostic::error(
                                m.span,
                                format!("unknown model '{}'", m.name),
                            ));
                            return;
                        }
                    },
                    None => None,
                };
                let inst = Instance {
                    name: name.clone(),
                    span: line,
                    nodes: ns,
                    value: v,
                    params: ps,
                    model: card.as_ref(),
                    temp,
                    tnom,
                };
                if let ElementKind::Resistor { .. } = &el.kind {
                    self.resistor_warnings(&inst);
                }
                let dev: Result<Box<dyn Device>, Diagnostic> = match &el.kind {
                    ElementKind::Resistor { .. } => {
                        devices::resistor::Resistor::from_instance(&inst)
                            .map(|d| Box::new(d) as Box<dyn Device>)
                    }
                    ElementKind::Capacitor { .. } => {
                        devices::capacitor::Capacitor::from_instance(&inst)
                            .map(|d| Box::new(d) as Box<dyn Device>)
                    }
                    _ => devices::inductor::Inductor::from_instance(&inst).map(|d| {
                        self.inductors.insert(name.clone(), d.ind);
                        Box::new(d) as Box<dyn Device>
                    }),
                };
                self.add_device(dev, line);
            }
            ElementKind::Mutual {
                inductors,
                coupling,
            } => {
                let Some(k) = self.eval(coupling, scope) else {
                    return;
                };
                self.pending_k.push(PendingK {
                    name,
                    span: line,
                    l: [
                        format!("{}{}", scope.prefix, inductors[0].name),
                        format!("{}{}", scope.prefix, inductors[1].name),
                    ],
                    l_spans: [inductors[0].span, inductors[1].span],
                    k,
                    k_span: coupling.span,
                });
            }
            ElementKind::VSource { nodes, spec } | ElementKind::ISource { nodes, spec } => {
                let ns = vec![
                    self.node(&nodes[0], scope, line),
                    self.node(&nodes[1], scope, line),
                ];
                let Some(src) = self.source_values(spec, &name, scope) else {
                    return;
                };
                let inst = Instance {
                    name: name.clone(),
                    span: line,
                    nodes: ns,
                    value: None,
                    params: Vec::new(),
                    model: None,
                    temp,
                    tnom,
                };
                let dev: Result<Box<dyn Device>, Diagnostic> =
                    if matches!(el.kind, ElementKind::VSource { .. }) {
                        VSource::new(&inst, src).map(|d| Box::new(d) as Box<dyn Device>)
                    } else {
                        devices::isource::ISource::new(&inst, src)
                            .map(|d| Box::new(d) as Box<dyn Device>)
                    };
                self.add_device(dev, line);
            }
            ElementKind::Vcvs { nodes, ctrl, gain } | ElementKind::Vccs { nodes, ctrl, gain } => {
                let out = [
                    self.node(&nodes[0], scope, line),
                    self.node(&nodes[1], scope, line),
                ];
                let c = Control::Voltage(
                    self.node(&ctrl[0], scope, line),
                    self.node(&ctrl[1], scope, line),
                );
                let Some(g) = self.eval(gain, scope) else {
                    return;
                };
                let letter = if matches!(el.kind, ElementKind::Vcvs { .. }) {
                    'e'
                } else {
                    'g'
                };
                let dev = Controlled::new(name, line, out, letter, c, g, gain.span)
                    .map(|d| Box::new(d) as Box<dyn Device>);
                self.add_device(dev, line);
            }
            ElementKind::Cccs { nodes, ctrl, gain } | ElementKind::Ccvs { nodes, ctrl, gain } => {
                let out = [
                    self.node(&nodes[0], scope, line),
                    self.node(&nodes[1], scope, line),
                ];
                let flat = format!("{}{}", scope.prefix, ctrl.name);
                self.pending_refs.push(PendingRef::Control {
                    owner: name.clone(),
                    device: flat.clone(),
                    span: ctrl.span,
                });
                let c = Control::Current(flat);
                let Some(g) = self.eval(gain, scope) else {
                    return;
                };
                let letter = if matches!(el.kind, ElementKind::Cccs { .. }) {
                    'f'
                } else {
                    'h'
                };
                let dev = Controlled::new(name, line, out, letter, c, g, gain.span)
                    .map(|d| Box::new(d) as Box<dyn Device>);
                self.add_device(dev, line);
            }
            ElementKind::Behavioural {
                nodes,
                output,
                expr,
                params,
            } => self.behavioural(name, line, nodes, *output, expr, params, scope),
            ElementKind::Diode {
                nodes,
                model,
                area,
                off,
                params,
            } => {
                let ns = vec![
                    self.node(&nodes[0], scope, line),
                    self.node(&nodes[1], scope, line),
                ];
                let a = match area {
                    Some(e) => match self.eval(e, scope) {
                        Some(v) => Some((v, e.span)),
                        None => return,
                    },
                    None => None,
                };
                let Some(mut ps) = self.pvalues(params, scope, false) else {
                    return;
                };
                apply_mult(&mut ps, scope.mult, line);
                if *off {
                    ps.push(PValue {
                        name: "off".into(),
                        value: 1.0,
                        span: line,
                        word: None,
                    });
                }
                let Some(md) = self.lookup_model(&model.name, scope) else {
                    self.push_err(Diagnostic::error(
                        model.span,
                        format!("unknown model '{}'", model.name),
                    ));
                    return;
                };
                let Some(card) = self.model_card(md, scope, false) else {
                    return;
                };
                if card.kind != "d" {
                    self.push_err(Diagnostic::error(
                        model.span,
                        format!(
                            "model '{}' has type '{}', but diode '{}' needs a type D model",
                            card.name, card.kind, name
                        ),
                    ));
                    return;
                }
                if let Some(pv) = card
                    .params
                    .iter()
                    .find(|p| p.name == "isr" || p.name == "nr")
                {
                    let msg = format!(
                        "model '{}': ISR/NR (recombination current) is not modelled, as in ngspice",
                        card.name
                    );
                    if !self.warnings.iter().any(|w| w.message == msg) {
                        self.warnings.push(Diagnostic::warning(pv.span, msg));
                    }
                }
                let inst = Instance {
                    name: name.clone(),
                    span: line,
                    nodes: ns,
                    value: a,
                    params: ps,
                    model: Some(&card),
                    temp,
                    tnom,
                };
                let dev = devices::diode::Diode::from_instance(&inst)
                    .map(|d| Box::new(d) as Box<dyn Device>);
                self.add_device(dev, line);
            }
            ElementKind::Subckt {
                nodes,
                subckt,
                params,
            } => self.instance(el, &name, nodes, subckt, params, scope),
            ElementKind::General {
                dev_type,
                nodes,
                model,
                params,
            } => {
                let ns: Vec<usize> = nodes.iter().map(|n| self.node(n, scope, line)).collect();
                let Some(ps) = self.pvalues(params, scope, true) else {
                    return;
                };
                let Some(md) = self.lookup_model(&model.name, scope) else {
                    self.push_err(Diagnostic::error(
                        model.span,
                        format!("unknown model '{}'", model.name),
                    ));
                    return;
                };
                let Some(card) = self.model_card(md, scope, true) else {
                    return;
                };
                let inst = Instance {
                    name: name.clone(),
                    span: line,
                    nodes: ns,
                    value: None,
                    params: ps,
                    model: Some(&card),
                    temp,
                    tnom,
                };
                let dev = devices::general(&dev_type.name, dev_type.span, &inst);
                self.add_device(dev, line);
            }
        }
    }

    /// Bounds on the flattening (`crate::limits`): instances nested at most
    /// `depth` deep, and a top-level instance refused before it is built if
    /// it would bring the devices over `devices`.
    fn instance_size_ok(&mut self, el: &Element, def: &'a SubcktDef, scope: &Scope<'a>) -> bool {
        let lim = crate::limits::get();
        if scope.chain.len() >= lim.hierarchy {
            self.push_err(Diagnostic::error(
                el.span,
                format!(
                    "subcircuit instances nested more than {} deep (from '{}' down to '{}'); {}",
                    lim.hierarchy,
                    scope.chain[0],
                    def.name.name,
                    crate::limits::lift("hierarchy", lim.hierarchy as f64)
                ),
            ));
            return false;
        }
        if !scope.chain.is_empty() {
            return true; // counted with its top-level instance
        }
        let subs = &scope.subckts;
        let size = self
            .sizer
            .size(def, &|n: &str| subs.get(n).copied(), lim.hierarchy);
        if size.is_infinite() {
            self.push_err(Diagnostic::error(
                el.span,
                format!(
                    "'{}': subcircuit instances nested more than {} deep below '{}'; {}",
                    el.name.name,
                    lim.hierarchy,
                    def.name.name,
                    crate::limits::lift("hierarchy", lim.hierarchy as f64)
                ),
            ));
            return false;
        }
        let total = self.devices.len() as f64 + size;
        if total > lim.devices {
            self.push_err(Diagnostic::error(
                el.span,
                format!(
                    "'{}' expands into {size:.3e} devices (subcircuit '{}' with the instances inside it); {}",
                    el.name.name,
                    def.name.name,
                    crate::limits::lift("devices", lim.devices)
                ),
            ));
            return false;
        }
        true
    }

    fn instance(
        &mut self,
        el: &'a Element,
        name: &str,
        nodes: &[Node],
        subckt: &Ident,
        params: &[ParamAssign],
        scope: &Scope<'a>,
    ) {
        if !self.instances.insert(name.to_string()) {
            self.push_err(
                Diagnostic::error(el.span, format!("duplicate element name '{name}'")).with_help(
                    "another subcircuit instance with this name was defined earlier; element names must be unique",
                ),
            );
            return;
        }
        let Some(def) = scope.subckts.get(&subckt.name).copied() else {
            self.push_err(Diagnostic::error(
                subckt.span,
                format!("unknown subcircuit '{}'", subckt.name),
            ));
            return;
        };
        if scope.chain.contains(&def.name.name) {
            let mut chain = scope.chain.clone();
            chain.push(def.name.name.clone());
            self.push_err(Diagnostic::error(
                subckt.span,
                format!("recursive subcircuit instantiation: {}", chain.join(" → ")),
            ));
            return;
        }
        if !self.instance_size_ok(el, def, scope) {
            return;
        }
        if nodes.len() != def.ports.len() {
            self.push_err(
                Diagnostic::error(
                    el.span,
                    format!(
                        "'{}' connects {} node(s) but subcircuit '{}' has {} port(s)",
                        el.name.name,
                        nodes.len(),
                        def.name.name,
                        def.ports.len()
                    ),
                )
                .with_help(format!(
                    "ports of '{}': {}",
                    def.name.name,
                    def.ports
                        .iter()
                        .map(|p| p.name.as_str())
                        .collect::<Vec<_>>()
                        .join(" ")
                )),
            );
            return;
        }
        let mut inner = Scope {
            prefix: format!("{name}."),
            params: HashMap::new(),
            ports: HashMap::new(),
            subckts: scope.subckts.clone(),
            models: scope.models.clone(),
            funcs: scope.funcs.clone(),
            chain: scope.chain.clone(),
            failed: HashSet::new(),
            mult: scope.mult,
        };
        inner.chain.push(def.name.name.clone());
        for (port, n) in def.ports.iter().zip(nodes) {
            let flat = self.node_name(&n.name, scope);
            self.intern(flat.clone(), el.span);
            inner.ports.insert(port.name.clone(), flat);
        }
        // Instance values, evaluated in the parent scope: the declared
        // parameters, a `.param` of the body (overridden, as in ngspice), or
        // `m` (parallel copies).
        let mut given = HashMap::new();
        let body_param = |n: &str| {
            def.body.iter().any(
                |st| matches!(st, Stmt::Param(list, _) if list.iter().any(|p| p.name.name == n)),
            )
        };
        for p in params {
            let declared = def.params.iter().any(|d| d.name.name == p.name.name);
            if p.name.name == "m" && !declared && !body_param("m") {
                if let Some(m) = self.eval(&p.value, scope) {
                    if m > 0.0 && m.is_finite() {
                        inner.mult *= m;
                        self.mult_warning(def, el.span, name);
                    } else {
                        self.push_err(Diagnostic::error(
                            p.value.span,
                            format!("m of '{name}' must be positive (got {m})"),
                        ));
                    }
                }
                continue;
            }
            if !declared && !body_param(&p.name.name) {
                self.warnings.push(Diagnostic::warning(
                    p.name.span,
                    format!(
                        "subcircuit '{}' has no parameter '{}': ignored",
                        def.name.name, p.name.name
                    ),
                ));
                continue;
            }
            // evaluated in the parent scope, where the values given before
            // on the same line are also visible (`a=2 b='a+1'`, Xyce)
            let v = if given.is_empty() {
                self.eval(&p.value, scope)
            } else {
                let mut local = scope.params.clone();
                local.extend(given.iter().map(|(k, v): (&String, &f64)| (k.clone(), *v)));
                let env = ScopeEnv {
                    params: &local,
                    funcs: &scope.funcs,
                    globals: &self.globals,
                    owner: &self.owner,
                };
                match eval(&p.value, &env) {
                    Ok(v) => Some(v),
                    Err(d) => {
                        self.report(d, scope);
                        None
                    }
                }
            };
            if let Some(v) = v {
                given.insert(p.name.name.clone(), v);
            }
        }
        // Defaults in order (may use earlier ones), overridden by the instance.
        for d in &def.params {
            let v = match given.get(&d.name.name) {
                Some(&v) => Some(v),
                None => self.eval(&d.value, &inner),
            };
            match v {
                Some(v) => {
                    inner.params.insert(d.name.name.clone(), v);
                }
                None => {
                    inner.failed.insert(d.name.name.clone());
                }
            }
        }
        // Local definitions (of two local models of one name the first
        // counts, as at the top level; a local one hides the parent's).
        let mut local_models: HashMap<String, &'a ModelDef> = HashMap::new();
        for st in &def.body {
            match st {
                Stmt::Subckt(s) => {
                    inner.subckts.insert(s.name.name.clone(), s);
                }
                Stmt::Model(m) => {
                    local_models.entry(m.name.name.clone()).or_insert(m);
                }
                Stmt::Func(f) => {
                    inner.funcs.insert(f.name.name.clone(), f);
                }
                _ => {}
            }
        }
        inner.models.extend(local_models);
        for st in &def.body {
            if let Stmt::Param(list, _) = st {
                for p in list {
                    if let Some(&v) = given.get(&p.name.name) {
                        inner.params.insert(p.name.name.clone(), v);
                        continue;
                    }
                    match self.eval(&p.value, &inner) {
                        Some(v) => {
                            inner.params.insert(p.name.name.clone(), v);
                        }
                        None => {
                            inner.failed.insert(p.name.name.clone());
                        }
                    }
                }
            }
        }
        self.body(&def.body, &inner);
        for st in &def.body {
            match st {
                Stmt::Element(_)
                | Stmt::Subckt(_)
                | Stmt::Model(_)
                | Stmt::Func(_)
                | Stmt::Param(..) => {}
                // node names local to the instance (`x1.mid`), as ngspice
                Stmt::Ic(list, _) => {
                    let v = self.node_values(list, &inner);
                    self.ic.extend(v);
                }
                Stmt::Nodeset(list, _) => {
                    let v = self.node_values(list, &inner);
                    self.nodeset.extend(v);
                }
                other => self.push_err(Diagnostic::error(
                    stmt_span(other),
                    "this statement is not allowed inside a subcircuit",
                )),
            }
        }
    }

    /// `m=` on an instance applies to the R, C, L and D inside (and nested
    /// instances); other elements are named once as not multiplied.
    fn mult_warning(&mut self, def: &SubcktDef, span: Span, name: &str) {
        let mut other: Vec<String> = Vec::new();
        for st in &def.body {
            if let Stmt::Element(e) = st {
                let ok = matches!(
                    e.kind,
                    ElementKind::Resistor { .. }
                        | ElementKind::Capacitor { .. }
                        | ElementKind::Inductor { .. }
                        | ElementKind::Diode { .. }
                        | ElementKind::Subckt { .. }
                );
                if !ok {
                    other.push(e.name.name.clone());
                }
            }
        }
        if !other.is_empty() {
            self.warnings.push(Diagnostic::warning(
                span,
                format!(
                    "m= of '{name}' is applied to its R, C, L and D only, not to: {}",
                    other.join(", ")
                ),
            ));
        }
    }

    /// Rewrite probe arguments written in `scope` to flattened names.
    fn map_probes(&self, e: &Expr, scope: &Scope) -> Expr {
        let mut out = e.clone();
        self.map_probes_mut(&mut out, scope);
        out
    }

    fn map_probes_mut(&self, e: &mut Expr, scope: &Scope) {
        match &mut e.kind {
            ExprKind::Probe { func, args } => {
                if func.starts_with('v') {
                    for a in args.iter_mut() {
                        *a = self.node_name(a, scope);
                    }
                } else if let Some(a) = args.first_mut() {
                    *a = format!("{}{}", scope.prefix, a);
                }
            }
            ExprKind::Call(_, a) => a.iter_mut().for_each(|x| self.map_probes_mut(x, scope)),
            ExprKind::Unary(_, a) => self.map_probes_mut(a, scope),
            ExprKind::Binary(_, a, b) => {
                self.map_probes_mut(a, scope);
                self.map_probes_mut(b, scope);
            }
            ExprKind::Ternary(c, a, b) => {
                self.map_probes_mut(c, scope);
                self.map_probes_mut(a, scope);
                self.map_probes_mut(b, scope);
            }
            ExprKind::Num(_) | ExprKind::Ident(_) => {}
        }
    }

    /// The values of source `name` (its full name keys random waveforms).
    fn source_values(
        &mut self,
        spec: &SourceSpec,
        name: &str,
        scope: &Scope<'a>,
    ) -> Option<SourceValues> {
        let dc = match &spec.dc {
            Some(e) => Some(self.eval(e, scope)?),
            None => None,
        };
        let ac = match &spec.ac {
            Some((m, p)) => {
                let mag = self.eval(m, scope)?;
                let ph = match p {
                    Some(p) => self.eval(p, scope)?,
                    None => 0.0,
                };
                Complex64::from_polar(mag, ph.to_radians())
            }
            None => Complex64::default(),
        };
        let wave = match &spec.tran {
            Some(f) => {
                let d = self.tran_defaults;
                let env = self.env(scope);
                let mut ev = |e: &Expr| eval(e, &env);
                match Waveform::from_ast(f, &mut ev, d) {
                    Ok(w) => Some(w.with_key(self.globals.source_key(self.seed, name))),
                    Err(e) => {
                        self.report(e, scope);
                        return None;
                    }
                }
            }
            None => None,
        };
        Some(SourceValues { dc, ac, wave })
    }

    fn resolve_mutuals(&mut self) {
        let pending = std::mem::take(&mut self.pending_k);
        for k in pending {
            let mut vals = [0.0; 2];
            let mut ok = true;
            for (j, val) in vals.iter_mut().enumerate() {
                match self.inductors.get(&k.l[j]) {
                    Some(&v) => *val = v,
                    None => {
                        let why = if self.device_index.contains_key(&k.l[j]) {
                            "is not an inductor"
                        } else {
                            "does not exist"
                        };
                        self.push_err(Diagnostic::error(
                            k.l_spans[j],
                            format!("'{}' couples '{}', which {why}", k.name, k.l[j]),
                        ));
                        ok = false;
                    }
                }
            }
            if ok {
                let dev = devices::mutual::Mutual::new(
                    k.name.clone(),
                    k.span,
                    k.l.clone(),
                    vals,
                    k.k,
                    k.k_span,
                )
                .map(|d| Box::new(d) as Box<dyn Device>);
                self.add_device(dev, k.span);
            }
        }
    }

    /// Check the names recorded in `pending_refs` now that every node and
    /// element is known (the same checks the system build makes, so that
    /// `check` reports them).
    fn resolve_refs(&mut self) {
        for r in std::mem::take(&mut self.pending_refs) {
            match r {
                PendingRef::Node { owner, node, span } => {
                    if node != "0" && !self.node_index.contains_key(&node) {
                        self.push_err(Diagnostic::error(
                            span,
                            format!("'{owner}' refers to unknown node '{node}'"),
                        ));
                    }
                }
                PendingRef::Current {
                    owner,
                    device,
                    span,
                } => {
                    if !self.device_index.contains_key(&device) {
                        self.push_err(Diagnostic::error(
                            span,
                            format!("'{owner}' uses i({device}), which does not exist"),
                        ));
                    }
                }
                PendingRef::Control {
                    owner,
                    device,
                    span,
                } => {
                    if !self.device_index.contains_key(&device) {
                        self.push_err(Diagnostic::error(
                            span,
                            format!("controlling device '{device}' of '{owner}' does not exist"),
                        ));
                    }
                }
            }
        }
    }

    fn options_stmt(&mut self, items: &[OptionItem], scope: &Scope<'a>) {
        // Xyce option groups: `.options hbint numfreq=8` scopes the names
        // after the group word (harmonic balance); other groups are mapped
        // where they mean something here
        let mut group = "";
        if let Some(first) = items.first().filter(|f| f.value.is_none()) {
            if first.name.name != "hbint" && XYCE_OPTION_GROUPS.contains(&first.name.name.as_str())
            {
                return self.xyce_options(&first.name, &items[1..], scope);
            }
        }
        for it in items {
            let name = it.name.name.as_str();
            if it.value.is_none() && name == "hbint" {
                group = name;
                continue;
            }
            if group == "hbint" || HB_OPTIONS.contains(&name) || name.starts_with("numfreq") {
                self.hb_option(it, scope);
                continue;
            }
            let num = |me: &mut Self| -> Option<f64> {
                match &it.value {
                    Some(OptionValue::Expr(e)) => me.eval(e, scope),
                    _ => {
                        me.push_err(Diagnostic::error(
                            it.name.span,
                            format!("option '{name}' needs a numeric value"),
                        ));
                        None
                    }
                }
            };
            match name {
                "reltol" | "abstol" | "vntol" | "chgtol" | "trtol" | "gmin" | "temp" | "tnom"
                | "minstep" => {
                    let Some(v) = num(self) else { continue };
                    if !(v.is_finite() && (v > 0.0 || matches!(name, "temp" | "tnom"))) {
                        self.push_err(Diagnostic::error(
                            it.name.span,
                            format!("option '{name}' must be positive (got {v})"),
                        ));
                        continue;
                    }
                    let o = &mut self.options;
                    match name {
                        "reltol" => o.reltol = v,
                        "abstol" => o.abstol = v,
                        "vntol" => o.vntol = v,
                        "chgtol" => o.chgtol = v,
                        "trtol" => o.trtol = v,
                        "gmin" => o.gmin = v,
                        "temp" => o.temp = v,
                        "tnom" => o.tnom = v,
                        _ => o.minstep = v,
                    }
                }
                "itl1" | "itl2" | "itl4" | "maxord" | "gminsteps" | "srcsteps" => {
                    let Some(v) = num(self) else { continue };
                    if !(v.is_finite() && v >= 1.0) {
                        self.push_err(Diagnostic::error(
                            it.name.span,
                            format!("option '{name}' must be ≥ 1 (got {v})"),
                        ));
                        continue;
                    }
                    // Iteration and step counts multiply into the run time
                    // of a circuit that does not converge: bounded.
                    if v > 1e5 {
                        self.push_err(Diagnostic::error(
                            it.name.span,
                            format!("option '{name}' = {v:e} is more than 1e5"),
                        ));
                        continue;
                    }
                    let v = v as usize;
                    let o = &mut self.options;
                    match name {
                        "itl1" => o.itl1 = v,
                        "itl2" => o.itl2 = v,
                        "itl4" => o.itl4 = v,
                        "maxord" => o.maxord = v.min(2),
                        "gminsteps" => o.gminsteps = v,
                        _ => o.srcsteps = v,
                    }
                }
                "method" => match &it.value {
                    Some(OptionValue::Word(w)) if w.name == "trap" || w.name == "trapezoidal" => {
                        self.options.method = Method::Trap
                    }
                    Some(OptionValue::Word(w)) if w.name == "gear" || w.name == "bdf2" => {
                        self.options.method = Method::Gear
                    }
                    _ => self.push_err(Diagnostic::error(
                        it.name.span,
                        "method must be 'trap' or 'gear'",
                    )),
                },
                "interp" => self.options.interp = flag(it.value.as_ref()),
                "relref" => match &it.value {
                    Some(OptionValue::Word(w)) if w.name == "sigglobal" => {
                        self.options.relref = crate::system::RelRef::SigGlobal
                    }
                    Some(OptionValue::Word(w)) if w.name == "pointlocal" => {
                        self.options.relref = crate::system::RelRef::PointLocal
                    }
                    _ => self.push_err(Diagnostic::error(
                        it.name.span,
                        "relref must be 'sigglobal' or 'pointlocal'",
                    )),
                },
                "acct" => self.options.acct = flag(it.value.as_ref()),
                "seed" => match &it.value {
                    Some(OptionValue::Word(w)) if w.name == "random" => self.seed = None,
                    _ => {
                        let Some(v) = num(self) else { continue };
                        if !(v >= 0.0 && v.fract() == 0.0 && v < 9.007_199_254_740_992e15) {
                            self.push_err(Diagnostic::error(
                                it.name.span,
                                format!("option 'seed' must be a whole number from 0 to 2⁵³ (or 'random'), got {v}"),
                            ));
                            continue;
                        }
                        self.seed = Some(v as u64);
                    }
                },
                _ => self.warnings.push(Diagnostic::warning(
                    it.name.span,
                    format!("option '{name}' is not used by spinspice and was ignored"),
                )),
            }
        }
    }

    /// One `.options hbint` item.
    fn hb_option(&mut self, it: &OptionItem, scope: &Scope<'a>) {
        let name = it.name.name.as_str();
        if name == "method" {
            self.hb_opts.method = match &it.value {
                Some(OptionValue::Word(w)) if w.name == "direct" => Some(HbMethod::Direct),
                Some(OptionValue::Word(w)) if w.name == "krylov" || w.name == "gmres" => {
                    Some(HbMethod::Krylov)
                }
                Some(OptionValue::Word(w)) if w.name == "auto" => None,
                _ => {
                    self.push_err(Diagnostic::error(
                        it.name.span,
                        "hbint method must be 'direct', 'krylov' or 'auto'",
                    ));
                    return;
                }
            };
            return;
        }
        let v = match &it.value {
            Some(OptionValue::Expr(e)) => match self.eval(e, scope) {
                Some(v) => v,
                None => return,
            },
            _ => {
                self.push_err(Diagnostic::error(
                    it.name.span,
                    format!("hbint option '{name}' needs a numeric value"),
                ));
                return;
            }
        };
        let int = |lo: f64, hi: f64| (v.fract() == 0.0 && v >= lo && v <= hi).then_some(v as usize);
        let bad = |what: &str| {
            Diagnostic::error(
                it.name.span,
                format!("hbint {name} must be {what} (got {v})"),
            )
        };
        let o = &mut self.hb_opts;
        let r = match name {
            "numfreq" => int(1.0, 1e6)
                .map(|k| o.numfreq = k)
                .ok_or_else(|| bad("an integer in [1, 10^6]")),
            "intmodmax" => int(1.0, 1e6)
                .map(|k| o.intmodmax = Some(k))
                .ok_or_else(|| bad("an integer in [1, 10^6]")),
            "startupperiods" => int(0.0, 1e6)
                .map(|k| o.startup_periods = k)
                .ok_or_else(|| bad("an integer ≥ 0")),
            "maxharmonics" => int(1.0, 1e9)
                .map(|k| o.max_harmonics = k)
                .ok_or_else(|| bad("an integer ≥ 1")),
            "maxiter" => int(1.0, 1e6)
                .map(|k| o.max_iter = k)
                .ok_or_else(|| bad("an integer in [1, 10^6]")),
            "maxmemory" => (v.is_finite() && v > 0.0)
                .then(|| o.max_memory = v)
                .ok_or_else(|| bad("positive (bytes)")),
            "oversample" => (v.is_finite() && (1.0..=64.0).contains(&v))
                .then(|| o.oversample = v)
                .ok_or_else(|| bad("in [1, 64]")),
            _ => match name
                .strip_prefix("numfreq")
                .and_then(|k| k.parse::<usize>().ok())
            {
                Some(k) if k >= 1 => int(1.0, 1e6)
                    .map(|m| o.numfreq_tone.push((k, m)))
                    .ok_or_else(|| bad("an integer in [1, 10^6]")),
                _ => {
                    self.warnings.push(Diagnostic::warning(
                        it.name.span,
                        format!("hbint option '{name}' is not used by spinspice and was ignored"),
                    ));
                    Ok(())
                }
            },
        };
        if let Err(d) = r {
            self.push_err(d);
        }
    }

    /// Xyce's `.options GROUP name=value …`: what has the same meaning here
    /// is mapped (TIMEINT `method`, `reltol`, `abstol`, `maxord`; DEVICE
    /// `gmin`, `temp`, `tnom`; NONLIN `maxstep` → `itl1`), the rest named in one
    /// warning. Never an error: these lines only tune the run.
    fn xyce_options(&mut self, group: &Ident, items: &[OptionItem], scope: &Scope<'a>) {
        let g = group.name.as_str();
        let mut unused = Vec::new();
        for it in items {
            let name = it.name.name.as_str();
            let num = match &it.value {
                Some(OptionValue::Expr(e)) => eval(e, &self.env(scope)).ok(),
                _ => None,
            };
            let word = match &it.value {
                Some(OptionValue::Word(w)) => Some(w.name.as_str()),
                _ => None,
            };
            let o = &mut self.options;
            match (g, name, num, word) {
                ("timeint", "method", _, Some("trap" | "trapezoid" | "trapezoidal")) => {
                    o.method = Method::Trap
                }
                ("timeint", "method", _, Some("gear" | "bdf")) => o.method = Method::Gear,
                // Xyce's numbers: 1 backward Euler, 7 trapezoidal, 8 Gear
                ("timeint", "method", Some(7.0), _) => o.method = Method::Trap,
                ("timeint", "method", Some(8.0), _) => o.method = Method::Gear,
                ("timeint", "method", Some(1.0), _) => o.maxord = 1,
                ("timeint", "reltol", Some(v), _) if v > 0.0 => o.reltol = v,
                ("timeint", "abstol", Some(v), _) if v > 0.0 => o.abstol = v,
                ("timeint", "maxord", Some(v), _) if v >= 1.0 => o.maxord = (v as usize).min(2),
                ("device", "gmin", Some(v), _) if v > 0.0 => o.gmin = v,
                ("device", "temp", Some(v), _) => o.temp = v,
                ("device", "tnom", Some(v), _) => o.tnom = v,
                ("nonlin", "maxstep", Some(v), _) if v >= 1.0 => o.itl1 = v as usize,
                _ => unused.push(name.to_string()),
            }
        }
        if !unused.is_empty() || items.is_empty() {
            self.warnings.push(Diagnostic::warning(
                group.span,
                format!(
                    "Xyce '.options {}' {}: not used by spinspice, ignored",
                    g.to_uppercase(),
                    if items.is_empty() {
                        "(no settings)".to_string()
                    } else {
                        unused.join(", ")
                    }
                ),
            ));
        }
    }

    fn analysis(&mut self, a: &Analysis, top: &Scope<'a>) {
        match a {
            Analysis::Op(sp) => self.analyses.push((AnalysisSpec::Op, *sp)),
            Analysis::Hb { tones, osc, span } => {
                let mut fs = Vec::new();
                for t in tones {
                    let Some(f) = self.eval(t, top) else { return };
                    if !(f.is_finite() && f > 0.0) {
                        self.push_err(Diagnostic::error(
                            t.span,
                            format!("an .hb tone must be a positive frequency (got {f})"),
                        ));
                        return;
                    }
                    fs.push(f);
                }
                let mut names = Vec::new();
                for o in osc {
                    let Some(&d) = self.device_index.get(&o.name) else {
                        self.push_err(Diagnostic::error(
                            o.span,
                            format!("OSC={}: no such device", o.name),
                        ));
                        return;
                    };
                    if !self.devices[d].can_oscillate() {
                        self.push_err(
                            Diagnostic::error(
                                o.span,
                                format!("OSC={}: '{}' cannot oscillate", o.name, o.name),
                            )
                            .with_help("free-running oscillators: YSTNO (level 1)"),
                        );
                        return;
                    }
                    names.push(o.name.clone());
                }
                let spec = self.hb_opts.spec(fs, names);
                self.analyses.push((AnalysisSpec::Hb(spec), *span));
            }
            Analysis::Tran {
                tstep,
                tstop,
                tstart,
                tmax,
                uic,
                span,
            } => {
                let (Some(step), Some(stop)) = (self.eval(tstep, top), self.eval(tstop, top))
                else {
                    return;
                };
                let start = match tstart {
                    Some(e) => match self.eval(e, top) {
                        Some(v) => v,
                        None => return,
                    },
                    None => 0.0,
                };
                let max = match tmax {
                    Some(e) => match self.eval(e, top) {
                        Some(v) => Some(v),
                        None => return,
                    },
                    None => None,
                };
                if !(step > 0.0 && step.is_finite()) {
                    self.push_err(Diagnostic::error(
                        tstep.span,
                        format!("tstep must be positive (got {step})"),
                    ));
                    return;
                }
                if !(stop > 0.0 && stop.is_finite()) {
                    self.push_err(Diagnostic::error(
                        tstop.span,
                        format!("tstop must be positive (got {stop})"),
                    ));
                    return;
                }
                if !(0.0..stop).contains(&start) {
                    self.push_err(Diagnostic::error(
                        tstart.as_ref().map_or(*span, |e| e.span),
                        format!("tstart ({start}) must be in [0, tstop)"),
                    ));
                    return;
                }
                if let Some(m) = max {
                    if !(m > 0.0 && m.is_finite()) {
                        self.push_err(Diagnostic::error(
                            tmax.as_ref().map_or(*span, |e| e.span),
                            format!("tmax must be positive (got {m})"),
                        ));
                        return;
                    }
                }
                // At least tstop/tmax steps (tmax defaults to tstep, or a
                // 50th of tstop − tstart, as in the transient).
                let lim = crate::limits::get().timepoints;
                let hmax = max.unwrap_or(step.min((stop - start) / 50.0)).min(stop);
                let least = stop / hmax;
                if least > lim {
                    self.push_err(Diagnostic::error(
                        *span,
                        format!(
                            ".tran asks for at least {least:.3e} time points ({stop:e} s in steps of at most {hmax:e} s); {}",
                            crate::limits::lift("timepoints", lim)
                        ),
                    ));
                    return;
                }
                self.analyses.push((
                    AnalysisSpec::Tran(TranSpec {
                        tstep: step,
                        tstop: stop,
                        tstart: start,
                        tmax: max,
                        uic: *uic,
                    }),
                    *span,
                ));
            }
            Analysis::Ac {
                scale,
                points,
                fstart,
                fstop,
                span,
            } => {
                let (Some(n), Some(f1), Some(f2)) = (
                    self.eval(points, top),
                    self.eval(fstart, top),
                    self.eval(fstop, top),
                ) else {
                    return;
                };
                if !(n >= 1.0 && n.is_finite()) {
                    self.push_err(Diagnostic::error(
                        points.span,
                        format!("number of points must be ≥ 1 (got {n})"),
                    ));
                    return;
                }
                // point at fstart when it is out of range, else at fstop
                let lin = *scale == AcScale::Lin;
                let start_ok = f1.is_finite() && if lin { f1 >= 0.0 } else { f1 > 0.0 };
                let bad = if start_ok { fstop.span } else { fstart.span };
                if !(start_ok && f2 >= f1 && f2.is_finite()) {
                    let lower = if lin { "0 ≤" } else { "0 <" };
                    self.push_err(Diagnostic::error(
                        bad,
                        format!("need {lower} fstart ≤ fstop (got {f1}, {f2})"),
                    ));
                    return;
                }
                let spec = AcSpec {
                    scale: *scale,
                    points: n.min(usize::MAX as f64) as usize,
                    fstart: f1,
                    fstop: f2,
                };
                let lim = crate::limits::get().points;
                if spec.count() > lim {
                    self.push_err(Diagnostic::error(
                        *span,
                        format!(
                            ".ac asks for {:.3e} frequency points; {}",
                            spec.count(),
                            crate::limits::lift("points", lim)
                        ),
                    ));
                    return;
                }
                self.analyses.push((AnalysisSpec::Ac(spec), *span));
            }
            Analysis::Dc { sweeps, span } => {
                let mut specs = Vec::new();
                for s in sweeps {
                    let (Some(a), Some(b), Some(c)) = (
                        self.eval(&s.start, top),
                        self.eval(&s.stop, top),
                        self.eval(&s.step, top),
                    ) else {
                        return;
                    };
                    if c == 0.0 || !c.is_finite() || (b - a) / c < 0.0 {
                        self.push_err(Diagnostic::error(
                            s.step.span,
                            format!("sweep step {c} does not lead from {a} to {b}"),
                        ));
                        return;
                    }
                    let lim = crate::limits::get().points;
                    let n = (b - a) / c + 1.0;
                    let total = n * specs
                        .iter()
                        .map(|d: &DcSpec| d.values.len() as f64)
                        .product::<f64>();
                    if total > lim {
                        self.push_err(Diagnostic::error(
                            s.step.span,
                            format!(
                                ".dc asks for {total:.3e} points; {}",
                                crate::limits::lift("points", lim)
                            ),
                        ));
                        return;
                    }
                    let Some(&dev) = self.device_index.get(&s.var.name) else {
                        self.push_err(Diagnostic::error(
                            s.var.span,
                            format!("cannot sweep '{}': no such source or resistor", s.var.name),
                        ));
                        return;
                    };
                    specs.push(DcSpec {
                        name: s.var.name.clone(),
                        device: dev,
                        values: sweep_values(a, b, c),
                    });
                }
                if specs.is_empty() {
                    return;
                }
                self.analyses.push((AnalysisSpec::Dc(specs), *span));
            }
        }
    }

    fn node_values(&mut self, list: &[NodeValue], top: &Scope<'a>) -> Vec<(usize, f64)> {
        let mut out = Vec::new();
        for nv in list {
            let flat = self.node_name(&nv.node.name, top);
            let Some(&i) = self.node_index.get(&flat) else {
                // an initial value or a hint for a node that is not there:
                // nothing to set (ngspice warns too)
                self.warnings.push(Diagnostic::warning(
                    nv.node.span,
                    format!("no node '{}' in the circuit: value ignored", nv.node.name),
                ));
                continue;
            };
            if i == 0 {
                self.push_err(Diagnostic::error(
                    nv.node.span,
                    "cannot set the ground node",
                ));
                continue;
            }
            if let Some(v) = self.eval(&nv.value, top) {
                out.push((i, v));
            }
        }
        out
    }

    fn save(&mut self, s: &SaveStmt) {
        for it in &s.items {
            match &it.kind {
                ExprKind::Ident(w) if w == "all" => self.saves.push(SaveItem::All),
                ExprKind::Probe { func, args } if func == "v" && !args.is_empty() => {
                    let mut idx = [0usize; 2];
                    let mut ok = true;
                    for (k, a) in args.iter().take(2).enumerate() {
                        let flat = if a == "gnd" {
                            "0".to_string()
                        } else {
                            a.clone()
                        };
                        match self.node_index.get(&flat) {
                            Some(&i) => idx[k] = i,
                            None => {
                                // an output-only line: left out, warned
                                self.warnings.push(Diagnostic::warning(
                                    it.span,
                                    format!("'.save': no node '{a}' in the circuit; left out"),
                                ));
                                ok = false;
                            }
                        }
                    }
                    if ok {
                        self.saves.push(SaveItem::Voltage {
                            label: format!("v({})", args.join(",")),
                            a: idx[0],
                            b: idx[1],
                        });
                    }
                }
                ExprKind::Probe { func, args } if func == "i" && args.len() == 1 => {
                    if !self.device_index.contains_key(&args[0]) {
                        self.warnings.push(Diagnostic::warning(
                            it.span,
                            format!("'.save': no device '{}' in the circuit; left out", args[0]),
                        ));
                        continue;
                    }
                    self.saves.push(SaveItem::Current {
                        label: format!("i({})", args[0]),
                        device: args[0].clone(),
                        span: it.span,
                    })
                }
                ExprKind::Probe { func, args } if func == "@" && args.len() == 2 => {
                    self.saves.push(SaveItem::DeviceVar {
                        label: format!("@{}[{}]", args[0], args[1]),
                        device: args[0].clone(),
                        var: args[1].clone(),
                        span: it.span,
                    })
                }
                _ => self.push_err(Diagnostic::error(
                    it.span,
                    "cannot save this: use v(node), v(a,b), i(device), @device[var] or all",
                )),
            }
        }
    }

    /// A measure reading a node or device the circuit does not have fails
    /// at the end of its analysis (the run goes on, as in ngspice): said
    /// now, at its place, so `check` shows it too.
    fn measure_probe_warnings(&mut self, m: &Measure) {
        for (func, args, span) in crate::analysis::meas::probes_of(m) {
            let missing = match crate::analysis::meas::probe_base(&func, args.len()) {
                Some(("v", true)) => args
                    .iter()
                    .find(|a| a.as_str() != "gnd" && !self.node_index.contains_key(a.as_str()))
                    .map(|a| format!("no node '{a}'")),
                Some((_, true)) if !self.device_index.contains_key(&args[0]) => {
                    Some(format!("no device '{}'", args[0]))
                }
                _ => None,
            };
            if let Some(what) = missing {
                self.warnings.push(Diagnostic::warning(
                    span,
                    format!(
                        "measure '{}': {what} in the circuit; the measure will fail",
                        m.name.name
                    ),
                ));
            }
        }
    }

    /// A `.step` axis of `n` values is within the `sweep` limit (an axis is
    /// a sweep of its own; checked before the values are built); else an
    /// error at `span`.
    fn step_size_ok(&mut self, n: f64, span: Span) -> bool {
        let lim = crate::limits::get().sweep;
        if n.is_nan() || n > lim {
            self.push_err(Diagnostic::error(
                span,
                format!(
                    ".step asks for {n:.3e} values; {}",
                    crate::limits::lift("sweep", lim)
                ),
            ));
            return false;
        }
        true
    }

    /// `.temp T` sets the circuit temperature; `.temp T1 T2 …` runs every
    /// analysis at each temperature in turn (SPICE2/HSPICE; ngspice-39 warns
    /// and runs at 27 °C only): a `temp` sweep axis, as `.step temp list …`
    /// would give (the first value is the default until a point sets it).
    fn temp_stmt(&mut self, v: &[Expr], span: Span, top: &Scope<'a>) {
        let mut vals = Vec::with_capacity(v.len());
        for e in v {
            let Some(t) = self.eval(e, top) else { return };
            vals.push(t);
        }
        if let Some(&t) = vals.first() {
            self.options.temp = t;
        }
        if vals.len() > 1 {
            self.steps.push(StepSpec {
                name: "temp".into(),
                values: vals,
                span,
                kind: StepKind::Values,
            });
        }
    }

    fn step(&mut self, s: &StepStmt, top: &Scope<'a>) {
        let mut vals = Vec::new();
        let ev = |me: &mut Self, e: &Expr| me.eval(e, top);
        match &s.sweep {
            StepSweep::Mc(n) => return self.step_mc(s, n, top),
            StepSweep::Data => return self.step_data(s),
            StepSweep::List(list) => {
                for e in list {
                    let Some(v) = ev(self, e) else { return };
                    vals.push(v);
                }
            }
            StepSweep::Lin(a, b, c) => {
                let (Some(a), Some(b), Some(c)) = (ev(self, a), ev(self, b), ev(self, c)) else {
                    return;
                };
                let n = (b - a) / c;
                if c == 0.0 || n.is_nan() || n < 0.0 {
                    self.push_err(Diagnostic::error(
                        s.span,
                        format!("step {c} does not lead from {a} to {b}"),
                    ));
                    return;
                }
                if !self.step_size_ok((b - a) / c + 1.0, s.span) {
                    return;
                }
                vals = sweep_values(a, b, c);
            }
            StepSweep::Dec(a, b, n) | StepSweep::Oct(a, b, n) => {
                let (Some(a), Some(b), Some(n)) = (ev(self, a), ev(self, b), ev(self, n)) else {
                    return;
                };
                if !(a > 0.0 && b >= a && n >= 1.0) {
                    self.push_err(Diagnostic::error(
                        s.span,
                        "logarithmic step needs 0 < start ≤ stop and ≥ 1 point",
                    ));
                    return;
                }
                let scale = if matches!(s.sweep, StepSweep::Dec(..)) {
                    AcScale::Dec
                } else {
                    AcScale::Oct
                };
                let spec = AcSpec {
                    scale,
                    points: n.min(usize::MAX as f64) as usize,
                    fstart: a,
                    fstop: b,
                };
                if !self.step_size_ok(spec.count(), s.span) {
                    return;
                }
                vals = spec.frequencies();
            }
        }
        let name = &s.var.name;
        if name != "temp" && !self.globals.defined(name) && !self.device_index.contains_key(name) {
            self.push_err(Diagnostic::error(
                s.var.span,
                format!("'.step {name}': no parameter or device of that name"),
            ));
            return;
        }
        self.steps.push(StepSpec {
            name: s.var.name.clone(),
            values: vals,
            span: s.span,
            kind: StepKind::Values,
        });
    }

    /// `.step mc N`: the axis `mc` with the sample numbers 1…N.
    fn step_mc(&mut self, s: &StepStmt, n: &Expr, top: &Scope<'a>) {
        let Some(v) = self.eval(n, top) else { return };
        if !(v >= 1.0 && v.fract() == 0.0) {
            self.push_err(Diagnostic::error(
                n.span,
                format!("'.step mc N' needs a whole number of samples, at least 1, got {v}"),
            ));
            return;
        }
        if !self.step_size_ok(v, n.span) {
            return;
        }
        self.steps.push(StepSpec {
            name: "mc".into(),
            values: (1..=v as u64).map(|k| k as f64).collect(),
            span: s.span,
            kind: StepKind::Mc,
        });
    }

    /// `.step data=TABLE`: the table must exist; its rows are read when the
    /// sweep starts (`sweep::data`).
    fn step_data(&mut self, s: &StepStmt) {
        let name = &s.var.name;
        let found = self.nl.statements.iter().any(|st| match st {
            Stmt::Data(d) => &d.name.name == name,
            _ => false,
        });
        if !found {
            self.push_err(Diagnostic::error(
                s.var.span,
                format!("'.step data={name}': no '.data {name}' table"),
            ));
            return;
        }
        self.steps.push(StepSpec {
            name: name.clone(),
            values: Vec::new(),
            span: s.span,
            kind: StepKind::Data,
        });
    }
}

fn stmt_span(s: &Stmt) -> Span {
    match s {
        Stmt::Element(e) => e.span,
        Stmt::Model(m) => m.span,
        Stmt::Subckt(s) => s.span,
        Stmt::Func(f) => f.span,
        Stmt::Param(_, s)
        | Stmt::Options(_, s)
        | Stmt::Ic(_, s)
        | Stmt::Nodeset(_, s)
        | Stmt::Temp(_, s)
        | Stmt::Global(_, s) => *s,
        Stmt::Save(s) => s.span,
        Stmt::Analysis(a) => match &**a {
            Analysis::Op(s) => *s,
            Analysis::Dc { span, .. }
            | Analysis::Ac { span, .. }
            | Analysis::Tran { span, .. }
            | Analysis::Hb { span, .. } => *span,
        },
        Stmt::Meas(m) => m.span,
        Stmt::Step(s) => s.span,
        Stmt::Data(d) => d.span,
        Stmt::Ignored { span, .. } => *span,
    }
}

/// `v(n+, n−)/(R)`: the current of a resistor whose value is an expression.
fn resistor_as_current(nodes: &[Node; 2], r: &Expr) -> Expr {
    let span = r.span;
    let v = Expr {
        kind: ExprKind::Probe {
            func: "v".into(),
            args: vec![nodes[0].name.clone(), nodes[1].name.clone()],
        },
        span,
    };
    Expr {
        kind: ExprKind::Binary(crate::expr::BinOp::Div, Box::new(v), Box::new(r.clone())),
        span,
    }
}

/// Multiply (or set) the `m` of an element inside an `m=` instance.
fn apply_mult(ps: &mut Vec<PValue>, mult: f64, span: Span) {
    if mult == 1.0 {
        return;
    }
    match ps.iter_mut().rev().find(|p| p.name == "m") {
        Some(p) => p.value *= mult,
        None => ps.push(PValue {
            name: "m".into(),
            value: mult,
            span,
            word: None,
        }),
    }
}
