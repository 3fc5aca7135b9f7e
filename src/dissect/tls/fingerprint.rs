//! Client and server fingerprints: JA3, JA3S and JA4.
//!
//! All three are computed from values already decoded from the hello messages; GREASE
//! values (RFC 8701, `0x?a?a`) are left out everywhere.

use md5::{Digest as _, Md5};
use sha2::Sha256;

use super::names::is_grease;

/// Inputs of the client fingerprints, in wire order.
#[derive(Debug, Clone, Default)]
pub struct ClientFingerprintInput<'a> {
    /// ClientHello legacy version (e.g. 0x0303).
    pub legacy_version: u16,
    /// Cipher suites (SSLv2 specs may exceed 16 bits).
    pub ciphers: &'a [u32],
    /// Extension ids in wire order.
    pub extensions: &'a [u16],
    /// supported_groups values in order.
    pub groups: &'a [u16],
    /// ec_point_formats values in order.
    pub point_formats: &'a [u8],
    /// supported_versions values (for JA4's version).
    pub supported_versions: &'a [u16],
    /// signature_algorithms in order.
    pub signature_algorithms: &'a [u16],
    /// First ALPN protocol, if any.
    pub first_alpn: Option<&'a [u8]>,
    /// True when a server_name extension is present.
    pub has_sni: bool,
}

fn dash_join<'a, T: Into<u32> + Copy + 'a>(v: impl Iterator<Item = &'a T>) -> String {
    let mut s = String::new();
    push_dash_join(&mut s, v);
    s
}

/// The decimal values joined by `-`, appended to `s`.
fn push_dash_join<'a, T: Into<u32> + Copy + 'a>(s: &mut String, v: impl Iterator<Item = &'a T>) {
    push_sep_join(s, v, '-', |s, x| {
        s.push_str(itoa::Buffer::new().format((*x).into()))
    });
}

/// `n` appended as lowercase hex of at least four digits (what `{n:04x}` writes): a 16-bit
/// value as its two bytes through `hex`, without the formatter (these lists run for every
/// hello); a longer SSLv2 cipher spec through the formatter.
fn push_hex4(s: &mut String, n: u32) {
    let mut digits = [0; 4];
    let text = u16::try_from(n)
        .ok()
        .filter(|v| hex::encode_to_slice(v.to_be_bytes(), &mut digits).is_ok())
        .and_then(|_| std::str::from_utf8(&digits).ok());
    match text {
        Some(t) => s.push_str(t),
        None => {
            use std::fmt::Write as _;
            let _ = write!(s, "{n:04x}");
        }
    }
}

/// Lowercase hex of `bytes` (at most 32) as a `String`, encoded into a buffer on the stack
/// by `hex` (not a `char` at a time).
fn hex_string(bytes: &[u8]) -> String {
    let mut buf = [0; 64];
    let text = match buf.get_mut(..bytes.len() * 2) {
        Some(out) => match hex::encode_to_slice(bytes, &mut *out) {
            Ok(()) => std::str::from_utf8(out).ok(),
            Err(_) => None,
        },
        None => None,
    };
    match text {
        Some(t) => t.to_string(),
        None => hex::encode(bytes),
    }
}

/// The items written one after the other by `item`, `sep` between them (one string, no
/// string per item: this runs for every ClientHello).
fn sep_join<T>(v: impl Iterator<Item = T>, sep: char, item: impl Fn(&mut String, T)) -> String {
    let mut s = String::new();
    push_sep_join(&mut s, v, sep, item);
    s
}

/// [`sep_join`] appending to `s`.
fn push_sep_join<T>(
    s: &mut String,
    v: impl Iterator<Item = T>,
    sep: char,
    item: impl Fn(&mut String, T),
) {
    for (i, x) in v.enumerate() {
        if i > 0 {
            s.push(sep);
        }
        item(s, x);
    }
}

/// `v` as comma-separated four-digit lowercase hex, in the order of that text (JA4 sorts
/// the hex strings: for values of up to 16 bits that is numeric order; a longer SSLv2
/// cipher spec sorts by its text).
fn sorted_hex(mut v: Vec<u32>) -> String {
    if v.iter().all(|x| *x <= 0xffff) {
        v.sort_unstable();
    } else {
        v.sort_by_cached_key(|x| format!("{x:04x}"));
    }
    hex_list(v.into_iter())
}

