//! The bundled Secret Squirrels captures (captures/): decoded content, the secret in clear
//! over HTTP and nowhere else.

mod common;
use common::*;

/// Concatenated ASCII columns of each frame's `-x` dump (the secret may straddle lines).
fn ascii_per_frame(s: &str) -> Vec<String> {
    let mut frames = Vec::new();
    let mut cur = String::new();
    for l in s.lines() {
        let is_hex = l.len() > 56
            && l.as_bytes().get(4) == Some(&b' ')
            && l[..4].chars().all(|c| c.is_ascii_hexdigit());
        if is_hex {
            if l.starts_with("0000") && !cur.is_empty() {
                frames.push(std::mem::take(&mut cur));
            }
            cur.push_str(&l[56..]);
        }
    }
    if !cur.is_empty() {
        frames.push(cur);
    }
    frames
}

const ALL: [(&str, usize, usize); 7] = [
    ("squirrel-http.pcap", 12, 1),
    ("squirrel-fernet.pcap", 12, 1),
    ("squirrel-https.pcap", 14, 1),
    ("squirrel-https-tls12.pcap", 15, 1),
    ("squirrel-https-badca.pcap", 9, 1),
    ("squirrel-https-badca-tls12.pcap", 9, 1),
    ("squirrel-login.pcap", 112, 7),
];

#[test]
fn every_capture_decodes_loopback_tcp_on_5683() {
    for (name, packets, streams) in ALL {
        let o = run(&["-r", &capture(name), "--json"]);
        assert_eq!(o.status.code(), Some(0), "{name}: {}", stderr(&o));
        let v = ndjson(&o);
        let p = of_type(&v, "packet");
        assert_eq!(p.len(), packets, "{name}: packets");
        for x in &p {
            assert_eq!(x["src_ip"], "127.0.0.1", "{name}");
            assert_eq!(x["dst_ip"], "127.0.0.1", "{name}");
            assert!(x["src_port"] == 5683 || x["dst_port"] == 5683, "{name}");
            assert_eq!(x["link"], "EN10MB");
            assert_eq!(x["len"], x["caplen"]);
        }
        assert_eq!(p[0]["tcp_flags"], "S", "{name}: starts with the SYN");
        assert_eq!(p[0]["dst_port"], 5683);
        assert_eq!(p[1]["tcp_flags"], "SA", "{name}: then SYN-ACK");
        assert_eq!(p[2]["tcp_flags"], "A", "{name}: then ACK");
        assert_eq!(p[0]["payload_len"], 0);
        let mut ids: Vec<u64> = p.iter().filter_map(|x| tcp_stream(x)).collect();
        ids.dedup();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), streams, "{name}: streams");
        let closes = of_type(&v, "tcp.stream")
            .into_iter()
            .filter(|s| s["event"] == "close")
            .count();
        assert_eq!(closes, streams, "{name}: every stream closed");
    }
}

#[test]
fn secret_in_clear_only_over_plain_http() {
    let o = run(&["-r", &capture("squirrel-http.pcap"), "-x"]);
    let frames = ascii_per_frame(&stdout(&o));
    assert_eq!(frames.len(), 12);
    let with: Vec<usize> = frames
        .iter()
        .enumerate()
        .filter(|(_, f)| f.contains("fluffy tail"))
        .map(|(i, _)| i + 1)
        .collect();
    assert_eq!(
        with.len(),
        1,
        "the secret is in exactly one frame: {with:?}"
    );
    for (name, _, _) in ALL
        .iter()
        .filter(|(n, _, _)| n.contains("https") || n.contains("fernet"))
    {
        let o = run(&["-r", &capture(name), "-x"]);
        let s = stdout(&o);
        assert!(
            !ascii_per_frame(&s).iter().any(|f| f.contains("fluffy")),
            "{name}: no secret in clear"
        );
        assert!(!s.contains("fluffy"), "{name}");
    }
}

