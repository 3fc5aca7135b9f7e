#!/usr/bin/env bash
# tests/fixtures/follow-http/CAPTURE.STREAM.MODE.txt: tshark 4.0's `-q -z follow,http,ascii|hex,N`
# text, which tests/z_stats.rs compares ours with. Three edits, all said here:
#   - tshark's first line (empty, before the first ===== rule) is dropped (squirrel-sniff
#     prints its -q summary line after the streams instead; the test drops that);
#   - in ascii mode tshark writes the wire's CR bytes as they are (a terminal acts on them):
#     squirrel-sniff drops a CR right before a LF and shows any other CR as '.', so the same
#     is done here;
#   - captures on other ports than tshark's HTTP ports get tshark's decode-as (-d), as its
#     users give it: squirrel-sniff finds HTTP (and TLS) on any port by content.
# HTTPS captures are read with their key log (tshark -o tls.keylog_file:, ours --keylog).
# Needs tshark and ../shared/corpus. Run from anywhere; OUT=DIR writes elsewhere.
set -euo pipefail
cd "$(dirname "$0")/.."
corpus=${CORPUS:-../shared/corpus}
out=${OUT:-tests/fixtures/follow-http}
mkdir -p "$out"
follow() { # NAME PCAP STREAM MODES [tshark options…] (MODES: "ascii hex" or "ascii")
  local name=$1 pcap=$2 stream=$3 modes=$4; shift 4
  for mode in $modes; do
    tshark -n -q -r "$pcap" "$@" -z "follow,http,$mode,$stream" 2>/dev/null | sed '1{/^$/d}' |
      sed 's/\r$//' | tr '\r' '.' >"$out/$name.$stream.$mode.txt"
  done
}
follow get "$corpus/http/get.pcap" 0 "ascii hex"
# A gzip body: tshark shows it decompressed.
follow get-gzip "$corpus/http/get-gzip.pcap" 0 "ascii hex"
# Chunked bodies, shown de-chunked (the three long streams in ascii only: their hex text
# would take a megabyte).
follow chunked-responses "$corpus/http/chunked-responses.pcapng" 1 "ascii hex"
follow ipv6-multipart-post-chunked "$corpus/http/ipv6-multipart-post-chunked.pcap" 0 ascii
follow expect-100-continue-chunked "$corpus/http/expect-100-continue-chunked.pcap" 0 ascii
# Five requests on one connection; two pipelined in one segment.
follow keepalive-5-requests "$corpus/http/keepalive-5-requests.pcap" 0 ascii
follow pipelined-2-requests-one-segment "$corpus/http/pipelined-2-requests-one-segment.pcap" 0 "ascii hex"
follow post-form-urlencoded "$corpus/http/post-form-urlencoded.pcap" 0 "ascii hex"
follow post-port-8000-needs-decode-as "$corpus/http/post-port-8000-needs-decode-as.pcap" 0 "ascii hex" \
  -d tcp.port==8000,http
# The lesson's captures: plain HTTP on 5683, and HTTPS decrypted with its key log.
follow squirrel-http captures/squirrel-http.pcap 0 "ascii hex" -d tcp.port==5683,http
follow squirrel-https captures/squirrel-https.pcap 0 "ascii hex" -d tcp.port==5683,tls \
  -d tls.port==5683,http -o tls.keylog_file:captures/squirrel-https.keys
follow tls12-ecdhe-aesgcm "$corpus/decrypt/tls12-ecdhe-aesgcm.pcap" 0 "ascii hex" \
  -o "tls.keylog_file:$corpus/decrypt/tls12-ecdhe-aesgcm.keys"
echo "make-follow-http-fixtures: $(ls "$out" | wc -l) files in $out"
