//! Fuzz harness bodies, one per target, over squirrel-sniff's public library API.
//!
//! Included with `#[path]` by the cargo-fuzz targets in `fuzz/fuzz_targets/` and by the CI
//! smoke test `tests/fuzz_smoke.rs`, so both drive exactly the same code. Each function takes
//! arbitrary bytes and must return without panicking; the checks inside (`assert!`) are
//! invariants of the library's contracts, so a violation is a finding like a crash.
#![allow(dead_code)]

use std::io::{self, Cursor};
use std::net::{IpAddr, Ipv4Addr};
use std::path::Path;
use std::sync::atomic::AtomicBool;

use squirrel_sniff::capture::{linktype, FileSource, Timestamp};
use squirrel_sniff::decode;
use squirrel_sniff::decode::defrag::Defragmenter;
use squirrel_sniff::dissect::dns::{DnsParser, DnsSession, DnsTransport};
use squirrel_sniff::dissect::http::HttpStream;
use squirrel_sniff::dissect::http2::{Http2Bounds, Http2Parser};
use squirrel_sniff::dissect::quic::build::{client_initials, sample_client_hello};
use squirrel_sniff::dissect::quic::http3::{H3Out, Http3};
use squirrel_sniff::dissect::quic::qpack::QpackDecoder;
use squirrel_sniff::dissect::quic::QuicConnection;
use squirrel_sniff::dissect::tls::TlsStream;
use squirrel_sniff::dissect::{AppEvent, DissectConfig, Driver, Parser};
use squirrel_sniff::event::{Event, FrameView, Sink};
use squirrel_sniff::flow::{
    Direction, Endpoint, FlowConfig, FlowTable, StreamEvent, StreamId, StreamSink, TcpFlags,
    TcpSegment,
};
use squirrel_sniff::pipeline::{self, RunOptions, Source};
use squirrel_sniff::render::color::Palette;
use squirrel_sniff::render::{Mode, Printer};

/// Link types the first input byte chooses from (index = byte modulo the length).
pub const LINK_TYPES: [u32; 10] = [
    linktype::ETHERNET,
    linktype::NULL,
    linktype::LOOP,
    linktype::LINUX_SLL,
    linktype::LINUX_SLL2,
    linktype::RAW,
    linktype::RAW_12,
    linktype::IPV4,
    linktype::IPV6,
    147, // a link type nothing decodes: kept as unknown bytes
];

/// Target `decode`: the first byte picks the link type, the rest is the frame. The frame is
/// decoded and printed as a `-V` tree with hex dump, a summary line and JSON.
pub fn decode_frame(data: &[u8]) {
    let Some((&sel, frame)) = data.split_first() else {
        return;
    };
    let link = LINK_TYPES[usize::from(sel) % LINK_TYPES.len()];
    let decoded = decode::decode(link, frame);
    assert!(
        decoded.payload.start <= decoded.payload.end,
        "payload range reversed"
    );
    assert!(
        decoded.payload.end <= frame.len(),
        "payload range past the frame"
    );
    let view = FrameView {
        number: 1,
        ts: Timestamp::new(1, 0),
        rel_time: 0.0,
        delta: 0.0,
        first_ts: Timestamp::new(1, 0),
        prev_ts: Timestamp::new(1, 0),
        len: frame.len() as u32,
        data: frame,
        link,
        interface: None,
        decoded: &decoded,
        tcp: None,
        udp: None,
        app: &[],
        highlights: &[],
        findings: &[],
    };
    for (mode, hex) in [
        (Mode::Tree, true),
        (Mode::Lines, false),
        (Mode::Json, false),
    ] {
        let mut p = Printer::new(io::sink(), mode, hex, Palette::new(false));
        let _ = p.event(Event::Frame(&view));
    }
}

/// A sink that checks the reassembler's contract: `Open` first, data and holes of each
/// direction contiguous from offset 0 (in order, exactly once), nothing after `End` but
/// the close, nothing at all after `Close`.
#[derive(Default)]
pub struct CheckingSink {
    /// Per stream: open, closed, per-direction next offset and ended.
    streams: std::collections::BTreeMap<StreamId, (bool, [u64; 2], [bool; 2])>,
    pub events: u64,
    pub data_bytes: u64,
}

