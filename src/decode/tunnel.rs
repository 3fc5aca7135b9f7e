//! Tunnels: VXLAN, GENEVE, GRE (with ERSPAN), IP-in-IP, MPLS and PPPoE. The packet inside
//! is decoded as a whole packet: [`Decoded::net`] and [`Decoded::transport`] become the
//! innermost layers (sessions, columns and findings go by them, as tshark's columns do) and
//! the layers they were carried in are kept, in order, in [`Decoded::encap`], each with its
//! byte range in the frame. A tunnel header cut short or lying leaves the frame as it was
//! decoded (the tunnel's bytes are data) with a note in [`Decoded::stopped`].

use std::ops::Range;
use std::sync::OnceLock;

use etherparse::{EtherType, LaxSlicedPacket};

use super::link::{be16, be32, fill_from_lax_at};
use super::*;

/// How many tunnel layers are opened, at most; past them the rest is data with a note.
pub const MAX_DEPTH: usize = 8;
/// MPLS labels read in one stack, at most.
pub const MAX_LABELS: usize = 16;

/// tshark's default VXLAN port (IANA).
pub const VXLAN_PORT: u16 = 4789;
/// GENEVE's port (IANA).
pub const GENEVE_PORT: u16 = 6081;

static EXTRA_VXLAN_PORTS: OnceLock<Vec<u16>> = OnceLock::new();

/// UDP ports read as VXLAN besides 4789 (`-d udp.port==8472,vxlan`); set once, at start.
pub fn set_vxlan_ports(ports: Vec<u16>) {
    let _ = EXTRA_VXLAN_PORTS.set(ports);
}

fn is_vxlan_port(p: u16) -> bool {
    p == VXLAN_PORT || EXTRA_VXLAN_PORTS.get().is_some_and(|v| v.contains(&p))
}

/// A layer a packet was carried in, between the link (and its VLAN tags) and
/// [`Decoded::net`]. Offsets index the frame.
#[derive(Debug, Clone)]
pub enum Encap {
    /// An outer IPv4 or IPv6 header.
    Ip(Net),
    /// An outer UDP header.
    Udp(UdpHeader),
    Vxlan(VxlanHeader),
    Geneve(GeneveHeader),
    Gre(GreHeader),
    Erspan(ErspanHeader),
    /// An inner Ethernet II header.
    Ethernet {
        offset: usize,
        header: EthernetHeader,
    },
    /// An inner 802.1Q tag.
    Vlan(Vlan),
    /// One MPLS label stack entry.
    Mpls(MplsLabel),
    Pppoe(PppoeHeader),
    /// PPP's protocol field (after PPPoE or in GRE), after the address and control bytes
    /// (0xff 0x03) when they are there.
    Ppp {
        offset: usize,
        address_control: bool,
        protocol: u16,
    },
}

