// Write-through end to end: a real PostgreSQL backfilled from the GitHub simulator, the proxy with
// write-through in front of it, and real clients writing to github.issue. Every case checks three things:
// what the client saw (command tag, RETURNING, SQLSTATE/DETAIL/HINT), what the table holds, and what the
// simulator's REST API says (GitHub is the source of truth).

#include "livesyncfixture.h"
#include "proxy/protocol/messages_frontend.h"
#include "proxy/proxyserver.h"
#include "proxy/writethrough.h"
#include "proxytestsupport.h"
#include "store/pg.h"
#include "sync/githubapi.h"
#include "writingproxy.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QStandardPaths>
#include <QTest>

#include <libpq-fe.h>

#include <atomic>
#include <thread>

using namespace hubsync;

namespace {

const QByteArray writeToken = QByteArrayLiteral("ghp_writer");
const QByteArray readToken = QByteArrayLiteral("ghp_reader");

using test::WritingProxy;

struct Issue {
    qint64 id = 0;
    qint64 number = 0;
    qint64 repositoryId = 0;
    QString repo; // owner/name
};

} // namespace

class TestWriteThrough : public QObject {
    Q_OBJECT

    test::SimulatorProcess m_sim;
    QString m_dsn;
    QString m_user;
    QString m_database;
    pg::Connection m_db;
    WritingProxy m_proxy;
    WritingProxy m_readOnly;

    test::ProcessResult psql(const QString &sql, quint16 port = 0, const QByteArray &input = {}) {
        QStringList args{QStringLiteral("-X"), QStringLiteral("-At"),
                         QStringLiteral("-v"), QStringLiteral("ON_ERROR_STOP=1"),
                         QStringLiteral("-v"), QStringLiteral("VERBOSITY=verbose"),
                         QStringLiteral("-h"), QStringLiteral("127.0.0.1"),
                         QStringLiteral("-p"), QString::number(port ? port : m_proxy.server->port()),
                         QStringLiteral("-U"), m_user,
                         QStringLiteral("-d"), m_database};
        if (!sql.isEmpty())
            args << QStringLiteral("-c") << sql;
        test::ProcessOptions options;
        options.standardInput = input;
        return test::runProcess(QStringLiteral("psql"), args, options);
    }

    QString value(const QString &sql, const pg::Params &params = {}) {
        const pg::Result r = m_db.execParams(sql, params);
        return r.ok() && r.rows() > 0 ? r.text(0, 0) : QString();
    }

    Issue issue(int offset) {
        const pg::Result r = m_db.execParams(
            QStringLiteral("SELECT i.id, i.number, i.repository_id, r.full_name FROM github.issue i JOIN"
                           " github.repository r ON r.id = i.repository_id WHERE i.state = 'open' ORDER BY i.id"
                           " OFFSET $1 LIMIT 1"),
            {pg::param(qint64(offset))});
        Issue i;
        if (r.ok() && r.rows() == 1)
            i = Issue{r.toInt(0, 0), r.toInt(0, 1), r.toInt(0, 2), r.text(0, 3)};
        return i;
    }

    static QString script(const QString &name) {
        return qEnvironmentVariable("HUBSYNC_SOURCE_DIR", QStringLiteral(HUBSYNC_TEST_SOURCE_DIR)) +
               QStringLiteral("/tests/proxy/clients/") + name;
    }

    QJsonObject onGitHub(const Issue &i) {
        return m_sim.request("GET", QStringLiteral("/repos/%1/issues/%2").arg(i.repo).arg(i.number), writeToken)
            .json()
            .object();
    }

private Q_SLOTS:
    void initTestCase() {
        if (QStandardPaths::findExecutable(QStringLiteral("psql")).isEmpty())
            QSKIP("psql is not installed");
        QVERIFY2(m_sim.start({QStringLiteral("--dataset"), QStringLiteral("small"), QStringLiteral("--token"),
                              QString::fromLatin1(writeToken), QStringLiteral("--read-only-token"),
                              QString::fromLatin1(readToken)}),
                 qPrintable(m_sim.error()));
        m_dsn = test::freshSyncDatabase(QStringLiteral("writethrough"));
        QVERIFY2(!m_dsn.isEmpty(), qPrintable(test::PgTestInstance::shared().error()));
        const Config config = test::simulatorConfig(m_sim.baseUrl(), QString::fromLatin1(writeToken));
        const QString backfill = test::runBackfill(m_dsn, config);
        QVERIFY2(backfill.isEmpty(), qPrintable(backfill));
        QVERIFY(!m_db.open(m_dsn));
        const DatabaseEndpoint endpoint = pg::endpointOf(m_dsn);
        m_user = endpoint.user;
        m_database = endpoint.database;
        const QString opened = m_proxy.open(m_dsn, config);
        QVERIFY2(opened.isEmpty(), qPrintable(opened));
        const QString openedReadOnly =
            m_readOnly.open(m_dsn, test::simulatorConfig(m_sim.baseUrl(), QString::fromLatin1(readToken)));
        QVERIFY2(openedReadOnly.isEmpty(), qPrintable(openedReadOnly));
    }

