#!/usr/bin/env bash
# Time squirrel-sniff against tshark and tcpdump on one large real capture.
#
#   scripts/bench.sh [--pcap FILE] [--reps N] [--bin PATH] [--no-build] [--no-x4]
#
#   --pcap FILE  capture to read (default /tmp/squirrel-bench/bench.pcap, recorded with
#                scripts/make-bench-capture.sh when missing; needs root for that)
#   --reps N     repetitions of every command, the median is reported (default 3)
#   --bin PATH   squirrel-sniff binary (default target/release/squirrel-sniff, built first)
#   --no-build   do not run `cargo build --release`
#   --no-x4      skip the peak-RSS run over the capture concatenated four times
#
# Every command reads the same file in the same run, its output sent to /dev/null; the file
# is read once first so every run starts with it in the page cache. For each command:
# median wall seconds, median CPU seconds (user + system; steadier than wall time on a busy
# machine), packets/s and MB/s (from wall time and file bytes), and the largest peak RSS
# (/usr/bin/time). Ratios are judged on wall time; the CPU-time ratio is shown beside it. Then the ratios the project targets. A tool that is not installed gives a
# "skipped" row; a command that fails gives a "failed" row; neither stops the script.
# The table is printed for the terminal and again as markdown at the end (for
# docs/performance.md).
#
# tshark gets the same work as `squirrel-sniff -q`: TCP reassembly on, the benchmark ports
# decoded as HTTP / TLS (squirrel-sniff finds them by content), and a display filter so that
# every packet is dissected (`tshark -q` alone skips dissection when nothing asks for it).
# Ports come from BENCH_HTTP_PORT / BENCH_TLS13_PORT / BENCH_TLS12_PORT (28080/28443/28444).
set -uo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
BENCH_NAME=bench
# shellcheck source=bench/lib.sh
. "$HERE/bench/lib.sh"

PCAP=""
REPS=3
BIN=""
BUILD=1
X4=1
while [[ $# -gt 0 ]]; do
    case "$1" in
        --pcap) PCAP="${2:?--pcap needs a file}"; shift 2 ;;
        --reps) REPS="${2:?--reps needs a number}"; shift 2 ;;
        --bin) BIN="${2:?--bin needs a path}"; shift 2 ;;
        --no-build) BUILD=0; shift ;;
        --no-x4) X4=0; shift ;;
        -h|--help) sed -n '2,25p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) bench_die "unknown argument '$1' (see --help)" ;;
    esac
done
[[ "$REPS" =~ ^[1-9][0-9]*$ ]] || bench_die "--reps must be a positive integer"

# /usr/bin/time (package `time`) gives the peak RSS; capinfos/mergecap come with wireshark-common.
bench_need_tools /usr/bin/time:time capinfos:wireshark-common mergecap:wireshark-common ||
    bench_die "/usr/bin/time, capinfos and mergecap are needed"

# ---------------------------------------------------------------- binary and capture
if [[ -z "$BIN" ]]; then
    BIN="$ROOT/target/release/squirrel-sniff"
    if [[ $BUILD == 1 ]]; then
        bench_log "cargo build --release"
        (cd "$ROOT" && cargo build --release --quiet) || bench_die "cargo build --release failed"
    fi
fi
[[ -x "$BIN" ]] || bench_die "no squirrel-sniff binary at $BIN"

if [[ -z "$PCAP" ]]; then
    PCAP=/tmp/squirrel-bench/bench.pcap
    if [[ -s "$PCAP" ]]; then
        bench_log "using the existing $PCAP (delete it to record a new one)"
    else
        "$HERE/make-bench-capture.sh" "$PCAP" || bench_die "could not record the benchmark capture"
    fi
fi
[[ -s "$PCAP" ]] || bench_die "no capture at $PCAP"

WORK="$(mktemp -d /tmp/squirrel-bench-run.XXXXXX)"
X4_FILE=""
cleanup() { rm -rf "$WORK"; [[ -n "$X4_FILE" ]] && rm -f "$X4_FILE"; return 0; }
trap cleanup EXIT
trap 'exit 130' INT TERM

