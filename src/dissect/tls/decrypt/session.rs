//! The decryption state of one TLS session: which keys it found (key log, pcapng secrets,
//! RSA private key), the decrypter of each side, the TLS 1.3 key schedule steps
//! (handshake → application traffic, KeyUpdate, 0-RTT), and what it achieved.

use std::sync::Arc;

use rsa::pkcs1::DecodeRsaPrivateKey;
use rsa::pkcs8::DecodePrivateKey;
use rsa::{Pkcs1v15Encrypt, RsaPrivateKey};

use super::keylog::{KeySource, KeyStore, SessionSecrets};
use super::record::{tls12_decrypter, tls13_decrypter, Plaintext, RecordDecrypter};
use super::resume::{Resumable, SessionCache};
use super::schedule::{self, TrafficSecret};
use super::suite::{suite_params, SuiteParams};

/// Largest handshake transcript kept for the extended master secret's session hash.
const MAX_TRANSCRIPT: usize = 1 << 20;

/// TLS extension numbers decryption cares about.
const EXT_ENCRYPT_THEN_MAC: u16 = 22;
const EXT_EXTENDED_MASTER_SECRET: u16 = 23;
const EXT_EARLY_DATA: u16 = 42;

/// Handshake message types decryption reacts to.
const HS_NEW_SESSION_TICKET: u8 = 4;
const HS_END_OF_EARLY_DATA: u8 = 5;
const HS_CLIENT_KEY_EXCHANGE: u8 = 16;
const HS_FINISHED: u8 = 20;
const HS_KEY_UPDATE: u8 = 24;

/// A server's RSA private key (`--rsa-key`).
#[derive(Clone)]
pub struct RsaKey {
    pub name: String,
    key: Arc<RsaPrivateKey>,
}

impl std::fmt::Debug for RsaKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "RsaKey({})", self.name)
    }
}

/// An `--rsa-key` file that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum RsaKeyError {
    #[error("cannot read RSA key {0}: {1}")]
    Unreadable(String, #[source] std::io::Error),
    #[error(
        "{0}: not an RSA private key in PEM (PKCS#1 \"RSA PRIVATE KEY\" or PKCS#8 \"PRIVATE KEY\")"
    )]
    NotRsa(String),
}

impl RsaKey {
    /// Read a PEM RSA private key, PKCS#1 or PKCS#8.
    pub fn load(path: &std::path::Path) -> Result<RsaKey, RsaKeyError> {
        let name = path.display().to_string();
        let text =
            std::fs::read_to_string(path).map_err(|e| RsaKeyError::Unreadable(name.clone(), e))?;
        Self::from_pem(&name, &text)
    }

    pub fn from_pem(name: &str, text: &str) -> Result<RsaKey, RsaKeyError> {
        let key = RsaPrivateKey::from_pkcs1_pem(text)
            .or_else(|_| RsaPrivateKey::from_pkcs8_pem(text))
            .map_err(|_| RsaKeyError::NotRsa(name.to_string()))?;
        Ok(RsaKey {
            name: name.to_string(),
            key: Arc::new(key),
        })
    }

    /// The premaster secret inside an RSA-encrypted ClientKeyExchange, if this key opens it.
    fn premaster(&self, encrypted: &[u8]) -> Option<Vec<u8>> {
        self.key
            .decrypt(Pkcs1v15Encrypt, encrypted)
            .ok()
            .filter(|p| p.len() == 48)
    }
}

/// The keys a run decrypts with, shared by every session.
#[derive(Debug, Clone, Default)]
pub struct DecryptConfig {
    pub keys: Arc<KeyStore>,
    pub rsa_keys: Vec<RsaKey>,
    /// Some key source was given or found (a missing key is then worth a note).
    pub expected: bool,
    /// Session ids and tickets of the TLS ≤ 1.2 sessions decrypted so far (resumption).
    pub sessions: Arc<SessionCache>,
}

/// What opened (or failed to open) a session, for the `tls.decryption` record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeysUsed {
    KeyLog,
    Dsb,
    RsaKey,
    Missing,
    /// Only an RSA key was available and the key exchange is (EC)DHE or TLS 1.3.
    ForwardSecrecy,
}

impl KeysUsed {
    pub fn label(self) -> &'static str {
        match self {
            KeysUsed::KeyLog => "key_log",
            KeysUsed::Dsb => "dsb",
            KeysUsed::RsaKey => "rsa_key",
            KeysUsed::Missing => "missing",
            KeysUsed::ForwardSecrecy => "forward_secrecy",
        }
    }
}

