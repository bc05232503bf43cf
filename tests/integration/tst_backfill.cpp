#include "catalog/schema.h"
#include "core/config.h"
#include "pgtestinstance.h"
#include "simulatorprocess.h"
#include "store/migrations.h"
#include "store/pg.h"
#include "sync/backfill.h"
#include "sync/githubapi.h"

#include <QJsonArray>
#include <QJsonObject>
#include <QProcess>
#include <QRandomGenerator>
#include <QSignalSpy>
#include <QTest>

using namespace hubsync;
using hubsync::test::PgTestInstance;
using hubsync::test::SimulatorProcess;

namespace {
const QByteArray token = "ghp_backfilltest0123456789";
}

// The main job end to end: the real simulator, the real sync engine, a real PostgreSQL.
class TestBackfill : public QObject {
    Q_OBJECT
private:
    QString freshDatabase(const QString &name) {
        const QString dsn = PgTestInstance::shared().createDatabase(name);
        if (dsn.isEmpty())
            return {};
        pg::Connection c;
        if (c.open(dsn) || Migrator(c, QStringLiteral("github")).migrate(catalog::allMigrations()))
            return {};
        return dsn;
    }

    // Runs one in-process backfill to completion; returns the error (none on success).
    Error backfill(const QString &dsn, const QString &apiUrl, QStringList repos = {}, const QByteArray &tok = token) {
        pg::Connection db;
        if (Error e = db.open(dsn))
            return e;
        Config config;
        config.githubApiUrl = apiUrl;
        config.githubGraphqlUrl = apiUrl + QStringLiteral("/graphql");
        config.token = QString::fromUtf8(tok);
        Error error;
        auto api = sync::makeGitHubApi(config, nullptr, &error);
        if (error)
            return error;
        sync::Backfill::Options options;
        options.repos = repos;
        sync::Backfill backfill(*api, db, options);
        QSignalSpy done(&backfill, &sync::Backfill::finished);
        QSignalSpy failed(&backfill, &sync::Backfill::failed);
        backfill.start();
        if (!QTest::qWaitFor([&] { return !done.isEmpty() || !failed.isEmpty(); }, 120000))
            return Error::make(Error::Kind::Internal, QStringLiteral("backfill timed out"));
        return failed.isEmpty() ? Error() : failed.first().first().value<Error>();
    }

    static qint64 count(pg::Connection &db, const QString &table) {
        return db.exec(QStringLiteral("SELECT count(*) FROM github.\"%1\"").arg(table)).toInt(0, 0);
    }

    // A fingerprint of a table's content that ignores _synced_at.
    static QString fingerprint(pg::Connection &db, const QString &table, const QString &key) {
        return db
            .exec(
                QStringLiteral("SELECT count(*) || ':' || coalesce(md5(string_agg(t::text, '|' ORDER BY %2)), '') FROM "
                               "(SELECT * FROM github.\"%1\") t0, LATERAL (SELECT to_jsonb(t0) - '_synced_at' AS t) j")
                    .arg(table, key))
            .text(0, 0);
    }

private Q_SLOTS:
    void initTestCase() { QVERIFY2(QFileInfo::exists(SimulatorProcess::binary()), "githubsim was not built"); }

