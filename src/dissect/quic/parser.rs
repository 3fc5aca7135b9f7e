//! QUIC as a registered parser of UDP sessions: each datagram emitted as a [`QuicEvent`],
//! the connection's [`QuicSummary`] when the session closes.

use std::sync::Arc;

use super::connection::QuicConnection;
use super::event::{QuicEvent, QuicSummary};
use super::header;
use crate::dissect::parser::{
    AppMessage, Chunk, Ctx, Datagram, Detect, FieldValue, HostName, Parser, ParserConfig,
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

pub fn new_parser(_info: &SessionInfo, _cfg: &ParserConfig) -> Box<dyn Parser> {
    Box::new(QuicParser::default())
}

impl Parser for QuicParser {
    fn data(&mut self, _ctx: &mut Ctx<'_>, _chunk: &Chunk<'_>) {}
    fn gap(&mut self, _ctx: &mut Ctx<'_>, _dir: Direction, _offset: u64, _len: u64) {}
    fn datagram(&mut self, ctx: &mut Ctx<'_>, d: &Datagram<'_>) {
        let ev = self.conn.datagram(d.dir, d.bytes, d.frame, d.frame_offset);
        ctx.emit(d.dir, vec![d.frame], Arc::new(ev));
    }
    fn end(&mut self, _ctx: &mut Ctx<'_>, _dir: Direction) {}
    fn close(&mut self, ctx: &mut Ctx<'_>) {
        if !self.summarised {
            self.summarised = true;
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
    fn protocol(&self) -> String {
        "QUIC".to_string()
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
            "tls" | "tls.handshake" => self.client_hello.is_some() || self.server_hello.is_some(),
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
            "tls.sni" => sni_values(self.client_hello.as_deref(), out),
            "tls.handshake.type" => {
                if self.client_hello.is_some() {
                    out.push(FieldValue::Int(1));
                }
                if self.server_hello.is_some() {
                    out.push(FieldValue::Int(2));
                }
            }
            _ => {}
        }
    }
}

impl AppMessage for QuicSummary {
    fn protocol_name(&self) -> &'static str {
        "quic"
    }
    fn protocol(&self) -> String {
        "QUIC".to_string()
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
