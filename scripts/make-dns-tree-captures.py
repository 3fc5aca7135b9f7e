#!/usr/bin/env python3
"""captures/dns-tree/*.pcap: DNS messages made byte by byte for `-z dns,tree`.

Each capture holds what the tree sorts messages by and how tshark pairs them:

  udp.pcap    UDP port 53: rcodes (0-5, 9, 16, an unknown one), opcodes (query,
                      inverse, status, notify, update, unassigned ones), types (common,
                      DNSSEC, AXFR/ANY, unknown), classes (IN, CH, HS, NONE, ANY, unknown,
                      the mDNS unicast bit), names of 0 to 7 labels, no question, two
                      questions, an unanswered query, a retransmitted query, a duplicated
                      response, an unsolicited response, an id reused by another client and
                      much later, a header cut short and a question cut short.
  tcp.pcap    DNS over TCP port 53: two queries in one segment, a response split
                      over two segments, two responses in one segment, and a second
                      connection reusing an id.
  mdns.pcap   mDNS (UDP 5353), LLMNR (UDP 5355), TCP 5353 and DNS from a client on
                      port 5353 to port 53: which of them tshark's DNS tree counts.
  names.pcap  the names the tree prints: 586 query types (those tshark names and
                      unknown ones), classes, opcodes and rcodes; query names with odd bytes.

tshark is the oracle: scripts/make-z-dns-fixtures.sh writes its tree for each capture.
Needs only python3: scripts/make-dns-tree-captures.py
"""
import importlib.util
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
OUT = os.path.join(ROOT, "captures", "dns-tree")

MAC_A, MAC_B = bytes([2, 0, 0, 0, 0, 1]), bytes([2, 0, 0, 0, 0, 2])


def _tunnel_helpers():
    """scripts/make-tunnel-captures.py, for its IPv4 header checksum."""
    spec = importlib.util.spec_from_file_location(
        "tunnel_captures", os.path.join(HERE, "make-tunnel-captures.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


checksum = _tunnel_helpers().checksum


def ipv4(src, dst, proto, payload):
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), 0, 0x4000, 64, proto, 0,
                    bytes(src), bytes(dst))
    h = h[:10] + struct.pack("!H", checksum(h)) + h[12:]
    return h + payload


def eth(payload):
    return MAC_B + MAC_A + struct.pack("!H", 0x0800) + payload


def udp(src, sport, dst, dport, payload):
    return eth(ipv4(src, dst, 17, struct.pack("!HHHH", sport, dport, 8 + len(payload), 0)
                    + payload))


def tcp(src, sport, dst, dport, seq, ack, flags, payload=b""):
    h = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, 5 << 4, flags, 65535, 0, 0)
    return eth(ipv4(src, dst, 6, h + payload))


def name(text):
    if text == ".":
        return b"\0"
    out = b""
    for label in text.split("."):
        out += bytes([len(label)]) + label.encode()
    return out + b"\0"


def msg(ident, qr=0, opcode=0, rcode=0, questions=(), answers=(), auth=0, add=0,
        counts=None):
    """A DNS message; `answers` are (name, type, rdata) of class IN."""
    flags = (qr << 15) | (opcode << 11) | (0x0100 if not qr else 0x8180) | rcode
    qd, an = len(questions), len(answers)
    if counts:
        qd, an, auth, add = counts
    b = struct.pack("!HHHHHH", ident, flags, qd, an, auth, add)
    for qname, qtype, qclass in questions:
        b += name(qname) + struct.pack("!HH", qtype, qclass)
    for rname, rtype, rdata in answers:
        b += name(rname) + struct.pack("!HHIH", rtype, 1, 300, len(rdata)) + rdata
    for _ in range(auth if not counts else 0):
        soa = name("ns.x") + name("h.x") + struct.pack("!IIIII", 1, 2, 3, 4, 5)
        b += b"\xc0\x0c" + struct.pack("!HHIH", 6, 1, 300, len(soa)) + soa
    return b


def write_pcap(path, frames):
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for t, fr in frames:
            sec, usec = 1_700_000_000 + int(t), round((t - int(t)) * 1_000_000)
            f.write(struct.pack("<IIII", sec, usec, len(fr), len(fr)))
            f.write(fr)


C, S, C2 = [10, 0, 0, 1], [10, 0, 0, 53], [10, 0, 0, 7]
A = (b"\x0a\x00\x00\x2a")


