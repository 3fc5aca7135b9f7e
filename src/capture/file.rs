//! Reading saved captures: pcap (both byte orders, micro- and nanosecond) and pcapng (any
//! number of sections and interfaces, per-interface link types and time resolutions).
//!
//! Parsing of the file format is pcap-parser's; this module keeps the per-section state
//! (interfaces, time resolution) and turns blocks into [`RawPacket`]s.

use std::io::Read;
use std::ops::Range;
use std::path::{Path, PathBuf};

use pcap_parser::traits::{PcapNGPacketBlock, PcapReaderIterator};
use pcap_parser::{Block, PcapBlockOwned, PcapError};

use super::{CaptureError, RawPacket, Timestamp};

/// Largest single record accepted (a pcapng block or pcap record). Larger means corrupt.
const MAX_RECORD: usize = 16 << 20;
const INITIAL_BUFFER: usize = 256 << 10;

/// The two bytes that start a gzip stream (RFC 1952).
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// `input`, decompressed when it starts as a gzip stream (`.pcap.gz`, `.pcapng.gz`, gzip on
/// standard input; concatenated members are read in turn, as gzip does). Sniffed by the
/// magic bytes, not the name.
pub fn gunzip_if_compressed(
    mut input: Box<dyn Read + Send>,
) -> std::io::Result<Box<dyn Read + Send>> {
    let mut head = [0u8; 2];
    let mut got = 0;
    while got < head.len() {
        match input.read(head.get_mut(got..).unwrap_or_default()) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    let gzip = got == GZIP_MAGIC.len() && head == GZIP_MAGIC;
    let whole = Prefixed {
        head,
        at: 0,
        len: got,
        rest: input,
    };
    if gzip {
        Ok(Box::new(flate2::read::MultiGzDecoder::new(
            std::io::BufReader::new(whole),
        )))
    } else {
        Ok(Box::new(whole))
    }
}

/// The bytes read to sniff the format, then the rest of the input. A read returns the
/// sniffed bytes together with what follows (the capture reader expects its header whole).
struct Prefixed {
    head: [u8; 2],
    at: usize,
    len: usize,
    rest: Box<dyn Read + Send>,
}

impl Read for Prefixed {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let head = self.head.get(self.at..self.len).unwrap_or_default();
        let n = head.len().min(buf.len());
        if let (Some(dst), Some(src)) = (buf.get_mut(..n), head.get(..n)) {
            dst.copy_from_slice(src);
        }
        self.at += n;
        match buf.get_mut(n..) {
            Some(more) if !more.is_empty() => match self.rest.read(more) {
                Ok(m) => Ok(n + m),
                Err(_) if n > 0 => Ok(n),
                Err(e) => Err(e),
            },
            _ => Ok(n),
        }
    }
}

/// Whether the file at `path` is gzip-compressed.
fn is_gzip_file(path: &Path) -> bool {
    let mut head = [0u8; 2];
    std::fs::File::open(path)
        .and_then(|mut f| f.read_exact(&mut head))
        .is_ok_and(|_| head == GZIP_MAGIC)
}

/// The bytes of `path`, or standard input when `path` is `-`, decompressed when gzip; a
/// directory is refused.
pub fn open_input(path: &Path) -> Result<Box<dyn Read + Send>, CaptureError> {
    let read_err = |source| CaptureError::Read {
        path: path.to_path_buf(),
        source,
    };
    if path == Path::new("-") {
        return gunzip_if_compressed(Box::new(std::io::stdin())).map_err(read_err);
    }
    let f = std::fs::File::open(path).map_err(|source| CaptureError::Open {
        path: path.to_path_buf(),
        source,
    })?;
    if f.metadata().map(|m| m.is_dir()).unwrap_or(false) {
        return Err(CaptureError::Open {
            path: path.to_path_buf(),
            source: std::io::Error::other("is a directory"),
        });
    }
    gunzip_if_compressed(Box::new(f)).map_err(read_err)
}

/// The container format of a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileFormat {
    Pcap,
    Pcapng,
}

#[derive(Debug, Clone)]
struct Interface {
    link: u32,
    /// Units per second of the timestamps.
    resolution: u64,
    offset: i64,
    snaplen: u32,
}

