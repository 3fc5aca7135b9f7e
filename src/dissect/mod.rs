//! Application dissectors on reassembled TCP streams: HTTP/1.x and TLS, recognised by
//! content on any port (no port table).
//!
//! INTERFACE CONTRACT (each protocol module provides):
//! - `detect(prefix: &[u8]) -> Detect` — look at the first bytes of one direction.
//! - a per-stream type implementing [`StreamDissector`], built with `new(stream, &Config)`.
//! - an event type with `protocol()`, `info()`, `tree()`, `json()` (see [`AppKind`]).

pub mod dispatch;
pub mod http;
pub mod http2;
pub mod tls;

use crate::flow::{Direction, StreamId};
use crate::render::tree::TreeNode;

/// Result of looking at the first bytes of a direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Detect {
    Yes,
    No,
    NeedMore,
}

/// Bounds for the dissectors (configurable from the command line).
#[derive(Debug, Clone)]
pub struct DissectConfig {
    /// Largest HTTP head (request/status line + headers) accepted.
    pub max_http_head: usize,
    /// Largest HTTP body kept (raw) for decoding and leak search; longer bodies are counted
    /// but only this much is kept.
    pub max_http_body: usize,
    /// Largest decoded (decompressed) body kept.
    pub max_decoded_body: usize,
    /// Largest TLS handshake message reassembled across records.
    pub max_tls_handshake: usize,
}

impl Default for DissectConfig {
    fn default() -> Self {
        DissectConfig {
            max_http_head: 64 << 10,
            max_http_body: 8 << 20,
            max_decoded_body: 16 << 20,
            max_tls_handshake: 1 << 20,
        }
    }
}

/// One application-level event: an HTTP message, a TLS record/handshake message, a note.
#[derive(Debug, Clone)]
pub struct AppEvent {
    pub stream: StreamId,
    pub dir: Direction,
    /// The frame whose arrival completed this event (where tshark shows it).
    pub frame: u64,
    /// Every frame that carried bytes of it, in stream order, without repeats.
    pub frames: Vec<u64>,
    pub kind: AppKind,
}

#[derive(Debug, Clone)]
pub enum AppKind {
    Http(http::HttpEvent),
    Tls(tls::TlsEvent),
    /// A dissector's note (resynchronised, bound hit, parsing stopped, ...); escaped text.
    Note(String),
}

impl AppKind {
    /// A per-stream summary raised when the stream closes: it describes no frame, so it is
    /// reported with the stream (JSON, report), not on the frame that happened to close it.
    pub fn is_stream_summary(&self) -> bool {
        matches!(self, AppKind::Tls(e) if e.is_summary())
    }

    /// Protocol column: `HTTP`, `TLSv1.2`, ...
    pub fn protocol(&self) -> String {
        match self {
            AppKind::Http(e) => e.protocol(),
            AppKind::Tls(e) => e.protocol(),
            AppKind::Note(_) => "TCP".to_string(),
        }
    }

    /// Info column text (escaped).
    pub fn info(&self) -> String {
        match self {
            AppKind::Http(e) => e.info(),
            AppKind::Tls(e) => e.info(),
            AppKind::Note(n) => format!("[{n}]"),
        }
    }

    /// The `-V` layer for this event (escaped).
    pub fn tree(&self) -> TreeNode {
        match self {
            AppKind::Http(e) => e.tree(),
            AppKind::Tls(e) => e.tree(),
            AppKind::Note(n) => TreeNode::new(format!("[Note: {n}]")),
        }
    }

    /// JSON fields of the event, including `"type"` (strings escaped as for the terminal).
    pub fn json(&self) -> serde_json::Map<String, serde_json::Value> {
        match self {
            AppKind::Http(e) => e.json(),
            AppKind::Tls(e) => e.json(),
            AppKind::Note(n) => {
                let mut m = serde_json::Map::new();
                m.insert("type".into(), "note".into());
                m.insert("text".into(), n.clone().into());
                m
            }
        }
    }
}

/// A dissector attached to one stream; it sees the data of both directions in order.
pub trait StreamDissector {
    /// In-order bytes of `dir` at stream offset `offset`, carried by `frame`, delivered while
    /// `now_frame` was processed.
    fn data(
        &mut self,
        dir: Direction,
        offset: u64,
        data: &[u8],
        frame: u64,
        now_frame: u64,
        out: &mut Vec<AppEvent>,
    );
    /// `len` bytes of `dir` were never captured.
    fn hole(
        &mut self,
        dir: Direction,
        offset: u64,
        len: u64,
        now_frame: u64,
        out: &mut Vec<AppEvent>,
    );
    /// `dir` ended (FIN).
    fn end(&mut self, dir: Direction, now_frame: u64, out: &mut Vec<AppEvent>);
    /// The stream is gone: flush whatever is pending (e.g. a close-delimited body).
    fn close(&mut self, now_frame: u64, out: &mut Vec<AppEvent>);
}
