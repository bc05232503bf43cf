// Write-through benchmark (not a test): the time a write through the proxy takes, and how much of it is
// HubSync's own work beyond the GitHub round trips it needs (goal < 5 ms), for every written table:
//  1. the statement through the proxy (own thread, as in the product) from a libpq client, N times;
//  2. GitHub alone: the calls one accepted statement makes (an UPDATE: GET for the stale check, then
//     PATCH; an INSERT: POST; a DELETE: DELETE), timed from a GitHub client of our own, N times.
// Every write runs ~1 s after the previous one: the write pacing of the quota planner is not part of
// either figure. Overhead = the statement's p50/p90 minus the GitHub calls' p50/p90, measured in one run.
// Usage: bench_writethrough [N]   (BENCH_TABLES=issue,comment for some tables only, BENCH_VERBOSE=1 for every
// statement's time; githubsim in HUBSYNC_BIN_DIR; PostgreSQL from HUBSYNC_TEST_PG_DSN or
// a throwaway cluster).

#include "catalog/catalog.h"
#include "facade/proxyhost.h"
#include "github/githubclient.h"
#include "livesyncfixture.h"
#include "store/pg.h"
#include "sync/githubapi.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QThread>
#include <QUrl>

#include <algorithm>
#include <cstdio>
#include <functional>

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
    else if (verb == "POST")
        client.post(path, QJsonDocument(body), done);
    else if (verb == "DELETE")
        client.del(path, done);
    else
        client.patch(path, QJsonDocument(body), done);
    if (!finished)
        loop.exec();
    return out;
}

// One kind of write of one table.
struct Case {
    QString table;
    QString statement;                                          // what the client sends ("UPDATE title")
    QString githubCalls;                                        // what GitHub alone is asked ("GET + PATCH")
    std::function<QString(pg::Connection &, int)> viaProxy;     // runs iteration i; an error message or empty
    std::function<QString(github::GitHubClient &, int)> direct; // the same change from our own client
};

// The GET + PATCH an accepted UPDATE makes.
QString getAndPatch(github::GitHubClient &client, const QString &path, const QJsonObject &body) {
    const github::GitHubResponse got = call(client, "GET", path);
    const github::GitHubResponse patched = call(client, "PATCH", path, body);
    const Error &e = got.error ? got.error : patched.error;
    return e ? e.message : QString();
}

QString statement(pg::Connection &client, const QString &sql, const pg::Params &params) {
    const pg::Result r = client.execParams(sql, params);
    return r.ok() && r.affectedRows() == 1 ? QString() : QStringLiteral("%1: %2").arg(sql, r.errorMessage());
}

github::GitHubResponse graphql(github::GitHubClient &client, const QString &query, const QJsonObject &variables) {
    github::GitHubResponse out;
    bool finished = false;
    QEventLoop loop;
    client.graphql(query, variables, [&](const github::GitHubResponse &r) {
        out = r;
        finished = true;
        loop.quit();
    });
    if (!finished)
        loop.exec();
    return out;
}

} // namespace