/// What is known of the file after its header.
#[derive(Debug, Clone)]
pub struct FileInfo {
    pub format: FileFormat,
    pub big_endian: bool,
    pub nanosecond: bool,
    pub version: (u16, u16),
    pub snaplen: u32,
    /// Link type of the pcap header or of the first pcapng interface.
    pub link: Option<u32>,
}

/// A saved capture being read, packet by packet.
pub struct FileSource {
    path: PathBuf,
    reader: Box<dyn PcapReaderIterator + Send>,
    buffer_size: usize,
    st: State,
    packets: u64,
    done: bool,
    /// The packet `next_packet` returned last; its bytes are still in the reader's buffer.
    current: Option<PacketMeta>,
    /// Bytes of the block `next_packet` returned last, consumed at the next call: until
    /// then the packet's bytes are read where they lie in the reader's buffer, not copied.
    unconsumed: usize,
}

/// Everything but the reader, so that a block borrowed from the reader can update it.
struct State {
    info: FileInfo,
    /// pcapng: interfaces of the current section.
    interfaces: Vec<Interface>,
    legacy_link: u32,
    legacy_nanos: bool,
    /// pcap: a little-endian file of the standard format (pcap-parser's reader reads its
    /// records with `parse_pcap_frame`).
    legacy_plain: bool,
    /// pcapng: byte order of the current section.
    section_big_endian: bool,
    last_ts: Timestamp,
    /// Receives the TLS key log text of each Decryption Secrets Block as it is read.
    tls_secrets: Option<SecretsSink>,
    tls_secrets_bytes: usize,
}

/// The block type that starts a pcapng file: its Section Header Block (pcapng §4.1).
const PCAPNG_SHB: [u8; 4] = [0x0a, 0x0d, 0x0d, 0x0a];
/// Bytes of a pcap file header; of a pcapng Section Header Block without options.
const PCAP_HEADER: usize = 24;
const PCAPNG_SHB_MIN: usize = 28;

/// How many bytes the first block of a capture takes, as far as `head` tells: the pcap file
/// header, or the Section Header Block's own length once its byte-order magic is read.
fn first_block_len(head: &[u8]) -> usize {
    if !head.starts_with(&PCAPNG_SHB) {
        return PCAP_HEADER;
    }
    let (Some(len), Some(magic)) = (head.get(4..8), head.get(8..12)) else {
        return PCAPNG_SHB_MIN;
    };
    let len = <[u8; 4]>::try_from(len).unwrap_or_default();
    let len = match magic {
        [0x1a, 0x2b, 0x3c, 0x4d] => u32::from_be_bytes(len),
        _ => u32::from_le_bytes(len),
    };
    usize::try_from(len)
        .unwrap_or(INITIAL_BUFFER)
        .clamp(PCAPNG_SHB_MIN, INITIAL_BUFFER)
}

/// The capture reader for `input`. The first block (pcap header or pcapng Section Header
/// Block) is read whole first, and the reader made for its format is handed exactly those
/// bytes before the rest: its first read then needs no more from `input`. (pcap-parser's
/// `create_reader` reads a second time before it returns, so from a pipe the first packets
/// would wait for the writer's next ones.)
fn reader_for(
    mut input: Box<dyn Read + Send>,
) -> Result<Box<dyn PcapReaderIterator + Send>, PcapError<&'static [u8]>> {
    let mut head = Vec::with_capacity(PCAPNG_SHB_MIN);
    let mut chunk = [0u8; 512];
    while head.len() < first_block_len(&head) {
        let want = (first_block_len(&head) - head.len()).min(chunk.len());
        match input.read(chunk.get_mut(..want).unwrap_or_default()) {
            Ok(0) => break,
            Ok(n) => head.extend_from_slice(chunk.get(..n).unwrap_or_default()),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => return Err(PcapError::ReadError),
        }
    }
    let pcapng = head.starts_with(&PCAPNG_SHB);
    let legacy = !pcapng && pcap_parser::parse_pcap_header(&head).is_ok();
    let whole = std::io::Cursor::new(head).chain(input);
    if pcapng {
        let r = pcap_parser::PcapNGReader::new(INITIAL_BUFFER, whole)?;
        Ok(Box::new(r))
    } else if legacy {
        let r = pcap_parser::LegacyPcapReader::new(INITIAL_BUFFER, whole)?;
        Ok(Box::new(r))
    } else {
        // Not a capture, or cut inside its header: pcap-parser says which.
        pcap_parser::create_reader(INITIAL_BUFFER, whole)
    }
}

