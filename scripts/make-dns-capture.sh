#!/usr/bin/env bash
# Regenerate captures/dns-udp-tcp.pcap: dig (BIND 9) against a small DNS server
# (scripts/squirrel/dns_server.py, standard library only) on 127.0.0.1:5300, over UDP and
# over TCP (+tcp, two queries on one connection with +keepopen): A, AAAA, TXT (the secret),
# CNAME, MX, SRV, HTTPS, PTR, NXDOMAIN with SOA, and a TXT carrying an API key (what a DNS
# tunnel leaks). tests/corpus_dns_quic.rs replays it and compares the summary lines with
# tshark's, saved beside it as dns-udp-tcp.tshark.tsv.
#
#   scripts/make-dns-capture.sh [OUT.pcap]     # default: captures/dns-udp-tcp.pcap
#
# Needs root (or CAP_NET_RAW) for tcpdump, dig (apt-get install bind9-dnsutils), python3.
# Every process this script starts is stopped on exit.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="${1:-$ROOT/captures/dns-udp-tcp.pcap}"
PORT=5300
PY="${PYTHON:-python3}"
# shellcheck source=lib/capture-work.sh
. "$ROOT/scripts/lib/capture-work.sh" dns-capture

command -v dig >/dev/null || { echo "make-dns-capture: dig missing (apt-get install bind9-dnsutils)" >&2; exit 1; }
"$PY" "$ROOT/scripts/squirrel/dns_server.py" "$PORT" > "$WORK/server.log" 2>&1 &
SRV_PID=$!
for _ in $(seq 50); do grep -q ready "$WORK/server.log" 2>/dev/null && break; sleep 0.1; done
tcpdump -i lo -w "$WORK/out.pcap" -U --immediate-mode "port $PORT" 2> "$WORK/tcpdump.log" &
CAP_PID=$!
sleep 1
Z=secret-squirrel.example
D=(dig @127.0.0.1 -p "$PORT" +tries=1 +time=2 +noedns)
"${D[@]}" "$Z" A > /dev/null
"${D[@]}" "$Z" AAAA > /dev/null
"${D[@]}" "$Z" TXT > /dev/null
"${D[@]}" "www.$Z" A > /dev/null
"${D[@]}" "$Z" MX > /dev/null
"${D[@]}" "_http._tcp.$Z" SRV > /dev/null
"${D[@]}" "$Z" HTTPS > /dev/null
"${D[@]}" -x 127.0.0.42 > /dev/null
"${D[@]}" "nosuch.$Z" A > /dev/null
"${D[@]}" +tcp +keepopen "tunnel.$Z" TXT "$Z" A > /dev/null
"${D[@]}" +tcp "$Z" TXT > /dev/null
sleep 1
kill -TERM "$CAP_PID"; wait "$CAP_PID" 2>/dev/null || true; CAP_PID=""
cp "$WORK/out.pcap" "$OUT"
# tshark's summary lines, the oracle of the test (tshark needs decode-as off port 53).
if command -v tshark >/dev/null; then
    tshark -r "$OUT" -n -d udp.port==$PORT,dns -d tcp.port==$PORT,dns -Y dns \
        -T fields -e frame.number -e _ws.col.Info 2>/dev/null > "${OUT%.pcap}.tshark.tsv"
fi
echo "make-dns-capture: wrote $OUT ($(stat -c %s "$OUT") bytes)" >&2
