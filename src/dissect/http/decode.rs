//! Content-Encoding: gzip, x-gzip and deflate (zlib-wrapped or raw) decoded with flate2, br
//! with brotli-decompressor, bounded by the configured decoded-body size. A well-formed
//! gzip body (one member, its trailer at the end) is first decoded in one call by libdeflate,
//! about twice as fast; anything else it does not accept goes the streaming way, so the
//! result and every note are the same either way (see [`gzip_whole`]).

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

/// The codings named by a `Content-Encoding` value, lower-cased, in the order applied.
fn coding_names(content_encoding: &[u8]) -> Vec<String> {
    String::from_utf8_lossy(content_encoding)
        .to_ascii_lowercase()
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

/// How [`decode`] will name what it undoes (`gzip`, `gzip, br`), without decoding: `None`
/// exactly when `decode` returns `None`.
pub(crate) fn label(content_encoding: &[u8]) -> Option<String> {
    label_of(&coding_names(content_encoding))
}

/// [`label`] of the codings already named.
fn label_of(names: &[String]) -> Option<String> {
    (!names.iter().all(|n| coding(n) == Some(Coding::Identity))).then(|| names.join(", "))
}

/// Decode `raw` by the `Content-Encoding` value. `None` when there is nothing to decode
/// (no coding, or only `identity`).
pub(crate) fn decode(content_encoding: &[u8], raw: &[u8], max: usize) -> Option<Decoded> {
    let names = coding_names(content_encoding);
    let label = label_of(&names)?;
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
    if c == Coding::Gzip {
        if let Some(out) = gzip_whole(input, max) {
            return (out, None);
        }
    }
    inflate_streaming(c, input, max)
}

/// Decode by reading the decoder in blocks: every coding, every failure, the bound.
fn inflate_streaming(c: Coding, input: &[u8], max: usize) -> (Vec<u8>, Option<String>) {
    let reader: Box<dyn Read + '_> = match c {
        Coding::Gzip => Box::new(flate2::read::MultiGzDecoder::new(input)),
        Coding::Deflate if is_zlib(input) => Box::new(flate2::read::ZlibDecoder::new(input)),
        Coding::Deflate => Box::new(flate2::read::DeflateDecoder::new(input)),
        Coding::Brotli => Box::new(brotli_decompressor::Decompressor::new(input, 16 * 1024)),
        Coding::Identity => return (input.to_vec(), None),
    };
    read_bounded(reader, max, size_hint(c, input, max))
}

/// gzip header flags (RFC 1952) the one-call decoder may see: FTEXT and FNAME. A header CRC
/// (FHCRC), extra field, comment or reserved bit sends the body the streaming way.
const GZIP_FLAGS_WHOLE: u8 = 0x01 | 0x08;
/// Longest FNAME the streaming decoder accepts.
const GZIP_NAME_MAX: usize = 65_535;

thread_local! {
    /// libdeflate's decompressor (its tables, ≈ 10 KiB), made once per thread.
    static WHOLE: std::cell::RefCell<libdeflater::Decompressor> =
        std::cell::RefCell::new(libdeflater::Decompressor::new());
}

/// Decode a gzip body in one call when that gives exactly what the streaming decoder
/// (flate2's `MultiGzDecoder` read to the end) gives with no note: one member whose trailer
/// — CRC-32 and size of the decoded bytes — ends the input, its size within `max`. `None`
/// otherwise (several members, bytes after the member, a size above `max`, any damage), and
/// the caller decodes the streaming way, which says what is wrong as before.
///
/// libdeflate checks the trailer it reads right after the deflate data (CRC-32 and size of
/// what it decoded); that this trailer is the input's last 8 bytes is checked here. When the
/// decoded size's 4 bytes occur in the body first as its last 4, the size field libdeflate
/// read can only be those, so its trailer is the last 8 bytes: no second CRC-32 is needed.
/// Otherwise the last 8 bytes must be the decoded bytes' CRC and size, occurring nowhere
/// earlier in the body, so the trailer read can only be the last one.
fn gzip_whole(input: &[u8], max: usize) -> Option<Vec<u8>> {
    let (&[0x1f, 0x8b, 8, flags], _) = input.split_first_chunk::<4>()? else {
        return None;
    };
    if flags & !GZIP_FLAGS_WHOLE != 0 {
        return None;
    }
    // flate2 refuses a file name longer than 65 535 bytes; libdeflate does not.
    if flags & 0x08 != 0 && memchr::memchr(0, input.get(10..)?)? > GZIP_NAME_MAX {
        return None;
    }
    let (_, &trailer) = input.split_last_chunk::<8>()?;
    let [_, _, _, _, a, b, c, d] = trailer;
    let size = u32::from_le_bytes([a, b, c, d]) as usize;
    // Deflate expands at most ~1032:1: a larger stated size is a lie, not worth allocating.
    if size > max || size > input.len().saturating_mul(1032) {
        return None;
    }
    let mut out = spare_zeroed(size);
    let n = WHOLE
        .with(|d| d.borrow_mut().gzip_decompress(input, &mut out))
        .ok()?;
    if n != size {
        return None;
    }
    // The header is at least 10 bytes: the trailer cannot start before.
    let body = input.get(10..)?;
    if memchr::memmem::find(body, &[a, b, c, d]) == Some(body.len().checked_sub(4)?) {
        return Some(out);
    }
    let crc = libdeflater::crc32(&out).to_le_bytes();
    let read = [crc, (n as u32).to_le_bytes()].concat();
    (memchr::memmem::find(body, &read) == Some(body.len().checked_sub(8)?)).then_some(out)
}

