//! `.meas` evaluation on finished analysis data.
//!
//! INTERFACE STUB — implemented by the waveform/measure work item.

use crate::expr::eval::Env;
use crate::netlist::ast::{MeasAnalysis, Measure};
use crate::output::MeasureValue;

/// A recorded signal column.
pub enum Column<'a> {
    Real(&'a [f64]),
    /// AC: real and imaginary parts.
    Complex(&'a [f64], &'a [f64]),
}

/// The data of one finished analysis, as seen by the measures.
pub trait MeasData {
    fn analysis(&self) -> MeasAnalysis;
    /// The independent variable (time, frequency, swept value), increasing.
    fn axis(&self) -> &[f64];
    /// Column of a base probe: `v(a)`, `v(a,b)`, `i(dev)`, `@dev[var]`
    /// (func = "v" | "i" | "@"). None = not recorded / unknown.
    fn column(&self, func: &str, args: &[String]) -> Option<Column<'_>>;
}

/// The base probes the given measures read (so the analysis keeps them).
pub fn required_probes(_measures: &[Measure]) -> Vec<(String, Vec<String>)> {
    unimplemented!()
}

/// Evaluate the measures of `data.analysis()` in order. `params` resolves
/// parameters; PARAM measures may also use earlier measure results by name.
pub fn evaluate(_measures: &[&Measure], _data: &dyn MeasData, _params: &dyn Env) -> Vec<MeasureValue> {
    unimplemented!()
}
