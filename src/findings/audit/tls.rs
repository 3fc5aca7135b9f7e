//! TLS protocol audits: old versions, weak cipher suites, fatal alerts.

use super::super::finding::{Finding, FindingKind, Severity};

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
pub(super) fn is_old_version(v: u16) -> bool {
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