impl From<KeySource> for KeysUsed {
    fn from(s: KeySource) -> Self {
        match s {
            KeySource::KeyLog => KeysUsed::KeyLog,
            KeySource::Dsb => KeysUsed::Dsb,
        }
    }
}

/// What decrypting a session achieved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DecryptionStatus {
    pub keys: KeysUsed,
    pub records_decrypted: u64,
    pub failures: u64,
    /// Plaintext bytes of application data.
    pub app_bytes: u64,
}

/// The result of offering a protected record to the session.
pub enum Opened {
    Plain(Plaintext),
    /// No key for this side (yet): the record stays opaque.
    NoKey,
    /// The record did not decrypt; the text says why (reported once per side).
    Failed(String),
}

#[derive(Default)]
struct Side {
    dec: Option<Box<dyn RecordDecrypter>>,
    /// TLS 1.3 client: handshake keys to try when the early-data keys do not open a record
    /// (the server rejected 0-RTT, or early data ended).
    fallback: Option<Box<dyn RecordDecrypter>>,
    /// TLS 1.3: the traffic secret in use (for KeyUpdate) and the application secret to
    /// switch to after Finished.
    current: Option<TrafficSecret>,
    application: Option<TrafficSecret>,
    /// Protected records seen on this side.
    records: u64,
    failed: bool,
}

/// What decryption takes from a ClientHello.
#[derive(Debug, Clone, Copy)]
pub struct ClientHelloKeys<'a> {
    pub random: &'a [u8],
    pub session_id: &'a [u8],
    /// The SessionTicket extension's ticket (empty or absent: none offered).
    pub ticket: Option<&'a [u8]>,
    pub extensions: &'a [u16],
    pub suites: &'a [u32],
}

/// What decryption takes from a ServerHello.
#[derive(Debug, Clone, Copy)]
pub struct ServerHelloKeys<'a> {
    pub random: &'a [u8],
    pub session_id: &'a [u8],
    pub version: u16,
    pub suite: u16,
    pub extensions: &'a [u16],
}

/// One session's decryption. Side 0 is what the client writes, side 1 the server.
#[derive(Default)]
pub struct SessionDecryptor {
    cfg: DecryptConfig,
    client_random: Option<Vec<u8>>,
    server_random: Option<Vec<u8>>,
    suite: Option<SuiteParams>,
    tls13: bool,
    ems: bool,
    etm: bool,
    early_offered: bool,
    first_tls13_suite: Option<u16>,
    transcript: Vec<u8>,
    transcript_overflow: bool,
    secrets: Option<SessionSecrets>,
    rsa_master: Option<Vec<u8>>,
    /// TLS ≤ 1.2 resumption: the session id and ticket the client offered, the session id
    /// the server chose, the ticket the server issued, and the master secret in use.
    offered_session_id: Vec<u8>,
    offered_ticket: Option<Vec<u8>>,
    server_session_id: Vec<u8>,
    issued_ticket: Option<Vec<u8>>,
    saw_key_exchange: bool,
    master: Option<Resumable>,
    keys: Option<KeysUsed>,
    sides: [Side; 2],
    records_decrypted: u64,
    failures: u64,
    app_bytes: u64,
    /// Notes for the user (one clear line each), taken by the stream dissector.
    pub notes: Vec<String>,
}

impl SessionDecryptor {
    pub fn new(cfg: DecryptConfig) -> Self {
        SessionDecryptor {
            cfg,
            ..SessionDecryptor::default()
        }
    }

    /// Whether the run has any key source (a session's outcome is then worth reporting).
    pub fn active(&self) -> bool {
        self.cfg.expected || !self.cfg.keys.is_empty() || !self.cfg.rsa_keys.is_empty()
    }

    pub fn status(&self) -> DecryptionStatus {
        DecryptionStatus {
            keys: self.keys.unwrap_or(KeysUsed::Missing),
            records_decrypted: self.records_decrypted,
            failures: self.failures,
            app_bytes: self.app_bytes,
        }
    }

    /// Application bytes decrypted (the caller counts them as it hands them on).
    pub fn count_app_bytes(&mut self, n: usize) {
        self.app_bytes = self.app_bytes.saturating_add(n as u64);
    }

