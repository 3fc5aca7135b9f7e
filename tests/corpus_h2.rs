//! HTTP/2 in clear (h2c with the preface, and after `Upgrade: h2c`) from
//! ../shared/corpus/decrypt: the captures' TCP streams reassembled by the flow table and fed
//! to the HTTP/2 connection dissector; per stream :method, :path, :authority, :status,
//! content-type and DATA length equal tshark's expected/*.json, gzip bodies decoded to
//! tshark's length, `fluffy tail` found in the streams tshark found it in.

mod common;
use common::contains;

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
                ..
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
            text(resp.content_type()),
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
            text(resp.content_encoding()),
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
        assert_eq!(Value::String(r.method.to_string()), s["method"]);
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
            .map(|(n, v)| (n.to_string(), String::from_utf8_lossy(v).into_owned()))
            .collect();
        assert_eq!(got, want, "{name} {tcp}/{id} request header list");
        // The response is paired with it.
        assert_eq!(st.request_uri.as_deref(), Some(&r.uri[..]));
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

#[cfg_attr(no_corpus, ignore = "needs ../shared/corpus")]
#[test]
fn h2c_prior_knowledge_streams_match_tshark() {
    check("h2c-prior-knowledge", false);
}

#[cfg_attr(no_corpus, ignore = "needs ../shared/corpus")]
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
        && matches!(&m.start, StartLine::Request(r) if *r.uri == b"/style.css"[..])));
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

fn run_strings(args: &[String]) -> std::process::Output {
    common::bin()
        .args(args)
        .output()
        .expect("run squirrel-sniff")
}

/// The `FRAME[stream]` tokens (and `Magic`) of an Info column.
fn frame_tokens(info: &str) -> Vec<String> {
    info.split(", ")
        .filter_map(|part| {
            if part.starts_with("Magic") {
                return Some("Magic".to_string());
            }
            let end = part.find(']')?;
            let t = part.get(..=end)?;
            t.chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || "_[]".contains(c))
                .then(|| t.to_string())
        })
        .collect()
}

/// The packet list of the nghttp capture through the CLI equals tshark's for every HTTP/2
/// packet (`h2c-nghttp.tshark.info`). Known differences, checked on their frame list only:
/// tshark shows a request on the HEADERS frame that begins a block continued in a later
/// packet (it decodes fragments as they come), squirrel-sniff on the frame that ends the
/// block (42, 45); tshark's gRPC dissector adds its own text (30, 32).
#[test]
fn nghttp_packet_list_matches_tshark() {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/h2");
    let cap = fixtures.join("h2c-nghttp.pcap");
    let out = common::run(&["-r", cap.to_str().expect("path")]);
    assert!(out.status.success());
    let ours: HashMap<u64, (String, String)> = common::stdout(&out)
        .lines()
        .filter_map(|l| {
            let mut f = l.split_whitespace();
            let n: u64 = f.next()?.parse().ok()?;
            let proto = f.nth(4)?.to_string();
            let _len = f.next()?;
            Some((n, (proto, f.collect::<Vec<_>>().join(" "))))
        })
        .collect();
    let oracle = std::fs::read_to_string(fixtures.join("h2c-nghttp.tshark.info")).expect("info");
    let mut compared = 0;
    for line in oracle.lines() {
        let f: Vec<&str> = line.split('\t').collect();
        let (n, proto, info) = (f[0].parse::<u64>().expect("n"), f[1], f[2]);
        if proto != "HTTP2" && proto != "GRPC" {
            continue;
        }
        let (p, i) = ours.get(&n).unwrap_or_else(|| panic!("packet {n} missing"));
        assert_eq!(p, "HTTP2", "packet {n}");
        let squeeze = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
        if [30, 32, 42, 45].contains(&n) {
            assert_eq!(
                frame_tokens(i),
                frame_tokens(info),
                "packet {n}: {i} / {info}"
            );
        } else {
            assert_eq!(squeeze(i), squeeze(info), "packet {n}");
        }
        compared += 1;
    }
    assert_eq!(compared, 18);
    // The block over CONTINUATION: the request is shown where the block ends.
    assert_eq!(ours[&45].1, "CONTINUATION[13]: GET /secret.txt");
}

