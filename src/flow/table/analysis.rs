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
    /// Oldest first; most streams have a few at a time, held in place.
    unacked: SmallVec<[Unacked; 4]>,
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

impl SeqAnalysis {
    /// Segments remembered (waiting for their ACK) on both sides.
    pub fn held(&self) -> usize {
        self.sides[0].unacked.len() + self.sides[1].unacked.len()
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
                    .unacked
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
        if (seglen > 0 || syn || fin) && room && fwd.unacked.len() < MAX_UNACKED {
            fwd.unacked.push(Unacked {
                frame: seg.frame,
                seq,
                nextseq,
                ts: now,
            });
            let base = fwd.base.unwrap_or(0);
            let (lo, hi) = (seq.wrapping_sub(base), nextseq.wrapping_sub(base));
            fwd.span = match fwd.span {
                _ if fwd.unacked.len() == 1 => Some((base, lo, hi)),
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
        let mut acked: Option<Unacked> = None;
        let from = match rev.checked {
            Some((checked_ack, n)) if checked_ack == ack => n as usize,
            _ => 0,
        };
        let mut kept = from;
        let mut touched = false;
        for i in from..rev.unacked.len() {
            let Some(mut u) = rev.unacked.get(i).copied() else {
                break;
            };
            let keep = if ack == u.nextseq {
                acked = acked.or(Some(u));
                false
            } else if gt(ack, u.seq) && !gt(ack, u.nextseq) {
                u.seq = ack;
                true
            } else {
                gt(u.nextseq, ack)
            };
            touched |= !keep || u.seq == ack;
            if keep {
                if let Some(slot) = rev.unacked.get_mut(kept) {
                    *slot = u;
                }
                kept += 1;
            }
        }
        rev.unacked.truncate(kept);
        rev.checked = Some((ack, kept as u32));
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
        if seglen != 0 && fwd.valid_bif {
            if let Some(first) = fwd.unacked.first() {
                let base = fwd.base.unwrap_or(0);
                let (lo, hi) = match fwd.span {
                    Some((b, lo, hi)) if b == base => (lo, hi),
                    _ => {
                        let mut lo = first.seq.wrapping_sub(base);
                        let mut hi = first.nextseq.wrapping_sub(base);
                        for u in &fwd.unacked {
                            hi = hi.max(u.nextseq.wrapping_sub(base));
                            lo = lo.min(u.seq.wrapping_sub(base));
                        }
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

        a.shown |= a.any_flag() || a.acks_frame != 0 || a.bytes_in_flight != 0;
        if a.shown {
            a.initial_rtt_ns = self.first_rtt;
        }
        a
    }
}
