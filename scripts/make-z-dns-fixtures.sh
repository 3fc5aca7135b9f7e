#!/usr/bin/env bash
# Write tests/fixtures/z-dns/<dir>__<file>.txt: tshark 4.0's DNS statistics tree
# (`tshark -n -r F -q -z dns,tree`) for every bundled or corpus capture that carries DNS
# (found with `tshark -Y dns`), the crafted ones of scripts/make-dns-tree-captures.py
# included; the corpus's dns-udp.pcap is read with `-d udp.port==5353,dns` (its DNS runs on
# the mDNS port). z-dns-filter/: two trees with a filter after them in one run (tshark
# prints the last given first). tests/z_stats.rs compares our `-z dns,tree` with them byte
# for byte. Needs tshark; run from the repository root: scripts/make-z-dns-fixtures.sh
set -euo pipefail
command -v tshark >/dev/null || { echo "make-z-dns-fixtures: needs tshark" >&2; exit 1; }
out=tests/fixtures/z-dns
mkdir -p "$out" tests/fixtures/z-dns-filter
corpus=../shared/corpus
tree() {
  # tshark says "Running as user root" on stderr; dropped from stdout too, in case.
  tshark -n -r "$@" -q 2>/dev/null | grep -v '^Running as user'
}
for f in captures/dns-udp-tcp.pcap captures/dns-tree/{udp,tcp,mdns,names}.pcap \
         "$corpus"/tls/tls12-alpn-session-resumption.pcap; do
  tree "$f" -z dns,tree >"$out/$(basename "$(dirname "$f")")__$(basename "$f").txt"
done
tree "$corpus/decrypt/dns-udp.pcap" -d udp.port==5353,dns -z dns,tree \
  >"$out/decrypt__dns-udp.pcap.txt"
echo "make-z-dns-fixtures: $(ls "$out" | wc -l) fixtures in $out"
tree captures/dns-tree/udp.pcap -z 'dns,tree,dns.flags.response == 1' \
  -z 'dns,tree,frame.number > 40 && udp.srcport != 53' \
  >tests/fixtures/z-dns-filter/dns-tree__udp.pcap.txt
