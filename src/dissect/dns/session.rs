//! DNS over a conversation: queries and responses paired by transaction id within one
//! session (a UDP 5-tuple or a TCP connection), and the 2-byte length framing of DNS over
//! TCP (RFC 1035 §4.2.2, RFC 7766) reassembled from the stream.

use std::collections::{HashMap, VecDeque};

use super::event::{DnsEvent, DnsTap, DnsTransport, Exchange};
use super::wire::{self, ShortMessage};

/// Most queries waiting for their response in one session; the oldest is forgotten first.
pub const MAX_PENDING: usize = 1024;

/// A query repeating the id of an unanswered one less than this many nanoseconds after it is a
/// retry of the same transaction (tshark's default retransmission timer, 5 s).
pub const RETRY_WINDOW_NS: i128 = 5_000_000_000;

/// The latest transaction of an id, as tshark's DNS statistics pair them.
#[derive(Debug, Clone, Copy)]
struct Txn {
    asked: i128,
    answered: bool,
}

/// Pairs the queries and responses of one session.
#[derive(Debug, Default)]
pub struct DnsSession {
    /// Transaction id → frame of the query, oldest first in `order`.
    pending: HashMap<u16, u64>,
    order: VecDeque<u16>,
    /// Queries forgotten because [`MAX_PENDING`] was reached.
    pub forgotten: u64,
    /// Transactions by id for the statistics (`None` when tshark does not count this
    /// session's messages), the ids oldest first in `txn_order`.
    txns: Option<HashMap<u16, Txn>>,
    txn_order: VecDeque<u16>,
}

impl DnsSession {
    pub fn new() -> Self {
        Self::default()
    }

    /// A session whose messages tshark's DNS statistics count.
    pub fn counted() -> Self {
        DnsSession {
            txns: Some(HashMap::new()),
            ..Self::default()
        }
    }

    /// Decode one message carried by `frame` and pair it: a query is remembered by id, a
    /// response gets the frame of its query. `frame_offset` is where the message starts in
    /// the frame when it lies there whole; `now` is the frame's time in nanoseconds.
    pub fn message(
        &mut self,
        transport: DnsTransport,
        bytes: &[u8],
        frame: u64,
        frame_offset: Option<usize>,
        now: Option<i128>,
    ) -> Result<DnsEvent, ShortMessage> {
        let message = wire::parse(bytes)?;
        let prefix = match transport {
            DnsTransport::Tcp => 2,
            DnsTransport::Udp => 0,
        };
        let exchange = self.exchange(message.id, message.flags.response(), now);
        let tap = exchange.map(|exchange| DnsTap {
            payload_size: bytes.len() + prefix,
            exchange,
        });
        let mut ev = DnsEvent {
            transport,
            message,
            response_to: None,
            frame_offset,
            tap,
        };
        let id = ev.message.id;
        if ev.is_response() {
            if let Some(q) = self.pending.remove(&id) {
                ev.response_to = Some(q);
                self.order.retain(|x| *x != id);
            }
        } else {
            if self.pending.insert(id, frame).is_none() {
                self.order.push_back(id);
            }
            while self.order.len() > MAX_PENDING {
                if let Some(old) = self.order.pop_front() {
                    self.pending.remove(&old);
                    self.forgotten += 1;
                }
            }
        }
        Ok(ev)
    }
}

impl DnsSession {
    /// The message's place in its transaction, for the statistics (`None` when they do not
    /// count this session).
    fn exchange(&mut self, id: u16, response: bool, now: Option<i128>) -> Option<Exchange> {
        let txns = self.txns.as_mut()?;
        let now = now.unwrap_or(0);
        let latest = txns.get_mut(&id);
        if response {
            return Some(match latest {
                None => Exchange::Unsolicited,
                Some(t) if t.answered => Exchange::Retransmitted,
                Some(t) => {
                    t.answered = true;
                    Exchange::Answer(now.saturating_sub(t.asked))
                }
            });
        }
        match latest {
            Some(t) if !t.answered && now.saturating_sub(t.asked) < RETRY_WINDOW_NS => {}
            Some(t) => {
                *t = Txn {
                    asked: now,
                    answered: false,
                }
            }
            None => {
                txns.insert(
                    id,
                    Txn {
                        asked: now,
                        answered: false,
                    },
                );
                self.txn_order.push_back(id);
                while self.txn_order.len() > MAX_PENDING {
                    if let Some(old) = self.txn_order.pop_front() {
                        txns.remove(&old);
                    }
                }
            }
        }
        Some(Exchange::Query)
    }
}

