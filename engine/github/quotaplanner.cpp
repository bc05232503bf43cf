#include "github/quotaplanner.h"

#include <QDateTime>

#include <algorithm>
#include <limits>
#include <optional>

namespace hubsync::github {

namespace {

constexpr qint64 Never = std::numeric_limits<qint64>::max();
constexpr qint64 MaxTimerMs = 24LL * 3600 * 1000;

// GitHub's secondary-limit points: 1 for a read, 5 for a request that changes something.
int pointsOf(bool write) {
    return write ? 5 : 1;
}

} // namespace

QuotaPlanner::QuotaPlanner(const Clock &clock, PlannerOptions options, QObject *parent)
    : QObject(parent)
    , m_clock(clock)
    , m_options(options)
    , m_timer(this) // a child, so it follows the planner to another thread
{
    qRegisterMetaType<hubsync::github::QuotaSnapshot>();
    m_options.maxConcurrent = std::max(1, m_options.maxConcurrent);
    m_options.reserve = std::max<qint64>(0, m_options.reserve);
    m_timer.setSingleShot(true);
    connect(&m_timer, &QTimer::timeout, this, &QuotaPlanner::pump);
}

QuotaPlanner::~QuotaPlanner() = default;

quint64 QuotaPlanner::enqueue(Priority priority, const QString &resource, bool write, StartFn start, qint64 maxWaitMs) {
    Entry e;
    e.id = m_nextId++;
    e.priority = priority;
    e.resource = resource;
    e.write = write;
    const qint64 cap = maxWaitMs < 0 ? m_options.maxWaitMs : maxWaitMs;
    const qint64 now = m_clock.nowMs();
    e.deadlineMs = cap > Never - now ? Never : now + cap;
    e.start = std::move(start);
    const quint64 id = e.id;
    // Stable insertion after every entry of the same or a more urgent priority.
    const auto pos = std::find_if(m_queue.begin(), m_queue.end(),
                                  [priority](const Entry &other) { return other.priority > priority; });
    m_queue.insert(pos, std::move(e));
    pump();
    return id;
}

void QuotaPlanner::cancel(quint64 id) {
    m_queue.removeIf([id](const Entry &e) { return e.id == id; });
}

void QuotaPlanner::finished(const QString &resource) {
    m_inFlight = std::max(0, m_inFlight - 1);
    auto it = m_resources.find(resource);
    if (it != m_resources.end())
        it->inFlight = std::max(0, it->inFlight - 1);
    pump();
}

void QuotaPlanner::observe(const QString &resource, const RateLimit &rate) {
    if (!rate.isKnown())
        return;
    const QString key = rate.resource.isEmpty() ? resource : rate.resource;
    ResourceState &state = m_resources[key];
    RateLimit &known = state.rate;
    if (!known.isKnown() || rate.resetEpoch > known.resetEpoch) {
        known = rate; // first sight, or a new window
    } else if (rate.resetEpoch == known.resetEpoch) {
        // Responses of one window may arrive out of order: the lowest remaining is the newest truth.
        known.remaining = std::min(known.remaining, rate.remaining);
        known.used = std::max(known.used, rate.used);
        known.limit = std::max(known.limit, rate.limit);
    } // else: a late response from an older window says nothing about now
    known.resource = key;
    if (known.remaining == 0 && known.resetEpoch == 0) // exhausted without a reset time: GitHub's advice
        state.holdUntilMs = std::max(state.holdUntilMs, m_clock.nowMs() + 60'000);
    emitSnapshot(key);
    pump();
}

void QuotaPlanner::holdResource(const QString &resource, qint64 untilMs) {
    ResourceState &state = m_resources[resource];
    state.holdUntilMs = std::max(state.holdUntilMs, untilMs);
    emitSnapshot(resource);
    pump();
}

void QuotaPlanner::holdAll(qint64 untilMs) {
    m_globalHoldUntilMs = std::max(m_globalHoldUntilMs, untilMs);
    if (m_resources.isEmpty())
        emitSnapshot(QStringLiteral("core"));
    for (auto it = m_resources.cbegin(); it != m_resources.cend(); ++it)
        emitSnapshot(it.key());
    pump();
}

void QuotaPlanner::PointsWindow::prune(qint64 now, qint64 windowMs) {
    while (!spent.isEmpty() && spent.first().first + windowMs <= now)
        sum -= spent.takeFirst().second;
}

qint64 QuotaPlanner::PointsWindow::roomAt(int points, int limit, qint64 now, qint64 windowMs) const {
    if (limit <= 0 || sum + points <= limit)
        return now;
    qint64 left = sum;
    for (const auto &[at, spentPoints] : spent) {
        left -= spentPoints;
        if (left + points <= limit)
            return at + windowMs;
    }
    return now; // more points than the whole limit: one at a time, once the window is empty
}

int QuotaPlanner::pointsLimit(const QString &resource) const {
    return isGraphql(resource) ? m_options.graphqlPointsPerMinute : m_options.restPointsPerMinute;
}

qint64 QuotaPlanner::readyAt(const Entry &entry, qint64 now) const {
    qint64 t = std::max(now, m_globalHoldUntilMs);
    const PointsWindow &window = isGraphql(entry.resource) ? m_graphqlPoints : m_restPoints;
    t = std::max(t, window.roomAt(pointsOf(entry.write), pointsLimit(entry.resource), now, pointsSpanMs()));
    const auto it = m_resources.constFind(entry.resource);
    if (it != m_resources.cend()) {
        t = std::max(t, it->holdUntilMs);
        const RateLimit &rate = it->rate;
        const qint64 windowEndMs = rate.resetEpoch > 0 ? rate.resetEpoch * 1000 + 1000 : 0;
        if (rate.isKnown() && windowEndMs > now) {
            // Requests already on the wire will spend budget the last response could not know about.
            const qint64 available = rate.remaining - it->inFlight;
            qint64 floor = 0;
            if (entry.priority != Priority::Interactive)
                floor = rate.limit > 0 ? std::min(m_options.reserve, rate.limit / 10) : m_options.reserve;
            if (available <= floor)
                t = std::max(t, windowEndMs);
        }
    }
    if (entry.write)
        t = std::max(t, m_nextWriteAtMs);
    return t;
}

void QuotaPlanner::pump() {
    if (m_pumping) {
        m_pumpAgain = true;
        return;
    }
    m_pumping = true;
    qint64 wake = Never;
    do {
        m_pumpAgain = false;
        wake = Never;
        const qint64 now = m_clock.nowMs();
        m_restPoints.prune(now, pointsSpanMs());
        m_graphqlPoints.prune(now, pointsSpanMs());
        QList<Entry> refused;
        std::optional<Entry> go;
        for (qsizetype i = 0; i < m_queue.size();) {
            const Entry &e = m_queue.at(i);
            const qint64 at = readyAt(e, now);
            if (at <= now) {
                if (m_inFlight >= m_options.maxConcurrent)
                    break; // the next finished() pumps again
                go = m_queue.takeAt(i);
                break;
            }
            if (at > e.deadlineMs) {
                refused.append(m_queue.takeAt(i));
                continue;
            }
            wake = std::min(wake, at);
            ++i;
        }
        for (const Entry &e : std::as_const(refused)) {
            const qint64 at = readyAt(e, now);
            const QString when = QDateTime::fromMSecsSinceEpoch(at).toUTC().toString(Qt::ISODate);
            e.start(Error::make(Error::Kind::GitHubRateLimited,
                                QStringLiteral("GitHub rate limit for '%1': requests are held until %2, longer than "
                                               "this request may wait")
                                    .arg(e.resource, when),
                                429));
        }
        if (go) {
            ++m_inFlight;
            ++m_resources[go->resource].inFlight;
            if (go->write)
                m_nextWriteAtMs = now + m_options.minWriteIntervalMs;
            if (pointsLimit(go->resource) > 0) {
                PointsWindow &window = isGraphql(go->resource) ? m_graphqlPoints : m_restPoints;
                window.spent.append({now, pointsOf(go->write)});
                window.sum += pointsOf(go->write);
            }
            go->start(Error::none());
            m_pumpAgain = true; // look for more work, and re-read whatever start() changed
        }
    } while (m_pumpAgain);
    m_pumping = false;

    if (wake == Never) {
        m_timer.stop();
    } else {
        const qint64 delay = std::clamp(wake - m_clock.nowMs(), qint64(0), MaxTimerMs);
        m_timer.start(std::chrono::milliseconds(delay));
    }
}

QuotaSnapshot QuotaPlanner::snapshot(const QString &resource) const {
    QuotaSnapshot s;
    s.resource = resource;
    s.inFlight = m_inFlight;
    s.queued = int(m_queue.size());
    const qint64 now = m_clock.nowMs();
    qint64 holdUntil = m_globalHoldUntilMs;
    const auto it = m_resources.constFind(resource);
    if (it != m_resources.cend()) {
        s.limit = it->rate.limit;
        s.remaining = it->rate.remaining;
        s.used = it->rate.used;
        s.resetEpoch = it->rate.resetEpoch;
        holdUntil = std::max(holdUntil, it->holdUntilMs);
        if (it->rate.remaining == 0 && it->rate.resetEpoch > 0)
            holdUntil = std::max(holdUntil, it->rate.resetEpoch * 1000 + 1000);
    }
    s.waitingUntilMs = holdUntil > now ? holdUntil : 0;
    return s;
}

QList<QuotaSnapshot> QuotaPlanner::snapshots() const {
    QList<QuotaSnapshot> all;
    for (auto it = m_resources.cbegin(); it != m_resources.cend(); ++it)
        all.append(snapshot(it.key()));
    return all;
}

void QuotaPlanner::emitSnapshot(const QString &resource) {
    Q_EMIT quotaChanged(snapshot(resource));
}

} // namespace hubsync::github
