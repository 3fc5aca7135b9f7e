//! A counter tree printed as tshark 4.0's `stats_tree` text (`-z http,tree`,
//! `-z http_req,tree`, `-z http_srv,tree`, `-z dns,tree`, `-z http2,tree`), and the trees
//! that tick it.
//!
//! The layout, from tshark's defaults: nine columns (name, count, average, min, max, rate
//! per millisecond, percent of the parent, burst rate, burst start), children sorted by
//! count, most first, equal counts by name (byte order, last first); the rate is the count
//! over the milliseconds from the first counted message to the last; the burst rate is the
//! most ticks within any 100 ms window of 5 ms buckets, over 100.
//!
//! A tick is one HTTP/1.x message, counted with the frame that completed it (where tshark's
//! HTTP tap fires); HTTP/2 messages are not counted (tshark 4.0's HTTP/2 dissector has its
//! own `http2,tree`). Nodes are bounded by the memory budget: past it a new node is not
//! made and its tick is counted as dropped.
//!
//! The DNS tree counts each DNS message tshark reads as DNS (not mDNS or LLMNR, not a
//! message it finds malformed) with the frame that completed it; its value nodes (payload
//! size, name length, section counts, response time) also print the average, minimum and
//! maximum of the values given.

use std::collections::VecDeque;
use std::fmt::Write as _;
use std::io::{self, Write};

use foldhash::HashMap;

use crate::dissect::dns::{names, Exchange};
use crate::event::FrameView;
use crate::present::escape::escape_bytes;

/// Which tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TreeKind {
    /// `http,tree`: "HTTP/Packet Counter".
    Packets,
    /// `http_req,tree`: "HTTP/Requests".
    Requests,
    /// `http_srv,tree`: "HTTP/Load Distribution".
    Servers,
    /// `dns,tree`: "DNS".
    Dns,
    /// `http2,tree`: "HTTP2", the HTTP/2 frames by type.
    Http2,
    /// `http_seq,tree`: "HTTP/Request Sequences", requests by the chain of their Referers.
    Sequences,
}

impl TreeKind {
    pub fn parse(name: &str) -> Option<TreeKind> {
        Some(match name {
            "http" => TreeKind::Packets,
            "http_req" => TreeKind::Requests,
            "http_srv" => TreeKind::Servers,
            "dns" => TreeKind::Dns,
            "http2" => TreeKind::Http2,
            "http_seq" => TreeKind::Sequences,
            _ => return None,
        })
    }

    fn title(self) -> &'static str {
        match self {
            TreeKind::Packets => "HTTP/Packet Counter",
            TreeKind::Requests => "HTTP/Requests",
            TreeKind::Servers => "HTTP/Load Distribution",
            TreeKind::Dns => "DNS",
            TreeKind::Http2 => "HTTP2",
            TreeKind::Sequences => "HTTP/Request Sequences",
        }
    }
}

/// Burst window and bucket, in milliseconds (tshark's preferences' defaults).
const BURST_WINDOW: f64 = 100.0;
const BURST_BUCKET: f64 = 5.0;
/// Deepest indent tshark prints.
const INDENT_MAX: usize = 32;
/// Budget bytes counted per node (its entry, index and burst buckets) besides its name.
pub const NODE_COST: usize = 160;

#[derive(Debug, Clone, Copy)]
struct Bucket {
    no: f64,
    count: i64,
    start: f64,
}

/// The values given to a value node: whole numbers, or times in milliseconds (single
/// precision, summed in double, as tshark keeps them).
#[derive(Debug, Clone, Copy)]
enum Values {
    Int { total: i64, min: i64, max: i64 },
    Float { total: f64, min: f32, max: f32 },
}

/// One node: its name (bytes as on the wire), count and burst buckets.
#[derive(Debug, Clone)]
struct Node {
    name: Box<[u8]>,
    parent: usize,
    counter: i64,
    /// A value node's values (`None` until the first).
    values: Option<Values>,
    /// Whether the node prints the average, minimum and maximum columns.
    averaged: bool,
    children: Vec<usize>,
    /// Children by name, for the nodes made "with hash".
    hash: Option<HashMap<Box<[u8]>, usize>>,
    buckets: VecDeque<Bucket>,
    bcount: i64,
    max_burst: i64,
    burst_time: f64,
}

impl Node {
    fn new(name: &[u8], parent: usize, with_hash: bool) -> Node {
        let mut buckets = VecDeque::with_capacity(1);
        // tshark starts each list with an empty bucket 0.
        buckets.push_back(Bucket {
            no: 0.0,
            count: 0,
            start: 0.0,
        });
        Node {
            name: name.into(),
            parent,
            counter: 0,
            values: None,
            averaged: false,
            children: Vec::new(),
            hash: with_hash.then(HashMap::default),
            buckets,
            bcount: 0,
            max_burst: 0,
            burst_time: -1.0,
        }
    }

