//! The findings stage of the pipeline: watches reassembled stream data, dissected HTTP and
//! TLS, and raw frames, and says what an eavesdropper learns — secrets (also across segment
//! boundaries and inside decoded bodies), credentials, Fernet tokens, the HTTPS-hardening
//! audit — and gathers the run's [`Report`].
//!
//! Every buffer here is bounded: per-stream state is dropped when the stream closes, the
//! findings list and the report's lists are capped (with counts of what was left out).

use std::collections::{BTreeMap, BTreeSet};

// Seeded per process; only looked up, never iterated into output.
use foldhash::{HashMap, HashSet};
use std::ops::Range;

use serde::Serialize;

use super::audit::{
    audit_alert, audit_chain, audit_cipher, audit_mixed_content, audit_response_headers,
    audit_tls_version, CertFacts, TrustAnchor,
};
use super::classify::{classify, Class};
use super::credentials::request_credentials;
use super::credentials::response_credentials;
use super::fernet::{find_fernet_tokens, FernetKey};
use super::finding::{mask_value, Finding, FindingKind, Severity, Transport};
use super::secrets::{SecretSet, StreamScanner};
use crate::capture::Timestamp;
use crate::dissect::http::{HttpMessage, StartLine};
use crate::dissect::registry::Protocol;
use crate::dissect::tls::decrypt::KeysUsed;
use crate::dissect::tls::{TlsEvent, TlsMessage};
use crate::dissect::{AppEvent, Layer};
use crate::flow::{ConversationSummary, Direction, StreamEvent, StreamId};
use crate::present::escape::{escape_bytes, escape_str, escape_truncated};

/// Most findings kept for the report (more are counted).
const MAX_FINDINGS: usize = 2_000;
/// Most entries kept in each of the report's lists.
const MAX_LIST: usize = 500;
/// Most (secret, frame) sightings and once-per-host findings remembered for de-duplication.
const MAX_REMEMBERED: usize = 100_000;
/// Bytes of a body shown in the report's "Content visible".
const CONTENT_SHOWN: usize = 40;
/// Bytes of a stream's start kept to classify streams no dissector recognised.
const SAMPLE: usize = 128;

/// What the findings stage is told by the user.
#[derive(Debug, Clone)]
pub struct FindingsConfig {
    pub secrets: SecretSet,
    pub fernet_key: Option<FernetKey>,
    /// The trust anchors: those of `--ca-file` first (`ca_file_cas` of them), then the
    /// system's store (`system_cas`).
    pub trusted_cas: Vec<TrustAnchor>,
    pub ca_file_cas: usize,
    pub system_cas: usize,
    /// Show secret and credential values masked (`h*****2 (7 chars)`), for CI logs.
    pub mask: bool,
}

impl Default for FindingsConfig {
    fn default() -> Self {
        FindingsConfig {
            secrets: SecretSet::empty(),
            fernet_key: None,
            trusted_cas: Vec::new(),
            ca_file_cas: 0,
            system_cas: 0,
            mask: false,
        }
    }
}

/// A chunk of stream data carried by a frame whose bytes we can point at.
#[derive(Debug, Clone, Copy)]
struct Chunk {
    offset: u64,
    len: u64,
    frame: u64,
    frame_offset: usize,
}

#[derive(Default)]
struct DirState {
    scanner: StreamScanner,
    /// Recent chunks (covering at least the longest secret pattern), to map hits to frames.
    chunks: Vec<Chunk>,
    sample: Vec<u8>,
    bytes: u64,
}

#[derive(Default)]
struct StreamState {
    dirs: [DirState; 2],
    sni: Option<String>,
    offered_versions: Vec<u16>,
    tls_version: Option<u16>,
    cipher: Option<u16>,
    alpn: Option<String>,
    tls_index: Option<usize>,
    /// Host of the last HTTP request, for audits of its response.
    last_host: Option<String>,
    /// Requests waiting for their response (`GET /`), oldest first (bounded).
    requests_waiting: Vec<String>,
    http_exchanges: u64,
    /// A secret or credential crossed this stream in clear.
    leaked: bool,
}

