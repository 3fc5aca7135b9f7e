//! The display filter's view of one decoded frame: [`FrameFields`] for a [`FrameView`].

use super::{FrameFields, Value};
use crate::decode::field::{self, at};
use crate::decode::{Encap, Ipv4Header, Ipv6Header, Link, Net, TcpOptionKind, Transport};
use crate::event::frame::FrameView;
use crate::flow::TcpFlags;

impl FrameFields for FrameView<'_> {
    fn has(&self, name: &str) -> bool {
        let d = self.decoded;
        match name {
            "frame" => true,
            "eth" => {
                matches!(d.link, Link::Ethernet(_))
                    || d.encap.iter().any(|e| matches!(e, Encap::Ethernet { .. }))
            }
            "ip" => d.ip_layers().any(|n| matches!(n, Net::Ipv4(_))),
            "ipv6" => d.ip_layers().any(|n| matches!(n, Net::Ipv6(_))),
            "arp" => matches!(d.net, Some(Net::Arp { .. })),
            "tcp" => matches!(d.session_transport(), Some(Transport::Tcp(_))),
            "udp" => {
                matches!(d.session_transport(), Some(Transport::Udp(_)))
                    || d.encap.iter().any(|e| matches!(e, Encap::Udp(_)))
            }
            "icmp" => matches!(d.session_transport(), Some(Transport::Icmpv4(_))),
            "icmpv6" => matches!(d.session_transport(), Some(Transport::Icmpv6(_))),
            "finding" => !self.findings.is_empty(),
            "vxlan" | "geneve" | "gre" | "erspan" | "mpls" | "pppoes" | "ppp" => {
                d.encap.iter().any(|e| e.name().eq_ignore_ascii_case(name))
            }
            _ => self.app.iter().any(|e| e.msg.has(name)),
        }
    }

    fn values(&self, field: &str) -> Vec<Value> {
        let d = self.decoded;
        let int = |v: u64| vec![Value::Int(v)];
        let tcp = match d.session_transport() {
            Some(Transport::Tcp(t)) => Some(t),
            _ => None,
        };
        let udp = match d.session_transport() {
            Some(Transport::Udp(u)) => Some(u),
            _ => None,
        };
        let flag = |bit: u16| {
            tcp.map(|t| vec![Value::Bool(t.flags.has(bit))])
                .unwrap_or_default()
        };
        // Every IP layer's, outermost first (a tunnel's, then the packet's inside it).
        let addrs = |v6: bool, which: u8| -> Vec<Value> {
            let mut out = Vec::new();
            for n in d.ip_layers() {
                let Some((s, t)) = n.addrs().filter(|_| matches!(n, Net::Ipv6(_)) == v6) else {
                    continue;
                };
                match which {
                    0 => out.extend([Value::Addr(s), Value::Addr(t)]),
                    1 => out.push(Value::Addr(s)),
                    _ => out.push(Value::Addr(t)),
                }
            }
            out
        };
        // Every UDP header's: a tunnel's, then the session's.
        let udps = || {
            d.encap
                .iter()
                .filter_map(|e| match e {
                    Encap::Udp(u) => Some(u),
                    _ => None,
                })
                .chain(udp)
        };
        if let Some(v) = self.header_values(field) {
            return v;
        }
        match field {
            "frame.number" => int(self.number),
            "frame.len" => int(u64::from(self.len)),
            "frame.cap_len" => int(self.data.len() as u64),
            "ip.addr" => addrs(false, 0),
            "ip.src" => addrs(false, 1),
            "ip.dst" => addrs(false, 2),
            "ipv6.addr" => addrs(true, 0),
            "ipv6.src" => addrs(true, 1),
            "ipv6.dst" => addrs(true, 2),
            "tcp.port" => tcp
                .map(|t| vec![Value::Int(t.src_port.into()), Value::Int(t.dst_port.into())])
                .unwrap_or_default(),
            "tcp.srcport" => tcp.map(|t| int(t.src_port.into())).unwrap_or_default(),
            "tcp.dstport" => tcp.map(|t| int(t.dst_port.into())).unwrap_or_default(),
            "tcp.stream" => self
                .tcp
                .map(|t| int(t.seg.stream.into()))
                .unwrap_or_default(),
            "tcp.len" => tcp
                .map(|_| int(d.session_payload_len() as u64))
                .unwrap_or_default(),
            "tcp.seq" => self
                .tcp
                .map(|t| int(t.seg.rel_seq.into()))
                .unwrap_or_default(),
            // Without the ACK flag tshark shows the field as it is on the wire (0 on a SYN,
            // whatever a bare RST carries), not relative to the peer's first sequence number.
            "tcp.ack" => match (tcp, self.tcp) {
                (Some(t), _) if !t.flags.ack() => int(t.ack.into()),
                (_, Some(tv)) => int(tv.seg.rel_ack.into()),
                _ => Vec::new(),
            },
            "tcp.flags.syn" => flag(TcpFlags::SYN),
            "tcp.flags.ack" => flag(TcpFlags::ACK),
            "tcp.flags.fin" => flag(TcpFlags::FIN),
            "tcp.flags.reset" => flag(TcpFlags::RST),
            "tcp.flags.push" => flag(TcpFlags::PSH),
            name if name.starts_with("tcp.analysis.") => self
                .tcp
                .map(|t| analysis_values(&t.seg.analysis, name))
                .unwrap_or_default(),
            "udp.port" => udps()
                .flat_map(|u| [Value::Int(u.src_port.into()), Value::Int(u.dst_port.into())])
                .collect(),
            "udp.srcport" => udps().map(|u| Value::Int(u.src_port.into())).collect(),
            "udp.dstport" => udps().map(|u| Value::Int(u.dst_port.into())).collect(),
            "udp.stream" => self.udp.map(|u| int(u.session.into())).unwrap_or_default(),
            "udp.length" => udps().map(|u| Value::Int(u.length.into())).collect(),
            "finding" | "finding.kind" => self
                .findings
                .iter()
                .map(|f| Value::Str(f.kind.name().to_string()))
                .collect(),
            "finding.severity" => self
                .findings
                .iter()
                .map(|f| Value::Str(f.severity.name().to_string()))
                .collect(),
            _ => {
                let mut out = Vec::new();
                for e in self.app {
                    e.msg.values(field, &mut out);
                }
                out
            }
        }
    }
}

