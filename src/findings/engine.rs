//! The findings stage of the pipeline: watches reassembled stream data, dissected HTTP and
//! TLS, and raw frames, and says what an eavesdropper learns — secrets (also across segment
//! boundaries and inside decoded bodies), credentials, Fernet tokens, the HTTPS-hardening
//! audit — and gathers the run's [`Report`].
//!
//! Every buffer here is bounded: per-stream state is dropped when the stream closes, the
//! findings list and the report's lists are capped (with counts of what was left out).

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::ops::Range;

use serde::Serialize;

use super::audit::{
    audit_alert, audit_chain, audit_cipher, audit_response_headers, audit_tls_version, CertFacts,
};
use super::classify::{classify, Class};
use super::credentials::request_credentials;
use super::credentials::response_credentials;
use super::fernet::{find_fernet_tokens, FernetKey};
use super::finding::{Finding, FindingKind, Severity, Transport};
use super::secrets::{SecretSet, StreamScanner};
use crate::capture::Timestamp;
use crate::dissect::http::{HttpMessage, StartLine};
use crate::dissect::registry::Protocol;
use crate::dissect::tls::{TlsEvent, TlsMessage};
use crate::dissect::AppEvent;
use crate::flow::{ConversationSummary, Direction, StreamEvent, StreamId};
use crate::render::escape::{escape_bytes, escape_str, escape_truncated};

/// Most findings kept for the report (more are counted).
const MAX_FINDINGS: usize = 2_000;
/// Most entries kept in each of the report's lists.
const MAX_LIST: usize = 500;
/// Most (secret, frame) sightings and once-per-host findings remembered for de-duplication.
const MAX_REMEMBERED: usize = 100_000;
/// Bytes of a stream's start kept to classify streams no dissector recognised.
const SAMPLE: usize = 128;

/// What the findings stage is told by the user.
#[derive(Debug, Clone)]
pub struct FindingsConfig {
    pub secrets: SecretSet,
    pub fernet_key: Option<FernetKey>,
    /// Subjects of the CAs given with `--ca-file`.
    pub trusted_cas: Vec<String>,
    pub ca_file_given: bool,
}

