//! Reassembly of one direction of a TCP stream.
//!
//! Sequence numbers are turned into 64-bit stream offsets: offset 0 is the first byte after
//! the SYN (or, with no SYN seen, the first byte of the first segment). The 32-bit distance
//! from the base is computed with wrapping arithmetic and then "unwrapped" around the
//! highest offset seen so far, so a stream keeps counting past the 2^32 wrap.
//!
//! In-order bytes are handed on straight from the segment (no copy). Bytes that arrive
//! ahead of a gap are copied into `pending`, a map of non-overlapping pieces keyed by
//! offset, and delivered once the gap fills — or given up as a [`StreamEvent::Hole`] when a
//! bound is hit, the FIN before the gap is acknowledged, or the stream closes.
//!
//! Overlap policy: **the first copy wins.** Bytes already delivered or buffered are never
//! replaced by a later segment; where a later segment overlaps buffered bytes and differs,
//! an [`FlowNote::OverlapConflict`] is raised. (For comparison: Wireshark reassembles with
//! the first copy as well, while Suricata's default policy is BSD-like and prefers the
//! original data except where a new segment starts earlier; Linux/Windows targets take the
//! new copy in some cases. We pick one predictable rule.) The last
//! [`RECENT_DELIVERED`](super::RECENT_DELIVERED) bytes delivered are kept per direction, so
//! a retransmission of delivered data is compared too; older delivered bytes are gone, and a
//! retransmission reaching back to them raises [`FlowNote::OverlapUnchecked`]. Either note
//! carries the other copy's bytes: a secret in the copy that lost is still a leak.

use std::collections::{BTreeMap, VecDeque};

use super::{
    Direction, FlowNote, FlowStats, OtherCopy, StreamEvent, StreamId, StreamSink, RECENT_DELIVERED,
};

/// What a missing-bytes piece (snaplen cut) counts against the buffer bounds: it holds no
/// bytes but still costs a map entry.
const MISSING_PIECE_COST: usize = 32;

/// Where events go while a half stream works, plus the counters it updates.
pub(crate) struct Emit<'s> {
    pub sink: &'s mut dyn StreamSink,
    pub stream: StreamId,
    pub dir: Direction,
    /// The frame being processed.
    pub now_frame: u64,
    pub stats: &'s mut FlowStats,
    /// How many more bytes may be kept, over all streams, to compare retransmissions with
    /// delivered data (0: keep none).
    pub recent_room: usize,
}

impl Emit<'_> {
    fn data(&mut self, offset: u64, data: &[u8], frame: u64, frame_offset: usize) {
        if data.is_empty() {
            return;
        }
        self.sink.event(
            self.now_frame,
            StreamEvent::Data {
                stream: self.stream,
                dir: self.dir,
                offset,
                data,
                frame,
                frame_offset,
            },
        );
    }

    fn hole(&mut self, offset: u64, len: u64) {
        if len == 0 {
            return;
        }
        self.stats.holes += 1;
        self.stats.hole_bytes = self.stats.hole_bytes.saturating_add(len);
        self.sink.event(
            self.now_frame,
            StreamEvent::Hole {
                stream: self.stream,
                dir: self.dir,
                offset,
                len,
            },
        );
    }

    pub fn note(&mut self, note: FlowNote) {
        if matches!(note, FlowNote::OverlapConflict { .. }) {
            self.stats.overlap_conflicts += 1;
        }
        if matches!(note, FlowNote::BoundHit { .. }) {
            self.stats.bound_hits += 1;
        }
        self.sink.event(
            self.now_frame,
            StreamEvent::Note {
                stream: self.stream,
                dir: Some(self.dir),
                note,
                frame: self.now_frame,
            },
        );
    }

    fn end(&mut self) {
        self.sink.event(
            self.now_frame,
            StreamEvent::End {
                stream: self.stream,
                dir: self.dir,
            },
        );
    }
}

/// Out-of-order bytes waiting for a gap before them to fill.
#[derive(Debug)]
enum Piece {
    /// Captured bytes, copied from the frame that carried them, where they began at
    /// `frame_offset`.
    Data {
        bytes: Vec<u8>,
        frame: u64,
        frame_offset: usize,
    },
    /// Bytes known to exist but not captured (cut by the snaplen).
    Missing { len: u64 },
}