/// One TLS session as the report shows it.
#[derive(Debug, Clone, Serialize, Default)]
pub struct TlsSession {
    pub stream: StreamId,
    pub sni: Option<String>,
    pub version: Option<String>,
    pub cipher: Option<String>,
    pub alpn: Option<String>,
    pub certificates: Vec<CertBrief>,
    /// TLS 1.3: the certificate crossed the wire encrypted.
    pub certificate_hidden: bool,
    /// Whether the chain is trusted, in words (`trusted by this system (…)`, `not trusted
    /// by this system — the client must be given the CA file`, `not checked …`).
    pub trust: Option<String>,
    pub alerts: Vec<String>,
    /// TLS payload bytes both ways (set when the stream closes).
    pub bytes: u64,
    /// Application-data record bytes client→server and server→client.
    pub app_data: [u64; 2],
    /// Decryption with the session keys: which keys (`key_log`, `dsb`, `rsa_key`,
    /// `missing`, `forward_secrecy`), when any key source was given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decryption: Option<String>,
    /// Records decrypted with the keys.
    pub records_decrypted: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct CertBrief {
    pub subject: String,
    pub issuer: String,
    pub not_before: String,
    pub not_after: String,
    pub self_signed: bool,
    pub ca: bool,
    pub key: String,
}

/// What decrypting TLS with the session keys revealed.
#[derive(Debug, Clone, Serialize, Default)]
pub struct WithKeys {
    /// TLS sessions decrypted, and those a key source was given for but could not open.
    pub sessions_decrypted: u64,
    pub sessions_not_decrypted: u64,
    /// Sessions whose only key was the server's RSA key under forward secrecy.
    pub forward_secrecy: u64,
    pub records_decrypted: u64,
    pub plaintext_bytes: u64,
    pub http_requests_total: u64,
    pub http_requests: Vec<String>,
    /// Sightings of a `--secret` inside decrypted TLS.
    pub secrets_seen: u64,
}

/// A finding made on decrypted TLS plaintext: a credential or secret there is visible only to
/// a key holder, so it becomes `visible_with_keys` (info); the audit findings (HSTS, cookie
/// flags, mixed content) keep their kind.
fn with_keys(mut f: Finding) -> Finding {
    if matches!(
        f.kind,
        FindingKind::SecretInClear
            | FindingKind::BasicAuth
            | FindingKind::BearerToken
            | FindingKind::Cookie
            | FindingKind::PasswordField
            | FindingKind::ApiKey
            | FindingKind::FernetToken
            | FindingKind::LoginFormInClear
    ) {
        f.details.insert(0, ("what", f.kind.name().to_string()));
        f.kind = FindingKind::VisibleWithKeys;
        f.severity = Severity::Info;
    }
    f
}

/// One `--secret` and where it was seen.
#[derive(Debug, Clone, Serialize, Default)]
pub struct SecretReport {
    /// The secret as given, escaped.
    pub secret: String,
    pub seen: u64,
    /// `stream 0 server→client frame 8 offset 174 (tcp stream, raw)`.
    pub places: Vec<String>,
    /// Sightings protected on the wire that the key given (`--fernet-key`) opens.
    pub with_key: u64,
    pub with_key_places: Vec<String>,
}

/// One TCP stream as the report's per-session verdicts show it.
#[derive(Debug, Clone, Serialize, Default)]
pub struct StreamBrief {
    pub stream: StreamId,
    /// `HTTP`, `TLS`, or the class of unrecognised data.
    pub protocol: String,
    /// Payload bytes both ways.
    pub bytes: u64,
    pub http_exchanges: u64,
    /// A secret or credential crossed it in clear.
    pub leaked: bool,
    /// Index into `tls_sessions`.
    pub tls_session: Option<usize>,
}

/// The run's verdict material.
#[derive(Debug, Clone, Serialize, Default)]
pub struct Report {
    pub source: String,
    pub packets: u64,
    pub bytes: u64,
    pub first_time: Option<String>,
    pub last_time: Option<String>,
    pub tcp_streams: u64,
    /// Streams per protocol recognised (HTTP, TLS, or a class of unrecognised data).
    pub protocols: BTreeMap<String, u64>,
    /// TCP payload bytes readable by an eavesdropper / encrypted / unrecognised.
    pub bytes_clear: u64,
    pub bytes_encrypted: u64,
    pub bytes_other: u64,
    pub hostnames: BTreeSet<String>,
    /// Where each host name was seen (`DNS`, `Host`, `SNI`, `QUIC`), escaped name → sources.
    pub host_sources: BTreeMap<String, BTreeSet<String>>,
    pub http_requests: Vec<String>,
    pub http_requests_total: u64,
    /// What an eavesdropper reads without being told a secret: `GET / → 200 text/plain
    /// 11 B "fluffy tail"` (escaped, bounded).
    pub content: Vec<String>,
    pub content_total: u64,
    /// Every TCP stream, in stream order.
    pub streams: Vec<StreamBrief>,
    /// The trust anchors certificates were checked against, in words.
    pub trust_store: String,
    pub tls_sessions: Vec<TlsSession>,
    /// What the session keys revealed (decrypted TLS); an eavesdropper sees none of it.
    pub with_keys: WithKeys,
    pub secrets: Vec<SecretReport>,
    pub credentials: Vec<Finding>,
    pub fernet_tokens: u64,
    /// What each Fernet token is (and decrypts to, with the key).
    pub fernet: Vec<String>,
    pub findings_by_severity: BTreeMap<String, u64>,
    pub findings: Vec<Finding>,
    pub findings_dropped: u64,
    /// Sightings folded into an earlier finding of the same secret or credential in the
    /// same stream and direction (see [`Finding::count`]).
    pub sightings_aggregated: u64,
}

impl Report {
    /// True when a secret or a credential was seen in clear (for `--fail-on-leak`).
    pub fn leaked(&self) -> bool {
        self.secrets.iter().any(|s| s.seen > 0)
            || self
                .credentials
                .iter()
                .any(|c| c.severity >= Severity::Medium)
    }
}

/// The findings stage.
pub struct Analyzer {
    cfg: FindingsConfig,
    streams: HashMap<StreamId, Box<StreamState>>,
    /// Findings raised during the current frame (taken by the pipeline after each frame).
    pending: Vec<Finding>,
    /// Highlight ranges for the current frame.
    current: Vec<Range<usize>>,
    current_frame: u64,
    /// Highlights for frames other than the current one (frame → ranges), for a second pass.
    earlier: BTreeMap<u64, Vec<Range<usize>>>,
    report: Report,
    once: HashSet<(FindingKind, String)>,
    first_ts: Option<Timestamp>,
    last_ts: Option<Timestamp>,
    /// (secret, frame) pairs already counted.
    sightings: HashSet<(usize, u64)>,
    /// Secrets and credentials already reported per stream and direction (the key of
    /// [`aggregate_key`]) → where the finding sits in the report's findings and credentials
    /// lists: later sightings are folded into it, not reported again.
    aggregated: HashMap<AggregateKey, (Option<usize>, Option<usize>)>,
    /// `--mask`: values found since the last call of [`Analyzer::take_mask_terms`].
    mask_terms: Vec<String>,
}

impl Analyzer {
    pub fn new(cfg: FindingsConfig) -> Self {
        let secrets = cfg
            .secrets
            .secrets()
            .iter()
            .map(|s| SecretReport {
                secret: if cfg.mask {
                    mask_value(&escape_bytes(s))
                } else {
                    escape_bytes(s)
                },
                ..SecretReport::default()
            })
            .collect();
        let trust_store = match (cfg.system_cas, cfg.ca_file_cas) {
            (0, 0) => "none (certificates not checked)".to_string(),
            (n, 0) => format!("this system's ({n} CAs)"),
            (0, k) => format!("--ca-file ({k} CAs)"),
            (n, k) => format!("this system's ({n} CAs) and --ca-file ({k} CAs)"),
        };
        Analyzer {
            cfg,
            streams: HashMap::default(),
            pending: Vec::new(),
            current: Vec::new(),
            current_frame: 0,
            earlier: BTreeMap::new(),
            report: Report {
                secrets,
                trust_store,
                ..Report::default()
            },
            once: HashSet::default(),
            first_ts: None,
            last_ts: None,
            sightings: HashSet::default(),
            aggregated: HashMap::default(),
            mask_terms: Vec::new(),
        }
    }

