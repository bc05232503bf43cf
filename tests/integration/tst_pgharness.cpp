#include "pgtestinstance.h"
#include "store/migrations.h"
#include "store/pg.h"

#include <QTest>

using namespace hubsync;
using hubsync::test::PgTestInstance;

// Proves the harness: a real server, one database per test case, parameterised round trips.
class TestPgHarness : public QObject {
    Q_OBJECT
private Q_SLOTS:
    // `hubsync psql --database DSN` hands psql the connection string without its password (which goes to
    // PGPASSWORD, out of sight of `ps`), every other parameter kept, quoting included.
    void conninfoWithoutPassword() {
        QString password;
        const QString rest = pg::conninfoWithoutPassword(
            QStringLiteral("host=db.example port=6543 user=me password='s3 cr\\'et' dbname='my db' sslmode=require"),
            &password);
        QCOMPARE(password, QStringLiteral("s3 cr'et"));
        QVERIFY2(!rest.contains(QStringLiteral("s3")), qPrintable(rest));
        const DatabaseEndpoint endpoint = pg::endpointOf(rest);
        QCOMPARE(endpoint.host, QStringLiteral("db.example"));
        QCOMPARE(endpoint.port, 6543);
        QCOMPARE(endpoint.database, QStringLiteral("my db"));
        QCOMPARE(endpoint.password, QString());
        QVERIFY2(rest.contains(QStringLiteral("sslmode='require'")), qPrintable(rest));
    }

    void init() {
        m_dsn = PgTestInstance::shared().createDatabase(QString::fromLatin1(QTest::currentTestFunction()));
        QVERIFY2(!m_dsn.isEmpty(), qPrintable(PgTestInstance::shared().error()));
        QVERIFY2(!m_db.open(m_dsn), qPrintable(m_db.lastError()));
    }

    void cleanup() {
        m_db.close();
        PgTestInstance::shared().dropDatabase(m_dsn);
    }

    void roundTrip() {
        QVERIFY(!m_db.run(QStringLiteral("CREATE TABLE t (id bigint PRIMARY KEY, title text, body text)")));
        const QString nasty = QStringLiteral("it's \"quoted\"; DROP TABLE t; -- ✓\ttab\nnewline");
        QVERIFY(!m_db.run(QStringLiteral("INSERT INTO t VALUES ($1, $2, $3)"),
                          {pg::param(qint64(9007199254740993)), pg::param(nasty), pg::nullParam()}));
        const pg::Result r = m_db.execParams(QStringLiteral("SELECT id, title, body FROM t WHERE id = $1"),
                                             {pg::param(qint64(9007199254740993))});
        QVERIFY2(r.ok(), qPrintable(r.errorMessage()));
        QCOMPARE(r.rows(), 1);
        QCOMPARE(r.toInt(0, 0), qint64(9007199254740993));
        QCOMPARE(r.text(0, 1), nasty);
        QVERIFY(r.isNull(0, 2));
    }

    void copyRoundTrip() {
        QVERIFY(!m_db.run(QStringLiteral("CREATE TABLE c (id int, v text)")));
        QByteArray data;
        for (int i = 0; i < 1000; ++i) {
            data += QByteArray::number(i) + '\t';
            pg::copyEscape(data, QByteArray("line\\") + QByteArray::number(i) + "\nnext\ttab");
            data += '\n';
        }
        const Error e = m_db.copyIn(QStringLiteral("COPY c FROM STDIN"), data);
        QVERIFY2(!e, qPrintable(e.message));
        const pg::Result r = m_db.exec(QStringLiteral("SELECT count(*), max(v) FILTER (WHERE id = 7) FROM c"));
        QCOMPARE(r.toInt(0, 0), qint64(1000));
        QCOMPARE(r.text(0, 1), QStringLiteral("line\\7\nnext\ttab"));
    }

    void errorsCarrySqlState() {
        const pg::Result r = m_db.exec(QStringLiteral("SELECT * FROM missing_table"));
        QVERIFY(!r.ok());
        QCOMPARE(r.sqlState(), QStringLiteral("42P01"));
        const Error e = m_db.run(QStringLiteral("SELECT 1/0"), {}, QStringLiteral("division"));
        QCOMPARE(e.kind, Error::Kind::Database);
        QVERIFY(e.message.contains(QStringLiteral("division")));
    }

    void databasesAreIsolated() {
        const QString other = PgTestInstance::shared().createDatabase(QStringLiteral("other"));
        QVERIFY(!other.isEmpty());
        QVERIFY(other != m_dsn);
        QVERIFY(!m_db.run(QStringLiteral("CREATE TABLE only_here (x int)")));
        pg::Connection second;
        QVERIFY(!second.open(other));
        QVERIFY(!second.exec(QStringLiteral("SELECT * FROM only_here")).ok());
        second.close();
        PgTestInstance::shared().dropDatabase(other);
    }