    void updateAccepted() {
        const Issue i = issue(0);
        QVERIFY(i.id > 0);
        const test::ProcessResult r =
            psql(QStringLiteral("UPDATE github.issue SET title = 'accepted through the proxy' WHERE id = %1 RETURNING "
                                "title, updated_at IS NOT NULL")
                     .arg(i.id));
        QVERIFY2(r.ok(), r.describe().constData());
        QVERIFY2(r.out.contains("accepted through the proxy|t"), r.out.constData());
        QVERIFY2(r.out.contains("UPDATE 1"), r.out.constData());
        QCOMPARE(onGitHub(i).value(QStringLiteral("title")).toString(), QStringLiteral("accepted through the proxy"));
        QCOMPARE(value(QStringLiteral("SELECT title FROM github.issue WHERE id = $1"), {pg::param(i.id)}),
                 QStringLiteral("accepted through the proxy"));
        // The row holds GitHub's answer, raw included.
        QCOMPARE(value(QStringLiteral("SELECT raw->>'title' FROM github.issue WHERE id = $1"), {pg::param(i.id)}),
                 QStringLiteral("accepted through the proxy"));
        QVERIFY(value(QStringLiteral("SELECT count(*) FROM hubsync.write_log WHERE issue_id = $1 AND outcome = "
                                     "'applied' AND operation LIKE 'PATCH %'"),
                      {pg::param(i.id)})
                    .toInt() >= 1);
    }

    void updateRefusedByGitHub() {
        const Issue i = issue(1);
        const QString before = value(QStringLiteral("SELECT state FROM github.issue WHERE id = $1"), {pg::param(i.id)});
        const test::ProcessResult r =
            psql(QStringLiteral("UPDATE github.issue SET state = 'bogus' WHERE id = %1").arg(i.id));
        QVERIFY(!r.ok());
        QVERIFY2(r.err.contains("ERROR:  23514:"), r.err.constData());
        QVERIFY2(r.err.contains("HTTP 422"), r.err.constData());
        QVERIFY2(r.err.contains("\"field\":\"state\""), r.err.constData()); // errors[] in DETAIL
        QVERIFY2(r.err.contains("HINT:"), r.err.constData());
        QCOMPARE(value(QStringLiteral("SELECT state FROM github.issue WHERE id = $1"), {pg::param(i.id)}), before);
        QCOMPARE(onGitHub(i).value(QStringLiteral("state")).toString(), before);
    }

    void updateRefusedForPermission() {
        const Issue i = issue(2);
        const QString before = value(QStringLiteral("SELECT title FROM github.issue WHERE id = $1"), {pg::param(i.id)});
        const test::ProcessResult r =
            psql(QStringLiteral("UPDATE github.issue SET title = 'not allowed' WHERE id = %1").arg(i.id),
                 m_readOnly.server->port());
        QVERIFY(!r.ok());
        QVERIFY2(r.err.contains("ERROR:  42501:"), r.err.constData());
        QVERIFY2(r.err.contains("HTTP 403"), r.err.constData());
        QVERIFY2(r.err.contains("issues: write"), r.err.constData()); // the HINT names the permission
        QCOMPARE(value(QStringLiteral("SELECT title FROM github.issue WHERE id = $1"), {pg::param(i.id)}), before);
        QCOMPARE(onGitHub(i).value(QStringLiteral("title")).toString(), before);
    }

    void insertReturningAndDelete() {
        const Issue i = issue(0);
        const test::ProcessResult r =
            psql(QStringLiteral(
                     "INSERT INTO github.issue (repository_id, title, body, label_names) VALUES (%1, 'created "
                     "through the proxy', 'body', '[\"bug\", \"brand-new-label\"]') RETURNING id, number, node_id "
                     "IS NOT NULL, html_url IS NOT NULL")
                     .arg(i.repositoryId));
        QVERIFY2(r.ok(), r.describe().constData());
        QVERIFY2(r.out.contains("INSERT 0 1"), r.out.constData());
        const QList<QByteArray> fields = r.out.split('\n').first().split('|');
        QCOMPARE(fields.size(), 4);
        const Issue created{fields.at(0).toLongLong(), fields.at(1).toLongLong(), i.repositoryId, i.repo};
        QVERIFY2(created.id > 0, r.out.constData()); // GitHub's id, not the negative placeholder
        QVERIFY(created.number > 0);
        QCOMPARE(fields.at(2), QByteArray("t"));
        const QJsonObject github = onGitHub(created);
        QCOMPARE(qint64(github.value(QStringLiteral("id")).toDouble()), created.id);
        QCOMPARE(github.value(QStringLiteral("title")).toString(), QStringLiteral("created through the proxy"));
        // Labels: GitHub created the new one; the link table follows GitHub's answer.
        QCOMPARE(value(QStringLiteral("SELECT string_agg(l.name, ',' ORDER BY l.name) FROM github.issue_label il JOIN "
                                      "github.label l ON l.id = il.label_id WHERE il.issue_id = $1"),
                       {pg::param(created.id)}),
                 QStringLiteral("brand-new-label,bug"));
        QCOMPARE(value(QStringLiteral("SELECT count(*) FROM github.issue WHERE id < 0")), QStringLiteral("0"));

        const test::ProcessResult deleted =
            psql(QStringLiteral("DELETE FROM github.issue WHERE id = %1 RETURNING number").arg(created.id));
        QVERIFY2(deleted.ok(), deleted.describe().constData());
        QVERIFY2(deleted.out.contains("DELETE 1"), deleted.out.constData());
        const int status =
            m_sim.request("GET", QStringLiteral("/repos/%1/issues/%2").arg(i.repo).arg(created.number), writeToken)
                .status;
        QVERIFY2(status == 404 || status == 410, QByteArray::number(status).constData());
        QCOMPARE(value(QStringLiteral("SELECT count(*) FROM github.issue WHERE id = $1"), {pg::param(created.id)}),
                 QStringLiteral("0"));
    }

