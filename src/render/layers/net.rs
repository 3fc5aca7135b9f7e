//! The network-layer node: IPv4, IPv6 (with its extension headers) and ARP.

use super::super::tree::TreeNode;
use crate::decode::defrag::{FragmentPiece, Reassembled};
use crate::decode::field::{self, at};
use crate::decode::{Decoded, Ipv6Fragment, Net};

/// An IP protocol number's name, as tshark names it.
pub(crate) fn ip_proto_name(p: u8) -> &'static str {
    match p {
        1 => "ICMP",
        6 => "TCP",
        17 => "UDP",
        4 => "IPIP",
        41 => "IPv6",
        47 => "Generic Routing Encapsulation",
        58 => "ICMPv6",
        0 => "IPv6 Hop-by-Hop Option",
        43 => "Routing Header for IPv6",
        44 => "Fragment Header for IPv6",
        60 => "Destination Options for IPv6",
        _ => "Unknown",
    }
}

pub(super) fn net_node(d: &Decoded) -> Option<TreeNode> {
    let mut n = net_header_node(d)?;
    if let Some(r) = &d.reassembled {
        n.children.push(fragments_node(r));
    }
    Some(n)
}

/// tshark's `[2 IPv4 Fragments (156 bytes): #4(136), #5(20)]`, under the IP header of the
/// frame that completed the datagram.
fn fragments_node(r: &Reassembled) -> TreeNode {
    let ip = if r.v6 { "IPv6" } else { "IPv4" };
    let mut fragments: Vec<&FragmentPiece> = r.fragments.iter().collect();
    fragments.sort_by_key(|p| p.data.start);
    let list: Vec<String> = fragments
        .iter()
        .map(|p| format!("#{}({})", p.frame, p.data.len()))
        .collect();
    let mut n = TreeNode::new(format!(
        "[{} {ip} Fragments ({} bytes): {}]",
        r.fragments.len(),
        r.data.len(),
        list.join(", ")
    ));
    for FragmentPiece {
        frame, data: range, ..
    } in fragments
    {
        n.leaf(format!(
            "[Frame: {frame}, payload: {}-{} ({} bytes)]",
            range.start,
            range.end.saturating_sub(1),
            range.len()
        ));
    }
    n.leaf(format!("[Fragment count: {}]", r.fragments.len()));
    for c in &r.conflicts {
        n.leaf(format!(
            "[Conflicting data in fragment overlap: frame {}, payload {}-{}; the first copy is kept]",
            c.frame,
            c.offset,
            (c.offset + c.copy.len()).saturating_sub(1)
        ));
    }
    n.children.push(TreeNode::with_range(
        format!("[Reassembled {ip} length: {}]", r.data.len()),
        r.frame_offset(0)..r.frame_offset(r.data.len()),
    ));
    n
}

/// tshark's `Fragment Header for IPv6` subtree.
fn ipv6_fragment_node(fr: &Ipv6Fragment) -> TreeNode {
    let o = fr.offset;
    let mut n = TreeNode::with_range("Fragment Header for IPv6", o..o + field::ipv6_fragment::LEN);
    n.children.push(TreeNode::with_range(
        format!(
            "Next header: {} ({})",
            ip_proto_name(fr.next_header),
            fr.next_header
        ),
        at(o, field::ipv6_fragment::NEXT_HEADER),
    ));
    n.children.push(TreeNode::with_range(
        format!("Reserved octet: 0x{:02x}", fr.reserved),
        at(o, field::ipv6_fragment::RESERVED),
    ));
    let units = fr.fragment_offset / 8;
    let bits = format!("{:016b}", units << 3);
    let grouped: Vec<&str> = (0..4).filter_map(|i| bits.get(i * 4..i * 4 + 4)).collect();
    let mut shown = grouped.join(" ");
    shown.replace_range(shown.len() - 3.., "...");
    n.children.push(TreeNode::with_range(
        format!("{shown} = Offset: {units} ({} bytes)", fr.fragment_offset),
        at(o, field::ipv6_fragment::OFFSET_FLAGS),
    ));
    n.children.push(TreeNode::with_range(
        format!(
            ".... .... .... ...{} = More Fragments: {}",
            u8::from(fr.more),
            if fr.more { "Yes" } else { "No" }
        ),
        at(o, field::ipv6_fragment::OFFSET_FLAGS),
    ));
    n.children.push(TreeNode::with_range(
        format!("Identification: 0x{:08x}", fr.id),
        at(o, field::ipv6_fragment::IDENT),
    ));
    n
}

fn net_header_node(d: &Decoded) -> Option<TreeNode> {
    let lie = super::super::summary::length_lie(d);
    Some(ip_node(d.net.as_ref()?, d.payload.end, lie))
}

/// The node of a network header; an undecoded ether type's bytes run to `other_end`; `lie`
/// notes a total length claiming more than the frame held.
pub(super) fn ip_node(net: &Net, other_end: usize, lie: Option<String>) -> TreeNode {
    match net {
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
            if let Some(lie) = &lie {
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
                format!("Fragment Offset: {}", h.fragment_offset),
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
            n
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
            if let Some(fr) = &h.fragment {
                n.children.push(ipv6_fragment_node(fr));
            }
            for (t, r) in h.extensions.iter().filter(|(t, r)| {
                // A Fragment header alone has its own node (above).
                !(h.fragment.is_some() && *t == 44 && r.len() == field::ipv6_fragment::LEN)
            }) {
                n.children.push(TreeNode::with_range(
                    format!(
                        "Extension headers: first {} ({t}), {} bytes",
                        ip_proto_name(*t),
                        r.len(),
                    ),
                    r.clone(),
                ));
            }
            n
        }
        Net::Arp { offset, len, .. } => {
            TreeNode::with_range("Address Resolution Protocol", *offset..offset + len)
        }
        Net::Other { ether_type, offset } => TreeNode::with_range(
            format!("[Ether type 0x{ether_type:04x} not decoded]"),
            *offset..other_end,
        ),
    }
}
