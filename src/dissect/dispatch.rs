//! Routes reassembled stream data to the dissector the content calls for, on any port.
//!
//! The first bytes of each direction are held (bounded) until [`super::http::detect`] or
//! [`super::tls::detect`] is sure; then the chosen dissector receives everything from the
//! start. A stream neither recognises is left undissected (`Unknown`).

// Seeded per process; only looked up, never iterated into output.
use foldhash::HashMap;

use super::{AppEvent, Detect, DissectConfig, StreamDissector};
use crate::flow::{Direction, StreamEvent, StreamId};

/// Bytes held per stream while the protocol is not yet decided.
const MAX_UNDECIDED: usize = 16 << 10;
/// Bytes held over all undecided streams: past it, the stream adding bytes is given up
/// (left undissected, with a note) rather than held, so many flows cannot each hold
/// [`MAX_UNDECIDED`].
const MAX_UNDECIDED_TOTAL: usize = 8 << 20;

/// The application protocol recognised on a stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum AppProto {
    Undecided,
    Http,
    Tls,
    Unknown,
}

impl AppProto {
    pub fn label(self) -> &'static str {
        match self {
            AppProto::Undecided | AppProto::Unknown => "",
            AppProto::Http => "HTTP",
            AppProto::Tls => "TLS",
        }
    }
}

struct Held {
    dir: Direction,
    offset: u64,
    frame: u64,
    /// `None` for a hole of `len` bytes.
    data: Option<Vec<u8>>,
    len: u64,
}

struct StreamState {
    proto: AppProto,
    /// Per direction: first bytes seen (for detection), and whether detection said No.
    prefix: [Vec<u8>; 2],
    refused: [bool; 2],
    held: Vec<Held>,
    held_bytes: usize,
    dissector: Option<Box<dyn StreamDissector>>,
}

/// Chooses and drives a dissector per stream; collects their events in `pending`.
pub struct Dispatcher {
    cfg: DissectConfig,
    streams: HashMap<StreamId, Box<StreamState>>,
    /// Bytes held over all undecided streams.
    held_total: usize,
    /// Events raised since the caller last took them.
    pub pending: Vec<AppEvent>,
}

impl Dispatcher {
    pub fn new(cfg: DissectConfig) -> Self {
        Dispatcher {
            cfg,
            streams: HashMap::default(),
            held_total: 0,
            pending: Vec::new(),
        }
    }

    /// The protocol recognised on a live stream.
    pub fn proto(&self, stream: StreamId) -> AppProto {
        self.streams
            .get(&stream)
            .map(|s| s.proto)
            .unwrap_or(AppProto::Unknown)
    }

    /// Feed one reassembler event. Returns the stream's protocol when the event closed it.
    pub fn on_event(&mut self, now_frame: u64, ev: &StreamEvent<'_>) -> Option<AppProto> {
        match ev {
            StreamEvent::Open { stream, .. } => {
                self.streams.insert(
                    *stream,
                    Box::new(StreamState {
                        proto: AppProto::Undecided,
                        prefix: [Vec::new(), Vec::new()],
                        refused: [false, false],
                        held: Vec::new(),
                        held_bytes: 0,
                        dissector: None,
                    }),
                );
                None
            }
            StreamEvent::Data {
                stream,
                dir,
                offset,
                data,
                frame,
            } => {
                self.data(*stream, *dir, *offset, data, *frame, now_frame);
                None
            }
            StreamEvent::Hole {
                stream,
                dir,
                offset,
                len,
            } => {
                let st = self.streams.get_mut(stream)?;
                match st.proto {
                    AppProto::Undecided => {
                        st.held.push(Held {
                            dir: *dir,
                            offset: *offset,
                            frame: now_frame,
                            data: None,
                            len: *len,
                        });
                        // The start of this direction is gone: it cannot be recognised.
                        if st.prefix[dir.index()].is_empty() {
                            st.refused[dir.index()] = true;
                        }
                    }
                    _ => {
                        if let Some(d) = st.dissector.as_mut() {
                            d.hole(*dir, *offset, *len, now_frame, &mut self.pending);
                        }
                    }
                }
                None
            }
            StreamEvent::End { stream, dir } => {
                if let Some(d) = self
                    .streams
                    .get_mut(stream)
                    .and_then(|s| s.dissector.as_mut())
                {
                    d.end(*dir, now_frame, &mut self.pending);
                }
                None
            }
            StreamEvent::Note { .. } => None,
            StreamEvent::Close { stream, .. } => {
                let st = self.streams.remove(stream)?;
                self.held_total = self.held_total.saturating_sub(st.held_bytes);
                let mut st = st;
                if let Some(d) = st.dissector.as_mut() {
                    d.close(now_frame, &mut self.pending);
                }
                Some(match st.proto {
                    AppProto::Undecided => AppProto::Unknown,
                    p => p,
                })
            }
        }
    }

