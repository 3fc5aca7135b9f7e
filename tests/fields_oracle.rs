//! `-T fields` prints what tshark 4.0 prints for the same fields of the corpus captures
//! (tests/fixtures/tshark-fields/NAME.tsv, made with tshark's own names and
//! `-E occurrence=a -E separator=/t -E aggregator=,`; scripts/tshark-oracle.py compares every
//! field on every capture): IDs and versions in hexadecimal padded to their width as tshark's
//! BASE_HEX fields are, analysis flags only when set, message kinds as 1 per message,
//! `tcp.ack` as on the wire without the ACK flag, an encrypted handshake record as a
//! `tls.handshake`, and tshark's names for the TLS alert fields.

mod common;
use common::*;

/// Stop 38's HTTP fields, in the order of their fixtures (scripts/make-oracle-fixtures.sh).
const HTTP_FIELDS_38: &[&str] = &[
    "http.file_data",
    "http.request.uri.path",
    "http.request.uri.query",
    "http.request.uri.query.parameter",
    "http.response.code.desc",
    "http.content_length_header",
    "http.cookie_pair",
    "http.time",
    "http.request_number",
    "http.response_number",
    "http.prev_request_in",
    "http.prev_response_in",
    "http.request.line",
    "http.response.line",
];

/// (capture under ../shared/corpus, key log, fixture, our field names in the fixture's order).
const CASES: &[(&str, Option<&str>, &str, &[&str])] = &[
    (
        "decrypt/dns-udp.pcap",
        None,
        "dns-udp.tsv",
        &["dns.id", "dns.flags.rcode", "dns.qry.type"],
    ),
    (
        "decrypt/quic-h3.pcap",
        Some("decrypt/quic-h3.keys"),
        "quic-h3.tsv",
        &["quic.version"],
    ),
    (
        "decrypt/h2c-prior-knowledge.pcap",
        None,
        "h2c-prior-knowledge.tsv",
        &["http2.flags", "http2.type", "http2.streamid"],
    ),
    (
        "tcp/retransmit-timeout.pcapng",
        None,
        "retransmit-timeout.tsv",
        &["tcp.analysis.retransmission", "tcp.len"],
    ),
    (
        "tls/alert-handshake-failure.pcap",
        None,
        "alert-handshake-failure.tsv",
        // tshark's names (aliases here).
        &[
            "tls.alert_message",
            "tls.alert_message.desc",
            "tls.record.version",
        ],
    ),
    (
        "http/pipelined-2-requests-one-segment.pcap",
        None,
        "pipelined-2-requests-one-segment.tsv",
        // A message kind once per message (two requests in frame 4).
        &["http.request", "http.response", "http.request.method"],
    ),
    (
        "tls/tls10-session-id-resumption.pcap",
        None,
        "tls10-session-id-resumption.tsv",
        // tcp.ack as on the wire on a bare RST (frames 37, 39, 63); tls.handshake on the
        // encrypted Finished after ChangeCipherSpec (frames 11, 12).
        &["tcp.ack", "tls.handshake", "tls.handshake.type"],
    ),
    // Stop 38's HTTP fields: the body as text, the target's parts, tshark's status names.
    (
        "http/keepalive-5-requests.pcap",
        None,
        "http-exchanges-keepalive-5-requests.tsv",
        &[
            "http.request_number",
            "http.response_number",
            "http.prev_request_in",
            "http.prev_response_in",
            "http.request_in",
            "http.time",
        ],
    ),
    (
        "http/chunked-responses.pcapng",
        None,
        "http-fields-chunked-responses.tsv",
        HTTP_FIELDS_38,
    ),
    (
        "http/get-gzip.pcap",
        None,
        "http-fields-get-gzip.tsv",
        HTTP_FIELDS_38,
    ),
    (
        "http/methods-and-bad-request-lines.pcap",
        None,
        "http-fields-methods-and-bad-request-lines.tsv",
        HTTP_FIELDS_38,
    ),
    (
        "http/post-form-urlencoded.pcap",
        None,
        "http-fields-post-form-urlencoded.tsv",
        HTTP_FIELDS_38,
    ),
    (
        "http/ipv6-multipart-post-chunked.pcap",
        None,
        "http-fields-ipv6-multipart-post-chunked.tsv",
        HTTP_FIELDS_38,
    ),
    // Stop 34's fields (made with scripts/tshark-oracle.py's preferences and decode-as).
    (
        "http/get.pcap",
        None,
        "get-headers.tsv",
        &[
            "frame.time_epoch",
            "frame.time_relative",
            "frame.time_delta",
            "eth.src",
            "eth.dst",
            "eth.type",
            "ip.version",
            "ip.hdr_len",
            "ip.dsfield",
            "ip.len",
            "ip.id",
            "ip.flags",
            "ip.flags.df",
            "ip.ttl",
            "ip.proto",
            "ip.checksum",
            "tcp.seq_raw",
            "tcp.ack_raw",
            "tcp.nxtseq",
            "tcp.hdr_len",
            "tcp.flags",
            "tcp.window_size_value",
            "tcp.window_size",
            "tcp.checksum",
            "tcp.urgent_pointer",
            "tcp.options.mss_val",
            "tcp.options.wscale.shift",
            "tcp.payload",
        ],
    ),
    (
        "http/get-gzip.pcap",
        None,
        "get-gzip-http.tsv",
        &[
            "http.request.version",
            "http.request.full_uri",
            "http.response.version",
            "http.response.phrase",
            "http.response_for.uri",
            "http.request_in",
            "http.content_length",
            "http.server",
            "http.connection",
            "http.content_encoding",
            "http.accept",
        ],
    ),
    (
        "http/basic-auth-port-8000.pcap",
        None,
        "basic-auth-port-8000.tsv",
        &[
            "http.authorization",
            "http.user_agent",
            "http.request.full_uri",
        ],
    ),
    (
        "link/null-ipv6-http.pcap",
        None,
        "null-ipv6-http.tsv",
        // tshark's IPv6 layer shows `ip.version` too; flow label and traffic class in hex.
        &[
            "ip.version",
            "ipv6.tclass",
            "ipv6.flow",
            "ipv6.plen",
            "ipv6.nxt",
            "ipv6.hlim",
        ],
    ),
    (
        "decrypt/dns-udp.pcap",
        None,
        "dns-udp-flags.tsv",
        // AA and RA in responses only; no TTL for the OPT pseudo-record, whose name is <Root>.
        &[
            "udp.checksum",
            "dns.flags",
            "dns.flags.opcode",
            "dns.flags.authoritative",
            "dns.flags.recdesired",
            "dns.flags.recavail",
            "dns.count.queries",
            "dns.count.answers",
            "dns.count.auth_rr",
            "dns.count.add_rr",
            "dns.qry.class",
            "dns.resp.type",
            "dns.resp.ttl",
            "dns.resp.name",
        ],
    ),
    (
        "tls/tls13-sni-alpn-grease-mlkem.pcap",
        None,
        "tls13-sni-alpn-grease-mlkem.tsv",
        &[
            "tls.handshake.ciphersuite",
            "tls.handshake.extension.type",
            "tls.handshake.extensions_alpn_str",
            "tls.handshake.extensions.supported_version",
            "tls.handshake.extensions_supported_group",
        ],
    ),
    (
        "tls/tls12-full-handshake-rsa.pcap",
        None,
        "tls12-content-type.tsv",
        &["tls.record.content_type"],
    ),
    (
        "decrypt/quic-h3.pcap",
        Some("decrypt/quic-h3.keys"),
        "quic-h3-ids.tsv",
        // The ClientHello and ServerHello inside CRYPTO frames count as TLS's.
        &[
            "quic.long.packet_type",
            "quic.dcid",
            "quic.scid",
            "tls.handshake.ciphersuite",
        ],
    ),
    (
        "decrypt/h2c-prior-knowledge.pcap",
        None,
        "h2c-pseudo-headers.tsv",
        &[
            "http2.headers.method",
            "http2.headers.path",
            "http2.headers.authority",
            "http2.headers.scheme",
            "http2.headers.status",
        ],
    ),
    // TLS 1.3 decrypted with its key log (tshark with `-o tls.keylog_file:`): the
    // messages after the ServerHello, the EncryptedExtensions' extensions (server_name's
    // empty acknowledgement, ALPN), one record field per record (no value for a note).
    (
        "decrypt/tls13-aes128.pcap",
        Some("decrypt/tls13-aes128.keys"),
        "tls13-aes128-decrypted.tsv",
        TLS13_DECRYPTED,
    ),
    (
        "decrypt/h2-tls.pcap",
        Some("decrypt/h2-tls.keys"),
        "h2-tls-decrypted.tsv",
        TLS13_DECRYPTED,
    ),
    (
        "decrypt/tls13-ech-grease.pcap",
        Some("decrypt/tls13-ech-grease.keys"),
        "tls13-ech-grease-decrypted.tsv",
        TLS13_DECRYPTED,
    ),
    (
        "decrypt/quic-h3.pcap",
        Some("decrypt/quic-h3.keys"),
        "quic-h3-handshake.tsv",
        // The Handshake and 1-RTT CRYPTO frames' messages, EncryptedExtensions' ALPN, the
        // NewSessionTicket's early_data extension.
        &[
            "tls.handshake.type",
            "tls.handshake.extension.type",
            "tls.handshake.extensions_alpn_str",
        ],
    ),
    // Found by scripts/tshark-oracle.py at stop 37 (fixtures: scripts/make-oracle-fixtures.sh).
    // The outer IPv4 header's flags of a GRE packet carrying PPP, not IP (frame 16).
    (
        "link/pcap-big-endian.pcap",
        None,
        "pcap-big-endian-ip-flags.tsv",
        &["ip.flags", "ip.flags.df", "ip.flags.mf"],
    ),
    // ICMP, ICMPv6 and UDP header fields of datagrams put back together from fragments,
    // in the frame that completes them.
    (
        concat!(env!("CARGO_MANIFEST_DIR"), "/captures/ip-fragments.pcap"),
        None,
        "ip-fragments-transport.tsv",
        &[
            "icmp.type",
            "icmp.code",
            "icmpv6.type",
            "icmpv6.code",
            "udp.checksum",
        ],
    ),
    // The legacy version of the ClientHello and ServerHello in QUIC Initial CRYPTO frames.
    (
        "decrypt/quic-h3.pcap",
        Some("decrypt/quic-h3.keys"),
        "quic-h3-hello-version.tsv",
        &["tls.handshake.version"],
    ),
];

