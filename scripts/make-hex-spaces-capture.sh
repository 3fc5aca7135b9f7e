#!/usr/bin/env bash
# Make captures/follow/hex-spaces.pcap: one TCP stream (10.1.1.1:1000 -> 10.2.2.2:80, no
# handshake) of six segments whose hex follow lines end in space bytes at every place that
# matters to tshark 4.0's layout: 8 bytes ending in a space, 8 bytes, 13 bytes ending in a
# space, 16 bytes ending in a space, 24 bytes (a short second line) ending in a space, and
# 9 bytes ending in two spaces. Written with text2pcap (tshark's package).
#
#   scripts/make-hex-spaces-capture.sh [OUT.pcap]
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-captures/follow/hex-spaces.pcap}
command -v text2pcap >/dev/null || { echo "make-hex-spaces-capture: text2pcap is needed" >&2; exit 1; }
. scripts/lib/capture-work.sh hex-spaces
hexdump_line() { printf '0000'; printf '%s' "$1" | od -An -v -tx1 | tr -s ' \n' '  '; echo; }
for p in 'abcdefg ' 'abcdefgh' 'abcdefghijkl ' 'abcdefghijklmno ' 'abcdefghijklmnopqrstuvw ' \
  'abcdefg  '; do
  hexdump_line "$p"
done >"$WORK/segments.txt"
text2pcap -q -T 1000,80 "$WORK/segments.txt" "$out"
echo "make-hex-spaces-capture: $out"
