//! Community ID v1 flow hash (the value Zeek, Suricata and Wireshark compute), so records
//! join with theirs: `1:` + base64(SHA-1(seed ‖ src addr ‖ dst addr ‖ protocol ‖ 0 ‖
//! src port ‖ dst port)), with the endpoints ordered so both directions hash alike
//! (smaller address first; on equal addresses, smaller port first). Seed 0.

use std::net::IpAddr;

use base64::Engine;
use sha1::{Digest, Sha1};

use super::{Endpoint, Transport};

/// IANA protocol numbers of the transports.
fn protocol_number(t: Transport) -> u8 {
    match t {
        Transport::Tcp => 6,
        Transport::Udp => 17,
    }
}

fn addr_bytes(a: &IpAddr) -> Vec<u8> {
    match a {
        IpAddr::V4(v4) => v4.octets().to_vec(),
        IpAddr::V6(v6) => v6.octets().to_vec(),
    }
}

/// The Community ID v1 (seed 0) of the flow between `a` and `b` over `transport`.
pub fn community_id(transport: Transport, a: Endpoint, b: Endpoint) -> String {
    let (ab, bb) = (addr_bytes(&a.addr), addr_bytes(&b.addr));
    let a_first = (ab.as_slice(), a.port) <= (bb.as_slice(), b.port);
    let (src, sport, dst, dport) = if a_first {
        (ab, a.port, bb, b.port)
    } else {
        (bb, b.port, ab, a.port)
    };
    let mut h = Sha1::new();
    h.update(0u16.to_be_bytes());
    h.update(&src);
    h.update(&dst);
    h.update([protocol_number(transport), 0]);
    h.update(sport.to_be_bytes());
    h.update(dport.to_be_bytes());
    format!(
        "1:{}",
        base64::engine::general_purpose::STANDARD.encode(h.finalize())
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ep(addr: &str, port: u16) -> Endpoint {
        Endpoint {
            addr: addr.parse().unwrap_or(IpAddr::from([0, 0, 0, 0])),
            port,
        }
    }

    /// Values from tshark 4.0 (`--enable-protocol communityid -e communityid`) on the first
    /// packet of bundled and corpus captures, and from the Community ID specification's
    /// baseline (`tcp 128.232.110.120:34855 → 66.35.250.204:80`).
    #[test]
    fn matches_tshark_and_the_specification() {
        let cases = [
            (
                Transport::Tcp,
                ep("127.0.0.1", 46460),
                ep("127.0.0.1", 5683),
                "1:ChfX8pbrpE7jIinh7T7/GLJtrUE=",
            ),
            (
                Transport::Udp,
                ep("127.0.0.1", 36757),
                ep("127.0.0.1", 5353),
                "1:TICWonpD/IOtUqKKcCAVkSNwZGU=",
            ),
            (
                Transport::Tcp,
                ep("127.0.0.1", 51810),
                ep("127.0.0.1", 44303),
                "1:4LUEzQesCwSMMHDcgKGH/Lp1sWY=",
            ),
            (
                Transport::Tcp,
                ep("2a01:e0a:b2e:ca60:3115:4578:37ed:f44f", 37642),
                ep("2001:41d0:a:f78a::1", 80),
                "1:s4gD8e+8ARXZDbxBS0OkCKuo5JQ=",
            ),
            (
                Transport::Tcp,
                ep("::1", 55717),
                ep("::1", 8000),
                "1:WVcbZC4PFnnY1xHgiri53kVhzkw=",
            ),
            (
                Transport::Tcp,
                ep("128.232.110.120", 34855),
                ep("66.35.250.204", 80),
                "1:LQU9qZlK+B5F3KDmev6m5PMibrg=",
            ),
        ];
        for (t, a, b, want) in cases {
            assert_eq!(community_id(t, a, b), want, "{a} → {b}");
            assert_eq!(community_id(t, b, a), want, "{b} → {a} (reverse direction)");
        }
    }
}
