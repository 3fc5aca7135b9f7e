//! The `-w` output as one file or as a series of files (tshark's `-b`, tcpdump's `-C`, `-G`,
//! `-W`), and the conditions that stop a run (tshark's `-a`).
//!
//! Each flag family names its files as its tool does:
//! - tshark `-b`: `NAME_00001_20261203184500.pcap` (the extension of `-w NAME.pcap` kept at
//!   the end; a five-digit file number from 1; the local date and time the file starts).
//!   With `files:N` only the newest N files are kept: the oldest is removed.
//! - tcpdump `-C`/`-G`/`-W`: with `-G`, the `-w` name is a strftime pattern of the local
//!   time the file starts; with `-C`, the second file of a period is `NAME1`, the third
//!   `NAME2`… (the first keeps `NAME`); with `-W N`, every file carries its number, padded
//!   to N-1's digits (`NAME0`…), and `-C` files are reused in a ring of N, while `-G`
//!   stops the run after N periods.
//!
//! Times are the packets' timestamps (for a live capture, when they were captured): a file
//! starts at its first packet, or, for a live capture's first file, when it is opened, and
//! a time switch happens when a packet arrives past it. Every file is opened by
//! [`PcapWriter`], so it is never silently truncated and, as root, never through a link.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};

use super::writer::{FileFormat, PcapWriter};
use super::{CaptureError, RawPacket, Timestamp};

/// tshark's `-a`: the first condition met stops the run (as `-c` or Ctrl-C would).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Autostop {
    /// `duration:SEC` (live captures only).
    pub duration_secs: Option<u64>,
    /// `packets:N`.
    pub packets: Option<u64>,
    /// `filesize:KB` (1 kB = 1000 bytes): the `-w` file (the current one, with `-b`)
    /// reached it.
    pub filesize_kb: Option<u64>,
    /// `files:N`: N files were written (needs `-b`, `-C` or `-G`).
    pub files: Option<u64>,
}

/// How the `-w` output switches to a new file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Rotation {
    /// tshark's `-b` (its naming), or tcpdump's `-C`/`-G`/`-W`.
    pub style: Style,
    /// Switch when the file holds more than this many bytes.
    pub max_bytes: Option<u64>,
    /// Switch when a packet comes this many seconds after the file's start.
    pub duration_secs: Option<u64>,
    /// Switch when a packet falls in another interval of this many seconds (since the
    /// epoch) than the file's start.
    pub interval_secs: Option<u64>,
    /// Switch after this many packets.
    pub packets: Option<u64>,
    /// `-b files:N`: keep the newest N; tcpdump `-W N`: see the module's documentation.
    pub files: Option<u64>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Style {
    /// One file, as given.
    #[default]
    None,
    Tshark,
    Tcpdump,
}

fn number(flag: &str, cond: &str, value: &str) -> Result<u64, String> {
    match value.parse::<u64>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(format!(
            "{flag} {cond}: `{}` is not a whole number above 0",
            crate::present::escape::escape_str(value)
        )),
    }
}

fn split(flag: &str, arg: &str) -> Result<(String, String), String> {
    match arg.split_once(':') {
        Some((k, v)) => Ok((k.to_string(), v.to_string())),
        None => Err(format!(
            "{flag} {}: give CONDITION:VALUE",
            crate::present::escape::escape_str(arg)
        )),
    }
}

impl Autostop {
    /// Parse the `-a` arguments (a condition given twice: the last counts).
    pub fn parse(args: &[String]) -> Result<Autostop, String> {
        let mut a = Autostop::default();
        for arg in args {
            let (k, v) = split("-a", arg)?;
            let n = number("-a", arg, &v)?;
            match k.as_str() {
                "duration" => a.duration_secs = Some(n),
                "packets" => a.packets = Some(n),
                "filesize" => a.filesize_kb = Some(n),
                "files" => a.files = Some(n),
                _ => {
                    return Err(format!(
                        "-a {}: unknown condition (duration:SEC, packets:N, filesize:KB, files:N)",
                        crate::present::escape::escape_str(arg)
                    ))
                }
            }
        }
        Ok(a)
    }
}

