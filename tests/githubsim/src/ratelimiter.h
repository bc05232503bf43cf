#pragma once

#include <QHash>
#include <QList>
#include <QString>

namespace hubsync::githubsim {

// GitHub's primary rate limits: a budget per identity and resource (core, graphql, search ...) that
// refills when its window ends; plus the switches that produce secondary-limit answers.
class RateLimiter final {
public:
    struct State {
        qint64 limit = 0;
        qint64 used = 0;
        qint64 reset = 0; // epoch seconds
        [[nodiscard]] qint64 remaining() const { return qMax<qint64>(0, limit - used); }
    };

    void configure(qint64 limit, qint64 graphqlLimit, int windowSeconds, qint64 anonymousLimit);
    [[nodiscard]] int windowSeconds() const { return m_window; }

    // The bucket after rolling its window forward to `now`.
    State &bucket(const QString &quotaKey, const QString &resource, bool anonymous, qint64 now);
    // Control API: force the remaining budget of every bucket of a resource (and of buckets created later).
    void setRemaining(const QString &resource, qint64 remaining, qint64 now);
    void setLimit(const QString &resource, qint64 limit);
    void resetAll() {
        m_buckets.clear();
        m_forcedRemaining.clear();
    }

    // Secondary limits: the next `requests` requests are refused with `status` and Retry-After.
    void armSecondary(int requests, int retryAfter, int status);
    // Consumes one armed secondary refusal; returns false when none is armed.
    bool takeSecondary(int *retryAfter, int *status);
    // Secondary limit on points per window (GitHub: 900 REST and 2,000 GraphQL points per minute; a read
    // costs 1, a change 5). 0 = unlimited.
    void configurePoints(int restPerWindow, int graphqlPerWindow, int windowSeconds);
    // Spends `points` of the identity's per-minute allowance for `resource` at `nowMs` (monotonic); false,
    // with the seconds until they would fit, when the last window has no room for them.
    bool spendPoints(const QString &quotaKey, const QString &resource, int points, qint64 nowMs, int *retryAfter);
    [[nodiscard]] bool pointsLimited() const { return m_restPoints > 0 || m_graphqlPoints > 0; }
    void setMaxConcurrent(int n) { m_maxConcurrent = n; }
    [[nodiscard]] int maxConcurrent() const { return m_maxConcurrent; }

private:
    [[nodiscard]] qint64 limitFor(const QString &resource, bool anonymous) const;

    qint64 m_limit = 5000;
    qint64 m_graphqlLimit = 5000;
    qint64 m_anonymousLimit = 60;
    int m_window = 3600;
    QHash<QString, qint64> m_limitOverride;
    QHash<QString, qint64> m_forcedRemaining; // resource -> remaining for buckets created after the force
    QHash<QString, State> m_buckets;
    int m_secondaryRequests = 0;
    int m_secondaryRetryAfter = 60;
    int m_secondaryStatus = 403;
    int m_maxConcurrent = 100;
    int m_restPoints = 0;
    int m_graphqlPoints = 0;
    qint64 m_pointsWindowMs = 60'000;
    struct PointsWindow {
        QList<std::pair<qint64, int>> spent; // (ms, points), oldest first
        qint64 sum = 0;
    };
    QHash<QString, PointsWindow> m_points; // quota key + pool
};

} // namespace hubsync::githubsim
