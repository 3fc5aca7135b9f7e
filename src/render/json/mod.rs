//! `--json`: one JSON object per line (NDJSON), JSON v2 (docs/json.md, described by
//! docs/json.schema.json). Records are typed structs ([`record`]) serialised with serde.
//! Every string from the wire is escaped as for the terminal before it goes in, so the
//! output is valid JSON and safe to `cat`.

pub mod record;
pub mod write;

use std::io::{self, Write};
use std::net::IpAddr;

use foldhash::HashMap;
use serde::Serialize;

pub use record::dir_name;
use record::{SessionFields, SessionRef};

use super::frame::FrameView;
use super::{summary, Format, TextOptions};
use crate::capture::{linktype, Timestamp};
use crate::decode::Transport as Wire;
use crate::dissect::AppEvent;
use crate::event::SessionRecord;
use crate::findings::Finding;
use crate::flow::{community_id, Direction, Endpoint, StreamId, Transport};

/// What the JSON format remembers of a live session, to give its records their endpoints
/// and Community ID.
struct Known {
    client: Endpoint,
    server: Endpoint,
    community_id: Box<str>,
    /// The session's fields as JSON ([`write::session_fields`]), client → server and
    /// server → client, written once for its records (empty without [`Directory::texts`]).
    json: [Box<[u8]>; 2],
    /// The members of its packets' records from `src_ip` to `dir` ([`write::addressing`]),
    /// client → server and server → client (empty without [`Directory::texts`]).
    packet: [Box<[u8]>; 2],
}

impl Known {
    /// The sender and receiver of direction `dir`.
    fn ends(&self, dir: Direction) -> (Endpoint, Endpoint) {
        match dir {
            Direction::ToServer => (self.client, self.server),
            Direction::ToClient => (self.server, self.client),
        }
    }
}

/// The live sessions (and those closed during the current frame): what gives a record its
/// endpoints and Community ID (shared by `--json` and `--parquet`).
#[derive(Default)]
pub(crate) struct Directory {
    sessions: HashMap<(Transport, StreamId), Known>,
    closed: Vec<(Transport, StreamId)>,
    /// Keep each session's fields as JSON ([`Known::json`]): for `--json`.
    texts: bool,
    /// Where those texts are written before they are kept.
    scratch: Vec<u8>,
}

impl Directory {
    /// A directory that keeps each session's fields as JSON, for the records `--json` writes.
    fn with_texts() -> Self {
        Directory {
            texts: true,
            ..Directory::default()
        }
    }

    pub(crate) fn learn(&mut self, t: Transport, id: StreamId, client: Endpoint, server: Endpoint) {
        let Directory {
            sessions,
            texts,
            scratch,
            ..
        } = self;
        sessions.entry((t, id)).or_insert_with(|| {
            let community_id: Box<str> = community_id(t, client, server).into();
            // Each text written into the scratch buffer (grown once), then kept at its size.
            let mut keep = |write: &dyn Fn(&mut Vec<u8>)| -> Box<[u8]> {
                scratch.clear();
                if *texts {
                    write(scratch);
                }
                Box::from(scratch.as_slice())
            };
            let fields = |src, dst| SessionFields::new(t, id, src, dst, &community_id);
            let addressing = |src: Endpoint, dst: Endpoint, dir| write::Addressing {
                src_ip: Some(src.addr),
                dst_ip: Some(dst.addr),
                src_port: Some(src.port),
                dst_port: Some(dst.port),
                session: Some(id),
                transport: Some(t),
                community_id: Some(&community_id),
                dir: Some(dir_name(dir)),
            };
            let json = [
                keep(&|out| write::session_fields(out, &fields(client, server))),
                keep(&|out| write::session_fields(out, &fields(server, client))),
            ];
            let packet = [
                keep(&|out| {
                    let a = addressing(client, server, Direction::ToServer);
                    write::addressing(out, &a);
                }),
                keep(&|out| {
                    let a = addressing(server, client, Direction::ToClient);
                    write::addressing(out, &a);
                }),
            ];
            Known {
                client,
                server,
                community_id,
                json,
                packet,
            }
        });
    }

