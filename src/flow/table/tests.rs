use super::*;
use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr};

/// Events as owned values.
#[derive(Debug, Clone, PartialEq)]
enum Ev {
    Open {
        stream: StreamId,
        client: Endpoint,
        server: Endpoint,
    },
    Data {
        stream: StreamId,
        dir: Direction,
        offset: u64,
        data: Vec<u8>,
        frame: u64,
    },
    Hole {
        stream: StreamId,
        dir: Direction,
        offset: u64,
        len: u64,
    },
    End {
        stream: StreamId,
        dir: Direction,
    },
    Note {
        stream: StreamId,
        note: FlowNote,
    },
    Close {
        summary: ConversationSummary,
    },
}

/// The events, and the bytes of every frame sent (to check where delivered data points).
#[derive(Default)]
struct Rec(Vec<Ev>, BTreeMap<u64, Vec<u8>>);

/// Bytes before the TCP payload in the frames the tests make.
const HEADERS: usize = 54;

impl StreamSink for Rec {
    fn event(&mut self, _now_frame: u64, ev: StreamEvent<'_>) {
        self.0.push(match ev {
            StreamEvent::Open {
                stream,
                client,
                server,
                ..
            } => Ev::Open {
                stream,
                client,
                server,
            },
            StreamEvent::Data {
                stream,
                dir,
                offset,
                data,
                frame,
                frame_offset,
            } => {
                // Every delivered byte is located by its frame and offset in it, however
                // it got there (in order, out of order, after an overlap).
                let carried = self
                    .1
                    .get(&frame)
                    .and_then(|f| f.get(frame_offset..frame_offset + data.len()));
                assert_eq!(carried, Some(data), "frame {frame} at {frame_offset}");
                Ev::Data {
                    stream,
                    dir,
                    offset,
                    data: data.to_vec(),
                    frame,
                }
            }
            StreamEvent::Hole {
                stream,
                dir,
                offset,
                len,
            } => Ev::Hole {
                stream,
                dir,
                offset,
                len,
            },
            StreamEvent::End { stream, dir } => Ev::End { stream, dir },
            StreamEvent::Note { stream, note, .. } => Ev::Note { stream, note },
            StreamEvent::Close { summary, .. } => Ev::Close { summary },
        });
    }
}

impl Rec {
    /// Bytes of one direction, checking that offsets run on without gaps or repeats
    /// (holes shown as `_` per missing byte).
    fn bytes(&self, stream: StreamId, dir: Direction) -> Vec<u8> {
        let mut out = Vec::new();
        for ev in &self.0 {
            match ev {
                Ev::Data {
                    stream: s,
                    dir: d,
                    offset,
                    data,
                    ..
                } if *s == stream && *d == dir => {
                    assert_eq!(*offset, out.len() as u64, "data offset runs on");
                    out.extend_from_slice(data);
                }
                Ev::Hole {
                    stream: s,
                    dir: d,
                    offset,
                    len,
                } if *s == stream && *d == dir => {
                    assert_eq!(*offset, out.len() as u64, "hole offset runs on");
                    out.extend(std::iter::repeat_n(b'_', *len as usize));
                }
                _ => {}
            }
        }
        out
    }
    fn notes(&self) -> Vec<FlowNote> {
        self.0
            .iter()
            .filter_map(|e| match e {
                Ev::Note { note, .. } => Some(note.clone()),
                _ => None,
            })
            .collect()
    }
    fn closes(&self) -> Vec<ConversationSummary> {
        self.0
            .iter()
            .filter_map(|e| match e {
                Ev::Close { summary } => Some(summary.clone()),
                _ => None,
            })
            .collect()
    }
    fn ends(&self, stream: StreamId) -> usize {
        self.0
            .iter()
            .filter(|e| matches!(e, Ev::End { stream: s, .. } if *s == stream))
            .count()
    }
    fn holes(&self) -> Vec<(Direction, u64, u64)> {
        self.0
            .iter()
            .filter_map(|e| match e {
                Ev::Hole {
                    dir, offset, len, ..
                } => Some((*dir, *offset, *len)),
                _ => None,
            })
            .collect()
    }
}

const C: u8 = 1;
const S: u8 = 2;
const F_SYN: u16 = TcpFlags::SYN;
const F_ACK: u16 = TcpFlags::ACK;
const F_FIN: u16 = TcpFlags::FIN | TcpFlags::ACK;
const F_RST: u16 = TcpFlags::RST;
const F_PA: u16 = TcpFlags::PSH | TcpFlags::ACK;

