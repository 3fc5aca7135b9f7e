//! Link layers (Ethernet, VLAN, NULL/LOOP, Linux SLL v1/v2, raw IP) and the layers above,
//! through etherparse's lax slicing.

use std::ops::Range;

use etherparse::{EtherType, IpNumber, LaxNetSlice, LaxSlicedPacket, LinkSlice, TransportSlice};

use super::*;
use crate::capture::linktype;

pub(super) fn be16(data: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes([*data.get(at)?, *data.get(at + 1)?]))
}

pub(super) fn be32(data: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes([
        *data.get(at)?,
        *data.get(at + 1)?,
        *data.get(at + 2)?,
        *data.get(at + 3)?,
    ]))
}

/// Offset of `part` inside `whole` (both slices of the same frame).
pub(super) fn offset_in(whole: &[u8], part: &[u8]) -> usize {
    (part.as_ptr() as usize)
        .saturating_sub(whole.as_ptr() as usize)
        .min(whole.len())
}

/// Address families that mean IPv4 / IPv6 in a NULL/LOOP header (BSDs differ for IPv6).
fn family_ether_type(family: u32) -> Option<u16> {
    match family {
        2 => Some(0x0800),
        10 | 24 | 28 | 30 => Some(0x86dd),
        _ => None,
    }
}

/// Decode one frame of link type `link`.
pub fn decode(link: u32, data: &[u8]) -> Decoded {
    decode_with(link, data, true, true)
}

/// [`decode`] for a run whose output reads no segment's TCP options (`-q` with no display
/// filter): a plain Ethernet/IPv4/TCP frame's options are decoded only when it is a SYN (the
/// flow table keeps a SYN's window scale); another segment's list is left empty, with no
/// undecoded range. Every other field is as [`decode`] gives it.
pub fn decode_without_options(link: u32, data: &[u8]) -> Decoded {
    decode_with(link, data, true, false)
}

/// [`decode`]; `direct` lets a plain Ethernet/IPv4/TCP frame be read without the slicing
/// (always, but in the test that compares the two ways); `options` (else only a SYN's) has
/// such a frame's TCP options decoded.
fn decode_with(link: u32, data: &[u8], direct: bool, options: bool) -> Decoded {
    let mut d = Decoded {
        payload: 0..data.len(),
        payload_wire_len: data.len(),
        ..Decoded::default()
    };
    match link {
        linktype::ETHERNET if direct && plain_ipv4_tcp(&mut d, data, options) => {}
        linktype::ETHERNET => match LaxSlicedPacket::from_ethernet(data) {
            Ok(p) => {
                if let Some(LinkSlice::Ethernet2(e)) = &p.link {
                    d.link = Link::Ethernet(EthernetHeader {
                        dst: e.destination(),
                        src: e.source(),
                        ether_type: e.ether_type().0,
                    });
                }
                fill_from_lax(&mut d, data, &p, field::ethernet::LEN);
            }
            Err(e) => {
                d.link = Link::Unknown;
                d.stopped = Some(DecodeStop {
                    layer: "Ethernet",
                    offset: 0,
                    reason: e.to_string(),
                });
            }
        },
        linktype::NULL | linktype::LOOP => {
            let Some(raw) = data.get(0..4) else {
                d.stopped = Some(DecodeStop {
                    layer: "Null/Loopback",
                    offset: 0,
                    reason: "frame shorter than the 4-byte header".into(),
                });
                return d;
            };
            let le = u32::from_le_bytes([raw[0], raw[1], raw[2], raw[3]]);
            let be = u32::from_be_bytes([raw[0], raw[1], raw[2], raw[3]]);
            // NULL is in the writer's host byte order: the small value is the right reading.
            let (family, big_endian) = if link == linktype::LOOP || be < le {
                (be, true)
            } else {
                (le, false)
            };
            d.link = Link::Null {
                family,
                big_endian,
                loop_type: link == linktype::LOOP,
            };
            match family_ether_type(family) {
                Some(et) => {
                    let rest = data.get(4..).unwrap_or_default();
                    let p = LaxSlicedPacket::from_ether_type(EtherType(et), rest);
                    fill_from_lax(&mut d, data, &p, 4);
                }
                None => {
                    d.payload = 4..data.len();
                    d.stopped = Some(DecodeStop {
                        layer: "Null/Loopback",
                        offset: 0,
                        reason: format!("unknown address family {family}"),
                    });
                }
            }
        }
        linktype::LINUX_SLL => {
            if data.len() < field::sll::LEN {
                d.stopped = Some(DecodeStop {
                    layer: "Linux cooked capture v1",
                    offset: 0,
                    reason: "frame shorter than the 16-byte header".into(),
                });
                return d;
            }
            let addr_len = be16(data, 4).unwrap_or(0).min(8) as usize;
            let protocol = be16(data, 14).unwrap_or(0);
            d.link = Link::LinuxSll(SllHeader {
                packet_type: be16(data, 0).unwrap_or(0),
                arphrd: be16(data, 2).unwrap_or(0),
                addr: data.get(6..6 + addr_len).unwrap_or_default().to_vec(),
                protocol,
            });
            from_ether_type_at(&mut d, data, protocol, field::sll::LEN);
        }
        linktype::LINUX_SLL2 => {
            if data.len() < field::sll2::LEN {
                d.stopped = Some(DecodeStop {
                    layer: "Linux cooked capture v2",
                    offset: 0,
                    reason: "frame shorter than the 20-byte header".into(),
                });
                return d;
            }
            let addr_len = usize::from(*data.get(11).unwrap_or(&0)).min(8);
            let protocol = be16(data, 0).unwrap_or(0);
            d.link = Link::LinuxSll2(Sll2Header {
                protocol,
                ifindex: be32(data, 4).unwrap_or(0),
                arphrd: be16(data, 8).unwrap_or(0),
                packet_type: *data.get(10).unwrap_or(&0),
                addr: data.get(12..12 + addr_len).unwrap_or_default().to_vec(),
            });
            from_ether_type_at(&mut d, data, protocol, field::sll2::LEN);
        }
        linktype::RAW | linktype::RAW_12 | linktype::RAW_14 | linktype::IPV4 | linktype::IPV6 => {
            d.link = Link::Raw;
            match LaxSlicedPacket::from_ip(data) {
                Ok(p) => fill_from_lax(&mut d, data, &p, 0),
                Err(e) => {
                    d.stopped = Some(DecodeStop {
                        layer: "IP",
                        offset: 0,
                        reason: e.to_string(),
                    })
                }
            }
        }
        _ => {
            d.link = Link::Unknown;
            d.stopped = Some(DecodeStop {
                layer: "link",
                offset: 0,
                reason: format!(
                    "link type {} ({}) is not decoded; shown as data",
                    link,
                    linktype::name(link)
                ),
            });
        }
    }
    if !matches!(d.transport, Some(Transport::Tcp(_))) {
        super::tunnel::descend(&mut d, data);
    }
    d
}

