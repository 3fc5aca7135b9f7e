//! Output of `squirrel-sniff info`: capinfos-style aligned text, or one JSON object per file.

use std::io::{self, Write};

use serde_json::json;

use crate::capture::file::FileFormat;
use crate::capture::info::CaptureInfo;
use crate::capture::linktype;
use crate::capture::Timestamp;
use crate::present::time::date_time;

/// Width of the label column (capinfos aligns values at column 22).
const LABEL: usize = 21;

/// The long, capinfos-like name of the file type.
pub fn file_type_name(info: &CaptureInfo) -> &'static str {
    match (info.format, info.nanosecond) {
        (FileFormat::Pcap, false) => "Wireshark/tcpdump/... - pcap",
        (FileFormat::Pcap, true) => "Wireshark/tcpdump/... - nanosecond pcap",
        (FileFormat::Pcapng, _) => "Wireshark/... - pcapng",
    }
}

/// Short file type for JSON: `pcap`, `pcap-ns` (nanosecond libpcap) or `pcapng`.
fn file_type_short(info: &CaptureInfo) -> &'static str {
    match (info.format, info.nanosecond) {
        (FileFormat::Pcap, false) => "pcap",
        (FileFormat::Pcap, true) => "pcap-ns",
        (FileFormat::Pcapng, _) => "pcapng",
    }
}

fn byte_order(info: &CaptureInfo) -> &'static str {
    if info.big_endian {
        "big-endian"
    } else {
        "little-endian"
    }
}

fn precision(info: &CaptureInfo) -> &'static str {
    if info.nanosecond {
        "nanoseconds (9)"
    } else {
        "microseconds (6)"
    }
}

/// Calendar parts of a timestamp in UTC, `None` when out of the representable range.
fn utc_parts(ts: Timestamp) -> Option<time::OffsetDateTime> {
    time::OffsetDateTime::from_unix_timestamp(ts.secs).ok()
}

fn fraction(ts: Timestamp, digits: usize) -> String {
    crate::present::time::fraction(ts.nanos, digits >= 9)
}

/// `2026-11-22 19:43:13.047528` (capinfos' style, in UTC), with 6 or 9 fraction digits.
pub fn capinfos_time(ts: Timestamp, digits: usize) -> String {
    match utc_parts(ts) {
        Some(t) => format!("{}.{}", date_time(&t, ' '), fraction(ts, digits)),
        None => format!("{}.{} (seconds since 1970)", ts.secs, fraction(ts, digits)),
    }
}

/// `2026-11-22T19:43:13.047528Z` (RFC 3339, UTC), with 6 or 9 fraction digits.
pub fn rfc3339_time(ts: Timestamp, digits: usize) -> Option<String> {
    let t = utc_parts(ts)?;
    Some(format!("{}.{}Z", date_time(&t, 'T'), fraction(ts, digits)))
}

fn line<W: Write>(w: &mut W, label: &str, value: impl std::fmt::Display) -> io::Result<()> {
    writeln!(w, "{:<width$}{value}", format!("{label}:"), width = LABEL)
}

fn or_na(v: Option<f64>, unit: &str) -> String {
    v.map(|x| format!("{x:.2} {unit}"))
        .unwrap_or_else(|| "n/a".to_string())
}

