//! `--parquet DIR`: the records of a run as Apache Parquet datasets, one per record kind
//! (`packets`, `sessions`, `http`, `tls`, `certificates`, `dns`, `quic`, `findings`),
//! Hive-partitioned by day: `DIR/http/date=2026-11-22/part-<capture-id>-<n>.parquet`.
//!
//! Rows are the `--json` records (same field names, docs/json.md) with typed columns
//! (docs/parquet.md): timestamps as `timestamp[ns, UTC]`, ports as `uint16`, addresses as
//! strings, lists as lists; a record's fields that have no column of their own are kept as
//! JSON text in `extra`. Rows are buffered per file and written as row groups as the run
//! goes, so memory stays bounded by [`ROWS_PER_GROUP`] rows per open file, and by a share
//! of the run's memory budget over all of them ([`ParquetSink::set_budget`]).

mod column;
mod row;
mod schema;
mod sink;

use std::collections::BTreeMap;
use std::fs::File;
use std::path::{Path, PathBuf};

use arrow_array::{ArrayRef, RecordBatch};
use column::{Column, Room};
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, Encoding};
use parquet::file::properties::{EnabledStatistics, WriterProperties};
use parquet::schema::types::ColumnPath;
use row::Row;

use crate::render::json::write::Body;
pub use schema::{dataset_of, schema_markdown, Dataset, DATASETS};
pub use sink::ParquetOutput;

/// A part file's dataset and day (days since the epoch; `None`: records without a time).
type PartKey = (Dataset, Option<i64>);

const NANOS_PER_DAY: i64 = 86_400 * 1_000_000_000;

/// `YYYY-MM-DD` of a day counted from the epoch.
fn day_name(day: i64) -> Option<String> {
    let t = time::OffsetDateTime::from_unix_timestamp(day.checked_mul(86_400)?).ok()?;
    let d = t.date();
    Some(format!(
        "{:04}-{:02}-{:02}",
        d.year(),
        u8::from(d.month()),
        d.day()
    ))
}

/// Rows buffered per file before they are handed to the writer as one row group. (16,384
/// took --parquet's peak RSS on the benchmark capture to 64.1 MiB, over the 64 MiB bound;
/// 8,192 gives 50.3-50.7 MiB for files 0.6 % larger.)
pub const ROWS_PER_GROUP: usize = 8 * 1024;
/// Columns whose values are nearly all distinct: written without a dictionary.
const MOSTLY_DISTINCT: &[&str] = &[
    "ts",
    "frame",
    "frames.list.item",
    "rel_time",
    "seq",
    "ack",
    "info",
    "start",
    "end",
    "rel_start",
    "duration",
    "first_frame",
    "last_frame",
    "uri",
    "request_uri",
    "evidence",
    "extra",
];

/// Whole-number columns of `MOSTLY_DISTINCT` (times, frame numbers, TCP sequence numbers):
/// written as DELTA_BINARY_PACKED, the differences from value to value bit-packed, not
/// PLAIN (8 bytes a value that Snappy barely shortens). Readers: docs/parquet.md.
const DELTA_NUMBERS: &[&str] = &[
    "ts",
    "frame",
    "frames.list.item",
    "seq",
    "ack",
    "start",
    "end",
    "first_frame",
    "last_frame",
];

/// Columns written without compression: the packets' times since the capture's start,
/// doubles in which Snappy finds nothing to shorten (`rel_start` and `duration` of sessions
/// are kept compressed: on a 30,000-packet slice of bench.pcap Snappy saved 2 % of their
/// dataset).
const NOT_COMPRESSIBLE: &[&str] = &["rel_time"];

/// The share of the run's memory budget (`--max-total-buffer`) the rows buffered in all
/// open part files may take: 1/24, 10.7 MiB of the default 256 MiB. Past it the part
/// holding the most is written as a row group before it has [`ROWS_PER_GROUP`] rows, so no
/// capture's content (long headers, certificate chains) can grow the buffers without bound.
/// (The open parts of bench.pcap hold at most 8.2 MB by this count: its row groups are
/// those of [`ROWS_PER_GROUP`] rows.)
pub const BUDGET_SHARE: usize = 24;

