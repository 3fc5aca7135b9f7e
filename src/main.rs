//! The `squirrel-sniff` binary: parse the command line, run, map errors to exit codes.

use std::io::{IsTerminal, Write};
use std::process::ExitCode;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use clap::Parser;

use squirrel_sniff::capture::live::{list_interfaces, list_link_types, LiveOptions, LiveSource};
use squirrel_sniff::capture::{filter, privdrop, FileSource, MergedFiles};
use squirrel_sniff::cli::{
    exit, Cli, Command, CompareArgs, DecryptArgs, FindingsArgs, FollowDirArg, FollowFormatArg,
    InfoArgs,
};
use squirrel_sniff::dissect::tls::decrypt::{DecryptConfig, KeyStore, RsaKey, RsaKeyError};
use squirrel_sniff::dissect::DissectConfig;
use squirrel_sniff::event::Sink;
use squirrel_sniff::findings::engine::FindingsConfig;
use squirrel_sniff::findings::{load_ca_file, FernetKey, SecretSet};
use squirrel_sniff::flow::{Direction, FlowConfig, FollowSelect};
use squirrel_sniff::pipeline::{self, FollowOutput, RunError, RunOptions, RunStats, Source};
use squirrel_sniff::render::color::{self, Palette};
use squirrel_sniff::render::export_objects::{self, Exporting, ObjectExport};
use squirrel_sniff::render::follow::FollowFormat;
use squirrel_sniff::render::output::Output;
#[cfg(feature = "parquet")]
use squirrel_sniff::render::parquet::ParquetOutput;
use squirrel_sniff::render::payload::PayloadDump;
use squirrel_sniff::render::route::{RecordWriter, Route};
use squirrel_sniff::render::{Mode, Printer};

/// The local time zone's offset, read at start-up.
static LOCAL_OFFSET: std::sync::OnceLock<time::UtcOffset> = std::sync::OnceLock::new();

/// Into a pipe or file, a live capture's output is flushed at least this often.
const FLUSH_PERIOD: std::time::Duration = std::time::Duration::from_millis(250);

fn main() -> ExitCode {
    // The local time zone is read while the process has one thread (`-t a|ad|adoy`).
    let local = time::UtcOffset::current_local_offset().unwrap_or(time::UtcOffset::UTC);
    let _ = LOCAL_OFFSET.set(local);
    let mut cli = Cli::parse();
    // `-T json` is --json.
    if cli.output.output_format.as_deref() == Some("json") {
        cli.output.json = true;
    }
    if let Err(e) = cli.analysis.parse_z() {
        return ExitCode::from(fail(e, exit::USAGE) as u8);
    }
    let cli = cli;
    let code = match &cli.command {
        Some(Command::Compare(args)) => compare(args),
        Some(Command::Info(args)) => info(args),
        Some(Command::Man) => {
            use clap::CommandFactory;
            let mut out = std::io::stdout().lock();
            let fields = squirrel_sniff::display::columns::field_list();
            let rows: Vec<(&str, &str, &str)> = fields
                .iter()
                .map(|(n, t, d)| (*n, *t, d.as_str()))
                .collect();
            match squirrel_sniff::render::manpage::write_man(Cli::command(), &rows, &mut out) {
                Ok(()) => exit::OK,
                Err(e) => output_failed(e),
            }
        }
        Some(Command::Completions { shell }) => {
            use clap::CommandFactory;
            let mut out = std::io::stdout().lock();
            match squirrel_sniff::render::manpage::write_completions(
                &mut Cli::command(),
                *shell,
                &mut out,
            ) {
                Ok(()) => exit::OK,
                Err(e) => output_failed(e),
            }
        }
        None => capture_main(&cli),
    };
    ExitCode::from(code as u8)
}

/// One line on stderr. Messages name files and interfaces, which can hold any byte: the
/// line is escaped like wire data so no name can drive the terminal.
fn note(msg: impl std::fmt::Display) {
    eprintln!(
        "squirrel-sniff: {}",
        squirrel_sniff::render::escape::escape_str(&msg.to_string())
    );
}

fn fail(msg: impl std::fmt::Display, code: i32) -> i32 {
    note(msg);
    code
}

fn is_broken_pipe(e: &std::io::Error) -> bool {
    e.kind() == std::io::ErrorKind::BrokenPipe
}

fn output_failed(e: std::io::Error) -> i32 {
    if is_broken_pipe(&e) {
        exit::OK
    } else {
        fail(format!("output: {e}"), exit::FAILURE)
    }
}

/// Secrets, Fernet key and trusted CAs from the command line.
fn findings_config(a: &FindingsArgs) -> Result<FindingsConfig, i32> {
    let secrets = SecretSet::from_args(&a.secret, a.secrets_file.as_deref()).map_err(|e| {
        let code = match e {
            squirrel_sniff::findings::SecretError::File { .. } => exit::INPUT,
            _ => exit::USAGE,
        };
        fail(e, code)
    })?;
    let fernet_key = match &a.fernet_key {
        Some(k) => Some(
            FernetKey::from_base64(k)
                .map_err(|e| fail(format!("--fernet-key: {e}"), exit::USAGE))?,
        ),
        None => None,
    };
    let mut trusted_cas = match &a.ca_file {
        Some(p) => load_ca_file(p).map_err(|e| {
            // Name the path once: most of these errors already carry it.
            let msg = e.to_string();
            if msg.contains(&p.display().to_string()) {
                fail(format!("--ca-file: {msg}"), exit::INPUT)
            } else {
                fail(format!("--ca-file {}: {msg}", p.display()), exit::INPUT)
            }
        })?,
        None => Vec::new(),
    };
    let ca_file_cas = trusted_cas.len();
    let system = squirrel_sniff::findings::system_trust_anchors();
    let system_cas = system.len();
    trusted_cas.extend(system);
    Ok(FindingsConfig {
        secrets,
        fernet_key,
        trusted_cas,
        ca_file_cas,
        system_cas,
        mask: a.mask,
    })
}

/// Key logs and RSA keys from the command line. An unreadable file is exit 3; a file that
/// is not a key log, or malformed lines, are one line each on stderr and the rest is used.
fn decrypt_config(a: &DecryptArgs) -> Result<DecryptConfig, i32> {
    let files = a.keylog_files().map_err(|e| fail(e, exit::USAGE))?;
    let keys = KeyStore::new();
    for f in &files {
        let report = keys.load_file(f).map_err(|e| fail(&e, exit::INPUT))?;
        for line in report.problems(&f.display().to_string()) {
            note(line);
        }
    }
    let mut rsa_keys = Vec::new();
    for f in &a.rsa_key {
        match RsaKey::load(f) {
            Ok(k) => rsa_keys.push(k),
            Err(e @ RsaKeyError::Unreadable(..)) => return Err(fail(&e, exit::INPUT)),
            Err(e) => note(format!("{e}; ignored")),
        }
    }
    Ok(DecryptConfig {
        keys: std::sync::Arc::new(keys),
        expected: !files.is_empty() || !a.rsa_key.is_empty(),
        rsa_keys,
        sessions: Default::default(),
        live: false,
    })
}

