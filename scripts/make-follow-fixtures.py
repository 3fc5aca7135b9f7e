#!/usr/bin/env python3
"""Make the TCP follow-stream oracle fixtures from tshark (4.0) output.

For every capture in <corpus>/{tcp,http,tls,link}/ and every TCP stream in it, runs

    tshark -r F -q -o tcp.reassemble_out_of_order:TRUE -z follow,tcp,raw,N

and stores only a small summary per stream in tests/fixtures/follow/<dir>__<file>.json:

    {"file": "tcp/x.pcap",
     "streams": [{"stream": N, "node0": "ip:port", "node1": "ip:port",
                  "client": "ip:port", "server": "ip:port", "syn_seen": bool,
                  "to_server": {"len": L, "sha256": H, "chunks": C},
                  "to_client": {"len": L, "sha256": H, "chunks": C}}]}

tshark's Node 0 is the first endpoint it saw in the stream, not necessarily the client;
the client/server here use squirrel-sniff's rule (src/flow/table.rs): the sender of a SYN
without ACK is the client; else the receiver of a SYN-ACK is the client; else the lower
port is the server's; equal ports: the first sender is the client.

Bytes tshark could not see (lost segments, snaplen cuts) are simply absent from its follow
output, so `len` counts captured, reassembled bytes only.

Usage: scripts/make-follow-fixtures.py [CORPUS_DIR] [OUT_DIR]
(defaults: ../shared/corpus and tests/fixtures/follow relative to the repository root).
Python 3 standard library only; needs tshark on PATH.
"""

import hashlib
import json
import os
import subprocess
import sys

DIRS = ["tcp", "http", "tls", "link"]


def run(args):
    res = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=False)
    return res.returncode, res.stdout.decode("utf-8", "replace"), res.stderr.decode("utf-8", "replace")


def endpoint(addr, port):
    if ":" in addr:
        return "[%s]:%s" % (addr, port)
    return "%s:%s" % (addr, port)


def stream_roles(path):
    """Per stream: (client, server, syn_seen) using the rule in the module docstring."""
    fields = ["tcp.stream", "ip.src", "ipv6.src", "tcp.srcport", "ip.dst", "ipv6.dst",
              "tcp.dstport", "tcp.flags.syn", "tcp.flags.ack"]
    args = ["tshark", "-r", path, "-Y", "tcp", "-T", "fields", "-E", "separator=/t",
            "-E", "occurrence=l"]
    for f in fields:
        args += ["-e", f]
    code, out, err = run(args)
    if code != 0 and not out:
        raise RuntimeError("tshark failed on %s: %s" % (path, err.strip()))
    info = {}
    for line in out.splitlines():
        cols = line.split("\t")
        if len(cols) != len(fields) or cols[0] == "":
            continue
        stream = int(cols[0])
        src = endpoint(cols[1] or cols[2], cols[3])
        dst = endpoint(cols[4] or cols[5], cols[6])
        syn = cols[7] in ("1", "True")
        ack = cols[8] in ("1", "True")
        s = info.setdefault(stream, {"first": (src, dst, int(cols[3]), int(cols[6])),
                                     "syn": None, "synack": None})
        if syn and not ack and s["syn"] is None:
            s["syn"] = (src, dst)
        if syn and ack and s["synack"] is None:
            s["synack"] = (dst, src)
    roles = {}
    for stream, s in info.items():
        if s["syn"] is not None:
            roles[stream] = (s["syn"][0], s["syn"][1], True)
        elif s["synack"] is not None:
            roles[stream] = (s["synack"][0], s["synack"][1], True)
        else:
            src, dst, sport, dport = s["first"]
            if sport < dport:
                roles[stream] = (dst, src, False)
            else:
                roles[stream] = (src, dst, False)
    return roles


def follow_all(path, streams):
    """Run one tshark over all streams; return {stream: (node0, node1, [(node, bytes)])}."""
    args = ["tshark", "-r", path, "-q", "-o", "tcp.reassemble_out_of_order:TRUE"]
    for n in streams:
        args += ["-z", "follow,tcp,raw,%d" % n]
    code, out, err = run(args)
    if code != 0 and not out:
        raise RuntimeError("tshark follow failed on %s: %s" % (path, err.strip()))
    result = {}
    cur = None
    for line in out.splitlines():
        if line.startswith("====="):
            cur = None
            continue
        if line.startswith("Follow: "):
            continue
        if line.startswith("Filter: tcp.stream eq "):
            cur = int(line[len("Filter: tcp.stream eq "):])
            result[cur] = [None, None, []]
            continue
        if cur is None:
            continue
        if line.startswith("Node 0: "):
            result[cur][0] = line[len("Node 0: "):]
            continue
        if line.startswith("Node 1: "):
            result[cur][1] = line[len("Node 1: "):]
            continue
        if line == "":
            continue
        node = 1 if line.startswith("\t") else 0
        result[cur][2].append((node, bytes.fromhex(line.strip())))
    return result


def summarise(chunks):
    h = hashlib.sha256()
    n = 0
    for c in chunks:
        h.update(c)
        n += len(c)
    return {"len": n, "sha256": h.hexdigest(), "chunks": len(chunks)}


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    corpus = sys.argv[1] if len(sys.argv) > 1 else os.path.join(root, "..", "shared", "corpus")
    outdir = sys.argv[2] if len(sys.argv) > 2 else os.path.join(root, "tests", "fixtures", "follow")
    os.makedirs(outdir, exist_ok=True)
    # The corpus directories, then this repository's own captures/ ("captures/NAME").
    places = [(d, os.path.join(corpus, d)) for d in DIRS] + [("captures", os.path.join(root, "captures"))]
    for d, base in places:
        if not os.path.isdir(base):
            continue
        for name in sorted(os.listdir(base)):
            path = os.path.join(base, name)
            if not os.path.isfile(path) or not name.endswith((".pcap", ".pcapng")):
                continue
            roles = stream_roles(path)
            streams = sorted(roles)
            follows = follow_all(path, streams) if streams else {}
            entries = []
            for n in streams:
                client, server, syn_seen = roles[n]
                node0, node1, chunks = follows.get(n, [None, None, []])
                by_node = {0: [c for (k, c) in chunks if k == 0], 1: [c for (k, c) in chunks if k == 1]}
                # Map tshark's nodes onto our directions: node 0 sends to node 1.
                if node0 == client:
                    to_server, to_client = by_node[0], by_node[1]
                else:
                    to_server, to_client = by_node[1], by_node[0]
                entries.append({
                    "stream": n,
                    "node0": node0,
                    "node1": node1,
                    "client": client,
                    "server": server,
                    "syn_seen": syn_seen,
                    "to_server": summarise(to_server),
                    "to_client": summarise(to_client),
                })
            out = os.path.join(outdir, "%s__%s.json" % (d, name))
            with open(out, "w", encoding="utf-8") as f:
                json.dump({"file": "%s/%s" % (d, name), "streams": entries}, f, indent=1, sort_keys=True)
                f.write("\n")
            print("%s: %d streams" % (out, len(entries)))


if __name__ == "__main__":
    main()
