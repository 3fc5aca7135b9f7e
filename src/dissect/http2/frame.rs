//! HTTP/2 frames (RFC 9113 §4, §6): the 9-byte header and each type's payload, every field
//! with its byte range relative to the start of the frame.

use std::ops::Range;

/// The client connection preface (RFC 9113 §3.4).
pub const PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

/// Byte ranges of the frame header, relative to the frame start.
pub mod header {
    use std::ops::Range;
    pub const LENGTH: Range<usize> = 0..3;
    pub const TYPE: Range<usize> = 3..4;
    pub const FLAGS: Range<usize> = 4..5;
    pub const STREAM_ID: Range<usize> = 5..9;
    pub const LEN: usize = 9;
}

/// Flag bits (their meaning depends on the frame type).
pub mod flags {
    pub const END_STREAM: u8 = 0x01;
    pub const ACK: u8 = 0x01;
    pub const END_HEADERS: u8 = 0x04;
    pub const PADDED: u8 = 0x08;
    pub const PRIORITY: u8 = 0x20;
}

/// Frame type codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FrameType {
    Data,
    Headers,
    Priority,
    RstStream,
    Settings,
    PushPromise,
    Ping,
    GoAway,
    WindowUpdate,
    Continuation,
    Unknown(u8),
}

impl FrameType {
    pub fn from_code(c: u8) -> Self {
        match c {
            0 => FrameType::Data,
            1 => FrameType::Headers,
            2 => FrameType::Priority,
            3 => FrameType::RstStream,
            4 => FrameType::Settings,
            5 => FrameType::PushPromise,
            6 => FrameType::Ping,
            7 => FrameType::GoAway,
            8 => FrameType::WindowUpdate,
            9 => FrameType::Continuation,
            other => FrameType::Unknown(other),
        }
    }

    pub fn code(self) -> u8 {
        match self {
            FrameType::Data => 0,
            FrameType::Headers => 1,
            FrameType::Priority => 2,
            FrameType::RstStream => 3,
            FrameType::Settings => 4,
            FrameType::PushPromise => 5,
            FrameType::Ping => 6,
            FrameType::GoAway => 7,
            FrameType::WindowUpdate => 8,
            FrameType::Continuation => 9,
            FrameType::Unknown(c) => c,
        }
    }

    /// The name tshark uses (`HEADERS`, `WINDOW_UPDATE`, ...).
    pub fn name(self) -> String {
        match self {
            FrameType::Data => "DATA".into(),
            FrameType::Headers => "HEADERS".into(),
            FrameType::Priority => "PRIORITY".into(),
            FrameType::RstStream => "RST_STREAM".into(),
            FrameType::Settings => "SETTINGS".into(),
            FrameType::PushPromise => "PUSH_PROMISE".into(),
            FrameType::Ping => "PING".into(),
            FrameType::GoAway => "GOAWAY".into(),
            FrameType::WindowUpdate => "WINDOW_UPDATE".into(),
            FrameType::Continuation => "CONTINUATION".into(),
            FrameType::Unknown(c) => format!("Unknown type ({c})"),
        }
    }
}

/// The decoded 9-byte frame header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameHeader {
    pub length: u32,
    pub kind: FrameType,
    pub flags: u8,
    pub stream_id: u32,
}

impl FrameHeader {
    /// Decode the header from the first 9 bytes, `None` when fewer are given.
    pub fn parse(b: &[u8]) -> Option<Self> {
        let h = b.get(..header::LEN)?;
        let [l0, l1, l2, t, f, s0, s1, s2, s3] = <[u8; 9]>::try_from(h).ok()?;
        Some(FrameHeader {
            length: u32::from_be_bytes([0, l0, l1, l2]),
            kind: FrameType::from_code(t),
            flags: f,
            stream_id: u32::from_be_bytes([s0, s1, s2, s3]) & 0x7fff_ffff,
        })
    }

    pub fn has(&self, flag: u8) -> bool {
        self.flags & flag != 0
    }

