#pragma once

// Write-through, GitHub side: turns the rows a client's statement changed in <schema>.issue (as the
// capture trigger recorded them) into GitHub API calls, and GitHub's answers into the rows to store.
// The session side (session_writethrough.cpp) runs the statement, captures, and stores; this class
// never touches the client's connection.
//
// Per captured row:
//   INSERT -> POST /repos/{o}/{r}/issues (title, body, assignees, milestone, labels), then PATCH state and
//             PUT lock when the row asks for a closed or locked issue;
//   UPDATE -> GET the issue (stale check), PATCH only the changed writable columns, PUT/DELETE lock;
//   DELETE -> GraphQL deleteIssue by node_id.
// GitHub's answer is compared with what the row asked for: a change GitHub silently dropped (labels or
// assignees without push access) is a refusal. When row k of a multi-row statement is refused, rows
// 1..k-1 are undone on GitHub where that is possible (a compensating PATCH, deleteIssue for a created
// issue; a deleted issue cannot be restored) and the DETAIL says exactly what happened to each.
// Every GitHub call is recorded in hubsync.write_log, on a connection of its own so that the record
// survives the client's rollback.

#include "core/errors.h"
#include "proxy/protocol/errorfields.h"

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

// One row the client's statement changed, as to_jsonb(OLD)/to_jsonb(NEW) in the capture trigger.
struct CapturedChange final {
    enum class Op { Insert, Update, Delete };
    Op op = Op::Update;
    QJsonObject oldRow; // Update, Delete
    QJsonObject newRow; // Insert, Update
};

// What GitHub made of one change.
struct AppliedChange final {
    CapturedChange::Op op = CapturedChange::Op::Update;
    qint64 key = 0;          // Update/Delete: the row's id as the statement found it
    qint64 repositoryId = 0; //
    QJsonObject row;         // Insert/Update: GitHub's issue as <schema>.issue columns (jsonb_populate_record)
    QJsonObject issue;       // Insert/Update: GitHub's issue as REST returned it
    int changeIndex = -1;    // which captured change this answers
    bool written = false;    // GitHub was changed (compensation undoes only these)
};

struct WriteOutcome final {
    bool ok = false;
    protocol::ErrorFields error; // !ok: ErrorResponse fields (S, V, C, M, D, H)
    QList<AppliedChange> applied;
};

// Maps an engine error from a GitHub call to the proxy's SQLSTATE (DESIGN.md "Proxy").
QByteArray sqlStateFor(const Error &error);

// The issue columns a client may change through the proxy; every other column is GitHub's to set.
QStringList writableIssueColumns();

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
    // webhook applier holds issue events (GitHub's echo of the same write).
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

    // Applies `changes` to GitHub, one after another; `done` runs exactly once, on this object's thread,
    // unless the WriteThrough is destroyed first. `client` names the proxy session in the write log.
    void apply(const QList<CapturedChange> &changes, const QString &client, std::function<void(WriteOutcome)> done);

    // Stores GitHub's answers directly (own connection, newer wins): used when the client's transaction
    // ended without them (ROLLBACK after a write GitHub accepted), so the table does not drift from GitHub.
    void reconcile(const QList<AppliedChange> &applied);

    // The users and labels GitHub's answers refer to, stored before the client's row is (foreign keys).
    Error storeReferences(const QList<AppliedChange> &applied);

    // GitHub's issue JSON as <schema>.issue column values (jsonb_populate_record input).
    QJsonObject rowFromIssue(const QJsonObject &issue, qint64 repositoryId) const;

private:
    struct Run;
    void next(const std::shared_ptr<Run> &run);
    void fail(const std::shared_ptr<Run> &run, protocol::ErrorFields error);
    void compensate(const std::shared_ptr<Run> &run);
    void finishRun(const std::shared_ptr<Run> &run);
    void applyInsert(const std::shared_ptr<Run> &run);
    void applyUpdate(const std::shared_ptr<Run> &run);
    void applyDelete(const std::shared_ptr<Run> &run);
    void afterWrite(const std::shared_ptr<Run> &run, const QJsonObject &issue);
    // Everything a statement's rows ask for, checked before the first GitHub call.
    Error validate(const QList<CapturedChange> &changes) const;
    QString repositoryPath(qint64 repositoryId, Error *error);
    QStringList loginsFor(const QJsonValue &assigneeIds, Error *error);
    // Queues one write log entry; flushLog() writes the queue in one INSERT at the next turn of the
    // event loop (while the session's next statements run) and at endWrite() at the latest.
    void log(const Run &run, const QString &operation, const QJsonObject &request, int httpStatus,
             const QJsonObject &response, const QString &outcome, const QString &error);
    void flushLog();

    github::GitHubClient &m_client;
    Options m_options;
    std::unique_ptr<pg::Connection> m_db;
    QHash<qint64, QString> m_repositoryPaths; // id -> "owner/name"
    QSet<qint64> m_storedUsers;               // stored by storeReferences() already
    QSet<qint64> m_storedLabels;
    int m_inFlight = 0;
    QJsonArray m_logQueue; // write_log rows not yet written (jsonb_to_recordset input)

public:
Q_SIGNALS:
    void busyChanged(bool busy);
};

} // namespace hubsync::proxy
