//! What decryption needs to know of a cipher suite: record protection, key sizes, PRF hash
//! and whether the key exchange is static RSA.

use super::schedule::SuiteHash;

/// The record protection of a suite.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protection {
    AesGcm,
    ChaCha20Poly1305,
    /// AES-CCM with a 16-byte tag, or 8 (`CCM_8`).
    AesCcm {
        tag_len: usize,
    },
    /// AES-CBC with an HMAC (TLS ≤ 1.2).
    AesCbc {
        mac: MacHash,
    },
}

/// The HMAC hash of a CBC suite.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MacHash {
    Sha1,
    Sha256,
    Sha384,
}

impl MacHash {
    pub fn output_len(self) -> usize {
        match self {
            MacHash::Sha1 => 20,
            MacHash::Sha256 => 32,
            MacHash::Sha384 => 48,
        }
    }
}

/// One cipher suite as decryption sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SuiteParams {
    pub id: u16,
    pub protection: Protection,
    pub key_len: usize,
    pub hash: SuiteHash,
    pub tls13: bool,
    /// Static RSA key exchange (the server's private key decrypts the premaster secret).
    pub rsa_kex: bool,
}

impl SuiteParams {
    /// MAC key length in the TLS 1.2 key block.
    pub fn mac_key_len(&self) -> usize {
        match self.protection {
            Protection::AesCbc { mac } => mac.output_len(),
            _ => 0,
        }
    }

    /// IV bytes in the TLS 1.2 key block (the implicit nonce part), or the TLS 1.3 IV.
    pub fn fixed_iv_len(&self) -> usize {
        match (self.tls13, self.protection) {
            (true, _) | (false, Protection::ChaCha20Poly1305) => 12,
            (false, Protection::AesGcm | Protection::AesCcm { .. }) => 4,
            (false, Protection::AesCbc { .. }) => 0,
        }
    }
}

/// The parameters of a suite this crate can decrypt.
pub fn suite_params(id: u16) -> Option<SuiteParams> {
    use MacHash::*;
    use Protection::*;
    use SuiteHash::{Sha256 as H256, Sha384 as H384};
    let gcm = AesGcm;
    let chacha = ChaCha20Poly1305;
    let ccm = AesCcm { tag_len: 16 };
    let ccm8 = AesCcm { tag_len: 8 };
    let cbc = |mac| AesCbc { mac };
    // (protection, key length, PRF hash, TLS 1.3, static RSA key exchange)
    let (protection, key_len, hash, tls13, rsa_kex) = match id {
        0x1301 => (gcm, 16, H256, true, false),
        0x1302 => (gcm, 32, H384, true, false),
        0x1303 => (chacha, 32, H256, true, false),
        0x1304 => (ccm, 16, H256, true, false),
        0x1305 => (ccm8, 16, H256, true, false),
        // AES-GCM
        0x009c => (gcm, 16, H256, false, true),
        0x009d => (gcm, 32, H384, false, true),
        0x009e | 0xc02b | 0xc02f => (gcm, 16, H256, false, false),
        0x009f | 0xc02c | 0xc030 => (gcm, 32, H384, false, false),
        // ChaCha20-Poly1305 (RFC 7905)
        0xcca8..=0xccaa => (chacha, 32, H256, false, false),
        // AES-CCM (RFC 6655, RFC 7251)
        0xc09c => (ccm, 16, H256, false, true),
        0xc09d => (ccm, 32, H256, false, true),
        0xc0a0 => (ccm8, 16, H256, false, true),
        0xc0a1 => (ccm8, 32, H256, false, true),
        0xc09e | 0xc0ac => (ccm, 16, H256, false, false),
        0xc09f | 0xc0ad => (ccm, 32, H256, false, false),
        0xc0a2 | 0xc0ae => (ccm8, 16, H256, false, false),
        0xc0a3 | 0xc0af => (ccm8, 32, H256, false, false),
        // AES-CBC with HMAC-SHA1 / SHA256 / SHA384
        0x002f => (cbc(Sha1), 16, H256, false, true),
        0x0035 => (cbc(Sha1), 32, H256, false, true),
        0x003c => (cbc(Sha256), 16, H256, false, true),
        0x003d => (cbc(Sha256), 32, H256, false, true),
        0x0033 | 0xc009 | 0xc013 => (cbc(Sha1), 16, H256, false, false),
        0x0039 | 0xc00a | 0xc014 => (cbc(Sha1), 32, H256, false, false),
        0x0067 | 0xc023 | 0xc027 => (cbc(Sha256), 16, H256, false, false),
        0x006b => (cbc(Sha256), 32, H256, false, false),
        0xc024 | 0xc028 => (cbc(Sha384), 32, H384, false, false),
        _ => return None,
    };
    Some(SuiteParams {
        id,
        protection,
        key_len,
        hash,
        tls13,
        rsa_kex,
    })
}
