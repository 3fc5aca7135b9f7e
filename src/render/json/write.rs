//! Writing the records every frame makes (`packet`, the application records) straight into
//! the output buffer: the bytes serde_json writes for the typed records in
//! [`super::record`] (the tests below compare both ways on every field), without a map of
//! `serde_json::Value`s per record, an escaped copy of every wire string, or the escaping
//! of constant field names on every record.

use std::borrow::Cow;
use std::io::Write as _;
use std::net::{IpAddr, Ipv4Addr};
use std::ops::Range;

use serde_json::ser::{CompactFormatter, Formatter};
use serde_json::Value;

use super::record::{
    dir_name, App, Detail, Finding, Packet, SessionClose, SessionFields, SessionOpen, SessionRef,
};
use crate::dissect::fields::Fields;
use crate::flow::{StreamId, Transport};
use crate::present::escape::escape_bytes;

/// True when `b` needs no JSON escape: not `"`, not `\`, not a control character below
/// U+0020 (serde_json's rule; DEL and non-ASCII are written as they are); with `ASCII`,
/// also below DEL (printable ASCII: the same text after the terminal escape). Written
/// without short-circuits so that a block of bytes is checked with vector compares.
#[inline(always)]
fn plain<const ASCII: bool>(b: u8) -> bool {
    (b >= 0x20) & (b != b'"') & (b != b'\\') & (!ASCII | (b < 0x7f))
}

/// True when the byte is printable ASCII (`"` and `\` included): the same text after
/// the terminal escape ([`crate::present::escape::escape_bytes`]).
#[inline(always)]
fn printable(b: u8) -> bool {
    b.wrapping_sub(0x20) < 0x7f - 0x20
}

/// True when `ok` holds for every byte of the array (one vector compare per test).
#[inline(always)]
fn block_all<const N: usize>(b: &[u8; N], ok: impl Fn(u8) -> bool) -> bool {
    b.iter().fold(true, |all, &c| all & ok(c))
}

/// The first `N` bytes of `s` and its last `N` (they overlap when `s` is shorter than
/// `2 N`), for `s` at least `N` long.
#[inline(always)]
fn ends<const N: usize>(s: &[u8]) -> Option<(&[u8; N], &[u8; N])> {
    let first = s.first_chunk::<N>()?;
    let last = s.last_chunk::<N>()?;
    Some((first, last))
}

/// True when `ok` holds for every byte of `s`: sixteen bytes at a time, the last block
/// overlapping the one before it; a string shorter than sixteen bytes as two overlapping
/// words of eight or four bytes (no byte-by-byte tail but for strings under four bytes).
#[inline(always)]
fn all_bytes(s: &[u8], ok: impl Fn(u8) -> bool + Copy) -> bool {
    if s.len() >= 16 {
        let mut blocks = s.chunks_exact(16);
        for b in &mut blocks {
            match b.first_chunk::<16>() {
                Some(b) if block_all(b, ok) => {}
                _ => return false,
            }
        }
        blocks.remainder().is_empty() || s.last_chunk::<16>().is_some_and(|b| block_all(b, ok))
    } else if let Some((a, b)) = ends::<8>(s) {
        block_all(a, ok) & block_all(b, ok)
    } else if let Some((a, b)) = ends::<4>(s) {
        block_all(a, ok) & block_all(b, ok)
    } else {
        s.iter().fold(true, |all, &c| all & ok(c))
    }
}

/// True when every byte of `s` is [`plain`].
#[inline(always)]
fn all_plain<const ASCII: bool>(s: &[u8]) -> bool {
    all_bytes(s, plain::<ASCII>)
}

/// `s` as a JSON string, exactly as serde_json writes it.
pub fn str(out: &mut Vec<u8>, s: &str) {
    if all_plain::<false>(s.as_bytes()) {
        out.reserve(s.len() + 2);
        out.push(b'"');
        out.extend_from_slice(s.as_bytes());
        out.push(b'"');
    } else {
        // Rare: let serde_json escape it (writing to a Vec cannot fail).
        let _ = serde_json::to_writer(&mut *out, s);
    }
}

/// A string known to need no escape (a constant name, a formatted time): written between
/// quotes without looking at it.
fn known(out: &mut Vec<u8>, s: &str) {
    debug_assert!(all_plain::<false>(s.as_bytes()), "{s:?}");
    out.push(b'"');
    out.extend_from_slice(s.as_bytes());
    out.push(b'"');
}

/// Bytes from the wire as a JSON string: escaped for the terminal
/// ([`crate::present::escape::escape_bytes`]), then for JSON. Printable ASCII without `"`
/// or `\` (the common case) is the same text after both: written without a copy.
pub fn wire(out: &mut Vec<u8>, bytes: &[u8]) {
    if all_plain::<true>(bytes) {
        out.reserve(bytes.len() + 2);
        out.push(b'"');
        out.extend_from_slice(bytes);
        out.push(b'"');
    } else if all_bytes(bytes, printable) {
        // Printable ASCII with a `"` or `\` (an ETag, a quoted parameter): the terminal
        // escape keeps it as it is; JSON escapes those two with a backslash.
        quoted_ascii(out, bytes);
    } else {
        str(out, &escape_bytes(bytes));
    }
}

/// Printable ASCII as a JSON string: `"` and `\` escaped as serde_json escapes them
/// (`\"`, `\\`), every other byte as it is.
fn quoted_ascii(out: &mut Vec<u8>, bytes: &[u8]) {
    out.reserve(bytes.len() + 4);
    out.push(b'"');
    let mut rest = bytes;
    while let Some((head, tail)) =
        memchr::memchr2(b'"', b'\\', rest).and_then(|i| rest.split_at_checked(i))
    {
        out.extend_from_slice(head);
        let Some((&special, after)) = tail.split_first() else {
            break;
        };
        out.push(b'\\');
        out.push(special);
        rest = after;
    }
    out.extend_from_slice(rest);
    out.push(b'"');
}

