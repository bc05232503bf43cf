"""Drives the HubSync proxy with psycopg2 (libpq, simple protocol with client-side parameters).

Usage: psycopg2_client.py DSN. Prints one line per failed check and exits 1 if any failed.
"""
import sys
import threading
import time

import psycopg2
import psycopg2.errors

failures = []


def check(condition, what):
    if not condition:
        failures.append(what)
        print("FAIL: " + what, flush=True)


dsn = sys.argv[1]
conn = psycopg2.connect(dsn)
conn.autocommit = True
cur = conn.cursor()

cur.execute("SELECT %s::int + 1, %s::text", (41, "it's"))
check(cur.fetchone() == (42, "it's"), "parameterised SELECT")

cur.execute("SELECT name FROM github.label WHERE id = %s", (1,))
before = cur.fetchone()

try:
    cur.execute("UPDATE github.label SET name = %s WHERE id = %s", ("changed", 1))
    check(False, "UPDATE github.label was not refused")
except psycopg2.Error as e:
    check(e.pgcode == "25006", "UPDATE github.label: SQLSTATE %s, expected 25006" % e.pgcode)
    check(e.diag.message_detail is not None, "refusal has a DETAIL")
    check(e.diag.message_hint is not None, "refusal has a HINT")
cur.execute("SELECT name FROM github.label WHERE id = %s", (1,))
check(cur.fetchone() == before, "github.label row unchanged after the refusal")

try:
    cur.execute("UPDATE github.issue SET title = 'x' WHERE id = 1")
    check(False, "UPDATE github.issue was not refused")
except psycopg2.Error as e:
    check(e.pgcode == "0A000", "UPDATE github.issue: SQLSTATE %s, expected 0A000" % e.pgcode)
    check("write-through" in e.diag.message_primary, "issue refusal names write-through")

# BEGIN ... ROLLBACK passes through (psycopg2 issues BEGIN itself outside autocommit).
conn.autocommit = False
cur.execute("INSERT INTO notes (body) VALUES ('psycopg2 rollback')")
conn.rollback()
conn.autocommit = True
cur.execute("SELECT count(*) FROM notes WHERE body = 'psycopg2 rollback'")
check(cur.fetchone()[0] == 0, "ROLLBACK undid the INSERT")

# A refused statement inside a transaction block aborts it, as any failed statement would.
conn.autocommit = False
cur.execute("SELECT 1")
try:
    cur.execute("DELETE FROM github.label")
except psycopg2.Error as e:
    check(e.pgcode == "25006", "DELETE in a transaction: SQLSTATE %s" % e.pgcode)
try:
    cur.execute("SELECT 1")
    check(False, "the transaction was not aborted by the refusal")
except psycopg2.Error as e:
    check(e.pgcode == "25P02", "after a refusal in a block: SQLSTATE %s, expected 25P02" % e.pgcode)
conn.rollback()
conn.autocommit = True

# Cancel: PQcancel opens a new connection to the proxy with the BackendKeyData the proxy handed out.
timer = threading.Timer(1.0, conn.cancel)
timer.start()
started = time.monotonic()
try:
    cur.execute("SELECT pg_sleep(30)")
    check(False, "pg_sleep(30) was not cancelled")
except psycopg2.Error as e:
    elapsed = time.monotonic() - started
    check(e.pgcode == "57014", "cancel: SQLSTATE %s, expected 57014" % e.pgcode)
    check(elapsed < 6, "cancel took %.1f s" % elapsed)
timer.join()
cur.execute("SELECT 'still usable'")
check(cur.fetchone()[0] == "still usable", "connection usable after the cancel")

conn.close()
print("psycopg2: %d failures" % len(failures))
sys.exit(1 if failures else 0)
