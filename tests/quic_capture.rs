//! tests/fixtures/quic/quic-h3.pcap (scripts/make-quic-capture.sh: aioquic client and server, the
//! client's key log beside it): a ClientHello over two Initial packets read without keys;
//! with the keys, HTTP/3 requests (GET of the secret, POST of a password) decoded, the
//! findings marked as visible only with the keys, and each single-packet datagram's
//! summary line equal to tshark's with the same keys (quic-h3.tshark.tsv).

mod common;
use common::*;

/// The fixture directory of the QUIC capture.
fn quic_dir() -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/quic")
}

fn cap() -> (String, String) {
    let c = quic_dir();
    (
        c.join("quic-h3.pcap").display().to_string(),
        c.join("quic-h3.keys").display().to_string(),
    )
}

#[test]
fn two_packet_client_hello_is_read_without_keys() {
    let (pcap, _) = cap();
    let v = ndjson(&run(&["-r", &pcap, "--json"]));
    let initials = of_type(&v, "quic.initial");
    let with_sni: Vec<_> = initials.iter().filter(|r| !r["sni"].is_null()).collect();
    assert_eq!(with_sni.len(), 1);
    // The client's first Initial (frame 1) carries only part of it; its second Initial
    // with CRYPTO (tshark's lines, same DCID) completes it.
    let tsv = std::fs::read_to_string(quic_dir().join("quic-h3.tshark.tsv")).expect("tsv");
    let first = tsv.lines().next().expect("line");
    let dcid = first
        .split("DCID=")
        .nth(1)
        .and_then(|r| r.split(',').next());
    let second = tsv
        .lines()
        .filter(|l| l.contains("Initial, DCID=") && dcid.is_some_and(|d| l.contains(d)))
        .filter(|l| l.ends_with("CRYPTO"))
        .nth(1)
        .and_then(|l| l.split('\t').next())
        .and_then(|n| n.parse::<u64>().ok())
        .expect("the client's second Initial");
    assert!(second > 1);
    assert_eq!(with_sni[0]["frame"], second);
    assert_eq!(with_sni[0]["sni"], "squirrels.test");
    let alpn = with_sni[0]["alpn"].as_array().expect("alpn");
    assert_eq!(alpn.len(), 9);
    assert_eq!(alpn[0], "h3");
    assert!(initials
        .iter()
        .any(|r| r["frame"] == 1 && r["sni"].is_null() && r["packets"][0]["decrypted"] == true));
    let s = of_type(&v, "quic.session");
    assert_eq!(s[0]["sni"], "squirrels.test");
    assert_eq!(s[0]["decrypted"], false);
    assert!(of_type(&v, "http.request").is_empty());
}

