// Write-through benchmark (not a test): the time an UPDATE of github.issue takes through the proxy, and
// how much of it is HubSync's own work beyond the GitHub round trips it needs (goal < 5 ms).
//  1. GitHub alone: the calls one accepted UPDATE makes (GET for the stale check, then PATCH), timed from
//     a GitHub client of our own, N times;
//  2. the UPDATE through the proxy (own thread, as in the product) from a libpq client, N times.
// Both run one statement per ~1 s: the write pacing of the quota planner is not part of either figure.
// Overhead = the UPDATE's p50/p90 minus the GitHub calls' p50/p90, measured in one run.
// Usage: bench_writethrough [N]   (githubsim in HUBSYNC_BIN_DIR; PostgreSQL from HUBSYNC_TEST_PG_DSN or
// a throwaway cluster).

#include "facade/proxyhost.h"
#include "github/githubclient.h"
#include "livesyncfixture.h"
#include "store/pg.h"
#include "sync/githubapi.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QJsonDocument>
#include <QJsonObject>
#include <QThread>

#include <algorithm>
#include <cstdio>

using namespace hubsync;
using namespace hubsync::test;

namespace {

const QString token = QStringLiteral("ghp_benchwritethrough0123456789");
// The quota planner spaces writes a second apart (GitHub's advice against secondary limits); the
// benchmark waits that long between statements so that neither figure includes the pacing.
constexpr unsigned long writeSpacingMs = 1050;

int fail(const QString &message) {
    std::fprintf(stderr, "bench_writethrough: %s\n", qPrintable(message));
    return 1;
}

double percentile(QList<double> values, double p) {
    std::sort(values.begin(), values.end());
    const qsizetype index = std::min<qsizetype>(values.size() - 1, qsizetype(p * double(values.size())));
    return values.at(index);
}

github::GitHubResponse call(github::GitHubClient &client, const QByteArray &verb, const QString &path,
                            const QJsonObject &body = {}) {
    github::GitHubResponse out;
    bool finished = false;
    QEventLoop loop;
    const auto done = [&](const github::GitHubResponse &r) {
        out = r;
        finished = true;
        loop.quit();
    };
    if (verb == "GET")
        client.get(path, done);
    else
        client.patch(path, QJsonDocument(body), done);
    if (!finished)
        loop.exec();
    return out;
}

} // namespace

int main(int argc, char **argv) {
    QCoreApplication app(argc, argv);
    const int n = argc > 1 ? QByteArray(argv[1]).toInt() : 40;
    if (n <= 0)
        return fail(QStringLiteral("usage: bench_writethrough [N]"));
    SimulatorProcess sim;
    if (!sim.start({QStringLiteral("--dataset"), QStringLiteral("small"), QStringLiteral("--token"), token,
                    QStringLiteral("--rate-limit"), QStringLiteral("1000000000")}))
        return fail(sim.error());
    const QString dsn = freshSyncDatabase(QStringLiteral("benchwritethrough"));
    if (dsn.isEmpty())
        return fail(PgTestInstance::shared().error());
    const Config config = simulatorConfig(sim.baseUrl(), token);
    if (const QString e = runBackfill(dsn, config); !e.isEmpty())
        return fail(e);

    pg::Connection db;
    if (Error e = db.open(dsn))
        return fail(e.message);
    const pg::Result target = db.exec(QStringLiteral(
        "SELECT i.id, i.number, r.full_name FROM github.issue i JOIN github.repository r ON r.id = i.repository_id"
        " ORDER BY i.id LIMIT 1"));
    if (!target.ok() || target.rows() != 1)
        return fail(QStringLiteral("no issue to update"));
    const qint64 id = target.toInt(0, 0);
    const QString path = QStringLiteral("/repos/%1/issues/%2").arg(target.text(0, 2)).arg(target.toInt(0, 1));

    // 1. Through the proxy.
    proxy::ProxyOptions options;
    const DatabaseEndpoint endpoint = pg::endpointOf(dsn);
    options.upstream.host = endpoint.host;
    options.upstream.port = quint16(endpoint.port);
    ProxyHost proxy(options);
    if (Error e = proxy.listen())
        return fail(e.message);
    if (Error e = proxy.enableWriteThrough(config, dsn))
        return fail(e.message);
    pg::Connection client;
    if (Error e = client.open(QStringLiteral("host=127.0.0.1 port=%1 user=%2 dbname=%3")
                                  .arg(proxy.port())
                                  .arg(endpoint.user, endpoint.database)))
        return fail(e.message);
    QList<double> statements;
    for (int i = 0; i < n; ++i) {
        QElapsedTimer t;
        t.start();
        const pg::Result r = client.execParams(QStringLiteral("UPDATE github.issue SET title = $1 WHERE id = $2"),
                                               {pg::param(QStringLiteral("proxy %1").arg(i)), pg::param(id)});
        statements << double(t.nsecsElapsed()) / 1e6;
        if (!r.ok() || r.affectedRows() != 1)
            return fail(QStringLiteral("UPDATE through the proxy failed: ") + r.errorMessage());
        QThread::msleep(writeSpacingMs);
    }
    // 2. GitHub alone.
    Error error;
    auto api = sync::makeGitHubApi(config, nullptr, &error);
    if (error)
        return fail(error.message);
    QList<double> github;
    for (int i = 0; i < n; ++i) {
        QElapsedTimer t;
        t.start();
        const github::GitHubResponse got = call(*api->client(), "GET", path);
        const github::GitHubResponse patched =
            call(*api->client(), "PATCH", path, {{QStringLiteral("title"), QStringLiteral("direct %1").arg(i)}});
        github << double(t.nsecsElapsed()) / 1e6;
        QThread::msleep(writeSpacingMs);
        if (got.error || patched.error)
            return fail(QStringLiteral("GitHub call failed: ") + (got.error ? got.error : patched.error).message);
    }

    client.close();
    PgTestInstance::shared().dropDatabase(dsn);

    const double g50 = percentile(github, 0.5), g90 = percentile(github, 0.9);
    const double s50 = percentile(statements, 0.5), s90 = percentile(statements, 0.9);
    std::printf("write-through, %d UPDATEs of one issue (simulator at zero latency, loopback)\n", n);
    std::printf("  GitHub calls alone (GET + PATCH): p50 %.2f ms, p90 %.2f ms\n", g50, g90);
    std::printf("  UPDATE through the proxy:          p50 %.2f ms, p90 %.2f ms\n", s50, s90);
    std::printf("  overhead beyond GitHub:            p50 %.2f ms, p90 %.2f ms (goal < 5 ms)\n", s50 - g50, s90 - g90);
    return 0;
}
