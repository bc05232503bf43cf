#pragma once

#include <QHash>
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
};

} // namespace hubsync::githubsim
