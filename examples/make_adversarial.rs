//! Writes adversarial captures that try to make squirrel-sniff run out of memory, spin, or
//! panic: a SYN flood of half-open flows, a 1 GB out-of-order window, a huge Content-Length,
//! an endless chunked body, TLS lengths claiming 16 MB, a ClientHello cut into 1-byte records
//! and segments, and frames/files truncated every way.
//!
//! ```text
//! cargo run --release --example make_adversarial -- OUTDIR [--small] [--syns N] [--head-scans]
//!     [--head-scan-bytes N] [--memory]
//! ```
//!
//! `--head-scans` writes only the HTTP head-scanning shapes and their baselines
//! ([`head_scans`]) and the TCP analysis's byte-by-byte ACKs ([`ack_walks`]); `--head-scan-bytes` sets their bytes of lines per direction (4 MiB).
//!
//! Packets are built with etherparse's `PacketBuilder` and written with libpcap's savefile
//! (`pcap::Capture::dead` + `savefile`). The test `tests/adversarial.rs` includes this file
//! with `#[path]` and calls [`write_all`] with [`Scale::small`].
#![allow(dead_code)]

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use etherparse::PacketBuilder;
use pcap::{Capture, Dead, Linktype, Packet, PacketHeader, Savefile};

/// How big each adversarial file is. [`Scale::default`] are the sizes of the issue.
#[derive(Debug, Clone)]
pub struct Scale {
    /// (a) SYNs from distinct sources (each a half-open flow).
    pub syns: u32,
    /// (b) Out-of-order segments spread over `ooo_span` bytes ahead of the next expected byte.
    pub ooo_segments: u32,
    pub ooo_span: u32,
    /// (c) Body bytes sent after `Content-Length: 9999999999`.
    pub content_length_bytes: u64,
    /// (d) Chunks of an endless chunked body.
    pub chunks: u32,
    /// (e) Bytes sent of a handshake message claiming 16 MB.
    pub tls_claimed_bytes: u64,
    /// (f) Size the ClientHello is padded to (one 1-byte record/segment per byte).
    pub client_hello_len: usize,
    /// (h) Flows each sending 16 KiB no dissector recognises, the other side silent.
    pub undecided_flows: u32,
    /// (i) HTTP/2 floods: CONTINUATION and SETTINGS frames, and streams opened, per flood.
    pub h2_frames: u32,
    /// (i) DATA bytes sent on one HTTP/2 stream.
    pub h2_data_bytes: u64,
    /// (issue 16, item 6) Incomplete uploads in progress at once, and the body bytes each sends.
    pub uploads: u32,
    pub upload_bytes: u64,
    /// (issue 16, item 6) Idle flows, each holding an unfinished request head of `idle_bytes`.
    pub idle_flows: u32,
    pub idle_bytes: usize,
    /// (issue 16, item 6) Short complete exchanges (for `--follow all`).
    pub exchanges: u32,
}

impl Default for Scale {
    fn default() -> Self {
        Scale {
            syns: 1_000_000,
            ooo_segments: 100_000,
            ooo_span: 1 << 30,
            content_length_bytes: 64 << 20,
            chunks: 50_000,
            tls_claimed_bytes: 17 << 20,
            client_hello_len: 4096,
            undecided_flows: 10_000,
            h2_frames: 200_000,
            h2_data_bytes: 64 << 20,
            uploads: 40,
            upload_bytes: 8_500_000,
            idle_flows: 200_000,
            idle_bytes: 230,
            exchanges: 200_000,
        }
    }
}

impl Scale {
    /// Sizes for a debug-build test run: past every default bound, but quick.
    pub fn small() -> Self {
        Scale {
            syns: 150_000,
            ooo_segments: 20_000,
            ooo_span: 1 << 30,
            content_length_bytes: 12 << 20,
            chunks: 10_000,
            tls_claimed_bytes: 5 << 20,
            client_hello_len: 2048,
            undecided_flows: 3_000,
            h2_frames: 20_000,
            h2_data_bytes: 12 << 20,
            uploads: 12,
            upload_bytes: 3 << 20,
            idle_flows: 40_000,
            idle_bytes: 230,
            exchanges: 30_000,
        }
    }
}

/// One file written, and the exit status squirrel-sniff should give for it.
#[derive(Debug, Clone)]
pub struct Written {
    pub name: &'static str,
    pub path: PathBuf,
    pub frames: u64,
    /// 0, or 4 for a file cut mid-record.
    pub expected_exit: i32,
}

#[derive(Debug)]
pub struct GenError(String);

impl std::fmt::Display for GenError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for GenError {}

impl From<pcap::Error> for GenError {
    fn from(e: pcap::Error) -> Self {
        GenError(format!("pcap: {e}"))
    }
}

impl From<io::Error> for GenError {
    fn from(e: io::Error) -> Self {
        GenError(format!("io: {e}"))
    }
}

impl From<etherparse::err::packet::BuildWriteError> for GenError {
    fn from(e: etherparse::err::packet::BuildWriteError) -> Self {
        GenError(format!("build: {e}"))
    }
}

/// A pcap savefile being written, with a packet clock.
pub struct Out {
    // Kept alive for as long as the savefile that was opened from it.
    _dead: Capture<Dead>,
    save: Savefile,
    micros: u64,
    step_micros: u64,
    frames: u64,
    last_caplen: usize,
}

impl Out {
    pub fn create(path: &Path, step_micros: u64) -> Result<Out, GenError> {
        let dead = Capture::dead(Linktype::ETHERNET)?;
        let save = dead.savefile(path)?;
        Ok(Out {
            _dead: dead,
            save,
            micros: 1_700_000_000_000_000,
            step_micros,
            frames: 0,
            last_caplen: 0,
        })
    }

    /// Write `frame` with only its first `caplen` bytes captured.
    pub fn write_cut(&mut self, frame: &[u8], caplen: usize) {
        let caplen = caplen.min(frame.len());
        let header = PacketHeader {
            ts: libc::timeval {
                tv_sec: (self.micros / 1_000_000) as libc::time_t,
                tv_usec: (self.micros % 1_000_000) as libc::suseconds_t,
            },
            caplen: caplen as u32,
            len: frame.len() as u32,
        };
        self.save
            .write(&Packet::new(&header, frame.get(..caplen).unwrap_or(frame)));
        self.micros += self.step_micros;
        self.frames += 1;
        self.last_caplen = caplen;
    }

    pub fn write(&mut self, frame: &[u8]) {
        self.write_cut(frame, frame.len());
    }

    pub fn finish(mut self) -> Result<u64, GenError> {
        self.save.flush()?;
        Ok(self.frames)
    }
}

const CLIENT_MAC: [u8; 6] = [0x02, 0, 0, 0, 0, 0x01];
const SERVER_MAC: [u8; 6] = [0x02, 0, 0, 0, 0, 0x02];

/// TCP flag bits for [`tcp_frame`].
pub const SYN: u8 = 1;
pub const ACK: u8 = 2;
pub const PSH: u8 = 4;
pub const FIN: u8 = 8;

/// An Ethernet/IPv4/TCP frame.
pub fn tcp_frame(
    src: ([u8; 4], u16),
    dst: ([u8; 4], u16),
    seq: u32,
    ack: u32,
    flags: u8,
    payload: &[u8],
) -> Result<Vec<u8>, GenError> {
    let mut b = PacketBuilder::ethernet2(CLIENT_MAC, SERVER_MAC)
        .ipv4(src.0, dst.0, 64)
        .tcp(src.1, dst.1, seq, 65535);
    if flags & SYN != 0 {
        b = b.syn();
    }
    if flags & ACK != 0 {
        b = b.ack(ack);
    }
    if flags & PSH != 0 {
        b = b.psh();
    }
    if flags & FIN != 0 {
        b = b.fin();
    }
    let mut v = Vec::with_capacity(b.size(payload.len()));
    b.write(&mut v, payload)?;
    Ok(v)
}

