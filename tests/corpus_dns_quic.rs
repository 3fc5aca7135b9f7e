//! DNS and QUIC over ../shared/corpus/decrypt: names, types, answers, rcodes, the TC reply,
//! and QUIC Initial SNI/ALPN equal tshark's expected/*.json.

mod common;
use common::*;
use serde_json::Value;
use squirrel_sniff::capture::FileSource;
use squirrel_sniff::decode::{self, Transport};

/// (frame number, src port, dst port, UDP payload, payload offset in frame) of every UDP
/// frame in a capture.
fn udp_payloads(path: &std::path::Path) -> Vec<(u64, u16, u16, Vec<u8>, usize)> {
    let mut src = FileSource::open(path).expect("open");
    let mut out = Vec::new();
    let mut n = 0u64;
    while let Some(p) = src.next_packet().expect("read") {
        n += 1;
        let d = decode::decode(p.link, p.data);
        if let Some(Transport::Udp(u)) = &d.transport {
            let pl = p.data.get(d.payload.clone()).unwrap_or(&[]).to_vec();
            out.push((n, u.src_port, u.dst_port, pl, d.payload.start));
        }
    }
    out
}

/// tshark's facts for `decrypt/NAME.pcap` (decrypt/expected/NAME.json).
fn decrypt_expected(c: &std::path::Path, name: &str) -> Value {
    let p = c.join("decrypt/expected").join(format!("{name}.json"));
    let s = std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    serde_json::from_str(&s).expect("expected json")
}

#[cfg_attr(no_corpus, ignore = "needs ../shared/corpus")]
#[test]
fn dns_udp_matches_tshark() {
    use squirrel_sniff::dissect::dns::{DnsSession, DnsTransport};
    let Some(c) = corpus() else { return };
    let exp = decrypt_expected(&c, "dns-udp");
    let mut session = DnsSession::new();
    let mut got = Vec::new();
    for (frame, _, _, payload, off) in udp_payloads(&c.join("decrypt/dns-udp.pcap")) {
        let ev = session
            .message(DnsTransport::Udp, &payload, frame, Some(off), None)
            .expect("dns");
        let j = ev.json();
        got.push((frame, j, ev.info()));
    }
    let want = exp["dns"].as_array().expect("dns array");
    assert_eq!(got.len(), want.len());
    let fields = [
        "id",
        "response",
        "opcode",
        "rcode",
        "rcode_name",
        "tc",
        "rd",
        "counts",
    ];
    for ((frame, j, info), w) in got.iter().zip(want) {
        assert_eq!(Some(*frame), w["frame"].as_u64());
        for f in fields {
            if !w[f].is_null() {
                assert_eq!(j[f], w[f], "frame {frame} field {f}");
            }
        }
        if !w["response_to"].is_null() {
            assert_eq!(j["response_to"], w["response_to"], "frame {frame}");
        }
        for (i, q) in w["queries"].as_array().expect("q").iter().enumerate() {
            assert_eq!(j["queries"][i]["name"], q["name"]);
            assert_eq!(j["queries"][i]["type"], q["type"]);
            assert_eq!(j["queries"][i]["type_code"], q["type_code"]);
        }
        for sect in ["answers", "authority", "additional"] {
            let ws = w[sect].as_array().expect("section");
            assert_eq!(
                j[sect].as_array().map(|a| a.len()),
                Some(ws.len()),
                "frame {frame} {sect}"
            );
            for (i, r) in ws.iter().enumerate() {
                let obj = r.as_object().expect("record");
                for (k, v) in obj {
                    assert_eq!(&j[sect][i][k], v, "frame {frame} {sect}[{i}].{k}");
                }
            }
        }
        // The summary line: the question's type and name, and rcode words when not 0.
        let q = &w["queries"][0];
        let needle = format!(
            "{} {}",
            q["type"].as_str().unwrap_or(""),
            q["name"].as_str().unwrap_or("")
        );
        assert!(info.contains(&needle), "frame {frame}: {info}");
        if w["rcode"].as_u64().unwrap_or(0) == 3 {
            assert!(info.contains("No such name"), "{info}");
        }
    }
    // Summary lines equal tshark's (tshark -d udp.port==5353,dns) for the A answer and the
    // NXDOMAIN with its SOA.
    assert_eq!(
        got[1].2,
        "Standard query response 0x2fb1 A secret-squirrel.example A 127.0.0.42"
    );
    assert_eq!(
        got[9].2,
        "Standard query response 0x2b23 No such name A nosuch.secret-squirrel.example SOA ns.secret-squirrel.example"
    );
    assert_eq!(
        got[0].2,
        "Standard query 0x2fb1 A secret-squirrel.example OPT"
    );
    let tc: Vec<u64> = got
        .iter()
        .filter(|g| g.1["tc"] == Value::Bool(true))
        .map(|g| g.0)
        .collect();
    assert_eq!(tc, vec![12]);
}

