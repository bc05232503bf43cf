#include "sync/githubapi.h"

#include "core/log.h"

#include <QDateTime>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QPointer>
#include <QRandomGenerator>
#include <QRegularExpression>
#include <QTimer>
#include <QUrl>
#include <QUrlQuery>

#include <deque>
#include <functional>

namespace hubsync::sync {

namespace {

constexpr int maxInFlight = 8;           // far below GitHub's 100 concurrent requests
constexpr int maxAttempts = 5;           // 5xx / network errors, with exponential backoff
constexpr qint64 maxBodyBytes = 64 << 20; // a list page is a few hundred kB

struct Request {
    QUrl url;
    QByteArray verb = "GET";
    QByteArray body;
    QByteArray ifNoneMatch;
    int attempt = 0;
    std::function<void(int status, const QByteArray &body, QNetworkReply *reply, const Error &error)> done;
};

// Parses GitHub's Link header into rel -> URL.
QHash<QString, QString> parseLink(const QByteArray &header)
{
    QHash<QString, QString> links;
    static const QRegularExpression part(QStringLiteral(R"re(<([^>]*)>\s*;\s*rel="([a-z]+)")re"));
    auto it = part.globalMatch(QString::fromUtf8(header.left(16384)));
    while (it.hasNext()) {
        const auto m = it.next();
        links.insert(m.captured(2), m.captured(1));
    }
    return links;
}

Error errorFor(int status, const QByteArray &body)
{
    const QJsonObject object = QJsonDocument::fromJson(body).object();
    const QString message = object.value(QStringLiteral("message")).toString(QStringLiteral("HTTP %1").arg(status));
    QString detail;
    if (object.contains(QStringLiteral("errors")))
        detail = QString::fromUtf8(QJsonDocument(object.value(QStringLiteral("errors")).toArray()).toJson(QJsonDocument::Compact));
    Error::Kind kind = Error::Kind::GitHubUnavailable;
    switch (status) {
    case 401:
        kind = Error::Kind::GitHubAuth;
        break;
    case 403:
        kind = Error::Kind::GitHubPermission;
        break;
    case 404:
        kind = Error::Kind::GitHubNotFound;
        break;
    case 410:
        kind = Error::Kind::GitHubGone;
        break;
    case 422:
        kind = Error::Kind::GitHubValidation;
        break;
    case 409:
        kind = Error::Kind::GitHubGone; // "Git Repository is empty."
        break;
    default:
        break;
    }
    return Error::make(kind, message, status, detail);
}

class QnamApi final : public QObject, public Api {
public:
    QnamApi(const Config &config, QObject *parent)
        : QObject(parent)
        , m_nam(new QNetworkAccessManager(this))
    {
        m_base = QUrl(config.githubApiUrl.endsWith(QLatin1Char('/')) ? config.githubApiUrl.chopped(1) : config.githubApiUrl);
        m_graphql = QUrl(config.effectiveGraphqlUrl());
        m_authorization = "Bearer " + config.token.toUtf8();
        m_nam->setTransferTimeout(60000);
    }

    bool isInstallation() const override { return false; }

    void get(const QString &pathOrUrl, std::function<void(const Page &)> done) override { fetch(pathOrUrl, false, std::move(done)); }

    void getIfChanged(const QString &pathOrUrl, std::function<void(const Page &)> done) override
    {
        fetch(pathOrUrl, true, std::move(done));
    }

    void commitEtag(const QString &url, const QByteArray &etag) override
    {
        if (!etag.isEmpty())
            m_etags.insert(url, etag);
    }

