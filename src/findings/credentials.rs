//! Credentials in HTTP messages: Basic and Bearer authorization, cookies, and password /
//! token fields in query strings, form bodies and JSON bodies.
//!
//! The functions take plain values (method, URI, header list, decoded body, content type),
//! not the HTTP dissector's types. Headers are any [`HeaderList`]: a list of `(name, value)`
//! pairs whose names are `AsRef<str>` and values `AsRef<[u8]>` (`&[(&str, &[u8])]`,
//! `Vec<(String, Vec<u8>)>`, ...), or a message's [`Headers`].
//! Findings come back with `stream` = `None` and no frames: the caller sets them
//! ([`super::Finding::at`] or [`super::set_location_all`]).

use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::DecodePaddingMode;
use base64::Engine;
use serde_json::Value;
use std::ops::Range;

use super::finding::{Finding, FindingKind, Severity, Transport};
use crate::dissect::http::Headers;

/// Header fields as the checks read them: name and raw value, in wire order.
pub trait HeaderList {
    fn fields(&self) -> impl Iterator<Item = (&str, &[u8])>;
}

impl<S: AsRef<str>, B: AsRef<[u8]>> HeaderList for [(S, B)] {
    fn fields(&self) -> impl Iterator<Item = (&str, &[u8])> {
        self.iter().map(|(n, v)| (n.as_ref(), v.as_ref()))
    }
}

impl<S: AsRef<str>, B: AsRef<[u8]>, const N: usize> HeaderList for [(S, B); N] {
    fn fields(&self) -> impl Iterator<Item = (&str, &[u8])> {
        self.as_slice().fields()
    }
}

impl<S: AsRef<str>, B: AsRef<[u8]>> HeaderList for Vec<(S, B)> {
    fn fields(&self) -> impl Iterator<Item = (&str, &[u8])> {
        self.as_slice().fields()
    }
}

impl HeaderList for Headers {
    fn fields(&self) -> impl Iterator<Item = (&str, &[u8])> {
        self.iter()
    }
}

/// JSON bodies are walked at most this deep.
pub const MAX_JSON_DEPTH: usize = 16;
/// At most this many field findings per message (query + body together).
pub const MAX_FIELD_FINDINGS: usize = 32;
/// Longest `Authorization` credential decoded.
pub const MAX_AUTH_TOKEN: usize = 8192;

/// What a sensitive field name stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldClass {
    /// A password or shared secret.
    Password,
    /// A token, API key or session identifier.
    Token,
}

/// Names matched exactly, after lower-casing and removing `-`, `_`, `.` and spaces.
/// (Short names are exact-only: `pass` must not match `passenger`, `auth` not `author`.)
pub const SENSITIVE_NAMES_EXACT: &[(&str, FieldClass)] = &[
    ("pass", FieldClass::Password),
    ("pwd", FieldClass::Password),
    ("pw", FieldClass::Password),
    ("passwd", FieldClass::Password),
    ("password", FieldClass::Password),
    ("passphrase", FieldClass::Password),
    ("pin", FieldClass::Password),
    ("secret", FieldClass::Password),
    ("auth", FieldClass::Token),
    ("key", FieldClass::Token),
    ("session", FieldClass::Token),
    ("sid", FieldClass::Token),
    ("jwt", FieldClass::Token),
];

/// Substrings that mark a name anywhere in it, after the same normalisation
/// (`user_password`, `newPassword`, `api_key`, `access_token`, `X-Auth-Token`, ...).
pub const SENSITIVE_NAME_PARTS: &[(&str, FieldClass)] = &[
    ("password", FieldClass::Password),
    ("passwd", FieldClass::Password),
    ("passphrase", FieldClass::Password),
    ("secret", FieldClass::Password),
    ("token", FieldClass::Token),
    ("apikey", FieldClass::Token),
    ("accesskey", FieldClass::Token),
    ("authkey", FieldClass::Token),
    ("sessionid", FieldClass::Token),
    ("sessid", FieldClass::Token),
    ("authorization", FieldClass::Token),
];

/// Names that look sensitive but are not credentials (anti-CSRF tokens).
const NOT_CREDENTIALS: &[&str] = &["csrf", "xsrf"];

/// Classify a field, parameter or header name (case-insensitive).
///
/// Called for every header and body field of every HTTP message, so it avoids allocating:
/// ASCII names are normalised on the stack, and the substring lists are searched with one
/// Aho-Corasick automaton.
pub fn classify_field_name(name: &str) -> Option<FieldClass> {
    // The same few names (Host, Accept, Content-Type, user, password…) come back in every
    // message: remember their class (bounded; a pure function of the name).
    if name.len() > MAX_CACHED_NAME {
        return classify_uncached(name);
    }
    NAME_CLASS.with(|cache| {
        let mut cache = cache.borrow_mut();
        if let Some(c) = cache.get(name) {
            return *c;
        }
        let c = classify_uncached(name);
        if cache.len() >= MAX_CACHED_NAMES {
            cache.clear();
        }
        cache.insert(name.into(), c);
        c
    })
}

