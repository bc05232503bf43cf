#pragma once

#include "core/errors.h"

#include <QList>
#include <QString>
#include <QStringList>

namespace hubsync::pg {
class Connection;
}

namespace hubsync {

// One versioned schema change. Versions below firstDataSchemaVersion change the engine's own state in
// schema hubsync and run once per database; versions from it on create or change the synced tables, say
// so with the {schema} placeholder, and run once per data schema (`--schema`), so several data schemas
// can live in one database.
struct Migration {
    int version;
    QString description;
    QStringList statements;
};

inline constexpr int firstDataSchemaVersion = 100;
// The data_schema hubsync.schema_migrations records for engine-state migrations.
inline constexpr const char *engineStateSchema = "hubsync";

// Applies pending migrations in order, each in its own transaction, recording them in
// hubsync.schema_migrations keyed by (version, data_schema). A session-level advisory lock serialises
// concurrent starters (GUI and service on one database), so running migrations twice is always safe.
class Migrator final {
public:
    Migrator(pg::Connection &connection, QString dataSchema);

    Error migrate(const QList<Migration> &migrations);
    // The newest version applied to the engine state or to this data schema (0 = none).
    [[nodiscard]] int currentVersion();

private:
    Error upgradeBookkeeping();

    pg::Connection &m_connection;
    QString m_schema;
};

// The migrations HubSync ships, oldest first.
const QList<Migration> &builtinMigrations();

} // namespace hubsync
