//! `-w FILE`: writes what was captured as a pcap file (or pcapng with `-F pcapng`), flushed
//! on every packet when asked (`-U`) and always at the end (also after Ctrl-C / SIGTERM).
//! The pcapng blocks (a Section Header, one Interface Description with `if_tsresol`, an
//! Enhanced Packet per packet) are laid out by pcap-parser's `serialize` feature.
//!
//! The file is written here rather than through libpcap's `pcap_dump`, which reports no
//! error: every write and the final flush are checked, so a full disk or `/dev/full` stops
//! the run with the reason (exit 1) instead of leaving a silently truncated file.
//!
//! Opening follows tcpdump: when privileges are dropped (`-Z`, or sudo's invoking user) the
//! file is opened afterwards, as that user. A process still running as root never follows a
//! symbolic link at the last component of the path (`O_NOFOLLOW`), so a link planted where
//! the file will be written cannot make root overwrite what it points to.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use super::{CaptureError, RawPacket};

/// The snapshot length written in the file header (libpcap's default maximum).
pub const DEFAULT_SNAPLEN: u32 = 262_144;

/// The format of the `-w` file (`-F`): pcap (the default, as tcpdump) or pcapng.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FileFormat {
    #[default]
    Pcap,
    Pcapng,
}

impl FileFormat {
    /// `-F NAME`: the format called so, if NAME is one.
    pub fn from_name(name: &str) -> Option<FileFormat> {
        match name {
            "pcap" => Some(FileFormat::Pcap),
            "pcapng" => Some(FileFormat::Pcapng),
            _ => None,
        }
    }
}

/// A pcap (or pcapng) file being written.
pub struct PcapWriter {
    path: PathBuf,
    file: BufWriter<File>,
    format: FileFormat,
    link: u32,
    /// Nanosecond timestamps (magic `a1b23c4d`; pcapng `if_tsresol` 9), else microseconds
    /// (`a1b2c3d4`; `if_tsresol` 6).
    nanos: bool,
    packet_buffered: bool,
    written: u64,
    /// Bytes put in the file so far (headers included).
    bytes: u64,
    skipped_other_link: u64,
}

impl PcapWriter {
    /// Create (or truncate) `path` and write the pcap header: link type `link`,
    /// nanosecond or microsecond timestamps, snapshot length `snaplen`.
    pub fn create(
        path: &Path,
        link: u32,
        nanos: bool,
        snaplen: u32,
        packet_buffered: bool,
    ) -> Result<PcapWriter, CaptureError> {
        PcapWriter::create_as(
            path,
            FileFormat::Pcap,
            link,
            nanos,
            snaplen,
            packet_buffered,
        )
    }

    /// [`PcapWriter::create`] in the given format.
    pub fn create_as(
        path: &Path,
        format: FileFormat,
        link: u32,
        nanos: bool,
        snaplen: u32,
        packet_buffered: bool,
    ) -> Result<PcapWriter, CaptureError> {
        let err = |msg: String| CaptureError::Write {
            path: path.to_path_buf(),
            msg,
        };
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create(true).truncate(true).mode(0o644);
        let as_root = nix::unistd::geteuid().is_root();
        if as_root {
            opts.custom_flags(libc::O_NOFOLLOW);
        }
        let file = opts.open(path).map_err(|e| {
            if as_root && e.raw_os_error() == Some(libc::ELOOP) {
                err("it is a symbolic link, which is never followed when writing as root".into())
            } else {
                err(e.to_string())
            }
        })?;
        let mut w = PcapWriter {
            path: path.to_path_buf(),
            file: BufWriter::with_capacity(64 << 10, file),
            format,
            link,
            nanos,
            packet_buffered,
            written: 0,
            bytes: 0,
            skipped_other_link: 0,
        };
        if format == FileFormat::Pcapng {
            let header = pcapng_header(link, nanos, snaplen).map_err(err)?;
            w.put(&header)?;
            if packet_buffered {
                w.flush()?;
            }
            return Ok(w);
        }
        let magic: u32 = if nanos { 0xa1b2_3c4d } else { 0xa1b2_c3d4 };
        let mut header = Vec::with_capacity(24);
        header.extend_from_slice(&magic.to_ne_bytes());
        header.extend_from_slice(&2u16.to_ne_bytes());
        header.extend_from_slice(&4u16.to_ne_bytes());
        header.extend_from_slice(&0i32.to_ne_bytes());
        header.extend_from_slice(&0u32.to_ne_bytes());
        header.extend_from_slice(&snaplen.to_ne_bytes());
        header.extend_from_slice(&link.to_ne_bytes());
        w.put(&header)?;
        if packet_buffered {
            w.flush()?;
        }
        Ok(w)
    }