/// A buffer of `size` initialised bytes for a decoder to overwrite: a released body buffer
/// of about that size when the thread has one (its bytes are initialised already, so only
/// what it lacks is zeroed), else a new zeroed one.
fn spare_zeroed(size: usize) -> Vec<u8> {
    match crate::memory::spare::take(size, size.saturating_add(size / 2)) {
        Some(mut v) => {
            v.truncate(size);
            v.resize(size, 0);
            v
        }
        None => vec![0u8; size],
    }
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

    /// The one-call gzip decoder gives exactly what the streaming one gives, notes included,
    /// on good bodies and on every damaged variant of them: several members, bytes after the
    /// member, a lying or cut trailer, header flags it leaves alone, flipped bytes anywhere,
    /// sizes at and around the bound.
    #[test]
    fn gzip_one_call_equals_streaming() {
        let text: Vec<u8> = (0..3000u32)
            .flat_map(|i| format!("line {i}: acorn {} under tree {}\n", i * 7, i % 97).into_bytes())
            .collect();
        let one = gzip(&text);
        let mut bodies = vec![
            one.clone(),
            gzip(b""),
            gzip(b"x"),
            [one.clone(), one.clone()].concat(),
        ];
        bodies.push([one.clone(), b"junk".to_vec()].concat());
        bodies.push([one.clone(), one[one.len() - 8..].to_vec()].concat());
        bodies.push(one[..one.len() - 1].to_vec());
        bodies.push(one[..one.len() - 9].to_vec());
        let mut fname = one.clone();
        fname[3] = 0x08;
        fname.splice(10..10, b"log.txt\0".iter().copied());
        bodies.push(fname.clone());
        for name_len in [GZIP_NAME_MAX, GZIP_NAME_MAX + 1] {
            let mut long = fname.clone();
            long.splice(10..10, std::iter::repeat_n(b'n', name_len - 7));
            bodies.push(long);
        }
        for flag in [0x02u8, 0x04, 0x10, 0x20, 0x80] {
            let mut b = one.clone();
            b[3] = flag;
            bodies.push(b);
        }
        let mut lie = one.clone();
        let n = lie.len();
        lie[n - 4] ^= 1;
        bodies.push(lie);
        for at in (0..one.len())
            .step_by(97)
            .chain([one.len() - 5, one.len() - 8])
        {
            let mut b = one.clone();
            b[at] ^= 0x5a;
            bodies.push(b);
        }
        let mut used_whole = 0;
        for (i, b) in bodies.iter().enumerate() {
            for max in [1 << 20, text.len(), text.len() - 1, 1000, 0] {
                used_whole += usize::from(gzip_whole(b, max).is_some());
                assert_eq!(
                    inflate(Coding::Gzip, b, max),
                    inflate_streaming(Coding::Gzip, b, max),
                    "body {i}, max {max}"
                );
            }
        }
        // The good bodies (one member, with or without a file name) took the fast way.
        assert!(used_whole >= 10, "{used_whole}");
        let long_name = |extra: usize| {
            let mut b = bodies[8].clone();
            b.splice(10..10, std::iter::repeat_n(b'n', GZIP_NAME_MAX - 7 + extra));
            b
        };
        // The decoded size's bytes (01 02 03 00) also in the header's file name, before the
        // trailer: the trailer is then proven by the decoded bytes' CRC-32, as it must be.
        let text: Vec<u8> = b"acorn cache "
            .iter()
            .copied()
            .cycle()
            .take(0x03_0201)
            .collect();
        let mut named = gzip(&text);
        named[3] = 0x08;
        named.splice(10..10, [b'x', 1, 2, 3, 0]);
        assert_eq!(memchr::memmem::find(&named, &[1, 2, 3, 0]), Some(11));
        let whole = gzip_whole(&named, 1 << 20);
        assert_eq!(whole.as_deref(), Some(&text[..]));
        assert_eq!(
            inflate(Coding::Gzip, &named, 1 << 20),
            inflate_streaming(Coding::Gzip, &named, 1 << 20)
        );
        assert!(gzip_whole(&long_name(0), 1 << 20).is_some());
        assert!(gzip_whole(&long_name(1), 1 << 20).is_none());
        assert!(inflate_streaming(Coding::Gzip, &long_name(1), 1 << 20)
            .1
            .is_some());
    }
}
