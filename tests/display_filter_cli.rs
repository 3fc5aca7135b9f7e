//! `-Y` display filters from the command line, on the Secret Squirrels captures: which frames
//! are shown, in text and JSON, and how a bad filter is reported.

mod common;
use common::*;

use serde_json::Value;
use std::collections::BTreeSet;

/// Frame numbers of the packet summary lines (finding lines under them start with a symbol).
fn shown_frames(text: &str) -> Vec<u64> {
    text.lines()
        .filter_map(|l| l.split_whitespace().next().and_then(|t| t.parse().ok()))
        .collect()
}

/// Run with `-Y filter`, expect exit 0, return the frames shown.
fn filtered(file: &str, filter: &str) -> Vec<u64> {
    let o = run(&["-r", &capture(file), "-Y", filter, "--color", "never"]);
    assert_eq!(o.status.code(), Some(0), "{filter}: {}", stderr(&o));
    assert!(stderr(&o).is_empty(), "{filter}: {}", stderr(&o));
    shown_frames(&stdout(&o))
}

/// All NDJSON values of an unfiltered run.
fn all_json(file: &str) -> Vec<Value> {
    let o = run(&["-r", &capture(file), "--json"]);
    assert_eq!(o.status.code(), Some(0));
    ndjson(&o)
}

fn frame_of(v: &Value) -> u64 {
    v["frame"].as_u64().expect("frame")
}

#[test]
fn http_shows_only_the_two_http_packets() {
    let o = run(&[
        "-r",
        &capture("squirrel-http.pcap"),
        "-Y",
        "http",
        "--color",
        "never",
    ]);
    assert_eq!(o.status.code(), Some(0));
    let text = stdout(&o);
    assert_eq!(shown_frames(&text), vec![4, 8], "{text}");
    let lines: Vec<&str> = text
        .lines()
        .filter(|l| shown_frames(l).len() == 1)
        .collect();
    assert!(
        lines[0].contains("HTTP") && lines[0].contains("GET / HTTP/1.1"),
        "{text}"
    );
    assert!(lines[1].contains("HTTP/1.1 200 OK"), "{text}");
    // The other ten frames are plain TCP.
    let v = all_json("squirrel-http.pcap");
    let http: Vec<u64> = of_type(&v, "packet")
        .iter()
        .filter(|p| p["proto"] == "HTTP")
        .map(|p| frame_of(p))
        .collect();
    assert_eq!(http, vec![4, 8]);
    assert_eq!(of_type(&v, "packet").len(), 12);
}

