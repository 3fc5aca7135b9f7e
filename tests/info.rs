//! `info` (capinfos-like) figures against capinfos itself: the fixtures in
//! tests/fixtures/capinfos/ (made by scripts/make-capinfos-fixtures.sh) for captures/*.pcap,
//! and the corpus ground truth (packets, size, SHA-256, link types) for the corpus files.

mod common;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use squirrel_sniff::capture::info::{file_info, CaptureInfo};
use squirrel_sniff::capture::{linktype, Timestamp};

/// One fixture: capinfos' table report, header line + one row, as column name -> value.
fn fixture(name: &str) -> HashMap<String, String> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/capinfos")
        .join(format!("{name}.txt"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap_or_default().split('\t').collect();
    let row: Vec<&str> = lines.next().unwrap_or_default().split('\t').collect();
    assert_eq!(
        header.len(),
        row.len(),
        "{}: header and row differ in length",
        path.display()
    );
    header
        .into_iter()
        .zip(row)
        .map(|(h, v)| (h.to_string(), v.to_string()))
        .collect()
}

fn get<'a>(f: &'a HashMap<String, String>, col: &str) -> &'a str {
    f.get(col)
        .map(String::as_str)
        .unwrap_or_else(|| panic!("fixture has no column {col:?}"))
}

fn num<T: std::str::FromStr>(f: &HashMap<String, String>, col: &str) -> T {
    get(f, col)
        .parse()
        .unwrap_or_else(|_| panic!("column {col:?}: not a number: {:?}", get(f, col)))
}

/// `secs.micros` as capinfos -S prints a start or end time.
fn epoch(ts: Option<Timestamp>, digits: usize) -> String {
    match ts {
        Some(t) if digits >= 9 => format!("{}.{:09}", t.secs, t.nanos),
        Some(t) => format!("{}.{:06}", t.secs, t.nanos / 1000),
        None => "n/a".into(),
    }
}

fn two_decimals(v: Option<f64>) -> String {
    v.map(|x| format!("{x:.2}"))
        .unwrap_or_else(|| "0.00".into())
}

