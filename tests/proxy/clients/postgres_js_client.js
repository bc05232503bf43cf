'use strict';
// Drives the HubSync proxy's write-through with postgres.js (npm `postgres` v3, pure JavaScript protocol
// implementation). A tagged template with parameters is prepared as a named statement: the first run sends
// Parse/Describe/Flush to learn the parameter types, then Bind/Execute/Sync - in one pipeline segment, no
// Sync between the Flush and the Execute. sql.unsafe() without parameters sends a simple Query. Queries
// returned together from sql.begin() are pipelined inside BEGIN ... COMMIT. Notices reach `onnotice`.
//
// Usage: node postgres_js_client.js writethrough DSN ISSUE_ID REPO_ID
// DSN is a libpq key=value string or a postgres:// URL. `postgres` is found through NODE_PATH (the build
// installs it under the build tree next to `pg`). Prints `FAIL: ...` per failed check, `OK postgres.js` when
// all passed; exits 1 on any failure, 2 on a wrong command line.

const postgres = require('postgres');

const NAME = 'postgres.js';
const failures = [];

function check(condition, what) {
    if (!condition) {
        failures.push(what);
        console.log('FAIL: ' + what);
    }
    return condition;
}

// libpq's key=value conninfo (values optionally single-quoted) as postgres.js options; a URL as is.
function connect(dsn, options) {
    if (/^postgres(ql)?:\/\//.test(dsn))
        return postgres(dsn, options);
    const keys = {};
    const pattern = /(\w+)\s*=\s*(?:'((?:[^'\\]|\\.)*)'|(\S+))/g;
    for (let m = pattern.exec(dsn); m; m = pattern.exec(dsn))
        keys[m[1]] = m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : m[3];
    return postgres({
        host : keys.host,
        port : keys.port ? Number(keys.port) : undefined,
        database : keys.dbname,
        username : keys.user,
        password : keys.password,
        connect_timeout : keys.connect_timeout ? Number(keys.connect_timeout) : undefined,
        ...options
    });
}

// One line for an error: SQLSTATE and message.
function describe(e) { return (e.code ? e.code + ' ' : '') + e.message; }

// Awaits `query` (a query or a promise); a failure is a failed check (the scenario goes on) and gives null.
async function attempt(what, query) {
    try {
        return await query;
    } catch (e) {
        check(false, what + ': ' + describe(e));
        return null;
    }
}

// Awaits `query`, checks that it fails with `sqlState`, and returns the error (or {}).
async function expectError(sqlState, what, query) {
    try {
        await query;
    } catch (e) {
        check(e.code === sqlState, what + ': SQLSTATE ' + e.code + ', expected ' + sqlState + ' (' + e.message + ')');
        return e;
    }
    check(false, what + ': no error');
    return {};
}

