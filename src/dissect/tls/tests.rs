//! Stream-level tests with hello messages, certificates and records built in code.

use super::*;
use crate::dissect::DissectConfig;
use crate::flow::Direction::{self, ToClient, ToServer};

// ---- builders ------------------------------------------------------------------------

fn u16b(v: u16) -> [u8; 2] {
    v.to_be_bytes()
}

fn with_len16(body: &[u8]) -> Vec<u8> {
    let mut v = u16b(body.len() as u16).to_vec();
    v.extend_from_slice(body);
    v
}

fn with_len8(body: &[u8]) -> Vec<u8> {
    let mut v = vec![body.len() as u8];
    v.extend_from_slice(body);
    v
}

fn with_len24(body: &[u8]) -> Vec<u8> {
    let l = body.len() as u32;
    let mut v = vec![(l >> 16) as u8, (l >> 8) as u8, l as u8];
    v.extend_from_slice(body);
    v
}

fn ext(id: u16, data: &[u8]) -> Vec<u8> {
    let mut v = u16b(id).to_vec();
    v.extend(with_len16(data));
    v
}

fn u16_list(vals: &[u16]) -> Vec<u8> {
    vals.iter().flat_map(|v| u16b(*v)).collect()
}

fn sni_ext(name: &str) -> Vec<u8> {
    let mut entry = vec![0u8];
    entry.extend(with_len16(name.as_bytes()));
    ext(0, &with_len16(&entry))
}

fn alpn_ext(protos: &[&str]) -> Vec<u8> {
    let list: Vec<u8> = protos
        .iter()
        .flat_map(|p| with_len8(p.as_bytes()))
        .collect();
    ext(16, &with_len16(&list))
}

fn groups_ext(groups: &[u16]) -> Vec<u8> {
    ext(10, &with_len16(&u16_list(groups)))
}

fn sigalgs_ext(algs: &[u16]) -> Vec<u8> {
    ext(13, &with_len16(&u16_list(algs)))
}

fn client_versions_ext(vs: &[u16]) -> Vec<u8> {
    ext(43, &with_len8(&u16_list(vs)))
}

fn client_key_share_ext(entries: &[(u16, usize)]) -> Vec<u8> {
    let list: Vec<u8> = entries
        .iter()
        .flat_map(|(g, n)| {
            let mut e = u16b(*g).to_vec();
            e.extend(with_len16(&vec![0x42; *n]));
            e
        })
        .collect();
    ext(51, &with_len16(&list))
}

fn handshake(t: u8, body: &[u8]) -> Vec<u8> {
    let mut v = vec![t];
    v.extend(with_len24(body));
    v
}

fn record(ct: u8, version: u16, body: &[u8]) -> Vec<u8> {
    let mut v = vec![ct];
    v.extend(u16b(version));
    v.extend(with_len16(body));
    v
}

fn client_hello_body(version: u16, ciphers: &[u16], exts: &[Vec<u8>]) -> Vec<u8> {
    let mut v = u16b(version).to_vec();
    v.extend([0x11; 32]);
    v.extend(with_len8(&[0x22; 32]));
    v.extend(with_len16(&u16_list(ciphers)));
    v.extend(with_len8(&[0]));
    v.extend(with_len16(&exts.concat()));
    v
}

fn server_hello_body(random: [u8; 32], cipher: u16, exts: &[Vec<u8>]) -> Vec<u8> {
    server_hello_body_v(0x0303, random, cipher, exts)
}

fn server_hello_body_v(version: u16, random: [u8; 32], cipher: u16, exts: &[Vec<u8>]) -> Vec<u8> {
    let mut v = u16b(version).to_vec();
    v.extend(random);
    v.extend(with_len8(&[0x33; 32]));
    v.extend(u16b(cipher));
    v.push(0);
    if !exts.is_empty() {
        v.extend(with_len16(&exts.concat()));
    }
    v
}

