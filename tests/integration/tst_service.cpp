#include "core/config.h"
#include "pgtestinstance.h"
#include "simulatorprocess.h"

#include <QDir>
#include <QFile>
#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>

#include <csignal>

using namespace hubsync;
using hubsync::test::PgTestInstance;

// Runs the real hubsync executable the way users and service managers do.
class TestService : public QObject {
    Q_OBJECT
private:
    static QString binary() { return qEnvironmentVariable("HUBSYNC_BIN_DIR") + QStringLiteral("/hubsync"); }

    // Runs hubsync with no display at all: the service must not need one.
    static int run(const QStringList &args, QString *output = nullptr, int timeoutMs = 60000) {
        QProcess p;
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.remove(QStringLiteral("DISPLAY"));
        env.remove(QStringLiteral("WAYLAND_DISPLAY"));
        env.remove(QStringLiteral("QT_QPA_PLATFORM"));
        env.remove(QStringLiteral("GITHUB_TOKEN"));
        p.setProcessEnvironment(env);
        p.setProcessChannelMode(QProcess::MergedChannels);
        p.start(binary(), args);
        if (!p.waitForFinished(timeoutMs)) {
            p.kill();
            p.waitForFinished();
            return -1;
        }
        if (output)
            *output = QString::fromLocal8Bit(p.readAll());
        return p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -2;
    }

    // Processes whose command line names `dataDir` (the postmaster and its children run with -D DIR).
    static QStringList processesUsing(const QString &dataDir) {
        QStringList found;
        const QByteArray needle = QDir(dataDir).absolutePath().toLocal8Bit();
        for (const QString &pid : QDir(QStringLiteral("/proc")).entryList(QDir::Dirs | QDir::NoDotAndDotDot)) {
            bool numeric = false;
            pid.toInt(&numeric);
            QFile cmdline(QStringLiteral("/proc/%1/cmdline").arg(pid));
            if (!numeric || !cmdline.open(QIODevice::ReadOnly))
                continue;
            QByteArray line = cmdline.readAll();
            line.replace('\0', ' ');
            if (line.contains(needle))
                found << pid + QLatin1Char(' ') + QString::fromLocal8Bit(line);
        }
        return found;
    }

private Q_SLOTS:
    // The command-line contract of DESIGN.md, spelled out here so that dropping an option from the
    // program (or from its --help) fails this test.
    void helpDocumentsTheContract() {
        QString out;
        QCOMPARE(run({QStringLiteral("--help")}, &out), 0);
        const QStringList contract{QStringLiteral("service"),        QStringLiteral("config"),
                                   QStringLiteral("github-api-url"), QStringLiteral("github-graphql-url"),
                                   QStringLiteral("token"),          QStringLiteral("app-id"),
                                   QStringLiteral("app-key"),        QStringLiteral("installation-id"),
                                   QStringLiteral("repos"),          QStringLiteral("database"),
                                   QStringLiteral("schema"),         QStringLiteral("proxy-listen"),
                                   QStringLiteral("webhook-listen"), QStringLiteral("webhook-secret"),
                                   QStringLiteral("poll-interval"),  QStringLiteral("backfill-only"),
                                   QStringLiteral("log-format"),     QStringLiteral("sandbox"),
                                   QStringLiteral("version"),        QStringLiteral("help")};
        for (const QString &option : contract) {
            // As an option of its own, not a prefix of a longer one (--app-key vs --app-key-file).
            const QRegularExpression documented(
                QStringLiteral("(^|\\s)--%1(\\s|=|,|$)").arg(QRegularExpression::escape(option)),
                QRegularExpression::MultilineOption);
            QVERIFY2(documented.match(out).hasMatch(), qPrintable(option));
        }
        QVERIFY(out.contains(QStringLiteral("GITHUB_TOKEN")));
        QVERIFY(out.contains(QStringLiteral("HUBSYNC_")));
        QVERIFY(out.contains(QStringLiteral("Exit codes")));
        // Every option the program accepts is in its help too.
        for (const OptionSpec &spec : optionSpecs())
            QVERIFY2(out.contains(QStringLiteral("--") + spec.name), qPrintable(spec.name));
    }

    void version() {
        QString out;
        QCOMPARE(run({QStringLiteral("--version")}, &out), 0);
        QVERIFY2(out.startsWith(QStringLiteral("hubsync ")), qPrintable(out));
    }

