//! Sessions: TCP flows with stream reassembly, and UDP sessions ([`UdpTable`]).
//!
//! The pipeline hands every decoded TCP segment to [`FlowTable::segment`]. The table keys
//! flows by a canonical five-tuple (both directions are one conversation), numbers streams
//! in order of first packet, reassembles each direction, and reports what happened to a
//! [`StreamSink`] as [`StreamEvent`]s: stream opened, in-order data, holes of known length,
//! notes, and stream closed (with the conversation's counts).
//!
//! INTERFACE CONTRACT (the rest of the program codes against these types; keep them):
//! - `FlowTable::new(FlowConfig)`, `segment(&TcpSegment, &mut dyn StreamSink) -> SegmentAnalysis`,
//!   `advance(Timestamp, &mut dyn StreamSink)` (expiry driven by packet time),
//!   `finish(&mut dyn StreamSink)` (end of capture: flush buffered data with holes, close all),
//!   `stats() -> &FlowStats`.

use std::net::IpAddr;

use crate::capture::Timestamp;

mod community_id;
mod five_tuple;
pub mod follow;
mod reassembly;
mod table;
mod udp;
pub use community_id::community_id;
pub use five_tuple::FlowKey;
pub use follow::{FollowCollector, FollowItem, FollowSelect, FollowStream};
pub use table::FlowTable;
pub use udp::{UdpAnalysis, UdpDatagram, UdpEvent, UdpSink, UdpTable};

/// One end of a TCP connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub struct Endpoint {
    pub addr: IpAddr,
    pub port: u16,
}

impl std::fmt::Display for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.addr {
            IpAddr::V4(a) => write!(f, "{a}:{}", self.port),
            IpAddr::V6(a) => write!(f, "[{a}]:{}", self.port),
        }
    }
}

/// The transport a session runs on. TCP streams and UDP sessions are numbered separately
/// (like tshark's `tcp.stream` and `udp.stream`): a session is identified by both.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Transport {
    Tcp,
    Udp,
}

impl Transport {
    pub fn as_str(self) -> &'static str {
        match self {
            Transport::Tcp => "tcp",
            Transport::Udp => "udp",
        }
    }
}

/// Stream index, assigned in order of first packet starting at 0 (like tshark's `tcp.stream`).
pub type StreamId = u32;

/// Direction of data within a stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Direction {
    /// From the client (the side that sent the SYN, or the heuristic's choice) to the server.
    ToServer,
    /// From the server to the client.
    ToClient,
}

impl Direction {
    pub fn index(self) -> usize {
        match self {
            Direction::ToServer => 0,
            Direction::ToClient => 1,
        }
    }
    pub fn reverse(self) -> Direction {
        match self {
            Direction::ToServer => Direction::ToClient,
            Direction::ToClient => Direction::ToServer,
        }
    }
}

pub use crate::decode::TcpFlags;

/// What the pipeline knows of one TCP segment, handed to the flow table.
#[derive(Debug, Clone)]
pub struct TcpSegment<'a> {
    /// Frame number in the capture, from 1.
    pub frame: u64,
    pub ts: Timestamp,
    pub src: Endpoint,
    pub dst: Endpoint,
    pub seq: u32,
    pub ack: u32,
    pub flags: TcpFlags,
    /// Window field as on the wire (unscaled).
    pub window: u16,
    /// Window scale option, when this segment carries one (SYN / SYN-ACK).
    pub window_scale: Option<u8>,
    /// Bytes covered by the segment's SACK blocks (its first three, as tshark counts them;
    /// 0 when its options were not decoded): the analysis' bytes in flight.
    pub sacked: u32,
    /// The payload bytes that were captured (may be shorter than `wire_len` with a snaplen).
    pub payload: &'a [u8],
    /// Where `payload[0]` sits in the frame's bytes.
    pub payload_offset: usize,
    /// Payload length on the wire (from the IP length), >= `payload.len()`.
    pub wire_len: u32,
    /// Length of the whole frame on the wire (pcap `orig_len`), counted in the
    /// conversation's bytes each way (like `tshark -z conv,tcp`).
    pub frame_len: u32,
}

/// Why a stream ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CloseReason {
    /// Both sides sent FIN.
    Fin,
    /// A RST was seen.
    Reset,
    /// No packet for longer than the idle timeout (packet time).
    Idle,
    /// Evicted to stay within a bound on live flows or buffered bytes.
    Evicted,
    /// A new SYN reused the five-tuple of a finished stream.
    Reused,
    /// The capture ended with the stream still open.
    EndOfCapture,
}

