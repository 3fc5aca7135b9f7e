//! The SEQ/ACK analysis of one segment (see [`super::FlowTable::segment`]), with tshark
//! 4.0's rules: each side's next expected sequence number and when it was reached, its last
//! ACK, window and duplicate-ACK count, the segments it sent that are not acknowledged yet
//! (a bounded list), and the stream's initial RTT. It is a label only: what is delivered is
//! decided by the reassembler, by the bytes seen.
//!
//! Sequence numbers are compared the way tshark compares them (32-bit, wrapping; 0 stands
//! for "not known yet"), so that the flags agree with it frame for frame.

use smallvec::SmallVec;

use super::super::{Analysis, TcpSegment};
use crate::capture::Timestamp;

/// Segments remembered per side while they wait for their ACK (as tshark: past this many a
/// new segment is not remembered, so no ACK RTT is given for it and the bytes in flight
/// count only the remembered ones).
pub const MAX_UNACKED: usize = 10_000;
/// Segments remembered over all streams (24 bytes each): past it, as past `MAX_UNACKED`.
pub const MAX_UNACKED_TOTAL: usize = 1 << 16;

/// A duplicate ACK more than this after the last ACK is no reason for a fast retransmission.
const FAST_RETRANSMISSION_NS: i64 = 20_000_000;
/// The out-of-order window when the handshake gave no RTT.
const DEFAULT_OOO_NS: i64 = 3_000_000;

/// One segment waiting for its ACK.
#[derive(Debug, Clone, Copy)]
struct Unacked {
    frame: u64,
    seq: u32,
    nextseq: u32,
    ts: i64,
}

/// What one side sent, as the analysis remembers it.
#[derive(Debug)]
pub(super) struct SideState {
    base: Option<u32>,
    nextseq: u32,
    nextseq_ts: i64,
    nextseq_frame: u64,
    max_seq_to_be_acked: u32,
    lastack: u32,
    lastack_ts: i64,
    /// Window field of the last segment (unscaled); `u32::MAX` before any.
    window: u32,
    /// Duplicate ACKs in a row; `u32::MAX` after an "ACKed unseen segment" with none.
    dupacks: u32,
    last_non_dupack: u64,
    last_keep_alive: bool,
    last_zero_window_probe: bool,
    valid_bif: bool,
    /// Window scale: -1 unknown, -2 none, else the shift.
    win_scale: i8,
    first_ack: bool,
    /// Bytes covered by the SACK blocks of this side's last segment.
    sacked: u32,
    push_bytes: u32,
    push_last: bool,
    /// Oldest first; most streams have a few at a time, held in place. The first `head` are
    /// acknowledged already (taken off the front without moving the rest; compacted before
    /// the list would grow and once they are half of it).
    unacked: SmallVec<[Unacked; 4]>,
    head: u32,
    /// The live segments follow each other in sequence order without overlap and span less
    /// than 2^31 bytes (false when unknown): an ACK then acknowledges a run from the front
    /// and the walk stops at the first segment it does not reach.
    ordered: bool,
    /// The first `checked.1` segments of `unacked` were last matched against the ACK
    /// `checked.0` and are unchanged by it again: the same ACK only looks at later ones,
    /// so a sender that never sees its segments acknowledged costs no walk per segment.
    checked: Option<(u32, u32)>,
    /// The lowest start and highest end of `unacked` (relative to `span.0`, the base they
    /// were taken against), kept while segments are only added; `None` once one is
    /// acknowledged or cut, then taken again from all of them.
    span: Option<(u32, u32, u32)>,
}

impl Default for SideState {
    fn default() -> Self {
        SideState {
            base: None,
            nextseq: 0,
            nextseq_ts: 0,
            nextseq_frame: 0,
            max_seq_to_be_acked: 0,
            lastack: 0,
            lastack_ts: 0,
            window: u32::MAX,
            dupacks: 0,
            last_non_dupack: 0,
            last_keep_alive: false,
            last_zero_window_probe: false,
            valid_bif: true,
            win_scale: -1,
            first_ack: false,
            sacked: 0,
            push_bytes: 0,
            push_last: false,
            unacked: SmallVec::new(),
            head: 0,
            ordered: true,
            checked: None,
            span: None,
        }
    }
}

