//! Live output the way a person sees it: the test reads the sniffer's stdout WHILE it is
//! still capturing on `lo` and checks that an HTTP request's line arrives within 1 s of the
//! request — through a pipe (flushed every 250 ms), through a pipe with `-l`, and on a
//! terminal (a pseudo-terminal) — then stops it with SIGINT: exit 0, statistics on stderr.
//! Needs root or CAP_NET_RAW (says "skipped" otherwise; with CI=true a skip fails).

mod common;
use common::*;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Stdio};
use std::sync::mpsc::{channel, Receiver};
use std::time::{Duration, Instant};

/// The latency a person accepts between a request and its line (issue #11).
const PROMPT: Duration = Duration::from_secs(1);

/// The tests of this file share `lo`. The flood test fills it for 1.5 s: a sniffer opened
/// meanwhile receives flood packets in the moment between opening and its port filter, which
/// can fill its kernel ring before it reads, so the kernel drops the packets the test then
/// sends (seen twice in CI: the first request never showed). The flood runs alone.
static LO: std::sync::RwLock<()> = std::sync::RwLock::new(());

/// Held by a test that must not overlap the flood.
fn lo_shared() -> std::sync::RwLockReadGuard<'static, ()> {
    LO.read().unwrap_or_else(|e| e.into_inner())
}

fn get(port: u16, path: &str) -> String {
    let mut s = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    let req = format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n");
    s.write_all(req.as_bytes()).expect("send");
    let mut resp = String::new();
    let _ = s.read_to_string(&mut resp);
    resp
}

/// A running sniffer: its stdout lines arrive on `lines` with the instant each was read.
struct Sniffer {
    child: Child,
    lines: Receiver<(Instant, String)>,
    /// Reads stdout; it ends (closing the pipe) when `lines` is dropped and a line comes.
    reader: std::thread::JoinHandle<()>,
    stderr: std::thread::JoinHandle<String>,
}

/// Start `squirrel-sniff ARGS` with `stdout` (a pipe, or a pty's slave side read through
/// `reader`), and wait until it says it is listening.
fn start(args: &[&str], stdout: Stdio, reader: Option<Box<dyn Read + Send>>) -> Sniffer {
    let mut cmd = bin();
    cmd.args(args)
        .stdout(stdout)
        .stderr(Stdio::piped())
        .env("TERM", "xterm");
    let mut child = cmd.spawn().expect("spawn");
    drop(cmd); // closes our copy of a pty slave, so the master reads EOF/EIO at the end
    let reader: Box<dyn Read + Send> = match reader {
        Some(r) => r,
        None => Box::new(child.stdout.take().expect("stdout")),
    };
    let (tx, lines) = channel();
    let reader = std::thread::spawn(move || {
        let mut r = BufReader::new(reader);
        let mut buf = Vec::new();
        loop {
            buf.clear();
            match r.read_until(b'\n', &mut buf) {
                Ok(0) | Err(_) => break,
                Ok(_) => {
                    let l = String::from_utf8_lossy(&buf).trim_end().to_string();
                    if tx.send((Instant::now(), l)).is_err() {
                        break;
                    }
                }
            }
        }
    });
    let mut err = BufReader::new(child.stderr.take().expect("stderr"));
    let mut first = String::new();
    err.read_line(&mut first).expect("stderr");
    assert!(
        first.contains("listening on lo"),
        "first stderr line: {first}"
    );
    let stderr = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = err.read_to_string(&mut s);
        s
    });
    Sniffer {
        child,
        lines,
        reader,
        stderr,
    }
}

impl Sniffer {
    /// The first line containing `needle`, with when it arrived (None after `wait`).
    fn line_with(&self, needle: &str, wait: Duration) -> Option<(Instant, String)> {
        let end = Instant::now() + wait;
        loop {
            let left = end.checked_duration_since(Instant::now())?;
            match self.lines.recv_timeout(left) {
                Ok((t, l)) if l.contains(needle) => return Some((t, l)),
                Ok(_) => {}
                Err(_) => return None,
            }
        }
    }

