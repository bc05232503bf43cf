// Engine, part 2: which repositories are synced, as the desktop's repository picker changes it.

#include "core/guarded.h"
#include "core/log.h"
#include "facade/engine.h"
#include "facade/proxyhost.h"
#include "store/pg.h"
#include "sync/backfill_p.h"
#include "sync/repositorystate.h"

#include <algorithm>

namespace hubsync {

namespace {

// A repository listing longer than this many pages (10,000 repositories) is cut: the picker shows what
// came, and a warning says so.
constexpr int maxListingPages = 100;

QString idArray(const QList<qint64> &ids) {
    QStringList parts;
    for (const qint64 id : ids)
        parts << QString::number(id);
    return QLatin1Char('{') + parts.join(QLatin1Char(',')) + QLatin1Char('}');
}

} // namespace

// Repositories in the database, with their record counts; `synced` is false for the ones marked as
// no longer synced (their rows kept).
QHash<qint64, RepositoryInfo> Engine::syncedRepositoryInfo() {
    QHash<qint64, RepositoryInfo> byId;
    if (!m_db)
        return byId;
    const pg::Result r = m_db->execParams(
        QStringLiteral("SELECT r.id, r.full_name, coalesce(r.description, ''), coalesce(r.private, false), "
                       "coalesce(r.open_issues_count, 0),"
                       " coalesce((SELECT sum(written) FROM hubsync.sync_cursor c WHERE c.repository_id = r.id"
                       " AND c.schema = $1), 0),"
                       " r.id IN (SELECT repository_id FROM hubsync.removed_repository)"
                       " FROM %1.repository r")
            .arg(m_db->quoteIdentifier(m_config.schema)),
        {pg::param(m_config.schema)});
    if (!r.ok()) {
        Q_EMIT warning(QStringLiteral("reading the synced repositories: ") + r.errorMessage());
        return byId;
    }
    for (int i = 0; i < r.rows(); ++i) {
        byId.insert(r.toInt(i, 0),
                    RepositoryInfo{r.toInt(i, 0), r.text(i, 1), r.text(i, 2), r.text(i, 3) == QStringLiteral("t"),
                                   r.toInt(i, 4), r.toInt(i, 5), r.text(i, 6) != QStringLiteral("t")});
    }
    return byId;
}

void Engine::listRepositories() {
    if (!m_api) {
        // Not connected to GitHub (yet, or it failed): what the database knows is all there is.
        Q_EMIT visibleRepositories(syncedRepositoryInfo().values());
        return;
    }
    if (m_listingRepositories)
        return; // the walk under way answers this request too
    m_listingRepositories = true;
    m_visibleListing.clear();
    m_api->get(sync::repositoryListPath(m_api->isInstallation(), 100),
               whileAlive(this, [](Engine &self, const sync::Page &page) { self.onVisibleRepositoryPage(page); }));
}

void Engine::onVisibleRepositoryPage(const sync::Page &page) {
    bool complete = page.nextUrl.isEmpty();
    if (page.error) {
        Q_EMIT warning(QStringLiteral("listing the repositories these credentials can see: ") + page.error.message);
        complete = true;
    } else if (!sync::parseRepositoryPage(page.body, m_api->isInstallation(), m_visibleListing)) {
        Q_EMIT warning(QStringLiteral("listing repositories: GitHub sent a malformed body"));
        complete = true;
    } else if (!complete && m_visibleListing.size() >= maxListingPages * 100) {
        Q_EMIT warning(QStringLiteral("listing repositories: stopped after %1; the picker shows those")
                           .arg(m_visibleListing.size()));
        complete = true;
    }
    if (!complete) {
        m_api->get(page.nextUrl,
                   whileAlive(this, [](Engine &self, const sync::Page &next) { self.onVisibleRepositoryPage(next); }));
        return;
    }
    m_listingRepositories = false;
    QHash<qint64, RepositoryInfo> known = syncedRepositoryInfo();
    QList<RepositoryInfo> list;
    for (const QJsonObject &o : std::as_const(m_visibleListing)) {
        const qint64 id = qint64(o.value(QStringLiteral("id")).toDouble());
        const QString name = o.value(QStringLiteral("full_name")).toString();
        if (id <= 0 || name.count(QLatin1Char('/')) != 1)
            continue; // hostile or malformed entry: never offered
        if (const auto it = known.constFind(id); it != known.cend()) {
            list << *it;
            known.erase(it);
            continue;
        }
        list << RepositoryInfo{id,
                               name,
                               o.value(QStringLiteral("description")).toString(),
                               o.value(QStringLiteral("private")).toBool(),
                               qint64(o.value(QStringLiteral("open_issues_count")).toDouble()),
                               0,
                               false};
    }
    // Repositories in the database the credentials no longer list stay visible (their rows are there).
    list << known.values();
    m_visibleListing.clear();
    std::sort(list.begin(), list.end(),
              [](const RepositoryInfo &a, const RepositoryInfo &b) { return a.fullName < b.fullName; });
    Q_EMIT visibleRepositories(list);
}

void Engine::changeRepositorySelection(const QStringList &add, const QStringList &remove, bool keepRows) {
    if (!m_db || !m_api) {
        Q_EMIT warning(QStringLiteral("the repository selection can change once the engine is connected"));
        return;
    }
    for (const QString &name : remove)
        m_queuedRepos.removeAll(name);
    if (!remove.isEmpty()) {
        for (const QString &name : remove) {
            if (!m_queuedRemovals.contains(name))
                m_queuedRemovals << name;
        }
        m_queuedRemovalsKeepRows = keepRows;
        // A running backfill may be writing into these repositories: they stop once it is done.
        if (!m_backfilling)
            applyPendingRemovals(); // published below
    }
    if (!add.isEmpty()) {
        const QList<qint64> ids = syncedIdsOf(add);
        m_queuedRemovals.removeIf([&add](const QString &name) { return add.contains(name); });
        if (Error e = sync::resumeSyncingRepositories(*m_db, ids)) {
            Q_EMIT warning(e.message);
            return;
        }
        backfillAdded(add);
    }
    publishRepositories();
    listRepositories();
}

// The ids of the synced repositories among `names`.
QList<qint64> Engine::syncedIdsOf(const QStringList &names) {
    QList<qint64> ids;
    for (const RepositoryInfo &info : syncedRepositoryInfo()) {
        if (names.contains(info.fullName))
            ids << info.id;
    }
    return ids;
}

// True when repositories stopped syncing: the caller publishes the new selection.
bool Engine::applyPendingRemovals() {
    if (m_queuedRemovals.isEmpty())
        return false;
    const QList<qint64> ids = syncedIdsOf(m_queuedRemovals);
    const QStringList names = m_queuedRemovals;
    m_queuedRemovals.clear();
    if (Error e = deselectRepositories(ids, m_queuedRemovalsKeepRows)) {
        Q_EMIT warning(
            QStringLiteral("could not stop syncing %1: %2").arg(names.join(QStringLiteral(", ")), e.message));
        return false;
    }
    logInfo(QStringLiteral("engine"),
            QStringLiteral("stopped syncing %1 (%2)")
                .arg(names.join(QStringLiteral(", ")),
                     m_queuedRemovalsKeepRows ? QStringLiteral("rows kept") : QStringLiteral("rows dropped")));
    return true;
}

// Deselected repositories keep their repository row (so the poller's repository walk does not take them
// for new ones and backfill them again) marked in hubsync.removed_repository, which the backfill, the
// poller and the webhook applier skip. Without keepRows everything else in them goes, cascading from the
// repository row: the row is copied aside, dropped with its sync state, and put back.
Error Engine::deselectRepositories(const QList<qint64> &ids, bool keepRows) {
    if (ids.isEmpty())
        return {};
    pg::ImplicitTransaction transaction(*m_db);
    if (Error e = transaction.begin())
        return e;
    const QString table = m_db->quoteIdentifier(m_config.schema) + QStringLiteral(".repository");
    if (!keepRows) {
        // (A utility statement takes no parameters: the table first, then the rows.)
        if (Error e =
                m_db->run(QStringLiteral("CREATE TEMP TABLE hubsync_deselected (LIKE %1) ON COMMIT DROP").arg(table),
                          {}, QStringLiteral("keeping the deselected repository rows")))
            return e;
        if (Error e =
                m_db->run(QStringLiteral("INSERT INTO hubsync_deselected SELECT * FROM %1 WHERE id = ANY($1::bigint[])")
                              .arg(table),
                          {pg::param(idArray(ids))}, QStringLiteral("keeping the deselected repository rows")))
            return e;
        if (Error e = sync::stopSyncingRepositories(*m_db, m_config.schema, ids, false))
            return e;
        if (Error e = m_db->run(QStringLiteral("INSERT INTO %1 SELECT * FROM hubsync_deselected").arg(table), {},
                                QStringLiteral("restoring the deselected repository rows")))
            return e;
    }
    if (Error e = sync::stopSyncingRepositories(*m_db, m_config.schema, ids, true))
        return e;
    return transaction.commit();
}

DatabaseEndpoint Engine::proxyEndpoint() const {
    DatabaseEndpoint endpoint = pg::endpointOf(m_conninfo);
    if (!m_proxy)
        return {};
    const QHostAddress address = m_proxy->address();
    // A proxy listening on every interface is still reached over loopback from this machine.
    endpoint.host = address == QHostAddress::Any || address == QHostAddress::AnyIPv4 || address.isNull()
                        ? QStringLiteral("127.0.0.1")
                        : address.toString();
    endpoint.port = m_proxy->port();
    return endpoint;
}

} // namespace hubsync
