//! `-z STAT`: tshark's statistics, printed at the end of the run in tshark 4.0's text
//! layout (as `tshark -n`: squirrel-sniff never resolves names) — conversations
//! (`conv,eth|ip|ipv6|tcp|udp`), endpoints (`endpoints,…`), the protocol hierarchy
//! (`io,phs`), `io,stat`, the HTTP counter trees (`http,tree`, `http_req,tree`,
//! `http_srv,tree`) and the DNS tree (`dns,tree`, [`crate::render::stats_tree`]). `follow,…` is mapped onto `--follow` by
//! the command line.
//!
//! The tables are end-of-run sinks: [`ZTally::frame`] counts each frame's view as the
//! pipeline made it (every frame, as tshark's taps see every frame whatever `-Y` shows),
//! and [`ZTally::write`] prints them. Rows are bounded by the memory budget: past
//! `max_rows` new rows are not kept (counted in [`ZTally::dropped`]).

use std::io::{self, Write};
use std::net::IpAddr;

use foldhash::HashMap;

use crate::capture::Timestamp;
use crate::decode::tunnel::Encap;
use crate::decode::{Link, Net, Transport};
use crate::dissect::http::auth::Credential;
use crate::event::FrameView;
use crate::present::escape::{escape_bytes, escape_str};
use crate::render::hierarchy::Hierarchy;
use crate::render::stats_tree::TreeKind;
use smallvec::SmallVec;

/// The layer a conversation or endpoint table is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Layer {
    Eth,
    Ip,
    Ipv6,
    Tcp,
    Udp,
}

impl Layer {
    fn parse(s: &str) -> Option<Layer> {
        Some(match s {
            "eth" => Layer::Eth,
            "ip" => Layer::Ip,
            "ipv6" => Layer::Ipv6,
            "tcp" => Layer::Tcp,
            "udp" => Layer::Udp,
            _ => return None,
        })
    }

    /// tshark's title word.
    fn title(self) -> &'static str {
        match self {
            Layer::Eth => "Ethernet",
            Layer::Ip => "IPv4",
            Layer::Ipv6 => "IPv6",
            Layer::Tcp => "TCP",
            Layer::Udp => "UDP",
        }
    }

    fn has_ports(self) -> bool {
        matches!(self, Layer::Tcp | Layer::Udp)
    }
}

/// How `follow,…` is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FollowMode {
    Ascii,
    Hex,
}

/// One `-z` argument.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ZStat {
    /// `conv,LAYER[,FILTER]`: the frames the display filter matches, or every frame.
    Conv(Layer, Option<String>),
    Endpoints(Layer, Option<String>),
    /// `io,phs[,FILTER]`: the protocol hierarchy.
    Phs(Option<String>),
    /// `io,stat,INTERVAL[,COLUMN…]`: frames and bytes per interval.
    IoStat(crate::render::iostat::IoStatSpec),
    /// `http,tree`, `http_req,tree`, `http_srv,tree`, `dns,tree`, `http2,tree` (with a filter):
    /// tshark's HTTP counter trees and its DNS tree.
    Tree(crate::render::stats_tree::TreeKind, Option<String>),
    /// `expert[,error|warn|note|chat|comment][,FILTER]`: tshark's expert items of the layers
    /// squirrel-sniff analyses (TCP, HTTP/1.x), at the severity given and above.
    Expert(crate::render::expert::Severity, Option<String>),
    /// `credentials`: the user names of HTTP/1.x Authorization and Proxy-Authorization
    /// fields (tshark's credentials tap, which takes no filter).
    Credentials,
    /// `follow,tcp|tls,ascii|hex,N`: `--follow N`; `follow,udp,ascii|hex,N`:
    /// `--follow udp:N`; `follow,http,ascii|hex,N`: the HTTP/1.x messages of TCP stream N,
    /// each head as sent and each body as the application reads it (tshark's text);
    /// `follow,http2,ascii|hex,N,ID[,FIRST[-LAST]]`: the frames of HTTP/2 stream ID of TCP
    /// stream N (`http2`), only chunks FIRST to LAST (`chunks`, counted from 1) shown.
    Follow {
        mode: FollowMode,
        stream: u32,
        udp: bool,
        http: bool,
        http2: Option<u32>,
        chunks: Option<(u32, u32)>,
    },
}

/// What `-z` knows, for the usage error.
pub const KNOWN: &str = "conv,eth|ip|ipv6|tcp|udp[,FILTER]  \
endpoints,eth|ip|ipv6|tcp|udp[,FILTER]  io,phs[,FILTER]  \
io,stat,INTERVAL[,FILTER|FRAMES()FILTER|BYTES()FILTER]...  \
http,tree|http_req,tree|http_srv,tree|http_seq,tree|dns,tree|http2,tree[,FILTER]  credentials  \
expert[,error|warn|note|chat|comment][,FILTER]  \
follow,tcp|tls|udp|http,ascii|hex,STREAM  follow,http2,ascii|hex,STREAM,H2STREAM[,CHUNKS]";

