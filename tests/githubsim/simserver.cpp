#include "simserver.h"

#include <QCryptographicHash>
#include <QDateTime>
#include <QHttpServerRequest>
#include <QJsonArray>
#include <QMessageAuthenticationCode>
#include <QNetworkReply>
#include <QPointer>
#include <QRandomGenerator>
#include <QRegularExpression>
#include <QTcpSocket>
#include <QTimer>
#include <QUuid>

namespace githubsim {

namespace {

constexpr qint64 maxBodyBytes = 25 << 20;

QByteArray methodName(QHttpServerRequest::Method m)
{
    switch (m) {
    case QHttpServerRequest::Method::Get:
        return "GET";
    case QHttpServerRequest::Method::Post:
        return "POST";
    case QHttpServerRequest::Method::Patch:
        return "PATCH";
    case QHttpServerRequest::Method::Put:
        return "PUT";
    case QHttpServerRequest::Method::Delete:
        return "DELETE";
    case QHttpServerRequest::Method::Head:
        return "HEAD";
    default:
        return "OTHER";
    }
}

QByteArray reasonPhrase(int status)
{
    switch (status) {
    case 200: return "OK";
    case 201: return "Created";
    case 204: return "No Content";
    case 304: return "Not Modified";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 410: return "Gone";
    case 422: return "Unprocessable Entity";
    case 429: return "Too Many Requests";
    case 502: return "Bad Gateway";
    default: return "Status";
    }
}

QByteArray header(const QList<QPair<QByteArray, QByteArray>> &headers, const QByteArray &name)
{
    for (const auto &[k, v] : headers) {
        if (k.compare(name, Qt::CaseInsensitive) == 0)
            return v;
    }
    return {};
}

QJsonArray toArray(const QList<QJsonObject> &objects)
{
    QJsonArray a;
    for (const QJsonObject &o : objects)
        a.append(o);
    return a;
}

// Template of the path: numbers and names replaced, for the per-endpoint counters.
QString endpointTemplate(const QByteArray &method, const QString &path)
{
    static const QRegularExpression repo(QStringLiteral("^/repos/[^/]+/[^/]+"));
    static const QRegularExpression number(QStringLiteral("/\\d+"));
    QString t = path;
    t.replace(repo, QStringLiteral("/repos/{owner}/{repo}"));
    t.replace(number, QStringLiteral("/{n}"));
    return QString::fromLatin1(method) + QLatin1Char(' ') + t;
}

} // namespace

Server::Server(World &world, ServerOptions options, QObject *parent)
    : QAbstractHttpServer(parent)
    , m_world(world)
    , m_options(std::move(options))
{
}

bool Server::handleRequest(const QHttpServerRequest &request, QTcpSocket *socket)
{
    const Reply reply = request.body().size() > maxBodyBytes
                            ? error(413, QStringLiteral("Payload too large"))
                            : handle(methodName(request.method()), request.url(), request.headers(), request.body());
    QByteArray bytes = "HTTP/1.1 " + QByteArray::number(reply.status) + ' ' + reasonPhrase(reply.status) + "\r\n";
    for (const auto &[k, v] : reply.headers)
        bytes += k + ": " + v + "\r\n";
    bytes += "Content-Length: " + QByteArray::number(reply.body.size()) + "\r\n\r\n" + reply.body;
    if (m_options.latencyMs <= 0) {
        socket->write(bytes);
        return true;
    }
    QPointer<QTcpSocket> target(socket);
    QTimer::singleShot(m_options.latencyMs, this, [target, bytes] {
        if (target)
            target->write(bytes);
    });
    return true;
}

void Server::missingHandler(const QHttpServerRequest &request, QTcpSocket *socket) { handleRequest(request, socket); }

Reply Server::error(int status, const QString &message) const
{
    Reply r = json(status, QJsonObject{{QStringLiteral("message"), message},
                                       {QStringLiteral("documentation_url"), QStringLiteral("https://docs.github.com/rest")}});
    return r;
}

Reply Server::json(int status, const QJsonValue &value) const
{
    Reply r;
    r.status = status;
    r.body = value.isArray() ? QJsonDocument(value.toArray()).toJson(QJsonDocument::Compact)
                             : QJsonDocument(value.toObject()).toJson(QJsonDocument::Compact);
    r.headers << qMakePair(QByteArrayLiteral("Content-Type"), QByteArrayLiteral("application/json; charset=utf-8"));
    return r;
}

Server::Quota &Server::quota(const QString &resource)
{
    Quota &q = m_quotas[resource];
    const qint64 now = QDateTime::currentSecsSinceEpoch();
    if (q.windowStart == 0 || now >= q.windowStart + m_options.rateWindowSeconds) {
        q.windowStart = now;
        q.used = 0;
    }
    return q;
}

Reply Server::handle(const QByteArray &method, const QUrl &url, const QList<QPair<QByteArray, QByteArray>> &headers,
                     const QByteArray &body)
{
    const QString path = url.path();
    if (path.startsWith(QStringLiteral("/_sim/")))
        return control(method, path, body);

    ++m_requests;
    m_requestsByEndpoint[endpointTemplate(method, path)] += 1;
    const QByteArray requestId = QByteArray::number(++m_requestSerial, 16).toUpper().rightJustified(8, '0') + ":SIM";

    // Authentication first: GitHub answers 401 before anything else.
    const QByteArray authorization = header(headers, "Authorization");
    const QByteArray token = authorization.startsWith("Bearer ") ? authorization.mid(7)
                             : authorization.startsWith("token ") ? authorization.mid(6)
                                                                  : QByteArray();
    if (!m_options.tokens.contains(token)) {
        Reply r = error(401, QStringLiteral("Bad credentials"));
        r.headers << qMakePair(QByteArrayLiteral("X-GitHub-Request-Id"), requestId);
        return r;
    }

    const QString resource = path == QStringLiteral("/graphql") ? QStringLiteral("graphql") : QStringLiteral("core");
    Quota &q = quota(resource);
    if (m_forceRemaining >= 0) {
        q.used = qMax<qint64>(0, m_options.rateLimit - m_forceRemaining);
        m_forceRemaining = -1;
    }
    const auto rateHeaders = [&](Reply &r) {
        r.headers << qMakePair(QByteArrayLiteral("X-RateLimit-Limit"), QByteArray::number(m_options.rateLimit))
                  << qMakePair(QByteArrayLiteral("X-RateLimit-Remaining"), QByteArray::number(qMax<qint64>(0, m_options.rateLimit - q.used)))
                  << qMakePair(QByteArrayLiteral("X-RateLimit-Reset"), QByteArray::number(q.windowStart + m_options.rateWindowSeconds))
                  << qMakePair(QByteArrayLiteral("X-RateLimit-Used"), QByteArray::number(q.used))
                  << qMakePair(QByteArrayLiteral("X-RateLimit-Resource"), resource.toLatin1())
                  << qMakePair(QByteArrayLiteral("X-GitHub-Request-Id"), requestId)
                  << qMakePair(QByteArrayLiteral("X-GitHub-Api-Version-Selected"), QByteArrayLiteral("2022-11-28"));
    };
    if (q.used >= m_options.rateLimit) {
        Reply r = error(403, QStringLiteral("API rate limit exceeded for user ID 1. If you reach out to GitHub Support for help, please "
                                            "include the request ID %1.").arg(QString::fromLatin1(requestId)));
        rateHeaders(r);
        return r;
    }
    if (m_options.failRate > 0 && QRandomGenerator::global()->generateDouble() < m_options.failRate) {
        Reply r = error(502, QStringLiteral("Server Error"));
        rateHeaders(r);
        return r;
    }

    Reply r = resource == QStringLiteral("graphql") ? graphql(body) : route(method, path, QUrlQuery(url), body);
    if (method == "GET" && r.status == 200) {
        const QByteArray etag = "W/\"" + QCryptographicHash::hash(r.body, QCryptographicHash::Md5).toHex() + '"';
        r.headers << qMakePair(QByteArrayLiteral("ETag"), etag);
        if (header(headers, "If-None-Match") == etag) {
            // Conditional requests answered 304 do not count against the rate limit.
            r.status = 304;
            r.body.clear();
            r.countsAgainstQuota = false;
            ++m_notModified;
        }
    }
    if (r.countsAgainstQuota) {
        ++q.used;
        ++m_quotaSpent;
    }
    rateHeaders(r);
    return r;
}

Reply Server::listReply(const QList<QJsonObject> &page, qint64 total, const QString &path, const QUrlQuery &query, int perPage,
                        int pageNumber) const
{
    Reply r = json(200, toArray(page));
    const qint64 last = qMax<qint64>(1, (total + perPage - 1) / perPage);
    const auto link = [&](qint64 p) -> QByteArray {
        QUrlQuery q = query;
        q.removeAllQueryItems(QStringLiteral("page"));
        q.removeAllQueryItems(QStringLiteral("per_page"));
        q.addQueryItem(QStringLiteral("per_page"), QString::number(perPage));
        q.addQueryItem(QStringLiteral("page"), QString::number(p));
        return (m_world.baseUrl() + path + QLatin1Char('?') + q.toString(QUrl::FullyEncoded)).toUtf8();
    };
    // GitHub's order: prev, next, last, first.
    QList<QByteArray> parts;
    if (pageNumber > 1)
        parts << "<" + link(pageNumber - 1) + ">; rel=\"prev\"";
    if (pageNumber < last)
        parts << "<" + link(pageNumber + 1) + ">; rel=\"next\"" << "<" + link(last) + ">; rel=\"last\"";
    if (pageNumber > 1)
        parts << "<" + link(1) + ">; rel=\"first\"";
    if (!parts.isEmpty())
        r.headers << qMakePair(QByteArrayLiteral("Link"), parts.join(", "));
    return r;
}

void Server::webhook(const QString &event, const QString &action, int r, const QJsonObject &issue)
{
    const QJsonObject payload{{QStringLiteral("action"), action},
                              {QStringLiteral("issue"), issue},
                              {QStringLiteral("repository"), m_world.repository(r)},
                              {QStringLiteral("sender"), World::user(17)}};
    const QByteArray body = QJsonDocument(payload).toJson(QJsonDocument::Compact);
    const QByteArray delivery = QUuid::createUuid().toByteArray(QUuid::WithoutBraces);
    m_deliveries.append(QJsonObject{{QStringLiteral("guid"), QString::fromLatin1(delivery)},
                                    {QStringLiteral("event"), event},
                                    {QStringLiteral("action"), action},
                                    {QStringLiteral("delivered_at"), isoTime(QDateTime::currentDateTimeUtc())}});
    if (m_options.webhookUrl.isEmpty())
        return;
    QNetworkRequest request{QUrl(m_options.webhookUrl)};
    request.setHeader(QNetworkRequest::ContentTypeHeader, QByteArrayLiteral("application/json"));
    request.setRawHeader("X-GitHub-Event", event.toLatin1());
    request.setRawHeader("X-GitHub-Delivery", delivery);
    request.setRawHeader("User-Agent", "GitHub-Hookshot/sim");
    request.setRawHeader("X-Hub-Signature-256",
                         "sha256=" + QMessageAuthenticationCode::hash(body, m_options.webhookSecret, QCryptographicHash::Sha256).toHex());
    QNetworkReply *reply = m_nam.post(request, body);
    connect(reply, &QNetworkReply::finished, reply, &QObject::deleteLater);
}

} // namespace githubsim
