//! Routes each session's bytes to the parser the content calls for, on any port, and
//! each parser's child streams (decrypted bytes, an upgraded connection) to theirs.
//!
//! The first bytes of each direction are held (bounded) until a probe of the
//! [`super::registry`] is sure; then the chosen parser receives everything from the start.
//! A stream no probe recognises is left undissected. Child streams are routed the same
//! way (or to the protocol their parent forces by name), to a bounded depth.

use std::sync::Arc;

// Seeded per process; only looked up, never iterated into output.
use foldhash::HashMap;

use super::parser::{
    AppEvent, ChildOp, Chunk, Ctx, Datagram, Layer, ParseWork, Parser, ParserConfig, SessionInfo,
    Transport,
};
use super::registry::{self, Probe, Protocol};
use crate::flow::{Direction, Endpoint, StreamEvent, StreamId, UdpEvent};

/// Bytes held per stream while the protocol is not yet decided.
const MAX_UNDECIDED: usize = 16 << 10;
/// Bytes held over all undecided streams: past it, the stream adding bytes is given up
/// (left undissected, with a note) rather than held, so many flows cannot each hold
/// [`MAX_UNDECIDED`].
const MAX_UNDECIDED_TOTAL: usize = 8 << 20;
/// Bytes of each direction a probe sees at most.
const PROBE_LEN: usize = 64;
/// Child streams per parser, and nesting depth (TCP → TLS → HTTP → upgraded is 3).
const MAX_CHILDREN: usize = 64;
const MAX_DEPTH: usize = 4;
/// Datagrams of a session probed before it is left undissected.
const MAX_PROBED_DATAGRAMS: u32 = 8;

/// What is known of a stream's protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recognised {
    Undecided,
    Known(&'static Protocol),
    Unknown,
}

struct Held {
    dir: Direction,
    offset: u64,
    frame: u64,
    /// `None` for a hole of `len` bytes.
    data: Option<Vec<u8>>,
    len: u64,
}

enum State {
    Undecided {
        /// Per direction: first bytes seen (for detection), and whether probing said No.
        prefix: [Vec<u8>; 2],
        refused: [bool; 2],
        held: Vec<Held>,
        held_bytes: usize,
        /// Datagrams probed so far (datagram sessions hold nothing: each is probed alone).
        datagrams: u32,
    },
    Parsing {
        proto: &'static Protocol,
        parser: Box<dyn Parser>,
    },
    Unknown,
}

/// One byte stream of a session (the session itself, or a child stream) and its parser.
struct Slot {
    info: SessionInfo,
    state: State,
    children: Vec<(u64, Slot)>,
    children_full_noted: bool,
}

/// What the dispatcher shares with every slot during one call.
struct Env<'a> {
    cfg: &'a ParserConfig,
    held_total: &'a mut usize,
    pending: &'a mut Vec<AppEvent>,
    now_frame: u64,
    now_ts: Option<crate::capture::Timestamp>,
    work: &'a mut ParseWork,
}

