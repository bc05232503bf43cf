// GitHubClient's HTTP plumbing against a scripted local server (see scriptedserver.h).

#include "github/githubclient.h"
#include "recordedhttp.h"
#include "scriptedserver.h"

#include <QElapsedTimer>
#include <QJsonArray>
#include <QNetworkAccessManager>
#include <QSignalSpy>
#include <QTest>

#include <optional>

using namespace hubsync;
using namespace hubsync::github;
using hubsync::test::ScriptedServer;
using Request = ScriptedServer::Request;
using Reply = ScriptedServer::Reply;

namespace {

Reply json(int status, const QByteArray &body, QList<QPair<QByteArray, QByteArray>> headers = {}) {
    headers.append(qMakePair(QByteArray("Content-Type"), QByteArray("application/json; charset=utf-8")));
    return {ScriptedServer::response(status, headers, body)};
}

ClientOptions fastOptions(const QUrl &base) {
    ClientOptions o;
    o.apiBaseUrl = base;
    o.retryBaseDelayMs = 10;
    o.retryMaxDelayMs = 40;
    o.maxAttempts = 3;
    o.transferTimeoutMs = 400;
    o.secondaryLimitWaitMs = 200;
    o.planner.minWriteIntervalMs = 0;
    return o;
}

// Runs one client call and waits for its callback.
std::optional<GitHubResponse> await(const std::function<void(ResponseCallback)> &start, int timeoutMs = 15000) {
    std::optional<GitHubResponse> result;
    start([&result](const GitHubResponse &r) { result = r; });
    (void)QTest::qWaitFor([&result] { return result.has_value(); }, timeoutMs);
    return result;
}

} // namespace

class TestGitHubClient : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void headersLinkAndQuota() {
        QUrl base;
        ScriptedServer server([&base](const Request &r) {
            if (r.target.contains("&page=2"))
                return json(200, "[]");
            const QByteArray next = base.toString().toUtf8() + "/repositories/1/issues?per_page=2&page=2";
            const QByteArray last = base.toString().toUtf8() + "/repositories/1/issues?per_page=2&page=7";
            return json(200, R"([{"id":1},{"id":2}])",
                        {{"Link", "<" + next + ">; rel=\"next\", <" + last + ">; rel=\"last\""},
                         {"ETag", "W/\"abc\""},
                         {"X-RateLimit-Limit", "5000"},
                         {"X-RateLimit-Remaining", "4321"},
                         {"X-RateLimit-Used", "679"},
                         {"X-RateLimit-Reset", "1900000000"},
                         {"X-RateLimit-Resource", "core"}});
        });
        base = server.baseUrl();
        QNetworkAccessManager nam;
        GitHubClient client(&nam, std::make_shared<PatCredentials>(QStringLiteral("ghp_secret")), fastOptions(base));
        QSignalSpy quota(&client, &GitHubClient::quotaChanged);
        QUrlQuery query;
        query.addQueryItem(QStringLiteral("per_page"), QStringLiteral("2"));
        auto r = await([&](ResponseCallback done) {
            client.get(QStringLiteral("/repos/o/r/issues?state=all"), query, {}, std::move(done));
        });
        QVERIFY(r);
        QVERIFY2(!r->error, qPrintable(r->error.message));
        QCOMPARE(r->httpStatus, 200);
        QCOMPARE(r->json.array().size(), 2);
        QCOMPARE(r->lastPage, 7);
        QCOMPARE(r->etag, QByteArrayLiteral("W/\"abc\""));
        QCOMPARE(r->rateLimit.remaining, 4321);
        QCOMPARE(r->nextUrl, base.toString() + QStringLiteral("/repositories/1/issues?per_page=2&page=2"));

        const Request &sent = server.requests.at(0);
        QCOMPARE(sent.method, QByteArrayLiteral("GET"));
        QCOMPARE(sent.target, QByteArrayLiteral("/repos/o/r/issues?state=all&per_page=2"));
        QCOMPARE(sent.headers.value("accept"), QByteArrayLiteral("application/vnd.github+json"));
        QCOMPARE(sent.headers.value("x-github-api-version"), QByteArrayLiteral("2022-11-28"));
        QVERIFY(sent.headers.value("user-agent").startsWith("HubSync/"));
        QCOMPARE(sent.headers.value("authorization"), QByteArrayLiteral("Bearer ghp_secret"));

