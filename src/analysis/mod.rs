//! Analyses: operating point, DC sweep, AC, transient, measures.
pub mod meas;