impl Default for FindingsConfig {
    fn default() -> Self {
        FindingsConfig {
            secrets: SecretSet::empty(),
            fernet_key: None,
            trusted_cas: Vec::new(),
            ca_file_given: false,
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
    pub alerts: Vec<String>,
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

/// One `--secret` and where it was seen.
#[derive(Debug, Clone, Serialize, Default)]
pub struct SecretReport {
    /// The secret as given, escaped.
    pub secret: String,
    pub seen: u64,
    /// `stream 0 server→client frame 8 offset 174 (tcp stream, raw)`.
    pub places: Vec<String>,
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
    pub http_requests: Vec<String>,
    pub http_requests_total: u64,
    pub tls_sessions: Vec<TlsSession>,
    pub secrets: Vec<SecretReport>,
    pub credentials: Vec<Finding>,
    pub fernet_tokens: u64,
    /// What each Fernet token is (and decrypts to, with the key).
    pub fernet: Vec<String>,
    pub findings_by_severity: BTreeMap<String, u64>,
    pub findings: Vec<Finding>,
    pub findings_dropped: u64,
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
}

impl Analyzer {
    pub fn new(cfg: FindingsConfig) -> Self {
        let secrets = cfg
            .secrets
            .secrets()
            .iter()
            .map(|s| SecretReport {
                secret: escape_bytes(s),
                ..SecretReport::default()
            })
            .collect();
        Analyzer {
            cfg,
            streams: HashMap::new(),
            pending: Vec::new(),
            current: Vec::new(),
            current_frame: 0,
            earlier: BTreeMap::new(),
            report: Report {
                secrets,
                ..Report::default()
            },
            once: HashSet::new(),
            first_ts: None,
            last_ts: None,
            sightings: HashSet::new(),
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
        *self
            .report
            .findings_by_severity
            .entry(f.severity.name().to_string())
            .or_default() += 1;
        if matches!(
            f.kind,
            FindingKind::BasicAuth
                | FindingKind::BearerToken
                | FindingKind::Cookie
                | FindingKind::PasswordField
                | FindingKind::ApiKey
        ) && self.report.credentials.len() < MAX_LIST
        {
            self.report.credentials.push(f.clone());
        }
        if self.report.findings.len() < MAX_FINDINGS {
            self.report.findings.push(f.clone());
        } else {
            self.report.findings_dropped += 1;
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
            StreamEvent::Close { stream, summary } => {
                let st = self.streams.remove(stream).unwrap_or_default();
                self.close_stream(st, summary, proto_at_close.flatten());
            }
            _ => {}
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
        *self.report.protocols.entry(label).or_default() += 1;
    }

    /// Application events completed by the current frame.
    pub fn app_events(&mut self, events: &[AppEvent], ts: Timestamp) {
        for e in events {
            if let Some(h) = e.msg.http() {
                self.http(e, h);
            } else if let Some(t) = e.msg.tls() {
                self.tls(e, t, ts);
            }
        }
    }

    fn http(&mut self, e: &AppEvent, h: &HttpMessage) {
        let stream = e.stream;
        let frames = e.frames.clone();
        let body = h.body_for_search();
        if h.is_request() {
            self.report.http_requests_total += 1;
            let (method, uri) = match &h.start {
                StartLine::Request(r) => (r.method.clone(), r.uri.clone()),
                _ => (String::new(), Vec::new()),
            };
            if self.report.http_requests.len() < MAX_LIST {
                self.report.http_requests.push(format!(
                    "{} {}",
                    escape_str(&method),
                    escape_truncated(&uri, 120)
                ));
            }
            if let Some(host) = h.header("host") {
                let host = escape_truncated(host, 120);
                if let Some(st) = self.streams.get_mut(&stream) {
                    st.last_host = Some(host.clone());
                }
                self.hostname(host);
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
                    let key = (f.kind, host.clone().unwrap_or_default());
                    if self.once.len() >= MAX_REMEMBERED {
                        self.once.clear();
                    }
                    if !self.once.insert(key) {
                        continue;
                    }
                }
                self.push(f, Some(stream), &frames);
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
                    if self.report.fernet.len() < MAX_LIST {
                        self.report.fernet.push(format!(
                            "token from {}, decrypts with the key to: {}",
                            tok.timestamp_rfc3339(),
                            escape_truncated(plain, 80)
                        ));
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

    fn hostname(&mut self, h: String) {
        if self.report.hostnames.len() < MAX_LIST && !h.is_empty() {
            self.report.hostnames.insert(h);
        }
    }

    fn tls(&mut self, e: &AppEvent, t: &TlsEvent, ts: Timestamp) {
        let stream = e.stream;
        let frames = e.frames.clone();
        let trusted = self.cfg.trusted_cas.clone();
        let ca_file_given = self.cfg.ca_file_given;
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
                new_findings.extend(audit_chain(&facts, st.sni.as_deref(), ts.secs, &trusted));
                // Without --ca-file nobody has said which CA to trust: say who vouches for
                // the server, and that a client without that CA refuses it.
                if !ca_file_given {
                    if let Some(top) = facts
                        .last()
                        .filter(|_| !facts.first().is_some_and(|l| l.self_signed))
                    {
                        new_findings.push(
                            Finding::new(
                                FindingKind::CertUntrustedCa,
                                Severity::Low,
                                top.issuer.as_bytes(),
                                "The certificate is vouched for by this CA; no --ca-file was given to say it is trusted, and a client that lacks this CA refuses the connection (Python: CERTIFICATE_VERIFY_FAILED).",
                            )
                            .detail("issuer", &top.issuer),
                        );
                    }
                }
                if let Some(sess) = idx.and_then(|i| self.report.tls_sessions.get_mut(i)) {
                    sess.certificate_hidden = false;
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
            self.hostname(h);
        }
        for f in new_findings {
            self.push(f, Some(stream), &frames);
        }
    }

    /// End of the run: close what is still open and hand over the report.
    pub fn finish(mut self, source: &str) -> Report {
        self.report.source = escape_str(source);
        self.report.first_time = self.first_ts.map(crate::render::layers::rfc3339);
        self.report.last_time = self.last_ts.map(crate::render::layers::rfc3339);
        self.report
    }
}

impl Serialize for Finding {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        serde_json::Value::Object(self.json()).serialize(s)
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
    }
}