fn ep(host: u8) -> Endpoint {
    Endpoint {
        addr: IpAddr::V4(Ipv4Addr::new(192, 0, 2, host)),
        port: if host == S {
            80
        } else {
            40000 + u16::from(host)
        },
    }
}

/// Drives a table, numbering frames and keeping one-second packet times.
struct Run {
    table: FlowTable,
    rec: Rec,
    frame: u64,
    client_port: u16,
}

impl Run {
    fn new() -> Self {
        Run::with(FlowConfig::default())
    }
    fn with(cfg: FlowConfig) -> Self {
        Run {
            table: FlowTable::new(cfg),
            rec: Rec::default(),
            frame: 0,
            client_port: 40001,
        }
    }
    #[allow(clippy::too_many_arguments)]
    fn raw(
        &mut self,
        from: u8,
        seq: u32,
        ack: u32,
        flags: u16,
        payload: &[u8],
        wire_len: u32,
        window: u16,
    ) -> SegmentAnalysis {
        self.frame += 1;
        let mut c = ep(C);
        c.port = self.client_port;
        let (src, dst) = if from == C { (c, ep(S)) } else { (ep(S), c) };
        let mut bytes = vec![0xee; HEADERS];
        bytes.extend_from_slice(payload);
        self.rec.1.insert(self.frame, bytes);
        let seg = TcpSegment {
            frame: self.frame,
            ts: Timestamp::new(1_000 + self.frame as i64, 0),
            src,
            dst,
            seq,
            ack,
            flags: TcpFlags(flags),
            window,
            window_scale: None,
            sacked: 0,
            payload,
            payload_offset: HEADERS,
            wire_len,
            frame_len: HEADERS as u32 + wire_len,
        };
        self.table.segment(&seg, &mut self.rec)
    }
    fn send(&mut self, from: u8, seq: u32, ack: u32, flags: u16, payload: &[u8]) -> Analysis {
        self.raw(from, seq, ack, flags, payload, payload.len() as u32, 1000)
            .analysis
    }
    /// SYN (client ISN `ci`), SYN-ACK (server ISN `si`), ACK.
    fn handshake(&mut self, ci: u32, si: u32) {
        self.send(C, ci, 0, F_SYN, b"");
        self.send(S, si, ci.wrapping_add(1), F_SYN | F_ACK, b"");
        self.send(C, ci.wrapping_add(1), si.wrapping_add(1), F_ACK, b"");
    }
    fn finish(&mut self) {
        self.table.finish(&mut self.rec);
    }
}

const CI: u32 = 1000;
const SI: u32 = 5000;

#[test]
fn in_order_conversation() {
    let mut r = Run::new();
    r.handshake(CI, SI);
    let req = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n";
    let a = r.send(C, CI + 1, SI + 1, F_PA, req);
    assert!(!a.any_flag());
    assert_eq!(a.bytes_in_flight, req.len() as u32);
    assert_eq!(a.initial_rtt_ns, 2_000_000_000, "SYN to the first ACK");
    r.send(
        S,
        SI + 1,
        CI + 1 + req.len() as u32,
        F_PA,
        b"HTTP/1.1 200 OK\r\n",
    );
    r.send(S, SI + 18, CI + 1 + req.len() as u32, F_PA, b"\r\nbody");
    r.send(C, CI + 1 + req.len() as u32, SI + 24, F_FIN, b"");
    r.send(S, SI + 24, CI + 2 + req.len() as u32, F_FIN, b"");
    r.send(C, CI + 2 + req.len() as u32, SI + 25, F_ACK, b"");
    assert_eq!(r.rec.bytes(0, Direction::ToServer), req);
    assert_eq!(
        r.rec.bytes(0, Direction::ToClient),
        b"HTTP/1.1 200 OK\r\n\r\nbody"
    );
    assert_eq!(r.rec.ends(0), 2, "both directions ended at their FIN");
    assert!(r.rec.closes().is_empty(), "finished stream lingers");
    assert!(matches!(r.rec.0.first(), Some(Ev::Open { stream: 0, .. })));
    r.finish();
    let close = r.rec.closes();
    assert_eq!(close.len(), 1);
    let s = &close[0];
    assert_eq!(s.state, ConvState::Complete);
    assert_eq!(s.close_reason, CloseReason::Fin);
    assert_eq!((s.packets_to_server, s.packets_to_client), (5, 4));
    assert_eq!(s.bytes_to_server, 5 * 54 + req.len() as u64);
    assert_eq!(s.bytes_to_client, 4 * 54 + 23);
    assert_eq!((s.payload_to_server, s.payload_to_client), (27, 23));
    assert_eq!((s.first_frame, s.last_frame), (1, 9));
    assert_eq!(s.client, ep(C));
    assert_eq!(s.server, ep(S));
    assert!(s.syn_seen);
    assert_eq!(r.rec.ends(0), 2, "no second End at close");
    assert_eq!(r.table.stats().streams, 1);
    assert_eq!(r.table.stats().segments, 9);
}