/// Ethernet II, IPv4 and TCP, the common frame, through etherparse's header slices
/// (`Ethernet2HeaderSlice`, `Ipv4HeaderSlice`, `TcpSlice`) rather than the lax slicing of
/// the whole packet, which looks for VLAN tags, IPv6 extensions and every other protocol and
/// builds its general result for each frame. Taken only when the frame is plain: no VLAN
/// tag, an IPv4 header whole with a total length within the captured bytes and not below the
/// header's, not a fragment, TCP with its whole header inside the IP payload. For such a
/// frame the lax slicing gives exactly these fields, offsets and lengths, with no stop (the
/// test `plain_frames_decode_as_the_lax_slicing_does` compares the two on many variations);
/// anything else returns `false`, with `d` untouched, and goes through the lax slicing.
fn plain_ipv4_tcp(d: &mut Decoded, data: &[u8], options: bool) -> bool {
    let Some(PlainIpv4 {
        eth,
        ip: h,
        ip_off,
        payload,
    }) = plain_ipv4(data)
    else {
        return false;
    };
    if h.protocol() != etherparse::IpNumber::TCP {
        return false;
    }
    let Ok(t) = etherparse::TcpSlice::from_slice(payload) else {
        return false;
    };
    let hl = h.slice().len();
    let total = usize::from(h.total_len());
    let tcp_off = ip_off + hl;
    d.link = Link::Ethernet(EthernetHeader {
        dst: eth.destination(),
        src: eth.source(),
        ether_type: eth.ether_type().0,
    });
    d.net = Some(Net::Ipv4(ipv4_header(&h, ip_off)));
    let th = t.header_len();
    d.transport = Some(Transport::Tcp(tcp_header(&t, tcp_off, options || t.syn())));
    d.payload = tcp_off + th..ip_off + total;
    d.payload_wire_len = total - hl - th;
    true
}

/// An Ethernet II frame carrying IPv4 whole, as etherparse's header slices read it.
pub struct PlainIpv4<'a> {
    pub eth: etherparse::Ethernet2HeaderSlice<'a>,
    pub ip: etherparse::Ipv4HeaderSlice<'a>,
    /// Where the IPv4 header starts in the frame.
    pub ip_off: usize,
    /// The IP payload: the bytes past the header that the total length covers.
    pub payload: &'a [u8],
}

/// The frame's Ethernet II and IPv4 headers when the frame is plain: no VLAN tag, an IPv4
/// header whole, its total length within the captured bytes and not below the header's,
/// not a fragment. Anything else is `None` (and is left to the lax slicing).
#[inline]
pub fn plain_ipv4(data: &[u8]) -> Option<PlainIpv4<'_>> {
    let eth = etherparse::Ethernet2HeaderSlice::from_slice(data).ok()?;
    if eth.ether_type() != EtherType::IPV4 {
        return None;
    }
    let ip_off = eth.slice().len();
    let frame_ip = data.get(ip_off..)?;
    let ip = etherparse::Ipv4HeaderSlice::from_slice(frame_ip).ok()?;
    let hl = ip.slice().len();
    let total = usize::from(ip.total_len());
    if total < hl || total > frame_ip.len() || ip.is_fragmenting_payload() {
        return None;
    }
    let payload = frame_ip.get(hl..total)?;
    Some(PlainIpv4 {
        eth,
        ip,
        ip_off,
        payload,
    })
}

