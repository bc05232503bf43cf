#pragma once

#include "core/errors.h"

#include <QDateTime>
#include <QString>

#include <optional>

namespace hubsync::pg {
class Connection;
}

namespace hubsync::sync {

// Where the backfill of one repository x collection stands. Saved in the same transaction as the page
// it describes, so after a crash the walk resumes at the first page not yet committed.
struct Cursor {
    qint64 repositoryId = 0;
    QString collection;
    bool done = false;
    QString nextUrl; // empty + !done = not started
    QDateTime since; // newest updated_at seen (incremental polling starts here)
    qint64 fetched = 0;
    qint64 written = 0;
    qint64 total = -1;
    int pageSize = 0; // GraphQL walks: the query size that last worked (0 = not learnt yet)
    // Not stored: `since` never goes past this (a walk that is not ordered by update time, whose newest
    // update says nothing about what changed behind it).
    QDateTime sinceLimit;
};

// Cursors are kept per data schema (`--schema`): each schema of one database is synced on its own.
class CursorStore final {
public:
    explicit CursorStore(pg::Connection &connection, QString schema = QStringLiteral("github"));
    Q_DISABLE_COPY_MOVE(CursorStore)

    // Loads the cursor or returns a fresh one.
    Cursor load(qint64 repositoryId, const QString &collection, Error *error = nullptr);
    Error save(const Cursor &cursor);
    Error resetRepository(qint64 repositoryId);

    [[nodiscard]] const QString &schema() const { return m_schema; }

private:
    pg::Connection &m_connection;
    QString m_schema;
};

} // namespace hubsync::sync
