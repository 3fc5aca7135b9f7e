#!/usr/bin/env bash
# tests/fixtures/follow-http2/CAPTURE.TCP.ID.MODE[.FIRST-LAST].txt: tshark 4.0's
# `-q -z follow,http2,ascii|hex,TCP,ID[,FIRST-LAST]` text, which tests/z_stats.rs compares
# ours with, for every HTTP/2 capture of the corpus and the bundled ones: every (TCP stream,
# HTTP/2 stream) pair tshark sees in them (stream 0, the connection's, included) in both
# modes, one stream id the connection does not have, and chunk ranges. A stream whose text
# is over 32 KiB gets chunk ranges instead of its whole text: in hex its first and its last
# chunk (the offsets go on over the chunks not shown), in ascii its 2nd and 3rd (one such
# stream is kept whole in ascii).
# Edits, the same as make-follow-http-fixtures.sh's:
#   - tshark's first line (empty, before the first ===== rule) is dropped (squirrel-sniff
#     prints its -q summary line after the stream instead; the test drops that);
#   - in ascii mode tshark writes the wire's CR bytes as they are: squirrel-sniff drops a CR
#     right before a LF and shows any other CR as '.', so the same is done here.
# Decryption: tshark -o tls.keylog_file: (ours --keylog); the .dsb.pcapng copy carries its
# keys. The h2c captures on ports tshark does not take for HTTP/2 get tshark's decode-as;
# squirrel-sniff finds HTTP/2 by its preface and SETTINGS.
# Needs tshark and ../shared/corpus. Run from anywhere; OUT=DIR writes elsewhere.
set -euo pipefail
cd "$(dirname "$0")/.."
corpus=${CORPUS:-../shared/corpus}
dec=$corpus/decrypt
out=${OUT:-tests/fixtures/follow-http2}
mkdir -p "$out"
rm -f "$out"/*.txt

# one NAME PCAP TCP ID MODE RANGE [tshark options…] (RANGE: "" or FIRST-LAST)
one() {
  local name=$1 pcap=$2 tcp=$3 id=$4 mode=$5 range=$6; shift 6
  local z="follow,http2,$mode,$tcp,$id" file="$out/$name.$tcp.$id.$mode.txt"
  if [ -n "$range" ]; then
    z="$z,$range"
    file="$out/$name.$tcp.$id.$mode.$range.txt"
  fi
  tshark -n -q -r "$pcap" "$@" -z "$z" 2>/dev/null | sed '1{/^$/d}' >"$file.tmp"
  if [ "$mode" = ascii ]; then
    sed 's/\r$//' "$file.tmp" | tr '\r' '.' >"$file"
    rm "$file.tmp"
  else
    mv "$file.tmp" "$file"
  fi
}

# every NAME PCAP [tshark options…]: each (TCP stream, HTTP/2 stream) pair tshark sees.
every() {
  local name=$1 pcap=$2; shift 2
  local pairs
  pairs=$(tshark -n -r "$pcap" "$@" -Y http2 -T fields -e tcp.stream -e http2.streamid \
    2>/dev/null | awk -F'\t' '{n = split($2, a, ","); for (i = 1; i <= n; i++) print $1, a[i]}' |
    sort -u -n -k1,1 -k2,2)
  while read -r tcp id; do
    # tshark's gRPC dissector fails an assertion on the response's DATA frame here (packet
    # 32: "The content_type and path of grpc context must be set") and the frame is left
    # out of its follow text; squirrel-sniff shows it (docs/zstats.md).
    [ "$name.$tcp.$id" = h2c-nghttp.2.13 ] && continue
    one "$name" "$pcap" "$tcp" "$id" ascii "" "$@"
    local size
    size=$(wc -c <"$out/$name.$tcp.$id.ascii.txt")
    if [ "$size" -le 32768 ]; then
      one "$name" "$pcap" "$tcp" "$id" hex "" "$@"
    else
      # Its chunks: the count lines of the ascii text (only to choose the ranges asked).
      local n
      n=$(grep -cE $'^\t?[0-9]+$' "$out/$name.$tcp.$id.ascii.txt")
      rm "$out/$name.$tcp.$id.ascii.txt"
      one "$name" "$pcap" "$tcp" "$id" ascii 2-3 "$@"
      one "$name" "$pcap" "$tcp" "$id" hex 1-1 "$@"
      one "$name" "$pcap" "$tcp" "$id" hex "$n-$n" "$@"
    fi
  done <<<"$pairs"
}

every h2c-prior-knowledge "$dec/h2c-prior-knowledge.pcap"
# Stream 1 of the upgraded connection: the HTTP/1.1 request is not an HTTP/2 frame.
every h2c-upgrade "$dec/h2c-upgrade.pcap"
every h2-tls "$dec/h2-tls.pcap" -o "tls.keylog_file:$dec/h2-tls.keys"
every h2-tls.dsb "$dec/h2-tls.dsb.pcapng"
every tls13-ech-grease "$dec/tls13-ech-grease.pcap" -o "tls.keylog_file:$dec/tls13-ech-grease.keys"
every h2c-nghttp tests/fixtures/h2/h2c-nghttp.pcap -d tcp.port==8091,http2
every h2c-edge-frames captures/h2/h2c-edge-frames.pcap -d tcp.port==8092,http2
# A long stream whole, many DATA frames to a segment.
one h2c-prior-knowledge "$dec/h2c-prior-knowledge.pcap" 1 1 ascii ""
# A stream id the connection does not have: no chunk, both nodes ":0".
one h2c-upgrade "$dec/h2c-upgrade.pcap" 0 99 ascii ""
one h2c-upgrade "$dec/h2c-upgrade.pcap" 0 99 hex ""
# Ranges: one chunk; the server's chunks after the client's first; past the last chunk.
one h2c-upgrade "$dec/h2c-upgrade.pcap" 0 3 hex 3-3
one h2c-upgrade "$dec/h2c-upgrade.pcap" 0 3 hex 2-4
one h2c-upgrade "$dec/h2c-upgrade.pcap" 0 3 ascii 9-20
one h2c-edge-frames captures/h2/h2c-edge-frames.pcap 0 1 hex 5-9 -d tcp.port==8092,http2
echo "make-z-follow-http2-fixtures: $(ls "$out" | wc -l) files in $out"
