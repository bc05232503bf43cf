#pragma once

#include "core/errors.h"

#include <QList>
#include <QString>
#include <QStringList>

namespace hubsync::pg {
class Connection;
}

namespace hubsync {

// One versioned schema change. Statements may use {schema} for the synced-data schema name.
struct Migration {
    int version;
    QString description;
    QStringList statements;
};

// Applies pending migrations in order, each in its own transaction, recording them in
// hubsync.schema_migrations. A session-level advisory lock serialises concurrent starters (GUI and
// service on one database), so running migrations twice is always safe.
class Migrator final {
public:
    Migrator(pg::Connection &connection, QString dataSchema);

    Error migrate(const QList<Migration> &migrations);
    [[nodiscard]] int currentVersion();

private:
    pg::Connection &m_connection;
    QString m_schema;
};

// The migrations HubSync ships, oldest first.
const QList<Migration> &builtinMigrations();

} // namespace hubsync