/// An IPv4 header sliced by etherparse, at `off` in the frame, in our type.
fn ipv4_header(h: &etherparse::Ipv4HeaderSlice<'_>, off: usize) -> Ipv4Header {
    let hl = h.slice().len();
    Ipv4Header {
        offset: off,
        header_len: hl,
        dscp: h.dcp().value(),
        ecn: h.ecn().value(),
        total_len: h.total_len(),
        id: h.identification(),
        dont_fragment: h.dont_fragment(),
        more_fragments: h.more_fragments(),
        fragment_offset: u32::from(h.fragments_offset().value()) * 8,
        ttl: h.ttl(),
        protocol: h.protocol().0,
        checksum: h.header_checksum(),
        src: h.source_addr(),
        dst: h.destination_addr(),
        options: off + field::ipv4::MIN_LEN..off + hl,
    }
}

fn from_ether_type_at(d: &mut Decoded, data: &[u8], ether_type: u16, at: usize) {
    let rest = data.get(at..).unwrap_or_default();
    let p = LaxSlicedPacket::from_ether_type(EtherType(ether_type), rest);
    fill_from_lax(d, data, &p, at);
}

/// Copy what etherparse sliced into our types, with offsets in the frame.
pub(super) fn fill_from_lax(
    d: &mut Decoded,
    frame: &[u8],
    p: &LaxSlicedPacket<'_>,
    link_len: usize,
) {
    let link_et = match &d.link {
        Link::Ethernet(e) => Some(e.ether_type),
        Link::LinuxSll(s) => Some(s.protocol),
        Link::LinuxSll2(s) => Some(s.protocol),
        _ => None,
    };
    fill_from_lax_at(d, frame, p, link_len, link_et);
}

/// [`fill_from_lax`] for the layers that start `link_len` bytes into the frame, the ether
/// type that introduced them being `link_et` (an inner Ethernet header's, in a tunnel).
pub(super) fn fill_from_lax_at(
    d: &mut Decoded,
    frame: &[u8],
    p: &LaxSlicedPacket<'_>,
    link_len: usize,
    link_et: Option<u16>,
) {
    let mut next_offset = link_len;
    for ext in &p.link_exts {
        if let etherparse::LaxLinkExtSlice::Vlan(v) = ext {
            let off = offset_in(frame, v.slice());
            let tpid = if off >= 2 {
                be16(frame, off - 2).unwrap_or(0)
            } else {
                0
            };
            d.vlans.push(Vlan {
                offset: off,
                tpid,
                pcp: v.priority_code_point().value(),
                dei: v.drop_eligible_indicator(),
                id: v.vlan_identifier().value(),
                ether_type: v.ether_type().0,
            });
            next_offset = off + field::vlan::LEN;
        }
    }
    match &p.net {
        Some(LaxNetSlice::Ipv4(ip)) => {
            let h = ip.header();
            let off = offset_in(frame, h.slice());
            let hl = h.slice().len();
            d.net = Some(Net::Ipv4(ipv4_header(&h, off)));
            let pl = ip.payload();
            set_payload(d, frame, pl.payload);
            d.payload_wire_len = usize::from(h.total_len())
                .saturating_sub(hl)
                .max(pl.payload.len());
        }
        Some(LaxNetSlice::Ipv6(ip)) => {
            let h = ip.header();
            let off = offset_in(frame, h.slice());
            let exts = ip.extensions();
            let mut extensions = Vec::new();
            if !exts.is_empty() {
                let es = exts.slice();
                let eo = offset_in(frame, es);
                extensions.push((
                    exts.first_header().map(|n| n.0).unwrap_or(0),
                    eo..eo + es.len(),
                ));
            }
            d.net = Some(Net::Ipv6(Ipv6Header {
                offset: off,
                traffic_class: h.traffic_class(),
                flow_label: h.flow_label().value(),
                payload_len: h.payload_length(),
                next_header: h.next_header().0,
                hop_limit: h.hop_limit(),
                src: h.source_addr(),
                dst: h.destination_addr(),
                extensions,
                fragmented: ip.is_payload_fragmented(),
                fragment: ipv6_fragment_header(exts).map(|f| Ipv6Fragment {
                    offset: offset_in(frame, f.slice()),
                    next_header: f.next_header().0,
                    reserved: f.slice().get(1).copied().unwrap_or(0),
                    fragment_offset: u32::from(f.fragment_offset().byte_offset()),
                    more: f.more_fragments(),
                    id: f.identification(),
                }),
            }));
            let pl = ip.payload();
            set_payload(d, frame, pl.payload);
            let ext_len = exts.slice().len();
            d.payload_wire_len = usize::from(h.payload_length())
                .saturating_sub(ext_len)
                .max(pl.payload.len());
        }
        Some(LaxNetSlice::Arp(a)) => {
            let off = offset_in(frame, a.slice());
            d.net = Some(Net::Arp {
                offset: off,
                len: a.slice().len(),
                fields: arp_fields(a),
            });
            d.payload = frame.len()..frame.len();
            d.payload_wire_len = 0;
        }
        None => {
            let et = d.vlans.last().map(|v| v.ether_type).or(link_et);
            if let Some(et) = et {
                if p.stop_err.is_none() {
                    d.net = Some(Net::Other {
                        ether_type: et,
                        offset: next_offset,
                    });
                }
            }
            d.payload = next_offset.min(frame.len())..frame.len();
            d.payload_wire_len = d.payload.len();
        }
    }
    match &p.transport {
        Some(TransportSlice::Tcp(t)) => {
            let hs = t.header_slice();
            let off = offset_in(frame, hs);
            d.transport = Some(Transport::Tcp(tcp_header(t, off, true)));
            set_payload(d, frame, t.payload());
            d.payload_wire_len = d
                .payload_wire_len
                .saturating_sub(hs.len())
                .max(t.payload().len());
        }
        Some(TransportSlice::Udp(u)) => {
            let off = offset_in(frame, u.header_slice());
            d.transport = Some(Transport::Udp(UdpHeader {
                offset: off,
                src_port: u.source_port(),
                dst_port: u.destination_port(),
                length: u.length(),
                checksum: u.checksum(),
            }));
            set_payload(d, frame, u.payload());
            d.payload_wire_len = d
                .payload_wire_len
                .saturating_sub(field::udp::LEN)
                .max(u.payload().len());
        }
        Some(TransportSlice::Icmpv4(i)) => {
            let h = icmp_header(
                frame,
                i.slice(),
                i.header_len(),
                i.type_u8(),
                i.code_u8(),
                i.checksum(),
                i.bytes5to8(),
            );
            d.transport = Some(Transport::Icmpv4(h));
            set_icmp_payload(d, frame, i.header_len(), i.payload());
        }
        Some(TransportSlice::Icmpv6(i)) => {
            let h = icmp_header(
                frame,
                i.slice(),
                i.header_len(),
                i.type_u8(),
                i.code_u8(),
                i.checksum(),
                i.bytes5to8(),
            );
            d.transport = Some(Transport::Icmpv6(h));
            set_icmp_payload(d, frame, i.header_len(), i.payload());
        }
        None if tcp_cut_short(d, p) => {
            // The snaplen cut the TCP header inside its options: the fixed 20 bytes are
            // there (ports, sequence numbers, flags), so the segment still counts in its
            // flow, like tshark does; the options that fit are decoded.
            let off = d.payload.start;
            let avail = frame.get(off..).unwrap_or_default();
            if let Some(t) = tcp_fixed_header(avail, off) {
                d.transport = Some(Transport::Tcp(t));
                d.payload = frame.len()..frame.len();
                d.payload_wire_len = 0;
            }
        }
        Some(_) | None => {
            if let Some(net) = &d.net {
                let proto = match net {
                    Net::Ipv4(h) => Some(h.protocol),
                    Net::Ipv6(h) => Some(h.next_header),
                    _ => None,
                };
                let fragmented_later = match net {
                    Net::Ipv4(h) => h.fragment_offset != 0,
                    Net::Ipv6(h) => h.fragmented,
                    _ => false,
                };
                if let Some(proto) = proto {
                    if p.stop_err.is_none() || fragmented_later {
                        d.transport = Some(Transport::Other {
                            protocol: proto,
                            offset: d.payload.start,
                        });
                    }
                }
            }
        }
    }
    if let Some((err, layer)) = &p.stop_err {
        let offset = match &d.transport {
            Some(Transport::Tcp(t)) => t.offset,
            _ => d.payload.start,
        };
        d.stopped = Some(DecodeStop {
            layer: layer_name(layer),
            offset,
            reason: err.to_string(),
        });
    }
}