    /// A new frame begins: `data` is its captured bytes; `payload` the bytes above the last
    /// decoded layer; `tcp` whether they belong to a TCP stream (searched as a stream).
    pub fn begin_frame(
        &mut self,
        frame: u64,
        ts: Timestamp,
        len: u32,
        data: &[u8],
        payload: Range<usize>,
        tcp: bool,
    ) {
        self.current_frame = frame;
        self.current.clear();
        self.report.packets += 1;
        self.report.bytes += u64::from(len);
        self.first_ts.get_or_insert(ts);
        self.last_ts = Some(ts);
        if !tcp && !self.cfg.secrets.is_empty() {
            let bytes = data.get(payload.clone()).unwrap_or_default();
            for hit in self.cfg.secrets.find_in(bytes) {
                let r = payload.start + hit.range.start..payload.start + hit.range.end;
                let matched = data.get(r.clone()).unwrap_or_default();
                let f = self.cfg.secrets.finding(
                    hit.secret_index,
                    hit.variant,
                    matched,
                    Transport::Clear,
                );
                self.secret_seen(
                    hit.secret_index,
                    frame,
                    format!(
                        "frame {frame} offset {} (frame bytes, {})",
                        r.start,
                        hit.variant.label()
                    ),
                );
                self.current.push(r);
                self.push(
                    f.detail("layer", "frame")
                        .detail("offset", (payload.start + hit.range.start).to_string()),
                    None,
                    &[frame],
                );
            }
        }
    }

    /// Highlights for the current frame.
    pub fn highlights(&self) -> &[Range<usize>] {
        &self.current
    }

    /// `--mask`: the secret and credential values found since the last call (escaped, as
    /// the output shows them), for the printer to mask.
    pub fn take_mask_terms(&mut self) -> Vec<String> {
        std::mem::take(&mut self.mask_terms)
    }

    /// Findings raised since the last call.
    pub fn take_findings(&mut self) -> Vec<Finding> {
        std::mem::take(&mut self.pending)
    }

    /// Highlights found for frames before the one that completed the match.
    pub fn take_earlier_highlights(&mut self) -> BTreeMap<u64, Vec<Range<usize>>> {
        std::mem::take(&mut self.earlier)
    }

    fn push(&mut self, mut f: Finding, stream: Option<StreamId>, frames: &[u64]) {
        f.set_location(stream, frames);
        let key = aggregate_key(&f);
        if let Some(&(fi, ci)) = key.as_ref().and_then(|k| self.aggregated.get(k)) {
            // Seen before in this stream and direction: one more sighting of that finding.
            if let Some(agg) = fi.and_then(|i| self.report.findings.get_mut(i)) {
                agg.add_sighting(&f);
            }
            if let Some(agg) = ci.and_then(|i| self.report.credentials.get_mut(i)) {
                agg.add_sighting(&f);
            }
            self.report.sightings_aggregated += 1;
            return;
        }
        if f.carries_value() && f.severity >= Severity::Medium {
            if let Some(st) = stream.and_then(|s| self.streams.get_mut(&s)) {
                st.leaked = true;
            }
        }
        if self.cfg.mask && f.carries_value() {
            if self.mask_terms.len() < MAX_LIST {
                let e = f.evidence.trim_end_matches('…').to_string();
                // The value alone too (`password=hunter2` → `hunter2`), as packet layers
                // show it apart from its name.
                let value = e
                    .split_once('=')
                    .map(|(_, v)| v)
                    .or_else(|| e.rsplit_once(':').map(|(_, v)| v))
                    .filter(|v| v.len() >= 4)
                    .map(String::from);
                self.mask_terms.push(e);
                self.mask_terms.extend(value);
            }
            f.mask();
        }
        *self
            .report
            .findings_by_severity
            .entry(f.severity.name().to_string())
            .or_default() += 1;
        let (mut finding_at, mut cred_at) = (None, None);
        if matches!(
            f.kind,
            FindingKind::BasicAuth
                | FindingKind::BearerToken
                | FindingKind::Cookie
                | FindingKind::PasswordField
                | FindingKind::ApiKey
        ) && self.report.credentials.len() < MAX_LIST
        {
            cred_at = Some(self.report.credentials.len());
            self.report.credentials.push(f.clone());
        }
        if self.report.findings.len() < MAX_FINDINGS {
            finding_at = Some(self.report.findings.len());
            self.report.findings.push(f.clone());
        } else {
            self.report.findings_dropped += 1;
        }
        if let Some(k) = key {
            // Bounded: past the cap the map starts again (a repeat is then reported anew).
            if self.aggregated.len() >= MAX_REMEMBERED {
                self.aggregated.clear();
            }
            self.aggregated.insert(k, (finding_at, cred_at));
        }
        self.pending.push(f);
    }

    /// Count one sighting of secret `index` ending in `frame` (a sighting found twice — in
    /// the raw base64 of a Basic auth header and again decoded — counts once).
    fn secret_seen(&mut self, index: usize, frame: u64, place: String) {
        // Bounded: past the cap the set starts again (a repeat may then count twice).
        if self.sightings.len() >= MAX_REMEMBERED {
            self.sightings.clear();
        }
        if !self.sightings.insert((index, frame)) {
            return;
        }
        if let Some(s) = self.report.secrets.get_mut(index) {
            s.seen += 1;
            if s.places.len() < 50 {
                s.places.push(place);
            }
        }
    }

