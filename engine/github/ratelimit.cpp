#include "github/ratelimit.h"

#include <QDateTime>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLocale>

#include <algorithm>

namespace hubsync::github {

namespace {

// Epoch seconds beyond this are not a plausible reset time (year 5138); treat them as unknown.
constexpr qint64 MaxEpochSeconds = 100'000'000'000LL;
// A Retry-After longer than a day is nonsense for GitHub; the client's wait cap handles the rest.
constexpr qint64 MaxRetryAfterMs = 24LL * 3600 * 1000;
// GitHub error bodies are tiny; never parse a large body just to classify it.
constexpr qsizetype MaxErrorBodyBytes = 64 * 1024;

qint64 nonNegative(const QByteArray &value) {
    if (value.isEmpty() || value.size() > 20)
        return -1;
    bool ok = false;
    const qint64 n = value.trimmed().toLongLong(&ok);
    return ok && n >= 0 ? n : -1;
}

QString errorMessage(const QByteArray &body) {
    if (body.isEmpty() || body.size() > MaxErrorBodyBytes)
        return {};
    const QJsonDocument doc = QJsonDocument::fromJson(body);
    return doc.isObject() ? doc.object().value(QLatin1String("message")).toString() : QString();
}

} // namespace

QByteArray headerValue(const RawHeaders &headers, QByteArrayView name) {
    for (const auto &[key, value] : headers) {
        if (QByteArrayView(key).compare(name, Qt::CaseInsensitive) == 0)
            return value;
    }
    return {};
}

RateLimit parseRateLimit(const RawHeaders &headers) {
    RateLimit r;
    const QByteArray resource = headerValue(headers, "x-ratelimit-resource").trimmed();
    if (resource.size() <= 64)
        r.resource = QString::fromLatin1(resource);
    r.limit = nonNegative(headerValue(headers, "x-ratelimit-limit"));
    r.remaining = nonNegative(headerValue(headers, "x-ratelimit-remaining"));
    r.used = nonNegative(headerValue(headers, "x-ratelimit-used"));
    const qint64 reset = nonNegative(headerValue(headers, "x-ratelimit-reset"));
    r.resetEpoch = reset > 0 && reset < MaxEpochSeconds ? reset : 0;
    return r;
}

qint64 retryAfterMs(const RawHeaders &headers, qint64 nowMs) {
    const QByteArray value = headerValue(headers, "retry-after").trimmed();
    if (value.isEmpty() || value.size() > 64)
        return -1;
    const qint64 seconds = nonNegative(value);
    if (seconds >= 0)
        return std::min(seconds * 1000, MaxRetryAfterMs);
    // HTTP-date, e.g. "Wed, 21 Oct 2015 07:28:00 GMT"
    const QDateTime parsed =
        QLocale::c().toDateTime(QString::fromLatin1(value), QStringLiteral("ddd, dd MMM yyyy HH:mm:ss 'GMT'"));
    if (!parsed.isValid())
        return -1;
    const QDateTime when(parsed.date(), parsed.time(), Qt::UTC);
    return std::clamp(when.toMSecsSinceEpoch() - nowMs, qint64(0), MaxRetryAfterMs);
}

LimitVerdict classifyLimit(int httpStatus, const RawHeaders &headers, const QByteArray &body, qint64 nowMs,
                           qint64 secondaryWaitMs) {
    LimitVerdict v;
    if (httpStatus != 403 && httpStatus != 429)
        return v;
    const RateLimit rate = parseRateLimit(headers);
    const QString message = errorMessage(body).toLower();
    const bool secondaryText = message.contains(QLatin1String("secondary rate limit")) ||
                               message.contains(QLatin1String("abuse detection")) ||
                               message.contains(QLatin1String("abuse-rate-limits"));
    const bool exhausted = rate.remaining == 0;
    const qint64 retryAfter = retryAfterMs(headers, nowMs);

    if (retryAfter >= 0) {
        v.kind = exhausted && !secondaryText ? LimitKind::Primary : LimitKind::Secondary;
        v.waitUntilMs = nowMs + retryAfter;
    } else if (exhausted && !secondaryText) {
        v.kind = LimitKind::Primary;
        v.waitUntilMs = rate.resetEpoch > 0 ? std::max(nowMs, rate.resetEpoch * 1000 + 1000) : nowMs + secondaryWaitMs;
    } else if (secondaryText || httpStatus == 429) {
        v.kind = LimitKind::Secondary;
        v.waitUntilMs = nowMs + secondaryWaitMs;
    } else if (message.contains(QLatin1String("rate limit"))) {
        // "API rate limit exceeded for ..." without usable headers: wait like a secondary limit.
        v.kind = LimitKind::Primary;
        v.waitUntilMs = nowMs + secondaryWaitMs;
    }
    return v;
}

} // namespace hubsync::github
