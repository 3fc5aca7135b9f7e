//! Findings on TLS: the version, cipher and certificate audit of each handshake, alerts,
//! the report's TLS sessions, and what decryption with the session keys achieved.

use super::*;
use crate::dissect::tls::CertSummary;

impl Analyzer {
    /// Per-stream summaries raised when streams closed (what decryption achieved).
    pub fn stream_summaries(&mut self, events: &[AppEvent]) {
        for e in events {
            // QUIC's summary: its TLS 1.3 session opened with the keys, or not.
            if let Some((opened, bytes)) = e.msg.keyed_session() {
                let w = &mut self.report.with_keys;
                w.plaintext_bytes += bytes;
                if opened {
                    w.sessions_decrypted += 1;
                } else {
                    w.sessions_not_decrypted += 1;
                }
            }
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

    pub(super) fn tls(&mut self, e: &AppEvent, t: &TlsEvent, ts: Timestamp) {
        // The trust anchors (the whole system store) are lent to the handler, not cloned
        // for every TLS event.
        let trusted = std::mem::take(&mut self.cfg.trusted_cas);
        self.tls_with(e, t, ts, &trusted);
        self.cfg.trusted_cas = trusted;
    }

    pub(super) fn tls_with(
        &mut self,
        e: &AppEvent,
        t: &TlsEvent,
        ts: Timestamp,
        trusted: &[TrustAnchor],
    ) {
        let stream = e.stream;
        let frames: &[u64] = &e.frames;
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
                    sess.version = Some(crate::findings::audit::tls_version_name(sh.version));
                    sess.cipher = Some(name);
                    sess.alpn = st.alpn.clone();
                    sess.certificate_hidden = sh.version == 0x0304;
                }
            }
            TlsMessage::Certificate(chain) => {
                // The certificates x509-parser decoded: the chain itself when all were (no
                // copy of every certificate per handshake), else a copy of those.
                let parsed: Vec<CertSummary>;
                let facts: &[CertSummary] =
                    if chain.certificates.iter().all(|c| c.parse_error.is_none()) {
                        &chain.certificates
                    } else {
                        parsed = chain
                            .certificates
                            .iter()
                            .filter(|c| c.parse_error.is_none())
                            .cloned()
                            .collect();
                        &parsed
                    };
                // The chain is judged once, for its findings and the report's words.
                let anchor = crate::findings::audit::trust_anchor(facts, trusted);
                new_findings.extend(audit_judged_chain(
                    facts,
                    st.sni.as_deref(),
                    ts.secs,
                    !trusted.is_empty(),
                    anchor.is_some(),
                ));
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
                        sess.trust = Some(trust_words(facts, trusted, anchor, ca_file_cas));
                    }
                    for c in chain.certificates.iter().take(8) {
                        sess.certificates.push(CertBrief {
                            subject: escape_str(&c.subject),
                            issuer: escape_str(&c.issuer),
                            not_before: c.not_before_text(),
                            not_after: c.not_after_text(),
                            self_signed: c.self_signed,
                            ca: c.ca,
                            key: c.key.to_string(),
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
                            crate::findings::audit::alert_name(d).unwrap_or("unknown"),
                            crate::findings::audit::explain_alert(d)
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
            self.hostname(&h, "SNI");
        }
        for f in new_findings {
            self.push(f, Some(stream), frames);
        }
    }
}

/// Whether a certificate chain is trusted, in words, against `anchors` (the first
/// `ca_file_cas` of them from `--ca-file`, the rest this system's store); `anchor` is the
/// one of them that vouches for it ([`crate::findings::audit::trust_anchor`]).
pub(super) fn trust_words(
    chain: &[CertSummary],
    anchors: &[TrustAnchor],
    anchor: Option<&TrustAnchor>,
    ca_file_cas: usize,
) -> String {
    if anchors.is_empty() {
        return "not checked: no trust store on this system (give --ca-file)".into();
    }
    let pos = anchor.and_then(|a| anchors.iter().position(|x| std::ptr::eq(x, a)));
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
