#!/usr/bin/env bash
# Write tests/fixtures/z-expert/<dir>__<file>[+keys][@N].txt: tshark 4.0's expert table
# (`tshark -n -r F -q -z expert…`), and INDEX.tsv saying for each fixture the capture, the
# key log (tshark's `-o tls.keylog_file:`, our --keylog), the -z argument and the decode-as
# rule it was made with (tshark reads HTTP on 5683 and 8000 only when told; squirrel-sniff
# takes the same -d). tests/z_stats.rs runs squirrel-sniff with the same arguments and
# compares byte for byte (with -j 1 and -j 2 too).
#
# The captures are those of captures/ and ../shared/corpus where squirrel-sniff's items are
# tshark's (80 of the 94 tried; docs/performance.md lists the classes of difference of the
# others), the decrypt/ captures with their key logs, captures/expert/odd-lines.pcap (odd
# bytes in request lines) and ttl.pcap (TTL notes; scripts/make-expert-captures.py), and
# the severity argument and a filter on a few. Needs tshark; run from the repository root.
set -euo pipefail
command -v tshark >/dev/null || { echo "make-z-expert-fixtures: needs tshark" >&2; exit 1; }
out=tests/fixtures/z-expert
rm -rf "$out"
mkdir -p "$out"
corpus=../shared/corpus
index=$out/INDEX.tsv
printf 'fixture\tcapture\tkeys\tstat\tdecode_as\n' >"$index"

# fixture NAME CAPTURE KEYS STAT DECODE_AS ("-" for no key log, no decode-as rule)
fixture() {
  local name=$1 cap=$2 keys=$3 stat=$4 rule=$5
  local args=(-n -r "$cap" -q -z "$stat")
  [ "$keys" = - ] || args+=(-o "tls.keylog_file:$keys")
  [ "$rule" = - ] || args+=(-d "$rule")
  # tshark says "Running as user root" on stderr; dropped from stdout too, in case.
  tshark "${args[@]}" 2>/dev/null | { grep -v '^Running as user' || true; } >"$out/$name.txt"
  printf '%s\t%s\t%s\t%s\t%s\n' "$name" "$cap" "$keys" "$stat" "$rule" >>"$index"
}

# The decode-as rule tshark needs for a capture (HTTP or TLS off its ports).
rule_for() {
  case $1 in
    */squirrel-https*.pcap) echo "tcp.port==5683,tls" ;;
    captures/squirrel-*.pcap|captures/escape-injection.pcap|captures/html-injection.pcap)
      echo "tcp.port==5683,http" ;;
    *port-8000*) echo "tcp.port==8000,http" ;;
    *) echo - ;;
  esac
}

name_of() { echo "$(basename "$(dirname "$1")")__$(basename "$1")"; }

