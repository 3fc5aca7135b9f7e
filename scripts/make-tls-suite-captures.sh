#!/usr/bin/env bash
# Key-logged TLS captures, one per cipher suite, for the decryption tests:
# openssl s_server -www answers one `GET /` from openssl s_client (-keylogfile) on the
# loopback, captured with tcpdump. tshark (with the key log) is the oracle: each capture gets
# NAME.tshark listing the frames where tshark shows HTTP and what it shows there.
# Output: tests/fixtures/tls-suites/NAME.{pcap,keys,tshark}. Needs root, openssl, tcpdump,
# tshark. Re-running makes new captures (new randoms), so commit all three files together.
set -euo pipefail
cd "$(dirname "$0")/.."
out=tests/fixtures/tls-suites
mkdir -p "$out"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$tmp/key.pem" -out "$tmp/cert.pem" \
    -days 2 -subj "/CN=squirrels.test" 2>/dev/null
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$tmp/eckey.pem" \
    -out "$tmp/eccert.pem" -days 2 -subj "/CN=squirrels.test" 2>/dev/null

# name  tls-version  suite-option  suite  [server extra options]  [client commands]
suites=(
    "tls12-chacha20|-tls1_2|-cipher|ECDHE-RSA-CHACHA20-POLY1305|rsa|"
    "tls12-aes256gcm-sha384|-tls1_2|-cipher|ECDHE-RSA-AES256-GCM-SHA384|rsa|"
    "tls12-cbc-sha256-etm|-tls1_2|-cipher|ECDHE-RSA-AES128-SHA256|rsa|"
    "tls12-cbc-sha384-mte|-tls1_2|-cipher|ECDHE-RSA-AES256-SHA384|rsa-noetm|"
    "tls12-ecdsa-ccm8|-tls1_2|-cipher|ECDHE-ECDSA-AES128-CCM8|ec|"
    "tls12-ecdsa-ccm|-tls1_2|-cipher|ECDHE-ECDSA-AES256-CCM|ec|"
    "tls13-aes256gcm|-tls1_3|-ciphersuites|TLS_AES_256_GCM_SHA384|rsa|"
    "tls13-chacha20|-tls1_3|-ciphersuites|TLS_CHACHA20_POLY1305_SHA256|rsa|"
    "tls13-ccm|-tls1_3|-ciphersuites|TLS_AES_128_CCM_SHA256|rsa|"
    "tls13-keyupdate|-tls1_3|-ciphersuites|TLS_AES_128_GCM_SHA256|rsa|K"
)
port=45000
for row in "${suites[@]}"; do
    IFS='|' read -r name ver opt suite keytype cmd <<<"$row"
    port=$((port + 1))
    case $keytype in
        ec) key=$tmp/eckey.pem cert=$tmp/eccert.pem extra= ;;
        rsa-noetm) key=$tmp/key.pem cert=$tmp/cert.pem extra=-no_etm ;;
        *) key=$tmp/key.pem cert=$tmp/cert.pem extra= ;;
    esac
    rm -f "$out/$name.keys"
    tcpdump -i lo -U -w "$out/$name.pcap" "tcp port $port" 2>/dev/null &
    dump=$!
    openssl s_server -quiet -www -accept "$port" -key "$key" -cert "$cert" \
        "$ver" "$opt" "$suite" $extra $( [ "$opt" = -ciphersuites ] || echo -cipher "$suite" ) \
        >/dev/null 2>&1 &
    server=$!
    sleep 1
    { [ -n "$cmd" ] && printf '%s\n' "$cmd"; sleep 0.3; printf 'GET / HTTP/1.0\r\n\r\n'; sleep 1; } \
        | openssl s_client -connect "127.0.0.1:$port" -servername squirrels.test "$ver" \
            "$opt" "$suite" -keylogfile "$out/$name.keys" $( [ -n "$cmd" ] || echo -ign_eof ) \
            >/dev/null 2>&1 || true
    sleep 0.5
    kill "$server" 2>/dev/null || true
    kill "$dump" 2>/dev/null || true
    wait "$dump" 2>/dev/null || true
    tshark -r "$out/$name.pcap" -n -o "tls.keylog_file:$out/$name.keys" -Y http \
        -T fields -e frame.number -e _ws.col.Info 2>/dev/null | sed 's/^/http /' > "$out/$name.tshark"
    tshark -r "$out/$name.pcap" -n -o "tls.keylog_file:$out/$name.keys" -q \
        -z follow,tls,ascii,0 2>/dev/null | grep -E '^	?[0-9]+$' | tr -d '\t' \
        | sed 's/^/follow /' >> "$out/$name.tshark"
    echo "$name: $(grep -c '^follow' "$out/$name.tshark") decrypted records per tshark"
done