#[test]
fn plain_http_exchange_is_dissected_on_port_5683() {
    let o = run(&["-r", &capture("squirrel-http.pcap"), "--json"]);
    let v = ndjson(&o);
    let req = of_type(&v, "http.request");
    assert_eq!(req.len(), 1);
    assert_eq!(req[0]["method"], "GET");
    assert_eq!(req[0]["uri"], "/");
    assert_eq!(req[0]["host"], "127.0.0.1:5683");
    let resp = of_type(&v, "http.response");
    assert_eq!(resp.len(), 1);
    assert_eq!(resp[0]["status"], 200);
    assert_eq!(resp[0]["content_type"], "text/plain; charset=utf-8");
    assert_eq!(resp[0]["body_len"], 11);
    // Line output: HTTP in the protocol column, not CoAP.
    let o = run(&["-r", &capture("squirrel-http.pcap")]);
    let s = stdout(&o);
    assert!(
        s.lines()
            .any(|l| l.contains(" HTTP ") && l.ends_with("GET / HTTP/1.1")),
        "{s}"
    );
    assert!(
        s.lines()
            .any(|l| l.contains("HTTP/1.1 200 OK  (text/plain)")),
        "{s}"
    );
    // The tree shows the body as tshark does: the secret readable.
    let o = run(&["-r", &capture("squirrel-http.pcap"), "-V"]);
    let t = stdout(&o);
    assert!(t.contains("Hypertext Transfer Protocol"));
    assert!(t.contains("Host: 127.0.0.1:5683\\r\\n"), "{t}");
    assert!(t.contains("Line-based text data"), "{t}");
    assert!(t.contains("fluffy tail"));
}

#[test]
fn fernet_body_is_a_token_not_the_secret() {
    let o = run(&["-r", &capture("squirrel-fernet.pcap"), "-V"]);
    let t = stdout(&o);
    assert!(t.contains("HTTP/1.1 200 OK"), "{t}");
    assert!(
        t.contains("gAAAAA"),
        "the Fernet token (version byte 0x80) is what the eavesdropper sees"
    );
    assert!(!t.contains("fluffy"));
}

