//! HTTP/1.x dissector on reassembled TCP streams, recognised by content on any port.
//!
//! [`HttpStream`] sees both directions of one stream in order. Each direction runs its own
//! parser: a head (request or status line + headers, [`head`]), then a body delimited by
//! Content-Length, chunked framing ([`chunked`]) or the end of the direction. Which
//! direction carries requests is decided by content, message by message, so a wrong
//! client/server guess does not break parsing. Requests are queued in order and each final
//! response is paired with the oldest unanswered request (pipelining, keep-alive);
//! 1xx interim responses are paired without being consumed.
//!
//! After a hole in a head or in chunk framing, or bytes that are not HTTP, the direction
//! drops to resync mode: it scans for a line that starts like a request or status line and
//! starts again there. Every buffer is bounded by [`DissectConfig`].

pub mod auth;
mod chunked;
pub(crate) mod decode;
mod head;
mod headers;
pub mod later;
mod message;
#[cfg(test)]
mod tests;

use std::borrow::Cow;
use std::collections::VecDeque;

pub use head::detect;
pub use headers::Headers;
pub use message::{
    is_json_media_type, method_name, reason_phrase, reason_text, status_text, ContentDecoding,
    FrameList, HttpMessage, RequestLine, StartLine, StatusLine,
};

use std::sync::Arc;

use super::parser::{Chunk, Ctx, ParseWork, Parser, ParserConfig, SessionInfo, UpgradeRequest};
use super::{DissectConfig, Layer};
use crate::flow::Direction;
use crate::memory::{spare, Meter, Pool};
use chunked::{ChunkOut, Chunked};
use head::{Head, HeadScan, Scanned, StartKind};

/// Unanswered requests remembered per stream for pairing.
const MAX_PENDING: usize = 1024;
/// Completed requests whose frames are remembered for `http.prev_request_in`.
const PREV_KEPT: usize = 64;
/// Frames remembered per message.
const MAX_FRAMES: usize = 100_000;

/// A request waiting for its (final) response.
#[derive(Debug, Clone)]
struct Pending {
    index: usize,
    /// Shared with the request's message (a standard method is a static name).
    method: Cow<'static, str>,
    uri: Arc<[u8]>,
    host: Option<Arc<[u8]>>,
    frame: Option<u64>,
    /// The time of that frame.
    ts: Option<crate::capture::Timestamp>,
}

#[derive(Debug)]
enum BodyMode {
    Length(u64),
    Chunked(Box<Chunked>),
    /// Until the direction ends.
    Close,
}

#[derive(Debug)]
enum Mode {
    /// Expecting a head; `tentative` after resync (failure then stays silent).
    Head {
        tentative: bool,
    },
    Body(BodyMode),
    /// Scanning for the start of a message; `line_start` when the next byte starts a line.
    Resync {
        line_start: bool,
    },
}

/// A message whose head is parsed and whose body is being read.
#[derive(Debug)]
struct Building {
    ev: HttpMessage,
    /// Length of `ev.body` when the first hole hit the body (decode only before it).
    body_before_hole: Option<usize>,
    body_cut: bool,
    /// Response that ends HTTP on the stream once complete (101, CONNECT 2xx).
    stop_after: Option<&'static str>,
    /// Bytes the memory budget counts for the body: always less than twice the bytes
    /// received (or 8): the capacity a `Vec` growing by itself would have (twice the last,
    /// at least what is needed), or for a body of known size the step of its doubling
    /// towards that size ([`doubling_to`]). The buffer holding the bytes never has more
    /// ([`append_body`]).
    held: usize,
    /// The body's size when Content-Length gives it (within `max_http_body`): the last
    /// growth of the buffer is to exactly this.
    expect: Option<usize>,
    /// A response's: the time of the frame that completed its request (`http.time`).
    request_ts: Option<crate::capture::Timestamp>,
}

/// The bytes of a head not complete in its segment (heads complete in one segment are
/// parsed where they lie, never copied here).
#[derive(Debug, Default)]
struct PendingHead {
    /// Received bytes; the head being scanned starts at `from`. Bytes before it were given
    /// up by resynchronisation and are dropped at the next compaction.
    bytes: Vec<u8>,
    from: usize,
    /// Stream offset of `bytes[0]`.
    base: u64,
    scan: HeadScan,
}

/// Capacity a pending head keeps once empty (more is given back: idle flows stay cheap).
const KEEP_HEAD_CAPACITY: usize = 1024;

/// Why a complete head was still refused (its start line did not parse).
const NOT_HEAD: &str = "not an HTTP head";

impl PendingHead {
    fn window(&self) -> &[u8] {
        self.bytes.get(self.from..).unwrap_or(&[])
    }

    fn is_empty(&self) -> bool {
        self.window().is_empty()
    }

    fn clear(&mut self) {
        if self.bytes.capacity() > KEEP_HEAD_CAPACITY {
            self.bytes = Vec::new();
        } else {
            self.bytes.clear();
        }
        self.from = 0;
        self.scan = HeadScan::default();
    }

    /// Start the head at `bytes[at]` instead, keeping what the scan learnt.
    fn start_at(&mut self, at: usize) {
        let at = at.min(self.bytes.len());
        self.scan.moved(at.saturating_sub(self.from));
        self.from = at;
        // Drop the given-up bytes once they are half the buffer: each byte is moved a
        // bounded number of times, however often the start moves.
        if self.from > self.bytes.len() / 2 {
            self.bytes.drain(..self.from);
            self.base = self.base.saturating_add(self.from as u64);
            self.from = 0;
        }
    }
}

