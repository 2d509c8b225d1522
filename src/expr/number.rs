//! SPICE numbers: `1.5`, `1e-3`, engineering suffixes `f p n u m k meg g t mil`
//! (case-insensitive, also `µ`), trailing unit letters ignored (`10pF`, `1kHz`).
//!
//! INTERFACE STUB — implemented by the parser work item.

/// Parse a number at the start of `s`; returns the value and the number of
/// bytes consumed (digits, exponent, suffix and trailing unit letters).
pub fn parse_number(_s: &str) -> Option<(f64, usize)> {
    unimplemented!("parse_number")
}
