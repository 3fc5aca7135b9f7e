//! The columns of each dataset: the `--json` field names (docs/json.md) with their types.
//! docs/parquet.md is checked against this table by a test.

use std::sync::{Arc, OnceLock};

use foldhash::HashMap;

use arrow_schema::{Field, Schema, SchemaRef};
use parquet::arrow::ArrowSchemaConverter;
use parquet::basic::Type as PhysicalType;
use parquet::schema::types::ColumnPath;

use super::column::Kind;

/// One column: a `--json` field name and its type.
#[derive(Debug, Clone, Copy)]
pub struct FieldSpec {
    pub name: &'static str,
    pub kind: Kind,
}

const fn f(name: &'static str, kind: Kind) -> FieldSpec {
    FieldSpec { name, kind }
}

use Kind::{Bool, Objects, Pairs, Text, TextList, Timestamp, U64List, F64, U16, U32, U64};

/// The fields every row has: the record's type and time, the capture it came from, its
/// session (endpoints sender → receiver, as in --json) and frames.
const ENVELOPE: &[FieldSpec] = &[
    f("type", Text),
    f("ts", Timestamp),
    f("capture", Text),
    f("session", U64),
    f("transport", Text),
    f("src_ip", Text),
    f("src_port", U16),
    f("dst_ip", Text),
    f("dst_port", U16),
    f("community_id", Text),
    f("dir", Text),
    f("frame", U64),
    f("frames", U64List),
    f("layer", Text),
];

/// The positions of the envelope's columns (in every dataset) and of the packets' own, for
/// the rows the sink makes itself (no lookup by name). Checked against the tables by a test.
pub mod at {
    pub const TYPE: usize = 0;
    pub const TS: usize = 1;
    pub const CAPTURE: usize = 2;
    pub const SESSION: usize = 3;
    pub const TRANSPORT: usize = 4;
    pub const SRC_IP: usize = 5;
    pub const SRC_PORT: usize = 6;
    pub const DST_IP: usize = 7;
    pub const DST_PORT: usize = 8;
    pub const COMMUNITY_ID: usize = 9;
    pub const DIR: usize = 10;
    pub const FRAME: usize = 11;
    pub const FRAMES: usize = 12;
    pub const LAYER: usize = 13;
    /// `packets`' own columns.
    pub const REL_TIME: usize = 14;
    pub const LEN: usize = 15;
    pub const CAPLEN: usize = 16;
    pub const LINK: usize = 17;
    pub const LINKTYPE: usize = 18;
    pub const PROTO: usize = 19;
    pub const TCP_FLAGS: usize = 20;
    pub const PAYLOAD_LEN: usize = 21;
    pub const SEQ: usize = 22;
    pub const ACK: usize = 23;
    pub const TCP_ANALYSIS: usize = 24;
    pub const INFO: usize = 25;
}

/// The record's fields without a column of their own, as one JSON object (text).
const EXTRA: FieldSpec = f("extra", Text);

const PACKETS: &[FieldSpec] = &[
    f("rel_time", F64),
    f("len", U32),
    f("caplen", U32),
    f("link", Text),
    f("linktype", U32),
    f("proto", Text),
    f("tcp_flags", Text),
    f("payload_len", U64),
    f("seq", U32),
    f("ack", U32),
    f("tcp_analysis", TextList),
    f("info", Text),
];

const SESSIONS: &[FieldSpec] = &[
    f("event", Text),
    f("protocol", Text),
    f("packets_to_server", U64),
    f("bytes_to_server", U64),
    f("packets_to_client", U64),
    f("bytes_to_client", U64),
    f("payload_to_server", U64),
    f("payload_to_client", U64),
    f("first_frame", U64),
    f("last_frame", U64),
    f("start", Timestamp),
    f("end", Timestamp),
    f("rel_start", F64),
    f("duration", F64),
    f("state", Text),
    f("close_reason", Text),
    f("syn_seen", Bool),
];

const HTTP: &[FieldSpec] = &[
    f("version", Text),
    f("stream_id", U32),
    f("method", Text),
    f("uri", Text),
    f("host", Text),
    f("status", U16),
    f("reason", Text),
    f("request_method", Text),
    f("request_uri", Text),
    f("request_index", U64),
    f("content_type", Text),
    f("content_length", U64),
    f("body_len", U64),
    f("chunked", Bool),
    f("headers", Pairs),
];

const TLS: &[FieldSpec] = &[
    f("protocol", Text),
    f("version", Text),
    f("version_id", U16),
    f("sni", Text),
    f("alpn", TextList),
    f("ja3", Text),
    f("ja3s", Text),
    f("ja4", Text),
    f("cipher_suite", Text),
    f("cipher_suite_id", U16),
    f("cipher_suite_names", TextList),
    f("supported_versions", U64List),
    f("ech", Bool),
    f("level", Text),
    f("description", Text),
];

