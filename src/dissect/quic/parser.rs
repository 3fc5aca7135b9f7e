//! QUIC as a registered parser of UDP sessions: each datagram emitted as a [`QuicEvent`],
//! the connection's [`QuicSummary`] when the session closes.

use std::sync::Arc;

use super::connection::QuicConnection;
use super::event::{QuicEvent, QuicSummary};
use super::header;
use crate::dissect::http::HttpMessage;
use crate::dissect::http2::Http2Bounds;
use crate::dissect::parser::{
    AppMessage, Chunk, Ctx, Datagram, Detect, FieldValue, HostName, Layer, Parser, ParserConfig,
    SessionInfo,
};
use crate::dissect::tls::ClientHello;
use crate::flow::Direction;
use crate::present::tree::TreeNode;

/// Content probe: a long header with the fixed bit and version 1 or 2.
pub fn detect(prefix: &[u8]) -> Detect {
    if header::looks_like_quic(prefix) {
        Detect::Yes
    } else {
        Detect::No
    }
}

/// QUIC parser of one UDP session.
#[derive(Debug, Default)]
pub struct QuicParser {
    conn: QuicConnection,
    summarised: bool,
}

pub fn new_parser(_info: &SessionInfo, cfg: &ParserConfig) -> Box<dyn Parser> {
    Box::new(QuicParser {
        conn: QuicConnection::with_keys(cfg.keys.clone(), Http2Bounds::from_config(&cfg.dissect)),
        summarised: false,
    })
}

impl QuicParser {
    /// The HTTP/3 messages an event completed, as their own (decrypted) events.
    fn messages(ctx: &mut Ctx<'_>, ev: &mut QuicEvent) {
        for m in ev.messages.drain(..) {
            ctx.emit_layer(m.dir, m.frames, Layer::Tls, Arc::new(Http3Message(*m.msg)));
        }
    }
}

impl Parser for QuicParser {
    fn data(&mut self, _ctx: &mut Ctx<'_>, _chunk: &Chunk<'_>) {}
    fn gap(&mut self, _ctx: &mut Ctx<'_>, _dir: Direction, _offset: u64, _len: u64) {}
    fn datagram(&mut self, ctx: &mut Ctx<'_>, d: &Datagram<'_>) {
        let mut ev = self.conn.datagram(d.dir, d.bytes, d.frame, d.frame_offset);
        let mut messages = QuicEvent {
            messages: std::mem::take(&mut ev.messages),
            ..QuicEvent::default()
        };
        ctx.emit(d.dir, vec![d.frame], Arc::new(ev));
        Self::messages(ctx, &mut messages);
    }
    fn end(&mut self, _ctx: &mut Ctx<'_>, _dir: Direction) {}
    fn close(&mut self, ctx: &mut Ctx<'_>) {
        if !self.summarised {
            self.summarised = true;
            let mut ev = self.conn.close(ctx.now_frame);
            Self::messages(ctx, &mut ev);
            ctx.emit(
                Direction::ToServer,
                Vec::new(),
                Arc::new(self.conn.summary()),
            );
        }
    }
}

fn sni_values(ch: Option<&ClientHello>, out: &mut Vec<FieldValue>) {
    if let Some(s) = ch.and_then(|c| c.values.sni.as_deref()) {
        out.push(FieldValue::Str(String::from_utf8_lossy(s).into_owned()));
    }
}

impl AppMessage for QuicEvent {
    fn protocol_name(&self) -> &'static str {
        "quic"
    }
    fn protocol(&self) -> std::borrow::Cow<'_, str> {
        if self.has_h3() { "HTTP3" } else { "QUIC" }.into()
    }
    fn info(&self) -> String {
        QuicEvent::info(self)
    }
    fn tree(&self) -> TreeNode {
        QuicEvent::tree(self)
    }
    fn json(&self) -> serde_json::Map<String, serde_json::Value> {
        QuicEvent::json(self)
    }
    fn has(&self, name: &str) -> bool {
        match name {
            "quic" => true,
            "quic.initial" => self.has_initial(),
            "http3" => self.has_h3(),
            "tls" | "tls.handshake" => {
                self.client_hello.is_some()
                    || self.server_hello.is_some()
                    || !self.tls_types.is_empty()
            }
            _ => false,
        }
    }
    fn client_hello(&self) -> Option<&ClientHello> {
        self.client_hello.as_deref()
    }
    fn host_names(&self) -> Vec<HostName> {
        self.client_hello
            .as_ref()
            .and_then(|c| c.values.sni.clone())
            .map(|name| HostName {
                name,
                source: "QUIC",
            })
            .into_iter()
            .collect()
    }
    fn values(&self, field: &str, out: &mut Vec<FieldValue>) {
        match field {
            "quic.version" => out.extend(
                self.packets
                    .iter()
                    .filter(|p| p.version != 0)
                    .map(|p| FieldValue::Int(p.version.into())),
            ),
            "quic.long.packet_type" => out.extend(self.packets.iter().filter_map(|p| {
                let code = match p.ptype {
                    header::PacketType::Initial => 0,
                    header::PacketType::ZeroRtt => 1,
                    header::PacketType::Handshake => 2,
                    header::PacketType::Retry => 3,
                    _ => return None,
                };
                Some(FieldValue::Int(code))
            })),
            "quic.dcid" => out.extend(
                self.packets
                    .iter()
                    .filter(|p| !p.dcid.is_empty())
                    .map(|p| FieldValue::Str(hex::encode(&p.dcid))),
            ),
            "quic.scid" => out.extend(
                self.packets
                    .iter()
                    .filter(|p| !p.scid.is_empty())
                    .map(|p| FieldValue::Str(hex::encode(&p.scid))),
            ),
            "tls.sni" => sni_values(self.client_hello.as_deref(), out),
            "tls.handshake.version"
            | "tls.handshake.ciphersuite"
            | "tls.handshake.extension.type"
            | "tls.handshake.extensions_alpn_str"
            | "tls.handshake.extensions.supported_version"
            | "tls.handshake.extensions_supported_group" => {
                crate::dissect::tls::hello_values(
                    field,
                    self.client_hello.as_deref(),
                    self.server_hello.as_deref(),
                    out,
                );
                for e in &self.tls_extensions {
                    crate::dissect::tls::extension_values(field, &e.values, &e.list, out);
                }
            }
            "tls.handshake.type" => {
                if self.client_hello.is_some() {
                    out.push(FieldValue::Int(1));
                }
                if self.server_hello.is_some() {
                    out.push(FieldValue::Int(2));
                }
                out.extend(self.tls_types.iter().map(|t| FieldValue::Int((*t).into())));
            }
            _ => {}
        }
    }
}

