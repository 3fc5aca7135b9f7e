//! Command-line interface (clap), grouped the way tcpdump users think: capture, filter,
//! output, analysis. The binary in `main.rs` only parses, runs and maps errors to exit codes.

use std::path::PathBuf;

use clap::{Args, Parser};

use crate::render::color::ColorChoice;

/// Exit codes (also in the README).
pub use crate::exit;

#[derive(Debug, Parser)]
#[command(
    name = "squirrel-sniff",
    version,
    disable_version_flag = true,
    args_conflicts_with_subcommands = true,
    subcommand_negates_reqs = true,
    disable_help_subcommand = true,
    about = "Capture and analyse traffic: see what an eavesdropper sees",
    long_about = "Capture live (-i) or replay saved captures (-r), reassemble TCP streams, recognise \
HTTP/1.x and TLS by content on any port, and show each packet as a summary line, a Wireshark-style \
tree (-V), a hex dump (-x) or JSON (--json).",
    after_help = "Examples:\n  sudo squirrel-sniff -i lo --port 5683\n  squirrel-sniff -r captures/squirrel-http.pcap -V -x\n  squirrel-sniff -r capture.pcapng tcp port 443 and host 10.0.0.1\n\nExit codes: 0 ok, 1 failure, 2 usage/filter error, 3 unreadable input, 4 truncated/corrupt input, 5 interface error, 6 permission denied, 7 leak found (--fail-on-leak)."
)]
pub struct Cli {
    /// Print version
    #[arg(long = "version", action = clap::ArgAction::Version)]
    pub version: Option<bool>,
    #[command(flatten)]
    pub capture: CaptureArgs,
    #[command(flatten)]
    pub filter: FilterArgs,
    #[command(flatten)]
    pub output: OutputArgs,
    #[command(flatten)]
    pub analysis: AnalysisArgs,
    #[command(flatten)]
    pub findings: FindingsArgs,
    #[command(flatten)]
    pub decrypt: DecryptArgs,
    #[command(flatten)]
    pub decode_as: DecodeAsArgs,
    #[command(flatten)]
    pub bounds: BoundsArgs,
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Subcommands (everything else is the capture/replay command line).
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Compare what an eavesdropper sees in two or more captures, side by side
    Compare(Box<CompareArgs>),
    /// Facts about capture files, like capinfos
    Info(InfoArgs),
    /// Print the manual page (roff) to standard output
    Man,
    /// Print a shell completion script to standard output
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

#[derive(Debug, Args)]
pub struct CompareArgs {
    /// Capture files (pcap or pcapng), two or more
    #[arg(value_name = "FILE", num_args = 2.., required = true)]
    pub files: Vec<PathBuf>,
    #[command(flatten)]
    pub findings: FindingsArgs,
    #[command(flatten)]
    pub decrypt: DecryptArgs,
    #[command(flatten)]
    pub decode_as: DecodeAsArgs,
    /// One JSON object instead of the table
    #[arg(long = "json")]
    pub json: bool,
    /// Colour output
    #[arg(long = "color", value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
    pub color: ColorChoice,
}

#[derive(Debug, Args)]
pub struct InfoArgs {
    /// Capture files (`-` for standard input)
    #[arg(value_name = "FILE", required = true)]
    pub files: Vec<PathBuf>,
    /// One JSON object per file
    #[arg(long = "json")]
    pub json: bool,
}

#[derive(Debug, Args, Clone, Default)]
#[command(next_help_heading = "What an eavesdropper sees")]
pub struct FindingsArgs {
    /// A secret to look for in clear (repeatable): raw, URL-encoded, base64, in Basic auth,
    /// across segments and inside decoded bodies
    #[arg(long = "secret", value_name = "TEXT")]
    pub secret: Vec<String>,
    /// A file of secrets, one per line (# comments, blank lines ignored)
    #[arg(long = "secrets-file", value_name = "FILE")]
    pub secrets_file: Option<PathBuf>,
    /// Fernet key (URL-safe base64) to verify and decrypt Fernet tokens seen in bodies
    #[arg(long = "fernet-key", value_name = "KEY")]
    pub fernet_key: Option<String>,
    /// PEM file of CAs to trust besides this system's store (certificates are checked
    /// against both)
    #[arg(long = "ca-file", value_name = "PEM")]
    pub ca_file: Option<PathBuf>,
    /// Show secret and credential values masked, `h*****2 (7 chars)`, in every output (for
    /// CI logs)
    #[arg(long = "mask")]
    pub mask: bool,
    /// Also write the report (or the comparison) as one self-contained HTML page: rows
    /// side by side, a flow graph per session, the leaking packets' bytes, certificates
    #[arg(long = "html", value_name = "FILE")]
    pub html: Option<PathBuf>,
    /// After the run, the report of what an eavesdropper sees
    #[arg(long = "report")]
    pub report: bool,
    /// Exit with code 7 when a secret or a credential was seen in clear (for CI pipelines)
    #[arg(long = "fail-on-leak")]
    pub fail_on_leak: bool,
}

#[derive(Debug, Args, Clone, Default)]
#[command(next_help_heading = "Seeing inside TLS with the session keys")]
pub struct DecryptArgs {
    /// NSS key log (SSLKEYLOGFILE) to decrypt TLS with (repeatable); re-read while a live
    /// capture runs. pcapng Decryption Secrets Blocks in the capture are used without it
    #[arg(long = "keylog", value_name = "FILE")]
    pub keylog: Vec<PathBuf>,
    /// The server's RSA private key (PEM, PKCS#1 or PKCS#8) for TLS 1.2 static-RSA key
    /// exchange (repeatable)
    #[arg(long = "rsa-key", value_name = "FILE")]
    pub rsa_key: Vec<PathBuf>,
    /// tshark-style preference; `tls.keylog_file:FILE` is the same as `--keylog FILE`
    #[arg(short = 'o', value_name = "PREF")]
    pub pref: Vec<String>,
}

impl DecryptArgs {
    /// Key log files from `--keylog` and `-o tls.keylog_file:FILE` (empty values ignored).
    pub fn keylog_files(&self) -> Result<Vec<PathBuf>, String> {
        let mut files = self.keylog.clone();
        for p in &self.pref {
            match p.split_once(':') {
                Some(("tls.keylog_file" | "ssl.keylog_file", f)) => {
                    if !f.is_empty() {
                        files.push(PathBuf::from(f));
                    }
                }
                _ => return Err(format!("-o {p}: only tls.keylog_file:FILE is understood")),
            }
        }
        Ok(files)
    }
}

const fn squirrel_budget_default() -> usize {
    crate::memory::DEFAULT_BUDGET
}

#[derive(Debug, Args, Clone, Default)]
#[command(next_help_heading = "Decode as")]
pub struct DecodeAsArgs {
    /// tshark's decode-as: parse sessions on a port as a protocol, skipping detection
    /// (repeatable): `udp.port==5353,dns`, `tcp.port==8443,tls`, `tcp.port==8080,http`,
    /// `tcp.port==8080,http2`, `udp.port==4433,quic`; `udp.port==8472,vxlan` reads a UDP
    /// port as VXLAN (4789 always is)
    #[arg(short = 'd', long = "decode-as", value_name = "LAYER==PORT,PROTO")]
    pub rules: Vec<String>,
}

impl DecodeAsArgs {
    /// The parsed rules; the first bad one is the error (one line). The `udp.port==N,vxlan`
    /// rules, which act on decoding rather than on sessions, are handed to the decoder
    /// ([`crate::decode::tunnel::set_vxlan_ports`]) and left out.
    pub fn parse(&self) -> Result<Vec<crate::dissect::decode_as::DecodeAs>, String> {
        let mut vxlan = Vec::new();
        let mut out = Vec::new();
        for r in &self.rules {
            match vxlan_port(r) {
                Some(p) => vxlan.push(p),
                None => out.push(
                    crate::dissect::decode_as::DecodeAs::parse(r).map_err(|e| e.to_string())?,
                ),
            }
        }
        if !vxlan.is_empty() {
            crate::decode::tunnel::set_vxlan_ports(vxlan);
        }
        Ok(out)
    }
}

/// The port of a `udp.port==N,vxlan` rule (`=` for `==` as tshark accepts).
fn vxlan_port(rule: &str) -> Option<u16> {
    let (selector, proto) = rule.split_once(',')?;
    if !proto.trim().eq_ignore_ascii_case("vxlan") {
        return None;
    }
    let (layer, port) = selector
        .split_once("==")
        .or_else(|| selector.split_once('='))?;
    (layer.trim() == "udp.port")
        .then(|| port.trim().parse().ok())
        .flatten()
}

#[derive(Debug, Args)]
#[command(next_help_heading = "Bounds")]
pub struct BoundsArgs {
    /// Live TCP flows kept at once (the idlest is evicted past it)
    #[arg(long = "max-flows", value_name = "N", default_value_t = 100_000)]
    pub max_flows: usize,
    /// Out-of-order bytes buffered per flow direction
    #[arg(long = "max-flow-buffer", value_name = "BYTES", default_value_t = 4 << 20)]
    pub max_flow_buffer: usize,
    /// Memory budget over every buffer of the run: out-of-order bytes, HTTP heads and
    /// bodies, TLS handshakes, undecided streams, followed streams, conversation rows and
    /// the live flows; past it the largest holders give bytes back (noted and counted)
    #[arg(
        long = "max-total-buffer",
        visible_alias = "max-memory",
        value_name = "BYTES",
        default_value_t = squirrel_budget_default()
    )]
    pub max_total_buffer: usize,
    /// Largest HTTP body kept for decoding and search
    #[arg(long = "max-http-body", value_name = "BYTES", default_value_t = 8 << 20)]
    pub max_http_body: usize,
    /// End-of-run statistics on stderr (flows, reassembly bounds, peak memory)
    #[arg(long = "stats")]
    pub stats: bool,
    /// Worker threads that share the sessions (default: the number of cores, at most 4;
    /// -j 1 runs on one thread). Used by a `-q` run over files or a live capture
    /// that prints only the summary line, with or without --conversations and --hierarchy
    /// (not with -z: one thread, the same bytes for any -j)
    /// (no --report, --json, --stats, --html, --follow, -Y, -T, --keylog/--rsa-key; -w
    /// only live).
    /// A run over a file that prints frames (summary lines, -V, -x, -A/-X, -T fields,
    /// --json; with -Y, --report, …) with -j N given (N > 1) prints them on a second thread
    /// while one thread analyses (the same output; not with -w, --follow, --parquet). Every
    /// other run uses one thread. Each worker gets 1/N of --max-total-buffer and --max-flows
    #[arg(short = 'j', long = "threads", value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub threads: Option<u16>,
}

