// First-run helpers without a network: the server address rules, the setup redirect parser, the
// manifest, and the loopback redirect listener under hostile input.

#include "github/appsetup.h"
#include "github/redirectlistener.h"

#include <QJsonArray>
#include <QSignalSpy>
#include <QTcpSocket>
#include <QTest>

using namespace hubsync::github;

namespace {

// Sends raw bytes to the listener and returns what it answers before closing.
QByteArray exchange(quint16 port, const QByteArray &bytes) {
    QTcpSocket socket;
    socket.connectToHost(QHostAddress::LocalHost, port);
    if (!socket.waitForConnected(5000))
        return "no connection";
    socket.write(bytes);
    QByteArray answer;
    QElapsedTimer timer;
    timer.start();
    while (socket.state() == QAbstractSocket::ConnectedState && timer.elapsed() < 15000) {
        QTest::qWait(10);
        answer += socket.readAll();
    }
    return answer + socket.readAll();
}

} // namespace

class TestAppSetup : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void serverAddresses_data() {
        QTest::addColumn<bool>("enterprise");
        QTest::addColumn<QString>("input");
        QTest::addColumn<QString>("api"); // empty: refused
        QTest::addColumn<QString>("web");
        QTest::newRow("github.com") << false << QString() << "https://api.github.com"
                                    << "https://github.com";
        QTest::newRow("ghes bare host") << true << "ghes.example.com"
                                        << "https://ghes.example.com/api/v3"
                                        << "https://ghes.example.com";
        QTest::newRow("ghes https slash") << true << "https://ghes.example.com/"
                                          << "https://ghes.example.com/api/v3"
                                          << "https://ghes.example.com";
        QTest::newRow("ghes api given") << true << "https://ghes.example.com/api/v3/"
                                        << "https://ghes.example.com/api/v3"
                                        << "https://ghes.example.com";
        QTest::newRow("ghes port") << true << "https://ghes.example.com:8443"
                                   << "https://ghes.example.com:8443/api/v3"
                                   << "https://ghes.example.com:8443";
        QTest::newRow("http refused") << true << "http://ghes.example.com" << QString() << QString();
        QTest::newRow("ftp refused") << true << "ftp://ghes.example.com" << QString() << QString();
        QTest::newRow("empty refused") << true << "  " << QString() << QString();
        QTest::newRow("credentials refused") << true << "https://user:pw@ghes.example.com" << QString() << QString();
        QTest::newRow("query refused") << true << "https://ghes.example.com/?x=1" << QString() << QString();
        QTest::newRow("loopback simulator") << true << "http://127.0.0.1:4567"
                                            << "http://127.0.0.1:4567"
                                            << "http://127.0.0.1:4567";
        QTest::newRow("localhost") << true << "http://localhost:4567/"
                                   << "http://localhost:4567"
                                   << "http://localhost:4567";
    }
    void serverAddresses() {
        QFETCH(bool, enterprise);
        QFETCH(QString, input);
        QFETCH(QString, api);
        QFETCH(QString, web);
        QString error;
        const auto server = resolveGitHubServer(enterprise, input, &error);
        if (api.isEmpty()) {
            QVERIFY(!server);
            QVERIFY(!error.isEmpty());
            return;
        }
        QVERIFY2(server, qPrintable(error));
        QCOMPARE(server->apiUrl.toString(), api);
        QCOMPARE(server->webUrl.toString(), web);
    }

    void setupRedirects() {
        QString error;
        auto r = parseSetupRedirect(QUrlQuery(QStringLiteral("installation_id=42&setup_action=install")), &error);
        QVERIFY(r && r->installationId == 42 && r->setupAction == QLatin1String("install"));
        r = parseSetupRedirect(QUrlQuery(QStringLiteral("setup_action=request")), &error);
        QVERIFY(r && r->installationId == 0);
        QVERIFY(!parseSetupRedirect(QUrlQuery(QStringLiteral("setup_action=install")), &error));
        QVERIFY(!parseSetupRedirect(QUrlQuery(QStringLiteral("installation_id=-1&setup_action=install")), &error));
        QVERIFY(!parseSetupRedirect(QUrlQuery(QStringLiteral("installation_id=1e9&setup_action=install")), &error));
        QVERIFY(!parseSetupRedirect(
            QUrlQuery(QStringLiteral("installation_id=99999999999999999999&setup_action=install")), &error));
        QVERIFY(!parseSetupRedirect(QUrlQuery(QStringLiteral("installation_id=1&setup_action=<script>")), &error));
        QVERIFY(isPlausibleManifestCode(QStringLiteral("a1B2_c3-d4")));
        QVERIFY(!isPlausibleManifestCode(QStringLiteral("../../app")));
        QVERIFY(!isPlausibleManifestCode(QString(200, QLatin1Char('a'))));
        QVERIFY(!isPlausibleManifestCode(QString()));
    }

    void manifest() {
        const QJsonObject m =
            hubSyncAppManifest(QStringLiteral("HubSync x"), QUrl(QStringLiteral("http://127.0.0.1:5/manifest")),
                               QUrl(QStringLiteral("http://127.0.0.1:5/setup")));
        QCOMPARE(m.value(QStringLiteral("redirect_url")).toString(), QStringLiteral("http://127.0.0.1:5/manifest"));
        QCOMPARE(m.value(QStringLiteral("setup_url")).toString(), QStringLiteral("http://127.0.0.1:5/setup"));
        QCOMPARE(m.value(QStringLiteral("default_permissions")).toObject().value(QStringLiteral("issues")).toString(),
                 QStringLiteral("write"));
        QVERIFY(m.value(QStringLiteral("default_events")).toArray().contains(QStringLiteral("issues")));
        QCOMPARE(m.value(QStringLiteral("hook_attributes")).toObject().value(QStringLiteral("active")).toBool(), false);
        const QByteArray page =
            manifestFormPage(QUrl(QStringLiteral("https://github.com/settings/apps/new?state=s")), m);
        QVERIFY(page.contains("method=\"post\""));
        QVERIFY(page.contains("&quot;redirect_url&quot;")); // JSON escaped inside the attribute
        QVERIFY(!page.contains("\"redirect_url\""));
    }

    void listenerReportsOnlyExpectedRedirects() {
        RedirectListener listener;
        QString error;
        QVERIFY2(listener.listen(&error), qPrintable(error));
        listener.expectRedirect(QStringLiteral("/setup"), "<p>done</p>");
        listener.servePage(QStringLiteral("/start"), "<p>form</p>");
        QSignalSpy spy(&listener, &RedirectListener::redirected);
        const quint16 port = listener.port();
        const QByteArray state = listener.state().toLatin1();
        QVERIFY(state.size() >= 20);

        QVERIFY(exchange(port, "GET /start HTTP/1.1\r\nHost: x\r\n\r\n").contains("<p>form</p>"));
        QVERIFY(exchange(port, "GET /setup?installation_id=1&state=wrong HTTP/1.1\r\nHost: x\r\n\r\n")
                    .startsWith("HTTP/1.1 400"));
        QVERIFY(exchange(port, "GET /setup?installation_id=1 HTTP/1.1\r\nHost: x\r\n\r\n").startsWith("HTTP/1.1 400"));
        QVERIFY(exchange(port, "POST /setup?state=" + state + " HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")
                    .startsWith("HTTP/1.1 405"));
        QVERIFY(
            exchange(port, "GET /other?state=" + state + " HTTP/1.1\r\nHost: x\r\n\r\n").startsWith("HTTP/1.1 404"));
        QVERIFY(exchange(port, "\x16\x03\x01 not http at all\r\n\r\n").startsWith("HTTP/1.1 4"));
        const QByteArray huge = exchange(port, "GET / HTTP/1.1\r\nX: " + QByteArray(20000, 'a') + "\r\n\r\n");
        QVERIFY(huge.isEmpty() || huge.startsWith("HTTP/1.1 4")); // answered, or reset while still sending
        QCOMPARE(spy.size(), 0);

        const QByteArray ok = exchange(port, "GET /setup?installation_id=7&setup_action=install&state=" + state +
                                                 " HTTP/1.1\r\nHost: x\r\n\r\n");
        QVERIFY(ok.startsWith("HTTP/1.1 200"));
        QVERIFY(ok.contains("<p>done</p>"));
        QCOMPARE(spy.size(), 1);
        QCOMPARE(spy.at(0).at(0).toString(), QStringLiteral("/setup"));
        QCOMPARE(spy.at(0).at(1).value<QUrlQuery>().queryItemValue(QStringLiteral("installation_id")),
                 QStringLiteral("7"));
    }

    void listenerBoundsConnections() {
        RedirectListener listener;
        QString error;
        QVERIFY(listener.listen(&error));
        // Idle connections beyond the limit are refused; the listener keeps answering afterwards.
        QList<QTcpSocket *> idle;
        for (int i = 0; i < RedirectListener::MaxConnections + 4; ++i) {
            auto *s = new QTcpSocket(this);
            s->connectToHost(QHostAddress::LocalHost, listener.port());
            QVERIFY(s->waitForConnected(2000));
            idle << s;
        }
        QTRY_VERIFY_WITH_TIMEOUT(
            std::any_of(idle.cbegin(), idle.cend(),
                        [](QTcpSocket *s) { return s->state() != QAbstractSocket::ConnectedState; }),
            5000);
        qDeleteAll(idle);
        QTest::qWait(100);
        QVERIFY(exchange(listener.port(), "GET /nothing HTTP/1.1\r\n\r\n").startsWith("HTTP/1.1 404"));
    }
};

QTEST_GUILESS_MAIN(TestAppSetup)
#include "tst_appsetup.moc"
