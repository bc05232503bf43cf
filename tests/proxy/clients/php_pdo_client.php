<?php
// Drives the HubSync proxy's write-through with PHP's PDO pgsql driver (libpq underneath), with real prepared
// statements (PDO::ATTR_EMULATE_PREPARES false; PDO's ? placeholders become $1, $2, ...): each PDOStatement
// is a named server-side statement (PQprepare: Parse/Sync on its first execute) that every execute()
// binds and runs (PQexecPrepared: Bind/Describe/Execute/Sync). One statement uses emulated prepares instead:
// PDO quotes the values into the text and sends a simple Query. PDO (PHP 8.2) has neither a notice handler
// nor a cancel: instead of the NOTICE of the write inside BEGIN ... ROLLBACK, the row's state after the
// ROLLBACK is checked.
//
// Usage: php php_pdo_client.php writethrough DSN ISSUE_ID REPO_ID
// DSN is a libpq key=value string (pdo_pgsql hands it to libpq). Prints `FAIL: ...` per failed check and
// `OK php-pdo` when all passed; exits 1 on any failure, 2 on a wrong command line.

const NAME = 'php-pdo';
$failures = [];

function check(bool $condition, string $what): bool
{
    global $failures;
    if (!$condition) {
        $failures[] = $what;
        echo "FAIL: $what\n";
    }
    return $condition;
}

// SQLSTATE and the first line of libpq's message (DETAIL: and HINT: lines follow it in errorInfo[2]).
function describe(PDOException $e): string
{
    return ($e->errorInfo[0] ?? $e->getCode()) . ' ' . strtok((string)($e->errorInfo[2] ?? $e->getMessage()), "\n");
}

// Prepares and executes `$sql` with `$params`; a failure is a failed check (the scenario goes on), null.
function attempt(PDO $pdo, string $what, string $sql, array $params, array $options = []): ?PDOStatement
{
    try {
        $stmt = $pdo->prepare($sql, $options);
        $stmt->execute($params);
        return $stmt;
    } catch (PDOException $e) {
        check(false, "$what: " . describe($e));
        return null;
    }
}

// Executes, checks that it fails with `$sqlstate`, and returns libpq's whole message (or null).
function expectError(PDO $pdo, string $sqlstate, string $what, string $sql, array $params): ?string
{
    try {
        $pdo->prepare($sql)->execute($params);
    } catch (PDOException $e) {
        $state = $e->errorInfo[0] ?? $e->getCode();
        check($state === $sqlstate, "$what: SQLSTATE $state, expected $sqlstate (" . describe($e) . ')');
        return $state === $sqlstate ? (string)$e->errorInfo[2] : null;
    }
    check(false, "$what: no error");
    return null;
}

// Checks that a statement ran (it is not null) and changed `$want` rows.
function affected(?PDOStatement $stmt, int $want, string $what): void
{
    check($stmt !== null && $stmt->rowCount() === $want, "$what: " . ($stmt ? $stmt->rowCount() : '-') . ' rows');
}

function rows(PDO $pdo, string $sql, array $params): array
{
    $stmt = $pdo->prepare($sql);
    $stmt->execute($params);
    return $stmt->fetchAll(PDO::FETCH_NUM);
}

