//! Searching traffic for secrets the user names (`--secret TEXT`, `--secrets-file FILE`).
//!
//! Each secret is searched in the forms it is likely to travel in: raw bytes, URL-encoded
//! (`+` or `%20` for spaces, upper- or lower-case hex), base64 (standard and URL-safe, at
//! each of the three byte alignments it can have inside a longer base64 string) and hex.
//! All forms of all secrets go into one Aho-Corasick automaton.
//!
//! Base64 alignment: when a secret of `n` bytes sits at byte offset `k` inside data that is
//! base64-encoded as a whole, the characters that encode it depend on `a = k mod 3`. With `a`
//! foreign bytes in front, the output characters whose 6 bits come entirely from the secret
//! are characters `ceil(8a/6) .. floor(8(a+n)/6)` of `encode([0; a] ++ secret ++ …)`; those
//! characters are the same whatever the surrounding bytes are, so they are the pattern for
//! alignment `a`. The first and last one or two characters of the secret's encoding are
//! mixed with neighbouring bytes and are not searched.

use std::collections::{BTreeMap, VecDeque};
use std::ops::Range;
use std::path::Path;

use aho_corasick::automaton::OverlappingState;
use aho_corasick::{AhoCorasick, Anchored, Input, MatchKind, StartKind};
use base64::engine::general_purpose::{STANDARD_NO_PAD, URL_SAFE_NO_PAD};
use base64::Engine;

use super::credentials::decode_basic_auth;
use super::fernet::TOKEN_PREFIX;
use super::finding::{Finding, FindingKind, Severity, Transport};

/// Most secrets accepted (command line and file together).
pub const MAX_SECRETS: usize = 1024;
/// Longest secret accepted, in bytes.
pub const MAX_SECRET_LEN: usize = 4096;
/// Largest secrets file read.
pub const MAX_SECRETS_FILE: u64 = 4 << 20;
/// Base64 patterns shorter than this many characters are not searched (too many false hits).
pub const MIN_BASE64_PATTERN: usize = 4;
/// Bytes from the end of each pattern that the "any hit at all?" prefilter looks for.
const PREFILTER_TAIL: usize = 8;

/// The form in which a secret was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Variant {
    /// The secret's bytes as given.
    Raw,
    /// Percent-encoded (form or URI style).
    UrlEncoded,
    /// Base64; `alignment` is the secret's byte offset modulo 3 in the decoded data.
    Base64 { url_safe: bool, alignment: u8 },
    /// Hex digits (upper or lower case).
    Hex,
    /// Inside the decoded user:password of an `Authorization: Basic` header.
    BasicAuthDecoded,
}

impl Variant {
    /// Short label: `raw`, `url-encoded`, `base64`, `base64url`, `hex`, `basic-auth`.
    pub fn label(self) -> &'static str {
        match self {
            Variant::Raw => "raw",
            Variant::UrlEncoded => "url-encoded",
            Variant::Base64 {
                url_safe: false, ..
            } => "base64",
            Variant::Base64 { url_safe: true, .. } => "base64url",
            Variant::Hex => "hex",
            Variant::BasicAuthDecoded => "basic-auth",
        }
    }

    fn phrase(self) -> &'static str {
        match self {
            Variant::Raw => "as it is",
            Variant::UrlEncoded => "URL-encoded, which hides nothing",
            Variant::Base64 { .. } => "base64-encoded, which hides nothing",
            Variant::Hex => "hex-encoded, which hides nothing",
            Variant::BasicAuthDecoded => "inside HTTP Basic credentials, which are only base64",
        }
    }
}

/// One place a secret was found in a buffer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretHit {
    /// Index into [`SecretSet::secrets`].
    pub secret_index: usize,
    pub variant: Variant,
    /// Byte range of the matched (encoded) text in the haystack.
    pub range: Range<usize>,
}

/// One place a secret was found in a stream direction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamHit {
    pub secret_index: usize,
    pub variant: Variant,
    /// Stream offsets of the matched bytes.
    pub range: Range<u64>,
    /// Frames that carried any of the matched bytes, ascending.
    pub frames: Vec<u64>,
    /// The matched bytes (the encoded form; at most the longest pattern).
    pub matched: Vec<u8>,
}

#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error("secret {index} is empty")]
    Empty { index: usize },
    #[error("secret {index} is {len} bytes long; the limit is {max}")]
    TooLong {
        index: usize,
        len: usize,
        max: usize,
    },
    #[error("more than {max} secrets given")]
    TooMany { max: usize },
    #[error("secrets file {path}: {source}")]
    File {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("secrets file {path} is {len} bytes; the limit is {max}")]
    FileTooLarge { path: String, len: u64, max: u64 },
    #[error("could not build the secret matcher: {0}")]
    Matcher(#[from] aho_corasick::BuildError),
}

/// The secrets to look for, compiled into one multi-pattern matcher.
#[derive(Debug, Clone)]
pub struct SecretSet {
    secrets: Vec<Vec<u8>>,
    patterns: Vec<Vec<u8>>,
    /// Per pattern: every (secret, variant) that produces it.
    owners: Vec<Vec<(usize, Variant)>>,
    matcher: Option<AhoCorasick>,
    /// The last [`PREFILTER_TAIL`] bytes of every pattern, leftmost-first: only asked
    /// whether a buffer holds any of them (fast: a prefilter and no overlapping
    /// bookkeeping). A buffer that holds a pattern holds its tail, so one that holds no
    /// tail holds no pattern. Tails, not whole patterns: the prefilter keys on each
    /// pattern's first bytes, and a word-like secret's head (`acorn…`) recurs in ordinary
    /// text far more than its tail, so whole patterns sent it to verify a near-miss at every
    /// such word. Its pattern ids are those of [`SecretSet::tail_owners`] (distinct tails).
    prefilter: Option<TailSearch>,
    /// The same with [`TOKEN_PREFIX`] as one more tail, for bodies: the start of every
    /// Fernet token comes from the same pass as the secrets (see [`SecretSet::find_in_marking`]).
    marking: Option<TailSearch>,
    /// Per distinct tail: the patterns that end with it.
    tail_owners: Vec<Vec<usize>>,
    max_pattern_len: usize,
}

