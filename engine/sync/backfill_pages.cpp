// Backfill, part 2: walking REST list endpoints page by page.

#include "catalog/catalog.h"
#include "core/log.h"
#include "store/pg.h"
#include "sync/backfill_p.h"

namespace hubsync::sync {

QString Backfill::initialPath(const RepoRun &run) const {
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

void Backfill::onPage(RepoRun &run, const Page &page) {
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
    QList<QByteArray> raw;
    if (!parseArray(page, items, raw)) {
        fail(Error::make(Error::Kind::GitHubUnavailable,
                         QStringLiteral("%1 %2: GitHub sent a body that is not a JSON list")
                             .arg(run.repo.fullName, stepTable(run.step))));
        return;
    }
    if (page.lastPage > 0)
        run.cursor.total = page.lastPage * m_options.perPage;

    int written = 0;
    if (Error e = writePage(run, items, raw, page.nextUrl, &written)) {
        fail(e);
        return;
    }
    m_records += written;
    if (run.cursor.done) {
        advance(run); // emits the final progress of this step
        return;
    }
    emitProgress(run);
    fetchNext(run);
}

// One transaction: the page's rows (PageWriter) and this walk's cursor.
Error Backfill::writePage(RepoRun &run, const QList<QJsonObject> &items, const QList<QByteArray> &raw,
                          const QString &nextUrl, int *written) {
    Cursor next = run.cursor;
    next.fetched += items.size();
    // The next URL is only remembered once this page is committed; a crash before COMMIT re-fetches it.
    next.nextUrl = nextUrl;
    next.done = nextUrl.isEmpty();
    PageWriter::Result result;
    const Error error = m_pages.write(
        run.step, run.repo, items,
        [&] {
            next.written += result.written;
            if (result.newestUpdate.isValid() && (!next.since.isValid() || result.newestUpdate > next.since))
                next.since = result.newestUpdate;
            return m_cursors.save(next);
        },
        &result, raw);
    if (error)
        return error;
    run.cursor = next;
    if (result.malformed > 0)
        Q_EMIT warning(QStringLiteral("%1 %2: skipped %3 malformed objects")
                           .arg(run.repo.fullName, stepTable(run.step))
                           .arg(result.malformed));
    *written = result.written;
    return {};
}

} // namespace hubsync::sync
