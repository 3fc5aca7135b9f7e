//! Renderers: summary lines, layered tree, hex dump, JSON, tables. Each writes to a writer
//! it is given; colour is decided once, at the edge, and handed in as a [`color::Palette`].

pub mod color;
/// Moved below every stage ([`crate::present`]); kept reachable here.
pub use crate::present::{escape, tree};
pub mod conversations;
pub mod ecs;
pub mod expert;
pub mod export_objects;
pub mod follow;
pub mod follow_http;
pub mod frame;
pub mod hexdump;
pub mod hierarchy;
pub mod html;
pub mod info;
pub mod iostat;
pub mod json;
pub mod layers;
pub mod manpage;
pub mod output;
#[cfg(feature = "parquet")]
pub mod parquet;
pub mod payload;
pub mod progress;
pub mod records;
pub mod report;
pub mod route;
pub mod stats_tree;
pub mod summary;
pub mod table;
pub mod text;
pub mod timefmt;
pub mod zstats;

use std::io::{self, Write};

use color::Palette;
use frame::FrameView;

use crate::capture::Timestamp;
use crate::dissect::AppEvent;
use crate::event::{Event, SessionRecord, Sink};
use crate::findings::Finding;

/// The `-V` node listing what an eavesdropper learns from a frame.
fn findings_node(findings: &[crate::findings::Finding]) -> tree::TreeNode {
    let mut n = tree::TreeNode::new(format!(
        "[What an eavesdropper learns here: {} finding(s)]",
        findings.len()
    ));
    for x in findings {
        let mut c = tree::TreeNode::new(format!("[{}] {}: {}", x.severity, x.kind, x.evidence));
        c.leaf(x.explanation.clone());
        for (k, v) in &x.details {
            c.leaf(format!("{k}: {v}"));
        }
        n.children.push(c);
    }
    n
}

/// A frame's bytes with the highlighted ones and every occurrence of a masked value as `*`.
pub(crate) fn masked_bytes(
    data: &[u8],
    highlights: &[std::ops::Range<usize>],
    terms: &[String],
) -> Vec<u8> {
    let mut out = data.to_vec();
    for r in highlights {
        if let Some(s) = out.get_mut(r.clone()) {
            s.fill(b'*');
        }
    }
    // Values are looked for in the bytes as sent: a value partly starred as a secret's
    // highlight (the password inside a Basic credential) is still starred whole.
    for t in terms.iter().map(String::as_bytes).filter(|t| t.len() >= 4) {
        for p in memchr::memmem::find_iter(data, t) {
            if let Some(s) = out.get_mut(p..p + t.len()) {
                s.fill(b'*');
            }
        }
    }
    out
}

/// `--mask`: a frame's bytes and, when it completed a datagram from IP fragments, the
/// datagram's bytes, each with the leaked bytes starred ([`masked_bytes`]); a value starred
/// in the datagram is also starred in the part of it this frame carried.
pub(crate) fn masked_frame(
    f: &FrameView<'_>,
    highlights: &[std::ops::Range<usize>],
    terms: &[String],
) -> (Vec<u8>, Option<Vec<u8>>) {
    let mut data = masked_bytes(f.data, highlights, terms);
    let Some(r) = &f.decoded.reassembled else {
        return (data, None);
    };
    let dgram = masked_bytes(&r.data, &r.data_ranges(highlights), terms);
    for p in r.fragments.iter().filter(|p| p.frame == f.number) {
        for i in p.data.clone() {
            if dgram.get(i) == Some(&b'*') && r.data.get(i) != Some(&b'*') {
                if let Some(b) = data.get_mut(p.at + (i - p.data.start)) {
                    *b = b'*';
                }
            }
        }
    }
    (data, Some(dgram))
}

/// A copy of `d` whose reassembled datagram holds `data` instead (its masked bytes).
fn with_datagram(d: &crate::decode::Decoded, data: Vec<u8>) -> crate::decode::Decoded {
    let mut d = d.clone();
    if let Some(r) = &mut d.reassembled {
        r.data = data;
    }
    d
}

/// How frames are printed (chosen once, by `main`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// One summary line per frame (default).
    Lines,
    /// `-V`: the layered tree.
    Tree,
    /// `--json`: NDJSON records.
    Json,
    /// `-q`: nothing per frame.
    Quiet,
}

