#pragma once

#include <QByteArray>
#include <QByteArrayView>
#include <QList>
#include <QPair>
#include <QString>

namespace hubsync::github {

// Response headers in arrival order, as QNetworkReply::rawHeaderPairs() returns them.
using RawHeaders = QList<QPair<QByteArray, QByteArray>>;

// The value of the first header called `name` (case-insensitive), or an empty array.
QByteArray headerValue(const RawHeaders &headers, QByteArrayView name);

// One response's X-RateLimit-* headers. GitHub budgets each resource (core, graphql, search, ...) apart.
struct RateLimit {
    QString resource; // X-RateLimit-Resource; empty when GitHub did not say
    qint64 limit = -1;
    qint64 remaining = -1;
    qint64 used = -1;
    qint64 resetEpoch = 0; // seconds since the epoch when the window resets; 0 = unknown

    [[nodiscard]] bool isKnown() const { return remaining >= 0; }
};

RateLimit parseRateLimit(const RawHeaders &headers);

// Retry-After as milliseconds from `nowMs` (delta-seconds or an HTTP-date); -1 when absent or malformed.
qint64 retryAfterMs(const RawHeaders &headers, qint64 nowMs);

// Whether a response is GitHub telling us to slow down, and until when.
enum class LimitKind {
    None,
    Primary,   // the hourly budget of one resource is spent: wait for its reset
    Secondary, // too many requests too fast (concurrency, points per minute, CPU): everything pauses
};

struct LimitVerdict {
    LimitKind kind = LimitKind::None;
    qint64 waitUntilMs = 0; // epoch ms before which no request of the affected scope may be sent
};

// Classifies a 403/429 (other statuses are never limits). Retry-After wins when present; a primary
// limit without it waits for X-RateLimit-Reset + 1 s; a secondary limit without it waits
// `secondaryWaitMs` (GitHub's documented advice is one minute).
LimitVerdict classifyLimit(int httpStatus, const RawHeaders &headers, const QByteArray &body, qint64 nowMs,
                           qint64 secondaryWaitMs);

} // namespace hubsync::github
