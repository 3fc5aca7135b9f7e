//! The finding record: one thing an eavesdropper learns, or one hardening gap.

use serde::Serialize;
use serde_json::{Map, Value};

use crate::flow::StreamId;
use crate::present::escape::{escape_str, escape_truncated};

/// Evidence is cut to this many bytes (before escaping) and marked with `…` when cut.
pub const EVIDENCE_MAX: usize = 80;

/// What was found. Serialised in snake_case (`secret_in_clear`, `basic_auth`, ...).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FindingKind {
    /// A user-supplied `--secret` was seen in readable traffic (raw or encoded).
    SecretInClear,
    /// `Authorization: Basic` credentials (decoded user:password).
    BasicAuth,
    /// `Authorization: Bearer` token.
    BearerToken,
    /// A `Cookie` request header, or a `Set-Cookie` value handed out in clear.
    Cookie,
    /// `Set-Cookie` without `Secure` and/or `HttpOnly`.
    SetCookieInsecure,
    /// A password-like field in a form body, JSON body or query string.
    PasswordField,
    /// A token / API key / session field or header.
    ApiKey,
    /// A Fernet token (recognised; decrypted when the key was given).
    FernetToken,
    /// A TLS version older than 1.2 negotiated or offered.
    TlsOldVersion,
    /// A NULL / EXPORT / anonymous / RC4 / DES / 3DES cipher suite.
    TlsWeakCipher,
    CertSelfSigned,
    CertUntrustedCa,
    CertExpired,
    CertNotYetValid,
    CertWeakKey,
    CertNameMismatch,
    /// A fatal TLS alert ended (or broke) the handshake.
    HandshakeFailure,
    /// A POST carrying a password field over plain HTTP.
    LoginFormInClear,
    /// A plain-HTTP response that does not redirect to https.
    NoHttpsRedirect,
    /// A response over HTTPS without `Strict-Transport-Security`.
    MissingHsts,
    /// A secret or credential seen only inside TLS decrypted with the session keys: not a
    /// leak (an eavesdropper without the keys cannot read it).
    VisibleWithKeys,
    /// An HTTPS page that links or redirects to plain `http://` (mixed content).
    MixedContent,
    /// A ClientHello (TLS or QUIC) offers Encrypted Client Hello: the SNI is then only the
    /// public name (or GREASE: indistinguishable on the wire).
    EchOffered,
    /// A host name an observer learned from a DNS query or answer (clear even with HTTPS).
    DnsHostname,
}

impl FindingKind {
    /// The snake_case name used in JSON and in text output.
    pub fn name(self) -> &'static str {
        match self {
            FindingKind::SecretInClear => "secret_in_clear",
            FindingKind::BasicAuth => "basic_auth",
            FindingKind::BearerToken => "bearer_token",
            FindingKind::Cookie => "cookie",
            FindingKind::SetCookieInsecure => "set_cookie_insecure",
            FindingKind::PasswordField => "password_field",
            FindingKind::ApiKey => "api_key",
            FindingKind::FernetToken => "fernet_token",
            FindingKind::TlsOldVersion => "tls_old_version",
            FindingKind::TlsWeakCipher => "tls_weak_cipher",
            FindingKind::CertSelfSigned => "cert_self_signed",
            FindingKind::CertUntrustedCa => "cert_untrusted_ca",
            FindingKind::CertExpired => "cert_expired",
            FindingKind::CertNotYetValid => "cert_not_yet_valid",
            FindingKind::CertWeakKey => "cert_weak_key",
            FindingKind::CertNameMismatch => "cert_name_mismatch",
            FindingKind::HandshakeFailure => "handshake_failure",
            FindingKind::LoginFormInClear => "login_form_in_clear",
            FindingKind::NoHttpsRedirect => "no_https_redirect",
            FindingKind::MissingHsts => "missing_hsts",
            FindingKind::VisibleWithKeys => "visible_with_keys",
            FindingKind::MixedContent => "mixed_content",
            FindingKind::EchOffered => "ech_offered",
            FindingKind::DnsHostname => "dns_hostname",
        }
    }
}

impl std::fmt::Display for FindingKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// How bad it is; ordered `Info < Low < Medium < High`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
}

