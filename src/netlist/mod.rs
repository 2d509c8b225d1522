//! Netlist text → AST.
//!
//! INTERFACE STUB — implemented by the parser work item.

pub mod ast;

use crate::diag::{Diagnostic, SourceMap};
use std::path::Path;

/// Result of parsing: the AST and the warnings (ignored commands…).
pub struct Parsed {
    pub netlist: ast::Netlist,
    pub warnings: Vec<Diagnostic>,
}

/// Read `path` (and its `.include`/`.lib` files) into `sm` and parse it.
/// All errors found are returned (at least one), each with its span.
pub fn parse_file(_path: &Path, _sm: &mut SourceMap) -> Result<Parsed, Vec<Diagnostic>> {
    unimplemented!("parse_file")
}

/// Parse netlist text given in memory; `name` is used as its path in messages;
/// relative `.include` paths are resolved against `base_dir`.
pub fn parse_str(
    _name: &str,
    _text: &str,
    _base_dir: &Path,
    _sm: &mut SourceMap,
) -> Result<Parsed, Vec<Diagnostic>> {
    unimplemented!("parse_str")
}
