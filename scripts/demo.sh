#!/usr/bin/env bash
# The main job: build squirrel-sniff and show, on the bundled Secret Squirrels captures,
# what an eavesdropper sees over plain HTTP, with a Fernet-encrypted body, and over HTTPS.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
cargo build --release --locked --quiet
S=target/release/squirrel-sniff
C=captures

banner() { printf '\n===== %s =====\n\n' "$*"; }

banner "Plain HTTP: the packets (squirrel-http.pcap)"
"$S" -r "$C/squirrel-http.pcap"

banner "Plain HTTP: the response, layer by layer, with its bytes (the secret is readable)"
"$S" -r "$C/squirrel-http.pcap" -V -x --secret 'fluffy tail' 'tcp[tcpflags] & tcp-push != 0 and src port 5683' | sed -n '1,400p'

banner "HTTP vs Fernet vs HTTPS: what an eavesdropper sees"
"$S" compare "$C/squirrel-http.pcap" "$C/squirrel-fernet.pcap" "$C/squirrel-https.pcap" \
  "$C/squirrel-https-tls12.pcap" "$C/squirrel-https-badca.pcap" --secret 'fluffy tail'
