//! `--export-objects http,DIR` (tshark's option): the body of every HTTP message that has
//! one — requests (form posts, uploads) and responses, HTTP/1.x in clear or decrypted, and
//! HTTP/2 and HTTP/3 — written to a file of DIR as the application sees it (de-chunked,
//! content coding undone), whatever `-Y` shows, as tshark's export does.
//!
//! Files are named as tshark names them: the last path segment of the request's URI (a
//! response takes its request's), query included, with the bytes a file name must not hold
//! (`<>:"/\|?*` and controls) written `%xx`; `objectN` (N the frame) when no URI is known; a
//! name already in DIR gets `(1)`, `(2)`, … before its extension. Beyond tshark, a name is
//! never `.` or `..`, non-UTF-8 bytes and invisible or bidi characters are `%xx` too (no
//! byte from a packet reaches a terminal's `ls` unescaped), a name is cut to 255 bytes
//! keeping its extension, duplicates are numbered past tshark's 1,000 (tshark writes the
//! later ones over its `(999)` file), and an HTTP/2 or HTTP/3 object is named by its `:path`
//! (tshark 4.0 names those `objectN`). Files are created new (`O_EXCL`): nothing in DIR is
//! overwritten and no symbolic link is followed.
//!
//! Data flows one way: the pipeline hands each frame's completed messages to the run's sink
//! ([`Event::Messages`]); [`Exporting`] wraps that sink, writes the files and passes every
//! event on.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use crate::dissect::http::{HttpMessage, StartLine};
use crate::dissect::AppEvent;
use crate::event::{Event, Sink};

/// The longest file name written, in bytes (as tshark's and most file systems' limit).
const MAX_NAME: usize = 255;

/// The protocols `--export-objects` knows.
pub const PROTOCOLS: &[&str] = &["http"];

/// `PROTO,DIR` as tshark takes it: the directory (made when missing). The error is one line.
pub fn parse_arg(arg: &str) -> Result<PathBuf, String> {
    let known = PROTOCOLS.join(", ");
    match arg.split_once(',') {
        Some(("http", dir)) if !dir.is_empty() => Ok(PathBuf::from(dir)),
        Some(("http", _)) | None => Err(format!(
            "--export-objects {}: give it as PROTOCOL,DIRECTORY (e.g. http,objects); protocols: {known}",
            crate::present::escape::escape_str(arg)
        )),
        Some((proto, _)) => Err(format!(
            "--export-objects: protocol '{}' is not exported; protocols: {known}",
            crate::present::escape::escape_str(proto)
        )),
    }
}

/// What an export wrote, for the end-of-run line.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct ExportStats {
    pub files: u64,
    pub bytes: u64,
    /// Objects whose body was not whole (bytes never captured, cut by `--max-http-body`).
    pub incomplete: u64,
}

/// The files of one `--export-objects` run.
pub struct ObjectExport {
    dir: PathBuf,
    stats: ExportStats,
}

impl ObjectExport {
    /// Export into `dir`, made (with its parents) when missing.
    pub fn new(dir: &Path) -> io::Result<Self> {
        std::fs::create_dir_all(dir)?;
        Ok(ObjectExport {
            dir: dir.to_path_buf(),
            stats: ExportStats::default(),
        })
    }

