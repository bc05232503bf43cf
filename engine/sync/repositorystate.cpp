#include "sync/repositorystate.h"

#include "store/pg.h"

namespace hubsync::sync {

Error stopSyncingRepositories(pg::Connection &db, const QString &schema, const QList<qint64> &ids, bool keepRows) {
    for (const qint64 id : ids) {
        if (keepRows) {
            if (Error e = db.run(QStringLiteral("INSERT INTO hubsync.removed_repository (repository_id) VALUES ($1)"
                                                " ON CONFLICT DO NOTHING"),
                                 {pg::param(id)}, QStringLiteral("marking a repository as no longer synced")))
                return e;
            continue;
        }
        if (Error e = db.run(QStringLiteral("DELETE FROM %1.repository WHERE id = $1").arg(db.quoteIdentifier(schema)),
                             {pg::param(id)}, QStringLiteral("dropping a repository's rows")))
            return e;
        for (const QString &state : {QStringLiteral("sync_cursor"), QStringLiteral("reaction_todo")}) {
            if (Error e =
                    db.run(QStringLiteral("DELETE FROM hubsync.%1 WHERE repository_id = $1 AND schema = $2").arg(state),
                           {pg::param(id), pg::param(schema)}, QStringLiteral("dropping a repository's sync state")))
                return e;
        }
    }
    return {};
}

Error resumeSyncingRepositories(pg::Connection &db, const QList<qint64> &ids) {
    for (const qint64 id : ids) {
        if (Error e = db.run(QStringLiteral("DELETE FROM hubsync.removed_repository WHERE repository_id = $1"),
                             {pg::param(id)}, QStringLiteral("resuming a repository's sync")))
            return e;
    }
    return {};
}

} // namespace hubsync::sync
