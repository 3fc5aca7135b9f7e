//! Renderers: summary lines, layered tree, hex dump, JSON, tables. Each writes to a writer
//! it is given; colour is decided once, at the edge, and handed in as a [`color::Palette`].

pub mod color;
/// Moved below every stage ([`crate::present`]); kept reachable here.
pub use crate::present::{escape, tree};
pub mod conversations;
pub mod ecs;
pub mod follow;
pub mod follow_http;
pub mod frame;
pub mod hexdump;
pub mod hierarchy;
pub mod html;
pub mod info;
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
pub mod summary;
pub mod table;
pub mod timefmt;

use std::io::{self, Write};

use color::Palette;
use frame::FrameView;

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
    for t in terms.iter().map(String::as_bytes).filter(|t| t.len() >= 4) {
        let mut i = 0;
        while let Some(p) = out
            .get(i..)
            .and_then(|h| h.windows(t.len()).position(|w| w == t))
        {
            if let Some(s) = out.get_mut(i + p..i + p + t.len()) {
                s.fill(b'*');
            }
            i += p + t.len();
        }
    }
    out
}

/// How frames are printed.
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

/// The per-frame printer.
pub struct Printer<W: Write> {
    w: W,
    mode: Mode,
    hex: bool,
    pal: Palette,
    printed_any: bool,
    /// Flush after every frame (a terminal, or `-l`).
    flush_each_frame: bool,
    /// `-t`: the time column of summary lines, and the local offset for `a`, `ad`, `adoy`.
    time: (timefmt::TimeFormat, time::UtcOffset),
    /// The previous displayed frame's time (`-t dd`).
    prev_displayed: Option<crate::capture::Timestamp>,
    /// `-A` / `-X`: the packet minus its link-level header under each line, as tcpdump.
    payload: payload::PayloadDump,
    /// `--findings`: with each frame, after all frames, or not printed.
    findings: FindingsPlacement,
    /// `--findings end`: kept until the end of the run.
    deferred: Vec<crate::findings::Finding>,
    deferred_dropped: u64,
    /// `--mask`: values shown as `h*****2 (7 chars)` wherever a frame's output holds them
    /// (the `--secret`s, and the secret and credential values the findings stage found).
    mask_terms: Option<Vec<String>>,
    /// `,"capture":"NAME"`, closing each JSON record of a run over several captures.
    capture_field: Option<String>,
}

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

impl<W: Write> Printer<W> {
    pub fn new(w: W, mode: Mode, hex: bool, pal: Palette) -> Self {
        Printer {
            w,
            mode,
            hex,
            pal,
            printed_any: false,
            flush_each_frame: false,
            time: (timefmt::TimeFormat::Relative, time::UtcOffset::UTC),
            prev_displayed: None,
            payload: payload::PayloadDump::None,
            findings: FindingsPlacement::Inline,
            deferred: Vec::new(),
            deferred_dropped: 0,
            mask_terms: None,
            capture_field: None,
        }
    }

    /// `--mask`: mask these values (and those added later) in every frame's output.
    pub fn set_mask(&mut self, terms: Vec<String>) {
        self.mask_terms = Some(Vec::new());
        self.add_mask_terms(terms);
    }

    /// More values to mask (found by the findings stage); ignored unless masking.
    pub fn add_mask_terms(&mut self, terms: Vec<String>) {
        if let Some(t) = &mut self.mask_terms {
            for x in terms {
                if !x.is_empty() && !t.contains(&x) && t.len() < MAX_MASK_TERMS {
                    t.push(x);
                }
            }
            // Longest first, so a value inside a longer one is masked as part of it.
            t.sort_by_key(|x| std::cmp::Reverse(x.len()));
        }
    }

    /// `--findings inline|end|off`.
    pub fn set_findings_placement(&mut self, placement: FindingsPlacement) {
        self.findings = placement;
    }

    /// `-t FORMAT`; `local` is the local time zone's offset (for `a`, `ad`, `adoy`).
    pub fn set_time_format(&mut self, fmt: timefmt::TimeFormat, local: time::UtcOffset) {
        self.time = (fmt, local);
    }

    /// `-A` / `-X`.
    pub fn set_payload_dump(&mut self, dump: payload::PayloadDump) {
        self.payload = dump;
    }

    /// Flush after every frame (on a terminal, and with `-l`), as tcpdump and tshark do.
    pub fn set_flush_each_frame(&mut self, on: bool) {
        self.flush_each_frame = on;
    }

    /// The pipeline is done with a frame: its lines leave now when flushing per frame.
    pub fn frame_done(&mut self) -> io::Result<()> {
        if self.flush_each_frame {
            self.w.flush()
        } else {
            Ok(())
        }
    }

    pub fn mode(&self) -> Mode {
        self.mode
    }

    pub fn palette(&self) -> Palette {
        self.pal
    }