    void insertWithGitHubAssignedColumnIsRefused() {
        const Issue i = issue(0);
        const test::ProcessResult r =
            psql(QStringLiteral("INSERT INTO github.issue (id, repository_id, title) VALUES (42, %1, 'x')")
                     .arg(i.repositoryId));
        QVERIFY(!r.ok());
        QVERIFY2(r.err.contains("ERROR:  0A000:") && r.err.contains("id is assigned by GitHub"), r.err.constData());
        QCOMPARE(value(QStringLiteral("SELECT count(*) FROM github.issue WHERE id = 42")), QStringLiteral("0"));
    }

    void readOnlyColumnIsRefused() {
        const Issue i = issue(0);
        const test::ProcessResult r =
            psql(QStringLiteral("UPDATE github.issue SET comments = 99 WHERE id = %1").arg(i.id));
        QVERIFY(!r.ok());
        QVERIFY2(r.err.contains("ERROR:  0A000:") && r.err.contains("comments"), r.err.constData());
        QVERIFY2(r.err.contains("Nothing was sent to GitHub"), r.err.constData());
    }

    void updateMatchingNothing() {
        const test::ProcessResult r = psql(QStringLiteral("UPDATE github.issue SET title = 'x' WHERE id = -12345"));
        QVERIFY2(r.ok(), r.describe().constData());
        QVERIFY2(r.out.contains("UPDATE 0"), r.out.constData());
    }

    void statementErrorIsPostgresOwn() {
        const test::ProcessResult r = psql(QStringLiteral("UPDATE github.issue SET title = 1/0 WHERE id > 0"));
        QVERIFY(!r.ok());
        QVERIFY2(r.err.contains("ERROR:  22012:"), r.err.constData()); // division_by_zero, from PostgreSQL
    }

    void transactionRollbackKeepsGitHubVersion() {
        const Issue i = issue(3);
        const QByteArray script =
            QStringLiteral("BEGIN;\nUPDATE github.issue SET body = 'escaped the rollback' WHERE id = %1;\n"
                           "SELECT body FROM github.issue WHERE id = %1;\nROLLBACK;\n")
                .arg(i.id)
                .toUtf8();
        const test::ProcessResult r = psql({}, 0, script);
        QVERIFY2(r.ok(), r.describe().constData());
        QVERIFY2(r.err.contains("NOTICE:") && r.err.contains("does not undo it"), r.err.constData());
        QVERIFY2(r.out.contains("escaped the rollback"), r.out.constData());
        QCOMPARE(onGitHub(i).value(QStringLiteral("body")).toString(), QStringLiteral("escaped the rollback"));
        // After the ROLLBACK the table is reconciled with GitHub, not left at the pre-statement value.
        QCOMPARE(value(QStringLiteral("SELECT body FROM github.issue WHERE id = $1"), {pg::param(i.id)}),
                 QStringLiteral("escaped the rollback"));
    }

    // The session prepares its own statements and creates its capture table once; a client that drops
    // them (DISCARD, DEALLOCATE, DROP), a failed statement in the same batch, and a ROLLBACK of the block
    // that created the table inside the client's transaction must not break the next write.
    void sessionStateSurvivesTheClient() {
        const Issue i = issue(4); // also moves the row in the heap, which multiRowFailureIsCompensated copes with
        QVERIFY(i.id > 0);
        const QByteArray script = QStringLiteral("\\set ON_ERROR_STOP 0\n"
                                                 "UPDATE github.issue SET title = 1/0 WHERE id = %1;\n"
                                                 "UPDATE github.issue SET title = 'state one' WHERE id = %1;\n"
                                                 "DISCARD ALL;\n"
                                                 "UPDATE github.issue SET title = 'state two' WHERE id = %1;\n"
                                                 "DEALLOCATE ALL;\n"
                                                 "DROP TABLE pg_temp.hubsync_capture;\n"
                                                 "UPDATE github.issue SET title = 'state three' WHERE id = %1;\n"
                                                 "DISCARD TEMP;\n"
                                                 "BEGIN;\n"
                                                 "UPDATE github.issue SET title = 'state four' WHERE id = %1;\n"
                                                 "ROLLBACK;\n"
                                                 "UPDATE github.issue SET title = 'state five' WHERE id = %1 "
                                                 "RETURNING title;\n")
                                      .arg(i.id)
                                      .toUtf8();
        const test::ProcessResult r = psql({}, 0, script);
        QVERIFY2(r.err.contains("22012"), r.err.constData()); // division_by_zero, PostgreSQL's own
        QCOMPARE(r.err.count("ERROR:"), 1);
        QCOMPARE(r.out.count("UPDATE 1"), 5);
        QVERIFY2(r.out.contains("state five"), r.out.constData());
        QCOMPARE(onGitHub(i).value(QStringLiteral("title")).toString(), QStringLiteral("state five"));
        QCOMPARE(value(QStringLiteral("SELECT title FROM github.issue WHERE id = $1"), {pg::param(i.id)}),
                 QStringLiteral("state five"));
    }

