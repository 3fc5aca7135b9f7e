//! HPACK (RFC 7541) header block decoding for one direction, on the `loona-hpack` crate,
//! with the bounds an eavesdropper needs: the dynamic table size a peer may choose, and the
//! size of the decoded header list (an HPACK bomb expands a small block into a huge list).

/// Header list decoded from one header block.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HeaderList {
    /// Name, value in block order; at most the bound's worth (see `cut`).
    pub fields: Vec<(Vec<u8>, Vec<u8>)>,
    /// Size of the whole list as RFC 9113 §6.5.2 counts it (name + value + 32 per field),
    /// including fields not kept.
    pub size: u64,
    /// Fields decoded in all (kept or not).
    pub count: u64,
    /// True when fields were dropped at the header list bound.
    pub cut: bool,
}

impl HeaderList {
    /// Append the fields to `out` in block order, names as text (invalid UTF-8 replaced).
    pub fn push_into(&self, out: &mut crate::dissect::http::Headers) {
        for (n, v) in &self.fields {
            out.push(&String::from_utf8_lossy(n), v);
        }
    }
}

/// One direction's HPACK decoding state.
pub struct HeaderDecoder {
    dec: loona_hpack::Decoder<'static>,
    /// Largest dynamic table this direction may use: the peer's SETTINGS_HEADER_TABLE_SIZE,
    /// but never above `bound`.
    allowed: usize,
    bound: usize,
    /// Decoding failed once: the dynamic table is no longer known, so later blocks of this
    /// direction cannot be trusted.
    pub broken: Option<String>,
}

impl HeaderDecoder {
    /// Protocol default table size (RFC 9113 §6.5.2).
    pub const DEFAULT_TABLE: usize = 4096;

    pub fn new(bound: usize) -> Self {
        let mut dec = loona_hpack::Decoder::new();
        let allowed = Self::DEFAULT_TABLE.min(bound);
        dec.set_max_allowed_table_size(allowed);
        dec.set_max_table_size(allowed);
        HeaderDecoder {
            dec,
            allowed,
            bound,
            broken: None,
        }
    }

    /// The receiving side advertised SETTINGS_HEADER_TABLE_SIZE = `size`. The table grows
    /// only through a size update in a block; this sets how large that update may go.
    /// Returns the size used when the bound cut it.
    pub fn peer_table_size(&mut self, size: u32) -> Option<usize> {
        let want = usize::try_from(size).unwrap_or(usize::MAX);
        // A lower value takes effect only once acknowledged and signalled by the encoder;
        // keep accepting updates up to the largest value seen.
        let new = want.max(self.allowed).min(self.bound);
        self.allowed = new;
        self.dec.set_max_allowed_table_size(new);
        (want > self.bound).then_some(self.bound)
    }

    /// Decode one complete header block, keeping at most `max_list` bytes of fields (as
    /// counted in [`HeaderList::size`]); the rest is decoded (to keep the table right) but
    /// not kept.
    pub fn decode(&mut self, block: &[u8], max_list: u64) -> Result<HeaderList, String> {
        if let Some(why) = &self.broken {
            return Err(why.clone());
        }
        let mut list = HeaderList::default();
        let r = self.dec.decode_with_cb(block, |name, value| {
            let size = (name.len() as u64)
                .saturating_add(value.len() as u64)
                .saturating_add(32);
            list.size = list.size.saturating_add(size);
            list.count = list.count.saturating_add(1);
            if list.size <= max_list {
                list.fields.push((name.into_owned(), value.into_owned()));
            } else {
                list.cut = true;
            }
        });
        match r {
            Ok(()) => Ok(list),
            Err(e) => {
                let why = match e {
                    loona_hpack::decoder::DecoderError::InvalidMaxDynamicSize => format!(
                        "HPACK dynamic table size update above {} bytes",
                        self.allowed
                    ),
                    other => format!("HPACK decoding failed: {other}"),
                };
                self.broken = Some(format!("{why}; later header blocks not decoded"));
                Err(why)
            }
        }
    }
}

/// How many of `block`'s header fields end in each fragment (`fragment_ends`: where each
/// frame's fragment ends in the block), as a decoder fed one frame at a time emits them: a
/// field counts in the fragment that holds its representation's last byte. Only the
/// representations' lengths are read (RFC 7541 §6), not the table; a dynamic table size
/// update is no field. A representation cut short counts nowhere.
pub fn fields_per_fragment(block: &[u8], fragment_ends: &[usize]) -> Vec<u32> {
    let mut counts = vec![0u32; fragment_ends.len()];
    let mut at = 0usize;
    while at < block.len() {
        let Some((end, is_field)) = representation_end(block, at) else {
            break;
        };
        if is_field {
            let last = end - 1;
            if let Some(i) = fragment_ends.iter().position(|&e| last < e) {
                counts[i] = counts[i].saturating_add(1);
            }
        }
        at = end;
    }
    counts
}