    /// Add `value` at `now` (ms since the first frame) to the burst buckets.
    fn burst(&mut self, now: f64, value: i64) {
        let current = (now / BURST_BUCKET).floor();
        let window = BURST_WINDOW / BURST_BUCKET;
        let (Some(head), Some(tail)) =
            (self.buckets.front().copied(), self.buckets.back().copied())
        else {
            return;
        };
        if current > tail.no {
            self.buckets.push_back(Bucket {
                no: current,
                count: value,
                start: now,
            });
            self.bcount += value;
            while self.buckets.len() > 1
                && self
                    .buckets
                    .front()
                    .is_some_and(|h| current >= h.no + window)
            {
                if let Some(old) = self.buckets.pop_front() {
                    self.bcount -= old.count;
                }
            }
        } else if current < head.no {
            if current + window > tail.no {
                self.buckets.push_front(Bucket {
                    no: current,
                    count: value,
                    start: now,
                });
                self.bcount += value;
            }
        } else {
            // Somewhere between the head and the tail.
            let mut i = self.buckets.len() - 1;
            while i > 0 && current < self.buckets[i].no {
                i -= 1;
            }
            if current == self.buckets[i].no {
                let b = &mut self.buckets[i];
                b.count += value;
                if b.start > now {
                    b.start = now;
                }
            } else {
                self.buckets.insert(
                    i + 1,
                    Bucket {
                        no: current,
                        count: value,
                        start: now,
                    },
                );
            }
            self.bcount += value;
        }
        if self.bcount > self.max_burst {
            self.max_burst = self.bcount;
            self.burst_time = self.buckets.front().map_or(now, |b| b.start);
        }
    }
}

/// A counter tree: node 0 is the root (named after the title's last part).
#[derive(Debug, Clone)]
pub struct StatsTree {
    kind: TreeKind,
    nodes: Vec<Node>,
    /// Nodes made as parents, by name (tshark looks a name up here when its parent keeps no
    /// index of its own).
    names: HashMap<Box<[u8]>, usize>,
    start: Option<f64>,
    now: f64,
    elapsed: f64,
    /// Budget rows held: one a node, and one more for each `NODE_COST` bytes of its name.
    rows: usize,
    /// Fixed nodes of each tree.
    ids: [usize; 20],
}

/// What one HTTP message gives the trees (tshark's `http_info_value_t`).
#[derive(Debug, Clone, Copy)]
pub struct HttpTick<'a> {
    pub method: Option<&'a str>,
    pub status: u16,
    pub host: Option<&'a [u8]>,
    pub uri: Option<&'a [u8]>,
    /// The frame's source and destination addresses, as tshark prints them.
    pub src: &'a str,
    pub dst: &'a str,
}

impl StatsTree {
    pub fn new(kind: TreeKind) -> StatsTree {
        let title = kind.title();
        let root = title.rsplit('/').next().unwrap_or(title);
        let mut t = StatsTree {
            kind,
            nodes: vec![Node::new(root.as_bytes(), usize::MAX, false)],
            names: HashMap::default(),
            start: None,
            now: 0.0,
            elapsed: 0.0,
            rows: 0,
            ids: [0; 20],
        };
        match kind {
            TreeKind::Packets => {
                let packets = t.create(b"Total HTTP Packets", 0, true);
                let requests = t.create(b"HTTP Request Packets", packets, true);
                let responses = t.create(b"HTTP Response Packets", packets, true);
                let mut ids = [0; 20];
                ids[..3].copy_from_slice(&[packets, requests, responses]);
                for (i, name) in RESPONSE_GROUPS.iter().enumerate() {
                    ids[3 + i] = t.create(name.as_bytes(), responses, true);
                }
                t.create(b"Other HTTP Packets", packets, false);
                t.ids = ids;
            }
            TreeKind::Requests => {
                t.ids[0] = t.create(b"HTTP Requests by HTTP Host", 0, true);
            }
            TreeKind::Servers => {
                let reqs = t.create(b"HTTP Requests by Server", 0, true);
                let by_addr = t.create(b"HTTP Requests by Server Address", reqs, true);
                let by_host = t.create(b"HTTP Requests by HTTP Host", reqs, true);
                let resps = t.create(b"HTTP Responses by Server Address", 0, true);
                t.ids[..4].copy_from_slice(&[reqs, by_addr, by_host, resps]);
            }
            TreeKind::Dns => t.dns_nodes(),
            TreeKind::Http2 => {
                let top = t.create(b"HTTP2", 0, true);
                t.ids[0] = t.create(b"Type", top, true);
            }
            TreeKind::Sequences => {
                t.ids[0] = t.create(b"HTTP Request Sequences", 0, true);
            }
        }
        t
    }

