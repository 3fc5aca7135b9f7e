#!/usr/bin/env python3
"""Binary-level robustness sweep: run a squirrel-sniff build on mutated copies of captures.

    scripts/mutate-sweep.py BIN [--corpus DIR ...] [--per-file N] [--seed S] [--timeout SECS]
                            [--modes a,b,...] [--keep DIR] [--jobs N]

What the libFuzzer harness (fuzz/) does not cover: the whole binary, its file readers, its
output modes and threads, on captures that are *almost* right. Every capture found under
the given directories (default: ../shared/corpus and captures/) is mutated in several
deterministic ways (seeded):

  flip       a few random bytes of the file flipped (header, record headers or packets)
  pktflip    bytes flipped inside packet data only (the file still parses: reaches dissectors)
  len16      a 16-bit field inside a packet set to 0xFFFF or 0x0000 (IP/UDP/TLS/H2/DNS lengths)
  len32      a 32-bit field set to 0xFFFFFFFF: a record's caplen, a pcapng block length, or
             a 32-bit word inside a packet
  trunc      the file cut at a random byte (part-way through a record or block)
  splice     the first records of one capture followed by the last records of another
             (same file format: pcap+pcap keeps the first header; pcapng blocks are spliced)
  cutblock   one pcapng block removed (an IDB, a DSB with TLS secrets, a packet), or one
             pcap record's header removed

and each copy is run in every mode (-q, --json, -V -x, -X, -A, -T fields, --follow
ascii/http, --report, --html FILE, -j 4 -q (workers), -j 2 --json and -j 2 -V -x --report
(the printing thread), --conversations/--stats, the file on standard input (--json, and
-j 2 -q --report: one reader handing frames to workers), gzip-compressed (-V), and -Y with
-x), with --keylog/--rsa-key when the capture
has one beside it. A run FAILS when:

  * it exits 101 (panic) or on a signal (abort, SIGSEGV, SIGBUS, SIGKILL by the memory cap),
  * it takes longer than --timeout,
  * its peak RSS exceeds --max-rss-mb (default 512: the budget is 256 MiB),
  * it exits with a code the README does not list (0-7),
  * a control byte (0x00-0x1f other than \\n \\t, 0x7f; ESC included) reaches stdout in a
    text mode or the HTML file,
  * it exits 3 or 4 (input unreadable / corrupt) with more than one line on stderr (lines
    naming the key log given beside it not counted).

Failures are printed one per line with the command to reproduce; --keep DIR saves each
failing input there. The summary line gives files x mutations x modes and the failure count.
Exit status: 0 when nothing failed, 1 otherwise. Standard library only.
"""

import argparse
import gzip
import os
import random
import resource
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

MODES = {
    "q": ["-q"],
    "json": ["--json"],
    "Vx": ["-V", "-x"],
    "X": ["-X"],
    "fields": ["-T", "fields", "-e", "frame.number", "-e", "http.host",
               "-e", "tls.handshake.extensions_server_name"],
    "follow": ["--follow", "all"],
    "followhttp": ["--follow", "all", "--follow-format", "http"],
    "report": ["-q", "--report", "--secret", "fluffy tail"],
    "html": ["-q", "--html", "@HTML@"],
    "j4": ["-j", "4", "-q"],
    "j2json": ["-j", "2", "--json"],  # printed modes: frames printed on a second thread
    "j2Vx": ["-j", "2", "-V", "-x", "--report"],
    "A": ["-A"],
    "conv": ["-q", "--conversations", "--stats"],
    # The input as a pipe (`-r -`) and gzip-compressed: the other readers.
    "stdin": ["--json", "@STDIN@"],
    "stdinj2": ["-j", "2", "-q", "--report", "@STDIN@"],  # the reader hands frames to workers
    "gz": ["-V", "@GZ@"],
    "Y": ["-Y", "http || tls || dns || quic || tcp.len > 0 || ip.addr == 10.0.0.0/8", "-x"],
}
DOCUMENTED_EXITS = {0, 1, 2, 3, 4, 5, 6, 7}
CAPTURE_EXT = (".pcap", ".pcapng", ".cap")


# ---------------------------------------------------------------------------------------------
# Capture structure (just enough to mutate records and blocks, never to validate them)

def pcap_layout(data):
    """(endian, header_len, [(record_offset, header_len, data_len)]) or None."""
    if len(data) < 24:
        return None
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        e = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        e = ">"
    else:
        return None
    recs, off = [], 24
    while off + 16 <= len(data):
        (incl,) = struct.unpack_from(e + "I", data, off + 8)
        if off + 16 + incl > len(data):
            break
        recs.append((off, 16, incl))
        off += 16 + incl
    return e, 24, recs


