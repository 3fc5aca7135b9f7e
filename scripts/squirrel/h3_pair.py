"""An HTTP/3 server and client on aioquic for scripts/make-quic-capture.sh.

    h3_pair.py server PORT CERT KEY      # answers /secret.txt with the secret, /login echoes
    h3_pair.py client PORT KEYLOG        # GET /secret.txt, POST /login, with a big ClientHello

The client offers many long ALPN values besides h3, so its ClientHello does not fit one
Initial packet (as post-quantum key shares make it in browsers), and logs its secrets
(SSLKEYLOGFILE format) to KEYLOG. Certificates are not checked (a scratch self-signed one).
"""

import asyncio
import ssl
import sys

from aioquic.asyncio import QuicConnectionProtocol, connect, serve
from aioquic.h3.connection import H3_ALPN, H3Connection
from aioquic.h3.events import DataReceived, HeadersReceived
from aioquic.quic.configuration import QuicConfiguration
from aioquic.quic.events import ProtocolNegotiated

SECRET = b"the squirrel's secret is: fluffy tail\n"
HOST = "squirrels.test"


class Server(QuicConnectionProtocol):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.h3 = None
        self.heads = {}
        self.bodies = {}

    def quic_event_received(self, event):
        if isinstance(event, ProtocolNegotiated):
            self.h3 = H3Connection(self._quic)
        if self.h3 is None:
            return
        for ev in self.h3.handle_event(event):
            if isinstance(ev, HeadersReceived):
                self.heads[ev.stream_id] = dict(ev.headers)
                self.bodies[ev.stream_id] = b""
            elif isinstance(ev, DataReceived):
                self.bodies[ev.stream_id] = self.bodies.get(ev.stream_id, b"") + ev.data
            else:
                continue
            if ev.stream_ended:
                self.answer(ev.stream_id)

    def answer(self, sid):
        path = self.heads.get(sid, {}).get(b":path", b"/")
        if path == b"/secret.txt":
            body, ctype = SECRET, b"text/plain"
        else:
            body, ctype = b'{"received": %d}' % len(self.bodies.get(sid, b"")), b"application/json"
        self.h3.send_headers(
            sid,
            [
                (b":status", b"200"),
                (b"server", b"squirrel-h3"),
                (b"content-type", ctype),
                (b"content-length", str(len(body)).encode()),
            ],
        )
        self.h3.send_data(sid, body, end_stream=True)
        self.transmit()


class Client(QuicConnectionProtocol):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.h3 = H3Connection(self._quic)
        self.waiting = {}

    def quic_event_received(self, event):
        for ev in self.h3.handle_event(event):
            if isinstance(ev, (HeadersReceived, DataReceived)) and ev.stream_ended:
                fut = self.waiting.pop(ev.stream_id, None)
                if fut is not None:
                    fut.set_result(True)

    async def request(self, method, path, body=b""):
        sid = self._quic.get_next_available_stream_id()
        headers = [
            (b":method", method),
            (b":scheme", b"https"),
            (b":authority", HOST.encode() + b":%d" % PORT),
            (b":path", path),
            (b"user-agent", b"squirrel-h3-client"),
        ]
        if body:
            headers.append((b"content-type", b"application/x-www-form-urlencoded"))
        self.h3.send_headers(sid, headers, end_stream=not body)
        if body:
            self.h3.send_data(sid, body, end_stream=True)
        fut = asyncio.get_running_loop().create_future()
        self.waiting[sid] = fut
        self.transmit()
        await asyncio.wait_for(fut, 5)


async def run_server(cert, key):
    cfg = QuicConfiguration(is_client=False, alpn_protocols=H3_ALPN)
    cfg.load_cert_chain(cert, key)
    await serve("127.0.0.1", PORT, configuration=cfg, create_protocol=Server)
    print("ready", flush=True)
    await asyncio.Future()


async def run_client(keylog):
    # Long ALPN values after h3 make the ClientHello span Initial packets.
    padding = ["x-squirrel-%02d-%s" % (i, "a" * 200) for i in range(8)]
    with open(keylog, "a") as log:
        cfg = QuicConfiguration(
            is_client=True,
            alpn_protocols=H3_ALPN + padding,
            server_name=HOST,
            verify_mode=ssl.CERT_NONE,
            secrets_log_file=log,
        )
        async with connect("127.0.0.1", PORT, configuration=cfg, create_protocol=Client) as c:
            await c.request(b"GET", b"/secret.txt")
            await c.request(b"POST", b"/login", b"user=squirrel&password=hunter2-acorns")


if __name__ == "__main__":
    role, PORT = sys.argv[1], int(sys.argv[2])
    if role == "server":
        asyncio.run(run_server(sys.argv[3], sys.argv[4]))
    else:
        asyncio.run(run_client(sys.argv[3]))
