#!/usr/bin/env python3
"""Compare squirrel-sniff with tshark on every capture we have, field by field and filter by filter.

usage: scripts/tshark-oracle.py [--bin BIN] [--corpus DIR] [--only SUBSTR] [--max N] [--quiet]

For each capture under ../shared/corpus/{http,tcp,tls,link,malformed,decrypt}, captures/ and
captures/lossy/ (with its key log when there is one: `--keylog F` / tshark `-o tls.keylog_file:F`):

  1. `-T fields -E occurrence=a` with every non-protocol field of `--list-fields` (finding.*
     excepted: tshark has no findings), a few fields a run; each (frame, field) cell is
     compared, the values of a cell as a set;
  2. the frame count of every filter in FILTERS (`-Y`).

Every mismatch is printed (at most --max per capture and field or filter), then one line of
totals: cells and filters compared, agreements, mismatches. Exit status 1 when there is a
mismatch that KNOWN does not explain, 0 otherwise.

tshark is told what squirrel-sniff finds by content (tshark picks dissectors by port):
TCP/UDP heuristics first, the corpus's decode-as rules, reassembly as make_expected.py sets
it. Needs tshark (4.0 was used) and a squirrel-sniff binary (default target/release).
"""
import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

PREFS = [
    "tcp.desegment_tcp_streams:TRUE",
    "tcp.reassemble_out_of_order:TRUE",
    "tls.desegment_ssl_records:TRUE",
    "tls.desegment_ssl_application_data:TRUE",
    "http.desegment_headers:TRUE",
    "http.desegment_body:TRUE",
    "tcp.try_heuristic_first:TRUE",
]

# tshark's decode-as rules for captures whose ports it maps elsewhere.
DECODE_AS = {
    "post-port-8000-needs-decode-as.pcap": ["-d", "tcp.port==8000,http"],
    "basic-auth-port-8000.pcap": ["-d", "tcp.port==8000,http"],
    "dns-udp.pcap": ["-d", "udp.port==5353,dns"],
    "dns-udp-tcp.pcap": ["-d", "udp.port==5300,dns", "-d", "tcp.port==5300,dns"],
}