def pcapng_layout(data):
    """[(block_offset, type, total_len, endian)] for a pcapng file, or None."""
    if len(data) < 12 or data[:4] != b"\x0a\x0d\x0d\x0a":
        return None
    blocks, off, e = [], 0, "<"
    while off + 12 <= len(data):
        btype = data[off:off + 4]
        if btype == b"\x0a\x0d\x0d\x0a":
            bom = data[off + 8:off + 12]
            e = "<" if bom == b"\x4d\x3c\x2b\x1a" else ">"
        (t,) = struct.unpack_from(e + "I", data, off)
        (total,) = struct.unpack_from(e + "I", data, off + 4)
        if total < 12 or off + total > len(data):
            break
        blocks.append((off, t, total, e))
        off += total
    return blocks


def packet_spans(data):
    """Byte ranges of packet data (what the dissectors see)."""
    lay = pcap_layout(data)
    if lay:
        return [(o + h, o + h + n) for o, h, n in lay[2] if n > 0]
    blocks = pcapng_layout(data)
    spans = []
    for off, t, total, _e in blocks or []:
        if t == 6 and total > 32:  # EPB: 28-byte header
            spans.append((off + 28, off + total - 4))
        elif t == 3 and total > 16:  # SPB
            spans.append((off + 12, off + total - 4))
    return spans


# ---------------------------------------------------------------------------------------------
# Mutations: each returns new bytes or None when it does not apply to this file

def m_flip(data, rng):
    b = bytearray(data)
    for _ in range(rng.choice((1, 4, 16))):
        i = rng.randrange(len(b))
        b[i] ^= 1 << rng.randrange(8) if rng.random() < 0.5 else rng.randrange(1, 256)
    return bytes(b)


def m_pktflip(data, rng):
    spans = packet_spans(data)
    if not spans:
        return None
    b = bytearray(data)
    for _ in range(rng.choice((1, 3, 8, 32))):
        s, e = rng.choice(spans)
        # bias towards the application layer: past the first 54 bytes when there are some
        lo = s + 54 if e - s > 64 and rng.random() < 0.7 else s
        i = rng.randrange(lo, e)
        b[i] = rng.choice((b[i] ^ (1 << rng.randrange(8)), 0x00, 0xFF, 0x7F, 0x80, 0x1B,
                           rng.randrange(256)))
    return bytes(b)


def m_len16(data, rng):
    spans = [sp for sp in packet_spans(data) if sp[1] - sp[0] >= 2]
    if not spans:
        return None
    b = bytearray(data)
    for _ in range(rng.choice((1, 2, 4))):
        s, e = rng.choice(spans)
        i = rng.randrange(s, e - 1)
        b[i:i + 2] = rng.choice((b"\xff\xff", b"\x00\x00", b"\x7f\xff", b"\x80\x00"))
    return bytes(b)


def m_len32(data, rng):
    b = bytearray(data)
    lay = pcap_layout(data)
    blocks = None if lay else pcapng_layout(data)
    choice = rng.random()
    if lay and lay[2] and choice < 0.5:
        e = lay[0]
        off, _h, _n = rng.choice(lay[2])
        field = rng.choice((8, 12))  # incl_len or orig_len
        struct.pack_into(e + "I", b, off + field, rng.choice((0xFFFFFFFF, 0x7FFFFFFF, 0)))
        return bytes(b)
    if blocks and choice < 0.5:
        off, _t, total, e = rng.choice(blocks)
        where = rng.choice((4, total - 4, 20, 24))  # block length (front/back), EPB caplen/origlen
        if where + 4 <= total:
            struct.pack_into(e + "I", b, off + where, rng.choice((0xFFFFFFFF, 0xFFFF, 0)))
            return bytes(b)
    spans = [sp for sp in packet_spans(data) if sp[1] - sp[0] >= 4]
    if not spans:
        return None
    s, e = rng.choice(spans)
    i = rng.randrange(s, e - 3)
    b[i:i + 4] = b"\xff\xff\xff\xff"
    return bytes(b)


def m_trunc(data, rng):
    if len(data) < 2:
        return None
    return data[:rng.randrange(1, len(data))]


def m_splice(data, rng, other):
    if other is None:
        return None
    la, lb = pcap_layout(data), pcap_layout(other)
    if la and lb and la[0] == lb[0] and la[2] and lb[2]:
        ka = rng.randrange(1, len(la[2]) + 1)
        kb = rng.randrange(len(lb[2]))
        end_a = la[2][ka - 1][0] + 16 + la[2][ka - 1][2]
        start_b = lb[2][kb][0]
        return data[:end_a] + other[start_b:]
    ba, bb = pcapng_layout(data), pcapng_layout(other)
    if ba and bb:
        ka = rng.randrange(1, len(ba) + 1)
        kb = rng.randrange(len(bb))
        end_a = ba[ka - 1][0] + ba[ka - 1][2]
        return data[:end_a] + other[bb[kb][0]:]
    # different formats: a raw byte splice
    return data[:rng.randrange(1, len(data))] + other[rng.randrange(len(other)):]


