#!/usr/bin/env bash
# tests/fixtures/follow-udp/CAPTURE.PROTO.STREAM.MODE.txt: tshark 4.0's `-q -z follow,udp|tcp,ascii|hex,N` text, which
# tests/z_stats.rs compares ours with. Two edits, both said here so nothing is hidden:
#   - tshark's first line (empty, before the first ===== rule) is dropped: squirrel-sniff
#     prints its -q summary line instead, which the test drops;
#   - in ascii mode tshark writes a CR byte of the wire as it is (a terminal would act on it);
#     squirrel-sniff shows it as '.', so CR is turned into '.' here. (Nothing else differs.)
# Needs tshark and ../shared/corpus. Run from anywhere; OUT=DIR writes elsewhere.
set -euo pipefail
cd "$(dirname "$0")/.."
corpus=${CORPUS:-../shared/corpus}
out=${OUT:-tests/fixtures/follow-udp}
mkdir -p "$out"
follow() { # CAPTURE PCAP PROTO MODE STREAM
  tshark -n -q -r "$2" -z "follow,$3,$4,$5" 2>/dev/null | sed '1{/^$/d}' | tr '\r' '.' \
    >"$out/$1.$3.$5.$4.txt"
}
# Every UDP session of the DNS capture, both modes (CR bytes in answers).
for s in 0 1 2; do
  for m in ascii hex; do follow dns-udp "$corpus/decrypt/dns-udp.pcap" udp $m $s; done
done
# QUIC datagrams (hex: a line ending in a space byte).
follow quic-h3 "$corpus/decrypt/quic-h3.pcap" udp hex 0
# DNS over UDP and TCP on one port: UDP session 0 is not TCP stream 0.
follow dns-udp-tcp captures/dns-udp-tcp.pcap udp hex 0
# A datagram rebuilt from IPv4 fragments.
follow ip-fragments captures/ip-fragments.pcap udp hex 0
# TCP hex lines ending in spaces: tshark writes one space fewer there.
follow get "$corpus/http/get.pcap" tcp hex 0
# Short and whole lines ending in space bytes, around the 8th byte's extra space
# (captures/follow/hex-spaces.pcap, scripts/make-hex-spaces-capture.sh).
follow hex-spaces captures/follow/hex-spaces.pcap tcp hex 0
