//! `--follow-format http`: the followed streams as HTTP messages — start line, headers, and
//! the body de-chunked and decompressed — escaped and bounded.

use std::io::{self, Write};

use super::escape::{escape_bytes, escape_truncated};
use crate::dissect::AppEvent;
use crate::flow::Direction;

/// Largest body shown per message.
pub const MAX_BODY_SHOWN: usize = 64 << 10;

pub fn write_http_follow<W: Write>(w: &mut W, events: &[AppEvent]) -> io::Result<()> {
    for e in events {
        let Some(h) = e.msg.http() else { continue };
        let arrow = match e.dir {
            Direction::ToServer => "client → server",
            Direction::ToClient => "server → client",
        };
        let frames: Vec<String> = e.frames.iter().map(|f| f.to_string()).collect();
        let h2 = h
            .stream_id
            .map(|id| format!(" (HTTP/2 stream {id})"))
            .unwrap_or_default();
        writeln!(
            w,
            "=== stream {}{h2}, {arrow}, frames {} ===",
            e.stream,
            frames.join(", ")
        )?;
        writeln!(w, "{}", escape_bytes(&h.line))?;
        for (name, value) in h.headers.iter() {
            writeln!(
                w,
                "{}: {}",
                super::escape::escape_str(name),
                escape_bytes(value)
            )?;
        }
        writeln!(w)?;
        let body = h.body_for_search();
        if !body.is_empty() {
            if h.decoded_with.is_some() {
                writeln!(
                    w,
                    "[body: {} bytes on the wire, {} bytes after {}]",
                    h.body.len(),
                    body.len(),
                    h.decoded_with.as_deref().unwrap_or("decoding")
                )?;
            }
            let text = escape_truncated(body, MAX_BODY_SHOWN);
            for line in text.split("\\n") {
                writeln!(w, "{}", line.trim_end_matches("\\r"))?;
            }
        }
        if !h.body_complete {
            writeln!(
                w,
                "[body incomplete: {} bytes not captured]",
                h.body_missing
            )?;
        }
        writeln!(w)?;
    }
    Ok(())
}
