//! One decoded DNS message as the renderers see it: the tshark-like summary, the `-V` tree
//! (ranges shifted into the frame when the message sits in one frame) and the JSON record.

use serde_json::{Map, Value};

use super::names::{
    class_text, edns_option_name, opcode_name, rcode_name, svc_param_name, type_description,
    type_text,
};
use super::wire::{Message, Name, Question, RData, Record};
use crate::present::escape::{escape_bytes, escape_truncated};
use crate::present::tree::TreeNode;

/// Longest hex shown for opaque record data.
const HEX_SHOWN: usize = 64;

/// How the message travelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DnsTransport {
    Udp,
    /// Over TCP, after the 2-byte length prefix.
    Tcp,
}

/// A DNS query or response.
#[derive(Debug, Clone, PartialEq)]
pub struct DnsEvent {
    pub transport: DnsTransport,
    pub message: Message,
    /// Responses: the frame of the query with the same id in the same session.
    pub response_to: Option<u64>,
    /// Offset of the message in the frame when it lies whole in the frame (UDP, or a TCP
    /// message in one segment), so tree lines carry frame byte ranges.
    pub frame_offset: Option<usize>,
    /// How tshark's DNS statistics (`-z dns,tree`) see the message; `None` when tshark
    /// would not read it as DNS (mDNS and LLMNR ports, TCP off the DNS ports).
    pub tap: Option<DnsTap>,
}

/// A message as tshark's DNS statistics count it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DnsTap {
    /// The message's bytes, with the 2-byte length prefix over TCP.
    pub payload_size: usize,
    pub exchange: Exchange,
}

/// Where a message stands in its transaction (queries and responses paired by id within
/// the session, a query retried within [`super::session::RETRY_WINDOW_NS`] not starting a
/// new one).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exchange {
    Query,
    /// The first response to a query: nanoseconds since the query.
    Answer(i128),
    /// A further response to an answered query.
    Retransmitted,
    /// A response with no query before it.
    Unsolicited,
}

/// A name for display: escaped, `<Root>` for the root.
pub fn name_text(n: &Name) -> String {
    if n.text.is_empty() && n.labels == 0 {
        "<Root>".to_string()
    } else {
        escape_truncated(&n.text, 255)
    }
}

fn hex_short(b: &[u8]) -> String {
    let mut s = hex::encode(b.get(..HEX_SHOWN).unwrap_or(b));
    if b.len() > HEX_SHOWN {
        s.push('…');
    }
    s
}

/// The record data the way tshark puts it on the summary line (empty for TXT and OPT).
fn rdata_summary(r: &Record) -> String {
    match &r.data {
        RData::A(a) => a.to_string(),
        RData::Aaaa(a) => a.to_string(),
        RData::Name(n) => name_text(n),
        RData::Mx {
            preference,
            exchange,
        } => format!("{preference} {}", name_text(exchange)),
        RData::Soa { mname, .. } => name_text(mname),
        RData::Srv {
            priority,
            weight,
            port,
            target,
        } => format!("{priority} {weight} {port} {}", name_text(target)),
        RData::Svcb { .. } | RData::Txt(_) | RData::Opt(_) | RData::Other(_) => String::new(),
    }
}

impl DnsEvent {
    pub fn is_response(&self) -> bool {
        self.message.flags.response()
    }

