#!/usr/bin/env bash
# Record a large, realistic benchmark capture from real load on loopback.
#
#   scripts/make-bench-capture.sh [--profile mixed|gzip|tls-keylog] [OUTPUT.pcap]
#
# Default OUTPUT per profile under /tmp/squirrel-bench/: bench.pcap (mixed), bench-gzip.pcap,
# bench-tls.pcap (its key log beside it: bench-tls.keys, i.e. OUTPUT with .keys for .pcap).
#
# A private nginx (own config, pid file and temp dir; no system service) listens on
# 127.0.0.1: plain HTTP/1.1 on $BENCH_HTTP_PORT (28080), TLS 1.3 on $BENCH_TLS13_PORT (28443),
# TLS 1.2 on $BENCH_TLS12_PORT (28444), with a self-signed certificate made by openssl.
# Load generators then drive it for fixed request counts (not durations) while
#   tcpdump -i lo -w OUTPUT --immediate-mode -U  (filtered to those three ports)
# records. Nothing in the capture is synthesised by squirrel-sniff. Profiles:
#   mixed       thousands of one-request connections (HTTP and TLS handshakes), keep-alive
#               mixes, gzip-compressed text (chunked), SSI pages (chunked), form POSTs, 300 KB
#               downloads (ab, wrk, curl)
#   gzip        many gzip-compressed responses: one-request and keep-alive connections that
#               all ask for compressible text with Accept-Encoding: gzip (ab, wrk)
#   tls-keylog  TLS 1.3 and 1.2 only, from clients that log their session secrets: Python's
#               ssl (handshakes and keep-alive request mixes) and curl with SSLKEYLOGFILE;
#               the key log (NSS format) is saved beside the capture
#
# Needs root (tcpdump on lo, apt-get for missing nginx-light/wrk/apache2-utils/curl/openssl/
# tcpdump/wireshark-common/python3). Every process it starts is stopped on exit.
# The capture is large (>100 MB): never commit it.
#
# Environment: BENCH_SCALE=N multiplies request counts and durations (default 1).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
BENCH_NAME=make-bench-capture
# shellcheck source=bench/lib.sh
. "$HERE/bench/lib.sh"

PROFILE=mixed
while [[ $# -gt 0 ]]; do
    case "$1" in
        -h|--help) sed -n '2,30p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        --profile) PROFILE="${2:?--profile needs a name}"; shift 2 ;;
        --profile=*) PROFILE="${1#--profile=}"; shift ;;
        -*) bench_die "unknown option '$1' (see --help)" ;;
        *) break ;;
    esac
done
case "$PROFILE" in
    mixed) DEFAULT_OUT=/tmp/squirrel-bench/bench.pcap ;;
    gzip) DEFAULT_OUT=/tmp/squirrel-bench/bench-gzip.pcap ;;
    tls-keylog) DEFAULT_OUT=/tmp/squirrel-bench/bench-tls.pcap ;;
    *) bench_die "unknown profile '$PROFILE' (mixed, gzip, tls-keylog)" ;;
esac
OUT="${1:-$DEFAULT_OUT}"
KEYLOG="${OUT%.pcap}.keys"
SCALE="${BENCH_SCALE:-1}"
[[ "$SCALE" =~ ^[1-9][0-9]*$ ]] || bench_die "BENCH_SCALE must be a positive integer"

bench_is_root || bench_die "needs root: tcpdump must capture on lo (run as root, e.g. sudo $0)"
bench_need_tools nginx:nginx-light wrk:wrk ab:apache2-utils curl:curl openssl:openssl \
    tcpdump:tcpdump capinfos:wireshark-common python3:python3 || bench_die "required tools are missing"

