//! HTTP/1.x message heads: the request or status line and the header fields.
//!
//! Heads are parsed with `httparse`; when it refuses a head that real clients and servers
//! still send (a request line without a version, `HTTP/1.`, raw control bytes in a URI or a
//! header value, folded header lines), a lenient line-by-line parser takes over so the
//! message is still shown, escaped.

use std::borrow::Cow;
use std::mem::MaybeUninit;
use std::sync::Arc;

use super::headers::Headers;
use super::message::{method_name, reason_text};
use crate::dissect::Detect;

/// Methods accepted even when the request line is malformed (no version, one token).
const KNOWN_METHODS: &[&[u8]] = &[
    b"GET",
    b"POST",
    b"HEAD",
    b"PUT",
    b"DELETE",
    b"OPTIONS",
    b"TRACE",
    b"CONNECT",
    b"PATCH",
    b"PROPFIND",
    b"PROPPATCH",
    b"MKCOL",
    b"COPY",
    b"MOVE",
    b"LOCK",
    b"UNLOCK",
    b"SEARCH",
    b"REPORT",
    b"MKACTIVITY",
    b"CHECKOUT",
    b"MERGE",
    b"NOTIFY",
    b"SUBSCRIBE",
    b"UNSUBSCRIBE",
    b"M-SEARCH",
    b"ACL",
    b"BIND",
    b"UNBIND",
    b"REBIND",
    b"LABEL",
    b"UPDATE",
    b"UNCHECKOUT",
    b"MKWORKSPACE",
    b"MKCALENDAR",
    b"VERSION-CONTROL",
    b"BASELINE-CONTROL",
    b"ORDERPATCH",
    b"POLL",
    b"BCOPY",
    b"BDELETE",
    b"BMOVE",
    b"BPROPFIND",
    b"BPROPPATCH",
    b"CCM_POST",
    b"RPC_CONNECT",
    b"RPC_IN_DATA",
    b"RPC_OUT_DATA",
];

/// Longest method token considered.
const MAX_METHOD: usize = 32;
/// How far `detect` looks for the end of a request line with an unknown method.
const DETECT_LINE_LIMIT: usize = 4096;

/// The first line of a head.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum StartKind {
    Request {
        method: Cow<'static, str>,
        uri: Arc<[u8]>,
    },
    Response {
        status: u16,
        reason: Cow<'static, [u8]>,
    },
}

/// A parsed head.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Head {
    pub kind: StartKind,
    /// Version as on the wire (`HTTP/1.1`; may be empty or odd for a malformed request line).
    pub version: Cow<'static, str>,
    /// The start line as on the wire, without its line end.
    pub line: Vec<u8>,
    /// The start line ended in CR LF (else in a bare LF).
    pub line_crlf: bool,
    pub headers: Headers,
    /// Bytes taken from the buffer, including leading empty lines and the blank line.
    pub len: usize,
    /// True when httparse refused the head and the lenient parser read it.
    pub lenient: bool,
    /// The head's bytes as sent, when the configuration keeps them
    /// ([`crate::dissect::DissectConfig::keep_raw_heads`]).
    pub raw: Option<Vec<u8>>,
}

#[cfg(test)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum HeadParse {
    /// More bytes are needed.
    Partial,
    Complete(Head),
    /// Not an HTTP head; the reason is plain text without wire bytes.
    Invalid(&'static str),
}

/// RFC 9110 `tchar`.
pub(crate) fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

fn is_known_method(m: &[u8]) -> bool {
    KNOWN_METHODS.contains(&m)
}

/// Number of leading CR / LF bytes (empty lines before a message are ignored).
pub(crate) fn leading_newlines(buf: &[u8]) -> usize {
    leading_newlines_upto(buf, usize::MAX)
}

/// [`leading_newlines`], counting at most `limit`.
fn leading_newlines_upto(buf: &[u8], limit: usize) -> usize {
    buf.iter()
        .take(limit)
        .take_while(|&&b| b == b'\r' || b == b'\n')
        .count()
}