    void migrationsAreIdempotent() {
        {
            Migrator migrator(m_db, QStringLiteral("github"));
            QVERIFY(!migrator.migrate(builtinMigrations()));
            QCOMPARE(migrator.currentVersion(), builtinMigrations().last().version);
        }
        Migrator again(m_db, QStringLiteral("github"));
        QVERIFY(!again.migrate(builtinMigrations()));
        const pg::Result r = m_db.exec(QStringLiteral("SELECT count(*) FROM hubsync.schema_migrations"));
        QCOMPARE(r.toInt(0, 0), qint64(builtinMigrations().size()));
        QVERIFY(m_db.exec(QStringLiteral("SELECT 1 FROM pg_namespace WHERE nspname = 'github'")).rows() == 1);
    }

    // Data-schema migrations (>= 100) run once per --schema, engine-state ones once per database.
    void dataSchemaMigrationsRunOncePerSchema() {
        const QList<Migration> migrations =
            withDataTable(builtinMigrations(), QStringLiteral("CREATE TABLE {schema}.thing (id int)"));
        for (const QString &schema : {QStringLiteral("github"), QStringLiteral("other"), QStringLiteral("github")}) {
            Migrator migrator(m_db, schema);
            const Error e = migrator.migrate(migrations);
            QVERIFY2(!e, qPrintable(e.message));
            QCOMPARE(migrator.currentVersion(), firstDataSchemaVersion);
        }
        QVERIFY(m_db.exec(QStringLiteral("SELECT * FROM github.thing")).ok());
        QVERIFY(m_db.exec(QStringLiteral("SELECT * FROM other.thing")).ok());
        const pg::Result r = m_db.exec(
            QStringLiteral("SELECT data_schema, count(*) FROM hubsync.schema_migrations GROUP BY 1 ORDER BY 1"));
        QCOMPARE(r.rows(), 3);
        QCOMPARE(r.text(0, 0), QStringLiteral("github"));
        QCOMPARE(r.toInt(0, 1), qint64(1));
        QCOMPARE(r.text(1, 0), QStringLiteral("hubsync"));
        QCOMPARE(r.toInt(1, 1), qint64(builtinMigrations().size()));
        QCOMPARE(r.text(2, 0), QStringLiteral("other"));
        QCOMPARE(r.toInt(2, 1), qint64(1));
    }

    // A database migrated before bookkeeping was per schema (key: version alone) and before cursors had
    // a schema: nothing is re-run, its rows keep their schema, and a second schema then gets its tables.
    void upgradesBookkeepingKeyedByVersionOnly() {
        QList<Migration> before;
        for (const Migration &m : builtinMigrations()) {
            if (m.version <= 6)
                before << m;
        }
        QVERIFY(!Migrator(m_db, QStringLiteral("custom"))
                     .migrate(withDataTable(before, QStringLiteral("CREATE TABLE {schema}.thing (id int)"))));
        // Back to the old layout, as the previous release left it.
        QVERIFY(!m_db.run(QStringLiteral("UPDATE hubsync.schema_migrations SET data_schema = 'custom'")));
        QVERIFY(!m_db.run(QStringLiteral("ALTER TABLE hubsync.schema_migrations DROP CONSTRAINT "
                                         "schema_migrations_pkey, ADD PRIMARY KEY (version)")));
        QVERIFY(!m_db.run(QStringLiteral("INSERT INTO hubsync.sync_cursor (repository_id, collection, phase)"
                                         " VALUES (1, 'issue', 'done')")));
        QVERIFY(!m_db.run(QStringLiteral("INSERT INTO hubsync.reaction_todo VALUES (1, 'issue', 3, '/x')")));

        const QList<Migration> all =
            withDataTable(builtinMigrations(), QStringLiteral("CREATE TABLE {schema}.thing (id int)"));
        Error e = Migrator(m_db, QStringLiteral("custom")).migrate(all); // would fail if anything re-ran
        QVERIFY2(!e, qPrintable(e.message));
        QCOMPARE(m_db.exec(QStringLiteral("SELECT string_agg(DISTINCT data_schema, ',') FROM "
                                          "hubsync.schema_migrations WHERE version < 100"))
                     .text(0, 0),
                 QStringLiteral("hubsync"));
        QCOMPARE(m_db.exec(QStringLiteral("SELECT data_schema FROM hubsync.schema_migrations WHERE version = 100"))
                     .text(0, 0),
                 QStringLiteral("custom"));
        QCOMPARE(m_db.exec(QStringLiteral("SELECT schema FROM hubsync.sync_cursor")).text(0, 0),
                 QStringLiteral("custom"));
        QCOMPARE(m_db.exec(QStringLiteral("SELECT schema FROM hubsync.reaction_todo")).text(0, 0),
                 QStringLiteral("custom"));
        // The same repository x collection can now have a cursor per schema.
        QVERIFY(!m_db.run(QStringLiteral("INSERT INTO hubsync.sync_cursor (repository_id, collection, schema)"
                                         " VALUES (1, 'issue', 'github')")));

        e = Migrator(m_db, QStringLiteral("github")).migrate(all);
        QVERIFY2(!e, qPrintable(e.message));
        QVERIFY(m_db.exec(QStringLiteral("SELECT * FROM github.thing")).ok());
        QCOMPARE(m_db.exec(QStringLiteral("SELECT count(*) FROM hubsync.schema_migrations")).toInt(0, 0),
                 qint64(builtinMigrations().size() + 2));
    }