fn compare(args: &CompareArgs) -> i32 {
    let fc = match findings_config(&args.findings) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let dc = match decrypt_config(&args.decrypt) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let decode_as = match args.decode_as.parse() {
        Ok(d) => d,
        Err(e) => return fail(e, exit::USAGE),
    };
    let stop = AtomicBool::new(false);
    let mut reports = Vec::new();
    // A truncated or damaged input is compared as far as it was read, and then exits with
    // the same code as `-r` and `info` (4).
    let mut input_code = None;
    for path in &args.files {
        let mut src = match FileSource::open(path) {
            Ok(f) => Source::File(Box::new(f)),
            Err(e) => return fail(&e, e.exit_code()),
        };
        let opts = RunOptions {
            findings: fc.clone(),
            html_evidence: args.findings.html.is_some(),
            dissect: DissectConfig {
                decrypt: dc.clone(),
                decode_as: decode_as.clone(),
                ..DissectConfig::default()
            },
            ..RunOptions::default()
        };
        let mut printer = Printer::new(std::io::sink(), Mode::Quiet, false, Palette::new(false));
        match pipeline::run(&mut src, &opts, &mut printer, &stop) {
            Ok(stats) => {
                if let Some(e) = &stats.input_error {
                    note(format!("{e} (compared what was read)"));
                    input_code.get_or_insert(e.exit_code());
                }
                reports.push((stats.report, stats.evidence.unwrap_or_default()));
            }
            Err(RunError::Capture(e)) => return fail(&e, e.exit_code()),
            Err(RunError::Output(e)) => return output_failed(e),
            Err(RunError::PrivDrop(e)) => return fail(&e, e.exit_code()),
            Err(e @ RunError::Worker) => return fail(&e, exit::FAILURE),
        }
    }
    if let Some(path) = &args.findings.html {
        let pages: Vec<_> = reports.iter().map(|(r, e)| (r, e)).collect();
        if let Err(code) = write_html(path, &pages) {
            return code;
        }
    }
    let (reports, _): (Vec<_>, Vec<_>) = reports.into_iter().unzip();
    let stdout = std::io::stdout();
    let pal = Palette::new(color::enabled(args.color, stdout.is_terminal()));
    let mut out = std::io::BufWriter::new(stdout.lock());
    let r = if args.json {
        serde_json::to_writer(
            &mut out,
            &squirrel_sniff::render::report::compare_json(&reports),
        )
        .map_err(std::io::Error::from)
        .and_then(|_| writeln!(out))
    } else {
        squirrel_sniff::render::report::write_compare(&mut out, &reports, pal)
    };
    if let Err(e) = r.and_then(|_| out.flush()) {
        return output_failed(e);
    }
    if let Some(code) = input_code {
        return code;
    }
    if args.findings.fail_on_leak && reports.iter().any(|r| r.leaked()) {
        return exit::LEAK;
    }
    exit::OK
}

/// `--html FILE`: the page for these captures.
fn write_html(
    path: &std::path::Path,
    pages: &[(
        &squirrel_sniff::findings::engine::Report,
        &squirrel_sniff::render::html::Evidence,
    )],
) -> Result<(), i32> {
    let written = std::fs::File::create(path).and_then(|f| {
        let mut w = std::io::BufWriter::new(f);
        squirrel_sniff::render::html::write_page(&mut w, pages)?;
        w.flush()
    });
    written.map_err(|e| fail(format!("--html {}: {e}", path.display()), exit::FAILURE))
}

fn info(args: &InfoArgs) -> i32 {
    use squirrel_sniff::capture::info::file_info;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut code = exit::OK;
    for (i, p) in args.files.iter().enumerate() {
        match file_info(p) {
            Ok(ci) => {
                let r = if args.json {
                    serde_json::to_writer(&mut out, &squirrel_sniff::render::info::json(&ci))
                        .map_err(std::io::Error::from)
                        .and_then(|_| writeln!(out))
                } else {
                    (if i > 0 { writeln!(out) } else { Ok(()) })
                        .and_then(|_| squirrel_sniff::render::info::write_text(&mut out, &ci))
                };
                if let Err(e) = r {
                    return output_failed(e);
                }
                if let Some(e) = &ci.error {
                    let _ = out.flush();
                    code = fail(e, e.exit_code());
                }
            }
            Err(e) => {
                let _ = out.flush();
                code = fail(&e, e.exit_code());
            }
        }
    }
    if let Err(e) = out.flush() {
        return output_failed(e);
    }
    code
}

/// `-D`, `-L`: the lines on stdout (exit 0), or the error.
fn print_listing(lines: Result<Vec<String>, squirrel_sniff::capture::CaptureError>) -> i32 {
    match lines {
        Ok(lines) => {
            let mut out = std::io::stdout().lock();
            for l in lines {
                if let Err(e) = writeln!(out, "{l}") {
                    return output_failed(e);
                }
            }
            exit::OK
        }
        Err(e) => fail(&e, e.exit_code()),
    }
}

/// A first pass over a file that prints nothing (`-2`'s, and the one that finds where a
/// straddling secret starts): no `-w` file, follow, conversations, privilege drop or output
/// thread (nothing is printed: no output stage to move).
fn quiet_pass(src: &mut Source, opts: &RunOptions) -> Result<RunStats, RunError> {
    let first = RunOptions {
        write: None,
        follow: None,
        keep_conversations: false,
        privdrop: None,
        output_thread: false,
        ..opts.clone()
    };
    let mut quiet = Printer::new(std::io::sink(), Mode::Quiet, false, Palette::new(false));
    pipeline::run(src, &first, &mut quiet, &AtomicBool::new(false))
}

