// Writes to <schema>.label (a repository's labels):
//   INSERT (repository_id, name, color, description) -> POST /repos/{o}/{r}/labels;
//   UPDATE name, color, description                  -> PATCH /repos/{o}/{r}/labels/{name} (new_name renames);
//   DELETE                                           -> DELETE /repos/{o}/{r}/labels/{name}.
// A renamed or deleted label changes the label_names of the repository's issues in the same transaction
// (issue_label links follow the label row through its foreign key), as GitHub changes the issues.

#include "proxy/writers/restwriter.h"
#include "proxy/writers/writers.h"

#include <QJsonArray>
#include <QJsonDocument>

namespace hubsync::proxy {

namespace {

// GitHub stores colours as six lower-case hex digits without '#'.
QString normalColor(const QJsonValue &value) {
    QString color = value.toString().toLower();
    if (color.startsWith(QLatin1Char('#')))
        color.remove(0, 1);
    return color;
}

class LabelWriter final : public RestTableWriter {
public:
    QString table() const override { return QStringLiteral("label"); }
    QStringList writableColumns() const override {
        return {QStringLiteral("name"), QStringLiteral("color"), QStringLiteral("description")};
    }
    QStringList requiredColumns() const override { return {QStringLiteral("name")}; }
    QString permission() const override { return QStringLiteral("\"issues: write\""); }

    QString describe(const CapturedChange &change) const override {
        const QString name = change.row().value(QStringLiteral("name")).toString().left(60);
        if (change.op == CapturedChange::Op::Insert)
            return QStringLiteral("the new label \"%1\"").arg(name);
        return QStringLiteral("label \"%1\" (id %2)").arg(name).arg(change.id());
    }

    QStringList followUpStatements(const QString &schema) const override {
        // $1: [{"repository_id": .., "old": "bug", "new": "defect" | null}]
        return {QStringLiteral(
                    "UPDATE %1.issue i SET label_names = (SELECT coalesce(jsonb_agg(CASE WHEN n = a->'old' THEN"
                    " a->'new' ELSE n END) FILTER (WHERE n <> a->'old' OR jsonb_typeof(a->'new') = 'string'), '[]')"
                    " FROM jsonb_array_elements(i.label_names) n) FROM jsonb_array_elements($1::jsonb) a"
                    " WHERE i.repository_id = (a->>'repository_id')::bigint AND i.label_names @> "
                    "jsonb_build_array(a->'old')")
                    .arg(schema)};
    }
    QByteArray followUpParameter(const QList<AppliedChange> &applied) const override {
        QJsonArray renames;
        for (const AppliedChange &change : applied) {
            if (change.op == CapturedChange::Op::Insert)
                continue;
            const QJsonValue old = change.before.value(QStringLiteral("name"));
            const QJsonValue now =
                change.op == CapturedChange::Op::Delete ? QJsonValue() : change.object.value(QStringLiteral("name"));
            if (old.isString() && old != now)
                renames.append(QJsonObject{{QStringLiteral("repository_id"), double(change.repositoryId)},
                                           {QStringLiteral("old"), old},
                                           {QStringLiteral("new"), now}});
        }
        return renames.isEmpty() ? QByteArray() : QJsonDocument(renames).toJson(QJsonDocument::Compact);
    }

protected:
    QString collectionPath(const WriteStep &step) const override {
        return QStringLiteral("/repos/%1/labels").arg(step.repoPath());
    }
    QString objectPath(const WriteStep &step, const QJsonObject &row) const override {
        return QStringLiteral("/repos/%1/labels/%2")
            .arg(step.repoPath(), pathSegment(row.value(QStringLiteral("name")).toString()));
    }
    QJsonObject requestBody(const QJsonObject &row, const QStringList &columns, Purpose purpose) const override {
        QJsonObject body;
        for (const QString &column : columns) {
            if (column == QLatin1String("color"))
                body.insert(column, normalColor(row.value(column)));
            else if (column == QLatin1String("name") && purpose != Purpose::Create)
                body.insert(QStringLiteral("new_name"), row.value(column)); // PATCH names the label in its path
            else if (column == QLatin1String("description") && !row.value(column).isString())
                body.insert(column, QString()); // GitHub clears a description with ""
            else
                body.insert(column, row.value(column));
        }
        return body;
    }
    bool applied(const QString &column, const QJsonValue &answer, const QJsonValue &asked) const override {
        if (column == QLatin1String("color"))
            return normalColor(answer) == normalColor(asked);
        if (column == QLatin1String("description"))
            return answer.toString() == asked.toString(); // null and "" are the same to GitHub
        return RestTableWriter::applied(column, answer, asked);
    }
};

} // namespace

std::unique_ptr<TableWriter> makeLabelWriter() {
    return std::make_unique<LabelWriter>();
}

} // namespace hubsync::proxy
