#!/usr/bin/env python3
"""Write tests/fixtures/conv/<dir>__<file>.json: per TCP stream (tshark 4.0's tcp.stream), the
frames and bytes each way — the figures of `tshark -z conv,tcp`, taken from tshark's own
fields because its table rounds bytes to kB — for every capture in
../shared/corpus/{http,tls,tcp,link,malformed}.

Each entry: {"stream", "a": "ip:port" (sender of the stream's first frame), "b", "frames_ab",
"bytes_ab", "frames_ba", "bytes_ba"}.
Needs tshark. Run from the repository root:  python3 scripts/make-conv-fixtures.py
"""
import json, os, subprocess, sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CORPUS = os.path.join(ROOT, "..", "shared", "corpus")
OUT = os.path.join(ROOT, "tests", "fixtures", "conv")
def addr(ip, port):
    return f"[{ip}]:{port}" if ":" in ip else f"{ip}:{port}"

def main():
    os.makedirs(OUT, exist_ok=True)
    for d in ["http", "tls", "tcp", "link", "malformed"]:
        for name in sorted(os.listdir(os.path.join(CORPUS, d))):
            path = os.path.join(CORPUS, d, name)
            r = subprocess.run(["tshark", "-r", path, "-o", "tcp.reassemble_out_of_order:TRUE", "-Y", "tcp",
                                "-T", "fields", "-E", "separator=|", "-e", "tcp.stream", "-e", "ip.src",
                                "-e", "ipv6.src", "-e", "tcp.srcport", "-e", "ip.dst", "-e", "ipv6.dst",
                                "-e", "tcp.dstport", "-e", "frame.len"], capture_output=True, text=True)
            if r.returncode != 0:
                continue
            streams = {}
            for line in r.stdout.splitlines():
                f = line.split("|")
                if len(f) != 8 or not f[0]:
                    continue
                sid, ip4s, ip6s, sp, ip4d, ip6d, dp, ln = f
                # The innermost address when tunnelled (tshark lists outer first).
                src = addr((ip6s or ip4s).split(",")[-1], sp)
                dst = addr((ip6d or ip4d).split(",")[-1], dp)
                c = streams.setdefault(int(sid), {"stream": int(sid), "a": src, "b": dst, "frames_ab": 0,
                                                  "bytes_ab": 0, "frames_ba": 0, "bytes_ba": 0})
                k = "ab" if (src, dst) == (c["a"], c["b"]) else "ba"
                c["frames_" + k] += 1
                c["bytes_" + k] += int(ln)
            with open(os.path.join(OUT, f"{d}__{name}.json"), "w") as f:
                json.dump({"file": f"{d}/{name}", "conversations": [streams[k] for k in sorted(streams)]},
                          f, indent=1, sort_keys=True)
                f.write("\n")

if __name__ == "__main__":
    sys.exit(main())
