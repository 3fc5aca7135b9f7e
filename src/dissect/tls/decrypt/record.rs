//! Record decryption, one [`RecordDecrypter`] per direction: AEAD records of TLS 1.2
//! (explicit or XOR nonce) and TLS 1.3 (inner content type and padding), and AES-CBC with
//! HMAC in MAC-then-encrypt or encrypt_then_mac (RFC 7366). Every record's tag or MAC is
//! checked: a wrong key is an error, never plaintext.
//!
//! Records are opened in place: the record's own buffer becomes its plaintext (no second
//! buffer per record), and a record that does not open is left as it came (so another key
//! can be tried on it, and it is shown as the opaque record it is).

use aes::cipher::{block_padding::NoPadding, BlockDecryptMut, KeyIvInit};
use aes_gcm::aead::generic_array::typenum::Unsigned;
use aes_gcm::aead::{Aead, AeadInPlace, KeyInit, Payload};
use aes_gcm::{Aes128Gcm, Aes256Gcm};
use ccm::consts::{U12, U16, U8};
use chacha20poly1305::ChaCha20Poly1305;
use hmac::{Hmac, Mac};
use sha1::Sha1;
use sha2::{Sha256, Sha384};

use super::schedule::TrafficKeys;
use super::suite::{MacHash, Protection, SuiteParams};

/// Largest TLS plaintext (2^14) plus the inner content type byte of TLS 1.3.
const MAX_PLAINTEXT: usize = (1 << 14) + 1;

/// Why a record did not decrypt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DecryptError {
    #[error("bad tag")]
    BadTag,
    #[error("bad record MAC")]
    BadMac,
    #[error("bad padding")]
    BadPadding,
    #[error("record too short")]
    TooShort,
    #[error("no inner content type (all padding)")]
    NoContentType,
    #[error("plaintext longer than 2^14 bytes")]
    TooLong,
    #[error("unusable key length")]
    BadKey,
}

/// A decrypted record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plaintext {
    /// The content type it carries (TLS 1.3: the inner type).
    pub content_type: u8,
    pub data: Vec<u8>,
}

/// A record's plaintext, or why it did not open.
pub type Decrypted = Result<Plaintext, DecryptError>;

/// Decrypts the records of one direction in order (the sequence number is kept inside).
pub trait RecordDecrypter: Send {
    /// Decrypt the record with outer header `content_type`/`version` and payload `body`,
    /// in place where the cipher allows (the plaintext then takes over `body`'s buffer and
    /// `body` is left empty). A record whose tag or MAC does not match is left in `body` as
    /// it came; `body` keeps its length in every case. The sequence number advances whether
    /// or not it succeeds.
    fn decrypt(&mut self, content_type: u8, version: u16, body: &mut Vec<u8>) -> Decrypted;

    /// Skip `n` records that went by undecrypted (keys found late: live capture).
    fn skip(&mut self, n: u64);
}

/// An AEAD of a cipher suite with its key (shared with QUIC's packet protection).
pub enum AeadCipher {
    Aes128Gcm(Box<Aes128Gcm>),
    Aes256Gcm(Box<Aes256Gcm>),
    ChaCha(Box<ChaCha20Poly1305>),
    Aes128Ccm(Box<ccm::Ccm<aes::Aes128, U16, U12>>),
    Aes256Ccm(Box<ccm::Ccm<aes::Aes256, U16, U12>>),
    Aes128Ccm8(Box<ccm::Ccm<aes::Aes128, U8, U12>>),
    Aes256Ccm8(Box<ccm::Ccm<aes::Aes256, U8, U12>>),
}

