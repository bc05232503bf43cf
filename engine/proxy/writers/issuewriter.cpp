// Writes to <schema>.issue:
//   INSERT -> POST /repos/{o}/{r}/issues (title, body, assignees, milestone, labels), then PATCH state and
//             PUT lock when the row asks for a closed or locked issue;
//   UPDATE -> GET the issue (stale check), PATCH only the changed writable columns, PUT/DELETE lock;
//   DELETE -> GraphQL deleteIssue by node_id.
// A change GitHub silently dropped (labels or assignees without push access) is a refusal.
// Undo: a compensating PATCH for an update, deleteIssue for a created issue; a deleted issue stays deleted.

#include "github/githubclient.h"
#include "proxy/writers/writers.h"
#include "proxy/writethrough.h"

#include <QJsonArray>
#include <QJsonDocument>

#include <algorithm>

namespace hubsync::proxy {

namespace {

using Op = CapturedChange::Op;

// Columns a client may change, and how GitHub's PATCH names them.
struct Writable {
    const char *column;
    const char *field; // nullptr: not a PATCH field (lock goes through its own endpoint)
};
constexpr Writable issueColumns[] = {
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

const QString deleteIssueMutation =
    QStringLiteral("mutation($id: ID!) { deleteIssue(input: {issueId: $id}) { clientMutationId } }");

// One issue row on its way: what the writer decided to send.
struct IssueCall {
    std::shared_ptr<WriteStep> step;
    qint64 number = 0;
    QJsonObject patch;   // PATCH body (changed fields only)
    QStringList changed; // changed writable columns
    bool lockChange = false;
    bool lock = false;
    QString lockReason;

    [[nodiscard]] QString issuePath() const {
        return QStringLiteral("/repos/%1/issues/%2").arg(step->repoPath()).arg(number);
    }
};
using CallPtr = std::shared_ptr<IssueCall>;

class IssueWriter final : public TableWriter {
public:
    QString table() const override { return QStringLiteral("issue"); }
    QStringList writableColumns() const override {
        QStringList columns;
        for (const Writable &w : issueColumns)
            columns << QLatin1String(w.column);
        return columns;
    }
    QStringList requiredColumns() const override { return {QStringLiteral("title")}; }
    QString permission() const override {
        return QStringLiteral("\"issues: write\" (and push access for labels and assignees)");
    }
    QStringList insertColumns() const override {
        return {QStringLiteral("repository_id"), QStringLiteral("title"), QStringLiteral("body")};
    }

    QString describe(const CapturedChange &change) const override {
        const QJsonObject &row = change.row();
        if (change.op == Op::Insert)
            return QStringLiteral("the new issue \"%1\"").arg(row.value(QStringLiteral("title")).toString().left(60));
        return QStringLiteral("issue #%1 (id %2)")
            .arg(qint64(row.value(QStringLiteral("number")).toDouble()))
            .arg(change.id());
    }

    Error validate(const CapturedChange &change) const override {
        if (change.op == Op::Insert && change.newRow.value(QStringLiteral("number")).toDouble() != 0)
            return Error::make(Error::Kind::Usage,
                               QStringLiteral("number is assigned by GitHub: leave it out of the INSERT"));
        if (change.op == Op::Insert)
            return checkInsert(change, {QStringLiteral("number")});
        if (change.op == Op::Delete && change.oldRow.value(QStringLiteral("node_id")).toString().isEmpty())
            return Error::make(Error::Kind::Usage, QStringLiteral("the issue has no node_id, which deleting it needs"));
        return TableWriter::validate(change);
    }

    void apply(const std::shared_ptr<WriteStep> &step) const override {
        auto call = std::make_shared<IssueCall>();
        call->step = step;
        call->number = qint64(step->row().value(QStringLiteral("number")).toDouble());
        switch (step->change().op) {
        case Op::Insert:
            applyInsert(call);
            return;
        case Op::Update:
            applyUpdate(call);
            return;
        case Op::Delete:
            applyDelete(call);
            return;
        }
    }

    void undo(const std::shared_ptr<WriteStep> &step, const AppliedChange &applied) const override;

    QStringList followUpStatements(const QString &schema) const override {
        return {QStringLiteral("DELETE FROM %1.issue_label l USING jsonb_array_elements($1::jsonb) a"
                               " WHERE l.issue_id = (a->>'id')::bigint AND NOT l.label_id = ANY(ARRAY(SELECT"
                               " jsonb_array_elements_text(a->'labels')::bigint))")
                    .arg(schema),
                QStringLiteral("INSERT INTO %1.issue_label (issue_id, label_id) SELECT (a->>'id')::bigint, l::bigint"
                               " FROM jsonb_array_elements($1::jsonb) a, jsonb_array_elements_text(a->'labels') l"
                               " ON CONFLICT DO NOTHING")
                    .arg(schema)};
    }
    // The issue_label links of the issues GitHub answered (the label rows themselves were stored by
    // WriteThrough::storeReferences).
    QByteArray followUpParameter(const QList<AppliedChange> &applied) const override {
        QJsonArray links;
        for (const AppliedChange &change : applied) {
            if (change.op == Op::Delete || change.object.isEmpty())
                continue;
            QJsonArray ids;
            for (const QJsonValue &label : change.object.value(QStringLiteral("labels")).toArray())
                if (label.toObject().value(QStringLiteral("id")).isDouble())
                    ids.append(label.toObject().value(QStringLiteral("id")));
            links.append(QJsonObject{{QStringLiteral("id"), change.object.value(QStringLiteral("id"))},
                                     {QStringLiteral("labels"), ids}});
        }
        return links.isEmpty() ? QByteArray() : QJsonDocument(links).toJson(QJsonDocument::Compact);
    }

private:
    void applyInsert(const CallPtr &call) const;
    void applyUpdate(const CallPtr &call) const;
    void applyDelete(const CallPtr &call) const;
    void afterWrite(const CallPtr &call, const QJsonObject &issue) const;
    void lockThenCheck(const CallPtr &call) const;
    void checkDropped(const CallPtr &call, const QJsonObject &issue) const;
};

void IssueWriter::applyInsert(const CallPtr &call) const {
    WriteStep &step = *call->step;
    const QJsonObject &row = step.change().newRow;
    QJsonObject body{{QStringLiteral("title"), row.value(QStringLiteral("title"))}};
    if (row.value(QStringLiteral("body")).isString())
        body.insert(QStringLiteral("body"), row.value(QStringLiteral("body")));
    if (row.value(QStringLiteral("milestone_number")).isDouble())
        body.insert(QStringLiteral("milestone"), row.value(QStringLiteral("milestone_number")));
    if (row.value(QStringLiteral("label_names")).isArray())
        body.insert(QStringLiteral("labels"), row.value(QStringLiteral("label_names")));
    if (row.value(QStringLiteral("assignee_ids")).isArray()) {
        Error error;
        const QStringList logins = step.writeThrough().loginsFor(row.value(QStringLiteral("assignee_ids")), &error);
        if (error) {
            step.refuse(errorFields(sqlStateFor(error), error.message));
            return;
        }
        body.insert(QStringLiteral("assignees"), QJsonArray::fromStringList(logins));
    }
    // What the new row asks for beyond the POST: compared with GitHub's answer like an update's fields.
    for (const char *column : {"title", "body", "label_names", "assignee_ids", "milestone_number"}) {
        const QJsonValue v = row.value(QLatin1String(column));
        if (!v.isNull() && !v.isUndefined())
            call->changed << QLatin1String(column);
    }
    const QString state = row.value(QStringLiteral("state")).toString();
    if (state == QLatin1String("closed")) {
        call->patch.insert(QStringLiteral("state"), state);
        call->changed << QStringLiteral("state");
        if (row.value(QStringLiteral("state_reason")).isString())
            call->patch.insert(QStringLiteral("state_reason"), row.value(QStringLiteral("state_reason")));
    }
    if (row.value(QStringLiteral("locked")).toBool()) {
        call->lockChange = true;
        call->lock = true;
        call->lockReason = row.value(QStringLiteral("active_lock_reason")).toString();
    }
    const QString path = QStringLiteral("/repos/%1/issues").arg(step.repoPath());
    step.github().post(path, QJsonDocument(body),
                       step.onReply([this, call, body, path](const github::GitHubResponse &r) {
                           call->step->log(QStringLiteral("POST ") + path, body, r);
                           if (r.error) {
                               call->step->refuse(r, QStringLiteral("create ") + call->step->rowName(),
                                                  QStringLiteral("POST ") + path);
                               return;
                           }
                           const QJsonObject created = r.json.object();
                           call->number = qint64(created.value(QStringLiteral("number")).toDouble());
                           // Recorded now: if the follow-up PATCH fails, compensation deletes it.
                           call->step->written(created);
                           afterWrite(call, created);
                       }));
}

void IssueWriter::applyUpdate(const CallPtr &call) const {
    WriteStep &step = *call->step;
    const CapturedChange &change = step.change();
    for (const Writable &w : issueColumns) {
        const QString column = QLatin1String(w.column);
        if (sameColumnValue(column, change.oldRow.value(column), change.newRow.value(column)))
            continue;
        call->changed << column;
        if (!w.field) {
            call->lockChange = true;
            continue;
        }
        QJsonValue value = change.newRow.value(column);
        if (column == QLatin1String("assignee_ids")) {
            Error error;
            value = QJsonArray::fromStringList(step.writeThrough().loginsFor(value, &error));
            if (error) {
                step.refuse(errorFields(sqlStateFor(error), error.message));
                return;
            }
        } else if (column == QLatin1String("label_names") && !value.isArray()) {
            value = QJsonArray();
        }
        call->patch.insert(QLatin1String(w.field), value);
    }
    if (call->lockChange) {
        call->lock = change.newRow.value(QStringLiteral("locked")).toBool();
        call->lockReason = change.newRow.value(QStringLiteral("active_lock_reason")).toString();
    }
    if (call->changed.isEmpty()) {
        step.unchanged(); // UPDATE ... SET title = title: nothing to tell GitHub
        return;
    }
    // Stale check: GitHub's current values of the columns being changed must still be the ones the
    // client's row had; otherwise someone changed them on GitHub since the row was synced.
    const QString path = call->issuePath();
    step.github().get(path, step.onReply([this, call, path](const github::GitHubResponse &r) {
        WriteStep &s = *call->step;
        if (r.error) {
            s.log(QStringLiteral("GET ") + path, {}, r);
            s.refuse(r, QStringLiteral("update ") + s.rowName(), QStringLiteral("GET ") + path);
            return;
        }
        if (s.refusedAsStale(call->changed, r.json.object()))
            return;
        if (call->patch.isEmpty()) {
            afterWrite(call, r.json.object());
            return;
        }
        s.github().patch(path, QJsonDocument(call->patch),
                         s.onReply([this, call, path](const github::GitHubResponse &p) {
                             call->step->log(QStringLiteral("PATCH ") + path, call->patch, p);
                             if (p.error) {
                                 call->step->refuse(p, QStringLiteral("update ") + call->step->rowName(),
                                                    QStringLiteral("PATCH ") + path);
                                 return;
                             }
                             call->step->written(p.json.object());
                             afterWrite(call, p.json.object());
                         }));
    }));
}

// After the POST or PATCH: the state change a new issue needs, the lock, then the comparison of GitHub's
// answer with what the row asked for.
void IssueWriter::afterWrite(const CallPtr &call, const QJsonObject &issue) const {
    WriteStep &step = *call->step;
    if (step.change().op == Op::Insert && !call->patch.isEmpty()) {
        const QJsonObject body = std::exchange(call->patch, QJsonObject());
        const QString path = call->issuePath();
        step.github().patch(
            path, QJsonDocument(body), step.onReply([this, call, body, path](const github::GitHubResponse &r) {
                call->step->log(QStringLiteral("PATCH ") + path, body, r);
                if (r.error) {
                    call->step->refuse(r, QStringLiteral("close the new issue"), QStringLiteral("PATCH ") + path);
                    return;
                }
                call->step->written(r.json.object());
                afterWrite(call, r.json.object());
            }));
        return;
    }
    if (call->lockChange) {
        lockThenCheck(call);
        return;
    }
    checkDropped(call, issue);
}

void IssueWriter::lockThenCheck(const CallPtr &call) const {
    WriteStep &step = *call->step;
    call->lockChange = false;
    const QString lockPath = call->issuePath() + QStringLiteral("/lock");
    const QString request = (call->lock ? QStringLiteral("PUT ") : QStringLiteral("DELETE ")) + lockPath;
    auto onLocked = step.onReply([this, call, request](const github::GitHubResponse &r) {
        WriteStep &s = *call->step;
        s.log(request, {}, r);
        if (r.error) {
            s.refuse(r, call->lock ? QStringLiteral("lock the issue") : QStringLiteral("unlock the issue"), request);
            return;
        }
        s.written({});
        // The lock endpoints answer 204: read the issue back for the row.
        s.github().get(call->issuePath(), s.onReply([this, call](const github::GitHubResponse &g) {
            if (g.error) {
                call->step->refuse(
                    errorFields(sqlStateFor(g.error),
                                QStringLiteral("GitHub did not return the locked issue: %1").arg(g.error.message), {},
                                hintFor(g.error, *this)));
                return;
            }
            call->step->written(g.json.object());
            checkDropped(call, g.json.object());
        }));
    });
    if (call->lock) {
        QJsonObject body;
        if (!call->lockReason.isEmpty())
            body.insert(QStringLiteral("lock_reason"), call->lockReason);
        step.github().put(lockPath, body.isEmpty() ? QJsonDocument() : QJsonDocument(body), std::move(onLocked));
    } else {
        step.github().del(lockPath, std::move(onLocked));
    }
}

// Silent drops: every column the row changed must now hold what the row asked for.
void IssueWriter::checkDropped(const CallPtr &call, const QJsonObject &issue) const {
    WriteStep &step = *call->step;
    const CapturedChange &change = step.change();
    const QJsonObject answer = rowFrom(issue, step.row());
    QStringList dropped;
    for (const QString &column : std::as_const(call->changed)) {
        if (column == QLatin1String("state_reason") || column == QLatin1String("active_lock_reason"))
            continue; // GitHub fills these in itself
        const QJsonValue asked = change.newRow.value(column);
        if (column == QLatin1String("assignee_ids")) {
            // The row may name assignees by login; GitHub answers with the users: compare ids only.
            const QJsonArray items = asked.toArray();
            if (!sameColumnValue(column, answer.value(column), asked) &&
                !std::all_of(items.begin(), items.end(), [](const QJsonValue &v) { return v.isString(); }))
                dropped << column;
            continue;
        }
        if (!sameColumnValue(column, answer.value(column), asked))
            dropped << column;
    }
    if (!dropped.isEmpty()) {
        step.written(issue);
        step.refuse(errorFields(
            "42501",
            QStringLiteral("GitHub accepted %1 but did not apply %2")
                .arg(step.rowName(), dropped.join(QStringLiteral(", "))),
            QStringLiteral("GitHub ignores labels, assignees and milestones from users without push access to the "
                           "repository, without an error."),
            QStringLiteral("Give the token or GitHub App push access (contents: write) to change %1.")
                .arg(dropped.join(QStringLiteral(", ")))));
        return;
    }
    step.succeed(issue);
}

void IssueWriter::applyDelete(const CallPtr &call) const {
    WriteStep &step = *call->step;
    const QJsonObject variables{{QStringLiteral("id"), step.change().oldRow.value(QStringLiteral("node_id"))}};
    step.github().graphql(
        deleteIssueMutation, variables, step.onReply([call, variables](const github::GitHubResponse &r) {
            WriteStep &s = *call->step;
            s.log(QStringLiteral("GraphQL deleteIssue"), variables, r);
            if (r.error) {
                s.refuse(r, QStringLiteral("delete ") + s.rowName(), QStringLiteral("GraphQL deleteIssue"),
                         r.error.kind == Error::Kind::GitHubPermission
                             ? QStringLiteral("Deleting an issue needs admin rights on the repository.")
                             : QString());
                return;
            }
            s.succeed({});
        }));
}

void IssueWriter::undo(const std::shared_ptr<WriteStep> &step, const AppliedChange &applied) const {
    const CapturedChange &change = step->change();
    const QString what = step->rowName();
    if (applied.op == Op::Delete) {
        step->undone(QStringLiteral("%1 was deleted on GitHub and cannot be restored").arg(what));
        return;
    }
    if (applied.op == Op::Insert) {
        const QJsonObject variables{{QStringLiteral("id"), applied.object.value(QStringLiteral("node_id"))}};
        step->github().graphql(
            deleteIssueMutation, variables, step->onReply([step, what, variables](const github::GitHubResponse &r) {
                step->log(QStringLiteral("GraphQL deleteIssue (undo)"), variables, r,
                          r.error ? QStringLiteral("undo failed") : QStringLiteral("undone"));
                step->undone(r.error ? QStringLiteral("%1 was created on GitHub and could not be deleted again (%2)")
                                           .arg(what, r.error.message)
                                     : QStringLiteral("%1 was created on GitHub and deleted again").arg(what));
            }));
        return;
    }
    // An update: PATCH the changed fields back to the row's old values.
    QJsonObject body;
    for (const Writable &w : issueColumns) {
        const QString column = QLatin1String(w.column);
        if (!w.field || sameColumnValue(column, change.oldRow.value(column), change.newRow.value(column)))
            continue;
        QJsonValue value = change.oldRow.value(column);
        if (column == QLatin1String("assignee_ids")) {
            Error error;
            value = QJsonArray::fromStringList(step->writeThrough().loginsFor(value, &error));
        } else if (column == QLatin1String("label_names") && !value.isArray()) {
            value = QJsonArray();
        }
        body.insert(QLatin1String(w.field), value);
    }
    if (body.isEmpty()) {
        step->undone(QStringLiteral("%1 stays changed on GitHub (its lock state)").arg(what));
        return;
    }
    const QString path = QStringLiteral("/repos/%1/issues/%2")
                             .arg(step->repoPath())
                             .arg(qint64(change.oldRow.value(QStringLiteral("number")).toDouble()));
    step->github().patch(
        path, QJsonDocument(body), step->onReply([step, what, path, body](const github::GitHubResponse &r) {
            step->log(QStringLiteral("PATCH (undo) ") + path, body, r,
                      r.error ? QStringLiteral("undo failed") : QStringLiteral("undone"));
            step->undone(r.error ? QStringLiteral("%1 was changed on GitHub and could not be changed back (%2)")
                                       .arg(what, r.error.message)
                                 : QStringLiteral("%1 was changed on GitHub and changed back").arg(what));
        }));
}

} // namespace

std::unique_ptr<TableWriter> makeIssueWriter() {
    return std::make_unique<IssueWriter>();
}

} // namespace hubsync::proxy
