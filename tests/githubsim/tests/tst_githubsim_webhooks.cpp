// Webhooks: GitHub's published HMAC test vector, deliveries for REST and control-API changes with the
// right headers and a verifiable X-Hub-Signature-256, payload shapes against the recorded examples,
// and the drop/delay switches.

#include "simclient.h"

#include <QDir>
#include <QFile>
#include <QMessageAuthenticationCode>
#include <QTest>

using namespace hubsync::githubsim;
using namespace hubsync::githubsim::test;

class TestGithubsimWebhooks : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void githubTestVector() {
        // https://docs.github.com/webhooks/using-webhooks/validating-webhook-deliveries
        QCOMPARE(WebhookSender::signature256("It's a Secret to Everybody", "Hello, World!"),
                 QByteArray("sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"));
    }

    void everyChangeIsDelivered_data() {
        QTest::addColumn<QByteArray>("method");
        QTest::addColumn<QString>("path");
        QTest::addColumn<QByteArray>("body");
        QTest::addColumn<QString>("event");
        QTest::addColumn<QString>("action");
        QTest::addColumn<QString>("example"); // recorded payload whose keys ours must have
        QTest::newRow("REST issue opened")
            << QByteArray("POST") << "/repos/octo-org/repo-0/issues" << QByteArray(R"({"title":"t"})") << "issues"
            << "opened"
            << "issues/opened.json";
        QTest::newRow("REST issue edited")
            << QByteArray("PATCH") << "/repos/octo-org/repo-0/issues/1" << QByteArray(R"({"title":"t2"})") << "issues"
            << "edited"
            << "issues/edited.json";
        QTest::newRow("REST issue labeled") << QByteArray("POST") << "/repos/octo-org/repo-0/issues/2/labels"
                                            << QByteArray(R"({"labels":["wontfix"]})") << "issues"
                                            << "labeled"
                                            << "issues/labeled.json";
        QTest::newRow("REST issue locked")
            << QByteArray("PUT") << "/repos/octo-org/repo-0/issues/2/lock" << QByteArray() << "issues"
            << "locked"
            << "issues/locked.json";
        QTest::newRow("REST comment") << QByteArray("POST") << "/repos/octo-org/repo-0/issues/2/comments"
                                      << QByteArray(R"({"body":"hi"})") << "issue_comment"
                                      << "created"
                                      << "issue_comment/created.json";
        QTest::newRow("REST label") << QByteArray("POST") << "/repos/octo-org/repo-0/labels"
                                    << QByteArray(R"({"name":"n","color":"aabbcc"})") << "label"
                                    << "created"
                                    << "label/created.json";
        QTest::newRow("REST release") << QByteArray("POST") << "/repos/octo-org/repo-0/releases"
                                      << QByteArray(R"({"tag_name":"v9"})") << "release"
                                      << "published"
                                      << "release/published.json";
        QTest::newRow("control issue (as hubot)") << QByteArray("POST") << "/_sim/repos/octo-org/repo-1/issues"
                                                  << QByteArray(R"({"title":"x","as":"hubot"})") << "issues"
                                                  << "opened"
                                                  << "issues/opened.json";
        QTest::newRow("control issue deleted")
            << QByteArray("DELETE") << "/_sim/repos/octo-org/repo-1/issues/1" << QByteArray() << "issues"
            << "deleted"
            << "issues/deleted.json";
        QTest::newRow("control discussion") << QByteArray("POST") << "/_sim/repos/octo-org/repo-1/discussions"
                                            << QByteArray(R"({"title":"d","body":"b"})") << "discussion"
                                            << "created"
                                            << "discussion/created.json";
        QTest::newRow("control discussion comment")
            << QByteArray("POST") << "/_sim/repos/octo-org/repo-1/discussions/19/comments"
            << QByteArray(R"({"body":"c"})") << "discussion_comment"
            << "created"
            << "discussion_comment/created.json";
        QTest::newRow("control ref") << QByteArray("DELETE") << "/_sim/repos/octo-org/repo-1/git/refs/heads/feature-1"
                                     << QByteArray() << "delete"
                                     << ""
                                     << "delete/payload.json";
    }
    void everyChangeIsDelivered() {
        QFETCH(QByteArray, method);
        QFETCH(QString, path);
        QFETCH(QByteArray, body);
        QFETCH(QString, event);
        QFETCH(QString, action);
        QFETCH(QString, example);
        Receiver receiver;
        ServerOptions o;
        o.dataset = *DatasetSpec::named(QStringLiteral("small"));
        o.webhookUrl = receiver.url();
        o.webhookSecret = "It's a Secret to Everybody";
        SimClient sim(o);
        const Reply r = sim.request(method, path, body,
                                    path.startsWith(QLatin1String("/_sim")) ? QByteArray() : QByteArray("ghp_sandbox"));
        QVERIFY2(r.status >= 200 && r.status < 300, r.body.constData());
        // The delivery for this event (publishing a release also sends `create` for its tag).
        const auto delivered = [&]() -> const HttpRequest * {
            for (const HttpRequest &h : receiver.received)
                if (h.header("X-GitHub-Event") == event.toLatin1())
                    return &h;
            return nullptr;
        };
        QTRY_VERIFY_WITH_TIMEOUT(delivered(), 5000);
        // A copy: later requests to the receiver grow its list, which would leave a reference dangling.
        const HttpRequest hook = *delivered();
        QCOMPARE(hook.method, QByteArray("POST"));
        QCOMPARE(hook.header("X-GitHub-Event"), event.toLatin1());
        QVERIFY(QRegularExpression(QStringLiteral("^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"))
                    .match(QString::fromLatin1(hook.header("X-GitHub-Delivery")))
                    .hasMatch());
        QCOMPARE(hook.header("X-Hub-Signature-256"),
                 "sha256=" + QMessageAuthenticationCode::hash(hook.body, "It's a Secret to Everybody",
                                                              QCryptographicHash::Sha256)
                                 .toHex());
        QVERIFY(hook.header("User-Agent").startsWith("GitHub-Hookshot/"));
        QCOMPARE(hook.header("Content-Type"), QByteArray("application/json"));
        const QJsonObject payload = QJsonDocument::fromJson(hook.body).object();
        QCOMPARE(payload.value(QStringLiteral("action")).toString(), action);
        QFile f(fixtures() + QStringLiteral("/webhooks/") + example);
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QJsonObject recorded = QJsonDocument::fromJson(f.readAll()).object();
        QStringList missing;
        for (const QString &k : recorded.keys())
            if (!payload.contains(k) && k != QLatin1String("installation") && k != QLatin1String("enterprise"))
                missing << k;
        QVERIFY2(missing.isEmpty(), qPrintable(missing.join(QLatin1Char(','))));
        // The object's own keys (issue, comment, label, release, discussion) match the example's, one level deep.
        for (const QString &k : recorded.keys()) {
            if (!recorded.value(k).isObject() || k == QLatin1String("repository") || k == QLatin1String("sender") ||
                k == QLatin1String("changes") || k == QLatin1String("installation") ||
                k == QLatin1String("organization"))
                continue;
            QStringList objectMissing;
            const QJsonObject mine = payload.value(k).toObject();
            for (const QString &sub : recorded.value(k).toObject().keys())
                if (!mine.contains(sub) && sub != QLatin1String("milestone") &&
                    sub != QLatin1String("performed_via_github_app") && sub != QLatin1String("assets") &&
                    sub != QLatin1String("type") && sub != QLatin1String("reactions") &&
                    sub != QLatin1String("answer_chosen_by") && sub != QLatin1String("labels") &&
                    sub != QLatin1String("timeline_url") && sub != QLatin1String("sub_issues_summary") &&
                    sub != QLatin1String("issue_dependencies_summary") && sub != QLatin1String("state_reason") &&
                    sub != QLatin1String("draft") && sub != QLatin1String("mentions_count") &&
                    sub != QLatin1String("discussion_url") && sub != QLatin1String("short_description_html") &&
                    sub != QLatin1String("immutable") && sub != QLatin1String("updated_at"))
                    objectMissing << sub;
            QVERIFY2(objectMissing.isEmpty(),
                     qPrintable(k + QStringLiteral(": ") + objectMissing.join(QLatin1Char(','))));
        }
        // Recorded for the deliveries API.
        bool recorded0 = false;
        for (const QJsonValue &d : sim.control("GET", QStringLiteral("/_sim/deliveries")).array())
            recorded0 = recorded0 || (d.toObject().value(QStringLiteral("guid")).toString().toLatin1() ==
                                          hook.header("X-GitHub-Delivery") &&
                                      d.toObject().value(QStringLiteral("event")).toString() == event);
        QVERIFY(recorded0);
    }

    void dropAndDelaySwitches() {
        Receiver receiver;
        ServerOptions o;
        o.dataset = *DatasetSpec::named(QStringLiteral("small"));
        SimClient sim(o);
        QCOMPARE(sim.control("PUT", QStringLiteral("/_sim/webhooks"),
                             {{QStringLiteral("url"), receiver.url()},
                              {QStringLiteral("secret"), QStringLiteral("k")},
                              {QStringLiteral("mode"), QStringLiteral("drop")}})
                     .status,
                 200);
        sim.control("POST", QStringLiteral("/_sim/repos/octo-org/repo-0/issues/3/comments"),
                    {{QStringLiteral("body"), QStringLiteral("dropped")}});
        QTest::qWait(300);
        QCOMPARE(receiver.received.size(), 0);
        QCOMPARE(sim.control("GET", QStringLiteral("/_sim/deliveries")).array().size(), 1);
        sim.control("PUT", QStringLiteral("/_sim/webhooks"),
                    {{QStringLiteral("mode"), QStringLiteral("delay")}, {QStringLiteral("delay_ms"), 700}});
        QElapsedTimer t;
        t.start();
        sim.control("POST", QStringLiteral("/_sim/repos/octo-org/repo-0/issues/3/comments"),
                    {{QStringLiteral("body"), QStringLiteral("late")}});
        QTRY_COMPARE_WITH_TIMEOUT(receiver.received.size(), 1, 5000);
        QVERIFY(t.elapsed() >= 650);
        sim.control("PUT", QStringLiteral("/_sim/webhooks"), {{QStringLiteral("mode"), QStringLiteral("deliver")}});
        sim.control("PATCH", QStringLiteral("/_sim/repos/octo-org/repo-0/labels/bug"),
                    {{QStringLiteral("color"), QStringLiteral("000000")}});
        QTRY_COMPARE_WITH_TIMEOUT(receiver.received.size(), 2, 5000);
        const QJsonObject edited = QJsonDocument::fromJson(receiver.received.last().body).object();
        QCOMPARE(edited.value(QStringLiteral("action")).toString(), QStringLiteral("edited"));
        QCOMPARE(edited[QStringLiteral("changes")][QStringLiteral("color")][QStringLiteral("from")].toString(),
                 QStringLiteral("d73a4a"));
    }
};

QTEST_GUILESS_MAIN(TestGithubsimWebhooks)
#include "tst_githubsim_webhooks.moc"
