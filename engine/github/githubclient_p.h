#pragma once

// Internal to GitHubClient (githubclient.cpp, githubclient_reply.cpp).

#include "github/githubclient.h"

namespace hubsync::github {

// One logical request across its HTTP attempts, planner waits and token refreshes.
struct GitHubClient::Call {
    QByteArray verb;
    QUrl url;
    QByteArray body;
    bool hasBody = false;
    RequestOptions options;
    ResponseCallback done;
    QString resource = QStringLiteral("core");
    bool write = false;     // paced by the planner (content-creating requests)
    bool idempotent = true; // may be sent again after a 5xx or a timeout
    bool graphql = false;
    bool unplanned = false; // installation-token mint: outside the planner, fixed Authorization
    QByteArray fixedAuthorization;
    QByteArray usedAuthorization;
    bool authRetried = false;
    bool holdsSlot = false;
    bool finished = false;
    bool tooLarge = false;
    QString certificateProblem; // the TLS peer's certificate was refused (this attempt): why
    int attempts = 0;           // HTTP exchanges
    int failures = 0;           // transient failures spent from maxAttempts
    int limitWaits = 0;
    QByteArray buffer;
};

} // namespace hubsync::github
