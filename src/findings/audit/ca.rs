//! Trust anchors: CA certificates from a PEM file (`--ca-file`) or the system store, and
//! the proof by signatures that one of them vouches for a chain.

use std::path::Path;

use x509_parser::prelude::{FromDer, X509Certificate};
use x509_parser::x509::SubjectPublicKeyInfo;

use crate::dissect::tls::{signature_verifies, CertSummary};

/// Largest CA file read.
pub const MAX_CA_FILE: u64 = 16 << 20;

/// A trusted CA: its subject DN (`X509Name` `Display` form) and its public key
/// (SubjectPublicKeyInfo, DER), which must verify the signature of what it vouches for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrustAnchor {
    pub subject: String,
    pub spki: Vec<u8>,
    /// `subject` as [`dn_key`] writes it, made once: every certificate seen is compared
    /// with every anchor (≈ 140 in a system store).
    dn: String,
}

impl TrustAnchor {
    pub fn new(subject: String, spki: Vec<u8>) -> TrustAnchor {
        TrustAnchor {
            dn: dn_key(&subject),
            subject,
            spki,
        }
    }

    fn of(cert: &X509Certificate<'_>) -> TrustAnchor {
        TrustAnchor::new(cert.subject().to_string(), cert.public_key().raw.to_vec())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum CaFileError {
    #[error("CA file {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("CA file {path} is {len} bytes; the limit is {max}")]
    TooLarge { path: String, len: u64, max: u64 },
    #[error("CA file: PEM block {index} is not valid PEM")]
    Pem { index: usize },
    #[error("CA file: certificate {index} does not parse")]
    Certificate { index: usize },
    #[error("CA file holds no certificates")]
    NoCertificates,
}

/// The certificates in a PEM buffer as trust anchors (blocks other than CERTIFICATE skipped).
pub fn parse_ca_pem(pem: &[u8]) -> Result<Vec<TrustAnchor>, CaFileError> {
    let mut out = Vec::new();
    for (index, block) in x509_parser::pem::Pem::iter_from_buffer(pem).enumerate() {
        let block = block.map_err(|_| CaFileError::Pem { index })?;
        if block.label != "CERTIFICATE" {
            continue;
        }
        let cert = block
            .parse_x509()
            .map_err(|_| CaFileError::Certificate { index })?;
        out.push(TrustAnchor::of(&cert));
    }
    if out.is_empty() {
        return Err(CaFileError::NoCertificates);
    }
    Ok(out)
}

/// The CA certificates in a PEM file (`--ca-file`) as trust anchors.
pub fn load_ca_file(path: &Path) -> Result<Vec<TrustAnchor>, CaFileError> {
    let shown = path.display().to_string();
    let meta = std::fs::metadata(path).map_err(|source| CaFileError::Io {
        path: shown.clone(),
        source,
    })?;
    if meta.len() > MAX_CA_FILE {
        return Err(CaFileError::TooLarge {
            path: shown,
            len: meta.len(),
            max: MAX_CA_FILE,
        });
    }
    let bytes = std::fs::read(path).map_err(|source| CaFileError::Io {
        path: shown,
        source,
    })?;
    parse_ca_pem(&bytes)
}

/// The CA certificates this system trusts (Debian's ca-certificates in `/etc/ssl/certs`,
/// or what `SSL_CERT_FILE` / `SSL_CERT_DIR` name), read with rustls-native-certs. Empty
/// when there is no store.
pub fn system_trust_anchors() -> Vec<TrustAnchor> {
    rustls_native_certs::load_native_certs()
        .certs
        .iter()
        .filter_map(|der| x509_parser::parse_x509_certificate(der.as_ref()).ok())
        .map(|(_, c)| TrustAnchor::of(&c))
        .collect()
}

/// The anchor that vouches for `chain` (leaf first), proven by signatures: from the leaf,
/// each certificate's signature must verify with the public key of the next one up (a
/// certificate of the chain named as its issuer), until one is itself an anchor (same name
/// and key) or is signed by an anchor's key. Names alone never make a chain trusted.
///
/// A certificate is parsed only once a name matches (an anchor's, or the subject of the
/// next one up): every way to an anchor reads its key or signature, and a chain whose names
/// lead nowhere (a private CA's, a self-signed server's) is judged by names alone. A
/// certificate that does not parse ends the search without an anchor, as before a name
/// was compared.
pub fn trust_anchor<'a>(
    chain: &[CertSummary],
    anchors: &'a [TrustAnchor],
) -> Option<&'a TrustAnchor> {
    let mut cur = chain.first()?;
    // Each step moves up one certificate; a chain longer than itself is a loop.
    for _ in 0..chain.len() {
        let mut parsed = None;
        let (subject, issuer) = (dn_key(&cur.subject), dn_key(&cur.issuer));
        for a in anchors.iter().filter(|a| a.dn == subject) {
            if a.spki == parse_once(&mut parsed, &cur.der)?.public_key().raw {
                return Some(a);
            }
        }
        for a in anchors.iter().filter(|a| a.dn == issuer) {
            if signed_by(parse_once(&mut parsed, &cur.der)?, &a.spki) {
                return Some(a);
            }
        }
        let mut next = None;
        for up in chain {
            if std::ptr::eq(up, cur) || !same_dn(&up.subject, &cur.issuer) {
                continue;
            }
            let cert = parse_once(&mut parsed, &cur.der)?;
            if X509Certificate::from_der(&up.der)
                .is_ok_and(|(_, u)| signed_by(cert, u.public_key().raw))
            {
                next = Some(up);
                break;
            }
        }
        cur = next?;
    }
    None
}

