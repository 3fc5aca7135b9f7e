//! `squirrel-sniff info`: facts about a saved capture, like capinfos.
//!
//! One pass over the file: packets are read through [`FileSource`] (no second parser) while a
//! reader wrapper hashes (SHA-256) and counts every byte the parser pulls in; after the last
//! packet, or after a read error, the rest of the file is drained through the same hasher so
//! the digest and size always cover the whole file. Memory is bounded: no packet is kept,
//! only counters and one entry per distinct link type.

use std::collections::BTreeMap;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use sha2::{Digest, Sha256};

use super::file::FileFormat;
use super::{CaptureError, FileSource, Timestamp};

/// What `info` reports about one capture file.
#[derive(Debug)]
pub struct CaptureInfo {
    /// As given (`-` for standard input).
    pub path: PathBuf,
    pub format: FileFormat,
    /// Timestamps in nanoseconds (pcap magic a1b23c4d, or a pcapng interface with 10^-9
    /// resolution), else microseconds.
    pub nanosecond: bool,
    pub big_endian: bool,
    /// Format version from the file header (pcap 2.4, pcapng 1.0).
    pub version: (u16, u16),
    /// Packet size limit from the file header (pcap) or the first interface (pcapng; capinfos
    /// shows "(not set)" for any pcapng file); `None` when 0 (not set).
    pub snaplen: Option<u32>,
    /// Smallest and largest captured length among packets cut short by the snap length
    /// (captured < wire length), as capinfos' "inferred" limit.
    pub inferred_snaplen: Option<(u32, u32)>,
    /// Link type of the file header (pcap) or first interface (pcapng).
    pub header_link: Option<u32>,
    /// Link types in use by packets with their packet counts, in order of first use.
    pub links: Vec<LinkCount>,
    pub packets: u64,
    /// Bytes in the file.
    pub file_size: u64,
    /// Sum of the packets' lengths on the wire (capinfos' "data size").
    pub data_size: u64,
    /// Sum of the bytes actually captured.
    pub captured_size: u64,
    /// Earliest and latest packet timestamps (capinfos' "first/last packet time").
    pub earliest: Option<Timestamp>,
    pub latest: Option<Timestamp>,
    /// No packet is older than the one before it.
    pub strict_time_order: bool,
    /// Lowercase hex SHA-256 of the whole file.
    pub sha256: String,
    /// Why reading stopped early (truncated or corrupt file); the figures cover the packets
    /// read before it.
    pub error: Option<CaptureError>,
}

/// One link type in use and how many packets carry it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LinkCount {
    pub link: u32,
    pub packets: u64,
}

impl CaptureInfo {
    /// Digits after the decimal point of the file's timestamps (6 or 9).
    pub fn time_digits(&self) -> usize {
        if self.nanosecond {
            9
        } else {
            6
        }
    }

    /// Latest minus earliest packet time, in seconds (exact to the nanosecond).
    pub fn duration(&self) -> Option<f64> {
        match (self.earliest, self.latest) {
            (Some(a), Some(b)) => Some(b.since(a)),
            _ => None,
        }
    }

    /// The time span rates are divided by, computed as capinfos does (difference of the two
    /// absolute times as doubles), so that rates agree with capinfos to the printed digit.
    /// `None` when there is no span (fewer than two distinct times).
    fn rate_span(&self) -> Option<f64> {
        let (a, b) = (self.earliest?, self.latest?);
        let span = b.as_f64() - a.as_f64();
        (span > 0.0).then_some(span)
    }

    /// Data bytes (wire lengths) per second.
    pub fn data_byte_rate(&self) -> Option<f64> {
        self.rate_span().map(|s| self.data_size as f64 / s)
    }

    /// Data bits per second.
    pub fn data_bit_rate(&self) -> Option<f64> {
        self.data_byte_rate().map(|r| r * 8.0)
    }

    /// Average wire length of a packet (0 when there are no packets, as capinfos).
    pub fn average_packet_size(&self) -> f64 {
        if self.packets == 0 {
            0.0
        } else {
            self.data_size as f64 / self.packets as f64
        }
    }

    /// Packets per second.
    pub fn average_packet_rate(&self) -> Option<f64> {
        self.rate_span().map(|s| self.packets as f64 / s)
    }

    /// The link type the file as a whole is labelled with: the one every packet uses, or the
    /// header's when there are no packets; `None` when packets use several ("Per packet").
    pub fn encapsulation(&self) -> Option<u32> {
        match self.links.as_slice() {
            [] => self.header_link,
            [one] => Some(one.link),
            _ => None,
        }
    }
}

/// Read a capture file (or `-` for standard input) and gather its facts.
///
/// Errors that prevent reading any packet (cannot open, not a capture, bad header, a first
/// record already truncated or corrupt) are returned; an error after at least one packet
/// ends up in [`CaptureInfo::error`] with the figures of the packets read before it.
pub fn file_info(path: &Path) -> Result<CaptureInfo, CaptureError> {
    let input = super::file::open_input(path)?;
    info_from_reader(path, input)
}