/// A browser-like ClientHello with GREASE, SNI, ALPN, groups, key shares and an unknown
/// extension.
fn sample_client_hello() -> Vec<u8> {
    client_hello_body(
        0x0303,
        &[0x0a0a, 0x1301, 0x1302, 0xc02f],
        &[
            ext(0x1a1a, &[]),
            sni_ext("localhost"),
            ext(23, &[]),
            groups_ext(&[0x2a2a, 0x11ec, 29, 23]),
            ext(11, &with_len8(&[0])),
            sigalgs_ext(&[0x0403, 0x0804, 0x0401]),
            alpn_ext(&["h2", "http/1.1"]),
            client_key_share_ext(&[(0x11ec, 1216), (29, 32)]),
            client_versions_ext(&[0x3a3a, 0x0304, 0x0303]),
            ext(4242, &[1, 2, 3]),
        ],
    )
}

// ---- driver --------------------------------------------------------------------------

type Driver = crate::dissect::Driver<TlsStream>;

fn driver() -> Driver {
    driver_with(DissectConfig::default())
}

fn driver_with(cfg: DissectConfig) -> Driver {
    Driver::new(TlsStream::new(&cfg))
}

impl Driver {
    fn feed(&mut self, dir: Direction, bytes: &[u8], frame: u64) {
        self.data(dir, bytes, frame);
    }
    fn tls(&self) -> Vec<&TlsEvent> {
        self.out.iter().filter_map(|e| e.msg.tls()).collect()
    }
    fn infos(&self) -> Vec<String> {
        self.out.iter().map(|e| e.msg.info()).collect()
    }
    fn notes(&self) -> Vec<String> {
        self.out
            .iter()
            .filter_map(|e| match e.msg.tls() {
                Some(TlsEvent {
                    message: TlsMessage::Note(n),
                    ..
                }) => Some(n.clone()),
                Some(_) => None,
                None => e.msg.note().map(str::to_string),
            })
            .collect()
    }
}

fn tree_text(t: &crate::present::tree::TreeNode) -> String {
    let mut v = Vec::new();
    t.write_to(&mut v, 0).unwrap();
    String::from_utf8(v).unwrap()
}

fn only_client_hello(d: &Driver) -> ClientHello {
    let chs: Vec<ClientHello> = d
        .tls()
        .iter()
        .filter_map(|e| match &e.message {
            TlsMessage::ClientHello(c) => Some((**c).clone()),
            _ => None,
        })
        .collect();
    assert_eq!(chs.len(), 1, "events: {:?}", d.infos());
    chs.into_iter().next().unwrap()
}

// ---- tests ---------------------------------------------------------------------------

#[test]
fn client_hello_fields_names_and_fingerprints() {
    let rec = record(22, 0x0301, &handshake(1, &sample_client_hello()));
    let mut d = driver();
    d.feed(ToServer, &rec, 4);
    assert_eq!(d.infos(), vec!["Client Hello (SNI=localhost)"]);
    let ev = d.tls()[0].clone();
    assert_eq!(ev.protocol, "TLSv1");
    let ch = only_client_hello(&d);
    assert_eq!(ch.values.sni.as_deref(), Some(&b"localhost"[..]));
    assert_eq!(ch.values.alpn, vec![b"h2".to_vec(), b"http/1.1".to_vec()]);
    assert_eq!(ch.values.supported_versions, vec![0x3a3a, 0x0304, 0x0303]);
    assert_eq!(ch.values.groups, vec![0x2a2a, 0x11ec, 29, 23]);
    assert_eq!(ch.values.key_share_groups, vec![0x11ec, 29]);
    assert_eq!(ch.values.signature_algorithms, vec![0x0403, 0x0804, 0x0401]);

    // JA3: version, ciphers, extensions, groups, point formats; GREASE removed.
    let expected = "771,4865-4866-49199,0-23-10-11-13-16-51-43-4242,4588-29-23,0";
    assert_eq!(ch.ja3_string(), expected);
    assert_eq!(ch.ja3(), md5_hex(expected));
    assert!(ch.ja4().starts_with("t13d0309h2_"), "{}", ch.ja4());

    let tree = tree_text(&ev.tree());
    for want in [
        "Transport Layer Security",
        "TLSv1 Record Layer: Handshake Protocol: Client Hello",
        "Content Type: Handshake (22)",
        "Version: TLS 1.0 (0x0301)",
        "Cipher Suites (4 suites)",
        "Cipher Suite: Reserved (GREASE) (0x0a0a)",
        "Cipher Suite: TLS_AES_128_GCM_SHA256 (0x1301)",
        "Extension: server_name (len=14)",
        "Server Name: localhost",
        "Supported Group: X25519MLKEM768 (0x11ec)",
        "Supported Group: x25519 (0x001d)",
        "Key Share Entry: Group: X25519MLKEM768, Key Exchange length: 1216",
        "Supported Version: Reserved (GREASE) (0x3a3a)",
        "Supported Version: TLS 1.3 (0x0304)",
        "Signature Algorithm: rsa_pss_rsae_sha256 (0x0804)",
        "ALPN Next Protocol: http/1.1",
        "Extension: Reserved (GREASE) (len=0)",
        "Extension: Unknown type 4242 (len=3)",
        "[JA3: ",
        "[JA4: t13d0309h2_",
    ] {
        assert!(tree.contains(want), "missing {want:?} in\n{tree}");
    }
    let j = ev.json();
    assert_eq!(j["type"], "tls.client_hello");
    assert_eq!(j["sni"], "localhost");
    assert_eq!(j["cipher_suites"][1], 0x1301);
    assert_eq!(j["cipher_suite_names"][0], "Reserved (GREASE)");
    assert_eq!(j["extensions"][9], 4242);
}

