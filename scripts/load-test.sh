#!/usr/bin/env bash
# Live-capture load test on loopback: can squirrel-sniff keep up with a busy local server?
#
#   scripts/load-test.sh [SECONDS]          (default 10)
#
# Starts a private nginx on 127.0.0.1 (own config and temp dir, see scripts/bench/lib.sh),
# then four runs of `wrk -t 2 -c 8 -d SECONDS` with the keep-alive request mix of
# scripts/bench/mix.lua (small pages, gzip+chunked text, chunked SSI, form POSTs) while
#   1. squirrel-sniff -i lo -q -j 1 --port PORT       (full decode, reassembly, dissection)
#   2. squirrel-sniff -i lo -q --port PORT            (the same on the default -j workers)
#   3. squirrel-sniff -i lo -w FILE --port PORT       (write only)
#   4. tcpdump -i lo -w FILE --immediate-mode port PORT   (reference, when installed)
# captures. Each capture is stopped with SIGINT after wrk ends; its own statistics lines
# (packets captured / received by filter / dropped by kernel / not decoded) are reported,
# with wrk's request count, and its CPU time and peak RSS (GNU time, when installed). The -w
# file is checked with capinfos.
#
# Needs root (live capture on lo). Environment: SQUIRREL_SNIFF=path/to/binary (default
# target/release/squirrel-sniff, built with `cargo build --release` when missing),
# BENCH_HTTP_PORT (default 28080). Every process it starts is stopped on exit.
set -uo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
BENCH_NAME=load-test
# shellcheck source=bench/lib.sh
. "$HERE/bench/lib.sh"

if [[ "${1:-}" == "-h" || "${1:-}" == "--help" ]]; then sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 0; fi
SECS="${1:-10}"
[[ "$SECS" =~ ^[1-9][0-9]*$ ]] && ((SECS <= 300)) || bench_die "SECONDS must be an integer from 1 to 300"

if ! bench_is_root; then
    echo "load-test: needs root: live capture on lo requires it (run as root, e.g. sudo $0 $SECS)" >&2
    exit 1
fi
bench_need_tools nginx:nginx-light wrk:wrk openssl:openssl capinfos:wireshark-common ||
    bench_die "required tools are missing"

BIN="${SQUIRREL_SNIFF:-$ROOT/target/release/squirrel-sniff}"
if [[ ! -x "$BIN" && -z "${SQUIRREL_SNIFF:-}" ]]; then
    bench_log "building $BIN (cargo build --release)"
    (cd "$ROOT" && cargo build --release --quiet) || bench_die "cargo build --release failed"
fi
[[ -x "$BIN" ]] || bench_die "no squirrel-sniff binary at $BIN"

