//! The one-way pipeline: capture → decode → flow → dissect → (findings) → render.
//!
//! [`Pipeline::run`] pulls packets from a [`Source`], applies the capture filter to replayed
//! files, writes `-w`, decodes, hands TCP segments to the flow table, lets the dispatcher
//! dissect what the reassembler delivers, and prints each frame with what it completed.

use std::collections::BTreeMap;

use foldhash::HashMap;
use std::ops::Range;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::capture::file::SecretsSink;
use crate::capture::live::{LiveSource, LiveStats, OwnedPacket};
use crate::capture::rotate::{SaveFile, SaveSpec};
use crate::capture::{
    filter::OfflineFilter, CaptureError, FileSource, MergedFiles, RawPacket, Timestamp,
};
use crate::decode::defrag::Defragmenter;
use crate::decode::{self, Decoded, Transport};
use crate::dissect::dispatch::Dispatcher;
use crate::dissect::registry::Protocol;
use crate::dissect::{AppEvent, DissectConfig, ParserConfig};
use crate::event::{
    Event, FrameView, SessionClose, SessionNote, SessionOpen, SessionRecord, Sink, TcpView,
};
use crate::findings::engine::{Analyzer, FindingsConfig, Report};
use crate::flow::{
    ConversationSummary, Endpoint, FlowConfig, FlowTable, FollowCollector, FollowSelect,
    StreamEvent, StreamId, StreamSink, TcpSegment, UdpDatagram, UdpEvent, UdpSink, UdpTable,
};
use crate::memory::{MemoryStats, Meter, Pool};

mod offload;
mod threads;

/// Where packets come from.
pub enum Source {
    File(Box<FileSource>),
    /// Several files read as one run, in timestamp order (`-r` with many files).
    Files(Box<MergedFiles>),
    Live(Box<LiveSource>),
}

/// What the replay loop needs of its input: one file, or several merged.
trait Replay {
    /// The next packet and the index of the file it came from.
    fn next(&mut self) -> Result<Option<(RawPacket<'_>, usize)>, CaptureError>;
    fn first_link(&self) -> Option<u32>;
    fn tls_secrets(&mut self, make: &dyn Fn() -> SecretsSink);
    fn position(&self) -> u64;
    fn total_size(&self) -> Option<u64>;
    /// The name of the run in the report.
    fn name(&self) -> String;
    /// The files' names when there are several (each record says which it came from).
    fn captures(&self) -> Vec<String>;
}

impl Replay for FileSource {
    fn next(&mut self) -> Result<Option<(RawPacket<'_>, usize)>, CaptureError> {
        Ok(self.next_packet()?.map(|p| (p, 0)))
    }
    fn first_link(&self) -> Option<u32> {
        FileSource::first_link(self)
    }
    fn tls_secrets(&mut self, make: &dyn Fn() -> SecretsSink) {
        self.on_tls_secrets(make());
    }
    fn position(&self) -> u64 {
        FileSource::position(self)
    }
    fn total_size(&self) -> Option<u64> {
        FileSource::total_size(self)
    }
    fn name(&self) -> String {
        self.path().display().to_string()
    }
    fn captures(&self) -> Vec<String> {
        Vec::new()
    }
}

impl Replay for MergedFiles {
    fn next(&mut self) -> Result<Option<(RawPacket<'_>, usize)>, CaptureError> {
        self.next_indexed()
    }
    fn first_link(&self) -> Option<u32> {
        MergedFiles::first_link(self)
    }
    fn tls_secrets(&mut self, make: &dyn Fn() -> SecretsSink) {
        self.on_tls_secrets(make);
    }
    fn position(&self) -> u64 {
        MergedFiles::position(self)
    }
    fn total_size(&self) -> Option<u64> {
        MergedFiles::total_size(self)
    }
    fn name(&self) -> String {
        let names = self.captures();
        match names.as_slice() {
            [one] => one.clone(),
            [first, .., last] => format!("{} files merged ({first} … {last})", names.len()),
            [] => String::new(),
        }
    }
    fn captures(&self) -> Vec<String> {
        self.paths().map(|p| p.display().to_string()).collect()
    }
}

/// Options of one run.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// Stop after this many packets (`-c`).
    pub count: Option<u64>,
    /// Capture filter applied to replayed files (live captures filter in the kernel).
    pub file_filter: Option<String>,
    /// `-w FILE`.
    pub write: Option<PathBuf>,
    /// `-w`'s format (`-F`), file switching (`-b`, `-C`, `-G`, `-W`) and `-a` limits on it;
    /// `None`: one pcap file at `write`.
    pub save: Option<SaveSpec>,
    /// `-a duration:SEC`: a live capture stops this long after it starts.
    pub duration: Option<std::time::Duration>,
    /// `-U`: flush the `-w` file after every packet.
    pub packet_buffered: bool,
    pub flow: FlowConfig,
    pub dissect: DissectConfig,
    /// Keep conversation summaries for `--conversations`.
    pub keep_conversations: bool,
    /// The memory budget over every buffer of the run (`--max-total-buffer`); 0 means
    /// the default.
    pub memory_budget: usize,
    /// `--follow` (not `--follow-format http`): followed streams are written to the output
    /// in this form as soon as they are complete and in order, not held to the end.
    pub follow_output: Option<FollowOutput>,
    /// `--follow`: which streams to record, and the byte limit per stream.
    pub follow: Option<(FollowSelect, usize)>,
    /// Keep the HTTP messages of followed streams (`--follow-format http`).
    pub follow_http: bool,
    /// `-z follow,http2,…,TCP,ID`: keep the frames of HTTP/2 stream ID of the followed TCP
    /// streams (with [`crate::dissect::DissectConfig::keep_http2_frames`] set).
    pub follow_http2: Option<u32>,
    /// What the findings stage looks for (secrets, Fernet key, trusted CAs).
    pub findings: FindingsConfig,
    /// Highlights found by an earlier pass for frames printed before the match completed.
    pub highlights: Option<BTreeMap<u64, Vec<Range<usize>>>>,
    /// `-Y`: only frames matching it are printed (all are analysed).
    pub display_filter: Option<crate::display::Filter>,
    /// A progress bar on stderr while replaying a file.
    pub progress: bool,
    /// Live capture: a counters line on stderr every 10 s (`-q`).
    pub periodic_stats: bool,
    /// Count frames and bytes per protocol layer (`--hierarchy`).
    pub hierarchy: bool,
    /// `-z`: tshark's statistics counted over every frame.
    pub zstats: Vec<crate::render::zstats::ZStat>,
    /// `--html`: gather the page's evidence (ladders, leaking frames).
    pub html_evidence: bool,
    /// Give up root after the capture handle and the `-w` file are open, before the first
    /// packet is decoded (see `capture::privdrop`).
    pub privdrop: Option<crate::capture::privdrop::Plan>,
    /// `-j N`: worker threads that own a share of the sessions each (see [`threads`]); 0 or
    /// 1 runs everything on the calling thread. The caller asks for it only for a run whose
    /// output is the end-of-run counts (`-q` over files, see `threads` for why).
    pub threads: usize,
    /// `-j N` (N > 1) for a run that prints frames (lines, `-V`, `-x`, `-T fields`,
    /// `--json`): the analysis runs on a thread of its own and the sink on the calling thread
    /// (see [`offload`]); the output is the same.
    pub output_thread: bool,
}

/// How `--follow` streams are written (the end-of-run output's forms).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FollowOutput {
    Text(crate::render::follow::FollowFormat),
    Raw(crate::flow::Direction),
    Json,
}

