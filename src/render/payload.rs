//! `-A` and `-X`, as tcpdump prints them: the packet minus its link-level header, as ASCII
//! (`-A`: printable bytes, tabs and line breaks kept, everything else a dot) or as hex and
//! ASCII (`-X`: `\t0x0010:  7f00 0001 ...  .....|.3`). Only printable ASCII, tabs and line
//! breaks reach the output, so wire bytes cannot drive the terminal.

use std::io::{self, Write};

use super::frame::FrameView;
use crate::decode::Net;

/// What `-A` / `-X` add under each summary line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PayloadDump {
    #[default]
    None,
    /// `-A`.
    Ascii,
    /// `-X`.
    HexAscii,
}

/// Where the network layer starts (tcpdump's "minus its link level header"): the whole
/// frame when no network layer was recognised.
fn network_start(f: &FrameView<'_>) -> usize {
    match &f.decoded.net {
        Some(Net::Ipv4(h)) => h.offset,
        Some(Net::Ipv6(h)) => h.offset,
        Some(Net::Arp { offset, .. }) | Some(Net::Other { offset, .. }) => *offset,
        None => 0,
    }
}

/// Write the dump `how` of frame `f` (nothing for [`PayloadDump::None`]).
pub fn write<W: Write + ?Sized>(w: &mut W, f: &FrameView<'_>, how: PayloadDump) -> io::Result<()> {
    let bytes = f.data.get(network_start(f)..).unwrap_or(f.data);
    match how {
        PayloadDump::None => Ok(()),
        PayloadDump::Ascii => write_ascii(w, bytes),
        PayloadDump::HexAscii => write_hex_ascii(w, bytes),
    }
}

fn shown(b: u8) -> u8 {
    if b.is_ascii_graphic() {
        b
    } else {
        b'.'
    }
}

/// `-A`: printable ASCII, spaces, tabs and line breaks (`\r\n` becomes one line break).
pub fn write_ascii<W: Write + ?Sized>(w: &mut W, bytes: &[u8]) -> io::Result<()> {
    let mut out = Vec::with_capacity(bytes.len() + 1);
    let mut it = bytes.iter().peekable();
    while let Some(&b) = it.next() {
        match b {
            b'\r' if it.peek() == Some(&&b'\n') => {}
            b'\n' | b'\t' | b' ' => out.push(b),
            _ => out.push(shown(b)),
        }
    }
    out.push(b'\n');
    w.write_all(&out)
}

/// `-X`: 16 bytes a line, in 2-byte groups, then the same bytes as ASCII.
pub fn write_hex_ascii<W: Write + ?Sized>(w: &mut W, bytes: &[u8]) -> io::Result<()> {
    for (i, chunk) in bytes.chunks(16).enumerate() {
        let mut hex = String::with_capacity(40);
        for (j, b) in chunk.iter().enumerate() {
            if j > 0 && j % 2 == 0 {
                hex.push(' ');
            }
            hex.push_str(&format!("{b:02x}"));
        }
        let ascii: String = chunk.iter().map(|b| char::from(shown(*b))).collect();
        writeln!(w, "\t0x{:04x}:  {hex:<39}  {ascii}", i * 16)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_ascii_lines_like_tcpdump() {
        let mut out = Vec::new();
        let bytes = b"E\x00\x00\xc5 GET / HTTP/1.1\r\n\x1b[31m";
        write_hex_ascii(&mut out, bytes).expect("write");
        let s = String::from_utf8(out).expect("ascii");
        assert_eq!(
            s,
            "\t0x0000:  4500 00c5 2047 4554 202f 2048 5454 502f  E....GET./.HTTP/\n\
             \t0x0010:  312e 310d 0a1b 5b33 316d                 1.1...[31m\n"
        );
    }

    #[test]
    fn ascii_keeps_lines_and_hides_control_bytes() {
        let mut out = Vec::new();
        write_ascii(
            &mut out,
            b"GET / HTTP/1.1\r\nHost: x\r\n\x1b]0;owned\x07\t\xff\r\n\r\n",
        )
        .expect("write");
        assert_eq!(
            String::from_utf8(out).expect("ascii"),
            "GET / HTTP/1.1\nHost: x\n.]0;owned.\t.\n\n\n"
        );
    }
}