function writeThrough(string $dsn, int $issueId, int $repoId): void
{
    $pdo = new PDO("pgsql:$dsn", null, null, [
        PDO::ATTR_ERRMODE => PDO::ERRMODE_EXCEPTION,
        PDO::ATTR_EMULATE_PREPARES => false,
    ]);
    $titleAndState = fn() => rows($pdo, 'SELECT title, state FROM github.issue WHERE id = ?', [$issueId]);

    // a) the issue is there.
    $found = rows($pdo, 'SELECT title FROM github.issue WHERE id = ?', [$issueId]);
    check(count($found) === 1, "SELECT of issue $issueId gives " . count($found) . ' rows');

    // b) an UPDATE GitHub accepts: first with emulated prepares (a simple Query with the values quoted in),
    // then as a real prepared statement. (Both titles say "accepted": whichever is the
    // last to reach GitHub is what the test finds there.)
    $stmt = attempt($pdo, 'emulated UPDATE', 'UPDATE github.issue SET title = ? WHERE id = ?',
                    [NAME . ' accepted (emulated)', $issueId], [PDO::ATTR_EMULATE_PREPARES => true]);
    affected($stmt, 1, 'emulated UPDATE');
    $accepted = NAME . ' accepted';
    $stmt = attempt($pdo, 'accepted UPDATE', 'UPDATE github.issue SET title = ? WHERE id = ?', [$accepted, $issueId]);
    affected($stmt, 1, 'accepted UPDATE');
    $before = $titleAndState();
    check(count($before) === 1 && $before[0][0] === $accepted,
          'title after the accepted UPDATE: ' . json_encode($before));

    // c) an UPDATE GitHub rejects (422 -> 23514) leaves the row as it was.
    $error = expectError($pdo, '23514', 'rejected UPDATE', "UPDATE github.issue SET state = 'bogus' WHERE id = ?",
                         [$issueId]);
    if ($error !== null) {
        check((bool)preg_match('/DETAIL:.*422/', $error), "rejection DETAIL names 422: $error");
        check(str_contains($error, 'HINT:'), 'rejection has a HINT');
    }
    $after = $titleAndState();
    check($after === $before, 'row unchanged after the rejection: ' . json_encode($after));

    // d) INSERT ... RETURNING gets GitHub's id and number (placeholders would be negative).
    $stmt = attempt($pdo, 'INSERT RETURNING', "INSERT INTO github.issue (repository_id, title, body) " .
                    "VALUES (?, ?, 'body') RETURNING id, number", [$repoId, NAME . ' new']);
    $created = $stmt ? $stmt->fetch(PDO::FETCH_ASSOC) : false;
    check($created && $created['id'] > 0 && $created['number'] > 0, 'INSERT RETURNING id, number: ' .
          json_encode($created));

    // e) several rows: one INSERT of two rows, both retitled by one prepared statement executed twice, then
    // one DELETE of both with an array parameter (PDO binds strings: a PostgreSQL array literal).
    $stmt = attempt($pdo, 'two-row INSERT', "INSERT INTO github.issue (repository_id, title, body) " .
                    "VALUES (?, ?, 'body'), (?, ?, 'body') RETURNING id",
                    [$repoId, NAME . ' pair 1', $repoId, NAME . ' pair 2']);
    $ids = $stmt ? array_map('intval', $stmt->fetchAll(PDO::FETCH_COLUMN)) : [];
    check(count($ids) === 2 && min($ids) > 0, 'two-row INSERT RETURNING id: ' . json_encode($ids));
    if (count($ids) === 2) {
        $array = '{' . implode(',', $ids) . '}';
        $retitled = [NAME . ' batch 1', NAME . ' batch 2'];
        try {
            $update = $pdo->prepare('UPDATE github.issue SET title = ? WHERE id = ?');
            foreach ($ids as $i => $id) {
                $update->execute([$retitled[$i], $id]);
                affected($update, 1, 'prepared UPDATE run ' . ($i + 1));
            }
        } catch (PDOException $e) {
            check(false, 'prepared UPDATE: ' . describe($e));
        }
        $titles = array_column(rows($pdo, 'SELECT title FROM github.issue WHERE id = ANY(?::bigint[]) ORDER BY id',
                                    [$array]), 0);
        check($titles === $retitled, 'titles after the prepared UPDATEs: ' . json_encode($titles));
        $stmt = attempt($pdo, 'two-row DELETE', 'DELETE FROM github.issue WHERE id = ANY(?::bigint[])', [$array]);
        affected($stmt, 2, 'two-row DELETE');
        $left = rows($pdo, 'SELECT count(*) FROM github.issue WHERE id = ANY(?::bigint[])', [$array])[0][0];
        check($left == 0, "$left of the two deleted issues still there");
    }

    // f) DELETE of the issue created in d).
    if ($created && $created['id'] > 0) {
        $stmt = attempt($pdo, 'DELETE', 'DELETE FROM github.issue WHERE id = ?', [$created['id']]);
        affected($stmt, 1, 'DELETE');
        $left = rows($pdo, 'SELECT count(*) FROM github.issue WHERE id = ?', [$created['id']])[0][0];
        check($left == 0, 'deleted issue still there');
    }

    // g) inside BEGIN ... ROLLBACK the GitHub change escapes the rollback: the NOTICE saying so is not visible
    // through PDO, but the proxy stores GitHub's version of the row again when the block ends.
    $pdo->beginTransaction();
    $stmt = attempt($pdo, 'UPDATE in a block', 'UPDATE github.issue SET body = ? WHERE id = ?',
                    [NAME . ' rolled back', $issueId]);
    affected($stmt, 1, 'UPDATE in a block');
    $pdo->rollBack();
    $body = rows($pdo, 'SELECT body FROM github.issue WHERE id = ?', [$issueId]);
    check(($body[0][0] ?? null) === NAME . ' rolled back', 'the ROLLBACK kept GitHub\'s body: ' . json_encode($body));
}

if ($argc !== 5 || $argv[1] !== 'writethrough') {
    echo "usage: php_pdo_client.php writethrough DSN ISSUE_ID REPO_ID\n";
    exit(2);
}
try {
    writeThrough($argv[2], (int)$argv[3], (int)$argv[4]);
} catch (PDOException $e) {
    check(false, 'unexpected ' . describe($e));
}
echo $failures ? NAME . ': ' . count($failures) . " failures\n" : 'OK ' . NAME . "\n";
exit($failures ? 1 : 0);