/// An ICMP or ICMPv6 header (same layout for what we show) at `slice` in the frame.
fn icmp_header(
    frame: &[u8],
    slice: &[u8],
    header_len: usize,
    icmp_type: u8,
    code: u8,
    checksum: u16,
    rest: [u8; 4],
) -> IcmpHeader {
    IcmpHeader {
        offset: offset_in(frame, slice),
        header_len,
        icmp_type,
        code,
        checksum,
        rest,
    }
}

fn set_icmp_payload(d: &mut Decoded, frame: &[u8], header_len: usize, payload: &[u8]) {
    set_payload(d, frame, payload);
    d.payload_wire_len = d
        .payload_wire_len
        .saturating_sub(header_len)
        .max(payload.len());
}

/// True when etherparse stopped in the TCP header with at least its fixed 20 bytes present.
fn tcp_cut_short(d: &Decoded, p: &LaxSlicedPacket<'_>) -> bool {
    let proto = match &d.net {
        Some(Net::Ipv4(h)) if h.fragment_offset == 0 => h.protocol,
        Some(Net::Ipv6(h)) if !h.fragmented => h.next_header,
        _ => return false,
    };
    proto == 6
        && matches!(&p.stop_err, Some((_, etherparse::err::Layer::TcpHeader)))
        && d.payload.len() >= field::tcp::MIN_LEN
}

