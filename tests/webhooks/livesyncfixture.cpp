#include "livesyncfixture.h"

#include "catalog/schema.h"
#include "store/migrations.h"
#include "sync/backfill.h"
#include "sync/githubapi.h"

#include <QEventLoop>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QSignalSpy>
#include <QTest>
#include <QTimer>

namespace hubsync::test {

QString LiveSync::open(const QString &dsn, const Config &config) {
    if (Error e = db.open(dsn))
        return e.message;
    Error error;
    api = sync::makeGitHubApi(config, &db, &error);
    if (error)
        return error.message;
    log = std::make_unique<DeliveryLog>(db);
    webhooks::WebhookReceiver::Options options;
    options.secret = secret;
    receiver = std::make_unique<webhooks::WebhookReceiver>(*log, options);
    if (Error e = receiver->listen())
        return e.message;
    sync::WebhookApplier::Options applierOptions;
    applierOptions.installationId =
        installationId >= 0 ? installationId : (config.usesAppAuth() ? config.installationId : 0);
    applier = std::make_unique<sync::WebhookApplier>(*api, db, applierOptions);
    QObject::connect(receiver.get(), &webhooks::WebhookReceiver::deliveryQueued, applier.get(),
                     &sync::WebhookApplier::kick, Qt::QueuedConnection); // as the engine wires it
    sync::Poller::Options pollOptions;
    pollOptions.intervalSeconds = 3600; // cycles only when a test asks (pollNow)
    poller = std::make_unique<sync::Poller>(*api, db, pollOptions);
    return {};
}

QString LiveSync::receiverUrl() const {
    return QStringLiteral("http://127.0.0.1:%1/").arg(receiver->port());
}

QString LiveSync::receiveFrom(const SimulatorProcess &sim, const QString &mode) const {
    const QByteArray body = QJsonDocument(QJsonObject{{QStringLiteral("url"), receiverUrl()},
                                                      {QStringLiteral("secret"), QString::fromLatin1(secret)},
                                                      {QStringLiteral("mode"), mode}})
                                .toJson();
    const int status = sim.request("PUT", QStringLiteral("/_sim/webhooks"), {}, body).status;
    return status == 200 ? QString() : QStringLiteral("PUT /_sim/webhooks answered %1").arg(status);
}

QString startLiveSync(LiveSync &live, const QString &dsn, const Config &config) {
    if (const QString e = runBackfill(dsn, config); !e.isEmpty())
        return e;
    if (const QString e = live.open(dsn, config); !e.isEmpty())
        return e;
    live.applier->start();
    return {};
}

QString freshSyncDatabase(const QString &name, QString *error) {
    QString ignored;
    QString &reason = error ? *error : ignored;
    const QString dsn = PgTestInstance::shared().createDatabase(name);
    if (dsn.isEmpty()) {
        reason = PgTestInstance::shared().error();
        return {};
    }
    pg::Connection c;
    Error e = c.open(dsn);
    if (!e)
        e = Migrator(c, QStringLiteral("github")).migrate(catalog::allMigrations());
    if (e) {
        reason = e.message;
        return {};
    }
    return dsn;
}

Config simulatorConfig(const QString &apiUrl, const QString &token) {
    Config config;
    config.githubApiUrl = apiUrl;
    config.githubGraphqlUrl = apiUrl + QStringLiteral("/graphql");
    config.token = token;
    return config;
}

QString runBackfill(const QString &dsn, const Config &config, const QStringList &repos) {
    pg::Connection db;
    if (Error e = db.open(dsn))
        return e.message;
    Error error;
    auto api = sync::makeGitHubApi(config, &db, &error);
    if (error)
        return error.message;
    sync::Backfill::Options options;
    options.repos = repos;
    sync::Backfill backfill(*api, db, options);
    QSignalSpy done(&backfill, &sync::Backfill::finished);
    QSignalSpy failed(&backfill, &sync::Backfill::failed);
    backfill.start();
    if (!QTest::qWaitFor([&] { return !done.isEmpty() || !failed.isEmpty(); }, 120000))
        return QStringLiteral("backfill timed out");
    return failed.isEmpty() ? QString() : failed.first().first().value<Error>().message;
}

HttpAnswer httpRequest(const QByteArray &verb, const QString &url, const QByteArray &body,
                       const QList<QPair<QByteArray, QByteArray>> &headers) {
    QNetworkAccessManager network;
    QNetworkRequest request{QUrl(url)};
    for (const auto &[name, value] : headers)
        request.setRawHeader(name, value);
    if (!body.isEmpty() && request.rawHeader("Content-Type").isEmpty())
        request.setRawHeader("Content-Type", "application/json");
    QNetworkReply *reply = network.sendCustomRequest(request, verb, body);
    QEventLoop loop;
    QObject::connect(reply, &QNetworkReply::finished, &loop, &QEventLoop::quit);
    QTimer::singleShot(30000, &loop, &QEventLoop::quit);
    loop.exec();
    HttpAnswer answer{reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt(), reply->readAll()};
    delete reply;
    return answer;
}

HttpAnswer httpPost(const QString &url, const QByteArray &body, const QList<QPair<QByteArray, QByteArray>> &headers) {
    return httpRequest("POST", url, body, headers);
}

QStringList tableRows(pg::Connection &db, const QString &table, const QString &key, const QStringList &ignore,
                      const QString &where) {
    QString minus;
    for (const QString &column : ignore + QStringList{QStringLiteral("_synced_at"), QStringLiteral("raw")})
        minus += QStringLiteral(" - '%1'").arg(column);
    const pg::Result r =
        db.exec(QStringLiteral("SELECT (to_jsonb(t)%3)::text FROM github.\"%1\" t %4 ORDER BY %2")
                    .arg(table, key, minus, where.isEmpty() ? QString() : QStringLiteral("WHERE ") + where));
    QStringList rows;
    for (int i = 0; i < r.rows(); ++i)
        rows << r.text(i, 0);
    return rows;
}

} // namespace hubsync::test
