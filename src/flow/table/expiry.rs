//! Closing streams by packet time: the idle timeout and the linger after FIN/RST
//! ([`FlowTable::advance`]), and the end of the capture ([`FlowTable::finish`]).

use super::*;

impl FlowTable {
    /// Close every stream whose deadline (idle timeout, or linger after FIN/RST) is before
    /// `now` (packet time). Streams close in order of deadline, then stream id.
    pub fn advance(&mut self, now: Timestamp, sink: &mut dyn StreamSink) {
        while let Some(&(deadline, _, _)) = self.expiry.first() {
            if deadline >= now {
                break;
            }
            let Some(flow) = self.first_due() else {
                continue;
            };
            if flow.deadline >= now {
                self.put(flow);
                continue;
            }
            let reason = if flow.reset {
                CloseReason::Reset
            } else if flow.finished() {
                CloseReason::Fin
            } else {
                CloseReason::Idle
            };
            let frame = flow.last_frame;
            self.close(flow, reason, frame, sink);
        }
    }

    /// Pop the first entry of the expiry index. A stale entry (the flow is gone, or a newer
    /// stream has its key) is dropped; an entry whose flow has moved its deadline since is
    /// re-indexed; either way `None`, and the caller looks again. Otherwise the flow is
    /// taken out of the table: its index entry was accurate.
    pub(super) fn first_due(&mut self) -> Option<Box<Flow>> {
        let (deadline, stream, key) = self.expiry.pop_first()?;
        match self.flows.get_mut(&key) {
            Some(f) if f.stream == stream && f.indexed == Some(deadline) => {
                if f.deadline > deadline {
                    f.indexed = Some(f.deadline);
                    self.expiry.insert((f.deadline, f.stream, f.key));
                    None
                } else {
                    let mut flow = self.flows.remove(&key)?;
                    flow.indexed = None;
                    Some(flow)
                }
            }
            _ => None,
        }
    }

    /// End of capture: flush and close every live stream, in stream-id order.
    pub fn finish(&mut self, sink: &mut dyn StreamSink) {
        let mut keys: Vec<(StreamId, FlowKey)> =
            self.flows.values().map(|f| (f.stream, f.key)).collect();
        keys.sort_unstable();
        for (_, key) in keys {
            if let Some(flow) = self.take(&key) {
                let reason = if flow.reset {
                    CloseReason::Reset
                } else if flow.finished() {
                    CloseReason::Fin
                } else {
                    CloseReason::EndOfCapture
                };
                let frame = flow.last_frame;
                self.close(flow, reason, frame, sink);
            }
        }
    }
}