/// A string from the wire, escaped for the terminal, then for JSON
/// (as [`crate::present::escape::escape_str`]).
pub fn wire_str(out: &mut Vec<u8>, s: &str) {
    wire(out, s.as_bytes());
}

pub fn uint(out: &mut Vec<u8>, v: u64) {
    let _ = CompactFormatter.write_u64(out, v);
}

/// A number as serde_json writes an `f64`: `null` when not finite.
pub fn float(out: &mut Vec<u8>, v: f64) {
    if v.is_finite() {
        let _ = CompactFormatter.write_f64(out, v);
    } else {
        out.extend_from_slice(b"null");
    }
}

pub fn flag(out: &mut Vec<u8>, v: bool) {
    out.extend_from_slice(if v { b"true" } else { b"false" });
}

pub fn null(out: &mut Vec<u8>) {
    out.extend_from_slice(b"null");
}

/// An IPv4 address's text, as `Display` gives it, written digit by digit into `buf`
/// (without the formatter's cost): its length.
pub fn v4_text(a: Ipv4Addr, buf: &mut [u8; 15]) -> usize {
    let mut n = 0;
    let mut put = |b: u8| {
        if let Some(x) = buf.get_mut(n) {
            *x = b;
        }
        n += 1;
    };
    for (i, o) in a.octets().into_iter().enumerate() {
        if i > 0 {
            put(b'.');
        }
        if o >= 100 {
            put(b'0' + o / 100);
        }
        if o >= 10 {
            put(b'0' + o / 10 % 10);
        }
        put(b'0' + o % 10);
    }
    n
}

/// An address as serde writes it (its text, as a string); IPv4, the common case, by
/// [`v4_text`].
pub fn ip(out: &mut Vec<u8>, a: IpAddr) {
    out.push(b'"');
    match a {
        IpAddr::V4(v4) => {
            let mut buf = [0; 15];
            let n = v4_text(v4, &mut buf);
            out.extend_from_slice(buf.get(..n).unwrap_or_default());
        }
        IpAddr::V6(_) => {
            let _ = write!(out, "{a}");
        }
    }
    out.push(b'"');
}

pub fn opt<T>(out: &mut Vec<u8>, v: Option<T>, f: impl FnOnce(&mut Vec<u8>, T)) {
    match v {
        Some(v) => f(out, v),
        None => null(out),
    }
}

/// `,"name":` for a constant field name (plain ASCII: not escaped), as one constant
/// slice: copied without a call per part.
macro_rules! key {
    ($out:expr, $name:literal) => {
        $out.extend_from_slice(concat!(",\"", $name, "\":").as_bytes())
    };
}

/// A message's fields ([`Fields`]) written as JSON members in the order of their names, as
/// the `serde_json::Map` the message's `json()` builds would give them (`type` apart).
/// Reused from record to record: no allocation once it has grown.
#[derive(Debug, Default)]
pub struct Body {
    /// The members, each written as JSON (`,"name":value`), one after the other.
    bytes: Vec<u8>,
    /// Each member: its name's range in `bytes` (as given, not escaped), and its JSON's.
    members: Vec<(Range<usize>, Range<usize>)>,
    /// The record's `type`, as JSON (`null` when none was given).
    ty: Option<Range<usize>>,
    /// The members' names in the order given, each followed by 0xff (a byte UTF-8 never
    /// has): what [`Body::orders`] knows them by, compared whole.
    names: Vec<u8>,
    /// Orders learnt: the members' names in the order given (as [`Body::names`]), and the
    /// members to write, in name order (for a name given twice, its last). Records of the
    /// same kind give the same names: sorted once.
    orders: Vec<(Vec<u8>, Vec<usize>)>,
}

/// The most orders kept; past it they are learnt again.
const MAX_ORDERS: usize = 32;

impl Body {
    pub fn clear(&mut self) {
        self.bytes.clear();
        self.members.clear();
        self.names.clear();
        self.ty = None;
    }

    /// True when no member but `type` was given.
    pub fn is_empty(&self) -> bool {
        self.members.is_empty()
    }

    /// The record's `type` as JSON: a string, or `null` when the message gave none.
    pub fn write_type(&self, out: &mut Vec<u8>) {
        match self.ty.clone().and_then(|r| self.bytes.get(r)) {
            Some(t) => out.extend_from_slice(t),
            None => null(out),
        }
    }

    /// `,"name":value` for every member but `type`, in name order; for a name given twice,
    /// its last value (as a map keeps it).
    pub fn write_members(&mut self, out: &mut Vec<u8>) {
        let known = self
            .orders
            .iter()
            .position(|(names, _)| *names == self.names);
        let at = match known {
            Some(at) => at,
            None => self.learn_order(),
        };
        let Some((_, order)) = self.orders.get(at) else {
            return;
        };
        out.reserve(self.bytes.len());
        for &i in order {
            if let Some((_, member)) = self.members.get(i) {
                out.extend_from_slice(self.bytes.get(member.clone()).unwrap_or_default());
            }
        }
    }

    /// The name of member `i`.
    fn member_name(&self, i: usize) -> &[u8] {
        self.members
            .get(i)
            .and_then(|(n, _)| self.bytes.get(n.clone()))
            .unwrap_or_default()
    }

    /// Learn the order of the members' names (a stable sort, as a map orders its names and
    /// keeps a name's last value): its place in [`Body::orders`].
    fn learn_order(&mut self) -> usize {
        let names = self.names.clone();
        let mut sorted: Vec<usize> = (0..self.members.len()).collect();
        sorted.sort_by(|&a, &b| self.member_name(a).cmp(self.member_name(b)));
        let mut order = Vec::with_capacity(sorted.len());
        for (k, &i) in sorted.iter().enumerate() {
            let name = self.member_name(i);
            if sorted
                .get(k + 1)
                .is_some_and(|&next| self.member_name(next) == name)
            {
                continue;
            }
            order.push(i);
        }
        if self.orders.len() >= MAX_ORDERS {
            self.orders.clear();
        }
        self.orders.push((names, order));
        self.orders.len() - 1
    }

