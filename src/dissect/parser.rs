//! The parser interface: what a protocol parser receives, and what it can emit.
//!
//! # Adding a protocol
//!
//! 1. Make a folder `src/dissect/<proto>/` with a `mod.rs` that declares the protocol's
//!    files and is added to `src/dissect/mod.rs` (`pub mod <proto>;`).
//! 2. Write a per-session parser type implementing [`Parser`] (it must be `Send`: keep all
//!    state in the value, no globals or thread-locals). Byte-stream protocols implement
//!    [`Parser::data`], [`Parser::gap`], [`Parser::end`] and [`Parser::close`]; datagram
//!    protocols (UDP) implement [`Parser::datagram`] and [`Parser::close`].
//! 3. Write the event type(s) it emits, implementing [`AppMessage`]: the protocol column,
//!    the info text, the `-V` tree node, the JSON record, the `-Y` names and field values,
//!    and, when the message is an HTTP message or a TLS handshake message, the typed view
//!    ([`AppMessage::http`], [`AppMessage::tls`]) the findings engine reads.
//! 4. Add one row to [`super::registry::PROTOCOLS`]: the name, the transports it runs on,
//!    a content probe per direction (returning [`Detect::Yes`]/[`Detect::No`]/
//!    [`Detect::NeedMore`] on the first bytes), optional port hints, and the constructor.
//!    Nothing else in the program names the protocol: detection, dispatch, output, the
//!    display filter's presence test and the findings engine all go through the row and the
//!    [`AppMessage`] trait.
//!
//! # What a parser receives
//!
//! - [`Chunk`]: in-order bytes of one direction of a byte stream (exactly once, no
//!   overlap), with the stream offset, the frame that carried them and, when known, the
//!   offset of the bytes inside that frame.
//! - gaps (`len` bytes at `offset` were never captured), the end of a direction (FIN), and
//!   the close of the session (flush anything pending).
//! - [`Datagram`]: one UDP payload, with its direction and frame.
//!
//! # What a parser emits (through [`Ctx`])
//!
//! - [`Ctx::emit`]: an application message ([`AppMessage`]), with the frames that carried
//!   it; [`Ctx::note`]: a note (resynchronised, a bound was hit, ...).
//! - A *child byte stream* on the same session: [`Ctx::plaintext`] hands decrypted bytes to
//!   a child that is detected by content from the same registry and parsed by its own
//!   parser (TLS → HTTP/1.x or HTTP/2); [`Ctx::child_data`] does the same for any layer
//!   (HTTP/1.1 `Upgrade` → the rest of the connection). [`Ctx::open_child`] forces the
//!   child's protocol by registry name when the parent knows it (ALPN `h2`, `Upgrade: h2c`).
//!   Events of a child carry the child's [`Layer`] (`tls` for decrypted bytes), so output
//!   and findings can tell decrypted from clear.
//!
//! Session keys (for decryption) and the bounds reach a parser through the shared,
//! read-only [`ParserConfig`] given to its constructor.

use std::fmt;
use std::net::IpAddr;
use std::sync::Arc;

use super::DissectConfig;
use crate::flow::{Direction, Endpoint, StreamId};
use crate::present::tree::TreeNode;

/// Result of a content probe on the first bytes of a direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Detect {
    Yes,
    No,
    NeedMore,
}

pub use crate::flow::Transport;

/// Where the bytes of an application message were seen: on the wire, or decrypted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Layer {
    /// Bytes as carried by the transport.
    #[default]
    Clear,
    /// Bytes decrypted from TLS (or from QUIC's TLS-protected packets).
    Tls,
}

impl Layer {
    pub fn as_str(self) -> &'static str {
        match self {
            Layer::Clear => "clear",
            Layer::Tls => "tls",
        }
    }
}

/// What a parser knows of its session when it is built.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionInfo {
    /// The session index (`tcp.stream` for TCP).
    pub id: StreamId,
    pub transport: Transport,
    pub client: Endpoint,
    pub server: Endpoint,
    /// The layer this parser's bytes come from (`Tls` for a child of a decrypting parser).
    pub layer: Layer,
}

/// Secrets logged by a TLS endpoint (an NSS key log: `SSLKEYLOGFILE`), looked up by the
/// decrypting parsers. Implemented by the key-log loader; read-only and shared.
pub trait KeyStore: Send + Sync + fmt::Debug {
    /// The secret logged under `label` (e.g. `CLIENT_RANDOM`,
    /// `CLIENT_TRAFFIC_SECRET_0`) for the connection whose ClientHello random is
    /// `client_random`.
    fn secret(&self, label: &str, client_random: &[u8]) -> Option<Vec<u8>>;
}

