//! What the renderers get for one frame: everything decoded, nothing left to parse.

use std::ops::Range;

use crate::capture::Timestamp;
use crate::decode::Decoded;
use crate::dissect::AppEvent;
use crate::flow::SegmentAnalysis;

/// TCP facts from the flow table for this frame.
#[derive(Debug, Clone, Copy)]
pub struct TcpView {
    pub seg: SegmentAnalysis,
    /// Window after scaling, when the handshake gave both sides' scale factors.
    pub scaled_window: Option<u32>,
    /// Window scale multiplier in force (for `[Window size scaling factor: N]`).
    pub scale_factor: Option<u32>,
}

/// One frame, decoded and analysed.
#[derive(Debug, Clone, Copy)]
pub struct FrameView<'a> {
    /// Frame number from 1.
    pub number: u64,
    pub ts: Timestamp,
    /// Seconds since the first frame.
    pub rel_time: f64,
    /// Seconds since the previous frame.
    pub delta: f64,
    /// The first frame's time and the previous frame's (this frame's own for the first):
    /// `rel_time` and `delta` exactly, to the nanosecond (`frame.time_relative`).
    pub first_ts: Timestamp,
    pub prev_ts: Timestamp,
    /// Length on the wire.
    pub len: u32,
    pub data: &'a [u8],
    pub link: u32,
    pub interface: Option<&'a str>,
    pub decoded: &'a Decoded,
    pub tcp: Option<TcpView>,
    /// The UDP session (`udp.stream`) and the datagram's direction in it.
    pub udp: Option<crate::flow::UdpAnalysis>,
    /// Application events completed by this frame.
    pub app: &'a [AppEvent],
    /// Frame byte ranges to highlight (leaked secrets).
    pub highlights: &'a [Range<usize>],
    /// Findings raised by this frame.
    pub findings: &'a [crate::findings::Finding],
}
