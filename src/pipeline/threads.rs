//! `-j N`: sessions on N worker threads.
//!
//! Each session belongs to one worker ([`Placement`]: new sessions in turn, in first-packet
//! order, both directions to one worker). Each worker is a whole [`Runner`]: its own flow
//! tables, reassembly, parsers, findings stage and a 1/N share of the bounds
//! (`--max-total-buffer`, `--max-flows`). At the end the workers' reports are merged
//! ([`Report::merge_shards`]). How frames reach the workers:
//!
//! - a regular, uncompressed file ([`replay_file`]): every worker reads the whole file with
//!   its own reader (the calling thread is worker 0), applies the capture filter, numbers and
//!   decodes every frame, computes the same placement (it depends on the frames alone) and
//!   dissects the frames placed on it. Reading and decoding a frame costs far less than
//!   copying it to another thread and waking that thread; nothing is shared but the key
//!   store, and the workers meet only at a pcapng Decryption Secrets Block ([`Rendezvous`]).
//! - any other input (standard input, a pipe, a gzip file, several files merged:
//!   [`replay`]): the calling thread is the reader, and sends each frame, decoded, to its
//!   worker in batches (the frames' bytes copied into one recycled buffer per batch).
//!
//! What is the same for any N, and what is not: the frame numbers (the reader's), the
//! counters of the report and of the `-q` summary (packets, bytes, streams, protocols,
//! findings by severity — a once-per-run finding raised on two workers is kept where the
//! earlier frame raised it). What differs: the order of the report's lists, and the session
//! ids of each worker (numbered from 0 on each), and — only when a bound is reached — which
//! session gives bytes back. So the caller asks for threads only for runs that print the
//! counters alone (`-q` over files, without `--report`, `--json`, `--stats`, …; see
//! `main.rs`), and runs everything else on one thread (a run that prints frames — lines,
//! `-V`, `-x`, `-T fields`, `--json` — with `-j N` given keeps the analysis whole on one
//! thread and prints on another: [`super::offload`]).

use std::hash::{Hash, Hasher};
use std::net::IpAddr;
use std::ops::Range;

use foldhash::HashMap;
use std::sync::atomic::AtomicBool;
use std::sync::mpsc::{channel, sync_channel, Receiver, Sender, SyncSender};

use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};

use super::{
    add_keys, decode_frame, read_frames, reads_tcp_options, Frames, Replay, RunError, RunOptions,
    RunStats, Runner,
};
use crate::capture::{FileSource, RawPacket, Timestamp};
use crate::decode::defrag::Defragmenter;
use crate::decode::{Decoded, Transport};
use crate::dissect::registry::Protocol;
use crate::event::{Event, Sink};
use crate::findings::engine::Report;
use crate::flow::{ConversationSummary, StreamId};

/// A batch is sent when its bytes or its frames reach these (hundreds of frames per
/// hand-over, so a worker wakes up once per batch, not per packet).
const BATCH_BYTES: usize = 64 << 10;
const BATCH_FRAMES: usize = 128;
/// Batches queued for each worker before the reader waits (bounds the memory in flight).
const QUEUED_BATCHES: usize = 2;

/// One frame in a batch: where its bytes are in the batch's buffer, and its decoding.
struct Frame {
    number: u64,
    ts: Timestamp,
    len: u32,
    link: u32,
    interface: u32,
    bytes: Range<usize>,
    decoded: Decoded,
    /// The latest time of the frames sent to other workers since this worker's last frame,
    /// when later than this one's ([`Runner::clock`]).
    clock: Option<Timestamp>,
}

/// Frames for one worker, their captured bytes one after another in `data`.
#[derive(Default)]
struct Batch {
    data: Vec<u8>,
    frames: Vec<Frame>,
}

enum Work {
    Frames(Batch),
    /// The reader's datagrams still incomplete at the end of the input, to be searched.
    Unreassembled(Vec<crate::decode::defrag::Unreassembled>),
    /// Answer once every frame sent before has been dissected.
    Settle(SyncSender<()>),
}

/// A frame read: counted with its time; its number in the run.
fn count_frame(stats: &mut RunStats, pkt: &RawPacket<'_>) -> u64 {
    stats.frames += 1;
    stats.first_ts.get_or_insert(pkt.ts);
    stats.last_ts = Some(pkt.ts);
    stats.frames
}

/// The reader's side: a batch filling for each worker.
struct Reader {
    stats: RunStats,
    to: Vec<SyncSender<Work>>,
    filling: Vec<Batch>,
    /// Batches the workers are done with, to be filled again.
    spare: Receiver<Batch>,
    placement: Placement,
    /// For each worker, the latest time of the frames sent to the others since its last.
    passed: Vec<Option<Timestamp>>,
    /// IP fragments put back together before their datagram is placed.
    defrag: Defragmenter,
}

