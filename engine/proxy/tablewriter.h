#pragma once

// Write-through, one unit per written table. A TableWriter knows its table's writable columns, the
// GitHub calls that apply one captured row, how to undo an applied row, and how GitHub's refusals read.
// WriteThrough (writethrough.h) runs a statement's rows through the writer of their table one after
// another, records every call, and compensates when a later row is refused; the session
// (session_writethrough.cpp) never knows which table it writes.
//
// Adding a table: a TableWriter subclass in proxy/writers/, its factory in writers.h, its capture and
// apply triggers in a migration (catalog/schema.cpp), and its webhook events in writtenEvents().

#include "core/errors.h"
#include "proxy/protocol/errorfields.h"
#include "proxy/statementgate.h" // errorFields(): the ErrorResponse of a refusal

#include <QJsonObject>
#include <QList>
#include <QPointer>
#include <QString>
#include <QStringList>

#include <functional>
#include <memory>
#include <utility>

namespace hubsync::github {
class GitHubClient;
struct GitHubResponse;
} // namespace hubsync::github

namespace hubsync::catalog {
struct MapContext;
}

namespace hubsync::proxy {

class WriteThrough;
struct WriteRun;

// One row the client's statement changed, as to_jsonb(OLD)/to_jsonb(NEW) in the capture trigger.
struct CapturedChange final {
    enum class Op { Insert, Update, Delete };
    Op op = Op::Update;
    QJsonObject oldRow; // Update, Delete
    QJsonObject newRow; // Insert, Update
    // The row as the statement found it (Update, Delete) or asked for it (Insert).
    [[nodiscard]] const QJsonObject &row() const { return op == Op::Insert ? newRow : oldRow; }
    [[nodiscard]] qint64 id() const { return qint64(row().value(QStringLiteral("id")).toDouble()); }
    [[nodiscard]] qint64 repositoryId() const {
        return qint64(row().value(QStringLiteral("repository_id")).toDouble());
    }
};

// What GitHub made of one change.
struct AppliedChange final {
    QString table; // the written table ("issue", "comment", ...)
    CapturedChange::Op op = CapturedChange::Op::Update;
    qint64 key = 0;          // Update/Delete: the row's id as the statement found it
    qint64 repositoryId = 0; //
    QJsonObject before;      // the captured row: as the statement found it, or (Insert) asked for it
    QJsonObject row;         // Insert/Update: GitHub's object as the table's columns (jsonb_populate_record)
    QJsonObject object;      // Insert/Update: GitHub's object as REST returned it
    int changeIndex = -1;    // which captured change this answers
    bool written = false;    // GitHub was changed (compensation undoes only these)
};

// One captured row on its way to GitHub (or, when undoing, back). The writer makes its GitHub calls,
// records each with log(), and ends the step with exactly one of succeed(), unchanged() and refuse()
// (applying) or undone() (undoing). Callbacks of GitHub calls go through onReply(), which drops them
// once the WriteThrough is gone.
class WriteStep final : public std::enable_shared_from_this<WriteStep> {
public:
    WriteStep(WriteThrough &owner, std::shared_ptr<WriteRun> run, int index, QString repoPath);

    [[nodiscard]] const CapturedChange &change() const;
    [[nodiscard]] const QJsonObject &row() const { return change().row(); }
    [[nodiscard]] qint64 repositoryId() const { return change().repositoryId(); }
    // "owner/name" of the row's repository.
    [[nodiscard]] const QString &repoPath() const { return m_repoPath; }
    // The row for messages ("comment 12 on issue #3"), with its place when the statement has several.
    [[nodiscard]] QString rowName() const;
    [[nodiscard]] github::GitHubClient &github() const;
    [[nodiscard]] WriteThrough &writeThrough() const { return *m_owner; }

    template <typename Fn>
    auto onReply(Fn fn) const {
        return [owner = m_alive, fn = std::move(fn)](const github::GitHubResponse &response) mutable {
            if (!owner.isNull())
                fn(response);
        };
    }

    // One GitHub call for the write log; `outcome` defaults to applied/refused by the response's error.
    void log(const QString &operation, const QJsonObject &request, const github::GitHubResponse &response,
             const QString &outcome = {});
    // GitHub has changed (a create whose follow-up call may still fail): compensation undoes it.
    void written(const QJsonObject &object);
    // GitHub accepted the row: `object` is its answer (REST shape) and the table stores it.
    void succeed(const QJsonObject &object);
    // Nothing to tell GitHub (UPDATE .. SET x = x): the row stays as it was.
    void unchanged();
    // GitHub refused, or the row cannot be applied. Rows applied before are undone.
    void refuse(protocol::ErrorFields error);
    // A refusal from a GitHub response: its message, the HTTP status and GitHub's errors in the DETAIL,
    // and the writer's hint for this kind of refusal unless `hint` is given.
    void refuse(const github::GitHubResponse &response, const QString &what, const QString &request,
                const QString &hint = {});
    // The stale check of an UPDATE: when GitHub's current `object` no longer holds what the row had in one of
    // `columns`, someone changed it on GitHub since it was synced. The table then takes GitHub's version, the
    // step is refused (40001) and this returns true.
    bool refusedAsStale(const QStringList &columns, const QJsonObject &object);
    // Undoing: what became of the row ("… was created on GitHub and deleted again").
    void undone(const QString &note);

private:
    friend class WriteThrough;
    WriteThrough *m_owner;
    QPointer<WriteThrough> m_alive;
    std::shared_ptr<WriteRun> m_run;
    int m_index;
    QString m_repoPath;
};

class TableWriter {
public:
    virtual ~TableWriter() = default;