def rdata(rtype):
    """Well-formed record data of a type (opaque bytes for the types without a layout)."""
    target = name("target.example.com")
    return {
        1: A,
        28: bytes(15) + b"\x01",
        2: target, 5: target, 12: target, 39: target,
        6: name("ns.example.com") + name("host.example.com") + struct.pack("!IIIII", 1, 2, 3, 4, 5),
        15: b"\x00\x0a" + target,
        16: b"\x05hello", 99: b"\x05hello",
        33: struct.pack("!HHH", 1, 2, 5060) + target,
        13: b"\x03cpu\x02os",
        35: struct.pack("!HH", 10, 20) + b"\x01U\x07E2U+sip\x00" + target,
        46: struct.pack("!HBBIIIH", 1, 8, 2, 300, 2, 1, 7) + name("example.com") + b"sig",
        43: struct.pack("!HBB", 7, 8, 2) + bytes(32),
        48: struct.pack("!HBB", 257, 3, 8) + b"key",
        257: b"\x00\x05issueca.example",
        64: b"\x00\x01" + target, 65: b"\x00\x01" + target,
    }.get(rtype, b"\x01\x02\x03\x04")


def udp_capture():
    fr = []
    t = [0.0]

    def q(ident, qname, qtype=1, qclass=1, opcode=0, src=C, sport=40000, dt=0.0123, **kw):
        t[0] += dt
        fr.append((t[0], udp(src, sport, S, 53, msg(ident, 0, opcode,
                                                      questions=[(qname, qtype, qclass)]
                                                      if qname is not None else [], **kw))))

    def r(ident, qname, qtype=1, qclass=1, opcode=0, rcode=0, answers=1, dst=C, dport=40000,
          dt=0.0041, **kw):
        t[0] += dt
        ans = [(qname, qtype, rdata(qtype))] * answers if qname is not None else []
        fr.append((t[0], udp(S, 53, dst, dport, msg(ident, 1, opcode, rcode,
                                                      questions=[(qname, qtype, qclass)]
                                                      if qname is not None else [],
                                                      answers=ans, **kw))))

    # Plain exchanges: types, names of several label counts.
    for i, (n, ty) in enumerate([("www.example.com", 1), ("example.com", 28),
                                 ("a.b.c.d.example.com", 16), ("localhost", 1), (".", 2),
                                 ("mail.example.org", 15), ("_sip._tcp.example.net", 33),
                                 ("1.0.0.10.in-addr.arpa", 12), ("example.com", 6),
                                 ("x.example.com", 5), ("example.com", 48),
                                 ("example.com", 46), ("example.com", 43),
                                 ("example.com", 257), ("example.com", 64),
                                 ("example.com", 65), ("example.com", 35),
                                 ("example.com", 13), ("example.com", 65280),
                                 ("example.com", 0), ("example.com", 99),
                                 ("very-long-label-number-one.second-label.third.example", 1)]):
        q(0x100 + i, n, ty)
        r(0x100 + i, n, ty, answers=i % 3)
    # rcodes.
    for i, rc in enumerate([1, 2, 3, 4, 5, 6, 9, 10, 11, 12, 15]):
        q(0x200 + i, "rc%d.example.com" % rc)
        r(0x200 + i, "rc%d.example.com" % rc, rcode=rc, answers=0, auth=1)
    # opcodes (a response too).
    for i, op in enumerate([1, 2, 3, 4, 5, 6, 15]):
        q(0x300 + i, "op.example.com", opcode=op)
        r(0x300 + i, "op.example.com", opcode=op, answers=0)
    # classes, the mDNS unicast-response bit.
    for i, cl in enumerate([3, 4, 254, 255, 77, 0x8001]):
        q(0x400 + i, "cl.example.com", 16, cl)
        r(0x400 + i, "cl.example.com", 16, cl, answers=0)
    # An AXFR and ANY.
    q(0x500, "example.com", 252)
    r(0x500, "example.com", 252, answers=2)
    q(0x501, "example.com", 255)
    r(0x501, "example.com", 255, answers=1)
    # Unanswered.
    q(0x600, "unanswered.example.com")
    # A retransmitted query (1 s later, then 6 s later), one response, then a duplicated
    # response.
    q(0x601, "retry.example.com", dt=0.5)
    q(0x601, "retry.example.com", dt=1.0)
    q(0x601, "retry.example.com", dt=6.0)
    r(0x601, "retry.example.com", dt=0.2)
    r(0x601, "retry.example.com", dt=0.2)
    # A query retried 3 s later, then 4 s after the retry (7 s after the first), answered.
    q(0x610, "retry2.example.com", dt=0.5)
    q(0x610, "retry2.example.com", dt=3.0)
    q(0x610, "retry2.example.com", dt=4.0)
    r(0x610, "retry2.example.com", dt=0.3)
    # A query retried once 2 s later, the response after the retry.
    q(0x611, "retry3.example.com", dt=0.5)
    q(0x611, "retry3.example.com", dt=2.0)
    r(0x611, "retry3.example.com", dt=0.1)
    # An answered id asked again 1 s later, and answered again.
    q(0x612, "again2.example.com", dt=0.5)
    r(0x612, "again2.example.com", dt=0.01)
    q(0x612, "again2.example.com", dt=1.0)
    r(0x612, "again2.example.com", dt=0.02)
    # An id asked exactly 5 s after an unanswered query.
    q(0x613, "five.example.com", dt=0.5)
    q(0x613, "five.example.com", dt=5.0)
    r(0x613, "five.example.com", dt=0.05)
    # An unsolicited response.
    r(0x602, "nobody-asked.example.com")
    # The same id from another client, and the first client reusing an answered id.
    q(0x100, "www.example.com", src=C2, sport=41000)
    r(0x100, "www.example.com", dst=C2, dport=41000)
    q(0x100, "again.example.com", dt=10.0)
    r(0x100, "again.example.com")
    # Same id, other port of the same client.
    q(0x603, "port-a.example.com", sport=40001)
    r(0x603, "port-a.example.com", dport=40002)
    # No question, two questions.
    q(0x700, None)
    r(0x700, None, answers=0)
    t[0] += 0.01
    fr.append((t[0], udp(C, 40000, S, 53, msg(0x701, questions=[("one.example.com", 1, 1),
                                                               ("two.example.com", 28, 1)]))))
    t[0] += 0.01
    fr.append((t[0], udp(S, 53, C, 40000, msg(0x701, 1, questions=[("one.example.com", 1, 1),
                                                                  ("two.example.com", 28, 1)]))))
    # Cut short: header alone saying one question, a question cut inside the name, a
    # record cut short in a response. (A datagram shorter than a header is malformed DNS
    # to tshark on port 53 but no DNS to squirrel-sniff: neither counts it in the tree.)
    t[0] += 0.01
    fr.append((t[0], udp(C, 40000, S, 53, msg(0x800, counts=(1, 0, 0, 0)))))
    t[0] += 0.01
    fr.append((t[0], udp(C, 40000, S, 53, msg(0x801, questions=[("cut.example.com", 1, 1)])
                         [:20])))
    t[0] += 0.01
    fr.append((t[0], udp(S, 53, C, 40000, msg(0x801, 1, questions=[("cut.example.com", 1, 1)],
                                              answers=[("cut.example.com", 1, A)])[:-3])))
    # Counts larger than the records present.
    t[0] += 0.01
    fr.append((t[0], udp(S, 53, C, 40000,
                         msg(0x802, 1, questions=[("big.example.com", 1, 1)],
                             counts=(1, 3, 2, 1)))))
    return fr


