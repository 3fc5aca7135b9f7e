//! The TCP SEQ/ACK analysis against tshark 4.0 on real lossy traffic: captures/lossy/*.pcap
//! (made by scripts/make-lossy-captures.py: loss, duplicate ACKs, fast and timeout
//! retransmissions, SACK, zero windows, window updates, keep-alives, capture gaps) with
//! tshark's `-T fields` view of every `tcp.analysis.*` field beside each
//! (FILE.tshark-analysis.tsv, its header names the fields). Every frame's every field must
//! be the same.

mod common;
use common::*;

#[test]
fn tcp_analysis_fields_match_tshark_on_lossy_captures() {
    let dir = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("captures/lossy");
    let mut pcaps: Vec<_> = std::fs::read_dir(&dir)
        .expect("captures/lossy")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "pcap"))
        .collect();
    pcaps.sort();
    assert!(pcaps.len() >= 4, "captures/lossy has its captures");
    let mut frames = 0;
    for pcap in &pcaps {
        let want = std::fs::read_to_string(pcap.with_extension("tshark-analysis.tsv"))
            .expect("tshark view beside the capture");
        let fields: Vec<&str> = want
            .lines()
            .next()
            .unwrap_or_default()
            .split('\t')
            .collect();
        let path = pcap.to_string_lossy().into_owned();
        let mut args = vec!["-r", path.as_str(), "-T", "fields", "-E", "header=y"];
        for f in &fields {
            args.extend(["-e", f]);
        }
        let o = run(&args);
        assert_eq!(o.status.code(), Some(0), "{path}: {}", stderr(&o));
        let got = stdout(&o);
        for (g, w) in got.lines().zip(want.lines()) {
            if g != w {
                let diff: Vec<String> = fields
                    .iter()
                    .zip(g.split('\t').zip(w.split('\t')))
                    .filter(|(_, (a, b))| a != b)
                    .map(|(f, (a, b))| format!("{f}: ours {a:?}, tshark {b:?}"))
                    .collect();
                panic!(
                    "{path}: frame {}: {}",
                    w.split('\t').next().unwrap_or("?"),
                    diff.join("; ")
                );
            }
        }
        assert_eq!(got.lines().count(), want.lines().count(), "{path}: frames");
        frames += want.lines().count() - 1;
    }
    assert!(frames > 1000, "{frames} frames compared");
}

/// The time-valued fields (`ack_rtt`, `initial_rtt`, `rto`) compare as numbers of seconds in
/// `-Y`, as in tshark: captures/lossy/tshark-time-filters.tsv lists tshark's frames for each
/// filter on each capture.
#[test]
fn time_valued_analysis_fields_filter_like_tshark() {
    let dir = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("captures/lossy");
    let want = std::fs::read_to_string(dir.join("tshark-time-filters.tsv"))
        .expect("tshark's frames per filter");
    let mut matched = 0;
    for line in want.lines() {
        let mut cols = line.split('\t');
        let (Some(pcap), Some(filter)) = (cols.next(), cols.next()) else {
            panic!("bad line {line:?}");
        };
        let frames = cols.next().unwrap_or_default().replace(',', "\n");
        let path = dir.join(pcap).to_string_lossy().into_owned();
        let o = filter_frames(&path, filter);
        assert_eq!(o.status.code(), Some(0), "{pcap} {filter}: {}", stderr(&o));
        assert_eq!(stdout(&o).trim_end(), frames, "{pcap}: -Y '{filter}'");
        matched += frames.lines().count();
    }
    assert!(matched > 300, "{matched} frames matched");
}