impl Piece {
    fn len(&self) -> u64 {
        match self {
            Piece::Data { bytes, .. } => bytes.len() as u64,
            Piece::Missing { len } => *len,
        }
    }
    fn cost(&self) -> usize {
        match self {
            Piece::Data { bytes, .. } => bytes.len(),
            Piece::Missing { .. } => MISSING_PIECE_COST,
        }
    }
}

/// The part of a segment being placed: its data covers stream offsets `[start, end)`, of
/// which `[start, start + captured.len())` was captured.
#[derive(Clone, Copy)]
pub(crate) struct SegmentBytes<'a> {
    pub start: u64,
    pub end: u64,
    pub captured: &'a [u8],
    pub frame: u64,
    /// Where `captured[0]` sits in the frame's bytes.
    pub frame_offset: usize,
}

impl<'a> SegmentBytes<'a> {
    fn cap_end(&self) -> u64 {
        self.start.saturating_add(self.captured.len() as u64)
    }
    /// The captured bytes of `[a, b)` (clipped to what was captured).
    /// Where the byte at stream offset `at` (at or after `start`) sits in the frame.
    fn frame_offset_at(&self, at: u64) -> usize {
        let skip = usize::try_from(at.saturating_sub(self.start)).unwrap_or(usize::MAX);
        self.frame_offset.saturating_add(skip)
    }

    fn captured_range(&self, a: u64, b: u64) -> &'a [u8] {
        let lo = a.max(self.start).min(self.cap_end());
        let hi = b.min(self.cap_end()).max(lo);
        let from = usize::try_from(lo - self.start).unwrap_or(usize::MAX);
        let to = usize::try_from(hi - self.start).unwrap_or(usize::MAX);
        self.captured.get(from..to).unwrap_or(&[])
    }
}

/// One direction of a stream (the bytes one side sends).
#[derive(Debug, Default)]
pub(crate) struct HalfStream {
    /// Sequence number of stream offset 0 (ISN + 1), once known.
    pub base: Option<u32>,
    /// A SYN from this side was seen.
    pub syn_seen: bool,
    /// Next offset to deliver.
    next: u64,
    /// Highest sequence end seen, as a signed offset (the SYN sits at -1).
    pub max_seq_end: i64,
    /// Any segment from this side seen yet.
    pub seen_any: bool,
    pending: BTreeMap<u64, Piece>,
    pending_cost: usize,
    /// Offset of the FIN (= end of data), once seen.
    pub fin: Option<u64>,
    /// `End` was emitted; nothing more is delivered.
    pub ended: bool,
    /// Payload bytes delivered (holes excluded).
    pub delivered: u64,
    /// The last bytes delivered (up to `RECENT_DELIVERED`, ending at `next`), and where
    /// each frame's bytes among them begin: to compare retransmissions with.
    recent: VecDeque<u8>,
    recent_frames: VecDeque<(u64, u64)>,
}

/// At most this many frame starts are remembered over the recent bytes.
const RECENT_FRAMES: usize = 32;

impl HalfStream {
    /// Signed stream offset of sequence number `seq` (negative: before offset 0), unwrapped
    /// around the highest offset seen so far. `None` while the base is unknown.
    pub fn signed_offset(&self, seq: u32) -> Option<i64> {
        let base = self.base?;
        let rel = seq.wrapping_sub(base);
        let reference = self.max_seq_end.max(0);
        // Distance from the reference, taken as a signed 32-bit value.
        let diff = rel.wrapping_sub(reference as u32) as i32;
        Some(reference.saturating_add(i64::from(diff)))
    }

    /// Bytes buffered out of order (as counted against the bounds).
    pub fn pending_cost(&self) -> usize {
        self.pending_cost
    }

    /// Place a segment's bytes: deliver what is in order, buffer what is ahead of a gap.
    /// Returns true when any byte was new.
    pub fn accept(&mut self, seg: SegmentBytes<'_>, out: &mut Emit<'_>) -> bool {
        if self.ended {
            return false;
        }
        let mut seg = seg;
        if let Some(fin) = self.fin {
            seg.end = seg.end.min(fin);
        }
        if seg.start < self.next && seg.end > seg.start {
            self.compare_delivered(seg, out);
        }
        if seg.end <= self.next || seg.end <= seg.start {
            return false;
        }
        if seg.start <= self.next {
            self.deliver_in_order(seg, out);
            true
        } else {
            self.buffer(seg, out)
        }
    }