/// An Ethernet/IPv6/TCP frame (PSH+ACK).
pub fn tcp6_frame(
    src: ([u8; 16], u16),
    dst: ([u8; 16], u16),
    seq: u32,
    payload: &[u8],
) -> Result<Vec<u8>, GenError> {
    let b = PacketBuilder::ethernet2(CLIENT_MAC, SERVER_MAC)
        .ipv6(src.0, dst.0, 64)
        .tcp(src.1, dst.1, seq, 65535)
        .ack(1)
        .psh();
    let mut v = Vec::with_capacity(b.size(payload.len()));
    b.write(&mut v, payload)?;
    Ok(v)
}

/// One TCP connection, tracking both sides' next sequence numbers.
pub struct Conn {
    pub client: ([u8; 4], u16),
    pub server: ([u8; 4], u16),
    pub c_next: u32,
    pub s_next: u32,
}

impl Conn {
    pub fn new(client: ([u8; 4], u16), server: ([u8; 4], u16)) -> Conn {
        Conn {
            client,
            server,
            c_next: 0x1000_0000,
            s_next: 0x8000_0000,
        }
    }

    pub fn handshake(&mut self, out: &mut Out) -> Result<(), GenError> {
        out.write(&tcp_frame(
            self.client,
            self.server,
            self.c_next,
            0,
            SYN,
            &[],
        )?);
        self.c_next = self.c_next.wrapping_add(1);
        out.write(&tcp_frame(
            self.server,
            self.client,
            self.s_next,
            self.c_next,
            SYN | ACK,
            &[],
        )?);
        self.s_next = self.s_next.wrapping_add(1);
        out.write(&tcp_frame(
            self.client,
            self.server,
            self.c_next,
            self.s_next,
            ACK,
            &[],
        )?);
        Ok(())
    }

    /// Client → server data, cut into segments of at most `mss` bytes.
    pub fn client_sends(&mut self, out: &mut Out, data: &[u8], mss: usize) -> Result<(), GenError> {
        for piece in data.chunks(mss.max(1)) {
            out.write(&tcp_frame(
                self.client,
                self.server,
                self.c_next,
                self.s_next,
                ACK | PSH,
                piece,
            )?);
            self.c_next = self.c_next.wrapping_add(piece.len() as u32);
        }
        Ok(())
    }

    /// One client → server segment at sequence number `seq` (nothing advanced).
    pub fn client_at(&self, out: &mut Out, seq: u32, payload: &[u8]) -> Result<(), GenError> {
        out.write(&tcp_frame(
            self.client,
            self.server,
            seq,
            self.s_next,
            ACK | PSH,
            payload,
        )?);
        Ok(())
    }

    /// Server → client data, cut into segments of at most `mss` bytes.
    pub fn server_sends(&mut self, out: &mut Out, data: &[u8], mss: usize) -> Result<(), GenError> {
        for piece in data.chunks(mss.max(1)) {
            out.write(&tcp_frame(
                self.server,
                self.client,
                self.s_next,
                self.c_next,
                ACK | PSH,
                piece,
            )?);
            self.s_next = self.s_next.wrapping_add(piece.len() as u32);
        }
        Ok(())
    }

    pub fn close(&mut self, out: &mut Out) -> Result<(), GenError> {
        out.write(&tcp_frame(
            self.client,
            self.server,
            self.c_next,
            self.s_next,
            FIN | ACK,
            &[],
        )?);
        self.c_next = self.c_next.wrapping_add(1);
        out.write(&tcp_frame(
            self.server,
            self.client,
            self.s_next,
            self.c_next,
            FIN | ACK,
            &[],
        )?);
        self.s_next = self.s_next.wrapping_add(1);
        out.write(&tcp_frame(
            self.client,
            self.server,
            self.c_next,
            self.s_next,
            ACK,
            &[],
        )?);
        Ok(())
    }
}

/// A small deterministic generator (Knuth's MMIX LCG), so files are identical run to run.
pub struct Lcg(pub u64);

impl Lcg {
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
}

const SERVER: ([u8; 4], u16) = ([192, 0, 2, 1], 80);
const TLS_SERVER: ([u8; 4], u16) = ([192, 0, 2, 1], 443);
const GET: &[u8] = b"GET /download HTTP/1.1\r\nHost: example.test\r\nUser-Agent: adversary\r\n\r\n";

/// (a) `syns` SYNs from distinct addresses and ports: that many half-open flows.
pub fn syn_flood(path: &Path, syns: u32) -> Result<u64, GenError> {
    let mut out = Out::create(path, 1)?;
    for i in 0..syns {
        let b = i.to_be_bytes();
        let src = ([10, b[1], b[2], b[3]], 1024 + (i % 60_000) as u16);
        out.write(&tcp_frame(
            src,
            SERVER,
            i.wrapping_mul(2_654_435_761),
            0,
            SYN,
            &[],
        )?);
    }
    out.finish()
}

/// (b) One flow whose first data byte never arrives, then `segments` out-of-order segments
/// spread (in shuffled order) over `span` bytes ahead of it: a claimed 1 GB window that
/// never fills.
pub fn ooo_window(path: &Path, segments: u32, span: u32) -> Result<u64, GenError> {
    let mut out = Out::create(path, 10)?;
    let mut c = Conn::new(([198, 51, 100, 7], 40000), SERVER);
    c.handshake(&mut out)?;
    let stride = (span / segments.max(1)).max(2);
    let len = (stride - 1).min(1000) as usize;
    let payload = vec![b'o'; len];
    let mut order: Vec<u32> = (0..segments).collect();
    let mut rng = Lcg(7);
    for i in (1..order.len()).rev() {
        let j = (rng.next_u64() % (i as u64 + 1)) as usize;
        order.swap(i, j);
    }
    for k in order {
        // Offset 0 is never sent, so nothing is ever in order.
        let seq = c
            .c_next
            .wrapping_add(1)
            .wrapping_add(k.wrapping_mul(stride));
        out.write(&tcp_frame(
            c.client,
            c.server,
            seq,
            c.s_next,
            ACK | PSH,
            &payload,
        )?);
    }
    out.finish()
}

/// (c) A response claiming `Content-Length: 9999999999`, followed by `body` bytes.
pub fn huge_content_length(path: &Path, body: u64) -> Result<u64, GenError> {
    let mut out = Out::create(path, 10)?;
    let mut c = Conn::new(([198, 51, 100, 8], 40001), SERVER);
    c.handshake(&mut out)?;
    c.client_sends(&mut out, GET, 1460)?;
    c.server_sends(
        &mut out,
        b"HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: 9999999999\r\n\r\n",
        1460,
    )?;
    let block = vec![b'b'; 1460];
    let mut left = body;
    while left > 0 {
        let n = left.min(block.len() as u64) as usize;
        c.server_sends(&mut out, block.get(..n).unwrap_or(&block), 1460)?;
        left -= n as u64;
    }
    c.close(&mut out)?;
    out.finish()
}

/// (d) A chunked response of `chunks` 1 KiB chunks that never ends (no last chunk, no FIN).
pub fn endless_chunked(path: &Path, chunks: u32) -> Result<u64, GenError> {
    let mut out = Out::create(path, 10)?;
    let mut c = Conn::new(([198, 51, 100, 9], 40002), SERVER);
    c.handshake(&mut out)?;
    c.client_sends(&mut out, GET, 1460)?;
    c.server_sends(
        &mut out,
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
        1460,
    )?;
    let mut chunk = b"400\r\n".to_vec();
    chunk.extend(std::iter::repeat_n(b'c', 0x400));
    chunk.extend_from_slice(b"\r\n");
    for _ in 0..chunks {
        c.server_sends(&mut out, &chunk, 1460)?;
    }
    out.finish()
}

/// One HTTP/2 frame.
pub fn h2_frame(kind: u8, flags: u8, stream: u32, payload: &[u8]) -> Vec<u8> {
    let mut v = (payload.len() as u32).to_be_bytes()[1..].to_vec();
    v.push(kind);
    v.push(flags);
    v.extend_from_slice(&stream.to_be_bytes());
    v.extend_from_slice(payload);
    v
}

/// The h2c client preface and an empty SETTINGS frame.
fn h2_start() -> Vec<u8> {
    let mut v = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".to_vec();
    v.extend(h2_frame(4, 0, 0, &[]));
    v
}

