//! The nodes of the layers a tunnelled packet was carried in ([`Encap`]), as tshark names
//! them: each with its bytes in the frame.

use super::super::tree::TreeNode;
use super::link::{ether_type_name, ethernet_node};
use super::net::ip_node;
use super::transport::udp_node;
use super::vlan_node;
use crate::decode::tunnel::{ErspanHeader, GeneveHeader, GreHeader, MplsLabel, PppoeHeader};
use crate::decode::{Encap, Net};

/// `eth:ethertype:ip:udp:vxlan:…`: this layer's names in tshark's frame.protocols.
pub(super) fn protocols(e: &Encap, v: &mut Vec<&'static str>) {
    match e {
        Encap::Ip(Net::Ipv6(_)) => v.push("ipv6"),
        Encap::Ip(_) => v.push("ip"),
        Encap::Udp(_) => v.push("udp"),
        Encap::Vxlan(_) => v.push("vxlan"),
        Encap::Geneve(_) => v.push("geneve"),
        Encap::Gre(_) => v.push("gre"),
        Encap::Erspan(_) => v.push("erspan"),
        Encap::Ethernet { .. } => v.extend(["eth", "ethertype"]),
        Encap::Vlan(_) => v.extend(["vlan", "ethertype"]),
        // One name for the whole label stack.
        Encap::Mpls(_) if v.last() == Some(&"mpls") => {}
        Encap::Mpls(_) => v.push("mpls"),
        Encap::Pppoe(_) => v.push("pppoes"),
        Encap::Ppp { .. } => v.push("ppp"),
    }
}

/// The node of one carrying layer.
pub(super) fn encap_node(e: &Encap) -> TreeNode {
    let r = e.range();
    match e {
        Encap::Ip(net) => ip_node(net, r.end, None),
        Encap::Udp(u) => udp_node(u, u.offset, usize::from(u.length).saturating_sub(8)),
        Encap::Vxlan(v) => {
            let mut n = TreeNode::with_range("Virtual eXtensible Local Area Network", r.clone());
            let o = v.offset;
            let vni = if v.flags & 0x0800 != 0 {
                ", VXLAN Network ID (VNI)"
            } else {
                ""
            };
            n.leaf_at(format!("Flags: 0x{:04x}{vni}", v.flags), o..o + 2);
            n.leaf_at(format!("Group Policy ID: {}", v.group_policy), o + 2..o + 4);
            n.leaf_at(
                format!("VXLAN Network Identifier (VNI): {}", v.vni),
                o + 4..o + 7,
            );
            n.leaf_at(format!("Reserved: {}", v.reserved), o + 7..o + 8);
            n
        }
        Encap::Geneve(g) => geneve_node(g),
        Encap::Gre(g) => gre_node(g),
        Encap::Erspan(h) => erspan_node(h),
        Encap::Ethernet { offset, header } => ethernet_node(header, *offset),
        Encap::Vlan(v) => vlan_node(v),
        Encap::Mpls(m) => mpls_node(m),
        Encap::Pppoe(p) => pppoe_node(p),
        Encap::Ppp {
            offset,
            address_control,
            protocol,
        } => {
            let mut n = TreeNode::with_range("Point-to-Point Protocol", r.clone());
            let mut o = *offset;
            if *address_control {
                n.leaf_at("Address: 0xff", o..o + 1);
                n.leaf_at("Control: 0x03", o + 1..o + 2);
                o += 2;
            }
            n.leaf_at(
                format!("Protocol: {} (0x{protocol:04x})", ppp_name(*protocol)),
                o..o + 2,
            );
            n
        }
    }
}

fn ppp_name(p: u16) -> &'static str {
    match p {
        0x0021 => "Internet Protocol version 4",
        0x0057 => "Internet Protocol version 6",
        0xc021 => "Link Control Protocol",
        0x8021 => "Internet Protocol Control Protocol",
        _ => "Unknown",
    }
}

/// tshark's name of a payload's ether type in a tunnel header (GRE, GENEVE).
fn payload_name(et: u16) -> &'static str {
    match et {
        0x0800 => "IP",
        0x86dd => "IPv6",
        0x880b => "PPP",
        other => ether_type_name(other),
    }
}

fn true_false(b: bool) -> &'static str {
    if b {
        "True"
    } else {
        "False"
    }
}

fn geneve_node(g: &GeneveHeader) -> TreeNode {
    let o = g.offset;
    let mut n = TreeNode::with_range(
        format!(
            "Generic Network Virtualization Encapsulation, VNI: 0x{:06x}",
            g.vni
        ),
        o..o + g.header_len,
    );
    n.leaf_at(format!("Version: {}", g.version), o..o + 1);
    n.leaf_at(format!("Length: {} bytes", g.header_len), o..o + 1);
    let mut flags = TreeNode::with_range(
        format!(
            "Flags: 0x{:02x}",
            u8::from(g.oam) << 7 | u8::from(g.critical) << 6
        ),
        o + 1..o + 2,
    );
    flags.leaf(format!(
        "Operations, Administration and Management Frame: {}",
        true_false(g.oam)
    ));
    flags.leaf(format!(
        "Critical Options Present: {}",
        true_false(g.critical)
    ));
    n.children.push(flags);
    protocol_type(&mut n, g.protocol, o + 2);
    n.leaf_at(
        format!(
            "Virtual Network Identifier (VNI): 0x{:06x} ({})",
            g.vni, g.vni
        ),
        o + 4..o + 7,
    );
    if g.options_len > 0 {
        n.leaf_at(
            format!("Options: ({} bytes)", g.options_len),
            o + 8..o + g.header_len,
        );
    }
    n
}

