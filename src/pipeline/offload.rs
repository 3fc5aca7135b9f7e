//! `-j N` (N > 1) for runs that print frames (summary lines, `-V`, `-x`, `-A`/`-X`,
//! `-T fields`, `--json`; with `-Y`, `--mask`, the end-of-run report and tables): the output
//! is written on a second thread.
//!
//! Sharding the sessions over workers ([`super::threads`]) gives each worker its own stream
//! numbering, expiry order and once-per-run findings, so a worker cannot print the records
//! one thread would print. Here the analysis stays whole on one thread (the same [`Runner`]
//! as `-j 1`: reading, decoding, reassembly, parsers, findings) and only the last stage
//! moves: the events it raises are handed, in order, to the calling thread, which gives
//! them to the run's sink. The sink sees exactly the events of a one-thread run in the same
//! order, so the output is byte-identical for any N by construction, and the two stages run
//! side by side on two cores (`--json` spends ≈ 40 % of its CPU building and writing
//! records, the summary lines ≈ 30 %). The printer's own settings (`-x`, `--mask`,
//! `--findings`, `-T fields` columns, `-t`) stay with it on the calling thread; what the
//! analysis needs of them (sessions wanted) is asked before the thread starts; `-Y` and the
//! secret highlights found by a first pass are the analysis's (its [`RunOptions`]), so they
//! reach the printer as the frames' events do.
//!
//! Events go in batches (at most [`BATCH_FRAMES`] frames or [`BATCH_BYTES`] of frame bytes
//! each, the frames' bytes copied one after another into the batch's buffer; application
//! messages are shared, not copied). At most [`QUEUED_BATCHES`] wait; the analysis waits
//! when they are full, so the memory in flight is bounded. The batches come back to be
//! filled again. When the sink fails (a closed pipe), the analysis stops at its next batch
//! and the run ends with the sink's error, as with one thread.

use std::ops::Range;
use std::sync::atomic::AtomicBool;
use std::sync::mpsc::{channel, sync_channel, Receiver, Sender, SyncSender};

use super::{replay, Replay, RunError, RunOptions, RunStats, Runner};
use crate::capture::Timestamp;
use crate::dissect::AppEvent;
use crate::event::{Event, FrameView, SessionRecord, Sink, TcpView};
use crate::findings::Finding;

/// A batch is handed over when its frames or their bytes reach these.
const BATCH_FRAMES: usize = 32;
const BATCH_BYTES: usize = 64 << 10;
/// Batches waiting for the sink before the analysis waits.
const QUEUED_BATCHES: usize = 2;

/// A displayed frame, owned: its bytes, application events, highlights and findings are
/// ranges of its batch's buffers (no allocation per frame). Its decoding is not copied: the
/// sink's thread decodes the bytes again (the same function of the same bytes), which costs
/// less than copying it (its addresses and options are small allocations).
struct OwnedFrame {
    number: u64,
    ts: Timestamp,
    rel_time: f64,
    delta: f64,
    first_ts: Timestamp,
    prev_ts: Timestamp,
    len: u32,
    data: Range<usize>,
    link: u32,
    interface: Option<String>,
    tcp: Option<TcpView>,
    udp: Option<crate::flow::UdpAnalysis>,
    app: Range<usize>,
    highlights: Range<usize>,
    findings: Range<usize>,
    /// The datagram the frame completed from IP fragments (the only part of its decoding
    /// that decoding its bytes again does not give back).
    reassembled: Option<Box<crate::decode::defrag::Reassembled>>,
}

/// What the analysis asked of the sink, in order.
enum Call {
    Frame(OwnedFrame),
    FrameDone,
    Session(SessionRecord),
    SessionSummary(AppEvent, Timestamp),
    EndOfCapture(AppEvent, Timestamp),
    TrailingFindings(Vec<Finding>, Option<Timestamp>),
    Messages(Vec<AppEvent>),
    Capture(Option<String>),
    MaskTerms(Vec<String>),
    Flush,
}

