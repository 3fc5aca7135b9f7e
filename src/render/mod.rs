//! Renderers: summary lines, layered tree, hex dump, JSON, tables.

pub mod conversations;
pub mod escape;
pub mod follow;
pub mod tree;
