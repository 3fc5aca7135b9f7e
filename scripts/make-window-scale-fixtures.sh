#!/usr/bin/env bash
# tests/fixtures/window-scale/: slices of corpus captures that miss (part of) the TCP handshake,
# and tshark 4.0's view of their window scaling, which tests/fields_oracle.rs
# (window_scale_as_tshark_when_the_handshake_is_missing) compares ours with. What each slice
# lacks is in that directory's README.md. For each NAME.pcap:
#   NAME.tsv     -T fields: frame.number, tcp.window_size_value, tcp.window_size,
#                tcp.window_size_scalefactor
#   NAME.tree    the `Window:`, `[Calculated window size: …]` and `[Window size scaling
#                factor: …]` lines of -V
#   filters.tsv  capture, -Y filter, the frames tshark shows (comma-separated)
# The slices are cut with editcap (pcapng: its Section Header names editcap's version, so a
# slice is the same packets, not always the same file bytes, on another tshark build). With
# TShark 4.0.17 (Debian 12) every file, the slices included, comes out byte-identical to the
# committed one.
# Needs tshark, editcap, python3 and ../shared/corpus. OUT=DIR writes elsewhere.
set -euo pipefail
cd "$(dirname "$0")/.."
corpus=${CORPUS:-../shared/corpus}
out=${OUT:-tests/fixtures/window-scale}
mkdir -p "$out"
last=$(capinfos -c -M "$corpus/http/get.pcap" | awk '/Number of packets/ {print $NF}')
editcap -r "$corpus/http/get.pcap" "$out/from-syn-ack.pcap" "2-$last"
editcap -r "$corpus/http/get.pcap" "$out/mid-stream.pcap" "4-$last"
editcap -r "$corpus/http/get.pcap" "$out/syn-no-syn-ack.pcap" 1 3-10
editcap -r "$corpus/http/expect-100-continue-chunked.pcap" "$out/syn-ack-without-option.pcap" 2-8
# The SYN has no window scale option; the SYN-ACK's (shift 0 on the wire) is set to 7, which
# a receiver must ignore (RFC 7323 §2.2). The TCP checksum is left as it was.
editcap -r "$corpus/tcp/retransmit-resegmented-upload.pcap" "$out/syn-without-option.pcap" 1-8
python3 - "$out/syn-without-option.pcap" <<'PY'
import sys
p = sys.argv[1]
b = open(p, "rb").read()
old = bytes.fromhex("020405b4010303000101080a0004553b")
assert b.count(old) == 1, "the SYN-ACK's options are not where they were"
open(p, "wb").write(b.replace(old, bytes.fromhex("020405b4010303070101080a0004553b")))
PY
filters=(
  "tcp.window_size_scalefactor == -1"
  "tcp.window_size_scalefactor == -2"
  "tcp.window_size_scalefactor >= 16"
  "tcp.window_size_scalefactor < 0"
  "tcp.window_size_scalefactor"
  "tcp.window_size > 20000"
)
: >"$out/filters.tsv"
for name in from-syn-ack mid-stream syn-ack-without-option syn-no-syn-ack syn-without-option; do
  pcap=$out/$name.pcap
  tshark -r "$pcap" -T fields -e frame.number -e tcp.window_size_value -e tcp.window_size \
    -e tcp.window_size_scalefactor 2>/dev/null >"$out/$name.tsv"
  tshark -r "$pcap" -V 2>/dev/null | grep -E '^    (Window: |\[Calculated window size: |\[Window size scaling factor: )' \
    >"$out/$name.tree" || true
  for f in "${filters[@]}"; do
    frames=$(tshark -r "$pcap" -Y "$f" -T fields -e frame.number 2>/dev/null | paste -sd, -)
    printf '%s\t%s\t%s\n' "$name.pcap" "$f" "$frames" >>"$out/filters.tsv"
  done
done
