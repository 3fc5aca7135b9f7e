//! TLS decryption over ../shared/corpus/decrypt: with each capture's key log (and with the
//! pcapng Decryption Secrets Block copies, and the server's RSA key) the records decrypted per
//! session and the HTTP/1.x messages inside TLS equal tshark's expected/*.json; without keys
//! nothing is decrypted. Also bad key inputs, a wrong key, the bundled tutorial captures, and
//! the findings classification (seen with the keys is not a leak).

mod common;
use common::*;
use serde_json::Value;

const SESSIONS: &[&str] = &[
    "tls12-ecdhe-aesgcm",
    "tls12-cbc-sha",
    "tls12-rsa-kex",
    "tls13-aes128",
    "h2-tls",
    "tls13-ech-grease",
];

fn decrypt_dir(c: &std::path::Path) -> std::path::PathBuf {
    c.join("decrypt")
}

fn path(c: &std::path::Path, name: &str) -> String {
    decrypt_dir(c)
        .join(name)
        .to_str()
        .expect("utf-8 path")
        .to_string()
}

fn exp(c: &std::path::Path, name: &str) -> Value {
    let p = decrypt_dir(c).join("expected").join(format!("{name}.json"));
    serde_json::from_str(&std::fs::read_to_string(&p).expect("expected json")).expect("json")
}

/// (stream, records decrypted) of each `tls.decryption` record.
fn decrypted_per_stream(v: &[Value]) -> Vec<(u64, u64)> {
    of_type(v, "tls.decryption")
        .iter()
        .map(|d| {
            (
                tcp_stream(d).unwrap_or(u64::MAX),
                d["records_decrypted"].as_u64().unwrap_or(u64::MAX),
            )
        })
        .collect()
}

/// (type, method, uri, host, status, content type, content length) of an HTTP message.
type HttpFacts = (
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<u64>,
    Option<String>,
    Option<u64>,
);

/// The HTTP/1.x messages found inside TLS, as comparable facts (HTTP/2 streams inside TLS
/// are checked in tests/corpus_h2.rs).
fn inner_http(v: &[Value]) -> Vec<HttpFacts> {
    v.iter()
        .filter(|e| e["layer"] == "tls")
        .filter(|e| e["type"] == "http.request" || e["type"] == "http.response")
        .filter(|e| e["version"] != "HTTP/2")
        .map(|e| {
            let header = |name: &str| {
                e["headers"].as_array().and_then(|hs| {
                    hs.iter()
                        .find(|h| h[0].as_str().is_some_and(|n| n.eq_ignore_ascii_case(name)))
                        .and_then(|h| h[1].as_str().map(String::from))
                })
            };
            (
                e["type"].as_str().unwrap_or_default().to_string(),
                e["method"].as_str().map(String::from),
                e["uri"].as_str().map(String::from),
                if e["type"] == "http.request" {
                    header("host")
                } else {
                    None
                },
                e["status"].as_u64(),
                e["content_type"].as_str().map(String::from),
                e["content_length"]
                    .as_u64()
                    .or_else(|| header("content-length").and_then(|l| l.parse().ok())),
            )
        })
        .collect()
}

