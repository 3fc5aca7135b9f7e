//! Recursive-descent parser: tokens to an [`Expr`], checking names and literal types.
//!
//! Grammar (loosest first): `or := and (("or"|"||") and)*`, `and := unary (("and"|"&&") unary)*`,
//! `unary := ("not"|"!") unary | "(" or ")" | test`, `test := name [cmp value]`.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use regex::Regex;

use super::field_help;
use super::fields::{self, FieldType};
use super::lexer::{lex, CmpOp, Tok, Token};
use super::FilterError;

/// Largest compiled size of a `matches` regular expression.
const REGEX_SIZE_LIMIT: usize = 1 << 20;
/// Deepest nesting of parentheses and `not`s accepted (keeps the recursion bounded).
const MAX_DEPTH: usize = 64;

/// A literal on the right of a comparison, already converted to the field's type.
#[derive(Debug, Clone)]
pub enum Literal {
    Int(u64),
    Signed(i64),
    Str(String),
    Bool(bool),
    /// An address with a prefix length (full length for a plain address).
    Net {
        addr: IpAddr,
        prefix: u8,
    },
    Regex(Regex),
    /// Seconds as nanoseconds (a `Time` field).
    Time(i128),
    /// Bytes as lower-case hex digits (a `Bytes` field).
    Bytes(String),
}

impl PartialEq for Literal {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Literal::Int(a), Literal::Int(b)) => a == b,
            (Literal::Signed(a), Literal::Signed(b)) => a == b,
            (Literal::Str(a), Literal::Str(b)) => a == b,
            (Literal::Bool(a), Literal::Bool(b)) => a == b,
            (Literal::Net { addr: a, prefix: p }, Literal::Net { addr: b, prefix: q }) => {
                a == b && p == q
            }
            (Literal::Regex(a), Literal::Regex(b)) => a.as_str() == b.as_str(),
            (Literal::Time(a), Literal::Time(b)) => a == b,
            (Literal::Bytes(a), Literal::Bytes(b)) => a == b,
            _ => false,
        }
    }
}

/// A parsed filter.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    Or(Box<Expr>, Box<Expr>),
    And(Box<Expr>, Box<Expr>),
    Not(Box<Expr>),
    /// A bare protocol or field name: true when present (a marker: when set).
    Present {
        name: &'static str,
        marker: bool,
    },
    Compare {
        field: &'static str,
        op: CmpOp,
        value: Literal,
    },
    /// Two fields of one type compared (`tcp.srcport < tcp.dstport`): true when some pair of
    /// their values compares so (for `!=`: no pair is equal), as in Wireshark.
    CompareFields {
        left: &'static str,
        op: CmpOp,
        right: &'static str,
    },
}

pub fn parse(src: &str) -> Result<Expr, FilterError> {
    let (tokens, end) = lex(src)?;
    if tokens.is_empty() {
        return Err(FilterError::new(1, "empty filter"));
    }
    let mut p = Parser {
        tokens,
        pos: 0,
        end,
        depth: 0,
    };
    let expr = p.or()?;
    if let Some(t) = p.peek() {
        let msg = match t.tok {
            Tok::RParen => "unbalanced parentheses: ')' without a matching '('".to_string(),
            Tok::Cmp(op) => format!(
                "unexpected '{}': a comparison needs a field on its left",
                op.symbol()
            ),
            _ => format!(
                "unexpected {} after a complete expression (missing 'and' or 'or'?)",
                t.tok.describe()
            ),
        };
        return Err(FilterError::new(t.col, msg));
    }
    Ok(expr)
}