/// Where a file's TLS key log secrets go (the decryption stage's key store).
pub type SecretsSink = Box<dyn FnMut(&[u8]) + Send>;

/// Bytes of Decryption Secrets Blocks kept from one file (a bound against a hostile file).
const MAX_SECRETS_BYTES: usize = 64 << 20;

impl FileSource {
    /// Open `path`, or standard input when `path` is `-`.
    pub fn open(path: &Path) -> Result<FileSource, CaptureError> {
        Self::from_reader(path, open_input(path)?)
    }

    /// Read a capture from any reader; `path` names it in messages.
    pub fn from_reader(
        path: &Path,
        input: Box<dyn Read + Send>,
    ) -> Result<FileSource, CaptureError> {
        let path = path.to_path_buf();
        let reader = match reader_for(input) {
            Ok(r) => r,
            Err(PcapError::Eof) => return Err(CaptureError::Empty { path }),
            Err(PcapError::ReadError) => {
                return Err(CaptureError::Read {
                    path,
                    source: std::io::Error::other("read failed"),
                })
            }
            Err(PcapError::Incomplete(_)) | Err(PcapError::UnexpectedEof) => {
                return Err(CaptureError::Truncated { path, packets: 0 })
            }
            Err(_) => return Err(CaptureError::NotACapture { path }),
        };
        let mut src = FileSource {
            path,
            reader,
            buffer_size: INITIAL_BUFFER,
            st: State {
                info: FileInfo {
                    format: FileFormat::Pcap,
                    big_endian: false,
                    nanosecond: false,
                    version: (0, 0),
                    snaplen: 0,
                    link: None,
                },
                interfaces: Vec::new(),
                legacy_link: 0,
                legacy_nanos: false,
                legacy_plain: false,
                section_big_endian: false,
                last_ts: Timestamp::default(),
                tls_secrets: None,
                tls_secrets_bytes: 0,
            },
            packets: 0,
            done: false,
            current: None,
            unconsumed: 0,
        };
        src.read_header()?;
        Ok(src)
    }

    /// The same file opened again from its start, for a second reader: `None` when it cannot
    /// be read twice the same cheap way (standard input, a pipe or other non-regular file, a
    /// gzip-compressed file, which would be inflated once per reader) or fails to open.
    pub fn reopen(&self) -> Option<FileSource> {
        if self.path == Path::new("-") || is_gzip_file(&self.path) {
            return None;
        }
        if !std::fs::metadata(&self.path).is_ok_and(|m| m.is_file()) {
            return None;
        }
        FileSource::open(&self.path).ok()
    }

    pub fn info(&self) -> &FileInfo {
        &self.st.info
    }

