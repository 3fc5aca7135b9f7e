//! NSS key log files (`SSLKEYLOGFILE`) and the key store shared by every TLS and QUIC
//! session of a run.
//!
//! A line is `LABEL <client random hex> <secret hex>`. `CLIENT_RANDOM` carries a TLS ≤ 1.2
//! master secret and `PMS_CLIENT_RANDOM` a pre-master secret; the `*_TRAFFIC_SECRET*` labels
//! carry TLS 1.3 (and QUIC) traffic secrets. NSS's `RSA` line names a static-RSA session by
//! the first 8 bytes of its encrypted pre-master secret instead of the client random, and
//! gives the pre-master secret. Comments (`#`) and blank lines are skipped, other labels
//! (`EXPORTER_SECRET`, ...) are counted and ignored, and a malformed line is reported with
//! its number while the rest of the file is still used.

use std::collections::HashMap;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::RwLock;

/// The 32-byte ClientHello random that names a session in a key log.
pub type ClientRandom = [u8; 32];

/// The first 8 bytes of an RSA-encrypted pre-master secret: what NSS's `RSA` line names a
/// session by.
pub type EncryptedPrefix = [u8; 8];

/// Length of the pre-master secret an `RSA` line gives: the RSA key exchange's is 48 bytes
/// (RFC 5246 §7.4.7.1). (`PMS_CLIENT_RANDOM` lines, for any key exchange, take 1..64 bytes.)
const RSA_PMS_LEN: usize = 48;

/// Largest key log read (all files together, re-reads included).
pub const MAX_KEYLOG_BYTES: u64 = 64 << 20;
/// Largest number of sessions kept.
pub const MAX_SESSIONS: usize = 1 << 20;
/// Re-reads of grown key log files (live capture) in one run (a `stat` that finds no growth
/// is not counted).
pub const MAX_REREADS: u32 = 10_000;

/// Where a session's secrets came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum KeySource {
    /// A `--keylog` file.
    KeyLog,
    /// A pcapng Decryption Secrets Block inside the capture.
    Dsb,
}

impl KeySource {
    pub fn label(self) -> &'static str {
        match self {
            KeySource::KeyLog => "key_log",
            KeySource::Dsb => "dsb",
        }
    }
}

/// Secrets known for one client random. TLS 1.3 secrets are the traffic secrets of the
/// key schedule (RFC 8446 §7.1); `master_secret` is the TLS ≤ 1.2 master secret.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SessionSecrets {
    pub master_secret: Option<Vec<u8>>,
    /// A TLS ≤ 1.2 pre-master secret (`PMS_CLIENT_RANDOM`), for a session whose master
    /// secret is not logged.
    pub pre_master: Option<Vec<u8>>,
    pub client_early_traffic: Option<Vec<u8>>,
    pub client_handshake_traffic: Option<Vec<u8>>,
    pub server_handshake_traffic: Option<Vec<u8>>,
    pub client_traffic_0: Option<Vec<u8>>,
    pub server_traffic_0: Option<Vec<u8>>,
    pub source: Option<KeySource>,
}

/// The labels this key store understands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Label {
    ClientRandom,
    PreMaster,
    Rsa,
    ClientEarly,
    ClientHandshake,
    ServerHandshake,
    ClientTraffic0,
    ServerTraffic0,
}

fn label(name: &str) -> Option<Label> {
    Some(match name {
        "CLIENT_RANDOM" => Label::ClientRandom,
        "PMS_CLIENT_RANDOM" => Label::PreMaster,
        "RSA" => Label::Rsa,
        "CLIENT_EARLY_TRAFFIC_SECRET" => Label::ClientEarly,
        "CLIENT_HANDSHAKE_TRAFFIC_SECRET" => Label::ClientHandshake,
        "SERVER_HANDSHAKE_TRAFFIC_SECRET" => Label::ServerHandshake,
        "CLIENT_TRAFFIC_SECRET_0" => Label::ClientTraffic0,
        "SERVER_TRAFFIC_SECRET_0" => Label::ServerTraffic0,
        _ => return None,
    })
}

