#!/usr/bin/env bash
# Regenerate captures/ from real programs on loopback: the "Secret Squirrels" tutorial.
#
#   scripts/make-captures.sh              # every capture
#   scripts/make-captures.sh http login   # only these (names below)
#   scripts/make-captures.sh --list
#
# Names: http fernet https https-tls12 https-badca https-badca-tls12 login
#   -> captures/squirrel-NAME.pcap (+ captures/squirrel-NAME.keys for https*)
#
# Environment:
#   SQUIRREL_SNIFF=/path/to/squirrel-sniff   capture with `$SQUIRREL_SNIFF -i lo -w FILE --port 5683`
#                                            instead of `tcpdump -i lo -w FILE -U --immediate-mode port 5683`
#   PYTHON=python3                           interpreter used to create scripts/.venv
#   NEW_PKI=1                                make a new CA + server certificate even if scripts/work/pki exists
#
# Everything runs on 127.0.0.1:5683. Every process this script starts is stopped on exit.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SCRIPTS="$ROOT/scripts"
OUT="$ROOT/captures"
WORK="$SCRIPTS/work"
VENV="$SCRIPTS/.venv"
PY="$VENV/bin/python"
PORT=5683
ALL=(http fernet https https-tls12 https-badca https-badca-tls12 login)

