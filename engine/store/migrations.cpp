#include "store/migrations.h"

#include "core/log.h"
#include "store/pg.h"

#include <QScopeGuard>
#include <QSet>

#include <algorithm>

namespace hubsync {

namespace {
constexpr qint64 migrationLockKey = 0x4875625379; // "HubSy"
}

Migrator::Migrator(pg::Connection &connection, QString dataSchema)
    : m_connection(connection)
    , m_schema(std::move(dataSchema)) {}

int Migrator::currentVersion() {
    const pg::Result r = m_connection.execParams(
        QStringLiteral("SELECT coalesce(max(version), 0) FROM hubsync.schema_migrations WHERE version < $1 OR "
                       "data_schema = $2"),
        {pg::param(qint64(firstDataSchemaVersion)), pg::param(m_schema)});
    if (!r.ok() || r.rows() == 0)
        return 0;
    return static_cast<int>(r.toInt(0, 0));
}

// Until per-schema bookkeeping, hubsync.schema_migrations was keyed by version alone, so a second data
// schema looked migrated already and never got its tables. Such a table is rewritten in place: rows of
// data-schema migrations keep the schema recorded with them ('github' where none was), engine-state rows
// are marked as such, and the key becomes (version, data_schema).
Error Migrator::upgradeBookkeeping() {
    const pg::Result r = m_connection.exec(
        QStringLiteral("SELECT i.indnatts FROM pg_index i WHERE i.indrelid = 'hubsync.schema_migrations'::regclass"
                       " AND i.indisprimary"));
    if (!r.ok())
        return pg::databaseError(QStringLiteral("reading the migration bookkeeping"), r.errorMessage());
    if (r.rows() == 1 && r.toInt(0, 0) >= 2)
        return {};
    const QString purpose = QStringLiteral("upgrading the migration bookkeeping");
    if (Error e = m_connection.run(QStringLiteral("BEGIN")))
        return e;
    const auto rollback = [this](Error e) {
        m_connection.exec(QStringLiteral("ROLLBACK"));
        return e;
    };
    if (Error e = m_connection.run(
            QStringLiteral("ALTER TABLE hubsync.schema_migrations ADD COLUMN IF NOT EXISTS data_schema text"), {},
            purpose))
        return rollback(e);
    if (Error e = m_connection.run(
            QStringLiteral("UPDATE hubsync.schema_migrations SET data_schema = CASE WHEN version < $1 THEN $2"
                           " ELSE coalesce(nullif(data_schema, ''), 'github') END"),
            {pg::param(qint64(firstDataSchemaVersion)), pg::param(QString::fromLatin1(engineStateSchema))}, purpose))
        return rollback(e);
    if (Error e = m_connection.run(
            QStringLiteral("ALTER TABLE hubsync.schema_migrations ALTER COLUMN data_schema SET NOT NULL,"
                           " DROP CONSTRAINT IF EXISTS schema_migrations_pkey, ADD PRIMARY KEY (version, data_schema)"),
            {}, purpose))
        return rollback(e);
    if (Error e = m_connection.run(QStringLiteral("COMMIT")))
        return rollback(e);
    logInfo(QStringLiteral("store"), QStringLiteral("migration bookkeeping now records each data schema"));
    return {};
}

Error Migrator::migrate(const QList<Migration> &migrations) {
    if (Error e = m_connection.run(QStringLiteral("SELECT pg_advisory_lock($1)"), {pg::param(migrationLockKey)},
                                   QStringLiteral("migration lock")))
        return e;
    const auto unlock = qScopeGuard([this] {
        m_connection.execParams(QStringLiteral("SELECT pg_advisory_unlock($1)"), {pg::param(migrationLockKey)});
    });
    // The lock lives with the session: should the connection open a new one (see pg::Connection), the
    // lock is gone and another process may be migrating too, so stop instead.
    const int session = m_connection.reconnects();
    const auto sessionLost = [this, session] {
        return m_connection.reconnects() == session
                   ? Error::none()
                   : pg::databaseError(QStringLiteral("migrations"),
                                       QStringLiteral("the database connection was lost during the migrations, and "
                                                      "the migration lock with it; start again"));
    };

    if (Error e = m_connection.run(QStringLiteral("CREATE SCHEMA IF NOT EXISTS hubsync; "
                                                  "CREATE TABLE IF NOT EXISTS hubsync.schema_migrations ("
                                                  " version int NOT NULL, description text NOT NULL,"
                                                  " data_schema text NOT NULL,"
                                                  " applied_at timestamptz NOT NULL DEFAULT now(),"
                                                  " PRIMARY KEY (version, data_schema))"),
                                   {}, QStringLiteral("migration bootstrap")))
        return e;
    if (Error e = upgradeBookkeeping())
        return e;

    // Applied versions as a set, not a high-water mark: migration lists from different modules may
    // interleave (store 1.., catalog 100..), and each one must run exactly once per target: the
    // engine state for versions below firstDataSchemaVersion, this data schema for the others.
    QSet<int> applied;
    {
        const pg::Result r = m_connection.execParams(
            QStringLiteral("SELECT version FROM hubsync.schema_migrations WHERE version < $1 OR data_schema = $2"),
            {pg::param(qint64(firstDataSchemaVersion)), pg::param(m_schema)});
        if (!r.ok())
            return pg::databaseError(QStringLiteral("reading migrations"), r.errorMessage());
        for (int i = 0; i < r.rows(); ++i)
            applied.insert(int(r.toInt(i, 0)));
    }
    QList<Migration> ordered = migrations;
    std::sort(ordered.begin(), ordered.end(),
              [](const Migration &a, const Migration &b) { return a.version < b.version; });
    const QString schema = m_connection.quoteIdentifier(m_schema);
    bool schemaCreated = false;
    for (const Migration &migration : ordered) {
        if (applied.contains(migration.version))
            continue;
        const bool forDataSchema = migration.version >= firstDataSchemaVersion;
        const QString target = forDataSchema ? m_schema : QString::fromLatin1(engineStateSchema);
        if (Error e = m_connection.run(QStringLiteral("BEGIN")))
            return e;
        if (Error e = sessionLost()) {
            m_connection.exec(QStringLiteral("ROLLBACK"));
            return e;
        }
        QStringList statements = migration.statements;
        // Migration 1 creates the first data schema; any later one starts here.
        if (forDataSchema && !schemaCreated)
            statements.prepend(QStringLiteral("CREATE SCHEMA IF NOT EXISTS {schema}"));
        for (const QString &statement : std::as_const(statements)) {
            QString sql = statement;
            sql.replace(QStringLiteral("{schema}"), schema);
            if (Error e = m_connection.run(sql, {}, QStringLiteral("migration %1").arg(migration.version))) {
                m_connection.exec(QStringLiteral("ROLLBACK"));
                return e;
            }
        }
        if (Error e = m_connection.run(
                QStringLiteral(
                    "INSERT INTO hubsync.schema_migrations (version, description, data_schema) VALUES ($1, $2, $3)"),
                {pg::param(migration.version), pg::param(migration.description), pg::param(target)},
                QStringLiteral("migration bookkeeping"))) {
            m_connection.exec(QStringLiteral("ROLLBACK"));
            return e;
        }
        if (Error e = m_connection.run(QStringLiteral("COMMIT")))
            return e;
        schemaCreated = schemaCreated || forDataSchema;
        logInfo(
            QStringLiteral("store"),
            QStringLiteral("applied migration %1 to %2: %3").arg(migration.version).arg(target, migration.description));
    }
    return {};
}

const QList<Migration> &builtinMigrations() {
    static const QList<Migration> migrations = {
        {1,
         QStringLiteral("data schema and engine state"),
         {QStringLiteral("CREATE SCHEMA IF NOT EXISTS {schema}"),
          QStringLiteral("CREATE TABLE hubsync.engine_state (key text PRIMARY KEY, value jsonb NOT NULL,"
                         " updated_at timestamptz NOT NULL DEFAULT now())")}},
        {2,
         QStringLiteral("ETag cache for conditional GitHub requests"),
         {QStringLiteral("CREATE TABLE hubsync.etag_cache (url text PRIMARY KEY, etag text NOT NULL,"
                         " last_modified text, updated_at timestamptz NOT NULL DEFAULT now())")}},
        {3,
         QStringLiteral("sync cursors per repository and collection"),
         {QStringLiteral("CREATE TABLE hubsync.sync_cursor (repository_id bigint NOT NULL, collection text NOT NULL,"
                         " phase text NOT NULL DEFAULT 'backfill' CHECK (phase IN ('backfill', 'done')),"
                         " next_url text, since timestamptz, fetched bigint NOT NULL DEFAULT 0,"
                         " written bigint NOT NULL DEFAULT 0, total bigint, completed_at timestamptz,"
                         " updated_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (repository_id, collection))")}},
        {4,
         QStringLiteral("reaction work list"),
         // Subjects whose reactions rollup is > 0 and whose reactions still need fetching. Rows are deleted
         // in the same transaction that writes the subject's reactions, so the work list survives a crash.
         {QStringLiteral(
             "CREATE TABLE hubsync.reaction_todo (repository_id bigint NOT NULL, subject_type text NOT NULL,"
             " subject_key bigint NOT NULL, api_path text NOT NULL,"
             " PRIMARY KEY (repository_id, subject_type, subject_key))")}},
        {5,
         QStringLiteral("durable webhook delivery queue"),
         // The receiver answers GitHub only after the delivery is stored here; the primary key dedupes
         // GitHub's retries and our own redeliveries by X-GitHub-Delivery.
         {QStringLiteral("CREATE TABLE hubsync.webhook_delivery (delivery_id text PRIMARY KEY, event text NOT NULL,"
                         " action text, payload jsonb NOT NULL, received_at timestamptz NOT NULL DEFAULT now(),"
                         " processed_at timestamptz, attempts int NOT NULL DEFAULT 0, error text)"),
          QStringLiteral("CREATE INDEX webhook_delivery_pending ON hubsync.webhook_delivery (received_at)"
                         " WHERE processed_at IS NULL")}},
        {6,
         QStringLiteral("webhook applier state and delete tombstones"),
         // seq orders deliveries as they arrived; outcome says what applying one did (applied, ignored,
         // failed); next_attempt_at delays a retry after a transient failure. A tombstone remembers that a
         // webhook deleted a row, so an older event delivered late cannot bring the row back.
         {QStringLiteral("ALTER TABLE hubsync.webhook_delivery ADD COLUMN seq bigserial,"
                         " ADD COLUMN outcome text, ADD COLUMN next_attempt_at timestamptz"),
          QStringLiteral("CREATE TABLE hubsync.tombstone (collection text NOT NULL, key text NOT NULL,"
                         " deleted_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (collection, key))"),
          // Repositories taken out of the installation whose rows are kept (--keep-removed-repos): not synced.
          QStringLiteral("CREATE TABLE hubsync.removed_repository (repository_id bigint PRIMARY KEY,"
                         " removed_at timestamptz NOT NULL DEFAULT now())")}},
        {7,
         QStringLiteral("sync state per data schema"),
         // Cursors and the reaction work list describe what one data schema holds: backfilling the same
         // repositories into a second schema starts from scratch there. Existing state belongs to the
         // schema the synced tables were created in (recorded with migration 100), else the default.
         {QStringLiteral("ALTER TABLE hubsync.sync_cursor ADD COLUMN schema text NOT NULL DEFAULT 'github'"),
          QStringLiteral("ALTER TABLE hubsync.reaction_todo ADD COLUMN schema text NOT NULL DEFAULT 'github'"),
          QStringLiteral("UPDATE hubsync.sync_cursor SET schema = m.data_schema FROM hubsync.schema_migrations m"
                         " WHERE m.version = 100"),
          QStringLiteral("UPDATE hubsync.reaction_todo SET schema = m.data_schema FROM hubsync.schema_migrations m"
                         " WHERE m.version = 100"),
          QStringLiteral("ALTER TABLE hubsync.sync_cursor DROP CONSTRAINT sync_cursor_pkey,"
                         " ADD PRIMARY KEY (repository_id, schema, collection)"),
          QStringLiteral("ALTER TABLE hubsync.reaction_todo DROP CONSTRAINT reaction_todo_pkey,"
                         " ADD PRIMARY KEY (repository_id, schema, subject_type, subject_key)")}},
        {8,
         QStringLiteral("GraphQL page size per walk"),
         // The query size that last worked for a repository x collection fetched through GraphQL, halved
         // after a timeout or a partial answer: a restart goes on at that size instead of learning it again.
         {QStringLiteral("ALTER TABLE hubsync.sync_cursor ADD COLUMN page_size int")}},
    };
    return migrations;
}

} // namespace hubsync
