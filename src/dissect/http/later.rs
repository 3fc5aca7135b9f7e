//! `-2`: the frames an HTTP/1.x message points forward to (tshark's `http.response_in`,
//! `http.next_request_in`, `http.next_response_in`), which a single pass cannot know when
//! it shows the message. A first, quiet pass over the file records where each request and
//! response of each TCP stream completed ([`LaterFrames::record_request`],
//! [`LaterFrames::record_response`]); the printing pass reads
//! them back for each message it completes ([`LaterFrames::forward`]). Both passes read the
//! same file with the same options on one thread, so the streams and the messages' indexes
//! are the same in both.
//!
//! tshark's rules, read from its `-2` output: request N's response is the final response
//! that answers it; the next request of request N or of response N is request N + 1; the
//! next response (of a response only) is response N + 1 (N counted as `http.request_number`
//! and `http.response_number` count, interim responses included).

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};

use foldhash::HashMap;

use crate::flow::StreamId;

/// Budget bytes counted per recorded message (its key and frame, and the map's own room).
pub const ENTRY_COST: usize = 64;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Kind {
    /// Request index → the frame that completed it.
    Request,
    /// Response index → the frame that completed it.
    Response,
    /// Index of the request a final response answers → the frame that completed it.
    Answer,
}

/// The forward frames of one message (`None` where there is none, or without `-2`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Forward {
    /// A request's final response (`http.response_in`).
    pub response: Option<u64>,
    /// The stream's next request (`http.next_request_in`).
    pub next_request: Option<u64>,
    /// A response's next response (`http.next_response_in`).
    pub next_response: Option<u64>,
}

/// Where the messages of a file completed, filled by the first pass of `-2`.
#[derive(Debug)]
pub struct LaterFrames {
    recording: AtomicBool,
    map: Mutex<HashMap<(StreamId, Kind, usize), u64>>,
    /// Messages recorded at most (the memory budget's share); past it, counted.
    cap: usize,
    dropped: AtomicU64,
}

impl LaterFrames {
    /// An empty record, taking at most `budget` bytes.
    pub fn new(budget: usize) -> Self {
        LaterFrames {
            recording: AtomicBool::new(true),
            map: Mutex::new(HashMap::default()),
            cap: (budget / ENTRY_COST).max(1),
            dropped: AtomicU64::new(0),
        }
    }

    /// The first pass is over: from now on the record is read.
    pub fn done_recording(&self) {
        self.recording.store(false, Ordering::Relaxed);
    }

    pub fn recording(&self) -> bool {
        self.recording.load(Ordering::Relaxed)
    }

    /// Messages the budget left out of the record (their forward frames are not shown).
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }

    fn put(&self, key: (StreamId, Kind, usize), frame: u64) {
        let mut m = self.map.lock().unwrap_or_else(PoisonError::into_inner);
        if m.len() >= self.cap && !m.contains_key(&key) {
            self.dropped.fetch_add(1, Ordering::Relaxed);
            return;
        }
        m.entry(key).or_insert(frame);
    }

    /// First pass: request `index` of `stream` completed in `frame`.
    pub fn record_request(&self, stream: StreamId, index: usize, frame: u64) {
        self.put((stream, Kind::Request, index), frame);
    }

    /// First pass: response `index` of `stream` completed in `frame`; a final response
    /// also answers request `answers`.
    pub fn record_response(
        &self,
        stream: StreamId,
        index: usize,
        answers: Option<usize>,
        frame: u64,
    ) {
        self.put((stream, Kind::Response, index), frame);
        if let Some(r) = answers {
            self.put((stream, Kind::Answer, r), frame);
        }
    }

    /// Second pass: the forward frames of request `index` (`request`) or response `index`.
    pub fn forward(&self, stream: StreamId, request: bool, index: usize) -> Forward {
        let m = self.map.lock().unwrap_or_else(PoisonError::into_inner);
        let at = |kind, i: usize| m.get(&(stream, kind, i)).copied();
        let next = index.saturating_add(1);
        Forward {
            response: request.then(|| at(Kind::Answer, index)).flatten(),
            next_request: at(Kind::Request, next),
            next_response: (!request).then(|| at(Kind::Response, next)).flatten(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forward_frames_as_tshark_numbers_them() {
        // keepalive-5-requests: requests in 4, 6, 14; responses in 5, 12, 15.
        let l = LaterFrames::new(1 << 20);
        let s: StreamId = 0;
        for (i, f) in [(0, 4), (1, 6), (2, 14)] {
            l.record_request(s, i, f);
        }
        for (i, f) in [(0, 5), (1, 12), (2, 15)] {
            l.record_response(s, i, Some(i), f);
        }
        l.done_recording();
        assert!(!l.recording());
        let f = |response, next_request, next_response| Forward {
            response,
            next_request,
            next_response,
        };
        assert_eq!(l.forward(s, true, 0), f(Some(5), Some(6), None));
        assert_eq!(l.forward(s, false, 0), f(None, Some(6), Some(12)));
        assert_eq!(l.forward(s, true, 2), f(Some(15), None, None));
        assert_eq!(l.forward(1, true, 0), Forward::default());
    }

    #[test]
    fn the_record_stops_at_its_budget() {
        let l = LaterFrames::new(2 * ENTRY_COST);
        let s: StreamId = 0;
        for i in 0..5 {
            l.record_request(s, i, i as u64 + 1);
        }
        assert_eq!(l.dropped(), 3);
        assert_eq!(l.forward(s, true, 0).next_request, Some(2));
        assert_eq!(l.forward(s, true, 2).next_request, None);
    }
}
