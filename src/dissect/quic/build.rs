//! Client Initial packets built from a TLS handshake message, protected with the keys
//! derived from the DCID: inputs for tests and fuzz seeds (a ClientHello spread over
//! several Initial packets, as post-quantum key shares make it).

use super::keys::{InitialKeys, PacketKeys};

/// Smallest datagram carrying a client Initial (RFC 9000 §14.1).
pub const MIN_INITIAL_DATAGRAM: usize = 1200;

fn varint(v: u64) -> Vec<u8> {
    match v {
        0..=63 => vec![v as u8],
        64..=16383 => ((v as u16) | 0x4000).to_be_bytes().to_vec(),
        16384..=1_073_741_823 => ((v as u32) | 0x8000_0000).to_be_bytes().to_vec(),
        _ => (v | 0xc000_0000_0000_0000).to_be_bytes().to_vec(),
    }
}

/// One protected long-header Initial packet with `payload` (frames), packet number `pn`
/// (2 bytes on the wire), padded with PADDING to fill a 1200-byte datagram.
fn initial(
    keys: &PacketKeys,
    version: u32,
    dcid: &[u8],
    scid: &[u8],
    pn: u64,
    payload: &[u8],
) -> Option<Vec<u8>> {
    // Long header, fixed bit, Initial type (v1: 0b00, v2: 0b01), 2-byte packet number.
    let ty: u8 = if version == super::keys::VERSION_2 {
        0x10
    } else {
        0x00
    };
    let mut head = vec![0xc1 | ty];
    head.extend_from_slice(&version.to_be_bytes());
    head.push(u8::try_from(dcid.len()).ok()?);
    head.extend_from_slice(dcid);
    head.push(u8::try_from(scid.len()).ok()?);
    head.extend_from_slice(scid);
    head.push(0); // no token
                  // Pad the payload so the datagram reaches 1200 bytes: header + 2-byte Length + 2-byte
                  // packet number + payload + 16-byte tag.
    let fixed = head.len() + 2 + 2 + 16;
    let mut body = payload.to_vec();
    if fixed + body.len() < MIN_INITIAL_DATAGRAM {
        body.resize(MIN_INITIAL_DATAGRAM - fixed, 0);
    }
    let length = u16::try_from(2 + body.len() + 16).ok()?;
    head.extend_from_slice(&(length | 0x4000).to_be_bytes());
    head.extend_from_slice(&u16::try_from(pn).ok()?.to_be_bytes());
    keys.protect(&head, pn, &body)
}

/// Client Initial datagrams carrying `handshake` (a whole TLS handshake message, e.g. a
/// ClientHello with its 4-byte header) in CRYPTO frames of at most `chunk` bytes, one
/// packet per datagram, in order.
pub fn client_initials(
    version: u32,
    dcid: &[u8],
    scid: &[u8],
    handshake: &[u8],
    chunk: usize,
) -> Option<Vec<Vec<u8>>> {
    let keys = InitialKeys::new(version, dcid)?;
    let mut out = Vec::new();
    for (i, part) in handshake.chunks(chunk.max(1)).enumerate() {
        let offset = (i * chunk.max(1)) as u64;
        let mut frame = vec![0x06];
        frame.extend(varint(offset));
        frame.extend(varint(part.len() as u64));
        frame.extend_from_slice(part);
        out.push(initial(
            &keys.client,
            version,
            dcid,
            scid,
            i as u64,
            &frame,
        )?);
    }
    Some(out)
}

/// A small TLS 1.3 ClientHello handshake message (header included) offering `sni` and
/// ALPN `h3`, with an encrypted_client_hello extension when `ech` is set.
pub fn sample_client_hello(sni: &[u8], ech: bool, padding: usize) -> Vec<u8> {
    let ext = |id: u16, data: &[u8]| -> Vec<u8> {
        let mut v = id.to_be_bytes().to_vec();
        v.extend_from_slice(&(data.len() as u16).to_be_bytes());
        v.extend_from_slice(data);
        v
    };
    let mut sni_ext = ((sni.len() + 3) as u16).to_be_bytes().to_vec();
    sni_ext.push(0);
    sni_ext.extend_from_slice(&(sni.len() as u16).to_be_bytes());
    sni_ext.extend_from_slice(sni);
    let mut exts = ext(0, &sni_ext);
    exts.extend(ext(16, b"\x00\x03\x02h3"));
    exts.extend(ext(43, b"\x02\x03\x04"));
    exts.extend(ext(10, b"\x00\x02\x00\x1d"));
    exts.extend(ext(13, b"\x00\x02\x04\x03"));
    if ech {
        // Outer ClientHello, HKDF-SHA256, AES-128-GCM, config 7, 32-byte enc, 16-byte payload.
        let mut e = vec![0, 0, 1, 0, 1, 7, 0, 32];
        e.extend_from_slice(&[0x11; 32]);
        e.extend_from_slice(&[0, 16]);
        e.extend_from_slice(&[0x22; 16]);
        exts.extend(ext(0xfe0d, &e));
    }
    if padding > 0 {
        // A large key share, as X25519MLKEM768 makes it (the reason it spans packets).
        let mut ks = ((padding + 4) as u16).to_be_bytes().to_vec();
        ks.extend_from_slice(&0x11ecu16.to_be_bytes());
        ks.extend_from_slice(&(padding as u16).to_be_bytes());
        ks.extend(std::iter::repeat_n(0x5a, padding));
        exts.extend(ext(51, &ks));
    }
    let mut body = vec![3, 3];
    body.extend_from_slice(&[0x42; 32]);
    body.push(0); // session id
    body.extend_from_slice(&[0, 2, 0x13, 0x01]);
    body.extend_from_slice(&[1, 0]);
    body.extend_from_slice(&(exts.len() as u16).to_be_bytes());
    body.extend(exts);
    let mut msg = vec![1];
    msg.extend_from_slice(&(body.len() as u32).to_be_bytes()[1..]);
    msg.extend(body);
    msg
}
