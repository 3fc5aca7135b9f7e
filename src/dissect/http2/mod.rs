//! HTTP/2 (RFC 9113) on one connection's reassembled bytes: frames, HPACK header blocks
//! per direction, and per-stream request/response messages in the same [`HttpMessage`]
//! type as HTTP/1.x (version `HTTP/2`, `stream_id` set), so findings and renderers treat
//! both alike.
//!
//! [`Http2Connection`] is fed the in-order bytes of each direction. The client direction may
//! begin with the connection preface; each direction is then a sequence of frames, buffered
//! until complete (bounded). Header blocks are joined over CONTINUATION frames and decoded
//! with that direction's HPACK state. Every bound (frame size, header block, CONTINUATION
//! count, header list, dynamic table, open streams, SETTINGS frames, DATA kept per stream and
//! per connection) is hit with a visible note, never by growing.

mod app;
pub mod frame;
pub mod hpack;
mod show;
#[cfg(test)]
mod tests;

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::Arc;

use crate::dissect::http::decode;
use crate::dissect::http::{
    method_name, reason_phrase, ContentDecoding, FrameList, Headers, HttpMessage, RequestLine,
    StartLine, StatusLine,
};
use crate::dissect::DissectConfig;
use crate::flow::Direction;
use crate::present::escape::escape_bytes;
use frame::{flags, FrameHeader, FrameType, Payload, PREFACE};
use hpack::HeaderDecoder;
pub use hpack::HeaderList;

pub use app::{detect_client, detect_server, new_parser, Http2Frame, Http2Message, Http2Parser};

/// Bounds of one HTTP/2 connection.
#[derive(Debug, Clone)]
pub struct Http2Bounds {
    /// Largest frame payload buffered; longer frames are skipped with a note.
    pub max_frame: usize,
    /// Largest header block (HEADERS/PUSH_PROMISE + CONTINUATION payloads).
    pub max_header_block: usize,
    /// CONTINUATION frames accepted for one header block.
    pub max_continuations: u32,
    /// Decoded header list kept per block (RFC 9113 §6.5.2 size).
    pub max_header_list: u64,
    /// Largest HPACK dynamic table a peer may choose.
    pub max_table: usize,
    /// Streams followed at once.
    pub max_streams: usize,
    /// SETTINGS frames per direction before a flood note.
    pub max_settings: u64,
    /// Body bytes kept per message (as HTTP/1 bodies).
    pub max_body: usize,
    /// Body bytes kept over all streams of the connection.
    pub max_conn_body: usize,
    /// Decoded (decompressed) body kept per message.
    pub max_decoded_body: usize,
    /// Frame events reported per call of [`Http2Connection::data`]; the rest are counted.
    pub max_frame_events: usize,
    /// Keep [`FrameEvent::raw`] and [`FrameEvent::fields_per_fragment`] (`-z follow,http2`).
    pub keep_frames: bool,
}

impl Http2Bounds {
    pub fn from_config(cfg: &DissectConfig) -> Self {
        Http2Bounds {
            max_frame: 1 << 20,
            max_header_block: cfg.max_http_head.max(1) * 4,
            max_continuations: 1000,
            max_header_list: cfg.max_http_head as u64,
            max_table: 64 << 10,
            max_streams: 1000,
            max_settings: 1000,
            max_body: cfg.max_http_body,
            max_conn_body: cfg.max_http_body.saturating_mul(4),
            max_decoded_body: cfg.max_decoded_body,
            max_frame_events: 1000,
            keep_frames: cfg.keep_http2_frames,
        }
    }
}

/// One HTTP/2 frame as seen on the wire, with what was decoded from it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrameEvent {
    pub header: FrameHeader,
    pub payload: Payload,
    /// Stream offset (of this direction) of the frame's first byte.
    pub offset: u64,
    /// The header list, on the frame that completed a header block.
    pub headers: Option<HeaderList>,
    /// Why the header block of this frame was not decoded.
    pub header_error: Option<String>,
    /// GOAWAY debug data or an unknown type's payload (at most [`KEPT_BYTES`]).
    pub bytes: Vec<u8>,
    /// Payload bytes of a frame too large to buffer (skipped, not parsed).
    pub skipped: bool,
    /// Media type of the body that this DATA frame ended (for the Info column).
    pub ended_body_type: Option<Vec<u8>>,
    /// The whole frame (header and payload) as sent, kept only when asked for
    /// ([`Http2Bounds::keep_frames`]) and not for the frames of a header block.
    pub raw: Vec<u8>,
    /// On the frame that completed a header block, when frames are kept: how many of the
    /// block's fields ended in each of its frames (the HEADERS or PUSH_PROMISE frame first,
    /// then each CONTINUATION), as a decoder fed frame by frame emits them.
    pub fields_per_fragment: Vec<u32>,
}

/// Bytes of GOAWAY debug data / unknown payloads kept per frame.
pub const KEPT_BYTES: usize = 256;

