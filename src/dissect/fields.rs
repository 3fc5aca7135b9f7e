//! A message's record fields, handed one at a time to whatever stores them: the `--json`
//! record's map ([`JsonFields`]) or an output with typed columns (Parquet). A message that
//! writes its fields here has one description for every output, and no output re-reads
//! another's text.

use std::borrow::Cow;

use serde_json::{Map, Value};

use crate::present::escape::{escape_bytes, escape_cow, escape_str_cow};

/// Receives a record's fields, in any order, each name at most once. Text is escaped
/// already (it came from the wire).
pub trait Fields {
    /// The record's `type` (`http.request`, `tls.client_hello`, …): given first.
    fn kind(&mut self, ty: &str);
    /// Text, or null.
    fn text(&mut self, name: &str, v: Option<String>);
    /// A count, length or id, or null.
    fn uint(&mut self, name: &str, v: Option<u64>);
    fn flag(&mut self, name: &str, v: bool);
    /// A list of `[name, value]` text pairs (HTTP headers), borrowed: an output copies
    /// only what it keeps.
    fn pairs(&mut self, name: &str, v: &mut dyn Iterator<Item = (&str, &str)>);
    /// Any other value, as its JSON.
    fn json(&mut self, name: &str, v: Value);
    /// Any other value, borrowed: given to [`Fields::json`] as a copy unless the output
    /// writes it as it is (`--json`).
    fn json_ref(&mut self, name: &str, v: &Value) {
        self.json(name, v.clone());
    }
    /// A list of counts or ids (cipher suites, extension ids, …): given to [`Fields::json`]
    /// as an array unless the output writes the numbers as they come.
    fn uints(&mut self, name: &str, v: &mut dyn Iterator<Item = u64>) {
        self.json(name, Value::Array(v.map(Value::from).collect()));
    }
    /// Text from the wire, not escaped yet, or null: given to [`Fields::text`] escaped
    /// unless the output escapes it as it writes it (`--json`).
    fn wire(&mut self, name: &str, v: Option<&[u8]>) {
        self.text(name, v.map(escape_bytes));
    }
    /// `[name, value]` pairs from the wire (HTTP headers), not escaped yet: given to
    /// [`Fields::pairs`] escaped unless the output escapes them as it writes them.
    /// Text that needs no escape (printable ASCII, the common case) is handed on as it is.
    fn wire_pairs(&mut self, name: &str, v: &mut dyn Iterator<Item = (&str, &[u8])>) {
        let escaped = escape_pairs(v);
        self.pairs(name, &mut escaped.iter().map(|(n, v)| (&**n, &**v)));
    }
    /// A list of texts (names, or text escaped already): given to [`Fields::json`] as an
    /// array unless the output writes them as they come (`--json`).
    fn texts(&mut self, name: &str, v: &mut dyn Iterator<Item = Cow<'_, str>>) {
        let list = v.map(|s| Value::String(s.into_owned())).collect();
        self.json(name, Value::Array(list));
    }
    /// A list of texts from the wire, not escaped yet (ALPN values): given to
    /// [`Fields::texts`] escaped unless the output escapes them as it writes them.
    fn wire_list(&mut self, name: &str, v: &mut dyn Iterator<Item = &[u8]>) {
        self.texts(name, &mut v.map(escape_cow));
    }
    /// An id with its name as the object `{"id":…,"name":…}` ([`id_name_json`]; a TLS
    /// version), or null: given to [`Fields::json`] unless the output writes it as it comes.
    fn id_name(&mut self, name: &str, v: Option<(u64, &str)>) {
        self.json(name, v.map_or(Value::Null, |(id, n)| id_name_json(id, n)));
    }
    /// A list of such objects.
    fn id_names(&mut self, name: &str, v: &mut dyn Iterator<Item = (u64, Cow<'_, str>)>) {
        let list = v.map(|(id, n)| id_name_json(id, &n)).collect();
        self.json(name, Value::Array(list));
    }
}

/// `{"id": id, "name": name}` as a JSON value (a TLS version: `{"id":772,"name":"TLS 1.3"}`).
pub fn id_name_json(id: u64, name: &str) -> Value {
    let mut o = Map::new();
    o.insert("name".into(), name.into());
    o.insert("id".into(), id.into());
    Value::Object(o)
}

/// Wire `[name, value]` pairs escaped as [`Fields::wire_pairs`] hands them to
/// [`Fields::pairs`] (borrowed when nothing needs an escape).
pub fn escape_pairs<'n, 'v>(
    v: &mut dyn Iterator<Item = (&'n str, &'v [u8])>,
) -> Vec<(Cow<'n, str>, Cow<'v, str>)> {
    v.map(|(n, v)| (escape_str_cow(n), escape_cow(v))).collect()
}

/// The fields as the JSON record's map (`type` included).
#[derive(Debug, Default)]
pub struct JsonFields(pub Map<String, Value>);

impl Fields for JsonFields {
    fn kind(&mut self, ty: &str) {
        self.0.insert("type".into(), ty.into());
    }
    fn text(&mut self, name: &str, v: Option<String>) {
        self.0
            .insert(name.into(), v.map_or(Value::Null, Value::String));
    }
    fn uint(&mut self, name: &str, v: Option<u64>) {
        self.0
            .insert(name.into(), v.map_or(Value::Null, Value::from));
    }
    fn flag(&mut self, name: &str, v: bool) {
        self.0.insert(name.into(), v.into());
    }
    fn pairs(&mut self, name: &str, v: &mut dyn Iterator<Item = (&str, &str)>) {
        let list = v
            .map(|(n, v)| Value::Array(vec![Value::String(n.into()), Value::String(v.into())]))
            .collect();
        self.0.insert(name.into(), Value::Array(list));
    }
    fn json(&mut self, name: &str, v: Value) {
        self.0.insert(name.into(), v);
    }
}

/// Hand a record made as a JSON map to `out` (`type` first).
pub fn from_map(m: Map<String, Value>, out: &mut dyn Fields) {
    out.kind(m.get("type").and_then(Value::as_str).unwrap_or(""));
    for (k, v) in m {
        if k != "type" {
            out.json(&k, v);
        }
    }
}