    fn lookup(&mut self) -> Option<SessionSecrets> {
        if self.secrets.is_none() {
            let cr = self.client_random.clone()?;
            let mut s = self.cfg.keys.get(&cr);
            if s.is_none() && self.cfg.keys.refresh() {
                s = self.cfg.keys.get(&cr);
            }
            self.secrets = s;
        }
        self.secrets.clone()
    }

    fn note_missing(&mut self) {
        if self.keys.is_none() {
            self.keys = Some(KeysUsed::Missing);
            if self.active() {
                let cr = self
                    .client_random
                    .as_deref()
                    .map(hex::encode)
                    .unwrap_or_default();
                self.notes.push(format!(
                    "TLS decryption: no key for this session (client random {cr} is not in the key log)"
                ));
            }
        }
    }

    /// A ClientHello: its random names the session in the key log; the session id and
    /// ticket it offers name a TLS ≤ 1.2 session it may resume.
    pub fn client_hello(&mut self, hello: &ClientHelloKeys<'_>) {
        if self.client_random.is_some() {
            // The second ClientHello after a HelloRetryRequest has the same random.
            return;
        }
        let ClientHelloKeys {
            random,
            session_id,
            ticket,
            extensions,
            suites,
        } = *hello;
        self.client_random = Some(random.to_vec());
        self.offered_session_id = session_id.to_vec();
        self.offered_ticket = ticket.map(<[u8]>::to_vec);
        self.early_offered = extensions.contains(&EXT_EARLY_DATA);
        self.first_tls13_suite = suites
            .iter()
            .filter_map(|&s| u16::try_from(s).ok())
            .find(|&s| suite_params(s).is_some_and(|p| p.tls13));
        if self.early_offered {
            if let (Some(s), Some(id)) = (self.lookup(), self.first_tls13_suite) {
                if let (Some(secret), Some(suite)) = (s.client_early_traffic, suite_params(id)) {
                    let t = TrafficSecret::new(suite.hash, &secret);
                    if let Some(side) = self.sides.get_mut(0) {
                        side.dec = build13(&suite, &t);
                        side.current = Some(t);
                    }
                    self.keys = s.source.map(KeysUsed::from);
                }
            }
        }
    }

    /// A ServerHello (not a HelloRetryRequest). TLS 1.3 switches both sides to the
    /// handshake traffic keys here.
    pub fn server_hello(&mut self, hello: &ServerHelloKeys<'_>) {
        let ServerHelloKeys {
            random,
            session_id,
            version,
            suite,
            extensions,
        } = *hello;
        self.server_random = Some(random.to_vec());
        self.server_session_id = session_id.to_vec();
        self.tls13 = version == 0x0304 || version & 0xff00 == 0x7f00;
        self.ems = extensions.contains(&EXT_EXTENDED_MASTER_SECRET);
        self.etm = extensions.contains(&EXT_ENCRYPT_THEN_MAC);
        self.suite = suite_params(suite);
        let Some(params) = self.suite else {
            if self.active() {
                self.notes.push(format!(
                    "TLS decryption: cipher suite 0x{suite:04x} is not supported for decryption"
                ));
            }
            self.keys = Some(KeysUsed::Missing);
            return;
        };
        if !self.tls13 {
            return;
        }
        let Some(s) = self.lookup() else {
            if !self.cfg.rsa_keys.is_empty() && self.cfg.keys.is_empty() {
                self.forward_secrecy("TLS 1.3");
            } else {
                self.note_missing();
            }
            return;
        };
        let hs = [
            s.client_handshake_traffic.clone(),
            s.server_handshake_traffic.clone(),
        ];
        let app = [s.client_traffic_0.clone(), s.server_traffic_0.clone()];
        if hs.iter().chain(app.iter()).all(Option::is_none) {
            self.note_missing();
            return;
        }
        self.keys = s.source.map(KeysUsed::from);
        for (i, side) in self.sides.iter_mut().enumerate() {
            side.application = app
                .get(i)
                .cloned()
                .flatten()
                .map(|a| TrafficSecret::new(params.hash, &a));
            let Some(secret) = hs.get(i).cloned().flatten() else {
                continue;
            };
            let t = TrafficSecret::new(params.hash, &secret);
            let dec = build13(&params, &t);
            if i == 0 && side.dec.is_some() {
                // 0-RTT keys in use: the handshake keys take over after EndOfEarlyData, or
                // at once if the server rejected early data.
                side.fallback = dec;
            } else {
                side.dec = dec;
            }
            side.current = Some(t);
        }
    }