BYTES=$(stat -c %s "$PCAP")
PACKETS=$(capinfos -M -c -T "$PCAP" 2>/dev/null | awk -F'\t' 'NR==2 {print $2}')
[[ "$PACKETS" =~ ^[0-9]+$ ]] || bench_die "capinfos could not count the packets of $PCAP"
cat "$PCAP" > /dev/null # into the page cache

COMMIT="$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)"
DIRTY="$(git -C "$ROOT" status --porcelain --untracked-files=no 2>/dev/null | grep -q . && echo ' (with uncommitted changes)')"
VERSION="$("$BIN" --version 2>/dev/null | head -n1)"

TSHARK_RULES=(-o tcp.desegment_tcp_streams:TRUE -o tls.desegment_ssl_records:TRUE
    -o tls.desegment_ssl_application_data:TRUE -o http.desegment_headers:TRUE -o http.desegment_body:TRUE
    -d "tcp.port==$BENCH_HTTP_PORT,http" -d "tcp.port==$BENCH_TLS13_PORT,tls" -d "tcp.port==$BENCH_TLS12_PORT,tls")

# ---------------------------------------------------------------- measuring
# Results per row key: LABEL, CMD, WALL (median s), CPU (median user+sys s), RSS (max KiB), STATUS.
declare -A LABEL CMDTXT WALL CPU RSS STATUS
ROWS=()