/// As [`file_info`], from any reader; `path` names it.
pub fn info_from_reader(
    path: &Path,
    input: Box<dyn Read + Send>,
) -> Result<CaptureInfo, CaptureError> {
    let hashed = HashingReader::new(input);
    let tap = hashed.clone();
    let mut src = FileSource::from_reader(path, Box::new(hashed))?;

    let mut tally = Tally::default();
    let error = loop {
        match src.next_packet() {
            Ok(Some(p)) => tally.add(p.ts, p.len, p.data.len(), link_type(p.link)),
            Ok(None) => break None,
            Err(e) => break Some(e),
        }
    };
    // Taken after reading: a pcapng file's interface facts arrive with its first IDB.
    let header = src.info().clone();
    drop(src);
    if tally.packets == 0 {
        // Nothing readable past the header: as unreadable as a bad header (and as `-r`).
        if let Some(e) = error {
            return Err(e);
        }
    }
    let (sha256, file_size) = tap.finish().map_err(|source| CaptureError::Read {
        path: path.to_path_buf(),
        source,
    })?;

    let mut links: Vec<(u64, LinkCount)> = tally
        .links
        .into_iter()
        .map(|(link, (first, n))| (first, LinkCount { link, packets: n }))
        .collect();
    links.sort_by_key(|(first, _)| *first);
    Ok(CaptureInfo {
        path: path.to_path_buf(),
        format: header.format,
        nanosecond: header.nanosecond,
        big_endian: header.big_endian,
        version: header.version,
        snaplen: (header.snaplen != 0).then_some(header.snaplen),
        inferred_snaplen: tally.inferred_snaplen,
        header_link: header.link.map(link_type),
        links: links.into_iter().map(|(_, l)| l).collect(),
        packets: tally.packets,
        file_size,
        data_size: tally.data_size,
        captured_size: tally.captured_size,
        earliest: tally.earliest,
        latest: tally.latest,
        strict_time_order: tally.in_order,
        sha256,
        error,
    })
}

/// The link type proper: the low 16 bits of a pcap header's LinkType field (the upper bits
/// carry FCS-length information and reserved bits, as in the pcap file format draft).
fn link_type(raw: u32) -> u32 {
    raw & 0xffff
}

/// Running counters over the packets.
struct Tally {
    packets: u64,
    data_size: u64,
    captured_size: u64,
    earliest: Option<Timestamp>,
    latest: Option<Timestamp>,
    previous: Option<Timestamp>,
    in_order: bool,
    inferred_snaplen: Option<(u32, u32)>,
    /// link type -> (index of first packet, packet count)
    links: BTreeMap<u32, (u64, u64)>,
}

impl Default for Tally {
    fn default() -> Self {
        Tally {
            packets: 0,
            data_size: 0,
            captured_size: 0,
            earliest: None,
            latest: None,
            previous: None,
            in_order: true,
            inferred_snaplen: None,
            links: BTreeMap::new(),
        }
    }
}

impl Tally {
    fn add(&mut self, ts: Timestamp, wire_len: u32, captured: usize, link: u32) {
        let index = self.packets;
        self.packets = self.packets.saturating_add(1);
        self.data_size = self.data_size.saturating_add(u64::from(wire_len));
        self.captured_size = self.captured_size.saturating_add(captured as u64);
        if self.previous.is_some_and(|p| ts < p) {
            self.in_order = false;
        }
        self.previous = Some(ts);
        self.earliest = Some(self.earliest.map_or(ts, |e| e.min(ts)));
        self.latest = Some(self.latest.map_or(ts, |l| l.max(ts)));
        if (captured as u64) < u64::from(wire_len) {
            let c = u32::try_from(captured).unwrap_or(u32::MAX);
            self.inferred_snaplen = Some(match self.inferred_snaplen {
                None => (c, c),
                Some((lo, hi)) => (lo.min(c), hi.max(c)),
            });
        }
        let entry = self.links.entry(link).or_insert((index, 0));
        entry.1 = entry.1.saturating_add(1);
    }
}

/// A reader that hashes and counts what passes through it. Clones share the state, so the
/// digest can be finished after the capture reader that owns one clone is dropped.
#[derive(Clone)]
struct HashingReader {
    shared: Arc<Mutex<Hashing>>,
}

struct Hashing {
    inner: Box<dyn Read + Send>,
    hasher: Sha256,
    bytes: u64,
}

