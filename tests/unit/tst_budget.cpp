#include "sync/budget.h"

#include <QTest>

using namespace hubsync::sync;

// Which of GitHub's two pools gets work that either API can do.
class TestBudget : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void poolWithMoreLeft_data() {
        QTest::addColumn<qint64>("restRemaining");
        QTest::addColumn<qint64>("restLimit");
        QTest::addColumn<qint64>("graphqlRemaining");
        QTest::addColumn<qint64>("graphqlLimit");
        QTest::addColumn<bool>("graphql");
        QTest::newRow("nothing known yet") << qint64(-1) << qint64(-1) << qint64(-1) << qint64(-1) << true;
        QTest::newRow("GraphQL untouched") << qint64(4000) << qint64(5000) << qint64(-1) << qint64(-1) << true;
        QTest::newRow("REST untouched") << qint64(-1) << qint64(-1) << qint64(4999) << qint64(5000) << false;
        QTest::newRow("shares, not counts") << qint64(6000) << qint64(12500) << qint64(3000) << qint64(5000) << true;
        QTest::newRow("GraphQL more used") << qint64(4000) << qint64(5000) << qint64(1000) << qint64(5000) << false;
        QTest::newRow("a tie goes to GraphQL") << qint64(2500) << qint64(5000) << qint64(2500) << qint64(5000) << true;
        QTest::newRow("both spent") << qint64(0) << qint64(5000) << qint64(0) << qint64(5000) << true;
    }
    void poolWithMoreLeft() {
        QFETCH(qint64, restRemaining);
        QFETCH(qint64, restLimit);
        QFETCH(qint64, graphqlRemaining);
        QFETCH(qint64, graphqlLimit);
        QFETCH(bool, graphql);
        QCOMPARE(hubsync::sync::poolWithMoreLeft({restRemaining, restLimit, 0}, {graphqlRemaining, graphqlLimit, 0}) ==
                     Pool::Graphql,
                 graphql);
    }

    // An answer without X-RateLimit-* headers changes nothing; one without a limit keeps the known limit.
    void poolStateFollowsTheAnswers() {
        PoolState pool;
        pool.note(-1, -1, 0);
        QCOMPARE(pool.remaining, qint64(-1));
        pool.note(4999, 5000, 1700000000);
        QCOMPARE(pool.remaining, qint64(4999));
        QCOMPARE(pool.limit, qint64(5000));
        QCOMPARE(pool.resetEpoch, qint64(1700000000));
        pool.note(4998, -1, 1700000000);
        QCOMPARE(pool.remaining, qint64(4998));
        QCOMPARE(pool.limit, qint64(5000));
        pool.note(-1, 5000, 0);
        QCOMPARE(pool.remaining, qint64(4998));
    }
};

QTEST_GUILESS_MAIN(TestBudget)
#include "tst_budget.moc"
