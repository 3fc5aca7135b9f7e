//! Key derivation: the TLS 1.2 PRF (RFC 5246 §5) with the master secret, extended master
//! secret (RFC 7627) and key block, and the TLS 1.3 traffic keys and key updates from a
//! traffic secret (RFC 8446 §7.1–7.3).

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256, Sha384};

/// The hash of a cipher suite's PRF / HKDF.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SuiteHash {
    Sha256,
    Sha384,
}

impl SuiteHash {
    pub fn output_len(self) -> usize {
        match self {
            SuiteHash::Sha256 => 32,
            SuiteHash::Sha384 => 48,
        }
    }

    /// Hash of `data` (the handshake transcript for the session hash).
    pub fn digest(self, data: &[u8]) -> Vec<u8> {
        match self {
            SuiteHash::Sha256 => Sha256::digest(data).to_vec(),
            SuiteHash::Sha384 => Sha384::digest(data).to_vec(),
        }
    }
}

/// TLS 1.2 PRF label for the master secret (RFC 5246 §8.1).
pub const LABEL_MASTER_SECRET: &[u8] = b"master secret";
/// TLS 1.2 PRF label for the extended master secret (RFC 7627 §4).
pub const LABEL_EXTENDED_MASTER_SECRET: &[u8] = b"extended master secret";
/// TLS 1.2 PRF label for the key block (RFC 5246 §6.3).
pub const LABEL_KEY_EXPANSION: &[u8] = b"key expansion";
/// TLS 1.3 HKDF label of a record key (RFC 8446 §7.3).
pub const LABEL_KEY: &[u8] = b"key";
/// TLS 1.3 HKDF label of a record IV.
pub const LABEL_IV: &[u8] = b"iv";
/// TLS 1.3 HKDF label of the next application traffic secret (RFC 8446 §7.2).
pub const LABEL_TRAFFIC_UPDATE: &[u8] = b"traffic upd";

/// One P_hash expansion (RFC 5246 §5).
fn p_hash<M: Mac + hmac::digest::KeyInit + Clone>(secret: &[u8], seed: &[u8], out: &mut [u8]) {
    let Ok(base) = <M as hmac::digest::KeyInit>::new_from_slice(secret) else {
        return;
    };
    let mut a = {
        let mut m = base.clone();
        m.update(seed);
        m.finalize().into_bytes().to_vec()
    };
    let mut filled = 0;
    while filled < out.len() {
        let mut m = base.clone();
        m.update(&a);
        m.update(seed);
        let block = m.finalize().into_bytes();
        let n = block.len().min(out.len() - filled);
        if let (Some(dst), Some(src)) = (out.get_mut(filled..filled + n), block.get(..n)) {
            dst.copy_from_slice(src);
        }
        filled += n;
        if filled < out.len() {
            // A(i+1), needed only when another block follows.
            let mut m = base.clone();
            m.update(&a);
            a = m.finalize().into_bytes().to_vec();
        }
    }
}

/// The TLS 1.2 PRF: `P_<hash>(secret, label || seed)` truncated to `len` bytes.
pub fn prf(hash: SuiteHash, secret: &[u8], label: &[u8], seed: &[u8], len: usize) -> Vec<u8> {
    let mut full_seed = Vec::with_capacity(label.len() + seed.len());
    full_seed.extend_from_slice(label);
    full_seed.extend_from_slice(seed);
    let mut out = vec![0u8; len];
    match hash {
        SuiteHash::Sha256 => p_hash::<Hmac<Sha256>>(secret, &full_seed, &mut out),
        SuiteHash::Sha384 => p_hash::<Hmac<Sha384>>(secret, &full_seed, &mut out),
    }
    out
}

/// The master secret from the premaster secret (RFC 5246 §8.1).
pub fn master_secret(
    hash: SuiteHash,
    premaster: &[u8],
    client_random: &[u8],
    server_random: &[u8],
) -> Vec<u8> {
    let seed = [client_random, server_random].concat();
    prf(hash, premaster, LABEL_MASTER_SECRET, &seed, 48)
}

/// The extended master secret from the premaster secret and the session hash (RFC 7627).
pub fn extended_master_secret(hash: SuiteHash, premaster: &[u8], session_hash: &[u8]) -> Vec<u8> {
    prf(
        hash,
        premaster,
        LABEL_EXTENDED_MASTER_SECRET,
        session_hash,
        48,
    )
}

