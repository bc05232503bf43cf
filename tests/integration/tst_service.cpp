#include "core/config.h"
#include "pgtestinstance.h"

#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

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

private Q_SLOTS:
    void helpDocumentsTheContract() {
        QString out;
        QCOMPARE(run({QStringLiteral("--help")}, &out), 0);
        for (const OptionSpec &spec : optionSpecs())
            QVERIFY2(out.contains(QStringLiteral("--") + spec.name), qPrintable(spec.name));
        QVERIFY(out.contains(QStringLiteral("--version")));
        QVERIFY(out.contains(QStringLiteral("Exit codes")));
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
};

QTEST_GUILESS_MAIN(TestService)
#include "tst_service.moc"