#[test]
fn relative_numbers_like_tshark() {
    let mut r = Run::new();
    r.handshake(CI, SI);
    let sa = r.raw(C, CI + 1, SI + 1, F_PA, b"hello", 5, 1000);
    assert_eq!((sa.rel_seq, sa.rel_ack, sa.next_rel_seq), (1, 1, 6));
    assert_eq!(sa.dir, Direction::ToServer);
    let sa = r.raw(S, SI + 1, CI + 6, F_ACK, b"", 0, 1000);
    assert_eq!((sa.rel_seq, sa.rel_ack), (1, 6));
    assert_eq!(sa.dir, Direction::ToClient);
}

#[test]
fn reversed_segments_are_delivered_once_in_order() {
    let mut r = Run::new();
    r.handshake(CI, SI);
    let a3 = r.send(C, CI + 9, SI + 1, F_PA, b"ijk");
    let a2 = r.send(C, CI + 5, SI + 1, F_PA, b"efgh");
    assert!(a3.previous_segment_not_captured());
    assert!(a2.out_of_order());
    assert!(r.rec.bytes(0, Direction::ToServer).is_empty());
    // tshark's rule is by time: 2 s after the segment that reached the highest sequence
    // (no less than the 2 s initial RTT) a segment below it is a retransmission, though its
    // bytes are new; the bytes are still delivered, in order.
    let a1 = r.send(C, CI + 1, SI + 1, F_PA, b"abcd");
    assert!(a1.retransmission() && !a1.out_of_order());
    assert_eq!(r.rec.bytes(0, Direction::ToServer), b"abcdefghijk");
    // Buffered data keeps the frame that carried it.
    let frames: Vec<u64> = r
        .rec
        .0
        .iter()
        .filter_map(|e| match e {
            Ev::Data { frame, .. } => Some(*frame),
            _ => None,
        })
        .collect();
    assert_eq!(frames, vec![6, 5, 4]);
    assert_eq!(r.table.stats().out_of_order, 1);
    assert_eq!(r.table.buffered_bytes(), 0);
    assert_eq!(r.table.stats().peak_buffered_bytes, 7);
}

#[test]
fn interleaved_directions() {
    let mut r = Run::new();
    r.handshake(CI, SI);
    r.send(C, CI + 1, SI + 1, F_PA, b"q1;");
    r.send(S, SI + 4, CI + 4, F_PA, b"-r1b");
    r.send(C, CI + 4, SI + 1, F_PA, b"q2;");
    r.send(S, SI + 1, CI + 7, F_PA, b"r1a");
    r.send(S, SI + 8, CI + 7, F_PA, b";r2");
    assert_eq!(r.rec.bytes(0, Direction::ToServer), b"q1;q2;");
    assert_eq!(r.rec.bytes(0, Direction::ToClient), b"r1a-r1b;r2");
}

#[test]
fn overlap_with_equal_bytes_is_silent() {
    let mut r = Run::new();
    r.handshake(CI, SI);
    r.send(C, CI + 6, SI + 1, F_PA, b"FGHIJ");
    r.send(C, CI + 4, SI + 1, F_PA, b"DEFGH");
    r.send(C, CI + 1, SI + 1, F_PA, b"ABCDEF");
    assert_eq!(r.rec.bytes(0, Direction::ToServer), b"ABCDEFGHIJ");
    assert!(r.rec.notes().is_empty());
    assert_eq!(r.table.stats().overlap_conflicts, 0);
}

