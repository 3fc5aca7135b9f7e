//! The `--json` records (JSON v2, docs/json.md, docs/json.schema.json) as typed structs:
//! serialised with serde, one per line. Every record has `type` and `ts` (RFC 3339 UTC with
//! nanoseconds); everything that belongs to a session adds the [`SessionFields`].
//! Other sinks (Parquet) can reuse these shapes and names.

use std::collections::BTreeMap;
use std::net::IpAddr;

use serde::Serialize;

use crate::flow::{CloseReason, ConvState, Direction, Endpoint, FlowNote, StreamId, Transport};

/// The version of the record layout, stated by the first record of every run.
pub const SCHEMA_VERSION: u32 = 2;

/// `to_server` / `to_client`: the one spelling of a direction.
pub fn dir_name(d: Direction) -> &'static str {
    match d {
        Direction::ToServer => "to_server",
        Direction::ToClient => "to_client",
    }
}

/// `{"type":"run"}`: the first record of each run.
#[derive(Debug, Serialize)]
pub struct Run<'a> {
    #[serde(rename = "type")]
    pub ty: &'static str,
    /// The first frame's time (null for a capture without frames).
    pub ts: Option<&'a str>,
    pub schema_version: u32,
    pub tool: &'static str,
    pub tool_version: &'static str,
}

impl<'a> Run<'a> {
    pub fn new(ts: Option<&'a str>) -> Self {
        Run {
            ty: "run",
            ts,
            schema_version: SCHEMA_VERSION,
            tool: env!("CARGO_PKG_NAME"),
            tool_version: env!("CARGO_PKG_VERSION"),
        }
    }
}

/// The fields of every record that belongs to a session: its id and transport, its two
/// endpoints (client → server for session-level records, sender → receiver for records with
/// a `dir`), and its Community ID v1.
#[derive(Debug, Clone, Serialize)]
pub struct SessionFields<'a> {
    pub session: StreamId,
    pub transport: Transport,
    #[serde(serialize_with = "ip_text")]
    pub src_ip: IpAddr,
    pub src_port: u16,
    #[serde(serialize_with = "ip_text")]
    pub dst_ip: IpAddr,
    pub dst_port: u16,
    pub community_id: &'a str,
    /// These fields as [`super::write::session_fields`] writes them, when written already
    /// (kept for each live session by `--json`): copied as they are.
    #[serde(skip)]
    pub json: Option<&'a [u8]>,
}

/// An address as serde writes it (its text, in JSON); IPv4 without the formatter
/// ([`super::write::v4_text`]).
fn ip_text<S: serde::Serializer>(a: &IpAddr, s: S) -> Result<S::Ok, S::Error> {
    match a {
        IpAddr::V4(v4) if s.is_human_readable() => {
            let mut buf = [0; 15];
            let n = super::write::v4_text(*v4, &mut buf);
            let text = buf.get(..n).and_then(|b| std::str::from_utf8(b).ok());
            s.serialize_str(text.unwrap_or_default())
        }
        _ => a.serialize(s),
    }
}

impl<'a> SessionFields<'a> {
    /// `src` → `dst` as given.
    pub fn new(
        transport: Transport,
        session: StreamId,
        src: Endpoint,
        dst: Endpoint,
        community_id: &'a str,
    ) -> Self {
        SessionFields {
            session,
            transport,
            src_ip: src.addr,
            src_port: src.port,
            dst_ip: dst.addr,
            dst_port: dst.port,
            community_id,
            json: None,
        }
    }
}

/// A record's session: all its fields, or only its id (and transport) when the endpoints are
/// not known (a finding raised after its session closed).
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum SessionRef<'a> {
    Known(SessionFields<'a>),
    Bare {
        session: StreamId,
        #[serde(skip_serializing_if = "Option::is_none")]
        transport: Option<Transport>,
    },
}

/// `{"type":"packet"}`: one displayed frame.
#[derive(Debug, Serialize)]
pub struct Packet<'a> {
    #[serde(rename = "type")]
    pub ty: &'static str,
    pub ts: &'a str,
    pub frame: u64,
    /// Seconds since the first frame.
    pub rel_time: f64,
    /// Length on the wire, and captured.
    pub len: u32,
    pub caplen: usize,
    pub link: &'a str,
    pub linktype: u32,
    /// `link` and `linktype` as [`super::write::packet`] writes them, when written once
    /// for the link type (`--json`): copied as they are.
    #[serde(skip)]
    pub link_text: Option<&'a [u8]>,
    /// The packet's own addresses and ports (sender → receiver); null when it has none.
    pub src_ip: Option<IpAddr>,
    pub dst_ip: Option<IpAddr>,
    pub src_port: Option<u16>,
    pub dst_port: Option<u16>,
    /// Its session (TCP stream or UDP conversation), when it belongs to one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub session: Option<StreamId>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transport: Option<Transport>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub community_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dir: Option<&'static str>,
    /// The members from `src_ip` to `dir` as [`super::write::packet`] writes them, when the
    /// packet's session keeps them written already (`--json`): copied as they are.
    #[serde(skip)]
    pub addressed: Option<&'a [u8]>,
    pub proto: &'a str,
    pub tcp_flags: Option<&'a str>,
    pub payload_len: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ip_length_claimed: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seq: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ack: Option<u32>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tcp_analysis: Vec<&'static str>,
    pub info: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub malformed: Option<Malformed>,
}

/// Where decoding stopped short.
#[derive(Debug, Serialize)]
pub struct Malformed {
    pub layer: &'static str,
    pub offset: usize,
    pub reason: String,
}