    // A statement the client prepared before the session kept anything (so nothing was looked for at
    // its Parse) that drops every prepared statement when it runs later: the next write must still
    // reach GitHub, and never be stored without it.
    void clientDeallocatesLater() {
        const Issue i = issue(9);
        QVERIFY(i.id > 0);
        // libpq blocks: the client runs on a thread of its own while this one serves the proxy.
        const QString conninfo = QStringLiteral("host=127.0.0.1 port=%1 user=%2 dbname=%3")
                                     .arg(m_proxy.server->port())
                                     .arg(m_user, m_database);
        QStringList failures;
        std::atomic<bool> done = false;
        std::thread client([&] {
            pg::Connection db;
            if (const Error e = db.open(conninfo)) {
                failures << e.message;
            } else {
                const auto check = [&](pg::Result r, const char *step) {
                    if (!r.ok())
                        failures << QStringLiteral("%1: %2").arg(QLatin1String(step), r.errorMessage());
                };
                check(pg::Result(PQprepare(db.handle(), "drop_them", "DEALLOCATE ALL", 0, nullptr)), "prepare");
                const QString update = QStringLiteral("UPDATE github.issue SET title = '%1' WHERE id = %2");
                check(db.exec(update.arg(QStringLiteral("first title")).arg(i.id)), "first update");
                check(pg::Result(PQexecPrepared(db.handle(), "drop_them", 0, nullptr, nullptr, nullptr, 0)),
                      "deallocate");
                check(db.exec(update.arg(QStringLiteral("second title")).arg(i.id)), "second update");
            }
            done = true;
        });
        const bool finished = QTest::qWaitFor([&] { return done.load(); }, 60000);
        client.join();
        QVERIFY(finished);
        QVERIFY2(failures.isEmpty(), qPrintable(failures.join(QStringLiteral("; "))));
        QCOMPARE(onGitHub(i).value(QStringLiteral("title")).toString(), QStringLiteral("second title"));
        QCOMPARE(value(QStringLiteral("SELECT title FROM github.issue WHERE id = $1"), {pg::param(i.id)}),
                 QStringLiteral("second title"));
    }

    // A client's own SET hubsync.capture = on (session-wide) makes the second run capture rows too: they
    // must not be taken for the next statement's rows and sent to GitHub again.
    void clientCaptureSettingRepeatsNothing() {
        const Issue first = issue(10);
        const Issue second = issue(11);
        QVERIFY(first.id > 0 && second.id > 0);
        const test::ProcessResult r =
            psql({}, 0,
                 QStringLiteral("SET hubsync.capture = on;\n"
                                "UPDATE github.issue SET title = 'captured once' WHERE id = %1;\n"
                                "UPDATE github.issue SET title = 'captured twice?' WHERE id = %2;\n")
                     .arg(first.id)
                     .arg(second.id)
                     .toUtf8());
        QVERIFY2(r.ok(), r.describe().constData());
        QCOMPARE(value(QStringLiteral("SELECT count(*) FROM hubsync.write_log WHERE issue_id = $1 AND"
                                      " request->>'title' = 'captured once'"),
                       {pg::param(first.id)}),
                 QStringLiteral("1"));
        QCOMPARE(onGitHub(second).value(QStringLiteral("title")).toString(), QStringLiteral("captured twice?"));
    }

    // A raw client's segment with a write and then COPY FROM STDIN (libpq cannot pipeline COPY; the
    // protocol allows it): the proxy fails the COPY (it ran the segment's steps itself), the rest of the
    // segment is skipped as after any error, GitHub keeps the write and the table follows GitHub.
    void copyAfterWriteInSegmentFails() {
        const Issue i = issue(12);
        QVERIFY(i.id > 0);
        test::RawClient client;
        QVERIFY(client.connectTo(m_proxy.server->port()));
        QVERIFY(client.startup(m_user, m_database));
        client.send(proxy::protocol::Query{"CREATE TEMP TABLE copy_target (x int)"}.encode());
        QCOMPARE(test::untilReady(client), QByteArray("CZ:I"));
        QByteArray segment;
        segment += proxy::protocol::Parse{
            "",
            QStringLiteral("UPDATE github.issue SET title = 'before a copy' WHERE id = %1").arg(i.id).toUtf8(),
            {}}.encode();
        segment += proxy::protocol::Bind{"", "", {}, {}, {}}.encode();
        segment += proxy::protocol::Execute{"", 0}.encode();
        segment += proxy::protocol::Parse{"", "COPY copy_target FROM STDIN", {}}.encode();
        segment += proxy::protocol::Bind{"", "", {}, {}, {}}.encode();
        segment += proxy::protocol::Execute{"", 0}.encode();
        segment += proxy::protocol::Sync{}.encode();
        client.send(segment);
        QCOMPARE(test::untilReady(client), QByteArray("12C12GE(57014)Z:I"));
        client.send(proxy::protocol::Query{"SELECT 1"}.encode());
        QCOMPARE(test::untilReady(client), QByteArray("TDCZ:I"));
        QCOMPARE(onGitHub(i).value(QStringLiteral("title")).toString(), QStringLiteral("before a copy"));
        QVERIFY(QTest::qWaitFor(
            [&] {
                return value(QStringLiteral("SELECT title FROM github.issue WHERE id = $1"), {pg::param(i.id)}) ==
                       QStringLiteral("before a copy");
            },
            10000));
    }