    fn member(&mut self, name: &str, value: impl FnOnce(&mut Vec<u8>)) {
        if name == "type" {
            // As in the map: the record's `type`, written first.
            let at = self.bytes.len();
            value(&mut self.bytes);
            self.ty = Some(at..self.bytes.len());
            return;
        }
        self.names.extend_from_slice(name.as_bytes());
        self.names.push(0xff);
        let b = &mut self.bytes;
        let (named, whole) = if all_plain::<false>(name.as_bytes()) {
            let whole = b.len();
            b.extend_from_slice(b",\"");
            let at = b.len();
            b.extend_from_slice(name.as_bytes());
            b.extend_from_slice(b"\":");
            (at..at + name.len(), whole)
        } else {
            // Rare: the name as given (for the order) before the member, which holds it
            // escaped.
            let at = b.len();
            b.extend_from_slice(name.as_bytes());
            let whole = b.len();
            b.push(b',');
            str(b, name);
            b.push(b':');
            (at..whole, whole)
        };
        value(b);
        self.members.push((named, whole..b.len()));
    }
}

impl Fields for Body {
    fn kind(&mut self, ty: &str) {
        self.member("type", |out| str(out, ty));
    }
    fn text(&mut self, name: &str, v: Option<String>) {
        self.member(name, |out| opt(out, v.as_deref(), str));
    }
    fn uint(&mut self, name: &str, v: Option<u64>) {
        self.member(name, |out| opt(out, v, uint));
    }
    fn flag(&mut self, name: &str, v: bool) {
        self.member(name, |out| flag(out, v));
    }
    fn pairs(&mut self, name: &str, v: &mut dyn Iterator<Item = (&str, &str)>) {
        self.member(name, |out| pair_list(out, v, str, str));
    }
    fn json(&mut self, name: &str, v: Value) {
        self.json_ref(name, &v);
    }
    fn json_ref(&mut self, name: &str, v: &Value) {
        self.member(name, |out| {
            let _ = serde_json::to_writer(&mut *out, v);
        });
    }
    fn wire(&mut self, name: &str, v: Option<&[u8]>) {
        self.member(name, |out| opt(out, v, wire));
    }
    fn wire_pairs(&mut self, name: &str, v: &mut dyn Iterator<Item = (&str, &[u8])>) {
        self.member(name, |out| {
            pair_list(out, v, wire_str, wire);
        });
    }
    /// `[n,…]`, each number written as it comes.
    fn uints(&mut self, name: &str, v: &mut dyn Iterator<Item = u64>) {
        self.member(name, |out| list_of(out, v, uint));
    }
    fn texts(&mut self, name: &str, v: &mut dyn Iterator<Item = Cow<'_, str>>) {
        self.member(name, |out| list_of(out, v, |out, s| str(out, &s)));
    }
    fn wire_list(&mut self, name: &str, v: &mut dyn Iterator<Item = &[u8]>) {
        self.member(name, |out| list_of(out, v, wire));
    }
    fn id_name(&mut self, name: &str, v: Option<(u64, &str)>) {
        self.member(name, |out| opt(out, v, |out, (id, n)| id_name(out, id, n)));
    }
    fn id_names(&mut self, name: &str, v: &mut dyn Iterator<Item = (u64, Cow<'_, str>)>) {
        self.member(name, |out| {
            list_of(out, v, |out, (id, n)| id_name(out, id, &n));
        });
    }
}

/// `[a,…]`: each item written by `item` as it comes.
fn list_of<T>(out: &mut Vec<u8>, items: impl Iterator<Item = T>, item: impl Fn(&mut Vec<u8>, T)) {
    out.push(b'[');
    for (i, x) in items.enumerate() {
        if i > 0 {
            out.push(b',');
        }
        item(out, x);
    }
    out.push(b']');
}

/// `{"id":id,"name":name}`, as serde_json writes
/// [`crate::dissect::fields::id_name_json`] (its members in name order).
fn id_name(out: &mut Vec<u8>, id: u64, name: &str) {
    out.extend_from_slice(b"{\"id\":");
    uint(out, id);
    out.extend_from_slice(b",\"name\":");
    str(out, name);
    out.push(b'}');
}

/// `[[a,b],…]`: each pair's two members written by `first` and `second`.
fn pair_list<A, B>(
    out: &mut Vec<u8>,
    items: impl Iterator<Item = (A, B)>,
    first: fn(&mut Vec<u8>, A),
    second: fn(&mut Vec<u8>, B),
) {
    list_of(out, items, |out, (a, b)| {
        out.push(b'[');
        first(out, a);
        out.push(b',');
        second(out, b);
        out.push(b']');
    });
}

/// A `packet` record, as serde_json writes [`Packet`].
pub fn packet(out: &mut Vec<u8>, p: &Packet<'_>) {
    out.extend_from_slice(b"{\"type\":");
    known(out, p.ty);
    key!(out, "ts");
    known(out, p.ts);
    key!(out, "frame");
    uint(out, p.frame);
    key!(out, "rel_time");
    float(out, p.rel_time);
    key!(out, "len");
    uint(out, p.len.into());
    key!(out, "caplen");
    uint(out, p.caplen as u64);
    match p.link_text {
        Some(text) => out.extend_from_slice(text),
        None => link(out, p.link, p.linktype),
    }
    match p.addressed {
        Some(text) => out.extend_from_slice(text),
        None => addressing(out, &Addressing::of(p)),
    }
    key!(out, "proto");
    str(out, p.proto);
    key!(out, "tcp_flags");
    opt(out, p.tcp_flags, str);
    key!(out, "payload_len");
    uint(out, p.payload_len as u64);
    if let Some(n) = p.ip_length_claimed {
        key!(out, "ip_length_claimed");
        uint(out, n as u64);
    }
    if let Some(n) = p.seq {
        key!(out, "seq");
        uint(out, n.into());
    }
    if let Some(n) = p.ack {
        key!(out, "ack");
        uint(out, n.into());
    }
    if !p.tcp_analysis.is_empty() {
        key!(out, "tcp_analysis");
        list(out, &p.tcp_analysis);
    }
    key!(out, "info");
    str(out, p.info);
    if let Some(m) = &p.malformed {
        key!(out, "malformed");
        out.extend_from_slice(b"{\"layer\":");
        str(out, m.layer);
        key!(out, "offset");
        uint(out, m.offset as u64);
        key!(out, "reason");
        str(out, &m.reason);
        out.push(b'}');
    }
    out.push(b'}');
}

/// `,"link":…,"linktype":…` of a `packet` record (the same for every frame of a link
/// type: [`Packet::link_text`]).
pub(crate) fn link(out: &mut Vec<u8>, name: &str, linktype: u32) {
    key!(out, "link");
    str(out, name);
    key!(out, "linktype");
    uint(out, linktype.into());
}

/// The members of a `packet` record from `src_ip` to `dir`: the packet's addresses, ports
/// and session.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Addressing<'a> {
    pub src_ip: Option<IpAddr>,
    pub dst_ip: Option<IpAddr>,
    pub src_port: Option<u16>,
    pub dst_port: Option<u16>,
    pub session: Option<StreamId>,
    pub transport: Option<Transport>,
    pub community_id: Option<&'a str>,
    pub dir: Option<&'static str>,
}