impl AeadCipher {
    pub fn new(protection: Protection, key: &[u8]) -> Result<Self, DecryptError> {
        let bad = |_| DecryptError::BadKey;
        Ok(match (protection, key.len()) {
            (Protection::AesGcm, 16) => {
                AeadCipher::Aes128Gcm(Box::new(Aes128Gcm::new_from_slice(key).map_err(bad)?))
            }
            (Protection::AesGcm, 32) => {
                AeadCipher::Aes256Gcm(Box::new(Aes256Gcm::new_from_slice(key).map_err(bad)?))
            }
            (Protection::ChaCha20Poly1305, 32) => AeadCipher::ChaCha(Box::new(
                ChaCha20Poly1305::new_from_slice(key).map_err(bad)?,
            )),
            (Protection::AesCcm { tag_len: 16 }, 16) => {
                AeadCipher::Aes128Ccm(Box::new(ccm::Ccm::new_from_slice(key).map_err(bad)?))
            }
            (Protection::AesCcm { tag_len: 16 }, 32) => {
                AeadCipher::Aes256Ccm(Box::new(ccm::Ccm::new_from_slice(key).map_err(bad)?))
            }
            (Protection::AesCcm { tag_len: 8 }, 16) => {
                AeadCipher::Aes128Ccm8(Box::new(ccm::Ccm::new_from_slice(key).map_err(bad)?))
            }
            (Protection::AesCcm { tag_len: 8 }, 32) => {
                AeadCipher::Aes256Ccm8(Box::new(ccm::Ccm::new_from_slice(key).map_err(bad)?))
            }
            _ => return Err(DecryptError::BadKey),
        })
    }

    fn tag_len(&self) -> usize {
        match self {
            AeadCipher::Aes128Ccm8(_) | AeadCipher::Aes256Ccm8(_) => 8,
            _ => 16,
        }
    }

    /// Open `msg` (ciphertext and tag) with `nonce` and additional data `aad`.
    pub fn open(&self, nonce: &[u8; 12], aad: &[u8], msg: &[u8]) -> Result<Vec<u8>, DecryptError> {
        let p = Payload { msg, aad };
        let n = nonce.into();
        match self {
            AeadCipher::Aes128Gcm(c) => c.decrypt(n, p),
            AeadCipher::Aes256Gcm(c) => c.decrypt(n, p),
            AeadCipher::ChaCha(c) => c.decrypt(n, p),
            AeadCipher::Aes128Ccm(c) => c.decrypt(n, p),
            AeadCipher::Aes256Ccm(c) => c.decrypt(n, p),
            AeadCipher::Aes128Ccm8(c) => c.decrypt(n, p),
            AeadCipher::Aes256Ccm8(c) => c.decrypt(n, p),
        }
        .map_err(|_| DecryptError::BadTag)
    }

    /// Open `buf` (ciphertext and tag) in place; on success its first `n` bytes are the
    /// plaintext and `n` is returned, on failure `buf` holds what it held before.
    fn open_in_place(
        &self,
        nonce: &[u8; 12],
        aad: &[u8],
        buf: &mut [u8],
    ) -> Result<usize, DecryptError> {
        match self {
            // GCM and ChaCha20-Poly1305 check the tag before they decrypt anything.
            AeadCipher::Aes128Gcm(c) => open_detached(c.as_ref(), nonce, aad, buf),
            AeadCipher::Aes256Gcm(c) => open_detached(c.as_ref(), nonce, aad, buf),
            AeadCipher::ChaCha(c) => open_detached(c.as_ref(), nonce, aad, buf),
            // CCM authenticates the plaintext, so it decrypts first (and wipes the buffer
            // when the tag is wrong): open a copy (rare suites; not worth the care).
            _ => {
                let plain = self.open(nonce, aad, buf)?;
                let n = plain.len();
                buf.get_mut(..n)
                    .ok_or(DecryptError::BadTag)?
                    .copy_from_slice(&plain);
                Ok(n)
            }
        }
    }
}

