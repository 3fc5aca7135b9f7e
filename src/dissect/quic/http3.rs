//! HTTP/3 (RFC 9114) over the decrypted QUIC streams of one connection: the control
//! streams (SETTINGS, GOAWAY, MAX_PUSH_ID), the QPACK encoder streams feeding each side's
//! dynamic table ([`super::qpack`]), and the request streams whose HEADERS and DATA frames
//! become the same [`HttpMessage`] as HTTP/1.x and HTTP/2 (version `HTTP/3`).

use std::collections::BTreeMap;

use super::header::read_varint;
use super::qpack::{QpackDecoder, Section, MAX_FIELDS};
use crate::dissect::http::{Headers, HttpMessage};
use crate::dissect::http2::{
    request_info, side_message, HeaderList, Http2Bounds, MessageCounts, RequestInfo, Side,
};
use crate::flow::Direction;

/// HTTP/3 frame types (RFC 9114 §7.2).
pub const DATA: u64 = 0x00;
pub const HEADERS: u64 = 0x01;
pub const CANCEL_PUSH: u64 = 0x03;
pub const SETTINGS: u64 = 0x04;
pub const PUSH_PROMISE: u64 = 0x05;
pub const GOAWAY: u64 = 0x07;
pub const MAX_PUSH_ID: u64 = 0x0d;

/// SETTINGS_QPACK_MAX_TABLE_CAPACITY (RFC 9204 §5).
const SETTINGS_QPACK_MAX_TABLE_CAPACITY: u64 = 0x01;

/// Header blocks waiting for encoder-stream inserts, over the connection.
const MAX_BLOCKED: usize = 64;

/// Name of a frame type as tshark lists it.
pub fn frame_name(t: u64) -> String {
    match t {
        DATA => "DATA".into(),
        HEADERS => "HEADERS".into(),
        CANCEL_PUSH => "CANCEL_PUSH".into(),
        SETTINGS => "SETTINGS".into(),
        PUSH_PROMISE => "PUSH_PROMISE".into(),
        GOAWAY => "GOAWAY".into(),
        MAX_PUSH_ID => "MAX_PUSH_ID".into(),
        t if t >= 0x21 && (t - 0x21) % 0x1f == 0 => "Reserved".into(),
        t => format!("Unknown(0x{t:x})"),
    }
}

/// Name of a setting identifier.
pub fn setting_name(id: u64) -> String {
    match id {
        0x01 => "QPACK_MAX_TABLE_CAPACITY".into(),
        0x06 => "MAX_FIELD_SECTION_SIZE".into(),
        0x07 => "QPACK_BLOCKED_STREAMS".into(),
        0x08 => "ENABLE_CONNECT_PROTOCOL".into(),
        0x33 => "H3_DATAGRAM".into(),
        id => format!("0x{id:x}"),
    }
}

/// What a unidirectional stream carries (RFC 9114 §6.2, RFC 9204 §4.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreamKind {
    Request,
    Control,
    Push,
    QpackEncoder,
    QpackDecoder,
    /// An unknown or reserved type: read no further.
    Other(u64),
}

impl StreamKind {
    pub fn name(self) -> String {
        match self {
            StreamKind::Request => "request".into(),
            StreamKind::Control => "control".into(),
            StreamKind::Push => "push".into(),
            StreamKind::QpackEncoder => "QPACK encoder".into(),
            StreamKind::QpackDecoder => "QPACK decoder".into(),
            StreamKind::Other(t) => format!("type 0x{t:x}"),
        }
    }
}

/// One side of one stream: bytes not yet a whole frame, and where a DATA payload stands.
#[derive(Debug, Default)]
struct Flow {
    buf: Vec<u8>,
    /// DATA payload bytes still to come in the current frame.
    data_left: u64,
    /// Payload bytes of an oversized or ignored frame still to skip.
    skip: u64,
    fin: bool,
    /// A HEADERS block waiting for encoder-stream inserts.
    blocked: Option<(Vec<u8>, u64)>,
    /// The message of this side was reported.
    reported: bool,
}

#[derive(Debug)]
struct H3Stream {
    kind: Option<StreamKind>,
    flows: [Flow; 2],
    sides: [Side; 2],
    request: RequestInfo,
}

impl H3Stream {
    fn new(kind: Option<StreamKind>) -> Self {
        H3Stream {
            kind,
            flows: Default::default(),
            sides: Default::default(),
            request: RequestInfo::default(),
        }
    }
}