    /// A session's Community ID, while it is known.
    pub(crate) fn community_id(&self, t: Transport, id: StreamId) -> Option<&str> {
        self.sessions.get(&(t, id)).map(|k| &*k.community_id)
    }

    /// The members from `src_ip` to `dir` of a packet record, as its session keeps them
    /// written ([`Known::packet`]), when the packet's addresses and ports are the session's
    /// in direction `dir` (they are but for odd frames, such as an ICMP error about it).
    fn packet_text<'k>(
        &self,
        k: &'k Known,
        dir: Direction,
        addrs: Option<(IpAddr, IpAddr)>,
        ports: Option<(u16, u16)>,
    ) -> Option<&'k [u8]> {
        let (src, dst) = k.ends(dir);
        let [to_server, to_client] = &k.packet;
        let text = match dir {
            Direction::ToServer => to_server,
            Direction::ToClient => to_client,
        };
        let same = addrs == Some((src.addr, dst.addr)) && ports == Some((src.port, dst.port));
        (self.texts && same).then_some(&**text)
    }

    /// The session opened (open record) or closed (close record, which may be the first
    /// news of it): learn it; a closed one is forgotten at [`Directory::frame_done`].
    pub(crate) fn session(&mut self, r: &SessionRecord) {
        match r {
            SessionRecord::Open(o) => self.learn(o.transport, o.session, o.client, o.server),
            SessionRecord::Note(_) => {}
            SessionRecord::Close(c) => {
                let s = &c.summary;
                self.learn(c.transport, s.stream, s.client, s.server);
                self.closed.push((c.transport, s.stream));
            }
        }
    }

    /// Forget the sessions closed during the frame just done.
    pub(crate) fn frame_done(&mut self) {
        for k in self.closed.drain(..) {
            self.sessions.remove(&k);
        }
    }

    /// The session's fields with `src` the sender in direction `dir` (`None`: client → server).
    pub(crate) fn fields(
        &self,
        t: Transport,
        id: StreamId,
        dir: Option<Direction>,
    ) -> Option<SessionFields<'_>> {
        let k = self.sessions.get(&(t, id))?;
        let [to_server, to_client] = &k.json;
        let (src, dst, json) = match dir {
            Some(Direction::ToClient) => (k.server, k.client, to_client),
            _ => (k.client, k.server, to_server),
        };
        let mut f = SessionFields::new(t, id, src, dst, &k.community_id);
        f.json = self.texts.then_some(&**json);
        Some(f)
    }

    pub(crate) fn reference(
        &self,
        t: Transport,
        id: StreamId,
        dir: Option<Direction>,
    ) -> SessionRef<'_> {
        match self.fields(t, id, dir) {
            Some(f) => SessionRef::Known(f),
            None => SessionRef::Bare {
                session: id,
                transport: Some(t),
            },
        }
    }

    /// The session of a finding: the frame's own when the ids match, else the only live
    /// session with that id.
    pub(crate) fn of_finding(
        &self,
        f: &Finding,
        frame: Option<&FrameView<'_>>,
    ) -> Option<SessionRef<'_>> {
        let id = f.stream?;
        let from_frame = frame.and_then(|v| match (v.tcp, v.udp) {
            (Some(t), _) if t.seg.stream == id => Some(Transport::Tcp),
            (_, Some(u)) if u.session == id => Some(Transport::Udp),
            _ => None,
        });
        let transport = from_frame.or_else(|| {
            let tcp = self.sessions.contains_key(&(Transport::Tcp, id));
            let udp = self.sessions.contains_key(&(Transport::Udp, id));
            match (tcp, udp) {
                (true, false) => Some(Transport::Tcp),
                (false, true) => Some(Transport::Udp),
                _ => None,
            }
        });
        Some(match transport {
            Some(t) => self.reference(t, id, None),
            None => SessionRef::Bare {
                session: id,
                transport: None,
            },
        })
    }
}

