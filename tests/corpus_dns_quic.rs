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

#[test]
fn dns_udp_matches_tshark() {
    use squirrel_sniff::dissect::dns::{DnsSession, DnsTransport};
    let Some(c) = corpus() else { return };
    let exp = decrypt_expected(&c, "dns-udp");
    let mut session = DnsSession::new();
    let mut got = Vec::new();
    for (frame, _, _, payload, off) in udp_payloads(&c.join("decrypt/dns-udp.pcap")) {
        let ev = session
            .message(DnsTransport::Udp, &payload, frame, Some(off))
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
