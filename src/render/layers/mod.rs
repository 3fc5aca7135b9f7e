//! The `-V` tree of the lower layers (Frame, link, IP, TCP/UDP/ICMP); the application
//! layers add their own nodes (`AppMessage::tree`). Each node carries its frame byte range.

mod link;
mod net;
mod transport;
mod tunnel;

use super::frame::FrameView;
use super::tree::TreeNode;
use crate::capture::linktype;
use crate::decode::field::{self, at};
use crate::decode::{Decoded, Link, Net, Transport, Vlan};
use link::{ether_type_name, link_node};
pub(crate) use net::ip_proto_name;
use net::net_node;
use transport::transport_node;

/// All layer nodes of a frame, outermost first.
pub fn frame_tree(f: &FrameView<'_>) -> Vec<TreeNode> {
    let d = f.decoded;
    let mut out = vec![frame_node(f)];
    if let Some(n) = link_node(f) {
        out.push(n);
    }
    for v in &d.vlans {
        out.push(vlan_node(v));
    }
    for e in &d.encap {
        out.push(tunnel::encap_node(e));
    }
    if let Some(n) = net_node(d) {
        out.push(n);
    }
    if let Some(n) = transport_node(f) {
        out.push(n);
    }
    if f.app.is_empty() {
        match d.reassembled.as_ref().filter(|r| r.transport.is_some()) {
            Some(r) if !r.payload.is_empty() => out.push(TreeNode::with_range(
                format!("Data ({} bytes)", r.payload.len()),
                r.frame_offset(r.payload.start)..r.frame_offset(r.payload.end),
            )),
            Some(_) => {}
            None if !d.payload.is_empty() => out.push(data_node(d)),
            None => {}
        }
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

/// An 802.1Q tag.
fn vlan_node(v: &Vlan) -> TreeNode {
    let mut n = TreeNode::with_range(
        format!(
            "802.1Q Virtual LAN, PRI: {}, DEI: {}, ID: {}",
            v.pcp,
            u8::from(v.dei),
            v.id
        ),
        v.offset..v.offset + field::vlan::LEN,
    );
    n.leaf_at(
        format!("Priority: {}", v.pcp),
        at(v.offset, field::vlan::TCI),
    );
    n.leaf_at(
        format!("DEI: {}", u8::from(v.dei)),
        at(v.offset, field::vlan::TCI),
    );
    n.leaf_at(format!("ID: {}", v.id), at(v.offset, field::vlan::TCI));
    n.leaf_at(
        format!(
            "Type: {} (0x{:04x})",
            ether_type_name(v.ether_type),
            v.ether_type
        ),
        at(v.offset, field::vlan::ETHER_TYPE),
    );
    n
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
    for e in &d.encap {
        tunnel::protocols(e, &mut v);
    }
    match &d.net {
        Some(Net::Ipv4(_)) => v.push("ip"),
        Some(Net::Ipv6(_)) => v.push("ipv6"),
        Some(Net::Arp { .. }) => v.push("arp"),
        _ => {}
    }
    let (transport, payload_len) = match d.reassembled.as_ref().filter(|r| r.transport.is_some()) {
        Some(r) => (r.transport.as_ref(), r.payload.len()),
        None => (d.transport.as_ref(), d.payload.len()),
    };
    match transport {
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
    if f.app.is_empty() && payload_len > 0 && transport.is_some() {
        out.push_str(":data");
    }
    out
}

pub use crate::present::time::{rfc3339, utc};

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
