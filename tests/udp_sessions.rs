//! UDP sessions against tshark's `udp.stream`: every UDP datagram of the corpus captures
//! that carry UDP gets the session id tshark gives it (ids in order of first datagram,
//! both directions of a five-tuple in one session).
//!
//! Expected sequences made with tshark 4.0:
//! `tshark -r FILE -Y udp -T fields -e udp.stream` (one id per UDP datagram, in order).

mod common;
use common::bin;

use std::path::Path;

use squirrel_sniff::capture::FileSource;
use squirrel_sniff::decode::{self, Transport};
use squirrel_sniff::flow::{Endpoint, FlowConfig, UdpDatagram, UdpEvent, UdpSink, UdpTable};

const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/corpus");

#[derive(Default)]
struct Opened(u64, u64);

impl UdpSink for Opened {
    fn udp_event(&mut self, _: u64, ev: UdpEvent<'_>) {
        match ev {
            UdpEvent::Open { .. } => self.0 += 1,
            UdpEvent::Close { .. } => self.1 += 1,
            UdpEvent::Datagram { .. } => {}
        }
    }
}

/// The session id of every UDP datagram of `file`, in capture order.
fn session_ids(file: &str) -> Vec<u32> {
    let path = Path::new(CORPUS).join(file);
    let mut src = FileSource::open(&path).expect("open");
    let mut table = UdpTable::new(FlowConfig::default());
    let mut sink = Opened::default();
    let mut ids = Vec::new();
    let mut frame = 0u64;
    while let Some(pkt) = src.next_packet().expect("read") {
        frame += 1;
        let d = decode::decode(pkt.link, pkt.data);
        let Some(Transport::Udp(u)) = &d.transport else {
            continue;
        };
        let Some((s, t)) = d.addrs() else { continue };
        table.advance(pkt.ts, &mut sink);
        let a = table.datagram(
            &UdpDatagram {
                frame,
                ts: pkt.ts,
                src: Endpoint {
                    addr: s,
                    port: u.src_port,
                },
                dst: Endpoint {
                    addr: t,
                    port: u.dst_port,
                },
                payload: pkt.data.get(d.payload.clone()).unwrap_or_default(),
                payload_offset: d.payload.start,
                wire_len: d.payload_wire_len as u32,
                frame_len: pkt.len,
            },
            &mut sink,
        );
        ids.push(a.session);
    }
    table.finish(&mut sink);
    assert_eq!(sink.0, sink.1, "{file}: every session opened is closed");
    ids
}

/// Corpus captures with UDP, and tshark's `udp.stream` of each UDP datagram.
const CASES: [(&str, &[u32]); 4] = [
    (
        "link/pcapng-big-endian-multi-section.pcapng",
        &[0, 1, 2, 0, 1, 0, 1, 2],
    ),
    (
        "tls/tls12-alpn-session-resumption.pcap",
        &[0, 1, 2, 2, 3, 4, 3, 4, 5, 5, 6, 6],
    ),
    (
        "decrypt/dns-udp.pcap",
        &[0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5],
    ),
    ("decrypt/quic-h3.pcap", &[0; 16]),
];

#[cfg_attr(no_corpus, ignore = "needs ../shared/corpus")]
#[test]
fn udp_session_ids_match_tshark_udp_stream() {
    for (file, want) in CASES {
        assert_eq!(session_ids(file), want, "{file}");
    }
}

/// `squirrel-sniff -r FILE ARGS`: exit 0, its standard output.
fn fields(file: &str, args: &[&str]) -> String {
    let path = Path::new(CORPUS).join(file);
    let o = bin()
        .arg("-r")
        .arg(&path)
        .args(args)
        .output()
        .expect("run squirrel-sniff");
    assert_eq!(o.status.code(), Some(0), "{file} {args:?}");
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// `udp.stream` in `-T fields -e` and in `-Y`: tshark's ids (the sequences above), and a
/// filter on one session shows just its datagrams. `udp.srcport`, `udp.dstport` and
/// `udp.length` are compared with tshark itself when it is installed (it is not in CI);
/// frame numbers are left out (tshark counts pcapng custom blocks as frames).
#[cfg_attr(no_corpus, ignore = "needs ../shared/corpus")]
#[test]
fn udp_stream_and_fields_on_the_command_line_equal_tshark() {
    for (file, want) in CASES {
        let ids: Vec<u32> = fields(file, &["-Y", "udp", "-T", "fields", "-e", "udp.stream"])
            .lines()
            .map(|l| l.trim().parse().expect("a udp.stream number"))
            .collect();
        assert_eq!(ids, want, "{file}");
        for session in [0, want.iter().copied().max().unwrap_or(0)] {
            let filter = format!("udp.stream == {session}");
            let shown = fields(file, &["-Y", &filter, "-T", "fields", "-e", "udp.stream"]);
            let n = want.iter().filter(|i| **i == session).count();
            assert_eq!(shown, format!("{session}\n").repeat(n), "{file}: {filter}");
        }
        let args = [
            "-Y",
            "udp",
            "-T",
            "fields",
            "-e",
            "udp.stream",
            "-e",
            "udp.srcport",
            "-e",
            "udp.dstport",
            "-e",
            "udp.length",
        ];
        let path = Path::new(CORPUS).join(file);
        if let Ok(t) = std::process::Command::new("tshark")
            .arg("-n")
            .arg("-r")
            .arg(&path)
            .args(args)
            .output()
        {
            if t.status.success() {
                let ours = fields(file, &args);
                assert_eq!(ours, String::from_utf8_lossy(&t.stdout), "{file}: tshark");
                assert_eq!(ours.lines().count(), want.len(), "{file}");
            }
        }
    }
}