#[derive(Debug)]
struct DirState {
    mode: Mode,
    head: PendingHead,
    head_start: u64,
    frames: Vec<u64>,
    /// Boxed: most streams are idle between messages, and a message is large.
    building: Option<Box<Building>>,
    ended: bool,
}

impl DirState {
    fn new() -> Self {
        DirState {
            mode: Mode::Head { tentative: false },
            head: PendingHead::default(),
            head_start: 0,
            frames: Vec::new(),
            building: None,
            ended: false,
        }
    }

    fn add_frame(&mut self, frame: u64) {
        if self.frames.last() != Some(&frame) && self.frames.len() < MAX_FRAMES {
            self.frames.push(frame);
        }
    }
}

/// What one parsing step did with the input.
enum Step {
    /// This many bytes of the input were used.
    Consumed(usize),
    /// Parse `bytes` (at stream offset `at`) again before the rest of the input after
    /// `consumed` bytes.
    Replay {
        bytes: Vec<u8>,
        at: u64,
        consumed: usize,
    },
}

/// The request-smuggling shapes of a head's framing headers, each with the choice made:
/// `Content-Length` values that disagree (several headers, or a list in one), and
/// `Content-Length` together with `Transfer-Encoding` (RFC 9112 section 6.3: chunked
/// framing wins). A front end and a back end that choose differently see different
/// messages.
fn smuggling_shape(
    headers: &Headers,
    chunked: bool,
    used: Option<u64>,
    has_te: bool,
) -> Vec<String> {
    let mut notes = Vec::new();
    let lengths = || {
        headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case("content-length"))
            .flat_map(|(_, v)| v.split(|&b| b == b','))
            .map(<[u8]>::trim_ascii)
    };
    // Values that are not all equal; read without collecting them (nothing is allocated for
    // the common head).
    let mut all = lengths();
    let first = all.next();
    let conflict = first.is_some_and(|f| all.any(|v| v != f));
    if conflict {
        let shown: Vec<String> = lengths()
            .take(8)
            .map(|v| crate::present::escape::escape_truncated(v, 24))
            .collect();
        let choice = if chunked {
            "chunked framing is used instead".to_string()
        } else {
            match used {
                Some(n) => format!("the first ({n}) is used"),
                None => "none is used".to_string(),
            }
        };
        notes.push(format!(
            "conflicting Content-Length values ({}): request-smuggling shape; {choice}",
            shown.join(", ")
        ));
    }
    if has_te && first.is_some() {
        let choice = if chunked {
            "chunked framing is used, Content-Length ignored".to_string()
        } else {
            match used {
                Some(n) => format!(
                    "Transfer-Encoding does not end in chunked, Content-Length ({n}) is used"
                ),
                None => "Transfer-Encoding does not end in chunked and Content-Length is invalid"
                    .to_string(),
            }
        };
        notes.push(format!(
            "Content-Length together with Transfer-Encoding: request-smuggling shape; {choice}"
        ));
    }
    notes
}

/// The HTTP/1.x dissector of one stream.
pub struct HttpStream {
    cfg: DissectConfig,
    /// The bytes are TLS plaintext (a child of the TLS parser): URIs are `https://`.
    over_tls: bool,
    dirs: [DirState; 2],
    pending: VecDeque<Pending>,
    requests: usize,
    responses: usize,
    /// (index, frame) of the last requests completed, for `http.prev_request_in`.
    done_requests: VecDeque<(usize, u64)>,
    /// The frame that completed the last response.
    last_response_frame: Option<u64>,
    /// HTTP is over on this stream (protocol switch or tunnel).
    stopped: bool,
    /// Per direction: the stream offset where the protocol after HTTP starts (the child
    /// stream's offset 0), once its first byte or gap is handed on.
    handed_from: [Option<u64>; 2],
    pending_overflow_noted: bool,
    /// Bytes received and bytes the head scanner examined, not yet reported.
    work: ParseWork,
    /// The run's memory budget, and what this stream last reported to it (heads, bodies).
    meter: Meter,
    reported: [usize; 2],
}

impl Drop for HttpStream {
    fn drop(&mut self) {
        self.meter.change(Pool::HttpHeads, self.reported[0], 0);
        self.meter.change(Pool::HttpBodies, self.reported[1], 0);
    }
}

impl HttpStream {
    pub fn new(cfg: &DissectConfig) -> Self {
        HttpStream {
            meter: Meter::default(),
            reported: [0, 0],
            cfg: cfg.clone(),
            over_tls: false,
            dirs: [DirState::new(), DirState::new()],
            pending: VecDeque::new(),
            requests: 0,
            responses: 0,
            done_requests: VecDeque::new(),
            last_response_frame: None,
            stopped: false,
            handed_from: [None, None],
            pending_overflow_noted: false,
            work: ParseWork::default(),
        }
    }

    fn note(&self, dir: Direction, _now: u64, text: String, out: &mut Ctx<'_>) {
        out.note(dir, text);
    }

    /// After a protocol switch: bytes of the rest of the connection go to the child stream.
    fn hand_on(&mut self, dir: Direction, at: u64, bytes: &[u8], frame: u64, out: &mut Ctx<'_>) {
        let from = *self.handed_from[dir.index()].get_or_insert(at);
        let layer = out.layer();
        out.child_data(0, layer, dir, at.saturating_sub(from), bytes, frame);
    }