    /// Flag names set on this frame, for the tree.
    pub fn flag_names(&self) -> Vec<&'static str> {
        use FrameType as T;
        let table: &[(u8, &'static str, &[FrameType])] = &[
            (flags::END_STREAM, "End Stream", &[T::Data, T::Headers]),
            (
                flags::END_HEADERS,
                "End Headers",
                &[T::Headers, T::PushPromise, T::Continuation],
            ),
            (
                flags::PADDED,
                "Padded",
                &[T::Data, T::Headers, T::PushPromise],
            ),
            (flags::PRIORITY, "Priority", &[T::Headers]),
            (flags::ACK, "ACK", &[T::Settings, T::Ping]),
        ];
        table
            .iter()
            .filter(|(bit, _, kinds)| self.flags & bit != 0 && kinds.contains(&self.kind))
            .map(|(_, name, _)| *name)
            .collect()
    }
}

/// Stream dependency of HEADERS (PRIORITY flag) and PRIORITY frames.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Priority {
    pub exclusive: bool,
    pub depends_on: u32,
    pub weight: u8,
    /// Range of the 5 priority bytes.
    pub range: Range<usize>,
}

/// One SETTINGS parameter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Setting {
    pub id: u16,
    pub value: u32,
    pub range: Range<usize>,
}

pub const SETTINGS_HEADER_TABLE_SIZE: u16 = 1;
pub const SETTINGS_MAX_HEADER_LIST_SIZE: u16 = 6;

/// Setting name as tshark shows it.
pub fn setting_name(id: u16) -> String {
    match id {
        1 => "Header table size".into(),
        2 => "Enable PUSH".into(),
        3 => "Max concurrent streams".into(),
        4 => "Initial Windows size".into(),
        5 => "Max frame size".into(),
        6 => "Max header list size".into(),
        8 => "Extended CONNECT protocol".into(),
        9 => "No RFC7540 priorities".into(),
        other => format!("Unknown ({other})"),
    }
}

/// Error code name (RFC 9113 §7).
pub fn error_name(code: u32) -> String {
    let n = match code {
        0 => "NO_ERROR",
        1 => "PROTOCOL_ERROR",
        2 => "INTERNAL_ERROR",
        3 => "FLOW_CONTROL_ERROR",
        4 => "SETTINGS_TIMEOUT",
        5 => "STREAM_CLOSED",
        6 => "FRAME_SIZE_ERROR",
        7 => "REFUSED_STREAM",
        8 => "CANCEL",
        9 => "COMPRESSION_ERROR",
        10 => "CONNECT_ERROR",
        11 => "ENHANCE_YOUR_CALM",
        12 => "INADEQUATE_SECURITY",
        13 => "HTTP_1_1_REQUIRED",
        _ => return format!("unknown error ({code})"),
    };
    n.to_string()
}

/// A type's payload, fields with ranges relative to the frame start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Payload {
    Data {
        pad_len: Option<u8>,
        data: Range<usize>,
    },
    Headers {
        pad_len: Option<u8>,
        priority: Option<Priority>,
        block: Range<usize>,
    },
    Priority(Priority),
    RstStream {
        error: u32,
        range: Range<usize>,
    },
    Settings(Vec<Setting>),
    PushPromise {
        pad_len: Option<u8>,
        promised: u32,
        promised_range: Range<usize>,
        block: Range<usize>,
    },
    Ping {
        opaque: u64,
        range: Range<usize>,
    },
    GoAway {
        last_stream: u32,
        error: u32,
        debug: Range<usize>,
    },
    WindowUpdate {
        increment: u32,
        range: Range<usize>,
    },
    Continuation {
        block: Range<usize>,
    },
    /// An unknown type: the payload is kept as bytes.
    Unknown {
        payload: Range<usize>,
    },
    /// The payload does not fit its type (too short, padding longer than the payload).
    Malformed(String),
}

fn be16(b: &[u8], at: usize) -> Option<u16> {
    let s = b.get(at..at.checked_add(2)?)?;
    Some(u16::from_be_bytes(<[u8; 2]>::try_from(s).ok()?))
}

fn be32(b: &[u8], at: usize) -> Option<u32> {
    let s = b.get(at..at.checked_add(4)?)?;
    Some(u32::from_be_bytes(<[u8; 4]>::try_from(s).ok()?))
}

