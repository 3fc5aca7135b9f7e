//! The tshark-style analysis flags of one segment (see [`super::FlowTable::segment`]), judged
//! against what its side had sent before it.

use super::super::reassembly::HalfStream;
use super::super::{Analysis, TcpSegment};

/// The flags of `seg`, sent by the side `half` to `peer`; `seq_off` is its sequence number
/// as an offset from the side's base, `data_start..data_end` its payload's offsets.
pub(super) fn analyse(
    half: &HalfStream,
    peer: &HalfStream,
    seg: &TcpSegment<'_>,
    seq_off: i64,
    data_start: i64,
    data_end: i64,
) -> Analysis {
    let flags = seg.flags;
    let (syn, fin, rst, ackf) = (flags.syn(), flags.fin(), flags.rst(), flags.ack());
    let wire_len = i64::from(seg.wire_len);
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
        a.dup_ack = half.last_ack == Some(seg.ack) && half.last_window == seg.window && outstanding;
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
    a
}
