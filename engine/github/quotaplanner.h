#pragma once

#include "core/errors.h"
#include "github/clock.h"
#include "github/ratelimit.h"

#include <QHash>
#include <QList>
#include <QObject>
#include <QString>
#include <QTimer>

#include <functional>

namespace hubsync::github {

// Who is waiting for a request; lower values go first. Interactive = a user (proxy write-through, UI),
// Webhook = refreshes triggered by webhook deliveries, Normal = incremental polling, Backfill = history.
enum class Priority { Interactive = 0, Webhook = 1, Normal = 2, Backfill = 3 };

// What the UI shows as "quota left / reset time" for one resource (core, graphql, search, ...).
struct QuotaSnapshot {
    QString resource;
    qint64 limit = -1;
    qint64 remaining = -1;
    qint64 used = -1;
    qint64 resetEpoch = 0;     // seconds since the epoch
    qint64 waitingUntilMs = 0; // epoch ms until which requests are held; 0 = not holding
    int inFlight = 0;          // all resources
    int queued = 0;            // all resources
};

struct PlannerOptions {
    int maxConcurrent = 8; // far below GitHub's 100 concurrent requests, so secondary limits are not tripped
    // Requests left in a window that only Interactive requests may spend, so a user's write still works
    // while a backfill waits for the reset. Capped at a tenth of the window's limit for small budgets.
    qint64 reserve = 50;
    // GitHub asks for at least one second between content-creating requests (secondary limits).
    qint64 minWriteIntervalMs = 1000;
    // GitHub's secondary limits on points per minute, per API: REST (every resource but "graphql") and
    // GraphQL. A request costs 1 point, a write (content-creating request, or GraphQL mutation) 5. Requests
    // wait until the last minute's points leave room, so the limits are never tripped. 0 = no pacing.
    int restPointsPerMinute = 900;
    int graphqlPointsPerMinute = 2000;
    // Points count for the window plus this margin: GitHub counts a request when it arrives, which the
    // network delays by different amounts, so two requests a window apart here may be closer there.
    qint64 pointsWindowMs = 60'000;
    qint64 pointsMarginMs = 1000;
    // The longest a request may be held for a rate limit before it fails with GitHubRateLimited.
    // An hour plus a margin: a primary window always resets within an hour.
    qint64 maxWaitMs = 65LL * 60 * 1000;
};

// The one scheduler in front of every request of a client (one per credential): bounded concurrency,
// priorities, X-RateLimit-* budgets per resource, Retry-After and secondary-limit pauses. Requests are
// queued and released from the event loop; nothing blocks. Time comes from the injected Clock, and a
// QTimer wakes the planner when the earliest hold ends (tests with a mock clock call pump() instead).
class QuotaPlanner final : public QObject {
    Q_OBJECT
public:
    // Runs once the request may be sent (no error), or with GitHubRateLimited when the wait would exceed
    // the cap. Every start without error must be matched by exactly one finished().
    using StartFn = std::function<void(const Error &)>;

    explicit QuotaPlanner(const Clock &clock, PlannerOptions options = {}, QObject *parent = nullptr);
    ~QuotaPlanner() override;
    Q_DISABLE_COPY_MOVE(QuotaPlanner)

    // Queues a request against `resource` ("core", "graphql", "search"). `write` requests are paced.
    // `maxWaitMs` < 0 uses the planner's default cap. May call `start` before returning.
    quint64 enqueue(Priority priority, const QString &resource, bool write, StartFn start, qint64 maxWaitMs = -1);
    // Drops a queued request without calling its start function. No effect once started.
    void cancel(quint64 id);
    // A started request completed (whatever the outcome); frees its slot.
    void finished(const QString &resource);

    // Feeds one response's X-RateLimit-* headers (resource from the header, else `resource`).
    void observe(const QString &resource, const RateLimit &rate);
    // Holds one resource (primary limit) or everything (secondary limit, Retry-After) until `untilMs`.
    void holdResource(const QString &resource, qint64 untilMs);
    void holdAll(qint64 untilMs);

    [[nodiscard]] QuotaSnapshot snapshot(const QString &resource) const;
    [[nodiscard]] QList<QuotaSnapshot> snapshots() const;
    [[nodiscard]] int inFlight() const { return m_inFlight; }
    [[nodiscard]] int queued() const { return int(m_queue.size()); }
    [[nodiscard]] const PlannerOptions &options() const { return m_options; }

public Q_SLOTS:
    // Starts every request that may go now and arms the timer for the next one.
    void pump();

Q_SIGNALS:
    void quotaChanged(const hubsync::github::QuotaSnapshot &snapshot);

private:
    struct Entry {
        quint64 id = 0;
        Priority priority = Priority::Normal;
        QString resource;
        bool write = false;
        qint64 deadlineMs = 0; // fail instead of holding past this
        StartFn start;
    };
    struct ResourceState {
        RateLimit rate;
        qint64 holdUntilMs = 0;
        int inFlight = 0;
    };

    // The points one API spent in the last window, oldest first.
    struct PointsWindow {
        QList<std::pair<qint64, int>> spent; // (start time, points)
        qint64 sum = 0;
        void prune(qint64 now, qint64 windowMs);
        // When `points` more fit under `limit` (now, if they fit already).
        [[nodiscard]] qint64 roomAt(int points, int limit, qint64 now, qint64 windowMs) const;
    };
    [[nodiscard]] qint64 readyAt(const Entry &entry, qint64 now) const;
    [[nodiscard]] static bool isGraphql(const QString &resource) { return resource == QLatin1String("graphql"); }
    [[nodiscard]] int pointsLimit(const QString &resource) const;
    [[nodiscard]] qint64 pointsSpanMs() const { return m_options.pointsWindowMs + m_options.pointsMarginMs; }
    void emitSnapshot(const QString &resource);

    const Clock &m_clock;
    PlannerOptions m_options;
    QList<Entry> m_queue; // ordered by priority, then arrival
    QHash<QString, ResourceState> m_resources;
    qint64 m_globalHoldUntilMs = 0;
    qint64 m_nextWriteAtMs = 0;
    PointsWindow m_restPoints;
    PointsWindow m_graphqlPoints;
    int m_inFlight = 0;
    quint64 m_nextId = 1;
    bool m_pumping = false;
    bool m_pumpAgain = false;
    QTimer m_timer;
};

} // namespace hubsync::github

Q_DECLARE_METATYPE(hubsync::github::QuotaSnapshot)
