//! Certificates of a TLS ≤ 1.2 Certificate message, summarised with x509-parser.

use sha2::{Digest as _, Sha256};
use x509_parser::error::X509Error;
use x509_parser::extensions::{GeneralName, ParsedExtension};
use x509_parser::objects::oid_registry;
use x509_parser::oid_registry::Oid;
use x509_parser::prelude::{FromDer, X509Certificate};
use x509_parser::public_key::PublicKey;
use x509_parser::x509::SubjectPublicKeyInfo;

use crate::present::escape::{escape_bytes, escape_str};
use crate::present::time::rfc3339_secs;
use crate::present::tree::TreeNode;

/// One certificate of the chain, parsed once with x509-parser into typed facts that the
/// tree, JSON, the findings' audit and the report all read (nothing re-parses display
/// text). Strings hold the decoded wire text unescaped; they are escaped when rendered.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CertSummary {
    /// Position in the chain (0 = the server's own certificate).
    pub index: usize,
    /// DER length in bytes.
    pub der_len: usize,
    /// SHA-256 of the DER, lowercase hex.
    pub sha256: String,
    /// Set when x509-parser could not decode the certificate; the other fields are then empty.
    pub parse_error: Option<String>,
    /// Subject DN as x509-parser's `X509Name` `Display` writes it (`O=…, CN=…`).
    pub subject: String,
    /// Subject common name; many certificates have none.
    pub subject_cn: Option<String>,
    /// Subject attributes as tshark's certificate line names them, last RDN first
    /// (`id-at-commonName=host,id-at-organizationName=Org`).
    pub subject_rdns: String,
    /// Issuer DN, same form.
    pub issuer: String,
    pub issuer_cn: Option<String>,
    /// Serial number as colon-separated hex.
    pub serial: String,
    /// Validity bounds, Unix seconds (audits judge them against the capture time).
    pub not_before: i64,
    pub not_after: i64,
    /// Subject alternative names, in the certificate's order.
    pub san: Vec<AltName>,
    /// Basic constraints CA flag.
    pub ca: bool,
    /// The certificate's signature verifies with its own public key. When the signature
    /// algorithm cannot be verified here, subject equal to issuer (and, when both key
    /// identifiers are present, equal identifiers) decides.
    pub self_signed: bool,
    pub key: PublicKeyInfo,
    /// Signature algorithm name (`sha256WithRSAEncryption`) or dotted OID.
    pub signature_algorithm: String,
    /// The certificate as sent (DER), for verifying signatures up the chain.
    pub der: Vec<u8>,
}

/// One subject alternative name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AltName {
    Dns(String),
    /// An IP address (as text; other lengths than 4 or 16 bytes in hex).
    Ip(String),
    Email(String),
    Uri(String),
}

impl AltName {
    /// The DNS name, for a `Dns` entry.
    pub fn dns(&self) -> Option<&str> {
        match self {
            AltName::Dns(d) => Some(d),
            _ => None,
        }
    }
}

impl std::fmt::Display for AltName {
    /// `DNS:name`, `IP:addr`, `email:x`, `URI:x` (unescaped).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AltName::Dns(v) => write!(f, "DNS:{v}"),
            AltName::Ip(v) => write!(f, "IP:{v}"),
            AltName::Email(v) => write!(f, "email:{v}"),
            AltName::Uri(v) => write!(f, "URI:{v}"),
        }
    }
}

/// The algorithm of a certificate's public key.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum KeyAlgorithm {
    Rsa,
    /// An elliptic-curve key on the named curve (`P-256`, or the curve OID's name).
    Ec {
        curve: String,
    },
    Dsa,
    Ed25519,
    Ed448,
    X25519,
    X448,
    /// Another algorithm, by its OID's short name or dotted form.
    Other(String),
    /// Not read (the certificate did not parse).
    #[default]
    Unknown,
}

/// A certificate's public key: algorithm and size.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PublicKeyInfo {
    pub algorithm: KeyAlgorithm,
    /// Size in bits where the algorithm's size varies: the RSA modulus, DSA's public
    /// value, other algorithms as x509-parser measures them; `None` when not known.
    pub bits: Option<u32>,
}

impl PublicKeyInfo {
    /// The RSA modulus size, for an RSA key.
    pub fn rsa_bits(&self) -> Option<u32> {
        match self.algorithm {
            KeyAlgorithm::Rsa => self.bits,
            _ => None,
        }
    }
}

