//! `-t FORMAT`: the time column of summary lines, in tshark's formats (`r` relative, the
//! default; `a`, `ad`, `adoy`, `d`, `dd`, `e`, `u`, `ud`) with tcpdump's `-tt`…`-ttttt`
//! spellings as aliases (`-tt` epoch, `-ttt` delta, `-tttt` date and time, `-ttttt` since the
//! first packet). Six decimals, or nine when the capture has nanosecond timestamps.

use crate::capture::Timestamp;
use crate::present::time::fraction;

/// How the time column is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TimeFormat {
    /// `r`: seconds since the first packet.
    #[default]
    Relative,
    /// `a`: local time of day.
    Absolute,
    /// `ad`: local date and time.
    AbsoluteDate,
    /// `adoy`: local year/day-of-year and time.
    AbsoluteDayOfYear,
    /// `d`: seconds since the previous captured packet.
    Delta,
    /// `dd`: seconds since the previous displayed packet.
    DeltaDisplayed,
    /// `e`: seconds since the Unix epoch.
    Epoch,
    /// `u`: UTC time of day.
    Utc,
    /// `ud`: UTC date and time.
    UtcDate,
}

/// Every accepted spelling, for `--help` and the error message.
pub const SPELLINGS: &str =
    "r, a, ad, adoy, d, dd, e, u, ud (tcpdump: -tt = e, -ttt = d, -tttt = ad, -ttttt = r)";

impl TimeFormat {
    /// Parse a `-t` value. tcpdump's `-tt`… arrive here as `t`, `tt`, `ttt`, `tttt`.
    pub fn parse(s: &str) -> Result<TimeFormat, String> {
        Ok(match s {
            "r" | "tttt" => TimeFormat::Relative,
            "a" => TimeFormat::Absolute,
            "ad" | "ttt" => TimeFormat::AbsoluteDate,
            "adoy" => TimeFormat::AbsoluteDayOfYear,
            "d" | "tt" => TimeFormat::Delta,
            "dd" => TimeFormat::DeltaDisplayed,
            "e" | "t" => TimeFormat::Epoch,
            "u" => TimeFormat::Utc,
            "ud" => TimeFormat::UtcDate,
            _ => return Err(format!("unknown time format `{s}`: one of {SPELLINGS}")),
        })
    }
}

/// The facts a time column can be made of, for one frame.
#[derive(Debug, Clone, Copy)]
pub struct FrameTimes {
    pub ts: Timestamp,
    /// Seconds since the first packet.
    pub relative: f64,
    /// Seconds since the previous captured packet.
    pub delta: f64,
    /// Seconds since the previous displayed packet (0 for the first).
    pub delta_displayed: f64,
}

/// Format the time column. `local` is the local time zone's offset, found once at start-up.
pub fn format(fmt: TimeFormat, t: &FrameTimes, local: time::UtcOffset) -> String {
    let nano = t.ts.nanos % 1000 != 0;
    let seconds = |v: f64| {
        if nano {
            format!("{v:.9}")
        } else {
            format!("{v:>10.6}")
        }
    };
    match fmt {
        TimeFormat::Relative => seconds(t.relative),
        TimeFormat::Delta => seconds(t.delta),
        TimeFormat::DeltaDisplayed => seconds(t.delta_displayed),
        TimeFormat::Epoch => format!("{}.{}", t.ts.secs, fraction(t.ts.nanos, nano)),
        TimeFormat::Absolute | TimeFormat::AbsoluteDate | TimeFormat::AbsoluteDayOfYear => {
            wall_clock(fmt, t.ts, local, nano)
        }
        TimeFormat::Utc | TimeFormat::UtcDate => wall_clock(fmt, t.ts, time::UtcOffset::UTC, nano),
    }
}

fn wall_clock(fmt: TimeFormat, ts: Timestamp, offset: time::UtcOffset, nano: bool) -> String {
    let Ok(t) = time::OffsetDateTime::from_unix_timestamp(ts.secs) else {
        return format!("{}.{}", ts.secs, fraction(ts.nanos, nano));
    };
    let t = t.to_offset(offset);
    let clock = format!(
        "{:02}:{:02}:{:02}.{}",
        t.hour(),
        t.minute(),
        t.second(),
        fraction(ts.nanos, nano)
    );
    match fmt {
        TimeFormat::AbsoluteDate | TimeFormat::UtcDate => format!(
            "{:04}-{:02}-{:02} {clock}",
            t.year(),
            u8::from(t.month()),
            t.day()
        ),
        TimeFormat::AbsoluteDayOfYear => format!("{:04}/{:03} {clock}", t.year(), t.ordinal()),
        _ => clock,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn times(secs: i64, nanos: u32) -> FrameTimes {
        FrameTimes {
            ts: Timestamp::new(secs, nanos),
            relative: 1.5,
            delta: 0.25,
            delta_displayed: 0.75,
        }
    }

    #[test]
    fn every_tshark_format() {
        // 2026-11-22 19:43:13.047528 UTC (the bundled squirrel-http.pcap's first packet).
        let t = times(1_795_376_593, 47_528_000);
        let utc = time::UtcOffset::UTC;
        let f = |s: &str| format(TimeFormat::parse(s).expect("format"), &t, utc);
        assert_eq!(f("r"), "  1.500000");
        assert_eq!(f("d"), "  0.250000");
        assert_eq!(f("dd"), "  0.750000");
        assert_eq!(f("e"), "1795376593.047528");
        assert_eq!(f("a"), "19:43:13.047528");
        assert_eq!(f("u"), "19:43:13.047528");
        assert_eq!(f("ad"), "2026-11-22 19:43:13.047528");
        assert_eq!(f("ud"), "2026-11-22 19:43:13.047528");
        assert_eq!(f("adoy"), "2026/326 19:43:13.047528");
    }

    #[test]
    fn local_formats_use_the_offset_and_utc_ones_do_not() {
        let t = times(1_795_376_593, 47_528_000);
        let plus2 = time::UtcOffset::from_hms(2, 0, 0).expect("offset");
        assert_eq!(format(TimeFormat::Absolute, &t, plus2), "21:43:13.047528");
        assert_eq!(format(TimeFormat::Utc, &t, plus2), "19:43:13.047528");
    }

    #[test]
    fn nanosecond_captures_keep_nine_digits() {
        let t = times(1_795_376_593, 47_528_123);
        assert_eq!(
            format(TimeFormat::Epoch, &t, time::UtcOffset::UTC),
            "1795376593.047528123"
        );
        assert_eq!(
            format(TimeFormat::Relative, &t, time::UtcOffset::UTC),
            "1.500000000"
        );
    }

    #[test]
    fn tcpdump_spellings_are_aliases() {
        assert_eq!(TimeFormat::parse("t"), Ok(TimeFormat::Epoch));
        assert_eq!(TimeFormat::parse("tt"), Ok(TimeFormat::Delta));
        assert_eq!(TimeFormat::parse("ttt"), Ok(TimeFormat::AbsoluteDate));
        assert_eq!(TimeFormat::parse("tttt"), Ok(TimeFormat::Relative));
        assert!(TimeFormat::parse("x").is_err());
    }
}
