#!/usr/bin/env bash
# Writes tests/fixtures/trust/: a CA, a leaf it signed, an impostor CA (same name, another
# key) and a forged leaf whose issuer name is the CA's but which the impostor signed. Used
# by the signature-verification tests of the trust check (src/findings/audit.rs).
# Re-running makes new keys; the tests do not depend on particular keys.
set -euo pipefail
cd "$(dirname "$0")/.."
out=tests/fixtures/trust
mkdir -p "$out"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }
ca_ext="basicConstraints=critical,CA:TRUE"
leaf_ext="subjectAltName=DNS:shop.squirrel.example"
ca_dn="/O=Squirrel Fixture/CN=Squirrel Fixture CA"

key "$tmp/ca.key"
key "$tmp/impostor.key"
key "$tmp/leaf.key"
openssl req -x509 -new -key "$tmp/ca.key" -subj "$ca_dn" -days 36500 \
    -addext "$ca_ext" -out "$out/ca.pem"
openssl req -x509 -new -key "$tmp/impostor.key" -subj "$ca_dn" -days 36500 \
    -addext "$ca_ext" -out "$out/impostor-ca.pem"
openssl req -new -key "$tmp/leaf.key" -subj "/CN=shop.squirrel.example" -out "$tmp/leaf.csr"
openssl x509 -req -in "$tmp/leaf.csr" -CA "$out/ca.pem" -CAkey "$tmp/ca.key" \
    -set_serial 1 -days 36500 -extfile <(echo "$leaf_ext") -out "$out/leaf.pem" 2>/dev/null
openssl x509 -req -in "$tmp/leaf.csr" -CA "$out/impostor-ca.pem" -CAkey "$tmp/impostor.key" \
    -set_serial 2 -days 36500 -extfile <(echo "$leaf_ext") -out "$out/forged-leaf.pem" 2>/dev/null
# Sanity: openssl agrees on which leaf the CA vouches for.
openssl verify -CAfile "$out/ca.pem" "$out/leaf.pem" >/dev/null
! openssl verify -CAfile "$out/ca.pem" "$out/forged-leaf.pem" >/dev/null 2>&1
echo "wrote $out/{ca,impostor-ca,leaf,forged-leaf}.pem"
