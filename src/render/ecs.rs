//! `--json --ecs`: the JSON records mapped to the Elastic Common Schema, so Filebeat, an
//! Elasticsearch or OpenSearch ingest pipeline takes them without a mapping of its own.
//!
//! The mapping reads a record as `--json` writes it (docs/json.md: `type`, `ts`, the session
//! fields `src_ip` … `community_id`, the protocol's own fields) and writes one ECS document:
//! `@timestamp`, `event.*`, `source.*`, `destination.*`, `network.*`, and per protocol
//! `http.*`/`url.*`/`user_agent.*`, `tls.*`, `dns.*`; a finding is an `event.kind: alert` with
//! `rule.name`. The whole record is kept under `squirrel_sniff`, so nothing is lost.
//! docs/engines.md lists every field.

use serde_json::{Map, Value};

/// The ECS version the documents follow.
pub const ECS_VERSION: &str = "8.11.0";

/// The ECS document of one `--json` record.
pub fn document(rec: &Map<String, Value>) -> Map<String, Value> {
    let mut d = Doc::default();
    let ty = rec.get("type").and_then(Value::as_str).unwrap_or("");
    let get = |k: &str| rec.get(k).filter(|v| !v.is_null());
    if let Some(ts) = get("ts") {
        d.put("@timestamp", timestamp(ts));
    }
    d.put("ecs.version", ECS_VERSION.into());
    d.put("event.module", "squirrel_sniff".into());
    d.put(
        "event.dataset",
        format!("squirrel_sniff.{}", dataset(ty)).into(),
    );
    d.put("event.action", ty.into());
    let (kind, category, types) = classify(ty, rec);
    d.put("event.kind", kind.into());
    d.put("event.category", strings(category));
    d.put("event.type", strings(types));
    // Endpoints and the flow: sender → receiver for records with a direction, client →
    // server for session records (as in --json).
    d.copy_all(
        rec,
        &[
            ("src_ip", "source.ip"),
            ("src_port", "source.port"),
            ("dst_ip", "destination.ip"),
            ("dst_port", "destination.port"),
            ("transport", "network.transport"),
            ("community_id", "network.community_id"),
            ("capture", "log.file.path"),
        ],
    );
    if let Some(p) = protocol(ty) {
        d.put("network.protocol", p.into());
    }
    match get("dir").and_then(Value::as_str) {
        Some("to_server") => d.put("network.direction", "egress".into()),
        Some("to_client") => d.put("network.direction", "ingress".into()),
        _ => {}
    }
    match ty {
        "packet" => {
            d.copy(rec, "len", "network.bytes");
        }
        "tcp.stream" | "udp.stream" | "conversation" => {
            d.copy_all(
                rec,
                &[
                    ("packets_to_server", "source.packets"),
                    ("bytes_to_server", "source.bytes"),
                    ("packets_to_client", "destination.packets"),
                    ("bytes_to_client", "destination.bytes"),
                ],
            );
            for (from, to) in [("start", "event.start"), ("end", "event.end")] {
                if let Some(t) = get(from) {
                    d.put(to, timestamp(t));
                }
            }
            if let Some(s) = get("duration").and_then(Value::as_f64) {
                // ECS durations are nanoseconds.
                d.put("event.duration", Value::from((s * 1e9).round() as i64));
            }
            if let (Some(a), Some(b)) = (
                get("bytes_to_server").and_then(Value::as_u64),
                get("bytes_to_client").and_then(Value::as_u64),
            ) {
                d.put("network.bytes", (a + b).into());
            }
        }
        "http.request" => {
            d.copy_all(
                rec,
                &[
                    ("method", "http.request.method"),
                    ("body_len", "http.request.body.bytes"),
                    ("content_type", "http.request.mime_type"),
                ],
            );
            d.http_version(rec);
            d.url(get("uri"), get("host"));
            if let Some(ua) = header(rec, "user-agent") {
                d.put("user_agent.original", ua.into());
            }
        }
        "http.response" => {
            d.copy_all(
                rec,
                &[
                    ("status", "http.response.status_code"),
                    ("body_len", "http.response.body.bytes"),
                    ("content_type", "http.response.mime_type"),
                    ("request_method", "http.request.method"),
                ],
            );
            d.http_version(rec);
            d.url(get("request_uri"), None);
        }
        "tls.client_hello" | "quic.initial" | "quic.session" => {
            d.copy_all(
                rec,
                &[
                    ("sni", "tls.client.server_name"),
                    ("ja3", "tls.client.ja3"),
                    ("cipher_suite_names", "tls.client.supported_ciphers"),
                ],
            );
            if let Some(alpn) = get("alpn").or_else(|| get("alpn_offered")) {
                d.put("tls.client.alpn", alpn.clone());
            }
        }
        "tls.server_hello" => {
            d.copy_all(
                rec,
                &[("ja3s", "tls.server.ja3s"), ("cipher_suite", "tls.cipher")],
            );
            d.tls_version(rec);
            if let Some(a) = get("alpn").and_then(Value::as_str) {
                d.put("tls.next_protocol", a.into());
            }
        }
        "tls.certificate" => {
            d.copy_all(
                rec,
                &[
                    ("subject", "tls.server.x509.subject.distinguished_name"),
                    ("subject_cn", "tls.server.x509.subject.common_name"),
                    ("issuer", "tls.server.x509.issuer.distinguished_name"),
                    ("issuer_cn", "tls.server.x509.issuer.common_name"),
                    ("not_before", "tls.server.x509.not_before"),
                    ("not_after", "tls.server.x509.not_after"),
                    ("serial", "tls.server.x509.serial_number"),
                ],
            );
            d.copy(
                rec,
                "signature_algorithm",
                "tls.server.x509.signature_algorithm",
            );
            d.copy(rec, "sha256", "tls.server.hash.sha256");
            if let Some(Value::Array(san)) = get("san") {
                let names: Vec<Value> = san
                    .iter()
                    .filter_map(Value::as_str)
                    .map(|s| s.strip_prefix("DNS:").unwrap_or(s).into())
                    .collect();
                d.put("tls.server.x509.alternative_names", Value::Array(names));
            }
        }
        "dns.query" | "dns.response" => d.dns(rec, ty == "dns.response"),
        "finding" => {
            d.copy_all(
                rec,
                &[
                    ("kind", "rule.name"),
                    ("explanation", "message"),
                    ("evidence", "event.reason"),
                ],
            );
            if let Some(s) = get("severity").and_then(Value::as_str) {
                d.put("event.severity", severity(s).into());
                d.put("log.level", s.into());
            }
        }
        _ => {}
    }
    d.put("squirrel_sniff", Value::Object(rec.clone()));
    d.0
}

