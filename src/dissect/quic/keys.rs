//! QUIC packet protection for the Initial packets (RFC 9001 §5, RFC 9369 §3.3): keys
//! derived from the client's first Destination Connection ID, which travels in clear, so
//! any observer can remove the protection.
//!
//! - [`InitialSecrets::derive`]: HKDF-Extract with the version's salt, then the
//!   `client in` / `server in` secrets.
//! - [`PacketKeys`]: AEAD key, IV and header-protection key of one direction, expanded
//!   with the version's labels (`quic key`/`quic iv`/`quic hp`, v2: `quicv2 …`).
//! - [`PacketKeys::unprotect`]: header protection removed with AES-ECB over the sample,
//!   the packet number recovered, the payload opened with AES-128-GCM (tag checked).

use aes::cipher::{generic_array::GenericArray, BlockEncrypt, KeyInit};
use aes::Aes128;
use aes_gcm::aead::{Aead, Payload};
use aes_gcm::Aes128Gcm;
use hkdf::Hkdf;
use sha2::Sha256;

/// QUIC version 1 (RFC 9000).
pub const VERSION_1: u32 = 0x0000_0001;
/// QUIC version 2 (RFC 9369).
pub const VERSION_2: u32 = 0x6b33_43cf;

/// Initial salt of version 1 (RFC 9001 §5.2).
const SALT_V1: [u8; 20] = [
    0x38, 0x76, 0x2c, 0xf7, 0xf5, 0x59, 0x34, 0xb3, 0x4d, 0x17, 0x9a, 0xe6, 0xa4, 0xc8, 0x0c, 0xad,
    0xcc, 0xbb, 0x7f, 0x0a,
];
/// Initial salt of version 2 (RFC 9369 §3.3.1).
const SALT_V2: [u8; 20] = [
    0x0d, 0xed, 0xe3, 0xde, 0xf7, 0x00, 0xa6, 0xdb, 0x81, 0x93, 0x81, 0xbe, 0x6e, 0x26, 0x9d, 0xcb,
    0xf9, 0xbd, 0x2e, 0xd9,
];

const LABEL_CLIENT_IN: &[u8] = b"client in";
const LABEL_SERVER_IN: &[u8] = b"server in";

/// The packet-protection labels of a version (RFC 9001 §5.1, §6.1; RFC 9369 §3.3.2).
pub struct Labels {
    pub key: &'static [u8],
    pub iv: &'static [u8],
    pub hp: &'static [u8],
    /// Key update.
    pub ku: &'static [u8],
}

const LABELS_V1: Labels = Labels {
    key: b"quic key",
    iv: b"quic iv",
    hp: b"quic hp",
    ku: b"quic ku",
};
const LABELS_V2: Labels = Labels {
    key: b"quicv2 key",
    iv: b"quicv2 iv",
    hp: b"quicv2 hp",
    ku: b"quicv2 ku",
};

/// The versions whose Initial packets this module can open.
pub fn is_known_version(v: u32) -> bool {
    v == VERSION_1 || v == VERSION_2
}

/// The labels of `version`.
pub fn labels(version: u32) -> &'static Labels {
    if version == VERSION_2 {
        &LABELS_V2
    } else {
        &LABELS_V1
    }
}

/// HKDF-Expand-Label (RFC 8446 §7.1) with an empty context, SHA-256.
fn expand_label<const N: usize>(secret: &[u8], label: &[u8]) -> Option<[u8; N]> {
    let hk = Hkdf::<Sha256>::from_prk(secret).ok()?;
    let mut info = Vec::with_capacity(10 + label.len());
    info.extend_from_slice(&u16::try_from(N).ok()?.to_be_bytes());
    info.push(u8::try_from(6 + label.len()).ok()?);
    info.extend_from_slice(b"tls13 ");
    info.extend_from_slice(label);
    info.push(0);
    let mut out = [0u8; N];
    hk.expand(&info, &mut out).ok()?;
    Some(out)
}

/// The two Initial secrets of a connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InitialSecrets {
    pub client: [u8; 32],
    pub server: [u8; 32],
}

