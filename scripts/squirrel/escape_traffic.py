#!/usr/bin/env python3
"""Hostile-bytes traffic for captures/escape-injection.pcap (terminal-safety tests).

Two roles, standard library only, raw sockets on both sides so no byte gets escaped or
rejected on the way out:

  escape_traffic.py server --ready-file F [--count N]
      listen on 127.0.0.1:<free port>, write the port to F, answer N connections, exit.
      A connection starting with a TLS record (0x16) gets a TLS alert; any other gets an
      HTTP response whose status line, headers and body carry terminal escape sequences.
  escape_traffic.py client --port P
      make the connections: a GET whose URI and headers carry escapes, a POST with
      credentials (Basic auth and a form) hiding escapes, and a TLS ClientHello whose SNI
      and ALPN carry escapes.

What the bytes are (all of them must come out of squirrel-sniff as visible escapes):
  ESC[2J ESC[H ESC[31m     CSI: clear screen, cursor home, colour
  ESC]52;c;...BEL          OSC 52: write the clipboard
  ESC]8;;URL ESC\\ ...     OSC 8: hyperlink
  0x9b 0x85 (raw)          C1 CSI and NEL as single bytes (invalid UTF-8)
  U+009B U+0085 (UTF-8)    the same C1 controls, validly encoded
  U+202E U+2066 U+2069     bidi overrides / isolates
  0x00 0x07 0x08 0x7f      NUL, BEL, backspace, DEL
  0xff 0xfe                invalid UTF-8

With --html (both roles; captures/html-injection.pcap, for the --html page's tests) the
same connections carry HTML instead: <script> elements, "><img onerror=...> attribute
breakouts and bidi controls in the request line, headers, bodies, form password and SNI.
A script that ran would set the page's title to PWNED.
"""

import argparse
import base64
import socket
import struct
import sys

ESC = b"\x1b"
CLEAR = ESC + b"[2J" + ESC + b"[H"
RED = ESC + b"[31m"
OSC52 = ESC + b"]52;c;" + base64.b64encode(b"rm -rf ~") + b"\x07"
OSC8 = ESC + b"]8;;http://evil.example/" + ESC + b"\\click me" + ESC + b"]8;;" + ESC + b"\\"
C1_RAW = b"\x9b31m\x85"
C1_UTF8 = "\u009b32m\u0085".encode()
BIDI = "\u202eevil\u2066txt\u2069".encode()
LOW = b"\x00\x07\x08\x7f"
BAD_UTF8 = b"\xff\xfe"
# Everything at once, for places that take arbitrary bytes.
ALL = CLEAR + RED + OSC52 + OSC8 + C1_RAW + C1_UTF8 + BIDI + LOW + BAD_UTF8

# --html: markup that would run if a page pasted it unescaped.
SCRIPT = b"<script>document.title='PWNED'</script>"
IMG = b"\"><img src=x onerror=\"document.title='PWNED'\">"
SVG = b"'><svg onload=document.title='PWNED'>"
HTML_MODE = False


def read_head(conn):
    """Read until the end of an HTTP head (or a TLS record's worth), then the body by
    Content-Length when there is one."""
    data = b""
    conn.settimeout(5)
    while True:
        if data[:1] == b"\x16" and len(data) >= 5:
            need = 5 + struct.unpack(">H", data[3:5])[0]
            if len(data) >= need:
                return data
        elif b"\r\n\r\n" in data:
            head, _, body = data.partition(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value.strip() or b"0")
            if len(body) >= length:
                return data
        chunk = conn.recv(4096)
        if not chunk:
            return data
        data += chunk


def html_response():
    body = (
        b"<html><body>" + SCRIPT + b"\n"
        + b"secret: fluffy tail " + IMG + b"\n"
        + b"bidi " + BIDI + b" " + SVG + b"\n"
        + b"</body></html>\n"
    )
    head = (
        b"HTTP/1.1 200 OK\r\n"
        + b"Server: squirrel" + SCRIPT + b"\r\n"
        + b"Content-Type: text/html\r\n"
        + b"X-Note: " + IMG + b"\r\n"
        + b"Set-Cookie: session=" + SVG + b"\r\n"
        + b"Content-Length: " + str(len(body)).encode() + b"\r\n"
        + b"Connection: close\r\n\r\n"
    )
    return head + body


def http_response():
    if HTML_MODE:
        return html_response()
    body = (
        b"<html><title>" + CLEAR + b"squirrel</title>\n"
        + b"OSC52 " + OSC52 + b"\n"
        + b"OSC8 " + OSC8 + b"\n"
        + b"C1 " + C1_RAW + b" " + C1_UTF8 + b"\n"
        + b"bidi " + BIDI + b"\n"
        + b"low " + LOW + b" bad " + BAD_UTF8 + b"\n"
        + b"</html>\n"
    )
    head = (
        b"HTTP/1.1 200 OK" + RED + b"\r\n"
        + b"Server: squirrel" + CLEAR + b"\r\n"
        + b"Content-Type: text/html\r\n"
        + b"X-Clipboard: " + OSC52 + b"\r\n"
        + b"X-Link: " + OSC8 + b"\r\n"
        + b"X-Bidi: " + BIDI + b"\r\n"
        + b"Set-Cookie: session=" + C1_RAW + C1_UTF8 + b"; HttpOnly\r\n"
        + b"Content-Length: " + str(len(body)).encode() + b"\r\n"
        + b"Connection: close\r\n\r\n"
    )
    return head + body


def tls_alert():
    # handshake_failure (40), fatal.
    return b"\x15\x03\x03\x00\x02\x02\x28"


