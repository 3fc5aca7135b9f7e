//! Stream-level tests of the HTTP dissector.

use std::io::Write;

use super::*;
use crate::dissect::AppEvent;
use crate::flow::Direction::{ToClient, ToServer};

type Driver = crate::dissect::Driver<HttpStream>;

fn driver() -> Driver {
    driver_with(DissectConfig::default())
}

fn driver_with(cfg: DissectConfig) -> Driver {
    Driver::new(HttpStream::new(&cfg))
}

impl Driver {
    fn http(&self) -> Vec<(&AppEvent, &HttpMessage)> {
        self.out
            .iter()
            .filter_map(|e| e.msg.http().map(|h| (e, h)))
            .collect()
    }
    fn notes(&self) -> Vec<String> {
        self.note_texts()
    }
    fn infos(&self) -> Vec<String> {
        self.http().iter().map(|(_, h)| h.info()).collect()
    }
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

fn tree_text(h: &HttpMessage) -> String {
    let mut v = Vec::new();
    h.tree().write_to(&mut v, 0).unwrap();
    String::from_utf8(v).unwrap()
}

const REQ: &[u8] = b"GET /index.html?q=1 HTTP/1.1\r\nHost: example.com\r\nUser-Agent: t\r\n\r\n";
const RESP: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: 12\r\n\r\n<p>hello</p>";

#[test]
fn head_split_at_every_boundary() {
    let reference = {
        let mut d = driver();
        d.data(ToServer, REQ, 1);
        d.data(ToClient, RESP, 2);
        d.http()
            .iter()
            .map(|(_, h)| (*h).clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(reference.len(), 2);
    for cut in 1..REQ.len() {
        let mut d = driver();
        d.data(ToServer, &REQ[..cut], 1);
        assert!(d.http().is_empty(), "request complete too early at {cut}");
        d.data(ToServer, &REQ[cut..], 2);
        let h = d.http();
        assert_eq!(h.len(), 1, "cut {cut}");
        assert_eq!(h[0].0.frames, vec![1, 2]);
        assert_eq!(h[0].0.frame, 2);
        let mut ev = h[0].1.clone();
        ev.frames = reference[0].frames.clone();
        assert_eq!(ev, reference[0], "cut {cut}");
        assert!(d.notes().is_empty());
    }
    for cut in 1..RESP.len() {
        let mut d = driver();
        d.data(ToServer, REQ, 1);
        d.data(ToClient, &RESP[..cut], 2);
        d.data(ToClient, &RESP[cut..], 3);
        let h = d.http();
        assert_eq!(h.len(), 2, "cut {cut}");
        assert_eq!(h[1].0.frames, vec![2, 3]);
        let mut ev = h[1].1.clone();
        ev.frames = reference[1].frames.clone();
        assert_eq!(ev, reference[1], "cut {cut}");
    }
    let req = &reference[0];
    assert_eq!(req.info(), "GET /index.html?q=1 HTTP/1.1");
    assert_eq!(req.head_range, 0..REQ.len() as u64);
    let resp = &reference[1];
    assert_eq!(resp.info(), "HTTP/1.1 200 OK  (text/html)");
    assert_eq!(resp.body, b"<p>hello</p>");
    assert_eq!(resp.content_length, Some(12));
    assert_eq!(resp.body_range, (RESP.len() - 12) as u64..RESP.len() as u64);
    let StartLine::Response(st) = &resp.start else {
        panic!("not a response")
    };
    assert_eq!(st.request_index, Some(0));
    assert_eq!(st.request_frame, Some(1));
    assert_eq!(st.request_uri.as_deref(), Some(&b"/index.html?q=1"[..]));
}

#[test]
fn tree_and_json_of_a_request_and_response() {
    let mut d = driver();
    d.data(ToServer, REQ, 4);
    d.data(ToClient, &RESP[..20], 6);
    d.data(ToClient, &RESP[20..], 8);
    let h = d.http();
    let t = tree_text(h[0].1);
    assert!(t.starts_with("Hypertext Transfer Protocol\n    GET /index.html?q=1 HTTP/1.1\\r\\n\n"));
    assert!(t.contains("        Request Method: GET\n"));
    assert!(t.contains("    Host: example.com\\r\\n\n"));
    assert!(t.contains("    \\r\\n\n"));
    assert!(t.contains("[Full request URI: http://example.com/index.html?q=1]"));
    assert!(t.contains("[HTTP request 1]"));
    let t = tree_text(h[1].1);
    assert!(t.contains("    HTTP/1.1 200 OK\\r\\n\n"));
    assert!(t.contains("        [Content length: 12]\n"));
    assert!(t.contains("[Request in frame: 4]"));
    assert!(t.contains("[Request URI: http://example.com/index.html?q=1]"));
    assert!(t.contains("[Reassembled from frames 6, 8]"));
    assert!(t.contains("File Data: 12 bytes"));
    assert!(t.contains("Line-based text data: text/html (1 lines)\n        <p>hello</p>\n"));

    let j = serde_json::Value::Object(h[0].1.json());
    assert_eq!(j["type"], "http.request");
    assert_eq!(j["method"], "GET");
    assert_eq!(j["uri"], "/index.html?q=1");
    assert_eq!(j["version"], "HTTP/1.1");
    assert_eq!(j["host"], "example.com");
    assert_eq!(j["headers"][0][0], "Host");
    assert_eq!(j["headers"][0][1], "example.com");
    assert_eq!(j["body_len"], 0);
    assert_eq!(j["content_type"], serde_json::Value::Null);
    let j = serde_json::Value::Object(h[1].1.json());
    assert_eq!(j["type"], "http.response");
    assert_eq!(j["status"], 200);
    assert_eq!(j["reason"], "OK");
    assert_eq!(j["content_type"], "text/html; charset=utf-8");
    assert_eq!(j["content_length"], 12);
    assert_eq!(j["body_len"], 12);
    assert_eq!(j["request_index"], 0);
}

#[test]
fn chunked_with_extensions_and_trailers() {
    let mut d = driver();
    d.data(ToServer, b"GET /c HTTP/1.1\r\nHost: h\r\n\r\n", 1);
    let resp = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Type: text/plain\r\n\r\n\
        1a;ext=\"x\"\r\nabcdefghijklmnopqrstuvwxyz\r\nA\r\n0123456789\r\n0\r\nX-Checksum: 42\r\n\r\n";
    for (i, piece) in resp.chunks(7).enumerate() {
        d.data(ToClient, piece, 10 + i as u64);
    }
    let h = d.http();
    assert_eq!(h.len(), 2);
    let r = h[1].1;
    assert!(r.chunked);
    assert!(r.body_complete);
    assert_eq!(r.body, b"abcdefghijklmnopqrstuvwxyz0123456789");
    assert_eq!(r.body_len, 36);
    assert_eq!(r.chunk_sizes, vec![26, 10]);
    assert_eq!(
        r.trailers.iter().collect::<Vec<_>>(),
        vec![("X-Checksum", &b"42"[..])]
    );
    assert_eq!(h[1].0.frame, 10 + (resp.len() as u64 - 1) / 7);
    let t = tree_text(r);
    assert!(t.contains("HTTP chunked response\n        Data chunk (26 octets)\n        Data chunk (10 octets)\n        End of chunked encoding\n        X-Checksum: 42\\r\\n\n"));
    assert!(d.notes().is_empty());
    // A following keep-alive message still parses.
    d.data(ToServer, b"GET /d HTTP/1.1\r\n\r\n", 30);
    assert_eq!(d.infos().last().unwrap(), "GET /d HTTP/1.1");
}

#[test]
fn gzip_body_split_across_chunks() {
    let text = b"{\"token\":\"s3cr3t\",\"pad\":\"".repeat(20);
    let gz = gzip(&text);
    let (a, b) = gz.split_at(gz.len() / 3);
    let mut body = format!("{:x}\r\n", a.len()).into_bytes();
    body.extend_from_slice(a);
    body.extend_from_slice(format!("\r\n{:X}\r\n", b.len()).as_bytes());
    body.extend_from_slice(b);
    body.extend_from_slice(b"\r\n0\r\n\r\n");
    let mut d = driver();
    d.data(ToServer, b"GET /gzip HTTP/1.1\r\nHost: h\r\n\r\n", 1);
    d.data(
        ToClient,
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n",
        2,
    );
    let (x, y) = body.split_at(body.len() / 2);
    d.data(ToClient, x, 3);
    d.data(ToClient, y, 4);
    let h = d.http();
    let r = h[1].1;
    assert_eq!(r.body, gz);
    assert_eq!(r.body_decoded(), Some(&text[..]));
    assert_eq!(r.body_for_search(), &text[..]);
    assert_eq!(r.decoded_with.as_deref(), Some("gzip"));
    assert_eq!(h[1].0.frames, vec![2, 3, 4]);
    let t = tree_text(r);
    assert!(t.contains(&format!(
        "Content-encoded entity body (gzip): {} bytes -> {} bytes",
        gz.len(),
        text.len()
    )));
    assert!(t.contains("Line-based text data: application/json"));
}

#[test]
fn decoded_body_is_bounded() {
    let cfg = DissectConfig {
        max_decoded_body: 100,
        ..DissectConfig::default()
    };
    let gz = gzip(&[b'x'; 5000]);
    let mut d = driver_with(cfg);
    d.data(
        ToClient,
        format!(
            "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: {}\r\n\r\n",
            gz.len()
        )
        .as_bytes(),
        1,
    );
    d.data(ToClient, &gz, 2);
    let r = d.http()[0].1.clone();
    assert_eq!(r.body_decoded().map(<[u8]>::len), Some(100));
    assert!(r
        .notes()
        .iter()
        .any(|n| n.contains("decoded body cut at 100 bytes")));
}

#[test]
fn raw_body_is_bounded_but_counted() {
    let cfg = DissectConfig {
        max_http_body: 10,
        ..DissectConfig::default()
    };
    let mut d = driver_with(cfg);
    d.data(
        ToServer,
        b"POST /up HTTP/1.1\r\nContent-Length: 30\r\n\r\n",
        1,
    );
    d.data(ToServer, &[b'a'; 30], 2);
    d.data(ToServer, b"GET /next HTTP/1.1\r\n\r\n", 3);
    let h = d.http();
    assert_eq!(h.len(), 2);
    assert_eq!(h[0].1.body, vec![b'a'; 10]);
    assert_eq!(h[0].1.body_len, 30);
    assert!(h[0].1.notes[0].contains("body cut at 10 bytes (of 30)"));
    assert_eq!(h[1].1.info(), "GET /next HTTP/1.1");
}

#[test]
fn pipelined_requests_paired_in_order() {
    let mut d = driver();
    d.data(
        ToServer,
        b"GET /a HTTP/1.1\r\nHost: h\r\n\r\nPOST /b HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nxyzHEAD /c HTTP/1.1\r\nHost: h\r\n\r\n",
        4,
    );
    assert_eq!(
        d.infos(),
        vec!["GET /a HTTP/1.1", "POST /b HTTP/1.1", "HEAD /c HTTP/1.1"]
    );
    assert!(d
        .http()
        .iter()
        .all(|(e, _)| e.frame == 4 && e.frames == vec![4]));
    d.data(
        ToClient,
        b"HTTP/1.1 404 Not Found\r\nContent-Length: 2\r\n\r\nnoHTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n",
        6,
    );
    // The HEAD response announces a length but carries no body.
    d.data(
        ToClient,
        b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\nContent-Type: text/html\r\n\r\n",
        7,
    );
    d.data(ToClient, b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", 8);
    let h = d.http();
    assert_eq!(h.len(), 7);
    let pairs: Vec<(u16, Option<usize>, Option<Cow<str>>)> = h[3..]
        .iter()
        .map(|(_, e)| match &e.start {
            StartLine::Response(s) => (s.status, s.request_index, s.request_method.clone()),
            _ => panic!("expected response"),
        })
        .collect();
    assert_eq!(
        pairs,
        vec![
            (404, Some(0), Some("GET".into())),
            (201, Some(1), Some("POST".into())),
            (200, Some(2), Some("HEAD".into())),
            (200, None, None),
        ]
    );
    assert_eq!(h[1].1.body, b"xyz");
    assert_eq!(h[5].1.body_len, 0);
    assert_eq!(h[5].0.frame, 7);
    assert_eq!(h[5].1.info(), "HTTP/1.1 200 OK  (text/html)");
}

#[test]
fn expect_100_continue() {
    let mut d = driver();
    d.data(
        ToServer,
        b"POST /up HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n",
        1,
    );
    d.data(ToClient, b"HTTP/1.1 100 Continue\r\n\r\n", 2);
    d.data(ToServer, b"hello", 3);
    d.data(
        ToClient,
        b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
        4,
    );
    let h = d.http();
    assert_eq!(h.len(), 3);
    assert_eq!(h[0].1.info(), "HTTP/1.1 100 Continue");
    assert_eq!(h[0].0.frame, 2);
    assert_eq!(h[1].1.info(), "POST /up HTTP/1.1");
    assert_eq!(h[1].0.frames, vec![1, 3]);
    assert_eq!(h[1].1.body, b"hello");
    for i in [0, 2] {
        let StartLine::Response(s) = &h[i].1.start else {
            panic!()
        };
        assert_eq!(s.request_index, Some(0));
    }
    assert_eq!(h[2].1.body, b"ok");
}

#[test]
fn no_body_for_204_and_304() {
    let mut d = driver();
    d.data(
        ToServer,
        b"GET /a HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\n\r\nGET /c HTTP/1.1\r\n\r\n",
        1,
    );
    d.data(
        ToClient,
        b"HTTP/1.1 204 No Content\r\n\r\nHTTP/1.1 304 Not Modified\r\nContent-Length: 99\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nZ",
        2,
    );
    let infos = d.infos();
    assert_eq!(
        infos[3..],
        [
            "HTTP/1.1 204 No Content",
            "HTTP/1.1 304 Not Modified",
            "HTTP/1.1 200 OK"
        ]
    );
    assert_eq!(d.http()[5].1.body, b"Z");
}

#[test]
fn close_delimited_response_ends_with_end() {
    let mut d = driver();
    d.data(ToServer, b"GET / HTTP/1.0\r\n\r\n", 1);
    d.data(
        ToClient,
        b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nline one\n",
        2,
    );
    d.data(ToClient, b"line two\n", 3);
    assert_eq!(d.http().len(), 1);
    d.end(ToClient, 5);
    let h = d.http();
    assert_eq!(h.len(), 2);
    assert_eq!(h[1].1.body, b"line one\nline two\n");
    assert_eq!(h[1].0.frame, 5);
    assert_eq!(h[1].0.frames, vec![2, 3]);
    assert!(tree_text(h[1].1).contains("Line-based text data: text/plain (2 lines)"));
    // close() after end() emits nothing more.
    d.close(6);
    assert_eq!(d.out.len(), 2);
}

#[test]
fn close_flushes_close_delimited_body() {
    let mut d = driver();
    d.data(ToClient, b"HTTP/1.1 500 Oops\r\n\r\nboom", 2);
    d.close(9);
    let h = d.http();
    assert_eq!(h.len(), 1);
    assert_eq!(h[0].1.body, b"boom");
    assert_eq!(h[0].0.frame, 9);
}

#[test]
fn chunk_size_overflow_is_noted() {
    let mut d = driver();
    d.data(ToServer, b"GET / HTTP/1.1\r\n\r\n", 1);
    d.data(
        ToClient,
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10000000000000000\r\nxxxx\r\n",
        2,
    );
    let h = d.http();
    assert_eq!(h.len(), 2);
    assert!(!h[1].1.body_complete);
    assert!(h[1].1.notes.iter().any(|n| n.contains("bogus chunk size")));
    assert!(d.notes().iter().any(|n| n.contains("bogus chunk size")));
    // Resynchronises on the next response.
    d.data(ToServer, b"GET /2 HTTP/1.1\r\n\r\n", 3);
    d.data(
        ToClient,
        b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n",
        4,
    );
    assert_eq!(d.infos().last().unwrap(), "HTTP/1.1 404 Not Found");
}

#[test]
fn hole_in_body_is_counted() {
    let mut d = driver();
    d.data(
        ToServer,
        b"POST /f HTTP/1.1\r\nContent-Length: 10\r\n\r\nabc",
        1,
    );
    d.gap(ToServer, 4, 2);
    d.data(ToServer, b"xyzGET /after HTTP/1.1\r\n\r\n", 3);
    let h = d.http();
    assert_eq!(h.len(), 2);
    assert_eq!(h[0].1.body, b"abcxyz");
    assert_eq!(h[0].1.body_len, 10);
    assert_eq!(h[0].1.body_missing, 4);
    assert!(!h[0].1.body_complete);
    assert_eq!(h[0].1.info(), "POST /f HTTP/1.1");
    assert_eq!(h[1].1.info(), "GET /after HTTP/1.1");
    assert!(d.notes().is_empty());
}

#[test]
fn hole_in_gzip_body_decodes_the_part_before() {
    let gz = gzip(&b"abcdefgh".repeat(100));
    let mut d = driver();
    d.data(
        ToClient,
        format!(
            "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: {}\r\n\r\n",
            gz.len()
        )
        .as_bytes(),
        1,
    );
    d.data(ToClient, &gz[..10], 2);
    d.gap(ToClient, 5, 3);
    d.data(ToClient, &gz[15..], 4);
    let r = d.http()[0].1.clone();
    assert_eq!(r.body_missing, 5);
    assert!(r.notes.iter().any(|n| n.contains("before the first gap")));
}

#[test]
fn hole_in_head_resyncs_to_next_request() {
    let mut d = driver();
    d.data(ToServer, b"GET /lost HTTP/1.1\r\nHo", 1);
    d.gap(ToServer, 30, 2);
    d.data(
        ToServer,
        b"st: x\r\n\r\nGET /found HTTP/1.1\r\nHost: y\r\n\r\n",
        3,
    );
    let h = d.http();
    assert_eq!(h.len(), 1);
    assert_eq!(h[0].1.info(), "GET /found HTTP/1.1");
    assert_eq!(h[0].0.frames, vec![3]);
    let RequestLine { index, .. } = match &h[0].1.start {
        StartLine::Request(r) => r.clone(),
        _ => panic!(),
    };
    assert_eq!(index, 0);
    let notes = d.notes();
    assert_eq!(notes.len(), 2, "{notes:?}");
    assert!(notes[0].contains("30 bytes missing"));
    assert!(notes[1].starts_with("resynchronised"));
}

#[test]
fn garbage_then_http_resyncs() {
    let mut d = driver();
    d.data(
        ToServer,
        b"\x00\x01binary junk\nmore junk\r\nGET /ok HTTP/1.1\r\n\r\n",
        1,
    );
    assert_eq!(d.infos(), vec!["GET /ok HTTP/1.1"]);
    assert!(d.notes()[0].contains("not an HTTP request or status line"));
}

#[test]
fn head_bound_is_noted() {
    let cfg = DissectConfig {
        max_http_head: 64,
        ..DissectConfig::default()
    };
    let mut d = driver_with(cfg);
    let mut big = b"GET / HTTP/1.1\r\nX-Big: ".to_vec();
    big.extend_from_slice(&[b'a'; 200]);
    big.extend_from_slice(b"\r\n\r\nGET /small HTTP/1.1\r\n\r\n");
    d.data(ToServer, &big, 1);
    assert!(d.notes()[0].contains("HTTP head longer than 64 bytes"));
    assert_eq!(d.infos(), vec!["GET /small HTTP/1.1"]);
}

#[test]
fn connect_and_upgrade_stop_parsing() {
    let mut d = driver();
    d.data(
        ToServer,
        b"CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n",
        1,
    );
    d.data(ToClient, b"HTTP/1.1 200 Connection established\r\n\r\n", 2);
    d.data(ToServer, b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 3);
    d.data(ToClient, b"\x16\x03\x03\x00\x5a\x02", 4);
    assert_eq!(d.http().len(), 2);
    assert_eq!(
        d.notes(),
        vec!["CONNECT tunnel established: HTTP parsing stopped for this stream"]
    );

    let mut d = driver();
    d.data(
        ToServer,
        b"GET /ws HTTP/1.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n",
        1,
    );
    d.data(
        ToClient,
        b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n\x81\x05hello",
        2,
    );
    d.data(ToServer, b"\x81\x85\x00\x00\x00\x00hello", 3);
    assert_eq!(d.http().len(), 2);
    assert_eq!(d.notes().len(), 1);
    assert!(d.notes()[0].starts_with("101 Switching Protocols"));

    // A refused CONNECT does not stop parsing.
    let mut d = driver();
    d.data(ToServer, b"CONNECT x:443 HTTP/1.1\r\n\r\n", 1);
    d.data(
        ToClient,
        b"HTTP/1.1 407 Proxy Auth\r\nContent-Length: 0\r\n\r\n",
        2,
    );
    d.data(ToServer, b"GET / HTTP/1.1\r\n\r\n", 3);
    assert_eq!(d.http().len(), 3);
}

#[test]
fn escape_bytes_in_info_tree_json() {
    let mut d = driver();
    d.data(
        ToServer,
        b"GET /\x1b[2J HTTP/1.1\r\nHost: ev\x1bil\r\nX-T: \x1b]0;pwn\x07\r\n\r\n",
        1,
    );
    d.data(
        ToClient,
        b"HTTP/1.1 200 O\x1bK\r\nContent-Type: text/\x1bhtml\r\nContent-Length: 3\r\n\r\n\x1b[m",
        2,
    );
    let h = d.http();
    assert_eq!(h.len(), 2);
    let (req, resp) = (h[0].1, h[1].1);
    assert_eq!(req.info(), "GET /\\x1b[2J HTTP/1.1");
    assert_eq!(resp.info(), "HTTP/1.1 200 O\\x1bK  (text/\\x1bhtml)");
    for t in [tree_text(req), tree_text(resp)] {
        assert!(!t.contains('\x1b') && !t.contains('\x07'), "{t}");
    }
    assert!(tree_text(req).contains("X-T: \\x1b]0;pwn\\x07\\r\\n"));
    assert!(tree_text(resp).contains("        \\x1b[m\n"));
    for e in [req, resp] {
        let j = serde_json::to_string(&e.json()).unwrap();
        assert!(!j.contains("\\u001b") && !j.contains('\x1b'), "{j}");
    }
    let j = req.json();
    assert_eq!(j["uri"], "/\\x1b[2J");
    assert_eq!(j["host"], "ev\\x1bil");
}

#[test]
fn request_on_the_client_side_is_handled() {
    // Mid-stream pickup with the directions guessed the wrong way round.
    let mut d = driver();
    d.data(
        ToServer,
        b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi",
        1,
    );
    d.data(ToClient, b"GET /x HTTP/1.1\r\n\r\n", 2);
    d.data(
        ToServer,
        b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n",
        3,
    );
    let h = d.http();
    assert_eq!(h.len(), 3);
    assert_eq!(h[0].1.info(), "HTTP/1.1 200 OK");
    assert_eq!(h[1].0.dir, ToClient);
    let StartLine::Response(s) = &h[2].1.start else {
        panic!()
    };
    assert_eq!(s.request_index, Some(0));
    assert_eq!(s.request_uri.as_deref(), Some(&b"/x"[..]));
}

#[test]
fn malformed_request_lines_from_the_wild() {
    let mut d = driver();
    d.data(
        ToServer,
        b"OPTIONS HTTP/1.1\r\nHost: www.google.com\r\n\r\n",
        1,
    );
    d.data(ToClient, b"HTTP/1.0 400 Bad Request\r\nContent-Type: text/html; charset=UTF-8\r\nContent-Length: 4\r\n\r\nbad!", 2);
    let h = d.http();
    assert_eq!(h[0].1.info(), "OPTIONS HTTP/1.1");
    let j = h[0].1.json();
    assert_eq!(j["uri"], "HTTP/1.1");
    assert_eq!(j["host"], "www.google.com");
    assert_eq!(h[1].1.info(), "HTTP/1.0 400 Bad Request  (text/html)");
}

#[test]
fn no_panic_on_random_bytes() {
    // A cheap deterministic generator; every split of every input must be survivable.
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    for round in 0..300 {
        let mut d = driver_with(DissectConfig {
            max_http_head: 256,
            max_http_body: 64,
            max_decoded_body: 64,
            max_tls_handshake: 1024,
            ..DissectConfig::default()
        });
        let mut buf = Vec::new();
        for _ in 0..200 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let pick = (x % 12) as usize;
            let piece: &[u8] = [
                &b"GET / HTTP/1.1\r\n"[..],
                b"HTTP/1.1 200 OK\r\n",
                b"Transfer-Encoding: chunked\r\n",
                b"Content-Length: 5\r\n",
                b"\r\n",
                b"ffffffffffffffffff\r\n",
                b"3\r\nabc\r\n",
                b"0\r\n\r\n",
                b"\x00\xff\x1b",
                b"Content-Encoding: gzip\r\n",
                b"HEAD / HTTP/1.1\r\n",
                b"HTTP/1.1 100 Continue\r\n",
            ][pick];
            buf.extend_from_slice(piece);
        }
        let dir = if round % 2 == 0 { ToServer } else { ToClient };
        for (i, part) in buf.chunks(1 + round % 37).enumerate() {
            if i % 11 == 5 {
                d.gap(dir, 3, i as u64);
            }
            d.data(dir, part, i as u64);
            d.data(dir.reverse(), part, i as u64);
        }
        d.close(99_999);
    }
}

/// What a run of the dissector showed: each message's info and head range, and the notes.
fn parsed(d: &Driver) -> (Vec<(String, std::ops::Range<u64>)>, Vec<String>) {
    let msgs = d
        .http()
        .iter()
        .map(|(_, h)| (h.info(), h.head_range.clone()))
        .collect();
    (msgs, d.notes())
}

#[test]
fn segmentation_does_not_change_what_is_parsed() {
    // Heads parsed where they lie, heads buffered across segments, heads too long and
    // start lines refused (each giving way to the next line) must agree byte for byte.
    let mut x: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    for round in 0..200 {
        let cfg = DissectConfig {
            max_http_head: 96,
            ..DissectConfig::default()
        };
        let mut buf = Vec::new();
        for _ in 0..120 {
            let piece: &[u8] = [
                &b"GET / HTTP/1.1\r\n"[..],
                b"HTTP/1.1 204 No Content\r\n",
                b"Host: a\r\n",
                b"\r\n",
                b"\n",
                b"Content-Length: 3\r\n",
                b"abc",
                b"FOO bar\r\n",
                b"X_CUSTOM /x HTTP/1.1\r\n",
                b"HTTP/1.1 xyz\r\n",
                b"GE",
                b"X-Long: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n",
                b"\x00\x16\x03",
            ][(next() % 13) as usize];
            buf.extend_from_slice(piece);
        }
        let dir = if round % 2 == 0 { ToServer } else { ToClient };
        let mut whole = driver_with(cfg.clone());
        whole.data(dir, &buf, 1);
        whole.close(2);
        let mut cut = driver_with(cfg);
        let mut rest = &buf[..];
        while !rest.is_empty() {
            let n = (1 + next() % 40).min(rest.len() as u64) as usize;
            let (part, after) = rest.split_at(n);
            cut.data(dir, part, 1);
            rest = after;
        }
        cut.close(2);
        assert_eq!(parsed(&whole), parsed(&cut), "round {round}");
    }
}

/// Bytes the head scanner examined per byte received.
fn scan_ratio(d: &Driver) -> f64 {
    d.work.http_head_examined as f64 / d.work.http_bytes.max(1) as f64
}

#[test]
fn head_scanning_work_is_linear() {
    // Each hostile shape, in both directions: the scanner's work stays a small multiple of
    // the bytes, however many lines look like start lines and however the bytes are cut.
    let long_head = {
        let mut h = b"GET /secret HTTP/1.1\r\nHost: example.test\r\nX-Pad: ".to_vec();
        h.resize(60_000, b'p');
        h.extend_from_slice(b"\r\n\r\n");
        h
    };
    let shapes: Vec<(&str, Vec<u8>, usize)> = vec![
        (
            "request lines, no blank line",
            b"GET / HTTP/1.1\r\n".repeat(65_536),
            1460,
        ),
        (
            "status lines, no blank line",
            b"HTTP/1.1 200 OK\r\n".repeat(65_536),
            1460,
        ),
        (
            "request lines in 64 KiB segments",
            b"GET / HTTP/1.1\r\n".repeat(65_536),
            65_535,
        ),
        (
            "unknown-method lines",
            b"X_CUSTOM / HTTP/1.1\r\n".repeat(50_000),
            1460,
        ),
        (
            "refused status lines",
            b"HTTP/1.1 xx\r\n".repeat(80_000),
            1460,
        ),
        ("one endless line", b"GET /".repeat(200_000), 1460),
        ("a 60 KB head in 1-byte segments", long_head, 1),
    ];
    for (what, bytes, mss) in &shapes {
        for dir in [ToServer, ToClient] {
            let mut d = driver();
            for part in bytes.chunks(*mss) {
                d.data(dir, part, 1);
            }
            let ratio = scan_ratio(&d);
            assert_eq!(d.work.http_bytes, bytes.len() as u64, "{what}");
            assert!(
                ratio <= 8.0,
                "{what} {dir:?}: {ratio:.2} bytes examined per byte"
            );
        }
    }
    // The long head is still read whole, and the lines still resynchronise on a real head.
    let mut d = driver();
    for part in shapes[6].1.chunks(1) {
        d.data(ToServer, part, 1);
    }
    assert_eq!(d.infos(), vec!["GET /secret HTTP/1.1"]);
    let mut d = driver();
    let mut lines = b"GET / HTTP/1.1\r\n".repeat(10_000);
    lines.extend_from_slice(b"Host: x\r\n\r\n");
    for part in lines.chunks(1460) {
        d.data(ToServer, part, 1);
    }
    let notes = d.notes();
    assert_eq!(notes.len(), 2, "{notes:?}");
    assert_eq!(
        notes[0],
        "HTTP head longer than 65536 bytes; resynchronising"
    );
    // The head that ends at the blank line starts at the last line within the bound.
    let start = lines.len() as u64 - 11 - (65_536 - 11) / 16 * 16;
    assert_eq!(
        notes[1],
        format!("resynchronised: HTTP message at stream offset {start}")
    );
    assert_eq!(d.infos(), vec!["GET / HTTP/1.1"]);
}

/// A body of known size grows by doubling towards that size: the steps land on the size
/// halved, and the count never reaches twice the bytes received.
#[test]
fn known_size_body_grows_by_halves_of_its_size() {
    assert_eq!(doubling_to(307_200, 46_000), 76_800);
    assert_eq!(doubling_to(307_200, 76_801), 153_600);
    assert_eq!(doubling_to(307_200, 153_601), 307_200);
    assert_eq!(doubling_to(1_001, 300), 501);
    assert_eq!(doubling_to(5, 1), 5);
    for size in [1usize, 7, 8, 9, 1_000, 65_537, 307_200, 1 << 20] {
        for need in (1..=size).step_by((size / 97).max(1)) {
            let cap = doubling_to(size, need);
            assert!(cap >= need && cap <= size, "{size} {need} {cap}");
            assert!(cap < 2 * need.max(8), "{size} {need} {cap}");
        }
    }
    // Fed in pieces, the buffer grows by doubling and ends at the size exactly.
    let mut d = driver();
    let body = vec![b'x'; 300_000];
    let head = format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n", body.len());
    d.data(ToClient, head.as_bytes(), 1);
    for (i, piece) in body.chunks(40_000).enumerate() {
        d.data(ToClient, piece, i as u64 + 2);
    }
    let got = d.http();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].1.body, body);
    assert_eq!(got[0].1.body.capacity(), body.len());
}