/// What the text formats are told once by `main`: `-x`, colours, `-t`, `-A`/`-X`.
#[derive(Debug, Clone, Copy)]
pub struct TextOptions {
    /// `-x`: the hex dump under each frame.
    pub hex: bool,
    pub pal: Palette,
    /// `-t`: the time column of summary lines, and the local offset for `a`, `ad`, `adoy`.
    pub time: (timefmt::TimeFormat, time::UtcOffset),
    /// `-A` / `-X`: the packet minus its link-level header under each line, as tcpdump.
    pub payload: payload::PayloadDump,
}

/// One output format: how each kind of event is written. The [`Printer`] holds one, chosen
/// once from the [`Mode`] (or `-T fields`), and does what every format shares (`--mask`,
/// `--findings`, flushing).
pub trait Format: Send {
    /// A displayed frame (its findings already placed by `--findings`).
    fn frame(&mut self, w: &mut dyn Write, o: &TextOptions, f: &FrameView<'_>) -> io::Result<()>;
    /// A message only the end of the capture completed.
    fn end_of_capture(
        &mut self,
        _w: &mut dyn Write,
        _o: &TextOptions,
        _e: &AppEvent,
        _ts: Timestamp,
    ) -> io::Result<()> {
        Ok(())
    }
    /// Findings printed after the last frame.
    fn findings(
        &mut self,
        _w: &mut dyn Write,
        _o: &TextOptions,
        _findings: &[Finding],
        _ts: Option<Timestamp>,
    ) -> io::Result<()> {
        Ok(())
    }
    /// `--findings end` kept at most [`MAX_DEFERRED`]: say how many more there were.
    fn findings_cut(&mut self, _w: &mut dyn Write, _dropped: u64) -> io::Result<()> {
        Ok(())
    }
    /// A session opened, had a note, or closed (only when [`Format::wants_sessions`]).
    fn session(&mut self, _w: &mut dyn Write, _r: &SessionRecord) -> io::Result<()> {
        Ok(())
    }
    /// A per-session summary raised at its close.
    fn session_summary(
        &mut self,
        _w: &mut dyn Write,
        _e: &AppEvent,
        _ts: Timestamp,
    ) -> io::Result<()> {
        Ok(())
    }
    fn wants_sessions(&self) -> bool {
        false
    }
    /// Whether [`Format::frame`] prints anything (`-q` prints nothing per frame: its
    /// frames, and their TCP options, are not looked at).
    fn prints_frames(&self) -> bool {
        true
    }
    /// The pipeline is done with a frame.
    fn frame_done(&mut self) {}
    /// Several captures in one run: from now on, records name the one they came from
    /// (JSON: `"capture": NAME`).
    fn set_capture(&mut self, _name: Option<String>) {}
    /// Whether the format wrote a record already (JSON: its first states the schema).
    fn records_started(&self) -> bool {
        false
    }
}

/// The per-frame printer: the [`Sink`] of every per-frame output format.
pub struct Printer<W: Write> {
    w: W,
    format: Box<dyn Format>,
    opts: TextOptions,
    /// Flush after every frame (a terminal, or `-l`).
    flush_each_frame: bool,
    /// `--findings`: with each frame, after all frames, or not printed.
    findings: FindingsPlacer,
    /// `--mask`: values shown as `h*****2 (7 chars)` wherever a frame's output holds them
    /// (the `--secret`s, and the secret and credential values the findings stage found).
    mask_terms: Option<Vec<String>>,
    /// `-T fields`: displayed frames are printed as these field columns.
    columns: Option<crate::display::columns::Columns>,
    /// Every format writes a frame in many small pieces (a summary line in about twenty,
    /// `-V` in hundreds): they go into this buffer and the output (whose every write takes
    /// its lock) gets the frame's text at once.
    frame_text: Vec<u8>,
}

/// A frame's text buffer larger than this after a frame is given back.
const FRAME_TEXT_KEPT: usize = 1 << 20;

/// Most findings kept for `--findings end` (the report and its counts see them all).
pub const MAX_DEFERRED: usize = 10_000;

/// Where finding lines (and JSON finding records) are printed (`--findings`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum FindingsPlacement {
    /// Under the frame that raised them (the default).
    #[default]
    Inline,
    /// After all frames.
    End,
    /// Not printed (still in --report, --fail-on-leak and -Y finding).
    Off,
}

/// Most values remembered for `--mask`.
const MAX_MASK_TERMS: usize = 1000;

