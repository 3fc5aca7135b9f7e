//! QUIC with a key log (../shared/corpus/decrypt/quic-h3): Handshake and 1-RTT packets
//! opened, the server's handshake read, STREAM frames reassembled, HTTP/3 with QPACK decoded
//! into the same http.request/http.response records as HTTP/1.x and HTTP/2 — checked against
//! tshark's expected/quic-h3.json, and the summary lines against tshark run with the keys.

mod common;
use common::*;
use serde_json::Value;

fn quic_h3(c: &std::path::Path) -> (String, String, Value) {
    let d = c.join("decrypt");
    let exp = expected(&d, "quic-h3");
    (
        d.join("quic-h3.pcap").display().to_string(),
        d.join("quic-h3.keys").display().to_string(),
        exp,
    )
}

/// tshark (the oracle) on `pcap` with key log `keys` and `args`.
fn tshark_with_keys(pcap: &str, keys: &str, args: &[&str]) -> std::process::Output {
    let t = std::process::Command::new("tshark")
        .args(["-n", "-r", pcap, "-o"])
        .arg(format!("tls.keylog_file:{keys}"))
        .args(args)
        .output()
        .expect("tshark is needed as the oracle");
    assert!(t.status.success());
    t
}

fn header_pairs(v: &Value) -> Vec<(String, String)> {
    v.as_array()
        .expect("headers")
        .iter()
        .map(|p| {
            (
                p[0].as_str().expect("name").to_string(),
                p[1].as_str().expect("value").to_string(),
            )
        })
        .collect()
}

#[cfg_attr(no_corpus, ignore = "needs ../shared/corpus")]
#[test]
fn quic_h3_with_keys_equals_expected() {
    let Some(c) = corpus() else { return };
    let (pcap, keys, exp) = quic_h3(&c);
    let v = ndjson_with_keys(&pcap, &keys, "fluffy tail");
    let q = &exp["quic"][0];

    // The connection: every packet opened, the handshake as tshark lists it.
    let s = of_type(&v, "quic.session");
    assert_eq!(s.len(), 1);
    let s = s[0];
    assert_eq!(s["decrypted_packets"], q["decrypted_packets"]);
    assert_eq!(s["decryption_failed"], q["decryption_failed"]);
    assert_eq!(s["packet_types"], q["packet_types"]);
    assert_eq!(s["tls_handshake_messages"], q["tls_handshake_messages"]);
    assert_eq!(s["alpn_selected"], q["alpn_selected"]);
    assert_eq!(s["cipher_suite"], q["cipher_suite"]);
    assert_eq!(s["sni"], q["sni"]);
    assert_eq!(s["decrypted"], true);
    // The server's certificate is visible with the keys.
    let certs: Vec<&Value> = v.iter().filter(|r| r["certificates"].is_array()).collect();
    assert_eq!(certs.len(), 1);
    assert_eq!(certs[0]["frame"], 3);

    // HTTP/3 messages: the QPACK-decoded headers of every stream and side, as pylsqpack
    // decoded them from the bytes tshark decrypted.
    let msgs: Vec<&Value> = v
        .iter()
        .filter(|r| r["type"] == "http.request" || r["type"] == "http.response")
        .collect();
    let want = exp["http3"]["qpack_decoded_supplementary"]["streams"]
        .as_array()
        .expect("streams");
    assert_eq!(msgs.len(), want.len());
    for w in want {
        let dir = if w["direction"] == "client->server" {
            "to_server"
        } else {
            "to_client"
        };
        let m = msgs
            .iter()
            .find(|m| m["stream_id"] == w["stream_id"] && m["dir"] == dir)
            .unwrap_or_else(|| panic!("no message for {w}"));
        assert_eq!(header_pairs(&m["headers"]), header_pairs(&w["headers"]));
        assert_eq!(m["body_len"], w["data_length"]);
        assert_eq!(m["version"], "HTTP/3");
        assert_eq!(m["layer"], "tls");
    }
    let req = msgs
        .iter()
        .find(|m| m["uri"] == "/secret.txt")
        .expect("the /secret.txt request");
    assert_eq!(req["method"], "GET");
    assert_eq!(req["host"], "localhost:4433");

    // The secret: in the decrypted DATA of frame 11 only, visible with the keys (not a
    // leak to an eavesdropper).
    let f = of_type(&v, "finding");
    let with_keys: Vec<&&Value> = f
        .iter()
        .filter(|x| x["kind"] == "visible_with_keys" && x["evidence"] == "fluffy tail")
        .collect();
    assert!(!with_keys.is_empty(), "{f:?}");
    let df = exp["fluffy_tail"]["display_filter_frames"][0]
        .as_u64()
        .expect("frame");
    assert_eq!(with_keys[0]["last_frame"], df);
    assert!(f
        .iter()
        .all(|x| x["kind"] != "secret_in_clear" && x["severity"] != "high"));
}

