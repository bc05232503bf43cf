#include "ui/tableworker.h"

#include "facade/engine.h"

#include <QSqlDatabase>
#include <QSqlDriver>
#include <QSqlError>
#include <QSqlField>
#include <QSqlQuery>
#include <QSqlRecord>
#include <QUuid>

#include <algorithm>

namespace hubsync {

namespace {

// Bounded: a runaway filter on a huge table gives up instead of holding the browser forever.
void applySessionSettings(QSqlDatabase &db) {
    QSqlQuery(db).exec(QStringLiteral("SET statement_timeout = '30s'"));
}

// The columns of a table the proxy's write-through maps to GitHub (issue: PATCH fields, and the lock
// endpoint for locked/active_lock_reason; comment: body; ...). Everything else is GitHub's to set. Only
// the ones the table has are offered.
QStringList writableColumns(const QString &table) {
    return EngineController::writableColumns(table);
}

// Tables without the label_names column: the names of an issue's labels, read from issue_label.
constexpr auto issueLabelsColumn = "labels";

// LIKE pattern for text typed by the user: % and _ match themselves.
QString likePattern(const QString &text) {
    QString escaped = text;
    escaped.replace(QLatin1Char('!'), QStringLiteral("!!"));
    escaped.replace(QLatin1Char('%'), QStringLiteral("!%"));
    escaped.replace(QLatin1Char('_'), QStringLiteral("!_"));
    return QLatin1Char('%') + escaped + QLatin1Char('%');
}

bool isTextType(const QString &type) {
    return type == QStringLiteral("text") || type == QStringLiteral("character varying");
}

} // namespace

QString SqlFailure::text() const {
    QString out = sqlState.isEmpty() ? message : QStringLiteral("%1 (SQLSTATE %2)").arg(message, sqlState);
    if (!detail.isEmpty())
        out += QStringLiteral("\nDetail: ") + detail;
    if (!hint.isEmpty())
        out += QStringLiteral("\nHint: ") + hint;
    return out;
}

SqlFailure parseSqlFailure(const QString &sqlState, const QString &libpqText) {
    SqlFailure failure;
    failure.sqlState = sqlState;
    QString text = libpqText;
    // QPSQL appends "(SQLSTATE)" to libpq's message.
    if (!sqlState.isEmpty() && text.trimmed().endsWith(QStringLiteral("(%1)").arg(sqlState)))
        text = text.trimmed().chopped(sqlState.size() + 2);
    QString *current = &failure.message;
    for (const QString &rawLine : text.split(QLatin1Char('\n'))) {
        const QString line = rawLine.trimmed();
        if (line.isEmpty())
            continue;
        static const QStringList severities = {QStringLiteral("ERROR:"), QStringLiteral("FATAL:"),
                                               QStringLiteral("PANIC:")};
        bool matched = false;
        for (const QString &severity : severities) {
            if (line.startsWith(severity)) {
                current = &failure.message;
                *current = line.mid(severity.size()).trimmed();
                matched = true;
            }
        }
        if (matched)
            continue;
        if (line.startsWith(QStringLiteral("DETAIL:"))) {
            current = &failure.detail;
            *current = line.mid(7).trimmed();
        } else if (line.startsWith(QStringLiteral("HINT:"))) {
            current = &failure.hint;
            *current = line.mid(5).trimmed();
        } else if (line.startsWith(QStringLiteral("LINE ")) || line.startsWith(QLatin1Char('^'))) {
            continue; // position markers of syntax errors
        } else {
            *current += (current->isEmpty() ? QString() : QStringLiteral(" ")) + line;
        }
    }
    if (failure.message.isEmpty())
        failure.message = libpqText.trimmed();
    return failure;
}

TableWorker::TableWorker(QString schema, QObject *parent)
    : QObject(parent)
    , m_schema(std::move(schema))
    , m_connectionName(QStringLiteral("hubsync-browser-") + QUuid::createUuid().toString(QUuid::WithoutBraces)) {}

TableWorker::~TableWorker() {
    close();
}

void TableWorker::open(const DatabaseEndpoint &endpoint) {
    close();
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QPSQL"), m_connectionName);
        db.setHostName(endpoint.host);
        db.setPort(endpoint.port);
        db.setDatabaseName(endpoint.database);
        db.setUserName(endpoint.user);
        db.setPassword(endpoint.password);
        db.setConnectOptions(QStringLiteral("connect_timeout=10;application_name=hubsync-browser"));
        if (!db.open()) {
            const QString error = db.lastError().text();
            db = QSqlDatabase();
            QSqlDatabase::removeDatabase(m_connectionName);
            Q_EMIT opened(false, error);
            return;
        }
        applySessionSettings(db);
    }
    m_open = true;
    Q_EMIT opened(true, {});
}

