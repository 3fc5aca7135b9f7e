//! The one-line summary of a frame, like tshark's default output:
//! `    4   0.000183 127.0.0.1 → 127.0.0.1 HTTP 144 GET / HTTP/1.1`.

use std::borrow::Cow;
use std::fmt::Write as _;

use super::frame::FrameView;
use crate::decode::{Link, Net, TcpOptionKind, Transport};
use crate::flow::TcpFlags;

/// Source and destination columns: IP addresses, else MAC addresses, else empty.
pub fn addresses(f: &FrameView<'_>) -> (String, String) {
    if let Some((s, d)) = f.decoded.addrs() {
        return (s.to_string(), d.to_string());
    }
    if let Link::Ethernet(e) = &f.decoded.link {
        return (mac(&e.src), mac(&e.dst));
    }
    (String::new(), String::new())
}

/// [`addresses`] appended to `s`, source and destination with `between` them, without a
/// string of their own (every summary line prints them).
pub fn push_addresses(s: &mut String, f: &FrameView<'_>, between: &str) {
    match f.decoded.addrs() {
        Some((src, dst)) => {
            push_ip(s, src);
            s.push_str(between);
            push_ip(s, dst);
        }
        None => {
            let (src, dst) = addresses(f);
            s.push_str(&src);
            s.push_str(between);
            s.push_str(&dst);
        }
    }
}

/// An IP address as `Display` writes it (dotted quad; RFC 5952 for IPv6), the IPv4 one
/// without the formatter's padding machinery.
fn push_ip(s: &mut String, a: std::net::IpAddr) {
    match a {
        std::net::IpAddr::V4(v4) => {
            for (i, octet) in v4.octets().into_iter().enumerate() {
                if i > 0 {
                    s.push('.');
                }
                push_u64(s, u64::from(octet));
            }
        }
        std::net::IpAddr::V6(v6) => {
            let _ = write!(s, "{v6}");
        }
    }
}

pub fn mac(m: &[u8; 6]) -> String {
    format!(
        "{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}",
        m[0], m[1], m[2], m[3], m[4], m[5]
    )
}

/// Protocol column (borrowed when it is a constant or the message's own text).
pub fn protocol<'a>(f: &FrameView<'a>) -> Cow<'a, str> {
    if let Some(last) = f.app.last() {
        return last.msg.protocol();
    }
    let d = f.decoded;
    let transport = match d.reassembled.as_ref().filter(|r| r.transport.is_some()) {
        Some(r) => &r.transport,
        None => &d.transport,
    };
    match (transport, &d.net) {
        (Some(Transport::Tcp(_)), _) => "TCP".into(),
        (Some(Transport::Udp(_)), _) => "UDP".into(),
        (Some(Transport::Icmpv4(_)), _) => "ICMP".into(),
        (Some(Transport::Icmpv6(_)), _) => "ICMPv6".into(),
        (Some(Transport::Other { .. }), Some(Net::Ipv4(_))) => "IPv4".into(),
        (Some(Transport::Other { .. }), Some(Net::Ipv6(_))) => "IPv6".into(),
        (None, Some(Net::Ipv4(_))) => "IPv4".into(),
        (None, Some(Net::Ipv6(_))) => "IPv6".into(),
        (_, Some(Net::Arp { fields, .. })) => fields.protocol().into(),
        (_, Some(Net::Other { .. })) | (_, None) if !d.encap.is_empty() => {
            d.encap.last().map_or("DATA", |e| e.name()).into()
        }
        (_, Some(Net::Other { ether_type, .. })) => format!("0x{ether_type:04x}").into(),
        _ => match &f.decoded.link {
            Link::Ethernet(_) => "Ethernet".into(),
            Link::Unknown => "DATA".into(),
            _ => "DATA".into(),
        },
    }
}

/// tshark's flag list: `[SYN, ACK]`.
pub fn flag_names(flags: TcpFlags) -> String {
    let mut s = String::new();
    push_flag_names(&mut s, flags);
    s
}

/// [`flag_names`] appended to `s`: the set flags in tshark's order (`FIN, PSH, ACK`,
/// `RST, ACK`, `SYN, ACK`: SYN first, then by bit), joined with `, `.
fn push_flag_names(s: &mut String, flags: TcpFlags) {
    let mut first = true;
    for (bit, name) in [
        (TcpFlags::SYN, "SYN"),
        (TcpFlags::FIN, "FIN"),
        (TcpFlags::RST, "RST"),
        (TcpFlags::PSH, "PSH"),
        (TcpFlags::ACK, "ACK"),
        (TcpFlags::URG, "URG"),
        (TcpFlags::ECE, "ECE"),
        (TcpFlags::CWR, "CWR"),
        (TcpFlags::NS, "NS"),
    ] {
        if flags.has(bit) {
            if !first {
                s.push_str(", ");
            }
            s.push_str(name);
            first = false;
        }
    }
}

