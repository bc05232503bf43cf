#!/bin/sh
# The proxy's own work per transaction in user-space instructions (callgrind), a figure that does not move with
# the load of a shared machine the way TPS and CPU time do (the same binary measures within 0.01 % of itself,
# where its CPU time per transaction varies by +-15 % here). Kernel time, most of the proxy's CPU, is not in it.
# Usage: tests/bench/bench_proxy_instructions.sh BUILD_DIR [BUILD_DIR_B]   (needs valgrind)
# Environment: MODES (default "simple prepared"), TX (transactions measured, default 2000). With a second build
# directory, both are measured and the ratio B/A is printed per mode.
set -eu

command -v valgrind >/dev/null 2>&1 || { echo "valgrind is not installed (apt-get install valgrind)"; exit 1; }
server_of() {
    s="$1/bin/bench_proxy_server"
    [ -x "$s" ] || s="$1/tests/bench/bench_proxy_server"
    [ -x "$s" ] || { echo "bench_proxy_server not built in $1" >&2; exit 1; }
    echo "$s"
}
A="$(server_of "${1:?usage: bench_proxy_instructions.sh BUILD_DIR [BUILD_DIR_B]}")"
B=""
[ $# -lt 2 ] || B="$(server_of "$2")"
MODES="${MODES:-simple prepared}"
TX="${TX:-2000}"

# shellcheck source=tests/bench/benchlib.sh
. "$(dirname "$0")/benchlib.sh"
pgcluster_create hs-benchinstr
VG_PID=""
cleanup() {
    if [ -n "$VG_PID" ]; then kill "$VG_PID" 2>/dev/null || true; fi
    pgcluster_destroy
}
trap cleanup EXIT INT TERM
PORT="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
pgcluster_start "-c listen_addresses='' -k $WORK -p $PORT -c fsync=off"
pgbench -i -q -s 1 -h "$WORK" -p "$PORT" -U postgres postgres >"$WORK/init.log" 2>&1 || { cat "$WORK/init.log"; exit 1; }

# Instructions per transaction of server $1 in mode $2: a warm-up run (connection, caches), the counters
# zeroed, TX transactions from one client, then a dump.
measure() {
    rm -f "$WORK"/cg.*
    valgrind --tool=callgrind --callgrind-out-file="$WORK/cg.%p" "$1" "$WORK" "$PORT" 20 >"$WORK/p.out" 2>"$WORK/p.err" &
    VG_PID=$!
    proxy_port="$(listening_address "$WORK/p.out" "$WORK/p.err" proxy 60)"
    pgbench -n -S -t 200 -c 1 -M "$2" -h 127.0.0.1 -p "$proxy_port" -U postgres postgres >/dev/null 2>&1
    callgrind_control -z "$VG_PID" >/dev/null 2>&1
    pgbench -n -S -t "$TX" -c 1 -M "$2" -h 127.0.0.1 -p "$proxy_port" -U postgres postgres >/dev/null 2>&1
    callgrind_control -d "$VG_PID" >/dev/null 2>&1
    sleep 1
    dump="$(ls -t "$WORK"/cg.* | head -1)"
    kill "$VG_PID" 2>/dev/null || true
    wait "$VG_PID" 2>/dev/null || true
    VG_PID=""
    sed -n 's/^summary: //p;s/^totals: //p' "$dump" | head -1 | awk -v n="$TX" '{ printf "%.0f", $1 / n }'
}

printf '%-9s %14s %14s %8s\n' mode "A instr/tx" "B instr/tx" "B/A"
for mode in $MODES; do
    a="$(measure "$A" "$mode")"
    if [ -n "$B" ]; then
        b="$(measure "$B" "$mode")"
        printf '%-9s %14s %14s %8s\n' "$mode" "$a" "$b" "$(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.3f", b / a }')"
    else
        printf '%-9s %14s\n' "$mode" "$a"
    fi
done