/// The read-only configuration every parser is built with: bounds, and the session keys
/// for decryption (none unless a key log was given).
#[derive(Debug, Clone, Default)]
pub struct ParserConfig {
    pub dissect: DissectConfig,
    pub keys: Option<Arc<dyn KeyStore>>,
    /// Where parsers report the bytes they hold (the run's memory budget).
    pub meter: crate::memory::Meter,
}

impl ParserConfig {
    pub fn new(dissect: DissectConfig) -> Self {
        ParserConfig {
            dissect,
            keys: None,
            meter: crate::memory::Meter::default(),
        }
    }
}

/// Work counters a parser reports through [`Ctx::count`], summed over the run and shown by
/// `--stats`: they show that the cost of parsing follows the bytes parsed, however the
/// bytes are cut or crafted (a benchmark of work, not of time).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct ParseWork {
    /// Bytes given to HTTP/1.x parsers.
    pub http_bytes: u64,
    /// Bytes the HTTP/1.x head scanner looked at: searches for line ends and for the blank
    /// line, start-line checks, head parsing and resynchronisation.
    pub http_head_examined: u64,
}

impl ParseWork {
    pub fn add(&mut self, other: ParseWork) {
        self.http_bytes = self.http_bytes.saturating_add(other.http_bytes);
        self.http_head_examined = self
            .http_head_examined
            .saturating_add(other.http_head_examined);
    }
}

/// In-order bytes of one direction of a byte stream.
#[derive(Debug, Clone, Copy)]
pub struct Chunk<'a> {
    pub dir: Direction,
    /// Stream offset of `bytes[0]` (bytes since the start of this direction).
    pub offset: u64,
    pub bytes: &'a [u8],
    /// The frame that carried these bytes (may be earlier than the frame being processed,
    /// for out-of-order data delivered once the hole before it filled).
    pub frame: u64,
    /// Where `bytes[0]` sits inside `frame`, when these are that frame's own bytes.
    pub frame_offset: Option<usize>,
}

/// One datagram (UDP payload) of a session.
#[derive(Debug, Clone, Copy)]
pub struct Datagram<'a> {
    pub dir: Direction,
    pub bytes: &'a [u8],
    pub frame: u64,
    /// Where `bytes[0]` sits inside `frame`.
    pub frame_offset: Option<usize>,
}

/// One value of a display-filter field (`-Y`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldValue {
    Int(u64),
    /// A signed integer (`tcp.window_size_scalefactor`: -1 unknown, -2 none).
    Signed(i64),
    Str(String),
    Addr(IpAddr),
    Bool(bool),
    /// A time or time difference in nanoseconds (`frame.time_relative`).
    Time(i128),
}

/// An application message a parser emits: everything the output formats and the findings
/// engine need to know of it, defined by the protocol itself.
pub trait AppMessage: fmt::Debug + Send + Sync {
    /// The registry name of the protocol that produced it (`http`, `tls`): the `-Y`
    /// presence test and the protocol hierarchy (`frame:...:tcp:http`).
    fn protocol_name(&self) -> &'static str;
    /// The Protocol column (`HTTP`, `TLSv1.2`, ...).
    fn protocol(&self) -> std::borrow::Cow<'_, str>;
    /// The Info column text (escaped).
    fn info(&self) -> String;
    /// [`AppMessage::info`] appended to `out` (messages on the hot path write it there
    /// without a `String` of their own).
    fn push_info(&self, out: &mut String) {
        out.push_str(&self.info());
    }
    /// The `-V` tree node (escaped).
    fn tree(&self) -> TreeNode;
    /// The JSON record's own fields, including `"type"` (strings escaped).
    fn json(&self) -> serde_json::Map<String, serde_json::Value>;
    /// The same fields handed one by one to `out` (for outputs with typed columns);
    /// messages on the hot path write them without building a JSON map.
    fn fields(&self, out: &mut dyn super::fields::Fields) {
        super::fields::from_map(self.json(), out);
    }
    /// Is `name` (a protocol name or sub-name such as `http.request`) present in this message?
    fn has(&self, name: &str) -> bool {
        name == self.protocol_name()
    }
    /// Append the values of display-filter field `field` (canonical name) that this message
    /// carries.
    fn values(&self, _field: &str, _out: &mut Vec<FieldValue>) {}
    /// A per-session summary raised at close: it describes no frame, so it is reported with
    /// the session (JSON), not on the frame that happened to close it.
    fn is_session_summary(&self) -> bool {
        false
    }
    /// A dissector note's text, when this is a note rather than a protocol message.
    fn note(&self) -> Option<&str> {
        None
    }
    /// The message as an HTTP message (HTTP/1.x; HTTP/2 and HTTP/3 map theirs to the same
    /// type), for the findings engine and `--follow-format http`.
    fn http(&self) -> Option<&super::http::HttpMessage> {
        None
    }
    /// The type of the HTTP/2 frame this message is, for `-z http2,tree`.
    fn http2_frame_type(&self) -> Option<u8> {
        None
    }
    /// The message as one HTTP/2 frame, for `-z follow,http2`.
    fn http2_frame(&self) -> Option<&super::http2::FrameEvent> {
        None
    }
    /// The message as a DNS message, for `-z dns,tree`.
    fn dns(&self) -> Option<&super::dns::DnsEvent> {
        None
    }
    /// The message as a TLS event (TLS over TCP; QUIC's handshake uses the same messages),
    /// for the findings engine.
    fn tls(&self) -> Option<&super::tls::TlsEvent> {
        None
    }
    /// A session summary of a protocol that decrypts with the session keys outside TLS
    /// records (QUIC): `Some((opened, plaintext bytes))` when the keys given to the run hold
    /// secrets for it, for the report's "With the session keys" row.
    fn keyed_session(&self) -> Option<(bool, u64)> {
        None
    }
    /// A ClientHello carried outside TLS records (QUIC's Initial packets), for the findings
    /// engine (ECH).
    fn client_hello(&self) -> Option<&super::tls::ClientHello> {
        None
    }
    /// Host names this message shows an observer, with where they were seen.
    fn host_names(&self) -> Vec<HostName> {
        Vec::new()
    }
    /// Readable fields outside HTTP that an observer sees (DNS names and TXT strings): the
    /// findings engine searches them for secrets and credentials.
    fn clear_fields(&self) -> Vec<ClearField> {
        Vec::new()
    }
}

