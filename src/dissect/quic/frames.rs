//! QUIC frames in a decrypted packet payload (RFC 9000 §19), read laxly: the walk stops at
//! the first frame it cannot read and says where.

use std::ops::Range;

use super::header::read_varint;

/// One frame; data ranges index the decrypted payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frame {
    /// A run of PADDING bytes.
    Padding(usize),
    Ping,
    Ack {
        largest: u64,
        ranges: u64,
    },
    ResetStream {
        stream: u64,
        code: u64,
    },
    StopSending {
        stream: u64,
        code: u64,
    },
    Crypto {
        offset: u64,
        data: Range<usize>,
    },
    NewToken {
        len: usize,
    },
    Stream {
        stream: u64,
        offset: u64,
        fin: bool,
        data: Range<usize>,
    },
    MaxData(u64),
    MaxStreamData {
        stream: u64,
        max: u64,
    },
    MaxStreams {
        bidi: bool,
        max: u64,
    },
    DataBlocked(u64),
    StreamDataBlocked {
        stream: u64,
    },
    StreamsBlocked {
        bidi: bool,
    },
    NewConnectionId {
        seq: u64,
        cid: Range<usize>,
    },
    RetireConnectionId(u64),
    PathChallenge,
    PathResponse,
    ConnectionClose {
        app: bool,
        code: u64,
        reason: Range<usize>,
    },
    HandshakeDone,
    Datagram {
        data: Range<usize>,
    },
}

impl Frame {
    /// Name as tshark shows it in the info column.
    pub fn name(&self) -> &'static str {
        match self {
            Frame::Padding(_) => "PADDING",
            Frame::Ping => "PING",
            Frame::Ack { .. } => "ACK",
            Frame::ResetStream { .. } => "RESET_STREAM",
            Frame::StopSending { .. } => "STOP_SENDING",
            Frame::Crypto { .. } => "CRYPTO",
            Frame::NewToken { .. } => "NEW_TOKEN",
            Frame::Stream { .. } => "STREAM",
            Frame::MaxData(_) => "MAX_DATA",
            Frame::MaxStreamData { .. } => "MAX_STREAM_DATA",
            Frame::MaxStreams { .. } => "MAX_STREAMS",
            Frame::DataBlocked(_) => "DATA_BLOCKED",
            Frame::StreamDataBlocked { .. } => "STREAM_DATA_BLOCKED",
            Frame::StreamsBlocked { .. } => "STREAMS_BLOCKED",
            Frame::NewConnectionId { .. } => "NEW_CONNECTION_ID",
            Frame::RetireConnectionId(_) => "RETIRE_CONNECTION_ID",
            Frame::PathChallenge => "PATH_CHALLENGE",
            Frame::PathResponse => "PATH_RESPONSE",
            Frame::ConnectionClose { .. } => "CONNECTION_CLOSE",
            Frame::HandshakeDone => "HANDSHAKE_DONE",
            Frame::Datagram { .. } => "DATAGRAM",
        }
    }
}

impl Frame {
    /// Name in the Info column: tshark's short forms for the frequent frames.
    pub fn info_name(&self) -> &'static str {
        match self {
            Frame::NewConnectionId { .. } => "NCI",
            Frame::RetireConnectionId(_) => "RC",
            Frame::HandshakeDone => "DONE",
            Frame::ConnectionClose { .. } => "CC",
            Frame::MaxData(_) => "MD",
            Frame::MaxStreamData { .. } => "MSD",
            Frame::MaxStreams { .. } => "MS",
            Frame::ResetStream { .. } => "RS",
            Frame::StopSending { .. } => "SS",
            Frame::NewToken { .. } => "NT",
            Frame::DataBlocked(_) => "DB",
            Frame::StreamDataBlocked { .. } => "SDB",
            Frame::StreamsBlocked { .. } => "SB",
            Frame::PathChallenge => "PC",
            Frame::PathResponse => "PR",
            Frame::Datagram { .. } => "DG",
            other => other.name(),
        }
    }
}

/// The frames of one payload, and where the walk stopped if it did.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Frames {
    pub frames: Vec<Frame>,
    pub stopped: Option<String>,
}

struct Cursor<'a> {
    b: &'a [u8],
    pos: usize,
}

impl Cursor<'_> {
    fn varint(&mut self) -> Option<u64> {
        let (v, n) = read_varint(self.b, self.pos)?;
        self.pos += n;
        Some(v)
    }
    fn bytes(&mut self, len: u64) -> Option<Range<usize>> {
        let len = usize::try_from(len).ok()?;
        let end = self.pos.checked_add(len).filter(|e| *e <= self.b.len())?;
        let r = self.pos..end;
        self.pos = end;
        Some(r)
    }
}