/// The `Protocol Type` line of GENEVE and GRE: the EtherType of the payload, at `at`.
fn protocol_type(n: &mut TreeNode, protocol: u16, at: usize) {
    n.leaf_at(
        format!(
            "Protocol Type: {} (0x{:04x})",
            payload_name(protocol),
            protocol
        ),
        at..at + 2,
    );
}

fn gre_node(g: &GreHeader) -> TreeNode {
    let o = g.offset;
    let mut n = TreeNode::with_range(
        format!(
            "Generic Routing Encapsulation ({})",
            payload_name(g.protocol)
        ),
        o..o + g.header_len,
    );
    let yes = |b: u16| if g.flags & b != 0 { "Yes" } else { "No" };
    let mut flags = TreeNode::with_range(format!("Flags and Version: 0x{:04x}", g.flags), o..o + 2);
    flags.leaf(format!("Checksum Bit: {}", yes(GreHeader::CHECKSUM)));
    flags.leaf(format!("Routing Bit: {}", yes(GreHeader::ROUTING)));
    flags.leaf(format!("Key Bit: {}", yes(GreHeader::KEY)));
    flags.leaf(format!("Sequence Number Bit: {}", yes(GreHeader::SEQ)));
    if g.version() == 1 {
        flags.leaf(format!("Acknowledgment Bit: {}", yes(GreHeader::ACK)));
    }
    let version = if g.version() == 1 {
        "Enhanced GRE"
    } else {
        "GRE"
    };
    flags.leaf(format!("Version: {version} ({})", g.version()));
    n.children.push(flags);
    protocol_type(&mut n, g.protocol, o + 2);
    let mut at = o + 4;
    if let Some(c) = g.checksum {
        n.leaf_at(format!("Checksum: 0x{c:04x} [unverified]"), at..at + 2);
        at += 4;
    }
    match g.key {
        // Enhanced GRE's key field is the payload length and the call ID.
        Some(k) if g.version() == 1 => {
            n.leaf_at(format!("Payload Length: {}", k >> 16), at..at + 2);
            n.leaf_at(format!("Call ID: {}", k & 0xffff), at + 2..at + 4);
            at += 4;
        }
        Some(k) => {
            n.leaf_at(format!("Key: 0x{k:08x}"), at..at + 4);
            at += 4;
        }
        None => {}
    }
    if let Some(s) = g.seq {
        n.leaf_at(format!("Sequence Number: {s}"), at..at + 4);
        at += 4;
    }
    if let Some(a) = g.ack {
        n.leaf_at(format!("Acknowledgment Number: {a}"), at..at + 4);
    }
    n
}

fn erspan_node(h: &ErspanHeader) -> TreeNode {
    let o = h.offset;
    let kind = if h.version == 2 { "III" } else { "II" };
    let mut n = TreeNode::with_range(
        format!("Encapsulated Remote Switch Packet ANalysis Type {kind}"),
        o..o + h.header_len,
    );
    n.leaf_at(format!("Version: Type {kind} ({})", h.version), o..o + 1);
    n.leaf_at(format!("Vlan: {}", h.vlan), o..o + 2);
    n.leaf_at(format!("SpanID: {}", h.session_id), o + 2..o + 4);
    let last = if h.version == 2 { "Timestamp" } else { "Index" };
    n.leaf_at(format!("{last}: {}", h.index_or_timestamp), o + 4..o + 8);
    n
}

fn mpls_node(m: &MplsLabel) -> TreeNode {
    let o = m.offset;
    let mut n = TreeNode::with_range(
        format!(
            "MultiProtocol Label Switching Header, Label: {}, Exp: {}, S: {}, TTL: {}",
            m.label,
            m.tc,
            u8::from(m.bottom),
            m.ttl
        ),
        o..o + 4,
    );
    n.leaf_at(
        format!("MPLS Label: {} (0x{:05x})", m.label, m.label),
        o..o + 3,
    );
    n.leaf_at(format!("MPLS Experimental Bits: {}", m.tc), o + 2..o + 3);
    n.leaf_at(
        format!("MPLS Bottom Of Label Stack: {}", u8::from(m.bottom)),
        o + 2..o + 3,
    );
    n.leaf_at(format!("MPLS TTL: {}", m.ttl), o + 3..o + 4);
    n
}

fn pppoe_node(p: &PppoeHeader) -> TreeNode {
    let o = p.offset;
    let mut n = TreeNode::with_range("PPP-over-Ethernet Session", o..o + 6);
    n.leaf_at(format!("Version: {}", p.version), o..o + 1);
    n.leaf_at(format!("Type: {}", p.ptype), o..o + 1);
    let code = if p.code == 0 {
        "Session Data"
    } else {
        "Unknown"
    };
    n.leaf_at(format!("Code: {code} (0x{:02x})", p.code), o + 1..o + 2);
    n.leaf_at(format!("Session ID: 0x{:04x}", p.session_id), o + 2..o + 4);
    n.leaf_at(format!("Payload Length: {}", p.length), o + 4..o + 6);
    n
}