/// The distinct tails twice: leftmost-first, for the leftmost offset where one starts, and
/// for anchored overlapping searches, for every tail that starts at one offset (a shorter
/// tail is a whole short pattern, so several can; the crate's overlapping iterator refuses
/// anchored input, its stateful search takes it).
#[derive(Debug, Clone)]
struct TailSearch {
    first: AhoCorasick,
    at: AhoCorasick,
}

impl TailSearch {
    fn new(tails: &[&[u8]]) -> Result<TailSearch, SecretError> {
        Ok(TailSearch {
            first: AhoCorasick::builder()
                .match_kind(MatchKind::LeftmostFirst)
                .build(tails)?,
            at: AhoCorasick::builder()
                .start_kind(StartKind::Anchored)
                .build(tails)?,
        })
    }
}

/// Secrets from a secrets file: one per line; blank lines and lines whose first non-blank
/// character is `#` are skipped; the line ending (`\n` or `\r\n`) is removed, other
/// whitespace is kept (it may be part of the secret). A secret beginning with `#` must be
/// given with `--secret`.
pub fn parse_secrets_file(text: &str) -> Vec<String> {
    text.lines()
        .filter(|l| {
            let t = l.trim();
            !t.is_empty() && !t.starts_with('#')
        })
        .map(|l| l.to_string())
        .collect()
}

impl SecretSet {
    /// An empty set (finds nothing).
    pub fn empty() -> SecretSet {
        SecretSet {
            secrets: Vec::new(),
            patterns: Vec::new(),
            owners: Vec::new(),
            matcher: None,
            prefilter: None,
            marking: None,
            tail_owners: Vec::new(),
            max_pattern_len: 0,
        }
    }

    /// Build from secrets given as bytes. Duplicates are dropped (first kept).
    pub fn new<I, S>(secrets: I) -> Result<SecretSet, SecretError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<[u8]>,
    {
        let mut list: Vec<Vec<u8>> = Vec::new();
        for (index, s) in secrets.into_iter().enumerate() {
            let s = s.as_ref();
            if s.is_empty() {
                return Err(SecretError::Empty { index });
            }
            if s.len() > MAX_SECRET_LEN {
                return Err(SecretError::TooLong {
                    index,
                    len: s.len(),
                    max: MAX_SECRET_LEN,
                });
            }
            if !list.iter().any(|x| x.as_slice() == s) {
                if list.len() >= MAX_SECRETS {
                    return Err(SecretError::TooMany { max: MAX_SECRETS });
                }
                list.push(s.to_vec());
            }
        }
        let mut by_pattern: BTreeMap<Vec<u8>, usize> = BTreeMap::new();
        let mut patterns: Vec<Vec<u8>> = Vec::new();
        let mut owners: Vec<Vec<(usize, Variant)>> = Vec::new();
        for (i, s) in list.iter().enumerate() {
            for (p, v) in variants_of(s) {
                let id = match by_pattern.get(&p) {
                    Some(&id) => id,
                    None => {
                        let id = patterns.len();
                        by_pattern.insert(p.clone(), id);
                        patterns.push(p);
                        owners.push(Vec::new());
                        id
                    }
                };
                // One owner per secret and pattern: when two variants of the same secret
                // give the same bytes (base64 and base64url of text without `+`/`/`), a
                // match is one sighting, reported under the first variant.
                if let Some(o) = owners.get_mut(id) {
                    if !o.iter().any(|&(j, _)| j == i) {
                        o.push((i, v));
                    }
                }
            }
        }
        let max_pattern_len = patterns.iter().map(Vec::len).max().unwrap_or(0);
        let mut tail_ids: BTreeMap<&[u8], usize> = BTreeMap::new();
        let mut tails: Vec<&[u8]> = Vec::new();
        let mut tail_owners: Vec<Vec<usize>> = Vec::new();
        for (pid, p) in patterns.iter().enumerate() {
            let tail = tail_of(p);
            let id = *tail_ids.entry(tail).or_insert_with(|| {
                tails.push(tail);
                tail_owners.push(Vec::new());
                tails.len() - 1
            });
            if let Some(o) = tail_owners.get_mut(id) {
                o.push(pid);
            }
        }
        let (matcher, prefilter, marking) = if patterns.is_empty() {
            (None, None, None)
        } else {
            let mut marked = tails.clone();
            marked.push(TOKEN_PREFIX);
            (
                Some(AhoCorasick::new(&patterns)?),
                Some(TailSearch::new(&tails)?),
                Some(TailSearch::new(&marked)?),
            )
        };
        Ok(SecretSet {
            secrets: list,
            patterns,
            owners,
            matcher,
            prefilter,
            marking,
            tail_owners,
            max_pattern_len,
        })
    }

    /// Build from `--secret` values and an optional secrets file (see [`parse_secrets_file`]).
    pub fn from_args(cli: &[String], file: Option<&Path>) -> Result<SecretSet, SecretError> {
        let mut all: Vec<String> = cli.to_vec();
        if let Some(path) = file {
            let shown = path.display().to_string();
            let meta = std::fs::metadata(path).map_err(|source| SecretError::File {
                path: shown.clone(),
                source,
            })?;
            if meta.len() > MAX_SECRETS_FILE {
                return Err(SecretError::FileTooLarge {
                    path: shown,
                    len: meta.len(),
                    max: MAX_SECRETS_FILE,
                });
            }
            let text = std::fs::read_to_string(path).map_err(|source| SecretError::File {
                path: shown,
                source,
            })?;
            all.extend(parse_secrets_file(&text));
        }
        SecretSet::new(all.iter().map(|s| s.as_bytes()))
    }

    pub fn is_empty(&self) -> bool {
        self.secrets.is_empty()
    }

    /// The secrets, deduplicated, in the order given.
    pub fn secrets(&self) -> &[Vec<u8>] {
        &self.secrets
    }

