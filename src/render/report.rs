//! "What an eavesdropper sees": the end-of-run report (`--report`) and `compare`, which puts
//! the reports of several captures side by side in one table.

use std::io::{self, Write};

use comfy_table::{presets, ContentArrangement, Table};

use super::color::Palette;
use crate::findings::engine::Report;

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

fn severity_line(r: &Report) -> String {
    let order = ["high", "medium", "low", "info"];
    let parts: Vec<String> = order
        .iter()
        .filter_map(|s| r.findings_by_severity.get(*s).map(|n| format!("{s} {n}")))
        .collect();
    if parts.is_empty() {
        "none".into()
    } else {
        parts.join(", ")
    }
}

fn protocols(r: &Report) -> String {
    if r.protocols.is_empty() {
        return "none".into();
    }
    r.protocols
        .iter()
        .map(|(k, v)| format!("{k} ×{v}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn tls_versions(r: &Report) -> String {
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
    list_or(&dedup(v), "no TLS", 4)
}

fn certificates(r: &Report) -> String {
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
        }
    }
    list_or(
        &dedup(v),
        if r.tls_sessions.is_empty() {
            "no TLS"
        } else {
            "none seen"
        },
        3,
    )
}

fn alerts(r: &Report) -> String {
    let v: Vec<String> = r
        .tls_sessions
        .iter()
        .flat_map(|s| s.alerts.iter().cloned())
        .collect();
    list_or(&dedup(v), "none", 4)
}

fn dedup(mut v: Vec<String>) -> Vec<String> {
    let mut seen = std::collections::BTreeSet::new();
    v.retain(|x| seen.insert(x.clone()));
    v
}

fn credentials(r: &Report) -> String {
    let v: Vec<String> = r
        .credentials
        .iter()
        .map(|c| format!("{}: {}", c.kind, c.evidence))
        .collect();
    list_or(&dedup(v), "none", 8)
}

fn hostnames(r: &Report) -> String {
    list_or(&r.hostnames.iter().cloned().collect::<Vec<_>>(), "none", 6)
}

fn requests(r: &Report) -> String {
    let mut v = dedup(r.http_requests.clone());
    if r.http_requests_total as usize > r.http_requests.len() {
        v.push(format!("({} in all)", r.http_requests_total));
    }
    list_or(&v, "none visible", 8)
}

fn secret_cell(r: &Report, i: usize) -> String {
    match r.secrets.get(i) {
        Some(s) if s.seen > 0 => format!(
            "SEEN {}×\n{}",
            s.seen,
            s.places.first().cloned().unwrap_or_default()
        ),
        Some(_) => "not seen".into(),
        None => "-".into(),
    }
}