files=(captures/{dns-udp-tcp,escape-injection,html-injection,https-auth,ip-fragments}.pcap
       captures/squirrel-{fernet,http,login,https,https-tls12,https-badca,https-badca-tls12}.pcap
       captures/tls-mixed.pcap
       captures/dns-tree/{names,tcp,mdns}.pcap captures/http-seq/referers.pcap
       captures/lossy/lossy-{bulk,capture-gaps,keepalive,zero-window}.pcap
       captures/tunnels/{erspan,geneve,gre,ipip,mpls,pppoe,vxlan}.pcap
       captures/expert/{odd-lines,ttl}.pcap
       "$corpus"/decrypt/{dns-udp,h2-tls,h2c-prior-knowledge,h2c-upgrade,tls12-cbc-sha}.pcap
       "$corpus"/decrypt/{tls12-ecdhe-aesgcm,tls12-rsa-kex,tls13-aes128,tls13-ech-grease}.pcap
       "$corpus"/decrypt/{h2-tls,tls12-ecdhe-aesgcm,tls13-aes128}.dsb.pcapng
       "$corpus"/http/{basic-auth-port-8000,expect-100-continue-chunked,get-gzip,get}.pcap
       "$corpus"/http/chunked-responses.pcapng
       "$corpus"/http/{ipv6-multipart-post-chunked,large-request-port-8001}.pcap
       "$corpus"/http/{methods-and-bad-request-lines,pipelined-2-requests-one-segment}.pcap
       "$corpus"/http/{pipelined-many-requests,post-form-urlencoded}.pcap
       "$corpus"/http/post-port-8000-needs-decode-as.pcap
       "$corpus"/link/{null-ipv6-http,null-ipv6-tls-client-auth,pcap-big-endian,qinq-http}.pcap
       "$corpus"/link/pcapng-big-endian-multi-section.pcapng
       "$corpus"/link/{sll-http,sll-nanosecond-tcp-handshake,sll2-http,sll2-tls13}.pcap
       "$corpus"/link/vlan-8021q-http.pcap
       "$corpus"/malformed/{tcp-header-truncated-snaplen46,tls-cve-2015-3194}.pcap
       "$corpus"/tcp/{handshake-reorder,out-of-order-http-response}.pcap
       "$corpus"/tcp/{out-of-order-tls-server-flight,retransmit-resegmented-upload}.pcap
       "$corpus"/tcp/retransmit-timeout.pcapng
       "$corpus"/tls/{alert-handshake-failure,alert-unrecognized-name,cert-without-cn}.pcap
       "$corpus"/tls/{ipv6-certificate-request-alert,tls11-full-handshake}.pcap
       "$corpus"/tls/{tls12-full-handshake-rsa,tls12-sni-alpn-npn,tls13-hello-retry-request}.pcap
       "$corpus"/tls/{tls13-psk-resumption,tls13-sni-alpn-grease-mlkem}.pcap
       "$corpus"/tls/tls13-wolfssl-port-9090.pcap)
for f in "${files[@]}"; do
  fixture "$(name_of "$f")" "$f" - expert "$(rule_for "$f")"
done

# With the key logs: HTTP/1.x inside TLS has its chats (HTTP/2 has none).
for f in captures/squirrel-https.pcap captures/squirrel-https-tls12.pcap \
         "$corpus"/decrypt/{tls12-ecdhe-aesgcm,tls12-cbc-sha,tls12-rsa-kex,tls13-aes128,h2-tls}.pcap; do
  fixture "$(name_of "$f")+keys" "$f" "${f%.pcap}.keys" expert "$(rule_for "$f")"
done

# The severity argument (the lowest kept; any case) and a filter (the frames it matches).
n=0
for spec in "captures/lossy/lossy-zero-window.pcap|expert,error" \
            "captures/lossy/lossy-zero-window.pcap|expert,warn" \
            "captures/lossy/lossy-zero-window.pcap|expert,Note" \
            "captures/lossy/lossy-zero-window.pcap|expert,chat" \
            "captures/lossy/lossy-zero-window.pcap|expert,comment" \
            "$corpus/http/expect-100-continue-chunked.pcap|expert,note" \
            "$corpus/tcp/retransmit-resegmented-upload.pcap|expert,error" \
            "$corpus/http/pipelined-many-requests.pcap|expert,tcp.len > 0" \
            "$corpus/http/pipelined-many-requests.pcap|expert,chat,tcp.srcport == 80" \
            "captures/lossy/lossy-bulk.pcap|expert,warn,tcp.analysis.lost_segment || tcp.flags.reset == 1" \
            "captures/lossy/lossy-bulk.pcap|expert,note,frame.number > 100"; do
  f=${spec%%|*}
  n=$((n + 1))
  fixture "$(name_of "$f")@$n" "$f" - "${spec#*|}" "$(rule_for "$f")"
done
echo "make-z-expert-fixtures: $(($(wc -l <"$index") - 1)) fixtures in $out"
# Where tshark writes raw what could mislead a terminal (line separators, fillers), which
# squirrel-sniff escapes: tests/z_stats.rs checks every other row is the same.
mkdir -p tests/fixtures/z-expert-escaped
tshark -n -r captures/expert/unsafe-lines.pcap -q -z expert 2>/dev/null \
  | { grep -v '^Running as user' || true; } >tests/fixtures/z-expert-escaped/captures__unsafe-lines.pcap.txt
