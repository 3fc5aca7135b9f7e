#!/usr/bin/env bash
# Oracle for the decrypted --follow test: the chunk lengths of `tshark -z follow,tls,ascii,0`
# (one decrypted application-data record each) of the key-logged corpus captures, written
# to tests/fixtures/follow-tls/NAME.lengths. Needs tshark and ../shared/corpus.
set -euo pipefail
cd "$(dirname "$0")/.."
C=../shared/corpus/decrypt
for n in tls12-ecdhe-aesgcm tls12-cbc-sha tls12-rsa-kex tls13-aes128; do
    tshark -r "$C/$n.pcap" -o "tls.keylog_file:$C/$n.keys" -q -z follow,tls,ascii,0 2>/dev/null \
        | grep -E '^	?[0-9]+$' | tr -d '\t' > "tests/fixtures/follow-tls/$n.lengths"
done
