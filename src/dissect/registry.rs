//! The protocol registry: one row per protocol. Detection, dispatch and the session
//! summaries go through this table; nothing else names a protocol (see [`super::parser`]
//! for how to add one).

use super::parser::{Detect, Parser, ParserConfig, SessionInfo, Transport};
use crate::flow::Direction;

/// A content probe: looks at the first bytes of one direction.
pub type ProbeFn = fn(&[u8]) -> Detect;
/// Builds the parser of one session (or child stream).
pub type NewParserFn = fn(&SessionInfo, &ParserConfig) -> Box<dyn Parser>;

/// One protocol.
#[derive(Debug)]
pub struct Protocol {
    /// Registry name (`http`, `tls`): forcing a child by name, `-Y` presence.
    pub name: &'static str,
    /// Label in the conversations table and the report (`HTTP`, `TLS`).
    pub label: &'static str,
    /// Transports it runs on.
    pub transports: &'static [Transport],
    /// Content probe of the client → server direction.
    pub probe_to_server: ProbeFn,
    /// Content probe of the server → client direction.
    pub probe_to_client: ProbeFn,
    /// Ports where this protocol is probed before the others (a hint, never a verdict).
    pub ports: &'static [u16],
    /// Its payload is encrypted (the report counts the session's bytes as encrypted, else
    /// as clear).
    pub encrypted: bool,
    pub new_parser: NewParserFn,
}

impl PartialEq for Protocol {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}

impl Eq for Protocol {}

impl Protocol {
    fn probe(&self, dir: Direction, prefix: &[u8]) -> Detect {
        match dir {
            Direction::ToServer => (self.probe_to_server)(prefix),
            Direction::ToClient => (self.probe_to_client)(prefix),
        }
    }
}

/// Every protocol, in probing order (the first `Yes` wins).
pub static PROTOCOLS: &[Protocol] = &[
    // Before `http`: the HTTP/2 preface `PRI * HTTP/2.0` also reads as an HTTP/1 request line.
    Protocol {
        name: "http2",
        label: "HTTP2",
        transports: &[Transport::Tcp],
        probe_to_server: super::http2::detect_client,
        probe_to_client: super::http2::detect_server,
        ports: &[],
        encrypted: false,
        new_parser: super::http2::new_parser,
    },
    Protocol {
        name: "http",
        label: "HTTP",
        transports: &[Transport::Tcp],
        probe_to_server: super::http::detect,
        probe_to_client: super::http::detect,
        ports: &[],
        encrypted: false,
        new_parser: super::http::new_parser,
    },
    Protocol {
        name: "tls",
        label: "TLS",
        transports: &[Transport::Tcp],
        probe_to_server: super::tls::detect,
        probe_to_client: super::tls::detect,
        ports: &[],
        encrypted: true,
        new_parser: super::tls::new_parser,
    },
    Protocol {
        name: "quic",
        label: "QUIC",
        transports: &[Transport::Udp],
        probe_to_server: super::quic::detect,
        probe_to_client: super::quic::detect,
        ports: &[443, 4433],
        encrypted: true,
        new_parser: super::quic::new_parser,
    },
    Protocol {
        name: "dns",
        label: "DNS",
        transports: &[Transport::Udp, Transport::Tcp],
        probe_to_server: super::dns::detect,
        probe_to_client: super::dns::detect,
        ports: &super::dns::PORTS,
        encrypted: false,
        new_parser: super::dns::new_parser,
    },
];

/// The protocol registered under `name`.
pub fn by_name(name: &str) -> Option<&'static Protocol> {
    PROTOCOLS.iter().find(|p| p.name == name)
}

/// What probing the first bytes of a direction concluded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Probe {
    /// This protocol said yes.
    Found(&'static Protocol),
    /// Some protocol needs more bytes.
    NeedMore,
    /// Every protocol of the transport said no.
    None,
}

/// Probe `prefix` (the first bytes of `dir`) with every protocol of `transport`: those whose
/// port hints contain one of `ports` first, then the others, each group in table order.
pub fn probe(transport: Transport, ports: [u16; 2], dir: Direction, prefix: &[u8]) -> Probe {
    let runs_on = |p: &&Protocol| p.transports.contains(&transport);
    let hinted = |p: &Protocol| ports.iter().any(|port| p.ports.contains(port));
    let ordered = PROTOCOLS
        .iter()
        .filter(runs_on)
        .filter(|p| hinted(p))
        .chain(PROTOCOLS.iter().filter(runs_on).filter(|p| !hinted(p)));
    let mut need_more = false;
    for p in ordered {
        match p.probe(dir, prefix) {
            Detect::Yes => return Probe::Found(p),
            Detect::NeedMore => need_more = true,
            Detect::No => {}
        }
    }
    if need_more {
        Probe::NeedMore
    } else {
        Probe::None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn probes_find_http_and_tls_by_content() {
        let http = probe(
            Transport::Tcp,
            [40000, 8443],
            Direction::ToServer,
            b"GET / HTTP/1.1\r\n",
        );
        assert_eq!(
            match http {
                Probe::Found(p) => p.name,
                _ => "",
            },
            "http"
        );
        let tls = probe(
            Transport::Tcp,
            [40000, 80],
            Direction::ToServer,
            &[0x16, 0x03, 0x01, 0x00, 0x40, 0x01],
        );
        assert_eq!(
            match tls {
                Probe::Found(p) => p.name,
                _ => "",
            },
            "tls"
        );
        assert_eq!(
            probe(Transport::Tcp, [1, 2], Direction::ToClient, &[0x16]),
            Probe::NeedMore
        );
        assert_eq!(
            probe(Transport::Tcp, [1, 2], Direction::ToClient, &[0u8; 64]),
            Probe::None
        );
        // HTTP text in a datagram is none of the UDP protocols (QUIC, DNS).
        assert_eq!(
            probe(
                Transport::Udp,
                [1, 2],
                Direction::ToServer,
                b"GET / HTTP/1.1\r\n"
            ),
            Probe::None
        );
    }

    #[test]
    fn names_are_unique() {
        for (i, p) in PROTOCOLS.iter().enumerate() {
            assert!(PROTOCOLS.iter().skip(i + 1).all(|q| q.name != p.name));
            assert_eq!(by_name(p.name).map(|q| q.label), Some(p.label));
        }
    }
}
