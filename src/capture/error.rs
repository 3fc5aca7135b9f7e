//! Errors of the capture stage, each mapping to one documented exit code.

use std::path::PathBuf;

/// What went wrong opening or reading a capture source.
#[derive(Debug, thiserror::Error)]
pub enum CaptureError {
    #[error("{path}: cannot open: {source}")]
    Open {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: not a pcap or pcapng capture file (unknown magic number)")]
    NotACapture { path: PathBuf },
    #[error("{path}: empty file, no capture header")]
    Empty { path: PathBuf },
    #[error("{path}: unsupported pcap version {major}.{minor}")]
    BadVersion {
        path: PathBuf,
        major: u16,
        minor: u16,
    },
    #[error("{path}: truncated capture: the last record is cut short after {packets} packets")]
    Truncated { path: PathBuf, packets: u64 },
    #[error(
        "{path}: damaged or corrupt capture after {packets} packets, at byte {offset}: {what}"
    )]
    Corrupt {
        path: PathBuf,
        packets: u64,
        offset: u64,
        what: String,
    },
    #[error(
        "{path}: a record of {len} bytes is larger than the {limit}-byte limit (corrupt file?)"
    )]
    RecordTooLarge {
        path: PathBuf,
        len: usize,
        limit: usize,
    },
    #[error("{path}: read error: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("no such interface: {name} (list them with -D)")]
    NoSuchInterface { name: String },
    #[error("{name}: permission denied: live capture needs root — run with sudo, or grant the binary `sudo setcap cap_net_raw,cap_net_admin=eip $(which squirrel-sniff)`")]
    Permission { name: String },
    #[error("{name}: cannot capture: {msg}")]
    Live { name: String, msg: String },
    #[error("invalid capture filter `{expr}`: {msg}")]
    BadFilter { expr: String, msg: String },
    #[error("-y {name}: not a link type name (-i IFACE -L lists the interface's)")]
    BadLinkType { name: String },
    #[error("{spec}: no capture files there (a directory or glob pattern given to -r)")]
    NoCaptures { spec: PathBuf },
    #[error("-r `{pattern}`: not a valid glob pattern: {msg}")]
    BadPattern { pattern: String, msg: String },
    #[error("cannot write {path}: {msg}")]
    Write { path: PathBuf, msg: String },
}

impl CaptureError {
    /// The process exit code for this error (documented in the README).
    pub fn exit_code(&self) -> i32 {
        match self {
            CaptureError::BadFilter { .. } | CaptureError::BadLinkType { .. } => 2,
            CaptureError::Open { .. }
            | CaptureError::NotACapture { .. }
            | CaptureError::Empty { .. }
            | CaptureError::BadVersion { .. }
            | CaptureError::Read { .. }
            | CaptureError::NoCaptures { .. } => 3,
            CaptureError::BadPattern { .. } => 2,
            CaptureError::Truncated { packets: 0, .. }
            | CaptureError::Corrupt { packets: 0, .. } => 3,
            CaptureError::Truncated { .. }
            | CaptureError::Corrupt { .. }
            | CaptureError::RecordTooLarge { .. } => 4,
            CaptureError::NoSuchInterface { .. } => 5,
            CaptureError::Permission { .. } => 6,
            CaptureError::Live { .. } => 5,
            CaptureError::Write { .. } => 1,
        }
    }
}