    /// Count one request with a Referer (`http_seq,tree`), completed `now` ms after the first
    /// frame. tshark's rules, read from its output: the Referer's node is the latest node
    /// made with that name anywhere in the tree (a new one under the top when there is
    /// none); the request's full URI is a node under it; the URI's node and each node above
    /// it count one, and the Referer's node one more.
    pub fn sequence(
        &mut self,
        now: f64,
        referer: &[u8],
        uri: &[u8],
        room: &mut usize,
        dropped: &mut u64,
    ) {
        self.seen(now);
        let top = self.ids[0];
        let found = self.names.get(referer).copied().filter(|&id| id != top);
        let Some(from) = found.or_else(|| self.make_within(referer, top, true, room)) else {
            *dropped += 1;
            return;
        };
        let child = self
            .nodes
            .get(from)
            .and_then(|n| n.hash.as_ref())
            .and_then(|h| h.get(uri).copied());
        let Some(to) = child.or_else(|| self.make_within(uri, from, true, room)) else {
            *dropped += 1;
            return;
        };
        self.bump(top);
        self.bump(from);
        let mut id = to;
        while id != top && id != 0 {
            self.bump(id);
            id = self.nodes.get(id).map_or(0, |n| n.parent);
        }
    }

    /// An HTTP message `now` ms after the first frame: the tree's time runs to it, counted or
    /// not (`http_seq,tree` counts requests with a Referer over the time of every message).
    pub fn seen(&mut self, now: f64) {
        self.now = now;
        let start = *self.start.get_or_insert(now);
        self.elapsed = now - start;
    }

    /// One more for node `id`, at the current time.
    fn bump(&mut self, id: usize) {
        let now = self.now;
        if let Some(n) = self.nodes.get_mut(id) {
            n.counter += 1;
            n.burst(now, 1);
        }
    }

    /// Which tree this is.
    pub fn kind(&self) -> TreeKind {
        self.kind
    }

    /// Count one HTTP/2 frame of type `code` (clear h2c or decrypted), in a packet `now` ms
    /// after the first frame: under "HTTP2", then by its type's name under "Type".
    pub fn http2_frame(&mut self, now: f64, code: u8, room: &mut usize, dropped: &mut u64) {
        self.seen(now);
        self.tick(b"HTTP2", 0, false, room, dropped);
        let kind = crate::dissect::http2::frame::FrameType::from_code(code);
        self.tick_pivot(self.ids[0], kind.name().as_bytes(), room, dropped);
    }

    /// The DNS tree's fixed nodes, in tshark's order (the root's children print in it).
    fn dns_nodes(&mut self) {
        let total = self.create(b"Total Packets", 0, true);
        let mut ids = [0; 20];
        ids[DNS_TOTAL] = total;
        for (i, name) in DNS_PIVOTS.iter().enumerate() {
            ids[DNS_PIVOT + i] = self.create(name.as_bytes(), total, true);
        }
        ids[DNS_SIZE] = self.create(b"Payload size", 0, true);
        let query = self.create(b"Query Stats", 0, true);
        ids[DNS_QNAME_LEN] = self.create(b"Qname Len", query, true);
        let labels = self.create(b"Label Stats", query, true);
        for (i, name) in DNS_LEVELS.iter().enumerate() {
            ids[DNS_LEVEL + i] = self.create(name.as_bytes(), labels, true);
        }
        let response = self.create(b"Response Stats", 0, true);
        for (i, name) in DNS_COUNTS.iter().enumerate() {
            ids[DNS_COUNT + i] = self.create(name.as_bytes(), response, true);
        }
        let service = self.create(b"Service Stats", 0, true);
        ids[DNS_RRT] = self.create(b"request-response time (msec)", service, true);
        ids[DNS_UNSOLICITED] = self.create(b"no. of unsolicited responses", service, true);
        ids[DNS_RETRANSMITTED] = self.create(b"no. of retransmissions", service, true);
        for id in [ids[DNS_SIZE], ids[DNS_QNAME_LEN], ids[DNS_RRT]]
            .into_iter()
            .chain(ids[DNS_COUNT..DNS_COUNT + 4].iter().copied())
        {
            if let Some(n) = self.nodes.get_mut(id) {
                n.averaged = true;
            }
        }
        self.ids = ids;
    }

    /// One tick of the fixed node `id` (`ids` index), with a value for value nodes.
    fn tick_fixed(&mut self, slot: usize, value: Option<Value>) {
        let now = self.now;
        let Some(n) = self.ids.get(slot).and_then(|&id| self.nodes.get_mut(id)) else {
            return;
        };
        n.counter += 1;
        n.burst(now, 1);
        n.values = match (n.values, value) {
            (_, None) => n.values,
            (None, Some(Value::Int(v))) => Some(Values::Int {
                total: v,
                min: v,
                max: v,
            }),
            (None, Some(Value::Float(v))) => Some(Values::Float {
                total: f64::from(v),
                min: v,
                max: v,
            }),
            (Some(Values::Int { total, min, max }), Some(Value::Int(v))) => Some(Values::Int {
                total: total + v,
                min: min.min(v),
                max: max.max(v),
            }),
            (Some(Values::Float { total, min, max }), Some(Value::Float(v))) => {
                Some(Values::Float {
                    total: total + f64::from(v),
                    min: min.min(v),
                    max: max.max(v),
                })
            }
            (other, _) => other,
        };
    }