impl ZStat {
    /// Parse one `-z` argument; the error is one line.
    pub fn parse(arg: &str) -> Result<ZStat, String> {
        let unknown = || {
            format!(
                "-z {}: not a statistic squirrel-sniff knows (known: {KNOWN})",
                escape_str(arg)
            )
        };
        // A filter after the statistic is the rest of the argument (it may hold commas),
        // in -Y's language.
        let head: Vec<&str> = arg.splitn(3, ',').collect();
        let filter = |f: Option<&&str>| -> Result<Option<String>, String> {
            match f {
                None => Ok(None),
                Some(f) => crate::display::compile(f)
                    .map(|_| Some(f.to_string()))
                    .map_err(|e| format!("-z {}: {}", escape_str(arg), e)),
            }
        };
        match head.as_slice() {
            ["conv", l, f @ ..] => {
                let layer = Layer::parse(l).ok_or_else(unknown)?;
                Ok(ZStat::Conv(layer, filter(f.first())?))
            }
            ["endpoints", l, f @ ..] => {
                let layer = Layer::parse(l).ok_or_else(unknown)?;
                Ok(ZStat::Endpoints(layer, filter(f.first())?))
            }
            ["io", "phs", f @ ..] => Ok(ZStat::Phs(filter(f.first())?)),
            ["io", "stat", ..] => {
                crate::render::iostat::IoStatSpec::parse(arg.strip_prefix("io,stat,").unwrap_or(""))
                    .map(ZStat::IoStat)
                    .map_err(|e| format!("-z {}: {e}", escape_str(arg)))
            }
            [name, "tree", f @ ..] => {
                let tree = crate::render::stats_tree::TreeKind::parse(name).ok_or_else(unknown)?;
                Ok(ZStat::Tree(tree, filter(f.first())?))
            }
            ["follow", ..] => Self::parse_follow(arg, unknown),
            [e, ..] if e.eq_ignore_ascii_case("expert") => {
                let rest = arg.get(e.len()..).unwrap_or("");
                let (level, f) = crate::render::expert::parse_args(rest).ok_or_else(unknown)?;
                Ok(ZStat::Expert(level, filter(f.as_ref())?))
            }
            ["credentials"] => Ok(ZStat::Credentials),
            ["credentials", ..] => Err(format!(
                "-z {}: credentials takes no filter (tshark ignores what follows it)",
                escape_str(arg)
            )),
            _ => Err(unknown()),
        }
    }

    fn parse_follow(arg: &str, unknown: impl Fn() -> String) -> Result<ZStat, String> {
        let parts: Vec<&str> = arg.split(',').collect();
        match parts.as_slice() {
            ["follow", proto, mode, rest @ ..] => {
                let mode = match *mode {
                    "ascii" => FollowMode::Ascii,
                    "hex" => FollowMode::Hex,
                    m if ["raw", "ebcdic", "yaml"].contains(&m) => {
                        return Err(format!(
                            "-z {}: squirrel-sniff's follow has no {} mode (ascii and hex are \
                             tshark's; --follow-format raw writes a direction's bytes)",
                            escape_str(arg),
                            escape_str(m)
                        ))
                    }
                    _ => return Err(unknown()),
                };
                if !matches!(*proto, "tcp" | "tls" | "udp" | "http" | "http2") {
                    return Err(if matches!(*proto, "http3" | "quic") {
                        format!(
                            "-z {}: squirrel-sniff follows TCP streams (tcp, tls), their \
                             HTTP/1.x messages (http), HTTP/2 streams (http2) and UDP \
                             sessions (udp), not {}",
                            escape_str(arg),
                            escape_str(proto)
                        )
                    } else {
                        unknown()
                    });
                }
                let pairs_unsupported = || {
                    format!(
                        "-z {}: follow takes a stream index here (tshark's address pairs are \
                         not supported)",
                        escape_str(arg)
                    )
                };
                let stream = rest
                    .first()
                    .and_then(|n| n.parse::<u32>().ok())
                    .ok_or_else(pairs_unsupported)?;
                if *proto == "http2" {
                    return Self::parse_follow_http2(
                        arg,
                        mode,
                        stream,
                        rest.get(1..).unwrap_or(&[]),
                    );
                }
                match rest {
                    [_] => Ok(ZStat::Follow {
                        mode,
                        stream,
                        udp: *proto == "udp",
                        http: *proto == "http",
                        http2: None,
                        chunks: None,
                    }),
                    _ => Err(format!(
                        "-z {}: follow takes one stream index here (tshark's address pairs \
                         and chunk ranges are not supported for {})",
                        escape_str(arg),
                        escape_str(proto)
                    )),
                }
            }
            _ => Err(unknown()),
        }
    }