impl StreamSink for CheckingSink {
    fn event(&mut self, _now_frame: u64, ev: StreamEvent<'_>) {
        self.events += 1;
        match ev {
            StreamEvent::Open { stream, .. } => {
                assert!(
                    !self.streams.contains_key(&stream),
                    "stream {stream} opened twice"
                );
                self.streams.insert(stream, (false, [0, 0], [false, false]));
            }
            StreamEvent::Data {
                stream,
                dir,
                offset,
                data,
                ..
            } => {
                let st = self.streams.get_mut(&stream).expect("data before open");
                assert!(!st.0, "data after close");
                assert!(!st.2[dir.index()], "data after end");
                assert_eq!(offset, st.1[dir.index()], "data not contiguous");
                st.1[dir.index()] += data.len() as u64;
                self.data_bytes += data.len() as u64;
            }
            StreamEvent::Hole {
                stream,
                dir,
                offset,
                len,
            } => {
                let st = self.streams.get_mut(&stream).expect("hole before open");
                assert!(!st.0, "hole after close");
                assert!(!st.2[dir.index()], "hole after end");
                assert_eq!(offset, st.1[dir.index()], "hole not contiguous");
                assert!(len > 0, "empty hole");
                st.1[dir.index()] += len;
            }
            StreamEvent::End { stream, dir } => {
                let st = self.streams.get_mut(&stream).expect("end before open");
                assert!(!st.0, "end after close");
                assert!(!st.2[dir.index()], "end twice");
                st.2[dir.index()] = true;
            }
            StreamEvent::Note { stream, .. } => {
                let st = self.streams.get(&stream).expect("note before open");
                assert!(!st.0, "note after close");
            }
            StreamEvent::Close { stream, .. } => {
                let st = self.streams.get_mut(&stream).expect("close before open");
                assert!(!st.0, "closed twice");
                st.0 = true;
            }
        }
    }
}

/// Bounds small enough for fuzz inputs to hit them.
pub fn small_flow_config() -> FlowConfig {
    FlowConfig {
        max_buffered_per_flow: 2048,
        max_buffered_total: 4096,
        max_flows: 3,
        idle_timeout_secs: 30,
    }
}

/// Target `reassembly`: the input is a sequence of 8-byte segment descriptions, each
/// followed by its payload, fed to a [`FlowTable`] with small bounds.
///
/// Description: `[ctl, flags, seq_lo, seq_hi, len, wire_extra, ack_lo, dt]`:
/// - `ctl` bit 0: direction (client→server or back); bits 1-2: which of 4 port pairs;
///   bit 3: sequence number absolute (`seq` near 0 / 2^32, tests wrap) instead of relative
///   to the sender's next; bit 4: seq delta is negative (retransmission / overlap);
/// - `flags`: TCP flag bits; `len`: captured payload length (bytes taken from the input);
///   `wire_extra`: bytes on the wire beyond the captured ones (snaplen cut);
/// - `dt`: seconds of packet time before this segment (drives expiry).
pub fn reassembly(data: &[u8]) {
    reassembly_run(data);
}

/// [`reassembly`], returning the checking sink (what was delivered).
pub fn reassembly_run(data: &[u8]) -> CheckingSink {
    let mut table = FlowTable::new(small_flow_config());
    let mut sink = CheckingSink::default();
    let mut rest = data;
    let mut frame = 0u64;
    let mut secs = 1_000i64;
    // Each side's next sequence number per port pair.
    let mut next = [[0x1000_0000u32, 0xf000_0000u32]; 4];
    let a = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1));
    let b = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2));
    while let Some((head, tail)) = rest.split_first_chunk::<8>() {
        let [ctl, flags, seq_lo, seq_hi, len, wire_extra, ack_lo, dt] = *head;
        let take = usize::from(len).min(tail.len());
        let (payload, after) = tail.split_at(take);
        rest = after;
        frame += 1;
        secs += i64::from(dt);
        let dir = usize::from(ctl & 1);
        let pair = usize::from((ctl >> 1) & 3);
        let client = Endpoint {
            addr: a,
            port: 40_000 + pair as u16,
        };
        let server = Endpoint {
            addr: b,
            port: 80 + (pair as u16 & 1),
        };
        let (src, dst) = if dir == 0 {
            (client, server)
        } else {
            (server, client)
        };
        let delta = u32::from(u16::from_le_bytes([seq_lo, seq_hi]));
        let seq = if ctl & 8 != 0 {
            delta.wrapping_sub(0x8000)
        } else if ctl & 16 != 0 {
            next[pair][dir].wrapping_sub(delta)
        } else {
            next[pair][dir].wrapping_add(delta)
        };
        let flags = TcpFlags(u16::from(flags));
        let wire_len = (take as u32).saturating_add(u32::from(wire_extra));
        let seg = TcpSegment {
            frame,
            ts: Timestamp::new(secs, 0),
            src,
            dst,
            seq,
            ack: next[pair][1 - dir].wrapping_add(u32::from(ack_lo)),
            flags,
            window: u16::from(ack_lo) << 4,
            window_scale: if flags.syn() { Some(ack_lo & 15) } else { None },
            sacked: u32::from(ack_lo) << 3,
            payload,
            payload_offset: 54,
            wire_len,
            frame_len: wire_len.saturating_add(54),
        };
        table.advance(seg.ts, &mut sink);
        let _ = table.segment(&seg, &mut sink);
        let consumed = wire_len.wrapping_add(u32::from(flags.syn()) + u32::from(flags.fin()));
        next[pair][dir] = seq.wrapping_add(consumed);
        let cfg = small_flow_config();
        assert!(
            table.live_flows() <= cfg.max_flows,
            "live flows past the bound"
        );
        assert!(
            table.buffered_bytes() <= cfg.max_buffered_total,
            "buffered bytes past the bound"
        );
    }
    table.finish(&mut sink);
    assert_eq!(table.live_flows(), 0, "flows left after finish");
    for (id, st) in &sink.streams {
        assert!(st.0, "stream {id} never closed");
    }
    sink
}

