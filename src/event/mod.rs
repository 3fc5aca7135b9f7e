//! The one event model: what the pipeline hands to the output formats.
//!
//! The pipeline (capture → decode → flow → dissect → findings) raises [`Event`]s and knows
//! nothing of formats; each output format (summary lines, `-V`/`-x` tree, `--json`, `-q`)
//! is one [`Sink`] that turns them into output. Data flows one way: this module sits after
//! the findings stage and below `render/`, and imports neither `render` nor `cli`.

pub mod frame;

use std::io;

use crate::capture::Timestamp;
use crate::dissect::AppEvent;
use crate::findings::Finding;
use crate::flow::{ConversationSummary, Direction, Endpoint, FlowNote, StreamId, Transport};

pub use frame::{FrameView, TcpView};

/// A session (TCP stream or UDP conversation) was seen for the first time.
#[derive(Debug, Clone)]
pub struct SessionOpen {
    pub transport: Transport,
    pub session: StreamId,
    pub client: Endpoint,
    pub server: Endpoint,
    /// The frame that opened it.
    pub frame: u64,
    pub ts: Timestamp,
}

/// A reassembly note about a TCP stream (overlap conflict, bound hit, mid-stream pickup).
#[derive(Debug, Clone)]
pub struct SessionNote {
    pub transport: Transport,
    pub session: StreamId,
    pub dir: Option<Direction>,
    pub note: FlowNote,
    pub frame: u64,
    /// The time of the frame being processed when the note was raised.
    pub ts: Timestamp,
}

/// A session ended (closed, reset, idle, evicted, or the capture ended).
#[derive(Debug, Clone)]
pub struct SessionClose {
    pub transport: Transport,
    pub summary: ConversationSummary,
    /// The application protocol that was detected in it (`HTTP`, `TLS`, `DNS`, ...).
    pub protocol: Option<&'static str>,
    /// The capture's first frame's time (for the session's relative start).
    pub capture_start: Option<Timestamp>,
}

/// What happened to a session, in the order it happened.
#[derive(Debug, Clone)]
pub enum SessionRecord {
    Open(SessionOpen),
    Note(SessionNote),
    Close(SessionClose),
}

impl SessionRecord {
    pub fn transport(&self) -> Transport {
        match self {
            SessionRecord::Open(o) => o.transport,
            SessionRecord::Note(n) => n.transport,
            SessionRecord::Close(c) => c.transport,
        }
    }

    pub fn session(&self) -> StreamId {
        match self {
            SessionRecord::Open(o) => o.session,
            SessionRecord::Note(n) => n.session,
            SessionRecord::Close(c) => c.summary.stream,
        }
    }
}

/// One thing the pipeline tells the output formats.
#[derive(Debug, Clone, Copy)]
pub enum Event<'a> {
    /// A displayed frame, with the application messages and findings it completed.
    Frame(&'a FrameView<'a>),
    /// The pipeline is done with a frame (a flush point for per-frame flushing).
    FrameDone,
    /// A session opened, had a reassembly note, or closed (sinks that asked for them, see
    /// [`Sink::wants_sessions`]).
    Session(&'a SessionRecord),
    /// A per-session summary raised when its session closed (`tls.summary`, ...): it
    /// describes no frame. `ts` is the time of the frame being processed then.
    SessionSummary { event: &'a AppEvent, ts: Timestamp },
    /// A message only the end of the capture completed (a body that runs to a close never
    /// seen). `ts` is the last frame's time.
    EndOfCapture { event: &'a AppEvent, ts: Timestamp },
    /// The application messages a frame completed (or the end of the capture did), shown
    /// by `-Y` or not, before that frame's [`Event::Frame`]: raised only for sinks that
    /// ask ([`Sink::wants_messages`]), to export objects as tshark's taps see every frame.
    Messages(&'a [AppEvent]),
    /// Findings raised after the last frame (or kept for the end by `--findings end`).
    /// `ts` is the last frame's time.
    TrailingFindings {
        findings: &'a [Finding],
        ts: Option<Timestamp>,
    },
}

/// One output format: receives the events of a run, in order.
pub trait Sink {
    fn event(&mut self, ev: Event<'_>) -> io::Result<()>;
    /// Whether the sink prints session records (open/note/close): the pipeline only builds
    /// them when some sink does.
    fn wants_sessions(&self) -> bool {
        false
    }
    /// Whether the sink wants [`Event::Messages`] (`--export-objects`).
    fn wants_messages(&self) -> bool {
        false
    }
    /// Whether the sink may read a frame's TCP options (a frame's decoded layers reach it
    /// in [`Event::Frame`]): the pipeline leaves most segments' options undecoded when no
    /// sink does.
    fn reads_tcp_options(&self) -> bool {
        true
    }
    /// Several captures in one run: records from now on came from `name`.
    fn set_capture(&mut self, _name: Option<String>) {}
    /// The output itself, for what is streamed outside the events (`--follow` with a
    /// memory budget writes each finished stream at once).
    fn raw_output(&mut self) -> Option<&mut dyn io::Write> {
        None
    }
    /// Values the findings stage found that `--mask` hides in the output.
    fn add_mask_terms(&mut self, _terms: Vec<String>) {}
    fn flush(&mut self) -> io::Result<()>;
}
