//! HTTP/2 in clear (h2c with the preface, and after `Upgrade: h2c`) from
//! ../shared/corpus/decrypt: the captures' TCP streams reassembled by the flow table and fed
//! to the HTTP/2 connection dissector; per stream :method, :path, :authority, :status,
//! content-type and DATA length equal tshark's expected/*.json, gzip bodies decoded to
//! tshark's length, `fluffy tail` found in the streams tshark found it in.

mod common;

use std::collections::HashMap;
use std::path::Path;

use serde_json::Value;
use squirrel_sniff::capture::FileSource;
use squirrel_sniff::decode;
use squirrel_sniff::dissect::http::{HttpMessage, StartLine};
use squirrel_sniff::dissect::http2::{Http2Bounds, Http2Connection, Http2Event, Http2Kind};
use squirrel_sniff::dissect::DissectConfig;
use squirrel_sniff::flow::{Direction, FlowConfig, FlowTable, StreamEvent, StreamSink};

/// Feeds every TCP stream to an HTTP/2 connection. With `upgrade`, each direction starts
/// with one HTTP/1.1 head (the `Upgrade: h2c` request, the `101` response) that is skipped
/// as the HTTP/1 dissector would hand over after it.
/// A connection, the HTTP/1.1 head bytes of each direction, and whether h2 began there.
type Conn = (Http2Connection, [Vec<u8>; 2], [bool; 2]);

struct H2Sink {
    upgrade: bool,
    conns: HashMap<u32, Conn>,
    events: Vec<(u32, Http2Event)>,
}

fn head_end(b: &[u8]) -> Option<usize> {
    b.windows(4).position(|w| w == b"\r\n\r\n").map(|p| p + 4)
}

impl StreamSink for H2Sink {
    fn event(&mut self, now: u64, ev: StreamEvent<'_>) {
        let mut out = Vec::new();
        match ev {
            StreamEvent::Open { stream, .. } => {
                let mut c = Http2Connection::new(
                    Direction::ToServer,
                    Http2Bounds::from_config(&DissectConfig::default()),
                );
                if self.upgrade {
                    c.upgraded_request("GET", b"/secret.txt", Some(b"127.0.0.1:8088"), None);
                }
                self.conns
                    .insert(stream, (c, [Vec::new(), Vec::new()], [!self.upgrade; 2]));
            }
            StreamEvent::Data {
                stream,
                dir,
                offset,
                data,
                frame,
            } => {
                let Some((c, heads, h2)) = self.conns.get_mut(&stream) else {
                    return;
                };
                let d = dir.index();
                if h2[d] {
                    c.data(dir, offset, data, frame, now, &mut out);
                } else {
                    heads[d].extend_from_slice(data);
                    if let Some(end) = head_end(&heads[d]) {
                        h2[d] = true;
                        let rest = heads[d].split_off(end);
                        let at = offset + data.len() as u64 - rest.len() as u64;
                        c.data(dir, at, &rest, frame, now, &mut out);
                    }
                }
            }
            StreamEvent::End { stream, dir } => {
                if let Some((c, _, _)) = self.conns.get_mut(&stream) {
                    c.end(dir, now, &mut out);
                }
            }
            StreamEvent::Close { stream, .. } => {
                if let Some((mut c, _, _)) = self.conns.remove(&stream) {
                    c.close(now, &mut out);
                }
            }
            StreamEvent::Hole {
                stream,
                dir,
                offset,
                len,
            } => {
                if let Some((c, _, _)) = self.conns.get_mut(&stream) {
                    c.hole(dir, offset, len, now, &mut out);
                }
            }
            StreamEvent::Note { .. } => {}
        }
        let stream = match ev {
            StreamEvent::Open { stream, .. }
            | StreamEvent::Data { stream, .. }
            | StreamEvent::End { stream, .. }
            | StreamEvent::Close { stream, .. }
            | StreamEvent::Hole { stream, .. }
            | StreamEvent::Note { stream, .. } => stream,
        };
        self.events.extend(out.into_iter().map(|e| (stream, e)));
    }
}

fn run(path: &Path, upgrade: bool) -> Vec<(u32, Http2Event)> {
    let mut src = FileSource::open(path).expect("open capture");
    let mut table = FlowTable::new(FlowConfig::default());
    let mut sink = H2Sink {
        upgrade,
        conns: HashMap::new(),
        events: Vec::new(),
    };
    let mut n = 0u64;
    while let Some(p) = src.next_packet().expect("read") {
        n += 1;
        let d = decode::decode(p.link, p.data);
        if let Some(seg) = squirrel_sniff::pipeline::tcp_segment(&d, &p, n) {
            table.advance(seg.ts, &mut sink);
            table.segment(&seg, &mut sink);
        }
    }
    table.finish(&mut sink);
    sink.events
}

