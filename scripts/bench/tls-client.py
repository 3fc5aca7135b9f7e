#!/usr/bin/env python3
"""Key-logged TLS load for the squirrel-sniff benchmark (make-bench-capture.sh --profile tls-keylog).

    tls-client.py HOST PORT VERSION KEYLOG HANDSHAKES CONNECTIONS REQUESTS

VERSION is 1.2 or 1.3. Writes the session secrets of every connection to KEYLOG (NSS key log
format, as SSLKEYLOGFILE does). First HANDSHAKES one-request connections (a full handshake
each), then CONNECTIONS keep-alive connections of REQUESTS requests each cycling over small
pages, gzip-compressed text and a form POST. Prints the number of requests answered.
The server certificate is self-signed: it is not verified (127.0.0.1 only).
"""
import http.client
import ssl
import sys

MIX = [
    ("GET", "/index.html", None, {"Accept-Encoding": "gzip"}),
    ("GET", "/text/log.txt", None, {"Accept-Encoding": "gzip"}),
    ("GET", "/ping.txt", None, {}),
    ("GET", "/text/data.json", None, {"Accept-Encoding": "gzip"}),
    ("GET", "/ssi/page.shtml", None, {}),
    ("POST", "/login", "user=alice&password=acorns-4-winter",
     {"Content-Type": "application/x-www-form-urlencoded"}),
]


def context(version, keylog):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    tls = ssl.TLSVersion.TLSv1_3 if version == "1.3" else ssl.TLSVersion.TLSv1_2
    ctx.minimum_version = tls
    ctx.maximum_version = tls
    ctx.keylog_filename = keylog
    return ctx


def main():
    host, port, version, keylog = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
    handshakes, connections, requests = (int(a) for a in sys.argv[5:8])
    ctx = context(version, keylog)
    answered = 0
    for _ in range(handshakes):
        conn = http.client.HTTPSConnection(host, port, context=ctx, timeout=10)
        conn.request("GET", "/index.html", headers={"Connection": "close"})
        conn.getresponse().read()
        conn.close()
        answered += 1
    for c in range(connections):
        conn = http.client.HTTPSConnection(host, port, context=ctx, timeout=10)
        for r in range(requests):
            method, path, body, headers = MIX[(c + r) % len(MIX)]
            conn.request(method, path, body=body, headers=headers)
            conn.getresponse().read()
            answered += 1
        conn.close()
    print(f"{answered} requests answered over TLS {version}")


if __name__ == "__main__":
    main()
