//! Replays the link-type and malformed captures of ../shared/corpus and checks packet counts
//! and link types against expected/*.json (made by tshark/capinfos). Malformed files give a
//! clear error or decode partially; never a panic.

mod common;
use common::*;

fn files(dir: &std::path::Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .expect("dir")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

fn check_file(corpus: &std::path::Path, rel: &str) {
    let exp = expected(corpus, rel);
    let path = corpus.join(rel);
    let out = run(&["-r", path.to_str().expect("path"), "--json"]);
    let err = stderr(&out);
    assert!(!err.contains("panicked"), "{rel}: panic: {err}");
    let code = out.status.code().expect("exit code");
    match exp["packets"].as_u64() {
        None => {
            // tshark cannot read it at all: we must refuse clearly too.
            assert_eq!(
                code, 3,
                "{rel}: expected exit 3 for an unreadable file, got {code}; stderr {err}"
            );
            assert_eq!(err.lines().count(), 1, "{rel}: one line on stderr: {err}");
            assert!(
                err.starts_with("squirrel-sniff: ")
                    && err.contains(rel.rsplit('/').next().unwrap_or(rel)),
                "{rel}: {err}"
            );
            assert!(stdout(&out).is_empty(), "{rel}: nothing on stdout");
        }
        Some(n) => {
            assert_eq!(code, 0, "{rel}: exit {code}: {err}");
            let v = ndjson(&out);
            let packets = of_type(&v, "packet");
            assert_eq!(packets.len() as u64, n, "{rel}: packet count");
            let mut links: Vec<u64> = packets
                .iter()
                .filter_map(|p| p["linktype"].as_u64())
                .collect();
            links.sort();
            links.dedup();
            let mut want: Vec<u64> = exp["capture"]["link_types"]
                .as_array()
                .expect("link_types")
                .iter()
                .filter_map(|x| x.as_u64())
                .collect();
            want.sort();
            assert_eq!(links, want, "{rel}: link types");
            // Stream count as tshark's tcp.stream.
            if let Some(streams) = exp["tcp_streams"].as_u64() {
                let mut ids: Vec<u64> = packets.iter().filter_map(|p| tcp_stream(p)).collect();
                ids.sort();
                ids.dedup();
                assert_eq!(ids.len() as u64, streams, "{rel}: tcp streams");
            }
        }
    }
}

#[cfg_attr(no_corpus, ignore = "needs ../shared/corpus")]
#[test]
fn link_type_captures_decode_with_expected_counts() {
    let Some(c) = corpus() else { return };
    let names = files(&c.join("link"));
    assert!(names.len() >= 10, "link captures present");
    for f in names {
        check_file(&c, &format!("link/{f}"));
    }
}

#[cfg_attr(no_corpus, ignore = "needs ../shared/corpus")]
#[test]
fn malformed_captures_error_clearly_or_decode_partially() {
    let Some(c) = corpus() else { return };
    let names = files(&c.join("malformed"));
    assert!(names.len() >= 7, "malformed captures present");
    for f in names {
        check_file(&c, &format!("malformed/{f}"));
    }
}

#[cfg_attr(no_corpus, ignore = "needs ../shared/corpus")]
#[test]
fn link_layers_are_named_in_the_tree() {
    let Some(c) = corpus() else { return };
    for (rel, needle) in [
        ("link/sll-http.pcap", "Linux cooked capture v1"),
        ("link/sll2-http.pcap", "Linux cooked capture v2"),
        ("link/null-ipv6-http.pcap", "Null/Loopback"),
        ("link/qinq-http.pcap", "802.1Q Virtual LAN"),
        (
            "link/vlan-8021q-http.pcap",
            "802.1Q Virtual LAN, PRI: 5, DEI: 1, ID: 0",
        ),
        (
            "malformed/http-chunk-size-overflow-rawip.pcap",
            "Raw packet data",
        ),
    ] {
        let out = run(&["-r", c.join(rel).to_str().expect("path"), "-V", "-c", "1"]);
        let s = stdout(&out);
        assert!(s.contains(needle), "{rel}: `{needle}` not in:\n{s}");
        assert!(s.contains("Frame 1: "), "{rel}");
    }
    let out = run(&[
        "-r",
        c.join("link/qinq-http.pcap").to_str().expect("path"),
        "-V",
        "-c",
        "1",
    ]);
    assert_eq!(
        stdout(&out).matches("802.1Q Virtual LAN, PRI").count(),
        2,
        "QinQ has two tags"
    );
}

#[cfg_attr(no_corpus, ignore = "needs ../shared/corpus")]
#[test]
fn nanosecond_and_big_endian_files_keep_their_times() {
    let Some(c) = corpus() else { return };
    let out = run(&[
        "-r",
        c.join("link/sll-nanosecond-tcp-handshake.pcap")
            .to_str()
            .expect("path"),
    ]);
    let s = stdout(&out);
    // tshark: frame 2 at 0.127521774 s.
    assert!(
        s.lines().nth(1).unwrap_or("").contains("0.127521774"),
        "{s}"
    );
    let out = run(&[
        "-r",
        c.join("link/pcap-big-endian.pcap").to_str().expect("path"),
        "--json",
    ]);
    let v = ndjson(&out);
    assert_eq!(of_type(&v, "packet").len(), 23);
}