log() { printf 'make-captures: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

# ---------------------------------------------------------------- arguments
if [[ "${1:-}" == "--list" ]]; then printf '%s\n' "${ALL[@]}"; exit 0; fi
if [[ "${1:-}" == "-h" || "${1:-}" == "--help" ]]; then sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0; fi
WANT=("$@")
[[ ${#WANT[@]} -eq 0 ]] && WANT=("${ALL[@]}")
for w in "${WANT[@]}"; do
    [[ " ${ALL[*]} " == *" $w "* ]] || die "unknown capture '$w' (known: ${ALL[*]})"
done

# ---------------------------------------------------------------- cleanup
# PIDs of every background process we start; all are stopped on exit.
PIDS=()
cleanup() {
    local pid
    for pid in "${PIDS[@]}"; do
        if kill -0 "$pid" 2>/dev/null; then
            kill -TERM "$pid" 2>/dev/null || true
            wait "$pid" 2>/dev/null || true
        fi
    done
    PIDS=()
}
trap cleanup EXIT
trap 'exit 130' INT TERM

forget_pid() {
    local keep=() p
    for p in "${PIDS[@]}"; do [[ "$p" == "$1" ]] || keep+=("$p"); done
    PIDS=("${keep[@]+"${keep[@]}"}")
}

# ---------------------------------------------------------------- tools
ensure_capture_tool() {
    if [[ -n "${SQUIRREL_SNIFF:-}" ]]; then
        [[ -x "$SQUIRREL_SNIFF" ]] || die "SQUIRREL_SNIFF=$SQUIRREL_SNIFF is not an executable"
        return
    fi
    command -v tcpdump >/dev/null && return
    if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
        log "installing tcpdump with apt-get"
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq tcpdump >/dev/null
    else
        die "tcpdump is missing: install it (Debian/Ubuntu: sudo apt-get install tcpdump), or set SQUIRREL_SNIFF"
    fi
}

ensure_venv() {
    if [[ ! -x "$PY" ]]; then
        log "creating $VENV"
        "${PYTHON:-python3}" -m venv "$VENV"
    fi
    # Quick no-op when everything is already at the pinned versions.
    "$PY" -m pip install -q --disable-pip-version-check -r "$SCRIPTS/requirements.txt"
}

# CAPTURE_CMD: the capture command for one output file, as an array.
# Swap here (or with SQUIRREL_SNIFF) to capture with another tool.
capture_cmd() {
    local file="$1"
    if [[ -n "${SQUIRREL_SNIFF:-}" ]]; then
        CAPTURE_CMD=("$SQUIRREL_SNIFF" -i lo -w "$file" --port "$PORT")
    else
        # -U: write each packet as it arrives, so SIGINT leaves a complete file.
        # --immediate-mode: hand packets over at once instead of in TPACKET_V3
        # blocks. Under some sandboxed kernels (gVisor) the block mode delivers
        # nothing at all on lo ("0 packets captured"); it is harmless elsewhere.
        CAPTURE_CMD=(tcpdump -i lo -w "$file" -U --immediate-mode port "$PORT")
    fi
}

# ---------------------------------------------------------------- processes
CAP_PID=""
start_capture() {
    local file="$1" errlog="$WORK/logs/$2.capture.log"
    rm -f "$file"
    capture_cmd "$file"
    log "capture: ${CAPTURE_CMD[*]}"
    "${CAPTURE_CMD[@]}" 2>"$errlog" &
    CAP_PID=$!
    PIDS+=("$CAP_PID")
    # tcpdump says "listening on lo" once the capture is armed; other tools
    # get a fixed grace period.
    local i
    for i in $(seq 50); do
        kill -0 "$CAP_PID" 2>/dev/null || { cat "$errlog" >&2; die "capture command exited early"; }
        if [[ -z "${SQUIRREL_SNIFF:-}" ]] && grep -q "listening on" "$errlog"; then return; fi
        [[ -n "${SQUIRREL_SNIFF:-}" && $i -ge 10 ]] && return
        sleep 0.1
    done
    die "capture did not start (see $errlog)"
}

stop_capture() {
    # Let the last FIN/ACKs reach the wire, then stop cleanly with SIGINT so
    # the file is flushed and closed.
    sleep 0.5
    kill -INT "$CAP_PID"
    wait "$CAP_PID" || true
    forget_pid "$CAP_PID"
    CAP_PID=""
}

SRV_PID=""
start_server() {
    local name="$1"; shift
    local ready="$WORK/run/$name.ready"
    rm -f "$ready"
    port_free || die "127.0.0.1:$PORT is already in use"
    "$PY" "$SCRIPTS/squirrel/app.py" --port "$PORT" --ready-file "$ready" "$@" \
        >"$WORK/logs/$name.server.log" 2>&1 &
    SRV_PID=$!
    PIDS+=("$SRV_PID")
    local i
    for i in $(seq 100); do
        [[ -f "$ready" ]] && return
        kill -0 "$SRV_PID" 2>/dev/null || { cat "$WORK/logs/$name.server.log" >&2; die "server exited early"; }
        sleep 0.1
    done
    die "server did not start (see $WORK/logs/$name.server.log)"
}

stop_server() {
    kill -TERM "$SRV_PID" 2>/dev/null || true
    wait "$SRV_PID" 2>/dev/null || true
    forget_pid "$SRV_PID"
    SRV_PID=""
}

# Is nothing listening on 127.0.0.1:PORT? (Checked without connecting.)
port_free() {
    "$PY" - "$PORT" <<'PYEOF'
import socket, sys
s = socket.socket()
# SO_REUSEADDR as the server uses it: connections in TIME_WAIT from the
# previous capture do not count, only a listening socket does.
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
try:
    s.bind(("127.0.0.1", int(sys.argv[1])))
except OSError:
    sys.exit(1)
finally:
    s.close()
PYEOF
}

# ---------------------------------------------------------------- inputs
ensure_pki() {
    local pki="$WORK/pki"
    if [[ -n "${NEW_PKI:-}" || ! -f "$pki/server.crt" ]]; then
        rm -rf "$pki"
        log "making a new PKI in $pki"
        "$PY" "$SCRIPTS/squirrel/pki.py" "$pki"
        # Public certificates only; the keys stay in scripts/work (gitignored).
        mkdir -p "$OUT/pki"
        cp "$pki/ca.crt" "$pki/server.crt" "$OUT/pki/"
        PKI_IS_NEW=1
    fi
}

ensure_fernet_key() {
    # A fixed teaching key, committed: captures/fernet.key.
    if [[ ! -f "$OUT/fernet.key" ]]; then
        log "no $OUT/fernet.key: making one"
        "$PY" -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())' >"$OUT/fernet.key"
    fi
}

# ---------------------------------------------------------------- one capture
# run_capture NAME CLIENT_ARGS... -- SERVER_ARGS...
run_capture() {
    local name="$1"; shift
    local client=() server=()
    while [[ $# -gt 0 && "$1" != "--" ]]; do client+=("$1"); shift; done
    shift
    server=("$@")
    local pcap="$OUT/squirrel-$name.pcap" keys=""
    log "=== $name -> ${pcap#"$ROOT/"}"
    start_server "$name" "${server[@]}"
    start_capture "$pcap" "$name"
    local env=()
    if [[ "$name" == https* ]]; then
        keys="$OUT/squirrel-$name.keys"
        rm -f "$keys"
        env=(SSLKEYLOGFILE="$keys")
    fi
    # pipefail: rc is the client's exit status, not tee's.
    local rc=0
    env "${env[@]+"${env[@]}"}" "$PY" "$SCRIPTS/squirrel/client.py" "${client[@]}" \
        2>&1 | tee "$WORK/logs/$name.client.log" || rc=$?
    stop_capture
    stop_server
    [[ $rc -eq 0 ]] || die "$name: client did not get the expected result (exit $rc)"
    if [[ -n "$keys" && ! -s "$keys" ]]; then die "$name: no TLS key log was written to $keys"; fi
    local size
    size=$(stat -c %s "$pcap")
    [[ $size -lt 102400 ]] || die "$name: capture is $size bytes (limit 100 KB)"
    log "$name: $size bytes${keys:+, key log $(wc -l <"$keys") lines}"
}

# ---------------------------------------------------------------- main
mkdir -p "$WORK/logs" "$WORK/run" "$OUT"
ensure_capture_tool
ensure_venv
ensure_fernet_key
PKI_IS_NEW=""
for w in "${WANT[@]}"; do
    if [[ "$w" == https* ]]; then ensure_pki; break; fi
done
if [[ -n "$PKI_IS_NEW" && ${#WANT[@]} -lt ${#ALL[@]} ]]; then
    log "note: a new CA was made; HTTPS captures not regenerated now still use the old one"
fi

PKI="$WORK/pki"
for w in "${WANT[@]}"; do
    case "$w" in
    http)
        run_capture http http -- --mode http ;;
    fernet)
        run_capture fernet fernet --fernet-key "$OUT/fernet.key" -- \
            --mode fernet --fernet-key "$OUT/fernet.key" ;;
    https)
        run_capture https https --ca "$PKI/ca.crt" -- \
            --mode https --cert "$PKI/server.crt" --key "$PKI/server.key" ;;
    https-tls12)
        run_capture https-tls12 https --ca "$PKI/ca.crt" -- \
            --mode https --cert "$PKI/server.crt" --key "$PKI/server.key" --tls-max 1.2 ;;
    https-badca)
        run_capture https-badca https --no-ca -- \
            --mode https --cert "$PKI/server.crt" --key "$PKI/server.key" ;;
    https-badca-tls12)
        run_capture https-badca-tls12 https --no-ca -- \
            --mode https --cert "$PKI/server.crt" --key "$PKI/server.key" --tls-max 1.2 ;;
    login)
        run_capture login login -- --mode login ;;
    esac
done
log "done: ${WANT[*]}"
