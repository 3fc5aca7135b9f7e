//! Flow table: finds the flow of each segment, numbers streams, tracks each side's
//! sequence space and hands the bytes to the per-direction reassembler.
//!
//! Rules, in one place:
//! - **Key**: the canonical five-tuple ([`FlowKey`]); both directions are one flow.
//! - **Stream ids** count from 0 in order of each stream's first packet.
//! - **Client and server** are fixed when the stream opens: the sender of a SYN without ACK
//!   is the client; the sender of a SYN-ACK is the server. With neither (the capture started
//!   mid-stream), **the endpoint with the lower port is the server** (servers listen on fixed,
//!   usually low ports; clients get ephemeral ones from a high range); with equal ports the
//!   first sender is the client.
//! - **Ending**: a RST finishes the stream: data waiting behind gaps is flushed at once
//!   (holes, then the buffered bytes) and both directions end when the stream closes after
//!   the linger. Data seen after a RST is still delivered — a receiver may have dropped the
//!   RST (bad TCP-MD5 signature, out of window: a known evasion), and the bytes it went on
//!   to accept are what an eavesdropper must see. A FIN ends its direction once every byte before it was
//!   delivered (a gap before it is given up when the peer acknowledges the FIN). A stream
//!   with both FINs, or a RST, is *finished*: it stays in the table for a short linger
//!   ([`FINISHED_LINGER_SECS`], packet time) so trailing ACKs and retransmissions are
//!   counted in it, then closes with reason `Fin` / `Reset`.
//! - **Port reuse**: a SYN without ACK on a finished stream, or whose sequence number is
//!   not the one this side already uses (a different ISN), closes the old stream with
//!   reason `Reused` and opens a new one.
//! - **Expiry** is driven by packet time through [`FlowTable::advance`]: a stream idle for
//!   longer than `idle_timeout_secs` closes with reason `Idle`.
//! - **Every close** flushes both directions (hole for each unfilled gap, then the buffered
//!   bytes), emits `End` for each direction not yet ended, then `Close`.
//! - **Analysis** flags follow tshark's definitions (see [`FlowTable::segment`]). Zero-window
//!   probes are flagged but their byte *is* delivered: it is the real next byte of the
//!   stream, and a later retransmission of it is recognised as a duplicate.

use std::collections::BTreeSet;

// Seeded per process (hash flooding), never iterated into output: see `finish`.
use foldhash::HashMap;

use super::reassembly::{Emit, HalfStream, SegmentBytes};
use super::*;

/// How long a finished stream (both FINs, or RST) lingers, in seconds of packet time
/// (capped by the idle timeout).
pub const FINISHED_LINGER_SECS: u64 = 10;
/// Delivered bytes kept over all streams to compare retransmissions with (each direction
/// keeps its last `RECENT_DELIVERED`); past it a retransmission is searched unchecked.
pub const MAX_RECENT_TOTAL: usize = 2 << 20;

/// One live stream.
#[derive(Debug)]
struct Flow {
    stream: StreamId,
    key: FlowKey,
    client: Endpoint,
    server: Endpoint,
    halves: [HalfStream; 2],
    packets: [u64; 2],
    bytes: [u64; 2],
    first_frame: u64,
    last_frame: u64,
    start: Timestamp,
    last_ts: Timestamp,
    syn_seen: bool,
    reset: bool,
    /// When this flow expires.
    deadline: Timestamp,
    /// The deadline under which the flow sits in the expiry index (it may lag `deadline`:
    /// entries are refreshed lazily when they come up, not on every packet).
    indexed: Option<Timestamp>,
}

impl Flow {
    fn dir_of(&self, src: Endpoint) -> Direction {
        if src == self.client {
            Direction::ToServer
        } else {
            Direction::ToClient
        }
    }

    fn finished(&self) -> bool {
        self.reset || self.halves.iter().all(|h| h.fin.is_some())
    }

    fn pending_cost(&self) -> usize {
        self.halves.iter().map(HalfStream::pending_cost).sum()
    }

    fn recent_cost(&self) -> usize {
        self.halves.iter().map(HalfStream::recent_cost).sum()
    }

    /// Does a SYN without ACK from `seg.src` start a new stream on this five-tuple?
    fn reused_by(&self, seg: &TcpSegment<'_>) -> bool {
        let half = &self.halves[self.dir_of(seg.src).index()];
        let same_isn = half.base == Some(seg.seq.wrapping_add(1));
        if self.finished() {
            return !(half.syn_seen && same_isn);
        }
        half.base.is_some() && !same_isn
    }

    fn summary(&self, reason: CloseReason) -> ConversationSummary {
        let state = if self.reset {
            ConvState::Reset
        } else if self.syn_seen && self.halves.iter().all(|h| h.fin.is_some()) {
            ConvState::Complete
        } else {
            ConvState::Open
        };
        ConversationSummary {
            stream: self.stream,
            client: self.client,
            server: self.server,
            packets_to_server: self.packets[0],
            bytes_to_server: self.bytes[0],
            packets_to_client: self.packets[1],
            bytes_to_client: self.bytes[1],
            payload_to_server: self.halves[0].delivered,
            payload_to_client: self.halves[1].delivered,
            first_frame: self.first_frame,
            last_frame: self.last_frame,
            start: self.start,
            end: self.last_ts,
            state,
            close_reason: reason,
            syn_seen: self.syn_seen,
        }
    }
}

fn dir_at(i: usize) -> Direction {
    if i == 0 {
        Direction::ToServer
    } else {
        Direction::ToClient
    }
}

fn add_secs(ts: Timestamp, secs: u64) -> Timestamp {
    Timestamp {
        secs: ts
            .secs
            .saturating_add(i64::try_from(secs).unwrap_or(i64::MAX)),
        nanos: ts.nanos,
    }
}

/// The flow table. See the module documentation for the contract and the rules above.
pub struct FlowTable {
    cfg: FlowConfig,
    stats: FlowStats,
    flows: HashMap<FlowKey, Box<Flow>>,
    /// (deadline, stream, key) of every live flow: the first entry expires first and is the
    /// one evicted when the table is full.
    expiry: BTreeSet<(Timestamp, StreamId, FlowKey)>,
    next_stream: StreamId,
    buffered_total: usize,
    /// Bytes kept over all streams to compare retransmissions with.
    recent_total: usize,
}

impl FlowTable {
    pub fn new(cfg: FlowConfig) -> Self {
        FlowTable {
            cfg,
            stats: FlowStats::default(),
            flows: HashMap::default(),
            expiry: BTreeSet::new(),
            next_stream: 0,
            buffered_total: 0,
            recent_total: 0,
        }
    }

    /// Process one segment: find or open its stream, deliver what it completes, and say
    /// what it is. Analysis flags (relative to this side's highest sequence seen so far):
    /// - `keep_alive`: at most one byte at next-1, no SYN/FIN/RST (its byte is not data);
    /// - `retransmission`: sequence space already seen, no byte in it new;
    /// - `out_of_order`: starts below the highest seen and fills bytes never seen;
    /// - `previous_segment_not_captured`: starts beyond the highest seen;
    /// - `zero_window_probe`: one byte at the highest seen while the peer's window is 0;
    /// - `zero_window`: window 0 on a segment without SYN/FIN/RST;
    /// - `dup_ack`: no data, same ACK and window as this side's previous segment, and the
    ///   peer has unacknowledged data;
    /// - `window_full`: the segment fills the peer's advertised window exactly.
    pub fn segment(&mut self, seg: &TcpSegment<'_>, sink: &mut dyn StreamSink) -> SegmentAnalysis {
        self.stats.segments += 1;
        let key = FlowKey::new(seg.src, seg.dst);
        let syn_only = seg.flags.syn() && !seg.flags.ack();

        let mut flow = match self.take(&key) {
            Some(flow) if syn_only && flow.reused_by(seg) => {
                self.close(flow, CloseReason::Reused, seg.frame, sink);
                self.open(key, seg, sink)
            }
            Some(flow) => flow,
            None => self.open(key, seg, sink),
        };

        let analysis = self.process(&mut flow, seg, sink);
        self.put(flow);
        self.enforce_total_bound(key, seg.frame, sink);
        analysis
    }