FILTERS = [
    "http", "http.request", "http.response", "tls", "tls.handshake", "tls.alert",
    "tls.handshake.type == 1", "tls.handshake.type == 2", "tls.handshake.type == 11",
    "tls.handshake.type == 4", "tls.handshake.type == 16",
    "tcp.analysis.retransmission", "dns", "dns.flags.response == 1", "dns.flags.response == 0",
    "dns.qry.type == 1", "quic", "http2", "http3", "tcp", "udp", "ip", "ipv6", "eth", "icmp",
    "icmpv6", "arp",
    "tcp.flags.syn == 1 && tcp.flags.ack == 0", "tcp.flags.reset == 1", "tcp.flags.fin == 1",
    "tcp.len > 0", "!tcp.len", "tcp.len >= 1000", "tcp.stream == 0", "tcp.stream > 1",
    "frame.len > 1000", "frame.cap_len < frame.len", "udp.length > 100",
    'http.request.method == "GET"', 'http.request.method == "POST"',
    'http.request.uri contains "/"', "http.response.code == 200", "http.response.code >= 300",
    "http.host", "http.user_agent", "http.content_type", 'http.content_type contains "html"',
    "tls.handshake.extensions_server_name", "tls.alert_message", "tls.alert_message.desc == 40",
    "tls.record.version == 0x0303", "tls.record.version == 0x0301",
    "tls.handshake.version == 0x0303",
    "http2.streamid == 1", "http2.type == 0", "http2.type == 1", "http2.type == 4",
    "http2.header.name", 'http2.header.value contains "/"', "http2.flags & 0x01",
    "dns.a", "dns.aaaa", "dns.cname", "dns.txt", "dns.flags.rcode == 3", "dns.flags.truncated == 1",
    "quic.version == 1", "tcp.port == 80 || tcp.port == 443", "!(tcp.port == 80)",
    "ip.src == 127.0.0.1", "ip.addr == 10.0.0.0/8", "tcp.srcport < tcp.dstport",
    "tcp.seq == 1", "tcp.ack == 1", "udp.stream == 0", "tcp.flags.push == 1 && !http",
    "tcp.analysis.flags", "tcp.analysis.fast_retransmission",
    "tcp.analysis.spurious_retransmission", "tcp.analysis.out_of_order",
    "tcp.analysis.lost_segment", "tcp.analysis.ack_lost_segment", "tcp.analysis.duplicate_ack",
    "tcp.analysis.duplicate_ack_num >= 2", "tcp.analysis.window_update",
    "tcp.analysis.window_full", "tcp.analysis.keep_alive", "tcp.analysis.keep_alive_ack",
    "tcp.analysis.zero_window", "tcp.analysis.zero_window_probe",
    "tcp.analysis.zero_window_probe_ack", "tcp.analysis.ack_rtt", "tcp.analysis.acks_frame",
    "tcp.analysis.initial_rtt", "tcp.analysis.bytes_in_flight > 1000",
    "tcp.analysis.flags && !tcp.analysis.window_update",
    # stop 35: time-valued analysis fields compared as seconds, the RTO of retransmissions.
    "tcp.analysis.ack_rtt > 0.05", "tcp.analysis.ack_rtt < 0.0002",
    "tcp.analysis.initial_rtt > 0.01", "tcp.analysis.rto", "tcp.analysis.rto > 0.2",
    "tcp.analysis.rto_frame > 10",
    # stop 34: frame, link, IP, TCP, UDP and ICMP header fields.
    "frame.time_relative > 0.5", "frame.time_delta >= 0.001", "frame.time_epoch < 1400000000",
    "eth.src == 00:10:db:88:d2:ef", "eth.addr", "eth.type == 0x86dd", "vlan.id",
    "ip.proto == 17", "ip.ttl < 64", "ip.id == 0", "ip.len > 1000", "ip.flags.df == 0",
    "ip.flags.mf", "ip.flags & 0x02", "ip.dsfield != 0", "ip.hdr_len > 20", "ip.version == 4",
    "ipv6.nxt == 6", "ipv6.hlim == 64", "ipv6.plen < 100", "ipv6.flow != 0",
    "tcp.flags == 0x018", "tcp.flags & 0x02", "tcp.hdr_len > 20", "tcp.window_size_value < 1000",
    "tcp.window_size > 65535", "tcp.window_size_scalefactor == -1",
    "tcp.window_size_scalefactor == -2", "tcp.window_size_scalefactor >= 128",
    "tcp.nxtseq > 1000", "tcp.seq_raw > 0", "tcp.ack_raw == 0",
    "tcp.options.mss_val == 1460", "tcp.options.wscale.shift >= 7", "tcp.flags.urg == 1",
    "tcp.urgent_pointer != 0", 'tcp.payload contains "GET"', "tcp.payload contains 16:03",
    "tcp.payload", "udp.checksum == 0", "icmp.type == 8", "icmpv6.type == 135",
    # stop 34: HTTP, TLS, DNS, HTTP/2 and QUIC fields.
    'http.request.version == "HTTP/1.0"', 'http.response.phrase == "Not Found"',
    "http.content_length > 1000", "http.server", 'http.server contains "nginx"', "http.cookie",
    "http.set_cookie", "http.authorization", "http.referer", "http.location",
    'http.request.full_uri contains "https://"', "http.request_in",
    'http.accept_encoding contains "gzip"', 'http.connection == "close"',
    "tls.record.content_type == 22", "tls.record.content_type == 21",
    "tls.handshake.ciphersuite == 0x1301", "tls.handshake.ciphersuite == 0xc02f",
    "tls.handshake.extension.type == 16", 'tls.handshake.extensions_alpn_str == "h2"',
    "tls.handshake.extensions.supported_version == 0x0304",
    "tls.handshake.extensions_supported_group == 0x001d",
    "dns.qry.class == 1", "dns.resp.ttl > 60", "dns.count.answers > 1", "dns.flags.opcode == 0",
    "dns.flags.recdesired == 1", "dns.flags.recavail == 1", "dns.flags.authoritative == 1",
    "dns.resp.type == 5", "dns.flags & 0x8000", "dns.count.add_rr > 0",
    'http2.headers.method == "GET"', 'http2.headers.path contains "/"', "http2.headers.authority",
    'http2.headers.status == 200', 'http2.headers.scheme == "https"',
    "quic.long.packet_type == 0", "quic.long.packet_type == 2", "quic.dcid", "quic.scid",
]

