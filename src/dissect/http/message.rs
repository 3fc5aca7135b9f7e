//! One complete HTTP message and how it is shown: Info column, `-V` tree, JSON fields.

use std::borrow::Cow;
use std::ops::Range;
use std::sync::{Arc, OnceLock};

use serde_json::{Map, Value};

use super::decode::{self, Decoded};
use super::headers::Headers;
use crate::dissect::fields::{Fields, JsonFields};
use crate::dissect::parser::{AppMessage, FieldValue};
use crate::memory::spare;
use crate::present::escape::{escape_bytes, escape_str, escape_truncated, push_escaped};
use crate::present::tree::TreeNode;

/// Body lines shown in the tree at most.
const PREVIEW_LINES: usize = 40;
/// Body bytes shown in the tree at most.
const PREVIEW_BYTES: usize = 4096;
/// Frames listed in `[Reassembled from frames ...]` at most.
const FRAMES_LISTED: usize = 50;

/// The start line: what makes a message a request or a response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StartLine {
    Request(RequestLine),
    Response(StatusLine),
}

/// A request's method, target and Host are kept until its response (which shows them):
/// the URI and the Host are shared with the queue that pairs them ([`Arc`]), and the
/// method is a static name when it is a standard one ([`method_name`]), so pairing copies
/// nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestLine {
    pub method: Cow<'static, str>,
    pub uri: Arc<[u8]>,
    /// Value of the Host header.
    pub host: Option<Arc<[u8]>>,
    /// 0-based index of this request in the stream.
    pub index: usize,
    /// The frame that completed the stream's request before this one (`http.prev_request_in`).
    pub prev_frame: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusLine {
    pub status: u16,
    /// As on the wire; static text when it is the usual one for the code ([`reason_text`]).
    pub reason: Cow<'static, [u8]>,
    /// 0-based index of this response in the stream.
    pub index: usize,
    /// The request it answers (FIFO pairing), when there was one.
    pub request_index: Option<usize>,
    pub request_method: Option<Cow<'static, str>>,
    pub request_uri: Option<Arc<[u8]>>,
    pub request_host: Option<Arc<[u8]>>,
    /// Frame where that request completed, when it had completed before this response began.
    pub request_frame: Option<u64>,
    /// Nanoseconds from the frame that completed the request to the one that completed this
    /// response (`http.time`), when both times are known.
    pub since_request: Option<i128>,
    /// The frames that completed the request before the one this answers and the stream's
    /// response before this one (`http.prev_request_in`, `http.prev_response_in`).
    pub prev_request_frame: Option<u64>,
    pub prev_response_frame: Option<u64>,
}

/// The methods of RFC 9110 and PATCH, named without an allocation.
const STANDARD_METHODS: [&str; 9] = [
    "GET", "POST", "HEAD", "PUT", "DELETE", "OPTIONS", "PATCH", "CONNECT", "TRACE",
];

/// A method's name: a static string for a standard method (case-sensitive, as methods
/// are), else owned.
pub fn method_name(text: &str) -> Cow<'static, str> {
    match STANDARD_METHODS.iter().find(|m| **m == text) {
        Some(m) => Cow::Borrowed(m),
        None => Cow::Owned(text.to_owned()),
    }
}

/// A message's frames: the first four in place.
pub type FrameList = smallvec::SmallVec<[u64; 4]>;

/// The usual reason phrase of a status code (what tshark prints after an HTTP/2 `:status`;
/// empty when there is none here).
pub fn reason_phrase(status: u16) -> &'static str {
    match status {
        100 => "Continue",
        101 => "Switching Protocols",
        200 => "OK",
        201 => "Created",
        202 => "Accepted",
        204 => "No Content",
        206 => "Partial Content",
        301 => "Moved Permanently",
        302 => "Found",
        303 => "See Other",
        304 => "Not Modified",
        307 => "Temporary Redirect",
        308 => "Permanent Redirect",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "",
    }
}

/// A status line's reason phrase: the usual one for its code is static text (no
/// allocation), another is owned.
pub fn reason_text(status: u16, reason: &[u8]) -> Cow<'static, [u8]> {
    let usual = reason_phrase(status).as_bytes();
    if usual == reason {
        Cow::Borrowed(usual)
    } else {
        Cow::Owned(reason.to_vec())
    }
}