impl std::fmt::Display for PublicKeyInfo {
    /// `RSA 2048`, `EC P-256`, `Ed25519`, `DSA 1024` (unescaped).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let bits = self.bits.unwrap_or(0);
        match &self.algorithm {
            KeyAlgorithm::Rsa => write!(f, "RSA {bits}"),
            KeyAlgorithm::Ec { curve } => write!(f, "EC {curve}"),
            KeyAlgorithm::Dsa => write!(f, "DSA {bits}"),
            KeyAlgorithm::Ed25519 => f.write_str("Ed25519"),
            KeyAlgorithm::Ed448 => f.write_str("Ed448"),
            KeyAlgorithm::X25519 => f.write_str("X25519"),
            KeyAlgorithm::X448 => f.write_str("X448"),
            KeyAlgorithm::Other(name) if bits > 0 => write!(f, "{name} {bits}"),
            KeyAlgorithm::Other(name) => f.write_str(name),
            KeyAlgorithm::Unknown => Ok(()),
        }
    }
}

fn oid_name(oid: &Oid<'_>) -> String {
    match oid_registry().get(oid) {
        Some(e) => e.sn().to_string(),
        None => oid.to_id_string(),
    }
}

fn curve_name(oid: &Oid<'_>) -> String {
    match oid.to_id_string().as_str() {
        "1.2.840.10045.3.1.7" => "P-256".into(),
        "1.3.132.0.34" => "P-384".into(),
        "1.3.132.0.35" => "P-521".into(),
        "1.3.132.0.10" => "secp256k1".into(),
        _ => oid_name(oid),
    }
}

fn public_key_info(cert: &X509Certificate<'_>) -> PublicKeyInfo {
    let spki = cert.public_key();
    let info = |algorithm, bits| PublicKeyInfo { algorithm, bits };
    match spki.algorithm.algorithm.to_id_string().as_str() {
        "1.3.101.112" => return info(KeyAlgorithm::Ed25519, None),
        "1.3.101.113" => return info(KeyAlgorithm::Ed448, None),
        "1.3.101.110" => return info(KeyAlgorithm::X25519, None),
        "1.3.101.111" => return info(KeyAlgorithm::X448, None),
        _ => {}
    }
    let bits = |n: usize| Some(u32::try_from(n).unwrap_or(u32::MAX));
    match spki.parsed() {
        Ok(PublicKey::RSA(rsa)) => info(KeyAlgorithm::Rsa, Some(modulus_bits(rsa.modulus))),
        Ok(PublicKey::EC(_)) => {
            let curve = spki
                .algorithm
                .parameters
                .as_ref()
                .and_then(|p| p.as_oid().ok())
                .map(|o| curve_name(&o))
                .unwrap_or_else(|| "unknown curve".into());
            info(KeyAlgorithm::Ec { curve }, None)
        }
        Ok(PublicKey::DSA(y)) => info(KeyAlgorithm::Dsa, bits(y.len().saturating_mul(8))),
        Ok(other) => info(
            KeyAlgorithm::Other(oid_name(&spki.algorithm.algorithm)),
            bits(other.key_size()),
        ),
        Err(_) => info(
            KeyAlgorithm::Other(oid_name(&spki.algorithm.algorithm)),
            None,
        ),
    }
}

/// Bits in a big-endian unsigned integer (leading zero bytes ignored).
fn modulus_bits(m: &[u8]) -> u32 {
    let Some(first) = m.iter().position(|b| *b != 0) else {
        return 0;
    };
    let rest = u32::try_from(m.len() - first - 1).unwrap_or(u32::MAX / 16);
    let lead = m.get(first).copied().unwrap_or(0);
    rest.saturating_mul(8)
        .saturating_add(8 - lead.leading_zeros())
}

/// Whether `cert`'s signature verifies with the public key `key`: `Some(false)` when it
/// does not, `None` when its algorithm cannot be verified here. RSA PKCS #1 v1.5 keys
/// below ring's 2048-bit floor are verified with the RustCrypto `rsa` crate.
pub fn signature_verifies(
    cert: &X509Certificate<'_>,
    key: &SubjectPublicKeyInfo<'_>,
) -> Option<bool> {
    match cert.verify_signature(Some(key)) {
        Ok(()) => Some(true),
        Err(X509Error::SignatureUnsupportedAlgorithm) => None,
        Err(_) => Some(rsa_pkcs1_verifies(cert, key).unwrap_or(false)),
    }
}