/// One direction of DNS over TCP: bytes in, whole messages out.
#[derive(Debug, Default)]
pub struct TcpFraming {
    buf: Vec<u8>,
    /// Stream offset of `buf[0]`.
    start: u64,
    /// A hole was seen: the framing is lost until the stream ends.
    lost: bool,
}

/// A message cut out of the stream: its bytes and the stream offset of its first byte
/// (after the length prefix).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FramedMessage {
    pub offset: u64,
    pub bytes: Vec<u8>,
}

impl TcpFraming {
    pub fn new() -> Self {
        Self::default()
    }

    /// In-order bytes at stream `offset`; returns the messages completed. A message is at
    /// most 65535 bytes, so the buffer never holds more than one message and its prefix.
    pub fn data(&mut self, offset: u64, data: &[u8]) -> Vec<FramedMessage> {
        let mut out = Vec::new();
        if self.lost {
            return out;
        }
        if self.buf.is_empty() {
            self.start = offset;
        }
        self.buf.extend_from_slice(data);
        while let Some(len) = self
            .buf
            .get(..2)
            .and_then(|p| <[u8; 2]>::try_from(p).ok())
            .map(|p| usize::from(u16::from_be_bytes(p)))
        {
            let Some(msg) = self.buf.get(2..2 + len) else {
                break;
            };
            out.push(FramedMessage {
                offset: self.start + 2,
                bytes: msg.to_vec(),
            });
            self.buf.drain(..2 + len);
            self.start += 2 + len as u64;
        }
        out
    }

    /// Bytes were never captured: the framing cannot be trusted after them.
    pub fn hole(&mut self) {
        self.lost = true;
        self.buf.clear();
    }

    /// Bytes left over at the end (a message cut short).
    pub fn pending(&self) -> usize {
        self.buf.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(id: u16, response: bool) -> Vec<u8> {
        let flags: u16 = if response { 0x8180 } else { 0x0100 };
        let mut b = Vec::new();
        b.extend_from_slice(&id.to_be_bytes());
        b.extend_from_slice(&flags.to_be_bytes());
        b.extend_from_slice(&[0, 1, 0, 0, 0, 0, 0, 0]);
        b.extend_from_slice(b"\x01a\x00\x00\x01\x00\x01");
        b
    }

    #[test]
    fn pairs_by_id() {
        let mut s = DnsSession::new();
        let q1 = s
            .message(DnsTransport::Udp, &query(7, false), 1, Some(42), None)
            .unwrap();
        assert_eq!(q1.response_to, None);
        s.message(DnsTransport::Udp, &query(8, false), 2, None, None)
            .unwrap();
        let r2 = s
            .message(DnsTransport::Udp, &query(8, true), 3, None, None)
            .unwrap();
        assert_eq!(r2.response_to, Some(2));
        let r1 = s
            .message(DnsTransport::Udp, &query(7, true), 4, None, None)
            .unwrap();
        assert_eq!(r1.response_to, Some(1));
        // a second response with the same id pairs with nothing
        let again = s
            .message(DnsTransport::Udp, &query(7, true), 5, None, None)
            .unwrap();
        assert_eq!(again.response_to, None);
    }

    #[test]
    fn pending_queries_are_bounded() {
        let mut s = DnsSession::new();
        for id in 0..(MAX_PENDING as u16 + 10) {
            s.message(
                DnsTransport::Udp,
                &query(id, false),
                u64::from(id),
                None,
                None,
            )
            .unwrap();
        }
        assert_eq!(s.forgotten, 10);
        assert_eq!(
            s.message(DnsTransport::Udp, &query(0, true), 9999, None, None)
                .unwrap()
                .response_to,
            None
        );
        assert_eq!(
            s.message(DnsTransport::Udp, &query(10, true), 9999, None, None)
                .unwrap()
                .response_to,
            Some(10)
        );
    }

    #[test]
    fn tcp_framing_across_segments() {
        let q = query(9, false);
        let mut wire = (q.len() as u16).to_be_bytes().to_vec();
        wire.extend_from_slice(&q);
        wire.extend_from_slice(&wire.clone());
        let mut f = TcpFraming::new();
        let mut got = Vec::new();
        let mut off = 0u64;
        for chunk in wire.chunks(5) {
            got.extend(f.data(off, chunk));
            off += chunk.len() as u64;
        }
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].offset, 2);
        assert_eq!(got[0].bytes, q);
        assert_eq!(got[1].offset, 2 + 2 + q.len() as u64);
        assert_eq!(f.pending(), 0);
        f.hole();
        assert!(f.data(off, &wire).is_empty());
    }
}