/// The analysis state of one stream: both sides and the handshake's RTT.
#[derive(Debug, Default)]
pub(super) struct SeqAnalysis {
    sides: [SideState; 2],
    /// Time of the last SYN without ACK.
    syn_ts: Option<i64>,
    /// The initial RTT (SYN to the first ACK without SYN), 0 while unknown.
    first_rtt: i64,
}

fn nanos(ts: Timestamp) -> i64 {
    ts.secs
        .saturating_mul(1_000_000_000)
        .saturating_add(i64::from(ts.nanos))
}

fn gt(a: u32, b: u32) -> bool {
    (a.wrapping_sub(b) as i32) > 0
}

fn lt(a: u32, b: u32) -> bool {
    (a.wrapping_sub(b) as i32) < 0
}

/// `now - then` when it is within `limit` (and not negative).
fn within(now: i64, then: i64, limit: i64) -> bool {
    (0..limit).contains(&now.saturating_sub(then))
}

const HALF: u32 = 1 << 31;

/// tshark's rule for one remembered segment and an ACK: false when the ACK ends at it or
/// passes it (it is taken off), else it stays, starting at the ACK when the ACK reaches into
/// it.
fn match_ack(u: &mut Unacked, ack: u32) -> bool {
    if ack == u.nextseq {
        false
    } else if gt(ack, u.seq) && !gt(ack, u.nextseq) {
        u.seq = ack;
        true
    } else {
        gt(u.nextseq, ack)
    }
}

impl SideState {
    /// The segments still waiting for their ACK.
    fn live(&self) -> &[Unacked] {
        self.unacked.get(self.head as usize..).unwrap_or_default()
    }

    /// How many segments wait for their ACK.
    fn waiting(&self) -> usize {
        self.unacked.len().saturating_sub(self.head as usize)
    }

    /// The lowest start and highest end of the live segments, relative to `base` (each
    /// taken as `u32`, so one before `base` counts as far above it). In order, the offsets
    /// from the first segment grow, so the values relative to `base` grow too but for one
    /// wrap past 2^32, found by binary search; otherwise every segment is looked at.
    fn extent(&self, base: u32) -> (u32, u32) {
        let live = self.live();
        let (Some(first), Some(last)) = (live.first(), live.last()) else {
            return (0, 0);
        };
        let rel = |x: u32| x.wrapping_sub(base);
        if !self.ordered {
            return live
                .iter()
                .fold((rel(first.seq), rel(first.nextseq)), |(lo, hi), u| {
                    (lo.min(rel(u.seq)), hi.max(rel(u.nextseq)))
                });
        }
        let b0 = rel(first.seq);
        // Offsets from the first segment at or past `room` wrap past 2^32 relative to `base`.
        let room = 0u32.wrapping_sub(b0);
        let off = |x: u32| x.wrapping_sub(first.seq);
        if b0 == 0 || off(last.nextseq) < room {
            return (b0, rel(last.nextseq));
        }
        let wrapped = live.partition_point(|u| off(u.seq) < room);
        let lo = live.get(wrapped).map_or(b0, |u| rel(u.seq));
        let unwrapped = live.partition_point(|u| off(u.nextseq) < room);
        let hi = match unwrapped.checked_sub(1).and_then(|i| live.get(i)) {
            Some(u) => rel(u.nextseq),
            None => rel(last.nextseq),
        };
        (lo, hi)
    }

    /// Drop the acknowledged segments at the front (`checked` counts from the start).
    fn compact(&mut self) {
        let head = self.head as usize;
        if head > 0 {
            self.unacked.drain(..head.min(self.unacked.len()));
            self.checked = self.checked.map(|(a, n)| (a, n.saturating_sub(self.head)));
            self.head = 0;
        }
    }

