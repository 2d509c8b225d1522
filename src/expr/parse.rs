//! Expression parser (nom).
//!
//! INTERFACE STUB — implemented by the parser work item.

use super::Expr;
use crate::diag::{DResult, Span};

/// Parse a whole expression from `text`. `span_of(start, end)` maps byte
/// offsets in `text` to a source span (logical lines may join several physical
/// lines, so the mapping is the caller's).
pub fn parse_expr(_text: &str, _span_of: &dyn Fn(usize, usize) -> Span) -> DResult<Expr> {
    unimplemented!("parse_expr")
}
