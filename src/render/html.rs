//! `--html FILE`: the report or the comparison as one self-contained page — no network
//! fetch, no script, a strict Content-Security-Policy — showing what an eavesdropper sees:
//! the side-by-side rows with leaked and protected cells marked, a ladder diagram per
//! session (inline SVG, like Wireshark's flow graph), each leaking packet's layers and hex
//! dump with the leaked bytes highlighted, and the certificate chains.
//!
//! Every text that reaches the page is HTML-escaped here ([`html_escape`]) on top of the
//! terminal escaping the dissectors already applied, so wire bytes are always shown as text.
//!
//! [`Evidence`] is gathered frame by frame during the run (bounded, with counts of what was
//! left out); the page is written at the end from it and the run's [`Report`].

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::ops::Range;

use base64::Engine as _;
use sha2::{Digest, Sha256};

use super::escape::is_printable_ascii;
use super::frame::FrameView;
use super::report::{compare_rows, group_findings, group_line, session_verdict, short_name, Mark};
use crate::findings::engine::Report;
use crate::findings::Severity;
use crate::flow::Direction;

/// Most sessions drawn per capture, arrows per session, leaking frames kept, and bytes of
/// each leaking frame kept for its hex dump.
const MAX_LADDERS: usize = 50;
const MAX_STEPS: usize = 120;
const MAX_LEAK_FRAMES: usize = 20;
const MAX_LEAK_BYTES: usize = 4096;

/// What kind of arrow a ladder step is (its colour).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepKind {
    Tcp,
    Tls,
    Alert,
    Http,
    /// The frame carried a secret or credential in clear.
    Leak,
}

impl StepKind {
    fn class(self) -> &'static str {
        match self {
            StepKind::Tcp => "tcp",
            StepKind::Tls => "tls",
            StepKind::Alert => "alert",
            StepKind::Http => "http",
            StepKind::Leak => "leak",
        }
    }
}

/// One arrow of a ladder.
#[derive(Debug, Clone)]
pub struct LadderStep {
    pub frame: u64,
    pub time: f64,
    pub to_server: bool,
    /// Terminal-escaped text (HTML-escaped when written).
    pub label: String,
    pub kind: StepKind,
}

/// One TCP session's arrows between client and server.
#[derive(Debug, Clone, Default)]
pub struct Ladder {
    pub client: String,
    pub server: String,
    pub steps: Vec<LadderStep>,
    /// Arrows past [`MAX_STEPS`].
    pub more: u64,
}

/// A frame that carried a leak: its layers, its bytes and which of them leaked.
#[derive(Debug, Clone)]
pub struct LeakFrame {
    pub frame: u64,
    pub stream: Option<u32>,
    /// Finding lines (escaped).
    pub findings: Vec<String>,
    /// The layer tree as indented lines (escaped).
    pub layers: Vec<String>,
    pub data: Vec<u8>,
    /// Captured bytes not kept past [`MAX_LEAK_BYTES`].
    pub cut: usize,
    pub highlights: Vec<Range<usize>>,
    /// The IP datagram this frame completed from fragments, as `-x` dumps it after the
    /// frame's bytes.
    pub datagram: Option<LeakDatagram>,
}

/// A datagram put back together from IP fragments, in a [`LeakFrame`].
#[derive(Debug, Clone)]
pub struct LeakDatagram {
    /// `Reassembled IPv4` / `Reassembled IPv6`.
    pub name: &'static str,
    pub data: Vec<u8>,
    /// Its bytes not kept past [`MAX_LEAK_BYTES`].
    pub cut: usize,
    pub highlights: Vec<Range<usize>>,
}