/// An HTTP/3 request or response (decrypted with the key log): the HTTP message, as
/// HTTP/1.x and HTTP/2 show theirs. Its frames are listed with the QUIC packets, so it
/// adds nothing to the Info column.
#[derive(Debug)]
pub struct Http3Message(pub HttpMessage);

impl AppMessage for Http3Message {
    fn protocol_name(&self) -> &'static str {
        "http3"
    }
    fn protocol(&self) -> std::borrow::Cow<'_, str> {
        "HTTP3".into()
    }
    fn info(&self) -> String {
        String::new()
    }
    fn tree(&self) -> TreeNode {
        self.0.tree()
    }
    fn json(&self) -> serde_json::Map<String, serde_json::Value> {
        self.0.json()
    }
    fn has(&self, name: &str) -> bool {
        name == "http3" || self.0.has(name)
    }
    fn values(&self, field: &str, out: &mut Vec<FieldValue>) {
        self.0.stream_values(field, out);
    }
    fn http(&self) -> Option<&HttpMessage> {
        Some(&self.0)
    }
}

impl AppMessage for QuicSummary {
    fn protocol_name(&self) -> &'static str {
        "quic"
    }
    fn protocol(&self) -> std::borrow::Cow<'_, str> {
        "QUIC".into()
    }
    fn info(&self) -> String {
        let mut s = "QUIC connection".to_string();
        if let Some(sni) = self.sni_text() {
            s.push_str(&format!(", SNI {sni}"));
        }
        s
    }
    fn tree(&self) -> TreeNode {
        TreeNode::new(self.info())
    }
    fn json(&self) -> serde_json::Map<String, serde_json::Value> {
        QuicSummary::json(self)
    }
    fn is_session_summary(&self) -> bool {
        true
    }
    fn keyed_session(&self) -> Option<(bool, u64)> {
        self.keys
            .then(|| (self.opened_with_keys(), self.stream_bytes))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dissect::parser::{ChildOp, Ctx, Layer};

    #[test]
    fn probe_accepts_long_headers_of_known_versions_only() {
        let mut p = hex::decode("c300000001088394c8f03e5157080000449e00000002").unwrap();
        p.resize(1200, 0);
        assert_eq!(detect(&p), Detect::Yes);
        p[4] = 0x1d; // an unknown version
        assert_eq!(detect(&p), Detect::No);
        assert_eq!(detect(&[0x40, 1, 2, 3]), Detect::No);
        assert_eq!(detect(&[]), Detect::No);
    }

    #[test]
    fn datagram_and_close_emit_events_and_summary() {
        let mut parser = QuicParser::default();
        let mut out = Vec::new();
        let mut children: Vec<ChildOp> = Vec::new();
        let mut p = hex::decode("c300000001088394c8f03e5157080000449e00000002").unwrap();
        p.resize(1200, 0);
        {
            let mut ctx = Ctx::new(3, 1, Layer::Clear, &mut out, &mut children);
            let d = Datagram {
                dir: Direction::ToServer,
                bytes: &p,
                frame: 1,
                frame_offset: Some(42),
            };
            parser.datagram(&mut ctx, &d);
            parser.close(&mut ctx);
            parser.close(&mut ctx);
        }
        assert_eq!(out.len(), 2);
        assert!(out[0].msg.has("quic.initial"));
        // The zeros are no valid ciphertext: the tag check fails, and says so.
        assert_eq!(out[0].msg.json()["packets"][0]["decrypted"], false);
        assert!(out[1].msg.is_session_summary());
        assert_eq!(out[1].msg.json()["initial_dcid"], "8394c8f03e515708");
        assert_eq!(out[1].msg.json()["decryption_failed"], 1);
    }
}