mkdir -p "$(dirname "$OUT")"
WORK="$(mktemp -d "$(dirname "$OUT")/bench-site.XXXXXX")"
cleanup() {
    bench_stop_all
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

bench_nginx_start "$WORK"
H="127.0.0.1:$BENCH_HTTP_PORT"
T13="127.0.0.1:$BENCH_TLS13_PORT"
T12="127.0.0.1:$BENCH_TLS12_PORT"

# ---------------------------------------------------------------- capture
rm -f "$OUT"
# tcpdump runs at a raised priority with a 256 MiB kernel buffer: on a shared machine an
# ordinary-priority recorder loses a large share of loopback packets to the kernel.
nice -n -10 tcpdump -i lo -w "$OUT" --immediate-mode -U -B 262144 -s 262144 \
    "tcp and host 127.0.0.1 and (port $BENCH_HTTP_PORT or port $BENCH_TLS13_PORT or port $BENCH_TLS12_PORT)" \
    2>"$WORK/tcpdump.err" &
TCPDUMP_PID=$!
bench_spawn_record "$TCPDUMP_PID"
for _ in $(seq 1 50); do grep -q 'listening on' "$WORK/tcpdump.err" 2>/dev/null && break; sleep 0.1; done
grep -q 'listening on' "$WORK/tcpdump.err" || { cat "$WORK/tcpdump.err" >&2; bench_die "tcpdump did not start"; }
sleep 0.5

# run LABEL SECONDS CMD... — one bounded load step; its output goes to the work dir. The load
# runs at a lower priority than tcpdump so the recorder keeps up on a busy machine.
step=0
run() {
    local label="$1" limit="$2"; shift 2
    step=$((step + 1))
    bench_log "step $step: $label"
    if ! timeout --signal=INT "$limit" nice -n 5 "$@" >"$WORK/step$step.log" 2>&1; then
        bench_log "  (step $step ended early or with errors; see below)"
        tail -n 3 "$WORK/step$step.log" >&2 || true
    fi
    grep -hE 'Complete requests|Failed requests|requests in|Non-2xx|requests answered' "$WORK/step$step.log" 2>/dev/null |
        sed 's/^ */    /' >&2 || true
}
n() { echo $(($1 * SCALE)); }

load_mixed() {
    # Thousands of short connections: one request each (ab speaks HTTP/1.0, no keep-alive).
    run "ab: $(n 3000) connections x 1 small page"        60 ab -q -n "$(n 3000)" -c 8 "http://$H/index.html"
    # Keep-alive, HTTP/1.0 style.
    run "ab -k: $(n 20000) small requests on keep-alive"  60 ab -q -k -n "$(n 20000)" -c 4 "http://$H/ping.txt"
    # Large downloads: 300 KB each.
    run "ab: $(n 300) x 300 KB downloads"                 60 ab -q -n "$(n 300)" -c 4 "http://$H/big.bin"
    # HTTP/1.1 keep-alive mix: gzip+chunked text, chunked SSI, small pages, form POSTs.
    # 1,950 rounds of mix.lua's 7 requests (what 2 s gave on a quiet 2-core machine at stop 27;
    # a count, not a duration, so a faster machine records the same capture).
    run "wrk: HTTP/1.1 keep-alive mix, $(n 13650) requests"  120 wrk -t 1 -c 2 -d 100s -s "$HERE/bench/mix.lua" "http://$H" -- "$(n 13650)"
    # TLS from clients that log their session secrets to $KEYLOG (so the whole TLS share can
    # be decrypted with --keylog): one connection per request (a full handshake each), then
    # keep-alive connections cycling over a mix like mix.lua's (Python's ssl; ab and wrk
    # cannot log keys).
    : > "$KEYLOG"
    local py="$HERE/bench/tls-client.py"
    run "python ssl: $(n 1500) TLS 1.3 connections + 2 x $(n 1200) keep-alive requests" 150 \
        python3 "$py" 127.0.0.1 "$BENCH_TLS13_PORT" 1.3 "$KEYLOG" "$(n 1500)" 2 "$(n 1200)"
    run "python ssl: $(n 1500) TLS 1.2 connections + 2 x $(n 1200) keep-alive requests" 150 \
        python3 "$py" 127.0.0.1 "$BENCH_TLS12_PORT" 1.2 "$KEYLOG" "$(n 1500)" 2 "$(n 1200)"
    # curl: several requests per connection, compressed and chunked bodies, form logins.
    curl_round() {
        local i
        for ((i = 0; i < $(n 40); i++)); do
            curl -s -o /dev/null --http1.1 --compressed \
                "http://$H/index.html" "http://$H/text/log.txt" "http://$H/ssi/page.shtml" "http://$H/big.bin"
            curl -s -o /dev/null --http1.1 -d "user=alice&password=acorns-$i" "http://$H/login"
            SSLKEYLOGFILE="$KEYLOG" curl -s -o /dev/null -k --http1.1 --tlsv1.3 --compressed "https://$T13/text/data.json" "https://$T13/ssi/page.shtml"
            SSLKEYLOGFILE="$KEYLOG" curl -s -o /dev/null -k --http1.1 --tlsv1.2 --tls-max 1.2 --compressed "https://$T12/text/log.txt" "https://$T12/index.html"
        done
    }
    run "curl: $(n 40) rounds of multi-request connections (TLS ones with SSLKEYLOGFILE)" 120 \
        bash -c "$(declare -f curl_round n); H=$H T13=$T13 T12=$T12 KEYLOG=$KEYLOG SCALE=$SCALE; curl_round"
}

# Many gzip-compressed responses (the decoded text is what the findings read).
load_gzip() {
    local text="http://$H/text/log.txt"
    run "ab: $(n 1000) connections x 1 gzip text"           60 ab -q -n "$(n 1000)" -c 8 -H 'Accept-Encoding: gzip' "$text"
    run "ab -k: $(n 3000) gzip JSON on keep-alive"          60 ab -q -k -n "$(n 3000)" -c 4 -H 'Accept-Encoding: gzip' "http://$H/text/data.json"
    run "wrk: keep-alive gzip mix, $(n 3200) requests"       120 wrk -t 1 -c 2 -d 100s -s "$HERE/bench/gzip.lua" "http://$H" -- "$(n 3200)"
    run "ab -k: $(n 1500) gzip HTML pages on keep-alive"    60 ab -q -k -n "$(n 1500)" -c 2 -H 'Accept-Encoding: gzip' "http://$H/text/page.html"
}

# TLS only, every client logging its session secrets to $KEYLOG (NSS key log format).
load_tls_keylog() {
    : > "$KEYLOG"
    local py="$HERE/bench/tls-client.py"
    run "python ssl: $(n 1000) TLS 1.3 handshakes + $(n 40) x 150 keep-alive requests" 120 \
        python3 "$py" 127.0.0.1 "$BENCH_TLS13_PORT" 1.3 "$KEYLOG" "$(n 1000)" "$(n 40)" 150
    run "python ssl: $(n 1000) TLS 1.2 handshakes + $(n 40) x 150 keep-alive requests" 120 \
        python3 "$py" 127.0.0.1 "$BENCH_TLS12_PORT" 1.2 "$KEYLOG" "$(n 1000)" "$(n 40)" 150
    curl_tls() {
        local i
        for ((i = 0; i < $(n 40); i++)); do
            curl -s -o /dev/null -k --http1.1 --tlsv1.3 --compressed "https://$T13/text/data.json" "https://$T13/ssi/page.shtml" "https://$T13/big.bin"
            curl -s -o /dev/null -k --http1.1 --tlsv1.2 --tls-max 1.2 --compressed "https://$T12/text/log.txt" "https://$T12/index.html"
            curl -s -o /dev/null -k --http1.1 --tlsv1.3 -d "user=alice&password=acorns-$i" "https://$T13/login"
        done
    }
    run "curl (SSLKEYLOGFILE): $(n 40) rounds of multi-request TLS connections" 120 \
        env SSLKEYLOGFILE="$KEYLOG" bash -c "$(declare -f curl_tls n); T13=$T13 T12=$T12 SCALE=$SCALE; curl_tls"
}

case "$PROFILE" in
    mixed) load_mixed ;;
    gzip) load_gzip ;;
    tls-keylog) load_tls_keylog ;;
