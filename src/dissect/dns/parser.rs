//! DNS as a registered parser: datagrams of a UDP session, or the length-framed messages of
//! a TCP connection; each message emitted as a [`DnsEvent`].

use std::net::IpAddr;
use std::sync::Arc;

use super::event::{DnsEvent, DnsTransport};
use super::session::{DnsSession, TcpFraming};
use super::wire::{self, RData};
use crate::dissect::parser::{
    AppMessage, Chunk, ClearField, Ctx, Datagram, Detect, FieldValue, HostName, Parser,
    ParserConfig, SessionInfo, Transport,
};
use crate::flow::Direction;
use crate::present::tree::TreeNode;

/// Content probe for both transports: a whole DNS message (UDP), or a 2-byte length and
/// the start of a DNS message (TCP).
pub fn detect(prefix: &[u8]) -> Detect {
    if wire::looks_like_dns(prefix) {
        return Detect::Yes;
    }
    let Some(len) = prefix
        .get(..2)
        .and_then(|p| <[u8; 2]>::try_from(p).ok())
        .map(|p| usize::from(u16::from_be_bytes(p)))
    else {
        return Detect::NeedMore;
    };
    if len < wire::HEADER_LEN + 5 {
        return Detect::No;
    }
    let rest = prefix.get(2..).unwrap_or(&[]);
    match rest.get(..len) {
        Some(msg) if wire::looks_like_dns(msg) => Detect::Yes,
        Some(_) => Detect::No,
        None if rest.len() < wire::HEADER_LEN => Detect::NeedMore,
        // Part of the message: judge the header and the question as far as they go.
        None => match wire::plausible_start(rest) {
            Some(true) => Detect::Yes,
            Some(false) => Detect::No,
            None => Detect::NeedMore,
        },
    }
}

/// DNS parser of one session.
#[derive(Debug)]
pub struct DnsParser {
    transport: DnsTransport,
    session: DnsSession,
    framing: [TcpFraming; 2],
    /// Frames that carried the bytes buffered in each direction (TCP).
    frames: [Vec<(u64, u64, Option<usize>)>; 2],
}

pub fn new_parser(info: &SessionInfo, cfg: &ParserConfig) -> Box<dyn Parser> {
    let mut p = DnsParser::new(match info.transport {
        Transport::Tcp => DnsTransport::Tcp,
        Transport::Udp => DnsTransport::Udp,
    });
    if tshark_reads_as_dns(info, cfg) {
        p.session = DnsSession::counted();
    }
    Box::new(p)
}

/// Whether tshark 4.0 dissects this session as DNS (and so counts it in `-z dns,tree`):
/// it tries the lower port, then the higher, in its port table (DNS on UDP 53 and TCP 53
/// and 5353, mDNS on UDP 5353, LLMNR on UDP 5355, as `-d` changes them); a UDP session on
/// ports it has no entry for reaches its DNS heuristic, which accepts what our content
/// probe accepted.
fn tshark_reads_as_dns(info: &SessionInfo, cfg: &ParserConfig) -> bool {
    let (a, b) = (info.client.port, info.server.port);
    let (low, high) = (a.min(b), a.max(b));
    let entry = |port: u16| -> Option<bool> {
        if let Some(d) = cfg
            .dissect
            .decode_as
            .iter()
            .find(|d| d.transport == info.transport && d.port == port)
        {
            return Some(d.protocol.name == "dns");
        }
        match (info.transport, port) {
            (_, 53) | (Transport::Tcp, 5353) => Some(true),
            (Transport::Udp, 5353 | 5355) => Some(false),
            _ => None,
        }
    };
    entry(low)
        .or_else(|| entry(high))
        .unwrap_or(info.transport == Transport::Udp)
}

impl DnsParser {
    pub fn new(transport: DnsTransport) -> Self {
        DnsParser {
            transport,
            session: DnsSession::new(),
            framing: [TcpFraming::new(), TcpFraming::new()],
            frames: [Vec::new(), Vec::new()],
        }
    }

    fn message(
        &mut self,
        ctx: &mut Ctx<'_>,
        dir: Direction,
        bytes: &[u8],
        frame: u64,
        frames: Vec<u64>,
        frame_offset: Option<usize>,
    ) {
        let now = ctx.now_ts.map(|t| t.as_nanos());
        match self
            .session
            .message(self.transport, bytes, frame, frame_offset, now)
        {
            Ok(ev) => ctx.emit(dir, frames, Arc::new(ev)),
            Err(e) => ctx.note(dir, e.to_string()),
        }
    }
}