    /// A reassembler event. `frame_bytes` is the current frame, to locate in-frame data.
    pub fn stream_event(
        &mut self,
        ev: &StreamEvent<'_>,
        frame_bytes: &[u8],
        proto_at_close: Option<Option<&'static Protocol>>,
    ) {
        match ev {
            StreamEvent::Open { stream, .. } => {
                self.streams.insert(*stream, Box::default());
                self.report.tcp_streams += 1;
            }
            StreamEvent::Data {
                stream,
                dir,
                offset,
                data,
                frame,
            } => {
                let secrets_on = !self.cfg.secrets.is_empty();
                let max_pat = self.cfg.secrets.max_pattern_len() as u64;
                let Some(st) = self.streams.get_mut(stream) else {
                    return;
                };
                let ds = &mut st.dirs[dir.index()];
                ds.bytes += data.len() as u64;
                if ds.sample.len() < SAMPLE {
                    let take = (SAMPLE - ds.sample.len()).min(data.len());
                    ds.sample
                        .extend_from_slice(data.get(..take).unwrap_or_default());
                }
                if !secrets_on {
                    return;
                }
                // Where these bytes sit in the current frame, if they are its own bytes.
                let base = frame_bytes.as_ptr() as usize;
                let p = data.as_ptr() as usize;
                if p >= base && p + data.len() <= base + frame_bytes.len() {
                    ds.chunks.push(Chunk {
                        offset: *offset,
                        len: data.len() as u64,
                        frame: *frame,
                        frame_offset: p - base,
                    });
                    // Keep the new chunk plus just enough older ones to hold the longest
                    // pattern's start: a match ending in the new bytes can begin up to
                    // `max_pat - 1` bytes before them, however long the new chunk is.
                    let mut covered = 0u64;
                    let mut keep_from = ds.chunks.len().saturating_sub(1);
                    while keep_from > 0 && covered < max_pat.saturating_sub(1) {
                        keep_from -= 1;
                        covered += ds.chunks.get(keep_from).map_or(0, |c| c.len);
                    }
                    if keep_from > 0 {
                        ds.chunks.drain(..keep_from);
                    }
                }
                let hits = ds.scanner.feed(&self.cfg.secrets, *offset, data, *frame);
                if hits.is_empty() {
                    return;
                }
                let chunks = ds.chunks.clone();
                for h in hits {
                    let f = h.finding(&self.cfg.secrets, *stream, Transport::Clear);
                    let dirname = dir_label(*dir);
                    let frames: Vec<String> = h.frames.iter().map(|f| f.to_string()).collect();
                    self.secret_seen(
                        h.secret_index,
                        h.frames.last().copied().unwrap_or(self.current_frame),
                        format!(
                            "stream {stream} {dirname} frame {} stream offset {} (tcp stream, {})",
                            frames.join("+"),
                            h.range.start,
                            h.variant.label()
                        ),
                    );
                    for c in &chunks {
                        let s = h.range.start.max(c.offset);
                        let e = h.range.end.min(c.offset + c.len);
                        if s < e {
                            let r = c.frame_offset + (s - c.offset) as usize
                                ..c.frame_offset + (e - c.offset) as usize;
                            if c.frame == self.current_frame {
                                self.current.push(r);
                            } else {
                                self.earlier.entry(c.frame).or_default().push(r);
                            }
                        }
                    }
                    let f = f
                        .detail("layer", "tcp stream")
                        .detail("direction", dirname)
                        .detail("stream_offset", h.range.start.to_string());
                    let frames = f.frames.clone();
                    self.push(f, Some(*stream), &frames);
                }
            }
            StreamEvent::Hole { stream, dir, .. } => {
                if let Some(st) = self.streams.get_mut(stream) {
                    st.dirs[dir.index()].scanner.hole();
                    st.dirs[dir.index()].chunks.clear();
                }
            }
            StreamEvent::Note {
                stream,
                dir: Some(dir),
                note,
                frame,
            } => {
                if let Some((offset, copy)) = note.other_copy() {
                    self.other_copy(*stream, *dir, offset, copy, *frame);
                }
            }
            StreamEvent::Close { stream, summary } => {
                let st = self.streams.remove(stream).unwrap_or_default();
                self.close_stream(st, summary, proto_at_close.flatten());
            }
            _ => {}
        }
    }

    /// Another copy of stream bytes (a retransmission that differs from the copy kept, or
    /// that could not be compared): an eavesdropper saw it too, so it is searched for
    /// secrets and for credentials in any header lines it carries.
    fn other_copy(
        &mut self,
        stream: StreamId,
        dir: Direction,
        offset: u64,
        copy: &[u8],
        frame: u64,
    ) {
        let dirname = dir_label(dir);
        let layer = "tcp retransmission (other copy)";
        for hit in self.cfg.secrets.find_in(copy) {
            let matched = copy.get(hit.range.clone()).unwrap_or_default();
            let at = offset.saturating_add(hit.range.start as u64);
            let f =
                self.cfg
                    .secrets
                    .finding(hit.secret_index, hit.variant, matched, Transport::Clear);
            self.secret_seen(
                hit.secret_index,
                frame,
                format!(
                    "stream {stream} {dirname} frame {frame} stream offset {at} ({layer}, {})",
                    hit.variant.label()
                ),
            );
            let f = f
                .detail("layer", layer)
                .detail("direction", dirname)
                .detail("stream_offset", at.to_string());
            self.push(f, Some(stream), &[frame]);
        }
        let piece = HeadPiece::of(copy);
        if piece.headers.is_empty() {
            return;
        }
        for f in request_credentials(
            &piece.method,
            &piece.uri,
            &piece.headers,
            piece.body,
            None,
            Transport::Clear,
        ) {
            self.push(f.detail("layer", layer), Some(stream), &[frame]);
        }
    }

    fn close_stream(
        &mut self,
        st: Box<StreamState>,
        summary: &ConversationSummary,
        proto: Option<&'static Protocol>,
    ) {
        let bytes = summary.payload_to_server + summary.payload_to_client;
        let label = match proto {
            Some(p) => {
                if p.encrypted {
                    self.report.bytes_encrypted += bytes;
                } else {
                    self.report.bytes_clear += bytes;
                }
                p.label.to_string()
            }
            None => {
                if bytes == 0 {
                    "no data".to_string()
                } else {
                    let mut sample = st.dirs[0].sample.clone();
                    sample.extend_from_slice(&st.dirs[1].sample);
                    let class = classify(&sample);
                    match class {
                        Class::HighEntropyOpaque => self.report.bytes_encrypted += bytes,
                        Class::PrintableText => self.report.bytes_clear += bytes,
                        _ => self.report.bytes_other += bytes,
                    }
                    class_label(class).to_string()
                }
            }
        };
        if let Some(sess) = st
            .tls_index
            .and_then(|i| self.report.tls_sessions.get_mut(i))
        {
            sess.bytes = bytes;
        }
        if self.report.streams.len() < MAX_LIST {
            self.report.streams.push(StreamBrief {
                stream: summary.stream,
                protocol: label.clone(),
                bytes,
                http_exchanges: st.http_exchanges,
                leaked: st.leaked,
                tls_session: st.tls_index,
            });
        }
        *self.report.protocols.entry(label).or_default() += 1;
    }

    /// A URI as the report shows it: escaped, bounded, its query masked under `--mask`.
    fn shown_uri(&self, uri: &[u8]) -> String {
        match (self.cfg.mask, uri.iter().position(|b| *b == b'?')) {
            (true, Some(q)) => format!(
                "{}?{}",
                escape_truncated(uri.get(..q).unwrap_or_default(), 120),
                mask_value(&escape_truncated(uri.get(q + 1..).unwrap_or_default(), 120))
            ),
            _ => escape_truncated(uri, 120),
        }
    }

