//! What QUIC shows the renderers: one event per datagram (its packets, and the TLS hello
//! the Initial CRYPTO stream completed) and one summary per connection.

use std::collections::BTreeMap;
use std::ops::Range;

use serde_json::{Map, Value};

use super::header::PacketType;
use super::keys::{VERSION_1, VERSION_2};
use crate::dissect::http::HttpMessage;
use crate::dissect::tls::{
    cipher_suite_name, CertificateChain, ClientHello, MessageExtensions, ServerHello,
};
use crate::flow::Direction;
use crate::present::escape::{escape_bytes, escape_truncated};
use crate::present::tree::TreeNode;

/// One packet of a datagram.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PacketInfo {
    pub ptype: PacketType,
    pub version: u32,
    pub dcid: Vec<u8>,
    pub scid: Vec<u8>,
    pub token_len: usize,
    /// Range in the datagram.
    pub range: Range<usize>,
    /// Full packet number, when the header protection was removed.
    pub pn: Option<u64>,
    pub decrypted: bool,
    /// Frame names in order (decrypted packets); HTTP/3 frames follow their `STREAM(n)`.
    pub frames: Vec<String>,
    /// Why it was not decrypted (Initial packets; others when a key log was given).
    pub error: Option<String>,
    /// 1-RTT: the key phase bit, once the header protection is removed.
    pub key_phase: Option<bool>,
    /// HTTP/3 frames or stream types were read from it.
    pub h3: bool,
}

/// An HTTP/3 request or response completed by a datagram.
#[derive(Debug, Clone)]
pub struct H3Message {
    pub dir: Direction,
    /// Packets that carried it.
    pub frames: Vec<u64>,
    pub msg: Box<HttpMessage>,
}

