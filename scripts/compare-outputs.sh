#!/usr/bin/env bash
# Proof of "no unintended change": run two squirrel-sniff binaries over every bundled and
# corpus capture in every output mode, and diff what they print (stdout, stderr, exit code).
#
#   scripts/compare-outputs.sh BEFORE_BIN AFTER_BIN [--with-json]
#
# Prints the diff (empty when the outputs are identical) and exits 1 when they differ.
# `--json` output is left out unless --with-json is given: JSON v2 changes it on purpose
# (docs/json.md).
set -uo pipefail
cd "$(dirname "$0")/.."
before=$1
after=$2
with_json=${3:-}
corpus=${CORPUS:-../shared/corpus}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

captures=()
while IFS= read -r f; do captures+=("$f"); done < <(
    { ls captures/*.pcap captures/*.pcapng 2>/dev/null
      find "$corpus" -path "$corpus/expected" -prune -o \( -name '*.pcap' -o -name '*.pcapng' \) -print 2>/dev/null
    } | sort)

modes=(
    "lines|"
    "tree|-V"
    "hex|-x"
    "treehex|-V -x"
    "quiet|-q"
    "conv|--conversations -q"
    "hier|--hierarchy -q"
    "follow0|--follow 0"
    "report|--report"
)
if [ "$with_json" = "--with-json" ]; then
    modes+=("json|--json")
fi

run() { # bin outdir name args...
    local bin=$1 out=$2 name=$3
    shift 3
    (cd "$out" && "$bin" "$@" >"$name.out" 2>"$name.err"; echo "exit $?" >>"$name.err")
}

for side in before after; do
    bin=$before
    [ "$side" = after ] && bin=$after
    bin=$(realpath "$bin")
    mkdir -p "$work/$side"
    for cap in "${captures[@]}"; do
        abs=$(realpath "$cap")
        key=$(echo "$cap" | tr '/' '_')
        for m in "${modes[@]}"; do
            name=${m%%|*}
            # shellcheck disable=SC2086
            run "$bin" "$work/$side" "$key.$name" -r "$abs" ${m#*|}
        done
    done
    bundled=()
    for c in captures/*.pcap; do bundled+=("$(realpath "$c")"); done
    run "$bin" "$work/$side" "compare" compare "${bundled[@]}"
done
echo "compared ${#captures[@]} captures x ${#modes[@]} modes + compare" >&2
diff -r "$work/before" "$work/after"