    /// `text/plain 11 B "fluffy tail"`: media type, size and the start of a readable body
    /// (escaped, at most [`CONTENT_SHOWN`] bytes; masked under `--mask`).
    fn body_brief(&self, h: &HttpMessage, body: &[u8]) -> String {
        let mut s = String::new();
        if let Some(ct) = &h.content_type {
            let media = ct.split(|b| *b == b';').next().unwrap_or_default();
            s.push_str(&escape_truncated(media.trim_ascii(), 60));
            s.push(' ');
        }
        s.push_str(&format!("{} B", h.body_len));
        if body.is_empty() {
            return s;
        }
        let text = matches!(classify(body), Class::PrintableText | Class::Http);
        if !text {
            s.push_str(" (not text)");
            return s;
        }
        let shown = escape_truncated(body, CONTENT_SHOWN);
        if self.cfg.mask {
            s.push_str(&format!(" {}", mask_value(&shown)));
        } else {
            s.push_str(&format!(" \"{shown}\""));
        }
        s
    }

    /// Application events completed by the current frame.
    pub fn app_events(&mut self, events: &[AppEvent], ts: Timestamp) {
        for e in events {
            if let Some(h) = e.msg.http() {
                self.http(e, h);
            } else if let Some(t) = e.msg.tls() {
                self.tls(e, t, ts);
            } else {
                self.other(e);
            }
        }
    }

    fn http(&mut self, e: &AppEvent, h: &HttpMessage) {
        if e.layer != Layer::Clear {
            self.http_with_keys(e, h);
            return;
        }
        let stream = e.stream;
        let frames = e.frames.clone();
        let body = h.body_for_search();
        if h.is_request() {
            self.report.http_requests_total += 1;
            let (method, uri) = match &h.start {
                StartLine::Request(r) => (r.method.clone(), r.uri.clone()),
                _ => (String::new(), Vec::new()),
            };
            let label = format!("{} {}", escape_str(&method), self.shown_uri(&uri));
            if self.report.http_requests.len() < MAX_LIST {
                self.report.http_requests.push(label.clone());
            }
            let sent = if body.is_empty() {
                label
            } else {
                format!("{label} ({})", self.body_brief(h, body))
            };
            if let Some(st) = self.streams.get_mut(&stream) {
                if st.requests_waiting.len() < 16 {
                    st.requests_waiting.push(sent);
                }
            }
            if let Some(host) = h.header("host") {
                let host = escape_truncated(host, 120);
                if let Some(st) = self.streams.get_mut(&stream) {
                    st.last_host = Some(host.clone());
                }
                self.hostname(host, "Host");
            }
            for f in request_credentials(
                &method,
                &uri,
                &h.headers,
                body,
                h.content_type.as_deref(),
                Transport::Clear,
            ) {
                self.push(f, Some(stream), &frames);
            }
            if !self.cfg.secrets.is_empty() {
                if let Some(auth) = h.header("authorization") {
                    for hit in self.cfg.secrets.find_in_basic_auth(auth) {
                        let idx = hit.secret_index;
                        let f = self
                            .cfg
                            .secrets
                            .finding(idx, hit.variant, auth, Transport::Clear);
                        self.secret_seen(
                            idx,
                            e.frame,
                            format!(
                                "stream {stream} frame {} (HTTP Authorization: Basic, decoded)",
                                e.frame
                            ),
                        );
                        self.push(f.detail("layer", "http basic auth"), Some(stream), &frames);
                    }
                }
            }
        } else {
            let status = match &h.start {
                StartLine::Response(r) => r.status,
                _ => 0,
            };
            let request = self.streams.get_mut(&stream).and_then(|st| {
                st.http_exchanges += 1;
                (!st.requests_waiting.is_empty()).then(|| st.requests_waiting.remove(0))
            });
            self.report.content_total += 1;
            if self.report.content.len() < MAX_LIST {
                let line = format!(
                    "{} → {status} {}",
                    request.unwrap_or_else(|| "(request not seen)".into()),
                    self.body_brief(h, body)
                );
                self.report.content.push(line);
            }
            for f in response_credentials(
                &h.headers,
                body,
                h.content_type.as_deref(),
                Transport::Clear,
            ) {
                self.push(f, Some(stream), &frames);
            }
            let host = self
                .streams
                .get(&stream)
                .and_then(|st| st.last_host.clone());
            for f in audit_response_headers(status, &h.headers, Transport::Clear, host.as_deref()) {
                if matches!(
                    f.kind,
                    FindingKind::NoHttpsRedirect | FindingKind::MissingHsts
                ) {
                    self.push_once(f, host.clone().unwrap_or_default(), Some(stream), &frames);
                } else {
                    self.push(f, Some(stream), &frames);
                }
            }
        }
        // Secrets that only appear once the body is de-chunked or decompressed.
        if !self.cfg.secrets.is_empty() && (h.body_decoded.is_some() || h.chunked) {
            for hit in self.cfg.secrets.find_in(body) {
                let matched = body.get(hit.range.clone()).unwrap_or_default();
                let layer = match &h.decoded_with {
                    Some(c) => format!("http body (decoded {c})"),
                    None => "http body (de-chunked)".to_string(),
                };
                let f = self.cfg.secrets.finding(
                    hit.secret_index,
                    hit.variant,
                    matched,
                    Transport::Clear,
                );
                self.secret_seen(
                    hit.secret_index,
                    e.frame,
                    format!(
                        "stream {stream} {} frame {} body offset {} ({layer}, {})",
                        dir_label(e.dir),
                        e.frame,
                        hit.range.start,
                        hit.variant.label()
                    ),
                );
                self.push(
                    f.detail("layer", &layer)
                        .detail("body_offset", hit.range.start.to_string()),
                    Some(stream),
                    &frames,
                );
            }
        }
        for tok in find_fernet_tokens(body) {
            self.report.fernet_tokens += 1;
            let dec = self.cfg.fernet_key.as_ref().map(|k| k.decrypt(&tok.raw));
            let mut f = tok.finding(dec.as_ref(), Transport::Clear);
            match &dec {
                Some(Ok(plain)) => {
                    f = f.detail("decrypted", escape_truncated(plain, 200));
                    let shown = if self.cfg.mask {
                        mask_value(&escape_truncated(plain, 80))
                    } else {
                        escape_truncated(plain, 80)
                    };
                    if self.report.fernet.len() < MAX_LIST {
                        self.report.fernet.push(format!(
                            "token from {}, protected on the wire, readable with the key: {shown}",
                            tok.timestamp_rfc3339(),
                        ));
                    }
                    for hit in self.cfg.secrets.find_in(plain) {
                        if let Some(s) = self.report.secrets.get_mut(hit.secret_index) {
                            s.with_key += 1;
                            if s.with_key_places.len() < 50 {
                                s.with_key_places.push(format!(
                                    "stream {stream} frame {} (inside a Fernet token, with --fernet-key)",
                                    e.frame
                                ));
                            }
                        }
                    }
                }
                Some(Err(e)) => {
                    if self.report.fernet.len() < MAX_LIST {
                        self.report.fernet.push(format!(
                            "token from {}, the key does not open it: {e}",
                            tok.timestamp_rfc3339()
                        ));
                    }
                }
                None => {
                    if self.report.fernet.len() < MAX_LIST {
                        self.report.fernet.push(format!(
                            "token from {}, {} bytes of ciphertext (no --fernet-key)",
                            tok.timestamp_rfc3339(),
                            tok.ciphertext_len
                        ));
                    }
                }
            }
            self.push(f, Some(stream), &frames);
        }
    }

