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
    /// Window after scaling, as tshark's `[Calculated window size]`: the window as on the
    /// wire on a SYN or while the sender's scale is unknown or unused.
    pub scaled_window: u32,
    /// tshark's `[Window size scaling factor]` (none on a SYN): the multiplier, -1 while the
    /// sender's scale is unknown (its SYN not seen), -2 when the handshake has none.
    pub scale_factor: Option<i32>,
}

impl TcpView {
    /// The view of a segment the flow table analysed, its window field `window` as on the wire.
    pub fn new(seg: SegmentAnalysis, syn: bool, window: u16) -> TcpView {
        let scale = seg.analysis.win_scale;
        let shifted = |s: i8| u32::from(window) << u32::from(s as u8).min(14);
        TcpView {
            seg,
            scaled_window: if syn || scale < 0 {
                u32::from(window)
            } else {
                shifted(scale)
            },
            scale_factor: match (syn, scale) {
                (true, _) => None,
                (false, s) if s < 0 => Some(i32::from(s)),
                (false, s) => Some(1 << u32::from(s as u8).min(14)),
            },
        }
    }
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
