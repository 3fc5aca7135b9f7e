//! `Transfer-Encoding: chunked` framing: hex size lines with extensions, chunk data, the
//! last chunk and trailer fields.

/// Longest chunk size line (size, extensions, line end) accepted.
const MAX_SIZE_LINE: usize = 4096;
/// Chunk sizes remembered for the tree; more are only counted.
pub(crate) const MAX_CHUNKS_KEPT: usize = 64;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Phase {
    /// Reading a size line.
    Size,
    /// Inside chunk data, this many bytes left.
    Data(u64),
    /// After chunk data: the CRLF (`cr` once the CR was seen).
    DataEnd {
        cr: bool,
    },
    /// After the last chunk: trailer lines up to the blank line.
    Trailers,
    Done,
}

/// What one step over the input produced.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum ChunkOut<'a> {
    /// Framing bytes consumed, nothing to report.
    Framing,
    /// Entity bytes (chunk data).
    Data(&'a [u8]),
    /// The last chunk and the trailers are complete.
    Done,
    /// The framing is broken; body parsing must stop. Plain text, no wire bytes.
    Bogus(&'static str),
}

#[derive(Debug, Clone)]
pub(crate) struct Chunked {
    phase: Phase,
    line: Vec<u8>,
    trailer_block: Vec<u8>,
    max_trailers: usize,
    /// Sizes of the first chunks (bounded by [`MAX_CHUNKS_KEPT`]).
    pub sizes: Vec<u64>,
    /// Number of data chunks seen.
    pub count: u64,
}

impl Chunked {
    pub fn new(max_trailers: usize) -> Self {
        Chunked {
            phase: Phase::Size,
            line: Vec::new(),
            trailer_block: Vec::new(),
            max_trailers,
            sizes: Vec::new(),
            count: 0,
        }
    }

    /// The raw trailer lines (without the final blank line).
    pub fn trailer_block(&self) -> &[u8] {
        &self.trailer_block
    }

    /// Bytes still expected in the current chunk, when inside chunk data.
    pub fn data_left(&self) -> Option<u64> {
        match self.phase {
            Phase::Data(n) => Some(n),
            _ => None,
        }
    }

    /// Account for `len` missing bytes inside chunk data (caller checked `data_left`).
    pub fn skip_data(&mut self, len: u64) {
        if let Phase::Data(n) = self.phase {
            let left = n.saturating_sub(len);
            self.phase = if left == 0 {
                Phase::DataEnd { cr: false }
            } else {
                Phase::Data(left)
            };
        }
    }

    /// Consume bytes from the start of `input`; returns how many and what they were.
    /// Consumes at least one byte unless the result is `Bogus` or `Done`.
    pub fn step<'a>(&mut self, input: &'a [u8]) -> (usize, ChunkOut<'a>) {
        match self.phase {
            Phase::Done => (0, ChunkOut::Done),
            Phase::Data(left) => {
                let n = usize::try_from(left).unwrap_or(usize::MAX).min(input.len());
                let left = left.saturating_sub(n as u64);
                self.phase = if left == 0 {
                    Phase::DataEnd { cr: false }
                } else {
                    Phase::Data(left)
                };
                (n, ChunkOut::Data(input.get(..n).unwrap_or(&[])))
            }
            Phase::DataEnd { cr } => match input.first() {
                Some(b'\r') if !cr => {
                    self.phase = Phase::DataEnd { cr: true };
                    (1, ChunkOut::Framing)
                }
                Some(b'\n') => {
                    self.phase = Phase::Size;
                    (1, ChunkOut::Framing)
                }
                Some(_) => (0, ChunkOut::Bogus("missing CRLF after chunk data")),
                None => (0, ChunkOut::Framing),
            },
            Phase::Size | Phase::Trailers => self.line_step(input),
        }
    }

    fn line_step<'a>(&mut self, input: &'a [u8]) -> (usize, ChunkOut<'a>) {
        let (take, complete) = match input.iter().position(|&b| b == b'\n') {
            Some(nl) => (nl + 1, true),
            None => (input.len(), false),
        };
        self.line
            .extend_from_slice(input.get(..take).unwrap_or(&[]));
        let trailers = self.phase == Phase::Trailers;
        if !complete {
            if !trailers && self.line.len() > MAX_SIZE_LINE {
                return (take, ChunkOut::Bogus("chunk size line too long"));
            }
            if trailers && self.trailer_block.len() + self.line.len() > self.max_trailers {
                return (take, ChunkOut::Bogus("chunk trailers too long"));
            }
            return (take, ChunkOut::Framing);
        }
        let line = std::mem::take(&mut self.line);
        let text = line
            .strip_suffix(b"\n")
            .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
            .unwrap_or(&line);
        if trailers {
            if text.is_empty() {
                self.phase = Phase::Done;
                return (take, ChunkOut::Done);
            }
            if self.trailer_block.len() + line.len() > self.max_trailers {
                return (take, ChunkOut::Bogus("chunk trailers too long"));
            }
            self.trailer_block.extend_from_slice(&line);
            return (take, ChunkOut::Framing);
        }
        if text.len() > MAX_SIZE_LINE {
            return (take, ChunkOut::Bogus("chunk size line too long"));
        }
        match parse_size(text) {
            Some(0) => {
                self.phase = Phase::Trailers;
                (take, ChunkOut::Framing)
            }
            Some(n) => {
                self.count = self.count.saturating_add(1);
                if self.sizes.len() < MAX_CHUNKS_KEPT {
                    self.sizes.push(n);
                }
                self.phase = Phase::Data(n);
                (take, ChunkOut::Framing)
            }
            None => (take, ChunkOut::Bogus("bogus chunk size")),
        }
    }
}

