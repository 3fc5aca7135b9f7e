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
    audit_alert, audit_cipher, audit_judged_chain, audit_mixed_content, audit_response,
    audit_response_headers, audit_tls_version, mixed_content_reads_body, TrustAnchor,
};
use super::classify::{classify, Class};
use super::credentials::{credentials_read_body, request_credentials, response_credentials};
use super::fernet::{fernet_tokens_at, find_fernet_tokens, FernetKey};
use super::finding::{mask_value, Finding, FindingKind, Severity, Transport};
use super::secrets::{SecretHit, SecretSet, StreamScanner};
use crate::capture::Timestamp;
use crate::dissect::http::{HttpMessage, StartLine};
use crate::dissect::registry::Protocol;
use crate::dissect::tls::decrypt::KeysUsed;
use crate::dissect::tls::{TlsEvent, TlsMessage};
use crate::dissect::{AppEvent, Layer};
use crate::flow::{ConversationSummary, Direction, StreamEvent, StreamId};
use crate::present::escape::{escape_bytes, escape_str, escape_truncated};

mod locate;
mod on_http;
mod on_tls;
mod report;

pub use report::{CertBrief, OnceRaised, Report, SecretReport, StreamBrief, TlsSession, WithKeys};

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
    /// Keys of the findings raised once per run ([`Analyzer::push_once`]), by kind (looked
    /// up by `&str`, with no key built).
    once: HashMap<FindingKind, HashSet<String>>,
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
    /// `-j`: keep where each once-per-run finding was raised ([`Report::once_raised`]).
    record_once: bool,
    /// The input has ended: what is raised now comes after every frame.
    ended: bool,
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
            once: HashMap::default(),
            first_ts: None,
            last_ts: None,
            sightings: HashSet::default(),
            aggregated: HashMap::default(),
            mask_terms: Vec::new(),
            record_once: false,
            ended: false,
        }
    }

    /// `-j`: this analyzer sees a share of the sessions; keep where each once-per-run
    /// finding was raised, so that [`Report::merge_shards`] keeps only the first.
    pub fn record_once(&mut self) {
        self.record_once = true;
    }

    /// The input has ended (what is raised from now on is raised after every frame).
    pub fn end_of_input(&mut self) {
        self.ended = true;
    }

    /// A new frame begins: `data` is its captured bytes; `payload` the bytes above the last
    /// decoded layer; `tcp` whether they belong to a TCP stream (searched as a stream).
    pub fn begin_frame(&mut self, frame: u64, ts: Timestamp, len: u32) {
        self.current_frame = frame;
        self.current.clear();
        self.report.packets += 1;
        self.report.bytes += u64::from(len);
        self.first_ts.get_or_insert(ts);
        self.last_ts = Some(ts);
    }

    /// Search bytes of the current frame that no stream searches (the payload of a frame
    /// that is not TCP, or a UDP datagram put back together from IP fragments) for the
    /// secrets; `at` is the frame offset of `bytes[0]` (past the frame's captured bytes for
    /// a reassembled datagram, see [`crate::decode::defrag::Reassembled`]).
    pub fn search_frame_bytes(&mut self, bytes: &[u8], at: usize) {
        if self.cfg.secrets.is_empty() {
            return;
        }
        let frame = self.current_frame;
        for hit in self.cfg.secrets.find_in(bytes) {
            let matched = bytes.get(hit.range.clone()).unwrap_or_default();
            let r = at.saturating_add(hit.range.start)..at.saturating_add(hit.range.end);
            let place = format!(
                "frame {frame} offset {} (frame bytes, {})",
                r.start,
                hit.variant.label()
            );
            let f = self.clear_secret(&hit, matched, frame, place);
            self.current.push(r.clone());
            self.push(
                f.detail("layer", "frame")
                    .detail("offset", r.start.to_string()),
                None,
                &[frame],
            );
        }
    }

    /// Bytes of IP fragments no datagram search reads: the other copy of an overlap that
    /// differed (`overlap`), or the pieces of a datagram given up before it completed.
    /// `at` is where `bytes` start in the datagram's payload; `frames`, its fragments'.
    pub fn fragment_copy(&mut self, frames: &[u64], at: usize, bytes: &[u8], overlap: bool) {
        let list: Vec<String> = frames.iter().map(u64::to_string).collect();
        let seen = locate::SeenCopy {
            stream: None,
            direction: None,
            layer: if overlap {
                "ip fragment overlap (other copy)"
            } else {
                "ip fragments (datagram never completed)"
            },
            place: format!("frames {} datagram offset", list.join("+")),
            offset_name: "datagram_offset",
            frames: frames.to_vec(),
        };
        self.search_copy(&seen, at as u64, bytes);
    }

    /// This frame completed datagram `r` from IP fragments: the highlights placed in its
    /// bytes (frame offsets past the frame's own bytes) are placed as well on the bytes each
    /// fragment carried in its own frame — this frame's now, earlier fragments' for a
    /// printing pass that follows a quiet one — so that `-x` marks, and `--mask` stars,
    /// every piece of a secret an eavesdropper read.
    pub fn fragment_highlights(&mut self, r: &crate::decode::defrag::Reassembled) {
        let frame = self.current_frame;
        let mut own = Vec::new();
        for d in r.data_ranges(&self.current) {
            for p in &r.fragments {
                let Some(range) = p.frame_range(&d) else {
                    continue;
                };
                if p.frame == frame {
                    own.push(range);
                } else {
                    self.earlier.entry(p.frame).or_default().push(range);
                }
            }
        }
        self.current.extend(own);
        if !self.cfg.mask {
            return;
        }
        // `--mask`: a credential found in the datagram has no highlight, and the pieces of
        // it that earlier fragments carried cannot be found by its value: mark them (this
        // frame's own piece is starred with the datagram, see `render::masked_frame`).
        for t in self.mask_terms.iter().map(String::as_bytes) {
            if t.len() < 4 {
                continue;
            }
            for at in memchr::memmem::find_iter(&r.data, t) {
                let d = at..at + t.len();
                for p in r.fragments.iter().filter(|p| p.frame != frame) {
                    if let Some(range) = p.frame_range(&d) {
                        self.earlier.entry(p.frame).or_default().push(range);
                    }
                }
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
                let sent = f.masked_texts().filter(|v| v.len() >= 4).map(String::from);
                self.mask_terms.extend(sent);
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
    /// A secret seen in clear (`hit`, the bytes `matched`), counted where it was seen
    /// (`place`, in `frame`): its finding.
    fn clear_secret(
        &mut self,
        hit: &SecretHit,
        matched: &[u8],
        frame: u64,
        place: String,
    ) -> Finding {
        self.secret_seen(hit.secret_index, frame, place);
        self.cfg
            .secrets
            .finding(hit.secret_index, hit.variant, matched, Transport::Clear)
    }

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

    /// A host name seen, and where (`Host`, `SNI`, `DNS`…); copied only when it is new.
    fn hostname(&mut self, h: &str, source: &str) {
        if h.is_empty() {
            return;
        }
        if let Some(s) = self.report.host_sources.get_mut(h) {
            if !s.contains(source) {
                s.insert(source.to_string());
            }
        } else if self.report.host_sources.len() < MAX_LIST {
            self.report
                .host_sources
                .insert(h.to_string(), BTreeSet::from([source.to_string()]));
        }
        if self.report.hostnames.len() < MAX_LIST && !self.report.hostnames.contains(h) {
            self.report.hostnames.insert(h.to_string());
        }
    }

    /// The stream's last host, taken to be read while a response is checked, back in place.
    fn give_back_host(&mut self, stream: StreamId, host: Option<String>) {
        if let Some(st) = self.streams.get_mut(&stream) {
            st.last_host = host;
        }
    }

    /// True when [`Analyzer::push_once`] would drop a finding of `kind` for `key` (already
    /// raised, and remembered): the caller need not build it.
    fn once_known(&self, kind: FindingKind, key: &str) -> bool {
        self.once_len() < MAX_REMEMBERED && self.once.get(&kind).is_some_and(|k| k.contains(key))
    }

    /// How many (kind, key) pairs [`Analyzer::push_once`] remembers (a set per kind: few).
    fn once_len(&self) -> usize {
        self.once.values().map(HashSet::len).sum()
    }

    /// A finding raised once per (kind, key) for the run.
    fn push_once(&mut self, f: Finding, key: String, stream: Option<StreamId>, frames: &[u64]) {
        if self.once_len() >= MAX_REMEMBERED {
            self.once.clear();
        }
        let recorded = self.record_once.then(|| key.clone());
        if self.once.entry(f.kind).or_default().insert(key) {
            let total = |r: &Report| r.findings.len() as u64 + r.findings_dropped;
            let (before, index) = (total(&self.report), self.report.findings.len());
            let (kind, severity) = (f.kind, f.severity);
            self.push(f, stream, frames);
            if let (Some(key), true) = (recorded, total(&self.report) > before) {
                self.report.once_raised.push(OnceRaised {
                    kind,
                    key,
                    frame: if self.ended {
                        u64::MAX
                    } else {
                        self.current_frame
                    },
                    severity,
                    index: (self.report.findings.len() > index).then_some(index),
                });
            }
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
            self.hostname(&name, h.source);
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
                    let place = format!(
                        "frame {} ({}, {})",
                        e.frame,
                        field.what,
                        hit.variant.label()
                    );
                    let f = self
                        .clear_secret(&hit, matched, e.frame, place)
                        .detail("layer", field.what);
                    self.push(f, stream, &frames);
                }
            }
            for f in super::credentials::text_field_credentials(&field.bytes, field.what) {
                self.push(f, stream, &frames);
            }
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

#[cfg(test)]
mod once_tests {
    use super::*;

    /// A finding said once per (kind, key) is looked up by kind and key, and raised once;
    /// a host name is listed once with every place it was seen.
    #[test]
    fn once_findings_and_host_names_are_kept_once() {
        let mut a = Analyzer::new(FindingsConfig::default());
        let kind = FindingKind::NoHttpsRedirect;
        let f = || Finding::new(kind, Severity::Low, b"http://a.example", "plain HTTP");
        assert!(!a.once_known(kind, "a.example"));
        a.push_once(f(), "a.example".into(), None, &[]);
        assert!(a.once_known(kind, "a.example"));
        assert!(!a.once_known(FindingKind::MissingHsts, "a.example"));
        assert!(!a.once_known(kind, "b.example"));
        a.push_once(f(), "a.example".into(), None, &[]);
        a.push_once(f(), "b.example".into(), None, &[]);
        assert_eq!(a.report.findings.len(), 2);
        assert_eq!(a.once_len(), 2);
        for (host, source) in [("h.example", "Host"), ("h.example", "SNI"), ("", "DNS")] {
            a.hostname(host, source);
        }
        a.hostname("h.example", "Host");
        assert_eq!(
            a.report.hostnames,
            BTreeSet::from(["h.example".to_string()])
        );
        let sources = a.report.host_sources.get("h.example").cloned();
        assert_eq!(sources, Some(BTreeSet::from(["Host".into(), "SNI".into()])));
    }
}