    /// Remember a segment; the list stays `ordered` when it starts at or after the end of
    /// the last one and the whole still spans less than 2^31.
    fn remember(&mut self, u: Unacked) {
        if self.unacked.len() == self.unacked.capacity() {
            self.compact();
        }
        let live = self.live();
        self.ordered = match (live.first(), live.last()) {
            (Some(first), Some(last)) => {
                let start = u.seq.wrapping_sub(first.seq);
                let end = u.nextseq.wrapping_sub(first.seq);
                self.ordered
                    && start >= last.nextseq.wrapping_sub(first.seq)
                    && end > start
                    && end < HALF
            }
            _ => u.nextseq.wrapping_sub(u.seq).wrapping_sub(1) < HALF - 1,
        };
        self.unacked.push(u);
    }

    /// Take what `ack` acknowledges off this side's list (tshark's rules: a segment it ends
    /// at or passes is gone, one it reaches into starts at it), walking from `from` (the
    /// segments before were matched against the same ACK). Answers the first segment that
    /// ends exactly at `ack` and whether any segment was taken or cut.
    fn acknowledge(&mut self, ack: u32, from: usize) -> (Option<Unacked>, bool) {
        let from = from.max(self.head as usize);
        if from >= self.unacked.len() {
            // Nothing new to match (`checked` already says so, or the list is empty).
            return (None, false);
        }
        let mut acked: Option<Unacked> = None;
        let mut touched = false;
        let live = self.live();
        let fast = self.ordered
            && match (live.first(), live.last()) {
                (Some(first), Some(last)) => {
                    let a = ack.wrapping_sub(first.seq);
                    let span = last.nextseq.wrapping_sub(first.seq);
                    !(HALF..=HALF + span).contains(&a)
                }
                _ => true,
            };
        if fast {
            // In order, every segment `ack` acknowledges is in the run from the front, and
            // the walk ends at the first one it does not pass; the rest are untouched.
            let mut i = from;
            while let Some(u) = self.unacked.get_mut(i) {
                if gt(u.nextseq, ack) {
                    if gt(ack, u.seq) {
                        u.seq = ack;
                    }
                    touched |= u.seq == ack;
                    break;
                }
                if ack == u.nextseq {
                    acked = acked.or(Some(*u));
                }
                touched = true;
                i += 1;
            }
            if i > from {
                if from == self.head as usize {
                    self.head = i as u32;
                } else {
                    self.unacked.drain(from..i);
                }
            }
            self.checked = Some((ack, self.unacked.len() as u32));
        } else {
            let mut kept = from;
            // Whether the kept segments are in order again (known only after a whole walk).
            let mut order = (from == self.head as usize).then_some((0u32, 0u32, true));
            for i in from..self.unacked.len() {
                let Some(mut u) = self.unacked.get(i).copied() else {
                    break;
                };
                let was = u;
                let keep = match_ack(&mut u, ack);
                if ack == was.nextseq {
                    acked = acked.or(Some(was));
                }
                touched |= !keep || u.seq == ack;
                if keep {
                    if let Some((first, end, ok)) = order.as_mut() {
                        let (start, next) =
                            (u.seq.wrapping_sub(*first), u.nextseq.wrapping_sub(*first));
                        if kept == from {
                            *first = u.seq;
                            *end = u.nextseq.wrapping_sub(u.seq);
                            *ok = *end > 0 && *end < HALF;
                        } else {
                            *ok = *ok && start >= *end && next > start && next < HALF;
                            *end = next;
                        }
                    }
                    if let Some(slot) = self.unacked.get_mut(kept) {
                        *slot = u;
                    }
                    kept += 1;
                }
            }
            self.unacked.truncate(kept);
            self.checked = Some((ack, kept as u32));
            self.ordered = order.is_some_and(|(_, _, ok)| ok);
        }
        if self.head as usize >= self.unacked.len() {
            self.unacked.clear();
            self.head = 0;
            self.ordered = true;
            self.checked = Some((ack, 0));
        } else if self.head as usize * 2 >= self.unacked.len() {
            self.compact();
        }
        (acked, touched)
    }
}

impl SeqAnalysis {
    /// Segments remembered (waiting for their ACK) on both sides.
    pub fn held(&self) -> usize {
        self.sides[0].waiting() + self.sides[1].waiting()
    }

