//! `-d LAYER==PORT,PROTO` (tshark's decode-as): the same option gives the same protocol
//! per frame as tshark's, forcing works where content detection cannot, and bad values are
//! one line and exit 2.

mod common;
use common::*;
use std::path::Path;

/// tshark's Protocol column per frame with `args` (the oracle).
fn tshark_protocols(file: &Path, args: &[&str]) -> Vec<String> {
    let out = std::process::Command::new("tshark")
        .args(["-n", "-r", file.to_str().expect("path")])
        .args(args)
        .args(["-T", "fields", "-e", "_ws.col.Protocol"])
        .output()
        .expect("tshark is needed as the oracle");
    assert!(out.status.success(), "tshark failed");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_string)
        .collect()
}

/// Our Protocol column per frame (summary lines: number, time, src, →, dst, protocol).
fn our_protocols(file: &Path, args: &[&str]) -> Vec<String> {
    let mut a = vec!["-r", file.to_str().expect("path"), "--findings", "off"];
    a.extend_from_slice(args);
    let out = run(&a);
    assert!(out.status.success(), "{}", stderr(&out));
    stdout(&out)
        .lines()
        .filter(|l| {
            l.split_whitespace()
                .next()
                .is_some_and(|n| n.parse::<u64>().is_ok())
        })
        .map(|l| l.split_whitespace().nth(5).unwrap_or("").to_string())
        .collect()
}

/// TLS on the lesson's port 5683, which tshark takes for CoAP unless told: with the same
/// `-d`, every frame's protocol equals tshark's.
#[test]
fn forced_tls_on_5683_equals_tshark_decode_as() {
    for (file, rule, proto) in [
        ("squirrel-https.pcap", "tcp.port==5683,tls", "TLSv1.3"),
        ("squirrel-http.pcap", "tcp.port==5683,http", "HTTP"),
    ] {
        let cap = captures().join(file);
        let want = tshark_protocols(&cap, &["-d", rule]);
        let got = our_protocols(&cap, &["-d", rule]);
        assert_eq!(got, want, "{file} with -d {rule}");
        assert!(want.iter().any(|p| p == proto), "{want:?}");
        // Without -d, tshark guesses CoAP by port; content detection does not.
        assert!(tshark_protocols(&cap, &[]).iter().any(|p| p == "CoAP"));
    }
}

/// A QUIC connection captured from its middle (short headers only) cannot be recognised
/// by content; `-d udp.port==4433,quic` makes every frame QUIC, as tshark shows it.
#[cfg_attr(no_corpus, ignore = "needs ../shared/corpus")]
#[test]
fn forced_quic_on_short_headers_only() {
    let Some(c) = corpus() else { return };
    let dir = temp_dir("decode-as");
    let late = dir.join("late.pcap");
    let st = std::process::Command::new("editcap")
        .args(["-r"])
        .arg(c.join("decrypt/quic-h3.pcap"))
        .arg(&late)
        .arg("9-16")
        .status()
        .expect("editcap (with tshark) is needed");
    assert!(st.success());
    let without = our_protocols(&late, &[]);
    assert_eq!(without.len(), 8);
    assert!(without.iter().all(|p| p == "UDP"), "{without:?}");
    let want = tshark_protocols(&late, &["-d", "udp.port==4433,quic"]);
    let got = our_protocols(&late, &["-d", "udp.port==4433,quic"]);
    assert_eq!(got, want);
    assert!(got.iter().all(|p| p == "QUIC"), "{got:?}");
    // Repeatable: a second rule for another port changes nothing here.
    let got2 = our_protocols(
        &late,
        &["-d", "udp.port==53,dns", "-d", "udp.port==4433,quic"],
    );
    assert_eq!(got2, want);
    let _ = std::fs::remove_dir_all(&dir);
}

/// DNS on 5353 (tshark assumes mDNS there): with `-d udp.port==5353,dns` both show DNS and
/// the same Info column.
#[cfg_attr(no_corpus, ignore = "needs ../shared/corpus")]
#[test]
fn forced_dns_on_5353_equals_tshark() {
    let Some(c) = corpus() else { return };
    let cap = c.join("decrypt/dns-udp.pcap");
    let want = tshark_protocols(&cap, &["-d", "udp.port==5353,dns"]);
    assert_eq!(our_protocols(&cap, &["-d", "udp.port==5353,dns"]), want);
    assert!(want.iter().all(|p| p == "DNS"));
}

#[test]
fn bad_rules_are_one_line_and_exit_2() {
    let cap = captures().join("squirrel-http.pcap");
    let cap = cap.to_str().expect("path");
    for (rule, says) in [
        ("udp.port=5353", "doesn't follow the template"),
        ("foo", "doesn't follow the template"),
        ("xyz.port==1,dns", "unknown layer type -- xyz.port"),
        ("udp.port==abc,dns", "invalid selector number \"abc\""),
        ("udp.port==53,nosuch", "unknown protocol -- \"nosuch\""),
        ("udp.port==53,http", "valid for udp.port: quic, dns"),
    ] {
        let out = run(&["-r", cap, "-d", rule]);
        assert_eq!(out.status.code(), Some(2), "{rule}");
        let err = stderr(&out);
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains(says), "{rule}: {err}");
        assert!(stdout(&out).is_empty());
    }
}