    /// `seg` starts at or before `next`: hand its bytes on, interleaving buffered pieces
    /// (which were first and so win where they overlap).
    fn deliver_in_order(&mut self, seg: SegmentBytes<'_>, out: &mut Emit<'_>) {
        // Each round either advances `next` or removes a buffered piece, so it ends.
        while self.next < seg.end {
            let stop = match self.pending.first_key_value() {
                Some((&k, _)) if k > self.next => k.min(seg.end),
                Some(_) => self.next,
                None => seg.end,
            };
            if stop > self.next {
                self.deliver_segment_range(seg, self.next, stop, out);
                self.next = stop;
            }
            self.drain(Some(seg), out);
        }
        self.drain(None, out);
        self.maybe_end(out);
    }

    fn deliver_segment_range(&mut self, seg: SegmentBytes<'_>, a: u64, b: u64, out: &mut Emit<'_>) {
        let captured = seg.captured_range(a, b);
        if !captured.is_empty() {
            out.data(a, captured, seg.frame, seg.frame_offset_at(a));
            self.remember(a, captured, seg.frame, out);
        }
        let missing_from = a.saturating_add(captured.len() as u64);
        if b > missing_from {
            out.hole(missing_from, b - missing_from);
            self.forget_recent();
        }
    }

    /// Count delivered bytes and keep the most recent ones for comparison.
    fn remember(&mut self, offset: u64, bytes: &[u8], frame: u64, out: &mut Emit<'_>) {
        self.delivered = self.delivered.saturating_add(bytes.len() as u64);
        let cap_before = self.recent_cost();
        let want = (self.recent.len() + bytes.len()).min(RECENT_DELIVERED);
        if want > cap_before && want - cap_before > out.recent_room {
            // No room over all streams: keep nothing; a later overlap is searched unchecked.
            self.forget_recent();
            return;
        }
        if self.recent_frames.back().map(|&(_, f)| f) != Some(frame) {
            self.recent_frames.push_back((offset, frame));
        }
        let tail = bytes
            .get(bytes.len().saturating_sub(RECENT_DELIVERED)..)
            .unwrap_or(bytes);
        // Room first, then exactly what is kept (at most RECENT_DELIVERED): the capacity
        // never grows past it.
        let excess = (self.recent.len() + tail.len()).saturating_sub(RECENT_DELIVERED);
        self.recent.drain(..excess.min(self.recent.len()));
        self.recent
            .reserve_exact(want.saturating_sub(self.recent.len()));
        self.recent.extend(tail);
        let recent_start = offset
            .saturating_add(bytes.len() as u64)
            .saturating_sub(self.recent.len() as u64);
        // Keep the frame whose bytes cover the oldest kept byte, and those after it.
        while self.recent_frames.len() > RECENT_FRAMES
            || self
                .recent_frames
                .get(1)
                .is_some_and(|&(o, _)| o <= recent_start)
        {
            self.recent_frames.pop_front();
        }
        out.recent_room = out
            .recent_room
            .saturating_sub(self.recent_cost().saturating_sub(cap_before));
    }

    /// Bytes held to compare retransmissions with (counted against the total bound).
    pub fn recent_cost(&self) -> usize {
        self.recent.capacity() + self.recent_frames.capacity() * 16
    }

    /// A hole: the bytes kept no longer end where the next delivered bytes begin.
    fn forget_recent(&mut self) {
        self.recent = VecDeque::new();
        self.recent_frames = VecDeque::new();
    }

    /// The frame that delivered stream offset `at` (among the recent bytes).
    fn recent_frame_at(&self, at: u64) -> u64 {
        self.recent_frames
            .iter()
            .take_while(|&&(o, _)| o <= at)
            .last()
            .or(self.recent_frames.front())
            .map_or(0, |&(_, f)| f)
    }

