#!/usr/bin/env bash
# Regenerate captures/tls-mixed.pcap: two HTTPS connections to one server on loopback, the
# case a per-capture verdict used to get wrong — `curl -k` completes a TLS 1.3 exchange
# (200 OK, some kB of encrypted data), then a plain `curl` refuses the same server's
# certificate (its CA is a throwaway one made here) with a fatal unknown_ca alert.
#
#   scripts/make-mixed-capture.sh [OUT.pcap]     # default: captures/tls-mixed.pcap
#
# Needs root (or CAP_NET_RAW) for tcpdump, openssl and curl. Server: `openssl s_server
# -www` on 127.0.0.1:<PORT>. Capture: tcpdump -i lo -w OUT -U --immediate-mode port PORT.
# Every process this script starts is stopped on exit.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="${1:-$ROOT/captures/tls-mixed.pcap}"
PORT="${PORT:-5684}"

log() { printf 'make-mixed-capture: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

for tool in tcpdump openssl curl; do
    command -v "$tool" >/dev/null || die "$tool is missing (Debian/Ubuntu: apt-get install $tool)"
done

# shellcheck source=lib/capture-work.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/capture-work.sh" mixed-capture
trap 'exit 130' INT TERM

# A throwaway CA and a server certificate for localhost signed by it.
cd "$WORK"
openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 3650 \
    -subj "/O=Throwaway Squirrels/CN=Throwaway Squirrels CA" 2>/dev/null
openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr \
    -subj "/O=Throwaway Squirrels/CN=localhost" 2>/dev/null
printf 'subjectAltName=DNS:localhost\nbasicConstraints=CA:FALSE\n' >ext.cnf
openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out server.crt \
    -days 3650 -extfile ext.cnf 2>/dev/null

openssl s_server -accept "127.0.0.1:$PORT" -cert server.crt -key server.key -www -quiet \
    </dev/null >server.log 2>&1 &
SRV_PID=$!
for _ in $(seq 50); do
    (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break
    kill -0 "$SRV_PID" 2>/dev/null || { cat server.log >&2; die "server exited early"; }
    sleep 0.1
done

mkdir -p "$(dirname "$OUT")"
rm -f "$OUT"
tcpdump -i lo -w "$OUT" -U --immediate-mode "tcp port $PORT" 2>capture.log &
CAP_PID=$!
for i in $(seq 50); do
    kill -0 "$CAP_PID" 2>/dev/null || { cat capture.log >&2; die "tcpdump exited early"; }
    grep -q "listening on" capture.log && break
    [[ $i -eq 50 ]] && die "tcpdump did not start"
    sleep 0.1
done

# 1: completes (certificate not checked); 2: refused (the CA is unknown to the system).
curl -sS -k --tlsv1.3 -o /dev/null -w 'curl -k: HTTP %{http_code}, %{size_download} bytes\n' \
    "https://localhost:$PORT/" >&2 || die "curl -k failed"
if curl -sS --tlsv1.3 -o /dev/null "https://localhost:$PORT/" 2>curl2.log; then
    die "the second curl should have refused the certificate"
fi
log "curl without -k: $(head -1 curl2.log)"
sleep 0.5
kill -INT "$CAP_PID"
wait "$CAP_PID" || true
CAP_PID=""
log "wrote $OUT: $(stat -c %s "$OUT") bytes, $(grep -o '[0-9]* packets captured' capture.log || echo '? packets')"