/// Conversation state as shown in the conversations table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ConvState {
    /// Handshake seen and closed by FIN both ways.
    Complete,
    /// Closed by RST.
    Reset,
    /// Still open at the end of the capture (or expired/evicted while open).
    Open,
}

/// Per-stream counts, handed over when the stream closes (like `tshark -z conv,tcp`).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ConversationSummary {
    pub stream: StreamId,
    pub client: Endpoint,
    pub server: Endpoint,
    /// Packets / bytes (whole frame lengths on the wire) client → server.
    pub packets_to_server: u64,
    pub bytes_to_server: u64,
    /// Packets / bytes server → client.
    pub packets_to_client: u64,
    pub bytes_to_client: u64,
    /// Payload bytes delivered in order each way (after reassembly, holes excluded).
    pub payload_to_server: u64,
    pub payload_to_client: u64,
    pub first_frame: u64,
    pub last_frame: u64,
    pub start: Timestamp,
    pub end: Timestamp,
    pub state: ConvState,
    pub close_reason: CloseReason,
    /// True when the SYN was seen (client/server known for sure).
    pub syn_seen: bool,
}

/// Notes the reassembler raises about a stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FlowNote {
    /// Retransmitted bytes overlapped earlier ones (delivered or buffered) and differed; the
    /// first copy was kept. `frames`: the kept copy's frame, then the conflicting one.
    /// `copy` holds the conflicting copy's overlapping bytes: an eavesdropper saw them too,
    /// so they are searched for secrets and credentials as well.
    OverlapConflict {
        offset: u64,
        len: u64,
        frames: [u64; 2],
        copy: OtherCopy,
    },
    /// Retransmitted bytes overlapped bytes delivered too long ago to compare (past
    /// [`RECENT_DELIVERED`]): not compared, but searched as [`FlowNote::OverlapConflict`]'s
    /// copy is.
    OverlapUnchecked {
        offset: u64,
        len: u64,
        copy: OtherCopy,
    },
    /// A bound was hit (buffered out-of-order bytes per flow, total buffered, live flows).
    BoundHit { bound: &'static str, limit: u64 },
    /// The stream was picked up mid-way (no SYN seen).
    MidStreamPickup,
}

/// Delivered bytes kept per direction to compare retransmissions with (the most recent).
pub const RECENT_DELIVERED: usize = 4096;

/// The bytes of another copy of stream data (a retransmission that differs from the one
/// kept). Printed by size only.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct OtherCopy(pub Vec<u8>);

impl std::fmt::Debug for OtherCopy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "<{} bytes>", self.0.len())
    }
}

impl FlowNote {
    /// The note's name in JSON (`overlap_conflict`, `bound_hit`, ...).
    pub fn name(&self) -> &'static str {
        match self {
            FlowNote::OverlapConflict { .. } => "overlap_conflict",
            FlowNote::OverlapUnchecked { .. } => "overlap_unchecked",
            FlowNote::BoundHit { .. } => "bound_hit",
            FlowNote::MidStreamPickup => "mid_stream_pickup",
        }
    }

    /// The other copy's bytes, for notes that carry one.
    pub fn other_copy(&self) -> Option<(u64, &[u8])> {
        match self {
            FlowNote::OverlapConflict { offset, copy, .. }
            | FlowNote::OverlapUnchecked { offset, copy, .. } => Some((*offset, &copy.0)),
            _ => None,
        }
    }
}

/// What the reassembler reports. Data is delivered in order per direction, exactly once.
#[derive(Debug)]
pub enum StreamEvent<'a> {
    /// A new stream: sent before any other event of it.
    Open {
        stream: StreamId,
        client: Endpoint,
        server: Endpoint,
        frame: u64,
        ts: Timestamp,
    },
    /// In-order bytes of one direction. `offset` is the stream offset (relative sequence
    /// number - 1, i.e. bytes since the SYN) of `data[0]`; `frame` is the frame that carried
    /// these bytes (for out-of-order data, delivered later than it arrived), and
    /// `frame_offset` where `data[0]` sits in that frame's bytes: a byte at stream offset
    /// `offset + i` is byte `frame_offset + i` of `frame`.
    Data {
        stream: StreamId,
        dir: Direction,
        offset: u64,
        data: &'a [u8],
        frame: u64,
        frame_offset: usize,
    },
    /// `len` bytes at `offset` were never captured (lost, or cut by the snaplen).
    Hole {
        stream: StreamId,
        dir: Direction,
        offset: u64,
        len: u64,
    },
    /// The direction ended (FIN seen and all data before it delivered).
    End { stream: StreamId, dir: Direction },
    Note {
        stream: StreamId,
        dir: Option<Direction>,
        note: FlowNote,
        frame: u64,
    },
    /// The stream is gone; no more events for it.
    Close {
        stream: StreamId,
        summary: ConversationSummary,
    },
}