/// Names longer than this are classified every time.
const MAX_CACHED_NAME: usize = 64;
/// Distinct names remembered by [`classify_field_name`] (the cache starts again past it).
const MAX_CACHED_NAMES: usize = 4096;

thread_local! {
    static NAME_CLASS: std::cell::RefCell<foldhash::HashMap<Box<str>, Option<FieldClass>>> =
        std::cell::RefCell::new(foldhash::HashMap::default());
}

fn classify_uncached(name: &str) -> Option<FieldClass> {
    let mut buf = [0u8; 64];
    let mut n = 0usize;
    let heap: String;
    let norm: &[u8] = if name.is_ascii() && name.len() <= buf.len() {
        for b in name.bytes() {
            if !matches!(b, b'-' | b'_' | b'.' | b' ') {
                buf[n] = b.to_ascii_lowercase();
                n += 1;
            }
        }
        &buf[..n]
    } else {
        heap = name
            .chars()
            .filter(|c| !matches!(c, '-' | '_' | '.' | ' '))
            .flat_map(char::to_lowercase)
            .collect();
        heap.as_bytes()
    };
    if norm.is_empty() {
        return None;
    }
    let ac = name_automaton()?;
    let mut part: Option<(usize, FieldClass)> = None;
    for m in ac.find_overlapping_iter(norm) {
        let id = m.pattern().as_usize();
        if id >= SENSITIVE_NAME_PARTS.len() {
            return None; // an anti-CSRF token
        }
        if part.is_none_or(|(p, _)| id < p) {
            part = SENSITIVE_NAME_PARTS.get(id).map(|(_, c)| (id, *c));
        }
    }
    if let Some((_, c)) = SENSITIVE_NAMES_EXACT
        .iter()
        .find(|(x, _)| x.as_bytes() == norm)
    {
        return Some(*c);
    }
    part.map(|(_, c)| c)
}

/// SENSITIVE_NAME_PARTS then NOT_CREDENTIALS, as one automaton (pattern ids in that order).
/// `None` only if the automaton could not be built (it is made of fixed short literals).
fn name_automaton() -> Option<&'static aho_corasick::AhoCorasick> {
    static AC: std::sync::OnceLock<Option<aho_corasick::AhoCorasick>> = std::sync::OnceLock::new();
    AC.get_or_init(|| {
        let pats: Vec<&str> = SENSITIVE_NAME_PARTS
            .iter()
            .map(|(p, _)| *p)
            .chain(NOT_CREDENTIALS.iter().copied())
            .collect();
        aho_corasick::AhoCorasick::new(pats).ok()
    })
    .as_ref()
}

/// Decoded `Authorization: Basic` credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BasicCredentials {
    pub user: Vec<u8>,
    pub password: Vec<u8>,
    /// The whole decoded `user:password`.
    pub decoded: Vec<u8>,
}

/// Split an authorization value into its scheme and the rest (`"Basic abc"` → `("Basic","abc")`).
fn auth_scheme(value: &[u8]) -> Option<(&[u8], &[u8])> {
    let v = value.trim_ascii();
    let sp = v.iter().position(|b| b.is_ascii_whitespace())?;
    let scheme = v.get(..sp)?;
    let rest = v.get(sp..)?.trim_ascii();
    Some((scheme, rest))
}

/// Standard base64 with optional padding, for Basic credentials (built at compile time).
const BASIC_B64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// Decode the value of an `Authorization` (or `Proxy-Authorization`) header when it is
/// `Basic <base64>`: padding optional, user and password split at the first `:`.
pub fn decode_basic_auth(value: &[u8]) -> Option<BasicCredentials> {
    let (scheme, token) = auth_scheme(value)?;
    if !scheme.eq_ignore_ascii_case(b"basic") || token.is_empty() || token.len() > MAX_AUTH_TOKEN {
        return None;
    }
    let decoded = BASIC_B64.decode(token).ok()?;
    let (user, password) = match decoded.iter().position(|b| *b == b':') {
        Some(i) => (
            decoded.get(..i).unwrap_or_default().to_vec(),
            decoded.get(i + 1..).unwrap_or_default().to_vec(),
        ),
        None => (decoded.clone(), Vec::new()),
    };
    Some(BasicCredentials {
        user,
        password,
        decoded,
    })
}

/// The parts of a `Set-Cookie` value the checks need.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetCookie {
    /// `name=value` (without attributes).
    pub name_value: Vec<u8>,
    pub name: String,
    pub secure: bool,
    pub http_only: bool,
    /// The `SameSite` attribute value, if present.
    pub same_site: Option<String>,
}

