//! `squirrel-sniff compare`: the Secret Squirrels captures side by side.

mod common;
use common::*;

use std::process::Output;

const SECRET: &str = "fluffy tail";
const FILES: [&str; 5] = [
    "squirrel-http.pcap",
    "squirrel-fernet.pcap",
    "squirrel-https.pcap",
    "squirrel-https-tls12.pcap",
    "squirrel-https-badca.pcap",
];

/// Run `compare` in captures/ (so the files are named as a user would name them), laid
/// out for a 250-column UTF-8 terminal.
fn compare(args: &[&str]) -> Output {
    compare_env(args, &[("COLUMNS", "250"), ("LANG", "C.UTF-8")])
}

fn compare_env(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut a = vec!["compare"];
    a.extend_from_slice(args);
    let mut c = bin();
    c.current_dir(captures())
        .args(&a)
        .env_remove("LC_ALL")
        .env_remove("LC_CTYPE");
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().expect("run squirrel-sniff compare")
}

/// The table as rows: a label and one text per column, wrapped cell lines joined by a space.
fn table_rows(text: &str) -> Vec<(String, Vec<String>)> {
    let mut rows: Vec<(String, Vec<String>)> = Vec::new();
    for line in text.lines() {
        let Some(inner) = line.strip_prefix('│').and_then(|l| l.strip_suffix('│')) else {
            continue;
        };
        let cells: Vec<&str> = inner.split('┆').map(str::trim).collect();
        let (label, rest) = cells.split_first().expect("cells");
        if !label.is_empty() || rows.is_empty() {
            rows.push((
                label.to_string(),
                rest.iter().map(|s| s.to_string()).collect(),
            ));
        } else if let Some((_, cols)) = rows.last_mut() {
            for (c, more) in cols.iter_mut().zip(rest) {
                if !more.is_empty() {
                    if !c.is_empty() {
                        c.push(' ');
                    }
                    c.push_str(more);
                }
            }
        }
    }
    rows
}

fn row<'a>(rows: &'a [(String, Vec<String>)], label: &str) -> &'a [String] {
    &rows
        .iter()
        .find(|(l, _)| l.starts_with(label))
        .unwrap_or_else(|| panic!("no row {label:?}: {rows:?}"))
        .1
}

#[test]
fn table_side_by_side() {
    let mut args: Vec<&str> = FILES.to_vec();
    args.extend(["--secret", SECRET, "--color", "never"]);
    let o = compare(&args);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = stdout(&o);
    let rows = table_rows(&text);
    // The header row: an empty label, then each file name in the order given.
    let header = &rows[0];
    assert_eq!(header.0, "");
    assert_eq!(
        header.1,
        FILES.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
        "{text}"
    );

    // The secret is SEEN once, in the plain HTTP column only.
    assert_eq!(text.matches("SEEN").count(), 1, "{text}");
    let secret = row(&rows, "Secret \"fluffy tail\"");
    assert!(secret[0].starts_with("SEEN"), "{secret:?}");
    assert!(secret[0].contains("frame 8"), "{secret:?}");
    for (i, cell) in secret.iter().enumerate().skip(1) {
        assert_eq!(cell, "not seen", "{}", FILES[i]);
    }

    let certs = row(&rows, "Certificates");
    assert_eq!(certs[0], "no TLS");
    assert!(certs[2].contains("hidden by TLS 1.3"), "{certs:?}");
    assert!(certs[4].contains("hidden by TLS 1.3"), "{certs:?}");
    assert!(
        certs[3].contains("CN=Secret Squirrels CA"),
        "TLS 1.2 shows the issuer: {certs:?}"
    );
    assert!(certs[3].contains("CN=localhost"), "{certs:?}");

    let alerts = row(&rows, "TLS alerts");
    assert!(alerts[4].contains("unknown_ca"), "{alerts:?}");
    assert!(alerts[4].contains("does not trust"), "{alerts:?}");
    assert!(alerts[..4].iter().all(|a| a == "none"), "{alerts:?}");
    assert_eq!(
        text.matches("unknown_ca").count(),
        3,
        "the alert, the session and the verdict name it: {text}"
    );

    let fernet = row(&rows, "Fernet tokens");
    assert!(fernet[1].starts_with("token from"), "{fernet:?}");
    assert!(
        fernet
            .iter()
            .enumerate()
            .all(|(i, f)| i == 1 || f == "none"),
        "{fernet:?}"
    );

    let verdict = row(&rows, "Verdict");
    assert!(verdict[0].starts_with("LEAKS"), "{verdict:?}");
    assert!(
        verdict[1..].iter().all(|v| !v.contains("LEAKS")),
        "{verdict:?}"
    );
    assert!(verdict[4].contains("unknown_ca"), "{verdict:?}");

    // What an eavesdropper reads without being told the secret: the plain response body.
    let content = row(&rows, "Content visible");
    assert_eq!(content[0], "GET / → 200 text/plain 11 B \"fluffy tail\"");
    assert!(
        content[1].contains("\"gAAAAAB"),
        "the Fernet token: {content:?}"
    );
    assert!(
        content[2..].iter().all(|c| c == "none: encrypted"),
        "{content:?}"
    );

    let sessions = row(&rows, "Sessions");
    assert!(
        sessions[2].contains("TLS 1.3 localhost: completed"),
        "{sessions:?}"
    );
    assert!(sessions[4].contains("refused (unknown_ca)"), "{sessions:?}");
    assert!(
        verdict[2].contains("1 TLS session: completed (TLS 1.3"),
        "{verdict:?}"
    );

    // No cell is cut inside a word: the cipher name is whole.
    assert!(
        text.contains("TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"),
        "{text}"
    );
    assert!(text.lines().all(|l| l.chars().count() <= 250), "{text}");

    let hosts = row(&rows, "Hostnames seen (DNS, Host, SNI, QUIC)");
    assert_eq!(hosts[0], "127.0.0.1:5683 (Host)");
    assert!(
        hosts[2..].iter().all(|h| h == "localhost (SNI)"),
        "SNI: {hosts:?}"
    );
}

