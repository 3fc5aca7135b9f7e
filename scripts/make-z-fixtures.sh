#!/usr/bin/env bash
# Write tests/fixtures/z/<dir>__<file>.txt (and z-phs, z-filter, z-iostat below): tshark
# 4.0's text of the ten conversation and endpoint tables (`-z conv,…` and `-z endpoints,…`
# for eth, ip, ipv6, tcp, udp, given in that order in one run; tshark prints the last given
# first) for the bundled captures (tunnels/ too) and a few corpus captures (IPv6, many TCP streams, Linux
# cooked, a cut TCP header), with `-n` since squirrel-sniff never resolves names.
# tests/z_stats.rs compares our `-z` with them byte for byte. Needs tshark; run from the
# repository root: scripts/make-z-fixtures.sh
set -euo pipefail
command -v tshark >/dev/null || { echo "make-z-fixtures: needs tshark" >&2; exit 1; }
out=tests/fixtures/z
mkdir -p "$out"
stats=()
for kind in conv endpoints; do
  for layer in eth ip ipv6 tcp udp; do stats+=(-z "$kind,$layer"); done
done
corpus=../shared/corpus
# captures/tunnels: every layer a tunnel carries a frame in counts (outer Ethernet, IP and UDP
# as well as the inner ones); not cut.pcap, whose deepest IP in IP goes past our 8 layers.
files=(captures/*.pcap
       captures/tunnels/{erspan,geneve,gre,ipip,mpls,pppoe,vxlan}.pcap
       "$corpus/http/ipv6-multipart-post-chunked.pcap"
       "$corpus/http/methods-and-bad-request-lines.pcap"
       "$corpus/link/sll-http.pcap"
       "$corpus/malformed/tcp-truncated-header.pcap")
for f in "${files[@]}"; do
  name="$(basename "$(dirname "$f")")__$(basename "$f").txt"
  # tshark says "Running as user root" on stderr; dropped from stdout too, in case.
  tshark -n -r "$f" -q "${stats[@]}" 2>/dev/null | grep -v '^Running as user' >"$out/$name"
done
echo "make-z-fixtures: $(ls "$out" | wc -l) fixtures in $out"
# `-z io,phs` where tshark and squirrel-sniff name the same protocols (elsewhere they differ
# as --hierarchy does: content detection on any port, docs/robustness.md).
mkdir -p tests/fixtures/z-phs
tshark -n -r captures/tls-mixed.pcap -q -z io,phs 2>/dev/null | grep -v '^Running as user' \
  >tests/fixtures/z-phs/captures__tls-mixed.pcap.txt
# A filter after the statistic (-Y's language; tshark counts only the frames it matches).
mkdir -p tests/fixtures/z-filter
tshark -n -r captures/dns-udp-tcp.pcap -q -z conv,ip,tcp -z 'endpoints,tcp,tcp.len > 0' \
  -z 'conv,udp,udp.srcport == 5300' -z io,phs,udp 2>/dev/null | grep -v '^Running as user' \
  >tests/fixtures/z-filter/captures__dns-udp-tcp.pcap.txt
# `-z io,stat,…` (tshark 4.0's interval tables): six tables in one run (printed last given
# first) on the bundled captures and three corpus captures (nanosecond pcapng, a 300 s
# capture, one of 62 s), and a capture whose duration is years long with two intervals.
mkdir -p tests/fixtures/z-iostat
iostat=(-z io,stat,0 -z io,stat,1 -z io,stat,0.1 -z io,stat,10 -z 'io,stat,0.5,tcp,,udp'
        -z 'io,stat,1.00,FRAMES()tcp,BYTES()udp')
for f in captures/*.pcap "$corpus/http/chunked-responses.pcapng" \
         "$corpus/tcp/retransmit-timeout.pcapng" "$corpus/http/methods-and-bad-request-lines.pcap"; do
  name="$(basename "$(dirname "$f")")__$(basename "$f").txt"
  tshark -n -r "$f" -q "${iostat[@]}" 2>/dev/null | grep -v '^Running as user' \
    >"tests/fixtures/z-iostat/$name"
done
f="$corpus/tls/tls12-alpn-session-resumption.pcap"
tshark -n -r "$f" -q -z io,stat,0 -z io,stat,100000000 2>/dev/null \
  | grep -v '^Running as user' >"tests/fixtures/z-iostat/tls__$(basename "$f").txt"
# io,stat's function columns (COUNT, SUM, MIN, MAX, AVG, LOAD of a field), each with the
# field as its filter: tshark 4.0 fills a field only when a filter names it.
mkdir -p tests/fixtures/z-iostat-func
func=(-z 'io,stat,1,SUM(frame.len)frame.len,COUNT(tcp.len)tcp.len,MIN(frame.len)frame.len,MAX(frame.len)frame.len,AVG(frame.len)frame.len'
      -z 'io,stat,0.5,AVG(frame.time_delta)frame.time_delta,MIN(frame.time_delta)frame.time_delta,SUM(frame.time_delta)frame.time_delta'
      -z 'io,stat,0.1,LOAD(tcp.analysis.ack_rtt)tcp.analysis.ack_rtt,AVG(tcp.analysis.ack_rtt)tcp.analysis.ack_rtt,MAX(tcp.analysis.ack_rtt)tcp.analysis.ack_rtt'
      -z 'io,stat,0,COUNT(ip.src)ip.src,SUM(tcp.len)tcp.len,MAX(tcp.srcport)tcp.srcport,AVG(ip.ttl)ip.ttl'
      -z 'io,stat,2,MIN(tcp.seq)tcp.seq,MAX(tcp.ack)tcp.ack,AVG(tcp.window_size)tcp.window_size,COUNT(frame)frame'
      -z 'io,stat,1,AVG(frame.time_epoch)frame.time_epoch,MIN(frame.time_relative)frame.time_relative,LOAD(frame.time_delta)frame.time_delta')
for f in captures/*.pcap "$corpus/http/chunked-responses.pcapng" \
         "$corpus/tcp/out-of-order-http-response.pcap"; do
  name="$(basename "$(dirname "$f")")__$(basename "$f").txt"
  tshark -n -r "$f" -q "${func[@]}" 2>/dev/null | grep -v '^Running as user' \
    >"tests/fixtures/z-iostat-func/$name"
done
# The memory budget's bound on io,stat's rows: at 0.0001 s the 2.24 s capture has 22,403
# intervals; a 64 KiB budget allows 204 (half the budget at 160 bytes an interval and
# column), so squirrel-sniff prints tshark's first 12 lines (the head) and 204 rows, then
# the closing line.
mkdir -p tests/fixtures/z-iostat-bound
full=$(tshark -n -r captures/dns-udp-tcp.pcap -q -z io,stat,0.0001 2>/dev/null | grep -v '^Running as user')
{ head -n $((12 + 204)) <<<"$full"; tail -n 1 <<<"$full"; } \
  >tests/fixtures/z-iostat-bound/captures__dns-udp-tcp.pcap.txt
