//! The TLS event: one record or handshake message, with its protocol column, info text,
//! `-V` tree and JSON.

use std::borrow::Cow;
use std::fmt::Write as _;

use serde_json::{Map, Value};

use super::handshake::{CertificateChain, CertificateRequest, OtherHandshake, ServerKeyExchange};
use super::hello::{ClientHello, ServerHello};
use super::names::{
    alert_description_name, alert_level_name, cipher_suite_name, content_type_name, group_name,
    version_name,
};
use crate::dissect::fields::{Fields, JsonFields};
use crate::present::escape::escape_str;
use crate::present::tree::TreeNode;

/// The record that carried (the end of) the event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RecordInfo {
    pub content_type: u8,
    pub version: u16,
    /// Record payload length.
    pub length: usize,
    /// An SSLv2-format record (2-byte header, no content type).
    pub sslv2: bool,
    /// The record was decrypted with the session keys: plaintext length and inner
    /// content type.
    pub decrypted: Option<(usize, u8)>,
}

/// A TLS alert; level and description are unknown when encrypted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Alert {
    pub level: Option<u8>,
    pub description: Option<u8>,
    pub encrypted: bool,
}

/// One application_data record, with the direction's running totals (this record included).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AppData {
    pub len: usize,
    pub total_records: u64,
    pub total_bytes: u64,
}

/// A heartbeat record (RFC 6520).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Heartbeat {
    pub encrypted: bool,
    /// 1 = request, 2 = response.
    pub msg_type: Option<u8>,
    pub payload_length: Option<u16>,
    pub record_length: usize,
    /// payload_length claims more bytes than the record holds (CVE-2014-0160 pattern).
    pub heartbleed: bool,
}

/// Application data totals of one stream, per direction, emitted on close.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Summary {
    pub version: Option<u16>,
    pub cipher_suite: Option<u16>,
    pub to_server_records: u64,
    pub to_server_bytes: u64,
    pub to_client_records: u64,
    pub to_client_bytes: u64,
}

#[derive(Debug, Clone, PartialEq)]
pub enum TlsMessage {
    ClientHello(Box<ClientHello>),
    /// ServerHello or HelloRetryRequest (see `hello_retry_request`).
    ServerHello(Box<ServerHello>),
    Certificate(CertificateChain),
    ServerKeyExchange(ServerKeyExchange),
    CertificateRequest(CertificateRequest),
    /// Other handshake messages (Server Hello Done, Client Key Exchange, New Session
    /// Ticket, Finished, ...), by name.
    Handshake(OtherHandshake),
    ChangeCipherSpec,
    Alert(Alert),
    AppData(AppData),
    Heartbeat(Heartbeat),
    /// A handshake record after ChangeCipherSpec (or unreadable as handshake).
    EncryptedHandshake {
        len: usize,
    },
    /// A remark about the stream (escaped text).
    Note(String),
    Summary(Summary),
    /// What decryption achieved on the stream (emitted on close with the summary).
    Decryption(crate::dissect::tls::decrypt::DecryptionStatus),
}

/// One TLS event. All text is escaped when rendered.
#[derive(Debug, Clone, PartialEq)]
pub struct TlsEvent {
    /// Protocol column (`TLSv1.2`, `SSLv2`, ...): the negotiated version once a ServerHello
    /// was seen, else the record version (one of a few fixed names: no text per record).
    pub protocol: &'static str,
    pub record: RecordInfo,
    /// Frames that carried the event's bytes (for `[Reassembled from frames ...]`).
    pub frames: Vec<u64>,
    pub message: TlsMessage,
    /// The decrypted bytes of the record (on the first event of a decrypted record only),
    /// for the "Decrypted TLS" hex dump.
    pub plaintext: Option<std::sync::Arc<Vec<u8>>>,
}

fn alert_text(a: &Alert) -> String {
    match (a.encrypted, a.level, a.description) {
        (false, Some(l), Some(d)) => format!(
            "Alert (Level: {}, Description: {})",
            alert_level_name(l).0,
            alert_description_name(d).0
        ),
        _ => "Encrypted Alert".into(),
    }
}

impl TlsEvent {
    /// The end-of-stream summary (not a record of any one frame).
    pub fn is_summary(&self) -> bool {
        matches!(
            self.message,
            TlsMessage::Summary(_) | TlsMessage::Decryption(_)
        )
    }

