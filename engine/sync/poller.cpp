#include "sync/poller.h"

#include "catalog/catalog.h"
#include "core/guarded.h"
#include "core/log.h"
#include "store/pg.h"
#include "sync/backfill_p.h"

#include <QUrlQuery>

namespace hubsync::sync {

namespace {

// The tasks of one repository per cycle, in dependency order.
const QList<Step> pollSteps{Step::Label,   Step::Ref,    Step::Issue,  Step::PullRequest,
                            Step::Comment, Step::Commit, Step::Release};
// Steps whose full list is walked (small lists) so rows GitHub no longer lists can be deleted.
bool isFullWalk(Step step) {
    return step == Step::Label || step == Step::Ref || step == Step::Release;
}

QString keyOf(Step step, const QJsonObject &o) {
    if (step == Step::Commit)
        return o.value(QStringLiteral("sha")).toString();
    if (step == Step::Ref)
        return o.value(QStringLiteral("ref")).toString();
    return QString::number(qint64(o.value(QStringLiteral("id")).toDouble()));
}

QString cursorName(Step step) {
    return stepTable(step);
}

} // namespace

Poller::Poller(Api &api, pg::Connection &db, Options options, QObject *parent)
    : QObject(parent)
    , m_api(api)
    , m_db(db)
    , m_options(std::move(options))
    , m_pages(db, m_options.schema)
    , m_cursors(db, m_options.schema) {
    qRegisterMetaType<PollStats>();
    m_timer.setSingleShot(true);
    connect(&m_timer, &QTimer::timeout, this, &Poller::pollNow);
}

Poller::~Poller() = default;

void Poller::start() {
    m_timer.start(m_options.intervalSeconds * 1000);
}

void Poller::pollNow() {
    if (m_polling)
        return;
    m_timer.stop();
    beginCycle();
}

void Poller::beginCycle() {
    m_polling = true;
    m_stats = {};
    m_clock.start();
    ++m_cycle;
    refreshRepositories();
}

// The repository list first: settings GitHub changes without an event we may get (has_issues,
// archived, counters), repositories the credentials gained (backfilled by the engine) and lost
// (dropped). One conditional request per cycle; an unchanged list answers 304 and costs nothing.
void Poller::refreshRepositories() {
    m_listed.clear();
    m_listPages = 0;
    m_listFirstEtag.clear();
    m_listFirstUrl.clear();
    if (!m_options.repos.isEmpty()) {
        planTasks(); // named repositories: their rows are refreshed by their own webhooks
        return;
    }
    ++m_stats.requests;
    m_api.getIfChanged(repositoryListPath(m_api.isInstallation(), 100),
                       whileAlive(this, [](Poller &self, const Page &page) { self.onRepositoryPage(page); }));
}

void Poller::onRepositoryPage(const Page &page) {
    if (page.notModified) {
        ++m_stats.notModified;
        planTasks();
        return;
    }
    if (page.error) {
        Q_EMIT warning(QStringLiteral("polling the repository list: ") + page.error.message);
        planTasks();
        return;
    }
    if (m_listPages++ == 0) {
        m_listFirstEtag = page.etag;
        m_listFirstUrl = page.url;
    }
    if (!parseRepositoryPage(page.body, m_api.isInstallation(), m_listed)) {
        // Never commit the ETag of a page we could not read: the next cycle asks again.
        Q_EMIT warning(QStringLiteral("polling the repository list: GitHub sent a malformed body"));
        planTasks();
        return;
    }
    if (!page.nextUrl.isEmpty() && m_listPages < 100) {
        ++m_stats.requests;
        m_api.get(page.nextUrl, whileAlive(this, [](Poller &self, const Page &next) { self.onRepositoryPage(next); }));
        return;
    }
    if (Error e = applyRepositoryList())
        Q_EMIT warning(QStringLiteral("polling the repository list: ") + e.message);
    else if (!m_listFirstEtag.isEmpty())
        m_api.commitEtag(m_listFirstUrl, m_listFirstEtag);
    planTasks();
}

Error Poller::applyRepositoryList() {
    QSet<qint64> listed;
    for (const QJsonObject &o : std::as_const(m_listed))
        listed.insert(qint64(o.value(QStringLiteral("id")).toDouble()));
    const pg::Result known = m_db.exec(
        QStringLiteral("SELECT id, full_name FROM %1.repository").arg(m_db.quoteIdentifier(m_options.schema)));
    if (!known.ok())
        return pg::databaseError(QStringLiteral("reading repositories"), known.errorMessage());
    QSet<qint64> present;
    QList<qint64> vanished;
    for (int i = 0; i < known.rows(); ++i) {
        present.insert(known.toInt(i, 0));
        if (!listed.contains(known.toInt(i, 0)))
            vanished << known.toInt(i, 0);
    }
    QStringList discovered;
    QList<QJsonObject> refresh;
    for (const QJsonObject &o : std::as_const(m_listed)) {
        if (present.contains(qint64(o.value(QStringLiteral("id")).toDouble())))
            refresh << o;
        else
            discovered << o.value(QStringLiteral("full_name")).toString();
    }
    if (Error e = m_pages.rows().upsert(*catalog::findCollection(QStringLiteral("repository")), refresh,
                                        catalog::MapContext{}))
        return e;
    // An empty list is more likely a glitch than every repository gone at once: keep the rows then.
    if (!vanished.isEmpty() && !m_listed.isEmpty()) {
        logInfo(QStringLiteral("poller"),
                QStringLiteral("%1 repositories are no longer visible to these credentials").arg(vanished.size()));
        Q_EMIT repositoriesVanished(vanished);
    }
    discovered.removeAll(QString());
    if (!discovered.isEmpty()) {
        logInfo(QStringLiteral("poller"),
                QStringLiteral("new repositories: %1").arg(discovered.join(QStringLiteral(", "))));
        Q_EMIT repositoriesDiscovered(discovered);
    }
    return {};
}

void Poller::planTasks() {
    const bool reconcile =
        m_forceReconcile || (m_options.reconcileEvery > 0 && m_cycle % m_options.reconcileEvery == 0);
    m_forceReconcile = false;
    const pg::Result r =
        m_db.exec(QStringLiteral("SELECT id, full_name, coalesce(has_issues, true) FROM %1.repository"
                                 " WHERE id NOT IN (SELECT repository_id FROM hubsync.removed_repository) ORDER BY id")
                      .arg(m_db.quoteIdentifier(m_options.schema)));
    if (!r.ok()) {
        Q_EMIT warning(QStringLiteral("polling: cannot read repositories: ") + r.errorMessage());
        m_polling = false;
        start();
        return;
    }
    for (int i = 0; i < r.rows(); ++i) {
        Repository repo{r.toInt(i, 0), r.text(i, 1), r.text(i, 2) == QStringLiteral("t"), true};
        for (const Step step : pollSteps) {
            if (step == Step::Issue && !repo.hasIssues)
                continue;
            m_tasks.push_back({repo, step, false});
        }
        if (reconcile) {
            for (const Step step : {Step::Issue, Step::PullRequest, Step::Comment})
                m_tasks.push_back({repo, step, true});
        }
    }
    nextTask();
}

void Poller::nextTask() {
    if (m_tasks.empty()) {
        m_polling = false;
        m_stats.seconds = double(m_clock.elapsed()) / 1000.0;
        Q_EMIT cycleFinished(m_stats);
        start();
        return;
    }
    const Task task = m_tasks.front();
    m_tasks.pop_front();
    startWalk(task);
}

QString Poller::firstPath(const Task &task, const Cursor &cursor) const {
    const QString repo = QStringLiteral("/repos/") + task.repo.fullName;
    const QString since = cursor.since.isValid() ? cursor.since.toUTC().toString(Qt::ISODate) : QString();
    switch (task.step) {
    case Step::Issue:
    case Step::Comment: {
        QString path =
            repo +
            (task.step == Step::Issue ? QStringLiteral("/issues?state=all&") : QStringLiteral("/issues/comments?")) +
            QStringLiteral("sort=updated&direction=asc&per_page=100");
        if (!since.isEmpty() && !task.reconcile)
            path += QStringLiteral("&since=") + since;
        return path;
    }
    case Step::PullRequest:
        return repo + (task.reconcile ? QStringLiteral("/pulls?state=all&per_page=100")
                                      : QStringLiteral("/pulls?state=all&sort=updated&direction=desc&per_page=100"));
    case Step::Commit:
        return repo + QStringLiteral("/commits?per_page=100");
    case Step::Label:
        return repo + QStringLiteral("/labels?per_page=100");
    case Step::Ref:
        return repo + QStringLiteral("/git/refs?per_page=100");
    case Step::Release:
        return repo + QStringLiteral("/releases?per_page=100");
    default:
        return {};
    }
}

void Poller::startWalk(const Task &task) {
    m_walk = Walk{};
    m_walk.task = task;
    Error error;
    m_walk.cursor = m_cursors.load(task.repo.id, cursorName(task.step), &error);
    if (error) {
        Q_EMIT warning(error.message);
        nextTask();
        return;
    }
    if (!m_walk.cursor.done) {
        // The backfill of this collection has not finished yet; it owns the collection until then.
        nextTask();
        return;
    }
    m_walk.startedAt = QDateTime::currentDateTimeUtc();
    m_walk.firstUrl = firstPath(task, m_walk.cursor);
    fetch(m_walk.firstUrl, !task.reconcile);
}

void Poller::fetch(const QString &url, bool conditional) {
    ++m_stats.requests;
    auto done = whileAlive(this, [](Poller &self, const Page &page) { self.onPage(page); });
    if (conditional)
        m_api.getIfChanged(url, done);
    else
        m_api.get(url, done);
}

void Poller::onPage(const Page &page) {
    const Task &task = m_walk.task;
    if (page.notModified) {
        ++m_stats.notModified;
        nextTask();
        return;
    }
    if (page.error) {
        // Gone or forbidden collections stay as they are; the next cycle asks again.
        if (page.error.kind != Error::Kind::GitHubGone && page.error.kind != Error::Kind::GitHubNotFound)
            Q_EMIT warning(
                QStringLiteral("polling %1 %2: %3").arg(task.repo.fullName, stepTable(task.step), page.error.message));
        nextTask();
        return;
    }
    if (m_walk.pages++ == 0) {
        // The ETag store is keyed by the URL that answered (absolute), not the path we asked for.
        m_walk.firstEtag = page.etag;
        m_walk.firstAnsweredUrl = page.url;
    }
    QList<QJsonObject> items;
    if (!parseArray(page.body, items)) {
        Q_EMIT warning(QStringLiteral("polling %1 %2: malformed body").arg(task.repo.fullName, stepTable(task.step)));
        nextTask();
        return;
    }

    QList<QJsonObject> toWrite;
    bool reachedKnown = false;
    for (const QJsonObject &item : std::as_const(items)) {
        m_walk.seenKeys.insert(keyOf(task.step, item));
        if (task.step == Step::PullRequest && !task.reconcile) {
            const QDateTime updated =
                QDateTime::fromString(item.value(QStringLiteral("updated_at")).toString(), Qt::ISODate);
            if (updated.isValid() && m_walk.cursor.since.isValid() && updated < m_walk.cursor.since) {
                reachedKnown = true; // newest first: everything after this is older than our last change
                continue;
            }
        }
        toWrite << item;
    }
    if (task.step == Step::Commit) {
        // Newest first: stop at the first page made only of commits we already have.
        QStringList shas;
        for (const QJsonObject &item : std::as_const(items))
            shas << item.value(QStringLiteral("sha")).toString();
        const pg::Result known =
            m_db.execParams(QStringLiteral("SELECT count(*) FROM %1.commit WHERE sha = ANY($1::text[])")
                                .arg(m_db.quoteIdentifier(m_options.schema)),
                            {pg::param(QLatin1Char('{') + shas.join(QLatin1Char(',')) + QLatin1Char('}'))});
        reachedKnown = known.ok() && known.toInt(0, 0) == shas.size();
    }

    if (!task.reconcile && !toWrite.isEmpty()) {
        Cursor next = m_walk.cursor;
        PageWriter::Result result;
        const Error e = m_pages.write(
            task.step, task.repo, toWrite,
            [&] {
                if (result.newestUpdate.isValid() && (!next.since.isValid() || result.newestUpdate > next.since))
                    next.since = result.newestUpdate;
                next.written += result.written;
                return m_cursors.save(next);
            },
            &result);
        if (e) {
            Q_EMIT warning(
                QStringLiteral("polling %1 %2: %3").arg(task.repo.fullName, stepTable(task.step), e.message));
            nextTask();
            return;
        }
        m_walk.cursor = next;
        m_stats.written += result.written;
    }

    if (!page.nextUrl.isEmpty() && !reachedKnown) {
        fetch(page.nextUrl, false);
        return;
    }
    finishWalk();
}

void Poller::finishWalk() {
    const Task &task = m_walk.task;
    if (isFullWalk(task.step) || task.reconcile) {
        if (Error e = reconcileDeletes())
            Q_EMIT warning(
                QStringLiteral("polling %1 %2: %3").arg(task.repo.fullName, stepTable(task.step), e.message));
    }
    // Remember the first page's ETag only now that everything it led to is written.
    if (!task.reconcile && !m_walk.firstEtag.isEmpty())
        m_api.commitEtag(m_walk.firstAnsweredUrl, m_walk.firstEtag);
    nextTask();
}

// Deletes this repository's rows that a complete walk did not list. Rows written after the walk began
// (e.g. by a webhook) are kept: the walk may simply not have seen them.
Error Poller::reconcileDeletes() {
    const Task &task = m_walk.task;
    const catalog::Collection *collection = catalog::findCollection(stepTable(task.step));
    const QString key = task.step == Step::Ref ? QStringLiteral("name") : QStringLiteral("id");
    const QString type = task.step == Step::Ref ? QStringLiteral("text") : QStringLiteral("bigint");
    QStringList keys(m_walk.seenKeys.cbegin(), m_walk.seenKeys.cend());
    for (QString &k : keys) {
        k.replace(QLatin1Char('\\'), QStringLiteral("\\\\"));
        k.replace(QLatin1Char('"'), QStringLiteral("\\\""));
        k = QLatin1Char('"') + k + QLatin1Char('"');
    }
    const pg::Result r = m_db.execParams(
        QStringLiteral(
            "DELETE FROM %1.%2 WHERE repository_id = $1 AND NOT (%3 = ANY($2::%4[])) AND _synced_at < $3::timestamptz")
            .arg(m_db.quoteIdentifier(m_options.schema), m_db.quoteIdentifier(collection->table),
                 m_db.quoteIdentifier(key), type),
        {pg::param(task.repo.id), pg::param(QLatin1Char('{') + keys.join(QLatin1Char(',')) + QLatin1Char('}')),
         pg::param(m_walk.startedAt.toString(Qt::ISODateWithMs))});
    if (!r.ok())
        return pg::databaseError(QStringLiteral("reconciling deletes"), r.errorMessage());
    m_stats.deleted += r.affectedRows();
    if (r.affectedRows() > 0)
        logInfo(QStringLiteral("poller"), QStringLiteral("%1 %2: removed %3 rows deleted on GitHub")
                                              .arg(task.repo.fullName, collection->table)
                                              .arg(r.affectedRows()));
    return {};
}

} // namespace hubsync::sync
