//! tshark's and tcpdump's capture flags: `-f`, `-F`, `-a`, `-b`, `-C`/`-G`/`-W`, through the
//! binary. The replay tests run everywhere; the live ones need root (elsewhere they say
//! "skipped"; with CI=true a skip is a failure), use 127.0.0.1 and ports the OS picks, and
//! stop every server and capture they start.

mod common;
use common::*;

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::Child;
use std::time::Duration;

/// The files in `dir` whose names start with `prefix`, sorted.
fn files_in(dir: &Path, prefix: &str) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("read dir")
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(prefix))
        })
        .collect();
    v.sort();
    v
}

/// The file names of `files`.
fn file_names(files: &[PathBuf]) -> Vec<String> {
    files
        .iter()
        .map(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .unwrap_or("")
                .to_string()
        })
        .collect()
}

/// Remove `files`.
fn remove(files: &[PathBuf]) {
    for p in files {
        let _ = std::fs::remove_file(p);
    }
}

/// Run and expect exit 0.
fn run_ok(args: &[&str]) -> std::process::Output {
    let o = run(args);
    assert_eq!(o.status.code(), Some(0), "{args:?}: {}", stderr(&o));
    o
}

/// `-r input -w w` with `extra`, expecting exit 0.
fn write_ok(input: &str, w: &Path, extra: &[&str]) -> std::process::Output {
    let mut args = vec!["-r", input, "-w", w.to_str().expect("utf-8")];
    args.extend_from_slice(extra);
    run_ok(&args)
}

/// Packets in `file` by our own reader (`-q`'s summary line), and that it read cleanly.
fn packets_in(file: &Path) -> u64 {
    let o = run(&["-r", file.to_str().expect("utf-8"), "-q"]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}: {}",
        file.display(),
        stderr(&o)
    );
    let out = stdout(&o);
    out.lines()
        .last()
        .and_then(|l| l.split(" packets").next())
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("no packet count in {out}"))
}

/// A usage error: exit 2 and one line on stderr that mentions `what`.
fn usage_error(args: &[&str], what: &str) {
    let o = run(args);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
    assert_eq!(err.lines().count(), 1, "{args:?}: one line: {err}");
    assert!(err.contains(what), "{args:?}: {err}");
}

/// A capture of one exchange whose request is `pieces` segments of `size` bytes (about
/// `pieces * size` bytes in all), with packet times 1 ms apart.
fn big_capture(dir: &Path, pieces: usize, size: usize) -> PathBuf {
    let path = dir.join("big.pcap");
    let piece = vec![b'a'; size];
    let refs: Vec<&[u8]> = (0..pieces).map(|_| piece.as_slice()).collect();
    synth_tcp_exchange(
        &path,
        8080,
        &refs,
        b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
    );
    path
}

