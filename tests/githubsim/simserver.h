#pragma once

#include "simdata.h"

#include <QAbstractHttpServer>
#include <QHash>
#include <QJsonDocument>
#include <QNetworkAccessManager>
#include <QSet>
#include <QUrlQuery>

namespace githubsim {

struct ServerOptions {
    QSet<QByteArray> tokens;   // accepted personal access tokens
    qint64 rateLimit = 5000;   // primary budget per window (core; graphql has its own of the same size)
    int rateWindowSeconds = 3600;
    int latencyMs = 0;
    double failRate = 0;       // fraction of requests answered 502
    QString webhookUrl;
    QByteArray webhookSecret;
};

// One HTTP response, built before it is written (so latency can be simulated).
struct Reply {
    int status = 200;
    QList<QPair<QByteArray, QByteArray>> headers;
    QByteArray body;
    bool countsAgainstQuota = true;
};

// The simulated GitHub's HTTP front: authentication, quotas, ETags, pagination and routing.
class Server final : public QAbstractHttpServer {
    Q_OBJECT
public:
    Server(World &world, ServerOptions options, QObject *parent = nullptr);

    Reply handle(const QByteArray &method, const QUrl &url, const QList<QPair<QByteArray, QByteArray>> &headers,
                 const QByteArray &body);

protected:
    bool handleRequest(const QHttpServerRequest &request, QTcpSocket *socket) override;
    void missingHandler(const QHttpServerRequest &request, QTcpSocket *socket) override;

private:
    struct Quota {
        qint64 used = 0;
        qint64 windowStart = 0;
    };
    Reply route(const QByteArray &method, const QString &path, const QUrlQuery &query, const QByteArray &body);
    Reply control(const QByteArray &method, const QString &path, const QByteArray &body);
    Reply graphql(const QByteArray &body);
    Reply listReply(const QList<QJsonObject> &page, qint64 total, const QString &path, const QUrlQuery &query, int perPage,
                    int pageNumber) const;
    Reply error(int status, const QString &message) const;
    Reply json(int status, const QJsonValue &value) const;
    void webhook(const QString &event, const QString &action, int r, const QJsonObject &issue);
    Quota &quota(const QString &resource);

    World &m_world;
    ServerOptions m_options;
    QHash<QString, Quota> m_quotas;
    QHash<QString, qint64> m_requestsByEndpoint;
    qint64 m_requests = 0;
    qint64 m_notModified = 0;
    qint64 m_quotaSpent = 0;
    qint64 m_requestSerial = 0;
    qint64 m_forceRemaining = -1;
    QNetworkAccessManager m_nam;
    QJsonArray m_deliveries;
};

} // namespace githubsim
