#!/usr/bin/env bash
# Write tests/fixtures/cli/: what tshark and tcpdump print for the options that imitate them,
# over the bundled captures (CI has neither tool; tests/cli_options.rs compares with these).
#   <capture>.fields.csv   tshark -T fields (-d tcp.port==5683 as http or tls)
#   <capture>.time-<f>.txt tshark -t <f>: "number time" of every frame
#   <capture>.X.txt        tcpdump -X: the hex/ASCII lines
#   <capture>.A.txt        tcpdump -A: everything but its summary lines
#   <capture>.wY.count     tshark -Y 'tcp.len > 0' -w: packets written
# Needs tshark and tcpdump. Run from the repository root: scripts/make-cli-fixtures.sh
set -euo pipefail
cd "$(dirname "$0")/.."
out=tests/fixtures/cli
mkdir -p "$out"
fields=(frame.number frame.len ip.src ip.dst tcp.srcport tcp.dstport tcp.port tcp.stream tcp.len
  tcp.seq tcp.ack tcp.flags.syn tcp.flags.fin tcp.flags.push http.request.method http.request.uri
  http.host http.response.code http.content_type http.user_agent tls.handshake.type
  tls.handshake.extensions_server_name tls.handshake.version)
e=(); for f in "${fields[@]}"; do e+=(-e "$f"); done
for c in captures/squirrel-*.pcap; do
  n=$(basename "$c" .pcap)
  case "$n" in *https*) proto=tls ;; *) proto=http ;; esac
  TZ=UTC tshark -r "$c" -d tcp.port==5683,"$proto" -T fields "${e[@]}" \
    -E header=y -E separator=, -E quote=d -E occurrence=a 2>/dev/null > "$out/$n.fields.csv"
  for f in r a ad adoy d dd e u ud; do
    TZ=Asia/Kolkata tshark -r "$c" -t "$f" -Y 'tcp.len > 0' 2>/dev/null |
      awk -v f="$f" '{ if (f ~ /^(ad|adoy|ud)$/) print $1, $2, $3; else print $1, $2 }' \
      > "$out/$n.time-$f.txt"
  done
  tcpdump -r "$c" -X 2>/dev/null | grep -P '^\t0x' > "$out/$n.X.txt"
  tcpdump -r "$c" -A 2>/dev/null | grep -vP '^\d\d:\d\d:\d\d\.\d{6} ' > "$out/$n.A.txt"
  tshark -r "$c" -Y 'tcp.len > 0' -w /tmp/wY.$$.pcap 2>/dev/null
  capinfos -c -M /tmp/wY.$$.pcap | awk -F: '/Number of packets/ { gsub(/ /, "", $2); print $2 }' \
    > "$out/$n.wY.count"
  rm -f /tmp/wY.$$.pcap
done