/// A tunnel header's field `name`, when `e` is a header of that tunnel.
fn tunnel_value(e: &Encap, name: &str) -> Option<u64> {
    let v = match (e, name) {
        (Encap::Vxlan(v), "vxlan.vni") => v.vni,
        (Encap::Geneve(g), "geneve.vni") => g.vni,
        (Encap::Gre(g), "gre.proto") => g.protocol.into(),
        (Encap::Gre(g), "gre.key") if g.version() == 0 => g.key?,
        (Encap::Mpls(m), "mpls.label") => m.label,
        (Encap::Pppoe(p), "pppoe.session_id") => p.session_id.into(),
        (Encap::Erspan(h), "erspan.spanid") => h.session_id.into(),
        _ => return None,
    };
    Some(v.into())
}

/// `aa:bb:cc:dd:ee:ff`, as tshark prints an Ethernet address.
pub(super) fn ether_text(a: &[u8; 6]) -> String {
    let mut s = String::with_capacity(17);
    for (i, b) in a.iter().enumerate() {
        if i > 0 {
            s.push(':');
        }
        s.push_str(&hex::encode([*b]));
    }
    s
}

impl FrameView<'_> {
    /// The link, IP, TCP, UDP and ICMP header fields added at stop 34 (`None`: not one of
    /// them), each from the decoded header or its bytes (`decode::field`).
    fn header_values(&self, name: &str) -> Option<Vec<Value>> {
        let d = self.decoded;
        let one = |v: Option<u64>| v.map(|v| vec![Value::Int(v)]).unwrap_or_default();
        let byte = |at: usize| self.data.get(at).copied().map(u64::from);
        let eth = match &d.link {
            Link::Ethernet(e) => Some(e),
            _ => None,
        };
        let v6 = match &d.net {
            Some(Net::Ipv6(h)) => Some(h),
            _ => None,
        };
        let v6_frag = v6.and_then(|h| h.fragment.as_ref());
        // The datagram this frame completed from fragments, of IPv6 or of IPv4.
        let reassembled = |v6: bool| d.reassembled.as_deref().filter(|r| r.v6 == v6);
        let tcp = d.tcp();
        // The ICMP header of the frame, or of the datagram it completed from fragments.
        let icmp = |v6: bool| match d.session_transport() {
            Some(Transport::Icmpv4(h)) if !v6 => Some(h),
            Some(Transport::Icmpv6(h)) if v6 => Some(h),
            _ => None,
        };
        let ether = |a: &[u8; 6]| Value::Str(ether_text(a));
        // Every Ethernet header's, IPv4 header's, IPv6 header's: a tunnel's first.
        let eths = || {
            eth.into_iter()
                .chain(d.encap.iter().filter_map(|e| match e {
                    Encap::Ethernet { header, .. } => Some(header),
                    _ => None,
                }))
        };
        let all4 = |f: &dyn Fn(&Ipv4Header) -> u64| -> Vec<Value> {
            d.ip_layers()
                .filter_map(|n| match n {
                    Net::Ipv4(h) => Some(Value::Int(f(h))),
                    _ => None,
                })
                .collect()
        };
        let all6 = |f: &dyn Fn(&Ipv6Header) -> u64| -> Vec<Value> {
            d.ip_layers()
                .filter_map(|n| match n {
                    Net::Ipv6(h) => Some(Value::Int(f(h))),
                    _ => None,
                })
                .collect()
        };
        let v = match name {
            "frame.time_epoch" => vec![Value::Time(self.ts.as_nanos())],
            "frame.time_relative" => {
                vec![Value::Time(self.ts.as_nanos() - self.first_ts.as_nanos())]
            }
            "frame.time_delta" => vec![Value::Time(self.ts.as_nanos() - self.prev_ts.as_nanos())],
            "eth.addr" => eths()
                .flat_map(|e| [ether(&e.src), ether(&e.dst)])
                .collect(),
            "eth.src" => eths().map(|e| ether(&e.src)).collect(),
            "eth.dst" => eths().map(|e| ether(&e.dst)).collect(),
            "eth.type" => eths().map(|e| Value::Int(e.ether_type.into())).collect(),
            "vlan.id" => d
                .vlans
                .iter()
                .chain(d.encap.iter().filter_map(|e| match e {
                    Encap::Vlan(v) => Some(v),
                    _ => None,
                }))
                .map(|v| Value::Int(v.id.into()))
                .collect(),
            "vxlan.vni" | "geneve.vni" | "gre.proto" | "gre.key" | "mpls.label"
            | "pppoe.session_id" | "erspan.spanid" => d
                .encap
                .iter()
                .filter_map(|e| tunnel_value(e, name))
                .map(Value::Int)
                .collect(),
            // tshark's IPv6 dissector shows the version as `ip.version` too.
            "ip.version" => d
                .ip_layers()
                .filter_map(|n| match n {
                    Net::Ipv4(_) => Some(Value::Int(4)),
                    Net::Ipv6(_) => Some(Value::Int(6)),
                    _ => None,
                })
                .collect(),
            "ip.hdr_len" => all4(&|h| h.header_len as u64),
            "ip.dsfield" => all4(&|h| u64::from(h.dscp) << 2 | u64::from(h.ecn)),
            "ip.len" => all4(&|h| h.total_len.into()),
            "ip.id" => all4(&|h| h.id.into()),
            // The three flag bits (reserved, DF, MF) as tshark's 0x02 for DF; a tunnel's
            // headers too (a GRE packet carrying no IP has only the outer one).
            "ip.flags" => {
                all4(&|h| byte(at(h.offset, field::ipv4::FLAGS_FRAG).start).map_or(0, |b| b >> 5))
            }
            "ip.flags.df" | "ip.flags.mf" => d
                .ip_layers()
                .filter_map(|n| match n {
                    Net::Ipv4(h) if name == "ip.flags.df" => Some(Value::Bool(h.dont_fragment)),
                    Net::Ipv4(h) => Some(Value::Bool(h.more_fragments)),
                    _ => None,
                })
                .collect(),
            // In 8-byte units, as tshark's field (its tree line says bytes).
            "ip.frag_offset" => all4(&|h| u64::from(h.fragment_offset / 8)),
            "ip.fragment" | "ipv6.fragment" => reassembled(name.starts_with("ipv6"))
                .map(|r| {
                    let mut f: Vec<_> = r.fragments.iter().collect();
                    f.sort_by_key(|p| p.data.start);
                    f.into_iter().map(|p| Value::Int(p.frame)).collect()
                })
                .unwrap_or_default(),
            "ip.fragment.count" | "ipv6.fragment.count" => {
                one(reassembled(name.starts_with("ipv6")).map(|r| r.fragments.len() as u64))
            }
            "ip.reassembled.length" | "ipv6.reassembled.length" => {
                one(reassembled(name.starts_with("ipv6")).map(|r| r.data.len() as u64))
            }
            "ipv6.fraghdr.nxt" => one(v6_frag.map(|f| f.next_header.into())),
            "ipv6.fraghdr.offset" => one(v6_frag.map(|f| u64::from(f.fragment_offset / 8))),
            "ipv6.fraghdr.more" => v6_frag
                .map(|f| vec![Value::Bool(f.more)])
                .unwrap_or_default(),
            "ipv6.fraghdr.ident" => one(v6_frag.map(|f| f.id.into())),
            "ip.ttl" => all4(&|h| h.ttl.into()),
            "ip.proto" => all4(&|h| h.protocol.into()),
            "ip.checksum" => all4(&|h| h.checksum.into()),
            "ipv6.tclass" => all6(&|h| h.traffic_class.into()),
            "ipv6.flow" => all6(&|h| h.flow_label.into()),
            "ipv6.plen" => all6(&|h| h.payload_len.into()),
            "ipv6.nxt" => all6(&|h| h.next_header.into()),
            "ipv6.hlim" => all6(&|h| h.hop_limit.into()),
            "tcp.seq_raw" => one(tcp.map(|t| t.seq.into())),
            "tcp.ack_raw" => one(tcp.map(|t| t.ack.into())),
            "tcp.nxtseq" => one(self.tcp.map(|t| t.seg.next_rel_seq.into())),
            "tcp.hdr_len" => one(tcp.map(|t| t.header_len as u64)),
            // Twelve bits: the reserved bits and NS of the data-offset byte, then the rest.
            "tcp.flags" => one(tcp.and_then(|t| {
                let r = at(t.offset, field::tcp::DATA_OFF_FLAGS);
                Some((byte(r.start)? & 0x0f) << 8 | byte(r.start + 1)?)
            })),
            "tcp.flags.urg" => tcp
                .map(|t| vec![Value::Bool(t.flags.has(TcpFlags::URG))])
                .unwrap_or_default(),
            "tcp.window_size_value" => one(tcp.map(|t| t.window.into())),
            "tcp.window_size" => {
                one(tcp.map(|t| self.tcp.map_or(t.window.into(), |v| v.scaled_window).into()))
            }
            "tcp.window_size_scalefactor" => self
                .tcp
                .and_then(|v| v.scale_factor)
                .map(|f| vec![Value::Signed(f.into())])
                .unwrap_or_default(),
            "tcp.checksum" => one(tcp.map(|t| t.checksum.into())),
            "tcp.urgent_pointer" => one(tcp.map(|t| t.urgent.into())),
            "tcp.options.mss_val" | "tcp.options.wscale.shift" => tcp
                .map(|t| {
                    t.options
                        .iter()
                        .filter_map(|o| match (&o.kind, name) {
                            (TcpOptionKind::Mss(m), "tcp.options.mss_val") => Some(u64::from(*m)),
                            (TcpOptionKind::WindowScale(s), "tcp.options.wscale.shift") => {
                                Some(u64::from(*s))
                            }
                            _ => None,
                        })
                        .map(Value::Int)
                        .collect()
                })
                .unwrap_or_default(),
            "tcp.payload" => match (tcp, self.data.get(d.payload.clone())) {
                (Some(_), Some(p)) if !p.is_empty() => vec![Value::Str(hex::encode(p))],
                _ => Vec::new(),
            },
            "udp.checksum" => match d.session_transport() {
                Some(Transport::Udp(u)) => vec![Value::Int(u.checksum.into())],
                _ => Vec::new(),
            },
            "icmp.type" => one(icmp(false).map(|h| h.icmp_type.into())),
            "icmp.code" => one(icmp(false).map(|h| h.code.into())),
            "icmpv6.type" => one(icmp(true).map(|h| h.icmp_type.into())),
            "icmpv6.code" => one(icmp(true).map(|h| h.code.into())),
            _ => return None,
        };
        Some(v)
    }
}