def tcp_capture():
    fr = []
    t = [0.0]

    def seg(a2b, conn, flags, payload=b""):
        sport = conn["sport"]
        t[0] += 0.003
        if a2b:
            fr.append((t[0], tcp(C, sport, S, 53, conn["cs"], conn["ss"], flags, payload)))
            conn["cs"] += len(payload) + (1 if flags & 3 else 0)
        else:
            fr.append((t[0], tcp(S, 53, C, sport, conn["ss"], conn["cs"], flags, payload)))
            conn["ss"] += len(payload) + (1 if flags & 3 else 0)

    def framed(m):
        return struct.pack("!H", len(m)) + m

    for sport in (50000, 50001):
        conn = {"sport": sport, "cs": 1000, "ss": 5000}
        seg(True, conn, 0x02)
        conn["ss"] -= 0
        t[0] += 0.001
        fr.append((t[0], tcp(S, 53, C, sport, conn["ss"], conn["cs"], 0x12)))
        conn["ss"] += 1
        seg(True, conn, 0x10)
        q1 = msg(0x900, questions=[("one.example.com", 1, 1)])
        q2 = msg(0x901, questions=[("two.example.com", 16, 1)])
        seg(True, conn, 0x18, framed(q1) + framed(q2))
        r1 = framed(msg(0x900, 1, questions=[("one.example.com", 1, 1)],
                        answers=[("one.example.com", 1, A)]))
        seg(False, conn, 0x18, r1[:9])
        seg(False, conn, 0x18, r1[9:])
        r2 = framed(msg(0x901, 1, questions=[("two.example.com", 16, 1)],
                        answers=[("two.example.com", 16, b"\x05hello")]))
        q3 = msg(0x902, questions=[("three.example.com", 28, 1)])
        seg(True, conn, 0x18, framed(q3))
        r3 = framed(msg(0x902, 1, rcode=3, questions=[("three.example.com", 28, 1)]))
        seg(False, conn, 0x18, r2 + r3)
        seg(True, conn, 0x11)
        seg(False, conn, 0x11)
        seg(True, conn, 0x10)
    return fr


