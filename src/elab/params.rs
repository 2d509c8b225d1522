//! Parameter scopes for elaboration. Top-level `.param`s are evaluated lazily
//! on first use with memoization; a parameter that (indirectly) refers to
//! itself is reported as a cycle.
//!
//! Monte Carlo draws (`agauss` & co., [`crate::expr::random`]) are keyed by
//! the *owner* of the value being evaluated: the flattened name of the
//! element (or subcircuit instance) whose line is elaborated, or
//! `.param NAME` for a top-level parameter. A top-level `.param` is
//! evaluated once (memoized), so its draw is shared by every use (a global
//! variation); an element value, an instance value and a subcircuit's
//! parameters are evaluated per instance, so each instance has its own draw.

use crate::diag::{Diagnostic, Span};
use crate::expr::eval::{eval, Env};
use crate::expr::random::stream_key;
use crate::expr::Expr;
use crate::netlist::ast::FuncDef;
use std::cell::{Cell, RefCell};
use std::collections::HashMap;

/// One sample of a Monte Carlo run: the run's seed and the sample number
/// (the value of the `mc` axis of `.step mc N`, 1…N).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct McSample {
    pub seed: u64,
    pub sample: u64,
}

/// Draw bookkeeping of one elaboration.
#[derive(Default)]
struct McState {
    sample: Option<McSample>,
    /// Draws so far per (owner hash, file, offset): two calls at the same
    /// place for the same owner (a `.func` used twice) get different draws.
    counts: RefCell<HashMap<(u64, u32, u32), u32>>,
    /// First call site of a Monte Carlo function.
    first: Cell<Option<Span>>,
}

#[derive(Clone)]
enum Memo {
    Busy,
    Done(f64),
    Failed,
}

/// Top-level parameters and functions.
pub struct Globals<'a> {
    exprs: HashMap<String, &'a Expr>,
    overrides: HashMap<String, f64>,
    funcs: HashMap<String, &'a FuncDef>,
    memo: RefCell<HashMap<String, Memo>>,
    /// Parameters being evaluated, outermost first (to name a cycle).
    stack: RefCell<Vec<String>>,
    errors: RefCell<Vec<Diagnostic>>,
    mc: McState,
}

/// The parameter an "undefined parameter 'x'" error of the evaluator is about.
pub fn undefined_name(d: &Diagnostic) -> Option<&str> {
    d.message
        .strip_prefix("undefined parameter '")
        .and_then(|s| s.strip_suffix('\''))
}