    void everyCollectionMatchesTheRestApi() {
        SimulatorProcess sim;
        QVERIFY2(sim.start({QStringLiteral("--dataset"), QStringLiteral("small"), QStringLiteral("--seed"),
                            QStringLiteral("7"), QStringLiteral("--token"), QString::fromUtf8(token)}),
                 qPrintable(sim.error()));
        const QString dsn = freshDatabase(QStringLiteral("backfill_small"));
        QVERIFY(!dsn.isEmpty());
        const Error e = backfill(dsn, sim.baseUrl());
        QVERIFY2(!e, qPrintable(e.message));

        pg::Connection db;
        QVERIFY(!db.open(dsn));
        const QJsonArray repos = sim.listAll(QStringLiteral("/user/repos?per_page=100"), token);
        QVERIFY(!repos.isEmpty());
        QCOMPARE(count(db, QStringLiteral("repository")), qint64(repos.size()));

        qint64 issues = 0, pulls = 0, comments = 0, commits = 0, releases = 0, labels = 0, refs = 0, reactions = 0;
        for (const QJsonValue &r : repos) {
            const QString name = r.toObject().value(QStringLiteral("full_name")).toString();
            const QString base = QStringLiteral("/repos/") + name;
            for (const QJsonValue &i : sim.listAll(base + QStringLiteral("/issues?state=all&per_page=100"), token)) {
                const QJsonObject issue = i.toObject();
                // Pull requests come back in the issue list too; they are not issues, but their
                // reactions (visible only through this list's rollups) are synced.
                if (!issue.contains(QStringLiteral("pull_request")))
                    ++issues;
                if (issue.value(QStringLiteral("reactions")).toObject().value(QStringLiteral("total_count")).toInt() >
                    0)
                    reactions += sim.listAll(base + QStringLiteral("/issues/%1/reactions?per_page=100")
                                                        .arg(issue.value(QStringLiteral("number")).toInt()),
                                             token)
                                     .size();
            }
            pulls += sim.listAll(base + QStringLiteral("/pulls?state=all&per_page=100"), token).size();
            for (const QJsonValue &c : sim.listAll(base + QStringLiteral("/issues/comments?per_page=100"), token)) {
                ++comments;
                const QJsonObject comment = c.toObject();
                if (comment.value(QStringLiteral("reactions")).toObject().value(QStringLiteral("total_count")).toInt() >
                    0)
                    reactions += sim.listAll(base + QStringLiteral("/issues/comments/%1/reactions?per_page=100")
                                                        .arg(qint64(comment.value(QStringLiteral("id")).toDouble())),
                                             token)
                                     .size();
            }
            commits += sim.listAll(base + QStringLiteral("/commits?per_page=100"), token).size();
            releases += sim.listAll(base + QStringLiteral("/releases?per_page=100"), token).size();
            labels += sim.listAll(base + QStringLiteral("/labels?per_page=100"), token).size();
            for (const QJsonValue &ref : sim.listAll(base + QStringLiteral("/git/refs?per_page=100"), token)) {
                const QString name2 = ref.toObject().value(QStringLiteral("ref")).toString();
                refs +=
                    name2.startsWith(QStringLiteral("refs/heads/")) || name2.startsWith(QStringLiteral("refs/tags/"));
            }
        }
        QVERIFY(issues > 0 && pulls > 0 && comments > 0 && commits > 0 && releases > 0 && labels > 0 && refs > 0);
        QCOMPARE(count(db, QStringLiteral("issue")), issues);
        QCOMPARE(count(db, QStringLiteral("pull_request")), pulls);
        QCOMPARE(count(db, QStringLiteral("comment")), comments);
        QCOMPARE(count(db, QStringLiteral("commit")), commits);
        QCOMPARE(count(db, QStringLiteral("release")), releases);
        QCOMPARE(count(db, QStringLiteral("label")), labels);
        QCOMPARE(count(db, QStringLiteral("ref")), refs);
        QCOMPARE(count(db, QStringLiteral("reaction")), reactions);
        QVERIFY(count(db, QStringLiteral("discussion")) > 0);
        QVERIFY(count(db, QStringLiteral("discussion_comment")) > 0);
        QVERIFY(count(db, QStringLiteral("user")) > 0);
        QVERIFY(count(db, QStringLiteral("issue_label")) > 0);

        // Field by field: a sample issue equals GitHub's single-object answer.
        const pg::Result sample = db.exec(QStringLiteral(
            "SELECT i.number, r.full_name, i.id, i.title, i.state, i.user_id, i.node_id, i.comments,"
            " to_char(i.updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), i.body"
            " FROM github.issue i JOIN github.repository r ON r.id = i.repository_id ORDER BY i.id LIMIT 1"));
        QCOMPARE(sample.rows(), 1);
        const QJsonObject truth =
            sim.request("GET", QStringLiteral("/repos/%1/issues/%2").arg(sample.text(0, 1)).arg(sample.toInt(0, 0)),
                        token)
                .json()
                .object();
        QCOMPARE(sample.toInt(0, 2), qint64(truth.value(QStringLiteral("id")).toDouble()));
        QCOMPARE(sample.text(0, 3), truth.value(QStringLiteral("title")).toString());
        QCOMPARE(sample.text(0, 4), truth.value(QStringLiteral("state")).toString());
        QCOMPARE(sample.toInt(0, 5),
                 qint64(truth.value(QStringLiteral("user")).toObject().value(QStringLiteral("id")).toDouble()));
        QCOMPARE(sample.text(0, 6), truth.value(QStringLiteral("node_id")).toString());
        QCOMPARE(sample.toInt(0, 7), qint64(truth.value(QStringLiteral("comments")).toInt()));
        QCOMPARE(sample.text(0, 8), truth.value(QStringLiteral("updated_at")).toString());
        QCOMPARE(sample.text(0, 9), truth.value(QStringLiteral("body")).toString());

        // A second run is a no-op that finds every cursor done and duplicates nothing.
        const QString before = fingerprint(db, QStringLiteral("issue"), QStringLiteral("t->>'id'"));
        QVERIFY(!backfill(dsn, sim.baseUrl()));
        QCOMPARE(fingerprint(db, QStringLiteral("issue"), QStringLiteral("t->>'id'")), before);
        PgTestInstance::shared().dropDatabase(dsn);
    }