/// A `tcp.analysis.*` field of a segment: a flag as `Bool` (tshark adds it only when set),
/// a number or a time only when tshark shows it.
fn analysis_values(a: &crate::flow::Analysis, name: &str) -> Vec<Value> {
    let flag = |on: bool| vec![Value::Bool(on)];
    let num = |show: bool, v: u64| {
        if show {
            vec![Value::Int(v)]
        } else {
            Vec::new()
        }
    };
    let time = |show: bool, ns: i64| {
        if show {
            vec![Value::Time(ns.into())]
        } else {
            Vec::new()
        }
    };
    match name {
        "tcp.analysis.flags" => flag(a.any_flag()),
        "tcp.analysis.retransmission" => flag(a.any_retransmission()),
        "tcp.analysis.fast_retransmission" => flag(a.fast_retransmission()),
        "tcp.analysis.spurious_retransmission" => flag(a.spurious_retransmission()),
        "tcp.analysis.out_of_order" => flag(a.out_of_order()),
        "tcp.analysis.lost_segment" => flag(a.previous_segment_not_captured()),
        "tcp.analysis.ack_lost_segment" => flag(a.ack_lost_segment()),
        "tcp.analysis.window_update" => flag(a.window_update()),
        "tcp.analysis.window_full" => flag(a.window_full()),
        "tcp.analysis.keep_alive" => flag(a.keep_alive()),
        "tcp.analysis.keep_alive_ack" => flag(a.keep_alive_ack()),
        "tcp.analysis.duplicate_ack" => flag(a.dup_ack()),
        "tcp.analysis.zero_window_probe" => flag(a.zero_window_probe()),
        "tcp.analysis.zero_window" => flag(a.zero_window()),
        "tcp.analysis.zero_window_probe_ack" => flag(a.zero_window_probe_ack()),
        "tcp.analysis.duplicate_ack_num" => num(a.dup_ack(), a.dup_ack_num.into()),
        "tcp.analysis.duplicate_ack_frame" => num(a.dup_ack(), a.dup_ack_frame),
        "tcp.analysis.acks_frame" => num(a.acks_frame != 0, a.acks_frame),
        "tcp.analysis.ack_rtt" => time(a.acks_frame != 0 && a.ack_rtt_ns != 0, a.ack_rtt_ns),
        "tcp.analysis.initial_rtt" => time(a.initial_rtt_ns != 0, a.initial_rtt_ns),
        // Only on a plain retransmission, as tshark (and `-V`'s RTO lines).
        "tcp.analysis.rto" => time(a.retransmission() && a.rto_ns != 0, a.rto_ns),
        "tcp.analysis.rto_frame" => num(a.retransmission() && a.rto_ns != 0, a.rto_frame),
        "tcp.analysis.bytes_in_flight" => num(a.bytes_in_flight != 0, a.bytes_in_flight.into()),
        "tcp.analysis.push_bytes_sent" => num(a.bytes_in_flight != 0, a.push_bytes_sent.into()),
        _ => Vec::new(),
    }
}
