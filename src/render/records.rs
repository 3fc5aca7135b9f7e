//! `--json` records of the end-of-run outputs (followed streams, conversations, statistics),
//! so that with `--json` every line on stdout is one JSON object in every mode. Documented
//! in docs/json.md.

use serde_json::{json, Value};

use super::escape::escape_bytes;
use super::json::dir_name;
use super::json::record::SessionFields;
use crate::flow::{FollowItem, FollowStream};

/// `{"type":"follow", <session fields>, "items":[…]}`: a followed TCP stream (or UDP
/// session: one item per datagram), its data
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
    let cid = crate::flow::community_id(fs.transport, fs.client, fs.server);
    let session = SessionFields::new(fs.transport, fs.stream, fs.client, fs.server, &cid);
    let mut v = json!({
        "type": "follow",
        "kept_bytes": fs.kept_bytes,
        "cut_bytes": fs.cut_bytes,
        "items": items,
    });
    if let (Some(m), Ok(Value::Object(f))) = (v.as_object_mut(), serde_json::to_value(session)) {
        m.extend(f);
        if fs.released {
            m.insert("released_by_memory_budget".into(), true.into());
        }
    }
    v
}