#[cfg_attr(no_corpus, ignore = "needs ../shared/corpus")]
#[test]
fn quic_initials_decrypt_without_keys_like_tshark() {
    use squirrel_sniff::dissect::quic::QuicConnection;
    use squirrel_sniff::flow::Direction;
    let Some(c) = corpus() else { return };
    let exp = decrypt_expected(&c, "quic-h3");
    let want = &exp["quic"][0];
    let server_port: u16 = want["server"]
        .as_str()
        .and_then(|s| s.rsplit(':').next())
        .and_then(|p| p.parse().ok())
        .expect("server port");
    let mut conn = QuicConnection::new();
    let mut infos = Vec::new();
    let mut hello_frame = None;
    for (frame, _, dport, payload, off) in udp_payloads(&c.join("decrypt/quic-h3.pcap")) {
        let dir = if dport == server_port {
            Direction::ToServer
        } else {
            Direction::ToClient
        };
        let ev = conn.datagram(dir, &payload, frame, Some(off));
        if ev.client_hello.is_some() {
            hello_frame = Some(frame);
        }
        infos.push(ev.info());
    }
    let s = conn.summary();
    let j = s.json();
    assert_eq!(j["sni"], want["sni"]);
    assert_eq!(j["sni"], exp["without_keys"]["quic_sni"][0]);
    assert_eq!(j["alpn_offered"], want["alpn_offered"]);
    assert_eq!(j["version"], Value::String(format!("0x{:08x}", 1)));
    assert_eq!(j["version"], want["version"]);
    assert_eq!(j["initial_dcid"], want["initial_dcid"]);
    assert_eq!(j["cipher_suite"], want["cipher_suite"]);
    assert_eq!(j["coalesced_padding"], want["coalesced_padding"]);
    // Packet types as tshark counts them; without keys only the Initials open.
    for (k, v) in want["packet_types"].as_object().expect("types") {
        assert_eq!(&j["packet_types"][k], v, "{k}");
    }
    assert_eq!(
        j["decrypted_packets"],
        exp["without_keys"]["decrypted_quic_packets"]
    );
    assert_eq!(j["decryption_failed"], 0);
    assert_eq!(hello_frame, Some(1));
    assert!(
        s.ja4.as_deref().is_some_and(|j| j.starts_with("q13d")),
        "{:?}",
        s.ja4
    );
    assert_eq!(
        infos[0],
        "Initial, DCID=ab8032b8afb686e8, SCID=d51d9bb5d14f0f1f, PKN: 0, CRYPTO, Client Hello (SNI=localhost)"
    );
    assert!(
        infos[2].ends_with("Protected Payload, DCID=d51d9bb5d14f0f1f"),
        "{}",
        infos[2]
    );
}

