//! Display filters (`-Y`): a useful subset of Wireshark's display-filter language, compiled
//! once and evaluated against each frame through the [`FrameFields`] trait.
//!
//! # Language
//! - Protocol names alone test presence: `http`, `http.request`, `http.response`, `tls`,
//!   `tls.handshake`, `tcp`, `udp`, `ip`, `ipv6`, `icmp`, `arp`, `finding`, ….
//!   A field name alone is true when the field has at least one value.
//! - Comparisons `field OP value` with `==` `!=` `<` `>` `<=` `>=` (or `eq ne lt gt le ge`),
//!   `contains` and `matches` (or `~`); `field & MASK` (or `bitwise_and`) on integers, true
//!   when the value has some bit of the mask set.
//! - `&&`/`and`, `||`/`or`, `!`/`not`, parentheses. Precedence: `not` > `and` > `or`.
//! - Values: integers (decimal or `0x` hex), `"strings"` (escapes `\"` `\\` `\n` `\r` `\t`),
//!   IPv4/IPv6 addresses, networks in CIDR form (`ip.addr == 10.0.0.0/8`), flags
//!   (`1`/`0`/`true`/`false`) and bare words for strings (`http.request.method == GET`).
//! - A field on the right compares two fields of one type (`tcp.srcport < tcp.dstport`).
//!
//! # Semantics (as Wireshark 4.x)
//! - A field may have several values in a frame (`ip.addr`, `tcp.port`, …).
//! - `==`, `<`, `>`, `<=`, `>=`, `contains`, `matches` are true when ANY value satisfies them.
//! - `!=` is "all not equal" (Wireshark ≥ 3.6): true when the field is present and NO value
//!   equals; so `ip.addr != 10.0.0.1` excludes every frame to or from 10.0.0.1, and a frame
//!   without the field never matches (as tshark 4.0: `tcp.port != 80` drops UDP frames;
//!   `!(tcp.port == 80)` keeps them).
//! - `contains` is a case-sensitive substring test; `matches` is a regular expression
//!   (Rust `regex` syntax), case-insensitive like Wireshark's; string `==` is exact.
//! - Integers compare numerically; flags compare with 1/0/true/false; addresses compare as
//!   addresses, a network literal matches every address inside it.
//! - Field with field: true when some pair of values compares so; `!=` when both are present
//!   and no pair is equal.

pub mod columns;
mod eval;
mod field_help;
pub mod fields;
mod frame;
mod lexer;
mod parser;

use std::fmt;

pub use fields::{FieldDef, FieldType, FIELDS};

/// One value of a field in a frame (protocol parsers give theirs as this type).
pub use crate::dissect::FieldValue as Value;

/// What a frame offers to a filter. The lead's frame type implements this.
pub trait FrameFields {
    /// Is the protocol present in the frame (`http`, `tls`, `tcp`, … and `http.request`,
    /// `http.response`, `tls.handshake`, `finding`)?
    fn has(&self, name: &str) -> bool;
    /// All values of a field in the frame (empty = field absent). Asked only with canonical
    /// names from [`FIELDS`].
    fn values(&self, field: &str) -> Vec<Value>;
}

/// Why a filter did not compile: where (1-based character column) and what.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("display filter: column {column}: {message}")]
pub struct FilterError {
    pub column: usize,
    pub message: String,
}

impl FilterError {
    fn new(column: usize, message: impl Into<String>) -> Self {
        FilterError {
            column,
            message: message.into(),
        }
    }
}

/// A compiled display filter.
#[derive(Debug, Clone)]
pub struct Filter {
    text: String,
    expr: parser::Expr,
}

/// Compile a display filter.
pub fn compile(expr: &str) -> Result<Filter, FilterError> {
    let parsed = parser::parse(expr)?;
    Ok(Filter {
        text: expr.to_string(),
        expr: parsed,
    })
}

impl Filter {
    /// Does the frame pass the filter?
    pub fn matches(&self, f: &dyn FrameFields) -> bool {
        eval::eval(&self.expr, f)
    }

    /// The filter as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The canonical names the filter refers to (sorted, no duplicates), so a caller can skip
    /// computing fields nobody asks for.
    pub fn names(&self) -> Vec<&'static str> {
        let mut out = Vec::new();
        eval::collect_names(&self.expr, &mut out);
        out.sort_unstable();
        out.dedup();
        out
    }
}

impl fmt::Display for Filter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_is_one_line_with_column() {
        let e = compile("tcp.port ==").err().map(|e| e.to_string());
        assert_eq!(
            e.as_deref(),
            Some("display filter: column 12: expected a value after '=='")
        );
    }

    #[test]
    fn filter_keeps_its_text() {
        let f = compile("http && tcp.port == 80").ok();
        assert_eq!(
            f.map(|f| f.to_string()).as_deref(),
            Some("http && tcp.port == 80")
        );
    }
}
