//! `--json`: one JSON object per line (NDJSON). Schema in docs/json.md. Every string from the
//! wire is escaped as for the terminal before it goes in, so the output is valid JSON and
//! safe to `cat`.

use serde_json::{Map, Value};

use super::frame::FrameView;
use super::summary;
use crate::capture::linktype;
use crate::decode::Transport;
use crate::dissect::AppEvent;
use crate::flow::Direction;

/// The `{"type":"packet",...}` record of a frame.
pub fn packet(f: &FrameView<'_>) -> Value {
    let mut m = Map::new();
    m.insert("type".into(), "packet".into());
    m.insert("frame".into(), f.number.into());
    m.insert("ts".into(), f.ts.as_f64().into());
    m.insert("rel_time".into(), round9(f.rel_time).into());
    m.insert("len".into(), f.len.into());
    m.insert("caplen".into(), f.data.len().into());
    m.insert("link".into(), linktype::short_name(f.link).into());
    m.insert("linktype".into(), f.link.into());
    let (src, dst) = match f.decoded.addrs() {
        Some((s, d)) => (Value::from(s.to_string()), Value::from(d.to_string())),
        None => (Value::Null, Value::Null),
    };
    m.insert("src".into(), src);
    m.insert("dst".into(), dst);
    let (sp, dp) = match f.decoded.ports() {
        Some((s, d)) => (Value::from(s), Value::from(d)),
        None => (Value::Null, Value::Null),
    };
    m.insert("sport".into(), sp);
    m.insert("dport".into(), dp);
    m.insert("proto".into(), summary::protocol(f).into());
    let flags = match &f.decoded.transport {
        Some(Transport::Tcp(t)) => Value::from(summary::flag_letters(t.flags)),
        _ => Value::Null,
    };
    m.insert("tcp_flags".into(), flags);
    m.insert("payload_len".into(), f.decoded.payload_wire_len.into());
    if let Some(claimed) = f.decoded.ip_length_claimed {
        m.insert("ip_length_claimed".into(), claimed.into());
    }
    if let Some(tv) = &f.tcp {
        m.insert("stream".into(), tv.seg.stream.into());
        m.insert("seq".into(), tv.seg.rel_seq.into());
        m.insert("ack".into(), tv.seg.rel_ack.into());
        let an: Vec<Value> = tv
            .seg
            .analysis
            .labels()
            .into_iter()
            .filter(|(on, ..)| *on)
            .map(|(_, name, ..)| Value::from(name))
            .collect();
        if !an.is_empty() {
            m.insert("tcp_analysis".into(), an.into());
        }
    }
    m.insert("info".into(), summary::info(f).into());
    if let Some(s) = &f.decoded.stopped {
        m.insert(
            "malformed".into(),
            serde_json::json!({"layer": s.layer, "offset": s.offset, "reason": super::escape::escape_str(&s.reason)}),
        );
    }
    Value::Object(m)
}

/// An application event record (`http.request`, `tls.client_hello`, ...).
pub fn app_event(e: &AppEvent) -> Value {
    let mut m = e.msg.json();
    m.insert("stream".into(), e.stream.into());
    m.insert("dir".into(), dir_name(e.dir).into());
    m.insert("frame".into(), e.frame.into());
    m.insert("frames".into(), e.frames.clone().into());
    if e.layer != crate::dissect::Layer::Clear {
        // Parsed from TLS plaintext decrypted with the session keys.
        m.insert("layer".into(), e.layer.as_str().into());
    }
    Value::Object(m)
}

pub fn dir_name(d: Direction) -> &'static str {
    match d {
        Direction::ToServer => "to_server",
        Direction::ToClient => "to_client",
    }
}

fn round9(x: f64) -> f64 {
    (x * 1e9).round() / 1e9
}