#[test]
fn capture_filter_f_is_the_trailing_expression_also_over_files() {
    let f = capture("dns-udp-tcp.pcap");
    let by_expr = run(&["-r", &f, "tcp"]);
    let by_f = run(&["-r", &f, "-f", "tcp"]);
    assert_eq!(by_f.status.code(), Some(0), "{}", stderr(&by_f));
    assert_eq!(stdout(&by_f), stdout(&by_expr));
    let all = run(&["-r", &f]);
    assert!(stdout(&by_f).lines().count() < stdout(&all).lines().count());
    assert!(stdout(&by_f).lines().all(|l| !l.contains(" UDP ")));
    // tcpdump's -F FILE: the filter read from a file, comments dropped.
    let dir = temp_dir("capflags-ffile");
    let ffile = dir.join("filter.txt");
    std::fs::write(&ffile, "# only TCP\ntcp  # the DNS over TCP\n").expect("write");
    let by_file = run(&["-r", &f, "-F", ffile.to_str().expect("utf-8")]);
    assert_eq!(by_file.status.code(), Some(0), "{}", stderr(&by_file));
    assert_eq!(stdout(&by_file), stdout(&by_expr));
    // Given twice: refused, as tshark refuses -f with a trailing filter.
    usage_error(
        &["-r", &f, "-f", "tcp", "udp"],
        "capture filter is given twice",
    );
    usage_error(
        &["-r", &f, "-f", "tcp", "-F", ffile.to_str().expect("utf-8")],
        "capture filter is given twice",
    );
    usage_error(&["-r", &f, "-f", "tcp port"], "invalid capture filter");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn autostop_packets_is_c_and_duration_is_for_live_captures() {
    let f = capture("ip-fragments.pcap");
    let a = run(&["-r", &f, "-a", "packets:5"]);
    let c = run(&["-r", &f, "-c", "5"]);
    assert_eq!(a.status.code(), Some(0), "{}", stderr(&a));
    assert_eq!(stdout(&a), stdout(&c));
    assert_eq!(stdout(&a).lines().count(), 5);
    // The smaller of -c and -a packets.
    let both = run(&["-r", &f, "-a", "packets:3", "-c", "9"]);
    assert_eq!(stdout(&both).lines().count(), 3);
    usage_error(&["-r", &f, "-a", "duration:1"], "-a duration");
    usage_error(&["-r", &f, "-a", "minutes:1"], "unknown condition");
    usage_error(&["-r", &f, "-a", "packets:x"], "not a whole number");
    usage_error(&["-r", &f, "-a", "filesize:10"], "only with -w");
    usage_error(
        &["-r", &f, "-w", "/nonexistent/x", "-a", "files:2"],
        "only with -b",
    );
}

#[test]
fn output_flags_without_w_or_mixed_are_usage_errors() {
    let f = capture("ip-fragments.pcap");
    usage_error(&["-r", &f, "-b", "filesize:10"], "only with -w");
    usage_error(&["-r", &f, "-C", "1"], "only with -w");
    usage_error(&["-r", &f, "-F", "pcapng"], "only with -w");
    usage_error(
        &["-r", &f, "-w", "/nonexistent/x", "-b", "files:2"],
        "needs a condition",
    );
    usage_error(
        &["-r", &f, "-w", "/nonexistent/x", "-b", "size:2"],
        "unknown condition",
    );
    usage_error(
        &["-r", &f, "-w", "/nonexistent/x", "-W", "2"],
        "-W N needs -C",
    );
    usage_error(
        &[
            "-r",
            &f,
            "-w",
            "/nonexistent/x",
            "-b",
            "packets:2",
            "-C",
            "1",
        ],
        "give one of them",
    );
}

#[test]
fn pcapng_output_reads_back_as_the_pcap_output_does() {
    let f = capture("squirrel-login.pcap");
    let dir = temp_dir("capflags-ng");
    let pcap = dir.join("out.pcap");
    let ng = dir.join("out.pcapng");
    write_ok(&f, &pcap, &[]);
    write_ok(&f, &ng, &["-F", "pcapng"]);
    let bytes = std::fs::read(&ng).expect("read");
    assert_eq!(
        bytes.get(..4),
        Some(&[0x0a, 0x0d, 0x0d, 0x0a][..]),
        "a pcapng section"
    );
    let a = run(&["-r", pcap.to_str().expect("p"), "-V", "-x"]);
    let b = run(&["-r", ng.to_str().expect("p"), "-V", "-x"]);
    assert_eq!(b.status.code(), Some(0), "{}", stderr(&b));
    assert!(!stdout(&a).is_empty());
    assert_eq!(stdout(&a), stdout(&b));
    let info = run(&["info", "--json", ng.to_str().expect("p")]);
    let v: serde_json::Value = serde_json::from_str(stdout(&info).trim()).expect("json");
    assert_eq!(v["file_type"], "pcapng", "{v}");
    assert_eq!(v["packets"], packets_in(&pcap), "{v}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn ring_buffer_b_names_files_as_tshark_and_keeps_the_newest() {
    let f = capture("ip-fragments.pcap");
    let total = packets_in(Path::new(&f));
    let dir = temp_dir("capflags-b");
    let w = dir.join("ring.pcap");
    // Everything, in files of about 4 kB.
    write_ok(&f, &w, &["-b", "filesize:4"]);
    let all = files_in(&dir, "ring_");
    assert!(all.len() >= 4, "{all:?}");
    let mut sum = 0;
    for (i, p) in all.iter().enumerate() {
        let name = p.file_name().and_then(|n| n.to_str()).expect("name");
        let (num, rest) = name
            .strip_prefix("ring_")
            .and_then(|r| r.split_once('_'))
            .expect("ring_NNNNN_...");
        assert_eq!(num, format!("{:05}", i + 1), "{name}");
        let stamp = rest.strip_suffix(".pcap").expect(".pcap kept at the end");
        assert!(
            stamp.len() == 14 && stamp.bytes().all(|b| b.is_ascii_digit()),
            "{name}"
        );
        // Over the limit by at most the packet that crossed it.
        if i + 1 < all.len() {
            assert!(
                std::fs::metadata(p).expect("meta").len() < 4000 + 2000,
                "{name}"
            );
        }
        sum += packets_in(p);
    }
    assert_eq!(sum, total, "every packet in one file");
    remove(&all);
    // files:2 keeps the newest two: the last two of the same series.
    write_ok(&f, &w, &["-b", "filesize:4", "-b", "files:2"]);
    let kept = files_in(&dir, "ring_");
    let names: Vec<String> = kept
        .iter()
        .map(|p| p.file_name().and_then(|n| n.to_str()).unwrap_or("")[..10].to_string())
        .collect();
    let n = all.len();
    assert_eq!(
        names,
        vec![format!("ring_{:05}", n - 1), format!("ring_{n:05}")]
    );
    for p in &kept {
        assert!(packets_in(p) > 0);
    }
    // packets:N and -a files:N: two files of 10 packets, and the run ends with them.
    remove(&kept);
    let o = write_ok(&f, &w, &["-b", "packets:10", "-a", "files:2", "-q"]);
    assert!(stdout(&o).starts_with("20 packets"), "{}", stdout(&o));
    let two = files_in(&dir, "ring_");
    assert_eq!(two.len(), 2, "{two:?}");
    assert!(two.iter().all(|p| packets_in(p) == 10));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn tcpdump_c_w_and_g_name_files_as_tcpdump() {
    let dir = temp_dir("capflags-c");
    // About 3.6 MB in 400 segments.
    let big = big_capture(&dir, 400, 9000);
    let total = packets_in(&big);
    let big = big.to_str().expect("p").to_string();
    let w = dir.join("cap");
    write_ok(&big, &w, &["-C", "1"]);
    let files = files_in(&dir, "cap");
    let names = file_names(&files);
    assert_eq!(names, ["cap", "cap1", "cap2", "cap3"]);
    assert_eq!(files.iter().map(|p| packets_in(p)).sum::<u64>(), total);
    remove(&files);
    // -W 2: a ring of cap0 and cap1 (cap0 written again with the third megabyte).
    write_ok(&big, &w, &["-C", "1", "-W", "2"]);
    let files = files_in(&dir, "cap");
    let names = file_names(&files);
    assert_eq!(names, ["cap0", "cap1"]);
    assert!(files.iter().all(|p| packets_in(p) > 0));
    remove(&files);
    // -G: the name is a strftime pattern of each file's start. 2,500 segments 1 ms apart
    // from 1700000000 (…:13:20 UTC): seconds 20, 21 and 22.
    let _ = std::fs::remove_file(&big);
    let small = big_capture(&dir, 2500, 10);
    let total = packets_in(&small);
    let pattern = dir.join("g-%S.pcap");
    write_ok(small.to_str().expect("p"), &pattern, &["-G", "1"]);
    let files = files_in(&dir, "g-");
    let names = file_names(&files);
    assert_eq!(names, ["g-20.pcap", "g-21.pcap", "g-22.pcap"]);
    assert_eq!(files.iter().map(|p| packets_in(p)).sum::<u64>(), total);
    // -W 2 with -G alone: the run stops after two files.
    remove(&files);
    write_ok(
        small.to_str().expect("p"),
        &pattern,
        &["-G", "1", "-W", "2"],
    );
    assert_eq!(files_in(&dir, "g-").len(), 2);
    let _ = std::fs::remove_dir_all(&dir);
}

// ---------------------------------------------------------------------------------------------
// Live, on loopback

/// Start a live capture on lo with `args`.
fn sniff(args: &[&str]) -> (Child, std::thread::JoinHandle<String>) {
    let mut all = vec!["-i", "lo"];
    all.extend_from_slice(args);
    spawn_sniffer(&all)
}

/// Connect to 127.0.0.1:`port` `n` times (each refused or answered), to make packets.
fn knock(port: u16, n: usize) {
    for _ in 0..n {
        if let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", port)) {
            let _ = s.write_all(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
            let mut v = Vec::new();
            let _ = s.read_to_end(&mut v);
        }
    }
}

/// A port nothing listens on (bound and released: the OS picked it).
fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    l.local_addr().expect("addr").port()
}

fn finish(mut child: Child, rest: std::thread::JoinHandle<String>, secs: u64) -> (String, String) {
    let st = wait_or_kill(&mut child, secs);
    let out = child_stdout(&mut child);
    let err = rest.join().unwrap_or_default();
    assert!(st.success(), "exit {st:?}: {err}");
    (out, err)
}

#[test]
fn live_f_filters_and_a_packets_stops() {
    if !can_capture() {
        return;
    }
    let (port, srv) = http_server(2);
    let other = free_port();
    let filter = format!("tcp port {port}");
    let (child, rest) = sniff(&["-f", &filter, "-a", "packets:6", "--json"]);
    // Traffic to another port first: the filter keeps it out.
    knock(other, 2);
    knock(port, 2);
    srv.join().expect("server");
    let (out, err) = finish(child, rest, 30);
    let v: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).expect("json"))
        .collect();
    let packets = of_type(&v, "packet");
    assert_eq!(packets.len(), 6, "-a packets:6 stops after 6 packets");
    assert!(
        packets
            .iter()
            .all(|x| x["src_port"] == port || x["dst_port"] == port),
        "only our port"
    );
    assert!(err.contains("6 packets captured"), "{err}");
}

