#!/bin/sh
# Proxy pass-through benchmark: pgbench -S (select only) TPS straight to PostgreSQL, through pgbouncer (the
# peer: Debian's package, session pooling, started here) and through the HubSync proxy, interleaved in one run
# at 1, 8 and 32 clients for -M simple and -M prepared, so that machine noise hits all of them alike
# (pgbouncer and the proxy take turns at going first in a row). Prints
# per row the ratios to direct and the verdict "proxy >= pgbouncer" (the goal; 0.85 of direct is the aim). Both paths use TCP on loopback from pgbench; the proxy reaches the server over
# its Unix socket, as the app does with its embedded cluster.
# Usage: tests/bench/bench_proxy.sh BUILD_DIR
# Environment: DURATION (s per run, default 10), CLIENTS (default "1 8 32"), MODES (default
# "simple prepared"), SCALE (pgbench scale, default 10), PERF=1 to profile the proxy with perf during the
# last proxy run and print its hottest symbols.
# Last, the write-through figures (WRITES statements per table, default 12; 0 skips them): bench_writethrough's
# overhead of a write through the proxy beyond the GitHub calls it needs, per written table (goal < 5 ms).
# Besides TPS it prints pgbouncer's and the proxy's own CPU time per transaction (user + system, from
# /proc), figures that other load on the machine disturbs much less than TPS.
# When bench_null_relay is built (Linux), each row also runs pgbench through it: a relay that only copies
# bytes, the floor of any proxy in the data path on this machine. relay/direct is what a second hop
# costs by itself; proxy/relay is what HubSync costs beyond it.
set -eu

BUILD="${1:?usage: bench_proxy.sh BUILD_DIR}"
SERVER="$BUILD/bin/bench_proxy_server"
[ -x "$SERVER" ] || SERVER="$BUILD/tests/bench/bench_proxy_server"
[ -x "$SERVER" ] || { echo "bench_proxy_server not built (cmake --build $BUILD --target bench_proxy_server)"; exit 1; }
DURATION="${DURATION:-10}"
CLIENTS="${CLIENTS:-1 8 32}"
MODES="${MODES:-simple prepared}"
SCALE="${SCALE:-10}"
CPUS="$(nproc 2>/dev/null || echo 2)"
SETSID="$(command -v setsid || echo env)"

# shellcheck source=tests/bench/benchlib.sh
. "$(dirname "$0")/benchlib.sh"
pgcluster_create hs-benchproxy
PROXY_PID=""
RELAY_PID=""
cleanup() {
    if [ -n "$PROXY_PID" ]; then kill "$PROXY_PID" 2>/dev/null || true; fi
    if [ -n "$RELAY_PID" ]; then kill "$RELAY_PID" 2>/dev/null || true; fi
    if [ -n "$PGB_PID" ]; then kill "$PGB_PID" 2>/dev/null || true; fi
    pgcluster_destroy
}
trap cleanup EXIT INT TERM

# A free loopback port for the server (its Unix socket in $WORK carries the same number).
PORT="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
pgcluster_start "-c listen_addresses=127.0.0.1 -k $WORK -p $PORT -c fsync=off -c synchronous_commit=off -c max_connections=200"
pgbench -i -q -s "$SCALE" -h "$WORK" -p "$PORT" -U postgres postgres >"$WORK/init.log" 2>&1 || {
    cat "$WORK/init.log"; exit 1; }

# Each server in a session of its own (setsid), as pgbouncer is (su starts one): Linux's autogroup
# scheduling shares the CPU between sessions first, and a proxy left in pgbench's session would share
# pgbench's slice (a third less TPS at 32 clients on 2 cores in a measurement of 2026-12-07).
"$SETSID" "$SERVER" "$WORK" "$PORT" 200 >"$WORK/proxy.out" 2>"$WORK/proxy.err" </dev/null &
PROXY_PID=$!
PROXY_PORT="$(listening_address "$WORK/proxy.out" "$WORK/proxy.err" proxy 10)"
# pgbouncer (skipped when it is not installed): session pooling, a pool as large as the client count, over
# the server's Unix socket like the proxy. It refuses to run as root, so root runs it as postgres.
PGB_PID=""
PGB_PORT=""
if command -v pgbouncer >/dev/null 2>&1; then
    PGB_PORT="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
    echo '"postgres" ""' >"$WORK/userlist.txt"
    cat >"$WORK/pgbouncer.ini" <<EOF