    void killedAtRandomPointsEqualsACleanRun() {
        SimulatorProcess sim;
        QVERIFY2(sim.start({QStringLiteral("--dataset"), QStringLiteral("medium"), QStringLiteral("--seed"),
                            QStringLiteral("3"), QStringLiteral("--token"), QString::fromUtf8(token)}),
                 qPrintable(sim.error()));
        const QString clean = freshDatabase(QStringLiteral("kill_clean"));
        const QString killed = freshDatabase(QStringLiteral("kill_killed"));
        QVERIFY(!clean.isEmpty() && !killed.isEmpty());
        QVERIFY(!backfill(clean, sim.baseUrl()));

        const QString binary = qEnvironmentVariable("HUBSYNC_BIN_DIR") + QStringLiteral("/hubsync");
        const QStringList args{QStringLiteral("--service"),        QStringLiteral("--backfill-only"),
                               QStringLiteral("--database"),       killed,
                               QStringLiteral("--github-api-url"), sim.baseUrl()};
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("GITHUB_TOKEN"), QString::fromUtf8(token));
        int kills = 0;
        int exitCode = -1;
        for (int attempt = 0; attempt < 40 && exitCode != 0; ++attempt) {
            QProcess p;
            p.setProcessEnvironment(env);
            p.setProcessChannelMode(QProcess::ForwardedErrorChannel);
            p.setStandardOutputFile(QProcess::nullDevice());
            p.start(binary, args);
            QVERIFY(p.waitForStarted());
            const int killAfter = 150 + int(QRandomGenerator::global()->bounded(900));
            if (attempt < 8 && !p.waitForFinished(killAfter)) {
                p.kill(); // SIGKILL: no cleanup, mid-transaction
                p.waitForFinished();
                ++kills;
                continue;
            }
            QVERIFY(p.waitForFinished(120000));
            exitCode = p.exitCode();
        }
        QCOMPARE(exitCode, 0);
        qInfo("killed the backfill %d times", kills);
        QVERIFY(kills > 0);

        pg::Connection a, b;
        QVERIFY(!a.open(clean));
        QVERIFY(!b.open(killed));
        const QList<QPair<QString, QString>> tables{{QStringLiteral("repository"), QStringLiteral("t->>'id'")},
                                                    {QStringLiteral("issue"), QStringLiteral("t->>'id'")},
                                                    {QStringLiteral("pull_request"), QStringLiteral("t->>'id'")},
                                                    {QStringLiteral("comment"), QStringLiteral("t->>'id'")},
                                                    {QStringLiteral("commit"), QStringLiteral("t->>'sha'")},
                                                    {QStringLiteral("release"), QStringLiteral("t->>'id'")},
                                                    {QStringLiteral("label"), QStringLiteral("t->>'id'")},
                                                    {QStringLiteral("ref"), QStringLiteral("t::text")},
                                                    {QStringLiteral("reaction"), QStringLiteral("t->>'id'")},
                                                    {QStringLiteral("discussion"), QStringLiteral("t->>'id'")},
                                                    {QStringLiteral("discussion_comment"), QStringLiteral("t->>'id'")},
                                                    {QStringLiteral("user"), QStringLiteral("t->>'id'")},
                                                    {QStringLiteral("issue_label"), QStringLiteral("t::text")}};
        for (const auto &[table, key] : tables) {
            const QString fromClean = fingerprint(a, table, key);
            const QString resumed = fingerprint(b, table, key);
            QVERIFY2(fromClean == resumed,
                     qPrintable(QStringLiteral("%1: clean %2, killed+resumed %3").arg(table, fromClean, resumed)));
        }
        PgTestInstance::shared().dropDatabase(clean);
        PgTestInstance::shared().dropDatabase(killed);
    }

    void rateLimitExhaustionWaitsForTheReset() {
        SimulatorProcess sim;
        QVERIFY2(sim.start({QStringLiteral("--dataset"), QStringLiteral("small"), QStringLiteral("--token"),
                            QString::fromUtf8(token), QStringLiteral("--rate-limit"), QStringLiteral("15"),
                            QStringLiteral("--rate-window-seconds"), QStringLiteral("2")}),
                 qPrintable(sim.error()));
        const QString dsn = freshDatabase(QStringLiteral("ratelimit"));
        const Error e = backfill(dsn, sim.baseUrl());
        QVERIFY2(!e, qPrintable(e.message));
        pg::Connection db;
        QVERIFY(!db.open(dsn));
        QVERIFY(count(db, QStringLiteral("issue")) > 0);
        PgTestInstance::shared().dropDatabase(dsn);
    }

    void badInputGivesClearErrors() {
        SimulatorProcess sim;
        QVERIFY(sim.start({QStringLiteral("--dataset"), QStringLiteral("small"), QStringLiteral("--token"),
                           QString::fromUtf8(token)}));
        const QString dsn = freshDatabase(QStringLiteral("badinput"));
        Error e = backfill(dsn, sim.baseUrl(), {}, "ghp_wrong_token_000000");
        QCOMPARE(e.kind, Error::Kind::GitHubAuth);
        QCOMPARE(exitCodeFor(e), ExitCode::GitHubAuth);
        e = backfill(dsn, sim.baseUrl(), {QStringLiteral("nobody/nothing")});
        QCOMPARE(e.kind, Error::Kind::GitHubNotFound);
        QVERIFY2(e.message.contains(QStringLiteral("nobody/nothing")), qPrintable(e.message));
        PgTestInstance::shared().dropDatabase(dsn);
    }
};

QTEST_GUILESS_MAIN(TestBackfill)
#include "tst_backfill.moc"
