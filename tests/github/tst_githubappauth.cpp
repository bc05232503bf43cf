// GitHub App authentication through the client: JWT -> installation token, one refresh for many
// concurrent requests, proactive refresh before expiry, and one retry on 401 (revoked token).

#include "github/githubclient.h"
#include "scriptedserver.h"

#include <QDateTime>
#include <QNetworkAccessManager>
#include <QTest>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

using namespace hubsync;
using namespace hubsync::github;
using hubsync::test::ScriptedServer;
using Request = ScriptedServer::Request;
using Reply = ScriptedServer::Reply;

namespace {

class MockClock final : public Clock {
public:
    [[nodiscard]] qint64 nowMs() const override { return m_now; }
    void advance(qint64 ms) { m_now += ms; }

private:
    qint64 m_now = QDateTime::currentMSecsSinceEpoch();
};

using PKeyPtr = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;

QByteArray privatePem(EVP_PKEY *key) {
    std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), &BIO_free);
    PEM_write_bio_PrivateKey_traditional(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr);
    char *data = nullptr;
    const long n = BIO_ctrl(bio.get(), BIO_CTRL_INFO, 0, static_cast<void *>(&data));
    return QByteArray(data, qsizetype(n));
}

// What GitHub checks: an RS256 signature by the App's key, and iss = the App ID.
bool jwtValid(const QByteArray &authorization, EVP_PKEY *key, qint64 appId) {
    if (!authorization.startsWith("Bearer "))
        return false;
    const QList<QByteArray> parts = authorization.mid(7).split('.');
    if (parts.size() != 3)
        return false;
    const auto opts = QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals;
    const QByteArray input = parts[0] + '.' + parts[1];
    const QByteArray sig = QByteArray::fromBase64(parts[2], opts);
    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
    if (EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key) != 1 ||
        EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char *>(sig.constData()), size_t(sig.size()),
                         reinterpret_cast<const unsigned char *>(input.constData()), size_t(input.size())) != 1)
        return false;
    const QJsonObject claims = QJsonDocument::fromJson(QByteArray::fromBase64(parts[1], opts)).object();
    return claims.value(QLatin1String("iss")).toInteger() == appId;
}

Reply json(int status, const QByteArray &body) {
    return {ScriptedServer::response(status, {{"Content-Type", "application/json"}}, body)};
}

} // namespace

class TestGitHubAppAuth : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void installationTokenLifecycle() {
        PKeyPtr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", size_t(2048)), &EVP_PKEY_free);
        QVERIFY(key);
        MockClock clock;
        int minted = 0;
        QByteArray revoked;
        ScriptedServer server([&](const Request &r) {
            if (r.method == "POST" && r.target == "/app/installations/77/access_tokens") {
                if (!jwtValid(r.headers.value("authorization"), key.get(), 4242))
                    return json(401, R"({"message":"A JSON web token could not be decoded"})");
                ++minted;
                const QString expires =
                    QDateTime::fromMSecsSinceEpoch(clock.nowMs() + 3600'000).toUTC().toString(Qt::ISODate);
                return json(
                    201, QStringLiteral(R"({"token":"ghs_%1","expires_at":"%2"})").arg(minted).arg(expires).toUtf8());
            }
            const QByteArray auth = r.headers.value("authorization");
            if (!auth.startsWith("Bearer ghs_") || auth == revoked)
                return json(401, R"({"message":"Bad credentials"})");
            Reply reply = json(200, "{\"auth\":\"" + auth + "\"}");
            reply.delayMs = 20;
            return reply;
        });

        Error error;
        const RsaPrivateKey rsa = RsaPrivateKey::fromPem(privatePem(key.get()), &error);
        QVERIFY2(!error, qPrintable(error.message));
        auto credentials = std::make_shared<AppCredentials>(4242, rsa, 77, clock);
        QNetworkAccessManager nam;
        ClientOptions options;
        options.apiBaseUrl = server.baseUrl();
        GitHubClient client(&nam, credentials, options, &clock);
        QVERIFY(client.isInstallation());

        // Ten concurrent requests share one token mint.
        QStringList auths;
        for (int i = 0; i < 10; ++i) {
            client.get(QStringLiteral("/installation/repositories"), [&auths](const GitHubResponse &r) {
                auths.append(r.error ? r.error.message : r.json.object().value(QLatin1String("auth")).toString());
            });
        }
        QTRY_COMPARE_WITH_TIMEOUT(auths.size(), 10, 15000);
        QCOMPARE(minted, 1);
        QCOMPARE(auths, QStringList(10, QStringLiteral("Bearer ghs_1")));

        // 56 minutes later less than five remain: the next request refreshes first.
        clock.advance(56 * 60 * 1000);
        std::optional<GitHubResponse> r;
        client.get(QStringLiteral("/x"), [&r](const GitHubResponse &x) { r = x; });
        QTRY_VERIFY_WITH_TIMEOUT(r.has_value(), 15000);
        QVERIFY2(!r->error, qPrintable(r->error.message));
        QCOMPARE(minted, 2);
        QCOMPARE(r->json.object().value(QLatin1String("auth")).toString(), QStringLiteral("Bearer ghs_2"));

        // GitHub revokes the token early: one 401, a new token, the request succeeds.
        revoked = "Bearer ghs_2";
        r.reset();
        client.get(QStringLiteral("/x"), [&r](const GitHubResponse &x) { r = x; });
        QTRY_VERIFY_WITH_TIMEOUT(r.has_value(), 15000);
        QVERIFY2(!r->error, qPrintable(r->error.message));
        QCOMPARE(minted, 3);
        QCOMPARE(r->attempts, 2);
        QCOMPARE(r->json.object().value(QLatin1String("auth")).toString(), QStringLiteral("Bearer ghs_3"));
    }

