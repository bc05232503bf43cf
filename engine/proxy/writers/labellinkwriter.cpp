// Writes to <schema>.issue_label and <schema>.pull_request_label (which labels an issue or pull request
// carries; keyed by the parent's id and label_id):
//   INSERT (issue_id, label_id) -> POST /repos/{o}/{r}/issues/{number}/labels with the label's name;
//   DELETE                      -> DELETE /repos/{o}/{r}/issues/{number}/labels/{name}.
// The parent's number and the label's name are looked up in the synced tables. issue.label_names follows
// the links in the same transaction, so the two never disagree. Undo removes an added label and adds a
// removed one back.

#include "github/githubclient.h"
#include "proxy/writers/writers.h"
#include "proxy/writethrough.h"

#include <QJsonArray>
#include <QJsonDocument>

namespace hubsync::proxy {

namespace {

using Op = CapturedChange::Op;

class LabelLinkWriter final : public TableWriter {
public:
    LabelLinkWriter(QString table, QString parent)
        : m_table(std::move(table))
        , m_parent(std::move(parent))
        , m_parentColumn(m_parent + QStringLiteral("_id")) {}

    QString table() const override { return m_table; }
    QStringList writableColumns() const override { return {}; }
    QStringList requiredColumns() const override { return {m_parentColumn, QStringLiteral("label_id")}; }
    QString permission() const override {
        return m_parent == QLatin1String("issue") ? QStringLiteral("\"issues: write\"")
                                                  : QStringLiteral("\"pull_requests: write\"");
    }

    QStringList insertColumns() const override { return requiredColumns(); }
    QString describe(const CapturedChange &change) const override {
        return QStringLiteral("label %1 on %2 %3")
            .arg(qint64(change.row().value(QStringLiteral("label_id")).toDouble()))
            .arg(m_parent == QLatin1String("issue") ? QStringLiteral("issue") : QStringLiteral("pull request"))
            .arg(parentId(change.row()));
    }

    Error validate(const CapturedChange &change) const override {
        if (change.op == Op::Update)
            return Error::make(Error::Kind::Usage,
                               QStringLiteral("a label link is not changed in place: DELETE it and INSERT another"));
        return change.op == Op::Insert ? checkInsert(change) : Error();
    }

    qint64 repositoryOf(const CapturedChange &change, WriteThrough &writeThrough) const override {
        Error error;
        return writeThrough
            .lookup(m_parent, QStringLiteral("repository_id"), QStringLiteral("id"), parentId(change.row()), &error)
            .toLongLong();
    }

    void apply(const std::shared_ptr<WriteStep> &step) const override {
        QString path;
        QString name;
        if (!locate(*step, step->row(), &path, &name))
            return;
        if (step->change().op == Op::Insert)
            add(step, path, name, false);
        else
            remove(step, path, name, false);
    }

    void undo(const std::shared_ptr<WriteStep> &step, const AppliedChange &applied) const override {
        QString path;
        QString name;
        if (!locate(*step, applied.before, &path, &name)) {
            step->undone(QStringLiteral("%1 stays changed on GitHub").arg(step->rowName()));
            return;
        }
        if (applied.op == Op::Insert)
            remove(step, path, name, true);
        else
            add(step, path, name, true);
    }

    // label_names of the issues whose links changed, recomputed from the links (issue only: pull requests
    // have no label_names column).
    QStringList followUpStatements(const QString &schema) const override {
        if (m_parent != QLatin1String("issue"))
            return {};
        return {
            QStringLiteral("UPDATE %1.issue i SET label_names = coalesce((SELECT jsonb_agg(l.name ORDER BY l.name)"
                           " FROM %1.issue_label il JOIN %1.label l ON l.id = il.label_id WHERE il.issue_id ="
                           " i.id), '[]') WHERE i.id IN (SELECT x::bigint FROM jsonb_array_elements_text($1::jsonb) x)")
                .arg(schema)};
    }
    QByteArray followUpParameter(const QList<AppliedChange> &applied) const override {
        QJsonArray ids;
        for (const AppliedChange &change : applied)
            ids.append(QString::number(parentId(change.before)));
        return ids.isEmpty() || m_parent != QLatin1String("issue") ? QByteArray()
                                                                   : QJsonDocument(ids).toJson(QJsonDocument::Compact);
    }

private:
    qint64 parentId(const QJsonObject &row) const { return qint64(row.value(m_parentColumn).toDouble()); }