fn capture_main(cli: &Cli) -> i32 {
    if cli.capture.list_interfaces {
        return print_listing(list_interfaces());
    }

    if cli.capture.list_link_types {
        let Some(iface) = &cli.capture.interface else {
            return fail(
                "-L lists an interface's link types: give -i IFACE",
                exit::USAGE,
            );
        };
        let lines = squirrel_sniff::capture::live::interface_by_number(iface)
            .and_then(|name| list_link_types(&name));
        return print_listing(lines);
    }
    if cli.output.list_fields {
        let mut out = std::io::stdout().lock();
        return match squirrel_sniff::display::columns::write_field_list(&mut out) {
            Ok(()) => exit::OK,
            Err(e) => output_failed(e),
        };
    }
    if !cli.analysis.z.is_empty() && (cli.output.json || cli.output.parquet.is_some()) {
        return fail(
            "-z prints tshark's text tables: not with --json, -T json or --parquet",
            exit::USAGE,
        );
    }
    let export_dir = match cli
        .analysis
        .export_objects
        .as_deref()
        .map(export_objects::parse_arg)
    {
        Some(Err(e)) => return fail(e, exit::USAGE),
        Some(Ok(_)) if cli.findings.mask => {
            return fail(
                "--export-objects writes the bodies as they were sent: not with --mask",
                exit::USAGE,
            )
        }
        Some(Ok(dir)) => Some(dir),
        None => None,
    };
    if cli.output.ecs && !cli.output.json {
        return fail(
            "--ecs maps the --json records: give --json (or -T json)",
            exit::USAGE,
        );
    }
    let fields_output = cli.output.output_format.as_deref() == Some("fields");
    let columns = if fields_output {
        match squirrel_sniff::display::columns::Columns::new(
            &cli.output.fields,
            &cli.output.field_options,
        ) {
            Ok(c) => Some(c),
            Err(e) => return fail(e, exit::USAGE),
        }
    } else if !cli.output.fields.is_empty() || !cli.output.field_options.is_empty() {
        return fail("-e and -E need -T fields", exit::USAGE);
    } else {
        None
    };

    // `-r a.pcap b.pcap` (what a shell glob gives): files right after -r's are inputs too,
    // and the capture filter is what follows them.
    let mut read_args = cli.capture.read.clone();
    let mut expression = cli.filter.expression.as_slice();
    if !read_args.is_empty() {
        while let Some((word, rest)) = expression.split_first() {
            if !std::path::Path::new(word).is_file() {
                break;
            }
            read_args.push(word.into());
            expression = rest;
        }
    }
    let expr = expression.join(" ");
    let capture_opts = match capture_options(cli, &expr, !read_args.is_empty()) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let filter_expr = filter::combine(&cli.filter.port, &capture_opts.filter);
    let display_filter = match &cli.filter.display_filter {
        Some(f) => match squirrel_sniff::display::compile(f) {
            Ok(f) => Some(f),
            Err(e) => return fail(e, exit::USAGE),
        },
        None => None,
    };
    let findings = match findings_config(&cli.findings) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let decrypt = match decrypt_config(&cli.decrypt) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let decode_as = match cli.decode_as.parse() {
        Ok(d) => d,
        Err(e) => return fail(e, exit::USAGE),
    };
    let follow_sel = match cli.analysis.follow.as_deref() {
        None => None,
        Some("all") => Some(FollowSelect::All),
        Some(n) => match n.strip_prefix("udp:").map_or_else(
            || n.parse().map(FollowSelect::Stream),
            |u| u.parse().map(FollowSelect::Udp),
        ) {
            Ok(sel) => Some(sel),
            Err(_) => {
                return fail(
                    format!(
                        "--follow takes a stream index, `udp:` and a UDP session index, or \
                         `all`, not `{}`",
                        squirrel_sniff::present::escape::escape_str(n)
                    ),
                    exit::USAGE,
                )
            }
        },
    };
    if cli.analysis.follow_format == FollowFormatArg::Http
        && matches!(follow_sel, Some(FollowSelect::Udp(_)))
    {
        return fail(
            "--follow-format http shows the HTTP messages of TCP streams, not of a UDP session",
            exit::USAGE,
        );
    }
    if cli.analysis.follow_format == FollowFormatArg::Raw
        && matches!(follow_sel, Some(FollowSelect::All))
    {
        return fail(
            "--follow-format raw writes one direction of one stream: give a stream index",
            exit::USAGE,
        );
    }

    let drop_plan = match privdrop::plan(&privdrop::DropTarget::from_flag(
        cli.capture.user.as_deref(),
    )) {
        Ok(p) => p,
        Err(e) => return fail(&e, e.exit_code()),
    };

    // The first Ctrl-C/SIGTERM stops the run (summary, statistics, complete -w); a second
    // one exits at once (130, the shell's code for an interrupted program).
    let stop = Arc::new(AtomicBool::new(false));
    for sig in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        let r = signal_hook::flag::register_conditional_shutdown(sig, 130, Arc::clone(&stop))
            .and_then(|_| signal_hook::flag::register(sig, Arc::clone(&stop)));
        if let Err(e) = r {
            return fail(format!("cannot install signal handler: {e}"), exit::FAILURE);
        }
    }

    // The files of -r: each argument expanded (a directory, a glob), in the order given.
    let inputs = match squirrel_sniff::capture::merge::expand_all(&read_args) {
        Ok(p) => p,
        Err(e) => return fail(&e, e.exit_code()),
    };
    if inputs.len() > 1 && inputs.iter().any(|p| p == std::path::Path::new("-")) {
        return fail(
            "-r -: standard input cannot be read with other files",
            exit::USAGE,
        );
    }
    // One run over all files (merged by timestamp), or with --each one run per file.
    let units: Vec<&[std::path::PathBuf]> = if cli.capture.each {
        inputs.chunks(1).collect()
    } else {
        vec![inputs.as_slice()]
    };
    let open_source = |unit: &[std::path::PathBuf]| -> Result<Source, i32> {
        if !unit.is_empty() {
            if let Some(expr) = &filter_expr {
                filter::OfflineFilter::check(expr).map_err(|e| fail(&e, e.exit_code()))?;
            }
            match unit {
                [one] => FileSource::open(one).map(|f| Source::File(Box::new(f))),
                many => MergedFiles::open(many).map(|f| Source::Files(Box::new(f))),
            }
            .map_err(|e| fail(&e, e.exit_code()))
        } else if let Some(iface) = &cli.capture.interface {
            let opts = LiveOptions {
                interface: match squirrel_sniff::capture::live::interface_by_number(iface) {
                    Ok(name) => name,
                    Err(e) => return Err(fail(&e, e.exit_code())),
                },
                snaplen: cli.capture.snaplen.max(1),
                buffer_bytes: cli.capture.buffer_kib.max(1).saturating_mul(1024),
                promiscuous: !cli.capture.no_promisc,
                filter: filter_expr.clone(),
                link_type: cli.capture.link_type.clone(),
            };
            let l = LiveSource::open(&opts).map_err(|e| fail(&e, e.exit_code()))?;
            note(format!(
                "listening on {}, link-type {} ({}), snapshot length {} bytes",
                l.name(),
                squirrel_sniff::capture::linktype::short_name(l.link()),
                squirrel_sniff::capture::linktype::name(l.link()),
                opts.snaplen
            ));
            Ok(Source::Live(Box::new(l)))
        } else {
            Err(fail(
                "nothing to do: give -i IFACE to capture live or -r FILE to replay (see --help)",
                exit::USAGE,
            ))
        }
    };
    let run_unit = |unit: &[std::path::PathBuf]| -> i32 {
        let mut src = match open_source(unit) {
            Ok(s) => s,
            Err(code) => return code,
        };
        if let (Some(n), Source::Live(_)) = (drop_plan.notice(), &src) {
            eprintln!("squirrel-sniff: {n}");
        }

        let stdout = std::io::stdout();
        let pal = Palette::new(color::enabled(cli.output.color, stdout.is_terminal()));
        let mode = frame_mode(cli, columns.is_some(), follow_sel.is_some());
        let is_file = !matches!(src, Source::Live(_)) && unit != [std::path::PathBuf::from("-")];
        let live = matches!(src, Source::Live(_));
        let mut opts = RunOptions {
            count: capture_opts.count,
            file_filter: if !matches!(src, Source::Live(_)) {
                filter_expr.clone()
            } else {
                None
            },
            write: cli.capture.write.clone(),
            save: capture_opts.save.clone(),
            duration: capture_opts.duration,
            packet_buffered: cli.capture.packet_buffered,
            keep_conversations: cli.analysis.conversations,
            memory_budget: cli.bounds.max_total_buffer.max(1),
            follow_output: match (follow_sel, cli.analysis.follow_format) {
                (None, _) | (_, FollowFormatArg::Http) => None,
                // `-z follow,http` is written at the end, with the stream's HTTP messages;
                // `-z follow,http2` with its HTTP/2 frames.
                _ if cli.analysis.follow_as_http || cli.analysis.follow_as_http2.is_some() => None,
                _ if cli.output.json => Some(FollowOutput::Json),
                (_, FollowFormatArg::Raw) => {
                    Some(FollowOutput::Raw(match cli.analysis.follow_dir {
                        FollowDirArg::ToServer => Direction::ToServer,
                        FollowDirArg::ToClient => Direction::ToClient,
                    }))
                }
                (_, FollowFormatArg::Hex) => Some(FollowOutput::Text(FollowFormat::Hex)),
                _ => Some(FollowOutput::Text(FollowFormat::Ascii)),
            },
            follow: follow_sel.map(|s| (s, cli.analysis.follow_limit)),
            follow_http: cli.analysis.follow_format == FollowFormatArg::Http
                || cli.analysis.follow_as_http,
            follow_http2: cli.analysis.follow_as_http2.map(|(id, _)| id),
            findings: findings.clone(),
            display_filter: display_filter.clone(),
            flow: FlowConfig {
                max_flows: cli.bounds.max_flows.max(1),
                max_buffered_per_flow: cli.bounds.max_flow_buffer,
                max_buffered_total: cli.bounds.max_total_buffer.max(1),
                ..FlowConfig::default()
            },
            dissect: DissectConfig {
                max_http_body: cli.bounds.max_http_body,
                decrypt: DecryptConfig {
                    // The key log may grow while packets come in.
                    live: !is_file,
                    ..decrypt.clone()
                },
                decode_as: decode_as.clone(),
                // The raw heads are kept only for the outputs that show them: `-z follow,http`
                // and the header-line fields.
                keep_raw_heads: cli.analysis.follow_as_http
                    || cli
                        .output
                        .fields
                        .iter()
                        .map(String::as_str)
                        .chain(cli.filter.display_filter.as_deref())
                        .any(|t| {
                            t.contains("http.request.line") || t.contains("http.response.line")
                        }),
                keep_http2_frames: cli.analysis.follow_as_http2.is_some(),
                ..DissectConfig::default()
            },
            progress: is_file && (cli.output.progress || !stdout.is_terminal()),
            periodic_stats: cli.output.quiet,
            hierarchy: cli.analysis.hierarchy,
            zstats: cli.analysis.zstats.clone(),
            html_evidence: cli.findings.html.is_some(),
            privdrop: Some(drop_plan.clone()),
            // A live capture's `-w` file is written by the capture thread, whatever decodes:
            // it may stay with the workers.
            threads: if (is_file || live)
                && summary_only(cli, columns.is_some(), follow_sel.is_some(), live)
            {
                cli.bounds.threads.map_or_else(default_threads, usize::from)
            } else {
                1
            },
            // Printed frames with `-j N` (N > 1) given: they are written on a second thread
            // while the analysis goes on (the same events in the same order: the same output).
            output_thread: is_file && output_thread(cli, columns.is_some(), follow_sel.is_some()),
            ..RunOptions::default()
        };

        // -2: a first, quiet pass records where each HTTP/1.x message completed; the printing
        // pass then shows the frames a message points forward to. One thread, so that the
        // streams are numbered the same in both passes.
        let mut later = None;
        if cli.analysis.two_pass {
            if !is_file {
                eprintln!(
                    "squirrel-sniff: -2 reads the file twice: give -r FILE (not a live capture \
                     or standard input)"
                );
                return exit::USAGE;
            }
            // The record takes an eighth of the one memory budget; the passes the rest.
            let share = opts.memory_budget / 8;
            opts.memory_budget -= share;
            opts.flow.max_buffered_total = opts.flow.max_buffered_total.min(opts.memory_budget);
            let record = Arc::new(squirrel_sniff::dissect::http::later::LaterFrames::new(
                share.max(1),
            ));
            opts.threads = 1;
            opts.output_thread = false;
            let mut first = RunOptions {
                zstats: Vec::new(),
                hierarchy: false,
                progress: false,
                ..opts.clone()
            };
            first.dissect.later = Some(Arc::clone(&record));
            // A file the first pass cannot read fails the same way in the second, which
            // reports it.
            let _ = quiet_pass(&mut src, &first);
            record.done_recording();
            opts.dissect.later = Some(Arc::clone(&record));
            later = Some(record);
            src = match open_source(unit) {
                Ok(s) => s,
                Err(code) => return code,
            };
        }

        let mut found_mask_terms = Vec::new();
        // A secret straddling segments (or a secret or, with --mask, a credential split over
        // IP fragments) completes after its first frame was printed: for a file, a first
        // quiet pass finds those frames so the printing pass highlights (masks) every part.
        let highlight_output =
            cli.output.hex || cli.output.verbose || cli.output.ascii || cli.output.hex_ascii;
        if is_file
            && highlight_output
            && (!opts.findings.secrets.is_empty() || opts.findings.mask)
            && mode != Mode::Quiet
            && mode != Mode::Json
        {
            if let Ok(stats) = quiet_pass(&mut src, &opts) {
                opts.highlights = Some(stats.earlier_highlights);
                found_mask_terms = stats.mask_terms;
            }
            src = match open_source(unit) {
                Ok(s) => s,
                Err(code) => return code,
            };
        }

        // Flushing as a person expects: every frame on a terminal or with -l; into a pipe or
        // file at least every 250 ms while the input is live (a capture, or standard input).
        let live_input = !is_file;
        let flush_each_frame = cli.output.line_buffered || std::io::stdout().is_terminal();
        let out = Output::new(Box::new(stdout), 64 << 10)
            .flush_every((live_input && !flush_each_frame).then_some(FLUSH_PERIOD));
        let route = if cli.output.ecs {
            Route::Ecs
        } else {
            Route::Plain
        };
        // --parquet: the records go to their datasets (the printer writes only what ends
        // the run: reports and tables asked for).
        let mut parquet = match parquet_output(cli, unit) {
            Ok(p) => p,
            Err(code) => return code,
        };
        let mode = if parquet.is_some() { Mode::Quiet } else { mode };
        let mut printer = Printer::new(
            RecordWriter::new(out.clone(), route),
            mode,
            cli.output.hex,
            pal,
        );
        printer.set_flush_each_frame(flush_each_frame);
        if let Some(fmt) = cli.output.time_format {
            printer.set_time_format(
                fmt,
                LOCAL_OFFSET.get().copied().unwrap_or(time::UtcOffset::UTC),
            );
        }
        printer.set_findings_placement(cli.output.findings);
        printer.set_payload_dump(if cli.output.hex_ascii {
            PayloadDump::HexAscii
        } else if cli.output.ascii {
            PayloadDump::Ascii
        } else {
            PayloadDump::None
        });
        // --each: one header for all the files' rows, and every record names its capture.
        if let (true, [one]) = (cli.capture.each && inputs.len() > 1, unit) {
            printer.set_capture(Some(one.display().to_string()));
            if let Some(p) = &mut parquet {
                p.set_capture(Some(one.display().to_string()));
            }
        }
        if let Some(c) = &columns {
            if unit.first() == inputs.first() {
                if let Err(e) = c.write_header(printer.writer()) {
                    return output_failed(e);
                }
            }
            printer.set_columns(c.clone());
        }
        let mask: Option<Vec<String>> = opts.findings.mask.then(|| {
            opts.findings
                .secrets
                .secrets()
                .iter()
                .map(|s| squirrel_sniff::render::escape::escape_bytes(s))
                // Values a first pass found: masked in frames printed before they are found
                // again (a cookie in a head whose message completes frames later).
                .chain(std::mem::take(&mut found_mask_terms))
                .collect()
        });
        if let Some(m) = &mask {
            printer.set_mask(m.clone());
        }
        if let Some(p) = &mut parquet {
            p.set_findings_placement(cli.output.findings);
            p.set_raw_output(Box::new(out.clone()));
            if let Some(m) = mask {
                p.set_mask(m);
            }
        }
        let export = match &export_dir {
            Some(d) => match ObjectExport::new(d) {
                Ok(x) => Some(x),
                Err(e) => {
                    return fail(
                        format!("--export-objects {}: {e}", d.display()),
                        exit::FAILURE,
                    )
                }
            },
            None => None,
        };
        let (run, exported) = {
            let sink: &mut dyn Sink = match &mut parquet {
                Some(p) => p,
                None => &mut printer,
            };
            match export {
                Some(export) => {
                    let mut sink = Exporting {
                        inner: sink,
                        export,
                    };
                    let run = pipeline::run(&mut src, &opts, &mut sink, &stop);
                    (run, Some(sink.export))
                }
                None => (pipeline::run(&mut src, &opts, sink, &stop), None),
            }
        };
        if let Some(n) = later.as_ref().map(|l| l.dropped()).filter(|&n| n > 0) {
            note(format!(
                "-2: {n} HTTP messages were past the memory budget's share of the first pass \
                 (--max-total-buffer); the frames they point forward to are not shown"
            ));
        }
        if let Some(x) = &exported {
            let s = x.stats();
            let incomplete = match s.incomplete {
                0 => String::new(),
                n => {
                    format!(", {n} of them incomplete (bytes not captured or past --max-http-body)")
                }
            };
            note(format!(
                "--export-objects: {} HTTP objects ({} bytes) written to {}{incomplete}",
                s.files,
                s.bytes,
                x.dir().display()
            ));
        }
        let mut stats = match run {
            Ok(s) => s,
            Err(RunError::Output(e)) => return output_failed(e),
            Err(RunError::Capture(e)) => return fail(&e, e.exit_code()),
            Err(RunError::PrivDrop(e)) => return fail(&e, e.exit_code()),
            Err(e @ RunError::Worker) => return fail(&e, exit::FAILURE),
        };
        if let Some(p) = &mut parquet {
            if let Err(code) = finish_parquet(p, cli) {
                return code;
            }
        }

        if let Some(path) = &cli.findings.html {
            let ev = stats.evidence.clone().unwrap_or_default();
            if let Err(code) = write_html(path, &[(&stats.report, &ev)]) {
                return code;
            }
        }
        // A stream index the capture does not have is a usage error, said plainly.
        if let Some(FollowSelect::Stream(id)) = follow_sel {
            let n = stats.flow.streams;
            if u64::from(id) >= n {
                let has = match n {
                    0 => "this capture has no TCP streams".to_string(),
                    n => format!("this capture has TCP streams 0–{}", n - 1),
                };
                return fail(format!("--follow {id}: {has}"), exit::USAGE);
            }
        }
        if let Some(FollowSelect::Udp(id)) = follow_sel {
            if !stats.follow.as_ref().is_some_and(|c| c.udp_seen()) {
                return fail(
                    format!("--follow udp:{id}: this capture has no UDP session {id}"),
                    exit::USAGE,
                );
            }
        }
        // Whatever happened to stdout, the capture statistics still go to stderr.
        let output_error = stats
            .output_error
            .take()
            .or_else(|| {
                let capture = (cli.capture.each && inputs.len() > 1)
                    .then(|| unit.first().map(|p| p.display().to_string()))
                    .flatten();
                let started = printer.records_started();
                let w = printer.writer();
                end_of_run_output(cli, &stats, capture.as_deref(), w, started, pal).err()
            })
            .or_else(|| out.take_error());

        if let Source::Live(_) = src {
            if stats.not_analysed > 0 {
                eprintln!(
                "squirrel-sniff: stopped; {} queued packets were not analysed (they are in the -w file if one was given)",
                stats.not_analysed
            );
            }
            let captured = stats
                .live
                .map(|_| stats.frames + stats.queue_drops + stats.not_analysed)
                .unwrap_or(stats.frames);
            eprintln!("{captured} packets captured");
            if let Some(l) = stats.live {
                eprintln!("{} packets received by filter", l.received);
                eprintln!("{} packets dropped by kernel", l.dropped);
                if l.if_dropped > 0 {
                    eprintln!("{} packets dropped by interface", l.if_dropped);
                }
            }
            if stats.queue_drops > 0 {
                eprintln!(
                "{} packets not decoded: squirrel-sniff fell behind (they are in the -w file if one was given)",
                stats.queue_drops
            );
            }
        }
        if let Some(line) = stats.memory.line() {
            eprintln!("squirrel-sniff: {line}");
        }
        if let Some(n) = stats.ztally.as_ref().map(|z| z.dropped).filter(|n| *n > 0) {
            eprintln!(
                "squirrel-sniff: -z: {n} counts not kept: their rows (conversations, endpoints, io,stat intervals, tree nodes, credentials, expert items) were past the memory budget (--max-total-buffer)"
            );
        }
        for line in stats.ztally.iter().flat_map(|z| z.cut_notes()) {
            eprintln!("squirrel-sniff: {line}");
        }
        if stats.conversations_dropped > 0 {
            eprintln!(
                "squirrel-sniff: --conversations: {} rows not kept (memory budget, --max-total-buffer)",
                stats.conversations_dropped
            );
        }
        if cli.bounds.stats {
            print_stats(&stats);
        }
        if stats.write_skipped_other_link > 0 {
            eprintln!(
            "squirrel-sniff: {} packets of another link type than the first were not written to the pcap file",
            stats.write_skipped_other_link
        );
        }
        if let Some(e) = output_error {
            return output_failed(e);
        }
        for e in &stats.more_input_errors {
            note(e);
        }
        if let Some(e) = stats.input_error {
            let code = e.exit_code();
            return fail(&e, code);
        }
        if cli.findings.fail_on_leak && stats.report.leaked() {
            eprintln!("squirrel-sniff: leak: a secret or credential crossed the wire in clear (--fail-on-leak)");
            return exit::LEAK;
        }
        exit::OK
    };
    let mut code = exit::OK;
    for unit in &units {
        let c = run_unit(unit);
        // The first failure decides the exit code; a leak does not hide a later failure.
        if code == exit::OK || (code == exit::LEAK && c != exit::OK) {
            code = c;
        }
        // A usage error, an output that closed, or Ctrl-C ends every run.
        if c == exit::USAGE || c == 130 || stop.load(std::sync::atomic::Ordering::Relaxed) {
            break;
        }
    }
    code
}