bool TableWorker::sessionLostAndReopened() {
    QSqlDatabase db = QSqlDatabase::database(m_connectionName, false);
    if (db.isOpen() && QSqlQuery(db).exec(QStringLiteral("SELECT 1")))
        return false; // the session is fine: the statement itself failed
    // The proxy or the server ended the session (a restart): the same connection opens a new one, for
    // this request and the next.
    db.close();
    m_columns.clear();
    if (!db.open())
        return false;
    applySessionSettings(db);
    return true;
}

void TableWorker::close() {
    m_columns.clear();
    if (!m_open)
        return;
    m_open = false;
    QSqlDatabase::database(m_connectionName, false).close();
    QSqlDatabase::removeDatabase(m_connectionName);
}

QString TableWorker::qualified(const QString &table) const {
    const QSqlDriver *driver = QSqlDatabase::database(m_connectionName, false).driver();
    return driver->escapeIdentifier(m_schema, QSqlDriver::TableName) + QLatin1Char('.') +
           driver->escapeIdentifier(table, QSqlDriver::TableName);
}

QString TableWorker::literal(const QVariant &value) const {
    if (value.isNull())
        return QStringLiteral("NULL");
    QSqlField field(QStringLiteral("v"), value.metaType());
    field.setValue(value);
    return QSqlDatabase::database(m_connectionName, false).driver()->formatValue(field);
}

QList<TableWorker::Column> TableWorker::columnsOf(const QString &table, QString *error) {
    const auto cached = m_columns.constFind(table);
    if (cached != m_columns.cend())
        return *cached;
    QSqlQuery q(QSqlDatabase::database(m_connectionName, false));
    if (!q.exec(QStringLiteral("SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = %1"
                               " AND table_name = %2 ORDER BY ordinal_position")
                    .arg(literal(m_schema), literal(table)))) {
        *error = q.lastError().text();
        return {};
    }
    QList<Column> columns;
    while (q.next())
        columns << Column{q.value(0).toString(), q.value(1).toString()};
    if (columns.isEmpty())
        *error = tr("table %1.%2 does not exist").arg(m_schema, table);
    else
        m_columns.insert(table, columns);
    return columns;
}

QString TableWorker::whereClause(const TableRequest &request, const QList<Column> &columns) const {
    if (request.filter.isEmpty())
        return {};
    const QSqlDriver *driver = QSqlDatabase::database(m_connectionName, false).driver();
    const QString pattern = literal(likePattern(request.filter));
    QStringList terms;
    for (const Column &c : columns) {
        const bool chosen = request.filterColumn.isEmpty() ? isTextType(c.type) : c.name == request.filterColumn;
        if (chosen && c.name != QStringLiteral("raw"))
            terms << QStringLiteral("t.%1::text ILIKE %2 ESCAPE '!'")
                         .arg(driver->escapeIdentifier(c.name, QSqlDriver::FieldName), pattern);
    }
    return terms.isEmpty() ? QStringLiteral(" WHERE false")
                           : QStringLiteral(" WHERE (") + terms.join(QStringLiteral(" OR ")) + QLatin1Char(')');
}

