#!/usr/bin/env python3
"""Check the Secret Squirrels captures with tshark and print a Markdown table.

Usage: verify.py [CAPTURES_DIR]   (default: captures/ next to scripts/)

Port 5683 is CoAP's registered port, so tshark must be told what runs there:
`-d tcp.port==5683,http` for the plain captures, `-d tcp.port==5683,tls` for
the HTTPS ones (TLS then hands the decrypted bytes to HTTP by itself when a
key log is given with `-o tls.keylog_file:F`).

Columns:
  packets, streams          frames and TCP streams in the file
  HTTP req/resp             requests/responses tshark decodes; for the HTTPS
                            captures also after decryption with the key log
  TLS                       version the ServerHello chose
  cert in clear             Certificate handshake messages readable without keys
                            (and with the key log)
  alerts                    TLS alerts readable without keys / with the key log
  raw "fluffy tail"         whether the secret's bytes occur anywhere in the file
  tshark sees secret        whether tshark's decoded HTTP bodies (de-chunked,
                            gunzipped, decrypted with the key log) contain it
  clean end                 every TCP stream closed by FIN in both directions
                            (or reset)
"""

import subprocess
import sys
from collections import defaultdict
from pathlib import Path

SECRET = b"fluffy tail"
NAMES = ["http", "fernet", "https", "https-tls12", "https-badca", "https-badca-tls12", "login"]
TLS_NAMES = {0x0301: "1.0", 0x0302: "1.1", 0x0303: "1.2", 0x0304: "1.3"}


def tshark(pcap, proto, keys, display_filter, fields):
    cmd = ["tshark", "-r", str(pcap), "-d", f"tcp.port==5683,{proto}", "-Y", display_filter, "-T", "fields"]
    if keys is not None:
        cmd += ["-o", f"tls.keylog_file:{keys}"]
    for f in fields:
        cmd += ["-e", f]
    cmd += ["-E", "separator=\t"]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    return [line.split("\t") for line in out.splitlines() if line.strip()]


def check(pcap):
    name = pcap.stem.removeprefix("squirrel-")
    keys = pcap.with_suffix(".keys")
    keys = keys if keys.exists() else None
    proto = "tls" if name.startswith("https") else "http"
    row = {"capture": pcap.name, "bytes": pcap.stat().st_size}

    frames = tshark(pcap, proto, None, "frame", ["frame.number"])
    row["packets"] = len(frames)
    streams = tshark(pcap, proto, None, "tcp", ["tcp.stream", "tcp.srcport", "tcp.flags.fin", "tcp.flags.reset"])
    fins = defaultdict(set)
    rst = set()
    for stream, sport, fin, reset in streams:
        if fin in ("1", "True"):
            fins[stream].add(sport)
        if reset in ("1", "True"):
            rst.add(stream)
    ids = {s[0] for s in streams}
    row["streams"] = len(ids)
    clean = [s for s in ids if len(fins[s]) == 2 or s in rst]
    row["clean end"] = "yes" if len(clean) == len(ids) else f"{len(clean)}/{len(ids)}"
    if rst:
        row["clean end"] += f" (RST in {len(rst)})"

    def http_counts(k):
        return "{}/{}".format(
            len(tshark(pcap, proto, k, "http.request", ["frame.number"])),
            len(tshark(pcap, proto, k, "http.response", ["frame.number"])),
        )

    row["HTTP req/resp"] = http_counts(None) + (f" (keys: {http_counts(keys)})" if keys else "")

    if proto == "tls":
        sh = tshark(
            pcap, proto, None, "tls.handshake.type==2",
            ["tls.handshake.version", "tls.handshake.extensions.supported_version"],
        )
        versions = set()
        for legacy, supported in ((r + [""] * 2)[:2] for r in sh):
            v = supported or legacy
            versions.add("TLS " + TLS_NAMES.get(int(v, 16), v) if v else "?")
        row["TLS"] = ", ".join(sorted(versions))
        certs = len(tshark(pcap, proto, None, "tls.handshake.type==11", ["frame.number"]))
        certs_k = len(tshark(pcap, proto, keys, "tls.handshake.type==11", ["frame.number"])) if keys else certs
        row["cert in clear"] = f"{certs} (keys: {certs_k})"
        clear = tshark(pcap, proto, None, "tls.alert_message", ["tls.alert_message.desc"])
        dec = tshark(pcap, proto, keys, "tls.alert_message", ["tls.alert_message.desc"]) if keys else clear
        row["alerts"] = f"{alert_names(clear)} / {alert_names(dec)}"
    else:
        row["TLS"] = row["cert in clear"] = row["alerts"] = "-"

    raw = pcap.read_bytes()
    row['raw "fluffy tail"'] = "yes" if SECRET in raw else "no"
    bodies = tshark(pcap, proto, keys, "http.file_data", ["http.file_data"])
    seen = any(SECRET.decode() in (r[0] if r else "") for r in bodies)
    row["tshark sees secret"] = "yes" if seen else "no"
    return row


ALERTS = {"0": "close_notify", "40": "handshake_failure", "42": "bad_certificate", "48": "unknown_ca", "80": "internal_error"}


def alert_names(rows):
    if not rows:
        return "none"
    return ",".join(ALERTS.get(r[0], r[0]) for r in rows)


def main():
    root = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parents[2] / "captures"
    rows = [check(root / f"squirrel-{n}.pcap") for n in NAMES if (root / f"squirrel-{n}.pcap").exists()]
    cols = ["capture", "bytes", "packets", "streams", "HTTP req/resp", "TLS", "cert in clear",
            "alerts", 'raw "fluffy tail"', "tshark sees secret", "clean end"]
    print("| " + " | ".join(cols) + " |")
    print("|" + "---|" * len(cols))
    for r in rows:
        print("| " + " | ".join(str(r[c]) for c in cols) + " |")


if __name__ == "__main__":
    main()