#[test]
fn client_hello_split_at_every_byte_is_the_same_event() {
    let rec = record(22, 0x0301, &handshake(1, &sample_client_hello()));
    let mut whole = driver();
    whole.feed(ToServer, &rec, 1);
    let reference = only_client_hello(&whole);
    for cut in 1..rec.len() {
        let mut d = driver();
        d.feed(ToServer, &rec[..cut], 1);
        assert!(
            d.out.is_empty(),
            "event before the record was complete (cut {cut})"
        );
        d.feed(ToServer, &rec[cut..], 2);
        assert_eq!(only_client_hello(&d), reference, "cut at {cut}");
        assert_eq!(d.out[0].frames, vec![1, 2]);
        assert_eq!(d.out[0].frame, 2);
    }
}

#[test]
fn several_records_in_one_segment_and_messages_in_one_record() {
    let sh = handshake(2, &server_hello_body([5; 32], 0xc02f, &[ext(0xff01, &[0])]));
    let done = handshake(14, &[]);
    let mut seg = record(22, 0x0303, &sh);
    seg.extend(record(
        22,
        0x0303,
        &[handshake(4, &[0, 0, 1, 0, 0, 2, 9, 9]), done].concat(),
    ));
    seg.extend(record(20, 0x0303, &[1]));
    seg.extend(record(22, 0x0303, &[0x77; 40]));
    let mut d = driver();
    d.feed(ToClient, &seg, 9);
    assert_eq!(
        d.infos(),
        vec![
            "Server Hello",
            "New Session Ticket",
            "Server Hello Done",
            "Change Cipher Spec",
            "Encrypted Handshake Message"
        ]
    );
    assert!(d.tls().iter().all(|e| e.protocol == "TLSv1.2"));
    let sh_json = d.tls()[0].json();
    assert_eq!(
        sh_json["cipher_suite"],
        "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"
    );
    assert_eq!(sh_json["version"]["name"], "TLS 1.2");
    assert_eq!(sh_json["version"]["id"], 0x0303);
    assert_eq!(sh_json["hello_retry_request"], false);
    assert_eq!(sh_json["ja3s_string"], "771,49199,65281");
}

#[test]
fn hello_retry_request_is_recognised() {
    let ext_sv = ext(43, &u16b(0x0304));
    let ext_ks = ext(51, &u16b(0x0017));
    let hrr = handshake(
        2,
        &server_hello_body(HRR_RANDOM, 0x1302, &[ext_sv.clone(), ext_ks]),
    );
    let mut d = driver();
    d.feed(
        ToServer,
        &record(22, 0x0301, &handshake(1, &sample_client_hello())),
        4,
    );
    d.feed(ToClient, &record(22, 0x0303, &hrr), 6);
    d.feed(ToClient, &record(20, 0x0303, &[1]), 6);
    // The second ClientHello after an HRR is still in clear.
    d.feed(ToServer, &record(20, 0x0303, &[1]), 8);
    d.feed(
        ToServer,
        &record(22, 0x0303, &handshake(1, &sample_client_hello())),
        8,
    );
    assert_eq!(
        d.infos(),
        vec![
            "Client Hello (SNI=localhost)",
            "Hello Retry Request",
            "Change Cipher Spec",
            "Change Cipher Spec",
            "Client Hello (SNI=localhost)"
        ]
    );
    let ev = d.tls()[1];
    assert_eq!(ev.protocol, "TLSv1.3");
    let j = ev.json();
    assert_eq!(j["hello_retry_request"], true);
    assert_eq!(j["version"]["name"], "TLS 1.3");
    assert_eq!(j["version"]["id"], 0x0304);
    assert_eq!(j["key_share_groups"][0], 23);
    assert!(tree_text(&ev.tree()).contains("Selected Group: secp256r1 (0x0017)"));
    assert_eq!(d.tls()[4].protocol, "TLSv1.3");
}

