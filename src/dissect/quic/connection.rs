//! One QUIC connection seen on a UDP conversation: the datagrams of both directions,
//! coalesced packets split, Initial packets opened with the keys anyone can derive, the
//! Initial CRYPTO streams reassembled and handed to the TLS hello parser.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::crypto::CryptoStream;
use super::event::{H3Message, PacketInfo, QuicEvent, QuicSummary};
use super::frames::{self, Frame};
use super::header::{self, PacketType};
use super::http3::{H3Out, Http3};
use super::keys::{open_payload, unmask, InitialKeys, OpenError};
use super::protect::SuiteKeys;
use super::stream::Reassembler;
use crate::dissect::http2::Http2Bounds;
use crate::dissect::parser::KeyStore;
use crate::dissect::tls::{decode_certificate13, decode_other};
use crate::dissect::tls::{decode_client_hello, decode_server_hello};
use crate::flow::Direction;

/// Most packets split out of one datagram (coalescing allows a few; a crafted datagram of
/// tiny packets stops here).
pub const MAX_PACKETS_PER_DATAGRAM: usize = 16;
/// Bytes of one QUIC stream direction held while waiting for a gap to fill.
pub const MAX_STREAM_BUFFER: usize = 1 << 20;
/// QUIC streams followed per connection.
pub const MAX_STREAMS: usize = 1024;

/// The encryption levels with packet protection from the TLS key schedule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Level {
    Handshake,
    App,
}

/// One direction of a QUIC stream.
#[derive(Debug, Default)]
struct StreamFlow {
    chunks: Reassembler,
    fin_delivered: bool,
}

/// The keys and state of the levels a key log opens (none without one).
#[derive(Default)]
struct Protected {
    store: Option<Arc<dyn KeyStore>>,
    bounds: Option<Http2Bounds>,
    client_random: Option<Vec<u8>>,
    suite: Option<u16>,
    handshake: [Option<SuiteKeys>; 2],
    app: [Option<SuiteKeys>; 2],
    largest_handshake: [Option<u64>; 2],
    largest_app: [Option<u64>; 2],
    crypto_handshake: [CryptoStream; 2],
    crypto_app: [CryptoStream; 2],
    streams: BTreeMap<(u64, usize), StreamFlow>,
    streams_full_noted: bool,
    http3: Option<Http3>,
    /// The key log held a secret for this connection.
    secrets_found: bool,
}

impl std::fmt::Debug for Protected {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Protected")
            .field("keys", &self.store.is_some())
            .field("suite", &self.suite)
            .field("streams", &self.streams.len())
            .finish()
    }
}

const SECRET_LABELS: [(Level, usize, &str); 4] = [
    (Level::Handshake, 0, "CLIENT_HANDSHAKE_TRAFFIC_SECRET"),
    (Level::Handshake, 1, "SERVER_HANDSHAKE_TRAFFIC_SECRET"),
    (Level::App, 0, "CLIENT_TRAFFIC_SECRET_0"),
    (Level::App, 1, "SERVER_TRAFFIC_SECRET_0"),
];

/// State of one connection.
#[derive(Debug, Default)]
pub struct QuicConnection {
    /// Version of the client's first Initial.
    pub version: Option<u32>,
    /// The client's first Destination Connection ID (the Initial keys' input).
    pub original_dcid: Option<Vec<u8>>,
    pub client_scid: Option<Vec<u8>>,
    pub server_scid: Option<Vec<u8>>,
    /// Initial keys per version (compatible version negotiation may switch to v2).
    keys: Vec<(u32, InitialKeys)>,
    /// A Retry was seen: the client's next Initial brings a new DCID and new keys.
    retry_seen: bool,
    /// Largest Initial packet number per direction.
    largest_initial: [Option<u64>; 2],
    crypto: [CryptoStream; 2],
    summary: QuicSummary,
    prot: Protected,
}

impl QuicConnection {
    pub fn new() -> Self {
        Self::default()
    }

    /// A connection that opens Handshake and 1-RTT packets with the secrets of `store`
    /// (a key log), and reads HTTP/3 within `bounds`.
    pub fn with_keys(store: Option<Arc<dyn KeyStore>>, bounds: Http2Bounds) -> Self {
        let mut c = Self::default();
        c.prot.store = store;
        c.prot.bounds = Some(bounds);
        c
    }

