//! Frame decoding: link layer, network layer, transport layer, each field with its byte
//! range in the frame.
//!
//! Decoding is lax (etherparse's `LaxSlicedPacket` under the link layers it does not know):
//! whatever decodes is kept, and where decoding stopped is recorded in [`Decoded::stopped`]
//! with the layer and offset. Undecodable bytes stay in the frame as data; nothing is dropped.
//! Field byte ranges within each header are named once, in [`field`].

pub mod defrag;
pub mod field;
mod link;
pub mod tunnel;

use std::net::IpAddr;
use std::ops::Range;

pub use link::{decode, decode_without_options, plain_ipv4, PlainIpv4};
pub use tunnel::Encap;

/// Everything decoded from one frame. Ranges index the frame's captured bytes.
#[derive(Debug, Clone, Default)]
pub struct Decoded {
    pub link: Link,
    /// 802.1Q / QinQ tags, outermost first.
    pub vlans: Vec<Vlan>,
    /// The layers a tunnelled packet was carried in, outermost first, between the link (and
    /// its VLAN tags) and `net`, which is then the innermost IP header ([`tunnel`]). Empty
    /// (no allocation) for a frame that is not tunnelled.
    pub encap: Vec<Encap>,
    pub net: Option<Net>,
    pub transport: Option<Transport>,
    /// Bytes above the last decoded layer (application payload, or undecoded bytes).
    pub payload: Range<usize>,
    /// Payload length on the wire as the IP header states it (may exceed the captured bytes).
    pub payload_wire_len: usize,
    /// Where and why decoding stopped short, if it did.
    pub stopped: Option<DecodeStop>,
    /// The payload length the IP header claimed when it is more than the frame held on the
    /// wire (not a snaplen cut: the bytes were never sent); see [`Decoded::bound_to_frame`].
    pub ip_length_claimed: Option<usize>,
    /// The IP datagram this frame completed, when it is the last fragment of one to
    /// arrive ([`defrag::Defragmenter`]); its ranges index its own bytes.
    pub reassembled: Option<Box<defrag::Reassembled>>,
    /// An IP fragment held for its datagram: its bytes are read with the datagram (or,
    /// if it never completes, with [`Decoded::unreassembled`] of a later frame).
    pub fragment_held: bool,
    /// Datagrams given up (never completed) at this frame: their bytes, to be searched.
    pub unreassembled: Vec<defrag::Unreassembled>,
}

impl Decoded {
    /// Bound the payload's wire length by what the frame held on the wire (`frame_len`, the
    /// record's original length): an IP length claiming more is a lie, not missing bytes.
    /// The claim is kept in [`Decoded::ip_length_claimed`]; returns whether there was one.
    pub fn bound_to_frame(&mut self, frame_len: usize) -> bool {
        let on_wire = frame_len
            .saturating_sub(self.payload.start)
            .max(self.payload.len());
        if self.payload_wire_len > on_wire && self.net.is_some() {
            self.ip_length_claimed = Some(self.payload_wire_len);
            self.payload_wire_len = on_wire;
            return true;
        }
        false
    }

    pub fn tcp(&self) -> Option<&TcpHeader> {
        match &self.transport {
            Some(Transport::Tcp(t)) => Some(t),
            _ => None,
        }
    }

    /// The innermost IP header's addresses: [`Decoded::net`]'s, else (a tunnel whose
    /// payload is not IP) those of the IP header the tunnel was carried in.
    pub fn addrs(&self) -> Option<(IpAddr, IpAddr)> {
        self.net
            .as_ref()
            .and_then(Net::addrs)
            .or_else(|| self.tunnel_addrs())
    }

    /// Every IP header of the frame, outermost first: those a tunnel was carried in, then
    /// [`Decoded::net`].
    pub fn ip_layers(&self) -> impl Iterator<Item = &Net> {
        self.encap
            .iter()
            .filter_map(|e| match e {
                Encap::Ip(n) => Some(n),
                _ => None,
            })
            .chain(self.net.as_ref())
    }

    /// The addresses of the innermost IP header a tunnel was carried in, if any.
    pub fn tunnel_addrs(&self) -> Option<(IpAddr, IpAddr)> {
        self.encap.iter().rev().find_map(|e| match e {
            Encap::Ip(n) => n.addrs(),
            _ => None,
        })
    }

    /// The transport header the frame's sessions go by: the frame's own, or that of the
    /// datagram it completed.
    pub fn session_transport(&self) -> Option<&Transport> {
        match &self.reassembled {
            Some(r) => r.transport.as_ref(),
            None => self.transport.as_ref(),
        }
    }

