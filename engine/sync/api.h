#pragma once

#include "core/errors.h"

#include <QByteArray>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QString>

#include <functional>

namespace hubsync::github {
class GitHubClient;
}

namespace hubsync::sync {

// What the sync engine needs from GitHub, in its own terms: one page at a time. Implemented over
// github::GitHubClient (githubapi.h); kept small so the planner's logic reads without HTTP details.
struct Page {
    Error error;
    int httpStatus = 0;
    QByteArray body;
    QJsonDocument json;   // body as parsed by the client when it is JSON (null otherwise)
    QString nextUrl;      // Link rel="next" (same origin only), empty on the last page
    qint64 lastPage = -1; // Link rel="last" page number when GitHub gives it
    bool notModified = false;
    qint64 quotaRemaining = -1;
    qint64 quotaLimit = -1; // the REST pool's size per window (X-RateLimit-Limit)
    qint64 quotaReset = 0;
    QString url;     // the URL that answered
    QByteArray etag; // for conditional requests: commit it once the page is written
};

struct GraphqlResult {
    Error error;
    QJsonObject data;           // may be partial alongside an error
    QJsonArray errors;          // GitHub's errors[] as sent (type, path, message)
    qint64 quotaRemaining = -1; // the GraphQL pool's points
    qint64 quotaLimit = -1;
    qint64 quotaReset = 0;
};

// Default: retried with backoff like every request. Shrink: not retried, the answer comes back at once,
// because the caller asks for less instead (GitHub could not finish the query in time, and the identical
// query would fail the same way and be charged again).
enum class GraphqlRetry { Default, Shrink };

class Api {
public:
    virtual ~Api() = default;
    // pathOrUrl: "/repos/o/r/issues?state=all" or an absolute URL from a previous page's nextUrl.
    virtual void get(const QString &pathOrUrl, std::function<void(const Page &)> done) = 0;
    // Sends If-None-Match with the ETag last committed for this URL; a 304 (which spends no quota)
    // comes back as Page::notModified. The new ETag is only remembered by commitEtag(), which callers
    // invoke once the page is safely written, so a crash cannot turn unwritten data into a 304.
    virtual void getIfChanged(const QString &pathOrUrl, std::function<void(const Page &)> done) = 0;
    virtual void commitEtag(const QString &url, const QByteArray &etag) = 0;
    // retry: how a 502/504, a timeout or a network error is handled (see GraphqlRetry).
    virtual void graphql(const QString &query, const QJsonObject &variables,
                         std::function<void(const GraphqlResult &)> done,
                         GraphqlRetry retry = GraphqlRetry::Default) = 0;
    // App-level endpoints (/app/hook/deliveries and its redelivery POST), signed with the App's JWT.
    // verb: "GET" or "POST". Answers a GitHubAuth error when the credentials are not a GitHub App.
    virtual void app(const QByteArray &verb, const QString &pathOrUrl, std::function<void(const Page &)> done) = 0;
    // The REST API's base URL ("https://api.github.com", "https://host/api/v3"), for REST shapes built from
    // GraphQL answers (a user's "url" is <base>/users/<login>).
    [[nodiscard]] virtual QString apiBaseUrl() const = 0;
    // True when the credentials are a GitHub App installation (repository listing differs).
    [[nodiscard]] virtual bool isInstallation() const = 0;
    // The client behind this view, for the proxy's write-through (nullptr when there is none).
    virtual github::GitHubClient *client() { return nullptr; }
};

} // namespace hubsync::sync