/// An ECS date: RFC 3339 text as it is; seconds since the epoch as RFC 3339 text.
fn timestamp(v: &Value) -> Value {
    match v.as_f64() {
        Some(secs) if v.is_number() => {
            let whole = secs.floor();
            let micros = ((secs - whole) * 1e6).round().min(999_999.0) as u32;
            let ts = crate::capture::Timestamp::new(whole as i64, micros * 1000);
            crate::present::time::rfc3339_nanos(ts).into()
        }
        _ => v.clone(),
    }
}

/// The dataset a record type belongs to: its protocol (`http`, `tls`, `dns`, `quic`), or
/// `packet`, `session`, `finding`, `run`.
pub fn dataset(ty: &str) -> &str {
    match ty {
        "tcp.stream" | "udp.stream" | "conversation" | "tcp.note" => "session",
        t => t.split('.').next().unwrap_or(t),
    }
}

/// `network.protocol`: the application protocol of an app record.
fn protocol(ty: &str) -> Option<&'static str> {
    Some(match ty.split('.').next()? {
        "http" | "http2" => "http",
        "tls" => "tls",
        "dns" => "dns",
        "quic" => "quic",
        _ => return None,
    })
}

/// `event.kind`, `event.category`, `event.type` (ECS allowed values).
fn classify(
    ty: &str,
    rec: &Map<String, Value>,
) -> (
    &'static str,
    &'static [&'static str],
    &'static [&'static str],
) {
    let event = rec.get("event").and_then(Value::as_str);
    match ty {
        "finding" => ("alert", &["network", "intrusion_detection"], &["info"]),
        "tcp.stream" | "udp.stream" => match event {
            Some("open") => ("event", &["network"], &["connection", "start"]),
            _ => ("event", &["network"], &["connection", "end"]),
        },
        "conversation" => ("event", &["network"], &["connection", "end"]),
        "summary" | "stats" | "report" | "run" | "hierarchy" => ("metric", &["network"], &["info"]),
        t if t.starts_with("http.") => ("event", &["network", "web"], &["access", "protocol"]),
        "tls.alert" => ("event", &["network"], &["protocol", "error"]),
        "packet" => ("event", &["network"], &["info"]),
        _ => ("event", &["network"], &["protocol"]),
    }
}

