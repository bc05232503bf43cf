// Drives the HubSync proxy's write-through with pgx v4 (pure Go protocol implementation). With its default
// statement cache pgx prepares every parameterised statement as a named server-side statement
// (Parse/Describe/Sync), then sends only Bind/Describe/Execute/Sync; a Batch prepares its statements first and
// then sends all their Bind/Execute messages before a single Sync (one pipeline segment holding several
// writes). Notices reach ConnConfig.OnNotice; PgConn.CancelRequest sends a CancelRequest.
//
// Usage: sh go_client.sh go_pgx_client.go writethrough DSN ISSUE_ID REPO_ID (GOPATH mode, see go_client.sh)
// DSN is a libpq key=value string or a URL. Prints `FAIL: ...` per failed check and `OK pgx` when all passed;
// exits 1 on any failure, 2 on a wrong command line.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgconn"
	"github.com/jackc/pgx/v4"
)

const name = "pgx"

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
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code + " " + pgErr.Message
	}
	return err.Error()
}

// expectError checks that err is a server error with sqlState and returns it (or nil).
func expectError(err error, sqlState, what string) *pgconn.PgError {
	var pgErr *pgconn.PgError
	if !check(err != nil, "%s: no error", what) {
		return nil
	}
	if !check(errors.As(err, &pgErr), "%s: client error %v, expected SQLSTATE %s", what, err, sqlState) {
		return nil
	}
	check(pgErr.Code == sqlState, "%s: SQLSTATE %s, expected %s (%s)", what, pgErr.Code, sqlState, pgErr.Message)
	return pgErr
}

// notices collects the text of every notice the connection receives (OnNotice runs on the reading goroutine).
type notices struct {
	mu   sync.Mutex
	list []string
}

func (n *notices) add(_ *pgconn.PgConn, notice *pgconn.Notice) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.list = append(n.list, notice.Message)
}

func (n *notices) take() []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return append([]string(nil), n.list...)
}

func (n *notices) clear() {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.list = nil
}