    fn keys_for(&mut self, version: u32) -> Option<&InitialKeys> {
        if !self.keys.iter().any(|(v, _)| *v == version) {
            let k = InitialKeys::new(version, self.original_dcid.as_deref()?)?;
            self.keys.push((version, k));
        }
        self.keys
            .iter()
            .find(|(v, _)| *v == version)
            .map(|(_, k)| k)
    }

    /// Connection id length a short header carries in `dir`.
    fn short_dcid_len(&self, dir: Direction) -> usize {
        match dir {
            Direction::ToServer => self.server_scid.as_ref().map_or(0, Vec::len),
            Direction::ToClient => self.client_scid.as_ref().map_or(0, Vec::len),
        }
    }

    /// One UDP payload of this conversation, carried by `frame`; `frame_offset` is where
    /// the payload starts in the frame.
    pub fn datagram(
        &mut self,
        dir: Direction,
        payload: &[u8],
        frame: u64,
        frame_offset: Option<usize>,
    ) -> QuicEvent {
        let mut ev = QuicEvent {
            dir,
            frame_offset,
            ..QuicEvent::default()
        };
        let mut at = 0usize;
        while at < payload.len() {
            if ev.packets.len() >= MAX_PACKETS_PER_DATAGRAM {
                ev.notes
                    .push(format!("more than {MAX_PACKETS_PER_DATAGRAM} packets in one datagram; the rest not read"));
                break;
            }
            // Zero bytes after a coalesced packet are padding of the datagram.
            if payload.get(at) == Some(&0) && !ev.packets.is_empty() {
                let run = payload.len() - at;
                ev.padding = run;
                self.summary.coalesced_padding += 1;
                break;
            }
            let h = match header::parse(payload, at, self.short_dcid_len(dir)) {
                Ok(h) => h,
                Err(e) => {
                    ev.notes.push(e.to_string());
                    break;
                }
            };
            let info = self.packet(dir, payload, &h, frame, &mut ev);
            at = h.packet.end.max(at + 1);
            ev.packets.push(info);
        }
        self.summary.frames += 1;
        ev
    }

    fn packet(
        &mut self,
        dir: Direction,
        d: &[u8],
        h: &header::Header,
        frame: u64,
        ev: &mut QuicEvent,
    ) -> PacketInfo {
        let bytes = |r: &std::ops::Range<usize>| d.get(r.clone()).unwrap_or(&[]).to_vec();
        let mut info = PacketInfo {
            ptype: h.ptype,
            version: h.version,
            dcid: bytes(&h.dcid),
            scid: bytes(&h.scid),
            token_len: h.token.len(),
            range: h.packet.clone(),
            ..PacketInfo::default()
        };
        *self.summary.packet_types.entry(h.ptype.name()).or_insert(0) += 1;
        match h.ptype {
            PacketType::Initial | PacketType::Handshake | PacketType::ZeroRtt => {
                if dir == Direction::ToServer {
                    if self.client_scid.is_none() {
                        self.client_scid = Some(info.scid.clone());
                    }
                } else if self.server_scid.is_none() || h.ptype == PacketType::Initial {
                    self.server_scid = Some(info.scid.clone());
                }
            }
            PacketType::Retry => {
                self.retry_seen = true;
                self.server_scid = Some(info.scid.clone());
            }
            _ => {}
        }
        match h.ptype {
            PacketType::Initial => {}
            PacketType::Handshake => {
                self.protected(Level::Handshake, dir, d, h, frame, ev, &mut info);
                return info;
            }
            PacketType::OneRtt => {
                self.protected(Level::App, dir, d, h, frame, ev, &mut info);
                return info;
            }
            _ => return info,
        }
        if dir == Direction::ToServer && (self.original_dcid.is_none() || self.retry_seen) {
            if self.retry_seen && self.original_dcid.as_deref() != Some(info.dcid.as_slice()) {
                self.keys.clear();
                self.crypto = Default::default();
                self.largest_initial = [None; 2];
                self.retry_seen = false;
            }
            self.original_dcid = Some(info.dcid.clone());
            self.version.get_or_insert(h.version);
            self.summary.version = self.version;
            self.summary.original_dcid = self.original_dcid.clone();
        }
        let i = dir.index();
        let largest = self.largest_initial.get(i).copied().flatten();
        let Some(keys) = self.keys_for(h.version) else {
            info.error = Some("no Initial keys: the client's first Initial was not seen".into());
            self.summary.not_decrypted += 1;
            return info;
        };
        let k = match dir {
            Direction::ToServer => &keys.client,
            Direction::ToClient => &keys.server,
        };
        let packet = d.get(h.packet.clone()).unwrap_or(&[]);
        let pn_offset = h.pn_offset.saturating_sub(h.packet.start);
        match k.unprotect(packet, pn_offset, largest) {
            Ok(o) => {
                info.pn = Some(o.pn);
                info.decrypted = true;
                self.summary.decrypted += 1;
                if let Some(slot) = self.largest_initial.get_mut(i) {
                    *slot = Some(slot.map_or(o.pn, |l| l.max(o.pn)));
                }
                self.frames(None, dir, &o.plaintext, frame, ev, &mut info);
                self.hellos(i, frame, ev);
            }
            Err(e) => {
                if let OpenError::Tag { pn } = e {
                    info.pn = Some(pn);
                }
                info.error = Some(e.to_string());
                self.summary.decryption_failed += 1;
            }
        }
        info
    }