impl Reader {
    fn send(&mut self, worker: usize) -> Result<(), RunError> {
        let Some(slot) = self.filling.get_mut(worker) else {
            return Ok(());
        };
        if slot.frames.is_empty() {
            return Ok(());
        }
        let fresh = match self.spare.try_recv() {
            Ok(mut b) => {
                b.data.clear();
                b.frames.clear();
                b
            }
            Err(_) => Batch::default(),
        };
        let full = std::mem::replace(slot, fresh);
        match self.to.get(worker) {
            Some(tx) => tx.send(Work::Frames(full)).map_err(|_| RunError::Worker),
            None => Ok(()),
        }
    }

    fn send_all(&mut self) -> Result<(), RunError> {
        (0..self.to.len()).try_for_each(|w| self.send(w))
    }
}

impl Frames for Reader {
    fn stats(&mut self) -> &mut RunStats {
        &mut self.stats
    }

    fn frame<S: Sink + ?Sized>(
        &mut self,
        pkt: &RawPacket<'_>,
        _: &mut S,
    ) -> Result<bool, RunError> {
        let number = count_frame(&mut self.stats, pkt);
        let mut decoded = decode_frame(pkt, true);
        self.defrag.feed(number, pkt.ts, pkt.data, &mut decoded);
        let worker = self.placement.worker(&decoded);
        let clock = self
            .passed
            .get_mut(worker)
            .and_then(Option::take)
            .filter(|&t| t > pkt.ts);
        for (w, p) in self.passed.iter_mut().enumerate() {
            if w != worker {
                *p = (*p).max(Some(pkt.ts));
            }
        }
        let Some(batch) = self.filling.get_mut(worker) else {
            return Ok(true);
        };
        let start = batch.data.len();
        batch.data.extend_from_slice(pkt.data);
        batch.frames.push(Frame {
            number,
            ts: pkt.ts,
            len: pkt.len,
            link: pkt.link,
            interface: pkt.interface,
            bytes: start..batch.data.len(),
            decoded,
            clock,
        });
        if batch.data.len() >= BATCH_BYTES || batch.frames.len() >= BATCH_FRAMES {
            self.send(worker)?;
        }
        Ok(true)
    }

    fn holds(&self) -> bool {
        self.filling.iter().any(|b| !b.frames.is_empty())
    }

    fn hand_on(&mut self) -> Result<(), RunError> {
        self.send_all()
    }

    fn settle(&mut self) -> Result<(), RunError> {
        self.send_all()?;
        let (ack, acks) = sync_channel(self.to.len());
        for tx in &self.to {
            tx.send(Work::Settle(ack.clone()))
                .map_err(|_| RunError::Worker)?;
        }
        for _ in 0..self.to.len() {
            acks.recv().map_err(|_| RunError::Worker)?;
        }
        Ok(())
    }
}

/// Sessions (canonical 5-tuples) remembered with their worker; past it, new sessions go by
/// a hash of the tuple (a tuple once placed keeps its worker for the whole run).
const MAX_PLACED: usize = 1 << 16;

/// Both directions of a session in one order: (TCP?, lower endpoint, higher endpoint).
type SessionKey = (bool, (IpAddr, u16), (IpAddr, u16));

/// Which worker owns each session. New sessions go to the workers in turn (round robin in
/// first-packet order), so sessions opened together — a benchmark's few large keep-alive
/// connections — land on different workers, where a hash of the tuple puts two of them on
/// one worker every other run; the choice depends on the input alone, never on timing.
/// Frames of no session (ARP, ICMP) go by their addresses, or to worker 0.
struct Placement {
    workers: usize,
    /// IPv4 sessions, by [`v4_key`] (one integer: hashed and compared at every frame).
    placed: HashMap<u128, usize>,
    /// Sessions over IPv6.
    placed_v6: HashMap<SessionKey, usize>,
    next: usize,
    /// The IPv4 session placed last and its worker (a session's frames come in runs, so
    /// most frames are placed without a look-up); [`NO_KEY`] before the first.
    last: (u128, usize),
}

/// No [`v4_key`] is this (its bits past the protocol bit are always clear).
const NO_KEY: u128 = u128::MAX;

/// An IPv4 session (its endpoints in canonical order) as one integer: the protocol bit,
/// then the lower endpoint's address and port, then the higher's.
fn v4_key(tcp: bool, lo: (u32, u16), hi: (u32, u16)) -> u128 {
    (u128::from(tcp) << 96)
        | (u128::from(lo.0) << 64)
        | (u128::from(lo.1) << 48)
        | (u128::from(hi.0) << 16)
        | u128::from(hi.1)
}

impl Placement {
    fn new(workers: usize) -> Self {
        Placement {
            workers: workers.max(1),
            placed: HashMap::default(),
            placed_v6: HashMap::default(),
            next: 0,
            last: (NO_KEY, 0),
        }
    }

    /// Sessions placed so far.
    fn len(&self) -> usize {
        self.placed.len() + self.placed_v6.len()
    }

    /// The next worker in turn for a new session, or `None` past [`MAX_PLACED`].
    fn turn(&mut self) -> Option<usize> {
        if self.len() >= MAX_PLACED {
            return None;
        }
        let w = self.next;
        self.next = (self.next + 1) % self.workers;
        Some(w)
    }