    /// An HTTP message decrypted from TLS with the session keys: what only a key holder
    /// sees. Credentials and secrets in it are `visible_with_keys` (info, never a leak); the
    /// HTTPS audit (HSTS, cookie flags, plain-http links and redirects) runs on it.
    fn http_with_keys(&mut self, e: &AppEvent, h: &HttpMessage) {
        let stream = e.stream;
        let frames = e.frames.clone();
        let body = h.body_for_search();
        let transport = Transport::DecryptedTls;
        if let StartLine::Request(r) = &h.start {
            let w = &mut self.report.with_keys;
            w.http_requests_total += 1;
            if w.http_requests.len() < MAX_LIST {
                w.http_requests.push(format!(
                    "{} {}",
                    escape_str(&r.method),
                    escape_truncated(&r.uri, 120)
                ));
            }
            if let Some(host) = h.header("host") {
                if let Some(st) = self.streams.get_mut(&stream) {
                    st.last_host = Some(escape_truncated(host, 120));
                }
            }
            let (method, uri) = (r.method.clone(), r.uri.clone());
            for f in request_credentials(
                &method,
                &uri,
                &h.headers,
                body,
                h.content_type.as_deref(),
                transport,
            ) {
                self.push(with_keys(f), Some(stream), &frames);
            }
        } else {
            let status = match &h.start {
                StartLine::Response(r) => r.status,
                _ => 0,
            };
            for f in response_credentials(&h.headers, body, h.content_type.as_deref(), transport) {
                self.push(with_keys(f), Some(stream), &frames);
            }
            let host = self
                .streams
                .get(&stream)
                .and_then(|st| st.last_host.clone());
            let mut audit = audit_response_headers(status, &h.headers, transport, host.as_deref());
            audit.extend(audit_mixed_content(
                status,
                &h.headers,
                body,
                h.content_type.as_deref(),
            ));
            for f in audit {
                if matches!(f.kind, FindingKind::MissingHsts | FindingKind::MixedContent) {
                    self.push_once(f, host.clone().unwrap_or_default(), Some(stream), &frames);
                } else {
                    self.push(f, Some(stream), &frames);
                }
            }
        }
        if self.cfg.secrets.is_empty() {
            return;
        }
        let mut places: Vec<(&str, Vec<u8>)> = Vec::new();
        if let StartLine::Request(r) = &h.start {
            places.push(("uri", r.uri.clone()));
        }
        for (name, value) in &h.headers {
            places.push(("header", [name.as_bytes(), b": ", value].concat()));
        }
        places.push(("body", body.to_vec()));
        for (what, bytes) in places {
            for hit in self.cfg.secrets.find_in(&bytes) {
                let matched = bytes.get(hit.range.clone()).unwrap_or_default();
                let f = self
                    .cfg
                    .secrets
                    .finding(hit.secret_index, hit.variant, matched, transport);
                if let Some(s) = self.report.secrets.get_mut(hit.secret_index) {
                    s.with_key += 1;
                    if s.with_key_places.len() < 50 {
                        s.with_key_places.push(format!(
                            "stream {stream} {} frame {} (inside TLS, with the session keys: http {what}, {})",
                            dir_label(e.dir),
                            e.frame,
                            hit.variant.label()
                        ));
                    }
                }
                self.report.with_keys.secrets_seen += 1;
                self.push(
                    with_keys(f.detail("layer", format!("decrypted tls: http {what}"))),
                    Some(stream),
                    &frames,
                );
            }
        }
    }

    /// Per-stream summaries raised when streams closed (what decryption achieved).
    pub fn stream_summaries(&mut self, events: &[AppEvent]) {
        for e in events {
            let Some(t) = e.msg.tls() else { continue };
            let TlsMessage::Decryption(d) = &t.message else {
                continue;
            };
            let w = &mut self.report.with_keys;
            w.records_decrypted += d.records_decrypted;
            w.plaintext_bytes += d.app_bytes;
            match d.keys {
                _ if d.records_decrypted > 0 => w.sessions_decrypted += 1,
                KeysUsed::ForwardSecrecy => {
                    w.forward_secrecy += 1;
                    w.sessions_not_decrypted += 1;
                }
                _ => w.sessions_not_decrypted += 1,
            }
            if let Some(sess) = self
                .report
                .tls_sessions
                .iter_mut()
                .rev()
                .find(|s| s.stream == e.stream)
            {
                sess.decryption = Some(d.keys.label().to_string());
                sess.records_decrypted = d.records_decrypted;
            }
        }
    }

    fn hostname(&mut self, h: String, source: &str) {
        if h.is_empty() {
            return;
        }
        if let Some(s) = self.report.host_sources.get_mut(&h) {
            s.insert(source.to_string());
        } else if self.report.host_sources.len() < MAX_LIST {
            self.report
                .host_sources
                .insert(h.clone(), BTreeSet::from([source.to_string()]));
        }
        if self.report.hostnames.len() < MAX_LIST {
            self.report.hostnames.insert(h);
        }
    }

    /// A finding raised once per (kind, key) for the run.
    fn push_once(&mut self, f: Finding, key: String, stream: Option<StreamId>, frames: &[u64]) {
        if self.once.len() >= MAX_REMEMBERED {
            self.once.clear();
        }
        if self.once.insert((f.kind, key)) {
            self.push(f, stream, frames);
        }
    }

