#!/bin/sh
# Drives the HubSync proxy's write-through with psql (libpq, simple protocol; values are interpolated by
# psql from variables, psql 15 has no \bind). psql's pass-through checks live in tst_proxy.cpp itself.
#
# Usage: psql_client.sh writethrough DSN ISSUE_ID REPO_ID
#   ISSUE_ID: an open issue in schema github; REPO_ID: its repository's id.
# Prints `FAIL: ...` per failed check and `OK psql` when all passed; exits 1 on any failure.
set -u

if [ $# -ne 4 ] || [ "$1" != writethrough ]; then
    echo "usage: $0 writethrough DSN ISSUE_ID REPO_ID" >&2
    exit 2
fi
DSN=$2
ISSUE=$3
REPO=$4
case "$ISSUE$REPO" in
*[!0-9]*)
    echo "ISSUE_ID and REPO_ID must be numbers" >&2
    exit 2
    ;;
esac

failures=0
fail() {
    echo "FAIL: $*"
    failures=$((failures + 1))
}

# Runs the SQL on standard input in one session (variables are interpolated there, not in -c).
# Rows as a|b on stdout, command tags too (UPDATE 1); errors and notices on stderr, with the SQLSTATE.
sql() {
    psql -X -A -t -v ON_ERROR_STOP=1 -v VERBOSITY=verbose -v issue="$ISSUE" -v repo="$REPO" -d "$DSN" -f - "$@"
}

ERR=$(mktemp)
trap 'rm -f "$ERR"' EXIT

# a) the issue is there.
rows=$(echo "SELECT title FROM github.issue WHERE id = :issue;" | sql 2>"$ERR") || fail "SELECT: $(cat "$ERR")"
[ "$(printf '%s\n' "$rows" | grep -c .)" -eq 1 ] || fail "SELECT of issue $ISSUE: rows '$rows'"

title_and_state() {
    echo "SELECT title || '|' || state FROM github.issue WHERE id = :issue;" | sql 2>>"$ERR"
}

# b) an UPDATE GitHub accepts.
out=$(sql -v title="psql accepted" 2>"$ERR" <<'EOF'
UPDATE github.issue SET title = :'title' WHERE id = :issue;
EOF
) || fail "accepted UPDATE: $(cat "$ERR")"
[ "$out" = "UPDATE 1" ] || fail "accepted UPDATE: '$out', expected UPDATE 1"
before=$(title_and_state)
case "$before" in
"psql accepted|"*) ;;
*) fail "title after the accepted UPDATE: '$before'" ;;
esac

# c) an UPDATE GitHub rejects (422 -> 23514) leaves the row as it was.
if echo "UPDATE github.issue SET state = 'bogus' WHERE id = :issue;" | sql >/dev/null 2>"$ERR"; then
    fail "rejected UPDATE: no error"
fi
grep -q 'ERROR:  23514: .' "$ERR" || fail "rejected UPDATE: no ERROR 23514 with a message: $(cat "$ERR")"
grep -q '^DETAIL:  .*422' "$ERR" || fail "rejection DETAIL does not name 422: $(cat "$ERR")"
grep -q '^HINT:  .' "$ERR" || fail "rejection has no HINT: $(cat "$ERR")"
after=$(title_and_state)
[ "$after" = "$before" ] || fail "row changed by the rejected UPDATE: '$after', was '$before'"

# d) INSERT ... RETURNING gets GitHub's id and number (placeholders would be negative).
out=$(sql -v title="psql new" 2>"$ERR" <<'EOF'
INSERT INTO github.issue (repository_id, title, body) VALUES (:repo, :'title', 'body') RETURNING id, number;
EOF
) || fail "INSERT: $(cat "$ERR")"
created=$(printf '%s\n' "$out" | head -1) # id|number
new_id=${created%%|*}
new_number=${created#"$new_id"|}
case "$created" in
[0-9]*"|"[0-9]*) valid=yes ;;
*) valid=no ;;
esac
case "$new_id$new_number" in
*[!0-9]*) valid=no ;;
esac
if [ "$valid" = no ]; then
    fail "INSERT RETURNING id, number: '$out'"
    new_id=
elif [ "$new_id" -le 0 ] || [ "$new_number" -le 0 ]; then
    fail "INSERT RETURNING id $new_id, number $new_number"
fi
printf '%s\n' "$out" | grep -qx 'INSERT 0 1' || fail "INSERT: '$out', expected INSERT 0 1"

# e) DELETE of the new issue.
if [ -n "$new_id" ]; then
    out=$(echo "DELETE FROM github.issue WHERE id = $new_id;" | sql 2>"$ERR") || fail "DELETE: $(cat "$ERR")"
    [ "$out" = "DELETE 1" ] || fail "DELETE: '$out', expected DELETE 1"
    left=$(echo "SELECT count(*) FROM github.issue WHERE id = $new_id;" | sql 2>"$ERR")
    [ "$left" = 0 ] || fail "deleted issue still there: count '$left'"
fi

# f) inside BEGIN ... ROLLBACK the GitHub change escapes the rollback, and a NOTICE says so. \warn marks
# where the UPDATE starts and ends on stderr, where psql also prints notices as they arrive.
sql -v body="psql rolled back" >/dev/null 2>"$ERR" <<'EOF' || fail "BEGIN/UPDATE/ROLLBACK: $(cat "$ERR")"
BEGIN;
\warn update-starts
UPDATE github.issue SET body = :'body' WHERE id = :issue;
\warn update-done
ROLLBACK;
EOF
sed -n '/^update-starts$/,/^update-done$/p' "$ERR" | grep 'NOTICE:' | grep -qi github ||
    fail "no NOTICE about GitHub during the UPDATE in a block: $(cat "$ERR")"

# g) cancel: SIGINT makes psql send a CancelRequest with the BackendKeyData the proxy handed out.
started=$(date +%s)
timeout -s INT -k 10 1 psql -X -v VERBOSITY=verbose -d "$DSN" -c "SELECT pg_sleep(30)" >/dev/null 2>"$ERR"
elapsed=$(($(date +%s) - started))
grep -q 'ERROR:  57014:' "$ERR" || fail "cancel: no 57014: $(cat "$ERR")"
[ "$elapsed" -lt 6 ] || fail "cancel took $elapsed s"

if [ "$failures" -gt 0 ]; then
    echo "psql: $failures failures"
    exit 1
fi
echo "OK psql"
