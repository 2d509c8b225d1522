//! Analyses: operating point, DC sweep, AC, transient, measures.
pub mod ac;
pub mod dc;
pub mod hb;
pub mod meas;
pub mod newton;
pub mod op;
pub mod outputs;
pub mod run;
pub mod tran;
