//! `-z io,stat,INTERVAL[,COLUMN…]`: frames and bytes per time interval, printed in tshark
//! 4.0's text layout (its widths, its `Dur` row, its rounding of the duration and the
//! places where its header lines are not aligned), as `tshark -n -q -z io,stat,…` prints
//! relative intervals.
//!
//! A column is `FILTER` (frames and bytes of the frames it matches, in -Y's language), an
//! empty field (every frame), `FRAMES()FILTER`, `BYTES()FILTER`, or a function of a field
//! over the frames the filter matches: `COUNT(f)`, `SUM(f)`, `MIN(f)`, `MAX(f)`, `AVG(f)`
//! (integers and times, as tshark's 64-bit counters wrap) and `LOAD(f)` (a relative time).
//! Counts are kept per interval that has frames (a bucket; LOAD keeps every interval, as it
//! reaches back), so a long capture with a short interval holds no more buckets than
//! frames; empty intervals are printed from the gaps. The rows printed are bounded by the
//! memory budget too (tshark holds one item per interval and column): past it the table
//! stops and stderr says so.

use std::io::{self, Write};

use crate::display::{FieldType, Filter, FrameFields, Value};
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
    /// `COUNT(field)`: how many times the field occurs.
    Count,
    /// `SUM(field)`.
    Sum,
    /// `MIN(field)`.
    Min,
    /// `MAX(field)`.
    Max,
    /// `AVG(field)`.
    Avg,
    /// `LOAD(field)`: a relative time spread back over the intervals it covers, per
    /// interval's length.
    Load,
}

impl ColKind {
    /// tshark's name of the function (its column head).
    fn name(self) -> &'static str {
        match self {
            ColKind::FramesBytes => "Frames and bytes",
            ColKind::Frames => "FRAMES",
            ColKind::Bytes => "BYTES",
            ColKind::Count => "COUNT",
            ColKind::Sum => "SUM",
            ColKind::Min => "MIN",
            ColKind::Max => "MAX",
            ColKind::Avg => "AVG",
            ColKind::Load => "LOAD",
        }
    }
}

/// The functions in the order tshark tries them on a column's text.
const FUNCS: [ColKind; 8] = [
    ColKind::Frames,
    ColKind::Bytes,
    ColKind::Count,
    ColKind::Sum,
    ColKind::Min,
    ColKind::Max,
    ColKind::Avg,
    ColKind::Load,
];

/// One column as given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColSpec {
    pub kind: ColKind,
    /// The field as typed (trimmed), shown on the `Col` lines; `None` for an empty field.
    pub label: Option<String>,
    /// The filter part (after `FRAMES()`/`BYTES()`/`SUM(f)`…), when not empty.
    pub filter: Option<String>,
    /// The field a function column reads (`SUM(frame.len)`), canonical name and type.
    pub field: Option<(&'static str, FieldType)>,
}

/// A parsed `io,stat` argument.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IoStatSpec {
    /// The interval in microseconds; `u64::MAX` for 0 (the whole capture).
    pub interval: u64,
    /// Decimal places the interval is shown with.
    pub prec: u32,
    pub cols: Vec<ColSpec>,
    /// The argument after `io,stat,`, as given.
    pub text: String,
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
                field: None,
            }],
            Some(c) => c.split(',').map(ColSpec::parse).collect::<Result<_, _>>()?,
        };
        Ok(IoStatSpec {
            interval,
            prec,
            cols,
            text: rest.to_string(),
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
                field: None,
            });
        }
        let mut kind = ColKind::FramesBytes;
        let mut filter = field;
        let mut read = None;
        let func = FUNCS.into_iter().find_map(|k| {
            let rest = field.strip_prefix(k.name())?.strip_prefix('(')?;
            Some((k, rest))
        });
        if let Some((k, rest)) = func {
            let Some((name, after)) = rest.split_once(')') else {
                return Err(format!(
                    "{}: closing parenthesis missing from calculated expression",
                    escape_str(field)
                ));
            };
            kind = k;
            filter = after;
            if matches!(k, ColKind::Frames | ColKind::Bytes) {
                if !name.is_empty() {
                    return Err(format!(
                        "{}: {} does not require or allow a field name within the parens",
                        escape_str(field),
                        k.name()
                    ));
                }
            } else {
                read = Some(field_for(k, name).map_err(|e| format!("{}: {e}", escape_str(field)))?);
            }
        }
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
            field: read,
        })
    }
}

