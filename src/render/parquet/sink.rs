//! `--parquet` as a [`Sink`] on the event stream: each event's records go straight into the
//! typed columns of their dataset, with the `--json` field names and values (docs/json.md)
//! but no JSON text in between. Packets, sessions and findings are read from the events;
//! application messages hand over their fields themselves ([`AppMessage::fields`]).
//!
//! [`AppMessage::fields`]: crate::dissect::AppMessage::fields

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::net::IpAddr;
use std::path::Path;

use serde_json::Value;

use super::row::Row;
use super::schema::at;
use super::{Dataset, ParquetError, ParquetSink};
use crate::capture::{linktype, Timestamp};
use crate::decode::Transport as Wire;
use crate::dissect::fields::Fields;
use crate::dissect::AppEvent;
use crate::event::{Event, FrameView, SessionClose, SessionRecord, Sink};
use crate::findings::Finding;
use crate::flow::Transport;
use crate::render::json::record::{self, SessionRef};
use crate::render::json::{dir_name, frame_session, round9, stream_type, tcp_analysis, Directory};
use crate::render::{summary, FindingsPlacement, FindingsPlacer};

/// The `--parquet DIR` output of one run.
pub struct ParquetOutput {
    files: ParquetSink,
    /// The live sessions' endpoints and Community IDs.
    dir: Directory,
    findings: FindingsPlacer,
    /// The capture the records come from (escaped), in a run over several.
    capture: Option<String>,
    /// `--mask`: the values to mask (in the records of displayed frames, as `--json`).
    mask: Option<Vec<String>>,
    /// Where `--follow` writes finished streams.
    raw: Option<Box<dyn Write>>,
    addrs: AddrText,
    /// A packet's TCP flag letters, then its Info text: one buffer reused from frame to
    /// frame (no new string for each).
    text: String,
}

/// Nanoseconds since the epoch.
fn nanos(ts: Timestamp) -> Option<i64> {
    ts.secs
        .checked_mul(1_000_000_000)?
        .checked_add(i64::from(ts.nanos))
}

/// The name serde gives a unit variant (`snake_case` states and close reasons).
fn serde_name<T: serde::Serialize>(x: &T) -> Option<String> {
    match serde_json::to_value(x) {
        Ok(Value::String(s)) => Some(s),
        _ => None,
    }
}

/// Addresses as text, each formatted once (most records repeat a few).
#[derive(Default)]
struct AddrText(foldhash::HashMap<IpAddr, Box<str>>);

impl AddrText {
    /// Most addresses kept; past it the table starts again.
    const MAX: usize = 1 << 16;

    fn get(&mut self, a: IpAddr) -> &str {
        if self.0.len() >= Self::MAX && !self.0.contains_key(&a) {
            self.0.clear();
        }
        self.0.entry(a).or_insert_with(|| a.to_string().into())
    }
}

/// A record's session: its fields, or only its id (and transport).
fn session_columns(row: &mut Row<'_>, s: &SessionRef<'_>, addrs: &mut AddrText) {
    match s {
        SessionRef::Known(f) => {
            row.uint(at::SESSION, Some(f.session.into()));
            row.text(at::TRANSPORT, Some(f.transport.as_str()));
            row.text(at::SRC_IP, Some(addrs.get(f.src_ip)));
            row.uint(at::SRC_PORT, Some(f.src_port.into()));
            row.text(at::DST_IP, Some(addrs.get(f.dst_ip)));
            row.uint(at::DST_PORT, Some(f.dst_port.into()));
            row.text(at::COMMUNITY_ID, Some(f.community_id));
        }
        SessionRef::Bare { session, transport } => {
            row.uint(at::SESSION, Some((*session).into()));
            row.text(at::TRANSPORT, transport.map(Transport::as_str));
        }
    }
}

impl ParquetOutput {
    /// Write under `dir`; `capture` names the run's input (see [`ParquetSink::new`]).
    pub fn new(dir: &Path, capture: &str) -> Result<Self, ParquetError> {
        Ok(ParquetOutput {
            files: ParquetSink::new(dir, capture)?,
            dir: Directory::default(),
            findings: FindingsPlacer::default(),
            capture: None,
            mask: None,
            raw: None,
            addrs: AddrText::default(),
            text: String::new(),
        })
    }

    /// The run's memory budget (`--max-total-buffer`): the rows buffered in the open part
    /// files are held to a share of it ([`super::BUDGET_SHARE`]).
    pub fn set_memory_budget(&mut self, bytes: usize) {
        self.files.set_budget(bytes);
    }

