//! Packet protection of the Handshake and 1-RTT levels (RFC 9001 §5), keyed from the TLS
//! 1.3 traffic secrets of a key log: the negotiated suite's AEAD (through the TLS record
//! decrypter's ciphers) and header protection (AES-128/256 or ChaCha20, §5.4), expanded
//! with the version's `quic key`/`quic iv`/`quic hp` labels, and the key update of §6
//! (`quic ku`, the key phase bit).

use aes::cipher::{generic_array::GenericArray, BlockEncrypt, KeyInit};
use aes::{Aes128, Aes256};
use chacha20::cipher::{KeyIvInit, StreamCipher, StreamCipherSeek};

use super::keys::{labels, Protection};
use crate::dissect::tls::decrypt::record::AeadCipher;
use crate::dissect::tls::decrypt::schedule::{hkdf_expand_label, LabelExpander};
use crate::dissect::tls::decrypt::suite::{suite_params, Protection as Aead, SuiteParams};

/// The header-protection cipher of a suite (not changed by key updates, §6.1).
#[derive(Clone)]
enum HeaderKey {
    Aes128(Box<Aes128>),
    Aes256(Box<Aes256>),
    ChaCha([u8; 32]),
}

impl HeaderKey {
    fn new(aead: Aead, key: &[u8]) -> Option<Self> {
        Some(match (aead, key.len()) {
            (Aead::AesGcm | Aead::AesCcm { .. }, 16) => {
                HeaderKey::Aes128(Box::new(Aes128::new_from_slice(key).ok()?))
            }
            (Aead::AesGcm | Aead::AesCcm { .. }, 32) => {
                HeaderKey::Aes256(Box::new(Aes256::new_from_slice(key).ok()?))
            }
            (Aead::ChaCha20Poly1305, 32) => HeaderKey::ChaCha(key.try_into().ok()?),
            _ => return None,
        })
    }

    fn mask(&self, sample: &[u8; 16]) -> [u8; 16] {
        let mut out = [0u8; 16];
        match self {
            HeaderKey::Aes128(c) => {
                let mut b = GenericArray::clone_from_slice(sample);
                c.encrypt_block(&mut b);
                out.copy_from_slice(&b);
            }
            HeaderKey::Aes256(c) => {
                let mut b = GenericArray::clone_from_slice(sample);
                c.encrypt_block(&mut b);
                out.copy_from_slice(&b);
            }
            HeaderKey::ChaCha(key) => {
                // counter = sample[0..4] little-endian, nonce = sample[4..16] (§5.4.4).
                let mut counter = [0u8; 4];
                counter.copy_from_slice(sample.get(..4).unwrap_or(&[0; 4]));
                let mut nonce = [0u8; 12];
                nonce.copy_from_slice(sample.get(4..).unwrap_or(&[0; 12]));
                let mut c = chacha20::ChaCha20::new(key.into(), &nonce.into());
                let pos = u64::from(u32::from_le_bytes(counter)) * 64;
                if c.try_seek(pos).is_ok() {
                    c.apply_keystream(&mut out);
                }
            }
        }
        out
    }
}

/// The AEAD key and IV of one key phase.
struct PhaseKeys {
    aead: AeadCipher,
    iv: [u8; 12],
    /// The secret they came from (the next phase is derived from it).
    secret: Vec<u8>,
}

/// Keys of one direction at the Handshake or 1-RTT level.
pub struct SuiteKeys {
    suite: SuiteParams,
    version: u32,
    hp: HeaderKey,
    current: PhaseKeys,
    /// The key phase bit `current` is used with.
    pub phase: bool,
    /// Key updates followed so far.
    pub updates: u32,
}

impl std::fmt::Debug for SuiteKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SuiteKeys")
            .field("suite", &self.suite.id)
            .field("phase", &self.phase)
            .finish()
    }
}

