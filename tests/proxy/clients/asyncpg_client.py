"""Drives the HubSync proxy's write-through with asyncpg (asyncio, its own protocol implementation).

asyncpg always uses the extended protocol for parameterised statements: it prepares a named statement with
Parse/Describe/Flush, reads the descriptions, then sends Bind/Execute/Sync - all in one pipeline segment,
as no Sync comes between the Flush and the Execute. executemany() binds and executes one prepared
statement once per argument tuple, pipelined, with a single Sync at the end. Notices reach log listeners.

Usage: asyncpg_client.py writethrough DSN ISSUE_ID REPO_ID
DSN is a libpq key=value string (asyncpg itself only parses postgres:// URLs) or a URL. Prints `FAIL: ...`
per failed check and `OK asyncpg` when all passed; exits 1 on any failure, 2 on a wrong command line.
"""
import asyncio
import re
import sys
import time

import asyncpg

import clientcheck

NAME = "asyncpg"


def connect_args(dsn):
    """libpq's key=value conninfo (values optionally single-quoted) as asyncpg.connect() keywords."""
    if re.match(r"postgres(ql)?://", dsn):
        return {"dsn": dsn}
    keys = {}
    for m in re.finditer(r"(\w+)\s*=\s*(?:'((?:[^'\\]|\\.)*)'|(\S+))", dsn):
        keys[m.group(1)] = re.sub(r"\\(.)", r"\1", m.group(2)) if m.group(2) is not None else m.group(3)
    args = {"host": keys.get("host"), "database": keys.get("dbname"), "user": keys.get("user"),
            "password": keys.get("password"), "ssl": False}
    if "port" in keys:
        args["port"] = int(keys["port"])
    if "connect_timeout" in keys:
        args["timeout"] = float(keys["connect_timeout"])
    return args


def rowcount(status):
    """The row count of a command tag as asyncpg's execute() returns it ('UPDATE 1', 'INSERT 0 2')."""
    parts = (status or "").split()
    return int(parts[-1]) if parts and parts[-1].isdigit() else -1


def describe(e):
    """An error in one line: SQLSTATE and primary message (str() of a server error adds DETAIL and HINT)."""
    if isinstance(e, asyncpg.PostgresError):
        return "%s %s" % (e.sqlstate, e.message)
    return "%s %s" % (type(e).__name__, str(e).strip())


async def expect_error(checks, sqlstate, what, action):
    """Awaits `action()`; checks that it raises a server error with `sqlstate` and returns it (or None)."""
    try:
        await action()
    except asyncpg.PostgresError as e:
        checks.check(e.sqlstate == sqlstate,
                     "%s: SQLSTATE %s, expected %s (%s)" % (what, e.sqlstate, sqlstate, e.message))
        return e
    except asyncpg.InterfaceError as e:  # a client-side failure: no SQLSTATE
        checks.check(False, "%s: client error %r, expected SQLSTATE %s" % (what, e, sqlstate))
        return None
    checks.check(False, what + ": no error")
    return None


async def attempt(checks, what, action):
    """Awaits `action()`; a failure is a failed check (the scenario goes on) and gives None."""
    try:
        return await action()
    except (asyncpg.PostgresError, asyncpg.InterfaceError) as e:
        checks.check(False, "%s: %s" % (what, describe(e)))
        return None


