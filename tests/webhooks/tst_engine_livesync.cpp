#include "facade/engine.h"
#include "livesyncfixture.h"
#include "localpg/localcluster.h"
#include "store/pg.h"
#include "webhooks/signature.h"

#include <QJsonArray>
#include <QSignalSpy>
#include <QTcpServer>
#include <QTemporaryDir>
#include <QTest>
#include <QUuid>

#include <algorithm>
#include <csignal>

using namespace hubsync;
using namespace hubsync::test;

// The engine facade as the app and the service run it: backfill, then webhooks and polling, and the
// installation's repository set changing underneath it.
class TestEngineLiveSync : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() { QVERIFY2(QFileInfo::exists(SimulatorProcess::binary()), "githubsim was not built"); }

    void backfillThenWebhooksThenNewRepositories() {
        QTemporaryDir dir;
        const QString key = dir.filePath(QStringLiteral("app.pem"));
        SimulatorProcess sim;
        QVERIFY2(sim.start({QStringLiteral("--dataset"), QStringLiteral("small"), QStringLiteral("--app-id"),
                            QStringLiteral("3"), QStringLiteral("--app-key-out"), key,
                            QStringLiteral("--installation-id"), QStringLiteral("9"),
                            QStringLiteral("--installation-repos"), QStringLiteral("octo-org/repo-0,octo-org/repo-1")}),
                 qPrintable(sim.error()));
        const QString dsn = PgTestInstance::shared().createDatabase(QStringLiteral("engine"));
        QVERIFY(!dsn.isEmpty());

        // A free loopback port for the receiver (the engine reports its address in its status too).
        QTcpServer probe;
        QVERIFY(probe.listen(QHostAddress::LocalHost, 0));
        const quint16 port = probe.serverPort();
        probe.close();

        Config config = simulatorConfig(sim.baseUrl(), {});
        config.appId = 3;
        config.appKeyFile = key;
        config.installationId = 9;
        config.database = dsn;
        config.webhookListen = QStringLiteral("127.0.0.1:%1").arg(port);
        config.webhookSecret = QStringLiteral("engine-secret");
        config.pollIntervalSeconds = 3600;
        Engine engine(config);
        QSignalSpy complete(&engine, &Engine::backfillComplete);
        QSignalSpy failed(&engine, &Engine::failed);
        QSignalSpy applied(&engine, &Engine::webhookApplied);
        QSignalSpy status(&engine, &Engine::statusChanged);
        engine.start();
        QVERIFY(QTest::qWaitFor([&] { return !complete.isEmpty() || !failed.isEmpty(); }, 60000));
        QVERIFY2(failed.isEmpty(), failed.isEmpty() ? "" : qPrintable(failed.first().first().value<Error>().message));
        QTRY_VERIFY_WITH_TIMEOUT(
            status.last().first().value<EngineStatus>().liveSyncMode.contains(QStringLiteral("webhooks")), 10000);

        pg::Connection db;
        QVERIFY(!db.open(dsn));
        const auto value = [&](const QString &sql) { return db.exec(sql).text(0, 0); };
        QCOMPARE(value(QStringLiteral("SELECT count(*) FROM github.repository")), QStringLiteral("2"));

        const auto control = [&](const QByteArray &verb, const QString &path, const QJsonObject &body) {
            return sim.request(verb, path, {}, QJsonDocument(body).toJson()).status;
        };
        QCOMPARE(control("PUT", QStringLiteral("/_sim/webhooks"),
                         {{QStringLiteral("url"), QStringLiteral("http://127.0.0.1:%1/github").arg(port)},
                          {QStringLiteral("secret"), config.webhookSecret},
                          {QStringLiteral("mode"), QStringLiteral("deliver")}}),
                 200);
        // An issue opened on GitHub reaches the table through its webhook.
        const auto openedIssueArrives = [&](const QString &title) -> QString {
            applied.clear();
            if (control("POST", QStringLiteral("/_sim/repos/octo-org/repo-1/issues"),
                        {{QStringLiteral("title"), title}}) != 201)
                return QStringLiteral("the simulator refused the issue");
            if (applied.isEmpty() && !applied.wait(10000))
                return QStringLiteral("no webhook was applied");
            if (applied.first().at(1).toString() != QLatin1String("applied"))
                return QStringLiteral("the webhook was ") + applied.first().at(1).toString();
            const pg::Result r =
                db.execParams(QStringLiteral("SELECT count(*) FROM github.issue WHERE title = $1"), {pg::param(title)});
            return r.toInt(0, 0) == 1 ? QString() : QStringLiteral("the issue is not in the table");
        };
        QCOMPARE(openedIssueArrives(QStringLiteral("Seen within seconds")), QString());

        // The server ends every session of the engine (a restart or an administrator would): the engine opens
        // new ones and goes on, without an error and without a restart.
        const pg::Result ended =
            db.exec(QStringLiteral("SELECT count(pg_terminate_backend(pid, 5000)) FROM pg_stat_activity"
                                   " WHERE datname = current_database() AND pid <> pg_backend_pid()"));
        QVERIFY2(ended.toInt(0, 0) > 0, qPrintable(ended.errorMessage()));
        QCOMPARE(openedIssueArrives(QStringLiteral("After the sessions ended")), QString());
        QVERIFY2(failed.isEmpty(), failed.isEmpty() ? "" : qPrintable(failed.first().first().value<Error>().message));

        // The installation is granted a third repository: it is backfilled without a restart.
        complete.clear();
        QCOMPARE(control("PUT", QStringLiteral("/_sim/installation/repositories"),
                         {{QStringLiteral("add"), QJsonArray{QStringLiteral("octo-org/repo-2")}}}),
                 200);
        QVERIFY(!complete.isEmpty() || complete.wait(60000));
        QCOMPARE(value(QStringLiteral("SELECT count(*) FROM github.repository")), QStringLiteral("3"));
        QVERIFY(value(QStringLiteral("SELECT count(*) FROM github.issue i JOIN github.repository r ON r.id ="
                                     " i.repository_id WHERE r.full_name = 'octo-org/repo-2'"))
                    .toInt() > 0);
        // And taken away again: its rows go.
        applied.clear();
        QCOMPARE(control("PUT", QStringLiteral("/_sim/installation/repositories"),
                         {{QStringLiteral("remove"), QJsonArray{QStringLiteral("octo-org/repo-2")}}}),
                 200);
        QVERIFY(!applied.isEmpty() || applied.wait(10000));
        QCOMPARE(value(QStringLiteral("SELECT count(*) FROM github.repository")), QStringLiteral("2"));

        // This installation is said to have a repository that GitHub will not show it: its backfill fails,
        // the failure is reported and retried later, and the service goes on syncing the others.
        QSignalSpy warnings(&engine, &Engine::warning);
        const QByteArray body =
            QJsonDocument(
                QJsonObject{{QStringLiteral("action"), QStringLiteral("added")},
                            {QStringLiteral("installation"), QJsonObject{{QStringLiteral("id"), 9}}},
                            {QStringLiteral("repository_selection"), QStringLiteral("selected")},
                            {QStringLiteral("repositories_added"),
                             QJsonArray{QJsonObject{{QStringLiteral("id"), 999999},
                                                    {QStringLiteral("name"), QStringLiteral("unseen")},
                                                    {QStringLiteral("full_name"), QStringLiteral("octo-org/unseen")},
                                                    {QStringLiteral("private"), true}}}},
                            {QStringLiteral("repositories_removed"), QJsonArray{}}})
                .toJson(QJsonDocument::Compact);
        const HttpAnswer answer =
            httpPost(QStringLiteral("http://127.0.0.1:%1/github").arg(port), body,
                     {{"X-GitHub-Event", "installation_repositories"},
                      {"X-GitHub-Delivery", QUuid::createUuid().toByteArray(QUuid::WithoutBraces)},
                      {"X-Hub-Signature-256", webhooks::signatureFor(body, config.webhookSecret.toUtf8())}});
        QCOMPARE(answer.status, 202);
        QTRY_VERIFY_WITH_TIMEOUT(
            status.last().first().value<EngineStatus>().failedRepositories.contains(QStringLiteral("octo-org/unseen")),
            30000);
        QVERIFY(status.last().first().value<EngineStatus>().message.contains(QStringLiteral("retrying")));
        QVERIFY(std::any_of(warnings.cbegin(), warnings.cend(), [](const QList<QVariant> &w) {
            return w.first().toString().contains(QStringLiteral("octo-org/unseen"));
        }));
        QVERIFY2(failed.isEmpty(), failed.isEmpty() ? "" : qPrintable(failed.first().first().value<Error>().message));
        QCOMPARE(openedIssueArrives(QStringLiteral("After a repository failed")), QString());
        engine.stop();
        db.close();
        PgTestInstance::shared().dropDatabase(dsn);
    }

    // Writes through the proxy to comments, labels and releases: GitHub echoes each with a webhook, which the
    // engine applies after the write-through committed; the tables end with each row once, as GitHub has it.
    void writesThroughTheProxyAreEchoedOnce() {
        const QString token = QStringLiteral("ghp_echo");
        SimulatorProcess sim;
        QVERIFY2(sim.start({QStringLiteral("--dataset"), QStringLiteral("small"), QStringLiteral("--token"), token}),
                 qPrintable(sim.error()));
        const QString dsn = PgTestInstance::shared().createDatabase(QStringLiteral("echo"));
        QVERIFY(!dsn.isEmpty());
        const auto freePort = [] {
            QTcpServer probe;
            return probe.listen(QHostAddress::LocalHost, 0) ? probe.serverPort() : quint16(0);
        };
        const quint16 webhookPort = freePort();
        const quint16 proxyPort = freePort();
        Config config = simulatorConfig(sim.baseUrl(), token);
        config.database = dsn;
        config.webhookListen = QStringLiteral("127.0.0.1:%1").arg(webhookPort);
        config.webhookSecret = QStringLiteral("echo-secret");
        config.proxyListen = QStringLiteral("127.0.0.1:%1").arg(proxyPort);
        config.pollIntervalSeconds = 3600;
        Engine engine(config);
        QSignalSpy complete(&engine, &Engine::backfillComplete);
        QSignalSpy failed(&engine, &Engine::failed);
        QSignalSpy applied(&engine, &Engine::webhookApplied);
        engine.start();
        QVERIFY(QTest::qWaitFor([&] { return !complete.isEmpty() || !failed.isEmpty(); }, 60000));
        QVERIFY2(failed.isEmpty(), failed.isEmpty() ? "" : qPrintable(failed.first().first().value<Error>().message));
        QCOMPARE(sim.request("PUT", QStringLiteral("/_sim/webhooks"), {},
                             QJsonDocument(QJsonObject{{QStringLiteral("url"),
                                                        QStringLiteral("http://127.0.0.1:%1/github").arg(webhookPort)},
                                                       {QStringLiteral("secret"), config.webhookSecret},
                                                       {QStringLiteral("mode"), QStringLiteral("deliver")}})
                                 .toJson())
                     .status,
                 200);

        pg::Connection db;
        QVERIFY(!db.open(dsn));
        const auto value = [&](const QString &sql) { return db.exec(sql).text(0, 0); };
        const QString repositoryId = value(QStringLiteral("SELECT min(repository_id) FROM github.issue"));
        const QString number =
            value(QStringLiteral("SELECT min(number) FROM github.issue WHERE repository_id = %1 AND NOT locked")
                      .arg(repositoryId));
        const DatabaseEndpoint endpoint = pg::endpointOf(dsn);
        pg::Connection client;
        QVERIFY(!client.open(QStringLiteral("host=127.0.0.1 port=%1 user=%2 dbname=%3")
                                 .arg(proxyPort)
                                 .arg(endpoint.user, endpoint.database)));
        applied.clear();
        const QStringList statements{
            QStringLiteral(
                "INSERT INTO github.comment (repository_id, issue_number, body) VALUES (%1, %2, 'echoed once')")
                .arg(repositoryId, number),
            QStringLiteral("INSERT INTO github.label (repository_id, name, color) VALUES (%1, 'echoed', 'abcdef')")
                .arg(repositoryId),
            QStringLiteral("INSERT INTO github.release (repository_id, tag_name, name) VALUES (%1, 'v-echo', 'echoed')")
                .arg(repositoryId)};
        for (const QString &sql : statements) {
            const pg::Result r = client.exec(sql);
            QVERIFY2(r.ok() && r.affectedRows() == 1, qPrintable(sql + QStringLiteral(": ") + r.errorMessage()));
        }
        // GitHub's echoes of the three writes.
        const auto echoed = [&](const char *event) {
            return std::any_of(applied.cbegin(), applied.cend(), [event](const QList<QVariant> &a) {
                return a.first().toString() == QLatin1String(event);
            });
        };
        QTRY_VERIFY_WITH_TIMEOUT(echoed("issue_comment") && echoed("label") && echoed("release"), 20000);
        for (const QList<QVariant> &a : std::as_const(applied))
            QVERIFY2(a.at(1).toString() != QLatin1String("failed"), qPrintable(a.first().toString()));
        QCOMPARE(value(QStringLiteral("SELECT count(*) FROM github.comment WHERE body = 'echoed once' AND id > 0")),
                 QStringLiteral("1"));
        QCOMPARE(value(QStringLiteral("SELECT count(*) FROM github.label WHERE name = 'echoed' AND id > 0")),
                 QStringLiteral("1"));
        QCOMPARE(value(QStringLiteral("SELECT count(*) FROM github.release WHERE tag_name = 'v-echo' AND id > 0")),
                 QStringLiteral("1"));
        QCOMPARE(value(QStringLiteral("SELECT (SELECT count(*) FROM github.comment WHERE id < 0) + (SELECT count(*)"
                                      " FROM github.label WHERE id < 0) + (SELECT count(*) FROM github.release"
                                      " WHERE id < 0)")),
                 QStringLiteral("0")); // no placeholder row left behind
        client.close();
        engine.stop();
        db.close();
        PgTestInstance::shared().dropDatabase(dsn);
    }

    // The embedded database's server dies (killed, out of memory): the engine starts it again and goes
    // on syncing, without an error and without a restart of its own.
    void embeddedDatabaseComesBack() {
        QTemporaryDir dir(QStringLiteral("/tmp/hs-watch-XXXXXX"));
        QVERIFY(dir.isValid());
        // As root the server runs as 'postgres', which must reach the directory.
        QFile::setPermissions(dir.path(), QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ExeOwner |
                                              QFileDevice::ExeOther);
        SimulatorProcess sim;
        QVERIFY2(sim.start({QStringLiteral("--dataset"), QStringLiteral("small"), QStringLiteral("--token"),
                            QStringLiteral("ghp_watch")}),
                 qPrintable(sim.error()));
        Config config = simulatorConfig(sim.baseUrl(), QStringLiteral("ghp_watch"));
        config.dataDir = dir.path();
        config.pollIntervalSeconds = 1;
        config.repos = {QStringLiteral("octo-org/repo-0")};
        config.embeddedTcp = qEnvironmentVariable("HUBSYNC_EMBEDDED_TRANSPORT") == QLatin1String("tcp");
        Engine engine(config);
        QSignalSpy complete(&engine, &Engine::backfillComplete);
        QSignalSpy failed(&engine, &Engine::failed);
        engine.start();
        QVERIFY(QTest::qWaitFor([&] { return !complete.isEmpty() || !failed.isEmpty(); }, 120000));
        QVERIFY2(failed.isEmpty(), failed.isEmpty() ? "" : qPrintable(failed.first().first().value<Error>().message));

        LocalCluster::Options options;
        options.directory = dir.path() + QStringLiteral("/postgres");
        options.stopOnDestruction = false;
        options.tcp = config.embeddedTcp;
        if (options.tcp)
            QVERIFY(!LocalCluster::storedPassword(options.directory, false, &options.password));
        const LocalCluster cluster(options); // only to read its pid and conninfo
        const qint64 pid = cluster.serverPid();
        QVERIFY(pid > 0 && cluster.serverAlive());
        QCOMPARE(::kill(static_cast<pid_t>(pid), SIGKILL), 0);
        QVERIFY(QTest::qWaitFor([&] { return !cluster.serverAlive(); }, 10000));

        QCOMPARE(
            sim.request(
                   "POST", QStringLiteral("/_sim/repos/octo-org/repo-0/issues"), {},
                   QJsonDocument(QJsonObject{{QStringLiteral("title"), QStringLiteral("After the crash")}}).toJson())
                .status,
            201);
        // Started again within the watch interval; the next poll brings the new issue.
        const auto arrived = [&] {
            pg::Connection db;
            if (db.open(cluster.conninfo(QStringLiteral("hubsync")), 2))
                return false;
            return db.exec(QStringLiteral("SELECT count(*) FROM github.issue WHERE title = 'After the crash'"))
                       .toInt(0, 0) == 1;
        };
        QVERIFY(QTest::qWaitFor(arrived, 60000));
        QVERIFY(cluster.serverPid() != pid);
        QVERIFY2(failed.isEmpty(), failed.isEmpty() ? "" : qPrintable(failed.first().first().value<Error>().message));
        engine.stop();
        LocalCluster(options).stop();
    }
};

QTEST_GUILESS_MAIN(TestEngineLiveSync)
#include "tst_engine_livesync.moc"