impl Rotation {
    /// tshark's `-b` arguments.
    pub fn tshark(args: &[String]) -> Result<Rotation, String> {
        let mut r = Rotation {
            style: Style::Tshark,
            ..Rotation::default()
        };
        for arg in args {
            let (k, v) = split("-b", arg)?;
            let n = number("-b", arg, &v)?;
            match k.as_str() {
                "duration" => r.duration_secs = Some(n),
                "interval" => r.interval_secs = Some(n),
                "filesize" => r.max_bytes = Some(n.saturating_mul(1000)),
                "packets" => r.packets = Some(n),
                "files" => r.files = Some(n),
                _ => {
                    return Err(format!(
                        "-b {}: unknown condition (duration:SEC, interval:SEC, filesize:KB, files:N, packets:N)",
                        crate::present::escape::escape_str(arg)
                    ))
                }
            }
        }
        if r.max_bytes.is_none()
            && r.duration_secs.is_none()
            && r.interval_secs.is_none()
            && r.packets.is_none()
        {
            return Err(
                "-b files:N needs a condition to switch files on: duration, interval, filesize or packets"
                    .into(),
            );
        }
        Ok(r)
    }

    /// tcpdump's `-C MB` (millions of bytes), `-G SEC`, `-W N`.
    pub fn tcpdump(
        megabytes: Option<u64>,
        seconds: Option<u64>,
        files: Option<u64>,
    ) -> Result<Rotation, String> {
        if files.is_some() && megabytes.is_none() && seconds.is_none() {
            return Err("-W N needs -C MB or -G SEC (the files it counts)".into());
        }
        Ok(Rotation {
            style: Style::Tcpdump,
            max_bytes: megabytes.map(|m| m.saturating_mul(1_000_000)),
            duration_secs: seconds,
            files,
            ..Rotation::default()
        })
    }

    /// Check the `-w` name's strftime pattern (`-G`) before anything runs.
    pub fn check_name(&self, path: &Path) -> Result<(), String> {
        if self.style == Style::Tcpdump && self.duration_secs.is_some() {
            strftime_pattern(path)?;
        }
        Ok(())
    }
}

/// `-w` with `-G`: the name as a strftime pattern (time's parser, its own error text).
fn strftime_pattern(path: &Path) -> Result<time::format_description::OwnedFormatItem, String> {
    let name = path.to_str().ok_or_else(|| {
        format!(
            "-G: the -w name {} is not UTF-8",
            crate::present::escape::escape_str(&path.display().to_string())
        )
    })?;
    time::format_description::parse_strftime_owned(name).map_err(|e| {
        format!(
            "-G: the -w name `{}` is not a strftime pattern: {e}",
            crate::present::escape::escape_str(name)
        )
    })
}

/// What the `-w` output is: where, in which format, how it switches files and when it stops.
#[derive(Debug, Clone)]
pub struct SaveSpec {
    pub path: PathBuf,
    pub format: FileFormat,
    pub packet_buffered: bool,
    pub rotation: Rotation,
    /// `-a filesize:KB`, in bytes.
    pub stop_bytes: Option<u64>,
    /// `-a files:N`.
    pub stop_files: Option<u64>,
    /// The local time zone, for names with a date and time.
    pub offset: time::UtcOffset,
}

impl SaveSpec {
    /// One file at `path`, pcap, as before these options.
    pub fn plain(path: &Path, packet_buffered: bool) -> SaveSpec {
        SaveSpec {
            path: path.to_path_buf(),
            format: FileFormat::Pcap,
            packet_buffered,
            rotation: Rotation::default(),
            stop_bytes: None,
            stop_files: None,
            offset: time::UtcOffset::UTC,
        }
    }
}

/// The `-w` output being written: the current file and what the switching needs.
pub struct SaveFile {
    spec: SaveSpec,
    link: u32,
    nanos: bool,
    snaplen: u32,
    current: PcapWriter,
    /// When the current file started.
    started: Timestamp,
    /// Packets in the current file.
    in_file: u64,
    /// Files opened so far (the current one included).
    opened: u64,
    /// `-G` periods begun (tcpdump), and `-C` files within the current one.
    periods: u64,
    in_period: u64,
    /// tshark `files:N`: the files kept, oldest first.
    kept: VecDeque<PathBuf>,
    written: u64,
    skipped_other_link: u64,
    /// An `-a` condition (filesize, files) or tcpdump's `-G` with `-W` ended the output.
    done: bool,
}

impl SaveFile {
    /// Open the first file; `start` is its start time (the first packet's, or now).
    pub fn create(
        spec: &SaveSpec,
        link: u32,
        nanos: bool,
        snaplen: u32,
        start: Timestamp,
    ) -> Result<SaveFile, CaptureError> {
        let path = file_name(spec, 1, 0, start)?;
        let current = PcapWriter::create_as(
            &path,
            spec.format,
            link,
            nanos,
            snaplen,
            spec.packet_buffered,
        )?;
        let mut kept = VecDeque::new();
        kept.push_back(path);
        Ok(SaveFile {
            spec: spec.clone(),
            link,
            nanos,
            snaplen,
            current,
            started: start,
            in_file: 0,
            opened: 1,
            periods: 1,
            in_period: 0,
            kept,
            written: 0,
            skipped_other_link: 0,
            done: false,
        })
    }