impl FollowOutput {
    /// Write one followed stream as the end-of-run output does.
    pub fn write<W: std::io::Write>(
        self,
        w: &mut W,
        fs: &crate::flow::FollowStream,
    ) -> std::io::Result<()> {
        match self {
            FollowOutput::Text(f) => crate::render::follow::write_follow(w, fs, f),
            FollowOutput::Raw(dir) => crate::render::follow::write_raw(w, fs, dir),
            FollowOutput::Json => {
                serde_json::to_writer(&mut *w, &crate::render::records::follow(fs))
                    .map_err(std::io::Error::from)?;
                writeln!(w)
            }
        }
    }
}

/// Budget bytes counted per live flow: the flow table's entry and the per-stream state
/// of the dispatcher, the parsers and the findings stage (measured: see
/// docs/robustness.md, issue 16 item 6; 2,560 until stop 34, whose TCP analysis
/// bookkeeping made each flow about 380 bytes larger).
pub const FLOW_COST: usize = 2944;
/// Budget bytes counted per `--conversations` row; rows may use at most half the budget.
pub const CONVERSATION_ROW_COST: usize = 256;

/// What a run did.
#[derive(Debug, Default)]
pub struct RunStats {
    pub frames: u64,
    /// Frames that passed the display filter (all frames without one).
    pub displayed: u64,
    /// Packets read from the source before the capture filter.
    pub read: u64,
    pub first_ts: Option<Timestamp>,
    pub last_ts: Option<Timestamp>,
    pub live: Option<LiveStats>,
    pub written: u64,
    pub write_skipped_other_link: u64,
    pub conversations: Vec<(ConversationSummary, Option<&'static Protocol>)>,
    /// `--conversations`: rows not kept because of the memory budget.
    pub conversations_dropped: u64,
    pub flow: crate::flow::FlowStats,
    /// IP fragments and the datagrams put back together from them.
    pub defrag: crate::decode::defrag::DefragStats,
    /// What the memory budget did.
    pub memory: crate::memory::MemoryStats,
    /// What the parsers did (`--stats`).
    pub parse_work: crate::dissect::parser::ParseWork,
    /// An error of the input that ended the run early (truncated or corrupt file).
    pub input_error: Option<CaptureError>,
    /// Several files merged: errors of further files that ended early (the others were
    /// read to their end).
    pub more_input_errors: Vec<CaptureError>,
    /// Stopped by Ctrl-C / SIGTERM.
    pub interrupted: bool,
    /// Live capture: packets dropped because the decoder fell behind (queue full).
    pub queue_drops: u64,
    /// Live capture: packets still queued for the decoder when Ctrl-C/SIGTERM stopped the
    /// run; they were not analysed (they are in the `-w` file).
    pub not_analysed: u64,
    /// Live capture: the output failed (a closed pipe) and the run stopped early; the
    /// statistics and the `-w` file were still completed.
    pub output_error: Option<std::io::Error>,
    /// `--hierarchy`: frames and bytes per protocol layer.
    pub hierarchy: Option<crate::render::hierarchy::Hierarchy>,
    /// `-z`: tshark's statistics tables.
    pub ztally: Option<crate::render::zstats::ZTally>,
    /// `--follow`: the recorded streams.
    pub follow: Option<FollowCollector>,
    /// `--follow-format http`: the HTTP messages of followed streams.
    pub follow_http: Vec<AppEvent>,
    /// `-z follow,http2`: the followed HTTP/2 stream's frames, in the order they completed.
    pub follow_http2: Vec<AppEvent>,
    /// Bytes of those frames kept, and those not kept past the follow limit.
    pub follow_http2_kept: usize,
    pub follow_http2_cut: u64,
    /// What an eavesdropper sees: the findings stage's report.
    pub report: Report,
    /// Highlights for frames printed before the secret they carry was complete
    /// (for a second pass over a file).
    pub earlier_highlights: BTreeMap<u64, Vec<Range<usize>>>,
    /// `--mask`: the values the findings stage found over the run (at most 1,000), so that
    /// a second pass over a file masks them in frames printed before they were found.
    pub mask_terms: Vec<String>,
    /// `--html`: what the page shows beyond the report.
    pub evidence: Option<crate::render::html::Evidence>,
}

/// Errors that end a run.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error(transparent)]
    Capture(#[from] CaptureError),
    #[error("output: {0}")]
    Output(#[from] std::io::Error),
    #[error(transparent)]
    PrivDrop(#[from] crate::capture::privdrop::PrivDropError),
    /// A worker thread of `-j` stopped (it panicked).
    #[error("a worker thread (-j) stopped unexpectedly")]
    Worker,
}

/// Receives the reassembler's events during one frame: dissects, and keeps what the run
/// wants (conversation summaries, JSON stream records).
struct Sinks<'a> {
    dispatcher: &'a mut Dispatcher,
    keep_conversations: bool,
    /// Build session records (some sink prints them).
    sessions: bool,
    conversations: &'a mut Vec<(ConversationSummary, Option<&'static Protocol>)>,
    /// Rows kept at most (memory budget), and rows past it.
    max_conversations: usize,
    conversations_dropped: &'a mut u64,
    /// Session records waiting for the end of their frame.
    stream_records: &'a mut Vec<SessionRecord>,
    follow: Option<&'a mut FollowCollector>,
    capture_start: Option<Timestamp>,
    analyzer: &'a mut Analyzer,
    /// The current frame's time.
    now: Timestamp,
}

impl UdpSink for Sinks<'_> {
    fn udp_event(&mut self, now_frame: u64, ev: UdpEvent<'_>) {
        if let Some(f) = self.follow.as_deref_mut() {
            f.on_udp(&ev);
        }
        // UDP sessions feed the parsers (and through their events the findings).
        self.dispatcher.set_time(self.now);
        let closed = self.dispatcher.on_udp(now_frame, &ev);
        if let (UdpEvent::Close { summary, .. }, Some(proto)) = (&ev, closed) {
            self.analyzer.udp_closed(summary, proto);
        }
        if !self.sessions {
            return;
        }
        let transport = crate::flow::Transport::Udp;
        match ev {
            UdpEvent::Open {
                session,
                client,
                server,
                frame,
                ts,
            } => self.stream_records.push(SessionRecord::Open(SessionOpen {
                transport,
                session,
                client,
                server,
                frame,
                ts,
            })),
            UdpEvent::Close { summary, .. } => {
                self.stream_records.push(SessionRecord::Close(SessionClose {
                    transport,
                    summary,
                    protocol: closed.flatten().map(|p| p.label),
                    capture_start: self.capture_start,
                }))
            }
            UdpEvent::Datagram { .. } => {}
        }
    }
}