/// What the HTTP/3 layer reports while bytes arrive.
#[derive(Debug)]
pub enum H3Out {
    /// A frame (or a stream type) seen on `stream`: for the packet's Info and tree.
    Frame {
        stream: u64,
        text: String,
    },
    /// A unidirectional stream said what it carries.
    StreamType {
        stream: u64,
        kind: StreamKind,
    },
    Message {
        dir: Direction,
        frames: Vec<u64>,
        msg: Box<HttpMessage>,
    },
    Note(String),
}

/// What reading one frame asks for next.
enum Step {
    More,
    Stop,
    Headers,
    Settings(Vec<(u64, u64)>),
}

/// The HTTP/3 state of one QUIC connection.
#[derive(Debug)]
pub struct Http3 {
    bounds: Http2Bounds,
    /// QPACK decoders by the sending side (0: client, 1: server).
    qpack: [QpackDecoder; 2],
    streams: BTreeMap<u64, H3Stream>,
    counts: MessageCounts,
    /// SETTINGS by sender.
    pub settings: [Vec<(u64, u64)>; 2],
    pub goaway: Option<u64>,
    blocked: usize,
    streams_full_noted: bool,
}

fn side_of(dir: Direction) -> usize {
    match dir {
        Direction::ToServer => 0,
        Direction::ToClient => 1,
    }
}

fn dir_of(side: usize) -> Direction {
    if side == 0 {
        Direction::ToServer
    } else {
        Direction::ToClient
    }
}

impl Http3 {
    pub fn new(bounds: Http2Bounds) -> Self {
        Http3 {
            bounds,
            qpack: Default::default(),
            streams: BTreeMap::new(),
            counts: MessageCounts::default(),
            settings: Default::default(),
            goaway: None,
            blocked: 0,
            streams_full_noted: false,
        }
    }

    /// In-order bytes of `stream` sent in `dir`, carried by `frame`; `fin` when they end
    /// the stream in that direction.
    pub fn stream_data(
        &mut self,
        stream: u64,
        dir: Direction,
        bytes: &[u8],
        fin: bool,
        frame: u64,
        out: &mut Vec<H3Out>,
    ) {
        let s = side_of(dir);
        if !self.streams.contains_key(&stream) {
            if self.streams.len() >= self.bounds.max_streams {
                if !self.streams_full_noted {
                    self.streams_full_noted = true;
                    out.push(H3Out::Note(format!(
                        "more than {} HTTP/3 streams at once; the rest not followed",
                        self.bounds.max_streams
                    )));
                }
                return;
            }
            let kind = (stream & 0x02 == 0).then_some(StreamKind::Request);
            self.streams.insert(stream, H3Stream::new(kind));
        }
        let Some(st) = self.streams.get_mut(&stream) else {
            return;
        };
        let Some(flow) = st.flows.get_mut(s) else {
            return;
        };
        flow.buf.extend_from_slice(bytes);
        flow.fin |= fin;
        if st.kind.is_none() {
            let Some((t, n)) = read_varint(&flow.buf, 0) else {
                return;
            };
            flow.buf.drain(..n);
            let kind = match t {
                0x00 => StreamKind::Control,
                0x01 => StreamKind::Push,
                0x02 => StreamKind::QpackEncoder,
                0x03 => StreamKind::QpackDecoder,
                t => StreamKind::Other(t),
            };
            st.kind = Some(kind);
            out.push(H3Out::StreamType { stream, kind });
        }
        match st.kind {
            Some(StreamKind::QpackEncoder) => {
                let b = std::mem::take(&mut flow.buf);
                if let Some(q) = self.qpack.get_mut(s) {
                    q.encoder_stream(&b);
                    if let Some(e) = q.broken.take() {
                        out.push(H3Out::Note(format!(
                            "QPACK encoder stream of the {}: {e}; its dynamic table is lost",
                            if s == 0 { "client" } else { "server" }
                        )));
                        q.broken = Some(e);
                    }
                }
                self.unblock(s, frame, out);
            }
            Some(StreamKind::Control | StreamKind::Request) => {
                self.frames(stream, s, frame, out);
            }
            _ => {
                flow.buf.clear();
            }
        }
    }