/// Add values to a `--mask` list (new and non-empty ones, at most [`MAX_MASK_TERMS`]).
pub(crate) fn add_mask_terms(list: &mut Vec<String>, terms: Vec<String>) {
    for x in terms {
        if !x.is_empty() && !list.contains(&x) && list.len() < MAX_MASK_TERMS {
            list.push(x);
        }
    }
    // Longest first, so a value inside a longer one is masked as part of it.
    list.sort_by_key(|x| std::cmp::Reverse(x.len()));
}

impl<W: Write> Printer<W> {
    pub fn new(w: W, mode: Mode, hex: bool, pal: Palette) -> Self {
        let format: Box<dyn Format> = match mode {
            Mode::Lines => Box::new(text::Lines::default()),
            Mode::Tree => Box::new(text::Tree::default()),
            Mode::Json => Box::new(json::Json::default()),
            Mode::Quiet => Box::new(text::Quiet),
        };
        Printer {
            w,
            format,
            opts: TextOptions {
                hex,
                pal,
                time: (timefmt::TimeFormat::Relative, time::UtcOffset::UTC),
                payload: payload::PayloadDump::None,
            },
            flush_each_frame: false,
            findings: FindingsPlacer::default(),
            mask_terms: None,
            columns: None,
            frame_text: Vec::new(),
        }
    }

    /// `--mask`: mask these values (and those added later) in every frame's output.
    pub fn set_mask(&mut self, terms: Vec<String>) {
        self.mask_terms = Some(Vec::new());
        self.add_mask_terms(terms);
    }

    /// `--findings inline|end|off`.
    pub fn set_findings_placement(&mut self, placement: FindingsPlacement) {
        self.findings = FindingsPlacer::new(placement);
    }

    /// `-t FORMAT`; `local` is the local time zone's offset (for `a`, `ad`, `adoy`).
    pub fn set_time_format(&mut self, fmt: timefmt::TimeFormat, local: time::UtcOffset) {
        self.opts.time = (fmt, local);
    }

    /// `-A` / `-X`.
    pub fn set_payload_dump(&mut self, dump: payload::PayloadDump) {
        self.opts.payload = dump;
    }

    /// `-T fields`: displayed frames are printed as these columns (everything else as the
    /// mode prints it).
    pub fn set_columns(&mut self, columns: crate::display::columns::Columns) {
        self.columns = Some(columns);
    }

    /// Flush after every frame (on a terminal, and with `-l`), as tcpdump and tshark do.
    pub fn set_flush_each_frame(&mut self, on: bool) {
        self.flush_each_frame = on;
    }

    pub fn palette(&self) -> Palette {
        self.opts.pal
    }

    /// Whether a record was written (`--json`: the end-of-run records then need no `run`
    /// record of their own).
    pub fn records_started(&self) -> bool {
        self.format.records_started()
    }

    /// The writer, for end-of-run tables and reports.
    pub fn writer(&mut self) -> &mut W {
        &mut self.w
    }

    fn frame(&mut self, f: &FrameView<'_>) -> io::Result<()> {
        if let Some(c) = &self.columns {
            let buf = &mut self.frame_text;
            buf.clear();
            let r = c.write_frame(buf, f);
            return r.and(self.w.write_all(buf));
        }
        if !self.format.prints_frames() {
            // Nothing of the frame is printed, nor its findings (now or kept for the end).
            return Ok(());
        }
        let f = &FrameView {
            findings: self.findings.with_frame(f.findings),
            ..*f
        };
        // `--mask` with values to hide, or leaked bytes placed in this frame before any
        // value was known (by a first pass over a file).
        let Some(terms) = self
            .mask_terms
            .as_ref()
            .filter(|t| !t.is_empty() || !f.highlights.is_empty())
        else {
            let buf = &mut self.frame_text;
            buf.clear();
            let r = self.format.frame(buf, &self.opts, f);
            // What the format wrote before an error is written, as it would have been.
            let w = self.w.write_all(buf);
            if buf.capacity() > FRAME_TEXT_KEPT {
                *buf = Vec::new();
            }
            return r.and(w);
        };
        // Print into a buffer from a copy of the bytes with the leaked ones starred, then
        // mask the values wherever the text still holds them (tree, info, JSON).
        let (data, dgram) = masked_frame(f, f.highlights, terms);
        let decoded;
        let view = match dgram {
            Some(d) => {
                decoded = with_datagram(f.decoded, d);
                FrameView {
                    data: &data,
                    decoded: &decoded,
                    ..*f
                }
            }
            None => FrameView { data: &data, ..*f },
        };
        let mut buf = Vec::new();
        self.format.frame(&mut buf, &self.opts, &view)?;
        let mut text = String::from_utf8_lossy(&buf).into_owned();
        for t in terms {
            if text.contains(t.as_str()) {
                text = text.replace(t.as_str(), &crate::findings::mask_value(t));
            }
        }
        self.w.write_all(text.as_bytes())
    }

