#!/usr/bin/env python3
"""Make real TCP captures with loss, duplicate ACKs, fast and timeout retransmissions, zero
windows, window updates and keep-alives, and the tshark view they are checked against.

usage: sudo scripts/make-lossy-captures.py [--out captures/lossy] [--only NAME]
       scripts/make-lossy-captures.py --views-only   (tshark's views of the captures there)

Three network namespaces (client, router, server) joined by veth pairs; the router forwards
and drops packets at random in its FORWARD chain (`iptables -m statistic --mode random`;
netem is not needed). tcpdump captures on the client's side, headers only (snaplen 128), so
the files stay small. Scenarios, one capture each:

  lossy-bulk.pcap        the server sends 400 KB over a path dropping 4 % of the packets
                         both ways: duplicate ACKs, fast retransmissions, SACK, lost and
                         ACKed-unseen segments, timeout retransmissions;
  lossy-zero-window.pcap the server sends 600 KB to a client with a small receive buffer
                         that reads nothing for 3 s, then reads slowly: window full, zero
                         window, zero-window probes and their ACKs, window updates;
  lossy-capture-gaps.pcap the server sends 200 KB over a clean path, but the capture filter
                         leaves out one data segment in 16 (by its sequence number): the
                         receiver got them, so their ACKs are "ACKed unseen segment";
  lossy-keepalive.pcap   an idle connection with SO_KEEPALIVE and 1 s timers: keep-alives
                         and keep-alive ACKs, then a request over a path dropping 30 %
                         (timeout retransmissions).

For each capture FILE.pcap it writes FILE.tshark-analysis.tsv: tshark's frame number and
tcp.analysis.* fields (tests/tcp_analysis_oracle.rs compares squirrel-sniff with it). Needs
root, ip, iptables, ethtool, tcpdump, tshark; installs the missing ones with apt-get.
"""
import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NS = ("tcpa-cli", "tcpa-rtr", "tcpa-srv")
CLI, SRV = "10.77.1.2", "10.77.2.2"
PORT = 8777

# The fields compared, in order (the oracle test reads the same list from the file header).
FIELDS = [
    "frame.number",
    "tcp.analysis.flags",
    "tcp.analysis.retransmission",
    "tcp.analysis.fast_retransmission",
    "tcp.analysis.spurious_retransmission",
    "tcp.analysis.out_of_order",
    "tcp.analysis.lost_segment",
    "tcp.analysis.ack_lost_segment",
    "tcp.analysis.window_update",
    "tcp.analysis.window_full",
    "tcp.analysis.keep_alive",
    "tcp.analysis.keep_alive_ack",
    "tcp.analysis.duplicate_ack",
    "tcp.analysis.zero_window_probe",
    "tcp.analysis.zero_window",
    "tcp.analysis.zero_window_probe_ack",
    "tcp.analysis.duplicate_ack_num",
    "tcp.analysis.duplicate_ack_frame",
    "tcp.analysis.acks_frame",
    "tcp.analysis.ack_rtt",
    "tcp.analysis.initial_rtt",
    "tcp.analysis.bytes_in_flight",
    "tcp.analysis.push_bytes_sent",
    "tcp.analysis.rto",
    "tcp.analysis.rto_frame",
]

# Filters on the time-valued fields, compared numerically (FILTERS_VIEW lists tshark's frames).
TIME_FILTERS = [
    "tcp.analysis.ack_rtt > 0.05",
    "tcp.analysis.ack_rtt < 0.0002",
    "tcp.analysis.ack_rtt >= 0.001 && tcp.analysis.ack_rtt <= 0.01",
    "tcp.analysis.initial_rtt > 0.0001",
    "tcp.analysis.rto > 0.2",
    "tcp.analysis.rto_frame > 10",
    "tcp.analysis.rto",
    "tcp.analysis.rto == 0.208004",
    "tcp.analysis.ack_rtt == 0.000048",
]
FILTERS_VIEW = "tshark-time-filters.tsv"

SERVER = r'''
import socket, sys, time
mode = sys.argv[1]
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", %d)); s.listen(1)
c, _ = s.accept()
if mode == "bulk":
    c.recv(100); c.sendall(b"x" * 400_000)
elif mode == "zero":
    c.recv(100); c.sendall(b"z" * 600_000)
elif mode == "gaps":
    c.recv(100); c.sendall(b"g" * 200_000)
elif mode == "keep":
    data = c.recv(100); c.sendall(b"pong " + data * 40)
time.sleep(0.5); c.close()
''' % PORT

CLIENT = r'''
import socket, sys, time
mode = sys.argv[1]
c = socket.socket()
if mode == "zero":
    c.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
if mode == "keep":
    c.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
    c.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, 1)
    c.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPINTVL, 1)
c.connect(("%s", %d))
if mode == "keep":
    time.sleep(4.5)
    open("/tmp/tcpa-lossy-go", "w").close()
    time.sleep(0.3)
c.sendall(b"ping " * 20)
if mode == "zero":
    time.sleep(3)
    while True:
        d = c.recv(2048)
        if not d: break
        time.sleep(0.002)
else:
    while c.recv(65536): pass
c.close()
''' % (SRV, PORT)


def sh(*cmd, check=True):
    return subprocess.run(cmd, check=check, capture_output=True, text=True)


def ns(name, *cmd, check=True):
    return sh("ip", "netns", "exec", name, *cmd, check=check)