/// Receives the reassembler's events. `now_frame` is the frame being processed when the
/// event was raised (the frame that "completes" whatever the data completes).
pub trait StreamSink {
    fn event(&mut self, now_frame: u64, ev: StreamEvent<'_>);
}

/// tshark's SEQ/ACK analysis of a segment (its `tcp.analysis.*` fields), shown in `-V`, the
/// Info column, `-Y`/`-T fields` and JSON. Flags are tshark 4.0's; `retransmission` is the
/// plain one (a fast or spurious retransmission has its own flag; the
/// `tcp.analysis.retransmission` field is set for all three).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Analysis {
    /// The flags, one bit each (see the accessors of the same names).
    flags: u16,
    /// The sender's window scale after this segment, as tshark keeps it: the shift from its
    /// SYN, -1 while unknown (no SYN of it seen), -2 when a handshake said there is none.
    pub win_scale: i8,
    /// tshark has a SEQ/ACK analysis for the frame (a flag, an acknowledged segment, bytes
    /// in flight, or an ACK past the unseen): the values below are shown only then.
    pub shown: bool,
    /// Duplicate ACK number (from 1) and the frame of the ACK it repeats.
    pub dup_ack_num: u32,
    pub dup_ack_frame: u64,
    /// The frame whose segment this ACK acknowledges (0: none) and the time since it.
    pub acks_frame: u64,
    pub ack_rtt_ns: i64,
    /// The stream's initial RTT (SYN to the first ACK), 0 while unknown.
    pub initial_rtt_ns: i64,
    /// Bytes sent and not yet acknowledged after this segment (0: not given).
    pub bytes_in_flight: u32,
    pub push_bytes_sent: u32,
    /// For a (plain) retransmission: the time since the segment it repeats, and its frame.
    pub rto_ns: i64,
    pub rto_frame: u64,
}

/// A relative time as tshark prints one (`0.000081000`).
pub fn format_rel_time(ns: i64) -> String {
    let sign = if ns < 0 { "-" } else { "" };
    let abs = ns.unsigned_abs();
    format!("{sign}{}.{:09}", abs / 1_000_000_000, abs % 1_000_000_000)
}

macro_rules! analysis_flags {
    ($($bit:literal $name:ident $set:ident,)*) => {
        impl Analysis {
            $(
                pub fn $name(&self) -> bool {
                    self.flags & (1 << $bit) != 0
                }
                pub fn $set(&mut self, on: bool) {
                    self.flags = (self.flags & !(1 << $bit)) | (u16::from(on) << $bit);
                }
            )*
        }
    };
}

analysis_flags! {
    0 retransmission set_retransmission,
    1 fast_retransmission set_fast_retransmission,
    2 spurious_retransmission set_spurious_retransmission,
    3 out_of_order set_out_of_order,
    4 previous_segment_not_captured set_previous_segment_not_captured,
    5 ack_lost_segment set_ack_lost_segment,
    6 window_update set_window_update,
    7 window_full set_window_full,
    8 keep_alive set_keep_alive,
    9 keep_alive_ack set_keep_alive_ack,
    10 dup_ack set_dup_ack,
    11 zero_window_probe set_zero_window_probe,
    12 zero_window set_zero_window,
    13 zero_window_probe_ack set_zero_window_probe_ack,
}

impl Analysis {
    /// Some flag is set (tshark's `tcp.analysis.flags`).
    pub fn any_flag(&self) -> bool {
        self.flags != 0
    }

    /// A retransmission of any kind (tshark's `tcp.analysis.retransmission`).
    pub fn any_retransmission(&self) -> bool {
        self.retransmission() || self.fast_retransmission() || self.spurious_retransmission()
    }

