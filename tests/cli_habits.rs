//! tcpdump/tshark habits: `-r -` from standard input, NO_COLOR, no progress bar when stderr
//! is not a terminal, `-D`, man page and completions from the binary, `-w` from a replay.

mod common;
use common::*;
use std::io::Write;
use std::process::Stdio;

fn http_capture() -> std::path::PathBuf {
    captures().join("squirrel-http.pcap")
}

#[test]
fn replay_from_standard_input() {
    let bytes = std::fs::read(http_capture()).expect("read");
    let mut child = bin()
        .args(["-r", "-", "--json"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(&bytes)
        .expect("write");
    let o = child.wait_with_output().expect("wait");
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let v = ndjson(&o);
    assert_eq!(of_type(&v, "packet").len(), 12);
    assert_eq!(of_type(&v, "http.request").len(), 1);
}

#[test]
fn no_color_wins_over_always() {
    let p = http_capture();
    let o = bin()
        .env("NO_COLOR", "1")
        .args(["-r", p.to_str().expect("p"), "--color", "always"])
        .output()
        .expect("run");
    assert!(!o.stdout.contains(&0x1b), "NO_COLOR must switch colour off");
    let o = run(&["-r", p.to_str().expect("p"), "--color", "always"]);
    assert!(o.stdout.contains(&0x1b), "--color always colours a pipe");
    let o = run(&["-r", p.to_str().expect("p")]);
    assert!(!o.stdout.contains(&0x1b), "auto: no colour into a pipe");
}

#[test]
fn progress_bar_absent_when_stderr_is_not_a_terminal() {
    let p = http_capture();
    let o = run(&["-r", p.to_str().expect("p"), "--progress", "-q"]);
    assert_eq!(o.status.code(), Some(0));
    assert!(
        o.stderr.is_empty(),
        "stderr: {:?}",
        String::from_utf8_lossy(&o.stderr)
    );
}

#[test]
fn list_interfaces_includes_loopback() {
    let o = run(&["-D"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let s = stdout(&o);
    assert!(s.lines().any(|l| l.starts_with("1.")), "{s}");
    assert!(
        s.lines()
            .any(|l| l.contains(".lo ") || l.ends_with(".lo") || l.contains(".lo [")),
        "{s}"
    );
}

#[test]
fn man_page_and_completions_from_the_binary() {
    let o = run(&["man"]);
    assert_eq!(o.status.code(), Some(0));
    let s = stdout(&o);
    assert!(
        s.contains(".TH") && s.contains("squirrel\\-sniff") && s.contains("follow"),
        "{}",
        &s[..s.len().min(400)]
    );
    for shell in ["bash", "zsh", "fish"] {
        let o = run(&["completions", shell]);
        assert_eq!(o.status.code(), Some(0), "{shell}");
        assert!(stdout(&o).contains("--follow"), "{shell}");
    }
}

#[test]
fn write_from_a_replay_with_a_filter_keeps_the_matching_packets() {
    let dir = temp_dir("replay-w");
    let out = dir.join("out.pcap");
    let p = http_capture();
    let o = run(&[
        "-r",
        p.to_str().expect("p"),
        "-w",
        out.to_str().expect("o"),
        "src",
        "port",
        "5683",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(o.stdout.is_empty(), "-w alone prints nothing, like tcpdump");
    let o = run(&["-r", out.to_str().expect("o"), "--json"]);
    let v = ndjson(&o);
    let p = of_type(&v, "packet");
    assert_eq!(p.len(), 5, "the server's five packets");
    assert!(p.iter().all(|x| x["src_port"] == 5683));
    let _ = std::fs::remove_dir_all(&dir);
}
