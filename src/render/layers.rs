//! The `-V` tree of the lower layers (Frame, link, IP, TCP/UDP/ICMP); the application
//! layers add their own nodes (`AppMessage::tree`). Each node carries its frame byte range.

use super::frame::FrameView;
use super::summary::{flag_names, mac};
use super::tree::TreeNode;
use crate::capture::linktype;
use crate::decode::field::{self, at};
use crate::decode::{Decoded, Link, Net, TcpOptionKind, Transport};
use crate::flow::TcpFlags;

/// All layer nodes of a frame, outermost first.
pub fn frame_tree(f: &FrameView<'_>) -> Vec<TreeNode> {
    let d = f.decoded;
    let mut out = vec![frame_node(f)];
    if let Some(n) = link_node(f) {
        out.push(n);
    }
    for v in &d.vlans {
        let mut n = TreeNode::with_range(
            format!(
                "802.1Q Virtual LAN, PRI: {}, DEI: {}, ID: {}",
                v.pcp,
                u8::from(v.dei),
                v.id
            ),
            v.offset..v.offset + field::vlan::LEN,
        );
        n.children.push(TreeNode::with_range(
            format!("Priority: {}", v.pcp),
            at(v.offset, field::vlan::TCI),
        ));
        n.children.push(TreeNode::with_range(
            format!("DEI: {}", u8::from(v.dei)),
            at(v.offset, field::vlan::TCI),
        ));
        n.children.push(TreeNode::with_range(
            format!("ID: {}", v.id),
            at(v.offset, field::vlan::TCI),
        ));
        n.children.push(TreeNode::with_range(
            format!(
                "Type: {} (0x{:04x})",
                ether_type_name(v.ether_type),
                v.ether_type
            ),
            at(v.offset, field::vlan::ETHER_TYPE),
        ));
        out.push(n);
    }
    if let Some(n) = net_node(d) {
        out.push(n);
    }
    if let Some(n) = transport_node(f) {
        out.push(n);
    }
    if f.app.is_empty() && !d.payload.is_empty() {
        out.push(data_node(d));
    }
    for e in f.app {
        out.push(e.msg.tree());
    }
    if let Some(s) = &d.stopped {
        out.push(TreeNode::with_range(
            format!(
                "[Malformed or truncated: {} at byte {}: {}]",
                s.layer,
                s.offset,
                super::escape::escape_str(&s.reason)
            ),
            s.offset..f.data.len(),
        ));
    }
    out
}

fn data_node(d: &Decoded) -> TreeNode {
    let mut n = TreeNode::with_range(
        format!("Data ({} bytes)", d.payload.len()),
        d.payload.clone(),
    );
    if d.payload_wire_len > d.payload.len() {
        n.leaf(format!(
            "[{} more bytes on the wire, not captured (snaplen)]",
            d.payload_wire_len - d.payload.len()
        ));
    }
    n
}

fn bits(n: usize) -> usize {
    n.saturating_mul(8)
}

fn frame_node(f: &FrameView<'_>) -> TreeNode {
    let iface = f
        .interface
        .map(|i| format!(" on interface {}", super::escape::escape_str(i)))
        .unwrap_or_default();
    let cap = f.data.len();
    let mut n = TreeNode::with_range(
        format!(
            "Frame {}: {} bytes on wire ({} bits), {} bytes captured ({} bits){}",
            f.number,
            f.len,
            bits(f.len as usize),
            cap,
            bits(cap),
            iface
        ),
        0..cap,
    );
    n.leaf(format!("Arrival Time: {}", utc(f.ts)));
    n.leaf(format!(
        "Epoch Time: {}.{:09} seconds",
        f.ts.secs, f.ts.nanos
    ));
    n.leaf(format!(
        "[Time delta from previous captured frame: {:.9} seconds]",
        f.delta
    ));
    n.leaf(format!(
        "[Time since reference or first frame: {:.9} seconds]",
        f.rel_time
    ));
    n.leaf(format!("Frame Number: {}", f.number));
    n.leaf(format!(
        "Frame Length: {} bytes ({} bits)",
        f.len,
        bits(f.len as usize)
    ));
    n.leaf(format!(
        "Capture Length: {} bytes ({} bits)",
        cap,
        bits(cap)
    ));
    n.leaf(format!(
        "[Link type: {} ({})]",
        linktype::name(f.link),
        f.link
    ));
    n.leaf(format!("[Protocols in frame: {}]", protocols_in_frame(f)));
    n
}