/// The records of one event, written at once.
#[derive(Default)]
struct Out {
    /// The `run` record was written.
    started: bool,
    buf: Vec<u8>,
    /// `,"capture":NAME`: closes every record of a run over several captures.
    capture: Option<String>,
}

/// `,"capture":NAME` (escaped), the field that ends each record of a run over several
/// captures.
fn capture_field(name: &str) -> String {
    format!(
        ",\"capture\":{}",
        serde_json::Value::String(crate::present::escape::escape_str(name))
    )
}

/// Append `,"capture":NAME` inside the object that ends `buf`.
fn add_capture(buf: &mut Vec<u8>, capture: Option<&str>) {
    if let (Some(c), Some(b'}')) = (capture, buf.last()) {
        buf.pop();
        buf.extend_from_slice(c.as_bytes());
        buf.push(b'}');
    }
}

impl Out {
    /// The `run` record, once, before the first other record (a run that writes no record
    /// writes no `run` record either).
    fn start(&mut self, ts: Option<&str>) -> io::Result<()> {
        if !self.started {
            self.started = true;
            self.line(&record::Run::new(ts))?;
        }
        Ok(())
    }

    fn line<T: Serialize>(&mut self, rec: &T) -> io::Result<()> {
        serde_json::to_writer(&mut self.buf, rec).map_err(io::Error::from)?;
        add_capture(&mut self.buf, self.capture.as_deref());
        self.buf.push(b'\n');
        Ok(())
    }

    fn push<T: Serialize>(&mut self, rec: &T, ts: &str) -> io::Result<()> {
        self.start(Some(ts))?;
        self.line(rec)
    }

    /// A record written by `write` (see [`write`]) into the buffer.
    fn push_with(&mut self, ts: &str, write: impl FnOnce(&mut Vec<u8>)) -> io::Result<()> {
        self.start(Some(ts))?;
        write(&mut self.buf);
        add_capture(&mut self.buf, self.capture.as_deref());
        self.buf.push(b'\n');
        Ok(())
    }

    fn write_to(&mut self, w: &mut dyn Write) -> io::Result<()> {
        let r = w.write_all(&self.buf);
        self.buf.clear();
        r
    }
}

/// The `--json` format.
pub struct Json {
    out: Out,
    dir: Directory,
    /// The last timestamp formatted, and its text.
    ts: Option<(Timestamp, String)>,
    clock: crate::present::time::Rfc3339Nanos,
    /// The fields of the application record being written.
    body: write::Body,
    /// The last link type named, its name, and the packet record's members for it
    /// ([`write::link`]).
    link: Option<(u32, String, Vec<u8>)>,
    /// The packet's Info text and TCP flag letters: buffers reused from frame to frame.
    info: String,
    flags: String,
}

impl Default for Json {
    fn default() -> Self {
        Json {
            out: Out::default(),
            dir: Directory::with_texts(),
            ts: None,
            clock: Default::default(),
            body: write::Body::default(),
            link: None,
            info: String::new(),
            flags: String::new(),
        }
    }
}

impl Json {
    /// The RFC 3339 text of `ts` (formatted once per frame).
    fn ts(&mut self, ts: Timestamp) -> String {
        self.ts_text(ts).to_string()
    }

    /// The RFC 3339 text of `ts`, formatted into the kept buffer unless it holds it.
    fn ts_text(&mut self, ts: Timestamp) -> &str {
        let (t, text) = self.ts.get_or_insert_with(|| (ts, String::new()));
        if *t != ts || text.is_empty() {
            *t = ts;
            self.clock.format_into(ts, text);
        }
        text
    }

    fn app(&mut self, e: &AppEvent, ts: &str) -> io::Result<()> {
        self.body.clear();
        e.msg.fields(&mut self.body);
        let rec = record::App {
            ts,
            session: self.dir.reference(e.transport, e.stream, Some(e.dir)),
            dir: e.dir,
            frame: e.frame,
            frames: &e.frames,
            layer: e.layer.as_str(),
        };
        let body = &mut self.body;
        self.out.push_with(ts, |buf| write::app(buf, &rec, body))
    }