    /// `seg` reaches back before `next`: compare its captured bytes there with the recent
    /// delivered bytes; a difference is an `OverlapConflict`, bytes too old to compare an
    /// `OverlapUnchecked`. Both carry the segment's overlapping bytes.
    fn compare_delivered(&mut self, seg: SegmentBytes<'_>, out: &mut Emit<'_>) {
        let end = seg.end.min(self.next);
        let new = seg.captured_range(seg.start, end);
        if new.is_empty() {
            return;
        }
        let recent_start = self.next.saturating_sub(self.recent.len() as u64);
        if seg.start < recent_start {
            // Bytes delivered too long ago: compare what can be, search the whole copy.
            out.note(FlowNote::OverlapUnchecked {
                offset: seg.start,
                len: new.len() as u64,
                copy: OtherCopy(new.to_vec()),
            });
            return;
        }
        let from = usize::try_from(seg.start - recent_start).unwrap_or(usize::MAX);
        let differs = self
            .recent
            .range(from.min(self.recent.len())..)
            .zip(new)
            .any(|(a, b)| a != b);
        if differs {
            out.note(FlowNote::OverlapConflict {
                offset: seg.start,
                len: new.len() as u64,
                frames: [self.recent_frame_at(seg.start), seg.frame],
                copy: OtherCopy(new.to_vec()),
            });
        }
    }

    /// Deliver buffered pieces that start at (or before) `next`. When `seg` is given, its
    /// bytes overlapping a drained piece are compared with it. Returns bytes advanced.
    fn drain(&mut self, seg: Option<SegmentBytes<'_>>, out: &mut Emit<'_>) -> u64 {
        let before = self.next;
        loop {
            let key = match self.pending.first_key_value() {
                Some((&k, _)) if k <= self.next => k,
                _ => break,
            };
            let Some(piece) = self.pending.remove(&key) else {
                break;
            };
            self.pending_cost = self.pending_cost.saturating_sub(piece.cost());
            let end = key.saturating_add(piece.len());
            if end <= self.next {
                continue;
            }
            let skip = self.next - key;
            match &piece {
                Piece::Data {
                    bytes,
                    frame,
                    frame_offset,
                } => {
                    let from = usize::try_from(skip).unwrap_or(usize::MAX);
                    let tail = bytes.get(from..).unwrap_or(&[]);
                    if let Some(seg) = seg {
                        check_conflict(seg, self.next, tail, *frame, out);
                    }
                    out.data(self.next, tail, *frame, frame_offset.saturating_add(from));
                    self.remember(self.next, tail, *frame, out);
                }
                Piece::Missing { .. } => {
                    out.hole(self.next, end - self.next);
                    self.forget_recent();
                }
            }
            self.next = end;
        }
        self.maybe_end(out);
        self.next - before
    }

    /// Buffer the bytes of `seg` (which starts after `next`) not yet buffered.
    fn buffer(&mut self, seg: SegmentBytes<'_>, out: &mut Emit<'_>) -> bool {
        // Pieces overlapping [start, end): the one starting at or before start, and those
        // starting inside.
        let mut covering: Vec<(u64, u64)> = Vec::new();
        if let Some((&k, p)) = self.pending.range(..=seg.start).next_back() {
            if k.saturating_add(p.len()) > seg.start {
                covering.push((k, k.saturating_add(p.len())));
            }
        }
        for (&k, p) in self.pending.range(seg.start.saturating_add(1)..seg.end) {
            covering.push((k, k.saturating_add(p.len())));
        }
        let mut stored = false;
        let mut cur = seg.start;
        for (k, kend) in covering {
            if k > cur {
                self.store(seg, cur, k.min(seg.end));
                stored = true;
            }
            // Compare the overlap with the buffered copy (which wins).
            if let Some(Piece::Data { bytes, frame, .. }) = self.pending.get(&k) {
                let lo = k.max(seg.start);
                let from = usize::try_from(lo - k).unwrap_or(usize::MAX);
                if let Some(old) = bytes.get(from..) {
                    check_conflict(seg, lo, old, *frame, out);
                }
            }
            cur = cur.max(kend);
        }
        if cur < seg.end {
            self.store(seg, cur, seg.end);
            stored = true;
        }
        stored
    }