fn messages(events: &[(u32, Http2Event)]) -> Vec<(u32, &HttpMessage)> {
    events
        .iter()
        .filter_map(|(s, e)| match &e.kind {
            Http2Kind::Message(m) => Some((*s, m.as_ref())),
            _ => None,
        })
        .collect()
}

fn text(b: Option<&[u8]>) -> Value {
    b.map_or(Value::Null, |v| {
        Value::String(String::from_utf8_lossy(v).into_owned())
    })
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// Compare every expected stream with the messages of the same TCP stream and stream id.
fn check(name: &str, upgrade: bool) {
    let Some(c) = common::corpus() else { return };
    let dir = c.join("decrypt");
    let exp: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("expected").join(format!("{name}.json")))
            .expect("expected json"),
    )
    .expect("json");
    let events = run(&dir.join(format!("{name}.pcap")), upgrade);
    let msgs = messages(&events);
    let streams = exp["http2"]["streams"].as_array().expect("streams");
    assert!(!streams.is_empty());
    assert_eq!(
        msgs.len(),
        streams.len() * 2 - usize::from(upgrade),
        "{name}: one request and one response per stream (stream 1's request is HTTP/1.1 after an upgrade)"
    );
    for s in streams {
        let tcp = s["tcp_stream"].as_u64().expect("tcp_stream") as u32;
        let id = s["stream_id"].as_u64().expect("stream_id") as u32;
        let of = |req: bool| {
            msgs.iter()
                .find(|(t, m)| *t == tcp && m.stream_id == Some(id) && m.is_request() == req)
                .map(|(_, m)| *m)
        };
        let resp = of(false).unwrap_or_else(|| panic!("{name} {tcp}/{id}: no response"));
        assert_eq!(resp.version, "HTTP/2");
        let StartLine::Response(st) = &resp.start else {
            panic!("not a response")
        };
        assert_eq!(
            Some(u64::from(st.status)),
            s["status"].as_u64(),
            "{name} {tcp}/{id}"
        );
        assert_eq!(
            text(resp.content_type.as_deref()),
            s["content_type"],
            "{name} {tcp}/{id} content-type"
        );
        assert_eq!(
            Some(resp.body_len),
            s["data_length"].as_u64(),
            "{name} {tcp}/{id} DATA length"
        );
        assert_eq!(
            resp.chunk_count,
            s["data_frames"].as_u64().expect("data_frames"),
            "{name} {tcp}/{id} DATA frames"
        );
        assert_eq!(
            Some(resp.body_for_search().len() as u64),
            s["body_length_tshark"].as_u64(),
            "{name} {tcp}/{id} decoded body length"
        );
        assert_eq!(
            contains(resp.body_for_search(), b"fluffy tail"),
            s["body_contains_fluffy_tail"].as_bool().expect("bool"),
            "{name} {tcp}/{id} fluffy tail"
        );
        assert_eq!(
            text(resp.content_encoding.as_deref()),
            s["content_encoding"],
            "{name} {tcp}/{id} content-encoding"
        );
        if s["request_via_http1_upgrade"].as_bool() == Some(true) {
            // The request is the HTTP/1.1 one: paired, not reported again.
            assert!(of(true).is_none());
            assert_eq!(st.request_method.as_deref(), Some("GET"));
            assert_eq!(st.request_uri.as_deref(), Some(&b"/secret.txt"[..]));
            continue;
        }
        let req = of(true).unwrap_or_else(|| panic!("{name} {tcp}/{id}: no request"));
        let StartLine::Request(r) = &req.start else {
            panic!("not a request")
        };
        assert_eq!(Value::String(r.method.clone()), s["method"]);
        assert_eq!(text(Some(&r.uri)), s["path"]);
        assert_eq!(text(r.host.as_deref()), s["authority"]);
        assert_eq!(text(req.header(":scheme")), s["scheme"]);
        let want: Vec<(String, String)> = s["request_headers"]
            .as_array()
            .expect("headers")
            .iter()
            .map(|p| {
                (
                    p[0].as_str().expect("n").to_string(),
                    p[1].as_str().expect("v").to_string(),
                )
            })
            .collect();
        let got: Vec<(String, String)> = req
            .headers
            .iter()
            .map(|(n, v)| (n.clone(), String::from_utf8_lossy(v).into_owned()))
            .collect();
        assert_eq!(got, want, "{name} {tcp}/{id} request header list");
        // The response is paired with it.
        assert_eq!(st.request_uri.as_deref(), Some(r.uri.as_slice()));
    }
    // Frame types per connection equal tshark's counts.
    for (tcp, conn) in exp["http2"]["connections"].as_object().expect("conns") {
        let tcp: u32 = tcp.parse().expect("n");
        let mut got: HashMap<String, u64> = HashMap::new();
        for (_, e) in events.iter().filter(|(s, _)| *s == tcp) {
            if let Http2Kind::Frame(f) = &e.kind {
                *got.entry(f.header.kind.name()).or_default() += 1;
            }
        }
        let want: HashMap<String, u64> = conn["frame_types"]
            .as_object()
            .expect("types")
            .iter()
            .map(|(k, v)| (k.clone(), v.as_u64().expect("n")))
            .collect();
        assert_eq!(got, want, "{name} tcp stream {tcp} frame types");
        let magic = events
            .iter()
            .filter(|(s, e)| *s == tcp && e.kind == Http2Kind::Magic)
            .count();
        assert_eq!(magic, conn["preface_frames"].as_array().map_or(0, Vec::len));
    }
    // No notes: these are clean captures.
    let notes: Vec<_> = events
        .iter()
        .filter_map(|(_, e)| match &e.kind {
            Http2Kind::Note(n) if !n.starts_with("stream ") => Some(n.clone()),
            _ => None,
        })
        .collect();
    assert!(notes.is_empty(), "{name}: {notes:?}");
}