    /// Count one DNS message, completed by a frame `now` ms after the first frame.
    pub fn dns(&mut self, now: f64, m: &DnsTick, room: &mut usize, dropped: &mut u64) {
        self.seen(now);
        self.tick_fixed(DNS_TOTAL, None);
        let names = [
            rcode_text(m.rcode),
            opcode_text(m.opcode),
            if m.response { "Response" } else { "Query" }.to_string(),
            qtype_text(m.qtype),
            qclass_text(m.qclass),
        ];
        for (i, name) in names.iter().enumerate() {
            let pivot = self.ids[DNS_PIVOT + i];
            self.tick_pivot(pivot, name.as_bytes(), room, dropped);
        }
        self.tick_fixed(DNS_SIZE, Some(Value::Int(m.payload_size)));
        let Some(exchange) = m.exchange else {
            self.tick_fixed(DNS_QNAME_LEN, Some(Value::Int(m.qname_len)));
            let level = match m.qname_labels {
                1..=3 => m.qname_labels - 1,
                _ => 3,
            };
            self.tick_fixed(DNS_LEVEL + level, None);
            return;
        };
        // tshark 4.0 gives a response's section counts once, and once more unless it was
        // unsolicited.
        let times = if exchange == Exchange::Unsolicited {
            1
        } else {
            2
        };
        for _ in 0..times {
            for (i, v) in m.counts.iter().enumerate() {
                self.tick_fixed(DNS_COUNT + i, Some(Value::Int(i64::from(*v))));
            }
        }
        match exchange {
            Exchange::Unsolicited => self.tick_fixed(DNS_UNSOLICITED, None),
            Exchange::Retransmitted => self.tick_fixed(DNS_RETRANSMITTED, None),
            Exchange::Answer(ns) => {
                // Milliseconds in single precision, as tshark hands them over.
                let ms = (ns / 1_000_000_000) as f64 * 1000.0
                    + (ns % 1_000_000_000) as f64 / 1_000_000.0;
                self.tick_fixed(DNS_RRT, Some(Value::Float(ms as f32)));
            }
            Exchange::Query => {}
        }
    }

    /// Budget rows held.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// A fixed node, made as a parent (it gets a name entry).
    fn create(&mut self, name: &[u8], parent: usize, with_hash: bool) -> usize {
        self.make(name, parent, with_hash, true)
    }

    fn make(&mut self, name: &[u8], parent: usize, with_hash: bool, as_parent: bool) -> usize {
        let id = self.nodes.len();
        self.nodes.push(Node::new(name, parent, with_hash));
        if as_parent {
            self.names.insert(name.into(), id);
        }
        if let Some(p) = self.nodes.get_mut(parent) {
            p.children.push(id);
            if let Some(h) = &mut p.hash {
                h.insert(name.into(), id);
            }
        }
        id
    }

    /// Add one to the node `name` under `parent`, made (within `room`) if it is new;
    /// `None` when the budget left no room for it.
    fn tick(
        &mut self,
        name: &[u8],
        parent: usize,
        with_hash: bool,
        room: &mut usize,
        dropped: &mut u64,
    ) -> Option<usize> {
        let found = match self.nodes.get(parent).and_then(|p| p.hash.as_ref()) {
            Some(h) => h.get(name).copied(),
            None => self.names.get(name).copied(),
        };
        let Some(id) = found.or_else(|| self.make_within(name, parent, with_hash, room)) else {
            *dropped += 1;
            return None;
        };
        self.bump(id);
        Some(id)
    }

    /// A new node `name` under `parent` if the budget has `room` for it (one row, and one
    /// more for each `NODE_COST` bytes of its name); a node "with hash" is made as a parent.
    fn make_within(
        &mut self,
        name: &[u8],
        parent: usize,
        with_hash: bool,
        room: &mut usize,
    ) -> Option<usize> {
        let cost = 1 + name.len() / NODE_COST;
        if *room < cost {
            return None;
        }
        *room -= cost;
        self.rows += cost;
        Some(self.make(name, parent, with_hash, with_hash))
    }

    /// A pivot's tick: the pivot itself, then its child `value`.
    fn tick_pivot(&mut self, pivot: usize, value: &[u8], room: &mut usize, dropped: &mut u64) {
        self.bump(pivot);
        self.tick(value, pivot, false, room, dropped);
    }

    /// Count one HTTP message, completed by a frame `now` ms after the first frame.
    pub fn message(&mut self, now: f64, m: &HttpTick<'_>, room: &mut usize, dropped: &mut u64) {
        self.seen(now);
        match self.kind {
            TreeKind::Packets => self.packets(m, room, dropped),
            TreeKind::Requests => {
                if m.method.is_none() {
                    return;
                }
                self.tick(b"HTTP Requests by HTTP Host", 0, false, room, dropped);
                if let Some(host) = m.host {
                    let by_host = self.ids[0];
                    if let Some(h) = self.tick(host, by_host, true, room, dropped) {
                        if let Some(uri) = m.uri {
                            self.tick(uri, h, true, room, dropped);
                        }
                    }
                }
            }
            TreeKind::Servers => self.servers(m, room, dropped),
            TreeKind::Dns | TreeKind::Http2 | TreeKind::Sequences => {}
        }
    }

