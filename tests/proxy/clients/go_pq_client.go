// Drives the HubSync proxy's write-through with lib/pq through database/sql (pure Go protocol
// implementation). A statement with arguments goes out as Parse/Describe/Sync of the unnamed statement, then
// Bind/Execute/Sync; an explicitly prepared statement (Conn.PrepareContext) is a named server-side statement
// that each Exec only binds and executes. Notices reach the handler of ConnectorWithNoticeHandler; a
// cancelled context makes lib/pq send a CancelRequest (and then drop that connection).
//
// Usage: sh go_client.sh go_pq_client.go writethrough DSN ISSUE_ID REPO_ID (GOPATH mode, see go_client.sh)
// DSN is a libpq key=value string or a URL. Prints `FAIL: ...` per failed check and `OK lib/pq` when all
// passed; exits 1 on any failure, 2 on a wrong command line.
package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/lib/pq"
)

const name = "lib/pq"

var failures []string

func check(condition bool, format string, args ...interface{}) bool {
	if !condition {
		what := fmt.Sprintf(format, args...)
		failures = append(failures, what)
		fmt.Println("FAIL: " + what)
	}
	return condition
}

// describe gives an error in one line: SQLSTATE and message for a server error.
func describe(err error) string {
	var pqErr *pq.Error
	if errors.As(err, &pqErr) {
		return string(pqErr.Code) + " " + pqErr.Message
	}
	return err.Error()
}

// expectError checks that err is a server error with sqlState and returns it (or nil).
func expectError(err error, sqlState, what string) *pq.Error {
	var pqErr *pq.Error
	if !check(err != nil, "%s: no error", what) {
		return nil
	}
	if !check(errors.As(err, &pqErr), "%s: client error %v, expected SQLSTATE %s", what, err, sqlState) {
		return nil
	}
	check(string(pqErr.Code) == sqlState, "%s: SQLSTATE %s, expected %s (%s)", what, pqErr.Code, sqlState,
		pqErr.Message)
	return pqErr
}

// affected checks that an Exec succeeded and changed `want` rows.
func affected(result sql.Result, err error, want int64, what string) {
	if !check(err == nil, "%s: %s", what, errText(err)) {
		return
	}
	n, err := result.RowsAffected()
	check(err == nil && n == want, "%s: %d rows, expected %d", what, n, want)
}

func errText(err error) string {
	if err == nil {
		return "ok"
	}
	return describe(err)
}

// withSSLMode makes the DSN's missing sslmode "disable": libpq's default is "prefer" (TLS when the server
// offers it), lib/pq has no "prefer" and defaults to "require", which a proxy without TLS refuses.
func withSSLMode(dsn string) string {
	switch {
	case strings.Contains(dsn, "sslmode"):
		return dsn
	case strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://"):
		if strings.Contains(dsn, "?") {
			return dsn + "&sslmode=disable"
		}
		return dsn + "?sslmode=disable"
	default:
		return dsn + " sslmode=disable"
	}
}