#[test]
fn json_one_object_captures_in_order() {
    let mut args: Vec<&str> = FILES.to_vec();
    args.extend(["--secret", SECRET, "--json"]);
    let o = compare(&args);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v = ndjson(&o);
    assert_eq!(v.len(), 1, "one object");
    let obj = &v[0];
    assert_eq!(obj["type"], "compare");
    let caps = obj["captures"].as_array().expect("captures");
    let sources: Vec<&str> = caps
        .iter()
        .map(|c| c["source"].as_str().expect("source"))
        .collect();
    assert_eq!(sources, FILES);
    let leaked: Vec<bool> = caps
        .iter()
        .map(|c| c["leaked"].as_bool().expect("leaked"))
        .collect();
    assert_eq!(leaked, vec![true, false, false, false, false]);
    let seen: Vec<u64> = caps
        .iter()
        .map(|c| c["secrets"][0]["seen"].as_u64().expect("seen"))
        .collect();
    assert_eq!(seen, vec![1, 0, 0, 0, 0]);
    assert!(caps.iter().all(|c| c["secrets"][0]["secret"] == SECRET));
    // Facts agree with the single-file runs.
    assert_eq!(caps[2]["tls_sessions"][0]["version"], "TLS 1.3");
    assert_eq!(caps[2]["tls_sessions"][0]["certificate_hidden"], true);
    assert_eq!(caps[3]["tls_sessions"][0]["version"], "TLS 1.2");
    assert_eq!(
        caps[3]["tls_sessions"][0]["certificates"][0]["issuer"],
        "O=Secret Squirrels, CN=Secret Squirrels CA"
    );
    assert!(caps[4]["tls_sessions"][0]["alerts"][0]
        .as_str()
        .unwrap_or("")
        .contains("unknown_ca"));
    assert_eq!(caps[1]["fernet_tokens"], 1);
    for (c, f) in caps.iter().zip(FILES) {
        let single = run(&[
            "-r",
            captures().join(f).to_str().expect("path"),
            "--json",
            "-q",
            "--report",
            "--secret",
            SECRET,
        ]);
        let rep = ndjson(&single)
            .into_iter()
            .find(|x| x["type"] == "report")
            .expect("report");
        assert_eq!(c["packets"], rep["packets"], "{f}");
        assert_eq!(c["verdict"], rep["verdict"], "{f}");
        assert_eq!(
            c["findings_by_severity"], rep["findings_by_severity"],
            "{f}"
        );
    }
}

