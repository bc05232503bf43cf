#include "proxy/writers/restwriter.h"

#include "github/githubclient.h"
#include "proxy/writethrough.h"

#include <QJsonDocument>

namespace hubsync::proxy {

using Op = CapturedChange::Op;

QJsonObject RestTableWriter::requestBody(const QJsonObject &row, const QStringList &columns, Purpose purpose) const {
    Q_UNUSED(purpose);
    QJsonObject body;
    for (const QString &column : columns)
        body.insert(column, row.value(column));
    return body;
}

QStringList RestTableWriter::insertedColumns(const CapturedChange &change) const {
    QStringList columns;
    for (const QString &column : createColumns()) {
        const QJsonValue v = change.newRow.value(column);
        if (!v.isNull() && !v.isUndefined())
            columns << column;
    }
    return columns;
}

QStringList RestTableWriter::changedColumns(const CapturedChange &change) const {
    QStringList columns;
    for (const QString &column : writableColumns())
        if (!sameColumnValue(column, change.oldRow.value(column), change.newRow.value(column)))
            columns << column;
    return columns;
}

void RestTableWriter::apply(const std::shared_ptr<WriteStep> &step) const {
    switch (step->change().op) {
    case Op::Insert:
        create(step);
        return;
    case Op::Update:
        update(step);
        return;
    case Op::Delete:
        remove(step);
        return;
    }
}

void RestTableWriter::create(const std::shared_ptr<WriteStep> &step) const {
    const QStringList columns = insertedColumns(step->change());
    const QJsonObject body = requestBody(step->change().newRow, columns, Purpose::Create);
    const QString path = collectionPath(*step);
    if (path.isEmpty()) {
        refuseUnplaced(step);
        return;
    }
    step->github().post(
        path, QJsonDocument(body), step->onReply([this, step, columns, body, path](const github::GitHubResponse &r) {
            step->log(QStringLiteral("POST ") + path, body, r);
            if (r.error) {
                step->refuse(r, QStringLiteral("create ") + step->rowName(), QStringLiteral("POST ") + path);
                return;
            }
            step->written(r.json.object()); // undone if a later row fails
            check(step, columns, r.json.object());
        }));
}

void RestTableWriter::update(const std::shared_ptr<WriteStep> &step) const {
    const CapturedChange &change = step->change();
    const QStringList columns = changedColumns(change);
    if (columns.isEmpty()) {
        step->unchanged();
        return;
    }
    // Stale check: someone may have changed the object on GitHub since the row was synced.
    const QString path = objectPath(*step, change.oldRow);
    const QString read = readPath(*step, change.oldRow);
    if (path.isEmpty() || read.isEmpty()) {
        refuseUnplaced(step);
        return;
    }
    step->github().get(read, step->onReply([this, step, columns, path, read](const github::GitHubResponse &r) {
        if (r.error) {
            step->log(QStringLiteral("GET ") + read, {}, r);
            step->refuse(r, QStringLiteral("update ") + step->rowName(), QStringLiteral("GET ") + read);
            return;
        }
        if (step->refusedAsStale(columns, r.json.object()))
            return;
        const QJsonObject body = requestBody(step->change().newRow, columns, Purpose::Update);
        step->github().patch(path, QJsonDocument(body),
                             step->onReply([this, step, columns, body, path](const github::GitHubResponse &p) {
                                 step->log(QStringLiteral("PATCH ") + path, body, p);
                                 if (p.error) {
                                     step->refuse(p, QStringLiteral("update ") + step->rowName(),
                                                  QStringLiteral("PATCH ") + path);
                                     return;
                                 }
                                 step->written(p.json.object());
                                 check(step, columns, p.json.object());
                             }));
    }));
}

void RestTableWriter::remove(const std::shared_ptr<WriteStep> &step) const {
    const QString path = objectPath(*step, step->change().oldRow);
    if (path.isEmpty()) {
        refuseUnplaced(step);
        return;
    }
    step->github().del(path, step->onReply([step, path](const github::GitHubResponse &r) {
        step->log(QStringLiteral("DELETE ") + path, {}, r);
        if (r.error) {
            step->refuse(r, QStringLiteral("delete ") + step->rowName(), QStringLiteral("DELETE ") + path);
            return;
        }
        step->succeed({});
    }));
}

void RestTableWriter::refuseUnplaced(const std::shared_ptr<WriteStep> &step) const {
    step->refuse(errorFields("42704", QStringLiteral("HubSync cannot tell where %1 is on GitHub").arg(step->rowName()),
                             QStringLiteral("What the row refers to is not synced (or no longer exists)."),
                             QStringLiteral("Check the row's references (repository_id, the issue or comment it "
                                            "belongs to) against the synced tables.")));
}

void RestTableWriter::check(const std::shared_ptr<WriteStep> &step, const QStringList &columns,
                            const QJsonObject &object) const {
    const QJsonObject answer = rowFrom(object, step->row());
    QStringList dropped;
    for (const QString &column : columns)
        if (!applied(column, answer.value(column), step->change().newRow.value(column)))
            dropped << column;
    if (!dropped.isEmpty()) {
        const QString list = dropped.join(QStringLiteral(", "));
        step->refuse(errorFields("42501",
                                 QStringLiteral("GitHub accepted %1 but did not apply %2").arg(step->rowName(), list),
                                 QStringLiteral("GitHub answered without an error and ignored %1.").arg(list),
                                 QStringLiteral("Check that the GitHub App or token may change %1 of %2 rows (%3).")
                                     .arg(list, table(), permission())));
        return;
    }
    step->succeed(object);
}

void RestTableWriter::undo(const std::shared_ptr<WriteStep> &step, const AppliedChange &applied) const {
    const QString what = step->rowName();
    if (applied.op == Op::Delete) {
        step->undone(QStringLiteral("%1 was deleted on GitHub and cannot be restored").arg(what));
        return;
    }
    const QJsonObject now = applied.row.isEmpty() ? rowFrom(applied.object, applied.before) : applied.row;
    const QString path = objectPath(*step, now);
    if (path.isEmpty()) {
        step->undone(QStringLiteral("%1 stays changed on GitHub (HubSync could not tell where it is)").arg(what));
        return;
    }
    if (applied.op == Op::Insert) {
        step->github().del(path, step->onReply([step, what, path](const github::GitHubResponse &r) {
            step->log(QStringLiteral("DELETE (undo) ") + path, {}, r,
                      r.error ? QStringLiteral("undo failed") : QStringLiteral("undone"));
            step->undone(r.error ? QStringLiteral("%1 was created on GitHub and could not be deleted again (%2)")
                                       .arg(what, r.error.message)
                                 : QStringLiteral("%1 was created on GitHub and deleted again").arg(what));
        }));
        return;
    }
    const CapturedChange &change = step->change();
    const QJsonObject body = requestBody(change.oldRow, changedColumns(change), Purpose::Undo);
    step->github().patch(
        path, QJsonDocument(body), step->onReply([step, what, path, body](const github::GitHubResponse &r) {
            step->log(QStringLiteral("PATCH (undo) ") + path, body, r,
                      r.error ? QStringLiteral("undo failed") : QStringLiteral("undone"));
            step->undone(r.error ? QStringLiteral("%1 was changed on GitHub and could not be changed back (%2)")
                                       .arg(what, r.error.message)
                                 : QStringLiteral("%1 was changed on GitHub and changed back").arg(what));
        }));
}

} // namespace hubsync::proxy
