// GitHub App authentication against the simulator: JWT accept/reject rules, installation tokens (expiry,
// repository scope), the deliveries API with redelivery, the manifest flow and the install web flow.

#include "simclient.h"

#include <QDateTime>
#include <QTest>

#include <openssl/evp.h>
#include <openssl/pem.h>

using namespace hubsync::githubsim;
using namespace hubsync::githubsim::test;

namespace {

QByteArray b64url(const QByteArray &data) {
    return data.toBase64(QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals);
}

// Signs header.claims with an RS256 private key (PEM), as an App does.
QByteArray signJwt(const QByteArray &pem, const QByteArray &header, const QByteArray &claims) {
    BIO *bio = BIO_new_mem_buf(pem.constData(), int(pem.size()));
    EVP_PKEY *key = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
    BIO_free(bio);
    if (!key)
        return {};
    const QByteArray input = b64url(header) + '.' + b64url(claims);
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    size_t length = 0;
    QByteArray signature;
    if (EVP_DigestSignInit(ctx, nullptr, EVP_sha256(), nullptr, key) == 1 &&
        EVP_DigestSign(ctx, nullptr, &length, reinterpret_cast<const unsigned char *>(input.constData()),
                       size_t(input.size())) == 1) {
        signature.resize(qsizetype(length));
        EVP_DigestSign(ctx, reinterpret_cast<unsigned char *>(signature.data()), &length,
                       reinterpret_cast<const unsigned char *>(input.constData()), size_t(input.size()));
        signature.resize(qsizetype(length));
    }
    EVP_MD_CTX_free(ctx);
    EVP_PKEY_free(key);
    return input + '.' + b64url(signature);
}

QByteArray claims(qint64 iat, qint64 exp, const QJsonValue &iss) {
    return QJsonDocument(
               QJsonObject{{QStringLiteral("iat"), iat}, {QStringLiteral("exp"), exp}, {QStringLiteral("iss"), iss}})
        .toJson(QJsonDocument::Compact);
}

// An Authorization header with a valid JWT for the App of appOptions(), signed with the simulator's key.
QByteArray appAuthorization(const QByteArray &privateKeyPem) {
    const qint64 now = QDateTime::currentSecsSinceEpoch();
    return "Bearer " + signJwt(privateKeyPem, R"({"alg":"RS256","typ":"JWT"})", claims(now - 60, now + 540, 4242));
}

ServerOptions appOptions() {
    ServerOptions o;
    o.dataset = *DatasetSpec::named(QStringLiteral("small"));
    o.appId = 4242;
    o.generateAppKey = true;
    o.installationId = 7;
    o.installationRepos = {QStringLiteral("octo-org/repo-0"), QStringLiteral("octo-org/repo-2")};
    o.tokenLifetimeSeconds = 3600;
    return o;
}

} // namespace