/// What the page needs beyond the report, gathered during the run.
#[derive(Debug, Clone, Default)]
pub struct Evidence {
    pub ladders: BTreeMap<u32, Ladder>,
    pub ladders_dropped: u64,
    pub leaks: Vec<LeakFrame>,
    pub leaks_dropped: u64,
    /// `--mask`: leaked bytes are shown as `*` in the hex dump and layers are left out.
    pub mask: bool,
    /// `--mask`: the values found (escaped), starred wherever a kept frame holds them.
    mask_terms: Vec<String>,
}

impl Evidence {
    pub fn new(mask: bool) -> Evidence {
        Evidence {
            mask,
            ..Evidence::default()
        }
    }

    /// `--mask`: more values to star in the frames kept.
    pub fn add_mask_terms(&mut self, terms: &[String]) {
        for t in terms {
            if self.mask_terms.len() < 1000 && !self.mask_terms.contains(t) {
                self.mask_terms.push(t.clone());
            }
        }
    }

    /// Take what the page needs from one frame.
    pub fn frame(&mut self, f: &FrameView<'_>) {
        let leak = f
            .findings
            .iter()
            .any(|x| x.carries_value() && x.severity >= Severity::Medium);
        if let Some(tv) = &f.tcp {
            self.step(f, tv.seg.stream, tv.seg.dir, leak);
        }
        if leak || !f.highlights.is_empty() {
            self.leak_frame(f);
        }
    }

    fn step(&mut self, f: &FrameView<'_>, stream: u32, dir: Direction, leak: bool) {
        let Some(crate::decode::Transport::Tcp(tcp)) = f.decoded.session_transport() else {
            return;
        };
        let to_server = dir == Direction::ToServer;
        let (kind, label) = if !f.app.is_empty() {
            let info = super::summary::info(f);
            let proto = super::summary::protocol(f);
            let kind = if info.contains("Alert") {
                StepKind::Alert
            } else if proto.starts_with("HTTP") {
                StepKind::Http
            } else if proto.starts_with("TLS") || proto.starts_with("SSL") {
                StepKind::Tls
            } else {
                StepKind::Tcp
            };
            (kind, format!("{proto} {info}"))
        } else {
            let fl = tcp.flags;
            let payload = f.decoded.session_payload_len();
            if !(fl.syn() || fl.fin() || fl.rst()) && payload == 0 {
                return; // a bare ACK: not drawn
            }
            let mut l = format!("[{}]", super::summary::flag_names(fl));
            if payload > 0 {
                l.push_str(&format!(" Len={payload}"));
            }
            (StepKind::Tcp, l)
        };
        let kind = if leak { StepKind::Leak } else { kind };
        // `--mask`: a query string may carry a token; the label keeps the path only.
        let label = match label.split_once('?') {
            Some((path, _)) if self.mask => format!("{path}?… (masked)"),
            _ => label,
        };
        if !self.ladders.contains_key(&stream) && self.ladders.len() >= MAX_LADDERS {
            self.ladders_dropped += 1;
            return;
        }
        let ladder = self.ladders.entry(stream).or_insert_with(|| {
            let (src, dst) = super::summary::addresses(f);
            let (s, d) = (
                format!("{src}:{}", tcp.src_port),
                format!("{dst}:{}", tcp.dst_port),
            );
            let (client, server) = if to_server { (s, d) } else { (d, s) };
            Ladder {
                client,
                server,
                ..Ladder::default()
            }
        });
        if ladder.steps.len() >= MAX_STEPS {
            ladder.more += 1;
            return;
        }
        let label: String = if label.chars().count() > 70 {
            label.chars().take(69).chain(std::iter::once('…')).collect()
        } else {
            label
        };
        ladder.steps.push(LadderStep {
            frame: f.number,
            time: f.rel_time,
            to_server,
            label,
            kind,
        });
    }