    /// Read the whole frames buffered on one side of a control or request stream.
    fn frames(&mut self, stream: u64, s: usize, frame: u64, out: &mut Vec<H3Out>) {
        loop {
            match self.next_frame(stream, s, frame, out) {
                Step::More => {}
                Step::Stop => break,
                Step::Headers => self.try_headers(stream, s, out),
                Step::Settings(list) => {
                    // The sender's QPACK_MAX_TABLE_CAPACITY bounds what the *other* side's
                    // encoder may use.
                    if let Some((_, cap)) = list
                        .iter()
                        .find(|(id, _)| *id == SETTINGS_QPACK_MAX_TABLE_CAPACITY)
                    {
                        if let Some(q) = self.qpack.get_mut(1 - s) {
                            q.set_max_capacity(*cap);
                        }
                    }
                    if let Some(slot) = self.settings.get_mut(s) {
                        *slot = list;
                    }
                }
            }
        }
        self.maybe_finish(stream, s, frame, out);
    }

    /// Consume one frame (or part of a DATA payload) of one side.
    fn next_frame(&mut self, stream: u64, s: usize, frame: u64, out: &mut Vec<H3Out>) -> Step {
        let max_frame = self.bounds.max_frame as u64;
        let max_body = self.bounds.max_body;
        let Some(st) = self.streams.get_mut(&stream) else {
            return Step::Stop;
        };
        let is_request = st.kind == Some(StreamKind::Request);
        let (Some(flow), Some(side)) = (st.flows.get_mut(s), st.sides.get_mut(s)) else {
            return Step::Stop;
        };
        if flow.data_left > 0 || flow.skip > 0 {
            let n = usize::try_from(flow.data_left.max(flow.skip))
                .unwrap_or(usize::MAX)
                .min(flow.buf.len());
            if n == 0 {
                return Step::Stop;
            }
            let chunk: Vec<u8> = flow.buf.drain(..n).collect();
            if flow.data_left > 0 {
                flow.data_left -= n as u64;
                side.add_frames(&[frame]);
                side.body_len += n as u64;
                let room = max_body.saturating_sub(side.body.len());
                if chunk.len() > room {
                    side.body_cut = true;
                }
                side.body
                    .extend_from_slice(chunk.get(..room.min(chunk.len())).unwrap_or(&[]));
            } else {
                flow.skip -= n as u64;
            }
            return Step::More;
        }
        let Some((ty, a)) = read_varint(&flow.buf, 0) else {
            return Step::Stop;
        };
        let Some((len, b)) = read_varint(&flow.buf, a) else {
            return Step::Stop;
        };
        let head = a + b;
        if ty == DATA && is_request {
            out.push(H3Out::Frame {
                stream,
                text: frame_name(ty),
            });
            flow.buf.drain(..head);
            flow.data_left = len;
            side.data_frames += 1;
            side.add_frames(&[frame]);
            return Step::More;
        }
        if len > max_frame {
            out.push(H3Out::Frame {
                stream,
                text: frame_name(ty),
            });
            flow.buf.drain(..head);
            flow.skip = len;
            out.push(H3Out::Note(format!(
                "HTTP/3 {} frame of {len} bytes above the bound; skipped",
                frame_name(ty)
            )));
            return Step::More;
        }
        let end = head + len as usize;
        let Some(payload) = flow.buf.get(head..end).map(<[u8]>::to_vec) else {
            return Step::Stop;
        };
        flow.buf.drain(..end);
        out.push(H3Out::Frame {
            stream,
            text: frame_name(ty),
        });
        match ty {
            HEADERS if is_request => {
                side.add_frames(&[frame]);
                if flow.blocked.is_some() {
                    side.notes
                        .push("HEADERS after a blocked header block; not decoded".into());
                    return Step::More;
                }
                flow.blocked = Some((payload, frame));
                self.blocked += 1;
                Step::Headers
            }
            SETTINGS => {
                let mut at = 0;
                let mut list = Vec::new();
                while let (Some((id, n)), true) = (read_varint(&payload, at), list.len() < 64) {
                    let Some((v, m)) = read_varint(&payload, at + n) else {
                        break;
                    };
                    at += n + m;
                    list.push((id, v));
                }
                Step::Settings(list)
            }
            GOAWAY => {
                self.goaway = read_varint(&payload, 0).map(|(v, _)| v);
                Step::More
            }
            _ => Step::More,
        }
    }