/// The TLS 1.2 key block, split into the write keys of each side.
#[derive(Clone, PartialEq, Eq)]
pub struct KeyBlock {
    pub client_mac_key: Vec<u8>,
    pub server_mac_key: Vec<u8>,
    pub client_key: Vec<u8>,
    pub server_key: Vec<u8>,
    pub client_iv: Vec<u8>,
    pub server_iv: Vec<u8>,
}

impl std::fmt::Debug for KeyBlock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("KeyBlock { .. }")
    }
}

/// Derive the key block (RFC 5246 §6.3): note the seed is server random then client random.
pub fn key_block(
    hash: SuiteHash,
    master_secret: &[u8],
    client_random: &[u8],
    server_random: &[u8],
    mac_len: usize,
    key_len: usize,
    iv_len: usize,
) -> KeyBlock {
    let seed = [server_random, client_random].concat();
    let total = 2 * (mac_len + key_len + iv_len);
    let block = prf(hash, master_secret, LABEL_KEY_EXPANSION, &seed, total);
    let mut at = 0;
    let mut next = |n: usize| {
        let part = block.get(at..at + n).unwrap_or_default().to_vec();
        at += n;
        part
    };
    KeyBlock {
        client_mac_key: next(mac_len),
        server_mac_key: next(mac_len),
        client_key: next(key_len),
        server_key: next(key_len),
        client_iv: next(iv_len),
        server_iv: next(iv_len),
    }
}

/// HMAC keyed with one secret, ready for several HKDF-Expand-Label calls: the key's inner
/// and outer pads are hashed once, not once per label (a traffic secret gives a key and an
/// IV; the two derivations cost 6 compressions instead of 8).
#[derive(Clone)]
pub enum LabelExpander {
    Sha256(Hmac<Sha256>),
    Sha384(Hmac<Sha384>),
}

impl LabelExpander {
    /// HKDF-Expand with `secret` as the pseudorandom key: `None` when it is shorter than the
    /// hash (as `Hkdf::from_prk` refuses it).
    pub fn new(hash: SuiteHash, secret: &[u8]) -> Option<Self> {
        if secret.len() < hash.output_len() {
            return None;
        }
        Some(match hash {
            SuiteHash::Sha256 => {
                LabelExpander::Sha256(<Hmac<Sha256> as Mac>::new_from_slice(secret).ok()?)
            }
            SuiteHash::Sha384 => {
                LabelExpander::Sha384(<Hmac<Sha384> as Mac>::new_from_slice(secret).ok()?)
            }
        })
    }

    /// HKDF-Expand-Label (RFC 8446 §7.1) with the `tls13 ` prefix: `len` bytes of
    /// `T(1) || T(2) || ...`, `T(i) = HMAC(secret, T(i-1) || info || i)` (RFC 5869 §2.3).
    pub fn expand_label(&self, label: &[u8], context: &[u8], len: usize) -> Option<Vec<u8>> {
        let full_label_len = 6 + label.len();
        let mut info = Vec::with_capacity(4 + full_label_len + context.len());
        info.extend_from_slice(&u16::try_from(len).ok()?.to_be_bytes());
        info.push(u8::try_from(full_label_len).ok()?);
        info.extend_from_slice(b"tls13 ");
        info.extend_from_slice(label);
        info.push(u8::try_from(context.len()).ok()?);
        info.extend_from_slice(context);
        match self {
            LabelExpander::Sha256(m) => expand(m, &info, len),
            LabelExpander::Sha384(m) => expand(m, &info, len),
        }
    }
}

/// HKDF-Expand (RFC 5869 §2.3) from a keyed HMAC; `None` past the 255 blocks it allows.
fn expand<M: Mac + Clone>(keyed: &M, info: &[u8], len: usize) -> Option<Vec<u8>> {
    if len > 255 * M::output_size() {
        return None;
    }
    let mut out = Vec::with_capacity(len);
    let mut prev: Option<hmac::digest::Output<M>> = None;
    for counter in 1..=255u8 {
        if out.len() >= len {
            break;
        }
        let mut m = keyed.clone();
        if let Some(p) = &prev {
            m.update(p);
        }
        m.update(info);
        m.update(&[counter]);
        let block = m.finalize().into_bytes();
        let n = block.len().min(len - out.len());
        out.extend_from_slice(block.get(..n)?);
        prev = Some(block);
    }
    Some(out)
}