/// `eth:ethertype:ip:tcp:http` as tshark's frame.protocols.
pub fn protocols_in_frame(f: &FrameView<'_>) -> String {
    let d = f.decoded;
    let mut v: Vec<&str> = Vec::new();
    match &d.link {
        Link::Ethernet(_) => {
            v.push("eth");
            v.push("ethertype");
        }
        Link::Null { .. } => v.push("null"),
        Link::LinuxSll(_) => v.push("sll"),
        Link::LinuxSll2(_) => v.push("sll"),
        Link::Raw => v.push("raw"),
        Link::Unknown => {}
    }
    for _ in &d.vlans {
        v.push("vlan");
        v.push("ethertype");
    }
    match &d.net {
        Some(Net::Ipv4(_)) => v.push("ip"),
        Some(Net::Ipv6(_)) => v.push("ipv6"),
        Some(Net::Arp { .. }) => v.push("arp"),
        _ => {}
    }
    match &d.transport {
        Some(Transport::Tcp(_)) => v.push("tcp"),
        Some(Transport::Udp(_)) => v.push("udp"),
        Some(Transport::Icmpv4(_)) => v.push("icmp"),
        Some(Transport::Icmpv6(_)) => v.push("icmpv6"),
        _ => {}
    }
    let mut out = v.join(":");
    let mut seen = Vec::new();
    for e in f.app {
        if e.msg.note().is_some() {
            continue;
        }
        let p = e.msg.protocol_name();
        if !seen.contains(&p) {
            seen.push(p);
            out.push(':');
            out.push_str(p);
        }
    }
    if f.app.is_empty() && !d.payload.is_empty() && d.transport.is_some() {
        out.push_str(":data");
    }
    out
}

pub use crate::present::time::{rfc3339, utc};

fn ether_type_name(t: u16) -> &'static str {
    match t {
        0x0800 => "IPv4",
        0x86dd => "IPv6",
        0x0806 => "ARP",
        0x8100 => "802.1Q Virtual LAN",
        0x88a8 => "802.1ad Provider Bridge (Q-in-Q)",
        _ => "Unknown",
    }
}

