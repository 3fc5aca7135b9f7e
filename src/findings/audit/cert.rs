//! Certificate audits: validity at capture time, key size, name coverage, self-signed,
//! and the chain's trust.

use x509_parser::extensions::GeneralName;
use x509_parser::prelude::{FromDer, X509Certificate};
use x509_parser::public_key::PublicKey;

use super::super::finding::{Finding, FindingKind, Severity};
use super::ca::{trust_anchor, TrustAnchor};

/// RSA keys shorter than this are weak.
pub const MIN_RSA_BITS: u32 = 2048;

/// What the audit needs to know of one certificate.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CertFacts {
    /// Subject DN as x509-parser's `X509Name` `Display` writes it (`O=…, CN=…`).
    pub subject: String,
    /// Issuer DN, same format.
    pub issuer: String,
    /// Subject and issuer are the same name.
    pub self_signed: bool,
    /// Validity, Unix seconds.
    pub not_before: i64,
    pub not_after: i64,
    /// RSA modulus size in bits (`None` for other key types).
    pub rsa_bits: Option<u32>,
    /// DNS names of the subjectAltName extension.
    pub sans: Vec<String>,
    /// basicConstraints CA flag.
    pub is_ca: bool,
    /// The certificate (DER), whose signature is verified against its issuer's key.
    pub der: Vec<u8>,
}

/// Read the facts from a DER certificate with x509-parser (`None` when it does not parse).
/// Using this for both the handshake's certificates and [`load_ca_file`] keeps the DN
/// strings comparable.
pub fn cert_facts_from_der(der: &[u8]) -> Option<CertFacts> {
    let (_, cert) = X509Certificate::from_der(der).ok()?;
    Some(CertFacts {
        der: der.to_vec(),
        ..facts_of(&cert)
    })
}