def m_cutblock(data, rng):
    blocks = pcapng_layout(data)
    if blocks and len(blocks) > 1:
        # prefer non-packet blocks (IDB=1, DSB=0x0A, NRB=4, ISB=5) when there are some
        special = [x for x in blocks[1:] if x[1] not in (6, 3)]
        off, _t, total, _e = rng.choice(special) if special and rng.random() < 0.6 else \
            rng.choice(blocks[1:])
        if rng.random() < 0.3:  # cut the block in half instead of removing it
            return data[:off + total // 2] + data[off + total:]
        return data[:off] + data[off + total:]
    lay = pcap_layout(data)
    if lay and lay[2]:
        off, h, _n = rng.choice(lay[2])
        return data[:off] + data[off + h:]  # record header gone: the data is read as headers
    return None


MUTATIONS = ["flip", "pktflip", "len16", "len32", "trunc", "splice", "cutblock"]


def mutate(kind, data, rng, other):
    if kind == "splice":
        return m_splice(data, rng, other)
    return globals()["m_" + kind](data, rng)


# ---------------------------------------------------------------------------------------------
# Running

def side_options(path):
    """--keylog/--rsa-key for a capture with key material beside it."""
    base = path
    for ext in (".dsb.pcapng", ".pcapng", ".pcap"):
        if base.endswith(ext):
            base = base[: -len(ext)]
            break
    opts = []
    if os.path.exists(base + ".keys"):
        opts += ["--keylog", base + ".keys"]
    if os.path.exists(base + ".key.pem"):
        opts += ["--rsa-key", base + ".key.pem"]
    return opts


def bad_bytes(out):
    """Offset of the first control byte that should have been escaped, or -1."""
    for i, c in enumerate(out):
        if (c < 0x20 and c not in (0x0A, 0x09)) or c == 0x7F:
            return i
    return -1


def run_one(binary, mode, extra, path, timeout, max_rss_mb, vmem_mb, workdir):
    args = list(MODES[mode])
    html = None
    if "@HTML@" in args:
        html = tempfile.mktemp(suffix=".html", dir=workdir)
        args[args.index("@HTML@")] = html
    source, stdin_from = path, None
    if "@STDIN@" in args:
        args.remove("@STDIN@")
        source, stdin_from = "-", path
    if "@GZ@" in args:
        args.remove("@GZ@")
        source = tempfile.mktemp(suffix=".pcap.gz", dir=workdir)
        with open(path, "rb") as raw, gzip.open(source, "wb") as gz:
            gz.write(raw.read())
    cmd = [binary] + args + extra + ["-r", source]

    def limit():
        lim = vmem_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (lim, lim))
        os.setsid()

    t0 = time.monotonic()
    with tempfile.TemporaryFile(dir=workdir) as fo, tempfile.TemporaryFile(dir=workdir) as fe:
        stdin = open(stdin_from, "rb") if stdin_from else subprocess.DEVNULL
        p = subprocess.Popen(cmd, stdout=fo, stderr=fe, stdin=stdin, preexec_fn=limit)
        if stdin_from:
            stdin.close()
        timed_out = []

        def kill():
            timed_out.append(True)
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

        timer = threading.Timer(timeout, kill)
        timer.start()
        _pid, status, ru = os.wait4(p.pid, 0)
        timer.cancel()
        p.returncode = os.waitstatus_to_exitcode(status)
        fo.seek(0)
        out = fo.read()
        fe.seek(0)
        err = fe.read()
    elapsed = time.monotonic() - t0
    rss_mb = ru.ru_maxrss // 1024
    rc = p.returncode
    problems = []
    if timed_out:
        problems.append("timeout after %.0f s" % timeout)
    elif rc < 0:
        problems.append("signal %s" % signal.Signals(-rc).name)
    elif rc == 101:
        first = [ln for ln in err.decode("utf-8", "replace").splitlines() if "panicked" in ln]
        problems.append("panic: " + (first[0] if first else "exit 101"))
    elif rc not in DOCUMENTED_EXITS:
        problems.append("undocumented exit %d" % rc)
    if rss_mb > max_rss_mb:
        problems.append("peak RSS %d MB > %d MB" % (rss_mb, max_rss_mb))
    if b"memory allocation" in err:
        problems.append("allocation failure (past %d MB address space)" % vmem_mb)
    i = bad_bytes(out)  # JSON too: a raw control byte there is a bug as well
    if i >= 0:
        problems.append("control byte 0x%02x on stdout at %d: %r" %
                        (out[i], i, out[max(0, i - 30):i + 10]))
    if html and os.path.exists(html):
        with open(html, "rb") as f:
            i = bad_bytes(f.read())
        if i >= 0:
            problems.append("control byte in the HTML file at %d" % i)
        os.unlink(html)
    # diagnostics start "squirrel-sniff:" (--stats writes its table to stderr too); lines
    # about the side files (a key log's unknown line) are not about the mutated input
    lines = [ln for ln in err.decode("utf-8", "replace").splitlines()
             if ln.startswith("squirrel-sniff:")
             and not any(x in ln for x in extra if x.startswith("/"))]
    if rc in (3, 4) and len(lines) > 1:
        problems.append("exit %d with %d stderr lines: %s" % (rc, len(lines), " | ".join(lines[:3])))
    if stdin_from:
        cmd = cmd + ["<", stdin_from]
    elif source != path:
        os.unlink(source)
        cmd = cmd + ["# the input gzip-compressed"]
    return cmd, rc, elapsed, rss_mb, problems