fn expected_http(e: &Value) -> Vec<HttpFacts> {
    e["http"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|m| {
                    (
                        format!("http.{}", m["type"].as_str().unwrap_or_default()),
                        m["method"].as_str().map(String::from),
                        m["uri"].as_str().map(String::from),
                        m["host"].as_str().map(String::from),
                        m["status"].as_u64(),
                        m["content_type"].as_str().map(String::from),
                        m["content_length"].as_u64(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The chunk lengths of `--follow` ascii output (a tab before the server's).
fn chunk_lengths(follow: &str) -> Vec<u64> {
    follow
        .lines()
        .filter(|l| {
            !l.is_empty()
                && l.trim_start_matches('\t')
                    .bytes()
                    .all(|b| b.is_ascii_digit())
        })
        .map(|l| l.trim().parse().expect("n"))
        .collect()
}

fn expected_sessions(e: &Value) -> Vec<(u64, u64)> {
    e["tls_sessions"]
        .as_array()
        .expect("tls_sessions")
        .iter()
        .map(|s| {
            (
                s["tcp_stream"].as_u64().expect("stream"),
                s["decrypted_records"].as_u64().expect("decrypted_records"),
            )
        })
        .collect()
}

fn check(c: &std::path::Path, name: &str, args: &[&str], keys: &str) {
    let e = exp(c, name);
    let out = run(args);
    assert!(out.status.success(), "{name}: {}", stderr(&out));
    let v = ndjson(&out);
    assert_eq!(
        decrypted_per_stream(&v),
        expected_sessions(&e),
        "{name} {args:?}"
    );
    for d in of_type(&v, "tls.decryption") {
        assert_eq!(d["keys"], keys, "{name}");
        assert_eq!(d["failures"], 0, "{name}");
    }
    assert_eq!(inner_http(&v), expected_http(&e), "{name} {args:?}");
    // HTTP/1.x message count per session equals tshark's.
    let http1: u64 = e["tls_sessions"]
        .as_array()
        .map(|a| a.iter().filter_map(|s| s["http1_messages"].as_u64()).sum())
        .unwrap_or(0);
    assert_eq!(inner_http(&v).len() as u64, http1, "{name}");
    // Where tshark saw "fluffy tail" after decryption, an HTTP body inside TLS carries it.
    if e["fluffy_tail"]["in_decrypted_payload"] == true && http1 > 0 {
        let frames: Vec<u64> = e["fluffy_tail"]["display_filter_frames"]
            .as_array()
            .map(|a| a.iter().filter_map(Value::as_u64).collect())
            .unwrap_or_default();
        let out = run(&[args, &["--secret", "fluffy tail"]].concat());
        let v = ndjson(&out);
        let got: Vec<u64> = of_type(&v, "finding")
            .iter()
            .filter(|f| f["kind"] == "visible_with_keys" && f["evidence"] == "fluffy tail")
            .filter_map(|f| {
                f["frames"]
                    .as_array()
                    .and_then(|a| a.last())
                    .and_then(Value::as_u64)
            })
            .collect();
        assert_eq!(got, frames, "{name}: fluffy tail frames");
    }
}

#[cfg_attr(no_corpus, ignore = "needs ../shared/corpus")]
#[test]
fn key_logs_decrypt_every_session_like_tshark() {
    let Some(c) = corpus() else { return };
    for name in SESSIONS {
        let pcap = path(&c, &format!("{name}.pcap"));
        let keys = path(&c, &format!("{name}.keys"));
        check(
            &c,
            name,
            &["-r", &pcap, "--keylog", &keys, "--json"],
            "key_log",
        );
        // tshark's spelling of the same option.
        let pref = format!("tls.keylog_file:{keys}");
        if *name == "tls13-aes128" {
            check(&c, name, &["-r", &pcap, "-o", &pref, "--json"], "key_log");
        }
    }
}

#[cfg_attr(no_corpus, ignore = "needs ../shared/corpus")]
#[test]
fn decryption_secrets_blocks_need_no_option() {
    let Some(c) = corpus() else { return };
    for name in ["tls12-ecdhe-aesgcm", "tls13-aes128", "h2-tls"] {
        let e = exp(&c, name);
        let pcap = path(&c, &format!("{name}.dsb.pcapng"));
        check(&c, name, &["-r", &pcap, "--json"], "dsb");
        let out = run(&["-r", &pcap, "--json"]);
        let total: u64 = decrypted_per_stream(&ndjson(&out))
            .iter()
            .map(|x| x.1)
            .sum();
        assert_eq!(
            total,
            e["dsb_variant"]["decrypted_tls_records"]
                .as_u64()
                .expect("dsb count"),
            "{name}"
        );
    }
}

#[cfg_attr(no_corpus, ignore = "needs ../shared/corpus")]
#[test]
fn rsa_key_alone_decrypts_static_rsa_kex() {
    let Some(c) = corpus() else { return };
    let pcap = path(&c, "tls12-rsa-kex.pcap");
    for key in ["tls12-rsa-kex.key.pem", "tls12-rsa-kex.key.pk8.pem"] {
        let k = path(&c, key);
        check(
            &c,
            "tls12-rsa-kex",
            &["-r", &pcap, "--rsa-key", &k, "--json"],
            "rsa_key",
        );
    }
}

/// NSS's `RSA <first 8 bytes of the encrypted pre-master> <pre-master>` line alone, and a
/// `PMS_CLIENT_RANDOM <client random> <pre-master>` line alone, decrypt the static-RSA
/// session as tshark does with the whole key log (tshark reads both forms too). The
/// client random is the one the corpus key log's `CLIENT_RANDOM` line names.
#[cfg_attr(no_corpus, ignore = "needs ../shared/corpus")]
#[test]
fn rsa_and_pre_master_key_log_lines_decrypt_static_rsa_kex() {
    let Some(c) = corpus() else { return };
    let pcap = path(&c, "tls12-rsa-kex.pcap");
    let keys = std::fs::read_to_string(path(&c, "tls12-rsa-kex.keys")).expect("key log");
    let field = |label: &str, i: usize| -> String {
        keys.lines()
            .find(|l| l.split_whitespace().next() == Some(label))
            .and_then(|l| l.split_whitespace().nth(i))
            .unwrap_or_else(|| panic!("no {label} line in the corpus key log"))
            .to_string()
    };
    let (prefix, pms, random) = (field("RSA", 1), field("RSA", 2), field("CLIENT_RANDOM", 1));
    let dir = temp_dir("rsa-pms-lines");
    for (name, line) in [
        ("rsa.keys", format!("RSA {prefix} {pms}\n")),
        ("pms.keys", format!("PMS_CLIENT_RANDOM {random} {pms}\n")),
    ] {
        let f = dir.join(name);
        std::fs::write(&f, line).expect("write key log");
        let k = f.to_str().expect("utf-8 path").to_string();
        check(
            &c,
            "tls12-rsa-kex",
            &["-r", &pcap, "--keylog", &k, "--json"],
            "key_log",
        );
    }
    // The prefix of another session's encryption opens nothing.
    let f = dir.join("other.keys");
    std::fs::write(&f, format!("RSA 0000000000000000 {pms}\n")).expect("write key log");
    let out = run(&[
        "-r",
        &pcap,
        "--keylog",
        f.to_str().expect("utf-8"),
        "--json",
    ]);
    assert!(decrypted_per_stream(&ndjson(&out))
        .iter()
        .all(|&(_, n)| n == 0));
}

#[cfg_attr(no_corpus, ignore = "needs ../shared/corpus")]
#[test]
fn without_keys_nothing_is_decrypted() {
    let Some(c) = corpus() else { return };
    for name in SESSIONS {
        let e = exp(&c, name);
        assert_eq!(e["without_keys"]["decrypted_tls_records"], 0);
        let out = run(&["-r", &path(&c, &format!("{name}.pcap")), "--json"]);
        let v = ndjson(&out);
        assert!(decrypted_per_stream(&v).is_empty(), "{name}");
        assert!(
            v.iter()
                .all(|x| x["layer"] != "tls" && x["decrypted_len"].is_null()),
            "{name}"
        );
    }
}

#[cfg_attr(no_corpus, ignore = "needs ../shared/corpus")]
#[test]
fn rsa_key_on_forward_secret_sessions_says_so() {
    let Some(c) = corpus() else { return };
    let k = path(&c, "tls12-rsa-kex.key.pem");
    for name in ["tls12-ecdhe-aesgcm", "tls13-aes128"] {
        let out = run(&[
            "-r",
            &path(&c, &format!("{name}.pcap")),
            "--rsa-key",
            &k,
            "--json",
        ]);
        let v = ndjson(&out);
        let d = of_type(&v, "tls.decryption");
        assert_eq!(d.len(), 1, "{name}");
        assert_eq!(d[0]["keys"], "forward_secrecy", "{name}");
        assert_eq!(d[0]["records_decrypted"], 0, "{name}");
        let s = stdout(&out);
        assert!(s.contains("forward secrecy"), "{name}: {s}");
        assert!(s.contains("the server's private key cannot decrypt this session"));
    }
}

#[cfg_attr(no_corpus, ignore = "needs ../shared/corpus")]
#[test]
fn bad_key_inputs_get_one_clear_line_and_the_capture_is_still_analysed() {
    let Some(c) = corpus() else { return };
    let pcap = path(&c, "tls12-rsa-kex.pcap");
    let fixtures = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    // Not a key log: one line, the run goes on (and decrypts nothing).
    let not_keys = fixtures.join("ec-p256.key.pem");
    let out = run(&[
        "-r",
        &pcap,
        "--keylog",
        not_keys.to_str().expect("p"),
        "--json",
    ]);
    assert!(out.status.success());
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("not an NSS key log"), "{err}");
    let v = ndjson(&out);
    assert!(!of_type(&v, "tls.client_hello").is_empty());
    assert_eq!(decrypted_per_stream(&v), vec![(0, 0)]);
    // An unreadable key log or RSA key: exit 3.
    let out = run(&["-r", &pcap, "--keylog", "/nonexistent/keys"]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert_eq!(stderr(&out).lines().count(), 1);
    let out = run(&["-r", &pcap, "--rsa-key", "/nonexistent/key.pem"]);
    assert_eq!(out.status.code(), Some(3));
    // A PEM that is not an RSA key: one line, the rest analysed.
    let out = run(&[
        "-r",
        &pcap,
        "--rsa-key",
        not_keys.to_str().expect("p"),
        "-q",
    ]);
    assert!(out.status.success());
    let err = stderr(&out);
    assert!(err.contains("not an RSA private key"), "{err}");
    // An RSA key of another server: one line saying it does not match.
    let other = fixtures.join("unrelated-rsa.key.pem");
    let out = run(&[
        "-r",
        &pcap,
        "--rsa-key",
        other.to_str().expect("p"),
        "--json",
    ]);
    assert!(out.status.success());
    let v = ndjson(&out);
    let notes: Vec<&Value> = v
        .iter()
        .filter(|x| {
            x["type"] == "note"
                && x["text"]
                    .as_str()
                    .is_some_and(|t| t.contains("does not match"))
        })
        .collect();
    assert_eq!(notes.len(), 1);
    assert_eq!(decrypted_per_stream(&v), vec![(0, 0)]);
    // A key log without this session's client random.
    let keys = path(&c, "tls13-aes128.keys");
    let out = run(&["-r", &pcap, "--keylog", &keys, "--json"]);
    let v = ndjson(&out);
    let missing: Vec<&Value> = v
        .iter()
        .filter(|x| {
            x["text"]
                .as_str()
                .is_some_and(|t| t.contains("no key for this session"))
        })
        .collect();
    assert_eq!(missing.len(), 1);
    assert_eq!(of_type(&v, "tls.decryption")[0]["keys"], "missing");
}

#[cfg_attr(no_corpus, ignore = "needs ../shared/corpus")]
#[test]
fn a_wrong_key_is_a_bad_tag_never_garbage() {
    let Some(c) = corpus() else { return };
    let keys =
        std::fs::read_to_string(decrypt_dir(&c).join("tls12-ecdhe-aesgcm.keys")).expect("keys");
    // Flip the last hex digit of the master secret.
    let mut wrong = keys.trim_end().to_string();
    let last = wrong.pop().expect("digit");
    wrong.push(if last == '0' { '1' } else { '0' });
    let dir = temp_dir("wrong-key");
    let f = dir.join("wrong.keys");
    std::fs::write(&f, format!("{wrong}\n")).expect("write");
    let out = run(&[
        "-r",
        &path(&c, "tls12-ecdhe-aesgcm.pcap"),
        "--keylog",
        f.to_str().expect("p"),
        "--json",
    ]);
    let v = ndjson(&out);
    let fails: Vec<String> = v
        .iter()
        .filter_map(|x| x["text"].as_str())
        .filter(|t| t.contains("decryption failed"))
        .map(String::from)
        .collect();
    assert_eq!(fails.len(), 2, "{fails:?}");
    assert!(
        fails[0].contains("decryption failed (bad tag) from client record 1"),
        "{fails:?}"
    );
    assert!(v.iter().all(|x| x["layer"] != "tls"));
    let d = of_type(&v, "tls.decryption");
    assert_eq!(
        (
            d[0]["records_decrypted"].as_u64(),
            d[0]["failures"].as_u64()
        ),
        (Some(0), Some(2))
    );
}

#[cfg_attr(no_corpus, ignore = "needs ../shared/corpus")]
#[test]
fn seen_with_the_keys_is_not_a_leak() {
    let Some(c) = corpus() else { return };
    let pcap = path(&c, "tls12-ecdhe-aesgcm.pcap");
    let keys = path(&c, "tls12-ecdhe-aesgcm.keys");
    let out = run(&[
        "-r",
        &pcap,
        "--keylog",
        &keys,
        "--secret",
        "hunter2-acorns",
        "--fail-on-leak",
        "--json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let v = ndjson(&out);
    let f = of_type(&v, "finding");
    let with_keys: Vec<&&Value> = f
        .iter()
        .filter(|x| x["kind"] == "visible_with_keys")
        .collect();
    assert!(with_keys.iter().all(|x| x["severity"] == "info"));
    assert!(with_keys
        .iter()
        .any(|x| x["details"]["what"] == "password_field"
            && x["evidence"]
                .as_str()
                .is_some_and(|e| e.contains("hunter2-acorns"))));
    assert!(with_keys
        .iter()
        .any(|x| x["details"]["what"] == "secret_in_clear"));
    assert!(f
        .iter()
        .all(|x| x["kind"] != "password_field" && x["kind"] != "secret_in_clear"));
    // The HTTPS audit runs on the decrypted responses.
    assert!(f.iter().any(|x| x["kind"] == "missing_hsts"));
    assert!(f.iter().all(|x| x["kind"] != "no_https_redirect"));
}

#[test]
fn bundled_https_captures_show_get_and_fluffy_tail_with_their_keys() {
    for name in ["squirrel-https", "squirrel-https-tls12"] {
        let pcap = captures().join(format!("{name}.pcap"));
        let keys = captures().join(format!("{name}.keys"));
        let out = run(&[
            "-r",
            pcap.to_str().expect("p"),
            "--keylog",
            keys.to_str().expect("p"),
            "--secret",
            "fluffy tail",
            "--fail-on-leak",
            "--json",
        ]);
        assert_eq!(out.status.code(), Some(0), "{name}: {}", stderr(&out));
        let v = ndjson(&out);
        assert!(
            v.iter()
                .any(|x| x["layer"] == "tls" && x["method"] == "GET" && x["uri"] == "/"),
            "{name}"
        );
        assert!(of_type(&v, "finding")
            .iter()
            .any(|x| x["kind"] == "visible_with_keys" && x["evidence"] == "fluffy tail"));
        // The server certificate; under TLS 1.3 it is seen only thanks to the keys.
        let certs = of_type(&v, "tls.certificate");
        assert_eq!(certs.len(), 1, "{name}");
        assert_eq!(
            certs[0]["decrypted_len"].is_u64(),
            name == "squirrel-https",
            "{name}"
        );
        // -x: the decrypted bytes are dumped after the frame's.
        let out = run(&[
            "-r",
            pcap.to_str().expect("p"),
            "--keylog",
            keys.to_str().expect("p"),
            "-x",
        ]);
        let s = stdout(&out);
        assert!(s.contains("Decrypted TLS ("), "{name}");
        assert!(s.contains("GET / HTTP/1.1"), "{name}");
    }
}

#[cfg_attr(no_corpus, ignore = "needs ../shared/corpus")]
#[test]
fn follow_shows_the_plaintext_like_tshark_follow_tls() {
    let Some(c) = corpus() else { return };
    let fixtures =
        std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/follow-tls");
    for name in [
        "tls12-ecdhe-aesgcm",
        "tls12-cbc-sha",
        "tls12-rsa-kex",
        "tls13-aes128",
    ] {
        let want: Vec<u64> = std::fs::read_to_string(fixtures.join(format!("{name}.lengths")))
            .expect("fixture")
            .lines()
            .map(|l| l.trim().parse().expect("length"))
            .collect();
        let keys = path(&c, &format!("{name}.keys"));
        let out = run(&[
            "-r",
            &path(&c, &format!("{name}.pcap")),
            "--keylog",
            &keys,
            "--follow",
            "0",
        ]);
        let s = stdout(&out);
        assert!(s.contains("Follow: tls,ascii"), "{name}");
        let got = chunk_lengths(&s);
        assert_eq!(got, want, "{name}");
        assert!(s.contains("GET /secret."), "{name}");
        // Without the keys the same stream is the encrypted TCP bytes.
        let out = run(&["-r", &path(&c, &format!("{name}.pcap")), "--follow", "0"]);
        let s = stdout(&out);
        assert!(
            s.contains("Follow: tcp,ascii") && !s.contains("GET /secret."),
            "{name}"
        );
    }
}

#[cfg_attr(no_corpus, ignore = "needs ../shared/corpus")]
#[test]
fn summary_lines_show_decrypted_http_as_http_like_tshark() {
    let Some(c) = corpus() else { return };
    for name in ["tls12-ecdhe-aesgcm", "tls13-aes128", "tls12-cbc-sha"] {
        let e = exp(&c, name);
        let keys = path(&c, &format!("{name}.keys"));
        let out = run(&["-r", &path(&c, &format!("{name}.pcap")), "--keylog", &keys]);
        let s = stdout(&out);
        for m in e["http"].as_array().expect("http") {
            let frame = m["frame"].as_u64().expect("frame");
            let line = s
                .lines()
                .find(|l| l.split_whitespace().next() == Some(&frame.to_string()))
                .unwrap_or_else(|| panic!("{name}: no line for frame {frame}"));
            assert!(line.contains(" HTTP "), "{name}: {line}");
            let want = match m["type"].as_str() {
                Some("request") => format!(
                    " {} {} {}",
                    m["method"].as_str().expect("m"),
                    m["uri"].as_str().expect("u"),
                    m["version"].as_str().expect("v")
                ),
                _ => format!(" {} {} ", m["version"].as_str().expect("v"), m["status"]),
            };
            assert!(line.contains(&want), "{name}: {line} lacks {want}");
            assert!(!line.contains("Application Data"), "{name}: {line}");
        }
    }
}

/// `-V` shows each decrypted request's `[Full request URI]` as tshark's `http.request.full_uri`
/// (https://, since it came over TLS), HTTP/1.x and HTTP/2 alike.
#[cfg_attr(no_corpus, ignore = "needs ../shared/corpus")]
#[test]
fn full_request_uri_inside_tls_is_https_like_tshark() {
    let Some(c) = corpus() else { return };
    let mut checked = 0;
    for name in SESSIONS {
        let e = exp(&c, name);
        let want: Vec<&str> = e["http"]
            .as_array()
            .map(|a| a.iter().filter_map(|m| m["full_uri"].as_str()).collect())
            .unwrap_or_default();
        if want.is_empty() {
            continue;
        }
        let keys = path(&c, &format!("{name}.keys"));
        let out = run(&[
            "-r",
            &path(&c, &format!("{name}.pcap")),
            "--keylog",
            &keys,
            "-V",
        ]);
        let text = stdout(&out);
        let got: Vec<&str> = text
            .lines()
            .filter_map(|l| l.trim().strip_prefix("[Full request URI: "))
            .filter_map(|l| l.strip_suffix(']'))
            .collect();
        for u in &want {
            assert!(u.starts_with("https://"), "{name}: oracle {u}");
            assert!(got.contains(u), "{name}: {u} not in {got:?}");
        }
        assert!(
            !got.iter().any(|u| u.starts_with("http://")),
            "{name}: {got:?}"
        );
        checked += want.len();
    }
    assert!(checked >= 4, "{checked} URIs checked");
}

/// Captures made by scripts/make-tls-suite-captures.sh (openssl s_server/s_client, one per
/// cipher suite) and scripts/make-tls-resumption-captures.sh (session resumption by id, ticket
/// and PSK, 0-RTT accepted and rejected, HelloRetryRequest, KeyUpdate both ways), with
/// tshark's view beside each: every session decrypts without a failure, the decrypted records
/// of each TCP stream equal tshark's `follow,tls` records, and the HTTP frames read as tshark's.
#[test]
fn every_cipher_suite_and_handshake_variant_decrypts_like_tshark() {
    let dir =
        std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/tls-suites");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .expect("fixtures")
        .flatten()
        .filter_map(|e| {
            e.file_name()
                .to_str()?
                .strip_suffix(".pcap")
                .map(String::from)
        })
        .collect();
    names.sort();
    assert!(names.len() >= 17, "{names:?}");
    for name in &names {
        let pcap = dir.join(format!("{name}.pcap"));
        let keys = dir.join(format!("{name}.keys"));
        let oracle = std::fs::read_to_string(dir.join(format!("{name}.tshark"))).expect("oracle");
        let (pcap, keys) = (pcap.to_str().expect("p"), keys.to_str().expect("p"));
        // tshark's decrypted application-data records per TCP stream ("follow N" is stream
        // 0, "follow.S N" stream S).
        let mut want: std::collections::BTreeMap<u64, Vec<u64>> = Default::default();
        for l in oracle.lines().filter(|l| l.starts_with("follow")) {
            let (tag, n) = l.split_once(' ').expect("tag n");
            let stream = tag
                .strip_prefix("follow.")
                .map_or(0, |s| s.parse().expect("s"));
            want.entry(stream).or_default().push(n.parse().expect("n"));
        }
        let v = ndjson(&run(&["-r", pcap, "--keylog", keys, "--json"]));
        let d = of_type(&v, "tls.decryption");
        assert_eq!(
            d.len(),
            want.len(),
            "{name}: one tls.decryption per session"
        );
        for s in &d {
            assert_eq!(s["failures"], 0, "{name}");
            assert_eq!(s["keys"], "key_log", "{name}");
        }
        for (stream, lengths) in &want {
            let s = stdout(&run(&[
                "-r",
                pcap,
                "--keylog",
                keys,
                "--follow",
                &stream.to_string(),
            ]));
            let got = chunk_lengths(&s);
            assert_eq!(
                &got, lengths,
                "{name} stream {stream}: decrypted application-data records"
            );
        }
        let lines = stdout(&run(&["-r", pcap, "--keylog", keys]));
        for l in oracle.lines().filter_map(|l| l.strip_prefix("http ")) {
            let (frame, info) = l.split_once('\t').expect("frame\tinfo");
            let ours = lines
                .lines()
                .find(|x| x.split_whitespace().next() == Some(frame))
                .unwrap_or_else(|| panic!("{name}: frame {frame}"));
            assert!(
                ours.contains(" HTTP ") && ours.trim_end().ends_with(info.trim_end()),
                "{name}: {ours} vs {info}"
            );
        }
    }
}

/// A key log that grows while a capture comes in on a pipe, in the order OpenSSL writes it:
/// the server's TLS 1.3 secrets when the client reads the ServerHello, the client's handshake
/// and traffic secrets only before it sends its Finished. The server's flight (frame 6) is
/// dissected with the server's secrets only; the client's side must still be keyed when its
/// lines arrive, so the request inside TLS is decrypted (once a race seen in live capture).
#[test]
#[cfg_attr(no_corpus, ignore = "needs ../shared/corpus")]
fn tls13_client_secrets_logged_after_the_server_flight_was_read_still_decrypt() {
    use std::io::Write;
    use std::time::Duration;
    let Some(c) = corpus() else { return };
    let bytes = std::fs::read(path(&c, "tls13-aes128.pcap")).expect("pcap");
    let log = std::fs::read_to_string(path(&c, "tls13-aes128.keys")).expect("keys");
    let (server, client): (Vec<&str>, Vec<&str>) =
        log.lines().partition(|l| !l.starts_with("CLIENT_"));
    assert!(server.len() >= 2 && client.len() == 2, "{log}");
    let dir = temp_dir("growing-keylog");
    let keys = dir.join("keys.log");
    std::fs::write(&keys, format!("{}\n", server.join("\n"))).expect("write keys");
    // Frames 1–7 (little-endian pcap): header, then 16-byte record headers and their bytes.
    let mut first7 = 24;
    for _ in 0..7 {
        let len: [u8; 4] = bytes[first7 + 8..first7 + 12].try_into().expect("len");
        first7 += 16 + u32::from_le_bytes(len) as usize;
    }
    let keys_arg = keys.to_str().expect("utf-8 path");
    let Piped {
        mut child,
        mut stdin,
        lines: rx,
        reader,
    } = piped(
        &["-l", "-r", "-", "--json", "--keylog", keys_arg],
        &bytes[..first7],
    );
    let json = |l: String| serde_json::from_str::<Value>(&l).ok();
    let mut before = Vec::new();
    loop {
        match rx.recv_timeout(Duration::from_secs(30)).map(json) {
            Ok(None) => {}
            Ok(Some(v)) => {
                let seventh = v["type"] == "packet" && v["frame"] == 7;
                before.push(v);
                if seventh {
                    break;
                }
            }
            Err(_) => {
                let _ = child.kill();
                panic!("frame 7 not shown while the pipe stayed open: {before:?}");
            }
        }
    }
    // The server's flight was read with its secrets: its handshake records are there.
    assert!(
        of_type(&before, "tls.certificate").len() == 1,
        "the server's encrypted flight decrypted with the server's secrets: {before:?}"
    );
    assert!(of_type(&before, "http.request").is_empty());
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(&keys)
        .expect("open keys");
    writeln!(f, "{}", client.join("\n")).expect("append client secrets");
    drop(f);
    stdin.write_all(&bytes[first7..]).expect("write the rest");
    drop(stdin);
    let status = child.wait().expect("wait");
    reader.join().expect("reader");
    assert_eq!(status.code(), Some(0));
    let after: Vec<Value> = rx.try_iter().filter_map(json).collect();
    let uris: Vec<&str> = of_type(&after, "http.request")
        .iter()
        .filter_map(|r| r["uri"].as_str())
        .collect();
    assert_eq!(uris, ["/secret.html", "/secret.txt"], "{after:?}");
    assert_eq!(of_type(&after, "http.response").len(), 2);
    let _ = std::fs::remove_dir_all(&dir);
}
