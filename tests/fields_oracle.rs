//! `-T fields` prints what tshark 4.0 prints for the same fields of the corpus captures
//! (tests/fixtures/tshark-fields/NAME.tsv, made with tshark's own names and
//! `-E occurrence=a -E separator=/t -E aggregator=,`; scripts/tshark-oracle.py compares every
//! field on every capture): IDs and versions in hexadecimal padded to their width as tshark's
//! BASE_HEX fields are, analysis flags only when set, message kinds as 1 per message,
//! `tcp.ack` as on the wire without the ACK flag, an encrypted handshake record as a
//! `tls.handshake`, and tshark's names for the TLS alert fields.

mod common;
use common::*;

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
];

#[test]
#[cfg_attr(no_corpus, ignore = "needs ../shared/corpus")]
fn fields_print_as_tshark_prints_them() {
    let Some(corpus) = corpus() else { return };
    let fixtures =
        std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/tshark-fields");
    for (pcap, keys, fixture, fields) in CASES {
        let want = std::fs::read_to_string(fixtures.join(fixture)).expect("fixture");
        let path = corpus.join(pcap).to_string_lossy().into_owned();
        let key_path = keys.map(|k| corpus.join(k).to_string_lossy().into_owned());
        let mut args: Vec<&str> = vec!["-r", &path, "-T", "fields", "-e", "frame.number"];
        if let Some(k) = &key_path {
            args.extend(["--keylog", k]);
        }
        for f in *fields {
            args.extend(["-e", f]);
        }
        args.extend([
            "-E",
            "occurrence=a",
            "-E",
            "separator=/t",
            "-E",
            "aggregator=,",
        ]);
        let o = run(&args);
        assert_eq!(o.status.code(), Some(0), "{pcap}: {}", stderr(&o));
        let got = stdout(&o);
        for (g, w) in got.lines().zip(want.lines()) {
            assert_eq!(g, w, "{pcap}: ours / tshark");
        }
        assert_eq!(got.lines().count(), want.lines().count(), "{pcap}: frames");
    }
}