    /// `--findings inline|end|off`.
    pub fn set_findings_placement(&mut self, placement: FindingsPlacement) {
        self.findings = FindingsPlacer::new(placement);
    }

    /// `--mask`: mask these values (and those the findings stage adds).
    pub fn set_mask(&mut self, terms: Vec<String>) {
        self.mask = Some(Vec::new());
        self.add_mask_terms(terms);
    }

    /// Where `--follow` writes the streams it finished (they are not records).
    pub fn set_raw_output(&mut self, w: Box<dyn Write>) {
        self.raw = Some(w);
    }

    /// Close the files (their footers make them readable): the rows written per dataset.
    pub fn finish(&mut self) -> Result<BTreeMap<Dataset, u64>, ParquetError> {
        self.files.finish()?;
        Ok(self.files.counts())
    }

    /// Start a row: its type and time, and the capture it came from.
    fn row<'f>(
        files: &'f mut ParquetSink,
        capture: Option<&str>,
        ty: &str,
        event: Option<&str>,
        ts: Option<i64>,
    ) -> Result<Option<Row<'f>>, ParquetError> {
        let mut row = files.row(ty, event, ts)?;
        if let (Some(r), Some(c)) = (&mut row, capture) {
            r.text(at::CAPTURE, Some(c));
        }
        Ok(row)
    }

    fn packet(&mut self, f: &FrameView<'_>, ts: Option<i64>, mask: &[String]) -> io::Result<()> {
        let Some(mut row) =
            Self::row(&mut self.files, self.capture.as_deref(), "packet", None, ts)?
        else {
            return Ok(());
        };
        row.set_mask(mask);
        let (src_ip, dst_ip) = f.decoded.addrs().unzip();
        let (src_port, dst_port) = f.decoded.ports().unzip();
        let (session, dir) = frame_session(f);
        row.uint(at::FRAME, Some(f.number));
        row.float(at::REL_TIME, round9(f.rel_time));
        row.uint(at::LEN, Some(f.len.into()));
        row.uint(at::CAPLEN, Some(f.data.len() as u64));
        row.text(at::LINK, Some(&linktype::short_name(f.link)));
        row.uint(at::LINKTYPE, Some(f.link.into()));
        row.text(at::SRC_IP, src_ip.map(|a| self.addrs.get(a)));
        row.text(at::DST_IP, dst_ip.map(|a| self.addrs.get(a)));
        row.uint(at::SRC_PORT, src_port.map(u64::from));
        row.uint(at::DST_PORT, dst_port.map(u64::from));
        if let Some((t, id)) = session {
            row.uint(at::SESSION, Some(id.into()));
            row.text(at::TRANSPORT, Some(t.as_str()));
            if let Some(cid) = self.dir.community_id(t, id) {
                row.text(at::COMMUNITY_ID, Some(cid));
            }
        }
        if let Some(d) = dir {
            row.text(at::DIR, Some(dir_name(d)));
        }
        row.text(at::PROTO, Some(&summary::protocol(f)));
        if let Some(Wire::Tcp(t)) = f.decoded.session_transport() {
            self.text.clear();
            summary::push_flag_letters(&mut self.text, t.flags);
            row.text(at::TCP_FLAGS, Some(&self.text));
        }
        row.uint(
            at::PAYLOAD_LEN,
            Some(f.decoded.session_payload_len() as u64),
        );
        if let Some(n) = f.decoded.ip_length_claimed {
            row.uint("ip_length_claimed", Some(n as u64));
        }
        if let Some(t) = f.tcp {
            row.uint(at::SEQ, Some(t.seg.rel_seq.into()));
            row.uint(at::ACK, Some(t.seg.rel_ack.into()));
            let labels = tcp_analysis(f);
            if !labels.is_empty() {
                row.labels(at::TCP_ANALYSIS, &labels);
            }
        }
        self.text.clear();
        summary::push_info(&mut self.text, f);
        row.text(at::INFO, Some(&self.text));
        if let Some(s) = &f.decoded.stopped {
            let m = record::Malformed {
                layer: s.layer,
                offset: s.offset,
                reason: crate::render::escape::escape_str(&s.reason),
            };
            row.value("malformed", serde_json::to_value(&m).unwrap_or_default());
        }
        Ok(row.end()?)
    }

    /// An application message's record: the envelope, then the message's own fields.
    fn app(&mut self, e: &AppEvent, ts: Option<i64>, mask: &[String]) -> io::Result<()> {
        let mut pending = AppRow {
            state: State::Waiting(&mut self.files),
            capture: self.capture.as_deref(),
            session: self.dir.reference(e.transport, e.stream, Some(e.dir)),
            addrs: &mut self.addrs,
            e,
            ts,
            mask,
            error: None,
        };
        e.msg.fields(&mut pending);
        if let Some(err) = pending.error {
            return Err(err.into());
        }
        match pending.state {
            State::Open(row) => Ok(row.end()?),
            _ => Ok(()),
        }
    }

    fn findings(
        &mut self,
        findings: &[Finding],
        frame: Option<&FrameView<'_>>,
        ts: Option<i64>,
        mask: &[String],
    ) -> io::Result<()> {
        for x in findings {
            let session = self.dir.of_finding(x, frame);
            let r = record::Finding::new("", x, session);
            let Some(mut row) =
                Self::row(&mut self.files, self.capture.as_deref(), r.ty, None, ts)?
            else {
                continue;
            };
            row.set_mask(mask);
            if let Some(s) = &r.session {
                session_columns(&mut row, s, &mut self.addrs);
            }
            row.text("kind", Some(r.kind));
            row.text("severity", Some(r.severity));
            row.uints(at::FRAMES, Some(r.frames));
            row.text("evidence", Some(r.evidence));
            row.text("explanation", Some(r.explanation));
            row.uint("count", Some(r.count));
            if let Some(n) = r.first_frame {
                row.uint("first_frame", Some(n));
            }
            if let Some(n) = r.last_frame {
                row.uint("last_frame", Some(n));
            }
            if !r.offsets.is_empty() {
                row.uints("offsets", Some(r.offsets));
            }
            if !r.details.is_empty() {
                row.value(
                    "details",
                    serde_json::to_value(&r.details).unwrap_or_default(),
                );
            }
            row.end()?;
        }
        Ok(())
    }

    fn session_close(&mut self, c: &SessionClose) -> io::Result<()> {
        let s = &c.summary;
        let Some(mut row) = Self::row(
            &mut self.files,
            self.capture.as_deref(),
            stream_type(c.transport),
            Some("close"),
            nanos(s.end),
        )?
        else {
            return Ok(());
        };
        row.text("event", Some("close"));
        if let Some(f) = self.dir.fields(c.transport, s.stream, None) {
            session_columns(&mut row, &SessionRef::Known(f), &mut self.addrs);
        }
        row.uint("packets_to_server", Some(s.packets_to_server));
        row.uint("bytes_to_server", Some(s.bytes_to_server));
        row.uint("packets_to_client", Some(s.packets_to_client));
        row.uint("bytes_to_client", Some(s.bytes_to_client));
        row.uint("payload_to_server", Some(s.payload_to_server));
        row.uint("payload_to_client", Some(s.payload_to_client));
        row.uint("first_frame", Some(s.first_frame));
        row.uint("last_frame", Some(s.last_frame));
        row.nanos("start", nanos(s.start));
        row.nanos("end", nanos(s.end));
        row.float(
            "rel_start",
            round9(s.start.since(c.capture_start.unwrap_or(s.start))),
        );
        row.float("duration", round9(s.end.since(s.start)));
        row.text("state", serde_name(&s.state).as_deref());
        row.text("close_reason", serde_name(&s.close_reason).as_deref());
        row.flag("syn_seen", s.syn_seen);
        row.text("protocol", Some(c.protocol.unwrap_or("")));
        Ok(row.end()?)
    }

    fn frame(&mut self, f: &FrameView<'_>) -> io::Result<()> {
        let ts = nanos(f.ts);
        let findings = self.findings.with_frame(f.findings);
        // The mask values are lent to the rows (and given back after).
        let mask = self.mask.as_mut().map(std::mem::take).unwrap_or_default();
        let r = self.frame_records(f, findings, ts, &mask);
        if let Some(m) = &mut self.mask {
            *m = mask;
        }
        r
    }

    /// A displayed frame's records: the packet, the messages it completed, its findings.
    fn frame_records(
        &mut self,
        f: &FrameView<'_>,
        findings: &[Finding],
        ts: Option<i64>,
        mask: &[String],
    ) -> io::Result<()> {
        self.packet(f, ts, mask)?;
        for e in f.app {
            self.app(e, ts, mask)?;
        }
        self.findings(findings, Some(f), ts, mask)
    }
}

