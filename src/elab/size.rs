//! The size of a subcircuit instance before it is flattened, so that an
//! absurd fan-out (a chain of subcircuits each instantiating the next twice:
//! 2⁴⁰ devices from 40 lines) is refused before any of it is built
//! ([`crate::limits::Limits::devices`]).

use crate::netlist::ast::{ElementKind, Stmt, SubcktDef};
use std::collections::{HashMap, HashSet};

/// Memoized instance sizes, per subcircuit definition.
#[derive(Default)]
pub(super) struct Sizer {
    memo: HashMap<*const SubcktDef, f64>,
    busy: HashSet<*const SubcktDef>,
}

/// Looks a subcircuit name up (innermost definitions first).
type Lookup<'l, 'a> = &'l dyn Fn(&str) -> Option<&'a SubcktDef>;

impl Sizer {
    /// Devices an instance of `def` expands into: one per element, an `X`
    /// line counting as the size of the subcircuit it names (found among the
    /// definitions inside `def`, then through `outer`). A name that does not
    /// resolve counts 1 and a recursive instantiation 0 (both are reported
    /// by the elaborator); the sum saturates at infinity. Nesting deeper than
    /// `depth` counts as infinite (refused as well).
    pub(super) fn size<'a>(
        &mut self,
        def: &'a SubcktDef,
        outer: Lookup<'_, 'a>,
        depth: usize,
    ) -> f64 {
        let key = def as *const SubcktDef;
        if let Some(&n) = self.memo.get(&key) {
            return n;
        }
        if depth == 0 {
            return f64::INFINITY;
        }
        if !self.busy.insert(key) {
            return 0.0;
        }
        let local = |name: &str| {
            def.body
                .iter()
                .find_map(|st| match st {
                    Stmt::Subckt(d) if d.name.name == name => Some(d),
                    _ => None,
                })
                .or_else(|| outer(name))
        };
        // Without definitions of its own, `def` sees what its caller sees
        // (no lookup chain growing with the depth).
        let nested = def.body.iter().any(|st| matches!(st, Stmt::Subckt(_)));
        let lookup: Lookup<'_, 'a> = if nested { &local } else { outer };
        let mut n = 0.0;
        for st in &def.body {
            let Stmt::Element(el) = st else { continue };
            n += match &el.kind {
                ElementKind::Subckt { subckt, .. } => match lookup(&subckt.name) {
                    Some(d) => self.size(d, lookup, depth - 1),
                    None => 1.0,
                },
                _ => 1.0,
            };
        }
        self.busy.remove(&key);
        self.memo.insert(key, n);
        n
    }
}