    /// Hand the TLS key logs of pcapng Decryption Secrets Blocks (type `TLSK`) to `sink` as
    /// they are read (a block comes before the packets it opens).
    pub fn on_tls_secrets(&mut self, sink: SecretsSink) {
        self.st.tls_secrets = Some(sink);
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Link type of the first packet's interface, when known before reading packets.
    pub fn first_link(&self) -> Option<u32> {
        self.st.info.link
    }

    /// Read until the first packet-bearing information (pcap header, or the pcapng section
    /// header and its first interface) so that `info()` is filled in.
    fn read_header(&mut self) -> Result<(), CaptureError> {
        // The first block is the pcap header or the pcapng SHB.
        let consumed = loop {
            match self.reader.next() {
                Ok((n, block)) => {
                    match block {
                        PcapBlockOwned::LegacyHeader(h) => {
                            if h.version_major != 2 {
                                return Err(CaptureError::BadVersion {
                                    path: self.path.clone(),
                                    major: h.version_major,
                                    minor: h.version_minor,
                                });
                            }
                            // The upper bits of the link-type field carry FCS information (LT_LINKTYPE).
                            self.st.legacy_link = (h.network.0 as u32) & 0x03ff_ffff;
                            self.st.legacy_nanos = h.is_nanosecond_precision();
                            self.st.legacy_plain = !h.is_modified_format() && !h.is_bigendian();
                            self.st.info = FileInfo {
                                format: FileFormat::Pcap,
                                big_endian: h.is_bigendian(),
                                nanosecond: self.st.legacy_nanos,
                                version: (h.version_major, h.version_minor),
                                snaplen: h.snaplen,
                                link: Some(self.st.legacy_link),
                            };
                        }
                        PcapBlockOwned::NG(Block::SectionHeader(shb)) => {
                            if shb.major_version != 1 {
                                return Err(CaptureError::BadVersion {
                                    path: self.path.clone(),
                                    major: shb.major_version,
                                    minor: shb.minor_version,
                                });
                            }
                            self.st.section_big_endian = shb.big_endian();
                            self.st.info = FileInfo {
                                format: FileFormat::Pcapng,
                                big_endian: shb.big_endian(),
                                nanosecond: false,
                                version: (shb.major_version, shb.minor_version),
                                snaplen: 0,
                                link: None,
                            };
                        }
                        _ => {}
                    }
                    break n;
                }
                Err(PcapError::Incomplete(_)) => self.refill_or_fail(0)?,
                Err(PcapError::Eof) | Err(PcapError::UnexpectedEof) => {
                    return Err(CaptureError::Truncated {
                        path: self.path.clone(),
                        packets: 0,
                    })
                }
                Err(_) => {
                    return Err(CaptureError::NotACapture {
                        path: self.path.clone(),
                    })
                }
            }
        };
        self.reader.consume(consumed);
        Ok(())
    }

    /// Refill the buffer after an Incomplete; grow it when a record does not fit.
    fn refill_or_fail(&mut self, needed: usize) -> Result<(), CaptureError> {
        let available = self.reader.data().len();
        if available + needed >= self.buffer_size || needed > self.buffer_size / 2 {
            let want = (available + needed + 1024).max(self.buffer_size * 2);
            if want > MAX_RECORD + INITIAL_BUFFER {
                // An error ends the file: the next call gives `Ok(None)`, not the error again.
                self.done = true;
                return Err(CaptureError::RecordTooLarge {
                    path: self.path.clone(),
                    len: available + needed,
                    limit: MAX_RECORD,
                });
            }
            if self.reader.grow(want) {
                self.buffer_size = want;
            }
        }
        let path = &self.path;
        let refilled = self.reader.refill().map_err(|_| CaptureError::Read {
            path: path.clone(),
            source: std::io::Error::other("read failed"),
        });
        self.done |= refilled.is_err();
        refilled
    }

    /// The next packet, `Ok(None)` at the end of the file.
    pub fn next_packet(&mut self) -> Result<Option<RawPacket<'_>>, CaptureError> {
        self.current = None;
        // The previous packet's block. Without shifting the buffer: the next refill moves
        // what is left to its front once, where a shift per block would move it each time.
        self.reader
            .consume_noshift(std::mem::take(&mut self.unconsumed));
        if self.done {
            return Ok(None);
        }
        loop {
            // The common block goes to pcap-parser's Enhanced Packet Block parser directly
            // (see `direct_epb`); a little-endian pcap record to its record parser, the one
            // its reader calls for such a file (anything it does not accept whole goes to the
            // reader, which reads, or rejects, it as before).
            let direct = match self.st.info.format {
                FileFormat::Pcapng if !self.st.section_big_endian => direct_epb(self.reader.data())
                    .map(|epb| {
                        self.st
                            .timed_packet(epb.if_id, epb.ts_high, epb.ts_low, epb.origlen, epb.data)
                            .map(|meta| (epb.len, meta))
                    }),
                FileFormat::Pcap if self.st.legacy_plain => {
                    let buf = self.reader.data();
                    pcap_parser::parse_pcap_frame(buf).ok().map(|(rest, b)| {
                        let meta = self.st.legacy_packet(&b, buf.as_ptr() as usize);
                        Ok((buf.len() - rest.len(), Some(meta)))
                    })
                }
                _ => None,
            };
            let step = if let Some(step) = direct {
                step
            } else {
                // Where the block handed out next starts: the packet's bytes are found by
                // their place in the buffer (`next` parses in place; only `refill` moves it).
                let base = self.reader.data().as_ptr() as usize;
                match self.reader.next() {
                    Ok((n, block)) => self.st.handle_block(block, base).map(|meta| (n, meta)),
                    Err(PcapError::Eof) => {
                        self.done = true;
                        return Ok(None);
                    }
                    Err(PcapError::Incomplete(n)) => {
                        self.refill_or_fail(n)?;
                        continue;
                    }
                    Err(PcapError::BufferTooSmall) => {
                        let n = self.buffer_size;
                        self.refill_or_fail(n)?;
                        continue;
                    }
                    Err(PcapError::UnexpectedEof) => {
                        self.done = true;
                        if self.reader.data().is_empty() {
                            return Ok(None);
                        }
                        return Err(CaptureError::Truncated {
                            path: self.path.clone(),
                            packets: self.packets,
                        });
                    }
                    Err(PcapError::ReadError) => {
                        self.done = true;
                        return Err(CaptureError::Read {
                            path: self.path.clone(),
                            source: std::io::Error::other("read failed"),
                        });
                    }
                    Err(e) => Err(describe(&e)),
                }
            };
            let (consumed, meta) = match step {
                Ok(s) => s,
                Err(what) => {
                    self.done = true;
                    return Err(CaptureError::Corrupt {
                        path: self.path.clone(),
                        packets: self.packets,
                        offset: self.reader.consumed() as u64,
                        what,
                    });
                }
            };
            let Some(m) = meta else {
                self.reader.consume_noshift(consumed);
                continue;
            };
            self.packets += 1;
            self.st.last_ts = m.ts;
            self.current = Some(m);
            self.unconsumed = consumed;
            return Ok(self.current());
        }
    }

