//! Per-stream TLS state: record reassembly per direction, handshake reassembly across
//! records, encryption state (ChangeCipherSpec, TLS 1.3), and resynchronisation after holes.

use super::decrypt::{ClientHelloKeys, Opened, Plaintext, ServerHelloKeys, SessionDecryptor};
use super::event::{Alert, AppData, Heartbeat, RecordInfo, Summary, TlsEvent, TlsMessage};
use super::handshake::{
    decode_certificate, decode_certificate13, decode_certificate_request, decode_other,
    decode_server_key_exchange,
};
use super::hello::{decode_client_hello, decode_server_hello, decode_sslv2_client_hello};
use super::names::{handshake_name, protocol_label};
use super::record::{plausible_header, sslv2_client_hello_len, Header, HEADER_LEN, MAX_RECORD_LEN};
use crate::memory::{Meter, Pool};
use std::sync::Arc;

use crate::dissect::parser::{Chunk, Ctx, KeyStore, Layer, Parser, ParserConfig, SessionInfo};
use crate::dissect::DissectConfig;
use crate::flow::Direction;

/// Bytes appended to a record buffer at a time (bounds the buffer to a record plus this).
const CHUNK: usize = 4096;
/// Stream-mechanics notes per stream before they are suppressed.
const MAX_NOTES: u32 = 32;

/// A TLS record's header as its event describes it.
fn record_info(h: &Header) -> RecordInfo {
    RecordInfo {
        content_type: h.content_type,
        version: h.version,
        length: h.length,
        sslv2: false,
        decrypted: None,
    }
}

#[derive(Debug, Default)]
struct DirState {
    /// Bytes of the record being reassembled (plus at most one chunk beyond it).
    buf: Vec<u8>,
    /// (end index in `buf`, frame) for the bytes of `buf`, in order.
    buf_frames: Vec<(usize, u64)>,
    /// Stream offset of `buf[0]`.
    base: u64,
    /// No record seen yet in this direction (an SSLv2 ClientHello may start it).
    first_record: bool,
    /// Looking for a plausible record header after a hole or garbage.
    resync: bool,
    /// Bytes skipped during the current resynchronisation.
    skipped: u64,
    /// Handshake bytes awaiting a complete message.
    hs: Vec<u8>,
    /// Frames that carried `hs`.
    hs_frames: Vec<u64>,
    /// Bytes of an oversized handshake message still to skip.
    hs_skip: usize,
    /// ChangeCipherSpec seen (TLS ≤ 1.2): what follows is encrypted.
    ccs: bool,
}

impl DirState {
    fn new() -> Self {
        DirState {
            first_record: true,
            ..DirState::default()
        }
    }

    fn append(&mut self, bytes: &[u8], frame: u64) {
        self.buf.extend_from_slice(bytes);
        let end = self.buf.len();
        match self.buf_frames.last_mut() {
            Some((e, f)) if *f == frame => *e = end,
            _ => self.buf_frames.push((end, frame)),
        }
    }

    /// Remove the first `n` bytes of `buf`, returning them and the frames that carried them.
    fn take(&mut self, n: usize) -> (Vec<u8>, Vec<u64>) {
        self.take_after(0, n)
    }

    /// Take the first `n` bytes off the buffer, keeping those after the first `skip` (a
    /// record without its header), and the frames that carried them.
    fn take_after(&mut self, skip: usize, n: usize) -> (Vec<u8>, Vec<u64>) {
        let n = n.min(self.buf.len());
        let bytes = self.buf.get(skip.min(n)..n).unwrap_or_default().to_vec();
        (bytes, self.discard(n))
    }

    /// Drop the first `n` bytes off the buffer unread, returning the frames that carried
    /// them.
    fn discard(&mut self, n: usize) -> Vec<u64> {
        let n = n.min(self.buf.len());
        self.buf.drain(..n);
        let mut frames = Vec::new();
        let mut start = 0;
        for &(end, f) in &self.buf_frames {
            if start < n && end > start && !frames.contains(&f) {
                frames.push(f);
            }
            start = end;
        }
        self.buf_frames.retain(|(end, _)| *end > n);
        for (end, _) in &mut self.buf_frames {
            *end -= n;
        }
        self.base = self.base.saturating_add(n as u64);
        frames
    }

