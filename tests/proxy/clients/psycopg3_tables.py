"""Writes every table the HubSync proxy writes through to GitHub with psycopg 3's server-side binding
(extended protocol: Parse/Bind/Execute, named statements with prepare=True): an accepted write of each
kind, a refusal by GitHub (SQLSTATE checked, nothing changed) and a multi-row statement.

Usage: psycopg3_tables.py DSN REPO_ID ISSUE_ID ISSUE_NUMBER
Prints "OK psycopg3 tables" when every check passed, else the failed checks (exit status 1).
"""
import sys

import psycopg

import clientcheck


def connect(dsn):
    return psycopg.connect(dsn, autocommit=True)


driver = clientcheck.Driver("psycopg", psycopg.Error, lambda e: e.sqlstate, connect, lambda conn: [])


def one(cur, sql, params=(), prepare=None):
    cur.execute(sql, params, prepare=prepare)
    return cur.fetchone()


def main():
    dsn, repo, issue_id, issue_number = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    checks = clientcheck.Checks("psycopg3 tables")
    check = checks.check
    refused = lambda state, what, sql, params: clientcheck.expect_error(  # noqa: E731
        checks, driver, state, what, lambda: cur.execute(sql, params))
    with connect(dsn) as conn:
        cur = conn.cursor()

        # comment: two at once, an edit, GitHub's refusal of an empty body, the deletion.
        cur.execute("INSERT INTO github.comment (repository_id, issue_number, body) VALUES (%s, %s, %s), (%s, %s, %s)"
                    " RETURNING id", (repo, issue_number, "psycopg one", repo, issue_number, "psycopg two"))
        comments = [row[0] for row in cur.fetchall()]
        check(len(comments) == 2 and all(c > 0 for c in comments), "two comments created with GitHub's ids")
        row = one(cur, "UPDATE github.comment SET body = %s WHERE id = %s RETURNING body", ("psycopg edited",
                                                                                           comments[0]), True)
        check(row == ("psycopg edited",), "comment edited")
        refused("23514", "empty comment body", "UPDATE github.comment SET body = %s WHERE id = %s", (" ", comments[0]))
        check(one(cur, "SELECT body FROM github.comment WHERE id = %s", (comments[0],)) == ("psycopg edited",),
              "refused comment edit left the row")
        cur.execute("DELETE FROM github.comment WHERE id = ANY(%s)", (comments,))
        check(cur.rowcount == 2, "comments deleted")

        # label, and the label on the issue through issue_label.
        label = one(cur, "INSERT INTO github.label (repository_id, name, color) VALUES (%s, %s, %s) RETURNING id, color",
                    (repo, "psycopg label", "#00AA00"))
        check(label is not None and label[0] > 0 and label[1] == "00aa00", "label created as GitHub spells it")
        refused("23514", "label colour zzz", "UPDATE github.label SET color = %s WHERE id = %s", ("zzz", label[0]))
        cur.execute("INSERT INTO github.issue_label (issue_id, label_id) VALUES (%s, %s)", (issue_id, label[0]))
        check(cur.rowcount == 1, "label added to the issue")
        names = one(cur, "SELECT label_names FROM github.issue WHERE id = %s", (issue_id,))[0]
        check("psycopg label" in names, "label_names follows issue_label")
        cur.execute("DELETE FROM github.issue_label WHERE issue_id = %s AND label_id = %s", (issue_id, label[0]))
        check(cur.rowcount == 1, "label removed from the issue")
        pull = one(cur, "SELECT id FROM github.pull_request WHERE repository_id = %s ORDER BY id LIMIT 1", (repo,))
        if pull is not None:
            cur.execute("INSERT INTO github.pull_request_label (pull_request_id, label_id) VALUES (%s, %s)",
                        (pull[0], label[0]))
            check(cur.rowcount == 1, "label added to a pull request")
            cur.execute("DELETE FROM github.pull_request_label WHERE pull_request_id = %s AND label_id = %s",
                        (pull[0], label[0]))
            check(cur.rowcount == 1, "label removed from the pull request")
        cur.execute("DELETE FROM github.label WHERE id = %s", (label[0],))
        check(cur.rowcount == 1, "label deleted")

        # release
        release = one(cur, "INSERT INTO github.release (repository_id, tag_name, name) VALUES (%s, %s, %s)"
                      " RETURNING id", (repo, "v-psycopg", "psycopg"))[0]
        check(release > 0, "release created")
        refused("23514", "a second release of the tag",
                "INSERT INTO github.release (repository_id, tag_name) VALUES (%s, %s)", (repo, "v-psycopg"))
        check(one(cur, "UPDATE github.release SET name = %s WHERE id = %s RETURNING name",
                  ("psycopg final", release)) == ("psycopg final",), "release renamed")
        cur.execute("DELETE FROM github.release WHERE id = %s", (release,))
        check(cur.rowcount == 1, "release deleted")

        # reaction
        reaction = one(cur, "INSERT INTO github.reaction (subject_type, subject_id, content) VALUES (%s, %s, %s)"
                       " RETURNING id", ("issue", issue_id, "eyes"), True)[0]
        check(reaction > 0, "reaction added")
        refused("23514", "unknown reaction content",
                "INSERT INTO github.reaction (subject_type, subject_id, content) VALUES (%s, %s, %s)",
                ("issue", issue_id, "bogus"))
        cur.execute("DELETE FROM github.reaction WHERE id = %s", (reaction,))
        check(cur.rowcount == 1, "reaction removed")

        # ref
        sha = one(cur, "SELECT sha FROM github.commit WHERE repository_id = %s ORDER BY committer_date DESC LIMIT 1",
                  (repo,))
        if sha is not None:
            cur.execute("INSERT INTO github.ref (repository_id, name, sha) VALUES (%s, %s, %s)",
                        (repo, "refs/heads/psycopg", sha[0]))
            check(cur.rowcount == 1, "branch created")
            refused("23514", "a ref at a commit that does not exist",
                    "UPDATE github.ref SET sha = %s WHERE repository_id = %s AND name = %s",
                    ("0" * 40, repo, "refs/heads/psycopg"))
            cur.execute("DELETE FROM github.ref WHERE repository_id = %s AND name = %s", (repo, "refs/heads/psycopg"))
            check(cur.rowcount == 1, "branch deleted")

        # pull_request
        pull = one(cur, "SELECT id FROM github.pull_request WHERE repository_id = %s AND state = 'open' ORDER BY id"
                   " LIMIT 1", (repo,))
        if pull is not None:
            check(one(cur, "UPDATE github.pull_request SET title = %s WHERE id = %s RETURNING title",
                      ("psycopg title", pull[0])) == ("psycopg title",), "pull request retitled")
        # discussion and discussion_comment (GraphQL mutations)
        has = one(cur, "SELECT count(*) FROM github.discussion WHERE repository_id = %s", (repo,))[0]
        if has:
            discussion = one(cur, "INSERT INTO github.discussion (repository_id, title, body) VALUES (%s, %s, %s)"
                             " RETURNING id, category", (repo, "psycopg asks", "a question"))
            check(discussion is not None and discussion[0] > 0 and discussion[1] == "General", "discussion created")
            refused("22023", "a blank discussion body", "UPDATE github.discussion SET body = %s WHERE id = %s",
                    (" ", discussion[0]))
            comment = one(cur, "INSERT INTO github.discussion_comment (discussion_id, body) VALUES (%s, %s) RETURNING id",
                          (discussion[0], "psycopg answers"), True)[0]
            check(comment > 0, "discussion comment added")
            cur.execute("UPDATE github.discussion_comment SET body = %s WHERE id = %s", ("psycopg edits", comment))
            check(cur.rowcount == 1, "discussion comment edited")
            cur.execute("DELETE FROM github.discussion WHERE id = %s", (discussion[0],))
            check(cur.rowcount == 1, "discussion deleted")
    return checks.finish()


if __name__ == "__main__":
    sys.exit(main())