#[test]
fn overlap_with_different_bytes_keeps_the_first_copy() {
    let mut r = Run::new();
    r.handshake(CI, SI);
    r.send(C, CI + 6, SI + 1, F_PA, b"FGHIJ");
    // Differs at offsets 5..7 (F, G) from the buffered copy.
    r.send(C, CI + 4, SI + 1, F_PA, b"DExyH");
    // Differs at offset 5 (F) from the buffered copy while delivering.
    r.send(C, CI + 1, SI + 1, F_PA, b"ABCDEz");
    assert_eq!(r.rec.bytes(0, Direction::ToServer), b"ABCDEFGHIJ");
    assert_eq!(
        r.rec.notes(),
        vec![
            FlowNote::OverlapConflict {
                offset: 5,
                len: 3,
                frames: [4, 5],
                copy: OtherCopy(b"xyH".to_vec())
            },
            FlowNote::OverlapConflict {
                offset: 5,
                len: 1,
                frames: [4, 6],
                copy: OtherCopy(b"z".to_vec())
            },
        ]
    );
    assert_eq!(r.table.stats().overlap_conflicts, 2);
}

#[test]
fn retransmission_of_delivered_bytes_is_compared() {
    let mut r = Run::new();
    r.handshake(CI, SI);
    r.send(C, CI + 1, SI + 1, F_PA, b"GET /a HTTP/1.1\r\n");
    // Same sequence number and length, other bytes.
    let a = r.send(C, CI + 1, SI + 1, F_PA, b"GET /b HTTP/1.1\r\n");
    assert!(a.retransmission());
    // An identical copy is silent; a partial overlap that differs is not.
    r.send(C, CI + 1, SI + 1, F_PA, b"GET /a HTTP/1.1\r\n");
    r.send(C, CI + 13, SI + 1, F_PA, b"1.0\r\nHost: x\r\n");
    assert_eq!(
        r.rec.bytes(0, Direction::ToServer),
        b"GET /a HTTP/1.1\r\nHost: x\r\n"
    );
    assert_eq!(
        r.rec.notes(),
        vec![
            FlowNote::OverlapConflict {
                offset: 0,
                len: 17,
                frames: [4, 5],
                copy: OtherCopy(b"GET /b HTTP/1.1\r\n".to_vec())
            },
            FlowNote::OverlapConflict {
                offset: 12,
                len: 5,
                frames: [4, 7],
                copy: OtherCopy(b"1.0\r\n".to_vec())
            },
        ]
    );
}

#[test]
fn retransmission_older_than_the_recent_bytes_is_unchecked() {
    let mut r = Run::new();
    r.handshake(CI, SI);
    let big = vec![b'a'; crate::flow::RECENT_DELIVERED + 100];
    r.send(C, CI + 1, SI + 1, F_PA, &big);
    r.send(C, CI + 1, SI + 1, F_PA, b"bb");
    assert_eq!(
        r.rec.notes(),
        vec![FlowNote::OverlapUnchecked {
            offset: 0,
            len: 2,
            copy: OtherCopy(b"bb".to_vec())
        }]
    );
}

#[test]
fn retransmission_is_delivered_once() {
    let mut r = Run::new();
    r.handshake(CI, SI);
    assert!(!r.send(C, CI + 1, SI + 1, F_PA, b"hello").retransmission());
    let a = r.send(C, CI + 1, SI + 1, F_PA, b"hello");
    assert!(a.retransmission() && !a.out_of_order());
    // A resegmented retransmission that carries new bytes too.
    let a = r.send(C, CI + 3, SI + 1, F_PA, b"llo world");
    assert!(a.retransmission());
    assert_eq!(r.rec.bytes(0, Direction::ToServer), b"hello world");
    // A repeated SYN 1 s after the highest segment, within the 2 s initial RTT: tshark
    // calls it out-of-order.
    assert!(r.send(C, CI, 0, F_SYN, b"").out_of_order());
    assert_eq!(r.table.stats().retransmissions, 2);
    assert_eq!(r.table.stats().streams, 1);
}

#[test]
fn sequence_numbers_wrap_at_2_pow_32() {
    let mut r = Run::new();
    let ci = u32::MAX - 5;
    r.handshake(ci, SI);
    // Offsets 0..4 sit before the wrap, 4..12 after it; the middle one comes late.
    r.send(C, ci.wrapping_add(1), SI + 1, F_PA, b"0123");
    r.send(C, ci.wrapping_add(9), SI + 1, F_PA, b"89ab");
    let sa = r.raw(C, ci.wrapping_add(5), SI + 1, F_PA, b"4567", 4, 1000);
    assert!(sa.analysis.out_of_order());
    assert_eq!(sa.rel_seq, 5);
    assert_eq!(r.rec.bytes(0, Direction::ToServer), b"0123456789ab");
    let offsets: Vec<u64> = r
        .rec
        .0
        .iter()
        .filter_map(|e| match e {
            Ev::Data { offset, .. } => Some(*offset),
            _ => None,
        })
        .collect();
    assert_eq!(offsets, vec![0, 4, 8]);
}

