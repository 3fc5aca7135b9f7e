//! squirrel-sniff: a packet-capture and traffic analyser that shows what an eavesdropper sees.
//!
//! Data flows one way, each stage in its own module:
//! `capture → decode → flow (reassembly) → dissect (http, tls) → findings → render`.
#![forbid(unsafe_code)]

pub mod capture;
pub mod cli;
pub mod decode;
pub mod display;
pub mod dissect;
pub mod event;
pub mod exit;
pub mod findings;
pub mod flow;
pub mod memory;
pub mod pipeline;
pub mod present;
pub mod render;