fn trim_cr(line: &[u8]) -> &[u8] {
    line.strip_suffix(b"\r").unwrap_or(line)
}

fn trim_ws(mut s: &[u8]) -> &[u8] {
    while let Some((first, rest)) = s.split_first() {
        if *first == b' ' || *first == b'\t' {
            s = rest;
        } else {
            break;
        }
    }
    while let Some((last, rest)) = s.split_last() {
        if *last == b' ' || *last == b'\t' || *last == b'\r' {
            s = rest;
        } else {
            break;
        }
    }
    s
}

/// Look at the first bytes of a direction: is this an HTTP/1.x request or response?
pub fn detect(prefix: &[u8]) -> Detect {
    detect_counted(prefix, &mut 0)
}

/// [`detect`], adding the bytes it looks at to `examined`.
fn detect_counted(prefix: &[u8], examined: &mut u64) -> Detect {
    let skip = leading_newlines_upto(prefix, 9);
    *examined += skip as u64;
    if skip > 8 {
        return Detect::No;
    }
    let p = prefix.get(skip..).unwrap_or(&[]);
    if p.is_empty() {
        return Detect::NeedMore;
    }
    *examined += p.len().min(7) as u64;
    if p.starts_with(b"HTTP/1.") {
        return Detect::Yes;
    }
    if b"HTTP/1.".starts_with(p) {
        return Detect::NeedMore;
    }
    let token = p
        .iter()
        .take(MAX_METHOD + 1)
        .take_while(|&&b| is_tchar(b))
        .count();
    *examined += (token + 1) as u64;
    if token > MAX_METHOD || (token == 0 && !p.is_empty()) {
        return Detect::No;
    }
    let method = p.get(..token).unwrap_or(&[]);
    match p.get(token) {
        // All token so far: a known method may still follow.
        None => Detect::NeedMore,
        Some(b' ') if is_known_method(method) => Detect::Yes,
        Some(b' ') | Some(b'\r') | Some(b'\n') => {
            let window = p.get(..p.len().min(DETECT_LINE_LIMIT)).unwrap_or(p);
            let end = memchr::memchr(b'\n', window);
            *examined += end.map_or(window.len(), |e| e + 1) as u64;
            match end {
                Some(end) => {
                    let line = trim_cr(window.get(..end).unwrap_or(&[]));
                    *examined += line.len() as u64;
                    if is_start_line(line) {
                        Detect::Yes
                    } else {
                        Detect::No
                    }
                }
                None if p.len() < DETECT_LINE_LIMIT
                    && !window.iter().any(|&b| b < 0x20 && b != b'\r') =>
                {
                    *examined += window.len() as u64;
                    Detect::NeedMore
                }
                None => Detect::No,
            }
        }
        Some(_) => Detect::No,
    }
}

/// The parts of a start line, borrowed from it.
enum StartParts<'a> {
    Request {
        method: &'a [u8],
        uri: &'a [u8],
        version: &'a [u8],
    },
    Response {
        status: u16,
        reason: &'a [u8],
        version: &'a [u8],
    },
}

/// The kind and the version text of a start line's parts.
fn classify_parts(parts: StartParts<'_>) -> (StartKind, String) {
    match parts {
        StartParts::Request {
            method,
            uri,
            version,
        } => (
            StartKind::Request {
                method: method_name(&String::from_utf8_lossy(method)),
                uri: Arc::from(uri),
            },
            String::from_utf8_lossy(version).into_owned(),
        ),
        StartParts::Response {
            status,
            reason,
            version,
        } => (
            StartKind::Response {
                status,
                reason: reason_text(status, reason),
            },
            String::from_utf8_lossy(version).into_owned(),
        ),
    }
}

