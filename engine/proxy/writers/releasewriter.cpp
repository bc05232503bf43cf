// Writes to <schema>.release:
//   INSERT (repository_id, tag_name, name, body, draft, prerelease, target_commitish)
//          -> POST /repos/{o}/{r}/releases;
//   UPDATE those columns -> PATCH /repos/{o}/{r}/releases/{id};
//   DELETE               -> DELETE /repos/{o}/{r}/releases/{id} (the tag stays, as on GitHub).

#include "proxy/writers/restwriter.h"
#include "proxy/writers/writers.h"

namespace hubsync::proxy {

namespace {

class ReleaseWriter final : public RestTableWriter {
public:
    QString table() const override { return QStringLiteral("release"); }
    QStringList writableColumns() const override {
        return {QStringLiteral("tag_name"), QStringLiteral("name"),       QStringLiteral("body"),
                QStringLiteral("draft"),    QStringLiteral("prerelease"), QStringLiteral("target_commitish")};
    }
    QStringList requiredColumns() const override { return {QStringLiteral("tag_name")}; }
    QString permission() const override { return QStringLiteral("\"contents: write\""); }

    QString describe(const CapturedChange &change) const override {
        const QString tag = change.row().value(QStringLiteral("tag_name")).toString().left(60);
        if (change.op == CapturedChange::Op::Insert)
            return QStringLiteral("the new release of tag %1").arg(tag);
        return QStringLiteral("release %1 (id %2)").arg(tag).arg(change.id());
    }

protected:
    QString collectionPath(const WriteStep &step) const override {
        return QStringLiteral("/repos/%1/releases").arg(step.repoPath());
    }
    QString objectPath(const WriteStep &step, const QJsonObject &row) const override {
        return QStringLiteral("/repos/%1/releases/%2")
            .arg(step.repoPath())
            .arg(qint64(row.value(QStringLiteral("id")).toDouble()));
    }
};

} // namespace

std::unique_ptr<TableWriter> makeReleaseWriter() {
    return std::make_unique<ReleaseWriter>();
}

} // namespace hubsync::proxy
