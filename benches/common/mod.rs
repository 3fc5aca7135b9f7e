//! Frames for the criterion benchmarks: every `captures/*.pcap` of the repository, read
//! once into memory with [`FileSource`], plus (when `SQUIRREL_BENCH_PCAP` names a file, e.g.
//! the one `scripts/make-bench-capture.sh` records) the first frames of that file up to
//! [`MAX_EXTRA_BYTES`] of frame data.
// Each bench target compiles this module on its own and uses only part of it.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use squirrel_sniff::capture::{FileSource, Timestamp};
use squirrel_sniff::decode;
use squirrel_sniff::flow::{Endpoint, TcpFlags, TcpSegment};

/// Frame bytes taken from `SQUIRREL_BENCH_PCAP` at most.
pub const MAX_EXTRA_BYTES: usize = 64 << 20;

/// One captured frame, owned.
pub struct Frame {
    pub ts: Timestamp,
    pub len: u32,
    pub link: u32,
    pub data: Vec<u8>,
}

/// A named set of frames (one capture, or all the bundled captures).
pub struct FrameSet {
    pub name: String,
    pub frames: Vec<Frame>,
}

/// Read frames of `path` until the end, an error, or `max_bytes` of frame data.
fn read_frames(path: &Path, max_bytes: usize) -> Vec<Frame> {
    let mut out = Vec::new();
    let mut src = match FileSource::open(path) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("bench: skipping {}: {e}", path.display());
            return out;
        }
    };
    let mut total = 0usize;
    while let Ok(Some(p)) = src.next_packet() {
        total = total.saturating_add(p.data.len());
        if total > max_bytes {
            break;
        }
        out.push(Frame {
            ts: p.ts,
            len: p.len,
            link: p.link,
            data: p.data.to_vec(),
        });
    }
    out
}

/// The repository's bundled captures, concatenated (in file-name order), and the
/// `SQUIRREL_BENCH_PCAP` file if set.
pub fn frame_sets() -> Vec<FrameSet> {
    let dir = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/captures"));
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "pcap"))
                .collect()
        })
        .unwrap_or_default();
    paths.sort();
    let mut bundled = FrameSet {
        name: "captures".into(),
        frames: Vec::new(),
    };
    for p in &paths {
        bundled.frames.extend(read_frames(p, usize::MAX));
    }
    let mut sets = vec![bundled];
    if let Some(extra) = std::env::var_os("SQUIRREL_BENCH_PCAP") {
        let path = PathBuf::from(extra);
        let frames = read_frames(&path, MAX_EXTRA_BYTES);
        if !frames.is_empty() {
            let name = path
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            sets.push(FrameSet { name, frames });
        }
    }
    sets
}

/// The TCP segment of a frame, as the pipeline builds it, with owned payload.
pub struct OwnedSegment {
    pub frame: u64,
    pub ts: Timestamp,
    pub src: Endpoint,
    pub dst: Endpoint,
    pub seq: u32,
    pub ack: u32,
    pub flags: TcpFlags,
    pub window: u16,
    pub window_scale: Option<u8>,
    pub payload: Vec<u8>,
    pub payload_offset: usize,
    pub wire_len: u32,
    pub frame_len: u32,
}

impl OwnedSegment {
    pub fn view(&self) -> TcpSegment<'_> {
        TcpSegment {
            frame: self.frame,
            ts: self.ts,
            src: self.src,
            dst: self.dst,
            seq: self.seq,
            ack: self.ack,
            flags: self.flags,
            window: self.window,
            window_scale: self.window_scale,
            sacked: 0,
            payload: &self.payload,
            payload_offset: self.payload_offset,
            wire_len: self.wire_len,
            frame_len: self.frame_len,
        }
    }
}

/// Decode every frame and keep the TCP segments (frame numbers from 1, as in the pipeline),
/// built by the pipeline's own `tcp_segment`.
pub fn tcp_segments(frames: &[Frame]) -> Vec<OwnedSegment> {
    let mut out = Vec::new();
    for (i, f) in frames.iter().enumerate() {
        let d = decode::decode(f.link, &f.data);
        let pkt = squirrel_sniff::capture::RawPacket {
            ts: f.ts,
            len: f.len,
            link: f.link,
            interface: 0,
            data: &f.data,
        };
        if let Some(s) = squirrel_sniff::pipeline::tcp_segment(&d, &pkt, i as u64 + 1) {
            out.push(OwnedSegment {
                frame: s.frame,
                ts: s.ts,
                src: s.src,
                dst: s.dst,
                seq: s.seq,
                ack: s.ack,
                flags: s.flags,
                window: s.window,
                window_scale: s.window_scale,
                payload: s.payload.to_vec(),
                payload_offset: s.payload_offset,
                wire_len: s.wire_len,
                frame_len: s.frame_len,
            });
        }
    }
    out
}
