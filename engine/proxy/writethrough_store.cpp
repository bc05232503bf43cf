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

// A GitHub object as the row of `collection`, typed like to_jsonb() of that row (numbers, booleans,
// jsonb values as JSON), so that it compares with captured rows and feeds jsonb_populate_record.
QJsonObject tableRow(const catalog::Collection &collection, const QJsonObject &object, qint64 repositoryId) {
    catalog::MapContext context;
    context.repositoryId = repositoryId;
    QJsonObject row;
    const auto values = catalog::mapRow(collection, object, context);
    if (!values)
        return row;
    for (qsizetype i = 0; i < collection.columns.size() && i < values->size(); ++i) {
        const catalog::Column &column = collection.columns.at(i);
        const std::optional<QByteArray> &value = values->at(i);
        if (!value) {
            row.insert(column.name, QJsonValue::Null);
            continue;
        }
        switch (column.type) {
        case catalog::ColumnType::Jsonb:
            row.insert(column.name, QJsonDocument::fromJson("[" + *value + "]").array().at(0));
            break;
        case catalog::ColumnType::BigInt:
        case catalog::ColumnType::Integer:
        case catalog::ColumnType::Double:
            row.insert(column.name, value->toDouble());
            break;
        case catalog::ColumnType::Boolean:
            row.insert(column.name, *value == "t");
            break;
        default:
            row.insert(column.name, QString::fromUtf8(*value));
        }
    }
    if (collection.hasRaw)
        row.insert(QStringLiteral("raw"), object);
    row.insert(QStringLiteral("_synced_at"), QDateTime::currentDateTimeUtc().toString(Qt::ISODateWithMs));
    return row;
}

} // namespace

Error WriteThrough::open() {
    auto db = std::make_unique<pg::Connection>();
    if (Error e = db->open(m_options.conninfo))
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

QJsonObject WriteThrough::rowFromIssue(const QJsonObject &issue, qint64 repositoryId) const {
    return tableRow(*catalog::findCollection(QStringLiteral("issue")), issue, repositoryId);
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

Error WriteThrough::storeReferences(const QList<AppliedChange> &applied) {
    if (!m_db)
        return Error::make(Error::Kind::Database, QStringLiteral("write-through has no database connection"));
    const QString schema = m_db->quoteIdentifier(m_options.schema);
    const catalog::Collection *users = catalog::findCollection(QStringLiteral("user"));
    const catalog::Collection *labels = catalog::findCollection(QStringLiteral("label"));
    const catalog::Collection *issues = catalog::findCollection(QStringLiteral("issue"));
    QJsonArray userRows;
    QJsonArray labelRows;
    QSet<qint64> newUsers;
    QSet<qint64> newLabels;
    for (const AppliedChange &change : applied) {
        if (change.issue.isEmpty())
            continue;
        // Rows stored once are not sent again (ON CONFLICT DO NOTHING would keep them as they are anyway).
        for (const QJsonObject &user : catalog::embeddedUsers(*issues, change.issue)) {
            const qint64 id = qint64(user.value(QStringLiteral("id")).toDouble());
            if (!m_storedUsers.contains(id)) {
                userRows.append(tableRow(*users, user, change.repositoryId));
                newUsers << id;
            }
        }
        for (const QJsonValue &label : change.issue.value(QStringLiteral("labels")).toArray()) {
            const qint64 id = qint64(label.toObject().value(QStringLiteral("id")).toDouble());
            if (label.isObject() && !m_storedLabels.contains(id)) {
                labelRows.append(tableRow(*labels, label.toObject(), change.repositoryId));
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
    const QString table = m_db->quoteIdentifier(m_options.schema) + QStringLiteral(".issue");
    for (const AppliedChange &change : applied) {
        Error e;
        if (change.op == CapturedChange::Op::Delete) {
            e = m_db->run(QStringLiteral("DELETE FROM %1 WHERE id = $1").arg(table), {pg::param(change.key)},
                          QStringLiteral("removing an issue GitHub deleted"));
        } else {
            const QJsonObject row = change.row.isEmpty() ? rowFromIssue(change.issue, change.repositoryId) : change.row;
            if (row.isEmpty())
                continue;
            QStringList set;
            const catalog::Collection *issues = catalog::findCollection(QStringLiteral("issue"));
            for (const catalog::Column &column : issues->columns)
                if (column.name != QLatin1String("id"))
                    set << QStringLiteral("%1 = EXCLUDED.%1").arg(m_db->quoteIdentifier(column.name));
            set << QStringLiteral("raw = EXCLUDED.raw") << QStringLiteral("_synced_at = EXCLUDED._synced_at");
            e = m_db->run(QStringLiteral("INSERT INTO %1 SELECT * FROM jsonb_populate_record(NULL::%1, $1::jsonb)"
                                         " ON CONFLICT (id) DO UPDATE SET %2 WHERE %1.updated_at IS NULL"
                                         " OR %1.updated_at <= EXCLUDED.updated_at")
                              .arg(table, set.join(QStringLiteral(", "))),
                          {QJsonDocument(row).toJson(QJsonDocument::Compact)},
                          QStringLiteral("storing GitHub's answer to a write"));
        }
        if (e)
            logWarning(category, e.message);
    }
}

} // namespace hubsync::proxy
