#include "github/githubclient.h"

#include "github/githubclient_p.h"
#include "github/linkheader.h"

#include <QJsonDocument>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QtNetwork/qtnetworkglobal.h>
#if QT_CONFIG(ssl)
#include <QSslError>
#endif

#include <algorithm>

namespace hubsync::github {

namespace {

QString trimmedBasePath(const QUrl &base) {
    QString path = base.path();
    while (path.endsWith(QLatin1Char('/')))
        path.chop(1);
    return path;
}

// GraphQL operations are queries unless the document starts with `mutation` (after comments).
bool isMutation(const QString &query) {
    qsizetype i = 0;
    while (i < query.size()) {
        if (query.at(i).isSpace()) {
            ++i;
        } else if (query.at(i) == QLatin1Char('#')) {
            while (i < query.size() && query.at(i) != QLatin1Char('\n'))
                ++i;
        } else {
            break;
        }
    }
    return QStringView(query).sliced(i).startsWith(QLatin1String("mutation"));
}

} // namespace

GitHubClient::GitHubClient(QNetworkAccessManager *network, std::shared_ptr<Credentials> credentials,
                           ClientOptions options, const Clock *clock, QObject *parent)
    : QObject(parent)
    , m_network(network)
    , m_credentials(std::move(credentials))
    , m_options(std::move(options))
    , m_clock(clock ? *clock : m_systemClock)
    , m_planner(m_clock, m_options.planner, this) {
    if (m_options.graphqlUrl.isEmpty())
        m_options.graphqlUrl = graphqlUrlFor(m_options.apiBaseUrl);
    m_options.maxAttempts = std::max(1, m_options.maxAttempts);
    connect(&m_planner, &QuotaPlanner::quotaChanged, this, &GitHubClient::quotaChanged);
}

GitHubClient::~GitHubClient() {
    // abort() emits finished synchronously: cut our connections first so no handler runs half-destroyed.
    const QSet<QNetworkReply *> replies = std::exchange(m_replies, {});
    for (QNetworkReply *reply : replies) {
        disconnect(reply, nullptr, this, nullptr);
        reply->abort();
        reply->deleteLater();
    }
}

QUrl GitHubClient::graphqlUrlFor(const QUrl &apiBaseUrl) {
    QUrl url = apiBaseUrl;
    const QString path = trimmedBasePath(apiBaseUrl);
    // GitHub Enterprise Server serves REST at /api/v3 and GraphQL at /api/graphql.
    if (path.endsWith(QLatin1String("/api/v3")))
        url.setPath(path.left(path.size() - 2) + QLatin1String("graphql"));
    else
        url.setPath(path + QLatin1String("/graphql"));
    return url;
}

QUrl GitHubClient::resolve(const QString &pathOrUrl, const QUrlQuery &query, Error *error) const {
    QUrl url;
    if (pathOrUrl.startsWith(QLatin1String("https://"), Qt::CaseInsensitive) ||
        pathOrUrl.startsWith(QLatin1String("http://"), Qt::CaseInsensitive)) {
        url = QUrl(pathOrUrl, QUrl::StrictMode);
    } else if (pathOrUrl.startsWith(QLatin1Char('/')) && !pathOrUrl.startsWith(QLatin1String("//"))) {
        QString base = m_options.apiBaseUrl.toString(QUrl::FullyEncoded | QUrl::RemoveQuery | QUrl::RemoveFragment);
        while (base.endsWith(QLatin1Char('/')))
            base.chop(1);
        url = QUrl(base + pathOrUrl, QUrl::StrictMode);
    }
    if (!url.isValid() || !isSameApiOrigin(url, m_options.apiBaseUrl)) {
        // Never send credentials outside the configured API (hostile Link headers, bad callers).
        *error = Error::make(Error::Kind::Internal, QStringLiteral("refusing to send a GitHub request outside %1: %2")
                                                        .arg(m_options.apiBaseUrl.toString(), pathOrUrl.left(200)));
        return {};
    }
    if (!query.isEmpty()) {
        QUrlQuery merged(url);
        for (const auto &[key, value] : query.queryItems(QUrl::FullyEncoded))
            merged.addQueryItem(key, value);
        url.setQuery(merged);
    }
    *error = Error::none();
    return url;
}

void GitHubClient::get(const QString &pathOrUrl, const QUrlQuery &query, const RequestOptions &options,
                       ResponseCallback done) {
    request(QByteArrayLiteral("GET"), pathOrUrl, query, {}, options, std::move(done));
}

void GitHubClient::post(const QString &path, const QJsonDocument &body, ResponseCallback done, Priority priority) {
    request(QByteArrayLiteral("POST"), path, {}, body.isNull() ? QByteArray() : body.toJson(QJsonDocument::Compact),
            {priority, EtagMode::None, -1}, std::move(done));
}

void GitHubClient::patch(const QString &path, const QJsonDocument &body, ResponseCallback done, Priority priority) {
    request(QByteArrayLiteral("PATCH"), path, {}, body.isNull() ? QByteArray() : body.toJson(QJsonDocument::Compact),
            {priority, EtagMode::None, -1}, std::move(done));
}

void GitHubClient::put(const QString &path, const QJsonDocument &body, ResponseCallback done, Priority priority) {
    request(QByteArrayLiteral("PUT"), path, {}, body.isNull() ? QByteArray() : body.toJson(QJsonDocument::Compact),
            {priority, EtagMode::None, -1}, std::move(done));
}

void GitHubClient::del(const QString &path, ResponseCallback done, Priority priority) {
    request(QByteArrayLiteral("DELETE"), path, {}, {}, {priority, EtagMode::None, -1}, std::move(done));
}

void GitHubClient::request(const QByteArray &verb, const QString &pathOrUrl, const QUrlQuery &query, QByteArray body,
                           const RequestOptions &options, ResponseCallback done) {
    auto call = std::make_shared<Call>();
    call->verb = verb;
    call->options = options;
    call->done = std::move(done);
    call->hasBody = !body.isEmpty();
    call->body = std::move(body);
    call->write = verb != "GET";
    call->idempotent = verb != "POST"; // a repeated POST could create a second issue
    Error error;
    call->url = resolve(pathOrUrl, query, &error);
    if (error) {
        GitHubResponse response;
        response.error = error;
        finish(call, std::move(response));
        return;
    }
    const QString relative = call->url.path().mid(trimmedBasePath(m_options.apiBaseUrl).size());
    if (relative.startsWith(QLatin1String("/search/")))
        call->resource = QStringLiteral("search");
    submit(call);
}

void GitHubClient::graphql(const QString &query, const QJsonObject &variables, ResponseCallback done,
                           const RequestOptions &options) {
    auto call = std::make_shared<Call>();
    call->verb = QByteArrayLiteral("POST");
    call->url = m_options.graphqlUrl;
    call->options = options;
    call->options.etag = EtagMode::None;
    call->done = std::move(done);
    call->graphql = true;
    call->resource = QStringLiteral("graphql");
    const bool mutation = isMutation(query);
    call->write = mutation;
    call->idempotent = !mutation; // a timed-out deleteIssue may have happened
    QJsonObject payload{{QStringLiteral("query"), query}};
    if (!variables.isEmpty())
        payload.insert(QStringLiteral("variables"), variables);
    call->body = QJsonDocument(payload).toJson(QJsonDocument::Compact);
    call->hasBody = true;
    submit(call);
}

void GitHubClient::commitEtag(const GitHubResponse &response) {
    if (m_etags && response.httpStatus == 200 && !response.etag.isEmpty())
        m_etags->store(response.url.toString(QUrl::FullyEncoded), {response.etag, response.lastModified});
}

void GitHubClient::requestToken(const QString &path, const QByteArray &authorization, ResponseCallback done) {
    auto call = std::make_shared<Call>();
    call->verb = QByteArrayLiteral("POST");
    call->done = std::move(done);
    call->unplanned = true;
    call->fixedAuthorization = authorization;
    call->idempotent = true; // minting a second token is harmless
    Error error;
    call->url = resolve(path, {}, &error);
    if (error) {
        GitHubResponse response;
        response.error = error;
        finish(call, std::move(response));
        return;
    }
    submit(call);
}

void GitHubClient::submit(const CallPtr &call) {
    if (call->unplanned) {
        send(call, call->fixedAuthorization);
        return;
    }
    m_planner.enqueue(
        call->options.priority, call->resource, call->write,
        [this, call](const Error &error) {
            if (error) {
                GitHubResponse response;
                response.error = error;
                finish(call, std::move(response));
                return;
            }
            call->holdsSlot = true;
            authorize(call);
        },
        call->options.maxWaitMs);
}

void GitHubClient::authorize(const CallPtr &call) {
    if (!m_credentials) {
        release(call);
        GitHubResponse response;
        response.error = Error::make(Error::Kind::GitHubAuth, QStringLiteral("no GitHub credentials configured"));
        finish(call, std::move(response));
        return;
    }
    const Credentials::TokenRequester requester = [this](const QString &path, const QByteArray &authorization,
                                                         ResponseCallback done) {
        requestToken(path, authorization, std::move(done));
    };
    m_credentials->authorization(requester, [this, call](const QByteArray &authorization, const Error &error) {
        if (error) {
            release(call);
            GitHubResponse response;
            response.error = error;
            finish(call, std::move(response));
            return;
        }
        send(call, authorization);
    });
}

void GitHubClient::send(const CallPtr &call, const QByteArray &authorization) {
    QNetworkRequest request(call->url);
    request.setRawHeader("Accept", "application/vnd.github+json");
    request.setRawHeader("X-GitHub-Api-Version", "2022-11-28");
    request.setRawHeader("User-Agent", m_options.userAgent);
    request.setRawHeader("Authorization", authorization);
    if (call->hasBody || call->verb == "POST" || call->verb == "PATCH" || call->verb == "PUT")
        request.setRawHeader("Content-Type", "application/json");
    if (call->verb == "GET" && call->options.etag != EtagMode::None && m_etags) {
        if (const auto entry = m_etags->lookup(call->url.toString(QUrl::FullyEncoded)))
            request.setRawHeader("If-None-Match", entry->etag);
    }
    // Renamed repositories answer 301/307 on the same host; anything else is not followed, so the
    // token never travels to another origin.
    request.setAttribute(QNetworkRequest::RedirectPolicyAttribute, QNetworkRequest::SameOriginRedirectPolicy);
    request.setMaximumRedirectsAllowed(5);
    request.setAttribute(QNetworkRequest::CacheLoadControlAttribute, QNetworkRequest::AlwaysNetwork);
    request.setAttribute(QNetworkRequest::CacheSaveControlAttribute, false);
    request.setTransferTimeout(m_options.transferTimeoutMs);

    call->usedAuthorization = authorization;
    call->buffer.clear();
    call->tooLarge = false;
    call->certificateProblem.clear();
    ++call->attempts;
    ++m_requestsSent;

    QNetworkReply *reply = nullptr;
    if (call->verb == "GET")
        reply = m_network->get(request);
    else if (call->verb == "POST")
        reply = m_network->post(request, call->body);
    else if (call->verb == "PUT")
        reply = m_network->put(request, call->body);
    else if (call->verb == "DELETE" && !call->hasBody)
        reply = m_network->deleteResource(request);
    else
        reply = m_network->sendCustomRequest(request, call->verb, call->body);
    m_replies.insert(reply);

    const qint64 maxBytes = m_options.maxResponseBytes;
    auto overLimit = [call, reply, maxBytes] {
        call->tooLarge = true;
        reply->abort();
    };
    connect(reply, &QNetworkReply::metaDataChanged, this, [reply, maxBytes, overLimit] {
        bool ok = false;
        const qint64 length = reply->header(QNetworkRequest::ContentLengthHeader).toLongLong(&ok);
        if (ok && length > maxBytes)
            overLimit();
    });
    connect(reply, &QNetworkReply::readyRead, this, [call, reply, maxBytes, overLimit] {
        if (call->tooLarge)
            return;
        const qint64 room = std::max<qint64>(0, maxBytes + 1 - call->buffer.size());
        call->buffer += reply->read(std::min(reply->bytesAvailable(), room));
        if (call->buffer.size() > maxBytes)
            overLimit();
    });
#if QT_CONFIG(ssl)
    // A refused certificate is a configuration problem, unlike other handshake failures (a reset).
    connect(reply, &QNetworkReply::sslErrors, this, [call](const QList<QSslError> &errors) {
        QStringList why;
        for (const QSslError &e : errors)
            why << e.errorString();
        call->certificateProblem = why.join(QStringLiteral("; "));
    });
#endif
    connect(reply, &QNetworkReply::finished, this, [this, call, reply] { onFinished(call, reply); });
}

} // namespace hubsync::github