    /// Close every stream whose deadline (idle timeout, or linger after FIN/RST) is before
    /// `now` (packet time). Streams close in order of deadline, then stream id.
    pub fn advance(&mut self, now: Timestamp, sink: &mut dyn StreamSink) {
        while let Some(&(deadline, _, _)) = self.expiry.first() {
            if deadline >= now {
                break;
            }
            let Some(flow) = self.first_due() else {
                continue;
            };
            if flow.deadline >= now {
                self.put(flow);
                continue;
            }
            let reason = if flow.reset {
                CloseReason::Reset
            } else if flow.finished() {
                CloseReason::Fin
            } else {
                CloseReason::Idle
            };
            let frame = flow.last_frame;
            self.close(flow, reason, frame, sink);
        }
    }

    /// Pop the first entry of the expiry index. A stale entry (the flow is gone, or a newer
    /// stream has its key) is dropped; an entry whose flow has moved its deadline since is
    /// re-indexed; either way `None`, and the caller looks again. Otherwise the flow is
    /// taken out of the table: its index entry was accurate.
    fn first_due(&mut self) -> Option<Box<Flow>> {
        let (deadline, stream, key) = self.expiry.pop_first()?;
        match self.flows.get_mut(&key) {
            Some(f) if f.stream == stream && f.indexed == Some(deadline) => {
                if f.deadline > deadline {
                    f.indexed = Some(f.deadline);
                    self.expiry.insert((f.deadline, f.stream, f.key));
                    None
                } else {
                    let mut flow = self.flows.remove(&key)?;
                    flow.indexed = None;
                    Some(flow)
                }
            }
            _ => None,
        }
    }

    /// End of capture: flush and close every live stream, in stream-id order.
    pub fn finish(&mut self, sink: &mut dyn StreamSink) {
        let mut keys: Vec<(StreamId, FlowKey)> =
            self.flows.values().map(|f| (f.stream, f.key)).collect();
        keys.sort_unstable();
        for (_, key) in keys {
            if let Some(flow) = self.take(&key) {
                let reason = if flow.reset {
                    CloseReason::Reset
                } else if flow.finished() {
                    CloseReason::Fin
                } else {
                    CloseReason::EndOfCapture
                };
                let frame = flow.last_frame;
                self.close(flow, reason, frame, sink);
            }
        }
    }

    pub fn stats(&self) -> &FlowStats {
        &self.stats
    }

    /// Live streams at the moment.
    pub fn live_flows(&self) -> usize {
        self.flows.len()
    }

    /// Out-of-order bytes buffered over all streams at the moment.
    pub fn buffered_bytes(&self) -> usize {
        self.buffered_total
    }

    /// Remove a flow from the table. Its expiry entry stays (it is recognised as stale, or
    /// reused by `put`), so the per-packet take/put costs no index work.
    fn take(&mut self, key: &FlowKey) -> Option<Box<Flow>> {
        self.flows.remove(key)
    }

    /// Put a flow (back) into the table with a fresh deadline.
    fn put(&mut self, mut flow: Box<Flow>) {
        let wait = if flow.finished() {
            FINISHED_LINGER_SECS.min(self.cfg.idle_timeout_secs)
        } else {
            self.cfg.idle_timeout_secs
        };
        flow.deadline = add_secs(flow.last_ts, wait);
        // Deadlines mostly move later: the existing entry is refreshed lazily when it comes
        // up. A new flow, or one whose deadline moved earlier (linger after FIN), is indexed
        // now.
        match flow.indexed {
            Some(at) if at <= flow.deadline => {}
            Some(at) => {
                self.expiry.remove(&(at, flow.stream, flow.key));
                self.expiry.insert((flow.deadline, flow.stream, flow.key));
                flow.indexed = Some(flow.deadline);
            }
            None => {
                self.expiry.insert((flow.deadline, flow.stream, flow.key));
                flow.indexed = Some(flow.deadline);
            }
        }
        self.flows.insert(flow.key, flow);
        self.stats.peak_live_flows = self.stats.peak_live_flows.max(self.flows.len() as u64);
    }

    /// A new stream for `seg` (not yet in the table; `put` adds it).
    fn open(&mut self, key: FlowKey, seg: &TcpSegment<'_>, sink: &mut dyn StreamSink) -> Box<Flow> {
        while self.flows.len() >= self.cfg.max_flows.max(1) {
            if self.expiry.is_empty() {
                break;
            }
            // The idlest flow: the first accurate entry of the expiry index.
            let Some(flow) = self.first_due() else {
                continue;
            };
            let limit = self.cfg.max_flows;
            self.evict(flow, "max_flows", limit, seg.frame, sink);
        }

        let flags = seg.flags;
        let (client, server) = if flags.syn() && !flags.ack() {
            (seg.src, seg.dst)
        } else if flags.syn() {
            (seg.dst, seg.src)
        } else if seg.dst.port < seg.src.port {
            (seg.src, seg.dst)
        } else if seg.src.port < seg.dst.port {
            (seg.dst, seg.src)
        } else {
            (seg.src, seg.dst)
        };
        let stream = self.next_stream;
        self.next_stream = self.next_stream.saturating_add(1);
        self.stats.streams += 1;
        sink.event(
            seg.frame,
            StreamEvent::Open {
                stream,
                client,
                server,
                frame: seg.frame,
                ts: seg.ts,
            },
        );
        if !flags.syn() {
            sink.event(
                seg.frame,
                StreamEvent::Note {
                    stream,
                    dir: None,
                    note: FlowNote::MidStreamPickup,
                    frame: seg.frame,
                },
            );
        }
        Box::new(Flow {
            stream,
            key,
            client,
            server,
            halves: [HalfStream::default(), HalfStream::default()],
            packets: [0; 2],
            bytes: [0; 2],
            first_frame: seg.frame,
            last_frame: seg.frame,
            start: seg.ts,
            last_ts: seg.ts,
            syn_seen: false,
            reset: false,
            deadline: seg.ts,
            indexed: None,
        })
    }

    /// Flush both directions, end them, and emit `Close`. The flow is already out of the
    /// table.
    fn close(
        &mut self,
        mut flow: Box<Flow>,
        reason: CloseReason,
        frame: u64,
        sink: &mut dyn StreamSink,
    ) {
        let before = flow.pending_cost();
        let recent_before = flow.recent_cost();
        for (i, half) in flow.halves.iter_mut().enumerate() {
            let mut out = Emit {
                sink: &mut *sink,
                stream: flow.stream,
                dir: dir_at(i),
                now_frame: frame,
                stats: &mut self.stats,
                recent_room: 0,
            };
            half.flush_and_end(&mut out);
        }
        self.buffered_total = self
            .buffered_total
            .saturating_sub(before)
            .saturating_add(flow.pending_cost());
        self.recent_total = self
            .recent_total
            .saturating_sub(recent_before)
            .saturating_add(flow.recent_cost());
        sink.event(
            frame,
            StreamEvent::Close {
                stream: flow.stream,
                summary: flow.summary(reason),
            },
        );
    }

