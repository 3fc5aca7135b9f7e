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
//! - **Ending**: a RST ends both directions at once (buffered data is flushed behind holes,
//!   later data is ignored); a FIN ends its direction once every byte before it was
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

use std::collections::{BTreeSet, HashMap};

use super::reassembly::{Emit, HalfStream, SegmentBytes};
use super::*;

/// How long a finished stream (both FINs, or RST) lingers, in seconds of packet time
/// (capped by the idle timeout).
pub const FINISHED_LINGER_SECS: u64 = 10;

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
    /// When this flow expires (its key in the expiry index).
    deadline: Timestamp,
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
        secs: ts.secs.saturating_add(i64::try_from(secs).unwrap_or(i64::MAX)),
        nanos: ts.nanos,
    }
}

/// The flow table. See the module documentation for the contract and the rules above.
pub struct FlowTable {
    cfg: FlowConfig,
    stats: FlowStats,
    flows: HashMap<FlowKey, Flow>,
    /// (deadline, stream, key) of every live flow: the first entry expires first and is the
    /// one evicted when the table is full.
    expiry: BTreeSet<(Timestamp, StreamId, FlowKey)>,
    next_stream: StreamId,
    buffered_total: usize,
}

impl FlowTable {
    pub fn new(cfg: FlowConfig) -> Self {
        FlowTable {
            cfg,
            stats: FlowStats::default(),
            flows: HashMap::new(),
            expiry: BTreeSet::new(),
            next_stream: 0,
            buffered_total: 0,
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
        while let Some(&(deadline, _, key)) = self.expiry.first() {
            if deadline >= now {
                break;
            }
            let Some(flow) = self.take(&key) else {
                self.expiry.pop_first();
                continue;
            };
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

    /// Remove a flow from the table and the expiry index.
    fn take(&mut self, key: &FlowKey) -> Option<Flow> {
        let flow = self.flows.remove(key)?;
        self.expiry.remove(&(flow.deadline, flow.stream, flow.key));
        Some(flow)
    }

    /// Put a flow (back) into the table with a fresh deadline.
    fn put(&mut self, mut flow: Flow) {
        let wait = if flow.finished() {
            FINISHED_LINGER_SECS.min(self.cfg.idle_timeout_secs)
        } else {
            self.cfg.idle_timeout_secs
        };
        flow.deadline = add_secs(flow.last_ts, wait);
        self.expiry.insert((flow.deadline, flow.stream, flow.key));
        self.flows.insert(flow.key, flow);
        self.stats.peak_live_flows = self.stats.peak_live_flows.max(self.flows.len() as u64);
    }

    /// A new stream for `seg` (not yet in the table; `put` adds it).
    fn open(&mut self, key: FlowKey, seg: &TcpSegment<'_>, sink: &mut dyn StreamSink) -> Flow {
        while self.flows.len() >= self.cfg.max_flows.max(1) {
            let Some(&(_, stream, victim)) = self.expiry.first() else {
                break;
            };
            let Some(flow) = self.take(&victim) else {
                self.expiry.pop_first();
                continue;
            };
            self.stats.bound_hits += 1;
            self.stats.evicted_flows += 1;
            sink.event(
                seg.frame,
                StreamEvent::Note {
                    stream,
                    dir: None,
                    note: FlowNote::BoundHit {
                        bound: "max_flows",
                        limit: self.cfg.max_flows as u64,
                    },
                    frame: seg.frame,
                },
            );
            self.close(flow, CloseReason::Evicted, seg.frame, sink);
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
        Flow {
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
        }
    }

    /// Flush both directions, end them, and emit `Close`. The flow is already out of the
    /// table.
    fn close(&mut self, mut flow: Flow, reason: CloseReason, frame: u64, sink: &mut dyn StreamSink) {
        let before = flow.pending_cost();
        for (i, half) in flow.halves.iter_mut().enumerate() {
            let mut out = Emit {
                sink: &mut *sink,
                stream: flow.stream,
                dir: dir_at(i),
                now_frame: frame,
                stats: &mut self.stats,
            };
            half.flush_and_end(&mut out);
        }
        self.buffered_total = self
            .buffered_total
            .saturating_sub(before)
            .saturating_add(flow.pending_cost());
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
        if !a.keep_alive && !a.zero_window_probe && half.seen_any && (wire_len > 0 || syn || fin)
        {
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
            a.dup_ack = half.last_ack == Some(seg.ack)
                && half.last_window == seg.window
                && outstanding;
        }
        if plain && seg.wire_len > 0 {
            if let Some(peer_ack) = peer.last_ack {
                let shift = match (half.wscale, peer.wscale) {
                    (Some(_), Some(s)) => u32::from(s.min(14)),
                    _ => 0,
                };
                let window = u32::from(peer.last_window) << shift;
                a.window_full =
                    seg.seq.wrapping_add(seg.wire_len) == peer_ack.wrapping_add(window);
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
        let peer_cost = flow.halves[p].pending_cost();
        let deliver = !a.keep_alive && !rst && !flow.reset && wire_len > 0 && data_end > 0;
        {
            let half = &mut flow.halves[d];
            let mut out = Emit {
                sink: &mut *sink,
                stream: flow.stream,
                dir,
                now_frame: seg.frame,
                stats: &mut self.stats,
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
            if fin && !rst && !flow.reset {
                half.set_fin(u64::try_from(data_end.max(0)).unwrap_or(0), &mut out);
            }
        }

        // The peer acknowledged its FIN: no retransmission can fill a gap before it.
        if ackf && !flow.reset {
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
                    };
                    peer.flush_gaps(&mut out);
                }
            }
        }

        if rst && !flow.reset {
            flow.reset = true;
            for (i, half) in flow.halves.iter_mut().enumerate() {
                let mut out = Emit {
                    sink: &mut *sink,
                    stream: flow.stream,
                    dir: dir_at(i),
                    now_frame: seg.frame,
                    stats: &mut self.stats,
                };
                half.flush_and_end(&mut out);
            }
        }

        self.buffered_total = self
            .buffered_total
            .saturating_sub(cost_before)
            .saturating_add(flow.pending_cost());

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
        if self.buffered_total <= self.cfg.max_buffered_total {
            return;
        }
        let mut first = true;
        while self.buffered_total > self.cfg.max_buffered_total {
            let victim = if first {
                first = false;
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
            let limit = self.cfg.max_buffered_total;
            let mut noted = false;
            for (i, half) in flow.halves.iter_mut().enumerate() {
                let mut out = Emit {
                    sink: &mut *sink,
                    stream: flow.stream,
                    dir: dir_at(i),
                    now_frame: frame,
                    stats: &mut self.stats,
                };
                if half.pending_cost() > 0 && !noted {
                    noted = true;
                    out.note(FlowNote::BoundHit {
                        bound: "max_buffered_total",
                        limit: limit as u64,
                    });
                }
                let mut total = self.buffered_total;
                while total > limit {
                    let cost = half.pending_cost();
                    if !half.skip_first_gap(&mut out) {
                        break;
                    }
                    total = total.saturating_sub(cost).saturating_add(half.pending_cost());
                }
                self.buffered_total = total;
            }
        }
    }
}