    pub fn protocol(&self) -> std::borrow::Cow<'_, str> {
        std::borrow::Cow::Borrowed(self.protocol)
    }

    /// This event's part of the info column.
    pub fn info(&self) -> String {
        let mut s = String::new();
        self.push_info(&mut s);
        s
    }

    /// [`TlsEvent::info`] appended to `s`.
    pub fn push_info(&self, s: &mut String) {
        let name = match &self.message {
            TlsMessage::ClientHello(ch) => match ch.sni_text() {
                Some(sni) => {
                    s.push_str("Client Hello (SNI=");
                    s.push_str(&sni);
                    s.push(')');
                    return;
                }
                None => "Client Hello",
            },
            TlsMessage::ServerHello(sh) => sh.message_name(),
            TlsMessage::Certificate(_) => "Certificate",
            TlsMessage::ServerKeyExchange(_) => "Server Key Exchange",
            TlsMessage::CertificateRequest(_) => "Certificate Request",
            TlsMessage::Handshake(h) => return s.push_str(&h.name()),
            TlsMessage::ChangeCipherSpec => "Change Cipher Spec",
            TlsMessage::Alert(a) => return s.push_str(&alert_text(a)),
            TlsMessage::AppData(_) => "Application Data",
            TlsMessage::Heartbeat(h) => match (h.encrypted, h.msg_type) {
                (true, _) => "Encrypted Heartbeat",
                (false, Some(1)) => "Heartbeat Request",
                (false, Some(2)) => "Heartbeat Response",
                _ => "Heartbeat",
            },
            TlsMessage::EncryptedHandshake { .. } => "Encrypted Handshake Message",
            TlsMessage::Note(n) => {
                s.push('[');
                s.push_str(n);
                s.push(']');
                return;
            }
            TlsMessage::Summary(x) => {
                let _ = write!(
                    s,
                    "[TLS application data: client {} records/{} bytes, server {} records/{} bytes]",
                    x.to_server_records, x.to_server_bytes, x.to_client_records, x.to_client_bytes
                );
                return;
            }
            TlsMessage::Decryption(d) => {
                let _ = write!(
                    s,
                    "[TLS decryption: keys {}, {} records decrypted, {} failures]",
                    d.keys.label(),
                    d.records_decrypted,
                    d.failures
                );
                return;
            }
        };
        s.push_str(name);
    }

    fn record_title(&self) -> String {
        let ct = content_type_name(self.record.content_type);
        let what = match &self.message {
            TlsMessage::ClientHello(_)
            | TlsMessage::ServerHello(_)
            | TlsMessage::Certificate(_)
            | TlsMessage::ServerKeyExchange(_)
            | TlsMessage::CertificateRequest(_)
            | TlsMessage::Handshake(_)
            | TlsMessage::EncryptedHandshake { .. } => {
                format!("Handshake Protocol: {}", self.info_plain())
            }
            TlsMessage::Alert(a) => {
                return format!("{} Record Layer: {}", self.protocol, alert_text(a))
            }
            TlsMessage::ChangeCipherSpec => {
                "Change Cipher Spec Protocol: Change Cipher Spec".into()
            }
            TlsMessage::AppData(_) => "Application Data Protocol: Application Data".into(),
            TlsMessage::Heartbeat(_) => format!("Heartbeat Protocol: {}", self.info()),
            _ => ct.to_string(),
        };
        format!("{} Record Layer: {what}", self.protocol)
    }

    /// Info text without the SNI addition (tshark's record line).
    fn info_plain(&self) -> String {
        match &self.message {
            TlsMessage::ClientHello(_) => "Client Hello".into(),
            _ => self.info(),
        }
    }

    /// The `Transport Layer Security` layer for this event.
    pub fn tree(&self) -> TreeNode {
        let mut top = TreeNode::new("Transport Layer Security");
        match &self.message {
            TlsMessage::Note(n) => {
                top.leaf(format!("[Note: {n}]"));
                return top;
            }
            TlsMessage::Summary(_) | TlsMessage::Decryption(_) => {
                top.leaf(self.info());
                return top;
            }
            _ => {}
        }
        let mut rec = TreeNode::new(if self.record.sslv2 {
            format!("SSLv2 Record Layer: {}", self.info_plain())
        } else {
            self.record_title()
        });
        if self.record.sslv2 {
            rec.leaf(format!("Length: {}", self.record.length));
        } else {
            // A TLS 1.3 protected record's outer type is opaque (RFC 8446 §5.2); tshark
            // names it so and adds the inner type once decrypted.
            let opaque = self.protocol == "TLSv1.3" && self.record.content_type == 23;
            rec.leaf(format!(
                "{}: {} ({})",
                if opaque {
                    "Opaque Type"
                } else {
                    "Content Type"
                },
                content_type_name(self.record.content_type),
                self.record.content_type
            ));
            rec.leaf(format!(
                "Version: {} (0x{:04x})",
                version_name(self.record.version),
                self.record.version
            ));
            rec.leaf(format!("Length: {}", self.record.length));
            if let (true, Some((_, inner))) = (opaque, self.record.decrypted) {
                rec.leaf(format!(
                    "[Content Type: {} ({inner})]",
                    content_type_name(inner)
                ));
            }
        }
        match &self.message {
            TlsMessage::ClientHello(ch) => {
                rec.child(ch.tree());
            }
            TlsMessage::ServerHello(sh) => {
                rec.child(sh.tree());
            }
            TlsMessage::Certificate(c) => {
                rec.child(c.tree());
            }
            TlsMessage::ServerKeyExchange(s) => {
                rec.child(s.tree());
            }
            TlsMessage::CertificateRequest(c) => {
                rec.child(c.tree());
            }
            TlsMessage::Handshake(h) => {
                rec.child(h.tree());
            }
            TlsMessage::ChangeCipherSpec => {
                rec.leaf("Change Cipher Spec Message");
            }
            TlsMessage::Alert(a) => {
                if let (false, Some(l), Some(d)) = (a.encrypted, a.level, a.description) {
                    let mut m = TreeNode::new("Alert Message");
                    m.leaf(format!("Level: {} ({l})", alert_level_name(l).0));
                    m.leaf(format!(
                        "Description: {} ({d})",
                        alert_description_name(d).0
                    ));
                    rec.child(m);
                } else {
                    rec.leaf("Alert Message: Encrypted Alert");
                }
            }
            TlsMessage::AppData(a) => {
                rec.leaf(format!("Encrypted Application Data ({} bytes)", a.len));
                rec.leaf(format!(
                    "[Direction totals: {} records, {} bytes]",
                    a.total_records, a.total_bytes
                ));
            }
            TlsMessage::Heartbeat(h) => {
                if h.encrypted {
                    rec.leaf("Encrypted Heartbeat");
                } else {
                    if let Some(t) = h.msg_type {
                        let name = match t {
                            1 => "Request",
                            2 => "Response",
                            _ => "Unknown",
                        };
                        rec.leaf(format!("Type: {name} ({t})"));
                    }
                    if let Some(p) = h.payload_length {
                        rec.leaf(format!("Payload Length: {p}"));
                    }
                    if h.heartbleed {
                        rec.leaf(format!(
                            "[Payload length exceeds the record ({} bytes): Heartbleed (CVE-2014-0160) pattern]",
                            h.record_length
                        ));
                    }
                }
            }
            TlsMessage::EncryptedHandshake { len } => {
                rec.leaf(format!(
                    "Handshake Protocol: Encrypted Handshake Message ({len} bytes)"
                ));
            }
            TlsMessage::Note(_) | TlsMessage::Summary(_) | TlsMessage::Decryption(_) => {}
        }
        if let Some((len, inner)) = self.record.decrypted {
            let mut d = TreeNode::new(format!("Decrypted TLS ({len} bytes)"));
            d.leaf(format!(
                "Content Type: {} ({inner})",
                content_type_name(inner)
            ));
            rec.child(d);
        }
        if self.frames.len() > 1 {
            let list: Vec<String> = self.frames.iter().map(|f| format!("#{f}")).collect();
            rec.leaf(format!("[Reassembled from frames {}]", list.join(", ")));
        }
        top.child(rec);
        top
    }

    /// JSON fields, including `"type"`.
    pub fn json(&self) -> Map<String, Value> {
        let mut m = JsonFields::default();
        self.fields(&mut m);
        m.0
    }

    /// The record's fields, handed to `out` one by one (`type` first).
    pub fn fields(&self, out: &mut dyn Fields) {
        // A TLS version as `{"id":…,"name":…}`.
        let version = |v: u16| (u64::from(v), Cow::Owned(version_name(v)));
        let version_field = |out: &mut dyn Fields, name: &str, v: u16| {
            let (id, n) = version(v);
            out.id_name(name, Some((id, &n)));
        };
        match &self.message {
            TlsMessage::ClientHello(ch) => {
                out.kind("tls.client_hello");
                version_field(out, "legacy_version", ch.legacy_version);
                out.flag("sslv2_record", ch.sslv2);
                out.text("sni", ch.sni_text());
                out.wire_list("alpn", &mut ch.values.alpn.iter().map(|s| &s[..]));
                out.uints(
                    "cipher_suites",
                    &mut ch.cipher_suites.iter().map(|&c| c.into()),
                );
                out.texts(
                    "cipher_suite_names",
                    &mut ch.cipher_suites.iter().map(|&c| ch.cipher_name(c).into()),
                );
                out.id_names(
                    "supported_versions",
                    &mut ch.values.supported_versions.iter().map(|&v| version(v)),
                );
                out.uints("groups", &mut nums(&ch.values.groups));
                out.texts(
                    "group_names",
                    &mut ch.values.groups.iter().map(|&g| group_name(g).into()),
                );
                out.uints("key_share_groups", &mut nums(&ch.values.key_share_groups));
                out.uints(
                    "signature_algorithms",
                    &mut nums(&ch.values.signature_algorithms),
                );
                out.uints("extensions", &mut ch.extensions.iter().map(|e| e.id.into()));
                out.text("ja3", Some(ch.ja3().into()));
                out.text("ja3_string", Some(ch.ja3_string().into()));
                out.text("ja4", Some(ch.ja4().into()));
                out.flag("ech", ch.offers_ech());
                if let Some(note) = ch.ech_note() {
                    out.json("ech_note", note.into());
                }
            }
            TlsMessage::ServerHello(sh) => {
                out.kind("tls.server_hello");
                version_field(out, "version", sh.version);
                version_field(out, "legacy_version", sh.legacy_version);
                out.text("cipher_suite", Some(cipher_suite_name(sh.cipher_suite)));
                out.uint("cipher_suite_id", Some(sh.cipher_suite.into()));
                out.text("alpn", sh.alpn_text());
                out.flag("hello_retry_request", sh.hello_retry_request);
                out.uints("key_share_groups", &mut nums(&sh.values.key_share_groups));
                out.uints("extensions", &mut sh.extensions.iter().map(|e| e.id.into()));
                out.text("ja3s", Some(sh.ja3s.clone()));
                out.text("ja3s_string", Some(sh.ja3s_string.clone()));
            }
            TlsMessage::Certificate(c) => {
                out.kind("tls.certificate");
                // The server's own certificate at top level, the whole chain under "chain"
                // (each certificate's fields made once).
                let chain: Vec<Value> = c
                    .certificates
                    .iter()
                    .map(|x| Value::Object(x.json()))
                    .collect();
                if let Some(Value::Object(first)) = chain.first() {
                    for (k, v) in first {
                        out.json_ref(k, v);
                    }
                }
                out.uint("chain_length", Some(c.certificates.len() as u64));
                out.json("chain", Value::Array(chain));
            }
            TlsMessage::ServerKeyExchange(s) => {
                out.kind("tls.server_key_exchange");
                out.json(
                    "curve",
                    s.curve
                        .map(|c| Value::String(group_name(c)))
                        .unwrap_or(Value::Null),
                );
                out.json(
                    "dh_prime_bits",
                    s.dh_prime_bits.map(Value::from).unwrap_or(Value::Null),
                );
            }
            TlsMessage::CertificateRequest(c) => {
                out.kind("tls.certificate_request");
                out.uints("cert_types", &mut c.cert_types.iter().map(|&t| t.into()));
                out.uints("signature_algorithms", &mut nums(&c.signature_algorithms));
                out.json("ca_names", c.ca_names.into());
            }
            TlsMessage::Handshake(h) => {
                out.kind("tls.handshake");
                out.text("name", Some(h.name()));
                out.uint("msg_type", Some(h.msg_type.into()));
                out.uint("length", Some(h.length as u64));
            }
            TlsMessage::ChangeCipherSpec => out.kind("tls.change_cipher_spec"),
            TlsMessage::Alert(a) => {
                out.kind("tls.alert");
                let opt = |v: Option<u8>| v.map(Value::from).unwrap_or(Value::Null);
                out.json(
                    "level",
                    a.level
                        .filter(|_| !a.encrypted)
                        .map(|l| Value::String(alert_level_name(l).1.into()))
                        .unwrap_or(Value::Null),
                );
                out.json("level_id", opt(a.level.filter(|_| !a.encrypted)));
                out.json(
                    "description",
                    a.description
                        .filter(|_| !a.encrypted)
                        .map(|d| Value::String(alert_description_name(d).1.into()))
                        .unwrap_or(Value::Null),
                );
                out.json(
                    "description_id",
                    opt(a.description.filter(|_| !a.encrypted)),
                );
                out.flag("encrypted", a.encrypted);
            }
            TlsMessage::AppData(a) => {
                out.kind("tls.app_data");
                out.uint("len", Some(a.len as u64));
                out.uint("total_records", Some(a.total_records));
                out.uint("total_bytes", Some(a.total_bytes));
            }
            TlsMessage::Heartbeat(h) => {
                out.kind("tls.heartbeat");
                out.json("encrypted", h.encrypted.into());
                out.json(
                    "msg_type",
                    h.msg_type.map(Value::from).unwrap_or(Value::Null),
                );
                out.json(
                    "payload_length",
                    h.payload_length.map(Value::from).unwrap_or(Value::Null),
                );
                out.json("record_length", h.record_length.into());
                out.json("heartbleed", h.heartbleed.into());
            }
            TlsMessage::EncryptedHandshake { len } => {
                out.kind("tls.encrypted_handshake");
                out.uint("len", Some(*len as u64));
            }
            TlsMessage::Note(n) => {
                out.kind("tls.note");
                out.json("text", escape_str(n).into());
            }
            TlsMessage::Summary(s) => {
                out.kind("tls.summary");
                match s.version {
                    Some(v) => version_field(out, "version", v),
                    None => out.id_name("version", None),
                }
                out.json(
                    "cipher_suite",
                    s.cipher_suite
                        .map(|c| Value::String(cipher_suite_name(c)))
                        .unwrap_or(Value::Null),
                );
                out.uint("to_server_records", Some(s.to_server_records));
                out.uint("to_server_bytes", Some(s.to_server_bytes));
                out.uint("to_client_records", Some(s.to_client_records));
                out.uint("to_client_bytes", Some(s.to_client_bytes));
            }
            TlsMessage::Decryption(d) => {
                out.kind("tls.decryption");
                out.json("keys", d.keys.label().into());
                out.json("records_decrypted", d.records_decrypted.into());
                out.json("failures", d.failures.into());
                out.json("app_bytes", d.app_bytes.into());
            }
        };
        if let Some((len, inner)) = self.record.decrypted {
            out.uint("decrypted_len", Some(len as u64));
            out.uint("inner_content_type", Some(inner.into()));
        }
        out.wire("protocol", Some(self.protocol.as_bytes()));
    }
}

