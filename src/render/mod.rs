//! Renderers: summary lines, layered tree, hex dump, JSON, tables.

pub mod escape;
pub mod tree;
