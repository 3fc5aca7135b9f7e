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

use super::reassembly::{Emit, HalfStream};
use super::*;

mod analysis;
mod deliver;
mod expiry;
#[cfg(test)]
mod tests;

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
    /// tshark's SEQ/ACK analysis state.
    seq: analysis::SeqAnalysis,
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
    /// Segments the analysis remembers over all streams (waiting for their ACK).
    unacked_total: usize,
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
            unacked_total: 0,
        }
    }

    /// Process one segment: find or open its stream, deliver what it completes, and say
    /// what it is. The analysis follows tshark 4.0's rules (see `analysis.rs`), for
    /// example:
    /// - `previous_segment_not_captured`: starts beyond this side's next expected sequence;
    /// - `keep_alive`: at most one byte at next-1, no SYN/FIN/RST;
    /// - `spurious_retransmission`: data the peer has already acknowledged;
    /// - `fast_retransmission`: below the next expected sequence, at the peer's ACK after two
    ///   duplicate ACKs, within 20 ms of the last;
    /// - `out_of_order`: below the next expected sequence within the initial RTT (3 ms
    ///   without one) of the segment that reached it, and not ending there;
    /// - `retransmission`: any other segment below the next expected sequence;
    /// - `dup_ack`, `window_update`, `keep_alive_ack`, `zero_window_probe_ack`: no data,
    ///   the same sequence and ACK as this side's previous segment, and the same window (a
    ///   new one for a window update).
    ///
    /// What is delivered does not follow these labels: it is decided by the bytes seen.
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
            let stream = flow.stream;
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
        Box::new(Flow {
            stream,
            key,
            client,
            server,
            halves: [HalfStream::default(), HalfStream::default()],
            seq: analysis::SeqAnalysis::default(),
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
        self.unacked_total = self.unacked_total.saturating_sub(flow.seq.held());
        sink.event(
            frame,
            StreamEvent::Close {
                stream: flow.stream,
                summary: flow.summary(reason),
            },
        );
    }
}
