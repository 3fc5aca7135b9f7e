//! The CRYPTO stream of one direction at one encryption level: frames put back in order
//! by offset (they may arrive out of order and across packets — a post-quantum ClientHello
//! spans several Initial packets), then cut into TLS handshake messages.

use super::stream::Reassembler;

/// Bytes of one CRYPTO stream kept (in order plus waiting); beyond it the stream stops.
pub const MAX_CRYPTO: usize = 256 << 10;

/// One direction's CRYPTO stream at one level.
#[derive(Debug, Default)]
pub struct CryptoStream {
    chunks: Reassembler,
    /// Contiguous bytes not yet cut into messages.
    data: Vec<u8>,
    /// The bound was hit: later data is dropped.
    pub overflow: bool,
}

/// A whole handshake message: type and body (after the 4-byte header).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HandshakeMessage {
    pub msg_type: u8,
    pub body: Vec<u8>,
}

impl CryptoStream {
    /// Add a CRYPTO frame's data at `offset`.
    pub fn insert(&mut self, offset: u64, bytes: &[u8]) {
        self.chunks
            .insert(offset, bytes, MAX_CRYPTO, Some(MAX_CRYPTO as u64));
        self.overflow |= self.chunks.overflow;
        self.data.extend(self.chunks.take());
    }

    /// Bytes received beyond a gap (waiting for earlier data).
    pub fn waiting(&self) -> usize {
        self.chunks.waiting()
    }

    /// Handshake messages completed since the last call.
    pub fn take_messages(&mut self) -> Vec<HandshakeMessage> {
        let mut out = Vec::new();
        let mut at = 0usize;
        while let Some(hdr) = self.data.get(at..at + 4) {
            let msg_type = hdr.first().copied().unwrap_or(0);
            let len = hdr
                .iter()
                .skip(1)
                .fold(0usize, |a, b| (a << 8) | usize::from(*b));
            let start = at + 4;
            let Some(body) = self.data.get(start..start + len) else {
                break;
            };
            out.push(HandshakeMessage {
                msg_type,
                body: body.to_vec(),
            });
            at = start + len;
        }
        self.data.drain(..at);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn out_of_order_and_overlapping_chunks() {
        let msg: Vec<u8> = [vec![1, 0, 0, 6], b"abcdef".to_vec(), vec![2, 0, 0, 1, b'z']].concat();
        let mut s = CryptoStream::default();
        s.insert(6, &msg[6..]);
        assert!(s.take_messages().is_empty());
        assert_eq!(s.waiting(), msg.len() - 6);
        s.insert(0, &msg[..3]);
        s.insert(2, &msg[2..8]); // overlaps both sides
        let m = s.take_messages();
        assert_eq!(m.len(), 2);
        assert_eq!(
            m[0],
            HandshakeMessage {
                msg_type: 1,
                body: b"abcdef".to_vec()
            }
        );
        assert_eq!(m[1].body, b"z");
        assert_eq!(s.waiting(), 0);
    }

    #[test]
    fn bounded() {
        let mut s = CryptoStream::default();
        s.insert(MAX_CRYPTO as u64, &[1]);
        assert!(s.overflow);
        s.insert(0, &[1, 0, 0, 0]);
        assert!(s.take_messages().is_empty());
    }
}
