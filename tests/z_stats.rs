//! `-z STAT`: tshark's statistics as tshark 4.0 prints them. The conversation and endpoint
//! tables are compared byte for byte with tshark's own text (`tshark -n -q -z …`, fixtures
//! made by scripts/make-z-fixtures.sh), through a pipe, with -q and without, with `-j 2`
//! and with `-Y` (tshark's tables count every frame whatever -Y shows).

mod common;
use common::*;

use std::path::{Path, PathBuf};

/// The ten tables, in the order the fixtures were made with.
fn z_args() -> Vec<String> {
    let mut a = Vec::new();
    for kind in ["conv", "endpoints"] {
        for layer in ["eth", "ip", "ipv6", "tcp", "udp"] {
            a.push("-z".to_string());
            a.push(format!("{kind},{layer}"));
        }
    }
    a
}

/// The capture a fixture was made from: `captures/X` or `../shared/corpus/DIR/X`.
fn source(fixture: &Path) -> Option<PathBuf> {
    let name = fixture.file_name()?.to_str()?.strip_suffix(".txt")?;
    let (dir, file) = name.split_once("__")?;
    match dir {
        "captures" => return Some(captures().join(file)),
        "tunnels" => return Some(captures().join("tunnels").join(file)),
        _ => {}
    }
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/corpus")
        .join(dir)
        .join(file);
    p.exists().then_some(p)
}

fn run_z(file: &Path, extra: &[&str]) -> std::process::Output {
    let mut args: Vec<String> = vec!["-r".into(), file.to_string_lossy().into_owned()];
    args.extend(extra.iter().map(|s| s.to_string()));
    args.extend(z_args());
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    run(&refs)
}

/// The text of `tests/fixtures/DIR/captures__NAME.txt`.
fn fixture_text(dir: &str, name: &str) -> String {
    let fx = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(dir)
        .join(format!("captures__{name}.txt"));
    std::fs::read_to_string(&fx).unwrap_or_else(|e| panic!("{}: {e}", fx.display()))
}

/// `-q`: the summary line, then the tables.
fn tables_after_summary(o: &std::process::Output) -> String {
    let out = stdout(o);
    match out.split_once('\n') {
        Some((first, rest)) => {
            assert!(first.contains(" packets, "), "{out}");
            rest.to_string()
        }
        None => out,
    }
}

#[test]
fn conversations_and_endpoints_match_tshark_byte_for_byte() {
    let mut compared = 0;
    for fx in fixture_files("z") {
        let Some(src) = source(&fx) else { continue };
        let want = std::fs::read_to_string(&fx).expect("fixture");
        let o = run_z(&src, &["-q"]);
        assert_eq!(o.status.code(), Some(0), "{}: {}", fx.display(), stderr(&o));
        let got = tables_after_summary(&o);
        assert_eq!(got, want, "{}", fx.display());
        compared += 1;
    }
    assert!(compared >= 23, "{compared} fixtures compared");
}

#[test]
fn the_same_tables_with_j2_with_y_and_after_the_packet_lines() {
    for name in [
        "dns-udp-tcp.pcap",
        "ip-fragments.pcap",
        "squirrel-https.pcap",
    ] {
        let want = fixture_text("z", name);
        let src = captures().join(name);
        let one = run_z(&src, &["-q", "-j", "1"]);
        let two = run_z(&src, &["-q", "-j", "2"]);
        assert_eq!(one.stdout, two.stdout, "{name}: -j 2");
        // -Y chooses the packets shown, not what the tables count (as tshark).
        let filtered = run_z(&src, &["-q", "-Y", "udp"]);
        assert_eq!(tables_after_summary(&filtered), want, "{name}: -Y udp");
        // Without -q: the packet lines, then the tables.
        let lines = run_z(&src, &[]);
        assert_eq!(lines.status.code(), Some(0), "{}", stderr(&lines));
        let out = stdout(&lines);
        assert!(out.ends_with(&want), "{name}: {out}");
        assert!(out.starts_with("    1 "), "{name}: {out}");
    }
}

#[test]
fn io_phs_is_the_hierarchy_of_every_frame() {
    let want = fixture_text("z-phs", "tls-mixed.pcap");
    let f = capture("tls-mixed.pcap");
    let o = run(&["-r", &f, "-q", "-z", "io,phs"]);
    assert_eq!(tables_after_summary(&o), want);
    // Like tshark, -Y does not narrow it (--hierarchy counts the frames shown).
    let o = run(&["-r", &f, "-q", "-Y", "tcp.port == 1", "-z", "io,phs"]);
    assert_eq!(tables_after_summary(&o), want);
    // Without -Y it is --hierarchy's table.
    for name in [
        "dns-udp-tcp.pcap",
        "squirrel-http.pcap",
        "ip-fragments.pcap",
    ] {
        let f = capture(name);
        let z = run(&["-r", &f, "-q", "-z", "io,phs"]);
        let h = run(&["-r", &f, "-q", "--hierarchy"]);
        // (--hierarchy comes before the -q summary line, -z after it.)
        let table = |o: &std::process::Output| -> String {
            stdout(o)
                .lines()
                .filter(|l| !l.contains(" packets, "))
                .map(|l| format!("{l}\n"))
                .collect()
        };
        assert_eq!(table(&z), table(&h), "{name}");
    }
}

#[test]
fn follow_maps_onto_follow_and_says_what_it_cannot_do() {
    let f = capture("squirrel-http.pcap");
    for (z, fmt) in [("follow,tcp,ascii,0", "ascii"), ("follow,tcp,hex,0", "hex")] {
        let a = run(&["-r", &f, "-q", "-z", z]);
        let b = run(&["-r", &f, "-q", "--follow", "0", "--follow-format", fmt]);
        assert_eq!(a.status.code(), Some(0), "{}", stderr(&a));
        assert_eq!(a.stdout, b.stdout, "{z}");
        assert!(stdout(&a).contains(&format!("Follow: tcp,{fmt}")));
    }
    for z in [
        "follow,quic,ascii,0",
        "follow,tcp,raw,0",
        "follow,http3,ascii,0,1",
        "follow,tcp,ascii,0,2-3",
        "follow,tcp,ascii,10.0.0.1:80,10.0.0.2:4000",
    ] {
        let o = run(&["-r", &f, "-q", "-z", z]);
        assert_eq!(o.status.code(), Some(2), "{z}");
        let e = stderr(&o);
        assert_eq!(e.trim_end().lines().count(), 1, "{z}: {e}");
        assert!(o.stdout.is_empty(), "{z}");
    }
}

