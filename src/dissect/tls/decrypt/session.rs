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
    /// The key log files may still be growing (live capture, or a capture read from a
    /// pipe): a session without keys looks for them again, bounded by
    /// [`MAX_LATE_LOOKUPS`].
    pub live: bool,
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

/// Per session, how many times a record without keys may look for them again in a key log
/// that is still growing (live capture), each a `stat` and, if the file grew, a read.
pub const MAX_LATE_LOOKUPS: u32 = 16;

/// TLS 1.3 keys to try when the ones in use do not open a record.
struct Fallback {
    dec: Box<dyn RecordDecrypter>,
    secret: TrafficSecret,
    /// Application traffic keys (the handshake went by before the keys were found).
    application: bool,
}

#[derive(Default)]
struct Side {
    dec: Option<Box<dyn RecordDecrypter>>,
    /// TLS 1.3: the client's handshake keys when the early-data keys do not open a record
    /// (the server rejected 0-RTT, or early data ended); or, keys found late, the
    /// application keys when the handshake is already over.
    fallback: Option<Fallback>,
    /// TLS 1.3: the traffic secret in use (for KeyUpdate) and the application secret to
    /// switch to after Finished.
    current: Option<TrafficSecret>,
    application: Option<TrafficSecret>,
    /// Protected records seen on this side.
    records: u64,
    /// TLS 1.3: Finished passed with no application secret in the key log yet (live
    /// capture); the records seen by then, so the secret found later starts at the next.
    application_from: Option<u64>,
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
    /// TLS ≤ 1.2: the master secret derived from a pre-master secret (opened with
    /// `--rsa-key`, or given by a key log's `RSA` or `PMS_CLIENT_RANDOM` line).
    derived_master: Option<Resumable>,
    /// TLS ≤ 1.2 resumption: the session id and ticket the client offered, the session id
    /// the server chose, the ticket the server issued, and the master secret in use.
    offered_session_id: Vec<u8>,
    offered_ticket: Option<Vec<u8>>,
    server_session_id: Vec<u8>,
    issued_ticket: Option<Vec<u8>>,
    saw_key_exchange: bool,
    master: Option<Resumable>,
    /// TLS ≤ 1.2: the key block last derived, with the suite and master secret it came
    /// from: it holds both sides' keys, so the second ChangeCipherSpec takes its keys from
    /// it instead of running the PRF again (cleared by a ServerHello: new randoms).
    key_block: Option<(SuiteParams, Vec<u8>, schedule::KeyBlock)>,
    /// Looks for keys after the handshake (live capture), bounded by [`MAX_LATE_LOOKUPS`].
    late_lookups: u32,
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
            if s.is_none() && self.cfg.live && self.cfg.keys.refresh() {
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
                let later = if self.cfg.live && self.cfg.keys.watches_files() {
                    " yet; looked for again as the session goes on"
                } else {
                    ""
                };
                self.notes.push(format!(
                    "TLS decryption: no key for this session (client random {cr} is not in the key log{later})"
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
        self.key_block = None;
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
        self.install13(&s, params);
    }

    /// TLS 1.3: the handshake keys of both sides, and the application keys they switch to
    /// after Finished. A side whose protected records already went by undecrypted (keys
    /// found late) takes the handshake keys at the next sequence number, or the application
    /// keys from the start when its handshake is over.
    fn install13(&mut self, s: &SessionSecrets, params: SuiteParams) {
        let any = [
            &s.client_handshake_traffic,
            &s.server_handshake_traffic,
            &s.client_traffic_0,
            &s.server_traffic_0,
        ];
        if any.iter().all(|v| v.is_none()) {
            self.note_missing();
            return;
        }
        self.keys = s.source.map(KeysUsed::from);
        for (i, side) in self.sides.iter_mut().enumerate() {
            side.install13(i, s, &params);
        }
    }

    /// Whether keys may still be looked for after the handshake: a live capture whose key
    /// files are watched, lookups left.
    fn may_look_late(&self) -> bool {
        self.cfg.live && self.late_lookups < MAX_LATE_LOOKUPS && self.cfg.keys.watches_files()
    }

    /// A protected record found no keys on its side: look again (the key log may have
    /// grown since the handshake, in live capture), bounded per session.
    fn late_keys(&mut self, side: usize) {
        if !self.may_look_late() {
            return;
        }
        let (Some(params), Some(_)) = (self.suite, self.server_random.as_ref()) else {
            return;
        };
        let found = matches!(
            self.keys,
            Some(KeysUsed::KeyLog | KeysUsed::Dsb | KeysUsed::RsaKey)
        );
        let awaits_application = self
            .sides
            .get(side)
            .and_then(|s| s.application_from)
            .is_some();
        // TLS 1.3 with keys found but none for this side: the key log had the other side's
        // secrets only (OpenSSL logs the client's handshake secret just before the client's
        // Finished, often after the server's flight has been read).
        let side_unkeyed = found && !awaits_application && self.tls13;
        if found && !awaits_application && !side_unkeyed
            || !found && !matches!(self.keys, None | Some(KeysUsed::Missing))
        {
            return;
        }
        self.late_lookups += 1;
        // Read what the key log gained (the session may be there with some secrets only).
        self.cfg.keys.refresh();
        self.secrets = None;
        if self.tls13 {
            let Some(s) = self.lookup() else { return };
            if !found {
                self.install13(&s, params);
                return;
            }
            if side_unkeyed {
                if let Some(st) = self.sides.get_mut(side) {
                    st.install13(side, &s, &params);
                }
                return;
            }
            let secret = if side == 0 {
                s.client_traffic_0
            } else {
                s.server_traffic_0
            };
            if let (Some(secret), Some(st)) = (secret, self.sides.get_mut(side)) {
                let t = TrafficSecret::new(params.hash, &secret);
                let from = st.application_from.take().unwrap_or(st.records);
                st.dec = build13(&params, &t).map(|mut d| {
                    d.skip(st.records.saturating_sub(from));
                    d
                });
                st.current = Some(t);
            }
            return;
        }
        let seen = self.sides.get(side).map_or(0, |s| s.records);
        if let Some(r) = self.tls12_master() {
            self.install12(side, params, r, seen);
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
        let logged = self.lookup();
        if logged.as_ref().is_some_and(|s| s.master_secret.is_some()) {
            return;
        }
        // A pre-master secret logged by client random serves any key exchange.
        if let Some((pms, source)) = logged.and_then(|s| Some((s.pre_master?, s.source))) {
            let used = source.map(KeysUsed::from).unwrap_or(KeysUsed::KeyLog);
            self.derive_master(params, pms, used);
            return;
        }
        if !params.rsa_kex {
            if !self.cfg.rsa_keys.is_empty() && self.cfg.keys.is_empty() {
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
        // (In a live capture `lookup` above has just re-read a grown key log.)
        if let Some((pms, source)) = self.cfg.keys.rsa_pre_master(encrypted) {
            self.derive_master(params, pms, KeysUsed::from(source));
            return;
        }
        if self.cfg.rsa_keys.is_empty() {
            return;
        }
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
        self.derive_master(params, pms, KeysUsed::RsaKey);
    }

    /// The master secret from a pre-master secret (RFC 5246 §8.1, or RFC 7627's extended
    /// master secret over the handshake so far).
    fn derive_master(&mut self, params: SuiteParams, pms: Vec<u8>, keys: KeysUsed) {
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
        self.derived_master = Some(Resumable {
            master_secret: master,
            keys,
        });
    }

    /// ChangeCipherSpec from `side` (TLS ≤ 1.2): that side's records are protected from now.
    pub fn change_cipher_spec(&mut self, side: usize) {
        if self.tls13 {
            return;
        }
        let Some(params) = self.suite else { return };
        match self.tls12_master() {
            Some(r) => self.install12(side, params, r, 0),
            None => {
                if self.cfg.rsa_keys.is_empty() || params.rsa_kex {
                    self.note_missing();
                } else if self.cfg.keys.is_empty() {
                    self.forward_secrecy("ephemeral (EC)DHE key exchange");
                } else {
                    self.note_missing();
                }
            }
        }
    }

    /// The TLS ≤ 1.2 master secret: already in use, from the key log, derived from a
    /// pre-master secret (key log or RSA key), or from the session this one resumes.
    fn tls12_master(&mut self) -> Option<Resumable> {
        let from_log = self.lookup().and_then(|s| {
            s.master_secret.map(|m| Resumable {
                master_secret: m,
                keys: s.source.map(KeysUsed::from).unwrap_or(KeysUsed::KeyLog),
            })
        });
        let derived = || self.derived_master.clone();
        self.master
            .clone()
            .or(from_log)
            .or_else(derived)
            .or_else(|| self.resumed_master())
    }

    /// TLS ≤ 1.2: the record keys of `side` from the master secret, past `skip` records that
    /// went by undecrypted.
    fn install12(&mut self, side: usize, params: SuiteParams, r: Resumable, skip: u64) {
        let Resumable {
            master_secret: master,
            keys: used,
        } = r;
        let (Some(cr), Some(sr)) = (self.client_random.as_ref(), self.server_random.as_ref())
        else {
            return;
        };
        let kb = match self.key_block.take() {
            Some((p, m, kb)) if p == params && m == master => kb,
            _ => schedule::key_block(
                params.hash,
                &master,
                cr,
                sr,
                params.mac_key_len(),
                params.key_len,
                params.fixed_iv_len(),
            ),
        };
        let (key, iv, mac) = if side == 0 {
            (&kb.client_key, &kb.client_iv, &kb.client_mac_key)
        } else {
            (&kb.server_key, &kb.server_iv, &kb.server_mac_key)
        };
        if let Some(s) = self.sides.get_mut(side) {
            s.dec = tls12_decrypter(&params, key, iv, mac, self.etm)
                .ok()
                .map(|mut d| {
                    d.skip(skip);
                    d
                });
        }
        self.key_block = Some((params, master.clone(), kb));
        self.keys = Some(used);
        if self.master.is_none() {
            self.master = Some(Resumable {
                master_secret: master,
                keys: used,
            });
            self.remember_session();
        }
    }

    /// A protected record from `side` that [`SessionDecryptor::open`] would not open whatever
    /// its bytes (the side has no key and none can come, or it failed): counted as `open`
    /// counts it, and `true`, so the caller need not copy the bytes out to offer them;
    /// otherwise `false` and nothing changed.
    pub fn pass_unopenable(&mut self, side: usize) -> bool {
        // When no key may come late, `open` looks for none either.
        let late = self.may_look_late();
        let Some(s) = self.sides.get_mut(side) else {
            return true;
        };
        if s.failed || (s.dec.is_none() && !late) {
            s.records = s.records.saturating_add(1);
            return true;
        }
        false
    }

    /// Offer a protected record written by `side`, decrypted in place: when it opens, the
    /// plaintext takes over `body`'s buffer; otherwise `body` is left as it came.
    pub fn open(
        &mut self,
        side: usize,
        content_type: u8,
        version: u16,
        body: &mut Vec<u8>,
    ) -> Opened {
        if self
            .sides
            .get(side)
            .is_some_and(|s| s.dec.is_none() && !s.failed)
        {
            self.late_keys(side);
        }
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
        // A record a TLS 1.3 fallback key may open is kept until the first key has been
        // tried (a record the first key opens but finds without content type is changed).
        let original = s.fallback.is_some().then(|| body.clone());
        let mut result = dec.decrypt(content_type, version, body);
        if result.is_err() {
            if let (Some(fb), Some(original)) = (s.fallback.take(), original) {
                *body = original;
                s.take_fallback(fb);
                if let Some(dec) = s.dec.as_mut() {
                    result = dec.decrypt(content_type, version, body);
                }
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
                    s.take_fallback(fb);
                }
            }
            HS_FINISHED => {
                s.fallback = None;
                if let Some(app) = s.application.take() {
                    s.dec = build13(&params, &app);
                    s.current = Some(app);
                } else {
                    // Not in the key log (yet): looked for again at the next record.
                    s.dec = None;
                    s.application_from = Some(s.records);
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

impl Side {
    /// TLS 1.3: this side's (`i`: 0 client, 1 server) handshake keys from `s`, and the
    /// application keys it switches to after Finished. When its protected records already
    /// went by undecrypted (keys found late), the handshake keys start at the next sequence
    /// number, or the application keys from the start when its handshake is over.
    fn install13(&mut self, i: usize, s: &SessionSecrets, params: &SuiteParams) {
        let secret = |v: &Option<Vec<u8>>| v.as_ref().map(|v| TrafficSecret::new(params.hash, v));
        let (handshake, application) = if i == 0 {
            (
                secret(&s.client_handshake_traffic),
                secret(&s.client_traffic_0),
            )
        } else {
            (
                secret(&s.server_handshake_traffic),
                secret(&s.server_traffic_0),
            )
        };
        self.application = application.clone();
        if self.dec.is_none() && self.records > 0 {
            let seen = self.records;
            let app_keys = application.and_then(|a| {
                Some(Fallback {
                    dec: build13(params, &a)?,
                    secret: a,
                    application: true,
                })
            });
            let hs_keys = handshake.and_then(|h| {
                let mut d = build13(params, &h)?;
                d.skip(seen);
                Some((d, h))
            });
            match (hs_keys, app_keys) {
                (Some((d, h)), fb) => {
                    self.dec = Some(d);
                    self.current = Some(h);
                    self.fallback = fb;
                }
                (None, Some(fb)) => self.take_fallback(fb),
                (None, None) => {}
            }
            return;
        }
        let Some(t) = handshake else {
            return;
        };
        let Some(dec) = build13(params, &t) else {
            return;
        };
        if i == 0 && self.dec.is_some() {
            // 0-RTT keys in use: the handshake keys take over after EndOfEarlyData, or
            // at once if the server rejected early data.
            self.fallback = Some(Fallback {
                dec,
                secret: t,
                application: false,
            });
        } else {
            self.dec = Some(dec);
            self.current = Some(t);
        }
    }

    /// Switch to the fallback keys.
    fn take_fallback(&mut self, fb: Fallback) {
        self.dec = Some(fb.dec);
        self.current = Some(fb.secret);
        if fb.application {
            self.application = None;
        }
    }
}

fn build13(params: &SuiteParams, secret: &TrafficSecret) -> Option<Box<dyn RecordDecrypter>> {
    let keys = secret.keys(params.key_len, params.fixed_iv_len())?;
    tls13_decrypter(params, &keys).ok()
}
