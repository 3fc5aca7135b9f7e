//! Fernet tokens (<https://github.com/fernet/spec>): recognise them in text, and with the
//! key (`--fernet-key`) verify and decrypt them.
//!
//! Token layout (before URL-safe base64):
//! `version 0x80 (1) | timestamp, big-endian seconds (8) | IV (16) | ciphertext (n×16) | HMAC-SHA256 (32)`.
//! The key is 32 bytes, URL-safe base64: signing key = first 16 bytes, encryption key =
//! last 16 bytes. The HMAC covers version..ciphertext; the ciphertext is AES-128-CBC with
//! PKCS#7 padding (so at least one block).

use std::ops::Range;

use aes::cipher::{block_padding::Pkcs7, BlockDecryptMut, KeyIvInit};
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::DecodePaddingMode;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::finding::{Finding, FindingKind, Severity, Transport};
use crate::present::escape::escape_truncated;

/// Longest token considered, in base64 characters.
pub const MAX_TOKEN_CHARS: usize = 64 * 1024;
/// At most this many tokens reported per buffer.
pub const MAX_TOKENS_PER_BUFFER: usize = 64;
/// Decrypted plaintext shown is cut to this many bytes.
pub const MAX_PLAINTEXT_SHOWN: usize = 256;

const VERSION: u8 = 0x80;
const HEADER_LEN: usize = 1 + 8 + 16;
const HMAC_LEN: usize = 32;
/// Smallest decoded token: header, one ciphertext block, HMAC.
pub const MIN_TOKEN_LEN: usize = HEADER_LEN + 16 + HMAC_LEN;

type HmacSha256 = Hmac<Sha256>;
type Aes128CbcDec = cbc::Decryptor<aes::Aes128>;

/// URL-safe base64 that accepts the token with or without `=` padding (built at compile
/// time, not per buffer searched).
const B64URL: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::URL_SAFE,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// The start of every token (version 0x80 and a timestamp's leading zero bytes), searched
/// with one finder built once.
static TOKEN_START: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
    std::sync::LazyLock::new(|| memchr::memmem::Finder::new(TOKEN_PREFIX));

/// What every token starts with (version 0x80 and a timestamp below 2^40, in base64).
pub const TOKEN_PREFIX: &[u8] = b"gAAAAA";

/// A Fernet token found in a buffer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FernetToken {
    /// Byte range of the token text in the buffer searched.
    pub range: Range<usize>,
    /// The token text (URL-safe base64 characters only, so safe to print).
    pub text: String,
    /// Decoded token bytes.
    pub raw: Vec<u8>,
    /// Creation time, seconds since the Unix epoch (as written by the sender).
    pub timestamp: u64,
    /// Ciphertext length in bytes (a multiple of 16).
    pub ciphertext_len: usize,
}

impl FernetToken {
    /// The timestamp as RFC 3339 UTC (`2023-11-14T22:13:20Z`), or the raw number when it is
    /// out of range for a date.
    pub fn timestamp_rfc3339(&self) -> String {
        rfc3339(self.timestamp)
    }

    /// The finding for this token; with `decrypted`, the outcome of [`FernetKey::decrypt`].
    /// The caller sets stream and frames.
    pub fn finding(
        &self,
        decrypted: Option<&Result<Vec<u8>, FernetError>>,
        transport: Transport,
    ) -> Finding {
        let (severity, explanation) = match (decrypted, transport) {
            (Some(Ok(_)), Transport::Clear) => (
                Severity::Low,
                "Protected on the wire, readable with the key: only whoever holds this Fernet key can read the token's contents, but anyone on the path can copy and replay the token and see when it was made.",
            ),
            (_, Transport::Clear) => (
                Severity::Low,
                "This Fernet token is encrypted, but anyone on the path can copy and replay it, and can see when it was made.",
            ),
            (_, Transport::DecryptedTls) => (
                Severity::Info,
                "A Fernet token seen inside TLS that this tool decrypted.",
            ),
        };
        let mut f = Finding::new(
            FindingKind::FernetToken,
            severity,
            self.text.as_bytes(),
            explanation,
        )
        .detail("timestamp", self.timestamp_rfc3339())
        .detail("ciphertext_len", self.ciphertext_len.to_string());
        match decrypted {
            Some(Ok(p)) => {
                f.details
                    .push(("plaintext", escape_truncated(p, MAX_PLAINTEXT_SHOWN)));
            }
            Some(Err(e)) => {
                f = f.detail("decrypt_error", e.to_string());
            }
            None => {}
        }
        f
    }
}