    fn worker(&mut self, d: &Decoded) -> usize {
        let n = self.workers;
        if n == 1 {
            return 0;
        }
        let Some((a, b)) = d.addrs() else {
            return 0;
        };
        let Some((pa, pb)) = d.ports() else {
            return hashed(&(a.min(b), a.max(b)), n);
        };
        let tcp = matches!(d.session_transport(), Some(Transport::Tcp(_)));
        self.place(tcp, (a, pa), (b, pb))
    }

    /// The worker of the session of TCP (or UDP) between endpoints `a` and `b`, either way.
    fn place(&mut self, tcp: bool, a: (IpAddr, u16), b: (IpAddr, u16)) -> usize {
        if let ((IpAddr::V4(x), xp), (IpAddr::V4(y), yp)) = (a, b) {
            return self.place_v4((tcp, (u32::from(x), xp), (u32::from(y), yp)));
        }
        let n = self.workers;
        if n == 1 {
            return 0;
        }
        let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
        let key = (tcp, lo, hi);
        if let Some(&w) = self.placed_v6.get(&key) {
            return w;
        }
        let Some(w) = self.turn() else {
            return hashed(&key, n);
        };
        self.placed_v6.insert(key, w);
        w
    }

    /// [`Placement::place`] for a session over IPv4, its endpoints as integers.
    fn place_v4(&mut self, (tcp, x, y): V4Session) -> usize {
        let n = self.workers;
        if n == 1 {
            return 0;
        }
        // Ordered as their addresses and ports order.
        let key = v4_key(tcp, x.min(y), x.max(y));
        if self.last.0 == key {
            return self.last.1;
        }
        let w = match self.placed.get(&key) {
            Some(&w) => w,
            None => {
                let Some(w) = self.turn() else {
                    let (lo, hi) = (v4_endpoint(x.min(y)), v4_endpoint(x.max(y)));
                    return hashed(&(tcp, lo, hi), n);
                };
                self.placed.insert(key, w);
                w
            }
        };
        self.last = (key, w);
        w
    }
}

/// TCP?, and the two endpoints of a session over IPv4 (address as an integer, port).
type V4Session = (bool, (u32, u16), (u32, u16));

/// An IPv4 endpoint given as integers, as the [`SessionKey`] holds it.
fn v4_endpoint((addr, port): (u32, u16)) -> (IpAddr, u16) {
    (IpAddr::from(addr.to_be_bytes()), port)
}

/// TCP or UDP and the two endpoints of a plain frame — Ethernet II and IPv4 as the decoder's
/// plain-frame path takes them ([`crate::decode::plain_ipv4`]), with a whole TCP or UDP
/// header (etherparse's `TcpHeaderSlice`, `UdpHeaderSlice`); `None` for any other frame. For
/// such a frame the full decoding gives the same protocol, addresses and ports, so a worker
/// places it without decoding it (and decodes only the frames that are its own). Every
/// worker places with this same function, so they agree on every frame.
fn quick_session(pkt: &RawPacket<'_>) -> Option<V4Session> {
    use etherparse::{IpNumber, TcpHeaderSlice, UdpHeaderSlice};
    if pkt.link != crate::capture::linktype::ETHERNET {
        return None;
    }
    let plain = crate::decode::plain_ipv4(pkt.data)?;
    let (h, t) = (plain.ip, plain.payload);
    let (tcp, ports) = match h.protocol() {
        IpNumber::TCP => {
            let th = TcpHeaderSlice::from_slice(t).ok()?;
            (true, (th.source_port(), th.destination_port()))
        }
        IpNumber::UDP => {
            let uh = UdpHeaderSlice::from_slice(t).ok()?;
            (false, (uh.source_port(), uh.destination_port()))
        }
        _ => return None,
    };
    let src = u32::from_be_bytes(h.source());
    let dst = u32::from_be_bytes(h.destination());
    Some((tcp, (src, ports.0), (dst, ports.1)))
}

/// A hash with fixed keys: the same worker every run.
fn hashed<T: Hash>(key: &T, n: usize) -> usize {
    let mut h = std::hash::DefaultHasher::new();
    key.hash(&mut h);
    (h.finish() % n as u64) as usize
}

/// A sink that keeps nothing: a worker's frames print nothing (the runs that use workers
/// print only end-of-run counters).
struct Discard;

