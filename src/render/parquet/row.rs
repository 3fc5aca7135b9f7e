//! One row being filled: each record field goes to its typed column, or, when its dataset
//! has no column of that name, into the row's `extra` object.

use std::borrow::Cow;

use serde_json::Value;

use super::column::{pairs_value, Builder};
use super::{Dataset, Part, BYTES_PER_COLUMN, ROWS_PER_GROUP};
use crate::dissect::fields::{escape_pairs, Fields};
use crate::present::escape::{escape_cow, escape_str_cow};

/// A row of one part file; [`Row::end`] completes it.
pub(crate) struct Row<'a> {
    part: &'a mut Part,
    ds: Dataset,
    /// The columns given a value so far (a dataset has fewer than 64).
    filled: u64,
    /// `--mask`: values shown masked wherever this row's text holds them.
    mask: &'a [String],
    /// The text bytes (and list items) given to the columns so far.
    bytes: usize,
    /// The bytes buffered in all the sink's open parts (this row's added at its end).
    held: &'a mut usize,
}

/// A column: by record field name, or by its fixed position ([`super::schema::at`]).
pub(crate) trait Key: Copy {
    /// Its position in the dataset's columns; `None`: the field goes to `extra`.
    fn position(self, ds: Dataset) -> Option<usize>;
    /// `f` given the field's name in `extra`.
    fn with_name<R>(self, f: impl FnOnce(&str) -> R) -> R;
}

impl Key for &str {
    fn position(self, ds: Dataset) -> Option<usize> {
        ds.column(self)
    }
    fn with_name<R>(self, f: impl FnOnce(&str) -> R) -> R {
        f(self)
    }
}

impl Key for usize {
    fn position(self, _: Dataset) -> Option<usize> {
        Some(self)
    }
    fn with_name<R>(self, f: impl FnOnce(&str) -> R) -> R {
        f(&self.to_string())
    }
}

/// Where a field's value goes.
enum Slot<'r> {
    Column(&'r mut Builder),
    Extra,
    /// The row has this column already.
    Taken,
}

impl<'a> Row<'a> {
    pub(super) fn new(part: &'a mut Part, ds: Dataset, held: &'a mut usize) -> Self {
        part.extra.clear();
        Row {
            part,
            ds,
            filled: 0,
            mask: &[],
            bytes: 0,
            held,
        }
    }

    /// Mask these values in the row's text (`--mask`).
    pub fn set_mask(&mut self, terms: &'a [String]) {
        self.mask = terms;
    }