    /// Analyse `seg`, sent by side `d` (0 client, 1 server), and remember it (its segment
    /// only when `room`: the table's bound on remembered segments is not reached).
    pub fn analyse(&mut self, d: usize, seg: &TcpSegment<'_>, room: bool) -> Analysis {
        let [s0, s1] = &mut self.sides;
        let (fwd, rev) = if d == 0 { (s0, s1) } else { (s1, s0) };
        let flags = seg.flags;
        let (syn, fin, rst, ackf) = (flags.syn(), flags.fin(), flags.rst(), flags.ack());
        let (seq, ack, seglen) = (seg.seq, seg.ack, seg.wire_len);
        let window = u32::from(seg.window);
        let now = nanos(seg.ts);
        let plain = !syn && !fin && !rst;
        let mut a = Analysis::default();

        if fwd.base.is_none() {
            fwd.base = Some(if syn { seq } else { seq.wrapping_sub(1) });
        }
        if rev.base.is_none() && ackf {
            rev.base = Some(ack.wrapping_sub(1));
        }
        if ackf {
            rev.valid_bif = true;
        }

        // The flags of the forward side, in tshark's order; a zero-window probe, keep-alive
        // ACK or zero-window-probe ACK ends the list.
        'fwd: {
            if seglen == 1 && seq == fwd.nextseq && rev.window == 0 {
                a.set_zero_window_probe(true);
                break 'fwd;
            }
            a.set_zero_window(window == 0 && plain);
            if fwd.nextseq != 0 && gt(seq, fwd.nextseq) && !rst {
                a.set_previous_segment_not_captured(true);
                fwd.valid_bif = false;
            }
            a.set_keep_alive(seglen <= 1 && seq == fwd.nextseq.wrapping_sub(1) && plain);
            let same = seglen == 0 && seq == fwd.nextseq && ack == fwd.lastack && plain;
            a.set_window_update(same && window != 0 && window != fwd.window);
            if seglen > 0 && rev.win_scale != -1 && plain {
                let shift = if rev.first_ack || rev.win_scale < 0 {
                    0
                } else {
                    rev.win_scale as u32
                };
                let edge = rev.lastack.wrapping_add(rev.window << shift);
                a.set_window_full(seq.wrapping_add(seglen) == edge);
            }
            let repeat = same && window == fwd.window;
            if repeat && window != 0 && rev.last_keep_alive {
                a.set_keep_alive_ack(true);
                break 'fwd;
            }
            if repeat && window == 0 && rev.last_zero_window_probe {
                a.set_zero_window_probe_ack(true);
                break 'fwd;
            }
            if repeat && window != 0 {
                fwd.dupacks = if fwd.dupacks == u32::MAX {
                    1
                } else {
                    fwd.dupacks.saturating_add(1)
                };
                a.set_dup_ack(true);
                a.dup_ack_num = fwd.dupacks;
                a.dup_ack_frame = fwd.last_non_dupack;
            }
        }
        if ack != fwd.lastack {
            fwd.last_non_dupack = seg.frame;
            fwd.dupacks = 0;
        }

        // An ACK beyond what the other side was seen to send.
        if rev.max_seq_to_be_acked != 0 && gt(ack, rev.max_seq_to_be_acked) && ackf {
            a.shown = true;
            if lt(rev.max_seq_to_be_acked, rev.nextseq) {
                rev.max_seq_to_be_acked = rev.nextseq;
                a.set_ack_lost_segment(true);
            } else {
                if rev.dupacks == 0 {
                    a.set_ack_lost_segment(true);
                }
                rev.dupacks = u32::MAX;
            }
        }