/// A malformed key log line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadLine {
    /// 1-based line number.
    pub line: usize,
    pub reason: &'static str,
}

/// What reading a key log found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LoadReport {
    /// Lines with a known label that were stored.
    pub secrets: usize,
    /// Lines with a well-formed but unknown label (`EXPORTER_SECRET`, ...).
    pub unknown_labels: usize,
    pub malformed: Vec<BadLine>,
    /// The bound on key log bytes or sessions was hit.
    pub truncated: bool,
}

impl LoadReport {
    /// Nothing in it looks like a key log (no usable or known-form line, some bad lines).
    pub fn not_a_key_log(&self) -> bool {
        self.secrets == 0 && self.unknown_labels == 0 && !self.malformed.is_empty()
    }

    /// One line per problem, for the user (`FILE: ...`).
    pub fn problems(&self, name: &str) -> Vec<String> {
        if self.not_a_key_log() {
            return vec![format!(
                "{name}: not an NSS key log (no CLIENT_RANDOM or *_TRAFFIC_SECRET lines); ignored"
            )];
        }
        let mut out: Vec<String> = self
            .malformed
            .iter()
            .take(10)
            .map(|b| {
                format!(
                    "{name}:{}: malformed key log line ({}); skipped",
                    b.line, b.reason
                )
            })
            .collect();
        if self.malformed.len() > 10 {
            out.push(format!(
                "{name}: {} more malformed key log lines skipped",
                self.malformed.len() - 10
            ));
        }
        if self.truncated {
            out.push(format!(
                "{name}: key log bound reached ({MAX_KEYLOG_BYTES} bytes or {MAX_SESSIONS} sessions); the rest ignored"
            ));
        }
        out
    }
}

/// A key log file could not be read.
#[derive(Debug, thiserror::Error)]
#[error("cannot read key log {path}: {source}")]
pub struct KeyLogError {
    pub path: PathBuf,
    #[source]
    pub source: std::io::Error,
}

#[derive(Debug)]
struct WatchedFile {
    path: PathBuf,
    /// Bytes consumed (complete lines only).
    consumed: u64,
    /// Lines consumed (for line numbers of later reads).
    lines: usize,
}

#[derive(Debug, Default)]
struct Inner {
    sessions: HashMap<ClientRandom, SessionSecrets>,
    /// NSS `RSA` lines: pre-master secrets by the first bytes of their encryption.
    rsa: HashMap<EncryptedPrefix, (Vec<u8>, KeySource)>,
    files: Vec<WatchedFile>,
    bytes_read: u64,
    rereads: u32,
}

impl Inner {
    /// Sessions named so far, by client random or by encrypted pre-master (one bound).
    fn count(&self) -> usize {
        self.sessions.len() + self.rsa.len()
    }
}

/// Secrets by client random, shared read-mostly by every session of a run (`Arc<KeyStore>`).
/// Files given with [`KeyStore::load_file`] can be re-read with [`KeyStore::refresh`] while a
/// live capture runs (the key log may still be growing).
#[derive(Debug, Default)]
pub struct KeyStore {
    inner: RwLock<Inner>,
}

/// Decode the hex text `s` into `out`, which it must fill exactly (two digits a byte),
/// without allocating: a key log holds some 10,000 secrets.
fn hex_into(s: &[u8], out: &mut [u8]) -> bool {
    hex::decode_to_slice(s, out).is_ok()
}

/// The key log's lines: the bytes between newlines, and the (possibly empty) rest after
/// the last one, as `split` on `\n` gives them.
fn lines(text: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut rest = Some(text);
    std::iter::from_fn(move || {
        let t = rest?;
        match memchr::memchr(b'\n', t) {
            Some(i) => {
                rest = t.get(i + 1..);
                t.get(..i)
            }
            None => {
                rest = None;
                Some(t)
            }
        }
    })
}

impl KeyStore {
    pub fn new() -> Self {
        KeyStore::default()
    }

    /// Whether key log files are watched (so [`KeyStore::refresh`] may find more).
    pub fn watches_files(&self) -> bool {
        self.inner.read().is_ok_and(|i| !i.files.is_empty())
    }