/// The capinfos-style report of one file. Several files: the caller writes a blank line
/// between reports, as capinfos does.
pub fn write_text<W: Write>(w: &mut W, info: &CaptureInfo) -> io::Result<()> {
    let digits = info.time_digits();
    line(
        w,
        "File name",
        super::escape::escape_str(&info.path.display().to_string()),
    )?;
    line(w, "File type", file_type_name(info))?;
    match info.encapsulation() {
        Some(link) => line(w, "File encapsulation", linktype::name(link))?,
        None => {
            line(w, "File encapsulation", "Per packet")?;
            writeln!(w, "Encapsulation in use by packets (# of pkts):")?;
            for l in &info.links {
                writeln!(w, "{:LABEL$}{} ({})", "", linktype::name(l.link), l.packets)?;
            }
        }
    }
    writeln!(w, "File timestamp precision:  {}", precision(info))?;
    line(w, "Byte order", byte_order(info))?;
    // pcap has one limit in the file header; pcapng one per interface (the first is shown).
    let source = if info.format == FileFormat::Pcapng {
        "interface #0"
    } else {
        "file hdr"
    };
    match info.snaplen {
        Some(n) => line(w, "Packet size limit", format!("{source}: {n} bytes"))?,
        None => line(w, "Packet size limit", format!("{source}: (not set)"))?,
    }
    match info.inferred_snaplen {
        Some((lo, hi)) if lo == hi => {
            line(w, "Packet size limit", format!("inferred: {lo} bytes"))?
        }
        Some((lo, hi)) => line(
            w,
            "Packet size limit",
            format!("inferred: {lo} bytes - {hi} bytes (range)"),
        )?,
        None => {}
    }
    line(w, "Number of packets", info.packets)?;
    line(w, "File size", format!("{} bytes", info.file_size))?;
    line(w, "Data size", format!("{} bytes", info.data_size))?;
    line(w, "Captured size", format!("{} bytes", info.captured_size))?;
    match info.duration() {
        Some(d) => line(w, "Capture duration", format!("{d:.digits$} seconds"))?,
        None => line(w, "Capture duration", "n/a")?,
    }
    let time = |t: Option<Timestamp>| {
        t.map(|t| format!("{} UTC", capinfos_time(t, digits)))
            .unwrap_or_else(|| "n/a".into())
    };
    line(w, "First packet time", time(info.earliest))?;
    line(w, "Last packet time", time(info.latest))?;
    line(
        w,
        "Data byte rate",
        or_na(info.data_byte_rate(), "bytes/sec"),
    )?;
    line(w, "Data bit rate", or_na(info.data_bit_rate(), "bits/sec"))?;
    line(
        w,
        "Average packet size",
        format!("{:.2} bytes", info.average_packet_size()),
    )?;
    line(
        w,
        "Average packet rate",
        or_na(info.average_packet_rate(), "packets/sec"),
    )?;
    line(w, "SHA256", &info.sha256)?;
    line(
        w,
        "Strict time order",
        if info.strict_time_order {
            "True"
        } else {
            "False"
        },
    )?;
    if let Some(e) = &info.error {
        line(w, "Read error", e)?;
    }
    Ok(())
}