/// The field a function reads, with tshark 4.0's rules for which types each accepts:
/// COUNT any field; SUM, MIN, MAX and AVG integers and times; LOAD relative times.
fn field_for(kind: ColKind, name: &str) -> Result<(&'static str, FieldType), String> {
    let func = kind.name();
    if name.is_empty() {
        return Err(format!("you didn't specify a field name for {func}(*)"));
    }
    let Some(def) = crate::display::fields::lookup(name) else {
        return Err(format!("there is no field named '{}'", escape_str(name)));
    };
    // Fields tshark types as a frame number (FT_FRAMENUM): not integral to it.
    let frame_ref = def.name.ends_with("_frame") || def.name.ends_with("_in");
    let integral = match def.ty {
        FieldType::Int => !frame_ref,
        FieldType::Signed | FieldType::Time => true,
        _ => false,
    };
    if kind == ColKind::Count {
        return Ok((def.name, def.ty));
    }
    if !integral {
        return Err(format!(
            "{} doesn't have integral values, so {func}(*) calculations are not supported on it",
            def.name
        ));
    }
    // tshark's frame.time_epoch is an absolute time.
    if kind == ColKind::Load && (def.ty != FieldType::Time || def.name == "frame.time_epoch") {
        return Err(
            "LOAD() is only supported for relative-time fields such as smb.time".to_string(),
        );
    }
    Ok((def.name, def.ty))
}

/// One interval of a column: frames, and tshark's counter (bytes, or the function's
/// running value: a wrapping 64-bit sum as tshark's, times in nanoseconds) with the number
/// of values it holds (for AVG).
#[derive(Debug, Clone, Copy, Default)]
struct Cell {
    frames: u64,
    counter: u64,
    num: u64,
}

/// One column's counts: its buckets (interval index, counts) in increasing index.
#[derive(Debug, Clone)]
struct Column {
    spec: ColSpec,
    filter: Option<Filter>,
    buckets: Vec<(u64, Cell)>,
    /// The interval frames are counted in now (tshark drops a frame earlier than it).
    current: u64,
    /// tshark's `max_vals`: the largest running value seen after any frame, which sets a
    /// function column's width (a MIN or AVG that later fell still counts).
    max_val: u64,
}

impl Column {
    /// Whether the column's field is a time (printed as seconds with six decimals).
    fn time(&self) -> bool {
        matches!(self.spec.field, Some((_, FieldType::Time)))
    }

