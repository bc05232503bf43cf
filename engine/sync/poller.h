#pragma once

#include "core/errors.h"
#include "sync/api.h"
#include "sync/cursorstore.h"
#include "sync/pagewriter.h"
#include "sync/steps.h"

#include <QDateTime>
#include <QElapsedTimer>
#include <QJsonObject>
#include <QObject>
#include <QSet>
#include <QTimer>

#include <deque>

namespace hubsync::pg {
class Connection;
}

namespace hubsync::sync {

struct PollStats {
    int requests = 0;
    int notModified = 0; // 304s: no quota spent
    qint64 written = 0;
    qint64 deleted = 0;
    double seconds = 0;
};

// The polling backstop after the backfill: every interval it asks GitHub what changed, cheaply.
// - issues and comments: `since` walks sorted by updated_at with an inclusive boundary (nothing stamped
//   in the same second as the last change is lost); the first page is a conditional request, so an
//   unchanged repository answers 304 and costs no quota;
// - pull requests (no `since` on that endpoint): newest-first walk down to the last change seen;
// - commits: newest-first walk until a page holds only known commits;
// - labels, releases, refs: ETag-guarded full walks that also delete rows GitHub no longer lists;
// - every `reconcileEvery` cycles, full id walks of issues, pull requests and comments remove rows
//   deleted while no webhook arrived.
class Poller final : public QObject {
    Q_OBJECT
public:
    struct Options {
        QString schema = QStringLiteral("github");
        int intervalSeconds = 60;
        int reconcileEvery = 60; // cycles; 0 = never
        QStringList repos;       // --repos: only these (the repository list is not walked)
    };

    Poller(Api &api, pg::Connection &db, Options options, QObject *parent = nullptr);
    ~Poller() override;
    Q_DISABLE_COPY_MOVE(Poller)

    void start();   // first cycle after one interval
    void pollNow(); // a cycle now (ignored while one runs)
    void setReconcileNext(bool on) { m_forceReconcile = on; }
    [[nodiscard]] bool isPolling() const { return m_polling; }

Q_SIGNALS:
    void cycleFinished(const hubsync::sync::PollStats &stats);
    // The repository list changed under the credentials (in polling-only setups the only way to know).
    void repositoriesDiscovered(const QStringList &fullNames);
    void repositoriesVanished(const QList<qint64> &ids);
    void warning(const QString &message);

private:
    struct Task {
        Repository repo;
        Step step = Step::Issue;
        bool reconcile = false;
    };
    struct Walk {
        Task task;
        Cursor cursor;
        QString firstUrl;
        QString firstAnsweredUrl;
        QByteArray firstEtag;
        int pages = 0;
        QSet<QString> seenKeys;
        QDateTime startedAt;
        bool stop = false;
    };

    void beginCycle();
    void refreshRepositories();
    void onRepositoryPage(const Page &page);
    Error applyRepositoryList();
    void planTasks();
    void nextTask();
    void startWalk(const Task &task);
    void fetch(const QString &url, bool conditional);
    void onPage(const Page &page);
    void finishWalk();
    Error reconcileDeletes();
    QString firstPath(const Task &task, const Cursor &cursor) const;

    Api &m_api;
    pg::Connection &m_db;
    Options m_options;
    PageWriter m_pages;
    CursorStore m_cursors;
    QTimer m_timer;
    bool m_polling = false;
    bool m_forceReconcile = false;
    int m_cycle = 0;
    std::deque<Task> m_tasks;
    QList<QJsonObject> m_listed; // repository list being walked
    int m_listPages = 0;
    QString m_listFirstUrl;
    QByteArray m_listFirstEtag;
    Walk m_walk;
    PollStats m_stats;
    QElapsedTimer m_clock;
};

} // namespace hubsync::sync

Q_DECLARE_METATYPE(hubsync::sync::PollStats)