/// An application record waiting for its type (the message gives it first).
enum State<'a> {
    Waiting(&'a mut ParquetSink),
    Open(Row<'a>),
    /// A record of no dataset, or its row could not be started.
    Skipped,
}

/// A message's fields on their way to their row: the row is started when its type is
/// known, with the envelope `--json` gives every application record.
struct AppRow<'a> {
    state: State<'a>,
    capture: Option<&'a str>,
    session: SessionRef<'a>,
    addrs: &'a mut AddrText,
    e: &'a AppEvent,
    ts: Option<i64>,
    mask: &'a [String],
    error: Option<ParquetError>,
}

impl AppRow<'_> {
    fn row(&mut self) -> Option<&mut dyn Fields> {
        match &mut self.state {
            State::Open(row) => Some(row),
            _ => None,
        }
    }
}

impl Fields for AppRow<'_> {
    fn kind(&mut self, ty: &str) {
        let State::Waiting(files) = std::mem::replace(&mut self.state, State::Skipped) else {
            return;
        };
        let mut row = match ParquetOutput::row(files, self.capture, ty, None, self.ts) {
            Ok(Some(row)) => row,
            Ok(None) => return,
            Err(e) => {
                self.error = Some(e);
                return;
            }
        };
        row.set_mask(self.mask);
        session_columns(&mut row, &self.session, self.addrs);
        row.text(at::DIR, Some(dir_name(self.e.dir)));
        row.uint(at::FRAME, Some(self.e.frame));
        row.uints(at::FRAMES, Some(&self.e.frames));
        row.text(at::LAYER, Some(self.e.layer.as_str()));
        self.state = State::Open(row);
    }
    fn text(&mut self, name: &str, v: Option<String>) {
        if let Some(r) = self.row() {
            r.text(name, v);
        }
    }
    fn uint(&mut self, name: &str, v: Option<u64>) {
        if let Some(r) = self.row() {
            r.uint(name, v);
        }
    }
    fn flag(&mut self, name: &str, v: bool) {
        if let Some(r) = self.row() {
            r.flag(name, v);
        }
    }
    fn pairs(&mut self, name: &str, v: &mut dyn Iterator<Item = (&str, &str)>) {
        if let Some(r) = self.row() {
            r.pairs(name, v);
        }
    }
    fn json(&mut self, name: &str, v: Value) {
        if let Some(r) = self.row() {
            r.json(name, v);
        }
    }
    fn wire(&mut self, name: &str, v: Option<&[u8]>) {
        if let Some(r) = self.row() {
            r.wire(name, v);
        }
    }
    fn wire_pairs(&mut self, name: &str, v: &mut dyn Iterator<Item = (&str, &[u8])>) {
        if let Some(r) = self.row() {
            r.wire_pairs(name, v);
        }
    }
    fn uints(&mut self, name: &str, v: &mut dyn Iterator<Item = u64>) {
        if let Some(r) = self.row() {
            r.uints(name, v);
        }
    }
}

