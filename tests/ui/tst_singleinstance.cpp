// Desktop start-up: a second launch activates the first and exits 0 (in process, and with two real
// `hubsync` processes); the first run shows the setup wizard, a later run starts with the saved setup.

#include "core/secretstore.h"
#include "pgtestinstance.h"
#include "simulatorprocess.h"
#include "ui/setup/savedsetup.h"
#include "ui/setup/singleinstance.h"

#include <QLocalSocket>
#include <QProcess>
#include <QSettings>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

using namespace hubsync;

namespace {

// A private home for a `hubsync` process: its settings, data and secrets stay in `dir`.
QProcessEnvironment privateEnvironment(const QTemporaryDir &dir) {
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("XDG_CONFIG_HOME"), dir.filePath(QStringLiteral("config")));
    env.insert(QStringLiteral("XDG_DATA_HOME"), dir.filePath(QStringLiteral("data")));
    env.insert(QStringLiteral("HUBSYNC_SECRET_STORE"), QStringLiteral("file"));
    env.insert(QStringLiteral("QT_QPA_PLATFORM"), QStringLiteral("offscreen"));
    env.remove(QStringLiteral("GITHUB_TOKEN"));
    return env;
}

QString hubsyncBinary() {
    return qEnvironmentVariable("HUBSYNC_BIN_DIR") + QStringLiteral("/hubsync");
}

// Waits until the instance for `dataDir` listens (a probe that sends nothing does not activate it).
bool waitUntilListening(const QString &dataDir) {
    const QString name = SingleInstance::nameFor(dataDir);
    for (int i = 0; i < 120; ++i) {
        QLocalSocket probe;
        probe.connectToServer(name);
        if (probe.waitForConnected(500))
            return true;
        QTest::qWait(250);
    }
    return false;
}

void stop(QProcess &process) {
    process.terminate();
    if (!process.waitForFinished(10000))
        process.kill();
    process.waitForFinished(2000);
}

} // namespace

class TestSingleInstance : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void secondClaimActivatesFirst() {
        QTemporaryDir dir;
        const QString name = SingleInstance::nameFor(dir.path());
        QVERIFY(name.size() < 40);
        QCOMPARE(SingleInstance::nameFor(dir.path()), name);
        QVERIFY(SingleInstance::nameFor(dir.path() + QStringLiteral("/other")) != name);