    fn feed(
        &mut self,
        dir: Direction,
        offset: u64,
        data: &[u8],
        frame: u64,
        now: u64,
        out: &mut Ctx<'_>,
    ) {
        let mut owned: Option<Vec<u8>> = None;
        let mut base = offset;
        let mut pos = 0usize;
        loop {
            let input: &[u8] = owned.as_deref().unwrap_or(data);
            let rest = input.get(pos..).unwrap_or(&[]);
            if rest.is_empty() {
                return;
            }
            let at = base.saturating_add(pos as u64);
            if self.stopped {
                self.hand_on(dir, at, rest, frame, out);
                return;
            }
            match self.step(dir, at, rest, frame, now, out) {
                Step::Consumed(0) => {
                    // Every mode consumes or changes mode; a second zero in a row would
                    // loop forever, so make progress by dropping into resync.
                    if matches!(self.dirs[dir.index()].mode, Mode::Resync { .. }) {
                        pos += 1;
                    }
                }
                Step::Consumed(n) => pos = pos.saturating_add(n),
                Step::Replay {
                    bytes,
                    at,
                    consumed,
                } => {
                    let mut v = bytes;
                    v.extend_from_slice(rest.get(consumed..).unwrap_or(&[]));
                    owned = Some(v);
                    base = at;
                    pos = 0;
                }
            }
        }
    }

    fn step(
        &mut self,
        dir: Direction,
        at: u64,
        rest: &[u8],
        frame: u64,
        now: u64,
        out: &mut Ctx<'_>,
    ) -> Step {
        let d = dir.index();
        match &mut self.dirs[d].mode {
            Mode::Resync { line_start } => {
                let examined = &mut self.work.http_head_examined;
                match head::find_start(rest, 0, *line_start, examined) {
                    Ok(i) => {
                        self.dirs[d].mode = Mode::Head { tentative: true };
                        Step::Consumed(i)
                    }
                    Err(line_start) => {
                        self.dirs[d].mode = Mode::Resync { line_start };
                        Step::Consumed(rest.len())
                    }
                }
            }
            Mode::Head { tentative } => {
                let tentative = *tentative;
                self.head_step(dir, at, rest, frame, now, tentative, out)
            }
            Mode::Body(_) => self.body_step(dir, rest, frame, now, out),
        }
    }

    /// Expecting a head. A head complete in `rest` is parsed where it lies; only a head
    /// cut by the segment's end is buffered, and its scan resumes where it stopped.
    #[allow(clippy::too_many_arguments)]
    fn head_step(
        &mut self,
        dir: Direction,
        at: u64,
        rest: &[u8],
        frame: u64,
        now: u64,
        tentative: bool,
        out: &mut Ctx<'_>,
    ) -> Step {
        let max_head = self.cfg.max_http_head.max(1);
        let examined = &mut self.work.http_head_examined;
        let st = &mut self.dirs[dir.index()];
        let take = if st.head.is_empty() {
            // Empty lines between messages are skipped, not buffered.
            let blank = head::leading_newlines(rest);
            *examined += (blank + 1).min(rest.len()) as u64;
            if blank > 0 {
                return Step::Consumed(blank);
            }
            st.head_start = at;
            st.frames.clear();
            st.add_frame(frame);
            let window = rest.get(..rest.len().min(max_head)).unwrap_or(rest);
            let mut scan = HeadScan::default();
            match scan.advance(window, examined) {
                Scanned::Complete(end) => {
                    let head = window.get(..end).unwrap_or(&[]);
                    return match head::complete_head(head, examined) {
                        Some(mut h) => {
                            if self.cfg.keep_raw_heads {
                                h.raw = Some(head.to_vec());
                            }
                            self.head_done(dir, h, now, tentative, out);
                            Step::Consumed(end)
                        }
                        None => self.head_failed(dir, "not an HTTP head", tentative, now, out),
                    };
                }
                Scanned::Invalid(reason) => {
                    return self.head_failed(dir, reason, tentative, now, out);
                }
                Scanned::Partial => {
                    st.head.clear();
                    st.head.bytes.extend_from_slice(window);
                    st.head.base = at;
                    st.head.scan = scan;
                    window.len()
                }
            }
        } else {
            let room = max_head.saturating_sub(st.head.window().len());
            let take = room.min(rest.len());
            st.head
                .bytes
                .extend_from_slice(rest.get(..take).unwrap_or(&[]));
            st.add_frame(frame);
            take
        };
        self.settle_head(dir, take, frame, now, tentative, out)
    }

    /// The head was not one (invalid start line) and nothing of it is buffered: resync
    /// from its second byte.
    fn head_failed(
        &mut self,
        dir: Direction,
        reason: &str,
        tentative: bool,
        now: u64,
        out: &mut Ctx<'_>,
    ) -> Step {
        let st = &mut self.dirs[dir.index()];
        st.frames.clear();
        st.mode = Mode::Resync { line_start: false };
        if !tentative {
            let off = st.head_start;
            self.note(
                dir,
                now,
                format!("{reason} at stream offset {off}; resynchronising"),
                out,
            );
        }
        Step::Consumed(1)
    }