    // Message orders of drivers that wait for answers before their Sync (asyncpg, postgres.js: Parse,
    // Describe, Flush, then Bind, Execute, Sync) and other orders the protocol allows. Each segment's
    // trace is what the client reads up to its Flush, then up to its ReadyForQuery ('|' between Syncs); `title` is what
    // GitHub and the table hold afterwards (empty: unchanged), `notes` the rows a non-issue INSERT of the
    // same segment left (it shares the segment's transaction, so a refused write takes it back).
    void messageOrders_data() {
        QTest::addColumn<int>("offset");
        QTest::addColumn<QString>("order");
        QTest::addColumn<QByteArray>("beforeFlush");
        QTest::addColumn<QByteArray>("afterFlush");
        QTest::addColumn<bool>("accepted");
        QTest::addColumn<int>("notes");
        QTest::newRow("describe statement, flush, bind")
            << 15 << "PDS F BE S" << QByteArray("1tn") << QByteArray("2CZ:I") << true << 0;
        QTest::newRow("describe portal, flush, execute")
            << 16 << "PBDP F E S" << QByteArray("12n") << QByteArray("CZ:I") << true << 0;
        QTest::newRow("insert, flush, write")
            << 17 << "N F PDS F BE S" << QByteArray("12C1tn") << QByteArray("2CZ:I") << true << 1;
        QTest::newRow("insert, flush, refused write")
            << 18 << "N F PDS F BE! S" << QByteArray("12C1tn") << QByteArray("2E(23514)Z:I") << false << 0;
        QTest::newRow("error, flush, write skipped")
            << 19 << "X F PDS BE S" << QByteArray("1E(22012)") << QByteArray("Z:I") << false << 0;
        QTest::newRow("write, flush, write")
            << 20 << "PBE F BE S" << QByteArray("12C") << QByteArray("2CZ:I") << true << 0;
        QTest::newRow("refused write, flush, rest skipped")
            << 21 << "PBE! F N S" << QByteArray("12E(23514)") << QByteArray("Z:I") << false << 0;
        QTest::newRow("in a block: describe, flush, bind")
            << 15 << "[ PDS F BE S ]" << QByteArray("1tn") << QByteArray("2NCZ:T") << true << 1;
        QTest::newRow("unnamed statement parsed again before the execute")
            << 16 << "PuB P1 E S" << QByteArray() << QByteArray("121CZ:I") << true << 0;
        QTest::newRow("parse in an earlier segment, bind and execute alone (lib/pq)")
            << 20 << "U PDS S BE S" << QByteArray() << QByteArray("1tnZ:I|2CZ:I") << true << 0;
        QTest::newRow("write, flush, a query ends the segment")
            << 19 << "PBE F Q" << QByteArray("12C") << QByteArray("TDCZ:I") << true << 0;
        QTest::newRow("describe, flush, write, a query instead of sync")
            << 20 << "PDS F BE Q" << QByteArray("1tn") << QByteArray("2CTDCZ:I") << true << 0;
        QTest::newRow("row limit, portal suspended, rest fetched")
            << 17 << "PRBE1 E S" << QByteArray() << QByteArray("12DsCZ:I") << true << 0;
        QTest::newRow("row limit, flush, rest fetched after the flush")
            << 18 << "PRBE1 F E S" << QByteArray("12Ds") << QByteArray("CZ:I") << true << 0;
        QTest::newRow("in a block: suspended, rest fetched in the next segment")
            << 19 << "[ PRBE1 S E S ]" << QByteArray() << QByteArray("12DNsZ:T|CZ:T") << true << 1;
    }

