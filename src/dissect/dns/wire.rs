//! The DNS wire format (RFC 1035 and successors), walked laxly: the header, questions and
//! resource records are decoded as far as the bytes allow, every field keeps its byte range
//! (relative to the start of the message), and where the walk stopped is kept as a note.
//!
//! Names follow compression pointers only backwards (a pointer must point before itself),
//! at most [`MAX_POINTERS`] times, and stop at [`MAX_NAME`] bytes, so a crafted loop or a
//! label chain cannot run away.

use std::net::{Ipv4Addr, Ipv6Addr};
use std::ops::Range;

/// Most compression pointers followed in one name.
pub const MAX_POINTERS: usize = 64;
/// Longest name kept, in presentation bytes (RFC 1035 allows 255 on the wire).
pub const MAX_NAME: usize = 255;
/// Most records of one section decoded (a count above it is noted).
pub const MAX_RECORDS: usize = 256;

/// Header length.
pub const HEADER_LEN: usize = 12;

/// A domain name as read from the wire: labels joined by `.`, raw bytes (escape to show).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Name {
    /// Presentation form without the final dot; empty for the root.
    pub text: Vec<u8>,
    pub labels: usize,
    /// Bytes the name occupies where it starts (pointer included, targets not).
    pub range: Range<usize>,
    /// The name was cut: a bad pointer, a loop, the length bound, or the end of the message.
    pub damaged: Option<&'static str>,
}

/// The decoded data of one resource record.
#[derive(Debug, Clone, PartialEq)]
pub enum RData {
    A(Ipv4Addr),
    Aaaa(Ipv6Addr),
    /// NS, CNAME, PTR, DNAME: one name.
    Name(Name),
    Mx {
        preference: u16,
        exchange: Name,
    },
    Txt(Vec<Vec<u8>>),
    Soa {
        mname: Name,
        rname: Name,
        serial: u32,
        refresh: u32,
        retry: u32,
        expire: u32,
        minimum: u32,
    },
    Srv {
        priority: u16,
        weight: u16,
        port: u16,
        target: Name,
    },
    /// SVCB and HTTPS (RFC 9460).
    Svcb {
        priority: u16,
        target: Name,
        params: Vec<(u16, Vec<u8>)>,
    },
    /// EDNS(0) options (code, data).
    Opt(Vec<(u16, Vec<u8>)>),
    /// Any other type, or a known type whose data did not parse: the bytes as they are.
    Other(Vec<u8>),
}

/// One question.
#[derive(Debug, Clone, PartialEq)]
pub struct Question {
    pub name: Name,
    pub qtype: u16,
    pub class: u16,
    pub range: Range<usize>,
}

/// One resource record.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    pub name: Name,
    pub rtype: u16,
    pub class: u16,
    pub ttl: u32,
    pub rdlength: u16,
    pub data: RData,
    pub range: Range<usize>,
    /// Range of the record data.
    pub data_range: Range<usize>,
}

/// The 16 flag bits of the header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Flags(pub u16);

impl Flags {
    pub fn response(self) -> bool {
        self.0 & 0x8000 != 0
    }
    pub fn opcode(self) -> u8 {
        ((self.0 >> 11) & 0xf) as u8
    }
    pub fn authoritative(self) -> bool {
        self.0 & 0x0400 != 0
    }
    pub fn truncated(self) -> bool {
        self.0 & 0x0200 != 0
    }
    pub fn recursion_desired(self) -> bool {
        self.0 & 0x0100 != 0
    }
    pub fn recursion_available(self) -> bool {
        self.0 & 0x0080 != 0
    }
    pub fn authentic_data(self) -> bool {
        self.0 & 0x0020 != 0
    }
    pub fn checking_disabled(self) -> bool {
        self.0 & 0x0010 != 0
    }
    pub fn rcode(self) -> u8 {
        (self.0 & 0xf) as u8
    }
}

/// A DNS message, decoded as far as it goes.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Message {
    pub id: u16,
    pub flags: Flags,
    /// Section counts as the header states them.
    pub qdcount: u16,
    pub ancount: u16,
    pub nscount: u16,
    pub arcount: u16,
    pub questions: Vec<Question>,
    pub answers: Vec<Record>,
    pub authority: Vec<Record>,
    pub additional: Vec<Record>,
    /// Message length.
    pub len: usize,
    /// Why the walk stopped early, if it did.
    pub stopped: Option<String>,
}

impl Message {
    /// The first question, if any.
    pub fn question(&self) -> Option<&Question> {
        self.questions.first()
    }