#[test]
fn request_method_equals_get() {
    assert_eq!(
        filtered("squirrel-http.pcap", r#"http.request.method == "GET""#),
        vec![4]
    );
    assert_eq!(
        filtered("squirrel-http.pcap", r#"http.request.method == "POST""#),
        Vec::<u64>::new()
    );
    // On the login capture: the frames of the POST requests, as dissected.
    let v = all_json("squirrel-login.pcap");
    let posts: Vec<u64> = of_type(&v, "http.request")
        .iter()
        .filter(|r| r["method"] == "POST")
        .map(|r| frame_of(r))
        .collect();
    assert_eq!(posts.len(), 2, "POST /login and POST /api/stash");
    assert_eq!(
        filtered("squirrel-login.pcap", r#"http.request.method == "POST""#),
        posts
    );
    let gets: Vec<u64> = of_type(&v, "http.request")
        .iter()
        .filter(|r| r["method"] == "GET")
        .map(|r| frame_of(r))
        .collect();
    assert_eq!(gets.len(), 5);
    assert_eq!(
        filtered("squirrel-login.pcap", r#"http.request.method == "GET""#),
        gets
    );
    assert_eq!(
        filtered(
            "squirrel-login.pcap",
            r#"http.request.uri contains "token""#
        ),
        vec![68]
    );
}

#[test]
fn tls_sni_contains_shows_the_client_hello() {
    let o = run(&[
        "-r",
        &capture("squirrel-https.pcap"),
        "-Y",
        r#"tls.sni contains "local""#,
        "--color",
        "never",
    ]);
    assert_eq!(o.status.code(), Some(0));
    let text = stdout(&o);
    assert_eq!(shown_frames(&text), vec![4], "{text}");
    assert!(
        text.contains("Client Hello") && text.contains("localhost"),
        "{text}"
    );
    let v = all_json("squirrel-https.pcap");
    let ch = of_type(&v, "tls.client_hello");
    assert_eq!(ch.len(), 1);
    assert_eq!(frame_of(ch[0]), 4);
    assert_eq!(
        filtered("squirrel-https.pcap", r#"tls.sni contains "squirrel""#),
        Vec::<u64>::new()
    );
    assert_eq!(
        filtered("squirrel-http.pcap", r#"tls.sni contains "local""#),
        Vec::<u64>::new(),
        "no TLS there"
    );
}

#[test]
fn syn_flag_shows_the_handshake_openers() {
    assert_eq!(
        filtered("squirrel-http.pcap", "tcp.flags.syn == 1"),
        vec![1, 2]
    );
    // One SYN and one SYN/ACK per stream on the login capture (seven streams).
    let v = all_json("squirrel-login.pcap");
    let syns: Vec<u64> = of_type(&v, "packet")
        .iter()
        .filter(|p| p["tcp_flags"].as_str().is_some_and(|f| f.contains('S')))
        .map(|p| frame_of(p))
        .collect();
    assert_eq!(syns.len(), 14);
    assert_eq!(filtered("squirrel-login.pcap", "tcp.flags.syn == 1"), syns);
}

#[test]
fn finding_shows_the_frames_with_credentials() {
    let v = all_json("squirrel-login.pcap");
    let findings = of_type(&v, "finding");
    // A finding is shown under the frame that completed it: the last of its frames.
    let expect: BTreeSet<u64> = findings
        .iter()
        .map(|f| {
            f["frames"]
                .as_array()
                .and_then(|a| a.last())
                .and_then(Value::as_u64)
                .expect("frames")
        })
        .collect();
    let got = filtered("squirrel-login.pcap", "finding");
    assert_eq!(got.iter().copied().collect::<BTreeSet<u64>>(), expect);
    assert_eq!(got.len(), expect.len(), "each frame once");
    // Every credential-carrying request and the Set-Cookie response are among them.
    let cred_frames: BTreeSet<u64> = findings
        .iter()
        .filter(|f| {
            [
                "password_field",
                "basic_auth",
                "cookie",
                "api_key",
                "set_cookie_insecure",
            ]
            .contains(&f["kind"].as_str().unwrap_or(""))
        })
        .map(|f| {
            f["frames"]
                .as_array()
                .and_then(|a| a.last())
                .and_then(Value::as_u64)
                .expect("frames")
        })
        .collect();
    assert_eq!(cred_frames, BTreeSet::from([18, 22, 30, 42, 56, 68, 80]));
    assert!(cred_frames.is_subset(&got.iter().copied().collect()));
    // And the text under them names the credentials.
    let o = run(&[
        "-r",
        &capture("squirrel-login.pcap"),
        "-Y",
        "finding",
        "--color",
        "never",
    ]);
    let text = stdout(&o);
    for needle in [
        "password=acorn-stash-42",
        "squirrel:acorn-stash-42",
        "session=nutcache-7f3a9c21",
        "sk-squirrel-0123456789abcdef",
        "token=tok-hazelnut-31337",
    ] {
        assert!(text.contains(needle), "{needle}: {text}");
    }
    // Nothing to find over HTTPS.
    assert_eq!(
        filtered("squirrel-https.pcap", "finding"),
        Vec::<u64>::new()
    );
}

#[test]
fn parse_error_names_the_column_and_exits_2() {
    let o = run(&["-r", &capture("squirrel-http.pcap"), "-Y", "tcp.port == "]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("column"), "{err}");
    assert!(
        stdout(&o).is_empty(),
        "nothing printed before the error: {}",
        stdout(&o)
    );
    // An unknown field is an error too, also before any output.
    let o = run(&[
        "-r",
        &capture("squirrel-http.pcap"),
        "-Y",
        "squirrel.tail == 1",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(stderr(&o).lines().count(), 1, "{}", stderr(&o));
    assert!(stderr(&o).contains("column 1"), "{}", stderr(&o));
    assert!(stdout(&o).is_empty());
}

#[test]
fn filter_with_json_keeps_json_valid_and_only_matching_packets() {
    for (file, filter, want) in [
        ("squirrel-http.pcap", "http", vec![4u64, 8]),
        ("squirrel-http.pcap", "tcp.flags.syn == 1", vec![1, 2]),
        (
            "squirrel-https.pcap",
            r#"tls.sni contains "local""#,
            vec![4],
        ),
    ] {
        let o = run(&["-r", &capture(file), "-Y", filter, "--json"]);
        assert_eq!(o.status.code(), Some(0), "{filter}");
        let v = ndjson(&o); // every line parses
        let packets = of_type(&v, "packet");
        assert_eq!(
            packets.iter().map(|p| frame_of(p)).collect::<Vec<_>>(),
            want,
            "{file} {filter}"
        );
        // Protocol events tied to frames belong to shown frames only (stream open/close and
        // the end-of-stream TLS summary, which carry no frames, are not per packet).
        let tied = |x: &&Value| x["frames"].as_array().is_some_and(|a| !a.is_empty());
        for x in v
            .iter()
            .filter(|x| x["type"] != "packet" && x["type"] != "tcp.stream")
            .filter(tied)
        {
            if let Some(fr) = x["frame"].as_u64() {
                assert!(
                    want.contains(&fr),
                    "{file} {filter}: event of hidden frame {fr}: {x}"
                );
            }
        }
    }
}

#[test]
fn frame_len_filter_agrees_with_packet_lengths() {
    for file in [
        "squirrel-http.pcap",
        "squirrel-login.pcap",
        "squirrel-https-tls12.pcap",
    ] {
        let v = all_json(file);
        let want: Vec<u64> = of_type(&v, "packet")
            .iter()
            .filter(|p| p["len"].as_u64().expect("len") > 100)
            .map(|p| frame_of(p))
            .collect();
        assert!(
            !want.is_empty() && want.len() < of_type(&v, "packet").len(),
            "{file}: a real split"
        );
        assert_eq!(filtered(file, "frame.len > 100"), want, "{file}");
        // tshark, when it is installed, says the same (it is not in CI).
        if let Ok(t) = std::process::Command::new("tshark")
            .args(["-r", &capture(file), "-Y", "frame.len > 100"])
            .output()
        {
            if t.status.success() {
                assert_eq!(
                    String::from_utf8_lossy(&t.stdout).lines().count(),
                    want.len(),
                    "{file}: tshark"
                );
            }
        }
    }
}

/// `-Y 'tcp.stream == 1'` with `--json`: the session-level records (stream open/close, TLS
/// summary, notes) follow the display filter like the packets do — only stream 1's — while
/// the same run without `-Y` has them for both streams (so the filter is what removed them).
#[test]
fn json_session_records_obey_the_display_filter() {
    for cap in ["tls-mixed.pcap", "squirrel-login.pcap"] {
        let path = captures().join(cap);
        let path = path.to_str().expect("path");
        let streams = |o: &std::process::Output| -> BTreeSet<(String, u64)> {
            assert!(o.status.success(), "{cap}: {}", stderr(o));
            ndjson(o)
                .iter()
                .filter(|v| v["type"] != "packet" && v["type"] != "finding")
                .filter_map(|v| Some((v["type"].as_str()?.to_string(), v["session"].as_u64()?)))
                .collect()
        };
        let all = streams(&run(&["-r", path, "--json"]));
        assert!(all.iter().any(|(_, s)| *s != 1), "{cap}: {all:?}");
        let o = run(&["-r", path, "--json", "-Y", "tcp.stream == 1"]);
        let filtered = streams(&o);
        // Every record that names a session is stream 1's.
        for v in ndjson(&o) {
            if let Some(s) = v.get("session") {
                assert_eq!(s, 1, "{cap}: {v}");
            }
        }
        // ... and stream 1 keeps every session record it had without the filter.
        let want: BTreeSet<_> = all.into_iter().filter(|(_, s)| *s == 1).collect();
        assert_eq!(filtered, want, "{cap}");
        assert!(
            want.contains(&("tcp.stream".to_string(), 1)),
            "{cap}: {want:?}"
        );
        let kinds: Vec<_> = ndjson(&o)
            .into_iter()
            .filter(|v| v["type"] == "tcp.stream")
            .map(|v| v["event"].as_str().unwrap_or("").to_string())
            .collect();
        assert_eq!(kinds, ["open", "close"], "{cap}");
        // The packets are tshark's for the same filter.
        let t = std::process::Command::new("tshark")
            .args([
                "-r",
                path,
                "-Y",
                "tcp.stream == 1",
                "-T",
                "fields",
                "-e",
                "frame.number",
            ])
            .output()
            .expect("tshark");
        let packets = of_type(&ndjson(&o), "packet").len();
        assert_eq!(packets, stdout(&t).lines().count(), "{cap}");
    }
    // The TLS summary of stream 1 is there, stream 0's is not.
    let o = run(&[
        "-r",
        captures().join("tls-mixed.pcap").to_str().expect("path"),
        "--json",
        "-Y",
        "tcp.stream == 1",
    ]);
    let summaries: Vec<_> = of_type(&ndjson(&o), "tls.summary")
        .into_iter()
        .map(|v| v["session"].clone())
        .collect();
    assert_eq!(summaries, [serde_json::json!(1)]);
}

/// A filter that matches later frames only (`http.request`): each shown stream's open record
/// still comes (held until its first displayed frame), once, before its close.
#[test]
fn json_open_record_waits_for_the_first_displayed_frame() {
    let path = captures().join("squirrel-login.pcap");
    let o = run(&[
        "-r",
        path.to_str().expect("path"),
        "--json",
        "-Y",
        "http.request",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v = ndjson(&o);
    let shown: BTreeSet<u64> = of_type(&v, "packet")
        .iter()
        .filter_map(|p| tcp_stream(p))
        .collect();
    assert!(shown.len() > 1, "{shown:?}");
    for s in &shown {
        let events: Vec<_> = of_type(&v, "tcp.stream")
            .into_iter()
            .filter(|r| tcp_stream(r) == Some(*s))
            .map(|r| r["event"].clone())
            .collect();
        assert_eq!(events, ["open", "close"], "stream {s}");
    }
}
