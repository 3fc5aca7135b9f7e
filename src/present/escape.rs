//! Escaping of packet-derived bytes and strings before they reach a terminal or a file.
//!
//! Every string that came off the wire goes through here: control bytes (C0, DEL, C1),
//! bidi overrides and other invisible format characters, and invalid UTF-8 come out as
//! visible escapes (`\x1b`, `\u{202e}`), so no wire byte can drive the terminal.

/// Escape arbitrary bytes: printable ASCII and printable UTF-8 kept, everything else escaped.
/// `\r`, `\n`, `\t` become `\r`, `\n`, `\t`; a backslash stays a single backslash.
pub fn escape_bytes(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    push_escaped(&mut out, bytes);
    out
}

/// Like [`escape_bytes`], borrowing `bytes` when they need no escape (printable ASCII, the
/// common case).
pub fn escape_cow(bytes: &[u8]) -> std::borrow::Cow<'_, str> {
    match printable_ascii(bytes) {
        Some(s) => std::borrow::Cow::Borrowed(s),
        None => std::borrow::Cow::Owned(escape_bytes(bytes)),
    }
}

/// `bytes` as text when every byte is printable ASCII (nothing to escape): sixteen bytes
/// at a time (each block checked whole, which the compiler turns into vector compares),
/// the rest one by one.
fn printable_ascii(bytes: &[u8]) -> Option<&str> {
    if !all_printable_ascii(bytes) {
        return None;
    }
    std::str::from_utf8(bytes).ok()
}

/// True when every byte is printable ASCII, sixteen bytes at a time.
fn all_printable_ascii(bytes: &[u8]) -> bool {
    let mut blocks = bytes.chunks_exact(16);
    for b in &mut blocks {
        if !b.iter().fold(true, |ok, &c| ok & is_printable_ascii(c)) {
            return false;
        }
    }
    blocks.remainder().iter().all(|&c| is_printable_ascii(c))
}

/// Like [`escape_cow`] for text that is UTF-8 already (an HTTP header's name): borrowed
/// when it needs no escape, without checking its UTF-8 again.
pub fn escape_str_cow(s: &str) -> std::borrow::Cow<'_, str> {
    if all_printable_ascii(s.as_bytes()) {
        std::borrow::Cow::Borrowed(s)
    } else {
        std::borrow::Cow::Owned(escape_str(s))
    }
}

/// Like [`escape_bytes`], appending to `out`.
pub fn push_escaped(out: &mut String, bytes: &[u8]) {
    // Most wire text is printable ASCII: kept whole.
    if let Some(s) = printable_ascii(bytes) {
        out.push_str(s);
        return;
    }
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            push_char(out, c);
        }
        for b in chunk.invalid() {
            out.push_str(&format!("\\x{b:02x}"));
        }
    }
}

/// Escape a string that is already UTF-8 but came from the wire.
pub fn escape_str(s: &str) -> String {
    if all_printable_ascii(s.as_bytes()) {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        push_char(&mut out, c);
    }
    out
}

/// Escape at most `max` bytes of `bytes`, adding `…` when cut.
pub fn escape_truncated(bytes: &[u8], max: usize) -> String {
    if bytes.len() <= max {
        escape_bytes(bytes)
    } else {
        let mut s = escape_bytes(bytes.get(..max).unwrap_or(bytes));
        s.push('…');
        s
    }
}

fn push_char(out: &mut String, c: char) {
    match c {
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        c if is_unsafe(c) => {
            let v = c as u32;
            if v < 0x100 {
                out.push_str(&format!("\\x{v:02x}"));
            } else {
                out.push_str(&format!("\\u{{{v:04x}}}"));
            }
        }
        c => out.push(c),
    }
}

/// Characters that must never be printed raw: C0/C1 controls and DEL (`Cc`), every
/// invisible format character (`Cf`: all the Bidi_Control characters U+061C, U+200E/F,
/// U+202A-E, U+2066-9, zero-width characters, the BOM, tags, ...), line and paragraph
/// separators (`Zl`, `Zp`), and the invisible fillers that are letters or marks
/// (combining grapheme joiner, Hangul fillers).
pub fn is_unsafe(c: char) -> bool {
    use unicode_properties::{GeneralCategory, UnicodeGeneralCategory};
    if c.is_ascii() {
        return c.is_ascii_control();
    }
    matches!(
        c.general_category(),
        GeneralCategory::Control
            | GeneralCategory::Format
            | GeneralCategory::LineSeparator
            | GeneralCategory::ParagraphSeparator
    ) || matches!(
        c as u32,
        0x034f | 0x115f | 0x1160 | 0x3164 | 0xffa0 | 0x2060..=0x206f | 0xfff9..=0xfffb | 0xe0000..=0xe007f
    )
}

/// Wire text as tshark 4.0's item labels show it (its `format_text`): printable ASCII as
/// is (a backslash too); `\a \b \f \n \r \t \v` by name, the other C0 bytes and DEL in
/// octal (`\033`); a character GLib does not call printable (controls, format characters,
/// unassigned code points) as `\u0085` or `\U000E0001`; each invalid UTF-8 sequence (its
/// longest start that could begin a character) as U+FFFD. Stricter than tshark where it
/// prints what could mislead a terminal: line and paragraph separators and the invisible
/// fillers ([`is_unsafe`]) are escaped the same way, not written raw.
pub fn escape_label(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            push_label_char(&mut out, c);
        }
        if !chunk.invalid().is_empty() {
            out.push(char::REPLACEMENT_CHARACTER);
        }
    }
    out
}

