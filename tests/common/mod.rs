//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::{Command, Output};

/// The binary under test.
pub fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_squirrel-sniff"));
    c.env_remove("NO_COLOR");
    c
}

/// `../shared/corpus` beside the checkout (CI has it there). Panics with a clear message when
/// it is missing and CI=true; otherwise returns None so the caller can say "skipped".
pub fn corpus() -> Option<PathBuf> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    if p.join("MANIFEST.tsv").exists() {
        Some(p)
    } else if std::env::var("CI").map(|v| v == "true").unwrap_or(false) {
        panic!("../shared/corpus is missing and CI=true: corpus tests must run in CI");
    } else {
        eprintln!("skipped: ../shared/corpus not found beside the checkout");
        None
    }
}

pub fn captures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("captures")
}

pub fn run(args: &[&str]) -> Output {
    bin().args(args).output().expect("run squirrel-sniff")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Parse NDJSON output into values (every line must be valid JSON).
pub fn ndjson(o: &Output) -> Vec<serde_json::Value> {
    stdout(o)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("invalid JSON line {l:?}: {e}")))
        .collect()
}

pub fn of_type<'a>(v: &'a [serde_json::Value], t: &str) -> Vec<&'a serde_json::Value> {
    v.iter().filter(|x| x["type"] == t).collect()
}

/// Expected facts for a corpus file (made by tshark; see corpus/README.md).
pub fn expected(corpus: &std::path::Path, rel: &str) -> serde_json::Value {
    let p = corpus.join("expected").join(format!("{rel}.json"));
    let s = std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    serde_json::from_str(&s).expect("expected json")
}

pub fn is_root() -> bool {
    // Effective uid 0, read from /proc so no unsafe libc call is needed.
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .map(|l| l.split_whitespace().nth(2) == Some("0"))
        })
        .unwrap_or(false)
}

pub fn ci() -> bool {
    std::env::var("CI").map(|v| v == "true").unwrap_or(false)
}
