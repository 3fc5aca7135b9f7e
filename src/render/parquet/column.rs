//! One typed column being filled from JSON values.

use std::sync::Arc;

use arrow_array::builder::{
    ArrayBuilder, BooleanBuilder, Float64Builder, ListBuilder, StringBuilder, StructBuilder,
    TimestampNanosecondBuilder, UInt16Builder, UInt32Builder, UInt64Builder,
};
use arrow_array::cast::AsArray;
use arrow_array::{Array, ArrayRef};
use arrow_schema::{DataType, Field, Fields, TimeUnit};
use serde_json::Value;

/// The type of a column, as docs/parquet.md states it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `string`: text as it is; a number, boolean, list or object as its JSON text.
    Text,
    U16,
    U32,
    U64,
    F64,
    Bool,
    /// `timestamp[ns, UTC]`, from RFC 3339 text (or seconds since the epoch).
    Timestamp,
    /// `list<string>` (a single string is a list of one).
    TextList,
    /// `list<uint64>`.
    U64List,
    /// `list<struct<name: string, value: string>>`, from `[[name, value], …]` (headers).
    Pairs,
    /// `list<struct<…: string>>`, from a list of objects: these members of each, as text.
    Objects(&'static [&'static str]),
}

impl Kind {
    pub fn data_type(self) -> DataType {
        match self {
            Kind::Text => DataType::Utf8,
            Kind::U16 => DataType::UInt16,
            Kind::U32 => DataType::UInt32,
            Kind::U64 => DataType::UInt64,
            Kind::F64 => DataType::Float64,
            Kind::Bool => DataType::Boolean,
            Kind::Timestamp => DataType::Timestamp(TimeUnit::Nanosecond, Some("UTC".into())),
            Kind::TextList => list_of(DataType::Utf8),
            Kind::U64List => list_of(DataType::UInt64),
            Kind::Pairs | Kind::Objects(_) => {
                list_of(DataType::Struct(text_fields(struct_members(self))))
            }
        }
    }

    /// The name docs/parquet.md gives the type.
    pub fn describe(self) -> String {
        match self {
            Kind::Text => "string".into(),
            Kind::U16 => "uint16".into(),
            Kind::U32 => "uint32".into(),
            Kind::U64 => "uint64".into(),
            Kind::F64 => "double".into(),
            Kind::Bool => "boolean".into(),
            Kind::Timestamp => "timestamp[ns, UTC]".into(),
            Kind::TextList => "list<string>".into(),
            Kind::U64List => "list<uint64>".into(),
            Kind::Pairs => "list<struct<name: string, value: string>>".into(),
            Kind::Objects(names) => format!(
                "list<struct<{}>>",
                names
                    .iter()
                    .map(|n| format!("{n}: string"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }
    }
}

/// The members of a list-of-structs column's structs.
fn struct_members(kind: Kind) -> &'static [&'static str] {
    match kind {
        Kind::Objects(names) => names,
        _ => &["name", "value"],
    }
}

fn list_of(item: DataType) -> DataType {
    DataType::List(Arc::new(Field::new("item", item, true)))
}

fn text_fields(names: &[&str]) -> Fields {
    names
        .iter()
        .map(|n| Field::new(*n, DataType::Utf8, true))
        .collect()
}

/// A column being filled: its builder, and the nulls it owes (rows that gave it no value
/// since its last one), appended in one go when the next value comes or the column is
/// finished: most rows leave the same columns empty, and one call for a run of nulls costs
/// about what one null does.
pub struct Column {
    values: Builder,
    nulls: usize,
    kind: Kind,
}

impl Column {
    pub fn new(kind: Kind) -> Column {
        Column {
            values: Builder::new(kind),
            nulls: 0,
            kind,
        }
    }

    /// Make room for as much as `room` (the last row group's values): the next group's
    /// values go in without the buffers being regrown (a reallocation and a copy each
    /// time they double). Called once the last group's arrays are written and dropped, so
    /// the two are never held at once.
    pub fn make_room(&mut self, room: &Room) {
        if self.nulls == 0 && self.values.is_empty() {
            self.values = Builder::with_room(self.kind, room);
        }
    }

    /// The builder, ready for the next value (the nulls owed appended).
    #[inline]
    pub fn ready(&mut self) -> &mut Builder {
        if self.nulls > 0 {
            self.settle();
        }
        &mut self.values
    }

    /// Append the nulls owed.
    #[inline(never)]
    fn settle(&mut self) {
        self.values.append_nulls(std::mem::take(&mut self.nulls));
    }

    /// A null for this row (appended with the next value, or when finished).
    #[inline]
    pub fn append_null(&mut self) {
        self.nulls += 1;
    }

    /// The values so far as an array; the column starts empty again.
    pub fn finish(&mut self) -> ArrayRef {
        self.ready().finish()
    }
}

/// How much a column held: its items, their text bytes, and for lists the items in them
/// (with the text bytes of each struct member).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Room {
    items: usize,
    bytes: usize,
    inner: usize,
    members: Vec<usize>,
}

impl Room {
    /// What `a` (a column's finished array) holds.
    pub fn of(a: &dyn Array) -> Room {
        let mut room = Room {
            items: a.len(),
            ..Room::default()
        };
        if let Some(s) = a.as_string_opt::<i32>() {
            room.bytes = s.value_data().len();
        } else if let Some(l) = a.as_list_opt::<i32>() {
            let values = l.values();
            room.inner = values.len();
            if let Some(s) = values.as_string_opt::<i32>() {
                room.bytes = s.value_data().len();
            } else if let Some(st) = values.as_struct_opt() {
                room.members = st
                    .columns()
                    .iter()
                    .map(|c| c.as_string_opt::<i32>().map_or(0, |s| s.value_data().len()))
                    .collect();
            }
        }
        room
    }
}

/// A column's values so far.
pub enum Builder {
    Text(StringBuilder),
    U16(UInt16Builder),
    U32(UInt32Builder),
    U64(UInt64Builder),
    F64(Float64Builder),
    Bool(BooleanBuilder),
    Timestamp(TimestampNanosecondBuilder),
    TextList(ListBuilder<StringBuilder>),
    U64List(ListBuilder<UInt64Builder>),
    Structs(ListBuilder<StructBuilder>, Kind),
}

impl Builder {
    pub fn new(kind: Kind) -> Builder {
        Builder::with_room(kind, &Room::default())
    }