    fn data(
        &mut self,
        stream: StreamId,
        dir: Direction,
        offset: u64,
        data: &[u8],
        frame: u64,
        now_frame: u64,
    ) {
        let Some(st) = self.streams.get_mut(&stream) else {
            return;
        };
        match st.proto {
            AppProto::Http | AppProto::Tls => {
                if let Some(d) = st.dissector.as_mut() {
                    d.data(dir, offset, data, frame, now_frame, &mut self.pending);
                }
            }
            AppProto::Unknown => {}
            AppProto::Undecided => {
                st.held.push(Held {
                    dir,
                    offset,
                    frame,
                    data: Some(data.to_vec()),
                    len: data.len() as u64,
                });
                st.held_bytes += data.len();
                self.held_total = self.held_total.saturating_add(data.len());
                let i = dir.index();
                if !st.refused[i] {
                    let room = 64usize.saturating_sub(st.prefix[i].len());
                    st.prefix[i]
                        .extend_from_slice(data.get(..room.min(data.len())).unwrap_or_default());
                    let p = &st.prefix[i];
                    let verdict = match (super::http::detect(p), super::tls::detect(p)) {
                        (Detect::Yes, _) => Some(AppProto::Http),
                        (_, Detect::Yes) => Some(AppProto::Tls),
                        (Detect::No, Detect::No) => None,
                        _ => Some(AppProto::Undecided),
                    };
                    match verdict {
                        Some(AppProto::Undecided) => {}
                        Some(p) => {
                            st.proto = p;
                            let mut d: Box<dyn StreamDissector> = match p {
                                AppProto::Http => {
                                    Box::new(super::http::HttpStream::new(stream, &self.cfg))
                                }
                                _ => Box::new(super::tls::TlsStream::new(stream, &self.cfg)),
                            };
                            for h in st.held.drain(..) {
                                match &h.data {
                                    Some(bytes) => d.data(
                                        h.dir,
                                        h.offset,
                                        bytes,
                                        h.frame,
                                        now_frame,
                                        &mut self.pending,
                                    ),
                                    None => {
                                        d.hole(h.dir, h.offset, h.len, now_frame, &mut self.pending)
                                    }
                                }
                            }
                            self.held_total = self.held_total.saturating_sub(st.held_bytes);
                            st.held_bytes = 0;
                            st.dissector = Some(d);
                            return;
                        }
                        None => st.refused[i] = true,
                    }
                }
                let over_total = self.held_total > MAX_UNDECIDED_TOTAL;
                if (st.refused[0] && st.refused[1]) || st.held_bytes > MAX_UNDECIDED || over_total {
                    st.proto = AppProto::Unknown;
                    st.held.clear();
                    self.held_total = self.held_total.saturating_sub(st.held_bytes);
                    st.held_bytes = 0;
                    if over_total {
                        self.pending.push(AppEvent {
                            stream,
                            dir,
                            frame: now_frame,
                            frames: Vec::new(),
                            kind: super::AppKind::Note(format!(
                                "protocol not recognised while {MAX_UNDECIDED_TOTAL} bytes were held over all streams; stream left undissected"
                            )),
                        });
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::net::{IpAddr, Ipv4Addr};

    use super::*;
    use crate::capture::Timestamp;
    use crate::dissect::AppKind;
    use crate::flow::Endpoint;

    fn open(d: &mut Dispatcher, stream: StreamId) {
        let ep = |port| Endpoint {
            addr: IpAddr::V4(Ipv4Addr::LOCALHOST),
            port,
        };
        d.on_event(
            1,
            &StreamEvent::Open {
                stream,
                client: ep(40000),
                server: ep(7000),
                frame: 1,
                ts: Timestamp::new(0, 0),
            },
        );
    }

    #[test]
    fn undecided_bytes_are_bounded_over_all_streams() {
        let mut d = Dispatcher::new(DissectConfig::default());
        // Neither HTTP nor TLS, and the server never speaks: each stream holds 16 KiB.
        let junk = vec![0u8; MAX_UNDECIDED];
        let streams = (MAX_UNDECIDED_TOTAL / MAX_UNDECIDED + 10) as StreamId;
        for s in 0..streams {
            open(&mut d, s);
            d.on_event(
                2,
                &StreamEvent::Data {
                    stream: s,
                    dir: Direction::ToServer,
                    offset: 0,
                    data: &junk,
                    frame: 2,
                },
            );
            assert!(
                d.held_total <= MAX_UNDECIDED_TOTAL + MAX_UNDECIDED,
                "held {}",
                d.held_total
            );
        }
        // The first streams fit and are still undecided; those past the bound were given up.
        assert_eq!(d.proto(0), AppProto::Undecided);
        assert_eq!(d.proto(streams - 1), AppProto::Unknown);
        let notes = d
            .pending
            .iter()
            .filter(|e| matches!(&e.kind, AppKind::Note(n) if n.contains("undissected")))
            .count();
        assert_eq!(notes, 10, "one note per stream given up");
        // Closing a stream releases what it held.
        let before = d.held_total;
        d.on_event(
            3,
            &StreamEvent::Close {
                stream: 0,
                summary: dummy_summary(0),
            },
        );
        assert_eq!(d.held_total, before - MAX_UNDECIDED);
    }

    fn dummy_summary(stream: StreamId) -> crate::flow::ConversationSummary {
        let ep = Endpoint {
            addr: IpAddr::V4(Ipv4Addr::LOCALHOST),
            port: 1,
        };
        crate::flow::ConversationSummary {
            stream,
            client: ep,
            server: ep,
            packets_to_server: 0,
            bytes_to_server: 0,
            packets_to_client: 0,
            bytes_to_client: 0,
            payload_to_server: 0,
            payload_to_client: 0,
            first_frame: 1,
            last_frame: 1,
            start: Timestamp::new(0, 0),
            end: Timestamp::new(0, 0),
            state: crate::flow::ConvState::Open,
            close_reason: crate::flow::CloseReason::EndOfCapture,
            syn_seen: true,
        }
    }
}
