#!/usr/bin/env bash
# Re-makes EVERY file of tests/fixtures/tshark-fields from tshark 4.0, ../shared/corpus (or
# $CORPUS) and captures/: the fixtures tests/fields_oracle.rs and tests/captures.rs compare
# squirrel-sniff with. OUT=DIR writes them to DIR instead (to diff them with the committed
# ones: `OUT=/tmp/fx scripts/make-oracle-fixtures.sh && diff -r /tmp/fx
# tests/fixtures/tshark-fields`). Checked with TShark 4.0.17 (Debian 12): all 45 files
# byte-identical with the committed ones.
#   NAME-cert.tree         every "Handshake Protocol: Certificate" node (indent 8) and the
#                          lines under it, in frame order (TLS 1.3 ones decrypted with the
#                          capture's key log, -o tls.keylog_file:)
#   NAME-ee.tree           the same for "Handshake Protocol: Encrypted Extensions" (stop 36)
#   tls13-aes128-records.txt  the header lines of every TLS record (Content/Opaque Type,
#                          Version, Length, the decrypted [Content Type]) of tls13-aes128
#   NAME.tsv               -T fields with frame.number first, -E occurrence=a -E separator=/t
#                          -E aggregator=, and tshark's field names (tests/fields_oracle.rs
#                          CASES, in its order; ip-fragments.tsv: tests/captures.rs)
#   ip-fragments.filters.tsv  a -Y filter, tab, the frames tshark shows with it
#   http-fields-NAME.tsv   stop 38's HTTP fields (http.file_data, …) of five corpus captures
#   http-exchanges-keepalive-5-requests.tsv  request/response numbers, previous frames, times
#   http-forward-NAME.tsv  with -2: http.response_in, http.next_request_in, next_response_in
# Needs tshark and ../shared/corpus. Run from anywhere.
set -euo pipefail
if [ -n "${OUT:-}" ]; then OUT=$(mkdir -p "$OUT" && cd "$OUT" && pwd); fi
cd "$(dirname "$0")/.."
corpus=${CORPUS:-../shared/corpus}
out=${OUT:-tests/fixtures/tshark-fields}
mkdir -p "$out"
node() { # node [MESSAGE]: the message's node at indent 8 and its subtree
  awk -v head="        Handshake Protocol: ${1:-Certificate}" '
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

# EncryptedExtensions of the TLS 1.3 captures decrypted with their key logs (stop 36).
for c in tls13-aes128 h2-tls tls13-ech-grease; do
  tshark -n -o "tls.keylog_file:$corpus/decrypt/$c.keys" -r "$corpus/decrypt/$c.pcap" -V \
    2>/dev/null | node 'Encrypted Extensions' > "$out/$c-ee.tree"
done

# tests/fields_oracle.rs CASES before stop 37 (stop 33's oracle run, stop 34's new fields,
# stop 36's decrypted TLS 1.3). Stop 34's were made with scripts/tshark-oracle.py's PREFS and
# DECODE_AS; with tshark 4.0.17 these preferences change none of these files (checked: every
# file here is byte-identical with or without them), so they are passed to all of them and
# the decode-as rules to the two captures on other ports.
prefs=()
for p in tcp.desegment_tcp_streams:TRUE tcp.reassemble_out_of_order:TRUE \
  tls.desegment_ssl_records:TRUE tls.desegment_ssl_application_data:TRUE \
  http.desegment_headers:TRUE http.desegment_body:TRUE tcp.try_heuristic_first:TRUE; do
  prefs+=(-o "$p")
done
quic=(-o "tls.keylog_file:$corpus/decrypt/quic-h3.keys")
dns53=(-d udp.port==5353,dns)
fields "$corpus/decrypt/dns-udp.pcap" dns-udp.tsv "${prefs[@]}" "${dns53[@]}" -- \
  dns.id dns.flags.rcode dns.qry.type
fields "$corpus/decrypt/quic-h3.pcap" quic-h3.tsv "${prefs[@]}" "${quic[@]}" -- quic.version
fields "$corpus/decrypt/h2c-prior-knowledge.pcap" h2c-prior-knowledge.tsv "${prefs[@]}" -- \
  http2.flags http2.type http2.streamid
fields "$corpus/tcp/retransmit-timeout.pcapng" retransmit-timeout.tsv "${prefs[@]}" -- \
  tcp.analysis.retransmission tcp.len
fields "$corpus/tls/alert-handshake-failure.pcap" alert-handshake-failure.tsv "${prefs[@]}" -- \
  tls.alert_message tls.alert_message.desc tls.record.version
fields "$corpus/http/pipelined-2-requests-one-segment.pcap" \
  pipelined-2-requests-one-segment.tsv "${prefs[@]}" -- \
  http.request http.response http.request.method
fields "$corpus/tls/tls10-session-id-resumption.pcap" tls10-session-id-resumption.tsv \
  "${prefs[@]}" -- tcp.ack tls.handshake tls.handshake.type
fields "$corpus/http/get.pcap" get-headers.tsv "${prefs[@]}" -- \
  frame.time_epoch frame.time_relative frame.time_delta eth.src eth.dst eth.type \
  ip.version ip.hdr_len ip.dsfield ip.len ip.id ip.flags ip.flags.df ip.ttl ip.proto \
  ip.checksum tcp.seq_raw tcp.ack_raw tcp.nxtseq tcp.hdr_len tcp.flags \
  tcp.window_size_value tcp.window_size tcp.checksum tcp.urgent_pointer \
  tcp.options.mss_val tcp.options.wscale.shift tcp.payload
fields "$corpus/http/get-gzip.pcap" get-gzip-http.tsv "${prefs[@]}" -- \
  http.request.version http.request.full_uri http.response.version http.response.phrase \
  http.response_for.uri http.request_in http.content_length http.server http.connection \
  http.content_encoding http.accept
fields "$corpus/http/basic-auth-port-8000.pcap" basic-auth-port-8000.tsv "${prefs[@]}" \
  -d tcp.port==8000,http -- http.authorization http.user_agent http.request.full_uri
fields "$corpus/link/null-ipv6-http.pcap" null-ipv6-http.tsv "${prefs[@]}" -- \
  ip.version ipv6.tclass ipv6.flow ipv6.plen ipv6.nxt ipv6.hlim
fields "$corpus/decrypt/dns-udp.pcap" dns-udp-flags.tsv "${prefs[@]}" "${dns53[@]}" -- \
  udp.checksum dns.flags dns.flags.opcode dns.flags.authoritative dns.flags.recdesired \
  dns.flags.recavail dns.count.queries dns.count.answers dns.count.auth_rr dns.count.add_rr \
  dns.qry.class dns.resp.type dns.resp.ttl dns.resp.name
fields "$corpus/tls/tls13-sni-alpn-grease-mlkem.pcap" tls13-sni-alpn-grease-mlkem.tsv \
  "${prefs[@]}" -- tls.handshake.ciphersuite tls.handshake.extension.type \
  tls.handshake.extensions_alpn_str tls.handshake.extensions.supported_version \
  tls.handshake.extensions_supported_group
fields "$corpus/tls/tls12-full-handshake-rsa.pcap" tls12-content-type.tsv "${prefs[@]}" -- \
  tls.record.content_type
fields "$corpus/decrypt/quic-h3.pcap" quic-h3-ids.tsv "${prefs[@]}" "${quic[@]}" -- \
  quic.long.packet_type quic.dcid quic.scid tls.handshake.ciphersuite
fields "$corpus/decrypt/h2c-prior-knowledge.pcap" h2c-pseudo-headers.tsv "${prefs[@]}" -- \
  http2.headers.method http2.headers.path http2.headers.authority http2.headers.scheme \
  http2.headers.status
for c in tls13-aes128 h2-tls tls13-ech-grease; do
    fields "$corpus/decrypt/$c.pcap" "$c-decrypted.tsv" "${prefs[@]}" \
    -o "tls.keylog_file:$corpus/decrypt/$c.keys" -- \
    tls.handshake.type tls.record.version tls.record.content_type \
    tls.handshake.extension.type tls.handshake.extensions_alpn_str \
    tls.handshake.extensions_supported_group
done
fields "$corpus/decrypt/quic-h3.pcap" quic-h3-handshake.tsv "${prefs[@]}" "${quic[@]}" -- \
  tls.handshake.type tls.handshake.extension.type tls.handshake.extensions_alpn_str

# HTTP fields of stop 38: the body as text (decompressed, de-chunked, non-ASCII bytes as
# U+FFFD, up to a NUL), the target's path, query and parameters, tshark's name of the status
# code, the Content-Length header as sent, the cookie pairs, the time since the request.
for c in chunked-responses.pcapng get-gzip.pcap methods-and-bad-request-lines.pcap \
  post-form-urlencoded.pcap ipv6-multipart-post-chunked.pcap; do
  fields "$corpus/http/$c" "http-fields-${c%.*}.tsv" -- \
    http.file_data http.request.uri.path http.request.uri.query \
    http.request.uri.query.parameter http.response.code.desc http.content_length_header \
    http.cookie_pair http.time http.request_number http.response_number \
    http.prev_request_in http.prev_response_in http.request.line http.response.line
done
# … and the exchange fields on five requests of one keep-alive connection.
fields "$corpus/http/keepalive-5-requests.pcap" http-exchanges-keepalive-5-requests.tsv -- \
  http.request_number http.response_number http.prev_request_in http.prev_response_in \
  http.request_in http.time

# -2 (stop 39): the frames a message points forward to, known to tshark's second pass only;
# a keep-alive connection, chunked responses, and HTTP/1.1 in TLS 1.2 and 1.3 with the key log.
fwd=(http.response_in http.next_request_in http.next_response_in http.request_number
     http.response_number)
fields "$corpus/http/keepalive-5-requests.pcap" http-forward-keepalive-5-requests.tsv -2 -- "${fwd[@]}"
fields "$corpus/http/chunked-responses.pcapng" http-forward-chunked-responses.tsv -2 -- "${fwd[@]}"
for c in tls12-ecdhe-aesgcm tls13-aes128; do
  fields "$corpus/decrypt/$c.pcap" "http-forward-$c.tsv" -2 \
    -o "tls.keylog_file:$corpus/decrypt/$c.keys" -- "${fwd[@]}"
done

# tests/captures.rs ip_fragment_fields_are_tsharks (stop 34): the fragment fields of the
# repository's own capture (frame.number is the first of them, as for the others).
fields captures/ip-fragments.pcap ip-fragments.tsv -- \
  ip.fragment ip.fragment.count ip.reassembled.length ip.flags.mf ip.frag_offset \
  ipv6.fragment ipv6.fragment.count ipv6.reassembled.length ipv6.fraghdr.offset \
  ipv6.fraghdr.more ipv6.fraghdr.ident ipv6.fraghdr.nxt
# … and the frames tshark shows for each -Y filter there (filter, tab, frame numbers joined
# by commas; stop 38: before, the test held these counts written by hand).
: >"$out/ip-fragments.filters.tsv"
for f in 'ip.fragment.count == 3' 'ipv6.fraghdr.more == 1' 'ip.reassembled.length > 3000' \
  'ipv6.fragment == 14' 'ipv6.fraghdr.ident == 0x40488927' 'ip.flags.mf == 1' \
  'ip.frag_offset > 0' 'ipv6.reassembled.length'; do
  frames=$(tshark -n -r captures/ip-fragments.pcap -Y "$f" -T fields -e frame.number 2>/dev/null |
    paste -sd, -)
  printf '%s\t%s\n' "$f" "$frames" >>"$out/ip-fragments.filters.tsv"
done