    // The server ends an idle session (what a restart, idle_session_timeout or pg_terminate_backend does):
    // the next statement runs on a new session, with the session set-up replayed.
    void idleSessionEndedByTheServerIsReopened() {
        QVERIFY(!m_db.addSessionSetup(QStringLiteral("SET application_name = 'reopened'")));
        QVERIFY(!m_db.run(QStringLiteral("CREATE TABLE t (x int)")));
        // A prepared statement of the lost session must be prepared again on the new one.
        QVERIFY(m_db.execPrepared(QStringLiteral("SELECT $1::text::int"), {QByteArray("1")}).ok());
        const qint64 before = backendPid();
        terminate(before);
        const pg::Result r = m_db.execPrepared(QStringLiteral("SELECT $1::text::int"), {QByteArray("2")});
        QVERIFY2(r.ok(), qPrintable(r.errorMessage()));
        QCOMPARE(r.toInt(0, 0), qint64(2));
        QCOMPARE(m_db.reconnects(), 1);
        QVERIFY(backendPid() != before);
        QCOMPARE(m_db.exec(QStringLiteral("SHOW application_name")).text(0, 0), QStringLiteral("reopened"));
        QVERIFY(!m_db.run(QStringLiteral("INSERT INTO t VALUES (1)")));
        QVERIFY(!m_db.inTransaction());
    }

    // A session lost inside a transaction took the transaction's work with it: nothing may run as if the
    // transaction were still open (that would commit half of it), so statements fail until ROLLBACK.
    void sessionLostInATransactionFailsUntilRollback() {
        QVERIFY(!m_db.run(QStringLiteral("CREATE TABLE t (x int)")));
        QVERIFY(!m_db.run(QStringLiteral("BEGIN")));
        QVERIFY(!m_db.run(QStringLiteral("INSERT INTO t VALUES (1)")));
        terminate(backendPid());
        pg::Result r = m_db.exec(QStringLiteral("INSERT INTO t VALUES (2)"));
        QVERIFY(!r.ok());
        QCOMPARE(r.sqlState(), QStringLiteral("08006"));
        QVERIFY2(r.errorMessage().contains(QStringLiteral("rolled back")), qPrintable(r.errorMessage()));
        QVERIFY(m_db.inTransaction());
        QVERIFY(m_db.transactionFailed());
        QVERIFY(!m_db.execParams(QStringLiteral("INSERT INTO t VALUES ($1)"), {pg::param(qint64(3))}).ok());
        QVERIFY(!m_db.execPrepared(QStringLiteral("INSERT INTO t VALUES ($1::text::int)"), {QByteArray("3")}).ok());
        QVERIFY(m_db.copyIn(QStringLiteral("COPY t FROM STDIN"), "4\n"));
        QVERIFY(m_db.exec(QStringLiteral("ROLLBACK")).ok());
        QVERIFY(!m_db.inTransaction());
        QCOMPARE(m_db.exec(QStringLiteral("SELECT count(*) FROM t")).toInt(0, 0), qint64(0));

        // COMMIT ends a lost transaction too, but says that nothing was committed.
        QVERIFY(!m_db.run(QStringLiteral("BEGIN")));
        QVERIFY(!m_db.run(QStringLiteral("INSERT INTO t VALUES (6)")));
        terminate(backendPid());
        QVERIFY(!m_db.exec(QStringLiteral("COMMIT")).ok());
        QVERIFY(!m_db.inTransaction());
        QVERIFY(!m_db.run(QStringLiteral("INSERT INTO t VALUES (5)")));
        QCOMPARE(m_db.exec(QStringLiteral("SELECT array_agg(x) FROM t")).text(0, 0), QStringLiteral("{5}"));
        QCOMPARE(m_db.reconnects(), 2);
    }