    /// The rest of `follow,http2,MODE,STREAM,`: the HTTP/2 stream id (below 2^31, as
    /// tshark's filter takes it) and an optional chunk range `FIRST[-LAST]` (from 1).
    fn parse_follow_http2(
        arg: &str,
        mode: FollowMode,
        stream: u32,
        rest: &[&str],
    ) -> Result<ZStat, String> {
        let err = |what: &str| format!("-z {}: {what}", escape_str(arg));
        let (id, range) = match rest {
            [id] => (id, None),
            [id, range] => (id, Some(range)),
            [] => {
                return Err(err(
                    "follow,http2 takes a TCP stream index and an HTTP/2 stream id",
                ))
            }
            _ => {
                return Err(err(
                    "follow,http2 takes at most a chunk range after the HTTP/2 stream id",
                ))
            }
        };
        let id = id
            .parse::<u32>()
            .ok()
            .filter(|&id| id < 1 << 31)
            .ok_or_else(|| err("the HTTP/2 stream id is a number below 2147483648"))?;
        let chunks = match range {
            None => None,
            Some(r) => {
                let bad = || err("the chunk range is FIRST or FIRST-LAST, counted from 1");
                let (first, last) = match r.split_once('-') {
                    Some((a, b)) => (a.parse::<u32>(), b.parse::<u32>()),
                    None => (r.parse::<u32>(), r.parse::<u32>()),
                };
                let (first, last) = (first.map_err(|_| bad())?, last.map_err(|_| bad())?);
                if first == 0 || last < first {
                    return Err(bad());
                }
                Some((first, last))
            }
        };
        Ok(ZStat::Follow {
            mode,
            stream,
            udp: false,
            http: false,
            http2: Some(id),
            chunks,
        })
    }
}

/// An address of a conversation or endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Addr {
    Mac([u8; 6]),
    Ip(IpAddr),
}

impl std::fmt::Display for Addr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Addr::Mac(m) => write!(
                f,
                "{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}",
                m[0], m[1], m[2], m[3], m[4], m[5]
            ),
            Addr::Ip(a) => write!(f, "{a}"),
        }
    }
}

/// An address and a port (0 for the layers without ports).
type Point = (Addr, u16);

/// Frames and bytes sent (tx) and received (rx).
#[derive(Debug, Clone, Copy, Default)]
struct Counts {
    tx_frames: u64,
    tx_bytes: u64,
    rx_frames: u64,
    rx_bytes: u64,
}

impl Counts {
    fn add(&mut self, sent: bool, len: u64) {
        if sent {
            self.tx_frames += 1;
            self.tx_bytes += len;
        } else {
            self.rx_frames += 1;
            self.rx_bytes += len;
        }
    }

    fn frames(&self) -> u64 {
        self.tx_frames + self.rx_frames
    }

    fn bytes(&self) -> u64 {
        self.tx_bytes + self.rx_bytes
    }
}

/// One conversation: A is the sender of its first frame; tx is A → B.
#[derive(Debug, Clone)]
struct ConvRow {
    a: Point,
    b: Point,
    counts: Counts,
    start: Timestamp,
    stop: Timestamp,
}

#[derive(Debug, Clone)]
struct EndpointRow {
    at: Point,
    counts: Counts,
}

/// One table's rows, in order of first appearance.
#[derive(Debug, Clone)]
struct Rows<K, R> {
    index: HashMap<K, usize>,
    rows: Vec<R>,
}

impl<K, R> Default for Rows<K, R> {
    fn default() -> Self {
        Rows {
            index: HashMap::default(),
            rows: Vec::new(),
        }
    }
}

impl<K: std::hash::Hash + Eq, R> Rows<K, R> {
    /// The row of `key`, made by `make` while `room` (rows the budget still allows) lasts;
    /// `None` (counted in `dropped`) past it.
    fn row(
        &mut self,
        key: K,
        room: &mut usize,
        dropped: &mut u64,
        make: impl FnOnce() -> R,
    ) -> Option<&mut R> {
        let i = match self.index.get(&key) {
            Some(&i) => i,
            None if *room > 0 => {
                *room -= 1;
                self.rows.push(make());
                self.index.insert(key, self.rows.len() - 1);
                self.rows.len() - 1
            }
            None => {
                *dropped += 1;
                return None;
            }
        };
        self.rows.get_mut(i)
    }
}

type ConvTable = Rows<(Point, Point), ConvRow>;
type EndpointTable = Rows<Point, EndpointRow>;

/// Budget bytes counted per `-z` conversation or endpoint row (its entry and its index).
pub const ZROW_COST: usize = 160;

