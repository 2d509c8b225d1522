//! Elaboration: AST → flat circuit.
