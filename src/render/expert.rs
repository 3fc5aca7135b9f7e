//! `-z expert[,error|warn|note|chat|comment][,FILTER]`: tshark 4.0's expert-info table —
//! each (protocol, summary) counted once per severity, in order of first appearance, the
//! severities printed from errors down to comments.
//!
//! The items are those of the layers squirrel-sniff analyses as tshark does, read from
//! what the pipeline already made of the frame (the IPv4 and TCP headers, the flow
//! analysis, the HTTP/1.x messages the frame completed): IPv4's length error and TTL
//! notes; TCP's SYN, SYN+ACK and FIN chats, its RST warning, the connection-closing notes,
//! D-SACK, the `tcp.analysis` flags, the ACK number set without the ACK flag; HTTP/1.x
//! request and status lines; Ethernet's note on padding that is not zeros. Other
//! dissectors' items (DNS, TLS, QUIC, malformed-packet errors, …) are not produced
//! (docs/performance.md).

use std::borrow::Cow;
use std::io::{self, Write};

use foldhash::HashMap;

use crate::decode::{Link, Net, Transport};
use crate::event::FrameView;
use crate::flow::{Direction, StreamId};
use crate::present::escape::escape_label;
use crate::render::zstats::ZROW_COST;

/// tshark's expert severities, lowest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    Comment,
    Chat,
    Note,
    Warn,
    Error,
}

impl Severity {
    /// The word of `-z expert,WORD` (any case).
    fn parse(s: &str) -> Option<Severity> {
        Some(match s.to_ascii_lowercase().as_str() {
            "comment" => Severity::Comment,
            "chat" => Severity::Chat,
            "note" => Severity::Note,
            "warn" => Severity::Warn,
            "error" => Severity::Error,
            _ => return None,
        })
    }

    /// The section's title.
    fn title(self) -> &'static str {
        match self {
            Severity::Comment => "Comments",
            Severity::Chat => "Chats",
            Severity::Note => "Notes",
            Severity::Warn => "Warns",
            Severity::Error => "Errors",
        }
    }
}

/// What follows `expert`: the lowest severity kept and the filter's text (not compiled).
pub fn parse_args(rest: &str) -> Option<(Severity, Option<&str>)> {
    if rest.is_empty() {
        return Some((Severity::Comment, None));
    }
    let rest = rest.strip_prefix(',')?;
    let (word, filter) = match rest.split_once(',') {
        Some((w, f)) => (w, Some(f)),
        None => (rest, None),
    };
    match Severity::parse(word) {
        Some(level) => Some((level, filter)),
        // Not a severity: the whole rest is the filter (tshark's reading).
        None => Some((Severity::Comment, Some(rest))),
    }
}

