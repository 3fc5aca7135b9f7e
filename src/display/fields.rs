//! The protocols and fields a display filter may name, and the type of each.
//!
//! [`FrameFields::values`](super::FrameFields::values) is always asked with the canonical
//! name given here (aliases are resolved at compile time), and should answer with values of
//! the [`Value`](super::Value) variant that [`FieldType::value_kind`] names.

/// What kind of thing a name refers to, and therefore which literals it compares with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldType {
    /// A protocol (or message kind): only tested for presence with `has()`.
    Protocol,
    /// An unsigned integer (`Value::Int`).
    Int,
    /// A signed integer (`Value::Signed`): compared with decimal literals, `-1` too.
    Signed,
    /// Text (`Value::Str`).
    Str,
    /// An IPv4 address (`Value::Addr` holding a V4).
    Ipv4,
    /// An IPv6 address (`Value::Addr` holding a V6).
    Ipv6,
    /// A flag (`Value::Bool`).
    Bool,
    /// A time or time difference in seconds (`Value::Time`, nanoseconds): compared with a
    /// decimal number of seconds (`frame.time_relative > 1.5`).
    Time,
    /// An Ethernet address (`Value::Str` in lower-case colon form `00:11:22:aa:bb:cc`);
    /// literals may also be written with `-` or `.` between the bytes, in either case.
    Ether,
    /// A byte string (`Value::Str` of lower-case hex digits, as tshark prints it): compared
    /// with bytes written `47:45:54` (or `-`/`.` separated) or a quoted string (`"GET"`),
    /// `contains` looks for the bytes.
    Bytes,
    /// An analysis flag that Wireshark adds only when it is set (`tcp.analysis.*`): a bare
    /// name is true when some value is `Bool(true)`, so giving `Bool(false)` or nothing both
    /// mean "not set".
    Marker,
}

impl FieldType {
    /// The name of the `Value` variant expected from `values()` for this type.
    pub fn value_kind(self) -> &'static str {
        match self {
            FieldType::Protocol => "none (presence only)",
            FieldType::Int => "Value::Int",
            FieldType::Signed => "Value::Signed",
            FieldType::Str | FieldType::Ether | FieldType::Bytes => "Value::Str",
            FieldType::Time => "Value::Time",
            FieldType::Ipv4 => "Value::Addr (IPv4)",
            FieldType::Ipv6 => "Value::Addr (IPv6)",
            FieldType::Bool | FieldType::Marker => "Value::Bool",
        }
    }

    /// Human name of the type, for error messages.
    pub fn name(self) -> &'static str {
        match self {
            FieldType::Protocol => "protocol",
            FieldType::Int => "integer",
            FieldType::Signed => "signed integer",
            FieldType::Str => "string",
            FieldType::Time => "time",
            FieldType::Ether => "Ethernet address",
            FieldType::Bytes => "bytes",
            FieldType::Ipv4 => "IPv4 address",
            FieldType::Ipv6 => "IPv6 address",
            FieldType::Bool | FieldType::Marker => "boolean",
        }
    }
}

/// A name known to the filter language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldDef {
    pub name: &'static str,
    pub ty: FieldType,
}

const fn def(name: &'static str, ty: FieldType) -> FieldDef {
    FieldDef { name, ty }
}

use FieldType::{Bool, Bytes, Ether, Int, Ipv4, Ipv6, Marker, Protocol, Signed, Str, Time};

