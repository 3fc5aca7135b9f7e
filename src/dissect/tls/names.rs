//! Names of TLS code points as tshark and the IANA registries spell them.
//!
//! Cipher-suite names come from tls-parser's table ([`tls_parser::TlsCipherSuite::from_id`]);
//! the other registries below are small fact tables (tls-parser's own enums print Rust-style
//! names such as `UnknownCa`, not the names an analyst searches for).

/// GREASE values (RFC 8701): `0x?a?a` with both bytes equal.
pub fn is_grease(v: u16) -> bool {
    v & 0x0f0f == 0x0a0a && (v >> 8) == (v & 0xff)
}

/// Record content type title as in tshark's record line (`Handshake`, `Alert`, ...).
pub fn content_type_name(t: u8) -> &'static str {
    match t {
        20 => "Change Cipher Spec",
        21 => "Alert",
        22 => "Handshake",
        23 => "Application Data",
        24 => "Heartbeat",
        _ => "Unknown",
    }
}

/// A TLS version for JSON, always in one form: `{"name": "TLS 1.3", "id": 772}`.
pub fn version_json(v: u16) -> serde_json::Value {
    crate::dissect::fields::id_name_json(v.into(), &version_name(v))
}

/// Version as tshark's field value shows it: `TLS 1.2`, `SSL 3.0`, `Reserved (GREASE)`.
pub fn version_name(v: u16) -> String {
    match v {
        0x0002 => "SSL 2.0".into(),
        0x0300 => "SSL 3.0".into(),
        0x0301 => "TLS 1.0".into(),
        0x0302 => "TLS 1.1".into(),
        0x0303 => "TLS 1.2".into(),
        0x0304 => "TLS 1.3".into(),
        0xfeff => "DTLS 1.0".into(),
        0xfefd => "DTLS 1.2".into(),
        0xfefc => "DTLS 1.3".into(),
        v if is_grease(v) => "Reserved (GREASE)".into(),
        v if v & 0xff00 == 0x7f00 => format!("TLS 1.3 (draft {})", v & 0xff),
        _ => "Unknown".into(),
    }
}

/// Protocol column label for a version, as tshark prints it (`TLSv1.2`, `TLSv1`, `SSLv3`).
pub fn protocol_label(v: u16) -> &'static str {
    match v {
        0x0002 => "SSLv2",
        0x0300 => "SSLv3",
        0x0301 => "TLSv1",
        0x0302 => "TLSv1.1",
        0x0303 => "TLSv1.2",
        0x0304 => "TLSv1.3",
        v if v & 0xff00 == 0x7f00 => "TLSv1.3",
        _ => "TLS",
    }
}

/// Handshake message type title as tshark shows it (`Client Hello`, `Server Hello Done`).
pub fn handshake_name(t: u8) -> Option<&'static str> {
    Some(match t {
        0 => "Hello Request",
        1 => "Client Hello",
        2 => "Server Hello",
        3 => "Hello Verify Request",
        4 => "New Session Ticket",
        5 => "End of Early Data",
        6 => "Hello Retry Request",
        8 => "Encrypted Extensions",
        11 => "Certificate",
        12 => "Server Key Exchange",
        13 => "Certificate Request",
        14 => "Server Hello Done",
        15 => "Certificate Verify",
        16 => "Client Key Exchange",
        20 => "Finished",
        21 => "Certificate URL",
        22 => "Certificate Status",
        23 => "Supplemental Data",
        24 => "Key Update",
        25 => "Compressed Certificate",
        67 => "Next Protocol",
        254 => "Message Hash",
        _ => return None,
    })
}

/// Cipher suite name (IANA, from tls-parser's table); GREASE and unknown values marked.
pub fn cipher_suite_name(id: u16) -> String {
    if is_grease(id) {
        return "Reserved (GREASE)".into();
    }
    match tls_parser::TlsCipherSuite::from_id(id) {
        Some(cs) => cs.name.to_string(),
        None => match id {
            0x00ff => "TLS_EMPTY_RENEGOTIATION_INFO_SCSV".into(),
            0x5600 => "TLS_FALLBACK_SCSV".into(),
            _ => "Unknown".into(),
        },
    }
}