/// `buf` = ciphertext || tag, opened in place by an AEAD that checks the tag before it
/// decrypts (a wrong tag leaves `buf` untouched). A buffer shorter than the tag is a bad
/// tag, as the allocating [`AeadCipher::open`] reports it.
fn open_detached<A>(
    cipher: &A,
    nonce: &[u8; 12],
    aad: &[u8],
    buf: &mut [u8],
) -> Result<usize, DecryptError>
where
    A: AeadInPlace<NonceSize = U12>,
{
    let split = buf
        .len()
        .checked_sub(A::TagSize::USIZE)
        .ok_or(DecryptError::BadTag)?;
    let (msg, tag) = buf.split_at_mut(split);
    let tag = aes_gcm::aead::Tag::<A>::from_exact_iter(tag.iter().copied())
        .ok_or(DecryptError::BadTag)?;
    cipher
        .decrypt_in_place_detached(nonce.into(), aad, msg, &tag)
        .map_err(|_| DecryptError::BadTag)?;
    Ok(split)
}

/// `iv XOR (0^4 || seq)` (RFC 8446 §5.3, RFC 7905).
fn xor_nonce(iv: &[u8; 12], seq: u64) -> [u8; 12] {
    let mut n = *iv;
    for (b, s) in n.iter_mut().skip(4).zip(seq.to_be_bytes()) {
        *b ^= s;
    }
    n
}

/// The TLS 1.2 additional data / MAC header: seq, type, version, length.
fn tls12_header(
    seq: u64,
    content_type: u8,
    version: u16,
    len: usize,
) -> Result<[u8; 13], DecryptError> {
    let len = u16::try_from(len).map_err(|_| DecryptError::TooLong)?;
    let mut h = [0u8; 13];
    h[..8].copy_from_slice(&seq.to_be_bytes());
    h[8] = content_type;
    h[9..11].copy_from_slice(&version.to_be_bytes());
    h[11..].copy_from_slice(&len.to_be_bytes());
    Ok(h)
}

/// TLS 1.2 AEAD records: GCM/CCM carry an 8-byte explicit nonce after a 4-byte implicit
/// salt; ChaCha20-Poly1305 XORs the sequence number into a 12-byte IV.
struct Tls12Aead {
    cipher: AeadCipher,
    iv: Vec<u8>,
    explicit_nonce: bool,
    seq: u64,
}

impl RecordDecrypter for Tls12Aead {
    fn skip(&mut self, n: u64) {
        self.seq = self.seq.wrapping_add(n);
    }

    fn decrypt(&mut self, ct: u8, version: u16, body: &mut Vec<u8>) -> Decrypted {
        let seq = self.seq;
        self.seq = self.seq.wrapping_add(1);
        let (nonce, start) = if self.explicit_nonce {
            let Some(explicit) = body.get(..8) else {
                return Err(DecryptError::TooShort);
            };
            let mut n = [0u8; 12];
            let salt = self.iv.get(..4).ok_or(DecryptError::BadKey)?;
            n[..4].copy_from_slice(salt);
            n[4..].copy_from_slice(explicit);
            (n, 8)
        } else {
            let iv: [u8; 12] = self
                .iv
                .as_slice()
                .try_into()
                .map_err(|_| DecryptError::BadKey)?;
            (xor_nonce(&iv, seq), 0)
        };
        let msg = body.get_mut(start..).ok_or(DecryptError::TooShort)?;
        let plen = msg
            .len()
            .checked_sub(self.cipher.tag_len())
            .ok_or(DecryptError::TooShort)?;
        let aad = tls12_header(seq, ct, version, plen)?;
        let n = self.cipher.open_in_place(&nonce, &aad, msg)?;
        let mut data = std::mem::take(body);
        data.truncate(start + n);
        data.drain(..start);
        Ok(Plaintext {
            content_type: ct,
            data,
        })
    }
}

/// TLS 1.3 records: the outer header is the additional data, the plaintext ends with the
/// inner content type followed by zero padding.
struct Tls13Aead {
    cipher: AeadCipher,
    iv: [u8; 12],
    seq: u64,
}

impl RecordDecrypter for Tls13Aead {
    fn skip(&mut self, n: u64) {
        self.seq = self.seq.wrapping_add(n);
    }

