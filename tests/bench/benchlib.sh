# Sourced by the benchmark scripts: a throwaway PostgreSQL cluster in a fresh temporary directory, and the
# address a server started in the background prints.
#   pgcluster_create NAME   sets WORK (/tmp/NAME.XXXXXX: data/, server.log, the Unix socket), PGBIN and AS (how
#                           to run the server's programs: initdb refuses root, so root runs them as postgres)
#   pgcluster_start OPTS    initdb, then starts the server with the server options OPTS (pg_ctl -o)
#   pgcluster_destroy       immediate stop and removal of WORK, for the caller's cleanup trap
#   listening_address OUT ERR WHAT SECONDS
#                           waits for the "listening on ADDRESS" line a server writes to the file OUT and
#                           prints ADDRESS; exits the script with the file ERR shown if none comes in time
# shellcheck shell=sh

pgcluster_create() {
    PGBIN="$(pg_config --bindir 2>/dev/null || true)"
    [ -x "$PGBIN/initdb" ] || PGBIN="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)"
    WORK="$(mktemp -d "/tmp/$1.XXXXXX")"
    chmod 755 "$WORK"
    if [ "$(id -u)" = 0 ]; then chown postgres:postgres "$WORK"; AS="runuser -u postgres --"; else AS=""; fi
}

pgcluster_start() {
    $AS "$PGBIN/initdb" -D "$WORK/data" -U postgres -A trust -E UTF8 --locale=C --no-sync --no-instructions >/dev/null
    $AS "$PGBIN/pg_ctl" -D "$WORK/data" -l "$WORK/server.log" -w -t 60 -o "$1" start >/dev/null
}

pgcluster_destroy() {
    $AS "$PGBIN/pg_ctl" -D "$WORK/data" -m immediate -w stop >/dev/null 2>&1 || true
    rm -rf "$WORK"
}

listening_address() {
    for _ in $(seq 1 $(($4 * 10))); do
        grep -q "^listening on " "$1" 2>/dev/null && break
        sleep 0.1
    done
    address="$(sed -n 's/^listening on //p' "$1" | head -1)"
    [ -n "$address" ] || { echo "$3 did not start:" >&2; cat "$2" >&2; exit 1; }
    echo "$address"
}