/// HPACK: GET http / with :authority a.bc (static-table references and one literal that is
/// not indexed).
const H2_GET: &[u8] = &[0x82, 0x86, 0x84, 0x01, 0x04, b'a', b'.', b'b', b'c'];

/// (i) HTTP/2 (h2c with the preface) attacks, one connection each:
/// 1. CONTINUATION flood: a HEADERS frame then `frames` CONTINUATION frames of 64 bytes
///    that never set END_HEADERS;
/// 2. HPACK bomb: per stream, a 4000-byte header indexed then referenced 16,000 times
///    (a 20 kB block decoding to a 64 MB header list), on 8 streams;
/// 3. SETTINGS flood: `frames` SETTINGS frames asking for a 4 GiB header table;
/// 4. stream flood: `frames` streams opened and never ended;
/// 5. one stream sending `data_bytes` of DATA in 16 KiB frames.
pub fn h2_floods(path: &Path, frames: u32, data_bytes: u64) -> Result<u64, GenError> {
    let mut out = Out::create(path, 10)?;
    let client = |n: u8| ([198, 51, 100, 40 + n], 41000 + u16::from(n));
    // 1. CONTINUATION flood.
    let mut c = Conn::new(client(1), SERVER);
    c.handshake(&mut out)?;
    let mut v = h2_start();
    v.extend(h2_frame(1, 0x01, 1, H2_GET));
    let cont = h2_frame(9, 0, 1, &[0x40; 64]);
    for _ in 0..frames {
        v.extend_from_slice(&cont);
        if v.len() > 64 << 10 {
            c.client_sends(&mut out, &v, 16384)?;
            v.clear();
        }
    }
    c.client_sends(&mut out, &v, 16384)?;
    c.close(&mut out)?;
    // 2. HPACK bomb.
    let mut c = Conn::new(client(2), SERVER);
    c.handshake(&mut out)?;
    let mut v = h2_start();
    for i in 0..8u32 {
        let mut b = H2_GET.to_vec();
        // Literal with incremental indexing, new name "x", 4000-byte value (127 + 3873).
        b.extend_from_slice(&[0x40, 0x01, b'x', 0x7f, 0xa1, 0x1e]);
        b.extend(std::iter::repeat_n(b'A', 4000));
        b.extend(std::iter::repeat_n(0xbe, 16_000));
        v.extend(h2_frame(1, 0x05, 2 * i + 1, &b));
    }
    c.client_sends(&mut out, &v, 16384)?;
    c.close(&mut out)?;
    // 3. SETTINGS flood.
    let mut c = Conn::new(client(3), SERVER);
    c.handshake(&mut out)?;
    let mut v = h2_start();
    let set = h2_frame(4, 0, 0, &[0, 1, 0xff, 0xff, 0xff, 0xff]);
    for _ in 0..frames {
        v.extend_from_slice(&set);
        if v.len() > 64 << 10 {
            c.client_sends(&mut out, &v, 16384)?;
            v.clear();
        }
    }
    c.client_sends(&mut out, &v, 16384)?;
    c.close(&mut out)?;
    // 4. Stream flood.
    let mut c = Conn::new(client(4), SERVER);
    c.handshake(&mut out)?;
    let mut v = h2_start();
    for i in 0..frames {
        v.extend(h2_frame(1, 0x04, 2 * i + 1, H2_GET));
        if v.len() > 64 << 10 {
            c.client_sends(&mut out, &v, 16384)?;
            v.clear();
        }
    }
    c.client_sends(&mut out, &v, 16384)?;
    c.close(&mut out)?;
    // 5. DATA on one stream.
    let mut c = Conn::new(client(5), SERVER);
    c.handshake(&mut out)?;
    let mut v = h2_start();
    v.extend(h2_frame(1, 0x05, 1, H2_GET));
    c.client_sends(&mut out, &v, 16384)?;
    c.server_sends(&mut out, &h2_frame(4, 0, 0, &[]), 16384)?;
    c.server_sends(&mut out, &h2_frame(1, 0x04, 1, &[0x88]), 16384)?;
    let data = h2_frame(0, 0, 1, &[b'd'; 16384]);
    let mut left = data_bytes;
    while left > 0 {
        c.server_sends(&mut out, &data, 16384 + 9)?;
        left = left.saturating_sub(16384);
    }
    c.server_sends(&mut out, &h2_frame(0, 0x01, 1, &[]), 16384)?;
    c.close(&mut out)?;
    out.finish()
}

/// A TLS record: content type, version, declared length, body (which may differ in length).
pub fn tls_record(content_type: u8, declared_len: u16, body: &[u8]) -> Vec<u8> {
    let mut r = vec![content_type, 3, 1];
    r.extend_from_slice(&declared_len.to_be_bytes());
    r.extend_from_slice(body);
    r
}

/// A ClientHello handshake message (type + u24 length + body) padded to about `total` bytes.
pub fn client_hello(sni: &str, total: usize) -> Vec<u8> {
    let mut body = vec![3, 3];
    body.extend((0u8..32).map(|i| i.wrapping_mul(7)));
    body.push(32);
    body.extend((0u8..32).map(|i| i.wrapping_mul(13)));
    let suites: [u16; 4] = [0x1301, 0x1302, 0xc02f, 0x009c];
    body.extend_from_slice(&((suites.len() * 2) as u16).to_be_bytes());
    for s in suites {
        body.extend_from_slice(&s.to_be_bytes());
    }
    body.extend_from_slice(&[1, 0]);
    let mut ext = Vec::new();
    // server_name
    let name = sni.as_bytes();
    ext.extend_from_slice(&0u16.to_be_bytes());
    ext.extend_from_slice(&((name.len() + 5) as u16).to_be_bytes());
    ext.extend_from_slice(&((name.len() + 3) as u16).to_be_bytes());
    ext.push(0);
    ext.extend_from_slice(&(name.len() as u16).to_be_bytes());
    ext.extend_from_slice(name);
    // supported_versions: TLS 1.3, 1.2
    ext.extend_from_slice(&[0x00, 0x2b, 0x00, 0x05, 0x04, 0x03, 0x04, 0x03, 0x03]);
    // padding up to the requested size
    let so_far = 4 + body.len() + 2 + ext.len() + 4;
    let pad = total.saturating_sub(so_far).min(0xffff);
    ext.extend_from_slice(&0x0015u16.to_be_bytes());
    ext.extend_from_slice(&(pad as u16).to_be_bytes());
    ext.extend(std::iter::repeat_n(0u8, pad));
    body.extend_from_slice(&(ext.len() as u16).to_be_bytes());
    body.extend_from_slice(&ext);
    let mut msg = vec![1];
    msg.extend_from_slice(&(body.len() as u32).to_be_bytes()[1..]);
    msg.extend_from_slice(&body);
    msg
}

/// (e) TLS lengths claiming 16 MB: a handshake message header of length 0xFFFFFF continued
/// over many records (`claimed_bytes` sent in all); records declaring 65535 bytes (past the
/// 2^14 + 2048 limit); an application-data record declaring 65535 bytes cut short by FIN.
pub fn tls_huge_lengths(path: &Path, claimed_bytes: u64) -> Result<u64, GenError> {
    let mut out = Out::create(path, 10)?;
    // Stream 0: a 16 MB handshake message spread over 16 KiB records.
    let mut c = Conn::new(([198, 51, 100, 10], 40003), TLS_SERVER);
    c.handshake(&mut out)?;
    let mut first = vec![1, 0xff, 0xff, 0xff, 3, 3];
    first.extend(std::iter::repeat_n(0x41u8, 16384 - first.len()));
    c.client_sends(&mut out, &tls_record(22, 16384, &first), 1460)?;
    let filler = tls_record(22, 16384, &[0x42; 16384]);
    let mut sent = 16384u64;
    while sent < claimed_bytes {
        c.client_sends(&mut out, &filler, 1460)?;
        sent += 16384;
    }
    c.close(&mut out)?;
    // Stream 1: records declaring 65535 bytes, each followed by that many bytes.
    let mut c = Conn::new(([198, 51, 100, 11], 40004), TLS_SERVER);
    c.handshake(&mut out)?;
    c.client_sends(
        &mut out,
        &tls_record(22, 0x1000, &client_hello("huge.example", 0x1000 - 4)),
        1460,
    )?;
    let big = tls_record(23, 0xffff, &[0x43; 0xffff]);
    for _ in 0..(claimed_bytes / 0xffff / 4).max(2) {
        c.server_sends(&mut out, &big, 1460)?;
    }
    c.close(&mut out)?;
    // Stream 2: a record declaring 65535 bytes with only 100 sent, then FIN.
    let mut c = Conn::new(([198, 51, 100, 12], 40005), TLS_SERVER);
    c.handshake(&mut out)?;
    c.client_sends(&mut out, &tls_record(23, 0xffff, &[0x44; 100]), 1460)?;
    // ... and a handshake header claiming 16 MB in a record that ends right after it.
    c.server_sends(&mut out, &tls_record(22, 4, &[2, 0xff, 0xff, 0xff]), 1460)?;
    c.close(&mut out)?;
    out.finish()
}