/// An HTTP/1.x request or response, head and body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpMessage {
    pub start: StartLine,
    /// `HTTP/1.1`, `HTTP/1.0`; as on the wire for a malformed request line (maybe empty).
    pub version: Cow<'static, str>,
    /// The start line as on the wire, without its line end.
    pub line: Vec<u8>,
    /// The start line ended in CR LF (else in a bare LF; HTTP/2's pseudo line has none and
    /// says true).
    pub line_crlf: bool,
    /// Header fields in wire order: name, raw value.
    pub headers: Headers,
    /// Trailer fields of a chunked body.
    pub trailers: Headers,
    /// Which of `headers` is the Content-Type ([`HttpMessage::content_type`]).
    pub(crate) content_type_at: Option<usize>,
    /// Content-Length, when present and valid.
    pub content_length: Option<u64>,
    /// Which of `headers` is the Content-Encoding ([`HttpMessage::content_encoding`]).
    pub(crate) content_encoding_at: Option<usize>,
    /// Transfer-Encoding: chunked.
    pub chunked: bool,
    /// Sizes of the first data chunks; `chunk_count` counts them all.
    pub chunk_sizes: Vec<u64>,
    pub chunk_count: u64,
    /// Entity body as received (after de-chunking, before content decoding), at most
    /// `max_http_body` bytes; missing (hole) bytes are not in it.
    pub body: Vec<u8>,
    /// The content coding (gzip/deflate/br) to undo for [`HttpMessage::body_decoded`], undone
    /// the first time something asks (a display, a search, a check that reads the body).
    pub decoding: Option<ContentDecoding>,
    /// Codings undone for [`HttpMessage::body_decoded`], e.g. `gzip`; set exactly when
    /// `decoding` is.
    pub decoded_with: Option<String>,
    /// Entity body length on the wire (chunk framing excluded, missing bytes included).
    pub body_len: u64,
    /// Body bytes on the wire including chunk framing.
    pub body_wire_len: u64,
    /// Body bytes that were never captured.
    pub body_missing: u64,
    /// False when the body ended early (hole, bogus framing, stream end, bound).
    pub body_complete: bool,
    /// Stream byte range (of this direction) of the head and of the body.
    pub head_range: Range<u64>,
    pub body_range: Range<u64>,
    /// Frames that carried the message, in stream order (same as `AppEvent::frames`); the
    /// first four held in place, so most messages' lists cost no allocation of their own.
    pub frames: FrameList,
    /// Escaped notes about this message (bounds, missing bytes); the decoder's notes are
    /// added by [`HttpMessage::notes`].
    pub notes: Vec<String>,
    /// HTTP/2 stream the message travelled on (`None` for HTTP/1.x).
    pub stream_id: Option<u32>,
    /// The head's bytes as sent (start line, header lines, blank line), kept only when an
    /// output shows them ([`crate::dissect::DissectConfig::keep_raw_heads`]).
    pub raw_head: Option<Vec<u8>>,
    /// The request went over TLS (HTTP/1.x inside decrypted TLS, or an HTTP/2 `:scheme` of
    /// `https`): its full URI is `https://`, as tshark shows it.
    pub https: bool,
    /// With `-2`: the frames this message points forward to ([`super::later`]).
    pub later: super::later::Forward,
}

/// What content decoding a body needs, and its result once done. Decoding is a pure
/// function of the body, the coding and the bound, so doing it late gives the same bytes and
/// notes as doing it when the message completed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContentDecoding {
    /// Bytes at the start of the body that are decoded (those before the first gap or cut).
    raw_len: usize,
    /// At most this many decoded bytes (`max_decoded_body`).
    max: usize,
    /// Where the decoder's notes go among the message's notes.
    notes_at: usize,
    done: OnceLock<Option<Decoded>>,
}

impl ContentDecoding {
    /// Decode the first `raw_len` bytes of the body, keeping at most `max`; the decoder's
    /// notes follow the first `notes_at` notes of the message.
    pub fn new(raw_len: usize, max: usize, notes_at: usize) -> Self {
        Self {
            raw_len,
            max,
            notes_at,
            done: OnceLock::new(),
        }
    }
}

/// The body's buffers (raw, and decoded when it was) go back to the thread's spare ones, for
/// the next bodies ([`crate::memory::spare`]). A raw body below [`spare::SPARE_MIN`] is left
/// to the allocator: only decoding takes from the small set, and a raw buffer, grown by
/// doubling, seldom fits a decoded size within half again while it would push out decoded
/// buffers that do.
impl Drop for HttpMessage {
    fn drop(&mut self) {
        if self.body.capacity() >= spare::SPARE_MIN {
            spare::give(std::mem::take(&mut self.body));
        }
        if let Some(Some(d)) = self.decoding.as_mut().and_then(|c| c.done.take()) {
            spare::give(d.data);
        }
    }
}