#[derive(Debug, Args)]
#[command(next_help_heading = "Capture")]
pub struct CaptureArgs {
    /// Capture live on this interface (`any` for all; a number: the interface -D lists
    /// with it; needs root or CAP_NET_RAW)
    #[arg(
        short = 'i',
        long = "interface",
        value_name = "IFACE",
        conflicts_with = "read"
    )]
    pub interface: Option<String>,
    /// Replay saved captures (pcap or pcapng; `-` for standard input). Repeatable; a
    /// directory (its capture files) or a quoted glob (`-r 'rot*.pcap'`) is many files, and
    /// files right after the first (`-r a.pcap b.pcap`, what a shell glob gives) are read too.
    /// Many files are one run in timestamp order (as mergecap), or each its own with --each
    #[arg(short = 'r', long = "read", value_name = "FILE")]
    pub read: Vec<PathBuf>,
    /// With several -r files: analyse each file on its own (its own frame numbers,
    /// sessions and report) instead of merging them into one run
    #[arg(long = "each")]
    pub each: bool,
    /// Write the captured packets to a pcap file (complete after Ctrl-C)
    #[arg(short = 'w', long = "write", value_name = "FILE")]
    pub write: Option<PathBuf>,
    /// The -w file's format: `pcap` (the default, as tcpdump; tshark's default is pcapng)
    /// or `pcapng`. Any other value is tcpdump's -F FILE: the capture filter is read from
    /// FILE (`#` to the end of a line is a comment); a file called `pcap` or `pcapng` is
    /// given as `./pcap`
    #[arg(short = 'F', value_name = "pcap|pcapng|FILE")]
    pub file_format: Option<String>,
    /// tshark's autostop (repeatable; the first condition met ends the run as -c does):
    /// `duration:SEC` (live captures only), `packets:N`, `filesize:KB` (the -w file, with
    /// -b the current one, reached KB x 1000 bytes), `files:N` (N files written, with -b,
    /// -C or -G)
    #[arg(short = 'a', long = "autostop", value_name = "COND:VALUE")]
    pub autostop: Vec<String>,
    /// tshark's ring buffer for -w (repeatable): switch to a new file on `duration:SEC`
    /// (since the file's first packet), `interval:SEC` (on multiples of SEC since the
    /// epoch), `filesize:KB` (KB x 1000 bytes), `packets:N`; `files:N` keeps the newest N
    /// files. Files are named NAME_00001_YYYYmmddHHMMSS.EXT after -w NAME.EXT (local time;
    /// times are the packets' timestamps)
    #[arg(short = 'b', long = "ring-buffer", value_name = "COND:VALUE")]
    pub ring_buffer: Vec<String>,
    /// tcpdump's file size for -w: before writing a packet, when the file holds more than
    /// MB x 1,000,000 bytes, start the next file: NAME, then NAME1, NAME2… (with -W, a ring
    /// of N files NAME0…)
    #[arg(short = 'C', value_name = "MB", value_parser = clap::value_parser!(u64).range(1..))]
    pub file_size_mb: Option<u64>,
    /// tcpdump's rotation for -w: a new file every SEC seconds (of packet time), the -w
    /// name a strftime pattern of the file's local start time (`-w 'cap-%H%M%S.pcap'`)
    #[arg(short = 'G', value_name = "SEC", value_parser = clap::value_parser!(u64).range(1..))]
    pub rotate_secs: Option<u64>,
    /// tcpdump's file count, with -C: a ring of N files (NAME0…, overwritten in turn);
    /// with -G alone: the run stops after N files
    #[arg(short = 'W', value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub file_count: Option<u64>,
    /// With -w, also print packets (tcpdump's --print)
    #[arg(short = 'P', long = "print")]
    pub print: bool,
    /// Flush the -w file after every packet
    #[arg(short = 'U', long = "packet-buffered")]
    pub packet_buffered: bool,
    /// Stop after N packets
    #[arg(short = 'c', long = "count", value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub count: Option<u64>,
    /// Snapshot length: bytes kept of each packet
    #[arg(
        short = 's',
        long = "snapshot-length",
        value_name = "SNAPLEN",
        default_value_t = 262144
    )]
    pub snaplen: i32,
    /// Kernel capture buffer in KiB (64 MiB by default: no kernel drops at full loopback
    /// load on 2 cores, see docs/performance.md)
    #[arg(
        short = 'B',
        long = "buffer-size",
        value_name = "KiB",
        default_value_t = 65536
    )]
    pub buffer_kib: i32,
    /// Do not put the interface into promiscuous mode
    #[arg(short = 'p', long = "no-promiscuous-mode")]
    pub no_promisc: bool,
    /// List the interfaces that can capture, and exit
    #[arg(short = 'D', long = "list-interfaces")]
    pub list_interfaces: bool,
    /// List the link types the -i interface can capture with (the names -y takes), and exit
    #[arg(short = 'L', long = "list-data-link-types")]
    pub list_link_types: bool,
    /// Capture with this link type, a name -L lists (`-i any -y LINUX_SLL2`); live only
    #[arg(short = 'y', long = "linktype", value_name = "TYPE")]
    pub link_type: Option<String>,
    /// After opening the capture, switch to USER (`root`: stay root); the -w file is
    /// opened afterwards, as USER.
    /// Without -Z, root under sudo becomes the invoking user (SUDO_UID/SUDO_GID)
    #[arg(short = 'Z', long = "relinquish-privileges", value_name = "USER")]
    pub user: Option<String>,
}

