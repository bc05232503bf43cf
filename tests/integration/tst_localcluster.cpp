#include "localpg/localcluster.h"
#include "store/pg.h"

#include <QDir>
#include <QTemporaryDir>
#include <QTest>

using namespace hubsync;

// The embedded database the app manages when no --database is given.
class TestLocalCluster : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void binariesAreFound() { QVERIFY(!LocalCluster::findServerBinaries().isEmpty()); }

    // Either transport: a private Unix socket, or TCP on 127.0.0.1 with a password (where there are no Unix
    // sockets, e.g. Windows; --embedded-transport tcp everywhere).
    void createStartStopRestart_data() {
        QTest::addColumn<bool>("tcp");
        QTest::newRow("socket") << false;
        QTest::newRow("tcp") << true;
    }
    void createStartStopRestart() {
        QFETCH(bool, tcp);
        QTemporaryDir dir(QStringLiteral("/tmp/hs-lc-XXXXXX"));
        QVERIFY(dir.isValid());
        QFile::setPermissions(dir.path(), QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ExeOwner |
                                              QFileDevice::ExeOther);
        LocalCluster::Options options;
        options.directory = dir.path() + QStringLiteral("/postgres");
        options.serverSettings = {QStringLiteral("fsync=off")};
        options.tcp = tcp;
        options.password = tcp ? QByteArray("a-generated-password") : QByteArray();
        {
            LocalCluster cluster(options);
            const Error started = cluster.start();
            QVERIFY2(!started, qPrintable(started.message));
            QVERIFY(cluster.isRunning());
            QVERIFY(!cluster.ensureDatabase(QStringLiteral("hubsync")));
            QVERIFY(!cluster.ensureDatabase(QStringLiteral("hubsync"))); // idempotent
            pg::Connection c;
            QVERIFY(!c.open(cluster.conninfo(QStringLiteral("hubsync"))));
            QVERIFY(!c.run(QStringLiteral("CREATE TABLE kept (x int); INSERT INTO kept VALUES (42)")));
            // A second start on a running cluster adopts it instead of failing.
            LocalCluster again(options);
            QVERIFY(!again.start());
            if (tcp) {
                // Only over TCP, only with the password.
                QVERIFY2(cluster.conninfo().contains(QStringLiteral("host=127.0.0.1")), qPrintable(cluster.address()));
                QVERIFY(QDir(cluster.socketDirectory()).entryList(QDir::System | QDir::Hidden | QDir::Files).isEmpty());
                pg::Connection refused;
                const Error e =
                    refused.open(QString(cluster.conninfo())
                                     .replace(QStringLiteral("a-generated-password"), QStringLiteral("wrong")));
                QVERIFY2(e && e.message.contains(QStringLiteral("password")), qPrintable(e.message));
            }
            // A cluster is reached the way it was created for.
            LocalCluster::Options other = options;
            other.tcp = !tcp;
            other.password = "x";
            const Error mismatch = LocalCluster(other).start();
            QVERIFY2(
                mismatch.kind == Error::Kind::Usage &&
                    mismatch.message.contains(QStringLiteral("--embedded-transport %1").arg(tcp ? "tcp" : "socket")),
                qPrintable(mismatch.message));
        } // destructor stops the cluster it started
        LocalCluster restarted(options);
        QVERIFY(!restarted.isRunning()); // the first cluster object stopped it
        const Error e = restarted.start();
        QVERIFY2(!e, qPrintable(e.message));
        pg::Connection c;
        QVERIFY(!c.open(restarted.conninfo(QStringLiteral("hubsync"))));
        QCOMPARE(c.exec(QStringLiteral("SELECT x FROM kept")).toInt(0, 0), qint64(42)); // data survived
        c.close();
        QVERIFY(!restarted.stop());
        QVERIFY(!restarted.isRunning());
    }

    void longDirectoryUsesShortSocketPath() {
        QTemporaryDir dir(QStringLiteral("/tmp/hs-lc-XXXXXX"));
        LocalCluster::Options options;
        options.directory = dir.path() + QStringLiteral("/") + QString(90, QLatin1Char('d'));
        LocalCluster cluster(options);
        QVERIFY(cluster.socketDirectory().toUtf8().size() <= 100);
    }

    void missingBinariesGiveAClearError() {
        qputenv("HUBSYNC_PG_BINDIR", "/nonexistent/bin");
        QTemporaryDir dir;
        LocalCluster::Options options;
        options.directory = dir.path();
        LocalCluster cluster(options);
        const Error e = cluster.start();
        qunsetenv("HUBSYNC_PG_BINDIR");
        QCOMPARE(e.kind, Error::Kind::Database);
        QVERIFY2(e.message.contains(QStringLiteral("install PostgreSQL")), qPrintable(e.message));
    }
};

QTEST_GUILESS_MAIN(TestLocalCluster)
#include "tst_localcluster.moc"
