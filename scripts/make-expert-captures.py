#!/usr/bin/env python3
"""Write captures/expert/odd-lines.pcap and captures/expert/unsafe-lines.pcap: HTTP/1.1
requests whose request lines hold odd bytes, for `-z expert`'s HTTP chats (tshark prints
each request line as its item labels escape it, cut to 239 bytes); and
captures/expert/ttl.pcap: IPv4 datagrams for tshark's TTL notes.

usage: scripts/make-expert-captures.py [--out captures/expert]

Each request is one TCP connection to port 80 (SYN, SYN+ACK, ACK, then the request in
one segment; checksums right, no reply). The bytes are made here, not captured: no
program sends such lines on purpose.

  odd-lines.pcap     lines tshark 4.0 and squirrel-sniff print the same: a backslash,
                     C0 controls and DEL (octal or by name), C1 and format characters and
                     unassigned code points (\\uXXXX, \\UXXXXXXXX), invalid UTF-8 (U+FFFD
                     per bad sequence), an emoji, a 300-byte URI (cut), a bare LF line end;
  unsafe-lines.pcap  lines where squirrel-sniff escapes more than tshark: line and paragraph
                     separators and invisible fillers (tshark writes them raw), an encoded
                     surrogate and an overlong '/' (tshark decodes them leniently);
  ttl.pcap           UDP (to port 9999) and IGMP to addresses of the Local Network Control
                     Block (224.0.0.x: the all-hosts group, VRRP, GLBP, mDNS, LLMNR, IGMPv3
                     reports), to a wider multicast group, and UDP and ICMP echo to a unicast
                     address, each with TTLs 1, 4, 5, 64 and 255.
"""
import argparse
import os
import struct

ODD = [
    b"GET /a\\b HTTP/1.1\r\n",
    b"GET /\x07\x08\x0b\x0c\x1b[2J\x00\x7f HTTP/1.1\r\n",
    "GET /\u0085\U000e0001\u200b\ufffe\U0010ffff\u202e HTTP/1.1\r\n".encode(),
    b"GET /\xe2\x80x\xf0\x9f\x98\x80\xff\xfe HTTP/1.1\r\n",
    b"GET /" + b"x" * 300 + b" HTTP/1.1\r\n",
    b"GET /lf-only HTTP/1.1\n",
    b"GET /caf\xc3\xa9 HTTP/1.1\r\n",
]
UNSAFE = [
    "GET /\u2028\u2029 HTTP/1.1\r\n".encode(),
    "GET /\u034f\u3164\u115f HTTP/1.1\r\n".encode(),
    b"GET /\xed\xa0\x80\xc0\xaf HTTP/1.1\r\n",
]


def checksum(b: bytes) -> int:
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    s = (s >> 16) + (s & 0xFFFF)
    s += s >> 16
    return ~s & 0xFFFF


def segment(sport: int, dport: int, seq: int, ack: int, flags: int, payload: bytes) -> bytes:
    client, server = bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2])
    src, dst = (server, client) if sport == 80 else (client, server)
    tcp = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, 5 << 4, flags, 65535, 0, 0) + payload
    pseudo = src + dst + struct.pack("!BBH", 0, 6, len(tcp))
    tcp = tcp[:16] + struct.pack("!H", checksum(pseudo + tcp)) + tcp[18:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 1, 0, 64, 6, 0, src, dst)
    ip = ip[:10] + struct.pack("!H", checksum(ip)) + ip[12:]
    macs = (b"\x02\x00\x00\x00\x00\x02", b"\x02\x00\x00\x00\x00\x01")
    eth = macs[0] + macs[1] if sport != 80 else macs[1] + macs[0]
    return eth + b"\x08\x00" + ip + tcp


def write(path: str, lines: list) -> None:
    with open(path, "wb") as out:
        out.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        t = 1_700_000_000
        for i, line in enumerate(lines):
            port = 40000 + i
            frames = [
                segment(port, 80, 1000, 0, 0x02, b""),
                segment(80, port, 5000, 1001, 0x12, b""),
                segment(port, 80, 1001, 5001, 0x10, b""),
                segment(port, 80, 1001, 5001, 0x18, line + b"Host: x\r\n\r\n"),
            ]
            for f in frames:
                out.write(struct.pack("<IIII", t, 0, len(f), len(f)) + f)
                t += 1


def datagram(dst: list, ttl: int, protocol: int, payload: bytes) -> bytes:
    src = bytes([10, 0, 0, 1])
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), 1, 0, ttl, protocol, 0, src,
                     bytes(dst))
    ip = ip[:10] + struct.pack("!H", checksum(ip)) + ip[12:]
    return b"\x01\x00\x5e\x00\x00\x01\x02\x00\x00\x00\x00\x01\x08\x00" + ip + payload


def write_ttl(path: str) -> None:
    udp = struct.pack("!HHHH", 1234, 9999, 12, 0) + b"abcd"
    igmp = b"\x11\x64\xee\x9b\x00\x00\x00\x00"  # membership query, checksum right
    echo = b"\x08\x00\xf7\xff\x00\x00\x00\x00"
    frames = []
    for last in [1, 18, 22, 102, 251, 252]:
        for ttl in [1, 4, 5, 64, 255]:
            frames.append(datagram([224, 0, 0, last], ttl, 17, udp))
            frames.append(datagram([224, 0, 0, last], ttl, 2, igmp))
    for dst in [[10, 0, 0, 2], [239, 1, 1, 1]]:
        for ttl in [1, 4, 5, 64]:
            frames.append(datagram(dst, ttl, 17, udp))
            frames.append(datagram(dst, ttl, 1, echo))
    with open(path, "wb") as out:
        out.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for i, f in enumerate(frames):
            out.write(struct.pack("<IIII", 1_700_000_000 + i, 0, len(f), len(f)) + f)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default="captures/expert")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    write(os.path.join(args.out, "odd-lines.pcap"), ODD)
    write(os.path.join(args.out, "unsafe-lines.pcap"), UNSAFE)
    write_ttl(os.path.join(args.out, "ttl.pcap"))


if __name__ == "__main__":
    main()
