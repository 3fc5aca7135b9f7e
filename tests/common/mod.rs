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

/// `../shared/corpus` beside the checkout (CI has it there). Tests that call this carry
/// `#[cfg_attr(no_corpus, ignore = ...)]`: build.rs sets `no_corpus` when the corpus is absent,
/// so they show as ignored in the runner's summary. Reaching here without it is a failure, never
/// a silent pass. (Returns an Option so call sites read `let Some(c) = corpus() else ...`.)
pub fn corpus() -> Option<PathBuf> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    if p.join("MANIFEST.tsv").exists() {
        Some(p)
    } else {
        panic!(
            "../shared/corpus is missing: this test needs it (build.rs marks such tests ignored \
             when the corpus is absent at build time; rebuild)"
        );
    }
}

pub fn captures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("captures")
}

/// The path of the bundled capture `captures/NAME`, as an argument.
pub fn capture(name: &str) -> String {
    captures().join(name).to_string_lossy().into_owned()
}

/// The files in `tests/fixtures/DIR`, sorted.
pub fn fixture_files(dir: &str) -> Vec<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(dir);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .collect();
    files.sort();
    files
}

/// Whether `needle` occurs in `hay` (an empty needle does).
pub fn contains(hay: &[u8], needle: &[u8]) -> bool {
    needle.is_empty() || hay.windows(needle.len()).any(|w| w == needle)
}

pub fn run(args: &[&str]) -> Output {
    bin().args(args).output().expect("run squirrel-sniff")
}

