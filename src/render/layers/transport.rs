//! The transport-layer node: TCP (with options and the flow analysis), UDP, ICMP and ICMPv6.

use super::super::frame::FrameView;
use super::super::summary::flag_names;
use super::super::tree::TreeNode;
use super::net::ip_proto_name;
use crate::decode::field::{self, at};
use crate::decode::{TcpOptionKind, Transport};
use crate::flow::TcpFlags;

pub(super) fn transport_node(f: &FrameView<'_>) -> Option<TreeNode> {
    let d = f.decoded;
    // A datagram this frame completed from IP fragments is shown by its own transport
    // header, its ranges past the frame's bytes (where its data source follows them).
    let (transport, shift, payload, wire_len) =
        match d.reassembled.as_ref().filter(|r| r.transport.is_some()) {
            Some(r) => (
                r.transport.as_ref()?,
                r.base,
                r.frame_offset(r.payload.start)..r.frame_offset(r.payload.end),
                r.payload.len(),
            ),
            None => (
                d.transport.as_ref()?,
                0,
                d.payload.clone(),
                d.payload_wire_len,
            ),
        };
    let moved = |r: &std::ops::Range<usize>| r.start + shift..r.end + shift;
    match transport {
        Transport::Tcp(t) => {
            let o = t.offset + shift;
            let (seq, ack, next) = match &f.tcp {
                Some(tv) => (tv.seg.rel_seq, tv.seg.rel_ack, Some(tv.seg.next_rel_seq)),
                None => (t.seq, t.ack, None),
            };
            let len = wire_len;
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
                n.leaf(format!("[Calculated window size: {}]", tv.scaled_window));
                let factor = match tv.scale_factor {
                    Some(-1) => Some("-1 (unknown)".to_string()),
                    Some(-2) => Some("-2 (no window scaling used)".to_string()),
                    sf => sf.map(|f| f.to_string()),
                };
                if let Some(f) = factor {
                    n.leaf(format!("[Window size scaling factor: {f}]"));
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
                let sack_base = crate::render::summary::sack_base(f, t);
                for x in &t.options {
                    let mut node =
                        TreeNode::with_range(option_detail(&x.kind, sack_base), moved(&x.range));
                    if let TcpOptionKind::Sack(b) = &x.kind {
                        let rel = if sack_base == 0 { "" } else { " (relative)" };
                        for (l, r) in b {
                            node.leaf(format!("left edge = {}{rel}", l.wrapping_sub(sack_base)));
                            node.leaf(format!("right edge = {}{rel}", r.wrapping_sub(sack_base)));
                        }
                        node.leaf(format!("[TCP SACK Count: {}]", b.len()));
                    }
                    on.children.push(node);
                }
                if let Some(u) = &t.options_undecoded {
                    on.children.push(TreeNode::with_range(
                        format!("[Undecoded option bytes: {}]", u.len()),
                        moved(u),
                    ));
                }
                n.children.push(on);
            }
            if let Some(tv) = &f.tcp {
                if let Some(sa) = seq_ack_tree(&tv.seg.analysis) {
                    n.children.push(sa);
                }
            }
            if !payload.is_empty() || len > 0 {
                n.children.push(TreeNode::with_range(
                    format!("TCP payload ({len} bytes)"),
                    payload.clone(),
                ));
            }
            Some(n)
        }
        Transport::Udp(u) => Some(udp_node(u, u.offset + shift, payload.len())),
        Transport::Icmpv4(i) | Transport::Icmpv6(i) => {
            let v6 = matches!(transport, Transport::Icmpv6(_));
            let o = i.offset + shift;
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
        // A fragment's bytes are data until its datagram is whole (tshark says the same).
        Transport::Other { .. } if is_fragment(d) => None,
        Transport::Other { protocol, offset } => Some(TreeNode::with_range(
            format!(
                "[IP protocol {} ({}) not decoded]",
                protocol,
                ip_proto_name(*protocol)
            ),
            *offset..payload.end,
        )),
    }
}

/// An IPv4 fragment, or an IPv6 packet with a Fragment header that fragments.
fn is_fragment(d: &crate::decode::Decoded) -> bool {
    match &d.net {
        Some(crate::decode::Net::Ipv4(h)) => h.is_fragment(),
        Some(crate::decode::Net::Ipv6(h)) => h.fragmented,
        _ => false,
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

fn option_detail(k: &TcpOptionKind, sack_base: u32) -> String {
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
            let parts: Vec<String> = b
                .iter()
                .map(|(l, r)| {
                    format!(
                        "{}-{}",
                        l.wrapping_sub(sack_base),
                        r.wrapping_sub(sack_base)
                    )
                })
                .collect();
            format!("TCP Option - SACK {}", parts.join(" "))
        }
        other => format!("TCP Option - {}", option_name(other)),
    }
}

/// tshark's `[SEQ/ACK analysis]` subtree of a segment (`None` when it has none).
fn seq_ack_tree(a: &crate::flow::Analysis) -> Option<TreeNode> {
    use crate::flow::format_rel_time;
    if !a.shown {
        return None;
    }
    let mut sa = TreeNode::new("[SEQ/ACK analysis]");
    if a.acks_frame != 0 {
        sa.leaf(format!(
            "[This is an ACK to the segment in frame: {}]",
            a.acks_frame
        ));
        if a.ack_rtt_ns != 0 {
            sa.leaf(format!(
                "[The RTT to ACK the segment was: {} seconds]",
                format_rel_time(a.ack_rtt_ns)
            ));
        }
    }
    if a.initial_rtt_ns != 0 {
        sa.leaf(format!(
            "[iRTT: {} seconds]",
            format_rel_time(a.initial_rtt_ns)
        ));
    }
    if a.bytes_in_flight != 0 {
        sa.leaf(format!("[Bytes in flight: {}]", a.bytes_in_flight));
        sa.leaf(format!(
            "[Bytes sent since last PSH flag: {}]",
            a.push_bytes_sent
        ));
    }
    if a.any_flag() {
        let mut fl = TreeNode::new("[TCP Analysis Flags]");
        for (on, name, _, line) in a.labels() {
            if !on {
                continue;
            }
            if name == "dup_ack" {
                fl.leaf(format!("[{line}]"));
                continue;
            }
            fl.children.push(expert(expert_severity(name), line));
            if matches!(name, "fast_retransmission" | "spurious_retransmission") {
                fl.children
                    .push(expert("Note", "This frame is a (suspected) retransmission"));
            }
            if name == "retransmission" && a.rto_ns != 0 {
                fl.leaf(format!(
                    "[The RTO for this segment was: {} seconds]",
                    format_rel_time(a.rto_ns)
                ));
                fl.leaf(format!("[RTO based on delta from frame: {}]", a.rto_frame));
            }
        }
        sa.children.push(fl);
        if a.dup_ack() {
            sa.leaf(format!("[Duplicate ACK #: {}]", a.dup_ack_num));
            let mut frame = TreeNode::new(format!(
                "[Duplicate to the ACK in frame: {}]",
                a.dup_ack_frame
            ));
            frame.children.push(expert(
                "Note",
                &format!("Duplicate ACK (#{})", a.dup_ack_num),
            ));
            sa.children.push(frame);
        }
    }
    Some(sa)
}

/// tshark's expert severity of an analysis flag (by its JSON name).
fn expert_severity(name: &str) -> &'static str {
    match name {
        "out_of_order"
        | "previous_segment_not_captured"
        | "ack_lost_segment"
        | "window_full"
        | "zero_window" => "Warning",
        "window_update" => "Chat",
        _ => "Note",
    }
}

