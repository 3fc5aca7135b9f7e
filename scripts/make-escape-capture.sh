#!/usr/bin/env bash
# Regenerate captures/escape-injection.pcap: real loopback traffic whose HTTP request lines,
# headers, bodies, Basic credentials, form fields, TLS SNI and ALPN carry terminal escape
# sequences (CSI, OSC 52, OSC 8), C1 controls, NUL/BEL/BS/DEL, bidi overrides and invalid
# UTF-8. tests/terminal_safety.rs replays it in every output mode.
#
#   scripts/make-escape-capture.sh [OUT.pcap]     # default: captures/escape-injection.pcap
#   scripts/make-escape-capture.sh --html [OUT]   # default: captures/html-injection.pcap
#       the same connections carrying <script>, "><img onerror=...> and bidi controls
#       (tests/html_report.rs loads the --html page of it in a headless browser)
#
# Needs root (or CAP_NET_RAW) for tcpdump, and python3 (standard library only).
# Traffic: scripts/squirrel/escape_traffic.py (server on 127.0.0.1:<free port>, raw-socket
# client). Capture: tcpdump -i lo -w OUT -U --immediate-mode port PORT.
# Every process this script starts is stopped on exit.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TRAFFIC="$ROOT/scripts/squirrel/escape_traffic.py"
HTML=()
NAME=escape-injection
if [[ "${1:-}" == "--html" ]]; then
    HTML=(--html)
    NAME=html-injection
    shift
fi
OUT="${1:-$ROOT/captures/$NAME.pcap}"
PY="${PYTHON:-python3}"
LIMIT=20480

log() { printf 'make-escape-capture: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

[[ "${1:-}" == "-h" || "${1:-}" == "--help" ]] && { sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 0; }

# shellcheck source=lib/capture-work.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/capture-work.sh" escape-capture
trap 'exit 130' INT TERM

command -v tcpdump >/dev/null || {
    if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
        log "installing tcpdump with apt-get"
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq tcpdump >/dev/null
    else
        die "tcpdump is missing (Debian/Ubuntu: sudo apt-get install tcpdump)"
    fi
}
command -v "$PY" >/dev/null || die "$PY not found"

# Server first: it picks a free port and writes it to the ready file.
"$PY" "$TRAFFIC" "${HTML[@]}" server --ready-file "$WORK/port" --count 3 2>"$WORK/server.log" &
SRV_PID=$!
for _ in $(seq 50); do
    [[ -s "$WORK/port" ]] && break
    kill -0 "$SRV_PID" 2>/dev/null || { cat "$WORK/server.log" >&2; die "server exited early"; }
    sleep 0.1
done
PORT="$(cat "$WORK/port" 2>/dev/null)" || die "server did not start"
[[ "$PORT" =~ ^[0-9]+$ ]] || die "server wrote no port"
log "server on 127.0.0.1:$PORT"

mkdir -p "$(dirname "$OUT")"
rm -f "$OUT"
# --immediate-mode: on sandboxed kernels (gVisor) the default TPACKET_V3 block mode hands
# over nothing on lo. -U: every packet is written at once, so SIGINT leaves a whole file.
tcpdump -i lo -w "$OUT" -U --immediate-mode "tcp port $PORT" 2>"$WORK/capture.log" &
CAP_PID=$!
for i in $(seq 50); do
    kill -0 "$CAP_PID" 2>/dev/null || { cat "$WORK/capture.log" >&2; die "tcpdump exited early"; }
    grep -q "listening on" "$WORK/capture.log" && break
    [[ $i -eq 50 ]] && die "tcpdump did not start (see $WORK/capture.log)"
    sleep 0.1
done

rc=0
"$PY" "$TRAFFIC" "${HTML[@]}" client --port "$PORT" || rc=$?
wait "$SRV_PID" || rc=$?
SRV_PID=""
sleep 0.5 # the last FIN/ACKs
kill -INT "$CAP_PID"
wait "$CAP_PID" || true
CAP_PID=""
[[ $rc -eq 0 ]] || die "client or server failed (exit $rc)"

size=$(stat -c %s "$OUT")
[[ $size -lt $LIMIT ]] || die "$OUT is $size bytes (limit $LIMIT)"
log "wrote ${OUT#"$ROOT/"}: $size bytes, $(grep -o '[0-9]* packets captured' "$WORK/capture.log" || echo '? packets')"
