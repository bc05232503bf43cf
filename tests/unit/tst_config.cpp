#include "core/config.h"

#include <QFileInfo>
#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryFile>
#include <QTest>

using namespace hubsync;

class TestConfig : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void defaults() {
        const ConfigResult r = loadConfig({QStringLiteral("hubsync")}, {});
        QVERIFY2(!r.error, qPrintable(r.error.message));
        QCOMPARE(r.config.githubApiUrl, QStringLiteral("https://api.github.com"));
        QCOMPARE(r.config.effectiveGraphqlUrl(), QStringLiteral("https://api.github.com/graphql"));
        QCOMPARE(r.config.schema, QStringLiteral("github"));
        QCOMPARE(r.config.proxyListen, QStringLiteral("127.0.0.1:6544"));
        QCOMPARE(r.config.pollIntervalSeconds, 60);
        QVERIFY(!r.config.service);
    }

    void graphqlUrlForEnterprise() {
        const ConfigResult r = loadConfig({QStringLiteral("hubsync"), QStringLiteral("--github-api-url"),
                                           QStringLiteral("https://ghe.example/api/v3")},
                                          {});
        QCOMPARE(r.config.effectiveGraphqlUrl(), QStringLiteral("https://ghe.example/api/graphql"));
    }

    void precedence() {
        QTemporaryFile ini;
        QVERIFY(ini.open());
        ini.write("poll-interval=10\nschema=from_ini\nrepos=a/b\n");
        ini.close();
        const ConfigResult r =
            loadConfig({QStringLiteral("hubsync"), QStringLiteral("--config"), ini.fileName(),
                        QStringLiteral("--poll-interval"), QStringLiteral("30")},
                       {QStringLiteral("HUBSYNC_POLL_INTERVAL=20"), QStringLiteral("HUBSYNC_SCHEMA=from_env")});
        QVERIFY2(!r.error, qPrintable(r.error.message));
        QCOMPARE(r.config.pollIntervalSeconds, 30);                   // command line beats env and file
        QCOMPARE(r.config.schema, QStringLiteral("from_env"));        // env beats file
        QCOMPARE(r.config.repos, QStringList{QStringLiteral("a/b")}); // file beats default
    }

    void proxyServerIdle() {
        QCOMPARE(loadConfig({QStringLiteral("hubsync")}, {}).config.proxyServerIdleSeconds, 600);
        const ConfigResult off =
            loadConfig({QStringLiteral("hubsync")}, {QStringLiteral("HUBSYNC_PROXY_SERVER_IDLE=0")});
        QVERIFY2(!off.error, qPrintable(off.error.message));
        QCOMPARE(off.config.proxyServerIdleSeconds, 0);
    }

    void githubTokenEnvironment() {
        ConfigResult r = loadConfig({QStringLiteral("hubsync")}, {QStringLiteral("GITHUB_TOKEN=ghp_abc")});
        QCOMPARE(r.config.token, QStringLiteral("ghp_abc"));
        r = loadConfig({QStringLiteral("hubsync")},
                       {QStringLiteral("GITHUB_TOKEN=ghp_abc"), QStringLiteral("HUBSYNC_TOKEN=ghp_xyz")});
        QCOMPARE(r.config.token, QStringLiteral("ghp_xyz"));
    }

    void flags() {
        const ConfigResult r = loadConfig({QStringLiteral("hubsync"), QStringLiteral("--service"),
                                           QStringLiteral("--backfill-only"), QStringLiteral("--sandbox")},
                                          {});
        QVERIFY2(!r.error, qPrintable(r.error.message));
        QVERIFY(r.config.service);
        QVERIFY(r.config.backfillOnly);
        QVERIFY(r.config.sandbox);
    }

    void badInput_data() {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<QStringList>("env");
        QTest::addColumn<QString>("expected");
        const QString h = QStringLiteral("hubsync");
        QTest::newRow("unknown option") << QStringList{h, QStringLiteral("--frobnicate")} << QStringList{}
                                        << QStringLiteral("frobnicate");
        QTest::newRow("poll zero") << QStringList{h, QStringLiteral("--poll-interval"), QStringLiteral("0")}
                                   << QStringList{} << QStringLiteral("poll-interval");
        QTest::newRow("server idle negative")
            << QStringList{h, QStringLiteral("--proxy-server-idle"), QStringLiteral("-5")} << QStringList{}
            << QStringLiteral("proxy-server-idle");
        QTest::newRow("poll text env") << QStringList{h} << QStringList{QStringLiteral("HUBSYNC_POLL_INTERVAL=soon")}
                                       << QStringLiteral("HUBSYNC_POLL_INTERVAL");
        QTest::newRow("points one number")
            << QStringList{h, QStringLiteral("--points-per-minute"), QStringLiteral("900")} << QStringList{}
            << QStringLiteral("REST,GRAPHQL");
        QTest::newRow("points negative") << QStringList{h, QStringLiteral("--points-per-minute"),
                                                        QStringLiteral("-1,5")}
                                         << QStringList{} << QStringLiteral("REST,GRAPHQL");
        QTest::newRow("points window zero")
            << QStringList{h, QStringLiteral("--points-per-minute"), QStringLiteral("9,9/0")} << QStringList{}
            << QStringLiteral("1..3600");
        QTest::newRow("bad repo") << QStringList{h, QStringLiteral("--repos"), QStringLiteral("justaname")}
                                  << QStringList{} << QStringLiteral("owner/name");
        QTest::newRow("bad url") << QStringList{h, QStringLiteral("--github-api-url"), QStringLiteral("ftp://x")}
                                 << QStringList{} << QStringLiteral("http(s) URL");
        QTest::newRow("bad listen") << QStringList{h, QStringLiteral("--proxy-listen"), QStringLiteral("localhost")}
                                    << QStringList{} << QStringLiteral("HOST:PORT");
        QTest::newRow("tls cert without key")
            << QStringList{h, QStringLiteral("--proxy-tls-cert"), QStringLiteral("/etc/hostname")} << QStringList{}
            << QStringLiteral("go together");
        QTest::newRow("unreadable tls key")
            << QStringList{h, QStringLiteral("--proxy-tls-cert"), QStringLiteral("/etc/hostname"),
                           QStringLiteral("--proxy-tls-key"), QStringLiteral("/nonexistent/key.pem")}
            << QStringList{} << QStringLiteral("cannot read");
        QTest::newRow("bad schema") << QStringList{h, QStringLiteral("--schema"), QStringLiteral("Robert'); DROP")}
                                    << QStringList{} << QStringLiteral("identifier");
        QTest::newRow("app without key") << QStringList{h, QStringLiteral("--app-id"), QStringLiteral("5")}
                                         << QStringList{} << QStringLiteral("--app-key");
        QTest::newRow("token and app") << QStringList{h,
                                                      QStringLiteral("--app-id"),
                                                      QStringLiteral("5"),
                                                      QStringLiteral("--app-key"),
                                                      QStringLiteral("/dev/null"),
                                                      QStringLiteral("--installation-id"),
                                                      QStringLiteral("9"),
                                                      QStringLiteral("--token"),
                                                      QStringLiteral("t")}
                                       << QStringList{} << QStringLiteral("not both");
        QTest::newRow("backfill-only without service")
            << QStringList{h, QStringLiteral("--backfill-only")} << QStringList{} << QStringLiteral("--service");
        QTest::newRow("positional") << QStringList{h, QStringLiteral("extra")} << QStringList{}
                                    << QStringLiteral("unexpected");
        QTest::newRow("log format") << QStringList{h, QStringLiteral("--log-format"), QStringLiteral("xml")}
                                    << QStringList{} << QStringLiteral("text or json");
        QTest::newRow("missing config") << QStringList{h, QStringLiteral("--config"),
                                                       QStringLiteral("/nonexistent.ini")}
                                        << QStringList{} << QStringLiteral("cannot read config");
    }

    void badInput() {
        QFETCH(QStringList, args);
        QFETCH(QStringList, env);
        QFETCH(QString, expected);
        const ConfigResult r = loadConfig(args, env);
        QVERIFY(r.error);
        QCOMPARE(r.error.kind, Error::Kind::Usage);
        QCOMPARE(exitCodeFor(r.error), ExitCode::Usage);
        QVERIFY2(r.error.message.contains(expected), qPrintable(r.error.message));
    }

    // QSettings turns an unquoted "a,b" into a list; the option must still get both repositories.
    void iniListValue() {
        QTemporaryFile ini;
        QVERIFY(ini.open());
        ini.write("repos=octo-org/a,octo-org/b\ntoken=ghp_x\n");
        ini.close();
        const ConfigResult r = loadConfig({QStringLiteral("hubsync"), QStringLiteral("--config"), ini.fileName()}, {});
        QVERIFY2(!r.error, qPrintable(r.error.message));
        QCOMPARE(r.config.repos, (QStringList{QStringLiteral("octo-org/a"), QStringLiteral("octo-org/b")}));
    }

    // GitHub's documented secondary limits by default; an INI value "a,b" (a list to QSettings) works too.
    void pointsPerMinute() {
        ConfigResult r = loadConfig({QStringLiteral("hubsync")}, {});
        QVERIFY2(!r.error, qPrintable(r.error.message));
        QCOMPARE(r.config.restPointsPerMinute, 900);
        QCOMPARE(r.config.graphqlPointsPerMinute, 2000);
        QCOMPARE(r.config.pointsWindowSeconds, 60);
        QTemporaryFile ini;
        QVERIFY(ini.open());
        ini.write("points-per-minute=300,0/30\n");
        ini.close();
        r = loadConfig({QStringLiteral("hubsync"), QStringLiteral("--config"), ini.fileName()}, {});
        QVERIFY2(!r.error, qPrintable(r.error.message));
        QCOMPARE(r.config.restPointsPerMinute, 300);
        QCOMPARE(r.config.graphqlPointsPerMinute, 0);
        QCOMPARE(r.config.pointsWindowSeconds, 30);
    }

    void unknownIniKey() {
        QTemporaryFile ini;
        QVERIFY(ini.open());
        ini.write("pol-interval=10\n");
        ini.close();
        const ConfigResult r = loadConfig({QStringLiteral("hubsync"), QStringLiteral("--config"), ini.fileName()}, {});
        QVERIFY(r.error);
        QVERIFY2(r.error.message.contains(QStringLiteral("pol-interval")), qPrintable(r.error.message));
    }

    // The command-line contract of DESIGN.md, written out here rather than taken from optionSpecs(): the
    // help text is generated from that table, so checking one against the other could never fail.
    void helpDocumentsTheContract_data() {
        QTest::addColumn<QString>("option");
        QTest::addColumn<QString>("environmentVariable");
        const auto row = [](const char *option, const char *variable) {
            QTest::newRow(option) << QString::fromLatin1(option) << QString::fromLatin1(variable);
        };
        row("service", "HUBSYNC_SERVICE");
        row("config", "HUBSYNC_CONFIG");
        row("github-api-url", "HUBSYNC_GITHUB_API_URL");
        row("github-graphql-url", "HUBSYNC_GITHUB_GRAPHQL_URL");
        row("token", "HUBSYNC_TOKEN");
        row("app-id", "HUBSYNC_APP_ID");
        row("app-key", "HUBSYNC_APP_KEY");
        row("installation-id", "HUBSYNC_INSTALLATION_ID");
        row("repos", "HUBSYNC_REPOS");
        row("database", "HUBSYNC_DATABASE");
        row("schema", "HUBSYNC_SCHEMA");
        row("proxy-listen", "HUBSYNC_PROXY_LISTEN");
        row("webhook-listen", "HUBSYNC_WEBHOOK_LISTEN");
        row("webhook-secret", "HUBSYNC_WEBHOOK_SECRET");
        row("poll-interval", "HUBSYNC_POLL_INTERVAL");
        row("backfill-only", "HUBSYNC_BACKFILL_ONLY");
        row("log-format", "HUBSYNC_LOG_FORMAT");
        row("sandbox", "HUBSYNC_SANDBOX");
    }

    void helpDocumentsTheContract() {
        QFETCH(QString, option);
        QFETCH(QString, environmentVariable);
        const ConfigResult r = loadConfig({QStringLiteral("hubsync"), QStringLiteral("--help")}, {});
        QVERIFY(r.showHelp);
        const QRegularExpression optionWord(QStringLiteral("--%1\\b(?!-)").arg(QRegularExpression::escape(option)));
        QVERIFY2(r.helpText.contains(optionWord), qPrintable(r.helpText));
        const QRegularExpression variableWord(QStringLiteral("\\b%1\\b").arg(environmentVariable));
        QVERIFY2(r.helpText.contains(variableWord), qPrintable(r.helpText));
    }

    void helpNamesGithubToken() {
        const ConfigResult r = loadConfig({QStringLiteral("hubsync"), QStringLiteral("--help")}, {});
        QVERIFY(r.helpText.contains(QStringLiteral("GITHUB_TOKEN")));
    }

    // What a user sees: the real binary, started by its full path, names itself the way users type it.
    void helpUsageLineNamesHubsync() {
        const QString binDir = qEnvironmentVariable("HUBSYNC_BIN_DIR");
        if (binDir.isEmpty())
            QSKIP("HUBSYNC_BIN_DIR is not set; run through ctest");
        const QString binary = binDir + QStringLiteral("/hubsync");
        QVERIFY2(QFileInfo(binary).isExecutable(), qPrintable(binary));
        QProcess process;
        QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
        environment.remove(QStringLiteral("DISPLAY"));
        environment.remove(QStringLiteral("WAYLAND_DISPLAY"));
        environment.remove(QStringLiteral("QT_QPA_PLATFORM"));
        process.setProcessEnvironment(environment);
        process.start(QFileInfo(binary).absoluteFilePath(), {QStringLiteral("--help")});
        QVERIFY(process.waitForFinished(30000));
        QCOMPARE(process.exitStatus(), QProcess::NormalExit);
        QCOMPARE(process.exitCode(), 0);
        const QString output = QString::fromLocal8Bit(process.readAllStandardOutput());
        QCOMPARE(output.section(QLatin1Char('\n'), 0, 0), QStringLiteral("Usage: hubsync [options]"));
        QVERIFY2(output.contains(QStringLiteral("--sandbox")), qPrintable(output));
    }

    void hostPort_data() {
        QTest::addColumn<QString>("text");
        QTest::addColumn<bool>("valid");
        QTest::addColumn<QString>("host");
        QTest::addColumn<int>("port");
        QTest::newRow("v4") << QStringLiteral("127.0.0.1:6544") << true << QStringLiteral("127.0.0.1") << 6544;
        QTest::newRow("v6") << QStringLiteral("[::1]:80") << true << QStringLiteral("::1") << 80;
        QTest::newRow("zero port") << QStringLiteral("localhost:0") << true << QStringLiteral("localhost") << 0;
        QTest::newRow("no port") << QStringLiteral("localhost") << false << QString() << 0;
        QTest::newRow("big port") << QStringLiteral("h:70000") << false << QString() << 0;
        QTest::newRow("bare v6") << QStringLiteral("::1:80") << false << QString() << 0;
        QTest::newRow("empty host") << QStringLiteral(":80") << false << QString() << 0;
    }

    void hostPort() {
        QFETCH(QString, text);
        QFETCH(bool, valid);
        const auto parsed = parseHostPort(text);
        QCOMPARE(parsed.has_value(), valid);
        if (valid) {
            QFETCH(QString, host);
            QFETCH(int, port);
            QCOMPARE(parsed->host, host);
            QCOMPARE(int(parsed->port), port);
        }
    }
};

QTEST_GUILESS_MAIN(TestConfig)
#include "tst_config.moc"
