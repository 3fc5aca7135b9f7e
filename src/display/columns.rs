//! `-T fields -e FIELD … -E OPTION=VALUE`: one line of field values per displayed frame, as
//! tshark prints them, from the same field registry as `-Y` ([`super::FIELDS`]), and
//! `--list-fields` (tshark's `-G fields`).

use std::io::{self, Write};

use super::{field_help, fields, FieldType, FrameFields, Value};
use crate::event::frame::FrameView;
use crate::present::escape::escape_str;

/// How a field with several values is printed (`-E occurrence=`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Occurrence {
    First,
    Last,
    All,
}

/// A bad `-e` or `-E`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ColumnsError {
    #[error("-e {name}: no such field (see --list-fields){hint}")]
    UnknownField { name: String, hint: String },
    #[error("-E {0}: expected header=y|n, separator=/t|/s|CHAR, quote=d|s|n, occurrence=f|l|a or aggregator=/s|CHAR")]
    BadOption(String),
    #[error("-T fields needs at least one -e FIELD")]
    NoFields,
}

/// The `-T fields` layout.
#[derive(Debug, Clone)]
pub struct Columns {
    /// (name as given, canonical name, type).
    fields: Vec<(String, &'static str, FieldType)>,
    header: bool,
    separator: String,
    quote: Option<char>,
    occurrence: Occurrence,
    aggregator: String,
}

/// `/t` is a tab, `/s` a space (tshark's spellings), anything else is taken as written.
fn unslash(v: &str) -> String {
    match v {
        "/t" => "\t".into(),
        "/s" => " ".into(),
        _ => v.into(),
    }
}

impl Columns {
    /// From the `-e` names and the `-E` options.
    pub fn new(names: &[String], options: &[String]) -> Result<Columns, ColumnsError> {
        if names.is_empty() {
            return Err(ColumnsError::NoFields);
        }
        let mut fields_out = Vec::with_capacity(names.len());
        for n in names {
            let Some(def) = fields::lookup(n) else {
                let hint = field_help::suggestion(n)
                    .map(|s| format!("; {s}"))
                    .unwrap_or_default();
                return Err(ColumnsError::UnknownField {
                    name: escape_str(n),
                    hint,
                });
            };
            fields_out.push((n.clone(), def.name, def.ty));
        }
        let mut c = Columns {
            fields: fields_out,
            header: false,
            separator: "\t".into(),
            quote: None,
            occurrence: Occurrence::All,
            aggregator: ",".into(),
        };
        for o in options {
            let bad = || ColumnsError::BadOption(escape_str(o));
            let (k, v) = o.split_once('=').ok_or_else(bad)?;
            match (k, v) {
                ("header", "y") => c.header = true,
                ("header", "n") => c.header = false,
                ("separator", v) if !v.is_empty() => c.separator = unslash(v),
                ("aggregator", v) if !v.is_empty() => c.aggregator = unslash(v),
                ("quote", "d") => c.quote = Some('"'),
                ("quote", "s") => c.quote = Some('\''),
                ("quote", "n") => c.quote = None,
                ("occurrence", "f") => c.occurrence = Occurrence::First,
                ("occurrence", "l") => c.occurrence = Occurrence::Last,
                ("occurrence", "a") => c.occurrence = Occurrence::All,
                _ => return Err(bad()),
            }
        }
        Ok(c)
    }

    /// The header line (`-E header=y`), if asked for.
    pub fn write_header<W: Write>(&self, w: &mut W) -> io::Result<()> {
        if !self.header {
            return Ok(());
        }
        let names: Vec<String> = self.fields.iter().map(|(n, _, _)| escape_str(n)).collect();
        writeln!(w, "{}", names.join(&self.separator))
    }

    /// One frame's line.
    pub fn write_frame<W: Write>(&self, w: &mut W, f: &FrameView<'_>) -> io::Result<()> {
        let cells: Vec<String> = self
            .fields
            .iter()
            .map(|(_, name, ty)| self.cell(f, name, *ty))
            .collect();
        writeln!(w, "{}", cells.join(&self.separator))
    }

    fn cell(&self, f: &FrameView<'_>, name: &str, ty: FieldType) -> String {
        let values: Vec<String> = if ty == FieldType::Protocol {
            if MARKER_PROTOCOLS.contains(&name) {
                // tshark prints a message kind (a field without a value) as 1, once per
                // message: `1,1,1,1` for a frame carrying four handshake messages.
                let n = f.app.iter().filter(|e| e.msg.has(name)).count();
                vec!["1".to_string(); n]
            } else if f.has(name) {
                vec![name.to_string()]
            } else {
                Vec::new()
            }
        } else {
            let hex = HEX_FIELDS
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, width)| *width);
            f.values(name)
                .iter()
                // tshark adds an analysis flag only when it is set: no value, not 0.
                .filter(|v| !(ty == FieldType::Marker && matches!(v, Value::Bool(false))))
                .map(|v| match v {
                    Value::Int(n) => match hex {
                        Some(width) => format!("0x{n:0width$x}"),
                        None => n.to_string(),
                    },
                    v => text(v),
                })
                .collect()
        };
        if values.is_empty() {
            return String::new();
        }
        let picked = match self.occurrence {
            Occurrence::First => values.first().cloned().unwrap_or_default(),
            Occurrence::Last => values.last().cloned().unwrap_or_default(),
            Occurrence::All => values.join(&self.aggregator),
        };
        match self.quote {
            Some(q) => {
                let inner = picked.replace(q, &format!("\\{q}"));
                format!("{q}{inner}{q}")
            }
            None => picked,
        }
    }
}

