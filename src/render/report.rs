//! "What an eavesdropper sees": the end-of-run report (`--report`) and `compare`, which puts
//! the reports of several captures side by side in one table.
//!
//! The rows are one list, [`ROWS`] (plus one row per `--secret`): adding a row is adding
//! an entry there, and every output (report, compare, narrow blocks, JSON verdict, HTML)
//! shows it.

use std::collections::BTreeMap;
use std::io::{self, Write};

use super::color::Palette;
use super::table::{output_width, Borders, Table};
use crate::findings::engine::{Report, StreamBrief, TlsSession};
use crate::findings::{Finding, FindingKind, Severity};

/// How a cell reads for the lesson: something leaked, something protected, or neither.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mark {
    Neutral,
    /// An eavesdropper reads a secret, a credential or the content.
    Leaked,
    /// Encrypted on the wire.
    Protected,
}

/// One cell of the report: text (escaped already, lines split by `\n`) and its mark.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cell {
    pub text: String,
    pub mark: Mark,
}

impl Cell {
    fn plain(text: impl Into<String>) -> Cell {
        Cell {
            text: text.into(),
            mark: Mark::Neutral,
        }
    }
    fn marked(text: impl Into<String>, mark: Mark) -> Cell {
        Cell {
            text: text.into(),
            mark,
        }
    }
}

/// How a row is filled from one capture's report.
pub type RowFn = fn(&Report) -> Cell;

/// The fixed rows, in order: a label and how to fill it from a report. The secret rows
/// (one per `--secret`) come after "TLS alerts".
pub const ROWS: &[(&str, RowFn)] = &[
    ("Packets", packets),
    ("TCP streams", streams),
    ("Payload bytes in clear", bytes_clear),
    ("Payload bytes encrypted", bytes_encrypted),
    ("Hostnames seen (DNS, Host, SNI, QUIC)", hostnames),
    ("Content visible", content),
    ("Sessions", sessions),
    ("TLS version, cipher", tls_versions),
    ("Certificates", certificates),
    ("TLS alerts", alerts),
    ("Credentials in clear", credentials),
    ("Fernet tokens", fernet),
    ("With the session keys", with_keys),
    ("Findings", severity_line),
    ("Verdict", verdict_cell),
];

/// Where the secret rows go: after this many fixed rows.
const SECRETS_AFTER: usize = 10;

fn list_or(items: &[String], none: &str, max: usize) -> String {
    if items.is_empty() {
        return none.to_string();
    }
    let mut v: Vec<String> = items.iter().take(max).cloned().collect();
    if items.len() > max {
        v.push(format!("… and {} more", items.len() - max));
    }
    v.join("\n")
}

fn dedup(mut v: Vec<String>) -> Vec<String> {
    let mut seen = std::collections::BTreeSet::new();
    v.retain(|x| seen.insert(x.clone()));
    v
}

/// `330 B`, `9.7 kB`, `1.2 MB` (decimal units).
pub fn human_bytes(n: u64) -> String {
    match n {
        0..=999 => format!("{n} B"),
        1_000..=999_999 => format!("{:.1} kB", n as f64 / 1e3),
        1_000_000..=999_999_999 => format!("{:.1} MB", n as f64 / 1e6),
        _ => format!("{:.1} GB", n as f64 / 1e9),
    }
}

fn packets(r: &Report) -> Cell {
    Cell::plain(format!("{} ({} bytes)", r.packets, r.bytes))
}