    /// `take` bytes of the input were added to the pending head: scan on from where the
    /// last scan stopped. A head that is not one, or too long, gives way to the next line
    /// in the buffered bytes that could start a message; each buffered byte is scanned a
    /// bounded number of times, however the head is cut or how often this happens.
    fn settle_head(
        &mut self,
        dir: Direction,
        take: usize,
        frame: u64,
        now: u64,
        mut tentative: bool,
        out: &mut Ctx<'_>,
    ) -> Step {
        let max_head = self.cfg.max_http_head.max(1);
        loop {
            let examined = &mut self.work.http_head_examined;
            let st = &mut self.dirs[dir.index()];
            let window = st.head.bytes.get(st.head.from..).unwrap_or(&[]);
            if window.is_empty() {
                st.head.clear();
                st.mode = Mode::Head { tentative };
                return Step::Consumed(take);
            }
            let len = window.len();
            let failure = match st.head.scan.advance(window, examined) {
                Scanned::Partial if len < max_head => {
                    st.mode = Mode::Head { tentative };
                    return Step::Consumed(take);
                }
                Scanned::Complete(end) => {
                    let parsed = head::complete_head(window.get(..end).unwrap_or(&[]), examined);
                    if let Some(mut h) = parsed {
                        if self.cfg.keep_raw_heads {
                            h.raw = window.get(..end).map(<[u8]>::to_vec);
                        }
                        // Bytes after the head that were buffered before this input
                        // (none with this scanner; handled anyway) are parsed again.
                        let leftover = len - end;
                        let replay = (leftover > take)
                            .then(|| window.get(end..len - take).map(<[u8]>::to_vec))
                            .flatten();
                        st.head.clear();
                        let head_end = st.head_start.saturating_add(end as u64);
                        self.head_done(dir, h, now, tentative, out);
                        return match replay {
                            Some(bytes) => Step::Replay {
                                bytes,
                                at: head_end,
                                consumed: take,
                            },
                            None => Step::Consumed(take - leftover),
                        };
                    }
                    Some(NOT_HEAD)
                }
                Scanned::Invalid(reason) => Some(reason),
                // Too long.
                Scanned::Partial => None,
            };
            if !tentative {
                let text = match failure {
                    Some(reason) => {
                        format!(
                            "{reason} at stream offset {}; resynchronising",
                            st.head_start
                        )
                    }
                    None => format!("HTTP head longer than {max_head} bytes; resynchronising"),
                };
                self.note(dir, now, text, out);
            }
            tentative = true;
            // The next line of the buffered bytes that could start a message.
            let examined = &mut self.work.http_head_examined;
            let st = &mut self.dirs[dir.index()];
            let from = st.head.from.saturating_add(1);
            match head::find_start(&st.head.bytes, from, false, examined) {
                Ok(i) => {
                    let blank = head::leading_newlines(st.head.bytes.get(i..).unwrap_or(&[]));
                    *examined += blank as u64;
                    st.head.start_at(i.saturating_add(blank));
                    st.head_start = st.head.base.saturating_add(st.head.from as u64);
                    st.frames.clear();
                    st.add_frame(frame);
                }
                Err(line_start) => {
                    st.head.clear();
                    st.frames.clear();
                    st.mode = Mode::Resync { line_start };
                    return Step::Consumed(take);
                }
            }
        }
    }

    /// A head is complete: say so after a resynchronisation, and begin its message.
    fn head_done(&mut self, dir: Direction, h: Head, now: u64, tentative: bool, out: &mut Ctx<'_>) {
        let start = self.dirs[dir.index()].head_start;
        let head_range = start..start.saturating_add(h.len as u64);
        if tentative {
            self.note(
                dir,
                now,
                format!("resynchronised: HTTP message at stream offset {start}"),
                out,
            );
        }
        self.begin_message(dir, h, head_range, now, out);
    }

