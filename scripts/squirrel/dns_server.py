#!/usr/bin/env python3
"""A small authoritative DNS server for the capture scripts (standard library only).

Answers over UDP and TCP (2-byte length framing) on 127.0.0.1:PORT for the zone
secret-squirrel.example: A, AAAA, TXT (the secret, and a token a DNS tunnel would carry),
CNAME, MX, SRV, HTTPS, PTR; NXDOMAIN with the SOA otherwise. Usage: dns_server.py PORT
"""
import socket
import socketserver
import struct
import sys
import threading

ZONE = "secret-squirrel.example"


def name_wire(name):
    out = b""
    for label in name.rstrip(".").split("."):
        if label:
            out += bytes([len(label)]) + label.encode()
    return out + b"\x00"


def rr(name, rtype, rdata, ttl=300):
    return name_wire(name) + struct.pack("!HHIH", rtype, 1, ttl, len(rdata)) + rdata


def txt(*strings):
    return b"".join(bytes([len(s)]) + s for s in strings)


RECORDS = {
    (ZONE, 1): [rr(ZONE, 1, socket.inet_aton("127.0.0.42"))],
    (ZONE, 28): [rr(ZONE, 28, socket.inet_pton(socket.AF_INET6, "2001:db8::42"))],
    (ZONE, 16): [rr(ZONE, 16, txt(b"fluffy tail"))],
    (ZONE, 15): [rr(ZONE, 15, struct.pack("!H", 10) + name_wire("mail." + ZONE))],
    ("_http._tcp." + ZONE, 33): [
        rr("_http._tcp." + ZONE, 33, struct.pack("!HHH", 1, 5, 5683) + name_wire(ZONE))
    ],
    (ZONE, 65): [
        rr(ZONE, 65, struct.pack("!H", 1) + b"\x00" + struct.pack("!HH", 1, 3) + b"\x02h3")
    ],
    ("tunnel." + ZONE, 16): [rr("tunnel." + ZONE, 16, txt(b"api_key=sk_live_acorns4squirrels"))],
    ("42.0.0.127.in-addr.arpa", 12): [rr("42.0.0.127.in-addr.arpa", 12, name_wire(ZONE))],
}
CNAMES = {"www." + ZONE: ZONE}
SOA = rr(ZONE, 6, name_wire("ns." + ZONE) + name_wire("admin." + ZONE)
         + struct.pack("!IIIII", 1, 3600, 600, 86400, 60), ttl=60)


def answer(query):
    qid, flags, qd = struct.unpack("!HHH", query[:6])
    pos, labels = 12, []
    while query[pos]:
        n = query[pos]
        labels.append(query[pos + 1:pos + 1 + n].decode())
        pos += 1 + n
    qname = ".".join(labels).lower()
    qtype, _ = struct.unpack("!HH", query[pos + 1:pos + 5])
    question = query[12:pos + 5]
    answers, authority, rcode = [], [], 0
    name = qname
    if name in CNAMES:
        answers.append(rr(name, 5, name_wire(CNAMES[name])))
        name = CNAMES[name]
    found = RECORDS.get((name, qtype), [])
    answers += found
    if not answers and not any(k[0] == name for k in RECORDS):
        rcode = 3
        authority.append(SOA)
    resp_flags = 0x8400 | (flags & 0x0100) | 0x0080 | rcode
    header = struct.pack("!HHHHHH", qid, resp_flags, 1, len(answers), len(authority), 0)
    return header + question + b"".join(answers) + b"".join(authority)


class Udp(socketserver.BaseRequestHandler):
    def handle(self):
        data, sock = self.request
        sock.sendto(answer(data), self.client_address)


class Tcp(socketserver.BaseRequestHandler):
    def handle(self):
        while True:
            head = self.request.recv(2)
            if len(head) < 2:
                return
            (n,) = struct.unpack("!H", head)
            data = b""
            while len(data) < n:
                chunk = self.request.recv(n - len(data))
                if not chunk:
                    return
                data += chunk
            resp = answer(data)
            self.request.sendall(struct.pack("!H", len(resp)) + resp)


def main():
    port = int(sys.argv[1])
    socketserver.UDPServer.allow_reuse_address = True
    socketserver.TCPServer.allow_reuse_address = True
    udp = socketserver.ThreadingUDPServer(("127.0.0.1", port), Udp)
    tcp = socketserver.ThreadingTCPServer(("127.0.0.1", port), Tcp)
    threading.Thread(target=udp.serve_forever, daemon=True).start()
    print("ready", flush=True)
    tcp.serve_forever()


if __name__ == "__main__":
    main()
