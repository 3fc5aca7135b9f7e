#!/usr/bin/env bash
# Regenerate tests/fixtures/capinfos/<name>.txt from capinfos, one per captures/*.pcap.
#
#   scripts/make-capinfos-fixtures.sh
#
# Each fixture is capinfos' table report with its header line (tab-separated, machine-readable
# values, start/end times as seconds since the epoch): `capinfos -T -M -S FILE`.
# tests/info.rs reads them by column name and compares `squirrel_sniff::capture::info::file_info`.
# Needs capinfos (Wireshark). Run it again whenever a capture in captures/ changes.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="$ROOT/tests/fixtures/capinfos"

command -v capinfos >/dev/null || { echo "capinfos not found (install wireshark-common / tshark)" >&2; exit 1; }
mkdir -p "$OUT"

shopt -s nullglob
captures=("$ROOT"/captures/*.pcap)
if [ ${#captures[@]} -eq 0 ]; then
    echo "no captures/*.pcap to describe" >&2
    exit 1
fi

# Times as UTC whatever the local time zone (only matters for the human-readable form).
export TZ=UTC
cd "$ROOT/captures"
for f in "${captures[@]}"; do
    name="$(basename "$f" .pcap)"
    capinfos -T -M -S "$name.pcap" >"$OUT/$name.txt"
    echo "tests/fixtures/capinfos/$name.txt"
done