    /// Messages that are neither HTTP nor TLS records: host names (DNS, QUIC), a QUIC
    /// ClientHello (ECH), readable fields (DNS names and TXT) searched for secrets and
    /// credentials.
    fn other(&mut self, e: &AppEvent) {
        let frames = e.frames.clone();
        let stream = Some(e.stream);
        for h in e.msg.host_names() {
            let name = escape_truncated(&h.name, 120);
            self.hostname(name.clone(), h.source);
            if h.source == "DNS" {
                let f = Finding::new(
                    FindingKind::DnsHostname,
                    Severity::Info,
                    &h.name,
                    "Anyone on the path learns this host name from the DNS lookup, before any connection is made (HTTPS does not hide it; encrypted DNS does).",
                );
                self.push_once(f, name, stream, &frames);
            }
        }
        if let Some(ch) = e.msg.client_hello() {
            if let Some(f) = ech_finding(ch) {
                let key = escape_truncated(&ch.values.sni.clone().unwrap_or_default(), 120);
                self.push_once(f, key, stream, &frames);
            }
        }
        if e.layer != Layer::Clear {
            return;
        }
        for field in e.msg.clear_fields() {
            // Names are dot-separated labels: also search them with the dots taken out
            // (a secret split over labels).
            let undotted: Vec<u8> = field.bytes.iter().copied().filter(|b| *b != b'.').collect();
            for text in [&field.bytes, &undotted] {
                for hit in self.cfg.secrets.find_in(text) {
                    if self.sightings.contains(&(hit.secret_index, e.frame)) {
                        continue;
                    }
                    let matched = text.get(hit.range.clone()).unwrap_or_default();
                    let f = self
                        .cfg
                        .secrets
                        .finding(hit.secret_index, hit.variant, matched, Transport::Clear)
                        .detail("layer", field.what);
                    self.secret_seen(
                        hit.secret_index,
                        e.frame,
                        format!(
                            "frame {} ({}, {})",
                            e.frame,
                            field.what,
                            hit.variant.label()
                        ),
                    );
                    self.push(f, stream, &frames);
                }
            }
            for f in super::credentials::text_field_credentials(&field.bytes, field.what) {
                self.push(f, stream, &frames);
            }
        }
    }

    fn tls(&mut self, e: &AppEvent, t: &TlsEvent, ts: Timestamp) {
        // The trust anchors (the whole system store) are lent to the handler, not cloned
        // for every TLS event.
        let trusted = std::mem::take(&mut self.cfg.trusted_cas);
        self.tls_with(e, t, ts, &trusted);
        self.cfg.trusted_cas = trusted;
    }

    fn tls_with(&mut self, e: &AppEvent, t: &TlsEvent, ts: Timestamp, trusted: &[TrustAnchor]) {
        let stream = e.stream;
        let frames = e.frames.clone();
        let ca_file_cas = self.cfg.ca_file_cas;
        let Some(st) = self.streams.get_mut(&stream) else {
            return;
        };
        let idx = match st.tls_index {
            Some(i) => Some(i),
            None if self.report.tls_sessions.len() < MAX_LIST => {
                self.report.tls_sessions.push(TlsSession {
                    stream,
                    ..TlsSession::default()
                });
                let i = self.report.tls_sessions.len() - 1;
                st.tls_index = Some(i);
                Some(i)
            }
            None => None,
        };
        let mut new_findings = Vec::new();
        let mut host = None;
        match &t.message {
            TlsMessage::ClientHello(ch) => {
                let sni = ch.values.sni.as_ref().map(|s| escape_bytes(s));
                st.sni = sni.clone();
                st.offered_versions = if ch.values.supported_versions.is_empty() {
                    vec![ch.legacy_version]
                } else {
                    ch.values
                        .supported_versions
                        .iter()
                        .copied()
                        .filter(|v| !crate::dissect::tls::is_grease(*v))
                        .collect()
                };
                if let (Some(i), Some(s)) = (idx, &sni) {
                    if let Some(sess) = self.report.tls_sessions.get_mut(i) {
                        sess.sni = Some(s.clone());
                    }
                }
                new_findings.extend(ech_finding(ch));
                host = sni;
            }
            TlsMessage::ServerHello(sh) if !sh.hello_retry_request => {
                st.tls_version = Some(sh.version);
                st.cipher = Some(sh.cipher_suite);
                st.alpn = sh.values.alpn.first().map(|a| escape_bytes(a));
                new_findings.extend(audit_tls_version(&st.offered_versions, Some(sh.version)));
                let name = crate::dissect::tls::cipher_suite_name(sh.cipher_suite);
                new_findings.extend(audit_cipher(sh.cipher_suite, &name));
                if let Some(sess) = idx.and_then(|i| self.report.tls_sessions.get_mut(i)) {
                    sess.version = Some(super::audit::tls_version_name(sh.version));
                    sess.cipher = Some(name);
                    sess.alpn = st.alpn.clone();
                    sess.certificate_hidden = sh.version == 0x0304;
                }
            }
            TlsMessage::Certificate(chain) => {
                let facts: Vec<CertFacts> = chain
                    .certificates
                    .iter()
                    .filter(|c| c.parse_error.is_none())
                    .map(cert_facts)
                    .collect();
                new_findings.extend(audit_chain(&facts, st.sni.as_deref(), ts.secs, trusted));
                let trust = trust_words(&facts, trusted, ca_file_cas);
                let with_keys = t.record.decrypted.is_some();
                if with_keys {
                    // A TLS 1.3 certificate: only a key holder sees it.
                    for f in &mut new_findings {
                        f.details.push((
                            "seen",
                            "with the session keys only (the certificate is encrypted on the wire)"
                                .to_string(),
                        ));
                    }
                }
                if let Some(sess) = idx.and_then(|i| self.report.tls_sessions.get_mut(i)) {
                    sess.certificate_hidden = with_keys;
                    if !facts.is_empty() {
                        sess.trust = Some(trust);
                    }
                    for c in chain.certificates.iter().take(8) {
                        sess.certificates.push(CertBrief {
                            subject: escape_str(&c.subject),
                            issuer: escape_str(&c.issuer),
                            not_before: c.not_before.clone(),
                            not_after: c.not_after.clone(),
                            self_signed: c.self_signed,
                            ca: c.ca,
                            key: c.key.clone(),
                        });
                    }
                }
            }
            TlsMessage::AppData(a) => {
                if let Some(sess) = idx.and_then(|i| self.report.tls_sessions.get_mut(i)) {
                    let d = &mut sess.app_data[e.dir.index()];
                    *d = d.saturating_add(a.len as u64);
                }
            }
            TlsMessage::Alert(a) => {
                let text = match (a.encrypted, a.level, a.description) {
                    (false, Some(l), Some(d)) => {
                        new_findings.extend(audit_alert(l, d));
                        format!(
                            "{} {}: {}",
                            if l == 2 { "fatal" } else { "warning" },
                            super::audit::alert_name(d).unwrap_or("unknown"),
                            super::audit::explain_alert(d)
                        )
                    }
                    _ => "encrypted alert".to_string(),
                };
                if let Some(sess) = idx.and_then(|i| self.report.tls_sessions.get_mut(i)) {
                    if sess.alerts.len() < 8 {
                        sess.alerts.push(text);
                    }
                }
            }
            _ => {}
        }
        if let Some(h) = host {
            self.hostname(h, "SNI");
        }
        for f in new_findings {
            self.push(f, Some(stream), &frames);
        }
    }

