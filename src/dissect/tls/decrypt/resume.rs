//! TLS ≤ 1.2 session resumption: a resumed session reuses the master secret of the session
//! it resumes, named by the session id the server gave (RFC 5246 §7.4.1.2) or by the ticket
//! it issued (RFC 5077). A key log may hold only the first session's `CLIENT_RANDOM` line;
//! the master secret is then found here, learned from the sessions this run decrypted.

use std::collections::HashMap;
use std::sync::Mutex;

use sha2::{Digest, Sha256};

use super::session::KeysUsed;

/// Largest number of session ids and tickets remembered in one run.
pub const MAX_RESUMABLE: usize = 1 << 16;

/// What names a resumable session. Tickets are kept as their SHA-256 (they can be long).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Name {
    SessionId(Vec<u8>),
    Ticket([u8; 32]),
}

/// A master secret and what first opened the session it belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resumable {
    pub master_secret: Vec<u8>,
    pub keys: KeysUsed,
}

/// The session ids and tickets of the run's decrypted TLS ≤ 1.2 sessions, shared by every
/// session (`Arc<SessionCache>`; sessions are dissected in capture order, so a resumption
/// finds the session it resumes whenever that one came earlier in the capture).
#[derive(Debug, Default)]
pub struct SessionCache {
    names: Mutex<HashMap<Name, Resumable>>,
}

fn ticket_name(ticket: &[u8]) -> Name {
    Name::Ticket(Sha256::digest(ticket).into())
}

impl SessionCache {
    /// Remember `session_id` (if not empty) and `ticket` (if any) as naming `r`. Returns
    /// false when the bound was reached and nothing new was kept.
    pub fn remember(&self, session_id: &[u8], ticket: Option<&[u8]>, r: &Resumable) -> bool {
        let Ok(mut names) = self.names.lock() else {
            return false;
        };
        let mut kept = true;
        let id = (!session_id.is_empty()).then(|| Name::SessionId(session_id.to_vec()));
        let ticket = ticket.filter(|t| !t.is_empty()).map(ticket_name);
        for name in id.into_iter().chain(ticket) {
            if names.len() >= MAX_RESUMABLE && !names.contains_key(&name) {
                kept = false;
                continue;
            }
            names.insert(name, r.clone());
        }
        kept
    }

    /// The session a ClientHello resumes: by its ticket first (a server that accepts a
    /// ticket echoes the client's session id, which may be new), then by session id.
    pub fn find(&self, session_id: &[u8], ticket: Option<&[u8]>) -> Option<Resumable> {
        let names = self.names.lock().ok()?;
        let by_ticket = ticket
            .filter(|t| !t.is_empty())
            .and_then(|t| names.get(&ticket_name(t)));
        let by_id = || {
            (!session_id.is_empty())
                .then(|| names.get(&Name::SessionId(session_id.to_vec())))
                .flatten()
        };
        by_ticket.or_else(by_id).cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sessions_are_found_by_id_or_ticket_and_the_bound_holds() {
        let c = SessionCache::default();
        let r = Resumable {
            master_secret: vec![1; 48],
            keys: KeysUsed::KeyLog,
        };
        assert!(c.remember(b"sid-1", Some(b"ticket-1"), &r));
        assert_eq!(c.find(b"sid-1", None), Some(r.clone()));
        assert_eq!(c.find(b"other", Some(b"ticket-1")), Some(r.clone()));
        assert_eq!(c.find(b"", Some(b"ticket-2")), None);
        assert_eq!(c.find(b"", None), None);
        for i in 0..MAX_RESUMABLE {
            c.remember(&(i as u64).to_be_bytes(), None, &r);
        }
        assert!(!c.remember(b"one too many", None, &r));
        assert_eq!(c.find(b"one too many", None), None);
        assert_eq!(c.find(b"sid-1", None), Some(r));
    }
}