#[test]
fn an_unknown_statistic_is_one_usage_line_listing_the_known() {
    let f = capture("squirrel-http.pcap");
    for z in ["conv,sctp", "expertise", "bogus\x1b[31m"] {
        let o = run(&["-r", &f, "-z", z]);
        assert_eq!(o.status.code(), Some(2), "{z}");
        let e = stderr(&o);
        assert_eq!(e.trim_end().lines().count(), 1, "{e}");
        assert!(e.contains("endpoints,eth|ip|ipv6|tcp|udp[,FILTER]"), "{e}");
        assert!(!e.contains('\x1b'), "{e}");
    }
    let o = run(&["-r", &f, "--json", "-z", "conv,tcp"]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn a_filter_after_the_statistic_counts_the_frames_it_matches_as_tshark() {
    let want = fixture_text("z-filter", "dns-udp-tcp.pcap");
    let f = capture("dns-udp-tcp.pcap");
    let o = run(&[
        "-r",
        &f,
        "-q",
        "-z",
        "conv,ip,tcp",
        "-z",
        "endpoints,tcp,tcp.len > 0",
        "-z",
        "conv,udp,udp.srcport == 5300",
        "-z",
        "io,phs,udp",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(tables_after_summary(&o), want);
    let o = run(&["-r", &f, "-q", "-z", "conv,ip,tcp.port =="]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(stderr(&o).trim_end().lines().count(), 1, "{}", stderr(&o));
}

/// The `-z io,stat` tables of scripts/make-z-fixtures.sh, in the order given there.
fn iostat_args(fixture: &str) -> Vec<&'static str> {
    if fixture.starts_with("tls__") {
        return vec!["-z", "io,stat,0", "-z", "io,stat,100000000"];
    }
    vec![
        "-z",
        "io,stat,0",
        "-z",
        "io,stat,1",
        "-z",
        "io,stat,0.1",
        "-z",
        "io,stat,10",
        "-z",
        "io,stat,0.5,tcp,,udp",
        "-z",
        "io,stat,1.00,FRAMES()tcp,BYTES()udp",
    ]
}

fn run_iostat(file: &Path, fixture: &str, extra: &[&str]) -> std::process::Output {
    let f = file.to_string_lossy().into_owned();
    let mut args: Vec<&str> = vec!["-r", &f];
    args.extend_from_slice(extra);
    args.extend(iostat_args(fixture));
    run(&args)
}

#[test]
fn io_stat_matches_tshark_byte_for_byte() {
    let mut compared = 0;
    for fx in fixture_files("z-iostat") {
        let Some(src) = source(&fx) else { continue };
        let name = fx.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        let want = std::fs::read_to_string(&fx).expect("fixture");
        let o = run_iostat(&src, name, &["-q"]);
        assert_eq!(o.status.code(), Some(0), "{name}: {}", stderr(&o));
        assert_eq!(tables_after_summary(&o), want, "{name}");
        compared += 1;
    }
    assert!(compared >= 12, "{compared} fixtures compared");
}

#[test]
fn io_stat_the_same_with_j2_with_y_and_after_the_packet_lines() {
    for name in [
        "dns-udp-tcp.pcap",
        "squirrel-http.pcap",
        "ip-fragments.pcap",
    ] {
        let fixture = format!("captures__{name}.txt");
        let want = fixture_text("z-iostat", name);
        let src = captures().join(name);
        let one = run_iostat(&src, &fixture, &["-q", "-j", "1"]);
        let two = run_iostat(&src, &fixture, &["-q", "-j", "2"]);
        assert_eq!(one.stdout, two.stdout, "{name}: -j 2");
        // -Y chooses the packets shown, not what the table counts (as tshark).
        let filtered = run_iostat(&src, &fixture, &["-q", "-Y", "frame.number < 3"]);
        assert_eq!(tables_after_summary(&filtered), want, "{name}: -Y");
        let lines = run_iostat(&src, &fixture, &[]);
        assert_eq!(lines.status.code(), Some(0), "{}", stderr(&lines));
        let out = stdout(&lines);
        assert!(out.ends_with(&want), "{name}: {out}");
        assert!(out.starts_with("    1 "), "{name}: {out}");
    }
}

#[test]
fn io_stat_forms_it_cannot_count_are_one_usage_line() {
    let f = capture("squirrel-http.pcap");
    for z in [
        "io,stat",
        "io,stat,",
        "io,stat,1,",
        "io,stat,abc",
        "io,stat,-1",
        "io,stat,0.0000001",
        "io,stat,1,tcp ==",
        "io,stat,1,AVG(tcp.len)\x1b[31m",
    ] {
        let o = run(&["-r", &f, "-q", "-z", z]);
        assert_eq!(o.status.code(), Some(2), "{z}");
        let e = stderr(&o);
        assert_eq!(e.trim_end().lines().count(), 1, "{z}: {e}");
        assert!(e.contains("io,stat"), "{z}: {e}");
        assert!(!e.contains('\x1b'), "{z}: {e}");
        assert!(o.stdout.is_empty(), "{z}");
    }
}

/// The function columns of scripts/make-z-fixtures.sh, in the order given there.
const FUNC_ARGS: [&str; 12] = [
    "-z",
    "io,stat,1,SUM(frame.len)frame.len,COUNT(tcp.len)tcp.len,MIN(frame.len)frame.len,MAX(frame.len)frame.len,AVG(frame.len)frame.len",
    "-z",
    "io,stat,0.5,AVG(frame.time_delta)frame.time_delta,MIN(frame.time_delta)frame.time_delta,SUM(frame.time_delta)frame.time_delta",
    "-z",
    "io,stat,0.1,LOAD(tcp.analysis.ack_rtt)tcp.analysis.ack_rtt,AVG(tcp.analysis.ack_rtt)tcp.analysis.ack_rtt,MAX(tcp.analysis.ack_rtt)tcp.analysis.ack_rtt",
    "-z",
    "io,stat,0,COUNT(ip.src)ip.src,SUM(tcp.len)tcp.len,MAX(tcp.srcport)tcp.srcport,AVG(ip.ttl)ip.ttl",
    "-z",
    "io,stat,2,MIN(tcp.seq)tcp.seq,MAX(tcp.ack)tcp.ack,AVG(tcp.window_size)tcp.window_size,COUNT(frame)frame",
    "-z",
    "io,stat,1,AVG(frame.time_epoch)frame.time_epoch,MIN(frame.time_relative)frame.time_relative,LOAD(frame.time_delta)frame.time_delta",
];

#[test]
fn io_stat_function_columns_match_tshark_byte_for_byte() {
    let mut compared = 0;
    for fx in fixture_files("z-iostat-func") {
        let Some(src) = source(&fx) else { continue };
        let name = fx.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        let want = std::fs::read_to_string(&fx).expect("fixture");
        let f = src.to_string_lossy().into_owned();
        let mut args = vec!["-r", f.as_str(), "-q"];
        args.extend(FUNC_ARGS);
        let o = run(&args);
        assert_eq!(o.status.code(), Some(0), "{name}: {}", stderr(&o));
        assert_eq!(tables_after_summary(&o), want, "{name}");
        if name.starts_with("captures__dns") {
            args.extend(["-j", "2"]);
            assert_eq!(run(&args).stdout, o.stdout, "{name}: -j 2");
        }
        compared += 1;
    }
    assert!(compared >= 13, "{compared} fixtures compared");
}

#[test]
fn io_stat_functions_refuse_the_fields_tshark_refuses() {
    let f = capture("dns-udp-tcp.pcap");
    // tshark 4.0's messages (it exits 10; squirrel-sniff's usage errors exit 2).
    for (z, says) in [
        (
            "SUM(ip.src)ip.src",
            "ip.src doesn't have integral values, so SUM(*) calculations are not supported on it",
        ),
        (
            "MAX(tcp.flags.syn)",
            "tcp.flags.syn doesn't have integral values, so MAX(*)",
        ),
        (
            "AVG(http.host)",
            "http.host doesn't have integral values, so AVG(*)",
        ),
        (
            "MIN(tcp.analysis.acks_frame)",
            "doesn't have integral values",
        ),
        (
            "LOAD(frame.len)frame.len",
            "LOAD() is only supported for relative-time fields such as smb.time",
        ),
        (
            "LOAD(frame.time_epoch)",
            "LOAD() is only supported for relative-time fields",
        ),
        (
            "SUM(nosuch.field)",
            "there is no field named 'nosuch.field'",
        ),
        (
            "SUM(frame.len",
            "closing parenthesis missing from calculated expression",
        ),
        ("COUNT()", "you didn't specify a field name for COUNT(*)"),
        (
            "FRAMES(tcp)",
            "FRAMES does not require or allow a field name within the parens",
        ),
        ("SUM(frame.len)tcp ==", "tcp =="),
    ] {
        let arg = format!("io,stat,1,{z}");
        let o = run(&["-r", &f, "-q", "-z", &arg]);
        assert_eq!(o.status.code(), Some(2), "{z}");
        let e = stderr(&o);
        assert_eq!(e.trim_end().lines().count(), 1, "{z}: {e}");
        assert!(e.contains(says), "{z}: {e}");
        assert!(o.stdout.is_empty(), "{z}");
    }
    // COUNT takes any field (tshark counts its occurrences).
    let o = run(&[
        "-r",
        &f,
        "-q",
        "-z",
        "io,stat,0,COUNT(ip.src)ip.src,COUNT(tcp.flags.syn)tcp",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

#[test]
fn io_stat_rows_stop_at_the_memory_budget() {
    // A 64 KiB budget allows 204 intervals: tshark's table, cut after 204 rows.
    let want = fixture_text("z-iostat-bound", "dns-udp-tcp.pcap");
    let f = capture("dns-udp-tcp.pcap");
    let o = run(&[
        "-r",
        &f,
        "-q",
        "-z",
        "io,stat,0.0001",
        "--max-total-buffer",
        "65536",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(tables_after_summary(&o), want);
    let e = stderr(&o);
    assert!(
        e.contains("-z io,stat,0.0001: 22403 intervals, only the first 204 printed"),
        "{e}"
    );
    // Two columns share the allowance.
    let o = run(&[
        "-r",
        &f,
        "-q",
        "-z",
        "io,stat,0.0001,,udp",
        "--max-total-buffer",
        "65536",
    ]);
    assert!(
        stderr(&o).contains("only the first 102 printed"),
        "{}",
        stderr(&o)
    );
    // A capture whose timestamps span years, at a microsecond: 1.6e14 intervals, which
    // tshark would try to hold one by one; the default budget prints 838,860.
    let corpus = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/corpus/tls/tls12-alpn-session-resumption.pcap");
    if corpus.exists() {
        let c = corpus.to_string_lossy().into_owned();
        let o = run(&[
            "-r",
            &c,
            "-q",
            "-z",
            "io,stat,0.000001",
            "--max-total-buffer",
            "1048576",
        ]);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        let e = stderr(&o);
        assert!(
            e.contains("156752752813745 intervals, only the first 3276 printed"),
            "{e}"
        );
        let out = stdout(&o);
        let rows = out.lines().filter(|l| l.contains(" <> ")).count();
        assert_eq!(rows, 3276, "{out}");
        assert!(out.ends_with("=\n"), "{out}");
    }
}

#[test]
fn io_stat_load_keeps_its_intervals_within_the_budget() {
    // LOAD keeps every interval (it reaches back): at 1 ms over a capture spanning years
    // the intervals past the budget's share are not kept, and stderr says both.
    let corpus = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/corpus/tls/tls12-alpn-session-resumption.pcap");
    if !corpus.exists() {
        return;
    }
    let c = corpus.to_string_lossy().into_owned();
    let z = "io,stat,0.001,LOAD(tcp.analysis.ack_rtt)tcp.analysis.ack_rtt";
    let o = run(&["-r", &c, "-q", "-z", z, "--max-total-buffer", "1048576"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let e = stderr(&o);
    assert!(
        e.contains("counts not kept: their rows (conversations, endpoints, io,stat intervals"),
        "{e}"
    );
    assert!(
        e.contains("156752752814 intervals, only the first 3276 printed"),
        "{e}"
    );
    let rows = stdout(&o).lines().filter(|l| l.contains(" <> ")).count();
    assert_eq!(rows, 3276);
}

/// `-z follow,udp,ascii|hex,N` (and `--follow udp:N`) prints tshark 4.0's text for the UDP
/// session `udp.stream == N`, one chunk per datagram; TCP hex lines that end in spaces as
/// tshark writes them. Fixtures: scripts/make-follow-udp-fixtures.sh (its two edits of
/// tshark's text are said there).
/// A fixture's file name without its `.txt`.
fn stem(f: &Path) -> String {
    f.file_stem()
        .and_then(|n| n.to_str())
        .expect("name")
        .to_string()
}

/// The output of a `-q -z follow,…` run without its `-q` summary line.
fn without_summary(o: &std::process::Output) -> String {
    stdout(o)
        .lines()
        .filter(|l| !l.contains(" packets, "))
        .map(|l| format!("{l}\n"))
        .collect()
}

#[cfg_attr(no_corpus, ignore = "needs ../shared/corpus")]
#[test]
fn follow_udp_and_tcp_hex_as_tshark() {
    let Some(c) = corpus() else { return };
    let files = fixture_files("follow-udp");
    assert_eq!(files.len(), 11, "fixtures");
    for f in files {
        let name = stem(&f);
        // CAPTURE.PROTO.STREAM.MODE
        let [base, proto, stream, mode] = name.split('.').collect::<Vec<_>>()[..] else {
            panic!("fixture name {name}")
        };
        let pcap = match base {
            "dns-udp" => c.join("decrypt/dns-udp.pcap"),
            "quic-h3" => c.join("decrypt/quic-h3.pcap"),
            "get" => c.join("http/get.pcap"),
            "hex-spaces" => captures().join("follow/hex-spaces.pcap"),
            other => captures().join(format!("{other}.pcap")),
        };
        let pcap = pcap.to_string_lossy().into_owned();
        let z = format!("follow,{proto},{mode},{stream}");
        let o = run(&["-n", "-q", "-r", &pcap, "-z", &z]);
        assert_eq!(o.status.code(), Some(0), "{z} {pcap}: {}", stderr(&o));
        let ours = without_summary(&o);
        let want = std::fs::read_to_string(&f).expect("fixture");
        assert_eq!(ours, want, "{name}: {z} on {pcap}");
        if proto == "udp" {
            assert!(ours.contains(&format!("Filter: udp.stream eq {stream}\n")));
            let sel = format!("udp:{stream}");
            let b = run(&[
                "-n",
                "-q",
                "-r",
                &pcap,
                "--follow",
                &sel,
                "--follow-format",
                mode,
            ]);
            assert_eq!(b.stdout, o.stdout, "--follow {sel}");
        }
    }
    // UDP session 0 of dns-udp-tcp.pcap holds the first query and answer only, none of
    // TCP stream 0's bytes (ids are counted apart).
    let o = run(&[
        "-q",
        "-r",
        &capture("dns-udp-tcp.pcap"),
        "--follow",
        "udp:0",
    ]);
    assert!(!stdout(&o).contains("tunnel"), "{}", stdout(&o));
    // A session the capture does not have, or a UDP session with the http form: usage.
    for args in [
        vec!["--follow", "udp:99"],
        vec!["--follow", "udp:x"],
        vec!["--follow", "udp:0", "--follow-format", "http"],
    ] {
        let mut a = vec!["-q", "-r", "PCAP"];
        let pcap = capture("dns-udp-tcp.pcap");
        a[2] = &pcap;
        a.extend(args.iter().copied());
        let o = run(&a);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        assert_eq!(stderr(&o).trim_end().lines().count(), 1, "{args:?}");
    }
}

/// `-z follow,http,ascii|hex,N` as tshark 4.0 prints it (tests/fixtures/follow-http, made by
/// scripts/make-follow-http-fixtures.sh, which says its edits): each message's head as sent
/// and its body de-chunked and decompressed, HTTPS decrypted with the key log.
#[cfg_attr(no_corpus, ignore = "needs ../shared/corpus")]
#[test]
fn follow_http_as_tshark() {
    let Some(c) = corpus() else { return };
    let files = fixture_files("follow-http");
    assert_eq!(files.len(), 21, "fixtures");
    for f in files {
        let name = stem(&f);
        // CAPTURE.STREAM.MODE
        let [base, stream, mode] = name.split('.').collect::<Vec<_>>()[..] else {
            panic!("fixture name {name}")
        };
        let (pcap, keys) = match base {
            "squirrel-http" => (captures().join("squirrel-http.pcap"), None),
            "squirrel-https" => (
                captures().join("squirrel-https.pcap"),
                Some(captures().join("squirrel-https.keys")),
            ),
            "tls12-ecdhe-aesgcm" => (
                c.join("decrypt/tls12-ecdhe-aesgcm.pcap"),
                Some(c.join("decrypt/tls12-ecdhe-aesgcm.keys")),
            ),
            "chunked-responses" => (c.join("http/chunked-responses.pcapng"), None),
            other => (c.join(format!("http/{other}.pcap")), None),
        };
        let pcap = pcap.to_string_lossy().into_owned();
        let z = format!("follow,http,{mode},{stream}");
        let mut args = vec!["-n", "-q", "-r", pcap.as_str(), "-z", z.as_str()];
        let keys = keys.map(|k| k.to_string_lossy().into_owned());
        if let Some(k) = &keys {
            args.extend(["--keylog", k.as_str()]);
        }
        let o = run(&args);
        assert_eq!(o.status.code(), Some(0), "{z} {pcap}: {}", stderr(&o));
        let ours = without_summary(&o);
        let want = std::fs::read_to_string(&f).expect("fixture");
        assert_eq!(ours, want, "{name}: {z} on {pcap}");
        assert!(ours.contains("Follow: http,"), "{name}");
    }
    // The secret of the lesson, in the decrypted response's body.
    let o = run(&[
        "-n",
        "-q",
        "-r",
        &capture("squirrel-https.pcap"),
        "--keylog",
        &capture("squirrel-https.keys"),
        "-z",
        "follow,http,ascii,0",
    ]);
    assert!(stdout(&o).contains("fluffy tail"), "{}", stdout(&o));
    // HTTP/1.x is not follow,http2's: no chunk, both nodes `:0` (as tshark).
    let o = run(&[
        "-n",
        "-q",
        "-r",
        &capture("squirrel-http.pcap"),
        "-z",
        "follow,http2,ascii,0,1",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        without_summary(&o).ends_with("Node 0: :0\nNode 1: :0\n===================================================================\n"),
        "{}",
        stdout(&o)
    );
}

/// The capture (and key log) a `follow-http2` fixture was made from: the corpus's, or a
/// bundled one (`None` when it is not there).
fn http2_source(base: &str) -> Option<(PathBuf, Option<PathBuf>)> {
    let bundled = match base {
        "h2c-nghttp" => Some(
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/h2/h2c-nghttp.pcap"),
        ),
        "h2c-edge-frames" => Some(captures().join("h2/h2c-edge-frames.pcap")),
        _ => None,
    };
    if let Some(b) = bundled {
        return Some((b, None));
    }
    let dec = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/decrypt");
    let (pcap, keys) = match base {
        "h2-tls.dsb" => (dec.join("h2-tls.dsb.pcapng"), None),
        "h2-tls" | "tls13-ech-grease" => (
            dec.join(format!("{base}.pcap")),
            Some(dec.join(format!("{base}.keys"))),
        ),
        other => (dec.join(format!("{other}.pcap")), None),
    };
    pcap.exists().then_some((pcap, keys))
}

/// Compare our `-z follow,http2,…` with each fixture of tests/fixtures/follow-http2 whose
/// capture is there (`only`: the captures to take), with -j 1 and -j 2; the count compared.
fn compare_follow_http2(only: &[&str]) -> usize {
    let mut compared = 0;
    for f in fixture_files("follow-http2") {
        let name = stem(&f);
        // CAPTURE.TCP.ID.MODE[.FIRST-LAST] (the capture's name may hold one dot: h2-tls.dsb)
        let parts: Vec<&str> = name.split('.').collect();
        let at = parts
            .iter()
            .position(|p| p.parse::<u32>().is_ok())
            .expect("fixture name");
        let base = parts[..at].join(".");
        let [tcp, id, mode, range @ ..] = &parts[at..] else {
            panic!("fixture name {name}")
        };
        if !only.is_empty() && !only.contains(&base.as_str()) {
            continue;
        }
        let Some((pcap, keys)) = http2_source(&base) else {
            continue;
        };
        let mut z = format!("follow,http2,{mode},{tcp},{id}");
        if let [r] = range {
            z = format!("{z},{r}");
        }
        let pcap = pcap.to_string_lossy().into_owned();
        let keys = keys.map(|k| k.to_string_lossy().into_owned());
        let want = std::fs::read_to_string(&f).expect("fixture");
        let mut first: Option<Vec<u8>> = None;
        for j in ["1", "2"] {
            let mut args = vec!["-n", "-q", "-r", pcap.as_str(), "-j", j, "-z", z.as_str()];
            if let Some(k) = &keys {
                args.extend(["--keylog", k.as_str()]);
            }
            let o = run(&args);
            assert_eq!(o.status.code(), Some(0), "{z} {pcap}: {}", stderr(&o));
            assert_eq!(without_summary(&o), want, "{name}: {z} on {pcap} -j {j}");
            match &first {
                None => first = Some(o.stdout),
                Some(one) => assert_eq!(one, &o.stdout, "{name}: -j 2"),
            }
        }
        compared += 1;
    }
    compared
}

/// `-z follow,http2,ascii|hex,TCP,ID[,FIRST-LAST]` as tshark 4.0 prints it
/// (tests/fixtures/follow-http2, made by scripts/make-z-follow-http2-fixtures.sh, which says
/// its edits): every HTTP/2 capture of the corpus and the bundled ones, every (TCP stream,
/// HTTP/2 stream) pair in both modes, h2c after an Upgrade, h2 in TLS with the key log or
/// the file's own secrets, chunk ranges.
#[cfg_attr(no_corpus, ignore = "needs ../shared/corpus")]
#[test]
fn follow_http2_as_tshark() {
    let Some(_) = corpus() else { return };
    let files = fixture_files("follow-http2");
    assert_eq!(files.len(), 146, "fixtures");
    assert_eq!(compare_follow_http2(&[]), files.len());
    // The secret, in the decrypted DATA frame of stream 1.
    let dec = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/decrypt");
    let o = run(&[
        "-n",
        "-q",
        "-r",
        &dec.join("h2c-prior-knowledge.pcap").to_string_lossy(),
        "-z",
        "follow,http2,ascii,0,1",
    ]);
    assert!(
        stdout(&o).contains("secret is: fluffy tail"),
        "{}",
        stdout(&o)
    );
}

/// The bundled captures alone (no corpus needed): padded HEADERS and DATA, trailers, a header
/// block over CONTINUATION frames (the fields shown on the frame each one ended in, a
/// frame that ends none showing nothing), PUSH_PROMISE, RST_STREAM, WINDOW_UPDATE, PRIORITY,
/// PING, GOAWAY, an unknown frame type; and the forms that are usage errors.
#[test]
fn follow_http2_frames_as_tshark_on_the_bundled_captures() {
    assert_eq!(compare_follow_http2(&["h2c-edge-frames"]), 13);
    assert_eq!(compare_follow_http2(&["h2c-nghttp"]), 79);
    let pcap = capture("h2/h2c-edge-frames.pcap");
    for z in [
        "follow,http2,ascii,0",
        "follow,http2,ascii,0,x",
        "follow,http2,ascii,0,2147483648",
        "follow,http2,ascii,0,1,0",
        "follow,http2,ascii,0,1,3-2",
        "follow,http2,ascii,0,1,2,3",
        "follow,http2,raw,0,1",
        "follow,http2,ascii,7,1",
    ] {
        let o = run(&["-q", "-r", &pcap, "-z", z]);
        assert_eq!(o.status.code(), Some(2), "{z}");
        assert_eq!(
            stderr(&o).trim_end().lines().count(),
            1,
            "{z}: {}",
            stderr(&o)
        );
    }
    // A follow limit below the stream's size: the frames past it are said to be cut.
    let o = run(&[
        "-n",
        "-q",
        "-r",
        &pcap,
        "--follow-limit",
        "300",
        "-z",
        "follow,http2,ascii,0,1",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = without_summary(&o);
    assert!(
        text.contains("[... output cut at 300 bytes, 448 more not shown ...]"),
        "{text}"
    );
    assert!(
        text.contains("\n115\n") && text.contains("fluffy tail"),
        "{text}"
    );
    assert!(!text.contains("x-after"), "{text}");
}

/// The three HTTP trees, in the order the fixtures were made with.
const HTTP_TREES: [&str; 6] = [
    "-z",
    "http,tree",
    "-z",
    "http_req,tree",
    "-z",
    "http_srv,tree",
];

/// The capture a `z-http` fixture was made from (`captures/DIR/X` for the bundled
/// subdirectories), and `--keylog NAME.keys` when a key log sits next to it.
fn http_source(fixture: &Path) -> Option<(PathBuf, Vec<String>)> {
    let name = fixture.file_name()?.to_str()?.strip_suffix(".txt")?;
    let (dir, file) = name.split_once("__")?;
    let bundled = captures().join(dir).join(file);
    let src = if bundled.exists() {
        bundled
    } else {
        source(fixture)?
    };
    let keys = src.with_extension("keys");
    let extra = if keys.exists() {
        vec!["--keylog".to_string(), keys.to_string_lossy().into_owned()]
    } else {
        Vec::new()
    };
    Some((src, extra))
}

fn run_http(src: &Path, keys: &[String], extra: &[&str]) -> std::process::Output {
    let mut args: Vec<&str> = vec!["-n", "-r", src.to_str().expect("path")];
    args.extend(keys.iter().map(String::as_str));
    args.extend_from_slice(extra);
    args.extend_from_slice(&HTTP_TREES);
    run(&args)
}

/// `-n -q -r SRC EXTRA…`.
fn run_nq(src: &str, extra: &[&str]) -> std::process::Output {
    let mut args = vec!["-n", "-q", "-r", src];
    args.extend_from_slice(extra);
    run(&args)
}

#[test]
fn http_trees_match_tshark_byte_for_byte() {
    let files = fixture_files("z-http");
    assert_eq!(files.len(), 42, "fixtures");
    let mut compared = 0;
    for fx in &files {
        let Some((src, keys)) = http_source(fx) else {
            continue;
        };
        let want = std::fs::read_to_string(fx).expect("fixture");
        let o = run_http(&src, &keys, &["-q"]);
        assert_eq!(o.status.code(), Some(0), "{}: {}", fx.display(), stderr(&o));
        assert_eq!(tables_after_summary(&o), want, "{}", fx.display());
        compared += 1;
    }
    // The bundled captures always; with the corpus, every fixture.
    assert!(compared >= 11, "{compared} fixtures compared");
    if !cfg!(no_corpus) {
        assert_eq!(compared, files.len());
    }
}

#[test]
fn http_trees_the_same_with_j2_with_y_and_after_the_packet_lines() {
    for name in ["html-injection.pcap", "ip-fragments.pcap"] {
        let want = fixture_text("z-http", name);
        let src = captures().join(name);
        let one = run_http(&src, &[], &["-q", "-j", "1"]);
        let two = run_http(&src, &[], &["-q", "-j", "2"]);
        assert_eq!(one.stdout, two.stdout, "{name}: -j 2");
        assert_eq!(tables_after_summary(&two), want, "{name}: -j 2");
        // -Y chooses the packets shown, not what the trees count (as tshark).
        let filtered = run_http(&src, &[], &["-q", "-Y", "udp"]);
        assert_eq!(tables_after_summary(&filtered), want, "{name}: -Y udp");
        let lines = run_http(&src, &[], &[]);
        assert_eq!(lines.status.code(), Some(0), "{}", stderr(&lines));
        let out = stdout(&lines);
        assert!(out.ends_with(&want), "{name}: {out}");
        assert!(out.starts_with("    1 "), "{name}: {out}");
    }
}

#[test]
#[cfg_attr(no_corpus, ignore = "needs ../shared/corpus")]
fn http_trees_with_a_filter_count_the_frames_it_matches_as_tshark() {
    let Some(c) = corpus() else { return };
    let files = fixture_files("z-http-filter");
    assert_eq!(files.len(), 2, "fixtures");
    for fx in files {
        let name = fx.file_name().and_then(|n| n.to_str()).expect("name");
        let file = name
            .strip_prefix("http__")
            .and_then(|n| n.strip_suffix(".txt"))
            .expect("fixture name");
        let src = c.join("http").join(file).to_string_lossy().into_owned();
        let o = run_nq(
            &src,
            &[
                "-z",
                "http,tree,tcp.srcport == 80",
                "-z",
                "http_req,tree,frame.number > 12",
                "-z",
                "http_srv,tree,tcp.dstport == 80",
            ],
        );
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        let want = std::fs::read_to_string(&fx).expect("fixture");
        assert_eq!(tables_after_summary(&o), want, "{name}");
    }
    // A filter that does not compile, or a tree squirrel-sniff does not have: usage.
    let f = capture("html-injection.pcap");
    for z in ["http,tree,tcp.port ==", "sip,stat", "http_seq,trees"] {
        assert_one_usage_line(&f, z);
    }
}

/// `-q -r F -z Z` exits 2 with one line on stderr.
fn assert_one_usage_line(f: &str, z: &str) {
    let o = run(&["-q", "-r", f, "-z", z]);
    assert_eq!(o.status.code(), Some(2), "{z}: {}", stdout(&o));
    assert_eq!(
        stderr(&o).trim_end().lines().count(),
        1,
        "{z}: {}",
        stderr(&o)
    );
}

#[test]
#[cfg_attr(no_corpus, ignore = "needs ../shared/corpus")]
fn http_tree_nodes_stop_at_the_memory_budget() {
    let Some(c) = corpus() else { return };
    // 40 requests for distinct URIs on one host: 41 nodes below the fixed one. An 8 KiB
    // budget leaves 25 tree rows (half the budget at 160 bytes a row); the rest are not
    // kept and stderr says so. (The budget also closes flows there, so fewer requests are
    // seen at all.)
    let src = c.join("http/pipelined-many-requests.pcap");
    let src = src.to_string_lossy().into_owned();
    let full = run_nq(&src, &["-z", "http_req,tree"]);
    let nodes = |o: &std::process::Output| {
        stdout(o)
            .lines()
            .filter(|l| l.starts_with(" ") && !l.starts_with("  "))
            .count()
            + stdout(o).lines().filter(|l| l.starts_with("  /")).count()
    };
    assert_eq!(nodes(&full), 41, "{}", stdout(&full));
    assert!(stderr(&full).is_empty(), "{}", stderr(&full));
    let o = run_nq(&src, &["-z", "http_req,tree", "--max-total-buffer", "8192"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(nodes(&o) <= 25, "{}", stdout(&o));
    assert!(nodes(&o) >= 2, "{}", stdout(&o));
    let e = stderr(&o);
    assert!(
        e.contains(" counts not kept: their rows (conversations, endpoints, io,stat intervals, tree nodes, credentials, expert items) were past the memory budget"),
        "{e}"
    );
}

/// `-z dns,tree` as tshark: for each `z-dns` fixture (scripts/make-z-dns-fixtures.sh), the
/// capture read with `-n -q` (the corpus's dns-udp.pcap with `-d udp.port==5353,dns`, as
/// tshark was), byte for byte, with `-j 1` and `-j 2`.
#[test]
fn dns_tree_matches_tshark_byte_for_byte() {
    let files = fixture_files("z-dns");
    assert_eq!(files.len(), 7, "fixtures");
    let mut compared = 0;
    for fx in &files {
        let Some((src, _)) = http_source(fx) else {
            continue;
        };
        let src = src.to_string_lossy().into_owned();
        let name = fx.file_name().and_then(|n| n.to_str()).expect("name");
        let mut extra = vec!["-z", "dns,tree"];
        if name == "decrypt__dns-udp.pcap.txt" {
            extra.extend(["-d", "udp.port==5353,dns"]);
        }
        let want = std::fs::read_to_string(fx).expect("fixture");
        let mut outs = Vec::new();
        for j in ["1", "2"] {
            let mut args = extra.clone();
            args.extend(["-j", j]);
            let o = run_nq(&src, &args);
            assert_eq!(o.status.code(), Some(0), "{name}: {}", stderr(&o));
            assert_eq!(tables_after_summary(&o), want, "{name} -j {j}");
            outs.push(o.stdout);
        }
        assert_eq!(outs[0], outs[1], "{name}: -j 2");
        compared += 1;
    }
    // The bundled captures always; with the corpus, every fixture.
    assert!(compared >= 4, "{compared} fixtures compared");
    if !cfg!(no_corpus) {
        assert_eq!(compared, files.len());
    }
    // The tree counts DNS (not mDNS on 5353 here): the crafted capture has queries and
    // responses of many kinds, and -Y chooses the packets shown, not what it counts.
    let want = dns_tree_fixture("z-dns");
    assert!(want.contains("\n no. of retransmissions        "), "{want}");
    let src = capture("dns-tree/udp.pcap");
    let o = run_nq(&src, &["-z", "dns,tree", "-Y", "dns.flags.response == 0"]);
    assert_eq!(tables_after_summary(&o), want, "-Y");
}

/// The fixture `tests/fixtures/DIR/dns-tree__udp.pcap.txt`.
fn dns_tree_fixture(dir: &str) -> String {
    let fx = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(dir)
        .join("dns-tree__udp.pcap.txt");
    std::fs::read_to_string(&fx).unwrap_or_else(|e| panic!("{}: {e}", fx.display()))
}

/// Two DNS trees with a filter after each: each counts the frames its filter matches.
#[test]
fn dns_tree_with_a_filter_counts_the_frames_it_matches_as_tshark() {
    let want = dns_tree_fixture("z-dns-filter");
    let src = capture("dns-tree/udp.pcap");
    let o = run_nq(
        &src,
        &[
            "-z",
            "dns,tree,dns.flags.response == 1",
            "-z",
            "dns,tree,frame.number > 40 && udp.srcport != 53",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(tables_after_summary(&o), want);
    let o = run_nq(&src, &["-z", "dns,tree,dns.flags.response =="]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(stderr(&o).trim_end().lines().count(), 1, "{}", stderr(&o));
}

/// `-n -q -r SRC [--keylog K] -z credentials EXTRA…` for a `z-credentials` fixture's capture
/// (the login capture with tshark's decode-as rule for its port).
fn run_credentials(fx: &Path, extra: &[&str]) -> Option<std::process::Output> {
    let (src, keys) = http_source(fx)?;
    let src = src.to_string_lossy().into_owned();
    let mut args: Vec<&str> = vec!["-n", "-q", "-r", &src, "-z", "credentials"];
    args.extend(keys.iter().map(String::as_str));
    if src.ends_with("squirrel-login.pcap") {
        args.extend(["-d", "tcp.port==5683,http"]);
    }
    args.extend_from_slice(extra);
    Some(run(&args))
}

/// `-z credentials` as tshark 4.0 prints it (tests/fixtures/z-credentials, made by
/// scripts/make-z-credentials-fixtures.sh from captures made by curl): Basic user names,
/// other schemes as "n.a.", Digest/NTLM/Negotiate left out, glib's lenient base64, two fields
/// in one request, HTTPS decrypted with the key log. Byte for byte (a UTF-8 name too), but
/// for a user name tshark writes with raw bytes that are not printable text (an escape
/// sequence, a byte that is not UTF-8), which squirrel-sniff writes escaped.
#[test]
fn credentials_match_tshark() {
    let mut compared = 0;
    let mut escaped = 0;
    for fx in fixture_files("z-credentials")
        .iter()
        .filter(|f| f.extension().is_some_and(|e| e == "txt"))
    {
        let Some(o) = run_credentials(fx, &[]) else {
            continue;
        };
        assert_eq!(o.status.code(), Some(0), "{}: {}", fx.display(), stderr(&o));
        let want = std::fs::read(fx).expect("fixture");
        let got = tables_after_summary(&o);
        let want_lines: Vec<&[u8]> = want.split(|&b| b == b'\n').collect();
        let got_lines: Vec<&str> = got.split('\n').collect();
        assert_eq!(got_lines.len(), want_lines.len(), "{}: {got}", fx.display());
        for (g, w) in got_lines.iter().zip(&want_lines) {
            let text = std::str::from_utf8(w).ok();
            if text.is_some_and(|t| !t.chars().any(char::is_control)) {
                // Printable text (UTF-8 names too): byte for byte.
                assert_eq!(g.as_bytes(), *w, "{}", fx.display());
            } else {
                // Same frame and protocol; the name escaped, printable ASCII only.
                let head = w.get(..28).expect("a row");
                assert!(g.as_bytes().starts_with(head), "{}: {g}", fx.display());
                assert!(g.contains("\\x"), "{}: {g}", fx.display());
                assert!(g.bytes().all(|b| (0x20..0x7f).contains(&b)), "{g}");
                escaped += 1;
            }
        }
        compared += 1;
    }
    // The bundled captures always (six); with the corpus, its Basic auth capture too.
    assert!(compared >= 6, "{compared} fixtures compared");
    if !cfg!(no_corpus) {
        assert_eq!(compared, 7);
    }
    // http-auth's name with a 0xff byte, escape-injection's with an escape sequence.
    assert_eq!(escaped, 2);
}

#[test]
fn credentials_the_same_with_j2_and_after_the_packet_lines() {
    let fx = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/z-credentials/captures__https-auth.pcap.txt");
    let want = std::fs::read_to_string(&fx).expect("fixture");
    assert!(want.contains("HTTP basic auth  nutkin"), "{want}");
    let one = run_credentials(&fx, &["-j", "1"]).expect("capture");
    let two = run_credentials(&fx, &["-j", "2"]).expect("capture");
    assert_eq!(one.stdout, two.stdout, "-j 2");
    assert_eq!(tables_after_summary(&two), want);
    // Without -q: the packet lines, then the table.
    let src = captures().join("http-auth.pcap");
    let o = run(&["-n", "-r", src.to_str().expect("path"), "-z", "credentials"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.starts_with("    1 "), "{out}");
    assert!(
        out.contains("\n4          HTTP basic auth  alice "),
        "{out}"
    );
    // tshark's credentials tap takes no filter: said, not ignored.
    let o = run(&[
        "-r",
        src.to_str().expect("path"),
        "-q",
        "-z",
        "credentials,http",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("credentials takes no filter"),
        "{}",
        stderr(&o)
    );
}

/// `http.authbasic` as tshark fills it (the decoded text of each Basic field, up to a NUL);
/// tshark writes bytes that are not UTF-8 raw, squirrel-sniff as U+FFFD.
#[test]
fn authbasic_field_as_tshark() {
    for name in ["http-auth", "https-auth"] {
        let fx = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join(format!("tests/fixtures/z-credentials/{name}.authbasic.tsv"));
        let want = String::from_utf8_lossy(&std::fs::read(&fx).expect("fixture")).into_owned();
        let src = captures().join(format!("{name}.pcap"));
        let keys = captures().join(format!("{name}.keys"));
        let (src, keys) = (src.to_string_lossy(), keys.to_string_lossy());
        let mut args = vec!["-r", &src, "-T", "fields", "-e", "frame.number"];
        args.extend([
            "-e",
            "http.authbasic",
            "-E",
            "occurrence=a",
            "-E",
            "aggregator=,",
        ]);
        if name == "https-auth" {
            args.extend(["--keylog", &keys]);
        }
        let o = run(&args);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        assert_eq!(stdout(&o), want, "{name}");
        assert!(want.contains("\talice:secret1\n") || want.contains("\tsquirrel:fluffy-tail\n"));
    }
    // -V shows it under its header line, as tshark does.
    let src = captures().join("http-auth.pcap");
    let o = run(&[
        "-r",
        src.to_str().expect("path"),
        "-V",
        "-Y",
        "frame.number == 4",
    ]);
    assert!(
        stdout(&o).contains(
            "    Authorization: Basic YWxpY2U6c2VjcmV0MQ==\\r\\n\n        Credentials: alice:secret1\n"
        ),
        "{}",
        stdout(&o)
    );
}

/// `-z http2,tree` as tshark (tests/fixtures/z-http2, scripts/make-z-http2-fixtures.sh): every
/// HTTP/2 frame counted by type, in h2c and in TLS decrypted with the key log (given as a
/// file or inside the pcapng); a capture without HTTP/2 gives the empty tree; a tree with a
/// filter beside one without, in one run. The same bytes with `-j 2`.
#[test]
#[cfg_attr(no_corpus, ignore = "needs ../shared/corpus")]
fn http2_tree_matches_tshark_byte_for_byte() {
    let Some(c) = corpus() else { return };
    let mut compared = 0;
    for fx in fixture_files("z-http2") {
        let want = std::fs::read_to_string(&fx).expect("fixture");
        let name = fx.file_name().and_then(|n| n.to_str()).expect("name");
        let (src, stats): (PathBuf, Vec<&str>) = match name.split_once("__") {
            Some(("filter", file)) => (
                c.join("decrypt").join(file.trim_end_matches(".txt")),
                vec!["-z", "http2,tree,http2.streamid == 1", "-z", "http2,tree"],
            ),
            _ => (
                http_source(&fx).expect("capture").0,
                vec!["-z", "http2,tree"],
            ),
        };
        let keys = src.with_extension("keys");
        let src = src.to_string_lossy().into_owned();
        let keys = keys.to_string_lossy().into_owned();
        let mut extra = stats.clone();
        if std::path::Path::new(&keys).exists() {
            extra.extend(["--keylog", &keys]);
        }
        for j in ["1", "2"] {
            let mut args = extra.clone();
            args.extend(["-j", j]);
            let o = run_nq(&src, &args);
            assert_eq!(o.status.code(), Some(0), "{name}: {}", stderr(&o));
            assert_eq!(tables_after_summary(&o), want, "{name} -j {j}");
        }
        compared += 1;
    }
    assert_eq!(compared, 7);
    // The h2 fixtures count frames (the empty one does not).
    let h2 = fixture_text_in("z-http2", "decrypt__h2c-prior-knowledge.pcap.txt");
    assert!(h2.contains("\n  DATA           21 "), "{h2}");
}

fn fixture_text_in(dir: &str, name: &str) -> String {
    let fx = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(dir)
        .join(name);
    std::fs::read_to_string(&fx).unwrap_or_else(|e| panic!("{}: {e}", fx.display()))
}

/// `-z http_seq,tree` as tshark (tests/fixtures/z-http-seq, scripts/make-z-http-seq-fixtures.sh):
/// requests by their Referer chains, a Referer found at the latest node of its name, each
/// node above a request's URI counting it and its Referer once more, the rate over the time
/// of every HTTP message; a capture with HTTP and no Referer gives the empty tree. The same
/// bytes with `-j 2`.
#[test]
fn http_seq_tree_matches_tshark_byte_for_byte() {
    let mut compared = 0;
    for fx in fixture_files("z-http-seq") {
        let Some((src, _)) = http_source(&fx) else {
            continue;
        };
        let want = std::fs::read_to_string(&fx).expect("fixture");
        let src = src.to_string_lossy().into_owned();
        for j in ["1", "2"] {
            let o = run_nq(&src, &["-z", "http_seq,tree", "-j", j]);
            assert_eq!(o.status.code(), Some(0), "{}: {}", fx.display(), stderr(&o));
            assert_eq!(tables_after_summary(&o), want, "{} -j {j}", fx.display());
        }
        compared += 1;
    }
    // The bundled capture always; with the corpus, its three too.
    assert!(compared >= 1);
    if !cfg!(no_corpus) {
        assert_eq!(compared, 4);
    }
    let chains = fixture_text_in("z-http-seq", "http-seq__referers.pcap.txt");
    assert!(
        chains.contains("\n      http://127.0.0.1/H  1 "),
        "{chains}"
    );
}

/// One row of tests/fixtures/z-expert/INDEX.tsv: the fixture, then squirrel-sniff's
/// arguments for the run tshark's was made with (scripts/make-z-expert-fixtures.sh).
fn expert_runs() -> Vec<(PathBuf, Vec<String>)> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let dir = root.join("tests/fixtures/z-expert");
    let index = std::fs::read_to_string(dir.join("INDEX.tsv")).expect("INDEX.tsv");
    let mut runs = Vec::new();
    for line in index.lines().skip(1) {
        let cols: Vec<&str> = line.split('\t').collect();
        let [name, capture, keys, stat, rule] = cols.as_slice() else {
            panic!("INDEX.tsv: {line}");
        };
        let path = |p: &str| root.join(p).to_string_lossy().into_owned();
        let mut args = vec![
            "-n".to_string(),
            "-q".into(),
            "-r".into(),
            path(capture),
            "-z".into(),
            stat.to_string(),
        ];
        if *keys != "-" {
            args.extend(["--keylog".to_string(), path(keys)]);
        }
        if *rule != "-" {
            args.extend(["-d".to_string(), rule.to_string()]);
        }
        runs.push((dir.join(format!("{name}.txt")), args));
    }
    runs
}

/// `-z expert[,SEVERITY][,FILTER]` as tshark 4.0 prints it: for every `z-expert` fixture
/// (TCP's chats, notes and warnings with the tcp.analysis items, HTTP/1.x's request and
/// status lines, in clear and decrypted with the key log, odd bytes escaped as tshark's
/// labels, the Ethernet padding note, IPv4's length error and TTL notes, the severity
/// argument, a filter),
/// byte for byte, and the same with -j 1 and -j 2.
#[test]
#[cfg_attr(no_corpus, ignore = "needs ../shared/corpus")]
fn expert_items_match_tshark_byte_for_byte() {
    let runs = expert_runs();
    assert_eq!(runs.len(), 100, "fixtures");
    let mut with_items = 0;
    for (fx, args) in &runs {
        let want = std::fs::read_to_string(fx).expect("fixture");
        with_items += usize::from(!want.is_empty());
        for threads in [None, Some("1"), Some("2")] {
            let mut a: Vec<&str> = args.iter().map(String::as_str).collect();
            if let Some(j) = threads {
                a.extend(["-j", j]);
            }
            let o = run(&a);
            assert_eq!(o.status.code(), Some(0), "{}: {}", fx.display(), stderr(&o));
            assert_eq!(
                tables_after_summary(&o),
                want,
                "{} (-j {threads:?})",
                fx.display()
            );
        }
    }
    // Most fixtures have items (a few captures have none in tshark either).
    assert!(with_items >= 90, "{with_items} fixtures with items");
}

/// Where tshark writes a request line's characters raw that could mislead a terminal (line
/// and paragraph separators, invisible fillers; captures/expert/unsafe-lines.pcap) or decodes
/// leniently (an encoded surrogate, an overlong `/`: U+FFFD for each bad byte in ours),
/// squirrel-sniff escapes them (`\u2028`); every other row is tshark's.
#[test]
fn expert_summaries_reach_the_terminal_escaped() {
    let want = std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/z-expert-escaped/captures__unsafe-lines.pcap.txt"),
    )
    .expect("fixture");
    let o = run_nq(&capture("expert/unsafe-lines.pcap"), &["-z", "expert"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let got = tables_after_summary(&o);
    let (got, want): (Vec<&str>, Vec<&str>) = (got.lines().collect(), want.lines().collect());
    assert_eq!(got.len(), want.len(), "{}", got.join("\n"));
    let mut escaped = 0;
    for (g, w) in got.iter().zip(&want) {
        if g == w {
            continue;
        }
        assert!(w.contains("HTTP  GET /"), "{w}");
        // No control, separator or invisible filler left raw (U+FFFD for bad UTF-8 is).
        let raw = ['\u{2028}', '\u{2029}', '\u{34f}', '\u{3164}', '\u{115f}'];
        assert!(
            !g.chars().any(|c| c.is_control() || raw.contains(&c)),
            "{g}"
        );
        escaped += 1;
    }
    assert_eq!(escaped, 3, "{}", got.join("\n"));
    assert!(got
        .iter()
        .any(|l| l.ends_with("HTTP  GET /\\u2028\\u2029 HTTP/1.1\\r\\n")));
    assert!(want.iter().any(|l| l.contains('\u{2028}')));
}

/// The severity argument and a filter that does not compile are one usage line (exit 2).
#[test]
fn expert_arguments_it_cannot_read_are_one_usage_line() {
    let f = capture("squirrel-http.pcap");
    for z in [
        "expert,warn,tcp.port ==",
        "expert,errors",
        "expertise",
        "expert;warn",
    ] {
        assert_one_usage_line(&f, z);
    }
}

/// Expert rows count against the -z share of the memory budget as the other tables' rows.
#[test]
#[cfg_attr(no_corpus, ignore = "needs ../shared/corpus")]
fn expert_rows_stop_at_the_memory_budget() {
    let Some(c) = corpus() else { return };
    // 40 requests for distinct URIs: over 40 rows. An 8 KiB budget leaves 25.
    let src = c.join("http/pipelined-many-requests.pcap");
    let src = src.to_string_lossy().into_owned();
    let rows = |o: &std::process::Output| {
        stdout(o)
            .lines()
            .filter(|l| l.starts_with("   ") && !l.contains("Frequency"))
            .count()
    };
    let full = run_nq(&src, &["-z", "expert"]);
    assert!(rows(&full) > 40, "{}", stdout(&full));
    assert!(stderr(&full).is_empty(), "{}", stderr(&full));
    let o = run_nq(&src, &["-z", "expert", "--max-total-buffer", "8192"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!((2..=25).contains(&rows(&o)), "{}", stdout(&o));
    assert!(
        stderr(&o).contains("expert items) were past the memory budget"),
        "{}",
        stderr(&o)
    );
}
