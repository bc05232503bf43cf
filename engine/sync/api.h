#pragma once

#include "core/errors.h"

#include <QByteArray>
#include <QJsonObject>
#include <QString>

#include <functional>

namespace hubsync::sync {

// What the sync engine needs from GitHub, in its own terms: one page at a time. Implemented over
// github::GitHubClient (githubapi.h); kept small so the planner's logic reads without HTTP details.
struct Page {
    Error error;
    int httpStatus = 0;
    QByteArray body;
    QString nextUrl;      // Link rel="next" (same origin only), empty on the last page
    qint64 lastPage = -1; // Link rel="last" page number when GitHub gives it
    bool notModified = false;
    qint64 quotaRemaining = -1;
    qint64 quotaReset = 0;
};

struct GraphqlResult {
    Error error;
    QJsonObject data;
    qint64 quotaRemaining = -1;
};

class Api {
public:
    virtual ~Api() = default;
    // pathOrUrl: "/repos/o/r/issues?state=all" or an absolute URL from a previous page's nextUrl.
    virtual void get(const QString &pathOrUrl, std::function<void(const Page &)> done) = 0;
    virtual void graphql(const QString &query, const QJsonObject &variables,
                         std::function<void(const GraphqlResult &)> done) = 0;
    // True when the credentials are a GitHub App installation (repository listing differs).
    [[nodiscard]] virtual bool isInstallation() const = 0;
};

} // namespace hubsync::sync