[databases]
postgres = host=$WORK port=$PORT dbname=postgres user=postgres
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $PGB_PORT
unix_socket_dir =
auth_type = trust
auth_file = $WORK/userlist.txt
pool_mode = session
max_client_conn = 300
default_pool_size = 200
logfile = $WORK/pgbouncer.log
ignore_startup_parameters = extra_float_digits
EOF
    chmod 644 "$WORK/pgbouncer.ini" "$WORK/userlist.txt"
    "$SETSID" $AS pgbouncer -q "$WORK/pgbouncer.ini" </dev/null &
    PGB_PID=$!
    for _ in $(seq 1 50); do
        pg_isready -q -h 127.0.0.1 -p "$PGB_PORT" 2>/dev/null && break
        sleep 0.1
    done
    # The pgbouncer process itself (runuser may stay in between), for its CPU time.
    PGB_CPU_PID="$(pgrep -n -f "pgbouncer -q $WORK/pgbouncer.ini" || echo "$PGB_PID")"
fi
RELAY="$BUILD/bin/bench_null_relay"
RELAY_PORT=""
if [ -x "$RELAY" ]; then
    "$SETSID" "$RELAY" "$WORK" "$PORT" >"$WORK/relay.out" 2>"$WORK/relay.err" </dev/null &
    RELAY_PID=$!
    RELAY_PORT="$(listening_address "$WORK/relay.out" "$WORK/relay.err" relay 10)"
fi

# One pgbench -S run against 127.0.0.1:$1 with $2 clients in mode $3: "TPS TRANSACTIONS" (TPS excluding
# connection set-up).
run() {
    threads=$2
    [ "$threads" -le "$CPUS" ] || threads=$CPUS
    pgbench -n -S -T "$DURATION" -c "$2" -j "$threads" -M "$3" -h 127.0.0.1 -p "$1" -U postgres postgres \
        >"$WORK/run.log" 2>&1 || { cat "$WORK/run.log" >&2; echo "0 0"; return; }
    echo "$(sed -n 's/^tps = \([0-9.]*\).*/\1/p' "$WORK/run.log" | head -1)" \
        "$(sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' "$WORK/run.log")"
}
# CPU time (user + system, clock ticks) the proxy process has used so far.
proxy_ticks() { awk '{ print $14 + $15 }' "/proc/${1:-$PROXY_PID}/stat"; }
# CPU microseconds per transaction from a tick difference and a transaction count.
us_per_tx() { awk -v t="$1" -v hz="$TICK" -v n="$2" 'BEGIN { if (n > 0) printf "%.1f", t * 1e6 / hz / n; else print "n/a" }'; }
TICK="$(getconf CLK_TCK)"

# Which scheduling group (autogroup: one per session) each process is in: pgbench runs in this script's.
if [ -r /proc/self/autogroup ]; then
    echo "autogroups: pgbench $(cut -d' ' -f1 /proc/self/autogroup), proxy $(cut -d' ' -f1 "/proc/$PROXY_PID/autogroup")" \
        "${PGB_PID:+pgbouncer $(cut -d' ' -f1 "/proc/$PGB_CPU_PID/autogroup")}" \
        "${RELAY_PID:+relay $(cut -d' ' -f1 "/proc/$RELAY_PID/autogroup")}"
fi
echo "pgbench -S, scale $SCALE, $DURATION s per run, $CPUS CPUs (load average at start: $(cut -d' ' -f1-3 /proc/loadavg))"
printf '%-9s %7s %11s %11s %9s %11s %9s  %-8s %9s %11s %10s %12s %11s\n' mode clients direct_tps pgb_tps pgb/dir \
    proxy_tps proxy/dir "vs pgb" "pgb us/tx" "proxy us/tx" relay_tps relay/direct proxy/relay