    /// Copy `[a, b)` of `seg` into pending pieces (captured bytes, then any missing tail).
    fn store(&mut self, seg: SegmentBytes<'_>, a: u64, b: u64) {
        if b <= a {
            return;
        }
        let captured = seg.captured_range(a, b);
        let mut pieces = Vec::with_capacity(2);
        if !captured.is_empty() {
            pieces.push((
                a,
                Piece::Data {
                    bytes: captured.to_vec(),
                    frame: seg.frame,
                    frame_offset: seg.frame_offset_at(a),
                },
            ));
        }
        let missing_from = a.saturating_add(captured.len() as u64);
        if b > missing_from {
            pieces.push((
                missing_from,
                Piece::Missing {
                    len: b - missing_from,
                },
            ));
        }
        for (k, p) in pieces {
            self.pending_cost = self.pending_cost.saturating_add(p.cost());
            self.pending.insert(k, p);
        }
    }

    /// Give up the gap before the first buffered piece: a hole, then whatever follows in
    /// order. Returns false when nothing is buffered.
    pub fn skip_first_gap(&mut self, out: &mut Emit<'_>) -> bool {
        let Some((&k, _)) = self.pending.first_key_value() else {
            return false;
        };
        if k > self.next {
            out.hole(self.next, k - self.next);
            self.forget_recent();
            self.next = k;
        }
        self.drain(None, out);
        true
    }

    /// Give up every gap, up to the FIN when its place is known, and end the direction.
    pub fn flush_and_end(&mut self, out: &mut Emit<'_>) {
        self.flush_gaps(out);
        self.forget_recent();
        if !self.ended {
            self.ended = true;
            out.end();
        }
    }

    /// Give up every gap (holes, then buffered bytes), and the bytes missing before a
    /// known FIN.
    pub fn flush_gaps(&mut self, out: &mut Emit<'_>) {
        while self.skip_first_gap(out) {}
        if let Some(fin) = self.fin {
            if fin > self.next && !self.ended {
                out.hole(self.next, fin - self.next);
                self.forget_recent();
                self.next = fin;
            }
        }
        self.maybe_end(out);
    }

    /// Emit `End` once the FIN's place is reached.
    fn maybe_end(&mut self, out: &mut Emit<'_>) {
        if !self.ended && self.fin == Some(self.next) {
            self.ended = true;
            out.end();
        }
    }

    /// Record the FIN's place (the end of this side's data); a later FIN is ignored.
    pub fn set_fin(&mut self, offset: u64, out: &mut Emit<'_>) {
        if self.fin.is_none() {
            // Data already delivered past a FIN's claimed place stays delivered.
            let fin = offset.max(self.next);
            self.fin = Some(fin);
            // Bytes buffered past the FIN are not data (as `accept` clips later segments):
            // drop them, or flushing would deliver them after `End`.
            for p in self.pending.split_off(&fin).values() {
                self.pending_cost = self.pending_cost.saturating_sub(p.cost());
            }
            if let Some((&k, p)) = self.pending.iter_mut().next_back() {
                let keep = fin.saturating_sub(k);
                if p.len() > keep {
                    let old = p.cost();
                    match p {
                        Piece::Data { bytes, .. } => {
                            bytes.truncate(usize::try_from(keep).unwrap_or(usize::MAX))
                        }
                        Piece::Missing { len } => *len = keep,
                    }
                    self.pending_cost = self
                        .pending_cost
                        .saturating_sub(old)
                        .saturating_add(p.cost());
                }
            }
            self.maybe_end(out);
        }
    }
}

/// Compare `old` (bytes kept for offsets starting at `at`, from `old_frame`) with the
/// segment's captured bytes at the same offsets; raise a conflict note when they differ.
fn check_conflict(seg: SegmentBytes<'_>, at: u64, old: &[u8], old_frame: u64, out: &mut Emit<'_>) {
    let end = at.saturating_add(old.len() as u64);
    let new = seg.captured_range(at, end);
    if new.is_empty() {
        return;
    }
    let new_from = at.max(seg.start);
    let from = usize::try_from(new_from - at).unwrap_or(usize::MAX);
    let Some(old_part) = old.get(from..from.saturating_add(new.len())) else {
        return;
    };
    if old_part != new {
        out.note(FlowNote::OverlapConflict {
            offset: new_from,
            len: new.len() as u64,
            frames: [old_frame, seg.frame],
            copy: OtherCopy(new.to_vec()),
        });
    }
}
