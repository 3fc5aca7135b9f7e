#!/usr/bin/env bash
# Write tests/fixtures/export-objects/<dir>__<file>.tsv: what `tshark --export-objects
# http,DIR` writes for a few corpus and bundled captures — one line per file: name, size,
# SHA-256 — which tests/export_objects.rs compares with squirrel-sniff's --export-objects.
# Only captures where tshark 4.0 names every object as its own rules say are listed (its
# pipelined-request pairing and its export of unparsed request lines differ on purpose:
# docs/robustness.md). Needs tshark; run from the repository root.
set -euo pipefail
command -v tshark >/dev/null || { echo "make-export-fixtures: needs tshark" >&2; exit 1; }
out=tests/fixtures/export-objects
mkdir -p "$out"
corpus=../shared/corpus
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
while read -r file keys; do
  name="$(basename "$(dirname "$file")")__$(basename "$file").tsv"
  dir="$work/$name"
  opts=()
  [ -n "$keys" ] && opts=(-o "tls.keylog_file:$keys")
  tshark -n -r "$file" "${opts[@]}" -q --export-objects "http,$dir" 2>/dev/null
  mkdir -p "$dir"
  (cd "$dir" && for f in *; do
     [ -e "$f" ] || continue
     printf '%s\t%s\t%s\n' "$f" "$(stat -c %s -- "$f")" "$(sha256sum -- "$f" | cut -d' ' -f1)"
   done) | LC_ALL=C sort >"$out/$name"
done <<LIST
$corpus/http/basic-auth-port-8000.pcap
$corpus/http/expect-100-continue-chunked.pcap
$corpus/http/get.pcap
$corpus/http/get-gzip.pcap
$corpus/http/ipv6-multipart-post-chunked.pcap
$corpus/http/keepalive-5-requests.pcap
$corpus/http/large-request-port-8001.pcap
$corpus/http/post-form-urlencoded.pcap
$corpus/decrypt/tls12-ecdhe-aesgcm.pcap $corpus/decrypt/tls12-ecdhe-aesgcm.keys
$corpus/decrypt/tls13-aes128.pcap $corpus/decrypt/tls13-aes128.keys
$corpus/decrypt/tls12-cbc-sha.pcap $corpus/decrypt/tls12-cbc-sha.keys
LIST
echo "make-export-fixtures: $(ls "$out" | wc -l) fixtures in $out"