    void messageOrders() {
        namespace p = proxy::protocol;
        QFETCH(int, offset);
        QFETCH(QString, order);
        QFETCH(QByteArray, beforeFlush);
        QFETCH(QByteArray, afterFlush);
        QFETCH(bool, accepted);
        QFETCH(int, notes);
        const Issue i = issue(offset);
        QVERIFY(i.id > 0);
        const QString before = onGitHub(i).value(QStringLiteral("title")).toString();
        const QByteArray title = QStringLiteral("order %1").arg(offset).toUtf8();
        test::RawClient client;
        QVERIFY(client.connectTo(m_proxy.server->port()));
        QVERIFY(client.startup(m_user, m_database));
        client.send(p::Query{"CREATE TEMP TABLE order_notes (x int)"}.encode());
        QCOMPARE(test::untilReady(client), QByteArray("CZ:I"));
        const QByteArray update = "UPDATE github.issue SET title = $1, state = $2 WHERE id = $3";
        QByteArray name = "w"; // the write's statement ("U" switches to the unnamed one)
        const auto bind = [&](bool refused) {
            return p::Bind{"", name, {}, {title, refused ? "bogus" : "open", QByteArray::number(i.id)}, {}}.encode();
        };
        QByteArray wire;
        QByteArray trace;
        qsizetype syncs = 0;
        for (const QString &step : order.split(QLatin1Char(' '))) {
            if (step == QLatin1String("[")) {
                client.send(p::Query{"BEGIN"}.encode());
                QCOMPARE(test::untilReady(client), QByteArray("CZ:T"));
                client.send(p::Query{"INSERT INTO order_notes VALUES (1)"}.encode());
                QCOMPARE(test::untilReady(client), QByteArray("CZ:T"));
            } else if (step == QLatin1String("]")) {
                client.send(p::Query{"COMMIT"}.encode());
                QCOMPARE(test::untilReady(client), QByteArray("CZ:I"));
            } else if (step == QLatin1String("N")) { // a non-issue INSERT in the segment
                wire += p::Parse{"", "INSERT INTO order_notes VALUES (1)", {}}.encode() +
                        p::Bind{"", "", {}, {}, {}}.encode() + p::Execute{"", 0}.encode();
            } else if (step == QLatin1String("X")) { // a statement that fails
                wire += p::Parse{"", "SELECT 1/0", {}}.encode() + p::Bind{"", "", {}, {}, {}}.encode() +
                        p::Execute{"", 0}.encode();
            } else if (step == QLatin1String("P1")) { // the unnamed statement parsed again
                wire += p::Parse{"", "SELECT 1", {}}.encode();
            } else if (step == QLatin1String("PuB")) { // the write as the unnamed statement, bound
                wire += p::Parse{"", update, {}}.encode() +
                        p::Bind{"", "", {}, {title, "open", QByteArray::number(i.id)}, {}}.encode();
            } else if (step == QLatin1String("U")) {
                name.clear();
            } else if (step.startsWith(QLatin1String("P"))) { // Parse of the write
                wire += p::Parse{
                    name,
                    step.startsWith(QLatin1String("PR")) ? update + " RETURNING id" : update,
                    {}}.encode();
                if (step.contains(QLatin1String("DS")))
                    wire += p::Describe{p::ObjectKind::Statement, name}.encode();
                if (step.contains(QLatin1Char('B')))
                    wire += bind(step.endsWith(QLatin1Char('!')));
                if (step.contains(QLatin1String("DP")))
                    wire += p::Describe{p::ObjectKind::Portal, ""}.encode();
                if (step.contains(QLatin1Char('E')))
                    wire += p::Execute{"", step.endsWith(QLatin1String("E1")) ? 1 : 0}.encode();
            } else if (step.startsWith(QLatin1String("BE"))) {
                wire += bind(step.endsWith(QLatin1Char('!'))) + p::Execute{"", 0}.encode();
            } else if (step == QLatin1String("E")) {
                wire += p::Execute{"", 0}.encode();
            } else if (step == QLatin1String("F")) {
                client.send(std::exchange(wire, {}) + p::Flush{}.encode());
            } else if (step == QLatin1String("S") || step == QLatin1String("Q")) {
                // What the Flushes brought: everything that comes before the Sync is sent.
                while (const std::optional<p::Frame> frame = client.next(500)) {
                    trace += frame->type;
                    if (frame->type == 'E')
                        trace += "(" + test::errorField(*frame, p::field::sqlState) + ")";
                }
                QCOMPARE(std::exchange(trace, {}), beforeFlush);
                client.send(std::exchange(wire, {}) +
                            (step == QLatin1String("S") ? p::Sync{}.encode() : p::Query{"SELECT 1"}.encode()));
                QCOMPARE(test::untilReady(client), afterFlush.split('|').value(syncs++));
            }
        }
        client.send(p::Query{"SELECT count(*) FROM order_notes"}.encode());
        const std::optional<p::Frame> row = client.waitFor('D');
        QVERIFY(row);
        const p::Result<p::DataRow> count = p::DataRow::decode(row->payload);
        QVERIFY(count && count->values.size() == 1);
        QCOMPARE(count->values.first().value_or(QByteArray()), QByteArray::number(notes));
        const QString expected = accepted ? QString::fromUtf8(title) : before;
        QCOMPARE(onGitHub(i).value(QStringLiteral("title")).toString(), expected);
        QVERIFY(QTest::qWaitFor(
            [&] {
                return value(QStringLiteral("SELECT title FROM github.issue WHERE id = $1"), {pg::param(i.id)}) ==
                       expected;
            },
            10000));
    }

    void refusalInsideTransactionAbortsIt() {
        const Issue i = issue(1);
        const QByteArray script =
            QStringLiteral("\\set ON_ERROR_STOP 0\nBEGIN;\nUPDATE github.issue SET state = 'bogus' "
                           "WHERE id = %1;\nSELECT 1;\nROLLBACK;\n")
                .arg(i.id)
                .toUtf8();
        const test::ProcessResult r = psql({}, 0, script);
        QVERIFY2(r.err.contains("23514"), r.err.constData());
        QVERIFY2(r.err.contains("25P02"), r.err.constData()); // in_failed_sql_transaction, as after any error
    }