    void badUsageExitsTwo() {
        QString out;
        QCOMPARE(run({QStringLiteral("--service"), QStringLiteral("--poll-interval"), QStringLiteral("never")}, &out),
                 2);
        QVERIFY2(out.contains(QStringLiteral("poll-interval")), qPrintable(out));
    }

    void unreachableDatabaseExitsFour() {
        QString out;
        QCOMPARE(run({QStringLiteral("--service"), QStringLiteral("--backfill-only"), QStringLiteral("--database"),
                      QStringLiteral("host=/nonexistent-dir port=1 dbname=x connect_timeout=2")},
                     &out),
                 4);
        QVERIFY2(out.contains(QStringLiteral("database error")), qPrintable(out));
    }

    void missingCredentialsExitTwo() {
        const QString dsn = PgTestInstance::shared().createDatabase(QStringLiteral("nocreds"));
        QVERIFY2(!dsn.isEmpty(), qPrintable(PgTestInstance::shared().error()));
        QString out;
        const int code = run(
            {QStringLiteral("--service"), QStringLiteral("--backfill-only"), QStringLiteral("--database"), dsn}, &out);
        QVERIFY2(code == 2, qPrintable(out));
        QVERIFY2(out.contains(QStringLiteral("no GitHub credentials")), qPrintable(out));
        PgTestInstance::shared().dropDatabase(dsn);
    }

    void sandboxBackfillRunsHeadless() {
        const QString dsn = PgTestInstance::shared().createDatabase(QStringLiteral("sandbox"));
        QVERIFY2(!dsn.isEmpty(), qPrintable(PgTestInstance::shared().error()));
        QString out;
        const int code = run({QStringLiteral("--service"), QStringLiteral("--sandbox"),
                              QStringLiteral("--backfill-only"), QStringLiteral("--database"), dsn},
                             &out, 120000);
        QVERIFY2(code == 0, qPrintable(out));
        QVERIFY2(out.contains(QStringLiteral("service mode")), qPrintable(out));
        QVERIFY2(out.contains(QStringLiteral("backfill complete: ")), qPrintable(out));
        QVERIFY2(out.contains(QStringLiteral(" issue: ")), qPrintable(out)); // one progress line per repo x collection
        PgTestInstance::shared().dropDatabase(dsn);
    }

    // GitHub over TLS with a certificate no system root vouches for (a GitHub Enterprise Server with a
    // private CA): refused at once with the option to use, then trusted with --github-ca-file.
    void privateCertificateAuthority() {
        QTemporaryDir dir;
        const QString cert = dir.filePath(QStringLiteral("ca.pem"));
        const QString key = dir.filePath(QStringLiteral("key.pem"));
        QProcess openssl;
        openssl.start(QStringLiteral("openssl"),
                      {QStringLiteral("req"), QStringLiteral("-x509"), QStringLiteral("-newkey"),
                       QStringLiteral("rsa:2048"), QStringLiteral("-nodes"), QStringLiteral("-keyout"), key,
                       QStringLiteral("-out"), cert, QStringLiteral("-days"), QStringLiteral("1"),
                       QStringLiteral("-subj"), QStringLiteral("/CN=127.0.0.1"), QStringLiteral("-addext"),
                       QStringLiteral("subjectAltName=IP:127.0.0.1")});
        QVERIFY2(openssl.waitForFinished(60000) && openssl.exitCode() == 0, "openssl could not make a certificate");
        test::SimulatorProcess sim;
        QVERIFY2(sim.start({QStringLiteral("--dataset"), QStringLiteral("small"), QStringLiteral("--token"),
                            QStringLiteral("ghp_tls"), QStringLiteral("--tls-cert"), cert, QStringLiteral("--tls-key"),
                            key}),
                 qPrintable(sim.error()));
        QVERIFY2(sim.baseUrl().startsWith(QStringLiteral("https://")), qPrintable(sim.baseUrl()));
        const QString dsn = PgTestInstance::shared().createDatabase(QStringLiteral("tls"));
        QVERIFY2(!dsn.isEmpty(), qPrintable(PgTestInstance::shared().error()));
        const QStringList args{QStringLiteral("--service"),        QStringLiteral("--backfill-only"),
                               QStringLiteral("--database"),       dsn,
                               QStringLiteral("--token"),          QStringLiteral("ghp_tls"),
                               QStringLiteral("--github-api-url"), sim.baseUrl()};
        QString out;
        QCOMPARE(run(args, &out), 2);
        QVERIFY2(out.contains(QStringLiteral("--github-ca-file")), qPrintable(out));
        QVERIFY2(!out.contains(QStringLiteral("attempts")), qPrintable(out)); // not retried: it cannot heal
        QCOMPARE(run(args + QStringList{QStringLiteral("--github-ca-file"), key}, &out), 2); // a key, no certificate
        QVERIFY2(out.contains(QStringLiteral("no PEM certificate")), qPrintable(out));
        QCOMPARE(run(args + QStringList{QStringLiteral("--github-ca-file"), cert}, &out), 0);
        QVERIFY2(out.contains(QStringLiteral("backfill complete: ")), qPrintable(out));
        PgTestInstance::shared().dropDatabase(dsn);
    }

