#!/usr/bin/env bash
# Write tests/fixtures/z-credentials/: tshark 4.0's `-z credentials` table (<dir>__<file>.txt)
# for the captures with HTTP credentials (captures/http-auth.pcap and https-auth.pcap, made by
# scripts/make-auth-captures.sh; the login and injection captures; the corpus's Basic auth on
# port 8000) and one without, and its `http.authbasic` field (<file>.authbasic.tsv: -T fields
# -e frame.number -e http.authbasic -E occurrence=a -E aggregator=,) for the two auth
# captures. Key-logged captures are read with their NAME.keys; captures/squirrel-login.pcap
# with `-d tcp.port==5683,http` (tshark reads HTTP on its own ports only). tests/z_stats.rs
# compares squirrel-sniff with them. Needs tshark; run from the repository root.
set -euo pipefail
command -v tshark >/dev/null || { echo "make-z-credentials-fixtures: needs tshark" >&2; exit 1; }
out=tests/fixtures/z-credentials
mkdir -p "$out"
corpus=../shared/corpus
opts_for() { # the tshark options a capture needs
  local f=$1
  if [ -f "${f%.*}.keys" ]; then echo "-o tls.keylog_file:${f%.*}.keys"; fi
  case $f in *squirrel-login.pcap) echo "-d tcp.port==5683,http" ;; esac
}
for f in captures/{http-auth,https-auth,squirrel-login,html-injection,escape-injection,squirrel-http}.pcap \
         "$corpus/http/basic-auth-port-8000.pcap"; do
  name="$(basename "$(dirname "$f")")__$(basename "$f").txt"
  # shellcheck disable=SC2046
  tshark -n -r "$f" $(opts_for "$f") -q -z credentials 2>/dev/null \
    | grep -av '^Running as user' >"$out/$name"
done
for f in captures/{http-auth,https-auth}.pcap; do
  # shellcheck disable=SC2046
  tshark -n -r "$f" $(opts_for "$f") -T fields -e frame.number -e http.authbasic \
    -E occurrence=a -E aggregator=, 2>/dev/null >"$out/$(basename "${f%.*}").authbasic.tsv"
done
echo "make-z-credentials-fixtures: $(ls "$out" | wc -l) fixtures in $out"