/// (f) A ClientHello of `hello_len` bytes cut into 1-byte TLS records, each in its own
/// segment (stream 0), and the same ClientHello as one record cut into 1-byte TCP segments
/// (stream 1).
pub fn tls_fragments(path: &Path, hello_len: usize) -> Result<u64, GenError> {
    let mut out = Out::create(path, 10)?;
    let hello = client_hello("fragments.example", hello_len);
    let mut c = Conn::new(([198, 51, 100, 13], 40006), TLS_SERVER);
    c.handshake(&mut out)?;
    for b in &hello {
        c.client_sends(&mut out, &tls_record(22, 1, &[*b]), 1460)?;
    }
    c.close(&mut out)?;
    let mut c = Conn::new(([198, 51, 100, 14], 40007), TLS_SERVER);
    c.handshake(&mut out)?;
    c.client_sends(&mut out, &tls_record(22, hello.len() as u16, &hello), 1)?;
    c.close(&mut out)?;
    out.finish()
}

/// (g) One normal HTTP request frame written once for every captured length from 0 to its
/// full length (caplen < len), IPv4 and IPv6, each cut copy on its own flow, then the same
/// cut at every length as segments of one flow.
pub fn truncated_frames(path: &Path) -> Result<u64, GenError> {
    let mut out = Out::create(path, 10)?;
    let v4 = tcp_frame(([198, 51, 100, 15], 0), SERVER, 1, 1, ACK | PSH, GET)?;
    for cut in 0..=v4.len() {
        let port = 20000 + cut as u16;
        let f = tcp_frame(([198, 51, 100, 15], port), SERVER, 1, 1, ACK | PSH, GET)?;
        out.write_cut(&f, cut);
    }
    let a = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
    let b = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2];
    let v6 = tcp6_frame((a, 0), (b, 80), 1, GET)?;
    for cut in 0..=v6.len() {
        let f = tcp6_frame((a, 30000 + cut as u16), (b, 80), 1, GET)?;
        out.write_cut(&f, cut);
    }
    // One flow: the request sent again and again, each copy captured a byte shorter.
    let mut c = Conn::new(([198, 51, 100, 16], 40008), SERVER);
    c.handshake(&mut out)?;
    for cut in (0..=v4.len()).rev() {
        let f = tcp_frame(c.client, c.server, c.c_next, c.s_next, ACK | PSH, GET)?;
        out.write_cut(&f, cut);
        c.c_next = c.c_next.wrapping_add(GET.len() as u32);
    }
    c.close(&mut out)?;
    out.finish()
}

/// (h) `flows` connections whose client sends 16 KiB that is neither HTTP nor TLS while the
/// server stays silent: the dispatcher holds each stream's bytes until it can decide.
pub fn undecided_flood(path: &Path, flows: u32) -> Result<u64, GenError> {
    let mut out = Out::create(path, 10)?;
    let junk: Vec<u8> = (0..16_384u32).map(|i| (i % 7) as u8).collect();
    for i in 0..flows {
        let b = i.to_be_bytes();
        let mut c = Conn::new(
            ([172, 16 + (b[1] & 15), b[2], b[3]], 50_000),
            ([192, 0, 2, 2], 7000),
        );
        c.handshake(&mut out)?;
        c.client_sends(&mut out, &junk, 1460)?;
    }
    out.finish()
}

/// Where [`cut_file`] cuts the last record.
#[derive(Debug, Clone, Copy)]
pub enum Cut {
    /// Half-way through the last record's packet data.
    MidData,
    /// Half-way through the last record's 16-byte header.
    MidHeader,
}

/// (g) A normal HTTP exchange whose file is cut inside its last record.
pub fn cut_file(path: &Path, cut: Cut) -> Result<u64, GenError> {
    let mut out = Out::create(path, 10)?;
    let mut c = Conn::new(([198, 51, 100, 17], 40009), SERVER);
    c.handshake(&mut out)?;
    c.client_sends(&mut out, GET, 1460)?;
    c.server_sends(
        &mut out,
        b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello",
        1460,
    )?;
    let last = out.last_caplen as u64;
    let cut_back = match cut {
        Cut::MidData => last / 2,
        Cut::MidHeader => last + 8,
    };
    let frames = out.finish()?;
    let len = fs::metadata(path)?.len();
    fs::OpenOptions::new()
        .write(true)
        .open(path)?
        .set_len(len.saturating_sub(cut_back))?;
    Ok(frames)
}

/// Every Bidi_Control character (U+061C ARABIC LETTER MARK among them) and other invisible
/// format characters (zero-width, word joiner, BOM, soft hyphen, language tag, Hangul filler).
pub const INVISIBLE: &[char] = &[
    '\u{061c}',
    '\u{200e}',
    '\u{200f}',
    '\u{202a}',
    '\u{202b}',
    '\u{202c}',
    '\u{202d}',
    '\u{202e}',
    '\u{2066}',
    '\u{2067}',
    '\u{2068}',
    '\u{2069}',
    '\u{200b}',
    '\u{2060}',
    '\u{feff}',
    '\u{00ad}',
    '\u{0600}',
    '\u{180e}',
    '\u{e0041}',
    '\u{3164}',
];

/// (issue 16, item 9) An HTTP exchange whose request line, headers, Basic credentials, form
/// body and response carry every character of [`INVISIBLE`].
pub fn bidi_controls(path: &Path) -> Result<u64, GenError> {
    let mut out = Out::create(path, 10)?;
    let mut c = Conn::new(([198, 51, 100, 18], 40010), SERVER);
    c.handshake(&mut out)?;
    let all: String = INVISIBLE.iter().collect();
    let user = format!("ad{all}min");
    let cred = base64_encode(format!("{user}:hunter2{all}").as_bytes());
    let body = format!("user={all}&password=pw{all}");
    let req = format!(
        "POST /login{all}?q={all} HTTP/1.1\r\nHost: ex{all}.test\r\nUser-Agent: {all}\r\n\
         Authorization: Basic {cred}\r\nContent-Type: application/x-www-form-urlencoded\r\n\
         Content-Length: {}\r\n\r\n{body}",
        body.len()
    );
    c.client_sends(&mut out, req.as_bytes(), 1460)?;
    let page = format!("<p>{all}</p>");
    let resp = format!(
        "HTTP/1.1 200 OK{all}\r\nSet-Cookie: s={all}\r\nContent-Type: text/html\r\n\
         Content-Length: {}\r\n\r\n{page}",
        page.len()
    );
    c.server_sends(&mut out, resp.as_bytes(), 1460)?;
    c.close(&mut out)?;
    out.finish()
}