impl Sink for Discard {
    fn event(&mut self, _: Event<'_>) -> std::io::Result<()> {
        Ok(())
    }
    fn reads_tcp_options(&self) -> bool {
        false
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// One worker: a runner over the frames it is sent.
fn work(
    opts: &RunOptions,
    name: &str,
    jobs: Receiver<Work>,
    spare: Sender<Batch>,
) -> Result<RunStats, RunError> {
    let mut runner = Runner::new(opts, false);
    runner.analyzer.record_once();
    for job in jobs {
        match job {
            Work::Frames(batch) => {
                for f in &batch.frames {
                    let pkt = RawPacket {
                        ts: f.ts,
                        len: f.len,
                        link: f.link,
                        interface: f.interface,
                        data: batch.data.get(f.bytes.clone()).unwrap_or_default(),
                    };
                    runner.clock = f.clock;
                    runner.decoded_packet(&pkt, &f.decoded, f.number, None, &mut Discard)?;
                }
                // The batch goes back whole: the reader, which allocated the decodings, frees
                // them (a free on another thread than the malloc costs more). The reader may be
                // gone (it stopped on an error); the batch is then dropped here.
                let _ = spare.send(batch);
            }
            Work::Settle(ack) => {
                let _ = ack.send(());
            }
            Work::Unreassembled(given_up) => {
                super::search_unreassembled(&mut runner.analyzer, &given_up);
            }
        }
    }
    runner.finish(name, &mut Discard)
}

/// Workers that each read the whole file ([`replay_file`]) meet here at a pcapng Decryption
/// Secrets Block: once all have dissected every frame before it, the last to arrive adds the
/// keys, and all go on. A worker that stops (end of input, error, panic) leaves, so that
/// the others never wait for it.
struct Rendezvous {
    state: Mutex<Meeting>,
    met: Condvar,
}

struct Meeting {
    /// Workers still reading.
    live: usize,
    /// Workers waiting at the current meeting.
    arrived: usize,
    /// Meetings held so far.
    held: u64,
}

impl Rendezvous {
    fn new(workers: usize) -> Self {
        Rendezvous {
            state: Mutex::new(Meeting {
                live: workers,
                arrived: 0,
                held: 0,
            }),
            met: Condvar::new(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Meeting> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Wait until every live worker is here; the last one runs `last` (every worker found
    /// the same keys in its copy of the file, so any of them may add them).
    fn meet(&self, last: impl FnOnce()) {
        let mut m = self.lock();
        m.arrived += 1;
        let this = m.held;
        loop {
            if m.held != this {
                return;
            }
            if m.arrived >= m.live {
                last();
                m.arrived = 0;
                m.held += 1;
                self.met.notify_all();
                return;
            }
            m = self.met.wait(m).unwrap_or_else(PoisonError::into_inner);
        }
    }

    fn leave(&self) {
        let mut m = self.lock();
        m.live = m.live.saturating_sub(1);
        self.met.notify_all();
    }
}

/// Leaves the meetings when dropped (also when its worker panics).
struct Member<'a>(&'a Rendezvous);

impl Drop for Member<'_> {
    fn drop(&mut self) {
        self.0.leave();
    }
}

/// One worker of [`replay_file`]: it reads every frame and decodes it to place it, and
/// dissects the frames of its own sessions.
struct Own<'o> {
    runner: Runner<'o>,
    /// What a reader counts: frames, reads, input errors, first and last times.
    stats: RunStats,
    placement: Placement,
    me: usize,
    meeting: &'o Rendezvous,
    /// The latest time of the frames passed over since this worker's last frame.
    passed: Option<Timestamp>,
}

impl Own<'_> {
    /// A frame another worker owns: its time still moves this worker's clock.
    fn pass(&mut self, pkt: &RawPacket<'_>) -> Result<bool, RunError> {
        self.passed = self.passed.max(Some(pkt.ts));
        Ok(true)
    }
}

impl Frames for Own<'_> {
    fn stats(&mut self) -> &mut RunStats {
        &mut self.stats
    }

    fn frame<S: Sink + ?Sized>(
        &mut self,
        pkt: &RawPacket<'_>,
        _: &mut S,
    ) -> Result<bool, RunError> {
        let number = count_frame(&mut self.stats, pkt);
        // A plain frame is placed from its bytes and decoded only by its worker.
        let decoded = match quick_session(pkt) {
            Some(session) if self.placement.place_v4(session) != self.me => return self.pass(pkt),
            Some(_) => decode_frame(pkt, self.runner.tcp_options),
            None => {
                // Every worker reads every fragment (they carry no ports to place them by):
                // the datagram a fragment completes is placed by its own ports.
                let mut d = decode_frame(pkt, self.runner.tcp_options);
                self.runner.defrag.feed(number, pkt.ts, pkt.data, &mut d);
                if self.placement.worker(&d) != self.me {
                    return self.pass(pkt);
                }
                d
            }
        };
        // Sessions one thread would have expired at the frames passed over (a time later
        // than this frame's: the file's time went back) expire before this frame.
        self.runner.clock = self.passed.take().filter(|&t| t > pkt.ts);
        self.runner
            .decoded_packet(pkt, &decoded, number, None, &mut Discard)?;
        Ok(true)
    }

    fn add_keys(&mut self, keys: Vec<Vec<u8>>, opts: &RunOptions) -> Result<(), RunError> {
        self.meeting.meet(|| add_keys(keys, opts));
        Ok(())
    }
}

/// Worker `me` of [`replay_file`] over its own reader of the file: the reader's statistics
/// and the runner's.
fn read_own(
    src: &mut FileSource,
    me: usize,
    n: usize,
    ropts: &RunOptions,
    wopts: &RunOptions,
    meeting: &Rendezvous,
    stop: &AtomicBool,
) -> (Result<RunStats, RunError>, Result<RunStats, RunError>) {
    let member = Member(meeting);
    let mut runner = Runner::new(wopts, false);
    runner.tcp_options = reads_tcp_options(wopts, &Discard);
    runner.analyzer.record_once();
    // Every worker holds the same fragments: one searches what is left of them at the end.
    runner.search_unreassembled_at_end = me == 0;
    let mut own = Own {
        runner,
        stats: RunStats::default(),
        placement: Placement::new(n),
        me,
        meeting,
        passed: None,
    };
    let read = read_frames(src, ropts, &mut own, &mut Discard, stop);
    drop(member);
    let Own {
        runner, mut stats, ..
    } = own;
    let part = runner.finish(&Replay::name(src), &mut Discard);
    stats.memory = crate::memory::MemoryStats::new(budget_of(ropts));
    (read.map(|()| stats), part)
}

/// Replay one file with `opts.threads` workers that each read the whole file (from the page
/// cache, each with its own reader: no frame is copied or handed between threads) and
/// dissect the frames of the sessions placed on them. The placement depends on the frames
/// alone, so every worker computes the same one. Input that cannot be read twice cheaply
/// (standard input, a pipe, a gzip file) goes through [`replay`]: one reader, frames handed
/// to the workers in batches.
pub(super) fn replay_file<S: Sink + ?Sized>(
    f: &mut FileSource,
    opts: &RunOptions,
    printer: &mut S,
    stop: &AtomicBool,
) -> Result<RunStats, RunError> {
    let n = opts.threads.max(1);
    // Every reader is opened before privileges are given up (as the first one was).
    let mut others = Vec::with_capacity(n.saturating_sub(1));
    for _ in 1..n {
        match f.reopen() {
            Some(src) => others.push(src),
            None => return replay(f, opts, printer, stop),
        }
    }
    // Given up once, before any worker starts (capabilities are per thread).
    if let Some(plan) = &opts.privdrop {
        crate::capture::privdrop::apply(plan)?;
    }
    let wopts = worker_options(opts, n);
    let mut ropts = opts.clone();
    ropts.privdrop = None;
    let mut quiet = ropts.clone();
    quiet.progress = false;
    let meeting = Rendezvous::new(n);
    let name = f.name();
    let (first, rest) = std::thread::scope(|scope| {
        let handles: Vec<_> = others
            .iter_mut()
            .enumerate()
            .map(|(i, src)| {
                let (quiet, wopts, meeting) = (&quiet, &wopts, &meeting);
                scope.spawn(move || read_own(src, i + 1, n, quiet, wopts, meeting, stop))
            })
            .collect();
        // The calling thread is worker 0 (and shows the progress, if any).
        let first = read_own(f, 0, n, &ropts, &wopts, &meeting, stop);
        let rest: Vec<_> = handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or((Err(RunError::Worker), Err(RunError::Worker)))
            })
            .collect();
        (first, rest)
    });
    let (read, part) = first;
    let mut stats = read?;
    let mut parts = vec![part?];
    for (read, part) in rest {
        // Every worker read the same frames: the first one's counts are the run's. A
        // worker stopped by Ctrl-C may have stopped elsewhere.
        stats.interrupted |= read?.interrupted;
        parts.push(part?);
    }
    merge(&mut stats, parts, &name);
    printer.flush()?;
    Ok(stats)
}