impl StreamSink for Sinks<'_> {
    fn event(&mut self, now_frame: u64, ev: StreamEvent<'_>) {
        if let Some(f) = self.follow.as_deref_mut() {
            f.on_event(&ev);
        }
        self.dispatcher.set_time(self.now);
        let closed = self.dispatcher.on_event(now_frame, &ev);
        self.analyzer.stream_event(&ev, closed);
        let transport = crate::flow::Transport::Tcp;
        match &ev {
            StreamEvent::Open {
                stream,
                client,
                server,
                frame,
                ts,
            } if self.sessions => {
                self.stream_records.push(SessionRecord::Open(SessionOpen {
                    transport,
                    session: *stream,
                    client: *client,
                    server: *server,
                    frame: *frame,
                    ts: *ts,
                }));
            }
            StreamEvent::Note {
                stream,
                dir,
                note,
                frame,
            } if self.sessions => {
                self.stream_records.push(SessionRecord::Note(SessionNote {
                    transport,
                    session: *stream,
                    dir: *dir,
                    note: note.clone(),
                    frame: *frame,
                    ts: self.now,
                }));
            }
            StreamEvent::Close { summary, .. } => {
                let proto = closed.flatten();
                if self.sessions {
                    self.stream_records.push(SessionRecord::Close(SessionClose {
                        transport,
                        summary: summary.clone(),
                        protocol: proto.map(|p| p.label),
                        capture_start: self.capture_start,
                    }));
                }
                if self.keep_conversations {
                    if self.conversations.len() < self.max_conversations {
                        self.conversations.push((summary.clone(), proto));
                    } else {
                        *self.conversations_dropped += 1;
                    }
                }
            }
            _ => {}
        }
    }
}

/// With `-Y`, a session's records (stream open/close, notes, session summaries) are printed
/// only for sessions that had a displayed frame, as tshark shows only what the filter keeps.
/// An open record waits for the stream's first displayed frame (one per live stream).
#[derive(Default)]
struct SessionGate {
    shown: std::collections::HashSet<(crate::flow::Transport, StreamId)>,
    pending_open: HashMap<(crate::flow::Transport, StreamId), SessionRecord>,
    /// Sessions whose first displayed frame is the current one.
    newly_shown: Vec<(crate::flow::Transport, StreamId)>,
}

impl SessionGate {
    fn mark(&mut self, transport: crate::flow::Transport, stream: StreamId) {
        if self.shown.insert((transport, stream)) {
            self.newly_shown.push((transport, stream));
        }
    }

    fn allows(&self, transport: crate::flow::Transport, stream: StreamId) -> bool {
        self.shown.contains(&(transport, stream))
    }
}

/// All the state of one run, fed packet by packet.
struct Runner<'o> {
    opts: &'o RunOptions,
    stats: RunStats,
    flows: FlowTable,
    udp: UdpTable,
    dispatcher: Dispatcher,
    stream_records: Vec<SessionRecord>,
    /// `-Y`: which sessions' records may be printed (`None` without a display filter).
    gate: Option<SessionGate>,
    /// Build session records (the sink prints them).
    sessions: bool,
    analyzer: Analyzer,
    follow: Option<FollowCollector>,
    prev_ts: Option<Timestamp>,
    /// `-j`: the latest time of the frames other workers own, read since this worker's last
    /// frame when it is later than the next frame's: the tables expire by it first, as one
    /// thread would have at those frames (time can go back in a file).
    clock: Option<Timestamp>,
    /// Decode every segment's TCP options (see [`reads_tcp_options`]); else only a SYN's.
    tcp_options: bool,
    /// The memory budget, and the parsers' share of it.
    budget: usize,
    meter: Meter,
    max_conversations: usize,
    /// IP fragments put back together into datagrams before the sessions see them.
    defrag: Defragmenter,
    /// At the end, search the datagrams still incomplete (false on all but one of the
    /// workers that each read every fragment of a file).
    search_unreassembled_at_end: bool,
}

impl<'o> Runner<'o> {
    fn new(opts: &'o RunOptions, sessions: bool) -> Self {
        let budget = if opts.memory_budget == 0 {
            crate::memory::DEFAULT_BUDGET
        } else {
            opts.memory_budget
        };
        let meter = Meter::default();
        Runner {
            opts,
            budget,
            meter: meter.clone(),
            max_conversations: budget / 2 / CONVERSATION_ROW_COST,
            stats: RunStats {
                memory: MemoryStats::new(budget),
                ztally: Some(crate::render::zstats::ZTally::new(
                    &opts.zstats,
                    budget / 2 / crate::render::zstats::ZROW_COST,
                ))
                .filter(crate::render::zstats::ZTally::counts),
                ..RunStats::default()
            },
            flows: FlowTable::new(opts.flow.clone()),
            udp: UdpTable::new(opts.flow.clone()),
            dispatcher: Dispatcher::new(std::sync::Arc::new(ParserConfig {
                keys: Some(opts.dissect.decrypt.keys.clone()),
                meter,
                ..ParserConfig::new(opts.dissect.clone())
            })),
            stream_records: Vec::new(),
            gate: opts.display_filter.as_ref().map(|_| SessionGate::default()),
            sessions,
            analyzer: Analyzer::new(opts.findings.clone()),
            follow: opts
                .follow
                .map(|(sel, limit)| FollowCollector::new(sel, limit)),
            prev_ts: None,
            clock: None,
            tcp_options: true,
            defrag: Defragmenter::with_limit(budget / 4),
            search_unreassembled_at_end: true,
        }
    }

    /// The application events raised since the last call: (per-stream summaries raised at
    /// close, which describe no frame; the events of this frame).
    fn take_events(&mut self) -> (Vec<AppEvent>, Vec<AppEvent>) {
        let events = std::mem::take(&mut self.dispatcher.pending);
        // Most frames raise no summary: their events stay where they are, in order.
        if !events.iter().any(|e| e.msg.is_session_summary()) {
            return (Vec::new(), events);
        }
        events.into_iter().partition(|e| e.msg.is_session_summary())
    }

    /// `--follow-format http`: keep the HTTP messages of followed streams.
    fn keep_follow_http(&mut self, events: &[AppEvent]) {
        // `--follow` of a TLS stream decrypted with the keys shows its plaintext.
        if let Some(f) = self.follow.as_mut() {
            for e in events {
                if let Some(t) = e.msg.tls() {
                    if let (Some((_, 23)), Some(plain)) = (t.record.decrypted, &t.plaintext) {
                        f.plaintext(
                            e.stream,
                            e.dir,
                            e.frames.first().copied().unwrap_or(e.frame),
                            plain,
                        );
                    }
                }
            }
        }
        if let Some(id) = self.opts.follow_http2 {
            self.keep_follow_http2(events, id);
        }
        if !self.opts.follow_http {
            return;
        }
        for e in events {
            if e.transport == crate::flow::Transport::Tcp
                && e.msg.http().is_some()
                && self.follow_wants(e.stream)
            {
                self.stats.follow_http.push(e.clone());
            }
        }
    }

    /// `-z follow,http2`: keep the frames of HTTP/2 stream `id` of the followed TCP streams,
    /// up to the follow limit (the frame bytes and decoded header fields counted).
    fn keep_follow_http2(&mut self, events: &[AppEvent], id: u32) {
        let limit = self.opts.follow.map_or(usize::MAX, |(_, l)| l);
        for e in events {
            if e.transport != crate::flow::Transport::Tcp || !self.follow_wants(e.stream) {
                continue;
            }
            let Some(f) = e.msg.http2_frame() else {
                continue;
            };
            if f.header.stream_id != id {
                continue;
            }
            let size = f
                .raw
                .len()
                .saturating_add(f.headers.as_ref().map_or(0, |h| {
                    h.fields
                        .iter()
                        .map(|(n, v)| n.len() + v.len() + 8)
                        .sum::<usize>()
                }));
            let kept = self.stats.follow_http2_kept.saturating_add(size);
            if kept > limit || self.stats.follow_http2_cut > 0 {
                self.stats.follow_http2_cut =
                    self.stats.follow_http2_cut.saturating_add(size as u64);
                continue;
            }
            self.stats.follow_http2_kept = kept;
            self.stats.follow_http2.push(e.clone());
        }
    }

