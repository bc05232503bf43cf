# Drives the HubSync proxy's write-through with the Ruby pg gem (libpq underneath). exec_params sends
# Parse/Bind/Describe/Execute/Sync of the unnamed statement; libpq's pipeline mode (enter_pipeline_mode,
# send_query_params, pipeline_sync) sends several such statements before a single Sync, the whole pipeline
# being one segment. Notices reach the notice receiver; PG::Connection#cancel sends a CancelRequest.
#
# Usage: ruby ruby_pg_client.rb writethrough DSN ISSUE_ID REPO_ID
# DSN is a libpq key=value string or a URL. Prints `FAIL: ...` per failed check and `OK ruby-pg` when all
# passed; exits 1 on any failure, 2 on a wrong command line.
require 'pg'

NAME = 'ruby-pg'
$failures = []

def check(condition, what)
  unless condition
    $failures << what
    puts "FAIL: #{what}"
  end
  condition
end

def field(error, code)
  error.result&.error_field(code)
end

def sqlstate(error)
  field(error, PG::Result::PG_DIAG_SQLSTATE)
end

# Runs the block; a failure is a failed check (the scenario goes on) and gives nil.
def attempt(what)
  yield
rescue PG::Error => e
  check(false, "#{what}: #{sqlstate(e)} #{e.message.lines.first&.strip}")
  nil
end

# Runs the block, checks that it fails with `state`, and returns the error (or nil).
def expect_error(state, what)
  yield
  check(false, "#{what}: no error")
  nil
rescue PG::Error => e
  check(sqlstate(e) == state, "#{what}: SQLSTATE #{sqlstate(e)}, expected #{state} (#{e.message.lines.first&.strip})")
  e
end

# Sends each [sql, params] in libpq's pipeline mode, then one Sync; returns each statement's PG::Result
# (PG::Result#check raises its error).
def pipelined(conn, statements)
  conn.enter_pipeline_mode
  statements.each { |sql, params| conn.send_query_params(sql, params) }
  conn.pipeline_sync
  results = statements.map do
    result = conn.get_result
    conn.get_result # the nil that ends each statement's results
    result
  end
  sync = conn.get_result
  check(sync&.result_status == PG::PGRES_PIPELINE_SYNC,
        "pipeline ends in its Sync: status #{sync&.result_status.inspect}")
  conn.exit_pipeline_mode
  results
end

