#!/usr/bin/env bash
# Write tests/fixtures/z-http/<dir>__<file>.txt: tshark 4.0's text of its three HTTP counter
# trees (`-z http,tree -z http_req,tree -z http_srv,tree`, given in that order in one run;
# tshark prints the last given first) for the captures where tshark and squirrel-sniff see
# the same HTTP/1.x messages: every bundled or corpus capture with HTTP on a port tshark
# decodes as HTTP (or in TLS, with its key log), and a few without (HTTP/2, QUIC, DNS: tshark
# 4.0 counts no HTTP/2 message in these trees). docs/performance.md ("## Pending", the `-z`
# bullet) lists the captures left out and why. z-http-filter/: the trees with a filter after
# them. tests/z_stats.rs compares our `-z` with them byte for byte. Needs tshark; run from
# the repository root: scripts/make-z-http-fixtures.sh
set -euo pipefail
command -v tshark >/dev/null || { echo "make-z-http-fixtures: needs tshark" >&2; exit 1; }
out=tests/fixtures/z-http
mkdir -p "$out"
corpus=../shared/corpus
files=(captures/html-injection.pcap captures/ip-fragments.pcap captures/dns-udp-tcp.pcap
       captures/tls-mixed.pcap captures/tunnels/{erspan,geneve,gre,ipip,mpls,pppoe,vxlan}.pcap
       "$corpus"/http/{basic-auth-port-8000,get-gzip,get,ipv6-multipart-post-chunked}.pcap
       "$corpus"/http/{large-request-port-8001,post-form-urlencoded,keepalive-5-requests}.pcap
       "$corpus"/http/{expect-100-continue-chunked,pipelined-2-requests-one-segment}.pcap
       "$corpus"/http/pipelined-many-requests.pcap "$corpus"/http/chunked-responses.pcapng
       "$corpus"/link/{sll2-http,null-ipv6-http,qinq-http,sll-http,vlan-8021q-http}.pcap
       "$corpus"/tcp/{out-of-order-http-response,handshake-reorder,fast-open-syn-data}.pcap
       "$corpus"/tcp/retransmit-timeout.pcapng "$corpus"/tls/tls12-alpn-session-resumption.pcap
       "$corpus"/decrypt/{h2c-upgrade,tls12-cbc-sha,tls12-rsa-kex,tls12-ecdhe-aesgcm}.pcap
       "$corpus"/decrypt/{tls13-aes128,h2-tls,quic-h3,dns-udp}.pcap
       "$corpus"/decrypt/{tls12-ecdhe-aesgcm,tls13-aes128}.dsb.pcapng)
trees=(-z http,tree -z http_req,tree -z http_srv,tree)
for f in "${files[@]}"; do
  name="$(basename "$(dirname "$f")")__$(basename "$f").txt"
  keys=()
  # A key-logged capture: tshark reads its NAME.keys (the test gives squirrel-sniff --keylog).
  if [ -f "${f%.*}.keys" ]; then keys=(-o "tls.keylog_file:${f%.*}.keys"); fi
  # tshark says "Running as user root" on stderr; dropped from stdout too, in case.
  tshark -n -r "$f" -q "${keys[@]}" "${trees[@]}" 2>/dev/null | grep -v '^Running as user' \
    >"$out/$name"
done
echo "make-z-http-fixtures: $(ls "$out" | wc -l) fixtures in $out"
# A filter after the tree (-Y's language): only the messages of the frames it matches.
mkdir -p tests/fixtures/z-http-filter
for f in "$corpus/http/keepalive-5-requests.pcap" "$corpus/http/pipelined-many-requests.pcap"; do
  tshark -n -r "$f" -q -z 'http,tree,tcp.srcport == 80' -z 'http_req,tree,frame.number > 12' \
    -z 'http_srv,tree,tcp.dstport == 80' 2>/dev/null | grep -v '^Running as user' \
    >"tests/fixtures/z-http-filter/$(basename "$(dirname "$f")")__$(basename "$f").txt"
done
