//! The `squirrel-sniff` binary: parse the command line, run, map errors to exit codes.

use std::io::{IsTerminal, Write};
use std::process::ExitCode;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use clap::Parser;

use squirrel_sniff::capture::live::{list_interfaces, LiveOptions, LiveSource};
use squirrel_sniff::capture::{filter, FileSource};
use squirrel_sniff::cli::{exit, Cli, FollowDirArg, FollowFormatArg};
use squirrel_sniff::flow::{Direction, FollowSelect};
use squirrel_sniff::pipeline::{self, RunError, RunOptions, Source};
use squirrel_sniff::render::color::{self, Palette};
use squirrel_sniff::render::{Mode, Printer};

fn main() -> ExitCode {
    let cli = Cli::parse();
    ExitCode::from(real_main(cli) as u8)
}

fn fail(msg: impl std::fmt::Display, code: i32) -> i32 {
    eprintln!("squirrel-sniff: {msg}");
    code
}

/// Tables and followed streams printed after the packets.
fn end_of_run_output<W: Write>(cli: &Cli, stats: &pipeline::RunStats, w: &mut W) -> std::io::Result<()> {
    use squirrel_sniff::render::{conversations, follow, follow_http};
    if let Some(fc) = &stats.follow {
        match cli.analysis.follow_format {
            FollowFormatArg::Http => follow_http::write_http_follow(w, &stats.follow_http)?,
            FollowFormatArg::Raw => {
                let dir = match cli.analysis.follow_dir {
                    FollowDirArg::ToServer => Direction::ToServer,
                    FollowDirArg::ToClient => Direction::ToClient,
                };
                for s in fc.streams() {
                    follow::write_raw(w, s, dir)?;
                }
            }
            f => {
                let fmt = if f == FollowFormatArg::Hex { follow::FollowFormat::Hex } else { follow::FollowFormat::Ascii };
                for s in fc.streams() {
                    follow::write_follow(w, s, fmt)?;
                }
            }
        }
    }
    if cli.analysis.conversations {
        let rows: Vec<conversations::ConversationRow<'_>> = stats
            .conversations
            .iter()
            .map(|(summary, proto)| conversations::ConversationRow { summary, protocol: proto.label() })
            .collect();
        conversations::write_conversations(w, &rows, stats.first_ts)?;
    }
    w.flush()
}

fn is_broken_pipe(e: &std::io::Error) -> bool {
    e.kind() == std::io::ErrorKind::BrokenPipe
}