async def writethrough(checks, conn, issue_id, repo_id):
    notices = []
    conn.add_log_listener(lambda _conn, message: notices.append(message.message or ""))

    async def title_and_state():
        return [tuple(r) for r in await conn.fetch("SELECT title, state FROM github.issue WHERE id = $1", issue_id)]

    # a) the issue is there (a parameterised read: Parse/Describe/Flush, Bind/Execute/Sync).
    rows = await conn.fetch("SELECT title FROM github.issue WHERE id = $1", issue_id)
    checks.check(len(rows) == 1, "SELECT of issue %d gives %d rows" % (issue_id, len(rows)))

    # b) an UPDATE GitHub accepts; execute() with arguments returns the command tag.
    accepted = NAME + " accepted"
    status = await attempt(checks, "accepted UPDATE", lambda: conn.execute(
        "UPDATE github.issue SET title = $1 WHERE id = $2", accepted, issue_id))
    checks.check(rowcount(status) == 1, "accepted UPDATE: command tag %r" % status)
    before = await title_and_state()
    checks.check(len(before) == 1 and before[0][0] == accepted, "title after the accepted UPDATE: %r" % before)

    # c) an UPDATE GitHub rejects (422 -> 23514) leaves the row as it was.
    e = await expect_error(checks, "23514", "rejected UPDATE", lambda: conn.execute(
        "UPDATE github.issue SET state = 'bogus' WHERE id = $1", issue_id))
    if e is not None and e.sqlstate == "23514":
        checks.check(bool(e.message), "rejection has a message")
        checks.check("422" in (e.detail or ""), "rejection DETAIL names 422: %r" % e.detail)
        checks.check(e.hint is not None, "rejection has a HINT")
    after = await title_and_state()
    checks.check(after == before, "row unchanged after the rejection: %r, was %r" % (after, before))

    # d) INSERT ... RETURNING gets GitHub's id and number (placeholders would be negative).
    created = await attempt(checks, "INSERT RETURNING", lambda: conn.fetchrow(
        "INSERT INTO github.issue (repository_id, title, body) VALUES ($1, $2, 'body') RETURNING id, number",
        repo_id, NAME + " new"))
    checks.check(created is not None and created["id"] > 0 and created["number"] > 0,
                 "INSERT RETURNING id, number: %r" % (created,))

    # e) several rows: one INSERT of two rows, both retitled by executemany() (one prepared UPDATE bound and
    # executed twice before a single Sync), then one DELETE of both with an array parameter.
    pair = await attempt(checks, "two-row INSERT", lambda: conn.fetch(
        "INSERT INTO github.issue (repository_id, title, body) VALUES ($1, $2, 'body'), ($1, $3, 'body') "
        "RETURNING id", repo_id, NAME + " pair 1", NAME + " pair 2"))
    ids = [r["id"] for r in pair or []]
    checks.check(len(ids) == 2 and all(i > 0 for i in ids), "two-row INSERT RETURNING id: %r" % ids)
    if len(ids) == 2:
        retitled = [NAME + " batch %d" % n for n in (1, 2)]
        await attempt(checks, "executemany UPDATE", lambda: conn.executemany(
            "UPDATE github.issue SET title = $1 WHERE id = $2", list(zip(retitled, ids))))
        titles = [r["title"] for r in await conn.fetch(
            "SELECT title FROM github.issue WHERE id = ANY($1::bigint[]) ORDER BY id", ids)]
        checks.check(titles == retitled, "titles after executemany: %r" % titles)
        status = await attempt(checks, "two-row DELETE", lambda: conn.execute(
            "DELETE FROM github.issue WHERE id = ANY($1::bigint[])", ids))
        checks.check(rowcount(status) == 2, "two-row DELETE: %r" % status)
        left = await conn.fetchval("SELECT count(*) FROM github.issue WHERE id = ANY($1::bigint[])", ids)
        checks.check(left == 0, "%d of the two deleted issues still there" % left)

    # f) DELETE of the issue created in d).
    if created is not None and created["id"] > 0:
        status = await attempt(checks, "DELETE", lambda: conn.execute(
            "DELETE FROM github.issue WHERE id = $1", created["id"]))
        checks.check(rowcount(status) == 1, "DELETE: %r" % status)
        left = await conn.fetchval("SELECT count(*) FROM github.issue WHERE id = $1", created["id"])
        checks.check(left == 0, "deleted issue still there")

    # g) inside BEGIN ... ROLLBACK the GitHub change escapes the rollback, and a NOTICE says so.
    tr = conn.transaction()
    await tr.start()
    notices.clear()
    await attempt(checks, "UPDATE in a block", lambda: conn.execute(
        "UPDATE github.issue SET body = $1 WHERE id = $2", NAME + " rolled back", issue_id))
    await asyncio.sleep(0)  # asyncpg hands notices to the listeners through the event loop
    during_update = list(notices)
    await tr.rollback()
    checks.check(any("github" in n.lower() for n in during_update),
                 "NOTICE about GitHub during the UPDATE in a block: %r" % during_update)

    # h) cancel: a query timeout makes asyncpg send a CancelRequest with the BackendKeyData the proxy handed
    # out and wait for the query to end; the connection stays usable.
    started = time.monotonic()
    try:
        await conn.fetchval("SELECT pg_sleep(30)", timeout=1.0)
        checks.check(False, "pg_sleep(30) with a 1 s timeout: no timeout")
    except asyncio.TimeoutError:
        pass
    elapsed = time.monotonic() - started
    checks.check(elapsed < 6, "cancel took %.1f s" % elapsed)
    checks.check(await conn.fetchval("SELECT 'still usable'") == "still usable", "connection usable after the cancel")


async def run(checks, dsn, issue_id, repo_id):
    try:
        conn = await asyncpg.connect(**connect_args(dsn))
        try:
            await writethrough(checks, conn, issue_id, repo_id)
        finally:
            await conn.close()
    except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError, asyncio.TimeoutError) as e:
        checks.check(False, "unexpected " + describe(e))


def main():
    args = sys.argv[1:]
    if len(args) != 4 or args[0] != "writethrough":
        print("usage: %s writethrough DSN ISSUE_ID REPO_ID" % sys.argv[0])
        sys.exit(2)
    checks = clientcheck.Checks(NAME)
    asyncio.run(run(checks, args[1], int(args[2]), int(args[3])))
    checks.finish()


main()