/// SSLv2 cipher spec name (3-byte values); values `0x00XXXX` are TLS suites.
pub fn sslv2_cipher_name(id: u32) -> String {
    let name = match id {
        0x010080 => "SSL2_RC4_128_WITH_MD5",
        0x020080 => "SSL2_RC4_128_EXPORT40_WITH_MD5",
        0x030080 => "SSL2_RC2_128_CBC_WITH_MD5",
        0x040080 => "SSL2_RC2_128_CBC_EXPORT40_WITH_MD5",
        0x050080 => "SSL2_IDEA_128_CBC_WITH_MD5",
        0x060040 => "SSL2_DES_64_CBC_WITH_MD5",
        0x0700c0 => "SSL2_DES_192_EDE3_CBC_WITH_MD5",
        0x080080 => "SSL2_RC4_64_WITH_MD5",
        _ => {
            return match u16::try_from(id) {
                Ok(tls) => cipher_suite_name(tls),
                Err(_) => "Unknown".into(),
            }
        }
    };
    name.into()
}

/// Extension name (IANA registry, as tshark spells it), `None` when unassigned/unknown.
pub fn extension_name(id: u16) -> Option<&'static str> {
    Some(match id {
        0 => "server_name",
        1 => "max_fragment_length",
        2 => "client_certificate_url",
        3 => "trusted_ca_keys",
        4 => "truncated_hmac",
        5 => "status_request",
        6 => "user_mapping",
        7 => "client_authz",
        8 => "server_authz",
        9 => "cert_type",
        10 => "supported_groups",
        11 => "ec_point_formats",
        12 => "srp",
        13 => "signature_algorithms",
        14 => "use_srtp",
        15 => "heartbeat",
        16 => "application_layer_protocol_negotiation",
        17 => "status_request_v2",
        18 => "signed_certificate_timestamp",
        19 => "client_certificate_type",
        20 => "server_certificate_type",
        21 => "padding",
        22 => "encrypt_then_mac",
        23 => "extended_master_secret",
        24 => "token_binding",
        25 => "cached_info",
        27 => "compress_certificate",
        28 => "record_size_limit",
        34 => "delegated_credentials",
        35 => "session_ticket",
        41 => "pre_shared_key",
        42 => "early_data",
        43 => "supported_versions",
        44 => "cookie",
        45 => "psk_key_exchange_modes",
        47 => "certificate_authorities",
        48 => "oid_filters",
        49 => "post_handshake_auth",
        50 => "signature_algorithms_cert",
        51 => "key_share",
        57 => "quic_transport_parameters",
        13172 => "next_protocol_negotiation",
        17513 | 17613 => "application_settings",
        0xfe0d => "encrypted_client_hello",
        0xff01 => "renegotiation_info",
        0xffce => "encrypted_server_name",
        v if is_grease(v) => "Reserved (GREASE)",
        _ => return None,
    })
}