fn rfc3339(secs: u64) -> String {
    i64::try_from(secs)
        .ok()
        .and_then(|s| time::OffsetDateTime::from_unix_timestamp(s).ok())
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| secs.to_string())
}

/// Check decoded bytes against the Fernet layout; returns (timestamp, ciphertext length).
pub fn parse_token_bytes(raw: &[u8]) -> Option<(u64, usize)> {
    if raw.first() != Some(&VERSION) || raw.len() < MIN_TOKEN_LEN {
        return None;
    }
    let ct_len = raw.len().checked_sub(HEADER_LEN + HMAC_LEN)?;
    if ct_len % 16 != 0 {
        return None;
    }
    let ts: [u8; 8] = raw.get(1..9)?.try_into().ok()?;
    Some((u64::from_be_bytes(ts), ct_len))
}

fn is_b64url(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-' || b == b'_'
}

/// Every Fernet token in `text`: runs of URL-safe base64 characters (plus trailing `=`)
/// that start with `gAAAAA` (version 0x80 and a timestamp below 2^40) and decode to a
/// well-formed token. At most [`MAX_TOKENS_PER_BUFFER`].
pub fn find_fernet_tokens(text: &[u8]) -> Vec<FernetToken> {
    // Every token starts with `gAAAAA`: find those (memchr's SIMD search).
    fernet_tokens_at(text, TOKEN_START.find_iter(text))
}

/// [`find_fernet_tokens`] given where [`TOKEN_PREFIX`] starts in `text` (every offset,
/// ascending; the secret search of a body finds them in the same pass): checks that each
/// begins a run of base64 characters and decodes to a token.
pub fn fernet_tokens_at(text: &[u8], starts: impl IntoIterator<Item = usize>) -> Vec<FernetToken> {
    let mut out = Vec::new();
    let engine = &B64URL;
    let mut next_free = 0usize;
    for start in starts {
        if out.len() >= MAX_TOKENS_PER_BUFFER {
            break;
        }
        if start < next_free || (start > 0 && text.get(start - 1).copied().is_some_and(is_b64url)) {
            continue;
        }
        let mut i = start;
        while text.get(i).copied().is_some_and(is_b64url) {
            i += 1;
        }
        let mut end = i;
        while end < i + 2 && text.get(end) == Some(&b'=') {
            end += 1;
        }
        next_free = end;
        let Some(run) = text.get(start..end) else {
            continue;
        };
        if run.len() > MAX_TOKEN_CHARS {
            continue;
        }
        let Ok(raw) = engine.decode(run) else {
            continue;
        };
        if let Some((timestamp, ciphertext_len)) = parse_token_bytes(&raw) {
            out.push(FernetToken {
                range: start..end,
                text: String::from_utf8_lossy(run).into_owned(),
                raw,
                timestamp,
                ciphertext_len,
            });
        }
    }
    out
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FernetError {
    #[error("the Fernet key is not URL-safe base64")]
    KeyNotBase64,
    #[error("the Fernet key decodes to {0} bytes; it must be 32")]
    KeyLength(usize),
    #[error("not a Fernet token (bad version byte or length)")]
    Malformed,
    #[error("HMAC mismatch: wrong key, or the token was altered")]
    HmacMismatch,
    #[error("decryption failed: bad padding")]
    BadPadding,
}

/// A Fernet key: signing key and encryption key.
#[derive(Clone)]
pub struct FernetKey {
    signing: [u8; 16],
    encryption: [u8; 16],
}

impl std::fmt::Debug for FernetKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("FernetKey(..)")
    }
}

