//! "What an eavesdropper sees": findings on the Secret Squirrels captures, the login capture,
//! corpus captures with old TLS, weak ciphers and Basic auth, and a secret split across two
//! TCP segments (a synthetic capture, and a live one when root).

mod common;
use common::*;

use serde_json::Value;
use std::path::{Path, PathBuf};

const SECRET: &str = "fluffy tail";

/// Run with `--json` (plus `args`), expect exit 0, return the NDJSON values.
fn json_run(file: &str, args: &[&str]) -> Vec<Value> {
    let mut a = vec!["-r", file, "--json"];
    a.extend_from_slice(args);
    let o = run(&a);
    assert_eq!(o.status.code(), Some(0), "{a:?}: {}", stderr(&o));
    assert!(!stderr(&o).contains("panicked"), "{}", stderr(&o));
    ndjson(&o)
}

fn findings_of<'a>(v: &'a [Value], kind: &str) -> Vec<&'a Value> {
    v.iter()
        .filter(|x| x["type"] == "finding" && x["kind"] == kind)
        .collect()
}

fn frames(f: &Value) -> Vec<u64> {
    f["frames"]
        .as_array()
        .expect("frames")
        .iter()
        .map(|x| x.as_u64().expect("frame number"))
        .collect()
}

fn file_contains(path: &str, needle: &str) -> bool {
    contains(
        &std::fs::read(path).expect("read capture"),
        needle.as_bytes(),
    )
}

/// `-x` output with colour off, parsed into per-frame blocks.
fn hex_run(file: &str, args: &[&str]) -> Vec<HexBlock> {
    let mut a = vec!["-r", file, "-x", "--color", "never"];
    a.extend_from_slice(args);
    let o = run(&a);
    assert_eq!(o.status.code(), Some(0), "{a:?}: {}", stderr(&o));
    let blocks = hex_blocks(&stdout(&o));
    assert!(!blocks.is_empty(), "no hex blocks in {}", stdout(&o));
    blocks
}

fn block(blocks: &[HexBlock], frame: u64) -> &HexBlock {
    blocks
        .iter()
        .find(|b| b.frame == frame)
        .unwrap_or_else(|| panic!("no hex block for frame {frame}"))
}

// ---------------------------------------------------------------------------------------------
// Secret Squirrels captures

#[test]
fn secret_in_clear_in_squirrel_http_names_the_frame_and_stream_offset() {
    let file = capture("squirrel-http.pcap");
    assert!(
        file_contains(&file, SECRET),
        "fixture: the secret is in the raw file"
    );
    let v = json_run(&file, &["--secret", SECRET]);
    let f = findings_of(&v, "secret_in_clear");
    assert_eq!(f.len(), 1, "one sighting: {f:?}");
    let f = f[0];
    assert_eq!(f["severity"], "high");
    assert_eq!(f["evidence"], SECRET);
    assert_eq!(tcp_stream(f), Some(0));
    assert_eq!(
        frames(f),
        vec![8],
        "README: the body is its own segment, frame 8"
    );
    assert_eq!(f["details"]["direction"], "server→client");
    assert!(
        f["explanation"]
            .as_str()
            .unwrap_or("")
            .contains("unencrypted"),
        "{f}"
    );

    // The stream offset is the number of server→client payload bytes before frame 8.
    let packets = of_type(&v, "packet");
    let before: u64 = packets
        .iter()
        .filter(|p| p["src_port"] == 5683 && p["frame"].as_u64().unwrap_or(0) < 8)
        .map(|p| p["payload_len"].as_u64().unwrap_or(0))
        .sum();
    assert_eq!(f["details"]["stream_offset"], before, "{f}");
    let p8 = packets.iter().find(|p| p["frame"] == 8).expect("frame 8");
    assert_eq!(
        p8["payload_len"],
        SECRET.len(),
        "frame 8 carries exactly the body"
    );

    // Cross-check with the hex dump: frame 8's bytes end with the secret, its ASCII column
    // shows it, and exactly those bytes are marked; no other frame has markers.
    let blocks = hex_run(&file, &["--secret", SECRET]);
    assert_eq!(blocks.len(), 12);
    let b8 = block(&blocks, 8);
    assert!(b8.bytes().ends_with(SECRET.as_bytes()));
    assert!(b8.ascii().contains(SECRET), "{}", b8.ascii());
    assert_eq!(String::from_utf8_lossy(&b8.marked()), SECRET);
    for b in blocks.iter().filter(|b| b.frame != 8) {
        assert!(b.marked().is_empty(), "frame {} has markers", b.frame);
    }
}

#[test]
fn colour_highlights_the_secret_instead_of_marker_lines() {
    let o = run(&[
        "-r",
        &capture("squirrel-http.pcap"),
        "-x",
        "--color",
        "always",
        "--secret",
        SECRET,
    ]);
    assert_eq!(o.status.code(), Some(0));
    let out = stdout(&o);
    assert!(
        !out.lines().any(|l| l.contains("^^")),
        "no marker lines when colour is on"
    );
    // Every byte of the secret, e.g. 'f' = 66, is drawn in a highlight colour.
    let from8 = out.split_once("\n    8 ").expect("frame 8").1;
    let line = from8
        .lines()
        .find(|l| l.starts_with("0040"))
        .expect("line 0040 of frame 8");
    assert!(
        line.contains("m66\x1b[0m") && line.contains("m6c\x1b[0m"),
        "{line:?}"
    );
}

