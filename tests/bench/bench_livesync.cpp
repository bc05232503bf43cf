// Live-sync benchmark (not a test): prints
//  1. webhook -> row latency: a change made on the simulator, signed webhook to the receiver, stored,
//     applied and committed; p50/p90/p99/max over N changes made one after another (default 10,000);
//  2. the API cost of one idle poll cycle over 100 repositories (goal: 0 primary quota, every request 304).
// Usage: bench_livesync [CHANGES]   (needs the githubsim binary next to it, in HUBSYNC_BIN_DIR, and a
// PostgreSQL: HUBSYNC_TEST_PG_DSN or a throwaway cluster it starts itself).

#include "livesyncfixture.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QJsonArray>
#include <QSignalSpy>
#include <QTest>

#include <algorithm>
#include <cstdio>

using namespace hubsync;
using namespace hubsync::test;

namespace {

const QString token = QStringLiteral("ghp_benchlivesync0123456789");

int fail(const QString &message) {
    std::fprintf(stderr, "bench_livesync: %s\n", qPrintable(message));
    return 1;
}

double percentile(QList<double> values, double p) {
    std::sort(values.begin(), values.end());
    const qsizetype index = std::min<qsizetype>(values.size() - 1, qsizetype(p * double(values.size())));
    return values.at(index);
}

int webhookLatency(int changes) {
    SimulatorProcess sim;
    if (!sim.start({QStringLiteral("--dataset"), QStringLiteral("small"), QStringLiteral("--token"), token,
                    QStringLiteral("--rate-limit"), QStringLiteral("1000000000")}))
        return fail(sim.error());
    const QString dsn = freshSyncDatabase(QStringLiteral("benchwebhooks"));
    if (dsn.isEmpty())
        return fail(QStringLiteral("no database"));
    LiveSync live;
    if (const QString e = startLiveSync(live, dsn, simulatorConfig(sim.baseUrl(), token)); !e.isEmpty())
        return fail(e);
    if (const QString e = live.receiveFrom(sim); !e.isEmpty())
        return fail(e);
    const pg::Result numbers = live.db.exec(QStringLiteral(
        "SELECT r.full_name, i.number FROM github.issue i JOIN github.repository r ON r.id = i.repository_id"
        " ORDER BY i.id"));
    if (numbers.rows() == 0)
        return fail(QStringLiteral("no issues to edit"));

    QSignalSpy applied(live.applier.get(), &sync::WebhookApplier::deliveryApplied);
    QList<double> endToEnd, receiverToCommit;
    QElapsedTimer total;
    total.start();
    for (int i = 0; i < changes; ++i) {
        const int row = i % numbers.rows();
        const QString path = QStringLiteral("/_sim/repos/%1/issues/%2").arg(numbers.text(row, 0), numbers.text(row, 1));
        applied.clear();
        QElapsedTimer t;
        t.start();
        const QByteArray body =
            QJsonDocument(QJsonObject{{QStringLiteral("title"), QStringLiteral("bench change %1").arg(i)}}).toJson();
        if (sim.request("PATCH", path, {}, body).status != 200)
            return fail(QStringLiteral("PATCH %1 failed").arg(path));
        if (applied.isEmpty() && !applied.wait(10000))
            return fail(QStringLiteral("change %1 was not applied within 10 s").arg(i));
        endToEnd << double(t.nsecsElapsed()) / 1e6;
        receiverToCommit << double(QDateTime::currentMSecsSinceEpoch() - applied.first().at(3).toLongLong());
        if (applied.first().at(2).toString() != QStringLiteral("applied"))
            return fail(QStringLiteral("change %1: %2").arg(i).arg(applied.first().at(2).toString()));
    }
    const double seconds = double(total.elapsed()) / 1000.0;
    std::printf("webhook -> row visible, %d changes made one after another (loopback, Release build):\n", changes);
    std::printf("  change on GitHub -> row committed: p50 %.2f ms, p90 %.2f ms, p99 %.2f ms, max %.2f ms\n",
                percentile(endToEnd, 0.5), percentile(endToEnd, 0.9), percentile(endToEnd, 0.99),
                percentile(endToEnd, 1.0));
    std::printf("  delivery stored -> row committed: p50 %.0f ms, p99 %.0f ms (ms resolution)\n",
                percentile(receiverToCommit, 0.5), percentile(receiverToCommit, 0.99));
    std::printf("  %.0f changes/s sequentially; receiver accepted %lld, duplicates %lld\n", changes / seconds,
                static_cast<long long>(live.receiver->stats().accepted),
                static_cast<long long>(live.receiver->stats().duplicates));
    PgTestInstance::shared().dropDatabase(dsn);
    return 0;
}

int idlePollCost() {
    SimulatorProcess sim;
    if (!sim.start({QStringLiteral("--repos"),
                    QStringLiteral("100"),
                    QStringLiteral("--issues-per-repo"),
                    QStringLiteral("6"),
                    QStringLiteral("--prs-per-repo"),
                    QStringLiteral("2"),
                    QStringLiteral("--comments-per-issue"),
                    QStringLiteral("1"),
                    QStringLiteral("--commits-per-repo"),
                    QStringLiteral("5"),
                    QStringLiteral("--releases-per-repo"),
                    QStringLiteral("1"),
                    QStringLiteral("--labels-per-repo"),
                    QStringLiteral("3"),
                    QStringLiteral("--branches-per-repo"),
                    QStringLiteral("2"),
                    QStringLiteral("--discussions-per-repo"),
                    QStringLiteral("0"),
                    QStringLiteral("--token"),
                    token,
                    QStringLiteral("--rate-limit"),
                    QStringLiteral("1000000000")}))
        return fail(sim.error());
    const QString dsn = freshSyncDatabase(QStringLiteral("benchpoll"));
    LiveSync live;
    if (const QString e = startLiveSync(live, dsn, simulatorConfig(sim.baseUrl(), token)); !e.isEmpty())
        return fail(e);
    QSignalSpy cycle(live.poller.get(), &sync::Poller::cycleFinished);
    // The first cycle after the backfill stores the ETags; the second asks from the settled `since`.
    for (int i = 0; i < 2; ++i) {
        cycle.clear();
        live.poller->pollNow();
        if (!cycle.wait(300000))
            return fail(QStringLiteral("poll cycle timed out"));
    }
    sim.request("POST", QStringLiteral("/_sim/counters/reset"));
    cycle.clear();
    live.poller->pollNow();
    if (!cycle.wait(300000))
        return fail(QStringLiteral("poll cycle timed out"));
    const auto stats = cycle.first().first().value<sync::PollStats>();
    const QJsonObject counters = sim.request("GET", QStringLiteral("/_sim/counters")).json().object();
    std::printf("idle poll cycle over 100 repositories: %d requests, %d answered 304, %lld primary quota spent,"
                " %.2f s\n",
                stats.requests, stats.notModified,
                static_cast<long long>(counters.value(QStringLiteral("quota_spent")).toInteger()), stats.seconds);
    PgTestInstance::shared().dropDatabase(dsn);
    return 0;
}

} // namespace

int main(int argc, char **argv) {
    QCoreApplication app(argc, argv);
    const int changes = argc > 1 ? QByteArray(argv[1]).toInt() : 10000;
    if (changes <= 0)
        return fail(QStringLiteral("usage: bench_livesync [CHANGES]"));
    if (const int rc = webhookLatency(changes))
        return rc;
    return idlePollCost();
}