fn link_node(f: &FrameView<'_>) -> Option<TreeNode> {
    match &f.decoded.link {
        Link::Ethernet(e) => {
            let mut n = TreeNode::with_range(
                format!("Ethernet II, Src: {}, Dst: {}", mac(&e.src), mac(&e.dst)),
                0..field::ethernet::LEN,
            );
            n.children.push(TreeNode::with_range(
                format!("Destination: {}", mac(&e.dst)),
                field::ethernet::DST,
            ));
            n.children.push(TreeNode::with_range(
                format!("Source: {}", mac(&e.src)),
                field::ethernet::SRC,
            ));
            n.children.push(TreeNode::with_range(
                format!(
                    "Type: {} (0x{:04x})",
                    ether_type_name(e.ether_type),
                    e.ether_type
                ),
                field::ethernet::ETHER_TYPE,
            ));
            Some(n)
        }
        Link::Null {
            family,
            big_endian,
            loop_type,
        } => {
            let mut n = TreeNode::with_range(
                if *loop_type {
                    "OpenBSD loopback".to_string()
                } else {
                    "Null/Loopback".to_string()
                },
                0..field::null::LEN,
            );
            let fam = match family {
                2 => "IP",
                10 | 24 | 28 | 30 => "IPv6",
                _ => "unknown",
            };
            n.children.push(TreeNode::with_range(
                format!(
                    "Family: {fam} ({family}){}",
                    if *big_endian { "" } else { " [little-endian]" }
                ),
                field::null::FAMILY,
            ));
            Some(n)
        }
        Link::LinuxSll(s) => {
            let mut n = TreeNode::with_range("Linux cooked capture v1", 0..field::sll::LEN);
            n.children.push(TreeNode::with_range(
                format!(
                    "Packet type: {} ({})",
                    sll_packet_type(u32::from(s.packet_type)),
                    s.packet_type
                ),
                field::sll::PACKET_TYPE,
            ));
            n.children.push(TreeNode::with_range(
                format!("Link-layer address type: {}", s.arphrd),
                field::sll::ARPHRD,
            ));
            n.children.push(TreeNode::with_range(
                format!("Link-layer address length: {}", s.addr.len()),
                field::sll::ADDR_LEN,
            ));
            n.children.push(TreeNode::with_range(
                format!("Source: {}", hex::encode(&s.addr)),
                field::sll::ADDR,
            ));
            n.children.push(TreeNode::with_range(
                format!(
                    "Protocol: {} (0x{:04x})",
                    ether_type_name(s.protocol),
                    s.protocol
                ),
                field::sll::PROTOCOL,
            ));
            Some(n)
        }
        Link::LinuxSll2(s) => {
            let mut n = TreeNode::with_range("Linux cooked capture v2", 0..field::sll2::LEN);
            n.children.push(TreeNode::with_range(
                format!(
                    "Protocol: {} (0x{:04x})",
                    ether_type_name(s.protocol),
                    s.protocol
                ),
                field::sll2::PROTOCOL,
            ));
            n.children.push(TreeNode::with_range(
                format!("Interface index: {}", s.ifindex),
                field::sll2::IFINDEX,
            ));
            n.children.push(TreeNode::with_range(
                format!("Link-layer address type: {}", s.arphrd),
                field::sll2::ARPHRD,
            ));
            n.children.push(TreeNode::with_range(
                format!(
                    "Packet type: {} ({})",
                    sll_packet_type(u32::from(s.packet_type)),
                    s.packet_type
                ),
                field::sll2::PACKET_TYPE,
            ));
            n.children.push(TreeNode::with_range(
                format!("Link-layer address length: {}", s.addr.len()),
                field::sll2::ADDR_LEN,
            ));
            n.children.push(TreeNode::with_range(
                format!("Source: {}", hex::encode(&s.addr)),
                field::sll2::ADDR,
            ));
            Some(n)
        }
        Link::Raw => Some(TreeNode::new("Raw packet data")),
        Link::Unknown => Some(TreeNode::with_range(
            format!(
                "[Link type {} ({}) not decoded]",
                f.link,
                linktype::name(f.link)
            ),
            0..f.data.len(),
        )),
    }
}

fn sll_packet_type(t: u32) -> &'static str {
    match t {
        0 => "Unicast to us",
        1 => "Broadcast",
        2 => "Multicast",
        3 => "Unicast to another host",
        4 => "Sent by us",
        _ => "Unknown",
    }
}

fn ip_proto_name(p: u8) -> &'static str {
    match p {
        1 => "ICMP",
        6 => "TCP",
        17 => "UDP",
        58 => "ICMPv6",
        0 => "IPv6 Hop-by-Hop Option",
        43 => "Routing Header for IPv6",
        44 => "Fragment Header for IPv6",
        60 => "Destination Options for IPv6",
        _ => "Unknown",
    }
}

