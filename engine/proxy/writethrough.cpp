#include "proxy/writethrough.h"

#include "catalog/catalog.h"
#include "core/guarded.h"
#include "core/log.h"
#include "github/githubclient.h"
#include "proxy/statementgate.h"
#include "store/pg.h"

#include <QDateTime>
#include <QJsonArray>
#include <QJsonDocument>
#include <QSet>

#include <algorithm>

namespace hubsync::proxy {

namespace {

const QString category = QStringLiteral("writethrough");

using Op = CapturedChange::Op;

// Columns a client may change, and how GitHub's PATCH names them.
struct Writable {
    const char *column;
    const char *field; // nullptr: not a PATCH field (lock goes through its own endpoint)
};
constexpr Writable writableColumns[] = {
    {"title", "title"},
    {"body", "body"},
    {"state", "state"},
    {"state_reason", "state_reason"},
    {"milestone_number", "milestone"},
    {"assignee_ids", "assignees"},
    {"label_names", "labels"},
    {"locked", nullptr},
    {"active_lock_reason", nullptr},
};
// Columns the statement may leave in any state: GitHub's answer replaces them anyway.
const QSet<QString> &ignoredColumns() {
    static const QSet<QString> set{QStringLiteral("_synced_at")};
    return set;
}

bool isWritable(const QString &column) {
    return std::any_of(std::begin(writableColumns), std::end(writableColumns),
                       [&](const Writable &w) { return column == QLatin1String(w.column); });
}

// Lists compare as sets (label and assignee order means nothing to GitHub).
bool sameValue(const QString &column, const QJsonValue &a, const QJsonValue &b) {
    if ((column == QLatin1String("label_names") || column == QLatin1String("assignee_ids"))) {
        const auto sorted = [](const QJsonValue &v) {
            QStringList items;
            for (const QJsonValue &item : v.toArray())
                items << QString::fromUtf8(QJsonDocument(QJsonArray{item}).toJson(QJsonDocument::Compact));
            items.sort();
            return items;
        };
        const bool aEmpty = a.isNull() || a.isUndefined() || a.toArray().isEmpty();
        const bool bEmpty = b.isNull() || b.isUndefined() || b.toArray().isEmpty();
        if (aEmpty || bEmpty)
            return aEmpty == bEmpty;
        return sorted(a) == sorted(b);
    }
    if ((a.isNull() || a.isUndefined()) && (b.isNull() || b.isUndefined()))
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

QString describeRow(const CapturedChange &change, int index, int count) {
    const QJsonObject &row = change.op == Op::Insert ? change.newRow : change.oldRow;
    QString what =
        change.op == Op::Insert
            ? QStringLiteral("the new issue \"%1\"").arg(row.value(QStringLiteral("title")).toString().left(60))
            : QStringLiteral("issue #%1 (id %2)")
                  .arg(qint64(row.value(QStringLiteral("number")).toDouble()))
                  .arg(qint64(row.value(QStringLiteral("id")).toDouble()));
    if (count > 1)
        what = QStringLiteral("row %1 of %2, %3").arg(index + 1).arg(count).arg(what);
    return what;
}

QString hintFor(const Error &error) {
    switch (error.kind) {
    case Error::Kind::GitHubPermission:
    case Error::Kind::GitHubAuth:
        return QStringLiteral("The GitHub App installation or token may not change issues of this repository: grant "
                              "it \"issues: write\" (and push access for labels and assignees), then retry.");
    case Error::Kind::GitHubValidation:
        return QStringLiteral("GitHub validated the values and refused them; correct the values and retry.");
    case Error::Kind::GitHubNotFound:
    case Error::Kind::GitHubGone:
        return QStringLiteral("The issue or repository no longer exists on GitHub, or issues are turned off; HubSync "
                              "removes rows GitHub has deleted when it next syncs.");
    case Error::Kind::GitHubRateLimited:
        return QStringLiteral("GitHub's API rate limit is spent; retry after it resets.");
    case Error::Kind::GitHubUnavailable:
        return QStringLiteral("GitHub could not be reached or failed; nothing was changed. Retry later.");
    default:
        return {};
    }
}

// The proxy's ErrorResponse fields (statementgate.h), named for this file's many refusals.
protocol::ErrorFields fieldsOf(QByteArrayView sqlState, const QString &message, const QString &detail,
                               const QString &hint) {
    return errorFields(sqlState, message, detail, hint);
}

const QString deleteIssueMutation =
    QStringLiteral("mutation($id: ID!) { deleteIssue(input: {issueId: $id}) { clientMutationId } }");

QString outcomeOf(const github::GitHubResponse &response) {
    return response.error ? QStringLiteral("refused") : QStringLiteral("applied");
}

// GitHub refused `request` ("PATCH /repos/o/r/issues/1"): its message, DETAIL with the HTTP status and
// GitHub's errors[], and a HINT for the kind of refusal unless the caller knows better.
protocol::ErrorFields refusal(const github::GitHubResponse &response, const QString &what, const QString &request,
                              const QString &hint = {}) {
    const Error &e = response.error;
    return fieldsOf(sqlStateFor(e), QStringLiteral("GitHub refused to %1: %2").arg(what, e.message),
                    QStringLiteral("HTTP %1 from %2.%3")
                        .arg(response.httpStatus)
                        .arg(request, e.detail.isEmpty() ? QString() : QStringLiteral(" errors: ") + e.detail),
                    hint.isEmpty() ? hintFor(e) : hint);
}

} // namespace

QStringList writableIssueColumns() {
    QStringList columns;
    for (const Writable &w : writableColumns)
        columns << QLatin1String(w.column);
    return columns;
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

struct WriteThrough::Run {
    QList<CapturedChange> changes;
    QString client;
    std::function<void(WriteOutcome)> done;
    int index = 0;
    QList<AppliedChange> applied;
    // The row being applied.
    QString repoPath;
    qint64 number = 0;
    QJsonObject patch;   // PATCH body (changed fields only)
    QStringList changed; // changed writable columns
    bool lockChange = false;
    bool lock = false;
    QString lockReason;
    // Failure and compensation.
    protocol::ErrorFields error;
    QStringList notes; // what happened to rows 1..k-1
    int undoIndex = -1;

    [[nodiscard]] const CapturedChange &change() const { return changes.at(index); }
    // "issue #12 (id 34)", with its place in the statement when there are several rows.
    [[nodiscard]] QString rowName() const { return describeRow(change(), index, int(changes.size())); }
    // The answer to the current change, before GitHub's issue is filled in.
    [[nodiscard]] AppliedChange answer(Op op, bool written) const {
        const QJsonObject &row = op == Op::Insert ? change().newRow : change().oldRow;
        AppliedChange answered;
        answered.op = op;
        answered.key = op == Op::Insert ? 0 : qint64(row.value(QStringLiteral("id")).toDouble());
        answered.repositoryId = qint64(row.value(QStringLiteral("repository_id")).toDouble());
        answered.changeIndex = index;
        answered.written = written;
        return answered;
    }
};

WriteThrough::WriteThrough(github::GitHubClient &client, Options options, QObject *parent)
    : QObject(parent)
    , m_client(client)
    , m_options(std::move(options)) {}

WriteThrough::~WriteThrough() {
    flushLog();
}

Error WriteThrough::validate(const QList<CapturedChange> &changes) const {
    static const QStringList assignedByGitHub{QStringLiteral("node_id"),         QStringLiteral("html_url"),
                                              QStringLiteral("user_id"),         QStringLiteral("comments"),
                                              QStringLiteral("created_at"),      QStringLiteral("updated_at"),
                                              QStringLiteral("closed_at"),       QStringLiteral("closed_by_id"),
                                              QStringLiteral("reactions_total"), QStringLiteral("author_association"),
                                              QStringLiteral("milestone_title"), QStringLiteral("raw")};
    for (const CapturedChange &change : changes) {
        if (change.op == Op::Insert) {
            const QJsonObject &row = change.newRow;
            if (row.value(QStringLiteral("id")).toDouble() >= 0)
                return Error::make(Error::Kind::Usage,
                                   QStringLiteral("id is assigned by GitHub: leave it out of the INSERT"));
            if (row.value(QStringLiteral("number")).toDouble() != 0)
                return Error::make(Error::Kind::Usage,
                                   QStringLiteral("number is assigned by GitHub: leave it out of the INSERT"));
            for (const QString &column : assignedByGitHub) {
                const QJsonValue v = row.value(column);
                if (!v.isNull() && !v.isUndefined())
                    return Error::make(
                        Error::Kind::Usage,
                        QStringLiteral("%1 is assigned by GitHub: leave it out of the INSERT").arg(column));
            }
            if (row.value(QStringLiteral("title")).toString().isEmpty())
                return Error::make(Error::Kind::GitHubValidation, QStringLiteral("a new issue needs a title"));
        } else if (change.op == Op::Update) {
            for (auto it = change.newRow.begin(); it != change.newRow.end(); ++it) {
                if (ignoredColumns().contains(it.key()) || isWritable(it.key()))
                    continue;
                if (!sameValue(it.key(), change.oldRow.value(it.key()), it.value()))
                    return Error::make(
                        Error::Kind::Usage,
                        QStringLiteral("column %1 of issue is set by GitHub and cannot be changed").arg(it.key()));
            }
        } else if (change.oldRow.value(QStringLiteral("node_id")).toString().isEmpty()) {
            return Error::make(Error::Kind::Usage, QStringLiteral("the issue has no node_id, which deleting it needs"));
        }
    }
    return {};
}

void WriteThrough::apply(const QList<CapturedChange> &changes, const QString &client,
                         std::function<void(WriteOutcome)> done) {
    auto run = std::make_shared<Run>();
    run->changes = changes;
    run->client = client;
    run->done = std::move(done);
    if (!m_db && open()) {
        fail(run, fieldsOf("58000", QStringLiteral("HubSync cannot record the write: its database connection failed"),
                           {}, {}));
        return;
    }
    if (Error e = validate(changes)) {
        const QByteArray state = e.kind == Error::Kind::Usage ? QByteArrayLiteral("0A000") : QByteArrayLiteral("23502");
        fail(
            run,
            fieldsOf(state, e.message,
                     QStringLiteral("Nothing was sent to GitHub. The statement changes %1 row(s).").arg(changes.size()),
                     QStringLiteral("Through the proxy, issues take title, body, state, state_reason, "
                                    "milestone_number, assignee_ids, label_names, locked and active_lock_reason.")));
        return;
    }
    next(run);
}

void WriteThrough::next(const std::shared_ptr<Run> &run) {
    if (run->index >= run->changes.size()) {
        finishRun(run);
        return;
    }
    const CapturedChange &change = run->change();
    const QJsonObject &row = change.op == Op::Insert ? change.newRow : change.oldRow;
    Error error;
    run->repoPath = repositoryPath(qint64(row.value(QStringLiteral("repository_id")).toDouble()), &error);
    if (error) {
        fail(run, fieldsOf(sqlStateFor(error), error.message, {}, {}));
        return;
    }
    run->number = qint64(row.value(QStringLiteral("number")).toDouble());
    run->patch = {};
    run->changed.clear();
    run->lockChange = false;
    switch (change.op) {
    case Op::Insert:
        applyInsert(run);
        return;
    case Op::Update:
        applyUpdate(run);
        return;
    case Op::Delete:
        applyDelete(run);
        return;
    }
}

void WriteThrough::applyInsert(const std::shared_ptr<Run> &run) {
    const QJsonObject &row = run->change().newRow;
    QJsonObject body{{QStringLiteral("title"), row.value(QStringLiteral("title"))}};
    if (row.value(QStringLiteral("body")).isString())
        body.insert(QStringLiteral("body"), row.value(QStringLiteral("body")));
    if (row.value(QStringLiteral("milestone_number")).isDouble())
        body.insert(QStringLiteral("milestone"), row.value(QStringLiteral("milestone_number")));
    if (row.value(QStringLiteral("label_names")).isArray())
        body.insert(QStringLiteral("labels"), row.value(QStringLiteral("label_names")));
    if (row.value(QStringLiteral("assignee_ids")).isArray()) {
        Error error;
        const QStringList logins = loginsFor(row.value(QStringLiteral("assignee_ids")), &error);
        if (error) {
            fail(run, fieldsOf(sqlStateFor(error), error.message, {}, {}));
            return;
        }
        body.insert(QStringLiteral("assignees"), QJsonArray::fromStringList(logins));
    }
    // What the new row asks for beyond the POST: compared with GitHub's answer like an update's fields.
    for (const char *column : {"title", "body", "label_names", "assignee_ids", "milestone_number"}) {
        const QJsonValue v = row.value(QLatin1String(column));
        if (!v.isNull() && !v.isUndefined())
            run->changed << QLatin1String(column);
    }
    const QString state = row.value(QStringLiteral("state")).toString();
    if (state == QLatin1String("closed")) {
        run->patch.insert(QStringLiteral("state"), state);
        run->changed << QStringLiteral("state");
        if (row.value(QStringLiteral("state_reason")).isString())
            run->patch.insert(QStringLiteral("state_reason"), row.value(QStringLiteral("state_reason")));
    }
    if (row.value(QStringLiteral("locked")).toBool()) {
        run->lockChange = true;
        run->lock = true;
        run->lockReason = row.value(QStringLiteral("active_lock_reason")).toString();
    }
    const QString path = QStringLiteral("/repos/%1/issues").arg(run->repoPath);
    m_client.post(
        path, QJsonDocument(body),
        whileAlive(this, [run, body, path](WriteThrough &self, const github::GitHubResponse &r) {
            self.log(*run, QStringLiteral("POST ") + path, body, r.httpStatus, r.json.object(), outcomeOf(r),
                     r.error.message);
            if (r.error) {
                self.fail(run, refusal(r, QStringLiteral("create ") + run->rowName(), QStringLiteral("POST ") + path));
                return;
            }
            const QJsonObject created = r.json.object();
            run->number = qint64(created.value(QStringLiteral("number")).toDouble());
            // Record the created issue now: if the follow-up PATCH fails, compensation deletes it.
            AppliedChange applied = run->answer(Op::Insert, true);
            applied.issue = created;
            run->applied << applied;
            self.afterWrite(run, created);
        }));
}

void WriteThrough::applyUpdate(const std::shared_ptr<Run> &run) {
    const CapturedChange &change = run->change();
    for (const Writable &w : writableColumns) {
        const QString column = QLatin1String(w.column);
        if (sameValue(column, change.oldRow.value(column), change.newRow.value(column)))
            continue;
        run->changed << column;
        if (!w.field) {
            run->lockChange = true;
            continue;
        }
        QJsonValue value = change.newRow.value(column);
        if (column == QLatin1String("assignee_ids")) {
            Error error;
            value = QJsonArray::fromStringList(loginsFor(value, &error));
            if (error) {
                fail(run, fieldsOf(sqlStateFor(error), error.message, {}, {}));
                return;
            }
        } else if (column == QLatin1String("label_names") && !value.isArray()) {
            value = QJsonArray();
        }
        run->patch.insert(QLatin1String(w.field), value);
    }
    if (run->lockChange) {
        run->lock = change.newRow.value(QStringLiteral("locked")).toBool();
        run->lockReason = change.newRow.value(QStringLiteral("active_lock_reason")).toString();
    }
    if (run->changed.isEmpty()) {
        // UPDATE ... SET title = title: nothing to tell GitHub; the row is stored as it was.
        AppliedChange same = run->answer(Op::Update, false);
        same.row = change.oldRow;
        same.issue = change.oldRow.value(QStringLiteral("raw")).toObject();
        run->applied << same;
        ++run->index;
        next(run);
        return;
    }
    run->applied << run->answer(Op::Update, false); // written once the PATCH or the lock succeeded
    // Stale check: GitHub's current values of the columns being changed must still be the ones the
    // client's row had; otherwise someone changed them on GitHub since the row was synced.
    const QString path = QStringLiteral("/repos/%1/issues/%2").arg(run->repoPath).arg(run->number);
    m_client.get(
        path, whileAlive(this, [run, path](WriteThrough &self, const github::GitHubResponse &r) {
            const CapturedChange &c = run->change();
            if (r.error) {
                self.log(*run, QStringLiteral("GET ") + path, {}, r.httpStatus, r.json.object(),
                         QStringLiteral("refused"), r.error.message);
                self.fail(run, refusal(r, QStringLiteral("update ") + run->rowName(), QStringLiteral("GET ") + path));
                return;
            }
            const QJsonObject current =
                self.rowFromIssue(r.json.object(), qint64(c.oldRow.value(QStringLiteral("repository_id")).toDouble()));
            QStringList stale;
            for (const QString &column : std::as_const(run->changed)) {
                if (!sameValue(column, current.value(column), c.oldRow.value(column)))
                    stale << column;
            }
            if (!stale.isEmpty()) {
                AppliedChange fresh;
                fresh.op = Op::Update;
                fresh.key = qint64(c.oldRow.value(QStringLiteral("id")).toDouble());
                fresh.repositoryId = qint64(c.oldRow.value(QStringLiteral("repository_id")).toDouble());
                fresh.row = current;
                fresh.issue = r.json.object();
                self.reconcile({fresh});
                self.fail(
                    run,
                    fieldsOf("40001",
                             QStringLiteral("%1 was changed on GitHub since it was synced").arg(run->rowName()),
                             QStringLiteral("GitHub now has a different %1; the table has been refreshed from GitHub.")
                                 .arg(stale.join(QStringLiteral(", "))),
                             QStringLiteral("Read the row again and repeat the change if it still applies.")));
                return;
            }
            if (run->patch.isEmpty()) {
                self.afterWrite(run, r.json.object());
                return;
            }
            self.m_client.patch(path, QJsonDocument(run->patch),
                                whileAlive(&self, [run, path](WriteThrough &me, const github::GitHubResponse &p) {
                                    me.log(*run, QStringLiteral("PATCH ") + path, run->patch, p.httpStatus,
                                           p.json.object(), outcomeOf(p), p.error.message);
                                    if (p.error) {
                                        me.fail(run, refusal(p, QStringLiteral("update ") + run->rowName(),
                                                             QStringLiteral("PATCH ") + path));
                                        return;
                                    }
                                    run->applied.last().written = true;
                                    run->applied.last().issue = p.json.object();
                                    me.afterWrite(run, p.json.object());
                                }));
        }));
}

// After the POST or PATCH: the state change a new issue needs, the lock, then the comparison of GitHub's
// answer with what the row asked for.
void WriteThrough::afterWrite(const std::shared_ptr<Run> &run, const QJsonObject &issue) {
    const CapturedChange &change = run->change();
    const QString issuePath = QStringLiteral("/repos/%1/issues/%2").arg(run->repoPath).arg(run->number);
    if (change.op == Op::Insert && !run->patch.isEmpty()) {
        const QJsonObject body = std::exchange(run->patch, QJsonObject());
        m_client.patch(issuePath, QJsonDocument(body),
                       whileAlive(this, [run, body, issuePath](WriteThrough &self, const github::GitHubResponse &r) {
                           self.log(*run, QStringLiteral("PATCH ") + issuePath, body, r.httpStatus, r.json.object(),
                                    outcomeOf(r), r.error.message);
                           if (r.error) {
                               self.fail(run, refusal(r, QStringLiteral("close the new issue"),
                                                      QStringLiteral("PATCH ") + issuePath));
                               return;
                           }
                           run->applied.last().issue = r.json.object();
                           self.afterWrite(run, r.json.object());
                       }));
        return;
    }
    if (run->lockChange) {
        run->lockChange = false;
        const QString lockPath = issuePath + QStringLiteral("/lock");
        const auto onLocked = whileAlive(this, [run, issuePath, lockPath](WriteThrough &self,
                                                                          const github::GitHubResponse &r) {
            const QString request = (run->lock ? QStringLiteral("PUT ") : QStringLiteral("DELETE ")) + lockPath;
            self.log(*run, request, {}, r.httpStatus, {}, outcomeOf(r), r.error.message);
            if (r.error) {
                self.fail(run,
                          refusal(r, run->lock ? QStringLiteral("lock the issue") : QStringLiteral("unlock the issue"),
                                  request));
                return;
            }
            run->applied.last().written = true;
            // The lock endpoints answer 204: read the issue back for the row.
            self.m_client.get(
                issuePath, whileAlive(&self, [run](WriteThrough &me, const github::GitHubResponse &g) {
                    if (g.error) {
                        me.fail(
                            run,
                            fieldsOf(sqlStateFor(g.error),
                                     QStringLiteral("GitHub did not return the locked issue: %1").arg(g.error.message),
                                     {}, hintFor(g.error)));
                        return;
                    }
                    run->applied.last().issue = g.json.object();
                    me.afterWrite(run, g.json.object());
                }));
        });
        if (run->lock) {
            QJsonObject body;
            if (!run->lockReason.isEmpty())
                body.insert(QStringLiteral("lock_reason"), run->lockReason);
            m_client.put(lockPath, body.isEmpty() ? QJsonDocument() : QJsonDocument(body), onLocked);
        } else {
            m_client.del(lockPath, onLocked);
        }
        return;
    }
    // Silent drops: every column the row changed must now hold what the row asked for.
    const qint64 repositoryId = qint64(
        (change.op == Op::Insert ? change.newRow : change.oldRow).value(QStringLiteral("repository_id")).toDouble());
    const QJsonObject answer = rowFromIssue(issue, repositoryId);
    QStringList dropped;
    for (const QString &column : std::as_const(run->changed)) {
        if (column == QLatin1String("state_reason") || column == QLatin1String("active_lock_reason"))
            continue; // GitHub fills these in itself
        if (column == QLatin1String("assignee_ids")) {
            // The row may name assignees by id; GitHub answers with the users: compare the ids.
            if (!sameValue(column, answer.value(column), change.newRow.value(column)) &&
                !std::all_of(change.newRow.value(column).toArray().begin(), change.newRow.value(column).toArray().end(),
                             [](const QJsonValue &v) { return v.isString(); }))
                dropped << column;
            continue;
        }
        if (!sameValue(column, answer.value(column), change.newRow.value(column)))
            dropped << column;
    }
    if (!dropped.isEmpty()) {
        run->applied.last().row = answer;
        run->applied.last().issue = issue;
        fail(run,
             fieldsOf("42501",
                      QStringLiteral("GitHub accepted %1 but did not apply %2")
                          .arg(run->rowName(), dropped.join(QStringLiteral(", "))),
                      QStringLiteral("GitHub ignores labels, assignees and milestones from users without push access "
                                     "to the repository, without an error."),
                      QStringLiteral("Give the token or GitHub App push access (contents: write) to change %1.")
                          .arg(dropped.join(QStringLiteral(", ")))));
        return;
    }
    run->applied.last().row = answer;
    run->applied.last().issue = issue;
    ++run->index;
    next(run);
}

void WriteThrough::applyDelete(const std::shared_ptr<Run> &run) {
    const CapturedChange &change = run->change();
    const QString nodeId = change.oldRow.value(QStringLiteral("node_id")).toString();
    const QJsonObject variables{{QStringLiteral("id"), nodeId}};
    m_client.graphql(
        deleteIssueMutation, variables,
        whileAlive(this, [run, variables](WriteThrough &self, const github::GitHubResponse &r) {
            self.log(*run, QStringLiteral("GraphQL deleteIssue"), variables, r.httpStatus, r.graphqlData, outcomeOf(r),
                     r.error.message);
            if (r.error) {
                self.fail(run,
                          refusal(r, QStringLiteral("delete ") + run->rowName(), QStringLiteral("GraphQL deleteIssue"),
                                  r.error.kind == Error::Kind::GitHubPermission
                                      ? QStringLiteral("Deleting an issue needs admin rights on the repository.")
                                      : QString()));
                return;
            }
            run->applied << run->answer(Op::Delete, true);
            ++run->index;
            self.next(run);
        }));
}

void WriteThrough::fail(const std::shared_ptr<Run> &run, protocol::ErrorFields error) {
    run->error = std::move(error);
    logInfo(category, QStringLiteral("write refused: %1").arg(QString::fromUtf8(run->error.message())),
            {{QStringLiteral("sqlstate"), QString::fromLatin1(run->error.sqlState())}});
    run->undoIndex = int(run->applied.size()) - 1;
    compensate(run);
}

// Undoes rows already applied, newest first, then answers with the refusal and a DETAIL that says what
// became of each of them.
void WriteThrough::compensate(const std::shared_ptr<Run> &run) {
    if (run->undoIndex < 0) {
        if (!run->notes.isEmpty()) {
            QByteArray detail = run->error.value(protocol::field::detail);
            if (!detail.isEmpty())
                detail += ' ';
            detail += run->notes.join(QStringLiteral("; ")).toUtf8() + '.';
            run->error.set(protocol::field::detail, detail);
        }
        WriteOutcome outcome;
        outcome.ok = false;
        outcome.error = run->error;
        run->done(outcome);
        return;
    }
    const AppliedChange applied = run->applied.at(run->undoIndex--);
    if (!applied.written || applied.changeIndex < 0 || applied.changeIndex >= run->changes.size()) {
        compensate(run);
        return;
    }
    const CapturedChange &change = run->changes.at(applied.changeIndex);
    const QString what = describeRow(change, applied.changeIndex, int(run->changes.size()));
    Error lookupError;
    const QString repo = repositoryPath(applied.repositoryId, &lookupError);
    if (applied.op == Op::Delete) {
        run->notes << QStringLiteral("%1 was deleted on GitHub and cannot be restored").arg(what);
        compensate(run);
        return;
    }
    if (applied.op == Op::Insert) {
        const QString nodeId = applied.issue.value(QStringLiteral("node_id")).toString();
        m_client.graphql(
            deleteIssueMutation, {{QStringLiteral("id"), nodeId}},
            whileAlive(this, [run, what, nodeId](WriteThrough &self, const github::GitHubResponse &r) {
                self.log(*run, QStringLiteral("GraphQL deleteIssue (undo)"), {{QStringLiteral("id"), nodeId}},
                         r.httpStatus, r.graphqlData,
                         r.error ? QStringLiteral("undo failed") : QStringLiteral("undone"), r.error.message);
                run->notes << (r.error ? QStringLiteral("%1 was created on GitHub and could not be deleted again (%2)")
                                             .arg(what, r.error.message)
                                       : QStringLiteral("%1 was created on GitHub and deleted again").arg(what));
                self.compensate(run);
            }));
        return;
    }
    // An update: PATCH the changed fields back to the row's old values.
    QJsonObject body;
    for (const Writable &w : writableColumns) {
        const QString column = QLatin1String(w.column);
        if (!w.field || sameValue(column, change.oldRow.value(column), change.newRow.value(column)))
            continue;
        QJsonValue value = change.oldRow.value(column);
        if (column == QLatin1String("assignee_ids")) {
            Error error;
            value = QJsonArray::fromStringList(loginsFor(value, &error));
        } else if (column == QLatin1String("label_names") && !value.isArray()) {
            value = QJsonArray();
        }
        body.insert(QLatin1String(w.field), value);
    }
    const QString path = QStringLiteral("/repos/%1/issues/%2")
                             .arg(repo)
                             .arg(qint64(change.oldRow.value(QStringLiteral("number")).toDouble()));
    if (body.isEmpty()) {
        run->notes << QStringLiteral("%1 stays changed on GitHub (its lock state)").arg(what);
        compensate(run);
        return;
    }
    m_client.patch(
        path, QJsonDocument(body),
        whileAlive(this, [run, what, path, body](WriteThrough &self, const github::GitHubResponse &r) {
            self.log(*run, QStringLiteral("PATCH (undo) ") + path, body, r.httpStatus, r.json.object(),
                     r.error ? QStringLiteral("undo failed") : QStringLiteral("undone"), r.error.message);
            run->notes << (r.error ? QStringLiteral("%1 was changed on GitHub and could not be changed back (%2)")
                                         .arg(what, r.error.message)
                                   : QStringLiteral("%1 was changed on GitHub and changed back").arg(what));
            self.compensate(run);
        }));
}

void WriteThrough::finishRun(const std::shared_ptr<Run> &run) {
    WriteOutcome outcome;
    outcome.ok = true;
    outcome.applied = run->applied;
    run->done(outcome);
}

void WriteThrough::log(const Run &run, const QString &operation, const QJsonObject &request, int httpStatus,
                       const QJsonObject &response, const QString &outcome, const QString &error) {
    if (!m_db)
        return;
    const CapturedChange &change = run.changes.at(std::min<int>(run.index, int(run.changes.size()) - 1));
    const QJsonObject &row = change.op == Op::Insert ? change.newRow : change.oldRow;
    const qint64 issueId = change.op == Op::Insert ? qint64(response.value(QStringLiteral("id")).toDouble())
                                                   : qint64(row.value(QStringLiteral("id")).toDouble());
    const qint64 repositoryId = qint64(row.value(QStringLiteral("repository_id")).toDouble());
    const auto orNull = [](bool present, const QJsonValue &value) { return present ? value : QJsonValue(); };
    m_logQueue.append(
        QJsonObject{{QStringLiteral("at"), QDateTime::currentDateTimeUtc().toString(Qt::ISODateWithMs)},
                    {QStringLiteral("client"), run.client},
                    {QStringLiteral("operation"), operation},
                    {QStringLiteral("repository_id"), orNull(repositoryId > 0, QString::number(repositoryId))},
                    {QStringLiteral("issue_id"), orNull(issueId > 0, QString::number(issueId))},
                    {QStringLiteral("request"), request},
                    {QStringLiteral("http_status"), orNull(httpStatus > 0, httpStatus)},
                    {QStringLiteral("response"), orNull(!response.isEmpty(), response)},
                    {QStringLiteral("outcome"), outcome},
                    {QStringLiteral("error"), orNull(!error.isEmpty(), error)}});
    if (m_logQueue.size() == 1)
        QMetaObject::invokeMethod(this, &WriteThrough::flushLog, Qt::QueuedConnection);
}

void WriteThrough::flushLog() {
    if (m_logQueue.isEmpty() || !m_db)
        return;
    const QByteArray rows = QJsonDocument(std::exchange(m_logQueue, {})).toJson(QJsonDocument::Compact);
    const Error e = m_db->run(
        QStringLiteral(
            "INSERT INTO hubsync.write_log (at, client, operation, repository_id, issue_id, request, http_status,"
            " response, outcome, error) SELECT at, client, operation, repository_id, issue_id, request, http_status,"
            " response, outcome, error FROM jsonb_to_recordset($1::jsonb) AS e(at timestamptz, client text,"
            " operation text, repository_id bigint, issue_id bigint, request jsonb, http_status int, response jsonb,"
            " outcome text, error text)"),
        {pg::Param(rows)}, QStringLiteral("recording write-through calls"));
    if (e)
        logWarning(category, e.message);
}

} // namespace hubsync::proxy