impl<'a> Addressing<'a> {
    fn of(p: &Packet<'a>) -> Self {
        Addressing {
            src_ip: p.src_ip,
            dst_ip: p.dst_ip,
            src_port: p.src_port,
            dst_port: p.dst_port,
            session: p.session,
            transport: p.transport,
            community_id: p.community_id,
            dir: p.dir,
        }
    }
}

/// `,"src_ip":…` to `,"dir":…` of a `packet` record, as serde_json writes them for
/// [`Packet`] (also what a session keeps written for its packets: [`Packet::addressed`]).
pub(crate) fn addressing(out: &mut Vec<u8>, p: &Addressing<'_>) {
    key!(out, "src_ip");
    opt(out, p.src_ip, ip);
    key!(out, "dst_ip");
    opt(out, p.dst_ip, ip);
    key!(out, "src_port");
    opt(out, p.src_port.map(u64::from), uint);
    key!(out, "dst_port");
    opt(out, p.dst_port.map(u64::from), uint);
    if let Some(s) = p.session {
        key!(out, "session");
        uint(out, s.into());
    }
    if let Some(t) = p.transport {
        key!(out, "transport");
        known(out, t.as_str());
    }
    if let Some(c) = p.community_id {
        key!(out, "community_id");
        str(out, c);
    }
    if let Some(d) = p.dir {
        key!(out, "dir");
        known(out, d);
    }
}

/// A list of strings.
fn list(out: &mut Vec<u8>, items: &[&str]) {
    list_of(out, items.iter(), |out, s| str(out, s));
}

/// A record's session fields (after its `ts`), as serde_json writes [`SessionRef`] in
/// [`super::record::App`].
fn session(out: &mut Vec<u8>, s: &SessionRef<'_>) {
    match s {
        SessionRef::Known(f) => session_fields(out, f),
        SessionRef::Bare { session, transport } => {
            key!(out, "session");
            uint(out, (*session).into());
            key!(out, "transport");
            opt(out, transport.map(|t| t.as_str()), str);
        }
    }
}

/// A session's fields, as serde_json writes [`SessionFields`] (flattened into a record);
/// their text as it is when the session keeps it ([`SessionFields::json`]).
pub(crate) fn session_fields(out: &mut Vec<u8>, f: &SessionFields<'_>) {
    if let Some(text) = f.json {
        out.extend_from_slice(text);
        return;
    }
    key!(out, "session");
    uint(out, f.session.into());
    key!(out, "transport");
    known(out, f.transport.as_str());
    key!(out, "src_ip");
    ip(out, f.src_ip);
    key!(out, "src_port");
    uint(out, f.src_port.into());
    key!(out, "dst_ip");
    ip(out, f.dst_ip);
    key!(out, "dst_port");
    uint(out, f.dst_port.into());
    key!(out, "community_id");
    str(out, f.community_id);
}

/// A session's `open` record, as serde_json writes [`SessionOpen`].
pub fn session_open(out: &mut Vec<u8>, r: &SessionOpen<'_>) {
    out.extend_from_slice(b"{\"type\":");
    known(out, r.ty);
    key!(out, "event");
    known(out, r.event);
    key!(out, "ts");
    known(out, r.ts);
    session_fields(out, &r.session);
    key!(out, "frame");
    uint(out, r.frame);
    out.push(b'}');
}

/// A session's `close` record (or a `conversation` record), as serde_json writes
/// [`SessionClose`].
pub fn session_close(out: &mut Vec<u8>, r: &SessionClose<'_>) {
    out.extend_from_slice(b"{\"type\":");
    known(out, r.ty);
    if let Some(e) = r.event {
        key!(out, "event");
        known(out, e);
    }
    key!(out, "ts");
    known(out, r.ts);
    session_fields(out, &r.session);
    key!(out, "packets_to_server");
    uint(out, r.packets_to_server);
    key!(out, "bytes_to_server");
    uint(out, r.bytes_to_server);
    key!(out, "packets_to_client");
    uint(out, r.packets_to_client);
    key!(out, "bytes_to_client");
    uint(out, r.bytes_to_client);
    key!(out, "payload_to_server");
    uint(out, r.payload_to_server);
    key!(out, "payload_to_client");
    uint(out, r.payload_to_client);
    key!(out, "first_frame");
    uint(out, r.first_frame);
    key!(out, "last_frame");
    uint(out, r.last_frame);
    key!(out, "start");
    known(out, r.start);
    key!(out, "end");
    known(out, r.end);
    key!(out, "rel_start");
    float(out, r.rel_start);
    key!(out, "duration");
    float(out, r.duration);
    // Unit variants: their names, as serde writes them.
    key!(out, "state");
    let _ = serde_json::to_writer(&mut *out, &r.state);
    key!(out, "close_reason");
    let _ = serde_json::to_writer(&mut *out, &r.close_reason);
    key!(out, "syn_seen");
    flag(out, r.syn_seen);
    key!(out, "protocol");
    str(out, r.protocol);
    out.push(b'}');
}