struct Parser {
    tokens: Vec<Token>,
    pos: usize,
    end: usize,
    depth: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.pos)
    }

    fn next(&mut self) -> Option<Token> {
        let t = self.tokens.get(self.pos).cloned();
        if t.is_some() {
            self.pos += 1;
        }
        t
    }

    fn eat(&mut self, tok: &Tok) -> bool {
        if self.peek().map(|t| &t.tok) == Some(tok) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn or(&mut self) -> Result<Expr, FilterError> {
        let mut left = self.and()?;
        while self.eat(&Tok::Or) {
            let right = self.and()?;
            left = Expr::Or(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Expr, FilterError> {
        let mut left = self.unary()?;
        while self.eat(&Tok::And) {
            let right = self.unary()?;
            left = Expr::And(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn unary(&mut self) -> Result<Expr, FilterError> {
        let Some(t) = self.next() else {
            return Err(FilterError::new(
                self.end,
                "unexpected end of filter: expected a field or protocol name",
            ));
        };
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(FilterError::new(
                t.col,
                format!("filter nested deeper than {MAX_DEPTH} levels"),
            ));
        }
        let r = match t.tok {
            Tok::Not => self.unary().map(|e| Expr::Not(Box::new(e))),
            Tok::LParen => {
                let inner = self.or()?;
                if self.eat(&Tok::RParen) {
                    Ok(inner)
                } else {
                    let (col, what) = match self.peek() {
                        Some(n) => (n.col, format!("found {}", n.tok.describe())),
                        None => (self.end, "found the end of the filter".to_string()),
                    };
                    Err(FilterError::new(
                        col,
                        format!("unbalanced parentheses: expected ')' to close the '(' at column {}, {what}", t.col),
                    ))
                }
            }
            Tok::Word(name) => self.test(&name, t.col),
            other => Err(FilterError::new(
                t.col,
                format!(
                    "expected a field or protocol name, found {}",
                    other.describe()
                ),
            )),
        };
        self.depth -= 1;
        r
    }

    /// A name, optionally compared with a value.
    fn test(&mut self, name: &str, col: usize) -> Result<Expr, FilterError> {
        let Some(def) = fields::lookup(name) else {
            let hint = field_help::suggestion(name)
                .map(|s| format!(" ({s})"))
                .unwrap_or_default();
            let what = if looks_like_value(name) {
                "a field or protocol name, found the value"
            } else {
                "unknown field or protocol"
            };
            return Err(FilterError::new(col, format!("{what} '{name}'{hint}")));
        };
        let op = match self.peek().map(|t| &t.tok) {
            Some(Tok::Cmp(op)) => *op,
            _ => {
                return Ok(Expr::Present {
                    name: def.name,
                    marker: def.ty == FieldType::Marker,
                })
            }
        };
        self.pos += 1;
        if def.ty == FieldType::Protocol {
            return Err(FilterError::new(
                col,
                format!("'{}' is a protocol and cannot be compared with '{}'; use it alone to test for presence", def.name, op.symbol()),
            ));
        }
        check_op(def.name, def.ty, op, col)?;
        let value_tok = match self.next() {
            Some(
                t @ Token {
                    tok: Tok::Word(_) | Tok::Str(_),
                    ..
                },
            ) => t,
            Some(t) => {
                return Err(FilterError::new(
                    t.col,
                    format!(
                        "expected a value after '{}', found {}",
                        op.symbol(),
                        t.tok.describe()
                    ),
                ))
            }
            None => {
                return Err(FilterError::new(
                    self.end,
                    format!("expected a value after '{}'", op.symbol()),
                ))
            }
        };
        if let Tok::Word(w) = &value_tok.tok {
            if let Some(other) = fields::lookup(w).filter(|d| d.ty != FieldType::Protocol) {
                if op == CmpOp::Matches || !same_kind(def.ty, other.ty) {
                    return Err(FilterError::new(
                        value_tok.col,
                        format!(
                            "'{}' cannot be compared with '{}', a {} field",
                            def.name,
                            other.name,
                            other.ty.name()
                        ),
                    ));
                }
                return Ok(Expr::CompareFields {
                    left: def.name,
                    op,
                    right: other.name,
                });
            }
        }
        let value = literal(def.name, def.ty, op, &value_tok)?;
        Ok(Expr::Compare {
            field: def.name,
            op,
            value,
        })
    }
}

/// Whether values of the two types compare with each other (flags compare as 0/1 integers).
fn same_kind(a: FieldType, b: FieldType) -> bool {
    use FieldType::{Bool, Int, Marker};
    a == b || matches!((a, b), (Int | Bool | Marker, Int | Bool | Marker))
}

fn looks_like_value(word: &str) -> bool {
    word.starts_with(|c: char| c.is_ascii_digit()) || word.contains(':')
}

/// Which operators a type allows.
fn check_op(field: &str, ty: FieldType, op: CmpOp, col: usize) -> Result<(), FilterError> {
    let ok = match op {
        CmpOp::Eq | CmpOp::Ne => true,
        CmpOp::Lt | CmpOp::Gt | CmpOp::Le | CmpOp::Ge => {
            !matches!(ty, FieldType::Bool | FieldType::Marker)
        }
        CmpOp::Contains => matches!(ty, FieldType::Str | FieldType::Bytes),
        CmpOp::Matches => ty == FieldType::Str,
        CmpOp::BitAnd => ty == FieldType::Int,
    };
    if ok {
        Ok(())
    } else {
        Err(FilterError::new(
            col,
            format!(
                "'{}' cannot be used with '{field}', a {} field",
                op.symbol(),
                ty.name()
            ),
        ))
    }
}

/// Convert the value token to a literal of the field's type.
fn literal(field: &str, ty: FieldType, op: CmpOp, t: &Token) -> Result<Literal, FilterError> {
    let (text, quoted) = match &t.tok {
        Tok::Word(w) => (w.as_str(), false),
        Tok::Str(s) => (s.as_str(), true),
        _ => ("", false),
    };
    let bad = |what: &str| {
        FilterError::new(
            t.col,
            format!("{} is not a valid {what} (for '{field}')", t.tok.describe()),
        )
    };
    match ty {
        FieldType::Int => parse_int(text)
            .map(Literal::Int)
            .ok_or_else(|| bad("integer (decimal or 0x hex)")),
        FieldType::Signed => {
            let (neg, digits) = match text.strip_prefix('-') {
                Some(d) => (true, d),
                None => (false, text),
            };
            parse_int(digits)
                .and_then(|n| i64::try_from(n).ok())
                .map(|n| Literal::Signed(if neg { -n } else { n }))
                .ok_or_else(|| bad("signed integer (such as -1)"))
        }
        FieldType::Bool | FieldType::Marker => match text.to_ascii_lowercase().as_str() {
            "1" | "true" => Ok(Literal::Bool(true)),
            "0" | "false" => Ok(Literal::Bool(false)),
            _ => Err(bad("boolean (1, 0, true or false)")),
        },
        FieldType::Str if op == CmpOp::Matches => regex::RegexBuilder::new(text)
            .case_insensitive(true)
            .size_limit(REGEX_SIZE_LIMIT)
            .build()
            .map(Literal::Regex)
            .map_err(|e| {
                let first = e
                    .to_string()
                    .lines()
                    .last()
                    .unwrap_or("")
                    .trim()
                    .to_string();
                FilterError::new(t.col, format!("invalid regular expression: {first}"))
            }),
        FieldType::Str => Ok(Literal::Str(text.to_string())),
        FieldType::Time => parse_seconds(text)
            .map(Literal::Time)
            .ok_or_else(|| bad("time in seconds (such as 1.5)")),
        FieldType::Ether => parse_bytes(text)
            .filter(|b| b.len() == 6)
            .map(|b| {
                let a: [u8; 6] = std::array::from_fn(|i| b[i]);
                Literal::Str(super::frame::ether_text(&a))
            })
            .ok_or_else(|| bad("Ethernet address (such as 00:11:22:aa:bb:cc)")),
        FieldType::Bytes if quoted => Ok(Literal::Bytes(hex::encode(text.as_bytes()))),
        FieldType::Bytes => parse_bytes(text)
            .map(|b| Literal::Bytes(hex::encode(b)))
            .ok_or_else(|| bad("byte string (such as 47:45:54, or a quoted string)")),
        FieldType::Ipv4 | FieldType::Ipv6 => {
            let v6 = ty == FieldType::Ipv6;
            let what = if v6 {
                "IPv6 address or network"
            } else {
                "IPv4 address or network"
            };
            if quoted && text.is_empty() {
                return Err(bad(what));
            }
            let (addr_text, prefix_text) = match text.split_once('/') {
                Some((a, p)) => (a, Some(p)),
                None => (text, None),
            };
            let addr: IpAddr = if v6 {
                addr_text
                    .parse::<Ipv6Addr>()
                    .map(IpAddr::V6)
                    .map_err(|_| bad(what))?
            } else {
                addr_text
                    .parse::<Ipv4Addr>()
                    .map(IpAddr::V4)
                    .map_err(|_| bad(what))?
            };
            let max = if v6 { 128 } else { 32 };
            let prefix = match prefix_text {
                None => max,
                Some(p) => match p.parse::<u8>() {
                    Ok(n) if n <= max && p.bytes().all(|b| b.is_ascii_digit()) => n,
                    _ => {
                        return Err(FilterError::new(
                            t.col,
                            format!(
                                "'{p}' is not a valid prefix length (0 to {max}) in {}",
                                t.tok.describe()
                            ),
                        ))
                    }
                },
            };
            if prefix < max && !matches!(op, CmpOp::Eq | CmpOp::Ne) {
                return Err(FilterError::new(
                    t.col,
                    format!(
                        "a network ({}) can only be compared with '==' or '!='",
                        t.tok.describe()
                    ),
                ));
            }
            Ok(Literal::Net { addr, prefix })
        }
        FieldType::Protocol => Err(bad("value")),
    }
}

/// Seconds written as a decimal number (`1.5`, `-0.25`, `1362692526.869344`), as
/// nanoseconds; digits past the ninth decimal are dropped.
fn parse_seconds(text: &str) -> Option<i128> {
    let (neg, t) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (whole, frac) = t.split_once('.').unwrap_or((t, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if (whole.is_empty() && frac.is_empty()) || !digits(whole) || !digits(frac) || whole.len() > 20
    {
        return None;
    }
    let secs: i128 = if whole.is_empty() {
        0
    } else {
        whole.parse().ok()?
    };
    let mut ns: i128 = 0;
    for i in 0..9 {
        ns = ns * 10 + frac.as_bytes().get(i).map_or(0, |b| i128::from(b - b'0'));
    }
    let total = secs * 1_000_000_000 + ns;
    Some(if neg { -total } else { total })
}

/// Bytes written as hex pairs separated by `:`, `-` or `.` (`47:45:54`), or as one run of
/// hex digits of even length with no separator (`00112233aabb`, `0011.2233.aabb`).
fn parse_bytes(text: &str) -> Option<Vec<u8>> {
    let parts: Vec<&str> = text.split([':', '-']).collect();
    if parts.len() > 1 {
        return parts
            .iter()
            .map(|p| match p.len() {
                1 | 2 => u8::from_str_radix(p, 16).ok(),
                _ => None,
            })
            .collect();
    }
    let run: String = text.chars().filter(|c| *c != '.').collect();
    if run.is_empty() {
        return None;
    }
    if text.contains('.') && text.split('.').all(|p| p.len() <= 2) {
        return text
            .split('.')
            .map(|p| u8::from_str_radix(p, 16).ok())
            .collect();
    }
    hex::decode(run).ok()
}

/// Decimal or `0x` hexadecimal.
fn parse_int(text: &str) -> Option<u64> {
    let t = text.trim();
    if let Some(hex) = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        if hex.is_empty() || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        u64::from_str_radix(hex, 16).ok()
    } else if !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()) {
        t.parse().ok()
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn present(n: &'static str) -> Box<Expr> {
        Box::new(Expr::Present {
            name: n,
            marker: false,
        })
    }

    fn err(src: &str) -> (usize, String) {
        match parse(src) {
            Ok(e) => panic!("{src:?} parsed as {e:?}"),
            Err(e) => (e.column, e.message),
        }
    }

    #[test]
    fn precedence_not_and_or() {
        // not > and > or:  !a && b || c  ==  ((!a) && b) || c
        assert_eq!(
            parse("!tcp && udp || ip").ok(),
            Some(Expr::Or(
                Box::new(Expr::And(
                    Box::new(Expr::Not(present("tcp"))),
                    present("udp")
                )),
                present("ip")
            ))
        );
        // a or b and c == a or (b and c)
        assert_eq!(
            parse("tcp or udp and ip").ok(),
            Some(Expr::Or(
                present("tcp"),
                Box::new(Expr::And(present("udp"), present("ip")))
            ))
        );
        // not binds tighter than a comparison chain's and
        assert_eq!(
            parse("not tcp and udp").ok(),
            Some(Expr::And(
                Box::new(Expr::Not(present("tcp"))),
                present("udp")
            ))
        );
        assert_eq!(
            parse("!tcp.analysis.retransmission").ok(),
            Some(Expr::Not(Box::new(Expr::Present {
                name: "tcp.analysis.retransmission",
                marker: true
            })))
        );
    }

    #[test]
    fn parentheses_override_precedence() {
        assert_eq!(
            parse("(tcp or udp) and ip").ok(),
            Some(Expr::And(
                Box::new(Expr::Or(present("tcp"), present("udp"))),
                present("ip")
            ))
        );
        assert_eq!(parse("not (tcp)").ok(), Some(Expr::Not(present("tcp"))));
    }

    #[test]
    fn comparisons_and_literals() {
        assert_eq!(
            parse("tcp.port eq 0x50").ok(),
            Some(Expr::Compare {
                field: "tcp.port",
                op: CmpOp::Eq,
                value: Literal::Int(80)
            })
        );
        assert_eq!(
            parse("http.request.method == GET").ok(),
            Some(Expr::Compare {
                field: "http.request.method",
                op: CmpOp::Eq,
                value: Literal::Str("GET".into())
            })
        );
        assert_eq!(
            parse(r#"http.request.method == "GET""#).ok(),
            Some(Expr::Compare {
                field: "http.request.method",
                op: CmpOp::Eq,
                value: Literal::Str("GET".into())
            })
        );
        assert_eq!(
            parse("ip.addr == 10.0.0.0/8").ok(),
            Some(Expr::Compare {
                field: "ip.addr",
                op: CmpOp::Eq,
                value: Literal::Net {
                    addr: IpAddr::V4(Ipv4Addr::new(10, 0, 0, 0)),
                    prefix: 8
                }
            })
        );
        assert_eq!(
            parse("tls.handshake.extensions_server_name contains \"x\"").ok(),
            Some(Expr::Compare {
                field: "tls.sni",
                op: CmpOp::Contains,
                value: Literal::Str("x".into())
            })
        );
        assert_eq!(
            parse("tcp.flags.syn == true").ok(),
            Some(Expr::Compare {
                field: "tcp.flags.syn",
                op: CmpOp::Eq,
                value: Literal::Bool(true)
            })
        );
        assert!(matches!(
            parse("ipv6.addr == fe80::/10"),
            Ok(Expr::Compare {
                value: Literal::Net { prefix: 10, .. },
                ..
            })
        ));
        assert!(matches!(
            parse("http.host matches \"^www\\.\""),
            Ok(Expr::Compare {
                value: Literal::Regex(_),
                ..
            })
        ));
    }

    #[test]
    fn error_unknown_field_with_suggestion() {
        let (col, msg) = err("tcp and ip.adr == 1.2.3.4");
        assert_eq!(col, 9);
        assert!(msg.contains("unknown field or protocol 'ip.adr'"), "{msg}");
        assert!(msg.contains("ip.addr"), "{msg}");
    }

    #[test]
    fn error_missing_value() {
        let (col, msg) = err("tcp.port ==");
        assert_eq!((col, msg.as_str()), (12, "expected a value after '=='"));
        let (col, msg) = err("tcp.port == and udp");
        assert_eq!(col, 13);
        assert!(msg.starts_with("expected a value after '=='"), "{msg}");
    }

    #[test]
    fn error_unbalanced_parentheses() {
        let (col, msg) = err("(tcp or udp");
        assert_eq!(col, 12);
        assert!(
            msg.contains("expected ')' to close the '(' at column 1"),
            "{msg}"
        );
        let (col, msg) = err("tcp or udp)");
        assert_eq!(col, 11);
        assert!(msg.contains("')' without a matching '('"), "{msg}");
        assert_eq!(err("()").0, 2);
    }

    #[test]
    fn error_bad_operator() {
        let (col, msg) = err("frame.len = 100");
        assert_eq!(col, 11);
        assert!(msg.contains("'=' is not an operator"), "{msg}");
        let (col, msg) = err("tcp.flags.syn > 0");
        assert_eq!(col, 1);
        assert!(
            msg.contains("'>' cannot be used with 'tcp.flags.syn'"),
            "{msg}"
        );
        let (col, msg) = err("frame.len contains \"a\"");
        assert_eq!(col, 1);
        assert!(msg.contains("'contains' cannot be used"), "{msg}");
        assert_eq!(err("tcp == 1").0, 1);
        assert_eq!(err("== 1").0, 1);
    }

    #[test]
    fn error_trailing_garbage() {
        let (col, msg) = err("tcp.port == 80 443");
        assert_eq!(col, 16);
        assert!(
            msg.contains("unexpected '443' after a complete expression"),
            "{msg}"
        );
        assert_eq!(err("tcp andd udp").0, 5);
        assert_eq!(err("tcp and").0, 8);
    }

    #[test]
    fn error_bad_address_and_values() {
        let (col, msg) = err("ip.addr == 10.0.0.300");
        assert_eq!(col, 12);
        assert!(
            msg.contains("'10.0.0.300' is not a valid IPv4 address"),
            "{msg}"
        );
        assert_eq!(err("ip.addr == 10.0.0.0/33").0, 12);
        assert_eq!(err("ipv6.addr == 10.0.0.1").0, 14);
        assert_eq!(err("ip.src > 10.0.0.0/8").0, 10);
        assert_eq!(err("tcp.port == http").0, 13);
        assert_eq!(err("tcp.flags.syn == 2").0, 18);
        assert_eq!(err("http.host matches \"(\"").0, 19);
        assert_eq!(err("").0, 1);
    }
}