/// Comma-separated four-digit lowercase hex.
fn hex_list(v: impl Iterator<Item = u32>) -> String {
    sep_join(v, ',', push_hex4)
}

fn not_grease32(c: &&u32) -> bool {
    u16::try_from(**c).map_or(true, |v| !is_grease(v))
}

/// The JA3 string: `SSLVersion,Ciphers,Extensions,EllipticCurves,EllipticCurvePointFormats`,
/// every value in decimal, list items joined by `-`, in wire order, GREASE removed.
/// Example: `771,4865-4866,0-10-11,29-23,0`.
pub fn ja3_string(i: &ClientFingerprintInput<'_>) -> String {
    // One string, each part appended in place.
    let mut s = String::with_capacity(128);
    s.push_str(itoa::Buffer::new().format(i.legacy_version));
    s.push(',');
    push_dash_join(&mut s, i.ciphers.iter().filter(not_grease32));
    s.push(',');
    push_dash_join(&mut s, i.extensions.iter().filter(|e| !is_grease(**e)));
    s.push(',');
    push_dash_join(&mut s, i.groups.iter().filter(|g| !is_grease(**g)));
    s.push(',');
    push_dash_join(&mut s, i.point_formats.iter());
    s
}

/// JA3 hash: lowercase hex MD5 of [`ja3_string`].
pub fn md5_hex(s: &str) -> String {
    hex_string(&Md5::digest(s.as_bytes()))
}

/// The JA3S string: `SSLVersion,Cipher,Extensions` (ServerHello legacy version, chosen
/// cipher, extension ids in wire order joined by `-`), decimal.
pub fn ja3s_string(version: u16, cipher: u16, extensions: &[u16]) -> String {
    format!(
        "{},{},{}",
        version,
        cipher,
        dash_join(extensions.iter().filter(|e| !is_grease(**e)))
    )
}

fn sha256_12(s: &str) -> String {
    hex_string(Sha256::digest(s.as_bytes()).get(..6).unwrap_or_default())
}

fn ja4_version(v: u16) -> &'static str {
    match v {
        0x0304 => "13",
        0x0303 => "12",
        0x0302 => "11",
        0x0301 => "10",
        0x0300 => "s3",
        0x0002 => "s2",
        0xfeff => "d1",
        0xfefd => "d2",
        0xfefc => "d3",
        _ => "00",
    }
}

fn ja4_alpn(alpn: Option<&[u8]>) -> String {
    let Some(a) = alpn else {
        return "00".into();
    };
    let (Some(&first), Some(&last)) = (a.first(), a.last()) else {
        return "00".into();
    };
    if first.is_ascii_alphanumeric() && last.is_ascii_alphanumeric() {
        format!("{}{}", first as char, last as char)
    } else {
        // Non-alphanumeric: first and last characters of the hex of the whole value.
        let h = hex::encode(a);
        let f = h.chars().next().unwrap_or('0');
        let l = h.chars().last().unwrap_or('0');
        format!("{f}{l}")
    }
}