        SingleInstance first(name);
        QString error;
        QVERIFY2(first.claim(&error), qPrintable(error));
        QSignalSpy activated(&first, &SingleInstance::activated);
        SingleInstance second(name);
        QVERIFY(!second.claim(&error));
        QVERIFY2(error.isEmpty(), qPrintable(error));
        QTRY_COMPARE(activated.size(), 1);
    }

    void garbageDoesNotActivate() {
        QTemporaryDir dir;
        const QString name = SingleInstance::nameFor(dir.path());
        SingleInstance first(name);
        QString error;
        QVERIFY(first.claim(&error));
        QSignalSpy activated(&first, &SingleInstance::activated);
        for (const QByteArray &junk : {QByteArray("hello\n"), QByteArray(4096, 'x'), QByteArray("activat")}) {
            QLocalSocket socket;
            socket.connectToServer(name);
            QVERIFY(socket.waitForConnected(2000));
            socket.write(junk);
            QVERIFY(socket.waitForBytesWritten(2000));
            QTRY_COMPARE(socket.state(), QLocalSocket::UnconnectedState); // answered or dropped, never hung
        }
        QCOMPARE(activated.size(), 0);
        // Still serving afterwards.
        SingleInstance second(name);
        QVERIFY(!second.claim(&error));
        QTRY_COMPARE(activated.size(), 1);
    }

    void staleSocketIsReplaced() {
        QTemporaryDir dir;
        const QString name = SingleInstance::nameFor(dir.path());
        {
            SingleInstance crashed(name);
            QString error;
            QVERIFY(crashed.claim(&error));
        } // the server closes; a crash would leave the socket file, which claim() removes
        SingleInstance next(name);
        QString error;
        QVERIFY2(next.claim(&error), qPrintable(error));
    }

    // Two real processes with the same (private) data directory; the first one is at its first run.
    void secondLaunchExitsZero() {
        QTemporaryDir dir;
        const QProcessEnvironment env = privateEnvironment(dir);
        const QString dataDir = dir.filePath(QStringLiteral("state"));
        const QStringList args{QStringLiteral("--data-dir"), dataDir};

        QProcess first;
        first.setProcessEnvironment(env);
        first.start(hubsyncBinary(), args);
        QVERIFY(first.waitForStarted(10000));
        QVERIFY(waitUntilListening(dataDir));
        QByteArray firstErr;
        QTRY_VERIFY_WITH_TIMEOUT(
            (firstErr += first.readAllStandardError()).contains("first run: showing the setup wizard"), 10000);
        QProcess second;
        second.setProcessEnvironment(env);
        second.start(hubsyncBinary(), args);
        QVERIFY(second.waitForFinished(30000));
        QVERIFY(second.readAllStandardOutput().contains("already running"));
        QCOMPARE(second.exitStatus(), QProcess::NormalExit);
        QCOMPARE(second.exitCode(), 0);
        QTRY_VERIFY_WITH_TIMEOUT((firstErr += first.readAllStandardError()).contains("activated by a second launch"),
                                 10000);
        QCOMPARE(first.state(), QProcess::Running);
        stop(first);
    }

    // A completed setup (settings + secrets as the wizard leaves them): the next start skips the wizard
    // and the engine syncs with it: the saved API URL, the token and the database from the secret store.
    void laterRunStartsWithTheSavedSetup() {
        test::SimulatorProcess sim;
        QVERIFY2(sim.start({QStringLiteral("--dataset"), QStringLiteral("small")}), qPrintable(sim.error()));
        const QString dsn = test::PgTestInstance::shared().createDatabase(QStringLiteral("laterrun"));
        QVERIFY2(!dsn.isEmpty(), qPrintable(test::PgTestInstance::shared().error()));
        QTemporaryDir dir;
        const QProcessEnvironment env = privateEnvironment(dir);
        const QString dataDir = dir.filePath(QStringLiteral("state"));
        {
            QSettings settings(dir.filePath(QStringLiteral("config/HubSync/hubsync.conf")), QSettings::IniFormat);
            SavedSetup setup;
            setup.complete = true;
            setup.githubApiUrl = sim.baseUrl();
            setup.auth = SavedSetup::Auth::Token;
            setup.login = QStringLiteral("someone");
            setup.externalDatabase = true;
            setup.save(settings);
            const SecretStoreOptions options = [&] {
                SecretStoreOptions o;
                o.keyFile = dir.filePath(QStringLiteral("config/HubSync/secret-store.key"));
                o.storeFile = dataDir + QStringLiteral("/secrets.enc");
                return o;
            }();
            EncryptedFileSecretStore store(options.keyFile, options.storeFile);
            SetupSecrets secrets;
            secrets.token = "ghp_sandbox";
            secrets.databaseConninfo = dsn.toUtf8();
            QVERIFY(!storeSetupSecrets(store, setup, secrets));
        }
        QProcess app;
        app.setProcessEnvironment(env);
        app.start(hubsyncBinary(), {QStringLiteral("--data-dir"), dataDir, QStringLiteral("--proxy-listen"),
                                    QStringLiteral("127.0.0.1:0")});
        QVERIFY(app.waitForStarted(10000));
        QByteArray err;
        QTRY_VERIFY_WITH_TIMEOUT((err += app.readAllStandardError()).contains("starting with the saved setup"), 20000);
        QTRY_VERIFY2_WITH_TIMEOUT((err += app.readAllStandardError()).contains("repo-2: backfill complete"),
                                  err.constData(), 60000);
        QVERIFY(!err.contains("setup wizard"));
        QVERIFY(!err.contains("ghp_sandbox"));
        QCOMPARE(app.state(), QProcess::Running);
        stop(app);
        test::PgTestInstance::shared().dropDatabase(dsn);
    }
};

QTEST_MAIN(TestSingleInstance)
#include "tst_singleinstance.moc"