/// The message kinds that are fields without a value in tshark (`http.request`,
/// `tls.handshake`, ...), not protocols: `-T fields` shows them as 1.
const MARKER_PROTOCOLS: &[&str] = &[
    "http.request",
    "http.response",
    "tls.handshake",
    "tls.alert",
];

/// Fields tshark shows in hexadecimal (its `BASE_HEX`), with the digits it pads them to: the
/// width of the field on the wire.
const HEX_FIELDS: &[(&str, usize)] = &[
    ("tls.record.version", 4),
    ("tls.handshake.version", 4),
    ("dns.id", 4),
    ("http2.flags", 2),
    ("quic.version", 8),
    ("eth.type", 4),
    ("gre.proto", 4),
    ("gre.key", 8),
    ("geneve.vni", 6),
    ("pppoe.session_id", 4),
    ("ip.dsfield", 2),
    ("ip.id", 4),
    ("ip.flags", 2),
    ("ip.checksum", 4),
    ("ipv6.tclass", 8),
    ("ipv6.flow", 6),
    ("tcp.flags", 4),
    ("tcp.checksum", 4),
    ("udp.checksum", 4),
    ("tls.handshake.ciphersuite", 4),
    ("tls.handshake.extensions.supported_version", 4),
    ("tls.handshake.extensions_supported_group", 4),
    ("dns.flags", 4),
    ("dns.qry.class", 4),
    ("ipv6.fraghdr.ident", 8),
];

/// A value as text: flags as 1/0 (tshark), strings escaped like wire data.
fn text(v: &Value) -> String {
    match v {
        Value::Int(n) => n.to_string(),
        Value::Signed(n) => n.to_string(),
        Value::Str(s) => escape_str(s),
        Value::Addr(a) => a.to_string(),
        Value::Bool(b) => u8::from(*b).to_string(),
        Value::Time(t) => super::eval::seconds_text(*t),
    }
}

/// Every field and alias: (name, type, description), for `--list-fields` and the man page.
pub fn field_list() -> Vec<(&'static str, &'static str, String)> {
    super::FIELDS
        .iter()
        .map(|d| {
            (
                d.name,
                d.ty.name(),
                super::field_help::description(d.name).to_string(),
            )
        })
        .chain(
            fields::ALIASES
                .iter()
                .map(|(alias, canonical)| (*alias, "alias", format!("Same as {canonical}"))),
        )
        .collect()
}

/// One line per field: name, type, description (tab-separated, like tshark -G fields).
pub fn write_field_list<W: Write>(w: &mut W) -> io::Result<()> {
    for (name, ty, desc) in field_list() {
        writeln!(w, "{name}\t{ty}\t{desc}")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts(o: &[&str]) -> Vec<String> {
        o.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn options_parse_like_tshark() {
        let c = Columns::new(
            &opts(&["tcp.port", "tls.handshake.extensions_server_name"]),
            &opts(&[
                "header=y",
                "separator=/s",
                "quote=d",
                "occurrence=l",
                "aggregator=;",
            ]),
        )
        .expect("valid");
        assert!(c.header);
        assert_eq!(c.separator, " ");
        assert_eq!(c.quote, Some('"'));
        assert_eq!(c.occurrence, Occurrence::Last);
        assert_eq!(c.aggregator, ";");
        assert_eq!(c.fields[1].1, "tls.sni", "aliases resolve");
        let mut h = Vec::new();
        c.write_header(&mut h).expect("header");
        assert_eq!(h, b"tcp.port tls.handshake.extensions_server_name\n");
    }

    #[test]
    fn bad_names_and_options_are_refused() {
        assert!(matches!(
            Columns::new(&opts(&["ip.adr"]), &[]),
            Err(ColumnsError::UnknownField { .. })
        ));
        assert!(Columns::new(&opts(&["ip.src"]), &opts(&["quote=x"])).is_err());
        assert!(Columns::new(&opts(&["ip.src"]), &opts(&["header"])).is_err());
        assert_eq!(Columns::new(&[], &[]).err(), Some(ColumnsError::NoFields));
        let e = Columns::new(&opts(&["a\x1b[2J"]), &[]).expect_err("unknown");
        assert!(!e.to_string().contains('\x1b'), "{e}");
    }

    #[test]
    fn every_field_has_a_description() {
        for d in super::super::FIELDS {
            assert!(
                !super::super::field_help::description(d.name).is_empty(),
                "{} has no description in display/field_help.rs",
                d.name
            );
        }
    }
}
