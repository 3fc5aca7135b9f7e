//! The run's report: what the findings stage gathers for `--report` and the HTML page,
//! and the per-stream verdicts made when a stream closes.

use super::*;

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
    /// `-j`: where each once-per-run finding was raised (see [`Report::merge_shards`]).
    #[serde(skip)]
    pub once_raised: Vec<OnceRaised>,
}

/// A once-per-run finding (per host or name) as one worker of `-j` raised it.
#[derive(Debug, Clone)]
pub struct OnceRaised {
    pub kind: FindingKind,
    pub key: String,
    /// The frame being analysed when it was raised (`u64::MAX`: at the end of the input).
    pub frame: u64,
    pub severity: Severity,
    /// Where it is in the report's findings (`None`: past their cap, counted as dropped).
    pub index: Option<usize>,
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

/// Append `more` to `list` up to `cap` entries; what does not fit is counted in `dropped`.
fn append_capped<T>(list: &mut Vec<T>, more: Vec<T>, cap: usize, dropped: &mut u64) {
    for x in more {
        if list.len() < cap {
            list.push(x);
        } else {
            *dropped += 1;
        }
    }
}

impl Report {
    /// One report from those of `-j`'s workers, each of which saw a share of the sessions.
    /// The counters are those one analyzer would have made: summed, except that a
    /// once-per-run finding (per host or name) raised by several workers is kept only
    /// where the earliest frame raised it. The lists are the workers' one after another,
    /// capped as one analyzer caps them — not in frame order, and session ids are each
    /// worker's own: only the counters are meant to be read from a merged report.
    pub fn merge_shards(mut parts: Vec<Report>) -> Report {
        // The first raising of each once-per-run finding: (frame, worker).
        let mut first: HashMap<(FindingKind, &str), (u64, usize)> = HashMap::default();
        for (w, p) in parts.iter().enumerate() {
            for o in &p.once_raised {
                let e = first
                    .entry((o.kind, o.key.as_str()))
                    .or_insert((o.frame, w));
                *e = (*e).min((o.frame, w));
            }
        }
        let mut repeats: Vec<(usize, OnceRaised)> = Vec::new();
        for (w, p) in parts.iter().enumerate() {
            for o in &p.once_raised {
                if first.get(&(o.kind, o.key.as_str())) != Some(&(o.frame, w)) {
                    repeats.push((w, o.clone()));
                }
            }
        }
        // Later indexes first, so the earlier ones stay valid.
        repeats.sort_by_key(|(w, o)| (*w, std::cmp::Reverse(o.index)));
        for (w, o) in repeats {
            let Some(p) = parts.get_mut(w) else { continue };
            let sev = o.severity.name().to_string();
            if let Some(n) = p.findings_by_severity.get_mut(&sev) {
                *n = n.saturating_sub(1);
                if *n == 0 {
                    p.findings_by_severity.remove(&sev);
                }
            }
            match o.index {
                Some(i) if i < p.findings.len() => {
                    p.findings.remove(i);
                }
                _ => p.findings_dropped = p.findings_dropped.saturating_sub(1),
            }
        }
        let mut parts = parts.into_iter();
        let mut out = parts.next().unwrap_or_default();
        out.once_raised.clear();
        for p in parts {
            out.packets += p.packets;
            out.bytes += p.bytes;
            out.tcp_streams += p.tcp_streams;
            for (k, v) in p.protocols {
                *out.protocols.entry(k).or_default() += v;
            }
            out.bytes_clear += p.bytes_clear;
            out.bytes_encrypted += p.bytes_encrypted;
            out.bytes_other += p.bytes_other;
            for h in p.hostnames {
                if out.hostnames.len() < MAX_LIST {
                    out.hostnames.insert(h);
                }
            }
            for (h, s) in p.host_sources {
                if let Some(t) = out.host_sources.get_mut(&h) {
                    t.extend(s);
                } else if out.host_sources.len() < MAX_LIST {
                    out.host_sources.insert(h, s);
                }
            }
            let mut unused = 0;
            append_capped(
                &mut out.http_requests,
                p.http_requests,
                MAX_LIST,
                &mut unused,
            );
            out.http_requests_total += p.http_requests_total;
            append_capped(&mut out.content, p.content, MAX_LIST, &mut unused);
            out.content_total += p.content_total;
            append_capped(&mut out.streams, p.streams, MAX_LIST, &mut unused);
            append_capped(&mut out.tls_sessions, p.tls_sessions, MAX_LIST, &mut unused);
            let (k, q) = (&mut out.with_keys, p.with_keys);
            k.sessions_decrypted += q.sessions_decrypted;
            k.sessions_not_decrypted += q.sessions_not_decrypted;
            k.forward_secrecy += q.forward_secrecy;
            k.records_decrypted += q.records_decrypted;
            k.plaintext_bytes += q.plaintext_bytes;
            k.http_requests_total += q.http_requests_total;
            append_capped(&mut k.http_requests, q.http_requests, MAX_LIST, &mut unused);
            k.secrets_seen += q.secrets_seen;
            for (s, t) in out.secrets.iter_mut().zip(p.secrets) {
                s.seen += t.seen;
                append_capped(&mut s.places, t.places, 50, &mut unused);
                s.with_key += t.with_key;
                append_capped(&mut s.with_key_places, t.with_key_places, 50, &mut unused);
            }
            append_capped(&mut out.credentials, p.credentials, MAX_LIST, &mut unused);
            out.fernet_tokens += p.fernet_tokens;
            append_capped(&mut out.fernet, p.fernet, MAX_LIST, &mut unused);
            for (k, v) in p.findings_by_severity {
                *out.findings_by_severity.entry(k).or_default() += v;
            }
            out.findings_dropped += p.findings_dropped;
            append_capped(
                &mut out.findings,
                p.findings,
                MAX_FINDINGS,
                &mut out.findings_dropped,
            );
            out.sightings_aggregated += p.sightings_aggregated;
        }
        out
    }
}

impl Analyzer {
    /// A UDP session ended: its payload counts as clear or encrypted by the protocol that
    /// parsed it (QUIC encrypted, DNS clear); an unrecognised one as other bytes.
    pub fn udp_closed(&mut self, summary: &ConversationSummary, proto: Option<&'static Protocol>) {
        let bytes = summary.payload_to_server + summary.payload_to_client;
        match proto {
            Some(p) if p.encrypted => self.report.bytes_encrypted += bytes,
            Some(_) => self.report.bytes_clear += bytes,
            None => self.report.bytes_other += bytes,
        }
    }

