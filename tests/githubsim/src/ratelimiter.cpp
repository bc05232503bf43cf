#include "ratelimiter.h"

namespace hubsync::githubsim {

void RateLimiter::configure(qint64 limit, qint64 graphqlLimit, int windowSeconds, qint64 anonymousLimit) {
    m_limit = limit;
    m_graphqlLimit = graphqlLimit;
    m_window = qMax(1, windowSeconds);
    m_anonymousLimit = anonymousLimit;
}

qint64 RateLimiter::limitFor(const QString &resource, bool anonymous) const {
    if (const auto it = m_limitOverride.constFind(resource); it != m_limitOverride.constEnd())
        return *it;
    if (anonymous)
        return resource == QLatin1String("graphql") ? 0 : m_anonymousLimit;
    if (resource == QLatin1String("graphql"))
        return m_graphqlLimit;
    if (resource == QLatin1String("search"))
        return 30;
    return m_limit;
}

RateLimiter::State &RateLimiter::bucket(const QString &quotaKey, const QString &resource, bool anonymous, qint64 now) {
    const QString key = quotaKey + QLatin1Char('|') + resource;
    auto it = m_buckets.find(key);
    if (it == m_buckets.end()) {
        State s;
        s.limit = limitFor(resource, anonymous);
        s.reset = now + m_window;
        if (const auto forced = m_forcedRemaining.constFind(resource); forced != m_forcedRemaining.constEnd())
            s.used = qMax<qint64>(0, s.limit - *forced);
        it = m_buckets.insert(key, s);
    } else if (now >= it->reset) {
        it->used = 0;
        it->limit = limitFor(resource, anonymous);
        it->reset = now + m_window;
        m_forcedRemaining.remove(resource);
    }
    return *it;
}

void RateLimiter::setRemaining(const QString &resource, qint64 remaining, qint64 now) {
    Q_UNUSED(now)
    m_forcedRemaining.insert(resource, remaining);
    for (auto it = m_buckets.begin(); it != m_buckets.end(); ++it) {
        if (it.key().endsWith(QLatin1Char('|') + resource))
            it->used = qMax<qint64>(0, it->limit - remaining);
    }
}

void RateLimiter::setLimit(const QString &resource, qint64 limit) {
    m_limitOverride.insert(resource, limit);
    for (auto it = m_buckets.begin(); it != m_buckets.end(); ++it) {
        if (it.key().endsWith(QLatin1Char('|') + resource))
            it->limit = limit;
    }
}

void RateLimiter::armSecondary(int requests, int retryAfter, int status) {
    m_secondaryRequests = qMax(0, requests);
    m_secondaryRetryAfter = qMax(0, retryAfter);
    m_secondaryStatus = status == 429 ? 429 : 403;
}

bool RateLimiter::takeSecondary(int *retryAfter, int *status) {
    if (m_secondaryRequests <= 0)
        return false;
    --m_secondaryRequests;
    *retryAfter = m_secondaryRetryAfter;
    *status = m_secondaryStatus;
    return true;
}

void RateLimiter::configurePoints(int restPerWindow, int graphqlPerWindow, int windowSeconds) {
    m_restPoints = qMax(0, restPerWindow);
    m_graphqlPoints = qMax(0, graphqlPerWindow);
    m_pointsWindowMs = qMax(1, windowSeconds) * 1000LL;
    m_points.clear();
}

bool RateLimiter::spendPoints(const QString &quotaKey, const QString &resource, int points, qint64 nowMs,
                              int *retryAfter) {
    const bool graphql = resource == QLatin1String("graphql");
    const int limit = graphql ? m_graphqlPoints : m_restPoints;
    if (limit <= 0)
        return true;
    PointsWindow &window = m_points[quotaKey + (graphql ? QStringLiteral("|graphql") : QStringLiteral("|rest"))];
    while (!window.spent.isEmpty() && window.spent.first().first + m_pointsWindowMs <= nowMs)
        window.sum -= window.spent.takeFirst().second;
    if (window.sum + points > limit) {
        qint64 left = window.sum;
        qint64 fitsAt = nowMs + m_pointsWindowMs;
        for (const auto &[at, spent] : std::as_const(window.spent)) {
            left -= spent;
            if (left + points <= limit) {
                fitsAt = at + m_pointsWindowMs;
                break;
            }
        }
        *retryAfter = int(qMax<qint64>(1, (fitsAt - nowMs + 999) / 1000));
        return false;
    }
    window.spent.append({nowMs, points});
    window.sum += points;
    return true;
}

} // namespace hubsync::githubsim
