// The githubsim executable's contract: the first stdout line, --help, determinism across processes,
// clean exit on SIGTERM, the App key it writes, and refusal of bad arguments.

#include "simclient.h"

#include <QFileInfo>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

using namespace hubsync::githubsim::test;

namespace {

QString binary() {
    return qEnvironmentVariable("HUBSYNC_BIN_DIR") + QStringLiteral("/githubsim");
}

// Starts githubsim and returns its base URL (empty on failure).
QString start(QProcess &p, const QStringList &args) {
    p.start(binary(), QStringList{QStringLiteral("--listen"), QStringLiteral("127.0.0.1:0")} + args);
    if (!p.waitForStarted(5000))
        return {};
    QByteArray out;
    while (!out.contains('\n') && p.waitForReadyRead(10000))
        out += p.readAllStandardOutput();
    const QByteArray line = out.left(out.indexOf('\n'));
    static const QRegularExpression listening(QStringLiteral("^listening on (http://127\\.0\\.0\\.1:\\d+)$"));
    const auto m = listening.match(QString::fromUtf8(line));
    return m.hasMatch() ? m.captured(1) : QString();
}

QByteArray fetch(const QString &url, const QByteArray &token = "ghp_sandbox") {
    QNetworkAccessManager nam;
    QNetworkRequest r{QUrl(url)};
    r.setRawHeader("Authorization", "token " + token);
    QNetworkReply *reply = nam.get(r);
    QEventLoop loop;
    QObject::connect(reply, &QNetworkReply::finished, &loop, &QEventLoop::quit);
    loop.exec();
    const QByteArray body = reply->readAll();
    delete reply;
    return body;
}

} // namespace

class TestGithubsimProcess : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() { QVERIFY2(QFileInfo::exists(binary()), qPrintable(binary())); }

    void helpDocumentsTheFlags() {
        QProcess p;
        p.start(binary(), {QStringLiteral("--help")});
        QVERIFY(p.waitForFinished(10000));
        const QString help = QString::fromUtf8(p.readAllStandardOutput());
        for (const char *flag : {"--listen",
                                 "--dataset",
                                 "--seed",
                                 "--owner",
                                 "--repos",
                                 "--issues-per-repo",
                                 "--prs-per-repo",
                                 "--comments-per-issue",
                                 "--commits-per-repo",
                                 "--token",
                                 "--app-id",
                                 "--app-public-key",
                                 "--app-key-out",
                                 "--installation-id",
                                 "--installation-repos",
                                 "--token-lifetime-seconds",
                                 "--webhook-url",
                                 "--webhook-secret",
                                 "--rate-limit",
                                 "--rate-window-seconds",
                                 "--max-concurrent",
                                 "--latency-ms",
                                 "--fail-rate",
                                 "ghp_sandbox"})
            QVERIFY2(help.contains(QLatin1String(flag)), flag);
    }

    void sameSeedSameBytesAcrossProcesses() {
        QProcess a, b;
        const QStringList args{QStringLiteral("--dataset"), QStringLiteral("medium"),  QStringLiteral("--seed"),
                               QStringLiteral("11"),        QStringLiteral("--token"), QStringLiteral("t1")};
        const QString ua = start(a, args), ub = start(b, args);
        QVERIFY(!ua.isEmpty() && !ub.isEmpty());
        for (const QString &path : {QStringLiteral("/repos/octo-org/repo-4/issues?state=all&per_page=100&page=3"),
                                    QStringLiteral("/repos/octo-org/repo-2/issues/comments?per_page=100&page=7"),
                                    QStringLiteral("/repos/octo-org/repo-5/commits")}) {
            QByteArray x = fetch(ua + path, "t1"), y = fetch(ub + path, "t1");
            QVERIFY(x.size() > 1000);
            QCOMPARE(x.replace(ua.toUtf8(), "BASE"), y.replace(ub.toUtf8(), "BASE"));
        }
        QCOMPARE(fetch(ua + QStringLiteral("/repos/octo-org/repo-0"), "ghp_sandbox").contains("Bad credentials"),
                 true); // only --token tokens
        a.terminate();
        QVERIFY(a.waitForFinished(5000));
        QCOMPARE(a.exitStatus(), QProcess::NormalExit);
        QCOMPARE(a.exitCode(), 0);
        b.terminate();
        QVERIFY(b.waitForFinished(5000));
    }

    void writesTheAppKey() {
        QTemporaryDir dir;
        const QString key = dir.filePath(QStringLiteral("app.pem"));
        QProcess p;
        QVERIFY(!start(p, {QStringLiteral("--app-id"), QStringLiteral("12"), QStringLiteral("--app-key-out"), key})
                     .isEmpty());
        QFile f(key);
        QVERIFY(f.open(QIODevice::ReadOnly));
        QVERIFY(f.readAll().startsWith("-----BEGIN RSA PRIVATE KEY-----"));
        QCOMPARE(f.permissions() & (QFileDevice::ReadGroup | QFileDevice::ReadOther), QFileDevice::Permissions());
        p.terminate();
        QVERIFY(p.waitForFinished(5000));
    }

    void refusesBadArguments_data() {
        QTest::addColumn<QStringList>("args");
        QTest::newRow("dataset") << QStringList{QStringLiteral("--dataset"), QStringLiteral("huge")};
        QTest::newRow("negative size") << QStringList{QStringLiteral("--repos"), QStringLiteral("-1")};
        QTest::newRow("not a number") << QStringList{QStringLiteral("--issues-per-repo"), QStringLiteral("many")};
        QTest::newRow("app without key") << QStringList{QStringLiteral("--app-id"), QStringLiteral("3")};
        QTest::newRow("listen") << QStringList{QStringLiteral("--listen"), QStringLiteral("nowhere")};
    }
    void refusesBadArguments() {
        QFETCH(QStringList, args);
        QProcess p;
        p.start(binary(), args);
        QVERIFY(p.waitForFinished(10000));
        QCOMPARE(p.exitCode(), 2);
        QVERIFY(p.readAllStandardOutput().isEmpty());
    }
};

QTEST_GUILESS_MAIN(TestGithubsimProcess)
#include "tst_githubsim_process.moc"