    /// Number of distinct byte patterns searched.
    pub fn pattern_count(&self) -> usize {
        self.patterns.len()
    }

    /// Length of the longest pattern (the stream scanner keeps one byte less).
    pub fn max_pattern_len(&self) -> usize {
        self.max_pattern_len
    }

    /// Every occurrence of every variant of every secret in `haystack` (overlapping ones
    /// included), ordered by start, then end, then secret index.
    pub fn find_in(&self, haystack: &[u8]) -> Vec<SecretHit> {
        self.find_from(haystack, 0)
    }

    /// [`SecretSet::find_in`] with the prefilter's answer for `haystack[..from]` already
    /// known to be "no tail starts there" (`from` = the first offset a tail can start at).
    fn find_from(&self, haystack: &[u8], from: usize) -> Vec<SecretHit> {
        let found = self
            .prefilter
            .as_ref()
            .and_then(|t| self.pattern_ends(t, haystack, from, &mut Vec::new()));
        self.hits_of(haystack, found)
    }

    /// [`SecretSet::find_in`], and the offsets where [`TOKEN_PREFIX`] starts in
    /// `haystack` (every one, ascending) found by the same pass: a body is read once for
    /// its secrets and for the starts of its Fernet tokens. The offsets are `None` when
    /// the set is empty or the pass gave up (the caller then searches for them itself).
    pub fn find_in_marking(&self, haystack: &[u8]) -> (Vec<SecretHit>, Option<Vec<usize>>) {
        let Some(t) = &self.marking else {
            return (Vec::new(), None);
        };
        let mut marks = Vec::new();
        let found = self.pattern_ends(t, haystack, 0, &mut marks);
        let marks = found.is_some().then_some(marks);
        (self.hits_of(haystack, found), marks)
    }

    /// The hits of the patterns `pattern_ends` found, or of the overlapping automaton when
    /// it gave up, in `find_in`'s order.
    fn hits_of(
        &self,
        haystack: &[u8],
        found: Option<Vec<(usize, Range<usize>)>>,
    ) -> Vec<SecretHit> {
        let mut hits = Vec::new();
        let Some(found) = found else {
            self.overlapping(haystack, &mut hits);
            sort_hits(&mut hits);
            return hits;
        };
        for (pid, range) in found {
            if let Some(own) = self.owners.get(pid) {
                for &(secret_index, variant) in own {
                    hits.push(SecretHit {
                        secret_index,
                        variant,
                        range: range.clone(),
                    });
                }
            }
        }
        sort_hits(&mut hits);
        hits
    }

    /// Every pattern occurrence, found from its tail: the prefilter gives the leftmost
    /// offset at or after `from` where any tail starts, the anchored tail automaton every
    /// tail that starts there, and each pattern ending with one of them is compared with
    /// the bytes before the tail's end; the next search starts one byte further. A pattern
    /// occurrence ends with its own tail, which starts at one of those offsets, so each is
    /// found exactly once. `None` when the candidates or the bytes compared exceed a bound
    /// linear in the haystack (the caller then runs the overlapping automaton instead, so a
    /// haystack made of tails costs no more than that search).
    /// A tail id past the last distinct tail (the marker of `marking`) is not a pattern's:
    /// where it starts goes to `marks`.
    fn pattern_ends(
        &self,
        tails: &TailSearch,
        haystack: &[u8],
        from: usize,
        marks: &mut Vec<usize>,
    ) -> Option<Vec<(usize, Range<usize>)>> {
        let mut found = Vec::new();
        let mut budget = haystack.len() / 8 + 64 * self.max_pattern_len + 4096;
        let mut start = from;
        while start < haystack.len() {
            let input = Input::new(haystack).range(start..);
            let Some(m) = tails.first.find(input) else {
                break;
            };
            let s = m.start();
            let near = Input::new(haystack)
                .range(s..haystack.len().min(s.saturating_add(PREFILTER_TAIL)))
                .anchored(Anchored::Yes);
            let mut state = OverlappingState::start();
            loop {
                tails
                    .at
                    .try_find_overlapping(near.clone(), &mut state)
                    .ok()?;
                let Some(t) = state.get_match() else { break };
                // The anchored automaton also reports a tail that is a suffix of one
                // starting here; that one is found from its own start.
                if t.start() != s {
                    continue;
                }
                let end = t.end();
                let Some(owners) = self.tail_owners.get(t.pattern().as_usize()) else {
                    marks.push(s);
                    continue;
                };
                for &pid in owners {
                    let p = self.patterns.get(pid)?;
                    budget = budget.checked_sub(p.len() / 16 + 1)?;
                    let Some(ps) = end.checked_sub(p.len()) else {
                        continue;
                    };
                    if haystack.get(ps..end) == Some(p.as_slice()) {
                        found.push((pid, ps..end));
                    }
                }
            }
            budget = budget.checked_sub(16)?;
            start = s + 1;
        }
        Some(found)
    }

    /// Every overlapping match of the whole patterns (the search `find_in` stands for).
    fn overlapping(&self, haystack: &[u8], hits: &mut Vec<SecretHit>) {
        let Some(m) = &self.matcher else {
            return;
        };
        for mat in m.find_overlapping_iter(haystack) {
            if let Some(own) = self.owners.get(mat.pattern().as_usize()) {
                for &(secret_index, variant) in own {
                    hits.push(SecretHit {
                        secret_index,
                        variant,
                        range: mat.range(),
                    });
                }
            }
        }
    }

    /// Offset of the leftmost tail in `haystack`, if any (every match implies one).
    fn first_tail(&self, haystack: &[u8]) -> Option<usize> {
        self.prefilter
            .as_ref()
            .and_then(|t| t.first.find(haystack))
            .map(|m| m.start())
    }

