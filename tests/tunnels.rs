//! Tunnels (captures/tunnels/, scripts/make-tunnel-captures.py: the bundled HTTP and HTTPS
//! runs wrapped in VXLAN, GRE, IP-in-IP, GENEVE, MPLS, PPPoE and ERSPAN) against tshark 4.0's
//! view of them (NAME.tshark.tsv and NAME.tshark-V.txt, scripts/make-tunnel-fixtures.sh):
//! every field of every frame, every occurrence (outer layers first); the -V tree's layers
//! in tshark's order; the secret found inside each tunnel; cut tunnel headers noted.

mod common;
use common::*;

const TUNNELS: &[&str] = &["vxlan", "gre", "ipip", "geneve", "mpls", "pppoe", "erspan"];

fn tunnel(name: &str) -> String {
    captures()
        .join("tunnels")
        .join(format!("{name}.pcap"))
        .to_string_lossy()
        .into_owned()
}

fn fixture(name: &str, ext: &str) -> String {
    std::fs::read_to_string(captures().join("tunnels").join(format!("{name}.{ext}")))
        .expect("fixture")
}

#[test]
fn fields_agree_with_tshark_in_every_tunnel() {
    for name in TUNNELS {
        let tsv = fixture(name, "tshark.tsv");
        let mut lines = tsv.lines();
        let header: Vec<&str> = lines.next().expect("header").split('\t').collect();
        // frame.protocols is compared through -V's [Protocols in frame] line below.
        let fields: Vec<&str> = header
            .iter()
            .copied()
            .filter(|f| *f != "frame.protocols")
            .collect();
        let mut args = vec!["-r".to_string(), tunnel(name), "-T".into(), "fields".into()];
        for f in &fields {
            args.push("-e".into());
            args.push(f.to_string());
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let o = run(&args);
        assert!(o.status.success(), "{name}: {}", stderr(&o));
        let theirs: Vec<String> = lines
            .map(|l| {
                l.split('\t')
                    .enumerate()
                    .filter(|(i, _)| header[*i] != "frame.protocols")
                    .map(|(_, v)| v)
                    .collect::<Vec<_>>()
                    .join("\t")
            })
            .collect();
        let ours: Vec<String> = stdout(&o).lines().map(str::to_string).collect();
        assert_eq!(ours.len(), theirs.len(), "{name}");
        for (a, b) in ours.iter().zip(&theirs) {
            assert_eq!(a, b, "{name}: ours, then tshark's ({})", fields.join(" "));
        }
    }
}

/// The layers of -V, in tshark's order, and frame.protocols as tshark's (up to the
/// application layer, which tshark names by its own dissectors).
#[test]
fn the_tree_lists_every_layer_as_tshark_does() {
    for name in TUNNELS {
        let want: Vec<String> = fixture(name, "tshark-V.txt")
            .lines()
            .map(|l| l.split(',').next().unwrap_or_default().to_string())
            .collect();
        let o = run(&[
            "-r",
            &tunnel(name),
            "-V",
            "-Y",
            "frame.number == 4 || frame.number == 16",
        ]);
        assert!(o.status.success(), "{name}: {}", stderr(&o));
        let text = stdout(&o);
        let got: Vec<String> = text
            .lines()
            .filter(|l| !l.starts_with(' ') && !l.is_empty())
            .map(|l| l.split(',').next().unwrap_or_default().to_string())
            .collect();
        assert_eq!(got, want, "{name}:\n{text}");
        let tsv = fixture(name, "tshark.tsv");
        let protocols: Vec<&str> = tsv
            .lines()
            .skip(1)
            .map(|l| l.split('\t').nth(1).unwrap_or_default())
            .collect();
        let ours: Vec<&str> = text
            .lines()
            .filter_map(|l| l.trim().strip_prefix("[Protocols in frame: "))
            .collect();
        for (frame, got) in [4usize, 16].iter().zip(ours) {
            let want = protocols[frame - 1];
            let lower = |s: &str| {
                s.split(':')
                    .take_while(|p| !matches!(*p, "http" | "tls" | "data"))
                    .collect::<Vec<_>>()
                    .join(":")
            };
            assert_eq!(
                lower(got.trim_end_matches(']')),
                lower(want),
                "{name} frame {frame}"
            );
        }
    }
}

#[test]
fn the_secret_inside_every_tunnel_is_found() {
    for name in TUNNELS {
        let o = run(&[
            "-r",
            &tunnel(name),
            "-q",
            "--secret",
            "fluffy tail",
            "--fail-on-leak",
        ]);
        assert_eq!(o.status.code(), Some(7), "{name}: {}", stderr(&o));
    }
}

#[test]
fn the_summary_line_shows_the_inner_packet() {
    for name in TUNNELS {
        let o = run(&["-r", &tunnel(name)]);
        assert!(o.status.success(), "{name}: {}", stderr(&o));
        let text = stdout(&o);
        let get = text.lines().nth(3).unwrap_or_default();
        assert!(
            get.contains("127.0.0.1 → 127.0.0.1 HTTP") && get.contains("GET / HTTP/1.1"),
            "{name}: {get}"
        );
        assert!(
            text.contains("Client Hello (SNI=localhost)"),
            "{name}:\n{text}"
        );
    }
}

/// A tunnel header cut short or lying is one note, the bytes kept as data; past the depth
/// limit the rest is data with a note; nothing panics.
#[test]
fn cut_tunnel_headers_are_noted() {
    let o = run(&["-r", &tunnel("cut"), "-V"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    for note in [
        "VXLAN at byte 42: header cut short: 5 of 8 bytes",
        "Ethernet at byte 50",
        "GRE at byte 34: header cut short",
        "GRE at byte 34: unknown GRE version 7",
        "GENEVE at byte 42: header cut short",
        "MPLS at byte 78: more than 16 labels",
        "PPPoE at byte 14: header cut short: 3 of 6 bytes",
        "IP at byte 34",
        "tunnel at byte ",
        "ERSPAN at byte 42: header cut short",
    ] {
        assert!(text.contains(note), "{note}:\n{text}");
    }
}

/// `-d udp.port==8472,vxlan` reads Linux's VXLAN port as VXLAN, as tshark does.
#[test]
fn decode_as_vxlan_on_another_port() {
    let dir = temp_dir("tunnel-8472");
    let path = dir.join("vxlan-8472.pcap");
    let mut data = std::fs::read(tunnel("vxlan")).expect("pcap");
    // Every frame's UDP destination port (Ethernet 14 + IPv4 20 + 2) from 4789 to 8472.
    let mut at = 24;
    while at + 16 <= data.len() {
        let len = u32::from_le_bytes(data[at + 8..at + 12].try_into().unwrap()) as usize;
        let port = at + 16 + 36;
        assert_eq!(&data[port..port + 2], &4789u16.to_be_bytes());
        data[port..port + 2].copy_from_slice(&8472u16.to_be_bytes());
        at += 16 + len;
    }
    std::fs::write(&path, &data).expect("write");
    let p = path.to_string_lossy();
    let fourth =
        |o: &std::process::Output| stdout(o).lines().nth(3).unwrap_or_default().to_string();
    let plain = run(&["-r", &p]);
    assert!(plain.status.success(), "{}", stderr(&plain));
    assert!(
        fourth(&plain).contains("10.0.0.1 → 10.0.0.2 UDP"),
        "{}",
        fourth(&plain)
    );
    let o = run(&["-r", &p, "-d", "udp.port==8472,vxlan"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        fourth(&o).contains("127.0.0.1 → 127.0.0.1 HTTP"),
        "{}",
        fourth(&o)
    );
    let o = run(&[
        "-r",
        &p,
        "-d",
        "udp.port==8472,vxlan",
        "-q",
        "--secret",
        "fluffy tail",
        "--fail-on-leak",
    ]);
    assert_eq!(o.status.code(), Some(7), "{}", stderr(&o));
}