/// Every protocol and field name, canonical spelling.
pub const FIELDS: &[FieldDef] = &[
    def("frame", Protocol),
    def("eth", Protocol),
    def("ip", Protocol),
    def("ipv6", Protocol),
    def("tcp", Protocol),
    def("udp", Protocol),
    def("icmp", Protocol),
    def("icmpv6", Protocol),
    def("arp", Protocol),
    def("http", Protocol),
    def("http.request", Protocol),
    def("http.response", Protocol),
    def("http2", Protocol),
    def("http3", Protocol),
    def("tls", Protocol),
    def("tls.handshake", Protocol),
    def("tls.alert", Protocol),
    def("frame.number", Int),
    def("frame.len", Int),
    def("frame.cap_len", Int),
    def("frame.time_epoch", Time),
    def("frame.time_relative", Time),
    def("frame.time_delta", Time),
    def("eth.addr", Ether),
    def("eth.src", Ether),
    def("eth.dst", Ether),
    def("eth.type", Int),
    def("vlan.id", Int),
    def("vxlan", Protocol),
    def("vxlan.vni", Int),
    def("geneve", Protocol),
    def("geneve.vni", Int),
    def("gre", Protocol),
    def("gre.proto", Int),
    def("gre.key", Int),
    def("erspan", Protocol),
    def("erspan.spanid", Int),
    def("mpls", Protocol),
    def("mpls.label", Int),
    def("pppoes", Protocol),
    def("pppoe.session_id", Int),
    def("ppp", Protocol),
    def("ip.addr", Ipv4),
    def("ip.src", Ipv4),
    def("ip.dst", Ipv4),
    def("ip.version", Int),
    def("ip.hdr_len", Int),
    def("ip.dsfield", Int),
    def("ip.len", Int),
    def("ip.id", Int),
    def("ip.flags", Int),
    def("ip.flags.df", Bool),
    def("ip.flags.mf", Bool),
    def("ip.frag_offset", Int),
    def("ip.ttl", Int),
    def("ip.proto", Int),
    def("ip.checksum", Int),
    def("ip.fragment", Int),
    def("ip.fragment.count", Int),
    def("ip.reassembled.length", Int),
    def("ipv6.addr", Ipv6),
    def("ipv6.src", Ipv6),
    def("ipv6.dst", Ipv6),
    def("ipv6.tclass", Int),
    def("ipv6.flow", Int),
    def("ipv6.plen", Int),
    def("ipv6.nxt", Int),
    def("ipv6.hlim", Int),
    def("ipv6.fraghdr.nxt", Int),
    def("ipv6.fraghdr.offset", Int),
    def("ipv6.fraghdr.more", Bool),
    def("ipv6.fraghdr.ident", Int),
    def("ipv6.fragment", Int),
    def("ipv6.fragment.count", Int),
    def("ipv6.reassembled.length", Int),
    def("tcp.port", Int),
    def("tcp.srcport", Int),
    def("tcp.dstport", Int),
    def("tcp.stream", Int),
    def("tcp.len", Int),
    def("tcp.seq", Int),
    def("tcp.ack", Int),
    def("tcp.seq_raw", Int),
    def("tcp.ack_raw", Int),
    def("tcp.nxtseq", Int),
    def("tcp.hdr_len", Int),
    def("tcp.flags", Int),
    def("tcp.flags.syn", Bool),
    def("tcp.flags.ack", Bool),
    def("tcp.flags.fin", Bool),
    def("tcp.flags.reset", Bool),
    def("tcp.flags.push", Bool),
    def("tcp.flags.urg", Bool),
    def("tcp.window_size_value", Int),
    def("tcp.window_size", Int),
    def("tcp.window_size_scalefactor", Signed),
    def("tcp.checksum", Int),
    def("tcp.urgent_pointer", Int),
    def("tcp.options.mss_val", Int),
    def("tcp.options.wscale.shift", Int),
    def("tcp.payload", Bytes),
    def("tcp.analysis.flags", Marker),
    def("tcp.analysis.retransmission", Marker),
    def("tcp.analysis.fast_retransmission", Marker),
    def("tcp.analysis.spurious_retransmission", Marker),
    def("tcp.analysis.out_of_order", Marker),
    def("tcp.analysis.lost_segment", Marker),
    def("tcp.analysis.ack_lost_segment", Marker),
    def("tcp.analysis.window_update", Marker),
    def("tcp.analysis.window_full", Marker),
    def("tcp.analysis.keep_alive", Marker),
    def("tcp.analysis.keep_alive_ack", Marker),
    def("tcp.analysis.duplicate_ack", Marker),
    def("tcp.analysis.zero_window_probe", Marker),
    def("tcp.analysis.zero_window", Marker),
    def("tcp.analysis.zero_window_probe_ack", Marker),
    def("tcp.analysis.duplicate_ack_num", Int),
    def("tcp.analysis.duplicate_ack_frame", Int),
    def("tcp.analysis.acks_frame", Int),
    def("tcp.analysis.ack_rtt", Time),
    def("tcp.analysis.initial_rtt", Time),
    def("tcp.analysis.rto", Time),
    def("tcp.analysis.rto_frame", Int),
    def("tcp.analysis.bytes_in_flight", Int),
    def("tcp.analysis.push_bytes_sent", Int),
    def("udp.port", Int),
    def("udp.srcport", Int),
    def("udp.dstport", Int),
    def("udp.stream", Int),
    def("udp.length", Int),
    def("udp.checksum", Int),
    def("icmp.type", Int),
    def("icmp.code", Int),
    def("icmpv6.type", Int),
    def("icmpv6.code", Int),
    def("http.host", Str),
    def("http.request.method", Str),
    def("http.request.uri", Str),
    def("http.response.code", Int),
    def("http.content_type", Str),
    def("http.user_agent", Str),
    def("http.request.version", Str),
    def("http.request.full_uri", Str),
    def("http.response.version", Str),
    def("http.response.phrase", Str),
    def("http.response_for.uri", Str),
    def("http.request_in", Int),
    def("http.content_length", Int),
    def("http.server", Str),
    def("http.cookie", Str),
    def("http.set_cookie", Str),
    def("http.authorization", Str),
    def("http.referer", Str),
    def("http.location", Str),
    def("http.accept", Str),
    def("http.accept_encoding", Str),
    def("http.accept_language", Str),
    def("http.connection", Str),
    def("http.content_encoding", Str),
    def("http.transfer_encoding", Str),
    def("http.cache_control", Str),
    def("http.last_modified", Str),
    def("http.date", Str),
    def("http.x_forwarded_for", Str),
    def("http.www_authenticate", Str),
    def("http.proxy_authenticate", Str),
    def("http.proxy_authorization", Str),
    def("http.upgrade", Str),
    def("http.sec_websocket_key", Str),
    def("http.sec_websocket_accept", Str),
    def("http.sec_websocket_version", Str),
    def("http.sec_websocket_protocol", Str),
    def("http.sec_websocket_extensions", Str),
    def("http.response.code.desc", Str),
    def("http.request.uri.path", Str),
    def("http.request.uri.query", Str),
    def("http.request.uri.query.parameter", Str),
    def("http.content_length_header", Str),
    def("http.cookie_pair", Str),
    def("http.authbasic", Str),
    def("http.file_data", Str),
    def("http.time", Time),
    def("http.request.line", Str),
    def("http.response.line", Str),
    def("http.request_number", Int),
    def("http.response_number", Int),
    def("http.prev_request_in", Int),
    def("http.prev_response_in", Int),
    def("http2.streamid", Int),
    def("http2.type", Int),
    def("http2.flags", Int),
    def("http2.length", Int),
    def("http2.header.name", Str),
    def("http2.header.value", Str),
    def("http2.headers.method", Str),
    def("http2.headers.path", Str),
    def("http2.headers.authority", Str),
    def("http2.headers.scheme", Str),
    def("http2.headers.status", Int),
    def("tls.handshake.type", Int),
    def("tls.sni", Str),
    def("tls.record.version", Int),
    def("tls.handshake.version", Int),
    def("tls.alert.description", Int),
    def("tls.record.content_type", Int),
    def("tls.handshake.ciphersuite", Int),
    def("tls.handshake.extension.type", Int),
    def("tls.handshake.extensions_alpn_str", Str),
    def("tls.handshake.extensions.supported_version", Int),
    def("tls.handshake.extensions_supported_group", Int),
    def("dns", Protocol),
    def("dns.query", Protocol),
    def("dns.response", Protocol),
    def("dns.id", Int),
    def("dns.flags.response", Bool),
    def("dns.flags.truncated", Bool),
    def("dns.flags.rcode", Int),
    def("dns.flags", Int),
    def("dns.flags.opcode", Int),
    def("dns.flags.authoritative", Bool),
    def("dns.flags.recdesired", Bool),
    def("dns.flags.recavail", Bool),
    def("dns.count.queries", Int),
    def("dns.count.answers", Int),
    def("dns.count.auth_rr", Int),
    def("dns.count.add_rr", Int),
    def("dns.qry.class", Int),
    def("dns.resp.type", Int),
    def("dns.resp.ttl", Int),
    def("dns.qry.name", Str),
    def("dns.qry.type", Int),
    def("dns.resp.name", Str),
    def("dns.a", Ipv4),
    def("dns.aaaa", Ipv6),
    def("dns.cname", Str),
    def("dns.txt", Str),
    def("quic", Protocol),
    def("quic.initial", Protocol),
    def("quic.version", Int),
    def("quic.long.packet_type", Int),
    def("quic.dcid", Bytes),
    def("quic.scid", Bytes),
    def("finding", Str),
    def("finding.kind", Str),
    def("finding.severity", Str),
];