    fn put(&mut self, bytes: &[u8]) -> Result<(), CaptureError> {
        self.file
            .write_all(bytes)
            .map_err(|e| CaptureError::Write {
                path: self.path.clone(),
                msg: e.to_string(),
            })?;
        self.bytes += bytes.len() as u64;
        Ok(())
    }

    /// Write one packet. A packet of another link type than the file's cannot go into a
    /// pcap file: it is counted and reported at the end.
    pub fn write(&mut self, pkt: &RawPacket<'_>) -> Result<(), CaptureError> {
        if pkt.link != self.link {
            self.skipped_other_link += 1;
            return Ok(());
        }
        let frac = if self.nanos {
            pkt.ts.nanos
        } else {
            pkt.ts.nanos / 1000
        };
        let caplen = u32::try_from(pkt.data.len()).unwrap_or(u32::MAX);
        if self.format == FileFormat::Pcapng {
            let block =
                pcapng_packet(pkt, self.nanos, caplen).map_err(|msg| CaptureError::Write {
                    path: self.path.clone(),
                    msg,
                })?;
            self.put(&block)?;
        } else {
            self.put_pcap_record(pkt, frac, caplen)?;
        }
        self.written += 1;
        if self.packet_buffered {
            self.flush()?;
        }
        Ok(())
    }

    fn put_pcap_record(
        &mut self,
        pkt: &RawPacket<'_>,
        frac: u32,
        caplen: u32,
    ) -> Result<(), CaptureError> {
        let mut rec = [0u8; 16];
        rec[..4].copy_from_slice(&(pkt.ts.secs as u32).to_ne_bytes());
        rec[4..8].copy_from_slice(&frac.to_ne_bytes());
        rec[8..12].copy_from_slice(&caplen.to_ne_bytes());
        rec[12..].copy_from_slice(&pkt.len.max(caplen).to_ne_bytes());
        self.put(&rec)?;
        self.put(pkt.data)
    }

    /// Flush what is buffered to the file; an error (disk full) is reported.
    pub fn flush(&mut self) -> Result<(), CaptureError> {
        self.file.flush().map_err(|e| CaptureError::Write {
            path: self.path.clone(),
            msg: e.to_string(),
        })
    }

    pub fn written(&self) -> u64 {
        self.written
    }

    /// Bytes written to the file so far, its header included.
    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn skipped_other_link(&self) -> u64 {
        self.skipped_other_link
    }
}