    /// Every record of the three sections, in wire order.
    pub fn records(&self) -> impl Iterator<Item = &Record> {
        self.answers
            .iter()
            .chain(self.authority.iter())
            .chain(self.additional.iter())
    }
}

/// Why a message is not DNS at all (fewer than 12 bytes).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("DNS message too short: {len} bytes, a header needs {HEADER_LEN}")]
pub struct ShortMessage {
    pub len: usize,
}

fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    let s = b.get(at..at.checked_add(2)?)?;
    Some(u16::from_be_bytes([*s.first()?, *s.get(1)?]))
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    let s = b.get(at..at.checked_add(4)?)?;
    let mut a = [0u8; 4];
    a.copy_from_slice(s);
    Some(u32::from_be_bytes(a))
}

/// Read the name at `at`; returns it and the offset just after it (where it starts, i.e.
/// after its first pointer when compressed).
pub fn read_name(msg: &[u8], at: usize) -> (Name, usize) {
    let mut name = Name {
        range: at..at,
        ..Name::default()
    };
    let mut pos = at;
    let mut end: Option<usize> = None;
    let mut jumps = 0usize;
    // Lowest offset reached so far: a pointer must go strictly below it.
    let mut floor = at;
    loop {
        let Some(&len) = msg.get(pos) else {
            name.damaged = Some("name runs past the end of the message");
            break;
        };
        match len & 0xc0 {
            0x00 => {
                if len == 0 {
                    pos += 1;
                    break;
                }
                let start = pos + 1;
                let Some(label) = msg.get(start..start + usize::from(len)) else {
                    name.damaged = Some("label runs past the end of the message");
                    pos = msg.len();
                    break;
                };
                if name.text.len() + label.len() + 1 > MAX_NAME {
                    name.damaged = Some("name longer than 255 bytes");
                    pos = start + label.len();
                    break;
                }
                if !name.text.is_empty() {
                    name.text.push(b'.');
                }
                name.text.extend_from_slice(label);
                name.labels += 1;
                pos = start + label.len();
            }
            0xc0 => {
                let Some(p) = u16_at(msg, pos) else {
                    name.damaged = Some("pointer runs past the end of the message");
                    pos = msg.len();
                    break;
                };
                let target = usize::from(p & 0x3fff);
                if end.is_none() {
                    end = Some(pos + 2);
                }
                jumps += 1;
                if target >= floor.min(pos) || jumps > MAX_POINTERS {
                    name.damaged = Some("compression pointer loops or points forward");
                    break;
                }
                floor = target;
                pos = target;
            }
            _ => {
                name.damaged = Some("unknown label type");
                pos += 1;
                break;
            }
        }
    }
    let after = end.unwrap_or(pos).min(msg.len()).max(at);
    name.range = at..after;
    (name, after)
}

fn read_char_strings(d: &[u8]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut pos = 0usize;
    while let Some(&len) = d.get(pos) {
        let s = pos + 1;
        let e = (s + usize::from(len)).min(d.len());
        out.push(d.get(s..e).unwrap_or(&[]).to_vec());
        pos = e;
    }
    out
}

fn read_options(d: &[u8]) -> Vec<(u16, Vec<u8>)> {
    let mut out = Vec::new();
    let mut pos = 0usize;
    while let (Some(code), Some(len)) = (u16_at(d, pos), u16_at(d, pos + 2)) {
        let s = pos + 4;
        let e = (s + usize::from(len)).min(d.len());
        out.push((code, d.get(s..e).unwrap_or(&[]).to_vec()));
        pos = e;
        if out.len() >= MAX_RECORDS {
            break;
        }
    }
    out
}

