//! Frame decoding: link layer, network layer, transport layer, with byte ranges.
