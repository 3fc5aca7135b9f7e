//! DNS is recognised by content off its ports; the probe must not take other binary traffic
//! for DNS. On every corpus capture and every bundled capture, the frames `-Y dns` shows are
//! exactly the frames tshark dissects as DNS (told `-d` where DNS runs off its ports).

mod common;
use common::*;
use std::path::{Path, PathBuf};

fn dns_frames(out: &std::process::Output) -> Vec<String> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split_whitespace().next().map(str::to_string))
        .collect()
}

fn compare(file: &Path, decode_as: &[&str]) -> Option<usize> {
    let mut t = std::process::Command::new("tshark");
    t.args(["-n", "-r"]).arg(file);
    for d in decode_as {
        t.args(["-d", d]);
    }
    let t = t
        .args(["-Y", "dns", "-T", "fields", "-e", "frame.number"])
        .output()
        .expect("tshark is needed as the oracle");
    let path = file.to_str().expect("path");
    let mut args = vec!["-r", path, "-Y", "dns", "--findings", "off"];
    for d in decode_as {
        args.extend(["-d", d]);
    }
    let ours = run(&args);
    // Unreadable captures (the malformed corpus) are other tests' business.
    if !t.status.success() || !ours.status.success() {
        return None;
    }
    let want = dns_frames(&t);
    assert_eq!(dns_frames(&ours), want, "{}", file.display());
    Some(want.len())
}

fn captures_in(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "pcap" || x == "pcapng"))
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

#[test]
fn bundled_captures_dns_frames_equal_tshark() {
    let mut dns = 0;
    let crafted = captures_in(&captures().join("dns-tree"));
    for f in captures_in(&captures()).into_iter().chain(crafted) {
        // Its mDNS and LLMNR messages are `mdns` and `llmnr` to tshark, `dns` to us (the
        // DNS tree test compares what tshark counts there).
        if f.ends_with("dns-tree/mdns.pcap") {
            continue;
        }
        let rules: &[&str] = if f.ends_with("dns-udp-tcp.pcap") {
            &["udp.port==5300,dns", "tcp.port==5300,dns"]
        } else {
            &[]
        };
        dns += compare(&f, rules).unwrap_or(0);
    }
    // The DNS capture's 24 messages over UDP and TCP, the crafted captures/dns-tree/ ones' 777
    // (131 UDP frames, the 8 of 22 TCP segments that complete a message, 638 names); nothing in the
    // HTTP/TLS/QUIC ones.
    assert_eq!(dns, 801);
}

#[cfg_attr(no_corpus, ignore = "needs ../shared/corpus")]
#[test]
fn corpus_dns_frames_equal_tshark() {
    let Some(c) = corpus() else { return };
    let mut files = 0;
    let mut dns = 0;
    for dir in ["http", "tls", "tcp", "decrypt"] {
        for f in captures_in(&c.join(dir)) {
            let rules: &[&str] = if f.ends_with("dns-udp.pcap") {
                &["udp.port==5353,dns"]
            } else {
                &[]
            };
            if let Some(n) = compare(&f, rules) {
                files += 1;
                dns += n;
            }
        }
    }
    assert!(files >= 40, "{files}");
    // tls12-alpn-session-resumption's ten real lookups and dns-udp's twelve messages.
    assert_eq!(dns, 22);
}