const CERTIFICATES: &[FieldSpec] = &[
    f("protocol", Text),
    f("index", U32),
    f("chain_length", U32),
    f("subject", Text),
    f("subject_cn", Text),
    f("issuer", Text),
    f("issuer_cn", Text),
    f("serial", Text),
    f("not_before", Timestamp),
    f("not_after", Timestamp),
    f("key", Text),
    f("signature_algorithm", Text),
    f("sha256", Text),
    f("san", TextList),
    f("self_signed", Bool),
    f("ca", Bool),
    f("der_len", U64),
];

const DNS: &[FieldSpec] = &[
    f("id", Text),
    f("response", Bool),
    f("flags", Text),
    f("opcode", U32),
    f("rcode", U32),
    f("rcode_name", Text),
    f("response_to", U64),
    f("queries", Objects(&["name", "type", "class"])),
    f(
        "answers",
        Objects(&[
            "name", "type", "class", "ttl", "a", "aaaa", "cname", "ptr", "txt",
        ]),
    ),
];

const QUIC: &[FieldSpec] = &[
    f("version", Text),
    f("sni", Text),
    f("alpn", TextList),
    f("alpn_offered", TextList),
    f("ja4", Text),
    f("ech", Bool),
    f("cipher_suite", Text),
    f("initial_dcid", Text),
    f("client_scid", Text),
    f("server_scid", Text),
    f("datagrams", U64),
    f("decrypted_packets", U64),
];

const FINDINGS: &[FieldSpec] = &[
    f("kind", Text),
    f("severity", Text),
    f("evidence", Text),
    f("explanation", Text),
    f("count", U64),
    f("first_frame", U64),
    f("last_frame", U64),
    f("offsets", U64List),
    f("details", Text),
];

/// A dataset: one directory of Parquet files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Dataset {
    Packets,
    Sessions,
    Http,
    Tls,
    Certificates,
    Dns,
    Quic,
    Findings,
}

pub const DATASETS: [Dataset; 8] = [
    Dataset::Packets,
    Dataset::Sessions,
    Dataset::Http,
    Dataset::Tls,
    Dataset::Certificates,
    Dataset::Dns,
    Dataset::Quic,
    Dataset::Findings,
];

/// The dataset a `--json` record goes to: `packet`; a session's close record (`tcp.stream`
/// / `udp.stream` with `event: close`, which carries its counts); `http.*`; `tls.*` but
/// certificates, which are their own; `dns.*`; `quic.*`; `finding`. Other records (notes,
/// stream opens, run statistics) have no dataset.
pub fn dataset_of(ty: &str, event: Option<&str>) -> Option<Dataset> {
    Some(match ty {
        "packet" => Dataset::Packets,
        "tcp.stream" | "udp.stream" if event == Some("close") => Dataset::Sessions,
        "tls.certificate" => Dataset::Certificates,
        "finding" => Dataset::Findings,
        "tls.note" => return None,
        t if t.starts_with("http.") => Dataset::Http,
        t if t.starts_with("tls.") => Dataset::Tls,
        t if t.starts_with("dns.") => Dataset::Dns,
        t if t.starts_with("quic.") => Dataset::Quic,
        _ => return None,
    })
}

/// A dataset's columns, in order: the envelope, its own, `extra`.
pub struct Columns {
    own: &'static [FieldSpec],
}

impl Columns {
    pub fn fields(&self) -> impl Iterator<Item = &'static FieldSpec> {
        ENVELOPE
            .iter()
            .chain(self.own)
            .chain(std::iter::once(&EXTRA))
    }

    /// The number of columns.
    pub fn len(&self) -> usize {
        self.fields().count()
    }
}

/// The position of each record field that has a column of its own (not `extra`), per
/// dataset (built once).
fn positions(ds: Dataset) -> Option<&'static HashMap<&'static str, usize>> {
    static ALL: OnceLock<Vec<HashMap<&'static str, usize>>> = OnceLock::new();
    let all = ALL.get_or_init(|| {
        DATASETS
            .iter()
            .map(|d| {
                d.schema()
                    .fields()
                    .enumerate()
                    .filter(|(_, f)| f.name != EXTRA.name)
                    .map(|(i, f)| (f.name, i))
                    .collect()
            })
            .collect()
    });
    // (`DATASETS` is in the order of the enum.)
    all.get(ds as usize)
}

