//! One segment through its stream: sequence bases, the analysis flags, relative numbers,
//! and the hand-over of its bytes, FIN and RST to the per-direction reassembler; and the
//! bound on bytes buffered over all streams.

use super::super::reassembly::SegmentBytes;
use super::*;

impl FlowTable {
    pub(super) fn process(
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
        // A keep-alive's byte (at most one, one before the highest sequence this side sent)
        // is not data: it is not delivered and does not move the highest sequence. This is
        // the reassembler's rule, by the bytes seen; the analysis labels are tshark's.
        let keep_alive = half.seen_any
            && !syn
            && !fin
            && !rst
            && seg.wire_len <= 1
            && seq_off == half.max_seq_end - 1;

        // Analysis, against what each side had sent before this segment.
        let held = flow.seq.held();
        let room = self.unacked_total < analysis::MAX_UNACKED_TOTAL;
        let a = flow.seq.analyse(d, seg, room);
        self.unacked_total = (self.unacked_total + flow.seq.held()).saturating_sub(held);
        if a.any_retransmission() {
            self.stats.retransmissions += 1;
        }
        if a.out_of_order() {
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
            if !keep_alive {
                half.max_seq_end = half.max_seq_end.max(seq_end);
            }
        }

        // Place the bytes.
        let cost_before = flow.pending_cost();
        let recent_before = flow.recent_cost();
        let peer_cost = flow.halves[p].pending_cost();
        let deliver = !keep_alive && !rst && wire_len > 0 && data_end > 0;
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
                    frame_offset: seg.payload_offset.saturating_add(skip),
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
    pub(super) fn enforce_total_bound(
        &mut self,
        key: FlowKey,
        frame: u64,
        sink: &mut dyn StreamSink,
    ) {
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
                self.stats.bound_hits += 1;
                self.stats.evicted_flows += 1;
                sink.event(
                    frame,
                    StreamEvent::Note {
                        stream: flow.stream,
                        dir: None,
                        note: FlowNote::BoundHit {
                            bound: "memory_budget",
                            limit: budget as u64,
                        },
                        frame,
                    },
                );
                self.close(flow, CloseReason::Evicted, frame, sink);
                return true;
            }
        }
        false
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