last_mode=""
last_clients=""
for mode in $MODES; do for c in $CLIENTS; do last_mode=$mode; last_clients=$c; done; done
# pgbouncer's row figures: pgb (TPS) and pgb_cpu.
measure_pgbouncer() {
    pgb=0
    pgb_cpu=n/a
    [ -n "$PGB_PORT" ] || return 0
    before=$(proxy_ticks "$PGB_CPU_PID")
    pgb_run=$(run "$PGB_PORT" "$1" "$2")
    pgb=${pgb_run% *}
    pgb_cpu=$(us_per_tx "$(($(proxy_ticks "$PGB_CPU_PID") - before))" "${pgb_run#* }")
}
# The proxy's: proxied (TPS) and cpu; profiled with perf in the last row when PERF=1.
measure_proxy() {
    before=$(proxy_ticks)
    if [ "${PERF:-0}" = 1 ] && [ "$2" = "$last_mode" ] && [ "$1" = "$last_clients" ]; then
        perf record -q -g -p "$PROXY_PID" -o "$WORK/perf.data" -- sleep "$DURATION" 2>/dev/null &
        PERF_PID=$!
        proxy_run=$(run "$PROXY_PORT" "$1" "$2")
        wait "$PERF_PID" || true
    else
        proxy_run=$(run "$PROXY_PORT" "$1" "$2")
    fi
    ticks=$(($(proxy_ticks) - before))
    proxied=${proxy_run% *}
    cpu=$(us_per_tx "$ticks" "${proxy_run#* }")
}
below=0
row=0
for mode in $MODES; do
    for c in $CLIENTS; do
        direct=$(run "$PORT" "$c" "$mode" | cut -d' ' -f1)
        # pgbouncer and the proxy take turns going first: the one that runs second finds the other's idle
        # server connections still open (and the server's caches as the other left them).
        row=$((row + 1))
        if [ $((row % 2)) = 1 ]; then
            measure_pgbouncer "$c" "$mode"
            measure_proxy "$c" "$mode"
        else
            measure_proxy "$c" "$mode"
            measure_pgbouncer "$c" "$mode"
        fi
        ratio=$(awk -v d="$direct" -v p="$proxied" 'BEGIN { if (d > 0) printf "%.3f", p / d; else print "n/a" }')
        relayed=0
        if [ -n "$RELAY_PORT" ]; then
            relay_run=$(run "$RELAY_PORT" "$c" "$mode")
            relayed=${relay_run% *}
        fi
        relay_ratio=$(awk -v d="$direct" -v p="$relayed" 'BEGIN { if (d > 0 && p > 0) printf "%.3f", p / d; else print "n/a" }')
        beyond=$(awk -v r="$relayed" -v p="$proxied" 'BEGIN { if (r > 0) printf "%.3f", p / r; else print "n/a" }')
        pgb_ratio=$(awk -v d="$direct" -v p="$pgb" 'BEGIN { if (d > 0 && p > 0) printf "%.3f", p / d; else print "n/a" }')
        verdict=$(awk -v p="$proxied" -v b="$pgb" 'BEGIN { print (b == 0) ? "no pgb" : (p >= b) ? "ok" : "below" }')
        [ "$verdict" != below ] || below=$((below + 1))
        printf '%-9s %7s %11.1f %11.1f %9s %11.1f %9s  %-8s %9s %11s %10.1f %12s %11s\n' "$mode" "$c" "$direct" "$pgb" \
            "$pgb_ratio" "$proxied" "$ratio" "$verdict" "$pgb_cpu" "$cpu" "$relayed" "$relay_ratio" "$beyond"
    done
done
echo "rows where the proxy is slower than pgbouncer: $below"
if [ -f "$WORK/perf.data" ]; then
    echo "--- proxy CPU by binary (perf, $last_mode, $last_clients clients, self time) ---"
    perf report -i "$WORK/perf.data" --stdio --no-children --sort dso 2>/dev/null | grep -E '^ +[0-9.]+%' | head -8
    echo "--- proxy hot spots ---"
    perf report -i "$WORK/perf.data" --stdio --no-children --percent-limit 0.7 --sort dso,symbol -g none 2>/dev/null |
        grep -E '^ +[0-9.]+%' | sed 's/  *- *- *$//' | head -30
fi
WT="$BUILD/tests/bench/bench_writethrough"
if [ "${WRITES:-12}" != 0 ] && [ -x "$WT" ]; then
    echo "--- write-through ---"
    HUBSYNC_BIN_DIR="$BUILD/bin" "$WT" "${WRITES:-12}" 2>/dev/null | grep -v "^20[0-9][0-9]-"
fi