/// Hex chunk size, then optional whitespace and `;extensions`. `None` when there are no hex
/// digits, the size overflows 64 bits, or junk follows the digits.
fn parse_size(line: &[u8]) -> Option<u64> {
    let start = line
        .iter()
        .take_while(|&&b| b == b' ' || b == b'\t')
        .count();
    let digits = line.get(start..)?;
    let n = digits.iter().take_while(|b| b.is_ascii_hexdigit()).count();
    if n == 0 {
        return None;
    }
    let mut size: u64 = 0;
    for &d in digits.get(..n)? {
        let v = char::from(d).to_digit(16)?;
        size = size.checked_mul(16)?.checked_add(u64::from(v))?;
    }
    let rest = digits.get(n..)?;
    let rest = rest
        .get(
            rest.iter()
                .take_while(|&&b| b == b' ' || b == b'\t')
                .count()..,
        )
        .unwrap_or(&[]);
    if rest.is_empty() || rest.first() == Some(&b';') {
        Some(size)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Run the whole input through, `piece` bytes at a time; returns the data and the end.
    fn run(input: &[u8], piece: usize) -> (Vec<u8>, Option<&'static str>, usize) {
        let mut c = Chunked::new(1024);
        let mut data = Vec::new();
        let mut used = 0;
        for part in input.chunks(piece) {
            let mut pos = 0;
            while pos < part.len() {
                let (n, out) = c.step(&part[pos..]);
                pos += n;
                used += n;
                match out {
                    ChunkOut::Data(d) => data.extend_from_slice(d),
                    ChunkOut::Framing => {}
                    ChunkOut::Done => return (data, None, used),
                    ChunkOut::Bogus(r) => return (data, Some(r), used),
                }
            }
        }
        (data, Some("unfinished"), used)
    }

    #[test]
    fn sizes_extensions_trailers() {
        let body = b"5;name=val\r\nhello\r\nA \r\n0123456789\r\n0\r\nX-Sum: 1\r\n\r\nNEXT";
        for piece in 1..body.len() {
            let (data, end, used) = run(body, piece);
            assert_eq!(data, b"hello0123456789");
            assert_eq!(end, None, "piece {piece}");
            assert_eq!(used, body.len() - 4);
        }
        let mut c = Chunked::new(1024);
        let mut pos = 0;
        loop {
            let (n, out) = c.step(&body[pos..]);
            pos += n;
            if out == ChunkOut::Done {
                break;
            }
        }
        assert_eq!(c.sizes, vec![5, 10]);
        assert_eq!(c.count, 2);
        assert_eq!(c.trailer_block(), b"X-Sum: 1\r\n");
    }

    #[test]
    fn overflow_and_junk_are_bogus() {
        assert_eq!(
            run(b"10000000000000000\r\n", 64).1,
            Some("bogus chunk size")
        );
        assert_eq!(run(b"zz\r\n", 64).1, Some("bogus chunk size"));
        assert_eq!(run(b"5x\r\n", 64).1, Some("bogus chunk size"));
        assert_eq!(
            run(b"3\r\nabcXY", 64).1,
            Some("missing CRLF after chunk data")
        );
        assert_eq!(parse_size(b"ffffffffffffffff"), Some(u64::MAX));
        assert_eq!(parse_size(b"1f ; ext"), Some(31));
    }

    #[test]
    fn bounded_lines() {
        let mut long = vec![b'0'; MAX_SIZE_LINE + 10];
        long.extend_from_slice(b"1\r\n");
        assert_eq!(run(&long, 100).1, Some("chunk size line too long"));
    }
}