void TableWorker::fetch(const TableRequest &request) {
    TablePage page;
    page.serial = request.serial;
    page.table = request.table;
    page.offset = std::max(0, request.offset);
    if (!m_open) {
        page.error = tr("not connected to the database");
        Q_EMIT pageReady(page);
        return;
    }
    QList<Column> columns = columnsOf(request.table, &page.error);
    if (columns.isEmpty() && sessionLostAndReopened()) {
        page.error.clear();
        columns = columnsOf(request.table, &page.error);
    }
    if (columns.isEmpty()) {
        Q_EMIT pageReady(page);
        return;
    }
    const QSqlDatabase db = QSqlDatabase::database(m_connectionName, false);
    const QSqlDriver *driver = db.driver();
    const bool isIssue = request.table == QStringLiteral("issue");
    QStringList select;
    QStringList names;
    bool hasId = false;
    bool hasLabels = false;
    for (const Column &c : columns) {
        if (c.name == QStringLiteral("raw"))
            continue; // the whole GitHub payload: too big for a grid, and every field is a column already
        const QString quoted = QStringLiteral("t.") + driver->escapeIdentifier(c.name, QSqlDriver::FieldName);
        select << (c.type == QStringLiteral("jsonb") ? quoted + QStringLiteral("::text") : quoted);
        names << c.name;
        hasId = hasId || c.name == QStringLiteral("id");
        hasLabels = hasLabels || c.name == QStringLiteral("label_names");
        if (writableColumns(request.table).contains(c.name))
            page.editableColumns << c.name;
    }
    if (isIssue && !hasLabels) {
        select << QStringLiteral("(SELECT string_agg(l.name, ', ' ORDER BY l.name) FROM %1 il JOIN %2 l ON l.id ="
                                 " il.label_id WHERE il.issue_id = t.id)")
                      .arg(qualified(QStringLiteral("issue_label")), qualified(QStringLiteral("label")));
        names << QLatin1String(issueLabelsColumn);
    }
    // Sort by the chosen column, then by a unique key so pages neither overlap nor skip rows.
    QStringList order;
    if (!request.sortColumn.isEmpty() && names.contains(request.sortColumn)) {
        const int at = int(names.indexOf(request.sortColumn));
        order << QStringLiteral("%1 %2").arg(at + 1).arg(request.descending ? QStringLiteral("DESC NULLS LAST")
                                                                            : QStringLiteral("ASC NULLS FIRST"));
    }
    order << (hasId ? QStringLiteral("t.id") : QStringLiteral("t.ctid"));
    const QString where = whereClause(request, columns);
    const int limit = std::clamp(request.limit, 1, maxPageSize);
    const QString pageSql =
        QStringLiteral("SELECT %1 FROM %2 t%3 ORDER BY %4 LIMIT %5 OFFSET %6")
            .arg(select.join(QStringLiteral(", ")), qualified(request.table), where, order.join(QStringLiteral(", ")))
            .arg(limit)
            .arg(page.offset);
    QSqlQuery q(db);
    q.setForwardOnly(true);
    bool read = q.exec(pageSql);
    if (!read && sessionLostAndReopened()) { // a read may simply run again on the new session
        q = QSqlQuery(QSqlDatabase::database(m_connectionName, false));
        q.setForwardOnly(true);
        read = q.exec(pageSql);
    }
    if (!read) {
        m_columns.remove(request.table);
        page.error = parseSqlFailure(q.lastError().nativeErrorCode(), q.lastError().databaseText()).text();
        Q_EMIT pageReady(page);
        return;
    }
    while (q.next()) {
        QVariantList row;
        row.reserve(names.size());
        for (int i = 0; i < names.size(); ++i)
            row << q.value(i);
        page.rows << row;
    }
    // Counting a huge table's matches is bounded: past countCap the browser says "more than".
    QSqlQuery count(QSqlDatabase::database(m_connectionName, false));
    if (count.exec(QStringLiteral("SELECT count(*) FROM (SELECT 1 FROM %1 t%2 LIMIT %3) s")
                       .arg(qualified(request.table), where)
                       .arg(countCap + 1)) &&
        count.next()) {
        page.total = std::min<qint64>(count.value(0).toLongLong(), countCap);
        page.totalCapped = count.value(0).toLongLong() > countCap;
    }
    page.columns = names;
    Q_EMIT pageReady(page);
}

