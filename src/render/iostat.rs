//! `-z io,stat,INTERVAL[,COLUMN…]`: frames and bytes per time interval, printed in tshark
//! 4.0's text layout (its widths, its `Dur` row, its rounding of the duration and the
//! places where its header lines are not aligned), as `tshark -n -q -z io,stat,…` prints
//! relative intervals.
//!
//! A column is `FILTER` (frames and bytes of the frames it matches, in -Y's language), an
//! empty field (every frame), `FRAMES()FILTER` or `BYTES()FILTER`. Counts are kept per
//! interval that has frames (a bucket), so a long capture with a short interval holds no
//! more buckets than frames; empty intervals are printed from the gaps.

use std::io::{self, Write};

use crate::display::Filter;
use crate::present::escape::escape_str;

/// What a column counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColKind {
    /// Frames and bytes (a bare filter or an empty field).
    FramesBytes,
    /// `FRAMES()`: frames only.
    Frames,
    /// `BYTES()`: bytes only.
    Bytes,
}

/// One column as given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColSpec {
    pub kind: ColKind,
    /// The field as typed (trimmed), shown on the `Col` lines; `None` for an empty field.
    pub label: Option<String>,
    /// The filter part (after `FRAMES()`/`BYTES()`), when not empty.
    pub filter: Option<String>,
}

/// A parsed `io,stat` argument.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IoStatSpec {
    /// The interval in microseconds; `u64::MAX` for 0 (the whole capture).
    pub interval: u64,
    /// Decimal places the interval is shown with.
    pub prec: u32,
    pub cols: Vec<ColSpec>,
}

const USAGE: &str = "io,stat,INTERVAL[,FILTER|FRAMES()FILTER|BYTES()FILTER]...";

impl IoStatSpec {
    /// Parse what follows `io,stat,` (the error is one line, without the `-z ARG:` head).
    pub fn parse(rest: &str) -> Result<IoStatSpec, String> {
        let bad = || format!("expected {USAGE}");
        if rest.is_empty() || rest.ends_with(',') {
            return Err(bad());
        }
        let (num, cols) = match rest.split_once(',') {
            Some((n, c)) => (n, Some(c)),
            None => (rest, None),
        };
        let secs: f64 = num.trim().parse().map_err(|_| bad())?;
        if !secs.is_finite() || secs < 0.0 {
            return Err(format!(
                "{}: the interval is a number of seconds >= 0",
                escape_str(num)
            ));
        }
        let (interval, prec) = if secs == 0.0 {
            (u64::MAX, 0)
        } else {
            let us = secs * 1_000_000.0 + 0.5;
            if us < 1.0 || us >= u64::MAX as f64 {
                return Err(format!(
                    "{}: the interval is at least 0.000001 seconds, or 0 for the whole capture",
                    escape_str(num)
                ));
            }
            let us = us as u64;
            (us, interval_prec(us, num, cols.is_some()))
        };
        let cols = match cols {
            None => vec![ColSpec {
                kind: ColKind::FramesBytes,
                label: None,
                filter: None,
            }],
            Some(c) => c.split(',').map(ColSpec::parse).collect::<Result<_, _>>()?,
        };
        Ok(IoStatSpec {
            interval,
            prec,
            cols,
        })
    }
}

/// tshark's interval precision: the decimal places the microseconds need, or, for a whole
/// number written with a decimal point, the digits written after it (six when no column
/// follows, as tshark 4.0 reads past the argument then).
fn interval_prec(us: u64, text: &str, more: bool) -> u32 {
    let mut prec = 6;
    let mut div = 10;
    while div < 10_000_000 && us % div == 0 {
        prec -= 1;
        div *= 10;
    }
    if prec == 0 {
        if let Some((_, frac)) = text.split_once('.') {
            if !more {
                return 6;
            }
            if !frac.is_empty() {
                return frac.len().min(6) as u32;
            }
        }
    }
    prec
}