    /// An empty builder with room for what `room` holds.
    fn with_room(kind: Kind, room: &Room) -> Builder {
        let n = room.items;
        match kind {
            Kind::Text => Builder::Text(StringBuilder::with_capacity(n, room.bytes)),
            Kind::U16 => Builder::U16(UInt16Builder::with_capacity(n)),
            Kind::U32 => Builder::U32(UInt32Builder::with_capacity(n)),
            Kind::U64 => Builder::U64(UInt64Builder::with_capacity(n)),
            Kind::F64 => Builder::F64(Float64Builder::with_capacity(n)),
            Kind::Bool => Builder::Bool(BooleanBuilder::with_capacity(n)),
            Kind::Timestamp => Builder::Timestamp(
                TimestampNanosecondBuilder::with_capacity(n).with_timezone("UTC"),
            ),
            Kind::TextList => Builder::TextList(ListBuilder::with_capacity(
                StringBuilder::with_capacity(room.inner, room.bytes),
                n,
            )),
            Kind::U64List => Builder::U64List(ListBuilder::with_capacity(
                UInt64Builder::with_capacity(room.inner),
                n,
            )),
            Kind::Pairs | Kind::Objects(_) => {
                let fields = text_fields(struct_members(kind));
                let item = Arc::new(Field::new("item", DataType::Struct(fields.clone()), true));
                let members = (0..fields.len())
                    .map(|i| {
                        let bytes = room.members.get(i).copied().unwrap_or(0);
                        Box::new(StringBuilder::with_capacity(room.inner, bytes))
                            as Box<dyn ArrayBuilder>
                    })
                    .collect();
                let builder = StructBuilder::new(fields, members);
                Builder::Structs(
                    ListBuilder::with_capacity(builder, n).with_field(item),
                    kind,
                )
            }
        }
    }

