//! Stream-level tests of the HTTP dissector.
