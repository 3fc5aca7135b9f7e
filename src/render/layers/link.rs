//! The link-layer node: Ethernet II, Linux cooked capture (SLL, SLL2), Null/Loopback, raw.

use super::super::frame::FrameView;
use super::super::summary::mac;
use super::super::tree::TreeNode;
use crate::capture::linktype;
use crate::decode::field::{self, at};
use crate::decode::{EthernetHeader, Link};

pub(super) fn ether_type_name(t: u16) -> &'static str {
    match t {
        0x0800 => "IPv4",
        0x86dd => "IPv6",
        0x0806 => "ARP",
        0x8100 => "802.1Q Virtual LAN",
        0x88a8 => "802.1ad Provider Bridge (Q-in-Q)",
        0x6558 => "Transparent Ethernet bridging",
        0x8847 => "MPLS label switched packet",
        0x8848 => "MPLS multicast label switched packet",
        0x8864 => "PPPoE Session",
        0x88be => "ERSPAN",
        0x22eb => "ERSPAN III",
        _ => "Unknown",
    }
}

/// An Ethernet II header at `o` in the frame.
pub(super) fn ethernet_node(e: &EthernetHeader, o: usize) -> TreeNode {
    let mut n = TreeNode::with_range(
        format!("Ethernet II, Src: {}, Dst: {}", mac(&e.src), mac(&e.dst)),
        o..o + field::ethernet::LEN,
    );
    n.leaf_at(
        format!("Destination: {}", mac(&e.dst)),
        at(o, field::ethernet::DST),
    );
    n.leaf_at(
        format!("Source: {}", mac(&e.src)),
        at(o, field::ethernet::SRC),
    );
    n.leaf_at(
        format!(
            "Type: {} (0x{:04x})",
            ether_type_name(e.ether_type),
            e.ether_type
        ),
        at(o, field::ethernet::ETHER_TYPE),
    );
    n
}

pub(super) fn link_node(f: &FrameView<'_>) -> Option<TreeNode> {
    match &f.decoded.link {
        Link::Ethernet(e) => Some(ethernet_node(e, 0)),
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