    /// Record type: `dns.query` or `dns.response`.
    pub fn record_type(&self) -> &'static str {
        if self.is_response() {
            "dns.response"
        } else {
            "dns.query"
        }
    }

    /// The first question's name, raw (for findings and the host names list).
    pub fn query_name(&self) -> Option<&[u8]> {
        self.message.question().map(|q| q.name.text.as_slice())
    }

    /// Info column, like tshark: `Standard query 0x1234 A name OPT`,
    /// `Standard query response 0x1234 No such name A name SOA ns.example`.
    pub fn info(&self) -> String {
        let m = &self.message;
        let mut s = opcode_name(m.flags.opcode()).to_string();
        if m.flags.response() {
            s.push_str(" response");
        }
        s.push_str(&format!(" 0x{:04x}", m.id));
        if m.flags.response() && m.flags.rcode() != 0 {
            s.push(' ');
            s.push_str(rcode_name(m.flags.rcode()));
        }
        for q in &m.questions {
            s.push_str(&format!(" {} {}", type_text(q.qtype), name_text(&q.name)));
        }
        for r in m.records() {
            s.push(' ');
            s.push_str(&type_text(r.rtype));
            let d = rdata_summary(r);
            if !d.is_empty() {
                s.push(' ');
                s.push_str(&d);
            }
        }
        if let Some(why) = &m.stopped {
            s.push_str(&format!(" [Malformed: {}]", escape_bytes(why.as_bytes())));
        }
        s
    }

    fn node(&self, text: String, range: &std::ops::Range<usize>) -> TreeNode {
        match self.frame_offset {
            Some(o) => TreeNode::with_range(text, range.start + o..range.end + o),
            None => TreeNode::new(text),
        }
    }

    fn question_node(&self, q: &Question) -> TreeNode {
        let name = name_text(&q.name);
        let mut n = self.node(
            format!(
                "{name}: type {}, class {}",
                type_text(q.qtype),
                class_text(q.class & 0x7fff)
            ),
            &q.range,
        );
        n.child(self.node(format!("Name: {name}"), &q.name.range));
        n.leaf(format!("[Name Length: {}]", q.name.text.len()));
        n.leaf(format!("[Label Count: {}]", q.name.labels));
        if let Some(why) = q.name.damaged {
            n.leaf(format!("[Malformed name: {why}]"));
        }
        n.leaf(type_line(q.qtype));
        n.leaf(format!(
            "Class: {} (0x{:04x})",
            class_text(q.class & 0x7fff),
            q.class
        ));
        n
    }

    fn record_node(&self, r: &Record) -> TreeNode {
        let name = name_text(&r.name);
        let head = if r.rtype == 41 {
            format!("{name}: type OPT")
        } else {
            let d = rdata_summary(r);
            let mut h = format!(
                "{name}: type {}, class {}",
                type_text(r.rtype),
                class_text(r.class)
            );
            if !d.is_empty() {
                let label = match r.rtype {
                    1 | 28 => "addr",
                    5 => "cname",
                    2 => "ns",
                    12 => "",
                    6 => "mname",
                    15 => "preference/mx",
                    33 => "priority/weight/port/target",
                    _ => "",
                };
                if label.is_empty() {
                    h.push_str(&format!(" {d}"));
                } else {
                    h.push_str(&format!(", {label} {d}"));
                }
            }
            h
        };
        let mut n = self.node(head, &r.range);
        n.child(self.node(format!("Name: {name}"), &r.name.range));
        if let Some(why) = r.name.damaged {
            n.leaf(format!("[Malformed name: {why}]"));
        }
        n.leaf(type_line(r.rtype));
        if r.rtype == 41 {
            n.leaf(format!("UDP payload size: {}", r.class));
            n.leaf(format!(
                "Higher bits in extended RCODE: 0x{:02x}",
                r.ttl >> 24
            ));
            n.leaf(format!("EDNS0 version: {}", (r.ttl >> 16) & 0xff));
            n.leaf(format!(
                "DO bit: {}",
                if r.ttl & 0x8000 != 0 {
                    "Accepts DNSSEC security RRs"
                } else {
                    "Cannot handle DNSSEC security RRs"
                }
            ));
        } else {
            n.leaf(format!(
                "Class: {} (0x{:04x})",
                class_text(r.class),
                r.class
            ));
            n.leaf(format!("Time to live: {}", r.ttl));
        }
        n.leaf(format!("Data length: {}", r.rdlength));
        for line in self.rdata_lines(r) {
            n.child(line);
        }
        n
    }

    fn rdata_lines(&self, r: &Record) -> Vec<TreeNode> {
        let at = |t: String| self.node(t, &r.data_range);
        match &r.data {
            RData::A(a) => vec![at(format!("Address: {a}"))],
            RData::Aaaa(a) => vec![at(format!("AAAA Address: {a}"))],
            RData::Name(nm) => {
                let label = match r.rtype {
                    2 => "Name Server",
                    5 => "CNAME",
                    12 => "Domain Name",
                    _ => "Target",
                };
                vec![at(format!("{label}: {}", name_text(nm)))]
            }
            RData::Mx {
                preference,
                exchange,
            } => vec![
                TreeNode::new(format!("Preference: {preference}")),
                TreeNode::new(format!("Mail Exchange: {}", name_text(exchange))),
            ],
            RData::Txt(strings) => strings
                .iter()
                .map(|s| {
                    let mut t = TreeNode::new(format!("TXT: {}", escape_truncated(s, 1024)));
                    t.leaf(format!("TXT Length: {}", s.len()));
                    t
                })
                .collect(),
            RData::Soa {
                mname,
                rname,
                serial,
                refresh,
                retry,
                expire,
                minimum,
            } => vec![
                TreeNode::new(format!("Primary name server: {}", name_text(mname))),
                TreeNode::new(format!(
                    "Responsible authority's mailbox: {}",
                    name_text(rname)
                )),
                TreeNode::new(format!("Serial Number: {serial}")),
                TreeNode::new(format!("Refresh Interval: {refresh}")),
                TreeNode::new(format!("Retry Interval: {retry}")),
                TreeNode::new(format!("Expire limit: {expire}")),
                TreeNode::new(format!("Minimum TTL: {minimum}")),
            ],
            RData::Srv {
                priority,
                weight,
                port,
                target,
            } => vec![
                TreeNode::new(format!("Priority: {priority}")),
                TreeNode::new(format!("Weight: {weight}")),
                TreeNode::new(format!("Port: {port}")),
                TreeNode::new(format!("Target: {}", name_text(target))),
            ],
            RData::Svcb {
                priority,
                target,
                params,
            } => {
                let mut v = vec![
                    TreeNode::new(format!("SvcPriority: {priority}")),
                    TreeNode::new(format!("TargetName: {}", name_text(target))),
                ];
                for (k, val) in params {
                    v.push(TreeNode::new(format!(
                        "SvcParam: {} = {}",
                        svc_param_name(*k),
                        svc_param_text(*k, val)
                    )));
                }
                v
            }
            RData::Opt(opts) => opts
                .iter()
                .map(|(c, d)| {
                    let mut t = TreeNode::new(format!("Option: {}", edns_option_name(*c)));
                    t.leaf(format!("Option Code: {} ({c})", edns_option_name(*c)));
                    t.leaf(format!("Option Length: {}", d.len()));
                    t.leaf(format!("Option Data: {}", hex_short(d)));
                    t
                })
                .collect(),
            RData::Other(d) => vec![at(format!("Data: {}", hex_short(d)))],
        }
    }

    /// The `Domain Name System (query|response)` layer.
    pub fn tree(&self) -> TreeNode {
        let m = &self.message;
        let whole = 0..m.len;
        let mut root = self.node(
            format!(
                "Domain Name System ({})",
                if m.flags.response() {
                    "response"
                } else {
                    "query"
                }
            ),
            &whole,
        );
        if self.transport == DnsTransport::Tcp {
            root.leaf(format!("Length: {}", m.len));
        }
        root.child(self.node(format!("Transaction ID: 0x{:04x}", m.id), &(0..2)));
        let f = m.flags;
        let mut flags = self.node(
            format!(
                "Flags: 0x{:04x} {}{}",
                f.0,
                opcode_name(f.opcode()),
                if f.response() {
                    format!(" response, {}", rcode_name(f.rcode()))
                } else {
                    String::new()
                }
            ),
            &(2..4),
        );
        let bit =
            |set: bool, yes: &str, no: &str| if set { yes.to_string() } else { no.to_string() };
        flags.leaf(format!(
            "Response: {}",
            bit(f.response(), "Message is a response", "Message is a query")
        ));
        flags.leaf(format!(
            "Opcode: {} ({})",
            opcode_name(f.opcode()),
            f.opcode()
        ));
        if f.response() {
            flags.leaf(format!(
                "Authoritative: {}",
                bit(
                    f.authoritative(),
                    "Server is an authority for domain",
                    "Server is not an authority for domain"
                )
            ));
        }
        flags.leaf(format!(
            "Truncated: {}",
            bit(
                f.truncated(),
                "Message is truncated",
                "Message is not truncated"
            )
        ));
        flags.leaf(format!(
            "Recursion desired: {}",
            bit(
                f.recursion_desired(),
                "Do query recursively",
                "Don't do query recursively"
            )
        ));
        if f.response() {
            flags.leaf(format!(
                "Recursion available: {}",
                bit(
                    f.recursion_available(),
                    "Server can do recursive queries",
                    "Server can't do recursive queries"
                )
            ));
        }
        flags.leaf(format!(
            "AD bit: {}",
            bit(f.authentic_data(), "Set", "Not set")
        ));
        flags.leaf(format!(
            "Non-authenticated data: {}",
            bit(f.checking_disabled(), "Acceptable", "Unacceptable")
        ));
        if f.response() {
            flags.leaf(format!(
                "Reply code: {} ({})",
                rcode_name(f.rcode()),
                f.rcode()
            ));
        }
        root.child(flags);
        root.child(self.node(format!("Questions: {}", m.qdcount), &(4..6)));
        root.child(self.node(format!("Answer RRs: {}", m.ancount), &(6..8)));
        root.child(self.node(format!("Authority RRs: {}", m.nscount), &(8..10)));
        root.child(self.node(format!("Additional RRs: {}", m.arcount), &(10..12)));
        if !m.questions.is_empty() {
            let mut q = TreeNode::new("Queries");
            for x in &m.questions {
                q.child(self.question_node(x));
            }
            root.child(q);
        }
        for (title, recs) in [
            ("Answers", &m.answers),
            ("Authoritative nameservers", &m.authority),
            ("Additional records", &m.additional),
        ] {
            if !recs.is_empty() {
                let mut s = TreeNode::new(title);
                for r in recs {
                    s.child(self.record_node(r));
                }
                root.child(s);
            }
        }
        if let Some(q) = self.response_to {
            root.leaf(format!("[Request In: {q}]"));
        }
        if let Some(why) = &m.stopped {
            root.leaf(format!("[Malformed: {}]", escape_bytes(why.as_bytes())));
        }
        root
    }

    /// JSON fields (strings escaped), `"type"` = `dns.query` / `dns.response`.
    pub fn json(&self) -> Map<String, Value> {
        let m = &self.message;
        let f = m.flags;
        let mut j = Map::new();
        j.insert("type".into(), self.record_type().into());
        j.insert(
            "transport".into(),
            match self.transport {
                DnsTransport::Udp => "udp",
                DnsTransport::Tcp => "tcp",
            }
            .into(),
        );
        j.insert("id".into(), format!("0x{:04x}", m.id).into());
        j.insert("response".into(), f.response().into());
        j.insert("opcode".into(), f.opcode().into());
        if f.response() {
            j.insert("rcode".into(), f.rcode().into());
            j.insert("rcode_name".into(), rcode_name(f.rcode()).into());
            j.insert("aa".into(), f.authoritative().into());
            j.insert("ra".into(), f.recursion_available().into());
        }
        j.insert("tc".into(), f.truncated().into());
        j.insert("rd".into(), f.recursion_desired().into());
        j.insert("flags".into(), format!("0x{:04x}", f.0).into());
        let mut counts = Map::new();
        counts.insert("queries".into(), m.qdcount.into());
        counts.insert("answers".into(), m.ancount.into());
        counts.insert("auth_rr".into(), m.nscount.into());
        counts.insert("add_rr".into(), m.arcount.into());
        j.insert("counts".into(), counts.into());
        let qs: Vec<Value> = m
            .questions
            .iter()
            .map(|q| {
                let mut o = Map::new();
                o.insert("name".into(), name_text(&q.name).into());
                o.insert("type".into(), type_text(q.qtype).into());
                o.insert("type_code".into(), q.qtype.into());
                o.insert("class".into(), class_text(q.class & 0x7fff).into());
                o.into()
            })
            .collect();
        j.insert("queries".into(), qs.into());
        for (key, recs) in [
            ("answers", &m.answers),
            ("authority", &m.authority),
            ("additional", &m.additional),
        ] {
            j.insert(
                key.into(),
                recs.iter().map(record_json).collect::<Vec<_>>().into(),
            );
        }
        if let Some(q) = self.response_to {
            j.insert("response_to".into(), q.into());
        }
        if let Some(why) = &m.stopped {
            j.insert("malformed".into(), escape_bytes(why.as_bytes()).into());
        }
        j
    }
}