def serve(ready_file, count):
    lst = socket.socket()
    lst.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lst.bind(("127.0.0.1", 0))
    lst.listen(4)
    with open(ready_file, "w") as f:
        f.write(str(lst.getsockname()[1]))
    for _ in range(count):
        conn, _ = lst.accept()
        with conn:
            data = read_head(conn)
            conn.sendall(tls_alert() if data[:1] == b"\x16" else http_response())
            conn.shutdown(socket.SHUT_WR)
            try:
                while conn.recv(4096):
                    pass
            except OSError:
                pass
    lst.close()


def exchange(port, payload):
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(payload)
        got = b""
        while True:
            chunk = s.recv(4096)
            if not chunk:
                break
            got += chunk
    return got


def client_hello(sni, alpn):
    """A TLS 1.2/1.3 ClientHello built field by field (fixed random, so it is reproducible)."""

    def u8(b):
        return struct.pack(">B", len(b)) + b

    def u16(b):
        return struct.pack(">H", len(b)) + b

    def ext(kind, body):
        return struct.pack(">H", kind) + u16(body)

    server_name = ext(0, u16(b"\x00" + u16(sni)))
    alpn_ext = ext(16, u16(b"".join(u8(p) for p in alpn)))
    versions = ext(43, u8(b"\x03\x04\x03\x03"))
    groups = ext(10, u16(b"\x00\x1d\x00\x17"))
    sig_algs = ext(13, u16(b"\x04\x03\x08\x04\x04\x01"))
    key_share = ext(51, u16(b"\x00\x1d" + u16(bytes(range(32)))))
    extensions = server_name + alpn_ext + versions + groups + sig_algs + key_share
    suites = b"\x13\x01\x13\x02\xc0\x2f\xc0\x2b"
    body = (
        b"\x03\x03"
        + bytes(range(0x20, 0x40))  # random
        + u8(bytes(range(0x40, 0x60)))  # legacy session id
        + u16(suites)
        + u8(b"\x00")  # compression: null
        + u16(extensions)
    )
    handshake = b"\x01" + struct.pack(">I", len(body))[1:] + body
    return b"\x16\x03\x01" + u16(handshake)


def html_requests(host):
    get = (
        b"GET /" + SCRIPT + b"?q=" + IMG.replace(b" ", b"+") + b" HTTP/1.1\r\n"
        + b"Host: " + host + b"\r\n"
        + b"User-Agent: squirrel-agent " + IMG + b"\r\n"
        + b"Referer: http://" + BIDI + b".example/\r\n"
        + b"Connection: close\r\n\r\n"
    )
    form = b"user=" + SVG + b"&password=" + SCRIPT + b"hunter2" + BIDI
    post = (
        b"POST /login HTTP/1.1\r\n"
        + b"Host: " + host + b"\r\n"
        + b"Authorization: Basic " + base64.b64encode(b"squirrel:" + IMG) + b"\r\n"
        + b"Content-Type: application/x-www-form-urlencoded\r\n"
        + b"Content-Length: " + str(len(form)).encode() + b"\r\n"
        + b"Connection: close\r\n\r\n"
        + form
    )
    hello = client_hello(b"x" + SVG.replace(b" ", b"") + b".example", [b"h2<script>"])
    return get, post, hello


def client(port):
    host = b"127.0.0.1:" + str(port).encode()
    if HTML_MODE:
        return run_client(port, *html_requests(host))
    get = (
        b"GET /" + CLEAR + b"/" + C1_RAW + b"/" + BIDI + b"?q=" + LOW + b" HTTP/1.1\r\n"
        + b"Host: " + host + b"\r\n"
        + b"User-Agent: squirrel-agent " + OSC52 + OSC8 + BAD_UTF8 + b"\r\n"
        + b"Referer: http://" + BIDI + b".example/\r\n"
        + b"Connection: close\r\n\r\n"
    )
    form = b"user=" + CLEAR + b"admin&password=" + BIDI + b"hunter2" + LOW
    post = (
        b"POST /login HTTP/1.1\r\n"
        + b"Host: " + host + b"\r\n"
        + b"Authorization: Basic " + base64.b64encode(b"squirrel" + RED + b":nut" + OSC52) + b"\r\n"
        + b"Content-Type: application/x-www-form-urlencoded\r\n"
        + b"Content-Length: " + str(len(form)).encode() + b"\r\n"
        + b"Connection: close\r\n\r\n"
        + form
    )
    hello = client_hello(
        b"evil" + CLEAR + OSC52 + b".example" + BIDI,
        [b"h2" + RED, b"http/1.1" + C1_RAW],
    )
    return run_client(port, get, post, hello)


def run_client(port, get, post, hello):
    ok = True
    for name, payload in (("GET", get), ("POST", post), ("ClientHello", hello)):
        got = exchange(port, payload)
        want = tls_alert() if payload[:1] == b"\x16" else b"HTTP/1.1 200 OK" + (b"" if HTML_MODE else RED)
        good = got.startswith(want)
        ok = ok and good
        print(f"escape-client: {name}: sent {len(payload)} bytes, got {len(got)} ({'ok' if good else 'UNEXPECTED'})",
              file=sys.stderr)
    return 0 if ok else 1


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="role", required=True)
    s = sub.add_parser("server")
    s.add_argument("--ready-file", required=True)
    s.add_argument("--count", type=int, default=3)
    c = sub.add_parser("client")
    c.add_argument("--port", type=int, required=True)
    p.add_argument("--html", action="store_true", help="HTML injection payloads instead")
    a = p.parse_args()
    global HTML_MODE
    HTML_MODE = a.html
    if a.role == "server":
        serve(a.ready_file, a.count)
        return 0
    return client(a.port)


if __name__ == "__main__":
    sys.exit(main())
