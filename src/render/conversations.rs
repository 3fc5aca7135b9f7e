//! The TCP conversations table (like `tshark -q -z conv,tcp`) and its JSON form.
//!
//! One row per stream, in stream order: the client (A) and server (B), packets and bytes
//! (whole frames on the wire) each way and in total, start relative to the capture's first
//! packet, duration, state (complete / reset / open) and the protocol recognised on it.

use std::io::{self, Write};

use crate::capture::Timestamp;
use crate::flow::{ConvState, ConversationSummary};
use crate::render::escape::escape_str;
use crate::render::table::{output_width, Borders, Table};

/// One row's input: the stream's counts and the protocol seen on it (e.g. "HTTP", "TLS",
/// "TCP" when nothing was recognised).
#[derive(Debug, Clone, Copy)]
pub struct ConversationRow<'a> {
    pub summary: &'a ConversationSummary,
    pub protocol: &'a str,
}

fn state_name(state: ConvState) -> &'static str {
    match state {
        ConvState::Complete => "complete",
        ConvState::Reset => "reset",
        ConvState::Open => "open",
    }
}

/// The time rows' start is relative to: `capture_start`, or else the earliest start.
fn origin(rows: &[ConversationRow<'_>], capture_start: Option<Timestamp>) -> Timestamp {
    capture_start
        .or_else(|| rows.iter().map(|r| r.summary.start).min())
        .unwrap_or_default()
}

/// Rows laid out as one table at most; a longer list is written as several tables of
/// this many rows (each with its own header and widths), so writing it holds one page of
/// cells, not one per stream of the capture.
pub const PAGE_ROWS: usize = 10_000;

/// Build the table. Rows come out in stream order whatever the order of `rows`.
pub fn conversations_table(
    rows: &[ConversationRow<'_>],
    capture_start: Option<Timestamp>,
) -> Table {
    let origin = origin(rows, capture_start);
    let mut sorted: Vec<&ConversationRow<'_>> = rows.iter().collect();
    sorted.sort_by_key(|r| r.summary.stream);
    page_table(&sorted, origin)
}

/// One table of rows already in order, start times relative to `origin`.
fn page_table(sorted: &[&ConversationRow<'_>], origin: Timestamp) -> Table {
    let mut table = Table::new();
    table.header(
        [
            "Stream",
            "A (client)",
            "B (server)",
            "A→B pkts",
            "A→B bytes",
            "B→A pkts",
            "B→A bytes",
            "Total pkts",
            "Total bytes",
            "Rel start",
            "Duration",
            "State",
            "Protocol",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect(),
    );
    for r in sorted.iter() {
        let s = r.summary;
        table.row(vec![
            s.stream.to_string(),
            s.client.to_string(),
            s.server.to_string(),
            s.packets_to_server.to_string(),
            s.bytes_to_server.to_string(),
            s.packets_to_client.to_string(),
            s.bytes_to_client.to_string(),
            s.packets_to_server
                .saturating_add(s.packets_to_client)
                .to_string(),
            s.bytes_to_server
                .saturating_add(s.bytes_to_client)
                .to_string(),
            format!("{:.6}", s.start.since(origin)),
            format!("{:.4}", s.end.since(s.start)),
            state_name(s.state).to_string(),
            escape_str(r.protocol),
        ]);
    }
    table.align_right(&[0, 3, 4, 5, 6, 7, 8, 9, 10]);
    table
}

/// Write the table (with a title line) to `w`.
pub fn write_conversations<W: Write>(
    w: &mut W,
    rows: &[ConversationRow<'_>],
    capture_start: Option<Timestamp>,
) -> io::Result<()> {
    write_conversations_to(
        w,
        rows,
        capture_start,
        output_width(),
        Borders::from_locale(),
    )
}

/// Write the table laid out for `width` columns with these borders.
pub fn write_conversations_to<W: Write>(
    w: &mut W,
    rows: &[ConversationRow<'_>],
    capture_start: Option<Timestamp>,
    width: usize,
    borders: Borders,
) -> io::Result<()> {
    writeln!(w, "TCP Conversations")?;
    let origin = origin(rows, capture_start);
    let mut sorted: Vec<&ConversationRow<'_>> = rows.iter().collect();
    sorted.sort_by_key(|r| r.summary.stream);
    // No rows: one empty table (its header), as for a short list.
    let empty: [&[&ConversationRow<'_>]; 1] = [&[]];
    let pages: Vec<&[&ConversationRow<'_>]> = if sorted.is_empty() {
        empty.to_vec()
    } else {
        sorted.chunks(PAGE_ROWS).collect()
    };
    for page in pages {
        let t = page_table(page, origin);
        if t.min_width() <= width {
            write!(w, "{}", t.render(width, borders))?;
            continue;
        }
        // Too narrow for the columns: one block per stream.
        for (title, block) in t.row_blocks() {
            writeln!(w, "{title}")?;
            write!(w, "{}", block.render(width, borders))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flow::{CloseReason, Endpoint};
    use std::net::{IpAddr, Ipv4Addr};

    fn summary(stream: u32, port: u16, start: i64) -> ConversationSummary {
        ConversationSummary {
            stream,
            client: Endpoint {
                addr: IpAddr::V4(Ipv4Addr::new(141, 142, 228, 5)),
                port,
            },
            server: Endpoint {
                addr: IpAddr::V4(Ipv4Addr::new(192, 150, 187, 43)),
                port: 80,
            },
            packets_to_server: 7,
            bytes_to_server: 610,
            packets_to_client: 7,
            bytes_to_client: 5477,
            payload_to_server: 136,
            payload_to_client: 5007,
            first_frame: 1,
            last_frame: 14,
            start: Timestamp::new(start, 0),
            end: Timestamp::new(start, 211_628_000),
            state: ConvState::Complete,
            close_reason: CloseReason::Fin,
            syn_seen: true,
        }
    }

    #[test]
    fn table_has_the_counts_in_stream_order() {
        let a = summary(1, 59857, 105);
        let b = summary(0, 59856, 100);
        let rows = [
            ConversationRow {
                summary: &a,
                protocol: "TLS",
            },
            ConversationRow {
                summary: &b,
                protocol: "HTTP\x1b",
            },
        ];
        let mut out = Vec::new();
        write_conversations_to(&mut out, &rows, None, 200, Borders::Ascii).expect("vec");
        let text = String::from_utf8(out).expect("utf8");
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "TCP Conversations");
        let row0 = lines
            .iter()
            .position(|l| l.contains("141.142.228.5:59856"))
            .expect("row of stream 0");
        let row1 = lines
            .iter()
            .position(|l| l.contains("141.142.228.5:59857"))
            .expect("row of stream 1");
        assert!(row0 < row1, "stream order");
        let cells: Vec<&str> = lines[row0]
            .split('|')
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .collect();
        assert_eq!(
            cells,
            vec![
                "0",
                "141.142.228.5:59856",
                "192.150.187.43:80",
                "7",
                "610",
                "7",
                "5477",
                "14",
                "6087",
                "0.000000",
                "0.2116",
                "complete",
                "HTTP\\x1b",
            ]
        );
        assert!(lines[row1].contains("5.000000"));
        assert!(!text.contains('\x1b'));
    }

    #[test]
    fn narrow_terminal_one_block_per_stream() {
        let a = summary(0, 59856, 100);
        let b = summary(1, 59857, 105);
        let rows = [
            ConversationRow {
                summary: &a,
                protocol: "HTTP",
            },
            ConversationRow {
                summary: &b,
                protocol: "TLS",
            },
        ];
        let mut out = Vec::new();
        write_conversations_to(&mut out, &rows, None, 60, Borders::Ascii).expect("vec");
        let text = String::from_utf8(out).expect("utf8");
        assert!(text.lines().all(|l| l.chars().count() <= 60), "{text}");
        assert!(
            text.contains("\nStream 0\n") && text.contains("\nStream 1\n"),
            "{text}"
        );
        assert!(
            text.contains("| A (client)  | 141.142.228.5:59856 |"),
            "{text}"
        );
    }

    #[test]
    fn json_record_for_one_stream() {
        let s = summary(0, 59856, 100);
        let line = crate::render::json::conversation(&crate::event::SessionClose {
            transport: crate::flow::Transport::Tcp,
            summary: s,
            protocol: Some("HTTP"),
            capture_start: Some(Timestamp::new(99, 0)),
        })
        .expect("serialise");
        let v: serde_json::Value = serde_json::from_slice(&line).expect("JSON");
        assert_eq!(v["type"], "conversation");
        assert_eq!(v["session"], 0);
        assert_eq!(v["transport"], "tcp");
        assert_eq!(v["src_ip"], "141.142.228.5");
        assert_eq!(v["src_port"], 59856);
        assert_eq!(v["dst_ip"], "192.150.187.43");
        assert_eq!(v["dst_port"], 80);
        assert_eq!(v["start"], "1970-01-01T00:01:40.000000000Z");
        assert_eq!(v["bytes_to_client"], 5477);
        assert_eq!(v["packets_to_server"], 7);
        assert_eq!(v["state"], "complete");
        assert_eq!(v["close_reason"], "fin");
        assert_eq!(v["rel_start"], 1.0);
        assert_eq!(v["protocol"], "HTTP");
    }
}
