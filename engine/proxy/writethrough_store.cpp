// Write-through, database side: the write-through's own connection (not the client's) for lookups,
// for the users and labels GitHub's answers refer to, and for reconciling the table with GitHub when a
// client's transaction ended without GitHub's answers.

#include "catalog/catalog.h"
#include "core/log.h"
#include "proxy/writethrough.h"
#include "store/pg.h"

#include <QDateTime>
#include <QJsonArray>
#include <QJsonDocument>

namespace hubsync::proxy {

namespace {

const QString category = QStringLiteral("writethrough");

} // namespace

Error WriteThrough::open() {
    auto db = std::make_unique<pg::Connection>();
    if (Error e = db->open(m_options.conninfo))
        return e;
    // This connection writes the write log and the users and labels GitHub's answers refer to, on the proxy's
    // thread, while a client waits. Waiting for each of those commits to reach the disk would add a WAL
    // flush to every write; the client's own COMMIT flushes the WAL written before it anyway, so the rows its
    // foreign keys need are as durable as its own. Only the newest log entries can be lost, and only to a
    // crash of PostgreSQL itself.
    if (Error e =
            db->run(QStringLiteral("SET synchronous_commit = off"), {}, QStringLiteral("setting up write-through")))
        return e;
    m_db = std::move(db);
    return {};
}

QString WriteThrough::quotedSchema() const {
    if (m_db)
        return m_db->quoteIdentifier(m_options.schema);
    QString quoted = m_options.schema; // not opened yet: the same rule without libpq
    return QLatin1Char('"') + quoted.replace(QLatin1Char('"'), QStringLiteral("\"\"")) + QLatin1Char('"');
}

QString WriteThrough::repositoryPath(qint64 repositoryId, Error *error) {
    if (const auto it = m_repositoryPaths.constFind(repositoryId); it != m_repositoryPaths.cend())
        return *it;
    if (!m_db) {
        *error = Error::make(Error::Kind::Database, QStringLiteral("write-through has no database connection"));
        return {};
    }
    const pg::Result r = m_db->execParams(QStringLiteral("SELECT full_name FROM %1.repository WHERE id = $1")
                                              .arg(m_db->quoteIdentifier(m_options.schema)),
                                          {pg::param(repositoryId)});
    if (!r.ok() || r.rows() != 1 || r.text(0, 0).isEmpty()) {
        *error = Error::make(Error::Kind::GitHubNotFound,
                             QStringLiteral("repository %1 is not synced by HubSync").arg(repositoryId));
        return {};
    }
    const QString path = r.text(0, 0);
    m_repositoryPaths.insert(repositoryId, path);
    return path;
}

QStringList WriteThrough::loginsFor(const QJsonValue &assigneeIds, Error *error) {
    QStringList logins;
    const QJsonArray ids = assigneeIds.toArray();
    for (const QJsonValue &id : ids) {
        if (id.isString()) { // a login is accepted as well
            logins << id.toString();
            continue;
        }
        const pg::Result r = m_db->execParams(
            QStringLiteral("SELECT login FROM %1.\"user\" WHERE id = $1").arg(m_db->quoteIdentifier(m_options.schema)),
            {pg::param(qint64(id.toDouble()))});
        if (!r.ok() || r.rows() != 1) {
            *error = Error::make(Error::Kind::GitHubValidation,
                                 QStringLiteral("assignee_ids: no synced user has id %1").arg(qint64(id.toDouble())));
            return {};
        }
        logins << r.text(0, 0);
    }
    return logins;
}

QString WriteThrough::lookup(const QString &table, const QString &column, const QString &key, qint64 value,
                             Error *error) {
    if (!m_db) {
        *error = Error::make(Error::Kind::Database, QStringLiteral("write-through has no database connection"));
        return {};
    }
    // The whole row (without raw) once per statement: a writer usually needs several of its columns.
    const QString cacheKey = table + QLatin1Char('.') + key + QLatin1Char('=') + QString::number(value);
    auto cached = m_lookups.constFind(cacheKey);
    if (cached == m_lookups.cend()) {
        const pg::Result r = m_db->execParams(
            QStringLiteral("SELECT to_jsonb(t) - 'raw' FROM %1.%2 t WHERE %3 = $1")
                .arg(m_db->quoteIdentifier(m_options.schema), m_db->quoteIdentifier(table), m_db->quoteIdentifier(key)),
            {pg::param(value)});
        if (!r.ok()) {
            *error = Error::make(Error::Kind::Database, r.errorMessage());
            return {};
        }
        cached = m_lookups.insert(cacheKey, r.rows() > 0 ? QJsonDocument::fromJson(r.text(0, 0).toUtf8()).object()
                                                         : QJsonObject());
    }
    const QJsonValue v = cached->value(column);
    return v.isDouble() ? QString::number(qint64(v.toDouble())) : v.toString();
}

Error WriteThrough::storeReferences(const QList<AppliedChange> &applied) {
    if (!m_db)
        return Error::make(Error::Kind::Database, QStringLiteral("write-through has no database connection"));
    const QString schema = m_db->quoteIdentifier(m_options.schema);
    const catalog::Collection *users = catalog::findCollection(QStringLiteral("user"));
    const catalog::Collection *labels = catalog::findCollection(QStringLiteral("label"));
    QJsonArray userRows;
    QJsonArray labelRows;
    QSet<qint64> newUsers;
    QSet<qint64> newLabels;
    for (const AppliedChange &change : applied) {
        const catalog::Collection *collection = catalog::findCollection(change.table);
        if (change.object.isEmpty() || !collection)
            continue;
        // Rows stored once are not sent again (ON CONFLICT DO NOTHING would keep them as they are anyway).
        QList<QJsonObject> embedded = catalog::embeddedUsers(*collection, change.object);
        if (change.object.value(QStringLiteral("author")).isObject()) // GraphQL objects (discussions) name an author
            if (const QJsonObject author =
                    catalog::restUserFromGraphql(change.object.value(QStringLiteral("author")).toObject());
                !author.isEmpty())
                embedded << author;
        for (const QJsonObject &user : std::as_const(embedded)) {
            const qint64 id = qint64(user.value(QStringLiteral("id")).toDouble());
            if (!m_storedUsers.contains(id)) {
                userRows.append(tableRow(users->table, user, change.repositoryId));
                newUsers << id;
            }
        }
        for (const QJsonValue &label : change.object.value(QStringLiteral("labels")).toArray()) {
            const qint64 id = qint64(label.toObject().value(QStringLiteral("id")).toDouble());
            if (label.isObject() && !m_storedLabels.contains(id)) {
                labelRows.append(tableRow(labels->table, label.toObject(), change.repositoryId));
                newLabels << id;
            }
        }
    }
    const auto insert = [&](const QString &table, const QString &key, const QJsonArray &rows) -> Error {
        if (rows.isEmpty())
            return {};
        return m_db->run(
            QStringLiteral("INSERT INTO %1.%2 SELECT * FROM jsonb_populate_recordset(NULL::%1.%2, $1::jsonb)"
                           " ON CONFLICT (%3) DO NOTHING")
                .arg(schema, m_db->quoteIdentifier(table), key),
            {QJsonDocument(rows).toJson(QJsonDocument::Compact)},
            QStringLiteral("storing the users and labels of a write-through answer"));
    };
    if (Error e = insert(QStringLiteral("user"), QStringLiteral("id"), userRows))
        return e;
    if (Error e = insert(QStringLiteral("label"), QStringLiteral("id"), labelRows))
        return e;
    // A label deleted later is deleted by the sync engine; forgetting all of them now and then keeps a
    // re-created label with the same id from being skipped for long.
    if (m_storedLabels.size() > 10000)
        m_storedLabels.clear();
    if (m_storedUsers.size() > 100000)
        m_storedUsers.clear();
    m_storedUsers.unite(newUsers);
    m_storedLabels.unite(newLabels);
    return {};
}

void WriteThrough::reconcile(const QList<AppliedChange> &applied) {
    if (!m_db)
        return;
    if (Error e = storeReferences(applied))
        logWarning(category, e.message);
    for (const AppliedChange &change : applied) {
        if (!change.written)
            continue; // GitHub did not change: the row stays as the statement found it
        const TableWriter *tableWriter = writer(change.table);
        const catalog::Collection *collection = catalog::findCollection(change.table);
        if (!tableWriter || !collection)
            continue;
        const QString table =
            m_db->quoteIdentifier(m_options.schema) + QLatin1Char('.') + m_db->quoteIdentifier(change.table);
        QStringList key;
        for (const QString &column : collection->primaryKey)
            key << m_db->quoteIdentifier(column);
        Error e;
        if (change.op == CapturedChange::Op::Delete) {
            // By the key columns of the row the statement found (id, or e.g. issue_id and label_id).
            QStringList where;
            for (const QString &column : key)
                where << QStringLiteral("t.%1 = r.%1").arg(column);
            e = m_db->run(QStringLiteral("DELETE FROM %1 t USING jsonb_populate_record(NULL::%1, $1::jsonb) r WHERE %2")
                              .arg(table, where.join(QStringLiteral(" AND "))),
                          {QJsonDocument(change.before).toJson(QJsonDocument::Compact)},
                          QStringLiteral("removing a row GitHub deleted"));
        } else {
            const QJsonObject row =
                change.row.isEmpty() ? tableWriter->rowFrom(change.object, change.before) : change.row;
            if (row.isEmpty())
                continue;
            QStringList set;
            for (const catalog::Column &column : collection->columns)
                if (!collection->primaryKey.contains(column.name))
                    set << QStringLiteral("%1 = EXCLUDED.%1").arg(m_db->quoteIdentifier(column.name));
            if (collection->hasRaw)
                set << QStringLiteral("raw = EXCLUDED.raw");
            set << QStringLiteral("_synced_at = EXCLUDED._synced_at");
            // Newer wins where the table knows when GitHub last changed a row.
            const QString newer = tableWriter->hasUpdatedAt()
                                      ? QStringLiteral(" WHERE %1.updated_at IS NULL OR %1.updated_at <="
                                                       " EXCLUDED.updated_at")
                                            .arg(table)
                                      : QString();
            e = m_db->run(QStringLiteral("INSERT INTO %1 SELECT * FROM jsonb_populate_record(NULL::%1, $1::jsonb)"
                                         " ON CONFLICT (%2) DO UPDATE SET %3%4")
                              .arg(table, key.join(QStringLiteral(", ")), set.join(QStringLiteral(", ")), newer),
                          {QJsonDocument(row).toJson(QJsonDocument::Compact)},
                          QStringLiteral("storing GitHub's answer to a write"));
        }
        if (e)
            logWarning(category, e.message);
    }
}

} // namespace hubsync::proxy
