#pragma once

#include "core/errors.h"
#include "github/quotaplanner.h"
#include "github/ratelimit.h"

#include <QByteArray>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QString>
#include <QUrl>

#include <functional>

namespace hubsync::github {

// The outcome of one logical request, after retries, rate-limit waits and token refreshes.
struct GitHubResponse {
    Error error;              // none on 2xx and 304
    int httpStatus = 0;       // 0 when no HTTP answer arrived (network failure, refused URL)
    QByteArray body;          // raw body (empty on 304)
    QJsonDocument json;       // the body parsed, when GitHub sent JSON
    QJsonObject graphqlData;  // graphql(): the "data" member (may be partial alongside an error)
    QJsonArray graphqlErrors; // graphql(): the "errors" member as sent
    bool notModified = false;
    QByteArray etag; // ETag of this response (commitEtag() stores it for EtagMode::Deferred)
    QByteArray lastModified;
    QString nextUrl;      // Link rel="next", only when it stays inside the API base URL
    qint64 lastPage = -1; // page number of Link rel="last" when GitHub gives one
    RateLimit rateLimit;  // this response's X-RateLimit-* headers
    QUrl url;             // the URL that answered (after same-origin redirects)
    RawHeaders headers;
    int attempts = 0; // HTTP exchanges this request took (retries, 401 refresh, rate-limit waits)

    [[nodiscard]] QByteArray header(QByteArrayView name) const { return headerValue(headers, name); }
};

using ResponseCallback = std::function<void(const GitHubResponse &)>;

// Conditional GET handling with the client's EtagStore.
enum class EtagMode {
    None,     // plain GET
    Auto,     // send If-None-Match; store the new ETag as soon as a 200 arrives
    Deferred, // send If-None-Match; the caller calls commitEtag() once the page is safely written, so a
              // crash between download and commit cannot turn the next run's answer into a 304
};

struct RequestOptions {
    Priority priority = Priority::Normal;
    EtagMode etag = EtagMode::None;
    qint64 maxWaitMs = -1; // longest rate-limit hold before failing with GitHubRateLimited; -1 = default
    int maxAttempts = 0;   // for 5xx, timeouts and network errors; 0 = the client's maxAttempts
};

struct ClientOptions {
    QUrl apiBaseUrl = QUrl(QStringLiteral("https://api.github.com")); // GHES: https://host/api/v3
    QUrl graphqlUrl; // empty: derived like Config::effectiveGraphqlUrl()
    QByteArray userAgent = QByteArrayLiteral("HubSync/" HUBSYNC_VERSION);
    PlannerOptions planner;
    int maxAttempts = 5;                  // per request, for 5xx, timeouts and network errors
    int retryBaseDelayMs = 1000;          // exponential backoff base (doubling, full jitter)
    int retryMaxDelayMs = 60'000;         // backoff cap
    int transferTimeoutMs = 60'000;       // no bytes for this long = timeout
    qint64 maxResponseBytes = 50LL << 20; // larger bodies are refused (GitHub pages are far smaller)
    qint64 secondaryLimitWaitMs = 60'000; // secondary limit without Retry-After: GitHub says wait a minute
    int maxLimitWaits = 20;               // rate-limit holds one request may go through
};

} // namespace hubsync::github