    /// Sessions with at least one secret (by client random or by encrypted pre-master).
    pub fn len(&self) -> usize {
        self.inner.read().map(|i| i.count()).unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The secrets known for `client_random`.
    pub fn get(&self, client_random: &[u8]) -> Option<SessionSecrets> {
        let cr: ClientRandom = client_random.try_into().ok()?;
        self.inner.read().ok()?.sessions.get(&cr).cloned()
    }

    /// The pre-master secret an `RSA` line gives for the RSA-encrypted pre-master secret
    /// `encrypted` (named by its first 8 bytes), and where it came from.
    pub fn rsa_pre_master(&self, encrypted: &[u8]) -> Option<(Vec<u8>, KeySource)> {
        let prefix: EncryptedPrefix = encrypted.get(..8)?.try_into().ok()?;
        self.inner.read().ok()?.rsa.get(&prefix).cloned()
    }

    /// Add the lines of a key log text (e.g. a Decryption Secrets Block); `first_line` numbers
    /// the first line for reports.
    pub fn add_text(&self, text: &[u8], source: KeySource) -> LoadReport {
        let Ok(mut inner) = self.inner.write() else {
            return LoadReport::default();
        };
        let mut report = LoadReport::default();
        add_lines(&mut inner, text, 0, source, &mut report);
        report
    }

    /// Read a key log file and remember it for [`KeyStore::refresh`].
    pub fn load_file(&self, path: &Path) -> Result<LoadReport, KeyLogError> {
        let err = |source| KeyLogError {
            path: path.to_path_buf(),
            source,
        };
        let mut file = std::fs::File::open(path).map_err(err)?;
        let mut report = LoadReport::default();
        let Ok(mut inner) = self.inner.write() else {
            return Ok(report);
        };
        let room = MAX_KEYLOG_BYTES.saturating_sub(inner.bytes_read);
        let mut text = Vec::new();
        (&mut file).take(room).read_to_end(&mut text).map_err(err)?;
        let consumed = complete_lines(&text, &mut report, room, true);
        inner.bytes_read = inner.bytes_read.saturating_add(consumed as u64);
        let lines = add_lines(
            &mut inner,
            text.get(..consumed).unwrap_or_default(),
            0,
            KeySource::KeyLog,
            &mut report,
        );
        inner.files.push(WatchedFile {
            path: path.to_path_buf(),
            consumed: consumed as u64,
            lines,
        });
        Ok(report)
    }

    /// Read what was appended to the key log files since the last read (live capture:
    /// `SSLKEYLOGFILE` is written while we capture). Bounded by [`MAX_REREADS`] and
    /// [`MAX_KEYLOG_BYTES`]. Returns whether new secrets were added.
    pub fn refresh(&self) -> bool {
        let Ok(mut inner) = self.inner.write() else {
            return false;
        };
        if inner.files.is_empty() || inner.rereads >= MAX_REREADS {
            return false;
        }
        let before = inner.count();
        let mut added = 0;
        let mut files = std::mem::take(&mut inner.files);
        for f in &mut files {
            let Ok(meta) = std::fs::metadata(&f.path) else {
                continue;
            };
            if meta.len() <= f.consumed || inner.rereads >= MAX_REREADS {
                continue;
            }
            inner.rereads += 1;
            let Ok(mut file) = std::fs::File::open(&f.path) else {
                continue;
            };
            if file.seek(SeekFrom::Start(f.consumed)).is_err() {
                continue;
            }
            let room = MAX_KEYLOG_BYTES.saturating_sub(inner.bytes_read);
            let mut text = Vec::new();
            if (&mut file).take(room).read_to_end(&mut text).is_err() {
                continue;
            }
            let mut report = LoadReport::default();
            let consumed = complete_lines(&text, &mut report, room, false);
            inner.bytes_read = inner.bytes_read.saturating_add(consumed as u64);
            let lines = add_lines(
                &mut inner,
                text.get(..consumed).unwrap_or_default(),
                f.lines,
                KeySource::KeyLog,
                &mut report,
            );
            f.consumed = f.consumed.saturating_add(consumed as u64);
            f.lines = lines;
            added += report.secrets;
        }
        inner.files = files;
        added > 0 || inner.count() > before
    }
}

/// The run's other decrypting parsers (QUIC) read the same secrets by label.
impl crate::dissect::parser::KeyStore for KeyStore {
    fn secret(&self, label: &str, client_random: &[u8]) -> Option<Vec<u8>> {
        let s = self.get(client_random)?;
        match label {
            "CLIENT_RANDOM" => s.master_secret,
            "PMS_CLIENT_RANDOM" => s.pre_master,
            "CLIENT_EARLY_TRAFFIC_SECRET" => s.client_early_traffic,
            "CLIENT_HANDSHAKE_TRAFFIC_SECRET" => s.client_handshake_traffic,
            "SERVER_HANDSHAKE_TRAFFIC_SECRET" => s.server_handshake_traffic,
            "CLIENT_TRAFFIC_SECRET_0" => s.client_traffic_0,
            "SERVER_TRAFFIC_SECRET_0" => s.server_traffic_0,
            _ => None,
        }
    }
}

/// How much of `text` to take: every byte when `to_end` (a file read whole), else up to the
/// last newline (a growing file: the last line may be half written). Notes a cut by the bound.
fn complete_lines(text: &[u8], report: &mut LoadReport, room: u64, to_end: bool) -> usize {
    let cut = text.len() as u64 >= room;
    if cut {
        report.truncated = true;
    }
    if to_end && !cut {
        return text.len();
    }
    text.iter().rposition(|&b| b == b'\n').map_or(0, |p| p + 1)
}

/// Parse and store lines; returns the number of the last line read.
fn add_lines(
    inner: &mut Inner,
    text: &[u8],
    first_line: usize,
    source: KeySource,
    report: &mut LoadReport,
) -> usize {
    let mut n = first_line;
    for raw in lines(text) {
        n += 1;
        let Ok(line) = std::str::from_utf8(raw) else {
            report.malformed.push(BadLine {
                line: n,
                reason: "not text",
            });
            continue;
        };
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let mut parts = line.split_ascii_whitespace();
        let (Some(name), Some(random), Some(secret), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            report.malformed.push(BadLine {
                line: n,
                reason: "expected LABEL CLIENT_RANDOM SECRET",
            });
            continue;
        };
        if !name
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
        {
            report.malformed.push(BadLine {
                line: n,
                reason: "label is not an upper-case name",
            });
            continue;
        }
        // A label this store does not use may shape its fields otherwise: counted, not
        // called malformed.
        let Some(l) = label(name) else {
            report.unknown_labels += 1;
            continue;
        };
        if l == Label::Rsa {
            add_rsa(inner, n, random, secret, source, report);
            continue;
        }
        let mut cr: ClientRandom = [0; 32];
        if !hex_into(random.as_bytes(), &mut cr) {
            report.malformed.push(BadLine {
                line: n,
                reason: "client random is not 32 bytes of hex",
            });
            continue;
        }
        let mut secret_buf = [0u8; 64];
        let secret_len = secret.len() / 2;
        let decoded = secret_len > 0
            && secret_buf
                .get_mut(..secret_len)
                .is_some_and(|out| hex_into(secret.as_bytes(), out));
        let (true, Some(secret)) = (decoded, secret_buf.get(..secret_len)) else {
            report.malformed.push(BadLine {
                line: n,
                reason: "secret is not hex of 1..64 bytes",
            });
            continue;
        };
        if l == Label::ClientRandom && secret.len() != 48 {
            report.malformed.push(BadLine {
                line: n,
                reason: "CLIENT_RANDOM master secret is not 48 bytes",
            });
            continue;
        }
        if !inner.sessions.contains_key(&cr) && inner.count() >= MAX_SESSIONS {
            report.truncated = true;
            continue;
        }
        let s = inner.sessions.entry(cr).or_default();
        let slot = match l {
            Label::ClientRandom => &mut s.master_secret,
            // (`RSA` lines went to `add_rsa` above.)
            Label::PreMaster | Label::Rsa => &mut s.pre_master,
            Label::ClientEarly => &mut s.client_early_traffic,
            Label::ClientHandshake => &mut s.client_handshake_traffic,
            Label::ServerHandshake => &mut s.server_handshake_traffic,
            Label::ClientTraffic0 => &mut s.client_traffic_0,
            Label::ServerTraffic0 => &mut s.server_traffic_0,
        };
        *slot = Some(secret.to_vec());
        s.source.get_or_insert(source);
        report.secrets += 1;
    }
    n
}

/// Store NSS's `RSA <first 8 bytes of the encrypted pre-master secret> <pre-master secret>`.
fn add_rsa(
    inner: &mut Inner,
    line: usize,
    prefix: &str,
    secret: &str,
    source: KeySource,
    report: &mut LoadReport,
) {
    let mut key: EncryptedPrefix = [0; 8];
    if !hex_into(prefix.as_bytes(), &mut key) {
        report.malformed.push(BadLine {
            line,
            reason: "RSA line: encrypted pre-master prefix is not 8 bytes of hex",
        });
        return;
    }
    let mut pms = [0u8; RSA_PMS_LEN];
    if !hex_into(secret.as_bytes(), &mut pms) {
        report.malformed.push(BadLine {
            line,
            reason: "RSA line: pre-master secret is not 48 bytes of hex",
        });
        return;
    }
    if !inner.rsa.contains_key(&key) && inner.count() >= MAX_SESSIONS {
        report.truncated = true;
        return;
    }
    // A later line replaces the secret; the source stays the first one's, as for the others.
    inner
        .rsa
        .entry(key)
        .and_modify(|(p, _)| *p = pms.to_vec())
        .or_insert_with(|| (pms.to_vec(), source));
    report.secrets += 1;
}

#[cfg(test)]
mod tests {
    use super::*;