func writeThrough(ctx context.Context, dsn string, issueID, repoID int64) error {
	config, err := pgx.ParseConfig(dsn)
	if err != nil {
		return err
	}
	var seen notices
	config.OnNotice = seen.add
	conn, err := pgx.ConnectConfig(ctx, config)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)

	type titleState struct{ title, state string }
	titleAndState := func() (row titleState, err error) {
		err = conn.QueryRow(ctx, "SELECT title, state FROM github.issue WHERE id = $1", issueID).Scan(&row.title,
			&row.state)
		return
	}

	// a) the issue is there.
	rows, err := conn.Query(ctx, "SELECT title FROM github.issue WHERE id = $1", issueID)
	if err != nil {
		return err
	}
	n := 0
	for rows.Next() {
		n++
	}
	rows.Close()
	check(rows.Err() == nil && n == 1, "SELECT of issue %d gives %d rows (%v)", issueID, n, rows.Err())

	// b) an UPDATE GitHub accepts.
	accepted := name + " accepted"
	tag, err := conn.Exec(ctx, "UPDATE github.issue SET title = $1 WHERE id = $2", accepted, issueID)
	if check(err == nil, "accepted UPDATE: %v", err) {
		check(tag.RowsAffected() == 1, "accepted UPDATE: %d rows", tag.RowsAffected())
	}
	before, err := titleAndState()
	check(err == nil && before.title == accepted, "title after the accepted UPDATE: %q (%v)", before.title, err)

	// c) an UPDATE GitHub rejects (422 -> 23514) leaves the row as it was.
	_, err = conn.Exec(ctx, "UPDATE github.issue SET state = 'bogus' WHERE id = $1", issueID)
	if e := expectError(err, "23514", "rejected UPDATE"); e != nil && e.Code == "23514" {
		check(e.Message != "", "rejection has a message")
		check(strings.Contains(e.Detail, "422"), "rejection DETAIL names 422: %q", e.Detail)
		check(e.Hint != "", "rejection has a HINT")
	}
	after, err := titleAndState()
	check(err == nil && after == before, "row unchanged after the rejection: %v, was %v (%v)", after, before, err)

	// d) INSERT ... RETURNING gets GitHub's id and number (placeholders would be negative).
	var createdID int64
	var createdNumber int32
	err = conn.QueryRow(ctx, "INSERT INTO github.issue (repository_id, title, body) VALUES ($1, $2, 'body') "+
		"RETURNING id, number", repoID, name+" new").Scan(&createdID, &createdNumber)
	check(err == nil && createdID > 0 && createdNumber > 0, "INSERT RETURNING id %d, number %d (%v)", createdID,
		createdNumber, err)

	// e) several rows: one INSERT of two rows, both retitled by a Batch of two UPDATEs (one Sync after both),
	// then one DELETE of both with an array parameter.
	var ids []int64
	rows, err = conn.Query(ctx, "INSERT INTO github.issue (repository_id, title, body) VALUES ($1, $2, 'body'), "+
		"($1, $3, 'body') RETURNING id", repoID, name+" pair 1", name+" pair 2")
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
	check(err == nil && len(ids) == 2 && ids[0] > 0 && ids[1] > 0, "two-row INSERT RETURNING id: %v (%v)", ids, err)
	if len(ids) == 2 {
		retitled := []string{name + " batch 1", name + " batch 2"}
		batch := &pgx.Batch{}
		for i, id := range ids {
			batch.Queue("UPDATE github.issue SET title = $1 WHERE id = $2", retitled[i], id)
		}
		results := conn.SendBatch(ctx, batch)
		for i := range ids {
			tag, err := results.Exec()
			if check(err == nil, "batched UPDATE %d: %v", i+1, err) {
				check(tag.RowsAffected() == 1, "batched UPDATE %d: %d rows", i+1, tag.RowsAffected())
			}
		}
		check(results.Close() == nil, "closing the batch results")
		var titles []string
		err = conn.QueryRow(ctx, "SELECT array_agg(title ORDER BY id) FROM github.issue WHERE id = ANY($1)",
			ids).Scan(&titles)
		check(err == nil && strings.Join(titles, "|") == strings.Join(retitled, "|"),
			"titles after the batch: %q (%v)", titles, err)

		tag, err = conn.Exec(ctx, "DELETE FROM github.issue WHERE id = ANY($1)", ids)
		if check(err == nil, "two-row DELETE: %v", err) {
			check(tag.RowsAffected() == 2, "two-row DELETE: %d rows", tag.RowsAffected())
		}
		var left int
		err = conn.QueryRow(ctx, "SELECT count(*) FROM github.issue WHERE id = ANY($1)", ids).Scan(&left)
		check(err == nil && left == 0, "%d of the two deleted issues still there (%v)", left, err)
	}

	// f) DELETE of the issue created in d).
	if createdID > 0 {
		tag, err = conn.Exec(ctx, "DELETE FROM github.issue WHERE id = $1", createdID)
		if check(err == nil, "DELETE: %v", err) {
			check(tag.RowsAffected() == 1, "DELETE: %d rows", tag.RowsAffected())
		}
		var left int
		err = conn.QueryRow(ctx, "SELECT count(*) FROM github.issue WHERE id = $1", createdID).Scan(&left)
		check(err == nil && left == 0, "deleted issue still there (%v)", err)
	}

	// g) inside BEGIN ... ROLLBACK the GitHub change escapes the rollback, and a NOTICE says so.
	tx, err := conn.Begin(ctx)
	if err != nil {
		return err
	}
	seen.clear()
	_, err = tx.Exec(ctx, "UPDATE github.issue SET body = $1 WHERE id = $2", name+" rolled back", issueID)
	check(err == nil, "UPDATE in a block: %v", err)
	duringUpdate := seen.take()
	check(tx.Rollback(ctx) == nil, "ROLLBACK")
	mentionsGitHub := false
	for _, text := range duringUpdate {
		mentionsGitHub = mentionsGitHub || strings.Contains(strings.ToLower(text), "github")
	}
	check(mentionsGitHub, "NOTICE about GitHub during the UPDATE in a block: %q", duringUpdate)

	// h) cancel: PgConn.CancelRequest from another goroutine after a second sends a CancelRequest with the
	// BackendKeyData the proxy handed out (cancelling the context instead would close the connection).
	timer := time.AfterFunc(time.Second, func() {
		if err := conn.PgConn().CancelRequest(context.Background()); err != nil {
			fmt.Println("cancel request:", err)
		}
	})
	started := time.Now()
	_, err = conn.Exec(ctx, "SELECT pg_sleep(30)")
	timer.Stop()
	expectError(err, "57014", "cancel during pg_sleep")
	check(time.Since(started) < 6*time.Second, "cancel took %v", time.Since(started))
	var still string
	err = conn.QueryRow(ctx, "SELECT 'still usable'").Scan(&still)
	check(err == nil && still == "still usable", "connection usable after the cancel (%v)", err)
	return nil
}

func main() {
	args := os.Args[1:]
	if len(args) != 4 || args[0] != "writethrough" {
		fmt.Println("usage: go_pgx_client.go writethrough DSN ISSUE_ID REPO_ID")
		os.Exit(2)
	}
	issueID, err1 := strconv.ParseInt(args[2], 10, 64)
	repoID, err2 := strconv.ParseInt(args[3], 10, 64)
	if err1 != nil || err2 != nil {
		fmt.Println("usage: go_pgx_client.go writethrough DSN ISSUE_ID REPO_ID")
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
