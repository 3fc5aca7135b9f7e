//! TLS dissector (stub: to be implemented).

use super::{AppEvent, Detect, DissectConfig, StreamDissector};
use crate::flow::{Direction, StreamId};
use crate::render::tree::TreeNode;

pub fn detect(_prefix: &[u8]) -> Detect {
    Detect::No
}

#[derive(Debug, Clone)]
pub struct TlsEvent {}

impl TlsEvent {
    pub fn protocol(&self) -> String {
        "TLS".into()
    }
    pub fn info(&self) -> String {
        String::new()
    }
    pub fn tree(&self) -> TreeNode {
        TreeNode::new("Transport Layer Security")
    }
    pub fn json(&self) -> serde_json::Map<String, serde_json::Value> {
        serde_json::Map::new()
    }
}

pub struct TlsStream {}

impl TlsStream {
    pub fn new(_stream: StreamId, _cfg: &DissectConfig) -> Self {
        TlsStream {}
    }
}

impl StreamDissector for TlsStream {
    fn data(
        &mut self,
        _dir: Direction,
        _offset: u64,
        _data: &[u8],
        _frame: u64,
        _now: u64,
        _out: &mut Vec<AppEvent>,
    ) {
    }
    fn hole(
        &mut self,
        _dir: Direction,
        _offset: u64,
        _len: u64,
        _now: u64,
        _out: &mut Vec<AppEvent>,
    ) {
    }
    fn end(&mut self, _dir: Direction, _now: u64, _out: &mut Vec<AppEvent>) {}
    fn close(&mut self, _now: u64, _out: &mut Vec<AppEvent>) {}
}
