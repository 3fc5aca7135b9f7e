#!/usr/bin/env python3
"""Clients for the "Secret Squirrels" app (see app.py), one subcommand per capture.

  http            GET http://127.0.0.1:5683/ and print the secret.
  fernet          GET http://127.0.0.1:5683/, decrypt the Fernet token with the
                  shared key, print the secret.
  https --ca F    GET https://localhost:5683/, trusting only the home-made CA F.
  https --no-ca   The same, but with the default trust store (certifi), which
                  does not know our CA: verification fails, the client aborts
                  the handshake with a fatal alert (unknown_ca) and never sends
                  the request. Exit status 0 means "failed as expected".
  login           The login walk-through over plain HTTP (see app.py --mode login).

TLS session keys: if SSLKEYLOGFILE is set, urllib3 (under requests) writes the
NSS key log there. With it, Wireshark/tshark (and squirrel-sniff) can decrypt
the captured TLS traffic; without it, nobody on the path can.

Exit status: 0 if the run did what this capture is meant to show, 1 if not.
"""

import argparse
import os
import socket
import sys
from pathlib import Path

import requests
import urllib3.util.connection
from cryptography.fernet import Fernet

PORT = 5683
SECRET = "fluffy tail"

# Test credentials, the same as app.py (and captures/README.md).
USERNAME = "squirrel"
PASSWORD = "acorn-stash-42"
API_KEY = "sk-squirrel-0123456789abcdef"
TOKEN = "tok-hazelnut-31337"

# "localhost" may resolve to ::1 first on some machines. The server listens on
# 127.0.0.1 only, so resolve names to IPv4 only: no stray ::1 connection
# attempts end up in the capture.
urllib3.util.connection.allowed_gai_family = lambda: socket.AF_INET


def say(msg):
    print(f"client: {msg}", flush=True)


def run_http(_args):
    # Plain HTTP: the request and the secret in the response are readable by
    # anyone who sees the packets.
    with requests.Session() as s:
        r = s.get(f"http://127.0.0.1:{PORT}/", timeout=10)
        say(f"GET / -> {r.status_code} {r.headers.get('Content-Type')}: {r.text!r}")
        return r.text == SECRET


def run_fernet(args):
    # The body is a Fernet token; only holders of the shared key can read it.
    fernet = Fernet(args.fernet_key.read_bytes().strip())
    with requests.Session() as s:
        r = s.get(f"http://127.0.0.1:{PORT}/", timeout=10)
        token = r.content
        say(f"GET / -> {r.status_code}, token {token[:24].decode(errors='replace')}... ({len(token)} bytes)")
        secret = fernet.decrypt(token).decode()
        say(f"decrypted: {secret!r}")
        return secret == SECRET


def run_https(args):
    keylog = os.environ.get("SSLKEYLOGFILE")
    url = f"https://localhost:{PORT}/"
    with requests.Session() as s:
        # verify=CA file: trust our home-made CA only. verify=True: the default
        # trust store (certifi's public CAs), which has never heard of it.
        verify = str(args.ca) if args.ca else True
        try:
            r = s.get(url, verify=verify, timeout=10)
            body = r.text
        except requests.exceptions.SSLError as e:
            say(f"GET {url} failed: {e}")
            ok = args.ca is None and "CERTIFICATE_VERIFY_FAILED" in str(e)
            if ok:
                say("as expected: the server's certificate is signed by a CA this client does not trust")
            # With TLS 1.3 the handshake secrets exist before the certificate
            # is checked, so the key log has some lines; with TLS 1.2 the
            # master secret is never made and the log holds only its header.
            return ok and check_keylog(keylog, need_secrets=False)
        say(f"GET {url} -> {r.status_code}: {body!r}")
        return args.ca is not None and body == SECRET and check_keylog(keylog, need_secrets=True)


def check_keylog(keylog, need_secrets):
    """Report what the NSS key log holds: one "LABEL client_random secret" line per secret."""
    if not keylog:
        return True
    p = Path(keylog)
    if not p.exists():
        say(f"key log {p.name} was not written")
        return False
    labels = [ln.split()[0] for ln in p.read_text().splitlines() if ln and not ln.startswith("#")]
    say(f"key log {p.name}: {len(labels)} secrets {sorted(set(labels))}")
    return len(labels) > 0 or not need_secrets


def run_login(_args):
    base = f"http://127.0.0.1:{PORT}"
    ok = True
    # One Session = one cookie jar and (thanks to keep-alive) one TCP stream.
    with requests.Session() as s:

        def step(what, r, expect=200):
            nonlocal ok
            say(f"{what} -> {r.status_code} {r.text.strip()[:60]!r}")
            ok = ok and r.status_code == expect

        step("GET /", s.get(f"{base}/", timeout=10))
        # 1. A form login: username and password in an urlencoded body.
        step("POST /login (form)", s.post(f"{base}/login", data={"username": USERNAME, "password": PASSWORD}, timeout=10))
        say(f"cookie jar: {s.cookies.get_dict()}")
        # 2. The session cookie set by /login is sent back automatically.
        step("GET /stash (cookie)", s.get(f"{base}/stash", timeout=10))
        # 3. HTTP Basic authentication: user:password in base64.
        step("GET /basic (Basic auth)", s.get(f"{base}/basic", auth=(USERNAME, PASSWORD), timeout=10))
        # 4. An API key in a JSON body.
        step("POST /api/stash (JSON api_key)", s.post(f"{base}/api/stash", json={"api_key": API_KEY}, timeout=10))
        # 5. A token in the query string.
        step("GET /feed?token=... ", s.get(f"{base}/feed", params={"token": TOKEN}, timeout=10))
        # 6. A gzip-compressed, chunked page holding the secret. requests asks
        #    for gzip (Accept-Encoding) and decompresses transparently.
        r = s.get(f"{base}/secret.gz", timeout=10)
        step("GET /secret.gz (gzip, chunked)", r)
        say(f"  Content-Encoding={r.headers.get('Content-Encoding')} Transfer-Encoding={r.headers.get('Transfer-Encoding')}")
        ok = ok and SECRET in r.text
    return ok


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    sub.add_parser("http")
    f = sub.add_parser("fernet")
    f.add_argument("--fernet-key", type=Path, required=True)
    h = sub.add_parser("https")
    g = h.add_mutually_exclusive_group(required=True)
    g.add_argument("--ca", type=Path, help="trust this CA certificate only")
    g.add_argument("--no-ca", action="store_true", help="use the default trust store")
    sub.add_parser("login")
    args = p.parse_args()
    run = {"http": run_http, "fernet": run_fernet, "https": run_https, "login": run_login}[args.cmd]
    ok = run(args)
    say("ok" if ok else "UNEXPECTED RESULT")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