    /// Look the traffic secrets up once the ClientHello random and the suite are known
    /// (again on later packets: a live key log may grow).
    fn find_keys(&mut self) {
        let p = &mut self.prot;
        let (Some(store), Some(random), Some(suite)) =
            (p.store.as_ref(), p.client_random.as_ref(), p.suite)
        else {
            return;
        };
        let version = self.version.unwrap_or(super::keys::VERSION_1);
        for (level, side, label) in SECRET_LABELS {
            let slot = match level {
                Level::Handshake => p.handshake.get_mut(side),
                Level::App => p.app.get_mut(side),
            };
            let Some(slot) = slot else { continue };
            if slot.is_none() {
                if let Some(secret) = store.secret(label, random) {
                    p.secrets_found = true;
                    *slot = SuiteKeys::new(version, suite, &secret);
                }
            }
        }
    }

    /// A Handshake or 1-RTT packet: opened with the key log's secrets when known.
    #[allow(clippy::too_many_arguments)]
    fn protected(
        &mut self,
        level: Level,
        dir: Direction,
        d: &[u8],
        h: &header::Header,
        frame: u64,
        ev: &mut QuicEvent,
        info: &mut PacketInfo,
    ) {
        if self.prot.store.is_none() {
            return;
        }
        self.find_keys();
        let i = dir.index();
        let packet = d.get(h.packet.clone()).unwrap_or(&[]);
        let pn_offset = h.pn_offset.saturating_sub(h.packet.start);
        let p = &mut self.prot;
        let (keys, largest) = match level {
            Level::Handshake => (&mut p.handshake, &mut p.largest_handshake),
            Level::App => (&mut p.app, &mut p.largest_app),
        };
        let (Some(slot), Some(largest)) = (keys.get_mut(i), largest.get_mut(i)) else {
            return;
        };
        let Some(k) = slot.as_ref() else {
            // With secrets for this connection but not for this level, say so; without any
            // the tree says the packet needs the session keys.
            if p.secrets_found {
                info.error = Some("no secret for this encryption level in the key log".into());
            }
            return;
        };
        let mut rotated = None;
        let opened = unmask(k, packet, pn_offset, *largest).and_then(|u| {
            let phase = u.first_byte & 0x04 != 0;
            if level == Level::App && phase != k.phase {
                // A key update (RFC 9001 §6): the next phase's keys, kept if they open it.
                let next = k.next_phase().ok_or(OpenError::Tag { pn: u.pn })?;
                let o = open_payload(&next, &u, packet)?;
                rotated = Some(next);
                Ok(o)
            } else {
                open_payload(k, &u, packet)
            }
        });
        if let Some(next) = rotated {
            *slot = Some(next);
        }
        match opened {
            Ok(o) => {
                info.pn = Some(o.pn);
                info.decrypted = true;
                if level == Level::App {
                    info.key_phase = Some(o.first_byte & 0x04 != 0);
                }
                self.summary.decrypted += 1;
                *largest = Some(largest.map_or(o.pn, |l| l.max(o.pn)));
                self.frames(Some(level), dir, &o.plaintext, frame, ev, info);
            }
            Err(e) => {
                if let OpenError::Tag { pn } = e {
                    info.pn = Some(pn);
                }
                info.error = Some(e.to_string());
                self.summary.decryption_failed += 1;
            }
        }
    }