/// Strip padding (PADDED flag): returns (pad length, range of the content after the pad
/// length byte and before the padding).
fn unpad(h: &FrameHeader, frame: &[u8]) -> Result<(Option<u8>, Range<usize>), String> {
    let end = frame.len();
    let start = header::LEN;
    if !h.has(flags::PADDED) {
        return Ok((None, start..end));
    }
    let pad = *frame
        .get(start)
        .ok_or_else(|| "PADDED frame without a pad length".to_string())?;
    let content_start = start + 1;
    let content_end = end
        .checked_sub(usize::from(pad))
        .filter(|&e| e >= content_start)
        .ok_or_else(|| format!("pad length {pad} longer than the payload"))?;
    Ok((Some(pad), content_start..content_end))
}

fn priority_at(frame: &[u8], at: usize) -> Option<Priority> {
    let dep = be32(frame, at)?;
    let weight = *frame.get(at + 4)?;
    Some(Priority {
        exclusive: dep & 0x8000_0000 != 0,
        depends_on: dep & 0x7fff_ffff,
        weight,
        range: at..at + 5,
    })
}

/// Parse a complete frame (header and payload, `frame.len() == 9 + length`).
pub fn parse_payload(h: &FrameHeader, frame: &[u8]) -> Payload {
    let p = header::LEN;
    let plen = frame.len().saturating_sub(p);
    let malformed = |what: &str| Payload::Malformed(format!("{} {what}", h.kind.name()));
    match h.kind {
        FrameType::Data => match unpad(h, frame) {
            Ok((pad_len, data)) => Payload::Data { pad_len, data },
            Err(e) => Payload::Malformed(e),
        },
        FrameType::Headers => match unpad(h, frame) {
            Ok((pad_len, mut block)) => {
                let mut priority = None;
                if h.has(flags::PRIORITY) {
                    match priority_at(frame, block.start).filter(|_| block.len() >= 5) {
                        Some(pr) => {
                            block.start += 5;
                            priority = Some(pr);
                        }
                        None => return malformed("too short for its priority fields"),
                    }
                }
                Payload::Headers {
                    pad_len,
                    priority,
                    block,
                }
            }
            Err(e) => Payload::Malformed(e),
        },
        FrameType::Priority => match priority_at(frame, p).filter(|_| plen == 5) {
            Some(pr) => Payload::Priority(pr),
            None => malformed("payload is not 5 bytes"),
        },
        FrameType::RstStream => match be32(frame, p).filter(|_| plen == 4) {
            Some(error) => Payload::RstStream {
                error,
                range: p..p + 4,
            },
            None => malformed("payload is not 4 bytes"),
        },
        FrameType::Settings => {
            if plen % 6 != 0 {
                return malformed("payload is not a multiple of 6 bytes");
            }
            let mut v = Vec::new();
            let mut at = p;
            while let (Some(id), Some(value)) = (be16(frame, at), be32(frame, at + 2)) {
                v.push(Setting {
                    id,
                    value,
                    range: at..at + 6,
                });
                at += 6;
            }
            Payload::Settings(v)
        }
        FrameType::PushPromise => match unpad(h, frame) {
            Ok((pad_len, block)) => match be32(frame, block.start).filter(|_| block.len() >= 4) {
                Some(promised) => Payload::PushPromise {
                    pad_len,
                    promised: promised & 0x7fff_ffff,
                    promised_range: block.start..block.start + 4,
                    block: block.start + 4..block.end,
                },
                None => malformed("too short for the promised stream id"),
            },
            Err(e) => Payload::Malformed(e),
        },
        FrameType::Ping => match frame.get(p..p + 8).filter(|_| plen == 8) {
            Some(b) => Payload::Ping {
                opaque: u64::from_be_bytes(<[u8; 8]>::try_from(b).unwrap_or_default()),
                range: p..p + 8,
            },
            None => malformed("payload is not 8 bytes"),
        },
        FrameType::GoAway => match (be32(frame, p), be32(frame, p + 4)) {
            (Some(last), Some(error)) => Payload::GoAway {
                last_stream: last & 0x7fff_ffff,
                error,
                debug: p + 8..frame.len(),
            },
            _ => malformed("shorter than 8 bytes"),
        },
        FrameType::WindowUpdate => match be32(frame, p).filter(|_| plen == 4) {
            Some(inc) => Payload::WindowUpdate {
                increment: inc & 0x7fff_ffff,
                range: p..p + 4,
            },
            None => malformed("payload is not 4 bytes"),
        },
        FrameType::Continuation => Payload::Continuation {
            block: p..frame.len(),
        },
        FrameType::Unknown(_) => Payload::Unknown {
            payload: p..frame.len(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(kind: u8, flags: u8, stream: u32, payload: &[u8]) -> Vec<u8> {
        let len = payload.len() as u32;
        let mut v = len.to_be_bytes()[1..].to_vec();
        v.push(kind);
        v.push(flags);
        v.extend_from_slice(&stream.to_be_bytes());
        v.extend_from_slice(payload);
        v
    }

    #[test]
    fn header_and_types() {
        let f = frame(0, 0x09, 3, &[2, b'h', b'i', 0, 0]);
        let h = FrameHeader::parse(&f).unwrap();
        assert_eq!(h.length, 5);
        assert_eq!(h.kind, FrameType::Data);
        assert_eq!(h.stream_id, 3);
        assert_eq!(h.flag_names(), vec!["End Stream", "Padded"]);
        match parse_payload(&h, &f) {
            Payload::Data { pad_len, data } => {
                assert_eq!(pad_len, Some(2));
                assert_eq!(&f[data], b"hi");
            }
            other => panic!("{other:?}"),
        }
        // Reserved bit of the stream id is ignored.
        let f = frame(0xfa, 0, 0x8000_0001, b"xyz");
        let h = FrameHeader::parse(&f).unwrap();
        assert_eq!(h.stream_id, 1);
        assert_eq!(h.kind, FrameType::Unknown(0xfa));
        assert_eq!(parse_payload(&h, &f), Payload::Unknown { payload: 9..12 });
        assert!(FrameHeader::parse(&f[..8]).is_none());
    }

    #[test]
    fn headers_with_priority_and_padding() {
        let mut p = vec![1u8]; // pad length
        p.extend_from_slice(&(0x8000_0005u32).to_be_bytes());
        p.push(15);
        p.extend_from_slice(&[0x82, 0x84]);
        p.push(0); // padding
        let f = frame(
            1,
            flags::PADDED | flags::PRIORITY | flags::END_HEADERS,
            7,
            &p,
        );
        let h = FrameHeader::parse(&f).unwrap();
        match parse_payload(&h, &f) {
            Payload::Headers {
                pad_len,
                priority,
                block,
            } => {
                assert_eq!(pad_len, Some(1));
                let pr = priority.unwrap();
                assert!(pr.exclusive);
                assert_eq!((pr.depends_on, pr.weight, pr.range), (5, 15, 10..15));
                assert_eq!(&f[block], &[0x82, 0x84]);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn control_frames_and_malformed() {
        let mut s = Vec::new();
        s.extend_from_slice(&[0, 1, 0, 0, 0x10, 0]);
        s.extend_from_slice(&[0, 3, 0, 0, 0, 100]);
        let f = frame(4, 0, 0, &s);
        let h = FrameHeader::parse(&f).unwrap();
        let Payload::Settings(v) = parse_payload(&h, &f) else {
            panic!()
        };
        assert_eq!(
            v.iter().map(|s| (s.id, s.value)).collect::<Vec<_>>(),
            vec![(1, 4096), (3, 100)]
        );
        assert_eq!(v[1].range, 15..21);

        let f = frame(7, 0, 0, &[0, 0, 0, 3, 0, 0, 0, 11, b'x']);
        let h = FrameHeader::parse(&f).unwrap();
        assert_eq!(
            parse_payload(&h, &f),
            Payload::GoAway {
                last_stream: 3,
                error: 11,
                debug: 17..18
            }
        );
        for (t, p) in [
            (3u8, &[0u8, 0][..]),
            (6, &[0; 7][..]),
            (4, &[0; 5][..]),
            (8, &[][..]),
        ] {
            let f = frame(t, 0, 1, p);
            let h = FrameHeader::parse(&f).unwrap();
            assert!(
                matches!(parse_payload(&h, &f), Payload::Malformed(_)),
                "type {t}"
            );
        }
        // Padding longer than the payload.
        let f = frame(0, flags::PADDED, 1, &[9, b'a']);
        let h = FrameHeader::parse(&f).unwrap();
        assert_eq!(
            parse_payload(&h, &f),
            Payload::Malformed("pad length 9 longer than the payload".into())
        );
    }
}