    /// The packet the last `next_packet` returned, again (`None` after the end or an
    /// error): a merge looks at every file's next packet before it takes one.
    pub fn current(&self) -> Option<RawPacket<'_>> {
        let m = self.current.clone()?;
        // The range was measured inside this buffer's block, so it is there; `unwrap_or`
        // only keeps a packet from panicking if it were not.
        let data = self.reader.data().get(m.data).unwrap_or_default();
        Some(RawPacket {
            ts: m.ts,
            len: m.len.max(data.len() as u32),
            link: m.link,
            interface: m.interface,
            data,
        })
    }

    /// Bytes of the file consumed so far (for progress).
    pub fn position(&self) -> u64 {
        (self.reader.consumed() + self.unconsumed) as u64
    }

    /// The file's size when known (not for standard input, nor for a compressed file,
    /// whose position counts decompressed bytes).
    pub fn total_size(&self) -> Option<u64> {
        if self.path == Path::new("-") || is_gzip_file(&self.path) {
            None
        } else {
            std::fs::metadata(&self.path).ok().map(|m| m.len())
        }
    }
}

impl State {
    /// A pcap record's packet; `base` as for [`handle_block`](State::handle_block).
    fn legacy_packet(&self, b: &pcap_parser::LegacyPcapBlock<'_>, base: usize) -> PacketMeta {
        let nanos = if self.legacy_nanos {
            b.ts_usec.min(999_999_999)
        } else {
            b.ts_usec.min(999_999) * 1000
        };
        let cap = (b.caplen as usize).min(b.data.len());
        PacketMeta {
            ts: Timestamp::new(i64::from(b.ts_sec), nanos),
            len: b.origlen,
            link: self.legacy_link,
            interface: 0,
            data: place(base, b.data.get(..cap).unwrap_or(b.data)),
        }
    }

