//! One memory budget over every buffer of a run (`--max-total-buffer`, 256 MiB by default).
//!
//! Each stage keeps its own bounded buffers and says how many bytes it holds in each
//! [`Pool`]; the pipeline adds them up after every frame and, past the budget, asks the
//! stages to give bytes back, in this order: HTTP bodies (largest first: the message is
//! emitted at once, so it is searched before its body is dropped), followed-stream bytes
//! (largest first), out-of-order bytes (gaps given up as holes), then whole flows (idlest
//! first: closing a flow flushes its parsers, so TLS records and heads they held are
//! handled as at the end of a stream). Conversation rows past half the budget are
//! counted, not kept. Evictions are counted per pool in [`MemoryStats`] and said in one
//! line at the end of the run.
//!
//! The parsers live behind the dissector interface, one per stream; they report into a
//! shared [`Meter`] (relaxed atomic counters: a total, not a synchronisation point).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// The default budget: 256 MiB.
pub const DEFAULT_BUDGET: usize = 256 << 20;

/// What a budget's bytes are held for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Pool {
    /// Live flows: the flow table, and each stage's per-stream state (an estimate per flow).
    Flows,
    /// Out-of-order TCP bytes waiting for a gap to fill.
    OutOfOrder,
    /// Delivered TCP bytes kept to compare retransmissions with.
    Retransmissions,
    /// Bytes held while a stream's protocol is undecided.
    Undecided,
    /// HTTP heads being read.
    HttpHeads,
    /// HTTP bodies being read (raw), kept for search and display.
    HttpBodies,
    /// TLS records and handshake messages being reassembled.
    TlsHandshakes,
    /// `--follow`: the bytes of followed streams.
    Follow,
    /// `--conversations`: one row per closed stream.
    Conversations,
    /// IP datagrams being put back together from their fragments.
    IpFragments,
}

impl Pool {
    pub const ALL: [Pool; 10] = [
        Pool::Flows,
        Pool::OutOfOrder,
        Pool::Retransmissions,
        Pool::Undecided,
        Pool::HttpHeads,
        Pool::HttpBodies,
        Pool::TlsHandshakes,
        Pool::Follow,
        Pool::Conversations,
        Pool::IpFragments,
    ];

    /// The name in notes, `--stats` and JSON.
    pub fn name(self) -> &'static str {
        match self {
            Pool::Flows => "flows",
            Pool::OutOfOrder => "out_of_order",
            Pool::Retransmissions => "retransmissions",
            Pool::Undecided => "undecided",
            Pool::HttpHeads => "http_heads",
            Pool::HttpBodies => "http_bodies",
            Pool::TlsHandshakes => "tls_handshakes",
            Pool::Follow => "follow",
            Pool::Conversations => "conversations",
            Pool::IpFragments => "ip_fragments",
        }
    }

    pub fn index(self) -> usize {
        self as usize
    }
}

/// Bytes the parsers hold, per pool, shared by every parser of a run.
#[derive(Debug, Clone, Default)]
pub struct Meter(Arc<[AtomicUsize; Pool::ALL.len()]>);

impl Meter {
    /// The holder of `pool` went from `old` to `new` bytes.
    pub fn change(&self, pool: Pool, old: usize, new: usize) {
        let Some(c) = self.0.get(pool.index()) else {
            return;
        };
        if new > old {
            c.fetch_add(new - old, Ordering::Relaxed);
        } else if old > new {
            // Saturating: a counter never wraps below zero.
            let _ = c.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |v| {
                Some(v.saturating_sub(old - new))
            });
        }
    }

    pub fn held(&self, pool: Pool) -> usize {
        self.0
            .get(pool.index())
            .map_or(0, |c| c.load(Ordering::Relaxed))
    }
}

/// What the budget did over a run.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct MemoryStats {
    /// The budget in bytes.
    pub budget: u64,
    /// The most bytes accounted at once (after evictions of the frame).
    pub peak_bytes: u64,
    /// Per pool: evictions, and bytes given back (or, for conversation rows, not kept).
    pub evictions: Vec<PoolEvictions>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct PoolEvictions {
    pub pool: &'static str,
    pub evictions: u64,
    pub bytes: u64,
}

impl MemoryStats {
    pub fn new(budget: usize) -> Self {
        MemoryStats {
            budget: budget as u64,
            ..MemoryStats::default()
        }
    }

    /// Count one eviction of `bytes` in `pool`; true when it is the first of its pool.
    pub fn evicted(&mut self, pool: Pool, bytes: usize) -> bool {
        let name = pool.name();
        if let Some(e) = self.evictions.iter_mut().find(|e| e.pool == name) {
            e.evictions += 1;
            e.bytes = e.bytes.saturating_add(bytes as u64);
            return false;
        }
        self.evictions.push(PoolEvictions {
            pool: name,
            evictions: 1,
            bytes: bytes as u64,
        });
        true
    }