impl ColSpec {
    fn parse(field: &str) -> Result<ColSpec, String> {
        let field = field.trim();
        if field.is_empty() {
            return Ok(ColSpec {
                kind: ColKind::FramesBytes,
                label: None,
                filter: None,
            });
        }
        let (kind, filter) = if let Some(f) = field.strip_prefix("FRAMES()") {
            (ColKind::Frames, f)
        } else if let Some(f) = field.strip_prefix("BYTES()") {
            (ColKind::Bytes, f)
        } else if let Some(func) = [
            "COUNT(", "SUM(", "MIN(", "MAX(", "AVG(", "LOAD(", "FRAMES(", "BYTES(",
        ]
        .into_iter()
        .find(|p| field.starts_with(p))
        {
            return Err(format!(
                "{}: squirrel-sniff's io,stat has no {}) columns (it counts FILTER, FRAMES()FILTER \
                 and BYTES()FILTER)",
                escape_str(field),
                func
            ));
        } else {
            (ColKind::FramesBytes, field)
        };
        let filter = filter.trim();
        let filter = if filter.is_empty() {
            None
        } else {
            crate::display::compile(filter)
                .map_err(|e| format!("{}: {}", escape_str(filter), e))?;
            Some(filter.to_string())
        };
        Ok(ColSpec {
            kind,
            label: Some(field.to_string()),
            filter,
        })
    }
}

/// Frames and bytes of one interval.
#[derive(Debug, Clone, Copy, Default)]
struct Cell {
    frames: u64,
    bytes: u64,
}

/// One column's counts: its buckets (interval index, counts) in increasing index.
#[derive(Debug, Clone)]
struct Column {
    spec: ColSpec,
    filter: Option<Filter>,
    buckets: Vec<(u64, Cell)>,
    /// The interval frames are counted in now (tshark drops a frame earlier than it).
    current: u64,
}

/// One `io,stat` table being counted.
#[derive(Debug, Clone)]
pub struct IoStat {
    interval: u64,
    prec: u32,
    cols: Vec<Column>,
}

/// What every `io,stat` table shares: the capture's duration (the largest time since the
/// first frame) and the last time a column counted (tshark counts a frame earlier than the
/// first one at that time).
#[derive(Debug, Clone, Copy, Default)]
pub struct Clock {
    /// Nanoseconds.
    pub elapsed: i128,
    /// Microseconds.
    pub last: u64,
}

impl IoStat {
    pub fn new(spec: &IoStatSpec) -> IoStat {
        let cols = spec
            .cols
            .iter()
            .map(|c| Column {
                spec: c.clone(),
                // Compiled when the argument was parsed.
                filter: c
                    .filter
                    .as_deref()
                    .and_then(|f| crate::display::compile(f).ok()),
                buckets: Vec::new(),
                current: 0,
            })
            .collect();
        IoStat {
            interval: spec.interval,
            prec: spec.prec,
            cols,
        }
    }

    /// Buckets held (for the memory budget).
    pub fn rows(&self) -> usize {
        self.cols.iter().map(|c| c.buckets.len()).sum()
    }

    /// Count a frame `rel` nanoseconds after the first one, `len` bytes on the wire.
    pub fn frame(
        &mut self,
        view: &crate::event::FrameView<'_>,
        rel: i128,
        clock: &mut Clock,
        room: &mut usize,
        dropped: &mut u64,
    ) {
        for col in &mut self.cols {
            if let Some(f) = &col.filter {
                if !f.matches(view) {
                    continue;
                }
            }
            let us = if rel >= 0 {
                let secs = (rel / 1_000_000_000) as u64;
                let nanos = (rel % 1_000_000_000) as u64;
                let us = secs
                    .saturating_mul(1_000_000)
                    .saturating_add((nanos + 500) / 1000);
                clock.last = us;
                us
            } else {
                clock.last
            };
            if us < col.current.saturating_mul(self.interval) {
                continue;
            }
            let idx = us / self.interval;
            col.current = idx;
            let cell = match col.buckets.last_mut() {
                Some((i, c)) if *i == idx => c,
                _ if *room > 0 => {
                    *room -= 1;
                    col.buckets.push((idx, Cell::default()));
                    match col.buckets.last_mut() {
                        Some((_, c)) => c,
                        None => continue,
                    }
                }
                _ => {
                    *dropped += 1;
                    continue;
                }
            };
            cell.frames += 1;
            cell.bytes += u64::from(view.len);
        }
    }