    const CR: &str = "52362c10a2665e323a2adb4b9da0c10d4a8823719272f8b4c97af24f92784812";

    #[test]
    fn labels_comments_unknown_and_malformed_lines() {
        let ms = "ab".repeat(48);
        let text = format!(
            "# comment\n\nCLIENT_RANDOM {CR} {ms}\nEXPORTER_SECRET {CR} {s}\nCLIENT_TRAFFIC_SECRET_0 {CR} {s}\nCLIENT_RANDOM zz {ms}\ngarbage\nSERVER_TRAFFIC_SECRET_0 {CR} {s}\nRSA 47574e0385f937ba {ms}\n",
            s = "cd".repeat(32)
        );
        let ks = KeyStore::new();
        let r = ks.add_text(text.as_bytes(), KeySource::KeyLog);
        // NSS's RSA line (8 bytes of encrypted pre-master secret) is kept by that prefix.
        assert_eq!(r.secrets, 4);
        // EXPORTER_SECRET
        assert_eq!(r.unknown_labels, 1);
        let enc = hex::decode("47574e0385f937ba00112233").unwrap();
        let (pms, source) = ks.rsa_pre_master(&enc).unwrap();
        assert_eq!(
            (pms.as_slice(), source),
            (&[0xab; 48][..], KeySource::KeyLog)
        );
        assert!(ks.rsa_pre_master(&enc[..7]).is_none());
        assert!(ks.rsa_pre_master(&[0x47; 12]).is_none());
        let lines: Vec<usize> = r.malformed.iter().map(|b| b.line).collect();
        assert_eq!(lines, vec![6, 7]);
        let s = ks.get(&hex::decode(CR).unwrap()).unwrap();
        assert_eq!(s.master_secret.as_deref(), Some(&[0xab; 48][..]));
        assert_eq!(s.client_traffic_0.as_deref(), Some(&[0xcd; 32][..]));
        assert_eq!(s.server_traffic_0.as_deref(), Some(&[0xcd; 32][..]));
        assert!(s.client_handshake_traffic.is_none());
        assert_eq!(s.source, Some(KeySource::KeyLog));
        assert!(!r.not_a_key_log());
        assert!(r
            .problems("k")
            .iter()
            .any(|p| p.starts_with("k:7: malformed")));
    }