/// Parse a `Set-Cookie` header value (attributes are case-insensitive).
pub fn parse_set_cookie(value: &[u8]) -> SetCookie {
    let mut parts = value.split(|b| *b == b';');
    let name_value = parts.next().unwrap_or_default().trim_ascii().to_vec();
    let name_end = name_value
        .iter()
        .position(|b| *b == b'=')
        .unwrap_or(name_value.len());
    let name = String::from_utf8_lossy(name_value.get(..name_end).unwrap_or_default())
        .trim()
        .to_string();
    let mut c = SetCookie {
        name_value,
        name,
        secure: false,
        http_only: false,
        same_site: None,
    };
    for attr in parts {
        let attr = attr.trim_ascii();
        let (k, v) = match attr.iter().position(|b| *b == b'=') {
            Some(i) => (
                attr.get(..i).unwrap_or_default().trim_ascii(),
                Some(attr.get(i + 1..).unwrap_or_default().trim_ascii()),
            ),
            None => (attr, None),
        };
        if k.eq_ignore_ascii_case(b"secure") {
            c.secure = true;
        } else if k.eq_ignore_ascii_case(b"httponly") {
            c.http_only = true;
        } else if k.eq_ignore_ascii_case(b"samesite") {
            c.same_site = v.map(|v| String::from_utf8_lossy(v).into_owned());
        }
    }
    c
}

/// Where a field was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Place {
    Query,
    Form,
    Json,
    Header,
    UrlUserinfo,
}

impl Place {
    fn label(self) -> &'static str {
        match self {
            Place::Query => "query",
            Place::Form => "form",
            Place::Json => "json",
            Place::Header => "header",
            Place::UrlUserinfo => "url",
        }
    }
    fn phrase(self) -> &'static str {
        match self {
            Place::Query => "in the URL query string",
            Place::Form => "in a form body",
            Place::Json => "in a JSON body",
            Place::Header => "in a request header",
            Place::UrlUserinfo => "in the URL",
        }
    }
}

fn header_value<'h, H: HeaderList + ?Sized>(headers: &'h H, name: &str) -> Option<&'h [u8]> {
    headers
        .fields()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v)
}

/// Media type without parameters, lower-cased.
fn media_type(ct: &[u8]) -> String {
    let end = ct.iter().position(|b| *b == b';').unwrap_or(ct.len());
    String::from_utf8_lossy(ct.get(..end).unwrap_or_default())
        .trim()
        .to_ascii_lowercase()
}

fn is_json_type(mt: &str) -> bool {
    mt == "application/json" || mt.ends_with("+json") || mt == "text/json"
}

const DECRYPTED_NOTE: &str =
    "It was seen only because this tool decrypted the TLS session; an eavesdropper without the keys cannot read it.";

/// A header whose name says it carries a token (`X-Api-Key`, …), with a value: its finding.
#[inline]
fn token_header(name: &str, value: &[u8], transport: Transport) -> Option<Finding> {
    classify_field_name(name)?;
    let value = value.trim_ascii();
    (!value.is_empty())
        .then(|| field_finding(FieldClass::Token, Place::Header, name, value, transport))
}

fn field_finding(
    class: FieldClass,
    place: Place,
    name: &str,
    value: &[u8],
    transport: Transport,
) -> Finding {
    let mut evidence = name.as_bytes().to_vec();
    evidence.push(if place == Place::Json { b':' } else { b'=' });
    evidence.extend_from_slice(value);
    let (kind, what) = match class {
        FieldClass::Password => (FindingKind::PasswordField, "read this password"),
        FieldClass::Token => (FindingKind::ApiKey, "copy this token and use it"),
    };
    let (severity, explanation) = match transport {
        Transport::Clear => (
            if class == FieldClass::Password {
                Severity::High
            } else {
                Severity::Medium
            },
            format!(
                "Anyone on the path can {what}: it was sent over plain HTTP {}.",
                place.phrase()
            ),
        ),
        Transport::DecryptedTls => (Severity::Info, DECRYPTED_NOTE.to_string()),
    };
    Finding::new(kind, severity, &evidence, explanation)
        .detail("location", place.label())
        .detail("field", name)
}

/// `key=value` (or `key: value`) pairs with a credential-like key inside a readable field
/// of another protocol (a DNS TXT string or name): `where_` says which (`DNS TXT`).
pub fn text_field_credentials(text: &[u8], where_: &str) -> Vec<Finding> {
    let mut out = Vec::new();
    let parts = text.split(|b| b.is_ascii_whitespace() || matches!(b, b';' | b',' | b'&'));
    for part in parts {
        if out.len() >= MAX_FIELD_FINDINGS {
            break;
        }
        let Some(at) = part.iter().position(|b| matches!(b, b'=' | b':')) else {
            continue;
        };
        let (Some(k), Some(v)) = (part.get(..at), part.get(at + 1..)) else {
            continue;
        };
        let v = v.trim_ascii();
        let Ok(key) = std::str::from_utf8(k.trim_ascii()) else {
            continue;
        };
        if v.is_empty() || key.is_empty() {
            continue;
        }
        let Some(class) = classify_field_name(key) else {
            continue;
        };
        let (kind, verb, severity) = match class {
            FieldClass::Password => (
                FindingKind::PasswordField,
                "read this password",
                Severity::High,
            ),
            FieldClass::Token => (
                FindingKind::ApiKey,
                "copy this token and use it",
                Severity::Medium,
            ),
        };
        out.push(
            Finding::new(
                kind,
                severity,
                part,
                format!(
                    "Anyone on the path can {verb}: it travelled in clear in a {where_} (DNS is not encrypted; what a DNS tunnel carries, it leaks)."
                ),
            )
            .detail("location", where_)
            .detail("field", key),
        );
    }
    out
}

