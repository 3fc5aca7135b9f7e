//! QUIC packet headers (RFC 9000 §17, RFC 8999 invariants, RFC 9369 §3.2 for the
//! version 2 type bits): what can be read before any protection is removed.

use std::ops::Range;

use super::keys::{VERSION_1, VERSION_2};

/// Longest connection id accepted (RFC 9000 §17.2: 20 bytes in v1; RFC 8999 allows 255 for
/// unknown versions, which are kept as opaque).
pub const MAX_CID: usize = 20;

/// The packet types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PacketType {
    Initial,
    ZeroRtt,
    Handshake,
    Retry,
    VersionNegotiation,
    /// Short header.
    #[default]
    OneRtt,
    /// A long header of a version this parser does not know: only the invariants read.
    UnknownVersion,
}

impl PacketType {
    /// Name as tshark shows it.
    pub fn name(self) -> &'static str {
        match self {
            PacketType::Initial => "Initial",
            PacketType::ZeroRtt => "0-RTT",
            PacketType::Handshake => "Handshake",
            PacketType::Retry => "Retry",
            PacketType::VersionNegotiation => "Version Negotiation",
            PacketType::OneRtt => "1-RTT",
            PacketType::UnknownVersion => "Unknown version",
        }
    }
}

/// Read a variable-length integer (RFC 9000 §16) at `at`; value and length.
pub fn read_varint(b: &[u8], at: usize) -> Option<(u64, usize)> {
    let first = *b.get(at)?;
    let len = 1usize << (first >> 6);
    let bytes = b.get(at..at + len)?;
    let mut v = u64::from(first & 0x3f);
    for x in bytes.iter().skip(1) {
        v = (v << 8) | u64::from(*x);
    }
    Some((v, len))
}

/// One packet's header, offsets relative to the datagram.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    pub ptype: PacketType,
    /// First byte as on the wire (its low bits are protected).
    pub first: u8,
    /// 0 for short headers.
    pub version: u32,
    pub dcid: Range<usize>,
    pub scid: Range<usize>,
    /// Initial: the token.
    pub token: Range<usize>,
    /// Where the packet number starts (Initial, 0-RTT, Handshake, 1-RTT).
    pub pn_offset: usize,
    /// Whole packet: from its first byte to the end of its Length (long) or of the
    /// datagram (short, Retry, Version Negotiation).
    pub packet: Range<usize>,
    /// Version Negotiation: the versions offered.
    pub versions: Vec<u32>,
}

/// Why a header could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HeaderError {
    #[error("QUIC header cut short at offset {at}")]
    Short { at: usize },
    #[error("connection id length {len} above {MAX_CID}")]
    CidTooLong { len: usize },
    #[error("packet Length {length} runs past the datagram ({left} bytes left)")]
    LengthPastEnd { length: u64, left: usize },
}

fn long_type(version: u32, bits: u8) -> PacketType {
    match (version == VERSION_2, bits) {
        (false, 0) | (true, 1) => PacketType::Initial,
        (false, 1) | (true, 2) => PacketType::ZeroRtt,
        (false, 2) | (true, 3) => PacketType::Handshake,
        _ => PacketType::Retry,
    }
}

fn cid(b: &[u8], at: usize) -> Result<(Range<usize>, usize), HeaderError> {
    let len = usize::from(*b.get(at).ok_or(HeaderError::Short { at })?);
    if len > MAX_CID {
        return Err(HeaderError::CidTooLong { len });
    }
    let r = at + 1..at + 1 + len;
    if r.end > b.len() {
        return Err(HeaderError::Short { at: b.len() });
    }
    Ok((r.clone(), r.end))
}

