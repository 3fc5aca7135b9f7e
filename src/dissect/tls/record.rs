//! The record layer: header sanity (used by detection and resynchronisation) and the
//! SSLv2-compatible ClientHello header.

use tls_parser::{parse_tls_record_header, TlsRecordHeader};

use crate::dissect::Detect;

/// Record header length.
pub const HEADER_LEN: usize = 5;
/// Largest record payload accepted: 2^14 + 2048 (TLSCiphertext bound of RFC 5246).
pub const MAX_RECORD_LEN: usize = (1 << 14) + 2048;

/// A record header that passed the sanity check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    pub content_type: u8,
    pub version: u16,
    pub length: usize,
}

/// Parse and check a record header: content type 20..=24, version 0x0300..=0x0304,
/// length 1..=2^14+2048. `None` when fewer than 5 bytes or implausible.
pub fn plausible_header(b: &[u8]) -> Option<Header> {
    let (_, h): (_, TlsRecordHeader) = parse_tls_record_header(b.get(..HEADER_LEN)?).ok()?;
    let h = Header {
        content_type: h.record_type.0,
        version: h.version.0,
        length: usize::from(h.len),
    };
    let ok = (20..=24).contains(&h.content_type)
        && (0x0300..=0x0304).contains(&h.version)
        && (1..=MAX_RECORD_LEN).contains(&h.length);
    ok.then_some(h)
}

/// SSLv2-compatible ClientHello header: 2-byte length with the high bit set, then message
/// type 1 and a 3.x (or 2.0) version. Returns the message length (after the 2 bytes).
pub fn sslv2_client_hello_len(b: &[u8]) -> Option<usize> {
    let (&b0, &b1, &ty) = (b.first()?, b.get(1)?, b.get(2)?);
    if b0 & 0x80 == 0 || ty != 1 {
        return None;
    }
    let len = (usize::from(b0 & 0x7f) << 8) | usize::from(b1);
    // type + version + 3 lengths at least.
    (len >= 9).then_some(len)
}

/// Content-based recognition on the first bytes of a direction.
pub fn detect(prefix: &[u8]) -> Detect {
    if prefix.first().is_some_and(|b| b & 0x80 != 0) {
        if prefix.len() < 3 {
            return Detect::NeedMore;
        }
        if sslv2_client_hello_len(prefix).is_none() {
            return Detect::No;
        }
        // Version byte pair, when present, must be SSL 2.0 or 3.x.
        return match (prefix.get(3), prefix.get(4)) {
            (Some(&0), Some(&2)) | (Some(&3), Some(0..=4)) => Detect::Yes,
            (Some(_), Some(_)) => Detect::No,
            _ => Detect::Yes,
        };
    }
    if prefix.len() < HEADER_LEN {
        // Reject early when what we have already cannot start a record.
        let bad = prefix.first().is_some_and(|t| !(20..=24).contains(t))
            || prefix.get(1).is_some_and(|m| *m != 3)
            || prefix.get(2).is_some_and(|m| *m > 4);
        return if bad { Detect::No } else { Detect::NeedMore };
    }
    if plausible_header(prefix).is_some() {
        Detect::Yes
    } else {
        Detect::No
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detect_records() {
        assert_eq!(detect(&[22, 3, 1, 0, 200]), Detect::Yes);
        assert_eq!(detect(&[23, 3, 3, 0x40, 0x00]), Detect::Yes);
        assert_eq!(detect(&[22, 3]), Detect::NeedMore);
        assert_eq!(detect(b""), Detect::NeedMore);
        assert_eq!(detect(b"GET / HTTP/1.1\r\n"), Detect::No);
        assert_eq!(detect(&[22, 3, 5, 0, 10]), Detect::No);
        assert_eq!(detect(&[22, 3, 3, 0, 0]), Detect::No);
        assert_eq!(detect(&[22, 3, 3, 0x48, 0x01]), Detect::No);
        assert_eq!(detect(&[25, 3, 3, 0, 5]), Detect::No);
    }

    #[test]
    fn detect_sslv2_hello() {
        assert_eq!(detect(&[0x80, 0x2e, 0x01, 0x03, 0x01]), Detect::Yes);
        assert_eq!(detect(&[0x80, 0x2e, 0x01, 0x00, 0x02]), Detect::Yes);
        assert_eq!(detect(&[0x80, 0x2e]), Detect::NeedMore);
        assert_eq!(detect(&[0x80, 0x2e, 0x01]), Detect::Yes);
        assert_eq!(detect(&[0x80, 0x2e, 0x02, 0x03, 0x01]), Detect::No);
    }
}