    fn packets(&mut self, m: &HttpTick<'_>, room: &mut usize, dropped: &mut u64) {
        let [packets, requests, responses, ..] = self.ids;
        self.tick(b"Total HTTP Packets", 0, false, room, dropped);
        let code = m.status;
        if code != 0 {
            self.tick(b"HTTP Response Packets", packets, false, room, dropped);
            let group = match code {
                100..=199 => 1,
                200..=299 => 2,
                300..=399 => 3,
                400..=499 => 4,
                500..=599 => 5,
                _ => 0,
            };
            let group_id = self.ids[3 + group];
            self.tick(
                RESPONSE_GROUPS[group].as_bytes(),
                responses,
                false,
                room,
                dropped,
            );
            let mut name = String::new();
            match crate::dissect::http::status_text(code) {
                Some(t) => write!(name, "{code} {t}"),
                None => write!(name, "{code} Unknown ({code})"),
            }
            .ok();
            self.tick(name.as_bytes(), group_id, false, room, dropped);
        } else if let Some(method) = m.method {
            self.tick_pivot(requests, method.as_bytes(), room, dropped);
        } else {
            self.tick(b"Other HTTP Packets", packets, false, room, dropped);
        }
    }

    fn servers(&mut self, m: &HttpTick<'_>, room: &mut usize, dropped: &mut u64) {
        let [reqs, by_addr, by_host, resps, ..] = self.ids;
        if m.method.is_some() {
            let ip = m.dst.as_bytes();
            self.tick(b"HTTP Requests by Server", 0, false, room, dropped);
            self.tick(
                b"HTTP Requests by Server Address",
                reqs,
                true,
                room,
                dropped,
            );
            self.tick(b"HTTP Requests by HTTP Host", reqs, true, room, dropped);
            let this_addr = self.tick(ip, by_addr, true, room, dropped);
            if let Some(host) = m.host {
                let this_host = self.tick(host, by_host, true, room, dropped);
                if let Some(a) = this_addr {
                    self.tick(host, a, false, room, dropped);
                }
                if let Some(h) = this_host {
                    self.tick(ip, h, false, room, dropped);
                }
            }
        } else if m.status != 0 {
            self.tick(b"HTTP Responses by Server Address", 0, false, room, dropped);
            if let Some(a) = self.tick(m.src.as_bytes(), resps, true, room, dropped) {
                let verdict: &[u8] = if m.status > 100 && m.status < 400 {
                    b"OK"
                } else {
                    b"KO"
                };
                self.tick(verdict, a, false, room, dropped);
            }
        }
    }

    /// The widest name with its indent (the root counted at indent 0, its children at 1).
    fn max_namelen(&self, id: usize, indent: usize) -> usize {
        let indent = indent.min(INDENT_MAX);
        let Some(n) = self.nodes.get(id) else {
            return 0;
        };
        let own = escape_bytes(&n.name).len() + indent;
        n.children
            .iter()
            .map(|&c| self.max_namelen(c, indent + 1))
            .fold(own, usize::max)
    }

    /// Print the tree as tshark's plain text.
    pub fn write<W: Write>(&self, w: &mut W) -> io::Result<()> {
        let width = self.max_namelen(0, 0);
        let sep_len = width + (COLUMNS.len() - 1) * 14;
        let mut s = String::from("\n");
        s.push_str(&"=".repeat(sep_len));
        let _ = write!(s, "\n{}:\n{:<width$}", self.kind.title(), COLUMNS[0]);
        for c in &COLUMNS[1..] {
            let _ = write!(s, " {c:<13}");
        }
        let dashes = "-".repeat(sep_len);
        let _ = write!(s, "\n{dashes}\n");
        if let Some(root) = self.nodes.first() {
            for &c in &root.children {
                self.write_node(&mut s, c, 0, width);
            }
        }
        let _ = write!(s, "\n{dashes}\n");
        w.write_all(s.as_bytes())
    }