impl HashingReader {
    fn new(inner: Box<dyn Read + Send>) -> Self {
        HashingReader {
            shared: Arc::new(Mutex::new(Hashing {
                inner,
                hasher: Sha256::new(),
                bytes: 0,
            })),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Hashing> {
        // A panic while hashing cannot leave the state half-updated in a way that matters.
        self.shared
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Read the rest of the input through the hasher; the hex digest and total byte count.
    fn finish(&self) -> io::Result<(String, u64)> {
        let mut buf = vec![0u8; 64 << 10];
        let mut st = self.lock();
        loop {
            match st.read_hashed(&mut buf) {
                Ok(0) => break,
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        let digest = std::mem::take(&mut st.hasher).finalize();
        Ok((hex::encode(digest), st.bytes))
    }
}

impl Hashing {
    fn read_hashed(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        let got = buf.get(..n).unwrap_or(&[]);
        self.hasher.update(got);
        self.bytes = self.bytes.saturating_add(got.len() as u64);
        Ok(n)
    }
}

impl Read for HashingReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.lock().read_hashed(buf)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A little-endian microsecond pcap header (snaplen 65535, Ethernet).
    fn pcap_header() -> Vec<u8> {
        let mut h = Vec::new();
        h.extend_from_slice(&0xa1b2_c3d4u32.to_le_bytes());
        h.extend_from_slice(&2u16.to_le_bytes());
        h.extend_from_slice(&4u16.to_le_bytes());
        h.extend_from_slice(&0i32.to_le_bytes());
        h.extend_from_slice(&0u32.to_le_bytes());
        h.extend_from_slice(&65535u32.to_le_bytes());
        h.extend_from_slice(&1u32.to_le_bytes());
        h
    }

    fn record(out: &mut Vec<u8>, secs: u32, usecs: u32, data: &[u8], wire_len: u32) {
        out.extend_from_slice(&secs.to_le_bytes());
        out.extend_from_slice(&usecs.to_le_bytes());
        out.extend_from_slice(&(data.len() as u32).to_le_bytes());
        out.extend_from_slice(&wire_len.to_le_bytes());
        out.extend_from_slice(data);
    }

    fn info_of(bytes: Vec<u8>) -> Result<CaptureInfo, CaptureError> {
        info_from_reader(Path::new("test.pcap"), Box::new(io::Cursor::new(bytes)))
    }

    #[test]
    fn counts_sizes_times_and_hash() {
        let mut f = pcap_header();
        record(&mut f, 100, 500_000, &[0u8; 60], 60);
        record(&mut f, 102, 0, &[0u8; 40], 1500); // cut short by the snap length
        record(&mut f, 101, 0, &[0u8; 50], 50); // out of order
        let expected_sha = hex::encode(Sha256::digest(&f));
        let size = f.len() as u64;
        let i = info_of(f).expect("readable");
        assert_eq!(i.format, FileFormat::Pcap);
        assert_eq!(i.packets, 3);
        assert_eq!(i.file_size, size);
        assert_eq!(i.data_size, 1610);
        assert_eq!(i.captured_size, 150);
        assert_eq!(i.earliest, Some(Timestamp::new(100, 500_000_000)));
        assert_eq!(i.latest, Some(Timestamp::new(102, 0)));
        assert!(!i.strict_time_order);
        assert_eq!(i.inferred_snaplen, Some((40, 40)));
        assert_eq!(i.snaplen, Some(65535));
        assert_eq!(
            i.links,
            vec![LinkCount {
                link: 1,
                packets: 3
            }]
        );
        assert_eq!(i.encapsulation(), Some(1));
        assert_eq!(i.duration(), Some(1.5));
        assert!((i.data_byte_rate().unwrap_or(0.0) - 1610.0 / 1.5).abs() < 1e-6);
        assert!((i.average_packet_rate().unwrap_or(0.0) - 2.0).abs() < 1e-9);
        assert!((i.average_packet_size() - 1610.0 / 3.0).abs() < 1e-9);
        assert_eq!(i.sha256, expected_sha);
        assert!(i.error.is_none());
    }

    #[test]
    fn truncated_file_keeps_figures_and_hashes_everything() {
        let mut f = pcap_header();
        record(&mut f, 1, 0, &[7u8; 30], 30);
        record(&mut f, 2, 0, &[7u8; 30], 30);
        f.truncate(f.len() - 10);
        let expected_sha = hex::encode(Sha256::digest(&f));
        let size = f.len() as u64;
        let i = info_of(f).expect("header readable");
        assert_eq!(i.packets, 1);
        assert_eq!(i.file_size, size);
        assert_eq!(i.sha256, expected_sha);
        assert!(
            matches!(i.error, Some(CaptureError::Truncated { packets: 1, .. })),
            "{:?}",
            i.error
        );
        assert_eq!(i.duration(), Some(0.0));
        assert_eq!(i.data_byte_rate(), None);
    }

    #[test]
    fn error_before_any_packet_is_returned() {
        let mut f = pcap_header();
        record(&mut f, 1, 0, &[7u8; 30], 30);
        f.truncate(f.len() - 5);
        assert!(matches!(
            info_of(f),
            Err(CaptureError::Truncated { packets: 0, .. })
        ));
    }

    #[test]
    fn empty_capture_has_no_times() {
        let i = info_of(pcap_header()).expect("readable");
        assert_eq!(i.packets, 0);
        assert_eq!(i.duration(), None);
        assert_eq!(i.average_packet_size(), 0.0);
        assert_eq!(i.encapsulation(), Some(1));
        assert_eq!(i.file_size, 24);
    }

    #[test]
    fn not_a_capture_is_an_error() {
        assert!(matches!(
            info_of(b"hello, this is not a capture file".to_vec()),
            Err(CaptureError::NotACapture { .. })
        ));
        assert!(matches!(
            file_info(Path::new("/nonexistent/x.pcap")),
            Err(CaptureError::Open { .. })
        ));
    }
}