fn streams(r: &Report) -> Cell {
    let p = if r.protocols.is_empty() {
        "none".to_string()
    } else {
        r.protocols
            .iter()
            .map(|(k, v)| format!("{k} ×{v}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    Cell::plain(format!("{}: {p}", r.tcp_streams))
}

/// A byte count, marked when it is not zero.
fn bytes_cell(n: u64, mark: Mark) -> Cell {
    Cell::marked(n.to_string(), if n > 0 { mark } else { Mark::Neutral })
}

fn bytes_clear(r: &Report) -> Cell {
    bytes_cell(r.bytes_clear, Mark::Leaked)
}

fn bytes_encrypted(r: &Report) -> Cell {
    bytes_cell(r.bytes_encrypted, Mark::Protected)
}

/// Each host name with where an observer saw it: `secret-squirrel.example (DNS+SNI)`.
fn hostnames(r: &Report) -> Cell {
    let names: Vec<String> = r
        .hostnames
        .iter()
        .map(|h| match r.host_sources.get(h) {
            Some(src) if !src.is_empty() => {
                format!(
                    "{h} ({})",
                    src.iter().cloned().collect::<Vec<_>>().join("+")
                )
            }
            _ => h.clone(),
        })
        .collect();
    Cell::plain(list_or(&names, "none", 6))
}

fn content(r: &Report) -> Cell {
    let mut v = dedup(r.content.clone());
    if v.is_empty() {
        // Requests whose response never came.
        v = dedup(r.http_requests.clone());
    }
    if r.content_total as usize > r.content.len() {
        v.push(format!("({} responses in all)", r.content_total));
    }
    if v.is_empty() {
        let none = if r.bytes_encrypted > 0 {
            "none: encrypted"
        } else {
            "none"
        };
        let mark = if r.bytes_encrypted > 0 {
            Mark::Protected
        } else {
            Mark::Neutral
        };
        return Cell::marked(none, mark);
    }
    Cell::marked(list_or(&v, "none", 6), Mark::Leaked)
}

/// How a TLS session ended, as the report names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Handshake done and application data both ways, no fatal alert seen.
    Completed,
    /// A fatal alert (its name, e.g. `unknown_ca`).
    Refused(String),
    /// Neither: why (`no ServerHello`, `no application data`).
    Incomplete(&'static str),
}

pub fn outcome(s: &TlsSession) -> Outcome {
    if let Some(a) = s.alerts.iter().find(|a| a.starts_with("fatal")) {
        let name = a
            .split(':')
            .next()
            .unwrap_or(a)
            .trim_start_matches("fatal")
            .trim();
        return Outcome::Refused(name.to_string());
    }
    if s.version.is_none() {
        Outcome::Incomplete("no ServerHello")
    } else if s.app_data[0] > 0 && s.app_data[1] > 0 {
        Outcome::Completed
    } else {
        Outcome::Incomplete("no application data")
    }
}

/// One session's verdict: `#0 TLS 1.3 localhost: completed, 2.9 kB encrypted`.
pub fn session_verdict(r: &Report, b: &StreamBrief) -> (String, Mark) {
    if let Some(s) = b.tls_session.and_then(|i| r.tls_sessions.get(i)) {
        let mut head = format!("#{} TLS", b.stream);
        if let Some(v) = &s.version {
            head = format!("#{} {v}", b.stream);
        }
        if let Some(sni) = &s.sni {
            head.push(' ');
            head.push_str(sni);
        }
        return match outcome(s) {
            Outcome::Completed => (
                format!("{head}: completed, {} encrypted", human_bytes(s.bytes)),
                Mark::Protected,
            ),
            Outcome::Refused(a) => (
                format!("{head}: refused ({a}), no content exchanged"),
                Mark::Neutral,
            ),
            Outcome::Incomplete(why) => (
                format!("{head}: incomplete ({why}), {}", human_bytes(s.bytes)),
                Mark::Neutral,
            ),
        };
    }
    if b.protocol == "HTTP" {
        let n = b.http_exchanges;
        let text = format!(
            "#{} HTTP: {n} exchange{}, {} readable{}",
            b.stream,
            if n == 1 { "" } else { "s" },
            human_bytes(b.bytes),
            if b.leaked {
                ", leaks a secret or credential"
            } else {
                ""
            }
        );
        return (text, Mark::Leaked);
    }
    (
        format!("#{} {}: {}", b.stream, b.protocol, human_bytes(b.bytes)),
        Mark::Neutral,
    )
}

fn sessions(r: &Report) -> Cell {
    let v: Vec<(String, Mark)> = r.streams.iter().map(|b| session_verdict(r, b)).collect();
    let mark = if v.iter().any(|x| x.1 == Mark::Leaked) {
        Mark::Leaked
    } else if v.iter().any(|x| x.1 == Mark::Protected) {
        Mark::Protected
    } else {
        Mark::Neutral
    };
    let texts: Vec<String> = v.into_iter().map(|x| x.0).collect();
    Cell::marked(list_or(&texts, "none", 6), mark)
}

/// The capture's TLS sessions in one phrase: `2 TLS sessions: 1 completed (TLS 1.3,
/// 9.7 kB exchanged), 1 refused (unknown_ca)`.
pub fn tls_summary(r: &Report) -> Option<String> {
    let n = r.tls_sessions.len();
    if n == 0 {
        return None;
    }
    let mut completed = Vec::new();
    let mut refused = Vec::new();
    let mut incomplete = 0usize;
    for s in &r.tls_sessions {
        match outcome(s) {
            Outcome::Completed => completed.push(s),
            Outcome::Refused(a) => refused.push(a),
            Outcome::Incomplete(_) => incomplete += 1,
        }
    }
    let mut parts = Vec::new();
    if !completed.is_empty() {
        let versions = dedup(completed.iter().filter_map(|s| s.version.clone()).collect());
        let bytes: u64 = completed.iter().map(|s| s.bytes).sum();
        parts.push(format!(
            "{}completed ({}, {} exchanged)",
            count_prefix(n, completed.len()),
            versions.join(", "),
            human_bytes(bytes)
        ));
    }
    if !refused.is_empty() {
        let k = refused.len();
        parts.push(format!(
            "{}refused ({})",
            count_prefix(n, k),
            dedup(refused).join(", ")
        ));
    }
    if incomplete > 0 {
        parts.push(format!("{}incomplete", count_prefix(n, incomplete)));
    }
    Some(format!(
        "{n} TLS session{}: {}",
        if n == 1 { "" } else { "s" },
        parts.join(", ")
    ))
}

/// `1 ` before a part when there are several sessions; nothing for a single one.
fn count_prefix(total: usize, k: usize) -> String {
    if total == 1 {
        String::new()
    } else {
        format!("{k} ")
    }
}

fn tls_versions(r: &Report) -> Cell {
    let v: Vec<String> = r
        .tls_sessions
        .iter()
        .map(|s| {
            format!(
                "{} {}",
                s.version.clone().unwrap_or_else(|| "no ServerHello".into()),
                s.cipher.clone().unwrap_or_default()
            )
            .trim()
            .to_string()
        })
        .collect();
    Cell::plain(list_or(&dedup(v), "no TLS", 4))
}

fn certificates(r: &Report) -> Cell {
    let mut v = Vec::new();
    for s in &r.tls_sessions {
        if s.certificate_hidden {
            v.push("hidden by TLS 1.3 (encrypted)".to_string());
        } else {
            for c in s.certificates.iter().take(2) {
                v.push(format!(
                    "subject: {}\nissuer: {}\nvalid {} … {}{}",
                    c.subject,
                    c.issuer,
                    c.not_before,
                    c.not_after,
                    if c.self_signed { " (self-signed)" } else { "" }
                ));
            }
            if let Some(t) = &s.trust {
                v.push(t.clone());
            }
        }
    }
    Cell::plain(list_or(
        &dedup(v),
        if r.tls_sessions.is_empty() {
            "no TLS"
        } else {
            "none seen"
        },
        4,
    ))
}

fn alerts(r: &Report) -> Cell {
    let v: Vec<String> = r
        .tls_sessions
        .iter()
        .flat_map(|s| s.alerts.iter().cloned())
        .collect();
    Cell::plain(list_or(&dedup(v), "none", 4))
}

fn credentials(r: &Report) -> Cell {
    let v: Vec<String> = r
        .credentials
        .iter()
        .map(|c| format!("{}: {}", c.kind, c.evidence))
        .collect();
    let mark = if v.is_empty() {
        Mark::Neutral
    } else {
        Mark::Leaked
    };
    Cell::marked(list_or(&dedup(v), "none", 8), mark)
}

/// What the TLS session keys revealed, and that an eavesdropper without them sees none of it.
fn with_keys(r: &Report) -> Cell {
    let w = &r.with_keys;
    let tried = w.sessions_decrypted + w.sessions_not_decrypted;
    if tried == 0 {
        return Cell::plain("no keys given (--keylog, --rsa-key, or pcapng secrets)");
    }
    let mut lines = vec![format!(
        "{} of {tried} TLS/QUIC sessions decrypted ({} TLS records, {} of application data); an eavesdropper without the keys sees none of it",
        w.sessions_decrypted,
        w.records_decrypted,
        human_bytes(w.plaintext_bytes)
    )];
    if w.forward_secrecy > 0 {
        lines.push(format!(
            "forward secrecy: {} session(s) cannot be decrypted with the server's private key",
            w.forward_secrecy
        ));
    }
    if w.http_requests_total > 0 {
        let mut v = dedup(w.http_requests.clone());
        if w.http_requests_total as usize > v.len() {
            v.push(format!("({} in all)", w.http_requests_total));
        }
        lines.push(format!("HTTP inside TLS: {}", list_or(&v, "none", 8)));
    }
    if w.secrets_seen > 0 {
        lines.push(format!(
            "a --secret inside TLS {}× (visible with the keys only)",
            w.secrets_seen
        ));
    }
    let mark = if w.sessions_decrypted > 0 {
        Mark::Protected
    } else {
        Mark::Neutral
    };
    Cell::marked(lines.join("\n"), mark)
}

fn fernet(r: &Report) -> Cell {
    if r.fernet.is_empty() {
        return Cell::plain("none");
    }
    Cell::marked(
        list_or(&dedup(r.fernet.clone()), "none", 3),
        Mark::Protected,
    )
}

fn severity_line(r: &Report) -> Cell {
    let order = ["high", "medium", "low", "info"];
    let parts: Vec<String> = order
        .iter()
        .filter_map(|s| r.findings_by_severity.get(*s).map(|n| format!("{s} {n}")))
        .collect();
    if parts.is_empty() {
        Cell::plain("none")
    } else {
        Cell::plain(format!(
            "{} ({} in all)",
            parts.join(", "),
            findings_total(r)
        ))
    }
}

/// Every finding raised, those past the report's cap included.
pub fn findings_total(r: &Report) -> u64 {
    r.findings.len() as u64 + r.findings_dropped
}

fn secret_cell(r: &Report, i: usize) -> Cell {
    match r.secrets.get(i) {
        Some(s) if s.seen > 0 => Cell::marked(
            format!(
                "SEEN {}×\n{}",
                s.seen,
                s.places.first().cloned().unwrap_or_default()
            ),
            Mark::Leaked,
        ),
        Some(s) if s.with_key > 0 => Cell::marked(
            format!(
                "protected on the wire, readable with the key ({}×)\n{}",
                s.with_key,
                s.with_key_places.first().cloned().unwrap_or_default()
            ),
            Mark::Protected,
        ),
        Some(_) => Cell::plain("not seen"),
        None => Cell::plain("-"),
    }
}

fn verdict_cell(r: &Report) -> Cell {
    let mark = if r.leaked() {
        Mark::Leaked
    } else if r.bytes_encrypted > 0 || r.secrets.iter().any(|s| s.with_key > 0) {
        Mark::Protected
    } else {
        Mark::Neutral
    };
    Cell::marked(verdict(r), mark)
}

/// The plain-language verdict of one capture, built from its sessions' verdicts.
pub fn verdict(r: &Report) -> String {
    let secret_seen = r.secrets.iter().any(|s| s.seen > 0);
    let creds = r.credentials.iter().any(|c| c.severity >= Severity::Medium);
    let tls = tls_summary(r);
    let with_tls = |s: String| match &tls {
        Some(t) => format!("{s}; {t}"),
        None => s,
    };
    if secret_seen || creds {
        let mut what = Vec::new();
        if secret_seen {
            what.push("your secret");
        }
        if creds {
            what.push("credentials");
        }
        return with_tls(format!(
            "LEAKS: {} readable by anyone on the path",
            what.join(" and ")
        ));
    }
    if r.with_keys.secrets_seen > 0 {
        return with_tls(
            "Protected on the wire, readable with the session keys: your secret is inside TLS that the keys given decrypt"
                .into(),
        );
    }
    if r.secrets.iter().any(|s| s.with_key > 0) {
        return with_tls(
            "Protected on the wire, readable with the key: your secret is inside an encrypted token that the key given opens"
                .into(),
        );
    }
    let exchanges = r.content_total;
    if r.bytes_clear > 0 {
        let what = if exchanges > 0 {
            format!(
                "{exchanges} HTTP response{} readable (see Content visible)",
                if exchanges == 1 { "" } else { "s" }
            )
        } else {
            "readable payload".to_string()
        };
        let told = if r.secrets.is_empty() {
            "no --secret given"
        } else {
            "no given secret or credential in it"
        };
        return with_tls(format!("Readable traffic: {what}; {told}"));
    }
    if let Some(t) = tls {
        let all_refused = r
            .tls_sessions
            .iter()
            .all(|s| matches!(outcome(s), Outcome::Refused(_)));
        return if all_refused {
            format!("{t}: no content was exchanged")
        } else {
            format!("Encrypted: {t}; hostnames, sizes and timing visible, content not")
        };
    }
    if r.bytes_encrypted > 0 {
        "Encrypted: hostnames, sizes and timing visible, content not".into()
    } else {
        "No payload seen".into()
    }
}

/// The rows of one report, as (label, cell).
pub fn rows(r: &Report) -> Vec<(String, Cell)> {
    let mut v: Vec<(String, Cell)> = Vec::new();
    for (i, (label, cell)) in ROWS.iter().enumerate() {
        if i == SECRETS_AFTER {
            for (k, s) in r.secrets.iter().enumerate() {
                v.push((format!("Secret \"{}\"", s.secret), secret_cell(r, k)));
            }
        }
        v.push((label.to_string(), cell(r)));
    }
    v
}

/// Findings grouped by severity and kind: how many, in which streams, from which frame.
#[derive(Debug, Clone)]
pub struct FindingGroup<'a> {
    pub kind: FindingKind,
    pub severity: Severity,
    pub count: u64,
    pub streams: Vec<u32>,
    pub first_frame: Option<u64>,
    /// The first finding of the group (its evidence and explanation).
    pub first: &'a Finding,
}

/// Group the report's findings, most severe first, then by kind.
pub fn group_findings(findings: &[Finding]) -> Vec<FindingGroup<'_>> {
    let mut groups: BTreeMap<(std::cmp::Reverse<Severity>, FindingKind), FindingGroup<'_>> =
        BTreeMap::new();
    for f in findings {
        let g = groups
            .entry((std::cmp::Reverse(f.severity), f.kind))
            .or_insert_with(|| FindingGroup {
                kind: f.kind,
                severity: f.severity,
                count: 0,
                streams: Vec::new(),
                first_frame: None,
                first: f,
            });
        g.count += f.count.max(1);
        if let Some(s) = f.stream {
            g.streams.push(s);
        }
        if let Some(fr) = f.frames.first() {
            g.first_frame = Some(g.first_frame.map_or(*fr, |x| x.min(*fr)));
        }
    }
    let mut v: Vec<FindingGroup<'_>> = groups.into_values().collect();
    for g in &mut v {
        g.streams.sort_unstable();
        g.streams.dedup();
    }
    v
}

/// `0–29, 31` from a sorted list of stream ids.
pub fn ranges(ids: &[u32]) -> String {
    let mut parts = Vec::new();
    let mut i = 0;
    while let Some(&start) = ids.get(i) {
        let mut end = start;
        while ids.get(i + 1) == Some(&(end + 1)) {
            end += 1;
            i += 1;
        }
        parts.push(if end == start {
            start.to_string()
        } else {
            format!("{start}–{end}")
        });
        i += 1;
    }
    parts.join(", ")
}

/// `[high] secret_in_clear ×30 in streams 0–29, first frame 8: fluffy tail — …`
pub fn group_line(g: &FindingGroup<'_>) -> String {
    let mut s = format!("[{}] {}", g.severity, g.kind);
    if g.count > 1 {
        s.push_str(&format!(" ×{}", g.count));
    }
    match g.streams.len() {
        0 => {}
        1 => s.push_str(&format!(" in stream {}", ranges(&g.streams))),
        _ => s.push_str(&format!(" in streams {}", ranges(&g.streams))),
    }
    if let Some(f) = g.first_frame {
        s.push_str(&format!(", first frame {f}"));
    }
    s.push_str(&format!(": {} — {}", g.first.evidence, g.first.explanation));
    s
}

fn two_column(rows: &[(String, Cell)]) -> Table {
    let mut t = Table::new();
    for (k, v) in rows {
        t.row(vec![k.clone(), v.text.clone()]);
    }
    t
}

/// `--report`: one capture's report, for `width` columns.
pub fn write_report_to<W: Write>(
    w: &mut W,
    r: &Report,
    pal: Palette,
    width: usize,
    borders: Borders,
) -> io::Result<()> {
    writeln!(
        w,
        "\n{}What an eavesdropper sees{} — {}",
        pal.bold(),
        pal.reset(),
        r.source
    )?;
    write!(w, "{}", two_column(&rows(r)).render(width, borders))?;
    let groups = group_findings(&r.findings);
    if groups.is_empty() {
        return Ok(());
    }
    let total = findings_total(r);
    writeln!(
        w,
        "Findings by kind ({total} in all{}):",
        if r.findings_dropped > 0 {
            format!(
                "; the report keeps the first {} — the counts by severity above cover all",
                r.findings.len()
            )
        } else {
            String::new()
        }
    )?;
    for g in groups {
        writeln!(w, "  {}", group_line(&g))?;
    }
    Ok(())
}

/// `--report` at the terminal's width and the locale's border style.
pub fn write_report<W: Write>(w: &mut W, r: &Report, pal: Palette) -> io::Result<()> {
    write_report_to(w, r, pal, output_width(), Borders::from_locale())
}

/// The comparison's rows: a label and one cell per capture.
pub fn compare_rows(reports: &[Report]) -> Vec<(String, Vec<Cell>)> {
    let per: Vec<Vec<(String, Cell)>> = reports.iter().map(rows).collect();
    let n = per.iter().map(Vec::len).max().unwrap_or(0);
    (0..n)
        .map(|i| {
            let label = per
                .iter()
                .find_map(|r| r.get(i).map(|x| x.0.clone()))
                .unwrap_or_default();
            let cells = per
                .iter()
                .map(|r| {
                    r.get(i)
                        .map(|x| x.1.clone())
                        .unwrap_or_else(|| Cell::plain(""))
                })
                .collect();
            (label, cells)
        })
        .collect()
}

/// `compare` for `width` columns: side by side when it fits without cutting a word, else
/// one block per capture.
pub fn write_compare_to<W: Write>(
    w: &mut W,
    reports: &[Report],
    pal: Palette,
    width: usize,
    borders: Borders,
) -> io::Result<()> {
    writeln!(
        w,
        "{}What an eavesdropper sees, side by side{}",
        pal.bold(),
        pal.reset()
    )?;
    let rows = compare_rows(reports);
    let mut t = Table::new();
    let mut header = vec![String::new()];
    header.extend(reports.iter().map(|r| short_name(&r.source)));
    t.header(header);
    for (label, cells) in &rows {
        let mut row = vec![label.clone()];
        row.extend(cells.iter().map(|c| c.text.clone()));
        t.row(row);
    }
    if t.min_width() <= width {
        return write!(w, "{}", t.render(width, borders));
    }
    for (i, r) in reports.iter().enumerate() {
        writeln!(
            w,
            "\n{}{}{}",
            pal.bold(),
            short_name(&r.source),
            pal.reset()
        )?;
        let one: Vec<(String, Cell)> = rows
            .iter()
            .map(|(l, c)| {
                (
                    l.clone(),
                    c.get(i).cloned().unwrap_or_else(|| Cell::plain("")),
                )
            })
            .collect();
        write!(w, "{}", two_column(&one).render(width, borders))?;
    }
    Ok(())
}

/// `compare` at the terminal's width and the locale's border style.
pub fn write_compare<W: Write>(w: &mut W, reports: &[Report], pal: Palette) -> io::Result<()> {
    write_compare_to(w, reports, pal, output_width(), Borders::from_locale())
}

pub fn short_name(p: &str) -> String {
    p.rsplit('/').next().unwrap_or(p).to_string()
}

/// JSON of one report: the report's facts, its verdict and session verdicts.
pub fn report_json(r: &Report) -> serde_json::Value {
    let mut v = serde_json::to_value(r).unwrap_or_default();
    if let Some(m) = v.as_object_mut() {
        m.insert("verdict".into(), verdict(r).into());
        m.insert("leaked".into(), r.leaked().into());
        m.insert("findings_total".into(), findings_total(r).into());
        m.insert(
            "session_verdicts".into(),
            r.streams
                .iter()
                .map(|b| session_verdict(r, b).0)
                .collect::<Vec<_>>()
                .into(),
        );
    }
    v
}

/// JSON of `compare`: one object with the reports in order.
pub fn compare_json(reports: &[Report]) -> serde_json::Value {
    serde_json::json!({
        "type": "compare",
        "captures": reports.iter().map(report_json).collect::<Vec<_>>(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stream_ranges() {
        assert_eq!(ranges(&[0, 1, 2, 3, 5, 7, 8]), "0–3, 5, 7–8");
        assert_eq!(ranges(&[]), "");
        assert_eq!(ranges(&[4]), "4");
    }

    #[test]
    fn sizes() {
        assert_eq!(human_bytes(330), "330 B");
        assert_eq!(human_bytes(9708), "9.7 kB");
        assert_eq!(human_bytes(2_500_000), "2.5 MB");
    }

    #[test]
    fn mixed_sessions_verdict() {
        let done = TlsSession {
            version: Some("TLS 1.3".into()),
            bytes: 9708,
            app_data: [500, 9000],
            ..TlsSession::default()
        };
        let refused = TlsSession {
            version: Some("TLS 1.3".into()),
            bytes: 1900,
            alerts: vec!["fatal unknown_ca: the client does not trust the CA".into()],
            ..TlsSession::default()
        };
        let r = Report {
            tls_sessions: vec![done, refused],
            bytes_encrypted: 11608,
            ..Report::default()
        };
        assert_eq!(
            tls_summary(&r).as_deref(),
            Some("2 TLS sessions: 1 completed (TLS 1.3, 9.7 kB exchanged), 1 refused (unknown_ca)")
        );
        let v = verdict(&r);
        assert!(v.starts_with("Encrypted: 2 TLS sessions"), "{v}");
        assert!(!v.contains("no content was exchanged"), "{v}");
    }
}