    /// Hand on the session records raised so far whose session the display filter kept.
    fn print_stream_records<S: Sink + ?Sized>(&mut self, sink: &mut S) -> std::io::Result<()> {
        let records = std::mem::take(&mut self.stream_records);
        let Some(gate) = self.gate.as_mut() else {
            for r in &records {
                sink.event(Event::Session(r))?;
            }
            return Ok(());
        };
        for s in std::mem::take(&mut gate.newly_shown) {
            if let Some(open) = gate.pending_open.remove(&s) {
                sink.event(Event::Session(&open))?;
            }
        }
        for r in records {
            let key = (r.transport(), r.session());
            if gate.allows(key.0, key.1) {
                sink.event(Event::Session(&r))?;
            } else if let SessionRecord::Open(_) = r {
                gate.pending_open.insert(key, r);
            } else if let SessionRecord::Close(_) = r {
                gate.pending_open.remove(&key);
            }
        }
        Ok(())
    }

    /// The session-level events whose session the display filter kept.
    fn visible(&self, events: &[AppEvent]) -> Vec<AppEvent> {
        events
            .iter()
            .filter(|e| {
                self.gate
                    .as_ref()
                    .is_none_or(|g| g.allows(e.transport, e.stream))
            })
            .cloned()
            .collect()
    }

    fn follow_wants(&self, stream: StreamId) -> bool {
        match self.opts.follow {
            Some((FollowSelect::Stream(id), _)) => id == stream,
            Some((FollowSelect::All, _)) => true,
            Some((FollowSelect::Udp(_), _)) | None => false,
        }
    }

    /// Decode, reassemble, dissect, analyse and print one captured packet (the next frame).
    fn packet<S: Sink + ?Sized>(
        &mut self,
        pkt: &RawPacket<'_>,
        iface: Option<&str>,
        printer: &mut S,
    ) -> Result<bool, RunError> {
        let number = self.stats.frames + 1;
        let mut decoded = decode_frame(pkt, self.tcp_options);
        self.defrag.feed(number, pkt.ts, pkt.data, &mut decoded);
        self.decoded_packet(pkt, &decoded, number, iface, printer)
    }

    /// Reassemble, dissect, analyse and print one decoded packet, frame `number` of the run
    /// (with `-j`, a worker sees only its sessions' frames, numbered by the reader).
    fn decoded_packet<S: Sink + ?Sized>(
        &mut self,
        pkt: &RawPacket<'_>,
        decoded: &Decoded,
        number: u64,
        iface: Option<&str>,
        printer: &mut S,
    ) -> Result<bool, RunError> {
        let opts = self.opts;
        self.stats.frames += 1;
        let first = *self.stats.first_ts.get_or_insert(pkt.ts);
        self.stats.last_ts = Some(pkt.ts);
        let prev_ts = self.prev_ts.unwrap_or(pkt.ts);
        let delta = self.prev_ts.map(|p| pkt.ts.since(p)).unwrap_or(0.0);
        self.prev_ts = Some(pkt.ts);
        self.analyzer.begin_frame(number, pkt.ts, pkt.len);
        search_outside_streams(&mut self.analyzer, pkt, decoded);
        let mut sinks = Sinks {
            dispatcher: &mut self.dispatcher,
            keep_conversations: opts.keep_conversations,
            sessions: self.sessions,
            conversations: &mut self.stats.conversations,
            max_conversations: self.max_conversations,
            conversations_dropped: &mut self.stats.conversations_dropped,
            stream_records: &mut self.stream_records,
            follow: self.follow.as_mut(),
            capture_start: self.stats.first_ts,
            analyzer: &mut self.analyzer,
            now: pkt.ts,
        };
        if let Some(t) = self.clock.take() {
            self.flows.advance(t, &mut sinks);
            self.udp.advance(t, &mut sinks);
        }
        self.flows.advance(pkt.ts, &mut sinks);
        self.udp.advance(pkt.ts, &mut sinks);
        let udp_view =
            udp_datagram(decoded, pkt, number).map(|d| self.udp.datagram(&d, &mut sinks));
        let udp_session = udp_view.map(|u| u.session);
        let flows = &mut self.flows;
        let tcp_view = tcp_segment(decoded, pkt, number).map(|seg| {
            let (syn, window) = (seg.flags.syn(), seg.window);
            TcpView::new(flows.segment(&seg, &mut sinks), syn, window)
        });
        let tcp_stream = tcp_view.as_ref().map(|t| t.seg.stream);
        self.enforce_budget(number);
        let (summaries, app) = self.take_events();
        self.analyzer.stream_summaries(&summaries);
        self.keep_follow_http(&app);
        self.analyzer.app_events(&app, pkt.ts);
        if let Some(r) = &decoded.reassembled {
            self.analyzer.fragment_highlights(r);
        }
        let findings = self.analyzer.take_findings();
        let mask_terms = self.analyzer.take_mask_terms();
        if opts.html_evidence && !mask_terms.is_empty() {
            self.stats
                .evidence
                .get_or_insert_with(|| crate::render::html::Evidence::new(opts.findings.mask))
                .add_mask_terms(&mask_terms);
        }
        if opts.findings.mask && !mask_terms.is_empty() {
            crate::render::add_mask_terms(&mut self.stats.mask_terms, mask_terms.clone());
        }
        printer.add_mask_terms(mask_terms);
        let mut highlights: Vec<Range<usize>> = self.analyzer.highlights().to_vec();
        if let Some(map) = &opts.highlights {
            if let Some(r) = map.get(&number) {
                highlights.extend(r.iter().cloned());
            }
        }
        let view = FrameView {
            number,
            ts: pkt.ts,
            rel_time: pkt.ts.since(first),
            delta,
            first_ts: first,
            prev_ts,
            len: pkt.len,
            data: pkt.data,
            link: pkt.link,
            interface: iface,
            decoded,
            tcp: tcp_view,
            udp: udp_view,
            app: &app,
            highlights: &highlights,
            findings: &findings,
        };
        let shown = match &opts.display_filter {
            Some(f) => f.matches(&view),
            None => true,
        };
        if let (true, Some(gate)) = (shown, self.gate.as_mut()) {
            use crate::flow::Transport as T;
            tcp_stream.into_iter().for_each(|s| gate.mark(T::Tcp, s));
            udp_session.into_iter().for_each(|s| gate.mark(T::Udp, s));
            app.iter().for_each(|e| gate.mark(e.transport, e.stream));
        }
        self.print_stream_records(printer)?;
        for event in &self.visible(&summaries) {
            printer.event(Event::SessionSummary { event, ts: pkt.ts })?;
        }
        if shown && opts.hierarchy {
            let chain = crate::render::layers::protocols_in_frame(&view);
            self.stats
                .hierarchy
                .get_or_insert_with(Default::default)
                .add(
                    chain.split(':').filter(|p| *p != "ethertype"),
                    u64::from(pkt.len),
                    number,
                );
        }
        if let Some(z) = &mut self.stats.ztally {
            z.frame(&view);
        }
        if opts.html_evidence {
            self.stats
                .evidence
                .get_or_insert_with(|| crate::render::html::Evidence::new(opts.findings.mask))
                .frame(&view);
        }
        if !app.is_empty() && printer.wants_messages() {
            printer.event(Event::Messages(&app))?;
        }
        if shown {
            self.stats.displayed += 1;
            printer.event(Event::Frame(&view))?;
        }
        self.write_ready_follow(printer)?;
        printer.event(Event::FrameDone)?;
        Ok(shown)
    }