#[derive(Default)]
struct Batch {
    calls: Vec<Call>,
    frames: usize,
    /// The frames' bytes, application events, highlights and findings, one after another.
    data: Vec<u8>,
    app: Vec<AppEvent>,
    highlights: Vec<Range<usize>>,
    findings: Vec<Finding>,
}

impl Batch {
    fn clear(&mut self) {
        self.calls.clear();
        self.frames = 0;
        self.data.clear();
        self.app.clear();
        self.highlights.clear();
        self.findings.clear();
    }
}

/// `items` appended to `to`: where they are.
fn append<T: Clone>(to: &mut Vec<T>, items: &[T]) -> Range<usize> {
    let start = to.len();
    to.extend_from_slice(items);
    start..to.len()
}

/// The analysis thread's sink: records every call into the batch filling.
struct Forward {
    to: Option<SyncSender<Batch>>,
    spare: Receiver<Batch>,
    filling: Batch,
    sessions: bool,
    /// Whether the sink wants [`Event::Messages`] (asked before the thread starts).
    messages: bool,
}

/// The sink's side has stopped (its output failed): the analysis stops too.
fn gone() -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::BrokenPipe, "output thread stopped")
}

impl Forward {
    fn send(&mut self) -> std::io::Result<()> {
        if self.filling.calls.is_empty() {
            return Ok(());
        }
        // What the sink was given is freed here, on the thread that allocated it (a free on
        // another thread moves the memory to that thread's cache: this thread's allocator
        // then runs dry and works far harder).
        let fresh = match self.spare.try_recv() {
            Ok(mut b) => {
                b.clear();
                b
            }
            Err(_) => Batch::default(),
        };
        let full = std::mem::replace(&mut self.filling, fresh);
        match &self.to {
            Some(tx) => tx.send(full).map_err(|_| gone()),
            None => Err(gone()),
        }
    }

    fn push(&mut self, call: Call) {
        self.filling.calls.push(call);
    }
}

impl Sink for Forward {
    fn event(&mut self, ev: Event<'_>) -> std::io::Result<()> {
        match ev {
            Event::Frame(v) => {
                let b = &mut self.filling;
                let frame = OwnedFrame {
                    number: v.number,
                    ts: v.ts,
                    rel_time: v.rel_time,
                    delta: v.delta,
                    first_ts: v.first_ts,
                    prev_ts: v.prev_ts,
                    len: v.len,
                    data: append(&mut b.data, v.data),
                    link: v.link,
                    interface: v.interface.map(str::to_string),
                    tcp: v.tcp,
                    udp: v.udp,
                    app: append(&mut b.app, v.app),
                    highlights: append(&mut b.highlights, v.highlights),
                    findings: append(&mut b.findings, v.findings),
                    reassembled: v.decoded.reassembled.clone(),
                };
                b.frames += 1;
                self.push(Call::Frame(frame));
            }
            Event::FrameDone => {
                self.push(Call::FrameDone);
                if self.filling.frames >= BATCH_FRAMES || self.filling.data.len() >= BATCH_BYTES {
                    self.send()?;
                }
            }
            Event::Session(r) => self.push(Call::Session(r.clone())),
            Event::SessionSummary { event, ts } => {
                self.push(Call::SessionSummary(event.clone(), ts))
            }
            Event::EndOfCapture { event, ts } => self.push(Call::EndOfCapture(event.clone(), ts)),
            Event::TrailingFindings { findings, ts } => {
                self.push(Call::TrailingFindings(findings.to_vec(), ts))
            }
            Event::Messages(events) => self.push(Call::Messages(events.to_vec())),
        }
        Ok(())
    }

    fn wants_sessions(&self) -> bool {
        self.sessions
    }

    fn wants_messages(&self) -> bool {
        self.messages
    }

    fn set_capture(&mut self, name: Option<String>) {
        self.push(Call::Capture(name));
    }