/// A `finding` record, as serde_json writes [`Finding`] (its session flattened into it: a
/// bare session's transport left out when unknown).
pub fn finding(out: &mut Vec<u8>, r: &Finding<'_>) {
    out.extend_from_slice(b"{\"type\":");
    known(out, r.ty);
    key!(out, "ts");
    known(out, r.ts);
    match &r.session {
        Some(SessionRef::Known(f)) => session_fields(out, f),
        Some(SessionRef::Bare { session, transport }) => {
            key!(out, "session");
            uint(out, (*session).into());
            if let Some(t) = transport {
                key!(out, "transport");
                known(out, t.as_str());
            }
        }
        None => {}
    }
    key!(out, "kind");
    str(out, r.kind);
    key!(out, "severity");
    str(out, r.severity);
    key!(out, "frames");
    list_of(out, r.frames.iter().copied(), uint);
    key!(out, "evidence");
    str(out, r.evidence);
    key!(out, "explanation");
    str(out, r.explanation);
    key!(out, "count");
    uint(out, r.count);
    if let Some(n) = r.first_frame {
        key!(out, "first_frame");
        uint(out, n);
    }
    if let Some(n) = r.last_frame {
        key!(out, "last_frame");
        uint(out, n);
    }
    if !r.offsets.is_empty() {
        key!(out, "offsets");
        list_of(out, r.offsets.iter().copied(), uint);
    }
    if !r.details.is_empty() {
        key!(out, "details");
        out.push(b'{');
        for (i, (name, value)) in r.details.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            str(out, name);
            out.push(b':');
            match value {
                Detail::Number(n) => uint(out, *n),
                Detail::Text(t) => str(out, t),
            }
        }
        out.push(b'}');
    }
    out.push(b'}');
}