/// What one `-z` table counts.
#[derive(Debug, Clone)]
enum Kind {
    Conv(Layer, ConvTable),
    Endpoints(Layer, EndpointTable),
    Phs(Hierarchy),
    IoStat(crate::render::iostat::IoStat),
    Tree(Box<crate::render::stats_tree::StatsTree>),
    /// `-z credentials`: each credential with the frame that completed its message.
    Credentials(Vec<(u64, Credential)>),
    Expert(Box<crate::render::expert::Expert>),
}

/// One `-z` table: its filter (the frames it counts) and its rows.
#[derive(Debug, Clone)]
struct Table {
    filter: Option<(String, crate::display::Filter)>,
    kind: Kind,
}

impl Table {
    fn rows(&self) -> usize {
        match &self.kind {
            Kind::Conv(_, t) => t.rows.len(),
            Kind::Endpoints(_, t) => t.rows.len(),
            Kind::Phs(_) => 0,
            Kind::IoStat(t) => t.rows(),
            Kind::Tree(t) => t.rows(),
            Kind::Credentials(rows) => rows.len(),
            Kind::Expert(e) => e.rows(),
        }
    }
}

/// The `-z` tables being counted, in the order given.
#[derive(Debug, Clone, Default)]
pub struct ZTally {
    tables: Vec<Table>,
    first: Option<Timestamp>,
    /// The duration and last counted time `io,stat` tables share.
    clock: crate::render::iostat::Clock,
    max_rows: usize,
    /// Counts not kept (memory budget).
    pub dropped: u64,
}

impl ZTally {
    /// Tables for these `-z` arguments, keeping at most `max_rows` rows in all.
    pub fn new(stats: &[ZStat], max_rows: usize) -> ZTally {
        let tables = stats
            .iter()
            .filter_map(|s| {
                let (kind, filter) = match s {
                    ZStat::Conv(l, f) => (Kind::Conv(*l, ConvTable::default()), f),
                    ZStat::Endpoints(l, f) => (Kind::Endpoints(*l, EndpointTable::default()), f),
                    ZStat::Phs(f) => (Kind::Phs(Hierarchy::default()), f),
                    // Each column has its own filter.
                    ZStat::IoStat(spec) => (
                        Kind::IoStat(crate::render::iostat::IoStat::new(spec, max_rows)),
                        &None,
                    ),
                    ZStat::Tree(tree, f) => (
                        Kind::Tree(Box::new(crate::render::stats_tree::StatsTree::new(*tree))),
                        f,
                    ),
                    ZStat::Credentials => (Kind::Credentials(Vec::new()), &None),
                    ZStat::Expert(level, f) => (
                        Kind::Expert(Box::new(crate::render::expert::Expert::new(*level))),
                        f,
                    ),
                    ZStat::Follow { .. } => return None,
                };
                // The filter compiled when the argument was parsed.
                let filter = filter
                    .as_ref()
                    .and_then(|f| Some((f.clone(), crate::display::compile(f).ok()?)));
                Some(Table { filter, kind })
            })
            .collect();
        ZTally {
            tables,
            max_rows,
            ..ZTally::default()
        }
    }

    /// Whether any table is counted (`follow` alone counts nothing).
    pub fn counts(&self) -> bool {
        !self.tables.is_empty()
    }

    /// Whether a table reads every segment's TCP options: the protocol hierarchy, and the
    /// expert items (a SACK option's D-SACK).
    pub fn reads_tcp_options(stats: &[ZStat]) -> bool {
        stats
            .iter()
            .any(|s| matches!(s, ZStat::Phs(_) | ZStat::Expert(..)))
    }

    /// Rows held over every table (for the memory budget).
    pub fn rows(&self) -> usize {
        self.tables.iter().map(Table::rows).sum()
    }