const TLS13_DECRYPTED: &[&str] = &[
    "tls.handshake.type",
    "tls.record.version",
    "tls.record.content_type",
    "tls.handshake.extension.type",
    "tls.handshake.extensions_alpn_str",
    "tls.handshake.extensions_supported_group",
];

/// `-r CORPUS/PCAP [--keylog CORPUS/KEYS] -T fields -e frame.number -e FIELD…` with the
/// fixtures' `-E` options (every occurrence, tab-separated, joined by commas).
fn fields_args(
    corpus: &std::path::Path,
    pcap: &str,
    keys: Option<&str>,
    fields: &[&str],
) -> Vec<String> {
    let mut args: Vec<String> = vec!["-r".into(), corpus.join(pcap).to_string_lossy().into()];
    if let Some(k) = keys {
        args.extend(["--keylog".into(), corpus.join(k).to_string_lossy().into()]);
    }
    args.extend([
        "-T".into(),
        "fields".into(),
        "-e".into(),
        "frame.number".into(),
    ]);
    for f in fields {
        args.extend(["-e".into(), (*f).to_string()]);
    }
    for e in ["occurrence=a", "separator=/t", "aggregator=,"] {
        args.extend(["-E".into(), e.into()]);
    }
    args
}

#[test]
#[cfg_attr(no_corpus, ignore = "needs ../shared/corpus")]
fn fields_print_as_tshark_prints_them() {
    let Some(corpus) = corpus() else { return };
    let fixtures =
        std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/tshark-fields");
    for (pcap, keys, fixture, fields) in CASES {
        let want = std::fs::read_to_string(fixtures.join(fixture)).expect("fixture");
        let args = fields_args(&corpus, pcap, *keys, fields);
        let o = run(&args.iter().map(String::as_str).collect::<Vec<_>>());
        assert_eq!(o.status.code(), Some(0), "{pcap}: {}", stderr(&o));
        let got = stdout(&o);
        for (g, w) in got.lines().zip(want.lines()) {
            assert_eq!(g, w, "{pcap}: ours / tshark");
        }
        assert_eq!(got.lines().count(), want.lines().count(), "{pcap}: frames");
    }
}