    /// SIGINT, then the exit status and stderr (fails if it does not stop in 10 s).
    fn interrupt(mut self) -> (std::process::ExitStatus, String) {
        let st = std::process::Command::new("kill")
            .args(["-INT", &self.child.id().to_string()])
            .status()
            .expect("kill");
        assert!(st.success());
        let t = Instant::now();
        let status = loop {
            if let Some(st) = self.child.try_wait().expect("wait") {
                break st;
            }
            if t.elapsed() > Duration::from_secs(10) {
                let _ = self.child.kill();
                panic!("squirrel-sniff did not stop after SIGINT");
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        (status, self.stderr.join().unwrap_or_default())
    }
}

/// Request `path` from a one-shot server while `sniffer` captures its port; the request's
/// summary line must arrive within [`PROMPT`] of the request, before the capture ends.
fn request_line_arrives_promptly(
    args: &[&str],
    stdout: Stdio,
    reader: Option<Box<dyn Read + Send>>,
    path: &str,
) {
    let (port, srv) = http_server(1);
    let p = port.to_string();
    let mut all: Vec<&str> = vec!["-i", "lo", "--port", &p];
    all.extend_from_slice(args);
    let s = start(&all, stdout, reader);
    let sent = Instant::now();
    assert!(get(port, path).ends_with("fluffy tail"));
    srv.join().expect("server");
    let needle = format!("GET {path} HTTP/1.1");
    let got = s.line_with(&needle, Duration::from_secs(5));
    let (status, err) = s.interrupt();
    let (at, line) = got.unwrap_or_else(|| {
        panic!("no line with {needle:?} while capturing ({args:?}); stderr: {err}")
    });
    let delay = at.duration_since(sent);
    assert!(
        delay < PROMPT,
        "{args:?}: the request's line came {delay:?} after the request: {line}"
    );
    assert!(status.success(), "exit {status:?}: {err}");
    // The capture statistics reach stderr whatever stdout is.
    assert!(err.contains(" packets captured"), "{err}");
    assert!(err.contains("packets received by filter"), "{err}");
}

#[test]
fn into_a_pipe_the_request_line_arrives_within_a_second() {
    if !can_capture() {
        return;
    }
    let _lo = lo_shared();
    request_line_arrives_promptly(&[], Stdio::piped(), None, "/live/pipe");
}

#[test]
fn into_a_pipe_with_l_the_request_line_arrives_within_a_second() {
    if !can_capture() {
        return;
    }
    let _lo = lo_shared();
    request_line_arrives_promptly(&["-l"], Stdio::piped(), None, "/live/pipe-l");
    request_line_arrives_promptly(
        &["--line-buffered"],
        Stdio::piped(),
        None,
        "/live/pipe-line",
    );
}

#[test]
fn on_a_terminal_the_request_line_arrives_within_a_second() {
    if !can_capture() {
        return;
    }
    let _lo = lo_shared();
    let pty = nix::pty::openpty(None, None).expect("openpty");
    let master = std::fs::File::from(pty.master);
    request_line_arrives_promptly(
        &[],
        Stdio::from(pty.slave),
        Some(Box::new(master)),
        "/live/terminal",
    );
}

#[test]
fn json_into_a_pipe_is_flushed_while_capturing() {
    if !can_capture() {
        return;
    }
    let _lo = lo_shared();
    let (port, srv) = http_server(1);
    let p = port.to_string();
    let s = start(&["-i", "lo", "--port", &p, "--json"], Stdio::piped(), None);
    let sent = Instant::now();
    assert!(get(port, "/live/json").ends_with("fluffy tail"));
    srv.join().expect("server");
    let got = s.line_with("\"uri\":\"/live/json\"", Duration::from_secs(5));
    let (status, err) = s.interrupt();
    let (at, line) = got.unwrap_or_else(|| panic!("no http.request record; stderr: {err}"));
    let v: serde_json::Value = serde_json::from_str(&line).expect("one JSON object");
    assert_eq!(v["type"], "http.request");
    assert!(
        at.duration_since(sent) < PROMPT,
        "{:?}",
        at.duration_since(sent)
    );
    assert!(status.success(), "exit {status:?}: {err}");
}

#[test]
fn statistics_reach_stderr_after_the_pipe_reader_went_away() {
    if !can_capture() {
        return;
    }
    let _lo = lo_shared();
    let (port, srv) = http_server(2);
    let p = port.to_string();
    let s = start(&["-i", "lo", "--port", &p], Stdio::piped(), None);
    assert!(get(port, "/live/first").ends_with("fluffy tail"));
    // A bound on waiting (the line comes within a second).
    assert!(s
        .line_with("GET /live/first", Duration::from_secs(20))
        .is_some());
    // The reader goes away (like `| head -1`, or a grep ended by the same Ctrl-C): the
    // next line it gets, it closes the pipe.
    let Sniffer {
        child,
        lines,
        reader,
        stderr,
    } = s;
    drop(lines);
    assert!(get(port, "/live/second").ends_with("fluffy tail"));
    srv.join().expect("server");
    let t = Instant::now();
    while !reader.is_finished() && t.elapsed() < Duration::from_secs(5) {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(reader.is_finished(), "the pipe's reader closed it");
    // More lines go into the closed pipe.
    assert!(get_refused_or_empty(port));
    std::thread::sleep(Duration::from_millis(400));
    let s = Sniffer {
        child,
        lines: channel().1,
        reader,
        stderr,
    };
    let (status, err) = s.interrupt();
    assert!(
        status.success(),
        "a closed pipe is not an error: {status:?}: {err}"
    );
    assert!(err.contains(" packets captured"), "{err}");
    assert!(err.contains("packets received by filter"), "{err}");
}

/// A connection attempt to a port nobody listens on any more (SYN, RST: two more lines).
fn get_refused_or_empty(port: u16) -> bool {
    TcpStream::connect(("127.0.0.1", port)).is_err()
}

/// The number before `suffix` on a line of `err`.
fn count(err: &str, suffix: &str) -> u64 {
    err.lines()
        .find_map(|l| {
            let l = l.strip_prefix("squirrel-sniff: stopped; ").unwrap_or(l);
            l.strip_suffix(suffix)
                .or_else(|| l.split_once(suffix).map(|(n, _)| n))
                .and_then(|n| n.trim().parse().ok())
        })
        .unwrap_or(0)
}

#[test]
fn sigint_under_a_flood_accounts_for_every_packet_and_completes_the_file() {
    if !can_capture() {
        return;
    }
    let _lo = LO.write().unwrap_or_else(|e| e.into_inner());
    let dir = temp_dir("live-flood");
    let file = dir.join("flood.pcap");
    let sink = std::net::UdpSocket::bind("127.0.0.1:0").expect("bind");
    let port = sink.local_addr().expect("addr").port().to_string();
    // -V -x: the slowest output, so the decoder falls behind and a backlog queues up.
    let s = start(
        &[
            "-V",
            "-x",
            "--stats",
            "-w",
            file.to_str().expect("path"),
            "-i",
            "lo",
            "udp",
            "port",
            &port,
        ],
        Stdio::piped(),
        None,
    );
    let drain = std::thread::spawn(move || s.lines.iter().count());
    let tx = std::net::UdpSocket::bind("127.0.0.1:0").expect("bind");
    let t = Instant::now();
    while t.elapsed() < Duration::from_millis(1500) {
        for _ in 0..64 {
            let _ = tx.send_to(&[0x5a; 200], sink.local_addr().expect("addr"));
        }
    }
    let s = Sniffer {
        lines: channel().1,
        ..s
    };
    let (status, err) = s.interrupt();
    let _ = drain.join();
    assert!(status.success(), "exit {status:?}: {err}");
    let captured = count(&err, " packets captured");
    let analysed = err
        .lines()
        .find_map(|l| l.strip_prefix("frames: "))
        .and_then(|l| l.split(", ").nth(1))
        .and_then(|x| x.strip_suffix(" analysed"))
        .and_then(|n| n.parse::<u64>().ok())
        .unwrap_or_else(|| panic!("no analysed count: {err}"));
    let behind = count(&err, " packets not decoded");
    let not_analysed = count(&err, " queued packets were not analysed");
    assert!(captured > 1000, "a flood was captured: {err}");
    assert_eq!(
        captured,
        analysed + behind + not_analysed,
        "every captured packet is analysed, dropped for falling behind, or left queued: {err}"
    );
    // The -w file is complete: it holds every captured packet.
    let o = run(&["-r", file.to_str().expect("path"), "-q", "--stats"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stderr(&o).contains(&format!("frames: {captured} read")),
        "{}",
        stderr(&o)
    );
    let _ = std::fs::remove_dir_all(&dir);
}