/// A media type tshark's JSON dissector reads (`application/json`, `…+json`; any case).
pub fn is_json_media_type(mt: &[u8]) -> bool {
    mt.get(mt.len().saturating_sub(4)..)
        .is_some_and(|t| t.eq_ignore_ascii_case(b"json"))
}

impl HttpMessage {
    pub fn is_request(&self) -> bool {
        matches!(self.start, StartLine::Request(_))
    }

    /// First header with this name (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&[u8]> {
        self.headers.get(name)
    }

    /// The full Content-Type value (as tshark's `http.content_type`): the first such field.
    pub fn content_type(&self) -> Option<&[u8]> {
        self.headers.value_at(self.content_type_at?)
    }

    /// The Content-Encoding value, when present: the first such field.
    pub fn content_encoding(&self) -> Option<&[u8]> {
        self.headers.value_at(self.content_encoding_at?)
    }

    /// The content decoding, done now if nothing asked for it before.
    fn decoded(&self) -> Option<&Decoded> {
        let d = self.decoding.as_ref()?;
        d.done
            .get_or_init(|| {
                let raw = self.body.get(..d.raw_len).unwrap_or(&self.body);
                let coding = self.content_encoding().unwrap_or_default();
                decode::decode(coding, raw, d.max)
            })
            .as_ref()
    }

    /// The body after content decoding (gzip/deflate/br), at most `max_decoded_body` bytes;
    /// `None` when no coding applies. Decodes on first use.
    pub fn body_decoded(&self) -> Option<&[u8]> {
        self.decoded().map(|d| d.data.as_slice())
    }

    /// The body as the application sees it: decoded when a content coding was undone.
    pub fn body_for_search(&self) -> &[u8] {
        self.body_decoded().unwrap_or(&self.body)
    }

    /// Every note about this message, the decoder's included (so this decodes the body).
    pub fn notes(&self) -> Vec<&str> {
        let mut all: Vec<&str> = self.notes.iter().map(String::as_str).collect();
        if let (Some(d), Some(dec)) = (&self.decoding, self.decoded()) {
            let at = d.notes_at.min(all.len());
            all.splice(at..at, dec.notes.iter().map(String::as_str));
        }
        all
    }

    /// The Protocol column: `HTTP/JSON` for a JSON body, which tshark dissects further.
    pub fn protocol(&self) -> std::borrow::Cow<'_, str> {
        if self.json_body().is_some() {
            "HTTP/JSON".into()
        } else {
            "HTTP".into()
        }
    }

    /// The media type of a non-empty JSON body.
    pub fn json_body(&self) -> Option<&[u8]> {
        self.media_type()
            .filter(|mt| self.body_len > 0 && is_json_media_type(mt))
    }

    /// `  (text/html)` after the start line, as tshark's media dissectors add it for a
    /// body they read (`, JavaScript Object Notation (application/json)` for JSON); a
    /// request names it only when it has a body, a multipart one not at all (tshark names
    /// each part's type instead).
    fn push_media_type(&self, s: &mut String) {
        if let Some(mt) = self.json_body() {
            s.push_str(" , JavaScript Object Notation (");
            push_escaped(s, mt);
            s.push(')');
            return;
        }
        let Some(mt) = self.media_type() else { return };
        if self.is_request()
            && (self.body_len == 0
                || mt
                    .get(..10)
                    .is_some_and(|p| p.eq_ignore_ascii_case(b"multipart/")))
        {
            return;
        }
        s.push_str("  (");
        push_escaped(s, mt);
        s.push(')');
    }

    /// Media type part of Content-Type (`text/html` of `text/html; charset=utf-8`).
    pub fn media_type(&self) -> Option<&[u8]> {
        let ct = self.content_type()?;
        let end = ct.iter().position(|&b| b == b';').unwrap_or(ct.len());
        let mt = ct.get(..end)?.trim_ascii();
        (!mt.is_empty()).then_some(mt)
    }

    /// Info column, as tshark: `GET /path HTTP/1.1`, `HTTP/1.1 200 OK  (text/html)`.
    pub fn info(&self) -> String {
        let mut s = String::new();
        self.push_info(&mut s);
        s
    }

    /// [`HttpMessage::info`] appended to `s`.
    pub fn push_info(&self, s: &mut String) {
        match &self.start {
            StartLine::Request(r) => {
                push_escaped(s, r.method.as_bytes());
                if !r.uri.is_empty() {
                    s.push(' ');
                    push_escaped(s, &r.uri);
                }
                if !self.version.is_empty() {
                    s.push(' ');
                    push_escaped(s, self.version.as_bytes());
                }
            }
            StartLine::Response(st) => {
                push_escaped(s, self.version.as_bytes());
                s.push(' ');
                s.push_str(itoa::Buffer::new().format(st.status));
                if !st.reason.is_empty() {
                    s.push(' ');
                    push_escaped(s, &st.reason);
                }
            }
        }
        self.push_media_type(s);
    }

    fn full_uri(&self, host: Option<&[u8]>, uri: &[u8]) -> Option<String> {
        self.full_uri_bytes(host, uri).map(|u| escape_bytes(&u))
    }

    /// The URI with scheme and host (as tshark's `http.request.full_uri`), not escaped: an
    /// absolute URI as it is, an origin-form one after the Host.
    /// A request's full URI as tshark shows it (`http.request.full_uri`), when known.
    pub fn request_full_uri(&self) -> Option<Vec<u8>> {
        match &self.start {
            StartLine::Request(r) => self.full_uri_bytes(r.host.as_deref(), &r.uri),
            StartLine::Response(_) => None,
        }
    }

    fn full_uri_bytes(&self, host: Option<&[u8]>, uri: &[u8]) -> Option<Vec<u8>> {
        if uri.starts_with(b"http://") || uri.starts_with(b"https://") {
            return Some(uri.to_vec());
        }
        let host = host?;
        if !uri.starts_with(b"/") {
            return None;
        }
        let scheme: &[u8] = if self.https { b"https://" } else { b"http://" };
        Some([scheme, host, uri].concat())
    }

    /// The `-V` layer.
    pub fn tree(&self) -> TreeNode {
        let mut root = TreeNode::new("Hypertext Transfer Protocol");
        let mut line = TreeNode::new(format!("{}\\r\\n", escape_bytes(&self.line)));
        match &self.start {
            StartLine::Request(r) => {
                line.leaf(format!("Request Method: {}", escape_str(&r.method)));
                line.leaf(format!("Request URI: {}", escape_bytes(&r.uri)));
                line.leaf(format!("Request Version: {}", escape_str(&self.version)));
            }
            StartLine::Response(st) => {
                line.leaf(format!("Response Version: {}", escape_str(&self.version)));
                line.leaf(format!("Status Code: {}", st.status));
                line.leaf(format!("Response Phrase: {}", escape_bytes(&st.reason)));
            }
        }
        root.children.push(line);
        for (name, value) in self.headers.iter() {
            let mut h = TreeNode::new(format!(
                "{}: {}\\r\\n",
                escape_str(name),
                escape_bytes(value)
            ));
            if name.eq_ignore_ascii_case("content-length") {
                if let Some(n) = self.content_length {
                    h.leaf(format!("[Content length: {n}]"));
                }
            }
            // A Basic credential decoded, as tshark shows it (`http.authbasic`).
            if super::auth::is_auth_header(name) {
                if let Some(text) = super::auth::basic_text(value) {
                    h.leaf(format!("Credentials: {}", escape_bytes(&text)));
                }
            }
            root.children.push(h);
        }
        root.leaf("\\r\\n");
        match &self.start {
            StartLine::Request(r) => {
                if let Some(u) = self.full_uri(r.host.as_deref(), &r.uri) {
                    root.leaf(format!("[Full request URI: {u}]"));
                }
                root.leaf(format!("[HTTP request {}]", r.index + 1));
            }
            StartLine::Response(st) => {
                root.leaf(format!("[HTTP response {}]", st.index + 1));
                if let Some(f) = st.request_frame {
                    root.leaf(format!("[Request in frame: {f}]"));
                }
                if let Some(uri) = &st.request_uri {
                    let shown = self
                        .full_uri(st.request_host.as_deref(), uri)
                        .unwrap_or_else(|| escape_bytes(uri));
                    root.leaf(format!("[Request URI: {shown}]"));
                }
            }
        }
        if self.frames.len() > 1 {
            let mut list: Vec<String> = self
                .frames
                .iter()
                .take(FRAMES_LISTED)
                .map(u64::to_string)
                .collect();
            if self.frames.len() > FRAMES_LISTED {
                list.push(format!("… ({} frames)", self.frames.len()));
            }
            root.leaf(format!("[Reassembled from frames {}]", list.join(", ")));
        }
        for n in self.notes() {
            root.leaf(format!("[Note: {n}]"));
        }
        self.body_tree(&mut root);
        root
    }

    fn body_tree(&self, root: &mut TreeNode) {
        if self.chunked {
            let title = if self.is_request() {
                "HTTP chunked request"
            } else {
                "HTTP chunked response"
            };
            let mut c = TreeNode::new(title);
            for size in &self.chunk_sizes {
                c.leaf(format!("Data chunk ({size} octets)"));
            }
            let more = self
                .chunk_count
                .saturating_sub(self.chunk_sizes.len() as u64);
            if more > 0 {
                c.leaf(format!("[{more} more data chunks]"));
            }
            if self.body_complete {
                c.leaf("End of chunked encoding");
            }
            for (name, value) in self.trailers.iter() {
                c.leaf(format!(
                    "{}: {}\\r\\n",
                    escape_str(name),
                    escape_bytes(value)
                ));
            }
            root.children.push(c);
        }
        if self.body_len == 0 && self.body.is_empty() {
            return;
        }
        if self.body_missing > 0 {
            root.leaf(format!(
                "[Body incomplete: {} bytes missing]",
                self.body_missing
            ));
        }
        if let (Some(d), Some(label)) = (self.body_decoded(), &self.decoded_with) {
            root.leaf(format!(
                "Content-encoded entity body ({}): {} bytes -> {} bytes",
                escape_str(label),
                self.body.len(),
                d.len()
            ));
        }
        let shown = self.body_for_search();
        root.leaf(format!("File Data: {} bytes", shown.len()));
        let textual = self.media_type().is_some_and(is_textual);
        if textual && !shown.is_empty() {
            let mt = self.media_type().map(escape_bytes).unwrap_or_default();
            let lines = shown.split_inclusive(|&b| b == b'\n').count();
            let mut t = TreeNode::new(format!("Line-based text data: {mt} ({lines} lines)"));
            let mut used = 0usize;
            for l in shown.split_inclusive(|&b| b == b'\n').take(PREVIEW_LINES) {
                if used >= PREVIEW_BYTES {
                    break;
                }
                let room = PREVIEW_BYTES - used;
                t.leaf(escape_truncated(l, room));
                used = used.saturating_add(l.len());
            }
            if lines > t.children.len() || used > PREVIEW_BYTES {
                t.leaf(format!("[… {lines} lines in all]"));
            }
            root.children.push(t);
        }
    }

    /// JSON fields (the lead adds stream, frames, frame, dir).
    pub fn json(&self) -> Map<String, Value> {
        let mut m = JsonFields::default();
        self.fields(&mut m);
        m.0
    }

    /// The record's fields, handed to `out` one by one.
    pub fn fields(&self, out: &mut dyn Fields) {
        match &self.start {
            StartLine::Request(r) => {
                out.kind("http.request");
                out.wire("method", Some(r.method.as_bytes()));
                out.wire("uri", Some(&r.uri[..]));
                out.wire("version", Some(self.version.as_bytes()));
                out.wire("host", r.host.as_deref());
                out.wire_pairs("headers", &mut self.headers.iter());
                out.uint("body_len", Some(self.body_len));
                out.wire("content_type", self.content_type());
                out.uint("request_index", Some(r.index as u64));
            }
            StartLine::Response(st) => {
                out.kind("http.response");
                out.uint("status", Some(st.status.into()));
                out.wire("reason", Some(&st.reason[..]));
                out.wire("version", Some(self.version.as_bytes()));
                out.wire("content_type", self.content_type());
                out.uint("content_length", self.content_length);
                out.wire_pairs("headers", &mut self.headers.iter());
                out.uint("body_len", Some(self.body_len));
                out.uint("request_index", st.request_index.map(|n| n as u64));
                out.wire(
                    "request_method",
                    st.request_method.as_deref().map(str::as_bytes),
                );
                out.wire("request_uri", st.request_uri.as_deref());
            }
        }
        if let Some(id) = self.stream_id {
            out.uint("stream_id", Some(id.into()));
        }
        out.flag("chunked", self.chunked);
        if let Some(enc) = self.content_encoding() {
            out.wire("content_encoding", Some(enc));
        }
        if let Some(d) = self.body_decoded() {
            out.uint("body_decoded_len", Some(d.len() as u64));
        }
        if !self.body_complete {
            out.flag("body_complete", false);
        }
        if self.body_missing > 0 {
            out.uint("body_missing", Some(self.body_missing));
        }
        let notes = self.notes();
        if !notes.is_empty() {
            out.json(
                "notes",
                Value::Array(notes.into_iter().map(|n| Value::String(n.into())).collect()),
            );
        }
    }
}