/// RSA PKCS #1 v1.5 verification of any key size (`None`: not that algorithm, or no RSA
/// key).
fn rsa_pkcs1_verifies(cert: &X509Certificate<'_>, key: &SubjectPublicKeyInfo<'_>) -> Option<bool> {
    use rsa::pkcs1::DecodeRsaPublicKey as _;
    use rsa::Pkcs1v15Sign;
    use x509_parser::oid_registry::{
        OID_PKCS1_SHA1WITHRSA, OID_PKCS1_SHA256WITHRSA, OID_PKCS1_SHA384WITHRSA,
        OID_PKCS1_SHA512WITHRSA, OID_SHA1_WITH_RSA,
    };
    let alg = &cert.signature_algorithm.algorithm;
    let tbs = cert.tbs_certificate.as_ref();
    let (scheme, hashed) = if *alg == OID_PKCS1_SHA256WITHRSA {
        (Pkcs1v15Sign::new::<Sha256>(), Sha256::digest(tbs).to_vec())
    } else if *alg == OID_PKCS1_SHA384WITHRSA {
        (
            Pkcs1v15Sign::new::<sha2::Sha384>(),
            sha2::Sha384::digest(tbs).to_vec(),
        )
    } else if *alg == OID_PKCS1_SHA512WITHRSA {
        (
            Pkcs1v15Sign::new::<sha2::Sha512>(),
            sha2::Sha512::digest(tbs).to_vec(),
        )
    } else if *alg == OID_PKCS1_SHA1WITHRSA || *alg == OID_SHA1_WITH_RSA {
        (
            Pkcs1v15Sign::new::<sha1::Sha1>(),
            sha1::Sha1::digest(tbs).to_vec(),
        )
    } else {
        return None;
    };
    let public = rsa::RsaPublicKey::from_pkcs1_der(&key.subject_public_key.data).ok()?;
    Some(
        public
            .verify(scheme, &hashed, &cert.signature_value.data)
            .is_ok(),
    )
}

/// tshark's names of the X.520 and PKCS #9 name attributes; others by dotted OID.
fn attribute_name(oid: &Oid<'_>) -> String {
    let id = oid.to_id_string();
    let name = match id.as_str() {
        "2.5.4.3" => "id-at-commonName",
        "2.5.4.4" => "id-at-surname",
        "2.5.4.5" => "id-at-serialNumber",
        "2.5.4.6" => "id-at-countryName",
        "2.5.4.7" => "id-at-localityName",
        "2.5.4.8" => "id-at-stateOrProvinceName",
        "2.5.4.9" => "id-at-streetAddress",
        "2.5.4.10" => "id-at-organizationName",
        "2.5.4.11" => "id-at-organizationalUnitName",
        "2.5.4.12" => "id-at-title",
        "2.5.4.15" => "id-at-businessCategory",
        "2.5.4.17" => "id-at-postalCode",
        "2.5.4.42" => "id-at-givenName",
        "1.2.840.113549.1.9.1" => "pkcs-9-at-emailAddress",
        _ => return id,
    };
    name.to_string()
}

/// A name's attributes as `type=value`, last RDN first, comma-joined (tshark's order).
fn rdns_text(name: &x509_parser::x509::X509Name<'_>) -> String {
    let rdns: Vec<_> = name.iter_rdn().collect();
    let mut parts = Vec::new();
    for rdn in rdns.into_iter().rev() {
        for a in rdn.iter() {
            let v = match a.as_str() {
                Ok(s) => s.to_string(),
                Err(_) => String::from_utf8_lossy(a.as_slice()).into_owned(),
            };
            parts.push(format!("{}={v}", attribute_name(a.attr_type())));
        }
    }
    parts.join(",")
}

fn first_cn(name: &x509_parser::x509::X509Name<'_>) -> Option<String> {
    name.iter_common_name().next().map(|a| match a.as_str() {
        Ok(s) => s.to_string(),
        Err(_) => String::from_utf8_lossy(a.as_slice()).into_owned(),
    })
}

fn ip_string(b: &[u8]) -> String {
    if let Ok(a) = <[u8; 4]>::try_from(b) {
        std::net::Ipv4Addr::from(a).to_string()
    } else if let Ok(a) = <[u8; 16]>::try_from(b) {
        std::net::Ipv6Addr::from(a).to_string()
    } else {
        hex::encode(b)
    }
}

