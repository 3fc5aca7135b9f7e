//! What a stream of unknown protocol looks like to an eavesdropper: readable text,
//! opaque (encrypted or compressed) bytes, or other binary. HTTP and TLS are recognised by
//! their dissectors; [`classify`] is the fallback for everything else.

use serde::Serialize;

/// Bytes of a stream looked at by [`classify`] (the caller may pass more; the rest is ignored).
pub const SAMPLE_MAX: usize = 4096;
/// Fewer bytes than this are not enough to call a sample high-entropy.
pub const MIN_ENTROPY_SAMPLE: usize = 32;
/// Share of printable bytes above which a sample is text.
pub const PRINTABLE_RATIO: f64 = 0.95;
/// Share of the highest entropy the sample size allows above which it is opaque.
pub const ENTROPY_RATIO: f64 = 0.85;

/// What a stream carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Class {
    /// Decided by the HTTP dissector.
    Http,
    /// Decided by the TLS dissector.
    Tls,
    /// Looks encrypted or compressed (near-maximal byte entropy).
    HighEntropyOpaque,
    /// Mostly printable text (readable by an eavesdropper).
    PrintableText,
    /// Other binary data.
    Binary,
    /// No bytes.
    Empty,
}

impl Class {
    /// Whether an eavesdropper reads the content as is.
    pub fn readable(self) -> bool {
        matches!(self, Class::Http | Class::PrintableText)
    }
}

/// Shannon entropy of `bytes` in bits per byte (0.0 for an empty slice).
pub fn shannon_entropy(bytes: &[u8]) -> f64 {
    if bytes.is_empty() {
        return 0.0;
    }
    let mut counts = [0u64; 256];
    for b in bytes {
        if let Some(c) = counts.get_mut(usize::from(*b)) {
            *c += 1;
        }
    }
    let n = bytes.len() as f64;
    counts
        .iter()
        .filter(|c| **c > 0)
        .map(|c| {
            let p = *c as f64 / n;
            -p * p.log2()
        })
        .sum()
}

/// A byte an eavesdropper reads as text: printable ASCII, CR, LF, TAB.
#[cfg(test)]
fn printable(b: u8) -> bool {
    (0x20..0x7f).contains(&b) || matches!(b, b'\r' | b'\n' | b'\t')
}

/// How many bytes of `s` are printable ASCII, CR, LF or TAB: tested without branches (`|`,
/// not `||`) and counted in bytes, 255 at a time (no count can wrap), so the count is
/// compiled to vector instructions.
fn printable_count(s: &[u8]) -> usize {
    s.chunks(255)
        .map(|c| {
            let n = c.iter().fold(0u8, |n, &b| {
                let text =
                    (b.wrapping_sub(0x20) < 0x5f) | (b == b'\r') | (b == b'\n') | (b == b'\t');
                n.wrapping_add(u8::from(text))
            });
            usize::from(n)
        })
        .sum()
}

/// Classify a sample of a stream's bytes (the first [`SAMPLE_MAX`] are used). Never returns
/// `Http` or `Tls`.
///
/// Rules: empty → `Empty`; ≥ 95 % printable ASCII (or valid UTF-8 text without control
/// bytes) → `PrintableText`; at least 32 bytes with entropy ≥ 85 % of the most the sample
/// size allows (`log2(min(n, 256))` bits) → `HighEntropyOpaque`; else `Binary`.
pub fn classify(bytes_sample: &[u8]) -> Class {
    let s = bytes_sample.get(..SAMPLE_MAX).unwrap_or(bytes_sample);
    if s.is_empty() {
        return Class::Empty;
    }
    let printable_count = printable_count(s);
    if printable_count as f64 >= PRINTABLE_RATIO * s.len() as f64 || is_utf8_text(s) {
        return Class::PrintableText;
    }
    if s.len() >= MIN_ENTROPY_SAMPLE {
        let max = (s.len().min(256) as f64).log2();
        if shannon_entropy(s) >= ENTROPY_RATIO * max {
            return Class::HighEntropyOpaque;
        }
    }
    Class::Binary
}

/// UTF-8 text (non-ASCII letters allowed) with no control bytes other than CR, LF, TAB.
/// A sample cut in the middle of a character still counts.
fn is_utf8_text(s: &[u8]) -> bool {
    let mut chunks = s.utf8_chunks().peekable();
    while let Some(c) = chunks.next() {
        if c.valid()
            .chars()
            .any(|ch| ch.is_control() && !matches!(ch, '\r' | '\n' | '\t'))
        {
            return false;
        }
        // A character cut by the end of the sample is fine.
        let cut_at_end = chunks.peek().is_none() && c.invalid().len() < 4;
        if !c.invalid().is_empty() && !cut_at_end {
            return false;
        }
    }
    true
}

