#!/usr/bin/env bash
# Write tests/fixtures/z-http2/<dir>__<file>.txt: tshark 4.0's HTTP/2 frame tree
# (`tshark -n -r F -q -z http2,tree`: the HTTP/2 frames by type) for the corpus captures that
# carry HTTP/2 (h2 in TLS with the key log, and in its pcapng Decryption Secrets Block copy;
# h2c by prior knowledge and by Upgrade; Chromium's TLS 1.3 with ECH GREASE) and one bundled
# capture without any; and, in one run, a tree with a filter after it and one without
# (captures read with the key log beside them). tests/z_stats.rs compares our
# `-z http2,tree` with them byte for byte. Needs tshark; run from the repository root.
set -euo pipefail
command -v tshark >/dev/null || { echo "make-z-http2-fixtures: needs tshark" >&2; exit 1; }
out=tests/fixtures/z-http2
mkdir -p "$out"
corpus=../shared/corpus
tree() { # tree FILE OUT -z …: with FILE's key log when there is one
  local f=$1 o=$2; shift 2
  local keys=()
  if [ -f "${f%.*}.keys" ]; then keys=(-o "tls.keylog_file:${f%.*}.keys"); fi
  tshark -n -r "$f" "${keys[@]}" -q "$@" 2>/dev/null | grep -v '^Running as user' >"$o"
}
for f in "$corpus"/decrypt/{h2-tls,h2c-prior-knowledge,h2c-upgrade,tls13-ech-grease}.pcap \
         "$corpus"/decrypt/h2-tls.dsb.pcapng captures/squirrel-https.pcap; do
  tree "$f" "$out/$(basename "$(dirname "$f")")__$(basename "$f").txt" -z http2,tree
done
tree "$corpus/decrypt/h2c-prior-knowledge.pcap" "$out/filter__h2c-prior-knowledge.pcap.txt" \
  -z 'http2,tree,http2.streamid == 1' -z http2,tree
echo "make-z-http2-fixtures: $(ls "$out" | wc -l) fixtures in $out"
