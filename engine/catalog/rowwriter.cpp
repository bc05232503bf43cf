#include "catalog/rowwriter.h"

#include "store/pg.h"

#include <QJsonArray>

#include <vector>

namespace hubsync::catalog {

namespace {

QString q(const QString &identifier) {
    QString quoted = identifier;
    quoted.replace(QLatin1Char('"'), QStringLiteral("\"\""));
    return QLatin1Char('"') + quoted + QLatin1Char('"');
}

QStringList columnNames(const Collection &c) {
    QStringList names;
    for (const Column &column : c.columns)
        names << q(column.name);
    if (c.hasRaw)
        names << QStringLiteral("raw");
    return names;
}

// The SQL types of columnNames(), in the same order.
QStringList columnTypes(const Collection &c) {
    QStringList types;
    for (const Column &column : c.columns)
        types << sqlType(column.type);
    if (c.hasRaw)
        types << QStringLiteral("jsonb");
    return types;
}

bool singleBigintKey(const Collection &c) {
    if (c.primaryKey.size() != 1)
        return false;
    for (const Column &column : c.columns) {
        if (column.name == c.primaryKey.first())
            return column.type == ColumnType::BigInt;
    }
    return false;
}

// The one statement that upserts a batch of a collection: every column arrives as a text[] parameter
// (binary format, see pg::BinaryTextArray), unnest() turns the arrays into rows and the casts give them
// their column types. The newest version of a key within the batch wins (DISTINCT ON .. ORDER BY
// updated_at DESC), then the updated_at guard keeps newer rows of the table. Prepared once per connection.
QString upsertSql(const Collection &c, const QString &table) {
    const QStringList columns = columnNames(c);
    const QStringList types = columnTypes(c);
    QStringList arrays, inputs, casts;
    for (qsizetype i = 0; i < columns.size(); ++i) {
        arrays << QStringLiteral("$%1::text[]").arg(i + 1);
        inputs << QStringLiteral("c%1").arg(i + 1);
        casts << QStringLiteral("c%1::%2 AS %3").arg(i + 1).arg(types[i], columns[i]);
    }
    QStringList keys;
    for (const QString &k : c.primaryKey)
        keys << q(k);
    const QString keyList = keys.join(QStringLiteral(", "));
    // Users are assembled from objects embedded elsewhere, some less complete than others (GraphQL
    // authors carry no site_admin or avatar): a partial object must not erase what a fuller one stored.
    const bool partialObjects = c.table == QLatin1String("user");
    QStringList assignments;
    for (const QString &column : columns) {
        if (keys.contains(column))
            continue;
        if (!partialObjects)
            assignments << column + QStringLiteral(" = excluded.") + column;
        else if (column == QLatin1String("raw"))
            assignments << QStringLiteral("raw = coalesce(t.raw, '{}') || excluded.raw");
        else
            assignments << QStringLiteral("%1 = coalesce(excluded.%1, t.%1)").arg(column);
    }
    assignments << QStringLiteral("_synced_at = now()");
    const QString order = c.hasUpdatedAt ? keyList + QStringLiteral(", updated_at DESC NULLS LAST") : keyList;
    QString sql = QStringLiteral("INSERT INTO %1 AS t (%2) SELECT DISTINCT ON (%3) %4 FROM unnest(%5) AS s(%6)"
                                 " ORDER BY %7 ON CONFLICT (%3) DO UPDATE SET %8")
                      .arg(table, columns.join(QStringLiteral(", ")), keyList, casts.join(QStringLiteral(", ")),
                           arrays.join(QStringLiteral(", ")), inputs.join(QStringLiteral(", ")), order,
                           assignments.join(QStringLiteral(", ")));
    if (c.hasUpdatedAt)
        sql += QStringLiteral(
            " WHERE t.updated_at IS NULL OR excluded.updated_at IS NULL OR excluded.updated_at >= t.updated_at");
    if (singleBigintKey(c))
        sql += QStringLiteral(" RETURNING ") + keyList;
    return sql;
}

} // namespace

RowWriter::RowWriter(pg::Connection &connection, QString schema)
    : m_connection(connection)
    , m_schema(std::move(schema)) {}

QString RowWriter::table(const QString &name) const {
    return q(m_schema) + QLatin1Char('.') + q(name);
}

Error RowWriter::begin() {
    if (Error e = m_connection.run(QStringLiteral("BEGIN")))
        return e;
    m_ownTransaction = true;
    m_pendingUsers.clear();
    return {};
}

Error RowWriter::commit() {
    const bool failed = m_connection.transactionFailed();
    m_ownTransaction = false;
    if (failed) { // COMMIT would only roll back (and say "ROLLBACK", not fail)
        rollback();
        return Error::make(Error::Kind::Database, QStringLiteral("database error: the transaction failed earlier"));
    }
    if (Error e = m_connection.run(QStringLiteral("COMMIT"))) {
        m_pendingUsers.clear();
        return e;
    }
    // Bounded: an installation with more distinct users than this just writes some of them again.
    constexpr qsizetype maxKnownUsers = 50000;
    if (m_knownUsers.size() + m_pendingUsers.size() > maxKnownUsers)
        m_knownUsers.clear();
    for (auto it = m_pendingUsers.cbegin(); it != m_pendingUsers.cend(); ++it)
        m_knownUsers.insert(it.key(), it.value());
    m_pendingUsers.clear();
    return {};
}

void RowWriter::rollback() {
    m_connection.exec(QStringLiteral("ROLLBACK"));
    m_ownTransaction = false;
    m_pendingUsers.clear();
}

Error RowWriter::upsertUsers(const QList<QJsonObject> &objects, const Collection &collection) {
    QList<QJsonObject> users;
    QSet<qint64> seen;
    for (const QJsonObject &object : objects) {
        for (const QJsonObject &user : embeddedUsers(collection, object)) {
            const auto id = qint64(user.value(QStringLiteral("id")).toDouble());
            if (seen.contains(id))
                continue;
            seen.insert(id);
            // The same few users are embedded in every page (authors, assignees): inside a transaction of
            // ours, skip a user whose identical object this writer already stored (committed, or earlier
            // in this transaction). Outside one we cannot know what will commit, so every user is written.
            if (m_ownTransaction) {
                const auto known = m_knownUsers.constFind(id);
                if (known != m_knownUsers.cend() && *known == user)
                    continue;
                const auto pending = m_pendingUsers.constFind(id);
                if (pending != m_pendingUsers.cend() && *pending == user)
                    continue;
            }
            users << user;
        }
    }
    if (users.isEmpty())
        return {};
    if (Error e = upsert(*findCollection(QStringLiteral("user")), users, MapContext{}, nullptr))
        return e;
    if (m_ownTransaction) {
        for (const QJsonObject &user : std::as_const(users))
            m_pendingUsers.insert(qint64(user.value(QStringLiteral("id")).toDouble()), user);
    }
    return {};
}

Error RowWriter::upsert(const Collection &collection, const QList<QJsonObject> &objects, const MapContext &context,
                        Outcome *outcome, const QList<QByteArray> &raw) {
    return upsert(collection, objects, QList<MapContext>(objects.size(), context), outcome, raw);
}

Error RowWriter::upsert(const Collection &collection, const QList<QJsonObject> &objects,
                        const QList<MapContext> &contexts, Outcome *outcome, const QList<QByteArray> &raw) {
    Q_ASSERT(contexts.size() == objects.size());
    Q_ASSERT(raw.isEmpty() || raw.size() == objects.size());
    Outcome local;
    Outcome &out = outcome ? *outcome : local;
    if (objects.isEmpty())
        return {};
    pg::ImplicitTransaction transaction(m_connection);
    if (Error e = transaction.begin())
        return e;
    if (!collection.userPaths.isEmpty()) {
        if (Error e = upsertUsers(objects, collection))
            return e;
    }

    // Column-wise: one text[] per column, filled row by row.
    const qsizetype width = collection.columns.size() + (collection.hasRaw ? 1 : 0);
    std::vector<pg::BinaryTextArray> columns(static_cast<size_t>(width));
    int rows = 0;
    for (qsizetype i = 0; i < objects.size(); ++i) {
        const auto row = mapRow(collection, objects[i], contexts[i], raw.isEmpty() ? nullptr : &raw[i]);
        if (!row) {
            ++out.malformed;
            continue;
        }
        for (qsizetype c = 0; c < width; ++c)
            columns[static_cast<size_t>(c)].append((*row)[c]);
        ++rows;
    }
    if (rows == 0)
        return transaction.commit();
    QList<QByteArray> params;
    params.reserve(width);
    for (pg::BinaryTextArray &column : columns)
        params << column.take();

    auto sql = m_upsertSql.constFind(collection.table);
    if (sql == m_upsertSql.cend())
        sql = m_upsertSql.insert(collection.table, upsertSql(collection, table(collection.table)));
    const pg::Result result = m_connection.execPrepared(*sql, params);
    if (!result.ok())
        return pg::databaseError(QStringLiteral("upsert into ") + collection.table, result.errorMessage());
    const bool returnIds = singleBigintKey(collection);
    const int written = returnIds ? result.rows() : int(result.affectedRows());
    out.written += written;
    out.stale += rows - written;
    if (returnIds) {
        for (int i = 0; i < result.rows(); ++i)
            out.appliedIds << result.toInt(i, 0);
    }
    return transaction.commit();
}

Error RowWriter::replaceLabels(const QString &linkTable, const QList<QJsonObject> &objects, const QSet<qint64> &owners,
                               const MapContext &context) {
    if (owners.isEmpty())
        return {};
    const Collection *link = findCollection(linkTable);
    const Collection *label = findCollection(QStringLiteral("label"));
    if (!link || !label)
        return Error::make(Error::Kind::Internal, QStringLiteral("unknown link table ") + linkTable);
    const QString ownerColumn = link->primaryKey.first();
    pg::ImplicitTransaction transaction(m_connection);
    if (Error e = transaction.begin())
        return e;

    QList<QJsonObject> labels;
    QStringList linkOwners, linkLabels;
    QStringList ownerIds;
    for (const QJsonObject &object : objects) {
        const auto owner = qint64(object.value(QStringLiteral("id")).toDouble());
        if (!owners.contains(owner))
            continue;
        for (const QJsonValue &value : object.value(QStringLiteral("labels")).toArray()) {
            const QJsonObject l = value.toObject();
            if (!l.value(QStringLiteral("id")).isDouble())
                continue;
            labels << l;
            linkOwners << QString::number(owner);
            linkLabels << QString::number(qint64(l.value(QStringLiteral("id")).toDouble()));
        }
    }
    // Labels embedded in issues are complete label objects; upserting them keeps the FK satisfied even
    // when a label was created after the label list was walked.
    if (Error e = upsert(*label, labels, context))
        return e;
    for (const qint64 id : owners)
        ownerIds << QString::number(id);
    if (Error e = m_connection.run(
            QStringLiteral("DELETE FROM %1 WHERE %2 = ANY($1::bigint[])").arg(table(linkTable), q(ownerColumn)),
            {pg::param(QLatin1Char('{') + ownerIds.join(QLatin1Char(',')) + QLatin1Char('}'))},
            QStringLiteral("label links")))
        return e;
    if (linkOwners.isEmpty())
        return transaction.commit();
    // Two parallel arrays, one statement: no staging table for what is at most a few thousand pairs.
    if (Error e = m_connection.run(
            QStringLiteral("INSERT INTO %1 (%2, label_id) SELECT DISTINCT o, l FROM unnest($1::bigint[], $2::bigint[])"
                           " AS p(o, l) ON CONFLICT DO NOTHING")
                .arg(table(linkTable), q(ownerColumn)),
            {pg::param(QLatin1Char('{') + linkOwners.join(QLatin1Char(',')) + QLatin1Char('}')),
             pg::param(QLatin1Char('{') + linkLabels.join(QLatin1Char(',')) + QLatin1Char('}'))},
            QStringLiteral("label links")))
        return e;
    return transaction.commit();
}

Error RowWriter::remove(const Collection &collection, const QList<qint64> &ids, int *removed) {
    if (ids.isEmpty())
        return {};
    if (!singleBigintKey(collection))
        return Error::make(Error::Kind::Internal, QStringLiteral("remove() needs a bigint key: ") + collection.table);
    QStringList list;
    for (const qint64 id : ids)
        list << QString::number(id);
    const pg::Result r =
        m_connection.execParams(QStringLiteral("DELETE FROM %1 WHERE %2 = ANY($1::bigint[])")
                                    .arg(table(collection.table), q(collection.primaryKey.first())),
                                {pg::param(QLatin1Char('{') + list.join(QLatin1Char(',')) + QLatin1Char('}'))});
    if (!r.ok())
        return pg::databaseError(QStringLiteral("delete from ") + collection.table, r.errorMessage());
    if (removed)
        *removed = int(r.affectedRows());
    return {};
}

} // namespace hubsync::catalog