/// How many recently summarised certificates are kept per thread ([`summarize`]).
const RECENT_CERTS: usize = 32;
/// Largest certificate kept in that list. Real ones are a few KiB (a long SAN list a few tens);
/// a larger one is summarised each time it is seen, so the list holds at most
/// `RECENT_CERTS × RECENT_CERT_BYTES` (2 MiB) per thread whatever a sender makes up.
const RECENT_CERT_BYTES: usize = 64 << 10;

thread_local! {
    /// The certificates summarised last, oldest first: a server sends the same chain in
    /// every handshake (and with the session keys every TLS 1.3 chain is visible), and a
    /// summary verifies a signature (an ECDSA P-256 check was ≈ 9 % of a key-logged run).
    static RECENT: std::cell::RefCell<std::collections::VecDeque<CertSummary>> =
        const { std::cell::RefCell::new(std::collections::VecDeque::new()) };
}

/// Summarise one DER certificate (never panics; undecodable input keeps its hash and length).
/// A pure function of its input: a certificate summarised recently is answered from the
/// per-thread [`RECENT`] list (same DER, same summary) with its position set.
pub fn summarize(index: usize, der: &[u8]) -> CertSummary {
    let seen = RECENT.with(|r| r.borrow().iter().find(|s| s.der == der).cloned());
    if let Some(mut s) = seen {
        s.index = index;
        return s;
    }
    let s = summarize_der(index, der);
    if der.len() > RECENT_CERT_BYTES {
        return s;
    }
    RECENT.with(|r| {
        let mut r = r.borrow_mut();
        if r.len() >= RECENT_CERTS {
            r.pop_front();
        }
        r.push_back(s.clone());
    });
    s
}

/// [`summarize`] without the list of recent certificates.
fn summarize_der(index: usize, der: &[u8]) -> CertSummary {
    let mut s = CertSummary {
        index,
        der_len: der.len(),
        sha256: hex::encode(Sha256::digest(der)),
        der: der.to_vec(),
        ..CertSummary::default()
    };
    let cert = match X509Certificate::from_der(der) {
        Ok((_, c)) => c,
        Err(e) => {
            s.parse_error = Some(e.to_string());
            return s;
        }
    };
    s.subject = cert.subject().to_string();
    s.subject_cn = first_cn(cert.subject());
    s.subject_rdns = rdns_text(cert.subject());
    s.issuer = cert.issuer().to_string();
    s.issuer_cn = first_cn(cert.issuer());
    s.serial = cert.raw_serial_as_string();
    s.not_before = cert.validity().not_before.timestamp();
    s.not_after = cert.validity().not_after.timestamp();
    s.key = public_key_info(&cert);
    s.signature_algorithm = oid_name(&cert.signature_algorithm.algorithm);
    let mut ski: Option<&[u8]> = None;
    let mut aki: Option<&[u8]> = None;
    for ext in cert.extensions() {
        match ext.parsed_extension() {
            ParsedExtension::SubjectAlternativeName(san) => {
                for gn in &san.general_names {
                    match gn {
                        GeneralName::DNSName(d) => s.san.push(AltName::Dns((*d).to_string())),
                        GeneralName::IPAddress(ip) => s.san.push(AltName::Ip(ip_string(ip))),
                        GeneralName::RFC822Name(m) => s.san.push(AltName::Email((*m).to_string())),
                        GeneralName::URI(u) => s.san.push(AltName::Uri((*u).to_string())),
                        _ => {}
                    }
                }
            }
            ParsedExtension::BasicConstraints(bc) => s.ca = bc.ca,
            ParsedExtension::SubjectKeyIdentifier(k) => ski = Some(k.0),
            ParsedExtension::AuthorityKeyIdentifier(a) => {
                aki = a.key_identifier.as_ref().map(|k| k.0)
            }
            _ => {}
        }
    }
    s.self_signed = signature_verifies(&cert, cert.public_key()).unwrap_or_else(|| {
        let same_name = cert.subject().as_raw() == cert.issuer().as_raw();
        same_name
            && match (ski, aki) {
                (Some(a), Some(b)) => a == b,
                _ => true,
            }
    });
    s
}

