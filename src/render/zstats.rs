//! `-z STAT`: tshark's statistics, printed at the end of the run in tshark 4.0's text
//! layout (as `tshark -n`: squirrel-sniff never resolves names) — conversations
//! (`conv,eth|ip|ipv6|tcp|udp`), endpoints (`endpoints,…`) and the protocol hierarchy
//! (`io,phs`). `follow,…` is mapped onto `--follow` by the command line.
//!
//! The tables are end-of-run sinks: [`ZTally::frame`] counts each frame's view as the
//! pipeline made it (every frame, as tshark's taps see every frame whatever `-Y` shows),
//! and [`ZTally::write`] prints them. Rows are bounded by the memory budget: past
//! `max_rows` new rows are not kept (counted in [`ZTally::dropped`]).

use std::collections::HashMap;
use std::io::{self, Write};
use std::net::IpAddr;

use crate::capture::Timestamp;
use crate::decode::{Link, Transport};
use crate::event::FrameView;
use crate::present::escape::escape_str;
use crate::render::hierarchy::Hierarchy;

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
    Conv(Layer),
    Endpoints(Layer),
    /// `io,phs`: the protocol hierarchy of every frame.
    Phs,
    /// `follow,tcp|tls,ascii|hex,N`: `--follow N`.
    Follow {
        mode: FollowMode,
        stream: u32,
    },
}

/// What `-z` knows, for the usage error.
pub const KNOWN: &str = "conv,eth|ip|ipv6|tcp|udp  endpoints,eth|ip|ipv6|tcp|udp  io,phs  \
follow,tcp|tls,ascii|hex,STREAM";

