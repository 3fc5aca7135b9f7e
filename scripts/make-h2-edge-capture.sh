#!/usr/bin/env bash
# Make captures/h2/h2c-edge-frames.pcap: one cleartext HTTP/2 connection on 127.0.0.1:8092
# whose frames scripts/make-h2-edge-capture.py writes by hand (padding, CONTINUATION,
# trailers, PUSH_PROMISE, RST_STREAM, WINDOW_UPDATE, PRIORITY, PING, an unknown type,
# GOAWAY), captured with tcpdump. Needs tcpdump and python3 with the `hpack` package
# (pip install h2). tshark reads it with -d tcp.port==8092,http2.
#
#   scripts/make-h2-edge-capture.sh [OUT.pcap]
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-captures/h2/h2c-edge-frames.pcap}
PY=${PYTHON:-python3}
"$PY" -c 'import hpack' || { echo "make-h2-edge-capture: python3 needs hpack (pip install h2)" >&2; exit 1; }
. scripts/lib/capture-work.sh h2-edge
mkdir -p "$(dirname "$out")"
tcpdump -i lo -U -w "$WORK/cap.pcap" "tcp port 8092" >/dev/null 2>&1 &
CAP_PID=$!
sleep 1
"$PY" scripts/make-h2-edge-capture.py 8092
sleep 1
kill -TERM "$CAP_PID"
wait "$CAP_PID" 2>/dev/null || true
CAP_PID=""
cp "$WORK/cap.pcap" "$out"
echo "make-h2-edge-capture: $(tcpdump -r "$out" 2>/dev/null | wc -l) packets in $out"