    /// The frames of a decrypted payload at `level` (`None`: Initial).
    fn frames(
        &mut self,
        level: Option<Level>,
        dir: Direction,
        plaintext: &[u8],
        frame: u64,
        ev: &mut QuicEvent,
        info: &mut PacketInfo,
    ) {
        let i = dir.index();
        let f = frames::parse(plaintext);
        for fr in &f.frames {
            match fr {
                Frame::Stream { stream, .. } => info.frames.push(format!("STREAM({stream})")),
                other => info.frames.push(other.info_name().to_string()),
            }
            match fr {
                Frame::Crypto { offset, data } => {
                    let stream = match level {
                        None => self.crypto.get_mut(i),
                        Some(Level::Handshake) => self.prot.crypto_handshake.get_mut(i),
                        Some(Level::App) => self.prot.crypto_app.get_mut(i),
                    };
                    if let (Some(s), Some(b)) = (stream, plaintext.get(data.clone())) {
                        s.insert(*offset, b);
                    }
                }
                Frame::ConnectionClose { code, reason, .. } => {
                    let r = plaintext.get(reason.clone()).unwrap_or(&[]);
                    ev.notes.push(format!(
                        "CONNECTION_CLOSE error 0x{code:x}: {}",
                        crate::present::escape::escape_truncated(r, 200)
                    ));
                }
                Frame::Stream {
                    stream,
                    offset,
                    fin,
                    data,
                } => {
                    let bytes = plaintext.get(data.clone()).unwrap_or(&[]);
                    self.stream(*stream, dir, *offset, bytes, *fin, frame, ev, info);
                }
                _ => {}
            }
        }
        if let Some(why) = f.stopped {
            ev.notes.push(why);
        }
        if let Some(level) = level {
            self.handshake_messages(level, i, ev);
        }
    }

    /// Handshake messages of the Handshake and 1-RTT CRYPTO streams.
    fn handshake_messages(&mut self, level: Level, i: usize, ev: &mut QuicEvent) {
        let stream = match level {
            Level::Handshake => self.prot.crypto_handshake.get_mut(i),
            Level::App => self.prot.crypto_app.get_mut(i),
        };
        let Some(stream) = stream else { return };
        for m in stream.take_messages() {
            let name = tls13_message_name(m.msg_type);
            ev.tls_messages.push(name);
            ev.tls_types.push(m.msg_type);
            self.summary.tls_messages.push(name);
            match m.msg_type {
                4 | 8 => {
                    let Some(e) = decode_other(m.msg_type, &m.body, true).extensions else {
                        continue;
                    };
                    if m.msg_type == 8 {
                        if let Some(alpn) = e.values.alpn.first() {
                            self.summary.alpn_selected = Some(alpn.clone());
                        }
                    }
                    ev.tls_extensions.push(*e);
                }
                11 => match decode_certificate13(&m.body) {
                    Ok(c) => ev.certificate = Some(Box::new(c)),
                    Err(e) => ev.notes.push(e),
                },
                _ => {}
            }
        }
    }