fn net_node(d: &Decoded) -> Option<TreeNode> {
    match d.net.as_ref()? {
        Net::Ipv4(h) => {
            let o = h.offset;
            let mut n = TreeNode::with_range(
                format!(
                    "Internet Protocol Version 4, Src: {}, Dst: {}",
                    h.src, h.dst
                ),
                o..o + h.header_len,
            );
            n.children.push(TreeNode::with_range(
                "0100 .... = Version: 4",
                at(o, field::ipv4::VER_IHL),
            ));
            n.children.push(TreeNode::with_range(
                format!(
                    ".... {:04b} = Header Length: {} bytes ({})",
                    (h.header_len / 4) & 0xf,
                    h.header_len,
                    h.header_len / 4
                ),
                at(o, field::ipv4::VER_IHL),
            ));
            n.children.push(TreeNode::with_range(
                format!(
                    "Differentiated Services Field: 0x{:02x} (DSCP: {}, ECN: {})",
                    (h.dscp << 2) | h.ecn,
                    h.dscp,
                    h.ecn
                ),
                at(o, field::ipv4::DSCP_ECN),
            ));
            let mut total = TreeNode::with_range(
                format!("Total Length: {}", h.total_len),
                at(o, field::ipv4::TOTAL_LEN),
            );
            if let Some(lie) = super::summary::length_lie(d) {
                total.leaf(format!("[{lie}]"));
            }
            n.children.push(total);
            n.children.push(TreeNode::with_range(
                format!("Identification: 0x{:04x} ({})", h.id, h.id),
                at(o, field::ipv4::IDENT),
            ));
            let mut flags = Vec::new();
            if h.dont_fragment {
                flags.push("Don't fragment");
            }
            if h.more_fragments {
                flags.push("More fragments");
            }
            let fv = (u8::from(h.dont_fragment) << 6) | (u8::from(h.more_fragments) << 5);
            n.children.push(TreeNode::with_range(
                format!(
                    "Flags: 0x{fv:02x}{}{}",
                    if flags.is_empty() { "" } else { ", " },
                    flags.join(", ")
                ),
                at(o, field::ipv4::FLAGS_FRAG),
            ));
            n.children.push(TreeNode::with_range(
                format!(
                    "Fragment Offset: {}{}",
                    h.fragment_offset,
                    if h.is_fragment() {
                        " [fragment: not reassembled]"
                    } else {
                        ""
                    }
                ),
                at(o, field::ipv4::FLAGS_FRAG),
            ));
            n.children.push(TreeNode::with_range(
                format!("Time to Live: {}", h.ttl),
                at(o, field::ipv4::TTL),
            ));
            n.children.push(TreeNode::with_range(
                format!("Protocol: {} ({})", ip_proto_name(h.protocol), h.protocol),
                at(o, field::ipv4::PROTOCOL),
            ));
            n.children.push(TreeNode::with_range(
                format!(
                    "Header Checksum: 0x{:04x} [validation disabled]",
                    h.checksum
                ),
                at(o, field::ipv4::CHECKSUM),
            ));
            n.children.push(TreeNode::with_range(
                format!("Source Address: {}", h.src),
                at(o, field::ipv4::SRC),
            ));
            n.children.push(TreeNode::with_range(
                format!("Destination Address: {}", h.dst),
                at(o, field::ipv4::DST),
            ));
            if !h.options.is_empty() {
                n.children.push(TreeNode::with_range(
                    format!("Options: ({} bytes)", h.options.len()),
                    h.options.clone(),
                ));
            }
            Some(n)
        }
        Net::Ipv6(h) => {
            let o = h.offset;
            let mut n = TreeNode::with_range(
                format!(
                    "Internet Protocol Version 6, Src: {}, Dst: {}",
                    h.src, h.dst
                ),
                o..o + field::ipv6::LEN,
            );
            n.children.push(TreeNode::with_range(
                "0110 .... = Version: 6",
                at(o, field::ipv6::VER_TC_FLOW),
            ));
            n.children.push(TreeNode::with_range(
                format!("Traffic Class: 0x{:02x}", h.traffic_class),
                at(o, field::ipv6::VER_TC_FLOW),
            ));
            n.children.push(TreeNode::with_range(
                format!("Flow Label: 0x{:05x}", h.flow_label),
                at(o, field::ipv6::VER_TC_FLOW),
            ));
            n.children.push(TreeNode::with_range(
                format!("Payload Length: {}", h.payload_len),
                at(o, field::ipv6::PAYLOAD_LEN),
            ));
            n.children.push(TreeNode::with_range(
                format!(
                    "Next Header: {} ({})",
                    ip_proto_name(h.next_header),
                    h.next_header
                ),
                at(o, field::ipv6::NEXT_HEADER),
            ));
            n.children.push(TreeNode::with_range(
                format!("Hop Limit: {}", h.hop_limit),
                at(o, field::ipv6::HOP_LIMIT),
            ));
            n.children.push(TreeNode::with_range(
                format!("Source Address: {}", h.src),
                at(o, field::ipv6::SRC),
            ));
            n.children.push(TreeNode::with_range(
                format!("Destination Address: {}", h.dst),
                at(o, field::ipv6::DST),
            ));
            for (t, r) in &h.extensions {
                n.children.push(TreeNode::with_range(
                    format!(
                        "Extension headers: first {} ({t}), {} bytes{}",
                        ip_proto_name(*t),
                        r.len(),
                        if h.fragmented {
                            " [fragmented: not reassembled]"
                        } else {
                            ""
                        }
                    ),
                    r.clone(),
                ));
            }
            Some(n)
        }
        Net::Arp { offset, len } => Some(TreeNode::with_range(
            "Address Resolution Protocol",
            *offset..offset + len,
        )),
        Net::Other { ether_type, offset } => Some(TreeNode::with_range(
            format!("[Ether type 0x{ether_type:04x} not decoded]"),
            *offset..d.payload.end,
        )),
    }
}

