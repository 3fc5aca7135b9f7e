//! Byte ranges of header fields, relative to the start of their header: named once here,
//! used by the tree renderer to highlight the same bytes as the hex dump.

use std::ops::Range;

/// Shift a header-relative range by the header's offset in the frame.
pub fn at(base: usize, r: Range<usize>) -> Range<usize> {
    base + r.start..base + r.end
}

pub mod ethernet {
    use super::Range;
    pub const DST: Range<usize> = 0..6;
    pub const SRC: Range<usize> = 6..12;
    pub const ETHER_TYPE: Range<usize> = 12..14;
    pub const LEN: usize = 14;
}

pub mod vlan {
    use super::Range;
    /// TCI (priority, DEI, id) relative to the tag after the outer ether type.
    pub const TCI: Range<usize> = 0..2;
    pub const ETHER_TYPE: Range<usize> = 2..4;
    pub const LEN: usize = 4;
}

pub mod null {
    use super::Range;
    pub const FAMILY: Range<usize> = 0..4;
    pub const LEN: usize = 4;
}

pub mod sll {
    use super::Range;
    pub const PACKET_TYPE: Range<usize> = 0..2;
    pub const ARPHRD: Range<usize> = 2..4;
    pub const ADDR_LEN: Range<usize> = 4..6;
    pub const ADDR: Range<usize> = 6..14;
    pub const PROTOCOL: Range<usize> = 14..16;
    pub const LEN: usize = 16;
}

pub mod sll2 {
    use super::Range;
    pub const PROTOCOL: Range<usize> = 0..2;
    pub const RESERVED: Range<usize> = 2..4;
    pub const IFINDEX: Range<usize> = 4..8;
    pub const ARPHRD: Range<usize> = 8..10;
    pub const PACKET_TYPE: Range<usize> = 10..11;
    pub const ADDR_LEN: Range<usize> = 11..12;
    pub const ADDR: Range<usize> = 12..20;
    pub const LEN: usize = 20;
}

pub mod ipv4 {
    use super::Range;
    pub const VER_IHL: Range<usize> = 0..1;
    pub const DSCP_ECN: Range<usize> = 1..2;
    pub const TOTAL_LEN: Range<usize> = 2..4;
    pub const IDENT: Range<usize> = 4..6;
    pub const FLAGS_FRAG: Range<usize> = 6..8;
    pub const TTL: Range<usize> = 8..9;
    pub const PROTOCOL: Range<usize> = 9..10;
    pub const CHECKSUM: Range<usize> = 10..12;
    pub const SRC: Range<usize> = 12..16;
    pub const DST: Range<usize> = 16..20;
    pub const MIN_LEN: usize = 20;
}

pub mod ipv6 {
    use super::Range;
    pub const VER_TC_FLOW: Range<usize> = 0..4;
    pub const PAYLOAD_LEN: Range<usize> = 4..6;
    pub const NEXT_HEADER: Range<usize> = 6..7;
    pub const HOP_LIMIT: Range<usize> = 7..8;
    pub const SRC: Range<usize> = 8..24;
    pub const DST: Range<usize> = 24..40;
    pub const LEN: usize = 40;
}

/// The IPv6 Fragment extension header (RFC 8200 4.5).
pub mod ipv6_fragment {
    use super::Range;
    pub const NEXT_HEADER: Range<usize> = 0..1;
    pub const RESERVED: Range<usize> = 1..2;
    pub const OFFSET_FLAGS: Range<usize> = 2..4;
    pub const IDENT: Range<usize> = 4..8;
    pub const LEN: usize = 8;
}

pub mod tcp {
    use super::Range;
    pub const SRC_PORT: Range<usize> = 0..2;
    pub const DST_PORT: Range<usize> = 2..4;
    pub const SEQ: Range<usize> = 4..8;
    pub const ACK: Range<usize> = 8..12;
    pub const DATA_OFF_FLAGS: Range<usize> = 12..14;
    pub const WINDOW: Range<usize> = 14..16;
    pub const CHECKSUM: Range<usize> = 16..18;
    pub const URGENT: Range<usize> = 18..20;
    pub const MIN_LEN: usize = 20;
}

pub mod udp {
    use super::Range;
    pub const SRC_PORT: Range<usize> = 0..2;
    pub const DST_PORT: Range<usize> = 2..4;
    pub const LENGTH: Range<usize> = 4..6;
    pub const CHECKSUM: Range<usize> = 6..8;
    pub const LEN: usize = 8;
}

pub mod icmp {
    use super::Range;
    pub const TYPE: Range<usize> = 0..1;
    pub const CODE: Range<usize> = 1..2;
    pub const CHECKSUM: Range<usize> = 2..4;
    pub const REST: Range<usize> = 4..8;
}
