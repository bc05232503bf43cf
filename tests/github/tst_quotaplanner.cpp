// The quota planner with a mock clock: no sleeping, time moves when the test says so.

#include "github/quotaplanner.h"

#include <QSignalSpy>
#include <QTest>

using namespace hubsync;
using namespace hubsync::github;

namespace {

class MockClock final : public Clock {
public:
    [[nodiscard]] qint64 nowMs() const override { return m_now; }
    void advance(qint64 ms) { m_now += ms; }
    void set(qint64 ms) { m_now = ms; }

private:
    qint64 m_now = 1'700'000'000'000;
};

RateLimit rate(qint64 remaining, qint64 resetEpoch, qint64 limit = 5000,
               const QString &resource = QStringLiteral("core")) {
    RateLimit r;
    r.resource = resource;
    r.limit = limit;
    r.remaining = remaining;
    r.used = limit - remaining;
    r.resetEpoch = resetEpoch;
    return r;
}

// Records which requests started (by label) and which were refused.
struct Log {
    QStringList started;
    QStringList refused;
    QuotaPlanner::StartFn fn(const QString &label) {
        return [this, label](const Error &e) { (e ? refused : started).append(label); };
    }
};

} // namespace

class TestQuotaPlanner : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void exhaustionWaitsForReset() {
        MockClock clock;
        QuotaPlanner planner(clock);
        QSignalSpy quota(&planner, &QuotaPlanner::quotaChanged);
        const qint64 reset = clock.nowMs() / 1000 + 600;
        planner.observe(QStringLiteral("core"), rate(0, reset));
        QCOMPARE(quota.size(), 1);
        const auto snap = quota.last().first().value<QuotaSnapshot>();
        QCOMPARE(snap.remaining, 0);
        QCOMPARE(snap.resetEpoch, reset);
        QCOMPARE(snap.waitingUntilMs, reset * 1000 + 1000);

        Log log;
        planner.enqueue(Priority::Backfill, QStringLiteral("core"), false, log.fn(QStringLiteral("page")));
        planner.enqueue(Priority::Interactive, QStringLiteral("core"), false, log.fn(QStringLiteral("user")));
        planner.enqueue(Priority::Normal, QStringLiteral("graphql"), false, log.fn(QStringLiteral("gql")));
        QCOMPARE(log.started, QStringList{QStringLiteral("gql")}); // other resources are not held
        clock.advance(600'000);                                    // at the reset, but GitHub's clock may lag: +1 s
        planner.pump();
        QCOMPARE(log.started.size(), 1);
        clock.advance(1000);
        planner.pump();
        QCOMPARE(log.started, (QStringList{QStringLiteral("gql"), QStringLiteral("user"), QStringLiteral("page")}));
        QVERIFY(log.refused.isEmpty());
    }

    void reserveIsForInteractive() {
        MockClock clock;
        PlannerOptions options;
        options.reserve = 50;
        QuotaPlanner planner(clock, options);
        const qint64 reset = clock.nowMs() / 1000 + 100;
        planner.observe(QStringLiteral("core"), rate(50, reset));
        Log log;
        planner.enqueue(Priority::Backfill, QStringLiteral("core"), false, log.fn(QStringLiteral("page")));
        planner.enqueue(Priority::Interactive, QStringLiteral("core"), false, log.fn(QStringLiteral("user")));
        QCOMPARE(log.started, QStringList{QStringLiteral("user")});
        // A small budget (e.g. the simulator's) keeps at most a tenth in reserve.
        MockClock clock2;
        QuotaPlanner small(clock2, options);
        small.observe(QStringLiteral("core"), rate(11, clock2.nowMs() / 1000 + 100, 100));
        Log log2;
        small.enqueue(Priority::Backfill, QStringLiteral("core"), false, log2.fn(QStringLiteral("a")));
        small.enqueue(Priority::Backfill, QStringLiteral("core"), false, log2.fn(QStringLiteral("b")));
        QCOMPARE(log2.started, QStringList{QStringLiteral("a")}); // 11 - 1 in flight = 10 = the reserve
    }

