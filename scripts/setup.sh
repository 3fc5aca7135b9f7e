#!/usr/bin/env bash
# Installs what squirrel-sniff needs to build and test on Debian/Ubuntu: libpcap-dev (and
# pkg-config, a C compiler), tshark (a test oracle; with editcap and mergecap), curl, openssl
# and procps (the live tests' client, certificates and kill), python3 with venv (DuckDB for
# the Parquet tests) and chromium-headless-shell for the --html page's browser test, when
# missing. Uses apt-get directly as root, or through sudo otherwise.
set -euo pipefail

need=()
dpkg -s libpcap-dev >/dev/null 2>&1 || need+=(libpcap-dev)
command -v cc >/dev/null 2>&1 || need+=(gcc libc6-dev)
command -v pkg-config >/dev/null 2>&1 || need+=(pkg-config)
# tshark is the oracle some tests run directly (tests/compare.rs: the mixed TLS capture).
command -v tshark >/dev/null 2>&1 || need+=(tshark)
# Tests drive real clients and tools: curl (TLS with SSLKEYLOGFILE during a live capture),
# openssl (certificates), and kill, which a minimal Debian lacks (procps).
command -v curl >/dev/null 2>&1 || need+=(curl)
command -v openssl >/dev/null 2>&1 || need+=(openssl)
[ -x /bin/kill ] || [ -x /usr/bin/kill ] || need+=(procps)
# DuckDB reads --parquet output back in tests/parquet_ecs.rs: from PyPI, into a venv the
# test makes when python3 has no duckdb.
command -v python3 >/dev/null 2>&1 || need+=(python3)
python3 -c 'import duckdb' >/dev/null 2>&1 || python3 -c 'import venv, ensurepip' >/dev/null 2>&1 \
  || need+=(python3-venv)
# The --html page is tested in a real headless browser (tests/html_report.rs).
if ! command -v chromium-headless-shell >/dev/null 2>&1 && ! command -v chromium >/dev/null 2>&1; then
  need+=(chromium-headless-shell)
fi

if ((${#need[@]})); then
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "setup: please install: ${need[*]} (libpcap development files)" >&2
    exit 1
  fi
  SUDO=""
  if [ "$(id -u)" != 0 ]; then
    if command -v sudo >/dev/null 2>&1; then SUDO=sudo; else
      echo "setup: not root and no sudo: install ${need[*]} first" >&2; exit 1; fi
  fi
  echo "setup: installing ${need[*]}" >&2
  $SUDO apt-get update -qq
  if ! DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null; then
    # chromium-headless-shell is in Debian 12 (bookworm-security) and later; else chromium.
    need=("${need[@]/chromium-headless-shell/chromium}")
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
  fi
fi

if ! command -v cargo >/dev/null 2>&1; then
  echo "setup: cargo not found: install Rust (https://rustup.rs) or Debian's cargo package" >&2
  exit 1
fi