    /// Whether an `-a` condition (or `-G` with `-W`) ended the output: the run stops.
    pub fn done(&self) -> bool {
        self.done
    }

    /// Whether `pkt` would not be written because the output ends before it: it is done, or
    /// the file it would start is past `-a files` (or tcpdump's `-G` with `-W`). The caller
    /// stops before the packet, so that the run holds what the files hold.
    pub fn ends_before(&self, pkt: &RawPacket<'_>) -> bool {
        if self.done {
            return true;
        }
        if self.in_file == 0 || pkt.link != self.link {
            return false;
        }
        let r = &self.spec.rotation;
        match self.switch_due(pkt.ts) {
            None => false,
            Some(new_period) => {
                self.spec.stop_files.is_some_and(|n| self.opened >= n)
                    || (r.style == Style::Tcpdump
                        && new_period
                        && r.max_bytes.is_none()
                        && r.files.is_some_and(|n| self.periods >= n))
            }
        }
    }

    /// Write one packet, switching files first when the rotation says so. Once done, packets
    /// are not written.
    pub fn write(&mut self, pkt: &RawPacket<'_>) -> Result<(), CaptureError> {
        if self.ends_before(pkt) {
            self.done = true;
            return Ok(());
        }
        if pkt.link != self.link {
            self.skipped_other_link += 1;
            return Ok(());
        }
        if self.in_file > 0 {
            if let Some(new_period) = self.switch_due(pkt.ts) {
                self.next_file(pkt.ts, new_period)?;
            }
        }
        self.current.write(pkt)?;
        self.in_file += 1;
        self.written += 1;
        if self
            .spec
            .stop_bytes
            .is_some_and(|b| self.current.bytes() >= b)
        {
            self.done = true;
        }
        Ok(())
    }

    /// Whether `ts` starts a new file: `Some(true)` for a new time period, `Some(false)` for
    /// a size or packet count switch.
    fn switch_due(&self, ts: Timestamp) -> Option<bool> {
        let r = &self.spec.rotation;
        let elapsed = ts.secs.saturating_sub(self.started.secs);
        if r.duration_secs
            .is_some_and(|d| elapsed >= i64::try_from(d).unwrap_or(i64::MAX))
        {
            return Some(true);
        }
        if let Some(i) = r.interval_secs.and_then(|i| i64::try_from(i).ok()) {
            if ts.secs.div_euclid(i) != self.started.secs.div_euclid(i) {
                return Some(true);
            }
        }
        let full = r.max_bytes.is_some_and(|b| self.current.bytes() > b)
            || r.packets.is_some_and(|n| self.in_file >= n);
        full.then_some(false)
    }

    fn next_file(&mut self, ts: Timestamp, new_period: bool) -> Result<(), CaptureError> {
        self.current.flush()?;
        self.skipped_other_link += self.current.skipped_other_link();
        self.opened += 1;
        if new_period {
            self.periods += 1;
            self.in_period = 0;
            self.started = ts;
        } else {
            self.in_period += 1;
            // A size switch keeps a -G period's start; tshark's files start anew.
            if self.spec.rotation.style == Style::Tshark {
                self.started = ts;
            }
        }
        let path = file_name(&self.spec, self.opened, self.in_period, ts)?;
        self.current = PcapWriter::create_as(
            &path,
            self.spec.format,
            self.link,
            self.nanos,
            self.snaplen,
            self.spec.packet_buffered,
        )?;
        self.in_file = 0;
        if self.spec.rotation.style == Style::Tshark {
            self.kept.push_back(path);
            if let Some(n) = self.spec.rotation.files {
                while self.kept.len() as u64 > n {
                    if let Some(old) = self.kept.pop_front() {
                        std::fs::remove_file(&old).map_err(|e| CaptureError::Write {
                            path: old.clone(),
                            msg: format!("cannot remove the oldest ring buffer file: {e}"),
                        })?;
                    }
                }
            }
        }
        Ok(())
    }

    /// Flush the current file; an error (disk full) is reported.
    pub fn flush(&mut self) -> Result<(), CaptureError> {
        self.current.flush()
    }

    /// Packets written over all files.
    pub fn written(&self) -> u64 {
        self.written
    }

    pub fn skipped_other_link(&self) -> u64 {
        self.skipped_other_link + self.current.skipped_other_link()
    }
}

