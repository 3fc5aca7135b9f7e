//! Date formatting of capture timestamps (UTC), with the `time` crate.

use time::OffsetDateTime;

use crate::capture::Timestamp;

/// The timestamp as a UTC date-time, `None` outside the years the `time` crate handles.
fn datetime(ts: Timestamp) -> Option<OffsetDateTime> {
    OffsetDateTime::from_unix_timestamp_nanos(ts.as_nanos()).ok()
}

/// `Nov 22, 2026 19:30:56.123456789 UTC` (tshark's `frame.time` in UTC).
pub fn utc(ts: Timestamp) -> String {
    let Some(t) = datetime(ts) else {
        return format!("{}.{:09} seconds since the epoch", ts.secs, ts.nanos);
    };
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let mon = MONTHS
        .get(usize::from(u8::from(t.month())).saturating_sub(1))
        .copied()
        .unwrap_or("???");
    format!(
        "{mon} {:2}, {} {:02}:{:02}:{:02}.{:09} UTC",
        t.day(),
        t.year(),
        t.hour(),
        t.minute(),
        t.second(),
        t.nanosecond()
    )
}

/// RFC 3339 UTC with microseconds (`2026-11-22T19:30:56.123456Z`), for reports.
pub fn rfc3339(ts: Timestamp) -> String {
    let Some(t) = datetime(ts) else {
        return format!("{}.{:06}", ts.secs, ts.nanos / 1000);
    };
    format!("{}.{:06}Z", date_time(&t, 'T'), t.microsecond())
}

/// RFC 3339 UTC with nanoseconds (`2026-11-22T19:30:56.123456789Z`), for JSON records.
pub fn rfc3339_nanos(ts: Timestamp) -> String {
    let Some(t) = datetime(ts) else {
        return format!("{}.{:09}", ts.secs, ts.nanos);
    };
    format!("{}.{:09}Z", date_time(&t, 'T'), t.nanosecond())
}

/// [`rfc3339_nanos`] for many timestamps in order: the date and time of day are formatted
/// once per second, only the fraction for each timestamp.
#[derive(Debug, Default, Clone)]
pub struct Rfc3339Nanos {
    /// The second last formatted, and its text up to the fraction (`…T19:30:56.`).
    second: Option<(i64, String)>,
}

impl Rfc3339Nanos {
    pub fn format(&mut self, ts: Timestamp) -> String {
        let mut s = String::new();
        self.format_into(ts, &mut s);
        s
    }

    /// [`Rfc3339Nanos::format`] into `out` (cleared first): no allocation once `out` has
    /// grown, the fraction's nine digits written by `itoa`.
    pub fn format_into(&mut self, ts: Timestamp, out: &mut String) {
        out.clear();
        if ts.nanos < 1_000_000_000 {
            if let Some((secs, prefix)) = &self.second {
                if *secs == ts.secs {
                    out.push_str(prefix);
                    // 1_000_000_000 + nanos has ten digits: the last nine are the fraction.
                    let mut digits = itoa::Buffer::new();
                    let text = digits.format(1_000_000_000 + ts.nanos);
                    out.push_str(text.get(1..).unwrap_or_default());
                    out.push('Z');
                    return;
                }
            }
        }
        let full = rfc3339_nanos(ts);
        // Only a date the `time` crate formatted ends in `.NNNNNNNNNZ`.
        self.second = full
            .strip_suffix('Z')
            .and_then(|f| f.get(..f.len().checked_sub(9)?))
            .filter(|p| p.ends_with('.') && ts.nanos < 1_000_000_000)
            .map(|p| (ts.secs, p.to_string()));
        out.push_str(&full);
    }
}