    /// A head is complete: build the message and pick the body mode.
    fn begin_message(
        &mut self,
        dir: Direction,
        h: Head,
        head_range: std::ops::Range<u64>,
        now: u64,
        out: &mut Ctx<'_>,
    ) {
        let mut notes = Vec::new();
        // The fields read below, found in one pass over the head's fields.
        let [content_type_at, content_encoding_at, te_at, cl_at, host_at] = h.headers.positions([
            "content-type",
            "content-encoding",
            "transfer-encoding",
            "content-length",
            "host",
        ]);
        let te = te_at.and_then(|at| h.headers.value_at(at));
        let chunked = te.is_some_and(|v| {
            String::from_utf8_lossy(v)
                .rsplit(',')
                .next()
                .is_some_and(|last| last.trim().eq_ignore_ascii_case("chunked"))
        });
        let cl_raw = cl_at.and_then(|at| h.headers.value_at(at));
        let content_length = cl_raw.and_then(|v| {
            let t = v.trim_ascii();
            if t.is_empty() || !t.iter().all(u8::is_ascii_digit) {
                return None;
            }
            std::str::from_utf8(t).ok()?.parse::<u64>().ok()
        });
        if cl_raw.is_some() && content_length.is_none() && !chunked {
            notes.push("invalid Content-Length".to_string());
        }
        // Both shapes need a Content-Length field.
        if cl_at.is_some() {
            notes.extend(smuggling_shape(
                &h.headers,
                chunked,
                content_length,
                te_at.is_some(),
            ));
        }
        let mut stop_after = None;
        let mut request_ts = None;
        let (start, body) = match h.kind {
            StartKind::Request { method, uri } => {
                let index = self.requests;
                self.requests = self.requests.saturating_add(1);
                let host = host_at
                    .and_then(|at| h.headers.value_at(at))
                    .map(Arc::<[u8]>::from);
                if self.pending.len() >= MAX_PENDING {
                    self.pending.pop_front();
                    if !self.pending_overflow_noted {
                        self.pending_overflow_noted = true;
                        self.note(
                            dir,
                            now,
                            format!("more than {MAX_PENDING} unanswered HTTP requests; oldest dropped from pairing"),
                            out,
                        );
                    }
                }
                self.pending.push_back(Pending {
                    index,
                    method: method.clone(),
                    uri: uri.clone(),
                    host: host.clone(),
                    frame: None,
                    ts: None,
                });
                let body = if chunked {
                    Some(BodyMode::Chunked(Box::new(Chunked::new(
                        self.cfg.max_http_head,
                    ))))
                } else {
                    content_length.filter(|&n| n > 0).map(BodyMode::Length)
                };
                (
                    StartLine::Request(RequestLine {
                        method,
                        uri,
                        host,
                        index,
                        prev_frame: None,
                    }),
                    body,
                )
            }
            StartKind::Response { status, reason } => {
                let index = self.responses;
                self.responses = self.responses.saturating_add(1);
                let interim = (100..200).contains(&status) && status != 101;
                let req = if interim {
                    self.pending.front().cloned()
                } else {
                    self.pending.pop_front()
                };
                let method = req.as_ref().map(|r| &*r.method).unwrap_or("");
                if status == 101 {
                    stop_after =
                        Some("101 Switching Protocols: HTTP parsing stopped for this stream");
                } else if method == "CONNECT" && (200..300).contains(&status) {
                    stop_after =
                        Some("CONNECT tunnel established: HTTP parsing stopped for this stream");
                }
                let no_body = method == "HEAD"
                    || (100..200).contains(&status)
                    || status == 204
                    || status == 304
                    || stop_after.is_some();
                let body = if no_body {
                    None
                } else if chunked {
                    Some(BodyMode::Chunked(Box::new(Chunked::new(
                        self.cfg.max_http_head,
                    ))))
                } else if let Some(n) = content_length {
                    (n > 0).then_some(BodyMode::Length(n))
                } else {
                    Some(BodyMode::Close)
                };
                // The request is the message's own now (taken from the queue, or a copy of
                // its head for an interim response): its parts move into the status line.
                request_ts = req.as_ref().and_then(|r| r.ts);
                let (request_index, request_method, request_uri, request_host, request_frame) =
                    match req {
                        Some(r) => (Some(r.index), Some(r.method), Some(r.uri), r.host, r.frame),
                        None => (None, None, None, None, None),
                    };
                (
                    StartLine::Response(StatusLine {
                        status,
                        reason,
                        index,
                        request_index,
                        request_method,
                        request_uri,
                        request_host,
                        request_frame,
                        prev_request_frame: None,
                        prev_response_frame: None,
                        since_request: None,
                    }),
                    body,
                )
            }
        };
        let ev = HttpMessage {
            later: later::Forward::default(),
            start,
            version: h.version,
            line: h.line,
            line_crlf: h.line_crlf,
            headers: h.headers,
            trailers: Headers::default(),
            content_type_at,
            content_length,
            content_encoding_at,
            chunked: chunked && body.is_some(),
            chunk_sizes: Vec::new(),
            chunk_count: 0,
            body: Vec::new(),
            decoding: None,
            decoded_with: None,
            body_len: 0,
            body_wire_len: 0,
            body_missing: 0,
            body_complete: true,
            head_range: head_range.clone(),
            body_range: head_range.end..head_range.end,
            frames: FrameList::new(),
            notes,
            stream_id: None,
            raw_head: h.raw,
            https: self.over_tls,
        };
        let expect = match &body {
            Some(BodyMode::Length(n)) => {
                let max_body = self.cfg.max_http_body;
                Some(usize::try_from(*n).map_or(max_body, |n| n.min(max_body)))
            }
            _ => None,
        };
        let st = &mut self.dirs[dir.index()];
        st.building = Some(Box::new(Building {
            ev,
            body_before_hole: None,
            body_cut: false,
            stop_after,
            held: 0,
            expect,
            request_ts,
        }));
        match body {
            Some(mode) => st.mode = Mode::Body(mode),
            None => self.finish(dir, now, out),
        }
    }

    fn body_step(
        &mut self,
        dir: Direction,
        rest: &[u8],
        frame: u64,
        now: u64,
        out: &mut Ctx<'_>,
    ) -> Step {
        let max_body = self.cfg.max_http_body;
        let st = &mut self.dirs[dir.index()];
        st.add_frame(frame);
        let Mode::Body(mode) = &mut st.mode else {
            return Step::Consumed(0);
        };
        // `None` once the message was released early (memory budget): the body's framing
        // is still followed, its bytes are not kept.
        let mut b = st.building.as_mut();
        match mode {
            BodyMode::Length(left) => {
                let n = usize::try_from(*left).unwrap_or(usize::MAX).min(rest.len());
                *left = left.saturating_sub(n as u64);
                let done = *left == 0;
                if let Some(b) = b {
                    append_body(b, rest.get(..n).unwrap_or(&[]), max_body);
                    b.ev.body_wire_len = b.ev.body_wire_len.saturating_add(n as u64);
                }
                if done {
                    self.finish(dir, now, out);
                }
                Step::Consumed(n)
            }
            BodyMode::Close => {
                if let Some(b) = b {
                    append_body(b, rest, max_body);
                    b.ev.body_wire_len = b.ev.body_wire_len.saturating_add(rest.len() as u64);
                }
                Step::Consumed(rest.len())
            }
            BodyMode::Chunked(c) => {
                let (n, res) = c.step(rest);
                if let Some(b) = b.as_deref_mut() {
                    b.ev.body_wire_len = b.ev.body_wire_len.saturating_add(n as u64);
                }
                match res {
                    ChunkOut::Framing => {}
                    ChunkOut::Data(data) => {
                        if let Some(b) = b {
                            append_body(b, data, max_body);
                        }
                    }
                    ChunkOut::Done => {
                        if let Some(b) = b {
                            b.ev.trailers = head::lenient_headers(c.trailer_block());
                        }
                        self.finish(dir, now, out);
                    }
                    ChunkOut::Bogus(reason) => {
                        if let Some(b) = b {
                            b.ev.body_complete = false;
                            b.ev.notes.push(format!("{reason}; body parsing stopped"));
                        }
                        self.finish(dir, now, out);
                        self.dirs[dir.index()].mode = Mode::Resync { line_start: false };
                        self.note(
                            dir,
                            now,
                            format!("{reason}: HTTP body parsing stopped; resynchronising"),
                            out,
                        );
                    }
                }
                Step::Consumed(n)
            }
        }
    }