    fn process(
        &mut self,
        flow: &mut Flow,
        seg: &TcpSegment<'_>,
        sink: &mut dyn StreamSink,
    ) -> SegmentAnalysis {
        let dir = flow.dir_of(seg.src);
        let d = dir.index();
        let p = dir.reverse().index();
        let flags = seg.flags;
        let (syn, fin, rst, ackf) = (flags.syn(), flags.fin(), flags.rst(), flags.ack());

        flow.packets[d] += 1;
        flow.bytes[d] = flow.bytes[d].saturating_add(u64::from(seg.frame_len));
        flow.last_frame = seg.frame;
        flow.last_ts = flow.last_ts.max(seg.ts);

        // Sequence bases: the SYN fixes this side's; otherwise the first segment does, and
        // an ACK fixes the peer's when it is still unknown.
        {
            let half = &mut flow.halves[d];
            if syn {
                flow.syn_seen = true;
                if !half.syn_seen {
                    half.syn_seen = true;
                    half.wscale = seg.window_scale;
                    if half.base.is_none() || !half.seen_any {
                        half.base = Some(seg.seq.wrapping_add(1));
                    }
                }
            } else if half.base.is_none() {
                half.base = Some(seg.seq);
            }
        }
        if ackf && flow.halves[p].base.is_none() {
            flow.halves[p].base = Some(seg.ack);
        }

        let half = &flow.halves[d];
        let peer = &flow.halves[p];
        let wire_len = i64::from(seg.wire_len);
        let seq_off = half.signed_offset(seg.seq).unwrap_or(0);
        let data_start = seq_off + i64::from(syn);
        let data_end = data_start + wire_len;
        let seq_end = data_end + i64::from(fin);

        // Analysis, against what this side had sent before this segment.
        let mut a = Analysis::default();
        let plain = !syn && !fin && !rst;
        if half.seen_any && plain && seg.wire_len <= 1 && seq_off == half.max_seq_end - 1 {
            a.keep_alive = true;
        }
        if !a.keep_alive
            && half.seen_any
            && plain
            && seg.wire_len == 1
            && seq_off == half.max_seq_end
            && peer.seen_any
            && peer.last_window == 0
        {
            a.zero_window_probe = true;
        }
        if !a.keep_alive && !a.zero_window_probe && half.seen_any && (wire_len > 0 || syn || fin) {
            if seq_off > half.max_seq_end {
                a.previous_segment_not_captured = !rst;
            } else if seq_off < half.max_seq_end {
                let lo = u64::try_from(data_start.max(0)).unwrap_or(0);
                let hi = u64::try_from(data_end.min(half.max_seq_end).max(0)).unwrap_or(0);
                if half.unseen_bytes(lo, hi) > 0 {
                    a.out_of_order = true;
                } else {
                    a.retransmission = true;
                }
            }
        }
        a.zero_window = seg.window == 0 && plain;
        if plain && !a.keep_alive && seg.wire_len == 0 && ackf && half.seen_any {
            let outstanding = peer
                .signed_offset(seg.ack)
                .is_some_and(|off| off < peer.max_seq_end);
            a.dup_ack =
                half.last_ack == Some(seg.ack) && half.last_window == seg.window && outstanding;
        }
        if plain && seg.wire_len > 0 {
            if let Some(peer_ack) = peer.last_ack {
                let shift = match (half.wscale, peer.wscale) {
                    (Some(_), Some(s)) => u32::from(s.min(14)),
                    _ => 0,
                };
                let window = u32::from(peer.last_window) << shift;
                a.window_full = seg.seq.wrapping_add(seg.wire_len) == peer_ack.wrapping_add(window);
            }
        }
        if a.retransmission {
            self.stats.retransmissions += 1;
        }
        if a.out_of_order {
            self.stats.out_of_order += 1;
        }

        let base = half.base.unwrap_or(seg.seq);
        let rel_seq = seg.seq.wrapping_sub(base.wrapping_sub(1));
        let rel_ack = match (ackf, peer.base) {
            (true, Some(b)) => seg.ack.wrapping_sub(b.wrapping_sub(1)),
            _ => 0,
        };
        let next_rel_seq = rel_seq
            .wrapping_add(seg.wire_len)
            .wrapping_add(u32::from(syn))
            .wrapping_add(u32::from(fin));

        // Update this side's state.
        {
            let half = &mut flow.halves[d];
            half.seen_any = true;
            if !a.keep_alive {
                half.max_seq_end = half.max_seq_end.max(seq_end);
            }
            if ackf {
                half.last_ack = Some(seg.ack);
            }
            half.last_window = seg.window;
        }

        // Place the bytes.
        let cost_before = flow.pending_cost();
        let recent_before = flow.recent_cost();
        let peer_cost = flow.halves[p].pending_cost();
        let deliver = !a.keep_alive && !rst && wire_len > 0 && data_end > 0;
        {
            let half = &mut flow.halves[d];
            let mut out = Emit {
                sink: &mut *sink,
                stream: flow.stream,
                dir,
                now_frame: seg.frame,
                stats: &mut self.stats,
                recent_room: MAX_RECENT_TOTAL.saturating_sub(self.recent_total),
            };
            if deliver {
                let skip = usize::try_from((-data_start).max(0)).unwrap_or(usize::MAX);
                let bytes = SegmentBytes {
                    start: u64::try_from(data_start.max(0)).unwrap_or(0),
                    end: u64::try_from(data_end).unwrap_or(0),
                    captured: seg.payload.get(skip..).unwrap_or(&[]),
                    frame: seg.frame,
                };
                half.accept(bytes, &mut out);
                let cost = half.pending_cost();
                let peak = self
                    .buffered_total
                    .saturating_sub(cost_before)
                    .saturating_add(peer_cost)
                    .saturating_add(cost) as u64;
                out.stats.peak_buffered_bytes = out.stats.peak_buffered_bytes.max(peak);
                if cost > self.cfg.max_buffered_per_flow {
                    out.note(FlowNote::BoundHit {
                        bound: "max_buffered_per_flow",
                        limit: self.cfg.max_buffered_per_flow as u64,
                    });
                    while half.pending_cost() > self.cfg.max_buffered_per_flow
                        && half.skip_first_gap(&mut out)
                    {}
                }
            }
            if fin && !rst {
                half.set_fin(u64::try_from(data_end.max(0)).unwrap_or(0), &mut out);
            }
        }

        // The peer acknowledged its FIN: no retransmission can fill a gap before it.
        if ackf {
            let peer = &mut flow.halves[p];
            if let (Some(fin), false) = (peer.fin, peer.ended) {
                let acked = peer.signed_offset(seg.ack).unwrap_or(0);
                if acked > i64::try_from(fin).unwrap_or(i64::MAX) {
                    let mut out = Emit {
                        sink: &mut *sink,
                        stream: flow.stream,
                        dir: dir.reverse(),
                        now_frame: seg.frame,
                        stats: &mut self.stats,
                        recent_room: 0,
                    };
                    peer.flush_gaps(&mut out);
                }
            }
        }

        if rst && !flow.reset {
            // Flush what waits behind gaps now; `End` follows at close. Data after the RST
            // is still delivered: a receiver may have dropped the RST (bad MD5 signature,
            // out of window — a known evasion), and we show what it went on to accept.
            flow.reset = true;
            for (i, half) in flow.halves.iter_mut().enumerate() {
                let mut out = Emit {
                    sink: &mut *sink,
                    stream: flow.stream,
                    dir: dir_at(i),
                    now_frame: seg.frame,
                    stats: &mut self.stats,
                    recent_room: 0,
                };
                half.flush_gaps(&mut out);
            }
        }

        self.buffered_total = self
            .buffered_total
            .saturating_sub(cost_before)
            .saturating_add(flow.pending_cost());
        self.recent_total = self
            .recent_total
            .saturating_sub(recent_before)
            .saturating_add(flow.recent_cost());

        SegmentAnalysis {
            stream: flow.stream,
            dir,
            rel_seq,
            rel_ack,
            next_rel_seq,
            analysis: a,
        }
    }

