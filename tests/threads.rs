//! `-j N`: the output is the same for any number of worker threads. Every bundled and
//! corpus capture (one `--each` run per mode), every mode of scripts/compare-outputs.sh,
//! the `-q` runs the workers serve (with secrets, a capture filter, a count) and the
//! runs that print their frames on a second thread (lines, `-V`, `-x`, `-A`/`-X`,
//! `-T fields`, `--json`; with `--mask`, `-Y`, secret highlights, the end-of-run report and
//! tables), `-j 1` against `-j 4`: stdout, stderr and the exit code byte for byte, and the
//! first lines through a pipe closed early (`| head`). That the printing modes do go to the
//! second thread with `-j N` is tested in `main.rs`; that its printer gets the events in
//! order, in `pipeline::offload`.
//! A live capture on the workers (the same reader as for gzip and merged files) is tested
//! in `tests/live_workers.rs`: its summary against `-j 1` over the file it wrote.

mod common;

use std::path::PathBuf;

fn all_captures() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = Vec::new();
    let mut dirs = vec![common::captures()];
    if let Some(c) = common::corpus() {
        dirs.push(c);
    }
    while let Some(d) = dirs.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() && p.file_name().is_some_and(|n| n != "expected") {
                dirs.push(p);
            } else if p.extension().is_some_and(|x| x == "pcap" || x == "pcapng") {
                files.push(p);
            }
        }
    }
    files.sort();
    files
}

/// What a run printed and how it ended.
fn outcome(out: &std::process::Output) -> (String, String, Option<i32>) {
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out.status.code(),
    )
}

/// `-T fields` with the columns of a TCP trace (and a header line).
const FIELDS: &[&str] = &[
    "-T",
    "fields",
    "-E",
    "header=y",
    "-e",
    "frame.number",
    "-e",
    "ip.src",
    "-e",
    "ip.dst",
    "-e",
    "tcp.srcport",
    "-e",
    "tcp.dstport",
    "-e",
    "tcp.stream",
    "-e",
    "tcp.seq",
    "-e",
    "tcp.ack",
    "-e",
    "tcp.len",
    "-e",
    "frame.len",
    "-e",
    "http.host",
];

fn run(threads: &str, args: &[&str], files: &[PathBuf]) -> (String, String, Option<i32>) {
    let out = common::bin()
        .args(["-j", threads, "--each"])
        .args(args)
        .arg("-r")
        .args(files)
        .output()
        .expect("run squirrel-sniff");
    outcome(&out)
}

#[test]
#[cfg_attr(no_corpus, ignore = "needs ../shared/corpus")]
fn every_capture_in_every_mode_prints_the_same_with_one_or_four_threads() {
    let files = all_captures();
    assert!(
        files.len() > 40,
        "bundled and corpus captures: {}",
        files.len()
    );
    let modes: &[&[&str]] = &[
        // The runs the workers serve.
        &["-q"],
        &["-q", "--secret", "hunter2", "--secret", "example.com"],
        &["-q", "--fail-on-leak", "--secret", "password"],
        &["-q", "--mask", "--secret", "admin"],
        &["-q", "-c", "7"],
        &["-q", "tcp or udp port 53"],
        // As scripts/compare-outputs.sh runs them. With -j 4 the frames are printed on a
        // second thread (pipeline::offload), except with -q, --follow.
        &[],
        &["-V"],
        &["-x"],
        &["-V", "-x"],
        &["--conversations", "-q"],
        &["--hierarchy", "-q"],
        &["--follow", "0"],
        &["--report"],
        // More of the printing modes on the second thread.
        &["-A"],
        &["-X", "-t", "ad"],
        &["-V", "-x", "--secret", "password", "--secret", "admin"],
        &["-x", "--mask", "--secret", "password", "--findings", "end"],
        &["-Y", "http || dns", "--report", "--conversations"],
        &["-V", "-Y", "tls || frame.number <= 3", "--hierarchy"],
        FIELDS,
        &[
            "-T",
            "fields",
            "-e",
            "udp.stream",
            "-e",
            "dns.qry.name",
            "-Y",
            "dns",
        ],
        &["--json"],
        &[
            "--json", "--mask", "--secret", "password", "--secret", "admin",
        ],
        &["--json", "-Y", "http || dns"],
    ];
    let mut quiet_summaries = 0;
    for args in modes {
        let one = run("1", args, &files);
        let four = run("4", args, &files);
        assert_eq!(one.2, four.2, "exit code of {args:?}");
        assert_eq!(one.1, four.1, "stderr of {args:?}");
        assert!(one.0 == four.0, "stdout of {args:?} differs with -j 4");
        quiet_summaries += one.0.matches(" TCP streams").count();
    }
    // The -q runs printed a summary line per capture (the comparison compared something).
    assert!(quiet_summaries >= 6 * 40, "{quiet_summaries} summary lines");
}

