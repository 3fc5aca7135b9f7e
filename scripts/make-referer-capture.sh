#!/usr/bin/env bash
# Write captures/http-seq/referers.pcap: curl 7.88 sends requests whose Referer fields form
# chains, to Python's http.server on 127.0.0.1:80 — a page and what it loads, a chain four
# deep, the same URI under two Referers, a Referer that names itself, one from another host,
# a request without one, a repeat — the cases tshark's `-z http_seq,tree` tells apart.
# tshark is the oracle: scripts/make-z-http-seq-fixtures.sh writes its view. Needs root
# (tcpdump, port 80), curl, python3, tcpdump; every process it starts is stopped on exit.
# Run from the repository root: scripts/make-referer-capture.sh
set -euo pipefail
for t in curl python3 tcpdump; do
  command -v "$t" >/dev/null || { echo "make-referer-capture: needs $t" >&2; exit 1; }
done
# $WORK, and the server and capture stopped on exit.
. "$(dirname "$0")/lib/capture-work.sh" referers
mkdir -p captures/http-seq
(cd "$WORK" && exec python3 -m http.server 80 --bind 127.0.0.1 >/dev/null 2>&1) & SRV_PID=$!
for _ in $(seq 50); do curl -s -o /dev/null http://127.0.0.1/ && break; sleep 0.1; done
tcpdump -i lo -U --immediate-mode -w captures/http-seq/referers.pcap 'tcp port 80' \
  2>"$WORK/tcpdump.err" & CAP_PID=$!
for _ in $(seq 50); do grep -q listening "$WORK/tcpdump.err" && break; sleep 0.1; done
u=http://127.0.0.1
req() { curl -s -o /dev/null -e "$1" "$u$2"; }
req "$u/A" /B; req "$u/A" /C; req "$u/B" /D; req "$u/D" /E
req "$u/X" /B; req "$u/B" /F; curl -s -o /dev/null "$u/none"
req "$u/A" /B; req "$u/S" /S; req "http://other.example/p" /Q
req "$u/C" /A; req "$u/A" /G; req "$u/G" /A; req "$u/A" /H
sleep 0.5
kill "$CAP_PID"; wait "$CAP_PID" 2>/dev/null || true
ls -l captures/http-seq/referers.pcap