impl HttpMessage {
    /// What tshark's `-z credentials` lists for this message: one entry for each
    /// Authorization or Proxy-Authorization field that names a user or another scheme, in
    /// wire order.
    pub fn credentials(&self) -> impl Iterator<Item = super::auth::Credential> + '_ {
        self.headers
            .iter()
            .filter(|(n, _)| super::auth::is_auth_header(n))
            .filter_map(|(_, v)| super::auth::credential(v))
    }

    /// Display-filter values of a message carried on an HTTP/2 or HTTP/3 stream: as
    /// HTTP/1.x, with the request's `:authority` (or Host) as `http.host`.
    pub fn stream_values(&self, field: &str, out: &mut Vec<FieldValue>) {
        if field == "http.host" {
            if let StartLine::Request(r) = &self.start {
                if let Some(h) = &r.host {
                    out.push(FieldValue::Str(String::from_utf8_lossy(h).into_owned()));
                }
            }
            return;
        }
        self.shared_values(field, out);
    }
}

/// Display-filter fields that are one header each (tshark's names), with the header's name.
const HEADER_FIELDS: &[(&str, &str)] = &[
    ("http.server", "server"),
    ("http.cookie", "cookie"),
    ("http.set_cookie", "set-cookie"),
    ("http.authorization", "authorization"),
    ("http.referer", "referer"),
    ("http.location", "location"),
    ("http.accept", "accept"),
    ("http.accept_encoding", "accept-encoding"),
    ("http.accept_language", "accept-language"),
    ("http.connection", "connection"),
    ("http.content_encoding", "content-encoding"),
    ("http.transfer_encoding", "transfer-encoding"),
    ("http.cache_control", "cache-control"),
    ("http.last_modified", "last-modified"),
    ("http.date", "date"),
    ("http.x_forwarded_for", "x-forwarded-for"),
    ("http.www_authenticate", "www-authenticate"),
    ("http.proxy_authenticate", "proxy-authenticate"),
    ("http.proxy_authorization", "proxy-authorization"),
    ("http.upgrade", "upgrade"),
    ("http.sec_websocket_key", "sec-websocket-key"),
    ("http.sec_websocket_accept", "sec-websocket-accept"),
    ("http.sec_websocket_version", "sec-websocket-version"),
    ("http.sec_websocket_protocol", "sec-websocket-protocol"),
    ("http.sec_websocket_extensions", "sec-websocket-extensions"),
];

