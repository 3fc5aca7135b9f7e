//! TLS decryption with the session keys: key logs ([`keylog`]), key derivation
//! ([`schedule`]), cipher suites ([`suite`]) and record decrypters ([`record`]).

pub mod keylog;
pub mod record;
pub mod resume;
pub mod schedule;
pub mod session;
pub mod suite;

pub use keylog::{ClientRandom, KeySource, KeyStore, LoadReport, SessionSecrets};
pub use record::{DecryptError, Plaintext, RecordDecrypter};
pub use resume::{Resumable, SessionCache};
pub use schedule::{SuiteHash, TrafficSecret};
pub use session::{
    ClientHelloKeys, DecryptConfig, DecryptionStatus, KeysUsed, Opened, RsaKey, RsaKeyError,
    ServerHelloKeys, SessionDecryptor,
};
pub use suite::{suite_params, SuiteParams};