    fn decrypt(&mut self, ct: u8, version: u16, body: &mut Vec<u8>) -> Decrypted {
        let seq = self.seq;
        self.seq = self.seq.wrapping_add(1);
        let len = u16::try_from(body.len()).map_err(|_| DecryptError::TooLong)?;
        let [v0, v1] = version.to_be_bytes();
        let [l0, l1] = len.to_be_bytes();
        let aad = [ct, v0, v1, l0, l1];
        let n = self
            .cipher
            .open_in_place(&xor_nonce(&self.iv, seq), &aad, body)?;
        let plain = body.get(..n).unwrap_or_default();
        let end = plain.iter().rposition(|&b| b != 0);
        let inner = end.and_then(|e| plain.get(e).copied());
        let (Some(end), Some(inner)) = (end, inner) else {
            return Err(DecryptError::NoContentType);
        };
        if end > MAX_PLAINTEXT {
            return Err(DecryptError::TooLong);
        }
        let mut data = std::mem::take(body);
        data.truncate(end);
        Ok(Plaintext {
            content_type: inner,
            data,
        })
    }
}

/// AES-CBC with HMAC (TLS 1.1/1.2: an explicit IV per record).
struct Tls12Cbc {
    key: Vec<u8>,
    mac_key: Vec<u8>,
    mac: MacHash,
    encrypt_then_mac: bool,
    seq: u64,
}

fn hmac_verify(hash: MacHash, key: &[u8], parts: &[&[u8]], tag: &[u8]) -> Result<(), DecryptError> {
    fn run<M: Mac + hmac::digest::KeyInit>(
        key: &[u8],
        parts: &[&[u8]],
        tag: &[u8],
    ) -> Result<(), DecryptError> {
        let mut m =
            <M as hmac::digest::KeyInit>::new_from_slice(key).map_err(|_| DecryptError::BadKey)?;
        for p in parts {
            m.update(p);
        }
        m.verify_slice(tag).map_err(|_| DecryptError::BadMac)
    }
    match hash {
        MacHash::Sha1 => run::<Hmac<Sha1>>(key, parts, tag),
        MacHash::Sha256 => run::<Hmac<Sha256>>(key, parts, tag),
        MacHash::Sha384 => run::<Hmac<Sha384>>(key, parts, tag),
    }
}

impl Tls12Cbc {
    /// CBC-decrypt `iv || blocks` and strip the TLS padding.
    fn cbc_open(&self, body: &[u8]) -> Result<Vec<u8>, DecryptError> {
        let (Some(iv), Some(blocks)) = (body.get(..16), body.get(16..)) else {
            return Err(DecryptError::TooShort);
        };
        if blocks.is_empty() || blocks.len() % 16 != 0 {
            return Err(DecryptError::BadPadding);
        }
        let mut buf = blocks.to_vec();
        let bad = |_| DecryptError::BadKey;
        let n = match self.key.len() {
            16 => cbc::Decryptor::<aes::Aes128>::new_from_slices(&self.key, iv)
                .map_err(bad)?
                .decrypt_padded_mut::<NoPadding>(&mut buf)
                .map_err(|_| DecryptError::BadPadding)?
                .len(),
            32 => cbc::Decryptor::<aes::Aes256>::new_from_slices(&self.key, iv)
                .map_err(bad)?
                .decrypt_padded_mut::<NoPadding>(&mut buf)
                .map_err(|_| DecryptError::BadPadding)?
                .len(),
            _ => return Err(DecryptError::BadKey),
        };
        buf.truncate(n);
        let pad = usize::from(*buf.last().ok_or(DecryptError::BadPadding)?);
        let keep = buf
            .len()
            .checked_sub(pad + 1)
            .ok_or(DecryptError::BadPadding)?;
        if buf
            .get(keep..)
            .is_none_or(|p| p.iter().any(|&b| usize::from(b) != pad))
        {
            return Err(DecryptError::BadPadding);
        }
        buf.truncate(keep);
        Ok(buf)
    }
}

impl RecordDecrypter for Tls12Cbc {
    fn skip(&mut self, n: u64) {
        self.seq = self.seq.wrapping_add(n);
    }

