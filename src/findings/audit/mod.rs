//! HTTPS hardening audit on plain values: TLS versions, cipher suites and alerts
//! ([`tls`]), certificates ([`cert`]) judged against trust anchors ([`ca`]), and HTTP
//! response headers: cookie flags, HSTS, redirect to https, mixed content ([`http`]).
//!
//! All functions return findings with `stream` = `None` and no frames; the caller sets
//! them. Certificate times are judged against the capture time, never the wall clock.

mod ca;
mod cert;
mod http;
#[cfg(test)]
mod tests;
mod tls;

pub use ca::{
    load_ca_file, parse_ca_pem, system_trust_anchors, trust_anchor, CaFileError, TrustAnchor,
    MAX_CA_FILE,
};
pub use cert::{audit_certificate, audit_chain, audit_judged_chain, name_matches, MIN_RSA_BITS};
pub use http::{
    audit_mixed_content, audit_response, audit_response_headers, mixed_content_reads_body,
};
pub use tls::{
    alert_name, audit_alert, audit_cipher, audit_tls_version, explain_alert, tls_version_name,
};