pub(super) fn facts_of(cert: &X509Certificate<'_>) -> CertFacts {
    let rsa_bits = match cert.public_key().parsed() {
        Ok(PublicKey::RSA(rsa)) => Some(modulus_bits(rsa.modulus)),
        _ => None,
    };
    let sans = match cert.subject_alternative_name() {
        Ok(Some(ext)) => ext
            .value
            .general_names
            .iter()
            .filter_map(|g| match g {
                GeneralName::DNSName(d) => Some((*d).to_string()),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    };
    let is_ca = matches!(cert.basic_constraints(), Ok(Some(bc)) if bc.value.ca);
    CertFacts {
        subject: cert.subject().to_string(),
        issuer: cert.issuer().to_string(),
        self_signed: cert.subject().as_raw() == cert.issuer().as_raw(),
        not_before: cert.validity().not_before.timestamp(),
        not_after: cert.validity().not_after.timestamp(),
        rsa_bits,
        sans,
        is_ca,
        der: Vec::new(),
    }
}

/// Bits in a big-endian unsigned integer (leading zero bytes ignored).
pub(super) fn modulus_bits(m: &[u8]) -> u32 {
    let Some(first) = m.iter().position(|b| *b != 0) else {
        return 0;
    };
    let rest = u32::try_from(m.len() - first - 1).unwrap_or(u32::MAX / 16);
    let lead = m.get(first).copied().unwrap_or(0);
    rest.saturating_mul(8)
        .saturating_add(8 - lead.leading_zeros())
}

/// Normalise a DNS name for comparison: lower case, no trailing dot.
pub(super) fn norm_host(h: &str) -> String {
    h.trim().trim_end_matches('.').to_ascii_lowercase()
}

/// Whether a certificate name (possibly `*.example.com`) covers `host`. A wildcard is only
/// the whole left-most label, matches exactly one non-empty label, and needs at least two
/// labels after it (`*.com` matches nothing).
pub fn name_matches(pattern: &str, host: &str) -> bool {
    let p = norm_host(pattern);
    let h = norm_host(host);
    if p.is_empty() || h.is_empty() {
        return false;
    }
    if let Some(rest) = p.strip_prefix("*.") {
        if !rest.contains('.') || rest.contains('*') {
            return false;
        }
        return match h.split_once('.') {
            Some((first, tail)) => !first.is_empty() && tail == rest,
            None => false,
        };
    }
    !p.contains('*') && p == h
}

/// The CN of a DN string (`O=x, CN=host` → `host`).
pub(super) fn common_name(dn: &str) -> Option<String> {
    dn.split(',').find_map(|p| {
        let p = p.trim();
        let (k, v) = p.split_once('=')?;
        k.trim()
            .eq_ignore_ascii_case("CN")
            .then(|| v.trim().to_string())
    })
}

pub(super) fn rfc3339(secs: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(secs)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| secs.to_string())
}

/// Validity and key-size checks of one certificate.
pub(super) fn cert_own_checks(c: &CertFacts, capture_time_unix: i64, out: &mut Vec<Finding>) {
    if capture_time_unix > c.not_after {
        out.push(
            Finding::new(
                FindingKind::CertExpired,
                Severity::High,
                c.subject.as_bytes(),
                format!(
                    "The certificate had expired when this was captured (not after {}), so clients that check it refuse the connection.",
                    rfc3339(c.not_after)
                ),
            )
            .detail("not_after", rfc3339(c.not_after)),
        );
    } else if capture_time_unix < c.not_before {
        out.push(
            Finding::new(
                FindingKind::CertNotYetValid,
                Severity::High,
                c.subject.as_bytes(),
                format!(
                    "The certificate was not yet valid when this was captured (not before {}); check the clocks.",
                    rfc3339(c.not_before)
                ),
            )
            .detail("not_before", rfc3339(c.not_before)),
        );
    }
    if let Some(bits) = c.rsa_bits.filter(|b| *b < MIN_RSA_BITS) {
        let sev = if bits < 1024 {
            Severity::High
        } else {
            Severity::Medium
        };
        out.push(
            Finding::new(
                FindingKind::CertWeakKey,
                sev,
                c.subject.as_bytes(),
                format!("The certificate's RSA key is only {bits} bits; at least {MIN_RSA_BITS} are needed to resist factoring."),
            )
            .detail("rsa_bits", bits.to_string()),
        );
    }
}

pub(super) fn name_check(leaf: &CertFacts, sni: Option<&str>, out: &mut Vec<Finding>) {
    let Some(host) = sni.filter(|h| !h.trim().is_empty()) else {
        return;
    };
    let names: Vec<String> = if leaf.sans.is_empty() {
        common_name(&leaf.subject).into_iter().collect()
    } else {
        leaf.sans.clone()
    };
    if names.iter().any(|n| name_matches(n, host)) {
        return;
    }
    let shown = if names.is_empty() {
        "no names".to_string()
    } else {
        names.join(", ")
    };
    out.push(
        Finding::new(
            FindingKind::CertNameMismatch,
            Severity::High,
            host.as_bytes(),
            "The certificate is not for the name the client asked for, so a checking client refuses it (Python: CERTIFICATE_VERIFY_FAILED, hostname mismatch).",
        )
        .detail("sni", host)
        .detail("names", shown),
    );
}

pub(super) fn self_signed_finding(c: &CertFacts) -> Finding {
    Finding::new(
        FindingKind::CertSelfSigned,
        Severity::High,
        c.subject.as_bytes(),
        "The server's certificate is self-signed, so clients cannot tell it from one an attacker on the path made up.",
    )
}

/// Audit one certificate as if it were the whole chain. `sni` is the name the client asked
/// for. `anchors` are the trusted CAs ([`load_ca_file`]); when empty, the trust check is
/// skipped (nothing to judge against); trust is proven by signature ([`trust_anchor`]).
/// For a CA certificate (`is_ca`) the name and self-signed checks are skipped.
pub fn audit_certificate(
    cert: &CertFacts,
    sni: Option<&str>,
    capture_time_unix: i64,
    anchors: &[TrustAnchor],
) -> Vec<Finding> {
    let mut out = Vec::new();
    if !cert.is_ca {
        name_check(cert, sni, &mut out);
    }
    let trusted = trust_anchor(std::slice::from_ref(cert), anchors).is_some();
    if cert.self_signed {
        if !cert.is_ca && !trusted {
            out.push(self_signed_finding(cert));
        }
    } else if !anchors.is_empty() && !trusted {
        out.push(untrusted_finding(cert));
    }
    cert_own_checks(cert, capture_time_unix, &mut out);
    out
}

pub(super) fn untrusted_finding(c: &CertFacts) -> Finding {
    Finding::new(
        FindingKind::CertUntrustedCa,
        Severity::High,
        c.issuer.as_bytes(),
        "The certificate's CA is not trusted by this system (nor by --ca-file): a client must be given the CA file, or it refuses the connection (Python: CERTIFICATE_VERIFY_FAILED, unable to get local issuer certificate).",
    )
    .detail("issuer", &c.issuer)
}

/// Audit a certificate chain as sent by the server (leaf first). Name and self-signed
/// checks look at the leaf; validity and key size at every certificate; the chain is
/// trusted when its signatures lead to one of `anchors` ([`trust_anchor`]; skipped when
/// there are none), otherwise `cert_untrusted_ca` names the top certificate's issuer.
pub fn audit_chain(
    chain: &[CertFacts],
    sni: Option<&str>,
    capture_time_unix: i64,
    anchors: &[TrustAnchor],
) -> Vec<Finding> {
    let mut out = Vec::new();
    let Some(leaf) = chain.first() else {
        return out;
    };
    name_check(leaf, sni, &mut out);
    let trusted = trust_anchor(chain, anchors).is_some();
    if leaf.self_signed && !trusted {
        out.push(self_signed_finding(leaf));
    } else if !trusted && !anchors.is_empty() {
        if let Some(top) = chain.last() {
            out.push(untrusted_finding(top));
        }
    }
    for c in chain {
        cert_own_checks(c, capture_time_unix, &mut out);
    }
    out
}