impl Sink for ParquetOutput {
    fn event(&mut self, ev: Event<'_>) -> io::Result<()> {
        match ev {
            Event::Frame(f) => self.frame(f),
            Event::FrameDone => {
                self.dir.frame_done();
                Ok(())
            }
            Event::Session(r) => {
                self.dir.session(r);
                match r {
                    SessionRecord::Close(c) => self.session_close(c),
                    _ => Ok(()),
                }
            }
            Event::SessionSummary { event, ts } | Event::EndOfCapture { event, ts } => {
                self.app(event, nanos(ts), &[])
            }
            Event::TrailingFindings { findings, ts } => {
                let (findings, _cut) = self.findings.at_end(findings);
                self.findings(&findings, None, ts.and_then(nanos), &[])
            }
            Event::Messages(_) => Ok(()),
        }
    }

    fn wants_sessions(&self) -> bool {
        true
    }

    fn set_capture(&mut self, name: Option<String>) {
        self.capture = name.map(|n| crate::render::escape::escape_str(&n));
    }

    fn raw_output(&mut self) -> Option<&mut dyn Write> {
        self.raw.as_deref_mut().map(|w| w as &mut dyn Write)
    }

    fn add_mask_terms(&mut self, terms: Vec<String>) {
        if let Some(t) = &mut self.mask {
            crate::render::add_mask_terms(t, terms);
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}
