#include "catalog/rowwriter.h"

#include "store/pg.h"

#include <QJsonArray>

namespace hubsync::catalog {

namespace {

QString q(const QString &identifier) {
    QString quoted = identifier;
    quoted.replace(QLatin1Char('"'), QStringLiteral("\"\""));
    return QLatin1Char('"') + quoted + QLatin1Char('"');
}

QString stageName(const Collection &c) {
    return QStringLiteral("_hubsync_stage_") + c.table;
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

void appendCopyRow(QByteArray &data, const QList<std::optional<QByteArray>> &row) {
    for (qsizetype i = 0; i < row.size(); ++i) {
        if (i)
            data += '\t';
        if (row[i])
            pg::copyEscape(data, *row[i]);
        else
            data += "\\N";
    }
    data += '\n';
}

} // namespace

RowWriter::RowWriter(pg::Connection &connection, QString schema)
    : m_connection(connection)
    , m_schema(std::move(schema)) {}

QString RowWriter::table(const QString &name) const {
    return q(m_schema) + QLatin1Char('.') + q(name);
}

Error RowWriter::ensureStage(const Collection &collection) {
    // Not cached: a rolled-back transaction also drops a stage created in it. IF NOT EXISTS is one cheap
    // round trip (its NOTICE is silenced by pg::Connection).
    // ON COMMIT DELETE ROWS: every transaction starts with an empty stage. Constraints are not copied
    // (only NOT NULL, which mapRow() already guarantees, and defaults for _synced_at).
    const QString sql =
        QStringLiteral("CREATE TEMP TABLE IF NOT EXISTS %1 (LIKE %2 INCLUDING DEFAULTS) ON COMMIT DELETE ROWS")
            .arg(q(stageName(collection)), table(collection.table));
    return m_connection.run(sql, {}, QStringLiteral("staging table for ") + collection.table);
}

Error RowWriter::upsertUsers(const QList<QJsonObject> &users) {
    if (users.isEmpty())
        return {};
    const Collection *userCollection = findCollection(QStringLiteral("user"));
    return upsert(*userCollection, users, MapContext{}, nullptr);
}

Error RowWriter::upsert(const Collection &collection, const QList<QJsonObject> &objects, const MapContext &context,
                        Outcome *outcome) {
    return upsert(collection, objects, QList<MapContext>(objects.size(), context), outcome);
}

Error RowWriter::upsert(const Collection &collection, const QList<QJsonObject> &objects,
                        const QList<MapContext> &contexts, Outcome *outcome) {
    Q_ASSERT(contexts.size() == objects.size());
    Outcome local;
    Outcome &out = outcome ? *outcome : local;
    if (objects.isEmpty())
        return {};
    // Staging tables empty themselves at commit, so the COPY and the INSERT must share a transaction.
    pg::ImplicitTransaction transaction(m_connection);
    if (Error e = transaction.begin())
        return e;

    if (!collection.userPaths.isEmpty()) {
        QList<QJsonObject> users;
        QSet<qint64> seen;
        for (const QJsonObject &object : objects) {
            for (const QJsonObject &user : embeddedUsers(collection, object)) {
                const auto id = qint64(user.value(QStringLiteral("id")).toDouble());
                if (!seen.contains(id)) {
                    seen.insert(id);
                    users << user;
                }
            }
        }
        if (Error e = upsertUsers(users))
            return e;
    }

    QList<QList<std::optional<QByteArray>>> mapped;
    mapped.reserve(objects.size());
    for (qsizetype i = 0; i < objects.size(); ++i) {
        auto row = mapRow(collection, objects[i], contexts[i]);
        if (!row) {
            ++out.malformed;
            continue;
        }
        mapped << std::move(*row);
    }
    const int rows = int(mapped.size());
    if (rows == 0)
        return transaction.commit();
    const QStringList columns = columnNames(collection);
    const QString columnList = columns.join(QStringLiteral(", "));
    // A few rows (a webhook, a poll that found one change) go in one parameterised statement; pages go
    // through COPY into a staging table, which costs a few fixed round trips but scales.
    const bool small = rows <= m_smallBatchRows;
    QString source;
    pg::Params params;
    if (small) {
        const QStringList types = columnTypes(collection);
        QStringList tuples;
        for (const auto &row : std::as_const(mapped)) {
            QStringList placeholders;
            for (qsizetype c = 0; c < row.size(); ++c) {
                params << row[c];
                placeholders << QStringLiteral("$%1::%2").arg(params.size()).arg(types.value(c));
            }
            tuples << QLatin1Char('(') + placeholders.join(QStringLiteral(", ")) + QLatin1Char(')');
        }
        source = QStringLiteral("(VALUES %1) AS v (%2)").arg(tuples.join(QStringLiteral(", ")), columnList);
    } else {
        if (Error e = ensureStage(collection))
            return e;
        QByteArray data;
        data.reserve(rows * 2048);
        for (const auto &row : std::as_const(mapped))
            appendCopyRow(data, row);
        if (Error e = m_connection.copyIn(
                QStringLiteral("COPY %1 (%2) FROM STDIN").arg(q(stageName(collection)), columnList), data))
            return e;
        source = q(stageName(collection));
    }

    QStringList keys;
    for (const QString &k : collection.primaryKey)
        keys << q(k);
    const QString keyList = keys.join(QStringLiteral(", "));
    QStringList assignments;
    for (const QString &column : columns) {
        if (!keys.contains(column))
            assignments << column + QStringLiteral(" = excluded.") + column;
    }
    assignments << QStringLiteral("_synced_at = now()");
    // The newest version of a key within the batch wins, then the updated_at guard against the table.
    const QString order = collection.hasUpdatedAt ? keyList + QStringLiteral(", updated_at DESC NULLS LAST") : keyList;
    QString sql =
        QStringLiteral("INSERT INTO %1 AS t (%2) SELECT DISTINCT ON (%3) %2 FROM %4 ORDER BY %5 "
                       "ON CONFLICT (%3) DO UPDATE SET %6")
            .arg(table(collection.table), columnList, keyList, source, order, assignments.join(QStringLiteral(", ")));
    if (collection.hasUpdatedAt)
        sql += QStringLiteral(
            " WHERE t.updated_at IS NULL OR excluded.updated_at IS NULL OR excluded.updated_at >= t.updated_at");
    const bool returnIds = singleBigintKey(collection);
    if (returnIds)
        sql += QStringLiteral(" RETURNING ") + keyList;
    const pg::Result result = small ? m_connection.execParams(sql, params) : m_connection.exec(sql);
    if (!result.ok())
        return pg::databaseError(QStringLiteral("upsert into ") + collection.table, result.errorMessage());
    const int written = returnIds ? result.rows() : int(result.affectedRows());
    out.written += written;
    out.stale += rows - written;
    if (returnIds) {
        for (int i = 0; i < result.rows(); ++i)
            out.appliedIds << result.toInt(i, 0);
    }
    // Empty the stage now: the same transaction may upsert this collection again. (Not DELETE: temp
    // tables are never vacuumed, so dead rows would pile up and slow every later page.)
    if (!small) {
        if (Error e = m_connection.run(QStringLiteral("TRUNCATE ") + q(stageName(collection)), {},
                                       QStringLiteral("stage reset")))
            return e;
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