/// HKDF-Expand-Label (RFC 8446 §7.1) with the `tls13 ` prefix.
pub fn hkdf_expand_label(
    hash: SuiteHash,
    secret: &[u8],
    label: &[u8],
    context: &[u8],
    len: usize,
) -> Option<Vec<u8>> {
    LabelExpander::new(hash, secret)?.expand_label(label, context, len)
}

/// A TLS 1.3 traffic secret (handshake, application, or early), one per direction.
#[derive(Clone, PartialEq, Eq)]
pub struct TrafficSecret {
    pub hash: SuiteHash,
    secret: Vec<u8>,
}

impl std::fmt::Debug for TrafficSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TrafficSecret { .. }")
    }
}

/// A record key and IV derived from a traffic secret.
#[derive(Clone, PartialEq, Eq)]
pub struct TrafficKeys {
    pub key: Vec<u8>,
    pub iv: Vec<u8>,
}

impl TrafficSecret {
    pub fn new(hash: SuiteHash, secret: &[u8]) -> Self {
        TrafficSecret {
            hash,
            secret: secret.to_vec(),
        }
    }

    /// The write key and IV (RFC 8446 §7.3).
    pub fn keys(&self, key_len: usize, iv_len: usize) -> Option<TrafficKeys> {
        let keyed = LabelExpander::new(self.hash, &self.secret)?;
        Some(TrafficKeys {
            key: keyed.expand_label(LABEL_KEY, &[], key_len)?,
            iv: keyed.expand_label(LABEL_IV, &[], iv_len)?,
        })
    }