/// ECS `event.severity` (a number, higher is worse).
fn severity(s: &str) -> u64 {
    match s {
        "high" => 73,
        "medium" => 47,
        "low" => 21,
        _ => 0,
    }
}

fn strings(v: &[&str]) -> Value {
    Value::Array(v.iter().map(|s| Value::from(*s)).collect())
}

/// The first value of a header (`headers` is a list of `[name, value]`).
fn header<'a>(rec: &'a Map<String, Value>, name: &str) -> Option<&'a str> {
    rec.get("headers")?.as_array()?.iter().find_map(|h| {
        let pair = h.as_array()?;
        let n = pair.first()?.as_str()?;
        n.eq_ignore_ascii_case(name)
            .then(|| pair.get(1)?.as_str())
            .flatten()
    })
}

/// An ECS document being built: dotted names become nested objects.
#[derive(Default)]
struct Doc(Map<String, Value>);

impl Doc {
    fn put(&mut self, dotted: &str, v: Value) {
        // `@timestamp` and other undotted names go in as they are.
        let mut parts = dotted.split('.').peekable();
        let mut m = &mut self.0;
        while let Some(p) = parts.next() {
            if parts.peek().is_none() {
                m.insert(p.to_string(), v);
                return;
            }
            let next = m
                .entry(p.to_string())
                .or_insert_with(|| Value::Object(Map::new()));
            if !next.is_object() {
                *next = Value::Object(Map::new());
            }
            let Value::Object(inner) = next else { return };
            m = inner;
        }
    }

    /// Each `(record field, ECS field)` that the record has.
    fn copy_all(&mut self, rec: &Map<String, Value>, pairs: &[(&str, &str)]) {
        for (from, to) in pairs {
            self.copy(rec, from, to);
        }
    }

    fn copy(&mut self, rec: &Map<String, Value>, from: &str, to: &str) {
        if let Some(v) = rec.get(from).filter(|v| !v.is_null()) {
            self.put(to, v.clone());
        }
    }

    /// `url.original`, `url.path`, `url.query`, `url.domain` (and `url.port`).
    fn url(&mut self, uri: Option<&Value>, host: Option<&Value>) {
        let Some(uri) = uri.and_then(Value::as_str) else {
            return;
        };
        self.put("url.original", uri.into());
        // An absolute URI (proxy requests) carries its own host.
        let (authority, path) = match uri.split_once("://") {
            Some((_, rest)) => match rest.find('/') {
                Some(i) => (rest.get(..i), rest.get(i..).unwrap_or("/")),
                None => (Some(rest), "/"),
            },
            None => (host.and_then(Value::as_str), uri),
        };
        let (path, query) = match path.split_once('?') {
            Some((p, q)) => (p, Some(q)),
            None => (path, None),
        };
        self.put("url.path", path.into());
        if let Some(q) = query {
            self.put("url.query", q.into());
        }
        if let Some(a) = authority.filter(|a| !a.is_empty()) {
            let (domain, port) = split_host_port(a);
            self.put("url.domain", domain.into());
            if let Some(p) = port {
                self.put("url.port", p.into());
            }
        }
    }