/// What the capture flags of tshark and tcpdump ask for, checked: the capture filter (the
/// trailing expression, `-f` or tcpdump's `-F FILE`), the `-w` output (`-F pcap|pcapng`,
/// `-b`, `-C`/`-G`/`-W`, `-a filesize|files`), the packet count (`-c`, `-a packets`) and
/// `-a duration`.
struct CaptureOptions {
    filter: String,
    save: Option<squirrel_sniff::capture::rotate::SaveSpec>,
    count: Option<u64>,
    duration: Option<std::time::Duration>,
}

fn capture_options(cli: &Cli, expr: &str, reading: bool) -> Result<CaptureOptions, i32> {
    use squirrel_sniff::capture::rotate::{Autostop, Rotation, SaveSpec};
    use squirrel_sniff::capture::writer::FileFormat;
    let usage = |msg: String| fail(msg, exit::USAGE);
    let c = &cli.capture;
    if cli.output.tcpdump_verbose > 0 {
        note("-v: accepted for tcpdump habit; the summary lines stay as they are (-V shows every field)");
    }
    // -F: a format name, or tcpdump's filter file.
    let (format, filter_file) = match c.file_format.as_deref() {
        None => (None, None),
        Some(v) => match FileFormat::from_name(v) {
            Some(f) => (Some(f), None),
            None => {
                let text = std::fs::read_to_string(v).map_err(|e| {
                    fail(
                        format!(
                            "-F {}: neither a -w format (pcap, pcapng) nor a readable filter file: {e}",
                            squirrel_sniff::render::escape::escape_str(v)
                        ),
                        exit::INPUT,
                    )
                })?;
                (None, Some(filter_file_text(&text)))
            }
        },
    };
    let given = [
        (!expr.trim().is_empty()).then(|| expr.to_string()),
        cli.filter.capture_filter.clone(),
        filter_file,
    ];
    if given.iter().flatten().count() > 1 {
        return Err(usage(
            "the capture filter is given twice: give one of -f FILTER, -F FILE or the trailing EXPRESSION".into(),
        ));
    }
    let filter = given.into_iter().flatten().next().unwrap_or_default();

    if c.link_type.is_some() && reading {
        return Err(usage(
            "-y TYPE chooses a live capture's link type: only with -i".into(),
        ));
    }
    let autostop = Autostop::parse(&c.autostop).map_err(usage)?;
    let tcpdump = c.file_size_mb.is_some() || c.rotate_secs.is_some() || c.file_count.is_some();
    let rotation = match (c.ring_buffer.is_empty(), tcpdump) {
        (false, true) => {
            return Err(usage(
                "-b (tshark's ring buffer) and -C/-G/-W (tcpdump's) name files differently: give one of them".into(),
            ))
        }
        (false, false) => Rotation::tshark(&c.ring_buffer).map_err(usage)?,
        (true, true) => {
            Rotation::tcpdump(c.file_size_mb, c.rotate_secs, c.file_count).map_err(usage)?
        }
        (true, false) => Rotation::default(),
    };
    let rotating = rotation != Rotation::default();
    let Some(path) = &c.write else {
        let needs_w = if !c.ring_buffer.is_empty() {
            Some("-b")
        } else if tcpdump {
            Some("-C, -G and -W")
        } else if format.is_some() {
            Some("-F pcap|pcapng")
        } else if autostop.filesize_kb.is_some() {
            Some("-a filesize")
        } else if autostop.files.is_some() {
            Some("-a files")
        } else {
            None
        };
        if let Some(flag) = needs_w {
            return Err(usage(format!(
                "{flag}: only with -w FILE (it is about the saved file)"
            )));
        }
        return Ok(CaptureOptions {
            filter,
            save: None,
            count: min_some(c.count, autostop.packets),
            duration: live_duration(&autostop, reading)?,
        });
    };
    if autostop.files.is_some() && !rotating {
        return Err(usage(
            "-a files: only with -b, -C or -G (files are counted as the output switches)".into(),
        ));
    }
    rotation.check_name(path).map_err(usage)?;
    let save = SaveSpec {
        format: format.unwrap_or_default(),
        rotation,
        stop_bytes: autostop.filesize_kb.map(|k| k.saturating_mul(1000)),
        stop_files: autostop.files,
        offset: LOCAL_OFFSET.get().copied().unwrap_or(time::UtcOffset::UTC),
        ..SaveSpec::plain(path, c.packet_buffered)
    };
    Ok(CaptureOptions {
        filter,
        save: Some(save),
        count: min_some(c.count, autostop.packets),
        duration: live_duration(&autostop, reading)?,
    })
}