    /// Count one frame (every frame of the run, in order).
    pub fn frame(&mut self, view: &FrameView<'_>) {
        self.first.get_or_insert(view.first_ts);
        let rel = view.ts.as_nanos() - view.first_ts.as_nanos();
        self.clock.elapsed = self.clock.elapsed.max(rel);
        let len = u64::from(view.len);
        let pairs = pairs_of(view);
        let mut room = self.max_rows.saturating_sub(self.rows());
        let clock = &mut self.clock;
        let dropped = &mut self.dropped;
        let mut chain: Option<String> = None;
        // The HTTP and DNS messages this frame completed, for the trees that count them
        // (read once).
        let trees = || {
            self.tables.iter().filter_map(|t| match &t.kind {
                Kind::Tree(t) => Some(t.kind()),
                _ => None,
            })
        };
        let wants_dns = !view.app.is_empty() && trees().any(|k| k == TreeKind::Dns);
        let wants_http =
            !view.app.is_empty() && trees().any(|k| !matches!(k, TreeKind::Dns | TreeKind::Http2));
        let dns = if wants_dns {
            crate::render::stats_tree::dns_ticks(view)
        } else {
            Vec::new()
        };
        let http_addrs = if wants_http {
            http_addresses(&pairs)
        } else {
            Default::default()
        };
        let http = if wants_http {
            crate::render::stats_tree::ticks(view, &http_addrs)
        } else {
            Vec::new()
        };
        let now_ms = crate::render::stats_tree::rel_ms(rel);
        for table in &mut self.tables {
            if let Some((_, f)) = &table.filter {
                if !f.matches(view) {
                    continue;
                }
            }
            match &mut table.kind {
                Kind::Conv(layer, t) => {
                    for &(_, src, dst) in pairs.iter().filter(|p| p.0 == *layer) {
                        let key = if src <= dst { (src, dst) } else { (dst, src) };
                        let make = || ConvRow {
                            a: src,
                            b: dst,
                            counts: Counts::default(),
                            start: view.ts,
                            stop: view.ts,
                        };
                        if let Some(r) = t.row(key, &mut room, dropped, make) {
                            r.counts.add(r.a == src && r.b == dst, len);
                            r.stop = view.ts;
                        }
                    }
                }
                Kind::Endpoints(layer, t) => {
                    for &(_, src, dst) in pairs.iter().filter(|p| p.0 == *layer) {
                        for (p, sent) in [(src, true), (dst, false)] {
                            let make = || EndpointRow {
                                at: p,
                                counts: Counts::default(),
                            };
                            if let Some(r) = t.row(p, &mut room, dropped, make) {
                                r.counts.add(sent, len);
                            }
                        }
                    }
                }
                Kind::Phs(h) => {
                    let chain = chain
                        .get_or_insert_with(|| crate::render::layers::protocols_in_frame(view));
                    h.add(
                        chain.split(':').filter(|p| *p != "ethertype"),
                        len,
                        view.number,
                    );
                }
                Kind::IoStat(t) => t.frame(view, rel, clock, &mut room, dropped),
                Kind::Tree(t) => match t.kind() {
                    TreeKind::Sequences => {
                        // Its rate counts over the time of every HTTP message, as tshark's tap.
                        if !http.is_empty() {
                            t.seen(now_ms);
                        }
                        for (referer, uri) in crate::render::stats_tree::sequence_ticks(view) {
                            t.sequence(now_ms, &referer, &uri, &mut room, dropped);
                        }
                    }
                    TreeKind::Http2 => {
                        // Each HTTP/2 frame the packet carried (tshark's HTTP/2 tap).
                        let types = view.app.iter().filter_map(|ev| ev.msg.http2_frame_type());
                        for code in types {
                            t.http2_frame(now_ms, code, &mut room, dropped);
                        }
                    }
                    TreeKind::Dns => {
                        for m in &dns {
                            t.dns(now_ms, m, &mut room, dropped);
                        }
                    }
                    TreeKind::Packets | TreeKind::Requests | TreeKind::Servers => {
                        for m in &http {
                            t.message(now_ms, m, &mut room, dropped);
                        }
                    }
                },
                Kind::Expert(e) => e.frame(view, &mut room, dropped),
                Kind::Credentials(rows) => {
                    // The HTTP/1.x messages this frame completed (tshark's HTTP/2 dissector
                    // lists none).
                    let found = view
                        .app
                        .iter()
                        .filter_map(|ev| ev.msg.http())
                        .filter(|m| m.stream_id.is_none())
                        .flat_map(|m| m.credentials());
                    for c in found {
                        if room == 0 {
                            *dropped += 1;
                            continue;
                        }
                        room -= 1;
                        rows.push((view.number, c));
                    }
                }
            }
        }
    }

    /// The stderr lines for `io,stat` tables whose rows were cut by the memory budget.
    pub fn cut_notes(&self) -> Vec<String> {
        self.tables
            .iter()
            .filter_map(|t| match &t.kind {
                Kind::IoStat(s) => s.cut_note(&self.clock),
                _ => None,
            })
            .collect()
    }

    /// Print the tables as tshark does at the end of a run: the last `-z` given first.
    pub fn write<W: Write>(&self, w: &mut W) -> io::Result<()> {
        let origin = self.first.unwrap_or_default();
        for t in self.tables.iter().rev() {
            let filter = t.filter.as_ref().map(|(text, _)| text.as_str());
            match &t.kind {
                Kind::Conv(l, rows) => write_conv(w, *l, rows, filter, origin)?,
                Kind::Endpoints(l, rows) => write_endpoints(w, *l, rows, filter)?,
                Kind::Phs(h) => h.write(w, &escape_str(filter.unwrap_or("")))?,
                Kind::IoStat(t) => t.write(w, &self.clock)?,
                Kind::Tree(t) => t.write(w)?,
                Kind::Credentials(rows) => write_credentials(w, rows)?,
                Kind::Expert(e) => e.write(w)?,
            }
        }
        Ok(())
    }
}

