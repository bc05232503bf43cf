#include "store/migrations.h"

#include "core/log.h"
#include "store/pg.h"

#include <QScopeGuard>

namespace hubsync {

namespace {
constexpr qint64 migrationLockKey = 0x4875625379; // "HubSy"
}

Migrator::Migrator(pg::Connection &connection, QString dataSchema)
    : m_connection(connection)
    , m_schema(std::move(dataSchema))
{
}

int Migrator::currentVersion()
{
    const pg::Result r = m_connection.exec(QStringLiteral(
        "SELECT coalesce(max(version), 0) FROM hubsync.schema_migrations WHERE to_regclass('hubsync.schema_migrations') IS NOT NULL"));
    if (!r.ok() || r.rows() == 0)
        return 0;
    return static_cast<int>(r.toInt(0, 0));
}

Error Migrator::migrate(const QList<Migration> &migrations)
{
    if (Error e = m_connection.run(QStringLiteral("SELECT pg_advisory_lock($1)"), {pg::param(migrationLockKey)},
                                   QStringLiteral("migration lock")))
        return e;
    const auto unlock = qScopeGuard([this] {
        m_connection.execParams(QStringLiteral("SELECT pg_advisory_unlock($1)"), {pg::param(migrationLockKey)});
    });

    if (Error e = m_connection.run(QStringLiteral("CREATE SCHEMA IF NOT EXISTS hubsync; "
                                                  "CREATE TABLE IF NOT EXISTS hubsync.schema_migrations ("
                                                  " version int PRIMARY KEY, description text NOT NULL,"
                                                  " data_schema text NOT NULL,"
                                                  " applied_at timestamptz NOT NULL DEFAULT now())"),
                                   {}, QStringLiteral("migration bootstrap")))
        return e;

    const int current = currentVersion();
    const QString schema = m_connection.quoteIdentifier(m_schema);
    for (const Migration &migration : migrations) {
        if (migration.version <= current)
            continue;
        if (Error e = m_connection.run(QStringLiteral("BEGIN")))
            return e;
        for (const QString &statement : migration.statements) {
            QString sql = statement;
            sql.replace(QStringLiteral("{schema}"), schema);
            if (Error e = m_connection.run(sql, {}, QStringLiteral("migration %1").arg(migration.version))) {
                m_connection.exec(QStringLiteral("ROLLBACK"));
                return e;
            }
        }
        if (Error e = m_connection.run(
                QStringLiteral("INSERT INTO hubsync.schema_migrations (version, description, data_schema) VALUES ($1, $2, $3)"),
                {pg::param(migration.version), pg::param(migration.description), pg::param(m_schema)},
                QStringLiteral("migration bookkeeping"))) {
            m_connection.exec(QStringLiteral("ROLLBACK"));
            return e;
        }
        if (Error e = m_connection.run(QStringLiteral("COMMIT")))
            return e;
        logInfo(QStringLiteral("store"), QStringLiteral("applied migration %1: %2").arg(migration.version).arg(migration.description));
    }
    return {};
}

const QList<Migration> &builtinMigrations()
{
    static const QList<Migration> migrations = {
        {1,
         QStringLiteral("data schema and engine state"),
         {QStringLiteral("CREATE SCHEMA IF NOT EXISTS {schema}"),
          QStringLiteral("CREATE TABLE hubsync.engine_state (key text PRIMARY KEY, value jsonb NOT NULL,"
                         " updated_at timestamptz NOT NULL DEFAULT now())")}},
    };
    return migrations;
}

} // namespace hubsync