/// A pcapng Section Header Block and the one Interface Description Block (link type,
/// snapshot length, `if_tsresol` 9 or 6), as pcap-parser lays them out.
fn pcapng_header(link: u32, nanos: bool, snaplen: u32) -> Result<Vec<u8>, String> {
    use pcap_parser::{
        InterfaceDescriptionBlock, Linktype, SectionHeaderBlock, ToVec, BOM_MAGIC, IDB_MAGIC,
        SHB_MAGIC,
    };
    let mut shb = SectionHeaderBlock {
        block_type: SHB_MAGIC,
        block_len1: 0,
        bom: BOM_MAGIC,
        major_version: 1,
        minor_version: 0,
        // Unknown: the section's length is not known while writing.
        section_len: -1,
        options: Vec::new(),
        block_len2: 0,
    };
    let mut idb = InterfaceDescriptionBlock {
        block_type: IDB_MAGIC,
        block_len1: 0,
        linktype: Linktype(i32::try_from(link).unwrap_or(i32::MAX)),
        reserved: 0,
        snaplen,
        options: Vec::new(),
        block_len2: 0,
        if_tsresol: if nanos { 9 } else { 6 },
        if_tsoffset: 0,
    };
    let mut out = shb.to_vec().map_err(|e| format!("pcapng header: {e:?}"))?;
    out.extend(idb.to_vec().map_err(|e| format!("pcapng header: {e:?}"))?);
    Ok(out)
}

/// One Enhanced Packet Block on interface 0, its timestamp in the interface's units.
fn pcapng_packet(pkt: &RawPacket<'_>, nanos: bool, caplen: u32) -> Result<Vec<u8>, String> {
    use pcap_parser::{EnhancedPacketBlock, ToVec, EPB_MAGIC};
    let (per_sec, frac) = if nanos {
        (1_000_000_000u64, u64::from(pkt.ts.nanos))
    } else {
        (1_000_000u64, u64::from(pkt.ts.nanos / 1000))
    };
    let units = u64::try_from(pkt.ts.secs)
        .unwrap_or(0)
        .saturating_mul(per_sec)
        .saturating_add(frac);
    let mut epb = EnhancedPacketBlock {
        block_type: EPB_MAGIC,
        block_len1: 0,
        if_id: 0,
        ts_high: (units >> 32) as u32,
        ts_low: units as u32,
        caplen,
        origlen: pkt.len.max(caplen),
        data: pkt.data,
        options: Vec::new(),
        block_len2: 0,
    };
    epb.to_vec()
        .map_err(|e| format!("pcapng packet block: {e:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capture::Timestamp;

    #[test]
    fn a_full_device_is_an_error_not_a_short_file() {
        let Ok(mut w) = PcapWriter::create(Path::new("/dev/full"), 1, true, 65535, false) else {
            return; // no /dev/full here
        };
        let data = [0u8; 1500];
        let pkt = RawPacket {
            ts: Timestamp::new(1, 2),
            len: 1500,
            link: 1,
            interface: 0,
            data: &data,
        };
        let mut failed = None;
        for _ in 0..100 {
            if let Err(e) = w.write(&pkt) {
                failed = Some(e);
                break;
            }
        }
        let e = failed
            .or_else(|| w.flush().err())
            .expect("writes to /dev/full fail");
        assert!(e.to_string().contains("No space left"), "{e}");
        assert_eq!(e.exit_code(), 1);
    }

    #[test]
    fn header_and_records_read_back() {
        let p = std::env::temp_dir().join(format!("ss-writer-{}.pcap", std::process::id()));
        let mut w = PcapWriter::create(&p, 1, true, 1234, false).expect("create");
        let pkt = RawPacket {
            ts: Timestamp::new(1_700_000_000, 123_456_789),
            len: 60,
            link: 1,
            interface: 0,
            data: b"0123456789",
        };
        w.write(&pkt).expect("write");
        w.flush().expect("flush");
        let bytes = std::fs::read(&p).expect("read");
        let _ = std::fs::remove_file(&p);
        assert_eq!(bytes.len(), 24 + 16 + 10);
        assert_eq!(bytes[..4], 0xa1b2_3c4du32.to_ne_bytes());
        assert_eq!(bytes[16..20], 1234u32.to_ne_bytes());
        assert_eq!(bytes[28..32], 123_456_789u32.to_ne_bytes());
        assert_eq!(bytes[36..40], 60u32.to_ne_bytes());
        assert_eq!(&bytes[40..], b"0123456789");
    }
}