/// tshark 4.0's name of an HTTP status code (`http.response.code.desc`, and the HTTP trees
/// of `-z http,tree`): read from tshark's output for every code from 100 to 599, and the same
/// as its `-G values` table; `None` where tshark says `Unknown (N)`.
pub fn status_text(code: u16) -> Option<&'static str> {
    Some(match code {
        100 => "Continue",
        101 => "Switching Protocols",
        102 => "Processing",
        103 => "Early Hints",
        199 => "Informational - Others",
        200 => "OK",
        201 => "Created",
        202 => "Accepted",
        203 => "Non-authoritative Information",
        204 => "No Content",
        205 => "Reset Content",
        206 => "Partial Content",
        207 => "Multi-Status",
        208 => "Already Reported",
        226 => "IM Used",
        299 => "Success - Others",
        300 => "Multiple Choices",
        301 => "Moved Permanently",
        302 => "Found",
        303 => "See Other",
        304 => "Not Modified",
        305 => "Use Proxy",
        307 => "Temporary Redirect",
        308 => "Permanent Redirect",
        399 => "Redirection - Others",
        400 => "Bad Request",
        401 => "Unauthorized",
        402 => "Payment Required",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        406 => "Not Acceptable",
        407 => "Proxy Authentication Required",
        408 => "Request Time-out",
        409 => "Conflict",
        410 => "Gone",
        411 => "Length Required",
        412 => "Precondition Failed",
        413 => "Request Entity Too Large",
        414 => "Request-URI Too Long",
        415 => "Unsupported Media Type",
        416 => "Requested Range Not Satisfiable",
        417 => "Expectation Failed",
        418 => "I'm a teapot",
        421 => "Misdirected Request",
        422 => "Unprocessable Entity",
        423 => "Locked",
        424 => "Failed Dependency",
        425 => "Too Early",
        426 => "Upgrade Required",
        428 => "Precondition Required",
        429 => "Too Many Requests",
        431 => "Request Header Fields Too Large",
        451 => "Unavailable For Legal Reasons",
        499 => "Client Error - Others",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Time-out",
        505 => "HTTP Version not supported",
        506 => "Variant Also Negotiates",
        507 => "Insufficient Storage",
        508 => "Loop Detected",
        510 => "Not Extended",
        511 => "Network Authentication Required",
        599 => "Server Error - Others",
        _ => return None,
    })
}

