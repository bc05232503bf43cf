// Backfill, part 3: reactions, fetched only for subjects whose rollup says they have some.

#include "catalog/catalog.h"
#include "store/pg.h"
#include "sync/backfill_p.h"

namespace hubsync::sync {

void Backfill::nextReactionSubject(RepoRun &run)
{
    const pg::Result r = m_db.execParams(QStringLiteral("SELECT subject_type, subject_key, api_path FROM hubsync.reaction_todo"
                                                        " WHERE repository_id = $1 ORDER BY subject_type, subject_key LIMIT 1"),
                                         {pg::param(run.repo.id)});
    if (!r.ok()) {
        fail(pg::databaseError(QStringLiteral("reading the reaction work list"), r.errorMessage()));
        return;
    }
    if (r.rows() == 0) {
        run.cursor.done = true;
        if (Error e = m_cursors.save(run.cursor)) {
            fail(e);
            return;
        }
        advance(run);
        return;
    }
    run.subjectType = r.text(0, 0);
    run.subjectKey = r.toInt(0, 1);
    run.subjectPath = r.text(0, 2);
    run.reactionItems.clear();
    QPointer<Backfill> self(this);
    RepoRun *target = &run;
    m_api.get(run.subjectPath, [self, target](const Page &page) {
        if (self && !self->m_failed)
            self->onReactionPage(*target, page);
    });
}

void Backfill::onReactionPage(RepoRun &run, const Page &page)
{
    if (page.quotaRemaining >= 0) {
        m_quotaRemaining = page.quotaRemaining;
        m_quotaReset = page.quotaReset;
    }
    const bool subjectGone = page.error && (page.error.kind == Error::Kind::GitHubNotFound || page.error.kind == Error::Kind::GitHubGone);
    if (page.error && !subjectGone) {
        if (handleStepError(run, page.error, page.httpStatus))
            advance(run);
        return;
    }
    if (!subjectGone) {
        QList<QJsonObject> items;
        if (!parseArray(page.body, items)) {
            fail(Error::make(Error::Kind::GitHubUnavailable, QStringLiteral("%1 reactions: malformed body").arg(run.repo.fullName)));
            return;
        }
        run.reactionItems << items;
        if (!page.nextUrl.isEmpty()) {
            QPointer<Backfill> self(this);
            RepoRun *target = &run;
            m_api.get(page.nextUrl, [self, target](const Page &next) {
                if (self && !self->m_failed)
                    self->onReactionPage(*target, next);
            });
            return;
        }
    }

    // All pages of this subject are here: replace its reactions and tick it off, atomically.
    const auto rollback = [this](const Error &e) {
        m_db.exec(QStringLiteral("ROLLBACK"));
        fail(e);
    };
    if (Error e = m_db.run(QStringLiteral("BEGIN"))) {
        fail(e);
        return;
    }
    qint64 subjectId = run.subjectKey;
    if (run.subjectType != QStringLiteral("comment")) {
        // Issues and pull requests are listed by number; the reaction row points at the REST id.
        const pg::Result r = m_db.execParams(QStringLiteral("SELECT id FROM %1 WHERE repository_id = $1 AND number = $2")
                                                 .arg(m_writer.table(run.subjectType)),
                                             {pg::param(run.repo.id), pg::param(run.subjectKey)});
        if (!r.ok()) {
            rollback(pg::databaseError(QStringLiteral("resolving a reaction subject"), r.errorMessage()));
            return;
        }
        subjectId = r.rows() ? r.toInt(0, 0) : 0;
    }
    int written = 0;
    if (subjectId > 0 && !subjectGone) {
        catalog::RowWriter::Outcome outcome;
        const catalog::MapContext context{run.repo.id, subjectId, run.subjectType};
        if (Error e = m_writer.upsert(*catalog::findCollection(QStringLiteral("reaction")), run.reactionItems, context, &outcome)) {
            rollback(e);
            return;
        }
        written = outcome.written;
        QStringList keep;
        for (const QJsonObject &o : std::as_const(run.reactionItems))
            keep << QString::number(qint64(o.value(QStringLiteral("id")).toDouble()));
        if (Error e = m_db.run(QStringLiteral("DELETE FROM %1 WHERE subject_type = $1 AND subject_id = $2 AND NOT (id = ANY($3::bigint[]))")
                                   .arg(m_writer.table(QStringLiteral("reaction"))),
                               {pg::param(run.subjectType), pg::param(subjectId),
                                pg::param(QLatin1Char('{') + keep.join(QLatin1Char(',')) + QLatin1Char('}'))},
                               QStringLiteral("replacing reactions"))) {
            rollback(e);
            return;
        }
    }
    if (Error e = m_db.run(QStringLiteral("DELETE FROM hubsync.reaction_todo WHERE repository_id = $1 AND subject_type = $2 AND subject_key = $3"),
                           {pg::param(run.repo.id), pg::param(run.subjectType), pg::param(run.subjectKey)},
                           QStringLiteral("reaction work list"))) {
        rollback(e);
        return;
    }
    run.cursor.fetched += run.reactionItems.size();
    run.cursor.written += written;
    if (Error e = m_cursors.save(run.cursor)) {
        rollback(e);
        return;
    }
    if (Error e = m_db.run(QStringLiteral("COMMIT"))) {
        rollback(e);
        return;
    }
    m_records += written;
    emitProgress(run);
    nextReactionSubject(run);
}

} // namespace hubsync::sync