median() { sort -g | awk '{a[NR] = $1} END {if (NR == 0) exit 1; if (NR % 2) print a[(NR + 1) / 2]; else printf "%.6f\n", (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }

# measure KEY LABEL REPS CMD... — run CMD (stdout to /dev/null) REPS times.
measure() {
    local key="$1" label="$2" reps="$3"; shift 3
    ROWS+=("$key"); LABEL[$key]="$label"; CMDTXT[$key]="$*"
    local tool="$1"
    if ! command -v "$tool" >/dev/null 2>&1 && [[ ! -x "$tool" ]]; then
        STATUS[$key]="skipped: $(basename "$tool") not installed"; bench_log "${STATUS[$key]}"; return
    fi
    local i t0 t1 rc times=() cpus=() maxrss=0 rss u sy
    for ((i = 1; i <= reps; i++)); do
        t0=$(date +%s%N)
        /usr/bin/time -f '%M %U %S' -o "$WORK/time" "$@" >/dev/null 2>"$WORK/stderr"
        rc=$?
        t1=$(date +%s%N)
        if [[ $rc != 0 ]]; then
            local why
            if grep -q 'panicked at' "$WORK/stderr"; then
                # "thread 'main' (PID) panicked at FILE:L:C:" then the message on the next line.
                why="panic at $(grep -m1 -A1 'panicked at' "$WORK/stderr" | sed -e 's/.*panicked at //' | paste -sd' ')"
            else
                why="$(grep -m1 -iE 'error' "$WORK/stderr" || tail -n1 "$WORK/stderr")"
            fi
            STATUS[$key]="failed: exit $rc, ${why:0:100}"
            bench_log "$label: ${STATUS[$key]}"
            return
        fi
        times+=("$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.6f", (b - a) / 1e9}')")
        read -r rss u sy < <(tail -n1 "$WORK/time")
        cpus+=("$(awk -v u="$u" -v s="$sy" 'BEGIN {printf "%.2f", u + s}')")
        [[ "$rss" =~ ^[0-9]+$ ]] && ((rss > maxrss)) && maxrss=$rss
    done
    WALL[$key]=$(printf '%s\n' "${times[@]}" | median)
    CPU[$key]=$(printf '%s\n' "${cpus[@]}" | median)
    RSS[$key]=$maxrss
    STATUS[$key]=ok
    bench_log "$(printf '%-34s %8.3f s  (runs: %s)  peak RSS %d MiB' "$label" "${WALL[$key]}" "${times[*]}" $((maxrss / 1024)))"
}

bench_log "capture $PCAP: $BYTES bytes, $PACKETS packets; $REPS runs each; load: $(cut -d' ' -f1-3 /proc/loadavg)"

measure sq_q     "squirrel-sniff -q"            "$REPS" "$BIN" -r "$PCAP" -q
measure sq_json  "squirrel-sniff --json"        "$REPS" "$BIN" -r "$PCAP" --json
measure sq_line  "squirrel-sniff (lines)"       "$REPS" "$BIN" -r "$PCAP"
measure ts_q     "tshark -q (full dissection)"  "$REPS" tshark -r "$PCAP" -q -Y "http || tls" "${TSHARK_RULES[@]}"
measure ts_line  "tshark (lines)"               "$REPS" tshark -r "$PCAP" "${TSHARK_RULES[@]}"
measure td_w     "tcpdump -r F -w /dev/null"    "$REPS" tcpdump -r "$PCAP" -w /dev/null
measure td_line  "tcpdump -nr F (lines)"        "$REPS" tcpdump -nr "$PCAP"

# Peak RSS over a file four times as long: it should not grow with the file.
if [[ $X4 == 1 ]]; then
    X4_FILE="$(dirname "$PCAP")/bench-x4.$$.pcap"
    if mergecap -a -w "$X4_FILE" "$PCAP" "$PCAP" "$PCAP" "$PCAP" 2>"$WORK/mergecap.err"; then
        cat "$X4_FILE" > /dev/null
        measure sq_q_x4 "squirrel-sniff -q, file x4" 1 "$BIN" -r "$X4_FILE" -q
    else
        ROWS+=(sq_q_x4); LABEL[sq_q_x4]="squirrel-sniff -q, file x4"; CMDTXT[sq_q_x4]="mergecap -a"
        STATUS[sq_q_x4]="failed: mergecap: $(head -n1 "$WORK/mergecap.err")"
    fi
    rm -f "$X4_FILE"
fi

# ---------------------------------------------------------------- report
MB=$(awk -v b="$BYTES" 'BEGIN {printf "%.1f", b / 1e6}')
fmt_row() { # KEY SEP — one table row; SEP "|" for markdown, "" for the terminal
    local k="$1" md="$2" pps mbs rss wall cpu
    if [[ "${STATUS[$k]}" == ok ]]; then
        wall=$(printf '%.3f' "${WALL[$k]}")
        cpu=$(printf '%.2f' "${CPU[$k]}")
        if [[ $k == *_x4 ]]; then
            # Copies 2-4 replay the same connections (same tuples and sequence numbers, time
            # going back), so this row's speed is not comparable; it is here for the RSS.
            pps="-"; mbs="-"
        else
            pps=$(awk -v n="$PACKETS" -v w="${WALL[$k]}" 'BEGIN {printf "%.0f", (w > 0) ? n / w : 0}')
            mbs=$(awk -v b="$BYTES" -v w="${WALL[$k]}" 'BEGIN {printf "%.1f", (w > 0) ? b / 1e6 / w : 0}')
        fi
        rss=$(awk -v r="${RSS[$k]}" 'BEGIN {printf "%.1f", r / 1024}')
    else
        wall="${STATUS[$k]}"; pps=""; mbs=""; rss=""; cpu=""
    fi
    if [[ -n "$md" ]]; then
        printf '| %s | %s | %s | %s | %s | %s |\n' "${LABEL[$k]}" "$wall" "$cpu" "$pps" "$mbs" "$rss"
    else
        printf '%-30s %12s %8s %12s %9s %10s\n' "${LABEL[$k]}" "$wall" "$cpu" "$pps" "$mbs" "$rss"
    fi
}

# ratio NAME NUM_KEY DEN_KEY TARGET_TEXT TARGET_MIN — speed ratio = DEN wall / NUM wall.
RATIO_LINES=()
ratio_why() { # which of the rows did not give a figure
    local k out=()
    for k in "$@"; do [[ "${STATUS[$k]:-}" == ok ]] || out+=("${LABEL[$k]:-$k} ${STATUS[$k]%%,*}"); done
    local IFS=';'; echo "${out[*]}"
}
ratio() {
    local name="$1" a="$2" b="$3" target="$4" min="$5" r verdict
    if [[ "${STATUS[$a]:-}" == ok && "${STATUS[$b]:-}" == ok ]]; then
        local rc
        r=$(awk -v x="${WALL[$a]}" -v y="${WALL[$b]}" 'BEGIN {printf "%.2f", (x > 0) ? y / x : 0}')
        rc=$(awk -v x="${CPU[$a]}" -v y="${CPU[$b]}" 'BEGIN {printf "%.2f", (x > 0) ? y / x : 0}')
        verdict=$(awk -v r="$r" -v m="$min" 'BEGIN {print (r >= m) ? "met" : "NOT met"}')
        RATIO_LINES+=("$name|${r}x (CPU ${rc}x)|$target|$verdict")
    else
        RATIO_LINES+=("$name|n/a|$target|not measured ($(ratio_why "$a" "$b"))")
    fi
}
ratio "squirrel-sniff -q vs tshark -q (speed)"            sq_q    ts_q    ">= 10x"   10
ratio "squirrel-sniff -q vs tcpdump -w /dev/null (speed)" sq_q    td_w    ">= 0.5x"  0.5
ratio "squirrel-sniff lines vs tcpdump -nr (speed)"       sq_line td_line ">= 2x"    2
rss_line() {
    local key="$1" name="$2"
    if [[ "${STATUS[$key]:-}" == ok ]]; then
        local mib
        mib=$(awk -v r="${RSS[$key]}" 'BEGIN {printf "%.1f", r / 1024}')
        RATIO_LINES+=("$name|$mib MiB|<= 64 MiB|$(awk -v r="${RSS[$key]}" 'BEGIN {print (r <= 65536) ? "met" : "NOT met"}')")
    else
        RATIO_LINES+=("$name|n/a|<= 64 MiB|not measured ($(ratio_why "$key"))")
    fi
}
rss_line sq_q "squirrel-sniff -q peak RSS"
rss_line sq_json "squirrel-sniff --json peak RSS"
rss_line sq_line "squirrel-sniff lines peak RSS"
[[ $X4 == 1 ]] && rss_line sq_q_x4 "squirrel-sniff -q peak RSS, file x4"

echo
echo "squirrel-sniff benchmark — $(date -u +%Y-%m-%d), $VERSION, commit $COMMIT$DIRTY"
echo "capture: $PCAP — $MB MB, $PACKETS packets; median of $REPS runs; $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo
printf '%-30s %12s %8s %12s %9s %10s\n' "command" "wall s" "CPU s" "packets/s" "MB/s" "RSS MiB"
for k in "${ROWS[@]}"; do fmt_row "$k" ""; done
echo
printf '%-52s %20s %10s  %s\n' "target" "measured" "goal" "verdict"
for l in "${RATIO_LINES[@]}"; do
    IFS='|' read -r a b c d <<<"$l"
    printf '%-52s %20s %10s  %s\n' "$a" "$b" "$c" "$d"
done

echo
echo "<!-- markdown for docs/performance.md -->"
echo "Capture: \`$(basename "$PCAP")\`, $MB MB, $PACKETS packets. squirrel-sniff commit \`$COMMIT\`$DIRTY, release build."
echo "Median of $REPS runs on $(nproc) cores (load average at the end: $(cut -d' ' -f1-3 /proc/loadavg))."
echo
echo "| command | wall s | CPU s | packets/s | MB/s | peak RSS MiB |"
echo "| --- | ---: | ---: | ---: | ---: | ---: |"
for k in "${ROWS[@]}"; do fmt_row "$k" "|"; done
echo
echo "| target | measured | goal | verdict |"
echo "| --- | ---: | ---: | --- |"
for l in "${RATIO_LINES[@]}"; do
    IFS='|' read -r a b c d <<<"$l"
    echo "| $a | $b | $c | $d |"
done