/// The fixed part of a TCP header whose options were cut short (see [`tcp_cut_short`]).
fn tcp_fixed_header(b: &[u8], off: usize) -> Option<TcpHeader> {
    let data_off_flags = be16(b, 12)?;
    let header_len = usize::from(data_off_flags >> 12) * 4;
    let flags = TcpFlags(data_off_flags & 0x01ff);
    let opts_end = header_len.min(b.len());
    let opts = b.get(field::tcp::MIN_LEN..opts_end).unwrap_or_default();
    let (mut options, _) = tcp_options(opts, off + field::tcp::MIN_LEN);
    // The last option may itself be cut: keep only those wholly inside the captured bytes.
    options.retain(|o| o.range.end <= off + opts_end);
    Some(TcpHeader {
        offset: off,
        header_len,
        src_port: be16(b, 0)?,
        dst_port: be16(b, 2)?,
        seq: be32(b, 4)?,
        ack: be32(b, 8)?,
        flags,
        window: be16(b, 14)?,
        checksum: be16(b, 16)?,
        urgent: be16(b, 18)?,
        options,
        options_undecoded: (opts_end < header_len).then(|| off + opts_end..off + opts_end),
    })
}

fn set_payload(d: &mut Decoded, frame: &[u8], payload: &[u8]) {
    let start = offset_in(frame, payload);
    d.payload = start..(start + payload.len()).min(frame.len());
}

/// The operation and addresses of an ARP packet.
fn arp_fields(a: &etherparse::ArpPacketSlice<'_>) -> crate::decode::ArpFields {
    crate::decode::ArpFields {
        op: a.operation().0,
        hw_type: a.hw_addr_type().0,
        proto_type: a.proto_addr_type().0,
        sender_hw: a.sender_hw_addr().to_vec(),
        sender_proto: a.sender_protocol_addr().to_vec(),
        target_hw: a.target_hw_addr().to_vec(),
        target_proto: a.target_protocol_addr().to_vec(),
    }
}

fn layer_name(l: &etherparse::err::Layer) -> &'static str {
    use etherparse::err::Layer as L;
    match l {
        L::LinuxSllHeader => "Linux cooked capture",
        L::Ethernet2Header => "Ethernet",
        L::VlanHeader => "802.1Q",
        L::IpHeader | L::Ipv4Header | L::Ipv4Packet => "IPv4",
        L::Ipv6Header
        | L::Ipv6Packet
        | L::Ipv6ExtHeader
        | L::Ipv6HopByHopHeader
        | L::Ipv6DestOptionsHeader
        | L::Ipv6RouteHeader
        | L::Ipv6FragHeader => "IPv6",
        L::UdpHeader | L::UdpPayload => "UDP",
        L::TcpHeader => "TCP",
        L::Icmpv4 | L::Icmpv4Timestamp | L::Icmpv4TimestampReply => "ICMP",
        L::Icmpv6 => "ICMPv6",
        _ => "packet",
    }
}

/// `t` in our type; its options decoded when `options`, else an empty list.
fn tcp_header(t: &etherparse::TcpSlice<'_>, off: usize, options: bool) -> TcpHeader {
    let mut flags = 0u16;
    for (on, bit) in [
        (t.fin(), TcpFlags::FIN),
        (t.syn(), TcpFlags::SYN),
        (t.rst(), TcpFlags::RST),
        (t.psh(), TcpFlags::PSH),
        (t.ack(), TcpFlags::ACK),
        (t.urg(), TcpFlags::URG),
        (t.ece(), TcpFlags::ECE),
        (t.cwr(), TcpFlags::CWR),
        (t.ns(), TcpFlags::NS),
    ] {
        if on {
            flags |= bit;
        }
    }
    let header_len = t.header_slice().len();
    let opts_start = off + field::tcp::MIN_LEN;
    let (options, undecoded) = if options {
        tcp_options(t.options(), opts_start)
    } else {
        (TcpOptions::default(), None)
    };
    TcpHeader {
        offset: off,
        header_len,
        src_port: t.source_port(),
        dst_port: t.destination_port(),
        seq: t.sequence_number(),
        ack: t.acknowledgment_number(),
        flags: TcpFlags(flags),
        window: t.window_size(),
        checksum: t.checksum(),
        urgent: t.urgent_pointer(),
        options,
        options_undecoded: undecoded,
    }
}

/// Options through etherparse's iterator; each element's range follows from its encoded size.
fn tcp_options(raw: &[u8], start: usize) -> (TcpOptions, Option<Range<usize>>) {
    use etherparse::TcpOptionElement as E;
    let mut out = TcpOptions::default();
    let mut pos = 0usize;
    for item in etherparse::TcpOptionsIterator::from_slice(raw) {
        match item {
            Ok(el) => {
                let (size, kind) = match el {
                    E::Noop => (1, TcpOptionKind::Nop),
                    E::MaximumSegmentSize(m) => (4, TcpOptionKind::Mss(m)),
                    E::WindowScale(s) => (3, TcpOptionKind::WindowScale(s)),
                    E::SelectiveAcknowledgementPermitted => (2, TcpOptionKind::SackPermitted),
                    E::SelectiveAcknowledgement(first, rest) => {
                        let mut blocks = vec![first];
                        blocks.extend(rest.iter().flatten().copied());
                        (2 + 8 * blocks.len(), TcpOptionKind::Sack(blocks))
                    }
                    E::Timestamp(val, ecr) => (10, TcpOptionKind::Timestamp { val, ecr }),
                };
                out.push(TcpOption {
                    range: start + pos..start + pos + size,
                    kind,
                });
                pos += size;
            }
            Err(_) => {
                // End of option list (kind 0) ends the iteration in etherparse; anything else is
                // an unknown or malformed option: keep its bytes as undecoded.
                if raw.get(pos) == Some(&0) {
                    out.push(TcpOption {
                        range: start + pos..start + pos + 1,
                        kind: TcpOptionKind::EndOfList,
                    });
                    return (out, None);
                }
                return (out, Some(start + pos..start + raw.len()));
            }
        }
    }
    if pos < raw.len() {
        if raw.get(pos) == Some(&0) {
            out.push(TcpOption {
                range: start + pos..start + pos + 1,
                kind: TcpOptionKind::EndOfList,
            });
        } else {
            return (out, Some(start + pos..start + raw.len()));
        }
    }
    (out, None)
}

