//! Connection-level tests with frames built in code (HPACK blocks from loona-hpack's
//! encoder): segmentation, CONTINUATION, trailers, push, resets, and every bound.

use super::*;
use crate::flow::Direction::{ToClient, ToServer};

fn frame(kind: u8, fl: u8, stream: u32, payload: &[u8]) -> Vec<u8> {
    let len = payload.len() as u32;
    let mut v = len.to_be_bytes()[1..].to_vec();
    v.push(kind);
    v.push(fl);
    v.extend_from_slice(&stream.to_be_bytes());
    v.extend_from_slice(payload);
    v
}

fn block(enc: &mut loona_hpack::Encoder<'_>, h: &[(&str, &str)]) -> Vec<u8> {
    enc.encode(h.iter().map(|(n, v)| (n.as_bytes(), v.as_bytes())))
}

const END_STREAM: u8 = flags::END_STREAM;
const END_HEADERS: u8 = flags::END_HEADERS;

struct Conn {
    c: Http2Connection,
    out: Vec<Http2Event>,
    packet: u64,
}

impl Conn {
    fn new() -> Self {
        Self::with(Http2Bounds::from_config(&DissectConfig::default()))
    }
    fn with(b: Http2Bounds) -> Self {
        Conn {
            c: Http2Connection::new(ToServer, b),
            out: Vec::new(),
            packet: 0,
        }
    }
    /// Send `bytes` as one packet.
    fn send(&mut self, dir: Direction, offset: u64, bytes: &[u8]) {
        self.packet += 1;
        self.c
            .data(dir, offset, bytes, self.packet, self.packet, &mut self.out);
    }
    fn messages(&self) -> Vec<&HttpMessage> {
        self.out
            .iter()
            .filter_map(|e| match &e.kind {
                Http2Kind::Message(m) => Some(m.as_ref()),
                _ => None,
            })
            .collect()
    }
    fn notes(&self) -> Vec<String> {
        self.out
            .iter()
            .filter_map(|e| match &e.kind {
                Http2Kind::Note(n) => Some(n.clone()),
                _ => None,
            })
            .collect()
    }
    fn infos(&self) -> Vec<String> {
        self.out
            .iter()
            .filter_map(|e| match &e.kind {
                Http2Kind::Frame(f) => Some(f.info()),
                Http2Kind::Magic => Some("Magic".into()),
                _ => None,
            })
            .collect()
    }
}

/// Client bytes: preface, SETTINGS, a GET on stream 1 (header block split over HEADERS and
/// two CONTINUATION frames), a POST on stream 3 with a padded DATA body and trailers.
fn client_bytes(enc: &mut loona_hpack::Encoder<'_>) -> Vec<u8> {
    let mut v = PREFACE.to_vec();
    v.extend(frame(4, 0, 0, &[0, 1, 0, 0, 0x10, 0]));
    let b = block(
        enc,
        &[
            (":method", "GET"),
            (":scheme", "https"),
            (":path", "/secret.html"),
            (":authority", "squirrels.test"),
            ("authorization", "Basic dXNlcjpodW50ZXIy"),
        ],
    );
    let (a, rest) = b.split_at(3);
    let (m, z) = rest.split_at(rest.len() / 2);
    v.extend(frame(1, END_STREAM, 1, a));
    v.extend(frame(9, 0, 1, m));
    v.extend(frame(9, END_HEADERS, 1, z));
    let b = block(
        enc,
        &[
            (":method", "POST"),
            (":scheme", "https"),
            (":path", "/login"),
            (":authority", "squirrels.test"),
            ("content-type", "application/x-www-form-urlencoded"),
        ],
    );
    v.extend(frame(1, END_HEADERS, 3, &b));
    let mut data = vec![3u8];
    data.extend_from_slice(b"user=a&password=hunter2-acorns");
    data.extend_from_slice(&[0, 0, 0]);
    v.extend(frame(0, flags::PADDED, 3, &data));
    let t = block(enc, &[("x-checksum", "abc")]);
    v.extend(frame(1, END_HEADERS | END_STREAM, 3, &t));
    v
}

