//! Application protocol parsers on sessions, recognised by content on any port (no port
//! table): the parser interface ([`parser`]), the protocol table ([`registry`]), the
//! dispatcher that routes each session's bytes ([`dispatch`]), and one folder per protocol.

pub mod decode_as;
pub mod dispatch;
pub mod dns;
pub mod fields;
pub mod http;
pub mod http2;
pub mod parser;
pub mod quic;
pub mod registry;
pub mod tls;

pub use parser::{
    AppEvent, AppMessage, Chunk, ClearField, Ctx, Datagram, Detect, Driver, FieldValue, HostName,
    Layer, Note, Parser, ParserConfig, SessionInfo, Transport,
};

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
    /// Session keys for TLS decryption (key logs, pcapng secrets, RSA keys).
    pub decrypt: tls::decrypt::DecryptConfig,
    /// `-d` rules: sessions on these ports parsed as the named protocol (no detection).
    pub decode_as: Vec<decode_as::DecodeAs>,
    /// Keep each HTTP/1.x head's bytes as sent (`http.request.line`, `http.response.line`,
    /// `-z follow,http`): only when an output shows them.
    pub keep_raw_heads: bool,
    /// Keep each HTTP/2 frame's bytes and which of a header block's fields ended in each of
    /// its frames (`-z follow,http2`): only when that output is asked for.
    pub keep_http2_frames: bool,
    /// `-2`: where the file's HTTP/1.x messages completed, recorded by a first pass and
    /// read by the second ([`http::later`]).
    pub later: Option<std::sync::Arc<http::later::LaterFrames>>,
}

impl Default for DissectConfig {
    fn default() -> Self {
        DissectConfig {
            max_http_head: 64 << 10,
            max_http_body: 8 << 20,
            max_decoded_body: 16 << 20,
            max_tls_handshake: 1 << 20,
            decrypt: tls::decrypt::DecryptConfig::default(),
            decode_as: Vec::new(),
            keep_raw_heads: false,
            keep_http2_frames: false,
            later: None,
        }
    }
}