    /// The secret after a KeyUpdate (RFC 8446 §7.2).
    pub fn next(&self) -> Option<TrafficSecret> {
        let len = self.hash.output_len();
        Some(TrafficSecret {
            hash: self.hash,
            secret: hkdf_expand_label(self.hash, &self.secret, LABEL_TRAFFIC_UPDATE, &[], len)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(s: &str) -> Vec<u8> {
        hex::decode(s.split_whitespace().collect::<String>()).unwrap()
    }

    /// RFC 8448 §3 (simple 1-RTT handshake): the server handshake traffic secret gives the
    /// server's handshake write key and IV.
    #[test]
    fn rfc8448_server_handshake_keys() {
        let secret = TrafficSecret::new(
            SuiteHash::Sha256,
            &h("b6 7b 7d 69 0c c1 6c 4e 75 e5 42 13 cb 2d 37 b4 e9 c9 12 bc de d9 10 5d 42 be fd 59 d3 91 ad 38"),
        );
        let k = secret.keys(16, 12).unwrap();
        assert_eq!(k.key, h("3f ce 51 60 09 c2 17 27 d0 f2 e4 e8 6e e4 03 bc"));
        assert_eq!(k.iv, h("5d 31 3e b2 67 12 76 ee 13 00 0b 30"));
    }

    /// RFC 8448 §3: the client handshake traffic secret gives the client's write key/IV.
    #[test]
    fn rfc8448_client_handshake_keys() {
        let secret = TrafficSecret::new(
            SuiteHash::Sha256,
            &h("b3 ed db 12 6e 06 7f 35 a7 80 b3 ab f4 5e 2d 8f 3b 1a 95 07 38 f5 2e 96 00 74 6a 0e 27 a5 5a 21"),
        );
        let k = secret.keys(16, 12).unwrap();
        assert_eq!(k.key, h("db fa a6 93 d1 76 2c 5b 66 6a f5 d9 50 25 8d 01"));
        assert_eq!(k.iv, h("5b d3 c7 1b 83 6e 0b 76 bb 73 26 5f"));
    }

    /// The TLS 1.2 PRF test vector for P_SHA256 (the widely used IETF TLS WG vector).
    #[test]
    fn prf_sha256_known_value() {
        let secret = h("9b be 43 6b a9 40 f0 17 b1 76 52 84 9a 71 db 35");
        let seed = h("a0 ba 9f 93 6c da 31 18 27 a6 f7 96 ff d5 19 8c");
        let out = prf(SuiteHash::Sha256, &secret, b"test label", &seed, 100);
        assert_eq!(
            out,
            h("e3 f2 29 ba 72 7b e1 7b 8d 12 26 20 55 7c d4 53 c2 aa b2 1d 07 c3 d4 95 32 9b 52 d4 e6 1e db 5a
               6b 30 17 91 e9 0d 35 c9 c9 a4 6b 4e 14 ba f9 af 0f a0 22 f7 07 7d ef 17 ab fd 37 97 c0 56 4b ab
               4f bc 91 66 6e 9d ef 9b 97 fc e3 4f 79 67 89 ba a4 80 82 d1 22 ee 42 c5 a7 2e 5a 51 10 ff f7 01
               87 34 7b 66")
        );
    }

    /// The same vector for P_SHA384 (first 32 bytes).
    #[test]
    fn prf_sha384_known_value() {
        let secret = h("b8 0b 73 3d 6c ee fc dc 71 56 6e a4 8e 55 67 df");
        let seed = h("cd 66 5c f6 a8 44 7d d6 ff 8b 27 55 5e db 74 65");
        let out = prf(SuiteHash::Sha384, &secret, b"test label", &seed, 32);
        assert_eq!(
            out,
            h("7b 0c 18 e9 ce d4 10 ed 18 04 f2 cf a3 4a 33 6a 1c 14 df fb 49 00 bb 5f d7 94 21 07 e8 1c 83 cd")
        );
    }

    /// The keyed expander gives what the `hkdf` crate gives, for one block and several,
    /// and refuses what it refuses (a short secret, more than 255 blocks).
    #[test]
    fn label_expander_matches_hkdf() {
        fn reference(hash: SuiteHash, secret: &[u8], info: &[u8], len: usize) -> Option<Vec<u8>> {
            let mut out = vec![0u8; len];
            let ok = match hash {
                SuiteHash::Sha256 => hkdf::Hkdf::<Sha256>::from_prk(secret)
                    .ok()?
                    .expand(info, &mut out)
                    .is_ok(),
                SuiteHash::Sha384 => hkdf::Hkdf::<Sha384>::from_prk(secret)
                    .ok()?
                    .expand(info, &mut out)
                    .is_ok(),
            };
            ok.then_some(out)
        }
        for hash in [SuiteHash::Sha256, SuiteHash::Sha384] {
            for secret_len in [16, 32, 48, 64] {
                let secret: Vec<u8> = (0..secret_len)
                    .map(|i: u8| i.wrapping_mul(7).wrapping_add(1))
                    .collect();
                for len in [
                    0,
                    1,
                    12,
                    16,
                    32,
                    33,
                    48,
                    49,
                    100,
                    255 * 32,
                    255 * 48,
                    255 * 48 + 1,
                ] {
                    let mut info = (len as u16).to_be_bytes().to_vec();
                    info.push(6 + 3);
                    info.extend_from_slice(b"tls13 key");
                    info.push(0);
                    let want = reference(hash, &secret, &info, len);
                    let got = hkdf_expand_label(hash, &secret, b"key", &[], len);
                    assert_eq!(got, want, "{hash:?} secret {secret_len} len {len}");
                }
            }
        }
    }

    /// The PRF with the last block's unused `A(i)` skipped gives every length as before.
    #[test]
    fn prf_lengths_agree_with_the_full_expansion() {
        fn full<M: Mac + hmac::digest::KeyInit + Clone>(
            secret: &[u8],
            seed: &[u8],
            len: usize,
        ) -> Vec<u8> {
            let base = <M as hmac::digest::KeyInit>::new_from_slice(secret).unwrap();
            let mut a = {
                let mut m = base.clone();
                m.update(seed);
                m.finalize().into_bytes().to_vec()
            };
            let mut out = Vec::new();
            while out.len() < len {
                let mut m = base.clone();
                m.update(&a);
                m.update(seed);
                out.extend_from_slice(&m.finalize().into_bytes());
                let mut m = base.clone();
                m.update(&a);
                a = m.finalize().into_bytes().to_vec();
            }
            out.truncate(len);
            out
        }
        let secret = [3u8; 48];
        for len in [0, 1, 31, 32, 33, 40, 48, 64, 72, 96, 104, 200] {
            let mut seed = b"key expansion".to_vec();
            seed.extend_from_slice(&[9u8; 64]);
            let ours = |hash| prf(hash, &secret, b"key expansion", &[9u8; 64], len);
            assert_eq!(
                ours(SuiteHash::Sha256),
                full::<Hmac<Sha256>>(&secret, &seed, len)
            );
            assert_eq!(
                ours(SuiteHash::Sha384),
                full::<Hmac<Sha384>>(&secret, &seed, len)
            );
        }
    }

    #[test]
    fn key_update_changes_the_secret_and_keys() {
        let s = TrafficSecret::new(SuiteHash::Sha384, &[7u8; 48]);
        let n = s.next().unwrap();
        assert_ne!(s, n);
        assert_ne!(s.keys(32, 12).unwrap().key, n.keys(32, 12).unwrap().key);
    }
}
