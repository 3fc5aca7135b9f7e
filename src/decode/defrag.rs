//! IP datagrams put back together from their fragments (IPv4, and IPv6's Fragment header),
//! as Wireshark does by default (`ip.defragment`, `ipv6.defragment`), so that what a
//! sender split over several frames is read whole: a form post, a DNS answer, a secret.
//!
//! The reassembly buffer is etherparse's [`IpDefragBuf`]; this module keeps one per
//! datagram being read (keyed by addresses, identification and protocol, RFC 791 / RFC
//! 8200), bounds them, and decides overlaps. Overlap policy: **the first copy wins**, as
//! for TCP streams: where a later fragment overlaps bytes already held and differs, the
//! held bytes stay and the later copy is kept aside as a [`FragmentConflict`] (an
//! eavesdropper saw it too, so it is searched as well). Bounds: at most
//! [`MAX_PENDING`] datagrams at once (the oldest is given up past it), each given up
//! [`TIMEOUT_SECS`] of packet time after its first fragment (Linux's `ipfrag_time`), and
//! the bytes held count against the run's memory budget ([`Defragmenter::held_bytes`],
//! [`Defragmenter::give_up_oldest`]). A fragment cut by the snaplen cannot complete its
//! datagram: the datagram is given up.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::ops::Range;

use etherparse::defrag::IpDefragBuf;
use etherparse::{IpFragOffset, IpNumber, LaxIpSlice};
use foldhash::{HashMap, HashMapExt};

use super::{Decoded, Net, Transport};
use crate::capture::Timestamp;

/// Datagrams being reassembled at once; past it the oldest is given up.
pub const MAX_PENDING: usize = 1024;
/// Seconds of packet time a datagram may take to complete, from its first fragment.
pub const TIMEOUT_SECS: i64 = 30;
/// What a pending datagram costs the memory budget beyond its bytes (its entry, ranges and
/// fragment list).
const ENTRY_COST: usize = 256;

/// A datagram completed by this frame, read whole. Ranges in `transport` and `payload`
/// index `data` (the IP payload: the transport header and what follows), not the frame.
/// Byte offsets past the frame's captured bytes refer to `data`: offset `base + i` is byte
/// `i` of `data` (`base` is the frame's captured length), as tshark's "Reassembled IPv4"
/// data source follows the frame's bytes.
#[derive(Debug, Clone)]
pub struct Reassembled {
    /// IPv6 (else IPv4).
    pub v6: bool,
    /// The protocol the datagram carries (IPv6: after the Fragment header).
    pub protocol: u8,
    pub data: Vec<u8>,
    /// Where `data` starts in the frame's offsets (the frame's captured length).
    pub base: usize,
    /// The transport header decoded from `data`, when it is one this decoder knows.
    pub transport: Option<Transport>,
    /// The bytes above the transport header, in `data`.
    pub payload: Range<usize>,
    /// Each fragment, in arrival order.
    pub fragments: Vec<FragmentPiece>,
    /// Overlapping fragments whose bytes differed from the copy kept.
    pub conflicts: Vec<FragmentConflict>,
}

/// One fragment of a datagram: its frame, the range of the datagram's payload it carried,
/// and where those bytes start in its frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FragmentPiece {
    pub frame: u64,
    /// The range of [`Reassembled::data`] it carried.
    pub data: Range<usize>,
    /// The frame offset of its first payload byte.
    pub at: usize,
}

impl FragmentPiece {
    /// The frame byte ranges of this fragment that carry bytes `r` of the datagram.
    pub fn frame_range(&self, r: &Range<usize>) -> Option<Range<usize>> {
        let s = r.start.max(self.data.start);
        let e = r.end.min(self.data.end);
        (s < e).then(|| self.at + (s - self.data.start)..self.at + (e - self.data.start))
    }
}

impl Reassembled {
    /// tshark's name of the data source: `Reassembled IPv4`, `Reassembled IPv6`.
    pub fn source_name(&self) -> &'static str {
        if self.v6 {
            "Reassembled IPv6"
        } else {
            "Reassembled IPv4"
        }
    }

    /// Frame byte ranges that lie in `data` (offsets from `base` on), as ranges of `data`.
    pub fn data_ranges(&self, frame_ranges: &[Range<usize>]) -> Vec<Range<usize>> {
        frame_ranges
            .iter()
            .filter_map(|h| Some(h.start.checked_sub(self.base)?..h.end.checked_sub(self.base)?))
            .collect()
    }

    /// The frame offset of byte `i` of `data`.
    pub fn frame_offset(&self, i: usize) -> usize {
        self.base.saturating_add(i)
    }
}