    // No --database: the embedded cluster is created in the data dir, started, migrated, filled and
    // stopped at exit; a second run restarts that cluster and re-runs the migrations harmlessly.
    void embeddedDatabaseBackfillsAndStops() {
        QTemporaryDir dir(QStringLiteral("/tmp/hs-svc-XXXXXX"));
        QVERIFY(dir.isValid());
        // As root the cluster runs as 'postgres', which must be able to pass through this directory.
        QFile::setPermissions(dir.path(), QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ExeOwner |
                                              QFileDevice::ExeOther);
        const QString dataDir = dir.path() + QStringLiteral("/state");
        const QStringList args{QStringLiteral("--service"), QStringLiteral("--sandbox"),
                               QStringLiteral("--backfill-only"), QStringLiteral("--data-dir"), dataDir};
        for (int attempt = 1; attempt <= 2; ++attempt) {
            QString out;
            const int code = run(args, &out, 180000);
            QVERIFY2(code == 0, qPrintable(QStringLiteral("run %1 exited %2:\n%3").arg(attempt).arg(code).arg(out)));
            QVERIFY2(out.contains(QStringLiteral("backfill complete: ")), qPrintable(out));
            // The portable run (label portable): TCP on loopback, no Unix socket, as on Windows.
            if (qEnvironmentVariable("HUBSYNC_EMBEDDED_TRANSPORT") == QLatin1String("tcp"))
                QVERIFY2(out.contains(QStringLiteral("embedded database running (127.0.0.1:")), qPrintable(out));
            // The printed command works pasted as is, though the cluster stopped with the backfill: it starts
            // the cluster, runs psql, and stops the cluster again.
            const QRegularExpressionMatch printed =
                QRegularExpression(QStringLiteral("query the data with: (.*hubsync psql --data-dir .*)$"),
                                   QRegularExpression::MultilineOption)
                    .match(out);
            QVERIFY2(printed.hasMatch(), qPrintable(out));
            QProcess shell;
            shell.setProcessChannelMode(QProcess::MergedChannels);
            shell.start(QStringLiteral("/bin/sh"), {QStringLiteral("-c"), printed.captured(1)});
            QVERIFY(shell.waitForFinished(120000));
            const QString rows = QString::fromLocal8Bit(shell.readAll());
            QVERIFY2(shell.exitCode() == 0, qPrintable(printed.captured(1) + QLatin1Char('\n') + rows));
            QVERIFY2(rows.contains(QStringLiteral("(5 rows)")), qPrintable(rows));
            // The first run creates the cluster and migrates it; the second starts the existing cluster and
            // finds every migration applied.
            for (const QString &firstOnly :
                 {QStringLiteral("creating the embedded database"), QStringLiteral("applied migration 100 to github")})
                QVERIFY2(out.contains(firstOnly) == (attempt == 1), qPrintable(out));
            QVERIFY(QFileInfo::exists(dataDir + QStringLiteral("/postgres/data/PG_VERSION")));
            QVERIFY2(!QFileInfo::exists(dataDir + QStringLiteral("/postgres/data/postmaster.pid")),
                     "the embedded cluster is still running");
            const QStringList left = processesUsing(dataDir);
            QVERIFY2(left.isEmpty(), qPrintable(left.join(QLatin1Char('\n'))));
        }
    }

