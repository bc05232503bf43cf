#pragma once

#include "core/errors.h"

#include <QList>
#include <QString>

namespace hubsync::pg {
class Connection;
}

namespace hubsync::sync {

// Repositories HubSync stops syncing (taken out of the App installation, deleted, no longer visible to
// the credentials). keepRows: the rows stay and the repository is only marked as not synced
// (--keep-removed-repos); otherwise its rows go (cascading to everything in it) with its sync state.
// Runs inside the caller's transaction when one is open.
Error stopSyncingRepositories(pg::Connection &db, const QString &schema, const QList<qint64> &ids, bool keepRows);

// A repository granted again is synced again.
Error resumeSyncingRepositories(pg::Connection &db, const QList<qint64> &ids);

} // namespace hubsync::sync
