//! QUIC (RFC 9000, RFC 9001, RFC 9369 for version 2) on UDP: headers ([`header`]), the
//! Initial packet protection anyone can remove ([`keys`]), frames ([`frames`]), the
//! Initial CRYPTO stream ([`crypto`]) and one connection's state ([`connection`]); what
//! it shows the renderers is in [`event`].

pub mod build;
pub mod connection;
pub mod crypto;
pub mod event;
pub mod frames;
pub mod header;
pub mod http3;
pub mod keys;
pub mod parser;
pub mod protect;
pub mod qpack;
pub mod stream;

pub use connection::QuicConnection;
pub use event::{QuicEvent, QuicSummary};
pub use header::looks_like_quic;
pub use parser::{detect, new_parser, QuicParser};