/// A later fragment's copy of bytes the datagram already held, that differed.
#[derive(Clone, PartialEq, Eq)]
pub struct FragmentConflict {
    /// The frame of the later copy.
    pub frame: u64,
    /// Where its bytes start in the datagram's payload.
    pub offset: usize,
    /// Its bytes (those that overlapped).
    pub copy: Vec<u8>,
}

impl std::fmt::Debug for FragmentConflict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "frame {} offset {} <{} bytes>",
            self.frame,
            self.offset,
            self.copy.len()
        )
    }
}

/// The bytes of a datagram given up before it completed (timed out, evicted, malformed,
/// or still incomplete at the end): its fragments' frames and the pieces held, each with
/// its offset in the datagram. An eavesdropper saw them, so they are still searched.
#[derive(Debug, Clone, Default)]
pub struct Unreassembled {
    pub frames: Vec<u64>,
    pub pieces: Vec<(usize, Vec<u8>)>,
}

/// Counters over a run.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct DefragStats {
    /// Fragments read.
    pub fragments: u64,
    /// Datagrams completed.
    pub reassembled: u64,
    /// Overlaps whose bytes differed (the first copy kept).
    pub conflicts: u64,
    /// Datagrams given up: not complete within the timeout.
    pub timed_out: u64,
    /// Datagrams given up for the bounds (pending datagrams, memory budget).
    pub evicted: u64,
    /// Datagrams given up because a fragment was malformed (misaligned, past 64 KiB, a
    /// second end) or cut by the snaplen.
    pub malformed: u64,
    /// Datagrams still incomplete at the end of the input.
    pub incomplete: u64,
}

impl DefragStats {
    /// Each counter the larger of the two (workers that each read every fragment).
    pub fn most(&mut self, o: &DefragStats) {
        self.fragments = self.fragments.max(o.fragments);
        self.reassembled = self.reassembled.max(o.reassembled);
        self.conflicts = self.conflicts.max(o.conflicts);
        self.timed_out = self.timed_out.max(o.timed_out);
        self.evicted = self.evicted.max(o.evicted);
        self.malformed = self.malformed.max(o.malformed);
        self.incomplete = self.incomplete.max(o.incomplete);
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Key {
    src: IpAddr,
    dst: IpAddr,
    id: u32,
    protocol: u8,
}

struct Pending {
    buf: IpDefragBuf,
    first: Timestamp,
    /// Arrival order of the first fragment (the oldest is given up first).
    order: u64,
    fragments: Vec<FragmentPiece>,
    conflicts: Vec<FragmentConflict>,
    cost: usize,
}

/// One fragment as read from a frame.
struct Fragment<'a> {
    key: Key,
    v6: bool,
    /// Byte offset in the datagram's payload.
    offset: usize,
    /// Where `bytes` start in the IP packet.
    at: usize,
    more: bool,
    bytes: &'a [u8],
    /// The snaplen cut it.
    cut: bool,
}

/// The datagrams being reassembled in a run.
pub struct Defragmenter {
    pending: HashMap<Key, Pending>,
    /// The pending datagrams by arrival of their first fragment (oldest first): giving up
    /// the oldest, or those past the timeout, takes no walk over all of them (a flood of
    /// first fragments costs the same per fragment as one).
    by_arrival: BTreeMap<u64, Key>,
    held: usize,
    /// Bytes held past which the oldest datagrams are given up.
    limit: usize,
    arrivals: u64,
    stats: DefragStats,
    /// Datagrams given up since the last [`Defragmenter::take_unreassembled`].
    given_up: Vec<Unreassembled>,
}

impl Defragmenter {
    /// A defragmenter holding at most `limit` bytes (its share of the memory budget).
    pub fn with_limit(limit: usize) -> Self {
        Defragmenter {
            pending: HashMap::new(),
            by_arrival: BTreeMap::new(),
            held: 0,
            limit,
            arrivals: 0,
            stats: DefragStats::default(),
            given_up: Vec::new(),
        }
    }

    pub fn stats(&self) -> &DefragStats {
        &self.stats
    }

    /// Bytes held for incomplete datagrams (for the memory budget).
    pub fn held_bytes(&self) -> usize {
        self.held
    }