    fn write_node(&self, s: &mut String, id: usize, indent: usize, width: usize) {
        let Some(n) = self.nodes.get(id) else {
            return;
        };
        let name = escape_bytes(&n.name);
        let _ = write!(
            s,
            "{:indent$}{name:<w$}",
            "",
            w = width.saturating_sub(indent)
        );
        let rate = if self.elapsed != 0.0 {
            format!("{:.4}", f64::from(n.counter as f32) / self.elapsed)
        } else {
            String::new()
        };
        let parent = self.nodes.get(n.parent);
        let percent = match parent {
            Some(p) if p.counter != 0 => {
                format!("{:.2}%", (n.counter as f64 * 100.0) / p.counter as f64)
            }
            _ if n.parent == 0 => "100%".to_string(),
            _ => String::new(),
        };
        let (burst, burst_start) = if n.max_burst != 0 {
            (
                format!("{:.4}", n.max_burst as f64 / BURST_WINDOW),
                format!("{:.3}", n.burst_time / 1000.0),
            )
        } else {
            ("-".to_string(), "-".to_string())
        };
        let count = n.counter.to_string();
        let (avg, min, max) = match n.values {
            Some(v) if n.averaged && n.counter != 0 => v.columns(n.counter),
            _ => Default::default(),
        };
        for v in [
            count.as_str(),
            &avg,
            &min,
            &max,
            &rate,
            &percent,
            &burst,
            &burst_start,
        ] {
            let _ = write!(s, " {v:<13}");
        }
        s.push('\n');
        let mut children = n.children.clone();
        // Most first; equal counts by name, the greater first.
        children.sort_by(|&a, &b| {
            let (a, b) = (&self.nodes[a], &self.nodes[b]);
            b.counter.cmp(&a.counter).then_with(|| b.name.cmp(&a.name))
        });
        let next = (indent + 1).min(INDENT_MAX);
        for c in children {
            self.write_node(s, c, next, width);
        }
    }
}

/// A value given to a value node.
#[derive(Debug, Clone, Copy)]
enum Value {
    Int(i64),
    Float(f32),
}

impl Values {
    /// The average (two decimals; in single precision for whole numbers, as tshark), the
    /// minimum and the maximum (six decimals for times).
    fn columns(self, count: i64) -> (String, String, String) {
        match self {
            Values::Int { total, min, max } => (
                format!("{:.2}", f64::from(total as f32 / count as f32)),
                min.to_string(),
                max.to_string(),
            ),
            Values::Float { total, min, max } => (
                format!("{:.2}", total / count as f64),
                format!("{:.6}", f64::from(min)),
                format!("{:.6}", f64::from(max)),
            ),
        }
    }
}

/// Slots of the DNS tree's fixed nodes in `StatsTree::ids`.
const DNS_TOTAL: usize = 0;
const DNS_PIVOT: usize = 1;
const DNS_SIZE: usize = 6;
const DNS_QNAME_LEN: usize = 7;
const DNS_LEVEL: usize = 8;
const DNS_COUNT: usize = 12;
const DNS_RRT: usize = 16;
const DNS_UNSOLICITED: usize = 17;
const DNS_RETRANSMITTED: usize = 18;
/// The pivots under "Total Packets", in the order `StatsTree::dns` ticks them.
const DNS_PIVOTS: [&str; 5] = ["rcode", "opcodes", "Query/Response", "Query Type", "Class"];
/// By the query name's label count: 1, 2, 3, and any other.
const DNS_LEVELS: [&str; 4] = ["1st Level", "2nd Level", "3rd Level", "4th Level or more"];
/// Questions, answers, authorities, additionals (the header's order).
const DNS_COUNTS: [&str; 4] = [
    "no. of questions",
    "no. of answers",
    "no. of authorities",
    "no. of additionals",
];

/// What one DNS message gives the tree (decoded by the DNS parser).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DnsTick {
    pub response: bool,
    pub opcode: u8,
    pub rcode: u8,
    /// The first question's type and class (0 without a question).
    pub qtype: u16,
    pub qclass: u16,
    /// The first question's name as tshark shows it: its length and label count.
    pub qname_len: i64,
    pub qname_labels: usize,
    pub payload_size: i64,
    /// Questions, answers, authorities, additionals as the header states them.
    pub counts: [u16; 4],
    /// `None` for a query.
    pub exchange: Option<Exchange>,
}

/// The rcode, opcode and class names of tshark's DNS tree: the parser's names, and its own
/// words for the values they leave unnamed.
fn rcode_text(r: u8) -> String {
    match r {
        0..=10 => names::rcode_name(r).to_string(),
        11 => "DSO-Type not implemented".to_string(),
        _ => format!("Unknown rcode ({r})"),
    }
}

fn opcode_text(o: u8) -> String {
    match o {
        0..=2 | 4..=6 => names::opcode_name(o).to_string(),
        _ => format!("Unknown opcode ({o})"),
    }
}

fn qclass_text(c: u16) -> String {
    match c {
        2 => "CS".to_string(),
        1 | 3 | 4 | 254 | 255 => names::class_text(c),
        _ => format!("Unknown class ({c})"),
    }
}