    /// `http.version`: `1.1`, `2` (ECS drops the `HTTP/`).
    fn http_version(&mut self, rec: &Map<String, Value>) {
        if let Some(v) = rec.get("version").and_then(Value::as_str) {
            self.put("http.version", v.trim_start_matches("HTTP/").into());
        }
    }

    /// `tls.version` and `tls.version_protocol` from `TLS 1.3`.
    fn tls_version(&mut self, rec: &Map<String, Value>) {
        if let Some(v) = rec.get("version").and_then(Value::as_str) {
            if let Some((proto, number)) = v.split_once(' ') {
                self.put("tls.version_protocol", proto.to_ascii_lowercase().into());
                self.put("tls.version", number.into());
            }
        }
    }

    fn dns(&mut self, rec: &Map<String, Value>, response: bool) {
        self.put("dns.type", if response { "answer" } else { "query" }.into());
        self.copy(rec, "id", "dns.id");
        if let Some(q) = rec
            .get("queries")
            .and_then(Value::as_array)
            .and_then(|q| q.first())
        {
            if let Some(n) = q.get("name") {
                self.put("dns.question.name", n.clone());
            }
            if let Some(t) = q.get("type") {
                self.put("dns.question.type", t.clone());
            }
            if let Some(c) = q.get("class") {
                self.put("dns.question.class", c.clone());
            }
        }
        if response {
            if let Some(r) = rec.get("rcode").and_then(Value::as_u64) {
                self.put("dns.response_code", rcode(r).into());
            }
            let answers: Vec<&Map<String, Value>> = rec
                .get("answers")
                .and_then(Value::as_array)
                .map(|a| a.iter().filter_map(Value::as_object).collect())
                .unwrap_or_default();
            let mut resolved = Vec::new();
            let mut out = Vec::new();
            for a in answers {
                let mut e = Map::new();
                for k in ["name", "type", "class", "ttl"] {
                    if let Some(v) = a.get(k) {
                        e.insert(k.into(), v.clone());
                    }
                }
                // The record's data: the field named after its type (`a`, `aaaa`, `cname`…).
                let data = ["a", "aaaa", "cname", "ns", "ptr", "mx", "txt", "data"]
                    .iter()
                    .find_map(|k| a.get(*k));
                if let Some(v) = data {
                    e.insert("data".into(), v.clone());
                    if a.contains_key("a") || a.contains_key("aaaa") {
                        resolved.push(v.clone());
                    }
                }
                out.push(Value::Object(e));
            }
            self.put("dns.answers", Value::Array(out));
            if !resolved.is_empty() {
                self.put("dns.resolved_ip", Value::Array(resolved));
            }
        }
    }
}

/// ECS `dns.response_code`: the RCODE's mnemonic (RFC 6895), `NOERROR`, `NXDOMAIN`, ….
fn rcode(code: u64) -> String {
    const NAMES: [&str; 11] = [
        "NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED", "YXDOMAIN", "YXRRSET",
        "NXRRSET", "NOTAUTH", "NOTZONE",
    ];
    usize::try_from(code)
        .ok()
        .and_then(|i| NAMES.get(i))
        .map_or_else(|| format!("RCODE{code}"), |n| (*n).to_string())
}

/// `host:port`, `[v6]:port`, or a bare host.
fn split_host_port(a: &str) -> (&str, Option<u16>) {
    if let Some(rest) = a.strip_prefix('[') {
        if let Some((h, tail)) = rest.split_once(']') {
            return (h, tail.strip_prefix(':').and_then(|p| p.parse().ok()));
        }
    }
    match a.rsplit_once(':') {
        Some((h, p)) if !h.contains(':') => match p.parse() {
            Ok(port) => (h, Some(port)),
            Err(_) => (a, None),
        },
        _ => (a, None),
    }
}
