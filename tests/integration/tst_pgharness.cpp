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

    void unreachableServerIsADatabaseError() {
        pg::Connection c;
        const Error e = c.open(QStringLiteral("host=/nonexistent-socket-dir port=1 dbname=x"), 2);
        QCOMPARE(e.kind, Error::Kind::Database);
        QCOMPARE(exitCodeFor(e), ExitCode::Database);
    }

private:
    QString m_dsn;
    pg::Connection m_db;
};

QTEST_GUILESS_MAIN(TestPgHarness)
#include "tst_pgharness.moc"
