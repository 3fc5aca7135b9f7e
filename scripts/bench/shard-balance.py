#!/usr/bin/env python3
"""How evenly TCP sessions of a capture spread over N hash shards (the -j design).

    shard-balance.py CAPTURE [SHARDS ...]      (default shards: 2 4 8 16)

Reads `tcpdump -nn -q -r CAPTURE tcp` (IPv4 and IPv6), groups packets by the canonical
5-tuple (both directions one session, as the flow table does), hashes each session to a
shard (BLAKE2b of the canonical tuple: any well-mixed hash spreads sessions alike), and
prints for each shard count the largest shard's share of packets and of payload bytes:
the speed-up bound of sharding by session is 1 / that share (before the serial reader).
"""
import collections
import hashlib
import re
import subprocess
import sys

LINE = re.compile(r"^\S+ IP6? (\S+)\.(\d+) > (\S+)\.(\d+): tcp (\d+)")


def main():
    cap = sys.argv[1]
    shard_counts = [int(a) for a in sys.argv[2:]] or [2, 4, 8, 16]
    sessions = collections.defaultdict(lambda: [0, 0])
    proc = subprocess.Popen(["tcpdump", "-nn", "-q", "-r", cap, "tcp"],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    for line in proc.stdout:
        m = LINE.match(line)
        if not m:
            continue
        a, pa, b, pb, size = m.group(1), int(m.group(2)), m.group(3), int(m.group(4)), int(m.group(5))
        key = min((a, pa, b, pb), (b, pb, a, pa))
        s = sessions[key]
        s[0] += 1
        s[1] += size
    proc.wait()
    total_p = sum(s[0] for s in sessions.values())
    total_b = sum(s[1] for s in sessions.values())
    big = max(sessions.values(), key=lambda s: s[1])
    print(f"{cap}: {len(sessions)} sessions, {total_p} packets, {total_b} payload bytes")
    print(f"largest session: {big[0] / total_p:.1%} of packets, {big[1] / total_b:.1%} of bytes")
    for n in shard_counts:
        pk = [0] * n
        by = [0] * n
        for key, s in sessions.items():
            h = int.from_bytes(hashlib.blake2b(repr(key).encode(), digest_size=8).digest(), "little") % n
            pk[h] += s[0]
            by[h] += s[1]
        print(f"{n:3d} shards: largest shard {max(pk) / total_p:.1%} of packets, "
              f"{max(by) / total_b:.1%} of bytes (even: {1 / n:.1%}); "
              f"bound {total_p / max(pk):.2f}x by packets, {total_b / max(by):.2f}x by bytes")


if __name__ == "__main__":
    main()