/// The first `lines` lines that `args` print over `files` with `threads`, the pipe then
/// closed (`| head`), its stderr and exit code.
fn head(
    threads: &str,
    args: &[&str],
    files: &[PathBuf],
    lines: usize,
) -> (String, String, Option<i32>) {
    use std::io::BufRead;
    let mut child = common::bin()
        .args(["-j", threads, "--each"])
        .args(args)
        .arg("-r")
        .args(files)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run squirrel-sniff");
    let mut first = String::new();
    {
        let mut out = std::io::BufReader::new(child.stdout.take().expect("stdout"));
        for _ in 0..lines {
            if out.read_line(&mut first).unwrap_or(0) == 0 {
                break;
            }
        }
        // Dropped here: the pipe closes with the run going on.
    }
    let out = child.wait_with_output().expect("wait");
    (
        first,
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out.status.code(),
    )
}

/// `| head`: a pipe closed after the first lines ends the run with 0 and nothing on stderr,
/// with the frames printed on the calling thread or on a second one, and the lines are the
/// same.
#[test]
#[cfg_attr(no_corpus, ignore = "needs ../shared/corpus")]
fn a_pipe_closed_early_ends_the_run_alike_with_one_or_four_threads() {
    // Damaged captures end with an input error's exit code: left out here.
    let files: Vec<PathBuf> = all_captures()
        .into_iter()
        .filter(|p| !p.components().any(|c| c.as_os_str() == "malformed"))
        .collect();
    let modes: &[&[&str]] = &[&[], &["-V", "-x"], FIELDS, &["--json"]];
    // Each mode prints more than the pipe and the output buffer hold (≥ 128 KiB) over these
    // files, so the run meets the closed pipe.
    for args in modes {
        let one = head("1", args, &files, 25);
        let four = head("4", args, &files, 25);
        assert_eq!(one.0.lines().count(), 25, "{args:?}: {}", one.0);
        assert_eq!(one, four, "{args:?}");
        assert_eq!(one.2, Some(0), "{args:?}: {}", one.1);
        assert!(one.1.is_empty(), "{args:?}: {}", one.1);
    }
}

/// One `-q` run (with a secret, the conversations and the hierarchy tables) over `files`
/// with `threads` workers.
fn run_quiet(threads: &str, files: &[&std::path::Path]) -> (String, String, Option<i32>) {
    let out = common::bin()
        .args(["-j", threads, "-q", "--secret", "password"])
        .args(["--conversations", "--hierarchy", "-r"])
        .args(files)
        .output()
        .expect("run squirrel-sniff");
    outcome(&out)
}

/// `path` gzip-compressed into `gz`.
fn gzip(path: &std::path::Path, gz: &std::path::Path) {
    use std::io::Write;
    let bytes = std::fs::read(path).expect("read capture");
    let mut enc = flate2::write::GzEncoder::new(
        std::fs::File::create(gz).expect("create gz"),
        flate2::Compression::fast(),
    );
    enc.write_all(&bytes).expect("write gz");
    enc.finish().expect("finish gz");
}

