//! Many capture files as one run: `-r` takes several files, a directory or a glob, and the
//! packets of all of them are read in timestamp order, as `mergecap` merges them — a k-way
//! merge that holds one packet per file, never a whole file.
//!
//! Ties keep the order the files were given in (the earlier file's packet first, as
//! mergecap does), so the frame numbers of a merged run are those tshark gives the file
//! mergecap writes.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};
use std::path::{Path, PathBuf};

use super::file::SecretsSink;
use super::{CaptureError, FileSource, RawPacket, Timestamp};

/// Characters that make an `-r` argument a glob pattern (when no such file exists).
const GLOB_CHARS: &[char] = &['*', '?', '['];

/// The capture files an `-r` argument names: the file itself; every capture file of a
/// directory (those starting with a pcap, pcapng or gzip magic number), in natural name
/// order (`cap2` before `cap10`); or the files a glob pattern matches, in the same order.
pub fn expand(spec: &Path) -> Result<Vec<PathBuf>, CaptureError> {
    if spec == Path::new("-") || spec.is_file() {
        return Ok(vec![spec.to_path_buf()]);
    }
    if spec.is_dir() {
        let entries = std::fs::read_dir(spec).map_err(|source| CaptureError::Open {
            path: spec.to_path_buf(),
            source,
        })?;
        let files: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_file() && has_capture_magic(p))
            .collect();
        return sorted_non_empty(spec, files);
    }
    let text = spec.to_string_lossy();
    if text.contains(GLOB_CHARS) {
        let paths = glob::glob(&text).map_err(|e| CaptureError::BadPattern {
            pattern: text.to_string(),
            msg: e.msg.to_string(),
        })?;
        let files: Vec<PathBuf> = paths
            .filter_map(Result::ok)
            .filter(|p| p.is_file())
            .collect();
        return sorted_non_empty(spec, files);
    }
    // Not there: opening it says so with the usual message.
    Ok(vec![spec.to_path_buf()])
}

/// Every `-r` argument expanded, in the order given.
pub fn expand_all(specs: &[PathBuf]) -> Result<Vec<PathBuf>, CaptureError> {
    let mut out = Vec::new();
    for s in specs {
        out.extend(expand(s)?);
    }
    Ok(out)
}

/// The files a directory or pattern named, in natural order; none is an error.
fn sorted_non_empty(spec: &Path, mut files: Vec<PathBuf>) -> Result<Vec<PathBuf>, CaptureError> {
    files.sort_by_cached_key(|p| natural_key(p));
    if files.is_empty() {
        Err(CaptureError::NoCaptures {
            spec: spec.to_path_buf(),
        })
    } else {
        Ok(files)
    }
}

/// Does the file start like a capture (pcap in either byte order and resolution, pcapng,
/// or gzip, which `-r` reads transparently)?
fn has_capture_magic(path: &Path) -> bool {
    use std::io::Read;
    let mut magic = [0u8; 4];
    let read = std::fs::File::open(path).and_then(|mut f| f.read_exact(&mut magic));
    if read.is_err() {
        return false;
    }
    matches!(
        magic,
        [0xd4, 0xc3, 0xb2, 0xa1]
            | [0xa1, 0xb2, 0xc3, 0xd4]
            | [0x4d, 0x3c, 0xb2, 0xa1]
            | [0xa1, 0xb2, 0x3c, 0x4d]
            | [0x0a, 0x0d, 0x0d, 0x0a]
            | [0x1f, 0x8b, _, _]
    )
}

/// One piece of a file name for natural ordering: text, or a number compared by value.
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
enum NamePiece {
    Text(String),
    Number(u128, usize),
}

/// The name split into text and digit runs, so `rot9` sorts before `rot10` (tcpdump -C
/// names its files `out`, `out1`, … `out10`).
fn natural_key(path: &Path) -> Vec<NamePiece> {
    let s = path.to_string_lossy();
    let mut pieces = Vec::new();
    let mut rest = s.as_ref();
    while let Some(c) = rest.chars().next() {
        let digits = c.is_ascii_digit();
        let end = rest
            .find(|ch: char| ch.is_ascii_digit() != digits)
            .unwrap_or(rest.len());
        let (run, tail) = rest.split_at(end);
        pieces.push(match run.parse::<u128>() {
            Ok(n) if digits => NamePiece::Number(n, run.len()),
            _ => NamePiece::Text(run.to_string()),
        });
        rest = tail;
    }
    pieces
}

