#include "sync/pagewriter.h"

#include "catalog/catalog.h"
#include "store/pg.h"

namespace hubsync::sync {

namespace {

int reactionTotal(const QJsonObject &o) {
    return o.value(QStringLiteral("reactions")).toObject().value(QStringLiteral("total_count")).toInt();
}

} // namespace

Error queueReactionSubjects(pg::Connection &db, const QString &schema, const Repository &repo,
                            const QList<ReactionSubjectKey> &subjects) {
    if (subjects.isEmpty())
        return {};
    const QString base = QStringLiteral("/repos/") + repo.fullName;
    pg::BinaryTextArray types, keys, paths;
    for (const auto &[type, key] : subjects) {
        const QString path = type == QStringLiteral("comment")
                                 ? base + QStringLiteral("/issues/comments/%1/reactions?per_page=100").arg(key)
                                 : base + QStringLiteral("/issues/%1/reactions?per_page=100").arg(key);
        types.append(type.toUtf8());
        keys.append(QByteArray::number(key));
        paths.append(path.toUtf8());
    }
    const pg::Result r = db.execPrepared(
        QStringLiteral("INSERT INTO hubsync.reaction_todo (repository_id, schema, subject_type, subject_key, api_path)"
                       " SELECT $1::text::bigint, $2::text, t, k::bigint, p FROM unnest($3::text[], $4::text[],"
                       " $5::text[]) AS s(t, k, p) ON CONFLICT DO NOTHING"),
        {QByteArray::number(repo.id), schema.toUtf8(), types.take(), keys.take(), paths.take()});
    if (!r.ok())
        return pg::databaseError(QStringLiteral("reaction work list"), r.errorMessage());
    return {};
}

PageWriter::PageWriter(pg::Connection &connection, const QString &schema)
    : m_db(connection)
    , m_schema(schema)
    , m_writer(connection, schema) {}

Error PageWriter::write(Step step, const Repository &repo, const QList<QJsonObject> &items,
                        const std::function<Error()> &beforeCommit, Result *result, const QList<QByteArray> &raw) {
    const catalog::Collection *collection = catalog::findCollection(stepTable(step));
    if (!collection)
        return Error::make(Error::Kind::Internal, QStringLiteral("no table for step %1").arg(int(step)));
    const catalog::MapContext context{repo.id, 0, {}};
    QList<QJsonObject> rows;
    QList<QByteArray> rowsRaw;                           // parallel to rows when raw is given
    QList<QPair<QString, QJsonObject>> reactionSubjects; // (type, object)
    const bool haveRaw = raw.size() == items.size();
    rows.reserve(items.size());
    for (qsizetype i = 0; i < items.size(); ++i) {
        const QJsonObject &item = items[i];
        // GitHub's issue list also returns pull requests; they belong to pull_request, which the pulls
        // walk fills with the complete object. Their reaction rollups are only visible here, though.
        const bool isPullRequest = step == Step::Issue && item.contains(QStringLiteral("pull_request"));
        if (step == Step::Ref) {
            const QString ref = item.value(QStringLiteral("ref")).toString();
            if (!ref.startsWith(QStringLiteral("refs/heads/")) && !ref.startsWith(QStringLiteral("refs/tags/")))
                continue;
        }
        if ((step == Step::Issue || step == Step::Comment) && reactionTotal(item) > 0)
            reactionSubjects << qMakePair(
                isPullRequest ? QStringLiteral("pull_request")
                              : (step == Step::Issue ? QStringLiteral("issue") : QStringLiteral("comment")),
                item);
        if (!isPullRequest) {
            rows << item;
            if (haveRaw)
                rowsRaw << raw[i];
        }
    }

    if (Error e = m_writer.begin())
        return e;
    const auto rollback = [this](Error e) {
        m_writer.rollback();
        return e;
    };
    catalog::RowWriter::Outcome outcome;
    if (Error e = m_writer.upsert(*collection, rows, context, &outcome, rowsRaw))
        return rollback(e);
    if (step == Step::Issue || step == Step::PullRequest) {
        const QSet<qint64> applied(outcome.appliedIds.cbegin(), outcome.appliedIds.cend());
        if (Error e = m_writer.replaceLabels(step == Step::Issue ? QStringLiteral("issue_label")
                                                                 : QStringLiteral("pull_request_label"),
                                             rows, applied, context))
            return rollback(e);
    }
    QList<ReactionSubjectKey> subjects;
    for (const auto &[type, object] : reactionSubjects) {
        const bool comment = type == QStringLiteral("comment");
        subjects << qMakePair(
            type, qint64(object.value(comment ? QStringLiteral("id") : QStringLiteral("number")).toDouble()));
    }
    if (Error e = queueReactionSubjects(m_db, m_schema, repo, subjects))
        return rollback(e);
    Result local;
    Result &out = result ? *result : local;
    for (const QJsonObject &row : std::as_const(rows)) {
        const QDateTime updated =
            QDateTime::fromString(row.value(QStringLiteral("updated_at")).toString(), Qt::ISODate);
        if (updated.isValid() && (!out.newestUpdate.isValid() || updated > out.newestUpdate))
            out.newestUpdate = updated;
    }
    out.written = outcome.written;
    out.malformed = outcome.malformed;
    if (beforeCommit) {
        if (Error e = beforeCommit())
            return rollback(e);
    }
    return m_writer.commit();
}

} // namespace hubsync::sync