impl Encap {
    /// tshark's protocol column for the layer.
    pub fn name(&self) -> &'static str {
        match self {
            Encap::Ip(Net::Ipv6(_)) => "IPv6",
            Encap::Ip(_) => "IPv4",
            Encap::Udp(_) => "UDP",
            Encap::Vxlan(_) => "VXLAN",
            Encap::Geneve(_) => "Geneve",
            Encap::Gre(_) => "GRE",
            Encap::Erspan(_) => "ERSPAN",
            Encap::Ethernet { .. } => "Ethernet",
            Encap::Vlan(_) => "802.1Q",
            Encap::Mpls(_) => "MPLS",
            Encap::Pppoe(_) => "PPPoES",
            Encap::Ppp { .. } => "PPP",
        }
    }

    /// The Info column of a frame whose tunnel carries what is not decoded further.
    pub fn info(&self) -> String {
        match self {
            Encap::Gre(g) => format!("Encapsulated 0x{:04x}", g.protocol),
            Encap::Ppp { protocol, .. } => format!("PPP protocol 0x{protocol:04x}"),
            Encap::Mpls(m) => format!("MPLS Label Switched Packet (label {})", m.label),
            Encap::Pppoe(_) => "Session Data".into(),
            other => format!("{} payload", other.name()),
        }
    }

    /// The bytes of this layer's header in the frame.
    pub fn range(&self) -> Range<usize> {
        match self {
            Encap::Ip(Net::Ipv4(h)) => h.offset..h.offset + h.header_len,
            Encap::Ip(Net::Ipv6(h)) => {
                let end = h.extensions.last().map_or(h.offset + 40, |(_, r)| r.end);
                h.offset..end
            }
            Encap::Ip(Net::Arp { offset, len, .. }) => *offset..offset + len,
            Encap::Ip(Net::Other { offset, .. }) => *offset..*offset,
            Encap::Udp(u) => u.offset..u.offset + field::udp::LEN,
            Encap::Vxlan(v) => v.offset..v.offset + 8,
            Encap::Geneve(g) => g.offset..g.offset + g.header_len,
            Encap::Gre(g) => g.offset..g.offset + g.header_len,
            Encap::Erspan(e) => e.offset..e.offset + e.header_len,
            Encap::Ethernet { offset, .. } => *offset..offset + field::ethernet::LEN,
            Encap::Vlan(v) => v.offset..v.offset + field::vlan::LEN,
            Encap::Mpls(m) => m.offset..m.offset + 4,
            Encap::Pppoe(p) => p.offset..p.offset + 6,
            Encap::Ppp {
                offset,
                address_control,
                ..
            } => *offset..offset + 2 + 2 * usize::from(*address_control),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VxlanHeader {
    pub offset: usize,
    /// The 16 flag bits (I = 0x0800; G = 0x8000 with the group policy extension).
    pub flags: u16,
    pub group_policy: u16,
    pub vni: u32,
    pub reserved: u8,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneveHeader {
    pub offset: usize,
    pub header_len: usize,
    pub version: u8,
    /// Options length in bytes.
    pub options_len: usize,
    pub oam: bool,
    pub critical: bool,
    pub protocol: u16,
    pub vni: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GreHeader {
    pub offset: usize,
    pub header_len: usize,
    /// Flags and version, as on the wire.
    pub flags: u16,
    pub protocol: u16,
    pub checksum: Option<u16>,
    pub key: Option<u32>,
    pub seq: Option<u32>,
    /// Enhanced GRE (version 1, PPTP): the acknowledgment number.
    pub ack: Option<u32>,
}

impl GreHeader {
    pub const CHECKSUM: u16 = 0x8000;
    pub const ROUTING: u16 = 0x4000;
    pub const KEY: u16 = 0x2000;
    pub const SEQ: u16 = 0x1000;
    pub const ACK: u16 = 0x0080;

    pub fn version(&self) -> u16 {
        self.flags & 7
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErspanHeader {
    pub offset: usize,
    pub header_len: usize,
    /// 1 for type II, 2 for type III.
    pub version: u8,
    pub vlan: u16,
    pub session_id: u16,
    /// Type II's index, type III's timestamp.
    pub index_or_timestamp: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MplsLabel {
    pub offset: usize,
    pub label: u32,
    pub tc: u8,
    pub bottom: bool,
    pub ttl: u8,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PppoeHeader {
    pub offset: usize,
    pub version: u8,
    pub ptype: u8,
    pub code: u8,
    pub session_id: u16,
    pub length: u16,
}

/// What a tunnel header says follows it, at an offset in the frame.
enum Inner {
    Ethernet(usize),
    EtherType(u16, usize),
    Ip(usize),
    /// An MPLS payload: IPv4/IPv6 by its first nibble, else pseudowire Ethernet or data.
    MplsPayload(usize),
    /// Bytes not decoded (a PPP protocol other than IPv4/IPv6).
    Data(usize),
}

/// A tunnel header that could not be read: where, and why.
struct Cut {
    layer: &'static str,
    offset: usize,
    reason: String,
}

fn cut(layer: &'static str, offset: usize, reason: impl Into<String>) -> Cut {
    Cut {
        layer,
        offset,
        reason: reason.into(),
    }
}

/// Open the tunnels of a decoded frame, innermost last (see the module's comment).
pub(super) fn descend(d: &mut Decoded, data: &[u8]) {
    for depth in 0.. {
        if d.stopped.is_some() {
            return;
        }
        let Some(step) = next_layer(d, data) else {
            return;
        };
        if depth == MAX_DEPTH {
            d.stopped = Some(DecodeStop {
                layer: "tunnel",
                offset: d.payload.start,
                reason: format!("more than {MAX_DEPTH} tunnel layers; the rest is data"),
            });
            return;
        }
        match step {
            Ok((layers, inner)) => open(d, data, layers, inner),
            Err(c) => {
                d.stopped = Some(DecodeStop {
                    layer: c.layer,
                    offset: c.offset,
                    reason: c.reason,
                });
                return;
            }
        }
    }
}

type Step = Result<(Vec<Encap>, Inner), Cut>;

/// The tunnel the frame's innermost decoded layers carry, read; `None` when they carry none.
fn next_layer(d: &Decoded, data: &[u8]) -> Option<Step> {
    let at = d.payload.start;
    let fragment = match &d.net {
        Some(Net::Ipv4(h)) => h.is_fragment(),
        Some(Net::Ipv6(h)) => h.fragmented,
        _ => false,
    };
    if fragment {
        // Its datagram is put back together first (defrag), and read there as data.
        return None;
    }
    match (&d.net, &d.transport) {
        (Some(net @ (Net::Ipv4(_) | Net::Ipv6(_))), Some(Transport::Udp(u))) => {
            let udp = [Encap::Ip(net.clone()), Encap::Udp(u.clone())];
            if is_vxlan_port(u.dst_port) || is_vxlan_port(u.src_port) {
                Some(vxlan(data, at).map(|(v, inner)| (with(udp, v), inner)))
            } else if u.dst_port == GENEVE_PORT || u.src_port == GENEVE_PORT {
                Some(geneve(data, at).map(|(g, inner)| (with(udp, g), inner)))
            } else {
                None
            }
        }
        (
            Some(net @ (Net::Ipv4(_) | Net::Ipv6(_))),
            Some(Transport::Other { protocol, offset }),
        ) => {
            let ip = Encap::Ip(net.clone());
            match protocol {
                47 => Some(gre(data, *offset).map(|(mut layers, inner)| {
                    layers.insert(0, ip);
                    (layers, inner)
                })),
                4 | 41 => Some(Ok((vec![ip], Inner::Ip(*offset)))),
                _ => None,
            }
        }
        (Some(Net::Other { ether_type, offset }), _) => match ether_type {
            0x8847 | 0x8848 => Some(mpls(data, *offset)),
            0x8864 => Some(pppoe(data, *offset)),
            _ => None,
        },
        _ => None,
    }
}

fn with<const N: usize>(outer: [Encap; N], e: Encap) -> Vec<Encap> {
    let mut v = Vec::from(outer);
    v.push(e);
    v
}

/// Keep `layers` as carriers and decode what follows them as the frame's inner layers.
fn open(d: &mut Decoded, data: &[u8], layers: Vec<Encap>, inner: Inner) {
    d.encap.extend(layers);
    d.net = None;
    d.transport = None;
    let outer_vlans = std::mem::take(&mut d.vlans);
    let start = match inner {
        Inner::Ethernet(q)
        | Inner::EtherType(_, q)
        | Inner::Ip(q)
        | Inner::MplsPayload(q)
        | Inner::Data(q) => q,
    };
    d.payload = start.min(data.len())..data.len();
    d.payload_wire_len = d.payload.len();
    let rest = data.get(start..).unwrap_or_default();
    let inner = match inner {
        Inner::MplsPayload(q) => match rest.first().map(|b| b >> 4) {
            Some(4) => Inner::EtherType(0x0800, q),
            Some(6) => Inner::EtherType(0x86dd, q),
            // No IP version: a pseudowire, Ethernet when a whole header and a known ether
            // type follow (with the 4-byte control word first when it starts with 0).
            Some(0) if looks_ethernet(rest.get(4..).unwrap_or_default()) => Inner::Ethernet(q + 4),
            _ if looks_ethernet(rest) => Inner::Ethernet(q),
            _ => Inner::Data(q),
        },
        other => other,
    };
    match inner {
        Inner::Ethernet(q) => {
            match LaxSlicedPacket::from_ethernet(data.get(q..).unwrap_or_default()) {
                Ok(p) => {
                    let et = be16(data, q + 12).unwrap_or(0);
                    d.encap.push(Encap::Ethernet {
                        offset: q,
                        header: EthernetHeader {
                            dst: six(data, q),
                            src: six(data, q + 6),
                            ether_type: et,
                        },
                    });
                    fill_from_lax_at(d, data, &p, q + field::ethernet::LEN, Some(et));
                }
                Err(e) => {
                    d.payload = q.min(data.len())..data.len();
                    d.stopped = Some(DecodeStop {
                        layer: "Ethernet",
                        offset: q,
                        reason: e.to_string(),
                    });
                }
            }
        }
        Inner::EtherType(et, q) => {
            let p = LaxSlicedPacket::from_ether_type(EtherType(et), rest);
            fill_from_lax_at(d, data, &p, q, Some(et));
        }
        Inner::Ip(q) => match LaxSlicedPacket::from_ip(rest) {
            Ok(p) => fill_from_lax_at(d, data, &p, q, None),
            Err(e) => {
                d.stopped = Some(DecodeStop {
                    layer: "IP",
                    offset: q,
                    reason: e.to_string(),
                });
            }
        },
        Inner::MplsPayload(_) | Inner::Data(_) => {}
    }
    for v in std::mem::replace(&mut d.vlans, outer_vlans) {
        d.encap.push(Encap::Vlan(v));
    }
}

fn six(data: &[u8], at: usize) -> [u8; 6] {
    let mut a = [0u8; 6];
    if let Some(b) = data.get(at..at + 6) {
        a.copy_from_slice(b);
    }
    a
}

/// A whole Ethernet header whose ether type is IPv4, IPv6, ARP, a VLAN tag or MPLS.
fn looks_ethernet(b: &[u8]) -> bool {
    b.len() >= field::ethernet::LEN
        && matches!(
            be16(b, 12),
            Some(0x0800 | 0x86dd | 0x0806 | 0x8100 | 0x88a8 | 0x8847)
        )
}

fn need(layer: &'static str, data: &[u8], at: usize, len: usize) -> Result<(), Cut> {
    let have = data.len().saturating_sub(at);
    if have < len {
        return Err(cut(
            layer,
            at,
            format!("header cut short: {have} of {len} bytes"),
        ));
    }
    Ok(())
}

/// VXLAN (RFC 7348): 8 bytes, then Ethernet.
fn vxlan(data: &[u8], at: usize) -> Result<(Encap, Inner), Cut> {
    need("VXLAN", data, at, 8)?;
    let flags = be16(data, at).unwrap_or(0);
    let vni_word = be32(data, at + 4).unwrap_or(0);
    Ok((
        Encap::Vxlan(VxlanHeader {
            offset: at,
            flags,
            group_policy: be16(data, at + 2).unwrap_or(0),
            vni: vni_word >> 8,
            reserved: (vni_word & 0xff) as u8,
        }),
        Inner::Ethernet(at + 8),
    ))
}

/// GENEVE (RFC 8926): 8 bytes and the options (skipped by their length), then the payload
/// by its protocol type.
fn geneve(data: &[u8], at: usize) -> Result<(Encap, Inner), Cut> {
    need("GENEVE", data, at, 8)?;
    let b0 = data[at];
    let b1 = data[at + 1];
    let options_len = usize::from(b0 & 0x3f) * 4;
    need("GENEVE", data, at, 8 + options_len)?;
    let protocol = be16(data, at + 2).unwrap_or(0);
    let q = at + 8 + options_len;
    Ok((
        Encap::Geneve(GeneveHeader {
            offset: at,
            header_len: 8 + options_len,
            version: b0 >> 6,
            options_len,
            oam: b1 & 0x80 != 0,
            critical: b1 & 0x40 != 0,
            protocol,
            vni: be32(data, at + 4).unwrap_or(0) >> 8,
        }),
        by_ether_type(protocol, q),
    ))
}

fn by_ether_type(et: u16, q: usize) -> Inner {
    match et {
        0x6558 => Inner::Ethernet(q),
        other => Inner::EtherType(other, q),
    }
}

/// GRE (RFC 2784/2890; version 1, RFC 2637's enhanced GRE), and ERSPAN behind it.
fn gre(data: &[u8], at: usize) -> Step {
    need("GRE", data, at, 4)?;
    let flags = be16(data, at).unwrap_or(0);
    let protocol = be16(data, at + 2).unwrap_or(0);
    let version = flags & 7;
    if version > 1 {
        return Err(cut("GRE", at, format!("unknown GRE version {version}")));
    }
    if flags & GreHeader::ROUTING != 0 {
        return Err(cut("GRE", at, "source routing (RFC 1701) is not decoded"));
    }
    let mut len = 4;
    let checksum = (flags & GreHeader::CHECKSUM != 0).then(|| {
        len += 4;
        be16(data, at + 4).unwrap_or(0)
    });
    let key = (flags & GreHeader::KEY != 0).then(|| {
        len += 4;
        be32(data, at + len - 4).unwrap_or(0)
    });
    let seq = (flags & GreHeader::SEQ != 0).then(|| {
        len += 4;
        be32(data, at + len - 4).unwrap_or(0)
    });
    let ack = (version == 1 && flags & GreHeader::ACK != 0).then(|| {
        len += 4;
        be32(data, at + len - 4).unwrap_or(0)
    });
    need("GRE", data, at, len)?;
    let g = GreHeader {
        offset: at,
        header_len: len,
        flags,
        protocol,
        checksum,
        key,
        seq,
        ack,
    };
    let q = at + len;
    let has_seq = g.seq.is_some();
    let mut layers = vec![Encap::Gre(g)];
    let inner = match protocol {
        // ERSPAN type I has no header of its own (and no sequence number).
        0x88be if !has_seq => Inner::Ethernet(q),
        0x88be | 0x22eb => {
            let (e, inner) = erspan(data, q)?;
            layers.push(e);
            inner
        }
        0x880b => {
            need("PPP", data, q, 2)?;
            let (ppp, inner) = ppp(data, q)?;
            layers.push(ppp);
            inner
        }
        other => by_ether_type(other, q),
    };
    Ok((layers, inner))
}

/// ERSPAN type II (8 bytes) or III (12, and 8 more with the platform subheader), then
/// the mirrored Ethernet frame.
fn erspan(data: &[u8], at: usize) -> Result<(Encap, Inner), Cut> {
    need("ERSPAN", data, at, 8)?;
    let w0 = be32(data, at).unwrap_or(0);
    let w1 = be32(data, at + 4).unwrap_or(0);
    let version = (w0 >> 28) as u8;
    let header_len = match version {
        1 => 8,
        2 => {
            need("ERSPAN", data, at, 12)?;
            let o = be16(data, at + 10).unwrap_or(0) & 1 != 0;
            if o {
                20
            } else {
                12
            }
        }
        v => return Err(cut("ERSPAN", at, format!("unknown ERSPAN version {v}"))),
    };
    need("ERSPAN", data, at, header_len)?;
    Ok((
        Encap::Erspan(ErspanHeader {
            offset: at,
            header_len,
            version,
            vlan: ((w0 >> 16) & 0x0fff) as u16,
            session_id: (w0 & 0x03ff) as u16,
            index_or_timestamp: if version == 1 { w1 & 0x000f_ffff } else { w1 },
        }),
        Inner::Ethernet(at + header_len),
    ))
}

/// An MPLS label stack down to its bottom entry, then the payload (see [`Inner`]).
fn mpls(data: &[u8], at: usize) -> Step {
    let mut layers = Vec::new();
    let mut o = at;
    loop {
        need("MPLS", data, o, 4)?;
        let w = be32(data, o).unwrap_or(0);
        let bottom = w & 0x100 != 0;
        layers.push(Encap::Mpls(MplsLabel {
            offset: o,
            label: w >> 12,
            tc: ((w >> 9) & 7) as u8,
            bottom,
            ttl: (w & 0xff) as u8,
        }));
        o += 4;
        if bottom {
            return Ok((layers, Inner::MplsPayload(o)));
        }
        if layers.len() == MAX_LABELS {
            return Err(cut(
                "MPLS",
                o,
                format!("more than {MAX_LABELS} labels without the bottom of the stack"),
            ));
        }
    }
}

/// A PPPoE session header (RFC 2516), then PPP.
fn pppoe(data: &[u8], at: usize) -> Step {
    need("PPPoE", data, at, 6)?;
    let h = PppoeHeader {
        offset: at,
        version: data[at] >> 4,
        ptype: data[at] & 0x0f,
        code: data[at + 1],
        session_id: be16(data, at + 2).unwrap_or(0),
        length: be16(data, at + 4).unwrap_or(0),
    };
    need("PPP", data, at + 6, 2)?;
    let (p, inner) = ppp(data, at + 6)?;
    Ok((vec![Encap::Pppoe(h), p], inner))
}

/// PPP's 2-byte protocol field, after the address and control bytes when they are there:
/// IPv4 (0x0021) and IPv6 (0x0057) are decoded.
fn ppp(data: &[u8], at: usize) -> Result<(Encap, Inner), Cut> {
    let address_control = be16(data, at) == Some(0xff03);
    let p = at + 2 * usize::from(address_control);
    need("PPP", data, p, 2)?;
    let protocol = be16(data, p).unwrap_or(0);
    let q = p + 2;
    let inner = match protocol {
        0x0021 => Inner::EtherType(0x0800, q),
        0x0057 => Inner::EtherType(0x86dd, q),
        _ => Inner::Data(q),
    };
    Ok((
        Encap::Ppp {
            offset: at,
            address_control,
            protocol,
        },
        inner,
    ))
}