    #[test]
    fn rsa_and_pre_master_lines() {
        let pms = "5a".repeat(48);
        let text = format!(
            "RSA 0001020304050607 {pms}\nRSA 00010203040506 {pms}\nRSA 0001020304050607 {short}\nPMS_CLIENT_RANDOM {CR} {pms}\nRSA zz01020304050607 {pms}\n",
            short = "5a".repeat(47)
        );
        let ks = KeyStore::new();
        let r = ks.add_text(text.as_bytes(), KeySource::Dsb);
        assert_eq!(r.secrets, 2);
        let lines: Vec<(usize, &str)> = r.malformed.iter().map(|b| (b.line, b.reason)).collect();
        assert_eq!(
            lines,
            vec![
                (
                    2,
                    "RSA line: encrypted pre-master prefix is not 8 bytes of hex"
                ),
                (3, "RSA line: pre-master secret is not 48 bytes of hex"),
                (
                    5,
                    "RSA line: encrypted pre-master prefix is not 8 bytes of hex"
                ),
            ]
        );
        // Two sessions: one by encrypted prefix, one by client random.
        assert_eq!(ks.len(), 2);
        let (got, source) = ks.rsa_pre_master(&[0, 1, 2, 3, 4, 5, 6, 7, 8]).unwrap();
        assert_eq!((got.as_slice(), source), (&[0x5a; 48][..], KeySource::Dsb));
        let s = ks.get(&hex::decode(CR).unwrap()).unwrap();
        assert_eq!(s.pre_master.as_deref(), Some(&[0x5a; 48][..]));
        assert!(s.master_secret.is_none());
        use crate::dissect::parser::KeyStore as _;
        assert_eq!(
            ks.secret("PMS_CLIENT_RANDOM", &hex::decode(CR).unwrap()),
            Some(vec![0x5a; 48])
        );
    }