    [[nodiscard]] virtual QString table() const = 0;
    // The columns a client may set, for the HINT of a refused statement and for UPDATE checks.
    [[nodiscard]] virtual QStringList writableColumns() const = 0;
    // Columns an INSERT must name (besides repository_id).
    [[nodiscard]] virtual QStringList requiredColumns() const { return {}; }
    // "the new comment on issue #3", "comment 1234": the row in messages.
    [[nodiscard]] virtual QString describe(const CapturedChange &change) const = 0;
    // What the row asks for that can be refused before any GitHub call. Usage errors become 0A000,
    // validation errors 23502/23514. The default checks INSERTs against writableColumns() and
    // requiredColumns(), and UPDATEs against writableColumns().
    [[nodiscard]] virtual Error validate(const CapturedChange &change) const;
    virtual void apply(const std::shared_ptr<WriteStep> &step) const = 0;
    // Undoes `applied` (written by this writer earlier in the statement); ends with step->undone().
    virtual void undo(const std::shared_ptr<WriteStep> &step, const AppliedChange &applied) const = 0;
    // The columns a new row is made of, in the order a form should ask for them (empty: no INSERT).
    [[nodiscard]] virtual QStringList insertColumns() const;
    // Whether GitHub lets a row of this table be deleted (pull requests cannot be).
    [[nodiscard]] virtual bool deletes() const { return true; }
    // The repository of a changed row (its repository_id; link tables look it up from their parent).
    [[nodiscard]] virtual qint64 repositoryOf(const CapturedChange &change, WriteThrough &writeThrough) const {
        Q_UNUSED(writeThrough);
        return change.repositoryId();
    }
    // What the App needs for this table ("issues: write"), for permission refusals.
    [[nodiscard]] virtual QString permission() const = 0;
    // GitHub's object as the table's row (jsonb_populate_record input); `captured` is the row the
    // statement found or asked for (its repository_id, and what GitHub's object does not repeat).
    [[nodiscard]] virtual QJsonObject rowFrom(const QJsonObject &object, const QJsonObject &captured) const;
    // Statements that keep other tables in step with GitHub's answers, run in the client's transaction
    // after the statement (issue_label links of an issue, label_names of issues whose label was renamed).
    // `schema` is quoted; each statement takes one parameter, filled by followUpParameter().
    [[nodiscard]] virtual QStringList followUpStatements(const QString &schema) const {
        Q_UNUSED(schema);
        return {};
    }
    [[nodiscard]] virtual QByteArray followUpParameter(const QList<AppliedChange> &applied) const {
        Q_UNUSED(applied);
        return {};
    }
    // True when GitHub's answer replaces the table's row only if it is newer (the table has updated_at).
    [[nodiscard]] bool hasUpdatedAt() const;

protected:
    // Shared checks for validate() overrides.
    Error checkInsert(const CapturedChange &change, const QStringList &alsoAllowed = {}) const;
    Error checkUpdate(const CapturedChange &change) const;
};

// The key columns of the changed row (the answer's row for an INSERT, the row found otherwise) for a
// table keyed by other columns than id (issue_label, ref); empty for tables keyed by id.
QJsonObject keyColumns(const AppliedChange &applied);
// Whether two captured column values are the same for GitHub: lists compare as sets, numbers as
// integers, timestamps as instants ("+00:00" from to_jsonb and "Z" from GitHub).
bool sameColumnValue(const QString &column, const QJsonValue &a, const QJsonValue &b);
// Maps an engine error from a GitHub call to the proxy's SQLSTATE (DESIGN.md "Proxy").
QByteArray sqlStateFor(const Error &error);
// The HINT for a kind of GitHub refusal of a write to `writer`'s table.
QString hintFor(const Error &error, const TableWriter &writer);
// "/repos/o/r/labels/" + a label name, escaped for a URL path.
QString pathSegment(const QString &value);
// A GitHub object as the row of `table`, typed like to_jsonb() of that row (numbers, booleans, jsonb
// values as JSON), so that it compares with captured rows and feeds jsonb_populate_record.
QJsonObject tableRow(const QString &table, const QJsonObject &object, qint64 repositoryId);
QJsonObject tableRow(const QString &table, const QJsonObject &object, const catalog::MapContext &context);

} // namespace hubsync::proxy
