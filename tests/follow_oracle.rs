//! Reassembled bytes of every TCP stream in the corpus, each direction, equal tshark 4.0's
//! `-z follow,tcp,raw,N` (fixtures made once by scripts/make-follow-fixtures.py: length and
//! SHA-256 per direction), and stream counts equal tshark's.

mod common;
use common::*;

use sha2::{Digest, Sha256};
use squirrel_sniff::capture::FileSource;
use squirrel_sniff::flow::{Direction, FollowItem, FollowSelect};
use squirrel_sniff::pipeline::{run, RunOptions, Source};
use squirrel_sniff::render::color::Palette;
use squirrel_sniff::render::{Mode, Printer};
use std::sync::atomic::AtomicBool;

/// Streams whose tshark bytes are known to differ (see the notes in corpus/README.md and the
/// flow module): after a gap that never fills tshark drops data we keep (marked as holes),
/// and in the re-segmented upload retransmissions carry bytes different from the first copy
/// (we keep the first copy and note the conflict).
const KNOWN_DIFFERENT: [(&str, u32, Direction); 2] = [
    (
        "tcp/out-of-order-http-response.pcap",
        0,
        Direction::ToClient,
    ),
    (
        "tcp/retransmit-resegmented-upload.pcap",
        0,
        Direction::ToServer,
    ),
];

fn hex_sha(b: &[u8]) -> String {
    hex::encode(Sha256::digest(b))
}

#[cfg_attr(no_corpus, ignore = "needs ../shared/corpus")]
#[test]
fn reassembled_bytes_match_tshark_follow() {
    let Some(c) = corpus() else { return };
    let fixtures = fixture_files("follow");
    assert!(fixtures.len() >= 40);
    let (mut checked, mut known) = (0, 0);
    for fx in fixtures {
        let exp: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&fx).expect("read")).expect("json");
        let rel = exp["file"].as_str().expect("file").to_string();
        // "captures/NAME" is this repository's own capture; the rest are corpus files.
        let path = if rel.starts_with("captures/") {
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(&rel)
        } else {
            c.join(&rel)
        };
        let mut src = match FileSource::open(&path) {
            Ok(f) => Source::File(Box::new(f)),
            Err(e) => panic!("{rel}: {e}"),
        };
        let opts = RunOptions {
            follow: Some((FollowSelect::All, 64 << 20)),
            ..RunOptions::default()
        };
        let mut printer = Printer::new(std::io::sink(), Mode::Quiet, false, Palette::new(false));
        let stats = run(&mut src, &opts, &mut printer, &AtomicBool::new(false)).expect("run");
        let fc = stats.follow.expect("follow");
        let ours: Vec<_> = fc.streams().collect();
        let want = exp["streams"].as_array().expect("streams");
        // tshark numbers every stream, data or not; we record streams that had events.
        assert!(
            ours.len() <= want.len() + 1,
            "{rel}: {} streams vs tshark {}",
            ours.len(),
            want.len()
        );
        for w in want {
            let id = w["stream"].as_u64().expect("id") as u32;
            let Some(s) = fc.stream(id) else {
                let empty = w["to_server"]["len"] == 0 && w["to_client"]["len"] == 0;
                assert!(empty, "{rel}: stream {id} missing");
                continue;
            };
            assert_eq!(
                s.client.to_string(),
                w["client"].as_str().expect("client"),
                "{rel} {id}: client"
            );
            assert_eq!(
                s.server.to_string(),
                w["server"].as_str().expect("server"),
                "{rel} {id}: server"
            );
            for (dir, key) in [
                (Direction::ToServer, "to_server"),
                (Direction::ToClient, "to_client"),
            ] {
                let bytes = s.bytes_of(dir);
                if KNOWN_DIFFERENT
                    .iter()
                    .any(|(f, st, d)| *f == rel && *st == id && *d == dir)
                {
                    let holes = s
                        .items
                        .iter()
                        .any(|i| matches!(i, FollowItem::Hole { dir: d, .. } if *d == dir));
                    assert!(holes, "{rel} {id} {key}: gaps are marked as holes");
                    known += 1;
                    continue;
                }
                assert_eq!(
                    bytes.len() as u64,
                    w[key]["len"].as_u64().expect("len"),
                    "{rel} stream {id} {key}: length"
                );
                assert_eq!(
                    hex_sha(&bytes),
                    w[key]["sha256"].as_str().expect("sha"),
                    "{rel} stream {id} {key}: bytes"
                );
                checked += 1;
            }
        }
    }
    assert_eq!(known, 2);
    assert!(checked > 100, "directions checked: {checked}");
}
