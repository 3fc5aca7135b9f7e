//! CI smoke for the fuzz targets: each target's harness (the very code the cargo-fuzz
//! targets run, `fuzz/harness.rs`) gets its seeds, then a few thousand deterministic
//! mutations of them and pure pseudo-random inputs. Any panic or broken invariant fails.
//!
//! With `SQUIRREL_WRITE_SEEDS=DIR`, `write_seeds` writes the seed corpora to `DIR/TARGET/`
//! (used by `scripts/fuzz.sh`).

#[path = "../fuzz/harness.rs"]
mod harness;

use std::path::Path;

const CAPTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/captures");

/// Knuth's MMIX LCG: deterministic inputs, same every run.
struct Lcg(u64);

impl Lcg {
    fn next_u64(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }
}

/// A few random edits of `seed`: byte flips, interesting values, inserts, deletes, cuts.
fn mutate(seed: &[u8], rng: &mut Lcg) -> Vec<u8> {
    let mut v = seed.to_vec();
    for _ in 0..1 + rng.below(8) {
        let at = rng.below(v.len() + 1);
        match rng.below(6) {
            0 if at < v.len() => v[at] ^= 1 << rng.below(8),
            1 if at < v.len() => v[at] = [0u8, 0xff, 0x7f, 0x80, 1][rng.below(5)],
            2 => v.insert(at, rng.next_u64() as u8),
            3 if at < v.len() => {
                v.remove(at);
            }
            4 => v.truncate(at),
            _ if at + 4 <= v.len() => v[at..at + 4].copy_from_slice(&[0xff, 0xff, 0xff, 0xff]),
            _ => {}
        }
    }
    v
}

/// Run `f` on `input`; on a panic, keep the input in `target/fuzz-smoke-TARGET.bin` (to
/// reproduce with the fuzz target or turn into a regression test) and fail.
fn run_one(target: &str, f: fn(&[u8]), input: &[u8]) {
    if std::panic::catch_unwind(|| f(input)).is_err() {
        let path =
            Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("target/fuzz-smoke-{target}.bin"));
        let _ = std::fs::write(&path, input);
        panic!(
            "{target}: failing input ({} bytes) kept in {}",
            input.len(),
            path.display()
        );
    }
}

fn smoke(target: &str, f: fn(&[u8]), mutations: usize, random: usize) {
    smoke_in(CAPTURES, target, f, mutations, random);
}

/// [`smoke`] with the seeds of the captures in `dir`.
fn smoke_in(dir: &str, target: &str, f: fn(&[u8]), mutations: usize, random: usize) {
    let seeds = harness::seeds(target, Path::new(dir));
    assert!(!seeds.is_empty(), "no seeds for {target}");
    for s in &seeds {
        run_one(target, f, s);
    }
    let mut rng = Lcg(0x5eed ^ target.len() as u64);
    for i in 0..mutations {
        let seed = &seeds[i % seeds.len()];
        run_one(target, f, &mutate(seed, &mut rng));
    }
    for _ in 0..random {
        let len = rng.below(600);
        let input: Vec<u8> = (0..len).map(|_| rng.next_u64() as u8).collect();
        run_one(target, f, &input);
    }
}

#[test]
fn defrag_smoke() {
    smoke("defrag", harness::defrag, 3000, 1000);
}

#[test]
fn decode_smoke() {
    smoke("decode", harness::decode_frame, 2000, 500);
}

/// The tunnel captures (captures/tunnels/): each frame decoded and its tree, fields and
/// summary rendered, then mutations of them (cut and lying tunnel headers, nesting).
#[test]
fn tunnel_decode_smoke() {
    smoke_in(
        concat!(env!("CARGO_MANIFEST_DIR"), "/captures/tunnels"),
        "decode",
        harness::decode_frame,
        4000,
        0,
    );
}

