//! Evaluating a parsed filter against one frame.

use std::cmp::Ordering;
use std::net::IpAddr;

use super::lexer::CmpOp;
use super::parser::{Expr, Literal};
use super::{FrameFields, Value};

pub fn eval(e: &Expr, f: &dyn FrameFields) -> bool {
    match e {
        Expr::Or(a, b) => eval(a, f) || eval(b, f),
        Expr::And(a, b) => eval(a, f) && eval(b, f),
        Expr::Not(a) => !eval(a, f),
        Expr::Present {
            name,
            marker: false,
        } => f.has(name) || !f.values(name).is_empty(),
        Expr::Present { name, marker: true } => f.values(name).iter().any(|v| match v {
            Value::Bool(b) => *b,
            Value::Int(n) => *n != 0,
            _ => true,
        }),
        Expr::Compare { field, op, value } => {
            let values = f.values(field);
            if values.is_empty() {
                return false;
            }
            match op {
                // "All not equal" (Wireshark >= 3.6): present, and no value equals.
                CmpOp::Ne => values.iter().all(|v| !test(v, CmpOp::Eq, value)),
                _ => values.iter().any(|v| test(v, *op, value)),
            }
        }
        Expr::CompareFields { left, op, right } => {
            let (l, r) = (f.values(left), f.values(right));
            let pair = |a: &Value, b: &Value, op| test(a, op, &literal_of(b));
            match op {
                CmpOp::Ne => {
                    !l.is_empty()
                        && !r.is_empty()
                        && l.iter().all(|a| r.iter().all(|b| !pair(a, b, CmpOp::Eq)))
                }
                _ => l.iter().any(|a| r.iter().any(|b| pair(a, b, *op))),
            }
        }
    }
}

/// A field's value as the literal it would be written as.
fn literal_of(v: &Value) -> Literal {
    match v {
        Value::Int(n) => Literal::Int(*n),
        Value::Signed(n) => Literal::Signed(*n),
        Value::Str(s) => Literal::Str(s.clone()),
        Value::Bool(b) => Literal::Bool(*b),
        Value::Time(t) => Literal::Time(*t),
        Value::Addr(a) => Literal::Net {
            addr: *a,
            prefix: if a.is_ipv4() { 32 } else { 128 },
        },
    }
}

pub fn collect_names(e: &Expr, out: &mut Vec<&'static str>) {
    match e {
        Expr::Or(a, b) | Expr::And(a, b) => {
            collect_names(a, out);
            collect_names(b, out);
        }
        Expr::Not(a) => collect_names(a, out),
        Expr::Present { name, .. } | Expr::Compare { field: name, .. } => out.push(name),
        Expr::CompareFields { left, right, .. } => {
            out.push(left);
            out.push(right);
        }
    }
}

fn ordered(ord: Option<Ordering>, op: CmpOp) -> bool {
    let Some(ord) = ord else { return false };
    match op {
        CmpOp::Eq => ord == Ordering::Equal,
        CmpOp::Ne => ord != Ordering::Equal,
        CmpOp::Lt => ord == Ordering::Less,
        CmpOp::Gt => ord == Ordering::Greater,
        CmpOp::Le => ord != Ordering::Greater,
        CmpOp::Ge => ord != Ordering::Less,
        CmpOp::Contains | CmpOp::Matches | CmpOp::BitAnd => false,
    }
}

