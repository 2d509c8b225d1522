//! spinspice: a SPICE-like time-domain circuit simulator for spintronic netlists.
//!
//! Data flows one way (see ARCHITECTURE.md):
//! [`netlist`] text → AST → [`elab`] circuit → [`system`] DAE F(x) + dQ(x)/dt = 0
//! built from [`devices`] → [`analysis`] (op, dc, ac, tran) with [`solver`] →
//! [`output`] writers; [`sweep`] runs the points of a sweep in parallel,
//! [`plot`] draws waveforms and sweep maps.

pub mod analysis;
pub mod devices;
pub mod diag;
pub mod elab;
pub mod expr;
pub mod interrupt;
pub mod limits;
pub mod netlist;
pub mod output;
pub mod plot;
pub mod solver;
pub mod sweep;
pub mod system;