#[cfg_attr(no_corpus, ignore = "needs ../shared/corpus")]
#[test]
fn quic_h3_without_keys_shows_only_the_initials() {
    let Some(c) = corpus() else { return };
    let (pcap, _, exp) = quic_h3(&c);
    let v = ndjson(&run(&["-r", &pcap, "--json", "--secret", "fluffy tail"]));
    let s = of_type(&v, "quic.session");
    assert_eq!(
        s[0]["decrypted_packets"],
        exp["without_keys"]["decrypted_quic_packets"]
    );
    assert_eq!(s[0]["decrypted"], false);
    assert!(of_type(&v, "http.request").is_empty());
    assert!(of_type(&v, "finding")
        .iter()
        .all(|f| f["evidence"] != "fluffy tail"));
}

/// With the keys, each datagram of one packet reads as tshark's line (Protocol column and
/// Info), HTTP/3 frames after their STREAM; the frame types tshark lists per packet are all
/// in ours.
#[cfg_attr(no_corpus, ignore = "needs ../shared/corpus")]
#[test]
fn quic_h3_summary_lines_equal_tshark_with_keys() {
    let Some(c) = corpus() else { return };
    let (pcap, keys, exp) = quic_h3(&c);
    let t = tshark_with_keys(
        &pcap,
        &keys,
        &[
            "-T",
            "fields",
            "-e",
            "_ws.col.Protocol",
            "-e",
            "_ws.col.Info",
        ],
    );
    let theirs: Vec<(String, String)> = String::from_utf8_lossy(&t.stdout)
        .lines()
        .map(|l| {
            let (p, i) = l.split_once('\t').unwrap_or((l, ""));
            (p.to_string(), i.to_string())
        })
        .collect();
    let out = run(&["-r", &pcap, "--keylog", &keys, "--findings", "off"]);
    let ours: Vec<String> = stdout(&out).lines().map(str::to_string).collect();
    assert_eq!(ours.len(), theirs.len());
    let mut same = 0;
    for (n, (line, (proto, info))) in ours.iter().zip(&theirs).enumerate() {
        let frame = n + 1;
        // Coalesced datagrams (frames 2-5): tshark shows the last packet only, we all.
        if (2..=5).contains(&frame) {
            assert!(line.contains(info.as_str()), "{frame}: {line} / {info}");
            continue;
        }
        let fields: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(fields.get(5), Some(&proto.as_str()), "{frame}: {line}");
        let our_info = fields.get(7..).map(|f| f.join(" ")).unwrap_or_default();
        assert!(
            our_info.starts_with(info.as_str()),
            "frame {frame}: {our_info} / tshark: {info}"
        );
        same += 1;
    }
    assert_eq!(same, 12);
    // Every HTTP/3 frame type tshark found is named on its packet.
    for f in exp["http3"]["frames"].as_array().expect("frames") {
        if let (Some(n), Some(ty)) = (f["frame"].as_u64(), f["type"].as_str()) {
            let line = &ours[n as usize - 1];
            assert!(line.contains(ty), "frame {n}: {ty} not in {line}");
        }
    }
}

/// `-Y` on HTTP/3 messages works as on HTTP/1.x: the request for the secret is found; and
/// `-Y http3` selects the frames tshark's does.
#[cfg_attr(no_corpus, ignore = "needs ../shared/corpus")]
#[test]
fn display_filter_finds_http3_requests() {
    let Some(c) = corpus() else { return };
    let (pcap, keys, _) = quic_h3(&c);
    // Frame numbers of the lines `-Y filter` shows (findings off).
    let shown = |filter: &str| -> Vec<String> {
        let out = run(&[
            "-r",
            &pcap,
            "--keylog",
            &keys,
            "-Y",
            filter,
            "--findings",
            "off",
        ]);
        stdout(&out)
            .lines()
            .filter_map(|l| l.split_whitespace().next().map(str::to_string))
            .collect()
    };
    assert_eq!(shown("http.request.uri contains \"secret\""), vec!["7"]);
    // `-Y http3` selects the frames tshark's `-Y http3` selects with the same keys.
    let t = tshark_with_keys(
        &pcap,
        &keys,
        &["-Y", "http3", "-T", "fields", "-e", "frame.number"],
    );
    let want: Vec<String> = String::from_utf8_lossy(&t.stdout)
        .lines()
        .map(str::to_string)
        .collect();
    let got = shown("http3");
    assert_eq!(got, want);
    assert_eq!(got.len(), 11);
}