def mdns_capture():
    fr = []
    t = 0.0
    M = [224, 0, 0, 251]
    L = [224, 0, 0, 252]
    cases = [
        (C, 5353, M, 5353, "printer.local"),
        (C, 40000, M, 5353, "other.local"),
        (C, 40000, L, 5355, "host"),
        (C, 5353, S, 53, "from-5353.example.com"),
        (C, 53, S, 40053, "from-53.example.com"),
        (C, 5355, S, 53, "from-5355.example.com"),
        (C, 60000, S, 5300, "odd-port.example.com"),
    ]
    for i, (src, sport, dst, dport, n) in enumerate(cases):
        t += 0.02
        fr.append((t, udp(src, sport, dst, dport, msg(0xa00 + i, questions=[(n, 1, 1)]))))
        t += 0.02
        back = dst if dst not in (M, L) else S
        fr.append((t, udp(back, dport, src, sport,
                          msg(0xa00 + i, 1, questions=[(n, 1, 1)], answers=[(n, 1, A)]))))
    # DNS over TCP 5353.
    t += 0.02
    q = msg(0xb00, questions=[("tcp.local", 1, 1)])
    fr.append((t, tcp(C, 50000, S, 5353, 1, 1, 0x18, struct.pack("!H", len(q)) + q)))
    return fr


def names_capture():
    """One query for each type 0-299, 32760-32779 and 65270-65535, each class of 0-7 and
    a few more, each opcode; one response for each rcode."""
    fr = []
    types = list(range(0, 300)) + list(range(32760, 32780)) + list(range(65270, 65536))
    msgs = [msg(i, questions=[("a.b", t, 1)]) for i, t in enumerate(types)]
    msgs += [msg(i, questions=[("a.b", 1, c)])
             for i, c in enumerate(list(range(8)) + [253, 254, 255, 256, 0x8001])]
    msgs += [msg(i, opcode=o, questions=[("a.b", 1, 1)]) for i, o in enumerate(range(16))]
    msgs += [msg(i, 1, rcode=r, questions=[("a.b", 1, 1)]) for i, r in enumerate(range(16))]
    # Names with bytes tshark escapes or counts apart: a space, a dot inside a label, a
    # control byte, UTF-8, a byte past 0x7f, a backslash, capitals.
    odd = [[b"a b", b"example"], [b"a.b", b"example"], [b"a\x01", b"example"],
           [b"caf\xc3\xa9", b"example"], [b"x\xff", b"ex"], [b"A\\B", b"x"],
           [b"www", b"EXAMPLE", b"com"]]
    for i, labels in enumerate(odd):
        raw = b"".join(bytes([len(label)]) + label for label in labels) + b"\0"
        msgs.append(struct.pack("!HHHHHH", 0xc00 + i, 0x0100, 1, 0, 0, 0) + raw
                    + struct.pack("!HH", 1, 1))
    for i, m in enumerate(msgs):
        fr.append((i * 0.01, udp(C, 40000 + i % 7, S, 53, m)))
    return fr


def main():
    os.makedirs(OUT, exist_ok=True)
    for nm, frames in [("udp.pcap", udp_capture()), ("tcp.pcap", tcp_capture()),
                       ("mdns.pcap", mdns_capture()), ("names.pcap", names_capture())]:
        write_pcap(os.path.join(OUT, nm), frames)
        print("wrote captures/dns-tree/%s (%d frames)" % (nm, len(frames)))


if __name__ == "__main__":
    main()
