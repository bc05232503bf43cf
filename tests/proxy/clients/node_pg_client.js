'use strict';
// Drives the HubSync proxy with node-postgres (`pg`, pure JavaScript protocol implementation): plain
// queries (simple protocol), parameterised queries (unnamed Parse/Bind/Execute), named prepared queries
// ({name, text, values}: Parse once, then Bind/Execute only), notices and a protocol-level cancel.
//
// Usage: node node_pg_client.js DSN                                  pass-through checks (tst_proxy)
//        node node_pg_client.js writethrough DSN ISSUE_ID REPO_ID    write-through checks (tst_writethrough)
// DSN is a libpq key=value string or a postgres:// URL. `pg` is found through NODE_PATH (the build installs
// it under the build tree). Prints `FAIL: ...` per failed check, `OK node-pg` when all passed; exits 1 on
// any failure.

const net = require('net');
const {Client, Query} = require('pg');

const failures = [];

function check(condition, what) {
    if (!condition) {
        failures.push(what);
        console.log('FAIL: ' + what);
    }
}

// libpq's key=value conninfo (values optionally single-quoted) or a URL, as a `pg` config.
function configFrom(dsn) {
    if (/^postgres(ql)?:\/\//.test(dsn))
        return {connectionString : dsn};
    const keys = {};
    const pattern = /(\w+)\s*=\s*(?:'((?:[^'\\]|\\.)*)'|(\S+))/g;
    for (let m = pattern.exec(dsn); m; m = pattern.exec(dsn))
        keys[m[1]] = m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : m[3];
    const config = {
        host : keys.host,
        port : keys.port ? Number(keys.port) : undefined,
        database : keys.dbname,
        user : keys.user,
        password : keys.password
    };
    if (keys.connect_timeout)
        config.connectionTimeoutMillis = Number(keys.connect_timeout) * 1000;
    return config;
}

async function connect(dsn) {
    const client = new Client(configFrom(dsn));
    client.notices = [];
    client.on('notice', (notice) => client.notices.push(notice));
    await client.connect();
    return client;
}

// Runs `query` and returns the error it fails with, or null if it succeeded.
async function errorOf(client, query, values) {
    try {
        await client.query(query, values);
        return null;
    } catch (e) {
        return e;
    }
}

function checkError(error, sqlState, what) {
    check(error !== null, what + ': no error');
    if (error)
        check(error.code === sqlState,
              what + ': SQLSTATE ' + error.code + ', expected ' + sqlState + ' (' + error.message + ')');
    return error || {};
}

// A CancelRequest (protocol v3: length 16, code 80877102, pid, secret) on a new connection, built from
// the BackendKeyData the client received: the keys the proxy handed out, not the server's.
function rawCancel(config, processID, secretKey) {
    return new Promise((resolve, reject) => {
        const socket = net.connect(config.port || 5432, config.host || '127.0.0.1', () => {
            const packet = Buffer.alloc(16);
            packet.writeInt32BE(16, 0);
            packet.writeInt32BE(80877102, 4);
            packet.writeInt32BE(processID, 8);
            packet.writeInt32BE(secretKey, 12);
            socket.end(packet);
        });
        socket.on('error', reject);
        socket.on('close', resolve);
    });
}

// The driver's own cancel when this `pg` has it (an undocumented Client method that sends the
// CancelRequest over the calling client's fresh connection), else the raw CancelRequest.
async function driverCancel(dsn, victim, query) {
    if (typeof Client.prototype.cancel === 'function') {
        const canceller = new Client(configFrom(dsn));
        canceller.on('error', () => {}); // the server closes the cancel connection without a reply
        canceller.cancel(victim, query);
        return 'pg Client.cancel';
    }
    await rawCancel(configFrom(dsn), victim.processID, victim.secretKey);
    return 'raw CancelRequest';
}

// pg_sleep(30) cancelled after a second through `cancel(client, query)`; the connection stays usable.
async function checkCancel(client, what, cancel) {
    check(Number.isInteger(client.processID) && client.secretKey !== null, what + ': BackendKeyData received');
    // A submittable Query (not a promise) so that the cancel can name it.
    const sleep = new Query('SELECT pg_sleep(30)');
    const done = new Promise((resolve) => {
        sleep.on('error', resolve);
        sleep.on('end', () => resolve(null));
    });
    const started = Date.now();
    client.query(sleep);
    const timer = setTimeout(() => cancel(client, sleep).catch((e) => check(false, what + ': ' + e)), 1000);
    const error = await done;
    clearTimeout(timer);
    checkError(error, '57014', what);
    check(Date.now() - started < 6000, what + ': took ' + (Date.now() - started) + ' ms');
    const after = await client.query("SELECT 'still usable' AS s");
    check(after.rows[0].s === 'still usable', what + ': connection usable after the cancel');
}