    void multiRowFailureIsCompensated() {
        Issue first = issue(4);
        Issue second = issue(5);
        QVERIFY(first.repo == second.repo);
        // The statement's rows reach GitHub in the order PostgreSQL updates them, which follows the heap
        // (rows updated earlier moved): the same statement, rolled back, tells which one comes second.
        const QString statement =
            QStringLiteral("UPDATE github.issue SET title = title || ' (batch)' WHERE id IN (%1, %2)")
                .arg(first.id)
                .arg(second.id);
        QVERIFY(!m_db.run(QStringLiteral("BEGIN")));
        const pg::Result order = m_db.exec(statement + QStringLiteral(" RETURNING id"));
        QVERIFY(!m_db.run(QStringLiteral("ROLLBACK")));
        QVERIFY(order.ok() && order.rows() == 2);
        if (order.toInt(0, 0) != first.id)
            std::swap(first, second);
        const QString firstTitle = onGitHub(first).value(QStringLiteral("title")).toString();
        QJsonObject fault{{QStringLiteral("method"), QStringLiteral("PATCH")},
                          {QStringLiteral("path"), QStringLiteral("/issues/%1$").arg(second.number)},
                          {QStringLiteral("count"), 1},
                          {QStringLiteral("kind"), QStringLiteral("status")},
                          {QStringLiteral("status"), 422}};
        QCOMPARE(m_sim
                     .request("PUT", QStringLiteral("/_sim/faults"), {},
                              QJsonDocument(QJsonObject{{QStringLiteral("faults"), QJsonArray{fault}}}).toJson())
                     .status,
                 200);
        const test::ProcessResult r = psql(statement);
        m_sim.request("DELETE", QStringLiteral("/_sim/faults"));
        QVERIFY(!r.ok());
        QVERIFY2(r.err.contains("23514"), r.err.constData());
        QVERIFY2(r.err.contains("changed back"), r.err.constData()); // DETAIL: what became of row 1
        QCOMPARE(onGitHub(first).value(QStringLiteral("title")).toString(), firstTitle);
        QCOMPARE(value(QStringLiteral("SELECT title FROM github.issue WHERE id = $1"), {pg::param(first.id)}),
                 firstTitle);
    }

    void staleRowIsRefusedAndRefreshed() {
        const Issue i = issue(6);
        // Someone edits the title on GitHub; HubSync has not synced it yet.
        const auto edited = m_sim.request(
            "PATCH", QStringLiteral("/_sim/repos/%1/issues/%2").arg(i.repo).arg(i.number), {},
            QJsonDocument(QJsonObject{{QStringLiteral("title"), QStringLiteral("edited on GitHub")}}).toJson());
        QCOMPARE(edited.status, 200);
        const test::ProcessResult r =
            psql(QStringLiteral("UPDATE github.issue SET title = 'edited through the proxy' WHERE id = %1").arg(i.id));
        QVERIFY(!r.ok());
        QVERIFY2(r.err.contains("ERROR:  40001:"), r.err.constData());
        QCOMPARE(onGitHub(i).value(QStringLiteral("title")).toString(), QStringLiteral("edited on GitHub"));
        QCOMPARE(value(QStringLiteral("SELECT title FROM github.issue WHERE id = $1"), {pg::param(i.id)}),
                 QStringLiteral("edited on GitHub"));
    }

    void lockAndUnlock() {
        const Issue i = issue(7);
        test::ProcessResult r = psql(QStringLiteral("UPDATE github.issue SET locked = true, active_lock_reason = "
                                                    "'resolved' WHERE id = %1 RETURNING locked, active_lock_reason")
                                         .arg(i.id));
        QVERIFY2(r.ok(), r.describe().constData());
        QVERIFY2(r.out.contains("t|resolved"), r.out.constData());
        QCOMPARE(onGitHub(i).value(QStringLiteral("locked")).toBool(), true);
        r = psql(QStringLiteral("UPDATE github.issue SET locked = false WHERE id = %1 RETURNING locked").arg(i.id));
        QVERIFY2(r.ok(), r.describe().constData());
        QCOMPARE(onGitHub(i).value(QStringLiteral("locked")).toBool(), false);
    }

    void extendedProtocolWithPgbench() {
        if (QStandardPaths::findExecutable(QStringLiteral("pgbench")).isEmpty())
            QSKIP("pgbench is not installed");
        const Issue i = issue(8);
        QTemporaryDir dir;
        const QString script = dir.filePath(QStringLiteral("write.sql"));
        QFile file(script);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write(QStringLiteral("UPDATE github.issue SET body = 'pgbench ' || :client_id WHERE id = %1;\n")
                       .arg(i.id)
                       .toUtf8());
        file.close();
        for (const QString &mode : {QStringLiteral("simple"), QStringLiteral("extended"), QStringLiteral("prepared")}) {
            const test::ProcessResult r = test::runProcess(
                QStringLiteral("pgbench"),
                {QStringLiteral("-n"), QStringLiteral("-M"), mode, QStringLiteral("-t"), QStringLiteral("6"),
                 QStringLiteral("-f"), script, QStringLiteral("-h"), QStringLiteral("127.0.0.1"), QStringLiteral("-p"),
                 QString::number(m_proxy.server->port()), QStringLiteral("-U"), m_user, m_database});
            QVERIFY2(r.ok(), r.describe().constData());
            QVERIFY2(r.out.contains("number of failed transactions: 0"), r.out.constData());
        }
        QCOMPARE(onGitHub(i).value(QStringLiteral("body")).toString(), QStringLiteral("pgbench 0"));
    }