/// Is `line` (complete, without line end) a request line or a status line?
fn is_start_line(line: &[u8]) -> bool {
    start_parts(line).is_some()
}

fn start_parts(line: &[u8]) -> Option<StartParts<'_>> {
    if line.starts_with(b"HTTP/") {
        return status_line(line);
    }
    request_line(line)
}

fn status_line(line: &[u8]) -> Option<StartParts<'_>> {
    let sp = line.iter().position(|&b| b == b' ')?;
    let version = line.get(..sp)?;
    if !version.get(5).is_some_and(|b| b.is_ascii_digit()) {
        return None;
    }
    let rest = line.get(sp..)?;
    let rest = rest.get(rest.iter().take_while(|&&b| b == b' ').count()..)?;
    let code = rest.get(..3)?;
    if !code.iter().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let after = rest.get(3..).unwrap_or(&[]);
    if !(after.is_empty() || after.first() == Some(&b' ')) {
        return None;
    }
    let status = code
        .iter()
        .fold(0u16, |acc, d| acc * 10 + u16::from(d - b'0'));
    Some(StartParts::Response {
        status,
        reason: trim_ws(after),
        version,
    })
}

fn request_line(line: &[u8]) -> Option<StartParts<'_>> {
    let token = line.iter().take_while(|&&b| is_tchar(b)).count();
    if token == 0 || token > MAX_METHOD {
        return None;
    }
    let method = line.get(..token)?;
    let rest = line.get(token..).unwrap_or(&[]);
    let known = is_known_method(method);
    let (uri, version): (&[u8], &[u8]) = if rest.is_empty() {
        if !known {
            return None;
        }
        (&[], &[])
    } else {
        if rest.first() != Some(&b' ') {
            return None;
        }
        let rest = trim_ws(rest);
        match rest.iter().rposition(|&b| b == b' ') {
            Some(sp) if rest.get(sp + 1..).is_some_and(|v| v.starts_with(b"HTTP/")) => (
                trim_ws(rest.get(..sp).unwrap_or(&[])),
                rest.get(sp + 1..).unwrap_or(&[]),
            ),
            _ => {
                if !known {
                    return None;
                }
                (rest, &[])
            }
        }
    };
    if !known && !version.starts_with(b"HTTP/1.") {
        return None;
    }
    Some(StartParts::Request {
        method,
        uri,
        version,
    })
}

/// What the scan of a head received so far shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scanned {
    /// More bytes are needed.
    Partial,
    /// The head ends here (just past its blank line).
    Complete(usize),
    /// Not an HTTP head; the reason is plain text without wire bytes.
    Invalid(&'static str),
}

/// The scan of one head as its bytes arrive, resumed where it stopped: where the first line
/// ends and how far the search for the blank line has gone. However a head is cut into
/// segments, each of its bytes is looked at a bounded number of times.
#[derive(Debug, Default, Clone)]
pub(crate) struct HeadScan {
    /// Index of the `\n` that ends the first line, once seen (the line is then valid).
    first_nl: Option<usize>,
    /// The first line's end was searched for up to here.
    line_from: usize,
    /// Leading token characters counted so far (at most [`MAX_METHOD`] + 1).
    token: usize,
    /// Whether the first line can still become a start line, once the bytes seen decide it.
    lead: Option<bool>,
    /// No `\n` before this index starts the blank line.
    end_from: usize,
}

impl HeadScan {
    /// The head now starts `by` bytes later in the same bytes (resynchronisation): what
    /// was learnt of the blank line still holds, the first line is new.
    pub fn moved(&mut self, by: usize) {
        *self = HeadScan {
            end_from: self.end_from.saturating_sub(by),
            ..HeadScan::default()
        };
    }

