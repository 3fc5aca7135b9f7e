#!/usr/bin/env python3
"""captures/tunnels/*.pcap: the bundled HTTP and HTTPS runs, wrapped in tunnels.

The frames of captures/squirrel-http.pcap (an HTTP exchange whose response carries the secret
`fluffy tail`) and captures/squirrel-https.pcap (a TLS 1.3 handshake with SNI) are taken as
they are, their server port moved from 5683 to 80 and 443 (the ports tshark reads HTTP and
TLS on by default; the TCP checksum, which tshark does not verify, is left as it was), and
each IP packet is wrapped in a tunnel as a mirror, an overlay or a carrier would send it:

  vxlan.pcap   Ethernet / IPv4 / UDP 4789 / VXLAN (VNI 42) / Ethernet / IPv4 / TCP
  gre.pcap     IPv4 / GRE (checksum, key, sequence) / IPv4, and IPv6 / GRE (key) / Ethernet
  ipip.pcap    IPv4 in IPv4 (protocol 4), and IPv6 in IPv4 (41) with the inner packet as IPv6
  geneve.pcap  IPv4 / UDP 6081 / GENEVE (VNI 7, one 8-byte option) / Ethernet, and IPv6 payload
  mpls.pcap    Ethernet / MPLS (two labels) / IPv4, and one label / IPv6
  pppoe.pcap   Ethernet / PPPoE session / PPP IPv4, and PPP IPv6
  erspan.pcap  IPv4 / GRE / ERSPAN type II / Ethernet, and ERSPAN type III
  cut.pcap     tunnel headers cut short or lying, and a packet nested past the depth limit

tshark is the oracle: scripts/make-tunnel-fixtures.sh writes its view of each capture beside
it. Needs only python3.
"""
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
OUT = os.path.join(ROOT, "captures", "tunnels")


def read_pcap(path):
    with open(path, "rb") as f:
        data = f.read()
    magic = struct.unpack("<I", data[:4])[0]
    assert magic == 0xA1B2C3D4, "little-endian microsecond pcap expected"
    link = struct.unpack("<I", data[20:24])[0]
    assert link == 1, "Ethernet expected"
    out, o = [], 24
    while o + 16 <= len(data):
        sec, usec, incl, orig = struct.unpack("<IIII", data[o : o + 16])
        out.append(data[o + 16 : o + 16 + incl])
        o += 16 + incl
    return out


def write_pcap(path, frames, link=1):
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, link))
        for i, fr in enumerate(frames):
            sec, usec = 1_700_000_000 + i // 100, (i % 100) * 10_000
            f.write(struct.pack("<IIII", sec, usec, len(fr), len(fr)))
            f.write(fr)


def checksum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def ipv4(src, dst, proto, payload, ident=0):
    h = struct.pack(
        "!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), ident, 0x4000, 64, proto, 0,
        bytes(src), bytes(dst),
    )
    h = h[:10] + struct.pack("!H", checksum(h)) + h[12:]
    return h + payload


def ipv6(src, dst, nxt, payload):
    return struct.pack("!IHBB", 6 << 28, len(payload), nxt, 64) + bytes(src) + bytes(dst) + payload


def eth(dst, src, et, payload):
    return bytes(dst) + bytes(src) + struct.pack("!H", et) + payload


def udp(sport, dport, payload):
    return struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload


V4A, V4B = [10, 0, 0, 1], [10, 0, 0, 2]
V6A = [0x20, 0x01, 0x0D, 0xB8] + [0] * 11 + [1]
V6B = [0x20, 0x01, 0x0D, 0xB8] + [0] * 11 + [2]
IN6A = [0x20, 0x01, 0x0D, 0xB8, 0, 0x0A] + [0] * 9 + [1]
MAC_A, MAC_B = [2, 0, 0, 0, 0, 1], [2, 0, 0, 0, 0, 2]
MAC_C, MAC_D = [2, 0, 0, 0, 0, 0x0C], [2, 0, 0, 0, 0, 0x0D]


def inner_packets(name, port):
    """The IPv4 packets of a bundled capture, the server port 5683 moved to `port`."""
    pkts = []
    for fr in read_pcap(os.path.join(ROOT, "captures", name)):
        ip = bytearray(fr[14:])
        ihl = (ip[0] & 15) * 4
        for at in (ihl, ihl + 2):
            if struct.unpack("!H", ip[at : at + 2])[0] == 5683:
                ip[at : at + 2] = struct.pack("!H", port)
        pkts.append(bytes(ip))
    return pkts


def as_ipv6(ip):
    """An IPv4 packet's payload under an IPv6 header (2001:db8:0:a::1 both ways: loopback)."""
    ihl = (ip[0] & 15) * 4
    return ipv6(IN6A, IN6A, ip[9], ip[ihl:])


def flows():
    return inner_packets("squirrel-http.pcap", 80), inner_packets("squirrel-https.pcap", 443)


def outer_v4(proto, payload, i):
    return eth(MAC_B, MAC_A, 0x0800, ipv4(V4A, V4B, proto, payload, ident=i))


def outer_v6(nxt, payload):
    return eth(MAC_B, MAC_A, 0x86DD, ipv6(V6A, V6B, nxt, payload))


def inner_eth(ip, et=0x0800):
    return eth(MAC_D, MAC_C, et, ip)