/// One item: its severity, group, protocol and summary.
type Item = (Severity, &'static str, &'static str, Cow<'static, str>);

/// One row of the table.
#[derive(Debug, Clone)]
struct Row {
    severity: Severity,
    group: &'static str,
    protocol: &'static str,
    summary: String,
    count: u64,
}

/// The expert items counted so far.
#[derive(Debug, Clone)]
pub struct Expert {
    lowest: Severity,
    rows: Vec<Row>,
    /// Budget rows the rows take: one each, one more per [`ZROW_COST`] bytes of summary
    /// (held twice: in the row and in the index).
    units: usize,
    index: HashMap<(Severity, &'static str, String), usize>,
    /// Per TCP stream, the direction whose FIN came first (tshark's closing initiator).
    closing: HashMap<StreamId, Direction>,
}

/// Budget rows counted for one remembered closing initiator (it is far smaller than a row).
const CLOSING_PER_ROW: usize = 8;

impl Expert {
    pub fn new(lowest: Severity) -> Expert {
        Expert {
            lowest,
            rows: Vec::new(),
            units: 0,
            index: HashMap::default(),
            closing: HashMap::default(),
        }
    }

    /// Rows held (for the memory budget).
    pub fn rows(&self) -> usize {
        self.units + self.closing.len().div_ceil(CLOSING_PER_ROW)
    }

    /// Count the items of one frame; past `room` new rows are dropped (counted).
    pub fn frame(&mut self, view: &FrameView<'_>, room: &mut usize, dropped: &mut u64) {
        let mut items: Vec<Item> = Vec::new();
        ip_items(view, &mut items);
        self.tcp_items(view, room, dropped, &mut items);
        http_items(view, &mut items);
        padding_items(view, &mut items);
        for (severity, group, protocol, summary) in items {
            if severity < self.lowest {
                continue;
            }
            let key = (severity, protocol, summary.into_owned());
            if let Some(&i) = self.index.get(&key) {
                if let Some(r) = self.rows.get_mut(i) {
                    r.count += 1;
                }
                continue;
            }
            let cost = 1 + 2 * key.2.len() / ZROW_COST;
            if *room < cost {
                *dropped += 1;
                continue;
            }
            *room -= cost;
            self.units += cost;
            self.rows.push(Row {
                severity,
                group,
                protocol,
                summary: key.2.clone(),
                count: 1,
            });
            self.index.insert(key, self.rows.len() - 1);
        }
    }

    /// TCP's items, in the order tshark's dissector adds them: the acknowledgment number,
    /// the flags, then the sequence analysis.
    fn tcp_items(
        &mut self,
        view: &FrameView<'_>,
        room: &mut usize,
        dropped: &mut u64,
        items: &mut Vec<Item>,
    ) {
        let d = view.decoded;
        if d.fragment_held && d.reassembled.is_none() {
            return;
        }
        if d.stopped.as_ref().is_some_and(|st| st.layer == "TCP") {
            return;
        }
        let Some(Transport::Tcp(h)) = d.session_transport() else {
            return;
        };
        const SEQ: &str = "Sequence";
        let f = h.flags;
        if !f.ack() && h.ack != 0 {
            items.push((
                Severity::Note,
                "Protocol",
                "TCP",
                "The acknowledgment number field is nonzero while the ACK flag is not set".into(),
            ));
        }
        if f.syn() {
            items.push(if f.ack() {
                (
                    Severity::Chat,
                    SEQ,
                    "TCP",
                    format!(
                        "Connection establish acknowledge (SYN+ACK): server port {}",
                        h.src_port
                    )
                    .into(),
                )
            } else {
                (
                    Severity::Chat,
                    SEQ,
                    "TCP",
                    format!(
                        "Connection establish request (SYN): server port {}",
                        h.dst_port
                    )
                    .into(),
                )
            });
        }
        if f.fin() {
            items.push((Severity::Chat, SEQ, "TCP", "Connection finish (FIN)".into()));
            if let Some(tv) = &view.tcp {
                let (stream, dir) = (tv.seg.stream, tv.seg.dir);
                let initiator = match self.closing.get(&stream) {
                    Some(&first) => Some(first),
                    // A new entry may take a row's share of the budget; past it the stream's
                    // closing notes are not counted.
                    None if self.closing.len() % CLOSING_PER_ROW != 0 || *room > 0 => {
                        if self.closing.len() % CLOSING_PER_ROW == 0 {
                            *room -= 1;
                        }
                        self.closing.insert(stream, dir);
                        Some(dir)
                    }
                    None => {
                        *dropped += 1;
                        None
                    }
                };
                if let Some(initiator) = initiator {
                    items.push((
                        Severity::Note,
                        SEQ,
                        "TCP",
                        if initiator == dir {
                            "This frame initiates the connection closing".into()
                        } else {
                            "This frame undergoes the connection closing".into()
                        },
                    ));
                }
            }
        }
        if f.rst() {
            items.push((Severity::Warn, SEQ, "TCP", "Connection reset (RST)".into()));
        }
        if f.ack() && h.options.iter().any(|o| is_dsack(&o.kind, h.ack)) {
            items.push((Severity::Warn, SEQ, "TCP", "D-SACK Sequence".into()));
        }
        let Some(tv) = &view.tcp else {
            return;
        };
        let a = &tv.seg.analysis;
        if !a.shown || !a.any_flag() {
            return;
        }
        for (on, name, _, line) in a.labels() {
            if !on || name == "dup_ack" {
                continue;
            }
            items.push((analysis_severity(name), SEQ, "TCP", line.into()));
            if matches!(name, "fast_retransmission" | "spurious_retransmission") {
                items.push((
                    Severity::Note,
                    SEQ,
                    "TCP",
                    "This frame is a (suspected) retransmission".into(),
                ));
            }
        }
        if a.dup_ack() {
            items.push((
                Severity::Note,
                SEQ,
                "TCP",
                format!("Duplicate ACK (#{})", a.dup_ack_num).into(),
            ));
        }
    }

    /// Print the table in tshark's text: nothing when no item was counted.
    pub fn write<W: Write>(&self, w: &mut W) -> io::Result<()> {
        for severity in [
            Severity::Error,
            Severity::Warn,
            Severity::Note,
            Severity::Chat,
            Severity::Comment,
        ] {
            let rows: Vec<&Row> = self
                .rows
                .iter()
                .filter(|r| r.severity == severity)
                .collect();
            if rows.is_empty() {
                continue;
            }
            let total: u64 = rows.iter().map(|r| r.count).sum();
            writeln!(w, "\n{} ({total})", severity.title())?;
            writeln!(w, "=============")?;
            writeln!(w, "   Frequency      Group           Protocol  Summary")?;
            for r in rows {
                writeln!(
                    w,
                    "{:>12} {:>10} {:>18}  {}",
                    r.count, r.group, r.protocol, r.summary
                )?;
            }
        }
        Ok(())
    }
}

/// A SACK option whose first block reports bytes already acknowledged (below `ack`) or
/// inside its second block: a duplicate SACK (RFC 2883).
fn is_dsack(kind: &crate::decode::TcpOptionKind, ack: u32) -> bool {
    let crate::decode::TcpOptionKind::Sack(blocks) = kind else {
        return false;
    };
    let before = |a: u32, b: u32| (a.wrapping_sub(b) as i32) < 0;
    match blocks.as_slice() {
        [(l, _), ..] if before(*l, ack) => true,
        [(l1, r1), (l2, r2), ..] => !before(*l1, *l2) && !before(*r2, *r1),
        _ => false,
    }
}

/// tshark's severity of a `tcp.analysis` flag (by its JSON name).
fn analysis_severity(name: &str) -> Severity {
    match name {
        "out_of_order"
        | "previous_segment_not_captured"
        | "ack_lost_segment"
        | "window_full"
        | "zero_window" => Severity::Warn,
        "window_update" => Severity::Chat,
        _ => Severity::Note,
    }
}

/// IPv4's items: the error for a total length past the frame's end (the frame as sent, not
/// a snaplen cut: tshark reads the datagram as far as the frame goes and says so), then the
/// notes on the TTL ([`ttl_note`]).
fn ip_items(view: &FrameView<'_>, items: &mut Vec<Item>) {
    let Some(Net::Ipv4(h)) = &view.decoded.net else {
        return;
    };
    let left = (view.len as usize).saturating_sub(h.offset);
    if usize::from(h.total_len) > left {
        items.push((
            Severity::Error,
            "Protocol",
            "IPv4",
            format!("IPv4 total length exceeds packet length ({left} bytes)").into(),
        ));
    }
    if let Some(note) = ttl_note(h.dst.octets(), h.ttl, h.protocol) {
        items.push((Severity::Note, "Sequence", "IPv4", note.into()));
    }
}

/// tshark's TTL notes, as worked out on crafted packets: to the Local Network Control Block
/// (224.0.0.0/24) the TTL should be 1 (IGMP always; VRRP 224.0.0.18, GLBP 224.0.0.102 and
/// mDNS 224.0.0.251 otherwise 255, LLMNR 224.0.0.252 any); to a unicast address a TTL
/// below 5 is noted, but for PIM and OSPF.
fn ttl_note(dst: [u8; 4], ttl: u8, protocol: u8) -> Option<String> {
    const IGMP: u8 = 2;
    const OSPF: u8 = 89;
    const PIM: u8 = 103;
    match dst {
        [224, 0, 0, last] => {
            let expected = match last {
                _ if protocol == IGMP => 1,
                18 | 102 | 251 => 255,
                252 => return None,
                _ => 1,
            };
            (ttl != expected).then(|| {
                format!(
                    "\"Time To Live\" != {expected} for a packet sent to the Local Network \
                     Control Block (see RFC 3171)"
                )
            })
        }
        [224..=239, ..] => None,
        _ => (ttl < 5 && !matches!(protocol, OSPF | PIM))
            .then(|| format!("\"Time To Live\" only {ttl}")),
    }
}

/// Ethernet's note for a frame padded to its 60-byte minimum with bytes that are not
/// zeros (what follows the IP datagram up to byte 60); tshark adds it after the payload's
/// items.
fn padding_items(view: &FrameView<'_>, items: &mut Vec<Item>) {
    const MIN_FRAME: usize = 60;
    let d = view.decoded;
    if !matches!(d.link, Link::Ethernet(_)) || !d.vlans.is_empty() || !d.encap.is_empty() {
        return;
    }
    let end = match &d.net {
        Some(Net::Ipv4(h)) => h.offset + usize::from(h.total_len),
        Some(Net::Ipv6(h)) => h.offset + 40 + usize::from(h.payload_len),
        _ => return,
    };
    if end >= MIN_FRAME || (view.len as usize) < MIN_FRAME {
        return;
    }
    if let Some(pad) = view.data.get(end..MIN_FRAME) {
        if pad.iter().any(|&b| b != 0) {
            items.push((
                Severity::Note,
                "Protocol",
                "Ethertype",
                "Didn't find padding of zeros, and an undecoded trailer exists. There may be \
                 padding of non-zeros."
                    .into(),
            ));
        }
    }
}

/// The longest summary tshark keeps (its item labels' bound less the terminating NUL).
const MAX_SUMMARY: usize = 239;

/// A summary cut to [`MAX_SUMMARY`] bytes (at a character's start).
fn bounded(mut s: String) -> String {
    if s.len() > MAX_SUMMARY {
        let mut end = MAX_SUMMARY;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        s.truncate(end);
    }
    s
}

/// HTTP/1.x's chat for each request and status line the frame completed: the line as
/// sent with its line end, escaped as tshark's labels ([`escape_label`]).
fn http_items(view: &FrameView<'_>, items: &mut Vec<Item>) {
    let messages = view
        .app
        .iter()
        .filter_map(|ev| ev.msg.http())
        .filter(|m| m.stream_id.is_none());
    for m in messages {
        let mut summary = escape_label(&m.line);
        summary.push_str(if m.line_crlf { "\\r\\n" } else { "\\n" });
        items.push((Severity::Chat, "Sequence", "HTTP", bounded(summary).into()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arguments_as_tshark_reads_them() {
        assert_eq!(parse_args(""), Some((Severity::Comment, None)));
        assert_eq!(parse_args(",warn"), Some((Severity::Warn, None)));
        assert_eq!(parse_args(",Note,tcp"), Some((Severity::Note, Some("tcp"))));
        assert_eq!(
            parse_args(",tcp.port == 80"),
            Some((Severity::Comment, Some("tcp.port == 80")))
        );
        assert_eq!(parse_args("x"), None);
    }

    #[test]
    fn sections_from_errors_down() {
        let mut e = Expert::new(Severity::Comment);
        for (s, summary) in [
            (Severity::Chat, "a"),
            (Severity::Warn, "b"),
            (Severity::Chat, "a"),
        ] {
            e.rows.push(Row {
                severity: s,
                group: "Sequence",
                protocol: "TCP",
                summary: summary.into(),
                count: 1,
            });
        }
        let mut out = Vec::new();
        e.write(&mut out).expect("write");
        let text = String::from_utf8(out).expect("utf8");
        assert!(text.starts_with("\nWarns (1)\n=============\n"), "{text}");
        assert!(text.contains("\nChats (2)\n"), "{text}");
        assert!(
            text.contains("           1   Sequence                TCP  a\n"),
            "{text}"
        );
    }
}