/// 16-bit ids (groups, signature algorithms) as the numbers of a list field.
fn nums(v: &[u16]) -> impl Iterator<Item = u64> + '_ {
    v.iter().map(|&x| x.into())
}

impl crate::dissect::parser::AppMessage for TlsEvent {
    fn protocol_name(&self) -> &'static str {
        "tls"
    }
    fn protocol(&self) -> std::borrow::Cow<'_, str> {
        TlsEvent::protocol(self)
    }
    fn info(&self) -> String {
        TlsEvent::info(self)
    }
    fn push_info(&self, out: &mut String) {
        TlsEvent::push_info(self, out)
    }
    fn tree(&self) -> TreeNode {
        TlsEvent::tree(self)
    }
    fn json(&self) -> Map<String, Value> {
        TlsEvent::json(self)
    }
    fn fields(&self, out: &mut dyn Fields) {
        TlsEvent::fields(self, out)
    }
    fn has(&self, name: &str) -> bool {
        match name {
            "tls" => true,
            // A handshake record tshark cannot read (after ChangeCipherSpec) still counts; an
            // SSLv2-format ClientHello is a message type in tshark, not a handshake.
            "tls.handshake" => {
                !self.record.sslv2
                    && (self.handshake_type().is_some()
                        || matches!(self.message, TlsMessage::EncryptedHandshake { .. }))
            }
            "tls.alert" => matches!(self.message, TlsMessage::Alert(_)),
            _ => false,
        }
    }
    fn values(&self, field: &str, out: &mut Vec<crate::dissect::parser::FieldValue>) {
        use crate::dissect::parser::FieldValue;
        let text = |b: &[u8]| FieldValue::Str(String::from_utf8_lossy(b).into_owned());
        let v = match (field, &self.message) {
            ("tls.handshake.type", _) => self.handshake_type().map(|x| FieldValue::Int(x.into())),
            ("tls.sni", TlsMessage::ClientHello(ch)) => ch.values.sni.as_deref().map(text),
            // A note, summary or decryption status is no record (`-V` shows none).
            (
                "tls.record.version" | "tls.record.content_type",
                TlsMessage::Note(_) | TlsMessage::Summary(_) | TlsMessage::Decryption(_),
            ) => None,
            ("tls.record.version", _) => Some(FieldValue::Int(self.record.version.into())),
            ("tls.alert.description", TlsMessage::Alert(a)) => {
                a.description.map(|x| FieldValue::Int(x.into()))
            }
            // The inner type of a decrypted record, as tshark shows it.
            // The inner type of a decrypted record, as tshark shows it; a TLS 1.3 record
            // left encrypted has only an opaque type (`tls.record.opaque_type` in tshark).
            ("tls.record.content_type", _) if !self.record.sslv2 => match self.record.decrypted {
                Some((_, inner)) => Some(FieldValue::Int(inner.into())),
                None if self.protocol == "TLSv1.3" && self.record.content_type == 23 => None,
                None => Some(FieldValue::Int(self.record.content_type.into())),
            },
            (_, TlsMessage::ClientHello(ch)) => {
                hello_values(field, Some(ch), None, out);
                None
            }
            (_, TlsMessage::ServerHello(sh)) => {
                hello_values(field, None, Some(sh), out);
                None
            }
            (_, TlsMessage::Handshake(h)) => {
                if let Some(e) = &h.extensions {
                    extension_values(field, &e.values, &e.list, out);
                }
                None
            }
            _ => None,
        };
        out.extend(v);
    }
    fn is_session_summary(&self) -> bool {
        self.is_summary()
    }
    fn tls(&self) -> Option<&TlsEvent> {
        Some(self)
    }
}

