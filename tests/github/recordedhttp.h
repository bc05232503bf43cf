#pragma once

#include "github/ratelimit.h"

#include <QByteArray>
#include <QList>
#include <QString>

namespace hubsync::test {

// One request/response pair recorded from the real GitHub API (../shared/github-fixtures).
struct RecordedExchange {
    QString method; // upper case
    QString url;    // absolute request URL
    int status = 0;
    github::RawHeaders headers; // response headers, in recorded order
    QByteArray body;            // response body, decoded (base64 + gzip undone)
};

// $HUBSYNC_FIXTURES (set by ctest), or an empty string.
QString fixturesDir();

// octokit/fixtures nock recordings: [{scope, method, path, status, response, rawHeaders|headers}].
QList<RecordedExchange> loadNock(const QString &relativePath, QString *error);
// github3.py betamax cassettes: {http_interactions: [{request: {method, uri}, response: {...}}]}.
QList<RecordedExchange> loadCassette(const QString &relativePath, QString *error);

} // namespace hubsync::test
