//! Sparse linear solvers.