/// `-z credentials` in tshark's text: its columns are padded in bytes, as its `printf`
/// does; the user name is escaped (tshark writes its bytes as they are).
fn write_credentials<W: Write>(w: &mut W, rows: &[(u64, Credential)]) -> io::Result<()> {
    let rule = "=".repeat(67);
    writeln!(w, "{rule}")?;
    writeln!(
        w,
        "Packet     Protocol         Username         Info            "
    )?;
    writeln!(w, "------     --------         --------         --------")?;
    for (frame, credential) in rows {
        let (protocol, user) = match credential {
            Credential::Basic(u) => ("HTTP basic auth", escape_bytes(u)),
            Credential::Header => ("HTTP header auth", "n.a.".to_string()),
        };
        let pad = " ".repeat(16usize.saturating_sub(user.len()));
        writeln!(w, "{frame:<10} {protocol:<16} {user}{pad} {:<16}", "")?;
    }
    writeln!(w, "{rule}")
}

/// The frame's network source and destination as tshark prints them (its `pinfo->src` and
/// `pinfo->dst`: the innermost IP header's), for the HTTP trees' server addresses.
fn http_addresses(pairs: &[(Layer, Point, Point)]) -> (String, String) {
    pairs
        .iter()
        .rev()
        .find(|p| matches!(p.0, Layer::Ip | Layer::Ipv6))
        .map(|(_, s, d)| (s.0.to_string(), d.0.to_string()))
        .unwrap_or_default()
}

/// The frame's (layer, sender, receiver) for the Ethernet, IP and TCP/UDP tables: one for
/// each such header, outermost first. As tshark's taps, a tunnelled frame counts in the
/// conversation of every layer it was carried in (the outer Ethernet, IP and UDP headers of
/// VXLAN, Geneve, GRE, ERSPAN, IP in IP) as well as in the inner ones.
fn pairs_of(view: &FrameView<'_>) -> SmallVec<[(Layer, Point, Point); 4]> {
    let d = view.decoded;
    let mut pairs = SmallVec::new();
    if let Link::Ethernet(e) = &d.link {
        pairs.push((Layer::Eth, (Addr::Mac(e.src), 0), (Addr::Mac(e.dst), 0)));
    }
    let ip_pair = |s: IpAddr, t: IpAddr| {
        let layer = match s {
            IpAddr::V4(_) => Layer::Ip,
            IpAddr::V6(_) => Layer::Ipv6,
        };
        (layer, (Addr::Ip(s), 0), (Addr::Ip(t), 0))
    };
    // The UDP header of a tunnel is read with the IP header before it.
    let mut outer_ip: Option<(IpAddr, IpAddr)> = None;
    for e in &d.encap {
        match e {
            Encap::Ethernet { header, .. } => {
                pairs.push((
                    Layer::Eth,
                    (Addr::Mac(header.src), 0),
                    (Addr::Mac(header.dst), 0),
                ));
            }
            Encap::Ip(n) => {
                outer_ip = n.addrs();
                if let Some((s, t)) = outer_ip {
                    pairs.push(ip_pair(s, t));
                }
            }
            Encap::Udp(u) => {
                if let Some((s, t)) = outer_ip {
                    pairs.push((
                        Layer::Udp,
                        (Addr::Ip(s), u.src_port),
                        (Addr::Ip(t), u.dst_port),
                    ));
                }
            }
            _ => {}
        }
    }
    // A fragment held for its datagram (not the one that completed it) carries no
    // transport header of its own: the datagram's is read with the completing frame.
    let held = d.fragment_held && d.reassembled.is_none();
    // tshark 4.0 counts an IPv4 fragment in the IPv4 tables but an IPv6 one only when it
    // completes its datagram.
    match d.net.as_ref().and_then(Net::addrs) {
        Some((IpAddr::V6(_), _)) if held => {}
        Some((s, t)) => pairs.push(ip_pair(s, t)),
        None => {}
    }
    // The transport's addresses: the inner IP header's (the tunnel's, when a tunnel
    // carried no IP header of its own).
    let Some((s, t)) = d.addrs() else {
        return pairs;
    };
    let transport = if held { None } else { d.session_transport() };
    // tshark's TCP tables skip a segment whose header the capture cut short.
    let tcp_cut = d.stopped.as_ref().is_some_and(|st| st.layer == "TCP");
    match transport {
        Some(Transport::Tcp(h)) if !tcp_cut => pairs.push((
            Layer::Tcp,
            (Addr::Ip(s), h.src_port),
            (Addr::Ip(t), h.dst_port),
        )),
        Some(Transport::Udp(h)) => pairs.push((
            Layer::Udp,
            (Addr::Ip(s), h.src_port),
            (Addr::Ip(t), h.dst_port),
        )),
        _ => {}
    }
    pairs
}