/// Parse the packet starting at `at` of `datagram`. `short_dcid_len` is the connection id
/// length to assume for a short header (known only from the handshake).
pub fn parse(datagram: &[u8], at: usize, short_dcid_len: usize) -> Result<Header, HeaderError> {
    let first = *datagram.get(at).ok_or(HeaderError::Short { at })?;
    if first & 0x80 == 0 {
        let dcid = at + 1..at + 1 + short_dcid_len;
        if dcid.end > datagram.len() {
            return Err(HeaderError::Short { at: datagram.len() });
        }
        return Ok(Header {
            ptype: PacketType::OneRtt,
            first,
            version: 0,
            pn_offset: dcid.end,
            dcid,
            scid: 0..0,
            token: 0..0,
            packet: at..datagram.len(),
            versions: Vec::new(),
        });
    }
    let v = datagram
        .get(at + 1..at + 5)
        .and_then(|s| <[u8; 4]>::try_from(s).ok())
        .ok_or(HeaderError::Short { at: at + 1 })?;
    let version = u32::from_be_bytes(v);
    let (dcid, p) = cid(datagram, at + 5)?;
    let (scid, p) = cid(datagram, p)?;
    let mut h = Header {
        ptype: PacketType::UnknownVersion,
        first,
        version,
        dcid,
        scid,
        token: 0..0,
        pn_offset: p,
        packet: at..datagram.len(),
        versions: Vec::new(),
    };
    if version == 0 {
        h.ptype = PacketType::VersionNegotiation;
        h.versions = datagram
            .get(p..)
            .unwrap_or(&[])
            .chunks_exact(4)
            .filter_map(|c| <[u8; 4]>::try_from(c).ok())
            .map(u32::from_be_bytes)
            .collect();
        return Ok(h);
    }
    if version != VERSION_1 && version != VERSION_2 {
        return Ok(h);
    }
    h.ptype = long_type(version, (first >> 4) & 0x03);
    let mut p = p;
    match h.ptype {
        PacketType::Retry => return Ok(h),
        PacketType::Initial => {
            let (tlen, n) = read_varint(datagram, p).ok_or(HeaderError::Short { at: p })?;
            let start = p + n;
            let end = usize::try_from(tlen)
                .ok()
                .and_then(|t| start.checked_add(t))
                .filter(|e| *e <= datagram.len())
                .ok_or(HeaderError::Short { at: datagram.len() })?;
            h.token = start..end;
            p = end;
        }
        _ => {}
    }
    let (length, n) = read_varint(datagram, p).ok_or(HeaderError::Short { at: p })?;
    h.pn_offset = p + n;
    let left = datagram.len().saturating_sub(h.pn_offset);
    let end = usize::try_from(length)
        .ok()
        .filter(|l| *l <= left)
        .ok_or(HeaderError::LengthPastEnd { length, left })?;
    h.packet = at..h.pn_offset + end;
    Ok(h)
}

/// Content check on the first bytes of a UDP payload: a long header with the fixed bit,
/// version 1 or 2, connection ids within bounds. Used to recognise QUIC on any port.
pub fn looks_like_quic(datagram: &[u8]) -> bool {
    let Some(&first) = datagram.first() else {
        return false;
    };
    if first & 0xc0 != 0xc0 {
        return false;
    }
    match parse(datagram, 0, 0) {
        Ok(h) => matches!(h.version, VERSION_1 | VERSION_2),
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints() {
        // RFC 9000 §A.1 examples
        assert_eq!(
            read_varint(&hex::decode("c2197c5eff14e88c").unwrap(), 0),
            Some((151288809941952652, 8))
        );
        assert_eq!(
            read_varint(&hex::decode("9d7f3e7d").unwrap(), 0),
            Some((494878333, 4))
        );
        assert_eq!(
            read_varint(&hex::decode("7bbd").unwrap(), 0),
            Some((15293, 2))
        );
        assert_eq!(read_varint(&[0x25], 0), Some((37, 1)));
        assert_eq!(read_varint(&[0x40], 0), None);
    }

    #[test]
    fn long_header_fields() {
        // RFC 9001 A.3 server Initial header (v1) and RFC 9369 A.3 (v2), protected first byte
        for (hx, version) in [
            ("cf000000010008f067a5502a4262b5004075c0d9", VERSION_1),
            ("dc6b3343cf0008f067a5502a4262b5004075d92f", VERSION_2),
        ] {
            let mut d = hex::decode(hx).unwrap();
            d.resize(18 + 0x75, 0);
            let h = parse(&d, 0, 0).unwrap();
            assert_eq!(h.ptype, PacketType::Initial);
            assert_eq!(h.version, version);
            assert_eq!(h.dcid, 6..6);
            assert_eq!(h.scid, 7..15);
            assert_eq!(h.token, 16..16);
            assert_eq!(h.pn_offset, 18);
            assert_eq!(h.packet, 0..18 + 0x75);
            assert!(looks_like_quic(&d));
            // one byte short: the Length runs past the end
            assert!(parse(&d[..d.len() - 1], 0, 0).is_err());
        }
    }

    #[test]
    fn short_header_and_version_negotiation() {
        let d = [0x40u8, 1, 2, 3, 4, 9, 9, 9];
        let h = parse(&d, 0, 4).unwrap();
        assert_eq!(h.ptype, PacketType::OneRtt);
        assert_eq!(h.dcid, 1..5);
        assert_eq!(h.pn_offset, 5);
        assert!(!looks_like_quic(&d));
        let vn = [
            0x80u8, 0, 0, 0, 0, 1, 7, 1, 8, 0, 0, 0, 1, 0x6b, 0x33, 0x43, 0xcf,
        ];
        let h = parse(&vn, 0, 0).unwrap();
        assert_eq!(h.ptype, PacketType::VersionNegotiation);
        assert_eq!(h.versions, vec![VERSION_1, VERSION_2]);
        assert_eq!(
            parse(&[0xc0, 0, 0, 0, 1, 21], 0, 0),
            Err(HeaderError::CidTooLong { len: 21 })
        );
    }
}
