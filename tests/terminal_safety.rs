//! No wire byte may drive the terminal. `captures/escape-injection.pcap` (made by
//! `scripts/make-escape-capture.sh`: real loopback traffic) carries CSI and OSC sequences,
//! C1 controls (raw and UTF-8), NUL/BEL/BS/DEL, bidi overrides and invalid UTF-8 in HTTP
//! request lines, headers, bodies, credentials, form fields, TLS SNI and ALPN. Every output
//! mode is replayed over it, with and without colour, and both stdout and stderr are checked:
//! valid UTF-8, no control byte but `\n` and `\t`, no C1, no bidi control, and ESC only as part
//! of our own colour codes. `--follow-format raw` is exempt by design and checked to write
//! exactly the stream's bytes instead.

mod common;
use common::*;

use std::collections::BTreeMap;
use std::path::PathBuf;

fn capture() -> PathBuf {
    let p = captures().join("escape-injection.pcap");
    assert!(
        p.exists(),
        "{} is missing: run scripts/make-escape-capture.sh",
        p.display()
    );
    p
}

/// Our own SGR codes (src/render/color.rs); the only escape sequences allowed in output.
const OUR_SGR: &[&str] = &[
    "\x1b[0m",
    "\x1b[1m",
    "\x1b[2m",
    "\x1b[31m",
    "\x1b[32m",
    "\x1b[33m",
    "\x1b[34m",
    "\x1b[35m",
    "\x1b[36m",
    "\x1b[1;97;41m",
];

fn strip_our_colours(s: &str) -> String {
    let mut out = s.to_string();
    for code in OUR_SGR {
        out = out.replace(code, "");
    }
    out
}

/// Every way a wire byte could reach the terminal raw; the first offender is reported with
/// its context so a failure says where it came from.
fn first_unsafe(bytes: &[u8], colour: bool) -> Option<String> {
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            let at = e.valid_up_to();
            let ctx = bytes
                .get(at.saturating_sub(60)..(at + 20).min(bytes.len()))
                .unwrap_or(&[]);
            return Some(format!(
                "not valid UTF-8 at byte {at}: …{}…",
                String::from_utf8_lossy(ctx)
            ));
        }
    };
    let text = if colour {
        strip_our_colours(text)
    } else {
        text.to_string()
    };
    for (i, c) in text.char_indices() {
        let v = c as u32;
        let bad = match c {
            '\n' | '\t' => false,
            _ if v < 0x20 || v == 0x7f => true,
            _ if (0x80..=0x9f).contains(&v) => true,
            _ if (0x202a..=0x202e).contains(&v) || (0x2066..=0x2069).contains(&v) => true,
            _ => false,
        };
        if bad {
            let head = text.get(..i).unwrap_or("");
            let before: String = head
                .chars()
                .rev()
                .take(80)
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect();
            let after: String = text.get(i..).unwrap_or("").chars().take(40).collect();
            return Some(format!("raw U+{v:04X} at byte {i}: {before:?} + {after:?}"));
        }
    }
    None
}

fn assert_terminal_safe(what: &str, bytes: &[u8], colour: bool) {
    if let Some(problem) = first_unsafe(bytes, colour) {
        panic!("{what}: {problem}");
    }
}

#[test]
fn the_check_catches_what_it_must() {
    for bad in [
        &b"a\x1b[2Jb"[..],
        b"nul\x00",
        b"bs\x08",
        b"cr\rx",
        b"del\x7f",
        b"\xff\xfe",
        b"\x9b",
        "c1 \u{9b}".as_bytes(),
        "nel \u{85}".as_bytes(),
        "bidi \u{202e}".as_bytes(),
        "iso \u{2066}".as_bytes(),
    ] {
        assert!(first_unsafe(bad, false).is_some(), "{bad:?} not caught");
    }
    assert_eq!(
        first_unsafe("ok\tline\n\\x1b[2J → é\n".as_bytes(), false),
        None
    );
    // Colour: our SGR codes pass, any other ESC sequence does not.
    assert_eq!(first_unsafe(b"\x1b[1m\x1b[32mHTTP\x1b[0m", true), None);
    assert!(first_unsafe(b"\x1b[1m\x1b[2J", true).is_some());
    assert!(
        first_unsafe(b"\x1b[32m", false).is_some(),
        "without --color always, no ESC at all"
    );
}