const RULE: &str =
    "================================================================================";

/// tshark's byte counts in the conversation tables: SI units past 9,999, whole numbers
/// (rounded down).
fn size(n: u64) -> String {
    const UNITS: [(u64, &str); 4] = [
        (1_000_000_000_000, "TB"),
        (1_000_000_000, "GB"),
        (1_000_000, "MB"),
        (1_000, "kB"),
    ];
    for (div, unit) in UNITS {
        if n / div >= 10 {
            return format!("{} {unit}", n / div);
        }
    }
    format!("{n} bytes")
}

fn point(p: &Point, ports: bool) -> String {
    if ports {
        escape_str(&format!("{}:{}", p.0, p.1))
    } else {
        escape_str(&p.0.to_string())
    }
}

/// Indices of `rows` by total frames, most first; equal totals in order of appearance.
fn by_frames(totals: impl Iterator<Item = u64>) -> Vec<usize> {
    let mut order: Vec<(usize, u64)> = totals.enumerate().collect();
    order.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    order.into_iter().map(|(i, _)| i).collect()
}

fn write_conv<W: Write>(
    w: &mut W,
    layer: Layer,
    t: &ConvTable,
    filter: Option<&str>,
    origin: Timestamp,
) -> io::Result<()> {
    let ports = layer.has_ports();
    let pad = if ports { "            " } else { "" };
    writeln!(w, "{RULE}")?;
    writeln!(w, "{} Conversations", layer.title())?;
    write_filter(w, filter)?;
    writeln!(
        w,
        "{pad}                                               |       <-      | |       ->      | |     Total     |    Relative    |   Duration   |"
    )?;
    writeln!(
        w,
        "{pad}                                               | Frames  Bytes | | Frames  Bytes | | Frames  Bytes |      Start     |              |"
    )?;
    let order = by_frames(t.rows.iter().map(|r| r.counts.frames()));
    // Each row is made in one buffer and written at once (a write per cell costs more
    // than the formatting).
    let mut line = String::with_capacity(192);
    for r in order.iter().filter_map(|&i| t.rows.get(i)) {
        use std::fmt::Write as _;
        line.clear();
        let (a, b) = (point(&r.a, ports), point(&r.b, ports));
        let c = &r.counts;
        let start = r.start.since(origin);
        let stop = r.stop.since(origin);
        let _ = if ports {
            write!(line, "{a:<26} <-> {b:<26}")
        } else {
            write!(line, "{a:<20} <-> {b:<20}")
        };
        let _ = writeln!(
            line,
            "  {:>6} {:<9}  {:>6} {:<9}  {:>6} {:<9}  {:>14.9}   {:>12.4}",
            c.rx_frames,
            size(c.rx_bytes),
            c.tx_frames,
            size(c.tx_bytes),
            c.frames(),
            size(c.bytes()),
            start,
            stop - start,
        );
        w.write_all(line.as_bytes())?;
    }
    writeln!(w, "{RULE}")
}

/// tshark's `Filter:` line of the conversation and endpoint tables.
fn write_filter<W: Write>(w: &mut W, filter: Option<&str>) -> io::Result<()> {
    writeln!(
        w,
        "Filter:{}",
        filter.map_or_else(|| "<No Filter>".to_string(), escape_str)
    )
}

