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