    /// A function column takes in one frame's values of its field.
    fn take(&mut self, cell: &mut Cell, view: &crate::event::FrameView<'_>) {
        let Some((name, ty)) = self.spec.field else {
            return;
        };
        // A protocol (COUNT only) occurs once in a frame that has it.
        let values: Vec<u64> = if ty == FieldType::Protocol {
            if view.has(name) {
                vec![1]
            } else {
                Vec::new()
            }
        } else {
            view.values(name)
                .iter()
                .filter_map(|v| match v {
                    Value::Int(n) => Some(*n),
                    Value::Signed(n) => Some(*n as u64),
                    Value::Time(ns) => Some(*ns as i64 as u64),
                    // Addresses, text, flags: only COUNT takes them.
                    _ if self.spec.kind == ColKind::Count => Some(0),
                    _ => None,
                })
                .collect()
        };
        let signed = ty == FieldType::Signed;
        let first = cell.frames == 1;
        match self.spec.kind {
            ColKind::Count => cell.counter = cell.counter.wrapping_add(values.len() as u64),
            ColKind::Sum => {
                for v in &values {
                    cell.counter = cell.counter.wrapping_add(*v);
                }
            }
            ColKind::Min => {
                for (i, v) in values.iter().enumerate() {
                    let less = if signed {
                        (*v as i64) < (cell.counter as i64)
                    } else {
                        *v < cell.counter
                    };
                    if (first && i == 0) || less {
                        cell.counter = *v;
                    }
                }
            }
            ColKind::Max => {
                for v in &values {
                    let more = if signed {
                        (*v as i64) > (cell.counter as i64)
                    } else {
                        *v > cell.counter
                    };
                    if more {
                        cell.counter = *v;
                    }
                }
            }
            ColKind::Avg => {
                for v in &values {
                    cell.num += 1;
                    cell.counter = cell.counter.wrapping_add(*v);
                }
            }
            // Spread by the caller (it reaches earlier intervals).
            ColKind::Load | ColKind::FramesBytes | ColKind::Frames | ColKind::Bytes => {}
        }
        self.max_val = self.max_val.max(match self.spec.kind {
            ColKind::Avg if cell.num == 0 => 0,
            ColKind::Avg if ty == FieldType::Time => (cell.counter / cell.num + 500_000_000) / NS,
            ColKind::Avg => cell.counter / cell.num,
            _ => cell.counter,
        });
    }
}

/// LOAD: each value (a relative time, in whole microseconds) counts its part past the
/// last interval boundary in this interval and a whole interval in each one before, going
/// back as tshark does (before the first interval it goes on from the newest one). The
/// column's buckets are every interval from the first to `at`.
fn load(
    col: &mut Column,
    at: usize,
    cell: &mut Cell,
    view: &crate::event::FrameView<'_>,
    interval: u64,
) {
    let Some((name, _)) = col.spec.field else {
        return;
    };
    for v in view.values(name) {
        let Value::Time(ns) = v else { continue };
        let us = u64::try_from(ns.max(0) / 1000).unwrap_or(u64::MAX);
        let part = us % interval;
        cell.counter = cell.counter.wrapping_add(part);
        let steps = (us - part) / interval;
        if steps == 0 {
            continue;
        }
        // The cells walked back over, newest first: at-1, …, 0, then at, at-1, … again.
        let n = at as u64 + 1;
        let (rounds, extra) = (steps / n, steps % n);
        for k in 0..n.min(steps) {
            let idx = if k < at as u64 {
                at as u64 - 1 - k
            } else {
                at as u64
            };
            let times = rounds + u64::from(k < extra);
            let add = interval.wrapping_mul(times);
            if idx == at as u64 {
                cell.counter = cell.counter.wrapping_add(add);
            } else if let Some(b) = usize::try_from(idx)
                .ok()
                .and_then(|i| col.buckets.get_mut(i))
            {
                b.1.counter = b.1.counter.wrapping_add(add);
            }
        }
    }
    col.max_val = col.max_val.max(cell.counter);
}

const NS: u64 = 1_000_000_000;

const US: u64 = 1_000_000;

/// See [`IoStat::span`].
struct Span {
    unrounded: u64,
    duration: u64,
    interval: u64,
    width: u32,
    invl_mag: u32,
    prec: u32,
    dv: u64,
}

