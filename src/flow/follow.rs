//! "Follow TCP stream": collect the reassembled conversation of selected streams as a
//! sequence of chunks (direction, frame, bytes) and holes, for the follow renderers; and
//! "Follow UDP stream": the datagrams of one UDP session, one chunk each (as `tshark -z
//! follow,udp,...` prints them).
//!
//! Chunks are kept as delivered: one per segment's in-order bytes, which is the layout of
//! `tshark -z follow,tcp,...` (4.0 prints one chunk per segment, even for consecutive
//! segments of one direction). With [`FollowCollector::merge_same_direction`] consecutive
//! chunks of one direction are merged into one (and consecutive holes likewise).
//!
//! Memory is bounded per stream: past `limit_per_stream` data bytes, further bytes are
//! counted in [`FollowStream::cut_bytes`] but not kept.

use std::collections::BTreeMap;

use super::udp::UdpEvent;
use super::{
    ConversationSummary, Direction, Endpoint, StreamEvent, StreamId, StreamSink, Transport,
};

/// Which streams to collect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FollowSelect {
    /// Only this stream (like `tshark -z follow,tcp,ascii,N`).
    Stream(StreamId),
    /// Only this UDP session (its `udp.stream`; like `tshark -z follow,udp,ascii,N`).
    Udp(StreamId),
    /// Every stream.
    All,
}

/// One element of a followed conversation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FollowItem {
    /// In-order bytes of one direction; `frame` carried the first of them.
    Data {
        dir: Direction,
        frame: u64,
        bytes: Vec<u8>,
    },
    /// `len` bytes of one direction never captured.
    Hole { dir: Direction, len: u64 },
}

/// The followed conversation of one stream.
#[derive(Debug, Clone, PartialEq)]
pub struct FollowStream {
    /// TCP stream or UDP session (ids are counted apart, as `tcp.stream` and `udp.stream`).
    pub transport: Transport,
    pub stream: StreamId,
    pub client: Endpoint,
    pub server: Endpoint,
    pub items: Vec<FollowItem>,
    /// Data bytes kept in `items`.
    pub kept_bytes: u64,
    /// Data bytes dropped because the per-stream limit was reached (0: nothing cut).
    pub cut_bytes: u64,
    /// The per-stream limit in force.
    pub limit: u64,
    /// The stream's counts, once it closed.
    pub summary: Option<ConversationSummary>,
    /// The items are TLS plaintext decrypted with the session keys (not the TCP bytes).
    pub decrypted: bool,
    /// The memory budget took the kept bytes back (counted in `cut_bytes`).
    pub released: bool,
}

/// What a followed stream costs beyond its data bytes (the stream, and each item).
const STREAM_COST: usize = 512;
const ITEM_COST: usize = 64;

impl FollowStream {
    /// Bytes this stream holds, as the memory budget counts them.
    fn cost(&self) -> usize {
        STREAM_COST
            .saturating_add(usize::try_from(self.kept_bytes).unwrap_or(usize::MAX))
            .saturating_add(self.items.len().saturating_mul(ITEM_COST))
    }
}

impl FollowStream {
    /// Keep `data` of `dir` (bounded by the limit; merged with the previous chunk of the
    /// same direction when `merge`).
    fn push_data(&mut self, dir: Direction, frame: u64, data: &[u8], merge: bool) {
        let room = self.limit.saturating_sub(self.kept_bytes);
        let keep = usize::try_from(room).unwrap_or(usize::MAX).min(data.len());
        let kept = data.get(..keep).unwrap_or(&[]);
        self.cut_bytes = self.cut_bytes.saturating_add((data.len() - keep) as u64);
        if kept.is_empty() {
            return;
        }
        self.kept_bytes = self.kept_bytes.saturating_add(kept.len() as u64);
        if merge {
            if let Some(FollowItem::Data { dir: d, bytes, .. }) = self.items.last_mut() {
                if *d == dir {
                    bytes.extend_from_slice(kept);
                    return;
                }
            }
        }
        self.items.push(FollowItem::Data {
            dir,
            frame,
            bytes: kept.to_vec(),
        });
    }

    /// True when bytes were dropped at the limit.
    pub fn was_cut(&self) -> bool {
        self.cut_bytes > 0
    }