#[test]
fn tls13_encrypted_after_server_hello_counts_application_data() {
    let sh = handshake(
        2,
        &server_hello_body(
            [9; 32],
            0x1301,
            &[ext(43, &u16b(0x0304)), ext(51, &[0, 29, 0, 2, 1, 2])],
        ),
    );
    let mut d = driver();
    d.feed(
        ToServer,
        &record(22, 0x0301, &handshake(1, &sample_client_hello())),
        4,
    );
    let mut seg = record(22, 0x0303, &sh);
    seg.extend(record(20, 0x0303, &[1]));
    seg.extend(record(23, 0x0303, &[0xaa; 100]));
    seg.extend(record(23, 0x0303, &[0xbb; 50]));
    d.feed(ToClient, &seg, 6);
    d.feed(ToServer, &record(23, 0x0303, &[0xcc; 30]), 7);
    d.feed(ToClient, &record(21, 0x0303, &[0xdd; 19]), 8);
    assert_eq!(d.s.app_records, [1, 2]);
    assert_eq!(d.s.app_bytes, [30, 150]);
    let infos = d.infos();
    assert_eq!(infos[1], "Server Hello");
    assert!(infos[2].contains("certificate not visible to an observer under TLS 1.3"));
    assert_eq!(
        &infos[3..],
        [
            "Change Cipher Spec",
            "Application Data",
            "Application Data",
            "Application Data",
            "Encrypted Alert"
        ]
    );
    let last_app = d.tls()[5].json();
    assert_eq!(last_app["type"], "tls.app_data");
    assert_eq!(last_app["total_records"], 2);
    assert_eq!(last_app["total_bytes"], 150);
    assert!(d.tls()[3..].iter().all(|e| e.protocol == "TLSv1.3"));
    d.close(20);
    let summary = d.tls().last().unwrap().json();
    assert_eq!(summary["type"], "tls.summary");
    assert_eq!(summary["to_client_records"], 2);
    assert_eq!(summary["to_server_bytes"], 30);
    assert_eq!(summary["cipher_suite"], "TLS_AES_128_GCM_SHA256");
}

#[test]
fn handshake_message_spanning_records() {
    // A large post-quantum-sized ClientHello split over two records.
    let body = client_hello_body(
        0x0303,
        &[0x1301],
        &[
            sni_ext("pq.example"),
            client_key_share_ext(&[(0x11ec, 1216)]),
            ext(21, &vec![0; 20000]),
        ],
    );
    let msg = handshake(1, &body);
    let (a, b) = msg.split_at(16000);
    let mut d = driver();
    d.feed(ToServer, &record(22, 0x0301, a), 3);
    assert!(d.out.is_empty());
    d.feed(ToServer, &record(22, 0x0301, b), 5);
    let ch = only_client_hello(&d);
    assert_eq!(ch.sni_text().as_deref(), Some("pq.example"));
    assert_eq!(ch.values.key_share_groups, vec![0x11ec]);
    assert_eq!(d.out[0].frames, vec![3, 5]);
    assert!(tree_text(&d.tls()[0].tree()).contains("[Reassembled from frames #3, #5]"));
}

