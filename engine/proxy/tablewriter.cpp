#include "proxy/tablewriter.h"

#include "catalog/catalog.h"
#include "github/githubresponse.h"
#include "proxy/writethrough.h"

#include <QDateTime>
#include <QJsonArray>
#include <QJsonDocument>
#include <QUrl>

#include <algorithm>

namespace hubsync::proxy {

namespace {

bool isList(const QString &column) {
    return column == QLatin1String("label_names") || column == QLatin1String("assignee_ids");
}

bool isAbsent(const QJsonValue &v) {
    return v.isNull() || v.isUndefined();
}

} // namespace

bool sameColumnValue(const QString &column, const QJsonValue &a, const QJsonValue &b) {
    // Lists compare as sets (label and assignee order means nothing to GitHub).
    if (isList(column)) {
        const auto sorted = [](const QJsonValue &v) {
            QStringList items;
            for (const QJsonValue &item : v.toArray())
                items << QString::fromUtf8(QJsonDocument(QJsonArray{item}).toJson(QJsonDocument::Compact));
            items.sort();
            return items;
        };
        const bool aEmpty = isAbsent(a) || a.toArray().isEmpty();
        const bool bEmpty = isAbsent(b) || b.toArray().isEmpty();
        if (aEmpty || bEmpty)
            return aEmpty == bEmpty;
        return sorted(a) == sorted(b);
    }
    if (isAbsent(a) && isAbsent(b))
        return true;
    if (a.isDouble() && b.isDouble())
        return qint64(a.toDouble()) == qint64(b.toDouble());
    // Timestamps come back from to_jsonb as "2026-01-01T00:00:00+00:00" and from GitHub with "Z".
    if (a.isString() && b.isString()) {
        const QDateTime da = QDateTime::fromString(a.toString(), Qt::ISODate);
        const QDateTime db = QDateTime::fromString(b.toString(), Qt::ISODate);
        if (da.isValid() && db.isValid() && a.toString().size() >= 19 && a.toString().at(4) == QLatin1Char('-'))
            return da == db;
    }
    return a == b;
}

QByteArray sqlStateFor(const Error &error) {
    switch (error.kind) {
    case Error::Kind::GitHubAuth:
    case Error::Kind::GitHubPermission:
        return QByteArrayLiteral("42501"); // insufficient_privilege
    case Error::Kind::GitHubValidation:
        // 422 is a check GitHub made on the values; other 4xx (400, 409) are bad parameters.
        return error.httpStatus == 422 || error.httpStatus == 0 ? QByteArrayLiteral("23514")
                                                                : QByteArrayLiteral("22023");
    case Error::Kind::GitHubNotFound:
        return QByteArrayLiteral("42704"); // undefined_object
    case Error::Kind::GitHubGone:
        return QByteArrayLiteral("55000"); // object_not_in_prerequisite_state
    case Error::Kind::GitHubRateLimited:
        return QByteArrayLiteral("53400"); // configuration_limit_exceeded
    default:
        return QByteArrayLiteral("58000"); // system_error: never class 08, the database connection is fine
    }
}

QString hintFor(const Error &error, const TableWriter &writer) {
    switch (error.kind) {
    case Error::Kind::GitHubPermission:
    case Error::Kind::GitHubAuth:
        return QStringLiteral("The GitHub App installation or token may not write %1 rows to this repository: grant it "
                              "%2, then retry.")
            .arg(writer.table(), writer.permission());
    case Error::Kind::GitHubValidation:
        return QStringLiteral("GitHub validated the values and refused them; correct the values and retry.");
    case Error::Kind::GitHubNotFound:
    case Error::Kind::GitHubGone:
        return QStringLiteral("The %1 or its repository no longer exists on GitHub (or the feature is turned off); "
                              "HubSync removes rows GitHub has deleted when it next syncs.")
            .arg(writer.table());
    case Error::Kind::GitHubRateLimited:
        return QStringLiteral("GitHub's API rate limit is spent; retry after it resets.");
    case Error::Kind::GitHubUnavailable:
        return QStringLiteral("GitHub could not be reached or failed; nothing was changed. Retry later.");
    default:
        return {};
    }
}

QJsonObject keyColumns(const AppliedChange &applied) {
    const catalog::Collection *collection = catalog::findCollection(applied.table);
    if (!collection || collection->primaryKey == QStringList{QStringLiteral("id")})
        return {};
    const QJsonObject &row = applied.op == CapturedChange::Op::Insert ? applied.row : applied.before;
    QJsonObject key;
    for (const QString &column : collection->primaryKey)
        key.insert(column, row.value(column));
    return key;
}

QString pathSegment(const QString &value) {
    return QString::fromLatin1(QUrl::toPercentEncoding(value));
}

// TableWriter

Error TableWriter::validate(const CapturedChange &change) const {
    switch (change.op) {
    case CapturedChange::Op::Insert:
        return checkInsert(change);
    case CapturedChange::Op::Update:
        return checkUpdate(change);
    case CapturedChange::Op::Delete:
        break;
    }
    return {};
}

Error TableWriter::checkInsert(const CapturedChange &change, const QStringList &alsoAllowed) const {
    const QJsonObject &row = change.newRow;
    if (row.contains(QStringLiteral("id")) && row.value(QStringLiteral("id")).toDouble() >= 0)
        return Error::make(Error::Kind::Usage, QStringLiteral("id is assigned by GitHub: leave it out of the INSERT"));
    const QStringList writable = writableColumns();
    const QStringList required = requiredColumns();
    for (auto it = row.begin(); it != row.end(); ++it) {
        const QString &column = it.key();
        if (column == QLatin1String("id") || column == QLatin1String("repository_id") ||
            column == QLatin1String("_synced_at") || writable.contains(column) || required.contains(column) ||
            alsoAllowed.contains(column) || isAbsent(it.value()))
            continue;
        return Error::make(Error::Kind::Usage,
                           QStringLiteral("%1 is assigned by GitHub: leave it out of the INSERT").arg(column));
    }
    if (row.contains(QStringLiteral("repository_id")) && row.value(QStringLiteral("repository_id")).toDouble() <= 0)
        return Error::make(Error::Kind::GitHubValidation,
                           QStringLiteral("a new %1 row needs repository_id (a synced repository)").arg(table()));
    for (const QString &column : required) {
        const QJsonValue v = row.value(column);
        if (isAbsent(v) || (v.isString() && v.toString().trimmed().isEmpty()))
            return Error::make(Error::Kind::GitHubValidation, QStringLiteral("a new %1 needs %2").arg(table(), column));
    }
    return {};
}

Error TableWriter::checkUpdate(const CapturedChange &change) const {
    const QStringList writable = writableColumns();
    for (auto it = change.newRow.begin(); it != change.newRow.end(); ++it) {
        if (it.key() == QLatin1String("_synced_at") || writable.contains(it.key()))
            continue;
        if (!sameColumnValue(it.key(), change.oldRow.value(it.key()), it.value()))
            return Error::make(
                Error::Kind::Usage,
                QStringLiteral("column %1 of %2 is set by GitHub and cannot be changed").arg(it.key(), table()));
    }
    return {};
}

QStringList TableWriter::insertColumns() const {
    QStringList columns{QStringLiteral("repository_id")};
    for (const QString &column : requiredColumns() + writableColumns())
        if (!columns.contains(column))
            columns << column;
    return columns;
}

QJsonObject TableWriter::rowFrom(const QJsonObject &object, const QJsonObject &captured) const {
    return tableRow(table(), object, qint64(captured.value(QStringLiteral("repository_id")).toDouble()));
}

bool TableWriter::hasUpdatedAt() const {
    const catalog::Collection *collection = catalog::findCollection(table());
    return collection && collection->hasUpdatedAt;
}

QJsonObject tableRow(const QString &table, const QJsonObject &object, qint64 repositoryId) {
    catalog::MapContext context;
    context.repositoryId = repositoryId;
    return tableRow(table, object, context);
}

QJsonObject tableRow(const QString &table, const QJsonObject &object, const catalog::MapContext &context) {
    const catalog::Collection *collection = catalog::findCollection(table);
    QJsonObject row;
    if (!collection)
        return row;
    const auto values = catalog::mapRow(*collection, object, context);
    if (!values)
        return row;
    for (qsizetype i = 0; i < collection->columns.size() && i < values->size(); ++i) {
        const catalog::Column &column = collection->columns.at(i);
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
    if (collection->hasRaw)
        row.insert(QStringLiteral("raw"), object);
    row.insert(QStringLiteral("_synced_at"), QDateTime::currentDateTimeUtc().toString(Qt::ISODateWithMs));
    return row;
}

} // namespace hubsync::proxy