    /// `--follow`: write the streams that are complete and next in order.
    fn write_ready_follow<S: Sink + ?Sized>(&mut self, printer: &mut S) -> std::io::Result<()> {
        let (Some(fmt), Some(f)) = (self.opts.follow_output, self.follow.as_mut()) else {
            return Ok(());
        };
        // JSON `follow` records are end-of-run records (after the `run` record, with the
        // last frame's time): they are written with the others.
        if fmt == FollowOutput::Json {
            return Ok(());
        }
        for fs in f.take_ready() {
            if let Some(mut w) = printer.raw_output() {
                fmt.write(&mut w, &fs)?;
            }
        }
        Ok(())
    }

    /// Bytes held over every pool at the moment.
    fn held(&self) -> [usize; Pool::ALL.len()] {
        let mut held = [0; Pool::ALL.len()];
        for pool in Pool::ALL {
            let n = match pool {
                Pool::Flows => self.flows.live_flows().saturating_mul(FLOW_COST),
                Pool::OutOfOrder => self.flows.buffered_bytes(),
                Pool::Retransmissions => self.flows.recent_bytes(),
                Pool::Undecided => self.dispatcher.undecided_bytes(),
                Pool::HttpHeads | Pool::HttpBodies | Pool::TlsHandshakes => self.meter.held(pool),
                Pool::Follow => self.follow.as_ref().map_or(0, FollowCollector::held_bytes),
                Pool::Conversations => self
                    .stats
                    .conversations
                    .len()
                    .saturating_mul(CONVERSATION_ROW_COST)
                    .saturating_add(self.stats.ztally.as_ref().map_or(0, |z| {
                        z.rows().saturating_mul(crate::render::zstats::ZROW_COST)
                    })),
                Pool::IpFragments => self.defrag.held_bytes(),
            };
            if let Some(h) = held.get_mut(pool.index()) {
                *h = n;
            }
        }
        held
    }

    /// Past the memory budget, take bytes back until under 3/4 of it (room for the copies
    /// a released message makes while it is searched): HTTP bodies (the message is emitted
    /// first, so it is searched and shown), followed-stream bytes, out-of-order bytes, then
    /// the idlest flows (closing a flow flushes its parsers: what they held is emitted and
    /// searched). Evictions are counted per pool for the end of run.
    fn enforce_budget(&mut self, frame: u64) {
        let total = |h: &[usize]| h.iter().fold(0usize, |a, &b| a.saturating_add(b));
        let mut now = total(&self.held());
        if now > self.budget {
            let target = self.budget - self.budget / 4;
            let mut sinks = Sinks {
                dispatcher: &mut self.dispatcher,
                keep_conversations: self.opts.keep_conversations,
                sessions: self.sessions,
                conversations: &mut self.stats.conversations,
                max_conversations: self.max_conversations,
                conversations_dropped: &mut self.stats.conversations_dropped,
                stream_records: &mut self.stream_records,
                follow: self.follow.as_mut(),
                capture_start: self.stats.first_ts,
                analyzer: &mut self.analyzer,
                now: self.stats.last_ts.unwrap_or_default(),
            };
            let mut evicted: Vec<(Pool, usize)> = Vec::new();
            let meter = &self.meter;
            let parsers = || {
                meter
                    .held(Pool::HttpBodies)
                    .saturating_add(meter.held(Pool::TlsHandshakes))
            };
            // Finding the largest holder walks every session: once a walk finds nothing, the
            // pool is not walked again in this frame. Idle flows go before followed data:
            // closing a finished flow lets `--follow` write its stream out, where releasing
            // the followed bytes would lose them. Followed data gives back what is still
            // needed in one walk.
            let mut bodies_left = meter.held(Pool::HttpBodies) > 0;
            let mut follow_left = sinks.follow.as_deref().is_some_and(|f| f.held_bytes() > 0);
            while now > target {
                let before = now;
                let p = parsers();
                let freed = if bodies_left {
                    sinks.dispatcher.release_largest(frame)
                } else {
                    0
                };
                bodies_left = freed > 0;
                if freed > 0 {
                    evicted.push((Pool::HttpBodies, freed));
                    now = now.saturating_sub(p.saturating_sub(parsers()));
                } else if self.flows.buffered_bytes() > 0 {
                    let keep = self
                        .flows
                        .buffered_bytes()
                        .saturating_sub(now.saturating_sub(target));
                    let n = self.flows.shed_out_of_order(keep, frame, &mut sinks);
                    evicted.push((Pool::OutOfOrder, n));
                    now = now.saturating_sub(n);
                } else if self.defrag.held_bytes() > 0 {
                    let held = self.defrag.held_bytes();
                    self.defrag.give_up_oldest();
                    let n = held.saturating_sub(self.defrag.held_bytes());
                    evicted.push((Pool::IpFragments, n));
                    now = now.saturating_sub(n);
                } else if self.flows.evict_idlest(self.budget, frame, &mut sinks) {
                    evicted.push((Pool::Flows, FLOW_COST));
                    now = now.saturating_sub(FLOW_COST);
                } else if follow_left {
                    let released = sinks
                        .follow
                        .as_deref_mut()
                        .map_or(0, |f| f.release(now.saturating_sub(target)));
                    follow_left = false;
                    if released > 0 {
                        evicted.push((Pool::Follow, released));
                        now = now.saturating_sub(released);
                    }
                }
                if now >= before {
                    break;
                }
            }
            for (pool, n) in evicted {
                self.stats.memory.evicted(pool, n);
            }
            let given_up = self.defrag.take_unreassembled();
            search_unreassembled(&mut self.analyzer, &given_up);
            now = total(&self.held());
        }
        self.stats.memory.peak_bytes = self.stats.memory.peak_bytes.max(now as u64);
    }

    /// End of input: flush the flows (holes, close-delimited bodies), then the tail events.
    fn finish<S: Sink + ?Sized>(
        mut self,
        source_name: &str,
        printer: &mut S,
    ) -> Result<RunStats, RunError> {
        let now = self.stats.last_ts.unwrap_or_default();
        self.analyzer.end_of_input();
        {
            let mut sinks = Sinks {
                dispatcher: &mut self.dispatcher,
                keep_conversations: self.opts.keep_conversations,
                sessions: self.sessions,
                conversations: &mut self.stats.conversations,
                max_conversations: self.max_conversations,
                conversations_dropped: &mut self.stats.conversations_dropped,
                stream_records: &mut self.stream_records,
                follow: self.follow.as_mut(),
                capture_start: self.stats.first_ts,
                analyzer: &mut self.analyzer,
                now,
            };
            self.flows.finish(&mut sinks);
            self.udp.finish(&mut sinks);
        }
        self.stats.defrag = self.defrag.finish();
        let given_up = self.defrag.take_unreassembled();
        if self.search_unreassembled_at_end {
            search_unreassembled(&mut self.analyzer, &given_up);
        }
        let (summaries, tail) = self.take_events();
        if !tail.is_empty() && printer.wants_messages() {
            printer.event(Event::Messages(&tail))?;
        }
        for event in &self.visible(&tail) {
            printer.event(Event::EndOfCapture { event, ts: now })?;
        }
        for event in &self.visible(&summaries) {
            printer.event(Event::SessionSummary { event, ts: now })?;
        }
        self.analyzer.stream_summaries(&summaries);
        if let Some(ts) = self.stats.last_ts {
            self.analyzer.app_events(&tail, ts);
        }
        printer.event(Event::TrailingFindings {
            findings: &self.analyzer.take_findings(),
            ts: self.stats.last_ts,
        })?;
        self.keep_follow_http(&tail);
        self.print_stream_records(printer)?;
        self.write_ready_follow(printer)?;
        self.stats.follow = self.follow.take();
        self.stats.flow = self.flows.stats().clone();
        self.stats.parse_work = self.dispatcher.work();
        self.stats.earlier_highlights = self.analyzer.take_earlier_highlights();
        self.stats.report = self.analyzer.finish(source_name);
        printer.flush()?;
        Ok(self.stats)
    }
}