/// RFC 3339 UTC to the second (`2026-11-22T19:39:48Z`), for certificate validity; the Unix
/// seconds outside the years 0000-9999.
pub fn rfc3339_secs(secs: i64) -> String {
    match datetime(Timestamp::new(secs, 0)) {
        Some(t) if (0..=9999).contains(&t.year()) => {
            // `YYYY-MM-DDTHH:MM:SSZ`, digit by digit (as `date_time` then `Z`).
            let mut s = String::with_capacity(20);
            push_digits(&mut s, t.year().unsigned_abs(), 4);
            for (sep, n) in [
                ('-', u8::from(t.month())),
                ('-', t.day()),
                ('T', t.hour()),
                (':', t.minute()),
                (':', t.second()),
            ] {
                s.push(sep);
                push_digits(&mut s, n.into(), 2);
            }
            s.push('Z');
            s
        }
        _ => secs.to_string(),
    }
}

/// `n`'s last `width` decimal digits, zero-padded.
fn push_digits(s: &mut String, n: u32, width: u32) {
    for i in (0..width).rev() {
        let d = n / 10u32.pow(i) % 10;
        s.push(char::from(b'0' + d as u8));
    }
}

/// `2026-11-22T19:30:56` (`sep` between date and time), to the second.
pub fn date_time(t: &OffsetDateTime, sep: char) -> String {
    format!(
        "{:04}-{:02}-{:02}{sep}{:02}:{:02}:{:02}",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// A fraction of a second: nine digits when `nine`, else six (microseconds).
pub fn fraction(nanos: u32, nine: bool) -> String {
    if nine {
        format!("{nanos:09}")
    } else {
        format!("{:06}", nanos / 1000)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_per_second_formatter_equals_rfc3339_nanos() {
        let mut f = Rfc3339Nanos::default();
        let (mut g, mut buf) = (Rfc3339Nanos::default(), String::from("not a time"));
        for (secs, nanos) in [
            (1_795_375_856, 123_456_789),
            (1_795_375_856, 7),
            (1_795_375_856, 999_999_999),
            (1_795_375_857, 0),
            (1_795_375_857, 5_000),
            (-1, 5),
            (i64::MAX, 1),
            (i64::MAX, 2),
            (0, 0),
        ] {
            let ts = Timestamp::new(secs, nanos);
            assert_eq!(f.format(ts), rfc3339_nanos(ts), "{secs}.{nanos}");
            // Into a buffer reused from one timestamp to the next.
            g.format_into(ts, &mut buf);
            assert_eq!(buf, rfc3339_nanos(ts), "{secs}.{nanos}");
        }
    }

    #[test]
    fn formats_match_tshark_and_rfc3339() {
        // 2026-11-22 19:30:56 UTC = 1795375856 (date -u -d @1795375856).
        let ts = Timestamp::new(1_795_375_856, 123_456_789);
        assert_eq!(utc(ts), "Nov 22, 2026 19:30:56.123456789 UTC");
        assert_eq!(rfc3339(ts), "2026-11-22T19:30:56.123456Z");
        assert_eq!(rfc3339_nanos(ts), "2026-11-22T19:30:56.123456789Z");
        let early = Timestamp::new(0, 5);
        assert_eq!(utc(early), "Jan  1, 1970 00:00:00.000000005 UTC");
        // Before the epoch (negative seconds count back from it).
        assert_eq!(
            rfc3339(Timestamp::new(-1, 0)),
            "1969-12-31T23:59:59.000000Z"
        );
    }

    #[test]
    fn whole_seconds_as_certificates_show_them() {
        // Each equal to `date_time` with `T`, then `Z`.
        for secs in [
            1_795_375_856,
            0,
            -1,
            951_782_400,
            253_402_300_799,
            -62_167_219_200,
        ] {
            let t = datetime(Timestamp::new(secs, 0)).expect("in range");
            assert_eq!(rfc3339_secs(secs), format!("{}Z", date_time(&t, 'T')));
        }
        assert_eq!(rfc3339_secs(1_795_375_856), "2026-11-22T19:30:56Z");
        assert_eq!(rfc3339_secs(-62_167_219_200), "0000-01-01T00:00:00Z");
        // Past year 9999: the number of seconds.
        assert_eq!(rfc3339_secs(253_402_300_800), "253402300800");
    }
}