#[derive(Debug, Args)]
#[command(next_help_heading = "Filter")]
pub struct FilterArgs {
    /// Display filter (Wireshark syntax subset): `http`, `tls.sni contains "x"`, `tcp.port == 5683`
    #[arg(short = 'Y', long = "display-filter", value_name = "FILTER")]
    pub display_filter: Option<String>,
    /// Only TCP/UDP traffic to or from this port (repeatable; combined with EXPRESSION by `and`)
    #[arg(long = "port", value_name = "N")]
    pub port: Vec<u16>,
    /// Capture filter (BPF), as tshark's -f: the same as the trailing EXPRESSION (give one
    /// of -f, -F FILE and the EXPRESSION, as tshark refuses two). It filters -r files too
    /// (as tcpdump's expression does; tshark refuses -f with -r)
    #[arg(short = 'f', long = "capture-filter", value_name = "FILTER")]
    pub capture_filter: Option<String>,
    /// Capture filter in tcpdump (BPF) syntax, e.g. `tcp port 5683 and host 127.0.0.1`
    #[arg(value_name = "EXPRESSION", trailing_var_arg = true)]
    pub expression: Vec<String>,
}

#[derive(Debug, Args)]
#[command(next_help_heading = "Output")]
pub struct OutputArgs {
    /// Layered tree of every packet, like Wireshark's packet details
    #[arg(short = 'V', long = "verbose")]
    pub verbose: bool,
    /// Hex dump of every packet
    #[arg(short = 'x', long = "hex")]
    pub hex: bool,
    /// One JSON object per line (NDJSON); schema in docs/json.md
    #[arg(long = "json", conflicts_with = "verbose")]
    pub json: bool,
    /// With --json: each record as an Elastic Common Schema document (`@timestamp`,
    /// `source.ip`, `network.community_id`, `url.path`, …) for Filebeat, Elasticsearch or
    /// OpenSearch; docs/engines.md
    #[arg(long = "ecs")]
    pub ecs: bool,
    /// Write the records as Parquet datasets under DIR, one per kind (packets, sessions,
    /// http, tls, certificates, dns, quic, findings), partitioned by day; schema in
    /// docs/parquet.md. Nothing is printed per packet
    #[arg(
        long = "parquet",
        value_name = "DIR",
        conflicts_with_all = ["json", "verbose", "hex", "output_format"]
    )]
    pub parquet: Option<PathBuf>,
    /// Quiet: no per-packet output, only end-of-run statistics, tables and reports
    #[arg(short = 'q', long = "quiet")]
    pub quiet: bool,
    /// Progress bar on stderr while replaying (default when stdout is not a terminal;
    /// drawn only when stderr is one)
    #[arg(long = "progress")]
    pub progress: bool,
    /// Colour output
    #[arg(long = "color", value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
    pub color: ColorChoice,
    /// Flush standard output after every packet, also into a pipe or file (tcpdump's and
    /// tshark's -l). On a terminal this is always so; into a pipe, a live capture or `-r -`
    /// flushes at least every 250 ms anyway
    #[arg(short = 'l', long = "line-buffered")]
    pub line_buffered: bool,
    /// Time column of summary lines: r (since the first packet, the default), a (local
    /// time), ad (local date and time), adoy (year/day-of-year), d (since the previous
    /// packet), dd (since the previous displayed packet), e (epoch), u (UTC), ud (UTC date
    /// and time); tcpdump's -tt (e), -ttt (d), -tttt (ad), -ttttt (r) also work
    #[arg(short = 't', value_name = "FORMAT", value_parser = crate::render::timefmt::TimeFormat::parse)]
    pub time_format: Option<crate::render::timefmt::TimeFormat>,
    /// Output format: `fields` (the -e fields of every displayed packet, one line each),
    /// `text` (summary lines, the default) or `json` (as --json)
    #[arg(short = 'T', value_name = "FORMAT", value_parser = ["fields", "text", "json"])]
    pub output_format: Option<String>,
    /// With -T fields: a field to print (repeatable), a name from --list-fields
    #[arg(short = 'e', value_name = "FIELD")]
    pub fields: Vec<String>,
    /// With -T fields: header=y|n, separator=/t|/s|CHAR, quote=d|s|n, occurrence=f|l|a,
    /// aggregator=,|/s|CHAR (repeatable, like tshark)
    #[arg(short = 'E', value_name = "OPTION=VALUE")]
    pub field_options: Vec<String>,
    /// Print every field -Y and -e know, with its type and a description, and exit
    /// (tshark -G fields)
    #[arg(long = "list-fields")]
    pub list_fields: bool,
    /// Where findings (`⚠ …` lines, JSON finding records) are printed: inline under the
    /// frame that raised them, at the end after all frames, or off (--report and
    /// --fail-on-leak still see them)
    #[arg(long = "findings", value_enum, default_value_t = crate::render::FindingsPlacement::Inline, value_name = "WHERE")]
    pub findings: crate::render::FindingsPlacement,
    /// Print each packet minus its link-level header in ASCII (tcpdump -A)
    #[arg(short = 'A', conflicts_with = "hex_ascii")]
    pub ascii: bool,
    /// Print each packet minus its link-level header in hex and ASCII (tcpdump -X)
    #[arg(short = 'X')]
    pub hex_ascii: bool,
    /// Do not resolve names (accepted for tcpdump habit; squirrel-sniff never resolves)
    #[arg(short = 'n')]
    pub no_resolve: bool,
    /// tcpdump's more detail (repeatable): accepted, and a note says so; the summary lines
    /// stay as they are (-V shows every field)
    #[arg(short = 'v', action = clap::ArgAction::Count)]
    pub tcpdump_verbose: u8,
    /// tcpdump's packet numbers (accepted for habit: summary lines are always numbered)
    #[arg(short = '#', long = "number")]
    pub number: bool,
}