/// An application record, as serde_json writes [`super::record::App`] with the message's
/// fields (`body`, given to it by the message) as its map.
pub fn app(out: &mut Vec<u8>, rec: &App<'_>, body: &mut Body) {
    out.extend_from_slice(b"{\"type\":");
    body.write_type(out);
    key!(out, "ts");
    known(out, rec.ts);
    session(out, &rec.session);
    key!(out, "dir");
    known(out, dir_name(rec.dir));
    key!(out, "frame");
    uint(out, rec.frame);
    key!(out, "frames");
    list_of(out, rec.frames.iter().copied(), uint);
    key!(out, "layer");
    known(out, rec.layer);
    body.write_members(out);
    out.push(b'}');
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dissect::fields::JsonFields;

    #[test]
    fn strings_as_serde_json_writes_them() {
        let all: String = (0u8..=0x7f).map(char::from).collect();
        for s in [
            "",
            "plain text",
            "a \"quoted\" \\ back",
            "tab\tnew\nline\r",
            "\u{0}\u{1f}\u{7f}",
            "caf\u{e9} \u{202e} 日本",
            all.as_str(),
        ] {
            let mut out = Vec::new();
            str(&mut out, s);
            assert_eq!(out, serde_json::to_vec(s).unwrap(), "{s:?}");
        }
    }

    /// The block-at-a-time check agrees with the byte rule for every byte value at every
    /// position of strings of every length up to three blocks.
    #[test]
    fn all_plain_as_byte_by_byte() {
        let rule = |b: u8| b >= 0x20 && b != b'"' && b != b'\\';
        for len in 1..=48 {
            for at in 0..len {
                for b in 0u8..=0xff {
                    let mut s = vec![b'a'; len];
                    s[at] = b;
                    assert_eq!(all_plain::<false>(&s), rule(b), "{len} {at} {b:#x}");
                    let printable_rule = (0x20..0x7f).contains(&b);
                    assert_eq!(all_bytes(&s, printable), printable_rule, "{len} {at}");
                    assert_eq!(
                        all_plain::<true>(&s),
                        rule(b) && b < 0x7f,
                        "{len} {at} {b:#x}"
                    );
                }
            }
        }
        assert!(all_plain::<true>(b""));
        assert!(all_plain::<false>(b""));
    }

    #[test]
    fn wire_bytes_as_escaped_then_serialised() {
        let all: Vec<u8> = (0u8..=0xff).collect();
        for b in [
            &b""[..],
            b"GET /index.html",
            b"a\"b\\c",
            b"\"",
            b"\\",
            b"\"\\\"\\",
            b"W/\"5e1f-1a2b3c4d5e6f7a8b9c0d\"",
            b"\\\"\x7f",
            b"\x1b[2J",
            b"\xff\xfe ok",
            "x\u{202e}y \u{e9}".as_bytes(),
            &all,
        ] {
            let mut out = Vec::new();
            wire(&mut out, b);
            assert_eq!(out, serde_json::to_vec(&escape_bytes(b)).unwrap(), "{b:?}");
        }
    }

    #[test]
    fn numbers_and_addresses_as_serde_json_writes_them() {
        for v in [
            0.0,
            1e-9,
            0.123456789,
            12345.000000001,
            1e21,
            -0.5,
            f64::NAN,
        ] {
            let mut out = Vec::new();
            float(&mut out, v);
            assert_eq!(out, serde_json::to_vec(&v).unwrap(), "{v}");
        }
        for v in [0, 7, u64::from(u32::MAX), u64::MAX] {
            let mut out = Vec::new();
            uint(&mut out, v);
            assert_eq!(out, serde_json::to_vec(&v).unwrap());
        }
        let v4 = [0u8, 1, 9, 10, 11, 99, 100, 101, 109, 110, 199, 200, 255];
        for (a, b) in v4.iter().zip(v4.iter().rev()) {
            let a = IpAddr::from([*a, *b, a.wrapping_add(*b), b.wrapping_mul(3)]);
            let mut out = Vec::new();
            ip(&mut out, a);
            assert_eq!(out, serde_json::to_vec(&a).unwrap(), "{a}");
        }
        for a in [
            "10.0.0.1",
            "255.255.255.255",
            "0.0.0.0",
            "::1",
            "fe80::1:2",
            "::ffff:1.2.3.4",
            "2001:db8::",
        ] {
            let a: IpAddr = a.parse().unwrap();
            let mut out = Vec::new();
            ip(&mut out, a);
            assert_eq!(out, serde_json::to_vec(&a).unwrap(), "{a}");
        }
    }

    /// The same fields given to a [`Body`] and to the JSON map give the same members, in
    /// the same order, for names given out of order and a name given twice.
    #[test]
    fn body_members_in_map_order() {
        fn give(f: &mut dyn Fields) {
            f.kind("http.response");
            f.uint("status", Some(200));
            f.text("reason", Some("O\"K".into()));
            f.text("content_type", None);
            f.uint("content_length", None);
            f.pairs("headers", &mut [("Host", "a\\b")].into_iter());
            f.flag("chunked", true);
            f.uint("body_len", Some(12));
            f.json("notes", serde_json::json!(["x", {"b": 1, "a": [2]}]));
            f.uint("body_len", Some(13));
            f.text("a_first", Some(String::new()));
            f.wire("uri", Some(b"/a\"b\x1b[2J\xff"));
            f.wire("host", None);
            f.wire("plain", Some(b"GET"));
            f.uint("n\"a\\me\u{1}", Some(1));
            f.wire_pairs(
                "raw_headers",
                &mut [("X-\u{202e}", &b"v\\\xff\t"[..]), ("Accept", &b"*/*"[..])].into_iter(),
            );
            f.uints("ids", &mut [4865u64, 0, u64::MAX].into_iter());
            f.uints("none", &mut std::iter::empty());
            let names = ["TLS_AES_128_GCM_SHA256", "q\"x\\", "\u{1}", ""];
            f.texts("names", &mut names.iter().map(|&n| Cow::Borrowed(n)));
            f.texts("no_names", &mut std::iter::empty());
            f.wire_list(
                "alpn",
                &mut [&b"h2"[..], b"\xff\x1b[0m", b"a\"b"].into_iter(),
            );
            f.id_name("version", Some((772, "TLS 1.3")));
            f.id_name("odd", Some((0, "Reserved \"x\"")));
            f.id_name("no_version", None);
            let versions = [(772u64, Cow::Borrowed("TLS 1.3")), (2570, "a\\b".into())];
            f.id_names("versions", &mut versions.into_iter());
        }
        let mut body = Body::default();
        give(&mut body);
        let mut map = JsonFields::default();
        give(&mut map);
        let mut ty = Vec::new();
        body.write_type(&mut ty);
        assert_eq!(ty, serde_json::to_vec(&map.0["type"]).unwrap());
        map.0.remove("type");
        let mut members = Vec::new();
        body.write_members(&mut members);
        let members = String::from_utf8(members).unwrap();
        let record = format!("{{{}}}", members.strip_prefix(',').unwrap());
        assert_eq!(record, serde_json::to_string(&map.0).unwrap());
        assert_eq!(
            serde_json::from_str::<Value>(&record).unwrap()["body_len"],
            13
        );
        body.clear();
        let mut out = Vec::new();
        body.write_type(&mut out);
        body.write_members(&mut out);
        assert_eq!(out, b"null");
    }

    /// Records of different names one after the other through one [`Body`] (each order
    /// learnt once, then reused), past the most orders kept: each as its map.
    #[test]
    fn body_orders_reused() {
        let names = ["b", "a", "c", "a", "ab", "b "];
        let mut body = Body::default();
        for round in 0..3 {
            for n in 0..=(MAX_ORDERS + 2) {
                body.clear();
                let mut map = JsonFields::default();
                for (k, name) in names.iter().cycle().skip(n % 5).take(n % 7).enumerate() {
                    for f in [&mut body as &mut dyn Fields, &mut map] {
                        f.uint(name, Some((round * 100 + k) as u64));
                    }
                }
                if n > MAX_ORDERS {
                    // Names of a record not seen before.
                    for f in [&mut body as &mut dyn Fields, &mut map] {
                        f.flag(&format!("z{n}"), true);
                    }
                }
                let mut members = Vec::new();
                body.write_members(&mut members);
                let text = String::from_utf8(members).unwrap();
                let record = format!("{{{}}}", text.strip_prefix(',').unwrap_or(""));
                assert_eq!(record, serde_json::to_string(&map.0).unwrap(), "{n}");
            }
        }
    }

    fn packets() -> Vec<Packet<'static>> {
        let base = Packet {
            ts: "2026-11-22T19:43:13.047528000Z",
            frame: 1,
            rel_time: 0.0,
            len: 60,
            caplen: 60,
            link: "EN10MB",
            linktype: 1,
            proto: "ARP",
            info: "Who has 10.0.0.1? \"x\"",
            ..packets_base()
        };
        let tcp = Packet {
            frame: 4_000_000_000,
            rel_time: 12.000000001,
            src_ip: Some("10.0.0.1".parse().unwrap()),
            dst_ip: Some("::1".parse().unwrap()),
            src_port: Some(50000),
            dst_port: Some(80),
            session: Some(7),
            transport: Some(crate::flow::Transport::Tcp),
            community_id: Some("1:abc+/="),
            dir: Some("to_client"),
            proto: "HTTP",
            tcp_flags: Some("PA"),
            payload_len: 1448,
            ip_length_claimed: Some(2000),
            seq: Some(1),
            ack: Some(u32::MAX),
            tcp_analysis: vec!["retransmission", "dup_ack"],
            info: "GET /caf\u{e9}\\x1b HTTP/1.1",
            malformed: Some(super::super::record::Malformed {
                layer: "tcp",
                offset: 20,
                reason: "header \"cut\"".into(),
            }),
            ..base
        };
        let udp = Packet {
            transport: Some(crate::flow::Transport::Udp),
            session: Some(0),
            tcp_flags: Some(""),
            ..packets_base()
        };
        vec![packets_base(), tcp, udp]
    }

    fn packets_base() -> Packet<'static> {
        Packet {
            ty: "packet",
            ts: "t",
            frame: 2,
            rel_time: 1e-9,
            len: 0,
            caplen: 0,
            link: "RAW",
            linktype: 101,
            link_text: None,
            src_ip: None,
            dst_ip: None,
            src_port: None,
            dst_port: None,
            session: None,
            transport: None,
            community_id: None,
            dir: None,
            proto: "",
            tcp_flags: None,
            payload_len: 0,
            ip_length_claimed: None,
            seq: None,
            ack: None,
            tcp_analysis: Vec::new(),
            info: "",
            malformed: None,
            addressed: None,
        }
    }

    #[test]
    fn packet_as_serde_json_writes_it() {
        for p in packets() {
            let mut out = Vec::new();
            packet(&mut out, &p);
            let serde = serde_json::to_string(&p).unwrap();
            assert_eq!(String::from_utf8(out).unwrap(), serde);
            // With the link members written once for the link type.
            let mut text = Vec::new();
            link(&mut text, p.link, p.linktype);
            let p = Packet {
                link_text: Some(&text),
                ..p
            };
            let mut out = Vec::new();
            packet(&mut out, &p);
            assert_eq!(String::from_utf8(out).unwrap(), serde);
        }
    }

    /// A packet record with the members its session keeps written (`addressed`) is the
    /// record serde writes; a packet whose addresses are not its session's gets none.
    #[test]
    fn packet_with_its_session_text_as_serde_json_writes_it() {
        use super::super::Directory;
        use crate::flow::{Direction, Transport};
        let (a, b) = endpoints();
        let mut dir = Directory::with_texts();
        dir.learn(Transport::Tcp, 9, a, b);
        let k = dir.sessions.get(&(Transport::Tcp, 9)).unwrap();
        for (d, src, dst) in [(Direction::ToServer, a, b), (Direction::ToClient, b, a)] {
            let (addrs, ports) = (Some((src.addr, dst.addr)), Some((src.port, dst.port)));
            let text = dir.packet_text(k, d, addrs, ports).unwrap();
            let p = Packet {
                src_ip: Some(src.addr),
                dst_ip: Some(dst.addr),
                src_port: Some(src.port),
                dst_port: Some(dst.port),
                session: Some(9),
                transport: Some(Transport::Tcp),
                community_id: Some(&k.community_id),
                dir: Some(dir_name(d)),
                addressed: Some(text),
                tcp_flags: Some("S"),
                ..packets_base()
            };
            let mut out = Vec::new();
            packet(&mut out, &p);
            assert_eq!(
                String::from_utf8(out).unwrap(),
                serde_json::to_string(&p).unwrap()
            );
            let swapped = Some((dst.addr, src.addr));
            assert!(dir.packet_text(k, d, swapped, ports).is_none());
            assert!(dir.packet_text(k, d, addrs, None).is_none());
        }
        let mut plain = Directory::default();
        plain.learn(Transport::Tcp, 9, a, b);
        let k = plain.sessions.get(&(Transport::Tcp, 9)).unwrap();
        let (addrs, ports) = (Some((a.addr, b.addr)), Some((a.port, b.port)));
        assert!(plain
            .packet_text(k, Direction::ToServer, addrs, ports)
            .is_none());
    }

    /// A client (IPv4) and a server (IPv6).
    fn endpoints() -> (crate::flow::Endpoint, crate::flow::Endpoint) {
        let client = crate::flow::Endpoint {
            addr: "10.1.2.3".parse().unwrap(),
            port: 40000,
        };
        let server = crate::flow::Endpoint {
            addr: "2001:db8::5".parse().unwrap(),
            port: 443,
        };
        (client, server)
    }

    /// The fields a session keeps as JSON for `--json` are the bytes written from its
    /// fields, and what serde writes for them, in both directions.
    #[test]
    fn session_text_as_written() {
        use super::super::Directory;
        use crate::flow::{Direction, Transport};
        let (a, b) = endpoints();
        let mut kept = Directory::with_texts();
        let mut plain = Directory::default();
        for d in [&mut kept, &mut plain] {
            d.learn(Transport::Tcp, 4, a, b);
            d.learn(Transport::Udp, 5, b, a);
        }
        for (t, id) in [(Transport::Tcp, 4), (Transport::Udp, 5)] {
            for dir in [None, Some(Direction::ToServer), Some(Direction::ToClient)] {
                let k = kept.fields(t, id, dir).unwrap();
                let p = plain.fields(t, id, dir).unwrap();
                assert!(k.json.is_some() && p.json.is_none());
                let (mut x, mut y) = (Vec::new(), Vec::new());
                session_fields(&mut x, &k);
                session_fields(&mut y, &p);
                assert_eq!(x, y);
                let text = String::from_utf8(x).unwrap();
                let object = format!("{{{}}}", text.strip_prefix(',').unwrap());
                assert_eq!(object, serde_json::to_string(&p).unwrap());
                assert_eq!(object, serde_json::to_string(&k).unwrap());
            }
        }
    }

    #[test]
    fn session_records_as_serde_json_writes_them() {
        use super::super::record::SessionFields;
        use crate::flow::{CloseReason, ConvState, Transport};
        let (a, b) = endpoints();
        let fields = [
            SessionFields::new(Transport::Tcp, 3, a, b, "1:x/y+z="),
            SessionFields::new(Transport::Udp, 0, b, a, "1:\"q\""),
        ];
        for session in fields {
            let open = SessionOpen {
                ty: "tcp.stream",
                event: "open",
                ts: "2026-11-22T19:43:13.047528000Z",
                session: session.clone(),
                frame: 7,
            };
            let mut out = Vec::new();
            session_open(&mut out, &open);
            assert_eq!(
                String::from_utf8(out).unwrap(),
                serde_json::to_string(&open).unwrap()
            );
            for (event, state, reason, rel) in [
                (Some("close"), ConvState::Complete, CloseReason::Fin, 0.5),
                (None, ConvState::Reset, CloseReason::Reset, 1e-9),
                (
                    Some("close"),
                    ConvState::Open,
                    CloseReason::EndOfCapture,
                    12.3,
                ),
            ] {
                let close = SessionClose {
                    ty: if event.is_some() {
                        "udp.stream"
                    } else {
                        "conversation"
                    },
                    event,
                    ts: "t1",
                    session: session.clone(),
                    packets_to_server: 1,
                    bytes_to_server: u64::MAX,
                    packets_to_client: 0,
                    bytes_to_client: 60,
                    payload_to_server: 3,
                    payload_to_client: 4,
                    first_frame: 1,
                    last_frame: 9,
                    start: "t0",
                    end: "t1",
                    rel_start: rel,
                    duration: 3.000000001,
                    state,
                    close_reason: reason,
                    syn_seen: event.is_some(),
                    protocol: "HTTP",
                };
                let mut out = Vec::new();
                session_close(&mut out, &close);
                assert_eq!(
                    String::from_utf8(out).unwrap(),
                    serde_json::to_string(&close).unwrap()
                );
            }
        }
    }

    #[test]
    fn finding_records_as_serde_json_writes_them() {
        use crate::flow::Transport;
        let (a, b) = endpoints();
        let sessions = [
            None,
            Some(SessionRef::Known(SessionFields::new(
                Transport::Tcp,
                3,
                a,
                b,
                "1:x/y+z=",
            ))),
            Some(SessionRef::Bare {
                session: 9,
                transport: None,
            }),
            Some(SessionRef::Bare {
                session: 0,
                transport: Some(Transport::Udp),
            }),
        ];
        for (n, session) in sessions.into_iter().enumerate() {
            let mut details = std::collections::BTreeMap::new();
            if n > 0 {
                details.insert("offset", Detail::Number(40));
                details.insert("field", Detail::Text("pass\"word\\"));
            }
            let rec = Finding {
                ty: "finding",
                ts: "2026-11-22T19:43:13.047528000Z",
                session,
                kind: "credential",
                severity: "high",
                frames: if n == 2 { &[] } else { &[4, 5, u64::MAX] },
                evidence: "user=\"bob\" \u{e9}\t",
                explanation: "sent in clear",
                count: n as u64,
                first_frame: (n % 2 == 1).then_some(4),
                last_frame: (n > 1).then_some(5),
                offsets: if n == 3 { &[0, 17] } else { &[] },
                details,
            };
            let mut out = Vec::new();
            finding(&mut out, &rec);
            assert_eq!(
                String::from_utf8(out).unwrap(),
                serde_json::to_string(&rec).unwrap()
            );
        }
    }

    /// The record JSON v2 wrote from the message's map: the envelope, then the map's
    /// members but `type` (the reference the hand-written record is held to).
    fn app_from_map(rec: &App<'_>, body: &serde_json::Map<String, Value>) -> String {
        let v = serde_json::to_value(&rec.session).unwrap();
        let session = v.as_object().unwrap();
        let mut text = format!(
            "{{\"type\":{},\"ts\":{}",
            serde_json::to_string(body.get("type").unwrap_or(&Value::Null)).unwrap(),
            serde_json::to_string(rec.ts).unwrap()
        );
        // The session's fields in their declared order.
        for k in [
            "session",
            "transport",
            "src_ip",
            "src_port",
            "dst_ip",
            "dst_port",
            "community_id",
        ] {
            match (session.get(k), &rec.session) {
                (Some(v), _) => text += &format!(",\"{k}\":{v}"),
                (None, SessionRef::Bare { .. }) if k == "transport" => {
                    text += ",\"transport\":null"
                }
                _ => {}
            }
        }
        text += &format!(
            ",\"dir\":\"{}\",\"frame\":{},\"frames\":{},\"layer\":\"{}\"",
            dir_name(rec.dir),
            rec.frame,
            serde_json::to_string(rec.frames).unwrap(),
            rec.layer
        );
        for (k, v) in body.iter().filter(|(k, _)| *k != "type") {
            text += &format!(",{}:{}", serde_json::to_string(k).unwrap(), v);
        }
        text + "}"
    }

    #[test]
    fn app_record_as_from_the_map() {
        use crate::dissect::parser::{AppMessage, Note};
        use crate::flow::{Direction, Transport};
        let (client, server) = endpoints();
        let known =
            super::super::record::SessionFields::new(Transport::Tcp, 3, server, client, "1:x/y+z=");
        let sessions = [
            SessionRef::Known(known),
            SessionRef::Bare {
                session: 9,
                transport: None,
            },
            SessionRef::Bare {
                session: 9,
                transport: Some(Transport::Udp),
            },
        ];
        let note = Note("resynchronised \\x00 \"here\"".into());
        for session in sessions {
            let rec = App {
                ts: "2026-11-22T19:43:13.047528000Z",
                session,
                dir: Direction::ToClient,
                frame: 12,
                frames: &[10, 11, 12],
                layer: "tls",
            };
            let mut body = Body::default();
            note.fields(&mut body);
            let mut out = Vec::new();
            app(&mut out, &rec, &mut body);
            assert_eq!(
                String::from_utf8(out).unwrap(),
                app_from_map(&rec, &note.json())
            );
        }
    }
}
