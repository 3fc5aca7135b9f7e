//! HTTPS hardening audit on plain values: TLS versions, cipher suites, certificates,
//! alerts, and HTTP response headers (cookie flags, HSTS, redirect to https).
//!
//! All functions return findings with `stream` = `None` and no frames; the caller sets
//! them. Certificate times are judged against the capture time, never the wall clock.

use std::path::Path;

use x509_parser::extensions::GeneralName;
use x509_parser::prelude::{FromDer, X509Certificate};
use x509_parser::public_key::PublicKey;
use x509_parser::x509::SubjectPublicKeyInfo;

use super::credentials::parse_set_cookie;
use super::finding::{Finding, FindingKind, Severity, Transport};

/// Largest CA file read.
pub const MAX_CA_FILE: u64 = 16 << 20;
/// RSA keys shorter than this are weak.
pub const MIN_RSA_BITS: u32 = 2048;

const TLS12: u16 = 0x0303;

/// Human name of a TLS/SSL version number (`0x0301` → `TLS 1.0`); `0x....` when it is no
/// released version. The names are the dissector's (one table).
pub fn tls_version_name(v: u16) -> String {
    match v {
        0x0002 | 0x0300..=0x0304 => crate::dissect::tls::version_name(v),
        _ => format!("0x{v:04x}"),
    }
}

/// A real (non-GREASE, non-draft) TLS/SSL version older than TLS 1.2.
fn is_old_version(v: u16) -> bool {
    v == 0x0002 || (0x0300..TLS12).contains(&v)
}

/// Old versions: the negotiated one (`negotiated`, from the ServerHello, or
/// supported_versions for TLS 1.3) below TLS 1.2 → `tls_old_version` (high for SSL,
/// medium for TLS 1.0/1.1). Otherwise, a client that still offers versions below 1.2 →
/// `tls_old_version` at low severity. GREASE and unknown values in `offered` are ignored.
pub fn audit_tls_version(offered: &[u16], negotiated: Option<u16>) -> Vec<Finding> {
    let mut out = Vec::new();
    if let Some(v) = negotiated.filter(|v| is_old_version(*v)) {
        let name = tls_version_name(v);
        let sev = if v <= 0x0300 {
            Severity::High
        } else {
            Severity::Medium
        };
        out.push(
            Finding::new(
                FindingKind::TlsOldVersion,
                sev,
                name.as_bytes(),
                format!("The connection used {name}, which is deprecated and has known attacks; TLS 1.2 or 1.3 should be required."),
            )
            .detail("negotiated", &name),
        );
        return out;
    }
    let mut old: Vec<u16> = offered
        .iter()
        .copied()
        .filter(|v| is_old_version(*v))
        .collect();
    old.sort_unstable();
    old.dedup();
    if !old.is_empty() {
        let names: Vec<String> = old.iter().map(|v| tls_version_name(*v)).collect();
        let list = names.join(", ");
        out.push(Finding::new(
            FindingKind::TlsOldVersion,
            Severity::Low,
            list.as_bytes(),
            format!("The client still offers {list}, so a server or attacker could settle on an outdated protocol."),
        ));
    }
    out
}

/// A weak cipher suite, judged by its IANA/OpenSSL name (and id 0x0000, NULL_WITH_NULL_NULL):
/// NULL (no encryption), EXPORT, anonymous key exchange, RC4, single DES → high;
/// 3DES (Sweet32) → medium. `None` for a suite with none of these.
pub fn audit_cipher(id: u16, name: &str) -> Option<Finding> {
    let n = name.to_ascii_uppercase();
    let (sev, why) = if id == 0x0000 || n.contains("NULL") {
        (
            Severity::High,
            "it does not encrypt at all, so anyone on the path reads the traffic",
        )
    } else if n.contains("EXPORT") {
        (
            Severity::High,
            "it is a 1990s export-grade suite whose keys can be broken in hours",
        )
    } else if n.contains("_ANON_")
        || n.contains("ANON")
        || n.starts_with("ADH")
        || n.starts_with("AECDH")
    {
        (
            Severity::High,
            "it does not authenticate the server, so anyone on the path can impersonate it",
        )
    } else if n.contains("RC4") {
        (
            Severity::High,
            "RC4 has biases that let an attacker recover plaintext",
        )
    } else if n.contains("3DES") || n.contains("DES_EDE") || n.contains("DES-CBC3") {
        (
            Severity::Medium,
            "3DES has 64-bit blocks, open to the Sweet32 collision attack on long connections",
        )
    } else if n.contains("DES") {
        (
            Severity::High,
            "single DES uses 56-bit keys that can be brute-forced",
        )
    } else if n.contains("RC2") {
        (Severity::High, "RC2 is a broken legacy cipher")
    } else {
        return None;
    };
    let ev = format!("0x{id:04x} {name}");
    Some(Finding::new(
        FindingKind::TlsWeakCipher,
        sev,
        ev.as_bytes(),
        format!("The cipher suite is weak: {why}."),
    ))
}

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

