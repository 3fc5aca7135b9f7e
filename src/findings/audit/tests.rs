use std::path::Path;

use super::super::finding::{Finding, FindingKind, Severity, Transport};
use super::*;
use crate::dissect::tls::{summarize, AltName, CertSummary, KeyAlgorithm, PublicKeyInfo};

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

fn rsa(bits: u32) -> PublicKeyInfo {
    PublicKeyInfo {
        algorithm: KeyAlgorithm::Rsa,
        bits: Some(bits),
    }
}

fn leaf() -> CertSummary {
    CertSummary {
        subject: "O=Example, CN=www.example.com".into(),
        subject_cn: Some("www.example.com".into()),
        issuer: "C=US, O=Let's Encrypt, CN=R3".into(),
        not_before: 1_600_000_000,
        not_after: 1_700_000_000,
        key: rsa(2048),
        san: vec![
            AltName::Dns("www.example.com".into()),
            AltName::Dns("*.example.com".into()),
            AltName::Ip("192.0.2.1".into()),
        ],
        ..CertSummary::default()
    }
}

/// An anchor with a name but no usable key: it can vouch for nothing.
fn named(subject: &str) -> TrustAnchor {
    TrustAnchor::new(subject.into(), Vec::new())
}

// Made by scripts/make-trust-fixtures.sh: a CA, a leaf it signed, an impostor CA with
// the same name and another key, and a leaf the impostor signed in the CA's name.
const FIX_CA: &str = include_str!("../../../tests/fixtures/trust/ca.pem");
const FIX_IMPOSTOR: &str = include_str!("../../../tests/fixtures/trust/impostor-ca.pem");
const FIX_LEAF: &str = include_str!("../../../tests/fixtures/trust/leaf.pem");
const FIX_FORGED: &str = include_str!("../../../tests/fixtures/trust/forged-leaf.pem");

fn fixture(pem: &str) -> CertSummary {
    let der = x509_parser::pem::Pem::iter_from_buffer(pem.as_bytes())
        .next()
        .and_then(|p| p.ok())
        .map(|p| p.contents)
        .unwrap_or_default();
    summarize(0, &der)
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
    c.key = rsa(1024);
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
    let c = CertSummary {
        subject: "CN=localhost".into(),
        subject_cn: Some("localhost".into()),
        issuer: "CN=localhost".into(),
        self_signed: true,
        not_after: i64::MAX,
        // No DNS name among the alternative names: the CN is the name.
        san: vec![AltName::Ip("127.0.0.1".into())],
        ..CertSummary::default()
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
    own.ca = false;
    let t = own.not_before + 1;
    assert!(audit_certificate(&own, None, t, &anchors(FIX_CA)).is_empty());
    // The same name under another key is not that anchor.
    let f = audit_certificate(&own, None, t, &anchors(FIX_IMPOSTOR));
    assert_eq!(kinds(&f), vec![FindingKind::CertSelfSigned]);
}

#[test]
fn chain_trust() {
    let inter = CertSummary {
        subject: "C=US, O=Let's Encrypt, CN=R3".into(),
        issuer: "O=Internet Security Research Group, CN=ISRG Root X1".into(),
        not_after: i64::MAX,
        key: rsa(2048),
        ca: true,
        ..CertSummary::default()
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
    let facts = summarize(0, &der);
    assert_eq!(facts.parse_error, None);
    assert_eq!(facts.subject, "O=Squirrel Test, CN=test.squirrel.example");
    assert_eq!(facts.issuer, facts.subject);
    assert_eq!(facts.subject_cn.as_deref(), Some("test.squirrel.example"));
    assert_eq!((facts.not_before, facts.not_after), (NOT_BEFORE, NOT_AFTER));
    assert_eq!(facts.not_before_text(), "2026-11-22T19:42:52Z");
    assert_eq!(facts.key, rsa(1024));
    assert_eq!(facts.key.to_string(), "RSA 1024");
    assert_eq!(
        facts.dns_names().collect::<Vec<_>>(),
        vec!["test.squirrel.example", "*.api.squirrel.example"]
    );
    assert!(facts.ca);
    assert_eq!(facts.der, der);
    // Self-signed, proven by its signature under its own 1024-bit key (below ring's floor).
    assert!(facts.self_signed);
    assert!(summarize(0, b"\x30\x03junk").parse_error.is_some());
    // As a leaf (ignore the CA flag): weak key and wildcard SAN coverage.
    let mut as_leaf = facts.clone();
    as_leaf.ca = false;
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
fn self_signed_is_proven_by_its_own_key_not_by_names() {
    let ca = fixture(FIX_CA);
    assert_eq!(ca.subject, ca.issuer);
    assert!(ca.self_signed);
    // The same certificate with one bit of its signature flipped: still the same names,
    // but its own key no longer verifies it.
    let mut der = ca.der.clone();
    if let Some(last) = der.last_mut() {
        *last ^= 0x01;
    }
    let tampered = summarize(0, &der);
    assert_eq!(tampered.parse_error, None);
    assert_eq!(tampered.subject, tampered.issuer);
    assert!(!tampered.self_signed);
    // A leaf signed by the CA is not self-signed.
    assert!(!fixture(FIX_LEAF).self_signed);
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