/// `der` parsed into `slot` the first time it is asked for; `None` when it does not parse.
fn parse_once<'s, 'd>(
    slot: &'s mut Option<X509Certificate<'d>>,
    der: &'d [u8],
) -> Option<&'s X509Certificate<'d>> {
    if slot.is_none() {
        *slot = Some(X509Certificate::from_der(der).ok()?.1);
    }
    slot.as_ref()
}

/// `cert`'s signature verifies with the public key `spki` (SubjectPublicKeyInfo, DER).
pub(super) fn signed_by(cert: &X509Certificate<'_>, spki: &[u8]) -> bool {
    SubjectPublicKeyInfo::from_der(spki)
        .is_ok_and(|(_, key)| signature_verifies(cert, &key) == Some(true))
}

/// Whether two distinguished names are the same, comparing their comma-separated parts
/// trimmed and without regard to ASCII case. No allocation: it runs against every trust
/// anchor for every certificate seen (and, with the session keys, every TLS 1.3 one).
pub(super) fn same_dn(a: &str, b: &str) -> bool {
    let mut a = a.split(',').map(str::trim);
    let mut b = b.split(',').map(str::trim);
    loop {
        match (a.next(), b.next()) {
            (None, None) => return true,
            (Some(x), Some(y)) if x.eq_ignore_ascii_case(y) => {}
            _ => return false,
        }
    }
}

/// A distinguished name in the form [`same_dn`] compares: its comma-separated parts
/// trimmed and in ASCII lower case, joined by commas (no part holds a comma, so two names
/// have the same key exactly when `same_dn` says they are the same).
fn dn_key(dn: &str) -> String {
    let mut key = String::with_capacity(dn.len());
    for (i, part) in dn.split(',').map(str::trim).enumerate() {
        if i > 0 {
            key.push(',');
        }
        key.extend(part.chars().map(|c| c.to_ascii_lowercase()));
    }
    key
}

#[cfg(test)]
mod dn_tests {
    use super::{dn_key, same_dn};

    /// The key the anchors are compared by agrees with `same_dn` on every pair.
    #[test]
    fn dn_keys_are_equal_exactly_when_the_names_are_the_same() {
        let names = [
            "CN=Squirrel Root, O=Nuts",
            "cn=squirrel root,o=NUTS",
            " CN=Squirrel Root ,  O=Nuts ",
            "CN=Squirrel Root",
            "CN=Squirrel Root, O=Nuts, C=GB",
            "CN=Squirrel Root,, O=Nuts",
            "CN=Squirrel Röot, O=Nuts",
            "CN=Squirrel RÖot, O=Nuts",
            "CN=A",
            "CN=B",
            "",
            ",",
        ];
        for a in names {
            for b in names {
                assert_eq!(dn_key(a) == dn_key(b), same_dn(a, b), "{a:?} vs {b:?}");
            }
        }
    }

    #[test]
    fn distinguished_names_compare_by_trimmed_parts_without_case() {
        assert!(same_dn(
            "CN=Squirrel Root, O=Nuts",
            "cn=squirrel root,o=NUTS"
        ));
        assert!(!same_dn("CN=Squirrel Root", "CN=Squirrel Root, O=Nuts"));
        assert!(!same_dn("CN=Squirrel Root, O=Nuts", "CN=Squirrel Root"));
        assert!(!same_dn("CN=A", "CN=B"));
        assert!(same_dn("", ""));
    }
}
