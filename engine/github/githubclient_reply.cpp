// GitHubClient: what happens when an answer (or no answer) arrives.

#include "core/log.h"
#include "github/errormapping.h"
#include "github/githubclient.h"
#include "github/githubclient_p.h"
#include "github/linkheader.h"

#include <QDateTime>
#include <QJsonArray>
#include <QNetworkReply>
#include <QRandomGenerator>
#include <QTimer>

#include <algorithm>

namespace hubsync::github {

namespace {

const QString LogCategory = QStringLiteral("github");

// Failures below HTTP (connection, TLS, proxy, truncated transfer) as opposed to HTTP error statuses,
// which QNetworkReply also reports through error().
bool isTransportError(QNetworkReply::NetworkError error) {
    const int code = int(error);
    return (code > 0 && code < 200) || error == QNetworkReply::ProtocolFailure ||
           error == QNetworkReply::ProtocolUnknownError;
}

bool looksLikeJson(const GitHubResponse &r) {
    const QByteArray type = r.header("content-type").toLower();
    if (type.contains("json"))
        return true;
    const QByteArray start = r.body.left(16).trimmed();
    return start.startsWith('{') || start.startsWith('[');
}

QString describe(const QUrl &url) {
    return url.toString(QUrl::RemoveQuery | QUrl::RemoveUserInfo);
}

} // namespace

void GitHubClient::onFinished(const CallPtr &call, QNetworkReply *reply) {
    m_replies.remove(reply);
    reply->deleteLater();
    if (!call->tooLarge && reply->isOpen()) {
        // read(n) allocates n bytes up front: ask only for what is there, bounded by what may still come.
        const qint64 room = m_options.maxResponseBytes + 1 - call->buffer.size();
        call->buffer += reply->read(std::clamp(reply->bytesAvailable(), qint64(0), std::max<qint64>(0, room)));
        call->tooLarge = call->buffer.size() > m_options.maxResponseBytes;
    }

    GitHubResponse response;
    response.url = call->url;
    response.httpStatus = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    response.headers = reply->rawHeaderPairs();
    response.rateLimit = parseRateLimit(response.headers);
    response.body = std::exchange(call->buffer, {});
    if (!call->unplanned) // token mints spend the App's own budget, not the installation's
        m_planner.observe(call->resource, response.rateLimit);

    const QNetworkReply::NetworkError error = reply->error();
    if (call->tooLarge) {
        response.body.clear();
        response.error = Error::make(Error::Kind::GitHubUnavailable,
                                     QStringLiteral("GitHub's response to %1 exceeds %2 MiB; refused")
                                         .arg(describe(call->url))
                                         .arg(m_options.maxResponseBytes >> 20),
                                     response.httpStatus);
        release(call);
        finish(call, std::move(response));
        return;
    }
    if (error == QNetworkReply::InsecureRedirectError || error == QNetworkReply::TooManyRedirectsError) {
        response.error = Error::make(Error::Kind::Internal,
                                     QStringLiteral("GitHub redirected %1 somewhere we do not follow (%2)")
                                         .arg(describe(call->url), reply->errorString()),
                                     response.httpStatus);
        release(call);
        finish(call, std::move(response));
        return;
    }
    if (error == QNetworkReply::SslHandshakeFailedError && !call->certificateProblem.isEmpty()) {
        // An untrusted or mismatched certificate does not heal by retrying: say what to configure. (Other
        // handshake failures, a connection reset say, are retried below like any transport error.)
        response.error = Error::make(Error::Kind::Usage,
                                     QStringLiteral("the TLS certificate of %1 is refused: %2. If the server's "
                                                    "certificate comes from a private CA, trust it with "
                                                    "--github-ca-file (HUBSYNC_GITHUB_CA_FILE)")
                                         .arg(describe(call->url.adjusted(QUrl::RemovePath)), call->certificateProblem),
                                     response.httpStatus);
        release(call);
        finish(call, std::move(response));
        return;
    }
    if (response.httpStatus == 0 || isTransportError(error)) {
        const bool timeout = error == QNetworkReply::OperationCanceledError || error == QNetworkReply::TimeoutError;
        response.error = Error::make(
            Error::Kind::GitHubUnavailable,
            timeout ? QStringLiteral("GitHub did not answer %1 within %2 s")
                          .arg(describe(call->url))
                          .arg(m_options.transferTimeoutMs / 1000.0)
                    : QStringLiteral("GitHub is unreachable (%1): %2").arg(describe(call->url), reply->errorString()),
            response.httpStatus);
        // Nothing reached GitHub when the connection itself failed, so even a POST may go again.
        const bool nothingSent =
            error == QNetworkReply::ConnectionRefusedError || error == QNetworkReply::HostNotFoundError;
        if (retryLater(call, response, nothingSent))
            return;
        release(call);
        finish(call, std::move(response));
        return;
    }
    handleHttp(call, response);
}

void GitHubClient::handleHttp(const CallPtr &call, GitHubResponse &response) {
    const int status = response.httpStatus;
    QJsonArray graphqlErrors;
    if (!response.body.isEmpty() && looksLikeJson(response)) {
        QJsonParseError parseError;
        response.json = QJsonDocument::fromJson(response.body, &parseError);
        if (parseError.error != QJsonParseError::NoError && status >= 200 && status < 300) {
            // A cut-off body that still looked complete to HTTP: treat like a failed transfer.
            response.error = Error::make(Error::Kind::GitHubUnavailable,
                                         QStringLiteral("GitHub sent malformed JSON for %1: %2")
                                             .arg(describe(call->url), parseError.errorString()),
                                         status);
            if (retryLater(call, response, false))
                return;
            release(call);
            finish(call, std::move(response));
            return;
        }
        if (call->graphql)
            graphqlErrors = response.json.object().value(QLatin1String("errors")).toArray();
    }

    if (!call->unplanned) {
        const qint64 now = m_clock.nowMs();
        LimitVerdict limit =
            classifyLimit(status, response.headers, response.body, now, m_options.secondaryLimitWaitMs);
        if (limit.kind == LimitKind::None && call->graphql && isGraphqlRateLimited(graphqlErrors)) {
            limit.kind = LimitKind::Primary;
            limit.waitUntilMs = response.rateLimit.resetEpoch > 0
                                    ? std::max(now, response.rateLimit.resetEpoch * 1000 + 1000)
                                    : now + m_options.secondaryLimitWaitMs;
        }
        if (limit.kind != LimitKind::None) {
            waitForLimit(call, response, limit.kind, limit.waitUntilMs);
            return;
        }
    }

    if (status == 401 && !call->unplanned && !call->authRetried && m_credentials->invalidate(call->usedAuthorization)) {
        call->authRetried = true; // the installation token was revoked or expired early: mint one, once
        release(call);
        submit(call);
        return;
    }

    if (status >= 500) {
        response.error = mapHttpError(status, response.body);
        if (retryLater(call, response, false))
            return;
    } else if (status == 304) {
        response.notModified = true;
    } else {
        response.error = mapHttpError(status, response.body);
        // GitHub names the App permission an endpoint needs ("issues=read"); say it, so that the user
        // knows what to grant rather than only that something was refused.
        const QByteArray needed = response.header("x-accepted-github-permissions");
        if (status == 403 && !needed.isEmpty())
            response.error.message += QStringLiteral(" (the GitHub App needs the permission %1)")
                                          .arg(QString::fromLatin1(needed.left(200)).toHtmlEscaped());
    }

    if (!response.error) {
        response.etag = response.header("etag");
        response.lastModified = response.header("last-modified");
        const LinkSet links = parseLinkHeader(response.header("link"));
        if (!links.next.isEmpty()) {
            if (isSameApiOrigin(links.next, m_options.apiBaseUrl))
                response.nextUrl = links.next.toString(QUrl::FullyEncoded);
            else
                logWarning(
                    LogCategory, QStringLiteral("ignoring a Link rel=\"next\" outside the API base URL"),
                    {{QStringLiteral("url"), describe(call->url)}, {QStringLiteral("next_host"), links.next.host()}});
        }
        response.lastPage = pageNumber(links.last);
        if (status == 200 && call->options.etag == EtagMode::Auto)
            commitEtag(response);
        if (call->graphql) {
            response.graphqlData = response.json.object().value(QLatin1String("data")).toObject();
            response.graphqlErrors = graphqlErrors;
            response.error = mapGraphqlErrors(graphqlErrors);
            if (!response.error && !response.json.object().value(QLatin1String("data")).isObject())
                response.error = Error::make(Error::Kind::GitHubUnavailable,
                                             QStringLiteral("GitHub's GraphQL answer has no data"), status);
        }
    }
    release(call);
    finish(call, std::move(response));
}

bool GitHubClient::retryLater(const CallPtr &call, GitHubResponse &response, bool nothingSent) {
    if (!call->idempotent && !nothingSent) {
        response.error.detail = QStringLiteral("not retried: the request may have been applied; check on GitHub");
        return false;
    }
    ++call->failures;
    const int attempts = call->options.maxAttempts > 0 ? call->options.maxAttempts : m_options.maxAttempts;
    if (call->failures >= attempts) {
        response.error.message += attempts == 1 ? QStringLiteral(" (not retried: the caller asks for less)")
                                                : QStringLiteral(" (gave up after %1 attempts)").arg(call->failures);
        return false;
    }
    // Exponential backoff with jitter, so parallel workers that failed together do not return together.
    const qint64 ceiling = std::min<qint64>(m_options.retryMaxDelayMs, qint64(m_options.retryBaseDelayMs)
                                                                           << std::min(call->failures - 1, 20));
    const qint64 delay = ceiling / 2 + qint64(QRandomGenerator::global()->bounded(quint64(ceiling / 2 + 1)));
    logWarning(LogCategory, QStringLiteral("retrying a GitHub request"),
               {{QStringLiteral("url"), describe(call->url)},
                {QStringLiteral("status"), response.httpStatus},
                {QStringLiteral("attempt"), call->failures + 1},
                {QStringLiteral("delay_ms"), delay},
                {QStringLiteral("reason"), response.error.message}});
    release(call);
    QTimer::singleShot(std::chrono::milliseconds(delay), this, [this, call] {
        if (!call->finished)
            submit(call);
    });
    return true;
}

void GitHubClient::waitForLimit(const CallPtr &call, GitHubResponse &response, LimitKind kind, qint64 untilMs) {
    release(call);
    if (++call->limitWaits > m_options.maxLimitWaits) {
        response.error =
            Error::make(Error::Kind::GitHubRateLimited,
                        QStringLiteral("GitHub kept rate-limiting %1").arg(describe(call->url)), response.httpStatus);
        finish(call, std::move(response));
        return;
    }
    logInfo(LogCategory,
            kind == LimitKind::Primary ? QStringLiteral("GitHub rate limit reached; waiting for the reset")
                                       : QStringLiteral("GitHub secondary rate limit; pausing all requests"),
            {{QStringLiteral("resource"), call->resource},
             {QStringLiteral("until"), QDateTime::fromMSecsSinceEpoch(untilMs).toUTC().toString(Qt::ISODate)}});
    if (kind == LimitKind::Primary)
        m_planner.holdResource(call->resource, untilMs);
    else
        m_planner.holdAll(untilMs);
    submit(call); // the planner refuses it if the hold is longer than the request may wait
}

void GitHubClient::release(const CallPtr &call) {
    if (call->holdsSlot) {
        call->holdsSlot = false;
        m_planner.finished(call->resource);
    }
}

void GitHubClient::finish(const CallPtr &call, GitHubResponse response) {
    if (call->finished)
        return;
    call->finished = true;
    response.attempts = call->attempts;
    if (response.url.isEmpty())
        response.url = call->url;
    ResponseCallback done = std::move(call->done);
    // Always from the event loop, never inside get()/post(): callers may hold locks or iterate.
    QMetaObject::invokeMethod(
        this, [done = std::move(done), response = std::move(response)] { done(response); }, Qt::QueuedConnection);
}

} // namespace hubsync::github
