//! The options that imitate tshark and tcpdump, compared with what those tools print for the
//! bundled captures (tests/fixtures/cli, made by scripts/make-cli-fixtures.sh; CI has
//! neither tool): `-t FORMAT`, `-T fields -e -E`, `-A`, `-X`, `-w` with `-Y`; and
//! `--list-fields`, `--findings`, compressed captures, `-i N`.

mod common;
use common::*;

use std::path::PathBuf;

fn fixture(name: &str) -> String {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/cli")
        .join(name);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// The bundled captures of the Flask app (escape-injection.pcap is left out: tshark prints
/// its hostile bytes raw where squirrel-sniff escapes them).
fn bundled() -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(captures())
        .expect("captures/")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("squirrel-") && n.ends_with(".pcap"))
        .map(|n| n.trim_end_matches(".pcap").to_string())
        .collect();
    v.sort();
    assert_eq!(v.len(), 7, "{v:?}");
    v
}

fn cap(name: &str) -> String {
    capture(&format!("{name}.pcap"))
}

fn run_env(args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
    let mut c = bin();
    c.args(args);
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().expect("run")
}

/// "number time" of each line, the time being one or two words.
fn number_and_time(out: &str, words: usize) -> String {
    out.lines()
        .map(|l| {
            l.split_whitespace()
                .take(1 + words)
                .collect::<Vec<_>>()
                .join(" ")
        })
        .map(|l| l + "\n")
        .collect()
}

#[test]
fn time_formats_match_tshark() {
    for name in bundled() {
        for f in ["r", "a", "ad", "adoy", "d", "dd", "e", "u", "ud"] {
            // A zone with a half-hour offset, so local and UTC formats really differ.
            let o = run_env(
                &[
                    "-r",
                    &cap(&name),
                    "-t",
                    f,
                    "-Y",
                    "tcp.len > 0",
                    "--findings",
                    "off",
                ],
                &[("TZ", "Asia/Kolkata")],
            );
            assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
            let words = if matches!(f, "ad" | "adoy" | "ud") {
                2
            } else {
                1
            };
            assert_eq!(
                number_and_time(&stdout(&o), words),
                fixture(&format!("{name}.time-{f}.txt")),
                "{name} -t {f}"
            );
        }
    }
}