    fn add_mask_terms(&mut self, terms: Vec<String>) {
        if !terms.is_empty() {
            self.push(Call::MaskTerms(terms));
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.push(Call::Flush);
        self.send()
    }
}

/// Give one recorded call of `batch` to the real sink.
fn replay_call<S: Sink + ?Sized>(sink: &mut S, batch: &Batch, call: &Call) -> std::io::Result<()> {
    match call {
        Call::Frame(f) => {
            let data = batch.data.get(f.data.clone()).unwrap_or_default();
            let pkt = crate::capture::RawPacket {
                ts: f.ts,
                len: f.len,
                link: f.link,
                interface: 0,
                data,
            };
            let mut decoded = super::decode_frame(&pkt, true);
            decoded.reassembled = f.reassembled.clone();
            let view = FrameView {
                number: f.number,
                ts: f.ts,
                rel_time: f.rel_time,
                delta: f.delta,
                first_ts: f.first_ts,
                prev_ts: f.prev_ts,
                len: f.len,
                data,
                link: f.link,
                interface: f.interface.as_deref(),
                decoded: &decoded,
                tcp: f.tcp,
                udp: f.udp,
                app: batch.app.get(f.app.clone()).unwrap_or_default(),
                highlights: batch
                    .highlights
                    .get(f.highlights.clone())
                    .unwrap_or_default(),
                findings: batch.findings.get(f.findings.clone()).unwrap_or_default(),
            };
            sink.event(Event::Frame(&view))
        }
        Call::FrameDone => sink.event(Event::FrameDone),
        Call::Session(r) => sink.event(Event::Session(r)),
        Call::SessionSummary(event, ts) => sink.event(Event::SessionSummary { event, ts: *ts }),
        Call::EndOfCapture(event, ts) => sink.event(Event::EndOfCapture { event, ts: *ts }),
        Call::TrailingFindings(findings, ts) => {
            sink.event(Event::TrailingFindings { findings, ts: *ts })
        }
        Call::Messages(events) => sink.event(Event::Messages(events)),
        Call::Capture(name) => {
            sink.set_capture(name.clone());
            Ok(())
        }
        Call::MaskTerms(terms) => {
            sink.add_mask_terms(terms.clone());
            Ok(())
        }
        Call::Flush => sink.flush(),
    }
}

/// Give the batches to `sink` until the analysis ends or the sink fails; each batch goes
/// back whole to be emptied and filled again.
fn drain<S: Sink + ?Sized>(
    sink: &mut S,
    batches: Receiver<Batch>,
    back: Sender<Batch>,
) -> std::io::Result<()> {
    for batch in batches {
        for call in &batch.calls {
            replay_call(sink, &batch, call)?;
        }
        // Back whole, to be emptied by the analysis thread (which allocated what it holds).
        // The analysis may have ended; the batch is then dropped here.
        let _ = back.send(batch);
    }
    Ok(())
}

/// Replay `f` with the analysis on a thread of its own and the sink on the calling thread.
pub(super) fn replay_offloaded<R: Replay + Send, S: Sink + ?Sized>(
    f: &mut R,
    opts: &RunOptions,
    printer: &mut S,
    stop: &AtomicBool,
) -> Result<RunStats, RunError> {
    // Privileges are given up once, before the thread starts (capabilities are per
    // thread); the analysis thread then has nothing left to give up.
    if let Some(plan) = &opts.privdrop {
        crate::capture::privdrop::apply(plan)?;
    }
    let mut aopts = opts.clone();
    aopts.privdrop = None;
    let aopts = &aopts;
    let sessions = printer.wants_sessions();
    let messages = printer.wants_messages();
    let (tx, rx) = sync_channel::<Batch>(QUEUED_BATCHES);
    let (back, spare) = channel::<Batch>();
    let (analysed, drained) = std::thread::scope(|scope| {
        let analysis = scope.spawn(move || {
            let mut forward = Forward {
                to: Some(tx),
                spare,
                filling: Batch::default(),
                sessions,
                messages,
            };
            let runner = Runner::new(aopts, sessions);
            let result = replay(f, runner, &mut forward, stop);
            // Whatever is left (an error ended the run before its last flush).
            let _ = forward.send();
            result
        });
        let drained = drain(printer, rx, back);
        // On a failed sink the receiver is gone here: the analysis stops at its next batch.
        (analysis.join().unwrap_or(Err(RunError::Worker)), drained)
    });
    // The sink's own error comes first: it happened at an earlier event than anything the
    // analysis did after it (with one thread the run would have ended there).
    drained?;
    analysed
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;
    use std::thread::ThreadId;

    use super::*;
    use crate::capture::merge::MergedFiles;
    use crate::render::color::Palette;
    use crate::render::{Mode, Printer};

    /// A printer that checks every call: made on the thread that built it, frames in
    /// increasing order, and each frame's `FrameDone` before the next frame.
    struct Checked {
        printer: Printer<Vec<u8>>,
        thread: ThreadId,
        last: u64,
        open: bool,
        frames: u64,
    }

    impl Checked {
        fn new(mode: Mode, hex: bool) -> Self {
            Checked {
                printer: Printer::new(Vec::new(), mode, hex, Palette::new(false)),
                thread: std::thread::current().id(),
                last: 0,
                open: false,
                frames: 0,
            }
        }
    }

    impl Sink for Checked {
        fn event(&mut self, ev: Event<'_>) -> std::io::Result<()> {
            assert_eq!(
                std::thread::current().id(),
                self.thread,
                "printed elsewhere"
            );
            match &ev {
                Event::Frame(f) => {
                    assert!(
                        f.number > self.last && !self.open,
                        "frame {} out of order",
                        f.number
                    );
                    self.last = f.number;
                    self.open = true;
                    self.frames += 1;
                }
                Event::FrameDone => self.open = false,
                _ => assert!(!self.open, "an event inside frame {}", self.last),
            }
            self.printer.event(ev)
        }
        fn wants_sessions(&self) -> bool {
            self.printer.wants_sessions()
        }
        fn reads_tcp_options(&self) -> bool {
            self.printer.reads_tcp_options()
        }
        fn set_capture(&mut self, name: Option<String>) {
            self.printer.set_capture(name);
        }
        fn add_mask_terms(&mut self, terms: Vec<String>) {
            self.printer.add_mask_terms(terms);
        }
        fn flush(&mut self) -> std::io::Result<()> {
            self.printer.flush()
        }
    }

    /// Every bundled capture, merged into one run (many batches' worth of frames).
    fn bundled() -> MergedFiles {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("captures");
        let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
            .expect("captures/")
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "pcap" || x == "pcapng"))
            .collect();
        paths.sort();
        MergedFiles::open(&paths).expect("open the bundled captures")
    }

    /// What one run printed, with its analysis on this thread or on a second one.
    fn printed(mode: Mode, hex: bool, opts: &RunOptions, offloaded: bool) -> (Vec<u8>, u64) {
        let mut sink = Checked::new(mode, hex);
        let stop = AtomicBool::new(false);
        let mut f = bundled();
        let stats = if offloaded {
            replay_offloaded(&mut f, opts, &mut sink, &stop)
        } else {
            let runner = Runner::new(opts, sink.wants_sessions());
            replay(&mut f, runner, &mut sink, &stop)
        };
        let stats = stats.expect("the run");
        assert!(sink.frames <= stats.frames);
        (std::mem::take(sink.printer.writer()), sink.frames)
    }

    #[test]
    fn printed_frames_arrive_in_order_on_the_calling_thread() {
        let filtered = RunOptions {
            display_filter: Some(crate::display::compile("http || dns").expect("filter")),
            ..RunOptions::default()
        };
        let plain = RunOptions::default();
        for (mode, hex, opts) in [
            (Mode::Lines, false, &plain),
            (Mode::Tree, true, &plain),
            (Mode::Json, false, &plain),
            (Mode::Lines, false, &filtered),
            (Mode::Tree, false, &filtered),
        ] {
            let (one, frames) = printed(mode, hex, opts, false);
            let (two, split_frames) = printed(mode, hex, opts, true);
            // More than one batch.
            assert!(frames > BATCH_FRAMES as u64, "{frames} frames printed");
            assert_eq!(frames, split_frames, "{mode:?}");
            assert!(
                one == two,
                "{mode:?} -x {hex} printed otherwise on two threads"
            );
        }
    }
}
