//! HTTP/1.x dissector (stub: to be implemented).

use super::{AppEvent, Detect, DissectConfig, StreamDissector};
use crate::flow::{Direction, StreamId};
use crate::render::tree::TreeNode;

pub fn detect(_prefix: &[u8]) -> Detect {
    Detect::No
}

#[derive(Debug, Clone)]
pub struct HttpEvent {}

impl HttpEvent {
    pub fn protocol(&self) -> String {
        "HTTP".into()
    }
    pub fn info(&self) -> String {
        String::new()
    }
    pub fn tree(&self) -> TreeNode {
        TreeNode::new("Hypertext Transfer Protocol")
    }
    pub fn json(&self) -> serde_json::Map<String, serde_json::Value> {
        serde_json::Map::new()
    }
}

pub struct HttpStream {}

impl HttpStream {
    pub fn new(_stream: StreamId, _cfg: &DissectConfig) -> Self {
        HttpStream {}
    }
}

impl StreamDissector for HttpStream {
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