struct Run {
    stdout: String,
}

/// Run with `args` over the capture; assert exit 0 and terminal safety of stdout and stderr.
fn run_safe(args: &[&str]) -> Run {
    let cap = capture();
    let mut all = vec!["-r", cap.to_str().expect("path")];
    all.extend_from_slice(args);
    let o = run(&all);
    let what = format!("squirrel-sniff {}", args.join(" "));
    assert_eq!(o.status.code(), Some(0), "{what}: {}", stderr(&o));
    let colour = args.contains(&"always");
    assert_terminal_safe(&format!("{what} (stdout)"), &o.stdout, colour);
    assert_terminal_safe(&format!("{what} (stderr)"), &o.stderr, colour);
    assert!(!o.stdout.is_empty(), "{what}: no output");
    Run {
        stdout: String::from_utf8(o.stdout).expect("checked"),
    }
}

/// The escaped URI of the GET request, exactly as every text mode must show it.
const URI_ESCAPED: &str =
    "/\\x1b[2J\\x1b[H/\\x9b31m\\x85/\\u{202e}evil\\u{2066}txt\\u{2069}?q=\\x00\\x07\\x08\\x7f";
const SNI_ESCAPED: &str =
    "evil\\x1b[2J\\x1b[H\\x1b]52;c;cm0gLXJmIH4=\\x07.example\\u{202e}evil\\u{2066}txt\\u{2069}";

fn with_and_without_colour(args: &[&str], check: impl Fn(&Run)) {
    for colour in ["never", "always"] {
        let mut a = args.to_vec();
        a.extend_from_slice(&["--color", colour]);
        let r = run_safe(&a);
        let plain = Run {
            stdout: strip_our_colours(&r.stdout),
        };
        check(&plain);
    }
}

#[test]
fn summary_lines() {
    with_and_without_colour(&[], |r| {
        assert!(
            r.stdout.contains(&format!("GET {URI_ESCAPED} HTTP/1.1")),
            "{}",
            r.stdout
        );
        assert!(
            r.stdout.contains("HTTP/1.1 200 OK\\x1b[31m"),
            "status line escaped"
        );
        assert!(
            r.stdout.contains(&format!("SNI={SNI_ESCAPED}")),
            "SNI escaped"
        );
        assert_eq!(
            r.stdout
                .lines()
                .filter(|l| l.trim_start().starts_with(char::is_numeric))
                .count(),
            30
        );
    });
}

#[test]
fn tree() {
    with_and_without_colour(&["-V"], |r| {
        let s = &r.stdout;
        assert!(s.contains(&format!("Request URI: {URI_ESCAPED}")));
        assert!(s.contains(
            "User-Agent: squirrel-agent \\x1b]52;c;cm0gLXJmIH4=\\x07\\x1b]8;;http://evil.example/"
        ));
        assert!(s.contains("\\xff\\xfe"), "invalid UTF-8 shown as bytes");
        assert!(s.contains("Server: squirrel\\x1b[2J\\x1b[H"));
        assert!(
            s.contains("Set-Cookie: session=\\x9b31m\\x85\\x9b32m\\x85; HttpOnly"),
            "raw and UTF-8 C1 both escaped"
        );
        assert!(
            s.contains("user=\\x1b[2J\\x1b[Hadmin&password=\\u{202e}evil"),
            "form body escaped"
        );
        assert!(s.contains(&format!("Server Name: {SNI_ESCAPED}")));
        assert!(s.contains("ALPN Next Protocol: h2\\x1b[31m"));
        assert!(s.contains("ALPN Next Protocol: http/1.1\\x9b31m\\x85"));
    });
}

#[test]
fn hex_dumps() {
    for args in [&["-x"][..], &["-V", "-x"][..]] {
        with_and_without_colour(args, |r| {
            // ESC [ 2 J as hex, and as dots in the ASCII column.
            assert!(
                r.stdout.contains("1b 5b 32 4a"),
                "CSI bytes in the hex columns"
            );
            assert!(
                r.stdout.contains(".[2J.[H"),
                "ESC shown as a dot in the ASCII column"
            );
        });
    }
}