#[test]
fn fail_on_leak_with_compare() {
    let o = compare(&[
        "squirrel-http.pcap",
        "squirrel-https.pcap",
        "--secret",
        SECRET,
        "--fail-on-leak",
        "--json",
    ]);
    assert_eq!(o.status.code(), Some(7), "{}", stderr(&o));
    assert_eq!(ndjson(&o).len(), 1, "the comparison is still printed");
    let o = compare(&[
        "squirrel-https.pcap",
        "squirrel-https-tls12.pcap",
        "--secret",
        SECRET,
        "--fail-on-leak",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

#[test]
fn fewer_than_two_files_is_a_usage_error() {
    for args in [&["squirrel-http.pcap"][..], &[][..]] {
        let o = compare(args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert!(stdout(&o).is_empty());
        assert!(
            stderr(&o).to_lowercase().contains("usage"),
            "{}",
            stderr(&o)
        );
    }
}

#[test]
fn missing_file_exit_3_one_line() {
    let o = compare(&[
        "squirrel-http.pcap",
        "no-such-squirrel.pcap",
        "--secret",
        SECRET,
    ]);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    let err = stderr(&o);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("no-such-squirrel.pcap"), "{err}");
    assert!(stdout(&o).is_empty(), "no half table: {}", stdout(&o));
}

/// With the Fernet key, the secret inside the token is shown the same way in every row:
/// protected on the wire, readable with the key; the Findings row has nothing high.
#[test]
fn fernet_key_is_consistent_across_rows() {
    let key = std::fs::read_to_string(captures().join("fernet.key")).expect("key");
    let o = compare(&[
        "squirrel-http.pcap",
        "squirrel-fernet.pcap",
        "--secret",
        SECRET,
        "--fernet-key",
        key.trim(),
        "--color",
        "never",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = stdout(&o);
    let rows = table_rows(&text);
    let secret = row(&rows, "Secret");
    assert!(
        secret[1].starts_with("protected on the wire, readable with the key"),
        "{secret:?}"
    );
    let fernet = row(&rows, "Fernet tokens");
    assert!(
        fernet[1].contains("readable with the key: fluffy tail"),
        "{fernet:?}"
    );
    let verdict = row(&rows, "Verdict");
    assert!(
        verdict[1].starts_with("Protected on the wire, readable with the key"),
        "{verdict:?}"
    );
    let findings = row(&rows, "Findings");
    assert!(!findings[1].contains("high"), "{findings:?}");
}

/// A narrow terminal gets one block per capture; the locale without UTF-8 gets ASCII.
#[test]
fn narrow_terminal_blocks_and_ascii_borders() {
    let mut args: Vec<&str> = FILES.to_vec();
    args.extend(["--secret", SECRET]);
    let o = compare_env(&args, &[("COLUMNS", "70"), ("LANG", "C")]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(text.is_ascii(), "{text}");
    assert!(
        !text.contains('┆') && !text.contains('─'),
        "ASCII borders: {text}"
    );
    for f in FILES {
        assert_eq!(
            text.lines().filter(|l| l.trim() == f).count(),
            1,
            "one block titled {f}: {text}"
        );
    }
    let widest = text.lines().map(|l| l.chars().count()).max().unwrap_or(0);
    assert!(widest <= 70, "fits 70 columns ({widest}): {text}");
    assert_eq!(text.matches("| Verdict").count(), 5, "{text}");
}

/// `--mask`: the secret's value never appears, in the table or in JSON.
#[test]
fn mask_hides_values() {
    for json in [false, true] {
        let mut args = vec![
            "squirrel-http.pcap",
            "squirrel-https.pcap",
            "--secret",
            SECRET,
            "--mask",
        ];
        if json {
            args.push("--json");
        }
        let o = compare(&args);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        let text = stdout(&o);
        assert!(!text.contains(SECRET), "{text}");
        assert!(text.contains("f*********l (11 chars)"), "{text}");
    }
}

/// One completed `curl -k` and one refused handshake in the same capture: each session gets
/// its verdict, and the capture's verdict says both (not "no content was exchanged").
#[test]
fn mixed_tls_sessions_verdict() {
    let o = compare(&["tls-mixed.pcap", "squirrel-https-badca.pcap", "--json"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v = ndjson(&o);
    let caps = v[0]["captures"].as_array().expect("captures");
    // tshark: TCP payload bytes of stream 0 (the completed session).
    let t = std::process::Command::new("tshark")
        .args([
            "-r",
            captures().join("tls-mixed.pcap").to_str().expect("path"),
        ])
        .args(["-Y", "tcp.stream == 0", "-T", "fields", "-e", "tcp.len"])
        .output();
    let Ok(t) = t else {
        panic!("tshark is needed as the oracle");
    };
    let payload: u64 = String::from_utf8_lossy(&t.stdout)
        .lines()
        .filter_map(|l| l.trim().parse::<u64>().ok())
        .sum();
    assert!(payload > 5000, "{payload}");
    let kb = format!("{:.1} kB", payload as f64 / 1e3);
    let verdict = caps[0]["verdict"].as_str().expect("verdict");
    assert_eq!(
        verdict,
        format!(
            "Encrypted: 2 TLS sessions: 1 completed (TLS 1.3, {kb} exchanged), 1 refused (unknown_ca); hostnames, sizes and timing visible, content not"
        )
    );
    let sessions = caps[0]["session_verdicts"].as_array().expect("sessions");
    assert_eq!(
        sessions[0],
        format!("#0 TLS 1.3 localhost: completed, {kb} encrypted")
    );
    assert_eq!(
        sessions[1],
        "#1 TLS 1.3 localhost: refused (unknown_ca), no content exchanged"
    );
    // A capture with only the refused handshake still says nothing was exchanged.
    assert_eq!(
        caps[1]["verdict"],
        "1 TLS session: refused (unknown_ca): no content was exchanged"
    );
}