    /// End of the run: close what is still open and hand over the report.
    pub fn finish(mut self, source: &str) -> Report {
        self.report.source = escape_str(source);
        self.report.streams.sort_by_key(|s| s.stream);
        self.report.first_time = self.first_ts.map(crate::present::time::rfc3339);
        self.report.last_time = self.last_ts.map(crate::present::time::rfc3339);
        self.report
    }
}

/// The ECH finding of a ClientHello (TLS or QUIC), if it offers ECH.
pub fn ech_finding(ch: &crate::dissect::tls::ClientHello) -> Option<Finding> {
    let note = ch.ech_note()?;
    let sni = ch.values.sni.clone().unwrap_or_default();
    Some(Finding::new(
        FindingKind::EchOffered,
        Severity::Info,
        &sni,
        note,
    ))
}

impl Serialize for Finding {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        serde_json::Value::Object(self.json()).serialize(s)
    }
}

/// Whether a certificate chain is trusted, in words, against `anchors` (the first
/// `ca_file_cas` of them from `--ca-file`, the rest this system's store).
fn trust_words(chain: &[CertFacts], anchors: &[TrustAnchor], ca_file_cas: usize) -> String {
    if anchors.is_empty() {
        return "not checked: no trust store on this system (give --ca-file)".into();
    }
    let pos = super::audit::trust_anchor(chain, anchors)
        .and_then(|a| anchors.iter().position(|x| std::ptr::eq(x, a)));
    match pos {
        Some(i) if i < ca_file_cas => format!(
            "trusted with --ca-file ({})",
            escape_str(anchors.get(i).map_or("", |a| a.subject.as_str()))
        ),
        Some(i) => format!(
            "trusted by this system ({})",
            escape_str(anchors.get(i).map_or("", |a| a.subject.as_str()))
        ),
        None if chain.first().is_some_and(|c| c.self_signed) => {
            "self-signed: not trusted by this system".into()
        }
        None => "not trusted by this system — the client must be given the CA file".into(),
    }
}

fn dir_label(d: Direction) -> &'static str {
    match d {
        Direction::ToServer => "client→server",
        Direction::ToClient => "server→client",
    }
}

fn class_label(c: Class) -> &'static str {
    match c {
        Class::Http => "HTTP",
        Class::Tls => "TLS",
        Class::HighEntropyOpaque => "opaque (high entropy)",
        Class::PrintableText => "printable text",
        Class::Binary => "binary",
        Class::Empty => "no data",
    }
}

fn cert_facts(c: &crate::dissect::tls::CertSummary) -> CertFacts {
    let rsa_bits = c
        .key
        .strip_prefix("RSA ")
        .and_then(|b| b.trim().parse().ok());
    CertFacts {
        subject: c.subject.clone(),
        issuer: c.issuer.clone(),
        self_signed: c.self_signed,
        not_before: c.not_before_unix,
        not_after: c.not_after_unix,
        rsa_bits,
        sans: c
            .san
            .iter()
            .filter_map(|s| s.strip_prefix("DNS:").map(String::from))
            .collect(),
        is_ca: c.ca,
        der: c.der.clone(),
    }
}

/// The header lines (`Name: value`) in a piece of an HTTP head, with the request line's
/// method and target when the piece starts with one, and what follows a blank line.
struct HeadPiece<'a> {
    method: String,
    uri: Vec<u8>,
    headers: Vec<(String, Vec<u8>)>,
    body: &'a [u8],
}

impl<'a> HeadPiece<'a> {
    fn of(bytes: &'a [u8]) -> HeadPiece<'a> {
        let (head, body) = match memchr::memmem::find(bytes, b"\r\n\r\n") {
            Some(i) => (
                bytes.get(..i).unwrap_or_default(),
                bytes.get(i + 4..).unwrap_or_default(),
            ),
            None => (bytes, &[][..]),
        };
        let mut method = String::new();
        let mut uri = Vec::new();
        let mut headers = Vec::new();
        for (i, line) in head.split(|&b| b == b'\n').enumerate() {
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            if let Some(colon) = line.iter().position(|&b| b == b':') {
                let name = line.get(..colon).unwrap_or_default();
                if !name.is_empty() && name.iter().all(|b| b.is_ascii_graphic()) {
                    let value = line.get(colon + 1..).unwrap_or_default().trim_ascii();
                    headers.push((String::from_utf8_lossy(name).into_owned(), value.to_vec()));
                    continue;
                }
            }
            if i == 0 {
                let mut parts = line.split(|&b| b == b' ');
                if let (Some(m), Some(u)) = (parts.next(), parts.next()) {
                    if !m.is_empty() && m.iter().all(|b| b.is_ascii_uppercase()) {
                        method = String::from_utf8_lossy(m).into_owned();
                        uri = u.to_vec();
                    }
                }
            }
        }
        HeadPiece {
            method,
            uri,
            headers,
            body,
        }
    }
}

/// What makes two sightings the same finding: stream, direction, kind and the (escaped)
/// evidence, for secrets and credentials seen in clear in a stream (what is only visible
/// with the session keys is reported where it is, frame by frame).
type AggregateKey = (StreamId, String, FindingKind, String);

fn aggregate_key(f: &Finding) -> Option<AggregateKey> {
    let stream = f.stream?;
    if !f.carries_value() || f.kind == FindingKind::VisibleWithKeys {
        return None;
    }
    let dir = f
        .details
        .iter()
        .find(|(k, _)| *k == "direction")
        .map(|(_, v)| v.clone())
        .unwrap_or_default();
    Some((stream, dir, f.kind, f.evidence.clone()))
}