#[test]
fn fernet_capture_shows_a_token_not_the_secret() {
    let file = capture("squirrel-fernet.pcap");
    assert!(!file_contains(&file, SECRET));
    let v = json_run(&file, &["--secret", SECRET]);
    assert!(findings_of(&v, "secret_in_clear").is_empty());
    let t = findings_of(&v, "fernet_token");
    assert_eq!(t.len(), 1, "{t:?}");
    assert!(
        t[0]["evidence"]
            .as_str()
            .unwrap_or("")
            .starts_with("gAAAAA"),
        "{}",
        t[0]
    );
    assert!(
        t[0]["details"].get("decrypted").is_none(),
        "no key, nothing decrypted: {}",
        t[0]
    );
    assert_eq!(
        t[0]["details"]["ciphertext_len"], 16,
        "one AES block for 11 bytes"
    );
    // The token sits in the response body: the frames are those of the response.
    let resp = of_type(&v, "http.response");
    assert_eq!(resp.len(), 1);
    assert_eq!(t[0]["frames"], resp[0]["frames"]);
}

#[test]
fn fernet_key_decrypts_the_token_to_the_secret() {
    let key = std::fs::read_to_string(captures().join("fernet.key")).expect("fernet.key");
    let v = json_run(
        &capture("squirrel-fernet.pcap"),
        &["--fernet-key", key.trim()],
    );
    let t = findings_of(&v, "fernet_token");
    assert_eq!(t.len(), 1, "{t:?}");
    assert_eq!(t[0]["details"]["decrypted"], SECRET, "{}", t[0]);
    assert!(t[0]["details"].get("decrypt_error").is_none());
    // Protected on the wire, readable with the key: not a leak to an eavesdropper (the
    // severity is that of the token itself, which can still be replayed).
    assert_eq!(t[0]["severity"], "low", "protected on the wire");
    assert!(t[0]["explanation"]
        .as_str()
        .unwrap_or("")
        .starts_with("Protected on the wire, readable with the key"));
}

/// `--mask`: every mode (summary lines, -V tree, -x hex, JSON, report) shows secret and
/// credential values as `h*****2 (7 chars)` and never the value itself.
#[test]
fn mask_hides_secret_and_credential_values_in_every_mode() {
    for (file, values) in [
        ("squirrel-http.pcap", &[SECRET][..]),
        (
            "squirrel-login.pcap",
            &[
                "acorn-stash-42",
                "nutcache-7f3a9c21",
                "sk-squirrel-0123456789abcdef",
                // The Basic credential as sent (base64 of `squirrel:acorn-stash-42`): masking
                // the decoded value alone would leave it readable in the bytes.
                "c3F1aXJyZWw6YWNvcm4tc3Rhc2gtNDI",
            ][..],
        ),
    ] {
        let path = capture(file);
        for mode in [
            &[][..],
            &["-V"][..],
            &["-x"][..],
            &["-V", "-x"][..],
            &["-A"][..],
            &["-X"][..],
            &["--json"][..],
            &["-q"][..],
        ] {
            let mut a = vec![
                "-r",
                path.as_str(),
                "--secret",
                values[0],
                "--mask",
                "--report",
            ];
            a.extend_from_slice(mode);
            let o = run(&a);
            assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
            let out = stdout(&o);
            let masked = format!("({} chars)", values[0].chars().count());
            assert!(out.contains(&masked), "{file} {mode:?}: {out}");
            for v in values {
                assert!(!out.contains(v), "{file} {mode:?}: {v} in\n{out}");
            }
        }
    }
}

