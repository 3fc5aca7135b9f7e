//! The one-way pipeline: capture → decode → flow → dissect → (findings) → render.
//!
//! [`Pipeline::run`] pulls packets from a [`Source`], applies the capture filter to replayed
//! files, writes `-w`, decodes, hands TCP segments to the flow table, lets the dispatcher
//! dissect what the reassembler delivers, and prints each frame with what it completed.

use std::collections::HashMap;
use std::io::Write;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::capture::live::{LiveRead, LiveSource, LiveStats};
use crate::capture::writer::PcapWriter;
use crate::capture::{filter::OfflineFilter, CaptureError, FileSource, RawPacket, Timestamp};
use crate::decode::{self, Decoded, Transport};
use crate::dissect::dispatch::{AppProto, Dispatcher};
use crate::dissect::{AppEvent, DissectConfig};
use crate::flow::{
    ConversationSummary, Endpoint, FlowConfig, FlowTable, StreamEvent, StreamId, StreamSink, TcpSegment,
};
use crate::render::frame::{FrameView, TcpView};
use crate::render::{Mode, Printer};

/// Where packets come from.
pub enum Source {
    File(Box<FileSource>),
    Live(Box<LiveSource>),
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
    /// `-U`: flush the `-w` file after every packet.
    pub packet_buffered: bool,
    pub flow: FlowConfig,
    pub dissect: DissectConfig,
    /// Keep conversation summaries for `--conversations`.
    pub keep_conversations: bool,
}

/// What a run did.
#[derive(Debug, Default)]
pub struct RunStats {
    pub frames: u64,
    /// Packets read from the source before the capture filter.
    pub read: u64,
    pub first_ts: Option<Timestamp>,
    pub last_ts: Option<Timestamp>,
    pub live: Option<LiveStats>,
    pub written: u64,
    pub write_skipped_other_link: u64,
    pub conversations: Vec<(ConversationSummary, AppProto)>,
    pub flow: crate::flow::FlowStats,
    /// An error of the input that ended the run early (truncated or corrupt file).
    pub input_error: Option<CaptureError>,
    /// Stopped by Ctrl-C / SIGTERM.
    pub interrupted: bool,
}

/// Errors that end a run.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error(transparent)]
    Capture(#[from] CaptureError),
    #[error("output: {0}")]
    Output(#[from] std::io::Error),
}

/// Receives the reassembler's events during one frame: dissects, and keeps what the run
/// wants (conversation summaries, JSON stream records).
struct Sinks<'a> {
    dispatcher: &'a mut Dispatcher,
    keep_conversations: bool,
    json: bool,
    conversations: &'a mut Vec<(ConversationSummary, AppProto)>,
    stream_records: &'a mut Vec<serde_json::Value>,
    window_scale: &'a mut HashMap<StreamId, WindowScale>,
}

impl StreamSink for Sinks<'_> {
    fn event(&mut self, now_frame: u64, ev: StreamEvent<'_>) {
        let closed = self.dispatcher.on_event(now_frame, &ev);
        match &ev {
            StreamEvent::Open { stream, client, server, frame, ts } if self.json => {
                self.stream_records.push(serde_json::json!({
                    "type": "tcp.stream", "event": "open", "stream": stream,
                    "client": client.to_string(), "server": server.to_string(),
                    "frame": frame, "ts": ts.as_f64(),
                }));
            }
            StreamEvent::Note { stream, dir, note, frame } if self.json => {
                self.stream_records.push(serde_json::json!({
                    "type": "tcp.note", "stream": stream,
                    "dir": dir.map(crate::render::json::dir_name),
                    "note": format!("{note:?}"), "frame": frame,
                }));
            }
            StreamEvent::Close { stream, summary } => {
                self.window_scale.remove(stream);
                let proto = closed.unwrap_or(AppProto::Unknown);
                if self.json {
                    let mut v = serde_json::to_value(summary).unwrap_or_default();
                    if let Some(m) = v.as_object_mut() {
                        m.insert("type".into(), "tcp.stream".into());
                        m.insert("event".into(), "close".into());
                        m.insert("client".into(), summary.client.to_string().into());
                        m.insert("server".into(), summary.server.to_string().into());
                        m.insert("protocol".into(), proto.label().into());
                    }
                    self.stream_records.push(v);
                }
                if self.keep_conversations {
                    self.conversations.push((summary.clone(), proto));
                }
            }
            _ => {}
        }
    }
}

