//! HTTP/2 as a registered protocol: the content probes, the [`Parser`] over an
//! [`Http2Connection`], and the two kinds of message it emits — each frame (and the
//! preface) as tshark lists them per packet, and each stream's request and response as the
//! shared [`HttpMessage`] (so `http.request.method`, findings and `--follow-format http` work
//! on HTTP/2 as on HTTP/1.x).

use std::sync::Arc;

use serde_json::{Map, Value};

use super::frame::{FrameHeader, PREFACE};
use super::{Http2Bounds, Http2Connection, Http2Event, Http2Kind};
use crate::dissect::http::{is_json_media_type, HttpMessage};
use crate::dissect::parser::{
    AppMessage, Chunk, Ctx, Detect, FieldValue, Parser, ParserConfig, SessionInfo, UpgradeRequest,
};
use crate::flow::Direction;
use crate::present::tree::TreeNode;

/// Client probe: the connection preface.
pub fn detect_client(prefix: &[u8]) -> Detect {
    let n = prefix.len().min(PREFACE.len());
    if prefix.get(..n) != PREFACE.get(..n) {
        Detect::No
    } else if n < PREFACE.len() {
        Detect::NeedMore
    } else {
        Detect::Yes
    }
}

/// Server probe: the server's connection preface is a SETTINGS frame (not an ACK) on
/// stream 0 whose length is a whole number of settings.
pub fn detect_server(prefix: &[u8]) -> Detect {
    // Length < 64 KiB, type 4, flags 0, stream 0.
    let want = [
        Some(0u8),
        None,
        None,
        Some(4),
        Some(0),
        Some(0),
        Some(0),
        Some(0),
        Some(0),
    ];
    if prefix
        .iter()
        .zip(want)
        .any(|(b, w)| w.is_some_and(|w| w != *b))
    {
        return Detect::No;
    }
    match FrameHeader::parse(prefix) {
        None => Detect::NeedMore,
        Some(h) if h.length % 6 == 0 && h.length <= 6 * 16 => Detect::Yes,
        Some(_) => Detect::No,
    }
}

pub fn new_parser(_info: &SessionInfo, cfg: &ParserConfig) -> Box<dyn Parser> {
    Box::new(Http2Parser::new(Http2Bounds::from_config(&cfg.dissect)))
}

/// The HTTP/2 parser of one connection.
pub struct Http2Parser {
    conn: Http2Connection,
    out: Vec<Http2Event>,
}

impl Http2Parser {
    pub fn new(bounds: Http2Bounds) -> Self {
        Http2Parser {
            conn: Http2Connection::new(Direction::ToServer, bounds),
            out: Vec::new(),
        }
    }

    /// Hand what the connection reported to the session.
    fn flush(&mut self, ctx: &mut Ctx<'_>) {
        for e in self.out.drain(..) {
            match e.kind {
                Http2Kind::Note(text) => ctx.note(e.dir, text),
                Http2Kind::Message(m) => ctx.emit(e.dir, e.frames, Arc::new(Http2Message(*m))),
                Http2Kind::Magic | Http2Kind::Frame(_) => {
                    let frames = e.frames.clone();
                    ctx.emit(e.dir, frames, Arc::new(Http2Frame(e)))
                }
            }
        }
    }
}

impl Parser for Http2Parser {
    fn data(&mut self, ctx: &mut Ctx<'_>, c: &Chunk<'_>) {
        self.conn.data(
            c.dir,
            c.offset,
            c.bytes,
            c.frame,
            ctx.now_frame,
            &mut self.out,
        );
        self.flush(ctx);
    }

    fn gap(&mut self, ctx: &mut Ctx<'_>, dir: Direction, offset: u64, len: u64) {
        self.conn
            .hole(dir, offset, len, ctx.now_frame, &mut self.out);
        self.flush(ctx);
    }

    fn end(&mut self, ctx: &mut Ctx<'_>, dir: Direction) {
        self.conn.end(dir, ctx.now_frame, &mut self.out);
        self.flush(ctx);
    }

    fn close(&mut self, ctx: &mut Ctx<'_>) {
        self.conn.close(ctx.now_frame, &mut self.out);
        self.flush(ctx);
    }