/// `n` in decimal appended to `s` (as `{n}` formats it, without the formatter's cost: the
/// Info text of a TCP segment holds up to eight numbers).
fn push_u64(s: &mut String, n: u64) {
    s.push_str(itoa::Buffer::new().format(n));
}

/// Short flag letters for JSON (`S`, `SA`, `PA`, `FA`, `R` ...), tcpdump-like.
pub fn flag_letters(flags: TcpFlags) -> String {
    let mut s = String::new();
    push_flag_letters(&mut s, flags);
    s
}

/// [`flag_letters`] appended to `s`.
pub fn push_flag_letters(s: &mut String, flags: TcpFlags) {
    for (bit, c) in [
        (TcpFlags::SYN, 'S'),
        (TcpFlags::FIN, 'F'),
        (TcpFlags::RST, 'R'),
        (TcpFlags::PSH, 'P'),
        (TcpFlags::ACK, 'A'),
        (TcpFlags::URG, 'U'),
        (TcpFlags::ECE, 'E'),
        (TcpFlags::CWR, 'C'),
        (TcpFlags::NS, 'N'),
    ] {
        if flags.has(bit) {
            s.push(c);
        }
    }
}

/// Info column.
pub fn info(f: &FrameView<'_>) -> String {
    let mut s = String::new();
    push_info(&mut s, f);
    s
}

/// [`info`] appended to `s` (a buffer an output reuses from frame to frame).
pub fn push_info(s: &mut String, f: &FrameView<'_>) {
    if let Some(lie) = length_lie(f.decoded) {
        s.push('[');
        s.push_str(&lie);
        s.push_str("] ");
    }
    push_info_of_layers(s, f);
}

/// The frame's IP length lie, said once for every mode: the IP header claimed more payload
/// than the frame held on the wire; the frame is left out of the streams.
pub fn length_lie(d: &crate::decode::Decoded) -> Option<String> {
    d.ip_length_claimed.map(|claimed| {
        format!(
            "IP length claims {claimed} payload bytes, the frame holds {}: bounded to the frame",
            d.payload_wire_len
        )
    })
}

fn push_info_of_layers(s: &mut String, f: &FrameView<'_>) {
    if !f.app.is_empty() {
        // With the session keys, a decrypted application-data record is shown by what it
        // carries (the HTTP message inside), as tshark does. A message shown through its
        // frames (HTTP/2 streams) has no Info text of its own.
        let inner = f
            .app
            .iter()
            .any(|e| e.layer != crate::dissect::Layer::Clear);
        let container = |e: &&crate::dissect::AppEvent| {
            inner
                && e.msg.tls().is_some_and(|t| {
                    t.record.decrypted.is_some()
                        && matches!(t.message, crate::dissect::tls::TlsMessage::AppData(_))
                })
        };
        // The messages' non-empty texts, joined with `, `; HTTP/1.x messages in a row as
        // tshark writes them, each start line followed by a space (`GET /a HTTP/1.1 GET /b
        // HTTP/1.1`), a media type's `)` by nothing.
        let start = s.len();
        let mut after_http = false;
        for e in f.app.iter().filter(|e| !container(e)) {
            let mark = s.len();
            // An HTTP/2 message has no text of its own (its frames speak for it), so a
            // message that writes is an HTTP/1.x one.
            let http = e.msg.http().is_some();
            if mark > start {
                if http && after_http {
                    if !s.ends_with(')') {
                        s.push(' ');
                    }
                } else {
                    s.push_str(", ");
                }
            }
            let at = s.len();
            e.msg.push_info(s);
            if s.len() == at {
                s.truncate(mark);
            } else {
                after_http = http;
            }
        }
        return;
    }
    let d = f.decoded;
    let (transport, payload_len) = match d.reassembled.as_ref().filter(|r| r.transport.is_some()) {
        Some(r) => (&r.transport, r.payload.len()),
        None => (&d.transport, d.payload_wire_len),
    };
    match transport {
        Some(Transport::Tcp(t)) => push_tcp_info(s, f, t, payload_len),
        Some(Transport::Udp(u)) => {
            let _ = write!(
                s,
                "{} → {} Len={}",
                u.src_port,
                u.dst_port,
                usize::from(u.length).saturating_sub(8)
            );
        }
        Some(Transport::Icmpv4(i)) => s.push_str(&icmp_info(i.icmp_type, i.code, false)),
        Some(Transport::Icmpv6(i)) => s.push_str(&icmp_info(i.icmp_type, i.code, true)),
        Some(Transport::Other { protocol, .. }) => {
            let _ = match &d.net {
                Some(Net::Ipv4(h)) if h.is_fragment() => write!(
                    s,
                    "Fragmented IP protocol (proto={} {protocol}, off={}, ID={:04x})",
                    super::layers::ip_proto_name(*protocol),
                    h.fragment_offset,
                    h.id
                ),
                Some(Net::Ipv6(h)) if h.fragmented => match &h.fragment {
                    Some(fr) => write!(
                        s,
                        "IPv6 fragment (off={} more={} ident=0x{:08x} nxt={})",
                        fr.fragment_offset,
                        if fr.more { "y" } else { "n" },
                        fr.id,
                        fr.next_header
                    ),
                    None => write!(s, "IP protocol {protocol}"),
                },
                _ => write!(s, "IP protocol {protocol}"),
            };
        }
        None => {
            if let Some(Net::Arp { fields, .. }) = &d.net {
                s.push_str(&fields.info());
                return;
            }
            let _ = match &d.stopped {
                Some(st) => write!(
                    s,
                    "[Malformed or truncated: {} at byte {}: {}]",
                    st.layer, st.offset, st.reason
                ),
                None => match f.decoded.encap.last() {
                    Some(e) => write!(s, "{}", e.info()),
                    None => write!(s, "{} bytes", f.data.len()),
                },
            };
        }
    }
}