#[test]
fn captures_match_capinfos_fixtures() {
    let mut checked = Vec::new();
    let mut entries: Vec<PathBuf> = std::fs::read_dir(common::captures())
        .expect("captures/ exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "pcap"))
        .collect();
    entries.sort();
    for path in entries {
        let name = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or_default()
            .to_string();
        let f = fixture(&name);
        let info = file_info(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert!(info.error.is_none(), "{name}: {:?}", info.error);
        assert_eq!(
            info.packets,
            num::<u64>(&f, "Number of packets"),
            "{name}: packets"
        );
        assert_eq!(
            info.file_size,
            num::<u64>(&f, "File size (bytes)"),
            "{name}: file size"
        );
        assert_eq!(
            info.data_size,
            num::<u64>(&f, "Data size (bytes)"),
            "{name}: data size"
        );
        let duration = info.duration().unwrap_or(-1.0);
        let want: f64 = num(&f, "Capture duration (seconds)");
        assert!(
            (duration - want).abs() <= 1e-6,
            "{name}: duration {duration} vs {want}"
        );
        assert_eq!(
            format!("{:.2}", info.average_packet_size()),
            get(&f, "Average packet size (bytes)"),
            "{name}: average size"
        );
        assert_eq!(
            two_decimals(info.data_byte_rate()),
            get(&f, "Data byte rate (bytes/sec)"),
            "{name}: byte rate"
        );
        assert_eq!(
            two_decimals(info.data_bit_rate()),
            get(&f, "Data bit rate (bits/sec)"),
            "{name}: bit rate"
        );
        assert_eq!(
            two_decimals(info.average_packet_rate()),
            get(&f, "Average packet rate (packets/sec)"),
            "{name}: packet rate"
        );
        assert_eq!(info.sha256, get(&f, "SHA256"), "{name}: sha256");
        let digits = info.time_digits();
        assert_eq!(
            epoch(info.earliest, digits),
            get(&f, "Start time"),
            "{name}: first packet time"
        );
        assert_eq!(
            epoch(info.latest, digits),
            get(&f, "End time"),
            "{name}: last packet time"
        );
        assert_eq!(
            info.snaplen.map(|n| n.to_string()).unwrap_or_default(),
            get(&f, "Packet size limit"),
            "{name}: snaplen"
        );
        assert_eq!(
            if info.strict_time_order {
                "True"
            } else {
                "False"
            },
            get(&f, "Strict time order"),
            "{name}: order"
        );
        assert_eq!(
            get(&f, "File encapsulation"),
            "ether",
            "{name}: fixture link type"
        );
        assert_eq!(
            info.encapsulation(),
            Some(linktype::ETHERNET),
            "{name}: link type"
        );
        checked.push(name);
    }
    assert!(
        checked.len() >= 7,
        "only {} captures checked: {checked:?}",
        checked.len()
    );
}

/// The link-type description the corpus ground truth uses.
fn link_label(info: &CaptureInfo) -> String {
    match info.encapsulation() {
        Some(l) => linktype::name(l),
        None => {
            let parts: Vec<String> = info
                .links
                .iter()
                .map(|l| format!("{} ({})", linktype::name(l.link), l.packets))
                .collect();
            format!("Per packet: {}", parts.join(", "))
        }
    }
}

fn expected_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd.flatten() {
        let p = e.path();
        if p.is_dir() {
            expected_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "json") {
            out.push(p);
        }
    }
}

#[cfg_attr(no_corpus, ignore = "needs ../shared/corpus")]
#[test]
fn corpus_files_match_ground_truth() {
    let Some(corpus) = common::corpus() else {
        return;
    };
    let mut expected = Vec::new();
    expected_files(&corpus.join("expected"), &mut expected);
    expected.sort();
    assert!(
        expected.len() >= 20,
        "corpus has only {} expected files",
        expected.len()
    );
    for exp in expected {
        let text = std::fs::read_to_string(&exp).unwrap_or_default();
        let v: serde_json::Value =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", exp.display()));
        let rel = v["file"].as_str().unwrap_or_default().to_string();
        let path = corpus.join(&rel);
        let got = file_info(&path);
        if v["packets"].is_null() {
            assert!(
                got.is_err(),
                "{rel}: tshark cannot read it, we read {:?}",
                got.ok().map(|i| (i.packets, i.error))
            );
            continue;
        }
        let info = got.unwrap_or_else(|e| panic!("{rel}: {e}"));
        assert_eq!(Some(info.packets), v["packets"].as_u64(), "{rel}: packets");
        assert_eq!(
            Some(info.file_size),
            v["size_bytes"].as_u64(),
            "{rel}: size"
        );
        assert_eq!(
            Some(info.sha256.as_str()),
            v["sha256"].as_str(),
            "{rel}: sha256"
        );
        assert_eq!(
            Some(link_label(&info).as_str()),
            v["link_type"].as_str(),
            "{rel}: link type"
        );
    }
}

#[cfg_attr(no_corpus, ignore = "needs ../shared/corpus")]
#[test]
fn nanosecond_pcap_from_the_corpus() {
    let Some(corpus) = common::corpus() else {
        return;
    };
    let info = file_info(&corpus.join("link/sll-nanosecond-tcp-handshake.pcap")).expect("readable");
    // capinfos: nanosecond pcap, 3 packets, 220 bytes, 0.127609669 s, 1724 bytes/s, 23 packets/s.
    assert!(info.nanosecond);
    assert_eq!(
        (info.packets, info.data_size, info.file_size),
        (3, 220, 292)
    );
    assert_eq!(
        format!("{:.9}", info.duration().unwrap_or(0.0)),
        "0.127609669"
    );
    assert_eq!(epoch(info.earliest, 9), "1418145369.924505488");
    assert_eq!(
        format!("{:.0}", info.data_byte_rate().unwrap_or(0.0)),
        "1724"
    );
    assert_eq!(
        format!("{:.0}", info.average_packet_rate().unwrap_or(0.0)),
        "24"
    );
    assert_eq!(info.encapsulation(), Some(linktype::LINUX_SLL));
}