/// The transport header of a reassembled IP payload (`data`, from the transport header on;
/// see [`super::defrag`]), with the range of the bytes above it. TCP, UDP, ICMP and
/// ICMPv6 are decoded; anything else, or a header that does not fit, is left as data.
pub(super) fn transport_of(protocol: u8, data: &[u8]) -> (Option<Transport>, Range<usize>) {
    let all = 0..data.len();
    match IpNumber(protocol) {
        IpNumber::TCP => match etherparse::TcpSlice::from_slice(data) {
            Ok(t) => {
                let h = t.header_len();
                (Some(Transport::Tcp(tcp_header(&t, 0, true))), h..data.len())
            }
            Err(_) => (None, all),
        },
        IpNumber::UDP => match etherparse::UdpSlice::from_slice_lax(data) {
            Ok(u) => {
                let start = offset_in(data, u.payload());
                (
                    Some(Transport::Udp(UdpHeader {
                        offset: 0,
                        src_port: u.source_port(),
                        dst_port: u.destination_port(),
                        length: u.length(),
                        checksum: u.checksum(),
                    })),
                    start..start + u.payload().len(),
                )
            }
            Err(_) => (None, all),
        },
        IpNumber::ICMP => match etherparse::Icmpv4Slice::from_slice(data) {
            Ok(i) => icmp_of(
                data,
                i.slice(),
                i.header_len(),
                [i.type_u8(), i.code_u8()],
                i.checksum(),
                i.bytes5to8(),
                Transport::Icmpv4,
            ),
            Err(_) => (None, all),
        },
        IpNumber::IPV6_ICMP => match etherparse::Icmpv6Slice::from_slice(data) {
            Ok(i) => icmp_of(
                data,
                i.slice(),
                i.header_len(),
                [i.type_u8(), i.code_u8()],
                i.checksum(),
                i.bytes5to8(),
                Transport::Icmpv6,
            ),
            Err(_) => (None, all),
        },
        _ => (None, all),
    }
}

/// [`transport_of`]'s answer for an ICMP or ICMPv6 header (`kind`) at the start of `data`.
fn icmp_of(
    data: &[u8],
    slice: &[u8],
    header_len: usize,
    [icmp_type, code]: [u8; 2],
    checksum: u16,
    rest: [u8; 4],
    kind: fn(IcmpHeader) -> Transport,
) -> (Option<Transport>, Range<usize>) {
    let h = icmp_header(data, slice, header_len, icmp_type, code, checksum, rest);
    (Some(kind(h)), header_len.min(data.len())..data.len())
}