    fn forward_secrecy(&mut self, why: &str) {
        if self.keys.is_none() {
            self.keys = Some(KeysUsed::ForwardSecrecy);
            self.notes.push(format!(
                "TLS decryption: forward secrecy ({why}) — the server's private key cannot decrypt this session"
            ));
        }
    }

    /// A plaintext handshake message (header included), in protocol order: kept for the
    /// session hash, and the RSA ClientKeyExchange is opened with `--rsa-key`.
    pub fn handshake_plain(&mut self, msg: &[u8]) {
        if self.transcript.len() + msg.len() <= MAX_TRANSCRIPT {
            self.transcript.extend_from_slice(msg);
        } else {
            self.transcript_overflow = true;
        }
        if self.tls13 {
            return;
        }
        match msg.first() {
            Some(&HS_CLIENT_KEY_EXCHANGE) => {
                self.saw_key_exchange = true;
                self.client_key_exchange(msg.get(4..).unwrap_or_default());
            }
            Some(&HS_NEW_SESSION_TICKET) => {
                // Lifetime hint (4), ticket length (2), ticket.
                self.issued_ticket = msg.get(10..).map(<[u8]>::to_vec);
                self.remember_session();
            }
            _ => {}
        }
    }

    /// Remember this session's id and ticket with its master secret, for later resumptions.
    fn remember_session(&mut self) {
        let Some(m) = &self.master else { return };
        if !self
            .cfg
            .sessions
            .remember(&self.server_session_id, self.issued_ticket.as_deref(), m)
        {
            self.notes.push(format!(
                "TLS decryption: {} resumable sessions remembered (the bound); this one cannot be found when resumed",
                super::resume::MAX_RESUMABLE
            ));
        }
    }

    /// The master secret of an abbreviated handshake (no key exchange before the first
    /// ChangeCipherSpec), from the session it resumes: by the offered ticket, or by the
    /// session id when the server echoed the one the client offered.
    fn resumed_master(&self) -> Option<Resumable> {
        if self.saw_key_exchange {
            return None;
        }
        let id = if !self.offered_session_id.is_empty()
            && self.offered_session_id == self.server_session_id
        {
            self.offered_session_id.as_slice()
        } else {
            &[]
        };
        self.cfg.sessions.find(id, self.offered_ticket.as_deref())
    }

    fn client_key_exchange(&mut self, body: &[u8]) {
        let Some(params) = self.suite else { return };
        if self.cfg.rsa_keys.is_empty() || self.lookup().is_some_and(|s| s.master_secret.is_some())
        {
            return;
        }
        if !params.rsa_kex {
            if self.cfg.keys.is_empty() {
                self.forward_secrecy("ephemeral (EC)DHE key exchange");
            }
            return;
        }
        let encrypted = match body.get(..2) {
            Some([a, b]) if usize::from(u16::from_be_bytes([*a, *b])) + 2 == body.len() => {
                body.get(2..).unwrap_or_default()
            }
            _ => body,
        };
        let Some(pms) = self
            .cfg
            .rsa_keys
            .iter()
            .find_map(|k| k.premaster(encrypted))
        else {
            let names: Vec<&str> = self.cfg.rsa_keys.iter().map(|k| k.name.as_str()).collect();
            self.notes.push(format!(
                "TLS decryption: the RSA key {} does not match this server's certificate (the ClientKeyExchange does not open)",
                names.join(", ")
            ));
            self.keys = Some(KeysUsed::Missing);
            return;
        };
        let (Some(cr), Some(sr)) = (self.client_random.as_deref(), self.server_random.as_deref())
        else {
            return;
        };
        let master = if self.ems {
            if self.transcript_overflow {
                self.notes.push(
                    "TLS decryption: handshake too large to compute the extended master secret"
                        .into(),
                );
                return;
            }
            let hash = params.hash.digest(&self.transcript);
            schedule::extended_master_secret(params.hash, &pms, &hash)
        } else {
            schedule::master_secret(params.hash, &pms, cr, sr)
        };
        self.rsa_master = Some(master);
    }