/// Window scaling when the capture misses the SYN, the SYN-ACK or both, or a handshake says
/// there is no scaling (tests/fixtures/window-scale, cut from corpus captures with `editcap
/// -r` by scripts/make-window-scale-fixtures.sh): `tcp.window_size` and `tcp.window_size_scalefactor` (-1 unknown, -2 none, not on a
/// SYN) in `-T fields` and `-Y`, and the `-V` window lines, as tshark 4.0 shows them.
#[test]
fn window_scale_as_tshark_when_the_handshake_is_missing() {
    let mut pcaps = 0;
    for path in fixture_files("window-scale") {
        if path.extension().and_then(|e| e.to_str()) != Some("pcap") {
            continue;
        }
        pcaps += 1;
        let pcap = path.to_string_lossy().into_owned();
        let read = |ext: &str| std::fs::read_to_string(path.with_extension(ext)).expect("fixture");
        let o = run(&[
            "-r",
            &pcap,
            "-T",
            "fields",
            "-e",
            "frame.number",
            "-e",
            "tcp.window_size_value",
            "-e",
            "tcp.window_size",
            "-e",
            "tcp.window_size_scalefactor",
        ]);
        assert_eq!(o.status.code(), Some(0), "{pcap}: {}", stderr(&o));
        assert_eq!(stdout(&o), read("tsv"), "{pcap}: -T fields, ours / tshark");
        let o = run(&["-r", &pcap, "-V"]);
        let tree: String = stdout(&o)
            .lines()
            .filter(|l| {
                [
                    "    Window: ",
                    "    [Calculated window size: ",
                    "    [Window size scaling factor: ",
                ]
                .iter()
                .any(|p| l.starts_with(p))
            })
            .map(|l| format!("{l}\n"))
            .collect();
        assert_eq!(tree, read("tree"), "{pcap}: -V, ours / tshark");
    }
    assert_eq!(pcaps, 5);
    let dir =
        std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/window-scale");
    let filters = std::fs::read_to_string(dir.join("filters.tsv")).expect("filters.tsv");
    for line in filters.lines() {
        let mut cols = line.split('\t');
        let (Some(pcap), Some(filter), Some(want)) = (cols.next(), cols.next(), cols.next()) else {
            panic!("filters.tsv: {line}");
        };
        let pcap = dir.join(pcap).to_string_lossy().into_owned();
        let o = filter_frames(&pcap, filter);
        assert_eq!(o.status.code(), Some(0), "{filter}: {}", stderr(&o));
        let out = stdout(&o);
        let got: Vec<&str> = out.lines().map(str::trim).collect();
        assert_eq!(got.join(","), want, "{pcap}: -Y '{filter}', ours / tshark");
    }
}

