//! QPACK (RFC 9204) field-section decoding for one direction of an HTTP/3 connection: the
//! static table, literals (Huffman strings through `loona-hpack`'s HPACK/QPACK Huffman
//! decoder), and the dynamic table built from the peer's encoder stream. Every size is
//! bounded: the table's capacity, a string's length, a section's field count.

use loona_hpack::huffman::HuffmanDecoder;
use std::collections::VecDeque;

/// Largest dynamic table capacity honoured (a Set Capacity above it is refused).
pub const MAX_TABLE_CAPACITY: u64 = 64 << 10;
/// Longest string literal decoded.
pub const MAX_STRING: usize = 64 << 10;
/// Most fields kept from one field section.
pub const MAX_FIELDS: usize = 256;

/// RFC 9204 Appendix A: the static table.
pub const STATIC_TABLE: [(&str, &str); 99] = [
    (":authority", ""),
    (":path", "/"),
    ("age", "0"),
    ("content-disposition", ""),
    ("content-length", "0"),
    ("cookie", ""),
    ("date", ""),
    ("etag", ""),
    ("if-modified-since", ""),
    ("if-none-match", ""),
    ("last-modified", ""),
    ("link", ""),
    ("location", ""),
    ("referer", ""),
    ("set-cookie", ""),
    (":method", "CONNECT"),
    (":method", "DELETE"),
    (":method", "GET"),
    (":method", "HEAD"),
    (":method", "OPTIONS"),
    (":method", "POST"),
    (":method", "PUT"),
    (":scheme", "http"),
    (":scheme", "https"),
    (":status", "103"),
    (":status", "200"),
    (":status", "304"),
    (":status", "404"),
    (":status", "503"),
    ("accept", "*/*"),
    ("accept", "application/dns-message"),
    ("accept-encoding", "gzip, deflate, br"),
    ("accept-ranges", "bytes"),
    ("access-control-allow-headers", "cache-control"),
    ("access-control-allow-headers", "content-type"),
    ("access-control-allow-origin", "*"),
    ("cache-control", "max-age=0"),
    ("cache-control", "max-age=2592000"),
    ("cache-control", "max-age=604800"),
    ("cache-control", "no-cache"),
    ("cache-control", "no-store"),
    ("cache-control", "public, max-age=31536000"),
    ("content-encoding", "br"),
    ("content-encoding", "gzip"),
    ("content-type", "application/dns-message"),
    ("content-type", "application/javascript"),
    ("content-type", "application/json"),
    ("content-type", "application/x-www-form-urlencoded"),
    ("content-type", "image/gif"),
    ("content-type", "image/jpeg"),
    ("content-type", "image/png"),
    ("content-type", "text/css"),
    ("content-type", "text/html; charset=utf-8"),
    ("content-type", "text/plain"),
    ("content-type", "text/plain;charset=utf-8"),
    ("range", "bytes=0-"),
    ("strict-transport-security", "max-age=31536000"),
    (
        "strict-transport-security",
        "max-age=31536000; includesubdomains",
    ),
    (
        "strict-transport-security",
        "max-age=31536000; includesubdomains; preload",
    ),
    ("vary", "accept-encoding"),
    ("vary", "origin"),
    ("x-content-type-options", "nosniff"),
    ("x-xss-protection", "1; mode=block"),
    (":status", "100"),
    (":status", "204"),
    (":status", "206"),
    (":status", "302"),
    (":status", "400"),
    (":status", "403"),
    (":status", "421"),
    (":status", "425"),
    (":status", "500"),
    ("accept-language", ""),
    ("access-control-allow-credentials", "FALSE"),
    ("access-control-allow-credentials", "TRUE"),
    ("access-control-allow-headers", "*"),
    ("access-control-allow-methods", "get"),
    ("access-control-allow-methods", "get, post, options"),
    ("access-control-allow-methods", "options"),
    ("access-control-expose-headers", "content-length"),
    ("access-control-request-headers", "content-type"),
    ("access-control-request-method", "get"),
    ("access-control-request-method", "post"),
    ("alt-svc", "clear"),
    ("authorization", ""),
    (
        "content-security-policy",
        "script-src 'none'; object-src 'none'; base-uri 'none'",
    ),
    ("early-data", "1"),
    ("expect-ct", ""),
    ("forwarded", ""),
    ("if-range", ""),
    ("origin", ""),
    ("purpose", "prefetch"),
    ("server", ""),
    ("timing-allow-origin", "*"),
    ("upgrade-insecure-requests", "1"),
    ("user-agent", ""),
    ("x-forwarded-for", ""),
    ("x-frame-options", "deny"),
    ("x-frame-options", "sameorigin"),
];