    /// No values yet.
    fn is_empty(&self) -> bool {
        match self {
            Builder::Text(b) => b.is_empty(),
            Builder::U16(b) => b.is_empty(),
            Builder::U32(b) => b.is_empty(),
            Builder::U64(b) => b.is_empty(),
            Builder::F64(b) => b.is_empty(),
            Builder::Bool(b) => b.is_empty(),
            Builder::Timestamp(b) => b.is_empty(),
            Builder::TextList(b) => b.is_empty(),
            Builder::U64List(b) => b.is_empty(),
            Builder::Structs(b, _) => b.is_empty(),
        }
    }

    /// Append one row's value; a missing, null or mistyped value is null.
    pub fn append(&mut self, v: Option<&Value>) {
        let v = v.filter(|v| !v.is_null());
        match self {
            Builder::Text(b) => append_text(b, v),
            Builder::U16(b) => b.append_option(
                v.and_then(Value::as_u64)
                    .and_then(|n| u16::try_from(n).ok()),
            ),
            Builder::U32(b) => b.append_option(
                v.and_then(Value::as_u64)
                    .and_then(|n| u32::try_from(n).ok()),
            ),
            Builder::U64(b) => b.append_option(v.and_then(Value::as_u64)),
            Builder::F64(b) => b.append_option(v.and_then(Value::as_f64)),
            Builder::Bool(b) => b.append_option(v.and_then(Value::as_bool)),
            Builder::Timestamp(b) => b.append_option(v.and_then(nanos)),
            Builder::TextList(b) => match v {
                Some(Value::Array(items)) => {
                    for i in items {
                        append_text(b.values(), Some(i).filter(|i| !i.is_null()));
                    }
                    b.append(true);
                }
                Some(one) => {
                    append_text(b.values(), Some(one));
                    b.append(true);
                }
                None => b.append(false),
            },
            Builder::U64List(b) => match v {
                Some(Value::Array(items)) => {
                    for i in items {
                        b.values().append_option(i.as_u64());
                    }
                    b.append(true);
                }
                _ => b.append(false),
            },
            Builder::Structs(b, kind) => {
                let Some(Value::Array(items)) = v else {
                    b.append(false);
                    return;
                };
                let names = struct_members(*kind);
                for item in items {
                    let s = b.values();
                    for (i, name) in names.iter().enumerate() {
                        let member = match item {
                            Value::Array(pair) => pair.get(i),
                            Value::Object(m) => m.get(*name),
                            _ => None,
                        };
                        if let Some(f) = s.field_builder::<StringBuilder>(i) {
                            append_text(f, member.filter(|m| !m.is_null()));
                        }
                    }
                    s.append(true);
                }
                b.append(true);
            }
        }
    }

    /// The text bytes in the values so far (of every member of a list's structs).
    pub fn data_bytes(&self) -> usize {
        fn text(b: &dyn ArrayBuilder) -> usize {
            b.as_any()
                .downcast_ref::<StringBuilder>()
                .map_or(0, |s| s.values_slice().len())
        }
        match self {
            Builder::Text(b) => b.values_slice().len(),
            Builder::TextList(b) => b.values_ref().values_slice().len(),
            Builder::U64List(b) => b.values_ref().len() * 8,
            Builder::Structs(b, _) => b
                .values_ref()
                .field_builders()
                .iter()
                .map(|f| text(f.as_ref()))
                .sum(),
            _ => 0,
        }
    }

    /// Append `n` nulls.
    fn append_nulls(&mut self, n: usize) {
        match self {
            Builder::Text(b) => b.append_nulls(n),
            Builder::U16(b) => b.append_nulls(n),
            Builder::U32(b) => b.append_nulls(n),
            Builder::U64(b) => b.append_nulls(n),
            Builder::F64(b) => b.append_nulls(n),
            Builder::Bool(b) => b.append_nulls(n),
            Builder::Timestamp(b) => b.append_nulls(n),
            Builder::TextList(b) => b.append_nulls(n),
            Builder::U64List(b) => b.append_nulls(n),
            Builder::Structs(b, _) => b.append_nulls(n),
        }
    }

    /// Append text (or null); a column of another type takes it as `append` does.
    pub fn append_str(&mut self, v: Option<&str>) {
        match (self, v) {
            (Builder::Text(b), v) => b.append_option(v),
            (Builder::TextList(b), Some(s)) => {
                b.values().append_value(s);
                b.append(true);
            }
            (other, v) => other.append(v.map(|s| Value::String(s.into())).as_ref()),
        }
    }

