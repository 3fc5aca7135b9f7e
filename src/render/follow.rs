//! Follow-stream output (`--follow-format ascii|hex|raw`), laid out like
//! `tshark -q -z follow,tcp,ascii,N` and `follow,tcp,hex,N`:
//!
//! ```text
//! ===================================================================
//! Follow: tcp,ascii
//! Filter: tcp.stream eq 0
//! Node 0: 10.0.0.1:40000
//! Node 1: 10.0.0.2:80
//! 16
//! GET / HTTP/1.0
//!
//! <tab>8
//! HTTP/1.0
//! ===================================================================
//! ```
//!
//! Node 0 is the client and Node 1 the server (tshark names the first endpoint it saw
//! Node 0, which is the client whenever the SYN was captured first). Each chunk starts with
//! its byte count; server → client chunks are indented with a tab. In ascii mode printable
//! ASCII and line feeds are shown, a CR right before a LF is dropped, every other byte
//! becomes `.` — no control byte from the wire reaches the terminal. In hex mode each chunk
//! is a hex dump (offsets count each direction's bytes shown so far). Holes are shown as
//! `[... N bytes missing ...]`, and a stream cut at the follow limit ends with a line
//! saying so.
//!
//! Raw mode is different: it writes the exact bytes of ONE direction and nothing else, for
//! piping to a file (holes are skipped; nothing is escaped — do not send it to a terminal).

use std::io::{self, Write};

use crate::dissect::http::HttpMessage;
use crate::dissect::AppEvent;
use crate::flow::{Direction, FollowItem, FollowStream};
use crate::render::escape::is_printable_ascii;

/// How to show a followed stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FollowFormat {
    Ascii,
    Hex,
    /// The exact bytes of one direction, nothing else.
    Raw {
        dir: Direction,
    },
}

impl FollowFormat {
    fn name(self) -> &'static str {
        match self {
            FollowFormat::Ascii => "ascii",
            FollowFormat::Hex => "hex",
            FollowFormat::Raw { .. } => "raw",
        }
    }
}

const RULE: &str = "===================================================================";

/// Write one followed stream in `format`.
pub fn write_follow<W: Write>(
    w: &mut W,
    fs: &FollowStream,
    format: FollowFormat,
) -> io::Result<()> {
    if let FollowFormat::Raw { dir } = format {
        return write_raw(w, fs, dir);
    }
    writeln!(w, "{RULE}")?;
    let transport = fs.transport.as_str();
    let layer = if fs.decrypted { "tls" } else { transport };
    writeln!(w, "Follow: {layer},{}", format.name())?;
    writeln!(w, "Filter: {transport}.stream eq {}", fs.stream)?;
    writeln!(w, "Node 0: {}", fs.client)?;
    writeln!(w, "Node 1: {}", fs.server)?;
    let mut hex_offset = [0u64; 2];
    for item in &fs.items {
        match item {
            FollowItem::Data { dir, bytes, .. } => {
                let indent = indent(*dir);
                if format == FollowFormat::Hex {
                    let off = &mut hex_offset[dir.index()];
                    write_hex_chunk(w, indent, *off, bytes)?;
                    *off = off.saturating_add(bytes.len() as u64);
                } else {
                    writeln!(w, "{indent}{}", bytes.len())?;
                    w.write_all(ascii_text(bytes).as_bytes())?;
                    writeln!(w)?;
                }
            }
            FollowItem::Hole { dir, len } => {
                writeln!(w, "{}[... {len} bytes missing ...]", indent(*dir))?;
            }
        }
    }
    if fs.released {
        writeln!(
            w,
            "[... {} bytes not shown: the memory budget (--max-total-buffer) took them back ...]",
            fs.cut_bytes
        )?;
    } else if fs.was_cut() {
        writeln!(
            w,
            "[... output cut at {} bytes, {} more not shown ...]",
            fs.limit, fs.cut_bytes
        )?;
    }
    writeln!(w, "{RULE}")?;
    Ok(())
}

