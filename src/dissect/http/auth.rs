//! The credentials of `Authorization` and `Proxy-Authorization` header fields as tshark 4.0
//! reads them: its `http.authbasic` field and its `-z credentials` table. These are tshark's
//! rules, found by sending such headers with curl and reading tshark's output (the findings
//! stage reads Basic credentials its own, stricter way: [`crate::findings`]):
//!
//! - `Basic ` (this case, with its space) then base64: the credential is the decoded text up
//!   to its first NUL byte, and the user name is the text before its first `:` (no `:`: no
//!   user name, not listed). The base64 is read as glib reads it ([`lenient_base64`]).
//! - `Digest…`, `NTLM …` and `Negotiate …` (with their space) are read by other dissectors,
//!   none of which lists a user name here.
//! - any other value (`Bearer …`, `basic …`, `BASIC …`, `NTLM` alone) is listed as a header
//!   credential with no user name.

/// What tshark lists for one authorization header field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credential {
    /// `Basic` with a user name (the bytes before the first `:`).
    Basic(Vec<u8>),
    /// Another scheme: listed, its user name unknown.
    Header,
}

/// Whether a header field carries credentials: Authorization or Proxy-Authorization, in any
/// case.
pub fn is_auth_header(name: &str) -> bool {
    name.eq_ignore_ascii_case("authorization") || name.eq_ignore_ascii_case("proxy-authorization")
}

/// Base64 as glib decodes it, as tshark does: a byte outside the alphabet is skipped, `=`
/// counts as a zero digit, every whole group of four digits gives three bytes less one for
/// each of its last two digits that is `=`, and a group left incomplete at the end gives
/// nothing.
pub fn lenient_base64(text: &[u8]) -> Vec<u8> {
    let digit = |c: u8| -> Option<u32> {
        Some(u32::from(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            b'=' => 0,
            _ => return None,
        }))
    };
    let mut out = Vec::with_capacity(text.len() / 4 * 3);
    let (mut acc, mut digits, mut last) = (0u32, 0, [0u8; 2]);
    for &c in text {
        let Some(d) = digit(c) else { continue };
        last = [last[1], c];
        acc = (acc << 6) | d;
        digits += 1;
        if digits == 4 {
            let [a, b, c] = [(acc >> 16) as u8, (acc >> 8) as u8, acc as u8];
            out.push(a);
            if last[0] != b'=' {
                out.push(b);
            }
            if last[1] != b'=' {
                out.push(c);
            }
            (acc, digits) = (0, 0);
        }
    }
    out
}

/// The decoded text of a `Basic` credential (tshark's `http.authbasic`), up to its first
/// NUL byte; `None` for another scheme.
pub fn basic_text(value: &[u8]) -> Option<Vec<u8>> {
    let mut text = lenient_base64(value.strip_prefix(b"Basic ")?);
    if let Some(nul) = text.iter().position(|&b| b == 0) {
        text.truncate(nul);
    }
    Some(text)
}

/// What tshark's `-z credentials` lists for one authorization header value, if anything.
pub fn credential(value: &[u8]) -> Option<Credential> {
    if let Some(text) = basic_text(value) {
        let colon = text.iter().position(|&b| b == b':')?;
        return Some(Credential::Basic(
            text.get(..colon).unwrap_or_default().to_vec(),
        ));
    }
    let elsewhere = [&b"Digest"[..], b"NTLM ", b"Negotiate "];
    if elsewhere.iter().any(|p| value.starts_with(p)) {
        return None;
    }
    Some(Credential::Header)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_as_glib_reads_it() {
        assert_eq!(lenient_base64(b"YWxpY2U6c2VjcmV0MQ=="), b"alice:secret1");
        // Unpadded: the last, incomplete group gives nothing.
        assert_eq!(lenient_base64(b"cGFkOjE"), b"pad");
        // Padding inside, bytes outside the alphabet skipped.
        assert_eq!(lenient_base64(b"YQ==YjpjZA=="), b"ab:cd");
        assert_eq!(lenient_base64(b" Z2l uYTpwdw== "), b"gina:pw");
        assert_eq!(lenient_base64(b"!!!notbase64").len(), 6);
    }

    #[test]
    fn credentials_as_tshark_lists_them() {
        let basic = |s: &str| Some(Credential::Basic(s.as_bytes().to_vec()));
        assert_eq!(credential(b"Basic YWxpY2U6c2VjcmV0MQ=="), basic("alice"));
        assert_eq!(credential(b"Basic OmVtcHR5dXNlcg=="), basic(""));
        assert_eq!(credential(b"Basic aGFuazphOmI="), basic("hank"));
        // No colon, or a NUL before it: no user name.
        assert_eq!(credential(b"Basic bm9jb2xvbg=="), None);
        assert_eq!(credential(b"Basic YQBiOnB3"), None);
        for other in [
            "Bearer tok123",
            "basic ZXZlOnB3NQ==",
            "BASIC x",
            "Basic",
            "NTLM",
            "Token",
        ] {
            assert_eq!(
                credential(other.as_bytes()),
                Some(Credential::Header),
                "{other}"
            );
        }
        for elsewhere in [
            "Digest username=\"bob\"",
            "Digest",
            "NTLM TlRMTVNT",
            "Negotiate YII",
        ] {
            assert_eq!(credential(elsewhere.as_bytes()), None, "{elsewhere}");
        }
    }
}
