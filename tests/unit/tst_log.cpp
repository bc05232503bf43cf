#include "core/log.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QTest>

using namespace hubsync;

class TestLog : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void cleanup() {
        Log::instance().setFormat(Log::Format::Text);
        Log::instance().setWriter([](const QString &) {});
    }

    void secretsAreRedacted() {
        QStringList lines;
        Log::instance().setWriter([&](const QString &line) { lines << line; });
        Log::instance().addSecret(QStringLiteral("ghp_supersecret123"));
        logInfo(QStringLiteral("github"), QStringLiteral("using token ghp_supersecret123 for requests"),
                {{QStringLiteral("header"), QStringLiteral("token ghp_supersecret123")}});
        QCOMPARE(lines.size(), 1);
        QVERIFY(!lines.first().contains(QStringLiteral("supersecret")));
        QVERIFY(lines.first().contains(QStringLiteral("***")));
    }

    void jsonFormat() {
        QStringList lines;
        Log::instance().setWriter([&](const QString &line) { lines << line; });
        Log::instance().setFormat(Log::Format::Json);
        logWarning(QStringLiteral("sync"), QStringLiteral("slow \"page\""),
                   {{QStringLiteral("repo"), QStringLiteral("a/b")}});
        QCOMPARE(lines.size(), 1);
        QJsonParseError error{};
        const QJsonObject object = QJsonDocument::fromJson(lines.first().toUtf8(), &error).object();
        QCOMPARE(error.error, QJsonParseError::NoError);
        QCOMPARE(object.value(QStringLiteral("level")).toString(), QStringLiteral("warning"));
        QCOMPARE(object.value(QStringLiteral("message")).toString(), QStringLiteral("slow \"page\""));
        QCOMPARE(object.value(QStringLiteral("repo")).toString(), QStringLiteral("a/b"));
    }

    void minimumLevel() {
        QStringList lines;
        Log::instance().setWriter([&](const QString &line) { lines << line; });
        logDebug(QStringLiteral("x"), QStringLiteral("hidden"));
        QVERIFY(lines.isEmpty());
        Log::instance().setMinimumLevel(Log::Level::Debug);
        logDebug(QStringLiteral("x"), QStringLiteral("shown"));
        Log::instance().setMinimumLevel(Log::Level::Info);
        QCOMPARE(lines.size(), 1);
    }
};

QTEST_GUILESS_MAIN(TestLog)
#include "tst_log.moc"