    /// Secrets inside the decoded user:password of an `Authorization: Basic …` value.
    /// Ranges are into the decoded `user:password` text. Empty when the value is not Basic
    /// or does not decode.
    pub fn find_in_basic_auth(&self, header_value: &[u8]) -> Vec<SecretHit> {
        let Some(creds) = decode_basic_auth(header_value) else {
            return Vec::new();
        };
        let mut hits = Vec::new();
        for (i, s) in self.secrets.iter().enumerate() {
            let mut from = 0usize;
            while let Some(rest) = creds.decoded.get(from..) {
                let Some(pos) = find_sub(rest, s) else { break };
                let start = from.saturating_add(pos);
                hits.push(SecretHit {
                    secret_index: i,
                    variant: Variant::BasicAuthDecoded,
                    range: start..start.saturating_add(s.len()),
                });
                from = start.saturating_add(1);
            }
        }
        hits.sort_by_key(|h| (h.range.start, h.secret_index));
        hits
    }

    /// The finding for one hit. `matched` is the matched text (it becomes the evidence).
    /// Stream and frames are left for the caller.
    pub fn finding(
        &self,
        secret_index: usize,
        variant: Variant,
        matched: &[u8],
        transport: Transport,
    ) -> Finding {
        let n = secret_index.saturating_add(1);
        let (severity, explanation) = match transport {
            Transport::Clear => (
                Severity::High,
                format!(
                    "Anyone on the path can read secret #{n}: it crossed the network unencrypted, {}.",
                    variant.phrase()
                ),
            ),
            Transport::DecryptedTls => (
                Severity::Info,
                format!(
                    "Secret #{n} was found {} inside TLS that this tool decrypted; an eavesdropper without the keys cannot read it.",
                    variant.phrase()
                ),
            ),
        };
        Finding::new(FindingKind::SecretInClear, severity, matched, explanation)
            .detail("secret", n.to_string())
            .detail("variant", variant.label())
    }
}

impl StreamHit {
    /// The finding for this hit, located at `stream` and the hit's frames.
    pub fn finding(&self, set: &SecretSet, stream: u32, transport: Transport) -> Finding {
        set.finding(self.secret_index, self.variant, &self.matched, transport)
            .at(stream, &self.frames)
    }
}

/// The bytes of `p` the prefilter looks for: its last [`PREFILTER_TAIL`] bytes.
fn tail_of(p: &[u8]) -> &[u8] {
    p.get(p.len().saturating_sub(PREFILTER_TAIL)..).unwrap_or(p)
}

/// The order `find_in` reports hits in.
fn sort_hits(hits: &mut [SecretHit]) {
    hits.sort_by(|a, b| {
        (a.range.start, a.range.end, a.secret_index, a.variant).cmp(&(
            b.range.start,
            b.range.end,
            b.secret_index,
            b.variant,
        ))
    });
}

fn find_sub(hay: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() || needle.len() > hay.len() {
        return None;
    }
    hay.windows(needle.len()).position(|w| w == needle)
}

/// All search patterns of one secret with the variant each stands for (may repeat; the
/// caller deduplicates).
fn variants_of(secret: &[u8]) -> Vec<(Vec<u8>, Variant)> {
    let mut out = vec![(secret.to_vec(), Variant::Raw)];
    // URL encoding: form style (space as '+', upper-case hex), then %20 for spaces, then
    // both with lower-case hex digits.
    let form: String = form_urlencoded::byte_serialize(secret).collect();
    let pct20 = form.replace('+', "%20");
    for s in [&form, &pct20] {
        out.push((s.as_bytes().to_vec(), Variant::UrlEncoded));
        out.push((lower_percent_hex(s).into_bytes(), Variant::UrlEncoded));
    }
    for alignment in 0u8..3 {
        for url_safe in [false, true] {
            if let Some(p) = base64_inner(secret, alignment, url_safe) {
                out.push((
                    p,
                    Variant::Base64 {
                        url_safe,
                        alignment,
                    },
                ));
            }
        }
    }
    let h = hex::encode(secret);
    out.push((h.to_ascii_uppercase().into_bytes(), Variant::Hex));
    out.push((h.into_bytes(), Variant::Hex));
    // A variant equal to the raw bytes is just the raw secret.
    out.retain(|(p, v)| *v == Variant::Raw || p.as_slice() != secret);
    out
}