/// Why a field section or an encoder instruction could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QpackError {
    #[error("QPACK input cut short")]
    Short,
    #[error("QPACK integer too large")]
    Integer,
    #[error("QPACK static table index {0} out of range")]
    StaticIndex(u64),
    #[error("QPACK dynamic table entry {0} not known")]
    DynamicIndex(u64),
    #[error("QPACK string of {0} bytes above the bound")]
    StringTooLong(u64),
    #[error("QPACK Huffman string invalid")]
    Huffman,
    #[error("QPACK table capacity {0} above the bound")]
    Capacity(u64),
    #[error("QPACK entry larger than the table")]
    EntryTooLarge,
    #[error("QPACK Required Insert Count {0} invalid")]
    InsertCount(u64),
}

/// A decoded field section.
pub type Fields = Vec<(Vec<u8>, Vec<u8>)>;

struct Reader<'a> {
    b: &'a [u8],
    pos: usize,
}

impl Reader<'_> {
    fn byte(&self) -> Result<u8, QpackError> {
        self.b.get(self.pos).copied().ok_or(QpackError::Short)
    }

    /// A prefixed integer (RFC 7541 §5.1) with `bits` bits in the current byte.
    fn int(&mut self, bits: u32) -> Result<u64, QpackError> {
        let mask = (1u64 << bits) - 1;
        let mut v = u64::from(self.byte()?) & mask;
        self.pos += 1;
        if v < mask {
            return Ok(v);
        }
        let mut shift = 0u32;
        loop {
            let b = self.byte()?;
            self.pos += 1;
            if shift > 56 {
                return Err(QpackError::Integer);
            }
            v = v
                .checked_add(u64::from(b & 0x7f) << shift)
                .ok_or(QpackError::Integer)?;
            shift += 7;
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
    }

    /// A string literal whose Huffman flag is bit `bits` of the current byte and whose
    /// length has `bits` bits of prefix.
    fn string(&mut self, bits: u32, huff: &mut HuffmanDecoder) -> Result<Vec<u8>, QpackError> {
        let h = self.byte()? & (1 << bits) != 0;
        let len = self.int(bits)?;
        let n = usize::try_from(len)
            .ok()
            .filter(|n| *n <= MAX_STRING)
            .ok_or(QpackError::StringTooLong(len))?;
        let raw = self
            .b
            .get(self.pos..self.pos + n)
            .ok_or(QpackError::Short)?;
        self.pos += n;
        if h {
            huff.decode(raw).map_err(|_| QpackError::Huffman)
        } else {
            Ok(raw.to_vec())
        }
    }
}

fn static_entry(i: u64) -> Result<(Vec<u8>, Vec<u8>), QpackError> {
    usize::try_from(i)
        .ok()
        .and_then(|i| STATIC_TABLE.get(i))
        .map(|(n, v)| (n.as_bytes().to_vec(), v.as_bytes().to_vec()))
        .ok_or(QpackError::StaticIndex(i))
}

