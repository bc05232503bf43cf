"""Drives the HubSync proxy with psycopg 3: server-side binding (extended protocol), named prepared
statements, pipeline mode, binary results, COPY and cancel.

Usage: psycopg3_client.py DSN. Prints one line per failed check and exits 1 if any failed.
"""
import sys
import threading
import time

import psycopg
from psycopg import errors

failures = []


def check(condition, what):
    if not condition:
        failures.append(what)
        print("FAIL: " + what, flush=True)


dsn = sys.argv[1]
with psycopg.connect(dsn, autocommit=True) as conn:
    cur = conn.cursor()

    # Server-side binding: Parse/Bind/Execute with the unnamed statement.
    cur.execute("SELECT %s::int + 1, %s::text", (41, "b\u00e9"))
    check(cur.fetchone() == (42, "b\u00e9"), "server-side bound SELECT")

    # Named prepared statements: prepare=True prepares at once, then Bind/Execute only.
    for i in range(8):
        cur.execute("SELECT %s::int * 2", (i,), prepare=True)
        check(cur.fetchone()[0] == i * 2, "prepared statement run %d" % i)

    # Binary results.
    cur2 = conn.cursor(binary=True)
    cur2.execute("SELECT %s::bigint, 'x'::bytea", (1 << 40,))
    check(cur2.fetchone() == (1 << 40, b"x"), "binary results")

    # A refused Parse: UPDATE on a read-only synced table, extended protocol.
    cur.execute("SELECT name FROM github.label WHERE id = 1")
    before = cur.fetchone()
    try:
        cur.execute("UPDATE github.label SET name = %s WHERE id = %s", ("changed", 1))
        check(False, "extended UPDATE github.label was not refused")
    except psycopg.Error as e:
        check(e.sqlstate == "25006", "extended UPDATE: SQLSTATE %s, expected 25006" % e.sqlstate)
        check(e.diag.message_hint is not None, "extended refusal has a HINT")
    cur.execute("SELECT name FROM github.label WHERE id = 1")
    check(cur.fetchone() == before, "row unchanged after the extended refusal")

    try:
        cur.execute("INSERT INTO github.issue (id, title) VALUES (%s, %s) ON CONFLICT (id) DO UPDATE SET title = 'y'",
                    (1, "x"))
        check(False, "upsert on github.issue was not refused")
    except psycopg.Error as e:
        check(e.sqlstate == "0A000", "upsert: SQLSTATE %s, expected 0A000" % e.sqlstate)
        check("ON CONFLICT" in str(e), "upsert refusal says why")

    # Pipeline mode: several statements before one Sync.
    with conn.pipeline():
        results = [conn.execute("SELECT %s::int", (i,)) for i in range(5)]
        conn.execute("INSERT INTO notes (body) VALUES (%s)", ("pipelined",))
    check([r.fetchone()[0] for r in results] == list(range(5)), "pipeline results in order")
    check(conn.execute("SELECT count(*) FROM notes WHERE body = 'pipelined'").fetchone()[0] == 1,
          "pipelined INSERT applied")

    # A refusal inside a pipeline: the proxy skips to Sync like the server, the rest of the pipeline fails.
    refused = None
    try:
        with conn.pipeline() as p:
            conn.execute("SELECT 1")
            conn.execute("UPDATE github.label SET name = %s", ("piped",))
            conn.execute("SELECT 2")
            p.sync()
    except psycopg.Error as e:
        refused = e
    check(refused is not None and refused.sqlstate == "25006",
          "pipelined refusal: %s" % (refused.sqlstate if refused else "no error"))
    check(conn.execute("SELECT 3").fetchone()[0] == 3, "connection usable after a pipelined refusal")

    # COPY TO STDOUT through the proxy.
    with cur.copy("COPY (SELECT g FROM generate_series(1, 1000) g) TO STDOUT") as copy:
        rows = sum(1 for _ in copy.rows())
    check(rows == 1000, "COPY TO STDOUT rows: %d" % rows)

    # COPY FROM STDIN into the user's own table passes through.
    with cur.copy("COPY notes (body) FROM STDIN") as copy:
        for i in range(100):
            copy.write_row(("psycopg copied %d" % i,))
    check(conn.execute("SELECT count(*) FROM notes WHERE body LIKE 'psycopg copied %'").fetchone()[0] == 100,
          "COPY FROM STDIN into notes")

    # Transactions.
    conn.autocommit = False
    conn.execute("INSERT INTO notes (body) VALUES ('psycopg rollback')")
    conn.rollback()
    conn.autocommit = True
    check(conn.execute("SELECT count(*) FROM notes WHERE body = 'psycopg rollback'").fetchone()[0] == 0,
          "ROLLBACK undid the INSERT")

    # Cancel.
    timer = threading.Timer(1.0, conn.cancel)
    timer.start()
    started = time.monotonic()
    try:
        conn.execute("SELECT pg_sleep(30)")
        check(False, "pg_sleep(30) was not cancelled")
    except errors.QueryCanceled as e:
        check(e.sqlstate == "57014", "cancel SQLSTATE %s" % e.sqlstate)
        check(time.monotonic() - started < 6, "cancel took too long")
    except psycopg.Error as e:
        check(False, "cancel: unexpected %s %s" % (e.sqlstate, e))
    timer.join()
    check(conn.execute("SELECT 'ok'").fetchone()[0] == "ok", "connection usable after the cancel")

print("psycopg: %d failures" % len(failures))
sys.exit(1 if failures else 0)
