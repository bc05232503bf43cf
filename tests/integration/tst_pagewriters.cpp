#include "livesyncfixture.h"
#include "pgtestinstance.h"
#include "store/pg.h"
#include "sync/pagewriters.h"

#include <QJsonObject>
#include <QTest>

using namespace hubsync;
using namespace hubsync::sync;
using hubsync::test::freshSyncDatabase;
using hubsync::test::PgTestInstance;

namespace {

constexpr qint64 repoId = 4242;

QList<QJsonObject> labelPage(int first, int count) {
    QList<QJsonObject> labels;
    for (int i = first; i < first + count; ++i)
        labels << QJsonObject{{QStringLiteral("id"), 9000 + i},
                              {QStringLiteral("node_id"), QStringLiteral("LA_%1").arg(i)},
                              {QStringLiteral("name"), QStringLiteral("label %1").arg(i)},
                              {QStringLiteral("color"), QStringLiteral("ededed")},
                              {QStringLiteral("default"), false}};
    return labels;
}

} // namespace

// The backfill's write pipeline on a real server: pages of one walk commit in submission order, each
// with a cursor that accounts for every page before it, and after a failed page nothing later commits.
class TestPageWriters : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void init() {
        QString error;
        m_dsn = freshSyncDatabase(QString::fromLatin1(QTest::currentTestFunction()), &error);
        QVERIFY2(!m_dsn.isEmpty(), qPrintable(error));
        QVERIFY(!m_db.open(m_dsn));
        QVERIFY(!m_db.run(QStringLiteral("INSERT INTO github.repository (id, name, full_name) VALUES ($1, 'r', 'o/r')"),
                          {pg::param(repoId)}));
    }

    void cleanup() {
        m_db.close();
        PgTestInstance::shared().dropDatabase(m_dsn);
    }

    void pagesOfAWalkCommitInOrderWithTheirCursors() {
        PageWriters writers;
        QVERIFY(!writers.start(m_db, QStringLiteral("github"), 2));
        QCOMPARE(writers.laneCount(), 2);
        QList<PageDone> done;
        Cursor cursor;
        cursor.repositoryId = repoId;
        cursor.collection = QStringLiteral("label");
        for (int page = 0; page < 5; ++page) {
            PageJob job;
            job.step = Step::Label;
            job.repo = Repository{repoId, QStringLiteral("o/r")};
            job.items = labelPage(page * 10, 10);
            cursor.fetched += 10;
            cursor.nextUrl = page < 4 ? QStringLiteral("/repos/o/r/labels?page=%1").arg(page + 2) : QString();
            cursor.done = page == 4;
            job.next = cursor; // written stays 0 here: the lane chains it from the pages before
            job.chained = page > 0;
            writers.submit(1, std::move(job), [&done](const PageDone &d) { done << d; });
        }
        QTRY_COMPARE_WITH_TIMEOUT(done.size(), 5, 60000);
        for (int page = 0; page < 5; ++page) {
            QVERIFY2(!done[page].error, qPrintable(done[page].error.message));
            QCOMPARE(done[page].committed.fetched, qint64(10 * (page + 1)));
            QCOMPARE(done[page].committed.written, qint64(10 * (page + 1)));
        }
        const pg::Result r = m_db.execParams(
            QStringLiteral("SELECT phase, fetched, written, next_url IS NULL,"
                           " (SELECT count(*) FROM github.label WHERE repository_id = $1)"
                           " FROM hubsync.sync_cursor WHERE repository_id = $1 AND collection = 'label'"),
            {pg::param(repoId)});
        QCOMPARE(r.rows(), 1);
        QCOMPARE(r.text(0, 0), QStringLiteral("done"));
        QCOMPARE(r.toInt(0, 1), qint64(50));
        QCOMPARE(r.toInt(0, 2), qint64(50));
        QCOMPARE(r.text(0, 3), QStringLiteral("t"));
        QCOMPARE(r.toInt(0, 4), qint64(50));
    }

    void nothingCommitsAfterAFailedPage() {
        PageWriters writers;
        QVERIFY(!writers.start(m_db, QStringLiteral("github"), 1));
        QList<PageDone> done;
        const auto submit = [&](qint64 repository, int first, const QString &next, bool chained) {
            PageJob job;
            job.step = Step::Label;
            job.repo = Repository{repository, QStringLiteral("o/r")};
            job.items = labelPage(first, 5);
            job.next.repositoryId = repoId;
            job.next.collection = QStringLiteral("label");
            job.next.fetched = first + 5;
            job.next.nextUrl = next;
            job.chained = chained;
            writers.submit(0, std::move(job), [&done](const PageDone &d) { done << d; });
        };
        submit(repoId, 0, QStringLiteral("/p2"), false);
        submit(777, 5, QStringLiteral("/p3"), true); // no such repository: the page's FK fails at COMMIT
        submit(repoId, 10, QStringLiteral("/p4"), true);
        QTRY_COMPARE_WITH_TIMEOUT(done.size(), 3, 60000);
        QVERIFY(!done[0].error);
        QVERIFY(done[1].error);
        QVERIFY(done[2].error); // refused: its cursor would skip the failed page
        const pg::Result r = m_db.execParams(
            QStringLiteral("SELECT next_url, (SELECT count(*) FROM github.label) FROM hubsync.sync_cursor"
                           " WHERE repository_id = $1 AND collection = 'label'"),
            {pg::param(repoId)});
        QCOMPARE(r.text(0, 0), QStringLiteral("/p2"));
        QCOMPARE(r.toInt(0, 1), qint64(5));
    }

private:
    QString m_dsn;
    pg::Connection m_db;
};

QTEST_GUILESS_MAIN(TestPageWriters)
#include "tst_pagewriters.moc"