#[test]
fn offsets_keep_counting_past_4_gib() {
    let mut half = HalfStream::default();
    half.base = Some(10);
    half.max_seq_end = (1i64 << 32) + 100;
    // Same 32-bit distance as offset 50 or 100, but near the front: a second lap.
    assert_eq!(half.signed_offset(10 + 150), Some((1i64 << 32) + 150));
    assert_eq!(half.signed_offset(10 + 50), Some((1i64 << 32) + 50));
    assert_eq!(half.signed_offset(9), Some((1i64 << 32) - 1));
}

#[test]
fn missing_middle_segment_becomes_a_hole_at_finish() {
    let mut r = Run::new();
    r.handshake(CI, SI);
    r.send(C, CI + 1, SI + 1, F_PA, b"aaaa");
    let a = r.send(C, CI + 9, SI + 1, F_PA, b"cccc");
    assert!(a.previous_segment_not_captured());
    assert_eq!(r.rec.bytes(0, Direction::ToServer), b"aaaa");
    r.finish();
    assert_eq!(r.rec.bytes(0, Direction::ToServer), b"aaaa____cccc");
    assert_eq!(r.rec.holes(), vec![(Direction::ToServer, 4, 4)]);
    assert_eq!(r.rec.ends(0), 2);
    let close = r.rec.closes();
    assert_eq!(close[0].close_reason, CloseReason::EndOfCapture);
    assert_eq!(close[0].state, ConvState::Open);
    assert_eq!(close[0].payload_to_server, 8);
    assert_eq!(r.table.stats().holes, 1);
    assert_eq!(r.table.stats().hole_bytes, 4);
}

#[test]
fn missing_middle_segment_becomes_a_hole_when_the_fin_is_acked() {
    let mut r = Run::new();
    r.handshake(CI, SI);
    r.send(C, CI + 1, SI + 1, F_PA, b"aaaa");
    r.send(C, CI + 9, SI + 1, F_PA, b"cccc");
    r.send(C, CI + 13, SI + 1, F_FIN, b"");
    // FIN seen, gap still open: a retransmission could still come.
    assert_eq!(r.rec.bytes(0, Direction::ToServer), b"aaaa");
    assert_eq!(r.rec.ends(0), 0);
    // The server acknowledges the FIN: the gap is given up.
    r.send(S, SI + 1, CI + 14, F_ACK, b"");
    assert_eq!(r.rec.bytes(0, Direction::ToServer), b"aaaa____cccc");
    assert_eq!(r.rec.ends(0), 1);
    // A late copy of the missing bytes is not delivered again.
    let a = r.send(C, CI + 5, SI + 1, F_PA, b"bbbb");
    assert!(
        a.spurious_retransmission(),
        "the peer acknowledged these bytes"
    );
    assert_eq!(r.rec.bytes(0, Direction::ToServer), b"aaaa____cccc");
}

#[test]
fn gap_filled_after_fin_still_delivers() {
    let mut r = Run::new();
    r.handshake(CI, SI);
    r.send(C, CI + 5, SI + 1, F_PA, b"bbbb");
    r.send(C, CI + 9, SI + 1, F_FIN, b"");
    assert_eq!(r.rec.ends(0), 0);
    r.send(C, CI + 1, SI + 1, F_PA, b"aaaa");
    assert_eq!(r.rec.bytes(0, Direction::ToServer), b"aaaabbbb");
    assert_eq!(r.rec.ends(0), 1);
    assert!(r.rec.holes().is_empty());
}

