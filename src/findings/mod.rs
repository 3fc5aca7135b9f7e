//! Findings: what an eavesdropper learns (secrets, credentials, Fernet tokens, stream
//! classes) and the HTTPS hardening audit.
//!
//! Everything here is a pure building block on plain values (byte slices, header lists,
//! strings), independent of the dissectors' types. Checks return [`Finding`]s with
//! `stream` = `None` and no frames; the caller knows where the bytes came from and sets
//! them with [`Finding::at`] / [`Finding::set_location`] / [`set_location_all`].
//! [`StreamScanner`] is the exception: it tracks stream offsets and frames itself and
//! reports them in each [`StreamHit`].

pub mod audit;
pub mod classify;
pub mod credentials;
pub mod engine;
pub mod fernet;
pub mod finding;
pub mod secrets;

pub use audit::{
    alert_name, audit_alert, audit_certificate, audit_chain, audit_cipher, audit_response_headers,
    audit_tls_version, explain_alert, load_ca_file, name_matches, parse_ca_pem,
    system_trust_anchors, tls_version_name, trust_anchor, CaFileError, TrustAnchor,
};
pub use classify::{classify, shannon_entropy, ByteCounts, Class};
pub use credentials::{
    classify_field_name, decode_basic_auth, parse_set_cookie, request_credentials,
    response_credentials, BasicCredentials, FieldClass, SetCookie,
};
pub use fernet::{find_fernet_tokens, FernetError, FernetKey, FernetToken};
pub use finding::{
    mask_value, set_location_all, Finding, FindingKind, Severity, Transport, EVIDENCE_MAX,
};
pub use secrets::{
    parse_secrets_file, SecretError, SecretHit, SecretSet, StreamHit, StreamScanner, Variant,
};