void TableWorker::apply(const RowEdit &edit) {
    EditOutcome outcome;
    outcome.serial = edit.serial;
    outcome.edit = edit;
    if (!m_open) {
        outcome.failure.message = tr("not connected to the database");
        Q_EMIT editFinished(outcome);
        return;
    }
    const QSqlDatabase db = QSqlDatabase::database(m_connectionName, false);
    const QString table = qualified(edit.table);
    QString sql;
    switch (edit.kind) {
    case RowEdit::Kind::Update:
        if (!writableColumns(edit.table).contains(edit.column)) {
            outcome.failure.message = tr("the column %1 of %2 cannot be edited").arg(edit.column, edit.table);
            Q_EMIT editFinished(outcome);
            return;
        }
        sql = QStringLiteral("UPDATE %1 SET %2 = %3 WHERE id = %4")
                  .arg(table, db.driver()->escapeIdentifier(edit.column, QSqlDriver::FieldName), literal(edit.value))
                  .arg(edit.id);
        break;
    case RowEdit::Kind::Insert: {
        const QStringList allowed = EngineController::insertColumns(edit.table);
        QStringList columns;
        QStringList values;
        for (auto it = edit.values.cbegin(); it != edit.values.cend(); ++it) {
            if (!allowed.contains(it.key())) {
                outcome.failure.message = tr("a new %1 row does not take %2").arg(edit.table, it.key());
                Q_EMIT editFinished(outcome);
                return;
            }
            columns << db.driver()->escapeIdentifier(it.key(), QSqlDriver::FieldName);
            values << literal(it.value());
        }
        if (columns.isEmpty()) {
            outcome.failure.message = tr("rows of %1 cannot be created here").arg(edit.table);
            Q_EMIT editFinished(outcome);
            return;
        }
        sql = QStringLiteral("INSERT INTO %1 (%2) VALUES (%3)")
                  .arg(table, columns.join(QStringLiteral(", ")), values.join(QStringLiteral(", ")));
        break;
    }
    case RowEdit::Kind::Delete:
        if (!EngineController::deletableTables().contains(edit.table)) {
            outcome.failure.message = tr("rows of %1 cannot be deleted").arg(edit.table);
            Q_EMIT editFinished(outcome);
            return;
        }
        sql = QStringLiteral("DELETE FROM %1 WHERE id = %2").arg(table).arg(edit.id);
        break;
    }
    // One simple-protocol statement with driver-escaped literals: the proxy classifies it, applies it to
    // GitHub, and only then lets it change the row.
    QSqlQuery q(db);
    if (!q.exec(sql)) {
        outcome.failure = parseSqlFailure(q.lastError().nativeErrorCode(), q.lastError().databaseText());
        // A write is never sent again by itself: whether GitHub took it is not known once the session
        // broke. The next request gets a new session; the user refreshes and sees what holds.
        if (sessionLostAndReopened())
            outcome.failure.message = tr("the connection to HubSync's proxy was lost during the edit, which may or "
                                         "may not have reached GitHub; refresh to see what holds (%1)")
                                          .arg(outcome.failure.message);
    } else {
        outcome.ok = true;
        outcome.rowsAffected = q.numRowsAffected();
    }
    Q_EMIT editFinished(outcome);
}

void TableWorker::listRepositories() {
    QList<QPair<qint64, QString>> list;
    if (m_open) {
        QSqlQuery q(QSqlDatabase::database(m_connectionName, false));
        if (q.exec(QStringLiteral("SELECT id, full_name FROM %1 ORDER BY full_name LIMIT 10000")
                       .arg(qualified(QStringLiteral("repository"))))) {
            while (q.next())
                list << qMakePair(q.value(0).toLongLong(), q.value(1).toString());
        }
    }
    Q_EMIT repositoriesListed(list);
}

} // namespace hubsync
