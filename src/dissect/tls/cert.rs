//! Certificates of a TLS ≤ 1.2 Certificate message, summarised with x509-parser.

use sha2::{Digest as _, Sha256};
use time::format_description::well_known::Rfc3339;
use x509_parser::extensions::{GeneralName, ParsedExtension};
use x509_parser::objects::oid_registry;
use x509_parser::oid_registry::Oid;
use x509_parser::prelude::{FromDer, X509Certificate};
use x509_parser::public_key::PublicKey;

use crate::present::escape::{escape_bytes, escape_str};
use crate::present::tree::TreeNode;

/// What an observer learns from one certificate of the chain. Strings hold the decoded
/// wire text unescaped; they are escaped when rendered.
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
    pub subject: String,
    /// Subject common name; many certificates have none.
    pub subject_cn: Option<String>,
    pub issuer: String,
    pub issuer_cn: Option<String>,
    /// Serial number as colon-separated hex.
    pub serial: String,
    /// Validity bounds as RFC 3339 strings.
    pub not_before: String,
    pub not_after: String,
    /// Validity bounds as Unix seconds (for audits against the capture time).
    pub not_before_unix: i64,
    pub not_after_unix: i64,
    /// Subject alternative names: `DNS:name`, `IP:addr`, `email:x`, `URI:x`.
    pub san: Vec<String>,
    /// Basic constraints CA flag.
    pub ca: bool,
    /// Subject equals issuer and, when both key identifiers are present, they match
    /// (the signature itself is not verified).
    pub self_signed: bool,
    /// Public key type and size: `RSA 2048`, `EC P-256`, `Ed25519`.
    pub key: String,
    /// Signature algorithm name (`sha256WithRSAEncryption`) or dotted OID.
    pub signature_algorithm: String,
    /// The certificate as sent (DER), for verifying signatures up the chain.
    pub der: Vec<u8>,
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

fn key_description(cert: &X509Certificate<'_>) -> String {
    let spki = cert.public_key();
    let alg = spki.algorithm.algorithm.to_id_string();
    match alg.as_str() {
        "1.3.101.112" => return "Ed25519".into(),
        "1.3.101.113" => return "Ed448".into(),
        "1.3.101.110" => return "X25519".into(),
        "1.3.101.111" => return "X448".into(),
        _ => {}
    }
    match spki.parsed() {
        Ok(PublicKey::RSA(rsa)) => format!("RSA {}", rsa.key_size()),
        Ok(PublicKey::EC(_)) => {
            let curve = spki
                .algorithm
                .parameters
                .as_ref()
                .and_then(|p| p.as_oid().ok())
                .map(|o| curve_name(&o))
                .unwrap_or_else(|| "unknown curve".into());
            format!("EC {curve}")
        }
        Ok(PublicKey::DSA(y)) => format!("DSA {}", y.len().saturating_mul(8)),
        Ok(other) => {
            let bits = other.key_size();
            let name = oid_name(&spki.algorithm.algorithm);
            if bits > 0 {
                format!("{name} {bits}")
            } else {
                name
            }
        }
        Err(_) => oid_name(&spki.algorithm.algorithm),
    }
}

fn first_cn(name: &x509_parser::x509::X509Name<'_>) -> Option<String> {
    name.iter_common_name().next().map(|a| match a.as_str() {
        Ok(s) => s.to_string(),
        Err(_) => String::from_utf8_lossy(a.as_slice()).into_owned(),
    })
}

fn rfc3339(t: &x509_parser::time::ASN1Time) -> String {
    t.to_datetime()
        .format(&Rfc3339)
        .unwrap_or_else(|_| t.timestamp().to_string())
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

/// Summarise one DER certificate (never panics; undecodable input keeps its hash and length).
pub fn summarize(index: usize, der: &[u8]) -> CertSummary {
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
    s.issuer = cert.issuer().to_string();
    s.issuer_cn = first_cn(cert.issuer());
    s.serial = cert.raw_serial_as_string();
    s.not_before = rfc3339(&cert.validity().not_before);
    s.not_after = rfc3339(&cert.validity().not_after);
    s.not_before_unix = cert.validity().not_before.timestamp();
    s.not_after_unix = cert.validity().not_after.timestamp();
    s.key = key_description(&cert);
    s.signature_algorithm = oid_name(&cert.signature_algorithm.algorithm);
    let mut ski: Option<&[u8]> = None;
    let mut aki: Option<&[u8]> = None;
    for ext in cert.extensions() {
        match ext.parsed_extension() {
            ParsedExtension::SubjectAlternativeName(san) => {
                for gn in &san.general_names {
                    match gn {
                        GeneralName::DNSName(d) => s.san.push(format!("DNS:{d}")),
                        GeneralName::IPAddress(ip) => s.san.push(format!("IP:{}", ip_string(ip))),
                        GeneralName::RFC822Name(m) => s.san.push(format!("email:{m}")),
                        GeneralName::URI(u) => s.san.push(format!("URI:{u}")),
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
    let same_name = cert.subject().as_raw() == cert.issuer().as_raw();
    s.self_signed = same_name
        && match (ski, aki) {
            (Some(a), Some(b)) => a == b,
            _ => true,
        };
    s
}

impl CertSummary {
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
        n.leaf(format!("Not Before: {}", self.not_before));
        n.leaf(format!("Not After: {}", self.not_after));
        if !self.san.is_empty() {
            let mut san = TreeNode::new(format!("Subject Alternative Names ({})", self.san.len()));
            for name in &self.san {
                san.leaf(escape_str(name));
            }
            n.child(san);
        }
        n.leaf(format!("Public Key: {}", escape_str(&self.key)));
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
        m.insert("not_before".into(), self.not_before.clone().into());
        m.insert("not_after".into(), self.not_after.clone().into());
        m.insert(
            "san".into(),
            Value::Array(
                self.san
                    .iter()
                    .map(|s| Value::String(escape_str(s)))
                    .collect(),
            ),
        );
        m.insert("ca".into(), self.ca.into());
        m.insert("self_signed".into(), self.self_signed.into());
        m.insert("key".into(), escape_str(&self.key).into());
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
