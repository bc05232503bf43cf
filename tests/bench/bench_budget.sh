#!/bin/sh
# Budget benchmark: how much of GitHub's rate budget a backfill spends, per pool. Backfills a generated
# dataset from the GitHub simulator twice into fresh databases, once as HubSync runs by default (REST lists,
# GraphQL for reactions and discussions) and once with --rest-only (the peer: a request per reacted subject),
# and prints for each run the REST requests and GraphQL points spent (read from GET /rate_limit before and
# after), units per 100 records stored, and the budget-hours a million such records need at 5,000 + 5,000
# and at 12,500 + 12,500 units per hour (the slower pool decides), with records/s and peak RSS.
# Usage: [MODES="graphql rest-only"] tests/bench/bench_budget.sh BUILD_DIR [DATASET ...]
#        (default datasets: medium large; MODES picks the runs, both by default)
# The budget does not depend on the transport: the simulator serves plain HTTP here.
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

run() { # dataset mode(graphql|rest-only)
    DB="budget_$(echo "$1_$2" | tr -c 'a-z0-9\n' '_')"
    psql "$ADMIN" -qc "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB"
    DSN="host=$WORK port=5432 user=postgres dbname=$DB"
    EXTRA=""
    [ "$2" = rest-only ] && EXTRA="--rest-only"
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
    psql "$ADMIN" -qc "DROP DATABASE $DB"
}

for DATASET in "$@"; do
    "$BIN/githubsim" --listen 127.0.0.1:0 --token "$TOKEN" --dataset "$DATASET" --rate-limit 1000000000 \
        --graphql-rate-limit 1000000000 > "$WORK/sim.out" 2> "$WORK/sim.err" &
    SIM_PID=$!
    URL="$(listening_address "$WORK/sim.out" "$WORK/sim.err" simulator 120)"
    for MODE in ${MODES:-graphql rest-only}; do
        run "$DATASET" "$MODE"
    done
    kill "$SIM_PID"
    wait "$SIM_PID" 2>/dev/null || true
    SIM_PID=""
done
