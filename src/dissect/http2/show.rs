//! How HTTP/2 frames are shown: the `-V` tree (tshark's layout, fields with their byte
//! ranges when the frame lies in one packet) and JSON fields. Info lines are
//! [`FrameEvent::info`].

use serde_json::{Map, Value};

use super::frame::{self, header, Payload};
use super::{FrameEvent, Http2Event, Http2Kind};
use crate::present::escape::{escape_bytes, escape_str, escape_truncated};
use crate::present::tree::TreeNode;

/// Header-block bytes shown in the tree at most, per field value.
const VALUE_SHOWN: usize = 1024;

impl Http2Event {
    /// Protocol column.
    pub fn protocol(&self) -> std::borrow::Cow<'_, str> {
        match &self.kind {
            Http2Kind::Message(m) => m.protocol(),
            _ => "HTTP2".into(),
        }
    }

    /// Info column (escaped).
    pub fn info(&self) -> String {
        match &self.kind {
            Http2Kind::Magic => "Magic".into(),
            Http2Kind::Frame(f) => f.info(),
            Http2Kind::Message(m) => m.info(),
            Http2Kind::Note(n) => format!("[{n}]"),
        }
    }

    /// The `-V` layer; `base` is where the event's first byte sits in the packet, when the
    /// whole frame is inside it (then lines carry byte ranges).
    pub fn tree(&self, base: Option<usize>) -> TreeNode {
        match &self.kind {
            Http2Kind::Magic => {
                let mut root = TreeNode::new("HyperText Transfer Protocol 2");
                let r = base.map(|b| b..b + frame::PREFACE.len());
                root.children.push(node(
                    "Stream: Magic".into(),
                    r.clone(),
                    vec![node(
                        "Magic: PRI * HTTP/2.0\\r\\n\\r\\nSM\\r\\n\\r\\n".into(),
                        r,
                        vec![],
                    )],
                ));
                root
            }
            Http2Kind::Frame(f) => {
                let mut root = TreeNode::new("HyperText Transfer Protocol 2");
                root.children.push(f.tree(base));
                root
            }
            Http2Kind::Message(m) => m.tree(),
            Http2Kind::Note(n) => TreeNode::new(format!("[Note: {n}]")),
        }
    }

    /// JSON fields, `"type"` included (escaped).
    pub fn json(&self) -> Map<String, Value> {
        match &self.kind {
            Http2Kind::Magic => {
                let mut m = Map::new();
                m.insert("type".into(), "http2.magic".into());
                m
            }
            Http2Kind::Frame(f) => f.json(),
            Http2Kind::Message(m) => m.json(),
            Http2Kind::Note(n) => {
                let mut m = Map::new();
                m.insert("type".into(), "note".into());
                m.insert("text".into(), n.clone().into());
                m
            }
        }
    }
}

fn node(text: String, range: Option<std::ops::Range<usize>>, children: Vec<TreeNode>) -> TreeNode {
    TreeNode {
        text,
        range,
        children,
    }
}

impl FrameEvent {
    /// The frame's `-V` subtree.
    pub fn tree(&self, base: Option<usize>) -> TreeNode {
        let h = &self.header;
        let at = |r: std::ops::Range<usize>| base.map(|b| b + r.start..b + r.end);
        let whole = at(0..header::LEN + h.length as usize);
        let mut title = format!(
            "Stream: {}, Stream ID: {}, Length {}",
            h.kind.name(),
            h.stream_id,
            h.length
        );
        if let Some(rest) = self.info().split_once(": ").map(|(_, r)| r.to_string()) {
            title.push_str(&format!(", {rest}"));
        }
        let mut n = node(title, whole, vec![]);
        n.children.push(node(
            format!("Length: {}", h.length),
            at(header::LENGTH),
            vec![],
        ));
        n.children.push(node(
            format!("Type: {} ({})", h.kind.name(), h.kind.code()),
            at(header::TYPE),
            vec![],
        ));
        let mut flags_text = format!("Flags: 0x{:02x}", h.flags);
        for f in h.flag_names() {
            flags_text.push_str(", ");
            flags_text.push_str(f);
        }
        n.children.push(node(flags_text, at(header::FLAGS), vec![]));
        n.children.push(node(
            format!("Stream Identifier: {}", h.stream_id),
            at(header::STREAM_ID),
            vec![],
        ));
        if self.skipped {
            n.leaf(format!(
                "[Payload of {} bytes not parsed: above the frame bound]",
                h.length
            ));
            return n;
        }
        let pad = |n: &mut TreeNode, p: Option<u8>| {
            if let Some(p) = p {
                n.children.push(node(
                    format!("Pad Length: {p}"),
                    at(header::LEN..header::LEN + 1),
                    vec![],
                ));
            }
        };
        match &self.payload {
            Payload::Data { pad_len, data } => {
                pad(&mut n, *pad_len);
                n.children.push(node(
                    format!("Data: {} bytes", data.len()),
                    at(data.clone()),
                    vec![],
                ));
                if let Some(p) = pad_len {
                    n.leaf(format!("Padding: {p} bytes"));
                }
            }
            Payload::Headers {
                pad_len,
                priority,
                block,
            } => {
                pad(&mut n, *pad_len);
                if let Some(pr) = priority {
                    self.priority_tree(&mut n, pr, base);
                }
                n.children.push(node(
                    format!("Header Block Fragment: {} bytes", block.len()),
                    at(block.clone()),
                    vec![],
                ));
                self.header_list_tree(&mut n);
            }
            Payload::Priority(pr) => self.priority_tree(&mut n, pr, base),
            Payload::RstStream { error, range } => n.children.push(node(
                format!("Error: {} ({error})", frame::error_name(*error)),
                at(range.clone()),
                vec![],
            )),
            Payload::Settings(list) => {
                for s in list {
                    n.children.push(node(
                        format!("Settings - {} : {}", frame::setting_name(s.id), s.value),
                        at(s.range.clone()),
                        vec![],
                    ));
                }
            }
            Payload::PushPromise {
                pad_len,
                promised,
                promised_range,
                block,
            } => {
                pad(&mut n, *pad_len);
                n.children.push(node(
                    format!("Promised-Stream-ID: {promised}"),
                    at(promised_range.clone()),
                    vec![],
                ));
                n.children.push(node(
                    format!("Header Block Fragment: {} bytes", block.len()),
                    at(block.clone()),
                    vec![],
                ));
                self.header_list_tree(&mut n);
            }
            Payload::Ping { opaque, range } => n.children.push(node(
                format!("Ping: 0x{opaque:016x}"),
                at(range.clone()),
                vec![],
            )),
            Payload::GoAway {
                last_stream,
                error,
                debug,
            } => {
                let p = header::LEN;
                n.children.push(node(
                    format!("Last-Stream-ID: {last_stream}"),
                    at(p..p + 4),
                    vec![],
                ));
                n.children.push(node(
                    format!("Error: {} ({error})", frame::error_name(*error)),
                    at(p + 4..p + 8),
                    vec![],
                ));
                if !debug.is_empty() {
                    n.children.push(node(
                        format!("Additional Debug Data: {}", escape_bytes(&self.bytes)),
                        at(debug.clone()),
                        vec![],
                    ));
                }
            }
            Payload::WindowUpdate { increment, range } => n.children.push(node(
                format!("Window Size Increment: {increment}"),
                at(range.clone()),
                vec![],
            )),
            Payload::Continuation { block } => {
                n.children.push(node(
                    format!("Header Block Fragment: {} bytes", block.len()),
                    at(block.clone()),
                    vec![],
                ));
                self.header_list_tree(&mut n);
            }
            Payload::Unknown { payload } => n.children.push(node(
                format!("Payload: {} bytes", payload.len()),
                at(payload.clone()),
                vec![],
            )),
            Payload::Malformed(why) => {
                n.leaf(format!("[Malformed: {}]", escape_str(why)));
            }
        }
        n
    }