/// Where the representation starting at `at` ends, and whether it is a header field.
fn representation_end(block: &[u8], at: usize) -> Option<(usize, bool)> {
    let first = *block.get(at)?;
    let (prefix, literal) = match first {
        b if b & 0x80 != 0 => (7, false),
        b if b & 0xc0 == 0x40 => (6, true),
        b if b & 0xe0 == 0x20 => {
            // Dynamic table size update.
            let (_, end) = integer(block, at, 5)?;
            return Some((end, false));
        }
        _ => (4, true),
    };
    let (index, mut end) = integer(block, at, prefix)?;
    if literal {
        if index == 0 {
            end = string_end(block, end)?;
        }
        end = string_end(block, end)?;
    }
    Some((end, true))
}

/// An HPACK integer with an `n`-bit prefix at `at`: its value and where it ends.
fn integer(block: &[u8], at: usize, n: u32) -> Option<(u64, usize)> {
    let max = (1u64 << n) - 1;
    let mut value = u64::from(*block.get(at)?) & max;
    let mut i = at + 1;
    if value < max {
        return Some((value, i));
    }
    let mut shift = 0u32;
    loop {
        let b = *block.get(i)?;
        i += 1;
        value = value.checked_add(u64::from(b & 0x7f).checked_shl(shift)?)?;
        if b & 0x80 == 0 {
            return Some((value, i));
        }
        shift += 7;
        if shift > 56 {
            return None;
        }
    }
}

/// Where the string literal (length-prefixed, Huffman or not) at `at` ends.
fn string_end(block: &[u8], at: usize) -> Option<usize> {
    let (len, start) = integer(block, at, 7)?;
    let end = start.checked_add(usize::try_from(len).ok()?)?;
    (end <= block.len()).then_some(end)
}