    /// The writer, for end-of-run tables and reports.
    pub fn writer(&mut self) -> &mut W {
        &mut self.w
    }

    pub fn frame(&mut self, f: &FrameView<'_>) -> io::Result<()> {
        let inline: &[crate::findings::Finding] = match self.findings {
            FindingsPlacement::Inline => f.findings,
            FindingsPlacement::End => {
                self.defer(f.findings);
                &[]
            }
            FindingsPlacement::Off => &[],
        };
        let f = &FrameView {
            findings: inline,
            ..*f
        };
        let Some(terms) = self.mask_terms.as_ref().filter(|t| !t.is_empty()) else {
            return self.frame_as_is(f);
        };
        // Print into a buffer from a copy of the bytes with the leaked ones starred, then
        // mask the values wherever the text still holds them (tree, info, JSON).
        let data = masked_bytes(f.data, f.highlights, terms);
        let view = FrameView { data: &data, ..*f };
        let mut inner = Printer::new(Vec::new(), self.mode, self.hex, self.pal);
        inner.printed_any = self.printed_any;
        inner.time = self.time;
        inner.prev_displayed = self.prev_displayed;
        inner.payload = self.payload;
        inner.frame_as_is(&view)?;
        self.printed_any = inner.printed_any;
        self.prev_displayed = inner.prev_displayed;
        let mut text = String::from_utf8_lossy(&inner.w).into_owned();
        for t in terms {
            if text.contains(t.as_str()) {
                text = text.replace(t.as_str(), &crate::findings::mask_value(t));
            }
        }
        self.w.write_all(text.as_bytes())
    }

    fn frame_as_is(&mut self, f: &FrameView<'_>) -> io::Result<()> {
        match self.mode {
            Mode::Quiet => Ok(()),
            Mode::Json => {
                self.json_line(&json::packet(f))?;
                for e in f.app {
                    self.json_line(&json::app_event(e))?;
                }
                for x in f.findings {
                    self.json_line(&serde_json::Value::Object(x.json()))?;
                }
                Ok(())
            }
            Mode::Lines => {
                self.line(f)?;
                self.finding_lines(f.findings)?;
                payload::write(&mut self.w, f, self.payload)?;
                if self.hex {
                    hexdump::write_hex(&mut self.w, f.data, f.highlights, self.pal)?;
                    self.w.write_all(b"\n")?;
                    self.decrypted_dumps(f, true)?;
                }
                Ok(())
            }
            Mode::Tree => {
                if self.printed_any {
                    self.w.write_all(b"\n")?;
                }
                self.printed_any = true;
                for node in layers::frame_tree(f) {
                    node.write_to(&mut self.w, 0)?;
                }
                if !f.findings.is_empty() {
                    findings_node(f.findings).write_to(&mut self.w, 0)?;
                }
                if self.hex {
                    self.w.write_all(b"\n")?;
                    hexdump::write_hex(&mut self.w, f.data, f.highlights, self.pal)?;
                    self.decrypted_dumps(f, false)?;
                }
                Ok(())
            }
        }
    }

    /// `-x`: after the frame's bytes, each TLS record this frame completed that was decrypted
    /// with the session keys, as tshark prints its "Decrypted TLS" data source.
    fn decrypted_dumps(&mut self, f: &FrameView<'_>, blank_after: bool) -> io::Result<()> {
        for e in f.app {
            if let Some(t) = e.msg.tls() {
                if let Some(plain) = &t.plaintext {
                    if !blank_after {
                        self.w.write_all(b"\n")?;
                    }
                    writeln!(self.w, "Decrypted TLS ({} bytes):", plain.len())?;
                    hexdump::write_hex(&mut self.w, plain, &[], self.pal)?;
                    if blank_after {
                        self.w.write_all(b"\n")?;
                    }
                }
            }
        }
        Ok(())
    }

    fn line(&mut self, f: &FrameView<'_>) -> io::Result<()> {
        let (src, dst) = summary::addresses(f);
        let proto = summary::protocol(f);
        let info = summary::info(f);
        let p = self.pal;
        let times = timefmt::FrameTimes {
            ts: f.ts,
            relative: f.rel_time,
            delta: f.delta,
            delta_displayed: self.prev_displayed.map(|p| f.ts.since(p)).unwrap_or(0.0),
        };
        self.prev_displayed = Some(f.ts);
        let time = timefmt::format(self.time.0, &times, self.time.1);
        writeln!(
            self.w,
            "{:>5} {} {} → {} {}{}{}{} {} {}",
            f.number,
            time,
            src,
            dst,
            p.bold(),
            p.proto(&proto),
            proto,
            p.reset(),
            f.len,
            info
        )
    }