    /// The key log's fixed-buffer hex decoding and line splitter agree with `hex::decode`
    /// and `split` on every case they can meet.
    #[test]
    fn hex_and_lines_agree_with_the_general_ones() {
        for s in [
            "", "0", "00", "0f", "F0", "aB", "ag", "g0", "zz", "0x", "123", "ffff", "FFfF",
            "00ff7f80", "00ff7f8", "/0", ":0", "@0", "`0", "G0", "é0",
        ] {
            let want = hex::decode(s).ok();
            let mut out = vec![0u8; s.len() / 2];
            let got = hex_into(s.as_bytes(), &mut out).then_some(out);
            assert_eq!(got, want, "{s:?}");
        }
        let mut one = [0u8; 1];
        assert!(!hex_into(b"000", &mut one));
        for t in ["", "\n", "a", "a\n", "a\nb", "a\n\nb\n", "\n\n"] {
            let want: Vec<&[u8]> = t.as_bytes().split(|&b| b == b'\n').collect();
            let got: Vec<&[u8]> = lines(t.as_bytes()).collect();
            assert_eq!(got, want, "{t:?}");
        }
    }

    #[test]
    fn a_file_that_is_not_a_key_log_says_so() {
        let ks = KeyStore::new();
        let r = ks.add_text(b"<html>\nhello world\n", KeySource::KeyLog);
        assert!(r.not_a_key_log());
        assert_eq!(r.problems("x.pem").len(), 1);
        assert!(ks.is_empty());
    }

    #[test]
    fn refresh_reads_what_was_appended() {
        let dir = std::env::temp_dir().join(format!("ss-keylog-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("keys");
        let line = |b: u8| {
            format!(
                "CLIENT_RANDOM {} {}\n",
                format!("{b:02x}").repeat(32),
                "11".repeat(48)
            )
        };
        std::fs::write(&path, line(1)).unwrap();
        let ks = KeyStore::new();
        let r = ks.load_file(&path).unwrap();
        assert_eq!(r.secrets, 1);
        assert!(!ks.refresh(), "nothing new yet");
        std::fs::write(&path, format!("{}{}", line(1), line(2))).unwrap();
        assert!(ks.refresh());
        assert!(ks.get(&[2u8; 32]).is_some());
        assert!(ks.load_file(&dir.join("absent")).is_err());
        std::fs::remove_dir_all(&dir).ok();
    }
}
