#!/usr/bin/env bash
# Write tests/fixtures/sack/: tshark 4.0's SACK edges (<dir>__<file>.tsv: -T fields -e
# frame.number -e tcp.options.sack_le -e tcp.options.sack_re, relative sequence numbers) for
# every capture with SACK blocks: captures/lossy/*.pcap (scripts/make-lossy-captures.py) and
# the corpus's five. tests/tcp_analysis_oracle.rs compares the SLE=/SRE= of squirrel-sniff's
# summary lines and the edges of its -V tree with them. Needs tshark; run from the
# repository root.
set -euo pipefail
command -v tshark >/dev/null || { echo "make-sack-fixtures: needs tshark" >&2; exit 1; }
out=tests/fixtures/sack
mkdir -p "$out"
corpus=../shared/corpus
for f in captures/lossy/*.pcap "$corpus"/tcp/out-of-order-tls-server-flight.pcap \
         "$corpus"/tcp/out-of-order-http-response.pcap "$corpus"/http/pipelined-many-requests.pcap \
         "$corpus"/tls/tls11-full-handshake.pcap "$corpus"/tls/tls13-hello-retry-request.pcap; do
  name="$(basename "$(dirname "$f")")__$(basename "$f").tsv"
  tshark -n -r "$f" -Y tcp.options.sack_le -T fields -e frame.number -e tcp.options.sack_le \
    -e tcp.options.sack_re -E occurrence=a -E aggregator=, 2>/dev/null >"$out/$name"
done
echo "make-sack-fixtures: $(ls "$out" | wc -l) fixtures in $out"
