#!/usr/bin/env bash
# tests/fixtures/tshark-fields/NAME-cert.tree and tls13-aes128-records.txt: tshark 4.0's -V
# view of TLS Certificate messages, which tests/fields_oracle.rs compares ours with:
#   NAME-cert.tree         every "Handshake Protocol: Certificate" node (indent 8) and the
#                          lines under it, in frame order (TLS 1.3 ones decrypted with the
#                          capture's key log, -o tls.keylog_file:)
#   tls13-aes128-records.txt  the header lines of every TLS record (Content/Opaque Type,
#                          Version, Length, the decrypted [Content Type]) of tls13-aes128
#   NAME.tsv               -T fields of the fields scripts/tshark-oracle.py found different
#                          at stop 37 (frame.number first, -E occurrence=a, aggregator ','):
#                          IPv4 flags of a GRE packet without inner IP, ICMP and UDP fields
#                          of reassembled datagrams, the version of QUIC's TLS hellos
# Needs tshark and ../shared/corpus. Run from the repository root.
set -euo pipefail
cd "$(dirname "$0")/.."
corpus=${CORPUS:-../shared/corpus}
out=tests/fixtures/tshark-fields
node() { # the message node at indent 8 and its subtree
  awk -v head='        Handshake Protocol: Certificate' '
    { match($0, /^ */); ind = RLENGTH }
    $0 == head { inside = 1; print; next }
    inside && ind > 8 { print; next }
    { inside = 0 }'
}
for c in decrypt/tls13-aes128 decrypt/h2-tls tls/tls12-full-handshake-rsa \
  tls/ipv6-certificate-request-alert tls/alert-unrecognized-name tls/tls10-session-id-resumption; do
  pcap=$corpus/$c.pcap
  keys=()
  [ -e "$corpus/$c.keys" ] && keys=(-o "tls.keylog_file:$corpus/$c.keys")
  tshark -n "${keys[@]}" -r "$pcap" -V -Y 'tls.handshake.type == 11' 2>/dev/null |
    node > "$out/$(basename "$c")-cert.tree"
done
tshark -n -o "tls.keylog_file:$corpus/decrypt/tls13-aes128.keys" -r "$corpus/decrypt/tls13-aes128.pcap" \
  -V 2>/dev/null |
  grep -E '^        (Content Type|Opaque Type|Version|Length|\[Content Type)' \
    > "$out/tls13-aes128-records.txt"
fields() { # fields CAPTURE FIXTURE [tshark options…] -- FIELD…
  local cap=$1 fix=$2; shift 2
  local opts=(); while [ "$1" != -- ]; do opts+=("$1"); shift; done; shift
  local e=(-e frame.number); for f in "$@"; do e+=(-e "$f"); done
  tshark -n "${opts[@]}" -r "$cap" -T fields "${e[@]}" -E occurrence=a -E separator=/t \
    -E aggregator=, 2>/dev/null > "$out/$fix"
}
fields "$corpus/link/pcap-big-endian.pcap" pcap-big-endian-ip-flags.tsv -- \
  ip.flags ip.flags.df ip.flags.mf
fields captures/ip-fragments.pcap ip-fragments-transport.tsv -- \
  icmp.type icmp.code icmpv6.type icmpv6.code udp.checksum
fields "$corpus/decrypt/quic-h3.pcap" quic-h3-hello-version.tsv \
  -o "tls.keylog_file:$corpus/decrypt/quic-h3.keys" -- tls.handshake.version