/// The Fragment header of an IPv6 extension chain, each header read with etherparse's
/// checked slice parsers. Not etherparse's own iterator over the chain: after a lax parse
/// that stopped at a header cut short, the chain kept names that header as its last one's
/// next, and the iterator (which trusts the chain whole) would read it past the slice's end.
pub(crate) fn ipv6_fragment_header<'a>(
    exts: &etherparse::Ipv6ExtensionsSlice<'a>,
) -> Option<etherparse::Ipv6FragmentHeaderSlice<'a>> {
    use etherparse::ip_number::{AUTH, IPV6_DEST_OPTIONS, IPV6_FRAG, IPV6_HOP_BY_HOP, IPV6_ROUTE};
    let (mut next, mut rest) = (exts.first_header()?, exts.slice());
    loop {
        let len = match next {
            IPV6_FRAG => return etherparse::Ipv6FragmentHeaderSlice::from_slice(rest).ok(),
            IPV6_HOP_BY_HOP | IPV6_ROUTE | IPV6_DEST_OPTIONS => {
                let h = etherparse::Ipv6RawExtHeaderSlice::from_slice(rest).ok()?;
                next = h.next_header();
                h.slice().len()
            }
            AUTH => {
                let h = etherparse::IpAuthHeaderSlice::from_slice(rest).ok()?;
                next = h.next_header();
                h.slice().len()
            }
            _ => return None,
        };
        rest = rest.get(len..)?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eth_ipv4_tcp_syn() -> Vec<u8> {
        let mut v = Vec::new();
        v.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x08, 0x00]);
        // IPv4: total length 20 + 28
        v.extend_from_slice(&[
            0x45, 0, 0, 52, 0x12, 0x34, 0x40, 0, 64, 6, 0, 0, 127, 0, 0, 1, 127, 0, 0, 1,
        ]);
        // TCP 33638 -> 5683, seq 1000, SYN, data offset 8 (32 bytes), win 65495
        v.extend_from_slice(&[
            0x83, 0x66, 0x16, 0x33, 0, 0, 0x03, 0xe8, 0, 0, 0, 0, 0x80, 0x02, 0xff, 0xd7, 0, 0, 0,
            0,
        ]);
        // MSS 65495, SACK permitted, NOP, WS 7
        v.extend_from_slice(&[2, 4, 0xff, 0xd7, 4, 2, 1, 3, 3, 7, 1, 1]);
        v
    }

    /// Ethernet / IPv6 (payload length as `len`) whose next header is `first`, then `rest`.
    fn eth_ipv6(first: u8, len: u16, rest: &[u8]) -> Vec<u8> {
        let mut v = vec![0u8; 12];
        v.extend_from_slice(&[0x86, 0xdd, 0x60, 0, 0, 0]);
        v.extend_from_slice(&len.to_be_bytes());
        v.extend_from_slice(&[first, 64]);
        v.extend_from_slice(&[0; 15]);
        v.push(1);
        v.extend_from_slice(&[0; 15]);
        v.push(1);
        v.extend_from_slice(rest);
        v
    }

    #[test]
    fn ipv6_chain_cut_after_a_whole_header_has_no_fragment_and_reads_nothing_past_it() {
        // Hop-by-hop (whole, 8 bytes) naming a routing header that is cut after 3 bytes:
        // etherparse's lax parse keeps the hop-by-hop header; its iterator would read the
        // routing header past the end (the fuzz smoke found it, `decode_smoke`).
        let hbh_to_routing = [43, 0, 1, 4, 0, 0, 0, 0];
        let mut rest = hbh_to_routing.to_vec();
        rest.extend_from_slice(&[17, 0, 0]);
        let f = eth_ipv6(0, 40, &rest);
        let d = decode(linktype::ETHERNET, &f);
        let Some(Net::Ipv6(ip)) = &d.net else {
            panic!("no ipv6: {d:?}")
        };
        assert!(ip.fragment.is_none());
        // Hop-by-hop, then a whole Fragment header (id 0x01020304, offset 8 bytes, more).
        let mut rest = [44, 0, 1, 4, 0, 0, 0, 0].to_vec();
        rest.extend_from_slice(&[17, 0, 0, 9, 1, 2, 3, 4]);
        rest.extend_from_slice(&[0; 8]);
        let f = eth_ipv6(0, 24, &rest);
        let d = decode(linktype::ETHERNET, &f);
        let Some(Net::Ipv6(ip)) = &d.net else {
            panic!("no ipv6: {d:?}")
        };
        let frag = ip.fragment.as_ref().expect("fragment header");
        assert_eq!(
            (frag.id, frag.fragment_offset, frag.more),
            (0x0102_0304, 8, true)
        );
        assert_eq!((frag.offset, frag.next_header), (14 + 40 + 8, 17));
    }

    #[test]
    fn ethernet_ipv4_tcp_with_options() {
        let f = eth_ipv4_tcp_syn();
        let d = decode(linktype::ETHERNET, &f);
        assert!(matches!(d.link, Link::Ethernet(_)));
        let Some(Net::Ipv4(ip)) = &d.net else {
            panic!("no ipv4")
        };
        assert_eq!(ip.offset, 14);
        assert_eq!(ip.ttl, 64);
        assert!(ip.dont_fragment);
        let t = d.tcp().expect("tcp");
        assert_eq!(t.offset, 34);
        assert_eq!((t.src_port, t.dst_port), (33638, 5683));
        assert!(t.flags.syn());
        assert_eq!(
            t.options.first().map(|o| o.kind.clone()),
            Some(TcpOptionKind::Mss(65495))
        );
        assert_eq!(t.options.first().map(|o| o.range.clone()), Some(54..58));
        assert_eq!(t.window_scale(), Some(7));
        assert_eq!(d.payload, 66..66);
        assert!(d.stopped.is_none());
    }

    #[test]
    fn truncated_tcp_header_is_reported_not_dropped() {
        let f = eth_ipv4_tcp_syn();
        let cut = &f[..40];
        let d = decode(linktype::ETHERNET, cut);
        assert!(matches!(d.net, Some(Net::Ipv4(_))));
        assert!(d.tcp().is_none());
        let stop = d.stopped.expect("stop recorded");
        assert_eq!(stop.layer, "TCP");
    }

    #[test]
    fn null_loopback_both_byte_orders() {
        let f = eth_ipv4_tcp_syn();
        let mut le = vec![2, 0, 0, 0];
        le.extend_from_slice(&f[14..]);
        let d = decode(linktype::NULL, &le);
        assert!(matches!(
            d.link,
            Link::Null {
                family: 2,
                big_endian: false,
                ..
            }
        ));
        assert!(d.tcp().is_some());
        let mut be = vec![0, 0, 0, 2];
        be.extend_from_slice(&f[14..]);
        let d = decode(linktype::NULL, &be);
        assert!(matches!(
            d.link,
            Link::Null {
                family: 2,
                big_endian: true,
                ..
            }
        ));
        assert!(d.tcp().is_some());
    }

    #[test]
    fn unknown_link_type_keeps_bytes() {
        let d = decode(147, b"\x01\x02\x03");
        assert!(matches!(d.link, Link::Unknown));
        assert_eq!(d.payload, 0..3);
        assert!(d.stopped.expect("note").reason.contains("147"));
    }

    /// A small deterministic generator for the variations below.
    struct Lcg(u64);

    impl Lcg {
        fn next(&mut self) -> u8 {
            self.0 = self
                .0
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (self.0 >> 33) as u8
        }
    }

    /// Option lists: none, the usual ones, unknown kinds, bad lengths.
    const OPTION_LISTS: [&[u8]; 10] = [
        &[],
        &[1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2],
        &[
            2, 4, 5, 0xb4, 4, 2, 8, 10, 1, 2, 3, 4, 5, 6, 7, 8, 1, 3, 3, 7,
        ],
        &[1, 1, 5, 10, 0, 0, 0, 1, 0, 0, 0, 9],
        &[
            1, 1, 5, 18, 0, 0, 0, 1, 0, 0, 0, 9, 0, 0, 0, 11, 0, 0, 0, 12,
        ],
        &[2, 4, 5, 0xb4, 0, 0, 0, 0],
        &[3, 3, 7, 0],
        &[8, 9, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
        &[30, 4, 0, 0],
        &[1, 2, 5],
    ];

    fn frame_with(options: &[u8], payload: usize) -> Vec<u8> {
        let th = 20 + options.len().div_ceil(4) * 4;
        let total = 20 + th + payload;
        let mut v = vec![2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, 0x08, 0x00];
        v.extend_from_slice(&[
            0x45,
            0x10,
            (total >> 8) as u8,
            total as u8,
            0x12,
            0x34,
            0x40,
            0,
        ]);
        v.extend_from_slice(&[64, 6, 0xab, 0xcd, 10, 0, 0, 1, 10, 0, 0, 2]);
        v.extend_from_slice(&[0x9c, 0x40, 0, 80, 0, 0, 1, 0, 0, 0, 2, 0]);
        v.extend_from_slice(&[(th as u8 / 4) << 4, 0x18, 0xff, 0xff, 0x12, 0x34, 0, 0]);
        v.extend_from_slice(options);
        v.resize(14 + 20 + th, 0);
        v.extend((0..payload).map(|i| i as u8));
        v
    }

    #[test]
    fn plain_frames_decode_as_the_lax_slicing_does() {
        let mut rng = Lcg(7);
        let mut direct = 0;
        let mut checked = 0;
        let mut stripped = 0;
        for options in OPTION_LISTS {
            for payload in [0usize, 1, 7, 100] {
                let base = frame_with(options, payload);
                // As built, then with bytes of the Ethernet, IP and TCP headers changed one
                // or a few at a time, then cut or padded (an Ethernet trailer).
                for round in 0..600 {
                    let mut f = base.clone();
                    if round > 0 {
                        for _ in 0..=(round % 3) {
                            let at = usize::from(rng.next()) % f.len().min(14 + 20 + 60);
                            let v = rng.next();
                            if let Some(b) = f.get_mut(at) {
                                *b = v;
                            }
                        }
                    }
                    match round % 5 {
                        1 => f.truncate(f.len().saturating_sub(usize::from(rng.next() % 8))),
                        2 => f.extend_from_slice(&[0; 6]),
                        _ => {}
                    }
                    let fast = format!("{:?}", decode(linktype::ETHERNET, &f));
                    let lax = format!("{:?}", decode_with(linktype::ETHERNET, &f, false, true));
                    assert_eq!(fast, lax, "frame {f:02x?}");
                    let mut probe = Decoded::default();
                    let plain = plain_ipv4_tcp(&mut probe, &f, true);
                    if plain {
                        direct += 1;
                    }
                    checked += 1;
                    // Without options: the same, but a plain non-SYN segment's options.
                    let mut want = decode(linktype::ETHERNET, &f);
                    if let Some(Transport::Tcp(t)) = &mut want.transport {
                        if plain && !t.flags.syn() {
                            stripped += usize::from(!t.options.is_empty());
                            t.options.clear();
                            t.options_undecoded = None;
                        }
                    }
                    let lean = decode_without_options(linktype::ETHERNET, &f);
                    assert_eq!(format!("{want:?}"), format!("{lean:?}"), "frame {f:02x?}");
                }
            }
        }
        // Both ways were exercised: most variations are plain, many are not.
        assert!(
            direct > checked / 4 && direct < checked,
            "{direct} of {checked}"
        );
        // Many plain segments had options that the run without them left out.
        assert!(stripped > checked / 10, "{stripped} of {checked}");
    }

    #[test]
    fn garbage_never_panics() {
        let mut x: u32 = 12345;
        for len in 0..200usize {
            let mut v = Vec::with_capacity(len);
            for _ in 0..len {
                x = x.wrapping_mul(1103515245).wrapping_add(12345);
                v.push((x >> 16) as u8);
            }
            for link in [0, 1, 101, 108, 113, 228, 229, 276, 999] {
                let _ = decode(link, &v);
            }
        }
    }
}