    /// Decode a waiting header block of `stream`'s side `s` if its inserts are there.
    fn try_headers(&mut self, stream: u64, s: usize, out: &mut Vec<H3Out>) {
        let Some(st) = self.streams.get_mut(&stream) else {
            return;
        };
        let (Some(flow), Some(side), Some(q)) = (
            st.flows.get_mut(s),
            st.sides.get_mut(s),
            self.qpack.get_mut(s),
        ) else {
            return;
        };
        let Some((block, frame)) = flow.blocked.take() else {
            return;
        };
        match q.check(&block) {
            Ok(Section::Blocked(_)) if q.broken.is_none() => {
                if self.blocked > MAX_BLOCKED {
                    side.notes
                        .push("too many blocked QPACK header blocks; not decoded".into());
                    self.blocked = self.blocked.saturating_sub(1);
                } else {
                    flow.blocked = Some((block, frame));
                }
                return;
            }
            _ => {}
        }
        self.blocked = self.blocked.saturating_sub(1);
        match q.decode(&block) {
            Ok((fields, dropped)) => {
                let size = fields
                    .iter()
                    .map(|(n, v)| (n.len() + v.len()) as u64 + 32)
                    .sum();
                let count = (fields.len() + dropped) as u64;
                let list = HeaderList {
                    fields,
                    size,
                    count,
                    cut: dropped > 0,
                };
                if side.head.is_none() {
                    if s == 0 {
                        st.request = request_info(Some(&list), Some(frame));
                    }
                    side.head = Some(list);
                    side.head_frame = Some(frame);
                } else {
                    side.trailers = Headers::default();
                    list.push_into(&mut side.trailers);
                }
            }
            Err(e) => {
                side.notes.push(format!("header block not decoded: {e}"));
                out.push(H3Out::Note(format!(
                    "stream {stream}: header block not decoded: {e}"
                )));
            }
        }
        if fields_over(side) {
            side.notes
                .push(format!("more than {MAX_FIELDS} fields; the rest not kept"));
        }
    }

    /// Encoder-stream inserts of side `s` arrived: retry its blocked header blocks.
    fn unblock(&mut self, s: usize, frame: u64, out: &mut Vec<H3Out>) {
        let waiting: Vec<u64> = self
            .streams
            .iter()
            .filter(|(_, st)| st.flows.get(s).is_some_and(|f| f.blocked.is_some()))
            .map(|(id, _)| *id)
            .collect();
        for id in waiting {
            self.try_headers(id, s, out);
            self.frames(id, s, frame, out);
        }
    }

    /// Report side `s` of a request stream once its FIN came and its head is decoded.
    fn maybe_finish(&mut self, stream: u64, s: usize, now: u64, out: &mut Vec<H3Out>) {
        let Some(st) = self.streams.get_mut(&stream) else {
            return;
        };
        if st.kind != Some(StreamKind::Request) {
            return;
        }
        let Some(flow) = st.flows.get(s) else {
            return;
        };
        if !flow.fin
            || flow.reported
            || flow.blocked.is_some()
            || !flow.buf.is_empty()
            || flow.data_left > 0
        {
            return;
        }
        if let Some(side) = st.sides.get_mut(s) {
            side.end_frame = Some(now);
        }
        self.report(stream, s, now, out);
    }

    fn report(&mut self, stream: u64, s: usize, now: u64, out: &mut Vec<H3Out>) {
        let Some(st) = self.streams.get_mut(&stream) else {
            return;
        };
        let Some(flow) = st.flows.get_mut(s) else {
            return;
        };
        flow.reported = true;
        let Some(slot) = st.sides.get_mut(s) else {
            return;
        };
        let sd = std::mem::take(slot);
        if sd.head.is_none() && sd.body_len == 0 {
            return;
        }
        let frames = sd.frames.clone();
        let msg = side_message(
            "HTTP/3",
            s,
            sd,
            &mut st.request,
            &mut self.counts,
            now,
            u32::try_from(stream).ok(),
            self.bounds.max_decoded_body,
        );
        out.push(H3Out::Message {
            dir: dir_of(s),
            frames,
            msg: Box::new(msg),
        });
        if st.flows.iter().all(|f| f.reported) {
            self.streams.remove(&stream);
        }
    }

    /// The connection is gone: report every request side not reported yet.
    pub fn close(&mut self, now: u64, out: &mut Vec<H3Out>) {
        let ids: Vec<u64> = self
            .streams
            .iter()
            .filter(|(_, st)| st.kind == Some(StreamKind::Request))
            .map(|(id, _)| *id)
            .collect();
        for id in ids {
            for s in 0..2 {
                let unreported = self
                    .streams
                    .get(&id)
                    .and_then(|st| st.flows.get(s))
                    .is_some_and(|f| !f.reported);
                if unreported {
                    if let Some(side) = self.streams.get_mut(&id).and_then(|st| st.sides.get_mut(s))
                    {
                        side.notes.push("stream ended without FIN".into());
                    }
                    self.report(id, s, now, out);
                }
            }
        }
    }
}

fn fields_over(side: &Side) -> bool {
    side.head.as_ref().is_some_and(|h| h.cut)
}