    void wrongKeyIsAnAuthError() {
        PKeyPtr githubKnows(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", size_t(2048)), &EVP_PKEY_free);
        PKeyPtr weHave(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", size_t(2048)), &EVP_PKEY_free);
        ScriptedServer server([&](const Request &r) {
            if (r.target.endsWith("/access_tokens") && jwtValid(r.headers.value("authorization"), githubKnows.get(), 1))
                return json(201, R"({"token":"ghs_x","expires_at":"2999-01-01T00:00:00Z"})");
            return json(401, R"({"message":"A JSON web token could not be decoded"})");
        });
        Error error;
        const RsaPrivateKey rsa = RsaPrivateKey::fromPem(privatePem(weHave.get()), &error);
        QVERIFY(!error);
        SystemClock clock;
        ClientOptions options;
        options.apiBaseUrl = server.baseUrl();
        QNetworkAccessManager nam;
        GitHubClient client(&nam, std::make_shared<AppCredentials>(1, rsa, 5, clock), options);
        std::optional<GitHubResponse> r;
        client.get(QStringLiteral("/x"), [&r](const GitHubResponse &x) { r = x; });
        QTRY_VERIFY_WITH_TIMEOUT(r.has_value(), 15000);
        QCOMPARE(r->error.kind, Error::Kind::GitHubAuth);
        QVERIFY2(r->error.message.contains(QLatin1String("installation token")), qPrintable(r->error.message));
        QCOMPARE(server.requests.size(), 1); // the API request itself was never sent
    }

    void patUnauthorizedIsFinal() {
        ScriptedServer server([](const Request &) { return json(401, R"({"message":"Bad credentials"})"); });
        ClientOptions options;
        options.apiBaseUrl = server.baseUrl();
        QNetworkAccessManager nam;
        GitHubClient client(&nam, std::make_shared<PatCredentials>(QStringLiteral("ghp_bad")), options);
        std::optional<GitHubResponse> r;
        client.get(QStringLiteral("/user"), [&r](const GitHubResponse &x) { r = x; });
        QTRY_VERIFY_WITH_TIMEOUT(r.has_value(), 15000);
        QCOMPARE(r->error.kind, Error::Kind::GitHubAuth);
        QCOMPARE(r->error.message, QStringLiteral("Bad credentials"));
        QCOMPARE(server.requests.size(), 1);
    }
};

QTEST_GUILESS_MAIN(TestGitHubAppAuth)
#include "tst_githubappauth.moc"