/// JA4 (FoxIO, TCP variant): `a_b_c` where
/// - `a` = `t` + version (highest non-GREASE supported_versions value, else the legacy
///   version: `13`, `12`, `11`, `10`, `s3`, `s2`) + `d` (SNI present) / `i` (absent) +
///   cipher count (2 digits, max 99) + extension count (2 digits, max 99, SNI and ALPN
///   included) + first and last character of the first ALPN value (`00` when none; hex
///   characters when either is not alphanumeric);
/// - `b` = first 12 hex of SHA-256 of the cipher suites as 4-digit lowercase hex, sorted,
///   joined by `,` (`000000000000` when none);
/// - `c` = first 12 hex of SHA-256 of the extension ids (4-digit hex, sorted, SNI 0x0000 and
///   ALPN 0x0010 removed) joined by `,`, then `_` and the signature algorithms in wire order
///   joined by `,` (the `_` part is left out when there are none; `000000000000` when
///   there are no extensions left).
pub fn ja4(i: &ClientFingerprintInput<'_>) -> String {
    let version = i
        .supported_versions
        .iter()
        .copied()
        .filter(|v| !is_grease(*v))
        .max()
        .unwrap_or(i.legacy_version);
    let ciphers: Vec<u32> = i.ciphers.iter().filter(not_grease32).copied().collect();
    let exts: Vec<u16> = i
        .extensions
        .iter()
        .copied()
        .filter(|e| !is_grease(*e))
        .collect();
    let a = format!(
        "t{}{}{:02}{:02}{}",
        ja4_version(version),
        if i.has_sni { 'd' } else { 'i' },
        ciphers.len().min(99),
        exts.len().min(99),
        ja4_alpn(i.first_alpn)
    );
    let b = if ciphers.is_empty() {
        "000000000000".to_string()
    } else {
        sha256_12(&sorted_hex(ciphers))
    };
    let sorted_exts: Vec<u32> = exts
        .iter()
        .filter(|e| **e != 0x0000 && **e != 0x0010)
        .map(|e| u32::from(*e))
        .collect();
    let c = if sorted_exts.is_empty() {
        "000000000000".to_string()
    } else {
        let mut s = sorted_hex(sorted_exts);
        let mut sigs = i
            .signature_algorithms
            .iter()
            .filter(|s| !is_grease(**s))
            .map(|s| u32::from(*s))
            .peekable();
        if sigs.peek().is_some() {
            s.push('_');
            s.push_str(&hex_list(sigs));
        }
        sha256_12(&s)
    };
    format!("{a}_{b}_{c}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input<'a>(
        ciphers: &'a [u32],
        exts: &'a [u16],
        groups: &'a [u16],
        sigs: &'a [u16],
        versions: &'a [u16],
    ) -> ClientFingerprintInput<'a> {
        ClientFingerprintInput {
            legacy_version: 0x0303,
            ciphers,
            extensions: exts,
            groups,
            point_formats: &[0],
            supported_versions: versions,
            signature_algorithms: sigs,
            first_alpn: Some(b"h2"),
            has_sni: true,
        }
    }

    #[test]
    fn ja3_string_drops_grease_and_is_decimal() {
        let i = input(
            &[0x0a0a, 0x1301, 0xc02f],
            &[0x2a2a, 0, 10, 11, 16],
            &[0x3a3a, 29, 23],
            &[0x0403],
            &[0x0304],
        );
        let s = ja3_string(&i);
        assert_eq!(s, "771,4865-49199,0-10-11-16,29-23,0");
        let expected = hex::encode(Md5::digest(b"771,4865-49199,0-10-11-16,29-23,0"));
        assert_eq!(md5_hex(&s), expected);
        assert_eq!(md5_hex(""), "d41d8cd98f00b204e9800998ecf8427e");
    }

    /// JA4 sorts the hex text: numeric order for 16-bit values, text order once an SSLv2
    /// cipher spec (24 bits) is among them.
    #[test]
    fn sorted_hex_is_text_order() {
        assert_eq!(sorted_hex(vec![0xc02f, 0x000a, 0x1301]), "000a,1301,c02f");
        assert_eq!(
            sorted_hex(vec![0xc02f, 0x01_0080, 0x1301]),
            "10080,1301,c02f"
        );
        assert_eq!(dash_join([7u16, 10, 3].iter()), "7-10-3");
        assert_eq!(hex_list(std::iter::empty()), "");
        assert_eq!(
            hex_list([0, 0xa, 0xffff, 0x1_0000].into_iter()),
            "0000,000a,ffff,10000"
        );
        assert_eq!(dash_join([0u32, u32::MAX].iter()), "0-4294967295");
        assert_eq!(hex_string(&[0x00, 0xab, 0x7f]), "00ab7f");
        assert_eq!(hex_string(&[0xcd; 40]), "cd".repeat(40));
    }

    #[test]
    fn ja3s_string_shape() {
        assert_eq!(ja3s_string(0x0303, 0x1301, &[43, 51]), "771,4865,43-51");
    }

    #[test]
    fn ja4_parts() {
        let i = input(
            &[0x0a0a, 0x1301, 0xc02f],
            &[0x2a2a, 0, 10, 11, 16, 13],
            &[29],
            &[0x0403, 0x0804],
            &[0x8a8a, 0x0304, 0x0303],
        );
        let j = ja4(&i);
        let b = sha256_12("1301,c02f");
        let c = sha256_12("000a,000b,000d_0403,0804");
        assert_eq!(j, format!("t13d0205h2_{b}_{c}"));
    }

    #[test]
    fn ja4_alpn_edge_cases() {
        assert_eq!(ja4_alpn(None), "00");
        assert_eq!(ja4_alpn(Some(b"http/1.1")), "h1");
        assert_eq!(ja4_alpn(Some(b"h")), "hh");
        assert_eq!(ja4_alpn(Some(b"\xab/")), "af");
    }
}