impl FernetKey {
    /// Parse a key as given to `--fernet-key` (URL-safe base64 of 32 bytes, padding optional).
    pub fn from_base64(key: &str) -> Result<FernetKey, FernetError> {
        let bytes = B64URL
            .decode(key.trim())
            .map_err(|_| FernetError::KeyNotBase64)?;
        let arr: [u8; 32] = bytes
            .as_slice()
            .try_into()
            .map_err(|_| FernetError::KeyLength(bytes.len()))?;
        let mut signing = [0u8; 16];
        let mut encryption = [0u8; 16];
        signing.copy_from_slice(arr.get(..16).unwrap_or(&[0; 16]));
        encryption.copy_from_slice(arr.get(16..).unwrap_or(&[0; 16]));
        Ok(FernetKey {
            signing,
            encryption,
        })
    }

    /// Verify the HMAC and decrypt a decoded token ([`FernetToken::raw`]). The plaintext is
    /// never longer than the ciphertext, which the token length bounds.
    pub fn decrypt(&self, raw: &[u8]) -> Result<Vec<u8>, FernetError> {
        parse_token_bytes(raw).ok_or(FernetError::Malformed)?;
        let signed_len = raw
            .len()
            .checked_sub(HMAC_LEN)
            .ok_or(FernetError::Malformed)?;
        let signed = raw.get(..signed_len).ok_or(FernetError::Malformed)?;
        let tag = raw.get(signed_len..).ok_or(FernetError::Malformed)?;
        let mut mac = <HmacSha256 as Mac>::new_from_slice(&self.signing)
            .map_err(|_| FernetError::Malformed)?;
        mac.update(signed);
        mac.verify_slice(tag)
            .map_err(|_| FernetError::HmacMismatch)?;
        let iv = raw.get(9..HEADER_LEN).ok_or(FernetError::Malformed)?;
        let mut buf = signed
            .get(HEADER_LEN..)
            .ok_or(FernetError::Malformed)?
            .to_vec();
        let dec = Aes128CbcDec::new_from_slices(&self.encryption, iv)
            .map_err(|_| FernetError::Malformed)?;
        let plain = dec
            .decrypt_padded_mut::<Pkcs7>(&mut buf)
            .map_err(|_| FernetError::BadPadding)?;
        Ok(plain.to_vec())
    }

