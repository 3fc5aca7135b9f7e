//! `--json`: every line on stdout is one JSON object, in every mode, for every bundled
//! capture — packets, -q summaries, --conversations, --hierarchy, --follow, --stats,
//! --report, findings placement — and the end-of-run records carry real content.

mod common;
use common::*;

fn bundled() -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(captures())
        .expect("captures/")
        .filter_map(|e| e.ok())
        .map(|e| e.path().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".pcap"))
        .collect();
    v.sort();
    assert!(v.len() >= 8, "{v:?}");
    v
}

const MODES: &[&[&str]] = &[
    &[],
    &["-q"],
    &["--conversations"],
    &["--conversations", "-q"],
    &["--hierarchy"],
    &["--hierarchy", "-q"],
    &["--follow", "0"],
    &["--follow", "all"],
    &["--stats"],
    &["--stats", "-q"],
    &["--report"],
    &["--report", "-q"],
    &["--findings", "end"],
    &["--findings", "off"],
    &["-x"],
    &["-Y", "tcp.stream == 0"],
];

#[test]
fn every_mode_every_capture_is_ndjson() {
    for cap in bundled() {
        for mode in MODES {
            let mut args = vec!["-r", cap.as_str(), "--json"];
            args.extend_from_slice(mode);
            let o = run(&args);
            assert!(
                matches!(o.status.code(), Some(0) | Some(4)),
                "{args:?}: {:?} {}",
                o.status,
                stderr(&o)
            );
            let out = stdout(&o);
            assert!(!out.is_empty(), "{args:?}: something on stdout");
            for l in out.lines() {
                let v: serde_json::Value = serde_json::from_str(l)
                    .unwrap_or_else(|e| panic!("{args:?}: not one JSON object: {l:?}: {e}"));
                assert!(v.is_object(), "{args:?}: {l}");
                assert!(v["type"].is_string() || v.get("type").is_none(), "{l}");
            }
        }
    }
}

#[test]
fn end_of_run_records_carry_the_tables() {
    let c = captures().join("squirrel-login.pcap");
    let c = c.to_str().expect("path");
    // Conversations: one record per stream, the same counts as the close records.
    let v = ndjson(&run(&["-r", c, "--json", "--conversations", "-q"]));
    let conv = of_type(&v, "conversation");
    let fields = run(&["-r", c, "-T", "fields", "-e", "tcp.stream"]);
    let streams: std::collections::BTreeSet<String> = stdout(&fields)
        .lines()
        .filter(|l| !l.is_empty())
        .map(String::from)
        .collect();
    assert_eq!(conv.len(), streams.len());
    assert!(conv
        .iter()
        .all(|r| r["src_ip"].is_string() && r["packets_to_server"].as_u64() > Some(0)));
    // Hierarchy: eth > ip > tcp with every frame.
    let v = ndjson(&run(&["-r", c, "--json", "--hierarchy", "-q"]));
    let h = of_type(&v, "hierarchy");
    assert_eq!(h.len(), 1);
    let packets = of_type(&v, "summary")[0]["packets"]
        .as_u64()
        .expect("packets");
    assert_eq!(h[0]["protocols"][0]["name"], "eth");
    assert_eq!(h[0]["protocols"][0]["frames"].as_u64(), Some(packets));
    // Follow: stream 0's bytes both ways, the request first.
    let v = ndjson(&run(&["-r", c, "--json", "--follow", "0"]));
    let f = of_type(&v, "follow");
    assert_eq!(f.len(), 1);
    let items = f[0]["items"].as_array().expect("items");
    assert_eq!(items[0]["dir"], "to_server");
    assert!(items[0]["data"]
        .as_str()
        .unwrap_or("")
        .starts_with("GET / HTTP/1.1\\r\\n"));
    assert!(items.iter().any(|i| i["dir"] == "to_client"));
    // Stats.
    let v = ndjson(&run(&["-r", c, "--json", "--stats", "-q"]));
    let s = of_type(&v, "stats");
    assert_eq!(s.len(), 1);
    assert_eq!(s[0]["analysed"].as_u64(), Some(packets));
    assert_eq!(s[0]["tcp_streams"].as_u64(), Some(streams.len() as u64));
}
