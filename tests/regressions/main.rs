//! Inputs that once broke a fuzz target (or its invariants), replayed through the same
//! harness (`fuzz/harness.rs`). Each test names the fix it guards.

#[path = "../../fuzz/harness.rs"]
mod harness;

/// Segments buffered beyond the place a later FIN claims were kept; closing the stream then
/// flushed them as a hole *after* the direction's `End` (found by `reassembly`, fixed in
/// `HalfStream::set_fin`, which now drops buffered bytes past the FIN).
///
/// Four segments from one side, no handshake: 24 uncaptured bytes (snaplen) 0xa0d ahead,
/// 1 uncaptured byte 0x3200 past that, a segment whose sequence number wraps, and FIN|ACK
/// 0x161 ahead of it (before the buffered bytes).
#[test]
fn buffered_bytes_past_fin_are_dropped_not_flushed_after_end() {
    let input: [u8; 32] = [
        0x00, 0x00, 0x0d, 0x0a, 0x00, 0x18, 0x00, 0x00, //
        0x00, 0x00, 0x00, 0x32, 0x00, 0x01, 0x18, 0x00, //
        0x18, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x0d, //
        0x00, 0x31, 0x61, 0x01, 0x00, 0x00, 0x00, 0x02,
    ];
    let sink = harness::reassembly_run(&input);
    // Open, the hole up to the FIN, End, Close (and the mid-stream pickup note).
    assert!(sink.events >= 4, "only {} events", sink.events);
    assert_eq!(sink.data_bytes, 0);
}
