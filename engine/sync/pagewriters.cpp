#include "sync/pagewriters.h"

#include "store/pg.h"

#include <QHash>
#include <QThread>

#include <atomic>

namespace hubsync::sync {

// One writer: a thread, a session and the last cursor committed per walk. Everything but `queued` and
// the thread handle is touched only on the lane's own thread once start() has returned.
class PageWriters::Lane final {
public:
    explicit Lane(const QString &schema)
        : m_pages(m_db, schema)
        , m_cursors(m_db, schema) {}
    ~Lane() {
        m_stopping = true;
        m_thread.quit();
        m_thread.wait();
        delete m_context; // after the thread ended: its queued jobs go with it, unrun
    }
    Q_DISABLE_COPY_MOVE(Lane)

    Error start(const pg::Connection &like, int index) {
        if (Error e = m_db.openLike(like))
            return e;
        // As on the engine's session: a page commit need not wait for the WAL flush (a crash loses at
        // most the last pages, which the committed cursors fetch again), and raw payloads compress with
        // LZ4 where the server has it (else the setting is refused and pglz stays).
        if (Error e = m_db.addSessionSetup(QStringLiteral("SET synchronous_commit = off")))
            return e;
        (void)m_db.addSessionSetup(QStringLiteral("SET default_toast_compression = lz4"));
        m_thread.setObjectName(QStringLiteral("hubsync-writer-%1").arg(index));
        m_context = new QObject;
        m_context->moveToThread(&m_thread);
        m_thread.start();
        return {};
    }

    // Runs on the lane's thread.
    PageDone write(const PageJob &job) {
        PageDone done;
        if (m_failed) {
            done.error = m_failed;
            return done;
        }
        const QString walk = QString::number(job.repo.id) + QLatin1Char('/') + job.next.collection;
        Cursor next = job.next;
        if (job.chained) {
            const auto last = m_last.constFind(walk);
            if (last != m_last.cend()) {
                next.written = last->written;
                next.since = last->since;
            }
        }
        done.error = m_pages.write(
            job.step, job.repo, job.items,
            [&] {
                next.written += done.result.written;
                if (done.result.newestUpdate.isValid() &&
                    (!next.since.isValid() || done.result.newestUpdate > next.since))
                    next.since = done.result.newestUpdate;
                if (next.sinceLimit.isValid() && next.since > next.sinceLimit)
                    next.since = next.sinceLimit;
                return m_cursors.save(next);
            },
            &done.result, job.raw);
        if (done.error) {
            m_failed = done.error;
            return done;
        }
        if (next.done)
            m_last.remove(walk);
        else
            m_last.insert(walk, next);
        done.committed = next;
        return done;
    }

    QObject *context() const { return m_context; }
    [[nodiscard]] bool stopping() const { return m_stopping; }

    int queued = 0; // pages submitted and not yet reported done (engine thread only)

private:
    pg::Connection m_db;
    PageWriter m_pages;
    CursorStore m_cursors;
    QHash<QString, Cursor> m_last; // repository id/collection -> cursor committed with its latest page
    Error m_failed;
    QThread m_thread;
    QObject *m_context = nullptr; // lives on m_thread; jobs are queued to it
    std::atomic<bool> m_stopping = false;
};

PageWriters::PageWriters(QObject *parent)
    : QObject(parent) {}

PageWriters::~PageWriters() = default;

Error PageWriters::start(const pg::Connection &like, const QString &schema, int lanes) {
    m_lanes.clear();
    for (int i = 0; i < lanes; ++i) {
        auto lane = std::make_unique<Lane>(schema);
        if (Error e = lane->start(like, i)) {
            m_lanes.clear();
            return e;
        }
        m_lanes.push_back(std::move(lane));
    }
    return {};
}

int PageWriters::leastBusyLane() const {
    int best = 0;
    for (int i = 1; i < int(m_lanes.size()); ++i) {
        if (m_lanes[size_t(i)]->queued < m_lanes[size_t(best)]->queued)
            best = i;
    }
    return best;
}

void PageWriters::submit(int lane, PageJob job, std::function<void(const PageDone &)> done) {
    Lane *target = m_lanes.at(size_t(lane)).get();
    ++target->queued;
    QMetaObject::invokeMethod(
        target->context(),
        [this, target, job = std::move(job), done = std::move(done)]() mutable {
            if (target->stopping())
                return;
            PageDone result = target->write(job);
            job = PageJob(); // free the rows on this thread, now
            // Back on the engine thread; dropped if this object is gone by then.
            QMetaObject::invokeMethod(
                this,
                [target, done = std::move(done), result = std::move(result)] {
                    --target->queued;
                    done(result);
                },
                Qt::QueuedConnection);
        },
        Qt::QueuedConnection);
}

} // namespace hubsync::sync