        // Retransmission, fast retransmission, spurious retransmission or out-of-order.
        if (seglen > 0 || syn || fin) && !a.keep_alive() {
            let mut not_advanced = fwd.nextseq != 0 && lt(seq, fwd.nextseq);
            if seglen > 1 && fwd.nextseq.wrapping_sub(1) == seq {
                not_advanced = false;
            }
            let end = seq.wrapping_add(seglen);
            let ooo_ns = if self.first_rtt == 0 {
                DEFAULT_OOO_NS
            } else {
                self.first_rtt
            };
            if seglen > 0 && rev.lastack != 0 && !gt(end, rev.lastack) {
                a.set_spurious_retransmission(true);
            } else if not_advanced
                && rev.dupacks >= 2
                && rev.lastack == seq
                && within(now, rev.lastack_ts, FAST_RETRANSMISSION_NS)
            {
                a.set_fast_retransmission(true);
            } else if not_advanced
                && within(now, fwd.nextseq_ts, ooo_ns)
                && fwd.nextseq != end.wrapping_add(u32::from(syn || fin))
            {
                a.set_out_of_order(true);
            } else if not_advanced {
                a.set_retransmission(true);
                let (ts, frame) = fwd
                    .live()
                    .first()
                    .map_or((fwd.nextseq_ts, fwd.nextseq_frame), |u| (u.ts, u.frame));
                a.rto_ns = now.saturating_sub(ts);
                a.rto_frame = frame;
            }
        }

        // Remember the segment and the side's new edge.
        let mut nextseq = seq.wrapping_add(seglen);
        if syn || fin {
            nextseq = nextseq.wrapping_add(1);
        }
        if (seglen > 0 || syn || fin) && room && fwd.waiting() < MAX_UNACKED {
            fwd.remember(Unacked {
                frame: seg.frame,
                seq,
                nextseq,
                ts: now,
            });
            let base = fwd.base.unwrap_or(0);
            let (lo, hi) = (seq.wrapping_sub(base), nextseq.wrapping_sub(base));
            fwd.span = match fwd.span {
                _ if fwd.waiting() == 1 => Some((base, lo, hi)),
                Some((b, l, h)) if b == base => Some((b, l.min(lo), h.max(hi))),
                _ => None,
            };
        }
        if (gt(nextseq, fwd.nextseq) || fwd.nextseq == 0) && !a.zero_window_probe() {
            fwd.nextseq = nextseq;
            fwd.nextseq_frame = seg.frame;
            fwd.nextseq_ts = now;
        }
        if (seq == fwd.max_seq_to_be_acked || fwd.max_seq_to_be_acked == 0)
            && !a.zero_window_probe()
        {
            fwd.max_seq_to_be_acked = fwd.nextseq;
        }
        fwd.window = window;
        fwd.lastack = ack;
        fwd.lastack_ts = now;
        fwd.last_keep_alive = a.keep_alive();
        fwd.last_zero_window_probe = a.zero_window_probe();

        // What this ACK acknowledges of the other side's segments.
        let from = match rev.checked {
            Some((checked_ack, n)) if checked_ack == ack => n as usize,
            _ => 0,
        };
        let (acked, touched) = rev.acknowledge(ack, from);
        if touched {
            rev.span = None;
        }
        if rev.unacked.is_empty() && rev.unacked.spilled() {
            rev.unacked.shrink_to_fit();
        }
        if let Some(u) = acked {
            a.acks_frame = u.frame;
            a.ack_rtt_ns = now.saturating_sub(u.ts);
        }

        // Bytes in flight (from the remembered segments, less the peer's last SACK blocks)
        // and bytes since the last PSH.
        if seglen != 0 && fwd.valid_bif && fwd.waiting() > 0 {
            let base = fwd.base.unwrap_or(0);
            let (lo, hi) = match fwd.span {
                Some((b, lo, hi)) if b == base => (lo, hi),
                _ => {
                    let (lo, hi) = fwd.extent(base);
                    fwd.span = Some((base, lo, hi));
                    (lo, hi)
                }
            };
            let in_flight = hi.wrapping_sub(lo).wrapping_sub(rev.sacked);
            if in_flight > 0 && in_flight < 2_000_000_000 {
                a.bytes_in_flight = in_flight - u32::from(syn || fin);
            }
            fwd.push_bytes = if fwd.push_last {
                seglen
            } else {
                fwd.push_bytes.wrapping_add(seglen)
            };
            fwd.push_last = flags.has(crate::flow::TcpFlags::PSH);
            a.push_bytes_sent = fwd.push_bytes;
            a.shown = true;
        }
        fwd.sacked = seg.sacked;