/// Standard base64 (for Basic credentials in the generated requests).
pub fn base64_encode(data: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut s = String::new();
    for chunk in data.chunks(3) {
        let b = [
            chunk.first().copied().unwrap_or(0),
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                s.push(char::from(T[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                s.push('=');
            }
        }
    }
    s
}

/// A pcapng block (little-endian): type, total length, body padded to 4 bytes, length.
pub fn ng_block(kind: u32, body: &[u8]) -> Vec<u8> {
    let padded = body.len().div_ceil(4) * 4;
    let total = (12 + padded) as u32;
    let mut b = Vec::with_capacity(total as usize);
    b.extend_from_slice(&kind.to_le_bytes());
    b.extend_from_slice(&total.to_le_bytes());
    b.extend_from_slice(body);
    b.resize(8 + padded, 0);
    b.extend_from_slice(&total.to_le_bytes());
    b
}

/// A section header block of version `major.minor`.
pub fn ng_shb(major: u16, minor: u16) -> Vec<u8> {
    let mut body = 0x1a2b_3c4du32.to_le_bytes().to_vec();
    body.extend_from_slice(&major.to_le_bytes());
    body.extend_from_slice(&minor.to_le_bytes());
    body.extend_from_slice(&(-1i64).to_le_bytes());
    ng_block(0x0a0d_0d0a, &body)
}

/// An Ethernet interface description block (microsecond timestamps).
pub fn ng_idb() -> Vec<u8> {
    let mut body = 1u16.to_le_bytes().to_vec();
    body.extend_from_slice(&0u16.to_le_bytes());
    body.extend_from_slice(&65535u32.to_le_bytes());
    ng_block(1, &body)
}

/// An enhanced packet block on interface `if_id`.
pub fn ng_epb(if_id: u32, micros: u64, frame: &[u8]) -> Vec<u8> {
    let mut body = if_id.to_le_bytes().to_vec();
    body.extend_from_slice(&((micros >> 32) as u32).to_le_bytes());
    body.extend_from_slice(&(micros as u32).to_le_bytes());
    body.extend_from_slice(&(frame.len() as u32).to_le_bytes());
    body.extend_from_slice(&(frame.len() as u32).to_le_bytes());
    body.extend_from_slice(frame);
    ng_block(6, &body)
}

/// The obsolete packet block (type 2): u16 interface id, u16 drops count, then as an EPB.
pub fn ng_obsolete_pb(if_id: u16, micros: u64, frame: &[u8]) -> Vec<u8> {
    let mut body = if_id.to_le_bytes().to_vec();
    body.extend_from_slice(&0u16.to_le_bytes());
    body.extend_from_slice(&((micros >> 32) as u32).to_le_bytes());
    body.extend_from_slice(&(micros as u32).to_le_bytes());
    body.extend_from_slice(&(frame.len() as u32).to_le_bytes());
    body.extend_from_slice(&(frame.len() as u32).to_le_bytes());
    body.extend_from_slice(frame);
    ng_block(2, &body)
}

/// (issue 16, item 11) pcapng files tshark treats specially, as `(name, bytes, frames
/// tshark reads, error)`: obsolete packet blocks (read), and a packet before any interface
/// description, on an unknown interface, and a section of version 2.0 (errors).
pub fn pcapng_cases() -> Result<Vec<(&'static str, Vec<u8>)>, GenError> {
    let t = 1_700_000_000_000_000u64;
    let get = tcp_frame(([198, 51, 100, 19], 40011), SERVER, 1, 1, ACK | PSH, GET)?;
    let syn = tcp_frame(([198, 51, 100, 19], 40011), SERVER, 0, 0, SYN, &[])?;
    let mut cases = Vec::new();
    let mut f = ng_shb(1, 0);
    f.extend(ng_idb());
    f.extend(ng_obsolete_pb(0, t, &syn));
    f.extend(ng_obsolete_pb(0, t + 1000, &get));
    cases.push(("obsolete_packet_block.pcapng", f));
    let mut f = ng_shb(1, 0);
    f.extend(ng_epb(0, t, &get));
    f.extend(ng_idb());
    cases.push(("packet_before_idb.pcapng", f));
    let mut f = ng_shb(1, 0);
    f.extend(ng_idb());
    f.extend(ng_epb(0, t, &syn));
    f.extend(ng_epb(3, t + 1000, &get));
    cases.push(("unknown_interface.pcapng", f));
    let mut f = ng_shb(2, 0);
    f.extend(ng_idb());
    f.extend(ng_epb(0, t, &get));
    cases.push(("section_version_2.pcapng", f));
    Ok(cases)
}

/// The secret the evasion captures try to hide, and its request.
pub const EVASION_SECRET: &str = "hunter2";

/// `GET /secret` with `Authorization: Basic` of `admin:hunter2`.
pub fn secret_request() -> Vec<u8> {
    format!(
        "GET /secret HTTP/1.1\r\nHost: example.test\r\nAuthorization: Basic {}\r\n\r\n",
        evasion_basic_token()
    )
    .into_bytes()
}

/// The Basic credential of [`secret_request`] as sent (base64 of `admin:hunter2`).
pub fn evasion_basic_token() -> String {
    base64_encode(format!("admin:{EVASION_SECRET}").as_bytes())
}

/// Set the IPv4 total length of an Ethernet/IPv4 frame and fix the header checksum.
pub fn set_ipv4_total_len(frame: &mut [u8], total: u16) {
    if frame.len() < 34 {
        return;
    }
    frame[16..18].copy_from_slice(&total.to_be_bytes());
    frame[24..26].copy_from_slice(&[0, 0]);
    let mut sum = 0u32;
    for w in frame[14..34].chunks(2) {
        sum += u32::from(u16::from_be_bytes([w[0], w[1]]));
    }
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    frame[24..26].copy_from_slice(&(!(sum as u16)).to_be_bytes());
}

/// (issue 16, item 1) One 59-byte frame whose IPv4 total length claims 65535 (the record
/// is not cut by a snaplen: caplen = len = 59), then the real `GET /secret` with Basic
/// credentials at the same sequence number, and a response.
pub fn ip_length_lie(path: &Path) -> Result<u64, GenError> {
    let mut out = Out::create(path, 10)?;
    let mut c = Conn::new(([198, 51, 100, 20], 40012), SERVER);
    c.handshake(&mut out)?;
    let mut forged = tcp_frame(c.client, c.server, c.c_next, c.s_next, ACK | PSH, b"GET /")?;
    set_ipv4_total_len(&mut forged, 65535);
    out.write(&forged);
    c.client_sends(&mut out, &secret_request(), 1460)?;
    c.server_sends(
        &mut out,
        b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
        1460,
    )?;
    c.close(&mut out)?;
    out.finish()
}

/// Split an Ethernet/IPv4 frame's IP payload into fragments of `size` bytes (a multiple
/// of 8) with IP identification `id`, each with its header checksum fixed.
pub fn ipv4_fragments(frame: &[u8], id: u16, size: usize) -> Vec<Vec<u8>> {
    let (head, payload) = frame.split_at(34.min(frame.len()));
    let mut out = Vec::new();
    let mut at = 0;
    while at < payload.len() {
        let end = (at + size).min(payload.len());
        out.push(ipv4_fragment(
            head,
            id,
            at,
            end < payload.len(),
            &payload[at..end],
        ));
        at = end;
    }
    out
}

/// One fragment: `head` (Ethernet + 20-byte IPv4 header) with the fragment fields set,
/// carrying `bytes` at byte `offset` of the datagram's payload.
pub fn ipv4_fragment(head: &[u8], id: u16, offset: usize, more: bool, bytes: &[u8]) -> Vec<u8> {
    let mut f = head.to_vec();
    f.extend_from_slice(bytes);
    if f.len() >= 34 {
        f[18..20].copy_from_slice(&id.to_be_bytes());
        let frag = (u16::from(more) << 13) | ((offset / 8) as u16 & 0x1fff);
        f[20..22].copy_from_slice(&frag.to_be_bytes());
    }
    let total = (20 + bytes.len()) as u16;
    set_ipv4_total_len(&mut f, total);
    f
}

/// IP fragmentation as a way to hide a leak. Stream 0: the request with Basic credentials
/// of `admin:hunter2` sent as one TCP segment cut into 24-byte IPv4 fragments (the
/// credentials and the secret straddle fragment boundaries), the last fragment first, one
/// fragment sent twice. Stream 1: a decoy request whose middle fragment is sent again
/// with other bytes carrying the secret (an overlap that differs: the first copy wins, the
/// other is searched). Then the fragments of a datagram whose first fragment never comes,
/// carrying the secret: an eavesdropper saw it all the same.
pub fn ip_fragment_evasion(path: &Path) -> Result<u64, GenError> {
    let mut out = Out::create(path, 10)?;
    let mut c = Conn::new(([198, 51, 100, 30], 40030), SERVER);
    c.handshake(&mut out)?;
    let req = secret_request();
    let seg = tcp_frame(c.client, c.server, c.c_next, c.s_next, ACK | PSH, &req)?;
    let mut frags = ipv4_fragments(&seg, 0x5151, 24);
    if let Some(last) = frags.pop() {
        out.write(&last);
    }
    if let Some(second) = frags.get(1).cloned() {
        out.write(&second);
    }
    for f in &frags {
        out.write(f);
    }
    c.c_next = c.c_next.wrapping_add(req.len() as u32);
    c.server_sends(&mut out, b"HTTP/1.1 204 No Content\r\n\r\n", 1460)?;
    c.close(&mut out)?;

    let mut d = Conn::new(([198, 51, 100, 31], 40031), SERVER);
    d.handshake(&mut out)?;
    let decoy = b"GET /public HTTP/1.1\r\nHost: example.test\r\nX-Pad: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n\r\n";
    let seg = tcp_frame(d.client, d.server, d.c_next, d.s_next, ACK | PSH, decoy)?;
    let frags = ipv4_fragments(&seg, 0x5252, 48);
    let head = &seg[..34];
    for (i, f) in frags.iter().enumerate() {
        out.write(f);
        if i == 1 {
            // Bytes 48..96 of the datagram again, other bytes: the secret in a header.
            let mut other = seg[34 + 48..34 + 96].to_vec();
            let hidden = format!("X-Hidden: {EVASION_SECRET}\r\n");
            other[..hidden.len()].copy_from_slice(hidden.as_bytes());
            out.write(&ipv4_fragment(head, 0x5252, 48, true, &other));
        }
    }
    d.c_next = d.c_next.wrapping_add(decoy.len() as u32);
    d.server_sends(&mut out, b"HTTP/1.1 204 No Content\r\n\r\n", 1460)?;
    d.close(&mut out)?;

    let mut e = Conn::new(([198, 51, 100, 32], 40032), SERVER);
    e.handshake(&mut out)?;
    let lost = format!("GET /x HTTP/1.1\r\nHost: example.test\r\nX-Token: {EVASION_SECRET}-never-delivered\r\n\r\n");
    let seg = tcp_frame(
        e.client,
        e.server,
        e.c_next,
        e.s_next,
        ACK | PSH,
        lost.as_bytes(),
    )?;
    let frags = ipv4_fragments(&seg, 0x5353, 32);
    // The first fragment (the TCP header) never comes.
    for f in frags.iter().skip(1) {
        out.write(f);
    }
    out.finish()
}

/// (issue 16, item 2) Retransmissions that differ from what was delivered. Stream 0: a
/// request, then the same sequence number and length again carrying
/// `Authorization: Basic admin:hunter2` instead. Stream 1: a request delivered, then a
/// segment starting inside it (partial overlap) whose overlapping bytes differ and carry
/// the secret, followed by new bytes. Stream 2: an out-of-order segment buffered, then a
/// conflicting copy of it carrying the secret, then the gap filled.
pub fn conflicting_retransmissions(path: &Path) -> Result<u64, GenError> {
    let mut out = Out::create(path, 10)?;
    let decoy = b"GET /public HTTP/1.1\r\nHost: example.test\r\nX-Pad: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n\r\n";
    let hidden = format!("GET /public HTTP/1.1\r\nHost: example.test\r\nX-Pad: {EVASION_SECRET}");
    // Stream 0: same sequence, same length, other bytes (a secret in the second copy).
    let mut c = Conn::new(([198, 51, 100, 21], 40013), SERVER);
    c.handshake(&mut out)?;
    let mut second = format!(
        "GET /public HTTP/1.1\r\nHost: example.test\r\nAuthorization: Basic {}\r\nX: ",
        base64_encode(format!("admin:{EVASION_SECRET}").as_bytes())
    )
    .into_bytes();
    second.resize(decoy.len() - 4, b'a');
    second.extend_from_slice(b"\r\n\r\n");
    let seq = c.c_next;
    c.client_sends(&mut out, decoy, 1460)?;
    c.client_at(&mut out, seq, &second)?;
    c.server_sends(&mut out, b"HTTP/1.1 204 No Content\r\n\r\n", 1460)?;
    c.close(&mut out)?;
    // Stream 1: partial overlap onto delivered bytes.
    let mut c = Conn::new(([198, 51, 100, 22], 40014), SERVER);
    c.handshake(&mut out)?;
    let first = b"GET /a HTTP/1.1\r\nHost: example.test\r\nX-Note: ";
    let seq = c.c_next;
    c.client_sends(&mut out, first, 1460)?;
    let mut overlap = format!("Host: {EVASION_SECRET}.test\r\nX-Note: ").into_bytes();
    overlap.extend_from_slice(b"tail\r\n\r\n");
    let host_at = first.len() - "Host: example.test\r\nX-Note: ".len();
    c.client_at(&mut out, seq.wrapping_add(host_at as u32), &overlap)?;
    c.c_next = seq.wrapping_add((host_at + overlap.len()) as u32);
    c.server_sends(&mut out, b"HTTP/1.1 204 No Content\r\n\r\n", 1460)?;
    c.close(&mut out)?;
    // Stream 2: a buffered out-of-order segment, then a conflicting copy of it.
    let mut c = Conn::new(([198, 51, 100, 23], 40015), SERVER);
    c.handshake(&mut out)?;
    let seq = c.c_next;
    let bytes = decoy;
    let (head, tail) = bytes.split_at(20);
    let mut other_tail = hidden.into_bytes();
    other_tail.resize(bytes.len(), b'a');
    let other_tail = other_tail.get(20..).unwrap_or(&[]).to_vec();
    c.client_at(&mut out, seq.wrapping_add(20), tail)?;
    c.client_at(&mut out, seq.wrapping_add(20), &other_tail)?;
    c.client_at(&mut out, seq, head)?;
    c.c_next = seq.wrapping_add(bytes.len() as u32);
    c.server_sends(&mut out, b"HTTP/1.1 204 No Content\r\n\r\n", 1460)?;
    c.close(&mut out)?;
    out.finish()
}

/// (issue 16, item 3) Framing headers in the request-smuggling shapes: two Content-Length
/// headers that disagree (5 and 50), and Content-Length with Transfer-Encoding: chunked.
pub fn smuggling_shapes(path: &Path) -> Result<u64, GenError> {
    let mut out = Out::create(path, 10)?;
    let mut c = Conn::new(([198, 51, 100, 24], 40016), SERVER);
    c.handshake(&mut out)?;
    let mut req = b"POST /a HTTP/1.1\r\nHost: example.test\r\nContent-Length: 5\r\nContent-Length: 50\r\n\r\n".to_vec();
    req.extend(std::iter::repeat_n(b'x', 50));
    c.client_sends(&mut out, &req, 1460)?;
    c.server_sends(&mut out, b"HTTP/1.1 204 No Content\r\n\r\n", 1460)?;
    c.close(&mut out)?;
    let mut c = Conn::new(([198, 51, 100, 25], 40017), SERVER);
    c.handshake(&mut out)?;
    c.client_sends(
        &mut out,
        b"POST /b HTTP/1.1\r\nHost: example.test\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
        1460,
    )?;
    c.server_sends(&mut out, b"HTTP/1.1 204 No Content\r\n\r\n", 1460)?;
    c.close(&mut out)?;
    out.finish()
}

/// (issue 16, item 5) A response whose body repeats the secret `repeats` times (one
/// stream, one direction), and a request that sends the same Basic credentials on every
/// one of `repeats / 1000 + 2` keep-alive requests.
pub fn findings_flood(path: &Path, repeats: usize) -> Result<u64, GenError> {
    let mut out = Out::create(path, 10)?;
    let mut c = Conn::new(([198, 51, 100, 26], 40018), SERVER);
    c.handshake(&mut out)?;
    let requests = repeats / 1000 + 2;
    for _ in 0..requests {
        c.client_sends(&mut out, &secret_request(), 1460)?;
    }
    let unit = format!("{EVASION_SECRET} ");
    let body = unit.repeat(repeats);
    for i in 0..requests {
        let b = if i == 0 { body.as_str() } else { "ok" };
        let resp = format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n{b}", b.len());
        c.server_sends(&mut out, resp.as_bytes(), 1460)?;
    }
    c.close(&mut out)?;
    out.finish()
}

/// (issue 16, item 6) `uploads` POSTs, each declaring `body + 1 MiB` of body and sending
/// `body` bytes, interleaved segment by segment so every upload is in progress at once; none
/// completes and no side closes. The last upload carries `Authorization: Bearer` of the
/// evasion secret and the secret once more early in its body (a leak the budget must not
/// drop unsearched).
pub fn incomplete_uploads(path: &Path, uploads: u32, body: u64) -> Result<u64, GenError> {
    let mut out = Out::create(path, 10)?;
    let mut conns = Vec::new();
    for i in 0..uploads {
        let b = i.to_be_bytes();
        let mut c = Conn::new(([198, 51, 101, b[3]], 41000 + (i % 20000) as u16), SERVER);
        c.handshake(&mut out)?;
        let auth = if i + 1 == uploads {
            format!("Authorization: Bearer {EVASION_SECRET}\r\n")
        } else {
            String::new()
        };
        let head = format!(
            "POST /upload/{i} HTTP/1.1\r\nHost: example.test\r\n{auth}Content-Type: application/octet-stream\r\nContent-Length: {}\r\n\r\n",
            body + (1 << 20)
        );
        c.client_sends(&mut out, head.as_bytes(), 1460)?;
        conns.push(c);
    }
    let filler = vec![b'u'; 1460];
    let mut marked = filler.clone();
    let note = format!("password={EVASION_SECRET}&");
    marked
        .get_mut(100..100 + note.len())
        .ok_or_else(|| GenError("segment too small".into()))?
        .copy_from_slice(note.as_bytes());
    let mut sent = 0u64;
    let mut round = 0u64;
    while sent < body {
        let n = (body - sent).min(filler.len() as u64) as usize;
        let last = conns.len().saturating_sub(1);
        for (i, c) in conns.iter_mut().enumerate() {
            let piece = if i == last && round == 10 {
                &marked
            } else {
                &filler
            };
            c.client_sends(&mut out, piece.get(..n).unwrap_or(piece), 1460)?;
        }
        sent += n as u64;
        round += 1;
    }
    out.finish()
}

/// (issue 16, item 6) `flows` connections each sending `bytes` of an HTTP request head that
/// never ends (no blank line); nothing closes. Many idle flows, each with a little state.
pub fn small_flows(path: &Path, flows: u32, bytes: usize) -> Result<u64, GenError> {
    let mut out = Out::create(path, 10)?;
    let mut head = b"GET /idle HTTP/1.1\r\nHost: example.test\r\nX-Pad: ".to_vec();
    head.resize(bytes.max(head.len()), b'p');
    for i in 0..flows {
        let b = i.to_be_bytes();
        let mut c = Conn::new(
            (
                [10, 64 | (b[1] & 63), b[2], b[3]],
                20_000 + (i % 40_000) as u16,
            ),
            SERVER,
        );
        c.handshake(&mut out)?;
        c.client_sends(&mut out, &head, 1460)?;
    }
    out.finish()
}

/// (issue 16, item 6) `flows` complete small HTTP exchanges (request, 200 response of
/// `bytes` bytes, FIN both ways), one after the other: many short streams to follow.
pub fn small_exchanges(path: &Path, flows: u32, bytes: usize) -> Result<u64, GenError> {
    let mut out = Out::create(path, 10)?;
    let body = vec![b'r'; bytes];
    let mut resp = format!("HTTP/1.1 200 OK\r\nContent-Length: {bytes}\r\n\r\n").into_bytes();
    resp.extend_from_slice(&body);
    for i in 0..flows {
        let b = i.to_be_bytes();
        let mut c = Conn::new(
            (
                [10, 128 | (b[1] & 63), b[2], b[3]],
                20_000 + (i % 40_000) as u16,
            ),
            SERVER,
        );
        c.handshake(&mut out)?;
        c.client_sends(&mut out, GET, 1460)?;
        c.server_sends(&mut out, &resp, 1460)?;
        c.close(&mut out)?;
    }
    out.finish()
}

/// (issue 16, item 4) Bytes of HTTP lines `line` repeated, `len` bytes in all (the last
/// line cut).
pub fn repeated_lines(line: &str, len: usize) -> Vec<u8> {
    line.as_bytes().iter().copied().cycle().take(len).collect()
}

/// (issue 16, item 4) A head of `len` bytes (at least the start line and the fixed headers):
/// `start` line, `headers`, and an `X-Pad` header filling it up.
pub fn padded_head(start: &str, headers: &str, len: usize) -> Vec<u8> {
    let fixed = format!("{start}\r\n{headers}X-Pad: \r\n\r\n");
    let pad = "p".repeat(len.saturating_sub(fixed.len()));
    format!("{start}\r\n{headers}X-Pad: {pad}\r\n\r\n").into_bytes()
}

/// (issue 16, item 4) The shapes that made HTTP head scanning quadratic, each with a benign
/// baseline of the same bytes in the same segments, written into `dir`:
/// - `resync_lines.pcap`: `bytes` of `GET / HTTP/1.1\r\n` lines with no blank line from
///   the client and as many of `HTTP/1.1 200 OK\r\n` from the server, in 1460-byte
///   segments, then the secret request (Basic credentials) and a response;
/// - `lines_as_body.pcap`: the same lines as the bodies of a POST and of its response;
/// - `head_bytewise.pcap`: a request head of `head_len` bytes carrying the secret and a
///   response head as long, each in 1-byte segments;
/// - `body_bytewise.pcap`: as many bytes as bodies, in 1-byte segments.
pub fn head_scans(dir: &Path, bytes: usize, head_len: usize) -> Result<Vec<Written>, GenError> {
    fs::create_dir_all(dir)?;
    let requests = repeated_lines("GET / HTTP/1.1\r\n", bytes);
    let statuses = repeated_lines("HTTP/1.1 200 OK\r\n", bytes);
    let ok = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
    let mut done = Vec::new();
    let mut add = |name: &'static str, f: &dyn Fn(&mut Out) -> Result<(), GenError>| {
        let path = dir.join(name);
        let mut out = Out::create(&path, 10)?;
        f(&mut out)?;
        done.push(Written {
            name,
            path,
            frames: out.finish()?,
            expected_exit: 0,
        });
        Ok::<(), GenError>(())
    };
    add("resync_lines.pcap", &|out| {
        let mut c = Conn::new(([198, 51, 100, 30], 40030), SERVER);
        c.handshake(out)?;
        c.client_sends(out, &requests, 1460)?;
        c.client_sends(out, &secret_request(), 1460)?;
        c.server_sends(out, &statuses, 1460)?;
        c.server_sends(out, ok, 1460)?;
        c.close(out)
    })?;
    add("lines_as_body.pcap", &|out| {
        let mut c = Conn::new(([198, 51, 100, 31], 40031), SERVER);
        c.handshake(out)?;
        let mut req = format!(
            "POST /upload HTTP/1.1\r\nHost: example.test\r\nContent-Length: {}\r\n\r\n",
            requests.len()
        )
        .into_bytes();
        req.extend_from_slice(&requests);
        c.client_sends(out, &req, 1460)?;
        c.client_sends(out, &secret_request(), 1460)?;
        let mut resp = format!(
            "HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n",
            statuses.len()
        )
        .into_bytes();
        resp.extend_from_slice(&statuses);
        c.server_sends(out, &resp, 1460)?;
        c.server_sends(out, ok, 1460)?;
        c.close(out)
    })?;
    let basic = base64_encode(format!("admin:{EVASION_SECRET}").as_bytes());
    add("head_bytewise.pcap", &|out| {
        let mut c = Conn::new(([198, 51, 100, 32], 40032), SERVER);
        c.handshake(out)?;
        let req = padded_head(
            "GET /secret HTTP/1.1",
            &format!("Host: example.test\r\nAuthorization: Basic {basic}\r\n"),
            head_len,
        );
        c.client_sends(out, &req, 1)?;
        let mut resp = padded_head("HTTP/1.1 200 OK", "Content-Length: 2\r\n", head_len);
        resp.extend_from_slice(b"ok");
        c.server_sends(out, &resp, 1)?;
        c.close(out)
    })?;
    add("body_bytewise.pcap", &|out| {
        let mut c = Conn::new(([198, 51, 100, 33], 40033), SERVER);
        c.handshake(out)?;
        let body = vec![b'p'; head_len];
        let mut req = format!(
            "POST /secret HTTP/1.1\r\nHost: example.test\r\nAuthorization: Basic {basic}\r\nContent-Length: {}\r\n\r\n",
            body.len()
        )
        .into_bytes();
        let head = req.len();
        req.extend_from_slice(&body);
        c.client_sends(out, req.get(..head).unwrap_or(&[]), 1460)?;
        c.client_sends(out, &body, 1)?;
        let resp = format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n", body.len());
        c.server_sends(out, resp.as_bytes(), 1460)?;
        c.server_sends(out, &body, 1)?;
        c.close(out)
    })?;
    Ok(done)
}

/// (stop 35) The TCP analysis against ACKs that move one byte at a time, written into `dir`:
/// - `ack_bytewise.pcap`: a POST whose `body`-byte body goes in 1-byte segments, the client
///   keeping `ACK_WINDOW` of them unacknowledged while the server acknowledges one byte per
///   ACK (each ACK moves: the analysis matches it against what is outstanding);
/// - `ack_whole.pcap`: the same frames, each ACK acknowledging all that was sent.
pub fn ack_walks(dir: &Path, body: usize) -> Result<Vec<Written>, GenError> {
    fs::create_dir_all(dir)?;
    let mut done = Vec::new();
    for (name, whole) in [("ack_bytewise.pcap", false), ("ack_whole.pcap", true)] {
        let path = dir.join(name);
        let mut out = Out::create(&path, 10)?;
        ack_bytewise(&mut out, body, whole)?;
        done.push(Written {
            name,
            path,
            frames: out.finish()?,
            expected_exit: 0,
        });
    }
    Ok(done)
}

/// Segments the client of `ack_bytewise.pcap` keeps unacknowledged (the TCP analysis
/// remembers up to 10,000 per side).
pub const ACK_WINDOW: usize = 9_000;

/// A POST of a `body`-byte body in 1-byte segments, `ACK_WINDOW` of them sent before the
/// server's first ACK, then one ACK and one segment in turn: each ACK acknowledges one byte
/// more than the one before (`whole`: all that was sent).
fn ack_bytewise(out: &mut Out, body: usize, whole: bool) -> Result<(), GenError> {
    let mut c = Conn::new(([198, 51, 100, 34], 40034), SERVER);
    c.handshake(out)?;
    let mut req =
        format!("POST /upload HTTP/1.1\r\nHost: example.test\r\nContent-Length: {body}\r\n\r\n")
            .into_bytes();
    req.resize(req.len() + body, b'p');
    let mut acked = c.c_next;
    for (i, byte) in req.chunks(1).enumerate() {
        if i >= ACK_WINDOW {
            acked = if whole {
                c.c_next
            } else {
                acked.wrapping_add(1)
            };
            out.write(&tcp_frame(c.server, c.client, c.s_next, acked, ACK, &[])?);
        }
        c.client_sends(out, byte, 1)?;
    }
    c.server_sends(out, b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", 1460)?;
    c.close(out)
}

/// Write every adversarial file into `dir`.
pub fn write_all(dir: &Path, scale: &Scale) -> Result<Vec<Written>, GenError> {
    fs::create_dir_all(dir)?;
    let mut done = Vec::new();
    let mut add =
        |name: &'static str, expected_exit: i32, f: &dyn Fn(&Path) -> Result<u64, GenError>| {
            let path = dir.join(name);
            let frames = f(&path)?;
            done.push(Written {
                name,
                path,
                frames,
                expected_exit,
            });
            Ok::<(), GenError>(())
        };
    add("syn_flood.pcap", 0, &|p| syn_flood(p, scale.syns))?;
    add("ooo_window.pcap", 0, &|p| {
        ooo_window(p, scale.ooo_segments, scale.ooo_span)
    })?;
    add("huge_content_length.pcap", 0, &|p| {
        huge_content_length(p, scale.content_length_bytes)
    })?;
    add("endless_chunked.pcap", 0, &|p| {
        endless_chunked(p, scale.chunks)
    })?;
    add("tls_huge_lengths.pcap", 0, &|p| {
        tls_huge_lengths(p, scale.tls_claimed_bytes)
    })?;
    add("tls_fragments.pcap", 0, &|p| {
        tls_fragments(p, scale.client_hello_len)
    })?;
    add("truncated_frames.pcap", 0, &|p| truncated_frames(p))?;
    add("undecided_flood.pcap", 0, &|p| {
        undecided_flood(p, scale.undecided_flows)
    })?;
    add("h2_floods.pcap", 0, &|p| {
        h2_floods(p, scale.h2_frames, scale.h2_data_bytes)
    })?;
    add("cut_mid_data.pcap", 4, &|p| cut_file(p, Cut::MidData))?;
    add("cut_mid_header.pcap", 4, &|p| cut_file(p, Cut::MidHeader))?;
    Ok(done)
}

/// Write the memory-budget files of issue 16, item 6 into `dir` (the SYN flood for
/// `--conversations` is `syn_flood.pcap` of [`write_all`]).
pub fn write_memory(dir: &Path, scale: &Scale) -> Result<Vec<Written>, GenError> {
    fs::create_dir_all(dir)?;
    let mut done = Vec::new();
    let mut add = |name: &'static str, f: &dyn Fn(&Path) -> Result<u64, GenError>| {
        let path = dir.join(name);
        let frames = f(&path)?;
        done.push(Written {
            name,
            path,
            frames,
            expected_exit: 0,
        });
        Ok::<(), GenError>(())
    };
    add("incomplete_uploads.pcap", &|p| {
        incomplete_uploads(p, scale.uploads, scale.upload_bytes)
    })?;
    add("idle_flows.pcap", &|p| {
        small_flows(p, scale.idle_flows, scale.idle_bytes)
    })?;
    add("small_exchanges.pcap", &|p| {
        small_exchanges(p, scale.exchanges, 200)
    })?;
    add("syn_flood.pcap", &|p| syn_flood(p, scale.syns))?;
    Ok(done)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let mut dir: Option<PathBuf> = None;
    let mut scale = Scale::default();
    let mut memory = false;
    let mut head_scans_only = false;
    // The head-scan shapes at the sizes of the issue: 4 MB of lines, a 60 KB head.
    let mut lines: usize = 4 << 20;
    while let Some(a) = args.next() {
        match a.as_str() {
            "--small" => scale = Scale::small(),
            "--head-scans" => head_scans_only = true,
            "--head-scan-bytes" => {
                let n = args.next().ok_or("--head-scan-bytes takes a size")?;
                lines = n
                    .parse()
                    .map_err(|_| format!("--head-scan-bytes: not a size: {n}"))?;
            }
            "--memory" => memory = true,
            "--syns" => {
                let n = args.next().ok_or("--syns takes a count")?;
                scale.syns = n.parse().map_err(|_| format!("--syns: not a count: {n}"))?;
            }
            _ if dir.is_none() => dir = Some(PathBuf::from(a)),
            _ => return Err(format!("unexpected argument: {a}").into()),
        }
    }
    let dir = dir.ok_or(
        "usage: make_adversarial OUTDIR [--small] [--syns N] [--head-scans] [--head-scan-bytes N] \
         [--memory]",
    )?;
    if memory {
        for w in write_memory(&dir, &scale)? {
            let size = fs::metadata(&w.path).map(|m| m.len()).unwrap_or(0);
            println!("{:<26} {:>9} frames {:>12} bytes", w.name, w.frames, size);
        }
        return Ok(());
    }
    let mut written = head_scans(&dir, lines, 60_000)?;
    written.extend(ack_walks(&dir, 60_000)?);
    if !head_scans_only {
        written.extend(write_all(&dir, &scale)?);
    }
    for w in written {
        let size = fs::metadata(&w.path).map(|m| m.len()).unwrap_or(0);
        println!("{:<26} {:>9} frames {:>12} bytes", w.name, w.frames, size);
    }
    Ok(())
}
