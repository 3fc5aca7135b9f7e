//! The conversations table's counts equal tshark 4.0's `-z conv,tcp` for every TCP
//! conversation in the corpus (fixtures made once by scripts/make-conv-fixtures.py).
//! tshark keys a conversation by its address/port pair, so streams that reuse a pair are
//! summed before comparing.

mod common;
use common::*;

use std::collections::BTreeMap;

#[cfg_attr(no_corpus, ignore = "needs ../shared/corpus")]
#[test]
fn conversation_counts_match_tshark() {
    let Some(c) = corpus() else { return };
    let fixtures = fixture_files("conv");
    assert!(fixtures.len() >= 40);
    let mut compared = 0;
    for fx in fixtures {
        let exp: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&fx).expect("read")).expect("json");
        let rel = exp["file"].as_str().expect("file").to_string();
        let out = run(&["-r", c.join(&rel).to_str().expect("p"), "--json"]);
        assert_eq!(out.status.code(), Some(0), "{rel}: {}", stderr(&out));
        let v = ndjson(&out);
        // (lower endpoint, higher endpoint) -> [frames lo->hi, bytes lo->hi, frames hi->lo, bytes hi->lo]
        let mut ours: BTreeMap<(String, String), [u64; 4]> = BTreeMap::new();
        for s in of_type(&v, "tcp.stream")
            .into_iter()
            .filter(|s| s["event"] == "close")
        {
            let cl = endpoint(s, "src").expect("client");
            let sv = endpoint(s, "dst").expect("server");
            let (ps, bs, pc, bc) = (
                s["packets_to_server"].as_u64().unwrap_or(0),
                s["bytes_to_server"].as_u64().unwrap_or(0),
                s["packets_to_client"].as_u64().unwrap_or(0),
                s["bytes_to_client"].as_u64().unwrap_or(0),
            );
            let (key, add) = if cl <= sv {
                ((cl, sv), [ps, bs, pc, bc])
            } else {
                ((sv, cl), [pc, bc, ps, bs])
            };
            let e = ours.entry(key).or_default();
            for i in 0..4 {
                e[i] += add[i];
            }
        }
        let mut want: BTreeMap<(String, String), [u64; 4]> = BTreeMap::new();
        for cv in exp["conversations"].as_array().expect("convs") {
            let a = cv["a"].as_str().expect("a").to_string();
            let b = cv["b"].as_str().expect("b").to_string();
            let n = |k: &str| cv[k].as_u64().unwrap_or(0);
            let (key, add) = if a <= b {
                (
                    (a, b),
                    [n("frames_ab"), n("bytes_ab"), n("frames_ba"), n("bytes_ba")],
                )
            } else {
                (
                    (b, a),
                    [n("frames_ba"), n("bytes_ba"), n("frames_ab"), n("bytes_ab")],
                )
            };
            let e = want.entry(key).or_default();
            for i in 0..4 {
                e[i] += add[i];
            }
        }
        assert_eq!(ours, want, "{rel}: conversations (frames/bytes each way)");
        compared += want.len();
    }
    assert!(compared >= 100, "conversations compared: {compared}");
}