/// Most bytes of captured packets waiting for the decoder (live capture); past it, packets
/// are dropped and counted rather than stalling the capture.
pub const LIVE_QUEUE_BYTES: usize = 64 << 20;

/// Run the pipeline over `src`, printing with `printer`, until the source ends, `-c` is
/// reached, or `stop` is set (Ctrl-C / SIGTERM). A live capture reads packets in its own
/// thread (writing `-w` there) and hands them over through a bounded queue.
pub fn run<S: Sink + ?Sized>(
    src: &mut Source,
    opts: &RunOptions,
    printer: &mut S,
    stop: &AtomicBool,
) -> Result<RunStats, RunError> {
    let mut runner = Runner::new(opts, printer.wants_sessions());
    runner.tcp_options = reads_tcp_options(opts, printer);
    match src {
        Source::File(f) if opts.threads > 1 => threads::replay_file(f, opts, printer, stop),
        Source::Files(f) if opts.threads > 1 => threads::replay(f.as_mut(), opts, printer, stop),
        Source::File(f) if opts.output_thread => {
            offload::replay_offloaded(f.as_mut(), opts, printer, stop)
        }
        Source::Files(f) if opts.output_thread => {
            offload::replay_offloaded(f.as_mut(), opts, printer, stop)
        }
        Source::File(f) => replay(f.as_mut(), runner, printer, stop),
        Source::Files(f) => replay(f.as_mut(), runner, printer, stop),
        Source::Live(l) if opts.threads > 1 => threads::live(l, opts, printer, stop),
        Source::Live(l) => {
            capture_live(l, opts, &mut runner, printer, stop)?;
            runner.finish(&format!("live capture on {}", l.name()), printer)
        }
    }
}

/// Live capture: the longest a frame waits in the `-j` reader's partial batches before they
/// are handed on to the workers (when the capture goes quiet, or traffic is too thin to fill
/// a batch), so that a slow capture's frames are analysed within this of their arrival and
/// the frames in flight stay few.
const LIVE_HOLD: std::time::Duration = std::time::Duration::from_millis(20);

/// Capture live from `l` until `-c`, Ctrl-C/SIGTERM or an error, handing each packet to
/// `frames` (a [`Runner`], or the `-j` reader that sends it to a worker), and record the
/// capture's statistics in `frames.stats()`. The capture thread reads the packets, writes
/// `-w` and queues them (bounded by [`LIVE_QUEUE_BYTES`], drops counted); this thread takes
/// them from the queue. Privileges are given up first (`opts.privdrop`), before any thread
/// starts. An output that fails (a closed pipe) stops the capture and is kept in the
/// statistics (`output_error`): the run is still finished, so the capture statistics reach
/// stderr and `-w` is complete.
fn capture_live<F: Frames, S: Sink + ?Sized>(
    l: &mut LiveSource,
    opts: &RunOptions,
    frames: &mut F,
    printer: &mut S,
    stop: &AtomicBool,
) -> Result<(), RunError> {
    let name = l.name().to_string();
    let (tx, rx) = std::sync::mpsc::sync_channel::<OwnedPacket>(4096);
    let queued = std::sync::atomic::AtomicUsize::new(0);
    let drops = std::sync::atomic::AtomicU64::new(0);
    // Root is given up here: capture handle open, no thread started yet (capabilities
    // and no-new-privs are per thread), no packet decoded. The -w file is opened
    // after it, as the user the run continues as (as tcpdump).
    if let Some(plan) = &opts.privdrop {
        crate::capture::privdrop::apply(plan)?;
    }
    let writer = match save_spec(opts) {
        Some(spec) => Some(SaveFile::create(
            &spec,
            l.link(),
            false,
            l.snaplen(),
            crate::capture::Timestamp::now(),
        )?),
        None => None,
    };
    // -w is written by the capture thread (every captured packet, even those the
    // decoder drops when it falls behind) — or, with -Y, by the decoder: only the
    // packets the display filter keeps (as tshark).
    let (writer, mut displayed_writer) = match opts.display_filter {
        Some(_) => (None, writer),
        None => (writer, None),
    };
    let breaker = l.breaker();
    let capture_done = AtomicBool::new(false);
    // An -a condition was met (duration, or the -Y -w file's size or count of files): the
    // capture ends as with -c, and what was queued is analysed.
    let autostop = AtomicBool::new(false);
    let deadline = opts.duration.map(|d| std::time::Instant::now() + d);
    let (result, end) = std::thread::scope(|scope| {
        let (queued, drops, capture_done, autostop) = (&queued, &drops, &capture_done, &autostop);
        // Wakes the capture thread out of a blocked read when Ctrl-C/SIGTERM arrives, or
        // when -a duration's time is up.
        scope.spawn(move || {
            while !capture_done.load(Ordering::Relaxed) {
                if deadline.is_some_and(|d| std::time::Instant::now() >= d) {
                    autostop.store(true, Ordering::Relaxed);
                }
                if stop.load(Ordering::Relaxed) || autostop.load(Ordering::Relaxed) {
                    breaker.breakloop();
                }
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
        });
        let handle = scope.spawn(move || {
            let end = l.capture_loop(
                writer,
                opts.count,
                [stop, autostop],
                tx,
                queued,
                drops,
                LIVE_QUEUE_BYTES,
            );
            capture_done.store(true, Ordering::Relaxed);
            end
        });
        let mut periodic = opts.periodic_stats.then(std::time::Instant::now);
        // Since when `frames` holds frames back (the `-j` reader's partial batches).
        let mut held: Option<std::time::Instant> = None;
        // The decoder: drain the queue until the capture thread ends, or stop at
        // once on Ctrl-C/SIGTERM (a backlog can be expensive to analyse).
        let mut result = Ok(());
        loop {
            let next = match held {
                None => rx.recv().ok(),
                Some(t) => match rx.recv_timeout(LIVE_HOLD.saturating_sub(t.elapsed())) {
                    Ok(p) => Some(p),
                    Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
                        held = None;
                        if let Err(e) = frames.hand_on() {
                            result = Err(e);
                            stop.store(true, Ordering::Relaxed);
                            break;
                        }
                        continue;
                    }
                    Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => None,
                },
            };
            let Some(p) = next else {
                break;
            };
            if stop.load(Ordering::Relaxed) {
                frames.stats().not_analysed += 1;
                break;
            }
            queued.fetch_sub(p.data.len(), Ordering::Relaxed);
            frames.stats().read += 1;
            let pkt = RawPacket {
                ts: p.ts,
                len: p.len,
                link: p.link,
                interface: 0,
                data: &p.data,
            };
            let written = match frames.live_frame(&pkt, &name, printer) {
                Ok(true) => displayed_writer.as_mut().map_or(Ok(()), |w| {
                    w.write(&pkt)?;
                    if w.done() {
                        autostop.store(true, Ordering::Relaxed);
                    }
                    Ok(())
                }),
                Ok(false) => Ok(()),
                Err(e) => Err(e),
            };
            let written = written.and_then(|()| {
                if !frames.holds() {
                    return Ok(());
                }
                let now = std::time::Instant::now();
                match held {
                    None => held = Some(now),
                    Some(t) if now.duration_since(t) >= LIVE_HOLD => {
                        held = None;
                        frames.hand_on()?;
                    }
                    Some(_) => {}
                }
                Ok(())
            });
            if let Err(e) = written {
                result = Err(e);
                stop.store(true, Ordering::Relaxed);
                break;
            }
            if let Some(t) = periodic.as_mut() {
                if t.elapsed() >= std::time::Duration::from_secs(10) {
                    *t = std::time::Instant::now();
                    eprintln!("squirrel-sniff: {} packets so far, {} dropped by squirrel-sniff (queue full)", frames.stats().frames, drops.load(Ordering::Relaxed));
                }
            }
        }
        let end = handle.join().unwrap_or_default();
        if stop.load(Ordering::Relaxed) {
            frames.stats().not_analysed += rx.try_iter().count() as u64;
        }
        (result, end)
    });
    let stats = frames.stats();
    match result {
        Ok(()) => {}
        // The output closed (a pipe's reader went away): still finish the run, so
        // the capture statistics reach stderr and -w is complete.
        Err(RunError::Output(e)) => stats.output_error = Some(e),
        Err(e) => return Err(e),
    }
    stats.live = end.stats;
    stats.written = end.written;
    if let Some(w) = displayed_writer.as_mut() {
        w.flush()?;
        stats.written = w.written();
    }
    stats.queue_drops = end.queue_drops;
    if end.error.is_some() {
        stats.input_error = end.error;
    }
    stats.interrupted = stop.load(Ordering::Relaxed);
    Ok(())
}