def write_through(dsn, issue_id, repo_id)
  conn = PG.connect(dsn)
  notices = []
  conn.set_notice_receiver { |r| notices << r.error_field(PG::Result::PG_DIAG_MESSAGE_PRIMARY).to_s }
  title_and_state = -> { conn.exec_params('SELECT title, state FROM github.issue WHERE id = $1', [issue_id]).values }

  # a) the issue is there.
  rows = conn.exec_params('SELECT title FROM github.issue WHERE id = $1', [issue_id])
  check(rows.ntuples == 1, "SELECT of issue #{issue_id} gives #{rows.ntuples} rows")

  # b) an UPDATE GitHub accepts.
  accepted = "#{NAME} accepted"
  r = attempt('accepted UPDATE') do
    conn.exec_params('UPDATE github.issue SET title = $1 WHERE id = $2', [accepted, issue_id])
  end
  check(r&.cmd_tuples == 1, "accepted UPDATE: #{r&.cmd_tuples.inspect} rows")
  before = title_and_state.call
  check(before.length == 1 && before[0][0] == accepted, "title after the accepted UPDATE: #{before.inspect}")

  # c) an UPDATE GitHub rejects (422 -> 23514) leaves the row as it was.
  e = expect_error('23514', 'rejected UPDATE') do
    conn.exec_params("UPDATE github.issue SET state = 'bogus' WHERE id = $1", [issue_id])
  end
  if e && sqlstate(e) == '23514'
    check(!field(e, PG::Result::PG_DIAG_MESSAGE_PRIMARY).to_s.empty?, 'rejection has a message')
    detail = field(e, PG::Result::PG_DIAG_MESSAGE_DETAIL).to_s
    check(detail.include?('422'), "rejection DETAIL names 422: #{detail.inspect}")
    check(field(e, PG::Result::PG_DIAG_MESSAGE_HINT), 'rejection has a HINT')
  end
  after = title_and_state.call
  check(after == before, "row unchanged after the rejection: #{after.inspect}, was #{before.inspect}")

  # d) INSERT ... RETURNING gets GitHub's id and number (placeholders would be negative).
  r = attempt('INSERT RETURNING') do
    conn.exec_params("INSERT INTO github.issue (repository_id, title, body) VALUES ($1, $2, 'body') " \
                     'RETURNING id, number', [repo_id, "#{NAME} new"])
  end
  created = r&.ntuples == 1 ? r[0].transform_values(&:to_i) : {}
  check(created.fetch('id', 0) > 0 && created.fetch('number', 0) > 0, "INSERT RETURNING id, number: #{created}")

  # e) several rows: one INSERT of two rows, both retitled by two UPDATEs in one pipeline, then one DELETE of
  # both with an array parameter.
  r = attempt('two-row INSERT') do
    conn.exec_params("INSERT INTO github.issue (repository_id, title, body) VALUES ($1, $2, 'body'), " \
                     "($1, $3, 'body') RETURNING id", [repo_id, "#{NAME} pair 1", "#{NAME} pair 2"])
  end
  ids = r ? r.column_values(0).map(&:to_i) : []
  check(ids.length == 2 && ids.all?(&:positive?), "two-row INSERT RETURNING id: #{ids}")
  if ids.length == 2
    array = PG::TextEncoder::Array.new.encode(ids)
    retitled = ["#{NAME} batch 1", "#{NAME} batch 2"]
    results = attempt('pipelined UPDATEs') do
      pipelined(conn, ids.zip(retitled).map { |id, t| ['UPDATE github.issue SET title = $1 WHERE id = $2', [t, id]] })
    end
    (results || []).each_with_index do |result, i|
      attempt("pipelined UPDATE #{i + 1}") { result.check }
      check(result.cmd_tuples == 1, "pipelined UPDATE #{i + 1}: #{result.cmd_tuples} rows")
    end
    titles = conn.exec_params('SELECT title FROM github.issue WHERE id = ANY($1) ORDER BY id', [array]).column_values(0)
    check(titles == retitled, "titles after the pipelined UPDATEs: #{titles}")
    r = attempt('two-row DELETE') { conn.exec_params('DELETE FROM github.issue WHERE id = ANY($1)', [array]) }
    check(r&.cmd_tuples == 2, "two-row DELETE: #{r&.cmd_tuples.inspect} rows")
    left = conn.exec_params('SELECT count(*) FROM github.issue WHERE id = ANY($1)', [array]).getvalue(0, 0).to_i
    check(left.zero?, "#{left} of the two deleted issues still there")
  end

  # f) DELETE of the issue created in d).
  if created.fetch('id', 0) > 0
    r = attempt('DELETE') { conn.exec_params('DELETE FROM github.issue WHERE id = $1', [created['id']]) }
    check(r&.cmd_tuples == 1, "DELETE: #{r&.cmd_tuples.inspect} rows")
    left = conn.exec_params('SELECT count(*) FROM github.issue WHERE id = $1', [created['id']]).getvalue(0, 0).to_i
    check(left.zero?, 'deleted issue still there')
  end

  # g) inside BEGIN ... ROLLBACK the GitHub change escapes the rollback, and a NOTICE says so.
  conn.exec('BEGIN')
  notices.clear
  attempt('UPDATE in a block') do
    conn.exec_params('UPDATE github.issue SET body = $1 WHERE id = $2', ["#{NAME} rolled back", issue_id])
  end
  during_update = notices.dup
  conn.exec('ROLLBACK')
  check(during_update.any? { |n| n =~ /github/i }, "NOTICE about GitHub during the UPDATE in a block: #{during_update}")

  # h) cancel from another thread after a second (libpq's PQcancel: a CancelRequest with the BackendKeyData
  # the proxy handed out); the connection stays usable.
  canceller = Thread.new do
    sleep 1
    conn.cancel
  end
  started = Process.clock_gettime(Process::CLOCK_MONOTONIC)
  expect_error('57014', 'cancel during pg_sleep') { conn.exec('SELECT pg_sleep(30)') }
  elapsed = Process.clock_gettime(Process::CLOCK_MONOTONIC) - started
  canceller.join
  check(elapsed < 6, format('cancel took %.1f s', elapsed))
  check(conn.exec("SELECT 'still usable'").getvalue(0, 0) == 'still usable', 'connection usable after the cancel')
  conn.close
end

if ARGV.length != 4 || ARGV[0] != 'writethrough'
  puts 'usage: ruby_pg_client.rb writethrough DSN ISSUE_ID REPO_ID'
  exit 2
end
begin
  write_through(ARGV[1], Integer(ARGV[2]), Integer(ARGV[3]))
rescue PG::Error => e
  check(false, "unexpected #{sqlstate(e)} #{e.message.strip}")
end
puts $failures.empty? ? "OK #{NAME}" : "#{NAME}: #{$failures.length} failures"
exit($failures.empty? ? 0 : 1)