    fn clear_partial(&mut self) -> (usize, usize) {
        let dropped = (self.buf.len(), self.hs.len());
        self.base = self.base.saturating_add(self.buf.len() as u64);
        self.buf.clear();
        self.buf_frames.clear();
        self.hs.clear();
        self.hs_frames.clear();
        self.hs_skip = 0;
        dropped
    }
}

/// The TLS dissector of one TCP stream (both directions).
pub struct TlsStream {
    max_handshake: usize,
    dirs: [DirState; 2],
    /// Negotiated version from the ServerHello (or HelloRetryRequest).
    pub version: Option<u16>,
    /// Cipher suite chosen by the server.
    pub cipher_suite: Option<u16>,
    /// TLS 1.3 negotiated.
    pub tls13: bool,
    /// A TLS 1.3 ServerHello was seen: everything after it is encrypted both ways.
    tls13_encrypted: bool,
    /// Direction the ServerHello came from.
    pub server_dir: Option<Direction>,
    /// Application-data records per direction (index: [`Direction::index`]).
    pub app_records: [u64; 2],
    /// Application-data payload bytes per direction.
    pub app_bytes: [u64; 2],
    notes: u32,
    closed: bool,
    /// Session keys for decryption (from the shared parser configuration).
    keys: Option<Arc<dyn KeyStore>>,
    /// The server chose ALPN `h2`: the plaintext is HTTP/2.
    alpn_h2: bool,
    /// Decryption with the session keys (inactive without any key source).
    dec: SessionDecryptor,
    /// Direction the ClientHello came from (the client writes side 0 of the decryptor).
    client_dir: Option<Direction>,
    /// Plaintext bytes handed to the child stream, per direction (its stream offsets).
    plain_offset: [u64; 2],
    /// The child stream was opened (by ALPN, or left to content detection).
    child_opened: bool,
    /// Plaintext of the record being emitted, for the first event of that record.
    pending_plain: Option<Arc<Vec<u8>>>,
    /// The run's memory budget, and the bytes (records and handshake messages being
    /// reassembled) this stream last reported to it.
    meter: Meter,
    reported: usize,
}

impl Drop for TlsStream {
    fn drop(&mut self) {
        self.meter.change(Pool::TlsHandshakes, self.reported, 0);
    }
}

impl TlsStream {
    pub fn new(cfg: &DissectConfig) -> Self {
        TlsStream {
            max_handshake: cfg.max_tls_handshake,
            meter: Meter::default(),
            reported: 0,
            dirs: [DirState::new(), DirState::new()],
            version: None,
            cipher_suite: None,
            tls13: false,
            tls13_encrypted: false,
            server_dir: None,
            app_records: [0; 2],
            app_bytes: [0; 2],
            notes: 0,
            closed: false,
            keys: None,
            alpn_h2: false,
            dec: SessionDecryptor::new(cfg.decrypt.clone()),
            client_dir: None,
            plain_offset: [0; 2],
            child_opened: false,
            pending_plain: None,
        }
    }

    /// Decryptor side of a direction: 0 = written by the client, 1 = by the server.
    fn side(&self, dir: Direction) -> usize {
        match self.client_dir {
            Some(c) if c != dir => 1,
            Some(_) => 0,
            None => dir.index(),
        }
    }

    /// Hand the decryptor's notes on (missing key, forward secrecy, RSA key mismatch).
    fn decrypt_notes(&mut self, dir: Direction, now: u64, out: &mut Ctx<'_>) {
        for text in std::mem::take(&mut self.dec.notes) {
            self.note(dir, now, text, out);
        }
    }

    /// Whether a record of `content_type` in direction `d` is protected.
    fn protected(&self, d: usize, content_type: u8) -> bool {
        if self.tls13_encrypted {
            content_type == 23
        } else {
            self.dirs.get(d).is_some_and(|s| s.ccs) || content_type == 23
        }
    }