/// `-a duration:SEC`: a live capture's; with -r a usage error, as tshark says.
fn live_duration(
    a: &squirrel_sniff::capture::rotate::Autostop,
    reading: bool,
) -> Result<Option<std::time::Duration>, i32> {
    match a.duration_secs {
        Some(_) if reading => Err(fail(
            "-a duration: a capture time limit, but -r replays files (tshark refuses it too; -a packets:N or -c N stop a replay)",
            exit::USAGE,
        )),
        d => Ok(d.map(std::time::Duration::from_secs)),
    }
}

/// The smaller of two optional limits.
fn min_some(a: Option<u64>, b: Option<u64>) -> Option<u64> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.min(y)),
        (x, y) => x.or(y),
    }
}

/// tcpdump's `-F FILE` text as a filter: `#` to the end of a line is a comment.
fn filter_file_text(text: &str) -> String {
    text.lines()
        .map(|l| l.split_once('#').map_or(l, |(code, _)| code).trim())
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// How frames are printed: nothing per frame with `-q`, `-T fields` (the columns are
/// printed instead), `--follow` and `-w` without `-P`.
fn frame_mode(cli: &Cli, columns: bool, follow: bool) -> Mode {
    if cli.output.quiet || columns || follow || (cli.capture.write.is_some() && !cli.capture.print)
    {
        Mode::Quiet
    } else if cli.output.json {
        Mode::Json
    } else if cli.output.verbose {
        Mode::Tree
    } else {
        Mode::Lines
    }
}

/// Whether a run over a file prints its frames on a second thread (`pipeline::offload`): one
/// that prints frames as they are analysed — summary lines (with `-x`, `-A`, `-X`), the `-V`
/// tree, `-T fields`, `--json` records, any of them with `-Y` and the end-of-run tables and
/// report — with `-j N` (N > 1) given. Not by default: on the 2-vCPU test machine it costs
/// more CPU for no wall-time gain (docs/performance.md, "Flows on every core"). Not with
/// `--parquet` (the datasets are written by their own sink), `-w` (the reader writes what it
/// reads) or `--follow` (streams are written to the output outside the events).
fn output_thread(cli: &Cli, columns: bool, follow: bool) -> bool {
    (frame_mode(cli, columns, follow) != Mode::Quiet || columns)
        && !follow
        && cli.output.parquet.is_none()
        && cli.capture.write.is_none()
        && cli.bounds.threads.is_some_and(|n| n > 1)
}

/// `-j` unless given: the number of cores, at most [`MAX_DEFAULT_THREADS`].
fn default_threads() -> usize {
    std::thread::available_parallelism()
        .map_or(1, usize::from)
        .min(MAX_DEFAULT_THREADS)
}

/// Most workers `-j` starts by default: each adds ≈ 4 MiB of peak memory, and on the
/// benchmark capture the largest sessions limit the gain past four (docs/performance.md).
const MAX_DEFAULT_THREADS: usize = 4;

/// Whether the run prints only the `-q` summary line (and exit codes, notes on stderr),
/// with or without the `--conversations` and `--hierarchy` tables: the only output `-j`
/// workers are used for, since their merged report is exact in its counters but not in the
/// order of its lists (see `pipeline::threads`); the two tables are merged into one
/// thread's order (rows renumbered by their first frame, layers ordered by first frame). Key sources given
/// on the command line keep one thread too: a resumed TLS session is decrypted with what
/// an earlier session (maybe on another worker) taught the run. `-w` keeps one thread over
/// files (the reader writes what it reads, in its loop); a `live` capture's `-w` is written
/// by the capture thread before any decoding, so it does not stand in the way there.
fn summary_only(cli: &Cli, columns: bool, follow: bool, live: bool) -> bool {
    cli.output.quiet
        && !columns
        && !follow
        && !cli.output.json
        && !cli.output.ecs
        && cli.output.parquet.is_none()
        && !cli.findings.report
        && cli.findings.html.is_none()
        && !cli.bounds.stats
        && (cli.capture.write.is_none() || live)
        && cli.filter.display_filter.is_none()
        && cli.decrypt.keylog.is_empty()
        && cli.decrypt.rsa_key.is_empty()
        && cli.analysis.z.is_empty()
        && cli.analysis.export_objects.is_none()
}

/// `--parquet DIR`: the output that writes the run's records as Parquet datasets (files
/// named after its input), or `None` without the option.
#[cfg(feature = "parquet")]
fn parquet_output(cli: &Cli, unit: &[std::path::PathBuf]) -> Result<Option<ParquetOutput>, i32> {
    let Some(dir) = &cli.output.parquet else {
        return Ok(None);
    };
    let name = match unit {
        [] => format!(
            "live-{}-{}",
            cli.capture.interface.as_deref().unwrap_or("capture"),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs())
        ),
        [one] => one.display().to_string(),
        [first, ..] => format!("{}-merged-{}", first.display(), unit.len()),
    };
    let mut out = ParquetOutput::new(dir, &name).map_err(|e| fail(e, exit::FAILURE))?;
    out.set_memory_budget(cli.bounds.max_total_buffer);
    Ok(Some(out))
}

