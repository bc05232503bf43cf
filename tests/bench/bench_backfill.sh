#!/bin/sh
# Backfill benchmark: HubSync pulls a generated dataset from the GitHub simulator (zero latency, loopback)
# into a throwaway PostgreSQL cluster and prints records/s, API requests (total per 100 records stored;
# REST list-endpoint requests per 100 list items), peak RSS, and the CPU time hubsync and the database
# server used (with the load average: on a shared machine records/s alone says little).
# Usage: [TRANSPORT=https|http] tests/bench/bench_backfill.sh BUILD_DIR [SIMULATOR DATASET ARGS...]
# Default dataset: about 1,000,000 records (the simulator's "large" dataset).
# TRANSPORT (default https): GitHub's API is HTTPS only, so by default the simulator serves TLS with a
# throwaway certificate that hubsync trusts through --github-ca-file. TRANSPORT=http measures the plain
# HTTP path the sandbox uses (Qt 6.4 reads plain-HTTP response headers one byte per system call).
set -eu

BUILD="${1:?usage: bench_backfill.sh BUILD_DIR [githubsim dataset args]}"
shift
BIN="$BUILD/bin"
[ $# -gt 0 ] || set -- --dataset large
# The benchmark measures HubSync, not waiting for an hourly quota: give the simulator a huge budget.
set -- "$@" --rate-limit 1000000000
TOKEN="ghp_benchmark_$(date +%s)"

# shellcheck source=tests/bench/benchlib.sh
. "$(dirname "$0")/benchlib.sh"
pgcluster_create hs-bench
SIM_PID=""
cleanup() {
    [ -n "$SIM_PID" ] && kill "$SIM_PID" 2>/dev/null || true
    [ -n "${KEEP_BENCH_LOG:-}" ] && cp "$WORK/hubsync.log" /tmp/bench-hubsync.log
    pgcluster_destroy
}
trap cleanup EXIT INT TERM
# Default durability settings except fsync, as a desktop machine's embedded cluster would run.
pgcluster_start "-c listen_addresses='' -k $WORK -p 5432"
DSN="host=$WORK port=5432 user=postgres dbname=postgres"

TRANSPORT="${TRANSPORT:-https}"
SIM_TLS=""
HS_TLS=""
case "$TRANSPORT" in
https)
    openssl req -x509 -newkey rsa:2048 -nodes -keyout "$WORK/sim.key" -out "$WORK/sim.crt" -days 1 \
        -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 2>/dev/null
    SIM_TLS="--tls-cert $WORK/sim.crt --tls-key $WORK/sim.key"
    HS_TLS="--github-ca-file $WORK/sim.crt" ;;
http) ;;
*) echo "TRANSPORT must be https or http" >&2; exit 2 ;;
esac

# shellcheck disable=SC2086 # SIM_TLS and HS_TLS are option lists
"$BIN/githubsim" --listen 127.0.0.1:0 --token "$TOKEN" $SIM_TLS "$@" > "$WORK/sim.out" 2> "$WORK/sim.err" &
SIM_PID=$!
URL="$(listening_address "$WORK/sim.out" "$WORK/sim.err" simulator 60)"

PG_PID=$(head -1 "$WORK/data/postmaster.pid")
# CPU ticks of the server and all its backends so far (backends that exit are counted by their parent).
pg_ticks() { awk '{ s += $14 + $15 + $16 + $17 } END { print s }' /proc/"$PG_PID"/stat $(pgrep -P "$PG_PID" | sed 's|.*|/proc/&/stat|') 2>/dev/null; }
PG_START=$(pg_ticks)
START=$(date +%s.%N)
# --points-per-minute 0,0: the CPU path, not the pacing below GitHub's secondary limits (900 REST a minute).
GITHUB_TOKEN="$TOKEN" /usr/bin/time -f "%M %U %S" -o "$WORK/rss" \
    "$BIN/hubsync" --service --backfill-only --database "$DSN" --github-api-url "$URL" $HS_TLS \
    --points-per-minute 0,0 > "$WORK/hubsync.log" 2>&1 || {
    echo "backfill failed:"; tail -20 "$WORK/hubsync.log"; exit 1; }