    fn upgraded_from(&mut self, r: &UpgradeRequest) {
        self.conn
            .upgraded_request(&r.method, &r.uri, r.host.as_deref(), r.frame);
    }
}

/// One frame (or the preface) as listed for its packet.
#[derive(Debug)]
pub struct Http2Frame(pub Http2Event);

impl AppMessage for Http2Frame {
    fn protocol_name(&self) -> &'static str {
        "http2"
    }
    /// `HTTP2/JSON` for the frame that ended a JSON body, which tshark dissects further.
    fn protocol(&self) -> std::borrow::Cow<'_, str> {
        match &self.0.kind {
            Http2Kind::Frame(f) if f.ended_body_type.as_deref().is_some_and(is_json_media_type) => {
                "HTTP2/JSON".into()
            }
            _ => "HTTP2".into(),
        }
    }
    fn info(&self) -> String {
        self.0.info()
    }
    fn tree(&self) -> TreeNode {
        self.0.tree(None)
    }
    fn json(&self) -> Map<String, Value> {
        self.0.json()
    }
    fn http2_frame_type(&self) -> Option<u8> {
        match &self.0.kind {
            Http2Kind::Frame(f) => Some(f.header.kind.code()),
            _ => None,
        }
    }
    fn http2_frame(&self) -> Option<&super::FrameEvent> {
        match &self.0.kind {
            Http2Kind::Frame(f) => Some(f),
            _ => None,
        }
    }
    fn values(&self, field: &str, out: &mut Vec<FieldValue>) {
        let Http2Kind::Frame(f) = &self.0.kind else {
            return;
        };
        let text = |b: &[u8]| FieldValue::Str(String::from_utf8_lossy(b).into_owned());
        match field {
            "http2.streamid" => out.push(FieldValue::Int(f.header.stream_id.into())),
            "http2.type" => out.push(FieldValue::Int(f.header.kind.code().into())),
            "http2.flags" => out.push(FieldValue::Int(f.header.flags.into())),
            "http2.length" => out.push(FieldValue::Int(f.header.length.into())),
            "http2.header.name" => out.extend(
                f.headers
                    .iter()
                    .flat_map(|l| &l.fields)
                    .map(|(n, _)| text(n)),
            ),
            "http2.header.value" => out.extend(
                f.headers
                    .iter()
                    .flat_map(|l| &l.fields)
                    .map(|(_, v)| text(v)),
            ),
            _ => {
                // A pseudo-header as its own field (`http2.headers.method` for `:method`).
                if let Some(pseudo) = field.strip_prefix("http2.headers.") {
                    out.extend(
                        f.headers
                            .iter()
                            .flat_map(|l| &l.fields)
                            .filter(|(n, _)| n.strip_prefix(b":") == Some(pseudo.as_bytes()))
                            .filter_map(|(_, v)| match pseudo {
                                // An integer in tshark; a status that is not one is left out.
                                "status" => std::str::from_utf8(v)
                                    .ok()
                                    .and_then(|t| t.parse::<u16>().ok())
                                    .map(|n| FieldValue::Int(n.into())),
                                _ => Some(text(v)),
                            }),
                    );
                }
            }
        }
    }
}

/// A request or response of one HTTP/2 stream. Its frames are what the packet list shows,
/// so it adds nothing to the Info column; everything else is the HTTP message's.
#[derive(Debug)]
pub struct Http2Message(pub HttpMessage);

impl AppMessage for Http2Message {
    fn protocol_name(&self) -> &'static str {
        "http2"
    }
    fn protocol(&self) -> std::borrow::Cow<'_, str> {
        if self.0.json_body().is_some() {
            "HTTP2/JSON".into()
        } else {
            "HTTP2".into()
        }
    }
    fn info(&self) -> String {
        String::new()
    }
    fn tree(&self) -> TreeNode {
        self.0.tree()
    }
    fn json(&self) -> Map<String, Value> {
        self.0.json()
    }
    fn has(&self, name: &str) -> bool {
        name == "http2" || self.0.has(name)
    }
    fn values(&self, field: &str, out: &mut Vec<FieldValue>) {
        self.0.stream_values(field, out);
    }
    fn http(&self) -> Option<&HttpMessage> {
        Some(&self.0)
    }
}