/// A list of names as a JSON array.
fn names(list: &[&'static str]) -> Value {
    list.iter()
        .map(|t| Value::from(*t))
        .collect::<Vec<_>>()
        .into()
}

/// Version name: `1`, `2`, or hex.
pub fn version_text(v: u32) -> String {
    match v {
        VERSION_1 => "1".into(),
        VERSION_2 => "2".into(),
        0 => "Negotiation".into(),
        v => format!("0x{v:08x}"),
    }
}

impl PacketInfo {
    /// Like tshark: `Initial, DCID=…, SCID=…, PKN: 0, CRYPTO` or
    /// `Protected Payload (KP0), DCID=…`.
    fn info(&self) -> String {
        let mut s = match (self.ptype, self.key_phase) {
            (PacketType::OneRtt, Some(kp)) => format!("Protected Payload (KP{})", u8::from(kp)),
            (PacketType::OneRtt, None) => "Protected Payload".to_string(),
            (t, _) => t.name().to_string(),
        };
        if !self.dcid.is_empty() || self.ptype != PacketType::OneRtt {
            s.push_str(&format!(", DCID={}", hex::encode(&self.dcid)));
        }
        if self.ptype != PacketType::OneRtt && !self.scid.is_empty() {
            s.push_str(&format!(", SCID={}", hex::encode(&self.scid)));
        }
        if let (Some(pn), true) = (self.pn, self.decrypted) {
            s.push_str(&format!(", PKN: {pn}"));
        }
        // Initial packets list a run of the same frame once and no PADDING; the others
        // every frame, as tshark does.
        let initial = self.ptype == PacketType::Initial;
        let mut last = "";
        for f in &self.frames {
            let repeat = initial && f == last;
            if !(repeat || initial && f == "PADDING") {
                s.push_str(", ");
                s.push_str(f);
            }
            last = f;
        }
        s
    }

    fn json(&self) -> Value {
        let mut m = Map::new();
        m.insert("packet_type".into(), self.ptype.name().into());
        if self.ptype != PacketType::OneRtt {
            m.insert("version".into(), format!("0x{:08x}", self.version).into());
            m.insert("scid".into(), hex::encode(&self.scid).into());
        }
        m.insert("dcid".into(), hex::encode(&self.dcid).into());
        if let Some(pn) = self.pn.filter(|_| self.decrypted) {
            m.insert("packet_number".into(), pn.into());
        }
        m.insert("length".into(), self.range.len().into());
        m.insert("decrypted".into(), self.decrypted.into());
        if self.decrypted {
            m.insert(
                "frames".into(),
                self.frames
                    .iter()
                    .map(|f| Value::from(f.as_str()))
                    .collect::<Vec<_>>()
                    .into(),
            );
        }
        if let Some(kp) = self.key_phase {
            m.insert("key_phase".into(), u8::from(kp).into());
        }
        if let Some(e) = &self.error {
            m.insert("error".into(), e.clone().into());
        }
        m.into()
    }
}

/// One datagram's worth of QUIC.
#[derive(Debug, Clone)]
pub struct QuicEvent {
    pub dir: Direction,
    pub packets: Vec<PacketInfo>,
    /// Zero bytes after the last coalesced packet.
    pub padding: usize,
    /// The ClientHello the Initial CRYPTO stream completed in this datagram.
    pub client_hello: Option<Box<ClientHello>>,
    pub server_hello: Option<Box<ServerHello>>,
    /// Where the UDP payload starts in the frame.
    pub frame_offset: Option<usize>,
    /// Notes (escaped): header errors, frame walks stopped, CONNECTION_CLOSE reasons.
    pub notes: Vec<String>,
    /// TLS handshake messages completed in the Handshake and 1-RTT CRYPTO streams.
    pub tls_messages: Vec<&'static str>,
    /// Their types (`tls.handshake.type`), and the extensions of the EncryptedExtensions and
    /// NewSessionTicket among them (`tls.handshake.extension.type`, ALPN, ...).
    pub tls_types: Vec<u8>,
    pub tls_extensions: Vec<MessageExtensions>,
    /// The server's certificate chain (Handshake level, seen with the keys).
    pub certificate: Option<Box<CertificateChain>>,
    /// HTTP/3 messages completed in this datagram (emitted as their own events).
    pub messages: Vec<H3Message>,
    /// Unidirectional HTTP/3 streams that said what they carry in this datagram.
    pub h3_streams: Vec<(u64, super::http3::StreamKind)>,
}

impl Default for QuicEvent {
    fn default() -> Self {
        QuicEvent {
            dir: Direction::ToServer,
            packets: Vec::new(),
            padding: 0,
            client_hello: None,
            server_hello: None,
            frame_offset: None,
            notes: Vec::new(),
            tls_messages: Vec::new(),
            tls_types: Vec::new(),
            tls_extensions: Vec::new(),
            certificate: None,
            messages: Vec::new(),
            h3_streams: Vec::new(),
        }
    }
}

impl QuicEvent {
    /// The datagram carries an Initial packet.
    pub fn has_initial(&self) -> bool {
        self.packets.iter().any(|p| p.ptype == PacketType::Initial)
    }

    /// HTTP/3 frames were read from it (the Protocol column says `HTTP3`, as tshark).
    pub fn has_h3(&self) -> bool {
        self.packets.iter().any(|p| p.h3)
    }

    /// `quic.initial` when the datagram carries an Initial packet, `quic.packet` otherwise.
    pub fn record_type(&self) -> &'static str {
        if self.has_initial() {
            "quic.initial"
        } else {
            "quic.packet"
        }
    }

    /// Info column (escaped).
    pub fn info(&self) -> String {
        let mut parts: Vec<String> = self.packets.iter().map(PacketInfo::info).collect();
        if let Some(ch) = &self.client_hello {
            let mut s = "Client Hello".to_string();
            if let Some(sni) = ch.sni_text() {
                s.push_str(&format!(" (SNI={sni})"));
            }
            parts.push(s);
        }
        if self.server_hello.is_some() {
            parts.push("Server Hello".into());
        }
        for n in &self.notes {
            parts.push(format!("[{n}]"));
        }
        parts.join(", ")
    }

    fn range(&self, r: &Range<usize>) -> Option<Range<usize>> {
        self.frame_offset.map(|o| r.start + o..r.end + o)
    }

    /// The `QUIC IETF` layer.
    pub fn tree(&self) -> TreeNode {
        let mut root = TreeNode::new("QUIC IETF");
        for p in &self.packets {
            let mut n = TreeNode::new(format!("QUIC {}", p.info()));
            n.range = self.range(&p.range);
            n.leaf(format!(
                "Header Form: {} Header",
                if p.ptype == PacketType::OneRtt {
                    "Short"
                } else {
                    "Long"
                }
            ));
            if p.ptype != PacketType::OneRtt {
                n.leaf(format!(
                    "Version: {} (0x{:08x})",
                    version_text(p.version),
                    p.version
                ));
                n.leaf(format!("Packet Type: {}", p.ptype.name()));
                n.leaf(format!(
                    "Destination Connection ID Length: {}",
                    p.dcid.len()
                ));
                n.leaf(format!(
                    "Destination Connection ID: {}",
                    hex::encode(&p.dcid)
                ));
                n.leaf(format!("Source Connection ID Length: {}", p.scid.len()));
                n.leaf(format!("Source Connection ID: {}", hex::encode(&p.scid)));
            } else {
                n.leaf(format!(
                    "Destination Connection ID: {}",
                    hex::encode(&p.dcid)
                ));
            }
            if p.ptype == PacketType::Initial {
                n.leaf(format!("Token Length: {}", p.token_len));
            }
            if let (Some(pn), true) = (p.pn, p.decrypted) {
                n.leaf(format!("Packet Number: {pn}"));
            }
            if let Some(kp) = p.key_phase {
                n.leaf(format!("Key Phase Bit: {}", u8::from(kp)));
            }
            if p.decrypted && p.ptype != PacketType::Initial {
                n.leaf("[Decrypted with the traffic secrets of the key log (--keylog)]");
            }
            if p.decrypted && p.ptype == PacketType::Initial {
                n.leaf("[Decrypted with the Initial keys derived from the client's first DCID (RFC 9001 §5.2) — anyone on the path can]");
            }
            if p.decrypted {
                let mut frames = TreeNode::new(format!("Frames ({})", p.frames.len()));
                for f in &p.frames {
                    frames.leaf(f.clone());
                }
                n.child(frames);
            } else if let Some(e) = &p.error {
                n.leaf(format!("[Not decrypted: {e}]"));
            } else {
                n.leaf("[Protected payload: needs the session keys (--keylog)]");
            }
            root.child(n);
        }
        if self.padding > 0 {
            root.leaf(format!(
                "[Padding after the coalesced packets: {} bytes]",
                self.padding
            ));
        }
        if let Some(ch) = &self.client_hello {
            let mut t = TreeNode::new("TLSv1.3 Handshake (from the Initial CRYPTO frames)");
            t.child(ch.tree());
            t.leaf(format!("[JA4 (QUIC): {}]", ch.ja4_quic()));
            root.child(t);
        }
        if let Some(sh) = &self.server_hello {
            let mut t = TreeNode::new("TLSv1.3 Handshake (from the Initial CRYPTO frames)");
            t.child(sh.tree());
            root.child(t);
        }
        if !self.tls_messages.is_empty() {
            let mut t = TreeNode::new("TLSv1.3 Handshake (decrypted CRYPTO frames)");
            for m in &self.tls_messages {
                t.leaf(format!("Handshake Type: {m}"));
            }
            if let Some(c) = &self.certificate {
                t.child(c.tree());
            }
            root.child(t);
        }
        for (id, kind) in &self.h3_streams {
            root.leaf(format!("HTTP/3 stream {id}: {} stream", kind.name()));
        }
        for n in &self.notes {
            root.leaf(format!("[{n}]"));
        }
        root
    }

    /// JSON fields (escaped), `"type"` = `quic.initial` / `quic.packet`.
    pub fn json(&self) -> Map<String, Value> {
        let mut m = Map::new();
        m.insert("type".into(), self.record_type().into());
        m.insert(
            "packets".into(),
            self.packets
                .iter()
                .map(PacketInfo::json)
                .collect::<Vec<_>>()
                .into(),
        );
        if let Some(ch) = &self.client_hello {
            m.insert(
                "sni".into(),
                ch.sni_text().map(Value::String).unwrap_or(Value::Null),
            );
            m.insert(
                "alpn".into(),
                ch.values
                    .alpn
                    .iter()
                    .map(|a| Value::String(escape_bytes(a)))
                    .collect::<Vec<_>>()
                    .into(),
            );
            m.insert(
                "supported_versions".into(),
                ch.values
                    .supported_versions
                    .iter()
                    .map(|v| crate::dissect::tls::version_json(*v))
                    .collect::<Vec<_>>()
                    .into(),
            );
            m.insert(
                "cipher_suites".into(),
                ch.cipher_suites
                    .iter()
                    .map(|c| Value::String(ch.cipher_name(*c)))
                    .collect::<Vec<_>>()
                    .into(),
            );
            m.insert("ja4".into(), ch.ja4_quic().into());
            m.insert("ech".into(), ch.offers_ech().into());
            if let Some(n) = ch.ech_note() {
                m.insert("ech_note".into(), n.into());
            }
        }
        if !self.tls_messages.is_empty() {
            m.insert("tls_handshake_messages".into(), names(&self.tls_messages));
        }
        if let Some(c) = &self.certificate {
            m.insert(
                "certificates".into(),
                c.certificates
                    .iter()
                    .map(|x| Value::Object(x.json()))
                    .collect::<Vec<_>>()
                    .into(),
            );
        }
        if let Some(sh) = &self.server_hello {
            m.insert("server_hello".into(), true.into());
            m.insert(
                "cipher_suite".into(),
                cipher_suite_name(sh.cipher_suite).into(),
            );
        }
        if !self.notes.is_empty() {
            m.insert(
                "notes".into(),
                self.notes
                    .iter()
                    .map(|n| Value::String(n.clone()))
                    .collect::<Vec<_>>()
                    .into(),
            );
        }
        m
    }
}

