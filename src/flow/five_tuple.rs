//! The canonical five-tuple that keys a TCP flow.

use super::Endpoint;

/// Both directions of a TCP connection map to the same key: the endpoints are stored in
/// ascending order (address, then port), so `(a → b)` and `(b → a)` are equal.
/// The protocol is always TCP here, so it is not stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FlowKey {
    pub lo: Endpoint,
    pub hi: Endpoint,
}

impl FlowKey {
    /// The key of the flow a packet from `src` to `dst` belongs to.
    pub fn new(src: Endpoint, dst: Endpoint) -> Self {
        if src <= dst {
            FlowKey { lo: src, hi: dst }
        } else {
            FlowKey { lo: dst, hi: src }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

    fn ep(a: [u8; 4], port: u16) -> Endpoint {
        Endpoint {
            addr: IpAddr::V4(Ipv4Addr::from(a)),
            port,
        }
    }

    #[test]
    fn both_directions_share_a_key() {
        let c = ep([10, 0, 0, 2], 50000);
        let s = ep([10, 0, 0, 1], 80);
        assert_eq!(FlowKey::new(c, s), FlowKey::new(s, c));
        assert_eq!(FlowKey::new(c, s).lo, s);
        let other = ep([10, 0, 0, 2], 50001);
        assert_ne!(FlowKey::new(other, s), FlowKey::new(c, s));
        let v6 = Endpoint {
            addr: IpAddr::V6(Ipv6Addr::LOCALHOST),
            port: 80,
        };
        assert_eq!(FlowKey::new(v6, c), FlowKey::new(c, v6));
    }
}