/// Decode the data of a record of type `rtype` at `start..end` of `msg` (names inside may
/// point anywhere earlier in the message).
fn read_rdata(msg: &[u8], rtype: u16, start: usize, end: usize) -> RData {
    let d = msg.get(start..end).unwrap_or(&[]);
    let other = || RData::Other(d.to_vec());
    match rtype {
        1 => match <[u8; 4]>::try_from(d) {
            Ok(a) => RData::A(Ipv4Addr::from(a)),
            Err(_) => other(),
        },
        28 => match <[u8; 16]>::try_from(d) {
            Ok(a) => RData::Aaaa(Ipv6Addr::from(a)),
            Err(_) => other(),
        },
        2 | 5 | 12 | 39 => {
            let (n, _) = read_name(msg, start);
            RData::Name(n)
        }
        15 => match u16_at(msg, start).filter(|_| end >= start + 3) {
            Some(preference) => RData::Mx {
                preference,
                exchange: read_name(msg, start + 2).0,
            },
            None => other(),
        },
        16 => RData::Txt(read_char_strings(d)),
        6 => {
            let (mname, p) = read_name(msg, start);
            let (rname, p) = read_name(msg, p);
            let nums: Vec<u32> = (0..5).filter_map(|i| u32_at(msg, p + 4 * i)).collect();
            match nums.as_slice() {
                [serial, refresh, retry, expire, minimum] if p + 20 <= end => RData::Soa {
                    mname,
                    rname,
                    serial: *serial,
                    refresh: *refresh,
                    retry: *retry,
                    expire: *expire,
                    minimum: *minimum,
                },
                _ => other(),
            }
        }
        33 => match (
            u16_at(msg, start),
            u16_at(msg, start + 2),
            u16_at(msg, start + 4),
        ) {
            (Some(priority), Some(weight), Some(port)) if end > start + 6 => RData::Srv {
                priority,
                weight,
                port,
                target: read_name(msg, start + 6).0,
            },
            _ => other(),
        },
        64 | 65 => match u16_at(msg, start).filter(|_| end > start + 2) {
            Some(priority) => {
                let (target, p) = read_name(msg, start + 2);
                let params = read_options(msg.get(p.min(end)..end).unwrap_or(&[]));
                RData::Svcb {
                    priority,
                    target,
                    params,
                }
            }
            None => other(),
        },
        41 => RData::Opt(read_options(d)),
        _ => other(),
    }
}

fn read_record(msg: &[u8], at: usize) -> Result<(Record, usize), String> {
    let (name, p) = read_name(msg, at);
    if let Some(why) = name.damaged {
        if p >= msg.len() {
            return Err(format!("record at offset {at}: {why}"));
        }
    }
    let (Some(rtype), Some(class), Some(ttl), Some(rdlength)) = (
        u16_at(msg, p),
        u16_at(msg, p + 2),
        u32_at(msg, p + 4),
        u16_at(msg, p + 8),
    ) else {
        return Err(format!(
            "record at offset {at} cut short (message ends at {})",
            msg.len()
        ));
    };
    let start = p + 10;
    let end = start + usize::from(rdlength);
    if end > msg.len() {
        return Err(format!(
            "record data at offset {start} claims {rdlength} bytes, {} left",
            msg.len().saturating_sub(start)
        ));
    }
    let data = read_rdata(msg, rtype, start, end);
    Ok((
        Record {
            name,
            rtype,
            class,
            ttl,
            rdlength,
            data,
            range: at..end,
            data_range: start..end,
        },
        end,
    ))
}

/// Decode a DNS message. Fails only below 12 bytes; anything wrong after the header stops
/// the walk and is kept in [`Message::stopped`].
pub fn parse(msg: &[u8]) -> Result<Message, ShortMessage> {
    let (Some(id), Some(flags), Some(qd), Some(an), Some(ns), Some(ar)) = (
        u16_at(msg, 0),
        u16_at(msg, 2),
        u16_at(msg, 4),
        u16_at(msg, 6),
        u16_at(msg, 8),
        u16_at(msg, 10),
    ) else {
        return Err(ShortMessage { len: msg.len() });
    };
    let mut m = Message {
        id,
        flags: Flags(flags),
        qdcount: qd,
        ancount: an,
        nscount: ns,
        arcount: ar,
        len: msg.len(),
        ..Message::default()
    };
    let mut pos = HEADER_LEN;
    for i in 0..usize::from(qd) {
        if i >= MAX_RECORDS {
            m.stopped = Some(format!(
                "more than {MAX_RECORDS} questions; the rest skipped"
            ));
            return Ok(m);
        }
        let (name, p) = read_name(msg, pos);
        let (Some(qtype), Some(class)) = (u16_at(msg, p), u16_at(msg, p + 2)) else {
            m.stopped = Some(format!("question {} cut short at offset {pos}", i + 1));
            return Ok(m);
        };
        m.questions.push(Question {
            name,
            qtype,
            class,
            range: pos..p + 4,
        });
        pos = p + 4;
    }
    let sections = [(an, 0usize), (ns, 1), (ar, 2)];
    for (count, which) in sections {
        for i in 0..usize::from(count) {
            if i >= MAX_RECORDS {
                m.stopped = Some(format!("more than {MAX_RECORDS} records in a section"));
                return Ok(m);
            }
            match read_record(msg, pos) {
                Ok((r, p)) => {
                    pos = p;
                    match which {
                        0 => m.answers.push(r),
                        1 => m.authority.push(r),
                        _ => m.additional.push(r),
                    }
                }
                Err(e) => {
                    m.stopped = Some(e);
                    return Ok(m);
                }
            }
        }
    }
    if pos < msg.len() {
        m.stopped = Some(format!("{} bytes after the last record", msg.len() - pos));
    }
    Ok(m)
}