    /// Append a number (or null); a column of another type takes it as `append` does.
    pub fn append_u64(&mut self, v: Option<u64>) {
        match (self, v) {
            (Builder::U64(b), v) => b.append_option(v),
            (Builder::U32(b), v) => b.append_option(v.and_then(|n| u32::try_from(n).ok())),
            (Builder::U16(b), v) => b.append_option(v.and_then(|n| u16::try_from(n).ok())),
            (Builder::Text(b), Some(n)) => b.append_value(n.to_string()),
            (other, v) => other.append(v.map(Value::from).as_ref()),
        }
    }

    pub fn append_f64(&mut self, v: f64) {
        match self {
            Builder::F64(b) => b.append_value(v),
            other => other.append(Some(&Value::from(v))),
        }
    }

    pub fn append_bool(&mut self, v: bool) {
        match self {
            Builder::Bool(b) => b.append_value(v),
            other => other.append(Some(&Value::from(v))),
        }
    }

    /// Append a time in nanoseconds since the epoch (or null): a timestamp column's value.
    pub fn append_nanos(&mut self, v: Option<i64>) {
        match self {
            Builder::Timestamp(b) => b.append_option(v),
            other => other.append(None),
        }
    }

    /// Append a list of numbers (or null).
    pub fn append_u64s(&mut self, v: Option<&[u64]>) {
        match (self, v) {
            (Builder::U64List(b), Some(items)) => {
                b.values().append_slice(items);
                b.append(true);
            }
            (other, v) => other.append(
                v.map(|items| Value::Array(items.iter().map(|&n| n.into()).collect()))
                    .as_ref(),
            ),
        }
    }

    /// Append a list of texts.
    pub fn append_strs(&mut self, items: &mut dyn Iterator<Item = &str>) {
        match self {
            Builder::TextList(b) => {
                for i in items {
                    b.values().append_value(i);
                }
                b.append(true);
            }
            other => other.append(Some(&Value::Array(
                items.map(|s| Value::String(s.into())).collect(),
            ))),
        }
    }

    /// Append a list of `[name, value]` pairs (HTTP headers), each text as it comes (a
    /// borrowed or an escaped one: nothing is kept of it but its bytes in the column).
    pub fn append_pairs<N: AsRef<str>, V: AsRef<str>>(
        &mut self,
        items: impl Iterator<Item = (N, V)>,
    ) {
        match self {
            Builder::Structs(b, Kind::Pairs) => {
                for (n, v) in items {
                    let s = b.values();
                    if let Some(f) = s.field_builder::<StringBuilder>(0) {
                        f.append_value(n);
                    }
                    if let Some(f) = s.field_builder::<StringBuilder>(1) {
                        f.append_value(v);
                    }
                    s.append(true);
                }
                b.append(true);
            }
            other => other.append(Some(&pairs_value(items))),
        }
    }