/// `-z follow,http,ascii|hex,N`, as tshark 4.0 prints it: the HTTP/1.x messages of the
/// followed TCP stream (`events`: the stream's HTTP events, in the order they completed),
/// each as two chunks — its head as it was sent (start line, header fields, blank line) and,
/// when it has one, its body as the application reads it (de-chunked and decompressed).
/// Node 0 is the sender of the first message; with no message both nodes are `:0`, as
/// tshark prints them. The heads are the bytes the parser kept
/// ([`crate::dissect::DissectConfig::keep_raw_heads`], set for this output).
pub fn write_follow_http<W: Write>(
    w: &mut W,
    fs: &FollowStream,
    events: &[AppEvent],
    format: FollowFormat,
) -> io::Result<()> {
    let messages: Vec<(Direction, &HttpMessage)> = events
        .iter()
        .filter(|e| e.stream == fs.stream)
        .filter_map(|e| e.msg.http().map(|h| (e.dir, h)))
        .filter(|(_, h)| h.stream_id.is_none())
        .collect();
    writeln!(w, "{RULE}")?;
    writeln!(w, "Follow: http,{}", format.name())?;
    writeln!(w, "Filter: tcp.stream eq {}", fs.stream)?;
    // The first message's sender is Node 0; a chunk from the other node is indented.
    let first = messages.first().map(|(d, _)| *d);
    let (node0, node1) = match first {
        Some(Direction::ToServer) => (fs.client.to_string(), fs.server.to_string()),
        Some(Direction::ToClient) => (fs.server.to_string(), fs.client.to_string()),
        None => (":0".to_string(), ":0".to_string()),
    };
    writeln!(w, "Node 0: {node0}")?;
    writeln!(w, "Node 1: {node1}")?;
    let mut hex_offset = [0u64; 2];
    for (dir, h) in &messages {
        let from_node0 = Some(*dir) == first;
        let head = h.raw_head.as_deref().unwrap_or_default();
        let body = h.body_for_search();
        for chunk in [head, body] {
            if !chunk.is_empty() {
                write_node_chunk(w, format, from_node0, &mut hex_offset, chunk, true)?;
            }
        }
    }
    writeln!(w, "{RULE}")?;
    Ok(())
}

/// One chunk of a follow text whose nodes are its senders in order of appearance: from
/// Node 1 indented; in hex mode its offset is what that node sent before (`hex_offset`,
/// moved on whether it is `shown` or not).
fn write_node_chunk<W: Write>(
    w: &mut W,
    format: FollowFormat,
    from_node0: bool,
    hex_offset: &mut [u64; 2],
    chunk: &[u8],
    shown: bool,
) -> io::Result<()> {
    let off = &mut hex_offset[usize::from(!from_node0)];
    let start = *off;
    *off = off.saturating_add(chunk.len() as u64);
    if !shown {
        return Ok(());
    }
    let indent = if from_node0 { "" } else { "\t" };
    if format == FollowFormat::Hex {
        write_hex_chunk(w, indent, start, chunk)
    } else {
        writeln!(w, "{indent}{}", chunk.len())?;
        w.write_all(ascii_text(chunk).as_bytes())?;
        writeln!(w)
    }
}

/// What `-z follow,http2` shows of a TCP stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Http2Follow {
    /// The TCP stream (`tcp.stream`).
    pub stream: u32,
    /// The HTTP/2 stream id.
    pub id: u32,
    /// Only chunks FIRST to LAST (counted from 1) are shown; the others still move the hex
    /// offsets on.
    pub chunks: Option<(u32, u32)>,
}

