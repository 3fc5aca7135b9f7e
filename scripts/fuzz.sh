#!/usr/bin/env bash
# Run one fuzz target for a while: scripts/fuzz.sh TARGET [SECONDS]
#
# Targets (fuzz/fuzz_targets/, bodies in fuzz/harness.rs): decode, reassembly, http, http2, tls,
# pipeline. Needs cargo-fuzz (`cargo install cargo-fuzz`). Only a stable toolchain is
# assumed: RUSTC_BOOTSTRAP=1 lets it take the -Z flags cargo-fuzz passes. The library is
# safe Rust (#![forbid(unsafe_code)]), so no sanitizer is used (-s none); debug assertions
# are on (-a) so arithmetic overflow is a crash too.
#
# The corpus (fuzz/corpus/TARGET) is seeded once from the bundled captures by the
# `write_seeds` test of tests/fuzz_smoke.rs. Crashes land in fuzz/artifacts/TARGET/; turn
# each into a test in tests/regressions/.
set -euo pipefail
cd "$(dirname "$0")/.."

target=${1:?usage: scripts/fuzz.sh TARGET [SECONDS]}
secs=${2:-300}
corpus=fuzz/corpus/$target

if [ ! -d "$corpus" ] || [ -z "$(ls -A "$corpus" 2>/dev/null)" ]; then
    SQUIRREL_WRITE_SEEDS="$PWD/fuzz/corpus" cargo test -q --test fuzz_smoke write_seeds >/dev/null
fi

RUSTC_BOOTSTRAP=1 exec cargo fuzz run -s none -a "$target" "$corpus" -- \
    -max_total_time="$secs" -max_len=65536 -rss_limit_mb=1024 -timeout=10 -print_final_stats=1
