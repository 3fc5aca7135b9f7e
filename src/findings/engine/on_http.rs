//! Findings on HTTP messages: credentials, secrets in heads and decoded bodies, the
//! response hardening audit, and what the report lists of each exchange; in clear and
//! decrypted from TLS.

use std::borrow::Cow;

use super::*;

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

impl Analyzer {
    /// A URI as the report shows it: escaped, bounded, its query masked under `--mask`.
    pub(super) fn shown_uri(&self, uri: &[u8]) -> String {
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
    pub(super) fn body_brief(&self, h: &HttpMessage, body: &[u8]) -> String {
        let mut s = String::new();
        if let Some(ct) = h.content_type() {
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

    pub(super) fn http(&mut self, e: &AppEvent, h: &HttpMessage) {
        if e.layer != Layer::Clear {
            self.http_with_keys(e, h);
            return;
        }
        let stream = e.stream;
        let frames: &[u64] = &e.frames;
        let body = h.body_for_search();
        if h.is_request() {
            self.report.http_requests_total += 1;
            let (method, uri): (&str, &[u8]) = match &h.start {
                StartLine::Request(r) => (&r.method, &r.uri),
                _ => ("", &[]),
            };
            // The label is shown in the report's request list, and with its response in the
            // content list: once both lists are full it is never shown, so it is not built
            // (an empty one keeps the waiting requests' order for the responses).
            let listed = self.report.http_requests.len() < MAX_LIST;
            let sent = if listed || self.report.content.len() < MAX_LIST {
                let label = format!("{} {}", escape_str(method), self.shown_uri(uri));
                if listed {
                    self.report.http_requests.push(label.clone());
                }
                if body.is_empty() {
                    label
                } else {
                    format!("{label} ({})", self.body_brief(h, body))
                }
            } else {
                String::new()
            };
            if let Some(st) = self.streams.get_mut(&stream) {
                if st.requests_waiting.len() < 16 {
                    st.requests_waiting.push(sent);
                }
            }
            // HTTP/2 in clear (h2c) names the host in `:authority`.
            let authority = match &h.start {
                StartLine::Request(r) => r.host.as_deref(),
                _ => None,
            };
            if let Some(host) = h.header("host").or(authority) {
                let host = escape_truncated(host, 120);
                self.hostname(&host, "Host");
                if let Some(st) = self.streams.get_mut(&stream) {
                    st.last_host = Some(host);
                }
            }
            for f in request_credentials(
                method,
                uri,
                &h.headers,
                body,
                h.content_type(),
                Transport::Clear,
            ) {
                self.push(f, Some(stream), frames);
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
                        self.push(f.detail("layer", "http basic auth"), Some(stream), frames);
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
            for f in response_credentials(&h.headers, body, h.content_type(), Transport::Clear) {
                self.push(f, Some(stream), frames);
            }
            // The stream's last host, lent for this response (nothing below reads or sets
            // it) and given back after it.
            let host = self
                .streams
                .get_mut(&stream)
                .and_then(|st| st.last_host.take());
            // `no_https_redirect` is said once per host: not built again once it was.
            let redirect_said = self.once_known(
                FindingKind::NoHttpsRedirect,
                host.as_deref().unwrap_or_default(),
            );
            for f in audit_response(
                status,
                &h.headers,
                Transport::Clear,
                host.as_deref(),
                !redirect_said,
            ) {
                if matches!(
                    f.kind,
                    FindingKind::NoHttpsRedirect | FindingKind::MissingHsts
                ) {
                    self.push_once(f, host.clone().unwrap_or_default(), Some(stream), frames);
                } else {
                    self.push(f, Some(stream), frames);
                }
            }
            self.give_back_host(stream, host);
        }
        // Secrets that only appear once the body is de-chunked or decompressed.
        // The same pass gives where Fernet tokens can start (`None`: not searched).
        let (hits, token_starts) =
            if !self.cfg.secrets.is_empty() && (h.decoded_with.is_some() || h.chunked) {
                self.cfg.secrets.find_in_marking(body)
            } else {
                (Vec::new(), None)
            };
        for hit in hits {
            let matched = body.get(hit.range.clone()).unwrap_or_default();
            let layer = match &h.decoded_with {
                Some(c) => format!("http body (decoded {c})"),
                None => "http body (de-chunked)".to_string(),
            };
            let place = format!(
                "stream {stream} {} frame {} body offset {} ({layer}, {})",
                dir_label(e.dir),
                e.frame,
                hit.range.start,
                hit.variant.label()
            );
            let f = self.clear_secret(&hit, matched, e.frame, place);
            self.push(
                f.detail("layer", &layer)
                    .detail("body_offset", hit.range.start.to_string()),
                Some(stream),
                frames,
            );
        }
        let tokens = match token_starts {
            Some(starts) => fernet_tokens_at(body, starts),
            None => find_fernet_tokens(body),
        };
        for tok in tokens {
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
            self.push(f, Some(stream), frames);
        }
    }

    /// An HTTP message decrypted from TLS with the session keys: what only a key holder
    /// sees. Credentials and secrets in it are `visible_with_keys` (info, never a leak); the
    /// HTTPS audit (HSTS, cookie flags, plain-http links and redirects) runs on it.
    pub(super) fn http_with_keys(&mut self, e: &AppEvent, h: &HttpMessage) {
        let stream = e.stream;
        let frames: &[u64] = &e.frames;
        // No Fernet scan and no body brief here: the body (decoded, which is most of the
        // cost of a compressed one) is read only by the checks below that look at it —
        // form, JSON and unlabelled bodies, HTML pages, --secret. The others get an empty
        // body and give the same findings with any.
        let reads_body = !self.cfg.secrets.is_empty()
            || credentials_read_body(&h.headers, h.content_type())
            || (!h.is_request() && mixed_content_reads_body(h.content_type()));
        let body = if reads_body { h.body_for_search() } else { &[] };
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
            for f in request_credentials(
                &r.method,
                &r.uri,
                &h.headers,
                body,
                h.content_type(),
                transport,
            ) {
                self.push(with_keys(f), Some(stream), frames);
            }
        } else {
            let status = match &h.start {
                StartLine::Response(r) => r.status,
                _ => 0,
            };
            for f in response_credentials(&h.headers, body, h.content_type(), transport) {
                self.push(with_keys(f), Some(stream), frames);
            }
            // The stream's last host, lent for this response (nothing below reads or sets
            // it) and given back after it.
            let host = self
                .streams
                .get_mut(&stream)
                .and_then(|st| st.last_host.take());
            let mut audit = audit_response_headers(status, &h.headers, transport, host.as_deref());
            audit.extend(audit_mixed_content(
                status,
                &h.headers,
                body,
                h.content_type(),
            ));
            for f in audit {
                if matches!(f.kind, FindingKind::MissingHsts | FindingKind::MixedContent) {
                    self.push_once(f, host.clone().unwrap_or_default(), Some(stream), frames);
                } else {
                    self.push(f, Some(stream), frames);
                }
            }
            self.give_back_host(stream, host);
        }
        if self.cfg.secrets.is_empty() {
            return;
        }
        let mut places: Vec<(&str, Cow<[u8]>)> = Vec::new();
        if let StartLine::Request(r) = &h.start {
            places.push(("uri", Cow::Borrowed(&r.uri[..])));
        }
        for (name, value) in h.headers.iter() {
            places.push((
                "header",
                Cow::Owned([name.as_bytes(), b": ", value].concat()),
            ));
        }
        places.push(("body", Cow::Borrowed(body)));
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
                    frames,
                );
            }
        }
    }
}
