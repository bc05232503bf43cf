// Writes to <schema>.pull_request: UPDATE title, body, state and base_ref -> PATCH /repos/{o}/{r}/pulls/{number}.
// A pull request needs a head branch with commits, which SQL cannot make: an INSERT is refused with what to
// do instead, and so is a DELETE (GitHub cannot delete pull requests; they are closed).

#include "proxy/writers/restwriter.h"
#include "proxy/writers/writers.h"

namespace hubsync::proxy {

namespace {

class PullRequestWriter final : public RestTableWriter {
public:
    QString table() const override { return QStringLiteral("pull_request"); }
    QStringList writableColumns() const override {
        return {QStringLiteral("title"), QStringLiteral("body"), QStringLiteral("state"), QStringLiteral("base_ref")};
    }
    QString permission() const override { return QStringLiteral("\"pull_requests: write\""); }
    bool deletes() const override { return false; }
    QStringList insertColumns() const override { return {}; }

    QString describe(const CapturedChange &change) const override {
        return QStringLiteral("pull request #%1 (id %2)")
            .arg(qint64(change.row().value(QStringLiteral("number")).toDouble()))
            .arg(change.id());
    }

    Error validate(const CapturedChange &change) const override {
        if (change.op == CapturedChange::Op::Insert)
            return Error::make(Error::Kind::Usage,
                               QStringLiteral("a pull request cannot be created with INSERT: it needs a head branch "
                                              "with commits. Push the branch (INSERT INTO ref makes one at a commit), "
                                              "open the pull request on GitHub, and HubSync syncs it"));
        if (change.op == CapturedChange::Op::Delete)
            return Error::make(Error::Kind::Usage,
                               QStringLiteral("GitHub cannot delete a pull request: close it with UPDATE ... SET "
                                              "state = 'closed'"));
        return RestTableWriter::validate(change);
    }

protected:
    QString collectionPath(const WriteStep &step) const override {
        return QStringLiteral("/repos/%1/pulls").arg(step.repoPath());
    }
    QString objectPath(const WriteStep &step, const QJsonObject &row) const override {
        return QStringLiteral("/repos/%1/pulls/%2")
            .arg(step.repoPath())
            .arg(qint64(row.value(QStringLiteral("number")).toDouble()));
    }
    QJsonObject requestBody(const QJsonObject &row, const QStringList &columns, Purpose purpose) const override {
        Q_UNUSED(purpose);
        QJsonObject body;
        for (const QString &column : columns)
            body.insert(column == QLatin1String("base_ref") ? QStringLiteral("base") : column, row.value(column));
        return body;
    }
};

} // namespace

std::unique_ptr<TableWriter> makePullRequestWriter() {
    return std::make_unique<PullRequestWriter>();
}

} // namespace hubsync::proxy