#[cfg_attr(no_corpus, ignore = "needs ../shared/corpus")]
#[test]
fn ech_offer_is_reported_with_the_public_name() {
    let Some(c) = corpus() else { return };
    let exp = decrypt_expected(&c, "tls13-ech-grease");
    let sess = &exp["tls_sessions"][0];
    assert!(sess["client_hello_extensions"]
        .as_array()
        .expect("exts")
        .iter()
        .any(|e| e == "encrypted_client_hello"));
    let sni = sess["sni"].as_str().expect("sni");
    let out = run(&[
        "-r",
        c.join("decrypt/tls13-ech-grease.pcap").to_str().expect("p"),
        "--json",
    ]);
    let v = ndjson(&out);
    let hellos = of_type(&v, "tls.client_hello");
    assert_eq!(hellos.len(), 1);
    assert_eq!(hellos[0]["ech"], true);
    let note = hellos[0]["ech_note"].as_str().expect("ech_note");
    assert!(
        note.contains(&format!("the SNI shown ({sni}) is only the public name")),
        "{note}"
    );
    assert!(note.contains("GREASE"), "{note}");
    let findings = of_type(&v, "finding");
    assert!(
        findings.iter().any(|f| f["kind"] == "ech_offered"),
        "no ech_offered finding"
    );
    // A ClientHello without the extension says nothing about ECH.
    let out = run(&[
        "-r",
        c.join("decrypt/tls13-aes128.pcap").to_str().expect("p"),
        "--json",
    ]);
    let v = ndjson(&out);
    let hellos = of_type(&v, "tls.client_hello");
    assert!(!hellos.is_empty());
    assert!(hellos
        .iter()
        .all(|h| h["ech"] == false && h["ech_note"].is_null()));
    assert!(!of_type(&v, "finding")
        .iter()
        .any(|f| f["kind"] == "ech_offered"));
}

/// tshark's DNS summary lines of captures/dns-udp-tcp.pcap: frame → info.
fn tshark_dns_lines() -> Vec<(u64, String)> {
    let p = captures().join("dns-udp-tcp.tshark.tsv");
    std::fs::read_to_string(&p)
        .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
        .lines()
        .filter_map(|l| {
            let (n, info) = l.split_once('\t')?;
            Some((n.parse().ok()?, info.to_string()))
        })
        .collect()
}

#[test]
fn dns_udp_and_tcp_summary_lines_equal_tshark() {
    let cap = captures().join("dns-udp-tcp.pcap");
    let out = run(&["-r", cap.to_str().expect("p")]);
    assert!(out.status.success());
    let text = stdout(&out);
    let want = tshark_dns_lines();
    assert_eq!(want.len(), 24);
    let mut checked = 0;
    for (frame, info) in &want {
        let line = text
            .lines()
            .find(|l| l.split_whitespace().next() == Some(&frame.to_string()))
            .unwrap_or_else(|| panic!("frame {frame} missing"));
        // UDP datagrams and TCP length-framed messages, recognised by content on 5300.
        assert!(line.contains(" DNS "), "{line}");
        assert!(
            line.ends_with(info.as_str()),
            "frame {frame}: {line} / tshark: {info}"
        );
        checked += 1;
    }
    assert_eq!(checked, 24);
    let v = ndjson(&run(&["-r", cap.to_str().expect("p"), "--json"]));
    let resp: Vec<_> = of_type(&v, "dns.response")
        .into_iter()
        .filter(|r| r["transport"] == "tcp")
        .collect();
    assert_eq!(resp.len(), 3);
    assert_eq!(
        resp[0]["answers"][0]["txt"][0],
        "api_key=sk_live_acorns4squirrels"
    );
    assert_eq!(resp[0]["response_to"], 22);
    assert_eq!(resp[1]["answers"][0]["a"], "127.0.0.42");
}