impl InitialSecrets {
    /// Derive from the client's first Destination Connection ID. `None` for a version
    /// without known Initial salt.
    pub fn derive(version: u32, client_dcid: &[u8]) -> Option<Self> {
        let salt: &[u8] = match version {
            VERSION_1 => &SALT_V1,
            VERSION_2 => &SALT_V2,
            _ => return None,
        };
        let (prk, _) = Hkdf::<Sha256>::extract(Some(salt), client_dcid);
        Some(InitialSecrets {
            client: expand_label(&prk, LABEL_CLIENT_IN)?,
            server: expand_label(&prk, LABEL_SERVER_IN)?,
        })
    }
}

/// Keys of one direction at one encryption level (AES-128-GCM, AES header protection).
#[derive(Clone)]
pub struct PacketKeys {
    pub key: [u8; 16],
    pub iv: [u8; 12],
    pub hp: [u8; 16],
}

impl std::fmt::Debug for PacketKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PacketKeys { .. }")
    }
}

/// Why a protected packet could not be opened.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OpenError {
    #[error("packet too short for a header-protection sample ({len} bytes after the packet number offset)")]
    NoSample { len: usize },
    #[error("AEAD tag does not verify (packet number {pn})")]
    Tag { pn: u64 },
}

/// A packet with its protection removed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Opened {
    /// First byte with its protected bits restored.
    pub first_byte: u8,
    pub pn_len: usize,
    /// Full packet number.
    pub pn: u64,
    pub plaintext: Vec<u8>,
}

/// Recover a full packet number from its truncated form (RFC 9000 §A.3).
pub fn decode_packet_number(largest: Option<u64>, truncated: u64, pn_len: usize) -> u64 {
    let bits = 8 * pn_len as u32;
    let expected = largest.map_or(0, |l| l + 1);
    let win = 1u64 << bits;
    let hwin = win / 2;
    let mask = win - 1;
    let candidate = (expected & !mask) | truncated;
    if candidate + hwin <= expected && candidate < (1u64 << 62) - win {
        candidate + win
    } else if candidate > expected + hwin && candidate >= win {
        candidate - win
    } else {
        candidate
    }
}

impl PacketKeys {
    /// Expand the keys of one direction from its secret for `version`.
    pub fn from_secret(version: u32, secret: &[u8]) -> Option<Self> {
        let l = labels(version);
        Some(PacketKeys {
            key: expand_label(secret, l.key)?,
            iv: expand_label(secret, l.iv)?,
            hp: expand_label(secret, l.hp)?,
        })
    }

    /// Open one packet: `packet` starts at its first byte and ends where its Length says
    /// (the whole rest of the datagram for a short header); `pn_offset` is where the
    /// packet number starts; `largest` the largest packet number seen in this space.
    pub fn unprotect(
        &self,
        packet: &[u8],
        pn_offset: usize,
        largest: Option<u64>,
    ) -> Result<Opened, OpenError> {
        unprotect(self, packet, pn_offset, largest)
    }
}

/// What removing the protection of a packet needs from a key set: the header-protection
/// mask, the IV and the AEAD (Initial keys here, the negotiated suite's in
/// [`super::protect`]).
pub trait Protection {
    /// Header-protection mask from a 16-byte sample (the first 5 bytes are used).
    fn mask(&self, sample: &[u8; 16]) -> [u8; 16];
    fn iv(&self) -> [u8; 12];
    /// AEAD-open `body` with `nonce` and additional data `aad`; `None` when the tag fails.
    fn seal_open(&self, nonce: &[u8; 12], aad: &[u8], body: &[u8]) -> Option<Vec<u8>>;
}

impl Protection for PacketKeys {
    fn mask(&self, sample: &[u8; 16]) -> [u8; 16] {
        let cipher = Aes128::new(GenericArray::from_slice(&self.hp));
        let mut block = GenericArray::clone_from_slice(sample);
        cipher.encrypt_block(&mut block);
        let mut out = [0u8; 16];
        out.copy_from_slice(&block);
        out
    }
    fn iv(&self) -> [u8; 12] {
        self.iv
    }
    fn seal_open(&self, nonce: &[u8; 12], aad: &[u8], body: &[u8]) -> Option<Vec<u8>> {
        let aead = Aes128Gcm::new(GenericArray::from_slice(&self.key));
        aead.decrypt(GenericArray::from_slice(nonce), Payload { msg: body, aad })
            .ok()
    }
}

