//! Content-Encoding: gzip, x-gzip and deflate (zlib-wrapped or raw) decoded with flate2, br
//! with brotli-decompressor, bounded by the configured decoded-body size.

use std::io::Read;

/// A decoded entity body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Decoded {
    pub data: Vec<u8>,
    /// The codings applied, as named on the wire (lower-cased), e.g. `gzip`.
    pub label: String,
    /// Plain-text notes (cut at the bound, decoding failed, unknown coding).
    pub notes: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Coding {
    Gzip,
    Deflate,
    Brotli,
    Identity,
}

fn coding(name: &str) -> Option<Coding> {
    match name {
        "gzip" | "x-gzip" => Some(Coding::Gzip),
        "deflate" => Some(Coding::Deflate),
        "br" => Some(Coding::Brotli),
        "identity" | "" => Some(Coding::Identity),
        _ => None,
    }
}

/// Decode `raw` by the `Content-Encoding` value. `None` when there is nothing to decode
/// (no coding, or only `identity`).
pub(crate) fn decode(content_encoding: &[u8], raw: &[u8], max: usize) -> Option<Decoded> {
    let text = String::from_utf8_lossy(content_encoding).to_ascii_lowercase();
    let names: Vec<&str> = text
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    if names.iter().all(|n| coding(n) == Some(Coding::Identity)) {
        return None;
    }
    let label = names.join(", ");
    if let Some(unknown) = names.iter().find(|n| coding(n).is_none()) {
        return Some(Decoded {
            data: Vec::new(),
            label,
            notes: vec![format!(
                "content-encoding {} not decoded",
                crate::present::escape::escape_str(unknown)
            )],
        });
    }
    // Codings are listed in the order applied: undo them from the last. The raw body is
    // only copied when no coding but identity is applied to it.
    let mut data: Option<Vec<u8>> = None;
    let mut notes = Vec::new();
    for name in names.iter().rev() {
        let c = coding(name).unwrap_or(Coding::Identity);
        if c == Coding::Identity {
            continue;
        }
        let (out, note) = inflate(c, data.as_deref().unwrap_or(raw), max);
        data = Some(out);
        if let Some(n) = note {
            notes.push(format!("{name}: {n}"));
            break;
        }
    }
    let data = data.unwrap_or_else(|| raw.to_vec());
    Some(Decoded { data, label, notes })
}

/// Bytes to reserve for decoding `input`: gzip states the decoded size (mod 2^32) in its
/// last four bytes; otherwise a guess. Never more than the bound allows, so a lying header
/// costs at most one bounded allocation.
fn size_hint(c: Coding, input: &[u8], max: usize) -> usize {
    let stated = match (c, input.len().checked_sub(4).and_then(|i| input.get(i..))) {
        (Coding::Gzip, Some(&[a, b, c, d])) => u32::from_le_bytes([a, b, c, d]) as usize,
        _ => input.len().saturating_mul(4),
    };
    // Deflate expands at most ~1032:1; the extra block lets the last read see the end.
    stated
        .min(input.len().saturating_mul(1032))
        .min(max)
        .saturating_add(READ_BLOCK)
}

/// True when `b` starts with a zlib header (RFC 1950: deflate method, check bits).
fn is_zlib(b: &[u8]) -> bool {
    match (b.first(), b.get(1)) {
        (Some(&cmf), Some(&flg)) => {
            cmf & 0x0f == 8 && cmf >> 4 <= 7 && (u16::from(cmf) * 256 + u16::from(flg)) % 31 == 0
        }
        _ => false,
    }
}

fn inflate(c: Coding, input: &[u8], max: usize) -> (Vec<u8>, Option<String>) {
    let reader: Box<dyn Read + '_> = match c {
        Coding::Gzip => Box::new(flate2::read::MultiGzDecoder::new(input)),
        Coding::Deflate if is_zlib(input) => Box::new(flate2::read::ZlibDecoder::new(input)),
        Coding::Deflate => Box::new(flate2::read::DeflateDecoder::new(input)),
        Coding::Brotli => Box::new(brotli_decompressor::Decompressor::new(input, 16 * 1024)),
        Coding::Identity => return (input.to_vec(), None),
    };
    read_bounded(reader, max, size_hint(c, input, max))
}

