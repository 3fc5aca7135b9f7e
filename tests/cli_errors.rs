//! Each user error gets one clear line on stderr and its documented exit code; no panic.

mod common;
use common::*;
use std::io::{BufRead, BufReader};
use std::process::Stdio;

fn one_line(err: &str) {
    assert_eq!(
        err.lines().count(),
        1,
        "exactly one line on stderr, got: {err:?}"
    );
    assert!(err.starts_with("squirrel-sniff: "), "{err}");
    assert!(
        !err.contains("panicked") && !err.contains("RUST_BACKTRACE"),
        "{err}"
    );
}

fn sample() -> Option<std::path::PathBuf> {
    corpus().map(|c| c.join("link/pcap-big-endian.pcap"))
}

#[test]
fn missing_file_exit_3() {
    let o = run(&["-r", "/nonexistent/x.pcap"]);
    assert_eq!(o.status.code(), Some(3));
    let e = stderr(&o);
    one_line(&e);
    assert!(
        e.contains("/nonexistent/x.pcap") && e.contains("No such file"),
        "{e}"
    );
}

#[test]
fn not_a_capture_exit_3() {
    let o = run(&["-r", concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml")]);
    assert_eq!(o.status.code(), Some(3));
    let e = stderr(&o);
    one_line(&e);
    assert!(e.contains("not a pcap or pcapng capture file"), "{e}");
}

#[test]
fn empty_file_exit_3() {
    let dir = std::env::temp_dir().join(format!("ss-empty-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let p = dir.join("empty.pcap");
    std::fs::write(&p, b"").expect("write");
    let o = run(&["-r", p.to_str().expect("p")]);
    assert_eq!(o.status.code(), Some(3));
    one_line(&stderr(&o));
    let _ = std::fs::remove_dir_all(&dir);
}

#[cfg_attr(no_corpus, ignore = "needs ../shared/corpus")]
#[test]
fn truncated_file_prints_packets_then_says_so_exit_4() {
    let Some(src) = sample() else { return };
    let bytes = std::fs::read(&src).expect("read");
    let dir = std::env::temp_dir().join(format!("ss-trunc-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let p = dir.join("cut.pcap");
    std::fs::write(&p, &bytes[..bytes.len() - 10]).expect("write");
    let o = run(&["-r", p.to_str().expect("p")]);
    assert_eq!(o.status.code(), Some(4), "{}", stderr(&o));
    let e = stderr(&o);
    one_line(&e);
    assert!(e.contains("truncated") && e.contains("22 packets"), "{e}");
    assert_eq!(
        stdout(&o).lines().count(),
        22,
        "the 22 whole packets are printed"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[cfg_attr(no_corpus, ignore = "needs ../shared/corpus")]
#[test]
fn bad_capture_filter_exit_2() {
    let Some(src) = sample() else { return };
    let o = run(&["-r", src.to_str().expect("p"), "tcp", "port"]);
    assert_eq!(o.status.code(), Some(2));
    let e = stderr(&o);
    one_line(&e);
    assert!(e.contains("invalid capture filter `tcp port`"), "{e}");
    assert!(stdout(&o).is_empty());
}

#[test]
fn unknown_interface_exit_5() {
    let o = run(&["-i", "nosuchif0", "-c", "1"]);
    assert_eq!(o.status.code(), Some(5), "{}", stderr(&o));
    let e = stderr(&o);
    one_line(&e);
    assert!(e.contains("no such interface: nosuchif0"), "{e}");
}

#[test]
fn permission_denied_exit_6() {
    // As root, run the binary as `nobody` (setpriv, util-linux) to lose CAP_NET_RAW.
    let mut cmd = if is_root() {
        let mut c = std::process::Command::new("setpriv");
        c.args([
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            "--inh-caps=-all",
            "--bounding-set=-all",
        ]);
        c.arg(env!("CARGO_BIN_EXE_squirrel-sniff"));
        c
    } else {
        bin()
    };
    let o = cmd.args(["-i", "lo", "-c", "1"]).output().expect("run");
    assert_eq!(o.status.code(), Some(6), "{}", stderr(&o));
    let e = stderr(&o);
    one_line(&e);
    assert!(
        e.contains("permission denied") && e.contains("sudo") && e.contains("setcap"),
        "{e}"
    );
}

#[test]
fn nothing_to_do_is_a_usage_error() {
    let o = run(&[]);
    assert_eq!(o.status.code(), Some(2));
    one_line(&stderr(&o));
}

#[test]
fn unknown_option_is_a_usage_error() {
    let o = run(&["--no-such-option"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--no-such-option"));
}

#[cfg_attr(no_corpus, ignore = "needs ../shared/corpus")]
#[test]
fn closed_pipe_ends_quietly_with_exit_0() {
    let Some(src) = sample() else { return };
    let mut child = bin()
        .args(["-r", src.to_str().expect("p"), "-V", "-x"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let stdout = child.stdout.take().expect("stdout");
    let mut first = String::new();
    BufReader::new(stdout).read_line(&mut first).expect("line");
    assert!(first.starts_with("Frame 1: "), "{first}");
    // The reader is dropped here, like `| head -1`.
    let out = child.wait_with_output().expect("wait");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