/// Lower-case the two hex digits after every `%`.
fn lower_percent_hex(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut left = 0u8;
    for c in s.chars() {
        if c == '%' {
            left = 2;
            out.push(c);
        } else if left > 0 {
            left -= 1;
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// The base64 characters that encode only `secret`'s bits when it sits at byte offset
/// `alignment` (mod 3) inside a longer base64-encoded buffer.
fn base64_inner(secret: &[u8], alignment: u8, url_safe: bool) -> Option<Vec<u8>> {
    let a = usize::from(alignment);
    let mut buf = vec![0u8; a];
    buf.extend_from_slice(secret);
    buf.extend_from_slice(&[0, 0, 0]);
    let enc = if url_safe {
        URL_SAFE_NO_PAD.encode(&buf)
    } else {
        STANDARD_NO_PAD.encode(&buf)
    };
    let start = (8 * a).div_ceil(6);
    let end = (8 * (a + secret.len())) / 6;
    let p = enc.as_bytes().get(start..end)?;
    (p.len() >= MIN_BASE64_PATTERN).then(|| p.to_vec())
}

/// Finds secrets in one direction of one stream, including matches that straddle the
/// chunks data arrives in. Feed in-order chunks with [`StreamScanner::feed`]; call
/// [`StreamScanner::hole`] for a gap (a match cannot span missing bytes).
///
/// Memory is bounded: it keeps only the last `max_pattern_len - 1` bytes seen, and the
/// (offset range → frame) entries overlapping those bytes.
#[derive(Debug, Clone, Default)]
pub struct StreamScanner {
    carry: Vec<u8>,
    /// Stream offset of `carry[0]`.
    carry_start: u64,
    /// Offset the next chunk should have; `None` before the first chunk or after a hole.
    next_offset: Option<u64>,
    /// (start, end, frame) of the chunks that overlap `carry` (and the current chunk).
    frame_map: VecDeque<(u64, u64, u64)>,
}

impl StreamScanner {
    pub fn new() -> StreamScanner {
        StreamScanner::default()
    }

    /// Forget the carried bytes: a hole (missing bytes) or an out-of-sequence chunk.
    pub fn hole(&mut self) {
        self.carry.clear();
        self.frame_map.clear();
        self.next_offset = None;
    }

    /// Bytes currently carried over (≤ `set.max_pattern_len() - 1`).
    pub fn carry_len(&self) -> usize {
        self.carry.len()
    }

    /// Entries in the offset → frame map (bounded by the carry length + 1).
    pub fn frame_map_len(&self) -> usize {
        self.frame_map.len()
    }

    /// Scan the chunk at stream `offset` carried by `frame`. Reports every match that ends
    /// inside this chunk (matches wholly inside earlier chunks were reported then). A chunk
    /// that does not follow the previous one resets the carry first, like a hole.
    pub fn feed(
        &mut self,
        set: &SecretSet,
        offset: u64,
        data: &[u8],
        frame: u64,
    ) -> Vec<StreamHit> {
        let mut hits = Vec::new();
        if data.is_empty() {
            return hits;
        }
        if self.next_offset != Some(offset) {
            self.hole();
        }
        if self.carry.is_empty() {
            self.carry_start = offset;
        }
        let chunk_end = offset.saturating_add(data.len() as u64);
        self.frame_map.push_back((offset, chunk_end, frame));
        self.next_offset = Some(chunk_end);

        let keep = set.max_pattern_len().saturating_sub(1);
        let carried = self.carry.len();
        let Some(from) = self.first_tail(set, data) else {
            // Nothing can end in this chunk: keep the last `keep` bytes without copying
            // the chunk behind the carried ones.
            if data.len() >= keep {
                let cut = data.len() - keep;
                self.carry.clear();
                self.carry
                    .extend_from_slice(data.get(cut..).unwrap_or_default());
                self.carry_start = offset.saturating_add(cut as u64);
            } else {
                self.carry.extend_from_slice(data);
                let cut = self.carry.len().saturating_sub(keep);
                self.carry.drain(..cut);
                self.carry_start = self.carry_start.saturating_add(cut as u64);
            }
            self.trim_frame_map();
            return hits;
        };
        let mut buf = Vec::with_capacity(carried.saturating_add(data.len()));
        buf.extend_from_slice(&self.carry);
        buf.extend_from_slice(data);
        let base = self.carry_start;
        for h in set.find_from(&buf, from) {
            if h.range.end <= carried {
                continue;
            }
            let start = base.saturating_add(h.range.start as u64);
            let end = base.saturating_add(h.range.end as u64);
            let mut frames: Vec<u64> = self
                .frame_map
                .iter()
                .filter(|(s, e, _)| *s < end && *e > start)
                .map(|(_, _, f)| *f)
                .collect();
            frames.sort_unstable();
            frames.dedup();
            hits.push(StreamHit {
                secret_index: h.secret_index,
                variant: h.variant,
                range: start..end,
                frames,
                matched: buf.get(h.range.clone()).unwrap_or_default().to_vec(),
            });
        }
        let cut = buf.len() - keep.min(buf.len());
        self.carry.clear();
        self.carry
            .extend_from_slice(buf.get(cut..).unwrap_or_default());
        self.carry_start = base.saturating_add(cut as u64);
        self.trim_frame_map();
        hits
    }

    /// Where, in the carried bytes followed by `data`, the search for matches ending in
    /// `data` can start: `None` when no match can end there. A match ending in `data`
    /// ends with its tail (at most [`PREFILTER_TAIL`] bytes), which is either inside `data`
    /// or starts in the carry's last `PREFILTER_TAIL - 1` bytes and ends within the first
    /// `PREFILTER_TAIL - 1` of `data`: only those few bytes are asked about the seam, from
    /// a buffer on the stack. A seam tail that starts inside `data` is left to the search
    /// of `data`, which finds the leftmost one there.
    fn first_tail(&self, set: &SecretSet, data: &[u8]) -> Option<usize> {
        const W: usize = PREFILTER_TAIL - 1;
        let carried = self.carry.len();
        let c = carried.min(W);
        if c > 0 {
            let d = data.len().min(W);
            let mut seam = [0u8; 2 * W];
            if let (Some(to), Some(from)) = (seam.get_mut(..c), self.carry.get(carried - c..)) {
                to.copy_from_slice(from);
            }
            if let (Some(to), Some(from)) = (seam.get_mut(c..c + d), data.get(..d)) {
                to.copy_from_slice(from);
            }
            if let Some(p) = set.first_tail(seam.get(..c + d).unwrap_or_default()) {
                if p < c {
                    return Some(carried - c + p);
                }
            }
        }
        set.first_tail(data).map(|p| carried + p)
    }

    /// Drop the frame entries that no longer overlap the carried bytes.
    fn trim_frame_map(&mut self) {
        let cs = self.carry_start;
        if self.carry.is_empty() {
            self.frame_map.clear();
        } else {
            self.frame_map.retain(|(_, e, _)| *e > cs);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::engine::general_purpose::{STANDARD, URL_SAFE};

    fn set(s: &[&str]) -> SecretSet {
        SecretSet::new(s.iter().map(|x| x.as_bytes())).unwrap_or_else(|_| SecretSet::empty())
    }

    fn variants_found(set: &SecretSet, hay: &[u8]) -> Vec<(usize, Variant, Range<usize>)> {
        set.find_in(hay)
            .into_iter()
            .map(|h| (h.secret_index, h.variant, h.range))
            .collect()
    }

    #[test]
    fn raw_secret_found_with_range() {
        let s = set(&["hunter2", "opensesame"]);
        let hay = b"GET /?x=1 HTTP/1.1\r\nX-Note: hunter2\r\n\r\n";
        let v = variants_found(&s, hay);
        assert_eq!(v, vec![(0, Variant::Raw, 28..35)]);
        assert_eq!(hay.get(28..35), Some(&b"hunter2"[..]));
    }

    #[test]
    fn same_bytes_from_two_variants_is_one_hit() {
        // "fluffy tail" in base64 has no '+' or '/': base64 and base64url patterns coincide.
        let s = set(&["fluffy tail"]);
        let hay = b"b=Zmx1ZmZ5IHRhaWw=&";
        let found = variants_found(&s, hay);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].1.label(), "base64");
        assert_eq!(hay.get(found[0].2.clone()), Some(&b"Zmx1ZmZ5IHRhaW"[..]));
    }

    #[test]
    fn url_encoded_variants() {
        let s = set(&["p@ss word/1"]);
        for enc in [
            "p%40ss+word%2F1",
            "p%40ss%20word%2F1",
            "p%40ss+word%2f1",
            "p%40ss%20word%2f1",
        ] {
            let hay = format!("user=bob&password={enc}&x=1");
            let v = variants_found(&s, hay.as_bytes());
            assert_eq!(v.len(), 1, "{enc}");
            assert_eq!(v[0].1, Variant::UrlEncoded);
            assert_eq!(hay.get(v[0].2.clone()), Some(enc));
        }
    }

    #[test]
    fn base64_at_all_three_alignments() {
        let secret = b"correct horse battery staple";
        let s = SecretSet::new([secret]).unwrap_or_else(|_| SecretSet::empty());
        for prefix_len in 0..6usize {
            let mut plain = vec![b'#'; prefix_len];
            plain.extend_from_slice(secret);
            plain.extend_from_slice(b"!tail");
            for url_safe in [false, true] {
                let enc = if url_safe {
                    URL_SAFE.encode(&plain)
                } else {
                    STANDARD.encode(&plain)
                };
                let hay = format!("data: {enc}\n");
                let hits = s.find_in(hay.as_bytes());
                let b64: Vec<_> = hits
                    .iter()
                    .filter(|h| matches!(h.variant, Variant::Base64 { .. }))
                    .collect();
                assert!(!b64.is_empty(), "prefix {prefix_len} url_safe {url_safe}");
                let want = Variant::Base64 {
                    url_safe: false,
                    alignment: (prefix_len % 3) as u8,
                };
                // The secret has no bytes that encode to '+' or '/', so the URL-safe
                // pattern equals the standard one and is reported under the standard label.
                assert!(b64.iter().any(|h| h.variant == want), "{b64:?}");
            }
        }
    }

    #[test]
    fn base64_url_safe_distinct_when_alphabets_differ() {
        // 0xfb 0xff encode to '+/' or '-_' depending on the alphabet.
        let secret: &[u8] = &[0xfb, 0xff, 0xbf, 0xfb, 0xff, 0xbf, 0x41, 0x42];
        let s = SecretSet::new([secret]).unwrap_or_else(|_| SecretSet::empty());
        let std = format!("x{}y", STANDARD.encode(secret));
        let url = format!("x{}y", URL_SAFE.encode(secret));
        assert!(s.find_in(std.as_bytes()).iter().any(|h| h.variant
            == Variant::Base64 {
                url_safe: false,
                alignment: 0
            }));
        assert!(s.find_in(url.as_bytes()).iter().any(|h| h.variant
            == Variant::Base64 {
                url_safe: true,
                alignment: 0
            }));
    }

    #[test]
    fn base64_inner_characters_are_stable() {
        // "hunter2" at offset 1: "Xhunter2" and "Yhunter2" encodings share the inner part.
        let p = base64_inner(b"hunter2", 1, false).unwrap_or_default();
        let a = STANDARD.encode(b"Xhunter2Z");
        let b = STANDARD.encode(b"Yhunter2Q");
        let p = String::from_utf8(p).unwrap_or_default();
        assert!(p.len() >= MIN_BASE64_PATTERN);
        assert!(a.contains(&p) && b.contains(&p), "{p} {a} {b}");
    }

    #[test]
    fn tail_prefilter_passes_real_hits_among_near_misses() {
        // Heads of the secret all over the text, the whole secret once: exactly that one
        // is found, at its offset, and a buffer of near-misses alone finds nothing.
        let s = set(&["acorns-4-winter", "pw"]);
        let near = b"buries acorn number 7; 13 acorns; acorns-4-winte; corns-4-winter";
        assert!(variants_found(&s, near).is_empty());
        let mut hay = near.to_vec();
        hay.extend_from_slice(b" user=acorns-4-winter&pw");
        let v = variants_found(&s, &hay);
        let at = near.len() + 6;
        assert_eq!(
            v,
            vec![
                (0, Variant::Raw, at..at + 15),
                (1, Variant::Raw, hay.len() - 2..hay.len())
            ]
        );
    }

    /// The hits of the whole-pattern overlapping automaton, in `find_in`'s order.
    fn overlapping_reference(set: &SecretSet, hay: &[u8]) -> Vec<SecretHit> {
        let mut hits = Vec::new();
        set.overlapping(hay, &mut hits);
        sort_hits(&mut hits);
        hits
    }

    fn ends(set: &SecretSet, hay: &[u8]) -> Option<Vec<(usize, Range<usize>)>> {
        let t = set.prefilter.as_ref()?;
        set.pattern_ends(t, hay, 0, &mut Vec::new())
    }

    #[test]
    fn marking_gives_the_secrets_and_every_token_start() {
        // Token starts next to, inside and overlapping secrets' tails; a secret that is
        // itself `gAAAAA…`; runs of `A` after `g`.
        let s = set(&["hunter2", "gAAAAAsecret", "pw"]);
        let hay = b"x gAAAAAsecret gAAAAAAAAgAAAAA hunter2gAAAAA pwgAAAAApw gAAAA gAAAAA";
        let (hits, marks) = s.find_in_marking(hay);
        assert_eq!(hits, s.find_in(hay));
        assert_eq!(hits, overlapping_reference(&s, hay));
        let want: Vec<usize> = memchr::memmem::find_iter(hay, TOKEN_PREFIX).collect();
        assert_eq!(want.len(), 6);
        assert_eq!(marks, Some(want));
        for i in 0..hay.len() {
            let part = &hay[i..];
            let want: Vec<usize> = memchr::memmem::find_iter(part, TOKEN_PREFIX).collect();
            let (hits, marks) = s.find_in_marking(part);
            assert_eq!(marks, Some(want), "from {i}");
            assert_eq!(hits, overlapping_reference(&s, part), "from {i}");
        }
        assert_eq!(SecretSet::empty().find_in_marking(hay), (Vec::new(), None));
    }

    #[test]
    fn tail_search_finds_what_the_overlapping_automaton_finds() {
        // Short secrets (tails that are whole patterns, several starting at one offset),
        // secrets sharing their last 8 bytes, overlapping occurrences, every variant.
        let s = set(&[
            "hunter2",
            "pw",
            "pwd",
            "xx-password",
            "yy-password",
            "ter2x",
        ]);
        let mut hay = String::from("pwd pw pwpwd hunter2x xx-passwordyy-password ");
        hay.push_str(&STANDARD.encode(b"..xx-password.."));
        hay.push_str(" 68756e74657232 ");
        hay.push_str(&URL_SAFE.encode(b"xhunter2"));
        hay.push_str(" yy%2Dpassword xx-passwor xx-password");
        let hay = hay.as_bytes();
        let want = overlapping_reference(&s, hay);
        assert!(want.len() >= 10, "{want:?}");
        assert_eq!(s.find_in(hay), want);
        assert_eq!(ends(&s, hay).map(|f| f.len()), Some(want.len()));
        // Every suffix and prefix too (matches cut at either end).
        for i in 0..hay.len() {
            let (a, b) = (&hay[i..], &hay[..i]);
            assert_eq!(s.find_in(a), overlapping_reference(&s, a), "from {i}");
            assert_eq!(s.find_in(b), overlapping_reference(&s, b), "to {i}");
        }
    }

    #[test]
    fn short_and_shared_tails_found_across_every_chunking() {
        // Tails shorter than 8 bytes and tails shared by two secrets, cut at every seam.
        let s = set(&["pw", "pwd", "xx-password", "yy-password", "hunter2"]);
        let hay = b"pwd xx-passwordyy-password pwpwd 68756E74657232 xx-passwordpw";
        let whole: Vec<(usize, Range<u64>)> = s
            .find_in(hay)
            .into_iter()
            .map(|h| (h.secret_index, h.range.start as u64..h.range.end as u64))
            .collect();
        assert_eq!(whole.len(), 10, "{whole:?}");
        for size in 1..=hay.len() {
            let mut sc = StreamScanner::new();
            let mut got = Vec::new();
            for (i, chunk) in hay.chunks(size).enumerate() {
                let found = sc.feed(&s, (i * size) as u64, chunk, i as u64);
                got.extend(found.into_iter().map(|h| (h.secret_index, h.range)));
            }
            got.sort_by_key(|(i, r)| (r.start, r.end, *i));
            assert_eq!(got, whole, "chunk size {size}");
        }
    }

    #[test]
    fn a_haystack_of_tails_falls_back_to_the_overlapping_search() {
        // A tail every few bytes exceeds the candidate bound: the answer is the same.
        let s = set(&["abcdefgh", "0123456789abcdefgh", "gh"]);
        let hay = b"abcdefgh".repeat(20_000);
        assert!(ends(&s, &hay).is_none());
        assert_eq!(s.find_in_marking(&hay).1, None);
        let hits = s.find_in(&hay);
        assert_eq!(hits.len(), 40_000);
        assert_eq!(hits, overlapping_reference(&s, &hay));
    }

    #[test]
    fn hex_variant() {
        let s = set(&["hunter2"]);
        let v = variants_found(&s, b"k=68756E74657232 and 68756e74657232");
        assert_eq!(v.len(), 2);
        assert!(v.iter().all(|x| x.1 == Variant::Hex));
    }

    #[test]
    fn secret_inside_basic_auth() {
        let s = set(&["hunter2"]);
        let value = format!("Basic {}", STANDARD.encode("alice:hunter2"));
        // Found by the base64 patterns in the header as it is ...
        let hay = format!("Authorization: {value}\r\n");
        let hits = s.find_in(hay.as_bytes());
        assert!(hits.iter().any(|h| h.variant
            == Variant::Base64 {
                url_safe: false,
                alignment: 0
            }));
        // ... and in the decoded text.
        let hits = s.find_in_basic_auth(value.as_bytes());
        assert_eq!(
            hits,
            vec![SecretHit {
                secret_index: 0,
                variant: Variant::BasicAuthDecoded,
                range: 6..13
            }]
        );
    }

    #[test]
    fn secrets_file_parsing() {
        let text = "# my secrets\n\nhunter2\r\n  # indented comment\ntwo words \n   \n";
        assert_eq!(parse_secrets_file(text), vec!["hunter2", "two words "]);
        let dir = std::env::temp_dir().join(format!("sq-secrets-{}", std::process::id()));
        let _ = std::fs::create_dir_all(&dir);
        let path = dir.join("secrets.txt");
        assert!(std::fs::write(&path, text).is_ok());
        let s = SecretSet::from_args(&["cli-secret".to_string()], Some(&path));
        let _ = std::fs::remove_dir_all(&dir);
        let s = s.unwrap_or_else(|_| SecretSet::empty());
        assert_eq!(s.secrets().len(), 3);
        assert_eq!(s.secrets()[0], b"cli-secret");
        assert_eq!(s.secrets()[2], b"two words ");
    }

    #[test]
    fn bad_secrets_are_errors() {
        assert!(matches!(
            SecretSet::new([b"".as_slice()]),
            Err(SecretError::Empty { index: 0 })
        ));
        let e = SecretSet::from_args(&[], Some(Path::new("/nonexistent/secrets")));
        assert!(matches!(e, Err(SecretError::File { .. })));
        assert!(SecretSet::empty().find_in(b"anything").is_empty());
    }

    #[test]
    fn straddling_two_chunks_lists_both_frames() {
        let s = set(&["hunter2"]);
        let mut sc = StreamScanner::new();
        let a = sc.feed(&s, 0, b"password=hun", 4);
        assert!(a.is_empty());
        let b = sc.feed(&s, 12, b"ter2&next=1", 6);
        assert_eq!(b.len(), 1);
        assert_eq!(b[0].range, 9..16);
        assert_eq!(b[0].frames, vec![4, 6]);
        assert_eq!(b[0].matched, b"hunter2");
        assert_eq!(b[0].variant, Variant::Raw);
    }

    #[test]
    fn straddling_three_chunks_and_no_double_report() {
        let s = set(&["hunter2"]);
        let mut sc = StreamScanner::new();
        let mut hits = Vec::new();
        hits.extend(sc.feed(&s, 100, b"xhu", 1));
        hits.extend(sc.feed(&s, 103, b"nt", 2));
        hits.extend(sc.feed(&s, 105, b"er2 hunter2 ", 3));
        hits.extend(sc.feed(&s, 117, b"zzzz", 4));
        assert_eq!(hits.len(), 2);
        assert_eq!(hits[0].range, 101..108);
        assert_eq!(hits[0].frames, vec![1, 2, 3]);
        assert_eq!(hits[1].range, 109..116);
        assert_eq!(hits[1].frames, vec![3]);
    }

    #[test]
    fn longest_pattern_straddles_with_one_byte_in_the_new_chunk() {
        let s = set(&["hunter2"]);
        // The hex form is the longest pattern (14 bytes): 13 carried + 1 new.
        assert_eq!(s.max_pattern_len(), 14);
        let mut sc = StreamScanner::new();
        assert!(sc.feed(&s, 0, b"68756e7465723", 1).is_empty());
        let h = sc.feed(&s, 13, b"2", 2);
        assert_eq!(h.len(), 1);
        assert_eq!((h[0].variant, h[0].range.clone()), (Variant::Hex, 0..14));
        assert_eq!(h[0].frames, vec![1, 2]);
    }

    #[test]
    fn carry_over_is_bounded() {
        let s = set(&["hunter2"]);
        let keep = s.max_pattern_len() - 1;
        let mut sc = StreamScanner::new();
        let mut off = 0u64;
        for frame in 1..=500u64 {
            let chunk = vec![b'a'; (frame % 7 + 1) as usize];
            assert!(sc.feed(&s, off, &chunk, frame).is_empty());
            off += chunk.len() as u64;
            assert!(sc.carry_len() <= keep);
            assert!(sc.frame_map_len() <= keep + 1);
        }
        assert_eq!(sc.carry_len(), keep);
    }

    #[test]
    fn any_chunking_finds_what_one_search_finds() {
        // Every variant of two secrets, some overlapping, some straddling any cut.
        let s = set(&["hunter2", "ter2x"]);
        let text = format!(
            "a hunter2x b {} c {} d 68756e74657232 e hunter2",
            STANDARD.encode(b"..hunter2.."),
            URL_SAFE.encode(b"xhunter2")
        );
        let hay = text.as_bytes();
        let whole: Vec<(usize, Range<u64>)> = s
            .find_in(hay)
            .into_iter()
            .map(|h| (h.secret_index, h.range.start as u64..h.range.end as u64))
            .collect();
        assert!(whole.len() >= 5, "{whole:?}");
        for size in 1..=hay.len() {
            let mut sc = StreamScanner::new();
            let mut got = Vec::new();
            for (i, chunk) in hay.chunks(size).enumerate() {
                let off = (i * size) as u64;
                got.extend(
                    sc.feed(&s, off, chunk, i as u64)
                        .into_iter()
                        .map(|h| (h.secret_index, h.range)),
                );
                assert!(sc.carry_len() < s.max_pattern_len());
            }
            got.sort_by_key(|(i, r)| (r.start, r.end, *i));
            let mut want = whole.clone();
            want.sort_by_key(|(i, r)| (r.start, r.end, *i));
            assert_eq!(got, want, "chunk size {size}");
        }
    }

    #[test]
    fn hole_resets_carry() {
        let s = set(&["hunter2"]);
        let mut sc = StreamScanner::new();
        assert!(sc.feed(&s, 0, b"pw=hun", 1).is_empty());
        sc.hole();
        assert_eq!(sc.carry_len(), 0);
        assert!(sc.feed(&s, 6, b"ter2", 2).is_empty());
        // An out-of-sequence chunk resets as well.
        assert!(sc.feed(&s, 20, b"hun", 3).is_empty());
        assert!(sc.feed(&s, 30, b"ter2", 4).is_empty());
        // While in-sequence data after the reset still straddles.
        let h = sc.feed(&s, 34, b"", 5);
        assert!(h.is_empty());
        assert!(sc.feed(&s, 34, b" hunter", 6).is_empty());
        let h = sc.feed(&s, 41, b"2", 7);
        assert_eq!(h.len(), 1);
        assert_eq!(h[0].range, 35..42);
        assert_eq!(h[0].frames, vec![6, 7]);
    }

    #[test]
    fn secret_finding_text() {
        let s = set(&["hunter2"]);
        let f = s.finding(0, Variant::UrlEncoded, b"hunter%32", Transport::Clear);
        assert_eq!(f.kind, FindingKind::SecretInClear);
        assert_eq!(f.severity, Severity::High);
        assert_eq!(f.evidence, "hunter%32");
        assert!(f
            .explanation
            .starts_with("Anyone on the path can read secret #1"));
        assert_eq!(f.json()["details"]["variant"], "url-encoded");
        let f = s.finding(0, Variant::Raw, b"hunter2", Transport::DecryptedTls);
        assert_eq!(f.severity, Severity::Info);
        let mut sc = StreamScanner::new();
        let hits = sc.feed(&s, 0, b"x=hunter2", 9);
        let f = hits[0].finding(&s, 3, Transport::Clear);
        assert_eq!((f.stream, f.frames.clone()), (Some(3), vec![9]));
        assert_eq!(f.evidence, "hunter2");
    }
}