/// Bytes as tshark 4.0 shows a field it reads as ASCII: each byte past 0x7f is U+FFFD.
fn ascii_text(bytes: &[u8]) -> FieldValue {
    FieldValue::Str(
        bytes
            .iter()
            .map(|&b| {
                if b.is_ascii() {
                    char::from(b)
                } else {
                    '\u{fffd}'
                }
            })
            .collect(),
    )
}

/// The header lines of a head as sent, each with its line end: those after the start line
/// (and any empty lines before it), up to the blank line that ends the head.
fn header_lines(raw: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut lines = raw
        .split_inclusive(|&b| b == b'\n')
        .skip_while(|l| l.trim_ascii().is_empty());
    lines.next();
    lines.take_while(|l| !l.trim_ascii().is_empty())
}

/// `http.response.code.desc` as tshark prints it.
fn status_description(status: u16) -> String {
    match status_text(status) {
        Some(t) => t.to_string(),
        None => format!("Unknown ({status})"),
    }
}

/// Media types whose bodies are shown as lines of text.
fn is_textual(mt: &[u8]) -> bool {
    let mt = mt.to_ascii_lowercase();
    mt.starts_with(b"text/")
        || [
            &b"json"[..],
            b"xml",
            b"javascript",
            b"x-www-form-urlencoded",
        ]
        .iter()
        .any(|k| mt.windows(k.len()).any(|w| w == *k))
}