#[derive(Debug, Args)]
#[command(next_help_heading = "Analysis")]
pub struct AnalysisArgs {
    /// Two passes over the file, as tshark -2: a first, quiet one finds what a message points
    /// forward to (http.response_in, http.next_request_in, http.next_response_in), shown by
    /// the second (a file only; one thread)
    #[arg(short = '2', long = "two-pass")]
    pub two_pass: bool,
    /// After the run, a table of TCP conversations (like tshark -z conv,tcp)
    #[arg(long = "conversations")]
    pub conversations: bool,
    /// After the run, frames and bytes per protocol layer (like tshark -z io,phs)
    #[arg(long = "hierarchy")]
    pub hierarchy: bool,
    /// Write the body of every HTTP message (requests and responses; HTTP/1.x, HTTP/2 and
    /// HTTP/3, decrypted with the keys) to a file of DIR, named as tshark names them, like
    /// tshark's --export-objects (DIR is made when missing; no file in it is overwritten)
    #[arg(long = "export-objects", value_name = "PROTOCOL,DIR")]
    pub export_objects: Option<String>,
    /// Show a TCP stream's bytes both ways (a stream index, or `all`), or a UDP session's
    /// datagrams (`udp:N`, N its udp.stream), like tshark -z follow
    #[arg(long = "follow", value_name = "[udp:]STREAM|all")]
    pub follow: Option<String>,
    /// How --follow shows the stream: ascii, hex, raw (exact bytes of one direction), http
    #[arg(long = "follow-format", value_enum, default_value_t = FollowFormatArg::Ascii, value_name = "FORMAT")]
    pub follow_format: FollowFormatArg,
    /// With --follow-format raw: which direction's bytes
    #[arg(long = "follow-dir", value_enum, default_value_t = FollowDirArg::ToServer, value_name = "DIR")]
    pub follow_dir: FollowDirArg,
    /// Bytes kept per followed stream
    #[arg(long = "follow-limit", value_name = "BYTES", default_value_t = 16 << 20)]
    pub follow_limit: usize,
    /// tshark's statistics, printed after the run as tshark 4.0 prints them (repeatable;
    /// counted over every frame, as tshark, whatever -Y shows): conv,eth|ip|ipv6|tcp|udp,
    /// endpoints,eth|ip|ipv6|tcp|udp, io,phs, io,stat,INTERVAL[,FILTER|FRAMES()FILTER|BYTES()FILTER]...,
    /// http,tree, http_req,tree, http_srv,tree, http_seq,tree, dns,tree, http2,tree, credentials,
    /// expert[,error|warn|note|chat|comment][,FILTER],
    /// follow,tcp|tls|udp,ascii|hex,STREAM (= --follow [udp:]STREAM), follow,http,ascii|hex,STREAM,
    /// follow,http2,ascii|hex,STREAM,H2STREAM[,FIRST[-LAST]]
    #[arg(short = 'z', value_name = "STAT")]
    pub z: Vec<String>,
    /// The parsed `-z` arguments (filled in by the binary after parsing).
    #[arg(skip)]
    pub zstats: Vec<crate::render::zstats::ZStat>,
    /// `-z follow,http,…`: the followed stream's HTTP/1.x messages in tshark's follow text
    /// (set by [`AnalysisArgs::parse_z`]).
    #[arg(skip)]
    pub follow_as_http: bool,
    /// `-z follow,http2,…,ID[,FIRST[-LAST]]`: HTTP/2 stream ID of the followed TCP stream in
    /// tshark's follow text, and the chunks shown (set by [`AnalysisArgs::parse_z`]).
    #[arg(skip)]
    pub follow_as_http2: Option<(u32, Option<(u32, u32)>)>,
}