    /// The length on the wire of the bytes above [`Decoded::session_transport`].
    pub fn session_payload_len(&self) -> usize {
        match &self.reassembled {
            Some(r) if r.transport.is_some() => r.payload.len(),
            _ => self.payload_wire_len,
        }
    }

    pub fn ports(&self) -> Option<(u16, u16)> {
        match self.session_transport() {
            Some(Transport::Tcp(t)) => Some((t.src_port, t.dst_port)),
            Some(Transport::Udp(u)) => Some((u.src_port, u.dst_port)),
            _ => None,
        }
    }
}

/// Decoding stopped at `layer`, `offset` bytes into the frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeStop {
    pub layer: &'static str,
    pub offset: usize,
    pub reason: String,
}

/// The link layer.
#[derive(Debug, Clone, Default)]
pub enum Link {
    Ethernet(EthernetHeader),
    /// BSD loopback: 4-byte address family in host byte order (NULL) or network order (LOOP).
    Null {
        family: u32,
        big_endian: bool,
        loop_type: bool,
    },
    LinuxSll(SllHeader),
    LinuxSll2(Sll2Header),
    /// Raw IP: no link header.
    Raw,
    /// A link type this decoder does not know: the whole frame is data.
    #[default]
    Unknown,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EthernetHeader {
    pub dst: [u8; 6],
    pub src: [u8; 6],
    pub ether_type: u16,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SllHeader {
    pub packet_type: u16,
    pub arphrd: u16,
    pub addr: Vec<u8>,
    pub protocol: u16,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sll2Header {
    pub protocol: u16,
    pub ifindex: u32,
    pub arphrd: u16,
    pub packet_type: u8,
    pub addr: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Vlan {
    /// Offset of the 4-byte tag (TCI + inner ether type) in the frame.
    pub offset: usize,
    pub tpid: u16,
    pub pcp: u8,
    pub dei: bool,
    pub id: u16,
    pub ether_type: u16,
}

/// The network layer.
#[derive(Debug, Clone)]
pub enum Net {
    Ipv4(Ipv4Header),
    Ipv6(Ipv6Header),
    Arp {
        offset: usize,
        len: usize,
        /// Its operation and addresses.
        fields: ArpFields,
    },
    /// An ether type this decoder does not know.
    Other {
        ether_type: u16,
        offset: usize,
    },
}

/// The fields of an ARP packet (RFC 826 and the operations of RARP, DRARP, InARP, MARS and
/// MAPOS that share its header): its operation, its protocol type and the sender's and
/// target's hardware and protocol addresses as sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArpFields {
    pub op: u16,
    pub hw_type: u16,
    pub proto_type: u16,
    pub sender_hw: Vec<u8>,
    pub sender_proto: Vec<u8>,
    pub target_hw: Vec<u8>,
    pub target_proto: Vec<u8>,
}

impl ArpFields {
    /// The Protocol column as tshark names the operation's protocol.
    pub fn protocol(&self) -> &'static str {
        match self.op {
            3 | 4 => "RARP",
            5..=7 => "DRARP",
            8 | 9 => "Inverse ARP",
            11..=22 => "MARS",
            23 => "MAPOS",
            _ => "ARP",
        }
    }

    /// A protocol address: dotted IPv4, else its bytes in hex.
    fn proto_addr(&self, a: &[u8]) -> String {
        match <[u8; 4]>::try_from(a) {
            Ok(v4) if self.proto_type == 0x0800 => std::net::Ipv4Addr::from(v4).to_string(),
            _ => hex::encode(a),
        }
    }

    /// A hardware address: a 6-byte Ethernet or IEEE 802 one as a MAC address, else its
    /// bytes in hex.
    fn hw_addr(&self, a: &[u8]) -> String {
        match <[u8; 6]>::try_from(a) {
            Ok(m) if matches!(self.hw_type, 1 | 6) => format!(
                "{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}",
                m[0], m[1], m[2], m[3], m[4], m[5]
            ),
            _ => hex::encode(a),
        }
    }

    /// tshark's Info text: the request's question, the reply's answer, or the operation.
    pub fn info(&self) -> String {
        let (spa, tpa) = (
            self.proto_addr(&self.sender_proto),
            self.proto_addr(&self.target_proto),
        );
        let (sha, tha) = (self.hw_addr(&self.sender_hw), self.hw_addr(&self.target_hw));
        let gratuitous = matches!(self.op, 1 | 2) && self.sender_proto == self.target_proto;
        let no_target_hw = self.target_hw.iter().all(|b| *b == 0);
        let mars = |what: &str| format!("MARS {what} from {sha} at {spa}");
        match self.op {
            1 if gratuitous && no_target_hw => format!("ARP Announcement for {tpa}"),
            1 if gratuitous => format!("Gratuitous ARP for {tpa} (Request)"),
            1 if no_target_hw && self.sender_proto.iter().all(|b| *b == 0) => {
                format!("Who has {tpa}? (ARP Probe)")
            }
            1 => format!("Who has {tpa}? Tell {spa}"),
            2 if gratuitous => format!("Gratuitous ARP for {spa} (Reply)"),
            2 => format!("{spa} is at {sha}"),
            3 | 5 | 8 => format!("Who is {tha}? Tell {sha}"),
            4 | 6 => format!("{tha} is at {tpa}"),
            7 => "DRARP Error".to_string(),
            9 => format!("{sha} is at {spa}"),
            10 => "ARP NAK".to_string(),
            11 => mars("request"),
            12 => mars("MULTI request"),
            13 => mars("MSERV request"),
            14 => mars("JOIN request"),
            15 => mars("LEAVE"),
            16 => mars("NAK"),
            17 => mars("UNSERV request"),
            18 => mars("SJOIN request"),
            19 => mars("SLEAVE"),
            20 => mars("grouplist request"),
            21 => mars("grouplist reply"),
            22 => mars("redirect map"),
            23 => format!("MAPOS UNARP request from {sha} at {spa}"),
            24 => "Experimental 1 ( opcode 24 )".to_string(),
            25 => "Experimental 2 ( opcode 25 )".to_string(),
            0 | 65535 => format!("Reserved opcode {}", self.op),
            op => format!("Unknown ARP opcode 0x{op:04x}"),
        }
    }
}

impl Net {
    /// Source and destination of an IPv4 or IPv6 header.
    pub fn addrs(&self) -> Option<(IpAddr, IpAddr)> {
        match self {
            Net::Ipv4(h) => Some((IpAddr::V4(h.src), IpAddr::V4(h.dst))),
            Net::Ipv6(h) => Some((IpAddr::V6(h.src), IpAddr::V6(h.dst))),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ipv4Header {
    pub offset: usize,
    pub header_len: usize,
    pub dscp: u8,
    pub ecn: u8,
    pub total_len: u16,
    pub id: u16,
    pub dont_fragment: bool,
    pub more_fragments: bool,
    /// Fragment offset in bytes.
    pub fragment_offset: u32,
    pub ttl: u8,
    pub protocol: u8,
    pub checksum: u16,
    pub src: std::net::Ipv4Addr,
    pub dst: std::net::Ipv4Addr,
    pub options: Range<usize>,
}

impl Ipv4Header {
    /// True for any fragment (MF set or a non-zero offset).
    pub fn is_fragment(&self) -> bool {
        self.more_fragments || self.fragment_offset != 0
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ipv6Header {
    pub offset: usize,
    pub traffic_class: u8,
    pub flow_label: u32,
    pub payload_len: u16,
    pub next_header: u8,
    pub hop_limit: u8,
    pub src: std::net::Ipv6Addr,
    pub dst: std::net::Ipv6Addr,
    /// Extension headers: (header type, range in the frame).
    pub extensions: Vec<(u8, Range<usize>)>,
    pub fragmented: bool,
    /// The Fragment extension header, when there is one.
    pub fragment: Option<Ipv6Fragment>,
}

/// An IPv6 Fragment header (RFC 8200 4.5).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ipv6Fragment {
    /// Where the 8-byte header starts in the frame.
    pub offset: usize,
    /// The header that follows the fragmentable part.
    pub next_header: u8,
    /// The reserved octet (zero on the wire).
    pub reserved: u8,
    /// Fragment offset in bytes.
    pub fragment_offset: u32,
    pub more: bool,
    pub id: u32,
}

/// The transport layer.
// TCP's variant is the large one since its options are held in place (`TcpOptions`): a
// `Decoded` lives on the stack for one frame, and boxing the header would bring back the
// per-segment allocation that holding the options in place removed.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone)]
pub enum Transport {
    Tcp(TcpHeader),
    Udp(UdpHeader),
    Icmpv4(IcmpHeader),
    Icmpv6(IcmpHeader),
    /// An IP protocol this decoder does not know, or a non-first fragment.
    Other {
        protocol: u8,
        offset: usize,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TcpHeader {
    pub offset: usize,
    pub header_len: usize,
    pub src_port: u16,
    pub dst_port: u16,
    pub seq: u32,
    pub ack: u32,
    pub flags: TcpFlags,
    pub window: u16,
    pub checksum: u16,
    pub urgent: u16,
    pub options: TcpOptions,
    /// Bytes of the options area that could not be decoded (unknown kind, bad length).
    pub options_undecoded: Option<Range<usize>>,
}

impl TcpHeader {
    pub fn window_scale(&self) -> Option<u8> {
        self.options.iter().find_map(|o| match o.kind {
            TcpOptionKind::WindowScale(s) => Some(s),
            _ => None,
        })
    }

    /// Bytes covered by the first three blocks of the (last) SACK option, as tshark counts
    /// them for its bytes in flight; 0 without one.
    pub fn sacked(&self) -> u32 {
        let blocks = self.options.iter().rev().find_map(|o| match &o.kind {
            TcpOptionKind::Sack(b) => Some(b),
            _ => None,
        });
        blocks.map_or(0, |b| {
            b.iter()
                .take(3)
                .fold(0u32, |n, (l, r)| n.wrapping_add(r.wrapping_sub(*l)))
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TcpOption {
    pub range: Range<usize>,
    pub kind: TcpOptionKind,
}

/// The options of a TCP header, in order. The first four are held in place (smallvec): a
/// data segment's usual no-op, no-op, timestamps, and most SYNs' options, need no allocation
/// (decoding every segment allocated a `Vec` before).
pub type TcpOptions = smallvec::SmallVec<[TcpOption; 4]>;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TcpOptionKind {
    Nop,
    EndOfList,
    Mss(u16),
    WindowScale(u8),
    SackPermitted,
    Sack(Vec<(u32, u32)>),
    Timestamp { val: u32, ecr: u32 },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UdpHeader {
    pub offset: usize,
    pub src_port: u16,
    pub dst_port: u16,
    pub length: u16,
    pub checksum: u16,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IcmpHeader {
    pub offset: usize,
    pub header_len: usize,
    pub icmp_type: u8,
    pub code: u8,
    pub checksum: u16,
    /// Bytes 4..8 (identifier and sequence number for echo).
    pub rest: [u8; 4],
}

/// TCP header flag bits as on the wire (low 8 bits of the flags field, plus NS as 0x100).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub struct TcpFlags(pub u16);

impl TcpFlags {
    pub const FIN: u16 = 0x001;
    pub const SYN: u16 = 0x002;
    pub const RST: u16 = 0x004;
    pub const PSH: u16 = 0x008;
    pub const ACK: u16 = 0x010;
    pub const URG: u16 = 0x020;
    pub const ECE: u16 = 0x040;
    pub const CWR: u16 = 0x080;
    pub const NS: u16 = 0x100;

    pub fn has(self, bit: u16) -> bool {
        self.0 & bit != 0
    }
    pub fn syn(self) -> bool {
        self.has(Self::SYN)
    }
    pub fn ack(self) -> bool {
        self.has(Self::ACK)
    }
    pub fn fin(self) -> bool {
        self.has(Self::FIN)
    }
    pub fn rst(self) -> bool {
        self.has(Self::RST)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn option(at: usize, kind: TcpOptionKind) -> TcpOption {
        TcpOption {
            range: at..at + 1,
            kind,
        }
    }

    #[test]
    fn tcp_options_keep_their_order_in_place_and_past_it() {
        let kinds = [
            TcpOptionKind::Mss(1460),
            TcpOptionKind::SackPermitted,
            TcpOptionKind::Timestamp { val: 1, ecr: 2 },
            TcpOptionKind::Nop,
            TcpOptionKind::WindowScale(7),
            TcpOptionKind::Sack(vec![(5, 9)]),
        ];
        let all: Vec<TcpOption> = kinds
            .iter()
            .enumerate()
            .map(|(i, k)| option(i, k.clone()))
            .collect();
        let mut opts = TcpOptions::default();
        for o in &all {
            opts.push(o.clone());
        }
        assert_eq!(opts.len(), 6);
        assert_eq!(opts.iter().cloned().collect::<Vec<_>>(), all);
        assert_eq!((&opts).into_iter().count(), 6);
        assert_eq!(opts.first(), all.first());
        let header = TcpHeader {
            offset: 0,
            header_len: 40,
            src_port: 1,
            dst_port: 2,
            seq: 0,
            ack: 0,
            flags: TcpFlags::default(),
            window: 0,
            checksum: 0,
            urgent: 0,
            options: opts.clone(),
            options_undecoded: None,
        };
        // The window scale is the fifth option: past the ones held in place.
        assert_eq!(header.window_scale(), Some(7));
        opts.retain(|o| o.range.start % 2 == 1);
        let odd: Vec<TcpOption> = all.iter().skip(1).step_by(2).cloned().collect();
        assert_eq!(opts.iter().cloned().collect::<Vec<_>>(), odd);
        assert_eq!(opts.len(), 3);
        assert!(TcpOptions::default().is_empty());
    }
}