    /// CBC records are opened from a copy (MAC-then-encrypt must decrypt before it can
    /// check): `record` is never changed.
    fn decrypt(&mut self, ct: u8, version: u16, record: &mut Vec<u8>) -> Decrypted {
        let body = record.as_slice();
        let seq = self.seq;
        self.seq = self.seq.wrapping_add(1);
        let mac_len = self.mac.output_len();
        if self.encrypt_then_mac {
            let split = body
                .len()
                .checked_sub(mac_len)
                .ok_or(DecryptError::TooShort)?;
            let (enc, tag) = (
                body.get(..split).unwrap_or_default(),
                body.get(split..).unwrap_or_default(),
            );
            let header = tls12_header(seq, ct, version, enc.len())?;
            hmac_verify(self.mac, &self.mac_key, &[&header, enc], tag)?;
            let data = self.cbc_open(enc)?;
            return Ok(Plaintext {
                content_type: ct,
                data,
            });
        }
        // MAC-then-encrypt: a bad padding is reported as a bad MAC (no padding oracle
        // distinction is needed here, but the message is the same either way).
        let mut data = self.cbc_open(body).map_err(|e| match e {
            DecryptError::BadPadding => DecryptError::BadMac,
            e => e,
        })?;
        let split = data
            .len()
            .checked_sub(mac_len)
            .ok_or(DecryptError::BadMac)?;
        let tag = data.split_off(split);
        let header = tls12_header(seq, ct, version, data.len())?;
        hmac_verify(self.mac, &self.mac_key, &[&header, &data], &tag)?;
        Ok(Plaintext {
            content_type: ct,
            data,
        })
    }
}

/// A TLS 1.2 decrypter from the key block's write key, IV and MAC key of one side.
pub fn tls12_decrypter(
    suite: &SuiteParams,
    key: &[u8],
    iv: &[u8],
    mac_key: &[u8],
    encrypt_then_mac: bool,
) -> Result<Box<dyn RecordDecrypter>, DecryptError> {
    Ok(match suite.protection {
        Protection::AesCbc { mac } => Box::new(Tls12Cbc {
            key: key.to_vec(),
            mac_key: mac_key.to_vec(),
            mac,
            encrypt_then_mac,
            seq: 0,
        }),
        p => Box::new(Tls12Aead {
            cipher: AeadCipher::new(p, key)?,
            iv: iv.to_vec(),
            explicit_nonce: p != Protection::ChaCha20Poly1305,
            seq: 0,
        }),
    })
}

/// A TLS 1.3 decrypter from traffic keys (sequence number 0).
pub fn tls13_decrypter(
    suite: &SuiteParams,
    keys: &TrafficKeys,
) -> Result<Box<dyn RecordDecrypter>, DecryptError> {
    if matches!(suite.protection, Protection::AesCbc { .. }) {
        return Err(DecryptError::BadKey);
    }
    Ok(Box::new(Tls13Aead {
        cipher: AeadCipher::new(suite.protection, &keys.key)?,
        iv: keys
            .iv
            .as_slice()
            .try_into()
            .map_err(|_| DecryptError::BadKey)?,
        seq: 0,
    }))
}

#[cfg(test)]
mod tests {
    use super::super::schedule::{SuiteHash, TrafficSecret};
    use super::super::suite::suite_params;
    use super::*;

    fn h(s: &str) -> Vec<u8> {
        hex::decode(s.split_whitespace().collect::<String>()).unwrap()
    }