    /// Scan `b`: the head as received so far (it starts with no empty line), a longer
    /// prefix of the same bytes at each call. Adds the bytes looked at to `examined`.
    pub fn advance(&mut self, b: &[u8], examined: &mut u64) -> Scanned {
        let nl = match self.first_nl {
            Some(nl) => nl,
            None => {
                let from = self.line_from.min(b.len());
                let tail = b.get(from..).unwrap_or(&[]);
                let Some(i) = memchr::memchr(b'\n', tail) else {
                    *examined += tail.len() as u64;
                    self.line_from = b.len();
                    return if self.lead_valid(b, examined) {
                        Scanned::Partial
                    } else {
                        Scanned::Invalid(NOT_START_LINE)
                    };
                };
                *examined += (i + 1) as u64;
                let nl = from + i;
                let line = trim_cr(b.get(..nl).unwrap_or(&[]));
                *examined += line.len() as u64;
                if !is_start_line(line) {
                    return Scanned::Invalid(NOT_START_LINE);
                }
                self.first_nl = Some(nl);
                nl
            }
        };
        let mut from = self.end_from.max(nl);
        loop {
            let tail = b.get(from..).unwrap_or(&[]);
            let Some(i) = memchr::memchr(b'\n', tail) else {
                *examined += tail.len() as u64;
                self.end_from = b.len();
                return Scanned::Partial;
            };
            *examined += (i + 1) as u64;
            let at = from + i;
            match (b.get(at + 1), b.get(at + 2)) {
                (Some(b'\n'), _) => return Scanned::Complete(at + 2),
                (Some(b'\r'), Some(b'\n')) => return Scanned::Complete(at + 3),
                // Undecided until the next bytes: look at this `\n` again then.
                (None, _) | (Some(b'\r'), None) => {
                    self.end_from = at;
                    return Scanned::Partial;
                }
                _ => from = at + 1,
            }
        }
    }

    /// While the first line is incomplete: could it still become a request or status line?
    /// Decided once a byte after the leading token is seen; only new bytes are counted.
    fn lead_valid(&mut self, b: &[u8], examined: &mut u64) -> bool {
        if let Some(v) = self.lead {
            return v;
        }
        while self.token <= MAX_METHOD {
            match b.get(self.token) {
                Some(&c) if is_tchar(c) => {
                    self.token += 1;
                    *examined += 1;
                }
                _ => break,
            }
        }
        *examined += b.len().min(5) as u64;
        let valid = if b.starts_with(b"HTTP/") || b"HTTP/".starts_with(b) {
            true
        } else if self.token > MAX_METHOD {
            false
        } else {
            match b.get(self.token) {
                None => true,
                Some(b' ') | Some(b'\r') => self.token > 0,
                Some(_) => false,
            }
        };
        if b.len() > self.token || self.token > MAX_METHOD {
            self.lead = Some(valid);
        }
        valid
    }
}

const NOT_START_LINE: &str = "not an HTTP request or status line";

/// The first index at or after `from` where a line starts that could begin a message
/// (`detect` is not `No` there); `line_start` says whether `b[from]` starts a line. `Err`
/// when there is none, with whether the byte after `b` starts a line. Adds the bytes
/// looked at to `examined`.
pub(crate) fn find_start(
    b: &[u8],
    from: usize,
    line_start: bool,
    examined: &mut u64,
) -> Result<usize, bool> {
    let mut i = from;
    let mut at_line_start = line_start;
    loop {
        let Some(rest) = b.get(i..).filter(|r| !r.is_empty()) else {
            return Err(at_line_start);
        };
        if at_line_start && detect_counted(rest, examined) != Detect::No {
            return Ok(i);
        }
        match memchr::memchr(b'\n', rest) {
            Some(k) => {
                *examined += (k + 1) as u64;
                i += k + 1;
                at_line_start = true;
            }
            None => {
                *examined += rest.len() as u64;
                return Err(false);
            }
        }
    }
}