/// Sensitive fields of an `application/x-www-form-urlencoded` text (query or body).
fn form_fields(text: &[u8], place: Place, transport: Transport, out: &mut Vec<Finding>) {
    for (k, v) in form_urlencoded::parse(text) {
        if out.len() >= MAX_FIELD_FINDINGS {
            return;
        }
        if v.is_empty() {
            continue;
        }
        if let Some(class) = classify_field_name(&k) {
            out.push(field_finding(class, place, &k, v.as_bytes(), transport));
        }
    }
}

fn json_fields(v: &Value, path: &str, depth: usize, transport: Transport, out: &mut Vec<Finding>) {
    if depth > MAX_JSON_DEPTH || out.len() >= MAX_FIELD_FINDINGS {
        return;
    }
    match v {
        Value::Object(map) => {
            for (k, child) in map {
                if out.len() >= MAX_FIELD_FINDINGS {
                    return;
                }
                let p = format!("{path}.{k}");
                let scalar = match child {
                    Value::String(s) if !s.is_empty() => Some(s.clone()),
                    Value::Number(n) => Some(n.to_string()),
                    _ => None,
                };
                match (classify_field_name(k), scalar) {
                    (Some(class), Some(s)) => out.push(field_finding(
                        class,
                        Place::Json,
                        &p,
                        s.as_bytes(),
                        transport,
                    )),
                    _ => json_fields(child, &p, depth + 1, transport, out),
                }
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                json_fields(child, &format!("{path}[{i}]"), depth + 1, transport, out);
            }
        }
        _ => {}
    }
}

/// Sensitive fields in a body by its content type (form or JSON). A body without a
/// content type that starts with `{` or `[` is tried as JSON.
/// Which bodies [`body_fields`] reads, by media type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BodyFields {
    Form,
    Json,
    /// No media type: read as JSON when it starts like JSON.
    Unlabelled,
    /// Any other media type: the body is not read.
    NotRead,
}

fn body_fields_kind(content_type: Option<&[u8]>) -> BodyFields {
    let mt = content_type.map(media_type).unwrap_or_default();
    if mt == "application/x-www-form-urlencoded" {
        BodyFields::Form
    } else if is_json_type(&mt) {
        BodyFields::Json
    } else if mt.is_empty() {
        BodyFields::Unlabelled
    } else {
        BodyFields::NotRead
    }
}

/// Whether [`request_credentials`] and [`response_credentials`] read the body of a message
/// with these headers and this content type (form, JSON and unlabelled bodies). When not,
/// the caller need not decode the body: any body, or none, gives the same findings.
pub fn credentials_read_body<H: HeaderList + ?Sized>(
    headers: &H,
    content_type: Option<&[u8]>,
) -> bool {
    let ct = content_type.or_else(|| header_value(headers, "content-type"));
    body_fields_kind(ct) != BodyFields::NotRead
}

fn body_fields(body: &[u8], content_type: Option<&[u8]>, transport: Transport) -> Vec<Finding> {
    let mut out = Vec::new();
    let looks_json = || matches!(body.trim_ascii_start().first(), Some(b'{') | Some(b'['));
    match body_fields_kind(content_type) {
        BodyFields::Form => form_fields(body, Place::Form, transport, &mut out),
        kind @ (BodyFields::Json | BodyFields::Unlabelled) => {
            if (kind == BodyFields::Json || looks_json()) && may_hold_sensitive_name(body) {
                if let Ok(v) = serde_json::from_slice::<Value>(body) {
                    json_fields(&v, "$", 0, transport, &mut out);
                }
            }
        }
        BodyFields::NotRead => {}
    }
    out
}

/// Whether `body` can hold a field whose name [`classify_field_name`] flags: every such name
/// contains one of the exact names or name parts as raw text (case aside), so a body with
/// none of them need not be parsed as JSON at all.
///
/// Only the string literals are searched (raw, escapes as they are). The names are letters
/// without `"`, and outside its strings valid JSON holds only punctuation, numbers, `true`,
/// `false` and `null`, none of which contains a name: for any body that parses, the answer
/// is the same as a search of every byte, and a body that does not parse yields nothing
/// either way. A long run of numbers (an array of ids) is skipped instead of searched.
fn may_hold_sensitive_name(body: &[u8]) -> bool {
    /// Strings closer than this are searched together with the bytes between them.
    const GAP: usize = 256;
    let Some(ac) = name_in_body_automaton() else {
        return true;
    };
    let mut region: Option<Range<usize>> = None;
    for span in json_string_spans(body) {
        region = match region {
            Some(r) if span.start.saturating_sub(r.end) <= GAP => Some(r.start..span.end),
            Some(r) => {
                if ac.is_match(body.get(r).unwrap_or_default()) {
                    return true;
                }
                Some(span)
            }
            None => Some(span),
        };
    }
    region.is_some_and(|r| ac.is_match(body.get(r).unwrap_or_default()))
}

