// Writes to <schema>.reaction (reactions of the token's or App's own identity):
//   INSERT (subject_type, subject_id, content) -> POST /repos/{o}/{r}/issues/{number}/reactions for an issue or
//          pull request (its number looked up from subject_id), POST /repos/{o}/{r}/issues/comments/{id}/reactions
//          for a comment; repository_id is filled from the subject when the INSERT leaves it out (migration 106);
//   DELETE -> DELETE …/reactions/{id} (GitHub lets the viewer delete only its own reactions).
// A reaction is not changed in place: an UPDATE is refused with what to do instead. Reacting twice with
// the same content is no error on GitHub: the row then holds the existing reaction.

#include "catalog/catalog.h"
#include "proxy/writers/restwriter.h"
#include "proxy/writers/writers.h"
#include "proxy/writethrough.h"

namespace hubsync::proxy {

namespace {

class ReactionWriter final : public RestTableWriter {
public:
    QString table() const override { return QStringLiteral("reaction"); }
    QStringList writableColumns() const override { return {}; }
    QStringList requiredColumns() const override {
        return {QStringLiteral("subject_type"), QStringLiteral("subject_id"), QStringLiteral("content")};
    }
    QString permission() const override {
        return QStringLiteral("\"issues: write\" (\"pull_requests: write\" for reactions on pull requests)");
    }

    QString describe(const CapturedChange &change) const override {
        const QJsonObject &row = change.row();
        const QString subject = QStringLiteral("%1 %2")
                                    .arg(row.value(QStringLiteral("subject_type")).toString())
                                    .arg(qint64(row.value(QStringLiteral("subject_id")).toDouble()));
        if (change.op == CapturedChange::Op::Insert)
            return QStringLiteral("the new %1 reaction on %2")
                .arg(row.value(QStringLiteral("content")).toString().left(20), subject);
        return QStringLiteral("reaction %1 on %2").arg(change.id()).arg(subject);
    }

    Error validate(const CapturedChange &change) const override {
        if (change.op == CapturedChange::Op::Update)
            return Error::make(Error::Kind::Usage,
                               QStringLiteral("a reaction cannot be changed: DELETE it and INSERT the new content"));
        if (change.op == CapturedChange::Op::Insert) {
            const QString type = change.newRow.value(QStringLiteral("subject_type")).toString();
            if (!type.isEmpty() && type != QLatin1String("issue") && type != QLatin1String("pull_request") &&
                type != QLatin1String("comment"))
                return Error::make(
                    Error::Kind::GitHubValidation,
                    QStringLiteral("subject_type must be issue, pull_request or comment, not %1").arg(type));
            return checkInsert(change, requiredColumns());
        }
        return {};
    }

    QJsonObject rowFrom(const QJsonObject &object, const QJsonObject &captured) const override {
        catalog::MapContext context;
        context.repositoryId = qint64(captured.value(QStringLiteral("repository_id")).toDouble());
        context.subjectType = captured.value(QStringLiteral("subject_type")).toString();
        context.parentId = qint64(captured.value(QStringLiteral("subject_id")).toDouble());
        return tableRow(table(), object, context);
    }

    QStringList insertColumns() const override { return requiredColumns(); }

protected:
    QStringList createColumns() const override { return {QStringLiteral("content")}; }
    QString collectionPath(const WriteStep &step) const override { return subjectPath(step, step.row()); }
    QString objectPath(const WriteStep &step, const QJsonObject &row) const override {
        const QString subject = subjectPath(step, row);
        return subject.isEmpty()
                   ? subject
                   : subject + QLatin1Char('/') + QString::number(qint64(row.value(QStringLiteral("id")).toDouble()));
    }

private:
    // "/repos/o/r/issues/12/reactions" or "/repos/o/r/issues/comments/34/reactions"; empty when the
    // subject is not synced.
    static QString subjectPath(const WriteStep &step, const QJsonObject &row) {
        const QString type = row.value(QStringLiteral("subject_type")).toString();
        const qint64 subject = qint64(row.value(QStringLiteral("subject_id")).toDouble());
        if (type == QLatin1String("comment"))
            return QStringLiteral("/repos/%1/issues/comments/%2/reactions").arg(step.repoPath()).arg(subject);
        Error error;
        const QString number = step.writeThrough().lookup(
            type == QLatin1String("pull_request") ? QStringLiteral("pull_request") : QStringLiteral("issue"),
            QStringLiteral("number"), QStringLiteral("id"), subject, &error);
        if (number.isEmpty())
            return {};
        return QStringLiteral("/repos/%1/issues/%2/reactions").arg(step.repoPath(), number);
    }
};

} // namespace

std::unique_ptr<TableWriter> makeReactionWriter() {
    return std::make_unique<ReactionWriter>();
}

} // namespace hubsync::proxy