#[test]
fn wrong_fernet_key_reports_an_hmac_error_not_a_panic() {
    // A well-formed key that is not the capture's: its signing half differs, so the HMAC fails.
    use base64::Engine;
    let wrong = base64::engine::general_purpose::URL_SAFE.encode((0u8..32).collect::<Vec<u8>>());
    let v = json_run(&capture("squirrel-fernet.pcap"), &["--fernet-key", &wrong]);
    let t = findings_of(&v, "fernet_token");
    assert_eq!(t.len(), 1, "{t:?}");
    let err = t[0]["details"]["decrypt_error"].as_str().unwrap_or("");
    assert!(err.contains("HMAC"), "{}", t[0]);
    assert!(t[0]["details"].get("decrypted").is_none());
    // A key that is not base64 at all is a usage error, one line.
    let o = run(&[
        "-r",
        &capture("squirrel-fernet.pcap"),
        "--fernet-key",
        "not a key!",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(stderr(&o).lines().count(), 1, "{}", stderr(&o));
    assert!(stderr(&o).contains("--fernet-key"));
}

const HTTPS: [&str; 4] = [
    "squirrel-https.pcap",
    "squirrel-https-tls12.pcap",
    "squirrel-https-badca.pcap",
    "squirrel-https-badca-tls12.pcap",
];

#[test]
fn no_https_capture_shows_the_secret() {
    for name in HTTPS {
        let file = capture(name);
        assert!(!file_contains(&file, SECRET), "{name}");
        let v = json_run(&file, &["--secret", SECRET]);
        assert!(findings_of(&v, "secret_in_clear").is_empty(), "{name}");
        assert!(
            of_type(&v, "http.request").is_empty(),
            "{name}: no HTTP visible"
        );
        assert!(
            !of_type(&v, "tls.client_hello").is_empty(),
            "{name}: it is TLS"
        );
        let blocks = hex_run(&file, &["--secret", SECRET]);
        assert!(
            blocks.iter().all(|b| b.marked().is_empty()),
            "{name}: nothing marked"
        );
    }
}

#[test]
fn tls12_certificate_is_from_the_tutorial_ca_and_untrusted_without_ca_file() {
    let file = capture("squirrel-https-tls12.pcap");
    let v = json_run(&file, &[]);
    let certs = of_type(&v, "tls.certificate");
    assert_eq!(certs.len(), 1, "{certs:?}");
    assert_eq!(certs[0]["issuer_cn"], "Secret Squirrels CA");
    assert_eq!(certs[0]["subject_cn"], "localhost");
    assert_eq!(
        certs[0]["san"],
        serde_json::json!(["DNS:localhost", "IP:127.0.0.1"])
    );
    let u = findings_of(&v, "cert_untrusted_ca");
    assert_eq!(u.len(), 1, "{u:?}");
    assert!(
        u[0]["details"]["issuer"]
            .as_str()
            .unwrap_or("")
            .contains("CN=Secret Squirrels CA"),
        "{}",
        u[0]
    );
    assert_eq!(
        frames(u[0]),
        vec![certs[0]["frame"].as_u64().expect("frame")]
    );

    // Trusting the tutorial's CA clears the flag.
    let ca = captures().join("pki/ca.crt");
    let v = json_run(&file, &["--ca-file", ca.to_str().expect("path")]);
    assert!(
        findings_of(&v, "cert_untrusted_ca").is_empty(),
        "{:?}",
        findings_of(&v, "cert_untrusted_ca")
    );
    assert_eq!(of_type(&v, "tls.certificate").len(), 1);

    // A CA file with another CA still flags it.
    let dir = temp_dir("otherca");
    let other = dir.join("other-ca.pem");
    std::fs::write(&other, renamed_ca_pem()).expect("write pem");
    let v = json_run(&file, &["--ca-file", other.to_str().expect("path")]);
    assert_eq!(findings_of(&v, "cert_untrusted_ca").len(), 1);
    let _ = std::fs::remove_dir_all(&dir);
}

/// The tutorial CA's certificate with its name changed to "Secret Squirrels CB": a different
/// CA as far as names go (same DER lengths, so it still parses).
fn renamed_ca_pem() -> String {
    use base64::Engine;
    let pem = std::fs::read_to_string(captures().join("pki/ca.crt")).expect("ca.crt");
    let b64: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    let mut der = base64::engine::general_purpose::STANDARD
        .decode(b64)
        .expect("pem base64");
    let (from, to) = (b"Secret Squirrels CA", b"Secret Squirrels CB");
    let mut n = 0;
    let mut i = 0;
    while i + from.len() <= der.len() {
        if der.get(i..i + from.len()) == Some(from.as_slice()) {
            der.splice(i..i + from.len(), to.iter().copied());
            n += 1;
        }
        i += 1;
    }
    assert!(n >= 2, "subject and issuer renamed");
    let enc = base64::engine::general_purpose::STANDARD.encode(der);
    let body: Vec<&str> = enc
        .as_bytes()
        .chunks(64)
        .map(|c| std::str::from_utf8(c).expect("ascii"))
        .collect();
    format!(
        "-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n",
        body.join("\n")
    )
}

#[test]
fn bad_ca_runs_explain_unknown_ca() {
    for name in [
        "squirrel-https-badca.pcap",
        "squirrel-https-badca-tls12.pcap",
    ] {
        let v = json_run(&capture(name), &[]);
        let alerts = of_type(&v, "tls.alert");
        assert_eq!(alerts.len(), 1, "{name}: {alerts:?}");
        assert_eq!(alerts[0]["description"], "unknown_ca");
        assert_eq!(alerts[0]["description_id"], 48);
        assert_eq!(alerts[0]["level"], "fatal");
        assert_eq!(
            alerts[0]["encrypted"], false,
            "{name}: README says the alert is plaintext"
        );
        let f: Vec<&Value> = v
            .iter()
            .filter(|x| x["type"] == "finding" && x["details"]["alert"] == "unknown_ca")
            .collect();
        assert_eq!(f.len(), 1, "{name}");
        assert!(
            f[0]["explanation"]
                .as_str()
                .unwrap_or("")
                .contains("does not trust"),
            "{name}: {}",
            f[0]
        );
        assert_eq!(f[0]["frames"], alerts[0]["frames"]);
        // The summary line of the alert frame says so as well.
        let o = run(&["-r", &capture(name)]);
        let text = stdout(&o);
        assert!(text.contains("does not trust"), "{name}: {text}");
    }
}

// ---------------------------------------------------------------------------------------------
// Login capture

#[test]
fn login_capture_every_credential_found_and_decoded() {
    let file = capture("squirrel-login.pcap");
    let v = json_run(&file, &[]);
    let blocks = hex_run(&file, &[]);
    // One of each finding's frames holds the bytes it is about.
    let frame_has = |f: &Value, needle: &str| {
        assert!(
            frames(f)
                .iter()
                .any(|&n| contains(&block(&blocks, n).bytes(), needle.as_bytes())),
            "no frame of the finding holds {needle:?}: {f}"
        );
    };

    let pw = findings_of(&v, "password_field");
    assert_eq!(pw.len(), 1, "{pw:?}");
    assert_eq!(pw[0]["evidence"], "password=acorn-stash-42");
    assert_eq!(pw[0]["details"]["location"], "form");
    assert_eq!(tcp_stream(pw[0]), Some(1));
    assert_eq!(pw[0]["severity"], "high");
    frame_has(pw[0], "username=squirrel&password=acorn-stash-42");

    let lf = findings_of(&v, "login_form_in_clear");
    assert_eq!(lf.len(), 1);
    assert_eq!(lf[0]["evidence"], "POST /login");
    assert_eq!(tcp_stream(lf[0]), Some(1));

    let basic = findings_of(&v, "basic_auth");
    assert_eq!(basic.len(), 1, "{basic:?}");
    assert_eq!(
        basic[0]["evidence"], "squirrel:acorn-stash-42",
        "decoded from base64"
    );
    assert_eq!(basic[0]["details"]["user"], "squirrel");
    assert_eq!(tcp_stream(basic[0]), Some(3));
    frame_has(
        basic[0],
        "Authorization: Basic c3F1aXJyZWw6YWNvcm4tc3Rhc2gtNDI=",
    );

    let sc = findings_of(&v, "set_cookie_insecure");
    assert_eq!(sc.len(), 1, "{sc:?}");
    assert_eq!(sc[0]["evidence"], "session=nutcache-7f3a9c21");
    let missing = sc[0]["details"]["missing"].as_str().unwrap_or("");
    assert!(
        missing.contains("Secure") && missing.contains("HttpOnly"),
        "{}",
        sc[0]
    );
    assert_eq!(tcp_stream(sc[0]), Some(1));
    frame_has(sc[0], "Set-Cookie: session=nutcache-7f3a9c21");

    // The cookie handed out (stream 1) and sent back on every later request (streams 2-6).
    let cookies = findings_of(&v, "cookie");
    let streams: Vec<u64> = cookies
        .iter()
        .map(|c| tcp_stream(c).expect("stream"))
        .collect();
    assert_eq!(streams, vec![1, 2, 3, 4, 5, 6], "{cookies:?}");
    for c in &cookies {
        assert_eq!(c["evidence"], "session=nutcache-7f3a9c21");
    }
    for c in cookies
        .iter()
        .filter(|c| tcp_stream(c) != Some(1) && frames(c).len() == 1)
    {
        frame_has(c, "Cookie: session=nutcache-7f3a9c21");
    }

    let keys = findings_of(&v, "api_key");
    assert_eq!(keys.len(), 2, "{keys:?}");
    let json_key = keys
        .iter()
        .find(|k| k["details"]["location"] == "json")
        .expect("API key in JSON");
    assert!(json_key["evidence"]
        .as_str()
        .unwrap_or("")
        .contains("sk-squirrel-0123456789abcdef"));
    assert_eq!(tcp_stream(json_key), Some(4));
    frame_has(json_key, "\"api_key\": \"sk-squirrel-0123456789abcdef\"");
    let query = keys
        .iter()
        .find(|k| k["details"]["location"] == "query")
        .expect("token in the query");
    assert_eq!(query["evidence"], "token=tok-hazelnut-31337");
    assert_eq!(tcp_stream(query), Some(5));
    frame_has(query, "GET /feed?token=tok-hazelnut-31337");

    // Credentials are leaks: --fail-on-leak fires without any --secret.
    let o = run(&["-r", &file, "-q", "--fail-on-leak"]);
    assert_eq!(o.status.code(), Some(7), "{}", stderr(&o));
}

#[test]
fn secret_only_inside_the_gzip_chunked_body_is_found_decoded() {
    let file = capture("squirrel-login.pcap");
    assert!(
        !file_contains(&file, SECRET),
        "README: the raw file does not hold the secret"
    );
    let v = json_run(&file, &["--secret", SECRET]);
    let f = findings_of(&v, "secret_in_clear");
    assert_eq!(f.len(), 1, "{f:?}");
    let layer = f[0]["details"]["layer"].as_str().unwrap_or("");
    assert!(layer.contains("body") && layer.contains("gzip"), "{}", f[0]);
    assert_eq!(tcp_stream(f[0]), Some(6));
    let resp = of_type(&v, "http.response")
        .into_iter()
        .find(|r| tcp_stream(r) == Some(6))
        .expect("stream 6 response");
    assert_eq!(resp["chunked"], true);
    // The finding names the frames that carried the body (the head's frame may be among them).
    let body_frames = frames(f[0]);
    assert!(
        body_frames.len() >= 3,
        "three chunks over many segments: {body_frames:?}"
    );
    let resp_frames: Vec<u64> = resp["frames"]
        .as_array()
        .expect("frames")
        .iter()
        .filter_map(|x| x.as_u64())
        .collect();
    assert!(
        body_frames.iter().all(|fr| resp_frames.contains(fr)),
        "{body_frames:?} ⊄ {resp_frames:?}"
    );
    // Nothing raw to mark in the hex dump.
    let blocks = hex_run(&file, &["--secret", SECRET]);
    assert!(blocks.iter().all(|b| b.marked().is_empty()));
}

// ---------------------------------------------------------------------------------------------
// --fail-on-leak and --report

#[test]
fn fail_on_leak_exit_codes() {
    let o = run(&[
        "-r",
        &capture("squirrel-http.pcap"),
        "-q",
        "--secret",
        SECRET,
        "--fail-on-leak",
    ]);
    assert_eq!(o.status.code(), Some(7), "{}", stderr(&o));
    let err = stderr(&o);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("leak"), "{err}");
    for name in HTTPS {
        let o = run(&[
            "-r",
            &capture(name),
            "-q",
            "--secret",
            SECRET,
            "--fail-on-leak",
        ]);
        assert_eq!(o.status.code(), Some(0), "{name}: {}", stderr(&o));
        assert!(!stderr(&o).contains("leak"), "{name}");
    }
    // Without --fail-on-leak the leak is reported but the exit is 0.
    let o = run(&[
        "-r",
        &capture("squirrel-http.pcap"),
        "-q",
        "--secret",
        SECRET,
    ]);
    assert_eq!(o.status.code(), Some(0));
}

fn report_row(text: &str, label: &str) -> String {
    text.lines()
        .find(|l| l.contains(label))
        .unwrap_or_else(|| panic!("no row {label:?} in\n{text}"))
        .to_string()
}

#[test]
fn report_text_for_http_and_https() {
    let o = run(&[
        "-r",
        &capture("squirrel-http.pcap"),
        "-q",
        "--secret",
        SECRET,
        "--report",
    ]);
    assert_eq!(o.status.code(), Some(0));
    let t = stdout(&o);
    assert!(
        report_row(&t, "Secret \"fluffy tail\"").contains("SEEN"),
        "{t}"
    );
    assert!(t.contains("frame 8"), "{t}");
    assert!(report_row(&t, "Verdict").contains("LEAKS"), "{t}");
    assert!(!t.contains("not seen"), "{t}");

    let o = run(&[
        "-r",
        &capture("squirrel-https.pcap"),
        "-q",
        "--secret",
        SECRET,
        "--report",
    ]);
    assert_eq!(o.status.code(), Some(0));
    let t = stdout(&o);
    assert!(
        report_row(&t, "Secret \"fluffy tail\"").contains("not seen"),
        "{t}"
    );
    assert!(
        report_row(&t, "Certificates").contains("hidden by TLS 1.3"),
        "{t}"
    );
    assert!(!t.contains("SEEN") && !t.contains("LEAKS"), "{t}");

    // With --json the report is one object at the end.
    let o = run(&[
        "-r",
        &capture("squirrel-http.pcap"),
        "--json",
        "--secret",
        SECRET,
        "--report",
    ]);
    let v = ndjson(&o);
    let last = v.last().expect("output");
    assert_eq!(last["type"], "report");
    assert_eq!(of_type(&v, "report").len(), 1);
    assert_eq!(last["secrets"][0]["secret"], SECRET);
    assert_eq!(last["secrets"][0]["seen"], 1);
    assert!(last["verdict"].as_str().unwrap_or("").starts_with("LEAKS"));
}

// ---------------------------------------------------------------------------------------------
// Corpus

#[cfg_attr(no_corpus, ignore = "needs ../shared/corpus")]
#[test]
fn corpus_basic_auth_is_decoded() {
    let Some(c) = corpus() else { return };
    let rel = "http/basic-auth-port-8000.pcap";
    let file = c.join(rel);
    let v = json_run(file.to_str().expect("path"), &[]);
    let b = findings_of(&v, "basic_auth");
    assert_eq!(b.len(), 1, "{b:?}");
    // tshark: frame 26, stream 4, `Authorization: Basic dGVzdDoxMjM0` = test:1234.
    assert_eq!(b[0]["evidence"], "test:1234");
    assert_eq!(b[0]["details"]["user"], "test");
    assert_eq!(tcp_stream(b[0]), Some(4));
    let exp = expected(&c, rel);
    let req_frame = &exp["http_requests"][0]["frame"];
    assert_eq!(&serde_json::json!(frames(b[0]).last()), req_frame);
}

/// Bytes that waited behind a gap are located by their stream offset in the frame that
/// carried them: frame 110 (`tshark -Y 'frame contains "Host: "'`: 110, and 112, a
/// retransmission) arrives before the retransmission that fills the gap before it, and its
/// "Host: " is marked in frame 110's hex dump.
#[cfg_attr(no_corpus, ignore = "needs ../shared/corpus")]
#[test]
fn corpus_secret_buffered_behind_a_gap_is_marked_in_the_frame_that_carried_it() {
    let Some(c) = corpus() else { return };
    let file = c.join("tcp/retransmit-resegmented-upload.pcap");
    let file = file.to_str().expect("path");
    let secret = "Host: ";
    let o = run(&[
        "-r",
        file,
        "-T",
        "fields",
        "-e",
        "tcp.seq",
        "-Y",
        "frame.number == 110 || frame.number == 112",
    ]);
    let seqs: Vec<u64> = stdout(&o)
        .lines()
        .filter_map(|l| l.trim().parse().ok())
        .collect();
    assert!(
        matches!(seqs[..], [s110, s112] if s110 > s112),
        "frame 110 lies beyond the gap frame 112 fills: {seqs:?}"
    );
    let blocks = hex_run(file, &["--secret", secret]);
    let b = block(&blocks, 110);
    assert!(contains(&b.bytes(), secret.as_bytes()));
    assert_eq!(String::from_utf8_lossy(&b.marked()), secret);
    for b in blocks.iter().filter(|b| b.frame != 110 && b.frame != 112) {
        assert!(b.marked().is_empty(), "frame {} has markers", b.frame);
    }
}

#[cfg_attr(no_corpus, ignore = "needs ../shared/corpus")]
#[test]
fn corpus_old_tls_versions_are_flagged() {
    let Some(c) = corpus() else { return };
    for (rel, ver) in [
        ("tls/tls10-session-id-resumption.pcap", "TLS 1.0"),
        ("tls/tls11-full-handshake.pcap", "TLS 1.1"),
    ] {
        let v = json_run(c.join(rel).to_str().expect("path"), &[]);
        let f = findings_of(&v, "tls_old_version");
        // One per Server Hello, at the Server Hello's frame (tshark's list).
        let exp = expected(&c, rel);
        let hellos: Vec<u64> = exp["tls_server_hellos"]
            .as_array()
            .expect("hellos")
            .iter()
            .filter_map(|h| h["frame"].as_u64())
            .collect();
        assert!(!hellos.is_empty());
        let got: Vec<u64> = f.iter().map(|x| frames(x)[0]).collect();
        assert_eq!(got, hellos, "{rel}");
        assert!(
            f.iter()
                .all(|x| x["evidence"] == ver && x["details"]["negotiated"] == ver),
            "{rel}: {f:?}"
        );
    }
    // TLS 1.2 and 1.3 are not old when negotiated (a client that still offers 1.0/1.1 is
    // another, low, finding without `negotiated`).
    for rel in [
        "tls/tls12-full-handshake-rsa.pcap",
        "tls/tls13-psk-resumption.pcap",
    ] {
        let v = json_run(c.join(rel).to_str().expect("path"), &[]);
        let f = findings_of(&v, "tls_old_version");
        assert!(
            f.iter()
                .all(|x| x["details"].get("negotiated").is_none() && x["severity"] == "low"),
            "{rel}: {f:?}"
        );
    }
}

#[cfg_attr(no_corpus, ignore = "needs ../shared/corpus")]
#[test]
fn corpus_rc4_cipher_is_weak() {
    let Some(c) = corpus() else { return };
    let rel = "tls/tls12-full-handshake-rsa.pcap";
    let v = json_run(c.join(rel).to_str().expect("path"), &[]);
    let f = findings_of(&v, "tls_weak_cipher");
    assert_eq!(f.len(), 1, "{f:?}");
    let exp = expected(&c, rel);
    assert_eq!(exp["tls_server_hellos"][0]["cipher_suite"], "0x0004");
    assert!(
        f[0]["evidence"]
            .as_str()
            .unwrap_or("")
            .contains("RC4_128_MD5"),
        "{}",
        f[0]
    );
    assert!(f[0]["explanation"].as_str().unwrap_or("").contains("RC4"));
    assert_eq!(
        serde_json::json!(frames(f[0])[0]),
        exp["tls_server_hellos"][0]["frame"]
    );
    // A modern suite is not flagged.
    let v = json_run(
        c.join("tls/tls13-psk-resumption.pcap")
            .to_str()
            .expect("path"),
        &[],
    );
    assert!(findings_of(&v, "tls_weak_cipher").is_empty());
}

// ---------------------------------------------------------------------------------------------
// A secret split across two TCP segments

const PIECE1: &[u8] = b"GET /?q=flu";
const PIECE2: &[u8] = b"ffy tail HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
const RESPONSE: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok";

/// The checks shared by the synthetic and the live capture: one finding naming both frames,
/// and in `-x` each frame marks its part.
fn assert_split_secret_found(file: &Path, server_port: u16) {
    let file = file.to_str().expect("path");
    assert!(
        !file_contains(file, SECRET),
        "the secret is not whole in any packet"
    );
    let v = json_run(file, &["--secret", SECRET]);
    let packets = of_type(&v, "packet");
    let carrying: Vec<u64> = packets
        .iter()
        .filter(|p| p["dst_port"] == server_port && p["payload_len"].as_u64().unwrap_or(0) > 0)
        .filter_map(|p| p["frame"].as_u64())
        .collect();
    assert_eq!(carrying.len(), 2, "two request segments: {packets:?}");
    let f = findings_of(&v, "secret_in_clear");
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!(frames(f[0]), carrying, "both frames listed: {}", f[0]);
    assert_eq!(f[0]["evidence"], SECRET);
    assert_eq!(f[0]["details"]["direction"], "client→server");
    assert_eq!(f[0]["details"]["stream_offset"], 8, "after `GET /?q=`");

    let blocks = hex_run(file, &["--secret", SECRET]);
    let (a, b) = (block(&blocks, carrying[0]), block(&blocks, carrying[1]));
    assert_eq!(
        a.marked(),
        b"flu",
        "first part marked in frame {}",
        carrying[0]
    );
    assert_eq!(
        b.marked(),
        b"ffy tail",
        "second part marked in frame {}",
        carrying[1]
    );
    for other in blocks.iter().filter(|x| !carrying.contains(&x.frame)) {
        assert!(
            other.marked().is_empty(),
            "frame {} has markers",
            other.frame
        );
    }
    // The summary shows the finding once, under the frame that completed it.
    let o = run(&["-r", file, "--secret", SECRET, "--color", "never"]);
    let text = stdout(&o);
    assert_eq!(text.matches("secret_in_clear").count(), 1, "{text}");
    assert!(
        text.contains(&format!("frames {},{}", carrying[0], carrying[1])),
        "{text}"
    );
}

#[test]
fn split_secret_in_a_synthetic_capture() {
    let dir = temp_dir("split-synth");
    let file: PathBuf = dir.join("split.pcap");
    synth_tcp_exchange(&file, 8080, &[PIECE1, PIECE2], RESPONSE);
    assert_split_secret_found(&file, 8080);
    // The request is whole in the reassembled stream.
    let v = json_run(file.to_str().expect("path"), &[]);
    assert_eq!(of_type(&v, "packet").len(), 10);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn split_secret_in_a_live_capture() {
    if !can_capture() {
        return;
    }
    let dir = temp_dir("split-live");
    let file = dir.join("split-live.pcap");
    let port = live_capture_pieces(&file, &[PIECE1, PIECE2], RESPONSE);
    assert_split_secret_found(&file, port);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn secret_split_over_three_segments_marks_each_part() {
    let dir = temp_dir("split3");
    let file = dir.join("three.pcap");
    synth_tcp_exchange(
        &file,
        8080,
        &[b"GET /?q=fl", b"uffy t", b"ail HTTP/1.1\r\nHost: x\r\n\r\n"],
        RESPONSE,
    );
    let f = file.to_str().expect("path");
    let v = json_run(f, &["--secret", SECRET]);
    let s = findings_of(&v, "secret_in_clear");
    assert_eq!(s.len(), 1, "{s:?}");
    assert_eq!(frames(s[0]), vec![4, 5, 6]);
    let blocks = hex_run(f, &["--secret", SECRET]);
    assert_eq!(block(&blocks, 4).marked(), b"fl");
    assert_eq!(block(&blocks, 5).marked(), b"uffy t");
    assert_eq!(block(&blocks, 6).marked(), b"ail");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn secret_variants_url_base64_and_basic_auth_each_found_once() {
    let dir = temp_dir("variants");
    let file = dir.join("variants.pcap");
    // ?q= URL-encoded, &b= base64 (no '+' or '/' in it, so base64 and base64url coincide),
    // and Basic credentials user:fluffy tail.
    let req: &[u8] = b"GET /?q=fluffy%20tail&b=Zmx1ZmZ5IHRhaWw= HTTP/1.1\r\nHost: x\r\n\r\n";
    synth_tcp_exchange(&file, 8080, &[req], RESPONSE);
    let v = json_run(file.to_str().expect("path"), &["--secret", SECRET]);
    let s = findings_of(&v, "secret_in_clear");
    let got: Vec<(String, String)> = s
        .iter()
        .map(|x| {
            (
                x["details"]["variant"].as_str().unwrap_or("").to_string(),
                x["evidence"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            ("url-encoded".to_string(), "fluffy%20tail".to_string()),
            ("base64".to_string(), "Zmx1ZmZ5IHRhaW".to_string())
        ],
        "{s:?}"
    );
    assert_eq!(s[0]["details"]["stream_offset"], 8);
    assert_eq!(s[1]["details"]["stream_offset"], 24);

    // A form body with '+' for the space, after the head in its own segment.
    let file2 = dir.join("form.pcap");
    let head: &[u8] =
        b"POST /note HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 16\r\n\r\n";
    synth_tcp_exchange(&file2, 8080, &[head, b"note=fluffy+tail"], RESPONSE);
    let v = json_run(file2.to_str().expect("path"), &["--secret", SECRET]);
    let s = findings_of(&v, "secret_in_clear");
    assert_eq!(s.len(), 1, "{s:?}");
    assert_eq!(s[0]["evidence"], "fluffy+tail");
    assert_eq!(frames(s[0]), vec![5]);

    // Basic credentials that hold the secret: the credential, decoded, and the secret in it.
    let file3 = dir.join("basic.pcap");
    let req: &[u8] =
        b"GET / HTTP/1.1\r\nHost: x\r\nAuthorization: Basic dXNlcjpmbHVmZnkgdGFpbA==\r\n\r\n";
    synth_tcp_exchange(&file3, 8080, &[req], RESPONSE);
    let v = json_run(file3.to_str().expect("path"), &["--secret", SECRET]);
    let b = findings_of(&v, "basic_auth");
    assert_eq!(b.len(), 1);
    assert_eq!(b[0]["evidence"], "user:fluffy tail");
    let s = findings_of(&v, "secret_in_clear");
    assert!(
        s.iter().any(|x| x["details"]["variant"] == "basic-auth"),
        "{s:?}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// The chain's trust, in words, from `--report --json`.
fn trust_of(file: &str, extra: &[&str], env: &[(&str, &str)]) -> Vec<String> {
    let mut c = bin();
    c.args(["-r", file, "-q", "--json", "--report"]).args(extra);
    for (k, v) in env {
        c.env(k, v);
    }
    let o = c.output().expect("run");
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v = ndjson(&o);
    let rep = v.iter().find(|x| x["type"] == "report").expect("report");
    rep["tls_sessions"]
        .as_array()
        .expect("sessions")
        .iter()
        .filter_map(|s| s["trust"].as_str().map(String::from))
        .collect()
}

/// Certificates are checked against the system's store by default; `--ca-file` adds
/// anchors; with no store at all the chain is "not checked", never "untrusted".
#[test]
fn certificate_trust_system_store_ca_file_and_none() {
    let tls12 = capture("squirrel-https-tls12.pcap");
    let ca = captures().join("pki/ca.crt");
    assert_eq!(
        trust_of(&tls12, &[], &[]),
        vec!["not trusted by this system — the client must be given the CA file"]
    );
    let with_ca = trust_of(&tls12, &["--ca-file", ca.to_str().expect("path")], &[]);
    assert_eq!(
        with_ca,
        vec!["trusted with --ca-file (O=Secret Squirrels, CN=Secret Squirrels CA)"]
    );
    let none = [
        ("SSL_CERT_FILE", "/nonexistent/squirrel.pem"),
        ("SSL_CERT_DIR", "/nonexistent/squirrel-certs"),
    ];
    let t = trust_of(&tls12, &[], &none);
    assert_eq!(t.len(), 1);
    assert!(t[0].starts_with("not checked"), "{t:?}");
    // No cert_untrusted_ca finding without a store.
    let o = bin()
        .args(["-r", &tls12, "--json", "-q", "--report"])
        .envs(none)
        .output()
        .expect("run");
    assert!(!stdout(&o).contains("cert_untrusted_ca"), "{}", stdout(&o));
}

/// Public chains from the corpus against Debian's store, with the store itself as the
/// oracle: trusted exactly when a certificate of the chain names a CA the bundle holds.
#[cfg_attr(no_corpus, ignore = "needs ../shared/corpus")]
#[test]
fn corpus_chains_against_the_system_store() {
    let Some(c) = corpus() else { return };
    let bundle = std::path::Path::new("/etc/ssl/certs/ca-certificates.crt");
    if !bundle.exists() {
        assert!(!ci(), "CI runs with Debian's ca-certificates");
        eprintln!("skipped: no /etc/ssl/certs/ca-certificates.crt");
        return;
    }
    let pem = std::fs::read_to_string(bundle).expect("bundle");
    let subjects = squirrel_sniff::findings::parse_ca_pem(pem.as_bytes()).expect("bundle parses");
    for (rel, ca_cn) in [
        (
            "tls/alert-unrecognized-name.pcap",
            "Go Daddy Class 2 Certification Authority",
        ),
        (
            "tls/tls12-sni-alpn-npn.pcap",
            "Equifax Secure Certificate Authority",
        ),
        (
            "tls/tls12-full-handshake-rsa.pcap",
            "AddTrust External CA Root",
        ),
    ] {
        let in_store = subjects.iter().any(|s| s.subject.contains(ca_cn));
        let t = trust_of(c.join(rel).to_str().expect("path"), &[], &[]);
        assert_eq!(t.len(), 1, "{rel}: {t:?}");
        assert_eq!(
            t[0].starts_with("trusted by this system"),
            in_store,
            "{rel}: {ca_cn} in the store: {in_store}; {t:?}"
        );
    }
}

/// The report groups findings by kind: one line per kind with the count, the streams and
/// the first frame, agreeing with the findings listed one by one in JSON.
#[test]
fn report_groups_findings_by_kind() {
    let file = capture("squirrel-login.pcap");
    let v = json_run(&file, &[]);
    let cookies = findings_of(&v, "cookie");
    assert!(cookies.len() > 1, "{cookies:?}");
    let mut streams: Vec<u64> = cookies.iter().filter_map(|f| tcp_stream(f)).collect();
    streams.sort_unstable();
    streams.dedup();
    let first = cookies
        .iter()
        .filter_map(|f| f["frames"][0].as_u64())
        .min()
        .expect("frames");
    let o = run(&["-r", &file, "-q", "--report"]);
    let t = stdout(&o);
    let line = t
        .lines()
        .find(|l| l.trim_start().starts_with("[medium] cookie"))
        .unwrap_or_else(|| panic!("{t}"));
    let (lo, hi) = (streams[0], streams[streams.len() - 1]);
    assert!(
        line.contains(&format!(
            "cookie ×{} in streams {lo}–{hi}, first frame {first}:",
            cookies.len()
        )),
        "{line}"
    );
    assert_eq!(hi - lo + 1, streams.len() as u64, "contiguous streams");
    assert_eq!(
        t.matches("] cookie").count(),
        1,
        "one line for the kind: {t}"
    );
    let total = v.iter().filter(|x| x["type"] == "finding").count();
    assert!(
        t.contains(&format!("Findings by kind ({total} in all")),
        "{t}"
    );
}

// ---------------------------------------------------------------------------------------------
// Compressed bodies: the body is decoded only when something reads it, and every check that
// reads it still sees the decoded text.

/// A synthetic exchange whose response body is `text` gzip-compressed (Content-Length, not
/// chunked). Returns the capture's path.
fn gzip_exchange(tag: &str, media_type: &str, text: &[u8]) -> String {
    use std::io::Write;
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(text).expect("gzip");
    let gz = e.finish().expect("gzip");
    let mut response = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: {media_type}\r\nContent-Encoding: gzip\r\nContent-Length: {}\r\n\r\n",
        gz.len()
    )
    .into_bytes();
    response.extend_from_slice(&gz);
    let path = temp_dir(tag).join("gzip-body.pcap");
    synth_tcp_exchange(
        &path,
        8080,
        &[b"GET /acorns.txt HTTP/1.1\r\nHost: store.test\r\n\r\n"],
        &response,
    );
    path.to_string_lossy().into_owned()
}

/// A Fernet token (version, timestamp, IV, one ciphertext block, HMAC), as its sender writes it.
fn fernet_token_text() -> String {
    use base64::Engine;
    let mut raw = vec![0x80u8];
    raw.extend_from_slice(&1_700_000_000u64.to_be_bytes());
    raw.extend((0u8..16).map(|i| i.wrapping_mul(37)));
    raw.extend((0u8..16).map(|i| i.wrapping_mul(91) ^ 0x5a));
    raw.extend((0u8..32).map(|i| i.wrapping_mul(13) ^ 0xc3));
    base64::engine::general_purpose::URL_SAFE.encode(raw)
}

#[test]
fn secret_and_fernet_token_inside_a_gzip_body_are_found_in_every_mode() {
    let token = fernet_token_text();
    let text = format!(
        "{}the stash is behind the {SECRET} of the oak\ntoken={token}\n{}",
        "acorn ledger line\n".repeat(400),
        "more acorns\n".repeat(300)
    );
    let file = gzip_exchange("gzip-secret", "text/plain", text.as_bytes());
    assert!(
        !file_contains(&file, SECRET),
        "the raw file hides the secret"
    );
    assert!(!file_contains(&file, "gAAAAA"), "and the token");

    // --fail-on-leak: the secret only the decoded body holds makes it fail, in -q where
    // nothing is displayed, and a secret that is not there does not.
    let o = run(&["-r", &file, "-q", "--secret", SECRET, "--fail-on-leak"]);
    assert_eq!(o.status.code(), Some(7), "{}", stderr(&o));
    let o = run(&[
        "-r",
        &file,
        "-q",
        "--secret",
        "not-in-it-7f3a",
        "--fail-on-leak",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));

    // --secret names the decoded layer, in JSON (which shows the decoded length) ...
    let v = json_run(&file, &["--secret", SECRET]);
    let f = findings_of(&v, "secret_in_clear");
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!(f[0]["details"]["layer"], "http body (decoded gzip)");
    let resp = of_type(&v, "http.response");
    assert_eq!(resp[0]["body_decoded_len"], text.len());
    // ... and in the summary lines, which display no body.
    let o = run(&["-r", &file, "--secret", SECRET, "--color", "never"]);
    let out = stdout(&o);
    assert!(
        out.lines()
            .any(|l| l.contains("secret_in_clear") && l.contains(SECRET)),
        "{out}"
    );

    // The Fernet scan reads every decoded body, with no option, in every mode.
    let fernet = findings_of(&v, "fernet_token");
    assert_eq!(fernet.len(), 1, "{fernet:?}");
    let evidence = fernet[0]["evidence"].as_str().unwrap_or_default();
    assert!(evidence.starts_with(&token[..60]), "{evidence}");
    for mode in [&["-q", "--report"][..], &["--color", "never"][..]] {
        let mut a = vec!["-r", file.as_str()];
        a.extend_from_slice(mode);
        let o = run(&a);
        assert!(
            stdout(&o).contains(&token[..40]),
            "{mode:?}: {}",
            stdout(&o)
        );
    }
}

/// With the session keys, credential checks read only form, JSON and unlabelled bodies (the
/// others are left compressed): the JSON body inside HTTP/2 over TLS, gzip-compressed,
/// still yields its password field in a -q run, which displays no body.
#[test]
fn json_field_inside_a_decrypted_gzip_body_is_found_without_a_display() {
    let Some(c) = corpus() else { return };
    let pcap = c.join("decrypt/h2-tls.pcap");
    let keys = c.join("decrypt/h2-tls.keys");
    let (pcap, keys) = (pcap.to_str().expect("p"), keys.to_str().expect("k"));
    let o = run(&[
        "-r", pcap, "--keylog", keys, "-q", "--report", "--color", "never",
    ]);
    let out = stdout(&o);
    let hit = out
        .lines()
        .find(|l| l.contains("visible_with_keys") && l.contains("$.secret:fluffy tail"));
    assert!(hit.is_some(), "{out}");
    // The body really is gzip-compressed on the wire: the field is not in the decrypted
    // bytes as such (the JSON record says so).
    let v = ndjson(&run(&["-r", pcap, "--keylog", keys, "--json"]));
    let gz = of_type(&v, "http.response")
        .into_iter()
        .find(|r| r["content_type"] == "application/json")
        .expect("the JSON response");
    assert_eq!(gz["content_encoding"], "gzip");
    assert!(gz["body_decoded_len"].as_u64() > gz["body_len"].as_u64());
}
