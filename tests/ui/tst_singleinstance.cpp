// A second desktop launch activates the first and exits 0: in process (SingleInstance) and with two
// real `hubsync` processes.

#include "ui/setup/singleinstance.h"

#include <QLocalSocket>
#include <QProcess>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

using namespace hubsync;

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

    // Two real processes with the same (private) data directory.
    void secondLaunchExitsZero() {
        QTemporaryDir dir;
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("XDG_CONFIG_HOME"), dir.filePath(QStringLiteral("config")));
        env.insert(QStringLiteral("XDG_DATA_HOME"), dir.filePath(QStringLiteral("data")));
        env.insert(QStringLiteral("HUBSYNC_SECRET_STORE"), QStringLiteral("file"));
        env.insert(QStringLiteral("QT_QPA_PLATFORM"), QStringLiteral("offscreen"));
        env.remove(QStringLiteral("GITHUB_TOKEN"));
        const QString binary = qEnvironmentVariable("HUBSYNC_BIN_DIR") + QStringLiteral("/hubsync");
        const QStringList args{QStringLiteral("--data-dir"), dir.filePath(QStringLiteral("state"))};

        QProcess first;
        first.setProcessEnvironment(env);
        first.setProcessChannelMode(QProcess::SeparateChannels);
        first.start(binary, args);
        QVERIFY(first.waitForStarted(10000));
        // The first run shows the setup wizard; its instance socket is up once the window is.
        QByteArray firstErr;
        QProcess second;
        bool exited = false;
        for (int attempt = 0; attempt < 40 && !exited; ++attempt) {
            QTest::qWait(250);
            second.setProcessEnvironment(env);
            second.start(binary, args);
            QVERIFY(second.waitForFinished(20000));
            exited = second.readAllStandardOutput().contains("already running");
        }
        QVERIFY2(exited, "the second launch never found the first");
        QCOMPARE(second.exitStatus(), QProcess::NormalExit);
        QCOMPARE(second.exitCode(), 0);
        QTRY_VERIFY_WITH_TIMEOUT((firstErr += first.readAllStandardError()).contains("activated by a second launch"),
                                 10000);
        QCOMPARE(first.state(), QProcess::Running);
        first.terminate();
        if (!first.waitForFinished(5000))
            first.kill();
    }
};

QTEST_MAIN(TestSingleInstance)
#include "tst_singleinstance.moc"