    fn leak_frame(&mut self, f: &FrameView<'_>) {
        if self.leaks.len() >= MAX_LEAK_FRAMES {
            self.leaks_dropped += 1;
            return;
        }
        let mut layers = Vec::new();
        if !self.mask {
            for node in super::layers::frame_tree(f) {
                let mut buf = Vec::new();
                if node.write_to(&mut buf, 0).is_ok() {
                    layers.extend(String::from_utf8_lossy(&buf).lines().map(String::from));
                }
            }
        }
        let mut highlights = f.highlights.to_vec();
        // Credentials have no highlight of their own: mark their evidence where the frame
        // (or the datagram it completed) carries it verbatim (plain text, not cut).
        let dgram = f.decoded.reassembled.as_deref();
        for x in f.findings.iter().filter(|x| x.carries_value()) {
            let e = x.evidence.as_bytes();
            if e.len() >= 4 && !x.evidence.contains(['\\', '…']) {
                let found = |data: &[u8], at: usize| {
                    let p = data.windows(e.len()).position(|w| w == e)?;
                    Some(at + p..at + p + e.len())
                };
                highlights.extend(found(f.data, 0));
                highlights.extend(dgram.and_then(|r| found(&r.data, r.base)));
            }
        }
        let (data, masked_dgram) = if self.mask {
            super::masked_frame(f, &highlights, &self.mask_terms)
        } else {
            (f.data.to_vec(), None)
        };
        let datagram = dgram.map(|r| {
            let data = masked_dgram.unwrap_or_else(|| r.data.clone());
            let keep = data.len().min(MAX_LEAK_BYTES);
            LeakDatagram {
                name: r.source_name(),
                cut: data.len() - keep,
                data: data.get(..keep).unwrap_or_default().to_vec(),
                highlights: r.data_ranges(&highlights),
            }
        });
        let keep = f.data.len().min(MAX_LEAK_BYTES);
        self.leaks.push(LeakFrame {
            frame: f.number,
            stream: f.tcp.map(|t| t.seg.stream),
            findings: f.findings.iter().map(|x| x.line()).collect(),
            layers,
            data: data.get(..keep).unwrap_or_default().to_vec(),
            cut: f.data.len() - keep,
            highlights,
            datagram,
        });
    }
}

/// HTML-escape text: `& < > " '` become entities. (Control and bidi characters were already
/// made visible by the terminal escaping.)
pub fn html_escape(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c => o.push(c),
        }
    }
    o
}

/// Multi-line text as escaped lines joined by `<br>`.
fn lines_html(s: &str) -> String {
    s.split('\n')
        .map(html_escape)
        .collect::<Vec<_>>()
        .join("<br>")
}