/// Bytes a row is counted for besides its text: a value, offset or null bit per column
/// (8 bytes each at most).
const BYTES_PER_COLUMN: usize = 8;

/// Rows per file before the next part is started.
pub const ROWS_PER_FILE: u64 = 1 << 20;

/// What can go wrong writing the datasets.
#[derive(Debug, thiserror::Error)]
pub enum ParquetError {
    #[error("--parquet {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("--parquet {path}: {source}")]
    Parquet {
        path: PathBuf,
        source: parquet::errors::ParquetError,
    },
    #[error("--parquet: {0}")]
    Arrow(#[from] arrow_schema::ArrowError),
}

impl From<ParquetError> for std::io::Error {
    fn from(e: ParquetError) -> Self {
        match e {
            ParquetError::Io { source, .. } => source,
            other => std::io::Error::other(other.to_string()),
        }
    }
}

/// One open part file of one dataset and day.
pub(crate) struct Part {
    path: PathBuf,
    schema: arrow_schema::SchemaRef,
    writer: ArrowWriter<File>,
    columns: Vec<Column>,
    buffered: usize,
    /// What the buffered rows hold, counted as they come: their text bytes, and
    /// [`BYTES_PER_COLUMN`] per column a row.
    bytes: usize,
    rows: u64,
    /// The row's fields without a column of their own, written as JSON members as they
    /// come (reused from row to row).
    extra: Body,
    /// The last row's `extra` JSON text (its buffer kept for the next row).
    extra_text: Vec<u8>,
}

/// The datasets of one run being written.
pub struct ParquetSink {
    dir: PathBuf,
    /// Names the files of this run (`part-<capture-id>-<n>`).
    capture_id: String,
    /// Open parts by (dataset, day: days since the epoch, `None` for no time): a few, found
    /// by a scan (no map lookups per row).
    parts: Vec<(PartKey, Part)>,
    /// The next part number of each (dataset, day).
    next_part: BTreeMap<PartKey, u32>,
    /// Rows written per dataset (in [`DATASETS`] order; for the end-of-run line).
    counts: [u64; DATASETS.len()],
    /// The bytes of the open parts' buffered rows (the sum of their [`Part::bytes`]).
    held: usize,
    /// Most bytes held before the part holding the most is written early.
    budget: usize,
}

impl ParquetSink {
    /// Write under `dir` (created when missing); `capture` names the run's input.
    pub fn new(dir: &Path, capture: &str) -> Result<Self, ParquetError> {
        std::fs::create_dir_all(dir).map_err(|source| ParquetError::Io {
            path: dir.to_path_buf(),
            source,
        })?;
        Ok(ParquetSink {
            dir: dir.to_path_buf(),
            capture_id: capture_id(capture),
            parts: Vec::new(),
            next_part: BTreeMap::new(),
            counts: [0; DATASETS.len()],
            held: 0,
            budget: crate::memory::DEFAULT_BUDGET / BUDGET_SHARE,
        })
    }

    /// The run's memory budget (`--max-total-buffer`): the buffered rows of all open parts
    /// may hold [`BUDGET_SHARE`]th of it.
    pub fn set_budget(&mut self, run_budget: usize) {
        self.budget = (run_budget / BUDGET_SHARE).max(1);
    }

    /// Write the part holding the most as a row group until the buffered rows fit the
    /// budget again. Its columns are given no room for the next group (they grow as it
    /// fills): peak RSS on bench.pcap ×4 72.1 MiB this way, 74.4 MiB with the room made
    /// (65.2 and 70.0 MiB with `--max-total-buffer 128MiB`).
    fn fit_budget(&mut self) -> Result<(), ParquetError> {
        while self.held > self.budget {
            let Some((_, part)) = self.parts.iter_mut().max_by_key(|(_, p)| p.bytes) else {
                break;
            };
            if part.bytes == 0 {
                break;
            }
            self.held = self.held.saturating_sub(part.bytes);
            write_buffered(part)?;
        }
        Ok(())
    }

