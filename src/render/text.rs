//! The text formats of frames: summary lines (default, `-x`, `-A`/`-X`), the layered tree
//! (`-V`, `-V -x`), and `-q` (nothing per frame).

use std::fmt::Write as _;
use std::io::{self, Write};

use super::frame::FrameView;
use super::{findings_node, hexdump, layers, payload, summary, timefmt, Format, TextOptions};
use crate::capture::Timestamp;
use crate::dissect::AppEvent;
use crate::findings::{Finding, Severity};

/// `-x`: after the frame's bytes, the IP datagram this frame completed from fragments (its
/// leaked bytes marked), then each TLS record this frame completed that was decrypted with
/// the session keys, as tshark prints its "Reassembled IPv4" and "Decrypted TLS" data
/// sources.
fn decrypted_dumps(
    w: &mut dyn Write,
    o: &TextOptions,
    f: &FrameView<'_>,
    blank_after: bool,
) -> io::Result<()> {
    if let Some(r) = &f.decoded.reassembled {
        if !blank_after {
            w.write_all(b"\n")?;
        }
        writeln!(w, "{} ({} bytes):", r.source_name(), r.data.len())?;
        hexdump::write_hex(w, &r.data, &r.data_ranges(f.highlights), o.pal)?;
        if blank_after {
            w.write_all(b"\n")?;
        }
    }
    for e in f.app {
        if let Some(t) = e.msg.tls() {
            if let Some(plain) = &t.plaintext {
                if !blank_after {
                    w.write_all(b"\n")?;
                }
                writeln!(w, "Decrypted TLS ({} bytes):", plain.len())?;
                hexdump::write_hex(w, plain, &[], o.pal)?;
                if blank_after {
                    w.write_all(b"\n")?;
                }
            }
        }
    }
    Ok(())
}

/// Findings under a summary line: `      ⚠ [high] secret_in_clear …`.
fn finding_lines(w: &mut dyn Write, o: &TextOptions, findings: &[Finding]) -> io::Result<()> {
    for x in findings.iter().filter(|x| x.severity >= Severity::Low) {
        let p = o.pal;
        let c = if x.severity >= Severity::High {
            p.red()
        } else {
            p.yellow()
        };
        writeln!(w, "      {c}⚠ {}{}", x.line(), p.reset())?;
    }
    Ok(())
}

/// The line of `--findings end` when more findings were raised than kept.
fn findings_cut_line(w: &mut dyn Write, dropped: u64) -> io::Result<()> {
    writeln!(
        w,
        "[{dropped} more findings not listed here (at most {} are kept); the report counts them all]",
        super::MAX_DEFERRED
    )
}

/// One summary line per frame (the default).
#[derive(Default)]
pub struct Lines {
    /// The previous displayed frame's time (`-t dd`).
    prev_displayed: Option<Timestamp>,
    /// The line being built, reused from frame to frame.
    text: String,
}

impl Lines {
    fn line(&mut self, w: &mut dyn Write, o: &TextOptions, f: &FrameView<'_>) -> io::Result<()> {
        let proto = summary::protocol(f);
        let p = o.pal;
        let times = timefmt::FrameTimes {
            ts: f.ts,
            relative: f.rel_time,
            delta: f.delta,
            delta_displayed: self.prev_displayed.map(|p| f.ts.since(p)).unwrap_or(0.0),
        };
        self.prev_displayed = Some(f.ts);
        let time = timefmt::format(o.time.0, &times, o.time.1);
        let s = &mut self.text;
        s.clear();
        let _ = write!(s, "{:>5} {time} ", f.number);
        summary::push_addresses(s, f, " → ");
        s.push(' ');
        s.push_str(p.bold());
        s.push_str(p.proto(&proto));
        s.push_str(&proto);
        s.push_str(p.reset());
        let _ = write!(s, " {} ", f.len);
        summary::push_info(s, f);
        s.push('\n');
        w.write_all(s.as_bytes())?;
        if s.capacity() > 1 << 16 {
            *s = String::new();
        }
        Ok(())
    }
}

impl Format for Lines {
    fn frame(&mut self, w: &mut dyn Write, o: &TextOptions, f: &FrameView<'_>) -> io::Result<()> {
        self.line(w, o, f)?;
        finding_lines(w, o, f.findings)?;
        payload::write(w, f, o.payload)?;
        if o.hex {
            hexdump::write_hex(w, f.data, f.highlights, o.pal)?;
            w.write_all(b"\n")?;
            decrypted_dumps(w, o, f, true)?;
        }
        Ok(())
    }

    /// Messages that only the end of the capture completed (e.g. a response whose body runs
    /// to the connection's close, never seen closing).
    fn end_of_capture(
        &mut self,
        w: &mut dyn Write,
        _o: &TextOptions,
        e: &AppEvent,
        _ts: Timestamp,
    ) -> io::Result<()> {
        if e.msg.http().is_none() {
            return Ok(());
        }
        writeln!(
            w,
            "    - [end of capture, stream {}] {} {}",
            e.stream,
            e.msg.protocol(),
            e.msg.info()
        )
    }

    fn findings(
        &mut self,
        w: &mut dyn Write,
        o: &TextOptions,
        findings: &[Finding],
        _ts: Option<Timestamp>,
    ) -> io::Result<()> {
        finding_lines(w, o, findings)
    }

    fn findings_cut(&mut self, w: &mut dyn Write, dropped: u64) -> io::Result<()> {
        findings_cut_line(w, dropped)
    }
}

/// `-V`: the layered tree of each frame (with `-x`, its bytes under it).
#[derive(Default)]
pub struct Tree {
    printed_any: bool,
}

impl Format for Tree {
    fn frame(&mut self, w: &mut dyn Write, o: &TextOptions, f: &FrameView<'_>) -> io::Result<()> {
        if self.printed_any {
            w.write_all(b"\n")?;
        }
        self.printed_any = true;
        for node in layers::frame_tree(f) {
            node.write_to(w, 0)?;
        }
        if !f.findings.is_empty() {
            findings_node(f.findings).write_to(w, 0)?;
        }
        if o.hex {
            w.write_all(b"\n")?;
            hexdump::write_hex(w, f.data, f.highlights, o.pal)?;
            decrypted_dumps(w, o, f, false)?;
        }
        Ok(())
    }

    fn end_of_capture(
        &mut self,
        w: &mut dyn Write,
        _o: &TextOptions,
        e: &AppEvent,
        _ts: Timestamp,
    ) -> io::Result<()> {
        writeln!(w, "\n[End of capture: completed in stream {}]", e.stream)?;
        e.msg.tree().write_to(w, 0)
    }

    fn findings(
        &mut self,
        w: &mut dyn Write,
        _o: &TextOptions,
        findings: &[Finding],
        _ts: Option<Timestamp>,
    ) -> io::Result<()> {
        if findings.is_empty() {
            Ok(())
        } else {
            findings_node(findings).write_to(w, 0)
        }
    }

    fn findings_cut(&mut self, w: &mut dyn Write, dropped: u64) -> io::Result<()> {
        findings_cut_line(w, dropped)
    }
}

/// `-q`: nothing per frame (the end-of-run outputs still print).
pub struct Quiet;

impl Format for Quiet {
    fn frame(&mut self, _: &mut dyn Write, _: &TextOptions, _: &FrameView<'_>) -> io::Result<()> {
        Ok(())
    }
    fn prints_frames(&self) -> bool {
        false
    }
}