/// Input that is read once — a gzip file, several files merged — goes through one reader
/// that hands the frames to the workers (a regular file is read by every worker; standard
/// input runs on one thread): the same output with one or four threads there too.
#[test]
#[cfg_attr(no_corpus, ignore = "needs ../shared/corpus")]
fn compressed_and_merged_input_prints_the_same_with_one_or_four_threads() {
    let files = all_captures();
    let dir = common::temp_dir("threads-gz");
    let gz = dir.join("capture.gz");
    let mut summaries = 0;
    for f in &files {
        gzip(f, &gz);
        let (one, four) = (run_quiet("1", &[&gz]), run_quiet("4", &[&gz]));
        assert_eq!(one, four, "gzip: {}", f.display());
        summaries += one.0.matches(" TCP streams").count();
    }
    let all: Vec<&std::path::Path> = files.iter().map(|p| p.as_path()).collect();
    let (one, four) = (run_quiet("1", &all), run_quiet("4", &all));
    assert_eq!(one, four, "merged");
    summaries += one.0.matches(" TCP streams").count();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(summaries > 40, "{summaries} summary lines");
}

/// Time that goes back in a file (captures appended one after another): a session one
/// thread expires at a later frame of another session is expired by its worker too, which
/// never saw that frame, before the session's ports come again. TCP sessions with an HTTP
/// request each: ports 40000 at t = 0, 40001 at t = 2000 s (past the 600 s idle timeout),
/// then 40000 again at t = 1 s, mid-stream.
#[test]
fn sessions_expire_alike_with_one_or_four_threads_when_time_goes_back() {
    use etherparse::PacketBuilder;
    let dir = common::temp_dir("threads-time");
    let path = dir.join("back.pcap");
    let cap = pcap::Capture::dead(pcap::Linktype(1)).expect("dead capture");
    let mut file = cap.savefile(&path).expect("savefile");
    let mut emit = |secs: i64,
                    client: u16,
                    to_server: bool,
                    syn: bool,
                    seq: u32,
                    ack: Option<u32>,
                    payload: &[u8]| {
        let (sp, dp) = if to_server {
            (client, 80)
        } else {
            (80, client)
        };
        let mut b = PacketBuilder::ethernet2([0; 6], [0; 6])
            .ipv4([10, 0, 0, 1], [10, 0, 0, 1], 64)
            .tcp(sp, dp, seq, 65535);
        if syn {
            b = b.syn();
        }
        if let Some(a) = ack {
            b = b.ack(a);
        }
        if !payload.is_empty() {
            b = b.psh();
        }
        let mut data = Vec::new();
        b.write(&mut data, payload).expect("build packet");
        let header = pcap::PacketHeader {
            ts: libc::timeval {
                tv_sec: (1_700_000_000 + secs) as _,
                tv_usec: 0,
            },
            caplen: data.len() as u32,
            len: data.len() as u32,
        };
        file.write(&pcap::Packet::new(&header, &data));
    };
    let get: &[u8] = b"GET / HTTP/1.1\r\nHost: a\r\n\r\n";
    for (secs, client, isn) in [(0, 40000, 1000u32), (2000, 40001, 3000)] {
        emit(secs, client, true, true, isn, None, b"");
        emit(secs, client, false, true, 9000, Some(isn + 1), b"");
        emit(secs, client, true, false, isn + 1, Some(9001), get);
    }
    // Picked up mid-stream (no handshake): a new stream only if the first one expired.
    emit(1, 40000, true, false, 7001, Some(9001), get);
    file.flush().expect("flush");
    drop(file);
    let file = [path.clone()];
    // With the conversations table: the workers number their streams apart (the port 40000
    // sessions on one, 40001 on another), the merge numbers them as one thread does.
    let one = run("1", &["-q", "--conversations"], &file);
    let four = run("4", &["-q", "--conversations"], &file);
    // Through one reader (a gzip file) as well.
    let gz = dir.join("back.pcap.gz");
    gzip(&path, &gz);
    let piped = (run_quiet("1", &[&gz]), run_quiet("4", &[&gz]));
    let _ = std::fs::remove_dir_all(&dir);
    assert!(one.0.contains("7 packets"), "{}", one.0);
    assert!(one.0.contains("Stream 2"), "{}", one.0);
    assert_eq!(one, four);
    assert_eq!(piped.0, piped.1);
}