fn gzip(data: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

fn server_bytes(enc: &mut loona_hpack::Encoder<'_>) -> Vec<u8> {
    let mut v = frame(4, 0, 0, &[]);
    v.extend(frame(4, flags::ACK, 0, &[]));
    let b = block(enc, &[(":status", "103"), ("link", "</a.css>")]);
    v.extend(frame(1, END_HEADERS, 1, &b));
    let b = block(
        enc,
        &[
            (":status", "200"),
            ("content-type", "text/html; charset=utf-8"),
            ("content-encoding", "gzip"),
        ],
    );
    v.extend(frame(1, END_HEADERS, 1, &b));
    let body = gzip(b"<p>fluffy tail</p>");
    let (a, z) = body.split_at(10);
    v.extend(frame(0, 0, 1, a));
    v.extend(frame(0, END_STREAM, 1, z));
    let b = block(enc, &[(":status", "302"), ("location", "/home")]);
    v.extend(frame(1, END_HEADERS | END_STREAM, 3, &b));
    v.extend(frame(7, 0, 0, &[0, 0, 0, 3, 0, 0, 0, 0, b'b', b'y', b'e']));
    v
}

#[test]
fn goaway_with_an_error_is_reported() {
    let mut conn = Conn::new();
    conn.send(ToServer, 0, PREFACE);
    conn.send(
        ToClient,
        0,
        &frame(7, 0, 0, &[0, 0, 0, 7, 0, 0, 0, 11, b'c', b'a', b'l', b'm']),
    );
    assert_eq!(
        conn.notes(),
        vec!["GOAWAY: last stream 7, ENHANCE_YOUR_CALM (calm)".to_string()]
    );
    assert_eq!(
        conn.infos(),
        vec!["Magic".to_string(), "GOAWAY[0]".to_string()]
    );
}

#[test]
fn whole_exchange_in_one_packet_and_byte_by_byte() {
    for split in [false, true] {
        let mut conn = Conn::new();
        let c = client_bytes(&mut loona_hpack::Encoder::new());
        let s = server_bytes(&mut loona_hpack::Encoder::new());
        if split {
            for (i, b) in c.iter().enumerate() {
                conn.send(ToServer, i as u64, &[*b]);
            }
            for (i, b) in s.iter().enumerate() {
                conn.send(ToClient, i as u64, &[*b]);
            }
        } else {
            conn.send(ToServer, 0, &c);
            conn.send(ToClient, 0, &s);
        }
        let m = conn.messages();
        assert_eq!(m.len(), 5, "{split}: {:?}", conn.notes());
        let StartLine::Request(r) = &m[0].start else {
            panic!()
        };
        assert_eq!((&*r.method, &r.uri[..]), ("GET", &b"/secret.html"[..]));
        assert_eq!(r.host.as_deref(), Some(&b"squirrels.test"[..]));
        assert_eq!(m[0].stream_id, Some(1));
        assert_eq!(
            m[0].header("authorization"),
            Some(&b"Basic dXNlcjpodW50ZXIy"[..])
        );
        // POST body without its padding, trailers kept.
        let StartLine::Request(r) = &m[1].start else {
            panic!()
        };
        assert_eq!(r.method, "POST");
        assert_eq!(m[1].body, b"user=a&password=hunter2-acorns");
        assert_eq!(
            m[1].trailers.iter().collect::<Vec<_>>(),
            vec![("x-checksum", &b"abc"[..])]
        );
        // 103 interim, then the final response with its gzip body decoded.
        let StartLine::Response(st) = &m[2].start else {
            panic!()
        };
        assert_eq!(st.status, 103);
        let StartLine::Response(st) = &m[3].start else {
            panic!()
        };
        assert_eq!(st.status, 200);
        assert_eq!(st.request_uri.as_deref(), Some(&b"/secret.html"[..]));
        assert_eq!(m[3].body_for_search(), b"<p>fluffy tail</p>");
        assert_eq!(m[3].chunk_count, 2);
        assert_eq!(m[3].version, "HTTP/2");
        let StartLine::Response(st) = &m[4].start else {
            panic!()
        };
        assert_eq!((st.status, m[4].stream_id), (302, Some(3)));
        assert_eq!(st.request_method.as_deref(), Some("POST"));
        assert!(conn.notes().is_empty(), "{:?}", conn.notes());
        let infos = conn.infos();
        assert_eq!(infos[0], "Magic");
        assert!(
            infos.contains(&"CONTINUATION[1]: GET /secret.html".to_string()),
            "{infos:?}"
        );
        assert!(infos.contains(&"HEADERS[1]: 200 OK".to_string()));
        assert!(infos.contains(&"DATA[1] (text/html)".to_string()));
        assert!(infos.contains(&"GOAWAY[0]".to_string()));
        if split {
            // Every frame completed in the packet of its last byte.
            let last = conn.out.last().unwrap();
            assert_eq!(last.frame, conn.packet);
            assert!(m[3].frames.len() > 10);
        }
    }
}

#[test]
fn reset_stream_reports_what_was_received() {
    let mut conn = Conn::new();
    let mut enc = loona_hpack::Encoder::new();
    let mut c = PREFACE.to_vec();
    c.extend(frame(
        1,
        END_HEADERS | END_STREAM,
        5,
        &block(&mut enc, &[(":method", "GET"), (":path", "/big")]),
    ));
    conn.send(ToServer, 0, &c);
    let mut s = frame(
        1,
        END_HEADERS,
        5,
        &block(&mut loona_hpack::Encoder::new(), &[(":status", "200")]),
    );
    s.extend(frame(0, 0, 5, b"partial"));
    conn.send(ToClient, 0, &s);
    conn.send(
        ToServer,
        c.len() as u64,
        &frame(3, 0, 5, &8u32.to_be_bytes()),
    );
    let m = conn.messages();
    assert_eq!(m.len(), 2);
    assert_eq!(m[1].body, b"partial");
    assert!(!m[1].body_complete);
    assert!(m[1]
        .notes
        .contains(&"stream 5 reset (RST_STREAM CANCEL)".to_string()));
    assert!(conn.c.streams.is_empty());
}

#[test]
fn push_promise_is_a_request_from_the_server() {
    let mut conn = Conn::new();
    let mut senc = loona_hpack::Encoder::new();
    let mut p = 2u32.to_be_bytes().to_vec();
    p.extend(block(
        &mut senc,
        &[(":method", "GET"), (":path", "/style.css")],
    ));
    conn.send(ToServer, 0, PREFACE);
    conn.send(ToClient, 0, &frame(5, END_HEADERS, 1, &p));
    let m = conn.messages();
    assert_eq!(m.len(), 1);
    assert!(m[0].is_request());
    assert_eq!(m[0].stream_id, Some(2));
    assert_eq!(
        conn.infos().last().unwrap(),
        "PUSH_PROMISE[1]: GET /style.css"
    );
}

#[test]
fn continuation_flood_is_bounded() {
    let mut b = Http2Bounds::from_config(&DissectConfig::default());
    b.max_continuations = 50;
    let mut conn = Conn::with(b);
    let mut c = PREFACE.to_vec();
    c.extend(frame(1, 0, 1, &[0x82]));
    for _ in 0..200 {
        c.extend(frame(9, 0, 1, &[]));
    }
    c.extend(frame(9, END_HEADERS, 1, &[0x84]));
    conn.send(ToServer, 0, &c);
    let notes = conn.notes();
    assert!(
        notes
            .iter()
            .any(|n| n.starts_with("CONTINUATION flood: more than 50")),
        "{notes:?}"
    );
    assert!(conn.c.dirs[0].pending.is_none());
    assert!(conn.messages().is_empty());

    // A block longer than the bound is dropped, not grown.
    let mut b = Http2Bounds::from_config(&DissectConfig::default());
    b.max_header_block = 1000;
    let mut conn = Conn::with(b);
    let mut c = PREFACE.to_vec();
    c.extend(frame(1, 0, 1, &[0; 600]));
    c.extend(frame(9, 0, 1, &[0; 600]));
    conn.send(ToServer, 0, &c);
    assert!(conn.c.dirs[0].pending.is_none());
    assert!(conn.notes()[0].starts_with("header block longer than 1000 bytes"));
}

#[test]
fn open_streams_settings_flood_and_frame_events_are_bounded() {
    let mut b = Http2Bounds::from_config(&DissectConfig::default());
    b.max_streams = 10;
    b.max_settings = 5;
    b.max_frame_events = 100;
    let mut conn = Conn::with(b);
    let mut enc = loona_hpack::Encoder::new();
    let mut c = PREFACE.to_vec();
    for i in 0..50u32 {
        c.extend(frame(
            1,
            END_HEADERS,
            2 * i + 1,
            &block(&mut enc, &[(":method", "GET"), (":path", "/")]),
        ));
    }
    for _ in 0..20 {
        c.extend(frame(4, 0, 0, &[]));
    }
    conn.send(ToServer, 0, &c);
    assert_eq!(conn.c.streams.len(), 10);
    let notes = conn.notes();
    assert!(notes
        .contains(&"more than 10 open HTTP/2 streams; further streams not assembled".to_string()));
    assert!(notes
        .contains(&"SETTINGS flood: more than 5 SETTINGS frames in this direction".to_string()));
    // HPACK state stayed right for the refused streams: a later block still decodes.
    conn.send(
        ToServer,
        c.len() as u64,
        &frame(
            1,
            END_HEADERS | END_STREAM,
            1,
            &block(&mut enc, &[("x-late", "yes")]),
        ),
    );
    assert!(conn.c.dirs[0].hpack.broken.is_none());
    // 70 frames + the preface in the first packet: all listed under a bound of 100.
    let mut b = Http2Bounds::from_config(&DissectConfig::default());
    b.max_frame_events = 10;
    let mut conn = Conn::with(b);
    conn.send(ToServer, 0, &c);
    assert_eq!(conn.infos().len(), 11);
    assert!(conn
        .notes()
        .contains(&"60 more HTTP/2 frames in this packet not listed".to_string()));
}

#[test]
fn data_per_stream_and_oversized_frames_are_bounded() {
    let mut b = Http2Bounds::from_config(&DissectConfig::default());
    b.max_body = 100;
    b.max_frame = 1000;
    let mut conn = Conn::with(b);
    let mut enc = loona_hpack::Encoder::new();
    let mut c = PREFACE.to_vec();
    c.extend(frame(
        1,
        END_HEADERS,
        1,
        &block(&mut enc, &[(":method", "POST"), (":path", "/up")]),
    ));
    c.extend(frame(0, 0, 1, &[b'a'; 80]));
    c.extend(frame(0, 0, 1, &[b'b'; 80]));
    c.extend(frame(0, END_STREAM, 1, &[b'c'; 5000]));
    conn.send(ToServer, 0, &c);
    let m = conn.messages();
    assert_eq!(m.len(), 1);
    assert_eq!(m[0].body.len(), 100);
    assert_eq!(m[0].body_len, 5160);
    assert!(!m[0].body_complete);
    assert!(conn.notes().contains(
        &"HTTP/2 DATA frame of 5000 bytes is above the 1000-byte bound; payload skipped"
            .to_string()
    ));
}

#[test]
fn hpack_bomb_and_table_size_are_bounded() {
    let mut b = Http2Bounds::from_config(&DissectConfig::default());
    b.max_header_list = 10_000;
    let mut conn = Conn::with(b);
    // One 3000-byte header indexed, then referenced 500 times: 1.5 MB from 3.5 kB.
    let blk = hpack::bomb_block(3000, 500);
    let mut c = PREFACE.to_vec();
    c.extend(frame(1, END_HEADERS | END_STREAM, 1, &blk));
    conn.send(ToServer, 0, &c);
    let m = conn.messages();
    assert_eq!(m.len(), 1);
    assert_eq!(m[0].headers.len(), 3);
    assert!(conn.notes()[0].starts_with("header list of stream 1 is 1519533 bytes (501 fields)"));

    // A peer asking for a 1 MiB dynamic table is followed only up to the bound.
    let mut conn = Conn::new();
    conn.send(ToClient, 0, &frame(4, 0, 0, &[0, 1, 0, 0x10, 0, 0]));
    assert_eq!(
        conn.notes(),
        vec!["SETTINGS_HEADER_TABLE_SIZE 1048576 above the 65536-byte bound; larger tables are not followed".to_string()]
    );
}

#[test]
fn malformed_input_never_panics() {
    // Pseudo-random bytes after the preface, and truncated frames of every type.
    let mut x: u32 = 0x1234_5678;
    let mut bytes = PREFACE.to_vec();
    for _ in 0..20_000 {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        bytes.push(x as u8);
    }
    let mut conn = Conn::new();
    for (i, ch) in bytes.chunks(97).enumerate() {
        conn.send(ToServer, (i * 97) as u64, ch);
        conn.send(ToClient, (i * 97) as u64, ch);
    }
    conn.c.close(conn.packet, &mut conn.out);
    for t in 0..12u8 {
        for len in 0..12usize {
            let mut conn = Conn::new();
            let mut c = PREFACE.to_vec();
            c.extend(frame(t, 0xff, 1, &vec![0xff; len]));
            conn.send(ToServer, 0, &c);
            conn.c.close(1, &mut conn.out);
        }
    }
}