esac

sleep 1
kill -INT "$TCPDUMP_PID" 2>/dev/null || true
wait "$TCPDUMP_PID" 2>/dev/null || true
bench_log "tcpdump: $(grep -E 'captured|received|dropped' "$WORK/tcpdump.err" | paste -sd, -)"

# ---------------------------------------------------------------- summary
[[ -s "$OUT" ]] || bench_die "the capture is empty ($OUT)"
bytes=$(stat -c %s "$OUT")
packets=$(capinfos -M -c -T "$OUT" 2>/dev/null | awk -F'\t' 'NR==2 {print $2}')
# Connections = SYNs without ACK (one per connection attempt).
conns=$(tcpdump -nr "$OUT" 'tcp[tcpflags] & (tcp-syn|tcp-ack) == tcp-syn' 2>/dev/null | wc -l)
printf 'capture:     %s\n' "$OUT"
printf 'size:        %s bytes (%s MB)\n' "$bytes" "$(awk -v b="$bytes" 'BEGIN {printf "%.1f", b / 1e6}')"
printf 'packets:     %s\n' "${packets:-?}"
printf 'connections: %s (SYN without ACK)\n' "$conns"
[[ $PROFILE != gzip ]] && printf 'key log:     %s (%s secrets)\n' "$KEYLOG" "$(wc -l < "$KEYLOG")"
printf 'ports:       http %s, tls1.3 %s, tls1.2 %s\n' "$BENCH_HTTP_PORT" "$BENCH_TLS13_PORT" "$BENCH_TLS12_PORT"
