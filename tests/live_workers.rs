//! `-j N` on a live capture: a `-q` capture on `lo` runs its analysis on N worker threads
//! (the thread that takes packets from the capture thread is the `-j` reader). Over real
//! loopback HTTP traffic carrying a `--secret` — keep-alive connections long enough to fill
//! many batches, interleaved with one-shot connections and requests with credentials — its
//! summary line and `--fail-on-leak` exit code must equal those of `-r FILE -q -j 1` over
//! the `-w` file it wrote (exactly the packets it captured). Needs root or CAP_NET_RAW:
//! elsewhere it says "skipped"; with CI=true a skip is a failure. Uses 127.0.0.1 and ports
//! the OS picks; every server it starts, it stops.

mod common;
use common::*;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::Child;
use std::time::{Duration, Instant};

const SECRET: &str = "fluffy tail";

/// The flood test fills `lo` and may make the others' captures drop packets: it runs alone.
static LO: std::sync::RwLock<()> = std::sync::RwLock::new(());

/// A keep-alive HTTP server on a port the OS picks: each connection on its own thread,
/// answering every request until the client closes. Responses to `/secret…` carry
/// [`SECRET`]; the others do not. Stops accepting when `stop` is dropped (the listener is
/// closed by a last connection to itself).
struct Server {
    port: u16,
    accept: Option<std::thread::JoinHandle<()>>,
}

