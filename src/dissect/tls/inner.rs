//! The plaintext inside a decrypted TLS stream, handed to the protocol it carries
//! (HTTP/1.x recognised by content). Its events are marked as seen only with the keys.

use crate::dissect::{AppEvent, Detect, DissectConfig, StreamDissector};
use crate::flow::{Direction, StreamId};

/// Plaintext held per stream while its protocol is not yet recognised.
const MAX_HELD: usize = 16 << 10;

/// The dissector of a TLS stream's plaintext, chosen by its first bytes.
pub struct InnerStream {
    stream: StreamId,
    cfg: DissectConfig,
    prefix: [Vec<u8>; 2],
    held: Vec<(Direction, Vec<u8>, u64)>,
    held_bytes: usize,
    /// Plaintext offset per direction.
    offset: [u64; 2],
    child: Option<Box<dyn StreamDissector>>,
    /// No dissector recognised the plaintext.
    unknown: bool,
}

impl InnerStream {
    pub fn new(stream: StreamId, cfg: &DissectConfig) -> Self {
        InnerStream {
            stream,
            cfg: cfg.clone(),
            prefix: [Vec::new(), Vec::new()],
            held: Vec::new(),
            held_bytes: 0,
            offset: [0; 2],
            child: None,
            unknown: false,
        }
    }

    fn mark(out: &mut [AppEvent], from: usize) {
        for e in out.iter_mut().skip(from) {
            e.decrypted = true;
        }
    }

    /// Plaintext application data of `dir`, from the record completed by `frame`.
    pub fn data(
        &mut self,
        dir: Direction,
        data: &[u8],
        frame: u64,
        now: u64,
        out: &mut Vec<AppEvent>,
    ) {
        let i = dir.index();
        let Some(off) = self.offset.get_mut(i) else {
            return;
        };
        let at = *off;
        *off = off.saturating_add(data.len() as u64);
        let start = out.len();
        if let Some(c) = self.child.as_mut() {
            c.data(dir, at, data, frame, now, out);
            Self::mark(out, start);
            return;
        }
        if self.unknown {
            return;
        }
        self.held.push((dir, data.to_vec(), frame));
        self.held_bytes += data.len();
        let p = &mut self.prefix[i];
        let room = 64usize.saturating_sub(p.len());
        p.extend_from_slice(data.get(..room.min(data.len())).unwrap_or_default());
        let verdict = |p: &[u8]| crate::dissect::http::detect(p);
        match (verdict(&self.prefix[0]), verdict(&self.prefix[1])) {
            (Detect::Yes, _) | (_, Detect::Yes) => {
                let mut c: Box<dyn StreamDissector> = Box::new(
                    crate::dissect::http::HttpStream::new(self.stream, &self.cfg),
                );
                let mut offsets = [0u64; 2];
                for (d, bytes, f) in self.held.drain(..) {
                    let o = &mut offsets[d.index()];
                    c.data(d, *o, &bytes, f, now, out);
                    *o += bytes.len() as u64;
                }
                self.held_bytes = 0;
                self.child = Some(c);
                Self::mark(out, start);
            }
            // HTTP/1.x: the client speaks first.
            (Detect::No, _) => self.give_up(),
            _ if self.held_bytes > MAX_HELD => self.give_up(),
            _ => {}
        }
    }

    fn give_up(&mut self) {
        self.unknown = true;
        self.held.clear();
        self.held_bytes = 0;
    }

    pub fn end(&mut self, dir: Direction, now: u64, out: &mut Vec<AppEvent>) {
        let start = out.len();
        if let Some(c) = self.child.as_mut() {
            c.end(dir, now, out);
        }
        Self::mark(out, start);
    }

    pub fn close(&mut self, now: u64, out: &mut Vec<AppEvent>) {
        let start = out.len();
        if let Some(c) = self.child.as_mut() {
            c.close(now, out);
        }
        Self::mark(out, start);
    }
}