/// `-z follow,http2,ascii|hex,N,ID[,FIRST[-LAST]]`, as tshark 4.0 prints it: one chunk per
/// frame of HTTP/2 stream ID on TCP stream N, in the order the frames completed. A frame of
/// a header block (HEADERS, PUSH_PROMISE, CONTINUATION) shows the header fields that ended
/// in it, each as a 4-byte big-endian name length, the name, a 4-byte value length and the
/// value (a frame that ends no field shows nothing); any other frame shows itself whole,
/// its 9-byte header included (so padding and flags show). Node 0 is the sender of the
/// first chunk; with no chunk both nodes are `:0`. `events`: the kept frames
/// ([`crate::pipeline::RunStats::follow_http2`]); `cut`: bytes of frames not kept past the
/// follow limit `limit`.
pub fn write_follow_http2<W: Write>(
    w: &mut W,
    spec: Http2Follow,
    fs: Option<&FollowStream>,
    events: &[AppEvent],
    format: FollowFormat,
    (limit, cut): (usize, u64),
) -> io::Result<()> {
    let chunks = http2_chunks(events, spec);
    writeln!(w, "{RULE}")?;
    writeln!(w, "Follow: http2,{}", format.name())?;
    writeln!(
        w,
        "Filter: tcp.stream eq {} and http2.streamid eq {}",
        spec.stream, spec.id
    )?;
    let first = chunks.first().map(|(d, _)| *d);
    let (node0, node1) = match (first, fs) {
        (Some(Direction::ToServer), Some(fs)) => (fs.client.to_string(), fs.server.to_string()),
        (Some(Direction::ToClient), Some(fs)) => (fs.server.to_string(), fs.client.to_string()),
        _ => (":0".to_string(), ":0".to_string()),
    };
    writeln!(w, "Node 0: {node0}")?;
    writeln!(w, "Node 1: {node1}")?;
    let (lo, hi) = spec.chunks.unwrap_or((1, u32::MAX));
    let mut hex_offset = [0u64; 2];
    for (i, (dir, chunk)) in chunks.iter().enumerate() {
        let n = u32::try_from(i + 1).unwrap_or(u32::MAX);
        let shown = (lo..=hi).contains(&n);
        write_node_chunk(
            w,
            format,
            Some(*dir) == first,
            &mut hex_offset,
            chunk,
            shown,
        )?;
    }
    if cut > 0 {
        writeln!(
            w,
            "[... output cut at {limit} bytes, {cut} more not shown ...]"
        )?;
    }
    writeln!(w, "{RULE}")?;
    Ok(())
}

/// The chunks of `-z follow,http2` (see [`write_follow_http2`]), each with its sender.
fn http2_chunks(events: &[AppEvent], spec: Http2Follow) -> Vec<(Direction, Vec<u8>)> {
    use crate::dissect::http2::frame::{flags, FrameType};
    let mut chunks: Vec<(Direction, Vec<u8>)> = Vec::new();
    // Per direction: the chunks of a header block's frames, filled when the block ends.
    let mut waiting: [Vec<usize>; 2] = Default::default();
    for e in events.iter().filter(|e| e.stream == spec.stream) {
        let Some(f) = e.msg.http2_frame() else {
            continue;
        };
        if f.header.stream_id != spec.id {
            continue;
        }
        let d = e.dir.index();
        match f.header.kind {
            FrameType::Headers | FrameType::PushPromise | FrameType::Continuation => {
                if f.header.kind != FrameType::Continuation {
                    waiting[d].clear();
                }
                let open = f.header_error.is_none() && !f.header.has(flags::END_HEADERS);
                if f.headers.is_none() && !open {
                    waiting[d].clear();
                    continue;
                }
                waiting[d].push(chunks.len());
                chunks.push((e.dir, Vec::new()));
                let Some(list) = &f.headers else {
                    continue;
                };
                let slots = std::mem::take(&mut waiting[d]);
                let mut fields = list.fields.iter();
                let counts: Vec<usize> = if f.fields_per_fragment.len() == slots.len() {
                    f.fields_per_fragment.iter().map(|&c| c as usize).collect()
                } else {
                    // The block's earlier frames were not all seen: all on its last frame.
                    let mut c = vec![0; slots.len()];
                    if let Some(last) = c.last_mut() {
                        *last = usize::MAX;
                    }
                    c
                };
                for (&slot, n) in slots.iter().zip(counts) {
                    let Some((_, out)) = chunks.get_mut(slot) else {
                        continue;
                    };
                    for (name, value) in fields.by_ref().take(n) {
                        for part in [name, value] {
                            let len = u32::try_from(part.len()).unwrap_or(u32::MAX);
                            out.extend_from_slice(&len.to_be_bytes());
                            out.extend_from_slice(part);
                        }
                    }
                }
            }
            _ => {
                if !f.raw.is_empty() {
                    chunks.push((e.dir, f.raw.clone()));
                }
            }
        }
    }
    chunks.retain(|(_, c)| !c.is_empty());
    chunks
}