fn write_endpoints<W: Write>(
    w: &mut W,
    layer: Layer,
    t: &EndpointTable,
    filter: Option<&str>,
) -> io::Result<()> {
    let ports = layer.has_ports();
    writeln!(w, "{RULE}")?;
    writeln!(w, "{} Endpoints", layer.title())?;
    write_filter(w, filter)?;
    writeln!(
        w,
        "                       |  {}Packets  | |  Bytes  | | Tx Packets | | Tx Bytes | | Rx Packets | | Rx Bytes |",
        if ports { "Port  ||  " } else { "" }
    )?;
    let order = by_frames(t.rows.iter().map(|r| r.counts.frames()));
    let mut line = String::with_capacity(128);
    for r in order.iter().filter_map(|&i| t.rows.get(i)) {
        use std::fmt::Write as _;
        line.clear();
        let (addr, port) = r.at;
        let c = &r.counts;
        let name = escape_str(&addr.to_string());
        let _ = write!(line, "{name:<20}");
        let _ = if ports {
            write!(line, "      {port:>5}     {:>6}", c.frames())
        } else {
            write!(line, "      {:>6}", c.frames())
        };
        let _ = writeln!(
            line,
            "     {:>9}     {:>6}       {:>9}      {:>6}       {:>9}   ",
            c.bytes(),
            c.tx_frames,
            c.tx_bytes,
            c.rx_frames,
            c.rx_bytes
        );
        w.write_all(line.as_bytes())?;
    }
    writeln!(w, "{RULE}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_as_tshark() {
        assert_eq!(size(0), "0 bytes");
        assert_eq!(size(9_999), "9999 bytes");
        assert_eq!(size(10_000), "10 kB");
        assert_eq!(size(93_243), "93 kB");
        assert_eq!(size(9_999_999), "9999 kB");
        assert_eq!(size(10_000_000), "10 MB");
        assert_eq!(size(259_000_000), "259 MB");
    }

    #[test]
    fn parse_knows_and_refuses() {
        assert_eq!(ZStat::parse("conv,tcp"), Ok(ZStat::Conv(Layer::Tcp, None)));
        assert_eq!(
            ZStat::parse("endpoints,ipv6"),
            Ok(ZStat::Endpoints(Layer::Ipv6, None))
        );
        assert_eq!(ZStat::parse("io,phs"), Ok(ZStat::Phs(None)));
        use crate::render::stats_tree::TreeKind;
        assert_eq!(
            ZStat::parse("http,tree"),
            Ok(ZStat::Tree(TreeKind::Packets, None))
        );
        assert_eq!(
            ZStat::parse("http_srv,tree,tcp.port == 80"),
            Ok(ZStat::Tree(
                TreeKind::Servers,
                Some("tcp.port == 80".into())
            ))
        );
        assert_eq!(
            ZStat::parse("dns,tree,udp.port == 53"),
            Ok(ZStat::Tree(TreeKind::Dns, Some("udp.port == 53".into())))
        );
        assert_eq!(
            ZStat::parse("http2,tree"),
            Ok(ZStat::Tree(TreeKind::Http2, None))
        );
        assert_eq!(
            ZStat::parse("http_seq,tree"),
            Ok(ZStat::Tree(TreeKind::Sequences, None))
        );
        use crate::render::expert::Severity;
        assert_eq!(
            ZStat::parse("expert"),
            Ok(ZStat::Expert(Severity::Comment, None))
        );
        assert_eq!(
            ZStat::parse("expert,warn,tcp"),
            Ok(ZStat::Expert(Severity::Warn, Some("tcp".into())))
        );
        assert!(ZStat::parse("expert,note,tcp ==").is_err());
        assert!(ZStat::parse("http_req,tree,tcp.port ==").is_err());
        assert_eq!(
            ZStat::parse("conv,ip,tcp.port == 80 || udp"),
            Ok(ZStat::Conv(Layer::Ip, Some("tcp.port == 80 || udp".into())))
        );
        assert!(ZStat::parse("conv,ip,tcp.port ==").is_err());
        assert_eq!(
            ZStat::parse("follow,tcp,hex,3"),
            Ok(ZStat::Follow {
                mode: FollowMode::Hex,
                stream: 3,
                udp: false,
                http: false,
                http2: None,
                chunks: None,
            })
        );
        assert_eq!(
            ZStat::parse("follow,udp,ascii,1"),
            Ok(ZStat::Follow {
                mode: FollowMode::Ascii,
                stream: 1,
                udp: true,
                http: false,
                http2: None,
                chunks: None,
            })
        );
        assert_eq!(
            ZStat::parse("follow,http,ascii,2"),
            Ok(ZStat::Follow {
                mode: FollowMode::Ascii,
                stream: 2,
                udp: false,
                http: true,
                http2: None,
                chunks: None,
            })
        );
        assert_eq!(
            ZStat::parse("follow,http2,hex,0,3,2-4"),
            Ok(ZStat::Follow {
                mode: FollowMode::Hex,
                stream: 0,
                udp: false,
                http: false,
                http2: Some(3),
                chunks: Some((2, 4)),
            })
        );
        assert_eq!(
            ZStat::parse("follow,http2,ascii,1,0"),
            Ok(ZStat::Follow {
                mode: FollowMode::Ascii,
                stream: 1,
                udp: false,
                http: false,
                http2: Some(0),
                chunks: None,
            })
        );
        for bad in [
            "conv,sctp",
            "nope",
            "follow,quic,ascii,0",
            "follow,http2,ascii,0",
            "follow,http2,ascii,0,x",
            "follow,http2,ascii,0,2147483648",
            "follow,http2,ascii,0,1,0",
            "follow,http2,ascii,0,1,4-2",
            "follow,http2,ascii,0,1,4-",
            "follow,http2,ascii,0,1,2,3",
            "follow,tcp,ascii,0,2",
            "follow,tcp,raw,0",
        ] {
            let e = ZStat::parse(bad).expect_err(bad);
            assert!(!e.contains('\n'), "{e}");
        }
        assert!(ZStat::parse("conv,bad\x1b")
            .expect_err("bad")
            .contains("\\x1b"));
    }

    #[test]
    fn most_frames_first_ties_in_order() {
        assert_eq!(by_frames([2, 5, 2, 7].into_iter()), vec![3, 1, 0, 2]);
    }
}