    /// Take a frame: when it is an IP fragment it is added to its datagram, and when that
    /// completes the datagram it is decoded into `d.reassembled`. Other frames cost a match.
    /// Datagrams given up on the way land in `d.unreassembled`.
    pub fn feed(&mut self, frame: u64, ts: Timestamp, data: &[u8], d: &mut Decoded) {
        let net_offset = match &d.net {
            Some(Net::Ipv4(h)) if h.is_fragment() => h.offset,
            Some(Net::Ipv6(h)) if h.fragmented => h.offset,
            _ => return,
        };
        self.take_fragment(frame, ts, data, net_offset, d);
        if !self.given_up.is_empty() {
            d.unreassembled.append(&mut self.given_up);
        }
    }

    fn take_fragment(
        &mut self,
        frame: u64,
        ts: Timestamp,
        data: &[u8],
        net_offset: usize,
        d: &mut Decoded,
    ) {
        self.expire(ts);
        let Some(frag) = data.get(net_offset..).and_then(fragment_of) else {
            return;
        };
        self.stats.fragments += 1;
        if frag.cut {
            if let Some(p) = self.take(&frag.key) {
                self.give_up(p);
            }
            self.stats.malformed += 1;
            return;
        }
        if !self.pending.contains_key(&frag.key) && self.pending.len() >= MAX_PENDING {
            self.give_up_oldest();
        }
        let key = frag.key;
        let order = self.arrivals;
        if !self.pending.contains_key(&key) {
            self.by_arrival.insert(order, key);
        }
        let p = self.pending.entry(key).or_insert_with(|| Pending {
            buf: IpDefragBuf::new(IpNumber(key.protocol), Vec::new(), Vec::new()),
            first: ts,
            order,
            fragments: Vec::new(),
            conflicts: Vec::new(),
            cost: ENTRY_COST,
        });
        self.arrivals += 1;
        let (ok, conflicts) = add_first_wins(p, frame, net_offset, &frag);
        self.stats.conflicts += conflicts;
        let cost = ENTRY_COST + p.buf.data().len();
        self.held = self.held.saturating_sub(p.cost).saturating_add(cost);
        p.cost = cost;
        if !ok {
            if let Some(p) = self.take(&key) {
                self.give_up(p);
            }
            self.stats.malformed += 1;
            return;
        }
        d.fragment_held = true;
        if !p.buf.is_complete() {
            while self.held > self.limit && self.give_up_oldest() {}
            return;
        }
        let Some(p) = self.take(&key) else {
            return;
        };
        self.release(&p);
        self.stats.reassembled += 1;
        let (bytes, _) = p.buf.take_bufs();
        let (transport, payload) = super::link::transport_of(key.protocol, &bytes);
        d.reassembled = Some(Box::new(Reassembled {
            v6: frag.v6,
            protocol: key.protocol,
            base: data.len(),
            transport,
            payload,
            data: bytes,
            fragments: p.fragments,
            conflicts: p.conflicts,
        }));
    }

    /// Give up the datagram whose first fragment came first; false when none is pending.
    pub fn give_up_oldest(&mut self) -> bool {
        let Some(key) = self.by_arrival.values().next().copied() else {
            return false;
        };
        if let Some(p) = self.take(&key) {
            self.give_up(p);
            self.stats.evicted += 1;
        }
        true
    }

    /// End of input: what is still pending is counted as incomplete and given up.
    pub fn finish(&mut self) -> DefragStats {
        self.stats.incomplete += self.pending.len() as u64;
        while let Some(key) = self.by_arrival.values().next().copied() {
            if let Some(p) = self.take(&key) {
                self.give_up(p);
            }
        }
        self.held = 0;
        self.stats.clone()
    }

    /// Remove the datagram of `key` from the pending ones.
    fn take(&mut self, key: &Key) -> Option<Pending> {
        let p = self.pending.remove(key)?;
        self.by_arrival.remove(&p.order);
        Some(p)
    }

    fn release(&mut self, p: &Pending) {
        self.held = self.held.saturating_sub(p.cost);
    }

    /// Forget `p` without a datagram: its bytes go to [`Defragmenter::take_unreassembled`].
    fn give_up(&mut self, p: Pending) {
        self.release(&p);
        self.given_up.push(unreassembled(p));
    }

    /// The datagrams given up since the last call (see [`Unreassembled`]).
    pub fn take_unreassembled(&mut self) -> Vec<Unreassembled> {
        std::mem::take(&mut self.given_up)
    }