    /// The current message is complete (or given up): decode, emit, reset for the next.
    fn finish(&mut self, dir: Direction, now: u64, out: &mut Ctx<'_>) {
        let st = &mut self.dirs[dir.index()];
        let frames = std::mem::take(&mut st.frames);
        let mode = std::mem::replace(&mut st.mode, Mode::Head { tentative: false });
        let Some(mut b) = st.building.take() else {
            return;
        };
        if let Mode::Body(BodyMode::Chunked(c)) = &mode {
            b.ev.chunk_sizes = c.sizes.clone();
            b.ev.chunk_count = c.count;
        }
        b.ev.body_range =
            b.ev.head_range.end..b.ev.head_range.end.saturating_add(b.ev.body_wire_len);
        if b.body_cut {
            b.ev.notes.push(format!(
                "body cut at {} bytes (of {}); the rest is only counted",
                self.cfg.max_http_body, b.ev.body_len
            ));
        }
        if b.ev.body_missing > 0 {
            b.ev.notes
                .push(format!("{} body bytes missing", b.ev.body_missing));
        }
        // The coding is undone when something reads the decoded body (a search, a check,
        // a display), not here: most runs read only some bodies.
        if let Some(label) = b.ev.content_encoding().and_then(decode::label) {
            if !b.ev.body.is_empty() {
                let upto = b.body_before_hole.unwrap_or(b.ev.body.len());
                if b.body_before_hole.is_some() || b.body_cut {
                    b.ev.notes
                        .push("only the body before the first gap or cut was decoded".into());
                }
                b.ev.decoded_with = Some(label);
                b.ev.decoding = Some(ContentDecoding::new(
                    upto.min(b.ev.body.len()),
                    self.cfg.max_decoded_body,
                    b.ev.notes.len(),
                ));
            }
        }
        let request_frame = |done: &VecDeque<(usize, u64)>, index: Option<usize>| {
            let index = index?;
            done.iter()
                .rev()
                .find(|(i, _)| *i == index)
                .map(|&(_, f)| f)
        };
        match &mut b.ev.start {
            StartLine::Request(r) => {
                let index = r.index;
                if let Some(p) = self.pending.iter_mut().find(|p| p.index == index) {
                    p.frame = Some(now);
                    p.ts = out.now_ts;
                }
                r.prev_frame = request_frame(&self.done_requests, index.checked_sub(1));
                if self.done_requests.len() >= PREV_KEPT {
                    self.done_requests.pop_front();
                }
                self.done_requests.push_back((index, now));
            }
            StartLine::Response(r) => {
                r.prev_request_frame = request_frame(
                    &self.done_requests,
                    r.request_index.and_then(|i| i.checked_sub(1)),
                );
                r.prev_response_frame = self.last_response_frame.replace(now);
                // From the frame that completed the request to this one.
                r.since_request = b
                    .request_ts
                    .zip(out.now_ts)
                    .map(|(asked, now)| now.as_nanos() - asked.as_nanos());
            }
        }
        // `-2`: the first pass records where the message completed, the second reads the
        // frames it points forward to.
        if let Some(l) = &self.cfg.later {
            let stream = out.session;
            match &b.ev.start {
                StartLine::Request(r) if l.recording() => l.record_request(stream, r.index, now),
                StartLine::Request(r) => b.ev.later = l.forward(stream, true, r.index),
                StartLine::Response(r) if l.recording() => {
                    // A final response answers its request (101 ends HTTP/1.x on the stream).
                    let last = r.status >= 200 || r.status == 101;
                    let answers = r.request_index.filter(|_| last);
                    l.record_response(stream, r.index, answers, now);
                }
                StartLine::Response(r) => b.ev.later = l.forward(stream, false, r.index),
            }
        }
        b.ev.frames = FrameList::from_slice(&frames);
        let stop = b.stop_after;
        // Read only when HTTP ends here (101, CONNECT 2xx).
        let upgrade = stop
            .and_then(|_| b.ev.header("upgrade"))
            .map(<[u8]>::to_ascii_lowercase);
        // The request that asked for the switch (the first exchange of the new protocol).
        let request = match &b.ev.start {
            StartLine::Response(st) if st.status == 101 => {
                st.request_method.as_deref().map(|method| UpgradeRequest {
                    method: method.to_owned(),
                    uri: st.request_uri.as_deref().unwrap_or_default().to_vec(),
                    host: st.request_host.as_deref().map(<[u8]>::to_vec),
                    frame: st.request_frame,
                })
            }
            _ => None,
        };
        out.emit(dir, frames, Arc::new(b.ev));
        if let Some(why) = stop {
            self.stopped = true;
            // After `Upgrade: h2c` the HTTP/2 frames that follow say it all.
            if upgrade.as_deref() != Some(b"h2c") {
                self.note(dir, now, why.to_string(), out);
            }
            // The rest of the connection belongs to another protocol: hand it to a child
            // stream, forced to HTTP/2 for `Upgrade: h2c`, else detected by content.
            let forced = match upgrade.as_deref() {
                Some(b"h2c") => Some("http2"),
                _ => None,
            };
            match request {
                Some(r) => out.open_upgraded(0, out.layer(), forced, r),
                None => out.open_child(0, out.layer(), forced),
            }
        }
    }

