#!/usr/bin/env bash
# The test command: installs libpcap-dev if missing, then runs every test.
# Live-capture tests need root or CAP_NET_RAW; with CI=true they must run (a skip fails).
# Corpus tests read ../shared/corpus beside the checkout.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
cargo test --locked "$@"
