// Backfill, part 2: walking REST list endpoints page by page.

#include "catalog/catalog.h"
#include "core/log.h"
#include "store/pg.h"
#include "sync/backfill_p.h"

namespace hubsync::sync {

namespace {

qint64 idOf(const QJsonObject &o) { return qint64(o.value(QStringLiteral("id")).toDouble()); }

int reactionTotal(const QJsonObject &o)
{
    return o.value(QStringLiteral("reactions")).toObject().value(QStringLiteral("total_count")).toInt();
}

} // namespace

QString Backfill::initialPath(const RepoRun &run) const
{
    const QString repo = QStringLiteral("/repos/") + run.repo.fullName;
    const int n = m_options.perPage;
    switch (run.step) {
    case Step::Label:
        return repo + QStringLiteral("/labels?per_page=%1").arg(n);
    case Step::Ref:
        return repo + QStringLiteral("/git/refs?per_page=%1").arg(n);
    case Step::Issue:
        // Oldest change first: an issue edited during the walk moves to the end and is still seen.
        return repo + QStringLiteral("/issues?state=all&sort=updated&direction=asc&per_page=%1").arg(n);
    case Step::PullRequest:
        return repo + QStringLiteral("/pulls?state=all&sort=updated&direction=asc&per_page=%1").arg(n);
    case Step::Comment:
        return repo + QStringLiteral("/issues/comments?sort=updated&direction=asc&per_page=%1").arg(n);
    case Step::Commit:
        return repo + QStringLiteral("/commits?per_page=%1").arg(n);
    case Step::Release:
        return repo + QStringLiteral("/releases?per_page=%1").arg(n);
    case Step::Discussion:
    case Step::Reaction:
    case Step::Done:
        break;
    }
    return {};
}

void Backfill::onPage(RepoRun &run, const Page &page)
{
    if (page.quotaRemaining >= 0) {
        m_quotaRemaining = page.quotaRemaining;
        m_quotaReset = page.quotaReset;
    }
    if (page.error) {
        if (handleStepError(run, page.error, page.httpStatus))
            advance(run);
        return;
    }
    QList<QJsonObject> items;
    if (!parseArray(page.body, items)) {
        fail(Error::make(Error::Kind::GitHubUnavailable,
                         QStringLiteral("%1 %2: GitHub sent a body that is not a JSON list").arg(run.repo.fullName, stepTable(run.step))));
        return;
    }
    if (page.lastPage > 0)
        run.cursor.total = page.lastPage * m_options.perPage;

    int written = 0;
    if (Error e = writePage(run, items, page.nextUrl, &written)) {
        fail(e);
        return;
    }
    m_records += written;
    emitProgress(run);
    if (run.cursor.done)
        advance(run);
    else
        fetchNext(run);
}

// One transaction: the page's rows, their users and labels, the reaction work list and the cursor.
Error Backfill::writePage(RepoRun &run, const QList<QJsonObject> &items, const QString &nextUrl, int *written)
{
    const catalog::Collection *collection = catalog::findCollection(stepTable(run.step));
    const catalog::MapContext context{run.repo.id, 0, {}};
    QList<QJsonObject> rows;
    QList<QPair<QString, QJsonObject>> reactionSubjects; // (type, object)
    rows.reserve(items.size());
    for (const QJsonObject &item : items) {
        // GitHub's issue list also returns pull requests; they belong to pull_request, which the pulls
        // walk fills with the complete object. Their reaction rollups are only visible here, though.
        const bool isPullRequest = run.step == Step::Issue && item.contains(QStringLiteral("pull_request"));
        if (run.step == Step::Ref) {
            const QString ref = item.value(QStringLiteral("ref")).toString();
            if (!ref.startsWith(QStringLiteral("refs/heads/")) && !ref.startsWith(QStringLiteral("refs/tags/")))
                continue;
        }
        if ((run.step == Step::Issue || run.step == Step::Comment) && reactionTotal(item) > 0)
            reactionSubjects << qMakePair(isPullRequest ? QStringLiteral("pull_request")
                                                        : (run.step == Step::Issue ? QStringLiteral("issue") : QStringLiteral("comment")),
                                          item);
        if (!isPullRequest)
            rows << item;
    }

    if (Error e = m_db.run(QStringLiteral("BEGIN")))
        return e;
    const auto rollback = [this](Error e) {
        m_db.exec(QStringLiteral("ROLLBACK"));
        return e;
    };
    catalog::RowWriter::Outcome outcome;
    if (Error e = m_writer.upsert(*collection, rows, context, &outcome))
        return rollback(e);
    if (run.step == Step::Issue || run.step == Step::PullRequest) {
        const QSet<qint64> applied(outcome.appliedIds.cbegin(), outcome.appliedIds.cend());
        if (Error e = m_writer.replaceLabels(run.step == Step::Issue ? QStringLiteral("issue_label") : QStringLiteral("pull_request_label"),
                                             rows, applied, context))
            return rollback(e);
    }
    for (const auto &[type, object] : reactionSubjects) {
        const QString repo = QStringLiteral("/repos/") + run.repo.fullName;
        const qint64 key = type == QStringLiteral("comment") ? idOf(object)
                                                             : qint64(object.value(QStringLiteral("number")).toDouble());
        const QString path = type == QStringLiteral("comment")
                                 ? repo + QStringLiteral("/issues/comments/%1/reactions?per_page=100").arg(key)
                                 : repo + QStringLiteral("/issues/%1/reactions?per_page=100").arg(key);
        if (Error e = m_db.run(QStringLiteral("INSERT INTO hubsync.reaction_todo (repository_id, subject_type, subject_key, api_path)"
                                              " VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING"),
                               {pg::param(run.repo.id), pg::param(type), pg::param(key), pg::param(path)},
                               QStringLiteral("reaction work list")))
            return rollback(e);
    }
    for (const QJsonObject &row : rows) {
        const QDateTime updated = QDateTime::fromString(row.value(QStringLiteral("updated_at")).toString(), Qt::ISODate);
        if (updated.isValid() && (!run.cursor.since.isValid() || updated > run.cursor.since))
            run.cursor.since = updated;
    }
    run.cursor.fetched += items.size();
    run.cursor.written += outcome.written;
    // The next URL is only remembered once this page is committed; a crash before COMMIT re-fetches it.
    run.cursor.nextUrl = nextUrl;
    run.cursor.done = nextUrl.isEmpty();
    if (Error e = m_cursors.save(run.cursor))
        return rollback(e);
    if (Error e = m_db.run(QStringLiteral("COMMIT")))
        return rollback(e);
    if (outcome.malformed > 0)
        Q_EMIT warning(QStringLiteral("%1 %2: skipped %3 malformed objects").arg(run.repo.fullName, stepTable(run.step)).arg(outcome.malformed));
    *written = outcome.written;
    return {};
}

} // namespace hubsync::sync