END=$(date +%s.%N)
PG_END=$(pg_ticks)
LOAD=$(cut -d' ' -f1-3 /proc/loadavg)

RECORDS=$(psql "$DSN" -Atc "SELECT sum(n) FROM (
  SELECT count(*) n FROM github.repository UNION ALL SELECT count(*) FROM github.issue UNION ALL
  SELECT count(*) FROM github.pull_request UNION ALL SELECT count(*) FROM github.comment UNION ALL
  SELECT count(*) FROM github.commit UNION ALL SELECT count(*) FROM github.release UNION ALL
  SELECT count(*) FROM github.label UNION ALL SELECT count(*) FROM github.ref UNION ALL
  SELECT count(*) FROM github.reaction UNION ALL SELECT count(*) FROM github.discussion UNION ALL
  SELECT count(*) FROM github.discussion_comment) c")
USERS=$(psql "$DSN" -Atc 'SELECT count(*) FROM github."user"')
# Items the REST list endpoints answered: the repository list plus every walk of a per-repository list
# (the issue list's pull requests included). Reactions and discussions (GraphQL) are not list items.
LISTITEMS=$(psql "$DSN" -Atc "SELECT (SELECT count(*) FROM github.repository) + coalesce(sum(fetched), 0)
  FROM hubsync.sync_cursor WHERE collection IN ('label', 'ref', 'issue', 'pull_request', 'comment', 'commit', 'release')")
curl -s ${HS_TLS:+--cacert "$WORK/sim.crt"} "$URL/_sim/counters" > "$WORK/counters.json"
read -r RSS_KB HS_USER HS_SYS < "$WORK/rss"
PG_SECS=$(echo "$PG_START $PG_END $(getconf CLK_TCK)" | awk '{ printf "%.1f", ($2 - $1) / $3 }')

python3 - "$START" "$END" "$RECORDS" "$USERS" "$LISTITEMS" "$RSS_KB" "$WORK/counters.json" "$HS_USER" "$HS_SYS" \
    "$PG_SECS" "$LOAD" "$URL" <<'PY'
import json, re, sys
start, end, records, users, listitems, rss, counters, hs_user, hs_sys, pg_secs, load, url = sys.argv[1:]
secs = float(end) - float(start)
records, users, listitems, rss = int(records), int(users), int(listitems), int(rss)
with open(counters) as f:
    by = json.load(f).get("requests_by_endpoint", {})
# The simulator counts requests by route pattern, e.g. "GET /repos/{owner}/{repo}/issues".
LIST = re.compile(r"^GET (/user/repos|/installation/repositories|/orgs/\{[^}]+\}/repos|"
                  r"/repos/\{owner\}/\{repo\}/(labels|git/refs|issues|pulls|issues/comments|commits|releases))$")
total = sum(by.values())
lists = sum(n for k, n in by.items() if LIST.match(k))
reactions = sum(n for k, n in by.items() if k.endswith("/reactions"))
graphql = by.get("POST /graphql", 0)
other = total - lists - reactions - graphql
print(f"backfill over {url.split(':')[0].upper()}: {records} records (+{users} users from embedded objects) in {secs:.1f} s")
print(f"records/s: {records / secs:.0f}")
print(f"API requests, all endpoints: {total} ({lists} REST list, {reactions} reactions, {graphql} GraphQL, "
      f"{other} other)")
print(f"  total requests per 100 records stored: {100 * total / max(records, 1):.3f}")
print(f"REST list endpoints: {lists} requests for {listitems} list items")
print(f"  list-endpoint requests per 100 list items: {100 * lists / max(listitems, 1):.3f} (goal <= 1.01)")
print(f"peak RSS of hubsync: {rss / 1024:.0f} MB (goal < 200 MB)")
hs_cpu = float(hs_user) + float(hs_sys)
print(f"CPU: hubsync {hs_cpu:.1f} s ({100 * hs_cpu / secs:.0f}% of one core), PostgreSQL {float(pg_secs):.1f} s "
      f"({100 * float(pg_secs) / secs:.0f}%); load average at the end {load}")
PY