#[test]
fn syn_less_start_picks_up_mid_stream() {
    let mut r = Run::new();
    // The server speaks first; the lower port (80) is still the server.
    let sa = r.raw(S, 777_777, 123_456, F_PA, b"HTTP/1.1 200 OK\r\n", 17, 1000);
    assert_eq!(sa.dir, Direction::ToClient);
    assert_eq!((sa.rel_seq, sa.rel_ack), (1, 1));
    r.send(C, 123_456, 777_794, F_PA, b"GET /next");
    assert!(matches!(
        r.rec.0.first(),
        Some(Ev::Open { client, server, .. }) if *client == ep(C) && *server == ep(S)
    ));
    assert_eq!(r.rec.notes(), vec![FlowNote::MidStreamPickup]);
    assert_eq!(r.rec.bytes(0, Direction::ToClient), b"HTTP/1.1 200 OK\r\n");
    assert_eq!(r.rec.bytes(0, Direction::ToServer), b"GET /next");
    r.finish();
    assert!(!r.rec.closes()[0].syn_seen);
}

#[test]
fn syn_ack_seen_first_names_its_sender_the_server() {
    let mut r = Run::new();
    r.send(S, SI, CI + 1, F_SYN | F_ACK, b"");
    r.send(C, CI, 0, F_SYN, b"");
    r.send(C, CI + 1, SI + 1, F_PA, b"hi");
    assert!(matches!(
        r.rec.0.first(),
        Some(Ev::Open { client, .. }) if *client == ep(C)
    ));
    assert!(r.rec.notes().is_empty());
    assert_eq!(r.table.stats().streams, 1);
    assert_eq!(r.rec.bytes(0, Direction::ToServer), b"hi");
}

#[test]
fn rst_mid_transfer_closes_the_stream() {
    let mut r = Run::with(FlowConfig {
        idle_timeout_secs: 600,
        ..FlowConfig::default()
    });
    r.handshake(CI, SI);
    r.send(S, SI + 1, CI + 1, F_PA, b"part");
    r.send(S, SI + 9, CI + 1, F_PA, b"late");
    r.send(C, CI + 1, SI + 5, F_RST | F_ACK, b"");
    // The RST flushes what waited behind the gap at once.
    assert_eq!(r.rec.bytes(0, Direction::ToClient), b"part____late");
    // The stream lingers shortly, then closes as reset with both directions ended.
    let t = 1_000 + r.frame as i64 + FINISHED_LINGER_SECS as i64 + 1;
    r.table.advance(Timestamp::new(t, 0), &mut r.rec);
    assert_eq!(r.rec.ends(0), 2);
    let close = r.rec.closes();
    assert_eq!(close.len(), 1);
    assert_eq!(close[0].state, ConvState::Reset);
    assert_eq!(close[0].close_reason, CloseReason::Reset);
    assert_eq!(close[0].packets_to_client, 3);
}

#[test]
fn data_after_an_ignored_rst_is_still_delivered() {
    let mut r = Run::new();
    r.handshake(CI, SI);
    r.send(C, CI + 1, SI + 1, F_RST | F_ACK, b"");
    r.send(C, CI + 1, SI + 1, F_PA, b"GET /hidden");
    r.send(S, SI + 1, CI + 12, F_PA, b"200");
    assert_eq!(r.rec.bytes(0, Direction::ToServer), b"GET /hidden");
    assert_eq!(r.rec.bytes(0, Direction::ToClient), b"200");
    r.finish();
    assert_eq!(r.rec.closes()[0].state, ConvState::Reset);
}

#[test]
fn new_syn_on_a_finished_five_tuple_is_a_new_stream() {
    let mut r = Run::new();
    r.handshake(CI, SI);
    r.send(C, CI + 1, SI + 1, F_PA, b"one");
    r.send(C, CI + 4, SI + 1, F_FIN, b"");
    r.send(S, SI + 1, CI + 5, F_FIN, b"");
    r.send(C, CI + 5, SI + 2, F_ACK, b"");
    r.handshake(90_000, 70_000);
    r.send(C, 90_001, 70_001, F_PA, b"two");
    let close = r.rec.closes();
    assert_eq!(close.len(), 1);
    assert_eq!(close[0].stream, 0);
    assert_eq!(close[0].close_reason, CloseReason::Reused);
    assert_eq!(close[0].state, ConvState::Complete);
    assert_eq!(r.rec.bytes(0, Direction::ToServer), b"one");
    assert_eq!(r.rec.bytes(1, Direction::ToServer), b"two");
    let close_at = r.rec.0.iter().position(|e| matches!(e, Ev::Close { .. }));
    let open1_at = r
        .rec
        .0
        .iter()
        .position(|e| matches!(e, Ev::Open { stream: 1, .. }));
    assert!(close_at < open1_at);
    r.finish();
    let close = r.rec.closes();
    assert_eq!(close.len(), 2);
    assert_eq!(close[1].stream, 1);
    assert_eq!(close[1].packets_to_server, 3);
}