/// The EncryptedExtensions message of a TLS 1.3 session decrypted with its key log, as
/// tshark 4.0 shows it in `-V` (`-o tls.keylog_file:`): the extensions' lines (server_name's
/// empty acknowledgement, the ALPN protocol chosen).
#[test]
#[cfg_attr(no_corpus, ignore = "needs ../shared/corpus")]
fn encrypted_extensions_tree_as_tshark_shows_it() {
    let Some(corpus) = corpus() else { return };
    let fixtures =
        std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/tshark-fields");
    for cap in ["tls13-aes128", "h2-tls", "tls13-ech-grease"] {
        let pcap = corpus.join(format!("decrypt/{cap}.pcap"));
        let keys = corpus.join(format!("decrypt/{cap}.keys"));
        let (pcap, keys) = (pcap.to_string_lossy(), keys.to_string_lossy());
        let o = run(&["-r", &pcap, "--keylog", &keys, "-V"]);
        assert_eq!(o.status.code(), Some(0), "{cap}: {}", stderr(&o));
        // The message's node and every line indented under it.
        let head = "        Handshake Protocol: Encrypted Extensions";
        let mut tree = String::new();
        let mut inside = false;
        for l in stdout(&o).lines() {
            let indent = l.len() - l.trim_start().len();
            inside = l == head || (inside && indent > head.len() - head.trim_start().len());
            if inside {
                tree.push_str(l);
                tree.push('\n');
            }
        }
        let want =
            std::fs::read_to_string(fixtures.join(format!("{cap}-ee.tree"))).expect("fixture");
        assert_eq!(tree, want, "{cap}: -V, ours / tshark");
    }
}