    /// Give up the datagrams whose first fragment is older than the timeout at `now`, in
    /// the order they began, up to the first that is not (in a file whose time goes back,
    /// a later one may wait for the next fragment to be given up).
    fn expire(&mut self, now: Timestamp) {
        while let Some(key) = self.by_arrival.values().next().copied() {
            let old = self
                .pending
                .get(&key)
                .is_none_or(|p| now.secs.saturating_sub(p.first.secs) > TIMEOUT_SECS);
            if !old {
                break;
            }
            match self.take(&key) {
                Some(p) => {
                    self.give_up(p);
                    self.stats.timed_out += 1;
                }
                None => {
                    self.by_arrival.pop_first();
                }
            }
        }
    }
}

/// What a given-up datagram held: its ranges, read from the buffer.
fn unreassembled(p: Pending) -> Unreassembled {
    let data = p.buf.data();
    let pieces = p
        .buf
        .sections()
        .iter()
        .filter_map(|s| {
            let r = usize::from(s.start)..usize::from(s.end);
            Some((r.start, data.get(r)?.to_vec()))
        })
        .collect();
    let mut pieces: Vec<(usize, Vec<u8>)> = pieces;
    pieces.sort_by_key(|(at, _)| *at);
    Unreassembled {
        frames: p.fragments.iter().map(|f| f.frame).collect(),
        pieces,
    }
}

/// Add `frag` to `p`, keeping the bytes already held where it overlaps them (first copy
/// wins); returns whether the buffer took it, and how many held ranges it differed from.
/// `net_offset` is where the IP packet starts in its frame.
fn add_first_wins(
    p: &mut Pending,
    frame: u64,
    net_offset: usize,
    frag: &Fragment<'_>,
) -> (bool, u64) {
    let start = frag.offset;
    let end = start.saturating_add(frag.bytes.len());
    let mut merged: Option<Vec<u8>> = None;
    let mut conflicts = 0;
    for s in p.buf.sections() {
        let a = start.max(usize::from(s.start));
        let b = end.min(usize::from(s.end));
        if a >= b {
            continue;
        }
        let (Some(held), Some(new)) =
            (p.buf.data().get(a..b), frag.bytes.get(a - start..b - start))
        else {
            continue;
        };
        if held != new {
            conflicts += 1;
            p.conflicts.push(FragmentConflict {
                frame,
                offset: a,
                copy: new.to_vec(),
            });
        }
        let m = merged.get_or_insert_with(|| frag.bytes.to_vec());
        if let Some(dst) = m.get_mut(a - start..b - start) {
            dst.copy_from_slice(held);
        }
    }
    let Ok(units) = u16::try_from(start / 8) else {
        return (false, conflicts);
    };
    let Ok(offset) = IpFragOffset::try_new(units) else {
        return (false, conflicts);
    };
    if start % 8 != 0 {
        return (false, conflicts);
    }
    let bytes = merged.as_deref().unwrap_or(frag.bytes);
    if p.buf.add(offset, frag.more, bytes).is_err() {
        return (false, conflicts);
    }
    p.fragments.push(FragmentPiece {
        frame,
        data: start..end,
        at: net_offset + frag.at,
    });
    (true, conflicts)
}

/// The fragment an IP packet (from its header on) carries, if it is one.
fn fragment_of(ip: &[u8]) -> Option<Fragment<'_>> {
    let (slice, _) = LaxIpSlice::from_slice(ip).ok()?;
    match &slice {
        LaxIpSlice::Ipv4(v4) => {
            let h = v4.header();
            if !h.is_fragmenting_payload() {
                return None;
            }
            let pl = v4.payload();
            Some(Fragment {
                key: Key {
                    src: IpAddr::V4(h.source_addr()),
                    dst: IpAddr::V4(h.destination_addr()),
                    id: u32::from(h.identification()),
                    protocol: h.protocol().0,
                },
                v6: false,
                offset: usize::from(h.fragments_offset().byte_offset()),
                at: super::link::offset_in(ip, pl.payload),
                more: h.more_fragments(),
                bytes: pl.payload,
                cut: pl.incomplete,
            })
        }
        LaxIpSlice::Ipv6(v6) => {
            let h = v6.header();
            let frag = super::link::ipv6_fragment_header(v6.extensions())?;
            if !frag.is_fragmenting_payload() {
                return None;
            }
            let pl = v6.payload();
            Some(Fragment {
                key: Key {
                    src: IpAddr::V6(h.source_addr()),
                    dst: IpAddr::V6(h.destination_addr()),
                    id: frag.identification(),
                    protocol: pl.ip_number.0,
                },
                v6: true,
                offset: usize::from(frag.fragment_offset().byte_offset()),
                at: super::link::offset_in(ip, pl.payload),
                more: frag.more_fragments(),
                bytes: pl.payload,
                cut: pl.incomplete,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An Ethernet frame with an IPv4 fragment: `payload` at byte `offset` of datagram
    /// `id`, protocol UDP.
    fn v4_fragment(id: u16, offset: usize, more: bool, payload: &[u8]) -> Vec<u8> {
        let mut f = vec![0u8; 12];
        f.extend_from_slice(&[0x08, 0x00]);
        let total = (20 + payload.len()) as u16;
        let flags_frag = (u16::from(more) << 13) | (offset / 8) as u16;
        f.extend_from_slice(&[0x45, 0]);
        f.extend_from_slice(&total.to_be_bytes());
        f.extend_from_slice(&id.to_be_bytes());
        f.extend_from_slice(&flags_frag.to_be_bytes());
        f.extend_from_slice(&[64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2]);
        f.extend_from_slice(payload);
        f
    }

    /// A UDP datagram from port 4000 to 53 carrying `body`.
    fn udp(body: &[u8]) -> Vec<u8> {
        let mut u = Vec::new();
        u.extend_from_slice(&4000u16.to_be_bytes());
        u.extend_from_slice(&53u16.to_be_bytes());
        u.extend_from_slice(&((8 + body.len()) as u16).to_be_bytes());
        u.extend_from_slice(&[0, 0]);
        u.extend_from_slice(body);
        u
    }

    fn feed(df: &mut Defragmenter, frame: u64, secs: i64, bytes: &[u8]) -> Decoded {
        let mut d = crate::decode::decode(1, bytes);
        df.feed(frame, Timestamp::new(secs, 0), bytes, &mut d);
        d
    }

    #[test]
    fn fragments_in_any_order_make_the_datagram_on_the_last_to_arrive() {
        let dgram = udp(b"0123456789abcdef-fluffy tail-");
        let (a, b) = dgram.split_at(16);
        for order in [[0, 1], [1, 0]] {
            let frames = [v4_fragment(7, 0, true, a), v4_fragment(7, 16, false, b)];
            let mut df = Defragmenter::with_limit(1 << 20);
            let first = feed(&mut df, 1, 0, &frames[order[0]]);
            assert!(first.reassembled.is_none() && first.fragment_held);
            assert!(df.held_bytes() > 0);
            let last = feed(&mut df, 2, 0, &frames[order[1]]);
            let r = last.reassembled.expect("datagram");
            assert_eq!(r.data, dgram);
            assert_eq!(r.data.get(r.payload.clone()), Some(&dgram[8..]));
            assert!(matches!(
                r.transport,
                Some(Transport::Udp(ref u)) if u.src_port == 4000 && u.dst_port == 53
            ));
            assert_eq!(r.base, frames[order[1]].len());
            assert_eq!(df.held_bytes(), 0);
            assert_eq!(df.stats().reassembled, 1);
        }
    }

    #[test]
    fn an_overlap_that_differs_keeps_the_first_copy_and_the_other_aside() {
        let dgram = udp(b"AAAAAAAABBBBBBBBCCCCCCCC");
        let mut df = Defragmenter::with_limit(1 << 20);
        feed(&mut df, 1, 0, &v4_fragment(9, 0, true, &dgram[..16]));
        let mut other = dgram[8..24].to_vec();
        other[0..8].copy_from_slice(b"password");
        feed(&mut df, 2, 0, &v4_fragment(9, 8, true, &other));
        let d = feed(&mut df, 3, 0, &v4_fragment(9, 24, false, &dgram[24..]));
        let r = d.reassembled.expect("datagram");
        assert_eq!(r.data, dgram, "the first copy wins");
        assert_eq!(r.conflicts.len(), 1);
        assert_eq!(r.conflicts[0].frame, 2);
        assert_eq!(r.conflicts[0].offset, 8);
        assert_eq!(r.conflicts[0].copy, b"password");
        assert_eq!(df.stats().conflicts, 1);
    }

    #[test]
    fn a_datagram_never_completed_is_given_up_with_its_bytes() {
        let mut df = Defragmenter::with_limit(1 << 20);
        feed(&mut df, 1, 0, &v4_fragment(1, 0, true, b"fluffy t"));
        // Past the timeout, the next fragment gives the old datagram up.
        let d = feed(
            &mut df,
            2,
            TIMEOUT_SECS + 1,
            &v4_fragment(2, 0, true, b"12345678"),
        );
        assert_eq!(d.unreassembled.len(), 1);
        assert_eq!(d.unreassembled[0].frames, vec![1]);
        assert_eq!(d.unreassembled[0].pieces, vec![(0, b"fluffy t".to_vec())]);
        assert_eq!(df.stats().timed_out, 1);
        let end = df.finish();
        assert_eq!(end.incomplete, 1);
        let left = df.take_unreassembled();
        assert_eq!(left.len(), 1);
        assert_eq!(left[0].pieces, vec![(0, b"12345678".to_vec())]);
        assert_eq!(df.held_bytes(), 0);
    }

    #[test]
    fn bounds_give_up_the_oldest_datagram() {
        let mut df = Defragmenter::with_limit(usize::MAX);
        for id in 0..=MAX_PENDING as u16 {
            feed(
                &mut df,
                u64::from(id) + 1,
                0,
                &v4_fragment(id, 0, true, b"12345678"),
            );
        }
        assert_eq!(df.stats().evicted, 1);
        let mut small = Defragmenter::with_limit(ENTRY_COST + 8);
        feed(&mut small, 1, 0, &v4_fragment(1, 0, true, b"12345678"));
        let d = feed(&mut small, 2, 0, &v4_fragment(2, 0, true, b"abcdefgh"));
        assert_eq!(small.stats().evicted, 1);
        assert_eq!(d.unreassembled.len(), 1);
        assert!(small.held_bytes() <= ENTRY_COST + 8);
    }

    #[test]
    fn a_misaligned_or_cut_fragment_gives_its_datagram_up() {
        let mut df = Defragmenter::with_limit(1 << 20);
        feed(&mut df, 1, 0, &v4_fragment(3, 0, true, b"12345678"));
        // A middle fragment whose length is not a multiple of 8.
        let d = feed(&mut df, 2, 0, &v4_fragment(3, 8, true, b"123"));
        assert!(d.reassembled.is_none());
        assert_eq!(df.stats().malformed, 1);
        assert_eq!(d.unreassembled.len(), 1);
        // The snaplen cut this one: its datagram cannot complete.
        let mut cut = v4_fragment(4, 0, true, b"1234567812345678");
        cut.truncate(cut.len() - 4);
        let d = feed(&mut df, 3, 0, &cut);
        assert!(!d.fragment_held);
        assert_eq!(df.stats().malformed, 2);
    }

    #[test]
    fn ipv6_fragments_are_read_through_the_fragment_header() {
        let dgram = udp(b"0123456789abcdef-fluffy tail-");
        let v6 = |offset: usize, more: bool, payload: &[u8]| {
            let mut f = vec![0u8; 12];
            f.extend_from_slice(&[0x86, 0xdd, 0x60, 0, 0, 0]);
            f.extend_from_slice(&((8 + payload.len()) as u16).to_be_bytes());
            f.extend_from_slice(&[44, 64]);
            f.extend_from_slice(&[0x20, 1, 0xd, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
            f.extend_from_slice(&[0x20, 1, 0xd, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2]);
            f.extend_from_slice(&[17, 0]);
            f.extend_from_slice(&((offset as u16) | u16::from(more)).to_be_bytes());
            f.extend_from_slice(&0x1234_5678u32.to_be_bytes());
            f.extend_from_slice(payload);
            f
        };
        let mut df = Defragmenter::with_limit(1 << 20);
        feed(&mut df, 1, 0, &v6(0, true, &dgram[..16]));
        let d = feed(&mut df, 2, 0, &v6(16, false, &dgram[16..]));
        let r = d.reassembled.expect("datagram");
        assert!(r.v6);
        assert_eq!(r.source_name(), "Reassembled IPv6");
        assert_eq!(r.data, dgram);
        let pieces: Vec<_> = r
            .fragments
            .iter()
            .map(|f| (f.frame, f.data.clone(), f.at))
            .collect();
        // Each fragment's bytes follow its Ethernet (14), IPv6 (40) and Fragment (8) headers.
        assert_eq!(pieces, vec![(1, 0..16, 62), (2, 16..dgram.len(), 62)]);
    }
}