    /// ChangeCipherSpec from `side` (TLS ≤ 1.2): that side's records are protected from now.
    pub fn change_cipher_spec(&mut self, side: usize) {
        if self.tls13 {
            return;
        }
        let Some(params) = self.suite else { return };
        let from_log = self.lookup().and_then(|s| {
            s.master_secret.map(|m| Resumable {
                master_secret: m,
                keys: s.source.map(KeysUsed::from).unwrap_or(KeysUsed::KeyLog),
            })
        });
        let from_rsa = || {
            self.rsa_master.clone().map(|m| Resumable {
                master_secret: m,
                keys: KeysUsed::RsaKey,
            })
        };
        let found = self
            .master
            .clone()
            .or(from_log)
            .or_else(from_rsa)
            .or_else(|| self.resumed_master());
        let Resumable {
            master_secret: master,
            keys: used,
        } = match found {
            Some(r) => r,
            None => {
                if self.cfg.rsa_keys.is_empty() || params.rsa_kex {
                    self.note_missing();
                } else if self.cfg.keys.is_empty() {
                    self.forward_secrecy("ephemeral (EC)DHE key exchange");
                } else {
                    self.note_missing();
                }
                return;
            }
        };
        let (Some(cr), Some(sr)) = (self.client_random.clone(), self.server_random.clone()) else {
            return;
        };
        let kb = schedule::key_block(
            params.hash,
            &master,
            &cr,
            &sr,
            params.mac_key_len(),
            params.key_len,
            params.fixed_iv_len(),
        );
        let (key, iv, mac) = if side == 0 {
            (&kb.client_key, &kb.client_iv, &kb.client_mac_key)
        } else {
            (&kb.server_key, &kb.server_iv, &kb.server_mac_key)
        };
        if let Some(s) = self.sides.get_mut(side) {
            s.dec = tls12_decrypter(&params, key, iv, mac, self.etm).ok();
        }
        self.keys = Some(used);
        if self.master.is_none() {
            self.master = Some(Resumable {
                master_secret: master,
                keys: used,
            });
            self.remember_session();
        }
    }

    /// Offer a protected record written by `side`.
    pub fn open(&mut self, side: usize, content_type: u8, version: u16, body: &[u8]) -> Opened {
        let Some(s) = self.sides.get_mut(side) else {
            return Opened::NoKey;
        };
        s.records = s.records.saturating_add(1);
        let n = s.records;
        if s.failed {
            return Opened::NoKey;
        }
        let Some(dec) = s.dec.as_mut() else {
            return Opened::NoKey;
        };
        let mut result = dec.decrypt(content_type, version, body);
        if result.is_err() {
            if let Some(mut fb) = s.fallback.take() {
                result = fb.decrypt(content_type, version, body);
                s.dec = Some(fb);
            }
        }
        match result {
            Ok(p) => {
                self.records_decrypted = self.records_decrypted.saturating_add(1);
                Opened::Plain(p)
            }
            Err(e) => {
                s.failed = true;
                self.failures = self.failures.saturating_add(1);
                let who = if side == 0 { "client" } else { "server" };
                Opened::Failed(format!(
                    "TLS decryption failed ({e}) from {who} record {n}: wrong or stale key; the rest of this direction is left encrypted"
                ))
            }
        }
    }

    /// A decrypted handshake message of type `t` from `side` (TLS 1.3 key changes).
    pub fn handshake_decrypted(&mut self, side: usize, t: u8) {
        if !self.tls13 {
            return;
        }
        let Some(params) = self.suite else { return };
        let Some(s) = self.sides.get_mut(side) else {
            return;
        };
        match t {
            HS_END_OF_EARLY_DATA => {
                if let Some(fb) = s.fallback.take() {
                    s.dec = Some(fb);
                }
            }
            HS_FINISHED => {
                s.fallback = None;
                if let Some(app) = s.application.take() {
                    s.dec = build13(&params, &app);
                    s.current = Some(app);
                } else {
                    s.dec = None;
                }
            }
            HS_KEY_UPDATE => {
                let next = s.current.as_ref().and_then(TrafficSecret::next);
                s.dec = next.as_ref().and_then(|n| build13(&params, n));
                s.current = next;
            }
            _ => {}
        }
    }

    /// TLS 1.3 negotiated (by the ServerHello).
    pub fn is_tls13(&self) -> bool {
        self.tls13
    }
}

fn build13(params: &SuiteParams, secret: &TrafficSecret) -> Option<Box<dyn RecordDecrypter>> {
    let keys = secret.keys(params.key_len, params.fixed_iv_len())?;
    tls13_decrypter(params, &keys).ok()
}