#[test]
fn h2c_prior_knowledge_streams_match_tshark() {
    check("h2c-prior-knowledge", false);
}

#[test]
fn h2c_upgrade_streams_match_tshark() {
    check("h2c-upgrade", true);
}

/// tests/fixtures/h2/h2c-nghttp.pcap (scripts/make-h2-captures.sh: nghttp against nghttpd:
/// server push, 12 concurrent streams, a gRPC-style POST, a header block over CONTINUATION):
/// per TCP stream, the sequence of (stream id, frame type) and the decoded header names and
/// values equal tshark's (`h2c-nghttp.tshark.tsv`).
#[test]
fn nghttp_frames_and_headers_match_tshark() {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/h2");
    let tsv = std::fs::read_to_string(fixtures.join("h2c-nghttp.tshark.tsv")).expect("tsv");
    let split = |s: &str| -> Vec<String> {
        if s.is_empty() {
            Vec::new()
        } else {
            s.split('|').map(str::to_string).collect()
        }
    };
    type PerConn = (Vec<(String, String)>, Vec<String>, Vec<String>);
    let mut want: std::collections::BTreeMap<u32, PerConn> = Default::default();
    for line in tsv.lines() {
        let f: Vec<&str> = line.split('\t').collect();
        let tcp: u32 = f[1].parse().expect("tcp.stream");
        let e = want.entry(tcp).or_default();
        e.0.extend(split(f[2]).into_iter().zip(split(f[3])));
        e.1.extend(split(f.get(4).copied().unwrap_or("")));
        e.2.extend(split(f.get(5).copied().unwrap_or("")));
    }
    assert_eq!(want.len(), 4);
    let events = run(&fixtures.join("h2c-nghttp.pcap"), false);
    let mut got: std::collections::BTreeMap<u32, PerConn> = Default::default();
    for (tcp, e) in &events {
        if let Http2Kind::Frame(f) = &e.kind {
            let g = got.entry(*tcp).or_default();
            g.0.push((
                f.header.stream_id.to_string(),
                f.header.kind.code().to_string(),
            ));
            for (n, v) in f.headers.iter().flat_map(|l| &l.fields) {
                g.1.push(String::from_utf8_lossy(n).into_owned());
                g.2.push(String::from_utf8_lossy(v).into_owned());
            }
        }
    }
    assert_eq!(got, want);
    // The streams as messages: 12 concurrent GETs answered with the secret, the pushed
    // /style.css as a request from the server, the POST body, the 40 kB header.
    let msgs = messages(&events);
    let secret = msgs
        .iter()
        .filter(|(t, m)| *t == 1 && !m.is_request() && contains(&m.body, b"fluffy tail"))
        .count();
    assert_eq!(secret, 12);
    assert!(msgs.iter().any(|(t, m)| *t == 0
        && m.is_request()
        && m.stream_id == Some(2)
        && matches!(&m.start, StartLine::Request(r) if r.uri == b"/style.css")));
    let post = msgs
        .iter()
        .find(|(t, m)| *t == 2 && m.is_request())
        .expect("POST");
    assert_eq!(post.1.body_len, 3000);
    assert_eq!(
        post.1.header("content-type"),
        Some(&b"application/grpc"[..])
    );
    let big = msgs
        .iter()
        .find(|(t, m)| *t == 3 && m.is_request())
        .expect("big header");
    assert_eq!(big.1.header("x-big").map(<[u8]>::len), Some(40_000));
}
