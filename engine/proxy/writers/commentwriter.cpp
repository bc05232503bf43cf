// Writes to <schema>.comment (issue and pull request conversation comments):
//   INSERT (repository_id, issue_number, body) -> POST /repos/{o}/{r}/issues/{issue_number}/comments;
//   UPDATE body                                -> PATCH /repos/{o}/{r}/issues/comments/{id};
//   DELETE                                     -> DELETE /repos/{o}/{r}/issues/comments/{id}.

#include "proxy/writers/restwriter.h"
#include "proxy/writers/writers.h"

namespace hubsync::proxy {

namespace {

class CommentWriter final : public RestTableWriter {
public:
    QString table() const override { return QStringLiteral("comment"); }
    QStringList writableColumns() const override { return {QStringLiteral("body")}; }
    QStringList requiredColumns() const override { return {QStringLiteral("issue_number"), QStringLiteral("body")}; }
    QString permission() const override {
        return QStringLiteral("\"issues: write\" (\"pull_requests: write\" for comments on pull requests)");
    }

    QString describe(const CapturedChange &change) const override {
        const qint64 number = qint64(change.row().value(QStringLiteral("issue_number")).toDouble());
        if (change.op == CapturedChange::Op::Insert)
            return QStringLiteral("the new comment on #%1").arg(number);
        return QStringLiteral("comment %1 on #%2").arg(change.id()).arg(number);
    }

protected:
    QString collectionPath(const WriteStep &step) const override {
        return QStringLiteral("/repos/%1/issues/%2/comments")
            .arg(step.repoPath())
            .arg(qint64(step.row().value(QStringLiteral("issue_number")).toDouble()));
    }
    QString objectPath(const WriteStep &step, const QJsonObject &row) const override {
        return QStringLiteral("/repos/%1/issues/comments/%2")
            .arg(step.repoPath())
            .arg(qint64(row.value(QStringLiteral("id")).toDouble()));
    }
};

} // namespace

std::unique_ptr<TableWriter> makeCommentWriter() {
    return std::make_unique<CommentWriter>();
}

} // namespace hubsync::proxy