impl FrameEvent {
    /// Info column text, as tshark: `HEADERS[1]: GET /secret.html`, `DATA[3]`.
    pub fn info(&self) -> String {
        let mut s = format!("{}[{}]", self.header.kind.name(), self.header.stream_id);
        if let Some(h) = &self.headers {
            let get = |n: &str| {
                h.fields
                    .iter()
                    .find(|(k, _)| k == n.as_bytes())
                    .map(|(_, v)| v.as_slice())
            };
            if let (Some(m), Some(p)) = (get(":method"), get(":path")) {
                s.push_str(&format!(": {} {}", escape_bytes(m), escape_bytes(p)));
            } else if let Some(st) = get(":status") {
                let reason = std::str::from_utf8(st)
                    .ok()
                    .and_then(|t| t.parse::<u16>().ok())
                    .map(reason_phrase)
                    .unwrap_or("");
                s.push_str(&format!(": {}", escape_bytes(st)));
                if !reason.is_empty() {
                    s.push(' ');
                    s.push_str(reason);
                }
            }
        }
        // tshark names the body's media type when it dissects it further.
        match self.ended_body_type.as_deref() {
            None | Some(b"application/octet-stream") => {}
            Some(mt) if crate::dissect::http::is_json_media_type(mt) => s.push_str(&format!(
                ", JavaScript Object Notation ({})",
                escape_bytes(mt)
            )),
            Some(mt) => s.push_str(&format!(" ({})", escape_bytes(mt))),
        }
        s
    }
}