fn type_line(t: u16) -> String {
    match type_description(t) {
        Some(d) => format!("Type: {} ({d}) ({t})", type_text(t)),
        None => format!("Type: {} ({t})", type_text(t)),
    }
}

fn svc_param_text(k: u16, v: &[u8]) -> String {
    match k {
        1 => {
            let mut out = Vec::new();
            let mut p = 0usize;
            while let Some(&l) = v.get(p) {
                let e = (p + 1 + usize::from(l)).min(v.len());
                out.push(escape_bytes(v.get(p + 1..e).unwrap_or(&[])));
                p = e;
            }
            out.join(",")
        }
        3 if v.len() == 2 => <[u8; 2]>::try_from(v)
            .map(|p| u16::from_be_bytes(p).to_string())
            .unwrap_or_default(),
        4 => v
            .chunks_exact(4)
            .filter_map(|c| <[u8; 4]>::try_from(c).ok())
            .map(|a| std::net::Ipv4Addr::from(a).to_string())
            .collect::<Vec<_>>()
            .join(","),
        6 => v
            .chunks_exact(16)
            .filter_map(|c| <[u8; 16]>::try_from(c).ok())
            .map(|a| std::net::Ipv6Addr::from(a).to_string())
            .collect::<Vec<_>>()
            .join(","),
        _ => hex_short(v),
    }
}