impl Server {
    fn start() -> Self {
        let l = TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = l.local_addr().expect("addr").port();
        let accept = std::thread::spawn(move || {
            let mut conns = Vec::new();
            for s in l.incoming() {
                let Ok(s) = s else { break };
                // The last connection, from `Drop`, says stop with an empty first read.
                let mut peek = [0u8; 1];
                if s.peek(&mut peek).map_or(true, |n| n == 0) {
                    break;
                }
                conns.push(std::thread::spawn(move || serve(s)));
            }
            for c in conns {
                let _ = c.join();
            }
        });
        Server {
            port,
            accept: Some(accept),
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        // Wake the accept loop with a connection that sends nothing and closes.
        drop(TcpStream::connect(("127.0.0.1", self.port)));
        if let Some(h) = self.accept.take() {
            let _ = h.join();
        }
    }
}

fn serve(s: TcpStream) {
    let mut w = s.try_clone().expect("clone");
    let mut r = BufReader::new(s);
    loop {
        let mut line = String::new();
        if r.read_line(&mut line).map_or(true, |n| n == 0) {
            return;
        }
        let path = line.split_whitespace().nth(1).unwrap_or("/").to_string();
        // The rest of the head.
        loop {
            let mut h = String::new();
            if r.read_line(&mut h).map_or(true, |n| n == 0) {
                return;
            }
            if h == "\r\n" {
                break;
            }
        }
        let body = if path.starts_with("/secret") {
            format!("the squirrel's {SECRET} at {path}\n")
        } else {
            // A larger body, so that some responses span several segments.
            "acorns ".repeat(40 + path.len() * 37)
        };
        let resp = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        if w.write_all(resp.as_bytes()).is_err() {
            return;
        }
    }
}

/// Send `paths` on one keep-alive connection (every third request with Basic credentials),
/// reading each response whole; `close` asks the server to close after the last.
fn client(port: u16, paths: &[String]) {
    let s = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    let mut w = s.try_clone().expect("clone");
    let mut r = BufReader::new(s);
    for (i, path) in paths.iter().enumerate() {
        let auth = if i % 3 == 2 {
            "Authorization: Basic c3F1aXJyZWw6aHVudGVyMg==\r\n"
        } else {
            ""
        };
        write!(
            w,
            "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n{auth}\r\n"
        )
        .expect("send");
        let mut len = 0usize;
        loop {
            let mut h = String::new();
            r.read_line(&mut h).expect("response head");
            if let Some(v) = h.strip_prefix("Content-Length: ") {
                len = v.trim().parse().expect("length");
            }
            if h == "\r\n" {
                break;
            }
        }
        let mut body = vec![0u8; len];
        r.read_exact(&mut body).expect("response body");
        if path.starts_with("/secret") {
            assert!(String::from_utf8_lossy(&body).contains(SECRET));
        }
        // Paced (≈ 10,000 packets a second at most over the four connections), so that a
        // busy machine does not make the capture drop packets for falling behind, and so
        // that batches are also handed on when traffic is too thin to fill them.
        std::thread::sleep(Duration::from_millis(2));
    }
}

/// The traffic: four keep-alive connections of 60 requests each at once (hundreds of
/// frames each, so each session's frames span many batches and the sessions interleave),
/// and twelve one-shot connections in between.
fn traffic(port: u16) {
    let long: Vec<_> = (0..4)
        .map(|c| {
            std::thread::spawn(move || {
                let paths: Vec<String> = (0..60)
                    .map(|i| match i % 4 {
                        0 => format!("/secret/{c}/{i}"),
                        _ => format!("/page/{c}/{i}"),
                    })
                    .collect();
                client(port, &paths);
            })
        })
        .collect();
    for i in 0..12 {
        let path = if i % 2 == 0 {
            format!("/secret-once/{i}")
        } else {
            format!("/once/{i}")
        };
        client(port, &[path]);
    }
    for h in long {
        h.join().expect("client");
    }
}

/// Spawn the sniffer with `args` and wait until it says it is listening.
fn sniff(args: &[&str]) -> (Child, std::thread::JoinHandle<String>) {
    spawn_sniffer(args)
}

/// Stop the sniffer with SIGINT (unless it stops by itself: `interrupt` false), and return
/// how it ended, its stdout and its stderr.
fn end(
    mut child: Child,
    stderr_rest: std::thread::JoinHandle<String>,
    interrupt: bool,
) -> (std::process::ExitStatus, String, String) {
    if interrupt {
        let st = std::process::Command::new("kill")
            .args(["-INT", &child.id().to_string()])
            .status()
            .expect("kill");
        assert!(st.success());
    }
    let status = wait_or_kill(&mut child, 30);
    let out = child_stdout(&mut child);
    (status, out, stderr_rest.join().unwrap_or_default())
}

/// Threads of process `pid` (from /proc).
fn threads_of(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/task")).map_or(0, |d| d.count())
}

/// The number before `suffix` on a line of `err`.
fn count(err: &str, suffix: &str) -> Option<u64> {
    err.lines()
        .find_map(|l| l.strip_suffix(suffix).and_then(|n| n.trim().parse().ok()))
}

/// Capture the traffic live with `-q -j THREADS -w FILE --secret … --fail-on-leak` (and
/// `extra`), stopped by SIGINT (or by `-c` in `extra`); then replay the file with `-j 1`.
/// The summary lines and exit codes must be equal, and every captured packet analysed.
fn live_equals_replay(threads: &str, extra: &[&str], tag: &str) {
    let _lo = LO.read().unwrap_or_else(|e| e.into_inner());
    let dir = temp_dir(tag);
    let file = dir.join("cap.pcap");
    let f = file.to_str().expect("path");
    let server = Server::start();
    let port = server.port.to_string();
    let mut args = vec![
        "-i",
        "lo",
        "-q",
        "-j",
        threads,
        "-w",
        f,
        "--secret",
        SECRET,
        "--fail-on-leak",
    ];
    args.extend_from_slice(extra);
    args.extend_from_slice(&["tcp", "port", &port]);
    let (child, stderr_rest) = sniff(&args);
    let pid = child.id();
    // The most threads seen while capturing: main, the capture thread, its Ctrl-C watcher,
    // and the N workers.
    let n: usize = threads.parse().expect("threads");
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let sampler = {
        let done = std::sync::Arc::clone(&done);
        std::thread::spawn(move || {
            let mut most = 0;
            while !done.load(std::sync::atomic::Ordering::Relaxed) {
                most = most.max(threads_of(pid));
                std::thread::sleep(Duration::from_millis(5));
            }
            most
        })
    };
    traffic(server.port);
    drop(server);
    done.store(true, std::sync::atomic::Ordering::Relaxed);
    let seen = sampler.join().expect("sampler");
    let counted = extra.contains(&"-c");
    if !counted {
        std::thread::sleep(Duration::from_millis(500));
    }
    let (status, out, err) = end(child, stderr_rest, !counted);
    assert!(
        seen >= 3 + n,
        "-j {threads}: {seen} threads while capturing, want the {n} workers too"
    );
    let captured = count(&err, " packets captured").unwrap_or_else(|| panic!("{err}"));
    assert!(captured >= 400, "{captured} packets captured: {err}");
    assert!(
        !err.contains("not decoded") && !err.contains("not analysed"),
        "every captured packet was analysed: {err}"
    );
    let replay = run(&[
        "-r",
        f,
        "-q",
        "-j",
        "1",
        "--secret",
        SECRET,
        "--fail-on-leak",
    ]);
    let replayed = stdout(&replay);
    eprintln!("-j {threads} live: {out}-j 1 over its file: {replayed}");
    assert!(
        replayed.starts_with(&format!("{captured} packets, ")),
        "the -w file holds every captured packet: {replayed} / {err}"
    );
    assert!(
        replayed.contains("high "),
        "the secret is found: {replayed}"
    );
    assert_eq!(replay.status.code(), Some(7), "a leak: {}", stderr(&replay));
    assert_eq!(
        out, replayed,
        "-j {threads} live against -j 1 over its file"
    );
    assert_eq!(status.code(), replay.status.code(), "exit code: {err}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_live_capture_on_four_workers_finds_what_its_file_replayed_on_one_thread_finds() {
    if !can_capture() {
        return;
    }
    live_equals_replay("4", &[], "live-j4");
}

#[test]
fn a_live_capture_on_two_workers_stopped_by_a_count_finds_what_its_file_finds() {
    if !can_capture() {
        return;
    }
    // -c stops the capture in the middle of the traffic (a session cut short).
    live_equals_replay("2", &["-c", "400"], "live-j2");
}

#[test]
fn sigint_under_a_flood_on_two_workers_accounts_for_every_packet() {
    if !can_capture() {
        return;
    }
    let _lo = LO.write().unwrap_or_else(|e| e.into_inner());
    let dir = temp_dir("live-j2-flood");
    let file = dir.join("flood.pcap");
    let f = file.to_str().expect("path");
    let sink = std::net::UdpSocket::bind("127.0.0.1:0").expect("bind");
    let to = sink.local_addr().expect("addr");
    let port = to.port().to_string();
    let (child, stderr_rest) = sniff(&["-i", "lo", "-q", "-j", "2", "-w", f, "udp", "port", &port]);
    // Many small sessions (a source port each) and one large one, for 1.5 s.
    let tx = std::net::UdpSocket::bind("127.0.0.1:0").expect("bind");
    let t = Instant::now();
    let mut i = 0u32;
    while t.elapsed() < Duration::from_millis(1500) {
        for _ in 0..64 {
            let _ = tx.send_to(&i.to_be_bytes().repeat(50), to);
        }
        if i % 16 == 0 {
            let _ = std::net::UdpSocket::bind("127.0.0.1:0").and_then(|s| s.send_to(b"once", to));
        }
        i += 1;
    }
    // SIGINT while the flood may still be queued.
    let (status, out, err) = end(child, stderr_rest, true);
    assert!(status.success(), "exit {status:?}: {err}");
    let captured = count(&err, " packets captured").unwrap_or_else(|| panic!("{err}"));
    let analysed: u64 = out
        .split_once(" packets, ")
        .and_then(|(n, _)| n.parse().ok())
        .unwrap_or_else(|| panic!("no summary: {out}"));
    let behind = err
        .lines()
        .find_map(|l| {
            l.split_once(" packets not decoded")
                .and_then(|(n, _)| n.parse().ok())
        })
        .unwrap_or(0);
    let not_analysed = err
        .lines()
        .find_map(|l| {
            l.strip_prefix("squirrel-sniff: stopped; ")
                .and_then(|l| l.split_once(" queued packets were not analysed"))
                .and_then(|(n, _)| n.parse().ok())
        })
        .unwrap_or(0);
    assert!(captured > 1000, "a flood was captured: {err}");
    assert_eq!(
        captured,
        analysed + behind + not_analysed,
        "every captured packet is analysed, dropped for falling behind, or left queued: {out}{err}"
    );
    // The -w file holds every captured packet.
    let o = run(&["-r", f, "-q", "-j", "1"]);
    assert!(
        stdout(&o).starts_with(&format!("{captured} packets, ")),
        "{} / {err}",
        stdout(&o)
    );
    let _ = std::fs::remove_dir_all(&dir);
}