fn phase_keys(suite: &SuiteParams, version: u32, secret: &[u8]) -> Option<PhaseKeys> {
    let l = labels(version);
    let keyed = LabelExpander::new(suite.hash, secret)?;
    let key = keyed.expand_label(l.key, &[], suite.key_len)?;
    let iv = keyed.expand_label(l.iv, &[], 12)?;
    Some(PhaseKeys {
        aead: AeadCipher::new(suite.protection, &key).ok()?,
        iv: iv.try_into().ok()?,
        secret: secret.to_vec(),
    })
}

impl SuiteKeys {
    /// Keys from a traffic secret of a TLS 1.3 suite (`None` for a suite this cannot
    /// decrypt or a secret of the wrong size).
    pub fn new(version: u32, suite_id: u16, secret: &[u8]) -> Option<Self> {
        let suite = suite_params(suite_id).filter(|s| s.tls13)?;
        if secret.len() != suite.hash.output_len() {
            return None;
        }
        let hp_key = hkdf_expand_label(suite.hash, secret, labels(version).hp, &[], suite.key_len)?;
        Some(SuiteKeys {
            hp: HeaderKey::new(suite.protection, &hp_key)?,
            current: phase_keys(&suite, version, secret)?,
            suite,
            version,
            phase: false,
            updates: 0,
        })
    }

    /// The keys of the next key phase (RFC 9001 §6.1), as a value to try on a packet whose
    /// key phase bit differs.
    pub fn next_phase(&self) -> Option<SuiteKeys> {
        let l = labels(self.version);
        let len = self.suite.hash.output_len();
        let secret = hkdf_expand_label(self.suite.hash, &self.current.secret, l.ku, &[], len)?;
        Some(SuiteKeys {
            suite: self.suite,
            version: self.version,
            hp: self.hp.clone(),
            current: phase_keys(&self.suite, self.version, &secret)?,
            phase: !self.phase,
            updates: self.updates + 1,
        })
    }
}

impl Protection for SuiteKeys {
    fn mask(&self, sample: &[u8; 16]) -> [u8; 16] {
        self.hp.mask(sample)
    }
    fn iv(&self) -> [u8; 12] {
        self.current.iv
    }
    fn seal_open(&self, nonce: &[u8; 12], aad: &[u8], body: &[u8]) -> Option<Vec<u8>> {
        self.current.aead.open(nonce, aad, body).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dissect::quic::keys::{unprotect, VERSION_1};

    fn h(s: &str) -> Vec<u8> {
        hex::decode(s.split_whitespace().collect::<String>()).unwrap()
    }

    /// RFC 9001 Appendix A.5: a ChaCha20-Poly1305 short-header packet, opened with the keys
    /// expanded from its secret (header protection removed with ChaCha20).
    #[test]
    fn rfc9001_a5_chacha20_short_header() {
        let secret = h("9ac312a7f877468ebe69422748ad00a15443f18203a07d6060f688f30f21632b");
        let k = SuiteKeys::new(VERSION_1, 0x1303, &secret).unwrap();
        let packet = h("4cfe4189655e5cd55c41f69080575d7999c25a5bfb");
        let o = unprotect(&k, &packet, 1, Some(654360563)).unwrap();
        assert_eq!(o.first_byte, 0x42);
        assert_eq!(o.pn, 654360564);
        assert_eq!(o.plaintext, vec![0x01]);
        // The key update's keys differ and do not open it.
        let next = k.next_phase().unwrap();
        assert!(next.phase);
        assert!(unprotect(&next, &packet, 1, Some(654360563)).is_err());
    }

    #[test]
    fn unknown_suites_and_bad_secrets_give_no_keys() {
        assert!(SuiteKeys::new(VERSION_1, 0xc02f, &[0; 32]).is_none());
        assert!(SuiteKeys::new(VERSION_1, 0x1302, &[0; 32]).is_none());
        assert!(SuiteKeys::new(VERSION_1, 0x1302, &[0; 48]).is_some());
    }
}