/// A host name an observer learned, and from what (`DNS`, `Host`, `SNI`, `QUIC`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostName {
    /// Raw bytes from the wire (escape before showing).
    pub name: Vec<u8>,
    pub source: &'static str,
}

/// A readable field of a message: what it is (`DNS TXT`, `DNS query name`) and its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClearField {
    pub what: &'static str,
    pub bytes: Vec<u8>,
}

/// A parser's note: resynchronised, a bound was hit, parsing stopped (escaped text).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note(pub String);

impl AppMessage for Note {
    fn protocol_name(&self) -> &'static str {
        "note"
    }
    fn protocol(&self) -> std::borrow::Cow<'_, str> {
        "TCP".into()
    }
    fn info(&self) -> String {
        format!("[{}]", self.0)
    }
    fn tree(&self) -> TreeNode {
        TreeNode::new(format!("[Note: {}]", self.0))
    }
    fn json(&self) -> serde_json::Map<String, serde_json::Value> {
        let mut m = serde_json::Map::new();
        m.insert("type".into(), "note".into());
        m.insert("text".into(), self.0.clone().into());
        m
    }
    fn has(&self, _name: &str) -> bool {
        false
    }
    fn note(&self) -> Option<&str> {
        Some(&self.0)
    }
}

/// One application-level event: a message and where it belongs.
#[derive(Debug, Clone)]
pub struct AppEvent {
    /// The session: `tcp.stream` or `udp.stream` by `transport`.
    pub stream: StreamId,
    pub transport: Transport,
    pub dir: Direction,
    /// The frame whose arrival completed this event (where tshark shows it).
    pub frame: u64,
    /// Every frame that carried bytes of it, in stream order, without repeats.
    pub frames: Vec<u64>,
    /// Where its bytes were seen (clear, or decrypted).
    pub layer: Layer,
    pub msg: Arc<dyn AppMessage>,
}

/// What a parser asks of its child streams (applied by the dispatcher after the call).
#[derive(Debug)]
pub enum ChildOp {
    /// Open child `key` now, with `protocol` forced (by registry name) or detected by
    /// content (`None`).
    Open {
        key: u64,
        layer: Layer,
        protocol: Option<&'static str>,
    },
    Data {
        key: u64,
        layer: Layer,
        dir: Direction,
        offset: u64,
        bytes: Arc<Vec<u8>>,
        frame: u64,
    },
    Gap {
        key: u64,
        dir: Direction,
        offset: u64,
        len: u64,
    },
    End {
        key: u64,
        dir: Direction,
    },
    /// Child `key` is the protocol an HTTP/1.1 request switched to: hand it that request.
    Upgrade {
        key: u64,
        request: UpgradeRequest,
    },
}