    /// All kept bytes of one direction, in order (holes skipped).
    pub fn bytes_of(&self, dir: Direction) -> Vec<u8> {
        let mut out = Vec::new();
        for item in &self.items {
            if let FollowItem::Data { dir: d, bytes, .. } = item {
                if *d == dir {
                    out.extend_from_slice(bytes);
                }
            }
        }
        out
    }
}

/// Records followed streams from [`StreamEvent`]s.
#[derive(Debug, Clone)]
pub struct FollowCollector {
    select: FollowSelect,
    limit_per_stream: u64,
    merge: bool,
    streams: BTreeMap<StreamId, FollowStream>,
    /// Bytes held over all streams (see [`FollowStream::cost`]).
    held: usize,
    /// The selected UDP session was seen (it may be handed out already).
    udp_seen: bool,
}

impl FollowCollector {
    /// Collect `select`, keeping at most `limit_per_stream` data bytes of each stream.
    pub fn new(select: FollowSelect, limit_per_stream: usize) -> Self {
        FollowCollector {
            select,
            limit_per_stream: limit_per_stream as u64,
            merge: false,
            streams: BTreeMap::new(),
            held: 0,
            udp_seen: false,
        }
    }

    /// Merge consecutive chunks (and holes) of the same direction into one.
    pub fn merge_same_direction(mut self, merge: bool) -> Self {
        self.merge = merge;
        self
    }

    fn wanted(&self, stream: StreamId) -> bool {
        match self.select {
            FollowSelect::Stream(id) => id == stream,
            FollowSelect::All => true,
            FollowSelect::Udp(_) => false,
        }
    }

    /// Take one event of the UDP sessions into account: the selected session's datagrams,
    /// one chunk each (never merged: a datagram is tshark's unit), bounded as TCP bytes are.
    pub fn on_udp(&mut self, ev: &UdpEvent<'_>) {
        let FollowSelect::Udp(wanted) = self.select else {
            return;
        };
        let before = self.streams.get(&wanted).map_or(0, FollowStream::cost);
        match ev {
            UdpEvent::Open {
                session,
                client,
                server,
                ..
            } if *session == wanted => {
                let fs = self.new_stream(Transport::Udp, wanted, *client, *server);
                self.streams.insert(wanted, fs);
                self.udp_seen = true;
            }
            UdpEvent::Datagram {
                session,
                dir,
                data,
                frame,
                ..
            } if *session == wanted => {
                if let Some(fs) = self.streams.get_mut(&wanted) {
                    fs.push_data(*dir, *frame, data, false);
                }
            }
            UdpEvent::Close { session, summary } if *session == wanted => {
                if let Some(fs) = self.streams.get_mut(&wanted) {
                    fs.summary = Some(summary.clone());
                }
            }
            _ => return,
        }
        let after = self.streams.get(&wanted).map_or(0, FollowStream::cost);
        self.held = self.held.saturating_sub(before).saturating_add(after);
    }

    /// With [`FollowSelect::Udp`]: whether the capture had that session.
    pub fn udp_seen(&self) -> bool {
        self.udp_seen
    }

    fn new_stream(
        &self,
        transport: Transport,
        stream: StreamId,
        client: Endpoint,
        server: Endpoint,
    ) -> FollowStream {
        FollowStream {
            transport,
            stream,
            client,
            server,
            items: Vec::new(),
            kept_bytes: 0,
            cut_bytes: 0,
            limit: self.limit_per_stream,
            summary: None,
            decrypted: false,
            released: false,
        }
    }

    /// Take one event into account.
    pub fn on_event(&mut self, ev: &StreamEvent<'_>) {
        // TCP stream ids and UDP session ids are counted apart: a followed UDP session
        // takes nothing from the TCP stream of the same number.
        if matches!(self.select, FollowSelect::Udp(_)) {
            return;
        }
        let touched = match ev {
            StreamEvent::Open { .. } => None,
            StreamEvent::Data { stream, .. }
            | StreamEvent::Hole { stream, .. }
            | StreamEvent::Close { stream, .. }
            | StreamEvent::End { stream, .. }
            | StreamEvent::Note { stream, .. } => Some(*stream),
        };
        let before = touched
            .and_then(|id| self.streams.get(&id))
            .map_or(0, FollowStream::cost);
        self.record(ev);
        let after = match ev {
            StreamEvent::Open { stream, .. } => {
                self.streams.get(stream).map_or(0, FollowStream::cost)
            }
            _ => touched
                .and_then(|id| self.streams.get(&id))
                .map_or(0, FollowStream::cost),
        };
        self.held = self.held.saturating_sub(before).saturating_add(after);
    }