impl Severity {
    pub fn name(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
        }
    }
}

impl std::fmt::Display for Severity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Whether the bytes a check looks at crossed the network readable by anyone on the path
/// (plain HTTP) or were only seen because this tool decrypted TLS (key log).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    /// Plain HTTP (or any cleartext protocol): an eavesdropper reads it.
    Clear,
    /// Seen inside TLS that was decrypted with a key log: not visible to an eavesdropper.
    DecryptedTls,
}

/// One finding. The checks in this module fill `kind`, `severity`, `evidence`,
/// `explanation` and `details`, and leave `stream` = `None` and `frames` empty: the caller
/// knows where the bytes came from and sets them with [`Finding::at`] / [`Finding::set_location`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub kind: FindingKind,
    pub severity: Severity,
    pub stream: Option<StreamId>,
    /// Frames that carried the evidence, ascending.
    pub frames: Vec<u64>,
    /// Escaped and truncated (≤ [`EVIDENCE_MAX`] source bytes, `…` when cut).
    pub evidence: String,
    /// One plain-language sentence.
    pub explanation: String,
    /// Extra structured facts (escaped values), in insertion order.
    pub details: Vec<(&'static str, String)>,
    /// Sightings aggregated into this finding (the same secret or credential again in the
    /// same stream and direction): how many, the first and last frame, and the first
    /// [`MAX_OFFSETS`] stream offsets.
    pub count: u64,
    pub first_frame: Option<u64>,
    pub last_frame: Option<u64>,
    pub offsets: Vec<u64>,
    /// The value as it was sent, when `evidence` is its decoded form (a Basic credential's
    /// base64, escaped): not shown, but `--mask` hides it wherever the output holds it.
    pub sent_as: Option<String>,
}

/// Stream offsets kept per aggregated finding.
pub const MAX_OFFSETS: usize = 8;

impl Finding {
    /// A finding whose evidence is taken from wire bytes (escaped and truncated here).
    pub fn new(
        kind: FindingKind,
        severity: Severity,
        evidence: &[u8],
        explanation: impl Into<String>,
    ) -> Finding {
        Finding {
            kind,
            severity,
            stream: None,
            frames: Vec::new(),
            evidence: escape_truncated(evidence, EVIDENCE_MAX),
            explanation: explanation.into(),
            details: Vec::new(),
            count: 1,
            first_frame: None,
            last_frame: None,
            offsets: Vec::new(),
            sent_as: None,
        }
    }

    /// The value as it was sent, when the evidence is its decoded form (builder form).
    pub fn sent_as(mut self, wire: &[u8]) -> Finding {
        self.sent_as = Some(crate::present::escape::escape_bytes(wire));
        self
    }

    /// Add a detail; `value` is escaped (it may come from the wire).
    pub fn detail(mut self, key: &'static str, value: impl AsRef<str>) -> Finding {
        self.details.push((key, escape_str(value.as_ref())));
        self
    }

    /// Set stream and frames (builder form). Frames are sorted and deduplicated.
    pub fn at(mut self, stream: StreamId, frames: &[u64]) -> Finding {
        self.set_location(Some(stream), frames);
        self
    }

    /// Set stream and frames in place. Frames are sorted and deduplicated.
    pub fn set_location(&mut self, stream: Option<StreamId>, frames: &[u64]) {
        self.stream = stream;
        let mut f = frames.to_vec();
        f.sort_unstable();
        f.dedup();
        self.frames = f;
        self.first_frame = self.frames.first().copied();
        self.last_frame = self.frames.last().copied();
        self.offsets = self.stream_offset().into_iter().collect();
    }

    /// The `stream_offset` detail, when the finding has one.
    pub fn stream_offset(&self) -> Option<u64> {
        self.details
            .iter()
            .find(|(k, _)| *k == "stream_offset")
            .and_then(|(_, v)| v.parse().ok())
    }