    /// Application events raised outside any frame (at the end of the capture).
    pub fn trailing_events(&mut self, events: &[crate::dissect::AppEvent]) -> io::Result<()> {
        match self.mode {
            Mode::Quiet => Ok(()),
            Mode::Json => {
                for e in events {
                    self.json_line(&json::app_event(e))?;
                }
                Ok(())
            }
            Mode::Lines => {
                // Messages that only the end of the capture completed (e.g. a response whose
                // body runs to the connection's close, never seen closing).
                for e in events.iter().filter(|e| e.msg.http().is_some()) {
                    writeln!(
                        self.w,
                        "    - [end of capture, stream {}] {} {}",
                        e.stream,
                        e.msg.protocol(),
                        e.msg.info()
                    )?;
                }
                Ok(())
            }
            Mode::Tree => {
                for e in events {
                    writeln!(
                        self.w,
                        "\n[End of capture: completed in stream {}]",
                        e.stream
                    )?;
                    e.msg.tree().write_to(&mut self.w, 0)?;
                }
                Ok(())
            }
        }
    }

    /// Keep findings for the end of the run (`--findings end`), at most [`MAX_DEFERRED`].
    fn defer(&mut self, findings: &[crate::findings::Finding]) {
        for x in findings {
            if self.deferred.len() < MAX_DEFERRED {
                self.deferred.push(x.clone());
            } else {
                self.deferred_dropped += 1;
            }
        }
    }

    /// Findings under a summary line: `      ⚠ [high] secret_in_clear …`.
    fn finding_lines(&mut self, findings: &[crate::findings::Finding]) -> io::Result<()> {
        for x in findings
            .iter()
            .filter(|x| x.severity >= crate::findings::Severity::Low)
        {
            let p = self.pal;
            let c = if x.severity >= crate::findings::Severity::High {
                p.red()
            } else {
                p.yellow()
            };
            writeln!(self.w, "      {c}⚠ {}{}", x.line(), p.reset())?;
        }
        Ok(())
    }

    /// Findings raised at the end of the capture (messages completed only by its end).
    pub fn trailing_findings(&mut self, findings: &[crate::findings::Finding]) -> io::Result<()> {
        let deferred;
        let findings = match self.findings {
            FindingsPlacement::Inline => findings,
            FindingsPlacement::Off => &[],
            FindingsPlacement::End => {
                self.defer(findings);
                deferred = std::mem::take(&mut self.deferred);
                if self.deferred_dropped > 0 && self.mode != Mode::Json && self.mode != Mode::Quiet
                {
                    writeln!(
                        self.w,
                        "[{} more findings not listed here (at most {MAX_DEFERRED} are kept); the report counts them all]",
                        self.deferred_dropped
                    )?;
                }
                &deferred[..]
            }
        };
        match self.mode {
            Mode::Quiet => Ok(()),
            Mode::Json => {
                for x in findings {
                    self.json_line(&serde_json::Value::Object(x.json()))?;
                }
                Ok(())
            }
            Mode::Lines => self.finding_lines(findings),
            Mode::Tree => {
                if findings.is_empty() {
                    Ok(())
                } else {
                    findings_node(findings).write_to(&mut self.w, 0)
                }
            }
        }
    }

    /// Per-stream summaries raised at close: JSON records only.
    pub fn stream_summaries(&mut self, events: &[crate::dissect::AppEvent]) -> io::Result<()> {
        if self.mode == Mode::Json {
            for e in events {
                self.json_line(&json::app_event(e))?;
            }
        }
        Ok(())
    }

    /// One NDJSON line.
    pub fn json_line(&mut self, v: &serde_json::Value) -> io::Result<()> {
        if self.capture_field.is_some() && v.is_object() {
            return self.json_raw_line(&v.to_string());
        }
        serde_json::to_writer(&mut self.w, v).map_err(io::Error::from)?;
        self.w.write_all(b"\n")
    }

    /// One NDJSON line already serialised (an object).
    pub fn json_raw_line(&mut self, line: &str) -> io::Result<()> {
        self.w
            .write_all(line.strip_suffix('}').unwrap_or(line).as_bytes())?;
        if !line.ends_with('}') {
            return self.w.write_all(b"\n");
        }
        self.end_json_line()
    }

    /// Close a JSON object written without its last `}`: a run over several captures adds
    /// the `capture` the record came from.
    fn end_json_line(&mut self) -> io::Result<()> {
        if let Some(c) = &self.capture_field {
            self.w.write_all(c.as_bytes())?;
        }
        self.w.write_all(b"}\n")
    }

    /// Several captures in one run: JSON records carry `"capture": NAME` from now on.
    pub fn set_capture(&mut self, name: Option<String>) {
        self.capture_field = name.map(|n| {
            format!(
                ",\"capture\":{}",
                serde_json::Value::String(crate::present::escape::escape_str(&n))
            )
        });
    }

    pub fn flush(&mut self) -> io::Result<()> {
        self.w.flush()
    }
}