    /// Update state from a block; for a packet, say where its bytes are: `base` is the
    /// address of the reader's data the block was parsed from. A block that cannot be
    /// placed (a packet on an interface the section does not describe, a section of another
    /// major version) is an error, as in tshark.
    fn handle_block(
        &mut self,
        block: PcapBlockOwned<'_>,
        base: usize,
    ) -> Result<Option<PacketMeta>, String> {
        Ok(match block {
            PcapBlockOwned::Legacy(b) => Some(self.legacy_packet(&b, base)),
            PcapBlockOwned::LegacyHeader(_) => None,
            PcapBlockOwned::NG(block) => match block {
                Block::SectionHeader(shb) => {
                    if shb.major_version != 1 {
                        return Err(format!(
                            "section header of unsupported pcapng version {}.{}",
                            shb.major_version, shb.minor_version
                        ));
                    }
                    self.interfaces.clear();
                    self.section_big_endian = shb.big_endian();
                    self.info.big_endian = self.info.big_endian || shb.big_endian();
                    None
                }
                Block::InterfaceDescription(idb) => {
                    let iface = Interface {
                        link: idb.linktype.0 as u32,
                        resolution: idb.ts_resolution().unwrap_or(1_000_000).max(1),
                        offset: idb.ts_offset(),
                        snaplen: idb.snaplen,
                    };
                    if self.info.link.is_none() {
                        self.info.link = Some(iface.link);
                        self.info.snaplen = iface.snaplen;
                        self.info.nanosecond = iface.resolution >= 1_000_000_000;
                    }
                    self.interfaces.push(iface);
                    None
                }
                Block::EnhancedPacket(epb) => self.timed_packet(
                    epb.if_id,
                    epb.ts_high,
                    epb.ts_low,
                    epb.origlen,
                    place(base, epb.packet_data()),
                )?,
                Block::Unknown(b) if b.block_type == OBSOLETE_PACKET_BLOCK => {
                    let big = self.section_big_endian;
                    let u16_at = |at: usize| -> Option<u32> {
                        let f: [u8; 2] = b.data.get(at..at + 2)?.try_into().ok()?;
                        Some(u32::from(if big {
                            u16::from_be_bytes(f)
                        } else {
                            u16::from_le_bytes(f)
                        }))
                    };
                    let u32_at = |at: usize| -> Option<u32> {
                        let f: [u8; 4] = b.data.get(at..at + 4)?.try_into().ok()?;
                        Some(if big {
                            u32::from_be_bytes(f)
                        } else {
                            u32::from_le_bytes(f)
                        })
                    };
                    // Interface id (u16), drops (u16), timestamp high and low, captured
                    // length, original length, data.
                    let fields =
                        (|| Some((u16_at(0)?, u32_at(4)?, u32_at(8)?, u32_at(12)?, u32_at(16)?)))();
                    let Some((if_id, ts_high, ts_low, caplen, origlen)) = fields else {
                        return Err("packet block (obsolete type 2) shorter than its header".into());
                    };
                    let data = b
                        .data
                        .get(20..)
                        .and_then(|d| d.get(..caplen as usize))
                        .ok_or_else(|| {
                            format!("packet block (obsolete type 2) claims {caplen} captured bytes past its end")
                        })?;
                    self.timed_packet(if_id, ts_high, ts_low, origlen, place(base, data))?
                }
                Block::SimplePacket(spb) => {
                    let link = self
                        .interfaces
                        .first()
                        .map(|i| i.link)
                        .ok_or("simple packet block before any interface description block")?;
                    // A simple packet block has no timestamp: it takes the previous packet's.
                    Some(PacketMeta {
                        ts: self.last_ts,
                        len: spb.origlen,
                        link,
                        interface: 0,
                        data: place(base, spb.packet_data()),
                    })
                }
                Block::DecryptionSecrets(dsb)
                    if dsb.secrets_type == pcap_parser::SecretsType::TlsKeyLog =>
                {
                    let len = (dsb.secrets_len as usize).min(dsb.data.len());
                    if self.tls_secrets_bytes.saturating_add(len) <= MAX_SECRETS_BYTES {
                        self.tls_secrets_bytes += len;
                        if let Some(sink) = self.tls_secrets.as_mut() {
                            sink(dsb.data.get(..len).unwrap_or_default());
                        }
                    }
                    None
                }
                _ => None,
            },
        })
    }

    /// A packet with an interface id and a timestamp in that interface's resolution (an
    /// enhanced or obsolete packet block).
    fn timed_packet(
        &mut self,
        if_id: u32,
        ts_high: u32,
        ts_low: u32,
        origlen: u32,
        data: Range<usize>,
    ) -> Result<Option<PacketMeta>, String> {
        let Some(iface) = self.interfaces.get(if_id as usize) else {
            return Err(if self.interfaces.is_empty() {
                format!("packet on interface {if_id} before any interface description block")
            } else {
                format!(
                    "packet on interface {if_id}, but the section describes {} interface(s)",
                    self.interfaces.len()
                )
            });
        };
        let raw = (u64::from(ts_high) << 32) | u64::from(ts_low);
        let secs = (raw / iface.resolution) as i64 + iface.offset;
        let frac = raw % iface.resolution;
        let nanos = ((u128::from(frac) * 1_000_000_000) / u128::from(iface.resolution)) as u32;
        Ok(Some(PacketMeta {
            ts: Timestamp::new(secs, nanos.min(999_999_999)),
            len: origlen,
            link: iface.link,
            interface: if_id,
            data,
        }))
    }
}