/// `HTTP/1.0` or `HTTP/1.1` (the minor version httparse read), without formatting or
/// allocating.
fn http1_version(minor: u8) -> Cow<'static, str> {
    match minor {
        0 => Cow::Borrowed("HTTP/1.0"),
        1 => Cow::Borrowed("HTTP/1.1"),
        v => Cow::Owned(format!("HTTP/1.{v}")),
    }
}

/// A complete head (`head` ends just past its blank line, no empty line before it).
pub(crate) fn complete_head(head: &[u8], examined: &mut u64) -> Option<Head> {
    let first_nl = memchr::memchr(b'\n', head)?;
    let with_cr = head.get(..first_nl).unwrap_or(&[]);
    let line = trim_cr(with_cr);
    let line_crlf = with_cr.len() != line.len();
    *examined += (first_nl + 1 + line.len()) as u64;
    let parts = start_parts(line)?;
    // `strict` counts the lines, then httparse reads the head.
    *examined += 2 * head.len() as u64;
    if let Some(mut h) = strict(head) {
        h.len = head.len();
        h.line = line.to_vec();
        h.line_crlf = line_crlf;
        return Some(h);
    }
    // Lenient: our own start line, header lines split at the colon.
    let (kind, version) = classify_parts(parts);
    let body = head.get(first_nl + 1..).unwrap_or(&[]);
    *examined += body.len() as u64;
    Some(Head {
        kind,
        version: Cow::Owned(version),
        line: line.to_vec(),
        line_crlf,
        headers: lenient_headers(body),
        len: head.len(),
        lenient: true,
        raw: None,
    })
}

/// Parse a head at the start of `buf` (leading empty lines are skipped).
#[cfg(test)]
pub(crate) fn parse_head(buf: &[u8]) -> HeadParse {
    let skip = leading_newlines(buf);
    let b = buf.get(skip..).unwrap_or(&[]);
    if b.is_empty() {
        return HeadParse::Partial;
    }
    let mut examined = 0;
    match HeadScan::default().advance(b, &mut examined) {
        Scanned::Partial => HeadParse::Partial,
        Scanned::Invalid(reason) => HeadParse::Invalid(reason),
        Scanned::Complete(end) => match complete_head(b.get(..end).unwrap_or(&[]), &mut examined) {
            Some(mut h) => {
                h.len = skip + end;
                HeadParse::Complete(h)
            }
            None => HeadParse::Invalid(NOT_START_LINE),
        },
    }
}

/// Header slots on the stack for httparse: a head with more fields is parsed again with
/// one slot per line, on the heap (the same result: httparse stops only when it runs out).
const STACK_SLOTS: usize = 64;