    /// Start a row of the dataset of a record of type `ty` (and `event`, for sessions) at
    /// time `ts` (nanoseconds since the epoch); `None` for a record of no dataset (notes,
    /// stream opens, run statistics).
    pub(crate) fn row(
        &mut self,
        ty: &str,
        event: Option<&str>,
        ts: Option<i64>,
    ) -> Result<Option<Row<'_>>, ParquetError> {
        let Some(ds) = dataset_of(ty, event) else {
            return Ok(None);
        };
        let key = (ds, ts.map(|n| n.div_euclid(NANOS_PER_DAY)));
        if self.held > self.budget {
            self.fit_budget()?;
        }
        let mut at = self.parts.iter().rposition(|(k, _)| *k == key);
        if let Some(i) = at.filter(|&i| {
            self.parts
                .get(i)
                .is_some_and(|(_, p)| p.rows >= ROWS_PER_FILE)
        }) {
            let (_, p) = self.parts.swap_remove(i);
            self.held = self.held.saturating_sub(p.bytes);
            close(p)?;
            at = None;
        }
        let i = match at {
            Some(i) => i,
            None => {
                let part = self.open(&key)?;
                self.parts.push((key, part));
                self.parts.len() - 1
            }
        };
        if let Some(n) = self.counts.get_mut(ds as usize) {
            *n += 1;
        }
        let Some((_, part)) = self.parts.get_mut(i) else {
            return Ok(None);
        };
        let mut row = Row::new(part, ds, &mut self.held);
        row.text(schema::at::TYPE, Some(ty));
        row.nanos(schema::at::TS, ts);
        Ok(Some(row))
    }

    /// Start the next part file of a dataset and day.
    fn open(&mut self, key: &PartKey) -> Result<Part, ParquetError> {
        let (ds, day) = key;
        let day = day.and_then(day_name).unwrap_or_else(|| "unknown".into());
        let dir = self.dir.join(ds.name()).join(format!("date={day}"));
        std::fs::create_dir_all(&dir).map_err(|source| ParquetError::Io {
            path: dir.clone(),
            source,
        })?;
        let n = self.next_part.entry(*key).or_default();
        let path = dir.join(format!("part-{}-{n}.parquet", self.capture_id));
        *n += 1;
        let file = File::create(&path).map_err(|source| ParquetError::Io {
            path: path.clone(),
            source,
        })?;
        let mut props = WriterProperties::builder()
            .set_compression(Compression::SNAPPY)
            .set_max_row_group_row_count(Some(ROWS_PER_GROUP))
            // Min and max per row group (what engines prune by), not per page.
            .set_statistics_enabled(EnabledStatistics::Chunk)
            .set_created_by(concat!("squirrel-sniff ", env!("CARGO_PKG_VERSION")).into());
        // No min and max for text: the writer compares every value byte by byte (about 5 %
        // of a run's instructions), and text columns hold no order an engine could prune by.
        for leaf in ds.text_leaves() {
            props = props.set_column_statistics_enabled(leaf.clone(), EnabledStatistics::None);
        }
        // A dictionary only costs where nearly every value is new. (A nested column's path
        // is its parts: `frames.list.item` as one name would match no column.)
        for name in MOSTLY_DISTINCT {
            props = props.set_column_dictionary_enabled(column_path(name), false);
        }
        for name in DELTA_NUMBERS {
            props = props.set_column_encoding(column_path(name), Encoding::DELTA_BINARY_PACKED);
        }
        // (On bench.pcap `rel_time` took 1,179,130 bytes compressed, 1,179,047 as it is.)
        for name in NOT_COMPRESSIBLE {
            props =
                props.set_column_compression(ColumnPath::from(*name), Compression::UNCOMPRESSED);
        }
        let props = props.build();
        let writer =
            ArrowWriter::try_new(file, ds.arrow_schema(), Some(props)).map_err(|source| {
                ParquetError::Parquet {
                    path: path.clone(),
                    source,
                }
            })?;
        Ok(Part {
            path,
            schema: ds.arrow_schema(),
            writer,
            columns: ds.schema().fields().map(|f| Column::new(f.kind)).collect(),
            buffered: 0,
            bytes: 0,
            rows: 0,
            extra: Body::default(),
            extra_text: Vec::new(),
        })
    }

    /// Write what is buffered and close every file (their footers make them readable).
    pub fn finish(&mut self) -> Result<(), ParquetError> {
        let mut parts = std::mem::take(&mut self.parts);
        self.held = 0;
        parts.sort_by_key(|(k, _)| *k);
        for (_, p) in parts {
            close(p)?;
        }
        Ok(())
    }