/// Other spellings accepted for a canonical name (Wireshark's long names).
pub const ALIASES: &[(&str, &str)] = &[
    ("tls.handshake.extensions_server_name", "tls.sni"),
    ("ssl", "tls"),
    ("tcp.flags.rst", "tcp.flags.reset"),
    ("frame.cap_length", "frame.cap_len"),
    ("tls.alert_message", "tls.alert"),
    ("tls.alert_message.desc", "tls.alert.description"),
];

/// Look a name up (aliases resolved).
pub fn lookup(name: &str) -> Option<FieldDef> {
    let canonical = ALIASES
        .iter()
        .find(|(alias, _)| *alias == name)
        .map(|(_, c)| *c)
        .unwrap_or(name);
    FIELDS.iter().find(|d| d.name == canonical).copied()
}

/// Known names close to an unknown one, best first (at most three).
pub fn close_names(name: &str) -> Vec<&'static str> {
    let mut scored: Vec<(f64, &'static str)> = FIELDS
        .iter()
        .map(|d| d.name)
        .chain(ALIASES.iter().map(|(a, _)| *a))
        .map(|known| (strsim::jaro_winkler(name, known), known))
        .filter(|(score, _)| *score >= 0.85)
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(b.1)));
    scored.into_iter().take(3).map(|(_, n)| n).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookup_resolves_aliases() {
        assert_eq!(
            lookup("tls.handshake.extensions_server_name").map(|d| d.name),
            Some("tls.sni")
        );
        assert_eq!(lookup("tcp.port").map(|d| d.ty), Some(FieldType::Int));
        assert_eq!(lookup("ip.adr"), None);
    }

    #[test]
    fn names_are_unique() {
        for (i, a) in FIELDS.iter().enumerate() {
            assert!(
                FIELDS.iter().skip(i + 1).all(|b| b.name != a.name),
                "{} twice",
                a.name
            );
        }
    }

    #[test]
    fn close_names_suggest_typos() {
        assert_eq!(close_names("ip.adr").first(), Some(&"ip.addr"));
        assert!(close_names("tcp.prot").contains(&"tcp.port"));
        assert!(close_names("zzzzzz").is_empty());
    }
}