    fn findings(
        &mut self,
        findings: &[Finding],
        frame: Option<&FrameView<'_>>,
        ts: &str,
    ) -> io::Result<()> {
        for x in findings {
            let rec = record::Finding::new(ts, x, self.dir.of_finding(x, frame));
            self.out.push_with(ts, |buf| write::finding(buf, &rec))?;
        }
        Ok(())
    }
}

impl Json {
    /// A frame's records into the buffer, with `ts` its time's text.
    fn frame_records(&mut self, f: &FrameView<'_>, ts: &str) -> io::Result<()> {
        let (addrs, ports) = (f.decoded.addrs(), f.decoded.ports());
        let (src_ip, dst_ip) = addrs.unzip();
        let (src_port, dst_port) = ports.unzip();
        let (session, dir) = frame_session(f);
        let known = session.and_then(|k| self.dir.sessions.get(&k));
        let addressed = match (known, dir) {
            (Some(k), Some(d)) => self.dir.packet_text(k, d, addrs, ports),
            _ => None,
        };
        let proto = summary::protocol(f);
        self.info.clear();
        summary::push_info(&mut self.info, f);
        self.flags.clear();
        let (link, link_text) = match &self.link {
            Some((l, name, text)) if *l == f.link => (name, text),
            _ => {
                let name = linktype::short_name(f.link);
                let mut text = Vec::new();
                write::link(&mut text, &name, f.link);
                let (_, name, text) = self.link.insert((f.link, name, text));
                (&*name, &*text)
            }
        };
        let rec = record::Packet {
            ty: "packet",
            ts,
            frame: f.number,
            rel_time: (f.rel_time * 1e9).round() / 1e9,
            len: f.len,
            caplen: f.data.len(),
            link,
            linktype: f.link,
            link_text: Some(link_text),
            src_ip,
            dst_ip,
            src_port,
            dst_port,
            session: session.map(|s| s.1),
            transport: session.map(|s| s.0),
            community_id: known.map(|k| &*k.community_id),
            dir: dir.map(dir_name),
            addressed,
            proto: &proto,
            tcp_flags: match f.decoded.session_transport() {
                Some(Wire::Tcp(t)) => {
                    summary::push_flag_letters(&mut self.flags, t.flags);
                    Some(self.flags.as_str())
                }
                _ => None,
            },
            payload_len: f.decoded.session_payload_len(),
            ip_length_claimed: f.decoded.ip_length_claimed,
            seq: f.tcp.map(|t| t.seg.rel_seq),
            ack: f.tcp.map(|t| t.seg.rel_ack),
            tcp_analysis: tcp_analysis(f),
            info: &self.info,
            malformed: f.decoded.stopped.as_ref().map(|s| record::Malformed {
                layer: s.layer,
                offset: s.offset,
                reason: super::escape::escape_str(&s.reason),
            }),
        };
        self.out.push_with(ts, |buf| write::packet(buf, &rec))?;
        for e in f.app {
            self.app(e, ts)?;
        }
        self.findings(f.findings, Some(f), ts)
    }
}

impl Format for Json {
    fn frame(&mut self, w: &mut dyn Write, _o: &TextOptions, f: &FrameView<'_>) -> io::Result<()> {
        // The time's text is taken from the cache and given back: not copied per frame,
        // and formatted into the same buffer from frame to frame.
        self.ts_text(f.ts);
        let (t, ts) = self.ts.take().unwrap_or_default();
        let done = self.frame_records(f, &ts);
        self.ts = Some((t, ts));
        done?;
        self.out.write_to(w)
    }

    fn end_of_capture(
        &mut self,
        w: &mut dyn Write,
        _o: &TextOptions,
        e: &AppEvent,
        ts: Timestamp,
    ) -> io::Result<()> {
        let ts = self.ts(ts);
        self.app(e, &ts)?;
        self.out.write_to(w)
    }