    pub fn stats(&self) -> ExportStats {
        self.stats
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Write the bodies of the HTTP messages among `events`, in order.
    pub fn messages(&mut self, events: &[AppEvent]) -> io::Result<()> {
        for e in events {
            let Some(m) = e.msg.http() else { continue };
            let body = m.body_for_search();
            if body.is_empty() {
                continue;
            }
            let name = object_name(uri_of(m), e.frame, m.content_type());
            let (mut file, _path) = self.create(&name)?;
            file.write_all(body)?;
            self.stats.files += 1;
            self.stats.bytes += body.len() as u64;
            // The bytes kept as sent against the body's length on the wire (a decoded body's
            // own length says nothing of what was cut).
            if !m.body_complete || m.body_missing > 0 || (m.body.len() as u64) < m.body_len {
                self.stats.incomplete += 1;
            }
        }
        Ok(())
    }

    /// A new file for `name` in the directory: `name`, else `name(1)`, `name(2)`, … (the
    /// number before the extension), never one that exists.
    fn create(&self, name: &str) -> io::Result<(File, PathBuf)> {
        let mut n = 0u64;
        loop {
            let path = self.dir.join(numbered(name, n));
            match OpenOptions::new().write(true).create_new(true).open(&path) {
                Ok(f) => return Ok((f, path)),
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists && n < u64::from(u32::MAX) => {
                    n += 1
                }
                Err(e) => return Err(io::Error::new(e.kind(), format!("{}: {e}", path.display()))),
            }
        }
    }
}

/// The URI a message's object is named after: a request's own, a response's request's.
fn uri_of(m: &HttpMessage) -> Option<&[u8]> {
    match &m.start {
        StartLine::Request(r) => Some(&r.uri),
        StartLine::Response(s) => s.request_uri.as_deref(),
    }
}

/// The file name of an object (before any duplicate number): the URI's last path segment,
/// made safe; without a URI, `objectN` (N the frame that completed the message) and, as
/// tshark 4.0 writes it, the media type as its extension (`object184.text%2fhtml`).
pub fn object_name(uri: Option<&[u8]>, frame: u64, content_type: Option<&[u8]>) -> String {
    let Some(uri) = uri.filter(|u| !u.is_empty()) else {
        let media = content_type
            .map(|t| {
                t.split(|&b| b == b';')
                    .next()
                    .unwrap_or_default()
                    .trim_ascii()
            })
            .filter(|t| !t.is_empty());
        return match media {
            Some(t) => cut_name(format!(
                "object{frame}.{}",
                safe_name(&t.to_ascii_lowercase())
            )),
            None => format!("object{frame}"),
        };
    };
    cut_name(safe_name(last_segment(uri)))
}

/// The last path segment as glib's `g_path_get_basename` gives it (what tshark names an
/// object by): trailing slashes dropped, then what follows the last slash; only slashes
/// give `/`.
fn last_segment(uri: &[u8]) -> &[u8] {
    let end = uri.iter().rposition(|&b| b != b'/').map_or(0, |i| i + 1);
    if end == 0 {
        return &uri[..1];
    }
    let trimmed = &uri[..end];
    let start = trimmed
        .iter()
        .rposition(|&b| b == b'/')
        .map_or(0, |i| i + 1);
    &trimmed[start..]
}

/// `%xx` (lower-case hex) for every byte a file name must not hold: tshark's set (`<>:"/\|?*`
/// and the controls), and also NUL, DEL, bytes of invalid UTF-8 and characters that are
/// invisible or reorder text (those [`crate::present::escape`] escapes). `.` and `..` are
/// `%2e` and `%2e%2e`.
fn safe_name(seg: &[u8]) -> String {
    if seg == b"." || seg == b".." {
        return "%2e".repeat(seg.len());
    }
    let mut out = String::with_capacity(seg.len());
    let push_hex = |out: &mut String, bytes: &[u8]| {
        for b in bytes {
            out.push_str(&format!("%{b:02x}"));
        }
    };
    for chunk in seg.utf8_chunks() {
        for c in chunk.valid().chars() {
            let mut buf = [0u8; 4];
            let enc = c.encode_utf8(&mut buf).as_bytes();
            let reject = matches!(c, '<' | '>' | ':' | '"' | '/' | '\\' | '|' | '?' | '*')
                || crate::present::escape::is_unsafe(c);
            if reject {
                push_hex(&mut out, enc);
            } else {
                out.push(c);
            }
        }
        push_hex(&mut out, chunk.invalid());
    }
    out
}

/// A name cut to [`MAX_NAME`] bytes, less room for a duplicate number, keeping its
/// extension (from the last `.`) when the extension is short.
fn cut_name(name: String) -> String {
    const ROOM: usize = 12; // "(4294967295)"
    let max = MAX_NAME - ROOM;
    if name.len() <= max {
        return name;
    }
    let ext = match name.rfind('.') {
        Some(i) if name.len() - i <= 16 => &name[i..],
        _ => "",
    };
    let mut stem_end = max - ext.len();
    while !name.is_char_boundary(stem_end) {
        stem_end -= 1;
    }
    format!("{}{ext}", &name[..stem_end])
}

/// `name` with duplicate number `n` (none for 0) before its extension, as tshark writes
/// `index(1).html`.
fn numbered(name: &str, n: u64) -> String {
    if n == 0 {
        return name.to_string();
    }
    match name.rfind('.') {
        Some(i) => format!("{}({n}){}", &name[..i], &name[i..]),
        None => format!("{name}({n})"),
    }
}

/// The run's sink with `--export-objects`: writes the objects of [`Event::Messages`] and
/// passes every event on to `inner`. A failed write ends the run with its error.
pub struct Exporting<'a> {
    pub inner: &'a mut dyn Sink,
    pub export: ObjectExport,
}