    fn label(&self, record_version: u16) -> &'static str {
        protocol_label(self.version.unwrap_or(record_version))
    }

    fn encrypted(&self, d: usize) -> bool {
        self.tls13_encrypted || self.dirs.get(d).is_some_and(|s| s.ccs)
    }

    fn emit(
        &mut self,
        dir: Direction,
        now: u64,
        frames: Vec<u64>,
        record: RecordInfo,
        message: TlsMessage,
        out: &mut Ctx<'_>,
    ) {
        let protocol = if record.sslv2 && self.version.is_none() {
            "SSLv2"
        } else {
            self.label(record.version)
        };
        let _ = now;
        out.emit(
            dir,
            frames.clone(),
            Arc::new(TlsEvent {
                protocol,
                record,
                frames,
                message,
                plaintext: self.pending_plain.take(),
            }),
        );
    }

    /// A stream-mechanics note (resync, bound hit, truncation); rate-limited.
    fn note(&mut self, dir: Direction, now: u64, text: String, out: &mut Ctx<'_>) {
        self.notes = self.notes.saturating_add(1);
        let text = match self.notes {
            n if n < MAX_NOTES => text,
            n if n == MAX_NOTES => "TLS: further notes on this stream suppressed".to_string(),
            _ => return,
        };
        let _ = now;
        out.note(dir, text);
    }

    fn drain(&mut self, dir: Direction, now: u64, out: &mut Ctx<'_>) {
        let d = dir.index();
        loop {
            let side = self.side(dir);
            let Some(st) = self.dirs.get_mut(d) else {
                return;
            };
            if st.resync {
                let n = st.buf.len();
                if n < HEADER_LEN {
                    return;
                }
                let found = (0..=n - HEADER_LEN)
                    .find(|&p| st.buf.get(p..).and_then(plausible_header).is_some());
                match found {
                    Some(p) => {
                        st.take(p);
                        st.skipped = st.skipped.saturating_add(p as u64);
                        st.resync = false;
                        let (skipped, at) = (st.skipped, st.base);
                        st.skipped = 0;
                        self.note(
                            dir,
                            now,
                            format!("TLS: resynchronised on a record header at stream offset {at} after skipping {skipped} bytes"),
                            out,
                        );
                        continue;
                    }
                    None => {
                        let drop = n - (HEADER_LEN - 1);
                        st.take(drop);
                        st.skipped = st.skipped.saturating_add(drop as u64);
                        return;
                    }
                }
            }
            let first_byte = match st.buf.first() {
                Some(b) => *b,
                None => return,
            };
            if st.first_record && first_byte & 0x80 != 0 {
                if st.buf.len() < 3 {
                    return;
                }
                if let Some(len) = sslv2_client_hello_len(&st.buf) {
                    if len > MAX_RECORD_LEN {
                        st.resync = true;
                        st.first_record = false;
                        self.note(
                            dir,
                            now,
                            format!("TLS: SSLv2 record of {len} bytes exceeds the record bound; resynchronising"),
                            out,
                        );
                        continue;
                    }
                    if st.buf.len() < 2 + len {
                        return;
                    }
                    let (rec, frames) = st.take(2 + len);
                    st.first_record = false;
                    self.sslv2_record(dir, &rec, frames, now, out);
                    continue;
                }
            }
            if st.buf.len() < HEADER_LEN {
                return;
            }
            let Some(h) = plausible_header(&st.buf) else {
                let at = st.base;
                st.take(1);
                st.resync = true;
                st.first_record = false;
                st.skipped = 1;
                self.note(
                    dir,
                    now,
                    format!("TLS: no valid record header at stream offset {at}; resynchronising"),
                    out,
                );
                continue;
            };
            let total = HEADER_LEN + h.length;
            if st.buf.len() < total {
                return;
            }
            st.first_record = false;
            // Application data no key opens: only its length is read (what `record` does
            // with it when `open` says `NoKey`), so its bytes are not copied out.
            if h.content_type == 23 && self.dec.pass_unopenable(side) {
                let frames = st.discard(total);
                self.app_data(dir, record_info(&h), h.length, frames, now, out);
                continue;
            }
            let (body, frames) = st.take_after(HEADER_LEN, total);
            self.record(dir, h, body, frames, now, out);
        }
    }

    fn sslv2_record(
        &mut self,
        dir: Direction,
        rec: &[u8],
        frames: Vec<u64>,
        now: u64,
        out: &mut Ctx<'_>,
    ) {
        let msg = rec.get(2..).unwrap_or(&[]);
        let info = RecordInfo {
            content_type: 22,
            version: 0x0002,
            length: msg.len(),
            sslv2: true,
            decrypted: None,
        };
        match decode_sslv2_client_hello(msg) {
            Ok(ch) => self.emit(
                dir,
                now,
                frames,
                info,
                TlsMessage::ClientHello(Box::new(ch)),
                out,
            ),
            Err(e) => self.note(dir, now, format!("TLS: {e}"), out),
        }
    }

    fn record(
        &mut self,
        dir: Direction,
        h: Header,
        mut body: Vec<u8>,
        frames: Vec<u64>,
        now: u64,
        out: &mut Ctx<'_>,
    ) {
        let d = dir.index();
        let info = record_info(&h);
        if self.protected(d, h.content_type) {
            match self
                .dec
                .open(self.side(dir), h.content_type, h.version, &mut body)
            {
                Opened::Plain(p) => {
                    self.plain_record(dir, info, p, frames, now, out);
                    return;
                }
                Opened::Failed(text) => self.note(dir, now, text, out),
                Opened::NoKey => {}
            }
        }
        match h.content_type {
            20 => {
                self.emit(dir, now, frames, info, TlsMessage::ChangeCipherSpec, out);
                if !self.tls13 {
                    if let Some(st) = self.dirs.get_mut(d) {
                        st.ccs = true;
                    }
                    self.dec.change_cipher_spec(self.side(dir));
                    self.decrypt_notes(dir, now, out);
                }
            }
            21 => {
                // Under TLS 1.3 protected records carry outer type 23: a type-21 record is
                // a plaintext alert (e.g. a client rejecting the certificate before it has
                // switched keys), as tshark also decodes it.
                let plain = (!self.encrypted(d) || (self.tls13 && body.len() == 2))
                    && body.len() % 2 == 0
                    && body
                        .chunks_exact(2)
                        .all(|a| matches!(a.first(), Some(1 | 2)));
                if plain {
                    self.plain_alerts(dir, now, &frames, info, &body, out);
                } else {
                    let alert = Alert {
                        level: None,
                        description: None,
                        encrypted: true,
                    };
                    self.emit(dir, now, frames, info, TlsMessage::Alert(alert), out);
                }
            }
            22 => self.handshake_record(dir, info, &body, frames, now, out, false),
            23 => self.app_data(dir, info, body.len(), frames, now, out),
            _ => {
                let hb = if self.encrypted(d) {
                    Heartbeat {
                        encrypted: true,
                        msg_type: None,
                        payload_length: None,
                        record_length: body.len(),
                        heartbleed: false,
                    }
                } else {
                    let pl = match (body.get(1), body.get(2)) {
                        (Some(&a), Some(&b)) => Some(u16::from_be_bytes([a, b])),
                        _ => None,
                    };
                    Heartbeat {
                        encrypted: false,
                        msg_type: body.first().copied(),
                        payload_length: pl,
                        record_length: body.len(),
                        heartbleed: pl.is_some_and(|p| usize::from(p) + 3 > body.len()),
                    }
                };
                let bleed = hb.heartbleed;
                self.emit(
                    dir,
                    now,
                    frames.clone(),
                    info,
                    TlsMessage::Heartbeat(hb),
                    out,
                );
                if bleed {
                    let text = format!(
                        "Heartbeat payload_length {} exceeds the {}-byte record: Heartbleed (CVE-2014-0160) over-read attempt",
                        hb.payload_length.unwrap_or(0),
                        body.len()
                    );
                    self.emit(dir, now, frames, info, TlsMessage::Note(text), out);
                }
            }
        }
    }

    /// An application data record of `len` bytes that stays encrypted: counted, and its
    /// event.
    fn app_data(
        &mut self,
        dir: Direction,
        info: RecordInfo,
        len: usize,
        frames: Vec<u64>,
        now: u64,
        out: &mut Ctx<'_>,
    ) {
        let a = self.count_app_data(dir.index(), len);
        self.emit(dir, now, frames, info, TlsMessage::AppData(a), out);
    }

    #[allow(clippy::too_many_arguments)]
    fn handshake_record(
        &mut self,
        dir: Direction,
        info: RecordInfo,
        body: &[u8],
        frames: Vec<u64>,
        now: u64,
        out: &mut Ctx<'_>,
        decrypted: bool,
    ) {
        let d = dir.index();
        if self.encrypted(d) && !decrypted {
            let m = TlsMessage::EncryptedHandshake { len: body.len() };
            self.emit(dir, now, frames, info, m, out);
            return;
        }
        let max = self.max_handshake;
        let Some(st) = self.dirs.get_mut(d) else {
            return;
        };
        let mut input = body;
        if st.hs_skip > 0 {
            let n = st.hs_skip.min(input.len());
            st.hs_skip -= n;
            input = input.get(n..).unwrap_or(&[]);
            if input.is_empty() {
                return;
            }
        }
        if st.hs.is_empty() && input.first().and_then(|t| handshake_name(*t)).is_none() {
            // Not a handshake header we know: an encrypted message (e.g. picked up mid-way).
            let m = TlsMessage::EncryptedHandshake { len: body.len() };
            self.emit(dir, now, frames, info, m, out);
            return;
        }
        st.hs.extend_from_slice(input);
        for f in &frames {
            if !st.hs_frames.contains(f) {
                st.hs_frames.push(*f);
            }
        }
        let mut completed_one = false;
        loop {
            let Some(st) = self.dirs.get_mut(d) else {
                return;
            };
            let (Some(&t), Some(&a), Some(&b), Some(&c)) =
                (st.hs.first(), st.hs.get(1), st.hs.get(2), st.hs.get(3))
            else {
                break;
            };
            let len = (usize::from(a) << 16) | (usize::from(b) << 8) | usize::from(c);
            if len > max {
                let have = st.hs.len().min(len + 4);
                st.hs.drain(..have);
                st.hs_skip = (len + 4).saturating_sub(have);
                st.hs_frames.clear();
                let name = handshake_name(t).unwrap_or("unknown type");
                let text = format!(
                    "TLS: handshake message ({name}) of {len} bytes exceeds the bound of {max} bytes; skipped"
                );
                self.note(dir, now, text, out);
                continue;
            }
            if st.hs.len() < 4 + len {
                break;
            }
            let msg: Vec<u8> = st.hs.drain(..4 + len).collect();
            let msg_frames = if completed_one {
                frames.clone()
            } else {
                std::mem::take(&mut st.hs_frames)
            };
            completed_one = true;
            let body = msg.get(4..).unwrap_or(&[]);
            if !decrypted {
                self.dec.handshake_plain(&msg);
            }
            self.handshake_message(dir, t, body, info, msg_frames, now, out);
            if decrypted {
                self.dec.handshake_decrypted(self.side(dir), t);
            }
            self.decrypt_notes(dir, now, out);
            // A message may switch the stream to encrypted (TLS 1.3 ServerHello): the rest of
            // this record is then not plaintext handshake.
            if self.encrypted(d) && !decrypted {
                if let Some(st) = self.dirs.get_mut(d) {
                    st.hs.clear();
                }
                break;
            }
        }
        if let Some(st) = self.dirs.get_mut(d) {
            if st.hs.is_empty() {
                st.hs_frames.clear();
            } else if completed_one {
                st.hs_frames = frames;
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn handshake_message(
        &mut self,
        dir: Direction,
        t: u8,
        body: &[u8],
        info: RecordInfo,
        frames: Vec<u64>,
        now: u64,
        out: &mut Ctx<'_>,
    ) {
        let malformed = |what: String| TlsMessage::Note(format!("{what}: not dissected further"));
        match t {
            1 => match decode_client_hello(body) {
                Ok(ch) => {
                    if self.client_dir.is_none() {
                        self.client_dir = Some(dir);
                    }
                    self.dec.client_hello(&ClientHelloKeys {
                        random: &ch.random,
                        session_id: &ch.session_id,
                        ticket: ch.values.session_ticket.as_deref(),
                        extensions: &ch.extension_ids(),
                        suites: &ch.cipher_suites,
                    });
                    self.emit(
                        dir,
                        now,
                        frames,
                        info,
                        TlsMessage::ClientHello(Box::new(ch)),
                        out,
                    )
                }
                Err(e) => {
                    let other = TlsMessage::Handshake(decode_other(t, body, self.tls13));
                    self.emit(dir, now, frames.clone(), info, other, out);
                    self.emit(dir, now, frames, info, malformed(e), out);
                }
            },
            2 => match decode_server_hello(body) {
                Ok(sh) => {
                    let is13 = sh.version == 0x0304 || sh.version & 0xff00 == 0x7f00;
                    self.version = Some(sh.version);
                    if is13 {
                        self.tls13 = true;
                    }
                    let hrr = sh.hello_retry_request;
                    if !hrr {
                        self.cipher_suite = Some(sh.cipher_suite);
                        let ids: Vec<u16> = sh.extensions.iter().map(|e| e.id).collect();
                        self.dec.server_hello(&ServerHelloKeys {
                            random: &sh.random,
                            session_id: &sh.session_id,
                            version: sh.version,
                            suite: sh.cipher_suite,
                            extensions: &ids,
                        });
                        self.alpn_h2 = sh.values.alpn.first().is_some_and(|a| a == b"h2");
                    }
                    let swapped = self.server_dir.is_none() && dir == Direction::ToServer;
                    if self.server_dir.is_none() {
                        self.server_dir = Some(dir);
                    }
                    self.emit(
                        dir,
                        now,
                        frames.clone(),
                        info,
                        TlsMessage::ServerHello(Box::new(sh)),
                        out,
                    );
                    if swapped {
                        let text =
                            "Server Hello sent by the side taken for the client: roles swapped"
                                .to_string();
                        self.emit(dir, now, frames.clone(), info, TlsMessage::Note(text), out);
                    }
                    if is13 && !hrr {
                        self.tls13_encrypted = true;
                        let text = "TLS 1.3: handshake encrypted after Server Hello; certificate not visible to an observer under TLS 1.3".to_string();
                        self.emit(dir, now, frames, info, TlsMessage::Note(text), out);
                    }
                }
                Err(e) => {
                    let other = TlsMessage::Handshake(decode_other(t, body, self.tls13));
                    self.emit(dir, now, frames.clone(), info, other, out);
                    self.emit(dir, now, frames, info, malformed(e), out);
                }
            },
            11 if self.tls13 && info.decrypted.is_some() => match decode_certificate13(body) {
                Ok(c) => self.emit(dir, now, frames, info, TlsMessage::Certificate(c), out),
                Err(e) => {
                    let other = TlsMessage::Handshake(decode_other(t, body, self.tls13));
                    self.emit(dir, now, frames.clone(), info, other, out);
                    self.emit(dir, now, frames, info, malformed(e), out);
                }
            },
            11 => match decode_certificate(body) {
                Ok(c) if !self.tls13 => {
                    self.emit(dir, now, frames, info, TlsMessage::Certificate(c), out)
                }
                Ok(_) | Err(_) => {
                    let other = TlsMessage::Handshake(decode_other(t, body, self.tls13));
                    self.emit(dir, now, frames.clone(), info, other, out);
                    let m = malformed("malformed Certificate message".into());
                    self.emit(dir, now, frames, info, m, out);
                }
            },
            12 => {
                let ske = decode_server_key_exchange(body, self.cipher_suite);
                self.emit(
                    dir,
                    now,
                    frames,
                    info,
                    TlsMessage::ServerKeyExchange(ske),
                    out,
                );
            }
            13 => match decode_certificate_request(body) {
                Some(c) => self.emit(
                    dir,
                    now,
                    frames,
                    info,
                    TlsMessage::CertificateRequest(c),
                    out,
                ),
                None => {
                    let other = TlsMessage::Handshake(decode_other(t, body, self.tls13));
                    self.emit(dir, now, frames, info, other, out);
                }
            },
            _ => {
                let other = TlsMessage::Handshake(decode_other(t, body, self.tls13));
                self.emit(dir, now, frames, info, other, out);
            }
        }
    }

    /// Alerts in clear (or decrypted), two bytes each.
    fn plain_alerts(
        &mut self,
        dir: Direction,
        now: u64,
        frames: &[u64],
        info: RecordInfo,
        body: &[u8],
        out: &mut Ctx<'_>,
    ) {
        for a in body.chunks(2) {
            let alert = Alert {
                level: a.first().copied(),
                description: a.get(1).copied(),
                encrypted: false,
            };
            let m = TlsMessage::Alert(alert);
            self.emit(dir, now, frames.to_vec(), info, m, out);
        }
    }

    /// Count one application-data record of `len` bytes in direction `d`: the running totals.
    fn count_app_data(&mut self, d: usize, len: usize) -> AppData {
        let records = self.app_records.get_mut(d).map(|r| {
            *r = r.saturating_add(1);
            *r
        });
        let bytes = self.app_bytes.get_mut(d).map(|b| {
            *b = b.saturating_add(len as u64);
            *b
        });
        AppData {
            len,
            total_records: records.unwrap_or(0),
            total_bytes: bytes.unwrap_or(0),
        }
    }

    /// A record decrypted with the session keys: handled as its inner content type says;
    /// application data goes to the child stream (the protocol inside, detected by content,
    /// or HTTP/2 when ALPN chose `h2`).
    fn plain_record(
        &mut self,
        dir: Direction,
        mut info: RecordInfo,
        p: Plaintext,
        frames: Vec<u64>,
        now: u64,
        out: &mut Ctx<'_>,
    ) {
        let d = dir.index();
        info.decrypted = Some((p.data.len(), p.content_type));
        let content_type = p.content_type;
        let data = Arc::new(p.data);
        self.pending_plain = Some(Arc::clone(&data));
        match content_type {
            22 => self.handshake_record(dir, info, data.as_slice(), frames, now, out, true),
            23 => {
                let a = self.count_app_data(d, info.length);
                let last = frames.last().copied().unwrap_or(now);
                self.emit(dir, now, frames, info, TlsMessage::AppData(a), out);
                self.dec.count_app_bytes(data.len());
                if !self.child_opened {
                    self.child_opened = true;
                    let forced = (self.alpn_h2
                        && crate::dissect::registry::by_name("http2").is_some())
                    .then_some("http2");
                    out.open_child(0, Layer::Tls, forced);
                }
                if let Some(off) = self.plain_offset.get_mut(d) {
                    let at = *off;
                    *off = off.saturating_add(data.len() as u64);
                    out.plaintext(dir, at, Arc::clone(&data), last);
                }
            }
            21 => self.plain_alerts(dir, now, &frames, info, data.as_slice(), out),
            t => {
                let text = format!(
                    "decrypted record of content type {t} ({} bytes)",
                    data.len()
                );
                self.emit(dir, now, frames, info, TlsMessage::Note(text), out);
            }
        }
        self.pending_plain = None;
    }

    fn flush_dir(&mut self, dir: Direction, now: u64, why: &str, out: &mut Ctx<'_>) {
        let Some(st) = self.dirs.get_mut(dir.index()) else {
            return;
        };
        let resyncing = st.resync;
        let (rec, hs) = st.clear_partial();
        st.resync = false;
        if rec > 0 && !resyncing {
            self.note(
                dir,
                now,
                format!("TLS: {why} inside a record: {rec} bytes not dissected"),
                out,
            );
        }
        if hs > 0 {
            self.note(
                dir,
                now,
                format!("TLS: {why} inside a handshake message: {hs} bytes not dissected"),
                out,
            );
        }
    }

    /// Totals of application data, as emitted on close.
    pub fn summary(&self) -> Summary {
        Summary {
            version: self.version,
            cipher_suite: self.cipher_suite,
            to_server_records: self.app_records[0],
            to_server_bytes: self.app_bytes[0],
            to_client_records: self.app_records[1],
            to_client_bytes: self.app_bytes[1],
        }
    }
}

/// The registry's constructor.
pub fn new_parser(_info: &SessionInfo, cfg: &ParserConfig) -> Box<dyn Parser> {
    let mut s = TlsStream::new(&cfg.dissect);
    s.keys = cfg.keys.clone();
    s.meter = cfg.meter.clone();
    Box::new(s)
}

impl Parser for TlsStream {
    fn data(&mut self, ctx: &mut Ctx<'_>, c: &Chunk<'_>) {
        let now = ctx.now_frame;
        self.data_dir(c.dir, c.offset, c.bytes, c.frame, now, ctx);
        self.account();
    }

    fn gap(&mut self, ctx: &mut Ctx<'_>, dir: Direction, offset: u64, len: u64) {
        let now = ctx.now_frame;
        self.hole(dir, offset, len, now, ctx);
        self.account();
    }

    fn end(&mut self, ctx: &mut Ctx<'_>, dir: Direction) {
        let now = ctx.now_frame;
        self.flush_dir(dir, now, "stream ended", ctx);
        if self.child_opened {
            ctx.child_end(0, dir);
        }
        self.account();
    }

    fn close(&mut self, ctx: &mut Ctx<'_>) {
        let now = ctx.now_frame;
        self.close_stream(now, ctx);
        self.account();
    }
}

impl TlsStream {
    /// Report the bytes held (records and handshake messages being reassembled) to the
    /// memory budget.
    fn account(&mut self) {
        let held = self
            .dirs
            .iter()
            .map(|d| d.buf.capacity().saturating_add(d.hs.capacity()))
            .sum();
        self.meter.change(Pool::TlsHandshakes, self.reported, held);
        self.reported = held;
    }

    /// The session keys (from a key log) this stream may decrypt with: the hook for TLS
    /// decryption, which hands plaintext to a child stream with [`Ctx::plaintext`].
    pub fn keys(&self) -> Option<&dyn KeyStore> {
        self.keys.as_deref()
    }

    fn data_dir(
        &mut self,
        dir: Direction,
        offset: u64,
        data: &[u8],
        frame: u64,
        now: u64,
        out: &mut Ctx<'_>,
    ) {
        let Some(st) = self.dirs.get(dir.index()) else {
            return;
        };
        let expected = st.base.saturating_add(st.buf.len() as u64);
        let mut data = data;
        if offset > expected {
            self.hole(dir, expected, offset - expected, now, out);
        } else if offset < expected {
            // Already seen: skip the overlap.
            let overlap = usize::try_from(expected - offset).unwrap_or(usize::MAX);
            data = data.get(overlap..).unwrap_or(&[]);
        }
        for chunk in data.chunks(CHUNK) {
            if let Some(st) = self.dirs.get_mut(dir.index()) {
                st.append(chunk, frame);
            }
            self.drain(dir, now, out);
        }
    }

    fn hole(&mut self, dir: Direction, offset: u64, len: u64, now: u64, out: &mut Ctx<'_>) {
        let Some(st) = self.dirs.get_mut(dir.index()) else {
            return;
        };
        let (rec, hs) = st.clear_partial();
        st.base = offset.saturating_add(len);
        st.resync = true;
        st.skipped = 0;
        st.first_record = false;
        self.note(
            dir,
            now,
            format!(
                "TLS: {len} bytes missing at stream offset {offset}; dropped {rec} bytes of a partial record and {hs} bytes of a partial handshake message; resynchronising"
            ),
            out,
        );
    }

    fn close_stream(&mut self, now: u64, out: &mut Ctx<'_>) {
        if self.closed {
            return;
        }
        self.closed = true;
        self.flush_dir(Direction::ToServer, now, "stream closed", out);
        self.flush_dir(Direction::ToClient, now, "stream closed", out);
        // Session-level records: they describe no record, so no frames and a default header.
        let protocol = protocol_label(self.version.unwrap_or(0x0303));
        let session_event = |message| {
            Arc::new(TlsEvent {
                protocol,
                record: RecordInfo::default(),
                frames: Vec::new(),
                message,
                plaintext: None,
            })
        };
        out.emit(
            Direction::ToServer,
            Vec::new(),
            session_event(TlsMessage::Summary(self.summary())),
        );
        if self.dec.active() && self.version.is_some() {
            out.emit(
                Direction::ToServer,
                Vec::new(),
                session_event(TlsMessage::Decryption(self.dec.status())),
            );
        }
    }
}