/// The HTTP/1.1 request that switched the connection to another protocol (`Upgrade`,
/// answered by `101`). For `h2c` it is HTTP/2 stream 1's request (RFC 9113 §3.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpgradeRequest {
    pub method: String,
    pub uri: Vec<u8>,
    pub host: Option<Vec<u8>>,
    /// The frame that completed the request.
    pub frame: Option<u64>,
}

/// The parser's handle on the session while one call runs: emit events, feed children.
pub struct Ctx<'a> {
    /// Work counted by the parser during this call.
    work: ParseWork,
    /// The session index.
    pub session: StreamId,
    /// The session's transport.
    pub transport: Transport,
    /// The frame being processed (the frame that completes whatever this call completes).
    pub now_frame: u64,
    /// That frame's capture time, when the caller knows it.
    pub now_ts: Option<crate::capture::Timestamp>,
    layer: Layer,
    events: &'a mut Vec<AppEvent>,
    children: &'a mut Vec<ChildOp>,
}

impl<'a> Ctx<'a> {
    /// A context on TCP stream `session` (see [`Ctx::for_session`] for any session).
    pub fn new(
        session: StreamId,
        now_frame: u64,
        layer: Layer,
        events: &'a mut Vec<AppEvent>,
        children: &'a mut Vec<ChildOp>,
    ) -> Self {
        Ctx {
            work: ParseWork::default(),
            session,
            transport: Transport::Tcp,
            now_frame,
            now_ts: None,
            layer,
            events,
            children,
        }
    }

    /// A context for a parser of session `info` (its id, transport and layer).
    pub fn for_session(
        info: &SessionInfo,
        now_frame: u64,
        events: &'a mut Vec<AppEvent>,
        children: &'a mut Vec<ChildOp>,
    ) -> Self {
        Ctx {
            transport: info.transport,
            ..Ctx::new(info.id, now_frame, info.layer, events, children)
        }
    }

    /// The same context, at the frame time `ts`.
    pub fn at(mut self, ts: Option<crate::capture::Timestamp>) -> Self {
        self.now_ts = ts;
        self
    }

    /// The layer of the bytes this parser sees.
    pub fn layer(&self) -> Layer {
        self.layer
    }

    /// Emit an application message completed now; `frames` carried its bytes.
    pub fn emit(&mut self, dir: Direction, frames: Vec<u64>, msg: Arc<dyn AppMessage>) {
        let layer = self.layer;
        self.emit_layer(dir, frames, layer, msg);
    }

    /// Emit a message whose bytes were seen at `layer` (a QUIC parser's HTTP/3 messages
    /// are decrypted although the session's own bytes are clear).
    pub fn emit_layer(
        &mut self,
        dir: Direction,
        frames: Vec<u64>,
        layer: Layer,
        msg: Arc<dyn AppMessage>,
    ) {
        self.events.push(AppEvent {
            stream: self.session,
            transport: self.transport,
            dir,
            frame: self.now_frame,
            frames,
            layer,
            msg,
        });
    }

    /// Emit a note (escaped text) about this direction.
    pub fn note(&mut self, dir: Direction, text: String) {
        self.emit(dir, Vec::new(), Arc::new(Note(text)));
    }

    /// Count work done by the parser (see [`ParseWork`]).
    pub fn count(&mut self, work: ParseWork) {
        self.work.add(work);
    }

    /// The work counted during this call.
    pub fn work(&self) -> ParseWork {
        self.work
    }

    /// Open child stream `key` with its protocol forced by registry name (`Some("http")`)
    /// or detected by content (`None`, also what feeding a child never opened does).
    pub fn open_child(&mut self, key: u64, layer: Layer, protocol: Option<&'static str>) {
        self.children.push(ChildOp::Open {
            key,
            layer,
            protocol,
        });
    }

    /// Open child stream `key` as the protocol `request` switched the connection to.
    pub fn open_upgraded(
        &mut self,
        key: u64,
        layer: Layer,
        protocol: Option<&'static str>,
        request: UpgradeRequest,
    ) {
        self.open_child(key, layer, protocol);
        self.children.push(ChildOp::Upgrade { key, request });
    }

    /// Decrypted bytes of `dir` at child stream offset `offset`, carried by `frame`: fed to
    /// the child stream 0 of layer `tls`.
    /// Decrypted bytes are shared with the event that shows them (`-x`), not copied.
    pub fn plaintext(&mut self, dir: Direction, offset: u64, bytes: Arc<Vec<u8>>, frame: u64) {
        self.children.push(ChildOp::Data {
            key: 0,
            layer: Layer::Tls,
            dir,
            offset,
            bytes,
            frame,
        });
    }