    /// `len` missing bytes when the direction expected a head (or framing).
    fn lost_framing(&mut self, dir: Direction, offset: u64, len: u64, now: u64, out: &mut Ctx<'_>) {
        let st = &mut self.dirs[dir.index()];
        let inside = !st.head.is_empty();
        let tentative = matches!(st.mode, Mode::Head { tentative: true });
        st.head.clear();
        st.frames.clear();
        st.mode = Mode::Resync { line_start: false };
        if !tentative {
            let where_ = if inside {
                "inside an HTTP head"
            } else {
                "where an HTTP head was expected"
            };
            self.note(
                dir,
                now,
                format!("{len} bytes missing at stream offset {offset} {where_}; resynchronising"),
                out,
            );
        }
    }
}

fn append_body(b: &mut Building, data: &[u8], max_body: usize) {
    b.ev.body_len = b.ev.body_len.saturating_add(data.len() as u64);
    let room = max_body.saturating_sub(b.ev.body.len());
    if data.len() > room {
        b.body_cut = true;
    }
    let data = data.get(..room.min(data.len())).unwrap_or(&[]);
    let need = b.ev.body.len().saturating_add(data.len());
    if need > b.held {
        b.held = match b.expect {
            Some(size) if size >= need => doubling_to(size, need),
            // The growth of a `Vec` (what the budget has always counted for a body).
            _ => b.held.saturating_mul(2).max(need).max(8),
        };
    }
    if need > b.ev.body.capacity() {
        // Grow to at most what is counted: to the body's size when it is known and
        // within that, else to the count.
        let want = b
            .expect
            .filter(|e| (need..=b.held).contains(e))
            .unwrap_or(b.held);
        let sized = b.expect.is_some_and(|e| e <= spare::SPARE_MAX);
        grow_body(&mut b.ev.body, need, want, b.held, sized);
    }
    b.ev.body.extend_from_slice(data);
}

/// The capacity for `need` bytes of a body whose size is known to be `size` (at least
/// `need`): the smallest of `size`, `size / 2`, `size / 4`, … (halves rounded up) that holds
/// `need`. Each growth then doubles the buffer and the last one lands on `size` itself, so
/// the bytes copied by growing a body are less than its size; a doubling that starts from
/// the first segment's length and is cut to the size at the end copies up to twice that.
/// The result is below `2 * need`, the same bound on bytes counted per byte received as a
/// `Vec`'s doubling: the claim decides only where the doublings fall, never how far ahead
/// of the bytes received the buffer goes.
fn doubling_to(size: usize, need: usize) -> usize {
    let mut cap = size;
    while cap.div_ceil(2) >= need.max(8) {
        cap = cap.div_ceil(2);
    }
    cap
}

/// Give `body` a capacity of at least `need` and at most `most` bytes, `want` when newly
/// allocated. A body whose Content-Length is at most [`spare::SPARE_MAX`] grows through the
/// thread's released buffers (taken when one fits, the outgrown one given back): a buffer
/// freed and allocated again costs a page fault per 4 KiB on first write, a kept one none.
/// Other bodies (chunked, until close, or larger) grow in place, as a `Vec` does.
fn grow_body(body: &mut Vec<u8>, need: usize, want: usize, most: usize, sized: bool) {
    if sized && want >= spare::SPARE_MIN {
        let mut next = spare::take(need.max(spare::SPARE_MIN), most).unwrap_or_default();
        next.clear();
        if next.capacity() < need {
            next = Vec::with_capacity(want);
        }
        next.extend_from_slice(body);
        // The outgrown buffer, when large: like a released raw body (`HttpMessage`'s drop).
        let outgrown = std::mem::replace(body, next);
        if outgrown.capacity() >= spare::SPARE_MIN {
            spare::give(outgrown);
        }
        return;
    }
    body.reserve_exact(want.saturating_sub(body.len()));
}

fn count_hole(b: &mut Building, len: u64) {
    if b.body_before_hole.is_none() {
        b.body_before_hole = Some(b.ev.body.len());
    }
    b.ev.body_missing = b.ev.body_missing.saturating_add(len);
    b.ev.body_len = b.ev.body_len.saturating_add(len);
    b.ev.body_wire_len = b.ev.body_wire_len.saturating_add(len);
    b.ev.body_complete = false;
}

/// The registry's constructor.
pub fn new_parser(info: &SessionInfo, cfg: &ParserConfig) -> Box<dyn Parser> {
    let mut s = HttpStream::new(&cfg.dissect);
    s.over_tls = info.layer == Layer::Tls;
    s.meter = cfg.meter.clone();
    Box::new(s)
}

impl Parser for HttpStream {
    fn data(&mut self, ctx: &mut Ctx<'_>, c: &Chunk<'_>) {
        if self.stopped {
            self.hand_on(c.dir, c.offset, c.bytes, c.frame, ctx);
            return;
        }
        if self.dirs[c.dir.index()].ended {
            return;
        }
        let now = ctx.now_frame;
        self.feed(c.dir, c.offset, c.bytes, c.frame, now, ctx);
        self.work.http_bytes += c.bytes.len() as u64;
        ctx.count(std::mem::take(&mut self.work));
        self.account();
    }

    fn gap(&mut self, ctx: &mut Ctx<'_>, dir: Direction, offset: u64, len: u64) {
        if self.stopped {
            let from = *self.handed_from[dir.index()].get_or_insert(offset);
            ctx.child_gap(0, dir, offset.saturating_sub(from), len);
            return;
        }
        let now = ctx.now_frame;
        self.hole(dir, offset, len, now, ctx);
        self.account();
    }