    /// Fold `other` (another sighting of the same thing) into this finding.
    pub fn add_sighting(&mut self, other: &Finding) {
        self.count = self.count.saturating_add(other.count.max(1));
        if let Some(f) = other.first_frame {
            self.first_frame = Some(self.first_frame.map_or(f, |x| x.min(f)));
        }
        if let Some(f) = other.last_frame {
            self.last_frame = Some(self.last_frame.map_or(f, |x| x.max(f)));
        }
        for o in &other.offsets {
            if self.offsets.len() < MAX_OFFSETS {
                self.offsets.push(*o);
            }
        }
    }

    /// JSON object: `{"type":"finding","kind":…,"severity":…,"stream":…,"frames":[…],
    /// "evidence":…,"explanation":…,"details":{…}}` (`stream` omitted when unknown,
    /// `details` omitted when empty).
    pub fn json(&self) -> Map<String, Value> {
        let mut m = Map::new();
        m.insert("type".into(), Value::from("finding"));
        m.insert("kind".into(), Value::from(self.kind.name()));
        m.insert("severity".into(), Value::from(self.severity.name()));
        if let Some(s) = self.stream {
            m.insert("stream".into(), Value::from(s));
        }
        m.insert(
            "frames".into(),
            Value::Array(self.frames.iter().map(|f| Value::from(*f)).collect()),
        );
        m.insert("evidence".into(), Value::from(self.evidence.clone()));
        m.insert("explanation".into(), Value::from(self.explanation.clone()));
        m.insert("count".into(), Value::from(self.count));
        if let (Some(a), Some(z)) = (self.first_frame, self.last_frame) {
            m.insert("first_frame".into(), Value::from(a));
            m.insert("last_frame".into(), Value::from(z));
        }
        if !self.offsets.is_empty() {
            m.insert("offsets".into(), Value::from(self.offsets.clone()));
        }
        if !self.details.is_empty() {
            let mut d = Map::new();
            for (k, v) in &self.details {
                let value = match detail_number(k, v) {
                    Some(n) => Value::from(n),
                    None => Value::from(v.clone()),
                };
                d.insert((*k).to_string(), value);
            }
            m.insert("details".into(), Value::Object(d));
        }
        m
    }

    /// One text line: `[high] basic_auth stream 3 frames 4,5: alice:hunter2 — explanation`.
    pub fn line(&self) -> String {
        let mut s = format!("[{}] {}", self.severity, self.kind);
        if let Some(st) = self.stream {
            s.push_str(&format!(" stream {st}"));
        }
        if !self.frames.is_empty() {
            let f: Vec<String> = self.frames.iter().map(|f| f.to_string()).collect();
            s.push_str(&format!(" frames {}", f.join(",")));
        }
        if self.count > 1 {
            s.push_str(&format!(
                " ×{} (frames {}–{})",
                self.count,
                self.first_frame.unwrap_or(0),
                self.last_frame.unwrap_or(0)
            ));
        }
        s.push_str(&format!(": {} — {}", self.evidence, self.explanation));
        s
    }
}

/// Details that hold numbers (offsets, lengths, key sizes, the `--secret` index).
const NUMERIC_DETAILS: &[&str] = &[
    "stream_offset",
    "body_offset",
    "offset",
    "rsa_bits",
    "ciphertext_len",
    "secret",
];

/// A detail's value as a number, when the detail is a numeric one (JSON writes it as a
/// number, not a string).
pub fn detail_number(key: &str, value: &str) -> Option<u64> {
    if NUMERIC_DETAILS.contains(&key) {
        value.parse().ok()
    } else {
        None
    }
}

/// A secret or credential value shown for a CI log: its first and last characters, the
/// rest as `*`, and its length (`hunter2` → `h*****2 (7 chars)`); values of four characters
/// or fewer are all stars.
pub fn mask_value(value: &str) -> String {
    let chars: Vec<char> = value.chars().collect();
    let n = chars.len();
    let shown: String = match (chars.first(), chars.last()) {
        (Some(a), Some(z)) if n > 4 => format!("{a}{}{z}", "*".repeat(n - 2)),
        _ => "*".repeat(n),
    };
    format!("{shown} ({n} chars)")
}