/// What `-w` writes: `opts.save`, or one pcap file at `opts.write`.
fn save_spec(opts: &RunOptions) -> Option<SaveSpec> {
    match (&opts.save, &opts.write) {
        (Some(s), _) => Some(s.clone()),
        (None, Some(path)) => Some(SaveSpec::plain(path, opts.packet_buffered)),
        (None, None) => None,
    }
}

/// Where replayed frames go: a [`Runner`] on this thread, or the reader of `-j` that hands
/// them to workers.
trait Frames {
    fn stats(&mut self) -> &mut RunStats;
    /// One frame that passed the capture filter; whether the display filter kept it.
    fn frame<S: Sink + ?Sized>(
        &mut self,
        pkt: &RawPacket<'_>,
        printer: &mut S,
    ) -> Result<bool, RunError>;
    /// Keys (a pcapng Decryption Secrets Block) are about to be added: every frame handed
    /// on so far must have been dissected first, as with one thread.
    fn settle(&mut self) -> Result<(), RunError> {
        Ok(())
    }
    /// A frame captured live on interface `iface`; whether the display filter kept it.
    fn live_frame<S: Sink + ?Sized>(
        &mut self,
        pkt: &RawPacket<'_>,
        _iface: &str,
        printer: &mut S,
    ) -> Result<bool, RunError> {
        self.frame(pkt, printer)
    }
    /// Whether frames are held back, not analysed yet (the `-j` reader's partial batches):
    /// a live capture hands them on ([`Frames::hand_on`]) within [`LIVE_HOLD`].
    fn holds(&self) -> bool {
        false
    }
    /// Hand on the frames held back.
    fn hand_on(&mut self) -> Result<(), RunError> {
        Ok(())
    }
    /// Add the keys of a Decryption Secrets Block to the run's key store once every frame
    /// before it was dissected ([`Frames::settle`]), before the next frame.
    fn add_keys(&mut self, keys: Vec<Vec<u8>>, opts: &RunOptions) -> Result<(), RunError> {
        self.settle()?;
        add_keys(keys, opts);
        Ok(())
    }
}

/// Keys found in the file (pcapng Decryption Secrets Blocks) into the run's key store.
fn add_keys(keys: Vec<Vec<u8>>, opts: &RunOptions) {
    for text in keys {
        opts.dissect
            .decrypt
            .keys
            .add_text(&text, crate::dissect::tls::decrypt::KeySource::Dsb);
    }
}

impl Frames for Runner<'_> {
    fn stats(&mut self) -> &mut RunStats {
        &mut self.stats
    }
    fn frame<S: Sink + ?Sized>(
        &mut self,
        pkt: &RawPacket<'_>,
        printer: &mut S,
    ) -> Result<bool, RunError> {
        self.packet(pkt, None, printer)
    }
    fn live_frame<S: Sink + ?Sized>(
        &mut self,
        pkt: &RawPacket<'_>,
        iface: &str,
        printer: &mut S,
    ) -> Result<bool, RunError> {
        self.packet(pkt, Some(iface), printer)
    }
}

/// Replay saved captures (one file, or several merged in timestamp order).
fn replay<R: Replay, S: Sink + ?Sized>(
    f: &mut R,
    mut runner: Runner<'_>,
    printer: &mut S,
    stop: &AtomicBool,
) -> Result<RunStats, RunError> {
    let opts = runner.opts;
    read_frames(f, opts, &mut runner, printer, stop)?;
    runner.finish(&f.name(), printer)
}