#[test]
fn http3_requests_and_findings_with_keys() {
    let (pcap, keys) = cap();
    let v = ndjson_with_keys(&pcap, &keys, "fluffy tail");
    let req = of_type(&v, "http.request");
    let got: Vec<(&str, &str)> = req
        .iter()
        .map(|r| {
            (
                r["method"].as_str().unwrap_or(""),
                r["uri"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(got, vec![("GET", "/secret.txt"), ("POST", "/login")]);
    assert!(req.iter().all(|r| r["version"] == "HTTP/3"
        && r["layer"] == "tls"
        && r["host"] == "squirrels.test:4443"));
    assert_eq!(req[1]["body_len"], 37);
    let resp = of_type(&v, "http.response");
    assert_eq!(resp.len(), 2);
    assert_eq!(resp[0]["status"], 200);
    assert_eq!(resp[0]["request_uri"], "/secret.txt");
    let f = of_type(&v, "finding");
    let seen = |evidence: &str| {
        f.iter()
            .any(|x| x["kind"] == "visible_with_keys" && x["evidence"] == evidence)
    };
    assert!(seen("fluffy tail"), "{f:?}");
    assert!(seen("password=hunter2-acorns"), "{f:?}");
    assert!(f.iter().all(|x| x["severity"] != "high"));
    let s = of_type(&v, "quic.session");
    assert_eq!(s[0]["decrypted"], true);
    assert_eq!(s[0]["decryption_failed"], 0);
    assert_eq!(s[0]["alpn_selected"], "h3");
}

#[test]
fn summary_lines_with_keys_equal_tshark() {
    let (pcap, keys) = cap();
    let tsv = std::fs::read_to_string(quic_dir().join("quic-h3.tshark.tsv")).expect("tsv");
    let theirs: Vec<Vec<&str>> = tsv.lines().map(|l| l.split('\t').collect()).collect();
    let out = run(&["-r", &pcap, "--keylog", &keys, "--findings", "off"]);
    let ours: Vec<String> = stdout(&out).lines().map(str::to_string).collect();
    assert_eq!(ours.len(), theirs.len());
    let mut same = 0;
    for (line, t) in ours.iter().zip(&theirs) {
        let (frame, proto, info) = (t[0], t[1], t[2]);
        let fields: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(fields.first(), Some(&frame));
        // A datagram of several packets: tshark shows its last packet, we each.
        if line.matches("DCID=").count() > 1 {
            assert!(line.contains(info), "frame {frame}: {line} / {info}");
            continue;
        }
        assert_eq!(fields.get(5), Some(&proto), "frame {frame}: {line}");
        let our_info = fields.get(7..).map(|f| f.join(" ")).unwrap_or_default();
        assert!(
            our_info.starts_with(info),
            "frame {frame}: {our_info} / tshark: {info}"
        );
        same += 1;
    }
    assert!(same >= 10, "{same}");
}

/// `compare` lists the host names an eavesdropper learns and from where: DNS lookups, the
/// HTTP Host header, the TLS SNI, and QUIC's Initial packets; the QUIC run's payload counts
/// as encrypted and the key log shows up in "With the session keys".
#[test]
fn compare_names_hosts_by_source_and_counts_quic() {
    let c = captures();
    let files = [
        "squirrel-http.pcap",
        "dns-udp-tcp.pcap",
        "squirrel-https.pcap",
        "quic-h3.pcap",
    ];
    let paths: Vec<String> = files
        .iter()
        .map(|f| {
            let dir = if f.starts_with("quic") {
                quic_dir()
            } else {
                c.clone()
            };
            dir.join(f).display().to_string()
        })
        .collect();
    let mut args = vec!["compare"];
    args.extend(paths.iter().map(String::as_str));
    args.push("--json");
    let out = run(&args);
    assert!(out.status.success(), "{}", stderr(&out));
    let j: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let caps = j["captures"].as_array().expect("captures");
    let sources = |i: usize, host: &str| -> Vec<String> {
        caps[i]["host_sources"][host]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|s| s.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    };
    assert_eq!(sources(0, "127.0.0.1:5683"), vec!["Host"]);
    assert_eq!(sources(1, "secret-squirrel.example"), vec!["DNS"]);
    assert_eq!(sources(2, "localhost"), vec!["SNI"]);
    assert_eq!(sources(3, "squirrels.test"), vec!["QUIC"]);
    assert!(caps[3]["bytes_encrypted"].as_u64().unwrap_or(0) > 5000);
    assert_eq!(caps[3]["bytes_clear"], 0);
    assert!(caps[1]["bytes_clear"].as_u64().unwrap_or(0) > 0);
    assert_eq!(
        caps[3]["verdict"],
        "Encrypted: hostnames, sizes and timing visible, content not"
    );
    // With the key log the QUIC session counts as decrypted, its requests listed.
    let keys = quic_dir().join("quic-h3.keys").display().to_string();
    let out = run(&["-r", &paths[3], "-q", "--report", "--keylog", &keys]);
    let text = stdout(&out);
    assert!(
        text.contains("1 of 1 TLS/QUIC sessions decrypted"),
        "{text}"
    );
    assert!(text.contains("POST /login"), "{text}");
}