#[cfg(not(feature = "parquet"))]
fn parquet_output(cli: &Cli, _: &[std::path::PathBuf]) -> Result<Option<ParquetOutput>, i32> {
    match cli.output.parquet {
        None => Ok(None),
        Some(_) => Err(fail(
            "--parquet: this build has no Parquet support (cargo feature `parquet`)",
            exit::USAGE,
        )),
    }
}

/// Stands for the Parquet output in a build without it (never made).
#[cfg(not(feature = "parquet"))]
enum ParquetOutput {}

#[cfg(not(feature = "parquet"))]
impl ParquetOutput {
    fn set_capture(&mut self, _: Option<String>) {}
    fn set_findings_placement(&mut self, _: squirrel_sniff::render::FindingsPlacement) {}
    fn set_raw_output(&mut self, _: Box<dyn Write>) {}
    fn set_mask(&mut self, _: Vec<String>) {}
}

#[cfg(not(feature = "parquet"))]
impl Sink for ParquetOutput {
    fn event(&mut self, _: squirrel_sniff::event::Event<'_>) -> std::io::Result<()> {
        match *self {}
    }
    fn flush(&mut self) -> std::io::Result<()> {
        match *self {}
    }
}

/// Close the Parquet files and say on stderr how many rows each dataset got.
#[cfg(feature = "parquet")]
fn finish_parquet(p: &mut ParquetOutput, cli: &Cli) -> Result<(), i32> {
    let counts = p.finish().map_err(|e| fail(e, exit::FAILURE))?;
    if let Some(dir) = &cli.output.parquet {
        let rows: Vec<String> = counts
            .iter()
            .map(|(d, n)| format!("{} {n}", d.name()))
            .collect();
        note(format!(
            "parquet: {} rows under {} ({})",
            counts.values().sum::<u64>(),
            dir.display(),
            rows.join(", ")
        ));
    }
    Ok(())
}