    void retryAfterHoldsEverything() {
        MockClock clock;
        QuotaPlanner planner(clock);
        planner.holdAll(clock.nowMs() + 30'000);
        Log log;
        planner.enqueue(Priority::Interactive, QStringLiteral("core"), false, log.fn(QStringLiteral("a")));
        planner.enqueue(Priority::Normal, QStringLiteral("graphql"), false, log.fn(QStringLiteral("b")));
        QVERIFY(log.started.isEmpty());
        QCOMPARE(planner.snapshot(QStringLiteral("core")).waitingUntilMs, clock.nowMs() + 30'000);
        clock.advance(29'999);
        planner.pump();
        QVERIFY(log.started.isEmpty());
        clock.advance(1);
        planner.pump();
        QCOMPARE(log.started, (QStringList{QStringLiteral("a"), QStringLiteral("b")}));
    }

    // GitHub's secondary limits in points per minute, per API: a read costs 1, a write 5; a request
    // waits until the points of the last minute leave room for it.
    void pointsPerMinuteArePaced() {
        MockClock clock;
        PlannerOptions options;
        options.maxConcurrent = 100;
        options.restPointsPerMinute = 7;
        options.graphqlPointsPerMinute = 2;
        options.pointsMarginMs = 0; // (the margin is checked below)
        QuotaPlanner planner(clock, options);
        Log log;
        for (int i = 1; i <= 8; ++i)
            planner.enqueue(Priority::Backfill, QStringLiteral("core"), false, log.fn(QStringLiteral("get%1").arg(i)));
        planner.enqueue(Priority::Backfill, QStringLiteral("core"), true, log.fn(QStringLiteral("write")));
        for (int i = 1; i <= 3; ++i)
            planner.enqueue(Priority::Backfill, QStringLiteral("graphql"), false,
                            log.fn(QStringLiteral("gql%1").arg(i)));
        QCOMPARE(log.started.size(), 9); // seven GETs and two queries: the pools are separate
        QVERIFY(!log.started.contains(QStringLiteral("get8")));
        QVERIFY(log.started.contains(QStringLiteral("gql2")) && !log.started.contains(QStringLiteral("gql3")));
        clock.advance(59'999);
        planner.pump();
        QCOMPARE(log.started.size(), 9);
        clock.advance(1); // the first minute's points are gone: 1 + 5 fit under 7
        planner.pump();
        QCOMPARE(log.started.size(), 12);
        QCOMPARE(log.started.mid(9),
                 (QStringList{QStringLiteral("get8"), QStringLiteral("write"), QStringLiteral("gql3")}));
        planner.enqueue(Priority::Interactive, QStringLiteral("core"), false, log.fn(QStringLiteral("user")));
        QCOMPARE(log.started.size(), 13); // 7 of 7
        planner.enqueue(Priority::Interactive, QStringLiteral("core"), false, log.fn(QStringLiteral("over")));
        QCOMPARE(log.started.size(), 13);
        QVERIFY(log.refused.isEmpty());
    }

    // A request's points count for a second beyond the window by default (network delays differ).
    void pointsWindowHasAMargin() {
        MockClock clock;
        PlannerOptions options;
        options.restPointsPerMinute = 1;
        QuotaPlanner planner(clock, options);
        Log log;
        planner.enqueue(Priority::Normal, QStringLiteral("core"), false, log.fn(QStringLiteral("first")));
        planner.finished(QStringLiteral("core"));
        planner.enqueue(Priority::Normal, QStringLiteral("core"), false, log.fn(QStringLiteral("second")));
        clock.advance(60'000);
        planner.pump();
        QCOMPARE(log.started.size(), 1);
        clock.advance(1000);
        planner.pump();
        QCOMPARE(log.started.size(), 2);
    }

    void waitBeyondCapIsRefused() {
        MockClock clock;
        PlannerOptions options;
        options.maxWaitMs = 10'000;
        QuotaPlanner planner(clock, options);
        planner.holdResource(QStringLiteral("core"), clock.nowMs() + 60'000);
        Log log;
        planner.enqueue(Priority::Normal, QStringLiteral("core"), false, log.fn(QStringLiteral("default cap")));
        planner.enqueue(Priority::Normal, QStringLiteral("core"), false, log.fn(QStringLiteral("patient")), 120'000);
        QCOMPARE(log.refused, QStringList{QStringLiteral("default cap")});
        QVERIFY(log.started.isEmpty());
        clock.advance(60'000);
        planner.pump();
        QCOMPARE(log.started, QStringList{QStringLiteral("patient")});
        QCOMPARE(planner.queued(), 0);
    }

    void concurrencyBoundNeverExceeded() {
        MockClock clock;
        PlannerOptions options;
        options.maxConcurrent = 3;
        QuotaPlanner planner(clock, options);
        int inFlight = 0;
        int peak = 0;
        int done = 0;
        for (int i = 0; i < 25; ++i) {
            planner.enqueue(Priority(i % 4), QStringLiteral("core"), false, [&](const Error &e) {
                QVERIFY(!e);
                ++inFlight;
                peak = std::max(peak, inFlight);
                QCOMPARE(planner.inFlight(), inFlight);
            });
        }
        QCOMPARE(inFlight, 3);
        while (inFlight > 0) {
            --inFlight;
            ++done;
            planner.finished(QStringLiteral("core"));
            QVERIFY(planner.inFlight() <= 3);
        }
        QCOMPARE(done, 25);
        QCOMPARE(peak, 3);
        QCOMPARE(planner.queued(), 0);
    }

    void prioritiesRespected() {
        MockClock clock;
        PlannerOptions options;
        options.maxConcurrent = 1;
        QuotaPlanner planner(clock, options);
        Log log;
        planner.enqueue(Priority::Backfill, QStringLiteral("core"), false, log.fn(QStringLiteral("running")));
        planner.enqueue(Priority::Backfill, QStringLiteral("core"), false, log.fn(QStringLiteral("backfill1")));
        planner.enqueue(Priority::Normal, QStringLiteral("core"), false, log.fn(QStringLiteral("poll")));
        planner.enqueue(Priority::Backfill, QStringLiteral("core"), false, log.fn(QStringLiteral("backfill2")));
        planner.enqueue(Priority::Webhook, QStringLiteral("core"), false, log.fn(QStringLiteral("webhook")));
        planner.enqueue(Priority::Interactive, QStringLiteral("core"), false, log.fn(QStringLiteral("user")));
        QCOMPARE(log.started, QStringList{QStringLiteral("running")});
        for (int i = 0; i < 5; ++i)
            planner.finished(QStringLiteral("core"));
        QCOMPARE(log.started,
                 (QStringList{QStringLiteral("running"), QStringLiteral("user"), QStringLiteral("webhook"),
                              QStringLiteral("poll"), QStringLiteral("backfill1"), QStringLiteral("backfill2")}));
    }

    void writesArePaced() {
        MockClock clock;
        PlannerOptions options;
        options.minWriteIntervalMs = 1000;
        QuotaPlanner planner(clock, options);
        Log log;
        planner.enqueue(Priority::Interactive, QStringLiteral("core"), true, log.fn(QStringLiteral("w1")));
        planner.enqueue(Priority::Interactive, QStringLiteral("core"), true, log.fn(QStringLiteral("w2")));
        planner.enqueue(Priority::Normal, QStringLiteral("core"), false, log.fn(QStringLiteral("read")));
        QCOMPARE(log.started, (QStringList{QStringLiteral("w1"), QStringLiteral("read")}));
        clock.advance(1000);
        planner.pump();
        QCOMPARE(log.started.last(), QStringLiteral("w2"));
    }

    void outOfOrderResponses() {
        MockClock clock;
        QuotaPlanner planner(clock);
        const qint64 reset = clock.nowMs() / 1000 + 1000;
        planner.observe(QStringLiteral("core"), rate(100, reset));
        planner.observe(QStringLiteral("core"), rate(120, reset)); // an older response arriving late
        QCOMPARE(planner.snapshot(QStringLiteral("core")).remaining, 100);
        planner.observe(QStringLiteral("core"), rate(4999, reset + 3600)); // a new window
        QCOMPARE(planner.snapshot(QStringLiteral("core")).remaining, 4999);
        planner.observe(QStringLiteral("core"), rate(3, reset)); // a straggler from the old window
        QCOMPARE(planner.snapshot(QStringLiteral("core")).remaining, 4999);
        // The header's resource wins over the guess.
        planner.observe(QStringLiteral("core"), rate(7, reset, 30, QStringLiteral("search")));
        QCOMPARE(planner.snapshot(QStringLiteral("search")).remaining, 7);
    }

    void timerWakesWithoutPump() {
        // With the system clock the planner's own QTimer releases held requests.
        SystemClock clock;
        QuotaPlanner planner(clock);
        planner.holdAll(clock.nowMs() + 150);
        Log log;
        planner.enqueue(Priority::Normal, QStringLiteral("core"), false, log.fn(QStringLiteral("a")));
        QVERIFY(log.started.isEmpty());
        QTRY_COMPARE_WITH_TIMEOUT(log.started.size(), 1, 5000);
    }

    void cancelledNeverStarts() {
        MockClock clock;
        PlannerOptions options;
        options.maxConcurrent = 1;
        QuotaPlanner planner(clock, options);
        Log log;
        planner.enqueue(Priority::Normal, QStringLiteral("core"), false, log.fn(QStringLiteral("a")));
        const quint64 id =
            planner.enqueue(Priority::Normal, QStringLiteral("core"), false, log.fn(QStringLiteral("b")));
        planner.cancel(id);
        planner.finished(QStringLiteral("core"));
        QCOMPARE(log.started, QStringList{QStringLiteral("a")});
        QCOMPARE(planner.queued(), 0);
    }
};

QTEST_GUILESS_MAIN(TestQuotaPlanner)
#include "tst_quotaplanner.moc"
