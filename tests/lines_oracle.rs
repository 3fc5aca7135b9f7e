//! The summary lines against tshark 4.0's: for every corpus capture and every
//! captures/*.pcap, tshark's `-n` lines (tests/fixtures/lines/, scripts/make-lines-fixtures.sh,
//! key-logged captures read with their keys) and squirrel-sniff's are compared frame by
//! frame on the Protocol, Length and Info columns. The frames that differ on purpose or by a
//! difference not built yet are listed in tests/fixtures/lines/known-differences.tsv; every
//! other frame must be identical, and a listed frame that became identical must leave the
//! list, so the list only shrinks.

mod common;
use common::*;

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

/// Frame number -> (protocol, length, info) of each numbered line.
fn columns(text: &str) -> BTreeMap<u64, (String, String, String)> {
    let re = regex::Regex::new(r"^\s*(\d+)\s+\S+\s+(?:\S+\s+→\s+\S+\s+)?(\S+)\s+(\d+)\s?(.*)$")
        .expect("regex");
    text.lines()
        .filter_map(|l| re.captures(l))
        .map(|c| {
            (
                c[1].parse().expect("frame number"),
                (
                    c[2].to_string(),
                    c[3].to_string(),
                    c[4].trim_end().to_string(),
                ),
            )
        })
        .collect()
}

#[test]
#[cfg_attr(no_corpus, ignore = "needs ../shared/corpus")]
fn summary_lines_match_tshark() {
    let corpus = corpus().expect("corpus");
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let known: BTreeSet<(String, u64)> =
        std::fs::read_to_string(root.join("tests/fixtures/lines/known-differences.tsv"))
            .expect("known differences")
            .lines()
            .filter(|l| !l.starts_with('#') && !l.is_empty())
            .map(|l| {
                let mut c = l.split('\t');
                let file = c.next().unwrap_or_default().to_string();
                let frame = c.next().and_then(|n| n.parse().ok()).expect("frame number");
                (file, frame)
            })
            .collect();
    let mut differ = BTreeSet::new();
    let (mut frames, mut files) = (0, 0);
    for fixture in fixture_files("lines") {
        let name = fixture.file_name().unwrap().to_string_lossy().into_owned();
        let Some(stem) = name.strip_suffix(".txt") else {
            continue;
        };
        let (dir, file) = stem.split_once("__").expect("DIR__FILE.txt");
        let pcap = if dir == "captures" {
            root.join("captures").join(file)
        } else {
            let found = ["", "http", "tcp", "tls", "link", "malformed", "decrypt"]
                .iter()
                .map(|d| corpus.join(d).join(file))
                .find(|p| p.exists() && p.parent().unwrap().ends_with(dir));
            found.unwrap_or_else(|| panic!("{name}: capture not found"))
        };
        let keys = pcap.with_extension("keys");
        let pcap = pcap.to_string_lossy().into_owned();
        let mut args = vec![
            "-n".to_string(),
            "-r".into(),
            pcap.clone(),
            "--findings".into(),
            "off".into(),
            "--color".into(),
            "never".into(),
        ];
        if keys.exists() {
            args.push("--keylog".into());
            args.push(keys.to_string_lossy().into_owned());
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let want = columns(&std::fs::read_to_string(&fixture).expect("fixture"));
        let got = columns(&stdout(&run(&args)));
        for (n, w) in &want {
            if got.get(n) != Some(w) {
                differ.insert((stem.to_string(), *n));
                if !known.contains(&(stem.to_string(), *n)) {
                    eprintln!("{stem} #{n}\n  tshark {w:?}\n  ours   {:?}", got.get(n));
                }
            }
        }
        frames += want.len();
        files += 1;
    }
    let new: Vec<_> = differ.difference(&known).collect();
    let fixed: Vec<_> = known.difference(&differ).collect();
    eprintln!(
        "{files} captures, {frames} frames: {} differ ({} known)",
        differ.len(),
        known.len()
    );
    assert!(
        files >= 70 && frames >= 2000,
        "{files} captures, {frames} frames"
    );
    assert!(
        new.is_empty(),
        "frames that differ from tshark's lines: {new:?}"
    );
    assert!(
        fixed.is_empty(),
        "frames now as tshark's: take them out of known-differences.tsv: {fixed:?}"
    );
}