impl ZStat {
    /// Parse one `-z` argument; the error is one line.
    pub fn parse(arg: &str) -> Result<ZStat, String> {
        let parts: Vec<&str> = arg.split(',').collect();
        let unknown = || {
            format!(
                "-z {}: not a statistic squirrel-sniff knows (known: {KNOWN})",
                escape_str(arg)
            )
        };
        match parts.as_slice() {
            ["conv", l] => Layer::parse(l).map(ZStat::Conv).ok_or_else(unknown),
            ["endpoints", l] => Layer::parse(l).map(ZStat::Endpoints).ok_or_else(unknown),
            ["io", "phs"] => Ok(ZStat::Phs),
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
                if !matches!(*proto, "tcp" | "tls") {
                    return Err(if matches!(*proto, "udp" | "http" | "http2" | "quic") {
                        format!(
                            "-z {}: squirrel-sniff follows TCP streams (tcp, tls), not {}",
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
                match rest {
                    [n] => n
                        .parse::<u32>()
                        .map(|stream| ZStat::Follow { mode, stream })
                        .map_err(|_| pairs_unsupported()),
                    _ => Err(pairs_unsupported()),
                }
            }
            _ => Err(unknown()),
        }
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
            index: HashMap::new(),
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

/// The `-z` tables being counted.
#[derive(Debug, Clone, Default)]
pub struct ZTally {
    stats: Vec<ZStat>,
    convs: Vec<(Layer, ConvTable)>,
    endpoints: Vec<(Layer, EndpointTable)>,
    phs: Option<Hierarchy>,
    first: Option<Timestamp>,
    max_rows: usize,
    /// Rows not kept (memory budget).
    pub dropped: u64,
}

impl ZTally {
    /// Tables for these `-z` arguments, keeping at most `max_rows` rows in all.
    pub fn new(stats: &[ZStat], max_rows: usize) -> ZTally {
        let mut t = ZTally {
            stats: stats.to_vec(),
            max_rows,
            ..ZTally::default()
        };
        for s in stats {
            match s {
                ZStat::Conv(l) if !t.convs.iter().any(|(x, _)| x == l) => {
                    t.convs.push((*l, ConvTable::default()));
                }
                ZStat::Endpoints(l) if !t.endpoints.iter().any(|(x, _)| x == l) => {
                    t.endpoints.push((*l, EndpointTable::default()));
                }
                ZStat::Phs => t.phs = Some(Hierarchy::default()),
                _ => {}
            }
        }
        t
    }

    /// Whether any table is counted (`follow` alone counts nothing).
    pub fn counts(&self) -> bool {
        !self.convs.is_empty() || !self.endpoints.is_empty() || self.phs.is_some()
    }

    /// Rows held over every table (for the memory budget).
    pub fn rows(&self) -> usize {
        self.convs.iter().map(|(_, t)| t.rows.len()).sum::<usize>()
            + self
                .endpoints
                .iter()
                .map(|(_, t)| t.rows.len())
                .sum::<usize>()
    }

    /// Count one frame (every frame of the run, in order).
    pub fn frame(&mut self, view: &FrameView<'_>) {
        self.first.get_or_insert(view.first_ts);
        let len = u64::from(view.len);
        let d = view.decoded;
        let mut pairs: [Option<(Layer, Point, Point)>; 3] = [None, None, None];
        if let Link::Ethernet(e) = &d.link {
            pairs[0] = Some((Layer::Eth, (Addr::Mac(e.src), 0), (Addr::Mac(e.dst), 0)));
        }
        // A fragment held for its datagram (not the one that completed it) carries no
        // transport header of its own: the datagram's is read with the completing frame.
        let held = d.fragment_held && d.reassembled.is_none();
        if let Some((s, t)) = d.addrs() {
            // tshark 4.0 counts an IPv4 fragment in the IPv4 tables but an IPv6 one only
            // when it completes its datagram.
            pairs[1] = match s {
                IpAddr::V4(_) => Some((Layer::Ip, (Addr::Ip(s), 0), (Addr::Ip(t), 0))),
                IpAddr::V6(_) if !held => Some((Layer::Ipv6, (Addr::Ip(s), 0), (Addr::Ip(t), 0))),
                IpAddr::V6(_) => None,
            };
            let transport = if held { None } else { d.session_transport() };
            // tshark's TCP tables skip a segment whose header the capture cut short.
            let tcp_cut = d.stopped.as_ref().is_some_and(|st| st.layer == "TCP");
            pairs[2] = match transport {
                Some(Transport::Tcp(h)) if !tcp_cut => Some((
                    Layer::Tcp,
                    (Addr::Ip(s), h.src_port),
                    (Addr::Ip(t), h.dst_port),
                )),
                Some(Transport::Udp(h)) => Some((
                    Layer::Udp,
                    (Addr::Ip(s), h.src_port),
                    (Addr::Ip(t), h.dst_port),
                )),
                _ => None,
            };
        }
        let mut room = self.max_rows.saturating_sub(self.rows());
        let dropped = &mut self.dropped;
        for (layer, src, dst) in pairs.into_iter().flatten() {
            if let Some((_, t)) = self.convs.iter_mut().find(|(l, _)| *l == layer) {
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
            if let Some((_, t)) = self.endpoints.iter_mut().find(|(l, _)| *l == layer) {
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
        if let Some(h) = &mut self.phs {
            let chain = crate::render::layers::protocols_in_frame(view);
            h.add(
                chain.split(':').filter(|p| *p != "ethertype"),
                len,
                view.number,
            );
        }
    }

    /// Print the tables as tshark does at the end of a run: the last `-z` given first.
    pub fn write<W: Write>(&self, w: &mut W) -> io::Result<()> {
        let origin = self.first.unwrap_or_default();
        for s in self.stats.iter().rev() {
            match s {
                ZStat::Conv(l) => {
                    if let Some((_, t)) = self.convs.iter().find(|(x, _)| x == l) {
                        write_conv(w, *l, t, origin)?;
                    }
                }
                ZStat::Endpoints(l) => {
                    if let Some((_, t)) = self.endpoints.iter().find(|(x, _)| x == l) {
                        write_endpoints(w, *l, t)?;
                    }
                }
                ZStat::Phs => {
                    if let Some(h) = &self.phs {
                        h.write(w, "")?;
                    }
                }
                ZStat::Follow { .. } => {}
            }
        }
        Ok(())
    }
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
    origin: Timestamp,
) -> io::Result<()> {
    let ports = layer.has_ports();
    let pad = if ports { "            " } else { "" };
    writeln!(w, "{RULE}")?;
    writeln!(w, "{} Conversations", layer.title())?;
    writeln!(w, "Filter:<No Filter>")?;
    writeln!(
        w,
        "{pad}                                               |       <-      | |       ->      | |     Total     |    Relative    |   Duration   |"
    )?;
    writeln!(
        w,
        "{pad}                                               | Frames  Bytes | | Frames  Bytes | | Frames  Bytes |      Start     |              |"
    )?;
    let order = by_frames(t.rows.iter().map(|r| r.counts.frames()));
    for r in order.iter().filter_map(|&i| t.rows.get(i)) {
        let (a, b) = (point(&r.a, ports), point(&r.b, ports));
        let c = &r.counts;
        if ports {
            write!(w, "{a:<26} <-> {b:<26}")?;
        } else {
            write!(w, "{a:<20} <-> {b:<20}")?;
        }
        let start = r.start.since(origin);
        let stop = r.stop.since(origin);
        writeln!(
            w,
            "  {:>6} {:<9}  {:>6} {:<9}  {:>6} {:<9}  {:>14.9}   {:>12.4}",
            c.rx_frames,
            size(c.rx_bytes),
            c.tx_frames,
            size(c.tx_bytes),
            c.frames(),
            size(c.bytes()),
            start,
            stop - start,
        )?;
    }
    writeln!(w, "{RULE}")
}

fn write_endpoints<W: Write>(w: &mut W, layer: Layer, t: &EndpointTable) -> io::Result<()> {
    let ports = layer.has_ports();
    writeln!(w, "{RULE}")?;
    writeln!(w, "{} Endpoints", layer.title())?;
    writeln!(w, "Filter:<No Filter>")?;
    writeln!(
        w,
        "                       |  {}Packets  | |  Bytes  | | Tx Packets | | Tx Bytes | | Rx Packets | | Rx Bytes |",
        if ports { "Port  ||  " } else { "" }
    )?;
    let order = by_frames(t.rows.iter().map(|r| r.counts.frames()));
    for r in order.iter().filter_map(|&i| t.rows.get(i)) {
        let (addr, port) = r.at;
        let c = &r.counts;
        let name = escape_str(&addr.to_string());
        write!(w, "{name:<20}")?;
        if ports {
            write!(w, "      {port:>5}     {:>6}", c.frames())?;
        } else {
            write!(w, "      {:>6}", c.frames())?;
        }
        writeln!(
            w,
            "     {:>9}     {:>6}       {:>9}      {:>6}       {:>9}   ",
            c.bytes(),
            c.tx_frames,
            c.tx_bytes,
            c.rx_frames,
            c.rx_bytes
        )?;
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
        assert_eq!(ZStat::parse("conv,tcp"), Ok(ZStat::Conv(Layer::Tcp)));
        assert_eq!(
            ZStat::parse("endpoints,ipv6"),
            Ok(ZStat::Endpoints(Layer::Ipv6))
        );
        assert_eq!(ZStat::parse("io,phs"), Ok(ZStat::Phs));
        assert_eq!(
            ZStat::parse("follow,tcp,hex,3"),
            Ok(ZStat::Follow {
                mode: FollowMode::Hex,
                stream: 3
            })
        );
        for bad in [
            "conv,sctp",
            "nope",
            "follow,udp,ascii,0",
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