    /// A TLS 1.3 record sealed with the RFC 8448 §3 server handshake keys opens to its inner
    /// type and plaintext with the padding stripped; the next sequence number fails the tag.
    #[test]
    fn tls13_record_with_rfc8448_keys_and_sequence_numbers() {
        let secret = TrafficSecret::new(
            SuiteHash::Sha256,
            &h("b6 7b 7d 69 0c c1 6c 4e 75 e5 42 13 cb 2d 37 b4 e9 c9 12 bc de d9 10 5d 42 be fd 59 d3 91 ad 38"),
        );
        let suite = suite_params(0x1301).unwrap();
        let keys = secret.keys(16, 12).unwrap();
        let mut d = tls13_decrypter(&suite, &keys).unwrap();
        // A record sealed with the same keys round-trips; a flipped bit fails the tag.
        let cipher = Aes128Gcm::new_from_slice(&keys.key).unwrap();
        let iv: [u8; 12] = keys.iv.clone().try_into().unwrap();
        let inner = [b"\x08\x00\x00\x02\x00\x00".as_slice(), &[22], &[0, 0, 0]].concat();
        let len = (inner.len() + 16) as u16;
        let aad = [&[23u8, 3, 3][..], &len.to_be_bytes()].concat();
        let sealed = cipher
            .encrypt(
                (&xor_nonce(&iv, 0)).into(),
                Payload {
                    msg: &inner,
                    aad: &aad,
                },
            )
            .unwrap();
        let p = d.decrypt(23, 0x0303, &mut sealed.clone()).unwrap();
        assert_eq!(p.content_type, 22);
        assert_eq!(p.data, b"\x08\x00\x00\x02\x00\x00");
        // Sequence number 1 now: the same record no longer opens, and stays as it came.
        let mut again = sealed.clone();
        assert_eq!(d.decrypt(23, 0x0303, &mut again), Err(DecryptError::BadTag));
        assert_eq!(again, sealed);
    }

    /// Seal `msg` the way a TLS peer does, with the same cipher the decrypter holds.
    fn seal(c: &AeadCipher, nonce: &[u8; 12], aad: &[u8], msg: &[u8]) -> Vec<u8> {
        let p = Payload { msg, aad };
        let n = nonce.into();
        match c {
            AeadCipher::Aes128Gcm(c) => c.encrypt(n, p),
            AeadCipher::Aes256Gcm(c) => c.encrypt(n, p),
            AeadCipher::ChaCha(c) => c.encrypt(n, p),
            AeadCipher::Aes128Ccm(c) => c.encrypt(n, p),
            AeadCipher::Aes256Ccm(c) => c.encrypt(n, p),
            AeadCipher::Aes128Ccm8(c) => c.encrypt(n, p),
            AeadCipher::Aes256Ccm8(c) => c.encrypt(n, p),
        }
        .unwrap()
    }

    /// Every AEAD opens TLS 1.2 and TLS 1.3 records in place to the sealed plaintext, and a
    /// record with a flipped tag bit fails and is left exactly as it came (so another key
    /// can still be tried on it), for the in-place (GCM, ChaCha20) and copying (CCM) paths.
    #[test]
    fn aead_records_open_in_place_and_a_bad_tag_leaves_the_record_unchanged() {
        let plain = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nacorn".to_vec();
        // TLS 1.3 suites: inner content type 23 and two bytes of padding.
        for id in [0x1301u16, 0x1302, 0x1303, 0x1304, 0x1305] {
            let suite = suite_params(id).unwrap();
            let secret = TrafficSecret::new(suite.hash, &[7u8; 48][..suite.hash.output_len()]);
            let keys = secret.keys(suite.key_len, 12).unwrap();
            let cipher = AeadCipher::new(suite.protection, &keys.key).unwrap();
            let iv: [u8; 12] = keys.iv.clone().try_into().unwrap();
            let inner = [plain.as_slice(), &[23, 0, 0]].concat();
            let len = (inner.len() + cipher.tag_len()) as u16;
            let aad = [&[23u8, 3, 3][..], &len.to_be_bytes()].concat();
            let sealed = seal(&cipher, &xor_nonce(&iv, 1), &aad, &inner);
            let mut d = tls13_decrypter(&suite, &keys).unwrap();
            d.skip(1);
            let mut body = sealed.clone();
            let p = d.decrypt(23, 0x0303, &mut body).unwrap();
            assert_eq!((p.content_type, &p.data), (23, &plain), "suite {id:04x}");
            let mut bad = sealed.clone();
            *bad.last_mut().unwrap() ^= 1;
            let before = bad.clone();
            let mut d = tls13_decrypter(&suite, &keys).unwrap();
            d.skip(1);
            assert_eq!(d.decrypt(23, 0x0303, &mut bad), Err(DecryptError::BadTag));
            assert_eq!(
                bad, before,
                "suite {id:04x} changed a record it could not open"
            );
        }
        // TLS 1.2: GCM and CCM with an explicit nonce, ChaCha20 with the XORed IV.
        for id in [0xc02bu16, 0xc02c, 0xcca9, 0xc0ac] {
            let suite = suite_params(id).unwrap();
            let key = vec![9u8; suite.key_len];
            let cipher = AeadCipher::new(suite.protection, &key).unwrap();
            let explicit = suite.protection != Protection::ChaCha20Poly1305;
            let iv = if explicit {
                vec![4u8; 4]
            } else {
                vec![4u8; 12]
            };
            let (nonce, prefix) = if explicit {
                let e = [1, 2, 3, 4, 5, 6, 7, 8];
                ([&iv[..], &e[..]].concat().try_into().unwrap(), e.to_vec())
            } else {
                (xor_nonce(&iv.clone().try_into().unwrap(), 0), Vec::new())
            };
            let aad = tls12_header(0, 23, 0x0303, plain.len()).unwrap();
            let sealed = [prefix, seal(&cipher, &nonce, &aad, &plain)].concat();
            let mut d = tls12_decrypter(&suite, &key, &iv, &[], false).unwrap();
            let p = d.decrypt(23, 0x0303, &mut sealed.clone()).unwrap();
            assert_eq!((p.content_type, &p.data), (23, &plain), "suite {id:04x}");
            let mut bad = sealed.clone();
            *bad.last_mut().unwrap() ^= 1;
            let before = bad.clone();
            let mut d = tls12_decrypter(&suite, &key, &iv, &[], false).unwrap();
            assert_eq!(d.decrypt(23, 0x0303, &mut bad), Err(DecryptError::BadTag));
            assert_eq!(
                bad, before,
                "suite {id:04x} changed a record it could not open"
            );
        }
    }