async function writeThrough(dsn, issueId, repoId) {
    const notices = [];
    // One connection (max: 1), so that every query below runs in the same session.
    const sql = connect(dsn, {max : 1, onnotice : (notice) => notices.push(notice.message || '')});
    const titleAndState = async () => [...await sql`SELECT title, state FROM github.issue WHERE id = ${issueId}`];

    // a) the issue is there (parameterised: Parse/Describe/Flush, Bind/Execute/Sync).
    let rows = await sql`SELECT title FROM github.issue WHERE id = ${issueId}`;
    check(rows.length === 1, 'SELECT issue ' + issueId + ': ' + rows.length + ' rows');

    // b) an UPDATE GitHub accepts: first without parameters through the simple protocol, then parameterised.
    // (Both titles say "accepted": whichever is the last to reach GitHub is what the test finds there.)
    let r = await attempt('simple-protocol UPDATE', sql.unsafe(`UPDATE github.issue SET title = '${NAME} accepted ` +
                                                               `(simple)' WHERE id = ${issueId}`));
    check(r !== null && r.count === 1, 'simple-protocol UPDATE: ' + (r && r.count) + ' rows');
    const accepted = NAME + ' accepted';
    r = await attempt('accepted UPDATE', sql`UPDATE github.issue SET title = ${accepted} WHERE id = ${issueId}`);
    check(r !== null && r.count === 1, 'accepted UPDATE: ' + (r && r.count) + ' rows');
    const before = await titleAndState();
    check(before.length === 1 && before[0].title === accepted,
          'title after the accepted UPDATE: ' + JSON.stringify(before));

    // c) an UPDATE GitHub rejects (422 -> 23514) leaves the row as it was.
    const e = await expectError('23514', 'rejected UPDATE',
                                sql`UPDATE github.issue SET state = 'bogus' WHERE id = ${issueId}`);
    if (e.code === '23514') {
        check(Boolean(e.message), 'rejection has a message');
        check(String(e.detail || '').includes('422'), 'rejection DETAIL names 422: ' + e.detail);
        check(Boolean(e.hint), 'rejection has a HINT');
    }
    const after = await titleAndState();
    check(JSON.stringify(after) === JSON.stringify(before),
          'row unchanged after the rejection: ' + JSON.stringify(after));

    // d) INSERT ... RETURNING gets GitHub's id and number (placeholders would be negative; postgres.js
    // gives bigint as a string).
    r = await attempt('INSERT RETURNING', sql`INSERT INTO github.issue (repository_id, title, body)
                                              VALUES (${repoId}, ${NAME + ' new'}, 'body') RETURNING id, number`);
    const created = (r && r[0]) || {};
    check(Number(created.id) > 0 && Number(created.number) > 0,
          'INSERT RETURNING id ' + created.id + ', number ' + created.number);

    // e) several rows: one INSERT of two rows (the sql(rows, columns) helper writes the VALUES list), both
    // retitled by two UPDATEs pipelined in one transaction (sql.begin with an array of queries), then one
    // DELETE of both (the sql(ids) helper writes the IN list).
    const pair = [ 1, 2 ].map((n) => ({repository_id : repoId, title : NAME + ' pair ' + n, body : 'body'}));
    r = await attempt('two-row INSERT', sql`INSERT INTO github.issue ${sql(pair, 'repository_id', 'title', 'body')}
                                            RETURNING id`);
    const ids = (r || []).map((row) => row.id);
    check(ids.length === 2 && ids.every((id) => Number(id) > 0), 'two-row INSERT RETURNING id: ' + ids);
    if (ids.length === 2) {
        const retitled = ids.map((id, n) => NAME + ' batch ' + (n + 1));
        r = await attempt(
            'pipelined UPDATEs in sql.begin',
            sql.begin((tx) => ids.map((id, n) => tx`UPDATE github.issue SET title = ${retitled[n]} WHERE id = ${id}`)));
        check(r !== null && r.every((result) => result.count === 1),
              'pipelined UPDATEs: ' + (r && r.map((result) => result.count)) + ' rows');
        rows = await sql`SELECT title FROM github.issue WHERE id IN ${sql(ids)} ORDER BY id`;
        check(JSON.stringify(rows.map((row) => row.title)) === JSON.stringify(retitled),
              'titles after the pipelined UPDATEs: ' + JSON.stringify(rows.map((row) => row.title)));
        r = await attempt('two-row DELETE', sql`DELETE FROM github.issue WHERE id IN ${sql(ids)}`);
        check(r !== null && r.count === 2, 'two-row DELETE: ' + (r && r.count) + ' rows');
        rows = await sql`SELECT count(*)::int AS c FROM github.issue WHERE id IN ${sql(ids)}`;
        check(rows[0].c === 0, rows[0].c + ' of the two deleted issues still there');
    }

    // f) DELETE of the issue created in d).
    if (Number(created.id) > 0) {
        r = await attempt('DELETE', sql`DELETE FROM github.issue WHERE id = ${created.id}`);
        check(r !== null && r.count === 1, 'DELETE: ' + (r && r.count) + ' rows');
        rows = await sql`SELECT count(*)::int AS c FROM github.issue WHERE id = ${created.id}`;
        check(rows[0].c === 0, 'deleted issue still there');
    }

    // g) inside BEGIN ... ROLLBACK the GitHub change escapes the rollback, and a NOTICE says so. sql.begin()
    // rolls back when its callback throws.
    const rollback = new Error('rollback');
    let duringUpdate = [];
    try {
        await sql.begin(async (tx) => {
            notices.length = 0;
            await attempt('UPDATE in a block',
                          tx`UPDATE github.issue SET body = ${NAME + ' rolled back'} WHERE id = ${issueId}`);
            duringUpdate = [...notices ];
            throw rollback;
        });
    } catch (e) {
        if (e !== rollback)
            check(false, 'BEGIN ... ROLLBACK: ' + describe(e));
    }
    check(duringUpdate.some((n) => /github/i.test(n)),
          'NOTICE about GitHub during the UPDATE in a block: ' + JSON.stringify(duringUpdate));

    // h) cancel: query.cancel() sends a CancelRequest with the BackendKeyData the proxy handed out.
    const sleep = sql`SELECT pg_sleep(30)`;
    const timer = setTimeout(() => sleep.cancel(), 1000);
    const started = Date.now();
    await expectError('57014', 'cancel during pg_sleep', sleep);
    clearTimeout(timer);
    check(Date.now() - started < 6000, 'cancel took ' + (Date.now() - started) + ' ms');
    rows = await sql`SELECT 'still usable' AS s`;
    check(rows[0].s === 'still usable', 'connection usable after the cancel');
    await sql.end({timeout : 5});
}

async function main(args) {
    if (args.length !== 4 || args[0] !== 'writethrough') {
        console.log('usage: postgres_js_client.js writethrough DSN ISSUE_ID REPO_ID');
        process.exit(2);
    }
    await writeThrough(args[1], Number(args[2]), Number(args[3]));
}

main(process.argv.slice(2))
    .then(
        () => {
            if (failures.length === 0)
                console.log('OK ' + NAME);
            else
                console.log(NAME + ': ' + failures.length + ' failures');
            process.exit(failures.length ? 1 : 0);
        },
        (e) => {
            console.log('FAIL: unexpected ' + (e.code ? e.code + ' ' : '') + (e.stack || e));
            process.exit(1);
        });