/// An expert-info node as tshark's `-V` prints one (group Sequence).
fn expert(severity: &str, text: &str) -> TreeNode {
    let mut n = TreeNode::new(format!("[Expert Info ({severity}/Sequence): {text}]"));
    n.leaf(format!("[{text}]"));
    n.leaf(format!("[Severity level: {severity}]"));
    n.leaf("[Group: Sequence]");
    n
}

/// A UDP header at `o` in the frame, with `payload_len` bytes above it.
pub(super) fn udp_node(u: &crate::decode::UdpHeader, o: usize, payload_len: usize) -> TreeNode {
    let mut n = TreeNode::with_range(
        format!(
            "User Datagram Protocol, Src Port: {}, Dst Port: {}",
            u.src_port, u.dst_port
        ),
        o..o + field::udp::LEN,
    );
    n.leaf_at(
        format!("Source Port: {}", u.src_port),
        at(o, field::udp::SRC_PORT),
    );
    n.leaf_at(
        format!("Destination Port: {}", u.dst_port),
        at(o, field::udp::DST_PORT),
    );
    n.leaf_at(format!("Length: {}", u.length), at(o, field::udp::LENGTH));
    n.leaf_at(
        format!("Checksum: 0x{:04x} [unverified]", u.checksum),
        at(o, field::udp::CHECKSUM),
    );
    n.leaf(format!("UDP payload ({payload_len} bytes)"));
    n
}