/// A connection's summary, for the `quic.session` record.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QuicSummary {
    pub version: Option<u32>,
    pub original_dcid: Option<Vec<u8>>,
    pub client_scid: Option<Vec<u8>>,
    pub server_scid: Option<Vec<u8>>,
    pub sni: Option<Vec<u8>>,
    pub alpn_offered: Vec<Vec<u8>>,
    pub ja4: Option<String>,
    pub ech: bool,
    pub cipher_suite: Option<u16>,
    pub client_hello_frame: Option<u64>,
    /// Packets per type name.
    pub packet_types: BTreeMap<&'static str, u64>,
    pub decrypted: u64,
    pub decryption_failed: u64,
    /// Initial packets that could not be opened for want of the client's first Initial.
    pub not_decrypted: u64,
    /// Datagrams with zero padding after coalesced packets.
    pub coalesced_padding: u64,
    pub crypto_overflow: bool,
    /// Datagrams seen.
    pub frames: u64,
    /// TLS handshake messages seen (Initial, and with keys Handshake and 1-RTT).
    pub tls_messages: Vec<&'static str>,
    /// ALPN the server chose (EncryptedExtensions: seen with keys).
    pub alpn_selected: Option<Vec<u8>>,
    /// The key log holds secrets for this connection.
    pub keys: bool,
    /// HTTP/3 SETTINGS by sender (client, server).
    pub h3_settings: [Vec<(u64, u64)>; 2],
    pub goaway: Option<u64>,
    /// Decrypted STREAM bytes delivered in order.
    pub stream_bytes: u64,
}

