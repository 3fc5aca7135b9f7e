//! DNS over UDP and TCP: the wire format walked laxly with byte ranges ([`wire`]), code
//! point names ([`names`]), the rendered event ([`event`]) and per-session pairing and TCP
//! framing ([`session`]).
//!
//! No DNS crate is used for the wire format: the ones kept on crates.io (hickory-proto,
//! simple-dns, domain) decode strictly into owned values without byte ranges and reject a
//! malformed message whole, while the tree and hex dump need each field's range and a
//! damaged message must still show what it could.

pub mod event;
pub mod names;
pub mod parser;
pub mod session;
pub mod wire;

pub use event::{DnsEvent, DnsTap, DnsTransport, Exchange};
pub use parser::{detect, new_parser, DnsParser};
pub use session::{DnsSession, FramedMessage, TcpFraming};
pub use wire::{looks_like_dns, Message};

/// Well-known DNS ports: DNS, mDNS, LLMNR.
pub const PORTS: [u16; 3] = [53, 5353, 5355];