impl Sink for Exporting<'_> {
    fn event(&mut self, ev: Event<'_>) -> io::Result<()> {
        if let Event::Messages(events) = ev {
            self.export
                .messages(events)
                .map_err(|e| io::Error::new(e.kind(), format!("--export-objects: {e}")))?;
        }
        self.inner.event(ev)
    }

    fn wants_messages(&self) -> bool {
        true
    }

    fn wants_sessions(&self) -> bool {
        self.inner.wants_sessions()
    }

    fn reads_tcp_options(&self) -> bool {
        self.inner.reads_tcp_options()
    }

    fn set_capture(&mut self, name: Option<String>) {
        self.inner.set_capture(name)
    }

    fn raw_output(&mut self) -> Option<&mut dyn Write> {
        self.inner.raw_output()
    }

    fn add_mask_terms(&mut self, terms: Vec<String>) {
        self.inner.add_mask_terms(terms)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(uri: &str) -> String {
        object_name(Some(uri.as_bytes()), 7, Some(b"text/html"))
    }

    #[test]
    fn names_follow_tshark() {
        assert_eq!(name("/"), "%2f");
        assert_eq!(name("//"), "%2f");
        assert_eq!(name("/index.html"), "index.html");
        assert_eq!(name("/a/b/"), "b");
        assert_eq!(name("/feed?token=x"), "feed%3ftoken=x");
        assert_eq!(name("/q?a=1/2"), "2");
        assert_eq!(name("http://host/x.css"), "x.css");
        assert_eq!(name("*"), "%2a");
        assert_eq!(name("/a:b|c\"d<e>f\\g"), "a%3ab%7cc%22d%3ce%3ef%5cg");
        assert_eq!(object_name(None, 42, None), "object42");
        assert_eq!(object_name(Some(b""), 42, Some(b" ")), "object42");
        let html = Some(&b"Text/HTML; charset=UTF-8"[..]);
        assert_eq!(object_name(None, 184, html), "object184.text%2fhtml");
        assert_eq!(numbered("index.html", 1), "index(1).html");
        assert_eq!(numbered("post", 12), "post(12)");
        assert_eq!(numbered(".htaccess", 2), "(2).htaccess");
    }

    #[test]
    fn names_hold_no_path_and_nothing_unsafe() {
        assert_eq!(name("/.."), "%2e%2e");
        assert_eq!(name("/."), "%2e");
        assert_eq!(name("/x\x1b[2Jy"), "x%1b[2Jy");
        assert_eq!(name("/a\u{202e}b"), "a%e2%80%aeb");
        assert_eq!(object_name(Some(b"/a\xffb\x00"), 1, None), "a%ffb%00");
        let long = format!("/{}.png", "x".repeat(400));
        let n = name(&long);
        assert!(n.len() <= MAX_NAME - 12 && n.ends_with(".png"), "{n}");
        let wide = format!("/{}", "é".repeat(300));
        let n = name(&wide);
        assert!(n.len() <= MAX_NAME - 12 && n.chars().all(|c| c == 'é'));
    }

    #[test]
    fn the_argument_is_tshark_s() {
        assert_eq!(parse_arg("http,out").unwrap(), PathBuf::from("out"));
        assert_eq!(parse_arg("http,a,b").unwrap(), PathBuf::from("a,b"));
        assert!(parse_arg("smb,out")
            .unwrap_err()
            .contains("'smb' is not exported"));
        assert!(parse_arg("http")
            .unwrap_err()
            .contains("PROTOCOL,DIRECTORY"));
        assert!(parse_arg("http,").is_err());
    }

    #[test]
    fn a_name_in_use_is_numbered_and_never_overwritten() {
        let dir = std::env::temp_dir().join(format!("sq-eo-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let ex = ObjectExport::new(&dir).unwrap();
        std::fs::write(dir.join("index.html"), b"mine").unwrap();
        let (_, p1) = ex.create("index.html").unwrap();
        let (_, p2) = ex.create("index.html").unwrap();
        assert_eq!(p1.file_name().unwrap(), "index(1).html");
        assert_eq!(p2.file_name().unwrap(), "index(2).html");
        assert_eq!(std::fs::read(dir.join("index.html")).unwrap(), b"mine");
        std::os::unix::fs::symlink("/nonexistent-target", dir.join("link")).unwrap();
        let (_, p3) = ex.create("link").unwrap();
        assert_eq!(p3.file_name().unwrap(), "link(1)");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
