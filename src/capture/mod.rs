//! Capture sources: live interfaces through libpcap, and saved files (pcap, pcapng).

mod error;
pub mod file;
pub mod filter;
pub mod info;
pub mod linktype;
pub mod live;
pub mod merge;
pub mod privdrop;
pub mod rotate;
pub mod writer;

pub use error::CaptureError;
pub use file::FileSource;
pub use merge::MergedFiles;

/// One captured packet as the source gives it.
#[derive(Debug, Clone, Copy)]
pub struct RawPacket<'a> {
    pub ts: Timestamp,
    /// Length on the wire (>= `data.len()`, the captured length).
    pub len: u32,
    /// Link type (LINKTYPE_* value as in pcap files).
    pub link: u32,
    /// Interface index (pcapng), 0 otherwise.
    pub interface: u32,
    pub data: &'a [u8],
}
/// A capture timestamp (seconds since the Unix epoch and nanoseconds).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default, Hash)]
pub struct Timestamp {
    pub secs: i64,
    pub nanos: u32,
}

impl Timestamp {
    pub fn new(secs: i64, nanos: u32) -> Self {
        Timestamp { secs, nanos }
    }

    /// The wall clock now.
    pub fn now() -> Self {
        let d = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        Timestamp::new(
            i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
            d.subsec_nanos(),
        )
    }

    /// Nanoseconds since the epoch.
    pub fn as_nanos(&self) -> i128 {
        i128::from(self.secs) * 1_000_000_000 + i128::from(self.nanos)
    }

    /// Seconds as a float, for relative times and rates.
    pub fn as_f64(&self) -> f64 {
        self.secs as f64 + f64::from(self.nanos) / 1e9
    }

    /// `self - earlier` in seconds (negative when `earlier` is later).
    pub fn since(&self, earlier: Timestamp) -> f64 {
        (self.secs - earlier.secs) as f64 + (f64::from(self.nanos) - f64::from(earlier.nanos)) / 1e9
    }
}

impl serde::Serialize for Timestamp {
    /// Serialised as seconds since the epoch, a float (microsecond precision survives).
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_f64(self.as_f64())
    }
}