fn record_json(r: &Record) -> Value {
    let mut o = Map::new();
    o.insert("name".into(), name_text(&r.name).into());
    o.insert("type".into(), type_text(r.rtype).into());
    o.insert("type_code".into(), r.rtype.into());
    if r.rtype == 41 {
        o.insert("udp_payload_size".into(), r.class.into());
    } else {
        o.insert("class".into(), class_text(r.class).into());
        o.insert("ttl".into(), r.ttl.into());
    }
    match &r.data {
        RData::A(a) => {
            o.insert("a".into(), a.to_string().into());
        }
        RData::Aaaa(a) => {
            o.insert("aaaa".into(), a.to_string().into());
        }
        RData::Name(n) => {
            let key = match r.rtype {
                2 => "ns",
                5 => "cname",
                12 => "ptr",
                _ => "target",
            };
            o.insert(key.into(), name_text(n).into());
        }
        RData::Mx {
            preference,
            exchange,
        } => {
            o.insert("mx_preference".into(), (*preference).into());
            o.insert("mx".into(), name_text(exchange).into());
        }
        RData::Txt(v) => {
            o.insert(
                "txt".into(),
                v.iter()
                    .map(|s| Value::String(escape_bytes(s)))
                    .collect::<Vec<_>>()
                    .into(),
            );
        }
        RData::Soa {
            mname,
            rname,
            serial,
            ..
        } => {
            o.insert("soa_mname".into(), name_text(mname).into());
            o.insert("soa_rname".into(), name_text(rname).into());
            o.insert("soa_serial".into(), (*serial).into());
        }
        RData::Srv {
            priority,
            weight,
            port,
            target,
        } => {
            o.insert("srv_priority".into(), (*priority).into());
            o.insert("srv_weight".into(), (*weight).into());
            o.insert("srv_port".into(), (*port).into());
            o.insert("srv_target".into(), name_text(target).into());
        }
        RData::Svcb {
            priority,
            target,
            params,
        } => {
            o.insert("svc_priority".into(), (*priority).into());
            o.insert("svc_target".into(), name_text(target).into());
            let mut p = Map::new();
            for (k, v) in params {
                p.insert(svc_param_name(*k).into(), svc_param_text(*k, v).into());
            }
            o.insert("svc_params".into(), p.into());
        }
        RData::Opt(opts) => {
            o.insert(
                "options".into(),
                opts.iter()
                    .map(|(c, _)| Value::String(edns_option_name(*c).into()))
                    .collect::<Vec<_>>()
                    .into(),
            );
        }
        RData::Other(d) => {
            o.insert("data_hex".into(), hex_short(d).into());
        }
    }
    o.into()
}
