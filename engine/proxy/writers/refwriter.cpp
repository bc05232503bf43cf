// Writes to <schema>.ref (branches and tags, keyed by repository_id and the full name "refs/heads/x"):
//   INSERT (repository_id, name, sha) -> POST /repos/{o}/{r}/git/refs;
//   UPDATE sha                        -> PATCH /repos/{o}/{r}/git/refs/{name} with force false: GitHub refuses
//                                        a move that is not a fast-forward (HubSync never forces one);
//   DELETE                            -> DELETE /repos/{o}/{r}/git/refs/{name}.
// Undoing a move forces the ref back to where it was.

#include "proxy/writers/restwriter.h"
#include "proxy/writers/writers.h"

namespace hubsync::proxy {

namespace {

class RefWriter final : public RestTableWriter {
public:
    QString table() const override { return QStringLiteral("ref"); }
    QStringList writableColumns() const override { return {QStringLiteral("sha")}; }
    QStringList requiredColumns() const override { return {QStringLiteral("name"), QStringLiteral("sha")}; }
    QString permission() const override { return QStringLiteral("\"contents: write\""); }

    QString describe(const CapturedChange &change) const override {
        const QString name = change.row().value(QStringLiteral("name")).toString().left(80);
        return change.op == CapturedChange::Op::Insert ? QStringLiteral("the new ref %1").arg(name)
                                                       : QStringLiteral("ref %1").arg(name);
    }

    Error validate(const CapturedChange &change) const override {
        const QString name = change.row().value(QStringLiteral("name")).toString();
        if (change.op == CapturedChange::Op::Insert && !name.isEmpty() &&
            !name.startsWith(QLatin1String("refs/heads/")) && !name.startsWith(QLatin1String("refs/tags/")))
            return Error::make(
                Error::Kind::GitHubValidation,
                QStringLiteral("name is the full ref: refs/heads/<branch> or refs/tags/<tag>, not %1").arg(name));
        return RestTableWriter::validate(change);
    }

protected:
    QStringList createColumns() const override { return {QStringLiteral("name"), QStringLiteral("sha")}; }
    QString collectionPath(const WriteStep &step) const override {
        return QStringLiteral("/repos/%1/git/refs").arg(step.repoPath());
    }
    QString objectPath(const WriteStep &step, const QJsonObject &row) const override {
        return QStringLiteral("/repos/%1/git/refs/%2").arg(step.repoPath(), shortName(row));
    }
    QString readPath(const WriteStep &step, const QJsonObject &row) const override {
        return QStringLiteral("/repos/%1/git/ref/%2").arg(step.repoPath(), shortName(row));
    }
    QJsonObject requestBody(const QJsonObject &row, const QStringList &columns, Purpose purpose) const override {
        if (purpose == Purpose::Create)
            return {{QStringLiteral("ref"), row.value(QStringLiteral("name"))},
                    {QStringLiteral("sha"), row.value(QStringLiteral("sha"))}};
        Q_UNUSED(columns);
        return {{QStringLiteral("sha"), row.value(QStringLiteral("sha"))},
                {QStringLiteral("force"), purpose == Purpose::Undo}};
    }

private:
    // "refs/heads/feature/x" -> "heads/feature/x", each segment escaped for the URL path.
    static QString shortName(const QJsonObject &row) {
        const QStringList segments =
            row.value(QStringLiteral("name")).toString().mid(int(qstrlen("refs/"))).split(QLatin1Char('/'));
        QStringList escaped;
        for (const QString &segment : segments)
            escaped << pathSegment(segment);
        return escaped.join(QLatin1Char('/'));
    }
};

} // namespace

std::unique_ptr<TableWriter> makeRefWriter() {
    return std::make_unique<RefWriter>();
}

} // namespace hubsync::proxy