/// `-r PCAP -Y FILTER -T fields -e frame.number`: the frames a display filter keeps.
pub fn filter_frames(pcap: &str, filter: &str) -> Output {
    run(&[
        "-r",
        pcap,
        "-Y",
        filter,
        "-T",
        "fields",
        "-e",
        "frame.number",
    ])
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

/// NDJSON records of `pcap` decrypted with key log `keys`, searching for `secret`.
pub fn ndjson_with_keys(pcap: &str, keys: &str, secret: &str) -> Vec<serde_json::Value> {
    let out = run(&["-r", pcap, "--keylog", keys, "--json", "--secret", secret]);
    assert!(out.status.success(), "{}", stderr(&out));
    ndjson(&out)
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

// ---------------------------------------------------------------------------------------------
// Hex dump (-x) parsing

/// One frame's block in `-x` output: its number, then each hex line with the marker line
/// under it (if any; `^^` under leaked bytes when colour is off).
#[derive(Debug, Default)]
pub struct HexBlock {
    pub frame: u64,
    pub lines: Vec<(String, Option<String>)>,
}

fn is_hex_line(l: &str) -> bool {
    l.len() > 6
        && l.get(..4)
            .is_some_and(|p| p.chars().all(|c| c.is_ascii_hexdigit()))
        && l.get(4..6) == Some("  ")
}

fn is_marker_line(l: &str) -> bool {
    l.contains('^') && l.chars().all(|c| c == ' ' || c == '^')
}

/// Split `-x` output (colour off) into per-frame blocks.
pub fn hex_blocks(out: &str) -> Vec<HexBlock> {
    let mut blocks: Vec<HexBlock> = Vec::new();
    for l in out.lines() {
        if is_hex_line(l) {
            if let Some(b) = blocks.last_mut() {
                b.lines.push((l.to_string(), None));
            }
        } else if is_marker_line(l) {
            if let Some((_, m)) = blocks.last_mut().and_then(|b| b.lines.last_mut()) {
                *m = Some(l.to_string());
            }
        } else if let Some(n) = l
            .split_whitespace()
            .next()
            .and_then(|t| t.parse::<u64>().ok())
        {
            // A summary line starts with the frame number (finding lines start with a symbol).
            blocks.push(HexBlock {
                frame: n,
                lines: Vec::new(),
            });
        }
    }
    blocks
}

impl HexBlock {
    /// The frame's bytes, read back from the hex column.
    pub fn bytes(&self) -> Vec<u8> {
        self.lines
            .iter()
            .flat_map(|(l, _)| hex_line_bytes(l))
            .collect()
    }

    /// The bytes that have `^^` under them in the hex column, in order.
    pub fn marked(&self) -> Vec<u8> {
        let mut out = Vec::new();
        for (l, m) in &self.lines {
            let Some(m) = m else { continue };
            for (i, b) in hex_line_bytes(l).into_iter().enumerate() {
                let col = 6 + 3 * i;
                if m.get(col..col + 2) == Some("^^") {
                    out.push(b);
                }
            }
        }
        out
    }

    /// The ASCII column of all lines, concatenated.
    pub fn ascii(&self) -> String {
        self.lines.iter().filter_map(|(l, _)| l.get(56..)).collect()
    }
}

/// The up-to-16 bytes of one hex dump line (`OOOO  xx xx ...  ascii`).
pub fn hex_line_bytes(l: &str) -> Vec<u8> {
    let mut out = Vec::new();
    for i in 0..16 {
        let col = 6 + 3 * i;
        match l
            .get(col..col + 2)
            .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            Some(b) if l.get(col + 2..col + 3).is_none_or(|s| s == " ") => out.push(b),
            _ => break,
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Small test captures

/// Where a test may write its own files; removed by the caller.
pub fn temp_dir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("ss-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&d).expect("temp dir");
    d
}

/// A synthetic IPv4/TCP exchange on 127.0.0.1, client port 40000 → server `port`, built with
/// etherparse and written with libpcap's savefile (Ethernet link type): three-way handshake,
/// each of `request_pieces` in its own PSH segment, `response` in one segment, then FIN both
/// ways. Frame numbers: 1-3 handshake, 4.. the request pieces, then the response.
pub fn synth_tcp_exchange(
    path: &std::path::Path,
    port: u16,
    request_pieces: &[&[u8]],
    response: &[u8],
) {
    use etherparse::PacketBuilder;
    let cap = pcap::Capture::dead(pcap::Linktype(1)).expect("dead capture");
    let mut file = cap.savefile(path).expect("savefile");
    let (cport, c_isn, s_isn) = (40000u16, 1000u32, 5000u32);
    let mut usec = 0i64;
    let mut emit = |to_server: bool, flags: &str, seq: u32, ack: Option<u32>, payload: &[u8]| {
        let (src, dst, sp, dp) = if to_server {
            ([127, 0, 0, 1], [127, 0, 0, 1], cport, port)
        } else {
            ([127, 0, 0, 1], [127, 0, 0, 1], port, cport)
        };
        let mut b = PacketBuilder::ethernet2([0; 6], [0; 6])
            .ipv4(src, dst, 64)
            .tcp(sp, dp, seq, 65535);
        if flags.contains('S') {
            b = b.syn();
        }
        if flags.contains('F') {
            b = b.fin();
        }
        if flags.contains('P') {
            b = b.psh();
        }
        if let Some(a) = ack {
            b = b.ack(a);
        }
        let mut data = Vec::new();
        b.write(&mut data, payload).expect("build packet");
        usec += 1000;
        let header = pcap::PacketHeader {
            ts: libc::timeval {
                tv_sec: 1_700_000_000 + usec / 1_000_000,
                tv_usec: (usec % 1_000_000) as _,
            },
            caplen: data.len() as u32,
            len: data.len() as u32,
        };
        file.write(&pcap::Packet::new(&header, &data));
    };
    let mut cseq = c_isn;
    let mut sseq = s_isn;
    emit(true, "S", cseq, None, b"");
    cseq += 1;
    emit(false, "S", sseq, Some(cseq), b"");
    sseq += 1;
    emit(true, "", cseq, Some(sseq), b"");
    for p in request_pieces {
        emit(true, "P", cseq, Some(sseq), p);
        cseq += p.len() as u32;
    }
    emit(false, "P", sseq, Some(cseq), response);
    sseq += response.len() as u32;
    emit(true, "", cseq, Some(sseq), b"");
    emit(true, "F", cseq, Some(sseq), b"");
    cseq += 1;
    emit(false, "F", sseq, Some(cseq), b"");
    sseq += 1;
    emit(true, "", cseq, Some(sseq), b"");
    file.flush().expect("flush");
}

/// Whether live capture can run here: root. Without root says "skipped" and returns false;
/// with CI=true a skip is a failure.
pub fn can_capture() -> bool {
    if is_root() {
        return true;
    }
    if ci() {
        panic!("live capture tests must run in CI (CI=true) but this process is not root");
    }
    eprintln!("skipped: live capture needs root or CAP_NET_RAW");
    false
}

/// Wait until a live capture started with piped stderr says it is listening on `lo`; the
/// rest of its stderr is read in the background (the child never blocks on it) and is what
/// the handle returns once the child ends.
pub fn listening(child: &mut std::process::Child) -> std::thread::JoinHandle<String> {
    use std::io::{BufRead, BufReader, Read};
    let mut r = BufReader::new(child.stderr.take().expect("stderr"));
    let mut line = String::new();
    r.read_line(&mut line).expect("read stderr");
    assert!(
        line.contains("listening on lo"),
        "unexpected first stderr line: {line}"
    );
    std::thread::spawn(move || {
        let mut s = String::new();
        let _ = r.read_to_string(&mut s);
        s
    })
}

/// Spawn the sniffer with `args` (stdout and stderr piped) and wait until it says it is
/// listening on `lo`; the handle gives the rest of its stderr once it ends.
pub fn spawn_sniffer(args: &[&str]) -> (std::process::Child, std::thread::JoinHandle<String>) {
    use std::process::Stdio;
    let mut child = bin()
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let rest = listening(&mut child);
    (child, rest)
}

/// What `child` (ended, its stdout piped) wrote to stdout.
pub fn child_stdout(child: &mut std::process::Child) -> String {
    use std::io::Read;
    let mut out = String::new();
    child
        .stdout
        .take()
        .expect("stdout")
        .read_to_string(&mut out)
        .expect("read");
    out
}

/// Ctrl-C for `child` (SIGINT).
pub fn interrupt(child: &std::process::Child) {
    let st = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(st.success());
}

/// Wait for `child` to end; kill it and fail past `secs` seconds.
pub fn wait_or_kill(child: &mut std::process::Child, secs: u64) -> std::process::ExitStatus {
    let t = std::time::Instant::now();
    loop {
        if let Some(st) = child.try_wait().expect("wait") {
            return st;
        }
        if t.elapsed() > std::time::Duration::from_secs(secs) {
            let _ = child.kill();
            panic!("squirrel-sniff did not stop within {secs}s");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

/// Capture real loopback traffic with the binary (`-i lo -w FILE tcp port P`) while a client
/// sends `request_pieces` to a one-shot server on 127.0.0.1, each piece in its own write with
/// TCP_NODELAY and a pause between (so each becomes its own segment). Returns the server port.
/// Needs root (see [`can_capture`]).
pub fn live_capture_pieces(
    path: &std::path::Path,
    request_pieces: &[&[u8]],
    response: &'static [u8],
) -> u16 {
    use std::io::{Read, Write};
    use std::net::{TcpListener, TcpStream};
    use std::process::Stdio;
    use std::time::{Duration, Instant};

    let l = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = l.local_addr().expect("addr").port();
    let server = std::thread::spawn(move || {
        let Ok((mut s, _)) = l.accept() else { return };
        let mut buf = [0u8; 4096];
        let mut got = Vec::new();
        while !got.windows(4).any(|w| w == b"\r\n\r\n") {
            match s.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(k) => got.extend_from_slice(buf.get(..k).unwrap_or_default()),
            }
        }
        let _ = s.write_all(response);
    });

    let p = port.to_string();
    let mut child = bin()
        .args([
            "-i",
            "lo",
            "-w",
            path.to_str().expect("utf-8 path"),
            "tcp",
            "port",
            &p,
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn capture");
    let rest = listening(&mut child);

    let mut c = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    c.set_nodelay(true).expect("nodelay");
    for (i, piece) in request_pieces.iter().enumerate() {
        if i > 0 {
            std::thread::sleep(Duration::from_millis(150));
        }
        c.write_all(piece).expect("send");
    }
    let mut resp = Vec::new();
    let _ = c.read_to_end(&mut resp);
    drop(c);
    server.join().expect("server");
    std::thread::sleep(Duration::from_millis(300));
    interrupt(&child);
    let t = Instant::now();
    let status = loop {
        if let Some(st) = child.try_wait().expect("wait") {
            break st;
        }
        if t.elapsed() > Duration::from_secs(20) {
            let _ = child.kill();
            panic!("squirrel-sniff did not stop within 20s");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let err = rest.join().unwrap_or_default();
    assert!(status.success(), "capture exit {status:?}: {err}");
    assert!(
        resp.ends_with(
            response
                .get(response.len().saturating_sub(11)..)
                .unwrap_or_default()
        ),
        "response received"
    );
    port
}

/// A one-shot HTTP server on 127.0.0.1:<free port>: answers `n` requests with
/// `200 OK` and the body `fluffy tail`, then stops (join the handle to wait for it).
pub fn http_server(n: usize) -> (u16, std::thread::JoinHandle<()>) {
    use std::io::{Read, Write};
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = l.local_addr().expect("addr").port();
    let h = std::thread::spawn(move || {
        for _ in 0..n {
            let Ok((mut s, _)) = l.accept() else { return };
            let mut buf = [0u8; 4096];
            let mut got = Vec::new();
            while !got.windows(4).any(|w| w == b"\r\n\r\n") {
                match s.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(k) => got.extend_from_slice(buf.get(..k).unwrap_or(&[])),
                }
            }
            let _ = s.write_all(
                b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 11\r\nConnection: close\r\n\r\nfluffy tail",
            );
        }
    });
    (port, h)
}

/// The TCP stream index of a JSON v2 record: its `session` when its `transport` is `tcp`.
pub fn tcp_stream(v: &serde_json::Value) -> Option<u64> {
    if v["transport"] == "tcp" {
        v["session"].as_u64()
    } else {
        None
    }
}

/// `ip:port` of a JSON v2 record's `src` or `dst` side (`src_ip` and `src_port`, ...).
pub fn endpoint(v: &serde_json::Value, side: &str) -> Option<String> {
    let ip = v[format!("{side}_ip")].as_str()?;
    let port = v[format!("{side}_port")].as_u64()?;
    Some(if ip.contains(':') {
        format!("[{ip}]:{port}")
    } else {
        format!("{ip}:{port}")
    })
}

/// The binary reading a capture from a pipe the test holds open, its standard output read
/// line by line in a thread (`lines`), as `tcpdump -U -w - | squirrel-sniff -r - …` runs.
pub struct Piped {
    pub child: std::process::Child,
    pub stdin: std::process::ChildStdin,
    pub lines: std::sync::mpsc::Receiver<String>,
    pub reader: std::thread::JoinHandle<()>,
}

/// Start the binary with `args` (which read `-r -`) and write `first` into its pipe.
pub fn piped(args: &[&str], first: &[u8]) -> Piped {
    use std::io::{BufRead, Write};
    use std::process::Stdio;
    let mut child = bin()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut stdin = child.stdin.take().expect("stdin");
    stdin.write_all(first).expect("write to the pipe");
    stdin.flush().expect("flush");
    let (tx, lines) = std::sync::mpsc::channel();
    let out = std::io::BufReader::new(child.stdout.take().expect("stdout"));
    let reader = std::thread::spawn(move || {
        for line in out.lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    Piped {
        child,
        stdin,
        lines,
        reader,
    }
}
