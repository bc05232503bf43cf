#!/bin/sh
# Budget benchmark: how much of GitHub's rate budget a backfill spends, per pool. Backfills a generated
# dataset from the GitHub simulator twice into fresh databases, once as HubSync runs by default (REST lists,
# GraphQL for reactions and discussions) and once with --rest-only (the peer: a request per reacted subject),
# and prints for each run the REST requests and GraphQL points spent (read from GET /rate_limit before and
# after), units per 100 records stored, and the budget-hours a million such records need at 5,000 + 5,000
# and at 12,500 + 12,500 units per hour (the slower pool decides), with records/s and peak RSS.
# Usage: [MODES="graphql rest-only"|none] [LIMITED=30/10|off] tests/bench/bench_budget.sh BUILD_DIR [DATASET ...]
#        (default datasets: medium large; MODES picks the runs, both by default)
# The budget does not depend on the transport: the simulator serves plain HTTP here.
# Last, a run on a tight budget (LIMITED=UNITS/SECONDS: 30 REST + 30 GraphQL units per 10 s window by default; LIMITED=off skips it, dataset
# `medium`) that has to wait for several resets, and must end with the same rows as the unlimited run.
set -eu

BUILD="${1:?usage: bench_budget.sh BUILD_DIR [dataset ...]}"
shift
BIN="$BUILD/bin"
[ $# -gt 0 ] || set -- medium large
TOKEN="ghp_budget_$(date +%s)"

# shellcheck source=tests/bench/benchlib.sh
. "$(dirname "$0")/benchlib.sh"
pgcluster_create hs-budget
SIM_PID=""
cleanup() {
    [ -n "$SIM_PID" ] && kill "$SIM_PID" 2>/dev/null || true
    pgcluster_destroy
}
trap cleanup EXIT INT TERM
pgcluster_start "-c listen_addresses='' -k $WORK -p 5432 -c fsync=off"
ADMIN="host=$WORK port=5432 user=postgres dbname=postgres"

# Spent units of one pool ("core" or "graphql") by the benchmark's token.
spent() { curl -s -H "Authorization: Bearer $TOKEN" "$URL/rate_limit" |
    python3 -c "import json,sys; print(json.load(sys.stdin)['resources']['$1']['used'])"; }

run() { # dataset mode(graphql|rest-only) [keep]
    DB="budget_$(echo "$1_$2" | tr -c 'a-z0-9\n' '_')"
    psql "$ADMIN" -qc "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB"
    DSN="host=$WORK port=5432 user=postgres dbname=$DB"
    # Pacing below GitHub's points per minute (900 REST requests a minute by default) would bound records/s
    # by the pacing, not by HubSync's CPU path; the units spent are the same either way.
    EXTRA="--points-per-minute 0,0"
    [ "$2" = rest-only ] && EXTRA="$EXTRA --rest-only"
    CORE0=$(spent core)
    GQL0=$(spent graphql)
    START=$(date +%s.%N)
    # shellcheck disable=SC2086 # EXTRA is an option list
    GITHUB_TOKEN="$TOKEN" /usr/bin/time -f "%M" -o "$WORK/rss" \
        "$BIN/hubsync" --service --backfill-only --database "$DSN" --github-api-url "$URL" $EXTRA \
        > "$WORK/hubsync.log" 2>&1 || { echo "backfill failed:"; tail -20 "$WORK/hubsync.log"; exit 1; }
    END=$(date +%s.%N)
    CORE=$(($(spent core) - CORE0))
    GQL=$(($(spent graphql) - GQL0))
    RECORDS=$(psql "$DSN" -Atc "SELECT sum(n) FROM (
      SELECT count(*) n FROM github.repository UNION ALL SELECT count(*) FROM github.issue UNION ALL
      SELECT count(*) FROM github.pull_request UNION ALL SELECT count(*) FROM github.comment UNION ALL
      SELECT count(*) FROM github.commit UNION ALL SELECT count(*) FROM github.release UNION ALL
      SELECT count(*) FROM github.label UNION ALL SELECT count(*) FROM github.ref UNION ALL
      SELECT count(*) FROM github.reaction UNION ALL SELECT count(*) FROM github.discussion UNION ALL
      SELECT count(*) FROM github.discussion_comment) c")
    python3 - "$1" "$2" "$RECORDS" "$CORE" "$GQL" "$START" "$END" "$(cat "$WORK/rss")" <<'PY'
import sys
dataset, mode, records, core, gql, start, end, rss = sys.argv[1:]
records, core, gql, rss = int(records), int(core), int(gql), int(rss)
secs = float(end) - float(start)
per100 = lambda n: 100 * n / max(records, 1)
hours = lambda limit: max(core, gql) / limit * 1_000_000 / max(records, 1)
print(f"{dataset:7} {mode:9} {records:>9} records  REST {core:>6} ({per100(core):.3f}/100)  GraphQL {gql:>5} "
      f"({per100(gql):.3f}/100)  both {per100(core + gql):.3f}/100  hours/1M: {hours(5000):.2f} at 5k+5k, "
      f"{hours(12500):.2f} at 12.5k+12.5k  {records / secs:,.0f} records/s  RSS {rss // 1024} MB")
PY
    # Nothing lost: every table holds exactly what the simulator has (GET /_sim/health?counts=true).
    curl -s "$URL/_sim/health?counts=true" | python3 -c "
import json, subprocess, sys
counts = json.load(sys.stdin)['counts']
lost = []
for table, n in sorted(counts.items()):
    stored = int(subprocess.check_output(['psql', sys.argv[1], '-Atc', f'SELECT count(*) FROM github.{table}']))
    if stored != n:
        lost.append(f'{table} {stored} of {n}')
print('    rows equal to the simulator in all %d collections' % len(counts) if not lost else
      '    ROWS DIFFER from the simulator: ' + ', '.join(lost))
sys.exit(1 if lost else 0)" "$DSN" || exit 1
    [ "${3:-}" = keep ] || psql "$ADMIN" -qc "DROP DATABASE $DB"
}

# A fingerprint of every synced table: row count and an md5 of the rows without _synced_at and without the
# simulator's address (each run has its own simulator, on its own port, and GitHub's URLs name it).
fingerprint() {
    psql "host=$WORK port=5432 user=postgres dbname=$1" -Atc "SELECT string_agg(t || ':' || n, ' ' ORDER BY t) FROM (
      SELECT c.relname t, (xpath('/row/n/text()', query_to_xml(format(
        'SELECT count(*) || '':'' || coalesce(md5(string_agg(r, ''|'' ORDER BY r)), '''') AS n FROM github.%I x,
         LATERAL (SELECT regexp_replace((to_jsonb(x) - ''_synced_at'')::text, ''http://127\.0\.0\.1:[0-9]+'', '''',
         ''g'') AS r) j', c.relname), false, true, '')))[1]::text n
      FROM pg_class c JOIN pg_namespace s ON s.oid = c.relnamespace WHERE s.nspname = 'github' AND c.relkind = 'r') f"
}

start_sim() { # dataset [simulator options]
    DATASET_ARG="$1"
    shift
    "$BIN/githubsim" --listen 127.0.0.1:0 --token "$TOKEN" --dataset "$DATASET_ARG" "$@" \
        > "$WORK/sim.out" 2> "$WORK/sim.err" &
    SIM_PID=$!
    URL="$(listening_address "$WORK/sim.out" "$WORK/sim.err" simulator 120)"
}
stop_sim() {
    kill "$SIM_PID"
    wait "$SIM_PID" 2>/dev/null || true
    SIM_PID=""
}

for DATASET in "$@"; do
    start_sim "$DATASET" --rate-limit 1000000000 --graphql-rate-limit 1000000000
    for MODE in ${MODES:-graphql rest-only}; do
        [ "$MODE" = none ] || run "$DATASET" "$MODE"
    done
    stop_sim
done

[ "${LIMITED:-30/10}" = off ] && exit 0
LIMITED="${LIMITED:-30/10}"
UNITS="${LIMITED%/*}"
WINDOW="${LIMITED#*/}"
start_sim medium --rate-limit 1000000000 --graphql-rate-limit 1000000000
run medium graphql keep
stop_sim
psql "$ADMIN" -qc "ALTER DATABASE budget_medium_graphql RENAME TO budget_unlimited"
start_sim medium --rate-limit "$UNITS" --graphql-rate-limit "$UNITS" --rate-window-seconds "$WINDOW"
echo "tight budget: $UNITS REST + $UNITS GraphQL units per $WINDOW s (the spent figures below are the last window's)"
run medium graphql keep
stop_sim
fingerprint budget_unlimited | tr ' ' '\n' > "$WORK/unlimited.txt"
fingerprint budget_medium_graphql | tr ' ' '\n' > "$WORK/limited.txt"
if cmp -s "$WORK/unlimited.txt" "$WORK/limited.txt"; then
    echo "tight budget: every table equal to the unlimited run's (it waited for the window's resets: see records/s)"
else
    echo "tight budget: tables that differ from the unlimited run's (count:md5):" >&2
    diff "$WORK/unlimited.txt" "$WORK/limited.txt" >&2 || true
    [ -n "${KEEP_BENCH_LOG:-}" ] && cp "$WORK/hubsync.log" /tmp/bench-budget-hubsync.log
    exit 1
fi