/// Byte ranges of the contents of the string literals of a JSON text, in order (as a JSON
/// lexer sees them: `\` escapes the next byte; an unterminated string runs to the end).
fn json_string_spans(body: &[u8]) -> impl Iterator<Item = Range<usize>> + '_ {
    let mut marks = memchr::memchr2_iter(b'"', b'\\', body);
    let mut open: Option<usize> = None;
    let mut escaped_until = 0usize;
    let mut done = false;
    std::iter::from_fn(move || loop {
        if done {
            return None;
        }
        let Some(p) = marks.next() else {
            done = true;
            return open.take().map(|s| s..body.len());
        };
        let is_quote = body.get(p) == Some(&b'"');
        match open {
            None if is_quote => open = Some(p + 1),
            None => {}
            Some(_) if p < escaped_until => {}
            Some(_) if !is_quote => escaped_until = p + 2,
            Some(s) => {
                open = None;
                return Some(s..p);
            }
        }
    })
}

fn name_in_body_automaton() -> Option<&'static aho_corasick::AhoCorasick> {
    static AC: std::sync::OnceLock<Option<aho_corasick::AhoCorasick>> = std::sync::OnceLock::new();
    AC.get_or_init(|| {
        let pats: Vec<&str> = SENSITIVE_NAMES_EXACT
            .iter()
            .chain(SENSITIVE_NAME_PARTS.iter())
            .map(|(p, _)| *p)
            .collect();
        // A DFA: it scans most of a JSON body's bytes (its strings).
        aho_corasick::AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .kind(Some(aho_corasick::AhoCorasickKind::DFA))
            .build(pats)
            .ok()
    })
    .as_ref()
}

/// The query string of a request target (between `?` and `#`).
fn query_of(uri: &[u8]) -> Option<&[u8]> {
    let q = uri.iter().position(|b| *b == b'?')?;
    let rest = uri.get(q + 1..)?;
    let end = rest.iter().position(|b| *b == b'#').unwrap_or(rest.len());
    rest.get(..end)
}

/// `user:password` in an absolute URI's authority (`http://user:pw@host/`).
fn url_userinfo(uri: &[u8]) -> Option<&[u8]> {
    let s = uri.windows(3).position(|w| w == b"://")?;
    let after = uri.get(s + 3..)?;
    let auth_end = after
        .iter()
        .position(|b| matches!(b, b'/' | b'?' | b'#'))
        .unwrap_or(after.len());
    let authority = after.get(..auth_end)?;
    let at = authority.iter().rposition(|b| *b == b'@')?;
    let info = authority.get(..at)?;
    info.contains(&b':').then_some(info)
}

/// Credentials an eavesdropper reads in one HTTP request.
///
/// - `Authorization` / `Proxy-Authorization`: Basic (decoded user:password) → `basic_auth`,
///   Bearer → `bearer_token`.
/// - `Cookie` → `cookie`; other headers with a sensitive name (`X-API-Key`, ...) → `api_key`.
/// - Query string, form body and JSON body fields with a sensitive name →
///   `password_field` / `api_key`; user:password in an absolute URI → `password_field`.
/// - A POST carrying a password field over plain HTTP → also `login_form_in_clear`.
///
/// `body` is the decoded body (after chunked/gzip); `content_type` overrides the
/// `Content-Type` header when given. With [`Transport::DecryptedTls`] everything is
/// reported at `info` severity and no `login_form_in_clear` is raised.
pub fn request_credentials<H: HeaderList + ?Sized>(
    method: &str,
    uri: &[u8],
    headers: &H,
    body: &[u8],
    content_type: Option<&[u8]>,
    transport: Transport,
) -> Vec<Finding> {
    let mut out = Vec::new();
    let clear = transport == Transport::Clear;
    for (name, value) in headers.fields() {
        let is = |n: &str| name.eq_ignore_ascii_case(n);
        if is("authorization") || is("proxy-authorization") {
            out.extend(authorization_finding(value, transport))
        } else if is("cookie") {
            if value.trim_ascii().is_empty() {
                continue;
            }
            let (sev, expl) = if clear {
                (
                    Severity::Medium,
                    "Anyone on the path can copy these cookies and take over the session: they were sent over plain HTTP.".to_string(),
                )
            } else {
                (Severity::Info, DECRYPTED_NOTE.to_string())
            };
            let names: Vec<String> = value
                .split(|b| *b == b';')
                .filter_map(|p| {
                    let p = p.trim_ascii();
                    let e = p.iter().position(|b| *b == b'=').unwrap_or(p.len());
                    let n = String::from_utf8_lossy(p.get(..e).unwrap_or_default())
                        .trim()
                        .to_string();
                    (!n.is_empty()).then_some(n)
                })
                .collect();
            out.push(
                Finding::new(FindingKind::Cookie, sev, value.trim_ascii(), expl)
                    .detail("names", names.join(",")),
            );
        } else if !(is("set-cookie") || is("content-type") || is("content-length") || is("host")) {
            if let Some(f) = token_header(name, value, transport) {
                out.push(f);
            }
        }
    }
    let mut fields = Vec::new();
    if let Some(info) = url_userinfo(uri) {
        fields.push(field_finding(
            FieldClass::Password,
            Place::UrlUserinfo,
            "userinfo",
            info,
            transport,
        ));
    }
    if let Some(q) = query_of(uri) {
        form_fields(q, Place::Query, transport, &mut fields);
    }
    let ct = content_type.or_else(|| header_value(headers, "content-type"));
    let body_found = body_fields(body, ct, transport);
    let body_has_password = body_found
        .iter()
        .any(|f| f.kind == FindingKind::PasswordField);
    fields.extend(body_found);
    fields.truncate(MAX_FIELD_FINDINGS);
    out.extend(fields);
    if clear && body_has_password && method.eq_ignore_ascii_case("POST") {
        out.push(Finding::new(
            FindingKind::LoginFormInClear,
            Severity::Medium,
            format!("POST {}", String::from_utf8_lossy(uri)).as_bytes(),
            "This form posts a password over plain HTTP, so every login through it can be read on the path.",
        ));
    }
    out
}

