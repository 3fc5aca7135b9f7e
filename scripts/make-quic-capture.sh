#!/usr/bin/env bash
# Regenerate tests/fixtures/quic/quic-h3.pcap and its key log quic-h3.keys: an HTTP/3 client
# and server on aioquic (scripts/squirrel/h3_pair.py) on 127.0.0.1:4443 — GET /secret.txt
# (the secret in the answer), POST /login with a password — the client logging its QUIC
# secrets. The client offers long ALPN values besides h3, so its ClientHello spans two
# Initial packets. tests/quic_capture.rs replays it; tshark's view with the keys is saved
# beside it as quic-h3.tshark.tsv (frame, protocol, info), the oracle of the test.
#
#   scripts/make-quic-capture.sh [OUT.pcap]     # default: tests/fixtures/quic/quic-h3.pcap
#
# Needs root (or CAP_NET_RAW) for tcpdump, openssl, python3; aioquic is installed from PyPI
# into a scratch virtualenv when python3 lacks it. Every process started is stopped on exit.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="${1:-$ROOT/tests/fixtures/quic/quic-h3.pcap}"
KEYS="${OUT%.pcap}.keys"
PORT=4443
PY="${PYTHON:-python3}"
# shellcheck source=lib/capture-work.sh
. "$ROOT/scripts/lib/capture-work.sh" quic-capture

if ! "$PY" -c 'import aioquic' 2>/dev/null; then
    "$PY" -m venv "$WORK/venv"
    PY="$WORK/venv/bin/python"
    "$PY" -m pip install --quiet 'aioquic==1.7.2'
fi
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
    -keyout "$WORK/key.pem" -out "$WORK/cert.pem" -subj "/CN=squirrels.test" \
    -addext "subjectAltName=DNS:squirrels.test" 2> /dev/null
"$PY" "$ROOT/scripts/squirrel/h3_pair.py" server "$PORT" "$WORK/cert.pem" "$WORK/key.pem" \
    > "$WORK/server.log" 2>&1 &
SRV_PID=$!
for _ in $(seq 100); do grep -q ready "$WORK/server.log" 2>/dev/null && break; sleep 0.1; done
tcpdump -i lo -w "$WORK/out.pcap" -U --immediate-mode "udp port $PORT" 2> "$WORK/tcpdump.log" &
CAP_PID=$!
sleep 1
"$PY" "$ROOT/scripts/squirrel/h3_pair.py" client "$PORT" "$WORK/keys.log"
sleep 1
kill -TERM "$CAP_PID"; wait "$CAP_PID" 2>/dev/null || true; CAP_PID=""
cp "$WORK/out.pcap" "$OUT"
cp "$WORK/keys.log" "$KEYS"
if command -v tshark >/dev/null; then
    tshark -r "$OUT" -n -o "tls.keylog_file:$KEYS" -T fields -e frame.number \
        -e _ws.col.Protocol -e _ws.col.Info 2>/dev/null > "${OUT%.pcap}.tshark.tsv"
fi
echo "make-quic-capture: wrote $OUT ($(stat -c %s "$OUT") bytes) and $KEYS" >&2