    void fetch(const QString &pathOrUrl, bool conditional, std::function<void(const Page &)> done)
    {
        const QUrl url = resolve(pathOrUrl);
        if (!url.isValid()) {
            Page page;
            page.error = Error::make(Error::Kind::Internal, QStringLiteral("refusing to follow %1: not on the API host").arg(pathOrUrl));
            done(page);
            return;
        }
        Request request;
        request.url = url;
        if (conditional)
            request.ifNoneMatch = m_etags.value(url.toString());
        request.done = [done, url](int status, const QByteArray &body, QNetworkReply *reply, const Error &error) {
            Page page;
            page.url = url.toString();
            page.httpStatus = status;
            page.error = error;
            page.body = body;
            page.notModified = status == 304;
            if (reply) {
                page.etag = reply->rawHeader("ETag");
                const auto links = parseLink(reply->rawHeader("Link"));
                page.nextUrl = links.value(QStringLiteral("next"));
                const QUrlQuery last(QUrl(links.value(QStringLiteral("last"))));
                bool ok = false;
                const qint64 lastPage = last.queryItemValue(QStringLiteral("page")).toLongLong(&ok);
                page.lastPage = ok ? lastPage : -1;
                if (reply->hasRawHeader("X-RateLimit-Remaining")) {
                    page.quotaRemaining = reply->rawHeader("X-RateLimit-Remaining").toLongLong();
                    page.quotaReset = reply->rawHeader("X-RateLimit-Reset").toLongLong();
                }
            }
            done(page);
        };
        enqueue(std::move(request));
    }

    void graphql(const QString &query, const QJsonObject &variables, std::function<void(const GraphqlResult &)> done) override
    {
        Request request;
        request.url = m_graphql;
        request.verb = "POST";
        request.body = QJsonDocument(QJsonObject{{QStringLiteral("query"), query}, {QStringLiteral("variables"), variables}})
                           .toJson(QJsonDocument::Compact);
        request.done = [done](int, const QByteArray &body, QNetworkReply *reply, const Error &error) {
            GraphqlResult result;
            result.error = error;
            if (reply && reply->hasRawHeader("X-RateLimit-Remaining"))
                result.quotaRemaining = reply->rawHeader("X-RateLimit-Remaining").toLongLong();
            if (!error) {
                const QJsonObject object = QJsonDocument::fromJson(body).object();
                const QJsonArray errors = object.value(QStringLiteral("errors")).toArray();
                result.data = object.value(QStringLiteral("data")).toObject();
                if (!errors.isEmpty() && result.data.isEmpty()) {
                    const QJsonObject first = errors.first().toObject();
                    const QString type = first.value(QStringLiteral("type")).toString();
                    result.error = Error::make(type == QStringLiteral("FORBIDDEN") ? Error::Kind::GitHubPermission
                                               : type == QStringLiteral("NOT_FOUND") ? Error::Kind::GitHubNotFound
                                                                                   : Error::Kind::GitHubValidation,
                                               first.value(QStringLiteral("message")).toString(QStringLiteral("GraphQL error")));
                }
            }
            done(result);
        };
        enqueue(std::move(request));
    }

private:
    QUrl resolve(const QString &pathOrUrl) const
    {
        if (pathOrUrl.startsWith(QLatin1Char('/'))) {
            QUrl url = m_base;
            const qsizetype q = pathOrUrl.indexOf(QLatin1Char('?'));
            url.setPath(m_base.path() + (q < 0 ? pathOrUrl : pathOrUrl.left(q)));
            if (q >= 0)
                url.setQuery(pathOrUrl.mid(q + 1));
            return url;
        }
        // A Link header is input from the network: only follow it to the API's own origin, so the
        // credentials are never sent anywhere else.
        const QUrl url(pathOrUrl);
        if (url.scheme() != m_base.scheme() || url.host() != m_base.host() || url.port() != m_base.port())
            return {};
        return url;
    }

    void enqueue(Request request)
    {
        m_queue.push_back(std::move(request));
        pump();
    }

    void pump()
    {
        const qint64 now = QDateTime::currentMSecsSinceEpoch();
        if (m_pausedUntil > now) {
            if (!m_resumeScheduled) {
                m_resumeScheduled = true;
                QTimer::singleShot(int(m_pausedUntil - now), this, [this] {
                    m_resumeScheduled = false;
                    pump();
                });
            }
            return;
        }
        while (m_inFlight < maxInFlight && !m_queue.empty()) {
            Request request = std::move(m_queue.front());
            m_queue.pop_front();
            send(std::move(request));
        }
    }

