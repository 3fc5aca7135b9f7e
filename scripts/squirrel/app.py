#!/usr/bin/env python3
"""The "Secret Squirrels" Flask app: a server that keeps one secret, `fluffy tail`.

The same app is started in different ways, one per capture (see make-captures.sh):

  --mode http    GET / returns the secret in clear (text/plain). Anyone who can
                 see the packets reads it.
  --mode fernet  GET / returns the secret encrypted with a shared Fernet key.
                 On the wire there is only a token; the client, which has the
                 key, decrypts it.
  --mode https   GET / returns the secret in clear, but the server speaks TLS
                 with a certificate signed by the home-made CA (--cert/--key).
                 On the wire there are only TLS records. --tls-max 1.2 pins the
                 server to TLS 1.2, where the certificate travels unencrypted.
  --mode login   A small "members area" over plain HTTP that shows the usual
                 ways credentials leak: form login, Basic auth, a cookie without
                 Secure/HttpOnly, an API key in JSON, a token in the query
                 string, and a gzip-compressed chunked page with the secret.

The server listens on 127.0.0.1 only. Once the socket is bound it writes
--ready-file, so the caller can start capturing before any traffic flows.
"""

import argparse
import gzip
import ssl
import sys
from pathlib import Path

from cryptography.fernet import Fernet
from flask import Flask, Response, abort, jsonify, request
from werkzeug.serving import make_server

SECRET = "fluffy tail"

# Fixed test credentials for --mode login (also listed in captures/README.md).
USERNAME = "squirrel"
PASSWORD = "acorn-stash-42"
SESSION_COOKIE = "nutcache-7f3a9c21"
API_KEY = "sk-squirrel-0123456789abcdef"
TOKEN = "tok-hazelnut-31337"


def make_app(mode, fernet_key=None):
    app = Flask("secret_squirrels")

    if mode in ("http", "https"):

        @app.get("/")
        def secret():
            # The secret as plain text. Over HTTP it is readable on the wire;
            # over HTTPS the same bytes are inside encrypted TLS records.
            return Response(SECRET, mimetype="text/plain")

    elif mode == "fernet":
        fernet = Fernet(fernet_key)

        @app.get("/")
        def secret():
            # Fernet = AES-128-CBC + HMAC-SHA256, with a timestamp and random IV,
            # base64url-encoded. The wire shows a token beginning "gAAAAA";
            # without the key it says nothing about the secret (only its length
            # class). The HTTP headers around it are still in clear.
            token = fernet.encrypt(SECRET.encode())
            return Response(token, mimetype="text/plain")

    elif mode == "login":

        @app.get("/")
        def home():
            return Response(
                "<html><body><h1>Secret Squirrels</h1>"
                '<form method="post" action="/login">'
                '<input name="username"><input name="password" type="password">'
                "<button>Log in</button></form></body></html>",
                mimetype="text/html",
            )

        @app.post("/login")
        def login():
            # The form arrives as application/x-www-form-urlencoded:
            # "username=squirrel&password=acorn-stash-42" in clear.
            if request.form.get("username") != USERNAME or request.form.get("password") != PASSWORD:
                abort(403)
            resp = Response("welcome, squirrel\n", mimetype="text/plain")
            # No Secure and no HttpOnly: the cookie would be sent over plain
            # HTTP and is readable from page scripts. Both are findings.
            resp.set_cookie("session", SESSION_COOKIE, path="/")
            return resp

        @app.get("/stash")
        def stash():
            # The browser (here: requests.Session) sends the cookie back.
            if request.cookies.get("session") != SESSION_COOKIE:
                abort(401)
            return Response("your stash: 12 acorns, 3 hazelnuts\n", mimetype="text/plain")

        @app.get("/basic")
        def basic():
            # "Authorization: Basic c3F1aXJyZWw6YWNvcm4tc3Rhc2gtNDI=" is only
            # base64 of "squirrel:acorn-stash-42", not encryption.
            auth = request.authorization
            if auth is None or auth.username != USERNAME or auth.password != PASSWORD:
                return Response("who are you?\n", 401, {"WWW-Authenticate": 'Basic realm="squirrels"'})
            return Response("basic auth ok\n", mimetype="text/plain")

        @app.post("/api/stash")
        def api_stash():
            # An API key inside a JSON body.
            body = request.get_json(silent=True) or {}
            if body.get("api_key") != API_KEY:
                abort(403)
            return jsonify(ok=True, acorns=12)

        @app.get("/feed")
        def feed():
            # A token in the query string: it ends up in logs, history and
            # Referer headers, and here on the wire in the request line.
            if request.args.get("token") != TOKEN:
                abort(403)
            return jsonify(items=["acorn", "hazelnut"])

        @app.get("/secret.gz")
        def secret_gz():
            # The secret inside a gzip-compressed body sent in chunks
            # (Transfer-Encoding: chunked, because a streamed response has no
            # Content-Length). A grep over the raw packets does not find
            # "fluffy tail"; a tool must de-chunk and gunzip to see it.
            page = (
                "<html><body><h1>Secret Squirrels</h1>\n"
                f"<p>The secret is: {SECRET}</p>\n"
                "<p>Tell no one.</p></body></html>\n"
            ).encode()
            # mtime=0 keeps the gzip header, and so the capture, deterministic.
            blob = gzip.compress(page, mtime=0)

            def chunks():
                step = 40
                for i in range(0, len(blob), step):
                    yield blob[i : i + step]

            return Response(
                chunks(),
                mimetype="text/html",
                headers={"Content-Encoding": "gzip"},
            )

    else:
        raise ValueError(f"unknown mode {mode!r}")

    return app


def tls_context(cert, key, tls_max):
    """Server-side TLS: our certificate + key; optionally capped at TLS 1.2."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    if tls_max == "1.2":
        # Under TLS 1.3 the server's Certificate message is encrypted; under
        # TLS 1.2 it is sent in clear, so a sniffer sees who the server claims
        # to be and which CA signed it.
        ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    return ctx


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--mode", required=True, choices=["http", "fernet", "https", "login"])
    p.add_argument("--port", type=int, default=5683)
    p.add_argument("--fernet-key", type=Path, help="file holding the Fernet key (mode fernet)")
    p.add_argument("--cert", type=Path, help="server certificate (mode https)")
    p.add_argument("--key", type=Path, help="server private key (mode https)")
    p.add_argument("--tls-max", choices=["1.2", "1.3"], default="1.3")
    p.add_argument("--ready-file", type=Path, help="written once the socket is bound")
    args = p.parse_args()

    fernet_key = args.fernet_key.read_bytes().strip() if args.fernet_key else None
    if args.mode == "fernet" and fernet_key is None:
        p.error("--mode fernet needs --fernet-key")
    ssl_ctx = None
    if args.mode == "https":
        if not (args.cert and args.key):
            p.error("--mode https needs --cert and --key")
        ssl_ctx = tls_context(args.cert, args.key, args.tls_max)

    app = make_app(args.mode, fernet_key)
    # Loopback only. threaded=True makes werkzeug speak HTTP/1.1 (keep-alive,
    # chunked responses), like Flask's own `app.run()`.
    server = make_server("127.0.0.1", args.port, app, threaded=True, ssl_context=ssl_ctx)
    if args.ready_file:
        args.ready_file.write_text(f"{args.mode} 127.0.0.1:{args.port}\n")
    print(f"app: {args.mode} listening on 127.0.0.1:{args.port}", file=sys.stderr, flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
