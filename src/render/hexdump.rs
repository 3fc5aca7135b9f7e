//! `-x`: hex dump of a frame in tshark's layout — `0000  45 00 …   E.…` — with leaked
//! bytes highlighted: in colour when colour is on, else by a marker line of `^^` beneath.

use std::io::{self, Write};
use std::ops::Range;

use super::color::Palette;
use super::escape::is_printable_ascii;

/// Write `data` as hex lines. `highlight` ranges (frame offsets) are marked.
pub fn write_hex<W: Write + ?Sized>(
    w: &mut W,
    data: &[u8],
    highlight: &[Range<usize>],
    pal: Palette,
) -> io::Result<()> {
    let marked = |i: usize| highlight.iter().any(|r| r.contains(&i));
    for (line_no, chunk) in data.chunks(16).enumerate() {
        let base = line_no * 16;
        write!(w, "{base:04x}  ")?;
        let mut any_mark = false;
        for i in 0..16 {
            match chunk.get(i) {
                Some(b) => {
                    let m = marked(base + i);
                    any_mark |= m;
                    if m && pal.on {
                        write!(w, "{}{b:02x}{}", pal.leak(), pal.reset())?;
                    } else {
                        write!(w, "{b:02x}")?;
                    }
                }
                None => w.write_all(b"  ")?,
            }
            if i < 15 {
                w.write_all(b" ")?;
            }
        }
        w.write_all(b"   ")?;
        for (i, b) in chunk.iter().enumerate() {
            let c = if is_printable_ascii(*b) { *b } else { b'.' };
            if marked(base + i) && pal.on {
                write!(w, "{}{}{}", pal.leak(), c as char, pal.reset())?;
            } else {
                w.write_all(&[c])?;
            }
        }
        w.write_all(b"\n")?;
        if any_mark && !pal.on {
            // Marker line: ^^ under each highlighted byte, ^ under its ASCII column.
            let mut hexm = String::new();
            let mut ascm = String::new();
            for i in 0..chunk.len() {
                let m = marked(base + i);
                hexm.push_str(if m { "^^" } else { "  " });
                if i < 15 {
                    hexm.push(' ');
                }
                ascm.push(if m { '^' } else { ' ' });
            }
            let pad = 16usize.saturating_sub(chunk.len()) * 3;
            writeln!(w, "      {hexm}{}   {}", " ".repeat(pad), ascm.trim_end())?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tshark_layout() {
        let mut out = Vec::new();
        write_hex(
            &mut out,
            b"GET / HTTP/1.1\r\nHost: x\r\n",
            &[],
            Palette::new(false),
        )
        .expect("write");
        let s = String::from_utf8(out).expect("utf8");
        let lines: Vec<&str> = s.lines().collect();
        assert_eq!(
            lines[0],
            "0000  47 45 54 20 2f 20 48 54 54 50 2f 31 2e 31 0d 0a   GET / HTTP/1.1.."
        );
        assert_eq!(
            lines[1],
            "0010  48 6f 73 74 3a 20 78 0d 0a                        Host: x.."
        );
    }

    #[test]
    fn marker_line_without_colour() {
        let mut out = Vec::new();
        let marks: [std::ops::Range<usize>; 1] = [std::ops::Range { start: 3, end: 14 }];
        write_hex(&mut out, b"xx fluffy tail", &marks, Palette::new(false)).expect("write");
        let s = String::from_utf8(out).expect("utf8");
        let lines: Vec<&str> = s.lines().collect();
        assert_eq!(lines.len(), 2);
        assert!(
            lines[1].starts_with("               ^^ ^^"),
            "{:?}",
            lines[1]
        );
        assert!(lines[1].ends_with("   ^^^^^^^^^^^"), "{:?}", lines[1]);
    }

    #[test]
    fn control_bytes_never_raw() {
        let mut out = Vec::new();
        write_hex(&mut out, b"\x1b[2J\x07\x9b", &[], Palette::new(false)).expect("write");
        assert!(!out.iter().any(|b| *b == 0x1b || *b == 0x07 || *b == 0x9b));
    }
}
