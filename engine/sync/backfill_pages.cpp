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
    noteRestQuota(page);
    if (page.error) {
        // After this walk's queued pages: the error may end the walk, whose cursor they also save.
        const Error error = page.error;
        const int status = page.httpStatus;
        afterWrites(run, [this, &run, error, status] {
            if (handleStepError(run, error, status))
                advance(run);
        });
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
    deliverPage(run, std::move(items), std::move(raw), page.nextUrl);
}

// A page of a walk is complete (REST, or GraphQL turned into REST objects): written on a writer lane while
// the next one is fetched, or here. nextUrl: where the walk goes on (empty: it is done).
void Backfill::deliverPage(RepoRun &run, QList<QJsonObject> items, QList<QByteArray> raw, const QString &nextUrl) {
    if (m_writers) {
        queuePage(run, std::move(items), std::move(raw), nextUrl);
        return;
    }
    int written = 0;
    if (Error e = writePage(run, items, raw, nextUrl, &written)) {
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
            if (next.sinceLimit.isValid() && next.since > next.sinceLimit)
                next.since = next.sinceLimit;
            return m_cursors.save(next);
        },
        &result, raw);
    if (error)
        return error;
    run.cursor = next;
    warnMalformed(run, result.malformed);
    *written = result.written;
    return {};
}

void Backfill::warnMalformed(const RepoRun &run, int malformed) {
    if (malformed > 0)
        Q_EMIT warning(QStringLiteral("%1 %2: skipped %3 malformed objects")
                           .arg(run.repo.fullName, stepTable(run.step))
                           .arg(malformed));
}

// The pipelined form of writePage(): the page goes to the walk's writer lane and the next page is
// fetched meanwhile (up to pagesAhead pages queued per walk).
void Backfill::queuePage(RepoRun &run, QList<QJsonObject> items, QList<QByteArray> raw, const QString &nextUrl) {
    PageJob job;
    job.step = run.step;
    job.repo = run.repo;
    job.next = run.cursor;
    job.next.fetched += items.size();
    // The next URL is only committed with this page; a crash before that fetches this page again.
    job.next.nextUrl = nextUrl;
    job.next.done = nextUrl.isEmpty();
    job.chained = run.pendingWrites > 0;
    if (!job.chained) // nothing of this walk queued anywhere: any lane keeps its pages in order
        run.lane = m_writers->leastBusyLane();
    job.items = std::move(items);
    job.raw = std::move(raw);
    run.cursor = job.next; // what is fetched; written and since follow as the pages commit
    ++run.pendingWrites;
    RepoRun *target = &run;
    m_writers->submit(run.lane, std::move(job), whileAlive(this, [target](Backfill &self, const PageDone &done) {
                          self.onPageWritten(*target, done);
                      }));
    if (run.cursor.done) {
        advance(run); // once the queued pages are committed
        return;
    }
    emitProgress(run);
    if (run.pendingWrites < std::max(1, m_options.pagesAhead))
        fetchNext(run);
    else
        run.fetchWhenWritten = true;
}

void Backfill::onPageWritten(RepoRun &run, const PageDone &done) {
    --run.pendingWrites;
    if (m_failed)
        return;
    if (done.error) {
        fail(done.error);
        return;
    }
    run.cursor.written = done.committed.written;
    run.cursor.since = done.committed.since;
    m_records += done.result.written;
    warnMalformed(run, done.result.malformed);
    if (run.fetchWhenWritten) {
        run.fetchWhenWritten = false;
        fetchNext(run);
    } else if (run.pendingWrites == 0 && run.whenWritten) {
        std::exchange(run.whenWritten, {})();
    }
}

void Backfill::afterWrites(RepoRun &run, std::function<void()> next) {
    if (run.pendingWrites == 0)
        next();
    else
        run.whenWritten = std::move(next);
}

} // namespace hubsync::sync