    /// Bytes of a STREAM frame: put in order per stream and direction, then to HTTP/3.
    #[allow(clippy::too_many_arguments)]
    fn stream(
        &mut self,
        id: u64,
        dir: Direction,
        offset: u64,
        bytes: &[u8],
        fin: bool,
        frame: u64,
        ev: &mut QuicEvent,
        info: &mut PacketInfo,
    ) {
        let p = &mut self.prot;
        let key = (id, dir.index());
        if !p.streams.contains_key(&key) && p.streams.len() >= MAX_STREAMS {
            if !p.streams_full_noted {
                p.streams_full_noted = true;
                ev.notes.push(format!(
                    "more than {MAX_STREAMS} QUIC streams; the rest not reassembled"
                ));
            }
            return;
        }
        let flow = p.streams.entry(key).or_default();
        let was_overflow = flow.chunks.overflow;
        flow.chunks.insert(offset, bytes, MAX_STREAM_BUFFER, None);
        if fin {
            flow.chunks.fin = Some(offset.saturating_add(bytes.len() as u64));
        }
        if flow.chunks.overflow && !was_overflow {
            ev.notes.push(format!(
                "stream {id}: more than {MAX_STREAM_BUFFER} bytes waiting for a gap; the rest not reassembled"
            ));
        }
        let ready = flow.chunks.take();
        let finished = flow.chunks.finished() && !flow.fin_delivered;
        if finished {
            flow.fin_delivered = true;
        }
        if ready.is_empty() && !finished {
            return;
        }
        self.summary.stream_bytes = self.summary.stream_bytes.saturating_add(ready.len() as u64);
        let h3 = self
            .summary
            .alpn_offered
            .iter()
            .any(|a| a.starts_with(b"h3"));
        if !h3 {
            return;
        }
        let bounds = p
            .bounds
            .clone()
            .unwrap_or_else(|| Http2Bounds::from_config(&crate::dissect::DissectConfig::default()));
        let http3 = p.http3.get_or_insert_with(|| Http3::new(bounds));
        info.h3 = true;
        let mut out = Vec::new();
        http3.stream_data(id, dir, &ready, finished, frame, &mut out);
        take_h3(out, ev, info);
    }

    /// The connection is over: HTTP/3 messages never finished.
    pub fn close(&mut self, frame: u64) -> QuicEvent {
        let mut ev = QuicEvent::default();
        let mut info = PacketInfo::default();
        if let Some(h3) = self.prot.http3.as_mut() {
            let mut out = Vec::new();
            h3.close(frame, &mut out);
            take_h3(out, &mut ev, &mut info);
        }
        ev
    }

    fn hellos(&mut self, i: usize, frame: u64, ev: &mut QuicEvent) {
        let Some(stream) = self.crypto.get_mut(i) else {
            return;
        };
        if stream.overflow && !self.summary.crypto_overflow {
            self.summary.crypto_overflow = true;
            ev.notes
                .push("CRYPTO stream above its bound; the rest not reassembled".into());
        }
        for m in stream.take_messages() {
            match m.msg_type {
                1 => match decode_client_hello(&m.body) {
                    Ok(ch) => {
                        self.prot.client_random = Some(ch.random.clone());
                        self.summary.tls_messages.push("client_hello");
                        self.summary.sni = ch.values.sni.clone();
                        self.summary.alpn_offered = ch.values.alpn.clone();
                        self.summary.ja4 = Some(ch.ja4_quic());
                        self.summary.ech = ch.offers_ech();
                        self.summary.client_hello_frame = Some(frame);
                        ev.client_hello = Some(Box::new(ch));
                    }
                    Err(e) => ev.notes.push(e),
                },
                2 => match decode_server_hello(&m.body) {
                    Ok(sh) => {
                        self.prot.suite = Some(sh.cipher_suite);
                        self.summary.tls_messages.push("server_hello");
                        self.summary.cipher_suite = Some(sh.cipher_suite);
                        ev.server_hello = Some(Box::new(sh));
                    }
                    Err(e) => ev.notes.push(e),
                },
                t => ev
                    .notes
                    .push(format!("handshake message type {t} in Initial")),
            }
        }
    }

    /// What the connection showed, for the `quic.session` record.
    pub fn summary(&self) -> QuicSummary {
        let mut s = self.summary.clone();
        s.client_scid = self.client_scid.clone();
        s.server_scid = self.server_scid.clone();
        s.keys = self.prot.secrets_found;
        if let Some(h3) = &self.prot.http3 {
            s.h3_settings = h3.settings.clone();
            s.goaway = h3.goaway;
        }
        s
    }
}

