#pragma once

// Write-through, GitHub side: turns the rows a client's statement changed in a writable table (as the
// capture trigger recorded them) into GitHub API calls, through the TableWriter of that table
// (tablewriter.h, proxy/writers/), and GitHub's answers into the rows to store. The session side
// (session_writethrough.cpp) runs the statement, captures, and stores; this class never touches the
// client's connection.
//
// The rows of a statement are applied one after another. GitHub's answer is compared with what the row
// asked for: a change GitHub silently dropped is a refusal. When row k of a multi-row statement is
// refused, rows 1..k-1 are undone on GitHub where that is possible (each writer knows how: a
// compensating PATCH, deleting what was created; a deleted object cannot be restored) and the DETAIL
// says exactly what happened to each. Every GitHub call is recorded in hubsync.write_log, on a
// connection of its own so that the record survives the client's rollback.

#include "core/errors.h"
#include "proxy/protocol/errorfields.h"
#include "proxy/tablewriter.h"

#include <QHash>
#include <QJsonArray>
#include <QJsonObject>
#include <QList>
#include <QObject>
#include <QSet>
#include <QString>
#include <QStringList>

#include <functional>
#include <memory>

namespace hubsync::github {
class GitHubClient;
}
namespace hubsync::pg {
class Connection;
}

namespace hubsync::proxy {

struct WriteOutcome final {
    bool ok = false;
    protocol::ErrorFields error; // !ok: ErrorResponse fields (S, V, C, M, D, H)
    QList<AppliedChange> applied;
};

// The tables the proxy writes through to GitHub.
QStringList writableTables();
// The columns of `table` an UPDATE through the proxy may change (empty for read-only tables).
QStringList writableColumns(const QString &table);
// The columns a new row of `table` is made of (empty: the table takes no INSERT through the proxy).
QStringList insertColumns(const QString &table);
// The written tables whose rows a DELETE through the proxy removes on GitHub.
QStringList deletableTables();
// The webhook events GitHub sends for writes to the writable tables (held while a write is in flight).
QStringList writtenEvents();

class WriteThrough final : public QObject {
    Q_OBJECT
public:
    struct Options {
        QString schema = QStringLiteral("github");
        QString conninfo; // for the write log and lookups: a connection of the write-through's own
    };

    WriteThrough(github::GitHubClient &client, Options options, QObject *parent = nullptr);
    ~WriteThrough() override;
    Q_DISABLE_COPY_MOVE(WriteThrough)

    // Sessions bracket the time from the first GitHub call to their commit: while any is inside, the
    // webhook applier holds the events of written tables (GitHub's echo of the same write).
    void beginWrite() {
        if (m_inFlight++ == 0)
            Q_EMIT busyChanged(true);
    }
    // Also writes the write log entries still queued, so a client that saw its statement complete
    // finds them.
    void endWrite() {
        flushLog();
        if (m_inFlight > 0 && --m_inFlight == 0)
            Q_EMIT busyChanged(false);
    }
    [[nodiscard]] bool isBusy() const { return m_inFlight > 0; }

    // Opens the lookup/write-log connection. Write-through refuses writes (58000) until it succeeds.
    Error open();
    // The schema as an SQL identifier (libpq's quoting), for statements the session sends.
    [[nodiscard]] QString quotedSchema() const;

    // Applies `changes` (rows of `table`) to GitHub, one after another; `done` runs exactly once, on this
    // object's thread, unless the WriteThrough is destroyed first. `client` names the proxy session in
    // the write log.
    void apply(const QString &table, const QList<CapturedChange> &changes, const QString &client,
               std::function<void(WriteOutcome)> done);

    // Stores GitHub's answers directly (own connection, newer wins): used when the client's transaction
    // ended without them (ROLLBACK after a write GitHub accepted), so the table does not drift from GitHub.
    void reconcile(const QList<AppliedChange> &applied);

    // The users and labels GitHub's answers refer to, stored before the client's row is (foreign keys).
    Error storeReferences(const QList<AppliedChange> &applied);

    // The writer of a writable table, or nullptr.
    [[nodiscard]] const TableWriter *writer(const QString &table) const;

    // Lookups for table writers, on the write-through's own connection.
    QString repositoryPath(qint64 repositoryId, Error *error);
    QStringList loginsFor(const QJsonValue &assigneeIds, Error *error);
    // One value of a synced row: column of <schema>.table WHERE key = value (empty when missing). Rows
    // are read once per statement.
    QString lookup(const QString &table, const QString &column, const QString &key, qint64 value, Error *error);

private:
    friend class WriteStep;
    void next(const std::shared_ptr<WriteRun> &run);
    void fail(const std::shared_ptr<WriteRun> &run, protocol::ErrorFields error);
    void compensate(const std::shared_ptr<WriteRun> &run);
    void finishRun(const std::shared_ptr<WriteRun> &run);
    // Everything a statement's rows ask for, checked before the first GitHub call.
    Error validate(const TableWriter &writer, const QList<CapturedChange> &changes) const;
    // Queues one write log entry; flushLog() writes the queue in one INSERT at the next turn of the
    // event loop (while the session's next statements run) and at endWrite() at the latest.
    void log(const WriteRun &run, int index, const QString &operation, const QJsonObject &request, int httpStatus,
             const QJsonObject &response, const QString &outcome, const QString &error);
    void flushLog();

    github::GitHubClient &m_client;
    Options m_options;
    std::unique_ptr<pg::Connection> m_db;
    QHash<qint64, QString> m_repositoryPaths; // id -> "owner/name"
    QHash<QString, QJsonObject> m_lookups;    // lookup(): rows read for the statement being applied
    QSet<qint64> m_storedUsers;               // stored by storeReferences() already
    QSet<qint64> m_storedLabels;
    int m_inFlight = 0;
    QJsonArray m_logQueue; // write_log rows not yet written (jsonb_to_recordset input)

public:
Q_SIGNALS:
    void busyChanged(bool busy);
};

} // namespace hubsync::proxy