# squirrel-sniff names that tshark spells otherwise: the tshark name is given to both tools
# when squirrel-sniff knows it (an alias), else each tool gets its own.
TSHARK_NAME = {
    "tls.sni": "tls.handshake.extensions_server_name",
    "tls.alert.description": "tls.alert_message.desc",
}

# Mismatches explained (capture substring, field or filter) -> why; printed, counted apart,
# not failed. A capture substring of "" matches every capture, a field or filter of "*" every
# field and filter.
KNOWN = {
    ("link/pcapng-big-endian-multi-section", "*"):
        "tshark numbers pcapng non-packet blocks as frames (corpus README quirk 5)",
    ("tcp/snaplen96-truncated-http", "*"):
        "tshark dissects HTTP heads cut by the snaplen; squirrel-sniff claims no unseen message",
    ("captures/escape-injection", "*"): "squirrel-sniff escapes control and bidi characters",
    ("captures/html-injection", "http.referer"): "bidi characters escaped (docs/safety.md)",
    ("captures/dns-udp-tcp", "dns.resp.name"): "tshark 4.0 names an SRV answer dns.srv.name",
    ("http/keepalive-5-requests", "http.cache_control"):
        "tshark keeps the value's trailing spaces (RFC 9110 optional whitespace)",
    ("http/pipelined", "http.response_for.uri"):
        "each pipelined response paired with its request; tshark one value per frame",
    ("http/pipelined", "http.request_in"):
        "each pipelined response paired with its request; tshark one value per frame",
    ("http/pipelined", "http.time"):
        "each pipelined response paired with its request; tshark one value per frame",
    ("http/pipelined", "http.request_number"): "tshark's own numbering of pipelined requests",
    ("http/pipelined", "http.response_number"): "tshark's own numbering of pipelined requests",
    ("http/pipelined", "http.prev_request_in"): "tshark's own numbering of pipelined requests",
    ("http/pipelined", "http.prev_response_in"): "tshark's own numbering of pipelined requests",
    ("http/expect-100-continue", "http.request_number"):
        "tshark numbers a 100 Continue as an exchange of its own",
    ("http/keepalive-5-requests", "http.file_data"):
        "tshark writes a body's control bytes raw; squirrel-sniff escapes them",
    ("http/post-port-8000-needs-decode-as", "http.file_data"):
        "tshark writes a body's control bytes raw; squirrel-sniff escapes them",
    ("tls/tls12-alpn-session-resumption", "http.file_data"):
        "tshark writes a body's control bytes raw; squirrel-sniff escapes them",
    ("http/expect-100-continue", "http.response_for.uri"):
        "tshark gives a 100 Continue no request",
    ("http/methods-and-bad-request-lines", "http.response_for.uri"):
        "malformed request lines are not requests here",
    ("http/methods-and-bad-request-lines", "http.request.full_uri"):
        "malformed request lines are not requests here",
    ("malformed/http-chunk-size-overflow-rawip", "*"):
        "squirrel-sniff reads the request smuggled after a 2^64 chunk size; tshark stops",
    ("malformed/tcp-header-truncated-snaplen46", "*"):
        "tshark reads ports from a cut TCP header; squirrel-sniff drops the header",
    ("tls/tls10-session-id-resumption", "tls"): "tshark's empty tls layer on a record's "
        "first segment ([TCP segment of a reassembled PDU])",
    ("tls/tls12-alpn-session-resumption", "tls"): "tshark's empty tls layer on a record's "
        "first segment",
    ("tls/tls12-full-handshake-rsa", "tls"): "tshark's empty tls layer on a record's "
        "first segment",
    ("malformed/tls-heartbleed", "tls"): "tshark's empty tls layer on a record's first segment",
    ("captures/http-auth", "http.authbasic"):
        "tshark writes bytes that are not UTF-8 raw; squirrel-sniff as U+FFFD",
}
# mDNS (UDP 5353 multicast, no -d): tshark's MDNS dissector fills dns.*, squirrel-sniff does
# not parse mDNS.
for _f in ["dns.count.add_rr", "dns.count.answers", "dns.count.auth_rr", "dns.count.queries",
           "dns.flags", "dns.flags.opcode", "dns.flags.recdesired", "dns.flags.response",
           "dns.flags.truncated", "dns.id", "dns.qry.class", "dns.qry.name", "dns.qry.type",
           "dns.flags.response == 0", "dns.qry.class == 1", "dns.flags.opcode == 0"]:
    KNOWN[("tls/tls12-alpn-session-resumption", _f)] = "mDNS: tshark's MDNS dissector"