#[test]
fn json_lines_parse_and_carry_escaped_strings() {
    for colour in ["never", "always"] {
        let r = run_safe(&["--json", "--color", colour]);
        assert!(
            !r.stdout.contains('\x1b'),
            "--json never carries colour codes"
        );
        let v: Vec<serde_json::Value> = r
            .stdout
            .lines()
            .map(|l| {
                serde_json::from_str(l).unwrap_or_else(|e| panic!("invalid JSON line {l:?}: {e}"))
            })
            .collect();
        let reqs = of_type(&v, "http.request");
        assert_eq!(reqs.len(), 2);
        assert_eq!(reqs[0]["uri"], URI_ESCAPED);
        let hello = of_type(&v, "tls.client_hello");
        assert_eq!(hello.len(), 1);
        let text = serde_json::to_string(hello[0]).expect("json");
        assert!(
            text.contains(&SNI_ESCAPED.replace('\\', "\\\\")),
            "SNI escaped in JSON: {text}"
        );
        // No string value anywhere holds a control or bidi character once decoded.
        fn walk(v: &serde_json::Value) {
            match v {
                serde_json::Value::String(s) => {
                    assert_terminal_safe("JSON string value", s.as_bytes(), false)
                }
                serde_json::Value::Array(a) => a.iter().for_each(walk),
                serde_json::Value::Object(o) => o.values().for_each(walk),
                _ => {}
            }
        }
        v.iter().for_each(walk);
    }
}

#[test]
fn follow_ascii_hex_http() {
    // ascii (as tshark's follow): every byte outside printable ASCII is a dot.
    with_and_without_colour(&["--follow", "0"], |r| {
        assert!(
            r.stdout
                .contains("GET /.[2J.[H/.31m./...evil...txt...?q=.... HTTP/1.1\n"),
            "{}",
            r.stdout
        );
        assert!(r.stdout.contains("\nlow .... bad ..\n"));
        assert!(
            r.stdout.contains("\nC1 .31m. ..32m..\n"),
            "raw C1 one dot, UTF-8 C1 two"
        );
    });
    with_and_without_colour(&["--follow", "all"], |r| {
        assert!(r.stdout.contains("Filter: tcp.stream eq 2"));
        assert!(r.stdout.contains("Server: squirrel.[2J.[H\n"));
        assert!(
            r.stdout.contains("Filter: tcp.stream eq 1")
                && r.stdout.contains("Filter: tcp.stream eq 0")
        );
    });
    with_and_without_colour(&["--follow", "0", "--follow-format", "hex"], |r| {
        assert!(
            r.stdout.contains("1b 5b 32 4a") || r.stdout.contains("1b5b 324a"),
            "{}",
            r.stdout
        );
    });
    with_and_without_colour(&["--follow", "all", "--follow-format", "http"], |r| {
        assert!(r.stdout.contains(&format!("GET {URI_ESCAPED} HTTP/1.1")));
        assert!(r
            .stdout
            .contains("X-Link: \\x1b]8;;http://evil.example/\\x1b\\click me"));
        assert!(r.stdout.contains("C1 \\x9b31m\\x85 \\x9b32m\\x85"));
    });
}

#[test]
fn conversations_table() {
    with_and_without_colour(&["--conversations"], |r| {
        assert!(r.stdout.contains("127.0.0.1"), "{}", r.stdout);
    });
    with_and_without_colour(&["-q", "--conversations"], |r| {
        assert!(r.stdout.lines().count() >= 3, "{}", r.stdout);
    });
}

/// Client → server and server → client payload bytes of each TCP connection, in capture
/// order, read straight from the pcap (loopback: no loss, no reordering, no retransmission).
fn streams_from_pcap() -> Vec<(Vec<u8>, Vec<u8>)> {
    use pcap_parser::traits::PcapReaderIterator;
    use pcap_parser::{LegacyPcapReader, PcapBlockOwned, PcapError};
    let file = std::fs::File::open(capture()).expect("open");
    let mut reader = LegacyPcapReader::new(1 << 16, file).expect("pcap");
    // (client port) -> index; index -> (to server, to client)
    let mut index: BTreeMap<u16, usize> = BTreeMap::new();
    let mut streams: Vec<(Vec<u8>, Vec<u8>)> = Vec::new();
    loop {
        match reader.next() {
            Ok((n, block)) => {
                if let PcapBlockOwned::Legacy(b) = block {
                    let p = etherparse::SlicedPacket::from_ethernet(b.data).expect("ethernet");
                    if let Some(etherparse::TransportSlice::Tcp(t)) = p.transport {
                        let (sport, dport) = (t.source_port(), t.destination_port());
                        if t.syn() && !t.ack() {
                            index.insert(sport, streams.len());
                            streams.push((Vec::new(), Vec::new()));
                        }
                        let payload = t.payload();
                        if let Some(&i) = index.get(&sport) {
                            streams[i].0.extend_from_slice(payload);
                        } else if let Some(&i) = index.get(&dport) {
                            streams[i].1.extend_from_slice(payload);
                        }
                    }
                }
                reader.consume(n);
            }
            Err(PcapError::Eof) => break,
            Err(PcapError::Incomplete(_)) => reader.refill().expect("refill"),
            Err(e) => panic!("pcap: {e:?}"),
        }
    }
    streams
}