        // The handshake: window scales, and the initial RTT at the first ACK without SYN.
        if syn {
            if let Some(shift) = seg.window_scale {
                fwd.win_scale = shift.min(14) as i8;
            }
            if fwd.win_scale == -1 {
                fwd.win_scale = -2;
                rev.win_scale = -2;
            } else if ackf && rev.win_scale == -2 {
                fwd.win_scale = -2;
            }
            if !ackf {
                self.syn_ts = Some(now);
            }
            fwd.first_ack = true;
        } else if ackf {
            if let (Some(t), 0) = (self.syn_ts, self.first_rtt) {
                self.first_rtt = now.saturating_sub(t);
            }
            fwd.first_ack = false;
        }

        a.win_scale = fwd.win_scale;
        a.shown |= a.any_flag() || a.acks_frame != 0 || a.bytes_in_flight != 0;
        if a.shown {
            a.initial_rtt_ns = self.first_rtt;
        }
        a
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// tshark's walk over every remembered segment, the rule `acknowledge` must agree with.
    fn walk_all(list: &mut Vec<Unacked>, ack: u32) -> (Option<u64>, bool) {
        let (mut acked, mut touched) = (None, false);
        list.retain_mut(|u| {
            if ack == u.nextseq {
                acked = acked.or(Some(u.frame));
            }
            let keep = match_ack(u, ack);
            touched |= !keep || u.seq == ack;
            keep
        });
        (acked, touched)
    }

    /// In-order and out-of-order segments, near 2^32 and not, ACKs before, inside, past and
    /// half the sequence space away from them: the list, the segment acknowledged, whether
    /// one was touched, and the lowest and highest edges are those of the whole walk.
    #[test]
    fn acknowledge_agrees_with_the_whole_walk() {
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut rnd = move |n: u32| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x % u64::from(n)) as u32
        };
        for round in 0..400u32 {
            let mut side = SideState::default();
            let mut reference: Vec<Unacked> = Vec::new();
            let start = [0, u32::MAX - 3000, HALF - 2000, rnd(u32::MAX)][round as usize % 4];
            let base = start.wrapping_add(rnd(3) * 1000).wrapping_sub(1000);
            let (mut next, mut acked_to, mut frame) = (start, start, 0u64);
            for _ in 0..300 {
                frame += 1;
                if rnd(3) > 0 {
                    let big = rnd(4) == 0;
                    let len = 1 + rnd(if big { 1500 } else { 8 });
                    let seq = match rnd(12) {
                        0 => next.wrapping_sub(rnd(2000)),
                        1 => next.wrapping_add(rnd(100)),
                        _ => next,
                    };
                    let u = Unacked {
                        frame,
                        seq,
                        nextseq: seq.wrapping_add(len),
                        ts: 0,
                    };
                    if gt(u.nextseq, next) {
                        next = u.nextseq;
                    }
                    side.remember(u);
                    reference.push(u);
                } else {
                    let ack = match rnd(10) {
                        0 => acked_to.wrapping_add(HALF).wrapping_add(rnd(3000)),
                        1 => acked_to.wrapping_sub(rnd(500)),
                        2 => next.wrapping_add(rnd(50)),
                        _ => acked_to.wrapping_add(rnd(next.wrapping_sub(acked_to).max(1))),
                    };
                    acked_to = ack;
                    let (got, touched) = side.acknowledge(ack, 0);
                    let want = walk_all(&mut reference, ack);
                    assert_eq!((got.map(|u| u.frame), touched), want, "round {round}");
                }
                let live: Vec<(u32, u32)> =
                    side.live().iter().map(|u| (u.seq, u.nextseq)).collect();
                let all: Vec<(u32, u32)> = reference.iter().map(|u| (u.seq, u.nextseq)).collect();
                assert_eq!(live, all, "round {round}");
                if let Some(first) = reference.first() {
                    let rel = |v: u32| v.wrapping_sub(base);
                    let whole = reference
                        .iter()
                        .fold((rel(first.seq), rel(first.nextseq)), |(lo, hi), u| {
                            (lo.min(rel(u.seq)), hi.max(rel(u.nextseq)))
                        });
                    assert_eq!(side.extent(base), whole, "round {round}");
                }
            }
        }
    }
}