    #[test]
    fn cbc_mac_then_encrypt_and_encrypt_then_mac_check_the_mac() {
        use aes::cipher::BlockEncryptMut;
        let suite = suite_params(0xc013).unwrap();
        let key = [3u8; 16];
        let mac_key = [5u8; 20];
        let iv = [9u8; 16];
        let data = b"GET / HTTP/1.1\r\n\r\n".to_vec();
        let seal = |etm: bool| {
            let mut m = <Hmac<Sha1> as Mac>::new_from_slice(&mac_key).unwrap();
            let mut plain = data.clone();
            if !etm {
                m.update(&tls12_header(0, 23, 0x0303, data.len()).unwrap());
                m.update(&data);
                plain.extend_from_slice(&m.clone().finalize().into_bytes());
            }
            let pad = 15 - plain.len() % 16;
            plain.extend(std::iter::repeat_n(pad as u8, pad + 1));
            let n = plain.len();
            let enc = cbc::Encryptor::<aes::Aes128>::new_from_slices(&key, &iv)
                .unwrap()
                .encrypt_padded_mut::<NoPadding>(&mut plain, n)
                .unwrap()
                .to_vec();
            let mut body = [iv.as_slice(), &enc].concat();
            if etm {
                let mut m = <Hmac<Sha1> as Mac>::new_from_slice(&mac_key).unwrap();
                m.update(&tls12_header(0, 23, 0x0303, body.len()).unwrap());
                m.update(&body);
                body.extend_from_slice(&m.finalize().into_bytes());
            }
            body
        };
        for etm in [false, true] {
            let body = seal(etm);
            let mut d = tls12_decrypter(&suite, &key, &[], &mac_key, etm).unwrap();
            assert_eq!(d.decrypt(23, 0x0303, &mut body.clone()).unwrap().data, data);
            let mut wrong = tls12_decrypter(&suite, &key, &[], &[6u8; 20], etm).unwrap();
            let mut unopened = body.clone();
            assert_eq!(
                wrong.decrypt(23, 0x0303, &mut unopened),
                Err(DecryptError::BadMac)
            );
            assert_eq!(unopened, body);
        }
    }
}