/// A trusted CA: its subject DN (`X509Name` `Display` form) and its public key
/// (SubjectPublicKeyInfo, DER), which must verify the signature of what it vouches for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrustAnchor {
    pub subject: String,
    pub spki: Vec<u8>,
}

impl TrustAnchor {
    fn of(cert: &X509Certificate<'_>) -> TrustAnchor {
        TrustAnchor {
            subject: cert.subject().to_string(),
            spki: cert.public_key().raw.to_vec(),
        }
    }
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

fn facts_of(cert: &X509Certificate<'_>) -> CertFacts {
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
fn modulus_bits(m: &[u8]) -> u32 {
    let Some(first) = m.iter().position(|b| *b != 0) else {
        return 0;
    };
    let rest = u32::try_from(m.len() - first - 1).unwrap_or(u32::MAX / 16);
    let lead = m.get(first).copied().unwrap_or(0);
    rest.saturating_mul(8)
        .saturating_add(8 - lead.leading_zeros())
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
pub fn trust_anchor<'a>(
    chain: &[CertFacts],
    anchors: &'a [TrustAnchor],
) -> Option<&'a TrustAnchor> {
    let mut cur = chain.first()?;
    // Each step moves up one certificate; a chain longer than itself is a loop.
    for _ in 0..chain.len() {
        let (_, cert) = X509Certificate::from_der(&cur.der).ok()?;
        let own_key = cert.public_key().raw;
        if let Some(a) = anchors
            .iter()
            .find(|a| a.spki == own_key && same_dn(&a.subject, &cur.subject))
        {
            return Some(a);
        }
        if let Some(a) = anchors
            .iter()
            .find(|a| same_dn(&a.subject, &cur.issuer) && signed_by(&cert, &a.spki))
        {
            return Some(a);
        }
        cur = chain.iter().find(|up| {
            !std::ptr::eq(*up, cur)
                && same_dn(&up.subject, &cur.issuer)
                && X509Certificate::from_der(&up.der)
                    .is_ok_and(|(_, u)| signed_by(&cert, u.public_key().raw))
        })?;
    }
    None
}

/// `cert`'s signature verifies with the public key `spki` (SubjectPublicKeyInfo, DER).
fn signed_by(cert: &X509Certificate<'_>, spki: &[u8]) -> bool {
    SubjectPublicKeyInfo::from_der(spki)
        .is_ok_and(|(_, key)| cert.verify_signature(Some(&key)).is_ok())
}

fn same_dn(a: &str, b: &str) -> bool {
    norm_dn(a) == norm_dn(b)
}

fn norm_dn(s: &str) -> String {
    s.split(',')
        .map(|p| p.trim().to_ascii_lowercase())
        .collect::<Vec<_>>()
        .join(",")
}

/// Normalise a DNS name for comparison: lower case, no trailing dot.
fn norm_host(h: &str) -> String {
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
fn common_name(dn: &str) -> Option<String> {
    dn.split(',').find_map(|p| {
        let p = p.trim();
        let (k, v) = p.split_once('=')?;
        k.trim()
            .eq_ignore_ascii_case("CN")
            .then(|| v.trim().to_string())
    })
}

fn rfc3339(secs: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(secs)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| secs.to_string())
}

/// Validity and key-size checks of one certificate.
fn cert_own_checks(c: &CertFacts, capture_time_unix: i64, out: &mut Vec<Finding>) {
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

fn name_check(leaf: &CertFacts, sni: Option<&str>, out: &mut Vec<Finding>) {
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

fn self_signed_finding(c: &CertFacts) -> Finding {
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

fn untrusted_finding(c: &CertFacts) -> Finding {
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

/// IANA name of a TLS alert description (`48` → `unknown_ca`), from the dissector's table.
pub fn alert_name(description_id: u8) -> Option<&'static str> {
    match crate::dissect::tls::alert_description_name(description_id).1 {
        "unknown" => None,
        name => Some(name),
    }
}

/// What a TLS alert means, in plain words (with the error Python's `ssl` module shows where
/// that helps).
pub fn explain_alert(description_id: u8) -> &'static str {
    match description_id {
        0 => "the sender is closing the connection normally",
        10 => "a message arrived that was not expected at that point of the handshake",
        20 => "a record failed its integrity check (corrupted, or keys out of step)",
        21 => "a record could not be decrypted",
        22 => "a record was longer than TLS allows",
        30 => "compressed data could not be decompressed",
        40 => "the two sides could not agree on handshake parameters (no common cipher suite, version or group)",
        41 => "the client sent no certificate (SSL 3.0 only)",
        42 => "the certificate was corrupt or its signature did not verify",
        43 => "the certificate is of a type the peer does not support",
        44 => "the certificate was revoked by its issuer",
        45 => "a certificate has expired or is not yet valid (Python's CERTIFICATE_VERIFY_FAILED: certificate has expired)",
        46 => "the certificate could not be accepted for some other reason",
        47 => "a handshake field held a value that is out of range or inconsistent",
        48 => "the client does not trust the CA that issued the server's certificate (Python's CERTIFICATE_VERIFY_FAILED)",
        49 => "the certificate was valid but access was refused",
        50 => "a message could not be decoded (malformed)",
        51 => "a handshake signature or Finished check failed",
        60 => "an export restriction was hit (obsolete)",
        70 => "the peer does not support the offered TLS version (Python's UNSUPPORTED_PROTOCOL / WRONG_VERSION_NUMBER)",
        71 => "the peer requires stronger cipher suites than were offered",
        80 => "the peer hit an internal error unrelated to the protocol",
        86 => "a fallback to an older version was refused as a possible downgrade attack",
        90 => "the user cancelled the handshake",
        100 => "the peer refused to renegotiate",
        109 => "a required TLS extension was missing",
        110 => "an extension was sent that the peer did not offer or cannot accept",
        111 => "a certificate could not be obtained from the URL given",
        112 => "the server has no certificate for the name the client asked for (SNI)",
        113 => "the OCSP status response was invalid",
        114 => "a certificate hash did not match",
        115 => "the server does not know the pre-shared key identity offered",
        116 => "the server requires a client certificate and none was sent",
        120 => "client and server share no application protocol (ALPN)",
        _ => "an alert code that is not in the TLS registry",
    }
}

/// A TLS alert as a finding: fatal alerts (level 2) other than `close_notify` and
/// `user_canceled` → `handshake_failure`. Warning alerts give `None`.
pub fn audit_alert(level: u8, description_id: u8) -> Option<Finding> {
    if level != 2 || matches!(description_id, 0 | 90) {
        return None;
    }
    let name = alert_name(description_id).unwrap_or("unknown");
    let ev = format!("fatal alert {description_id} {name}");
    Some(
        Finding::new(
            FindingKind::HandshakeFailure,
            Severity::Medium,
            ev.as_bytes(),
            format!(
                "The TLS connection failed: {}.",
                explain_alert(description_id)
            ),
        )
        .detail("alert", name),
    )
}

/// Hardening checks on one HTTP response's headers.
///
/// - Every `Set-Cookie` missing `Secure` and/or `HttpOnly` → `set_cookie_insecure`
///   (medium when `Secure` is missing, low when only `HttpOnly` is).
/// - [`Transport::DecryptedTls`] (a response seen inside HTTPS): no
///   `Strict-Transport-Security`, or `max-age=0` → `missing_hsts`.
/// - [`Transport::Clear`]: a response that is not a 3xx redirect to an `https://`
///   `Location` → `no_https_redirect` (`host` is shown as evidence when given). The caller
///   may want to report this once per host.
pub fn audit_response_headers<S: AsRef<str>, B: AsRef<[u8]>>(
    status: u16,
    headers: &[(S, B)],
    transport: Transport,
    host: Option<&str>,
) -> Vec<Finding> {
    let mut out = Vec::new();
    for (name, value) in headers {
        if !name.as_ref().eq_ignore_ascii_case("set-cookie") {
            continue;
        }
        let c = parse_set_cookie(value.as_ref());
        let mut missing = Vec::new();
        if !c.secure {
            missing.push("Secure");
        }
        if !c.http_only {
            missing.push("HttpOnly");
        }
        if missing.is_empty() {
            continue;
        }
        let (sev, expl) = if !c.secure {
            (
                Severity::Medium,
                "This cookie lacks the Secure flag, so the browser also sends it over plain HTTP where anyone on the path can copy it.",
            )
        } else {
            (
                Severity::Low,
                "This cookie lacks the HttpOnly flag, so any script on the page (including injected ones) can read it.",
            )
        };
        out.push(
            Finding::new(FindingKind::SetCookieInsecure, sev, &c.name_value, expl)
                .detail("name", &c.name)
                .detail("missing", missing.join(",")),
        );
    }
    let find = |n: &str| {
        headers
            .iter()
            .find(|(k, _)| k.as_ref().eq_ignore_ascii_case(n))
            .map(|(_, v)| v.as_ref())
    };
    match transport {
        Transport::DecryptedTls => {
            let hsts = find("strict-transport-security");
            let zero = hsts.is_some_and(|v| {
                String::from_utf8_lossy(v)
                    .to_ascii_lowercase()
                    .split(';')
                    .any(|d| {
                        d.trim()
                            .strip_prefix("max-age=")
                            .is_some_and(|a| a.trim().trim_matches('"') == "0")
                    })
            });
            if hsts.is_none() || zero {
                let ev = host.unwrap_or("Strict-Transport-Security");
                out.push(Finding::new(
                    FindingKind::MissingHsts,
                    Severity::Low,
                    ev.as_bytes(),
                    if zero {
                        "HSTS is switched off (max-age=0), so a browser's next visit may start over plain HTTP where it can be intercepted."
                    } else {
                        "The HTTPS response has no Strict-Transport-Security header, so a browser's next visit may start over plain HTTP where it can be intercepted."
                    },
                ));
            }
        }
        Transport::Clear => {
            let to_https = (300..400).contains(&status)
                && find("location").is_some_and(|l| {
                    l.trim_ascii()
                        .get(..8)
                        .is_some_and(|p| p.eq_ignore_ascii_case(b"https://"))
                });
            if !to_https {
                let ev = match host {
                    Some(h) => format!("http://{h} → {status}"),
                    None => format!("HTTP {status}"),
                };
                out.push(Finding::new(
                    FindingKind::NoHttpsRedirect,
                    Severity::Low,
                    ev.as_bytes(),
                    "The server answered over plain HTTP instead of redirecting to https, so the page can be read and altered on the path.",
                ));
            }
        }
    }
    out
}

/// Mixed content inside HTTPS (a decrypted response): a redirect whose `Location` is plain
/// `http://`, or an HTML page that loads or links `http://` resources. Each is a way back to
/// plain HTTP, where the page or what it pulls in can be read and altered on the path.
pub fn audit_mixed_content<S: AsRef<str>, B: AsRef<[u8]>>(
    status: u16,
    headers: &[(S, B)],
    body: &[u8],
    content_type: Option<&[u8]>,
) -> Vec<Finding> {
    let mut out = Vec::new();
    let location = headers
        .iter()
        .find(|(k, _)| k.as_ref().eq_ignore_ascii_case("location"))
        .map(|(_, v)| v.as_ref());
    if (300..400).contains(&status) {
        if let Some(loc) = location.filter(|l| starts_with_ignore_case(l, b"http://")) {
            out.push(
                Finding::new(
                    FindingKind::MixedContent,
                    Severity::Medium,
                    loc,
                    "This HTTPS response redirects to plain http://, so the next request crosses the network readable and alterable by anyone on the path.",
                )
                .detail("where", "Location"),
            );
        }
    }
    let html = content_type.is_some_and(|c| c.windows(4).any(|w| w.eq_ignore_ascii_case(b"html")));
    if html {
        const ATTRS: [&[u8]; 4] = [
            b"src=\"http://",
            b"href=\"http://",
            b"src='http://",
            b"href='http://",
        ];
        let lower = body.to_ascii_lowercase();
        let hit = ATTRS
            .iter()
            .filter_map(|a| memchr::memmem::find(&lower, a).map(|p| (p, a.len())))
            .min();
        if let Some((p, n)) = hit {
            let start = p + n - "http://".len();
            let end = body
                .get(start..)
                .and_then(|r| r.iter().position(|&b| b == b'"' || b == b'\'' || b == b'>'))
                .map_or(body.len(), |e| start + e);
            out.push(
                Finding::new(
                    FindingKind::MixedContent,
                    Severity::Low,
                    body.get(start..end).unwrap_or_default(),
                    "This HTTPS page links or loads a plain http:// resource (mixed content): that resource can be read and altered on the path.",
                )
                .detail("where", "page body"),
            );
        }
    }
    out
}

fn starts_with_ignore_case(v: &[u8], prefix: &[u8]) -> bool {
    v.get(..prefix.len())
        .is_some_and(|p| p.eq_ignore_ascii_case(prefix))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(f: &[Finding]) -> Vec<FindingKind> {
        f.iter().map(|x| x.kind).collect()
    }

    // Made once with:
    // openssl req -x509 -newkey rsa:1024 -nodes -subj "/O=Squirrel Test/CN=test.squirrel.example"
    //   -addext "subjectAltName=DNS:test.squirrel.example,DNS:*.api.squirrel.example"
    //   -addext "basicConstraints=critical,CA:TRUE" -days 3650 -set_serial 4660
    const PEM: &str = "-----BEGIN CERTIFICATE-----
MIICdjCCAd+gAwIBAgICEjQwDQYJKoZIhvcNAQELBQAwODEWMBQGA1UECgwNU3F1
aXJyZWwgVGVzdDEeMBwGA1UEAwwVdGVzdC5zcXVpcnJlbC5leGFtcGxlMB4XDTI2
MTEyMjE5NDI1MloXDTM2MTExOTE5NDI1MlowODEWMBQGA1UECgwNU3F1aXJyZWwg
VGVzdDEeMBwGA1UEAwwVdGVzdC5zcXVpcnJlbC5leGFtcGxlMIGfMA0GCSqGSIb3
DQEBAQUAA4GNADCBiQKBgQDf8CtLGQGMNwxUN7uxn9bzAlhDEhb68Q1vbrm8eD5y
I4UPyjEnnuVF6UhSYknkcbv0hEyniHR1KjMN20X6hA3ea8PR7H7KREdrMEO1S+Ox
iS6pjErWO1aFXNKYSxsWC8QsrIwuCfIp1jLhL3fesiuTLIX5Y0F2FCvDaDNzo9Zn
TQIDAQABo4GOMIGLMB0GA1UdDgQWBBSYIDiqQ4SEQgnlYIMCRfe7+X1NkjAfBgNV
HSMEGDAWgBSYIDiqQ4SEQgnlYIMCRfe7+X1NkjA4BgNVHREEMTAvghV0ZXN0LnNx
dWlycmVsLmV4YW1wbGWCFiouYXBpLnNxdWlycmVsLmV4YW1wbGUwDwYDVR0TAQH/
BAUwAwEB/zANBgkqhkiG9w0BAQsFAAOBgQBXDaHy6RZ692AJcFTRiosxLCjHHRfx
4ETTOMaWzyFOwwxq7kYfGv1Xvt0VoZfASkGR5HXIq2H/kMbbirlOZaU/U3iFBbIy
um1DbTis8v54pYv+YYZ9zdf/Rs+jpJ91YreEWOe23RQ5F5PuXJAtr2TOfYVFfFOZ
ZeuTOtf0sdn6xA==
-----END CERTIFICATE-----
";
    const NOT_BEFORE: i64 = 1_795_376_572; // 2026-11-22T19:42:52Z
    const NOT_AFTER: i64 = 2_110_736_572; // 2036-11-19T19:42:52Z

    fn leaf() -> CertFacts {
        CertFacts {
            subject: "O=Example, CN=www.example.com".into(),
            issuer: "C=US, O=Let's Encrypt, CN=R3".into(),
            self_signed: false,
            not_before: 1_600_000_000,
            not_after: 1_700_000_000,
            rsa_bits: Some(2048),
            sans: vec!["www.example.com".into(), "*.example.com".into()],
            is_ca: false,
            der: Vec::new(),
        }
    }

    /// An anchor with a name but no usable key: it can vouch for nothing.
    fn named(subject: &str) -> TrustAnchor {
        TrustAnchor {
            subject: subject.into(),
            spki: Vec::new(),
        }
    }

    // Made by scripts/make-trust-fixtures.sh: a CA, a leaf it signed, an impostor CA with
    // the same name and another key, and a leaf the impostor signed in the CA's name.
    const FIX_CA: &str = include_str!("../../tests/fixtures/trust/ca.pem");
    const FIX_IMPOSTOR: &str = include_str!("../../tests/fixtures/trust/impostor-ca.pem");
    const FIX_LEAF: &str = include_str!("../../tests/fixtures/trust/leaf.pem");
    const FIX_FORGED: &str = include_str!("../../tests/fixtures/trust/forged-leaf.pem");

    fn fixture(pem: &str) -> CertFacts {
        let der = x509_parser::pem::Pem::iter_from_buffer(pem.as_bytes())
            .next()
            .and_then(|p| p.ok())
            .map(|p| p.contents)
            .unwrap_or_default();
        cert_facts_from_der(&der).unwrap_or_default()
    }

    fn anchors(pem: &str) -> Vec<TrustAnchor> {
        parse_ca_pem(pem.as_bytes()).unwrap_or_default()
    }

    #[test]
    fn versions() {
        let f = audit_tls_version(&[0x0301, 0x0303], Some(0x0301));
        assert_eq!(kinds(&f), vec![FindingKind::TlsOldVersion]);
        assert_eq!(f[0].severity, Severity::Medium);
        assert_eq!(f[0].evidence, "TLS 1.0");
        let f = audit_tls_version(&[], Some(0x0300));
        assert_eq!(f[0].severity, Severity::High);
        assert!(f[0].explanation.contains("SSL 3.0"));
        // Negotiated 1.3 but the client offered 1.1 and 1.0 (and GREASE).
        let f = audit_tls_version(&[0x0a0a, 0x0304, 0x0303, 0x0302, 0x0301], Some(0x0304));
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].severity, Severity::Low);
        assert_eq!(f[0].evidence, "TLS 1.0, TLS 1.1");
        assert!(audit_tls_version(&[0x0a0a, 0x0304, 0x0303], Some(0x0303)).is_empty());
        assert!(audit_tls_version(&[], None).is_empty());
    }

    #[test]
    fn ciphers() {
        let sev = |id, n| audit_cipher(id, n).map(|f| f.severity);
        assert_eq!(sev(0x0000, "TLS_NULL_WITH_NULL_NULL"), Some(Severity::High));
        assert_eq!(
            sev(0x003b, "TLS_RSA_WITH_NULL_SHA256"),
            Some(Severity::High)
        );
        assert_eq!(
            sev(0x0003, "TLS_RSA_EXPORT_WITH_RC4_40_MD5"),
            Some(Severity::High)
        );
        assert_eq!(
            sev(0x0034, "TLS_DH_anon_WITH_AES_128_CBC_SHA"),
            Some(Severity::High)
        );
        assert_eq!(
            sev(0x0005, "TLS_RSA_WITH_RC4_128_SHA"),
            Some(Severity::High)
        );
        assert_eq!(
            sev(0x000a, "TLS_RSA_WITH_3DES_EDE_CBC_SHA"),
            Some(Severity::Medium)
        );
        assert_eq!(
            sev(0x0009, "TLS_RSA_WITH_DES_CBC_SHA"),
            Some(Severity::High)
        );
        assert_eq!(sev(0x1301, "TLS_AES_128_GCM_SHA256"), None);
        assert_eq!(sev(0xc02f, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"), None);
        let f = audit_cipher(0x000a, "TLS_RSA_WITH_3DES_EDE_CBC_SHA");
        let f = f.map(|f| (f.kind, f.evidence, f.explanation));
        assert_eq!(
            f,
            Some((
                FindingKind::TlsWeakCipher,
                "0x000a TLS_RSA_WITH_3DES_EDE_CBC_SHA".to_string(),
                "The cipher suite is weak: 3DES has 64-bit blocks, open to the Sweet32 collision attack on long connections.".to_string()
            ))
        );
    }

    #[test]
    fn wildcard_rules() {
        assert!(name_matches("*.example.com", "www.example.com"));
        assert!(name_matches("*.example.com", "WWW.Example.COM."));
        assert!(!name_matches("*.example.com", "example.com"));
        assert!(!name_matches("*.example.com", "a.b.example.com"));
        assert!(!name_matches("*.com", "example.com"));
        assert!(!name_matches("w*.example.com", "www.example.com"));
        assert!(!name_matches("*.*.example.com", "a.b.example.com"));
        assert!(name_matches("example.com", "EXAMPLE.com"));
        assert!(!name_matches("", "example.com"));
    }

    #[test]
    fn certificate_valid_and_covering() {
        let leaf = fixture(FIX_LEAF);
        let f = audit_certificate(
            &leaf,
            Some("shop.squirrel.example"),
            leaf.not_before + 1,
            &anchors(FIX_CA),
        );
        assert!(f.is_empty(), "{f:?}");
    }

    #[test]
    fn certificate_problems_judged_at_capture_time() {
        let mut c = leaf();
        c.rsa_bits = Some(1024);
        // Captured after not_after; the wall clock does not matter.
        let f = audit_certificate(
            &c,
            Some("evil.test"),
            1_700_000_001,
            &[named("CN=Other CA")],
        );
        assert_eq!(
            kinds(&f),
            vec![
                FindingKind::CertNameMismatch,
                FindingKind::CertUntrustedCa,
                FindingKind::CertExpired,
                FindingKind::CertWeakKey
            ]
        );
        assert_eq!(f[0].evidence, "evil.test");
        assert_eq!(
            f[0].json()["details"]["names"],
            "www.example.com, *.example.com"
        );
        assert_eq!(f[1].evidence, "C=US, O=Let's Encrypt, CN=R3");
        assert_eq!(f[2].json()["details"]["not_after"], "2023-11-14T22:13:20Z");
        assert_eq!(f[3].severity, Severity::Medium);
        // Before not_before.
        let f = audit_certificate(&leaf(), None, 1_500_000_000, &[]);
        assert_eq!(kinds(&f), vec![FindingKind::CertNotYetValid]);
    }

    #[test]
    fn self_signed_and_cn_fallback() {
        let c = CertFacts {
            subject: "CN=localhost".into(),
            issuer: "CN=localhost".into(),
            self_signed: true,
            not_before: 0,
            not_after: i64::MAX,
            rsa_bits: None,
            sans: vec![],
            is_ca: false,
            der: Vec::new(),
        };
        let f = audit_certificate(&c, Some("localhost"), 1_000, &[]);
        assert_eq!(kinds(&f), vec![FindingKind::CertSelfSigned]);
        // A matching name without the key proves nothing.
        let f = audit_certificate(&c, Some("other"), 1_000, &[named("CN=localhost")]);
        assert_eq!(
            kinds(&f),
            vec![FindingKind::CertNameMismatch, FindingKind::CertSelfSigned]
        );
        // Trusted explicitly through the CA file (same name and key): no finding.
        let mut own = fixture(FIX_CA);
        own.is_ca = false;
        let t = own.not_before + 1;
        assert!(audit_certificate(&own, None, t, &anchors(FIX_CA)).is_empty());
        // The same name under another key is not that anchor.
        let f = audit_certificate(&own, None, t, &anchors(FIX_IMPOSTOR));
        assert_eq!(kinds(&f), vec![FindingKind::CertSelfSigned]);
    }

    #[test]
    fn chain_trust() {
        let inter = CertFacts {
            subject: "C=US, O=Let's Encrypt, CN=R3".into(),
            issuer: "O=Internet Security Research Group, CN=ISRG Root X1".into(),
            self_signed: false,
            not_before: 0,
            not_after: i64::MAX,
            rsa_bits: Some(2048),
            sans: vec![],
            is_ca: true,
            der: Vec::new(),
        };
        let chain = vec![leaf(), inter];
        // Names alone, even the right one, never make a chain trusted.
        for root in [
            "O=Internet Security Research Group, CN=ISRG Root X1",
            "CN=Corp CA",
        ] {
            let f = audit_chain(
                &chain,
                Some("www.example.com"),
                1_650_000_000,
                &[named(root)],
            );
            assert_eq!(kinds(&f), vec![FindingKind::CertUntrustedCa]);
            assert_eq!(
                f[0].evidence,
                "O=Internet Security Research Group, CN=ISRG Root X1"
            );
        }
        assert!(audit_chain(&[], None, 0, &[]).is_empty());
    }

    #[test]
    fn chain_trust_needs_signatures() {
        let (ca, impostor) = (fixture(FIX_CA), fixture(FIX_IMPOSTOR));
        let (leaf, forged) = (fixture(FIX_LEAF), fixture(FIX_FORGED));
        assert!(!leaf.der.is_empty() && !forged.der.is_empty());
        // The forgery names the trusted CA exactly as the real leaf does.
        assert_eq!(forged.issuer, leaf.issuer);
        assert_eq!(impostor.subject, ca.subject);
        let store = anchors(FIX_CA);
        let t = leaf.not_before + 1;
        let sni = Some("shop.squirrel.example");
        // Signed by the anchor's key: trusted, with or without the CA in the chain.
        for chain in [vec![leaf.clone()], vec![leaf.clone(), ca.clone()]] {
            assert_eq!(trust_anchor(&chain, &store), store.first());
            assert!(audit_chain(&chain, sni, t, &store).is_empty());
        }
        // Signed by another key in the CA's name: not trusted, even when the server also
        // sends the impostor CA certificate.
        for chain in [vec![forged.clone()], vec![forged.clone(), impostor.clone()]] {
            assert_eq!(trust_anchor(&chain, &store), None);
            let f = audit_chain(&chain, sni, t, &store);
            assert_eq!(kinds(&f), vec![FindingKind::CertUntrustedCa]);
            assert_eq!(f[0].evidence, ca.subject);
        }
        // A real leaf with the impostor as the only anchor is not trusted either.
        assert_eq!(trust_anchor(&[leaf], &anchors(FIX_IMPOSTOR)), None);
        // A chain that is not the leaf's own (the CA sent first) does not lend trust.
        assert_eq!(trust_anchor(&[forged, ca], &store), None);
    }

    #[test]
    fn ca_file_and_facts_from_der() {
        let subjects = parse_ca_pem(PEM.as_bytes());
        assert_eq!(
            subjects
                .ok()
                .map(|v| v.into_iter().map(|a| a.subject).collect::<Vec<_>>()),
            Some(vec!["O=Squirrel Test, CN=test.squirrel.example".to_string()])
        );
        let dir = std::env::temp_dir().join(format!("sq-ca-{}", std::process::id()));
        let _ = std::fs::create_dir_all(&dir);
        let path = dir.join("ca.pem");
        assert!(std::fs::write(&path, format!("junk before\n{PEM}{PEM}")).is_ok());
        let loaded = load_ca_file(&path);
        let _ = std::fs::remove_dir_all(&dir);
        assert_eq!(loaded.map(|v| v.len()).ok(), Some(2));
        assert!(matches!(
            parse_ca_pem(b"nothing"),
            Err(CaFileError::NoCertificates)
        ));
        assert!(matches!(
            load_ca_file(Path::new("/nonexistent/ca.pem")),
            Err(CaFileError::Io { .. })
        ));

        let der = x509_parser::pem::Pem::iter_from_buffer(PEM.as_bytes())
            .next()
            .and_then(|p| p.ok())
            .map(|p| p.contents)
            .unwrap_or_default();
        let facts = cert_facts_from_der(&der);
        let want = CertFacts {
            subject: "O=Squirrel Test, CN=test.squirrel.example".into(),
            issuer: "O=Squirrel Test, CN=test.squirrel.example".into(),
            self_signed: true,
            not_before: NOT_BEFORE,
            not_after: NOT_AFTER,
            rsa_bits: Some(1024),
            sans: vec![
                "test.squirrel.example".into(),
                "*.api.squirrel.example".into(),
            ],
            is_ca: true,
            der: der.clone(),
        };
        assert_eq!(facts.as_ref(), Some(&want));
        assert_eq!(cert_facts_from_der(b"\x30\x03junk"), None);
        // As a leaf (ignore the CA flag): weak key and wildcard SAN coverage.
        let mut as_leaf = want.clone();
        as_leaf.is_ca = false;
        let f = audit_certificate(
            &as_leaf,
            Some("v1.api.squirrel.example"),
            NOT_BEFORE + 10,
            &[],
        );
        assert_eq!(
            kinds(&f),
            vec![FindingKind::CertSelfSigned, FindingKind::CertWeakKey]
        );
    }

    #[test]
    fn modulus_bit_count() {
        assert_eq!(modulus_bits(&[0x00, 0x80, 0x00]), 16);
        assert_eq!(modulus_bits(&[0x01, 0xff]), 9);
        assert_eq!(modulus_bits(&[0, 0]), 0);
    }

    #[test]
    fn alerts() {
        assert_eq!(
            explain_alert(48),
            "the client does not trust the CA that issued the server's certificate (Python's CERTIFICATE_VERIFY_FAILED)"
        );
        assert_eq!(alert_name(48), Some("unknown_ca"));
        assert_eq!(alert_name(112), Some("unrecognized_name"));
        assert_eq!(alert_name(200), None);
        assert!(explain_alert(40).contains("could not agree"));
        assert!(explain_alert(70).contains("TLS version"));
        assert!(explain_alert(45).contains("expired"));
        assert!(explain_alert(42).contains("signature"));
        assert!(explain_alert(112).contains("SNI"));
        assert_eq!(
            explain_alert(250),
            "an alert code that is not in the TLS registry"
        );
        let f = audit_alert(2, 48);
        assert_eq!(
            f.map(|f| (f.kind, f.evidence, f.explanation)),
            Some((
                FindingKind::HandshakeFailure,
                "fatal alert 48 unknown_ca".to_string(),
                "The TLS connection failed: the client does not trust the CA that issued the server's certificate (Python's CERTIFICATE_VERIFY_FAILED).".to_string()
            ))
        );
        assert!(audit_alert(1, 112).is_none());
        assert!(audit_alert(2, 0).is_none());
    }

    #[test]
    fn response_headers_clear() {
        let headers: &[(&str, &[u8])] = &[
            ("Set-Cookie", b"sid=abc; Path=/"),
            ("Set-Cookie", b"pref=1; Secure"),
            ("Set-Cookie", b"ok=1; Secure; HttpOnly"),
        ];
        let f = audit_response_headers(200, headers, Transport::Clear, Some("example.com"));
        assert_eq!(
            kinds(&f),
            vec![
                FindingKind::SetCookieInsecure,
                FindingKind::SetCookieInsecure,
                FindingKind::NoHttpsRedirect
            ]
        );
        assert_eq!(f[0].severity, Severity::Medium);
        assert_eq!(f[0].json()["details"]["missing"], "Secure,HttpOnly");
        assert_eq!(f[1].severity, Severity::Low);
        assert_eq!(f[1].json()["details"]["missing"], "HttpOnly");
        assert_eq!(f[2].evidence, "http://example.com → 200");
        // A redirect to https is fine; one to http is not.
        let r: &[(&str, &[u8])] = &[("Location", b"https://example.com/")];
        assert!(audit_response_headers(301, r, Transport::Clear, None).is_empty());
        let r: &[(&str, &[u8])] = &[("Location", b"http://example.com/")];
        assert_eq!(
            kinds(&audit_response_headers(302, r, Transport::Clear, None)),
            vec![FindingKind::NoHttpsRedirect]
        );
    }

    #[test]
    fn response_headers_hsts() {
        let none: &[(&str, &[u8])] = &[("Content-Type", b"text/html")];
        let f = audit_response_headers(200, none, Transport::DecryptedTls, Some("example.com"));
        assert_eq!(kinds(&f), vec![FindingKind::MissingHsts]);
        assert_eq!(f[0].evidence, "example.com");
        let good: &[(&str, &[u8])] = &[(
            "Strict-Transport-Security",
            b"max-age=31536000; includeSubDomains",
        )];
        assert!(audit_response_headers(200, good, Transport::DecryptedTls, None).is_empty());
        let off: &[(&str, &[u8])] = &[("strict-transport-security", b"Max-Age=0")];
        let f = audit_response_headers(200, off, Transport::DecryptedTls, None);
        assert!(f[0].explanation.contains("max-age=0"));
    }

    #[test]
    fn mixed_content_redirect_and_links() {
        let redirect = [("Location", b"http://example.com/".as_slice())];
        let f = audit_mixed_content(301, &redirect, b"", None);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].kind, FindingKind::MixedContent);
        assert_eq!(f[0].evidence, "http://example.com/");
        let safe = [("Location", b"https://example.com/".as_slice())];
        assert!(audit_mixed_content(301, &safe, b"", None).is_empty());
        let none: [(&str, &[u8]); 0] = [];
        let page = b"<img SRC=\"http://cdn.example/a.png\"><a href=\"https://ok\">";
        let f = audit_mixed_content(
            200,
            &none,
            page,
            Some(b"text/html; charset=utf-8".as_slice()),
        );
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].evidence, "http://cdn.example/a.png");
        assert!(audit_mixed_content(200, &none, page, Some(b"text/plain".as_slice())).is_empty());
    }
}