#[cfg(not(feature = "parquet"))]
fn finish_parquet(p: &mut ParquetOutput, _: &Cli) -> Result<(), i32> {
    match *p {}
}

/// `--stats`: flow-table bounds and memory, on stderr.
fn print_stats(s: &RunStats) {
    let f = &s.flow;
    eprintln!(
        "frames: {} read, {} analysed, {} displayed",
        s.read, s.frames, s.displayed
    );
    eprintln!("tcp streams: {}", f.streams);
    eprintln!("peak live flows: {}", f.peak_live_flows);
    eprintln!("flows evicted: {}", f.evicted_flows);
    eprintln!(
        "peak buffered out-of-order bytes: {}",
        f.peak_buffered_bytes
    );
    eprintln!("bound hits: {}", f.bound_hits);
    eprintln!(
        "memory budget: {} bytes, peak accounted {} bytes, evictions: {}",
        s.memory.budget,
        s.memory.peak_bytes,
        s.memory.total_evictions()
    );
    eprintln!(
        "retransmissions: {}, out-of-order: {}, holes: {} ({} bytes), overlap conflicts: {}",
        f.retransmissions, f.out_of_order, f.holes, f.hole_bytes, f.overlap_conflicts
    );
    let g = &s.defrag;
    if g.fragments > 0 {
        eprintln!(
            "ip fragments: {}, datagrams reassembled: {}, overlap conflicts: {}, given up: {} \
             (timed out {}, evicted {}, malformed {}, incomplete at the end {})",
            g.fragments,
            g.reassembled,
            g.conflicts,
            g.timed_out + g.evicted + g.malformed + g.incomplete,
            g.timed_out,
            g.evicted,
            g.malformed,
            g.incomplete
        );
    }
    eprintln!("http bytes parsed: {}", s.parse_work.http_bytes);
    eprintln!(
        "http head bytes examined: {}",
        s.parse_work.http_head_examined
    );
    if let Some(kib) = peak_rss_kib() {
        eprintln!("peak RSS: {kib} KiB");
    }
}