OUTDIR=/tmp/squirrel-bench
mkdir -p "$OUTDIR"
WORK="$(mktemp -d "$OUTDIR/load-site.XXXXXX")"
PCAP_SQ="$OUTDIR/load-test-squirrel.pcap"
PCAP_TD="$OUTDIR/load-test-tcpdump.pcap"
cleanup() {
    bench_stop_all
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

bench_nginx_start "$WORK"
URL="http://127.0.0.1:$BENCH_HTTP_PORT"
PORT="$BENCH_HTTP_PORT"

REPORT=()
# one_run LABEL CMD... — start the capture, load for SECS, SIGINT it, collect its stats.
one_run() {
    local label="$1"; shift
    local err="$WORK/capture.err" pid i rc wrk_line
    local timed="$WORK/time.out" waitpid
    : >"$err"
    rm -f "$timed"
    if [[ -x /usr/bin/time ]]; then
        # GNU time ignores SIGINT while its child runs: the signal goes to the capture itself.
        /usr/bin/time -f '%U %S %M' -o "$timed" "$@" >/dev/null 2>"$err" &
        waitpid=$!
        bench_spawn_record "$waitpid"
        for ((i = 0; i < 50; i++)); do
            pid="$(pgrep -P "$waitpid" | head -n1)"
            [[ -n "$pid" ]] && break
            sleep 0.1
        done
        [[ -n "$pid" ]] || pid=$waitpid
    else
        "$@" >/dev/null 2>"$err" &
        pid=$!
        waitpid=$pid
    fi
    bench_spawn_record "$pid"
    for ((i = 0; i < 100; i++)); do
        grep -q 'listening on' "$err" && break
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    if ! grep -q 'listening on' "$err"; then
        bench_log "$label: the capture did not start:"; cat "$err" >&2
        REPORT+=("$label: did not start ($(head -n1 "$err"))")
        kill -INT "$pid" 2>/dev/null; wait "$waitpid" 2>/dev/null
        return
    fi
    sleep 0.5
    bench_log "$label: wrk -t 2 -c 8 -d ${SECS}s"
    wrk -t 2 -c 8 -d "${SECS}s" -s "$HERE/bench/mix.lua" "$URL" >"$WORK/wrk.out" 2>&1
    wrk_line="$(grep -E 'requests in' "$WORK/wrk.out" | sed 's/^ *//')"
    sleep 1 # let the capture drain what the kernel buffered
    kill -INT "$pid" 2>/dev/null
    for ((i = 0; i < 100; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$pid" 2>/dev/null; then
        bench_log "$label: still running 10 s after SIGINT; sending SIGTERM"
        kill -TERM "$pid" 2>/dev/null
    fi
    wait "$waitpid" 2>/dev/null; rc=$?
    local stats
    stats="$(grep -E 'packets (captured|received by filter|dropped by kernel|dropped by interface|not decoded)' "$err" | paste -sd';' | sed 's/;/; /g')"
    REPORT+=("$label")
    REPORT+=("    load:    ${wrk_line:-wrk printed no summary}")
    local cap drop share=""
    cap="$(awk '/packets captured/ {print $1}' "$err")"
    drop="$(awk '/packets dropped by kernel/ {print $1}' "$err")"
    if [[ "$cap" =~ ^[0-9]+$ && "$drop" =~ ^[0-9]+$ ]] && ((cap + drop > 0)); then
        share="; $(awk -v c="$cap" -v d="$drop" 'BEGIN {printf "%.1f", 100 * d / (c + d)}')% of captured+dropped lost"
    fi
    REPORT+=("    capture: ${stats:-no statistics printed}${share} (exit $rc)")
    if [[ -s "$timed" ]]; then
        REPORT+=("    cost:    $(awk 'END {printf "%.2f s CPU (user %.2f, sys %.2f), peak RSS %.1f MiB", $1 + $2, $1, $2, $3 / 1024}' "$timed")")
    fi
    if [[ -z "$stats" ]]; then
        REPORT+=("    stderr:  $(tail -n 3 "$err" | paste -sd'|')")
    fi
}

one_run "squirrel-sniff -i lo -q -j 1 --port $PORT" "$BIN" -i lo -q -j 1 --port "$PORT"
one_run "squirrel-sniff -i lo -q --port $PORT (default -j: $(nproc) cores, at most 4 workers)" "$BIN" -i lo -q --port "$PORT"
rm -f "$PCAP_SQ"
one_run "squirrel-sniff -i lo -w $PCAP_SQ --port $PORT" "$BIN" -i lo -w "$PCAP_SQ" --port "$PORT"
if [[ -s "$PCAP_SQ" ]]; then
    REPORT+=("    file:    $(capinfos -M -c "$PCAP_SQ" 2>/dev/null | awk -F': *' '/Number of packets/ {print $2}') packets in $PCAP_SQ (capinfos)")
fi
if command -v tcpdump >/dev/null 2>&1; then
    rm -f "$PCAP_TD"
    one_run "tcpdump -i lo -w $PCAP_TD --immediate-mode -U port $PORT (reference)" \
        tcpdump -i lo -w "$PCAP_TD" --immediate-mode -U -B 8192 port "$PORT"
else
    REPORT+=("tcpdump reference: skipped: tcpdump not installed")
fi

echo
echo "load test: ${SECS} s of wrk (2 threads, 8 connections) against nginx on $URL; $(nproc) cores; $("$BIN" --version 2>/dev/null | head -n1)"
printf '%s\n' "${REPORT[@]}"
