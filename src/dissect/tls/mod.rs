//! TLS dissector on reassembled TCP streams, recognised by content on any port.
//!
//! - [`detect`] looks at the first bytes of a direction (record header sanity, or an
//!   SSLv2-compatible ClientHello).
//! - [`TlsStream`] receives both directions in order and emits one [`TlsEvent`] per
//!   handshake message or record: hellos with their extensions and fingerprints (JA3, JA3S,
//!   JA4), the certificate chain of TLS ≤ 1.2, key exchange parameters, alerts, heartbeats,
//!   application-data records with running totals, and notes (TLS 1.3 hides the
//!   certificate; Heartbleed probes; resynchronisation after holes).
//!
//! Files: `record` (header checks, detection), `hello` (ClientHello/ServerHello and
//! extensions), `handshake` (other handshake messages), `cert` (X.509 summaries),
//! `fingerprint` (JA3/JA3S/JA4), `names` (code-point names), `event` (rendering),
//! `stream` (state machine).

mod cert;
pub mod decrypt;
mod event;
mod fingerprint;
mod handshake;
mod hello;
mod names;
mod record;
mod stream;

pub use cert::{signature_verifies, summarize, AltName, CertSummary, KeyAlgorithm, PublicKeyInfo};
pub use event::{
    extension_values, hello_values, Alert, AppData, Heartbeat, RecordInfo, Summary, TlsEvent,
    TlsMessage,
};
pub use fingerprint::{ja3_string, ja3s_string, ja4, md5_hex, ClientFingerprintInput};
pub use handshake::{
    decode_certificate13, decode_other, CertificateChain, CertificateRequest, MessageExtensions,
    OtherHandshake, ServerKeyExchange,
};
pub use hello::{
    decode_client_hello, decode_server_hello, ClientHello, Extension, ExtensionValues, ServerHello,
    ECH_EXTENSION, HRR_RANDOM,
};
pub use names::{alert_description_name, cipher_suite_name, is_grease, version_json, version_name};
pub use stream::{new_parser, TlsStream};

use super::Detect;

/// Content-based recognition of TLS on the first bytes of one direction: a record header
/// with content type 20..=24, version 0x0300..=0x0304 and length 1..=2^14+2048, or an
/// SSLv2-compatible ClientHello. `NeedMore` below 5 bytes (3 for the SSLv2 form).
pub fn detect(prefix: &[u8]) -> Detect {
    record::detect(prefix)
}

#[cfg(test)]
mod tests;