def need(tools):
    missing = [t for t in tools if shutil.which(t) is None]
    pkgs = {"ip": "iproute2", "iptables": "iptables", "tcpdump": "tcpdump", "tshark": "tshark",
            "ethtool": "ethtool"}
    if missing:
        sh("apt-get", "update", "-q")
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        subprocess.run(["apt-get", "install", "-y", "-q"] + [pkgs[t] for t in missing],
                       check=True, env=env)


def teardown():
    for n in NS:
        sh("ip", "netns", "del", n, check=False)


def setup():
    teardown()
    for n in NS:
        sh("ip", "netns", "add", n)
    sh("ip", "link", "add", "tcpa-c0", "netns", NS[0], "type", "veth", "peer", "name",
       "tcpa-r0", "netns", NS[1])
    sh("ip", "link", "add", "tcpa-r1", "netns", NS[1], "type", "veth", "peer", "name",
       "tcpa-s0", "netns", NS[2])
    for n, dev, addr in ((NS[0], "tcpa-c0", CLI + "/24"), (NS[1], "tcpa-r0", "10.77.1.1/24"),
                         (NS[1], "tcpa-r1", "10.77.2.1/24"), (NS[2], "tcpa-s0", SRV + "/24")):
        ns(n, "ip", "addr", "add", addr, "dev", dev)
        ns(n, "ip", "link", "set", dev, "up")
        # No segmentation offload: what is captured is what is on the wire.
        ns(n, "ethtool", "-K", dev, "tso", "off", "gso", "off", "gro", "off")
    for n in NS:
        ns(n, "ip", "link", "set", "lo", "up")
    ns(NS[0], "ip", "route", "add", "default", "via", "10.77.1.1")
    ns(NS[2], "ip", "route", "add", "default", "via", "10.77.2.1")
    ns(NS[1], "sysctl", "-qw", "net.ipv4.ip_forward=1")


def drop(prob):
    ns(NS[1], "iptables", "-F", "FORWARD")
    if prob > 0:
        ns(NS[1], "iptables", "-A", "FORWARD", "-p", "tcp", "-m", "statistic", "--mode",
           "random", "--probability", str(prob), "-j", "DROP")


def run(mode, pcap, loss, later_loss=None, bpf="tcp"):
    drop(loss)
    cap = subprocess.Popen(["ip", "netns", "exec", NS[0], "tcpdump", "-i", "tcpa-c0", "-s",
                            "128", "-U", "-w", str(pcap), bpf],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(1)
    srv = subprocess.Popen(["ip", "netns", "exec", NS[2], sys.executable, "-c", SERVER, mode])
    time.sleep(0.5)
    go = Path("/tmp/tcpa-lossy-go")
    go.unlink(missing_ok=True)
    cli = subprocess.Popen(["ip", "netns", "exec", NS[0], sys.executable, "-c", CLIENT, mode])
    if later_loss is not None:
        while not go.exists() and cli.poll() is None:
            time.sleep(0.05)
        drop(later_loss)
    cli.wait(timeout=120)
    srv.wait(timeout=30)
    time.sleep(1)
    cap.terminate()
    cap.wait()
    go.unlink(missing_ok=True)


def tshark_view(pcap):
    args = ["tshark", "-r", str(pcap), "-T", "fields", "-E", "occurrence=f", "-E", "header=y"]
    for f in FIELDS:
        args += ["-e", f]
    out = subprocess.run(args, check=True, capture_output=True, text=True).stdout
    pcap.with_suffix(".tshark-analysis.tsv").write_text(out)


def filters_view(out):
    """tshark's frames for each of TIME_FILTERS on each capture: capture, filter, frames."""
    rows = []
    for pcap in sorted(out.glob("*.pcap")):
        for f in TIME_FILTERS:
            frames = subprocess.run(["tshark", "-r", str(pcap), "-Y", f, "-T", "fields", "-e",
                                     "frame.number"], check=True, capture_output=True,
                                    text=True).stdout.split()
            rows.append("\t".join([pcap.name, f, ",".join(frames)]))
    (out / FILTERS_VIEW).write_text("\n".join(rows) + "\n")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=str(ROOT / "captures" / "lossy"))
    ap.add_argument("--only", default="")
    ap.add_argument("--views-only", action="store_true",
                    help="only write tshark's views of the captures already there (no root)")
    a = ap.parse_args()
    if a.views_only:
        for pcap in sorted(Path(a.out).glob("*.pcap")):
            if not a.only or a.only in pcap.name:
                tshark_view(pcap)
        filters_view(Path(a.out))
        return
    if os.geteuid() != 0:
        sys.exit("make-lossy-captures: needs root (network namespaces)")
    need(["ip", "iptables", "tcpdump", "tshark", "ethtool"])
    out = Path(a.out)
    setup()
    try:
        # Server data segments whose sequence number has bits 8-11 equal to 7 are not captured.
        gaps = "tcp and not (src port %d and tcp[13] & 0x10 != 0 and (tcp[6] & 0x0f) = 7 " \
               "and len > 200)" % PORT
        for mode, name, loss, later, bpf in (
                ("bulk", "lossy-bulk.pcap", 0.04, None, "tcp"),
                ("zero", "lossy-zero-window.pcap", 0.0, None, "tcp"),
                ("gaps", "lossy-capture-gaps.pcap", 0.0, None, gaps),
                ("keep", "lossy-keepalive.pcap", 0.0, 0.3, "tcp")):
            if a.only and a.only not in name:
                continue
            pcap = out / name
            run(mode, pcap, loss, later, bpf)
            tshark_view(pcap)
            print(f"{pcap}: {pcap.stat().st_size} bytes")
        filters_view(out)
    finally:
        teardown()


if __name__ == "__main__":
    main()