func writeThrough(ctx context.Context, dsn string, issueID, repoID int64) error {
	// One session (sql.Conn) from a pool whose connections record every notice's text.
	var mu sync.Mutex
	var notices []string
	connector, err := pq.NewConnector(withSSLMode(dsn))
	if err != nil {
		return err
	}
	db := sql.OpenDB(pq.ConnectorWithNoticeHandler(connector, func(notice *pq.Error) {
		mu.Lock()
		defer mu.Unlock()
		notices = append(notices, notice.Message)
	}))
	defer db.Close()
	conn, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()

	type titleState struct{ title, state string }
	titleAndState := func() (row titleState, err error) {
		err = conn.QueryRowContext(ctx, "SELECT title, state FROM github.issue WHERE id = $1", issueID).Scan(
			&row.title, &row.state)
		return
	}

	// a) the issue is there.
	var count int
	err = conn.QueryRowContext(ctx, "SELECT count(*) FROM (SELECT title FROM github.issue WHERE id = $1) i",
		issueID).Scan(&count)
	check(err == nil && count == 1, "SELECT of issue %d gives %d rows (%s)", issueID, count, errText(err))

	// b) an UPDATE GitHub accepts.
	accepted := name + " accepted"
	result, err := conn.ExecContext(ctx, "UPDATE github.issue SET title = $1 WHERE id = $2", accepted, issueID)
	affected(result, err, 1, "accepted UPDATE")
	before, err := titleAndState()
	check(err == nil && before.title == accepted, "title after the accepted UPDATE: %q (%s)", before.title,
		errText(err))

	// c) an UPDATE GitHub rejects (422 -> 23514) leaves the row as it was.
	_, err = conn.ExecContext(ctx, "UPDATE github.issue SET state = 'bogus' WHERE id = $1", issueID)
	if e := expectError(err, "23514", "rejected UPDATE"); e != nil && e.Code == "23514" {
		check(e.Message != "", "rejection has a message")
		check(strings.Contains(e.Detail, "422"), "rejection DETAIL names 422: %q", e.Detail)
		check(e.Hint != "", "rejection has a HINT")
	}
	after, err := titleAndState()
	check(err == nil && after == before, "row unchanged after the rejection: %v, was %v (%s)", after, before,
		errText(err))

	// d) INSERT ... RETURNING gets GitHub's id and number (placeholders would be negative).
	var createdID int64
	var createdNumber int32
	err = conn.QueryRowContext(ctx, "INSERT INTO github.issue (repository_id, title, body) VALUES ($1, $2, 'body') "+
		"RETURNING id, number", repoID, name+" new").Scan(&createdID, &createdNumber)
	check(err == nil && createdID > 0 && createdNumber > 0, "INSERT RETURNING id %d, number %d (%s)", createdID,
		createdNumber, errText(err))

	// e) several rows: one INSERT of two rows, both retitled by one prepared UPDATE executed twice, then one
	// DELETE of both with an array parameter.
	var ids []int64
	rows, err := conn.QueryContext(ctx, "INSERT INTO github.issue (repository_id, title, body) VALUES "+
		"($1, $2, 'body'), ($1, $3, 'body') RETURNING id", repoID, name+" pair 1", name+" pair 2")
	if err == nil {
		for rows.Next() {
			var id int64
			if rows.Scan(&id) == nil {
				ids = append(ids, id)
			}
		}
		rows.Close()
		err = rows.Err()
	}
	check(err == nil && len(ids) == 2 && ids[0] > 0 && ids[1] > 0, "two-row INSERT RETURNING id: %v (%s)", ids,
		errText(err))
	if len(ids) == 2 {
		retitled := []string{name + " batch 1", name + " batch 2"}
		stmt, err := conn.PrepareContext(ctx, "UPDATE github.issue SET title = $1 WHERE id = $2")
		if check(err == nil, "PREPARE of the UPDATE: %s", errText(err)) {
			for i, id := range ids {
				result, err := stmt.ExecContext(ctx, retitled[i], id)
				affected(result, err, 1, fmt.Sprintf("prepared UPDATE run %d", i+1))
			}
			stmt.Close()
		}
		var titles []string
		err = conn.QueryRowContext(ctx, "SELECT array_agg(title ORDER BY id) FROM github.issue WHERE id = ANY($1)",
			pq.Array(ids)).Scan(pq.Array(&titles))
		check(err == nil && strings.Join(titles, "|") == strings.Join(retitled, "|"),
			"titles after the prepared UPDATEs: %q (%s)", titles, errText(err))

		result, err = conn.ExecContext(ctx, "DELETE FROM github.issue WHERE id = ANY($1)", pq.Array(ids))
		affected(result, err, 2, "two-row DELETE")
		var left int
		err = conn.QueryRowContext(ctx, "SELECT count(*) FROM github.issue WHERE id = ANY($1)", pq.Array(ids)).Scan(
			&left)
		check(err == nil && left == 0, "%d of the two deleted issues still there (%s)", left, errText(err))
	}

	// f) DELETE of the issue created in d).
	if createdID > 0 {
		result, err = conn.ExecContext(ctx, "DELETE FROM github.issue WHERE id = $1", createdID)
		affected(result, err, 1, "DELETE")
		var left int
		err = conn.QueryRowContext(ctx, "SELECT count(*) FROM github.issue WHERE id = $1", createdID).Scan(&left)
		check(err == nil && left == 0, "deleted issue still there (%s)", errText(err))
	}

	// g) inside BEGIN ... ROLLBACK the GitHub change escapes the rollback, and a NOTICE says so.
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	mu.Lock()
	notices = nil
	mu.Unlock()
	_, err = tx.ExecContext(ctx, "UPDATE github.issue SET body = $1 WHERE id = $2", name+" rolled back", issueID)
	check(err == nil, "UPDATE in a block: %s", errText(err))
	mu.Lock()
	duringUpdate := append([]string(nil), notices...)
	mu.Unlock()
	check(tx.Rollback() == nil, "ROLLBACK")
	mentionsGitHub := false
	for _, text := range duringUpdate {
		mentionsGitHub = mentionsGitHub || strings.Contains(strings.ToLower(text), "github")
	}
	check(mentionsGitHub, "NOTICE about GitHub during the UPDATE in a block: %q", duringUpdate)

	// h) cancel: the context's deadline after a second makes lib/pq send a CancelRequest with the
	// BackendKeyData the proxy handed out; lib/pq then closes that connection, so the pool opens another.
	cancelCtx, cancel := context.WithTimeout(ctx, time.Second)
	started := time.Now()
	_, err = conn.ExecContext(cancelCtx, "SELECT pg_sleep(30)")
	cancel()
	expectError(err, "57014", "cancel during pg_sleep")
	check(time.Since(started) < 6*time.Second, "cancel took %v", time.Since(started))
	var still string
	err = db.QueryRowContext(ctx, "SELECT 'still usable'").Scan(&still)
	check(err == nil && still == "still usable", "a new connection after the cancel (%s)", errText(err))
	return nil
}

func main() {
	args := os.Args[1:]
	if len(args) != 4 || args[0] != "writethrough" {
		fmt.Println("usage: go_pq_client.go writethrough DSN ISSUE_ID REPO_ID")
		os.Exit(2)
	}
	issueID, err1 := strconv.ParseInt(args[2], 10, 64)
	repoID, err2 := strconv.ParseInt(args[3], 10, 64)
	if err1 != nil || err2 != nil {
		fmt.Println("usage: go_pq_client.go writethrough DSN ISSUE_ID REPO_ID")
		os.Exit(2)
	}
	if err := writeThrough(context.Background(), args[1], issueID, repoID); err != nil {
		check(false, "unexpected %s", describe(err))
	}
	if len(failures) == 0 {
		fmt.Println("OK " + name)
	} else {
		fmt.Printf("%s: %d failures\n", name, len(failures))
		os.Exit(1)
	}
}