#[test]
fn tcpdump_time_spellings_are_aliases() {
    let c = cap("squirrel-http");
    for (alias, same) in [
        ("-tt", "e"),
        ("-ttt", "d"),
        ("-tttt", "ad"),
        ("-ttttt", "r"),
    ] {
        let a = run(&["-r", &c, alias]);
        let b = run(&["-r", &c, "-t", same]);
        assert_eq!(a.status.code(), Some(0), "{alias}: {}", stderr(&a));
        assert_eq!(stdout(&a), stdout(&b), "{alias} is -t {same}");
    }
    let o = run(&["-r", &c, "-t", "x"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("adoy"), "{}", stderr(&o));
}

const FIELDS: &[&str] = &[
    "frame.number",
    "frame.len",
    "ip.src",
    "ip.dst",
    "tcp.srcport",
    "tcp.dstport",
    "tcp.port",
    "tcp.stream",
    "tcp.len",
    "tcp.seq",
    "tcp.ack",
    "tcp.flags.syn",
    "tcp.flags.fin",
    "tcp.flags.push",
    "http.request.method",
    "http.request.uri",
    "http.host",
    "http.response.code",
    "http.content_type",
    "http.user_agent",
    "tls.handshake.type",
    "tls.handshake.extensions_server_name",
    "tls.handshake.version",
];

#[test]
fn fields_output_matches_tshark() {
    for name in bundled() {
        let c = cap(&name);
        let mut args: Vec<&str> = vec!["-r", &c, "-T", "fields"];
        for f in FIELDS {
            args.extend(["-e", f]);
        }
        args.extend([
            "-E",
            "header=y",
            "-E",
            "separator=,",
            "-E",
            "quote=d",
            "-E",
            "occurrence=a",
        ]);
        let o = run(&args);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        assert_eq!(stdout(&o), fixture(&format!("{name}.fields.csv")), "{name}");
    }
}

/// `squirrel-sniff -r CAPTURE ARGS` (ARGS split on spaces).
fn run_on(capture: &str, args: &str) -> std::process::Output {
    let mut all = vec!["-r", capture];
    all.extend(args.split(' '));
    run(&all)
}

#[test]
fn fields_options_occurrence_quote_separator() {
    let c = cap("squirrel-http");
    let o = run_on(
        &c,
        "-T fields -e tcp.port -e http.host -E occurrence=f -E quote=s -E separator=/s -Y http.request",
    );
    assert_eq!(stdout(&o), "'46460' '127.0.0.1:5683'\n");
    let o = run_on(&c, "-T fields -e tcp.port -E occurrence=l -E header=n -c 2");
    assert_eq!(stdout(&o), "5683\n46460\n");
    // Usage errors: an unknown field (with a suggestion), a bad -E, -e without -T fields.
    let o = run(&["-r", &c, "-T", "fields", "-e", "ip.adr"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("ip.addr"), "{}", stderr(&o));
    let o = run(&["-r", &c, "-T", "fields", "-e", "ip.src", "-E", "quote=x"]);
    assert_eq!(o.status.code(), Some(2));
    let o = run(&["-r", &c, "-e", "ip.src"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("-T fields"), "{}", stderr(&o));
    // -T json is --json.
    let a = run(&["-r", &c, "-T", "json"]);
    let b = run(&["-r", &c, "--json"]);
    assert_eq!(stdout(&a), stdout(&b));
}

#[test]
fn list_fields_names_every_display_filter_field_and_the_man_page_carries_it() {
    let o = run(&["--list-fields"]);
    assert_eq!(o.status.code(), Some(0));
    let list = stdout(&o);
    let man = stdout(&run(&["man"]));
    let mut n = 0;
    for l in list.lines() {
        let cols: Vec<&str> = l.split('\t').collect();
        assert_eq!(cols.len(), 3, "name, type, description: {l}");
        assert!(!cols[2].is_empty(), "{l}");
        // Each name is one -Y understands, and the man page lists it.
        let y = run(&["-r", &cap("squirrel-http"), "-Y", cols[0], "-c", "1"]);
        assert_eq!(y.status.code(), Some(0), "-Y {}: {}", cols[0], stderr(&y));
        assert!(
            man.contains(&format!("\\fB{}\\fR", cols[0].replace('-', "\\-"))),
            "man page lists {}",
            cols[0]
        );
        n += 1;
    }
    assert!(n > 40, "{n} fields");
    assert!(list.contains("tcp.stream\tinteger\t"));
    assert!(list.contains("tls.sni\tstring\t"));
}

#[test]
fn dash_x_capital_matches_tcpdump() {
    for name in bundled() {
        let o = run(&["-r", &cap(&name), "-X"]);
        assert_eq!(o.status.code(), Some(0));
        let lines: String = stdout(&o)
            .lines()
            .filter(|l| l.starts_with("\t0x"))
            .map(|l| format!("{l}\n"))
            .collect();
        assert_eq!(lines, fixture(&format!("{name}.X.txt")), "{name}");
    }
}

#[test]
fn dash_a_matches_tcpdump() {
    for name in bundled() {
        let o = run(&[
            "-r",
            &cap(&name),
            "-A",
            "--findings",
            "off",
            "--color",
            "never",
        ]);
        assert_eq!(o.status.code(), Some(0));
        // Everything but the summary lines (`    N   0.000000 ...`).
        let rest: String = stdout(&o)
            .lines()
            .filter(|l| {
                let mut w = l.split_whitespace();
                !(w.next().is_some_and(|n| n.parse::<u64>().is_ok())
                    && w.next()
                        .is_some_and(|t| t.contains('.') && t.parse::<f64>().is_ok())
                    && l.starts_with(' '))
            })
            .map(|l| format!("{l}\n"))
            .collect();
        assert_eq!(rest, fixture(&format!("{name}.A.txt")), "{name}");
    }
}

#[test]
fn findings_inline_end_off() {
    let c = cap("squirrel-login");
    let inline = stdout(&run(&["-r", &c, "--color", "never"]));
    let end = stdout(&run(&["-r", &c, "--color", "never", "--findings", "end"]));
    let off = stdout(&run(&["-r", &c, "--color", "never", "--findings", "off"]));
    let is_finding = |l: &&str| l.trim_start().starts_with('⚠');
    let findings: Vec<&str> = inline.lines().filter(is_finding).collect();
    assert!(findings.len() >= 10, "{}", findings.len());
    assert!(off.lines().all(|l| !is_finding(&l)));
    let packets: Vec<&str> = inline.lines().filter(|l| !is_finding(l)).collect();
    assert_eq!(
        off.lines().collect::<Vec<_>>(),
        packets,
        "off = inline minus findings"
    );
    // end: the same packet lines, then the same findings in the same order.
    let end: Vec<&str> = end.lines().collect();
    let (head, tail) = end.split_at(packets.len());
    assert_eq!(head, &packets[..]);
    assert_eq!(tail, &findings[..]);
    // JSON: the finding records move or go, the rest stays.
    let json = |extra: &str| {
        let o = run(&["-r", &c, "--json", "--findings", extra]);
        ndjson(&o)
    };
    let inline = json("inline");
    let off = json("off");
    let n = of_type(&inline, "finding").len();
    assert!(n >= 10);
    assert_eq!(of_type(&off, "finding").len(), 0);
    assert_eq!(inline.len() - n, off.len());
    // --report still counts them with --findings off.
    let o = run(&["-r", &c, "--findings", "off", "--fail-on-leak", "-q"]);
    assert_eq!(o.status.code(), Some(7));
}

#[cfg_attr(no_corpus, ignore = "needs ../shared/corpus")]
#[test]
fn compressed_captures_read_transparently() {
    use flate2::write::GzEncoder;
    use std::io::Write;
    let dir = temp_dir("gz");
    let plain = cap("squirrel-login");
    let bytes = std::fs::read(&plain).expect("read");
    let want = run(&["-r", &plain, "--json"]);
    let gz = |data: &[u8]| {
        let mut e = GzEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(data).expect("gz");
        e.finish().expect("gz")
    };
    // .pcap.gz, and two gzip members one after the other (what `cat a.gz b.gz` makes).
    let one = dir.join("login.pcap.gz");
    std::fs::write(&one, gz(&bytes)).expect("write");
    let half = bytes.len() / 2;
    let mut two = gz(&bytes[..half]);
    two.extend(gz(&bytes[half..]));
    let multi = dir.join("login-members.pcap.gz");
    std::fs::write(&multi, &two).expect("write");
    for f in [&one, &multi] {
        let o = run(&["-r", f.to_str().expect("path"), "--json"]);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        assert_eq!(o.stdout, want.stdout, "{}", f.display());
    }
    // A compressed pcapng (sniffed by content: the name says nothing), from the corpus.
    if let Some(corpus) = corpus() {
        let ng = corpus.join("http/chunked-responses.pcapng");
        let ng_bytes = std::fs::read(&ng).expect("read");
        assert!(ng_bytes.starts_with(&[0x0a, 0x0d, 0x0d, 0x0a]), "a pcapng");
        let ngz = dir.join("capture.bin");
        std::fs::write(&ngz, gz(&ng_bytes)).expect("write");
        let a = run(&["-r", ngz.to_str().expect("path"), "--json"]);
        let b = run(&["-r", ng.to_str().expect("path"), "--json"]);
        assert_eq!(a.status.code(), Some(0), "{}", stderr(&a));
        assert!(!a.stdout.is_empty());
        assert_eq!(a.stdout, b.stdout);
    }
    // gzip on standard input.
    let mut child = bin()
        .args(["-r", "-", "--json"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    let data = gz(&bytes);
    let mut stdin = child.stdin.take().expect("stdin");
    let feeder = std::thread::spawn(move || {
        let _ = stdin.write_all(&data);
    });
    let o = child.wait_with_output().expect("wait");
    feeder.join().expect("feeder");
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(o.stdout, want.stdout);
    // Corrupt gzip is an input error, not a panic.
    let bad = dir.join("bad.pcap.gz");
    let mut b = gz(&bytes);
    b.truncate(b.len() / 3);
    std::fs::write(&bad, &b).expect("write");
    let o = run(&["-r", bad.to_str().expect("path"), "-q"]);
    assert!(
        matches!(o.status.code(), Some(3) | Some(4)),
        "{:?} {}",
        o.status,
        stderr(&o)
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn interface_by_number_from_dash_d() {
    let o = run(&["-D"]);
    let list = stdout(&o);
    let n = list
        .lines()
        .find_map(|l| {
            let (num, rest) = l.split_once('.')?;
            rest.starts_with("lo ").then(|| num.to_string())
        })
        .expect("-D lists lo");
    let too_big = (list.lines().count() + 1).to_string();
    let o = run(&["-i", &too_big, "-c", "1"]);
    assert_eq!(o.status.code(), Some(5), "{}", stderr(&o));
    assert!(stderr(&o).contains("-D lists"), "{}", stderr(&o));
    if !can_capture() {
        return;
    }
    let mut child = bin()
        .args(["-i", &n, "-c", "1", "-q"])
        .stderr(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("spawn");
    use std::io::BufRead;
    let mut first = String::new();
    std::io::BufReader::new(child.stderr.take().expect("stderr"))
        .read_line(&mut first)
        .expect("stderr");
    let _ = child.kill();
    let _ = child.wait();
    assert!(first.contains("listening on lo,"), "-i {n}: {first}");
}

#[test]
fn write_with_display_filter_keeps_what_tshark_keeps() {
    let dir = temp_dir("wY");
    for name in bundled() {
        let out = dir.join(format!("{name}.pcap"));
        let o = run(&[
            "-r",
            &cap(&name),
            "-Y",
            "tcp.len > 0",
            "-w",
            out.to_str().expect("path"),
        ]);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        let want: u64 = fixture(&format!("{name}.wY.count"))
            .trim()
            .parse()
            .expect("count");
        let back = run(&[
            "-r",
            out.to_str().expect("path"),
            "-T",
            "fields",
            "-e",
            "tcp.len",
        ]);
        let lens: Vec<u64> = stdout(&back)
            .lines()
            .map(|l| l.parse().expect("tcp.len"))
            .collect();
        assert_eq!(
            lens.len() as u64,
            want,
            "{name}: packets written, as tshark -Y -w"
        );
        assert!(
            lens.iter().all(|n| *n > 0),
            "{name}: only displayed packets"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn bad_input_gets_a_clear_usage_error() {
    let c = cap("squirrel-http");
    let o = run(&["-r", &c, "-c", "0"]);
    assert_eq!(o.status.code(), Some(2), "-c 0");
    assert!(stdout(&o).is_empty());
    let o = run(&["-r", &c, "--follow", "9"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("--follow 9: this capture has TCP streams 0–0"),
        "{}",
        stderr(&o)
    );
    assert!(stdout(&o).is_empty(), "nothing followed");
    let login = cap("squirrel-login");
    let streams = stdout(&run(&["-r", &login, "-T", "fields", "-e", "tcp.stream"]))
        .lines()
        .filter_map(|l| l.parse::<u64>().ok())
        .max()
        .expect("streams");
    let o = run(&["-r", &login, "--follow", "99"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains(&format!("this capture has TCP streams 0–{streams}")),
        "{}",
        stderr(&o)
    );
    // A missing --ca-file is named once.
    let dir = temp_dir("badca");
    let missing = dir.join("no-such-ca.pem");
    let o = run(&["-r", &c, "--ca-file", missing.to_str().expect("path")]);
    assert_eq!(o.status.code(), Some(3));
    assert_eq!(
        stderr(&o).matches("no-such-ca.pem").count(),
        1,
        "{}",
        stderr(&o)
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn file_names_in_messages_are_escaped_like_wire_data() {
    let dir = temp_dir("esc-name");
    let evil = dir.join("cap\x1b]0;owned\x07\x1b[2J.pcap");
    std::fs::copy(cap("squirrel-http"), &evil).expect("copy");
    let name = evil.to_str().expect("path");
    let missing = dir.join("gone\x1b[31m.pcap");
    for args in [
        vec!["info", name],
        vec!["-r", missing.to_str().expect("path")],
        vec!["info", missing.to_str().expect("path")],
        vec!["-r", name, "--ca-file", missing.to_str().expect("path")],
        vec![
            "-r",
            name,
            "--secrets-file",
            missing.to_str().expect("path"),
        ],
    ] {
        let o = run(&args);
        let all = format!("{}{}", stdout(&o), stderr(&o));
        assert!(
            !all.contains('\x1b') && !all.contains('\x07'),
            "{args:?}: {all:?}"
        );
        assert!(
            all.contains("\\x1b"),
            "{args:?} names the file, escaped: {all}"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}
