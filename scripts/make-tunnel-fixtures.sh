#!/usr/bin/env bash
# captures/tunnels/NAME.tshark.tsv and NAME.tshark-V.txt: tshark 4.0's view of the tunnel
# captures (scripts/make-tunnel-captures.py), which tests/tunnels.rs compares ours with:
#   .tsv    -T fields of every frame, every occurrence (outer, then inner) joined by ','
#   -V.txt  the layer lines of -V (the tree's top level) of frames 4 and 16
# Needs tshark. Run from the repository root: scripts/make-tunnel-fixtures.sh
set -euo pipefail
cd "$(dirname "$0")/.."
fields=(frame.number frame.protocols ip.src ip.dst ipv6.src ipv6.dst eth.src udp.srcport
  udp.dstport tcp.stream tcp.srcport tcp.dstport http.request.uri http.response.code
  tls.handshake.extensions_server_name vxlan.vni geneve.vni gre.proto gre.key mpls.label
  pppoe.session_id erspan.spanid ip.ttl ip.proto)
e=(); for f in "${fields[@]}"; do e+=(-e "$f"); done
for c in captures/tunnels/*.pcap; do
  n=${c%.pcap}
  [ "$(basename "$n")" = cut ] && continue
  tshark -r "$c" -T fields "${e[@]}" -E header=y -E separator=/t -E occurrence=a \
    -E aggregator=, 2>/dev/null > "$n.tshark.tsv"
  tshark -r "$c" -V -Y 'frame.number == 4 || frame.number == 16' 2>/dev/null |
    grep -v '^ ' | grep -v '^$' > "$n.tshark-V.txt"
done