impl Parser for DnsParser {
    fn data(&mut self, ctx: &mut Ctx<'_>, c: &Chunk<'_>) {
        let i = c.dir.index();
        let Some(log) = self.frames.get_mut(i) else {
            return;
        };
        log.push((c.offset, c.frame, c.frame_offset));
        let Some(f) = self.framing.get_mut(i) else {
            return;
        };
        let msgs = f.data(c.offset, c.bytes);
        for m in msgs {
            let end = m.offset + m.bytes.len() as u64;
            let log = self.frames.get(i).cloned().unwrap_or_default();
            // Frames whose chunk starts before the message ends and is the last to start at
            // or before some byte of it.
            let mut frames: Vec<u64> = Vec::new();
            let mut offset_in_frame = None;
            for (k, (off, frame, fo)) in log.iter().enumerate() {
                let next = log.get(k + 1).map_or(u64::MAX, |n| n.0);
                if *off < end && next > m.offset.saturating_sub(2) {
                    if !frames.contains(frame) {
                        frames.push(*frame);
                    }
                    if *off <= m.offset && next >= end {
                        offset_in_frame =
                            fo.and_then(|o| usize::try_from(m.offset - off).ok().map(|d| o + d));
                    }
                }
            }
            let frame = frames.last().copied().unwrap_or(c.frame);
            self.message(ctx, c.dir, &m.bytes, frame, frames, offset_in_frame);
            if let Some(log) = self.frames.get_mut(i) {
                log.retain(|(off, _, _)| *off >= end);
            }
        }
        // Keep the log short: at most the chunks of the message being buffered.
        if let (Some(log), Some(f)) = (self.frames.get_mut(i), self.framing.get(i)) {
            if f.pending() == 0 {
                log.clear();
            } else if log.len() > 4096 {
                log.drain(..log.len() - 4096);
            }
        }
    }

    fn gap(&mut self, ctx: &mut Ctx<'_>, dir: Direction, offset: u64, len: u64) {
        if let Some(f) = self.framing.get_mut(dir.index()) {
            f.hole();
        }
        ctx.note(
            dir,
            format!("{len} bytes missing at offset {offset}: DNS message framing lost"),
        );
    }

    fn datagram(&mut self, ctx: &mut Ctx<'_>, d: &Datagram<'_>) {
        self.message(ctx, d.dir, d.bytes, d.frame, vec![d.frame], d.frame_offset);
    }

    fn end(&mut self, ctx: &mut Ctx<'_>, dir: Direction) {
        if let Some(f) = self.framing.get(dir.index()) {
            if f.pending() > 0 {
                ctx.note(
                    dir,
                    format!("DNS message cut short: {} bytes at the end", f.pending()),
                );
            }
        }
    }

    fn close(&mut self, _ctx: &mut Ctx<'_>) {}
}

impl AppMessage for DnsEvent {
    fn protocol_name(&self) -> &'static str {
        "dns"
    }
    fn protocol(&self) -> std::borrow::Cow<'_, str> {
        "DNS".into()
    }
    fn info(&self) -> String {
        DnsEvent::info(self)
    }
    fn tree(&self) -> TreeNode {
        DnsEvent::tree(self)
    }
    fn json(&self) -> serde_json::Map<String, serde_json::Value> {
        DnsEvent::json(self)
    }
    fn dns(&self) -> Option<&DnsEvent> {
        Some(self)
    }
    fn has(&self, name: &str) -> bool {
        name == "dns" || name == self.record_type()
    }
    fn host_names(&self) -> Vec<HostName> {
        // The names asked about, and the names answers point to (CNAME targets and the
        // like); reverse lookups and service labels are not hosts.
        let mut v: Vec<HostName> = Vec::new();
        let mut add = |n: &wire::Name| {
            if is_host_name(&n.text) && !v.iter().any(|h| h.name == n.text) {
                v.push(HostName {
                    name: n.text.clone(),
                    source: "DNS",
                });
            }
        };
        for q in &self.message.questions {
            add(&q.name);
        }
        for r in &self.message.answers {
            add(&r.name);
            if let RData::Name(n) = &r.data {
                add(n);
            }
        }
        v
    }
    fn clear_fields(&self) -> Vec<ClearField> {
        let m = &self.message;
        let mut v: Vec<ClearField> = m
            .questions
            .iter()
            .map(|q| ClearField {
                what: "DNS query name",
                bytes: q.name.text.clone(),
            })
            .collect();
        for r in m.records() {
            if let RData::Txt(strings) = &r.data {
                v.extend(strings.iter().map(|s| ClearField {
                    what: "DNS TXT",
                    bytes: s.clone(),
                }));
            }
        }
        v
    }
    fn values(&self, field: &str, out: &mut Vec<FieldValue>) {
        let m = &self.message;
        let text = |b: &[u8]| FieldValue::Str(String::from_utf8_lossy(b).into_owned());
        // The root (an empty name: the OPT pseudo-record's) is `<Root>` in tshark.
        let name = |n: &wire::Name| {
            if n.text.is_empty() {
                FieldValue::Str("<Root>".into())
            } else {
                text(&n.text)
            }
        };
        match field {
            "dns.id" => out.push(FieldValue::Int(m.id.into())),
            "dns.flags.response" => out.push(FieldValue::Bool(m.flags.response())),
            "dns.flags.truncated" => out.push(FieldValue::Bool(m.flags.truncated())),
            "dns.flags.rcode" if m.flags.response() => {
                out.push(FieldValue::Int(m.flags.rcode().into()))
            }
            "dns.qry.name" => out.extend(m.questions.iter().map(|q| name(&q.name))),
            "dns.qry.type" => {
                out.extend(m.questions.iter().map(|q| FieldValue::Int(q.qtype.into())))
            }
            "dns.resp.name" => out.extend(m.records().map(|r| name(&r.name))),
            "dns.qry.class" => {
                out.extend(m.questions.iter().map(|q| FieldValue::Int(q.class.into())))
            }
            "dns.resp.type" => out.extend(m.records().map(|r| FieldValue::Int(r.rtype.into()))),
            // An OPT pseudo-record's TTL is the extended rcode and flags: no TTL in tshark.
            "dns.resp.ttl" => out.extend(
                m.records()
                    .filter(|r| !matches!(r.data, RData::Opt(_)))
                    .map(|r| FieldValue::Int(r.ttl.into())),
            ),
            "dns.count.queries" => out.push(FieldValue::Int(m.qdcount.into())),
            "dns.count.answers" => out.push(FieldValue::Int(m.ancount.into())),
            "dns.count.auth_rr" => out.push(FieldValue::Int(m.nscount.into())),
            "dns.count.add_rr" => out.push(FieldValue::Int(m.arcount.into())),
            "dns.flags" => out.push(FieldValue::Int(m.flags.0.into())),
            "dns.flags.opcode" => out.push(FieldValue::Int(m.flags.opcode().into())),
            "dns.flags.recdesired" => out.push(FieldValue::Bool(m.flags.recursion_desired())),
            // tshark shows these two bits in responses only.
            "dns.flags.authoritative" if m.flags.response() => {
                out.push(FieldValue::Bool(m.flags.authoritative()))
            }
            "dns.flags.recavail" if m.flags.response() => {
                out.push(FieldValue::Bool(m.flags.recursion_available()))
            }
            _ => {
                for r in m.records() {
                    match (field, &r.data) {
                        ("dns.a", RData::A(a)) => out.push(FieldValue::Addr(IpAddr::V4(*a))),
                        ("dns.aaaa", RData::Aaaa(a)) => out.push(FieldValue::Addr(IpAddr::V6(*a))),
                        ("dns.cname", RData::Name(n)) if r.rtype == 5 => out.push(text(&n.text)),
                        ("dns.txt", RData::Txt(v)) => out.extend(v.iter().map(|s| text(s))),
                        _ => {}
                    }
                }
            }
        }
    }
}