def find_captures(dirs):
    found = []
    for d in dirs:
        for dp, _dn, fn in os.walk(d):
            for f in fn:
                if f.endswith(CAPTURE_EXT):
                    found.append(os.path.join(dp, f))
    return sorted(found)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("binary")
    ap.add_argument("--corpus", action="append",
                    help="directory of captures (repeatable; default ../shared/corpus and captures/)")
    ap.add_argument("--per-file", type=int, default=2, help="copies per mutation kind per file")
    ap.add_argument("--seed", type=int, default=33)
    ap.add_argument("--timeout", type=float, default=20.0)
    ap.add_argument("--max-rss-mb", type=int, default=512)
    ap.add_argument("--vmem-mb", type=int, default=4096, help="ulimit -v for each run")
    ap.add_argument("--modes", default=",".join(MODES))
    ap.add_argument("--mutations", default=",".join(MUTATIONS))
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--keep", help="directory to save failing inputs in")
    ap.add_argument("--max-size", type=int, default=4 << 20, help="skip captures larger than this")
    a = ap.parse_args()

    dirs = a.corpus or [os.path.join(ROOT, "..", "shared", "corpus"), os.path.join(ROOT, "captures")]
    files = [f for f in find_captures(dirs) if os.path.getsize(f) <= a.max_size]
    modes = a.modes.split(",")
    kinds = a.mutations.split(",")
    rng = random.Random(a.seed)
    work = tempfile.mkdtemp(prefix="mutate-sweep-")
    blobs = {f: open(f, "rb").read() for f in files}

    jobs = []  # (input path, label, extra options)
    for f in files:
        data = blobs[f]
        extra = side_options(f)
        for kind in kinds:
            for n in range(a.per_file):
                other = blobs[rng.choice(files)] if kind == "splice" else None
                m = mutate(kind, data, rng, other)
                if m is None or m == data:
                    continue
                label = "%s.%s%d" % (os.path.basename(f), kind, n)
                ext = ".pcapng" if f.endswith(".pcapng") else ".pcap"
                p = os.path.join(work, label + ext)
                with open(p, "wb") as out:
                    out.write(m)
                jobs.append((p, label, extra))

    runs = [(j, m) for j in jobs for m in modes]
    failures, rss_peak, slowest = [], 0, (0.0, "")
    t0 = time.monotonic()

    def do(item):
        (p, label, extra), mode = item
        return item, run_one(a.binary, mode, extra, p, a.timeout, a.max_rss_mb, a.vmem_mb, work)

    with ThreadPoolExecutor(max_workers=a.jobs) as pool:
        for item, (cmd, rc, el, rss, probs) in pool.map(do, runs):
            rss_peak = max(rss_peak, rss)
            if el > slowest[0]:
                slowest = (el, " ".join(cmd))
            if probs:
                (p, label, _extra), mode = item
                failures.append((label, mode, probs, cmd))
                print("FAIL %s [%s] exit %s: %s\n  %s" % (label, mode, rc, "; ".join(probs),
                                                          " ".join(cmd)), flush=True)
                if a.keep:
                    os.makedirs(a.keep, exist_ok=True)
                    shutil.copy(p, a.keep)
    took = time.monotonic() - t0
    print("sweep: %d captures, %d mutated copies (%s), %d modes, %d runs in %.0f s; "
          "peak RSS %d MB; slowest %.1f s (%s); %d failures"
          % (len(files), len(jobs), ",".join(kinds), len(modes), len(runs), took, rss_peak,
             slowest[0], slowest[1], len(failures)))
    shutil.rmtree(work, ignore_errors=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