/// The tunnel captures through the whole pipeline (sessions, HTTP, TLS, JSON and -V -x).
#[test]
fn tunnel_pipeline_smoke() {
    smoke_in(
        concat!(env!("CARGO_MANIFEST_DIR"), "/captures/tunnels"),
        "pipeline",
        harness::pipeline,
        300,
        0,
    );
}

#[test]
fn reassembly_smoke() {
    smoke("reassembly", harness::reassembly, 2000, 1000);
}

#[test]
fn http_smoke() {
    smoke("http", harness::http, 1500, 500);
}

#[test]
fn http2_smoke() {
    smoke("http2", harness::http2, 3000, 500);
}

#[test]
fn tls_smoke() {
    smoke("tls", harness::tls, 1000, 300);
}

#[test]
fn dns_smoke() {
    smoke("dns", harness::dns, 3000, 1000);
}

#[test]
fn quic_smoke() {
    smoke("quic", harness::quic, 600, 300);
}

#[test]
fn http3_smoke() {
    smoke("http3", harness::http3, 3000, 500);
}

#[test]
fn http3_seed_carries_a_request_and_a_response() {
    // The seed is not vacuous: both messages decode (the response through the dynamic
    // table the encoder stream built).
    let seeds = harness::seeds("http3", Path::new(CAPTURES));
    assert_eq!(seeds.len(), 1);
    assert_eq!(harness::http3_run(&seeds[0]), 2);
}

#[test]
fn quic_seeds_open_and_carry_the_client_hello() {
    // The seeds are not vacuous: the Initial packets open and the ClientHello completes.
    use squirrel_sniff::dissect::quic::QuicConnection;
    use squirrel_sniff::flow::Direction;
    let seeds = harness::seeds("quic", Path::new(CAPTURES));
    assert_eq!(seeds.len(), 6);
    for s in &seeds {
        let mut c = QuicConnection::new();
        let mut rest = s.as_slice();
        while let Some((&[dir, hi, lo], tail)) = rest.split_first_chunk::<3>() {
            let (d, after) = tail.split_at(usize::from(u16::from_be_bytes([hi, lo])));
            rest = after;
            let _ = c.datagram(
                if dir == 0 {
                    Direction::ToServer
                } else {
                    Direction::ToClient
                },
                d,
                1,
                None,
            );
        }
        let sum = c.summary();
        assert_eq!(sum.sni.as_deref(), Some(&b"secret-squirrel.example"[..]));
        assert_eq!(sum.decryption_failed, 0);
    }
}

#[test]
fn pipeline_smoke() {
    smoke("pipeline", harness::pipeline, 150, 50);
}

#[test]
fn reassembly_seeds_deliver_data() {
    // The checking sink is not vacuous: the handshake seed (first) delivers the request, the
    // out-of-order "later" and the response: 18 + 17 + 5 bytes, in order.
    let seeds = harness::seeds("reassembly", Path::new(CAPTURES));
    let sink = harness::reassembly_run(&seeds[0]);
    assert_eq!(sink.data_bytes, 18 + 17 + 5);
    // The capture seeds carry real HTTP.
    let http = harness::seeds("http", Path::new(CAPTURES));
    assert!(http.iter().any(|s| s.windows(9).any(|w| w == b"HTTP/1.1 ")));
}

#[test]
fn http2_seeds_carry_streams() {
    // Three requests, three responses and a pushed request, whole and in small pieces.
    for s in harness::seeds("http2", Path::new(CAPTURES)) {
        assert_eq!(harness::http2_run(&s), 7);
    }
}

#[test]
fn write_seeds() {
    let Some(dir) = std::env::var_os("SQUIRREL_WRITE_SEEDS") else {
        return;
    };
    for (name, _) in harness::TARGETS {
        let d = Path::new(&dir).join(name);
        std::fs::create_dir_all(&d).unwrap();
        for (i, s) in harness::seeds(name, Path::new(CAPTURES)).iter().enumerate() {
            std::fs::write(d.join(format!("seed-{i:03}")), s).unwrap();
        }
    }
}