/// The decoder of one direction: the dynamic table its peer's encoder stream built.
pub struct QpackDecoder {
    /// Entries, oldest first; `dropped` entries were evicted before the first.
    entries: VecDeque<(Vec<u8>, Vec<u8>)>,
    dropped: u64,
    size: u64,
    capacity: u64,
    /// SETTINGS_QPACK_MAX_TABLE_CAPACITY this side's peer announced (0: not seen).
    max_capacity: u64,
    /// Encoder stream bytes not yet a whole instruction.
    pending: Vec<u8>,
    huff: HuffmanDecoder,
    /// The encoder stream could not be followed: later dynamic references fail.
    pub broken: Option<QpackError>,
}

impl std::fmt::Debug for QpackDecoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("QpackDecoder")
            .field("inserted", &self.inserted())
            .field("size", &self.size)
            .field("capacity", &self.capacity)
            .finish()
    }
}

impl Default for QpackDecoder {
    fn default() -> Self {
        QpackDecoder {
            entries: VecDeque::new(),
            dropped: 0,
            size: 0,
            capacity: 0,
            max_capacity: 0,
            pending: Vec::new(),
            huff: HuffmanDecoder::new(),
            broken: None,
        }
    }
}

/// What a field section needs before it can be decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    /// Decodable now.
    Ready,
    /// Needs this many inserts on the encoder stream (blocked stream).
    Blocked(u64),
}

impl QpackDecoder {
    /// Entries inserted since the connection began.
    pub fn inserted(&self) -> u64 {
        self.dropped + self.entries.len() as u64
    }

    fn entry_size(n: &[u8], v: &[u8]) -> u64 {
        (n.len() + v.len()) as u64 + 32
    }

    fn absolute(&self, abs: u64) -> Result<(Vec<u8>, Vec<u8>), QpackError> {
        abs.checked_sub(self.dropped)
            .and_then(|i| usize::try_from(i).ok())
            .and_then(|i| self.entries.get(i))
            .cloned()
            .ok_or(QpackError::DynamicIndex(abs))
    }

    fn evict_to(&mut self, limit: u64) {
        while self.size > limit {
            let Some((n, v)) = self.entries.pop_front() else {
                break;
            };
            self.size = self.size.saturating_sub(Self::entry_size(&n, &v));
            self.dropped += 1;
        }
    }

    fn insert(&mut self, n: Vec<u8>, v: Vec<u8>) -> Result<(), QpackError> {
        let s = Self::entry_size(&n, &v);
        if s > self.capacity {
            return Err(QpackError::EntryTooLarge);
        }
        self.evict_to(self.capacity - s);
        self.size += s;
        self.entries.push_back((n, v));
        Ok(())
    }

    /// The decoding side announced SETTINGS_QPACK_MAX_TABLE_CAPACITY = `cap` (it sets how
    /// Required Insert Count wraps).
    pub fn set_max_capacity(&mut self, cap: u64) {
        self.max_capacity = cap.min(MAX_TABLE_CAPACITY);
    }

    /// Bytes of the peer's encoder stream (in order).
    pub fn encoder_stream(&mut self, bytes: &[u8]) {
        if self.broken.is_some() {
            return;
        }
        self.pending.extend_from_slice(bytes);
        let buf = std::mem::take(&mut self.pending);
        let mut at = 0;
        while at < buf.len() {
            let mut r = Reader { b: &buf, pos: at };
            match self.instruction(&mut r) {
                Ok(()) => at = r.pos,
                Err(QpackError::Short) => break,
                Err(e) => {
                    self.broken = Some(e);
                    return;
                }
            }
        }
        self.pending = buf.get(at..).unwrap_or(&[]).to_vec();
        if self.pending.len() > MAX_STRING * 2 + 16 {
            self.broken = Some(QpackError::StringTooLong(self.pending.len() as u64));
        }
    }

