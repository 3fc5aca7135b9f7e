# Sourced by the capture-making scripts: a scratch directory in $WORK and a cleanup on exit
# that stops the capture ($CAP_PID) and the server ($SRV_PID) the script started, then
# removes $WORK. Usage: `. scripts/lib/capture-work.sh NAME` (NAME names the scratch dir).
WORK="$(mktemp -d "${TMPDIR:-/tmp}/${1:-capture}.XXXXXX")"
SRV_PID=""
CAP_PID=""
cleanup() {
    local pid
    for pid in "$CAP_PID" "$SRV_PID"; do
        if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; then
            kill -TERM "$pid" 2>/dev/null || true
            wait "$pid" 2>/dev/null || true
        fi
    done
    rm -rf "$WORK"
}
trap cleanup EXIT