    // The session is lost inside a transaction and the first attempts to open a new one fail (the server
    // is still away: here its database is gone for a while). Nothing of the transaction may run in
    // autocommit once a new session opens; ROLLBACK, in any spelling, ends the lost state.
    void lostTransactionSurvivesFailedReconnects() {
        const QString name = m_db.exec(QStringLiteral("SELECT current_database()")).text(0, 0);
        const QString otherDsn = PgTestInstance::shared().createDatabase(QStringLiteral("admin"));
        pg::Connection admin;
        QVERIFY(!admin.open(otherDsn));
        QVERIFY(!m_db.run(QStringLiteral("CREATE TABLE t (x int)")));
        QVERIFY(!m_db.run(QStringLiteral("BEGIN")));
        QVERIFY(!m_db.run(QStringLiteral("INSERT INTO t VALUES (1)")));
        QVERIFY(!admin.run(QStringLiteral("DROP DATABASE %1 WITH (FORCE)").arg(admin.quoteIdentifier(name))));
        pg::Result r = m_db.exec(QStringLiteral("INSERT INTO t VALUES (2)"));
        QVERIFY(!r.ok());
        QCOMPARE(r.sqlState(), QStringLiteral("08006"));
        QVERIFY(m_db.transactionFailed());
        QVERIFY(!admin.run(QStringLiteral("CREATE DATABASE %1").arg(admin.quoteIdentifier(name))));
        // The next attempt comes after the reopen interval; until then statements fail fast.
        QVERIFY(!m_db.exec(QStringLiteral("SELECT 1")).ok());
        QTest::qWait(2100);
        r = m_db.exec(QStringLiteral("CREATE TABLE t (x int)"));
        QVERIFY(!r.ok()); // the session is back, the transaction is not
        QVERIFY2(r.errorMessage().contains(QStringLiteral("inside a transaction")), qPrintable(r.errorMessage()));
        QVERIFY(m_db.exec(QStringLiteral("  rollback;")).ok());
        QVERIFY(!m_db.inTransaction());
        QVERIFY(!m_db.run(QStringLiteral("CREATE TABLE t (x int)")));
        QCOMPARE(m_db.exec(QStringLiteral("SELECT count(*) FROM t")).toInt(0, 0), qint64(0));
        admin.close();
        PgTestInstance::shared().dropDatabase(otherDsn);
    }

    // ImplicitTransaction and its callers see a lost transaction as a failed one and roll back.
    void implicitTransactionAfterALostSession() {
        QVERIFY(!m_db.run(QStringLiteral("CREATE TABLE t (x int)")));
        {
            pg::ImplicitTransaction transaction(m_db);
            QVERIFY(!transaction.begin());
            QVERIFY(!m_db.run(QStringLiteral("INSERT INTO t VALUES (1)")));
            terminate(backendPid());
            QVERIFY(m_db.run(QStringLiteral("INSERT INTO t VALUES (2)")));
            QVERIFY(transaction.commit());
        }
        QVERIFY(!m_db.inTransaction());
        QVERIFY(!m_db.run(QStringLiteral("INSERT INTO t VALUES (3)")));
        QCOMPARE(m_db.exec(QStringLiteral("SELECT array_agg(x) FROM t")).text(0, 0), QStringLiteral("{3}"));
    }

    void unreachableServerIsADatabaseError() {
        pg::Connection c;
        const Error e = c.open(QStringLiteral("host=/nonexistent-socket-dir port=1 dbname=x"), 2);
        QCOMPARE(e.kind, Error::Kind::Database);
        QCOMPARE(exitCodeFor(e), ExitCode::Database);
    }

private:
    qint64 backendPid() { return m_db.exec(QStringLiteral("SELECT pg_backend_pid()")).toInt(0, 0); }

    // Ends a session from another one, as an administrator or a server shutdown would, and waits until
    // the server has closed it.
    void terminate(qint64 pid) {
        pg::Connection admin;
        QVERIFY(!admin.open(m_dsn));
        QCOMPARE(
            admin.execParams(QStringLiteral("SELECT pg_terminate_backend($1::int, 5000)"), {pg::param(pid)}).text(0, 0),
            QStringLiteral("t"));
        QVERIFY(QTest::qWaitFor([&] {
            return admin
                       .execParams(QStringLiteral("SELECT count(*) FROM pg_stat_activity WHERE pid = $1::int"),
                                   {pg::param(pid)})
                       .toInt(0, 0) == 0;
        }));
    }

    static QList<Migration> withDataTable(QList<Migration> list, const QString &statement) {
        list << Migration{firstDataSchemaVersion, QStringLiteral("a synced table"), {statement}};
        return list;
    }

    QString m_dsn;
    pg::Connection m_db;
};

QTEST_GUILESS_MAIN(TestPgHarness)
#include "tst_pgharness.moc"