/// Each worker's share of the run's bounds.
fn worker_options(opts: &RunOptions, n: usize) -> RunOptions {
    let mut w = opts.clone();
    w.memory_budget = (budget_of(opts) / n).max(1);
    w.flow.max_flows = (opts.flow.max_flows / n).max(1);
    w.flow.max_buffered_total = (opts.flow.max_buffered_total / n).max(1);
    w.progress = false;
    w.write = None;
    w.save = None;
    w.privdrop = None;
    w.threads = 1;
    w
}

/// Replay `f` with `opts.threads` workers.
pub(super) fn replay<R: Replay, S: Sink + ?Sized>(
    f: &mut R,
    opts: &RunOptions,
    printer: &mut S,
    stop: &AtomicBool,
) -> Result<RunStats, RunError> {
    let name = f.name();
    let ropts = privileges_given_up(opts)?;
    sharded(&ropts, printer, &name, |reader, printer| {
        read_frames(f, &ropts, reader, printer, stop)
    })
}

/// `-j` over a live capture: the thread that takes the packets from the capture thread's
/// queue is the reader ([`super::capture_live`]). Its partial batches are handed on when
/// the capture goes quiet or within [`super::LIVE_HOLD`] (see [`Frames::hand_on`]), and
/// all of them when the capture ends (also on Ctrl-C: the frames it took from the queue
/// are analysed; those left in the queue are counted as not analysed, as with one thread).
pub(super) fn live<S: Sink + ?Sized>(
    l: &mut crate::capture::live::LiveSource,
    opts: &RunOptions,
    printer: &mut S,
    stop: &AtomicBool,
) -> Result<RunStats, RunError> {
    let name = format!("live capture on {}", l.name());
    // The -w file is opened after it (by `capture_live`, as with one thread).
    let ropts = privileges_given_up(opts)?;
    sharded(&ropts, printer, &name, |reader, printer| {
        super::capture_live(l, &ropts, reader, printer, stop)
    })
}