/// An Enhanced Packet Block read by [`direct_epb`]: its fields and where its packet's bytes
/// lie (from the block's start).
struct DirectEpb {
    /// Bytes of the block.
    len: usize,
    if_id: u32,
    ts_high: u32,
    ts_low: u32,
    origlen: u32,
    data: Range<usize>,
}

/// The block at the start of `buf` when it is a little-endian Enhanced Packet Block (pcapng
/// §4.3) whole in the buffer, parsed by pcap-parser's own EPB parser
/// (`parse_enhancedpacketblock_le`, the one its reader uses for such a block) without the
/// reader's general block dispatch and the `PcapBlockOwned` it builds for every packet.
/// `None` for any other block, or one the parser does not accept whole; the caller then
/// hands it to the reader, which reads, or rejects, it as before.
fn direct_epb(buf: &[u8]) -> Option<DirectEpb> {
    if buf.get(0..4)? != pcap_parser::EPB_MAGIC.to_le_bytes() {
        return None;
    }
    let (rest, epb) = pcap_parser::parse_enhancedpacketblock_le(buf).ok()?;
    let base = buf.as_ptr() as usize;
    Some(DirectEpb {
        len: buf.len() - rest.len(),
        if_id: epb.if_id,
        ts_high: epb.ts_high,
        ts_low: epb.ts_low,
        origlen: epb.origlen,
        data: place(base, epb.packet_data()),
    })
}

/// pcapng's obsolete Packet Block (block type 2), superseded by the Enhanced Packet Block but
/// still read by tshark.
const OBSOLETE_PACKET_BLOCK: u32 = 2;

#[derive(Debug, Clone)]
struct PacketMeta {
    ts: Timestamp,
    len: u32,
    link: u32,
    interface: u32,
    /// The captured bytes, as a range of the reader's data (see [`place`]).
    data: Range<usize>,
}

/// Where `bytes`, a slice of the reader's data starting at address `base`, lies in it.
fn place(base: usize, bytes: &[u8]) -> Range<usize> {
    let start = (bytes.as_ptr() as usize).wrapping_sub(base);
    start..start.wrapping_add(bytes.len())
}