fn transport_node(f: &FrameView<'_>) -> Option<TreeNode> {
    let d = f.decoded;
    match d.transport.as_ref()? {
        Transport::Tcp(t) => {
            let o = t.offset;
            let (seq, ack, next) = match &f.tcp {
                Some(tv) => (tv.seg.rel_seq, tv.seg.rel_ack, Some(tv.seg.next_rel_seq)),
                None => (t.seq, t.ack, None),
            };
            let len = d.payload_wire_len;
            let mut n =
                TreeNode::with_range(
                    format!(
                    "Transmission Control Protocol, Src Port: {}, Dst Port: {}, Seq: {}{}, Len: {}",
                    t.src_port,
                    t.dst_port,
                    seq,
                    if t.flags.ack() { format!(", Ack: {ack}") } else { String::new() },
                    len
                ),
                    o..o + t.header_len,
                );
            n.children.push(TreeNode::with_range(
                format!("Source Port: {}", t.src_port),
                at(o, field::tcp::SRC_PORT),
            ));
            n.children.push(TreeNode::with_range(
                format!("Destination Port: {}", t.dst_port),
                at(o, field::tcp::DST_PORT),
            ));
            if let Some(tv) = &f.tcp {
                n.leaf(format!("[Stream index: {}]", tv.seg.stream));
            }
            n.leaf(format!("[TCP Segment Len: {len}]"));
            n.children.push(TreeNode::with_range(
                format!("Sequence Number: {seq}    (relative sequence number)"),
                at(o, field::tcp::SEQ),
            ));
            n.children.push(TreeNode::with_range(
                format!("Sequence Number (raw): {}", t.seq),
                at(o, field::tcp::SEQ),
            ));
            if let Some(next) = next {
                n.leaf(format!(
                    "[Next Sequence Number: {next}    (relative sequence number)]"
                ));
            }
            n.children.push(TreeNode::with_range(
                format!(
                    "Acknowledgment Number: {}",
                    if t.flags.ack() {
                        format!("{ack}    (relative ack number)")
                    } else {
                        "0".into()
                    }
                ),
                at(o, field::tcp::ACK),
            ));
            n.children.push(TreeNode::with_range(
                format!("Acknowledgment number (raw): {}", t.ack),
                at(o, field::tcp::ACK),
            ));
            n.children.push(TreeNode::with_range(
                format!(
                    "{:04b} .... = Header Length: {} bytes ({})",
                    (t.header_len / 4) & 0xf,
                    t.header_len,
                    t.header_len / 4
                ),
                at(o, field::tcp::DATA_OFF_FLAGS),
            ));
            let mut fl = TreeNode::with_range(
                format!("Flags: 0x{:03x} ({})", t.flags.0, flag_names(t.flags)),
                at(o, field::tcp::DATA_OFF_FLAGS),
            );
            for (bit, name) in [
                (TcpFlags::CWR, "Congestion Window Reduced (CWR)"),
                (TcpFlags::ECE, "ECN-Echo"),
                (TcpFlags::URG, "Urgent"),
                (TcpFlags::ACK, "Acknowledgment"),
                (TcpFlags::PSH, "Push"),
                (TcpFlags::RST, "Reset"),
                (TcpFlags::SYN, "Syn"),
                (TcpFlags::FIN, "Fin"),
            ] {
                fl.leaf(format!(
                    "{name}: {}",
                    if t.flags.has(bit) { "Set" } else { "Not set" }
                ));
            }
            n.children.push(fl);
            n.children.push(TreeNode::with_range(
                format!("Window: {}", t.window),
                at(o, field::tcp::WINDOW),
            ));
            if let Some(tv) = &f.tcp {
                if let Some(w) = tv.scaled_window {
                    n.leaf(format!("[Calculated window size: {w}]"));
                }
                if let Some(sf) = tv.scale_factor {
                    n.leaf(format!("[Window size scaling factor: {sf}]"));
                }
            }
            n.children.push(TreeNode::with_range(
                format!("Checksum: 0x{:04x} [unverified]", t.checksum),
                at(o, field::tcp::CHECKSUM),
            ));
            n.children.push(TreeNode::with_range(
                format!("Urgent Pointer: {}", t.urgent),
                at(o, field::tcp::URGENT),
            ));
            if t.header_len > field::tcp::MIN_LEN {
                let r = o + field::tcp::MIN_LEN..o + t.header_len;
                let names: Vec<String> = t.options.iter().map(|x| option_name(&x.kind)).collect();
                let mut on = TreeNode::with_range(
                    format!("Options: ({} bytes), {}", r.len(), names.join(", ")),
                    r,
                );
                for x in &t.options {
                    on.children.push(TreeNode::with_range(
                        option_detail(&x.kind),
                        x.range.clone(),
                    ));
                }
                if let Some(u) = &t.options_undecoded {
                    on.children.push(TreeNode::with_range(
                        format!("[Undecoded option bytes: {}]", u.len()),
                        u.clone(),
                    ));
                }
                n.children.push(on);
            }
            if let Some(tv) = &f.tcp {
                let lines: Vec<&str> = tv
                    .seg
                    .analysis
                    .labels()
                    .into_iter()
                    .filter(|(on, ..)| *on)
                    .map(|(_, _, _, line)| line)
                    .collect();
                if !lines.is_empty() {
                    let mut sa = TreeNode::new("[SEQ/ACK analysis]");
                    for l in lines {
                        sa.leaf(l);
                    }
                    n.children.push(sa);
                }
            }
            if !d.payload.is_empty() || len > 0 {
                n.children.push(TreeNode::with_range(
                    format!("TCP payload ({len} bytes)"),
                    d.payload.clone(),
                ));
            }
            Some(n)
        }
        Transport::Udp(u) => {
            let o = u.offset;
            let mut n = TreeNode::with_range(
                format!(
                    "User Datagram Protocol, Src Port: {}, Dst Port: {}",
                    u.src_port, u.dst_port
                ),
                o..o + field::udp::LEN,
            );
            n.children.push(TreeNode::with_range(
                format!("Source Port: {}", u.src_port),
                at(o, field::udp::SRC_PORT),
            ));
            n.children.push(TreeNode::with_range(
                format!("Destination Port: {}", u.dst_port),
                at(o, field::udp::DST_PORT),
            ));
            n.children.push(TreeNode::with_range(
                format!("Length: {}", u.length),
                at(o, field::udp::LENGTH),
            ));
            n.children.push(TreeNode::with_range(
                format!("Checksum: 0x{:04x} [unverified]", u.checksum),
                at(o, field::udp::CHECKSUM),
            ));
            n.leaf(format!("UDP payload ({} bytes)", d.payload.len()));
            Some(n)
        }
        Transport::Icmpv4(i) | Transport::Icmpv6(i) => {
            let v6 = matches!(d.transport, Some(Transport::Icmpv6(_)));
            let o = i.offset;
            let mut n = TreeNode::with_range(
                if v6 {
                    "Internet Control Message Protocol v6"
                } else {
                    "Internet Control Message Protocol"
                },
                o..o + i.header_len,
            );
            n.children.push(TreeNode::with_range(
                format!("Type: {}", i.icmp_type),
                at(o, field::icmp::TYPE),
            ));
            n.children.push(TreeNode::with_range(
                format!("Code: {}", i.code),
                at(o, field::icmp::CODE),
            ));
            n.children.push(TreeNode::with_range(
                format!("Checksum: 0x{:04x} [unverified]", i.checksum),
                at(o, field::icmp::CHECKSUM),
            ));
            n.children.push(TreeNode::with_range(
                format!("Rest of header: {}", hex::encode(i.rest)),
                at(o, field::icmp::REST),
            ));
            Some(n)
        }
        Transport::Other { protocol, offset } => Some(TreeNode::with_range(
            format!(
                "[IP protocol {} ({}) not decoded]",
                protocol,
                ip_proto_name(*protocol)
            ),
            *offset..d.payload.end,
        )),
    }
}

