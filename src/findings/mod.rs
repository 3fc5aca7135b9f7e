//! Findings: what an eavesdropper learns (secrets, credentials, hardening audit).
