//! Certificate audits: validity at capture time, key size, name coverage, self-signed,
//! and the chain's trust.

use super::super::finding::{Finding, FindingKind, Severity};
use super::ca::{trust_anchor, TrustAnchor};
use crate::dissect::tls::CertSummary;
use crate::present::time::rfc3339_secs;

/// RSA keys shorter than this are weak.
pub const MIN_RSA_BITS: u32 = 2048;

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

/// Validity and key-size checks of one certificate.
pub(super) fn cert_own_checks(c: &CertSummary, capture_time_unix: i64, out: &mut Vec<Finding>) {
    if capture_time_unix > c.not_after {
        out.push(
            Finding::new(
                FindingKind::CertExpired,
                Severity::High,
                c.subject.as_bytes(),
                format!(
                    "The certificate had expired when this was captured (not after {}), so clients that check it refuse the connection.",
                    rfc3339_secs(c.not_after)
                ),
            )
            .detail("not_after", rfc3339_secs(c.not_after)),
        );
    } else if capture_time_unix < c.not_before {
        out.push(
            Finding::new(
                FindingKind::CertNotYetValid,
                Severity::High,
                c.subject.as_bytes(),
                format!(
                    "The certificate was not yet valid when this was captured (not before {}); check the clocks.",
                    rfc3339_secs(c.not_before)
                ),
            )
            .detail("not_before", rfc3339_secs(c.not_before)),
        );
    }
    if let Some(bits) = c.key.rsa_bits().filter(|b| *b < MIN_RSA_BITS) {
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

pub(super) fn name_check(leaf: &CertSummary, sni: Option<&str>, out: &mut Vec<Finding>) {
    let Some(host) = sni.filter(|h| !h.trim().is_empty()) else {
        return;
    };
    let mut names: Vec<String> = leaf.dns_names().map(str::to_string).collect();
    if names.is_empty() {
        names.extend(leaf.subject_cn.clone());
    }
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

pub(super) fn self_signed_finding(c: &CertSummary) -> Finding {
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
/// For a CA certificate (`ca`) the name and self-signed checks are skipped.
pub fn audit_certificate(
    cert: &CertSummary,
    sni: Option<&str>,
    capture_time_unix: i64,
    anchors: &[TrustAnchor],
) -> Vec<Finding> {
    let mut out = Vec::new();
    if !cert.ca {
        name_check(cert, sni, &mut out);
    }
    let trusted = trust_anchor(std::slice::from_ref(cert), anchors).is_some();
    if cert.self_signed {
        if !cert.ca && !trusted {
            out.push(self_signed_finding(cert));
        }
    } else if !anchors.is_empty() && !trusted {
        out.push(untrusted_finding(cert));
    }
    cert_own_checks(cert, capture_time_unix, &mut out);
    out
}

pub(super) fn untrusted_finding(c: &CertSummary) -> Finding {
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
    chain: &[CertSummary],
    sni: Option<&str>,
    capture_time_unix: i64,
    anchors: &[TrustAnchor],
) -> Vec<Finding> {
    let trusted = trust_anchor(chain, anchors).is_some();
    audit_judged_chain(chain, sni, capture_time_unix, !anchors.is_empty(), trusted)
}

/// [`audit_chain`] of a chain whose trust is already judged: `trusted` is whether
/// [`trust_anchor`] found an anchor for it among the anchors (`checked`: there were some).
pub fn audit_judged_chain(
    chain: &[CertSummary],
    sni: Option<&str>,
    capture_time_unix: i64,
    checked: bool,
    trusted: bool,
) -> Vec<Finding> {
    let mut out = Vec::new();
    let Some(leaf) = chain.first() else {
        return out;
    };
    name_check(leaf, sni, &mut out);
    if leaf.self_signed && !trusted {
        out.push(self_signed_finding(leaf));
    } else if !trusted && checked {
        if let Some(top) = chain.last() {
            out.push(untrusted_finding(top));
        }
    }
    for c in chain {
        cert_own_checks(c, capture_time_unix, &mut out);
    }
    out
}
