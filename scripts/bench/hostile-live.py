#!/usr/bin/env python3
"""Live hostile HTTP traffic on loopback: how much CPU squirrel-sniff spends, and how long
it takes to stop after SIGINT (issue 16, item 4).

    scripts/bench/hostile-live.py --bin PATH [--shape lines|body] [--rate BYTES_PER_S]
                                  [--secs N] [--port P]

One TCP connection on 127.0.0.1:PORT. `lines`: the client sends `GET / HTTP/1.1\\r\\n` lines
with no blank line and the server answers with `HTTP/1.1 200 OK\\r\\n` lines, RATE bytes/s
each way. `body`: the same bytes as the bodies of one POST and its response (the baseline).
squirrel-sniff runs `-i lo -q --port PORT`; its CPU time (user + system, /proc/PID/stat) is
read over the sending period, then it gets SIGINT and the time until it exits is measured.
Prints one line: shape, rate, CPU %, seconds to stop. Needs root (live capture on lo).
"""
import argparse
import os
import signal
import socket
import subprocess
import sys
import threading
import time

TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    # utime, stime are fields 14 and 15 (1-based); fields[0] is field 3.
    return (int(fields[11]) + int(fields[12])) / TICK


def paced_send(sock, head, unit, rate, secs, stop):
    """Send `head`, then `unit` repeated at `rate` bytes/s for `secs` seconds."""
    sock.sendall(head)
    block = unit * max(1, 16384 // len(unit))
    start = time.monotonic()
    sent = 0
    while not stop.is_set():
        elapsed = time.monotonic() - start
        if elapsed >= secs:
            break
        if sent > rate * elapsed:
            time.sleep(min(0.01, sent / rate - elapsed))
            continue
        try:
            sock.sendall(block)
        except OSError:
            break
        sent += len(block)
    return sent


def drain(sock, stop):
    sock.settimeout(0.2)
    while not stop.is_set():
        try:
            if not sock.recv(1 << 16):
                break
        except socket.timeout:
            continue
        except OSError:
            break


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", required=True)
    ap.add_argument("--shape", choices=["lines", "body"], default="lines")
    ap.add_argument("--rate", type=float, default=2e6, help="bytes/s each way (default 2e6)")
    ap.add_argument("--secs", type=float, default=10)
    ap.add_argument("--port", type=int, default=28091)
    a = ap.parse_args()

    big = 1 << 40
    if a.shape == "lines":
        heads = (b"", b"")
    else:
        heads = (
            b"POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % big,
            b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % big,
        )
    units = (b"GET / HTTP/1.1\r\n", b"HTTP/1.1 200 OK\r\n")

    sniff = subprocess.Popen(
        [a.bin, "-i", "lo", "-q", "--port", str(a.port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    time.sleep(1.5)  # the capture handle is open well before this
    if sniff.poll() is not None:
        sys.exit(f"squirrel-sniff exited early: {sniff.stderr.read().decode(errors='replace')}")

    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", a.port))
    srv.listen(1)
    cli = socket.create_connection(("127.0.0.1", a.port))
    conn, _ = srv.accept()
    stop = threading.Event()
    readers = [threading.Thread(target=drain, args=(s, stop)) for s in (cli, conn)]
    for t in readers:
        t.start()
    sent = [0, 0]

    def send(i, sock):
        sent[i] = paced_send(sock, heads[i], units[i], a.rate, a.secs, stop)

    senders = [threading.Thread(target=send, args=(0, cli)), threading.Thread(target=send, args=(1, conn))]
    cpu0 = cpu_seconds(sniff.pid)
    t0 = time.monotonic()
    for t in senders:
        t.start()
    for t in senders:
        t.join()
    cpu1 = cpu_seconds(sniff.pid)
    t1 = time.monotonic()
    stop.set()
    for t in readers:
        t.join()
    for s in (cli, conn, srv):
        s.close()
    sniff.send_signal(signal.SIGINT)
    t2 = time.monotonic()
    try:
        sniff.wait(timeout=120)
    except subprocess.TimeoutExpired:
        sniff.kill()
        sniff.wait()
    t3 = time.monotonic()
    err = sniff.stderr.read().decode(errors="replace")
    # The run's own last lines: packets captured, dropped, left unanalysed.
    dropped = "; ".join(l.strip() for l in err.splitlines() if l.strip() and "Capturing" not in l)
    mbps = (sent[0] + sent[1]) / (t1 - t0) / 1e6
    print(
        f"{a.shape:<6} {mbps:5.2f} MB/s sent  CPU {100 * (cpu1 - cpu0) / (t1 - t0):5.1f} %  "
        f"stop after SIGINT {t3 - t2:6.2f} s  {dropped}"
    )


if __name__ == "__main__":
    main()