/// Bounds small enough for fuzz inputs to hit them.
pub fn small_dissect_config() -> DissectConfig {
    DissectConfig {
        max_http_head: 512,
        max_http_body: 1024,
        max_decoded_body: 2048,
        max_tls_handshake: 1024,
        ..DissectConfig::default()
    }
}

/// No control characters (other than none at all) may reach a one-line info column.
/// Returns how many of them are HTTP messages.
fn check_events(events: &[AppEvent]) -> usize {
    let mut http = 0;
    for e in events {
        http += usize::from(e.msg.http().is_some());
        let info = e.msg.info();
        assert!(
            !info.chars().any(|c| c.is_control()),
            "unescaped control character in info: {info:?}"
        );
        let _ = e.msg.protocol();
        let mut tree = Vec::new();
        let _ = e.msg.tree().write_to(&mut tree, 0);
        let _ = serde_json::Value::Object(e.msg.json()).to_string();
    }
    http
}

/// Drive one dissector from the input: a sequence of `[op, len]` pairs, each data op
/// followed by `len` bytes (`len` 0 means 256, so big chunks are reachable):
/// op % 8 = 0..=3 data (bit 0 direction), 4/5 hole of `len * 64` bytes, 6 end, 7 nothing.
/// The stream closes at the end of the input. Returns how many HTTP messages it reported.
pub fn drive<P: Parser>(d: &mut Driver<P>, data: &[u8]) -> usize {
    let mut http = 0;
    let mut ended = [false; 2];
    let mut rest = data;
    let mut frame = 0u64;
    while let Some((&[op, len], tail)) = rest.split_first_chunk::<2>() {
        frame += 1;
        let dir = if op & 1 == 0 {
            Direction::ToServer
        } else {
            Direction::ToClient
        };
        let i = dir.index();
        let len = if len == 0 { 256 } else { usize::from(len) };
        rest = tail;
        match op % 8 {
            0..=3 => {
                let take = len.min(rest.len());
                let (chunk, after) = rest.split_at(take);
                rest = after;
                if !ended[i] && !chunk.is_empty() {
                    d.data(dir, chunk, frame);
                }
            }
            4 | 5 if !ended[i] => {
                let hole = len as u64 * 64;
                d.gap(dir, hole, frame);
            }
            6 if !ended[i] => {
                d.end(dir, frame);
                ended[i] = true;
            }
            _ => {}
        }
        http += check_events(&d.out);
        d.out.clear();
        d.children.clear();
    }
    d.close(frame + 1);
    http + check_events(&d.out)
}

/// Target `http`: [`HttpStream`] fed data, holes and ends from the input.
pub fn http(data: &[u8]) {
    let mut d = Driver::new(HttpStream::new(&small_dissect_config()));
    drive(&mut d, data);
}

/// Target `http2`: the HTTP/2 parser (frames, HPACK, streams) fed data, holes and ends
/// from the input, with small bounds so every bound is reachable.
pub fn http2(data: &[u8]) {
    http2_run(data);
}

/// [`http2`], returning how many HTTP messages (requests, responses) it reported.
pub fn http2_run(data: &[u8]) -> usize {
    let mut bounds = Http2Bounds::from_config(&small_dissect_config());
    bounds.max_frame = 4096;
    bounds.max_continuations = 8;
    bounds.max_streams = 8;
    bounds.max_settings = 8;
    bounds.max_table = 1024;
    bounds.max_frame_events = 64;
    drive(&mut Driver::new(Http2Parser::new(bounds)), data)
}

/// Target `tls`: [`TlsStream`] fed data, holes and ends from the input.
pub fn tls(data: &[u8]) {
    let mut d = Driver::new(TlsStream::new(&small_dissect_config()));
    drive(&mut d, data);
}