#[test]
fn new_syn_with_another_isn_on_a_live_stream_is_a_new_stream() {
    let mut r = Run::new();
    r.handshake(CI, SI);
    r.send(C, CI + 1, SI + 1, F_PA, b"abandoned");
    r.send(C, 424_242, 0, F_SYN, b"");
    assert_eq!(r.table.stats().streams, 2);
    assert_eq!(r.rec.closes()[0].close_reason, CloseReason::Reused);
    assert_eq!(r.rec.closes()[0].state, ConvState::Open);
}

#[test]
fn syn_with_data_fast_open() {
    let mut r = Run::new();
    let sa = r.raw(C, CI, 0, F_SYN, b"GET / HTTP/1.0\r\n\r\n", 18, 1000);
    assert_eq!(sa.next_rel_seq, 19);
    r.send(S, SI, CI + 19, F_SYN | F_ACK, b"");
    r.send(C, CI + 19, SI + 1, F_ACK, b"");
    assert_eq!(
        r.rec.bytes(0, Direction::ToServer),
        b"GET / HTTP/1.0\r\n\r\n"
    );
    assert!(matches!(
        r.rec.0.get(1),
        Some(Ev::Data {
            offset: 0,
            frame: 1,
            ..
        })
    ));
}

#[test]
fn keep_alive_is_not_data() {
    let mut r = Run::new();
    r.handshake(CI, SI);
    r.send(C, CI + 1, SI + 1, F_PA, b"abc");
    let a = r.send(C, CI + 3, SI + 1, F_ACK, b"\0");
    assert!(a.keep_alive() && !a.retransmission());
    let a = r.send(C, CI + 3, SI + 1, F_ACK, b"");
    assert!(a.keep_alive());
    r.send(C, CI + 4, SI + 1, F_PA, b"def");
    assert_eq!(r.rec.bytes(0, Direction::ToServer), b"abcdef");
    assert_eq!(r.table.stats().retransmissions, 0);
}

#[test]
fn zero_window_and_probe_are_flagged() {
    let mut r = Run::new();
    r.handshake(CI, SI);
    r.send(C, CI + 1, SI + 1, F_PA, b"abc");
    let sa = r.raw(S, SI + 1, CI + 4, F_ACK, b"", 0, 0);
    assert!(sa.analysis.zero_window());
    let a = r.send(C, CI + 4, SI + 1, F_ACK, b"d");
    assert!(a.zero_window_probe() && !a.keep_alive());
    assert_eq!(r.rec.bytes(0, Direction::ToServer), b"abcd");
}

#[test]
fn dup_ack_is_flagged() {
    let mut r = Run::new();
    r.handshake(CI, SI);
    r.send(S, SI + 1, CI + 1, F_PA, b"aaaa");
    r.send(S, SI + 9, CI + 1, F_PA, b"cccc");
    assert!(!r.send(C, CI + 1, SI + 5, F_ACK, b"").dup_ack());
    assert!(r.send(C, CI + 1, SI + 5, F_ACK, b"").dup_ack());
}

#[test]
fn snaplen_cut_payload_leaves_a_hole_of_known_length() {
    let mut r = Run::new();
    r.handshake(CI, SI);
    r.raw(C, CI + 1, SI + 1, F_PA, b"GET ", 10, 1000);
    r.send(C, CI + 11, SI + 1, F_PA, b"tail");
    assert_eq!(r.rec.bytes(0, Direction::ToServer), b"GET ______tail");
    assert_eq!(r.rec.holes(), vec![(Direction::ToServer, 4, 6)]);
    // Out of order and cut: the missing part waits with the buffered bytes.
    r.send(S, SI + 9, CI + 1, F_PA, b"zz");
    r.raw(S, SI + 5, CI + 1, F_PA, b"x", 4, 1000);
    r.send(S, SI + 1, CI + 1, F_PA, b"abcd");
    assert_eq!(r.rec.bytes(0, Direction::ToClient), b"abcdx___zz");
    r.finish();
    assert_eq!(r.rec.closes()[0].payload_to_server, 8);
}

