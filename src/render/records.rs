//! `--json` records of the end-of-run outputs (followed streams, conversations, statistics),
//! so that with `--json` every line on stdout is one JSON object in every mode. Documented
//! in docs/json.md.

use serde_json::{json, Value};

use super::escape::escape_bytes;
use super::json::dir_name;
use crate::flow::{FollowItem, FollowStream};

/// `{"type":"follow","stream":N,"client","server","items":[…]}`: a followed stream, its data
/// in order, each piece escaped like wire data (`"data"`) with its direction and first
/// frame; holes as `{"dir","hole":len}`.
pub fn follow(fs: &FollowStream) -> Value {
    let items: Vec<Value> = fs
        .items
        .iter()
        .map(|it| match it {
            FollowItem::Data { dir, frame, bytes } => json!({
                "dir": dir_name(*dir), "frame": frame, "len": bytes.len(),
                "data": escape_bytes(bytes),
            }),
            FollowItem::Hole { dir, len } => json!({ "dir": dir_name(*dir), "hole": len }),
        })
        .collect();
    let mut v = json!({
        "type": "follow",
        "stream": fs.stream,
        "client": fs.client.to_string(),
        "server": fs.server.to_string(),
        "kept_bytes": fs.kept_bytes,
        "cut_bytes": fs.cut_bytes,
        "items": items,
    });
    if fs.released {
        if let Some(m) = v.as_object_mut() {
            m.insert("released_by_memory_budget".into(), true.into());
        }
    }
    v
}

/// `{"type":"conversation", …}`: a row of `--conversations` (the fields of the
/// `tcp.stream` close record).
pub fn conversation(mut row: Value) -> Value {
    if let Some(m) = row.as_object_mut() {
        m.insert("type".into(), "conversation".into());
    }
    row
}
