//! The header fields of one HTTP message (or of a chunked body's trailer), in wire order.
//!
//! A head of ten fields used to cost twenty-one allocations (a `String` per name, a `Vec`
//! per value, the list). Here the names are copied into one `String` and the values into one
//! byte buffer, and each field is a pair of ranges into them: three allocations per head,
//! however many fields it has.

use std::ops::Range;

/// Header fields in wire order: names (text) and raw values, each field a pair of ranges into
/// two shared buffers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Headers {
    names: String,
    values: Vec<u8>,
    fields: Vec<Field>,
}

/// Where one field's name and value are.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Field {
    name: Range<usize>,
    value: Range<usize>,
}

impl Headers {
    /// Room for `fields` fields whose names and values take about `bytes` bytes.
    pub fn with_capacity(fields: usize, bytes: usize) -> Self {
        Headers {
            names: String::with_capacity(bytes / 2),
            values: Vec::with_capacity(bytes),
            fields: Vec::with_capacity(fields),
        }
    }

    /// Add a field at the end.
    pub fn push(&mut self, name: &str, value: &[u8]) {
        let n = self.names.len();
        self.names.push_str(name);
        let v = self.values.len();
        self.values.extend_from_slice(value);
        self.fields.push(Field {
            name: n..self.names.len(),
            value: v..self.values.len(),
        });
    }

    /// Append bytes to the value of the last field (a folded header line); false when
    /// there is no field yet.
    pub fn extend_last(&mut self, more: &[u8]) -> bool {
        let Some(last) = self.fields.last_mut() else {
            return false;
        };
        // The last field's value is at the end of the buffer: it grows in place.
        self.values.extend_from_slice(more);
        last.value.end = self.values.len();
        true
    }

    pub fn len(&self) -> usize {
        self.fields.len()
    }

    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }

    /// The fields in wire order: name, raw value.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = (&str, &[u8])> + Clone + '_ {
        self.fields.iter().map(|f| {
            (
                self.names.get(f.name.clone()).unwrap_or_default(),
                self.values.get(f.value.clone()).unwrap_or_default(),
            )
        })
    }

    /// The value of the first field with this name (case-insensitive).
    pub fn get(&self, name: &str) -> Option<&[u8]> {
        self.value_at(self.position(name)?)
    }

    /// Where the first field with this name is (case-insensitive), for [`Headers::value_at`].
    pub fn position(&self, name: &str) -> Option<usize> {
        let [at] = self.positions([name]);
        at
    }

    /// Where the first field of each of `names` is (case-insensitive), in one pass over the
    /// fields, which stops once every name is found.
    pub fn positions<const N: usize>(&self, names: [&str; N]) -> [Option<usize>; N] {
        let mut found = [None; N];
        let mut left = N;
        let all = self.names.as_bytes();
        for (i, f) in self.fields.iter().enumerate() {
            if left == 0 {
                break;
            }
            let Some(name) = all.get(f.name.clone()) else {
                continue;
            };
            for (want, at) in names.iter().zip(found.iter_mut()) {
                if at.is_none()
                    && want.len() == name.len()
                    && name.eq_ignore_ascii_case(want.as_bytes())
                {
                    *at = Some(i);
                    left -= 1;
                }
            }
        }
        found
    }

    /// The value of the field at `at` (wire order).
    pub fn value_at(&self, at: usize) -> Option<&[u8]> {
        self.values.get(self.fields.get(at)?.value.clone())
    }
}

impl<'a> FromIterator<(&'a str, &'a [u8])> for Headers {
    fn from_iter<I: IntoIterator<Item = (&'a str, &'a [u8])>>(iter: I) -> Self {
        let mut h = Headers::default();
        for (n, v) in iter {
            h.push(n, v);
        }
        h
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_keep_order_names_values_and_folding() {
        let mut h = Headers::with_capacity(2, 16);
        assert!(!h.extend_last(b"x"));
        h.push("Host", b"example.com");
        h.push("X-Long", b"a");
        assert!(h.extend_last(b" b"));
        h.push("host", b"second");
        let all: Vec<(&str, &[u8])> = h.iter().collect();
        assert_eq!(
            all,
            vec![
                ("Host", &b"example.com"[..]),
                ("X-Long", &b"a b"[..]),
                ("host", &b"second"[..]),
            ]
        );
        assert_eq!(h.len(), 3);
        assert_eq!(h.get("HOST"), Some(&b"example.com"[..]));
        assert_eq!(h.get("x-long"), Some(&b"a b"[..]));
        assert_eq!(h.get("accept"), None);
        assert_eq!(h.position("HOST"), Some(0));
        assert_eq!(
            h.positions(["x-long", "accept", "host", "HOST"]),
            [Some(1), None, Some(0), Some(0)]
        );
        assert_eq!(h.value_at(1), Some(&b"a b"[..]));
        assert_eq!(h.value_at(3), None);
        let again: Headers = all.into_iter().collect();
        assert_eq!(again, h);
    }
}
