//! TLS over ../shared/corpus (tls/, and TLS in link/, tcp/, malformed/): SNI, ALPN, versions,
//! cipher suite counts, selected suite and version, HelloRetryRequest, alerts and certificate
//! subjects equal tshark's expected/*.json. Also the TCP stream counts of every corpus file.

mod common;
use common::*;
use serde_json::Value;

fn hex4(v: &Value) -> Option<String> {
    v.as_u64().map(|n| format!("0x{n:04x}"))
}

fn corpus_files(c: &std::path::Path, dirs: &[&str]) -> Vec<String> {
    let mut v = Vec::new();
    for d in dirs {
        for e in std::fs::read_dir(c.join(d)).expect("dir").flatten() {
            v.push(format!("{d}/{}", e.file_name().to_string_lossy()));
        }
    }
    v.sort();
    v
}

#[cfg_attr(no_corpus, ignore = "needs ../shared/corpus")]
#[test]
fn tls_handshakes_match_tshark() {
    let Some(c) = corpus() else { return };
    let mut hellos = 0;
    for rel in corpus_files(&c, &["tls", "link", "tcp", "malformed"]) {
        let exp = expected(&c, &rel);
        if exp["packets"].is_null() {
            continue;
        }
        let out = run(&["-r", c.join(&rel).to_str().expect("p"), "--json"]);
        let v = ndjson(&out);

        let got: Vec<_> = of_type(&v, "tls.client_hello")
            .iter()
            .map(|h| {
                let sv: Vec<String> = h["supported_versions"]
                    .as_array()
                    .map(|a| a.iter().filter_map(|v| hex4(&v["id"])).collect())
                    .unwrap_or_default();
                (
                    h["frame"].as_u64(),
                    h["sni"].as_str().map(String::from),
                    hex4(&h["legacy_version"]["id"]),
                    sv,
                    h["cipher_suites"].as_array().map(|a| a.len()),
                    h["alpn"]
                        .as_array()
                        .map(|a| {
                            a.iter()
                                .filter_map(|x| x.as_str().map(String::from))
                                .collect::<Vec<_>>()
                        })
                        .unwrap_or_default(),
                )
            })
            .collect();
        let want: Vec<_> = exp["tls_client_hellos"]
            .as_array()
            .expect("ch")
            .iter()
            .map(|h| {
                (
                    h["frame"].as_u64(),
                    h["sni"].as_str().map(String::from),
                    h["version"].as_str().map(String::from),
                    h["supported_versions"]
                        .as_array()
                        .map(|a| {
                            a.iter()
                                .filter_map(|x| x.as_str().map(String::from))
                                .collect()
                        })
                        .unwrap_or_default(),
                    h["cipher_suites"].as_u64().map(|n| n as usize),
                    h["alpn"]
                        .as_array()
                        .map(|a| {
                            a.iter()
                                .filter_map(|x| x.as_str().map(String::from))
                                .collect::<Vec<_>>()
                        })
                        .unwrap_or_default(),
                )
            })
            .collect();
        assert_eq!(got, want, "{rel}: client hellos");
        hellos += got.len();

        let got: Vec<_> = of_type(&v, "tls.server_hello")
            .iter()
            .map(|h| {
                let legacy = hex4(&h["legacy_version"]["id"]);
                let negotiated = hex4(&h["version"]["id"]);
                let supported = if negotiated != legacy {
                    negotiated
                } else {
                    None
                };
                (
                    h["frame"].as_u64(),
                    hex4(&h["cipher_suite_id"]),
                    legacy,
                    supported,
                    h["hello_retry_request"].as_bool(),
                )
            })
            .collect();
        let want: Vec<_> = exp["tls_server_hellos"]
            .as_array()
            .expect("sh")
            .iter()
            .map(|h| {
                let legacy = h["version"].as_str().map(String::from);
                let sup = h["supported_version"]
                    .as_str()
                    .map(String::from)
                    .filter(|s| Some(s) != legacy.as_ref());
                (
                    h["frame"].as_u64(),
                    h["cipher_suite"].as_str().map(String::from),
                    legacy,
                    sup,
                    h["hello_retry_request"].as_bool(),
                )
            })
            .collect();
        assert_eq!(got, want, "{rel}: server hellos");

        let got: Vec<_> = of_type(&v, "tls.alert")
            .iter()
            .map(|a| {
                (
                    a["frame"].as_u64(),
                    a["level_id"].as_u64(),
                    a["description_id"].as_u64(),
                    a["encrypted"].as_bool(),
                )
            })
            .collect();
        let want: Vec<_> = exp["tls_alerts"]
            .as_array()
            .expect("alerts")
            .iter()
            .map(|a| {
                (
                    a["frame"].as_u64(),
                    a["level"].as_u64(),
                    a["description"].as_u64(),
                    a["encrypted"].as_bool(),
                )
            })
            .collect();
        assert_eq!(got, want, "{rel}: alerts");

        let got: Vec<Option<String>> = of_type(&v, "tls.certificate")
            .iter()
            .flat_map(|c| c["chain"].as_array().cloned().unwrap_or_default())
            .map(|c| c["subject_cn"].as_str().map(String::from))
            .collect();
        let want: Vec<Option<String>> = exp["tls_cert_subjects"]
            .as_array()
            .expect("certs")
            .iter()
            .map(|s| s.as_str().map(String::from))
            .collect();
        assert_eq!(got, want, "{rel}: certificate subjects");
    }
    assert!(hellos >= 25, "client hellos checked: {hellos}");
}

#[cfg_attr(no_corpus, ignore = "needs ../shared/corpus")]
#[test]
fn tcp_stream_counts_match_tshark_everywhere() {
    let Some(c) = corpus() else { return };
    for rel in corpus_files(&c, &["http", "tls", "tcp", "link", "malformed"]) {
        let exp = expected(&c, &rel);
        let Some(n) = exp["tcp_streams"].as_u64() else {
            continue;
        };
        let out = run(&["-r", c.join(&rel).to_str().expect("p"), "--json"]);
        let v = ndjson(&out);
        let mut ids: Vec<u64> = of_type(&v, "packet")
            .iter()
            .filter_map(|p| tcp_stream(p))
            .collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len() as u64, n, "{rel}: tcp streams");
        assert_eq!(
            ids.last().map(|x| x + 1).unwrap_or(0),
            n,
            "{rel}: ids 0..n in order of first packet"
        );
    }
}

#[cfg_attr(no_corpus, ignore = "needs ../shared/corpus")]
#[test]
fn tls_recognised_by_content_on_any_port_and_tls13_says_what_it_hides() {
    let Some(c) = corpus() else { return };
    let out = run(&[
        "-r",
        c.join("tls/tls13-wolfssl-port-9090.pcap")
            .to_str()
            .expect("p"),
    ]);
    let s = stdout(&out);
    assert!(
        s.lines()
            .any(|l| l.contains(" TLSv1.3 ") && l.contains("Server Hello")),
        "{s}"
    );
    let out = run(&[
        "-r",
        c.join("tls/tls13-wolfssl-port-9090.pcap")
            .to_str()
            .expect("p"),
        "-V",
    ]);
    assert!(stdout(&out).contains("certificate not visible to an observer under TLS 1.3"));
}