/// Per-stream (or per-capture) byte counts by what an eavesdropper can read.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ByteCounts {
    /// Readable as is (plain HTTP, text).
    pub clear_bytes: u64,
    /// Encrypted (TLS) or opaque high-entropy.
    pub encrypted_bytes: u64,
    /// Other binary, or not yet classified.
    pub unknown_bytes: u64,
}

impl ByteCounts {
    /// Count `n` bytes of a stream of class `class`.
    pub fn add(&mut self, class: Class, n: u64) {
        let slot = match class {
            Class::Http | Class::PrintableText => &mut self.clear_bytes,
            Class::Tls | Class::HighEntropyOpaque => &mut self.encrypted_bytes,
            Class::Binary | Class::Empty => &mut self.unknown_bytes,
        };
        *slot = slot.saturating_add(n);
    }

    /// Add another set of counts (e.g. a stream's into the capture total).
    pub fn merge(&mut self, other: &ByteCounts) {
        self.clear_bytes = self.clear_bytes.saturating_add(other.clear_bytes);
        self.encrypted_bytes = self.encrypted_bytes.saturating_add(other.encrypted_bytes);
        self.unknown_bytes = self.unknown_bytes.saturating_add(other.unknown_bytes);
    }

    pub fn total(&self) -> u64 {
        self.clear_bytes
            .saturating_add(self.encrypted_bytes)
            .saturating_add(self.unknown_bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sha2::{Digest, Sha256};

    /// Deterministic pseudo-random bytes (a SHA-256 chain).
    fn random_bytes(n: usize) -> Vec<u8> {
        let mut out = Vec::new();
        let mut block = Sha256::digest(b"seed").to_vec();
        while out.len() < n {
            out.extend_from_slice(&block);
            block = Sha256::digest(&block).to_vec();
        }
        out.truncate(n);
        out
    }

    #[test]
    fn printable_count_is_the_byte_test() {
        let all: Vec<u8> = (0..=255).collect();
        for b in 0..=255u8 {
            assert_eq!(printable_count(&[b]), usize::from(printable(b)), "{b}");
        }
        let expect = all.iter().filter(|&&b| printable(b)).count();
        assert_eq!(printable_count(&all), expect);
        let mixed = [all.as_slice(), &random_bytes(5000), b"text\r\n\t"].concat();
        let expect = mixed.iter().filter(|&&b| printable(b)).count();
        assert_eq!(printable_count(&mixed), expect);
    }

    #[test]
    fn entropy_values() {
        assert_eq!(shannon_entropy(b""), 0.0);
        assert_eq!(shannon_entropy(b"aaaa"), 0.0);
        assert!((shannon_entropy(b"abab") - 1.0).abs() < 1e-9);
        let all: Vec<u8> = (0..=255).collect();
        assert!((shannon_entropy(&all) - 8.0).abs() < 1e-9);
    }

    #[test]
    fn classes() {
        assert_eq!(classify(b""), Class::Empty);
        assert_eq!(
            classify(b"SSH-2.0-OpenSSH_9.6\r\nhello there\r\n"),
            Class::PrintableText
        );
        assert_eq!(
            classify("Grüße, ça va? 你好\n".as_bytes()),
            Class::PrintableText
        );
        assert_eq!(classify(&random_bytes(64)), Class::HighEntropyOpaque);
        assert_eq!(classify(&random_bytes(4096)), Class::HighEntropyOpaque);
        assert_eq!(classify(&random_bytes(10_000)), Class::HighEntropyOpaque);
        // Too short to judge.
        assert_eq!(classify(&random_bytes(16)), Class::Binary);
        // Structured binary: mostly zeros with a few values.
        let mut bin = vec![0u8; 200];
        for (i, b) in bin.iter_mut().enumerate().step_by(10) {
            *b = (i % 4) as u8 + 1;
        }
        assert_eq!(classify(&bin), Class::Binary);
        // Text with embedded control bytes is not text.
        assert_eq!(
            classify(b"\x00\x01\x02\x03abc\x00\x00\x00\x00"),
            Class::Binary
        );
    }

    #[test]
    fn byte_counts() {
        let mut c = ByteCounts::default();
        c.add(Class::Http, 100);
        c.add(Class::PrintableText, 5);
        c.add(Class::Tls, 1000);
        c.add(Class::HighEntropyOpaque, 10);
        c.add(Class::Binary, 7);
        assert_eq!(
            c,
            ByteCounts {
                clear_bytes: 105,
                encrypted_bytes: 1010,
                unknown_bytes: 7
            }
        );
        let mut t = ByteCounts::default();
        t.merge(&c);
        t.merge(&c);
        assert_eq!(t.total(), 2 * 1122);
        assert!(Class::Http.readable() && !Class::Tls.readable());
    }
}