async function passThrough(dsn) {
    const client = await connect(dsn);

    // Plain query: simple protocol, several statements in one string.
    const plain = await client.query("SELECT 40 + 2 AS answer; SELECT 'two' AS second");
    check(Array.isArray(plain) && plain.length === 2, 'multi-statement plain query gives two results');
    check(plain[0].rows[0].answer === 42 && plain[1].rows[0].second === 'two', 'plain query results');

    // Parameterised: unnamed statement and portal, text parameters.
    const bound = await client.query('SELECT $1::int + 1 AS n, $2::text AS t', [ 41, "it's \u00e9" ]);
    check(bound.rows[0].n === 42 && bound.rows[0].t === "it's \u00e9", 'parameterised SELECT');
    const label = await client.query('SELECT name FROM github.repository WHERE id = $1', [ 1 ]);
    check(label.rowCount === 1 && label.rows[0].name === 'bug', 'parameterised SELECT of github.repository');

    // Named prepared query: parsed once on the server, later runs only Bind/Execute.
    for (let i = 0; i < 6; ++i) {
        const r = await client.query({name : 'node_double', text : 'SELECT $1::int * 2 AS d', values : [ i ]});
        check(r.rows[0].d === i * 2, 'named prepared query run ' + i);
    }
    const prepared =
        await client.query("SELECT count(*)::int AS c FROM pg_prepared_statements WHERE name = $1", [ 'node_double' ]);
    check(prepared.rows[0].c === 1, 'named statement node_double exists on the server');

    // Refusals: a read-only synced table (simple and extended protocol), and issue writes while
    // write-through is off.
    let e = checkError(await errorOf(client, "UPDATE github.repository SET name = 'x' WHERE id = 1"), '25006',
                       'plain UPDATE github.repository');
    check(e.detail !== undefined && e.hint !== undefined, 'refusal has a DETAIL and a HINT');
    e = checkError(await errorOf(client, 'UPDATE github.repository SET name = $1 WHERE id = $2', [ 'x', 1 ]), '25006',
                   'parameterised UPDATE github.repository');
    check(e.hint !== undefined, 'extended refusal has a HINT');
    checkError(
        await errorOf(client, {name : 'node_refused', text : 'DELETE FROM github.repository WHERE id = $1', values : [ 2 ]}),
        '25006', 'named DELETE github.repository');
    e = checkError(await errorOf(client, 'UPDATE github.issue SET title = $1 WHERE id = $2', [ 'x', 1 ]), '0A000',
                   'UPDATE github.issue');
    check(String(e.message).includes('write-through'), 'issue refusal names write-through: ' + e.message);
    const labels = await client.query("SELECT string_agg(name, ',' ORDER BY id) AS names FROM github.repository");
    check(labels.rows[0].names === 'bug,docs', 'github.repository unchanged after the refusals');
    const refusedName =
        await client.query("SELECT count(*)::int AS c FROM pg_prepared_statements WHERE name = 'node_refused'");
    check(refusedName.rows[0].c === 0, 'the refused named statement was never created');

    // Extended-protocol errors from the server itself: a bad parameter fails at Bind, a failing named
    // statement fails at Execute; the session goes on.
    checkError(await errorOf(client, 'SELECT $1::int AS n', [ 'not a number' ]), '22P02', 'bad parameter at Bind');
    checkError(await errorOf(client, {name : 'node_divide', text : 'SELECT 1 / $1::int AS q', values : [ 0 ]}), '22012',
               'named statement failing at Execute');
    const again = await client.query({name : 'node_divide', text : 'SELECT 1 / $1::int AS q', values : [ 1 ]});
    check(again.rows[0].q === 1, 'named statement usable after its failed run');
    checkError(await errorOf(client, 'SELEC 1'), '42601', 'syntax error in a plain query');

    // BEGIN ... ROLLBACK, and a refusal aborting the transaction block.
    await client.query('BEGIN');
    await client.query('INSERT INTO notes (body) VALUES ($1)', [ 'node rollback' ]);
    await client.query('ROLLBACK');
    const gone = await client.query("SELECT count(*)::int AS c FROM notes WHERE body = 'node rollback'");
    check(gone.rows[0].c === 0, 'ROLLBACK undid the INSERT');
    await client.query('BEGIN');
    checkError(await errorOf(client, 'UPDATE github.repository SET name = $1', [ 'y' ]), '25006', 'refusal in a block');
    checkError(await errorOf(client, 'SELECT 1'), '25P02', 'statement after a refusal in a block');
    await client.query('ROLLBACK');

    // Cancel: the driver's own, then a raw CancelRequest with the keys the client captured.
    await checkCancel(client, 'cancel (driver)', (victim, query) => driverCancel(dsn, victim, query));
    await checkCancel(client, 'cancel (raw CancelRequest)',
                      (victim) => rawCancel(configFrom(dsn), victim.processID, victim.secretKey));
    await client.end();
}