/// A fixture of tests/fixtures/tshark-fields.
fn tshark_fixture(name: &str) -> String {
    let dir =
        std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/tshark-fields");
    std::fs::read_to_string(dir.join(name)).expect("fixture")
}

/// Lines of `-V` output: every node at `head`'s indent whose line is `head`, with the lines
/// indented under it, minus each certificate's X.509 subtree (the lines under a
/// `Certificate: ` line: tshark shows the full ASN.1 tree there, squirrel-sniff its summary).
fn message_nodes(v: &str, head: &str) -> String {
    let depth = |l: &str| l.len() - l.trim_start().len();
    let base = depth(head);
    let mut out = String::new();
    let mut inside = false;
    let mut skip_below: Option<usize> = None;
    for l in v.lines() {
        inside = l == head || (inside && depth(l) > base);
        if !inside {
            continue;
        }
        if let Some(d) = skip_below {
            if depth(l) > d {
                continue;
            }
            skip_below = None;
        }
        if l.trim_start().starts_with("Certificate: ") {
            skip_below = Some(depth(l));
        }
        out.push_str(l);
        out.push('\n');
    }
    out
}

/// The Certificate message as tshark 4.0 shows it in `-V` (fixtures made by
/// scripts/make-oracle-fixtures.sh): TLS 1.3's request context, certificate list length,
/// each certificate's length, its `Certificate: <first 36 bytes>… (subject RDNs, last
/// first)` line and its extensions length, after decryption with the key log; TLS 1.0/1.2
/// chains the same without the TLS 1.3 fields (an empty client chain stops at its length).
#[test]
#[cfg_attr(no_corpus, ignore = "needs ../shared/corpus")]
fn certificate_message_as_tshark_shows_it() {
    let Some(corpus) = corpus() else { return };
    let head = "        Handshake Protocol: Certificate";
    for cap in [
        "decrypt/tls13-aes128",
        "decrypt/h2-tls",
        "tls/tls12-full-handshake-rsa",
        "tls/ipv6-certificate-request-alert",
        "tls/alert-unrecognized-name",
        "tls/tls10-session-id-resumption",
    ] {
        let pcap = corpus
            .join(format!("{cap}.pcap"))
            .to_string_lossy()
            .into_owned();
        let keys = corpus.join(format!("{cap}.keys"));
        let mut args = vec!["-r".to_string(), pcap, "-V".into()];
        if keys.exists() {
            args.extend(["--keylog".into(), keys.to_string_lossy().into_owned()]);
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let o = run(&args);
        assert_eq!(o.status.code(), Some(0), "{cap}: {}", stderr(&o));
        let name = cap.rsplit('/').next().unwrap_or(cap);
        let want = tshark_fixture(&format!("{name}-cert.tree"));
        assert!(
            want.contains(head),
            "{cap}: fixture without a Certificate message"
        );
        assert_eq!(
            message_nodes(&stdout(&o), head),
            message_nodes(&want, head),
            "{cap}: -V, ours / tshark"
        );
    }
}

/// A TLS 1.3 record's header in `-V` as tshark 4.0 shows it: the outer type of a protected
/// record is `Opaque Type: Application Data (23)`, followed once decrypted by the inner
/// `[Content Type: …]`; records before the ServerHello keep `Content Type`.
#[test]
#[cfg_attr(no_corpus, ignore = "needs ../shared/corpus")]
fn tls13_record_headers_as_tshark_shows_them() {
    let Some(corpus) = corpus() else { return };
    let pcap = corpus.join("decrypt/tls13-aes128.pcap");
    let keys = corpus.join("decrypt/tls13-aes128.keys");
    let (pcap, keys) = (pcap.to_string_lossy(), keys.to_string_lossy());
    let o = run(&["-r", &pcap, "--keylog", &keys, "-V"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let ours: String = stdout(&o)
        .lines()
        .filter(|l| {
            [
                "Content Type",
                "Opaque Type",
                "Version",
                "Length",
                "[Content Type",
            ]
            .iter()
            .any(|p| l.strip_prefix("        ").is_some_and(|r| r.starts_with(p)))
        })
        .map(|l| format!("{l}\n"))
        .collect();
    let want = tshark_fixture("tls13-aes128-records.txt");
    assert_eq!(ours, want, "-V record headers, ours / tshark");
}

/// `-2` as tshark's second pass: the frames an HTTP/1.x message points forward to
/// (`http.response_in`, `http.next_request_in`, `http.next_response_in`), clear and in TLS
/// with the key log (tests/fixtures/tshark-fields/http-forward-*.tsv, made by
/// scripts/make-oracle-fixtures.sh with `tshark -2`). Without `-2` they stay empty, as in
/// tshark's single pass.
#[test]
#[cfg_attr(no_corpus, ignore = "needs ../shared/corpus")]
fn forward_frames_with_two_passes_as_tshark() {
    let Some(corpus) = corpus() else { return };
    let fixtures =
        std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/tshark-fields");
    let fields = [
        "http.response_in",
        "http.next_request_in",
        "http.next_response_in",
        "http.request_number",
        "http.response_number",
    ];
    let mut filled = 0;
    for (pcap, keys, fixture) in [
        (
            "http/keepalive-5-requests.pcap",
            None,
            "keepalive-5-requests",
        ),
        ("http/chunked-responses.pcapng", None, "chunked-responses"),
        (
            "decrypt/tls12-ecdhe-aesgcm.pcap",
            Some("decrypt/tls12-ecdhe-aesgcm.keys"),
            "tls12-ecdhe-aesgcm",
        ),
        (
            "decrypt/tls13-aes128.pcap",
            Some("decrypt/tls13-aes128.keys"),
            "tls13-aes128",
        ),
    ] {
        let want = std::fs::read_to_string(fixtures.join(format!("http-forward-{fixture}.tsv")))
            .expect("fixture");
        let args = fields_args(&corpus, pcap, keys, &fields);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let mut two = vec!["-2"];
        two.extend(&args);
        let o = run(&two);
        assert_eq!(o.status.code(), Some(0), "{pcap}: {}", stderr(&o));
        assert_eq!(stdout(&o), want, "{pcap}: ours with -2 / tshark -2");
        // The forward cells tshark's second pass filled; one pass leaves them empty.
        let forward = |text: &str| -> usize {
            text.lines()
                .flat_map(|l| l.split('\t').skip(1).take(3))
                .filter(|c| !c.is_empty())
                .count()
        };
        filled += forward(&want);
        let one = run(&args);
        assert_eq!(forward(&stdout(&one)), 0, "{pcap}: one pass");
    }
    assert!(filled >= 10, "{filled} forward cells");
}

/// `-2` reads the file twice: refused for standard input, as a usage error.
#[test]
fn two_passes_need_a_file() {
    let cap = capture("squirrel-http.pcap");
    let bytes = std::fs::read(&cap).expect("capture");
    let mut c = bin();
    c.args(["-2", "-r", "-"]);
    c.stdin(std::process::Stdio::piped());
    c.stdout(std::process::Stdio::piped());
    c.stderr(std::process::Stdio::piped());
    let mut child = c.spawn().expect("spawn");
    {
        use std::io::Write;
        let _ = child.stdin.take().expect("stdin").write_all(&bytes);
    }
    let o = child.wait_with_output().expect("wait");
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("-2 reads the file twice"),
        "{}",
        stderr(&o)
    );
}