    fn end(&mut self, ctx: &mut Ctx<'_>, dir: Direction) {
        if self.stopped && !self.dirs[dir.index()].ended {
            ctx.child_end(0, dir);
        }
        let now = ctx.now_frame;
        self.end_dir(dir, now, ctx);
        self.account();
    }

    fn close(&mut self, ctx: &mut Ctx<'_>) {
        for dir in [Direction::ToServer, Direction::ToClient] {
            self.end(ctx, dir);
        }
    }

    fn releasable(&self) -> usize {
        self.dirs
            .iter()
            .filter_map(|d| d.building.as_ref())
            .map(|b| b.held)
            .sum()
    }

    fn release(&mut self, ctx: &mut Ctx<'_>) -> usize {
        let now = ctx.now_frame;
        let freed = [Direction::ToServer, Direction::ToClient]
            .into_iter()
            .map(|dir| self.release_body(dir, now, ctx))
            .sum();
        self.account();
        freed
    }
}

impl HttpStream {
    /// Report the bytes held (heads, bodies) to the memory budget.
    fn account(&mut self) {
        let heads = self.dirs.iter().map(|d| d.head.bytes.capacity()).sum();
        let bodies = self.releasable();
        self.meter.change(Pool::HttpHeads, self.reported[0], heads);
        self.meter
            .change(Pool::HttpBodies, self.reported[1], bodies);
        self.reported = [heads, bodies];
    }

    /// The memory budget wants this direction's body back: the message is emitted now
    /// with the body read so far (searched and shown like any message), and the rest of
    /// its body is read by its framing but not kept. Returns the bytes given back.
    fn release_body(&mut self, dir: Direction, now: u64, out: &mut Ctx<'_>) -> usize {
        let st = &mut self.dirs[dir.index()];
        let Some(b) = st.building.as_mut() else {
            return 0;
        };
        let held = b.held;
        if held == 0 {
            return 0;
        }
        b.ev.body_complete = false;
        b.ev.notes.push(format!(
            "memory budget: shown after {} body bytes; the rest of the body is not kept",
            b.ev.body_len
        ));
        if let Mode::Body(BodyMode::Chunked(c)) = &st.mode {
            b.ev.chunk_sizes = c.sizes.clone();
            b.ev.chunk_count = c.count;
        }
        let mode = std::mem::replace(&mut st.mode, Mode::Head { tentative: false });
        self.finish(dir, now, out);
        // The body's framing goes on without a message.
        self.dirs[dir.index()].mode = mode;
        held
    }
}

impl HttpStream {
    fn hole(&mut self, dir: Direction, offset: u64, len: u64, now_frame: u64, out: &mut Ctx<'_>) {
        if self.stopped || self.dirs[dir.index()].ended || len == 0 {
            return;
        }
        let st = &mut self.dirs[dir.index()];
        match &mut st.mode {
            Mode::Resync { line_start } => *line_start = false,
            Mode::Head { .. } => self.lost_framing(dir, offset, len, now_frame, out),
            Mode::Body(BodyMode::Close) => {
                if let Some(b) = st.building.as_mut() {
                    count_hole(b, len);
                }
            }
            Mode::Body(BodyMode::Length(left)) => {
                let used = len.min(*left);
                *left -= used;
                let done = *left == 0;
                if let Some(b) = st.building.as_mut() {
                    count_hole(b, used);
                }
                if done {
                    self.finish(dir, now_frame, out);
                }
                if len > used {
                    self.lost_framing(dir, offset.saturating_add(used), len - used, now_frame, out);
                }
            }
            Mode::Body(BodyMode::Chunked(c)) => {
                let used = c.data_left().map_or(0, |left| left.min(len));
                c.skip_data(used);
                if let Some(b) = st.building.as_mut() {
                    if used > 0 {
                        count_hole(b, used);
                    }
                }
                if len > used {
                    if let Some(b) = st.building.as_mut() {
                        b.ev.body_complete = false;
                        b.ev.notes
                            .push("bytes missing in chunk framing; body parsing stopped".into());
                    }
                    self.finish(dir, now_frame, out);
                    self.lost_framing(dir, offset.saturating_add(used), len - used, now_frame, out);
                }
            }
        }
    }

    fn end_dir(&mut self, dir: Direction, now_frame: u64, out: &mut Ctx<'_>) {
        let d = dir.index();
        if self.dirs[d].ended {
            return;
        }
        self.dirs[d].ended = true;
        if self.stopped {
            return;
        }
        match &self.dirs[d].mode {
            Mode::Body(BodyMode::Close) => self.finish(dir, now_frame, out),
            Mode::Body(_) => {
                if let Some(b) = self.dirs[d].building.as_mut() {
                    b.ev.body_complete = false;
                    b.ev.notes.push("stream ended inside the body".into());
                }
                self.finish(dir, now_frame, out);
                self.note(
                    dir,
                    now_frame,
                    "stream ended inside an HTTP body".into(),
                    out,
                );
            }
            Mode::Head { tentative } => {
                let tentative = *tentative;
                let st = &mut self.dirs[d];
                let pending = st.head.window().len();
                st.head.clear();
                if pending > 0 && !tentative {
                    self.note(
                        dir,
                        now_frame,
                        format!("stream ended inside an HTTP head ({pending} bytes)"),
                        out,
                    );
                }
            }
            Mode::Resync { .. } => {}
        }
    }
}