/// The HTTP/2 corpus captures through the CLI — h2c, and h2 inside TLS decrypted with the
/// key log (ALPN h2, and Chromium's ECH-GREASE session): JSON has one
/// http.request/http.response per stream with version HTTP/2 and stream_id, one record per
/// HTTP/2 frame (tshark's count), the shared `-Y` fields select the request HEADERS packets,
/// and `--secret` finds `fluffy tail` in the packets tshark found it in.
#[cfg_attr(no_corpus, ignore = "needs ../shared/corpus")]
#[test]
fn h2_corpus_through_the_cli() {
    let Some(c) = common::corpus() else { return };
    for (name, tls) in [
        ("h2c-prior-knowledge", false),
        ("h2c-upgrade", false),
        ("h2-tls", true),
        ("tls13-ech-grease", true),
    ] {
        let dir = c.join("decrypt");
        let exp: Value = serde_json::from_str(
            &std::fs::read_to_string(dir.join("expected").join(format!("{name}.json")))
                .expect("expected"),
        )
        .expect("json");
        let cap = dir.join(format!("{name}.pcap"));
        let cap = cap.to_str().expect("path");
        let keys = dir.join(format!("{name}.keys"));
        let mut base = vec!["-r", cap];
        if tls {
            base.extend(["--keylog", keys.to_str().expect("path")]);
        }
        let with = |more: &[&'static str]| -> Vec<String> {
            base.iter().chain(more).map(|a| a.to_string()).collect()
        };
        let v = common::ndjson(&run_strings(&with(&["--json", "--secret", "fluffy tail"])));
        let streams = exp["http2"]["streams"].as_array().expect("streams");
        for kind in ["http.request", "http.response"] {
            let h2: Vec<_> = common::of_type(&v, kind)
                .into_iter()
                .filter(|m| m["version"] == "HTTP/2")
                .collect();
            let want = streams
                .iter()
                .filter(|s| kind == "http.response" || s["method"].is_string())
                .count();
            assert_eq!(h2.len(), want, "{name} {kind}");
            for s in streams {
                if kind == "http.request" && !s["method"].is_string() {
                    continue;
                }
                let m = h2
                    .iter()
                    .find(|m| m["session"] == s["tcp_stream"] && m["stream_id"] == s["stream_id"])
                    .unwrap_or_else(|| panic!("{name} {kind} {s}"));
                let layer = Value::from(if tls { "tls" } else { "clear" });
                assert_eq!(m["layer"], layer, "{name}");
                if kind == "http.request" {
                    assert_eq!(m["uri"], s["path"]);
                    assert_eq!(m["host"], s["authority"]);
                } else {
                    assert_eq!(m["status"], s["status"]);
                    assert_eq!(m["body_len"], s["data_length"]);
                    assert_eq!(m["content_type"], s["content_type"]);
                    if s["content_encoding"] == "gzip" {
                        assert_eq!(m["body_decoded_len"], s["body_length_tshark"], "{name}");
                    }
                }
            }
        }
        assert_eq!(
            common::of_type(&v, "http2.frame").len() as u64,
            exp["http2"]["frames"].as_u64().expect("frames"),
            "{name}: HTTP/2 frames"
        );
        // Secret sightings: each in a frame tshark's filter finds it in (a gzip body is
        // found once decoded, in its last frame), at least one per stream whose body has it.
        let seen: Vec<u64> = common::of_type(&v, "finding")
            .iter()
            .filter(|f| f["kind"] == "secret_in_clear" || f["kind"] == "visible_with_keys")
            .filter_map(|f| f["frames"].as_array()?.last()?.as_u64())
            .collect();
        let want: Vec<u64> = exp["fluffy_tail"]["display_filter_frames"]
            .as_array()
            .expect("frames")
            .iter()
            .filter_map(Value::as_u64)
            .collect();
        assert!(
            seen.iter().all(|f| want.contains(f)),
            "{name}: {seen:?} / {want:?}"
        );
        let with_secret = streams
            .iter()
            .filter(|s| s["body_contains_fluffy_tail"] == true)
            .count();
        assert!(
            seen.len() >= with_secret && with_secret > 0,
            "{name}: {seen:?}"
        );
        // -Y with the shared HTTP fields and the HTTP/2 ones.
        let out = run_strings(&with(&["-Y", "http2 && http.request.method == \"GET\""]));
        let got: Vec<u64> = common::stdout(&out)
            .lines()
            .filter_map(|l| l.split_whitespace().next()?.parse().ok())
            .collect();
        let want: Vec<u64> = streams
            .iter()
            .filter(|s| s["method"] == "GET")
            .filter_map(|s| s["first_frame"].as_u64())
            .collect();
        assert_eq!(got, want, "{name}: request packets");
        let out = run_strings(&with(&["-Y", "http2.type == 0 && http2.streamid == 1"]));
        let packets: Vec<String> = common::stdout(&out)
            .lines()
            .filter(|l| {
                l.split_whitespace()
                    .next()
                    .is_some_and(|t| t.parse::<u64>().is_ok())
            })
            .map(str::to_string)
            .collect();
        assert!(!packets.is_empty(), "{name}");
        assert!(
            packets.iter().all(|l| l.contains("DATA[1]")),
            "{name}: {packets:?}"
        );
    }
}