impl AnalysisArgs {
    /// Parse the `-z` arguments into `zstats`; `follow,…` becomes `--follow` and
    /// `--follow-format`. The error is one line.
    pub fn parse_z(&mut self) -> Result<(), String> {
        use crate::render::zstats::{FollowMode, ZStat};
        for arg in &self.z {
            let stat = ZStat::parse(arg)?;
            if let ZStat::Follow {
                mode,
                stream,
                udp,
                http,
                http2,
                chunks,
            } = stat
            {
                if self.follow.is_some() {
                    return Err(format!(
                        "-z {}: one followed stream per run (--follow or one -z follow)",
                        crate::present::escape::escape_str(arg)
                    ));
                }
                self.follow = Some(if udp {
                    format!("udp:{stream}")
                } else {
                    stream.to_string()
                });
                self.follow_format = match mode {
                    FollowMode::Ascii => FollowFormatArg::Ascii,
                    FollowMode::Hex => FollowFormatArg::Hex,
                };
                self.follow_as_http = http;
                self.follow_as_http2 = http2.map(|id| (id, chunks));
            }
            self.zstats.push(stat);
        }
        Ok(())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FollowFormatArg {
    Ascii,
    Hex,
    Raw,
    Http,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FollowDirArg {
    ToServer,
    ToClient,
}