/// A self-signed EC P-256 certificate (CN=localhost, O=Squirrel Test, SAN DNS:localhost
/// and IP:127.0.0.1, CA:TRUE), generated once with openssl.
const CERT_HEX: &str = concat!(
    "308201c93082016fa00302010202147e9ca94f8056450c09aaaf14fbf569afad24f461300a06082a8648ce3d04030230",
    "2c3112301006035504030c096c6f63616c686f737431163014060355040a0c0d537175697272656c2054657374301e17",
    "0d3236313132323139333934385a170d3336313131393139333934385a302c3112301006035504030c096c6f63616c68",
    "6f737431163014060355040a0c0d537175697272656c20546573743059301306072a8648ce3d020106082a8648ce3d03",
    "010703420004cb5ba57936fa4472ab48c5d674a86d5c54655f7143b5e05b3600b665103b845f959105a30af1b18e491c",
    "9fbba71e72868e8783106ab4c91a4d4eaa102f3b4971a36f306d301d0603551d0e041604140f643c864e2498cf9ba86e",
    "a5fbcd861e208574e8301f0603551d230418301680140f643c864e2498cf9ba86ea5fbcd861e208574e8301a0603551d",
    "110413301182096c6f63616c686f737487047f000001300f0603551d130101ff040530030101ff300a06082a8648ce3d",
    "0403020348003045022100b14e4e5ed454b8fb4a8b9925438373f1032bab3e19ae0bb8175ac33f51080ed602207c5f09",
    "0a7e23519ad56aff7e03df4c9bea35ad9e6a811cc6bdbf5cc120fa8ca0",
);

#[test]
fn certificate_chain_spanning_records() {
    let der = hex::decode(CERT_HEX).unwrap();
    let chain = [
        with_len24(&der),
        with_len24(&der),
        with_len24(b"not a certificate"),
    ]
    .concat();
    let msg = handshake(11, &with_len24(&chain));
    let (a, b) = msg.split_at(300);
    let mut d = driver();
    d.feed(ToClient, &record(22, 0x0303, a), 10);
    d.feed(ToClient, &record(22, 0x0303, b), 11);
    assert_eq!(d.infos(), vec!["Certificate"]);
    let ev = d.tls()[0];
    let TlsMessage::Certificate(c) = &ev.message else {
        panic!("not a certificate: {:?}", ev.message);
    };
    assert_eq!(c.certificates.len(), 3);
    let leaf = &c.certificates[0];
    assert_eq!(leaf.subject_cn.as_deref(), Some("localhost"));
    assert_eq!(leaf.issuer_cn.as_deref(), Some("localhost"));
    assert!(leaf.subject.contains("O=Squirrel Test"), "{}", leaf.subject);
    assert_eq!(
        leaf.san,
        vec![
            AltName::Dns("localhost".into()),
            AltName::Ip("127.0.0.1".into())
        ]
    );
    let san: Vec<String> = leaf.san.iter().map(|n| n.to_string()).collect();
    assert_eq!(san, vec!["DNS:localhost", "IP:127.0.0.1"]);
    assert_eq!(
        leaf.key.algorithm,
        KeyAlgorithm::Ec {
            curve: "P-256".into()
        }
    );
    assert_eq!(leaf.key.to_string(), "EC P-256");
    assert_eq!(leaf.signature_algorithm, "ecdsa-with-SHA256");
    assert!(leaf.ca);
    assert!(leaf.self_signed);
    assert_eq!(leaf.not_before_text(), "2026-11-22T19:39:48Z");
    assert_eq!(leaf.not_after_text(), "2036-11-19T19:39:48Z");
    assert_eq!(
        leaf.serial,
        "7e:9c:a9:4f:80:56:45:0c:09:aa:af:14:fb:f5:69:af:ad:24:f4:61"
    );
    assert_eq!(
        leaf.sha256,
        "3eefb32a1895f7c65484f2dff9049241f4222e3190c1a178560a45965be50bad"
    );
    assert!(c.certificates[2].parse_error.is_some());
    assert_eq!(c.certificates[2].subject_cn, None);
    let j = ev.json();
    assert_eq!(j["type"], "tls.certificate");
    assert_eq!(j["subject_cn"], "localhost");
    assert_eq!(j["chain"][1]["key"], "EC P-256");
    assert_eq!(j["chain"][2]["subject_cn"], serde_json::Value::Null);
    let tree = tree_text(&ev.tree());
    assert!(tree.contains("Certificate 0: CN=localhost"), "{tree}");
    assert!(tree.contains("[Reassembled from frames #10, #11]"));
}