    /// One line for the end of a run when the budget was hit, e.g. `memory budget
    /// (268435456 bytes) hit: http_bodies 3 evictions (25165824 bytes), ...`.
    pub fn line(&self) -> Option<String> {
        if self.evictions.is_empty() {
            return None;
        }
        let parts: Vec<String> = self
            .evictions
            .iter()
            .map(|e| format!("{} {} evictions ({} bytes)", e.pool, e.evictions, e.bytes))
            .collect();
        Some(format!(
            "memory budget ({} bytes, --max-total-buffer) hit: {}",
            self.budget,
            parts.join(", ")
        ))
    }

    /// Add a worker's evictions (`-j`: each worker has a share of the budget); the peak
    /// is the sum of the workers' peaks, a bound on the run's.
    pub fn absorb(&mut self, other: &MemoryStats) {
        self.peak_bytes = self.peak_bytes.saturating_add(other.peak_bytes);
        for e in &other.evictions {
            match self.evictions.iter_mut().find(|x| x.pool == e.pool) {
                Some(x) => {
                    x.evictions += e.evictions;
                    x.bytes = x.bytes.saturating_add(e.bytes);
                }
                None => self.evictions.push(e.clone()),
            }
        }
    }

    /// Evictions over every pool.
    pub fn total_evictions(&self) -> u64 {
        self.evictions.iter().map(|e| e.evictions).sum()
    }
}

/// Released body buffers (raw and decoded HTTP bodies) kept per thread for the next bodies
/// of the run. A large buffer freed and allocated again costs the kernel a page fault per
/// 4 KiB on its first write each time (the allocator gives freed memory back); a kept one
/// costs none. Buffers of [`SPARE_MIN`]..=[`SPARE_MAX`] bytes are kept, at most
/// [`SPARE_TOTAL`] bytes per thread (the largest kept first), and, apart from them, buffers
/// of [`SMALL_MIN`] bytes up to `SPARE_MIN`, at most [`SMALL_TOTAL`] bytes per thread (a
/// decoded body of that size would otherwise be a new zeroed allocation each time); all
/// outside the budget like the allocator's own free lists. A buffer keeps its length: its
/// bytes are initialised, so a caller that needs a zeroed-then-overwritten buffer can skip
/// zeroing them.
pub mod spare {
    use std::cell::RefCell;

    /// Smaller buffers are kept apart, in the small set.
    pub const SPARE_MIN: usize = 64 << 10;
    /// Larger buffers are given back.
    pub const SPARE_MAX: usize = 1 << 20;
    /// Bytes of capacity kept per thread at most.
    pub const SPARE_TOTAL: usize = 4 << 20;
    /// Smaller buffers are left to the allocator (its free lists serve them well).
    pub const SMALL_MIN: usize = 4 << 10;
    /// Bytes of capacity the small set keeps per thread at most.
    pub const SMALL_TOTAL: usize = 512 << 10;

    /// The two sets: capacities `min..=max`, at most `total` bytes of them.
    struct Set {
        min: usize,
        max: usize,
        total: usize,
    }

    const SETS: [Set; 2] = [
        Set {
            min: SPARE_MIN,
            max: SPARE_MAX,
            total: SPARE_TOTAL,
        },
        Set {
            min: SMALL_MIN,
            max: SPARE_MIN - 1,
            total: SMALL_TOTAL,
        },
    ];

    thread_local! {
        static SPARE: RefCell<[Vec<Vec<u8>>; 2]> = const { RefCell::new([Vec::new(), Vec::new()]) };
    }

    /// The kept buffer with the largest capacity in `lo..=hi`, if any; its length and bytes
    /// are those it was given back with.
    pub fn take(lo: usize, hi: usize) -> Option<Vec<u8>> {
        if hi < SMALL_MIN || lo > SPARE_MAX {
            return None;
        }
        SPARE
            .try_with(|s| {
                let mut s = s.try_borrow_mut().ok()?;
                // Every buffer of the first set is larger than any of the second.
                for (set, kept) in SETS.iter().zip(s.iter_mut()) {
                    if hi < set.min || lo > set.max {
                        continue;
                    }
                    let found = kept
                        .iter()
                        .enumerate()
                        .filter(|(_, v)| (lo..=hi).contains(&v.capacity()))
                        .max_by_key(|(_, v)| v.capacity())
                        .map(|(i, _)| i);
                    if let Some(i) = found {
                        return Some(kept.swap_remove(i));
                    }
                }
                None
            })
            .ok()
            .flatten()
    }

