"""What the psycopg2 and psycopg 3 client scripts share: check bookkeeping, the command line, the checks
both run in pass-through (refusal of a read-only table, ROLLBACK, cancel) and the whole write-through
scenario. Both drivers speak DB-API with %s placeholders; a Driver names what differs between them.

Command line of every script using it:
    SCRIPT DSN                              pass-through checks (tst_proxy)
    SCRIPT writethrough DSN ISSUE_ID REPO_ID write-through checks (tst_writethrough); ISSUE_ID is an open
                                             issue in schema github, REPO_ID its repository's id
Prints `FAIL: ...` per failed check and `OK <client>` when all passed; exits 1 on any failure.
"""
import sys
import threading
import time


class Driver:
    """What differs between psycopg2 and psycopg 3."""

    def __init__(self, name, error, sqlstate, connect, watch_notices):
        self.name = name  # in messages and in the titles written to GitHub
        self.error = error  # the driver's base exception class
        self.sqlstate = sqlstate  # exception -> SQLSTATE
        self.connect = connect  # dsn -> connection in autocommit mode
        self.watch_notices = watch_notices  # connection -> list that receives every later notice's text


class Checks:
    def __init__(self, name):
        self.name = name
        self.failures = []

    def check(self, condition, what):
        if not condition:
            self.failures.append(what)
            print("FAIL: " + what, flush=True)
        return condition

    def finish(self):
        if self.failures:
            print("%s: %d failures" % (self.name, len(self.failures)))
        else:
            print("OK " + self.name)
        sys.exit(1 if self.failures else 0)


def expect_error(checks, driver, sqlstate, what, action):
    """Runs `action`; checks that it raises the driver's error with `sqlstate` and returns it (or None)."""
    try:
        action()
    except driver.error as e:
        checks.check(driver.sqlstate(e) == sqlstate,
                     "%s: SQLSTATE %s, expected %s (%s)" % (what, driver.sqlstate(e), sqlstate, str(e).strip()))
        return e
    checks.check(False, what + ": no error")
    return None


def check_label_refusal(checks, driver, cur):
    """UPDATE of a read-only synced table is refused with 25006, a DETAIL and a HINT; the row is unchanged."""
    cur.execute("SELECT name FROM github.repository WHERE id = %s", (1,))
    before = cur.fetchone()
    e = expect_error(checks, driver, "25006", "UPDATE github.repository",
                     lambda: cur.execute("UPDATE github.repository SET name = %s WHERE id = %s", ("changed", 1)))
    if e is not None:
        checks.check(e.diag.message_detail is not None, "refusal has a DETAIL")
        checks.check(e.diag.message_hint is not None, "refusal has a HINT")
    cur.execute("SELECT name FROM github.repository WHERE id = %s", (1,))
    checks.check(cur.fetchone() == before, "github.repository row unchanged after the refusal")


def check_rollback(checks, conn):
    """BEGIN ... ROLLBACK passes through: the driver issues BEGIN itself outside autocommit."""
    marker = checks.name + " rollback"
    conn.autocommit = False
    conn.cursor().execute("INSERT INTO notes (body) VALUES (%s)", (marker,))
    conn.rollback()
    conn.autocommit = True
    cur = conn.cursor()
    cur.execute("SELECT count(*) FROM notes WHERE body = %s", (marker,))
    checks.check(cur.fetchone()[0] == 0, "ROLLBACK undid the INSERT")


def check_cancel(checks, driver, conn):
    """conn.cancel() from another thread after a second: the driver opens a new connection to the proxy with
    the BackendKeyData the proxy handed out; pg_sleep(30) ends with 57014 and the connection stays usable."""
    cur = conn.cursor()
    timer = threading.Timer(1.0, conn.cancel)
    timer.start()
    started = time.monotonic()
    expect_error(checks, driver, "57014", "cancel during pg_sleep", lambda: cur.execute("SELECT pg_sleep(30)"))
    elapsed = time.monotonic() - started
    checks.check(elapsed < 6, "cancel took %.1f s" % elapsed)
    timer.join()
    cur.execute("SELECT 'still usable'")
    checks.check(cur.fetchone()[0] == "still usable", "connection usable after the cancel")


