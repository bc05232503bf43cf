#pragma once

#include "core/events.h"

#include <QHash>
#include <QList>
#include <QObject>
#include <QString>
#include <QStringList>
#include <QVariant>

namespace hubsync {

// One page of a table as the browser asked for it. Plain data: it crosses from the worker thread.
struct TablePage {
    quint64 serial = 0; // the request it answers; the browser drops answers to requests it replaced
    QString table;
    QStringList columns;
    QStringList editableColumns; // columns an UPDATE through the proxy may change
    QList<QVariantList> rows;
    int offset = 0;
    qint64 total = -1;        // rows matching the filter, counted up to TableWorker::countCap
    bool totalCapped = false; // more than countCap rows match
    QString error;
};

// How PostgreSQL (or the proxy, speaking for GitHub) refused a statement.
struct SqlFailure {
    QString sqlState; // e.g. 23514, 42501, 0A000
    QString message;  // the primary message
    QString detail;
    QString hint;
    [[nodiscard]] bool isEmpty() const { return message.isEmpty() && sqlState.isEmpty(); }
    [[nodiscard]] QString text() const; // several lines, for an error panel
};

// Splits the text libpq reports for a failed statement ("ERROR:  msg\nDETAIL:  d\nHINT:  h") into its
// fields; the SQLSTATE comes separately.
SqlFailure parseSqlFailure(const QString &sqlState, const QString &libpqText);

struct TableRequest {
    quint64 serial = 0;
    QString table;
    QString filter;       // text to look for (ILIKE); empty = every row
    QString filterColumn; // one column, or empty for every text column
    QString sortColumn;   // empty = the primary key
    bool descending = false;
    int offset = 0;
    int limit = 200;
};

// One change the browser sends through the proxy: a cell of a written table, a new issue, a deleted row.
struct RowEdit {
    enum class Kind { Update, Insert, Delete };
    quint64 serial = 0;
    Kind kind = Kind::Update;
    QString table = QStringLiteral("issue"); // a table the proxy writes through
    qint64 id = 0;                           // Update/Delete: the row's id
    QString column;                          // Update: the column changed
    QVariant value;                          // Update: its new value
    QVariantMap values;                      // Insert: the new row (EngineController::insertColumns(table))
};

struct EditOutcome {
    quint64 serial = 0;
    RowEdit edit;
    bool ok = false;
    int rowsAffected = 0;
    SqlFailure failure;
};

// Runs the table browser's SQL on a thread of its own (QSqlDatabase connections belong to the thread
// that opened them), through the Qt PostgreSQL driver (QPSQL). Every read is one bounded page
// (LIMIT/OFFSET, and a count that stops at countCap); every write goes to the HubSync proxy, which
// applies edits of GitHub's tables to GitHub first and answers GitHub's refusal as a normal PostgreSQL error.
class TableWorker final : public QObject {
    Q_OBJECT
public:
    static constexpr int countCap = 100000;
    static constexpr int maxPageSize = 1000;

    explicit TableWorker(QString schema, QObject *parent = nullptr);
    ~TableWorker() override;
    Q_DISABLE_COPY_MOVE(TableWorker)

public Q_SLOTS:
    void open(const hubsync::DatabaseEndpoint &endpoint);
    void fetch(const hubsync::TableRequest &request);
    void apply(const hubsync::RowEdit &edit);
    void listRepositories(); // id and full_name, for the new-issue form
    void close();

Q_SIGNALS:
    void opened(bool ok, const QString &error);
    void pageReady(const hubsync::TablePage &page);
    void editFinished(const hubsync::EditOutcome &outcome);
    void repositoriesListed(const QList<QPair<qint64, QString>> &repositories);

private:
    struct Column {
        QString name;
        QString type;
    };
    // The table's columns, read from information_schema once per table and session (dropped again when a
    // page query fails, in case the table changed underneath).
    QList<Column> columnsOf(const QString &table, QString *error);
    // After a failed statement: true when the session itself was gone and a new one is open now.
    bool sessionLostAndReopened();
    QString literal(const QVariant &value) const;
    QString qualified(const QString &table) const;
    QString whereClause(const TableRequest &request, const QList<Column> &columns) const;

    QString m_schema;
    QString m_connectionName;
    bool m_open = false;
    QHash<QString, QList<Column>> m_columns;
};

} // namespace hubsync

Q_DECLARE_METATYPE(hubsync::TablePage)
Q_DECLARE_METATYPE(hubsync::TableRequest)
Q_DECLARE_METATYPE(hubsync::RowEdit)
Q_DECLARE_METATYPE(hubsync::EditOutcome)
