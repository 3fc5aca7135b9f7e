#!/usr/bin/env bash
# Write tests/fixtures/arp/arp-kinds.txt: tshark 4.0's summary lines (-n) for
# captures/arp/arp-kinds.pcap (scripts/make-arp-capture.py). tests/captures.rs compares
# squirrel-sniff's lines with them byte for byte. Needs tshark; run from the repository root.
set -euo pipefail
command -v tshark >/dev/null || { echo "make-arp-fixtures: needs tshark" >&2; exit 1; }
mkdir -p tests/fixtures/arp
tshark -n -r captures/arp/arp-kinds.pcap 2>/dev/null >tests/fixtures/arp/arp-kinds.txt
echo "make-arp-fixtures: $(wc -l <tests/fixtures/arp/arp-kinds.txt) lines in tests/fixtures/arp/arp-kinds.txt"