/// Read every packet of `f` through the capture filter into `frames`, writing `-w`.
fn read_frames<R: Replay, F: Frames, S: Sink + ?Sized>(
    f: &mut R,
    opts: &RunOptions,
    frames: &mut F,
    printer: &mut S,
    stop: &AtomicBool,
) -> Result<(), RunError> {
    let mut filter = match &opts.file_filter {
        Some(expr) => Some(OfflineFilter::new(expr, f.first_link().unwrap_or(1))?),
        None => None,
    };
    // Privileges are given up before the -w file is opened (as tcpdump): the file is
    // created as the user the run continues as.
    if let Some(plan) = &opts.privdrop {
        crate::capture::privdrop::apply(plan)?;
    }
    // Keys found in the file are added before the next packet is dissected.
    // (The flag spares every frame a lock: nearly no file has such keys.)
    let found_keys = std::sync::Arc::new(std::sync::Mutex::new(Vec::<Vec<u8>>::new()));
    let keys_found = std::sync::Arc::new(AtomicBool::new(false));
    f.tls_secrets(&|| {
        let found = std::sync::Arc::clone(&found_keys);
        let flag = std::sync::Arc::clone(&keys_found);
        Box::new(move |text| {
            if let Ok(mut k) = found.lock() {
                k.push(text.to_vec());
                flag.store(true, Ordering::Release);
            }
        })
    });
    // Several files: every record says which one it came from.
    let captures = f.captures();
    let mut capture_shown: Option<usize> = None;
    let mut writer: Option<SaveFile> = None;
    let save = save_spec(opts);
    let mut progress = opts
        .progress
        .then(|| crate::render::progress::Progress::new(f.total_size()));
    loop {
        if stop.load(Ordering::Relaxed) {
            frames.stats().interrupted = true;
            break;
        }
        if opts.count.is_some_and(|c| frames.stats().frames >= c) {
            break;
        }
        let next = f.next();
        // A plain load first: the swap (a locked instruction) only once keys were found.
        if keys_found.load(Ordering::Relaxed) && keys_found.swap(false, Ordering::Acquire) {
            let keys: Vec<Vec<u8>> = found_keys
                .lock()
                .map(|mut k| std::mem::take(&mut *k))
                .unwrap_or_default();
            if !keys.is_empty() {
                frames.add_keys(keys, opts)?;
            }
        }
        let (pkt, index) = match next {
            Ok(Some(p)) => p,
            Ok(None) => break,
            // A file that ends early ends its part; merged files go on with the others.
            Err(e) => {
                let stats = frames.stats();
                match stats.input_error {
                    None => stats.input_error = Some(e),
                    Some(_) => stats.more_input_errors.push(e),
                }
                continue;
            }
        };
        frames.stats().read += 1;
        if let Some(flt) = filter.as_mut() {
            if !flt.matches(pkt.link, pkt.data).unwrap_or(false) {
                continue;
            }
        }
        if capture_shown != Some(index) {
            if let Some(name) = captures.get(index) {
                printer.set_capture(Some(name.clone()));
                capture_shown = Some(index);
            }
        }
        // -a files: the output ends before this packet, and so does the run (with -Y, only
        // a packet it shows can end it: it is analysed, not written).
        if opts.display_filter.is_none() && writer.as_ref().is_some_and(|w| w.ends_before(&pkt)) {
            break;
        }
        // With -Y, -w keeps only the packets the filter displays (as tshark).
        let shown = frames.frame(&pkt, printer)?;
        if let (Some(spec), true) = (&save, shown) {
            if writer.is_none() {
                writer = Some(SaveFile::create(
                    spec,
                    pkt.link,
                    true,
                    crate::capture::writer::DEFAULT_SNAPLEN,
                    pkt.ts,
                )?);
            }
            if let Some(w) = writer.as_mut() {
                w.write(&pkt)?;
                // -a filesize or files: the output is complete, the run ends here.
                if w.done() {
                    break;
                }
            }
        }
        if let Some(p) = progress.as_mut() {
            p.update(f.position(), frames.stats().frames);
        }
    }
    if let Some(p) = progress.take() {
        p.finish();
    }
    if let Some(w) = writer.as_mut() {
        w.flush()?;
        let stats = frames.stats();
        stats.written = w.written();
        stats.write_skipped_other_link = w.skipped_other_link();
    }
    Ok(())
}

/// Whether a run's frames need every segment's TCP options decoded: the sink may read them
/// (a frame's line, tree or record shows them), or a display filter, the HTML page's
/// evidence, the protocol hierarchy or the expert items look at the frames. Else (`-q`) only a SYN's are
/// decoded, for its window scale.
fn reads_tcp_options<S: Sink + ?Sized>(opts: &RunOptions, sink: &S) -> bool {
    sink.reads_tcp_options()
        || opts.display_filter.is_some()
        || opts.html_evidence
        || opts.hierarchy
        || crate::render::zstats::ZTally::reads_tcp_options(&opts.zstats)
}

/// Search what no stream search reads: the payload of a frame that is not TCP (and is
/// not a fragment held for its datagram), a datagram this frame completed from fragments
/// unless it is TCP (a stream reads that), the other copies of overlapping fragments, and
/// the bytes of datagrams given up at this frame.
fn search_outside_streams(analyzer: &mut Analyzer, pkt: &RawPacket<'_>, d: &Decoded) {
    match &d.reassembled {
        Some(r) => {
            for c in &r.conflicts {
                analyzer.fragment_copy(&[c.frame], c.offset, &c.copy, true);
            }
            if !matches!(r.transport, Some(Transport::Tcp(_))) {
                let bytes = r.data.get(r.payload.clone()).unwrap_or_default();
                analyzer.search_frame_bytes(bytes, r.frame_offset(r.payload.start));
            }
        }
        None if !d.fragment_held && d.tcp().is_none() => {
            let bytes = pkt.data.get(d.payload.clone()).unwrap_or_default();
            analyzer.search_frame_bytes(bytes, d.payload.start);
        }
        None => {}
    }
    search_unreassembled(analyzer, &d.unreassembled);
}

/// The bytes of datagrams given up before they completed (see [`search_outside_streams`]).
pub(super) fn search_unreassembled(
    analyzer: &mut Analyzer,
    given_up: &[decode::defrag::Unreassembled],
) {
    for u in given_up {
        for (at, bytes) in &u.pieces {
            analyzer.fragment_copy(&u.frames, *at, bytes, false);
        }
    }
}

/// Decode a frame. An IP length claiming more than the frame held is flagged and bounded
/// (as tshark does): the claimed bytes were never sent, so they open no hole in the stream.
/// `options` (else only a SYN's) has a plain segment's TCP options decoded (see
/// [`decode::decode_without_options`]).
fn decode_frame(pkt: &RawPacket<'_>, options: bool) -> Decoded {
    let mut decoded = if options {
        decode::decode(pkt.link, pkt.data)
    } else {
        decode::decode_without_options(pkt.link, pkt.data)
    };
    decoded.bound_to_frame(pkt.len as usize);
    decoded
}

/// The bytes above the transport header the sessions read, where they start in the frame's
/// offsets, and their length on the wire: the frame's own, or those of the datagram it
/// completed from IP fragments (offsets past the frame's bytes, see
/// [`decode::defrag::Reassembled`]).
fn session_payload<'a>(d: &'a Decoded, pkt: &RawPacket<'a>) -> (&'a [u8], usize, usize) {
    match &d.reassembled {
        Some(r) => (
            r.data.get(r.payload.clone()).unwrap_or_default(),
            r.frame_offset(r.payload.start),
            r.payload.len(),
        ),
        None => (
            pkt.data.get(d.payload.clone()).unwrap_or_default(),
            d.payload.start,
            d.payload_wire_len,
        ),
    }
}

/// The UDP table's view of a UDP frame.
fn udp_datagram<'a>(d: &'a Decoded, pkt: &RawPacket<'a>, frame: u64) -> Option<UdpDatagram<'a>> {
    let Some(decode::Transport::Udp(u)) = d.session_transport() else {
        return None;
    };
    let (src, dst) = d.addrs()?;
    let (payload, payload_offset, wire_len) = session_payload(d, pkt);
    Some(UdpDatagram {
        frame,
        ts: pkt.ts,
        src: Endpoint {
            addr: src,
            port: u.src_port,
        },
        dst: Endpoint {
            addr: dst,
            port: u.dst_port,
        },
        payload,
        payload_offset,
        wire_len: u32::try_from(wire_len).unwrap_or(u32::MAX),
        frame_len: pkt.len,
    })
}

/// The flow table's view of a TCP frame.
pub fn tcp_segment<'a>(d: &'a Decoded, pkt: &RawPacket<'a>, frame: u64) -> Option<TcpSegment<'a>> {
    let Some(Transport::Tcp(t)) = d.session_transport() else {
        return None;
    };
    let (src, dst) = d.addrs()?;
    let (payload, payload_offset, wire_len) = session_payload(d, pkt);
    Some(TcpSegment {
        frame,
        ts: pkt.ts,
        src: Endpoint {
            addr: src,
            port: t.src_port,
        },
        dst: Endpoint {
            addr: dst,
            port: t.dst_port,
        },
        seq: t.seq,
        ack: t.ack,
        flags: t.flags,
        window: t.window,
        window_scale: t.window_scale(),
        sacked: t.sacked(),
        payload,
        payload_offset,
        wire_len: u32::try_from(wire_len).unwrap_or(u32::MAX),
        frame_len: pkt.len,
    })
}
