//! The display filter's view of one decoded frame: [`FrameFields`] for a [`FrameView`].

use std::net::IpAddr;

use super::{FrameFields, Value};
use crate::decode::{Link, Net, Transport};
use crate::dissect::http::StartLine;
use crate::dissect::tls::TlsMessage;
use crate::dissect::AppKind;
use crate::flow::TcpFlags;
use crate::render::frame::FrameView;

impl FrameFields for FrameView<'_> {
    fn has(&self, name: &str) -> bool {
        let d = self.decoded;
        match name {
            "frame" => true,
            "eth" => matches!(d.link, Link::Ethernet(_)),
            "ip" => matches!(d.net, Some(Net::Ipv4(_))),
            "ipv6" => matches!(d.net, Some(Net::Ipv6(_))),
            "arp" => matches!(d.net, Some(Net::Arp { .. })),
            "tcp" => matches!(d.transport, Some(Transport::Tcp(_))),
            "udp" => matches!(d.transport, Some(Transport::Udp(_))),
            "icmp" => matches!(d.transport, Some(Transport::Icmpv4(_))),
            "icmpv6" => matches!(d.transport, Some(Transport::Icmpv6(_))),
            "http" => self.app.iter().any(|e| matches!(e.kind, AppKind::Http(_))),
            "http.request" => self
                .app
                .iter()
                .any(|e| matches!(&e.kind, AppKind::Http(h) if h.is_request())),
            "http.response" => self
                .app
                .iter()
                .any(|e| matches!(&e.kind, AppKind::Http(h) if !h.is_request())),
            "tls" => self.app.iter().any(|e| matches!(e.kind, AppKind::Tls(_))),
            "tls.handshake" => self
                .app
                .iter()
                .any(|e| matches!(&e.kind, AppKind::Tls(t) if is_handshake(&t.message))),
            "tls.alert" => self.app.iter().any(
                |e| matches!(&e.kind, AppKind::Tls(t) if matches!(t.message, TlsMessage::Alert(_))),
            ),
            "finding" => !self.findings.is_empty(),
            _ => false,
        }
    }

    fn values(&self, field: &str) -> Vec<Value> {
        let d = self.decoded;
        let int = |v: u64| vec![Value::Int(v)];
        let tcp = d.tcp();
        let udp = match &d.transport {
            Some(Transport::Udp(u)) => Some(u),
            _ => None,
        };
        let flag = |bit: u16| {
            tcp.map(|t| vec![Value::Bool(t.flags.has(bit))])
                .unwrap_or_default()
        };
        let addrs = |v6: bool, which: u8| -> Vec<Value> {
            match d.addrs() {
                Some((s, t)) if matches!(s, IpAddr::V6(_)) == v6 => match which {
                    0 => vec![Value::Addr(s), Value::Addr(t)],
                    1 => vec![Value::Addr(s)],
                    _ => vec![Value::Addr(t)],
                },
                _ => Vec::new(),
            }
        };
        let http = || {
            self.app.iter().filter_map(|e| match &e.kind {
                AppKind::Http(h) => Some(h),
                _ => None,
            })
        };
        let tls = || {
            self.app.iter().filter_map(|e| match &e.kind {
                AppKind::Tls(t) => Some(t),
                _ => None,
            })
        };
        let text = |b: &[u8]| Value::Str(String::from_utf8_lossy(b).into_owned());
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
                .map(|_| int(d.payload_wire_len as u64))
                .unwrap_or_default(),
            "tcp.seq" => self
                .tcp
                .map(|t| int(t.seg.rel_seq.into()))
                .unwrap_or_default(),
            "tcp.ack" => self
                .tcp
                .map(|t| int(t.seg.rel_ack.into()))
                .unwrap_or_default(),
            "tcp.flags.syn" => flag(TcpFlags::SYN),
            "tcp.flags.ack" => flag(TcpFlags::ACK),
            "tcp.flags.fin" => flag(TcpFlags::FIN),
            "tcp.flags.reset" => flag(TcpFlags::RST),
            "tcp.flags.push" => flag(TcpFlags::PSH),
            "tcp.analysis.retransmission" => self
                .tcp
                .map(|t| vec![Value::Bool(t.seg.analysis.retransmission)])
                .unwrap_or_default(),
            "udp.port" => udp
                .map(|u| vec![Value::Int(u.src_port.into()), Value::Int(u.dst_port.into())])
                .unwrap_or_default(),
            "udp.srcport" => udp.map(|u| int(u.src_port.into())).unwrap_or_default(),
            "udp.dstport" => udp.map(|u| int(u.dst_port.into())).unwrap_or_default(),
            "http.host" => http().filter_map(|h| h.header("host").map(text)).collect(),
            "http.user_agent" => http()
                .filter_map(|h| h.header("user-agent").map(text))
                .collect(),
            "http.content_type" => http()
                .filter_map(|h| h.content_type.as_deref().map(text))
                .collect(),
            "http.request.method" => http()
                .filter_map(|h| match &h.start {
                    StartLine::Request(r) => Some(Value::Str(r.method.clone())),
                    _ => None,
                })
                .collect(),
            "http.request.uri" => http()
                .filter_map(|h| match &h.start {
                    StartLine::Request(r) => Some(text(&r.uri)),
                    _ => None,
                })
                .collect(),
            "http.response.code" => http()
                .filter_map(|h| match &h.start {
                    StartLine::Response(r) => Some(Value::Int(r.status.into())),
                    _ => None,
                })
                .collect(),
            "tls.handshake.type" => tls()
                .filter_map(|t| handshake_type(&t.message).map(|x| Value::Int(x.into())))
                .collect(),
            "tls.sni" => tls()
                .filter_map(|t| match &t.message {
                    TlsMessage::ClientHello(ch) => ch.values.sni.as_deref().map(text),
                    _ => None,
                })
                .collect(),
            "tls.record.version" => tls().map(|t| Value::Int(t.record.version.into())).collect(),
            "tls.handshake.version" => tls()
                .filter_map(|t| match &t.message {
                    TlsMessage::ClientHello(ch) => Some(Value::Int(ch.legacy_version.into())),
                    TlsMessage::ServerHello(sh) => Some(Value::Int(sh.legacy_version.into())),
                    _ => None,
                })
                .collect(),
            "tls.alert.description" => tls()
                .filter_map(|t| match &t.message {
                    TlsMessage::Alert(a) => a.description.map(|x| Value::Int(x.into())),
                    _ => None,
                })
                .collect(),
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
            _ => Vec::new(),
        }
    }
}

fn is_handshake(m: &TlsMessage) -> bool {
    handshake_type(m).is_some()
}

fn handshake_type(m: &TlsMessage) -> Option<u8> {
    match m {
        TlsMessage::ClientHello(_) => Some(1),
        TlsMessage::ServerHello(sh) if sh.hello_retry_request => Some(2),
        TlsMessage::ServerHello(_) => Some(2),
        TlsMessage::Certificate(_) => Some(11),
        TlsMessage::ServerKeyExchange(_) => Some(12),
        TlsMessage::CertificateRequest(_) => Some(13),
        TlsMessage::Handshake(h) => Some(h.msg_type),
        _ => None,
    }
}