/// The name of file number `n` (from 1; tshark's names): `in_period` files opened by size
/// before it within the current `-G` period (tcpdump's), `ts` the file's start.
fn file_name(
    spec: &SaveSpec,
    n: u64,
    in_period: u64,
    ts: Timestamp,
) -> Result<PathBuf, CaptureError> {
    let r = &spec.rotation;
    let local = || {
        time::OffsetDateTime::from_unix_timestamp(ts.secs)
            .unwrap_or(time::OffsetDateTime::UNIX_EPOCH)
            .to_offset(spec.offset)
    };
    let bad = |msg: String| CaptureError::Write {
        path: spec.path.clone(),
        msg,
    };
    match r.style {
        Style::None => Ok(spec.path.clone()),
        Style::Tshark => {
            let fmt = time::macros::format_description!("[year][month][day][hour][minute][second]");
            let stamp = local().format(&fmt).map_err(|e| bad(e.to_string()))?;
            let stem = spec
                .path
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            let name = match spec.path.extension() {
                Some(ext) => format!("{stem}_{n:05}_{stamp}.{}", ext.to_string_lossy()),
                None => format!("{stem}_{n:05}_{stamp}"),
            };
            Ok(spec.path.with_file_name(name))
        }
        Style::Tcpdump => {
            let base = if r.duration_secs.is_some() {
                let pattern = strftime_pattern(&spec.path).map_err(bad)?;
                local().format(&pattern).map_err(|e| bad(e.to_string()))?
            } else {
                spec.path.to_string_lossy().into_owned()
            };
            // Numbered only with -C: the files within the period; with -W, padded to
            // (W-1)'s digits and taken round a ring of W files.
            if r.max_bytes.is_none() {
                return Ok(PathBuf::from(base));
            }
            let count = r.files.map_or(in_period, |w| in_period % w);
            let width = r.files.map_or(0, |w| {
                w.saturating_sub(1).checked_ilog10().map_or(0, |d| d + 1)
            }) as usize;
            if count == 0 && width == 0 {
                Ok(PathBuf::from(base))
            } else {
                Ok(PathBuf::from(format!("{base}{count:0width$}")))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(path: &str, rotation: Rotation) -> SaveSpec {
        SaveSpec {
            rotation,
            ..SaveSpec::plain(Path::new(path), false)
        }
    }

    #[test]
    fn conditions_parse_and_bad_ones_are_one_line() {
        let a = Autostop::parse(&["duration:5".into(), "packets:3".into()]).expect("ok");
        assert_eq!(a.duration_secs, Some(5));
        assert_eq!(a.packets, Some(3));
        let e = Autostop::parse(&["minutes:5".into()]).expect_err("unknown");
        assert!(e.contains("unknown condition"), "{e}");
        assert!(Autostop::parse(&["packets:0".into()]).is_err());
        assert!(Autostop::parse(&["packets".into()]).is_err());
        assert!(Rotation::tshark(&["files:3".into()]).is_err());
        let r = Rotation::tshark(&["filesize:10".into(), "files:3".into()]).expect("ok");
        assert_eq!(r.max_bytes, Some(10_000));
        assert!(Rotation::tcpdump(None, None, Some(3)).is_err());
    }

    #[test]
    fn names_as_each_tool_gives_them() {
        let ts = Timestamp::new(1_764_786_300, 0); // 2025-12-03 18:25:00 UTC
        let t = spec(
            "/tmp/x/cap.pcapng",
            Rotation::tshark(&["packets:1".into()]).expect("ok"),
        );
        assert_eq!(
            file_name(&t, 7, 0, ts).expect("name"),
            PathBuf::from("/tmp/x/cap_00007_20251203182500.pcapng")
        );
        // (-C, -W, file number, files before it in the period, name)
        let cases: [(Option<u64>, u64, u64, &str); 6] = [
            (None, 1, 0, "/tmp/x/cap"),
            (None, 2, 1, "/tmp/x/cap1"),
            (Some(12), 1, 0, "/tmp/x/cap00"),
            (Some(12), 12, 11, "/tmp/x/cap11"),
            (Some(12), 13, 12, "/tmp/x/cap00"),
            (Some(1), 2, 1, "/tmp/x/cap"),
        ];
        for (w, n, before, name) in cases {
            let c = spec(
                "/tmp/x/cap",
                Rotation::tcpdump(Some(1), None, w).expect("ok"),
            );
            assert_eq!(
                file_name(&c, n, before, ts).expect("n"),
                PathBuf::from(name)
            );
        }
        let g = spec(
            "/tmp/x/cap-%H%M%S.pcap",
            Rotation::tcpdump(None, Some(60), None).expect("ok"),
        );
        assert_eq!(
            file_name(&g, 1, 0, ts).expect("n"),
            PathBuf::from("/tmp/x/cap-182500.pcap")
        );
    }
}