    /// Rows written per dataset so far (the datasets with rows).
    pub fn counts(&self) -> BTreeMap<Dataset, u64> {
        DATASETS
            .into_iter()
            .zip(self.counts)
            .filter(|(_, n)| *n > 0)
            .collect()
    }
}

/// A column's path from its dotted name (`frames.list.item`: a list's items).
fn column_path(name: &str) -> ColumnPath {
    ColumnPath::new(name.split('.').map(String::from).collect())
}

/// Hand the buffered rows to the writer (a row group once it holds [`ROWS_PER_GROUP`]),
/// then make room in the columns for as many values as they gave: the next group is
/// probably alike.
fn flush(part: &mut Part) -> Result<(), ParquetError> {
    let Some(rooms) = write_buffered(part)? else {
        return Ok(());
    };
    for (c, room) in part.columns.iter_mut().zip(&rooms) {
        c.make_room(room);
    }
    Ok(())
}

/// Write the buffered rows as one row group (closed even when it has fewer than
/// [`ROWS_PER_GROUP`] rows: the writer would otherwise keep them encoded, waiting for more):
/// what each column held (`None`: nothing was buffered). The arrays are dropped before this
/// returns.
fn write_buffered(part: &mut Part) -> Result<Option<Vec<Room>>, ParquetError> {
    if part.buffered == 0 {
        return Ok(None);
    }
    let arrays: Vec<ArrayRef> = part.columns.iter_mut().map(Column::finish).collect();
    let rooms = arrays.iter().map(|a| Room::of(a.as_ref())).collect();
    let batch = RecordBatch::try_new(part.schema.clone(), arrays)?;
    part.writer
        .write(&batch)
        .and_then(|()| part.writer.flush())
        .map_err(|source| ParquetError::Parquet {
            path: part.path.clone(),
            source,
        })?;
    part.buffered = 0;
    part.bytes = 0;
    Ok(Some(rooms))
}

fn close(mut part: Part) -> Result<(), ParquetError> {
    write_buffered(&mut part)?;
    let path = part.path.clone();
    part.writer
        .close()
        .map(|_| ())
        .map_err(|source| ParquetError::Parquet { path, source })
}

/// A file-name-safe id of the capture: its file stem, with anything but letters, digits,
/// `-` and `_` replaced by `_`.
fn capture_id(capture: &str) -> String {
    let stem = Path::new(capture)
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| capture.to_string());
    let id: String = stem
        .trim_end_matches(".pcap")
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .take(80)
        .collect();
    if id.is_empty() {
        "capture".into()
    } else {
        id
    }
}