const STYLE: &str = "
body{font:15px/1.45 system-ui,-apple-system,'Segoe UI',sans-serif;margin:1.5em;color:#1d1d1f;background:#fff}
h1{font-size:1.6em;margin:.2em 0}h2{margin-top:2em;border-bottom:2px solid #ddd;padding-bottom:.2em}h3{margin-top:1.4em}
div.scroll{overflow-x:auto}
table.compare{border-collapse:collapse;width:100%;font-size:14px;table-layout:fixed}
.compare th,.compare td{border:1px solid #ccc;padding:.35em .5em;vertical-align:top;text-align:left;overflow-wrap:break-word}
.compare thead th:first-child{width:10em}
.compare thead th{background:#f2f2f2;font-family:ui-monospace,monospace;font-size:.95em}
.compare tbody th{background:#fafafa;font-weight:600}
td.leaked{background:#fde2e1;border-left:4px solid #c62828}
td.protected{background:#e3f4e6;border-left:4px solid #2e7d32}
.legend span{display:inline-block;padding:.1em .6em;margin-right:.6em;border-radius:3px}
.legend .leaked{background:#fde2e1;border-left:4px solid #c62828}.legend .protected{background:#e3f4e6;border-left:4px solid #2e7d32}
figure.ladder{margin:1em 0;overflow-x:auto}figcaption{font-weight:600;margin-bottom:.3em}
svg text{font:12px ui-monospace,monospace;fill:#222}svg text.meta{fill:#777}
svg line.life{stroke:#999;stroke-width:2}
svg line.tcp{stroke:#888}svg line.tls{stroke:#1565c0}svg line.http{stroke:#6a1b9a}svg line.alert{stroke:#ef6c00;stroke-width:2}svg line.leak{stroke:#c62828;stroke-width:3}
svg text.leak{fill:#c62828;font-weight:700}svg text.alert{fill:#ef6c00}
pre{background:#f7f7f7;border:1px solid #e0e0e0;padding:.6em;overflow-x:auto;font:12.5px/1.4 ui-monospace,monospace}
mark.leak{background:#ffcdd2;color:#b71c1c;font-weight:700}
ul.findings li{font-family:ui-monospace,monospace;font-size:.9em}
ol.chain li{margin-bottom:.4em}.note{color:#666}
";

/// The style block: [`STYLE`], and per number of captures a least table width that
/// gives each column room for a cipher suite name on one line.
fn style() -> String {
    let mut s = STYLE.to_string();
    for n in 1..=16 {
        s.push_str(&format!(".n{n}{{min-width:{}em}}\n", 10 + 26 * n));
    }
    s
}

/// `'sha256-…'` of the style block, for the Content-Security-Policy.
fn style_hash(style: &str) -> String {
    let d = Sha256::digest(style.as_bytes());
    format!(
        "'sha256-{}'",
        base64::engine::general_purpose::STANDARD.encode(d)
    )
}

fn mark_class(m: Mark) -> &'static str {
    match m {
        Mark::Leaked => " class=\"leaked\"",
        Mark::Protected => " class=\"protected\"",
        Mark::Neutral => "",
    }
}

/// Write the page for these captures (one for `--report`, several for `compare`).
pub fn write_page<W: Write>(w: &mut W, captures: &[(&Report, &Evidence)]) -> io::Result<()> {
    let reports: Vec<Report> = captures.iter().map(|(r, _)| (*r).clone()).collect();
    let style = style();
    let title = if captures.len() == 1 {
        format!(
            "What an eavesdropper sees — {}",
            short_name(
                &reports
                    .first()
                    .map(|r| r.source.clone())
                    .unwrap_or_default()
            )
        )
    } else {
        "What an eavesdropper sees, side by side".to_string()
    };
    write!(
        w,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src {}; \
img-src 'none'; script-src 'none'; base-uri 'none'; form-action 'none'\">\n\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
<title>{}</title>\n<style>{style}</style>\n</head>\n<body>\n<h1>{}</h1>\n",
        style_hash(&style),
        html_escape(&title),
        html_escape(&title)
    )?;
    writeln!(
        w,
        "<p class=\"legend\"><span class=\"leaked\">readable by anyone on the path</span>\
<span class=\"protected\">protected on the wire</span></p>"
    )?;
    // The rows, side by side.
    writeln!(
        w,
        "<div class=\"scroll\"><table class=\"compare n{}\" id=\"compare\">\n<thead><tr><th></th>",
        reports.len().min(16)
    )?;
    for r in &reports {
        write!(w, "<th>{}</th>", html_escape(&short_name(&r.source)))?;
    }
    writeln!(w, "</tr></thead>\n<tbody>")?;
    for (label, cells) in compare_rows(&reports) {
        write!(
            w,
            "<tr data-row=\"{}\"><th>{}</th>",
            html_escape(&label),
            html_escape(&label)
        )?;
        for c in cells {
            write!(w, "<td{}>{}</td>", mark_class(c.mark), lines_html(&c.text))?;
        }
        writeln!(w, "</tr>")?;
    }
    writeln!(w, "</tbody>\n</table></div>")?;
    for (i, (r, ev)) in captures.iter().enumerate() {
        write_capture(w, i, r, ev)?;
    }
    writeln!(
        w,
        "<p class=\"note\">Written by squirrel-sniff. Every byte from the capture is shown as \
text; this page loads nothing and runs no script.</p>\n</body>\n</html>"
    )
}

fn write_capture<W: Write>(w: &mut W, i: usize, r: &Report, ev: &Evidence) -> io::Result<()> {
    writeln!(
        w,
        "<section class=\"capture\" id=\"capture-{i}\">\n<h2>{}</h2>",
        html_escape(&short_name(&r.source))
    )?;
    // Sessions: verdict and ladder.
    writeln!(w, "<h3>Sessions</h3>")?;
    for b in &r.streams {
        let (verdict, mark) = session_verdict(r, b);
        writeln!(
            w,
            "<p class=\"session\" data-stream=\"{}\"><span{}>{}</span></p>",
            b.stream,
            mark_class(mark),
            html_escape(&verdict)
        )?;
        if let Some(l) = ev.ladders.get(&b.stream) {
            write_ladder(w, b.stream, l)?;
        }
    }
    if ev.ladders_dropped > 0 {
        writeln!(
            w,
            "<p class=\"note\">{} more sessions not drawn (at most {MAX_LADDERS}).</p>",
            ev.ladders_dropped
        )?;
    }
    // Findings, grouped.
    let groups = group_findings(&r.findings);
    if !groups.is_empty() {
        writeln!(w, "<h3>Findings by kind</h3>\n<ul class=\"findings\">")?;
        for g in &groups {
            writeln!(w, "<li>{}</li>", html_escape(&group_line(g)))?;
        }
        writeln!(w, "</ul>")?;
    }
    // Leaking packets.
    if !ev.leaks.is_empty() {
        writeln!(w, "<h3>The packets that leak</h3>")?;
        for l in &ev.leaks {
            write_leak(w, l, ev.mask)?;
        }
        if ev.leaks_dropped > 0 {
            writeln!(
                w,
                "<p class=\"note\">{} more leaking packets not shown (at most {MAX_LEAK_FRAMES}).</p>",
                ev.leaks_dropped
            )?;
        }
    }
    // Certificate chains.
    let with_certs: Vec<_> = r
        .tls_sessions
        .iter()
        .filter(|s| !s.certificates.is_empty() || s.certificate_hidden)
        .collect();
    if !with_certs.is_empty() {
        writeln!(w, "<h3>Certificate chain</h3>")?;
        for s in with_certs {
            write!(
                w,
                "<div class=\"chain\" data-stream=\"{}\"><p>Stream {}",
                s.stream, s.stream
            )?;
            if let Some(sni) = &s.sni {
                write!(w, ", server name {}", html_escape(sni))?;
            }
            writeln!(w, "</p>")?;
            if s.certificate_hidden {
                writeln!(
                    w,
                    "<p>Hidden: under TLS 1.3 the certificate crosses the wire encrypted.</p>"
                )?;
            }
            if !s.certificates.is_empty() {
                writeln!(w, "<ol class=\"chain\">")?;
                for c in &s.certificates {
                    writeln!(
                        w,
                        "<li><b>{}</b><br>issued by {}<br>valid {} … {}<br>key {}{}{}</li>",
                        html_escape(&c.subject),
                        html_escape(&c.issuer),
                        html_escape(&c.not_before),
                        html_escape(&c.not_after),
                        html_escape(&c.key),
                        if c.ca { ", CA" } else { "" },
                        if c.self_signed { ", self-signed" } else { "" }
                    )?;
                }
                writeln!(w, "</ol>")?;
            }
            if let Some(t) = &s.trust {
                writeln!(w, "<p class=\"trust\">{}</p>", html_escape(t))?;
            }
            writeln!(w, "</div>")?;
        }
    }
    writeln!(w, "</section>")
}

fn write_ladder<W: Write>(w: &mut W, stream: u32, l: &Ladder) -> io::Result<()> {
    const LEFT: usize = 250;
    const RIGHT: usize = 850;
    const ROW: usize = 34;
    const TOP: usize = 44;
    let height = TOP + ROW * l.steps.len() + 20;
    writeln!(
        w,
        "<figure class=\"ladder\" data-stream=\"{stream}\"><figcaption>Stream {stream}: {} ↔ {}</figcaption>",
        html_escape(&l.client),
        html_escape(&l.server)
    )?;
    writeln!(
        w,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"1000\" height=\"{height}\" \
viewBox=\"0 0 1000 {height}\" role=\"img\" aria-label=\"flow graph of stream {stream}\">"
    )?;
    writeln!(w, "<defs>")?;
    for k in ["tcp", "tls", "http", "alert", "leak"] {
        let colour = match k {
            "tcp" => "#888",
            "tls" => "#1565c0",
            "http" => "#6a1b9a",
            "alert" => "#ef6c00",
            _ => "#c62828",
        };
        writeln!(
            w,
            "<marker id=\"arrow-{stream}-{k}\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" \
markerUnits=\"userSpaceOnUse\" markerWidth=\"10\" markerHeight=\"10\" orient=\"auto-start-reverse\">\
<path d=\"M0,0 L10,5 L0,10 z\" fill=\"{colour}\"/></marker>"
        )?;
    }
    writeln!(w, "</defs>")?;
    writeln!(
        w,
        "<text x=\"{LEFT}\" y=\"16\" text-anchor=\"middle\">client {}</text>\
<text x=\"{RIGHT}\" y=\"16\" text-anchor=\"middle\">server {}</text>",
        html_escape(&l.client),
        html_escape(&l.server)
    )?;
    let bottom = height - 10;
    writeln!(
        w,
        "<line class=\"life\" x1=\"{LEFT}\" y1=\"24\" x2=\"{LEFT}\" y2=\"{bottom}\"/>\
<line class=\"life\" x1=\"{RIGHT}\" y1=\"24\" x2=\"{RIGHT}\" y2=\"{bottom}\"/>"
    )?;
    for (i, s) in l.steps.iter().enumerate() {
        let y = TOP + ROW * i + 14;
        let (x1, x2) = if s.to_server {
            (LEFT, RIGHT)
        } else {
            (RIGHT, LEFT)
        };
        let k = s.kind.class();
        writeln!(
            w,
            "<g class=\"step\" data-frame=\"{}\"><text class=\"meta\" x=\"8\" y=\"{y}\">{} {:.6}</text>\
<line class=\"{k}\" x1=\"{x1}\" y1=\"{y}\" x2=\"{x2}\" y2=\"{y}\" marker-end=\"url(#arrow-{stream}-{k})\"/>\
<text class=\"{k}\" x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text></g>",
            s.frame,
            s.frame,
            s.time,
            (LEFT + RIGHT) / 2,
            y - 6,
            html_escape(&s.label)
        )?;
    }
    writeln!(w, "</svg>")?;
    if l.more > 0 {
        writeln!(
            w,
            "<p class=\"note\">{} more packets in this session not drawn (at most {MAX_STEPS}).</p>",
            l.more
        )?;
    }
    writeln!(w, "</figure>")
}

fn write_leak<W: Write>(w: &mut W, l: &LeakFrame, mask: bool) -> io::Result<()> {
    write!(
        w,
        "<article class=\"leak\" data-frame=\"{}\"><h4>Frame {}",
        l.frame, l.frame
    )?;
    if let Some(s) = l.stream {
        write!(w, ", stream {s}")?;
    }
    writeln!(w, "</h4>\n<ul class=\"findings\">")?;
    for f in &l.findings {
        writeln!(w, "<li>{}</li>", html_escape(f))?;
    }
    writeln!(w, "</ul>")?;
    if !l.layers.is_empty() {
        writeln!(w, "<pre class=\"layers\">")?;
        for line in &l.layers {
            writeln!(w, "{}", html_escape(line))?;
        }
        writeln!(w, "</pre>")?;
    }
    write_dump(w, &l.data, &l.highlights, mask, l.cut, "frame")?;
    if let Some(d) = &l.datagram {
        writeln!(
            w,
            "<p>{} ({} bytes), put back together from the fragments:</p>",
            d.name,
            d.data.len() + d.cut
        )?;
        write_dump(w, &d.data, &d.highlights, mask, d.cut, "datagram")?;
    }
    writeln!(w, "</article>")
}

/// A leak's hex dump, and how many of its bytes (`what`: frame, datagram) were not kept.
fn write_dump<W: Write>(
    w: &mut W,
    data: &[u8],
    highlights: &[Range<usize>],
    mask: bool,
    cut: usize,
    what: &str,
) -> io::Result<()> {
    writeln!(
        w,
        "<pre class=\"hex\">{}</pre>",
        hex_html(data, highlights, mask)
    )?;
    if cut > 0 {
        writeln!(
            w,
            "<p class=\"note\">{cut} more bytes of this {what} not shown (at most {MAX_LEAK_BYTES}).</p>"
        )?;
    }
    Ok(())
}

/// Open or close a `<mark>` where highlighting starts or stops.
fn mark_edge(out: &mut String, open: &mut bool, marked: bool) {
    if marked != *open {
        out.push_str(if marked {
            "<mark class=\"leak\">"
        } else {
            "</mark>"
        });
        *open = marked;
    }
}

/// The hex dump in tshark's layout with leaked bytes in `<mark class="leak">` (shown as
/// `**` / `*` under `--mask`).
pub fn hex_html(data: &[u8], highlights: &[Range<usize>], mask: bool) -> String {
    let marked = |i: usize| highlights.iter().any(|r| r.contains(&i));
    let mut out = String::new();
    for (line_no, chunk) in data.chunks(16).enumerate() {
        let base = line_no * 16;
        out.push_str(&format!("{base:04x}  "));
        let mut hex = String::new();
        let mut asc = String::new();
        let mut open = false;
        for i in 0..16 {
            let m = chunk.get(i).is_some() && marked(base + i);
            mark_edge(&mut hex, &mut open, m);
            match chunk.get(i) {
                Some(_) if m && mask => hex.push_str("**"),
                Some(b) => hex.push_str(&format!("{b:02x}")),
                None => hex.push_str("  "),
            }
            if i < 15 {
                hex.push(' ');
            }
        }
        if open {
            hex.push_str("</mark>");
        }
        let mut open = false;
        for (i, b) in chunk.iter().enumerate() {
            let m = marked(base + i);
            mark_edge(&mut asc, &mut open, m);
            let c = if m && mask {
                '*'
            } else if is_printable_ascii(*b) {
                char::from(*b)
            } else {
                '.'
            };
            asc.push_str(&html_escape(&c.to_string()));
        }
        if open {
            asc.push_str("</mark>");
        }
        out.push_str(&hex);
        out.push_str("   ");
        out.push_str(&asc);
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup() {
        assert_eq!(
            html_escape("<script>\"'&"),
            "&lt;script&gt;&quot;&#39;&amp;"
        );
    }

    #[test]
    fn hex_marks_leaked_bytes() {
        let data = b"GET /<x> fluffy tail";
        let h = hex_html(data, &[Range { start: 9, end: 20 }], false);
        assert!(h.contains("<mark class=\"leak\">66 6c"), "{h}");
        assert!(h.contains("&lt;x&gt;"), "{h}");
        assert!(
            h.contains("<mark class=\"leak\">fluffy tail</mark>")
                || h.contains("<mark class=\"leak\">fluffy </mark>"),
            "{h}"
        );
        let m = hex_html(data, &[Range { start: 9, end: 20 }], true);
        assert!(!m.contains("fluffy"), "{m}");
        assert!(m.contains("<mark class=\"leak\">*******"), "{m}");
    }
}