/// One value against the literal.
fn test(v: &Value, op: CmpOp, lit: &Literal) -> bool {
    match (lit, v) {
        (Literal::Int(n), Value::Int(x)) if op == CmpOp::BitAnd => x & n != 0,
        (Literal::Int(n), Value::Int(x)) => ordered(Some(x.cmp(n)), op),
        (Literal::Int(n), Value::Bool(b)) => ordered(Some(u64::from(*b).cmp(n)), op),
        (Literal::Bool(want), Value::Bool(b)) => ordered(Some(b.cmp(want)), op),
        (Literal::Bool(want), Value::Int(x)) => ordered(Some((*x != 0).cmp(want)), op),
        (Literal::Str(s), v) => {
            let text = match v {
                Value::Str(t) => std::borrow::Cow::Borrowed(t.as_str()),
                other => std::borrow::Cow::Owned(value_text(other)),
            };
            match op {
                CmpOp::Contains => text.contains(s.as_str()),
                CmpOp::Matches => false,
                _ => ordered(Some(text.as_ref().cmp(s.as_str())), op),
            }
        }
        (Literal::Time(n), Value::Time(x)) => ordered(Some(x.cmp(n)), op),
        (Literal::Signed(n), Value::Signed(x)) => ordered(Some(x.cmp(n)), op),
        (Literal::Bytes(want), Value::Str(hex)) => match op {
            // Whole bytes only: a match must start on an even hex digit.
            CmpOp::Contains => hex.match_indices(want.as_str()).any(|(i, _)| i % 2 == 0),
            _ => ordered(Some(hex.as_str().cmp(want.as_str())), op),
        },
        (Literal::Regex(re), v) => match v {
            Value::Str(t) => re.is_match(t),
            other => re.is_match(&value_text(other)),
        },
        (Literal::Net { addr, prefix }, Value::Addr(a)) => match op {
            CmpOp::Eq | CmpOp::Ne => in_network(*a, *addr, *prefix) == (op == CmpOp::Eq),
            _ => ordered(same_family_cmp(*a, *addr), op),
        },
        _ => false,
    }
}

fn value_text(v: &Value) -> String {
    match v {
        Value::Int(n) => n.to_string(),
        Value::Signed(n) => n.to_string(),
        Value::Str(s) => s.clone(),
        Value::Addr(a) => a.to_string(),
        Value::Bool(b) => u8::from(*b).to_string(),
        Value::Time(t) => seconds_text(*t),
    }
}

/// Nanoseconds as tshark prints a time: seconds with nine decimals (`0.069740000`).
pub fn seconds_text(ns: i128) -> String {
    let sign = if ns < 0 { "-" } else { "" };
    let a = ns.unsigned_abs();
    format!("{sign}{}.{:09}", a / 1_000_000_000, a % 1_000_000_000)
}

fn same_family_cmp(a: IpAddr, b: IpAddr) -> Option<Ordering> {
    match (a, b) {
        (IpAddr::V4(x), IpAddr::V4(y)) => Some(x.cmp(&y)),
        (IpAddr::V6(x), IpAddr::V6(y)) => Some(x.cmp(&y)),
        _ => None,
    }
}