    /// Past `max_buffered_total`, give up gaps: first in the stream that just grew, then in
    /// the stream holding the most buffered bytes (lowest id on ties), until back under.
    fn enforce_total_bound(&mut self, key: FlowKey, frame: u64, sink: &mut dyn StreamSink) {
        let limit = self.cfg.max_buffered_total;
        self.shed_buffered(Some(key), limit, "max_buffered_total", frame, sink);
    }

    /// The memory budget is exceeded: give up gaps (holes, then the bytes behind them) in
    /// the streams buffering the most out-of-order bytes until at most `limit` are
    /// buffered, each stream noting the bound `memory_budget`. Returns the bytes given back.
    pub fn shed_out_of_order(
        &mut self,
        limit: usize,
        frame: u64,
        sink: &mut dyn StreamSink,
    ) -> usize {
        let before = self.buffered_total;
        self.shed_buffered(None, limit, "memory_budget", frame, sink);
        before.saturating_sub(self.buffered_total)
    }

    /// The memory budget is exceeded: close the idlest flow (flushing it to the parsers)
    /// with a `memory_budget` note. False when no flow is live.
    pub fn evict_idlest(&mut self, budget: usize, frame: u64, sink: &mut dyn StreamSink) -> bool {
        while !self.expiry.is_empty() {
            if let Some(flow) = self.first_due() {
                self.evict(flow, "memory_budget", budget, frame, sink);
                return true;
            }
        }
        false
    }

    /// Close `flow` because the bound `bound` (of `limit`) was hit, with a note.
    fn evict(
        &mut self,
        flow: Box<Flow>,
        bound: &'static str,
        limit: usize,
        frame: u64,
        sink: &mut dyn StreamSink,
    ) {
        self.stats.bound_hits += 1;
        self.stats.evicted_flows += 1;
        sink.event(
            frame,
            StreamEvent::Note {
                stream: flow.stream,
                dir: None,
                note: FlowNote::BoundHit {
                    bound,
                    limit: limit as u64,
                },
                frame,
            },
        );
        self.close(flow, CloseReason::Evicted, frame, sink);
    }

    /// Delivered bytes kept over all streams to compare retransmissions with.
    pub fn recent_bytes(&self) -> usize {
        self.recent_total
    }