# HTTP/2 and HTTP/3 streams are http.request / http.response here (README); tshark keeps
# them under http2 / http3 only.
for _c in ["decrypt/h2", "decrypt/quic-h3", "decrypt/tls13-ech-grease"]:
    for _f in ["http.content_type", "http.host", "http.request.method", "http.request.uri",
               "http.response.code", "http.user_agent", "http", "http.request", "http.response",
               'http.request.method == "GET"', 'http.request.uri contains "/"',
               "http.response.code == 200", "http.response.code >= 300",
               'http.content_type contains "html"', "tcp.flags.push == 1 && !http"]:
        KNOWN[(_c, _f)] = "HTTP/2 and HTTP/3 messages are http messages here"


def known(rel, what):
    """The reason KNOWN gives for a mismatch of `what` (a field or filter) in `rel`, or None."""
    for (sub, w), why in KNOWN.items():
        if w in (what, "*") and sub in rel:
            return why
    return None


def corpus_files(corpus):
    out = []
    for sub in ["http", "tcp", "tls", "link", "malformed", "decrypt"]:
        d = corpus / sub
        if d.is_dir():
            out += sorted(p for p in d.iterdir() if p.suffix in (".pcap", ".pcapng"))
    for d in (ROOT / "captures", ROOT / "captures" / "lossy"):
        out += sorted(p for p in d.iterdir() if p.suffix == ".pcap")
    return out


def keylog(path):
    stem = path.name.split(".")[0]
    k = path.parent / (stem + ".keys")
    return k if k.exists() else None


def run(cmd):
    p = subprocess.run(cmd, capture_output=True)
    return p.returncode, p.stdout.decode("utf-8", "backslashreplace"), p.stderr.decode(
        "utf-8", "backslashreplace")


def tshark_cmd(path, conf):
    cmd = ["tshark", "-n", "-r", str(path)]
    for p in PREFS:
        cmd += ["-o", p]
    k = keylog(path)
    if k:
        cmd += ["-o", "tls.keylog_file:%s" % k]
    cmd += DECODE_AS.get(path.name, [])
    return cmd


def ours_cmd(binary, path):
    cmd = [binary, "-n", "-r", str(path), "--color", "never"]
    k = keylog(path)
    if k:
        cmd += ["--keylog", str(k)]
    return cmd


def tshark_knows(flt, sample):
    p = subprocess.run(["tshark", "-Y", flt, "-r", str(sample), "-c", "1"], capture_output=True)
    return p.returncode == 0