fn authorization_finding(value: &[u8], transport: Transport) -> Option<Finding> {
    let clear = transport == Transport::Clear;
    let (scheme, token) = auth_scheme(value)?;
    if scheme.eq_ignore_ascii_case(b"basic") {
        let creds = decode_basic_auth(value)?;
        let (sev, expl) = if clear {
            (Severity::High, "Anyone on the path can read this password: HTTP Basic credentials are only base64-encoded and were sent over plain HTTP.".to_string())
        } else {
            (Severity::Info, DECRYPTED_NOTE.to_string())
        };
        Some(
            Finding::new(FindingKind::BasicAuth, sev, &creds.decoded, expl)
                .detail("user", String::from_utf8_lossy(&creds.user))
                .sent_as(token),
        )
    } else if scheme.eq_ignore_ascii_case(b"bearer") {
        if token.is_empty() {
            return None;
        }
        let (sev, expl) = if clear {
            (Severity::High, "Anyone on the path can copy this bearer token and act as its owner: it was sent over plain HTTP.".to_string())
        } else {
            (Severity::Info, DECRYPTED_NOTE.to_string())
        };
        Some(Finding::new(FindingKind::BearerToken, sev, token, expl))
    } else {
        None
    }
}

/// Credentials an eavesdropper reads in one HTTP response: `Set-Cookie` values handed out
/// over plain HTTP (`cookie`; the missing-flag checks are in
/// [`super::audit::audit_response_headers`]), sensitive headers, and sensitive fields of
/// form/JSON bodies (e.g. `{"access_token": …}`).
pub fn response_credentials<H: HeaderList + ?Sized>(
    headers: &H,
    body: &[u8],
    content_type: Option<&[u8]>,
    transport: Transport,
) -> Vec<Finding> {
    let mut out = Vec::new();
    for (name, value) in headers.fields() {
        if name.eq_ignore_ascii_case("set-cookie") {
            if transport == Transport::Clear {
                let c = parse_set_cookie(value);
                if c.name_value.is_empty() {
                    continue;
                }
                out.push(
                    Finding::new(
                        FindingKind::Cookie,
                        Severity::Medium,
                        &c.name_value,
                        "Anyone on the path can copy this cookie as the server hands it out: it was sent over plain HTTP.",
                    )
                    .detail("name", &c.name),
                );
            }
        } else if !name.eq_ignore_ascii_case("www-authenticate") {
            if let Some(f) = token_header(name, value, transport) {
                out.push(f);
            }
        }
    }
    let ct = content_type.or_else(|| header_value(headers, "content-type"));
    out.extend(body_fields(body, ct, transport));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(f: &[Finding]) -> Vec<FindingKind> {
        f.iter().map(|x| x.kind).collect()
    }

    #[test]
    fn credentials_in_dns_text() {
        let f = text_field_credentials(b"v=1 api_key=sk_live_acorns; note=hi", "DNS TXT");
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].kind, FindingKind::ApiKey);
        assert_eq!(f[0].evidence, "api_key=sk_live_acorns");
        assert!(text_field_credentials(b"v=spf1 include:_spf.example ~all", "DNS TXT").is_empty());
        let p = text_field_credentials(b"password=hunter2", "DNS TXT");
        assert_eq!(p[0].severity, Severity::High);
    }

    #[test]
    fn names_are_classified() {
        use FieldClass::*;
        assert_eq!(classify_field_name("password"), Some(Password));
        assert_eq!(classify_field_name("PASSWD"), Some(Password));
        assert_eq!(classify_field_name("pwd"), Some(Password));
        assert_eq!(classify_field_name("new_password"), Some(Password));
        assert_eq!(classify_field_name("client_secret"), Some(Password));
        assert_eq!(classify_field_name("api_key"), Some(Token));
        assert_eq!(classify_field_name("apiKey"), Some(Token));
        assert_eq!(classify_field_name("access_token"), Some(Token));
        assert_eq!(classify_field_name("X-Auth-Token"), Some(Token));
        assert_eq!(classify_field_name("PHPSESSID"), Some(Token));
        assert_eq!(classify_field_name("session"), Some(Token));
        assert_eq!(classify_field_name("passenger"), None);
        assert_eq!(classify_field_name("author"), None);
        assert_eq!(classify_field_name("username"), None);
        assert_eq!(classify_field_name("csrf_token"), None);
        assert_eq!(classify_field_name("Sec-WebSocket-Key"), None);
    }

    #[test]
    fn basic_auth_decoding() {
        let c = decode_basic_auth(b"Basic YWxpY2U6aHVudGVyMg==");
        assert_eq!(
            c,
            Some(BasicCredentials {
                user: b"alice".to_vec(),
                password: b"hunter2".to_vec(),
                decoded: b"alice:hunter2".to_vec()
            })
        );
        // Unpadded, odd case scheme, password with a colon.
        let c = decode_basic_auth(b"  bAsIc   Ym9iOnA6dw ").unwrap_or_else(|| BasicCredentials {
            user: vec![],
            password: vec![],
            decoded: vec![],
        });
        assert_eq!(c.user, b"bob");
        assert_eq!(c.password, b"p:w");
        // Two spaces after the scheme, as in the zeek basic-auth capture of the corpus.
        let c = decode_basic_auth(b"Basic  dGVzdDoxMjM0").map(|c| c.decoded);
        assert_eq!(c.as_deref(), Some(&b"test:1234"[..]));
        assert_eq!(decode_basic_auth(b"Bearer abc"), None);
        assert_eq!(decode_basic_auth(b"Basic !!!"), None);
        assert_eq!(decode_basic_auth(b"Basic"), None);
    }

    #[test]
    fn basic_and_bearer_headers() {
        let headers: &[(&str, &[u8])] = &[
            ("Host", b"example.com"),
            ("Authorization", b"Basic YWxpY2U6aHVudGVyMg=="),
            ("Proxy-Authorization", b"Bearer eyJhbGciOi.x.y"),
        ];
        let f = request_credentials("GET", b"/", headers, b"", None, Transport::Clear);
        assert_eq!(
            kinds(&f),
            vec![FindingKind::BasicAuth, FindingKind::BearerToken]
        );
        assert_eq!(f[0].evidence, "alice:hunter2");
        assert_eq!(f[0].severity, Severity::High);
        assert!(f[0].explanation.contains("plain HTTP"));
        assert_eq!(f[0].details, vec![("user", "alice".to_string())]);
        assert_eq!(f[1].evidence, "eyJhbGciOi.x.y");
        assert_eq!(f[0].stream, None);
        assert!(f[0].frames.is_empty());
    }

    #[test]
    fn form_body_login_in_clear() {
        let headers = vec![(
            "Content-Type".to_string(),
            b"application/x-www-form-urlencoded; charset=UTF-8".to_vec(),
        )];
        let body = b"username=alice&password=hunter%32+x&remember=1";
        let f = request_credentials("POST", b"/login", &headers, body, None, Transport::Clear);
        assert_eq!(
            kinds(&f),
            vec![FindingKind::PasswordField, FindingKind::LoginFormInClear]
        );
        assert_eq!(f[0].evidence, "password=hunter2 x");
        assert_eq!(f[0].severity, Severity::High);
        assert!(f[0].explanation.contains("form body"));
        assert_eq!(f[1].evidence, "POST /login");
        // The same over decrypted TLS: info, no login-form finding.
        let f = request_credentials(
            "POST",
            b"/login",
            &headers,
            body,
            None,
            Transport::DecryptedTls,
        );
        assert_eq!(kinds(&f), vec![FindingKind::PasswordField]);
        assert_eq!(f[0].severity, Severity::Info);
    }

    #[test]
    fn json_name_check_searches_strings_only_with_the_same_answer() {
        let whole = |b: &[u8]| name_in_body_automaton().is_some_and(|ac| ac.is_match(b));
        let ids: String = (1..3000).map(|i| format!("{i},")).collect();
        let bodies = [
            r#"{"user":"alice","password":"x"}"#.to_string(),
            r#"{"user":"alice","note":"no names here"}"#.to_string(),
            format!(r#"{{"ids":[{ids}0],"API_KEY":"k"}}"#),
            format!(r#"{{"ids":[{ids}0],"n":true,"m":null,"f":-1.5e3}}"#),
            r#"{"a\"b":"c\\","Pass\u0077ord":"\"token\""}"#.to_string(),
            r#"{"esc\\":"x","k":"se\"cret"}"#.to_string(),
            r#"["nested",{"deep":{"jwt":1}}]"#.to_string(),
            r#"{"empty":"","s":"\\\\"}"#.to_string(),
        ];
        for b in &bodies {
            assert!(serde_json::from_str::<Value>(b).is_ok(), "{b}");
            assert_eq!(
                may_hold_sensitive_name(b.as_bytes()),
                whole(b.as_bytes()),
                "{b}"
            );
        }
        assert!(may_hold_sensitive_name(bodies[2].as_bytes()));
        assert!(!may_hold_sensitive_name(bodies[3].as_bytes()));
        let spans: Vec<_> = json_string_spans(br#"{"a\"b":"c\\","d"#).collect();
        assert_eq!(spans, vec![2..6, 9..12, 15..16]);
    }

    #[test]
    fn json_body_walked_recursively() {
        let body = br#"{"user":{"name":"alice","credentials":{"password":"hunter2","pin":1234}},
            "items":[{"api_key":"k-123"}],"csrf_token":"zzz","empty_password":""}"#;
        let f = request_credentials(
            "POST",
            b"/api/login",
            &[("Content-Type", b"application/json".as_slice())],
            body,
            None,
            Transport::Clear,
        );
        let ev: Vec<&str> = f.iter().map(|x| x.evidence.as_str()).collect();
        assert_eq!(
            ev,
            vec![
                "$.items[0].api_key:k-123",
                "$.user.credentials.password:hunter2",
                "$.user.credentials.pin:1234",
                "POST /api/login"
            ]
        );
        assert_eq!(f[0].kind, FindingKind::ApiKey);
        assert_eq!(f[1].kind, FindingKind::PasswordField);
    }

    #[test]
    fn json_depth_is_bounded() {
        let mut body = String::new();
        for _ in 0..40 {
            body.push_str(r#"{"a":"#);
        }
        body.push_str(r#"{"password":"deep"}"#);
        for _ in 0..40 {
            body.push('}');
        }
        let f = request_credentials::<[(&str, &[u8])]>(
            "PUT",
            b"/",
            &[],
            body.as_bytes(),
            None,
            Transport::Clear,
        );
        assert!(f.is_empty());
    }

    #[test]
    fn query_string_and_userinfo() {
        let f = request_credentials::<[(&str, &[u8])]>(
            "GET",
            b"http://bob:s3cret@example.com/search?q=cats&access_token=abc%2Bdef&pwd=x#frag",
            &[],
            b"",
            None,
            Transport::Clear,
        );
        let ev: Vec<&str> = f.iter().map(|x| x.evidence.as_str()).collect();
        assert_eq!(
            ev,
            vec!["userinfo=bob:s3cret", "access_token=abc+def", "pwd=x"]
        );
        assert_eq!(
            kinds(&f),
            vec![
                FindingKind::PasswordField,
                FindingKind::ApiKey,
                FindingKind::PasswordField
            ]
        );
        assert!(f[1].explanation.contains("query string"));
        assert_eq!(f[1].json()["details"]["location"], "query");
    }

    #[test]
    fn cookies_and_api_key_headers() {
        let headers: &[(&str, &[u8])] = &[
            ("Cookie", b"sessionid=abc123; theme=dark"),
            ("X-API-Key", b"  k-999 "),
            ("X-CSRF-Token", b"nope"),
        ];
        let f = request_credentials("GET", b"/", headers, b"", None, Transport::Clear);
        assert_eq!(kinds(&f), vec![FindingKind::Cookie, FindingKind::ApiKey]);
        assert_eq!(f[0].evidence, "sessionid=abc123; theme=dark");
        assert_eq!(f[0].json()["details"]["names"], "sessionid,theme");
        assert_eq!(f[1].evidence, "X-API-Key=k-999");
    }

    #[test]
    fn response_set_cookie_and_token_body() {
        let headers: &[(&str, &[u8])] = &[
            ("Set-Cookie", b"SID=31d4d96e407aad42; Path=/; HttpOnly"),
            ("Content-Type", b"application/json"),
        ];
        let body = br#"{"access_token":"tok-1","expires_in":3600}"#;
        let f = response_credentials(headers, body, None, Transport::Clear);
        assert_eq!(kinds(&f), vec![FindingKind::Cookie, FindingKind::ApiKey]);
        assert_eq!(f[0].evidence, "SID=31d4d96e407aad42");
        assert_eq!(f[1].evidence, "$.access_token:tok-1");
        let f = response_credentials(headers, b"", None, Transport::DecryptedTls);
        assert!(f.is_empty());
    }

    #[test]
    fn set_cookie_parsing() {
        let c = parse_set_cookie(
            b"id=a3fWa; Expires=Thu, 21 Oct 2021 07:28:00 GMT; secure; HTTPONLY; SameSite=Lax",
        );
        assert_eq!(c.name, "id");
        assert_eq!(c.name_value, b"id=a3fWa");
        assert!(c.secure && c.http_only);
        assert_eq!(c.same_site.as_deref(), Some("Lax"));
        let c = parse_set_cookie(b"x=1");
        assert!(!c.secure && !c.http_only);
    }
}