#[test]
fn raw_follow_writes_exactly_the_stream_bytes() {
    let streams = streams_from_pcap();
    assert_eq!(streams.len(), 3, "GET, POST and TLS connections");
    assert!(
        streams[0].0.starts_with(b"GET /\x1b[2J"),
        "the capture holds the raw bytes"
    );
    assert!(
        first_unsafe(&streams[0].0, false).is_some(),
        "so raw output is unsafe by design"
    );
    for (i, (to_server, to_client)) in streams.iter().enumerate() {
        for (dir, want) in [("to-server", to_server), ("to-client", to_client)] {
            let cap = capture();
            let id = i.to_string();
            let o = run(&[
                "-r",
                cap.to_str().expect("path"),
                "--follow",
                &id,
                "--follow-format",
                "raw",
                "--follow-dir",
                dir,
            ]);
            assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
            assert!(
                o.stdout == *want,
                "stream {i} {dir}: {} bytes out, {} in the capture",
                o.stdout.len(),
                want.len()
            );
            assert_terminal_safe("raw follow (stderr)", &o.stderr, false);
        }
    }
}

#[test]
fn report_findings_and_display_filter() {
    // The report quotes hostnames, SNI, request lines and credentials from the wire.
    with_and_without_colour(&["-q", "--report", "--secret", "evil"], |r| {
        assert!(
            r.stdout.contains("What an eavesdropper sees"),
            "{}",
            r.stdout
        );
        assert!(
            r.stdout.contains("\\x1b"),
            "escaped forms are visible: {}",
            r.stdout
        );
    });
    // Findings printed under the summary lines and in the tree.
    with_and_without_colour(&["--secret", "evil"], |r| {
        assert!(r.stdout.contains("⚠"), "{}", r.stdout);
    });
    with_and_without_colour(&["-V", "--secret", "evil", "-Y", "finding"], |r| {
        assert!(
            r.stdout.contains("What an eavesdropper learns here"),
            "{}",
            r.stdout
        );
    });
    with_and_without_colour(&["--hierarchy", "--stats", "-q"], |r| {
        assert!(
            r.stdout.contains("Protocol Hierarchy Statistics"),
            "{}",
            r.stdout
        );
    });
    // The JSON report stays valid.
    let r = run_safe(&["--json", "--report", "-q"]);
    for l in r.stdout.lines() {
        serde_json::from_str::<serde_json::Value>(l).unwrap_or_else(|e| panic!("{l}: {e}"));
    }
}

#[test]
fn compare_and_info() {
    let cap = capture();
    let c = cap.to_str().expect("path");
    let http = captures().join("squirrel-http.pcap");
    for colour in ["never", "always"] {
        let o = run(&[
            "compare",
            c,
            http.to_str().expect("p"),
            "--secret",
            "evil",
            "--color",
            colour,
        ]);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        assert_terminal_safe("compare", &o.stdout, colour == "always");
        assert_terminal_safe("compare (stderr)", &o.stderr, colour == "always");
        let s = strip_our_colours(&String::from_utf8_lossy(&o.stdout));
        assert!(
            s.contains("evil\\x1b[2J"),
            "the hostile SNI is shown escaped: {s}"
        );
    }
    let o = run(&["compare", c, http.to_str().expect("p"), "--json"]);
    assert_terminal_safe("compare --json", &o.stdout, false);
    serde_json::from_slice::<serde_json::Value>(&o.stdout).expect("one JSON object");
    let o = run(&["info", c]);
    assert_eq!(o.status.code(), Some(0));
    assert_terminal_safe("info", &o.stdout, false);
}
