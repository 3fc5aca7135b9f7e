//! Where the `--json` records go: written as they are, or mapped to the Elastic Common
//! Schema (`--ecs`). (`--parquet DIR` is a sink of its own on the event stream:
//! [`super::parquet::ParquetOutput`].)
//!
//! [`RecordWriter`] sits between the JSON format and the output: it takes the NDJSON the
//! format writes, one record a line, and hands each record on. So ECS sees exactly the
//! records (and field names) `--json` prints, end-of-run records included.

use std::io::{self, Write};

use serde_json::{Map, Value};

/// Most bytes of one record held while its line is incomplete (a record is far smaller:
/// wire data in it is bounded upstream); past it the line is passed on as it is.
const MAX_LINE: usize = 64 << 20;

/// What happens to each record.
pub enum Route {
    /// Written as it is.
    Plain,
    /// Written as an ECS document.
    Ecs,
}

/// An NDJSON writer that routes each record (see the module notes).
pub struct RecordWriter<W: Write> {
    inner: W,
    route: Route,
    /// The current line so far.
    line: Vec<u8>,
}

impl<W: Write> RecordWriter<W> {
    pub fn new(inner: W, route: Route) -> Self {
        RecordWriter {
            inner,
            route,
            line: Vec::new(),
        }
    }

    /// One complete line (without its newline).
    fn record(&mut self, line: &[u8]) -> io::Result<()> {
        let parsed: Option<Map<String, Value>> = serde_json::from_slice(line).ok();
        match (&mut self.route, parsed) {
            (Route::Ecs, Some(m)) => {
                serde_json::to_writer(&mut self.inner, &super::ecs::document(&m))?;
                self.inner.write_all(b"\n")
            }
            // Not a record (nothing else is expected in JSON mode): passed on.
            _ => {
                self.inner.write_all(line)?;
                self.inner.write_all(b"\n")
            }
        }
    }
}

impl<W: Write> Write for RecordWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if matches!(self.route, Route::Plain) {
            return self.inner.write(buf);
        }
        let mut rest = buf;
        while let Some(i) = memchr::memchr(b'\n', rest) {
            let (head, tail) = rest.split_at(i);
            rest = tail.get(1..).unwrap_or_default();
            if self.line.is_empty() {
                self.record(head)?;
            } else {
                let mut line = std::mem::take(&mut self.line);
                line.extend_from_slice(head);
                let r = self.record(&line);
                line.clear();
                self.line = line;
                r?;
            }
        }
        self.line.extend_from_slice(rest);
        if self.line.len() > MAX_LINE {
            let line = std::mem::take(&mut self.line);
            self.inner.write_all(&line)?;
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_split_across_writes_are_mapped_whole() {
        let mut w = RecordWriter::new(Vec::new(), Route::Ecs);
        let rec = br#"{"type":"http.request","ts":"2026-11-22T19:43:19.593665000Z","method":"GET","uri":"/a?b=1","host":"h:8080","src_ip":"10.0.0.1","dst_port":8080}"#;
        let (a, b) = rec.split_at(40);
        w.write_all(a).unwrap();
        w.write_all(b).unwrap();
        w.write_all(b"\nnot json\n").unwrap();
        let out = String::from_utf8(w.inner).unwrap();
        let mut lines = out.lines();
        let doc: Value = serde_json::from_str(lines.next().unwrap()).unwrap();
        assert_eq!(doc["@timestamp"], "2026-11-22T19:43:19.593665000Z");
        assert_eq!(doc["http"]["request"]["method"], "GET");
        assert_eq!(doc["url"]["path"], "/a");
        assert_eq!(doc["url"]["query"], "b=1");
        assert_eq!(doc["url"]["domain"], "h");
        assert_eq!(doc["url"]["port"], 8080);
        assert_eq!(doc["source"]["ip"], "10.0.0.1");
        assert_eq!(doc["destination"]["port"], 8080);
        assert_eq!(doc["event"]["kind"], "event");
        assert_eq!(lines.next(), Some("not json"));
    }
}