/// captures/ip-fragments.pcap (scripts/make-fragment-captures.sh: real IPv4 and IPv6
/// fragments from the Linux kernel) against tshark's view (ip-fragments.tshark.tsv): every
/// frame's UDP fields, and each datagram put back together on the frame tshark puts it
/// together on, with the same fragment count and length; the secret, in the datagrams'
/// payloads, found there.
#[test]
fn ip_fragments_are_reassembled_as_tshark_does() {
    let cap = capture("ip-fragments.pcap");
    let tsv = std::fs::read_to_string(captures().join("ip-fragments.tshark.tsv")).expect("tsv");
    let rows: Vec<Vec<String>> = tsv
        .lines()
        .skip(1)
        .map(|l| l.split('\t').map(str::to_string).collect())
        .collect();
    let col = |r: &Vec<String>, i: usize| r.get(i).cloned().unwrap_or_default();
    let o = run(&[
        "-r",
        &cap,
        "-T",
        "fields",
        "-e",
        "frame.number",
        "-e",
        "udp.srcport",
        "-e",
        "udp.dstport",
        "-e",
        "udp.length",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let ours: Vec<String> = stdout(&o).lines().map(str::to_string).collect();
    let theirs: Vec<String> = rows
        .iter()
        .map(|r| [0, 3, 4, 5].map(|i| col(r, i)).join("\t"))
        .collect();
    assert_eq!(ours, theirs);
    let mut reassembled = 0;
    for r in &rows {
        for (v6, count, len) in [(false, 8, 10), (true, 9, 11)] {
            let (count, len) = (col(r, count), col(r, len));
            if len.is_empty() {
                continue;
            }
            reassembled += 1;
            let frame = col(r, 0);
            let o = run(&["-r", &cap, "-V", "-Y", &format!("frame.number == {frame}")]);
            let tree = stdout(&o);
            let ip = if v6 { "IPv6" } else { "IPv4" };
            assert!(
                tree.contains(&format!("[{count} {ip} Fragments ({len} bytes): #")),
                "frame {frame}: {tree}"
            );
            assert!(
                tree.contains(&format!("[Reassembled {ip} length: {len}]")),
                "frame {frame}: {tree}"
            );
        }
    }
    assert_eq!(
        reassembled, 6,
        "two UDP datagrams and four pings, as tshark"
    );
    // The Info column of the fragments that do not complete a datagram.
    let o = run(&["-r", &cap]);
    let lines: Vec<String> = stdout(&o).lines().map(str::to_string).collect();
    let mut fragments = 0;
    for r in &rows {
        let info = col(r, 12);
        if !(info.starts_with("Fragmented IP protocol") || info.starts_with("IPv6 fragment")) {
            continue;
        }
        fragments += 1;
        let frame = col(r, 0);
        let line = lines
            .iter()
            .find(|l| l.split_whitespace().next() == Some(frame.as_str()))
            .cloned()
            .unwrap_or_default();
        assert!(
            line.ends_with(&format!(" {info}")),
            "frame {frame}: {line} / {info}"
        );
    }
    assert_eq!(fragments, 12);
    let o = run(&["-r", &cap, "--json", "--secret", "fluffy tail"]);
    let frames: Vec<u64> = of_type(&ndjson(&o), "finding")
        .iter()
        .filter(|f| f["kind"] == "secret_in_clear")
        .filter_map(|f| f["first_frame"].as_u64())
        .collect();
    let udp_3000: Vec<u64> = rows
        .iter()
        .filter(|r| col(r, 5) == "3008")
        .filter_map(|r| col(r, 0).parse().ok())
        .collect();
    assert_eq!(
        frames, udp_3000,
        "the secret in each UDP datagram, where it completes"
    );
}

/// The fragment fields of -T fields and -Y on captures/ip-fragments.pcap as tshark 4.0 prints
/// and selects frames with them (tests/fixtures/tshark-fields/ip-fragments.tsv: `tshark -T fields -E
/// occurrence=a -E separator=/t -E aggregator=,` with the same fields).
#[test]
fn ip_fragment_fields_are_tsharks() {
    let cap = capture("ip-fragments.pcap");
    let fields = [
        "frame.number",
        "ip.fragment",
        "ip.fragment.count",
        "ip.reassembled.length",
        "ip.flags.mf",
        "ip.frag_offset",
        "ipv6.fragment",
        "ipv6.fragment.count",
        "ipv6.reassembled.length",
        "ipv6.fraghdr.offset",
        "ipv6.fraghdr.more",
        "ipv6.fraghdr.ident",
        "ipv6.fraghdr.nxt",
    ];
    let mut args = vec!["-r", cap.as_str(), "-T", "fields"];
    for f in &fields {
        args.extend(["-e", f]);
    }
    let o = run(&args);
    assert!(o.status.success(), "{}", stderr(&o));
    let want = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/tshark-fields/ip-fragments.tsv"),
    )
    .expect("fixture");
    assert_eq!(stdout(&o), want);
    // The frames tshark 4.0 shows with each -Y filter
    // (tests/fixtures/tshark-fields/ip-fragments.filters.tsv, made by
    // scripts/make-oracle-fixtures.sh: the filter, a tab, the frame numbers).
    let filters = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/tshark-fields/ip-fragments.filters.tsv"),
    )
    .expect("filters fixture");
    let mut checked = 0;
    for line in filters.lines() {
        let (filter, frames) = line.split_once('\t').expect("filter<TAB>frames");
        let o = filter_frames(&cap, filter);
        assert!(o.status.success(), "{filter}: {}", stderr(&o));
        let ours: Vec<String> = stdout(&o).lines().map(str::to_string).collect();
        assert_eq!(ours.join(","), frames, "{filter}");
        checked += 1;
    }
    assert_eq!(checked, 8, "every filter of the fixture was compared");
}

/// ARP in tshark's words: captures/arp/arp-kinds.pcap (scripts/make-arp-capture.py: requests,
/// probes, announcements, gratuitous requests and replies, every other operation code, odd
/// protocol and hardware types) prints tshark 4.0's summary lines byte for byte
/// (tests/fixtures/arp/, scripts/make-arp-fixtures.sh), Protocol column (ARP, RARP,
/// DRARP, Inverse ARP, MARS, MAPOS) and Info column included.
#[test]
fn arp_lines_as_tshark() {
    let want = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/arp/arp-kinds.txt"),
    )
    .expect("fixture");
    let out = run(&[
        "-n",
        "-r",
        &capture("arp/arp-kinds.pcap"),
        "--color",
        "never",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let got = stdout(&out);
    assert_eq!(got.lines().count(), 76);
    for (g, w) in got.lines().zip(want.lines()) {
        assert_eq!(g, w);
    }
    assert_eq!(got, want);
}
