#!/usr/bin/env bash
# Write tests/fixtures/z-http-seq/<dir>__<file>.txt: tshark 4.0's Referer tree (`tshark -n -r
# F -q -z http_seq,tree`) for captures/http-seq/referers.pcap (scripts/make-referer-capture.sh)
# and the two corpus captures with Referer fields, and one with HTTP but no Referer (no
# filter case: tshark 4.0.17 aborts on an assertion in stats_tree.c when this tree is given a
# filter that leaves out a frame). tests/z_stats.rs compares our
# `-z http_seq,tree` with them byte for byte. Needs tshark; run from the repository root.
set -euo pipefail
command -v tshark >/dev/null || { echo "make-z-http-seq-fixtures: needs tshark" >&2; exit 1; }
out=tests/fixtures/z-http-seq
mkdir -p "$out"
corpus=../shared/corpus
for f in captures/http-seq/referers.pcap "$corpus"/http/{keepalive-5-requests,get}.pcap \
         "$corpus"/http/chunked-responses.pcapng; do
  tshark -n -r "$f" -q -z http_seq,tree 2>/dev/null | grep -v '^Running as user' \
    >"$out/$(basename "$(dirname "$f")")__$(basename "$f").txt"
done
echo "make-z-http-seq-fixtures: $(ls "$out" | wc -l) fixtures in $out"
