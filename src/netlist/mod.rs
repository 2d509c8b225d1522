//! Netlist text → AST.
//!
//! Three stages:
//!
//! 1. `reader`: files → logical lines (title, comments, `+` continuations,
//!    `.include` / `.lib`, `.control` blocks, `.end`), each line keeping a map
//!    back to file byte offsets;
//! 2. `lexer` (nom): a logical line → tokens (words, `=`, `{…}`, `'…'`,
//!    `"…"`, `(…)` groups with their head word);
//! 3. `parser`: tokens → [`ast::Stmt`], every value parsed by the nom
//!    expression parser ([`crate::expr::parse::parse_expr`]).
//!
//! [`print`](mod@print) writes an AST back as netlist text that parses to the same AST.
//!
//! # Dialect decisions
//!
//! Where SPICE dialects differ, this parser does the following.
//!
//! * Names are lower-cased; spans keep the original text. The title is the
//!   first line verbatim; `.title text` replaces it (ngspice).
//! * Comments: `*` and `//` full lines, `;` anywhere (also inside quotes: a
//!   file name cannot contain `;`), `$` only with whitespace (or line start)
//!   before and whitespace (or end) after. Comment and blank lines do not break
//!   a `+` continuation.
//! * Numbers: the first letter after the digits decides the suffix (`1F` is
//!   femto, `1M` milli, `1MEG` mega, `1MIL` 25.4 µm); other letters are units
//!   and ignored (`5V`, `1kHz`). `1k2` is an error, not 1.2k.
//! * In R/C/L, a bare identifier in a positional slot is the *model* name (as
//!   in ngspice); parameter values must be written `{name}` / `'name'` there
//!   (an unbraced expression that is not a plain name, `rval*2`, is a value).
//!   The value may also be given as `r=`/`c=`/`l=` (stored in `value`). In
//!   diodes the positional area and `area=` both go to `area`.
//! * Elsewhere (sources, `.param`, analyses, instance parameters) a bare
//!   identifier is a parameter reference (`ExprKind::Ident`), except for the
//!   keywords of the statement (`dc`, `ac`, `sin`, `pulse`, `pwl`, `exp`,
//!   `sffm`, `am`, `uic`, `off`, `list`, …), which cannot be parameter names
//!   there (write `{dc}`).
//! * Independent sources: DC / AC / one transient function in any order; a
//!   bare value is the DC value; after `AC mag` a value is the phase. The
//!   argument count of each function is checked (SIN 2–6, PULSE 2–8, EXP 2–6,
//!   SFFM 2–7, AM 2–7, PWL ≥ 1 pair). PWL `r=`/`td=` go after the pairs, inside
//!   or after the parentheses.
//! * B sources and `VALUE=`/`vol=`/`cur=` take the rest of the line as the
//!   expression (spaces allowed, a single `{…}`/`'…'` is unwrapped); trailing
//!   `name=value` items whose `=` is standalone (not `==`, `<=`, `>=`, `!=`) are
//!   instance parameters. An unbraced expression that itself ends in
//!   `ident = value` would be misread: brace it. POLY/TABLE/LAPLACE E/G/F/H
//!   forms are rejected with an error.
//! * `.save name` and `.print tran name` with a bare node name mean `v(name)`.
//!   `.print` takes an optional `tran|ac|dc|op`; `.save` does not.
//! * `.meas` requires the analysis word (`tran|dc|ac`). Without
//!   RISE/FALL/CROSS a crossing means the first one (`CROSS=1`). `INTEGRAL` is
//!   accepted for `INTEG`; `DERIV` is reported as unsupported.
//! * `.step [lin|dec|oct] [param] NAME start stop step` / `.step [param] NAME
//!   list …`: the scale word comes first; `param` is optional.
//! * `.lib file section` includes a section; a one-argument `.lib name` met
//!   while reading normally is a section definition and is skipped to `.endl`.
//!   `.end` inside an included file ends that file only.
//! * Statements that only make sense at top level (`.tran`, `.ac`, `.dc`,
//!   `.op`, `.meas`, `.step`, `.options`, `.save`/`.print`, `.temp`, `.global`)
//!   are errors inside `.subckt`.
//! * Accepted and ignored with a warning: `.control`…`.endc`, `.probe`,
//!   `.backanno`, `.width`, `.plot`, `.four`, `.csparam`, `.save_state`.
//!   Errors: other analyses (`.noise`, `.tf`, `.pz`, …), `.if` blocks, unknown
//!   dot commands.
//! * Limits (errors, never a stack overflow): expressions nest at most
//!   [`crate::expr::parse::MAX_NESTING`] levels of parentheses/calls/branches
//!   and [`crate::expr::parse::MAX_TREE_DEPTH`] operators deep; `.subckt`
//!   definitions nest at most 100 deep; `.include`/`.lib` files at most 64.

pub mod ast;
pub(crate) mod lexer;
pub(crate) mod parser;
pub mod print;
pub(crate) mod reader;
pub mod spans;

use crate::diag::{Diagnostic, SourceMap};
use std::path::{Path, PathBuf};

/// Result of parsing: the AST and the warnings (ignored commands…).
pub struct Parsed {
    /// The parsed netlist.
    pub netlist: ast::Netlist,
    /// Non-fatal diagnostics (ignored dot commands, `.control` blocks, …).
    pub warnings: Vec<Diagnostic>,
}

/// Read `path` (and its `.include`/`.lib` files) into `sm` and parse it.
/// All errors found are returned (at least one), each with its span.
pub fn parse_file(path: &Path, sm: &mut SourceMap) -> Result<Parsed, Vec<Diagnostic>> {
    let bytes = std::fs::read(path).map_err(|e| {
        vec![Diagnostic::plain(format!(
            "cannot read netlist '{}': {e}",
            path.display()
        ))]
    })?;
    let text = String::from_utf8_lossy(&bytes).into_owned();
    let canon = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let id = sm.add(path.to_path_buf(), text);
    parse_loaded(sm, id, canon, &base)
}

/// Parse netlist text given in memory; `name` is used as its path in messages;
/// relative `.include` paths are resolved against `base_dir`.
pub fn parse_str(
    name: &str,
    text: &str,
    base_dir: &Path,
    sm: &mut SourceMap,
) -> Result<Parsed, Vec<Diagnostic>> {
    let joined = base_dir.join(name);
    let canon = std::fs::canonicalize(&joined).unwrap_or(joined);
    let id = sm.add(PathBuf::from(name), text.to_string());
    parse_loaded(sm, id, canon, base_dir)
}

fn parse_loaded(
    sm: &mut SourceMap,
    id: crate::diag::FileId,
    canon: PathBuf,
    base: &Path,
) -> Result<Parsed, Vec<Diagnostic>> {
    let read = reader::read(sm, id, canon, base);
    let (mut statements, perrs, pwarns, title) = parser::StmtParser::new().run(&read.items);
    for st in &mut statements {
        if let ast::Stmt::Data(d) = st {
            if let ast::DataSource::File(f) = &mut d.source {
                f.base = read.bases.get(&d.span.file).cloned().unwrap_or_default();
            }
        }
    }
    let mut errors = read.errors;
    errors.extend(perrs);
    if !errors.is_empty() {
        // Report in source order (file, then position).
        errors.sort_by_key(|d| d.span.map(|s| (s.file.0, s.start)));
        return Err(errors);
    }
    let mut warnings = read.warnings;
    warnings.extend(pwarns);
    Ok(Parsed {
        netlist: ast::Netlist {
            title: title.unwrap_or(read.title),
            statements,
        },
        warnings,
    })
}
