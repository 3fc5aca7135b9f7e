//! `-w FILE`: writes what was captured as a pcap file through libpcap, flushed on every
//! packet when asked (`-U`) and always at the end (also after Ctrl-C / SIGTERM).

use std::path::{Path, PathBuf};

use super::{CaptureError, RawPacket};

/// A pcap file being written.
pub struct PcapWriter {
    path: PathBuf,
    file: pcap::Savefile,
    link: u32,
    packet_buffered: bool,
    written: u64,
    skipped_other_link: u64,
}

impl PcapWriter {
    /// A writer for replayed packets of link type `link` (nanosecond timestamps kept).
    pub fn create(
        path: &Path,
        link: u32,
        packet_buffered: bool,
    ) -> Result<PcapWriter, CaptureError> {
        let err = |e: pcap::Error| CaptureError::Write {
            path: path.to_path_buf(),
            msg: e.to_string(),
        };
        let dead =
            pcap::Capture::dead_with_precision(pcap::Linktype(link as i32), pcap::Precision::Nano)
                .map_err(err)?;
        let file = dead.savefile(path).map_err(err)?;
        Ok(PcapWriter {
            path: path.to_path_buf(),
            file,
            link,
            packet_buffered,
            written: 0,
            skipped_other_link: 0,
        })
    }

    /// Wrap a savefile opened on a live capture.
    pub fn from_savefile(
        path: &Path,
        file: pcap::Savefile,
        link: u32,
        packet_buffered: bool,
    ) -> PcapWriter {
        PcapWriter {
            path: path.to_path_buf(),
            file,
            link,
            packet_buffered,
            written: 0,
            skipped_other_link: 0,
        }
    }

    /// Write one packet. A packet of another link type than the file's cannot go into a
    /// pcap file: it is counted and reported at the end.
    pub fn write(
        &mut self,
        pkt: &RawPacket<'_>,
        nanosecond_file: bool,
    ) -> Result<(), CaptureError> {
        if pkt.link != self.link {
            self.skipped_other_link += 1;
            return Ok(());
        }
        let frac = if nanosecond_file {
            pkt.ts.nanos
        } else {
            pkt.ts.nanos / 1000
        };
        let header = pcap::PacketHeader {
            ts: libc::timeval {
                tv_sec: pkt.ts.secs as libc::time_t,
                tv_usec: frac as libc::suseconds_t,
            },
            caplen: pkt.data.len() as u32,
            len: pkt.len.max(pkt.data.len() as u32),
        };
        self.file.write(&pcap::Packet::new(&header, pkt.data));
        self.written += 1;
        if self.packet_buffered {
            self.flush()?;
        }
        Ok(())
    }

    pub fn flush(&mut self) -> Result<(), CaptureError> {
        self.file.flush().map_err(|e| CaptureError::Write {
            path: self.path.clone(),
            msg: e.to_string(),
        })
    }

    pub fn written(&self) -> u64 {
        self.written
    }

    pub fn skipped_other_link(&self) -> u64 {
        self.skipped_other_link
    }
}
