"""Drives the HubSync proxy with psycopg2 (libpq, simple protocol with client-side parameters).

Usage: psycopg2_client.py DSN | writethrough DSN ISSUE_ID REPO_ID (see clientcheck.py).
"""
import psycopg2
import psycopg2.errors

import clientcheck


def connect(dsn):
    conn = psycopg2.connect(dsn)
    conn.autocommit = True
    return conn


def watch_notices(conn):
    # libpq's notices, as "NOTICE:  text\n" strings, kept by psycopg2 in conn.notices.
    del conn.notices[:]
    return conn.notices


driver = clientcheck.Driver("psycopg2", psycopg2.Error, lambda e: e.pgcode, connect, watch_notices)


def pass_through(checks, dsn):
    check = checks.check
    conn = connect(dsn)
    cur = conn.cursor()

    cur.execute("SELECT %s::int + 1, %s::text", (41, "it's"))
    check(cur.fetchone() == (42, "it's"), "parameterised SELECT")

    clientcheck.check_label_refusal(checks, driver, cur)
    e = clientcheck.expect_error(checks, driver, "0A000", "UPDATE github.issue",
                                 lambda: cur.execute("UPDATE github.issue SET title = 'x' WHERE id = 1"))
    if e is not None:
        check("write-through" in e.diag.message_primary, "issue refusal names write-through")

    clientcheck.check_rollback(checks, conn)

    # A refused statement inside a transaction block aborts it, as any failed statement would.
    conn.autocommit = False
    cur.execute("SELECT 1")
    clientcheck.expect_error(checks, driver, "25006", "DELETE in a transaction",
                             lambda: cur.execute("DELETE FROM github.repository"))
    clientcheck.expect_error(checks, driver, "25P02", "statement after a refusal in a block",
                             lambda: cur.execute("SELECT 1"))
    conn.rollback()
    conn.autocommit = True

    clientcheck.check_cancel(checks, driver, conn)
    conn.close()


clientcheck.main(driver, pass_through)