/// tshark 4.0's type names with their descriptions, as its DNS tree prints them.
fn qtype_text(t: u16) -> String {
    let name = match t {
        0 => "Unused",
        1 => "A (Host Address)",
        2 => "NS (authoritative Name Server)",
        3 => "MD (Mail Destination)",
        4 => "MF (Mail Forwarder)",
        5 => "CNAME (Canonical NAME for an alias)",
        6 => "SOA (Start Of a zone of Authority)",
        7 => "MB (MailBox domain name)",
        8 => "MG (Mail Group member)",
        9 => "MR (Mail Rename domain)",
        10 => "NULL RR",
        11 => "WKS (Well Known Service)",
        12 => "PTR (domain name PoinTeR)",
        13 => "HINFO (host information)",
        14 => "MINFO (Mailbox or mail list information)",
        15 => "MX (Mail eXchange)",
        16 => "TXT (Text strings)",
        17 => "RP (Responsible Person)",
        18 => "AFSDB (AFS Data Base location)",
        19 => "X25 (XX.25 PSDN address)",
        20 => "ISDN (ISDN address)",
        21 => "RT (Route Through)",
        22 => "NSAP (NSAP address)",
        23 => "NSAP-PTR (NSAP domain name pointer)",
        24 => "SIG (security signature)",
        25 => "KEY (security key)",
        26 => "PX (X.400 mail mapping information)",
        27 => "GPOS (Geographical Position)",
        28 => "AAAA (IPv6 Address)",
        29 => "LOC (Location Information)",
        30 => "NXT (Next Domain)",
        31 => "EID (Endpoint Identifier)",
        32 => "NIMLOC (Nimrod Locator)",
        33 => "SRV (Server Selection)",
        34 => "ATMA (ATM Address)",
        35 => "NAPTR (Naming Authority Pointer)",
        36 => "KX (Key Exchanger)",
        37 => "CERT",
        38 => "A6 (OBSOLETE - use AAAA)",
        39 => "DNAME",
        40 => "SINK",
        41 => "OPT",
        42 => "APL",
        43 => "DS (Delegation Signer)",
        44 => "SSHFP (SSH Key Fingerprint)",
        45 => "IPSECKEY",
        46 => "RRSIG (Resource Record Signature)",
        47 => "NSEC (Next Secure)",
        48 => "DNSKEY (DNS Public Key)",
        49 => "DHCID",
        50 => "NSEC3",
        51 => "NSEC3PARAM",
        52 => "TLSA",
        55 => "HIP (Host Identity Protocol)",
        57 => "RKEY",
        58 => "TALINK (Trust Anchor LINK)",
        59 => "CDS (Child DS)",
        60 => "CDNSKEY (DNSKEY(s) the Child wants reflected in DS)",
        61 => "OPENPGPKEY (OpenPGP Key)",
        62 => "CSYNC (Child-to-Parent Synchronization)",
        63 => "ZONEMD",
        64 => "SVCB (General Purpose Service Endpoints)",
        65 => "HTTPS (HTTPS Specific Service Endpoints)",
        99 => "SPF",
        100 => "UINFO",
        101 => "UID",
        102 => "GID",
        103 => "UNSPEC",
        104 => "NID (NodeID)",
        105 => "L32 (Locator32)",
        106 => "L64 (Locator64)",
        107 => "LP (Locator FQDN)",
        108 => "EUI48",
        109 => "EUI64",
        249 => "TKEY (Transaction Key)",
        250 => "TSIG (Transaction Signature)",
        251 => "IXFR (incremental transfer)",
        252 => "AXFR (transfer of an entire zone)",
        253 => "MAILB (mailbox-related RRs)",
        254 => "MAILA (mail agent RRs)",
        255 => "* (A request for all records the server/cache has available)",
        256 => "URI",
        257 => "CAA (Certification Authority Restriction)",
        32768 => "TA (DNSSEC Trust Authorities)",
        32769 => "DLV (DNSSEC Lookaside Validation)",
        65281 => "WINS",
        65282 => "WINS-R",
        65422 => "XPF",
        _ => return format!("Unknown packet type ({t})"),
    };
    name.to_string()
}

/// The DNS messages this frame completed that tshark's DNS tree counts (read as DNS and
/// not malformed), from the DNS parser's decoded fields.
pub fn dns_ticks(view: &FrameView<'_>) -> Vec<DnsTick> {
    view.app
        .iter()
        .filter_map(|ev| ev.msg.dns())
        .filter(|d| d.message.stopped.is_none())
        .filter_map(|d| {
            let tap = d.tap?;
            let m = &d.message;
            let q = m.question();
            // tshark shows the root as `<Root>`, one label; other names count their bytes
            // and, as labels, the dots of their text plus one (a dot inside a label too).
            let (qname_len, qname_labels) = match q {
                Some(q) if q.name.text.is_empty() => (6, 1),
                Some(q) => {
                    let text = &q.name.text;
                    (
                        text.len() as i64,
                        1 + text.iter().filter(|&&b| b == b'.').count(),
                    )
                }
                None => (0, 0),
            };
            Some(DnsTick {
                response: m.flags.response(),
                opcode: m.flags.opcode(),
                rcode: m.flags.rcode(),
                qtype: q.map_or(0, |q| q.qtype),
                qclass: q.map_or(0, |q| q.class),
                qname_len,
                qname_labels,
                payload_size: tap.payload_size as i64,
                counts: [m.qdcount, m.ancount, m.nscount, m.arcount],
                exchange: (tap.exchange != Exchange::Query).then_some(tap.exchange),
            })
        })
        .collect()
}

const COLUMNS: [&str; 9] = [
    "Topic / Item",
    "Count",
    "Average",
    "Min Val",
    "Max Val",
    "Rate (ms)",
    "Percent",
    "Burst Rate",
    "Burst Start",
];