    pub(super) fn close_stream(
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
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A worker's report with the once-per-run findings `raised` (kind, key, frame,
    /// severity), each in the findings list, and `other` findings of low severity.
    fn part(raised: &[(FindingKind, &str, u64, Severity)], other: usize) -> Report {
        let mut r = Report::default();
        for &(kind, key, frame, severity) in raised {
            r.once_raised.push(OnceRaised {
                kind,
                key: key.to_string(),
                frame,
                severity,
                index: Some(r.findings.len()),
            });
            r.findings
                .push(Finding::new(kind, severity, key.as_bytes(), "once"));
            *r.findings_by_severity
                .entry(severity.name().to_string())
                .or_default() += 1;
        }
        for _ in 0..other {
            r.findings
                .push(Finding::new(FindingKind::Cookie, Severity::Low, b"c", "x"));
            *r.findings_by_severity.entry("low".to_string()).or_default() += 1;
        }
        r.packets = 10;
        r.tcp_streams = 2;
        r.protocols.insert("HTTP".to_string(), 2);
        r
    }

    #[test]
    fn merged_shards_keep_a_once_per_run_finding_where_the_earliest_frame_raised_it() {
        let a = part(
            &[
                (FindingKind::MixedContent, "h", 40, Severity::Low),
                (FindingKind::DnsHostname, "d", 3, Severity::Info),
            ],
            2,
        );
        let b = part(
            &[
                (FindingKind::MixedContent, "h", 12, Severity::Medium),
                (FindingKind::DnsHostname, "d", 9, Severity::Info),
                (FindingKind::DnsHostname, "e", 5, Severity::Info),
            ],
            1,
        );
        let m = Report::merge_shards(vec![a, b]);
        assert_eq!(m.packets, 20);
        assert_eq!(m.tcp_streams, 4);
        assert_eq!(m.protocols.get("HTTP"), Some(&4));
        // "h": worker b's Medium (frame 12) wins over a's Low (frame 40); "d": a's (frame 3).
        let by = |s: &str| m.findings_by_severity.get(s).copied();
        assert_eq!(by("medium"), Some(1));
        assert_eq!(by("info"), Some(2));
        assert_eq!(by("low"), Some(3));
        assert_eq!(m.findings.len(), 6);
        assert_eq!(m.findings_dropped, 0);
        let once: Vec<(&str, Severity)> = m
            .findings
            .iter()
            .filter(|f| f.explanation == "once")
            .map(|f| (f.evidence.as_str(), f.severity))
            .collect();
        assert_eq!(
            once,
            [
                ("d", Severity::Info),
                ("h", Severity::Medium),
                ("e", Severity::Info)
            ]
        );
    }

    #[test]
    fn merged_shards_cap_the_findings_and_count_the_rest() {
        let a = part(&[], MAX_FINDINGS - 5);
        let b = part(&[], 20);
        let m = Report::merge_shards(vec![a, b]);
        assert_eq!(m.findings.len(), MAX_FINDINGS);
        assert_eq!(m.findings_dropped, 15);
        assert_eq!(
            m.findings_by_severity.get("low"),
            Some(&(MAX_FINDINGS as u64 + 15))
        );
    }
}