/// Is `a` inside `net/prefix`? Addresses of the other family never are.
fn in_network(a: IpAddr, net: IpAddr, prefix: u8) -> bool {
    match (a, net) {
        (IpAddr::V4(x), IpAddr::V4(n)) => {
            let mask = u32::MAX
                .checked_shl(32 - u32::from(prefix.min(32)))
                .unwrap_or(0);
            u32::from(x) & mask == u32::from(n) & mask
        }
        (IpAddr::V6(x), IpAddr::V6(n)) => {
            let mask = u128::MAX
                .checked_shl(128 - u32::from(prefix.min(128)))
                .unwrap_or(0);
            u128::from(x) & mask == u128::from(n) & mask
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::net::{Ipv4Addr, Ipv6Addr};

    use super::super::compile;
    use super::*;

    /// A frame made of a protocol set and a field map.
    #[derive(Default)]
    struct TestFrame {
        protocols: Vec<&'static str>,
        fields: HashMap<&'static str, Vec<Value>>,
    }

    impl TestFrame {
        fn proto(mut self, p: &'static str) -> Self {
            self.protocols.push(p);
            self
        }
        fn field(mut self, name: &'static str, v: Value) -> Self {
            self.fields.entry(name).or_default().push(v);
            self
        }
        fn int(self, name: &'static str, n: u64) -> Self {
            self.field(name, Value::Int(n))
        }
        fn s(self, name: &'static str, t: &str) -> Self {
            self.field(name, Value::Str(t.to_string()))
        }
        fn ip(self, name: &'static str, a: [u8; 4]) -> Self {
            self.field(name, Value::Addr(IpAddr::V4(Ipv4Addr::from(a))))
        }
        fn flag(self, name: &'static str, b: bool) -> Self {
            self.field(name, Value::Bool(b))
        }
    }

    impl FrameFields for TestFrame {
        fn has(&self, name: &str) -> bool {
            self.protocols.contains(&name)
        }
        fn values(&self, field: &str) -> Vec<Value> {
            self.fields.get(field).cloned().unwrap_or_default()
        }
    }

    fn m(filter: &str, f: &TestFrame) -> bool {
        match compile(filter) {
            Ok(c) => c.matches(f),
            Err(e) => panic!("{filter:?}: {e}"),
        }
    }

    /// 127.0.0.1:40000 -> 127.0.0.1:5683, an HTTP GET of 150 bytes.
    fn http_get() -> TestFrame {
        TestFrame::default()
            .proto("frame")
            .proto("eth")
            .proto("ip")
            .proto("tcp")
            .proto("http")
            .proto("http.request")
            .int("frame.len", 150)
            .ip("ip.addr", [127, 0, 0, 1])
            .ip("ip.addr", [127, 0, 0, 1])
            .ip("ip.src", [127, 0, 0, 1])
            .int("tcp.port", 40000)
            .int("tcp.port", 5683)
            .int("tcp.srcport", 40000)
            .int("tcp.dstport", 5683)
            .flag("tcp.flags.syn", false)
            .flag("tcp.flags.ack", true)
            .flag("tcp.analysis.retransmission", false)
            .s("http.request.method", "GET")
            .s("http.host", "squirrel.example")
    }

    /// 10.1.2.3:51000 -> 93.184.216.34:443, a retransmitted ClientHello of 90 bytes.
    fn tls_hello_retransmitted() -> TestFrame {
        TestFrame::default()
            .proto("ip")
            .proto("tcp")
            .proto("tls")
            .proto("tls.handshake")
            .int("frame.len", 90)
            .ip("ip.addr", [10, 1, 2, 3])
            .ip("ip.addr", [93, 184, 216, 34])
            .int("tcp.port", 51000)
            .int("tcp.port", 443)
            .flag("tcp.analysis.retransmission", true)
            .int("tls.handshake.type", 1)
            .int("tls.record.version", 0x0301)
            .s("tls.sni", "www.squirrel-nuts.example")
    }

    fn udp_dns() -> TestFrame {
        TestFrame::default()
            .proto("ip")
            .proto("udp")
            .int("frame.len", 80)
            .int("udp.port", 53)
            .int("udp.port", 33000)
    }

    #[test]
    fn seed_workflow() {
        let (h, t, u) = (http_get(), tls_hello_retransmitted(), udp_dns());
        assert!(m("http", &h) && !m("http", &t) && !m("http", &u));
        assert!(m(r#"http.request.method == "GET""#, &h));
        assert!(m("http.request.method == GET", &h));
        assert!(!m(r#"http.request.method == "POST""#, &h));
        assert!(
            !m(r#"http.request.method == "get""#, &h),
            "string == is exact"
        );
        assert!(m("ip.addr == 127.0.0.1 and tcp.port == 5683", &h));
        assert!(!m("ip.addr == 127.0.0.1 and tcp.port == 5683", &t));
        assert!(m(r#"tls.sni contains "squirrel""#, &t));
        assert!(
            !m(r#"tls.sni contains "Squirrel""#, &t),
            "contains is case-sensitive"
        );
        assert!(!m(r#"tls.sni contains "squirrel""#, &h));
        assert!(m("!tcp.analysis.retransmission", &h));
        assert!(!m("!tcp.analysis.retransmission", &t));
        assert!(m("!tcp.analysis.retransmission", &u));
        assert!(m("frame.len > 100", &h));
        assert!(!m("frame.len > 100", &t));
        assert!(!m("frame.len > 100", &u));
    }

    #[test]
    fn bare_field_is_presence() {
        let (h, t) = (http_get(), tls_hello_retransmitted());
        assert!(m("tls.sni", &t) && !m("tls.sni", &h));
        assert!(
            m("tcp.flags.syn", &h),
            "a flag field is present even when 0, as in Wireshark"
        );
        assert!(
            !m("tcp.analysis.retransmission", &h),
            "an analysis marker is there only when set"
        );
        assert!(m("tcp.analysis.retransmission", &t));
        assert!(
            m("tcp.analysis.retransmission == 1", &t) && !m("tcp.analysis.retransmission == 1", &h)
        );
    }

    #[test]
    fn not_equal_is_all_not_equal_and_needs_the_field() {
        let (h, t, u) = (http_get(), tls_hello_retransmitted(), udp_dns());
        assert!(!m("tcp.port != 5683", &h), "one of the two ports is 5683");
        assert!(m("tcp.port != 5683", &t));
        assert!(!m("tcp.port != 5683", &u), "absent field: false");
        assert!(m("!(tcp.port == 5683)", &u));
        assert!(!m("ip.addr != 93.184.216.34", &t));
        assert!(m("ip.addr != 93.184.216.34", &h));
    }

    #[test]
    fn field_compared_with_field() {
        let (h, t, u) = (http_get(), tls_hello_retransmitted(), udp_dns());
        assert!(m("tcp.srcport > tcp.dstport", &h));
        assert!(!m("tcp.srcport < tcp.dstport", &h));
        assert!(m("tcp.port == tcp.dstport", &h), "some pair is equal");
        assert!(!m("tcp.port != tcp.dstport", &h), "!= is no pair equal");
        assert!(m("tcp.srcport != tcp.dstport", &h));
        assert!(!m("tcp.srcport != tcp.dstport", &t), "absent on one side");
        assert!(m("ip.src == ip.addr", &h));
        assert!(m("udp.port == udp.port && !(tcp.port == tcp.port)", &u));
        assert!(m(
            "tcp.flags.ack == tcp.flags.ack && tcp.flags.ack != tcp.flags.syn",
            &h
        ));
        assert!(compile("tcp.port == ip.addr").is_err(), "not the same type");
        assert!(
            m("tcp.srcport & tcp.dstport", &h),
            "40000 & 5683 share a bit"
        );
        assert!(compile("http.host matches http.host").is_err());
        // A protocol name on the right is still a word, as before.
        assert!(!m("http.host == http", &h));
    }

    #[test]
    fn bitwise_and_tests_a_mask() {
        let t = tls_hello_retransmitted();
        assert!(m("tls.record.version & 0x0001", &t));
        assert!(m("tls.record.version bitwise_and 0x0300", &t));
        assert!(!m("tls.record.version & 0x0002", &t));
        assert!(!m("tls.record.version & 0", &t));
        assert!(compile("tls.sni & 1").is_err(), "integers only");
        assert!(compile("tcp.flags.syn & 1").is_err());
    }

    #[test]
    fn integers_flags_and_hex() {
        let (h, t) = (http_get(), tls_hello_retransmitted());
        assert!(m("tls.record.version == 0x0301", &t));
        assert!(m("tls.record.version lt 0x0303", &t));
        assert!(m("tcp.port >= 5683 && tcp.port <= 5683", &h));
        assert!(m("tcp.flags.ack == 1 and tcp.flags.syn == 0", &h));
        assert!(m("tcp.flags.ack eq true && tcp.flags.syn == false", &h));
        assert!(!m("tcp.flags.syn == 1", &h));
        assert!(m(
            "frame.len ge 150 and frame.len le 150 and not frame.len gt 150",
            &h
        ));
    }

    #[test]
    fn addresses_and_networks() {
        let (h, t) = (http_get(), tls_hello_retransmitted());
        assert!(m("ip.addr == 10.0.0.0/8", &t));
        assert!(!m("ip.addr == 10.0.0.0/8", &h));
        assert!(m("ip.addr == 127.0.0.0/8", &h));
        assert!(m("ip.addr == 0.0.0.0/0", &h));
        assert!(!m("ip.addr != 10.0.0.0/8", &t));
        assert!(m("ip.src > 126.255.255.255", &h));
        let v6 = TestFrame::default()
            .proto("ipv6")
            .field("ipv6.addr", Value::Addr(IpAddr::V6(Ipv6Addr::LOCALHOST)))
            .field(
                "ipv6.addr",
                Value::Addr(IpAddr::V6(Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 1))),
            );
        assert!(m("ipv6.addr == ::1", &v6));
        assert!(m("ipv6.addr == fe80::/10", &v6));
        assert!(!m("ipv6.addr == 2001:db8::/32", &v6));
        assert!(!m("ip.addr == 127.0.0.1", &v6));
    }

    #[test]
    fn strings_contains_matches_and_order() {
        let h = http_get();
        assert!(
            m(r#"http.host matches "^SQUIRREL\.""#, &h),
            "matches is case-insensitive"
        );
        assert!(m(r#"http.host ~ "example$""#, &h));
        assert!(!m(r#"http.host matches "^nuts""#, &h));
        assert!(m(r#"http.host contains "rrel.ex""#, &h));
        assert!(m(r#"http.host > "a" && http.host < "t""#, &h));
    }

    #[test]
    fn boolean_combinations_and_findings() {
        let (h, t, u) = (http_get(), tls_hello_retransmitted(), udp_dns());
        assert!(m("http or tls", &h) && m("http || tls", &t) && !m("http or tls", &u));
        assert!(m("(http or tls) and not udp", &t));
        assert!(!m("http and tls", &h));
        let leak = TestFrame::default()
            .proto("finding")
            .s("finding.kind", "basic-auth")
            .s("finding.severity", "high");
        assert!(m("finding", &leak) && !m("finding", &h));
        assert!(m(
            r#"finding.kind == "basic-auth" and finding.severity == high"#,
            &leak
        ));
        assert!(m(r#"finding.kind contains "auth""#, &leak));
    }

    #[test]
    fn names_lists_canonical_fields() {
        let f =
            compile("tls.handshake.extensions_server_name contains \"a\" or tcp or tls.sni").ok();
        assert_eq!(f.map(|f| f.names()), Some(vec!["tcp", "tls.sni"]));
    }

    #[test]
    fn times_ethernet_addresses_and_bytes() {
        let f = TestFrame::default()
            .field("frame.time_relative", Value::Time(1_500_000_000))
            .field("frame.time_delta", Value::Time(-250_000_000))
            .s("eth.src", "00:10:db:88:d2:ef")
            .s("tcp.payload", "04747f47455420");
        assert!(m("frame.time_relative > 1.4999", &f));
        assert!(m("frame.time_relative == 1.5", &f));
        assert!(!m("frame.time_relative > 1.5", &f));
        assert!(m("frame.time_relative <= 1.500000000", &f));
        assert!(m("frame.time_delta < 0 && frame.time_delta == -0.25", &f));
        assert!(compile("frame.time_relative > soon").is_err());
        assert!(m("eth.src == 00:10:db:88:d2:ef", &f));
        assert!(m("eth.src == 00-10-DB-88-D2-EF", &f));
        assert!(m("eth.src == 0010.db88.d2ef", &f));
        assert!(!m("eth.src != 00:10:db:88:d2:ef", &f));
        assert!(compile("eth.src == 00:10:db:88:d2").is_err(), "five bytes");
        assert!(m(r#"tcp.payload contains "GET""#, &f));
        assert!(m("tcp.payload contains 47:45:54", &f));
        assert!(
            !m("tcp.payload contains 47:47", &f),
            "bytes 04 74 7f: \"4747\" is there only across a byte boundary"
        );
        assert!(m("tcp.payload == 04:74:7f:47:45:54:20", &f));
        assert!(compile("tcp.payload matches \"GET\"").is_err());
        assert_eq!(seconds_text(69_740_000), "0.069740000");
        assert_eq!(seconds_text(-1_000_000_001), "-1.000000001");
    }

    #[test]
    fn network_masks() {
        let a = IpAddr::V4(Ipv4Addr::new(192, 168, 1, 77));
        assert!(in_network(a, IpAddr::V4(Ipv4Addr::new(192, 168, 1, 0)), 24));
        assert!(!in_network(
            a,
            IpAddr::V4(Ipv4Addr::new(192, 168, 2, 0)),
            24
        ));
        assert!(in_network(a, IpAddr::V4(Ipv4Addr::new(1, 2, 3, 4)), 0));
        assert!(!in_network(a, IpAddr::V6(Ipv6Addr::LOCALHOST), 0));
    }
}
