//! Offset-ordered reassembly of one QUIC byte stream (a CRYPTO stream at one level, or one
//! direction of a STREAM): chunks arrive in any order, may overlap (first copy wins) and
//! are handed on once contiguous. Bytes held at once are bounded.

use std::collections::BTreeMap;

/// One direction of a stream being put back in order.
#[derive(Debug, Default)]
pub struct Reassembler {
    /// Stream offset of the next byte to hand on.
    next: u64,
    /// Contiguous bytes from `next`, not yet taken.
    ready: Vec<u8>,
    /// Chunks beyond a gap, by offset.
    waiting: BTreeMap<u64, Vec<u8>>,
    waiting_bytes: usize,
    /// Final size, from a FIN.
    pub fin: Option<u64>,
    /// The bound was hit: later data is dropped.
    pub overflow: bool,
}

impl Reassembler {
    /// Add `bytes` at stream `offset`; `bound` caps the bytes held (ready + waiting) and
    /// the highest offset accepted when `max_offset` is set.
    pub fn insert(&mut self, offset: u64, bytes: &[u8], bound: usize, max_offset: Option<u64>) {
        if self.overflow || bytes.is_empty() {
            return;
        }
        let end = offset.saturating_add(bytes.len() as u64);
        if max_offset.is_some_and(|m| end > m) {
            self.overflow = true;
            return;
        }
        let have = self.next + self.ready.len() as u64;
        if offset <= have {
            let skip = usize::try_from(have - offset).unwrap_or(usize::MAX);
            if let Some(new) = bytes.get(skip..) {
                self.ready.extend_from_slice(new);
            }
            self.drain_waiting();
        } else if !self.waiting.contains_key(&offset) {
            self.waiting_bytes += bytes.len();
            self.waiting.insert(offset, bytes.to_vec());
        }
        if self.ready.len() + self.waiting_bytes > bound {
            self.overflow = true;
        }
    }

    fn drain_waiting(&mut self) {
        while let Some((&off, _)) = self.waiting.first_key_value() {
            let have = self.next + self.ready.len() as u64;
            if off > have {
                break;
            }
            if let Some((_, chunk)) = self.waiting.pop_first() {
                self.waiting_bytes = self.waiting_bytes.saturating_sub(chunk.len());
                let skip = usize::try_from(have - off).unwrap_or(usize::MAX);
                if let Some(new) = chunk.get(skip..) {
                    self.ready.extend_from_slice(new);
                }
            }
        }
    }

    /// The contiguous bytes not yet taken (they are handed on once).
    pub fn take(&mut self) -> Vec<u8> {
        let out = std::mem::take(&mut self.ready);
        self.next += out.len() as u64;
        out
    }

    /// Bytes received beyond a gap.
    pub fn waiting(&self) -> usize {
        self.waiting_bytes
    }

    /// Everything up to the FIN has been taken.
    pub fn finished(&self) -> bool {
        self.fin == Some(self.next) && self.ready.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn in_any_order_once_and_bounded() {
        let mut r = Reassembler::default();
        r.insert(3, b"def", 100, None);
        assert!(r.take().is_empty());
        r.insert(0, b"abcd", 100, None);
        assert_eq!(r.take(), b"abcdef");
        r.insert(2, b"cdefgh", 100, None);
        r.fin = Some(8);
        assert_eq!(r.take(), b"gh");
        assert!(r.finished());
        let mut r = Reassembler::default();
        r.insert(10, &[0; 20], 16, None);
        assert!(r.overflow);
        let mut r = Reassembler::default();
        r.insert(0, &[0; 4], 100, Some(3));
        assert!(r.overflow);
    }
}