    fn instruction(&mut self, r: &mut Reader<'_>) -> Result<(), QpackError> {
        let b = r.byte()?;
        if b & 0x80 != 0 {
            // Insert with name reference: T bit, 6-bit index.
            let is_static = b & 0x40 != 0;
            let idx = r.int(6)?;
            let name = if is_static {
                static_entry(idx)?.0
            } else {
                let abs = self
                    .inserted()
                    .checked_sub(1 + idx)
                    .ok_or(QpackError::DynamicIndex(idx))?;
                self.absolute(abs)?.0
            };
            let value = r.string(7, &mut self.huff)?;
            self.insert(name, value)
        } else if b & 0x40 != 0 {
            // Insert with literal name: H bit and 5-bit length.
            let name = r.string(5, &mut self.huff)?;
            let value = r.string(7, &mut self.huff)?;
            self.insert(name, value)
        } else if b & 0x20 != 0 {
            let cap = r.int(5)?;
            if cap > MAX_TABLE_CAPACITY {
                return Err(QpackError::Capacity(cap));
            }
            self.capacity = cap;
            self.evict_to(cap);
            Ok(())
        } else {
            // Duplicate.
            let idx = r.int(5)?;
            let abs = self
                .inserted()
                .checked_sub(1 + idx)
                .ok_or(QpackError::DynamicIndex(idx))?;
            let (n, v) = self.absolute(abs)?;
            self.insert(n, v)
        }
    }

    /// The Required Insert Count of a field section (RFC 9204 §4.5.1.1).
    fn required_insert_count(&self, encoded: u64) -> Result<u64, QpackError> {
        if encoded == 0 {
            return Ok(0);
        }
        let cap = if self.max_capacity == 0 {
            MAX_TABLE_CAPACITY
        } else {
            self.max_capacity
        };
        let max_entries = cap / 32;
        let full = 2 * max_entries;
        if full == 0 || encoded > full {
            return Err(QpackError::InsertCount(encoded));
        }
        let total = self.inserted();
        let max_value = total + max_entries;
        let max_wrapped = (max_value / full) * full;
        let mut ric = max_wrapped + encoded - 1;
        if ric > max_value {
            if ric <= full {
                return Err(QpackError::InsertCount(encoded));
            }
            ric -= full;
        }
        if ric == 0 {
            return Err(QpackError::InsertCount(encoded));
        }
        Ok(ric)
    }

    /// Can `block` be decoded now, or does it wait for encoder stream inserts?
    pub fn check(&self, block: &[u8]) -> Result<Section, QpackError> {
        let mut r = Reader { b: block, pos: 0 };
        let ric = self.required_insert_count(r.int(8)?)?;
        Ok(if ric > self.inserted() {
            Section::Blocked(ric)
        } else {
            Section::Ready
        })
    }