/// What the connection reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Http2Kind {
    /// The client connection preface.
    Magic,
    Frame(Box<FrameEvent>),
    /// A complete (or given up) request or response of one stream.
    Message(Box<HttpMessage>),
    /// A note (bound hit, stream reset, GOAWAY, malformed); escaped text.
    Note(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Http2Event {
    pub dir: Direction,
    /// The packet whose arrival completed this event.
    pub frame: u64,
    /// Packets that carried its bytes (messages: all their frames), in order.
    pub frames: Vec<u64>,
    pub kind: Http2Kind,
}

/// Packets remembered per message.
const MAX_MSG_FRAMES: usize = 10_000;

/// One side's message of a stream, while it is being received.
#[derive(Debug, Default)]
pub(crate) struct Side {
    pub(crate) head: Option<HeaderList>,
    pub(crate) trailers: Headers,
    pub(crate) body: Vec<u8>,
    pub(crate) body_len: u64,
    pub(crate) body_cut: bool,
    pub(crate) data_frames: u64,
    pub(crate) frames: Vec<u64>,
    pub(crate) notes: Vec<String>,
    pub(crate) done: bool,
    /// Packet where the head completed (requests: for `[Request in frame]`).
    pub(crate) head_frame: Option<u64>,
    pub(crate) end_frame: Option<u64>,
}

impl Side {
    pub(crate) fn add_frames(&mut self, frames: &[u64]) {
        for &f in frames {
            if self.frames.last() != Some(&f) && self.frames.len() < MAX_MSG_FRAMES {
                self.frames.push(f);
            }
        }
    }
}

/// The request a response answers (its own or, for stream 1 after `Upgrade: h2c`, the
/// HTTP/1.1 request).
#[derive(Debug, Clone, Default)]
pub(crate) struct RequestInfo {
    pub(crate) method: Option<String>,
    pub(crate) uri: Option<Vec<u8>>,
    pub(crate) host: Option<Vec<u8>>,
    /// `:scheme` is `https`.
    pub(crate) https: bool,
    pub(crate) frame: Option<u64>,
    pub(crate) index: Option<usize>,
}

#[derive(Debug, Default)]
struct H2Stream {
    /// Index 0: client side (request), 1: server side (response).
    sides: [Side; 2],
    request: RequestInfo,
    /// Side 0 was already reported (the HTTP/1.1 upgrade request, a PUSH_PROMISE).
    request_reported: bool,
}

/// A header block being collected over CONTINUATION frames.
#[derive(Debug)]
struct Pending {
    stream: u32,
    /// PUSH_PROMISE's promised stream, when the block is a promise.
    promised: Option<u32>,
    end_stream: bool,
    block: Vec<u8>,
    /// Where each frame's fragment ends in `block`.
    fragment_ends: Vec<usize>,
    continuations: u32,
    frames: Vec<u64>,
}

struct DirState {
    /// Bytes of an incomplete frame (or preface).
    buf: Vec<u8>,
    /// Stream offset of `buf[0]`.
    buf_offset: u64,
    /// Packets that carried bytes of `buf`.
    buf_frames: Vec<u64>,
    /// Bytes still to skip of a frame too large to buffer.
    skip: u64,
    /// Expecting the preface at the start of this (client) direction.
    preface_pending: bool,
    hpack: HeaderDecoder,
    pending: Option<Pending>,
    settings_seen: u64,
    settings_flood_noted: bool,
    /// The dynamic table bound was reported for this direction's SETTINGS.
    table_bound_noted: bool,
    /// A header block could not be decoded: later ones cannot be either.
    stopped: bool,
    ended: bool,
}

impl DirState {
    fn new(bounds: &Http2Bounds) -> Self {
        DirState {
            buf: Vec::new(),
            buf_offset: 0,
            buf_frames: Vec::new(),
            skip: 0,
            preface_pending: false,
            hpack: HeaderDecoder::new(bounds.max_table),
            pending: None,
            settings_seen: 0,
            settings_flood_noted: false,
            table_bound_noted: false,
            stopped: false,
            ended: false,
        }
    }
}

/// The HTTP/2 dissector of one connection.
pub struct Http2Connection {
    bounds: Http2Bounds,
    /// The direction that sends requests (the one with the preface).
    client: Direction,
    dirs: [DirState; 2],
    streams: BTreeMap<u32, H2Stream>,
    /// Streams refused at the open-streams bound (their frames are parsed, not assembled).
    refused_noted: bool,
    body_kept: usize,
    conn_body_noted: bool,
    counts: MessageCounts,
    /// Frame events reported in the current call, and those left out.
    events_this_call: usize,
    events_dropped: u64,
}

impl Http2Connection {
    /// A connection whose requests travel in `client`; that direction's first bytes may be
    /// the connection preface (reported as `Magic`).
    pub fn new(client: Direction, bounds: Http2Bounds) -> Self {
        let mut dirs = [DirState::new(&bounds), DirState::new(&bounds)];
        // Either side may turn out to send the preface (a capture that missed the SYN
        // guesses the client wrong); the one that does is the client.
        for d in &mut dirs {
            d.preface_pending = true;
        }
        Http2Connection {
            bounds,
            client,
            dirs,
            streams: BTreeMap::new(),
            refused_noted: false,
            body_kept: 0,
            conn_body_noted: false,
            counts: MessageCounts::default(),
            events_this_call: 0,
            events_dropped: 0,
        }
    }

    /// The direction that sends requests.
    pub fn client(&self) -> Direction {
        self.client
    }

    /// After HTTP/1.1 `Upgrade: h2c` and `101`: the HTTP/1.1 request is stream 1's request
    /// (RFC 9113 §3.2); it was already reported by the HTTP/1 dissector.
    pub fn upgraded_request(
        &mut self,
        method: &str,
        uri: &[u8],
        host: Option<&[u8]>,
        frame: Option<u64>,
    ) {
        let st = self.streams.entry(1).or_default();
        st.request = RequestInfo {
            method: Some(method.to_string()),
            uri: Some(uri.to_vec()),
            host: host.map(<[u8]>::to_vec),
            // h2c: the upgrade is cleartext only (RFC 9113 §3.2).
            https: false,
            frame,
            index: None,
        };
        st.sides[0].done = true;
        st.request_reported = true;
    }

    fn side_of(&self, dir: Direction) -> usize {
        usize::from(dir != self.client)
    }

    fn note(&self, dir: Direction, now: u64, text: String, out: &mut Vec<Http2Event>) {
        out.push(Http2Event {
            dir,
            frame: now,
            frames: Vec::new(),
            kind: Http2Kind::Note(text),
        });
    }

    /// In-order bytes of `dir` at stream offset `offset`, carried by packet `frame`,
    /// delivered while packet `now` was processed.
    pub fn data(
        &mut self,
        dir: Direction,
        offset: u64,
        data: &[u8],
        frame: u64,
        now: u64,
        out: &mut Vec<Http2Event>,
    ) {
        if self.dirs[dir.index()].ended {
            return;
        }
        self.events_this_call = 0;
        self.events_dropped = 0;
        self.feed(dir, offset, data, frame, now, out);
        if self.events_dropped > 0 {
            let n = self.events_dropped;
            self.note(
                dir,
                now,
                format!("{n} more HTTP/2 frames in this packet not listed"),
                out,
            );
        }
    }

    /// Split `data` into the preface and frames, buffering an incomplete one.
    fn feed(
        &mut self,
        dir: Direction,
        offset: u64,
        data: &[u8],
        frame: u64,
        now: u64,
        out: &mut Vec<Http2Event>,
    ) {
        let d = dir.index();
        let mut rest = data;
        let mut at = offset;
        while !rest.is_empty() {
            let st = &mut self.dirs[d];
            if st.skip > 0 {
                let n = usize::try_from(st.skip)
                    .unwrap_or(usize::MAX)
                    .min(rest.len());
                st.skip -= n as u64;
                rest = rest.get(n..).unwrap_or(&[]);
                at = at.saturating_add(n as u64);
                continue;
            }
            if st.buf.is_empty() {
                st.buf_offset = at;
                st.buf_frames.clear();
            }
            if st.buf_frames.last() != Some(&frame) && st.buf_frames.len() < MAX_MSG_FRAMES {
                st.buf_frames.push(frame);
            }
            // How many bytes complete the unit being buffered (preface or frame).
            let need = if st.preface_pending {
                PREFACE.len()
            } else if st.buf.len() < frame::header::LEN {
                frame::header::LEN
            } else {
                match FrameHeader::parse(&st.buf) {
                    Some(h) => frame::header::LEN + h.length as usize,
                    None => frame::header::LEN,
                }
            };
            let take = need.saturating_sub(st.buf.len()).min(rest.len());
            st.buf.extend_from_slice(rest.get(..take).unwrap_or(&[]));
            rest = rest.get(take..).unwrap_or(&[]);
            at = at.saturating_add(take as u64);
            let maybe_preface = st.preface_pending && PREFACE.starts_with(&st.buf);
            if st.buf.len() < need && (!st.preface_pending || maybe_preface) {
                continue;
            }
            if st.preface_pending {
                st.preface_pending = false;
                if st.buf == PREFACE {
                    st.buf.clear();
                    let frames = std::mem::take(&mut st.buf_frames);
                    if dir != self.client && self.streams.is_empty() {
                        self.client = dir;
                    }
                    out.push(Http2Event {
                        dir,
                        frame: now,
                        frames,
                        kind: Http2Kind::Magic,
                    });
                    continue;
                }
                // Not the preface (a server's SETTINGS, or a capture that starts late): the
                // bytes held are frame bytes; parse them again as such.
                let held = std::mem::take(&mut st.buf);
                let held_at = st.buf_offset;
                self.feed(dir, held_at, &held, frame, now, out);
                continue;
            }
            if st.buf.len() == frame::header::LEN {
                let Some(h) = FrameHeader::parse(&st.buf) else {
                    continue;
                };
                if h.length as usize > self.bounds.max_frame {
                    st.skip = u64::from(h.length);
                    let offset = st.buf_offset;
                    st.buf.clear();
                    let frames = std::mem::take(&mut st.buf_frames);
                    self.oversized_frame(dir, h, offset, frames, now, out);
                    continue;
                }
                if h.length > 0 {
                    continue;
                }
            }
            let bytes = std::mem::take(&mut st.buf);
            let frames = std::mem::take(&mut st.buf_frames);
            let offset = st.buf_offset;
            self.on_frame(dir, &bytes, offset, frames, now, out);
        }
    }

    /// Report a frame at `out[at]`: before the notes and messages it caused.
    #[allow(clippy::too_many_arguments)]
    fn push_frame(
        &mut self,
        dir: Direction,
        ev: FrameEvent,
        frames: Vec<u64>,
        now: u64,
        out: &mut Vec<Http2Event>,
        at: usize,
    ) {
        if self.events_this_call >= self.bounds.max_frame_events {
            self.events_dropped = self.events_dropped.saturating_add(1);
            return;
        }
        self.events_this_call += 1;
        let e = Http2Event {
            dir,
            frame: now,
            frames,
            kind: Http2Kind::Frame(Box::new(ev)),
        };
        out.insert(at.min(out.len()), e);
    }

    /// A frame longer than the buffer bound: reported, its payload skipped.
    fn oversized_frame(
        &mut self,
        dir: Direction,
        h: FrameHeader,
        offset: u64,
        frames: Vec<u64>,
        now: u64,
        out: &mut Vec<Http2Event>,
    ) {
        let first = out.len();
        let max = self.bounds.max_frame;
        self.note(
            dir,
            now,
            format!(
                "HTTP/2 {} frame of {} bytes is above the {max}-byte bound; payload skipped",
                h.kind.name(),
                h.length
            ),
            out,
        );
        let side = self.side_of(dir);
        match h.kind {
            FrameType::Data => {
                if let Some(s) = self.streams.get_mut(&h.stream_id) {
                    let sd = &mut s.sides[side];
                    sd.body_len = sd.body_len.saturating_add(u64::from(h.length));
                    sd.body_cut = true;
                    sd.add_frames(&frames);
                }
                if h.has(flags::END_STREAM) {
                    self.end_side(h.stream_id, side, dir, now, out);
                }
            }
            FrameType::Headers | FrameType::PushPromise | FrameType::Continuation => {
                self.stop_headers(
                    dir,
                    "header block frame above the frame bound".into(),
                    now,
                    out,
                );
            }
            _ => {}
        }
        self.push_frame(
            dir,
            FrameEvent {
                header: h,
                payload: Payload::Malformed("payload skipped (above the frame bound)".into()),
                offset,
                headers: None,
                header_error: None,
                bytes: Vec::new(),
                skipped: true,
                ended_body_type: None,
                raw: Vec::new(),
                fields_per_fragment: Vec::new(),
            },
            frames,
            now,
            out,
            first,
        );
    }

    /// This direction's header blocks can no longer be decoded.
    fn stop_headers(&mut self, dir: Direction, why: String, now: u64, out: &mut Vec<Http2Event>) {
        let st = &mut self.dirs[dir.index()];
        st.pending = None;
        if st.stopped {
            return;
        }
        st.stopped = true;
        self.note(
            dir,
            now,
            format!("{why}; HPACK state lost, later header blocks of this direction not decoded"),
            out,
        );
    }

    fn on_frame(
        &mut self,
        dir: Direction,
        bytes: &[u8],
        offset: u64,
        frames: Vec<u64>,
        now: u64,
        out: &mut Vec<Http2Event>,
    ) {
        let Some(h) = FrameHeader::parse(bytes) else {
            return;
        };
        let first = out.len();
        let payload = frame::parse_payload(&h, bytes);
        let mut ev = FrameEvent {
            header: h,
            payload: payload.clone(),
            offset,
            headers: None,
            header_error: None,
            bytes: Vec::new(),
            skipped: false,
            ended_body_type: None,
            raw: Vec::new(),
            fields_per_fragment: Vec::new(),
        };
        let header_block = matches!(
            h.kind,
            FrameType::Headers | FrameType::PushPromise | FrameType::Continuation
        );
        if self.bounds.keep_frames && !header_block {
            ev.raw = bytes.to_vec();
        }
        let d = dir.index();
        // A header block in progress admits only CONTINUATION frames of its stream.
        if let Some(p) = &self.dirs[d].pending {
            let ok = h.kind == FrameType::Continuation && h.stream_id == p.stream;
            if !ok {
                let why = format!(
                    "{} frame inside a header block of stream {}",
                    h.kind.name(),
                    p.stream
                );
                self.stop_headers(dir, why, now, out);
            }
        }
        match &payload {
            Payload::Headers { block, .. } | Payload::PushPromise { block, .. } => {
                let promised = match &payload {
                    Payload::PushPromise { promised, .. } => Some(*promised),
                    _ => None,
                };
                let block = bytes.get(block.clone()).unwrap_or(&[]);
                if self.dirs[d].stopped {
                    ev.header_error = Some("HPACK state lost earlier; not decoded".into());
                } else {
                    self.dirs[d].pending = Some(Pending {
                        stream: h.stream_id,
                        promised,
                        end_stream: h.kind == FrameType::Headers && h.has(flags::END_STREAM),
                        block: Vec::new(),
                        fragment_ends: Vec::new(),
                        continuations: 0,
                        frames: Vec::new(),
                    });
                    self.add_block(dir, block, &frames, &mut ev, now, out);
                    if h.has(flags::END_HEADERS) {
                        self.end_block(dir, &mut ev, now, out);
                    }
                }
            }
            Payload::Continuation { block } => {
                if self.dirs[d].pending.is_none() {
                    if !self.dirs[d].stopped {
                        ev.header_error = Some("CONTINUATION without a header block".into());
                    }
                } else {
                    let max = self.bounds.max_continuations;
                    let flood = self.dirs[d].pending.as_mut().is_some_and(|p| {
                        p.continuations = p.continuations.saturating_add(1);
                        p.continuations > max
                    });
                    if flood {
                        let why = format!(
                            "CONTINUATION flood: more than {max} CONTINUATION frames in one header block"
                        );
                        ev.header_error = Some(why.clone());
                        self.stop_headers(dir, why, now, out);
                    } else {
                        let block = bytes.get(block.clone()).unwrap_or(&[]);
                        self.add_block(dir, block, &frames, &mut ev, now, out);
                        if h.has(flags::END_HEADERS) {
                            self.end_block(dir, &mut ev, now, out);
                        }
                    }
                }
            }
            Payload::Data { data, .. } => {
                let data = bytes.get(data.clone()).unwrap_or(&[]);
                self.on_data(dir, h, data, &frames, &mut ev, now, out);
            }
            Payload::Settings(list) => {
                let st = &mut self.dirs[d];
                st.settings_seen = st.settings_seen.saturating_add(1);
                if st.settings_seen > self.bounds.max_settings && !st.settings_flood_noted {
                    st.settings_flood_noted = true;
                    let max = self.bounds.max_settings;
                    self.note(
                        dir,
                        now,
                        format!(
                            "SETTINGS flood: more than {max} SETTINGS frames in this direction"
                        ),
                        out,
                    );
                }
                for s in list {
                    if s.id == frame::SETTINGS_HEADER_TABLE_SIZE {
                        // The receiver's setting governs what the other side's encoder uses.
                        let cut = self.dirs[1 - d].hpack.peer_table_size(s.value);
                        if let Some(cut) = cut.filter(|_| !self.dirs[d].table_bound_noted) {
                            self.dirs[d].table_bound_noted = true;
                            self.note(
                                dir,
                                now,
                                format!(
                                    "SETTINGS_HEADER_TABLE_SIZE {} above the {cut}-byte bound; larger tables are not followed",
                                    s.value
                                ),
                                out,
                            );
                        }
                    }
                }
            }
            Payload::RstStream { error, .. } => {
                let text = format!(
                    "stream {} reset (RST_STREAM {})",
                    h.stream_id,
                    frame::error_name(*error)
                );
                self.reset_stream(h.stream_id, dir, &text, now, out);
            }
            Payload::GoAway {
                last_stream,
                error,
                debug,
            } => {
                let dbg = bytes.get(debug.clone()).unwrap_or(&[]);
                ev.bytes = dbg.get(..KEPT_BYTES.min(dbg.len())).unwrap_or(&[]).to_vec();
                let mut text = format!(
                    "GOAWAY: last stream {last_stream}, {}",
                    frame::error_name(*error)
                );
                if !dbg.is_empty() {
                    text.push_str(&format!(" ({})", escape_bytes(&ev.bytes)));
                }
                // A graceful shutdown (NO_ERROR) is the frame itself; an error is reported.
                if *error != 0 {
                    self.note(dir, now, text, out);
                }
            }
            Payload::Unknown { payload } => {
                let p = bytes.get(payload.clone()).unwrap_or(&[]);
                ev.bytes = p.get(..KEPT_BYTES.min(p.len())).unwrap_or(&[]).to_vec();
            }
            Payload::Malformed(why) => {
                let text = format!("malformed HTTP/2 frame: {why}");
                self.note(dir, now, text, out);
            }
            Payload::Priority(_) | Payload::Ping { .. } | Payload::WindowUpdate { .. } => {}
        }
        self.push_frame(dir, ev, frames, now, out, first);
    }

    /// Append a fragment of the header block in progress; past the bound the block is
    /// given up (and with it this direction's HPACK state).
    fn add_block(
        &mut self,
        dir: Direction,
        frag: &[u8],
        frames: &[u64],
        ev: &mut FrameEvent,
        now: u64,
        out: &mut Vec<Http2Event>,
    ) {
        let max = self.bounds.max_header_block;
        let Some(p) = self.dirs[dir.index()].pending.as_mut() else {
            return;
        };
        for &f in frames {
            if p.frames.last() != Some(&f) && p.frames.len() < MAX_MSG_FRAMES {
                p.frames.push(f);
            }
        }
        if p.block.len().saturating_add(frag.len()) > max {
            let why = format!("header block longer than {max} bytes");
            ev.header_error = Some(why.clone());
            self.stop_headers(dir, why, now, out);
            return;
        }
        p.block.extend_from_slice(frag);
        p.fragment_ends.push(p.block.len());
    }

    /// The header block in progress ended (END_HEADERS) on the frame `ev`.
    fn end_block(
        &mut self,
        dir: Direction,
        ev: &mut FrameEvent,
        now: u64,
        out: &mut Vec<Http2Event>,
    ) {
        let d = dir.index();
        let Some(p) = self.dirs[d].pending.take() else {
            return;
        };
        if self.dirs[d].stopped {
            ev.header_error = Some("HPACK state lost earlier; not decoded".into());
            return;
        }
        let max_list = self.bounds.max_header_list;
        let list = match self.dirs[d].hpack.decode(&p.block, max_list) {
            Ok(l) => l,
            Err(why) => {
                ev.header_error = Some(why.clone());
                self.stop_headers(dir, why, now, out);
                return;
            }
        };
        if list.cut {
            self.note(
                dir,
                now,
                format!(
                    "header list of stream {} is {} bytes ({} fields), above the {max_list}-byte bound; the rest not kept",
                    p.stream, list.size, list.count
                ),
                out,
            );
        }
        if self.bounds.keep_frames {
            ev.fields_per_fragment = hpack::fields_per_fragment(&p.block, &p.fragment_ends);
        }
        ev.headers = Some(list.clone());
        match p.promised {
            Some(promised) => self.on_promise(dir, promised, list, &p.frames, now, out),
            None => self.on_headers(dir, p.stream, list, p.end_stream, &p.frames, now, out),
        }
    }

    /// The stream's state, opening it unless the open-streams bound is reached.
    fn stream_mut(
        &mut self,
        id: u32,
        dir: Direction,
        now: u64,
        out: &mut Vec<Http2Event>,
    ) -> Option<&mut H2Stream> {
        if !self.streams.contains_key(&id) {
            if id == 0 {
                return None;
            }
            if self.streams.len() >= self.bounds.max_streams {
                if !self.refused_noted {
                    self.refused_noted = true;
                    let max = self.bounds.max_streams;
                    self.note(
                        dir,
                        now,
                        format!(
                            "more than {max} open HTTP/2 streams; further streams not assembled"
                        ),
                        out,
                    );
                }
                return None;
            }
            self.streams.insert(id, H2Stream::default());
        }
        self.streams.get_mut(&id)
    }

    #[allow(clippy::too_many_arguments)]
    fn on_headers(
        &mut self,
        dir: Direction,
        id: u32,
        list: HeaderList,
        end_stream: bool,
        frames: &[u64],
        now: u64,
        out: &mut Vec<Http2Event>,
    ) {
        let side = self.side_of(dir);
        let Some(st) = self.stream_mut(id, dir, now, out) else {
            return;
        };
        let sd = &mut st.sides[side];
        let interim = side == 1 && status_of(&list).is_some_and(|s| (100..200).contains(&s));
        if sd.head.is_none() && interim {
            // 1xx: reported at once, the final response follows on the same stream.
            let mut held = Side {
                head: Some(list),
                frames: frames.to_vec(),
                done: true,
                end_frame: Some(now),
                ..Side::default()
            };
            std::mem::swap(&mut held, sd);
            self.emit(id, 1, dir, now, out);
            if let Some(st) = self.streams.get_mut(&id) {
                st.sides[1] = held;
            }
            return;
        }
        sd.add_frames(frames);
        if sd.head.is_none() {
            sd.head = Some(list);
            sd.head_frame = Some(now);
            if side == 0 {
                // Remember the request for the response's pairing.
                st.request = request_info(sd.head.as_ref(), Some(now));
            }
        } else {
            list.push_into(&mut sd.trailers);
        }
        if end_stream {
            self.end_side(id, side, dir, now, out);
        }
    }

    /// PUSH_PROMISE: the promised stream's request, sent by the server.
    fn on_promise(
        &mut self,
        dir: Direction,
        promised: u32,
        list: HeaderList,
        frames: &[u64],
        now: u64,
        out: &mut Vec<Http2Event>,
    ) {
        let Some(st) = self.stream_mut(promised, dir, now, out) else {
            return;
        };
        st.request = request_info(Some(&list), Some(now));
        let sd = &mut st.sides[0];
        sd.head = Some(list);
        sd.head_frame = Some(now);
        sd.add_frames(frames);
        sd.notes.push("pushed by the server (PUSH_PROMISE)".into());
        self.end_side(promised, 0, dir, now, out);
    }

    #[allow(clippy::too_many_arguments)]
    fn on_data(
        &mut self,
        dir: Direction,
        h: FrameHeader,
        data: &[u8],
        frames: &[u64],
        ev: &mut FrameEvent,
        now: u64,
        out: &mut Vec<Http2Event>,
    ) {
        let side = self.side_of(dir);
        let max_body = self.bounds.max_body;
        let conn_room = self.bounds.max_conn_body.saturating_sub(self.body_kept);
        let mut conn_cut = false;
        let Some(st) = self.stream_mut(h.stream_id, dir, now, out) else {
            return;
        };
        let sd = &mut st.sides[side];
        sd.add_frames(frames);
        sd.data_frames = sd.data_frames.saturating_add(1);
        sd.body_len = sd.body_len.saturating_add(data.len() as u64);
        let room = max_body.saturating_sub(sd.body.len()).min(conn_room);
        let keep = room.min(data.len());
        if keep < data.len() {
            sd.body_cut = true;
            conn_cut = conn_room < data.len() && conn_room < max_body.saturating_sub(sd.body.len());
        }
        sd.body.extend_from_slice(data.get(..keep).unwrap_or(&[]));
        self.body_kept = self.body_kept.saturating_add(keep);
        if conn_cut && !self.conn_body_noted {
            self.conn_body_noted = true;
            let max = self.bounds.max_conn_body;
            self.note(
                dir,
                now,
                format!("HTTP/2 bodies of this connection above {max} bytes in all; the rest only counted"),
                out,
            );
        }
        if h.has(flags::END_STREAM) {
            ev.ended_body_type = self
                .streams
                .get(&h.stream_id)
                .and_then(|s| s.sides[side].head.as_ref())
                .and_then(|l| header_value(l, "content-type"))
                .map(media_type)
                .filter(|m| !m.is_empty());
            self.end_side(h.stream_id, side, dir, now, out);
        }
    }

    /// END_STREAM from `side`: report its message; forget the stream once both are done.
    fn end_side(
        &mut self,
        id: u32,
        side: usize,
        dir: Direction,
        now: u64,
        out: &mut Vec<Http2Event>,
    ) {
        let Some(st) = self.streams.get_mut(&id) else {
            return;
        };
        let sd = &mut st.sides[side];
        if sd.done {
            return;
        }
        sd.done = true;
        sd.end_frame = Some(now);
        self.emit(id, side, dir, now, out);
        self.forget_if_done(id);
    }

    fn forget_if_done(&mut self, id: u32) {
        if let Some(st) = self.streams.get(&id) {
            if st.sides.iter().all(|s| s.done) {
                if let Some(st) = self.streams.remove(&id) {
                    for s in &st.sides {
                        self.body_kept = self.body_kept.saturating_sub(s.body.len());
                    }
                }
            }
        }
    }

    fn reset_stream(
        &mut self,
        id: u32,
        dir: Direction,
        text: &str,
        now: u64,
        out: &mut Vec<Http2Event>,
    ) {
        // A reset of a stream already over (both sides ended) changes nothing to report.
        if !self.streams.contains_key(&id) {
            return;
        }
        self.note(dir, now, text.to_string(), out);
        let Some(st) = self.streams.get_mut(&id) else {
            return;
        };
        for side in 0..2 {
            let sd = &mut st.sides[side];
            if !sd.done && (sd.head.is_some() || sd.body_len > 0) {
                sd.notes.push(text.to_string());
            }
        }
        self.flush_stream(id, now, out);
    }

    /// Report whatever of the stream is unreported, then forget it.
    fn flush_stream(&mut self, id: u32, now: u64, out: &mut Vec<Http2Event>) {
        for side in 0..2 {
            let dir = if side == 0 {
                self.client
            } else {
                self.client.reverse()
            };
            let Some(st) = self.streams.get_mut(&id) else {
                return;
            };
            let sd = &mut st.sides[side];
            if sd.done {
                continue;
            }
            sd.done = true;
            if sd.head.is_none() && sd.body_len == 0 {
                continue;
            }
            sd.notes.push("stream ended without END_STREAM".into());
            self.emit(id, side, dir, now, out);
        }
        self.forget_if_done(id);
    }

    /// Build and report the message of one side of a stream.
    fn emit(&mut self, id: u32, side: usize, dir: Direction, now: u64, out: &mut Vec<Http2Event>) {
        let Some(st) = self.streams.get_mut(&id) else {
            return;
        };
        if side == 0 && st.request_reported {
            return;
        }
        let sd = std::mem::take(&mut st.sides[side]);
        // Keep the done flag (the side is over) without its data.
        st.sides[side].done = sd.done;
        if side == 0 {
            st.request_reported = true;
        }
        let frames = sd.frames.clone();
        let msg = side_message(
            "HTTP/2",
            side,
            sd,
            &mut st.request,
            &mut self.counts,
            now,
            Some(id),
            self.bounds.max_decoded_body,
        );
        out.push(Http2Event {
            dir,
            frame: now,
            frames,
            kind: Http2Kind::Message(Box::new(msg)),
        });
    }

    /// `len` bytes of `dir` were never captured: framing is lost for good in that direction.
    pub fn hole(
        &mut self,
        dir: Direction,
        offset: u64,
        len: u64,
        now: u64,
        out: &mut Vec<Http2Event>,
    ) {
        let d = dir.index();
        if self.dirs[d].ended || len == 0 {
            return;
        }
        let st = &mut self.dirs[d];
        if st.skip >= len && st.buf.is_empty() {
            st.skip -= len;
            return;
        }
        st.ended = true;
        st.buf.clear();
        self.note(
            dir,
            now,
            format!("{len} bytes missing at stream offset {offset}; HTTP/2 framing lost for this direction"),
            out,
        );
        self.finish_all(now, out);
    }

    /// `dir` ended (FIN).
    pub fn end(&mut self, dir: Direction, now: u64, out: &mut Vec<Http2Event>) {
        let st = &mut self.dirs[dir.index()];
        if st.ended {
            return;
        }
        st.ended = true;
        if !st.buf.is_empty() {
            let n = st.buf.len();
            st.buf.clear();
            self.note(
                dir,
                now,
                format!("stream ended inside an HTTP/2 frame ({n} bytes)"),
                out,
            );
        }
        if self.dirs.iter().all(|d| d.ended) {
            self.finish_all(now, out);
        }
    }

    /// The connection is gone: report every unfinished stream.
    pub fn close(&mut self, now: u64, out: &mut Vec<Http2Event>) {
        for dir in [Direction::ToServer, Direction::ToClient] {
            self.end(dir, now, out);
        }
        self.finish_all(now, out);
    }

    fn finish_all(&mut self, now: u64, out: &mut Vec<Http2Event>) {
        let ids: Vec<u32> = self.streams.keys().copied().collect();
        for id in ids {
            self.flush_stream(id, now, out);
        }
    }
}

/// The message of one side of a stream (HTTP/2, or HTTP/3 over QUIC): the start line
/// from the pseudo-headers, the body decoded by its content coding, the request a response
/// answers. `counts` numbers requests and responses on the connection.
#[allow(clippy::too_many_arguments)]
pub(crate) fn side_message(
    version: &'static str,
    side: usize,
    sd: Side,
    request: &mut RequestInfo,
    counts: &mut MessageCounts,
    now: u64,
    stream_id: Option<u32>,
    max_decoded_body: usize,
) -> HttpMessage {
    let list = sd.head.clone().unwrap_or_default();
    let mut headers = Headers::default();
    list.push_into(&mut headers);
    let mut notes = sd.notes.clone();
    if sd.head.is_none() {
        notes.push("DATA without a header block".into());
    }
    let start = if side == 0 {
        let r = &mut *request;
        let index = counts.requests;
        counts.requests = counts.requests.saturating_add(1);
        r.index = Some(index);
        r.frame = Some(now);
        StartLine::Request(RequestLine {
            method: method_name(r.method.as_deref().unwrap_or_default()),
            uri: Arc::from(r.uri.as_deref().unwrap_or_default()),
            host: r.host.as_deref().map(Arc::from),
            index,
            prev_frame: None,
        })
    } else {
        let index = counts.responses;
        counts.responses = counts.responses.saturating_add(1);
        let r = &*request;
        StartLine::Response(StatusLine {
            status: status_of(&list).unwrap_or(0),
            reason: Cow::Borrowed(reason_phrase(status_of(&list).unwrap_or(0)).as_bytes()),
            index,
            request_index: r.index,
            request_method: r.method.as_deref().map(method_name),
            request_uri: r.uri.as_deref().map(Arc::from),
            request_host: r.host.as_deref().map(Arc::from),
            request_frame: r.frame,
            since_request: None,
            prev_request_frame: None,
            prev_response_frame: None,
        })
    };
    let line = match &start {
        StartLine::Request(r) => {
            let mut l = r.method.as_bytes().to_vec();
            l.push(b' ');
            l.extend_from_slice(&r.uri);
            l.push(b' ');
            l.extend_from_slice(version.as_bytes());
            l
        }
        StartLine::Response(s) => format!("{version} {}", s.status).into_bytes(),
    };
    // The first of each, as `header_value` finds them (the fields are in the list's order).
    let content_type_at = headers.position("content-type");
    let content_encoding_at = headers.position("content-encoding");
    let content_encoding = content_encoding_at.and_then(|at| headers.value_at(at));
    let content_length = header_value(&list, "content-length").and_then(|v| {
        std::str::from_utf8(v.trim_ascii())
            .ok()?
            .parse::<u64>()
            .ok()
    });
    if sd.body_cut {
        notes.push(format!(
            "body cut at {} bytes (of {}); the rest is only counted",
            sd.body.len(),
            sd.body_len
        ));
    }
    // Undone when something reads the decoded body (see `ContentDecoding`).
    let mut decoding = None;
    let mut decoded_with = None;
    if let Some(label) = content_encoding.and_then(decode::label) {
        if !sd.body.is_empty() {
            if sd.body_cut {
                notes.push("only the body before the cut was decoded".into());
            }
            decoded_with = Some(label);
            decoding = Some(ContentDecoding::new(
                sd.body.len(),
                max_decoded_body,
                notes.len(),
            ));
        }
    }
    if list.cut {
        notes.push(format!(
            "header list cut: {} of {} fields kept",
            list.fields.len(),
            list.count
        ));
    }
    HttpMessage {
        start,
        version: version.into(),
        line,
        line_crlf: true,
        headers,
        trailers: sd.trailers,
        content_type_at,
        content_length,
        content_encoding_at,
        chunked: false,
        chunk_sizes: Vec::new(),
        chunk_count: sd.data_frames,
        body: sd.body,
        decoding,
        decoded_with,
        body_len: sd.body_len,
        body_wire_len: sd.body_len,
        body_missing: 0,
        body_complete: !sd.body_cut && sd.end_frame.is_some(),
        head_range: 0..0,
        body_range: 0..0,
        frames: FrameList::from_vec(sd.frames),
        notes,
        stream_id,
        raw_head: None,
        https: request.https,
        later: Default::default(),
    }
}

/// Requests and responses reported on a connection so far (their indexes).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct MessageCounts {
    pub requests: usize,
    pub responses: usize,
}

fn header_value<'a>(l: &'a HeaderList, name: &str) -> Option<&'a [u8]> {
    l.fields
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name.as_bytes()))
        .map(|(_, v)| v.as_slice())
}

fn status_of(l: &HeaderList) -> Option<u16> {
    std::str::from_utf8(header_value(l, ":status")?)
        .ok()?
        .parse()
        .ok()
}

fn media_type(ct: &[u8]) -> Vec<u8> {
    let end = ct.iter().position(|&b| b == b';').unwrap_or(ct.len());
    ct.get(..end).unwrap_or(&[]).trim_ascii().to_vec()
}

pub(crate) fn request_info(l: Option<&HeaderList>, frame: Option<u64>) -> RequestInfo {
    let Some(l) = l else {
        return RequestInfo::default();
    };
    RequestInfo {
        method: header_value(l, ":method").map(|m| String::from_utf8_lossy(m).into_owned()),
        uri: header_value(l, ":path").map(<[u8]>::to_vec),
        host: header_value(l, ":authority")
            .or_else(|| header_value(l, "host"))
            .map(<[u8]>::to_vec),
        https: header_value(l, ":scheme") == Some(b"https".as_slice()),
        frame,
        index: None,
    }
}