impl AppMessage for HttpMessage {
    fn protocol_name(&self) -> &'static str {
        "http"
    }
    fn protocol(&self) -> std::borrow::Cow<'_, str> {
        HttpMessage::protocol(self)
    }
    fn info(&self) -> String {
        HttpMessage::info(self)
    }
    fn push_info(&self, out: &mut String) {
        HttpMessage::push_info(self, out)
    }
    fn tree(&self) -> TreeNode {
        HttpMessage::tree(self)
    }
    fn json(&self) -> Map<String, Value> {
        HttpMessage::json(self)
    }
    fn fields(&self, out: &mut dyn Fields) {
        HttpMessage::fields(self, out)
    }
    fn has(&self, name: &str) -> bool {
        match name {
            "http" => true,
            "http.request" => self.is_request(),
            "http.response" => !self.is_request(),
            _ => false,
        }
    }
    fn values(&self, field: &str, out: &mut Vec<FieldValue>) {
        self.shared_values(field, out);
        self.http1_values(field, out);
    }
    fn http(&self) -> Option<&HttpMessage> {
        Some(self)
    }
}

impl HttpMessage {
    /// The fields tshark shows for HTTP/1.x and, on our side, for a message of an HTTP/2 or
    /// HTTP/3 stream too ([`HttpMessage::stream_values`]).
    fn shared_values(&self, field: &str, out: &mut Vec<FieldValue>) {
        let text = |b: &[u8]| FieldValue::Str(String::from_utf8_lossy(b).into_owned());
        let v = match (field, &self.start) {
            ("http.host", _) => self.header("host").map(text),
            ("http.user_agent", _) => self.header("user-agent").map(text),
            ("http.content_type", _) => self.content_type().map(text),
            ("http.request.method", StartLine::Request(r)) => {
                Some(FieldValue::Str(r.method.to_string()))
            }
            ("http.request.uri", StartLine::Request(r)) => Some(text(&r.uri)),
            ("http.response.code", StartLine::Response(r)) => {
                Some(FieldValue::Int(r.status.into()))
            }
            _ => None,
        };
        out.extend(v);
    }