/// What a SACK block's edges are counted from, as tshark shows them: they are in the
/// peer's sequence space, so relative to the base this segment's relative ACK number is
/// counted from (0, the edges as sent, without relative numbers for the peer).
pub fn sack_base(f: &FrameView<'_>, t: &crate::decode::TcpHeader) -> u32 {
    match &f.tcp {
        Some(tv) if t.flags.ack() && tv.seg.rel_ack != 0 => t.ack.wrapping_sub(tv.seg.rel_ack),
        _ => 0,
    }
}

fn push_tcp_info(s: &mut String, f: &FrameView<'_>, t: &crate::decode::TcpHeader, len: usize) {
    if let Some(tv) = &f.tcp {
        // As tshark: each label is put in front of the column in the order of `labels()`,
        // so the column lists them in reverse; a duplicate ACK names the ACK it repeats.
        let a = &tv.seg.analysis;
        if a.any_flag() {
            for (on, name, label, _) in a.labels().into_iter().rev() {
                if !on {
                    continue;
                }
                if name == "dup_ack" {
                    let _ = write!(s, "[TCP Dup ACK {}#{}] ", a.dup_ack_frame, a.dup_ack_num);
                } else {
                    s.push_str(label);
                    s.push(' ');
                }
            }
        }
    }
    push_u64(s, t.src_port.into());
    s.push_str(" → ");
    push_u64(s, t.dst_port.into());
    s.push_str(" [");
    push_flag_names(s, t.flags);
    s.push(']');
    let (seq, ack) = match &f.tcp {
        Some(tv) => (tv.seg.rel_seq, tv.seg.rel_ack),
        None => (t.seq, t.ack),
    };
    s.push_str(" Seq=");
    push_u64(s, seq.into());
    if t.flags.ack() {
        s.push_str(" Ack=");
        push_u64(s, ack.into());
    }
    let win = f.tcp.map_or(u32::from(t.window), |tv| tv.scaled_window);
    s.push_str(" Win=");
    push_u64(s, win.into());
    s.push_str(" Len=");
    push_u64(s, len as u64);
    for o in &t.options {
        match &o.kind {
            TcpOptionKind::Mss(m) => {
                s.push_str(" MSS=");
                push_u64(s, (*m).into());
            }
            TcpOptionKind::WindowScale(ws) => {
                s.push_str(" WS=");
                push_u64(s, 1u64 << u32::from(*ws).min(14));
            }
            TcpOptionKind::SackPermitted => s.push_str(" SACK_PERM"),
            TcpOptionKind::Timestamp { val, ecr } => {
                s.push_str(" TSval=");
                push_u64(s, (*val).into());
                s.push_str(" TSecr=");
                push_u64(s, (*ecr).into());
            }
            TcpOptionKind::Sack(blocks) => {
                let peer_base = sack_base(f, t);
                for (l, r) in blocks {
                    s.push_str(" SLE=");
                    push_u64(s, l.wrapping_sub(peer_base).into());
                    s.push_str(" SRE=");
                    push_u64(s, r.wrapping_sub(peer_base).into());
                }
            }
            TcpOptionKind::Nop | TcpOptionKind::EndOfList => {}
        }
    }
    match &t.options_undecoded {
        Some(r) if r.is_empty() => s.push_str(" [TCP options cut short by the snaplen]"),
        Some(_) => s.push_str(" [unknown TCP option]"),
        None => {}
    }
}

fn icmp_info(t: u8, code: u8, v6: bool) -> String {
    let name = match (v6, t) {
        (false, 0) => "Echo (ping) reply",
        (false, 3) => "Destination unreachable",
        (false, 8) => "Echo (ping) request",
        (false, 11) => "Time-to-live exceeded",
        (true, 1) => "Destination Unreachable",
        (true, 128) => "Echo (ping) request",
        (true, 129) => "Echo (ping) reply",
        (true, 133) => "Router Solicitation",
        (true, 134) => "Router Advertisement",
        (true, 135) => "Neighbor Solicitation",
        (true, 136) => "Neighbor Advertisement",
        _ => "",
    };
    if name.is_empty() {
        format!("Type {t}, code {code}")
    } else {
        format!("{name} (type {t}, code {code})")
    }
}