/// `{"type":"tcp.stream"|"udp.stream","event":"open"}`.
#[derive(Debug, Serialize)]
pub struct SessionOpen<'a> {
    #[serde(rename = "type")]
    pub ty: &'static str,
    pub event: &'static str,
    pub ts: &'a str,
    #[serde(flatten)]
    pub session: SessionFields<'a>,
    pub frame: u64,
}

/// `{"type":"tcp.stream"|"udp.stream","event":"close"}` and `{"type":"conversation"}`: the
/// counts of `--conversations`.
#[derive(Debug, Serialize)]
pub struct SessionClose<'a> {
    #[serde(rename = "type")]
    pub ty: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event: Option<&'static str>,
    /// The session's last frame's time.
    pub ts: &'a str,
    #[serde(flatten)]
    pub session: SessionFields<'a>,
    pub packets_to_server: u64,
    pub bytes_to_server: u64,
    pub packets_to_client: u64,
    pub bytes_to_client: u64,
    pub payload_to_server: u64,
    pub payload_to_client: u64,
    pub first_frame: u64,
    pub last_frame: u64,
    pub start: &'a str,
    pub end: &'a str,
    /// Seconds from the capture's first frame to the session's first.
    pub rel_start: f64,
    pub duration: f64,
    pub state: ConvState,
    pub close_reason: CloseReason,
    pub syn_seen: bool,
    /// The application protocol detected (`HTTP`, `TLS`, `DNS`, ...), or empty.
    pub protocol: &'a str,
}

/// `{"type":"tcp.note"}`: a reassembly note, by documented code.
#[derive(Debug, Serialize)]
pub struct SessionNote<'a> {
    #[serde(rename = "type")]
    pub ty: &'static str,
    pub ts: &'a str,
    #[serde(flatten)]
    pub session: SessionFields<'a>,
    pub frame: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dir: Option<&'static str>,
    /// `overlap_conflict`, `overlap_unchecked`, `bound_hit`, `mid_stream_pickup`.
    pub note: &'static str,
    /// Stream offset and length of the overlapping bytes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub offset: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub len: Option<u64>,
    /// `overlap_conflict`: the kept copy's frame, then the conflicting one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub frames: Option<[u64; 2]>,
    /// `bound_hit`: which bound, and its limit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bound: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<u64>,
}

impl<'a> SessionNote<'a> {
    pub fn new(
        ts: &'a str,
        session: SessionFields<'a>,
        frame: u64,
        dir: Option<Direction>,
        note: &FlowNote,
    ) -> Self {
        let mut r = SessionNote {
            ty: "tcp.note",
            ts,
            session,
            frame,
            dir: dir.map(dir_name),
            note: note.name(),
            offset: None,
            len: None,
            frames: None,
            bound: None,
            limit: None,
        };
        match note {
            FlowNote::OverlapConflict {
                offset,
                len,
                frames,
                ..
            } => {
                r.offset = Some(*offset);
                r.len = Some(*len);
                r.frames = Some(*frames);
            }
            FlowNote::OverlapUnchecked { offset, len, .. } => {
                r.offset = Some(*offset);
                r.len = Some(*len);
            }
            FlowNote::BoundHit { bound, limit } => {
                r.bound = Some(bound);
                r.limit = Some(*limit);
            }
            FlowNote::MidStreamPickup => {}
        }
        r
    }
}

/// An application record (`http.request`, `tls.client_hello`, `dns.query`, ...): the
/// envelope every one shares; the protocol's own fields (which hold `type`) follow, in the
/// order of their names (written by [`super::write::app`]).
#[derive(Debug)]
pub struct App<'a> {
    pub ts: &'a str,
    /// The session's fields, sender → receiver.
    pub session: SessionRef<'a>,
    pub dir: Direction,
    pub frame: u64,
    pub frames: &'a [u64],
    /// `clear`, or `tls` (parsed from decrypted bytes).
    pub layer: &'static str,
}

/// A finding detail's value: a number when the detail is one (offsets, lengths, bits).
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum Detail<'a> {
    Number(u64),
    Text(&'a str),
}

/// `{"type":"finding"}`.
#[derive(Debug, Serialize)]
pub struct Finding<'a> {
    #[serde(rename = "type")]
    pub ty: &'static str,
    pub ts: &'a str,
    #[serde(flatten)]
    pub session: Option<SessionRef<'a>>,
    pub kind: &'static str,
    pub severity: &'static str,
    pub frames: &'a [u64],
    pub evidence: &'a str,
    pub explanation: &'a str,
    pub count: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_frame: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_frame: Option<u64>,
    #[serde(skip_serializing_if = "<[u64]>::is_empty")]
    pub offsets: &'a [u64],
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub details: BTreeMap<&'static str, Detail<'a>>,
}

impl<'a> Finding<'a> {
    /// `session`: the finding's session, when it has one.
    pub fn new(
        ts: &'a str,
        f: &'a crate::findings::Finding,
        session: Option<SessionRef<'a>>,
    ) -> Self {
        let details = f
            .details
            .iter()
            .map(|(k, v)| {
                let d = match crate::findings::finding::detail_number(k, v) {
                    Some(n) => Detail::Number(n),
                    None => Detail::Text(v),
                };
                (*k, d)
            })
            .collect();
        Finding {
            ty: "finding",
            ts,
            session,
            kind: f.kind.name(),
            severity: f.severity.name(),
            frames: &f.frames,
            evidence: &f.evidence,
            explanation: &f.explanation,
            count: f.count,
            first_frame: f.first_frame,
            last_frame: f.last_frame,
            offsets: &f.offsets,
            details,
        }
    }
}