fn push_label_char(out: &mut String, c: char) {
    use unicode_properties::{GeneralCategory, UnicodeGeneralCategory};
    let named = match c {
        '\x07' => Some('a'),
        '\x08' => Some('b'),
        '\x0c' => Some('f'),
        '\n' => Some('n'),
        '\r' => Some('r'),
        '\t' => Some('t'),
        '\x0b' => Some('v'),
        _ => None,
    };
    let v = c as u32;
    if let Some(n) = named {
        out.push('\\');
        out.push(n);
    } else if c.is_ascii() {
        if c.is_ascii_control() {
            out.push_str(&format!("\\{v:03o}"));
        } else {
            out.push(c);
        }
    } else if is_unsafe(c)
        || matches!(
            c.general_category(),
            GeneralCategory::Unassigned | GeneralCategory::Surrogate
        )
    {
        if v <= 0xffff {
            out.push_str(&format!("\\u{v:04X}"));
        } else {
            out.push_str(&format!("\\U{v:08X}"));
        }
    } else {
        out.push(c);
    }
}

/// True when a byte is printed as itself in the ASCII column of a hex dump.
pub fn is_printable_ascii(b: u8) -> bool {
    (0x20..0x7f).contains(&b)
}

#[cfg(test)]
mod tests {
    #[test]
    fn labels_as_tshark_with_separators_escaped() {
        use super::escape_label;
        assert_eq!(escape_label(b"a\\b\r\n"), "a\\b\\r\\n");
        assert_eq!(
            escape_label(b"\x0b\x0c\x1b\x00\x7f"),
            "\\v\\f\\033\\000\\177"
        );
        assert_eq!(
            escape_label("\u{85}\u{2028}\u{e0001}\u{200b}\u{fffe}".as_bytes()),
            "\\u0085\\u2028\\U000E0001\\u200B\\uFFFE"
        );
        assert_eq!(
            escape_label(b"\xe2\x80x\xf0\x9f\x98\x80\xff\xfe"),
            "\u{fffd}x\u{1f600}\u{fffd}\u{fffd}"
        );
    }

    use super::*;

    #[test]
    fn controls_are_escaped() {
        assert_eq!(escape_bytes(b"a\x1b[2Jb"), "a\\x1b[2Jb");
        assert_eq!(escape_bytes(b"\x00\x7f"), "\\x00\\x7f");
        assert_eq!(escape_bytes("x\u{202e}y".as_bytes()), "x\\u{202e}y");
        assert_eq!(escape_bytes("\u{9b}".as_bytes()), "\\x9b");
        assert_eq!(escape_bytes(b"\xff\xfe ok"), "\\xff\\xfe ok");
        assert_eq!(escape_bytes(b"line\r\n"), "line\\r\\n");
        assert_eq!(escape_bytes("caf\u{e9}".as_bytes()), "caf\u{e9}");
    }

    /// Every Bidi_Control character (UAX #9) and a sample of other invisible format
    /// characters (Cf) come out escaped; visible non-ASCII text does not.
    #[test]
    fn bidi_controls_and_format_characters_are_escaped() {
        let bidi = [
            0x061c, 0x200e, 0x200f, 0x202a, 0x202b, 0x202c, 0x202d, 0x202e, 0x2066, 0x2067, 0x2068,
            0x2069,
        ];
        let format = [
            0x0600, 0x06dd, 0x070f, 0x180e, 0x200b, 0x2064, 0xfeff, 0x110bd, 0x1d173, 0xe0001,
            0xe0041,
        ];
        for v in bidi.into_iter().chain(format) {
            let c = char::from_u32(v).unwrap();
            assert_eq!(
                escape_str(&format!("a{c}b")),
                format!("a\\u{{{v:04x}}}b"),
                "U+{v:04X}"
            );
        }
        assert_eq!(escape_str("\u{ad}\u{3164}"), "\\xad\\u{3164}");
        assert_eq!(escape_str("日本語 ü ñ"), "日本語 ü ñ");
    }

    /// The block-wise check agrees with the byte rule for every byte value at every position
    /// of a block and of the tail after it.
    #[test]
    fn printable_ascii_as_byte_by_byte() {
        // (length, position of the odd byte): in a block, at its edges, in the tail.
        let places = (1..=40).flat_map(|len| (0..len).map(move |at| (len, at)));
        for (len, at) in places {
            let mut s = vec![b'a'; len];
            for b in 0u8..=0xff {
                s[at] = b;
                let whole = printable_ascii(&s).map(str::as_bytes);
                let want = is_printable_ascii(b).then_some(&s[..]);
                assert_eq!(whole, want, "{len} {at} {b:#x}");
            }
        }
        for s in ["Host", "X-\u{202e}\t", "caf\u{e9}", ""] {
            assert_eq!(escape_str_cow(s), escape_cow(s.as_bytes()), "{s}");
        }
        assert_eq!(printable_ascii(b""), Some(""));
        assert_eq!(printable_ascii(b"GET / HTTP/1.1"), Some("GET / HTTP/1.1"));
        assert_eq!(
            escape_cow(b"text/html; charset=\xff\x01"),
            "text/html; charset=\\xff\\x01"
        );
    }

    #[test]
    fn truncation_marks_the_cut() {
        assert_eq!(escape_truncated(b"abcdef", 3), "abc…");
        assert_eq!(escape_truncated(b"abc", 3), "abc");
    }
}