#[test]
fn per_flow_bound_gives_up_the_gap_with_a_note() {
    let mut r = Run::with(FlowConfig {
        max_buffered_per_flow: 8,
        ..FlowConfig::default()
    });
    r.handshake(CI, SI);
    r.send(C, CI + 3, SI + 1, F_PA, b"cdef");
    assert!(r.rec.notes().is_empty());
    r.send(C, CI + 7, SI + 1, F_PA, b"ghijk");
    assert_eq!(
        r.rec.notes(),
        vec![FlowNote::BoundHit {
            bound: "max_buffered_per_flow",
            limit: 8
        }]
    );
    assert_eq!(r.rec.bytes(0, Direction::ToServer), b"__cdefghijk");
    assert_eq!(r.table.buffered_bytes(), 0);
    assert_eq!(r.table.stats().bound_hits, 1);
    assert_eq!(r.table.stats().peak_buffered_bytes, 9);
}

#[test]
fn total_bound_gives_up_gaps_across_flows() {
    let mut r = Run::with(FlowConfig {
        max_buffered_total: 6,
        ..FlowConfig::default()
    });
    r.handshake(CI, SI);
    r.send(C, CI + 3, SI + 1, F_PA, b"cdef");
    r.client_port = 40009;
    r.handshake(CI, SI);
    r.send(C, CI + 2, SI + 1, F_PA, b"xyz");
    assert_eq!(
        r.rec.notes(),
        vec![FlowNote::BoundHit {
            bound: "max_buffered_total",
            limit: 6
        }]
    );
    // The stream that just grew gave up its gap first.
    assert_eq!(r.rec.bytes(1, Direction::ToServer), b"_xyz");
    assert_eq!(r.rec.bytes(0, Direction::ToServer), b"");
    assert_eq!(r.table.buffered_bytes(), 4);
}

#[test]
fn max_flows_evicts_the_idlest_with_a_note() {
    let mut r = Run::with(FlowConfig {
        max_flows: 2,
        ..FlowConfig::default()
    });
    r.handshake(CI, SI);
    r.send(C, CI + 3, SI + 1, F_PA, b"late");
    r.client_port = 40010;
    r.handshake(CI, SI);
    r.client_port = 40001;
    r.send(C, CI + 1, SI + 1, F_PA, b"ab");
    r.client_port = 40011;
    r.handshake(CI, SI);
    // Stream 1 was idle longest (stream 0 just sent): it goes.
    let close = r.rec.closes();
    assert_eq!(close.len(), 1);
    assert_eq!(close[0].stream, 1);
    assert_eq!(close[0].close_reason, CloseReason::Evicted);
    assert!(r.rec.0.contains(&Ev::Note {
        stream: 1,
        note: FlowNote::BoundHit {
            bound: "max_flows",
            limit: 2
        }
    }));
    assert_eq!(r.table.stats().evicted_flows, 1);
    assert_eq!(r.table.stats().peak_live_flows, 2);
    assert_eq!(r.table.live_flows(), 2);
    assert_eq!(r.rec.bytes(0, Direction::ToServer), b"ablate");
}

#[test]
fn idle_streams_expire_by_packet_time() {
    let mut r = Run::with(FlowConfig {
        idle_timeout_secs: 30,
        ..FlowConfig::default()
    });
    r.handshake(CI, SI);
    r.send(C, CI + 1, SI + 1, F_PA, b"x");
    r.table.advance(Timestamp::new(1_020, 0), &mut r.rec);
    assert!(r.rec.closes().is_empty());
    r.table.advance(Timestamp::new(1_040, 0), &mut r.rec);
    let close = r.rec.closes();
    assert_eq!(close.len(), 1);
    assert_eq!(close[0].close_reason, CloseReason::Idle);
    assert_eq!(r.table.live_flows(), 0);
}

#[test]
fn finish_closes_in_stream_order() {
    let mut r = Run::new();
    for port in [40100u16, 40050, 40200, 40001] {
        r.client_port = port;
        r.handshake(CI, SI);
    }
    r.finish();
    let ids: Vec<StreamId> = r.rec.closes().iter().map(|s| s.stream).collect();
    assert_eq!(ids, vec![0, 1, 2, 3]);
    // Every stream opened before anything else of it, and ended both ways before Close.
    for id in 0..4 {
        let first = r.rec.0.iter().position(|e| match e {
            Ev::Open { stream, .. } | Ev::End { stream, .. } => *stream == id,
            Ev::Close { summary } => summary.stream == id,
            _ => false,
        });
        assert!(matches!(first.map(|i| &r.rec.0[i]), Some(Ev::Open { .. })));
        assert_eq!(r.rec.ends(id), 2);
    }
}