impl Finding {
    /// Whether the evidence is a secret or credential value (masked by `--mask`).
    pub fn carries_value(&self) -> bool {
        matches!(
            self.kind,
            FindingKind::SecretInClear
                | FindingKind::BasicAuth
                | FindingKind::BearerToken
                | FindingKind::Cookie
                | FindingKind::SetCookieInsecure
                | FindingKind::PasswordField
                | FindingKind::ApiKey
                | FindingKind::FernetToken
                | FindingKind::VisibleWithKeys
        )
    }

    /// Mask the value this finding carries (evidence, decrypted plaintext).
    pub fn mask(&mut self) {
        if !self.carries_value() {
            return;
        }
        self.evidence = mask_value(&self.evidence);
        self.sent_as = None;
        for (k, v) in &mut self.details {
            if is_value_detail(k) {
                *v = mask_value(v);
            }
        }
    }

    /// The texts `--mask` hides besides the evidence: the details that carry the value, and
    /// the value as it was sent ([`Finding::sent_as`]).
    pub fn masked_texts(&self) -> impl Iterator<Item = &str> {
        self.details
            .iter()
            .filter(|(k, _)| is_value_detail(k))
            .map(|(_, v)| v.as_str())
            .chain(self.sent_as.as_deref())
    }
}

/// Whether a detail of this name carries a value `--mask` hides.
fn is_value_detail(name: &str) -> bool {
    matches!(
        name,
        "decrypted" | "plaintext" | "value" | "password" | "token"
    )
}

/// Set the same location on every finding of a batch.
pub fn set_location_all(findings: &mut [Finding], stream: Option<StreamId>, frames: &[u64]) {
    for f in findings {
        f.set_location(stream, frames);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_shape_and_escaping() {
        let f = Finding::new(
            FindingKind::BasicAuth,
            Severity::High,
            b"alice:\x1b[31mpw",
            "Anyone on the path can read this password: it was sent over plain HTTP.",
        )
        .detail("user", "alice")
        .at(7, &[12, 10, 12]);
        let j = f.json();
        assert_eq!(j["type"], "finding");
        assert_eq!(j["kind"], "basic_auth");
        assert_eq!(j["severity"], "high");
        assert_eq!(j["stream"], 7);
        assert_eq!(j["frames"], serde_json::json!([10, 12]));
        assert_eq!(j["evidence"], "alice:\\x1b[31mpw");
        assert_eq!(j["details"]["user"], "alice");
        assert_eq!(
            f.line(),
            "[high] basic_auth stream 7 frames 10,12: alice:\\x1b[31mpw — Anyone on the path can read this password: it was sent over plain HTTP."
        );
    }

    #[test]
    fn masked_values() {
        assert_eq!(mask_value("hunter2"), "h*****2 (7 chars)");
        assert_eq!(mask_value("abcd"), "**** (4 chars)");
        assert_eq!(mask_value(""), " (0 chars)");
        let mut f = Finding::new(FindingKind::PasswordField, Severity::High, b"hunter2", "x");
        f.mask();
        assert_eq!(f.evidence, "h*****2 (7 chars)");
        let mut g = Finding::new(FindingKind::TlsOldVersion, Severity::Low, b"TLS 1.0", "x");
        g.mask();
        assert_eq!(g.evidence, "TLS 1.0");
    }

    #[test]
    fn evidence_is_truncated() {
        let long = vec![b'a'; 200];
        let f = Finding::new(FindingKind::Cookie, Severity::Low, &long, "x");
        assert_eq!(f.evidence.chars().count(), EVIDENCE_MAX + 1);
        assert!(f.evidence.ends_with('…'));
        assert!(f.json().get("stream").is_none());
    }

    #[test]
    fn severity_order_and_kind_names() {
        assert!(Severity::Info < Severity::Low);
        assert!(Severity::Low < Severity::Medium);
        assert!(Severity::Medium < Severity::High);
        assert_eq!(
            serde_json::to_value(FindingKind::CertNotYetValid).ok(),
            Some(Value::from("cert_not_yet_valid"))
        );
        assert_eq!(
            serde_json::to_value(FindingKind::SecretInClear).ok(),
            Some(Value::from(FindingKind::SecretInClear.name()))
        );
        assert_eq!(
            serde_json::to_value(Severity::Medium).ok(),
            Some(Value::from("medium"))
        );
    }
}
