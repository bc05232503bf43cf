"""Drives the HubSync proxy with psycopg 3: server-side binding (extended protocol), named prepared
statements, pipeline mode, binary results, COPY and cancel.

Usage: psycopg3_client.py DSN | writethrough DSN ISSUE_ID REPO_ID (see clientcheck.py).
"""
import psycopg

import clientcheck


def connect(dsn):
    return psycopg.connect(dsn, autocommit=True)


def watch_notices(conn):
    notices = []
    conn.add_notice_handler(lambda diag: notices.append(diag.message_primary or ""))
    return notices


driver = clientcheck.Driver("psycopg", psycopg.Error, lambda e: e.sqlstate, connect, watch_notices)


def pass_through(checks, dsn):
    check = checks.check
    with connect(dsn) as conn:
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
        clientcheck.check_label_refusal(checks, driver, cur)

        e = clientcheck.expect_error(
            checks, driver, "0A000", "upsert on github.issue",
            lambda: cur.execute(
                "INSERT INTO github.issue (id, title) VALUES (%s, %s) ON CONFLICT (id) DO UPDATE SET title = 'y'",
                (1, "x")))
        if e is not None:
            check("ON CONFLICT" in str(e), "upsert refusal says why")

        # Pipeline mode: several statements before one Sync.
        with conn.pipeline():
            results = [conn.execute("SELECT %s::int", (i,)) for i in range(5)]
            conn.execute("INSERT INTO notes (body) VALUES (%s)", ("pipelined",))
        check([r.fetchone()[0] for r in results] == list(range(5)), "pipeline results in order")
        check(conn.execute("SELECT count(*) FROM notes WHERE body = 'pipelined'").fetchone()[0] == 1,
              "pipelined INSERT applied")

        # A refusal inside a pipeline: the proxy skips to Sync like the server, the rest of the pipeline fails.
        def refused_pipeline():
            with conn.pipeline() as p:
                conn.execute("SELECT 1")
                conn.execute("UPDATE github.repository SET name = %s", ("piped",))
                conn.execute("SELECT 2")
                p.sync()

        clientcheck.expect_error(checks, driver, "25006", "pipelined refusal", refused_pipeline)
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

        clientcheck.check_rollback(checks, conn)
        clientcheck.check_cancel(checks, driver, conn)


clientcheck.main(driver, pass_through)