async function writeThrough(dsn, issueId, repoId) {
    const client = await connect(dsn);
    const select = async () =>
        (await client.query('SELECT title, state FROM github.issue WHERE id = $1', [ issueId ])).rows;

    // a) the issue is there.
    let rows = await select();
    check(rows.length === 1, 'SELECT issue ' + issueId + ': ' + rows.length + ' rows');

    // b) an UPDATE GitHub accepts, parameterised and then as a named prepared query.
    let r = await client.query('UPDATE github.issue SET title = $1 WHERE id = $2', [ 'node-pg accepted', issueId ]);
    check(r.rowCount === 1, 'accepted UPDATE: ' + r.rowCount + ' rows');
    rows = await select();
    check(rows.length === 1 && rows[0].title === 'node-pg accepted', 'title after the accepted UPDATE');
    for (let i = 1; i <= 3; ++i) {
        r = await client.query({
            name : 'node_wt_title',
            text : 'UPDATE github.issue SET title = $1 WHERE id = $2',
            values : [ 'node-pg accepted ' + i, issueId ]
        });
        check(r.rowCount === 1, 'named accepted UPDATE run ' + i + ': ' + r.rowCount + ' rows');
    }
    r = await client.query('UPDATE github.issue SET title = $1 WHERE id = $2', [ 'node-pg accepted', issueId ]);
    check(r.rowCount === 1, 'accepted UPDATE back to the first title');
    const before = await select();

    // c) an UPDATE GitHub rejects (422 -> 23514) leaves the row as it was.
    const e = checkError(await errorOf(client, "UPDATE github.issue SET state = 'bogus' WHERE id = $1", [ issueId ]),
                         '23514', 'rejected UPDATE');
    check(Boolean(e.message), 'rejection has a message');
    check(String(e.detail || '').includes('422'), 'rejection DETAIL names 422: ' + e.detail);
    check(Boolean(e.hint), 'rejection has a HINT');
    rows = await select();
    check(JSON.stringify(rows) === JSON.stringify(before),
          'row unchanged after the rejection: ' + JSON.stringify(rows));

    // d) INSERT ... RETURNING gets GitHub's id and number (placeholders would be negative).
    r = await client.query('INSERT INTO github.issue (repository_id, title, body) VALUES ($1, $2, $3) ' +
                               'RETURNING id, number',
                           [ repoId, 'node-pg new', 'body' ]);
    check(r.rowCount === 1, 'INSERT: ' + r.rowCount + ' rows');
    const created = r.rows[0] || {};
    check(Number(created.id) > 0 && Number(created.number) > 0,
          'INSERT RETURNING id ' + created.id + ', number ' + created.number);

    // e) DELETE of the new issue.
    if (Number(created.id) > 0) {
        r = await client.query('DELETE FROM github.issue WHERE id = $1', [ created.id ]);
        check(r.rowCount === 1, 'DELETE: ' + r.rowCount + ' rows');
        const left = await client.query('SELECT count(*)::int AS c FROM github.issue WHERE id = $1', [ created.id ]);
        check(left.rows[0].c === 0, 'deleted issue still there');
    }

    // f) inside BEGIN ... ROLLBACK the GitHub change escapes the rollback, and a NOTICE says so.
    await client.query('BEGIN');
    const noticesBefore = client.notices.length;
    await client.query('UPDATE github.issue SET body = $1 WHERE id = $2', [ 'node-pg rolled back', issueId ]);
    const notices = client.notices.slice(noticesBefore);
    await client.query('ROLLBACK');
    check(notices.some((n) => /github/i.test(n.message)),
          'NOTICE about GitHub during the UPDATE in a block: ' + JSON.stringify(notices.map((n) => n.message)));

    // g) cancel.
    await checkCancel(client, 'cancel', (victim, query) => driverCancel(dsn, victim, query));
    await client.end();
}

async function main(args) {
    if (args[0] === 'writethrough' && args.length === 4)
        await writeThrough(args[1], Number(args[2]), Number(args[3]));
    else if (args.length === 1 && args[0] !== 'writethrough')
        await passThrough(args[0]);
    else {
        console.log('usage: node_pg_client.js DSN | writethrough DSN ISSUE_ID REPO_ID');
        process.exit(2);
    }
}

main(process.argv.slice(2))
    .then(
        () => {
            if (failures.length === 0)
                console.log('OK node-pg');
            else
                console.log('node-pg: ' + failures.length + ' failures');
            process.exit(failures.length ? 1 : 0);
        },
        (e) => {
            console.log('FAIL: unexpected ' + (e.code ? e.code + ' ' : '') + (e.stack || e));
            process.exit(1);
        });