        QVERIFY(!quota.isEmpty());
        const auto snap = quota.last().first().value<QuotaSnapshot>();
        QCOMPARE(snap.resource, QStringLiteral("core"));
        QCOMPARE(snap.remaining, 4321);
        QCOMPARE(snap.resetEpoch, 1900000000);

        r = await([&](ResponseCallback done) { client.get(r->nextUrl, std::move(done)); });
        QVERIFY(r && !r->error);
        QCOMPARE(server.requests.at(1).target, QByteArrayLiteral("/repositories/1/issues?per_page=2&page=2"));
        QVERIFY(r->nextUrl.isEmpty());
        QCOMPARE(client.requestsSent(), 2);
    }

    void foreignLinksAreRefused_data() {
        QTest::addColumn<QString>("next");
        QTest::newRow("other host") << QStringLiteral("http://evil.example/steal?page=2");
        QTest::newRow("other port") << QStringLiteral("http://127.0.0.1:1/x?page=2");
        QTest::newRow("userinfo") << QStringLiteral("http://127.0.0.1@evil.example/x?page=2");
    }

    void foreignLinksAreRefused() {
        QFETCH(QString, next);
        ScriptedServer server([next](const Request &) {
            return json(200, "[]", {{"Link", "<" + next.toUtf8() + ">; rel=\"next\""}});
        });
        QNetworkAccessManager nam;
        GitHubClient client(&nam, std::make_shared<PatCredentials>(QStringLiteral("t")), fastOptions(server.baseUrl()));
        auto r = await([&](ResponseCallback done) { client.get(QStringLiteral("/x"), std::move(done)); });
        QVERIFY(r && !r->error);
        QVERIFY(r->nextUrl.isEmpty());
        // A caller handing us such a URL gets an error, asynchronously, and nothing is sent anywhere.
        bool returned = false;
        bool calledBeforeReturn = false;
        r = await([&](ResponseCallback done) {
            client.get(next, [&returned, &calledBeforeReturn, done](const GitHubResponse &x) {
                calledBeforeReturn = !returned;
                done(x);
            });
            returned = true;
        });
        QVERIFY(r);
        QVERIFY(!calledBeforeReturn);
        QCOMPARE(r->error.kind, Error::Kind::Internal);
        QCOMPARE(r->httpStatus, 0);
        QCOMPARE(server.requests.size(), 1);
        QCOMPARE(client.requestsSent(), 1);
    }

    void retriesServerErrorsThenSucceeds() {
        int calls = 0;
        ScriptedServer server([&calls](const Request &) {
            ++calls;
            return calls < 3 ? json(calls == 1 ? 502 : 503, R"({"message":"Server Error"})") : json(200, "{\"ok\":1}");
        });
        QNetworkAccessManager nam;
        GitHubClient client(&nam, std::make_shared<PatCredentials>(QStringLiteral("t")), fastOptions(server.baseUrl()));
        auto r = await([&](ResponseCallback done) { client.get(QStringLiteral("/x"), std::move(done)); });
        QVERIFY(r);
        QVERIFY2(!r->error, qPrintable(r->error.message));
        QCOMPARE(r->attempts, 3);
        QCOMPARE(server.requests.size(), 3);
    }

    void givesUpAfterMaxAttempts() {
        ScriptedServer server([](const Request &) { return json(500, R"({"message":"boom"})"); });
        QNetworkAccessManager nam;
        GitHubClient client(&nam, std::make_shared<PatCredentials>(QStringLiteral("t")), fastOptions(server.baseUrl()));
        auto r = await([&](ResponseCallback done) { client.get(QStringLiteral("/x"), std::move(done)); });
        QVERIFY(r);
        QCOMPARE(r->error.kind, Error::Kind::GitHubUnavailable);
        QCOMPARE(r->httpStatus, 500);
        QCOMPARE(server.requests.size(), 3);

        // A POST that may have created something is not repeated.
        r = await([&](ResponseCallback done) {
            client.post(QStringLiteral("/repos/o/r/issues"), QJsonDocument(QJsonObject{{QStringLiteral("title"), 1}}),
                        std::move(done));
        });
        QVERIFY(r);
        QCOMPARE(r->error.kind, Error::Kind::GitHubUnavailable);
        QCOMPARE(server.requests.size(), 4);
        QCOMPARE(server.requests.last().body, QByteArrayLiteral("{\"title\":1}"));
        QCOMPARE(server.requests.last().headers.value("content-type"), QByteArrayLiteral("application/json"));
    }

    void timeoutsAreRetried() {
        int calls = 0;
        ScriptedServer server([&calls](const Request &) {
            Reply hang;
            hang.hang = true;
            return ++calls == 1 ? hang : json(200, "{}");
        });
        QNetworkAccessManager nam;
        GitHubClient client(&nam, std::make_shared<PatCredentials>(QStringLiteral("t")), fastOptions(server.baseUrl()));
        auto r = await([&](ResponseCallback done) { client.get(QStringLiteral("/slow"), std::move(done)); });
        QVERIFY(r);
        QVERIFY2(!r->error, qPrintable(r->error.message));
        QCOMPARE(r->attempts, 2);

        ScriptedServer silent([](const Request &) {
            Reply hang;
            hang.hang = true;
            return hang;
        });
        GitHubClient client2(&nam, std::make_shared<PatCredentials>(QStringLiteral("t")),
                             fastOptions(silent.baseUrl()));
        r = await([&](ResponseCallback done) { client2.get(QStringLiteral("/slow"), std::move(done)); });
        QVERIFY(r);
        QCOMPARE(r->error.kind, Error::Kind::GitHubUnavailable);
        QVERIFY2(r->error.message.contains(QLatin1String("did not answer")), qPrintable(r->error.message));
        QCOMPARE(silent.requests.size(), 3);
    }

    void truncatedAndMalformedBodiesAreRetried() {
        int calls = 0;
        ScriptedServer server([&calls](const Request &) {
            ++calls;
            if (calls == 1) // Content-Length promises more than arrives
                return Reply{"HTTP/1.1 200 OK\r\nContent-Length: 100\r\nConnection: close\r\n\r\n[{\"id\":1}"};
            if (calls == 2) // looks complete to HTTP, but the JSON is cut
                return json(200, "[{\"id\":1},{\"id\":");
            return json(200, "[{\"id\":1}]");
        });
        QNetworkAccessManager nam;
        ClientOptions options = fastOptions(server.baseUrl());
        options.maxAttempts = 5;
        GitHubClient client(&nam, std::make_shared<PatCredentials>(QStringLiteral("t")), options);
        auto r = await([&](ResponseCallback done) { client.get(QStringLiteral("/x"), std::move(done)); });
        QVERIFY(r);
        QVERIFY2(!r->error, qPrintable(r->error.message));
        QCOMPARE(r->json.array().size(), 1);
        QCOMPARE(r->attempts, 3);
    }

    void conditionalRequests() {
        ScriptedServer server([](const Request &r) {
            if (r.headers.value("if-none-match") == "\"v1\"")
                return Reply{ScriptedServer::response(304, {{"ETag", "\"v1\""}})};
            return json(200, "[1]", {{"ETag", "\"v1\""}, {"Last-Modified", "Tue, 19 Jul 2022 04:39:16 GMT"}});
        });
        QNetworkAccessManager nam;
        GitHubClient client(&nam, std::make_shared<PatCredentials>(QStringLiteral("t")), fastOptions(server.baseUrl()));
        MemoryEtagStore etags;
        client.setEtagStore(&etags);
        const RequestOptions autoMode{Priority::Normal, EtagMode::Auto, -1};
        auto r = await([&](ResponseCallback d) { client.get(QStringLiteral("/a"), {}, autoMode, std::move(d)); });
        QVERIFY(r && !r->error && !r->notModified);
        QCOMPARE(etags.size(), 1);
        r = await([&](ResponseCallback d) { client.get(QStringLiteral("/a"), {}, autoMode, std::move(d)); });
        QVERIFY(r);
        QVERIFY(!r->error);
        QVERIFY(r->notModified);
        QCOMPARE(r->httpStatus, 304);
        QVERIFY(r->body.isEmpty());

        // Deferred: nothing is stored until the caller commits.
        const RequestOptions deferred{Priority::Backfill, EtagMode::Deferred, -1};
        r = await([&](ResponseCallback d) { client.get(QStringLiteral("/b"), {}, deferred, std::move(d)); });
        QVERIFY(r && !r->error);
        QCOMPARE(etags.size(), 1);
        r = await([&](ResponseCallback d) { client.get(QStringLiteral("/b"), {}, deferred, std::move(d)); });
        QVERIFY(r && !r->notModified);
        client.commitEtag(*r);
        QCOMPARE(etags.size(), 2);
        r = await([&](ResponseCallback d) { client.get(QStringLiteral("/b"), {}, deferred, std::move(d)); });
        QVERIFY(r && r->notModified);
        // Without EtagMode no If-None-Match is sent.
        r = await([&](ResponseCallback d) { client.get(QStringLiteral("/b"), std::move(d)); });
        QVERIFY(r && !r->notModified);
        QVERIFY(!server.requests.last().headers.contains("if-none-match"));
    }

    void statusMapping_data() {
        QTest::addColumn<int>("status");
        QTest::addColumn<QByteArray>("body");
        QTest::addColumn<int>("kind");
        QString error;
        const auto errors = test::loadNock(QStringLiteral("rest/errors.json"), &error);
        QVERIFY2(error.isEmpty() && !errors.isEmpty(), qPrintable(error));
        QTest::newRow("422 recorded") << 422 << errors.first().body << int(Error::Kind::GitHubValidation);
        QTest::newRow("401") << 401 << QByteArray(R"({"message":"Bad credentials"})") << int(Error::Kind::GitHubAuth);
        QTest::newRow("403") << 403 << QByteArray(R"({"message":"Resource not accessible by integration"})")
                             << int(Error::Kind::GitHubPermission);
        QTest::newRow("404") << 404 << QByteArray(R"({"message":"Not Found"})") << int(Error::Kind::GitHubNotFound);
        QTest::newRow("410") << 410 << QByteArray(R"({"message":"Gone"})") << int(Error::Kind::GitHubGone);
    }

    void statusMapping() {
        QFETCH(int, status);
        QFETCH(QByteArray, body);
        QFETCH(int, kind);
        ScriptedServer server([status, body](const Request &) { return json(status, body); });
        QNetworkAccessManager nam;
        GitHubClient client(&nam, std::make_shared<PatCredentials>(QStringLiteral("t")), fastOptions(server.baseUrl()));
        auto r = await([&](ResponseCallback d) { client.get(QStringLiteral("/x"), std::move(d)); });
        QVERIFY(r);
        QCOMPARE(int(r->error.kind), kind);
        QCOMPARE(r->error.httpStatus, status);
        QCOMPARE(server.requests.size(), 1); // client errors are final
        if (status == 422)
            QVERIFY(r->error.detail.contains(QLatin1String("\"field\":\"color\"")));
    }

    void rateLimitsWaitThenSucceed_data() {
        QTest::addColumn<QByteArray>("headers");
        QTest::addColumn<QByteArray>("body");
        QTest::newRow("Retry-After") << QByteArray("Retry-After: 1") << QByteArray(R"({"message":"slow down"})");
        QTest::newRow("secondary, no Retry-After")
            << QByteArray("X-RateLimit-Remaining: 100")
            << QByteArray(R"({"message":"You have exceeded a secondary rate limit."})");
        QTest::newRow("429 bare") << QByteArray("X-Status: 429") << QByteArray();
    }

    void rateLimitsWaitThenSucceed() {
        QFETCH(QByteArray, headers);
        QFETCH(QByteArray, body);
        int calls = 0;
        const int status = headers.contains("429") ? 429 : 403;
        const qsizetype colon = headers.indexOf(':');
        ScriptedServer server([&](const Request &) {
            if (++calls == 1)
                return json(status, body, {{headers.left(colon), headers.mid(colon + 1).trimmed()}});
            return json(200, "{}");
        });
        QNetworkAccessManager nam;
        GitHubClient client(&nam, std::make_shared<PatCredentials>(QStringLiteral("t")), fastOptions(server.baseUrl()));
        QElapsedTimer timer;
        timer.start();
        auto r = await([&](ResponseCallback d) { client.get(QStringLiteral("/x"), std::move(d)); });
        QVERIFY(r);
        QVERIFY2(!r->error, qPrintable(r->error.message));
        QCOMPARE(server.requests.size(), 2);
        QVERIFY(timer.elapsed() >= (headers.startsWith("Retry-After") ? 950 : 190)); // it really waited
    }

    void rateLimitWaitBeyondCapFails() {
        ScriptedServer server([](const Request &) {
            return json(403, R"({"message":"API rate limit exceeded"})",
                        {{"X-RateLimit-Remaining", "0"}, {"X-RateLimit-Reset", "4000000000"}});
        });
        QNetworkAccessManager nam;
        GitHubClient client(&nam, std::make_shared<PatCredentials>(QStringLiteral("t")), fastOptions(server.baseUrl()));
        const RequestOptions impatient{Priority::Interactive, EtagMode::None, 5000};
        auto r = await([&](ResponseCallback d) { client.get(QStringLiteral("/x"), {}, impatient, std::move(d)); });
        QVERIFY(r);
        QCOMPARE(r->error.kind, Error::Kind::GitHubRateLimited);
        QCOMPARE(server.requests.size(), 1);
        QVERIFY(client.planner()->snapshot(QStringLiteral("core")).waitingUntilMs > 0);
    }

    void responseSizeIsBounded_data() {
        QTest::addColumn<bool>("withContentLength");
        QTest::newRow("Content-Length") << true;
        QTest::newRow("until close") << false;
    }

    void responseSizeIsBounded() {
        QFETCH(bool, withContentLength);
        ScriptedServer server([withContentLength](const Request &) {
            return Reply{ScriptedServer::response(200, {{"Content-Type", "application/json"}},
                                                  "[" + QByteArray(200'000, ' ') + "]", withContentLength)};
        });
        QNetworkAccessManager nam;
        ClientOptions options = fastOptions(server.baseUrl());
        options.maxResponseBytes = 10'000;
        GitHubClient client(&nam, std::make_shared<PatCredentials>(QStringLiteral("t")), options);
        auto r = await([&](ResponseCallback d) { client.get(QStringLiteral("/big"), std::move(d)); });
        QVERIFY(r);
        QCOMPARE(r->error.kind, Error::Kind::GitHubUnavailable);
        QVERIFY(r->body.isEmpty());
        QCOMPARE(server.requests.size(), 1); // the same answer again would not help
    }

    void concurrencyIsBounded() {
        ScriptedServer server([](const Request &) {
            Reply reply = json(200, "[]");
            reply.delayMs = 60;
            return reply;
        });
        QNetworkAccessManager nam;
        ClientOptions options = fastOptions(server.baseUrl());
        options.planner.maxConcurrent = 2;
        GitHubClient client(&nam, std::make_shared<PatCredentials>(QStringLiteral("t")), options);
        int done = 0;
        for (int i = 0; i < 8; ++i)
            client.get(QStringLiteral("/p/%1").arg(i), [&done](const GitHubResponse &r) { done += r.error ? 0 : 1; });
        QTRY_COMPARE_WITH_TIMEOUT(done, 8, 15000);
        QCOMPARE(server.peakPending, 2);
    }

    void enterpriseBaseAndGraphql() {
        ScriptedServer server([](const Request &r) {
            if (r.target == "/api/graphql") {
                const QJsonObject q = QJsonDocument::fromJson(r.body).object();
                if (q.value(QLatin1String("variables")).toObject().value(QLatin1String("n")).toInt() == 404)
                    return json(
                        200,
                        R"({"data":{"repository":null},"errors":[{"type":"NOT_FOUND","message":"Could not resolve to a Repository"}]})");
                return json(200, R"({"data":{"viewer":{"login":"octocat"}}})");
            }
            return json(r.target == "/api/v3/repos/o/r" ? 200 : 404, "{}");
        });
        QUrl base = server.baseUrl();
        base.setPath(QStringLiteral("/api/v3"));
        QNetworkAccessManager nam;
        GitHubClient client(&nam, std::make_shared<PatCredentials>(QStringLiteral("t")), fastOptions(base));
        QCOMPARE(client.graphqlUrl().path(), QStringLiteral("/api/graphql"));
        auto r = await([&](ResponseCallback d) { client.get(QStringLiteral("/repos/o/r"), std::move(d)); });
        QVERIFY(r && !r->error);
        r = await([&](ResponseCallback d) {
            client.graphql(QStringLiteral("query { viewer { login } }"), {}, std::move(d));
        });
        QVERIFY(r);
        QVERIFY2(!r->error, qPrintable(r->error.message));
        QCOMPARE(r->graphqlData.value(QLatin1String("viewer")).toObject().value(QLatin1String("login")).toString(),
                 QStringLiteral("octocat"));
        r = await([&](ResponseCallback d) {
            client.graphql(QStringLiteral("query($n: Int) { x }"), QJsonObject{{QStringLiteral("n"), 404}},
                           std::move(d));
        });
        QVERIFY(r);
        QCOMPARE(r->error.kind, Error::Kind::GitHubNotFound);
        QCOMPARE(r->error.message, QStringLiteral("Could not resolve to a Repository"));
        // Paths cannot escape the /api/v3 prefix.
        r = await([&](ResponseCallback d) { client.get(QStringLiteral("/../../login"), std::move(d)); });
        QVERIFY(r);
        QVERIFY(r->error || server.requests.last().target.startsWith("/api/v3/"));
    }
};

QTEST_GUILESS_MAIN(TestGitHubClient)
#include "tst_githubclient.moc"