/// What the session keys revealed, and that an eavesdropper without them sees none of it.
fn with_keys(r: &Report) -> String {
    let w = &r.with_keys;
    let tried = w.sessions_decrypted + w.sessions_not_decrypted;
    if tried == 0 {
        return "no keys given (--keylog, --rsa-key, or pcapng secrets)".into();
    }
    let mut lines = vec![format!(
        "{} of {tried} TLS sessions decrypted ({} records, {} bytes of application data); an eavesdropper without the keys sees none of it",
        w.sessions_decrypted, w.records_decrypted, w.plaintext_bytes
    )];
    if w.forward_secrecy > 0 {
        lines.push(format!(
            "forward secrecy: {} session(s) cannot be decrypted with the server's RSA key",
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
    for s in &r.secrets {
        if s.seen_with_keys > 0 {
            lines.push(format!(
                "secret \"{}\" inside TLS: {}× (visible with the keys only)",
                s.secret, s.seen_with_keys
            ));
        }
    }
    lines.join("\n")
}

/// The plain-language verdict of one report.
pub fn verdict(r: &Report) -> String {
    let secret_seen = r.secrets.iter().any(|s| s.seen > 0);
    let creds = !r.credentials.is_empty();
    if secret_seen || creds {
        let mut what = Vec::new();
        if secret_seen {
            what.push("your secret");
        }
        if creds {
            what.push("credentials");
        }
        format!(
            "LEAKS: {} readable by anyone on the path",
            what.join(" and ")
        )
    } else if let Some(a) = r
        .tls_sessions
        .iter()
        .flat_map(|s| s.alerts.iter())
        .find(|a| a.starts_with("fatal"))
    {
        let short = a.split(':').next().unwrap_or(a);
        format!("TLS refused ({short}): no content was exchanged")
    } else if r.bytes_clear > 0 {
        "Readable traffic; no given secret or credential in it".into()
    } else if r.bytes_encrypted > 0 {
        "Encrypted: hostnames, sizes and timing visible, content not".into()
    } else {
        "No payload seen".into()
    }
}

/// The rows of the report, as (label, value) pairs.
fn rows(r: &Report) -> Vec<(String, String)> {
    let mut v = vec![
        (
            "Packets".to_string(),
            format!("{} ({} bytes)", r.packets, r.bytes),
        ),
        (
            "TCP streams".to_string(),
            format!("{}: {}", r.tcp_streams, protocols(r)),
        ),
        (
            "Payload bytes in clear".to_string(),
            r.bytes_clear.to_string(),
        ),
        (
            "Payload bytes encrypted".to_string(),
            r.bytes_encrypted.to_string(),
        ),
        ("Hostnames (Host, SNI)".to_string(), hostnames(r)),
        ("HTTP requests visible".to_string(), requests(r)),
        ("TLS version, cipher".to_string(), tls_versions(r)),
        ("Certificates".to_string(), certificates(r)),
        ("TLS alerts".to_string(), alerts(r)),
    ];
    for (i, s) in r.secrets.iter().enumerate() {
        v.push((format!("Secret \"{}\"", s.secret), secret_cell(r, i)));
    }
    v.push(("Credentials in clear".to_string(), credentials(r)));
    v.push((
        "Fernet tokens".to_string(),
        if r.fernet.is_empty() {
            "none".into()
        } else {
            list_or(&dedup(r.fernet.clone()), "none", 3)
        },
    ));
    v.push(("With the session keys".to_string(), with_keys(r)));
    v.push(("Findings".to_string(), severity_line(r)));
    v.push(("Verdict".to_string(), verdict(r)));
    v
}

/// `--report`: one capture's report.
pub fn write_report<W: Write>(w: &mut W, r: &Report, pal: Palette) -> io::Result<()> {
    writeln!(
        w,
        "\n{}What an eavesdropper sees{} — {}",
        pal.bold(),
        pal.reset(),
        r.source
    )?;
    let mut t = Table::new();
    t.load_preset(presets::UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_width(110);
    for (k, v) in rows(r) {
        t.add_row(vec![k, v]);
    }
    writeln!(w, "{t}")?;
    let mut shown = 0;
    for f in r
        .findings
        .iter()
        .filter(|f| f.severity >= crate::findings::Severity::Medium)
    {
        if shown == 0 {
            writeln!(w, "Findings (medium and above):")?;
        }
        shown += 1;
        if shown > 30 {
            writeln!(w, "  … see --json for all {} findings", r.findings.len())?;
            break;
        }
        writeln!(w, "  {}", f.line())?;
    }
    Ok(())
}

/// `compare`: the reports side by side.
pub fn write_compare<W: Write>(w: &mut W, reports: &[Report], pal: Palette) -> io::Result<()> {
    writeln!(
        w,
        "{}What an eavesdropper sees, side by side{}",
        pal.bold(),
        pal.reset()
    )?;
    let mut t = Table::new();
    let width = (24 + 36 * reports.len()).clamp(80, 220) as u16;
    t.load_preset(presets::UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_width(width);
    let mut header = vec![String::new()];
    header.extend(reports.iter().map(|r| short_name(&r.source)));
    t.set_header(header);
    let per: Vec<Vec<(String, String)>> = reports.iter().map(rows).collect();
    let n = per.iter().map(|r| r.len()).max().unwrap_or(0);
    for i in 0..n {
        let label = per
            .iter()
            .find_map(|r| r.get(i).map(|x| x.0.clone()))
            .unwrap_or_default();
        let mut row = vec![label];
        row.extend(
            per.iter()
                .map(|r| r.get(i).map(|x| x.1.clone()).unwrap_or_default()),
        );
        t.add_row(row);
    }
    writeln!(w, "{t}")
}

fn short_name(p: &str) -> String {
    p.rsplit('/').next().unwrap_or(p).to_string()
}

/// JSON of `compare`: one object with the reports in order.
pub fn compare_json(reports: &[Report]) -> serde_json::Value {
    serde_json::json!({
        "type": "compare",
        "captures": reports.iter().map(|r| {
            let mut v = serde_json::to_value(r).unwrap_or_default();
            if let Some(m) = v.as_object_mut() {
                m.insert("verdict".into(), verdict(r).into());
                m.insert("leaked".into(), r.leaked().into());
            }
            v
        }).collect::<Vec<_>>(),
    })
}
