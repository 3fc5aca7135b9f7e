#!/usr/bin/env bash
# Make the HTTP/2 test captures with real programs on loopback, and tshark's view of them.
#
#   scripts/make-h2-captures.sh [OUTDIR]     (default: tests/fixtures/h2)
#
# nghttpd (--no-tls, server push for /index.html) on 127.0.0.1:8091, nghttp as client,
# captured with tcpdump. Needs nghttp2-client and nghttp2-server (apt), tcpdump, tshark.
#   OUTDIR/h2c-nghttp.pcap   one connection per client run:
#       1. GET /index.html with server push of /style.css
#       2. 12 concurrent GETs of /secret.txt on one connection (-m 12)
#       3. a gRPC-style POST (content-type application/grpc) of a 3 kB body
#       4. a GET with a 40 kB header, so the block goes over HEADERS + CONTINUATION
# (nghttpd answers the h2c Upgrade with its SETTINGS, so the Upgrade case is in the corpus's
# h2c-upgrade.pcap, made with hypercorn, instead.)
#   OUTDIR/h2c-nghttp.tshark.tsv   tshark -T fields per HTTP/2 frame (the oracle):
#       frame, tcp.stream, http2.streamid, http2.type, header names, header values
#       (several values in one packet joined by |)
#   OUTDIR/h2c-nghttp.tshark.info   tshark's packet list: frame number, Protocol, Info
# Every process this script starts is stopped on exit.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="${1:-$ROOT/tests/fixtures/h2}"
PORT=8091
WORK="$(mktemp -d)"
PIDS=()
cleanup() {
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    rm -rf "$WORK"
}
trap cleanup EXIT

for t in nghttp nghttpd tcpdump tshark; do
    command -v "$t" >/dev/null || { echo "make-h2-captures: $t is needed" >&2; exit 1; }
done
mkdir -p "$OUT" "$WORK/www"
printf '<html><link rel=stylesheet href=/style.css><p>squirrels</p></html>\n' >"$WORK/www/index.html"
printf 'p { color: brown }\n' >"$WORK/www/style.css"
printf 'the secret is: fluffy tail\n' >"$WORK/www/secret.txt"
printf '<p>echo</p>\n' >"$WORK/www/grpc"
# One gRPC length-prefixed message: flag 0, length 2995, the bytes.
{ printf '\000\000\000\013\263'; head -c 2995 /dev/zero | tr '\0' 'g'; } >"$WORK/post.bin"

nghttpd --no-tls --address=127.0.0.1 -d "$WORK/www" -p /index.html=/style.css "$PORT" >/dev/null 2>&1 &
PIDS+=($!)
sleep 0.5
tcpdump -i lo -U -w "$WORK/cap.pcap" "tcp port $PORT" >/dev/null 2>&1 &
TCPDUMP=$!
PIDS+=("$TCPDUMP")
sleep 1

URL="http://127.0.0.1:$PORT"
nghttp -n "$URL/index.html"
nghttp -n -m 12 "$URL/secret.txt"
nghttp -n -d "$WORK/post.bin" -H 'content-type: application/grpc' "$URL/grpc"
nghttp -n -H "x-big: $(head -c 40000 /dev/zero | tr '\0' 'b')" "$URL/secret.txt"
sleep 1
kill "$TCPDUMP"
wait "$TCPDUMP" 2>/dev/null || true

cp "$WORK/cap.pcap" "$OUT/h2c-nghttp.pcap"
# tshark decodes the port as HTTP/2 (h2c prior knowledge is found by its heuristics too).
tshark -r "$OUT/h2c-nghttp.pcap" -n -d "tcp.port==$PORT,http2" -Y http2 -T fields \
    -E separator=/t -E occurrence=a -E "aggregator=|" \
    -e frame.number -e tcp.stream -e http2.streamid -e http2.type \
    -e http2.header.name -e http2.header.value >"$OUT/h2c-nghttp.tshark.tsv"
tshark -r "$OUT/h2c-nghttp.pcap" -n -d "tcp.port==$PORT,http2" -T fields -E separator=/t \
    -e frame.number -e _ws.col.Protocol -e _ws.col.Info >"$OUT/h2c-nghttp.tshark.info"
echo "make-h2-captures: $(wc -l <"$OUT/h2c-nghttp.tshark.tsv") HTTP/2 packets in $OUT/h2c-nghttp.pcap" >&2