fn strict(head: &[u8]) -> Option<Head> {
    let mut slots = [const { MaybeUninit::<httparse::Header<'_>>::uninit() }; STACK_SLOTS];
    match strict_in(head, &mut slots) {
        Err(httparse::Error::TooManyHeaders) => {}
        done => return done.ok().flatten(),
    }
    let lines = memchr::memchr_iter(b'\n', head).count();
    let mut slots = vec![MaybeUninit::uninit(); lines.max(1)];
    strict_in(head, &mut slots).ok().flatten()
}

/// httparse reads `head` with these header slots; `Ok(None)` when it is not one complete
/// head of exactly these bytes.
fn strict_in<'b>(
    head: &'b [u8],
    slots: &mut [MaybeUninit<httparse::Header<'b>>],
) -> Result<Option<Head>, httparse::Error> {
    let cfg = httparse::ParserConfig::default();
    // The start line's kind, the minor version and the header fields, once httparse has
    // read the whole of `head` (not one byte less).
    let whole = |status: httparse::Status<usize>| matches!(status, httparse::Status::Complete(n) if n == head.len());
    let (kind, minor, headers) = if head.starts_with(b"HTTP/") {
        let mut r = httparse::Response::new(&mut []);
        if !whole(cfg.parse_response_with_uninit_headers(&mut r, head, slots)?) {
            return Ok(None);
        }
        let (Some(status), Some(minor)) = (r.code, r.version) else {
            return Ok(None);
        };
        let reason = reason_text(status, r.reason.unwrap_or("").as_bytes());
        (StartKind::Response { status, reason }, minor, r.headers)
    } else {
        let mut r = httparse::Request::new(&mut []);
        if !whole(cfg.parse_request_with_uninit_headers(&mut r, head, slots)?) {
            return Ok(None);
        }
        let (Some(method), Some(path), Some(minor)) = (r.method, r.path, r.version) else {
            return Ok(None);
        };
        let kind = StartKind::Request {
            method: method_name(method),
            uri: Arc::from(path.as_bytes()),
        };
        (kind, minor, r.headers)
    };
    // One copy of the names and one of the values (both shorter than the head).
    let mut fields = Headers::with_capacity(headers.len(), head.len());
    for h in headers.iter() {
        fields.push(h.name, h.value);
    }
    Ok(Some(Head {
        kind,
        version: http1_version(minor),
        line: Vec::new(),
        line_crlf: true,
        headers: fields,
        len: head.len(),
        lenient: false,
        raw: None,
    }))
}

/// Header lines read leniently: `name: value`, folded lines appended, lines without a
/// colon kept with an empty value so nothing on the wire is hidden.
pub(crate) fn lenient_headers(block: &[u8]) -> Headers {
    let mut out = Headers::default();
    for raw in block.split(|&b| b == b'\n') {
        let line = trim_cr(raw);
        if line.is_empty() {
            continue;
        }
        if matches!(line.first(), Some(b' ') | Some(b'\t')) && out.extend_last(b" ") {
            out.extend_last(trim_ws(line));
            continue;
        }
        match line.iter().position(|&b| b == b':') {
            Some(c) => out.push(
                &String::from_utf8_lossy(trim_ws(line.get(..c).unwrap_or(&[]))),
                trim_ws(line.get(c + 1..).unwrap_or(&[])),
            ),
            None => out.push(&String::from_utf8_lossy(line), &[]),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn complete(buf: &[u8]) -> Head {
        match parse_head(buf) {
            HeadParse::Complete(h) => h,
            other => panic!("not complete: {other:?}"),
        }
    }

    #[test]
    fn strict_request_head() {
        let h = complete(b"\r\nGET /a?b=1 HTTP/1.1\r\nHost: x\r\nAccept: */*\r\n\r\nBODY");
        assert_eq!(
            h.kind,
            StartKind::Request {
                method: "GET".into(),
                uri: Arc::from(&b"/a?b=1"[..])
            }
        );
        assert_eq!(h.version, "HTTP/1.1");
        assert_eq!(h.line, b"GET /a?b=1 HTTP/1.1".to_vec());
        assert_eq!(h.headers.len(), 2);
        assert_eq!(h.headers.iter().next(), Some(("Host", &b"x"[..])));
        assert_eq!(h.len, 47);
        assert!(!h.lenient);
    }

    #[test]
    fn status_line_with_bare_lf() {
        let h = complete(b"HTTP/1.0 404 Not Found\nServer: y\n\n");
        assert_eq!(
            h.kind,
            StartKind::Response {
                status: 404,
                reason: b"Not Found".to_vec().into()
            }
        );
        assert_eq!(h.version, "HTTP/1.0");
        assert_eq!(
            h.headers.iter().collect::<Vec<_>>(),
            vec![("Server", &b"y"[..])]
        );
    }

    #[test]
    fn malformed_request_lines_like_tshark() {
        let cases: &[(&[u8], &str, &[u8], &str)] = &[
            (
                b"OPTIONS HTTP/1.1\r\nHost: g\r\n\r\n",
                "OPTIONS",
                b"HTTP/1.1",
                "",
            ),
            (b"OPTIONS\r\nHost: g\r\n\r\n", "OPTIONS", b"", ""),
            (b"GET / HTTP/1.\r\nHost: g\r\n\r\n", "GET", b"/", "HTTP/1."),
            (b"GET /HTTP/1.1\r\nHost: g\r\n\r\n", "GET", b"/HTTP/1.1", ""),
            (b"CCM_POST / HTTP/1.\r\n\r\n", "CCM_POST", b"/", "HTTP/1."),
            (b"CCM_POST /HTTP/1.1\r\n\r\n", "CCM_POST", b"/HTTP/1.1", ""),
        ];
        for (buf, m, u, v) in cases {
            let h = complete(buf);
            assert_eq!(
                h.kind,
                StartKind::Request {
                    method: m.to_string().into(),
                    uri: Arc::from(&u[..])
                }
            );
            assert_eq!(h.version, *v);
            assert!(h.lenient);
        }
        assert_eq!(
            parse_head(b"OPTIONSHTTP/1.1\r\nHost: g\r\n\r\n"),
            HeadParse::Invalid("not an HTTP request or status line")
        );
    }

    #[test]
    fn control_bytes_fall_back_to_lenient() {
        let h = complete(b"GET /\x1b[2J HTTP/1.1\r\nX-Evil: a\x1b]0;t\x07b\r\n folded\r\n\r\n");
        assert!(h.lenient);
        assert_eq!(
            h.kind,
            StartKind::Request {
                method: "GET".into(),
                uri: Arc::from(&b"/\x1b[2J"[..])
            }
        );
        assert_eq!(
            h.headers.iter().collect::<Vec<_>>(),
            vec![("X-Evil", &b"a\x1b]0;t\x07b folded"[..])]
        );
    }

    #[test]
    fn partial_and_invalid() {
        assert_eq!(
            parse_head(b"GET / HTTP/1.1\r\nHost: x\r\n"),
            HeadParse::Partial
        );
        assert_eq!(parse_head(b"GE"), HeadParse::Partial);
        assert_eq!(parse_head(b"\r\n"), HeadParse::Partial);
        assert!(matches!(parse_head(b"\x16\x03\x01"), HeadParse::Invalid(_)));
        assert!(matches!(
            parse_head(b"hello world\r\n"),
            HeadParse::Invalid(_)
        ));
    }

    #[test]
    fn detect_prefixes() {
        assert_eq!(detect(b"GET / HTTP/1.1\r\n"), Detect::Yes);
        assert_eq!(detect(b"GET "), Detect::Yes);
        assert_eq!(detect(b"POST /login HTTP/1.0\r\n"), Detect::Yes);
        assert_eq!(detect(b"HTTP/1.1 200 OK\r\n"), Detect::Yes);
        assert_eq!(detect(b"HTTP/1.0"), Detect::Yes);
        assert_eq!(detect(b"X_CUSTOM / HTTP/1.1\r\n"), Detect::Yes);
        assert_eq!(detect(b"CCM_POST /x"), Detect::Yes);
        assert_eq!(detect(b"X_CUSTOM / HT"), Detect::NeedMore);
        assert_eq!(detect(b"X_CUSTOM /HTTP/1.1\r\n"), Detect::No);
        assert_eq!(detect(b"FOO bar baz\r\n"), Detect::No);
        assert_eq!(detect(b"220 smtp.example.com ESMTP\r\n"), Detect::No);
        assert_eq!(detect(b"\x16\x03\x01\x02\x00\x01"), Detect::No);
        assert_eq!(detect(b"\x00\x01\x02\xff"), Detect::No);
        assert_eq!(detect(b"SSH-2.0-OpenSSH_9.0\r\n"), Detect::No);
        assert_eq!(detect(b""), Detect::NeedMore);
        assert_eq!(detect(b"G"), Detect::NeedMore);
        assert_eq!(detect(b"GE"), Detect::NeedMore);
        assert_eq!(detect(b"HTT"), Detect::NeedMore);
        assert_eq!(detect(b"HTTP/2"), Detect::No);
    }
}