/// The response groups, in the order tshark makes them (index = first digit; 0 = broken).
const RESPONSE_GROUPS: [&str; 6] = [
    "???: broken",
    "1xx: Informational",
    "2xx: Success",
    "3xx: Redirection",
    "4xx: Client Error",
    "5xx: Server Error",
];

/// Milliseconds from the first frame to this one (`ns`, the frame's relative time in
/// nanoseconds), as tshark's `nstime_to_msec`.
pub fn rel_ms(ns: i128) -> f64 {
    let secs = ns / 1_000_000_000;
    let nanos = ns % 1_000_000_000;
    secs as f64 * 1000.0 + nanos as f64 / 1_000_000.0
}

/// The HTTP/1.x messages this frame completed, as the trees read them, with the frame's
/// network addresses.
pub fn ticks<'a>(view: &'a FrameView<'_>, addrs: &'a (String, String)) -> Vec<HttpTick<'a>> {
    use crate::dissect::http::StartLine;
    view.app
        .iter()
        .filter_map(|ev| ev.msg.http())
        .filter(|m| m.stream_id.is_none())
        .map(|m| {
            let (method, status, host, uri) = match &m.start {
                StartLine::Request(r) => {
                    (Some(r.method.as_ref()), 0, r.host.as_deref(), Some(&*r.uri))
                }
                StartLine::Response(s) => (None, s.status, None, None),
            };
            HttpTick {
                method,
                status,
                host,
                uri,
                src: &addrs.0,
                dst: &addrs.1,
            }
        })
        .collect()
}

/// The requests this frame completed that carry a Referer, as (Referer, full URI), for
/// `http_seq,tree` (HTTP/1.x, clear or decrypted; a request without a Host by its target).
pub fn sequence_ticks(view: &FrameView<'_>) -> Vec<(Vec<u8>, Vec<u8>)> {
    use crate::dissect::http::StartLine;
    view.app
        .iter()
        .filter_map(|ev| ev.msg.http())
        .filter(|m| m.stream_id.is_none())
        .filter_map(|m| {
            let StartLine::Request(r) = &m.start else {
                return None;
            };
            let referer = m.header("referer")?.to_vec();
            let uri = m.request_full_uri().unwrap_or_else(|| r.uri.to_vec());
            Some((referer, uri))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn burst_buckets_as_tshark_also_out_of_order() {
        let mut n = Node::new(b"x", 0, false);
        n.burst(1.0, 1); // bucket 0: tshark's first (empty) bucket, started at 0
        assert_eq!((n.max_burst, n.burst_time), (1, 0.0));
        n.burst(120.0, 1); // bucket 24: bucket 0 leaves the window
        assert_eq!((n.bcount, n.max_burst), (1, 1));
        n.burst(110.0, 1); // bucket 22, before the head, still in the window
        assert_eq!((n.max_burst, n.burst_time), (2, 110.0));
        n.burst(115.0, 1); // bucket 23, between them
        assert_eq!((n.max_burst, n.burst_time), (3, 110.0));
        n.burst(10.0, 1); // bucket 2: too old for the window, not counted
        assert_eq!((n.bcount, n.max_burst), (3, 3));
        let nos: Vec<f64> = n.buckets.iter().map(|b| b.no).collect();
        assert_eq!(nos, [22.0, 23.0, 24.0]);
    }

    #[test]
    fn value_columns_as_tshark() {
        let sizes = Values::Int {
            total: 785,
            min: 45,
            max: 98,
        };
        assert_eq!(
            sizes.columns(12),
            ("65.42".into(), "45".into(), "98".into())
        );
        let times = Values::Float {
            total: f64::from(0.377f32) + f64::from(92.979f32),
            min: 0.377,
            max: 92.979,
        };
        assert_eq!(
            times.columns(2),
            ("46.68".into(), "0.377000".into(), "92.978996".into())
        );
    }

    #[test]
    fn children_by_count_then_name_last_first() {
        let mut t = StatsTree::new(TreeKind::Requests);
        let (mut room, mut dropped) = (100, 0);
        for (ms, uri) in [
            (0.0, "/a"),
            (1.0, "/b"),
            (2.0, "/b"),
            (3.0, "/c"),
            (4.0, "/"),
        ] {
            let m = HttpTick {
                method: Some("GET"),
                status: 0,
                host: Some(b"h"),
                uri: Some(uri.as_bytes()),
                src: "",
                dst: "",
            };
            t.message(ms, &m, &mut room, &mut dropped);
        }
        let mut out = Vec::new();
        t.write(&mut out).expect("write");
        let names: Vec<String> = String::from_utf8(out)
            .expect("utf-8")
            .lines()
            .filter(|l| l.starts_with("  "))
            .filter_map(|l| l.split_whitespace().next().map(str::to_string))
            .collect();
        assert_eq!(names, ["/b", "/c", "/a", "/"]);
        assert_eq!((room, dropped), (95, 0));
    }
}