def writethrough(checks, driver, conn, issue_id, repo_id):
    cur = conn.cursor()

    def title_and_state():
        cur.execute("SELECT title, state FROM github.issue WHERE id = %s", (issue_id,))
        return cur.fetchall()

    # a) the issue is there.
    cur.execute("SELECT title FROM github.issue WHERE id = %s", (issue_id,))
    checks.check(len(cur.fetchall()) == 1, "SELECT of issue %d gives one row" % issue_id)

    # b) an UPDATE GitHub accepts.
    accepted = driver.name + " accepted"
    cur.execute("UPDATE github.issue SET title = %s WHERE id = %s", (accepted, issue_id))
    checks.check(cur.rowcount == 1, "accepted UPDATE: %d rows" % cur.rowcount)
    before = title_and_state()
    checks.check(len(before) == 1 and before[0][0] == accepted, "title after the accepted UPDATE: %r" % before)

    # c) an UPDATE GitHub rejects (422 -> 23514) leaves the row as it was.
    e = expect_error(checks, driver, "23514", "rejected UPDATE",
                     lambda: cur.execute("UPDATE github.issue SET state = 'bogus' WHERE id = %s", (issue_id,)))
    if e is not None:
        checks.check(bool(e.diag.message_primary), "rejection has a message")
        checks.check("422" in (e.diag.message_detail or ""), "rejection DETAIL names 422: %r" % e.diag.message_detail)
        checks.check(e.diag.message_hint is not None, "rejection has a HINT")
    after = title_and_state()
    checks.check(after == before, "row unchanged after the rejection: %r, was %r" % (after, before))

    # d) INSERT ... RETURNING gets GitHub's id and number (placeholders would be negative).
    cur.execute("INSERT INTO github.issue (repository_id, title, body) VALUES (%s, %s, 'body') RETURNING id, number",
                (repo_id, driver.name + " new"))
    created = cur.fetchone()
    checks.check(created is not None and created[0] > 0 and created[1] > 0, "INSERT RETURNING id, number: %r" %
                 (created,))

    # e) DELETE of the new issue.
    if created is not None and created[0] > 0:
        cur.execute("DELETE FROM github.issue WHERE id = %s", (created[0],))
        checks.check(cur.rowcount == 1, "DELETE: %d rows" % cur.rowcount)
        cur.execute("SELECT count(*) FROM github.issue WHERE id = %s", (created[0],))
        checks.check(cur.fetchone()[0] == 0, "deleted issue still there")

    # f) inside BEGIN ... ROLLBACK the GitHub change escapes the rollback, and a NOTICE says so.
    notices = driver.watch_notices(conn)
    conn.autocommit = False
    conn.cursor().execute("UPDATE github.issue SET body = %s WHERE id = %s", (driver.name + " rolled back", issue_id))
    during_update = list(notices)
    conn.rollback()
    conn.autocommit = True
    checks.check(any("github" in n.lower() for n in during_update),
                 "NOTICE about GitHub during the UPDATE in a block: %r" % during_update)

    # g) cancel.
    check_cancel(checks, driver, conn)


def main(driver, pass_through):
    """Parses the command line and runs `pass_through(checks, dsn)` or the write-through scenario."""
    args = sys.argv[1:]
    checks = Checks(driver.name)
    if len(args) == 4 and args[0] == "writethrough":
        conn = driver.connect(args[1])
        writethrough(checks, driver, conn, int(args[2]), int(args[3]))
        conn.close()
    elif len(args) == 1 and args[0] != "writethrough":
        pass_through(checks, args[0])
    else:
        print("usage: %s DSN | writethrough DSN ISSUE_ID REPO_ID" % sys.argv[0])
        sys.exit(2)
    checks.finish()