    /// Decode the token text and decrypt it.
    pub fn decrypt_text(&self, token: &str) -> Result<Vec<u8>, FernetError> {
        let raw = B64URL
            .decode(token.trim())
            .map_err(|_| FernetError::Malformed)?;
        self.decrypt(&raw)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Made once with Python `cryptography` 48.0.0:
    //   key = base64.urlsafe_b64encode(bytes(range(32)))
    //   Fernet(key)._encrypt_from_parts(b"user=alice&password=hunter2", 1700000000,
    //                                   bytes(range(0x10, 0x20)))
    // (and the same with b"" for TOKEN_EMPTY).
    const KEY: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
    const TOKEN: &str = "gAAAAABlU_EAEBESExQVFhcYGRobHB0eH6HuHoYCZd_vDyzT6n8O2wytaOuTw4wfO_FsAy4oe865CWFTx2ragGmKbP5dDBNu6SpHgr931cGVsbQuRrlQaew=";
    const PLAINTEXT: &[u8] = b"user=alice&password=hunter2";
    const TOKEN_EMPTY: &str = "gAAAAABlU_EAEBESExQVFhcYGRobHB0eH5xU1XFwLPoPA_NiFWdrq3hpIdtWlV_SrX47DRRp86UWSI0LP_fktQlVIFdjReq9HA==";

    #[test]
    fn recognised_in_text() {
        let body = format!(r#"{{"session":"{TOKEN}","other":"gAAAAAnotatoken"}}"#);
        let found = find_fernet_tokens(body.as_bytes());
        assert_eq!(found.len(), 1);
        let t = &found[0];
        assert_eq!(t.text, TOKEN);
        assert_eq!(body.get(t.range.clone()), Some(TOKEN));
        assert_eq!(t.timestamp, 1_700_000_000);
        assert_eq!(t.timestamp_rfc3339(), "2023-11-14T22:13:20Z");
        assert_eq!(t.ciphertext_len, 32);
        assert_eq!(t.raw.len(), 89);
        // Unpadded, in a query string, next to the empty-plaintext token.
        let q = format!(
            "GET /?t={}&u={TOKEN_EMPTY} HTTP/1.1",
            TOKEN.trim_end_matches('=')
        );
        let found = find_fernet_tokens(q.as_bytes());
        assert_eq!(found.len(), 2);
        assert_eq!(found[1].ciphertext_len, 16);
        assert_eq!(found[1].raw.len(), MIN_TOKEN_LEN);
    }

    #[test]
    fn decrypts_with_key() {
        let key = FernetKey::from_base64(KEY);
        assert!(key.is_ok());
        let Ok(key) = key else { return };
        assert_eq!(key.decrypt_text(TOKEN), Ok(PLAINTEXT.to_vec()));
        assert_eq!(key.decrypt_text(TOKEN_EMPTY), Ok(Vec::new()));
        let t = find_fernet_tokens(TOKEN.as_bytes());
        let res = key.decrypt(&t[0].raw);
        let f = t[0].finding(Some(&res), Transport::Clear);
        assert_eq!(f.kind, FindingKind::FernetToken);
        assert_eq!(
            f.severity,
            Severity::Low,
            "protected on the wire, readable with the key"
        );
        let j = f.json();
        assert_eq!(j["details"]["plaintext"], "user=alice&password=hunter2");
        assert_eq!(j["details"]["timestamp"], "2023-11-14T22:13:20Z");
        assert_eq!(j["details"]["ciphertext_len"], 32);
    }

    #[test]
    fn wrong_key_and_tampering() {
        let wrong = FernetKey::from_base64("AQECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=");
        let Ok(wrong) = wrong else {
            panic!("key should parse")
        };
        assert_eq!(wrong.decrypt_text(TOKEN), Err(FernetError::HmacMismatch));
        // Tamper one ciphertext byte.
        let Ok(key) = FernetKey::from_base64(KEY) else {
            panic!("key should parse")
        };
        let t = find_fernet_tokens(TOKEN.as_bytes());
        let mut raw = t[0].raw.clone();
        raw[30] ^= 1;
        assert_eq!(key.decrypt(&raw), Err(FernetError::HmacMismatch));
        let res = wrong.decrypt(&t[0].raw);
        let f = t[0].finding(Some(&res), Transport::Clear);
        assert_eq!(f.severity, Severity::Low);
        assert_eq!(
            f.json()["details"]["decrypt_error"],
            "HMAC mismatch: wrong key, or the token was altered"
        );
    }

    #[test]
    fn bad_keys() {
        assert!(matches!(
            FernetKey::from_base64("not base64!!"),
            Err(FernetError::KeyNotBase64)
        ));
        assert!(matches!(
            FernetKey::from_base64("AAECAwQFBgcICQoLDA0ODw=="),
            Err(FernetError::KeyLength(16))
        ));
    }

    #[test]
    fn malformed_tokens_rejected() {
        assert_eq!(parse_token_bytes(&[0x80; 72]), None);
        assert_eq!(parse_token_bytes(&[0x80; 74]), None);
        assert!(parse_token_bytes(&[0x80; 73]).is_some());
        assert_eq!(parse_token_bytes(&[0x81; 73]), None);
        assert!(find_fernet_tokens(b"gAAAAA").is_empty());
        assert!(find_fernet_tokens(b"").is_empty());
        let Ok(key) = FernetKey::from_base64(KEY) else {
            panic!("key should parse")
        };
        assert_eq!(key.decrypt(&[0x80; 10]), Err(FernetError::Malformed));
    }
}