    fn slot<K: Key>(&mut self, name: K) -> Slot<'_> {
        let Some(i) = name.position(self.ds) else {
            return Slot::Extra;
        };
        let bit = 1u64 << i;
        if self.filled & bit != 0 {
            return Slot::Taken;
        }
        self.filled |= bit;
        match self.part.columns.get_mut(i) {
            Some(c) => Slot::Column(c.ready()),
            None => Slot::Taken,
        }
    }

    fn masked<'s>(&self, s: &'s str) -> Cow<'s, str> {
        mask_text(self.mask, s)
    }

    /// The field goes to `extra`: `put` writes it there (as a JSON member).
    fn keep_extra<K: Key>(&mut self, name: K, put: impl FnOnce(&mut dyn Fields, &str)) {
        let extra = &mut self.part.extra;
        name.with_name(|n| put(extra, n));
    }

    pub fn text<K: Key>(&mut self, name: K, v: Option<&str>) {
        let mask = self.mask;
        let v = if mask.is_empty() {
            v.map(Cow::Borrowed)
        } else {
            v.map(|s| mask_text(mask, s))
        };
        match self.slot(name) {
            Slot::Column(c) => {
                c.append_str(v.as_deref());
                self.bytes += v.map_or(0, |v| v.len());
            }
            Slot::Extra => self.keep_extra(name, |e, n| e.text(n, v.map(Cow::into_owned))),
            Slot::Taken => {}
        }
    }

    pub fn uint<K: Key>(&mut self, name: K, v: Option<u64>) {
        match self.slot(name) {
            Slot::Column(c) => c.append_u64(v),
            Slot::Extra => self.keep_extra(name, |e, n| e.uint(n, v)),
            Slot::Taken => {}
        }
    }

    pub fn float<K: Key>(&mut self, name: K, v: f64) {
        match self.slot(name) {
            Slot::Column(c) => c.append_f64(v),
            Slot::Extra => self.keep_extra(name, |e, n| e.json(n, v.into())),
            Slot::Taken => {}
        }
    }

    pub fn flag<K: Key>(&mut self, name: K, v: bool) {
        match self.slot(name) {
            Slot::Column(c) => c.append_bool(v),
            Slot::Extra => self.keep_extra(name, |e, n| e.flag(n, v)),
            Slot::Taken => {}
        }
    }

    /// A time, in nanoseconds since the epoch.
    pub fn nanos<K: Key>(&mut self, name: K, v: Option<i64>) {
        if let Slot::Column(c) = self.slot(name) {
            c.append_nanos(v);
        }
    }

    pub fn uints<K: Key>(&mut self, name: K, v: Option<&[u64]>) {
        match self.slot(name) {
            Slot::Column(c) => {
                c.append_u64s(v);
                self.bytes += v.map_or(0, |l| l.len() * 8);
            }
            Slot::Extra => {
                let v = v.map_or(Value::Null, |l| l.iter().map(|&n| Value::from(n)).collect());
                self.keep_extra(name, |e, n| e.json(n, v))
            }
            Slot::Taken => {}
        }
    }

    /// A list of texts from the program itself (nothing to mask).
    pub fn labels<K: Key>(&mut self, name: K, v: &[&str]) {
        match self.slot(name) {
            Slot::Column(c) => {
                c.append_strs(&mut v.iter().copied());
                self.bytes += v.iter().map(|s| s.len() + 4).sum::<usize>();
            }
            Slot::Extra => {
                let v = v.iter().map(|&s| Value::from(s)).collect();
                self.keep_extra(name, |e, n| e.json(n, v))
            }
            Slot::Taken => {}
        }
    }

    /// Any value, as JSON.
    pub fn value<K: Key>(&mut self, name: K, v: Value) {
        let v = if self.mask.is_empty() {
            v
        } else {
            mask_value(v, self)
        };
        match self.slot(name) {
            Slot::Column(c) => {
                let before = c.data_bytes();
                c.append((!v.is_null()).then_some(&v));
                let added = c.data_bytes().saturating_sub(before);
                self.bytes += added;
            }
            Slot::Extra => self.keep_extra(name, |e, n| e.json(n, v)),
            Slot::Taken => {}
        }
    }

    /// The row is complete: the columns it gave no value are null, and the fields without
    /// a column of their own go to `extra` as one JSON object.
    pub fn end(mut self) -> Result<(), super::ParquetError> {
        let extra_at = self.part.columns.len() - 1;
        // The JSON text of `extra`, written into the part's buffer (not a new string).
        let mut buf = std::mem::take(&mut self.part.extra_text);
        buf.clear();
        // As `serde_json` writes the map of them: `{"name":value,…}` in name order.
        let extra = if self.part.extra.is_empty() {
            None
        } else {
            self.part.extra.write_members(&mut buf);
            // (The first member's leading comma.)
            if let Some(b) = buf.first_mut() {
                *b = b'{';
            }
            buf.push(b'}');
            std::str::from_utf8(&buf).ok()
        };
        let extra = extra.map(|e| self.masked(e));
        if let Some(c) = self.part.columns.get_mut(extra_at) {
            match extra.as_deref() {
                Some(e) => {
                    c.ready().append_str(Some(e));
                    self.bytes += e.len();
                }
                None => c.append_null(),
            }
        }
        drop(extra);
        self.part.extra_text = buf;
        // Nulls for the columns given no value (but `extra`, given its value above).
        let all = u64::MAX >> (64 - extra_at);
        let mut missing = !self.filled & all;
        while missing != 0 {
            let i = missing.trailing_zeros() as usize;
            missing &= missing - 1;
            if let Some(c) = self.part.columns.get_mut(i) {
                c.append_null();
            }
        }
        let bytes = self.bytes + BYTES_PER_COLUMN * self.part.columns.len();
        self.part.bytes += bytes;
        *self.held += bytes;
        self.part.buffered += 1;
        self.part.rows += 1;
        if self.part.buffered >= ROWS_PER_GROUP {
            *self.held = self.held.saturating_sub(self.part.bytes);
            super::flush(self.part)?;
        }
        Ok(())
    }
}