    /// Decode one field section (the payload of a HEADERS frame). Fields beyond
    /// [`MAX_FIELDS`] are read but not kept; the second value says how many were dropped.
    pub fn decode(&mut self, block: &[u8]) -> Result<(Fields, usize), QpackError> {
        let mut r = Reader { b: block, pos: 0 };
        let ric = self.required_insert_count(r.int(8)?)?;
        let sign = r.byte()? & 0x80 != 0;
        let delta = r.int(7)?;
        let base = if sign {
            ric.checked_sub(delta + 1)
        } else {
            ric.checked_add(delta)
        }
        .ok_or(QpackError::InsertCount(ric))?;
        let mut out = Vec::new();
        let mut dropped = 0usize;
        while r.pos < block.len() {
            let b = r.byte()?;
            let field = if b & 0x80 != 0 {
                let is_static = b & 0x40 != 0;
                let idx = r.int(6)?;
                if is_static {
                    static_entry(idx)?
                } else {
                    let abs = base
                        .checked_sub(1 + idx)
                        .ok_or(QpackError::DynamicIndex(idx))?;
                    self.absolute(abs)?
                }
            } else if b & 0x40 != 0 {
                let is_static = b & 0x10 != 0;
                let idx = r.int(4)?;
                let name = if is_static {
                    static_entry(idx)?.0
                } else {
                    let abs = base
                        .checked_sub(1 + idx)
                        .ok_or(QpackError::DynamicIndex(idx))?;
                    self.absolute(abs)?.0
                };
                (name, r.string(7, &mut self.huff)?)
            } else if b & 0x20 != 0 {
                let name = r.string(3, &mut self.huff)?;
                (name, r.string(7, &mut self.huff)?)
            } else if b & 0x10 != 0 {
                let idx = r.int(4)?;
                self.absolute(base + idx)?
            } else {
                let idx = r.int(3)?;
                let name = self.absolute(base + idx)?.0;
                (name, r.string(7, &mut self.huff)?)
            };
            if out.len() < MAX_FIELDS {
                out.push(field);
            } else {
                dropped += 1;
            }
        }
        Ok((out, dropped))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(s: &str) -> Vec<u8> {
        hex::decode(s.split_whitespace().collect::<String>()).unwrap()
    }

    fn text(f: &Fields) -> Vec<(String, String)> {
        f.iter()
            .map(|(n, v)| {
                (
                    String::from_utf8_lossy(n).into_owned(),
                    String::from_utf8_lossy(v).into_owned(),
                )
            })
            .collect()
    }

    /// RFC 9204 Appendix B.1: a literal with a static name reference.
    #[test]
    fn rfc9204_b1_static_only() {
        let mut d = QpackDecoder::default();
        let (f, _) = d
            .decode(&h("0000 510b 2f69 6e64 6578 2e68 746d 6c"))
            .unwrap();
        assert_eq!(text(&f), vec![(":path".into(), "/index.html".into())]);
    }

    /// RFC 9204 Appendix B.2: encoder stream inserts, then a section with post-base and
    /// relative references to them.
    #[test]
    fn rfc9204_b2_dynamic_table() {
        let mut d = QpackDecoder::default();
        let block = h("0381 10 11");
        // Before the inserts arrive the section is blocked.
        assert_eq!(d.check(&block), Ok(Section::Blocked(2)));
        d.encoder_stream(&h(
            "3fbd01 c00f7777772e6578616d706c652e636f6d c10c2f73616d706c652f70617468",
        ));
        assert_eq!(d.inserted(), 2);
        assert_eq!(d.check(&block), Ok(Section::Ready));
        let (f, _) = d.decode(&block).unwrap();
        assert_eq!(
            text(&f),
            vec![
                (":authority".into(), "www.example.com".into()),
                (":path".into(), "/sample/path".into()),
            ]
        );
    }

    /// Huffman strings: `www.example.com` as RFC 7541 C.4.1 encodes it.
    #[test]
    fn huffman_literal_with_literal_name() {
        let mut d = QpackDecoder::default();
        // Literal name "custom-key" (plain; length 10 = 7 in the 3-bit prefix + 3), Huffman
        // value www.example.com.
        let mut block = vec![0, 0, 0x27, 0x03];
        block.extend_from_slice(b"custom-key");
        block.extend_from_slice(&h("8c f1e3 c2e5 f23a 6ba0 ab90 f4ff"));
        let (f, _) = d.decode(&block).unwrap();
        assert_eq!(
            text(&f),
            vec![("custom-key".into(), "www.example.com".into())]
        );
    }

    #[test]
    fn bad_input_is_an_error_not_a_panic() {
        let mut d = QpackDecoder::default();
        assert!(d.decode(&[0, 0, 0xff]).is_err());
        assert_eq!(
            d.decode(&[0, 0, 0xff, 0x7f]),
            Err(QpackError::StaticIndex(190))
        );
        assert!(d.decode(&[0, 0, 0x80]).is_err());
        assert!(d
            .decode(&[0, 0, 0x5f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01])
            .is_err());
        d.encoder_stream(&[0x3f, 0xff, 0xff, 0xff, 0x0f]);
        assert!(matches!(d.broken, Some(QpackError::Capacity(_))));
    }
}