/// Several capture files read as one, in timestamp order.
pub struct MergedFiles {
    files: Vec<FileSource>,
    /// The next packet of every file that has one, earliest first (ties: earlier file).
    heads: BinaryHeap<Reverse<(Timestamp, usize)>>,
    /// The file whose packet was handed out last: it moves on at the next call.
    last: Option<usize>,
    started: bool,
    /// Errors of files that ended early; each is returned once, and the others go on.
    errors: VecDeque<CaptureError>,
}

impl MergedFiles {
    /// Open every file (all are open at once during the merge, as with mergecap).
    pub fn open(paths: &[PathBuf]) -> Result<MergedFiles, CaptureError> {
        let files = paths
            .iter()
            .map(|p| FileSource::open(p))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(MergedFiles::new(files))
    }

    pub fn new(files: Vec<FileSource>) -> MergedFiles {
        MergedFiles {
            heads: BinaryHeap::with_capacity(files.len()),
            files,
            last: None,
            started: false,
            errors: VecDeque::new(),
        }
    }

    /// How many files are merged.
    pub fn len(&self) -> usize {
        self.files.len()
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    pub fn paths(&self) -> impl Iterator<Item = &Path> {
        self.files.iter().map(FileSource::path)
    }

    /// The file the last packet came from.
    pub fn current_path(&self) -> Option<&Path> {
        self.last
            .and_then(|i| self.files.get(i))
            .map(FileSource::path)
    }

    /// Link type of the first file's first interface.
    pub fn first_link(&self) -> Option<u32> {
        self.files.first().and_then(FileSource::first_link)
    }

    /// Every file hands its Decryption Secrets Blocks to a sink made by `make`.
    pub fn on_tls_secrets(&mut self, make: &dyn Fn() -> SecretsSink) {
        for f in &mut self.files {
            f.on_tls_secrets(make());
        }
    }

    /// Bytes consumed of all files (for progress).
    pub fn position(&self) -> u64 {
        self.files.iter().map(FileSource::position).sum()
    }

    /// The files' total size, when every size is known.
    pub fn total_size(&self) -> Option<u64> {
        self.files.iter().map(FileSource::total_size).sum()
    }

    /// Read file `i`'s next packet into the heap (or keep its error).
    fn advance(&mut self, i: usize) {
        let Some(f) = self.files.get_mut(i) else {
            return;
        };
        match f.next_packet() {
            Ok(Some(p)) => self.heads.push(Reverse((p.ts, i))),
            Ok(None) => {}
            Err(e) => self.errors.push_back(e),
        }
    }

    /// The earliest packet of all files; `Ok(None)` when every file is done. A file that
    /// is truncated or corrupt gives its error once; the merge goes on with the others.
    pub fn next_packet(&mut self) -> Result<Option<RawPacket<'_>>, CaptureError> {
        Ok(self.next_indexed()?.map(|(p, _)| p))
    }

    /// [`Self::next_packet`] with the index of the file the packet came from.
    pub fn next_indexed(&mut self) -> Result<Option<(RawPacket<'_>, usize)>, CaptureError> {
        if !self.started {
            self.started = true;
            for i in 0..self.files.len() {
                self.advance(i);
            }
        } else if let Some(i) = self.last.take() {
            self.advance(i);
        }
        if let Some(e) = self.errors.pop_front() {
            return Err(e);
        }
        let Some(Reverse((_, i))) = self.heads.pop() else {
            return Ok(None);
        };
        self.last = Some(i);
        Ok(self
            .files
            .get(i)
            .and_then(FileSource::current)
            .map(|p| (p, i)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn natural_order_puts_rot9_before_rot10() {
        let mut names: Vec<PathBuf> = ["r10", "r", "r2", "r1", "a9b", "a10a"]
            .iter()
            .map(PathBuf::from)
            .collect();
        names.sort_by_cached_key(|p| natural_key(p));
        let got: Vec<String> = names.iter().map(|p| p.display().to_string()).collect();
        assert_eq!(got, ["a9b", "a10a", "r", "r1", "r2", "r10"]);
    }

    #[test]
    fn a_pattern_that_matches_nothing_is_an_error() {
        let e = expand(Path::new("/nonexistent-dir-xyz/*.pcap")).unwrap_err();
        assert!(matches!(e, CaptureError::NoCaptures { .. }), "{e}");
        assert_eq!(e.exit_code(), 3);
    }
}