/// Every text inside a JSON value masked.
fn mask_value(v: Value, row: &Row<'_>) -> Value {
    match v {
        Value::String(s) => Value::String(row.masked(&s).into_owned()),
        Value::Array(a) => Value::Array(a.into_iter().map(|x| mask_value(x, row)).collect()),
        Value::Object(m) => Value::Object(
            m.into_iter()
                .map(|(k, x)| (k, mask_value(x, row)))
                .collect(),
        ),
        other => other,
    }
}

impl Row<'_> {
    /// [`Fields::pairs`] once `--mask` has been applied to them.
    fn put_masked_pairs<N: AsRef<str>, V: AsRef<str>>(
        &mut self,
        name: &str,
        v: impl Iterator<Item = (N, V)>,
    ) {
        match self.slot(name) {
            Slot::Column(c) => {
                let mut bytes = 0;
                c.append_pairs(v.inspect(|(n, x)| {
                    bytes += n.as_ref().len() + x.as_ref().len() + 8;
                }));
                self.bytes += bytes;
            }
            Slot::Extra => {
                let v = pairs_value(v);
                self.keep_extra(name, |e, n| e.json(n, v))
            }
            Slot::Taken => {}
        }
    }
}

/// A message's fields (dissect's [`Fields`]) straight into the row.
impl Fields for Row<'_> {
    /// The row was started with its type.
    fn kind(&mut self, _ty: &str) {}
    fn text(&mut self, name: &str, v: Option<String>) {
        // The column is looked up once (by name), then given by position.
        match name.position(self.ds) {
            Some(i) => Row::text(self, i, v.as_deref()),
            // No column of its own: written into `extra` as it is.
            None if self.mask.is_empty() => self.keep_extra(name, |e, n| e.text(n, v)),
            None => Row::text(self, name, v.as_deref()),
        }
    }
    fn uint(&mut self, name: &str, v: Option<u64>) {
        Row::uint(self, name, v);
    }
    fn flag(&mut self, name: &str, v: bool) {
        Row::flag(self, name, v);
    }
    fn pairs(&mut self, name: &str, v: &mut dyn Iterator<Item = (&str, &str)>) {
        let mask = self.mask;
        if !mask.is_empty() {
            let masked: Vec<_> = v
                .map(|(n, x)| (mask_text(mask, n), mask_text(mask, x)))
                .collect();
            return self.put_masked_pairs(name, &mut masked.iter().map(|(n, x)| (&**n, &**x)));
        }
        self.put_masked_pairs(name, v);
    }
    fn json(&mut self, name: &str, v: Value) {
        Row::value(self, name, v);
    }
    /// Into `extra` as they come (numbers: nothing to mask); a column takes their array.
    fn uints(&mut self, name: &str, v: &mut dyn Iterator<Item = u64>) {
        match name.position(self.ds) {
            None => self.keep_extra(name, |e, n| e.uints(n, v)),
            Some(i) => Row::value(self, i, Value::Array(v.map(Value::from).collect())),
        }
    }
    /// Each name and value escaped on its way into the column (no list of the pairs
    /// first), without a copy when nothing needs an escape.
    fn wire_pairs(&mut self, name: &str, v: &mut dyn Iterator<Item = (&str, &[u8])>) {
        if !self.mask.is_empty() {
            let escaped = escape_pairs(v);
            return self.pairs(name, &mut escaped.iter().map(|(n, x)| (&**n, &**x)));
        }
        self.put_masked_pairs(name, v.map(|(n, x)| (escape_str_cow(n), escape_cow(x))));
    }
    /// Escaped as [`Fields::wire`] does, without a copy when nothing needs an escape.
    fn wire(&mut self, name: &str, v: Option<&[u8]>) {
        let v = v.map(escape_cow);
        Row::text(self, name, v.as_deref());
    }
}

/// `s` with every occurrence of the `--mask` values masked.
#[inline]
fn mask_text<'s>(terms: &[String], s: &'s str) -> Cow<'s, str> {
    let mut out = Cow::Borrowed(s);
    if terms.is_empty() {
        return out;
    }
    for t in terms {
        if out.contains(t.as_str()) {
            out = Cow::Owned(out.replace(t.as_str(), &crate::findings::mask_value(t)));
        }
    }
    out
}