fn one(c: &mut Cursor<'_>, ty: u64) -> Option<Frame> {
    Some(match ty {
        0x01 => Frame::Ping,
        0x02 | 0x03 => {
            let largest = c.varint()?;
            let _delay = c.varint()?;
            let count = c.varint()?;
            let _first = c.varint()?;
            for _ in 0..count {
                c.varint()?;
                c.varint()?;
            }
            if ty == 0x03 {
                c.varint()?;
                c.varint()?;
                c.varint()?;
            }
            Frame::Ack {
                largest,
                ranges: count + 1,
            }
        }
        0x04 => {
            let stream = c.varint()?;
            let code = c.varint()?;
            c.varint()?;
            Frame::ResetStream { stream, code }
        }
        0x05 => Frame::StopSending {
            stream: c.varint()?,
            code: c.varint()?,
        },
        0x06 => {
            let offset = c.varint()?;
            let len = c.varint()?;
            Frame::Crypto {
                offset,
                data: c.bytes(len)?,
            }
        }
        0x07 => {
            let len = c.varint()?;
            Frame::NewToken {
                len: c.bytes(len)?.len(),
            }
        }
        0x08..=0x0f => {
            let stream = c.varint()?;
            let offset = if ty & 0x04 != 0 { c.varint()? } else { 0 };
            let data = if ty & 0x02 != 0 {
                let len = c.varint()?;
                c.bytes(len)?
            } else {
                let r = c.pos..c.b.len();
                c.pos = c.b.len();
                r
            };
            Frame::Stream {
                stream,
                offset,
                fin: ty & 0x01 != 0,
                data,
            }
        }
        0x10 => Frame::MaxData(c.varint()?),
        0x11 => Frame::MaxStreamData {
            stream: c.varint()?,
            max: c.varint()?,
        },
        0x12 | 0x13 => Frame::MaxStreams {
            bidi: ty == 0x12,
            max: c.varint()?,
        },
        0x14 => Frame::DataBlocked(c.varint()?),
        0x15 => {
            let stream = c.varint()?;
            c.varint()?;
            Frame::StreamDataBlocked { stream }
        }
        0x16 | 0x17 => {
            c.varint()?;
            Frame::StreamsBlocked { bidi: ty == 0x16 }
        }
        0x18 => {
            let seq = c.varint()?;
            c.varint()?;
            let len = u64::from(*c.b.get(c.pos)?);
            c.pos += 1;
            let cid = c.bytes(len)?;
            c.bytes(16)?;
            Frame::NewConnectionId { seq, cid }
        }
        0x19 => Frame::RetireConnectionId(c.varint()?),
        0x1a => {
            c.bytes(8)?;
            Frame::PathChallenge
        }
        0x1b => {
            c.bytes(8)?;
            Frame::PathResponse
        }
        0x1c | 0x1d => {
            let code = c.varint()?;
            if ty == 0x1c {
                c.varint()?;
            }
            let len = c.varint()?;
            Frame::ConnectionClose {
                app: ty == 0x1d,
                code,
                reason: c.bytes(len)?,
            }
        }
        0x1e => Frame::HandshakeDone,
        0x30 | 0x31 => {
            let data = if ty == 0x31 {
                let len = c.varint()?;
                c.bytes(len)?
            } else {
                let r = c.pos..c.b.len();
                c.pos = c.b.len();
                r
            };
            Frame::Datagram { data }
        }
        _ => return None,
    })
}

/// Walk the frames of a decrypted payload.
pub fn parse(payload: &[u8]) -> Frames {
    let mut out = Frames::default();
    let mut c = Cursor { b: payload, pos: 0 };
    while c.pos < payload.len() {
        let start = c.pos;
        if payload.get(start) == Some(&0) {
            let run = payload
                .get(start..)
                .unwrap_or(&[])
                .iter()
                .take_while(|b| **b == 0)
                .count();
            c.pos += run;
            out.frames.push(Frame::Padding(run));
            continue;
        }
        let Some(ty) = c.varint() else {
            out.stopped = Some(format!("frame type cut short at offset {start}"));
            break;
        };
        match one(&mut c, ty) {
            Some(f) => out.frames.push(f),
            None => {
                out.stopped = Some(format!(
                    "frame type 0x{ty:02x} at offset {start} unknown or cut short"
                ));
                break;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc9001_a3_payload_frames() {
        let p = hex::decode(
            "02000000000600405a020000560303eefce7f7b37ba1d1632e96677825ddf73988cfc79825df566dc5430b9a045a1200130100002e00330024001d00209d3c940d89690b84d08a60993c144eca684d1081287c834d5311bcf32bb9da1a002b00020304",
        )
        .unwrap();
        let f = parse(&p);
        assert_eq!(f.stopped, None);
        assert_eq!(f.frames.len(), 2);
        assert_eq!(
            f.frames[0],
            Frame::Ack {
                largest: 0,
                ranges: 1
            }
        );
        match &f.frames[1] {
            Frame::Crypto { offset: 0, data } => {
                assert_eq!(data.len(), 0x5a);
                assert_eq!(p[data.start], 2); // ServerHello
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn stream_padding_and_cut_frames() {
        // STREAM with OFF|LEN|FIN: id 4, offset 0x10, len 3, then padding, then a cut CRYPTO
        let p = [
            0x0f, 4, 0x10, 3, b'a', b'b', b'c', 0, 0, 0, 0x06, 0x00, 0x05, 1,
        ];
        let f = parse(&p);
        assert_eq!(
            f.frames[0],
            Frame::Stream {
                stream: 4,
                offset: 16,
                fin: true,
                data: 4..7
            }
        );
        assert_eq!(f.frames[1], Frame::Padding(3));
        assert!(f.stopped.unwrap().contains("0x06"));
    }
}