/// Content check for DNS on a port not known to carry it: a header whose counts are
/// plausible and whose first question parses exactly. Conservative on purpose.
/// The header alone is plausible for a probe: opcode known, Z clear, at most one question
/// and few records (checked before any walk, so junk costs nothing).
fn plausible_header(msg: &[u8]) -> bool {
    let (Some(flags), Some(qd), Some(an), Some(ns), Some(ar)) = (
        u16_at(msg, 2),
        u16_at(msg, 4),
        u16_at(msg, 6),
        u16_at(msg, 8),
        u16_at(msg, 10),
    ) else {
        return false;
    };
    let f = Flags(flags);
    matches!(f.opcode(), 0 | 2 | 4 | 5)
        && flags & 0x0040 == 0
        && qd <= 1
        && an < 64
        && ns < 64
        && ar < 64
        && qd + an > 0
}

pub fn looks_like_dns(msg: &[u8]) -> bool {
    if !plausible_header(msg) {
        return false;
    }
    let Ok(m) = parse(msg) else {
        return false;
    };
    let opcode_ok = matches!(m.flags.opcode(), 0 | 2 | 4 | 5);
    let z_clear = m.flags.0 & 0x0040 == 0;
    let counts_ok = m.qdcount <= 1 && m.ancount < 64 && m.nscount < 64 && m.arcount < 64;
    // One question (queries, unicast responses), or none with answers (mDNS responses).
    let q_ok = match m.question() {
        Some(q) => q.name.damaged.is_none() && q.name.labels > 0 && q.class & 0x7fff <= 4,
        None => m.answers.first().is_some_and(|r| {
            r.name.damaged.is_none() && r.name.labels > 0 && r.class & 0x7fff <= 4
        }),
    };
    opcode_ok && z_clear && counts_ok && q_ok && m.stopped.is_none()
}