/// Supported group / key-share group name (IANA TLS Supported Groups registry).
pub fn group_name(id: u16) -> String {
    let n = match id {
        1 => "sect163k1",
        2 => "sect163r1",
        3 => "sect163r2",
        4 => "sect193r1",
        5 => "sect193r2",
        6 => "sect233k1",
        7 => "sect233r1",
        8 => "sect239k1",
        9 => "sect283k1",
        10 => "sect283r1",
        11 => "sect409k1",
        12 => "sect409r1",
        13 => "sect571k1",
        14 => "sect571r1",
        15 => "secp160k1",
        16 => "secp160r1",
        17 => "secp160r2",
        18 => "secp192k1",
        19 => "secp192r1",
        20 => "secp224k1",
        21 => "secp224r1",
        22 => "secp256k1",
        23 => "secp256r1",
        24 => "secp384r1",
        25 => "secp521r1",
        26 => "brainpoolP256r1",
        27 => "brainpoolP384r1",
        28 => "brainpoolP512r1",
        29 => "x25519",
        30 => "x448",
        31 => "brainpoolP256r1tls13",
        32 => "brainpoolP384r1tls13",
        33 => "brainpoolP512r1tls13",
        34 => "GC256A",
        41 => "curveSM2",
        0x0100 => "ffdhe2048",
        0x0101 => "ffdhe3072",
        0x0102 => "ffdhe4096",
        0x0103 => "ffdhe6144",
        0x0104 => "ffdhe8192",
        0x0200 => "MLKEM512",
        0x0201 => "MLKEM768",
        0x0202 => "MLKEM1024",
        0x11eb => "SecP256r1MLKEM768",
        0x11ec => "X25519MLKEM768",
        0x11ed => "SecP384r1MLKEM1024",
        0x6399 => "X25519Kyber768Draft00",
        0x639a => "SecP256r1Kyber768Draft00",
        0xff01 => "arbitrary_explicit_prime_curves",
        0xff02 => "arbitrary_explicit_char2_curves",
        v if is_grease(v) => "Reserved (GREASE)",
        _ => "Unknown",
    };
    n.into()
}

/// Signature scheme name (RFC 8446 names; TLS 1.2 hash/signature pairs shown likewise).
pub fn signature_scheme_name(id: u16) -> String {
    let n = match id {
        0x0201 => "rsa_pkcs1_sha1",
        0x0202 => "SHA1 DSA",
        0x0203 => "ecdsa_sha1",
        0x0301 => "SHA224 RSA",
        0x0302 => "SHA224 DSA",
        0x0303 => "SHA224 ECDSA",
        0x0401 => "rsa_pkcs1_sha256",
        0x0402 => "SHA256 DSA",
        0x0403 => "ecdsa_secp256r1_sha256",
        0x0420 => "rsa_pkcs1_sha256_legacy",
        0x0501 => "rsa_pkcs1_sha384",
        0x0502 => "SHA384 DSA",
        0x0503 => "ecdsa_secp384r1_sha384",
        0x0601 => "rsa_pkcs1_sha512",
        0x0602 => "SHA512 DSA",
        0x0603 => "ecdsa_secp521r1_sha512",
        0x0708 => "sm2sig_sm3",
        0x0804 => "rsa_pss_rsae_sha256",
        0x0805 => "rsa_pss_rsae_sha384",
        0x0806 => "rsa_pss_rsae_sha512",
        0x0807 => "ed25519",
        0x0808 => "ed448",
        0x0809 => "rsa_pss_pss_sha256",
        0x080a => "rsa_pss_pss_sha384",
        0x080b => "rsa_pss_pss_sha512",
        0x081a => "ecdsa_brainpoolP256r1tls13_sha256",
        0x081b => "ecdsa_brainpoolP384r1tls13_sha384",
        0x081c => "ecdsa_brainpoolP512r1tls13_sha512",
        0x0904 => "mldsa44",
        0x0905 => "mldsa65",
        0x0906 => "mldsa87",
        v if is_grease(v) => "Reserved (GREASE)",
        _ => "Unknown",
    };
    n.into()
}

/// Alert level: (tshark title, snake-case name).
pub fn alert_level_name(l: u8) -> (&'static str, &'static str) {
    match l {
        1 => ("Warning", "warning"),
        2 => ("Fatal", "fatal"),
        _ => ("Unknown", "unknown"),
    }
}