#[test]
fn alerts_plain_and_encrypted() {
    let mut d = driver();
    d.feed(ToClient, &record(21, 0x0303, &[2, 48]), 5);
    d.feed(ToClient, &record(21, 0x0303, &[1, 112, 2, 40]), 6);
    assert_eq!(
        d.infos(),
        vec![
            "Alert (Level: Fatal, Description: Unknown CA)",
            "Alert (Level: Warning, Description: Unrecognized Name)",
            "Alert (Level: Fatal, Description: Handshake Failure)",
        ]
    );
    let j = d.tls()[0].json();
    assert_eq!(j["type"], "tls.alert");
    assert_eq!(j["level"], "fatal");
    assert_eq!(j["description"], "unknown_ca");
    assert_eq!(j["description_id"], 48);
    assert_eq!(j["encrypted"], false);

    // After ChangeCipherSpec in a direction, alerts and handshake records are encrypted.
    let mut d = driver();
    d.feed(ToServer, &record(20, 0x0303, &[1]), 7);
    d.feed(
        ToServer,
        &record(
            22,
            0x0303,
            &[0x14, 0, 0, 12, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12],
        ),
        7,
    );
    d.feed(ToServer, &record(21, 0x0303, &[0x5a; 26]), 9);
    d.feed(ToServer, &record(21, 0x0303, &[1, 0]), 9);
    // The other direction is still in clear.
    d.feed(ToClient, &record(21, 0x0303, &[1, 0]), 10);
    assert_eq!(
        d.infos(),
        vec![
            "Change Cipher Spec",
            "Encrypted Handshake Message",
            "Encrypted Alert",
            "Encrypted Alert",
            "Alert (Level: Warning, Description: Close Notify)",
        ]
    );
    let j = d.tls()[2].json();
    assert_eq!(j["encrypted"], true);
    assert_eq!(j["level"], serde_json::Value::Null);
}

#[test]
fn heartbleed_probe_is_noted() {
    let mut d = driver();
    d.feed(ToServer, &record(24, 0x0302, &[1, 0x40, 0x00]), 12);
    d.feed(
        ToServer,
        &record(
            24,
            0x0302,
            &[
                1, 0, 1, 0x41, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
            ],
        ),
        13,
    );
    let infos = d.infos();
    assert_eq!(infos[0], "Heartbeat Request");
    assert!(infos[1].contains("Heartbleed"), "{infos:?}");
    assert!(infos[1].contains("16384"));
    assert_eq!(infos[2], "Heartbeat Request");
    assert_eq!(infos.len(), 3);
    let TlsMessage::Heartbeat(h) = d.tls()[0].message else {
        panic!()
    };
    assert!(h.heartbleed);
}

#[test]
fn hole_drops_partial_record_and_resyncs() {
    let ch = record(22, 0x0301, &handshake(1, &sample_client_hello()));
    let mut d = driver();
    d.feed(ToServer, &ch[..50], 1);
    d.gap(ToServer, 1000, 3);
    // Tail of some record, then a whole alert record.
    let mut seg = vec![0xee, 0x17, 0x99, 0x01];
    seg.extend(record(21, 0x0303, &[2, 40]));
    d.feed(ToServer, &seg, 4);
    let notes = d.notes();
    assert!(notes[0].contains("1000 bytes missing"), "{notes:?}");
    assert!(notes[0].contains("dropped 50 bytes"), "{notes:?}");
    assert!(notes[1].contains("resynchronised"), "{notes:?}");
    assert!(notes[1].contains("skipping 4 bytes"), "{notes:?}");
    assert_eq!(
        d.infos().last().unwrap(),
        "Alert (Level: Fatal, Description: Handshake Failure)"
    );
}

#[test]
fn sslv2_compatible_client_hello() {
    let specs: Vec<u8> = [0x010080u32, 0x0700c0, 0x000039, 0x00002f]
        .iter()
        .flat_map(|c| [(c >> 16) as u8, (c >> 8) as u8, *c as u8])
        .collect();
    let mut msg = vec![1, 3, 1];
    msg.extend(u16b(specs.len() as u16));
    msg.extend(u16b(0));
    msg.extend(u16b(16));
    msg.extend(&specs);
    msg.extend([0x5c; 16]);
    let mut rec = vec![0x80 | (msg.len() >> 8) as u8, msg.len() as u8];
    rec.extend(&msg);
    assert_eq!(detect(&rec), crate::dissect::Detect::Yes);
    let mut d = driver();
    d.feed(ToServer, &rec, 7);
    let ch = only_client_hello(&d);
    assert!(ch.sslv2);
    assert_eq!(ch.legacy_version, 0x0301);
    assert_eq!(ch.cipher_suites, vec![0x010080, 0x0700c0, 0x39, 0x2f]);
    assert_eq!(d.tls()[0].protocol, "SSLv2");
    let tree = tree_text(&d.tls()[0].tree());
    assert!(
        tree.contains("Cipher Spec: SSL2_RC4_128_WITH_MD5 (0x010080)"),
        "{tree}"
    );
    assert!(tree.contains("Cipher Spec: TLS_DHE_RSA_WITH_AES_256_CBC_SHA (0x000039)"));
    // A TLS ServerHello follows in the other direction.
    let sh = handshake(2, &server_hello_body_v(0x0301, [1; 32], 0x0039, &[]));
    d.feed(ToClient, &record(22, 0x0301, &sh), 9);
    assert_eq!(d.tls()[1].protocol, "TLSv1");
}