/// A packet with its header protection removed, payload still sealed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unmasked {
    /// First byte with its protected bits restored (1-RTT: the key phase bit is 0x04).
    pub first_byte: u8,
    pub pn_len: usize,
    pub pn: u64,
    /// The header as the AEAD's additional data.
    header: Vec<u8>,
}

/// Remove the header protection of `packet` with `keys` (RFC 9001 §5.4).
pub fn unmask(
    keys: &impl Protection,
    packet: &[u8],
    pn_offset: usize,
    largest: Option<u64>,
) -> Result<Unmasked, OpenError> {
    let sample_at = pn_offset + 4;
    let sample: [u8; 16] = packet
        .get(sample_at..sample_at + 16)
        .and_then(|s| s.try_into().ok())
        .ok_or(OpenError::NoSample {
            len: packet.len().saturating_sub(pn_offset),
        })?;
    let mask = keys.mask(&sample);
    let first = packet.first().copied().unwrap_or(0);
    let long = first & 0x80 != 0;
    let first_byte = first ^ (mask[0] & if long { 0x0f } else { 0x1f });
    let pn_len = usize::from(first_byte & 0x03) + 1;
    let mut header = packet.get(..pn_offset + pn_len).unwrap_or(&[]).to_vec();
    if let Some(b) = header.first_mut() {
        *b = first_byte;
    }
    let mut truncated = 0u64;
    for i in 0..pn_len {
        let at = pn_offset + i;
        if let (Some(b), Some(m)) = (header.get_mut(at), mask.get(1 + i)) {
            *b ^= *m;
            truncated = (truncated << 8) | u64::from(*b);
        }
    }
    Ok(Unmasked {
        first_byte,
        pn_len,
        pn: decode_packet_number(largest, truncated, pn_len),
        header,
    })
}

/// Open the payload of a packet whose header protection `u` removed.
pub fn open_payload(
    keys: &impl Protection,
    u: &Unmasked,
    packet: &[u8],
) -> Result<Opened, OpenError> {
    let mut nonce = keys.iv();
    for (i, b) in u.pn.to_be_bytes().iter().enumerate() {
        if let Some(n) = nonce.get_mut(4 + i) {
            *n ^= b;
        }
    }
    let body = packet.get(u.header.len()..).unwrap_or(&[]);
    let plaintext = keys
        .seal_open(&nonce, &u.header, body)
        .ok_or(OpenError::Tag { pn: u.pn })?;
    Ok(Opened {
        first_byte: u.first_byte,
        pn_len: u.pn_len,
        pn: u.pn,
        plaintext,
    })
}

/// Remove header protection and open the payload with the same keys.
pub fn unprotect(
    keys: &impl Protection,
    packet: &[u8],
    pn_offset: usize,
    largest: Option<u64>,
) -> Result<Opened, OpenError> {
    let u = unmask(keys, packet, pn_offset, largest)?;
    open_payload(keys, &u, packet)
}

impl PacketKeys {
    /// Protect a packet (the inverse of [`PacketKeys::unprotect`]): `header` ends with the
    /// `pn_len`-byte truncated packet number of `pn`, its first byte with the real
    /// reserved/length bits. Used to build test and fuzz inputs; `None` if the payload is
    /// too short to sample.
    pub fn protect(&self, header: &[u8], pn: u64, payload: &[u8]) -> Option<Vec<u8>> {
        use aes_gcm::aead::AeadInPlace;
        let first = *header.first()?;
        let pn_len = usize::from(first & 0x03) + 1;
        let pn_offset = header.len().checked_sub(pn_len)?;
        let mut nonce = self.iv;
        for (i, b) in pn.to_be_bytes().iter().enumerate() {
            if let Some(n) = nonce.get_mut(4 + i) {
                *n ^= b;
            }
        }
        let aead = Aes128Gcm::new(GenericArray::from_slice(&self.key));
        let mut body = payload.to_vec();
        let tag = aead
            .encrypt_in_place_detached(GenericArray::from_slice(&nonce), header, &mut body)
            .ok()?;
        body.extend_from_slice(&tag);
        let mut out = header.to_vec();
        out.extend_from_slice(&body);
        let sample_at = pn_offset + 4;
        let sample: [u8; 16] = out.get(sample_at..sample_at + 16)?.try_into().ok()?;
        let mask = self.mask(&sample);
        let long = first & 0x80 != 0;
        if let Some(b) = out.first_mut() {
            *b ^= mask[0] & if long { 0x0f } else { 0x1f };
        }
        for i in 0..pn_len {
            if let (Some(b), Some(m)) = (out.get_mut(pn_offset + i), mask.get(1 + i)) {
                *b ^= *m;
            }
        }
        Some(out)
    }
}

