// The ETag cache on a real PostgreSQL (table from the shipped migrations).

#include "github/pgetagstore.h"
#include "pgtestinstance.h"
#include "store/migrations.h"
#include "store/pg.h"

#include <QTest>

using namespace hubsync;
using namespace hubsync::github;
using hubsync::test::PgTestInstance;

class TestPgEtagStore : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void init() {
        m_dsn = PgTestInstance::shared().createDatabase(QString::fromLatin1(QTest::currentTestFunction()));
        QVERIFY2(!m_dsn.isEmpty(), qPrintable(PgTestInstance::shared().error()));
        QVERIFY2(!m_db.open(m_dsn), qPrintable(m_db.lastError()));
        const Error e = Migrator(m_db, QStringLiteral("github")).migrate(builtinMigrations());
        QVERIFY2(!e, qPrintable(e.message));
    }

    void cleanup() {
        m_db.close();
        PgTestInstance::shared().dropDatabase(m_dsn);
    }

    void roundTrip() {
        PgEtagStore store(m_db);
        const QString url = QStringLiteral("https://api.github.com/repos/o/r/issues?per_page=100&state=all");
        QVERIFY(!store.lookup(url));
        store.store(url, {QByteArrayLiteral("W/\"4d4881483f2553f3a3c0333a8a96fa25\""),
                          QByteArrayLiteral("Tue, 19 Jul 2022 04:39:16 GMT")});
        QVERIFY2(!store.lastError(), qPrintable(store.lastError().message));
        auto entry = store.lookup(url);
        QVERIFY(entry);
        QCOMPARE(entry->etag, QByteArrayLiteral("W/\"4d4881483f2553f3a3c0333a8a96fa25\""));
        QCOMPARE(entry->lastModified, QByteArrayLiteral("Tue, 19 Jul 2022 04:39:16 GMT"));

        store.store(url, {QByteArrayLiteral("\"new\""), {}}); // replaced, Last-Modified now absent
        entry = store.lookup(url);
        QVERIFY(entry);
        QCOMPARE(entry->etag, QByteArrayLiteral("\"new\""));
        QVERIFY(entry->lastModified.isEmpty());
        const pg::Result nullCheck = m_db.execParams(
            QStringLiteral("SELECT last_modified IS NULL, count(*) OVER () FROM hubsync.etag_cache WHERE url = $1"),
            {pg::param(url)});
        QCOMPARE(nullCheck.text(0, 0), QStringLiteral("t"));
        QCOMPARE(nullCheck.toInt(0, 1), qint64(1));

        store.remove(url);
        QVERIFY(!store.lookup(url));
    }

    // A second store on another connection (the GUI and the service) sees the same cache.
    void sharedAcrossConnections() {
        pg::Connection other;
        QVERIFY(!other.open(m_dsn));
        PgEtagStore a(m_db);
        PgEtagStore b(other);
        a.store(QStringLiteral("https://api.github.com/x"), {QByteArrayLiteral("\"abc\""), {}});
        const auto seen = b.lookup(QStringLiteral("https://api.github.com/x"));
        QVERIFY(seen);
        QCOMPARE(seen->etag, QByteArrayLiteral("\"abc\""));
    }

    void unchangedEtagDoesNotRewrite() {
        PgEtagStore store(m_db);
        const QString url = QStringLiteral("https://api.github.com/y");
        store.store(url, {QByteArrayLiteral("\"same\""), {}});
        const QString before =
            m_db.execParams(QStringLiteral("SELECT xmin::text FROM hubsync.etag_cache WHERE url = $1"),
                            {pg::param(url)})
                .text(0, 0);
        store.store(url, {QByteArrayLiteral("\"same\""), {}});
        const QString after =
            m_db.execParams(QStringLiteral("SELECT xmin::text FROM hubsync.etag_cache WHERE url = $1"),
                            {pg::param(url)})
                .text(0, 0);
        QCOMPARE(after, before); // no new row version for a page that did not change
    }

    void hostileValuesAreNotStored_data() {
        QTest::addColumn<QString>("url");
        QTest::addColumn<QByteArray>("etag");
        QTest::newRow("empty etag") << QStringLiteral("https://api.github.com/a") << QByteArray();
        QTest::newRow("control chars") << QStringLiteral("https://api.github.com/a")
                                       << QByteArray("\"a\r\nX-Evil: 1\"");
        QTest::newRow("huge etag") << QStringLiteral("https://api.github.com/a") << QByteArray(10'000, 'a');
        QTest::newRow("huge url") << QStringLiteral("https://api.github.com/") + QString(10'000, QLatin1Char('a'))
                                  << QByteArray("\"a\"");
        QTest::newRow("empty url") << QString() << QByteArray("\"a\"");
    }

    void hostileValuesAreNotStored() {
        QFETCH(QString, url);
        QFETCH(QByteArray, etag);
        PgEtagStore store(m_db);
        store.store(url, {etag, {}});
        QVERIFY(!store.lastError());
        QCOMPARE(m_db.exec(QStringLiteral("SELECT count(*) FROM hubsync.etag_cache")).toInt(0, 0), qint64(0));
    }

    void databaseFailureDegrades() {
        PgEtagStore store(m_db);
        QVERIFY(!m_db.run(QStringLiteral("ALTER TABLE hubsync.etag_cache RENAME TO etag_cache_gone")));
        QVERIFY(!store.lookup(QStringLiteral("https://api.github.com/z"))); // a miss, not a crash
        QCOMPARE(store.lastError().kind, Error::Kind::Database);
        store.store(QStringLiteral("https://api.github.com/z"), {QByteArrayLiteral("\"z\""), {}});
        QCOMPARE(store.lastError().kind, Error::Kind::Database);
    }

private:
    QString m_dsn;
    pg::Connection m_db;
};

QTEST_GUILESS_MAIN(TestPgEtagStore)
#include "tst_pgetagstore.moc"
