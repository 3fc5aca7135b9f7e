//! The manual page (roff, via clap_mangen) and shell completions (via clap_complete), both
//! made from the same clap `Command` as `--help`, so they never drift from the options.
//!
//! The binary prints them (`squirrel-sniff man`, `squirrel-sniff completions SHELL`);
//! `scripts/install.sh --completions` installs what it prints.

use std::io::{self, Write};

pub use clap_complete::Shell;

/// Sections added after clap_mangen's own (NAME … EXIT STATUS from the help text).
/// Plain ASCII roff: no wire data ever reaches this text.
const EXTRA_SECTIONS: &str = r#".SH SECURITY
Live capture needs root or the capabilities CAP_NET_RAW and CAP_NET_ADMIN. squirrel\-sniff
opens the interface first and then gives root up before it decodes the first packet and
before it opens the \fB\-w\fR file (a symbolic link is never followed while root): under \fBsudo\fR it becomes the invoking user (SUDO_UID, SUDO_GID);
\fB\-Z\fR \fIUSER\fR names the user instead, and \fB\-Z root\fR keeps root on purpose.
Capturing live as root without sudo and without \fB\-Z\fR, it stays root and says so on
standard error. A binary given CAP_NET_RAW and CAP_NET_ADMIN with \fBsetcap\fR(8) and run by
an ordinary user clears those capabilities once the capture is open.
.PP
Bytes from the wire never reach the terminal raw: control characters, escape sequences,
C1 controls, bidirectional overrides and invalid UTF\-8 are shown as visible escapes such as
\\x1b or \\u{202e}. Only \fB\-\-follow\-format raw\fR writes the exact bytes of a stream, for
piping into a file or another program.
.SH SEE ALSO
tcpdump(8), tshark(1), pcap\-filter(7)
"#;

/// A roff text line: backslashes and dashes escaped, a leading dot or quote neutralised.
fn roff(s: &str) -> String {
    let t = s.replace('\\', "\\e").replace('-', "\\-");
    if t.starts_with('.') || t.starts_with('\'') {
        format!("\\&{t}")
    } else {
        t
    }
}

/// Write the manual page for `cmd` (section 1), with a FIELDS section listing `fields`
/// (name, type, description) as `--list-fields` prints them.
pub fn write_man<W: Write>(
    cmd: clap::Command,
    fields: &[(&str, &str, &str)],
    w: &mut W,
) -> io::Result<()> {
    let mut page = Vec::new();
    clap_mangen::Man::new(cmd).render(&mut page)?;
    page.extend_from_slice(
        b".SH FIELDS\nThe names \\fB\\-Y\\fR and \\fB\\-T fields \\-e\\fR accept \
(also printed by \\fB\\-\\-list\\-fields\\fR):\n",
    );
    for (name, ty, desc) in fields {
        page.extend_from_slice(
            format!(
                ".TP\n\\fB{}\\fR ({})\n{}\n",
                roff(name),
                roff(ty),
                roff(desc)
            )
            .as_bytes(),
        );
    }
    page.extend_from_slice(EXTRA_SECTIONS.as_bytes());
    w.write_all(&page)?;
    w.flush()
}

/// Write the completion script for `shell`. The script is built in memory first, so a
/// closed pipe is an `io::Error` here rather than a panic inside the generator.
pub fn write_completions<W: Write>(
    cmd: &mut clap::Command,
    shell: Shell,
    w: &mut W,
) -> io::Result<()> {
    let name = cmd
        .get_bin_name()
        .unwrap_or_else(|| cmd.get_name())
        .to_string();
    let mut script = Vec::new();
    clap_complete::generate(shell, cmd, name, &mut script);
    w.write_all(&script)?;
    w.flush()
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    fn text(f: impl FnOnce(&mut Vec<u8>) -> io::Result<()>) -> String {
        let mut out = Vec::new();
        f(&mut out).expect("write");
        String::from_utf8(out).expect("utf-8")
    }

    #[test]
    fn man_page_names_the_tool_and_its_options() {
        let page = text(|w| {
            write_man(
                crate::cli::Cli::command(),
                &[("tcp.stream", "integer", "TCP stream index")],
                w,
            )
        });
        assert!(page.contains(".SH FIELDS"), "fields section");
        assert!(page.contains("\\fBtcp.stream\\fR (integer)\nTCP stream index"));
        assert!(
            page.starts_with(".ie") || page.starts_with(".TH"),
            "{}",
            page.get(..200).unwrap_or(&page)
        );
        assert!(page.contains(".TH squirrel-sniff 1"), "title line");
        assert!(page.contains("squirrel\\-sniff"), "name in NAME/SYNOPSIS");
        // Options appear with roff-escaped dashes.
        for opt in [
            "\\-\\-follow",
            "\\-\\-json",
            "\\-\\-interface",
            "\\-\\-read",
        ] {
            assert!(page.contains(opt), "man page lacks {opt}");
        }
        assert!(page.contains(".SH OPTIONS"));
        assert!(page.contains(".SH SECURITY") && page.contains("SUDO_UID"));
        assert!(page.trim_end().ends_with("pcap\\-filter(7)"));
    }

    #[test]
    fn bash_completion_offers_the_options() {
        let script = text(|w| write_completions(&mut crate::cli::Cli::command(), Shell::Bash, w));
        assert!(
            script.contains("_squirrel__sniff()"),
            "bash function named after the binary"
        );
        assert!(script.contains("--follow"));
        assert!(script.contains("--follow-format"));
        // Value enums complete to their values.
        assert!(
            script.contains("ascii hex raw http"),
            "follow formats listed"
        );
        assert!(
            script.contains("complete -F _squirrel__sniff") && script.contains(" squirrel-sniff\n")
        );
    }

    #[test]
    fn zsh_and_fish_completions() {
        let zsh = text(|w| write_completions(&mut crate::cli::Cli::command(), Shell::Zsh, w));
        assert!(zsh.starts_with("#compdef squirrel-sniff"));
        assert!(zsh.contains("--follow"));
        let fish = text(|w| write_completions(&mut crate::cli::Cli::command(), Shell::Fish, w));
        assert!(fish.contains("complete -c squirrel-sniff"));
        assert!(fish.contains("-l follow"));
    }

    #[test]
    fn a_closed_writer_is_an_error_not_a_panic() {
        struct Closed;
        impl Write for Closed {
            fn write(&mut self, _: &[u8]) -> io::Result<usize> {
                Err(io::Error::from(io::ErrorKind::BrokenPipe))
            }
            fn flush(&mut self) -> io::Result<()> {
                Ok(())
            }
        }
        let e = write_completions(&mut crate::cli::Cli::command(), Shell::Bash, &mut Closed)
            .expect_err("closed");
        assert_eq!(e.kind(), io::ErrorKind::BrokenPipe);
        let e = write_man(crate::cli::Cli::command(), &[], &mut Closed).expect_err("closed");
        assert_eq!(e.kind(), io::ErrorKind::BrokenPipe);
    }
}
