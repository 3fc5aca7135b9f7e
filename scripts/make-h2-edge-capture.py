#!/usr/bin/env python3
"""One cleartext HTTP/2 connection on loopback with the frame forms `-z follow,http2` must
show as tshark does: padded HEADERS (with PRIORITY) and DATA, a DATA frame split over two
TCP segments, request trailers, a header block over HEADERS + 2 CONTINUATION frames whose
middle frame completes no field, PUSH_PROMISE (padded) and the pushed stream, RST_STREAM,
WINDOW_UPDATE, PRIORITY, PING, an unknown frame type on a stream, a dynamic table size
update, and GOAWAY.

    scripts/make-h2-edge-capture.sh OUT.pcap   (runs this under tcpdump)
    python3 scripts/make-h2-edge-capture.py PORT

A real client and server socket on 127.0.0.1:PORT; the frames are written by hand (so every
flag and split is the one wanted), header blocks encoded with the `hpack` package (pip
install h2). Client and server threads take turns (each step waits for the other's), so the packets
come in the order written here.
"""
import socket
import struct
import sys
import threading
import time

import hpack

PORT = int(sys.argv[1])
PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"

DATA, HEADERS, PRIORITY, RST_STREAM, SETTINGS, PUSH_PROMISE, PING, GOAWAY, WINDOW_UPDATE, \
    CONTINUATION = 0, 1, 2, 3, 4, 5, 6, 7, 8, 9
END_STREAM, ACK, END_HEADERS, PADDED, PRIO = 0x1, 0x1, 0x4, 0x8, 0x20


def frame(kind, flags, stream, payload):
    return struct.pack(">I", len(payload))[1:] + bytes([kind, flags]) + \
        struct.pack(">I", stream) + payload


def padded(body, pad):
    return bytes([pad]) + body + b"\0" * pad


def literal(name, value):
    """Literal header field without indexing, new name, no Huffman (RFC 7541 6.2.2)."""
    assert len(name) < 127 and len(value) < 127 + 128 * 128
    out = bytes([0x00, len(name)]) + name
    n = len(value)
    if n < 127:
        return out + bytes([n]) + value
    n -= 127
    rest = []
    while n >= 128:
        rest.append(n % 128 | 0x80)
        n //= 128
    rest.append(n)
    return out + bytes([127] + rest) + value


def send(sock, *frames, pause=0.05):
    sock.sendall(b"".join(frames))
    time.sleep(pause)


def server(listener, ready):
    ready.set()
    conn, _ = listener.accept()
    conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    enc = hpack.Encoder()
    step["preface"].wait()
    send(conn, frame(SETTINGS, 0, 0, struct.pack(">HI", 3, 100)), frame(SETTINGS, ACK, 0, b""))
    step["request1"].wait()
    send(conn, frame(WINDOW_UPDATE, 0, 1, struct.pack(">I", 100)),
         frame(WINDOW_UPDATE, 0, 0, struct.pack(">I", 1000)))
    # Stream 1's response head over HEADERS + CONTINUATION + CONTINUATION: the middle
    # fragment holds only bytes of x-long's value, the last one ends it and adds x-after.
    block = b"\x88" + literal(b"x-long", b"L" * 300) + literal(b"x-after", b"1")
    f1, f2, f3 = block[:12], block[12:112], block[112:]
    send(conn, frame(HEADERS, 0, 1, f1))
    send(conn, frame(CONTINUATION, 0, 1, f2))
    send(conn, frame(CONTINUATION, END_HEADERS, 1, f3))
    promise = enc.encode([(":method", "GET"), (":path", "/pushed.css"),
                          (":scheme", "http"), (":authority", "127.0.0.1")])
    send(conn, frame(PUSH_PROMISE, END_HEADERS | PADDED, 1,
                     padded(struct.pack(">I", 2) + promise, 3)))
    send(conn, frame(DATA, END_STREAM, 1, b"ok\n"),
         frame(HEADERS, END_HEADERS, 2, enc.encode([(":status", "200"),
                                                    ("content-type", "text/css")])),
         frame(DATA, END_STREAM, 2, b"p { color: brown }\n"))
    step["response1"].set()
    step["ping"].wait()
    send(conn, frame(PING, ACK, 0, b"squirrel"))
    step["request3"].wait()
    send(conn, frame(0xFA, 0x5, 3, b"xyz"))
    send(conn, frame(HEADERS, END_HEADERS, 3, enc.encode([(":status", "404")])),
         frame(DATA, END_STREAM | PADDED, 3, padded(b"", 0)))
    step["response3"].set()
    step["request5"].wait()
    send(conn, frame(RST_STREAM, 0, 5, struct.pack(">I", 7)))
    step["refused5"].set()
    # Read what the client sent until it closes (unread bytes would make close a reset).
    while conn.recv(65536):
        pass
    conn.close()


def client():
    s = socket.create_connection(("127.0.0.1", PORT))
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    enc = hpack.Encoder()
    send(s, PREFACE + frame(SETTINGS, 0, 0, b""))
    step["preface"].set()
    time.sleep(0.2)
    send(s, frame(SETTINGS, ACK, 0, b""))
    head = enc.encode([(":method", "POST"), (":path", "/upload"), (":scheme", "http"),
                       (":authority", "127.0.0.1"), ("content-type", "text/plain")])
    # Padded HEADERS with a priority (exclusive bit, stream dependency 0, weight 16).
    send(s, frame(HEADERS, END_HEADERS | PADDED | PRIO, 1,
                  padded(struct.pack(">IB", 0x80000000, 15) + head, 5)))
    send(s, frame(DATA, PADDED, 1, padded(b"hello squirrel\r\n", 7)))
    # One DATA frame over two TCP segments.
    split = frame(DATA, 0, 1, b"fluffy tail, " * 4)
    send(s, split[:20])
    send(s, split[20:])
    send(s, frame(HEADERS, END_HEADERS | END_STREAM, 1, enc.encode([("x-checksum", "abc")])))
    step["request1"].set()
    step["response1"].wait()
    time.sleep(0.1)
    send(s, frame(RST_STREAM, 0, 2, struct.pack(">I", 8)),
         frame(PRIORITY, 0, 7, struct.pack(">IB", 1, 200)),
         frame(PING, 0, 0, b"squirrel"))
    step["ping"].set()
    time.sleep(0.2)
    # A dynamic table size update at the start of stream 3's block.
    enc.header_table_size = 2048
    send(s, frame(HEADERS, END_HEADERS | END_STREAM, 3,
                  enc.encode([(":method", "GET"), (":path", "/nope"), (":scheme", "http"),
                              (":authority", "127.0.0.1")])))
    step["request3"].set()
    step["response3"].wait()
    time.sleep(0.1)
    send(s, frame(HEADERS, END_HEADERS | END_STREAM, 5,
                  enc.encode([(":method", "GET"), (":path", "/refused"), (":scheme", "http"),
                              (":authority", "127.0.0.1")])))
    step["request5"].set()
    step["refused5"].wait()
    time.sleep(0.1)
    send(s, frame(GOAWAY, 0, 0, struct.pack(">II", 3, 0) + b"bye"))
    s.shutdown(socket.SHUT_WR)
    while s.recv(65536):
        pass
    s.close()


step = {name: threading.Event() for name in
        ["preface", "request1", "response1", "ping", "request3", "response3", "request5",
         "refused5"]}
listener = socket.socket()
listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
listener.bind(("127.0.0.1", PORT))
listener.listen(1)
ready = threading.Event()
t = threading.Thread(target=server, args=(listener, ready))
t.start()
ready.wait()
client()
t.join()
listener.close()
