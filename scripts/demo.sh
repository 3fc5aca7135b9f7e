#!/usr/bin/env bash
# The main job: build squirrel-sniff and show, on the bundled Secret Squirrels captures,
# what an eavesdropper sees over plain HTTP, with a Fernet-encrypted body, and over HTTPS.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
cargo build --release --locked --quiet
S=target/release/squirrel-sniff
C=captures
SECRET='fluffy tail'

banner() { printf '\n===== %s =====\n\n' "$*"; }

banner "Plain HTTP on port 5683: the packets (recognised as HTTP by content, not as CoAP)"
"$S" -r "$C/squirrel-http.pcap" --secret "$SECRET"

banner "Plain HTTP: the response layer by layer, and its bytes (the secret is marked ^^)"
"$S" -r "$C/squirrel-http.pcap" -V -x --secret "$SECRET" -Y 'http.response'

banner "HTTP vs Fernet vs HTTPS: what an eavesdropper sees"
"$S" compare "$C/squirrel-http.pcap" "$C/squirrel-fernet.pcap" "$C/squirrel-https.pcap" \
  "$C/squirrel-https-tls12.pcap" "$C/squirrel-https-badca.pcap" \
  --secret "$SECRET" --fernet-key "$(cat "$C/fernet.key")"

PAGE="${TMPDIR:-/tmp}/squirrel-compare.html"
"$S" compare "$C/squirrel-http.pcap" "$C/squirrel-fernet.pcap" "$C/squirrel-https.pcap" \
  "$C/squirrel-https-tls12.pcap" "$C/squirrel-https-badca.pcap" \
  --secret "$SECRET" --fernet-key "$(cat "$C/fernet.key")" --html "$PAGE" >/dev/null
banner "The same comparison as one self-contained web page (open it in a browser)"
echo "$PAGE"
