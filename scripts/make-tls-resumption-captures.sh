#!/usr/bin/env bash
# Key-logged TLS captures of the handshake variants, for the decryption tests: session
# resumption (TLS 1.2 by session id and by ticket, TLS 1.3 PSK), TLS 1.3 0-RTT early data
# (accepted and rejected), HelloRetryRequest and KeyUpdate from both sides.
#
#   scripts/make-tls-resumption-captures.sh
#
# openssl s_server (without -www: it prints what it reads and sends what this script writes
# to its stdin, so the answer can be timed and split around a KeyUpdate) and openssl
# s_client (-sess_out/-sess_in, -early_data, -groups, the `K` command, -keylogfile) on the
# loopback, captured with tcpdump. Each capture holds two TCP streams (a first session and
# the one that resumes it), except hrr and keyupdate (one).
#
# The TLS 1.2 key logs keep only the FIRST session's CLIENT_RANDOM line (openssl also logs
# the resumed session's random; other clients do not): the resumed session's master secret
# must be found through the session id or ticket of the first, as tshark does.
#
# tshark (with the key log) is the oracle: NAME.tshark lists the frames where tshark shows
# HTTP with what it shows there ("http FRAME<TAB>INFO"), and the application-data record
# lengths of `-z follow,tls,ascii` per TCP stream ("follow LEN" for stream 0, "follow.S LEN"
# for stream S). Output: tests/fixtures/tls-suites/NAME.{pcap,keys,tshark}. Needs root,
# openssl, tcpdump, tshark. Re-running makes new captures (new randoms): commit all three.
set -euo pipefail
cd "$(dirname "$0")/.."
out=tests/fixtures/tls-suites
mkdir -p "$out"
. scripts/lib/capture-work.sh tls-variants
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$WORK/key.pem" -out "$WORK/cert.pem" \
    -days 2 -subj "/CN=squirrels.test" 2>/dev/null
printf 'GET /early HTTP/1.0\r\nHost: squirrels.test\r\n\r\n' >"$WORK/early.txt"
head='HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 27\r\n\r\n'
body='the secret is: fluffy tail\n'
port=45100

# server OPTIONS...: a fresh s_server reading its stdin from $WORK/in (held open on fd 3).
server() {
    stop_server
    rm -f "$WORK/in"
    mkfifo "$WORK/in"
    exec 3<>"$WORK/in"
    openssl s_server -accept "$port" -key "$WORK/key.pem" -cert "$WORK/cert.pem" "$@" \
        <"$WORK/in" >/dev/null 2>&1 &
    SRV_PID=$!
    sleep 1
}
stop_server() {
    if [[ -n "$SRV_PID" ]]; then
        kill "$SRV_PID" 2>/dev/null || true
        wait "$SRV_PID" 2>/dev/null || true
        SRV_PID=""
        exec 3>&-
    fi
}
# client "CMD" OPTIONS...: one s_client session that sends CMD (a `K` line or nothing), then
# a GET, while the server answers with the head, then [server key update], then the body.
client() {
    local cmd=$1 server_cmd=$2
    shift 2
    {
        [[ -n "$cmd" ]] && printf '%s\n' "$cmd" && sleep 0.3
        printf 'GET / HTTP/1.0\r\nHost: squirrels.test\r\n\r\n'
        sleep 2
    } | openssl s_client -connect "127.0.0.1:$port" -servername squirrels.test \
        -keylogfile "$WORK/keys" "$@" >/dev/null 2>&1 &
    local c=$!
    sleep 0.8
    printf "$head" >&3
    if [[ -n "$server_cmd" ]]; then
        sleep 0.2
        printf '%s\n' "$server_cmd" >&3
    fi
    sleep 0.2
    printf "$body" >&3
    wait "$c" || true
}
# capture NAME: start tcpdump for the next scenario.
capture() {
    name=$1
    port=$((port + 1))
    rm -f "$WORK/keys"
    tcpdump -i lo -U -w "$out/$name.pcap" "tcp port $port" 2>/dev/null &
    CAP_PID=$!
    sleep 0.5
}
# finish [first-random-only]: stop everything and write the key log and tshark's view.
finish() {
    sleep 0.5
    stop_server
    kill "$CAP_PID" 2>/dev/null || true
    wait "$CAP_PID" 2>/dev/null || true
    CAP_PID=""
    if [[ "${1:-}" == first-random-only ]]; then
        grep -m1 '^CLIENT_RANDOM ' "$WORK/keys" >"$out/$name.keys"
    else
        grep -v '^#' "$WORK/keys" >"$out/$name.keys"
    fi
    local keys="tls.keylog_file:$out/$name.keys" streams s
    tshark -r "$out/$name.pcap" -n -o "$keys" -Y http -T fields -e frame.number \
        -e _ws.col.Info 2>/dev/null | sed 's/^/http /' >"$out/$name.tshark"
    streams=$(tshark -r "$out/$name.pcap" -n -T fields -e tcp.stream 2>/dev/null | sort -nu)
    for s in $streams; do
        local tag=follow
        [[ "$s" == 0 ]] || tag="follow.$s"
        tshark -r "$out/$name.pcap" -n -o "$keys" -q -z "follow,tls,ascii,$s" 2>/dev/null \
            | grep -E '^	?[0-9]+$' | tr -d '\t' | sed "s/^/$tag /" >>"$out/$name.tshark"
    done
    echo "$name: $(grep -c '^follow' "$out/$name.tshark") decrypted records per tshark"
}

capture tls12-resume-session-id
server -tls1_2 -no_ticket
client "" "" -tls1_2 -sess_out "$WORK/sess"
client "" "" -tls1_2 -sess_in "$WORK/sess"
finish first-random-only

capture tls12-resume-ticket
server -tls1_2
client "" "" -tls1_2 -sess_out "$WORK/sess"
client "" "" -tls1_2 -sess_in "$WORK/sess"
finish first-random-only

capture tls13-resume-psk
server -tls1_3
client "" "" -tls1_3 -sess_out "$WORK/sess"
client "" "" -tls1_3 -sess_in "$WORK/sess"
finish

capture tls13-early-data
server -tls1_3 -early_data
client "" "" -tls1_3 -sess_out "$WORK/sess"
client "" "" -tls1_3 -sess_in "$WORK/sess" -early_data "$WORK/early.txt"
finish

# The server restarts between the sessions (a new ticket key): the ticket does not open, the
# server makes a full handshake and skips the early data the client sent.
capture tls13-early-data-rejected
server -tls1_3 -early_data
client "" "" -tls1_3 -sess_out "$WORK/sess"
server -tls1_3 -early_data
client "" "" -tls1_3 -sess_in "$WORK/sess" -early_data "$WORK/early.txt"
finish

# The client offers a key share for X25519 only; the server wants P-256: HelloRetryRequest.
capture tls13-hello-retry
server -tls1_3 -groups P-256
client "" "" -tls1_3 -groups X25519:P-256
finish

# The client updates its keys and asks the server to (K); later the server updates again (k)
# between the response head and body.
capture tls13-keyupdate-both
server -tls1_3
client K k -tls1_3
finish