    /// Print the table as tshark 4.0 does.
    pub fn write<W: Write>(&self, w: &mut W, clock: &Clock) -> io::Result<()> {
        let mut out: Vec<u8> = Vec::with_capacity(4096);
        self.layout(&mut out, clock, w)?;
        w.write_all(&out)
    }

    fn layout<W: Write>(&self, out: &mut Vec<u8>, clock: &Clock, w: &mut W) -> io::Result<()> {
        const US: u64 = 1_000_000;
        let elapsed = clock.elapsed.max(0);
        let mut duration = ((elapsed / 1_000_000_000) as u64)
            .saturating_mul(US)
            .saturating_add(((elapsed % 1_000_000_000) as u64 + 500) / 1000);
        let unrounded = duration;
        let whole = self.interval > duration;
        let mut interval = if whole { duration } else { self.interval };
        // The format width: the duration's digits before it is rounded.
        let width = magnitude(duration / US, 5);
        let invl_mag = magnitude(interval / US, 5);
        let (prec, mut borderlen) = if interval == duration {
            let prec = match width {
                w if w >= 2 => 1,
                1 => 3,
                _ => 6,
            };
            (prec, 30 + width + prec + 1)
        } else {
            let p = self.prec;
            (p, 25 + invl_mag.max(width) + if p == 0 { 0 } else { p + 1 })
        };
        let dv = US / 10u64.pow(prec);
        if duration % dv > 5 * (dv / 10) {
            duration = (duration + 5 * (dv / 10)) / dv * dv;
        }
        let dur_mag = magnitude(duration / US, 5);
        if whole {
            interval = duration;
        }
        let invl_col_w = if prec == 0 {
            2 * dur_mag + 8
        } else {
            2 * dur_mag + 2 * prec + 10
        }
        .max(12);

        // Column widths: (frames, values) without padding and borders.
        let widths: Vec<(u32, u32)> = self
            .cols
            .iter()
            .map(|c| {
                let max_frames = c.buckets.iter().map(|b| b.1.frames).max().unwrap_or(0);
                let max_bytes = c.buckets.iter().map(|b| b.1.bytes).max().unwrap_or(0);
                (
                    magnitude(max_frames, 15).max(6),
                    magnitude(max_bytes, 15).max(5),
                )
            })
            .collect();
        let tabrow_w = invl_col_w
            + self
                .cols
                .iter()
                .zip(&widths)
                .map(|(c, (fr, val))| match c.spec.kind {
                    ColKind::FramesBytes => fr + val + 6,
                    ColKind::Frames => fr + 3,
                    ColKind::Bytes => val + 3,
                })
                .sum::<u32>();
        borderlen = borderlen.max(tabrow_w);
        let labels: Vec<Option<String>> = self
            .cols
            .iter()
            .map(|c| c.spec.label.as_deref().map(escape_str))
            .collect();
        let maxfltr_w = labels
            .iter()
            .map(|l| l.as_ref().map_or(26, |l| l.len() as u32 + 11))
            .max()
            .unwrap_or(0);
        if maxfltr_w > borderlen && borderlen < 102 {
            borderlen = maxfltr_w.min(102);
        }
        if borderlen == tabrow_w + 1 {
            borderlen += 1;
        }
        let b = borderlen as usize;
        let sp = |n: u32| " ".repeat(n as usize);

        // The header box.
        writeln!(out)?;
        writeln!(out, "{}", "=".repeat(b))?;
        writeln!(out, "| IO Statistics{}|", sp(borderlen - 16))?;
        writeln!(out, "|{}|", sp(borderlen - 2))?;
        let wd = width as usize;
        let p = prec as usize;
        if prec == 0 {
            writeln!(
                out,
                "| Duration: {:>wd$}.{:>6} secs{}|",
                unrounded / US,
                unrounded % US,
                sp(borderlen.saturating_sub(25 + dur_mag))
            )?;
            writeln!(
                out,
                "| Interval: {:>wd$} secs{}|",
                interval / US,
                sp(borderlen.saturating_sub(18 + dur_mag))
            )?;
        } else {
            let pad = sp(borderlen.saturating_sub(19 + dur_mag + prec));
            writeln!(
                out,
                "| Duration: {:>wd$}.{:0p$} secs{pad}|",
                duration / US,
                (duration % US) / dv
            )?;
            writeln!(
                out,
                "| Interval: {:>wd$}.{:0p$} secs{pad}|",
                interval / US,
                (interval % US) / dv
            )?;
        }
        writeln!(out, "|{}|", sp(borderlen - 2))?;
        for (j, label) in labels.iter().enumerate() {
            let head = if j == 0 { "| Col" } else { "|    " };
            write!(out, "{head}{:>2}: ", j + 1)?;
            match label {
                None => writeln!(out, "Frames and bytes{}|", sp(borderlen - 26))?,
                Some(l) => write_wrapped(out, l.as_bytes(), borderlen)?,
            }
        }
        writeln!(out, "|-{}|", "-".repeat(b - 3))?;

        // The column heads.
        let filler = if tabrow_w < borderlen {
            format!("{}|", sp(borderlen - tabrow_w - 1))
        } else {
            String::new()
        };
        write!(out, "|{}|", sp(invl_col_w - 2))?;
        for (j, (c, (fr, val))) in self.cols.iter().zip(&widths).enumerate() {
            let n = match c.spec.kind {
                ColKind::FramesBytes => fr + val + 3,
                ColKind::Frames => *fr,
                ColKind::Bytes => *val,
            };
            write!(out, "{:<2}{}|", j + 1, sp(n))?;
        }
        writeln!(out, "{filler}")?;
        write!(out, "| Interval{}|", sp(invl_col_w - 11))?;
        for (c, (fr, val)) in self.cols.iter().zip(&widths) {
            match c.spec.kind {
                ColKind::FramesBytes => {
                    center(out, "Frames", *fr)?;
                    center(out, "Bytes", *val)?;
                }
                ColKind::Frames => center(out, "FRAMES", *fr)?,
                ColKind::Bytes => center(out, "BYTES", *val)?,
            }
        }
        writeln!(out, "{filler}")?;
        writeln!(out, "|-{}|{filler}", "-".repeat(tabrow_w as usize - 3))?;

        // The rows: one per interval up to the (rounded) duration; the last one ends there.
        let mut next: Vec<usize> = vec![0; self.cols.len()];
        let mut t: u64 = 0;
        let mut row: u64 = 0;
        let dm = dur_mag;
        while t < duration {
            let mut end = t.saturating_add(interval);
            let last = end >= duration;
            if last {
                end = duration;
            }
            if prec == 0 {
                if last {
                    let maxw = if dm >= 3 { dm as usize + 1 } else { 3 };
                    let lead = if dm == 1 { " " } else { "" };
                    write!(out, "| {lead}{:>wd$} <> {:<maxw$}|", t / US, "Dur")?;
                } else if dm == 1 {
                    write!(out, "|  {:>wd$} <> {:>wd$}  |", t / US, end / US)?;
                } else {
                    write!(out, "| {:>wd$} <> {:>wd$} |", t / US, end / US)?;
                }
            } else {
                write!(
                    out,
                    "| {:>wd$}.{:0p$} <> {:>wd$}.{:0p$} |",
                    t / US,
                    (t % US) / dv,
                    end / US,
                    (end % US) / dv
                )?;
            }
            for ((c, (fr, val)), at) in self.cols.iter().zip(&widths).zip(next.iter_mut()) {
                while c.buckets.get(*at).is_some_and(|b| b.0 < row) {
                    *at += 1;
                }
                let cell = match c.buckets.get(*at) {
                    Some((i, cell)) if *i == row => *cell,
                    _ => Cell::default(),
                };
                let (fr, val) = (*fr as usize, *val as usize);
                match c.spec.kind {
                    ColKind::FramesBytes => {
                        write!(out, " {:>fr$} | {:>val$} |", cell.frames, cell.bytes)?
                    }
                    ColKind::Frames => write!(out, " {:>fr$} |", cell.frames)?,
                    ColKind::Bytes => write!(out, " {:>val$} |", cell.bytes)?,
                }
            }
            writeln!(out, "{filler}")?;
            if out.len() >= 1 << 16 {
                w.write_all(out)?;
                out.clear();
            }
            if last {
                break;
            }
            t = end;
            row += 1;
        }
        writeln!(out, "{}", "=".repeat(b))
    }
}

