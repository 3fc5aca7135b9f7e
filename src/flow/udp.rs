//! UDP sessions: datagrams grouped by canonical five-tuple into conversations, so datagram
//! protocols (DNS, QUIC) get a session, an id and a close like TCP streams.
//!
//! - Ids count from 0 in order of first datagram, separately from TCP streams, as tshark's
//!   `udp.stream` does: a session is identified by (transport, id). For a capture shorter
//!   than the idle timeout the ids equal tshark's `udp.stream`.
//! - The client is the sender of the first datagram seen.
//! - A session closes after `idle_timeout_secs` of packet time without a datagram (a later
//!   datagram of the same five-tuple opens a new session), when evicted to stay within
//!   `max_flows` live sessions (the idlest goes), or at the end of the capture.

use std::collections::{BTreeSet, HashMap};

use super::{
    CloseReason, ConvState, ConversationSummary, Direction, Endpoint, FlowConfig, FlowKey, StreamId,
};
use crate::capture::Timestamp;

/// What the pipeline knows of one UDP datagram.
#[derive(Debug, Clone, Copy)]
pub struct UdpDatagram<'a> {
    /// Frame number in the capture, from 1.
    pub frame: u64,
    pub ts: Timestamp,
    pub src: Endpoint,
    pub dst: Endpoint,
    /// The payload bytes that were captured.
    pub payload: &'a [u8],
    /// Where `payload[0]` sits in the frame.
    pub payload_offset: usize,
    /// Payload length on the wire (from the UDP length).
    pub wire_len: u32,
    /// Length of the whole frame on the wire.
    pub frame_len: u32,
}

/// What the UDP table reports.
#[derive(Debug)]
pub enum UdpEvent<'a> {
    /// A new session: sent before any other event of it.
    Open {
        session: StreamId,
        client: Endpoint,
        server: Endpoint,
        frame: u64,
        ts: Timestamp,
    },
    /// One datagram of the session.
    Datagram {
        session: StreamId,
        dir: Direction,
        data: &'a [u8],
        frame: u64,
        /// Where `data[0]` sits in `frame`.
        frame_offset: usize,
    },
    /// The session is gone; no more events for it.
    Close {
        session: StreamId,
        summary: ConversationSummary,
    },
}

/// Receives the UDP table's events; `now_frame` is the frame being processed.
pub trait UdpSink {
    fn udp_event(&mut self, now_frame: u64, ev: UdpEvent<'_>);
}

struct Session {
    id: StreamId,
    summary: ConversationSummary,
    /// Last datagram's time: the session expires `idle_timeout_secs` after it.
    last_ts: Timestamp,
}

/// The live UDP sessions.
pub struct UdpTable {
    cfg: FlowConfig,
    sessions: HashMap<FlowKey, Session>,
    /// (last datagram's time, id, key) of every live session: the first is the idlest.
    by_age: BTreeSet<(Timestamp, StreamId, FlowKey)>,
    next_id: StreamId,
    /// Sessions opened, and sessions evicted to stay within the bound.
    pub opened: u64,
    pub evicted: u64,
}

/// Which way a datagram went in its session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UdpAnalysis {
    pub session: StreamId,
    pub dir: Direction,
}

impl UdpTable {
    pub fn new(cfg: FlowConfig) -> Self {
        UdpTable {
            cfg,
            sessions: HashMap::new(),
            by_age: BTreeSet::new(),
            next_id: 0,
            opened: 0,
            evicted: 0,
        }
    }

    pub fn live_sessions(&self) -> usize {
        self.sessions.len()
    }

    fn expired(&self, last: Timestamp, now: Timestamp) -> bool {
        let idle = i64::try_from(self.cfg.idle_timeout_secs).unwrap_or(i64::MAX);
        Timestamp::new(last.secs.saturating_add(idle), last.nanos) < now
    }

    /// Close every session idle for longer than the timeout at `now` (packet time), idlest
    /// first.
    pub fn advance(&mut self, now: Timestamp, sink: &mut dyn UdpSink) {
        while let Some(&(last, _, key)) = self.by_age.first() {
            if !self.expired(last, now) {
                break;
            }
            self.close(&key, CloseReason::Idle, sink);
        }
    }

    fn close(&mut self, key: &FlowKey, reason: CloseReason, sink: &mut dyn UdpSink) {
        let Some(mut s) = self.sessions.remove(key) else {
            return;
        };
        self.by_age.remove(&(s.last_ts, s.id, *key));
        s.summary.close_reason = reason;
        let frame = s.summary.last_frame;
        sink.udp_event(
            frame,
            UdpEvent::Close {
                session: s.id,
                summary: s.summary,
            },
        );
    }