#[test]
fn server_hello_from_the_initiator_swaps_roles() {
    let sh = handshake(2, &server_hello_body_v(0x0302, [1; 32], 0x002f, &[]));
    let mut d = driver();
    d.feed(ToServer, &record(22, 0x0302, &sh), 3);
    assert_eq!(d.infos()[0], "Server Hello");
    assert!(d.notes()[0].contains("roles swapped"));
    assert_eq!(d.s.server_dir, Some(ToServer));
    assert_eq!(d.tls()[0].protocol, "TLSv1.1");
}

#[test]
fn oversized_handshake_is_skipped_with_a_note() {
    let cfg = DissectConfig {
        max_tls_handshake: 1000,
        ..DissectConfig::default()
    };
    let big = handshake(11, &vec![0; 5000]);
    let mut d = driver_with(cfg);
    for (i, part) in big.chunks(1500).enumerate() {
        d.feed(ToClient, &record(22, 0x0303, part), 20 + i as u64);
    }
    d.feed(ToClient, &record(22, 0x0303, &handshake(14, &[])), 30);
    assert!(
        d.notes()[0].contains("exceeds the bound of 1000 bytes"),
        "{:?}",
        d.notes()
    );
    assert_eq!(d.infos().last().unwrap(), "Server Hello Done");
    assert_eq!(d.infos().len(), 2);
}

#[test]
fn stream_ending_inside_a_record_is_noted() {
    let mut d = driver();
    d.feed(
        ToServer,
        &record(22, 0x0301, &handshake(1, &sample_client_hello()))[..40],
        1,
    );
    d.end(ToServer, 2);
    assert!(
        d.notes()[0].contains("40 bytes not dissected"),
        "{:?}",
        d.notes()
    );
}

#[test]
fn garbage_never_panics() {
    let mut x: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = move || {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (x >> 33) as u32
    };
    let valid = record(22, 0x0301, &handshake(1, &sample_client_hello()));
    for iter in 0..10_000u64 {
        let mut d = driver_with(DissectConfig {
            max_tls_handshake: 4096,
            ..DissectConfig::default()
        });
        let steps = 1 + next() % 6;
        for s in 0..steps {
            let dir = if next() % 2 == 0 { ToServer } else { ToClient };
            let len = (next() % 300) as usize;
            let mut bytes: Vec<u8> = (0..len).map(|_| next() as u8).collect();
            match next() % 5 {
                // Plausible header with random body.
                0 if bytes.len() >= 5 => {
                    bytes[0] = 20 + (next() % 5) as u8;
                    bytes[1] = 3;
                    bytes[2] = (next() % 5) as u8;
                }
                // Truncated or mutated valid record.
                1 => {
                    let mut v = valid.clone();
                    let cut = next() as usize % v.len();
                    v.truncate(cut);
                    if !v.is_empty() {
                        let i = next() as usize % v.len();
                        v[i] ^= next() as u8;
                    }
                    bytes = v;
                }
                2 => bytes.insert(0, 0x80),
                _ => {}
            }
            if next() % 10 == 0 {
                d.gap(dir, u64::from(next() % 100), iter + u64::from(s));
            }
            d.feed(dir, &bytes, iter + u64::from(s));
        }
        d.end(ToServer, 0);
        d.close(0);
        for e in &d.out {
            let _ = e.msg.info();
            let _ = e.msg.tree();
            let _ = e.msg.json();
        }
    }
}