    fn findings(
        &mut self,
        w: &mut dyn Write,
        _o: &TextOptions,
        findings: &[Finding],
        ts: Option<Timestamp>,
    ) -> io::Result<()> {
        let ts = ts.map(|t| self.ts(t)).unwrap_or_default();
        Json::findings(self, findings, None, &ts)?;
        self.out.write_to(w)
    }

    fn session(&mut self, w: &mut dyn Write, r: &SessionRecord) -> io::Result<()> {
        self.dir.session(r);
        match r {
            SessionRecord::Open(o) => {
                let ts = self.ts(o.ts);
                let rec = record::SessionOpen {
                    ty: stream_type(o.transport),
                    event: "open",
                    ts: &ts,
                    session: self
                        .dir
                        .fields(o.transport, o.session, None)
                        .ok_or_else(missing)?,
                    frame: o.frame,
                };
                self.out
                    .push_with(&ts, |buf| write::session_open(buf, &rec))?;
            }
            SessionRecord::Note(n) => {
                let ts = self.ts(n.ts);
                if let Some(session) = self.dir.fields(n.transport, n.session, None) {
                    let rec = record::SessionNote::new(&ts, session, n.frame, n.dir, &n.note);
                    self.out.push(&rec, &ts)?;
                }
            }
            SessionRecord::Close(c) => {
                let s = &c.summary;
                let (end, start) = (self.ts(s.end), self.ts(s.start));
                let rec = close_record(&self.dir, c, Some("close"), &end, &start)?;
                self.out
                    .push_with(&end, |buf| write::session_close(buf, &rec))?;
            }
        }
        self.out.write_to(w)
    }

    fn session_summary(
        &mut self,
        w: &mut dyn Write,
        e: &AppEvent,
        ts: Timestamp,
    ) -> io::Result<()> {
        let ts = self.ts(ts);
        self.app(e, &ts)?;
        self.out.write_to(w)
    }

    fn wants_sessions(&self) -> bool {
        true
    }

    fn frame_done(&mut self) {
        self.dir.frame_done();
    }

    fn records_started(&self) -> bool {
        self.out.started
    }

    fn set_capture(&mut self, name: Option<String>) {
        self.out.capture = name.as_deref().map(capture_field);
    }
}

/// A frame's session (transport and id) and its direction in it, when it has one.
pub(crate) fn frame_session(
    f: &FrameView<'_>,
) -> (Option<(Transport, StreamId)>, Option<Direction>) {
    match (&f.tcp, &f.udp) {
        (Some(t), _) => (Some((Transport::Tcp, t.seg.stream)), Some(t.seg.dir)),
        (None, Some(u)) => (Some((Transport::Udp, u.session)), Some(u.dir)),
        (None, None) => (None, None),
    }
}

/// The TCP analysis labels of a frame (`retransmission`, …) that are on.
pub(crate) fn tcp_analysis(f: &FrameView<'_>) -> Vec<&'static str> {
    // Most segments have none: their labels are not listed.
    let labelled = f.tcp.filter(|t| t.seg.analysis.any_flag());
    labelled.map_or_else(Vec::new, |t| {
        let a = &t.seg.analysis;
        // `retransmission` is tshark's field: set for a fast or spurious one too.
        let plain = (!a.retransmission() && a.any_retransmission()).then_some("retransmission");
        plain
            .into_iter()
            .chain(
                a.labels()
                    .into_iter()
                    .filter(|(on, ..)| *on)
                    .map(|(_, name, ..)| name),
            )
            .collect()
    })
}

fn missing() -> io::Error {
    io::Error::other("session record without its session")
}

/// `tcp.stream` / `udp.stream`.
pub(crate) fn stream_type(t: Transport) -> &'static str {
    match t {
        Transport::Tcp => "tcp.stream",
        Transport::Udp => "udp.stream",
    }
}