    /// Findings raised at the end of the capture (messages completed only by its end).
    fn trailing_findings(&mut self, findings: &[Finding], ts: Option<Timestamp>) -> io::Result<()> {
        let (findings, cut) = self.findings.at_end(findings);
        if cut > 0 {
            self.format.findings_cut(&mut self.w, cut)?;
        }
        self.format.findings(&mut self.w, &self.opts, &findings, ts)
    }
}

/// `--findings` as every sink applies it: which findings go with their frame, and which are
/// kept for the end of the run.
#[derive(Debug, Default)]
pub struct FindingsPlacer {
    placement: FindingsPlacement,
    /// `--findings end`: kept until the end of the run, at most [`MAX_DEFERRED`].
    deferred: Vec<Finding>,
    dropped: u64,
}

impl FindingsPlacer {
    pub fn new(placement: FindingsPlacement) -> Self {
        FindingsPlacer {
            placement,
            ..FindingsPlacer::default()
        }
    }

    /// The findings written with their frame (`--findings end` keeps the others).
    pub fn with_frame<'a>(&mut self, findings: &'a [Finding]) -> &'a [Finding] {
        match self.placement {
            FindingsPlacement::Inline => findings,
            FindingsPlacement::End => {
                self.defer(findings);
                &[]
            }
            FindingsPlacement::Off => &[],
        }
    }

    /// The findings written after the last frame, and how many `--findings end` did not
    /// keep (more than [`MAX_DEFERRED`]).
    pub fn at_end<'a>(
        &mut self,
        findings: &'a [Finding],
    ) -> (std::borrow::Cow<'a, [Finding]>, u64) {
        match self.placement {
            FindingsPlacement::Inline => (findings.into(), 0),
            FindingsPlacement::Off => ((&[][..]).into(), 0),
            FindingsPlacement::End => {
                self.defer(findings);
                (std::mem::take(&mut self.deferred).into(), self.dropped)
            }
        }
    }

    fn defer(&mut self, findings: &[Finding]) {
        for x in findings {
            if self.deferred.len() < MAX_DEFERRED {
                self.deferred.push(x.clone());
            } else {
                self.dropped += 1;
            }
        }
    }
}

impl<W: Write> Sink for Printer<W> {
    fn event(&mut self, ev: Event<'_>) -> io::Result<()> {
        match ev {
            Event::Frame(f) => self.frame(f),
            Event::FrameDone => {
                self.format.frame_done();
                if self.flush_each_frame {
                    self.w.flush()
                } else {
                    Ok(())
                }
            }
            Event::Session(r) => self.format.session(&mut self.w, r),
            Event::SessionSummary { event, ts } => {
                self.format.session_summary(&mut self.w, event, ts)
            }
            Event::EndOfCapture { event, ts } => {
                self.format
                    .end_of_capture(&mut self.w, &self.opts, event, ts)
            }
            Event::TrailingFindings { findings, ts } => self.trailing_findings(findings, ts),
            Event::Messages(_) => Ok(()),
        }
    }

    fn wants_sessions(&self) -> bool {
        self.format.wants_sessions()
    }

    fn reads_tcp_options(&self) -> bool {
        self.columns.is_some() || self.format.prints_frames()
    }

    fn set_capture(&mut self, name: Option<String>) {
        self.format.set_capture(name);
    }

    fn raw_output(&mut self) -> Option<&mut dyn Write> {
        Some(&mut self.w)
    }

    /// More values to mask (found by the findings stage); ignored unless masking.
    fn add_mask_terms(&mut self, terms: Vec<String>) {
        if let Some(t) = &mut self.mask_terms {
            add_mask_terms(t, terms);
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        self.w.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_quiet_format_leaves_tcp_options_unread() {
        let printer = |mode| Printer::new(io::sink(), mode, false, Palette::new(false));
        assert!(!printer(Mode::Quiet).reads_tcp_options());
        for mode in [Mode::Lines, Mode::Tree, Mode::Json] {
            assert!(printer(mode).reads_tcp_options(), "{mode:?}");
        }
    }
}