/// Both directions' Initial keys of a connection.
#[derive(Debug, Clone)]
pub struct InitialKeys {
    pub client: PacketKeys,
    pub server: PacketKeys,
}

impl InitialKeys {
    pub fn new(version: u32, client_dcid: &[u8]) -> Option<Self> {
        let s = InitialSecrets::derive(version, client_dcid)?;
        Some(InitialKeys {
            client: PacketKeys::from_secret(version, &s.client)?,
            server: PacketKeys::from_secret(version, &s.server)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(s: &str) -> Vec<u8> {
        hex::decode(s.split_whitespace().collect::<String>()).unwrap()
    }

    const DCID: &str = "8394c8f03e515708";

    /// RFC 9001 Appendix A.1: the Initial secrets and keys of both directions.
    #[test]
    fn rfc9001_a1_keys() {
        let s = InitialSecrets::derive(VERSION_1, &h(DCID)).unwrap();
        assert_eq!(
            hex::encode(s.client),
            "c00cf151ca5be075ed0ebfb5c80323c42d6b7db67881289af4008f1f6c357aea"
        );
        assert_eq!(
            hex::encode(s.server),
            "3c199828fd139efd216c155ad844cc81fb82fa8d7446fa7d78be803acdda951b"
        );
        let k = InitialKeys::new(VERSION_1, &h(DCID)).unwrap();
        assert_eq!(
            hex::encode(k.client.key),
            "1f369613dd76d5467730efcbe3b1a22d"
        );
        assert_eq!(hex::encode(k.client.iv), "fa044b2f42a3fd3b46fb255c");
        assert_eq!(hex::encode(k.client.hp), "9f50449e04a0e810283a1e9933adedd2");
        assert_eq!(
            hex::encode(k.server.key),
            "cf3a5331653c364c88f0f379b6067e37"
        );
        assert_eq!(hex::encode(k.server.iv), "0ac1493ca1905853b0bba03e");
        assert_eq!(hex::encode(k.server.hp), "c206b8d9b9f0f37644430b490eeaa314");
    }

    /// RFC 9369 Appendix A.1: version 2 client keys.
    #[test]
    fn rfc9369_a1_keys() {
        let k = InitialKeys::new(VERSION_2, &h(DCID)).unwrap();
        assert_eq!(
            hex::encode(k.client.key),
            "8b1a0bc121284290a29e0971b5cd045d"
        );
        assert_eq!(hex::encode(k.client.iv), "91f73e2351d8fa91660e909f");
        assert_eq!(hex::encode(k.client.hp), "45b95e15235d6f45a6b19cbcb0294ba9");
    }

    const SERVER_PAYLOAD: &str = "02000000000600405a020000560303eefce7f7b37ba1d1632e96677825ddf739
        88cfc79825df566dc5430b9a045a1200130100002e00330024001d00209d3c94
        0d89690b84d08a60993c144eca684d1081287c834d5311bcf32bb9da1a002b00020304";

    fn open_server(version: u32, packet: &str) -> Opened {
        let k = InitialKeys::new(version, &h(DCID)).unwrap();
        let p = h(packet);
        // 1 + 4 version + 1 + 0 dcid + 1 + 8 scid + 1 token len + 2 length = 18
        k.server.unprotect(&p, 18, None).unwrap()
    }

    /// RFC 9001 Appendix A.3: the server Initial opens to the ACK + CRYPTO(ServerHello).
    #[test]
    fn rfc9001_a3_server_initial_opens() {
        let o = open_server(
            VERSION_1,
            "cf000000010008f067a5502a4262b5004075c0d95a482cd0991cd25b0aac406a
             5816b6394100f37a1c69797554780bb38cc5a99f5ede4cf73c3ec2493a1839b3
             dbcba3f6ea46c5b7684df3548e7ddeb9c3bf9c73cc3f3bded74b562bfb19fb84
             022f8ef4cdd93795d77d06edbb7aaf2f58891850abbdca3d20398c276456cbc4
             2158407dd074ee",
        );
        assert_eq!(o.first_byte, 0xc1);
        assert_eq!(o.pn, 1);
        assert_eq!(o.pn_len, 2);
        assert_eq!(o.plaintext, h(SERVER_PAYLOAD));
    }

    /// RFC 9369 Appendix A.3: the same for version 2.
    #[test]
    fn rfc9369_a3_server_initial_opens() {
        let o = open_server(
            VERSION_2,
            "dc6b3343cf0008f067a5502a4262b5004075d92faaf16f05d8a4398c47089698
             baeea26b91eb761d9b89237bbf87263017915358230035f7fd3945d88965cf17
             f9af6e16886c61bfc703106fbaf3cb4cfa52382dd16a393e42757507698075b2
             c984c707f0a0812d8cd5a6881eaf21ceda98f4bd23f6fe1a3e2c43edd9ce7ca8
             4bed8521e2e140",
        );
        assert_eq!(o.first_byte, 0xd1);
        assert_eq!(o.pn, 1);
        assert_eq!(o.plaintext, h(SERVER_PAYLOAD));
    }

    /// Protecting the A.3 header and payload gives the RFC's packet byte for byte.
    #[test]
    fn protect_reproduces_rfc9001_a3() {
        let k = InitialKeys::new(VERSION_1, &h(DCID)).unwrap();
        let p = k
            .server
            .protect(
                &h("c1000000010008f067a5502a4262b50040750001"),
                1,
                &h(SERVER_PAYLOAD),
            )
            .unwrap();
        assert_eq!(
            hex::encode(p),
            "cf000000010008f067a5502a4262b5004075c0d95a482cd0991cd25b0aac406a\
             5816b6394100f37a1c69797554780bb38cc5a99f5ede4cf73c3ec2493a1839b3\
             dbcba3f6ea46c5b7684df3548e7ddeb9c3bf9c73cc3f3bded74b562bfb19fb84\
             022f8ef4cdd93795d77d06edbb7aaf2f58891850abbdca3d20398c276456cbc4\
             2158407dd074ee"
        );
    }

    #[test]
    fn tampered_packet_fails_the_tag_and_short_packet_has_no_sample() {
        let k = InitialKeys::new(VERSION_1, &h(DCID)).unwrap();
        let mut p = h(
            "cf000000010008f067a5502a4262b5004075c0d95a482cd0991cd25b0aac406a
             5816b6394100f37a1c69797554780bb38cc5a99f5ede4cf73c3ec2493a1839b3
             dbcba3f6ea46c5b7684df3548e7ddeb9c3bf9c73cc3f3bded74b562bfb19fb84
             022f8ef4cdd93795d77d06edbb7aaf2f58891850abbdca3d20398c276456cbc4
             2158407dd074ee",
        );
        let last = p.len() - 1;
        p[last] ^= 1;
        assert!(matches!(
            k.server.unprotect(&p, 18, None),
            Err(OpenError::Tag { .. })
        ));
        assert!(matches!(
            k.server.unprotect(&p[..30], 18, None),
            Err(OpenError::NoSample { .. })
        ));
        assert!(InitialKeys::new(0xff00_001d, &h(DCID)).is_none());
    }

    /// RFC 9000 Appendix A.3's example.
    #[test]
    fn packet_number_recovery() {
        assert_eq!(
            decode_packet_number(Some(0xa82f30ea), 0x9b32, 2),
            0xa82f9b32
        );
        assert_eq!(decode_packet_number(None, 0, 1), 0);
        assert_eq!(decode_packet_number(Some(255), 1, 1), 257);
    }
}