/// Target `dns`: the input as one DNS message (as a UDP datagram would carry it), then as
/// the byte stream of DNS over TCP (length-prefixed messages) fed in `drive` records.
pub fn dns(data: &[u8]) {
    // Counted by the DNS tree: the transactions are tracked too (a query and a response
    // of the same id, as the input's QR bit says).
    let mut session = DnsSession::counted();
    let _ = session.message(DnsTransport::Udp, data, 1, Some(42), Some(0));
    if let Ok(ev) = session.message(DnsTransport::Udp, data, 2, Some(42), Some(i128::MAX)) {
        let info = ev.info();
        assert!(!info.chars().any(|c| c.is_control()), "control in {info:?}");
        let mut tree = Vec::new();
        let _ = ev.tree().write_to(&mut tree, 0);
        let _ = serde_json::Value::Object(ev.json()).to_string();
    }
    let mut d = Driver::new(DnsParser::new(DnsTransport::Tcp));
    drive(&mut d, data);
}

/// Target `quic`: `[dir, len_hi, len_lo]` records each followed by a datagram of that
/// many bytes, fed to one QUIC connection (both directions).
pub fn quic(data: &[u8]) {
    let mut c = QuicConnection::new();
    let mut rest = data;
    let mut frame = 0u64;
    while let Some((&[dir, hi, lo], tail)) = rest.split_first_chunk::<3>() {
        frame += 1;
        let len = usize::from(u16::from_be_bytes([hi, lo])).min(tail.len());
        let (dgram, after) = tail.split_at(len);
        rest = after;
        let dir = if dir & 1 == 0 {
            Direction::ToServer
        } else {
            Direction::ToClient
        };
        let ev = c.datagram(dir, dgram, frame, Some(42));
        let info = ev.info();
        assert!(
            !info.chars().any(|ch| ch.is_control()),
            "control in {info:?}"
        );
        let mut tree = Vec::new();
        let _ = ev.tree().write_to(&mut tree, 0);
        let _ = serde_json::Value::Object(ev.json()).to_string();
    }
    let _ = serde_json::Value::Object(c.summary().json()).to_string();
}

/// Target `http3`: the HTTP/3 layer a key log opens inside QUIC — streams of frames and
/// the QPACK encoder streams — fed records `[stream id, flags, len (2 bytes), bytes]`
/// (flags bit 0: server to client, bit 1: FIN); then the input as one QPACK encoder stream
/// and one field section.
pub fn http3(data: &[u8]) {
    http3_run(data);
}

/// [`http3`], returning how many HTTP messages it reported.
pub fn http3_run(data: &[u8]) -> usize {
    let mut bounds = Http2Bounds::from_config(&small_dissect_config());
    bounds.max_frame = 4096;
    bounds.max_streams = 8;
    let mut h = Http3::new(bounds);
    let mut out = Vec::new();
    let mut rest = data;
    let mut frame = 0u64;
    while let Some((&[id, flags, hi, lo], tail)) = rest.split_first_chunk::<4>() {
        frame += 1;
        let len = usize::from(u16::from_be_bytes([hi, lo])).min(tail.len());
        let (bytes, after) = tail.split_at(len);
        rest = after;
        let dir = if flags & 1 == 0 {
            Direction::ToServer
        } else {
            Direction::ToClient
        };
        h.stream_data(u64::from(id), dir, bytes, flags & 2 != 0, frame, &mut out);
    }
    h.close(frame, &mut out);
    let mut messages = 0;
    for o in &out {
        if let H3Out::Message { msg, .. } = o {
            messages += 1;
            let _ = serde_json::Value::Object(msg.json()).to_string();
            let mut tree = Vec::new();
            let _ = msg.tree().write_to(&mut tree, 0);
        }
    }
    let mut q = QpackDecoder::default();
    q.encoder_stream(data);
    let _ = q.decode(data);
    messages
}

/// `http3` records for stream chunks `(stream id, flags, bytes)`.
pub fn http3_records(chunks: &[(u8, u8, Vec<u8>)]) -> Vec<u8> {
    let mut v = Vec::new();
    for (id, flags, b) in chunks {
        v.push(*id);
        v.push(*flags);
        v.extend_from_slice(&(b.len().min(0xffff) as u16).to_be_bytes());
        v.extend_from_slice(b.get(..b.len().min(0xffff)).unwrap_or(&[]));
    }
    v
}

/// `quic` records for datagrams `(direction, bytes)`.
pub fn quic_records(dgrams: &[(u8, Vec<u8>)]) -> Vec<u8> {
    let mut v = Vec::new();
    for (dir, d) in dgrams {
        v.push(*dir);
        v.extend_from_slice(&(d.len().min(0xffff) as u16).to_be_bytes());
        v.extend_from_slice(d);
    }
    v
}