    // The real clients of tests/proxy/clients, each on an issue of its own: SELECT, an accepted and a
    // refused UPDATE, INSERT .. RETURNING id, DELETE, BEGIN .. ROLLBACK with the NOTICE, a cancel.
    void realClients_data() {
        QTest::addColumn<QString>("program");
        QTest::addColumn<QStringList>("arguments");
        QTest::addColumn<QString>("ok");
        QTest::addColumn<int>("offset");
        const QString python = test::pythonWith(QStringLiteral("psycopg2"));
        const QString python3 = test::pythonWith(QStringLiteral("psycopg"));
        QTest::newRow("psql") << QStringLiteral("sh") << QStringList{script(QStringLiteral("psql_client.sh"))}
                              << QStringLiteral("OK psql") << 10;
        QTest::newRow("psycopg2") << python << QStringList{script(QStringLiteral("psycopg2_client.py"))}
                                  << QStringLiteral("OK psycopg2") << 11;
        QTest::newRow("psycopg3") << python3 << QStringList{script(QStringLiteral("psycopg3_client.py"))}
                                  << QStringLiteral("OK psycopg") << 12;
        QTest::newRow("node-pg") << QStandardPaths::findExecutable(QStringLiteral("node"))
                                 << QStringList{script(QStringLiteral("node_pg_client.js"))}
                                 << QStringLiteral("OK node-pg") << 13;
        QTest::newRow("pgjdbc") << QStandardPaths::findExecutable(QStringLiteral("java"))
                                << QStringList{QStringLiteral("-cp"), QStringLiteral("/usr/share/java/postgresql.jar"),
                                               script(QStringLiteral("PgJdbcClient.java"))}
                                << QStringLiteral("OK pgjdbc") << 14;
        // Drivers that wait for the statement's description before binding (Parse, Describe, Flush).
        QTest::newRow("asyncpg") << test::pythonWith(QStringLiteral("asyncpg"))
                                 << QStringList{script(QStringLiteral("asyncpg_client.py"))}
                                 << QStringLiteral("OK asyncpg") << 15;
        QTest::newRow("postgres.js") << QStandardPaths::findExecutable(QStringLiteral("node"))
                                     << QStringList{script(QStringLiteral("postgres_js_client.js"))}
                                     << QStringLiteral("OK postgres.js") << 16;
        // Go: built from Debian's sources in GOPATH mode by the wrapper.
        const QString go = QStandardPaths::findExecutable(QStringLiteral("go")).isEmpty()
                               ? QString()
                               : QStandardPaths::findExecutable(QStringLiteral("sh"));
        QTest::newRow("pgx") << go
                             << QStringList{script(QStringLiteral("go_client.sh")),
                                            script(QStringLiteral("go_pgx_client.go"))}
                             << QStringLiteral("OK pgx") << 17;
        QTest::newRow("lib/pq") << go
                                << QStringList{script(QStringLiteral("go_client.sh")),
                                               script(QStringLiteral("go_pq_client.go"))}
                                << QStringLiteral("OK lib/pq") << 18;
        QTest::newRow("dbd-pg") << QStandardPaths::findExecutable(QStringLiteral("perl"))
                                << QStringList{script(QStringLiteral("perl_dbd_pg_client.pl"))}
                                << QStringLiteral("OK dbd-pg") << 19;
        QTest::newRow("ruby-pg") << QStandardPaths::findExecutable(QStringLiteral("ruby"))
                                 << QStringList{script(QStringLiteral("ruby_pg_client.rb"))}
                                 << QStringLiteral("OK ruby-pg") << 20;
        QTest::newRow("php-pdo") << QStandardPaths::findExecutable(QStringLiteral("php"))
                                 << QStringList{script(QStringLiteral("php_pdo_client.php"))}
                                 << QStringLiteral("OK php-pdo") << 21;
#ifdef HUBSYNC_LIBPQXX_CLIENT
        QTest::newRow("libpqxx") << QStringLiteral(HUBSYNC_LIBPQXX_CLIENT) << QStringList{}
                                 << QStringLiteral("OK libpqxx") << 3;
#endif
    }

    void realClients() {
        QFETCH(QString, program);
        QFETCH(QStringList, arguments);
        QFETCH(QString, ok);
        QFETCH(int, offset);
        if (program.isEmpty())
            QSKIP("the client is not installed (see installer/install-deps.sh)");
        const Issue i = issue(offset);
        QVERIFY(i.id > 0);
        const QString dsn = QStringLiteral("host=127.0.0.1 port=%1 dbname=%2 user=%3 connect_timeout=10")
                                .arg(m_proxy.server->port())
                                .arg(m_database, m_user);
        test::ProcessOptions options;
        options.timeoutMs = 180000; // pgJDBC compiles its source first; writes are paced a second apart
        options.environment << QStringLiteral("NODE_PATH=") + QStringLiteral(HUBSYNC_NODE_MODULES);
        const test::ProcessResult r =
            test::runProcess(program,
                             arguments + QStringList{QStringLiteral("writethrough"), dsn, QString::number(i.id),
                                                     QString::number(i.repositoryId)},
                             options);
        QVERIFY2(r.ok() && r.out.contains(ok.toUtf8()), r.describe().constData());
        // GitHub has what the client's accepted UPDATE wrote, and the table agrees with it.
        const QString title = onGitHub(i).value(QStringLiteral("title")).toString();
        QVERIFY2(title.contains(QStringLiteral("accepted")), qPrintable(title));
        QCOMPARE(value(QStringLiteral("SELECT title FROM github.issue WHERE id = $1"), {pg::param(i.id)}), title);
    }
};

HUBSYNC_PROXY_TEST_MAIN(TestWriteThrough)
#include "tst_writethrough.moc"