    void serviceStopsOnSigterm() {
        const QString dsn = PgTestInstance::shared().createDatabase(QStringLiteral("sigterm"));
        QVERIFY(!dsn.isEmpty());
        QProcess p;
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.remove(QStringLiteral("DISPLAY"));
        p.setProcessEnvironment(env);
        p.setProcessChannelMode(QProcess::MergedChannels);
        p.start(binary(),
                {QStringLiteral("--service"), QStringLiteral("--sandbox"), QStringLiteral("--database"), dsn});
        QVERIFY(p.waitForStarted());
        QByteArray output;
        QTRY_VERIFY_WITH_TIMEOUT((output += p.readAllStandardOutput()).contains("backfill complete"), 60000);
        p.terminate();
        QVERIFY(p.waitForFinished(30000));
        QCOMPARE(p.exitStatus(), QProcess::NormalExit);
        QCOMPARE(p.exitCode(), 0);
        PgTestInstance::shared().dropDatabase(dsn);
    }

    // The desktop app (`hubsync --sandbox`, no --service) stopped by SIGTERM (kill, logout), SIGINT (Ctrl+C in
    // its terminal) or SIGHUP (the terminal closed): exit code 0, the embedded cluster stopped cleanly and
    // the sandbox simulator gone with it.
    void desktopStopsOnSignals_data() {
        QTest::addColumn<int>("signal");
        QTest::newRow("SIGTERM") << int(SIGTERM);
        QTest::newRow("SIGINT") << int(SIGINT);
        QTest::newRow("SIGHUP") << int(SIGHUP);
    }
    void desktopStopsOnSignals() {
        QFETCH(int, signal);
        QTemporaryDir dir(QStringLiteral("/tmp/hs-desk-XXXXXX"));
        QVERIFY(dir.isValid());
        QFile::setPermissions(dir.path(), QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ExeOwner |
                                              QFileDevice::ExeOther);
        const QString dataDir = dir.path() + QStringLiteral("/state");
        QProcess p;
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("QT_QPA_PLATFORM"), QStringLiteral("offscreen"));
        env.insert(QStringLiteral("XDG_CONFIG_HOME"), dir.path() + QStringLiteral("/config"));
        env.remove(QStringLiteral("GITHUB_TOKEN"));
        p.setProcessEnvironment(env);
        p.setProcessChannelMode(QProcess::MergedChannels);
        p.start(binary(), {QStringLiteral("--sandbox"), QStringLiteral("--data-dir"), dataDir});
        QVERIFY(p.waitForStarted());
        QByteArray output;
        QTRY_VERIFY2_WITH_TIMEOUT((output += p.readAll()).contains("backfill complete"), output.right(2000).constData(),
                                  120000);
        const QStringList simulators = childrenNamed(p.processId(), "githubsim");
        QCOMPARE(simulators.size(), 1);
        QVERIFY2(!processesUsing(dataDir).isEmpty(), "the embedded cluster is not running");
        QCOMPARE(::kill(pid_t(p.processId()), signal), 0);
        QVERIFY(p.waitForFinished(60000));
        output += p.readAll();
        QCOMPARE(p.exitStatus(), QProcess::NormalExit);
        QVERIFY2(p.exitCode() == 0, output.right(2000).constData());
        QVERIFY2(output.contains("stopping on signal"), output.right(2000).constData());
        QVERIFY2(!QFileInfo::exists(dataDir + QStringLiteral("/postgres/data/postmaster.pid")),
                 "the embedded cluster is still running");
        const QStringList left = processesUsing(dataDir);
        QVERIFY2(left.isEmpty(), qPrintable(left.join(QLatin1Char('\n'))));
        QTRY_VERIFY_WITH_TIMEOUT(!QFileInfo::exists(QStringLiteral("/proc/%1/cmdline").arg(simulators.first())) ||
                                     processState(simulators.first()) == 'Z',
                                 10000);
    }

    // The sandbox simulator never outlives HubSync, even one killed with SIGKILL.
    void simulatorDiesWithAKilledApp() {
        const QString dsn = PgTestInstance::shared().createDatabase(QStringLiteral("sigkill"));
        QVERIFY(!dsn.isEmpty());
        QProcess p;
        p.setProcessChannelMode(QProcess::MergedChannels);
        p.start(binary(),
                {QStringLiteral("--service"), QStringLiteral("--sandbox"), QStringLiteral("--database"), dsn});
        QVERIFY(p.waitForStarted());
        QByteArray output;
        QTRY_VERIFY_WITH_TIMEOUT((output += p.readAll()).contains("backfill complete"), 60000);
        const QStringList simulators = childrenNamed(p.processId(), "githubsim");
        QCOMPARE(simulators.size(), 1);
        p.kill();
        QVERIFY(p.waitForFinished(10000));
        QTRY_VERIFY_WITH_TIMEOUT(!QFileInfo::exists(QStringLiteral("/proc/%1/cmdline").arg(simulators.first())) ||
                                     processState(simulators.first()) == 'Z',
                                 10000);
        PgTestInstance::shared().dropDatabase(dsn);
    }

    // After a kill -9 of the app, what it left (the embedded server; the simulator dies with it) is taken over
    // by the next start, which works and stops it cleanly at its end.
    void nextStartTakesOverWhatAKilledAppLeft() {
        QTemporaryDir dir(QStringLiteral("/tmp/hs-kill-XXXXXX"));
        QVERIFY(dir.isValid());
        QFile::setPermissions(dir.path(), QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ExeOwner |
                                              QFileDevice::ExeOther);
        const QString dataDir = dir.path() + QStringLiteral("/state");
        QProcess p;
        p.setProcessChannelMode(QProcess::MergedChannels);
        p.start(binary(), {QStringLiteral("--service"), QStringLiteral("--sandbox"), QStringLiteral("--data-dir"),
                           dataDir, QStringLiteral("--proxy-listen"), QStringLiteral("127.0.0.1:0")});
        QVERIFY(p.waitForStarted());
        QByteArray output;
        QTRY_VERIFY2_WITH_TIMEOUT((output += p.readAll()).contains("backfill complete"), output.right(2000).constData(),
                                  120000);
        p.kill();
        QVERIFY(p.waitForFinished(10000));
        QVERIFY2(QFileInfo::exists(dataDir + QStringLiteral("/postgres/data/postmaster.pid")),
                 "the killed app's server is expected to outlive it");

        QString out;
        const int code = run({QStringLiteral("--service"), QStringLiteral("--sandbox"),
                              QStringLiteral("--backfill-only"), QStringLiteral("--data-dir"), dataDir},
                             &out, 180000);
        QVERIFY2(code == 0, qPrintable(out));
        QVERIFY2(out.contains(QStringLiteral("taking over the embedded database")), qPrintable(out));
        QVERIFY2(!QFileInfo::exists(dataDir + QStringLiteral("/postgres/data/postmaster.pid")),
                 "the embedded cluster is still running");
        const QStringList left = processesUsing(dataDir);
        QVERIFY2(left.isEmpty(), qPrintable(left.join(QLatin1Char('\n'))));
    }