    /// Bytes of child stream `key` (of `layer`).
    pub fn child_data(
        &mut self,
        key: u64,
        layer: Layer,
        dir: Direction,
        offset: u64,
        bytes: &[u8],
        frame: u64,
    ) {
        self.children.push(ChildOp::Data {
            key,
            layer,
            dir,
            offset,
            bytes: Arc::new(bytes.to_vec()),
            frame,
        });
    }

    /// `len` bytes of child stream `key` are missing at `offset`.
    pub fn child_gap(&mut self, key: u64, dir: Direction, offset: u64, len: u64) {
        self.children.push(ChildOp::Gap {
            key,
            dir,
            offset,
            len,
        });
    }

    /// Direction `dir` of child stream `key` ended.
    pub fn child_end(&mut self, key: u64, dir: Direction) {
        self.children.push(ChildOp::End { key, dir });
    }
}

/// A protocol parser of one session (or one child stream of a session).
pub trait Parser: Send {
    /// In-order bytes of one direction.
    fn data(&mut self, ctx: &mut Ctx<'_>, chunk: &Chunk<'_>);
    /// `len` bytes of `dir` at `offset` were never captured.
    fn gap(&mut self, ctx: &mut Ctx<'_>, dir: Direction, offset: u64, len: u64);
    /// One datagram (UDP sessions).
    fn datagram(&mut self, _ctx: &mut Ctx<'_>, _datagram: &Datagram<'_>) {}
    /// `dir` ended (FIN).
    fn end(&mut self, ctx: &mut Ctx<'_>, dir: Direction);
    /// The session is gone: flush whatever is pending (e.g. a close-delimited body).
    fn close(&mut self, ctx: &mut Ctx<'_>);
    /// This parser runs on a connection an HTTP/1.1 request switched to it (called once,
    /// before any bytes).
    fn upgraded_from(&mut self, _request: &UpgradeRequest) {}
    /// Bytes [`Parser::release`] would give back to the memory budget.
    fn releasable(&self) -> usize {
        0
    }
    /// The memory budget is exceeded: give back what [`Parser::releasable`] counts, after
    /// emitting what was read so far (so it is searched and shown before it is dropped).
    /// Returns the bytes given back.
    fn release(&mut self, _ctx: &mut Ctx<'_>) -> usize {
        0
    }
}

/// Drives one parser outside the dispatcher (tests, fuzzing): keeps each direction's
/// offset and collects what the parser emits.
#[derive(Debug)]
pub struct Driver<P: Parser> {
    /// The parser driven.
    pub s: P,
    /// Next stream offset of each direction.
    pub off: [u64; 2],
    pub out: Vec<AppEvent>,
    pub children: Vec<ChildOp>,
    /// The work the parser counted, summed.
    pub work: ParseWork,
}

impl<P: Parser> Driver<P> {
    pub fn new(parser: P) -> Self {
        Driver {
            s: parser,
            off: [0, 0],
            out: Vec::new(),
            children: Vec::new(),
            work: ParseWork::default(),
        }
    }

    fn call(&mut self, now_frame: u64, f: impl FnOnce(&mut P, &mut Ctx<'_>)) {
        let mut ctx = Ctx::new(
            0,
            now_frame,
            Layer::Clear,
            &mut self.out,
            &mut self.children,
        );
        f(&mut self.s, &mut ctx);
        let work = ctx.work();
        self.work.add(work);
    }

    /// The next bytes of `dir`, carried and completed by `frame`.
    pub fn data(&mut self, dir: Direction, bytes: &[u8], frame: u64) {
        let offset = self.off[dir.index()];
        let chunk = Chunk {
            dir,
            offset,
            bytes,
            frame,
            frame_offset: None,
        };
        self.call(frame, |p, ctx| p.data(ctx, &chunk));
        self.off[dir.index()] = offset.saturating_add(bytes.len() as u64);
    }

    /// `len` bytes of `dir` missing, noticed at `frame`.
    pub fn gap(&mut self, dir: Direction, len: u64, frame: u64) {
        let offset = self.off[dir.index()];
        self.call(frame, |p, ctx| p.gap(ctx, dir, offset, len));
        self.off[dir.index()] = offset.saturating_add(len);
    }

    pub fn end(&mut self, dir: Direction, now_frame: u64) {
        self.call(now_frame, |p, ctx| p.end(ctx, dir));
    }

    pub fn close(&mut self, now_frame: u64) {
        self.call(now_frame, |p, ctx| p.close(ctx));
    }

    /// The text of every note emitted so far.
    pub fn note_texts(&self) -> Vec<String> {
        self.out
            .iter()
            .filter_map(|e| e.msg.note().map(str::to_string))
            .collect()
    }
}