/// Target `pipeline`: the input is a capture file (pcap or pcapng), run through the whole
/// pipeline printing JSON, then `-V` trees with hex dumps, to a sink.
pub fn pipeline(data: &[u8]) {
    for (mode, hex) in [(Mode::Json, false), (Mode::Tree, true)] {
        let src = match FileSource::from_reader(
            Path::new("fuzz.pcap"),
            Box::new(Cursor::new(data.to_vec())),
        ) {
            Ok(s) => s,
            Err(_) => return,
        };
        let mut source = Source::File(Box::new(src));
        let opts = RunOptions {
            flow: small_flow_config(),
            dissect: small_dissect_config(),
            keep_conversations: true,
            ..RunOptions::default()
        };
        let mut printer = Printer::new(io::sink(), mode, hex, Palette::new(false));
        let stop = AtomicBool::new(false);
        let _ = pipeline::run(&mut source, &opts, &mut printer, &stop);
    }
}

/// An Ethernet frame carrying an IP fragment of protocol `proto`: IPv4 (identification
/// `id`) or IPv6 (a Fragment header), at `units` × 8 bytes into the datagram.
fn fragment_frame(v6: bool, proto: u8, id: u8, units: u16, more: bool, bytes: &[u8]) -> Vec<u8> {
    let mut f = vec![2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1];
    let frag = (units & 0x1fff) << 3;
    if v6 {
        f.extend_from_slice(&[0x86, 0xdd, 0x60, 0, 0, 0]);
        f.extend_from_slice(&((8 + bytes.len()) as u16).to_be_bytes());
        f.extend_from_slice(&[44, 64]);
        f.extend_from_slice(&[0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
        f.extend_from_slice(&[0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2]);
        f.extend_from_slice(&[proto, 0]);
        f.extend_from_slice(&(frag | u16::from(more)).to_be_bytes());
        f.extend_from_slice(&u32::from(id).to_be_bytes());
    } else {
        f.extend_from_slice(&[0x08, 0x00, 0x45, 0]);
        f.extend_from_slice(&((20 + bytes.len()) as u16).to_be_bytes());
        f.extend_from_slice(&[0, id]);
        f.extend_from_slice(&((u16::from(more) << 13) | (frag >> 3)).to_be_bytes());
        f.extend_from_slice(&[64, proto, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2]);
    }
    f.extend_from_slice(bytes);
    f
}

/// IP fragments from the bytes: records `[flags, id, offset (2 bytes, 8-byte units), len,
/// bytes…]` (flags: bit 0 IPv6, bit 1 more fragments, bits 2-3 the protocol, bits 4-7 the
/// seconds since the previous record) become fragment frames fed in turn to a
/// defragmenter with a small bound; every datagram it completes is checked and shown in
/// each text mode, and what it gives up stays within the bytes it was given.
pub fn defrag(data: &[u8]) {
    const LIMIT: usize = 4096;
    let mut df = Defragmenter::with_limit(LIMIT);
    let mut rest = data;
    let (mut frame, mut secs) = (0u64, 0i64);
    let mut given = 0usize;
    let check_given_up = |u: &[decode::defrag::Unreassembled]| {
        for g in u {
            for (at, bytes) in &g.pieces {
                assert!(
                    at + bytes.len() <= 65_535 + 8,
                    "piece past a datagram's end"
                );
            }
        }
    };
    while let [flags, id, hi, lo, len, tail @ ..] = rest {
        let n = usize::from(*len).min(tail.len());
        let (bytes, next) = tail.split_at(n);
        rest = next;
        frame += 1;
        secs += i64::from(flags >> 4) * 4;
        given += bytes.len();
        let proto = [6u8, 17, 1, 58][usize::from((flags >> 2) & 3)];
        let units = u16::from_be_bytes([*hi, *lo]);
        let f = fragment_frame(flags & 1 != 0, proto, *id, units, flags & 2 != 0, bytes);
        let mut d = decode::decode(linktype::ETHERNET, &f);
        df.feed(frame, Timestamp::new(secs, 0), &f, &mut d);
        assert!(
            df.held_bytes() <= LIMIT.max(256 + 65_536 + 8),
            "held {} bytes",
            df.held_bytes()
        );
        check_given_up(&d.unreassembled);
        if let Some(r) = &d.reassembled {
            assert!(r.payload.start <= r.payload.end && r.payload.end <= r.data.len());
            // Leaked bytes marked in the frame and in the datagram's own bytes.
            let marked = [0..4, r.frame_offset(0)..r.frame_offset(r.data.len().min(4))];
            assert!(
                r.data.len() <= given,
                "a datagram larger than what was sent"
            );
            assert_eq!(r.base, f.len());
            let view = FrameView {
                number: frame,
                ts: Timestamp::new(secs, 0),
                rel_time: 0.0,
                delta: 0.0,
                first_ts: Timestamp::new(secs, 0),
                prev_ts: Timestamp::new(secs, 0),
                len: f.len() as u32,
                data: &f,
                link: linktype::ETHERNET,
                interface: None,
                decoded: &d,
                tcp: None,
                udp: None,
                app: &[],
                highlights: &marked,
                findings: &[],
            };
            for (mode, hex) in [(Mode::Tree, true), (Mode::Lines, true), (Mode::Json, false)] {
                let mut p = Printer::new(io::sink(), mode, hex, Palette::new(false));
                let _ = p.event(Event::Frame(&view));
            }
        }
    }
    df.finish();
    check_given_up(&df.take_unreassembled());
    assert_eq!(df.held_bytes(), 0);
}

/// All targets by name, for scripts and the smoke test.
/// A harness entry point.
pub type Target = fn(&[u8]);

pub const TARGETS: [(&str, Target); 10] = [
    ("decode", decode_frame),
    ("reassembly", reassembly),
    ("http", http),
    ("http2", http2),
    ("tls", tls),
    ("pipeline", pipeline),
    ("dns", dns),
    ("quic", quic),
    ("http3", http3),
    ("defrag", defrag),
];

/// Encode data chunks for [`drive`]: `(direction 0/1, bytes)` → `[op, len, bytes]` records.
pub fn drive_ops(chunks: &[(u8, &[u8])]) -> Vec<u8> {
    let mut v = Vec::new();
    for (dir, bytes) in chunks {
        for piece in bytes.chunks(255) {
            v.push(dir & 1);
            v.push(piece.len() as u8);
            v.extend_from_slice(piece);
        }
    }
    v
}

/// Encode one segment description for [`reassembly`] (relative forward delta).
pub fn segment_op(ctl: u8, flags: u8, delta: u16, payload: &[u8]) -> Vec<u8> {
    let d = delta.to_le_bytes();
    let mut v = vec![
        ctl,
        flags,
        d[0],
        d[1],
        payload.len().min(255) as u8,
        0,
        0,
        0,
    ];
    v.extend_from_slice(payload.get(..payload.len().min(255)).unwrap_or(payload));
    v
}

/// Frames `(link, bytes)` of a capture file, read through the library.
pub fn capture_frames(bytes: &[u8]) -> Vec<(u32, Vec<u8>)> {
    let mut frames = Vec::new();
    let Ok(mut src) = FileSource::from_reader(
        Path::new("seed.pcap"),
        Box::new(Cursor::new(bytes.to_vec())),
    ) else {
        return frames;
    };
    while let Ok(Some(p)) = src.next_packet() {
        frames.push((p.link, p.data.to_vec()));
    }
    frames
}

/// Seed inputs for `target`, from the bundled captures in `captures_dir` and small fixtures.
pub fn seeds(target: &str, captures_dir: &Path) -> Vec<Vec<u8>> {
    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(captures_dir)
        .map(|rd| {
            rd.filter_map(Result::ok)
                .filter(|e| {
                    e.path()
                        .extension()
                        .is_some_and(|x| x == "pcap" || x == "pcapng")
                })
                .filter_map(|e| {
                    Some((
                        e.file_name().to_string_lossy().into_owned(),
                        std::fs::read(e.path()).ok()?,
                    ))
                })
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    // TCP payloads of a capture in file order, as (direction, bytes): the side with the
    // lower port is the server.
    let payloads = |bytes: &[u8]| -> Vec<(u8, Vec<u8>)> {
        capture_frames(bytes)
            .into_iter()
            .filter_map(|(link, f)| {
                let d = decode::decode(link, &f);
                let t = d.tcp()?;
                let p = f.get(d.payload.clone())?.to_vec();
                (!p.is_empty()).then_some((u8::from(t.src_port < t.dst_port), p))
            })
            .collect()
    };
    let as_ops = |chunks: Vec<(u8, Vec<u8>)>| {
        let refs: Vec<(u8, &[u8])> = chunks.iter().map(|(d, b)| (*d, b.as_slice())).collect();
        drive_ops(&refs)
    };
    let mut out = Vec::new();
    match target {
        "pipeline" => out.extend(files.into_iter().map(|(_, b)| b)),
        "defrag" => {
            // A UDP datagram in two fragments, over IPv4 then IPv6, the second 4 s later;
            // then the same with an overlapping third fragment that differs.
            let mut dgram = vec![0x9c, 0x40, 0, 53, 0, 40, 0, 0];
            dgram.extend_from_slice(b"0123456789abcdef-fluffy tail-0123");
            let (a, b) = dgram.split_at(16);
            for v6 in [0u8, 1] {
                let mut s = vec![v6 | 2 | 4, 7, 0, 0, 16];
                s.extend_from_slice(a);
                let mut last = vec![v6 | 4 | 0x10, 7, 0, 2, b.len() as u8];
                last.extend_from_slice(b);
                s.extend_from_slice(&last);
                out.push(s.clone());
                s.extend_from_slice(&[v6 | 2 | 4, 8, 0, 0, 16]);
                s.extend_from_slice(a);
                s.extend_from_slice(&[v6 | 2 | 4, 8, 0, 1, 8]);
                s.extend_from_slice(b"password");
                s.extend_from_slice(&[v6 | 4, 8, 0, 2, b.len() as u8]);
                s.extend_from_slice(b);
                out.push(s);
            }
        }
        "decode" => {
            for (_, b) in &files {
                for (link, f) in capture_frames(b).into_iter().take(40) {
                    let sel = LINK_TYPES.iter().position(|l| *l == link).unwrap_or(0) as u8;
                    let mut v = vec![sel];
                    v.extend_from_slice(&f);
                    out.push(v);
                }
            }
        }
        "http" => {
            for (name, b) in &files {
                if !name.contains("https") {
                    out.push(as_ops(payloads(b)));
                }
            }
            out.push(drive_ops(&[
                (0, b"POST /login HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"),
                (1, b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 3\r\n\r\nabc"),
            ]));
        }
        "http2" => out.extend(http2_seeds()),
        "dns" => {
            // UDP payloads as single messages, TCP payloads as streams.
            for (name, b) in &files {
                if !name.contains("dns") {
                    continue;
                }
                for (link, f) in capture_frames(b) {
                    let d = decode::decode(link, &f);
                    if d.tcp().is_none() {
                        if let Some(p) = f.get(d.payload.clone()) {
                            out.push(p.to_vec());
                        }
                    }
                }
                out.push(as_ops(payloads(b)));
            }
        }
        "quic" => {
            // A ClientHello over one Initial, over three (a post-quantum-sized key share),
            // with ECH, for versions 1 and 2; and the same packets out of order.
            for (version, pad, ech) in [
                (1u32, 0usize, false),
                (0x6b33_43cf, 2500, true),
                (1, 2500, false),
            ] {
                let ch = sample_client_hello(b"secret-squirrel.example", ech, pad);
                if let Some(d) =
                    client_initials(version, &[1, 2, 3, 4, 5, 6, 7, 8], &[9; 8], &ch, 1000)
                {
                    let mut recs: Vec<(u8, Vec<u8>)> = d.into_iter().map(|x| (0u8, x)).collect();
                    out.push(quic_records(&recs));
                    recs.reverse();
                    out.push(quic_records(&recs));
                }
            }
        }
        "http3" => {
            // Control streams with SETTINGS, the server's encoder stream inserting
            // (RFC 9204 B.2), a request with a static-table HEADERS block, and its response
            // referring to the inserted entries, with DATA and FIN.
            let settings = vec![0x00, 0x04, 0x05, 0x01, 0x40, 0xdc, 0x07, 0x10];
            // Stream type 2, Set Capacity 220, Insert :authority / :path by static name.
            let encoder = [
                &[0x02, 0x3f, 0xbd, 0x01, 0xc0, 0x0f][..],
                b"www.example.com",
                &[0xc1, 0x0c],
                b"/sample/path",
            ]
            .concat();
            let mut request = vec![0x01, 0x0d, 0, 0];
            request.extend_from_slice(&[0xd1, 0x51, 0x08]);
            request.extend_from_slice(b"/secrets");
            let response = [
                vec![0x01, 0x05, 0x03, 0x81, 0x10, 0x11, 0xd9],
                vec![0x00, 0x05],
                b"hello".to_vec(),
            ]
            .concat();
            out.push(http3_records(&[
                (2, 0, settings.clone()),
                (3, 1, settings),
                (7, 1, encoder),
                (0, 2, request),
                (0, 3, response),
            ]));
        }
        "tls" => {
            for (name, b) in &files {
                if name.contains("https") {
                    out.push(as_ops(payloads(b)));
                }
            }
        }
        "reassembly" => {
            let mut v = Vec::new();
            v.extend(segment_op(0, 0x02, 0, b""));
            v.extend(segment_op(1, 0x12, 0, b""));
            v.extend(segment_op(0, 0x10, 0, b"GET / HTTP/1.1\r\n\r\n"));
            // "later" arrives first, 17 bytes ahead; the response goes back 22 to fill the gap.
            v.extend(segment_op(1, 0x18, 17, b"later"));
            v.extend(segment_op(1 | 16, 0x18, 22, b"HTTP/1.1 200 OK\r\n"));
            v.extend(segment_op(0, 0x11, 0, b""));
            v.extend(segment_op(1, 0x11, 5, b""));
            out.push(v);
            for (_, b) in &files {
                let mut v = Vec::new();
                for (dir, p) in payloads(b) {
                    v.extend(segment_op(dir, 0x18, 0, &p));
                }
                out.push(v);
            }
        }
        _ => {}
    }
    out
}

/// One HTTP/2 frame.
fn h2_frame(kind: u8, flags: u8, stream: u32, payload: &[u8]) -> Vec<u8> {
    let mut v = (payload.len() as u32).to_be_bytes()[1..].to_vec();
    v.push(kind);
    v.push(flags);
    v.extend_from_slice(&stream.to_be_bytes());
    v.extend_from_slice(payload);
    v
}

/// HTTP/2 seeds: a preface, SETTINGS, the RFC 7541 C.4 request blocks (Huffman, dynamic
/// table references; the first split over CONTINUATION) and the C.6 response blocks with a
/// padded DATA body, PUSH_PROMISE, RST_STREAM, PING, WINDOW_UPDATE, GOAWAY.
fn http2_seeds() -> Vec<Vec<u8>> {
    let hex = |s: &str| -> Vec<u8> {
        let s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
        (0..s.len() / 2)
            .filter_map(|i| u8::from_str_radix(s.get(2 * i..2 * i + 2)?, 16).ok())
            .collect()
    };
    let req = [
        hex("8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff"),
        hex("8286 84be 5886 a8eb 1064 9cbf"),
        hex("8287 85bf 4088 25a8 49e9 5ba9 7d7f 8925 a849 e95b b8e8 b4bf"),
    ];
    let resp = [
        hex("4882 6402 5885 aec3 771a 4b61 96d0 7abe 9410 54d4 44a8 2005 9504 0b81 66e0 82a6 2d1b ff6e 919d 29ad 1718 63c7 8f0b 97c8 e9ae 82ae 43d3"),
        hex("4883 640e ffc1 c0bf"),
        hex("88c1 6196 d07a be94 1054 d444 a820 0595 040b 8166 e084 a62d 1bff c05a 839b d9ab 77ad 94e7 821d d7f2 e6c7 b335 dfdf cd5b 3960 d5af 2708 7f36 72c1 ab27 0fb5 291f 9587 3160 65c0 03ed 4ee5 b106 3d50 07"),
    ];
    let mut c = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".to_vec();
    c.extend(h2_frame(4, 0, 0, &[0, 1, 0, 0, 1, 0, 0, 3, 0, 0, 0, 100]));
    let (a, z) = req[0].split_at(4);
    c.extend(h2_frame(1, 0x01, 1, a));
    c.extend(h2_frame(9, 0x04, 1, z));
    c.extend(h2_frame(
        1,
        0x24,
        3,
        &[&[0x80, 0, 0, 1, 16][..], &req[1]].concat(),
    ));
    c.extend(h2_frame(0, 0x09, 3, &[2, b'h', b'i', 0, 0]));
    c.extend(h2_frame(1, 0x05, 5, &req[2]));
    c.extend(h2_frame(6, 0, 0, &[1, 2, 3, 4, 5, 6, 7, 8]));
    c.extend(h2_frame(3, 0, 3, &[0, 0, 0, 8]));
    let mut s = h2_frame(4, 0, 0, &[0, 1, 0, 0, 1, 0]);
    s.extend(h2_frame(4, 1, 0, &[]));
    s.extend(h2_frame(1, 0x04, 1, &resp[0]));
    s.extend(h2_frame(5, 0x04, 1, &[&[0, 0, 0, 2][..], &req[1]].concat()));
    s.extend(h2_frame(0, 0x01, 1, b"fluffy tail"));
    s.extend(h2_frame(1, 0x05, 3, &resp[1]));
    s.extend(h2_frame(1, 0x04, 5, &resp[2]));
    s.extend(h2_frame(8, 0, 5, &[0, 0, 1, 0]));
    s.extend(h2_frame(0, 0x01, 5, &[0x1f, 0x8b, 8, 0, 0, 0, 0, 0]));
    s.extend(h2_frame(7, 0, 0, &[0, 0, 0, 5, 0, 0, 0, 0, b'o', b'k']));
    s.extend(h2_frame(0xfa, 0, 0, b"?"));
    let mut out = vec![drive_ops(&[(0, &c), (1, &s)])];
    // The same bytes in small pieces, interleaved.
    let mut ops: Vec<(u8, &[u8])> = Vec::new();
    for (a, b) in c.chunks(7).zip(s.chunks(11)) {
        ops.push((0, a));
        ops.push((1, b));
    }
    out.push(drive_ops(&ops));
    out
}