    /// The values so far as an array; the builder starts empty again.
    fn finish(&mut self) -> ArrayRef {
        match self {
            Builder::Text(b) => Arc::new(b.finish()),
            Builder::U16(b) => Arc::new(b.finish()),
            Builder::U32(b) => Arc::new(b.finish()),
            Builder::U64(b) => Arc::new(b.finish()),
            Builder::F64(b) => Arc::new(b.finish()),
            Builder::Bool(b) => Arc::new(b.finish()),
            Builder::Timestamp(b) => Arc::new(b.finish()),
            Builder::TextList(b) => Arc::new(b.finish()),
            Builder::U64List(b) => Arc::new(b.finish()),
            Builder::Structs(b, _) => Arc::new(b.finish()),
        }
    }
}

/// Text as it is (not copied on the way); anything else as its JSON text; or null.
fn append_text(b: &mut StringBuilder, v: Option<&Value>) {
    match v {
        Some(Value::String(s)) => b.append_value(s),
        Some(other) => b.append_value(other.to_string()),
        None => b.append_null(),
    }
}

/// Nanoseconds since the epoch of an RFC 3339 time, or of seconds since the epoch.
pub fn nanos(v: &Value) -> Option<i64> {
    match v {
        Value::String(s) => {
            let t = time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
                .ok()?;
            i64::try_from(t.unix_timestamp_nanos()).ok()
        }
        Value::Number(n) => {
            let secs = n.as_f64()?;
            let whole = secs.floor();
            let frac = ((secs - whole) * 1e6).round() as i64 * 1000;
            (whole as i64).checked_mul(1_000_000_000)?.checked_add(frac)
        }
        _ => None,
    }
}

/// `[[name, value], …]` as JSON.
pub fn pairs_value<N: AsRef<str>, V: AsRef<str>>(items: impl Iterator<Item = (N, V)>) -> Value {
    Value::Array(
        items
            .map(|(n, v)| {
                Value::Array(vec![
                    Value::String(n.as_ref().into()),
                    Value::String(v.as_ref().into()),
                ])
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_array::{Array, ListArray, StringArray, UInt64Array};

    #[test]
    fn room_made_from_the_last_group_holds_the_next() {
        let mut t = Column::new(Kind::Text);
        t.ready().append_str(Some("abc"));
        t.append_null();
        t.ready().append_str(Some("de"));
        let a = t.finish();
        let room = Room::of(a.as_ref());
        assert_eq!((room.items, room.bytes, room.inner), (3, 5, 0));
        t.make_room(&room);
        match &t.values {
            Builder::Text(b) => assert!(b.values_slice().is_empty() && b.is_empty()),
            _ => panic!("not text"),
        }
        t.append_null();
        t.ready().append_str(Some("xyz"));
        let a = t.finish();
        let a = a.as_any().downcast_ref::<StringArray>().unwrap();
        assert_eq!(a.iter().collect::<Vec<_>>(), [None, Some("xyz")]);

        let mut p = Column::new(Kind::Pairs);
        p.ready()
            .append_pairs(&mut [("Host", "x"), ("Accept", "*/*")].into_iter());
        p.append_null();
        let room = Room::of(p.finish().as_ref());
        assert_eq!((room.items, room.inner), (2, 2));
        assert_eq!(room.members, [10, 4]);
        p.make_room(&room);
        p.ready().append_pairs(&mut [("A", "b")].into_iter());
        let a = p.finish();
        let a = a.as_any().downcast_ref::<ListArray>().unwrap();
        assert_eq!(a.len(), 1);
        assert_eq!(a.value_length(0), 1);

        let mut l = Column::new(Kind::TextList);
        l.ready().append_strs(&mut ["a", "bb"].into_iter());
        let room = Room::of(l.finish().as_ref());
        assert_eq!((room.items, room.bytes, room.inner), (1, 3, 2));
        // Values already given are kept: no room made over them.
        l.ready().append_strs(&mut ["c"].into_iter());
        l.make_room(&room);
        l.ready().append_strs(&mut ["d"].into_iter());
        let a = l.finish();
        let a = a.as_any().downcast_ref::<ListArray>().unwrap();
        assert_eq!(a.len(), 2);
    }

    #[test]
    fn nulls_owed_land_between_the_values() {
        let mut c = Column::new(Kind::Text);
        c.append_null();
        c.ready().append_str(Some("a"));
        c.append_null();
        c.append_null();
        c.ready().append_str(Some("b"));
        c.append_null();
        let a = c.finish();
        let a = a.as_any().downcast_ref::<StringArray>().unwrap();
        let got: Vec<_> = a.iter().collect();
        assert_eq!(got, [None, Some("a"), None, None, Some("b"), None]);
        // The column starts empty again, nothing owed.
        c.ready().append_str(Some("c"));
        let a = c.finish();
        assert_eq!(a.len(), 1);
        assert_eq!(a.null_count(), 0);

        let mut n = Column::new(Kind::U64);
        n.append_null();
        n.append_null();
        n.ready().append_u64(Some(7));
        let a = n.finish();
        let a = a.as_any().downcast_ref::<UInt64Array>().unwrap();
        assert_eq!(a.iter().collect::<Vec<_>>(), [None, None, Some(7)]);

        let mut l = Column::new(Kind::Pairs);
        l.ready().append_pairs([("Host", "x")].into_iter());
        l.append_null();
        let a = l.finish();
        let a = a.as_any().downcast_ref::<ListArray>().unwrap();
        assert_eq!(a.len(), 2);
        assert!(a.is_valid(0) && a.is_null(1));
        assert_eq!(a.value_length(0), 1);
    }
}