    // The parent's labels path and the label's name; refuses the step when either is not synced.
    bool locate(WriteStep &step, const QJsonObject &row, QString *path, QString *name) const {
        Error error;
        const QString number =
            step.writeThrough().lookup(m_parent, QStringLiteral("number"), QStringLiteral("id"), parentId(row), &error);
        *name = step.writeThrough().lookup(QStringLiteral("label"), QStringLiteral("name"), QStringLiteral("id"),
                                           qint64(row.value(QStringLiteral("label_id")).toDouble()), &error);
        if (number.isEmpty() || name->isEmpty()) {
            step.refuse(errorFields("42704",
                                    QStringLiteral("HubSync cannot tell where %1 is on GitHub").arg(step.rowName()),
                                    QStringLiteral("The %1 or the label is not synced.").arg(m_parent)));
            return false;
        }
        *path = QStringLiteral("/repos/%1/issues/%2/labels").arg(step.repoPath(), number);
        return true;
    }

    // What a link row is as GitHub's answer: the parent and the label.
    QJsonObject linkObject(const WriteStep &step, const QJsonObject &row) const {
        Q_UNUSED(step);
        return {{m_parentColumn, row.value(m_parentColumn)},
                {QStringLiteral("label_id"), row.value(QStringLiteral("label_id"))}};
    }

    void add(const std::shared_ptr<WriteStep> &step, const QString &path, const QString &name, bool undoing) const {
        const QJsonObject body{{QStringLiteral("labels"), QJsonArray{name}}};
        step->github().post(
            path, QJsonDocument(body),
            step->onReply([this, step, path, body, name, undoing](const github::GitHubResponse &r) {
                const QString what = step->rowName();
                if (undoing) {
                    step->log(QStringLiteral("POST (undo) ") + path, body, r,
                              r.error ? QStringLiteral("undo failed") : QStringLiteral("undone"));
                    step->undone(r.error ? QStringLiteral("%1 was removed on GitHub and could not be added back (%2)")
                                               .arg(what, r.error.message)
                                         : QStringLiteral("%1 was removed on GitHub and added back").arg(what));
                    return;
                }
                step->log(QStringLiteral("POST ") + path, body, r);
                if (r.error) {
                    step->refuse(r, QStringLiteral("add ") + what, QStringLiteral("POST ") + path);
                    return;
                }
                bool carried = false;
                for (const QJsonValue &label : r.json.array())
                    carried = carried || label.toObject().value(QStringLiteral("name")).toString() == name;
                if (!carried) {
                    step->refuse(errorFields(
                        "42501", QStringLiteral("GitHub accepted %1 but did not apply it").arg(what),
                        QStringLiteral("GitHub ignores labels from users without push access, without an error."),
                        QStringLiteral("Give the token or GitHub App push access to label %1s.").arg(m_parent)));
                    return;
                }
                step->succeed(linkObject(*step, step->row()));
            }));
    }

    void remove(const std::shared_ptr<WriteStep> &step, const QString &path, const QString &name, bool undoing) const {
        const QString target = path + QLatin1Char('/') + pathSegment(name);
        step->github().del(target, step->onReply([step, target, undoing](const github::GitHubResponse &r) {
            const QString what = step->rowName();
            if (undoing) {
                step->log(QStringLiteral("DELETE (undo) ") + target, {}, r,
                          r.error ? QStringLiteral("undo failed") : QStringLiteral("undone"));
                step->undone(r.error ? QStringLiteral("%1 was added on GitHub and could not be removed again (%2)")
                                           .arg(what, r.error.message)
                                     : QStringLiteral("%1 was added on GitHub and removed again").arg(what));
                return;
            }
            step->log(QStringLiteral("DELETE ") + target, {}, r);
            if (r.error) {
                step->refuse(r, QStringLiteral("remove ") + what, QStringLiteral("DELETE ") + target);
                return;
            }
            step->succeed({});
        }));
    }

    QString m_table;
    QString m_parent;
    QString m_parentColumn;
};

} // namespace

std::unique_ptr<TableWriter> makeIssueLabelWriter() {
    return std::make_unique<LabelLinkWriter>(QStringLiteral("issue_label"), QStringLiteral("issue"));
}

std::unique_ptr<TableWriter> makePullRequestLabelWriter() {
    return std::make_unique<LabelLinkWriter>(QStringLiteral("pull_request_label"), QStringLiteral("pull_request"));
}

} // namespace hubsync::proxy