fn option_name(k: &TcpOptionKind) -> String {
    match k {
        TcpOptionKind::Nop => "No-Operation (NOP)".into(),
        TcpOptionKind::EndOfList => "End of Option List (EOL)".into(),
        TcpOptionKind::Mss(_) => "Maximum segment size".into(),
        TcpOptionKind::WindowScale(_) => "Window scale".into(),
        TcpOptionKind::SackPermitted => "SACK permitted".into(),
        TcpOptionKind::Sack(_) => "SACK".into(),
        TcpOptionKind::Timestamp { .. } => "Timestamps".into(),
    }
}

fn option_detail(k: &TcpOptionKind) -> String {
    match k {
        TcpOptionKind::Mss(m) => format!("TCP Option - Maximum segment size: {m} bytes"),
        TcpOptionKind::WindowScale(s) => {
            format!(
                "TCP Option - Window scale: {s} (multiply by {})",
                1u64 << u32::from(*s).min(14)
            )
        }
        TcpOptionKind::Timestamp { val, ecr } => {
            format!("TCP Option - Timestamps: TSval {val}, TSecr {ecr}")
        }
        TcpOptionKind::Sack(b) => {
            let parts: Vec<String> = b.iter().map(|(l, r)| format!("{l}-{r}")).collect();
            format!("TCP Option - SACK {}", parts.join(" "))
        }
        other => format!("TCP Option - {}", option_name(other)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_dates() {
        assert_eq!(
            utc(crate::capture::Timestamp::new(0, 0)),
            "Jan  1, 1970 00:00:00.000000000 UTC"
        );
        assert_eq!(
            rfc3339(crate::capture::Timestamp::new(1_700_000_000, 123_456_789)),
            "2023-11-14T22:13:20.123456Z"
        );
        assert_eq!(
            utc(crate::capture::Timestamp::new(951_782_400, 5)),
            "Feb 29, 2000 00:00:00.000000005 UTC"
        );
    }
}