/// One input for a slot.
enum Input<'a> {
    Data(Chunk<'a>),
    Gap {
        dir: Direction,
        offset: u64,
        len: u64,
    },
    End(Direction),
    Datagram(Datagram<'a>),
    Close,
}

impl Slot {
    fn new(info: SessionInfo, forced: Option<&'static Protocol>, cfg: &ParserConfig) -> Self {
        let state = match forced {
            Some(proto) => State::Parsing {
                proto,
                parser: (proto.new_parser)(&info, cfg),
            },
            None => State::Undecided {
                prefix: [Vec::new(), Vec::new()],
                refused: [false, false],
                held: Vec::new(),
                held_bytes: 0,
                datagrams: 0,
            },
        };
        Slot {
            info,
            state,
            children: Vec::new(),
            children_full_noted: false,
        }
    }

    fn recognised(&self) -> Recognised {
        match &self.state {
            State::Undecided { .. } => Recognised::Undecided,
            State::Parsing { proto, .. } => Recognised::Known(proto),
            State::Unknown => Recognised::Unknown,
        }
    }

    fn input(&mut self, env: &mut Env<'_>, input: Input<'_>, depth: usize) {
        let mut ops = Vec::new();
        match &mut self.state {
            State::Parsing { parser, .. } => {
                let mut ctx = Ctx::for_session(&self.info, env.now_frame, env.pending, &mut ops)
                    .at(env.now_ts);
                match &input {
                    Input::Data(c) => parser.data(&mut ctx, c),
                    Input::Gap { dir, offset, len } => parser.gap(&mut ctx, *dir, *offset, *len),
                    Input::End(dir) => parser.end(&mut ctx, *dir),
                    Input::Datagram(d) => parser.datagram(&mut ctx, d),
                    Input::Close => parser.close(&mut ctx),
                }
                let work = ctx.work();
                env.work.add(work);
            }
            State::Unknown => {}
            State::Undecided {
                prefix,
                refused,
                held,
                ..
            } => {
                if let Input::Gap { dir, offset, len } = &input {
                    held.push(Held {
                        dir: *dir,
                        offset: *offset,
                        frame: env.now_frame,
                        data: None,
                        len: *len,
                    });
                    // The start of this direction is gone: it cannot be recognised.
                    if prefix[dir.index()].is_empty() {
                        refused[dir.index()] = true;
                    }
                }
            }
        }
        if !ops.is_empty() {
            self.children_ops(env, ops, depth);
        }
        match input {
            Input::Data(c) if matches!(self.state, State::Undecided { .. }) => {
                self.undecided_data(env, &c, depth)
            }
            Input::Datagram(d) if matches!(self.state, State::Undecided { .. }) => {
                self.undecided_datagram(env, &d, depth)
            }
            Input::Close => {
                self.release(env);
                for (_, child) in self.children.iter_mut() {
                    child.input(env, Input::Close, depth + 1);
                }
                self.children.clear();
            }
            _ => {}
        }
    }

    /// The most bytes one parser of this slot (or of a child stream) could give back to
    /// the memory budget.
    fn largest_releasable(&self) -> usize {
        let own = match &self.state {
            State::Parsing { parser, .. } => parser.releasable(),
            _ => 0,
        };
        self.children
            .iter()
            .map(|(_, c)| c.largest_releasable())
            .fold(own, usize::max)
    }

    /// Have the parser counted by [`Slot::largest_releasable`] give its bytes back.
    fn release_largest(&mut self, env: &mut Env<'_>, depth: usize) -> usize {
        let best_child = self
            .children
            .iter()
            .enumerate()
            .map(|(i, (_, c))| (c.largest_releasable(), i))
            .max_by_key(|&(n, i)| (n, std::cmp::Reverse(i)));
        let mut ops = Vec::new();
        let freed = match (&mut self.state, best_child) {
            (State::Parsing { parser, .. }, best)
                if parser.releasable() > 0
                    && best.is_none_or(|(n, _)| parser.releasable() >= n) =>
            {
                let mut ctx = Ctx::for_session(&self.info, env.now_frame, env.pending, &mut ops)
                    .at(env.now_ts);
                parser.release(&mut ctx)
            }
            (_, Some((n, i))) if n > 0 => match self.children.get_mut(i) {
                Some((_, child)) => child.release_largest(env, depth + 1),
                None => 0,
            },
            _ => 0,
        };
        if !ops.is_empty() {
            self.children_ops(env, ops, depth);
        }
        freed
    }

    /// Give back what an undecided slot holds.
    fn release(&mut self, env: &mut Env<'_>) {
        if let State::Undecided {
            held, held_bytes, ..
        } = &mut self.state
        {
            *env.held_total = env.held_total.saturating_sub(*held_bytes);
            *held_bytes = 0;
            held.clear();
        }
    }

    fn undecided_data(&mut self, env: &mut Env<'_>, c: &Chunk<'_>, depth: usize) {
        let State::Undecided {
            prefix,
            refused,
            held,
            held_bytes,
            ..
        } = &mut self.state
        else {
            return;
        };
        held.push(Held {
            dir: c.dir,
            offset: c.offset,
            frame: c.frame,
            data: Some(c.bytes.to_vec()),
            len: c.bytes.len() as u64,
        });
        *held_bytes += c.bytes.len();
        *env.held_total = env.held_total.saturating_add(c.bytes.len());
        let i = c.dir.index();
        if !refused[i] {
            let room = PROBE_LEN.saturating_sub(prefix[i].len());
            prefix[i].extend_from_slice(c.bytes.get(..room.min(c.bytes.len())).unwrap_or_default());
            let ports = [self.info.client.port, self.info.server.port];
            match registry::probe(self.info.transport, ports, c.dir, &prefix[i]) {
                Probe::NeedMore => {}
                Probe::Found(proto) => {
                    let held = std::mem::take(held);
                    *env.held_total = env.held_total.saturating_sub(*held_bytes);
                    self.state = State::Parsing {
                        proto,
                        parser: (proto.new_parser)(&self.info, env.cfg),
                    };
                    for h in held {
                        let input = match &h.data {
                            Some(bytes) => Input::Data(Chunk {
                                dir: h.dir,
                                offset: h.offset,
                                bytes,
                                frame: h.frame,
                                frame_offset: None,
                            }),
                            None => Input::Gap {
                                dir: h.dir,
                                offset: h.offset,
                                len: h.len,
                            },
                        };
                        self.input(env, input, depth);
                    }
                    return;
                }
                Probe::None => refused[i] = true,
            }
        }
        let over_total = *env.held_total > MAX_UNDECIDED_TOTAL;
        if (refused[0] && refused[1]) || *held_bytes > MAX_UNDECIDED || over_total {
            self.release(env);
            self.state = State::Unknown;
            if over_total {
                let mut ops = Vec::new();
                Ctx::for_session(&self.info, env.now_frame, env.pending, &mut ops).at(env.now_ts).note(
                    c.dir,
                    format!(
                        "protocol not recognised while {MAX_UNDECIDED_TOTAL} bytes were held over all streams; stream left undissected"
                    ),
                );
            }
        }
    }

    /// A datagram of a session not yet recognised: probed alone (nothing is held); the
    /// first `Yes` builds the parser, which gets this datagram.
    fn undecided_datagram(&mut self, env: &mut Env<'_>, d: &Datagram<'_>, depth: usize) {
        let State::Undecided { datagrams, .. } = &mut self.state else {
            return;
        };
        *datagrams += 1;
        let ports = [self.info.client.port, self.info.server.port];
        match registry::probe(self.info.transport, ports, d.dir, d.bytes) {
            Probe::Found(proto) => {
                self.state = State::Parsing {
                    proto,
                    parser: (proto.new_parser)(&self.info, env.cfg),
                };
                self.input(env, Input::Datagram(*d), depth);
            }
            Probe::NeedMore | Probe::None => {
                if *datagrams >= MAX_PROBED_DATAGRAMS {
                    self.state = State::Unknown;
                }
            }
        }
    }

    /// Apply what the parser asked of its child streams.
    fn children_ops(&mut self, env: &mut Env<'_>, ops: Vec<ChildOp>, depth: usize) {
        for op in ops {
            let (key, layer, forced) = match &op {
                ChildOp::Open {
                    key,
                    layer,
                    protocol,
                } => (*key, *layer, *protocol),
                ChildOp::Data { key, layer, .. } => (*key, *layer, None),
                ChildOp::Gap { key, .. }
                | ChildOp::End { key, .. }
                | ChildOp::Upgrade { key, .. } => (*key, self.info.layer, None),
            };
            let Some(child) = self.child(env, key, layer, forced, depth) else {
                continue;
            };
            match op {
                ChildOp::Open { .. } => {}
                ChildOp::Data {
                    dir,
                    offset,
                    bytes,
                    frame,
                    ..
                } => child.input(
                    env,
                    Input::Data(Chunk {
                        dir,
                        offset,
                        bytes: bytes.as_slice(),
                        frame,
                        frame_offset: None,
                    }),
                    depth + 1,
                ),
                ChildOp::Gap {
                    dir, offset, len, ..
                } => child.input(env, Input::Gap { dir, offset, len }, depth + 1),
                ChildOp::End { dir, .. } => child.input(env, Input::End(dir), depth + 1),
                ChildOp::Upgrade { request, .. } => {
                    if let State::Parsing { parser, .. } = &mut child.state {
                        parser.upgraded_from(&request);
                    }
                }
            }
        }
    }

    /// Child stream `key`, opened on first use (bounded in number and depth).
    fn child(
        &mut self,
        env: &mut Env<'_>,
        key: u64,
        layer: Layer,
        forced: Option<&'static str>,
        depth: usize,
    ) -> Option<&mut Slot> {
        if depth + 1 >= MAX_DEPTH {
            return None;
        }
        let at = match self.children.iter().position(|(k, _)| *k == key) {
            Some(at) => at,
            None => {
                if self.children.len() >= MAX_CHILDREN {
                    if !self.children_full_noted {
                        self.children_full_noted = true;
                        let mut ops = Vec::new();
                        Ctx::for_session(&self.info, env.now_frame, env.pending, &mut ops).at(env.now_ts)
                            .note(
                                Direction::ToServer,
                                format!("more than {MAX_CHILDREN} inner streams; the others are not dissected"),
                            );
                    }
                    return None;
                }
                let info = SessionInfo { layer, ..self.info };
                let proto = forced.and_then(registry::by_name);
                self.children.push((key, Slot::new(info, proto, env.cfg)));
                self.children.len() - 1
            }
        };
        self.children.get_mut(at).map(|(_, s)| s)
    }
}

/// Chooses and drives a parser per session; collects their events in `pending`.
pub struct Dispatcher {
    cfg: Arc<ParserConfig>,
    /// Live sessions by transport and id (TCP streams and UDP sessions are numbered apart).
    sessions: HashMap<(Transport, StreamId), Box<Slot>>,
    /// Bytes held over all undecided streams.
    held_total: usize,
    /// Events raised since the caller last took them.
    pub pending: Vec<AppEvent>,
    /// The parsers' work, summed.
    work: ParseWork,
    /// The time of the frame whose events are being fed ([`Dispatcher::set_time`]).
    now_ts: Option<crate::capture::Timestamp>,
}

impl Dispatcher {
    pub fn new(cfg: Arc<ParserConfig>) -> Self {
        Dispatcher {
            cfg,
            sessions: HashMap::default(),
            held_total: 0,
            pending: Vec::new(),
            work: ParseWork::default(),
            now_ts: None,
        }
    }

    /// The time of the frame whose events come next: parsers read it as `Ctx::now_ts`.
    pub fn set_time(&mut self, ts: crate::capture::Timestamp) {
        self.now_ts = Some(ts);
    }

    /// The parsers' work so far (`--stats`).
    pub fn work(&self) -> ParseWork {
        self.work
    }

    /// The protocol a `-d` rule forces on a new session, if any.
    /// A new TCP or UDP session: its slot, with the protocol `-d` forces on its ports.
    fn open_session(
        &mut self,
        transport: Transport,
        id: StreamId,
        client: Endpoint,
        server: Endpoint,
    ) {
        let info = SessionInfo {
            id,
            transport,
            client,
            server,
            layer: Layer::Clear,
        };
        let forced = self.forced(&info);
        self.sessions.insert(
            (transport, id),
            Box::new(Slot::new(info, forced, &self.cfg)),
        );
    }

    fn forced(&self, info: &SessionInfo) -> Option<&'static Protocol> {
        super::decode_as::forced(
            &self.cfg.dissect.decode_as,
            info.transport,
            [info.server.port, info.client.port],
        )
    }

    /// What is known of a live session's protocol.
    pub fn recognised(&self, transport: Transport, stream: StreamId) -> Recognised {
        self.sessions
            .get(&(transport, stream))
            .map_or(Recognised::Unknown, |s| s.recognised())
    }

    fn feed(&mut self, key: (Transport, StreamId), now_frame: u64, input: Input<'_>) {
        let Some(slot) = self.sessions.get_mut(&key) else {
            return;
        };
        let mut env = Env {
            cfg: &self.cfg,
            held_total: &mut self.held_total,
            pending: &mut self.pending,
            now_frame,
            now_ts: self.now_ts,
            work: &mut self.work,
        };
        slot.input(&mut env, input, 0);
    }

    /// Feed one reassembler event. When the event closed the session, returns
    /// `Some(protocol)` (`Some(None)`: never recognised).
    pub fn on_event(
        &mut self,
        now_frame: u64,
        ev: &StreamEvent<'_>,
    ) -> Option<Option<&'static Protocol>> {
        match ev {
            StreamEvent::Open {
                stream,
                client,
                server,
                ..
            } => {
                self.open_session(Transport::Tcp, *stream, *client, *server);
                None
            }
            StreamEvent::Data {
                stream,
                dir,
                offset,
                data,
                frame,
                frame_offset,
            } => {
                let chunk = Chunk {
                    dir: *dir,
                    offset: *offset,
                    bytes: data,
                    frame: *frame,
                    // Parsers place what they show in the frame being processed: bytes
                    // of an earlier frame (buffered behind a gap) have no place in it.
                    frame_offset: (*frame == now_frame).then_some(*frame_offset),
                };
                self.feed((Transport::Tcp, *stream), now_frame, Input::Data(chunk));
                None
            }
            StreamEvent::Hole {
                stream,
                dir,
                offset,
                len,
            } => {
                let input = Input::Gap {
                    dir: *dir,
                    offset: *offset,
                    len: *len,
                };
                self.feed((Transport::Tcp, *stream), now_frame, input);
                None
            }
            StreamEvent::End { stream, dir } => {
                self.feed((Transport::Tcp, *stream), now_frame, Input::End(*dir));
                None
            }
            StreamEvent::Note { .. } => None,
            StreamEvent::Close { stream, .. } => {
                self.feed((Transport::Tcp, *stream), now_frame, Input::Close);
                self.closed((Transport::Tcp, *stream))
            }
        }
    }

    /// Bytes held while protocols are undecided, over all streams.
    pub fn undecided_bytes(&self) -> usize {
        self.held_total
    }

    /// The memory budget is exceeded: the parser holding the most releasable bytes (HTTP
    /// bodies being read) emits what it read and gives them back; lowest session id on
    /// ties. Returns the bytes given back (0: no parser holds any).
    pub fn release_largest(&mut self, now_frame: u64) -> usize {
        let Some((n, key)) = self
            .sessions
            .iter()
            .map(|(k, s)| (s.largest_releasable(), *k))
            .max_by_key(|&(n, (t, id))| (n, std::cmp::Reverse((id, t))))
        else {
            return 0;
        };
        if n == 0 {
            return 0;
        }
        let Some(slot) = self.sessions.get_mut(&key) else {
            return 0;
        };
        let mut env = Env {
            cfg: &self.cfg,
            held_total: &mut self.held_total,
            pending: &mut self.pending,
            now_frame,
            now_ts: self.now_ts,
            work: &mut self.work,
        };
        slot.release_largest(&mut env, 0)
    }

    /// Remove a closed session: `Some(protocol)` (`Some(None)`: never recognised).
    fn closed(&mut self, key: (Transport, StreamId)) -> Option<Option<&'static Protocol>> {
        let slot = self.sessions.remove(&key)?;
        Some(match slot.recognised() {
            Recognised::Known(p) => Some(p),
            _ => None,
        })
    }

    /// Feed one UDP session event. When the event closed the session, returns
    /// `Some(protocol)` (`Some(None)`: never recognised).
    pub fn on_udp(
        &mut self,
        now_frame: u64,
        ev: &UdpEvent<'_>,
    ) -> Option<Option<&'static Protocol>> {
        match ev {
            UdpEvent::Open {
                session,
                client,
                server,
                ..
            } => {
                self.open_session(Transport::Udp, *session, *client, *server);
                None
            }
            UdpEvent::Datagram {
                session,
                dir,
                data,
                frame,
                frame_offset,
            } => {
                let d = Datagram {
                    dir: *dir,
                    bytes: data,
                    frame: *frame,
                    frame_offset: Some(*frame_offset),
                };
                self.feed((Transport::Udp, *session), now_frame, Input::Datagram(d));
                None
            }
            UdpEvent::Close { session, .. } => {
                self.feed((Transport::Udp, *session), now_frame, Input::Close);
                self.closed((Transport::Udp, *session))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::net::{IpAddr, Ipv4Addr};

    use super::*;
    use crate::capture::Timestamp;
    use crate::dissect::DissectConfig;
    use crate::flow::Endpoint;
    use crate::flow::UdpEvent;

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
        let mut d = Dispatcher::new(Arc::new(ParserConfig::new(DissectConfig::default())));
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
                    frame_offset: 54,
                },
            );
            assert!(
                d.held_total <= MAX_UNDECIDED_TOTAL + MAX_UNDECIDED,
                "held {}",
                d.held_total
            );
        }
        // The first streams fit and are still undecided; those past the bound were given up.
        assert_eq!(d.recognised(Transport::Tcp, 0), Recognised::Undecided);
        assert_eq!(
            d.recognised(Transport::Tcp, streams - 1),
            Recognised::Unknown
        );
        let notes = d
            .pending
            .iter()
            .filter(|e| e.msg.note().is_some_and(|n| n.contains("undissected")))
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

    fn data(d: &mut Dispatcher, stream: StreamId, dir: Direction, offset: u64, bytes: &[u8]) {
        d.on_event(
            offset + 2,
            &StreamEvent::Data {
                stream,
                dir,
                offset,
                data: bytes,
                frame: offset + 2,
                frame_offset: 54,
            },
        );
    }

    #[test]
    fn h2c_upgrade_goes_to_an_http2_child_that_answers_the_request() {
        let mut d = Dispatcher::new(Arc::new(ParserConfig::default()));
        open(&mut d, 3);
        let req = b"GET / HTTP/1.1\r\nHost: h\r\nUpgrade: h2c\r\nConnection: Upgrade\r\n\r\n";
        let resp = b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\n\r\n";
        data(&mut d, 3, Direction::ToServer, 0, req);
        data(&mut d, 3, Direction::ToClient, 0, resp);
        // `Upgrade: h2c` hands the rest to an HTTP/2 child, which answers the HTTP/1.1
        // request on stream 1 (RFC 9113 §3.2): a SETTINGS frame, then HEADERS `:status 200`
        // (HPACK 0x88) with END_STREAM.
        let mut client = crate::dissect::http2::frame::PREFACE.to_vec();
        client.extend_from_slice(&[0, 0, 0, 4, 0, 0, 0, 0, 0]);
        data(&mut d, 3, Direction::ToServer, req.len() as u64, &client);
        let server = [
            &[0u8, 0, 0, 4, 0, 0, 0, 0, 0][..],
            &[0, 0, 1, 1, 5, 0, 0, 0, 1, 0x88],
        ]
        .concat();
        data(&mut d, 3, Direction::ToClient, resp.len() as u64, &server);
        let http: Vec<_> = d
            .pending
            .iter()
            .filter_map(|e| e.msg.http().map(|h| (e.msg.protocol_name(), h)))
            .collect();
        assert_eq!(http.len(), 3, "{http:?}");
        let (proto, h2) = http[2];
        assert_eq!(proto, "http2");
        assert_eq!((&*h2.version, h2.stream_id), ("HTTP/2", Some(1)));
        let crate::dissect::http::StartLine::Response(st) = &h2.start else {
            panic!("not a response: {h2:?}");
        };
        assert_eq!(st.status, 200);
        assert_eq!(st.request_method.as_deref(), Some("GET"));
        assert_eq!(st.request_uri.as_deref(), Some(&b"/"[..]));
        assert_eq!(st.request_host.as_deref(), Some(&b"h"[..]));
        assert_eq!(
            d.recognised(Transport::Tcp, 3),
            Recognised::Known(registry::by_name("http").unwrap())
        );
    }

    /// A parser that hands every byte it gets to its child as plaintext (as TLS does once
    /// it can decrypt).
    struct Decrypting;

    impl Parser for Decrypting {
        fn data(&mut self, ctx: &mut Ctx<'_>, c: &Chunk<'_>) {
            ctx.plaintext(c.dir, c.offset, Arc::new(c.bytes.to_vec()), c.frame);
        }
        fn gap(&mut self, _: &mut Ctx<'_>, _: Direction, _: u64, _: u64) {}
        fn end(&mut self, ctx: &mut Ctx<'_>, dir: Direction) {
            ctx.child_end(0, dir);
        }
        fn close(&mut self, _: &mut Ctx<'_>) {}
    }

    #[test]
    fn plaintext_child_is_detected_and_its_events_carry_the_tls_layer() {
        let mut d = Dispatcher::new(Arc::new(ParserConfig::default()));
        open(&mut d, 5);
        if let Some(slot) = d.sessions.get_mut(&(Transport::Tcp, 5)) {
            slot.state = State::Parsing {
                proto: registry::by_name("tls").unwrap(),
                parser: Box::new(Decrypting),
            };
        }
        data(
            &mut d,
            5,
            Direction::ToServer,
            0,
            b"GET /secret HTTP/1.1\r\n",
        );
        data(&mut d, 5, Direction::ToServer, 22, b"Host: h\r\n\r\n");
        let resp = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi";
        data(&mut d, 5, Direction::ToClient, 0, resp);
        let got: Vec<_> = d
            .pending
            .iter()
            .map(|e| {
                (
                    e.layer,
                    e.msg.protocol_name(),
                    e.msg.info(),
                    e.frames.clone(),
                )
            })
            .collect();
        assert_eq!(got.len(), 2, "{got:?}");
        assert_eq!(got[0].0, Layer::Tls);
        assert_eq!(got[0].1, "http");
        assert!(got[0].2.starts_with("GET /secret HTTP/1.1"), "{got:?}");
        assert_eq!(got[0].3, vec![2, 24], "frames of the child's bytes");
        assert_eq!(got[1].0, Layer::Tls);
        assert!(got[1].2.contains("200 OK"), "{got:?}");
    }

    #[test]
    fn forced_child_protocol_skips_detection() {
        let mut d = Dispatcher::new(Arc::new(ParserConfig::default()));
        open(&mut d, 6);
        let Some(slot) = d.sessions.get_mut(&(Transport::Tcp, 6)) else {
            panic!("session 6 is open");
        };
        let mut env = Env {
            cfg: &ParserConfig::default(),
            held_total: &mut 0,
            pending: &mut Vec::new(),
            now_frame: 1,
            now_ts: None,
            work: &mut ParseWork::default(),
        };
        let child = slot.child(&mut env, 9, Layer::Tls, Some("tls"), 0);
        assert_eq!(
            child.map(|c| c.recognised()),
            Some(Recognised::Known(registry::by_name("tls").unwrap()))
        );
    }

    /// A datagram parser that notes each datagram's size and in-frame offset.
    struct Counting;

    impl Parser for Counting {
        fn data(&mut self, _: &mut Ctx<'_>, _: &Chunk<'_>) {}
        fn gap(&mut self, _: &mut Ctx<'_>, _: Direction, _: u64, _: u64) {}
        fn datagram(&mut self, ctx: &mut Ctx<'_>, d: &Datagram<'_>) {
            ctx.note(
                d.dir,
                format!("{} bytes at {:?}", d.bytes.len(), d.frame_offset),
            );
        }
        fn end(&mut self, _: &mut Ctx<'_>, _: Direction) {}
        fn close(&mut self, ctx: &mut Ctx<'_>) {
            ctx.note(Direction::ToServer, "closed".into());
        }
    }

    #[test]
    fn udp_sessions_are_apart_from_tcp_streams_of_the_same_id() {
        let mut d = Dispatcher::new(Arc::new(ParserConfig::default()));
        open(&mut d, 0);
        let ep = |port| Endpoint {
            addr: IpAddr::V4(Ipv4Addr::LOCALHOST),
            port,
        };
        d.on_udp(
            4,
            &UdpEvent::Open {
                session: 0,
                client: ep(5353),
                server: ep(53),
                frame: 4,
                ts: Timestamp::new(0, 0),
            },
        );
        // Nothing registered recognises these bytes: the session stays undecided a while.
        assert_eq!(d.recognised(Transport::Udp, 0), Recognised::Undecided);
        if let Some(slot) = d.sessions.get_mut(&(Transport::Udp, 0)) {
            slot.state = State::Parsing {
                proto: &registry::PROTOCOLS[0],
                parser: Box::new(Counting),
            };
        }
        d.on_udp(
            4,
            &UdpEvent::Datagram {
                session: 0,
                dir: Direction::ToClient,
                data: b"12345",
                frame: 4,
                frame_offset: 42,
            },
        );
        // The TCP stream 0 is untouched by the UDP session 0 and its close.
        let closed = d.on_udp(
            5,
            &UdpEvent::Close {
                session: 0,
                summary: dummy_summary(0),
            },
        );
        assert!(closed.is_some());
        assert_eq!(d.recognised(Transport::Tcp, 0), Recognised::Undecided);
        let got: Vec<_> = d
            .pending
            .iter()
            .map(|e| {
                (
                    e.transport,
                    e.stream,
                    e.dir,
                    e.frame,
                    e.msg.note().unwrap_or(""),
                )
            })
            .collect();
        assert_eq!(
            got,
            vec![
                (
                    Transport::Udp,
                    0,
                    Direction::ToClient,
                    4,
                    "5 bytes at Some(42)"
                ),
                (Transport::Udp, 0, Direction::ToServer, 5, "closed"),
            ]
        );
    }

    #[test]
    fn undecided_udp_session_is_given_up_after_some_datagrams() {
        let mut d = Dispatcher::new(Arc::new(ParserConfig::default()));
        let ep = |port| Endpoint {
            addr: IpAddr::V4(Ipv4Addr::LOCALHOST),
            port,
        };
        d.on_udp(
            1,
            &UdpEvent::Open {
                session: 3,
                client: ep(1000),
                server: ep(2000),
                frame: 1,
                ts: Timestamp::new(0, 0),
            },
        );
        for i in 0..MAX_PROBED_DATAGRAMS {
            assert_eq!(d.recognised(Transport::Udp, 3), Recognised::Undecided);
            d.on_udp(
                u64::from(i) + 1,
                &UdpEvent::Datagram {
                    session: 3,
                    dir: Direction::ToServer,
                    data: &[0u8; 32],
                    frame: u64::from(i) + 1,
                    frame_offset: 42,
                },
            );
        }
        assert_eq!(d.recognised(Transport::Udp, 3), Recognised::Unknown);
        assert!(d.pending.is_empty());
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