impl<'a> Globals<'a> {
    pub fn new(overrides: &[(String, f64)], mc: Option<McSample>) -> Globals<'a> {
        Globals {
            exprs: HashMap::new(),
            overrides: overrides.iter().cloned().collect(),
            funcs: HashMap::new(),
            memo: RefCell::new(HashMap::new()),
            stack: RefCell::new(Vec::new()),
            errors: RefCell::new(Vec::new()),
            mc: McState {
                sample: mc,
                ..Default::default()
            },
        }
    }

    /// Stream seed of a Monte Carlo draw at `site` for `owner` (None outside
    /// a Monte Carlo sample: nominal values).
    pub fn random_stream(&self, owner: &str, site: Span) -> Option<u64> {
        if self.mc.first.get().is_none() {
            self.mc.first.set(Some(site));
        }
        let s = self.mc.sample?;
        let key = (crate::expr::random::fnv1a(owner), site.file.0, site.start);
        let mut counts = self.mc.counts.borrow_mut();
        let nth = counts.entry(key).or_insert(0);
        let k = stream_key(s.seed, s.sample, owner, (key.1, key.2), *nth);
        *nth += 1;
        Some(k)
    }

    /// Key of the draws of a random source (TRNOISE, TRRANDOM) named
    /// `owner`: the Monte Carlo sample's seed and number in a `.step mc`
    /// run, else `.options seed` (0 when not given) and sample 0.
    pub fn source_key(&self, seed: Option<u64>, owner: &str) -> u64 {
        let (seed, sample) = match self.mc.sample {
            Some(s) => (s.seed, s.sample),
            None => (seed.unwrap_or(0), 0),
        };
        stream_key(seed, sample, owner, (u32::MAX, u32::MAX), 0)
    }

    /// The first Monte Carlo function evaluated, if any.
    pub fn random_site(&self) -> Option<Span> {
        self.mc.first.get()
    }
    /// Define; returns true if it replaced an earlier definition.
    pub fn define(&mut self, name: &str, e: &'a Expr) -> bool {
        self.exprs.insert(name.to_string(), e).is_some()
    }
    pub fn define_func(&mut self, f: &'a FuncDef) {
        self.funcs.insert(f.name.name.clone(), f);
    }
    /// Whether a top-level `.param` of that name exists.
    pub fn defined(&self, name: &str) -> bool {
        self.exprs.contains_key(name)
    }
    pub fn override_value(&self, name: &str) -> Option<f64> {
        self.overrides.get(name).copied()
    }

    /// Value of a global parameter (evaluating it on first use).
    pub fn get(&self, name: &str) -> Option<f64> {
        if let Some(&v) = self.overrides.get(name) {
            return Some(v);
        }
        let e = *self.exprs.get(name)?;
        match self.memo.borrow().get(name) {
            Some(Memo::Done(v)) => return Some(*v),
            Some(Memo::Failed) => return None,
            Some(Memo::Busy) => {
                let stack = self.stack.borrow();
                let from = stack.iter().position(|n| n == name).unwrap_or(0);
                let mut chain: Vec<&str> = stack[from..].iter().map(String::as_str).collect();
                chain.push(name);
                self.errors.borrow_mut().push(Diagnostic::error(
                    e.span,
                    format!("parameter cycle: {}", chain.join(" → ")),
                ));
                return None;
            }
            None => {}
        }
        let depth = crate::limits::get().depth;
        if self.stack.borrow().len() >= depth {
            let stack = self.stack.borrow();
            self.errors.borrow_mut().push(Diagnostic::error(
                e.span,
                format!(
                    "parameters defined through more than {depth} others ('{}' → … → '{name}'); {}",
                    stack[0],
                    crate::limits::lift("depth", depth as f64)
                ),
            ));
            return None;
        }
        self.memo.borrow_mut().insert(name.to_string(), Memo::Busy);
        self.stack.borrow_mut().push(name.to_string());
        let owner = format!(".param {name}");
        let env = ScopeEnv {
            params: &HashMap::new(),
            funcs: &HashMap::new(),
            globals: self,
            owner: &owner,
        };
        let r = eval(e, &env);
        self.stack.borrow_mut().pop();
        let (memo, out) = match r {
            Ok(v) => (Memo::Done(v), Some(v)),
            Err(d) => {
                // A reference to a parameter whose own evaluation failed is
                // not reported again: its cause is already in the list.
                let follow_up = undefined_name(&d).is_some_and(|n| self.failed(n));
                let mut errs = self.errors.borrow_mut();
                if !follow_up && !errs.contains(&d) {
                    errs.push(d);
                }
                (Memo::Failed, None)
            }
        };
        self.memo.borrow_mut().insert(name.to_string(), memo);
        out
    }

    /// A defined (not overridden) parameter whose evaluation failed or is
    /// under way (a cycle); its error has been recorded.
    pub fn failed(&self, name: &str) -> bool {
        !self.overrides.contains_key(name)
            && self.exprs.contains_key(name)
            && matches!(
                self.memo.borrow().get(name),
                Some(Memo::Failed | Memo::Busy)
            )
    }

    pub fn func(&self, name: &str) -> Option<&'a FuncDef> {
        self.funcs.get(name).copied()
    }

    pub fn take_errors(&self) -> Vec<Diagnostic> {
        std::mem::take(&mut *self.errors.borrow_mut())
    }

    /// All top-level parameters that evaluate (for measures and `.step`).
    pub fn evaluated(&self) -> HashMap<String, f64> {
        let mut out: HashMap<String, f64> = HashMap::new();
        let names: Vec<String> = self.exprs.keys().cloned().collect();
        for n in names {
            if let Some(v) = self.get(&n) {
                out.insert(n, v);
            }
            // errors of parameters never used by the circuit are not
            // reported (cleared at once: the list is searched per error)
            self.errors.borrow_mut().clear();
        }
        for (k, v) in &self.overrides {
            out.insert(k.clone(), *v);
        }
        // errors of parameters never used by the circuit are not reported
        self.errors.borrow_mut().clear();
        out
    }

    pub fn funcs_owned(&self) -> HashMap<String, FuncDef> {
        self.funcs
            .iter()
            .map(|(k, v)| (k.clone(), (*v).clone()))
            .collect()
    }
}

/// Name resolution inside one scope: local parameters, then globals.
pub struct ScopeEnv<'s, 'a> {
    pub params: &'s HashMap<String, f64>,
    pub funcs: &'s HashMap<String, &'a FuncDef>,
    pub globals: &'s Globals<'a>,
    /// Whose value is evaluated (keys the Monte Carlo draws).
    pub owner: &'s str,
}

impl Env for ScopeEnv<'_, '_> {
    fn ident(&self, name: &str) -> Option<f64> {
        self.params
            .get(name)
            .copied()
            .or_else(|| self.globals.get(name))
    }
    fn func(&self, name: &str) -> Option<&FuncDef> {
        self.funcs
            .get(name)
            .copied()
            .or_else(|| self.globals.func(name))
    }
    fn random_stream(&self, site: Span) -> Option<u64> {
        self.globals.random_stream(self.owner, site)
    }
}