def io_stat(path, conf, filters):
    """Frames matching each filter over the whole capture, in one tshark pass (-z io,stat)."""
    cmd = tshark_cmd(path, conf) + ["-q", "-z", "io,stat,0," + ",".join(
        '"%s"' % f if "," in f else f for f in filters)]
    _, out, err = run(cmd)
    rows = [l for l in out.splitlines() if "<>" in l]
    if not rows:
        return None
    cols = [c.strip() for c in rows[-1].strip().strip("|").split("|")]
    # cols[0] is the interval, then Frames, Bytes per filter.
    return [int(cols[1 + 2 * i]) for i in range(len(filters))]


def ours_name(binary, f):
    t = TSHARK_NAME.get(f)
    if t and subprocess.run([binary, "-Y", t, "-r", "/dev/null"], capture_output=True
                            ).stderr.find(b"display filter") < 0:
        return t
    return f


def fields_of(binary):
    _, out, _ = run([binary, "--list-fields"])
    names = []
    for line in out.splitlines():
        cols = line.split("\t")
        if len(cols) >= 2 and cols[1] not in ("protocol", "alias") and not cols[0].startswith(
                "finding"):
            names.append(cols[0])
    return names


def table(out, nfields):
    """frame.number -> [set of values per field]."""
    rows = {}
    # Rows end at LF only: tshark writes a field's control bytes raw (http.file_data), and
    # str.splitlines would also break a row at VT, FF, FS, GS, RS or NEL.
    for line in out.split("\n"):
        cols = line.split("\t")
        if len(cols) != nfields + 1:
            continue
        rows[cols[0]] = [frozenset(v for v in c.split(",") if v != "") for c in cols[1:]]
    return rows


