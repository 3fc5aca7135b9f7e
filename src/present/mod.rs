//! Presentation helpers below every stage that shows something: the `-V` tree node, the
//! escaping of wire bytes for terminals and JSON, and date formatting. Parsers build their
//! own presentation with these; renderers print it. Nothing here imports a later stage.

pub mod escape;
pub mod time;
pub mod tree;