    fn record(&mut self, ev: &StreamEvent<'_>) {
        match ev {
            StreamEvent::Open {
                stream,
                client,
                server,
                ..
            } => {
                if self.wanted(*stream) {
                    let fs = self.new_stream(Transport::Tcp, *stream, *client, *server);
                    self.streams.insert(*stream, fs);
                }
            }
            StreamEvent::Data {
                stream,
                dir,
                data,
                frame,
                ..
            } => {
                let merge = self.merge;
                let Some(fs) = self.streams.get_mut(stream) else {
                    return;
                };
                if !fs.decrypted {
                    fs.push_data(*dir, *frame, data, merge);
                }
            }
            StreamEvent::Hole {
                stream, dir, len, ..
            } => {
                let merge = self.merge;
                let Some(fs) = self.streams.get_mut(stream) else {
                    return;
                };
                if fs.was_cut() {
                    return;
                }
                if merge {
                    if let Some(FollowItem::Hole { dir: d, len: l }) = fs.items.last_mut() {
                        if d == dir {
                            *l = l.saturating_add(*len);
                            return;
                        }
                    }
                }
                fs.items.push(FollowItem::Hole {
                    dir: *dir,
                    len: *len,
                });
            }
            StreamEvent::Close { stream, summary } => {
                if let Some(fs) = self.streams.get_mut(stream) {
                    fs.summary = Some(summary.clone());
                }
            }
            StreamEvent::End { .. } | StreamEvent::Note { .. } => {}
        }
    }

    /// TLS application data of `stream` decrypted with the session keys: from the first
    /// such bytes on, the followed conversation is the plaintext (as `tshark -z
    /// follow,tls`), no longer the encrypted TCP bytes.
    pub fn plaintext(&mut self, stream: StreamId, dir: Direction, frame: u64, data: &[u8]) {
        if matches!(self.select, FollowSelect::Udp(_)) {
            return;
        }
        let merge = self.merge;
        let Some(fs) = self.streams.get_mut(&stream) else {
            return;
        };
        let before = fs.cost();
        if !fs.decrypted {
            fs.decrypted = true;
            fs.items.clear();
            fs.kept_bytes = 0;
            fs.cut_bytes = 0;
            if fs.released {
                fs.limit = 0;
            }
        }
        fs.push_data(dir, frame, data, merge);
        self.held = self.held.saturating_sub(before).saturating_add(fs.cost());
    }

    /// Bytes held over all collected streams (the memory budget's `follow` pool).
    pub fn held_bytes(&self) -> usize {
        self.held
    }

    /// The memory budget is exceeded: the streams keeping the most data bytes (lowest id
    /// on ties) give them back until at least `needed` bytes are freed, found in one walk
    /// (a walk per stream released would make a flood of small streams quadratic). Their
    /// bytes are counted in `cut_bytes`, with `released`, and their later bytes are
    /// counted, not kept. Returns the bytes given back.
    pub fn release(&mut self, needed: usize) -> usize {
        let mut holders: Vec<(u64, StreamId)> = self
            .streams
            .values()
            .filter(|f| f.kept_bytes > 0)
            .map(|f| (f.kept_bytes, f.stream))
            .collect();
        holders.sort_unstable_by_key(|&(kept, id)| (std::cmp::Reverse(kept), id));
        let mut freed = 0usize;
        for (_, id) in holders {
            if freed >= needed.max(1) {
                break;
            }
            let Some(fs) = self.streams.get_mut(&id) else {
                continue;
            };
            let before = fs.cost();
            fs.cut_bytes = fs.cut_bytes.saturating_add(fs.kept_bytes);
            fs.kept_bytes = 0;
            fs.limit = 0;
            fs.released = true;
            fs.items = Vec::new();
            freed = freed.saturating_add(before.saturating_sub(fs.cost()));
        }
        self.held = self.held.saturating_sub(freed);
        freed
    }