/// What HTTP/3 reported: frames named after their STREAM in the packet's list, messages
/// and notes on the event.
fn take_h3(out: Vec<H3Out>, ev: &mut QuicEvent, info: &mut PacketInfo) {
    for o in out {
        match o {
            H3Out::Frame { text, .. } => info.frames.push(text),
            H3Out::StreamType { stream, kind } => ev.h3_streams.push((stream, kind)),
            H3Out::Message { dir, frames, msg } => ev.messages.push(H3Message { dir, frames, msg }),
            H3Out::Note(n) => ev.notes.push(n),
        }
    }
}

/// TLS 1.3 handshake message names as the key log run lists them.
fn tls13_message_name(t: u8) -> &'static str {
    match t {
        1 => "client_hello",
        2 => "server_hello",
        4 => "new_session_ticket",
        5 => "end_of_early_data",
        8 => "encrypted_extensions",
        11 => "certificate",
        13 => "certificate_request",
        15 => "certificate_verify",
        20 => "finished",
        24 => "key_update",
        _ => "unknown",
    }
}

/// Packets per type, in a stable order (for the summary).
pub type PacketCounts = BTreeMap<&'static str, u64>;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dissect::quic::build::{client_initials, sample_client_hello};
    use crate::dissect::quic::keys::{VERSION_1, VERSION_2};

    /// A ClientHello with a 3000-byte key share spans three Initial packets; it is put
    /// back together whichever order the packets arrive in, for both versions.
    #[test]
    fn multi_packet_client_hello_reassembled_in_any_order() {
        let ch = sample_client_hello(b"secret-squirrel.example", false, 3000);
        for version in [VERSION_1, VERSION_2] {
            let dgrams =
                client_initials(version, &[1, 2, 3, 4, 5, 6, 7, 8], &[9; 8], &ch, 1100).unwrap();
            assert_eq!(dgrams.len(), 3);
            for order in [[0usize, 1, 2], [2, 0, 1]] {
                let mut c = QuicConnection::new();
                let mut hello_at = None;
                for (n, i) in order.iter().enumerate() {
                    let ev = c.datagram(Direction::ToServer, &dgrams[*i], n as u64 + 1, None);
                    assert!(ev.packets[0].decrypted, "{:?}", ev.packets[0].error);
                    if let Some(h) = &ev.client_hello {
                        assert_eq!(
                            h.values.sni.as_deref(),
                            Some(&b"secret-squirrel.example"[..])
                        );
                        assert_eq!(h.values.alpn, vec![b"h3".to_vec()]);
                        assert!(h.ja4_quic().starts_with("q13d"), "{}", h.ja4_quic());
                        hello_at = Some(n);
                    }
                }
                assert_eq!(hello_at, Some(2), "complete only with the last packet");
                let s = c.summary();
                assert_eq!(s.version, Some(version));
                assert_eq!(s.decrypted, 3);
                assert!(!s.ech);
            }
        }
    }

    #[test]
    fn ech_in_a_quic_client_hello_is_noted() {
        let ch = sample_client_hello(b"public.example", true, 0);
        let dgrams = client_initials(VERSION_1, &[7; 8], &[], &ch, 2000).unwrap();
        let mut c = QuicConnection::new();
        let ev = c.datagram(Direction::ToServer, &dgrams[0], 1, None);
        let json = ev.json();
        assert_eq!(json["ech"], true);
        let note = json["ech_note"].as_str().unwrap();
        assert!(
            note.contains("the SNI shown (public.example) is only the public name"),
            "{note}"
        );
        assert!(c.summary().ech);
    }

    #[test]
    fn server_initial_before_the_client_is_not_decrypted_and_says_why() {
        let ch = sample_client_hello(b"x.example", false, 0);
        let dgrams = client_initials(VERSION_1, &[7; 8], &[], &ch, 2000).unwrap();
        let mut c = QuicConnection::new();
        let ev = c.datagram(Direction::ToClient, &dgrams[0], 1, None);
        assert!(!ev.packets[0].decrypted);
        assert!(ev.packets[0]
            .error
            .as_deref()
            .unwrap_or("")
            .contains("first Initial"));
    }
}