def norm(field, values):
    # tshark 4.0 prints booleans of flag fields as 1/0 and some as True/False.
    out = set()
    for v in values:
        if v in ("True",):
            v = "1"
        elif v in ("False",):
            v = "0"
        out.add(v)
    return frozenset(out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=str(ROOT / "target/release/squirrel-sniff"))
    ap.add_argument("--corpus", default=str(ROOT.parent / "shared/corpus"))
    ap.add_argument("--only", default="")
    ap.add_argument("--max", type=int, default=3)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--no-filters", action="store_true")
    ap.add_argument("--no-fields", action="store_true")
    ap.add_argument("--quiet", action="store_true")
    a = ap.parse_args()
    fields = fields_of(a.bin)
    conf = tempfile.mkdtemp(prefix="tshark-conf-")
    os.environ["WIRESHARK_CONFIG_DIR"] = conf
    sample = corpus_files(Path(a.corpus))[0]
    valid = [f for f in FILTERS if tshark_knows(f, sample)]
    for f in FILTERS:
        if f not in valid:
            print("tshark does not know the filter %r: skipped" % f)
    cells = cell_bad = nfilt = filt_bad = cell_known = filt_known = 0
    per_field = {}
    per_filter = {}
    for path in corpus_files(Path(a.corpus)):
        if a.only and a.only not in str(path):
            continue
        rel = str(path.relative_to(path.parent.parent))
        trc, _, terr = run(tshark_cmd(path, conf) + ["-T", "fields", "-e", "frame.number"])
        orc, _, oerr = run(ours_cmd(a.bin, path) + ["-q"])
        if trc != 0:
            print("%s: tshark cannot read it (exit %d); squirrel-sniff exit %d" % (rel, trc, orc))
            continue
        if not a.no_fields:
            for i in range(0, len(fields), a.batch):
                batch = ["frame.number"] + [f for f in fields[i:i + a.batch] if f != "frame.number"]
                opts = ["-E", "occurrence=a", "-E", "separator=/t", "-E", "aggregator=,"]
                targs = [x for f in batch for x in ("-e", TSHARK_NAME.get(f, f))] + opts
                oargs = [x for f in batch for x in ("-e", ours_name(a.bin, f))] + opts
                trc, tout, terr = run(tshark_cmd(path, conf) + ["-T", "fields"] + targs)
                if trc != 0:
                    print("%s: tshark exit %d: %s" % (rel, trc, terr.strip()[:200]))
                rc, oout, oerr = run(ours_cmd(a.bin, path) + ["-T", "fields"] + oargs)
                if rc != 0:
                    print("%s: squirrel-sniff exit %d: %s" % (rel, rc, oerr.strip()[:200]))
                tt = table(tout, len(batch) - 1)
                ot = table(oout, len(batch) - 1)
                for j, f in enumerate(batch[1:]):
                    shown = 0
                    for fr in tt.keys() | ot.keys():
                        tv = norm(f, tt.get(fr, [frozenset()] * len(batch))[j])
                        ov = norm(f, ot.get(fr, [frozenset()] * len(batch))[j])
                        if not tv and not ov:
                            continue
                        cells += 1
                        st = per_field.setdefault(f, [0, 0, set()])
                        st[0] += 1
                        if tv != ov:
                            cell_bad += 1
                            st[1] += 1
                            st[2].add(rel)
                            why = known(rel, f)
                            cell_known += why is not None
                            if shown < a.max and not a.quiet:
                                print("%s frame %s %s: tshark %s / ours %s%s" % (
                                    rel, fr, f, ",".join(sorted(tv)) or "-",
                                    ",".join(sorted(ov)) or "-",
                                    " (known: %s)" % why if why else ""))
                            shown += 1
                    if shown > a.max and not a.quiet:
                        print("%s %s: %d more" % (rel, f, shown - a.max))
        if not a.no_filters:
            tcounts = io_stat(path, conf, valid)
            if tcounts is None:
                print("%s: tshark -z io,stat gave no table: filters not compared" % rel)
                tcounts = []
            for flt, tn in zip(valid, tcounts):
                orc, oout, oerr = run(ours_cmd(a.bin, path) + ["-Y", flt, "-T", "fields", "-e",
                                                               "frame.number"])
                nfilt += 1
                of = oout.split()
                st = per_filter.setdefault(flt, [0, 0, set()])
                st[0] += 1
                if orc != 0 or tn != len(of):
                    filt_bad += 1
                    st[1] += 1
                    st[2].add(rel)
                    why = known(rel, flt)
                    filt_known += why is not None
                    if not a.quiet:
                        _, tout, _ = run(tshark_cmd(path, conf) + ["-Y", flt, "-T", "fields",
                                                                   "-e", "frame.number"])
                        tf = tout.split()
                        extra = sorted(set(of) - set(tf), key=int)[:8]
                        missing = sorted(set(tf) - set(of), key=int)[:8]
                        print("%s -Y '%s': tshark %d frames, ours %d%s (ours only %s, tshark only %s)%s"
                              % (rel, flt, tn, len(of),
                                 "" if orc == 0 else " exit %d %s" % (orc, oerr.strip()[:80]),
                                 extra, missing, " (known: %s)" % why if why else ""))
    print("\n# per field: cells compared, mismatches, captures")
    for f, (n, b, caps) in sorted(per_field.items()):
        print("%-28s %6d %6d %s" % (f, n, b, " ".join(sorted(caps)) if b else ""))
    print("\n# per filter: captures compared, mismatches, captures")
    for f, (n, b, caps) in sorted(per_filter.items()):
        print("%-45s %4d %4d %s" % (f, n, b, " ".join(sorted(caps)) if b else ""))
    print("\nTOTAL cells %d mismatched %d (%d explained by KNOWN); filters %d mismatched %d "
          "(%d explained by KNOWN)" % (cells, cell_bad, cell_known, nfilt, filt_bad, filt_known))
    unexplained = cell_bad - cell_known + filt_bad - filt_known
    return 1 if unexplained else 0


if __name__ == "__main__":
    sys.exit(main())