    void send(Request request)
    {
        QNetworkRequest r(request.url);
        r.setRawHeader("Accept", "application/vnd.github+json");
        r.setRawHeader("X-GitHub-Api-Version", "2022-11-28");
        r.setRawHeader("User-Agent", "HubSync/" HUBSYNC_VERSION);
        r.setRawHeader("Authorization", m_authorization);
        if (!request.ifNoneMatch.isEmpty())
            r.setRawHeader("If-None-Match", request.ifNoneMatch);
        if (!request.body.isEmpty())
            r.setHeader(QNetworkRequest::ContentTypeHeader, QByteArrayLiteral("application/json"));
        ++m_inFlight;
        QNetworkReply *reply = m_nam->sendCustomRequest(r, request.verb, request.body);
        connect(reply, &QNetworkReply::downloadProgress, reply, [reply](qint64 received, qint64) {
            if (received > maxBodyBytes)
                reply->abort();
        });
        connect(reply, &QNetworkReply::finished, this, [this, reply, request = std::move(request)]() mutable {
            reply->deleteLater();
            --m_inFlight;
            finish(std::move(request), reply);
            pump();
        });
    }

    void retryLater(Request request, qint64 delayMs)
    {
        m_queue.push_front(std::move(request));
        m_pausedUntil = qMax(m_pausedUntil, QDateTime::currentMSecsSinceEpoch() + delayMs);
    }

    void finish(Request request, QNetworkReply *reply)
    {
        const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        const QByteArray body = reply->readAll();
        const bool networkError = status == 0;
        // Rate limits: wait for the reset (or Retry-After) and try again; never fail the sync for them.
        if (status == 403 || status == 429) {
            const bool exhausted = reply->rawHeader("X-RateLimit-Remaining") == "0";
            const bool retryAfter = reply->hasRawHeader("Retry-After");
            const bool secondary = body.contains("secondary rate limit");
            if (exhausted || retryAfter || secondary || status == 429) {
                qint64 waitMs = 60000; // GitHub's advice when no header says otherwise
                if (retryAfter)
                    waitMs = reply->rawHeader("Retry-After").toLongLong() * 1000;
                else if (exhausted)
                    waitMs = (reply->rawHeader("X-RateLimit-Reset").toLongLong() + 1) * 1000 - QDateTime::currentMSecsSinceEpoch();
                waitMs = qBound<qint64>(0, waitMs, qint64(3600) * 1000);
                logWarning(QStringLiteral("github"), QStringLiteral("rate limited; waiting %1 s").arg(waitMs / 1000));
                retryLater(std::move(request), waitMs);
                return;
            }
        }
        if ((networkError || status >= 500) && request.attempt + 1 < maxAttempts) {
            const qint64 delay = (250LL << request.attempt) + QRandomGenerator::global()->bounded(250);
            ++request.attempt;
            QPointer<QnamApi> self(this);
            QTimer::singleShot(int(delay), this, [self, request = std::move(request)]() mutable {
                if (self)
                    self->enqueue(std::move(request));
            });
            return;
        }
        Error error;
        if (networkError)
            error = Error::make(Error::Kind::GitHubUnavailable, QStringLiteral("cannot reach GitHub at %1: %2").arg(request.url.host(), reply->errorString()));
        else if (status >= 400)
            error = errorFor(status, body);
        request.done(status, body, networkError ? nullptr : reply, error);
    }

    QNetworkAccessManager *m_nam;
    QUrl m_base;
    QUrl m_graphql;
    QByteArray m_authorization;
    std::deque<Request> m_queue;
    QHash<QString, QByteArray> m_etags;
    int m_inFlight = 0;
    qint64 m_pausedUntil = 0;
    bool m_resumeScheduled = false;
};

} // namespace

std::unique_ptr<Api> makeGitHubApi(const Config &config, QObject *parent, Error *error)
{
    if (config.usesAppAuth()) {
        if (error)
            *error = Error::make(Error::Kind::Usage, QStringLiteral("GitHub App authentication is not wired into the sync engine yet"));
        return {};
    }
    Q_UNUSED(parent)
    return std::make_unique<QnamApi>(config, nullptr);
}

} // namespace hubsync::sync
