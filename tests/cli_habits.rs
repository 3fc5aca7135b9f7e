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

/// Where the first packet of a capture file ends: the pcap header and one record, or the
/// pcapng blocks up to and including the first Enhanced/Simple Packet Block (little-endian
/// files, as the bundled and corpus ones are).
fn end_of_first_packet(bytes: &[u8]) -> usize {
    let u32_at = |at: usize| {
        let b: [u8; 4] = bytes[at..at + 4].try_into().expect("4 bytes");
        u32::from_le_bytes(b) as usize
    };
    if bytes.starts_with(&[0x0a, 0x0d, 0x0d, 0x0a]) {
        let mut at = 0;
        loop {
            let (ty, len) = (u32_at(at), u32_at(at + 4));
            at += len;
            if ty == 6 || ty == 3 {
                return at;
            }
        }
    }
    24 + 16 + u32_at(24 + 8)
}

/// `tcpdump -w - | squirrel-sniff -l -r -`: a packet is shown as soon as its bytes are in the
/// pipe, while the writer still holds it open (the first read of the file header must not wait
/// for more bytes). Then the rest goes in and every packet is counted.
fn first_packet_shown_while_the_pipe_stays_open(file: &std::path::Path, packets: usize) {
    use std::time::Duration;
    let bytes = std::fs::read(file).expect("read");
    let first = end_of_first_packet(&bytes);
    let Piped {
        mut child,
        mut stdin,
        lines: rx,
        reader,
    } = piped(&["-l", "-n", "-r", "-"], &bytes[..first]);
    let shown = rx.recv_timeout(Duration::from_secs(30));
    if shown.is_err() {
        let _ = child.kill();
    }
    let line = shown.unwrap_or_else(|_| {
        panic!(
            "{}: no line for packet 1 while the pipe stayed open",
            file.display()
        )
    });
    assert!(
        line.trim_start().starts_with("1 "),
        "{}: the first line shown is packet 1: {line}",
        file.display()
    );
    stdin.write_all(&bytes[first..]).expect("write the rest");
    drop(stdin);
    let status = child.wait().expect("wait");
    reader.join().expect("reader");
    let rest: Vec<String> = rx.try_iter().collect();
    assert_eq!(status.code(), Some(0), "{}", file.display());
    let numbered = rest
        .iter()
        .filter(|l| {
            l.trim_start()
                .split(' ')
                .next()
                .is_some_and(|n| n.parse::<usize>().is_ok())
        })
        .count();
    assert_eq!(
        1 + numbered,
        packets,
        "{}: every packet is shown once the rest arrives",
        file.display()
    );
}

#[test]
fn a_pcap_on_standard_input_shows_its_first_packet_before_the_pipe_closes() {
    first_packet_shown_while_the_pipe_stays_open(&http_capture(), 12);
}

#[test]
#[cfg_attr(no_corpus, ignore = "needs ../shared/corpus")]
fn a_pcapng_on_standard_input_shows_its_first_packet_before_the_pipe_closes() {
    let Some(c) = corpus() else { return };
    // 20 packets (capinfos), a Decryption Secrets Block before the first one.
    let file = c.join("decrypt/tls13-aes128.dsb.pcapng");
    first_packet_shown_while_the_pipe_stays_open(&file, 20);
}