int main(int argc, char **argv) {
    QCoreApplication app(argc, argv);
    const int n = (argc > 1 ? QByteArray(argv[1]).toInt() : 20) / 2 * 2;
    if (n < 2)
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
    const pg::Result issue = db.exec(QStringLiteral(
        "SELECT i.id, i.number, r.full_name, i.repository_id FROM github.issue i JOIN github.repository r ON r.id ="
        " i.repository_id ORDER BY i.id LIMIT 1"));
    if (!issue.ok() || issue.rows() != 1)
        return fail(QStringLiteral("no issue to write"));
    const qint64 issueId = issue.toInt(0, 0);
    const QString repo = issue.text(0, 2);
    const qint64 repoId = issue.toInt(0, 3);
    const QString issuePath = QStringLiteral("/repos/%1/issues/%2").arg(repo).arg(issue.toInt(0, 1));
    const auto first = [&](const QString &sql) {
        const pg::Result r = db.execParams(sql, {pg::param(repoId)});
        return r.ok() && r.rows() == 1 ? QStringList{r.text(0, 0), r.columns() > 1 ? r.text(0, 1) : QString()}
                                       : QStringList();
    };
    const QStringList comment =
        first(QStringLiteral("SELECT id FROM github.comment WHERE repository_id = $1 ORDER BY id LIMIT 1"));
    const QStringList label =
        first(QStringLiteral("SELECT id, name FROM github.label WHERE repository_id = $1 ORDER BY id LIMIT 1"));
    const QStringList pull = first(
        QStringLiteral("SELECT id, number FROM github.pull_request WHERE repository_id = $1 ORDER BY id LIMIT 1"));
    const QStringList unlinked = first(QStringLiteral(
        "SELECT l.id, l.name FROM github.label l WHERE l.repository_id = $1 AND NOT EXISTS (SELECT 1 FROM"
        " github.issue_label il WHERE il.label_id = l.id AND il.issue_id = (SELECT min(id) FROM github.issue))"
        " ORDER BY l.id LIMIT 1"));
    const QStringList discussion =
        first(QStringLiteral("SELECT id, node_id FROM github.discussion WHERE repository_id = $1 ORDER BY id LIMIT 1"));
    if (comment.isEmpty() || label.isEmpty() || pull.isEmpty() || unlinked.isEmpty())
        return fail(QStringLiteral("the dataset lacks a comment, label or pull request to write"));

    QList<Case> cases;
    cases << Case{QStringLiteral("issue"), QStringLiteral("UPDATE title"), QStringLiteral("GET + PATCH"),
                  [&](pg::Connection &c, int i) {
                      return statement(c, QStringLiteral("UPDATE github.issue SET title = $1 WHERE id = $2"),
                                       {pg::param(QStringLiteral("proxy %1").arg(i)), pg::param(issueId)});
                  },
                  [&](github::GitHubClient &c, int i) {
                      return getAndPatch(c, issuePath, {{QStringLiteral("title"), QStringLiteral("direct %1").arg(i)}});
                  }};
    cases << Case{QStringLiteral("pull_request"), QStringLiteral("UPDATE title"), QStringLiteral("GET + PATCH"),
                  [&](pg::Connection &c, int i) {
                      return statement(
                          c, QStringLiteral("UPDATE github.pull_request SET title = $1 WHERE id = $2"),
                          {pg::param(QStringLiteral("proxy %1").arg(i)), pg::param(pull.at(0).toLongLong())});
                  },
                  [&](github::GitHubClient &c, int i) {
                      return getAndPatch(c, QStringLiteral("/repos/%1/pulls/%2").arg(repo, pull.at(1)),
                                         {{QStringLiteral("title"), QStringLiteral("direct %1").arg(i)}});
                  }};
    cases << Case{QStringLiteral("comment"), QStringLiteral("UPDATE body"), QStringLiteral("GET + PATCH"),
                  [&](pg::Connection &c, int i) {
                      return statement(
                          c, QStringLiteral("UPDATE github.comment SET body = $1 WHERE id = $2"),
                          {pg::param(QStringLiteral("proxy %1").arg(i)), pg::param(comment.at(0).toLongLong())});
                  },
                  [&](github::GitHubClient &c, int i) {
                      return getAndPatch(c, QStringLiteral("/repos/%1/issues/comments/%2").arg(repo, comment.at(0)),
                                         {{QStringLiteral("body"), QStringLiteral("direct %1").arg(i)}});
                  }};
    cases << Case{QStringLiteral("label"), QStringLiteral("UPDATE description"), QStringLiteral("GET + PATCH"),
                  [&](pg::Connection &c, int i) {
                      return statement(
                          c, QStringLiteral("UPDATE github.label SET description = $1 WHERE id = $2"),
                          {pg::param(QStringLiteral("proxy %1").arg(i)), pg::param(label.at(0).toLongLong())});
                  },
                  [&](github::GitHubClient &c, int i) {
                      return getAndPatch(c,
                                         QStringLiteral("/repos/%1/labels/%2")
                                             .arg(repo, QString::fromLatin1(QUrl::toPercentEncoding(label.at(1)))),
                                         {{QStringLiteral("description"), QStringLiteral("direct %1").arg(i)}});
                  }};
    if (!discussion.isEmpty())
        cases << Case{QStringLiteral("discussion"), QStringLiteral("UPDATE title"), QStringLiteral("query + mutation"),
                      [&](pg::Connection &c, int i) {
                          return statement(
                              c, QStringLiteral("UPDATE github.discussion SET title = $1 WHERE id = $2"),
                              {pg::param(QStringLiteral("proxy %1").arg(i)), pg::param(discussion.at(0).toLongLong())});
                      },
                      [&](github::GitHubClient &c, int i) {
                          const QJsonObject id{{QStringLiteral("id"), discussion.at(1)}};
                          const github::GitHubResponse read =
                              graphql(c,
                                      QStringLiteral("query($id: ID!) { node(id: $id) { ... on Discussion { %1 } } }")
                                          .arg(catalog::discussionFields()),
                                      id);
                          const github::GitHubResponse written = graphql(
                              c,
                              QStringLiteral("mutation($input: UpdateDiscussionInput!) { updateDiscussion(input:"
                                             " $input) { discussion { %1 } } }")
                                  .arg(catalog::discussionFields()),
                              {{QStringLiteral("input"),
                                QJsonObject{{QStringLiteral("discussionId"), discussion.at(1)},
                                            {QStringLiteral("title"), QStringLiteral("direct %1").arg(i)}}}});
                          const Error &e = read.error ? read.error : written.error;
                          return e ? e.message : QString();
                      }};
    cases << Case{QStringLiteral("reaction"), QStringLiteral("INSERT"), QStringLiteral("POST"),
                  [&](pg::Connection &c, int) {
                      return statement(c,
                                       QStringLiteral("INSERT INTO github.reaction (subject_type, subject_id, content)"
                                                      " VALUES ('issue', $1, 'hooray')"),
                                       {pg::param(issueId)});
                  },
                  [&](github::GitHubClient &c, int) {
                      const github::GitHubResponse r = call(c, "POST", issuePath + QStringLiteral("/reactions"),
                                                            {{QStringLiteral("content"), QStringLiteral("hooray")}});
                      return r.error ? r.error.message : QString();
                  }};
    // Added on even runs, removed on odd ones.
    cases << Case{QStringLiteral("issue_label"), QStringLiteral("INSERT / DELETE"), QStringLiteral("POST / DELETE"),
                  [&](pg::Connection &c, int i) {
                      return statement(c,
                                       i % 2 == 0 ? QStringLiteral("INSERT INTO github.issue_label (issue_id, label_id)"
                                                                   " VALUES ($1, $2)")
                                                  : QStringLiteral("DELETE FROM github.issue_label WHERE issue_id = $1"
                                                                   " AND label_id = $2"),
                                       {pg::param(issueId), pg::param(unlinked.at(0).toLongLong())});
                  },
                  [&](github::GitHubClient &c, int i) {
                      const QString labels = issuePath + QStringLiteral("/labels");
                      const github::GitHubResponse r =
                          i % 2 == 0 ? call(c, "POST", labels, {{QStringLiteral("labels"), QJsonArray{unlinked.at(1)}}})
                                     : call(c, "DELETE",
                                            labels + QLatin1Char('/') +
                                                QString::fromLatin1(QUrl::toPercentEncoding(unlinked.at(1))));
                      return r.error ? r.error.message : QString();
                  }};

    // Through the proxy.
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
    Error error;
    auto api = sync::makeGitHubApi(config, nullptr, &error);
    if (error)
        return fail(error.message);

    std::printf("write-through, %d statements per table (simulator at zero latency, loopback); goal: overhead < 5 ms\n",
                n);
    std::printf("  %-13s %-19s %-14s %10s %10s %12s %12s\n", "table", "statement", "GitHub calls", "GitHub p50",
                "proxy p50", "overhead p50", "overhead p90");
    // BENCH_TABLES=issue,comment measures only those tables.
    const QStringList only = qEnvironmentVariable("BENCH_TABLES").split(QLatin1Char(','), Qt::SkipEmptyParts);
    const bool verbose = qEnvironmentVariableIsSet("BENCH_VERBOSE"); // every statement's time on stderr
    for (const Case &c : std::as_const(cases)) {
        if (!only.isEmpty() && !only.contains(c.table))
            continue;
        QList<double> statements;
        QList<double> github;
        // Two untimed runs of each first (the first statement of a kind parses and plans what later ones
        // reuse), and an even count of timed ones, for the cases that alternate. All the proxy's runs come
        // before GitHub's: a change made behind the table's back would fail the proxy's stale check.
        for (int i = 0; i < 2; ++i) {
            if (const QString e = c.viaProxy(client, n + i); !e.isEmpty())
                return fail(QStringLiteral("%1 through the proxy failed: %2").arg(c.table, e));
            QThread::msleep(writeSpacingMs);
        }
        for (int i = 0; i < n; ++i) {
            QElapsedTimer t;
            t.start();
            if (const QString e = c.viaProxy(client, i); !e.isEmpty())
                return fail(QStringLiteral("%1 through the proxy failed: %2").arg(c.table, e));
            statements << double(t.nsecsElapsed()) / 1e6;
            if (verbose)
                std::fprintf(stderr, "%s proxy %d: %.2f ms\n", qPrintable(c.table), i, statements.last());
            QThread::msleep(writeSpacingMs);
        }
        for (int i = 0; i < 2; ++i) {
            if (const QString e = c.direct(*api->client(), n + i); !e.isEmpty())
                return fail(QStringLiteral("%1 on GitHub failed: %2").arg(c.table, e));
            QThread::msleep(writeSpacingMs);
        }
        for (int i = 0; i < n; ++i) {
            QElapsedTimer t;
            t.start();
            if (const QString e = c.direct(*api->client(), i); !e.isEmpty())
                return fail(QStringLiteral("%1 on GitHub failed: %2").arg(c.table, e));
            github << double(t.nsecsElapsed()) / 1e6;
            if (verbose)
                std::fprintf(stderr, "%s github %d: %.2f ms\n", qPrintable(c.table), i, github.last());
            QThread::msleep(writeSpacingMs);
        }
        const double g50 = percentile(github, 0.5), g90 = percentile(github, 0.9);
        const double s50 = percentile(statements, 0.5), s90 = percentile(statements, 0.9);
        std::printf("  %-13s %-19s %-14s %7.2f ms %7.2f ms %9.2f ms %9.2f ms\n", qPrintable(c.table),
                    qPrintable(c.statement), qPrintable(c.githubCalls), g50, s50, s50 - g50, s90 - g90);
        std::fflush(stdout);
    }
    client.close();
    PgTestInstance::shared().dropDatabase(dsn);
    return 0;
}