/// The start of a DNS message (a TCP probe that has not seen the whole message): the
/// header is plausible and the first question's name reads within the bytes present.
/// `None` when the name runs past the bytes present (more are needed to judge).
pub fn plausible_start(msg: &[u8]) -> Option<bool> {
    if msg.len() < HEADER_LEN {
        return None;
    }
    if !plausible_header(msg) {
        return Some(false);
    }
    let Ok(m) = parse(msg) else {
        return None;
    };
    let f = m.flags;
    let header_ok = matches!(f.opcode(), 0 | 2 | 4 | 5)
        && f.0 & 0x0040 == 0
        && m.qdcount == 1
        && m.ancount < 64
        && m.nscount < 64
        && m.arcount < 64;
    if !header_ok {
        return Some(false);
    }
    let (name, _) = read_name(msg, HEADER_LEN);
    match name.damaged {
        None => Some(name.labels > 0),
        Some(why) if why.contains("past the end") => None,
        Some(_) => Some(false),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A hand-built response: `www.example` CNAME `example`, `example` A 10.0.0.7, with
    /// compression pointers back into the question.
    fn sample() -> Vec<u8> {
        let mut b = vec![0x12, 0x34, 0x81, 0x80, 0, 1, 0, 2, 0, 0, 0, 0];
        // question at 12: 3www 7example 0
        b.extend_from_slice(b"\x03www\x07example\x00\x00\x01\x00\x01");
        // answer 1: name -> ptr 12, CNAME, IN, ttl 60, rdata = ptr 16 (example)
        b.extend_from_slice(&[0xc0, 12, 0, 5, 0, 1, 0, 0, 0, 60, 0, 2, 0xc0, 16]);
        // answer 2: name -> ptr 16, A, IN, ttl 60, 10.0.0.7
        b.extend_from_slice(&[0xc0, 16, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 10, 0, 0, 7]);
        b
    }

    #[test]
    fn parses_compressed_response() {
        let m = parse(&sample()).unwrap();
        assert_eq!(m.id, 0x1234);
        assert!(m.flags.response());
        assert_eq!(m.flags.rcode(), 0);
        assert_eq!(m.questions[0].name.text, b"www.example");
        assert_eq!(m.questions[0].name.labels, 2);
        assert_eq!(m.questions[0].range, 12..29);
        assert_eq!(m.answers.len(), 2);
        assert_eq!(m.answers[0].name.text, b"www.example");
        assert_eq!(m.answers[0].name.range, 29..31);
        match &m.answers[0].data {
            RData::Name(n) => assert_eq!(n.text, b"example"),
            d => panic!("{d:?}"),
        }
        assert_eq!(m.answers[1].data, RData::A(Ipv4Addr::new(10, 0, 0, 7)));
        assert_eq!(m.answers[1].data_range, 55..59);
        assert!(m.stopped.is_none());
        assert!(looks_like_dns(&sample()));
    }

    #[test]
    fn pointer_loop_and_forward_pointer_are_bounded() {
        // a name that points to itself
        let mut b = vec![0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 12, 0, 1, 0, 1];
        let m = parse(&b).unwrap();
        assert!(m.questions[0].name.damaged.is_some());
        assert!(!looks_like_dns(&b));
        // two labels pointing at each other
        b = vec![0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0];
        b.extend_from_slice(&[1, b'a', 0xc0, 16, 1, b'b', 0xc0, 12, 0, 1, 0, 1]);
        let (n, _) = read_name(&b, 12);
        assert!(n.damaged.is_some());
        assert!(n.text.len() <= MAX_NAME);
    }

    #[test]
    fn long_name_is_cut_at_255() {
        let mut b = vec![0u8; 12];
        for _ in 0..10 {
            b.push(63);
            b.extend_from_slice(&[b'x'; 63]);
        }
        b.push(0);
        let (n, _) = read_name(&b, 12);
        assert_eq!(n.damaged, Some("name longer than 255 bytes"));
        assert!(n.text.len() <= MAX_NAME);
    }

    #[test]
    fn truncated_messages_never_panic_and_say_where() {
        let full = sample();
        for cut in 0..full.len() {
            let r = parse(&full[..cut]);
            if cut < HEADER_LEN {
                assert_eq!(r, Err(ShortMessage { len: cut }));
            } else {
                let m = r.unwrap();
                assert!(m.stopped.is_some() || m.answers.len() == 2, "cut {cut}");
            }
        }
    }

    #[test]
    fn txt_soa_srv_svcb_and_unknown() {
        let mut b = vec![0, 1, 0x84, 0, 0, 0, 0, 5, 0, 0, 0, 0];
        // TXT at root: "fluffy tail"
        b.extend_from_slice(&[0, 0, 16, 0, 1, 0, 0, 0, 1, 0, 12, 11]);
        b.extend_from_slice(b"fluffy tail");
        // SOA at root: mname a, rname b, 5 numbers
        b.extend_from_slice(&[0, 0, 6, 0, 1, 0, 0, 0, 1, 0, 26, 1, b'a', 0, 1, b'b', 0]);
        b.extend_from_slice(&[0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4, 0, 0, 0, 5]);
        // SRV: 1 2 443 c
        b.extend_from_slice(&[
            0, 0, 33, 0, 1, 0, 0, 0, 1, 0, 9, 0, 1, 0, 2, 1, 0xbb, 1, b'c', 0,
        ]);
        // HTTPS: priority 1, target root, alpn=h2
        b.extend_from_slice(&[
            0, 0, 65, 0, 1, 0, 0, 0, 1, 0, 10, 0, 1, 0, 0, 1, 0, 3, 2, b'h', b'2',
        ]);
        // type 99 with 2 bytes
        b.extend_from_slice(&[0, 0, 99, 0, 1, 0, 0, 0, 1, 0, 2, 0xab, 0xcd]);
        let m = parse(&b).unwrap();
        assert!(m.stopped.is_none(), "{:?}", m.stopped);
        assert_eq!(m.answers[0].data, RData::Txt(vec![b"fluffy tail".to_vec()]));
        assert!(
            matches!(&m.answers[1].data, RData::Soa { serial: 1, minimum: 5, mname, .. } if mname.text == b"a")
        );
        assert!(
            matches!(&m.answers[2].data, RData::Srv { port: 443, target, .. } if target.text == b"c")
        );
        assert!(
            matches!(&m.answers[3].data, RData::Svcb { priority: 1, params, .. } if params == &vec![(1, b"\x02h2".to_vec())])
        );
        assert_eq!(m.answers[4].data, RData::Other(vec![0xab, 0xcd]));
    }

    #[test]
    fn rdlength_past_the_end_stops_with_a_note() {
        let mut b = vec![0, 1, 0x80, 0, 0, 0, 0, 1, 0, 0, 0, 0];
        b.extend_from_slice(&[0, 0, 1, 0, 1, 0, 0, 0, 1, 0, 40, 1, 2]);
        let m = parse(&b).unwrap();
        assert!(m.answers.is_empty());
        assert!(m.stopped.unwrap().contains("claims 40 bytes"));
    }
}