impl CertSummary {
    /// `not_before` as RFC 3339 (`2026-11-22T19:39:48Z`).
    pub fn not_before_text(&self) -> String {
        rfc3339_secs(self.not_before)
    }

    /// `not_after` as RFC 3339.
    pub fn not_after_text(&self) -> String {
        rfc3339_secs(self.not_after)
    }

    /// The DNS names of the subject alternative names.
    pub fn dns_names(&self) -> impl Iterator<Item = &str> {
        self.san.iter().filter_map(AltName::dns)
    }

    /// tshark's line for the certificate: its first 36 bytes in hex (`…` when longer) and
    /// its subject (escaped), when it parses; cut to 239 bytes as tshark cuts every label
    /// (the summary under it has the whole subject).
    pub fn tshark_line(&self) -> String {
        const SHOWN: usize = 36;
        const LABEL_BYTES: usize = 239;
        let head = hex::encode(self.der.get(..SHOWN).unwrap_or(&self.der));
        let more = if self.der.len() > SHOWN { "…" } else { "" };
        let mut line = if self.parse_error.is_some() {
            format!("Certificate: {head}{more}")
        } else {
            format!(
                "Certificate: {head}{more} ({})",
                escape_str(&self.subject_rdns)
            )
        };
        if line.len() > LABEL_BYTES {
            let cut = (0..=LABEL_BYTES)
                .rev()
                .find(|&i| line.is_char_boundary(i))
                .unwrap_or(0);
            line.truncate(cut);
        }
        line
    }

    /// Tree lines for this certificate (escaped).
    pub fn tree(&self) -> TreeNode {
        let title = match (&self.subject_cn, &self.parse_error) {
            (_, Some(_)) => format!("Certificate {} (undecodable)", self.index),
            (Some(cn), None) => format!("Certificate {}: CN={}", self.index, escape_str(cn)),
            (None, None) => format!(
                "Certificate {}: {} (no CN)",
                self.index,
                escape_str(&self.subject)
            ),
        };
        let mut n = TreeNode::new(title);
        n.leaf(format!("Certificate Length: {}", self.der_len));
        if let Some(e) = &self.parse_error {
            n.leaf(format!("[Parse error: {}]", escape_str(e)));
            n.leaf(format!("SHA-256 Fingerprint: {}", self.sha256));
            return n;
        }
        n.leaf(format!("Subject: {}", escape_str(&self.subject)));
        n.leaf(format!("Issuer: {}", escape_str(&self.issuer)));
        n.leaf(format!("Serial Number: {}", self.serial));
        n.leaf(format!("Not Before: {}", self.not_before_text()));
        n.leaf(format!("Not After: {}", self.not_after_text()));
        if !self.san.is_empty() {
            let mut san = TreeNode::new(format!("Subject Alternative Names ({})", self.san.len()));
            for name in &self.san {
                san.leaf(escape_str(&name.to_string()));
            }
            n.child(san);
        }
        n.leaf(format!("Public Key: {}", escape_str(&self.key.to_string())));
        n.leaf(format!(
            "Signature Algorithm: {}",
            escape_str(&self.signature_algorithm)
        ));
        n.leaf(format!("CA: {}", self.ca));
        n.leaf(format!("Self-signed: {}", self.self_signed));
        n.leaf(format!("SHA-256 Fingerprint: {}", self.sha256));
        n
    }