/// Digits of `val`, at most `max`.
fn magnitude(mut val: u64, max: u32) -> u32 {
    let mut mag = 0;
    while mag < max {
        mag += 1;
        val /= 10;
        if val == 0 {
            break;
        }
    }
    mag
}

/// A column's label centred over `width` (tshark's placement: the odd space on the left).
fn center(out: &mut Vec<u8>, label: &str, width: u32) -> io::Result<()> {
    let extra = width.saturating_sub(label.len() as u32);
    let side = extra / 2 + 1;
    // tshark prints no label when it would be more than five spaces from the border.
    if side > 5 {
        return Ok(());
    }
    let right = " ".repeat(side as usize);
    let left = if extra % 2 == 0 {
        right.clone()
    } else {
        format!("{right} ")
    };
    write!(out, "{left}{label}{right}|")
}

/// A column's filter after `| Col N: `, wrapped at the last space that fits the box.
fn write_wrapped(out: &mut Vec<u8>, mut text: &[u8], borderlen: u32) -> io::Result<()> {
    let b = borderlen as usize;
    let max_w = b.saturating_sub(11).max(1);
    while text.len() + 11 > b && text.len() > max_w {
        let head = text.get(..max_w).unwrap_or(text);
        let (len, next) = match head.iter().rposition(|&c| c == b' ') {
            Some(pos) => (pos, pos + 1),
            None => (max_w, max_w),
        };
        out.extend_from_slice(text.get(..len).unwrap_or(text));
        writeln!(out, "{}|", " ".repeat(b.saturating_sub(len + 10)))?;
        out.extend_from_slice(b"|        ");
        text = text.get(next..).unwrap_or_default();
    }
    out.extend_from_slice(text);
    writeln!(out, "{}|", " ".repeat(b.saturating_sub(text.len() + 10)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intervals_and_precision_as_tshark() {
        let p = |s: &str| IoStatSpec::parse(s).map(|s| (s.interval, s.prec));
        assert_eq!(p("0"), Ok((u64::MAX, 0)));
        assert_eq!(p("1"), Ok((1_000_000, 0)));
        assert_eq!(p("0.1"), Ok((100_000, 1)));
        assert_eq!(p("1e-1"), Ok((100_000, 1)));
        assert_eq!(p("2.50"), Ok((2_500_000, 1)));
        assert_eq!(p("1.00,udp"), Ok((1_000_000, 2)));
        assert_eq!(p("1.0"), Ok((1_000_000, 6)));
        assert_eq!(p("0.001"), Ok((1000, 3)));
        for bad in [
            "",
            "1,",
            "abc",
            "-1",
            "0.0000001",
            "1,COUNT(tcp.len)tcp",
            "1,tcp ==",
        ] {
            let e = IoStatSpec::parse(bad).expect_err(bad);
            assert!(!e.contains('\n'), "{e}");
        }
        let s = IoStatSpec::parse("1,,FRAMES()udp,BYTES()tcp, tcp ").expect("parses");
        let kinds: Vec<_> = s.cols.iter().map(|c| (c.kind, c.filter.clone())).collect();
        assert_eq!(
            kinds,
            vec![
                (ColKind::FramesBytes, None),
                (ColKind::Frames, Some("udp".into())),
                (ColKind::Bytes, Some("tcp".into())),
                (ColKind::FramesBytes, Some("tcp".into())),
            ]
        );
    }

    #[test]
    fn labels_centred_as_tshark() {
        let c = |l: &str, w: u32| {
            let mut v = Vec::new();
            center(&mut v, l, w).expect("vec");
            String::from_utf8(v).expect("ascii")
        };
        assert_eq!(c("Frames", 6), " Frames |");
        assert_eq!(c("Bytes", 6), "  Bytes |");
        assert_eq!(c("Frames", 8), "  Frames  |");
        assert_eq!(c("Bytes", 15), "");
        assert_eq!(magnitude(0, 5), 1);
        assert_eq!(magnitude(156_752_752, 5), 5);
    }
}