class TestGithubsimAuth : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void jwt_data() {
        QTest::addColumn<QByteArray>("header");
        QTest::addColumn<qint64>("iatOffset");
        QTest::addColumn<qint64>("expOffset");
        QTest::addColumn<QJsonValue>("iss");
        QTest::addColumn<bool>("otherKey");
        QTest::addColumn<int>("status");
        QTest::addColumn<QString>("message");
        const QByteArray rs256 = R"({"alg":"RS256","typ":"JWT"})";
        QTest::newRow("valid (what Octokit sends)")
            << rs256 << qint64(-60) << qint64(540) << QJsonValue(4242) << false << 200 << QString();
        QTest::newRow("iss as string") << rs256 << qint64(-60) << qint64(540) << QJsonValue(QStringLiteral("4242"))
                                       << false << 200 << QString();
        QTest::newRow("expired") << rs256 << qint64(-700) << qint64(-100) << QJsonValue(4242) << false << 401
                                 << QStringLiteral("'Expiration time' claim ('exp') must be");
        QTest::newRow("issued in the future") << rs256 << qint64(300) << qint64(600) << QJsonValue(4242) << false << 401
                                              << QStringLiteral("'Issued at' claim ('iat')");
        QTest::newRow("lives too long") << rs256 << qint64(0) << qint64(900) << QJsonValue(4242) << false << 401
                                        << QStringLiteral("too far in the future");
        QTest::newRow("other app") << rs256 << qint64(-60) << qint64(540) << QJsonValue(99) << false << 401
                                   << QStringLiteral("could not be decoded");
        QTest::newRow("no issuer") << rs256 << qint64(-60) << qint64(540) << QJsonValue() << false << 401
                                   << QStringLiteral("'Issuer' claim ('iss')");
        QTest::newRow("signed with another key") << rs256 << qint64(-60) << qint64(540) << QJsonValue(4242) << true
                                                 << 401 << QStringLiteral("could not be decoded");
        QTest::newRow("alg none") << QByteArray(R"({"alg":"none"})") << qint64(-60) << qint64(540) << QJsonValue(4242)
                                  << false << 401 << QStringLiteral("could not be decoded");
    }
    void jwt() {
        QFETCH(QByteArray, header);
        QFETCH(qint64, iatOffset);
        QFETCH(qint64, expOffset);
        QFETCH(QJsonValue, iss);
        QFETCH(bool, otherKey);
        QFETCH(int, status);
        QFETCH(QString, message);
        SimClient sim(appOptions());
        QVERIFY(sim.ok());
        QByteArray key = sim.server().appPrivateKeyPem();
        QVERIFY(key.startsWith("-----BEGIN RSA PRIVATE KEY-----")); // PKCS#1, like GitHub's downloads
        if (otherKey) {
            Auth other;
            QString error;
            key = other.generateAppKey(&error);
        }
        const qint64 now = QDateTime::currentSecsSinceEpoch();
        const QByteArray jwt = signJwt(key, header, claims(now + iatOffset, now + expOffset, iss));
        QVERIFY(!jwt.isEmpty());
        const Reply r = sim.get(QStringLiteral("/app"), "Bearer " + jwt);
        QCOMPARE(r.status, status);
        if (status == 200)
            QCOMPARE(r.object().value(QStringLiteral("id")).toInt(), 4242);
        else
            QVERIFY2(r.object().value(QStringLiteral("message")).toString().contains(message), r.body.constData());
        // Malformed tokens never crash the server.
        QCOMPARE(sim.get(QStringLiteral("/app"), "Bearer eyJ.broken.jwt").status, 401);
    }

    void installationTokensAreScopedAndExpire() {
        ServerOptions o = appOptions();
        o.tokenLifetimeSeconds = 2;
        SimClient sim(o);
        const qint64 now = QDateTime::currentSecsSinceEpoch();
        const QByteArray jwt = appAuthorization(sim.server().appPrivateKeyPem());
        QCOMPARE(sim.request("POST", QStringLiteral("/app/installations/8/access_tokens"), {}, jwt).status, 404);
        QCOMPARE(sim.request("POST", QStringLiteral("/app/installations/7/access_tokens"), {}, "ghp_sandbox").status,
                 401);
        const Reply minted = sim.request("POST", QStringLiteral("/app/installations/7/access_tokens"), {}, jwt);
        QCOMPARE(minted.status, 201);
        const QByteArray token = minted.object().value(QStringLiteral("token")).toString().toLatin1();
        QVERIFY(token.startsWith("ghs_"));
        const qint64 expires = parseIsoTime(minted.object().value(QStringLiteral("expires_at")).toString());
        QVERIFY(qAbs(expires - (now + 2)) <= 2);
        QCOMPARE(minted.object().value(QStringLiteral("repository_selection")).toString(), QStringLiteral("selected"));

        const Reply listed = sim.get(QStringLiteral("/installation/repositories"), token);
        QCOMPARE(listed.status, 200);
        QCOMPARE(listed.object().value(QStringLiteral("total_count")).toInt(), 2);
        QCOMPARE(sim.get(QStringLiteral("/repos/octo-org/repo-0/issues"), token).status, 200);
        QCOMPARE(sim.get(QStringLiteral("/repos/octo-org/repo-1/issues"), token).status, 404); // not installed there
        // A permission taken from the installation: 403 naming it, as GitHub's X-Accepted-GitHub-Permissions does.
        QCOMPARE(
            sim.request("PUT", QStringLiteral("/_sim/installation"), R"({"permissions":{"issues":"none"}})", {}).status,
            200);
        const Reply denied = sim.get(QStringLiteral("/repos/octo-org/repo-0/labels"), token);
        QCOMPARE(denied.status, 403);
        QCOMPARE(denied.object().value(QStringLiteral("message")).toString(),
                 QStringLiteral("Resource not accessible by integration"));
        QCOMPARE(denied.header("X-Accepted-GitHub-Permissions"), QByteArray("issues=read"));
        QCOMPARE(sim.get(QStringLiteral("/repos/octo-org/repo-0/pulls"), token).status, 200);
        QCOMPARE(
            sim.request("PUT", QStringLiteral("/_sim/installation"), R"({"permissions":{"issues":"read"}})", {}).status,
            200);
        QCOMPARE(sim.get(QStringLiteral("/repos/octo-org/repo-0/labels"), token).status, 200);
        QCOMPARE(sim.get(QStringLiteral("/user/repos"), token).status, 403);
        QCOMPARE(sim.get(QStringLiteral("/repos/octo-org/repo-0"), jwt).status, 403); // a JWT is not an installation
        QCOMPARE(sim.get(QStringLiteral("/repos/octo-org/repo-1/installation"), jwt).status, 404);
        QCOMPARE(sim.get(QStringLiteral("/repos/octo-org/repo-2/installation"), jwt)
                     .object()
                     .value(QStringLiteral("id"))
                     .toInt(),
                 7);
        QTRY_COMPARE_WITH_TIMEOUT(sim.get(QStringLiteral("/installation/repositories"), token).status, 401, 5000);
    }

    // A second installation on the viewer's own account: listed (first), its own tokens, and they see no
    // repository of the organization.
    void personalInstallationSeesNothing() {
        ServerOptions o = appOptions();
        o.personalInstallationId = 55;
        SimClient sim(o);
        const QByteArray jwt = appAuthorization(sim.server().appPrivateKeyPem());
        const Reply listed = sim.get(QStringLiteral("/app/installations"), jwt);
        QCOMPARE(listed.status, 200);
        const QJsonArray installations = listed.array();
        QCOMPARE(installations.size(), 2);
        QCOMPARE(installations[0].toObject().value(QStringLiteral("id")).toInt(), 55);
        QCOMPARE(installations[0].toObject().value(QStringLiteral("account")).toObject().value(QStringLiteral("type")),
                 QJsonValue(QStringLiteral("User")));
        QCOMPARE(installations[1].toObject().value(QStringLiteral("id")).toInt(), 7);
        QCOMPARE(sim.get(QStringLiteral("/app"), jwt).object().value(QStringLiteral("installations_count")).toInt(), 2);
        QCOMPARE(sim.get(QStringLiteral("/app/installations/55"), jwt).status, 200);

        const Reply minted = sim.request("POST", QStringLiteral("/app/installations/55/access_tokens"), {}, jwt);
        QCOMPARE(minted.status, 201);
        QCOMPARE(minted.object().value(QStringLiteral("repositories")).toArray().size(), 0);
        const QByteArray personal = minted.object().value(QStringLiteral("token")).toString().toLatin1();
        QCOMPARE(sim.get(QStringLiteral("/installation/repositories"), personal)
                     .object()
                     .value(QStringLiteral("total_count")),
                 QJsonValue(0));
        QCOMPARE(sim.get(QStringLiteral("/repos/octo-org/repo-0/issues"), personal).status, 404);
        // The organization's installation is unchanged.
        const QByteArray org = sim.request("POST", QStringLiteral("/app/installations/7/access_tokens"), {}, jwt)
                                   .object()
                                   .value(QStringLiteral("token"))
                                   .toString()
                                   .toLatin1();
        QCOMPARE(sim.get(QStringLiteral("/repos/octo-org/repo-0/issues"), org).status, 200);
    }

    void installationRepositoriesChangeAndAnnounce() {
        Receiver receiver;
        ServerOptions o = appOptions();
        o.webhookUrl = receiver.url();
        o.webhookSecret = "s3cret";
        SimClient sim(o);
        QCOMPARE(sim.control("PUT", QStringLiteral("/_sim/installation/repositories"),
                             {{QStringLiteral("add"), QJsonArray{QStringLiteral("octo-org/repo-1")}},
                              {QStringLiteral("remove"), QJsonArray{QStringLiteral("octo-org/repo-0")}}})
                     .status,
                 200);
        QTRY_COMPARE_WITH_TIMEOUT(receiver.received.size(), 2, 5000);
        const QJsonObject added = QJsonDocument::fromJson(receiver.received[0].body).object();
        QCOMPARE(receiver.received[0].header("X-GitHub-Event"), QByteArray("installation_repositories"));
        QCOMPARE(added.value(QStringLiteral("action")).toString(), QStringLiteral("added"));
        QCOMPARE(added.value(QStringLiteral("repositories_added"))
                     .toArray()
                     .first()
                     .toObject()
                     .value(QStringLiteral("full_name"))
                     .toString(),
                 QStringLiteral("octo-org/repo-1"));
        QCOMPARE(QJsonDocument::fromJson(receiver.received[1].body).object().value(QStringLiteral("action")).toString(),
                 QStringLiteral("removed"));
        const QJsonObject app = sim.control("GET", QStringLiteral("/_sim/app")).object();
        QCOMPARE(app.value(QStringLiteral("repositories")).toArray(),
                 (QJsonArray{QStringLiteral("octo-org/repo-1"), QStringLiteral("octo-org/repo-2")}));
    }

    void deliveriesApiAndRedelivery() {
        Receiver receiver;
        ServerOptions o = appOptions();
        o.webhookUrl = receiver.url();
        o.webhookSecret = "s3cret";
        SimClient sim(o);
        const QByteArray jwt = appAuthorization(sim.server().appPrivateKeyPem());
        sim.control("PUT", QStringLiteral("/_sim/webhooks"), {{QStringLiteral("mode"), QStringLiteral("drop")}});
        QCOMPARE(sim.control("POST", QStringLiteral("/_sim/repos/octo-org/repo-0/issues"),
                             {{QStringLiteral("title"), QStringLiteral("lost")}})
                     .status,
                 201);
        QTest::qWait(200);
        QCOMPARE(receiver.received.size(), 0);
        const Reply list = sim.get(QStringLiteral("/app/hook/deliveries"), jwt);
        QCOMPARE(list.status, 200);
        const QJsonObject delivery = list.array().first().toObject();
        QCOMPARE(delivery.value(QStringLiteral("event")).toString(), QStringLiteral("issues"));
        QCOMPARE(delivery.value(QStringLiteral("action")).toString(), QStringLiteral("opened"));
        QVERIFY(delivery.value(QStringLiteral("status_code")).toInt() != 200);
        const qint64 id = delivery.value(QStringLiteral("id")).toInteger();
        const QJsonObject full = sim.get(QStringLiteral("/app/hook/deliveries/%1").arg(id), jwt).object();
        QCOMPARE(full.value(QStringLiteral("request"))
                     .toObject()
                     .value(QStringLiteral("payload"))
                     .toObject()
                     .value(QStringLiteral("action"))
                     .toString(),
                 QStringLiteral("opened"));
        QCOMPARE(sim.request("POST", QStringLiteral("/app/hook/deliveries/%1/attempts").arg(id), {}, jwt).status, 202);
        QTRY_COMPARE_WITH_TIMEOUT(receiver.received.size(), 1, 5000);
        QCOMPARE(receiver.received.first().header("X-GitHub-Delivery"),
                 delivery.value(QStringLiteral("guid")).toString().toLatin1());
        QTRY_VERIFY_WITH_TIMEOUT(sim.get(QStringLiteral("/app/hook/deliveries"), jwt)
                                         .array()
                                         .first()
                                         .toObject()
                                         .value(QStringLiteral("status_code"))
                                         .toInt() == 200,
                                 5000);
        QVERIFY(sim.get(QStringLiteral("/app/hook/deliveries"), jwt)
                    .array()
                    .first()
                    .toObject()
                    .value(QStringLiteral("redelivery"))
                    .toBool());
        QCOMPARE(sim.get(QStringLiteral("/app/hook/deliveries"), "ghp_sandbox").status, 401);
    }

    void manifestFlowCreatesAnApp() {
        SimClient sim;
        const QJsonObject manifest{
            {QStringLiteral("name"), QStringLiteral("My HubSync")},
            {QStringLiteral("url"), QStringLiteral("http://127.0.0.1/app")},
            {QStringLiteral("redirect_url"), QStringLiteral("http://127.0.0.1:9/done")},
            {QStringLiteral("default_permissions"), QJsonObject{{QStringLiteral("issues"), QStringLiteral("write")}}}};
        const QString query = QString::fromUtf8(
            QUrl::toPercentEncoding(QString::fromUtf8(QJsonDocument(manifest).toJson(QJsonDocument::Compact))));
        const Reply redirect = sim.get(QStringLiteral("/settings/apps/new?state=xyz&manifest=") + query, {});
        QCOMPARE(redirect.status, 302);
        const QUrl target(QString::fromUtf8(redirect.header("Location")));
        QCOMPARE(target.path(), QStringLiteral("/done"));
        const QString code = QUrlQuery(target).queryItemValue(QStringLiteral("code"));
        QCOMPARE(QUrlQuery(target).queryItemValue(QStringLiteral("state")), QStringLiteral("xyz"));
        const Reply converted = sim.request("POST", QStringLiteral("/app-manifests/%1/conversions").arg(code), {}, {});
        QCOMPARE(converted.status, 201);
        const QJsonObject app = converted.object();
        for (const char *key :
             {"id", "slug", "client_id", "client_secret", "webhook_secret", "pem", "owner", "permissions"})
            QVERIFY2(app.contains(QLatin1String(key)), key);
        QCOMPARE(sim.request("POST", QStringLiteral("/app-manifests/%1/conversions").arg(code), {}, {}).status,
                 404); // single use
        const qint64 now = QDateTime::currentSecsSinceEpoch();
        const QByteArray jwt =
            signJwt(app.value(QStringLiteral("pem")).toString().toLatin1(), R"({"alg":"RS256","typ":"JWT"})",
                    claims(now - 60, now + 540, app.value(QStringLiteral("id"))));
        QCOMPARE(sim.get(QStringLiteral("/app"), "Bearer " + jwt).object().value(QStringLiteral("slug")).toString(),
                 QStringLiteral("my-hubsync"));
    }

    void installFlowRedirectsToTheSetupUrl_data() {
        QTest::addColumn<QString>("role");
        QTest::newRow("org admin installs") << QStringLiteral("admin");
        QTest::newRow("org member can only request") << QStringLiteral("member");
    }
    void installFlowRedirectsToTheSetupUrl() {
        QFETCH(QString, role);
        ServerOptions o = appOptions();
        o.setupUrl = QStringLiteral("http://127.0.0.1:9/setup?from=sim");
        o.viewerOrgRole = role;
        SimClient sim(o);
        const QString message =
            QStringLiteral("Your GitHub user does not have permission to install the hubsync-sim GitHub app into this "
                           "organization with the repositories you've selected.");
        const Reply page = sim.get(QStringLiteral("/apps/hubsync-sim/installations/new?state=s1"), {});
        QCOMPARE(page.status, 200);
        QVERIFY(page.header("Content-Type").startsWith("text/html"));
        QCOMPARE(QString::fromUtf8(page.body).contains(message.toHtmlEscaped()), role == QLatin1String("member"));
        const Reply done = sim.request("POST", QStringLiteral("/apps/hubsync-sim/installations/new"),
                                       "repository_selection=selected&repository_ids=1296269&state=s1", {},
                                       {{"Content-Type", "application/x-www-form-urlencoded"}});
        QCOMPARE(done.status, 302);
        const QUrl target(QString::fromUtf8(done.header("Location")));
        const QUrlQuery q(target);
        QCOMPARE(target.path(), QStringLiteral("/setup"));
        QCOMPARE(q.queryItemValue(QStringLiteral("from")), QStringLiteral("sim"));
        QCOMPARE(q.queryItemValue(QStringLiteral("state")), QStringLiteral("s1"));
        if (role == QLatin1String("admin")) {
            QCOMPARE(q.queryItemValue(QStringLiteral("setup_action")), QStringLiteral("install"));
            QCOMPARE(q.queryItemValue(QStringLiteral("installation_id")), QStringLiteral("7"));
            QCOMPARE(sim.control("GET", QStringLiteral("/_sim/app"))
                         .object()
                         .value(QStringLiteral("repositories"))
                         .toArray(),
                     QJsonArray{QStringLiteral("octo-org/repo-0")});
        } else {
            QCOMPARE(q.queryItemValue(QStringLiteral("setup_action")), QStringLiteral("request"));
            QVERIFY(!q.hasQueryItem(QStringLiteral("installation_id")));
            QVERIFY(QString::fromUtf8(done.body).contains(message.toHtmlEscaped()));
        }
    }
};

QTEST_GUILESS_MAIN(TestGithubsimAuth)
#include "tst_githubsim_auth.moc"