fn describe(e: &PcapError<&[u8]>) -> String {
    match e {
        PcapError::NomError(_, kind) => format!("unparsable block ({kind:?})"),
        PcapError::OwnedNomError(_, kind) => format!("unparsable block ({kind:?})"),
        PcapError::HeaderNotRecognized => "unrecognised block header".to_string(),
        other => format!("{other:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pcap_parser::traits::PcapNGPacketBlock;

    /// A little-endian Enhanced Packet Block: `caplen` bytes of packet data, `options` after
    /// them (already padded), both lengths `len` unless given otherwise.
    fn epb(caplen: u32, data: &[u8], options: &[u8], trailer: Option<u32>) -> Vec<u8> {
        let padded = data.len().div_ceil(4) * 4;
        let len = (28 + padded + options.len() + 4) as u32;
        let mut b = Vec::new();
        for v in [6, len, 1, 0x0006_1234, 0x89ab_cdef, caplen, 1500] {
            b.extend_from_slice(&u32::to_le_bytes(v));
        }
        b.extend_from_slice(data);
        b.resize(28 + padded, 0);
        b.extend_from_slice(options);
        b.extend_from_slice(&trailer.unwrap_or(len).to_le_bytes());
        b
    }

    /// What the reader's general path gives for the block at the start of `buf`: its length
    /// and fields, or `None` where it gives no Enhanced Packet Block.
    fn through_reader(buf: &[u8]) -> Option<(usize, u32, u32, u32, u32, Range<usize>)> {
        let (rest, block) = pcap_parser::pcapng::parse_block_le(buf).ok()?;
        let pcap_parser::pcapng::Block::EnhancedPacket(e) = block else {
            return None;
        };
        let base = buf.as_ptr() as usize;
        Some((
            buf.len() - rest.len(),
            e.if_id,
            e.ts_high,
            e.ts_low,
            e.origlen,
            place(base, e.packet_data()),
        ))
    }

    fn fields(e: DirectEpb) -> (usize, u32, u32, u32, u32, Range<usize>) {
        (e.len, e.if_id, e.ts_high, e.ts_low, e.origlen, e.data)
    }

    #[test]
    fn an_enhanced_packet_block_reads_as_the_reader_reads_it() {
        // Options (a comment, then the end of options) or none; any data length.
        let comment = [1, 0, 2, 0, b'h', b'i', 0, 0, 0, 0, 0, 0];
        for options in [&[][..], &comment[..]] {
            for n in [0usize, 1, 3, 4, 5, 60, 1514] {
                let data: Vec<u8> = (0..n).map(|i| i as u8).collect();
                let mut block = epb(n as u32, &data, options, None);
                // What follows the block is not read.
                block.extend_from_slice(&[6, 0, 0, 0]);
                let direct = direct_epb(&block).map(fields).expect("read");
                assert_eq!(Some(direct.clone()), through_reader(&block));
                assert_eq!(block.get(direct.5), Some(data.as_slice()));
            }
        }
    }

    #[test]
    fn any_other_block_is_left_to_the_reader() {
        let data = [1u8, 2, 3, 4, 5];
        // Lengths that differ, a captured length past the block, another block type, a
        // block cut short.
        assert!(direct_epb(&epb(5, &data, &[], Some(44))).is_none());
        assert!(direct_epb(&epb(9, &data, &[], None)).is_none());
        assert!(direct_epb(&epb(u32::MAX - 2, &data, &[], None)).is_none());
        let mut other = epb(5, &data, &[], None);
        other[0] = 3;
        assert!(direct_epb(&other).is_none());
        let whole = epb(5, &data, &[], None);
        for cut in 0..whole.len() {
            assert!(direct_epb(whole.get(..cut).unwrap_or_default()).is_none());
        }
        assert!(direct_epb(&whole).is_some());
    }

    /// Every packet a reader gives (time, lengths, link, interface, bytes), every error as
    /// printed, and the position at the end.
    type Reading = (Vec<(Timestamp, u32, u32, u32, Vec<u8>)>, Vec<String>, u64);

    fn read_all(src: &mut FileSource) -> Reading {
        let (mut packets, mut errors) = (Vec::new(), Vec::new());
        for _ in 0..1_000_000 {
            match src.next_packet() {
                Ok(Some(p)) => packets.push((p.ts, p.len, p.link, p.interface, p.data.to_vec())),
                Ok(None) => break,
                Err(e) => errors.push(e.to_string()),
            }
        }
        (packets, errors, src.position())
    }

    #[test]
    fn pcap_records_read_directly_read_as_the_reader_reads_them() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let dir = std::env::temp_dir().join(format!("squirrel-direct-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let mut files: Vec<PathBuf> = std::fs::read_dir(root.join("captures"))
            .expect("captures")
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "pcap"))
            .collect();
        files.sort();
        for name in ["squirrel-http.pcap", "squirrel-https.pcap"] {
            let whole = std::fs::read(root.join("captures").join(name)).expect("capture");
            // Cut in the header, in a record's header, in its data; a record far too large.
            let cuts = [30, 41, 100, 1000, whole.len() / 2, whole.len() - 3];
            for cut in cuts.into_iter().filter(|&c| c < whole.len()) {
                let p = dir.join(format!("cut{cut}-{name}"));
                std::fs::write(&p, whole.get(..cut).expect("cut")).expect("write");
                files.push(p);
            }
            let mut huge = whole.clone();
            if let Some(caplen) = huge.get_mut(32..36) {
                caplen.copy_from_slice(&(40u32 << 20).to_le_bytes());
            }
            let p = dir.join(format!("huge-{name}"));
            std::fs::write(&p, &huge).expect("write");
            files.push(p);
        }
        let mut direct = 0;
        for path in &files {
            let (Ok(mut fast), Ok(mut general)) = (FileSource::open(path), FileSource::open(path))
            else {
                continue;
            };
            direct += usize::from(fast.st.legacy_plain);
            // The same file through the reader's general path only.
            general.st.legacy_plain = false;
            let (a, b) = (read_all(&mut fast), read_all(&mut general));
            assert!(a == b, "{}: {:?} / {:?}", path.display(), a.1, b.1);
        }
        std::fs::remove_dir_all(&dir).ok();
        assert!(
            direct > 15,
            "{direct} of {} files read directly",
            files.len()
        );
    }
}