    /// Give up gaps until at most `limit` bytes are buffered: first in the stream of
    /// `first` (if any), then in the stream holding the most (lowest id on ties).
    fn shed_buffered(
        &mut self,
        first: Option<FlowKey>,
        limit: usize,
        bound: &'static str,
        frame: u64,
        sink: &mut dyn StreamSink,
    ) {
        let mut first = first;
        while self.buffered_total > limit {
            let victim = if let Some(key) = first.take() {
                Some(key)
            } else {
                self.flows
                    .values()
                    .filter(|f| f.pending_cost() > 0)
                    .max_by_key(|f| (f.pending_cost(), std::cmp::Reverse(f.stream)))
                    .map(|f| f.key)
            };
            let Some(victim) = victim else {
                break;
            };
            let Some(flow) = self.flows.get_mut(&victim) else {
                continue;
            };
            let before = flow.pending_cost();
            if before == 0 {
                continue;
            }
            let recent_before = flow.recent_cost();
            let mut noted = false;
            for (i, half) in flow.halves.iter_mut().enumerate() {
                let mut out = Emit {
                    sink: &mut *sink,
                    stream: flow.stream,
                    dir: dir_at(i),
                    now_frame: frame,
                    stats: &mut self.stats,
                    recent_room: 0,
                };
                if half.pending_cost() > 0 && !noted {
                    noted = true;
                    out.note(FlowNote::BoundHit {
                        bound,
                        limit: limit as u64,
                    });
                }
                let mut total = self.buffered_total;
                while total > limit {
                    let cost = half.pending_cost();
                    if !half.skip_first_gap(&mut out) {
                        break;
                    }
                    total = total
                        .saturating_sub(cost)
                        .saturating_add(half.pending_cost());
                }
                self.buffered_total = total;
            }
            self.recent_total = self
                .recent_total
                .saturating_sub(recent_before)
                .saturating_add(flow.recent_cost());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{IpAddr, Ipv4Addr};

    /// Events as owned values.
    #[derive(Debug, Clone, PartialEq)]
    enum Ev {
        Open {
            stream: StreamId,
            client: Endpoint,
            server: Endpoint,
        },
        Data {
            stream: StreamId,
            dir: Direction,
            offset: u64,
            data: Vec<u8>,
            frame: u64,
        },
        Hole {
            stream: StreamId,
            dir: Direction,
            offset: u64,
            len: u64,
        },
        End {
            stream: StreamId,
            dir: Direction,
        },
        Note {
            stream: StreamId,
            note: FlowNote,
        },
        Close {
            summary: ConversationSummary,
        },
    }

    #[derive(Default)]
    struct Rec(Vec<Ev>);

    impl StreamSink for Rec {
        fn event(&mut self, _now_frame: u64, ev: StreamEvent<'_>) {
            self.0.push(match ev {
                StreamEvent::Open {
                    stream,
                    client,
                    server,
                    ..
                } => Ev::Open {
                    stream,
                    client,
                    server,
                },
                StreamEvent::Data {
                    stream,
                    dir,
                    offset,
                    data,
                    frame,
                } => Ev::Data {
                    stream,
                    dir,
                    offset,
                    data: data.to_vec(),
                    frame,
                },
                StreamEvent::Hole {
                    stream,
                    dir,
                    offset,
                    len,
                } => Ev::Hole {
                    stream,
                    dir,
                    offset,
                    len,
                },
                StreamEvent::End { stream, dir } => Ev::End { stream, dir },
                StreamEvent::Note { stream, note, .. } => Ev::Note { stream, note },
                StreamEvent::Close { summary, .. } => Ev::Close { summary },
            });
        }
    }

    impl Rec {
        /// Bytes of one direction, checking that offsets run on without gaps or repeats
        /// (holes shown as `_` per missing byte).
        fn bytes(&self, stream: StreamId, dir: Direction) -> Vec<u8> {
            let mut out = Vec::new();
            for ev in &self.0 {
                match ev {
                    Ev::Data {
                        stream: s,
                        dir: d,
                        offset,
                        data,
                        ..
                    } if *s == stream && *d == dir => {
                        assert_eq!(*offset, out.len() as u64, "data offset runs on");
                        out.extend_from_slice(data);
                    }
                    Ev::Hole {
                        stream: s,
                        dir: d,
                        offset,
                        len,
                    } if *s == stream && *d == dir => {
                        assert_eq!(*offset, out.len() as u64, "hole offset runs on");
                        out.extend(std::iter::repeat_n(b'_', *len as usize));
                    }
                    _ => {}
                }
            }
            out
        }
        fn notes(&self) -> Vec<FlowNote> {
            self.0
                .iter()
                .filter_map(|e| match e {
                    Ev::Note { note, .. } => Some(note.clone()),
                    _ => None,
                })
                .collect()
        }
        fn closes(&self) -> Vec<ConversationSummary> {
            self.0
                .iter()
                .filter_map(|e| match e {
                    Ev::Close { summary } => Some(summary.clone()),
                    _ => None,
                })
                .collect()
        }
        fn ends(&self, stream: StreamId) -> usize {
            self.0
                .iter()
                .filter(|e| matches!(e, Ev::End { stream: s, .. } if *s == stream))
                .count()
        }
        fn holes(&self) -> Vec<(Direction, u64, u64)> {
            self.0
                .iter()
                .filter_map(|e| match e {
                    Ev::Hole {
                        dir, offset, len, ..
                    } => Some((*dir, *offset, *len)),
                    _ => None,
                })
                .collect()
        }
    }

    const C: u8 = 1;
    const S: u8 = 2;
    const F_SYN: u16 = TcpFlags::SYN;
    const F_ACK: u16 = TcpFlags::ACK;
    const F_FIN: u16 = TcpFlags::FIN | TcpFlags::ACK;
    const F_RST: u16 = TcpFlags::RST;
    const F_PA: u16 = TcpFlags::PSH | TcpFlags::ACK;

    fn ep(host: u8) -> Endpoint {
        Endpoint {
            addr: IpAddr::V4(Ipv4Addr::new(192, 0, 2, host)),
            port: if host == S {
                80
            } else {
                40000 + u16::from(host)
            },
        }
    }

    /// Drives a table, numbering frames and keeping one-second packet times.
    struct Run {
        table: FlowTable,
        rec: Rec,
        frame: u64,
        client_port: u16,
    }

    impl Run {
        fn new() -> Self {
            Run::with(FlowConfig::default())
        }
        fn with(cfg: FlowConfig) -> Self {
            Run {
                table: FlowTable::new(cfg),
                rec: Rec::default(),
                frame: 0,
                client_port: 40001,
            }
        }
        #[allow(clippy::too_many_arguments)]
        fn raw(
            &mut self,
            from: u8,
            seq: u32,
            ack: u32,
            flags: u16,
            payload: &[u8],
            wire_len: u32,
            window: u16,
        ) -> SegmentAnalysis {
            self.frame += 1;
            let mut c = ep(C);
            c.port = self.client_port;
            let (src, dst) = if from == C { (c, ep(S)) } else { (ep(S), c) };
            let seg = TcpSegment {
                frame: self.frame,
                ts: Timestamp::new(1_000 + self.frame as i64, 0),
                src,
                dst,
                seq,
                ack,
                flags: TcpFlags(flags),
                window,
                window_scale: None,
                payload,
                wire_len,
                frame_len: 54 + wire_len,
            };
            self.table.segment(&seg, &mut self.rec)
        }
        fn send(&mut self, from: u8, seq: u32, ack: u32, flags: u16, payload: &[u8]) -> Analysis {
            self.raw(from, seq, ack, flags, payload, payload.len() as u32, 1000)
                .analysis
        }
        /// SYN (client ISN `ci`), SYN-ACK (server ISN `si`), ACK.
        fn handshake(&mut self, ci: u32, si: u32) {
            self.send(C, ci, 0, F_SYN, b"");
            self.send(S, si, ci.wrapping_add(1), F_SYN | F_ACK, b"");
            self.send(C, ci.wrapping_add(1), si.wrapping_add(1), F_ACK, b"");
        }
        fn finish(&mut self) {
            self.table.finish(&mut self.rec);
        }
    }

    const CI: u32 = 1000;
    const SI: u32 = 5000;

    #[test]
    fn in_order_conversation() {
        let mut r = Run::new();
        r.handshake(CI, SI);
        let req = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n";
        let a = r.send(C, CI + 1, SI + 1, F_PA, req);
        assert_eq!(a, Analysis::default());
        r.send(
            S,
            SI + 1,
            CI + 1 + req.len() as u32,
            F_PA,
            b"HTTP/1.1 200 OK\r\n",
        );
        r.send(S, SI + 18, CI + 1 + req.len() as u32, F_PA, b"\r\nbody");
        r.send(C, CI + 1 + req.len() as u32, SI + 24, F_FIN, b"");
        r.send(S, SI + 24, CI + 2 + req.len() as u32, F_FIN, b"");
        r.send(C, CI + 2 + req.len() as u32, SI + 25, F_ACK, b"");
        assert_eq!(r.rec.bytes(0, Direction::ToServer), req);
        assert_eq!(
            r.rec.bytes(0, Direction::ToClient),
            b"HTTP/1.1 200 OK\r\n\r\nbody"
        );
        assert_eq!(r.rec.ends(0), 2, "both directions ended at their FIN");
        assert!(r.rec.closes().is_empty(), "finished stream lingers");
        assert!(matches!(r.rec.0.first(), Some(Ev::Open { stream: 0, .. })));
        r.finish();
        let close = r.rec.closes();
        assert_eq!(close.len(), 1);
        let s = &close[0];
        assert_eq!(s.state, ConvState::Complete);
        assert_eq!(s.close_reason, CloseReason::Fin);
        assert_eq!((s.packets_to_server, s.packets_to_client), (5, 4));
        assert_eq!(s.bytes_to_server, 5 * 54 + req.len() as u64);
        assert_eq!(s.bytes_to_client, 4 * 54 + 23);
        assert_eq!((s.payload_to_server, s.payload_to_client), (27, 23));
        assert_eq!((s.first_frame, s.last_frame), (1, 9));
        assert_eq!(s.client, ep(C));
        assert_eq!(s.server, ep(S));
        assert!(s.syn_seen);
        assert_eq!(r.rec.ends(0), 2, "no second End at close");
        assert_eq!(r.table.stats().streams, 1);
        assert_eq!(r.table.stats().segments, 9);
    }

    #[test]
    fn relative_numbers_like_tshark() {
        let mut r = Run::new();
        r.handshake(CI, SI);
        let sa = r.raw(C, CI + 1, SI + 1, F_PA, b"hello", 5, 1000);
        assert_eq!((sa.rel_seq, sa.rel_ack, sa.next_rel_seq), (1, 1, 6));
        assert_eq!(sa.dir, Direction::ToServer);
        let sa = r.raw(S, SI + 1, CI + 6, F_ACK, b"", 0, 1000);
        assert_eq!((sa.rel_seq, sa.rel_ack), (1, 6));
        assert_eq!(sa.dir, Direction::ToClient);
    }

    #[test]
    fn reversed_segments_are_delivered_once_in_order() {
        let mut r = Run::new();
        r.handshake(CI, SI);
        let a3 = r.send(C, CI + 9, SI + 1, F_PA, b"ijk");
        let a2 = r.send(C, CI + 5, SI + 1, F_PA, b"efgh");
        assert!(a3.previous_segment_not_captured);
        assert!(a2.out_of_order);
        assert!(r.rec.bytes(0, Direction::ToServer).is_empty());
        let a1 = r.send(C, CI + 1, SI + 1, F_PA, b"abcd");
        assert!(a1.out_of_order && !a1.retransmission);
        assert_eq!(r.rec.bytes(0, Direction::ToServer), b"abcdefghijk");
        // Buffered data keeps the frame that carried it.
        let frames: Vec<u64> = r
            .rec
            .0
            .iter()
            .filter_map(|e| match e {
                Ev::Data { frame, .. } => Some(*frame),
                _ => None,
            })
            .collect();
        assert_eq!(frames, vec![6, 5, 4]);
        assert_eq!(r.table.stats().out_of_order, 2);
        assert_eq!(r.table.buffered_bytes(), 0);
        assert_eq!(r.table.stats().peak_buffered_bytes, 7);
    }

    #[test]
    fn interleaved_directions() {
        let mut r = Run::new();
        r.handshake(CI, SI);
        r.send(C, CI + 1, SI + 1, F_PA, b"q1;");
        r.send(S, SI + 4, CI + 4, F_PA, b"-r1b");
        r.send(C, CI + 4, SI + 1, F_PA, b"q2;");
        r.send(S, SI + 1, CI + 7, F_PA, b"r1a");
        r.send(S, SI + 8, CI + 7, F_PA, b";r2");
        assert_eq!(r.rec.bytes(0, Direction::ToServer), b"q1;q2;");
        assert_eq!(r.rec.bytes(0, Direction::ToClient), b"r1a-r1b;r2");
    }

    #[test]
    fn overlap_with_equal_bytes_is_silent() {
        let mut r = Run::new();
        r.handshake(CI, SI);
        r.send(C, CI + 6, SI + 1, F_PA, b"FGHIJ");
        r.send(C, CI + 4, SI + 1, F_PA, b"DEFGH");
        r.send(C, CI + 1, SI + 1, F_PA, b"ABCDEF");
        assert_eq!(r.rec.bytes(0, Direction::ToServer), b"ABCDEFGHIJ");
        assert!(r.rec.notes().is_empty());
        assert_eq!(r.table.stats().overlap_conflicts, 0);
    }

    #[test]
    fn overlap_with_different_bytes_keeps_the_first_copy() {
        let mut r = Run::new();
        r.handshake(CI, SI);
        r.send(C, CI + 6, SI + 1, F_PA, b"FGHIJ");
        // Differs at offsets 5..7 (F, G) from the buffered copy.
        r.send(C, CI + 4, SI + 1, F_PA, b"DExyH");
        // Differs at offset 5 (F) from the buffered copy while delivering.
        r.send(C, CI + 1, SI + 1, F_PA, b"ABCDEz");
        assert_eq!(r.rec.bytes(0, Direction::ToServer), b"ABCDEFGHIJ");
        assert_eq!(
            r.rec.notes(),
            vec![
                FlowNote::OverlapConflict {
                    offset: 5,
                    len: 3,
                    frames: [4, 5],
                    copy: OtherCopy(b"xyH".to_vec())
                },
                FlowNote::OverlapConflict {
                    offset: 5,
                    len: 1,
                    frames: [4, 6],
                    copy: OtherCopy(b"z".to_vec())
                },
            ]
        );
        assert_eq!(r.table.stats().overlap_conflicts, 2);
    }

    #[test]
    fn retransmission_of_delivered_bytes_is_compared() {
        let mut r = Run::new();
        r.handshake(CI, SI);
        r.send(C, CI + 1, SI + 1, F_PA, b"GET /a HTTP/1.1\r\n");
        // Same sequence number and length, other bytes.
        let a = r.send(C, CI + 1, SI + 1, F_PA, b"GET /b HTTP/1.1\r\n");
        assert!(a.retransmission);
        // An identical copy is silent; a partial overlap that differs is not.
        r.send(C, CI + 1, SI + 1, F_PA, b"GET /a HTTP/1.1\r\n");
        r.send(C, CI + 13, SI + 1, F_PA, b"1.0\r\nHost: x\r\n");
        assert_eq!(
            r.rec.bytes(0, Direction::ToServer),
            b"GET /a HTTP/1.1\r\nHost: x\r\n"
        );
        assert_eq!(
            r.rec.notes(),
            vec![
                FlowNote::OverlapConflict {
                    offset: 0,
                    len: 17,
                    frames: [4, 5],
                    copy: OtherCopy(b"GET /b HTTP/1.1\r\n".to_vec())
                },
                FlowNote::OverlapConflict {
                    offset: 12,
                    len: 5,
                    frames: [4, 7],
                    copy: OtherCopy(b"1.0\r\n".to_vec())
                },
            ]
        );
    }

    #[test]
    fn retransmission_older_than_the_recent_bytes_is_unchecked() {
        let mut r = Run::new();
        r.handshake(CI, SI);
        let big = vec![b'a'; crate::flow::RECENT_DELIVERED + 100];
        r.send(C, CI + 1, SI + 1, F_PA, &big);
        r.send(C, CI + 1, SI + 1, F_PA, b"bb");
        assert_eq!(
            r.rec.notes(),
            vec![FlowNote::OverlapUnchecked {
                offset: 0,
                len: 2,
                copy: OtherCopy(b"bb".to_vec())
            }]
        );
    }

    #[test]
    fn retransmission_is_delivered_once() {
        let mut r = Run::new();
        r.handshake(CI, SI);
        assert!(!r.send(C, CI + 1, SI + 1, F_PA, b"hello").retransmission);
        let a = r.send(C, CI + 1, SI + 1, F_PA, b"hello");
        assert!(a.retransmission && !a.out_of_order);
        // A resegmented retransmission that carries new bytes too.
        let a = r.send(C, CI + 3, SI + 1, F_PA, b"llo world");
        assert!(a.retransmission);
        assert_eq!(r.rec.bytes(0, Direction::ToServer), b"hello world");
        // A retransmitted SYN.
        assert!(r.send(C, CI, 0, F_SYN, b"").retransmission);
        assert_eq!(r.table.stats().retransmissions, 3);
        assert_eq!(r.table.stats().streams, 1);
    }

    #[test]
    fn sequence_numbers_wrap_at_2_pow_32() {
        let mut r = Run::new();
        let ci = u32::MAX - 5;
        r.handshake(ci, SI);
        // Offsets 0..4 sit before the wrap, 4..12 after it; the middle one comes late.
        r.send(C, ci.wrapping_add(1), SI + 1, F_PA, b"0123");
        r.send(C, ci.wrapping_add(9), SI + 1, F_PA, b"89ab");
        let sa = r.raw(C, ci.wrapping_add(5), SI + 1, F_PA, b"4567", 4, 1000);
        assert!(sa.analysis.out_of_order);
        assert_eq!(sa.rel_seq, 5);
        assert_eq!(r.rec.bytes(0, Direction::ToServer), b"0123456789ab");
        let offsets: Vec<u64> = r
            .rec
            .0
            .iter()
            .filter_map(|e| match e {
                Ev::Data { offset, .. } => Some(*offset),
                _ => None,
            })
            .collect();
        assert_eq!(offsets, vec![0, 4, 8]);
    }

    #[test]
    fn offsets_keep_counting_past_4_gib() {
        let mut half = HalfStream::default();
        half.base = Some(10);
        half.max_seq_end = (1i64 << 32) + 100;
        // Same 32-bit distance as offset 50 or 100, but near the front: a second lap.
        assert_eq!(half.signed_offset(10 + 150), Some((1i64 << 32) + 150));
        assert_eq!(half.signed_offset(10 + 50), Some((1i64 << 32) + 50));
        assert_eq!(half.signed_offset(9), Some((1i64 << 32) - 1));
    }

    #[test]
    fn missing_middle_segment_becomes_a_hole_at_finish() {
        let mut r = Run::new();
        r.handshake(CI, SI);
        r.send(C, CI + 1, SI + 1, F_PA, b"aaaa");
        let a = r.send(C, CI + 9, SI + 1, F_PA, b"cccc");
        assert!(a.previous_segment_not_captured);
        assert_eq!(r.rec.bytes(0, Direction::ToServer), b"aaaa");
        r.finish();
        assert_eq!(r.rec.bytes(0, Direction::ToServer), b"aaaa____cccc");
        assert_eq!(r.rec.holes(), vec![(Direction::ToServer, 4, 4)]);
        assert_eq!(r.rec.ends(0), 2);
        let close = r.rec.closes();
        assert_eq!(close[0].close_reason, CloseReason::EndOfCapture);
        assert_eq!(close[0].state, ConvState::Open);
        assert_eq!(close[0].payload_to_server, 8);
        assert_eq!(r.table.stats().holes, 1);
        assert_eq!(r.table.stats().hole_bytes, 4);
    }

    #[test]
    fn missing_middle_segment_becomes_a_hole_when_the_fin_is_acked() {
        let mut r = Run::new();
        r.handshake(CI, SI);
        r.send(C, CI + 1, SI + 1, F_PA, b"aaaa");
        r.send(C, CI + 9, SI + 1, F_PA, b"cccc");
        r.send(C, CI + 13, SI + 1, F_FIN, b"");
        // FIN seen, gap still open: a retransmission could still come.
        assert_eq!(r.rec.bytes(0, Direction::ToServer), b"aaaa");
        assert_eq!(r.rec.ends(0), 0);
        // The server acknowledges the FIN: the gap is given up.
        r.send(S, SI + 1, CI + 14, F_ACK, b"");
        assert_eq!(r.rec.bytes(0, Direction::ToServer), b"aaaa____cccc");
        assert_eq!(r.rec.ends(0), 1);
        // A late copy of the missing bytes is not delivered again.
        let a = r.send(C, CI + 5, SI + 1, F_PA, b"bbbb");
        assert!(a.retransmission || a.out_of_order);
        assert_eq!(r.rec.bytes(0, Direction::ToServer), b"aaaa____cccc");
    }

    #[test]
    fn gap_filled_after_fin_still_delivers() {
        let mut r = Run::new();
        r.handshake(CI, SI);
        r.send(C, CI + 5, SI + 1, F_PA, b"bbbb");
        r.send(C, CI + 9, SI + 1, F_FIN, b"");
        assert_eq!(r.rec.ends(0), 0);
        r.send(C, CI + 1, SI + 1, F_PA, b"aaaa");
        assert_eq!(r.rec.bytes(0, Direction::ToServer), b"aaaabbbb");
        assert_eq!(r.rec.ends(0), 1);
        assert!(r.rec.holes().is_empty());
    }

    #[test]
    fn syn_less_start_picks_up_mid_stream() {
        let mut r = Run::new();
        // The server speaks first; the lower port (80) is still the server.
        let sa = r.raw(S, 777_777, 123_456, F_PA, b"HTTP/1.1 200 OK\r\n", 17, 1000);
        assert_eq!(sa.dir, Direction::ToClient);
        assert_eq!((sa.rel_seq, sa.rel_ack), (1, 1));
        r.send(C, 123_456, 777_794, F_PA, b"GET /next");
        assert!(matches!(
            r.rec.0.first(),
            Some(Ev::Open { client, server, .. }) if *client == ep(C) && *server == ep(S)
        ));
        assert_eq!(r.rec.notes(), vec![FlowNote::MidStreamPickup]);
        assert_eq!(r.rec.bytes(0, Direction::ToClient), b"HTTP/1.1 200 OK\r\n");
        assert_eq!(r.rec.bytes(0, Direction::ToServer), b"GET /next");
        r.finish();
        assert!(!r.rec.closes()[0].syn_seen);
    }

    #[test]
    fn syn_ack_seen_first_names_its_sender_the_server() {
        let mut r = Run::new();
        r.send(S, SI, CI + 1, F_SYN | F_ACK, b"");
        r.send(C, CI, 0, F_SYN, b"");
        r.send(C, CI + 1, SI + 1, F_PA, b"hi");
        assert!(matches!(
            r.rec.0.first(),
            Some(Ev::Open { client, .. }) if *client == ep(C)
        ));
        assert!(r.rec.notes().is_empty());
        assert_eq!(r.table.stats().streams, 1);
        assert_eq!(r.rec.bytes(0, Direction::ToServer), b"hi");
    }

    #[test]
    fn rst_mid_transfer_closes_the_stream() {
        let mut r = Run::with(FlowConfig {
            idle_timeout_secs: 600,
            ..FlowConfig::default()
        });
        r.handshake(CI, SI);
        r.send(S, SI + 1, CI + 1, F_PA, b"part");
        r.send(S, SI + 9, CI + 1, F_PA, b"late");
        r.send(C, CI + 1, SI + 5, F_RST | F_ACK, b"");
        // The RST flushes what waited behind the gap at once.
        assert_eq!(r.rec.bytes(0, Direction::ToClient), b"part____late");
        // The stream lingers shortly, then closes as reset with both directions ended.
        let t = 1_000 + r.frame as i64 + FINISHED_LINGER_SECS as i64 + 1;
        r.table.advance(Timestamp::new(t, 0), &mut r.rec);
        assert_eq!(r.rec.ends(0), 2);
        let close = r.rec.closes();
        assert_eq!(close.len(), 1);
        assert_eq!(close[0].state, ConvState::Reset);
        assert_eq!(close[0].close_reason, CloseReason::Reset);
        assert_eq!(close[0].packets_to_client, 3);
    }

    #[test]
    fn data_after_an_ignored_rst_is_still_delivered() {
        let mut r = Run::new();
        r.handshake(CI, SI);
        r.send(C, CI + 1, SI + 1, F_RST | F_ACK, b"");
        r.send(C, CI + 1, SI + 1, F_PA, b"GET /hidden");
        r.send(S, SI + 1, CI + 12, F_PA, b"200");
        assert_eq!(r.rec.bytes(0, Direction::ToServer), b"GET /hidden");
        assert_eq!(r.rec.bytes(0, Direction::ToClient), b"200");
        r.finish();
        assert_eq!(r.rec.closes()[0].state, ConvState::Reset);
    }

    #[test]
    fn new_syn_on_a_finished_five_tuple_is_a_new_stream() {
        let mut r = Run::new();
        r.handshake(CI, SI);
        r.send(C, CI + 1, SI + 1, F_PA, b"one");
        r.send(C, CI + 4, SI + 1, F_FIN, b"");
        r.send(S, SI + 1, CI + 5, F_FIN, b"");
        r.send(C, CI + 5, SI + 2, F_ACK, b"");
        r.handshake(90_000, 70_000);
        r.send(C, 90_001, 70_001, F_PA, b"two");
        let close = r.rec.closes();
        assert_eq!(close.len(), 1);
        assert_eq!(close[0].stream, 0);
        assert_eq!(close[0].close_reason, CloseReason::Reused);
        assert_eq!(close[0].state, ConvState::Complete);
        assert_eq!(r.rec.bytes(0, Direction::ToServer), b"one");
        assert_eq!(r.rec.bytes(1, Direction::ToServer), b"two");
        let close_at = r.rec.0.iter().position(|e| matches!(e, Ev::Close { .. }));
        let open1_at = r
            .rec
            .0
            .iter()
            .position(|e| matches!(e, Ev::Open { stream: 1, .. }));
        assert!(close_at < open1_at);
        r.finish();
        let close = r.rec.closes();
        assert_eq!(close.len(), 2);
        assert_eq!(close[1].stream, 1);
        assert_eq!(close[1].packets_to_server, 3);
    }

    #[test]
    fn new_syn_with_another_isn_on_a_live_stream_is_a_new_stream() {
        let mut r = Run::new();
        r.handshake(CI, SI);
        r.send(C, CI + 1, SI + 1, F_PA, b"abandoned");
        r.send(C, 424_242, 0, F_SYN, b"");
        assert_eq!(r.table.stats().streams, 2);
        assert_eq!(r.rec.closes()[0].close_reason, CloseReason::Reused);
        assert_eq!(r.rec.closes()[0].state, ConvState::Open);
    }

    #[test]
    fn syn_with_data_fast_open() {
        let mut r = Run::new();
        let sa = r.raw(C, CI, 0, F_SYN, b"GET / HTTP/1.0\r\n\r\n", 18, 1000);
        assert_eq!(sa.next_rel_seq, 19);
        r.send(S, SI, CI + 19, F_SYN | F_ACK, b"");
        r.send(C, CI + 19, SI + 1, F_ACK, b"");
        assert_eq!(
            r.rec.bytes(0, Direction::ToServer),
            b"GET / HTTP/1.0\r\n\r\n"
        );
        assert!(matches!(
            r.rec.0.get(1),
            Some(Ev::Data {
                offset: 0,
                frame: 1,
                ..
            })
        ));
    }

    #[test]
    fn keep_alive_is_not_data() {
        let mut r = Run::new();
        r.handshake(CI, SI);
        r.send(C, CI + 1, SI + 1, F_PA, b"abc");
        let a = r.send(C, CI + 3, SI + 1, F_ACK, b"\0");
        assert!(a.keep_alive && !a.retransmission);
        let a = r.send(C, CI + 3, SI + 1, F_ACK, b"");
        assert!(a.keep_alive);
        r.send(C, CI + 4, SI + 1, F_PA, b"def");
        assert_eq!(r.rec.bytes(0, Direction::ToServer), b"abcdef");
        assert_eq!(r.table.stats().retransmissions, 0);
    }

    #[test]
    fn zero_window_and_probe_are_flagged() {
        let mut r = Run::new();
        r.handshake(CI, SI);
        r.send(C, CI + 1, SI + 1, F_PA, b"abc");
        let sa = r.raw(S, SI + 1, CI + 4, F_ACK, b"", 0, 0);
        assert!(sa.analysis.zero_window);
        let a = r.send(C, CI + 4, SI + 1, F_ACK, b"d");
        assert!(a.zero_window_probe && !a.keep_alive);
        assert_eq!(r.rec.bytes(0, Direction::ToServer), b"abcd");
    }

    #[test]
    fn dup_ack_is_flagged() {
        let mut r = Run::new();
        r.handshake(CI, SI);
        r.send(S, SI + 1, CI + 1, F_PA, b"aaaa");
        r.send(S, SI + 9, CI + 1, F_PA, b"cccc");
        assert!(!r.send(C, CI + 1, SI + 5, F_ACK, b"").dup_ack);
        assert!(r.send(C, CI + 1, SI + 5, F_ACK, b"").dup_ack);
    }

    #[test]
    fn snaplen_cut_payload_leaves_a_hole_of_known_length() {
        let mut r = Run::new();
        r.handshake(CI, SI);
        r.raw(C, CI + 1, SI + 1, F_PA, b"GET ", 10, 1000);
        r.send(C, CI + 11, SI + 1, F_PA, b"tail");
        assert_eq!(r.rec.bytes(0, Direction::ToServer), b"GET ______tail");
        assert_eq!(r.rec.holes(), vec![(Direction::ToServer, 4, 6)]);
        // Out of order and cut: the missing part waits with the buffered bytes.
        r.send(S, SI + 9, CI + 1, F_PA, b"zz");
        r.raw(S, SI + 5, CI + 1, F_PA, b"x", 4, 1000);
        r.send(S, SI + 1, CI + 1, F_PA, b"abcd");
        assert_eq!(r.rec.bytes(0, Direction::ToClient), b"abcdx___zz");
        r.finish();
        assert_eq!(r.rec.closes()[0].payload_to_server, 8);
    }

    #[test]
    fn per_flow_bound_gives_up_the_gap_with_a_note() {
        let mut r = Run::with(FlowConfig {
            max_buffered_per_flow: 8,
            ..FlowConfig::default()
        });
        r.handshake(CI, SI);
        r.send(C, CI + 3, SI + 1, F_PA, b"cdef");
        assert!(r.rec.notes().is_empty());
        r.send(C, CI + 7, SI + 1, F_PA, b"ghijk");
        assert_eq!(
            r.rec.notes(),
            vec![FlowNote::BoundHit {
                bound: "max_buffered_per_flow",
                limit: 8
            }]
        );
        assert_eq!(r.rec.bytes(0, Direction::ToServer), b"__cdefghijk");
        assert_eq!(r.table.buffered_bytes(), 0);
        assert_eq!(r.table.stats().bound_hits, 1);
        assert_eq!(r.table.stats().peak_buffered_bytes, 9);
    }

    #[test]
    fn total_bound_gives_up_gaps_across_flows() {
        let mut r = Run::with(FlowConfig {
            max_buffered_total: 6,
            ..FlowConfig::default()
        });
        r.handshake(CI, SI);
        r.send(C, CI + 3, SI + 1, F_PA, b"cdef");
        r.client_port = 40009;
        r.handshake(CI, SI);
        r.send(C, CI + 2, SI + 1, F_PA, b"xyz");
        assert_eq!(
            r.rec.notes(),
            vec![FlowNote::BoundHit {
                bound: "max_buffered_total",
                limit: 6
            }]
        );
        // The stream that just grew gave up its gap first.
        assert_eq!(r.rec.bytes(1, Direction::ToServer), b"_xyz");
        assert_eq!(r.rec.bytes(0, Direction::ToServer), b"");
        assert_eq!(r.table.buffered_bytes(), 4);
    }

    #[test]
    fn max_flows_evicts_the_idlest_with_a_note() {
        let mut r = Run::with(FlowConfig {
            max_flows: 2,
            ..FlowConfig::default()
        });
        r.handshake(CI, SI);
        r.send(C, CI + 3, SI + 1, F_PA, b"late");
        r.client_port = 40010;
        r.handshake(CI, SI);
        r.client_port = 40001;
        r.send(C, CI + 1, SI + 1, F_PA, b"ab");
        r.client_port = 40011;
        r.handshake(CI, SI);
        // Stream 1 was idle longest (stream 0 just sent): it goes.
        let close = r.rec.closes();
        assert_eq!(close.len(), 1);
        assert_eq!(close[0].stream, 1);
        assert_eq!(close[0].close_reason, CloseReason::Evicted);
        assert!(r.rec.0.contains(&Ev::Note {
            stream: 1,
            note: FlowNote::BoundHit {
                bound: "max_flows",
                limit: 2
            }
        }));
        assert_eq!(r.table.stats().evicted_flows, 1);
        assert_eq!(r.table.stats().peak_live_flows, 2);
        assert_eq!(r.table.live_flows(), 2);
        assert_eq!(r.rec.bytes(0, Direction::ToServer), b"ablate");
    }

    #[test]
    fn idle_streams_expire_by_packet_time() {
        let mut r = Run::with(FlowConfig {
            idle_timeout_secs: 30,
            ..FlowConfig::default()
        });
        r.handshake(CI, SI);
        r.send(C, CI + 1, SI + 1, F_PA, b"x");
        r.table.advance(Timestamp::new(1_020, 0), &mut r.rec);
        assert!(r.rec.closes().is_empty());
        r.table.advance(Timestamp::new(1_040, 0), &mut r.rec);
        let close = r.rec.closes();
        assert_eq!(close.len(), 1);
        assert_eq!(close[0].close_reason, CloseReason::Idle);
        assert_eq!(r.table.live_flows(), 0);
    }

    #[test]
    fn finish_closes_in_stream_order() {
        let mut r = Run::new();
        for port in [40100u16, 40050, 40200, 40001] {
            r.client_port = port;
            r.handshake(CI, SI);
        }
        r.finish();
        let ids: Vec<StreamId> = r.rec.closes().iter().map(|s| s.stream).collect();
        assert_eq!(ids, vec![0, 1, 2, 3]);
        // Every stream opened before anything else of it, and ended both ways before Close.
        for id in 0..4 {
            let first = r.rec.0.iter().position(|e| match e {
                Ev::Open { stream, .. } | Ev::End { stream, .. } => *stream == id,
                Ev::Close { summary } => summary.stream == id,
                _ => false,
            });
            assert!(matches!(first.map(|i| &r.rec.0[i]), Some(Ev::Open { .. })));
            assert_eq!(r.rec.ends(id), 2);
        }
    }
}