impl QuicSummary {
    /// Packets beyond the Initials were opened (with the key log's secrets).
    pub fn opened_with_keys(&self) -> bool {
        self.decrypted > self.packet_types.get("Initial").copied().unwrap_or(0)
    }

    /// SNI, escaped.
    pub fn sni_text(&self) -> Option<String> {
        self.sni.as_ref().map(|s| escape_truncated(s, 512))
    }

    pub fn json(&self) -> Map<String, Value> {
        let mut m = Map::new();
        let hexo = |v: &Option<Vec<u8>>| {
            v.as_ref()
                .map(|b| Value::String(hex::encode(b)))
                .unwrap_or(Value::Null)
        };
        m.insert("type".into(), "quic.session".into());
        m.insert(
            "version".into(),
            self.version
                .map(|v| Value::String(format!("0x{v:08x}")))
                .unwrap_or(Value::Null),
        );
        m.insert("initial_dcid".into(), hexo(&self.original_dcid));
        m.insert("client_scid".into(), hexo(&self.client_scid));
        m.insert("server_scid".into(), hexo(&self.server_scid));
        m.insert(
            "sni".into(),
            self.sni_text().map(Value::String).unwrap_or(Value::Null),
        );
        m.insert(
            "alpn_offered".into(),
            self.alpn_offered
                .iter()
                .map(|a| Value::String(escape_bytes(a)))
                .collect::<Vec<_>>()
                .into(),
        );
        m.insert(
            "ja4".into(),
            self.ja4.clone().map(Value::String).unwrap_or(Value::Null),
        );
        m.insert("ech".into(), self.ech.into());
        m.insert(
            "cipher_suite".into(),
            self.cipher_suite
                .map(|c| Value::String(cipher_suite_name(c).to_string()))
                .unwrap_or(Value::Null),
        );
        let mut pt = Map::new();
        for (k, v) in &self.packet_types {
            pt.insert((*k).into(), (*v).into());
        }
        m.insert("packet_types".into(), pt.into());
        m.insert("decrypted_packets".into(), self.decrypted.into());
        m.insert("decryption_failed".into(), self.decryption_failed.into());
        m.insert("coalesced_padding".into(), self.coalesced_padding.into());
        m.insert("datagrams".into(), self.frames.into());
        m.insert("tls_handshake_messages".into(), names(&self.tls_messages));
        m.insert(
            "alpn_selected".into(),
            self.alpn_selected
                .as_ref()
                .map(|a| Value::String(escape_bytes(a)))
                .unwrap_or(Value::Null),
        );
        m.insert("keys".into(), self.keys.into());
        m.insert("decrypted".into(), self.opened_with_keys().into());
        if self.h3_settings.iter().any(|s| !s.is_empty()) {
            let side = |l: &Vec<(u64, u64)>| -> Value {
                l.iter()
                    .map(|(id, v)| {
                        let mut o = Map::new();
                        o.insert("id".into(), super::http3::setting_name(*id).into());
                        o.insert("value".into(), (*v).into());
                        Value::Object(o)
                    })
                    .collect::<Vec<_>>()
                    .into()
            };
            let mut h3 = Map::new();
            h3.insert("client_settings".into(), side(&self.h3_settings[0]));
            h3.insert("server_settings".into(), side(&self.h3_settings[1]));
            h3.insert(
                "goaway".into(),
                self.goaway.map(Value::from).unwrap_or(Value::Null),
            );
            m.insert("http3".into(), h3.into());
        }
        m.insert("stream_bytes".into(), self.stream_bytes.into());
        m
    }
}