fn real_main(cli: Cli) -> i32 {
    if cli.capture.list_interfaces {
        return match list_interfaces() {
            Ok(lines) => {
                let mut out = std::io::stdout().lock();
                for l in lines {
                    if let Err(e) = writeln!(out, "{l}") {
                        return if is_broken_pipe(&e) { exit::OK } else { fail(e, exit::FAILURE) };
                    }
                }
                exit::OK
            }
            Err(e) => fail(&e, e.exit_code()),
        };
    }

    let expr = cli.filter.expression.join(" ");
    let filter_expr = filter::combine(&cli.filter.port, &expr);

    let stop = Arc::new(AtomicBool::new(false));
    for sig in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        if let Err(e) = signal_hook::flag::register(sig, Arc::clone(&stop)) {
            return fail(format!("cannot install signal handler: {e}"), exit::FAILURE);
        }
    }

    let mut src = if let Some(path) = &cli.capture.read {
        if let Some(expr) = &filter_expr {
            if let Err(e) = filter::OfflineFilter::check(expr) {
                return fail(&e, e.exit_code());
            }
        }
        match FileSource::open(path) {
            Ok(f) => Source::File(Box::new(f)),
            Err(e) => return fail(&e, e.exit_code()),
        }
    } else if let Some(iface) = &cli.capture.interface {
        let opts = LiveOptions {
            interface: iface.clone(),
            snaplen: cli.capture.snaplen.max(1),
            buffer_bytes: cli.capture.buffer_kib.max(1).saturating_mul(1024),
            promiscuous: !cli.capture.no_promisc,
            filter: filter_expr.clone(),
        };
        match LiveSource::open(&opts) {
            Ok(l) => {
                eprintln!(
                    "squirrel-sniff: listening on {}, link-type {} ({}), snapshot length {} bytes",
                    l.name(),
                    squirrel_sniff::capture::linktype::short_name(l.link()),
                    squirrel_sniff::capture::linktype::name(l.link()),
                    opts.snaplen
                );
                Source::Live(Box::new(l))
            }
            Err(e) => return fail(&e, e.exit_code()),
        }
    } else {
        return fail("nothing to do: give -i IFACE to capture live or -r FILE to replay (see --help)", exit::USAGE);
    };

    let stdout = std::io::stdout();
    let is_tty = stdout.is_terminal();
    let pal = Palette::new(color::enabled(cli.output.color, is_tty));
    let follow_sel = match cli.analysis.follow.as_deref() {
        None => None,
        Some("all") => Some(FollowSelect::All),
        Some(n) => match n.parse() {
            Ok(id) => Some(FollowSelect::Stream(id)),
            Err(_) => return fail(format!("--follow takes a stream index or `all`, not `{n}`"), exit::USAGE),
        },
    };
    if cli.analysis.follow_format == FollowFormatArg::Raw && matches!(follow_sel, Some(FollowSelect::All)) {
        return fail("--follow-format raw writes one direction of one stream: give a stream index", exit::USAGE);
    }
    let mode = if cli.output.quiet || follow_sel.is_some() || (cli.capture.write.is_some() && !cli.capture.print) {
        Mode::Quiet
    } else if cli.output.json {
        Mode::Json
    } else if cli.output.verbose {
        Mode::Tree
    } else {
        Mode::Lines
    };
    let out = std::io::BufWriter::with_capacity(64 << 10, stdout.lock());
    let mut printer = Printer::new(out, mode, cli.output.hex, pal);

    let opts = RunOptions {
        count: cli.capture.count,
        file_filter: if matches!(src, Source::File(_)) { filter_expr.clone() } else { None },
        write: cli.capture.write.clone(),
        packet_buffered: cli.capture.packet_buffered,
        keep_conversations: cli.analysis.conversations,
        follow: follow_sel.map(|s| (s, cli.analysis.follow_limit)),
        follow_http: cli.analysis.follow_format == FollowFormatArg::Http,
        ..RunOptions::default()
    };

    let stats = match pipeline::run(&mut src, &opts, &mut printer, &stop) {
        Ok(s) => s,
        Err(RunError::Output(e)) if is_broken_pipe(&e) => return exit::OK,
        Err(RunError::Output(e)) => return fail(format!("output: {e}"), exit::FAILURE),
        Err(RunError::Capture(e)) => return fail(&e, e.exit_code()),
    };

    if let Err(e) = end_of_run_output(&cli, &stats, printer.writer()) {
        return if is_broken_pipe(&e) { exit::OK } else { fail(format!("output: {e}"), exit::FAILURE) };
    }

    if let Source::Live(_) = src {
        eprintln!("{} packets captured", stats.frames);
        if let Some(l) = stats.live {
            eprintln!("{} packets received by filter", l.received);
            eprintln!("{} packets dropped by kernel", l.dropped);
            if l.if_dropped > 0 {
                eprintln!("{} packets dropped by interface", l.if_dropped);
            }
        }
    }
    if stats.write_skipped_other_link > 0 {
        eprintln!(
            "squirrel-sniff: {} packets of another link type than the first were not written to the pcap file",
            stats.write_skipped_other_link
        );
    }
    match stats.input_error {
        Some(e) => {
            let code = e.exit_code();
            fail(&e, code)
        }
        None => exit::OK,
    }
}