    fn priority_tree(&self, n: &mut TreeNode, pr: &frame::Priority, base: Option<usize>) {
        let r = base.map(|b| b + pr.range.start..b + pr.range.end);
        n.children.push(node(
            format!("Exclusive: {}", pr.exclusive),
            r.clone(),
            vec![],
        ));
        n.children.push(node(
            format!("Stream Dependency: {}", pr.depends_on),
            r.clone(),
            vec![],
        ));
        n.children
            .push(node(format!("Weight: {}", pr.weight), r, vec![]));
    }

    fn header_list_tree(&self, n: &mut TreeNode) {
        if let Some(e) = &self.header_error {
            n.leaf(format!("[Header block not decoded: {}]", escape_str(e)));
        }
        let Some(l) = &self.headers else {
            return;
        };
        n.leaf(format!("[Header Length: {}]", l.size));
        n.leaf(format!("[Header Count: {}]", l.count));
        for (name, value) in &l.fields {
            n.leaf(format!(
                "Header: {}: {}",
                escape_truncated(name, VALUE_SHOWN),
                escape_truncated(value, VALUE_SHOWN)
            ));
        }
        if l.cut {
            n.leaf(format!(
                "[{} more header fields not kept: header list bound]",
                l.count.saturating_sub(l.fields.len() as u64)
            ));
        }
    }

    /// JSON fields of one frame.
    pub fn json(&self) -> Map<String, Value> {
        let h = &self.header;
        let mut m = Map::new();
        m.insert("type".into(), "http2.frame".into());
        m.insert("frame_type".into(), h.kind.name().into());
        m.insert("stream_id".into(), h.stream_id.into());
        m.insert("length".into(), h.length.into());
        m.insert("flags".into(), h.flags.into());
        match &self.payload {
            Payload::Settings(list) => {
                let v: Vec<Value> = list
                    .iter()
                    .map(|s| Value::Array(vec![s.id.into(), s.value.into()]))
                    .collect();
                m.insert("settings".into(), Value::Array(v));
            }
            Payload::RstStream { error, .. } => {
                m.insert("error".into(), frame::error_name(*error).into());
            }
            Payload::GoAway {
                last_stream, error, ..
            } => {
                m.insert("last_stream".into(), (*last_stream).into());
                m.insert("error".into(), frame::error_name(*error).into());
            }
            Payload::WindowUpdate { increment, .. } => {
                m.insert("increment".into(), (*increment).into());
            }
            Payload::Data { data, .. } => {
                m.insert("data_len".into(), data.len().into());
            }
            Payload::PushPromise { promised, .. } => {
                m.insert("promised_stream_id".into(), (*promised).into());
            }
            Payload::Malformed(why) => {
                m.insert("malformed".into(), escape_str(why).into());
            }
            _ => {}
        }
        if let Some(l) = &self.headers {
            let v: Vec<Value> = l
                .fields
                .iter()
                .map(|(n, v)| Value::Array(vec![escape_bytes(n).into(), escape_bytes(v).into()]))
                .collect();
            m.insert("headers".into(), Value::Array(v));
        }
        if let Some(e) = &self.header_error {
            m.insert("header_error".into(), escape_str(e).into());
        }
        m
    }
}