/// The version, cipher suite and extension fields of a ClientHello or ServerHello (in a TLS
/// record or a QUIC CRYPTO frame).
pub fn hello_values(
    field: &str,
    ch: Option<&super::hello::ClientHello>,
    sh: Option<&super::hello::ServerHello>,
    out: &mut Vec<crate::dissect::parser::FieldValue>,
) {
    use crate::dissect::parser::FieldValue;
    let int = |x: u64| FieldValue::Int(x);
    if field == "tls.handshake.version" {
        out.extend(ch.map(|c| int(c.legacy_version.into())));
        out.extend(sh.map(|s| int(s.legacy_version.into())));
        return;
    }
    if field == "tls.handshake.ciphersuite" {
        if let Some(ch) = ch.filter(|c| !c.sslv2) {
            out.extend(ch.cipher_suites.iter().map(|c| int((*c).into())));
        }
        out.extend(sh.map(|s| int(s.cipher_suite.into())));
        return;
    }
    if let Some(c) = ch {
        extension_values(field, &c.values, &c.extensions, out);
    }
    if let Some(s) = sh {
        extension_values(field, &s.values, &s.extensions, out);
    }
}

/// The extension fields of one message's extensions (a hello's, EncryptedExtensions', a
/// NewSessionTicket's).
pub fn extension_values(
    field: &str,
    v: &super::hello::ExtensionValues,
    extensions: &[super::hello::Extension],
    out: &mut Vec<crate::dissect::parser::FieldValue>,
) {
    use crate::dissect::parser::FieldValue;
    let ints = |l: &[u16]| {
        l.iter()
            .map(|x| FieldValue::Int((*x).into()))
            .collect::<Vec<_>>()
    };
    match field {
        "tls.handshake.extension.type" => {
            out.extend(extensions.iter().map(|e| FieldValue::Int(e.id.into())))
        }
        "tls.handshake.extensions_alpn_str" => out.extend(
            v.alpn
                .iter()
                .map(|a| FieldValue::Str(String::from_utf8_lossy(a).into_owned())),
        ),
        "tls.handshake.extensions.supported_version" => out.extend(ints(&v.supported_versions)),
        "tls.handshake.extensions_supported_group" => out.extend(ints(&v.groups)),
        _ => {}
    }
}

impl TlsEvent {
    /// The handshake message type, when the event is a handshake message.
    pub fn handshake_type(&self) -> Option<u8> {
        match &self.message {
            TlsMessage::ClientHello(_) => Some(1),
            TlsMessage::ServerHello(_) => Some(2),
            TlsMessage::Certificate(_) => Some(11),
            TlsMessage::ServerKeyExchange(_) => Some(12),
            TlsMessage::CertificateRequest(_) => Some(13),
            TlsMessage::Handshake(h) => Some(h.msg_type),
            _ => None,
        }
    }
}