    /// One datagram: find or open its session, and hand it on.
    pub fn datagram(&mut self, d: &UdpDatagram<'_>, sink: &mut dyn UdpSink) -> UdpAnalysis {
        let key = FlowKey::new(d.src, d.dst);
        if let Some(s) = self.sessions.get(&key) {
            if self.expired(s.last_ts, d.ts) {
                self.close(&key, CloseReason::Idle, sink);
            }
        }
        if !self.sessions.contains_key(&key) {
            if self.sessions.len() >= self.cfg.max_flows.max(1) {
                if let Some(&(_, _, idlest)) = self.by_age.first() {
                    self.evicted += 1;
                    self.close(&idlest, CloseReason::Evicted, sink);
                }
            }
            let id = self.next_id;
            self.next_id = self.next_id.saturating_add(1);
            self.opened += 1;
            sink.udp_event(
                d.frame,
                UdpEvent::Open {
                    session: id,
                    client: d.src,
                    server: d.dst,
                    frame: d.frame,
                    ts: d.ts,
                },
            );
            let summary = ConversationSummary {
                stream: id,
                client: d.src,
                server: d.dst,
                packets_to_server: 0,
                bytes_to_server: 0,
                packets_to_client: 0,
                bytes_to_client: 0,
                payload_to_server: 0,
                payload_to_client: 0,
                first_frame: d.frame,
                last_frame: d.frame,
                start: d.ts,
                end: d.ts,
                state: ConvState::Open,
                close_reason: CloseReason::EndOfCapture,
                syn_seen: false,
            };
            self.sessions.insert(
                key,
                Session {
                    id,
                    summary,
                    last_ts: d.ts,
                },
            );
            self.by_age.insert((d.ts, id, key));
        }
        let Some(s) = self.sessions.get_mut(&key) else {
            // Unreachable: the session was inserted above.
            return UdpAnalysis {
                session: 0,
                dir: Direction::ToServer,
            };
        };
        let dir = if d.src == s.summary.client {
            Direction::ToServer
        } else {
            Direction::ToClient
        };
        let sum = &mut s.summary;
        let frame_len = u64::from(d.frame_len);
        let payload = u64::from(d.wire_len);
        match dir {
            Direction::ToServer => {
                sum.packets_to_server += 1;
                sum.bytes_to_server += frame_len;
                sum.payload_to_server += payload;
            }
            Direction::ToClient => {
                sum.packets_to_client += 1;
                sum.bytes_to_client += frame_len;
                sum.payload_to_client += payload;
            }
        }
        sum.last_frame = d.frame;
        sum.end = d.ts;
        if s.last_ts != d.ts {
            self.by_age.remove(&(s.last_ts, s.id, key));
            s.last_ts = d.ts;
            self.by_age.insert((d.ts, s.id, key));
        }
        let session = s.id;
        sink.udp_event(
            d.frame,
            UdpEvent::Datagram {
                session,
                dir,
                data: d.payload,
                frame: d.frame,
                frame_offset: d.payload_offset,
            },
        );
        UdpAnalysis { session, dir }
    }

    /// End of capture: close every live session, in id order.
    pub fn finish(&mut self, sink: &mut dyn UdpSink) {
        let mut keys: Vec<(StreamId, FlowKey)> =
            self.sessions.iter().map(|(k, s)| (s.id, *k)).collect();
        keys.sort_unstable();
        for (_, key) in keys {
            self.close(&key, CloseReason::EndOfCapture, sink);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::net::{IpAddr, Ipv4Addr};

    use super::*;

    #[derive(Default)]
    struct Log(Vec<String>);

    impl UdpSink for Log {
        fn udp_event(&mut self, now: u64, ev: UdpEvent<'_>) {
            self.0.push(match ev {
                UdpEvent::Open {
                    session, client, ..
                } => format!("{now} open {session} {client}"),
                UdpEvent::Datagram {
                    session, dir, data, ..
                } => format!("{now} dgram {session} {dir:?} {}", data.len()),
                UdpEvent::Close { session, summary } => format!(
                    "{now} close {session} {:?} {}/{}",
                    summary.close_reason, summary.packets_to_server, summary.packets_to_client
                ),
            });
        }
    }

    fn ep(last: u8, port: u16) -> Endpoint {
        Endpoint {
            addr: IpAddr::V4(Ipv4Addr::new(10, 0, 0, last)),
            port,
        }
    }

    fn dgram(frame: u64, secs: i64, src: Endpoint, dst: Endpoint) -> UdpDatagram<'static> {
        UdpDatagram {
            frame,
            ts: Timestamp::new(secs, 0),
            src,
            dst,
            payload: b"abc",
            payload_offset: 42,
            wire_len: 3,
            frame_len: 45,
        }
    }

    #[test]
    fn sessions_by_five_tuple_in_order_of_first_datagram_with_idle_expiry() {
        let cfg = FlowConfig {
            idle_timeout_secs: 60,
            ..FlowConfig::default()
        };
        let mut t = UdpTable::new(cfg);
        let mut log = Log::default();
        let (c, s, c2) = (ep(2, 5353), ep(1, 53), ep(3, 40000));
        for (frame, secs, src, dst) in [
            (1, 0, c, s),
            (2, 1, c2, s),
            (3, 2, s, c),
            (4, 30, s, c2),
            // 100 s after its last datagram: session 0 expired, this is session 2.
            (5, 102, c, s),
        ] {
            t.advance(Timestamp::new(secs, 0), &mut log);
            t.datagram(&dgram(frame, secs, src, dst), &mut log);
        }
        t.finish(&mut log);
        assert_eq!(
            log.0,
            vec![
                "1 open 0 10.0.0.2:5353",
                "1 dgram 0 ToServer 3",
                "2 open 1 10.0.0.3:40000",
                "2 dgram 1 ToServer 3",
                "3 dgram 0 ToClient 3",
                "4 dgram 1 ToClient 3",
                "3 close 0 Idle 1/1",
                "4 close 1 Idle 1/1",
                "5 open 2 10.0.0.2:5353",
                "5 dgram 2 ToServer 3",
                "5 close 2 EndOfCapture 1/0",
            ]
        );
    }

    #[test]
    fn live_sessions_are_bounded_by_evicting_the_idlest() {
        let cfg = FlowConfig {
            max_flows: 2,
            ..FlowConfig::default()
        };
        let mut t = UdpTable::new(cfg);
        let mut log = Log::default();
        for i in 0..5u8 {
            t.datagram(
                &dgram(u64::from(i) + 1, i64::from(i), ep(i, 1000), ep(200, 53)),
                &mut log,
            );
            assert!(t.live_sessions() <= 2);
        }
        assert_eq!(t.evicted, 3);
        assert!(
            log.0.contains(&"1 close 0 Evicted 1/0".to_string()),
            "{:?}",
            log.0
        );
    }
}