def vxlan(http, tls):
    out = []
    for i, ip in enumerate(http + tls):
        hdr = struct.pack("!HHI", 0x0800, 0, 42 << 8)
        out.append(outer_v4(17, udp(40000 + (i < len(http)), 4789, hdr + inner_eth(ip)), i))
    return out


def gre(http, tls):
    out = []
    for i, ip in enumerate(http):
        # C, K, S: checksum over the GRE header and payload.
        body = struct.pack("!HHHHII", 0xB000, 0x0800, 0, 0, 0x1234, i) + ip
        c = checksum(body)
        body = body[:4] + struct.pack("!H", c) + body[6:]
        out.append(outer_v4(47, body, i))
    for i, ip in enumerate(tls):
        body = struct.pack("!HHI", 0x2000, 0x6558, 7) + inner_eth(ip)
        out.append(outer_v6(47, body))
    return out


def ipip(http, tls):
    out = [outer_v4(4, ip, i) for i, ip in enumerate(http)]
    out += [outer_v4(41, as_ipv6(ip), i) for i, ip in enumerate(tls)]
    return out


def geneve(http, tls):
    out = []
    opt = struct.pack("!HBBI", 0x0103, 0x80, 1, 0xDEADBEEF)  # class, type, length 1 word
    for i, ip in enumerate(http):
        hdr = struct.pack("!BBHI", len(opt) // 4, 0, 0x6558, 7 << 8) + opt
        out.append(outer_v4(17, udp(50000, 6081, hdr + inner_eth(ip)), i))
    for i, ip in enumerate(tls):
        hdr = struct.pack("!BBHI", 0, 0, 0x86DD, 7 << 8)
        out.append(outer_v4(17, udp(50001, 6081, hdr + as_ipv6(ip)), i))
    return out


def mpls_label(label, bottom, ttl=64):
    return struct.pack("!I", label << 12 | (bottom << 8) | ttl)


def mpls(http, tls):
    out = [eth(MAC_B, MAC_A, 0x8847, mpls_label(100, 0) + mpls_label(200, 1) + ip) for ip in http]
    out += [eth(MAC_B, MAC_A, 0x8847, mpls_label(300, 1) + as_ipv6(ip)) for ip in tls]
    return out


def pppoe(http, tls):
    out = []
    for ip, proto in [(p, 0x0021) for p in http] + [(as_ipv6(p), 0x0057) for p in tls]:
        ppp = struct.pack("!H", proto) + ip
        out.append(eth(MAC_B, MAC_A, 0x8864, struct.pack("!BBHH", 0x11, 0, 0x0101, len(ppp)) + ppp))
    return out


def erspan(http, tls):
    out = []
    for i, ip in enumerate(http):
        hdr = struct.pack("!II", 1 << 28 | 10 << 16 | 5, 3)  # type II, VLAN 10, session 5
        body = struct.pack("!HHI", 0x1000, 0x88BE, i) + hdr + inner_eth(ip)
        out.append(outer_v4(47, body, i))
    for i, ip in enumerate(tls):
        hdr = struct.pack("!IIHH", 2 << 28 | 6, 1000 + i, 0, 0)  # type III, session 6
        body = struct.pack("!HHI", 0x1000, 0x22EB, i) + hdr + inner_eth(ip)
        out.append(outer_v4(47, body, i))
    return out


def cut(http, tls):
    ip = http[3]  # the GET
    vx = struct.pack("!HHI", 0x0800, 0, 42 << 8)
    nested = ip
    for _ in range(10):
        nested = ipv4(V4A, V4B, 4, nested)
    return [
        outer_v4(17, udp(40000, 4789, vx[:5]), 0),  # VXLAN cut at 5 of 8 bytes
        outer_v4(17, udp(40000, 4789, vx + inner_eth(ip)[:9]), 1),  # inner Ethernet cut
        outer_v4(47, struct.pack("!HH", 0x3000, 0x0800) + b"\0\0", 2),  # GRE K+S cut
        outer_v4(47, struct.pack("!HH", 0x0007, 0x0800), 3),  # GRE version 7
        outer_v4(17, udp(50000, 6081, struct.pack("!BBHI", 63, 0, 0x6558, 0)), 4),  # options lie
        eth(MAC_B, MAC_A, 0x8847, mpls_label(1, 0) * 20),  # no bottom of stack
        eth(MAC_B, MAC_A, 0x8864, b"\x11\x00\x01"),  # PPPoE cut
        outer_v4(4, ip[:12], 5),  # inner IPv4 cut
        eth(MAC_B, MAC_A, 0x0800, nested),  # 11 IPv4 headers deep
        outer_v4(47, struct.pack("!HHI", 0x1000, 0x88BE, 0) + b"\x10\x00", 6),  # ERSPAN cut
    ]


def main():
    os.makedirs(OUT, exist_ok=True)
    http, tls = flows()
    for name, make in [
        ("vxlan", vxlan), ("gre", gre), ("ipip", ipip), ("geneve", geneve),
        ("mpls", mpls), ("pppoe", pppoe), ("erspan", erspan), ("cut", cut),
    ]:
        write_pcap(os.path.join(OUT, name + ".pcap"), make(http, tls))
    print("wrote", OUT, file=sys.stderr)


if __name__ == "__main__":
    main()