    /// Keep `v` for a later [`take`] when its size is worth it and there is room in its set
    /// (the smallest kept buffers make way for a larger one); else it is freed.
    pub fn give(v: Vec<u8>) {
        let Some(at) = SETS
            .iter()
            .position(|set| (set.min..=set.max).contains(&v.capacity()))
        else {
            return;
        };
        let _ = SPARE.try_with(|s| {
            let Ok(mut s) = s.try_borrow_mut() else {
                return;
            };
            let (Some(set), Some(kept)) = (SETS.get(at), s.get_mut(at)) else {
                return;
            };
            kept.push(v);
            let mut held: usize = kept.iter().map(Vec::capacity).sum();
            while held > set.total {
                let Some(i) = kept
                    .iter()
                    .enumerate()
                    .min_by_key(|(_, v)| v.capacity())
                    .map(|(i, _)| i)
                else {
                    break;
                };
                held = held.saturating_sub(kept.swap_remove(i).capacity());
            }
        });
    }

    /// Bytes of capacity kept on this thread.
    pub fn kept() -> usize {
        SPARE
            .try_with(|s| {
                s.try_borrow()
                    .map_or(0, |s| s.iter().flatten().map(Vec::capacity).sum::<usize>())
            })
            .unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spare_buffers_are_bounded_and_taken_by_size() {
        // Too small and too large are not kept.
        spare::give(Vec::with_capacity(spare::SMALL_MIN - 1));
        spare::give(Vec::with_capacity(spare::SPARE_MAX + 1));
        assert_eq!(spare::kept(), 0);
        let mut v = Vec::with_capacity(300_000);
        v.extend_from_slice(&[7u8; 1000]);
        spare::give(v);
        spare::give(Vec::with_capacity(100_000));
        assert_eq!(spare::kept(), 400_000);
        // The largest that fits the range; its bytes kept.
        assert!(spare::take(300_001, 400_000).is_none());
        let got = spare::take(90_000, 300_000).expect("kept buffer");
        assert_eq!(got.capacity(), 300_000);
        assert_eq!(got.len(), 1000);
        assert!(got.iter().all(|&b| b == 7));
        assert_eq!(spare::kept(), 100_000);
        // Never more than SPARE_TOTAL: the smallest make way.
        for _ in 0..8 {
            spare::give(Vec::with_capacity(spare::SPARE_MAX));
        }
        assert!(spare::kept() <= spare::SPARE_TOTAL);
        assert_eq!(spare::kept(), spare::SPARE_TOTAL);
        assert!(spare::take(0, 200_000).is_none());
        // Below SPARE_MIN, the small set: bounded apart, the large set full or not.
        let mut v = Vec::with_capacity(40_000);
        v.extend_from_slice(&[9u8; 500]);
        spare::give(v);
        spare::give(Vec::with_capacity(9_000));
        assert_eq!(spare::kept(), spare::SPARE_TOTAL + 49_000);
        let got = spare::take(5_000, 50_000).expect("kept small buffer");
        assert_eq!((got.capacity(), got.len()), (40_000, 500));
        assert!(got.iter().all(|&b| b == 9));
        // A range over both sets gives the largest, from the large set.
        let got = spare::take(8_000, spare::SPARE_MAX).expect("kept buffer");
        assert_eq!(got.capacity(), spare::SPARE_MAX);
        for _ in 0..200 {
            spare::give(Vec::with_capacity(spare::SPARE_MIN - 1));
        }
        let small = spare::kept() - (spare::SPARE_TOTAL - spare::SPARE_MAX);
        assert!(small <= spare::SMALL_TOTAL, "{small}");
        assert!(small > spare::SMALL_TOTAL - spare::SPARE_MIN, "{small}");
        // The 9,000-byte buffer made way for the larger ones.
        assert!(spare::take(0, 10_000).is_none());
    }

    #[test]
    fn meter_adds_and_gives_back_per_pool() {
        let m = Meter::default();
        let other = m.clone();
        m.change(Pool::HttpBodies, 0, 100);
        other.change(Pool::HttpBodies, 0, 50);
        other.change(Pool::HttpHeads, 0, 7);
        assert_eq!(m.held(Pool::HttpBodies), 150);
        m.change(Pool::HttpBodies, 100, 10);
        assert_eq!(m.held(Pool::HttpBodies), 60);
        // Never below zero.
        m.change(Pool::HttpHeads, 70, 0);
        assert_eq!(m.held(Pool::HttpHeads), 0);
    }

    #[test]
    fn stats_count_evictions_per_pool_and_say_which_is_first() {
        let mut s = MemoryStats::new(1 << 20);
        assert!(s.evicted(Pool::Follow, 10));
        assert!(!s.evicted(Pool::Follow, 5));
        assert!(s.evicted(Pool::Flows, 1));
        assert_eq!(s.total_evictions(), 3);
        assert_eq!(s.evictions[0].bytes, 15);
    }
}