/// Give up root as `opts.privdrop` says, before any worker starts (capabilities are per
/// thread), and the options to go on with: the same, with nothing left to give up.
fn privileges_given_up(opts: &RunOptions) -> Result<RunOptions, RunError> {
    let mut ropts = opts.clone();
    if let Some(plan) = ropts.privdrop.take() {
        crate::capture::privdrop::apply(&plan)?;
    }
    Ok(ropts)
}

/// Start `opts.threads` workers, let `read` hand them frames through a [`Reader`], and
/// merge what they found once `read` returns (its partial batches are sent first).
fn sharded<S: Sink + ?Sized>(
    opts: &RunOptions,
    printer: &mut S,
    name: &str,
    read: impl FnOnce(&mut Reader, &mut S) -> Result<(), RunError>,
) -> Result<RunStats, RunError> {
    let n = opts.threads.max(1);
    let wopts = worker_options(opts, n);
    let (stats, parts) = std::thread::scope(|scope| {
        let (spare_tx, spare_rx) = channel();
        let mut to = Vec::with_capacity(n);
        let mut handles = Vec::with_capacity(n);
        for _ in 0..n {
            let (tx, rx) = sync_channel(QUEUED_BATCHES);
            let spare = spare_tx.clone();
            let wopts = &wopts;
            handles.push(scope.spawn(move || work(wopts, name, rx, spare)));
            to.push(tx);
        }
        drop(spare_tx);
        let mut reader = Reader {
            stats: RunStats {
                memory: crate::memory::MemoryStats::new(budget_of(opts)),
                ..RunStats::default()
            },
            to,
            filling: (0..n).map(|_| Batch::default()).collect(),
            spare: spare_rx,
            placement: Placement::new(n),
            passed: vec![None; n],
            defrag: Defragmenter::with_limit(budget_of(opts) / 4),
        };
        let read = read(&mut reader, printer).and_then(|()| reader.send_all());
        reader.stats.defrag = reader.defrag.finish();
        let given_up = reader.defrag.take_unreassembled();
        if let (false, Some(tx)) = (given_up.is_empty(), reader.to.first()) {
            let _ = tx.send(Work::Unreassembled(given_up));
        }
        // Closing the queues ends the workers.
        reader.to.clear();
        let parts: Vec<Result<RunStats, RunError>> = handles
            .into_iter()
            .map(|h| h.join().unwrap_or(Err(RunError::Worker)))
            .collect();
        (read.map(|()| reader.stats), parts)
    });
    let mut stats = stats?;
    let parts = parts.into_iter().collect::<Result<Vec<_>, _>>()?;
    merge(&mut stats, parts, name);
    printer.flush()?;
    Ok(stats)
}

fn budget_of(opts: &RunOptions) -> usize {
    if opts.memory_budget == 0 {
        crate::memory::DEFAULT_BUDGET
    } else {
        opts.memory_budget
    }
}

/// The workers' statistics into the reader's (which counted frames, reads, input errors and
/// the first and last times).
fn merge(stats: &mut RunStats, parts: Vec<RunStats>, name: &str) {
    let mut reports = Vec::with_capacity(parts.len());
    for p in parts {
        stats.displayed += p.displayed;
        let f = &mut stats.flow;
        let g = &p.flow;
        f.streams += g.streams;
        f.segments += g.segments;
        f.retransmissions += g.retransmissions;
        f.out_of_order += g.out_of_order;
        f.holes += g.holes;
        f.hole_bytes += g.hole_bytes;
        f.overlap_conflicts += g.overlap_conflicts;
        f.evicted_flows += g.evicted_flows;
        f.bound_hits += g.bound_hits;
        // The workers' peaks need not coincide: their sum bounds the run's peak.
        f.peak_buffered_bytes += g.peak_buffered_bytes;
        f.peak_live_flows += g.peak_live_flows;
        stats.memory.absorb(&p.memory);
        // Fragments are read by every worker of a file (or by the reader alone): each
        // counted the run's datagrams, not a share.
        stats.defrag.most(&p.defrag);
        stats.parse_work.add(p.parse_work);
        stats.earlier_highlights.extend(p.earlier_highlights);
        crate::render::add_mask_terms(&mut stats.mask_terms, p.mask_terms);
        if let Some(h) = p.hierarchy {
            match &mut stats.hierarchy {
                Some(mine) => mine.merge(h),
                None => stats.hierarchy = Some(h),
            }
        }
        stats.conversations.extend(p.conversations);
        stats.conversations_dropped += p.conversations_dropped;
        reports.push(p.report);
    }
    renumber_streams(&mut stats.conversations);
    let mut report = Report::merge_shards(reports);
    report.source = crate::present::escape::escape_str(name);
    report.first_time = stats.first_ts.map(crate::present::time::rfc3339);
    report.last_time = stats.last_ts.map(crate::present::time::rfc3339);
    stats.report = report;
}