/// Peak resident set size of this process (Linux `VmHWM`), read without unsafe code.
fn peak_rss_kib() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = s.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Tables, followed streams and the report, printed after the packets.
/// `capture`: with --each, the file these records are about.
fn end_of_run_output<W: Write>(
    cli: &Cli,
    stats: &RunStats,
    capture: Option<&str>,
    w: &mut W,
    records_started: bool,
    pal: Palette,
) -> std::io::Result<()> {
    use squirrel_sniff::render::{conversations, follow, follow_http, report};
    if cli.output.json {
        return end_of_run_json(cli, stats, capture, w, records_started);
    }
    if let Some(c) = capture {
        if cli.output.quiet || cli.findings.report {
            writeln!(w, "{}:", squirrel_sniff::render::escape::escape_str(c))?;
        }
    }
    if let (Some(fc), Some((id, chunks))) = (&stats.follow, cli.analysis.follow_as_http2) {
        let fmt = if cli.analysis.follow_format == FollowFormatArg::Hex {
            follow::FollowFormat::Hex
        } else {
            follow::FollowFormat::Ascii
        };
        let stream = cli
            .analysis
            .follow
            .as_deref()
            .and_then(|n| n.parse().ok())
            .unwrap_or_default();
        let spec = follow::Http2Follow { stream, id, chunks };
        follow::write_follow_http2(
            w,
            spec,
            fc.stream(stream),
            &stats.follow_http2,
            fmt,
            (cli.analysis.follow_limit, stats.follow_http2_cut),
        )?;
    } else if let Some(fc) = &stats.follow {
        match cli.analysis.follow_format {
            f if cli.analysis.follow_as_http => {
                let fmt = if f == FollowFormatArg::Hex {
                    follow::FollowFormat::Hex
                } else {
                    follow::FollowFormat::Ascii
                };
                for s in fc.streams() {
                    follow::write_follow_http(w, s, &stats.follow_http, fmt)?;
                }
            }
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
                let fmt = if f == FollowFormatArg::Hex {
                    follow::FollowFormat::Hex
                } else {
                    follow::FollowFormat::Ascii
                };
                for s in fc.streams() {
                    follow::write_follow(w, s, fmt)?;
                }
            }
        }
    }
    if let Some(h) = &stats.hierarchy {
        let filter = cli.filter.display_filter.as_deref().unwrap_or("");
        h.write(w, filter)?;
    }
    if cli.output.quiet {
        let r = &stats.report;
        let protos: Vec<String> = r
            .protocols
            .iter()
            .map(|(k, v)| format!("{k} {v}"))
            .collect();
        let sev: Vec<String> = ["high", "medium", "low", "info"]
            .iter()
            .filter_map(|s| r.findings_by_severity.get(*s).map(|n| format!("{s} {n}")))
            .collect();
        writeln!(
            w,
            "{} packets, {} bytes; {} TCP streams{}; {} findings{}",
            stats.frames,
            r.bytes,
            r.tcp_streams,
            if protos.is_empty() {
                String::new()
            } else {
                format!(" ({})", protos.join(", "))
            },
            r.findings.len() as u64 + r.findings_dropped,
            if sev.is_empty() {
                String::new()
            } else {
                format!(" ({})", sev.join(", "))
            }
        )?;
    }
    if cli.analysis.conversations {
        let rows: Vec<conversations::ConversationRow<'_>> = stats
            .conversations
            .iter()
            .map(|(summary, proto)| conversations::ConversationRow {
                summary,
                protocol: proto.map_or("", |p| p.label),
            })
            .collect();
        conversations::write_conversations(w, &rows, stats.first_ts)?;
    }
    if let Some(z) = &stats.ztally {
        z.write(w)?;
    }
    if cli.findings.report {
        report::write_report(w, &stats.report, pal)?;
    }
    w.flush()
}

/// `--json`: the end-of-run outputs as records (docs/json.md), after the frames' records.
fn end_of_run_json<W: Write>(
    cli: &Cli,
    stats: &RunStats,
    capture: Option<&str>,
    w: &mut W,
    records_started: bool,
) -> std::io::Result<()> {
    use squirrel_sniff::render::{records, report};
    let mut out = squirrel_sniff::render::json::EndOfRun::new(
        w,
        records_started,
        stats.first_ts,
        stats.last_ts,
        capture,
    );
    if let Some(fc) = &stats.follow {
        for s in fc.streams() {
            out.record(records::follow(s))?;
        }
    }
    if let Some(h) = &stats.hierarchy {
        out.record(h.json(cli.filter.display_filter.as_deref().unwrap_or("")))?;
    }
    if cli.output.quiet {
        let r = &stats.report;
        out.record(serde_json::json!({
            "type": "summary", "packets": stats.frames, "bytes": r.bytes, "tcp_streams": r.tcp_streams,
            "protocols": r.protocols, "findings": r.findings.len() as u64 + r.findings_dropped,
            "findings_by_severity": r.findings_by_severity,
        }))?;
    }
    if cli.analysis.conversations {
        for (summary, proto) in &stats.conversations {
            out.conversation(&squirrel_sniff::event::SessionClose {
                transport: squirrel_sniff::flow::Transport::Tcp,
                summary: summary.clone(),
                protocol: proto.map(|p| p.label),
                capture_start: stats.first_ts,
            })?;
        }
    }
    if cli.bounds.stats {
        let f = &stats.flow;
        out.record(serde_json::json!({
            "type": "stats", "read": stats.read, "analysed": stats.frames,
            "displayed": stats.displayed, "tcp_streams": f.streams,
            "peak_live_flows": f.peak_live_flows, "flows_evicted": f.evicted_flows,
            "peak_buffered_bytes": f.peak_buffered_bytes, "bound_hits": f.bound_hits,
            "retransmissions": f.retransmissions, "out_of_order": f.out_of_order,
            "holes": f.holes, "hole_bytes": f.hole_bytes,
            "overlap_conflicts": f.overlap_conflicts, "peak_rss_kib": peak_rss_kib(),
            "memory": &stats.memory, "conversations_dropped": stats.conversations_dropped,
        }))?;
    }
    if cli.findings.report {
        let mut v = report::report_json(&stats.report);
        if let Some(m) = v.as_object_mut() {
            m.insert("type".into(), "report".into());
        }
        out.record(v)?;
    }
    w.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Whether `args` (after `-r F`) print their frames on a second thread.
    fn split(args: &[&str]) -> bool {
        let cli = Cli::try_parse_from(["squirrel-sniff", "-r", "f.pcap"].iter().chain(args))
            .expect("arguments parse");
        let columns = cli.output.output_format.as_deref() == Some("fields");
        output_thread(&cli, columns, cli.analysis.follow.is_some())
    }

    #[test]
    fn j_n_prints_every_frame_output_on_a_second_thread() {
        for args in [
            &["-j", "2"][..],
            &["-j", "4", "-V"],
            &["-j", "2", "-x"],
            &["-j", "2", "-V", "-x", "--secret", "hunter2"],
            &["-j", "2", "-X"],
            &["-j", "2", "-T", "fields", "-e", "frame.number"],
            &["-j", "2", "-q", "-T", "fields", "-e", "ip.src"],
            &["-j", "2", "-Y", "http"],
            &["-j", "2", "--report", "--stats"],
            &["-j", "2", "--json"],
            &["-j", "2", "-Y", "dns", "--conversations"],
        ] {
            assert!(split(args), "{args:?} runs on one thread");
        }
        for args in [
            &[][..],
            &["-j", "1"],
            &["-V"],
            &["-j", "1", "-T", "fields", "-e", "frame.number"],
            &["-j", "2", "-q"],
            &["-j", "2", "--follow", "0"],
            &["-j", "2", "-w", "out.pcap"],
            &["-j", "2", "-P", "-w", "out.pcap"],
        ] {
            assert!(!split(args), "{args:?} runs on two threads");
        }
    }
}