/// Window scale factors seen in each side's SYN: `None` until seen.
#[derive(Debug, Default, Clone, Copy)]
struct WindowScale {
    /// Per direction (index by `Direction::index`): `Some(shift)` from SYN, `Some(None)` = SYN
    /// without the option.
    syn: [Option<Option<u8>>; 2],
}

impl WindowScale {
    fn factor(&self, dir: usize) -> Option<u32> {
        match (self.syn[0], self.syn[1]) {
            (Some(Some(_)), Some(Some(_))) => self.syn[dir].flatten().map(|s| 1u32 << u32::from(s).min(14)),
            (Some(_), Some(_)) => Some(1),
            _ => None,
        }
    }
}

/// Run the pipeline over `src`, printing with `printer`, until the source ends, `-c` is
/// reached, or `stop` is set (Ctrl-C / SIGTERM).
pub fn run<W: Write>(
    src: &mut Source,
    opts: &RunOptions,
    printer: &mut Printer<W>,
    stop: &AtomicBool,
) -> Result<RunStats, RunError> {
    let mut stats = RunStats::default();
    let mut flows = FlowTable::new(opts.flow.clone());
    let mut dispatcher = Dispatcher::new(opts.dissect.clone());
    let mut stream_records: Vec<serde_json::Value> = Vec::new();
    let mut window_scale: HashMap<StreamId, WindowScale> = HashMap::new();
    let json = printer.mode() == Mode::Json;

    let mut filter = match (&opts.file_filter, &*src) {
        (Some(expr), Source::File(f)) => Some(OfflineFilter::new(expr, f.first_link().unwrap_or(1))?),
        _ => None,
    };
    let mut writer: Option<PcapWriter> = match (&opts.write, &*src) {
        (Some(path), Source::Live(l)) => {
            Some(PcapWriter::from_savefile(path, l.savefile(path)?, l.link(), opts.packet_buffered))
        }
        _ => None,
    };
    let nanos_file = match &*src {
        Source::File(_) => true,
        Source::Live(_) => false,
    };
    let mut prev_ts: Option<Timestamp> = None;
    let snaplen = match &*src {
        Source::File(f) => f.info().snaplen,
        Source::Live(_) => 0,
    };

    loop {
        if stop.load(Ordering::Relaxed) {
            stats.interrupted = true;
            break;
        }
        if let Some(c) = opts.count {
            if stats.frames >= c {
                break;
            }
        }
        let (pkt, iface_name): (RawPacket<'_>, Option<String>) = match src {
            Source::File(f) => match f.next_packet() {
                Ok(Some(p)) => {
                    let name = None;
                    (p, name)
                }
                Ok(None) => break,
                Err(e) => {
                    stats.input_error = Some(e);
                    break;
                }
            },
            Source::Live(l) => {
                let name = Some(l.name().to_string());
                match l.next_packet() {
                    Ok(LiveRead::Packet(p)) => (p, name),
                    Ok(LiveRead::Timeout) => continue,
                    Err(e) => {
                        stats.input_error = Some(e);
                        break;
                    }
                }
            }
        };
        stats.read += 1;
        if let Some(f) = filter.as_mut() {
            match f.matches(pkt.link, pkt.data) {
                Ok(true) => {}
                Ok(false) => continue,
                Err(_) => continue,
            }
        }
        if let Some(path) = &opts.write {
            if writer.is_none() {
                writer = Some(PcapWriter::create(path, pkt.link, snaplen, opts.packet_buffered)?);
            }
            if let Some(w) = writer.as_mut() {
                w.write(&pkt, nanos_file)?;
            }
        }
        stats.frames += 1;
        let number = stats.frames;
        let first = *stats.first_ts.get_or_insert(pkt.ts);
        stats.last_ts = Some(pkt.ts);
        let delta = prev_ts.map(|p| pkt.ts.since(p)).unwrap_or(0.0);
        prev_ts = Some(pkt.ts);

        let decoded = decode::decode(pkt.link, pkt.data);
        let mut sinks = Sinks {
            dispatcher: &mut dispatcher,
            keep_conversations: opts.keep_conversations,
            json,
            conversations: &mut stats.conversations,
            stream_records: &mut stream_records,
            window_scale: &mut window_scale,
        };
        flows.advance(pkt.ts, &mut sinks);
        let tcp_view = tcp_segment(&decoded, &pkt, number).map(|seg| {
            let ws = seg.window_scale;
            let is_syn = seg.flags.syn();
            let raw_window = seg.window;
            let a = flows.segment(&seg, &mut sinks);
            let entry = sinks.window_scale.entry(a.stream).or_default();
            if is_syn {
                entry.syn[a.dir.index()] = Some(ws);
            }
            let factor = if is_syn { None } else { entry.factor(a.dir.index()) };
            TcpView {
                seg: a,
                scaled_window: factor.map(|f| u32::from(raw_window).saturating_mul(f)),
                scale_factor: factor,
            }
        });
        let (summaries, app): (Vec<AppEvent>, Vec<AppEvent>) =
            std::mem::take(&mut dispatcher.pending).into_iter().partition(|e| e.kind.is_stream_summary());
        for r in stream_records.drain(..) {
            printer.json_line(&r)?;
        }
        printer.stream_summaries(&summaries)?;
        let iface = iface_name.as_deref();
        let view = FrameView {
            number,
            ts: pkt.ts,
            rel_time: pkt.ts.since(first),
            delta,
            len: pkt.len,
            data: pkt.data,
            link: pkt.link,
            interface: iface,
            decoded: &decoded,
            tcp: tcp_view,
            app: &app,
            highlights: &[],
        };
        printer.frame(&view)?;
    }

    // End of input: flush the flows (holes, close-delimited bodies), then the tail events.
    {
        let mut sinks = Sinks {
            dispatcher: &mut dispatcher,
            keep_conversations: opts.keep_conversations,
            json,
            conversations: &mut stats.conversations,
            stream_records: &mut stream_records,
            window_scale: &mut window_scale,
        };
        flows.finish(&mut sinks);
    }
    let (summaries, tail): (Vec<AppEvent>, Vec<AppEvent>) =
        std::mem::take(&mut dispatcher.pending).into_iter().partition(|e| e.kind.is_stream_summary());
    printer.trailing_events(&tail)?;
    printer.stream_summaries(&summaries)?;
    for r in stream_records.drain(..) {
        printer.json_line(&r)?;
    }
    stats.flow = flows.stats().clone();
    if let Some(w) = writer.as_mut() {
        w.flush()?;
        stats.written = w.written();
        stats.write_skipped_other_link = w.skipped_other_link();
    }
    if let Source::Live(l) = src {
        stats.live = l.stats();
    }
    printer.flush()?;
    Ok(stats)
}

/// The flow table's view of a TCP frame.
fn tcp_segment<'a>(d: &Decoded, pkt: &RawPacket<'a>, frame: u64) -> Option<TcpSegment<'a>> {
    let Some(Transport::Tcp(t)) = &d.transport else { return None };
    let (src, dst) = d.addrs()?;
    Some(TcpSegment {
        frame,
        ts: pkt.ts,
        src: Endpoint { addr: src, port: t.src_port },
        dst: Endpoint { addr: dst, port: t.dst_port },
        seq: t.seq,
        ack: t.ack,
        flags: t.flags,
        window: t.window,
        window_scale: t.window_scale(),
        payload: pkt.data.get(d.payload.clone()).unwrap_or_default(),
        wire_len: d.payload_wire_len as u32,
        frame_len: pkt.len,
    })
}
