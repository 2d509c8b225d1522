//! Sparse linear solvers. KLU (fixed-pivot refactorization with a pivot-quality
//! check) for real Newton matrices and complex AC matrices.
pub mod klu;

pub use klu::{CscPattern, Klu, LuError, LuStats};