/// One `io,stat` table being counted.
#[derive(Debug, Clone)]
pub struct IoStat {
    interval: u64,
    prec: u32,
    cols: Vec<Column>,
    /// The argument after `io,stat,`, for the note when rows are cut.
    text: String,
    /// The rows (intervals) printed at most.
    max_rows: u64,
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
    /// A table printing at most `max_cells` intervals × columns.
    pub fn new(spec: &IoStatSpec, max_cells: usize) -> IoStat {
        let cols: Vec<Column> = spec
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
                max_val: 0,
            })
            .collect();
        let max_rows = (max_cells / cols.len().max(1)).max(1) as u64;
        IoStat {
            interval: spec.interval,
            prec: spec.prec,
            cols,
            text: spec.text.clone(),
            max_rows,
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
            // LOAD reaches back over every interval before this one, so its column keeps
            // them all (empty ones too), as tshark's does.
            if col.spec.kind == ColKind::Load {
                let from = col.buckets.last().map_or(0, |b| b.0 + 1);
                for i in from..=idx {
                    if *room == 0 {
                        break;
                    }
                    *room -= 1;
                    col.buckets.push((i, Cell::default()));
                }
            }
            let at = match col.buckets.last() {
                Some((i, _)) if *i == idx => col.buckets.len() - 1,
                _ if *room > 0 => {
                    *room -= 1;
                    col.buckets.push((idx, Cell::default()));
                    col.buckets.len() - 1
                }
                _ => {
                    *dropped += 1;
                    continue;
                }
            };
            let Some(mut cell) = col.buckets.get(at).map(|b| b.1) else {
                continue;
            };
            cell.frames += 1;
            cell.counter = match col.spec.kind {
                ColKind::FramesBytes | ColKind::Frames | ColKind::Bytes => {
                    cell.counter.wrapping_add(u64::from(view.len))
                }
                _ => cell.counter,
            };
            if col.spec.kind == ColKind::Load {
                load(col, at, &mut cell, view, self.interval);
            } else if col.spec.field.is_some() {
                col.take(&mut cell, view);
            }
            if let Some(b) = col.buckets.get_mut(at) {
                b.1 = cell;
            }
        }
    }

    /// Print the table as tshark 4.0 does.
    pub fn write<W: Write>(&self, w: &mut W, clock: &Clock) -> io::Result<()> {
        let mut out: Vec<u8> = Vec::with_capacity(4096);
        self.layout(&mut out, clock, w)?;
        w.write_all(&out)
    }

    /// The table's time frame as tshark sets it: the duration (its digits before rounding
    /// give the width), the interval (the duration when it is longer) and the precision.
    fn span(&self, clock: &Clock) -> Span {
        let elapsed = clock.elapsed.max(0);
        let mut duration = ((elapsed / 1_000_000_000) as u64)
            .saturating_mul(US)
            .saturating_add(((elapsed % 1_000_000_000) as u64 + 500) / 1000);
        let unrounded = duration;
        let whole = self.interval > duration;
        let mut interval = if whole { duration } else { self.interval };
        let width = magnitude(duration / US, 5);
        let invl_mag = magnitude(interval / US, 5);
        let prec = if interval == duration {
            match width {
                w if w >= 2 => 1,
                1 => 3,
                _ => 6,
            }
        } else {
            self.prec
        };
        let dv = US / 10u64.pow(prec);
        if duration % dv > 5 * (dv / 10) {
            duration = (duration + 5 * (dv / 10)) / dv * dv;
        }
        if whole {
            interval = duration;
        }
        Span {
            unrounded,
            duration,
            interval,
            width,
            invl_mag,
            prec,
            dv,
        }
    }

    /// The rows the table has (one per interval), and how many of them are printed: at
    /// most `max_rows` (the memory budget's share: tshark holds every interval of every
    /// column, so a tiny interval over a long capture would grow without bound).
    pub fn rows_printed(&self, clock: &Clock) -> (u64, u64) {
        let span = self.span(clock);
        let rows = span.duration.div_ceil(span.interval.max(1));
        (rows, rows.min(self.max_rows))
    }

    /// The stderr line when rows were cut, without the `squirrel-sniff: ` head.
    pub fn cut_note(&self, clock: &Clock) -> Option<String> {
        let (rows, printed) = self.rows_printed(clock);
        (printed < rows).then(|| {
            format!(
                "-z io,stat,{}: {rows} intervals, only the first {printed} printed (the memory budget, --max-total-buffer, allows {} intervals x columns)",
                escape_str(&self.text),
                self.max_rows.saturating_mul(self.cols.len() as u64)
            )
        })
    }

    fn layout<W: Write>(&self, out: &mut Vec<u8>, clock: &Clock, w: &mut W) -> io::Result<()> {
        let Span {
            unrounded,
            duration,
            interval,
            width,
            invl_mag,
            prec,
            dv,
        } = self.span(clock);
        let mut borderlen = if interval == duration {
            30 + width + prec + 1
        } else {
            25 + invl_mag.max(width) + if prec == 0 { 0 } else { prec + 1 }
        };
        let dur_mag = magnitude(duration / US, 5);
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
                let max_counter = c.buckets.iter().map(|b| b.1.counter).max().unwrap_or(0);
                let fr = magnitude(max_frames, 15).max(6);
                let val = match (c.spec.kind, c.time()) {
                    (ColKind::FramesBytes | ColKind::Frames | ColKind::Bytes, _) => {
                        magnitude(max_counter, 15).max(5)
                    }
                    (ColKind::Count, _) => magnitude(c.max_val, 15).max(5),
                    (ColKind::Load, _) => {
                        magnitude(c.max_val.checked_div(interval).unwrap_or(0), 15) + 7
                    }
                    (ColKind::Avg, true) => magnitude(c.max_val, 15) + 7,
                    (_, true) => magnitude(c.max_val.saturating_add(NS / 2) / NS, 15) + 7,
                    (k, false) => magnitude(c.max_val, 15).max(k.name().len() as u32),
                };
                (fr, val)
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
                    _ => val + 3,
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
                _ => *val,
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
                k => center(out, k.name(), *val)?,
            }
        }
        writeln!(out, "{filler}")?;
        writeln!(out, "|-{}|{filler}", "-".repeat(tabrow_w as usize - 3))?;

        // The rows: one per interval up to the (rounded) duration; the last one ends there.
        let mut next: Vec<usize> = vec![0; self.cols.len()];
        let mut t: u64 = 0;
        let mut row: u64 = 0;
        let dm = dur_mag;
        while t < duration && row < self.max_rows {
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
                        write!(out, " {:>fr$} | {:>val$} |", cell.frames, cell.counter)?
                    }
                    ColKind::Frames => write!(out, " {:>fr$} |", cell.frames)?,
                    ColKind::Bytes | ColKind::Count => write!(out, " {:>val$} |", cell.counter)?,
                    kind => {
                        let num = cell.num.max(1);
                        let secs_w = val.saturating_sub(7);
                        // tshark prints times as `%u.%06u` of C ints: seconds cut to 32 bits.
                        let time = |out: &mut Vec<u8>, whole: u64, frac: u64| {
                            write!(out, " {:>secs_w$}.{:06} |", whole as u32, frac as u32)
                        };
                        if kind == ColKind::Load {
                            let span = if last { end - t } else { interval };
                            match span {
                                0 => time(out, 0, 0)?,
                                d => time(
                                    out,
                                    cell.counter / d,
                                    (cell.counter % d).wrapping_mul(1_000_000) / d,
                                )?,
                            }
                        } else if c.time() {
                            let ns = if kind == ColKind::Avg {
                                cell.counter / num
                            } else {
                                cell.counter
                            };
                            let us = ns.wrapping_add(500) / 1000;
                            time(out, us / 1_000_000, us % 1_000_000)?;
                        } else {
                            let v = if kind == ColKind::Avg {
                                cell.counter / num
                            } else {
                                cell.counter
                            };
                            match c.spec.field {
                                Some((_, FieldType::Signed)) => {
                                    write!(out, " {:>val$} |", v as i64)?
                                }
                                _ => write!(out, " {:>val$} |", v)?,
                            }
                        }
                    }
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
            "1,COUNT(tcp.len",
            "1,SUM(ip.src)ip.src",
            "1,LOAD(frame.len)",
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