/// The exact bytes of one direction (holes skipped).
pub fn write_raw<W: Write>(w: &mut W, fs: &FollowStream, dir: Direction) -> io::Result<()> {
    for item in &fs.items {
        if let FollowItem::Data { dir: d, bytes, .. } = item {
            if *d == dir {
                w.write_all(bytes)?;
            }
        }
    }
    Ok(())
}

fn indent(dir: Direction) -> &'static str {
    match dir {
        Direction::ToServer => "",
        Direction::ToClient => "\t",
    }
}

/// Printable ASCII and LF as they are, CR before LF dropped, anything else `.`.
fn ascii_text(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    let mut iter = bytes.iter().peekable();
    while let Some(&b) = iter.next() {
        match b {
            b'\n' => out.push('\n'),
            b'\r' if iter.peek() == Some(&&b'\n') => {}
            b if is_printable_ascii(b) => out.push(char::from(b)),
            _ => out.push('.'),
        }
    }
    out
}

/// tshark's follow hex dump: `OFFSET  xx xx .. xx  xx .. xx  ascii ascii`, 16 bytes a line,
/// the ASCII column at a fixed place, a space after the 8th byte in both columns.
fn write_hex_chunk<W: Write>(w: &mut W, indent: &str, start: u64, bytes: &[u8]) -> io::Result<()> {
    for (i, line) in bytes.chunks(16).enumerate() {
        let mut s = String::with_capacity(80);
        s.push_str(indent);
        s.push_str(&format!("{:08X}  ", start.saturating_add(i as u64 * 16)));
        for j in 0..16 {
            match line.get(j) {
                Some(b) => s.push_str(&format!("{b:02x} ")),
                None => s.push_str("   "),
            }
            if j == 7 {
                s.push(' ');
            }
        }
        s.push(' ');
        for (j, &b) in line.iter().enumerate() {
            s.push(if is_printable_ascii(b) {
                char::from(b)
            } else {
                '.'
            });
            if j == 7 {
                s.push(' ');
            }
        }
        // tshark 4.0 writes the ASCII column with a space after the 8th byte (also when it
        // is the line's last) and then one trailing space fewer: `abcdefgh` for 8 bytes,
        // `abcdefg ` for `abcdefg `, `0800.. ` for a whole line ending `0a 0a 20 20`,
        // `ijkl` for a shorter one ending `… 6c 20`.
        let line_out = s.strip_suffix(' ').unwrap_or(&s);
        writeln!(w, "{line_out}")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capture::Timestamp;
    use crate::flow::{
        Endpoint, FlowConfig, FlowTable, FollowCollector, FollowSelect, TcpFlags, TcpSegment,
    };
    use std::net::{IpAddr, Ipv4Addr};

    fn ep(last: u8, port: u16) -> Endpoint {
        Endpoint {
            addr: IpAddr::V4(Ipv4Addr::new(10, 0, 0, last)),
            port,
        }
    }

    /// A tiny conversation through the real flow table into the collector.
    fn tiny_stream(limit: usize) -> FollowStream {
        let c = ep(1, 40000);
        let s = ep(2, 80);
        let mut table = FlowTable::new(FlowConfig::default());
        let mut coll = FollowCollector::new(FollowSelect::Stream(0), limit);
        type Seg<'a> = (Endpoint, Endpoint, u32, u32, u16, &'a [u8], u32);
        let segs: [Seg<'_>; 5] = [
            (c, s, 100, 0, TcpFlags::SYN, b"", 0),
            (s, c, 900, 101, TcpFlags::SYN | TcpFlags::ACK, b"", 0),
            (c, s, 101, 901, TcpFlags::ACK, b"GET / HTTP/1.0\r\n\r\n", 18),
            (
                s,
                c,
                901,
                119,
                TcpFlags::ACK,
                b"HTTP/1.0 200 OK\r\n\x1b[2J\r\n",
                23,
            ),
            (s, c, 928, 119, TcpFlags::ACK, b"tail\x00", 5),
        ];
        for (i, (src, dst, seq, ack, flags, payload, len)) in segs.into_iter().enumerate() {
            let seg = TcpSegment {
                frame: i as u64 + 1,
                ts: Timestamp::new(i as i64, 0),
                src,
                dst,
                seq,
                ack,
                flags: TcpFlags(flags),
                window: 100,
                window_scale: None,
                sacked: 0,
                payload,
                payload_offset: 54,
                wire_len: len,
                frame_len: 54 + len,
            };
            table.segment(&seg, &mut coll);
        }
        table.finish(&mut coll);
        coll.into_streams()
            .into_iter()
            .next()
            .expect("stream 0 followed")
    }

    fn render(fs: &FollowStream, format: FollowFormat) -> String {
        let mut out = Vec::new();
        write_follow(&mut out, fs, format).expect("write to a Vec");
        String::from_utf8(out).expect("follow output is UTF-8")
    }

    #[test]
    fn ascii_layout_like_tshark() {
        let fs = tiny_stream(1 << 20);
        let text = render(&fs, FollowFormat::Ascii);
        let expected = "\
===================================================================
Follow: tcp,ascii
Filter: tcp.stream eq 0
Node 0: 10.0.0.1:40000
Node 1: 10.0.0.2:80
18
GET / HTTP/1.0


\t23
HTTP/1.0 200 OK
.[2J

\t[... 4 bytes missing ...]
\t5
tail.
===================================================================
";
        assert_eq!(text, expected);
        assert!(!text.bytes().any(|b| b < 0x20 && b != b'\n' && b != b'\t'));
    }

    #[test]
    fn hex_layout_like_tshark() {
        let fs = tiny_stream(1 << 20);
        let text = render(&fs, FollowFormat::Hex);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[1], "Follow: tcp,hex");
        assert_eq!(
            lines[5],
            "00000000  47 45 54 20 2f 20 48 54  54 50 2f 31 2e 30 0d 0a  GET / HT TP/1.0.."
        );
        assert_eq!(
            lines[6],
            "00000010  0d 0a                                             .."
        );
        assert_eq!(lines[6].find(".."), Some(60));
        assert_eq!(
            lines[7],
            "\t00000000  48 54 54 50 2f 31 2e 30  20 32 30 30 20 4f 4b 0d  HTTP/1.0  200 OK."
        );
        // The next chunk of the server goes on from the bytes shown so far.
        assert!(lines[10].starts_with("\t00000017  74 61 69 6c 00"));
        assert_eq!(lines.last(), Some(&RULE));
    }

    #[test]
    fn raw_writes_one_direction_exactly() {
        let fs = tiny_stream(1 << 20);
        let mut out = Vec::new();
        write_follow(
            &mut out,
            &fs,
            FollowFormat::Raw {
                dir: Direction::ToClient,
            },
        )
        .expect("vec");
        assert_eq!(out, b"HTTP/1.0 200 OK\r\n\x1b[2J\r\ntail\x00");
        let mut out = Vec::new();
        write_raw(&mut out, &fs, Direction::ToServer).expect("vec");
        assert_eq!(out, b"GET / HTTP/1.0\r\n\r\n");
    }

    #[test]
    fn cut_streams_say_so() {
        let fs = tiny_stream(20);
        let text = render(&fs, FollowFormat::Ascii);
        assert!(text.contains("\t2\nHT\n"), "{text}");
        assert!(text.contains("[... output cut at 20 bytes, 26 more not shown ...]"));
    }
}