#[test]
fn live_l_lists_link_types_and_y_chooses_one() {
    let f = capture("ip-fragments.pcap");
    usage_error(&["-r", &f, "-y", "EN10MB"], "only with -i");
    usage_error(&["-L"], "give -i IFACE");
    if !can_capture() {
        return;
    }
    let o = run(&["-i", "lo", "-L"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stdout(&o).starts_with("Data link types for lo"),
        "{}",
        stdout(&o)
    );
    assert!(stdout(&o).contains("  EN10MB (Ethernet)"), "{}", stdout(&o));
    usage_error(&["-i", "lo", "-y", "NO_SUCH_TYPE"], "not a link type name");
    let port = free_port();
    let filter = format!("tcp port {port}");
    let (child, rest) = sniff(&["-y", "EN10MB", "-c", "2", "--json", &filter]);
    knock(port, 1);
    let (out, _) = finish(child, rest, 30);
    assert!(out.contains("\"type\":\"packet\""), "{out}");
}

#[test]
fn live_a_duration_stops_the_capture_with_its_summary() {
    if !can_capture() {
        return;
    }
    let port = free_port();
    let filter = format!("tcp port {port}");
    let (child, rest) = sniff(&["-a", "duration:1", "-q", &filter]);
    knock(port, 3);
    let (out, err) = finish(child, rest, 30);
    assert!(out.contains(" packets, "), "the summary line: {out}");
    assert!(err.contains("packets captured"), "{err}");
    assert!(err.contains("packets received by filter"), "{err}");
}

#[test]
fn live_ring_buffer_and_c_w_write_files_that_read_back() {
    if !can_capture() {
        return;
    }
    let dir = temp_dir("capflags-live");
    // tshark's -b packets:4 with -a files:3: the run stops after three files of 4.
    let port = free_port();
    let filter = format!("tcp port {port}");
    let w = dir.join("live.pcapng");
    let (child, rest) = sniff(&[
        "-w",
        w.to_str().expect("p"),
        "-F",
        "pcapng",
        "-b",
        "packets:4",
        "-a",
        "files:3",
        &filter,
    ]);
    // Each refused connection is 2 packets (SYN, RST): enough for more than 12.
    let knocker = std::thread::spawn(move || {
        for _ in 0..40 {
            knock(port, 1);
            std::thread::sleep(Duration::from_millis(20));
        }
    });
    let (_, err) = finish(child, rest, 30);
    knocker.join().expect("knocker");
    assert!(err.contains("12 packets captured"), "{err}");
    let files = files_in(&dir, "live_");
    assert_eq!(files.len(), 3, "{files:?}");
    for (i, p) in files.iter().enumerate() {
        let name = p.file_name().and_then(|n| n.to_str()).expect("name");
        assert!(name.starts_with(&format!("live_{:05}_", i + 1)), "{name}");
        assert!(name.ends_with(".pcapng"), "{name}");
        assert_eq!(packets_in(p), 4, "{name}");
    }
    // tcpdump's -C 1 -W 2: about 3 MB of loopback traffic in a ring of cap0, cap1.
    let (port, srv) = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = l.local_addr().expect("addr").port();
        let h = std::thread::spawn(move || {
            if let Ok((mut s, _)) = l.accept() {
                let mut v = Vec::new();
                let _ = s.read_to_end(&mut v);
            }
        });
        (port, h)
    };
    let w = dir.join("cap");
    let filter = format!("tcp port {port}");
    let (child, rest) = sniff(&["-w", w.to_str().expect("p"), "-C", "1", "-W", "2", &filter]);
    {
        let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).expect("connect");
        let chunk = vec![b's'; 64 << 10];
        for _ in 0..48 {
            s.write_all(&chunk).expect("send");
        }
    }
    srv.join().expect("server");
    std::thread::sleep(Duration::from_millis(300));
    interrupt(&child);
    let (_, err) = finish(child, rest, 30);
    let files = files_in(&dir, "cap");
    let names = file_names(&files);
    assert_eq!(names, ["cap0", "cap1"], "{err}");
    assert!(files.iter().all(|p| packets_in(p) > 0));
    let _ = std::fs::remove_dir_all(&dir);
}