impl Dataset {
    /// The directory name.
    pub fn name(self) -> &'static str {
        match self {
            Dataset::Packets => "packets",
            Dataset::Sessions => "sessions",
            Dataset::Http => "http",
            Dataset::Tls => "tls",
            Dataset::Certificates => "certificates",
            Dataset::Dns => "dns",
            Dataset::Quic => "quic",
            Dataset::Findings => "findings",
        }
    }

    pub fn schema(self) -> Columns {
        Columns {
            own: match self {
                Dataset::Packets => PACKETS,
                Dataset::Sessions => SESSIONS,
                Dataset::Http => HTTP,
                Dataset::Tls => TLS,
                Dataset::Certificates => CERTIFICATES,
                Dataset::Dns => DNS,
                Dataset::Quic => QUIC,
                Dataset::Findings => FINDINGS,
            },
        }
    }

    /// The column of record field `name`; `None`: it goes to `extra`.
    pub fn column(self, name: &str) -> Option<usize> {
        positions(self)?.get(name).copied()
    }

    /// The position of the `extra` column (the last).
    pub fn extra_column(self) -> usize {
        self.schema().len() - 1
    }

    /// The Parquet paths of its text (byte array) leaf columns, list members and struct
    /// members included (built once).
    pub fn text_leaves(self) -> &'static [ColumnPath] {
        static LEAVES: OnceLock<Vec<Vec<ColumnPath>>> = OnceLock::new();
        let all = LEAVES.get_or_init(|| {
            DATASETS
                .iter()
                .map(|d| {
                    ArrowSchemaConverter::new()
                        .convert(&d.arrow_schema())
                        .map(|desc| {
                            desc.columns()
                                .iter()
                                .filter(|c| c.physical_type() == PhysicalType::BYTE_ARRAY)
                                .map(|c| c.path().clone())
                                .collect()
                        })
                        .unwrap_or_default()
                })
                .collect()
        });
        let i = DATASETS.iter().position(|d| *d == self).unwrap_or(0);
        all.get(i).map_or(&[], Vec::as_slice)
    }

    /// The Arrow schema of its files (built once).
    pub fn arrow_schema(self) -> SchemaRef {
        static SCHEMAS: OnceLock<Vec<SchemaRef>> = OnceLock::new();
        let all = SCHEMAS.get_or_init(|| {
            DATASETS
                .iter()
                .map(|d| {
                    Arc::new(Schema::new(
                        d.schema()
                            .fields()
                            .map(|f| Field::new(f.name, f.kind.data_type(), true))
                            .collect::<Vec<_>>(),
                    ))
                })
                .collect()
        });
        let i = DATASETS.iter().position(|d| *d == self).unwrap_or(0);
        all.get(i)
            .cloned()
            .unwrap_or_else(|| Arc::new(Schema::empty()))
    }
}

/// The schema as docs/parquet.md states it: per dataset, a table of column, type.
pub fn schema_markdown() -> String {
    let mut s = String::new();
    for d in DATASETS {
        s.push_str(&format!(
            "### `{}`\n\n| column | type |\n|---|---|\n",
            d.name()
        ));
        for f in d.schema().fields() {
            s.push_str(&format!("| `{}` | {} |\n", f.name, f.kind.describe()));
        }
        s.push('\n');
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_positions_name_their_columns() {
        let name = |ds: Dataset, i: usize| ds.schema().fields().nth(i).map(|f| f.name);
        let envelope = [
            (at::TYPE, "type"),
            (at::TS, "ts"),
            (at::CAPTURE, "capture"),
            (at::SESSION, "session"),
            (at::TRANSPORT, "transport"),
            (at::SRC_IP, "src_ip"),
            (at::SRC_PORT, "src_port"),
            (at::DST_IP, "dst_ip"),
            (at::DST_PORT, "dst_port"),
            (at::COMMUNITY_ID, "community_id"),
            (at::DIR, "dir"),
            (at::FRAME, "frame"),
            (at::FRAMES, "frames"),
            (at::LAYER, "layer"),
        ];
        for ds in DATASETS {
            for (i, n) in envelope {
                assert_eq!(name(ds, i), Some(n), "{ds:?}");
                assert_eq!(ds.column(n), Some(i));
            }
        }
        for (i, n) in [
            (at::REL_TIME, "rel_time"),
            (at::LEN, "len"),
            (at::CAPLEN, "caplen"),
            (at::LINK, "link"),
            (at::LINKTYPE, "linktype"),
            (at::PROTO, "proto"),
            (at::TCP_FLAGS, "tcp_flags"),
            (at::PAYLOAD_LEN, "payload_len"),
            (at::SEQ, "seq"),
            (at::ACK, "ack"),
            (at::TCP_ANALYSIS, "tcp_analysis"),
            (at::INFO, "info"),
        ] {
            assert_eq!(name(Dataset::Packets, i), Some(n));
        }
        assert_eq!(Dataset::Http.column("extra"), None);
        assert_eq!(Dataset::Http.column("content_encoding"), None);
    }
}