/// A name that names a host: letters, digits, `-`, `.`, `_` not leading a label, and at
/// least one dot; not a reverse-lookup name.
fn is_host_name(n: &[u8]) -> bool {
    let lower = n.to_ascii_lowercase();
    n.contains(&b'.')
        && !lower.ends_with(b".in-addr.arpa")
        && !lower.ends_with(b".ip6.arpa")
        && n.split(|b| *b == b'.').all(|l| {
            !l.is_empty()
                && l.first() != Some(&b'_')
                && l.iter()
                    .all(|b| b.is_ascii_alphanumeric() || *b == b'-' || *b == b'_')
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dissect::parser::{Driver, Layer};

    fn query(id: u16) -> Vec<u8> {
        let mut b = id.to_be_bytes().to_vec();
        b.extend_from_slice(&[1, 0, 0, 1, 0, 0, 0, 0, 0, 0]);
        b.extend_from_slice(b"\x06secret\x07example\x00\x00\x01\x00\x01");
        b
    }

    #[test]
    fn probe_udp_and_tcp_forms() {
        let q = query(1);
        assert_eq!(detect(&q), Detect::Yes);
        let mut tcp = (q.len() as u16).to_be_bytes().to_vec();
        tcp.extend_from_slice(&q);
        assert_eq!(detect(&tcp), Detect::Yes);
        assert_eq!(detect(&tcp[..8]), Detect::NeedMore);
        assert_eq!(detect(&tcp[..20]), Detect::NeedMore);
        assert_eq!(detect(&tcp[..31]), Detect::Yes);
        assert_eq!(detect(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"), Detect::No);
        assert_eq!(
            detect(&[0x16, 3, 1, 0, 0x40, 1, 0, 0, 0x3c, 3, 3, 0, 0, 0, 0, 0, 0, 0, 0]),
            Detect::No
        );
    }

    #[test]
    fn tcp_messages_across_chunks_with_frames() {
        let q = query(0x1234);
        let mut tcp = (q.len() as u16).to_be_bytes().to_vec();
        tcp.extend_from_slice(&q);
        let mut d = Driver::new(DnsParser::new(DnsTransport::Tcp));
        d.data(Direction::ToServer, &tcp[..10], 4);
        d.data(Direction::ToServer, &tcp[10..], 5);
        assert_eq!(d.out.len(), 1);
        assert_eq!(d.out[0].frames, vec![4, 5]);
        assert_eq!(d.out[0].layer, Layer::Clear);
        assert_eq!(
            d.out[0].msg.info(),
            "Standard query 0x1234 A secret.example"
        );
        let mut v = Vec::new();
        d.out[0].msg.values("dns.qry.name", &mut v);
        assert_eq!(v, vec![FieldValue::Str("secret.example".into())]);
        assert!(d.out[0].msg.has("dns.query"));
        assert!(!d.out[0].msg.has("dns.response"));
    }
}