    /// JSON object for this certificate (strings escaped).
    pub fn json(&self) -> serde_json::Map<String, serde_json::Value> {
        use serde_json::Value;
        let opt = |o: &Option<String>| match o {
            Some(s) => Value::String(escape_str(s)),
            None => Value::Null,
        };
        let mut m = serde_json::Map::new();
        m.insert("index".into(), self.index.into());
        m.insert("der_len".into(), self.der_len.into());
        m.insert("subject".into(), escape_str(&self.subject).into());
        m.insert("subject_cn".into(), opt(&self.subject_cn));
        m.insert("issuer".into(), escape_str(&self.issuer).into());
        m.insert("issuer_cn".into(), opt(&self.issuer_cn));
        m.insert("serial".into(), self.serial.clone().into());
        m.insert("not_before".into(), self.not_before_text().into());
        m.insert("not_after".into(), self.not_after_text().into());
        m.insert(
            "san".into(),
            Value::Array(
                self.san
                    .iter()
                    .map(|s| Value::String(escape_str(&s.to_string())))
                    .collect(),
            ),
        );
        m.insert("ca".into(), self.ca.into());
        m.insert("self_signed".into(), self.self_signed.into());
        m.insert("key".into(), escape_str(&self.key.to_string()).into());
        m.insert(
            "signature_algorithm".into(),
            escape_str(&self.signature_algorithm).into(),
        );
        m.insert("sha256".into(), self.sha256.clone().into());
        m.insert(
            "parse_error".into(),
            match &self.parse_error {
                Some(e) => escape_bytes(e.as_bytes()).into(),
                None => Value::Null,
            },
        );
        m
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A certificate summarised again (the list of recent ones) gives what summarising it
    /// afresh gives, at its new position; a one-bit change is not taken for it.
    #[test]
    fn recent_certificates_give_the_same_summary() {
        let pems = [
            include_str!("../../../tests/fixtures/trust/ca.pem"),
            include_str!("../../../tests/fixtures/trust/impostor-ca.pem"),
            include_str!("../../../tests/fixtures/trust/leaf.pem"),
            include_str!("../../../tests/fixtures/trust/forged-leaf.pem"),
        ];
        for (i, pem) in pems.iter().enumerate() {
            let der = pems_der(pem);
            let first = summarize(i, &der);
            assert!(first.parse_error.is_none() && !first.subject.is_empty());
            for index in [i, i + 7] {
                assert_eq!(summarize(index, &der), summarize_der(index, &der));
            }
            let mut flipped = der.clone();
            *flipped.last_mut().unwrap() ^= 1;
            assert_eq!(summarize(i, &flipped), summarize_der(i, &flipped));
            assert_ne!(summarize(i, &flipped).sha256, first.sha256);
        }
        // More certificates than the list keeps: the oldest are summarised afresh.
        let ca = summarize_der(0, &pems_der(pems[0]));
        for n in 0..RECENT_CERTS + 3 {
            let mut junk = vec![0x30, 0x03, b'j'];
            junk.extend_from_slice(&n.to_be_bytes());
            assert!(summarize(n, &junk).parse_error.is_some());
        }
        assert_eq!(summarize(0, &pems_der(pems[0])), ca);
    }

    /// A certificate larger than [`RECENT_CERT_BYTES`] is summarised but not kept: the list's
    /// bytes stay bounded whatever the sender makes up, and the answer is the same.
    #[test]
    fn oversized_certificates_are_not_kept() {
        let recent_bytes =
            || RECENT.with(|r| r.borrow().iter().map(|s| s.der.len()).sum::<usize>());
        for n in 0..RECENT_CERTS + 2 {
            let mut big = vec![0u8; RECENT_CERT_BYTES + 1 + n];
            big[0] = 0x30;
            let s = summarize(n, &big);
            assert_eq!((s.der_len, s.parse_error.is_some()), (big.len(), true));
            assert_eq!(summarize(n, &big), summarize_der(n, &big));
        }
        assert!(recent_bytes() <= RECENT_CERTS * RECENT_CERT_BYTES);
        assert!(RECENT.with(|r| r.borrow().iter().all(|s| s.der.len() <= RECENT_CERT_BYTES)));
    }

    fn pems_der(pem: &str) -> Vec<u8> {
        x509_parser::pem::Pem::iter_from_buffer(pem.as_bytes())
            .next()
            .unwrap()
            .unwrap()
            .contents
    }

    #[test]
    fn modulus_bit_count() {
        assert_eq!(modulus_bits(&[0x00, 0x80, 0x00]), 16);
        assert_eq!(modulus_bits(&[0x01, 0xff]), 9);
        assert_eq!(modulus_bits(&[0, 0]), 0);
    }

    #[test]
    fn key_and_name_text() {
        let rsa = PublicKeyInfo {
            algorithm: KeyAlgorithm::Rsa,
            bits: Some(2047),
        };
        assert_eq!(
            (rsa.to_string(), rsa.rsa_bits()),
            ("RSA 2047".into(), Some(2047))
        );
        let ec = PublicKeyInfo {
            algorithm: KeyAlgorithm::Ec {
                curve: "P-384".into(),
            },
            bits: None,
        };
        assert_eq!((ec.to_string(), ec.rsa_bits()), ("EC P-384".into(), None));
        assert_eq!(
            AltName::Uri("https://x".into()).to_string(),
            "URI:https://x"
        );
        assert_eq!(AltName::Email("a@b".into()).dns(), None);
    }
}