/// Alert description: (tshark title, RFC snake-case name).
pub fn alert_description_name(d: u8) -> (&'static str, &'static str) {
    match d {
        0 => ("Close Notify", "close_notify"),
        10 => ("Unexpected Message", "unexpected_message"),
        20 => ("Bad Record MAC", "bad_record_mac"),
        21 => ("Decryption Failed", "decryption_failed"),
        22 => ("Record Overflow", "record_overflow"),
        30 => ("Decompression Failure", "decompression_failure"),
        40 => ("Handshake Failure", "handshake_failure"),
        41 => ("No Certificate", "no_certificate"),
        42 => ("Bad Certificate", "bad_certificate"),
        43 => ("Unsupported Certificate", "unsupported_certificate"),
        44 => ("Certificate Revoked", "certificate_revoked"),
        45 => ("Certificate Expired", "certificate_expired"),
        46 => ("Certificate Unknown", "certificate_unknown"),
        47 => ("Illegal Parameter", "illegal_parameter"),
        48 => ("Unknown CA", "unknown_ca"),
        49 => ("Access Denied", "access_denied"),
        50 => ("Decode Error", "decode_error"),
        51 => ("Decrypt Error", "decrypt_error"),
        60 => ("Export Restriction", "export_restriction"),
        70 => ("Protocol Version", "protocol_version"),
        71 => ("Insufficient Security", "insufficient_security"),
        80 => ("Internal Error", "internal_error"),
        86 => ("Inappropriate Fallback", "inappropriate_fallback"),
        90 => ("User Canceled", "user_canceled"),
        100 => ("No Renegotiation", "no_renegotiation"),
        109 => ("Missing Extension", "missing_extension"),
        110 => ("Unsupported Extension", "unsupported_extension"),
        111 => ("Certificate Unobtainable", "certificate_unobtainable"),
        112 => ("Unrecognized Name", "unrecognized_name"),
        113 => (
            "Bad Certificate Status Response",
            "bad_certificate_status_response",
        ),
        114 => ("Bad Certificate Hash Value", "bad_certificate_hash_value"),
        115 => ("Unknown PSK Identity", "unknown_psk_identity"),
        116 => ("Certificate Required", "certificate_required"),
        120 => ("No Application Protocol", "no_application_protocol"),
        121 => ("ECH Required", "ech_required"),
        _ => ("Unknown", "unknown"),
    }
}

/// PSK key exchange mode name (RFC 8446).
pub fn psk_mode_name(m: u8) -> &'static str {
    match m {
        0 => "PSK-only key establishment (psk_ke)",
        1 => "PSK with (EC)DHE key establishment (psk_dhe_ke)",
        _ => "Unknown",
    }
}

/// EC point format name (RFC 8422).
pub fn ec_point_format_name(f: u8) -> &'static str {
    match f {
        0 => "uncompressed",
        1 => "ansiX962_compressed_prime",
        2 => "ansiX962_compressed_char2",
        _ => "Unknown",
    }
}

/// Certificate compression algorithm name (RFC 8879).
pub fn cert_compression_name(a: u16) -> &'static str {
    match a {
        1 => "zlib",
        2 => "brotli",
        3 => "zstd",
        _ => "Unknown",
    }
}

/// Client certificate type (CertificateRequest) name.
pub fn client_cert_type_name(t: u8) -> &'static str {
    match t {
        1 => "RSA Sign",
        2 => "DSS Sign",
        3 => "RSA Fixed DH",
        4 => "DSS Fixed DH",
        64 => "ECDSA Sign",
        65 => "RSA Fixed ECDH",
        66 => "ECDSA Fixed ECDH",
        _ => "Unknown",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grease_values() {
        assert!(is_grease(0x0a0a));
        assert!(is_grease(0xfafa));
        assert!(is_grease(0x8a8a));
        assert!(!is_grease(0x0a1a));
        assert!(!is_grease(0x1301));
    }

    #[test]
    fn names_from_tables() {
        assert_eq!(cipher_suite_name(0x1301), "TLS_AES_128_GCM_SHA256");
        assert_eq!(cipher_suite_name(0xeaea), "Reserved (GREASE)");
        assert_eq!(group_name(0x11ec), "X25519MLKEM768");
        assert_eq!(group_name(0x6399), "X25519Kyber768Draft00");
        assert_eq!(alert_description_name(48), ("Unknown CA", "unknown_ca"));
        assert_eq!(protocol_label(0x0301), "TLSv1");
        assert_eq!(extension_name(0xfe0d), Some("encrypted_client_hello"));
        assert_eq!(extension_name(4242), None);
    }
}