/// The workers' conversation rows numbered as one thread numbers its TCP streams: in the
/// order they opened, over all workers (a worker numbers only the streams it was given).
/// Every stream of a run closes once and gives one row, opened at a frame of its own, so
/// the rank of its first frame is its number — unless the memory budget left rows out
/// (`conversations_dropped`), when numbers past the first missing row differ from one
/// thread's (documented with the bounds in docs/performance.md).
fn renumber_streams(rows: &mut [(ConversationSummary, Option<&'static Protocol>)]) {
    rows.sort_by_key(|(s, _)| s.first_frame);
    for (n, (s, _)) in rows.iter_mut().enumerate() {
        s.stream = n as StreamId;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tcp_bytes(a: [u8; 4], pa: u16, b: [u8; 4], pb: u16) -> Vec<u8> {
        let mut f = vec![0u8; 12];
        f.extend_from_slice(&[0x08, 0x00, 0x45, 0, 0, 40, 0, 0, 0x40, 0, 64, 6, 0, 0]);
        f.extend_from_slice(&a);
        f.extend_from_slice(&b);
        f.extend_from_slice(&pa.to_be_bytes());
        f.extend_from_slice(&pb.to_be_bytes());
        f.extend_from_slice(&[0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x02, 0xff, 0xff, 0, 0, 0, 0]);
        f
    }

    fn tcp_frame(a: [u8; 4], pa: u16, b: [u8; 4], pb: u16) -> Decoded {
        crate::decode::decode(1, &tcp_bytes(a, pa, b, pb))
    }

    fn raw(data: &[u8]) -> RawPacket<'_> {
        RawPacket {
            ts: Timestamp::default(),
            len: data.len() as u32,
            link: 1,
            interface: 0,
            data,
        }
    }

    /// `quick_session`'s answer with its endpoints as addresses.
    fn quick(pkt: &RawPacket<'_>) -> Option<SessionKey> {
        quick_session(pkt).map(|(tcp, a, b)| (tcp, v4_endpoint(a), v4_endpoint(b)))
    }

    /// The full decoding's session of a frame, as `quick_session` gives it.
    fn decoded_session(data: &[u8]) -> Option<SessionKey> {
        let d = decode_frame(&raw(data), true);
        let (a, b) = d.addrs()?;
        let (pa, pb) = d.ports()?;
        Some((d.tcp().is_some(), (a, pa), (b, pb)))
    }

    #[test]
    fn a_plain_frame_is_placed_from_its_bytes_as_its_decoding_would_place_it() {
        let tcp = tcp_bytes([10, 0, 0, 1], 40000, [192, 168, 1, 2], 443);
        let q = quick(&raw(&tcp));
        assert_eq!(
            q,
            Some((
                true,
                (IpAddr::from([10, 0, 0, 1]), 40000),
                (IpAddr::from([192, 168, 1, 2]), 443)
            ))
        );
        assert_eq!(q, decoded_session(&tcp));
        // UDP: protocol 17, an 8-byte header and 4 bytes of payload.
        let mut udp = tcp.clone();
        udp.truncate(34);
        udp[17] = 32;
        udp[23] = 17;
        udp.extend_from_slice(&[0x00, 0x35, 0xc0, 0x01, 0, 12, 0, 0, 1, 2, 3, 4]);
        let q = quick(&raw(&udp));
        assert_eq!(q.map(|(t, a, b)| (t, a.1, b.1)), Some((false, 53, 0xc001)));
        assert_eq!(q, decoded_session(&udp));
        // Anything else is left to the full decoding: a fragment, a TCP header cut short, an
        // IP length past the captured bytes, VLAN-tagged or another link type.
        let mut fragment = tcp.clone();
        fragment[20] = 0x20;
        assert_eq!(quick(&raw(&fragment)), None);
        let cut = tcp.get(..tcp.len() - 4).unwrap();
        assert_eq!(quick(&raw(cut)), None);
        let mut long = tcp.clone();
        long[17] = 41;
        assert_eq!(quick(&raw(&long)), None);
        let mut vlan = tcp.clone();
        vlan.splice(12..12, [0x81, 0x00, 0x00, 0x05]);
        assert_eq!(quick(&raw(&vlan)), None);
        assert!(decoded_session(&vlan).is_some());
        let mut other = raw(&tcp);
        other.link = 101;
        assert_eq!(quick(&other), None);
    }

    #[test]
    fn a_quick_session_is_always_the_decodings_session() {
        // Every byte of a TCP and a UDP frame set to a few values, and every cut: wherever
        // the header slices place a frame, the full decoding gives the same session.
        let tcp = tcp_bytes([10, 0, 0, 1], 40000, [192, 168, 1, 2], 443);
        let mut udp = tcp.clone();
        udp.truncate(34);
        udp[17] = 32;
        udp[23] = 17;
        udp.extend_from_slice(&[0x00, 0x35, 0xc0, 0x01, 0, 12, 0, 0, 1, 2, 3, 4]);
        let (mut placed, mut left) = (0, 0);
        for base in [&tcp, &udp] {
            let mut frames: Vec<Vec<u8>> = (0..=base.len())
                .map(|n| base.get(..n).unwrap_or_default().to_vec())
                .collect();
            for i in 0..base.len() {
                for v in [0x00, 0x01, 0x06, 0x11, 0x20, 0x45, 0x4f, 0x50, 0x80, 0xff] {
                    let mut m = base.clone();
                    m[i] = v;
                    frames.push(m);
                }
            }
            for f in &frames {
                match quick(&raw(f)) {
                    Some(q) => {
                        placed += 1;
                        assert_eq!(Some(q), decoded_session(f), "frame {f:02x?}");
                    }
                    None => left += 1,
                }
            }
        }
        assert!(placed > 500 && left > 100, "placed {placed}, left {left}");
    }

    #[test]
    fn both_directions_of_a_session_go_to_one_worker_and_new_sessions_take_turns() {
        let mut p = Placement::new(4);
        let mut counts = [0u32; 4];
        for port in 1000..3000u16 {
            let there = tcp_frame([10, 0, 0, 1], port, [10, 0, 0, 2], 80);
            assert!(there.tcp().is_some());
            let w = p.worker(&there);
            counts[w] += 1;
            // Sessions opened together go to different workers.
            assert_eq!(w, usize::from(port - 1000) % 4);
        }
        assert_eq!(counts, [500; 4]);
        for port in (1000..3000u16).rev() {
            let back = tcp_frame([10, 0, 0, 2], 80, [10, 0, 0, 1], port);
            assert_eq!(p.worker(&back), usize::from(port - 1000) % 4);
        }
        let mut one = Placement::new(1);
        assert_eq!(one.worker(&tcp_frame([1, 1, 1, 1], 1, [2, 2, 2, 2], 2)), 0);
    }

    #[test]
    fn a_run_of_one_sessions_frames_keeps_its_worker_and_takes_no_turn() {
        let mut p = Placement::new(3);
        let a = tcp_frame([10, 0, 0, 1], 1000, [10, 0, 0, 2], 80);
        let a_back = tcp_frame([10, 0, 0, 2], 80, [10, 0, 0, 1], 1000);
        let b = tcp_frame([10, 0, 0, 1], 1001, [10, 0, 0, 2], 80);
        let c = tcp_frame([10, 0, 0, 1], 1002, [10, 0, 0, 2], 80);
        // A run of A's frames, either way, is one session: one turn.
        let seen: Vec<usize> = [&a, &a, &a_back, &a, &b, &b, &a_back, &c, &a, &c]
            .iter()
            .map(|d| p.worker(d))
            .collect();
        assert_eq!(seen, vec![0, 0, 0, 0, 1, 1, 0, 2, 0, 2]);
        assert_eq!(p.len(), 3);
    }

    #[test]
    fn a_meeting_runs_once_when_every_live_worker_is_there_and_leavers_are_not_awaited() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        let meeting = Rendezvous::new(3);
        let ran = AtomicUsize::new(0);
        // What each worker saw of `ran` when it left each meeting.
        let seen: Vec<Vec<usize>> = std::thread::scope(|s| {
            let hs: Vec<_> = (0..3)
                .map(|w| {
                    let (meeting, ran) = (&meeting, &ran);
                    s.spawn(move || {
                        let _member = Member(meeting);
                        let mut seen = Vec::new();
                        // Worker 2 stops after the first meeting; the others meet twice more.
                        let meetings = if w == 2 { 1 } else { 3 };
                        for _ in 0..meetings {
                            meeting.meet(|| {
                                ran.fetch_add(1, Ordering::SeqCst);
                            });
                            seen.push(ran.load(Ordering::SeqCst));
                        }
                        seen
                    })
                })
                .collect();
            hs.into_iter().map(|h| h.join().unwrap()).collect()
        });
        assert_eq!(ran.load(Ordering::SeqCst), 3);
        // Nobody leaves a meeting before its keys were added, nor sees the next one's early.
        assert_eq!(seen[0], vec![1, 2, 3]);
        assert_eq!(seen[1], vec![1, 2, 3]);
        assert_eq!(seen[2], vec![1]);
    }

    #[test]
    fn past_the_bound_new_sessions_go_by_hash_and_placed_ones_stay() {
        let mut p = Placement::new(3);
        let first = tcp_frame([10, 0, 0, 9], 9, [10, 0, 0, 2], 80);
        let w = p.worker(&first);
        let mut port = 0u16;
        let mut addr = 0u32;
        while p.len() < MAX_PLACED {
            addr += 1;
            let [_, b, c, d] = addr.to_be_bytes();
            p.worker(&tcp_frame([10, b, c, d], port, [192, 168, 0, 1], 443));
            port = port.wrapping_add(1);
        }
        let late = tcp_frame([172, 16, 0, 1], 5, [172, 16, 0, 2], 6);
        let h = p.worker(&late);
        assert_eq!(
            h,
            p.worker(&tcp_frame([172, 16, 0, 2], 6, [172, 16, 0, 1], 5))
        );
        assert_eq!(p.len(), MAX_PLACED);
        assert_eq!(p.worker(&first), w);
    }
}