#[test]
fn display_filter_fields_for_dns() {
    let cap = captures().join("dns-udp-tcp.pcap");
    let frames = |filter: &str| -> Vec<u64> {
        let out = run(&["-r", cap.to_str().expect("p"), "-Y", filter]);
        assert!(out.status.success(), "{filter}: {}", stderr(&out));
        stdout(&out)
            .lines()
            .filter_map(|l| l.split_whitespace().next()?.parse().ok())
            .collect()
    };
    // Over TCP (frames 19..): the queries and responses, the TXT leak, the A answer.
    let tcp = |v: Vec<u64>| v.into_iter().filter(|f| *f >= 19).collect::<Vec<_>>();
    assert_eq!(tcp(frames("dns")), vec![22, 24, 26, 28, 35, 37]);
    assert_eq!(tcp(frames("dns.response")), vec![24, 28, 37]);
    assert_eq!(
        tcp(frames("dns.qry.name == \"tunnel.secret-squirrel.example\"")),
        vec![22, 24]
    );
    assert_eq!(tcp(frames("dns.txt contains \"api_key\"")), vec![24]);
    assert_eq!(tcp(frames("dns.a == 127.0.0.42")), vec![28]);
    assert_eq!(
        tcp(frames("dns.qry.type == 16 && dns.flags.response == 1")),
        vec![24, 37]
    );
    assert_eq!(
        tcp(frames("dns.flags.rcode == 0 && dns.flags.response == 1")),
        vec![24, 28, 37]
    );
}

#[test]
fn dns_findings_host_names_and_leaks() {
    let cap = captures().join("dns-udp-tcp.pcap");
    let out = run(&[
        "-r",
        cap.to_str().expect("p"),
        "--json",
        "--secret",
        "fluffy tail",
    ]);
    let v = ndjson(&out);
    let findings = of_type(&v, "finding");
    let kinds = |k: &str| findings.iter().filter(|f| f["kind"] == k).count();
    // The TXT over TCP carries an API key: a credential leak, once.
    let key: Vec<_> = findings.iter().filter(|f| f["kind"] == "api_key").collect();
    assert_eq!(key.len(), 1);
    assert_eq!(key[0]["evidence"], "api_key=sk_live_acorns4squirrels");
    // Host names learned from DNS: each name once.
    let mut names: Vec<&str> = findings
        .iter()
        .filter(|f| f["kind"] == "dns_hostname")
        .filter_map(|f| f["evidence"].as_str())
        .collect();
    let n = names.len();
    names.sort();
    names.dedup();
    assert_eq!(names.len(), n, "a name reported twice");
    assert!(
        names.contains(&"tunnel.secret-squirrel.example"),
        "{names:?}"
    );
    assert!(names.contains(&"secret-squirrel.example"), "{names:?}");
    assert!(kinds("secret_in_clear") >= 1);
    // The report lists them with where they came from.
    let out = run(&["-r", cap.to_str().expect("p"), "--report", "-q"]);
    let text = stdout(&out);
    assert!(text.contains("secret-squirrel.example (DNS)"), "{text}");
}

#[cfg_attr(no_corpus, ignore = "needs ../shared/corpus")]
#[test]
fn quic_session_record_from_the_cli() {
    let Some(c) = corpus() else { return };
    let exp = decrypt_expected(&c, "quic-h3");
    let out = run(&[
        "-r",
        c.join("decrypt/quic-h3.pcap").to_str().expect("p"),
        "--json",
    ]);
    let v = ndjson(&out);
    let s = of_type(&v, "quic.session");
    assert_eq!(s.len(), 1);
    assert_eq!(s[0]["sni"], exp["quic"][0]["sni"]);
    assert_eq!(s[0]["alpn_offered"], exp["quic"][0]["alpn_offered"]);
    assert_eq!(
        s[0]["decrypted_packets"],
        exp["without_keys"]["decrypted_quic_packets"]
    );
    let initials = of_type(&v, "quic.initial");
    assert_eq!(initials.len(), 3, "datagrams with an Initial packet");
    assert_eq!(initials[0]["sni"], "localhost");
}
