#!/usr/bin/env python3
"""Write captures/arp/arp-kinds.pcap: one Ethernet ARP packet of each kind tshark names in its
Info column (request, probe, announcement, gratuitous request and reply, reply), then one
of every other operation code (RARP, DRARP, InARP, ATMARP NAK, MARS, MAPOS, experimental,
reserved, unknown), an ARP for a non-IPv4 protocol type and two other hardware types.
Crafted bytes, no network: run from the repository root. tests/fixtures/arp/ holds tshark's
lines for it (scripts/make-arp-fixtures.sh)."""
import struct

def mac(s):
    return bytes(int(x, 16) for x in s.split(":"))

def ip(s):
    return bytes(int(x) for x in s.split("."))

BCAST = mac("ff:ff:ff:ff:ff:ff")
ZERO = mac("00:00:00:00:00:00")
A = mac("02:00:00:00:00:0a")
B = mac("02:00:00:00:00:0b")

def arp(op, sha, spa, tha, tpa, dst, ptype=0x0800, hw=1):
    body = struct.pack("!HHBBH", hw, ptype, 6, 4, op) + sha + spa + tha + tpa
    frame = dst + sha + struct.pack("!H", 0x0806) + body
    return frame + bytes(max(0, 60 - len(frame)))

packets = [
    arp(1, A, ip("192.0.2.10"), ZERO, ip("192.0.2.11"), BCAST),  # Who has .11? Tell .10
    arp(2, B, ip("192.0.2.11"), A, ip("192.0.2.10"), A),  # .11 is at B
    arp(1, A, ip("0.0.0.0"), ZERO, ip("192.0.2.12"), BCAST),  # probe
    arp(1, A, ip("192.0.2.12"), ZERO, ip("192.0.2.12"), BCAST),  # announcement
    arp(1, A, ip("192.0.2.12"), BCAST, ip("192.0.2.12"), BCAST),  # gratuitous request
    arp(2, A, ip("192.0.2.12"), BCAST, ip("192.0.2.12"), BCAST),  # gratuitous reply
    arp(3, A, ip("0.0.0.0"), A, ip("0.0.0.0"), BCAST),  # reverse request
    arp(1, A, ip("192.0.2.10"), ZERO, ip("192.0.2.11"), BCAST, ptype=0x1234),  # odd protocol
    arp(2, A, ip("192.0.2.10"), B, ip("192.0.2.11"), B, ptype=0x86DD),  # odd protocol, reply
    arp(1, A, ip("192.0.2.10"), ZERO, ip("192.0.2.11"), BCAST, hw=6),  # IEEE 802
    arp(2, A, ip("192.0.2.10"), B, ip("192.0.2.11"), B, hw=15),  # Frame Relay
]
# A reply over every hardware type from 0 to 39 (tshark writes the address as a MAC for
# Ethernet and IEEE 802 only; ATMARP, type 19, has a layout of its own, not decoded).
for hw in [h for h in range(0, 40) if h != 19]:  # 19, ATM, is ATMARP: another layout
    packets.append(arp(2, A, ip("192.0.2.10"), B, ip("192.0.2.11"), B, hw=hw))
# Every other operation code, and reserved and unknown ones.
for op in list(range(3, 26)) + [0, 65535, 300]:
    packets.append(arp(op, A, ip("192.0.2.10"), ZERO, ip("192.0.2.11"), BCAST))
with open("captures/arp/arp-kinds.pcap", "wb") as f:
    f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
    for i, p in enumerate(packets):
        f.write(struct.pack("<IIII", 1700000000 + i, 0, len(p), len(p)))
        f.write(p)
print(f"make-arp-capture: {len(packets)} packets in captures/arp/arp-kinds.pcap")