    /// Take out the streams that can be written now, in stream order: closed, and with no
    /// open stream of a lower id left (streams are numbered in order of opening, so no
    /// later one comes before them). Writing them as they become ready keeps `--follow
    /// all` from holding every stream of a capture until its end; the output is the same.
    pub fn take_ready(&mut self) -> Vec<FollowStream> {
        let mut ready = Vec::new();
        while self
            .streams
            .first_key_value()
            .is_some_and(|(_, f)| f.summary.is_some())
        {
            if let Some((_, fs)) = self.streams.pop_first() {
                self.held = self.held.saturating_sub(fs.cost());
                ready.push(fs);
            }
        }
        ready
    }

    /// The collected streams, in stream order.
    pub fn streams(&self) -> impl Iterator<Item = &FollowStream> {
        self.streams.values()
    }

    /// One collected stream.
    pub fn stream(&self, id: StreamId) -> Option<&FollowStream> {
        self.streams.get(&id)
    }

    /// The collected streams, in stream order.
    pub fn into_streams(self) -> Vec<FollowStream> {
        self.streams.into_values().collect()
    }
}

impl StreamSink for FollowCollector {
    fn event(&mut self, _now_frame: u64, ev: StreamEvent<'_>) {
        self.on_event(&ev);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capture::Timestamp;
    use std::net::{IpAddr, Ipv4Addr};

    fn ep(last: u8, port: u16) -> Endpoint {
        Endpoint {
            addr: IpAddr::V4(Ipv4Addr::new(10, 0, 0, last)),
            port,
        }
    }

    fn open(c: &mut FollowCollector, stream: StreamId) {
        c.on_event(&StreamEvent::Open {
            stream,
            client: ep(1, 40000),
            server: ep(2, 80),
            frame: 1,
            ts: Timestamp::default(),
        });
    }

    fn data(c: &mut FollowCollector, stream: StreamId, dir: Direction, frame: u64, d: &[u8]) {
        c.on_event(&StreamEvent::Data {
            stream,
            dir,
            offset: 0,
            data: d,
            frame,
            frame_offset: 54,
        });
    }

    #[test]
    fn keeps_only_the_selected_stream_and_chunks_per_segment() {
        let mut c = FollowCollector::new(FollowSelect::Stream(1), 1000);
        open(&mut c, 0);
        open(&mut c, 1);
        data(&mut c, 0, Direction::ToServer, 2, b"other");
        data(&mut c, 1, Direction::ToServer, 3, b"GET ");
        data(&mut c, 1, Direction::ToServer, 4, b"/\r\n");
        data(&mut c, 1, Direction::ToClient, 5, b"OK");
        assert!(c.stream(0).is_none());
        let s = c.stream(1).expect("stream 1 followed");
        assert_eq!(s.items.len(), 3);
        assert_eq!(s.bytes_of(Direction::ToServer), b"GET /\r\n");
        assert_eq!(s.bytes_of(Direction::ToClient), b"OK");
    }

    #[test]
    fn merges_same_direction_when_asked_and_cuts_at_the_limit() {
        let mut c = FollowCollector::new(FollowSelect::All, 6).merge_same_direction(true);
        open(&mut c, 0);
        data(&mut c, 0, Direction::ToServer, 2, b"abc");
        data(&mut c, 0, Direction::ToServer, 3, b"de");
        c.on_event(&StreamEvent::Hole {
            stream: 0,
            dir: Direction::ToClient,
            offset: 0,
            len: 10,
        });
        c.on_event(&StreamEvent::Hole {
            stream: 0,
            dir: Direction::ToClient,
            offset: 10,
            len: 5,
        });
        data(&mut c, 0, Direction::ToClient, 4, b"xyz");
        let s = c.stream(0).expect("followed");
        assert_eq!(
            s.items,
            vec![
                FollowItem::Data {
                    dir: Direction::ToServer,
                    frame: 2,
                    bytes: b"abcde".to_vec()
                },
                FollowItem::Hole {
                    dir: Direction::ToClient,
                    len: 15
                },
                FollowItem::Data {
                    dir: Direction::ToClient,
                    frame: 4,
                    bytes: b"x".to_vec()
                },
            ]
        );
        assert_eq!(s.kept_bytes, 6);
        assert_eq!(s.cut_bytes, 2);
        assert!(s.was_cut());
    }
}