/// A block that indexes one `len`-byte header and then refers to it `refs` times (an HPACK
/// bomb: a small block, a large header list).
#[cfg(test)]
pub(crate) fn bomb_block(len: usize, refs: usize) -> Vec<u8> {
    let mut b = vec![0x40, 0x01, b'x'];
    b.extend(loona_hpack::encoder::encode_integer(len, 7));
    b.extend(std::iter::repeat_n(b'A', len));
    b.extend(std::iter::repeat_n(0xbe, refs)); // index 62: the new entry
    b
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(s: &str) -> Vec<u8> {
        hex::decode(s.replace(' ', "")).unwrap()
    }

    fn pairs(l: &HeaderList) -> Vec<(String, String)> {
        l.fields
            .iter()
            .map(|(n, v)| {
                (
                    String::from_utf8(n.clone()).unwrap(),
                    String::from_utf8(v.clone()).unwrap(),
                )
            })
            .collect()
    }

    fn want(v: &[(&str, &str)]) -> Vec<(String, String)> {
        v.iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect()
    }

    /// RFC 7541 C.3 (plain) and C.4 (Huffman): three requests on one connection, the
    /// dynamic table carried from block to block.
    #[test]
    fn rfc7541_c3_c4_requests() {
        let plain = [
            "8286 8441 0f77 7777 2e65 7861 6d70 6c65 2e63 6f6d",
            "8286 84be 5808 6e6f 2d63 6163 6865",
            "8287 85bf 400a 6375 7374 6f6d 2d6b 6579 0c63 7573 746f 6d2d 7661 6c75 65",
        ];
        let huffman = [
            "8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff",
            "8286 84be 5886 a8eb 1064 9cbf",
            "8287 85bf 4088 25a8 49e9 5ba9 7d7f 8925 a849 e95b b8e8 b4bf",
        ];
        let host = ":authority";
        let expected = [
            want(&[
                (":method", "GET"),
                (":scheme", "http"),
                (":path", "/"),
                (host, "www.example.com"),
            ]),
            want(&[
                (":method", "GET"),
                (":scheme", "http"),
                (":path", "/"),
                (host, "www.example.com"),
                ("cache-control", "no-cache"),
            ]),
            want(&[
                (":method", "GET"),
                (":scheme", "https"),
                (":path", "/index.html"),
                (host, "www.example.com"),
                ("custom-key", "custom-value"),
            ]),
        ];
        for blocks in [plain, huffman] {
            let mut d = HeaderDecoder::new(64 << 10);
            for (b, e) in blocks.iter().zip(&expected) {
                let l = d.decode(&hex(b), 1 << 20).unwrap();
                assert_eq!(&pairs(&l), e, "{b}");
                assert!(!l.cut);
            }
        }
    }

    /// RFC 7541 C.5 (plain) and C.6 (Huffman): three responses with a 256-byte table, so
    /// entries are evicted; the third block refers to entries that survive eviction.
    #[test]
    fn rfc7541_c5_c6_responses_with_eviction() {
        let plain = [
            "4803 3330 3258 0770 7269 7661 7465 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133 2032 303a 3133 3a32 3120 474d 546e 1768 7474 7073 3a2f 2f77 7777 2e65 7861 6d70 6c65 2e63 6f6d",
            "4803 3330 37c1 c0bf",
            "88c1 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133 2032 303a 3133 3a32 3220 474d 54c0 5a04 677a 6970 7738 666f 6f3d 4153 444a 4b48 514b 425a 584f 5157 454f 5049 5541 5851 5745 4f49 553b 206d 6178 2d61 6765 3d33 3630 303b 2076 6572 7369 6f6e 3d31",
        ];
        let huffman = [
            "4882 6402 5885 aec3 771a 4b61 96d0 7abe 9410 54d4 44a8 2005 9504 0b81 66e0 82a6 2d1b ff6e 919d 29ad 1718 63c7 8f0b 97c8 e9ae 82ae 43d3",
            "4883 640e ffc1 c0bf",
            "88c1 6196 d07a be94 1054 d444 a820 0595 040b 8166 e084 a62d 1bff c05a 839b d9ab 77ad 94e7 821d d7f2 e6c7 b335 dfdf cd5b 3960 d5af 2708 7f36 72c1 ab27 0fb5 291f 9587 3160 65c0 03ed 4ee5 b106 3d50 07",
        ];
        let d1 = "Mon, 21 Oct 2013 20:13:21 GMT";
        let d2 = "Mon, 21 Oct 2013 20:13:22 GMT";
        let loc = "https://www.example.com";
        let expected = [
            want(&[
                (":status", "302"),
                ("cache-control", "private"),
                ("date", d1),
                ("location", loc),
            ]),
            want(&[
                (":status", "307"),
                ("cache-control", "private"),
                ("date", d1),
                ("location", loc),
            ]),
            want(&[
                (":status", "200"),
                ("cache-control", "private"),
                ("date", d2),
                ("location", loc),
                ("content-encoding", "gzip"),
                (
                    "set-cookie",
                    "foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1",
                ),
            ]),
        ];
        for blocks in [plain, huffman] {
            let mut d = HeaderDecoder::new(64 << 10);
            // SETTINGS_HEADER_TABLE_SIZE 256, applied as the encoder's size update would.
            d.dec.set_max_table_size(256);
            for (b, e) in blocks.iter().zip(&expected) {
                assert_eq!(&pairs(&d.decode(&hex(b), 1 << 20).unwrap()), e, "{b}");
            }
        }
    }

    /// Fields are counted in the fragment holding their last byte; a fragment inside one
    /// long literal counts none; a size update counts nowhere.
    #[test]
    fn fields_per_fragment_follow_the_last_byte() {
        let mut block = vec![0x3f, 0xe1, 0x0f, 0x88]; // size update 2048, then :status 200
        block.extend([0x00, 6]);
        block.extend(b"x-long");
        block.extend([0x7f, 0xad, 0x01]); // 300
        block.extend(std::iter::repeat_n(b'L', 300));
        block.extend([0x40, 1, b'a', 1, b'b']);
        let ends = [12, 112, block.len()];
        assert_eq!(fields_per_fragment(&block, &ends), vec![1, 0, 2]);
        // The same block decodes to those three fields.
        let mut d = HeaderDecoder::new(8192);
        assert_eq!(d.decode(&block, 1 << 20).unwrap().count, 3);
        // Cut short: the last representation counts nowhere.
        let cut = &block[..block.len() - 1];
        assert_eq!(
            fields_per_fragment(cut, &[12, 112, cut.len()]),
            vec![1, 0, 1]
        );
        // Indexed fields with a multi-byte index, one per fragment.
        assert_eq!(
            fields_per_fragment(&[0xff, 0x05, 0x82], &[2, 3]),
            vec![1, 1]
        );
    }

    #[test]
    fn table_size_update_bounded_and_bomb_cut() {
        // Size update to 1 MiB (0x3f e1 ff 3f = 31 + ...): refused above the bound.
        let mut d = HeaderDecoder::new(8192);
        assert_eq!(d.peer_table_size(1 << 20), Some(8192));
        let mut upd = loona_hpack::encoder::encode_integer(1 << 20, 5);
        upd[0] |= 0x20;
        upd.push(0x82);
        let e = d.decode(&upd, 1 << 20).unwrap_err();
        assert!(e.contains("above 8192"), "{e}");
        assert!(d.broken.is_some());
        assert!(d.decode(&[0x82], 1 << 20).is_err());

        // HPACK bomb: one 4000-byte literal indexed, then referenced 1000 times.
        let mut d = HeaderDecoder::new(8192);
        let b = bomb_block(4000, 1000);
        let l = d.decode(&b, 64 << 10).unwrap();
        assert!(l.cut);
        assert_eq!(l.count, 1001);
        assert_eq!(l.size, 1001 * (1 + 4000 + 32));
        assert_eq!(l.fields.len(), (64 << 10) / 4033);
    }
}
