#!/usr/bin/env bash
# Write captures/http-auth.pcap and captures/https-auth.pcap (+ .keys): curl 7.88 sending
# Authorization and Proxy-Authorization fields of every kind tshark's `-z credentials` and
# `http.authbasic` treat apart (Basic with and without a user name, unpadded, with bytes
# outside base64, with a NUL, an escape sequence or non-UTF-8 bytes in the name; two fields
# in one request; Bearer, Digest, NTLM, Negotiate, other schemes and spellings) to Python's
# http.server on 127.0.0.1:8080, and three of them over TLS (a throwaway self-signed
# certificate, curl's key log) on 127.0.0.1:443 — ports tshark reads HTTP and TLS on.
# tshark is the oracle: scripts/make-z-credentials-fixtures.sh writes its view.
# Needs root (tcpdump, port 443), curl, openssl, python3, tcpdump; every process it starts
# is stopped on exit. Run from the repository root: scripts/make-auth-captures.sh
set -euo pipefail
for t in curl openssl python3 tcpdump; do
  command -v "$t" >/dev/null || { echo "make-auth-captures: needs $t" >&2; exit 1; }
done
# $WORK, and the server and capture stopped on exit.
. "$(dirname "$0")/lib/capture-work.sh" auth
work=$WORK
b64() { printf "$1" | base64 -w0; }

capture() { # FILE FILTER: start tcpdump, wait until it listens
  tcpdump -i lo -U --immediate-mode -w "$1" "$2" 2>"$work/tcpdump.err" & CAP_PID=$!
  for _ in $(seq 50); do grep -q listening "$work/tcpdump.err" && return; sleep 0.1; done
  echo "make-auth-captures: tcpdump did not start" >&2; exit 1
}
stop() { kill "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; }
stop_capture() { sleep 0.5; stop "$CAP_PID"; }
wait_port() { for _ in $(seq 50); do curl -sk -o /dev/null "$1" && return; sleep 0.1; done; }

# Plain HTTP.
(cd "$work" && exec python3 -m http.server 8080 --bind 127.0.0.1 >/dev/null 2>&1) & SRV_PID=$!
wait_port http://127.0.0.1:8080/
capture captures/http-auth.pcap 'tcp port 8080'
u=http://127.0.0.1:8080
req() { curl -s -o /dev/null "$@"; }
req -u alice:secret1 "$u/basic"
req -u a-very-long-user-name-here:pw "$u/long"
req -u sixteencharsxxxx:pw "$u/sixteen"
req -H "Authorization: Basic $(b64 ':emptyuser')" "$u/empty-user"
req -H "Authorization: Basic $(b64 'hank:a:b')" "$u/two-colons"
req -H "Authorization: Basic $(b64 nocolon)" "$u/no-colon"
req -H "Authorization: Basic $(b64 'pad:1' | tr -d =)" "$u/unpadded"
req -H "Authorization: Basic !!!notbase64" "$u/not-base64"
req -H "Authorization: Basic YQ==YjpjZA==" "$u/padding-inside"
req -H "Authorization: Basic  $(b64 'gina:pw')" "$u/two-spaces"
req -H "Authorization: Basic $(b64 'a\x00b:pw')" "$u/nul"
req -H "Authorization: Basic $(b64 'caf\xc3\xa9:pw')" "$u/utf-8"
req -H "Authorization: Basic $(b64 'x\xff:pw')" "$u/not-utf-8"
req -H "authorization: Basic $(b64 'lower:pw')" "$u/lower-case-name"
req -H "Proxy-Authorization: Basic $(b64 'dave:pw4')" "$u/proxy"
req -H "Authorization: Basic $(b64 'ivy:1')" -H "Authorization: Basic $(b64 'jay:2')" "$u/two"
req -H "Authorization: Basic $(b64 'ivy:1')" -H "Proxy-Authorization: Bearer t" "$u/both"
for v in "Bearer tok123" "Bearer" "basic $(b64 'eve:pw5')" "BASIC $(b64 'frank:pw')" "Basic" \
         "Token abc" 'Digest username="bob", realm="r", nonce="n", uri="/d", response="x"' \
         "Digest" 'digest username="x"' "NTLM TlRMTVNTUAABAAAABoIIAAAAAAAAAAAAAAAAAAAAAAA=" \
         "NTLM" "ntlm abc" "Negotiate YIIB" "Negotiate"; do
  req -H "Authorization: $v" "$u/scheme"
done
stop_capture

# HTTPS with the key log.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 3650 \
  -subj /CN=localhost -keyout "$work/key.pem" -out "$work/cert.pem" 2>/dev/null
cat >"$work/tls.py" <<'PY'
import http.server, ssl, sys
d = sys.argv[1]
srv = http.server.HTTPServer(("127.0.0.1", 443), http.server.SimpleHTTPRequestHandler)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(d + "/cert.pem", d + "/key.pem")
srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
srv.serve_forever()
PY
stop "$SRV_PID"
(cd "$work" && exec python3 tls.py "$work" >/dev/null 2>&1) & SRV_PID=$!
wait_port https://127.0.0.1/
rm -f captures/https-auth.keys
capture captures/https-auth.pcap 'tcp port 443'
u=https://127.0.0.1
export SSLKEYLOGFILE=$PWD/captures/https-auth.keys
req -k --http1.1 -u squirrel:fluffy-tail "$u/basic"
req -k --http1.1 -H "Authorization: Bearer acorn-token" "$u/bearer"
req -k --http1.1 -H "Proxy-Authorization: Basic $(b64 'nutkin:hunter2-acorns')" "$u/proxy"
unset SSLKEYLOGFILE
stop_capture
ls -l captures/http-auth.pcap captures/https-auth.pcap captures/https-auth.keys