/// Size of each read from the decoder. The decoder reports an error without the bytes it
/// produced in that read, so the block size is part of what a failure note says.
const READ_BLOCK: usize = 16 * 1024;

/// Read the decoder into one buffer (sized up front: no regrowth copies), in blocks of
/// [`READ_BLOCK`], keeping at most `max` bytes.
fn read_bounded(mut r: impl Read, max: usize, reserve: usize) -> (Vec<u8>, Option<String>) {
    let mut out = vec![0u8; reserve.max(READ_BLOCK)];
    let mut len = 0usize;
    let note = loop {
        if out.len() < len + READ_BLOCK {
            out.resize(len + READ_BLOCK, 0);
        }
        match r.read(out.get_mut(len..len + READ_BLOCK).unwrap_or_default()) {
            Ok(0) => break None,
            Ok(n) => {
                let keep = n.min(max.saturating_sub(len));
                len += keep;
                if keep < n {
                    break Some(format!("decoded body cut at {max} bytes"));
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => break Some(format!("decoding failed after {len} bytes: {e}")),
        }
    };
    out.truncate(len);
    // A size hint far above what came out (a lying gzip trailer) is not kept allocated.
    if out.capacity() > len.saturating_mul(2).saturating_add(2 * READ_BLOCK) {
        out.shrink_to_fit();
    }
    (out, note)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    #[test]
    fn gzip_zlib_raw_deflate() {
        let text = b"the quick brown fox ".repeat(50);
        let d = decode(b"gzip", &gzip(&text), 1 << 20).unwrap();
        assert_eq!(d.data, text);
        assert_eq!(d.label, "gzip");
        assert!(d.notes.is_empty());
        assert_eq!(decode(b"X-GZIP", &gzip(&text), 1 << 20).unwrap().data, text);

        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::fast());
        z.write_all(&text).unwrap();
        assert_eq!(
            decode(b"deflate", &z.finish().unwrap(), 1 << 20)
                .unwrap()
                .data,
            text
        );

        let mut r = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::fast());
        r.write_all(&text).unwrap();
        assert_eq!(
            decode(b"deflate", &r.finish().unwrap(), 1 << 20)
                .unwrap()
                .data,
            text
        );
    }

    /// `brotli -c` of "fluffy tail\n" repeated 40 times (made with the brotli 1.0.9 tool).
    const BR_SAMPLE: &str = "1fdf01f8059c63dd92ccd5323818fff0203016d0911ebc375301";

    #[test]
    fn brotli() {
        let d = decode(b"br", &hex::decode(BR_SAMPLE).unwrap(), 1 << 20).unwrap();
        assert!(d.notes.is_empty(), "{:?}", d.notes);
        assert_eq!(d.data, b"fluffy tail\n".repeat(40));
        assert_eq!(d.label, "br");
        let d = decode(b"br", &hex::decode(BR_SAMPLE).unwrap(), 100).unwrap();
        assert_eq!(d.data.len(), 100);
        assert_eq!(
            d.notes,
            vec!["br: decoded body cut at 100 bytes".to_string()]
        );
    }

    #[test]
    fn bounds_failures_and_unknown() {
        let text = vec![b'a'; 100_000];
        let d = decode(b"gzip", &gzip(&text), 1000).unwrap();
        assert_eq!(d.data.len(), 1000);
        assert_eq!(
            d.notes,
            vec!["gzip: decoded body cut at 1000 bytes".to_string()]
        );

        let mut bad = gzip(b"hello world, hello world");
        bad.truncate(bad.len() - 12);
        let d = decode(b"gzip", &bad, 1000).unwrap();
        assert!(
            d.notes[0].starts_with("gzip: decoding failed"),
            "{:?}",
            d.notes
        );

        let d = decode(b"zstd", b"xx", 1000).unwrap();
        assert_eq!(
            d.notes,
            vec!["content-encoding zstd not decoded".to_string()]
        );
        let d = decode(b"br", b"xx", 1000).unwrap();
        assert!(
            d.notes[0].starts_with("br: decoding failed"),
            "{:?}",
            d.notes
        );
        assert!(decode(b"identity", b"x", 10).is_none());
    }
}