/// One JSON object with the same facts (numbers unrounded, times RFC 3339 UTC).
pub fn json(info: &CaptureInfo) -> serde_json::Value {
    let digits = info.time_digits();
    let time = |t: Option<Timestamp>| t.and_then(|t| rfc3339_time(t, digits));
    json!({
        "file": info.path.display().to_string(),
        "file_type": file_type_short(info),
        "file_type_name": file_type_name(info),
        "version": format!("{}.{}", info.version.0, info.version.1),
        "byte_order": byte_order(info),
        "timestamp_precision": if info.nanosecond { "nanoseconds" } else { "microseconds" },
        "encapsulation": info.encapsulation().map(linktype::name).unwrap_or_else(|| "Per packet".to_string()),
        "link_types": info.links.iter().map(|l| json!({
            "link": l.link,
            "name": linktype::name(l.link),
            "packets": l.packets,
        })).collect::<Vec<_>>(),
        "snaplen": info.snaplen,
        "inferred_snaplen": info.inferred_snaplen.map(|(lo, hi)| json!({"min": lo, "max": hi})),
        "packets": info.packets,
        "file_size": info.file_size,
        "data_size": info.data_size,
        "captured_size": info.captured_size,
        "duration": info.duration(),
        "first_packet_time": time(info.earliest),
        "last_packet_time": time(info.latest),
        "first_packet_epoch": info.earliest.map(|t| t.as_f64()),
        "last_packet_epoch": info.latest.map(|t| t.as_f64()),
        "data_byte_rate": info.data_byte_rate(),
        "data_bit_rate": info.data_bit_rate(),
        "average_packet_size": info.average_packet_size(),
        "average_packet_rate": info.average_packet_rate(),
        "sha256": info.sha256,
        "strict_time_order": info.strict_time_order,
        "error": info.error.as_ref().map(|e| e.to_string()),
    })
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;
    use crate::capture::info::LinkCount;

    fn sample() -> CaptureInfo {
        CaptureInfo {
            path: PathBuf::from("captures/squirrel-http.pcap"),
            format: FileFormat::Pcap,
            nanosecond: false,
            big_endian: false,
            version: (2, 4),
            snaplen: Some(262_144),
            inferred_snaplen: None,
            header_link: Some(1),
            links: vec![LinkCount {
                link: 1,
                packets: 12,
            }],
            packets: 12,
            file_size: 1354,
            data_size: 1138,
            captured_size: 1138,
            earliest: Some(Timestamp::new(1_795_376_593, 47_528_000)),
            latest: Some(Timestamp::new(1_795_376_593, 50_886_000)),
            strict_time_order: true,
            sha256: "7f550eded67590091bd9367dfffed48a00befc29352542f10642cbddabf375d2".into(),
            error: None,
        }
    }

    fn text(i: &CaptureInfo) -> String {
        let mut out = Vec::new();
        write_text(&mut out, i).expect("write to a Vec");
        String::from_utf8(out).unwrap_or_default()
    }

    #[test]
    fn text_matches_capinfos_layout_and_numbers() {
        let t = text(&sample());
        let expect = [
            "File name:           captures/squirrel-http.pcap",
            "File type:           Wireshark/tcpdump/... - pcap",
            "File encapsulation:  Ethernet",
            "File timestamp precision:  microseconds (6)",
            "Byte order:          little-endian",
            "Packet size limit:   file hdr: 262144 bytes",
            "Number of packets:   12",
            "File size:           1354 bytes",
            "Data size:           1138 bytes",
            "Captured size:       1138 bytes",
            "Capture duration:    0.003358 seconds",
            "First packet time:   2026-11-22 19:43:13.047528 UTC",
            "Last packet time:    2026-11-22 19:43:13.050886 UTC",
            // capinfos -M prints exactly these for this capture.
            "Data byte rate:      338903.58 bytes/sec",
            "Data bit rate:       2711228.60 bits/sec",
            "Average packet size: 94.83 bytes",
            "Average packet rate: 3573.68 packets/sec",
            "SHA256:              7f550eded67590091bd9367dfffed48a00befc29352542f10642cbddabf375d2",
            "Strict time order:   True",
        ];
        assert_eq!(t.lines().collect::<Vec<_>>(), expect);
    }

    #[test]
    fn per_packet_encapsulation_and_inferred_limit() {
        let mut i = sample();
        i.format = FileFormat::Pcapng;
        i.links = vec![
            LinkCount {
                link: 1,
                packets: 6,
            },
            LinkCount {
                link: 0,
                packets: 2,
            },
        ];
        i.snaplen = None;
        i.inferred_snaplen = Some((96, 128));
        let t = text(&i);
        assert!(t.contains(
            "File encapsulation:  Per packet\nEncapsulation in use by packets (# of pkts):\n                     Ethernet (6)\n                     NULL/Loopback (2)\n"
        ), "{t}");
        assert!(t.contains("Packet size limit:   interface #0: (not set)\nPacket size limit:   inferred: 96 bytes - 128 bytes (range)\n"), "{t}");
        assert!(
            t.contains("File type:           Wireshark/... - pcapng\n"),
            "{t}"
        );
        let j = json(&i);
        assert_eq!(j["encapsulation"], "Per packet");
        assert_eq!(j["link_types"][1]["name"], "NULL/Loopback");
        assert_eq!(j["inferred_snaplen"]["max"], 128);
    }

    #[test]
    fn nanosecond_times_and_no_packets() {
        let mut i = sample();
        i.nanosecond = true;
        i.earliest = Some(Timestamp::new(1_418_145_369, 924_505_488));
        i.latest = Some(Timestamp::new(1_418_145_370, 52_115_157));
        let t = text(&i);
        assert!(
            t.contains("File type:           Wireshark/tcpdump/... - nanosecond pcap\n"),
            "{t}"
        );
        assert!(
            t.contains("Capture duration:    0.127609669 seconds\n"),
            "{t}"
        );
        assert!(
            t.contains("First packet time:   2014-12-09 17:16:09.924505488 UTC\n"),
            "{t}"
        );
        let j = json(&i);
        assert_eq!(j["file_type"], "pcap-ns");
        assert_eq!(j["first_packet_time"], "2014-12-09T17:16:09.924505488Z");

        i.packets = 0;
        i.earliest = None;
        i.latest = None;
        i.data_size = 0;
        let t = text(&i);
        assert!(
            t.contains("Capture duration:    n/a\nFirst packet time:   n/a\n"),
            "{t}"
        );
        assert!(t.contains("Data byte rate:      n/a\n"), "{t}");
        assert!(t.contains("Average packet size: 0.00 bytes\n"), "{t}");
        assert!(json(&i)["duration"].is_null());
    }

    #[test]
    fn json_has_the_numbers() {
        let j = json(&sample());
        assert_eq!(j["packets"], 12);
        assert_eq!(j["data_size"], 1138);
        assert_eq!(j["file_type"], "pcap");
        assert_eq!(j["first_packet_time"], "2026-11-22T19:43:13.047528Z");
        assert_eq!(
            j["sha256"],
            "7f550eded67590091bd9367dfffed48a00befc29352542f10642cbddabf375d2"
        );
        assert!(j["error"].is_null());
        let rate = j["data_byte_rate"].as_f64().unwrap_or(0.0);
        assert!((rate - 338_903.58).abs() < 0.01, "{rate}");
    }
}
