#!/usr/bin/env bash
# Write tests/fixtures/lines/: tshark 4.0's summary lines (`tshark -n -r FILE`, with
# `-o tls.keylog_file:NAME.keys` when the capture has a key log beside it) for every corpus
# capture (../shared/corpus) and every captures/*.pcap, as <dir>__<file>.txt.
# tests/lines_oracle.rs compares the Protocol, Length and Info columns of squirrel-sniff's
# lines with them frame by frame; the frames known to differ are listed, with their class,
# in tests/fixtures/lines/known-differences.tsv. Needs tshark; run from the repository root.
set -euo pipefail
command -v tshark >/dev/null || { echo "make-lines-fixtures: needs tshark" >&2; exit 1; }
out=tests/fixtures/lines
mkdir -p "$out"
find "$out" -name '*.txt' -delete
for f in $(find ../shared/corpus -name '*.pcap' -o -name '*.pcapng' | sort) captures/*.pcap; do
  keys=()
  if [ -f "${f%.*}.keys" ]; then keys=(-o "tls.keylog_file:${f%.*}.keys"); fi
  name="$(basename "$(dirname "$f")")__$(basename "$f").txt"
  tshark -n -r "$f" "${keys[@]}" 2>/dev/null >"$out/$name" || true
done
echo "make-lines-fixtures: $(find "$out" -name '*.txt' | wc -l) fixtures in $out"
