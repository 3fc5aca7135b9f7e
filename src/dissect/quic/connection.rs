//! One QUIC connection seen on a UDP conversation: the datagrams of both directions,
//! coalesced packets split, Initial packets opened with the keys anyone can derive, the
//! Initial CRYPTO streams reassembled and handed to the TLS hello parser.

use std::collections::BTreeMap;

use super::crypto::CryptoStream;
use super::event::{PacketInfo, QuicEvent, QuicSummary};
use super::frames::{self, Frame};
use super::header::{self, PacketType};
use super::keys::{InitialKeys, OpenError};
use crate::dissect::tls::{decode_client_hello, decode_server_hello};
use crate::flow::Direction;

/// Most packets split out of one datagram (coalescing allows a few; a crafted datagram of
/// tiny packets stops here).
pub const MAX_PACKETS_PER_DATAGRAM: usize = 16;

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
}

impl QuicConnection {
    pub fn new() -> Self {
        Self::default()
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
        if h.ptype != PacketType::Initial {
            return info;
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
                let f = frames::parse(&o.plaintext);
                for fr in &f.frames {
                    info.frames.push(fr.name());
                    if let Frame::Crypto { offset, data } = fr {
                        if let (Some(s), Some(b)) =
                            (self.crypto.get_mut(i), o.plaintext.get(data.clone()))
                        {
                            s.insert(*offset, b);
                        }
                    }
                    if let Frame::ConnectionClose { code, reason, .. } = fr {
                        let r = o.plaintext.get(reason.clone()).unwrap_or(&[]);
                        ev.notes.push(format!(
                            "CONNECTION_CLOSE error 0x{code:x}: {}",
                            crate::present::escape::escape_truncated(r, 200)
                        ));
                    }
                }
                if let Some(why) = f.stopped {
                    ev.notes.push(why);
                }
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
        s
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