impl Drop for ParquetSink {
    fn drop(&mut self) {
        let _ = self.finish();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_array::cast::AsArray;
    use arrow_array::types::{TimestampNanosecondType, UInt64Type};
    use arrow_array::Array;
    use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

    /// A sink writing into an empty temporary directory named after `tag`.
    fn fresh_sink(tag: &str) -> (PathBuf, ParquetSink) {
        let dir = std::env::temp_dir().join(format!("sq-pq-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let sink = ParquetSink::new(&dir, "t.pcap").unwrap();
        (dir, sink)
    }

    /// The one part file written for dataset `ds` on 2023-11-14.
    fn part_file(dir: &Path, ds: &str) -> PathBuf {
        let day = dir.join(ds).join("date=2023-11-14");
        std::fs::read_dir(day)
            .unwrap()
            .next()
            .unwrap()
            .unwrap()
            .path()
    }

    /// The record batches of that file.
    fn read_back(dir: &Path, ds: &str) -> Vec<RecordBatch> {
        let file = File::open(part_file(dir, ds)).unwrap();
        let reader = ParquetRecordBatchReaderBuilder::try_new(file).unwrap();
        reader.build().unwrap().map(Result::unwrap).collect()
    }

    #[test]
    fn rows_with_columns_left_empty_read_back() {
        let (dir, mut sink) = fresh_sink("nulls");
        let t0 = 1_700_000_000_000_000_000i64;
        // More than a row group, so nulls are owed across a flush too.
        let rows: Vec<(u64, i64)> = (1..=(ROWS_PER_GROUP as u64 + 3000))
            .map(|n| (n, t0 + (n as i64) * 1_234_567))
            .collect();
        for &(n, ts) in &rows {
            let mut row = sink.row("packet", None, Some(ts)).unwrap().unwrap();
            row.uint(schema::at::FRAME, Some(n));
            // Every other row leaves `seq` empty (nulls owed between values).
            row.uint(schema::at::SEQ, (n % 2 == 0).then_some(n * 7));
            row.end().unwrap();
        }
        sink.finish().unwrap();
        let file = part_file(&dir, "packets");
        let reader = ParquetRecordBatchReaderBuilder::try_new(File::open(&file).unwrap()).unwrap();
        // Times and frame numbers as deltas; `seq` (nulls between) too; a number column
        // with a dictionary keeps it.
        let meta = reader.metadata().clone();
        assert!(meta.num_row_groups() >= 2);
        for rg in meta.row_groups() {
            for c in rg.columns() {
                let name = c.column_path().string();
                let delta = c.encodings().any(|e| e == Encoding::DELTA_BINARY_PACKED);
                let expected = DELTA_NUMBERS.contains(&name.as_str());
                assert_eq!(delta, expected, "{name}");
            }
        }
        let mut got = Vec::new();
        for batch in read_back(&dir, "packets") {
            let frame = batch
                .column_by_name("frame")
                .unwrap()
                .as_primitive::<UInt64Type>();
            let ts = batch.column_by_name("ts").unwrap();
            let ts = ts.as_primitive::<TimestampNanosecondType>();
            let seq = batch.column_by_name("seq").unwrap();
            let seq = seq.as_primitive::<arrow_array::types::UInt32Type>();
            // Never given: null in every row.
            for name in ["capture", "info", "tcp_analysis", "extra"] {
                let c = batch.column_by_name(name).unwrap();
                assert_eq!(c.null_count(), batch.num_rows(), "{name}");
            }
            for i in 0..batch.num_rows() {
                let n = frame.value(i);
                assert_eq!(seq.is_valid(i), n % 2 == 0);
                if n % 2 == 0 {
                    assert_eq!(u64::from(seq.value(i)), n * 7);
                }
                got.push((n, ts.value(i)));
            }
        }
        assert_eq!(got, rows);
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// Past the budget, the part holding the most bytes is written as a row group before it
    /// has [`ROWS_PER_GROUP`] rows: the bytes buffered never pass the budget by more than a
    /// row, and every row is read back in order.
    #[test]
    fn buffered_rows_held_to_the_byte_budget() {
        let (dir, mut sink) = fresh_sink("budget");
        let budget = 100_000;
        sink.set_budget(budget * BUDGET_SHARE);
        let ts = Some(1_700_000_000_000_000_000i64);
        let uri = |n: usize| format!("/{n:05}/{}", "x".repeat(2_000));
        let mut most_per_row = 0;
        for n in 0..400 {
            let before = sink.held;
            let mut row = sink.row("http.request", None, ts).unwrap().unwrap();
            row.text("uri", Some(&uri(n)));
            row.end().unwrap();
            // A second open part, small rows.
            let mut row = sink.row("packet", None, ts).unwrap().unwrap();
            row.uint(schema::at::FRAME, Some(n as u64));
            row.end().unwrap();
            most_per_row = most_per_row.max(sink.held.saturating_sub(before));
            assert!(sink.held <= budget + most_per_row, "{} held", sink.held);
        }
        sink.finish().unwrap();
        let file = File::open(part_file(&dir, "http")).unwrap();
        let reader = ParquetRecordBatchReaderBuilder::try_new(file).unwrap();
        let groups: Vec<i64> = reader
            .metadata()
            .row_groups()
            .iter()
            .map(|g| g.num_rows())
            .collect();
        // About 45 rows of 2 KiB fit 100,000 bytes.
        assert!(groups.len() >= 8, "{groups:?}");
        assert!(groups.iter().all(|&n| n <= 50), "{groups:?}");
        let mut got = Vec::new();
        for batch in read_back(&dir, "http") {
            let uris = batch.column_by_name("uri").unwrap().as_string::<i32>();
            got.extend(uris.iter().map(|u| u.unwrap().to_string()));
        }
        assert_eq!(got, (0..400).map(uri).collect::<Vec<_>>());
        let packets: usize = read_back(&dir, "packets")
            .iter()
            .map(|b| b.num_rows())
            .sum();
        assert_eq!(packets, 400);
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// HTTP header pairs from the wire go into their column escaped (the names too), and
    /// masked under `--mask`, as `--json` shows them.
    #[test]
    fn header_pairs_escaped_into_their_column() {
        use crate::dissect::fields::Fields;
        let (dir, mut sink) = fresh_sink("headers");
        let headers: [(&str, &[u8]); 2] =
            [("Host", b"example.com"), ("X-Odd\x1b", b"a\x1b[2J\xff")];
        let mask = ["example".to_string()];
        for terms in [&[][..], &mask[..]] {
            let ts = Some(1_700_000_000_000_000_000i64);
            let mut row = sink.row("http.request", None, ts).unwrap().unwrap();
            row.set_mask(terms);
            row.wire_pairs("headers", &mut headers.iter().copied());
            row.end().unwrap();
        }
        sink.finish().unwrap();
        let mut got = Vec::new();
        for batch in read_back(&dir, "http") {
            let lists = batch.column_by_name("headers").unwrap().as_list::<i32>();
            for i in 0..batch.num_rows() {
                let pairs = lists.value(i);
                let pairs = pairs.as_struct();
                let (n, v) = (
                    pairs.column(0).as_string::<i32>(),
                    pairs.column(1).as_string::<i32>(),
                );
                let row: Vec<(String, String)> = (0..pairs.len())
                    .map(|j| (n.value(j).to_string(), v.value(j).to_string()))
                    .collect();
                got.push(row);
            }
        }
        let masked = format!("{}.com", crate::findings::mask_value("example"));
        let odd = ("X-Odd\\x1b".to_string(), "a\\x1b[2J\\xff".to_string());
        assert_eq!(
            got,
            [
                vec![("Host".to_string(), "example.com".to_string()), odd.clone()],
                vec![("Host".to_string(), masked), odd],
            ]
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// A row's fields without a column go to `extra` as `serde_json` writes the map of
    /// them: names in order, text escaped for JSON, every kind of value; and a row
    /// without such fields has a null `extra`.
    #[test]
    fn extra_as_the_json_map_of_the_fields() {
        use crate::dissect::fields::Fields;
        use serde_json::{json, Map, Value};
        let (dir, mut sink) = fresh_sink("extra");
        let ts = Some(1_700_000_000_000_000_000i64);
        let mut want = Map::new();
        let mut row = sink.row("tls.app_data", None, ts).unwrap().unwrap();
        row.uint("total_records", Some(7));
        want.insert("total_records".into(), json!(7));
        Fields::text(&mut row, "zeta", Some("a \"quoted\" \\ tab\t".into()));
        want.insert("zeta".into(), json!("a \"quoted\" \\ tab\t"));
        row.uint("len", None);
        want.insert("len".into(), Value::Null);
        row.flag("alpha", true);
        want.insert("alpha".into(), json!(true));
        row.value("groups", json!([29, 23, {"k": "v"}]));
        want.insert("groups".into(), json!([29, 23, {"k": "v"}]));
        row.wire("Ünicode", Some(b"x\x1by"));
        want.insert("Ünicode".into(), json!("x\\x1by"));
        row.float("ratio", 0.5);
        want.insert("ratio".into(), json!(0.5));
        Fields::uints(&mut row, "cipher_suites", &mut [4865u64, 49195].into_iter());
        want.insert("cipher_suites".into(), json!([4865, 49195]));
        // A column of its own: not in `extra`.
        row.text("sni", Some("example.com"));
        row.end().unwrap();
        let row = sink.row("tls.app_data", None, ts).unwrap().unwrap();
        row.end().unwrap();
        sink.finish().unwrap();
        let mut got = Vec::new();
        for batch in read_back(&dir, "tls") {
            let extra = batch.column_by_name("extra").unwrap().as_string::<i32>();
            got.extend(extra.iter().map(|e| e.map(str::to_string)));
        }
        let want = serde_json::to_string(&want).unwrap();
        assert_eq!(got, [Some(want), None]);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
