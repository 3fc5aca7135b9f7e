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

/// SACK blocks as tshark shows them: the edges relative to the peer's sequence numbers, in
/// the summary line (`SLE=… SRE=…`) and in the `-V` tree (`left edge = … (relative)`), for
/// every frame of the lossy captures and the corpus's five with SACK (tests/fixtures/sack/,
/// scripts/make-sack-fixtures.sh: tshark's tcp.options.sack_le / sack_re).
#[test]
#[cfg_attr(no_corpus, ignore = "needs ../shared/corpus")]
fn sack_edges_are_relative_as_tshark() {
    let corpus = corpus().expect("corpus");
    let mut blocks = 0;
    for fixture in fixture_files("sack") {
        let name = fixture.file_name().unwrap().to_string_lossy().into_owned();
        let (dir, file) = name
            .trim_end_matches(".tsv")
            .split_once("__")
            .expect("fixture named DIR__FILE.tsv");
        let pcap = if dir == "lossy" {
            captures().join("lossy").join(file)
        } else {
            corpus.join(dir).join(file)
        };
        let pcap = pcap.to_string_lossy().into_owned();
        // frame number -> "le1,le2 re1,re2"
        let mut want = std::collections::BTreeMap::new();
        for line in std::fs::read_to_string(&fixture).unwrap().lines() {
            let cols: Vec<&str> = line.split('\t').collect();
            let frame: u64 = cols[0].parse().expect("frame number");
            want.insert(frame, format!("{} {}", cols[1], cols[2]));
        }
        let mut got = std::collections::BTreeMap::new();
        let out = stdout(&run(&[
            "-n",
            "-r",
            &pcap,
            "--findings",
            "off",
            "--color",
            "never",
        ]));
        for line in out.lines() {
            let Some(number) = line
                .split_whitespace()
                .next()
                .and_then(|n| n.parse::<u64>().ok())
            else {
                continue;
            };
            let edges = |key: &str| -> Vec<&str> {
                line.split(' ')
                    .filter_map(|w| w.strip_prefix(key))
                    .collect()
            };
            let (le, re) = (edges("SLE="), edges("SRE="));
            if !le.is_empty() {
                got.insert(number, format!("{} {}", le.join(","), re.join(",")));
            }
        }
        assert_eq!(got, want, "{name}: SLE/SRE of the summary lines");
        blocks += want.len();
        // The -V tree of the same frames.
        let tree = stdout(&run(&["-n", "-r", &pcap, "-V", "--findings", "off"]));
        let left: Vec<&str> = tree
            .lines()
            .filter_map(|l| l.trim().strip_prefix("left edge = "))
            .filter_map(|l| l.strip_suffix(" (relative)"))
            .collect();
        let want_left: Vec<&str> = want
            .values()
            .flat_map(|v| v.split(' ').next().unwrap_or_default().split(','))
            .collect();
        assert_eq!(left, want_left, "{name}: left edges of the -V tree");
    }
    assert!(blocks >= 40, "only {blocks} frames with SACK compared");
}