/// The close record of a session (`event: close`), or its `conversation` row (no event).
fn close_record<'a>(
    j: &'a Directory,
    c: &'a crate::event::SessionClose,
    event: Option<&'static str>,
    end: &'a str,
    start: &'a str,
) -> io::Result<record::SessionClose<'a>> {
    let s = &c.summary;
    Ok(record::SessionClose {
        ty: if event.is_some() {
            stream_type(c.transport)
        } else {
            "conversation"
        },
        event,
        ts: end,
        session: j.fields(c.transport, s.stream, None).ok_or_else(missing)?,
        packets_to_server: s.packets_to_server,
        bytes_to_server: s.bytes_to_server,
        packets_to_client: s.packets_to_client,
        bytes_to_client: s.bytes_to_client,
        payload_to_server: s.payload_to_server,
        payload_to_client: s.payload_to_client,
        first_frame: s.first_frame,
        last_frame: s.last_frame,
        start,
        end,
        rel_start: round9(s.start.since(c.capture_start.unwrap_or(s.start))),
        duration: round9(s.end.since(s.start)),
        state: s.state,
        close_reason: s.close_reason,
        syn_seen: s.syn_seen,
        protocol: c.protocol.unwrap_or(""),
    })
}

pub(crate) fn round9(x: f64) -> f64 {
    (x * 1e9).round() / 1e9
}

/// A `conversation` record (`--conversations --json`): the close record's fields.
pub fn conversation(c: &crate::event::SessionClose) -> io::Result<Vec<u8>> {
    let s = &c.summary;
    let mut dir = Directory::default();
    dir.learn(c.transport, s.stream, s.client, s.server);
    let (end, start) = (
        crate::present::time::rfc3339_nanos(s.end),
        crate::present::time::rfc3339_nanos(s.start),
    );
    serde_json::to_vec(&close_record(&dir, c, None, &end, &start)?).map_err(io::Error::from)
}

/// The end-of-run records (`summary`, `conversation`, `hierarchy`, `follow`, `stats`,
/// `report`), written after the frames' records: each gets the last frame's time as `ts`,
/// and the `run` record goes first when no record was written before.
pub struct EndOfRun<'w, W: Write> {
    w: &'w mut W,
    /// A record (and so the `run` record) was written already.
    started: bool,
    first: Option<String>,
    last: Option<String>,
    /// `,"capture":NAME` with `--each`.
    capture: Option<String>,
}

impl<'w, W: Write> EndOfRun<'w, W> {
    /// `started`: the frames' records were written (see [`super::Printer::records_started`]);
    /// `capture`: with `--each`, the file the records are about.
    pub fn new(
        w: &'w mut W,
        started: bool,
        first: Option<Timestamp>,
        last: Option<Timestamp>,
        capture: Option<&str>,
    ) -> Self {
        EndOfRun {
            w,
            started,
            first: first.map(crate::present::time::rfc3339_nanos),
            last: last.map(crate::present::time::rfc3339_nanos),
            capture: capture.map(capture_field),
        }
    }

    fn start(&mut self) -> io::Result<()> {
        if !self.started {
            self.started = true;
            let line = serde_json::to_vec(&record::Run::new(self.first.as_deref()))
                .map_err(io::Error::from)?;
            self.line(line)?;
        }
        Ok(())
    }

    fn line(&mut self, mut line: Vec<u8>) -> io::Result<()> {
        add_capture(&mut line, self.capture.as_deref());
        line.push(b'\n');
        self.w.write_all(&line)
    }

    /// A record built as a JSON object: its `ts` is added.
    pub fn record(&mut self, mut v: serde_json::Value) -> io::Result<()> {
        self.start()?;
        if let Some(m) = v.as_object_mut() {
            m.insert("ts".into(), self.last.clone().into());
        }
        let line = serde_json::to_vec(&v).map_err(io::Error::from)?;
        self.line(line)
    }

    /// A `conversation` record.
    pub fn conversation(&mut self, c: &crate::event::SessionClose) -> io::Result<()> {
        self.start()?;
        let line = conversation(c)?;
        self.line(line)
    }
}
