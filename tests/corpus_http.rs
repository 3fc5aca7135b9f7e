//! HTTP over ../shared/corpus/http: methods, URIs, hosts, status codes, content types,
//! lengths and frames equal tshark's (expected/*.json, made with the `-d` rules tshark needed);
//! we recognise HTTP by content, with no port rules. Responses pair with requests in order.

mod common;
use common::*;
use serde_json::Value;

fn req_key(v: &Value) -> (u64, String, String, String) {
    (
        v["frame"].as_u64().unwrap_or(0),
        v["method"].as_str().unwrap_or("").to_string(),
        v["uri"].as_str().unwrap_or("").to_string(),
        v["host"].as_str().unwrap_or("").to_string(),
    )
}

fn resp_key(v: &Value, code_field: &str) -> (u64, u64, String, Option<u64>) {
    (
        v["frame"].as_u64().unwrap_or(0),
        v[code_field].as_u64().unwrap_or(0),
        v["content_type"].as_str().unwrap_or("").to_string(),
        v["content_length"].as_u64(),
    )
}

#[cfg_attr(no_corpus, ignore = "needs ../shared/corpus")]
#[test]
fn every_http_exchange_matches_tshark() {
    let Some(c) = corpus() else { return };
    let mut names: Vec<String> = std::fs::read_dir(c.join("http"))
        .expect("dir")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert!(names.len() >= 13);
    let mut total = (0, 0);
    for n in names {
        let rel = format!("http/{n}");
        let exp = expected(&c, &rel);
        let out = run(&["-r", c.join(&rel).to_str().expect("p"), "--json"]);
        assert_eq!(out.status.code(), Some(0), "{rel}: {}", stderr(&out));
        let v = ndjson(&out);
        let mut got_req: Vec<_> = of_type(&v, "http.request")
            .into_iter()
            .map(req_key)
            .collect();
        let mut want_req: Vec<_> = exp["http_requests"]
            .as_array()
            .expect("reqs")
            .iter()
            .map(req_key)
            .collect();
        got_req.sort();
        want_req.sort();
        assert_eq!(got_req, want_req, "{rel}: requests");
        let mut got_resp: Vec<_> = of_type(&v, "http.response")
            .into_iter()
            .map(|r| resp_key(r, "status"))
            .collect();
        let mut want_resp: Vec<_> = exp["http_responses"]
            .as_array()
            .expect("resps")
            .iter()
            .map(|r| resp_key(r, "code"))
            .collect();
        got_resp.sort();
        want_resp.sort();
        assert_eq!(got_resp, want_resp, "{rel}: responses");
        total.0 += got_req.len();
        total.1 += got_resp.len();
    }
    assert_eq!(total, (85, 108), "all requests and responses of the corpus");
}

#[cfg_attr(no_corpus, ignore = "needs ../shared/corpus")]
#[test]
fn pipelined_responses_pair_with_requests_in_order() {
    let Some(c) = corpus() else { return };
    for rel in [
        "http/pipelined-many-requests.pcap",
        "http/pipelined-2-requests-one-segment.pcap",
        "http/keepalive-5-requests.pcap",
    ] {
        let out = run(&["-r", c.join(rel).to_str().expect("p"), "--json"]);
        let v = ndjson(&out);
        let reqs = of_type(&v, "http.request");
        let resps = of_type(&v, "http.response");
        assert!(!resps.is_empty(), "{rel}");
        for r in &resps {
            let idx = r["request_index"].as_u64().expect("request_index") as usize;
            let stream = &r["session"];
            let same_stream: Vec<_> = reqs.iter().filter(|q| &q["session"] == stream).collect();
            let q = same_stream
                .get(idx)
                .unwrap_or_else(|| panic!("{rel}: no request {idx}"));
            assert_eq!(
                r["request_uri"], q["uri"],
                "{rel}: response paired with the request in order"
            );
        }
        // Pairing is in order: indices within a stream are 0, 1, 2, ...
        let mut by_stream: std::collections::BTreeMap<u64, Vec<u64>> = Default::default();
        for r in &resps {
            by_stream
                .entry(tcp_stream(r).unwrap_or(0))
                .or_default()
                .push(r["request_index"].as_u64().unwrap_or(0));
        }
        for (s, idx) in by_stream {
            let want: Vec<u64> = (0..idx.len() as u64).collect();
            assert_eq!(idx, want, "{rel}: stream {s}");
        }
    }
}

#[cfg_attr(no_corpus, ignore = "needs ../shared/corpus")]
#[test]
fn http_found_by_content_on_non_standard_ports() {
    let Some(c) = corpus() else { return };
    // tshark calls 8000 with client port 1080 SOCKS unless told otherwise; we need no hint.
    let out = run(&[
        "-r",
        c.join("http/post-port-8000-needs-decode-as.pcap")
            .to_str()
            .expect("p"),
    ]);
    let s = stdout(&out);
    assert!(
        s.lines()
            .any(|l| l.contains(" HTTP ") && l.contains("POST ")),
        "{s}"
    );
    assert!(!s.contains("SOCKS"));
}

#[cfg_attr(no_corpus, ignore = "needs ../shared/corpus")]
#[test]
fn gzip_body_is_decoded_in_the_tree() {
    let Some(c) = corpus() else { return };
    let out = run(&[
        "-r",
        c.join("http/get-gzip.pcap").to_str().expect("p"),
        "-V",
    ]);
    let s = stdout(&out);
    assert!(s.contains("Content-encoded entity body (gzip)"), "{s}");
}