    /// The fields of an HTTP/1.x message only (tshark names those of HTTP/2 `http2.*`).
    fn http1_values(&self, field: &str, out: &mut Vec<FieldValue>) {
        let text = |b: &[u8]| FieldValue::Str(String::from_utf8_lossy(b).into_owned());
        let v = match (field, &self.start) {
            ("http.request.version", StartLine::Request(_))
            | ("http.response.version", StartLine::Response(_)) => {
                Some(FieldValue::Str(self.version.to_string()))
            }
            ("http.response.phrase", StartLine::Response(r)) => Some(text(&r.reason)),
            ("http.request.full_uri", StartLine::Request(r)) => self
                .full_uri_bytes(r.host.as_deref(), &r.uri)
                .map(|u| text(&u)),
            // The request's URI as it is when it had no Host.
            ("http.response_for.uri", StartLine::Response(r)) => {
                r.request_uri.as_deref().map(|u| {
                    match self.full_uri_bytes(r.request_host.as_deref(), u) {
                        Some(full) => text(&full),
                        None => text(u),
                    }
                })
            }
            ("http.request_in", StartLine::Response(r)) => r.request_frame.map(FieldValue::Int),
            // Forward frames: known with `-2` only, as in tshark.
            ("http.response_in", StartLine::Request(_)) => self.later.response.map(FieldValue::Int),
            ("http.next_request_in", _) => self.later.next_request.map(FieldValue::Int),
            ("http.next_response_in", StartLine::Response(_)) => {
                self.later.next_response.map(FieldValue::Int)
            }
            ("http.time", StartLine::Response(r)) => r.since_request.map(FieldValue::Time),
            // Each header line as sent, with its line end (tshark's `http.request.line` and
            // `http.response.line`): the lines after the start line, up to the blank line.
            ("http.request.line", StartLine::Request(_))
            | ("http.response.line", StartLine::Response(_)) => {
                if let Some(raw) = &self.raw_head {
                    out.extend(header_lines(raw).map(ascii_text));
                }
                None
            }
            // The exchange's number in the stream, as tshark counts them (interim responses
            // are responses).
            ("http.request_number", StartLine::Request(r)) => {
                Some(FieldValue::Int(r.index as u64 + 1))
            }
            ("http.response_number", StartLine::Response(r)) => {
                Some(FieldValue::Int(r.index as u64 + 1))
            }
            ("http.prev_request_in", StartLine::Request(r)) => r.prev_frame.map(FieldValue::Int),
            ("http.prev_request_in", StartLine::Response(r)) => {
                r.prev_request_frame.map(FieldValue::Int)
            }
            ("http.prev_response_in", StartLine::Response(r)) => {
                r.prev_response_frame.map(FieldValue::Int)
            }
            ("http.content_length", _) => self.content_length.map(FieldValue::Int),
            ("http.response.code.desc", StartLine::Response(r)) => {
                Some(FieldValue::Str(status_description(r.status)))
            }
            // tshark splits the target only when it has a query.
            ("http.request.uri.path" | "http.request.uri.query", StartLine::Request(r)) => {
                let uri: &[u8] = &r.uri;
                uri.iter().position(|&b| b == b'?').map(|q| {
                    let (path, query) = (&uri[..q], &uri[q + 1..]);
                    text(if field.ends_with("path") { path } else { query })
                })
            }
            ("http.request.uri.query.parameter", StartLine::Request(r)) => {
                let uri: &[u8] = &r.uri;
                if let Some(q) = uri.iter().position(|&b| b == b'?') {
                    out.extend(uri[q + 1..].split(|&b| b == b'&').map(text));
                }
                None
            }
            ("http.content_length_header", _) => {
                out.extend(
                    self.headers
                        .iter()
                        .filter(|(n, _)| n.eq_ignore_ascii_case("content-length"))
                        .map(|(_, v)| text(v)),
                );
                None
            }
            // Each `name=value` of the Cookie fields, as tshark splits them at `;`.
            ("http.cookie_pair", _) => {
                for (_, v) in self
                    .headers
                    .iter()
                    .filter(|(n, _)| n.eq_ignore_ascii_case("cookie"))
                {
                    out.extend(
                        v.split(|&b| b == b';')
                            .map(<[u8]>::trim_ascii)
                            .filter(|p| !p.is_empty())
                            .map(text),
                    );
                }
                None
            }
            // The decoded text of each Basic credential (Authorization, Proxy-Authorization).
            ("http.authbasic", _) => {
                out.extend(
                    self.headers
                        .iter()
                        .filter(|(n, _)| super::auth::is_auth_header(n))
                        .filter_map(|(_, v)| super::auth::basic_text(v))
                        .map(|t| text(&t)),
                );
                None
            }
            // The body as the application reads it (de-chunked, decompressed), as tshark 4.0
            // shows it: ASCII text up to its first NUL byte, each byte past 0x7f as U+FFFD.
            ("http.file_data", _) => {
                let body = self.body_for_search();
                let end = body.iter().position(|&b| b == 0).unwrap_or(body.len());
                (!body.is_empty()).then(|| ascii_text(&body[..end]))
            }
            _ => {
                // A header field tshark names `http.NAME`, every occurrence.
                if let Some(h) = HEADER_FIELDS.iter().find(|(f, _)| *f == field) {
                    out.extend(
                        self.headers
                            .iter()
                            .filter(|(n, _)| n.eq_ignore_ascii_case(h.1))
                            .map(|(_, v)| text(v)),
                    );
                }
                None
            }
        };
        out.extend(v);
    }
}