private:
    // Pids of the direct children of `parent` whose program name contains `name`.
    static QStringList childrenNamed(qint64 parent, const QByteArray &name) {
        QStringList found;
        for (const QString &pid : QDir(QStringLiteral("/proc")).entryList(QDir::Dirs | QDir::NoDotAndDotDot)) {
            QFile stat(QStringLiteral("/proc/%1/stat").arg(pid));
            if (!stat.open(QIODevice::ReadOnly))
                continue;
            const QByteArray line = stat.readAll();
            const qsizetype close = line.lastIndexOf(')');
            const QList<QByteArray> fields = line.mid(close + 2).split(' ');
            if (close > 0 && fields.size() > 1 && fields.at(1).toLongLong() == parent &&
                line.left(close).contains(name.left(15)))
                found << pid;
        }
        return found;
    }
    static char processState(const QString &pid) {
        QFile stat(QStringLiteral("/proc/%1/stat").arg(pid));
        if (!stat.open(QIODevice::ReadOnly))
            return 0;
        const QByteArray line = stat.readAll();
        const qsizetype close = line.lastIndexOf(')');
        return close > 0 && close + 2 < line.size() ? line.at(close + 2) : char(0);
    }
};

QTEST_GUILESS_MAIN(TestService)
#include "tst_service.moc"