    /// Each flag with its names, in the order tshark lists them: (set, JSON name, Info
    /// column label, `-V` line). tshark puts each label in front of the Info column in this
    /// order, so the column shows them in reverse. Named once here for every renderer.
    pub fn labels(&self) -> [(bool, &'static str, &'static str, &'static str); 14] {
        [
            (
                self.retransmission(),
                "retransmission",
                "[TCP Retransmission]",
                "This frame is a (suspected) retransmission",
            ),
            (
                self.fast_retransmission(),
                "fast_retransmission",
                "[TCP Fast Retransmission]",
                "This frame is a (suspected) fast retransmission",
            ),
            (
                self.spurious_retransmission(),
                "spurious_retransmission",
                "[TCP Spurious Retransmission]",
                "This frame is a (suspected) spurious retransmission",
            ),
            (
                self.out_of_order(),
                "out_of_order",
                "[TCP Out-Of-Order]",
                "This frame is a (suspected) out-of-order segment",
            ),
            (
                self.previous_segment_not_captured(),
                "previous_segment_not_captured",
                "[TCP Previous segment not captured]",
                "Previous segment(s) not captured (common at capture start)",
            ),
            (
                self.ack_lost_segment(),
                "ack_lost_segment",
                "[TCP ACKed unseen segment]",
                "ACKed segment that wasn't captured (common at capture start)",
            ),
            (
                self.window_update(),
                "window_update",
                "[TCP Window Update]",
                "TCP window update",
            ),
            (
                self.window_full(),
                "window_full",
                "[TCP Window Full]",
                "TCP window specified by the receiver is now completely full",
            ),
            (
                self.keep_alive(),
                "keep_alive",
                "[TCP Keep-Alive]",
                "TCP keep-alive segment",
            ),
            (
                self.keep_alive_ack(),
                "keep_alive_ack",
                "[TCP Keep-Alive ACK]",
                "ACK to a TCP keep-alive segment",
            ),
            (
                self.dup_ack(),
                "dup_ack",
                "[TCP Dup ACK]",
                "This is a TCP duplicate ack",
            ),
            (
                self.zero_window_probe(),
                "zero_window_probe",
                "[TCP ZeroWindowProbe]",
                "TCP Zero Window Probe",
            ),
            (
                self.zero_window(),
                "zero_window",
                "[TCP ZeroWindow]",
                "TCP Zero Window segment",
            ),
            (
                self.zero_window_probe_ack(),
                "zero_window_probe_ack",
                "[TCP ZeroWindowProbeAck]",
                "ACK to a TCP Zero Window Probe",
            ),
        ]
    }
}

/// What the flow table says of the segment just handed to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SegmentAnalysis {
    pub stream: StreamId,
    pub dir: Direction,
    /// Sequence and acknowledgement numbers relative to each side's ISN (0 = the SYN).
    pub rel_seq: u32,
    pub rel_ack: u32,
    /// `rel_seq` + payload length (+1 for SYN/FIN), as tshark's `[Next Sequence Number]`.
    pub next_rel_seq: u32,
    pub analysis: Analysis,
}

/// Bounds and timeouts, all with sane defaults.
#[derive(Debug, Clone)]
pub struct FlowConfig {
    /// Out-of-order bytes buffered per direction before the oldest gap is given up as a hole.
    pub max_buffered_per_flow: usize,
    /// Out-of-order bytes buffered over all flows.
    pub max_buffered_total: usize,
    /// Live flows at once; past it the idlest flow is evicted.
    pub max_flows: usize,
    /// Idle timeout in seconds of packet time.
    pub idle_timeout_secs: u64,
}

impl Default for FlowConfig {
    fn default() -> Self {
        FlowConfig {
            max_buffered_per_flow: 4 << 20,
            max_buffered_total: 64 << 20,
            max_flows: 100_000,
            idle_timeout_secs: 600,
        }
    }
}

/// Counters over the whole run (also emitted in JSON).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct FlowStats {
    pub streams: u64,
    pub segments: u64,
    pub retransmissions: u64,
    pub out_of_order: u64,
    pub holes: u64,
    pub hole_bytes: u64,
    pub overlap_conflicts: u64,
    pub evicted_flows: u64,
    pub bound_hits: u64,
    pub peak_buffered_bytes: u64,
    pub peak_live_flows: u64,
}
