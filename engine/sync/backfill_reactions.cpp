// Backfill, part 3: reactions, fetched only for subjects whose rollup says they have some. Each subject
// costs one request (usually a single page). Subjects are fetched in waves; a wave's reactions are
// written in one transaction together with their removal from the work list, so a crash loses nothing
// and a million reactions do not mean a million commits.

#include "catalog/catalog.h"
#include "store/pg.h"
#include "sync/backfill_p.h"

namespace hubsync::sync {

namespace {
constexpr int waveSize = 32;
}

void Backfill::nextReactionSubject(RepoRun &run)
{
    const pg::Result r = m_db.execParams(QStringLiteral("SELECT subject_type, subject_key, api_path FROM hubsync.reaction_todo"
                                                        " WHERE repository_id = $1 ORDER BY subject_type, subject_key LIMIT $2"),
                                         {pg::param(run.repo.id), pg::param(qint64(waveSize))});
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
    run.wave.clear();
    run.waveOutstanding = r.rows();
    for (int i = 0; i < r.rows(); ++i) {
        auto subject = std::make_shared<ReactionSubject>();
        subject->type = r.text(i, 0);
        subject->key = r.toInt(i, 1);
        subject->path = r.text(i, 2);
        run.wave << subject;
        QPointer<Backfill> self(this);
        RepoRun *target = &run;
        m_api.get(subject->path, [self, target, subject](const Page &page) {
            if (self && !self->m_failed)
                self->onReactionPage(*target, subject, page);
        });
    }
}

void Backfill::onReactionPage(RepoRun &run, const std::shared_ptr<ReactionSubject> &subject, const Page &page)
{
    if (page.quotaRemaining >= 0) {
        m_quotaRemaining = page.quotaRemaining;
        m_quotaReset = page.quotaReset;
    }
    subject->gone = page.error && (page.error.kind == Error::Kind::GitHubNotFound || page.error.kind == Error::Kind::GitHubGone);
    if (page.error && !subject->gone) {
        fail(Error::make(page.error.kind, QStringLiteral("%1 reactions: %2").arg(run.repo.fullName, page.error.message),
                         page.error.httpStatus, page.error.detail));
        return;
    }
    if (!subject->gone) {
        QList<QJsonObject> items;
        if (!parseArray(page.body, items)) {
            fail(Error::make(Error::Kind::GitHubUnavailable, QStringLiteral("%1 reactions: malformed body").arg(run.repo.fullName)));
            return;
        }
        subject->items << items;
        if (!page.nextUrl.isEmpty()) {
            QPointer<Backfill> self(this);
            RepoRun *target = &run;
            m_api.get(page.nextUrl, [self, target, subject](const Page &next) {
                if (self && !self->m_failed)
                    self->onReactionPage(*target, subject, next);
            });
            return;
        }
    }
    if (--run.waveOutstanding > 0)
        return;
    if (Error e = writeReactionWave(run)) {
        fail(e);
        return;
    }
    emitProgress(run);
    nextReactionSubject(run);
}

// Replaces each subject's reactions and ticks the subjects off the work list, atomically.
Error Backfill::writeReactionWave(RepoRun &run)
{
    if (Error e = m_db.run(QStringLiteral("BEGIN")))
        return e;
    const auto rollback = [this](const Error &e) {
        m_db.exec(QStringLiteral("ROLLBACK"));
        return e;
    };
    Cursor next = run.cursor;
    for (const auto &subject : std::as_const(run.wave)) {
        qint64 subjectId = subject->key;
        if (subject->type != QStringLiteral("comment")) {
            // Issues and pull requests are listed by number; the reaction row points at the REST id.
            const pg::Result r = m_db.execParams(QStringLiteral("SELECT id FROM %1 WHERE repository_id = $1 AND number = $2")
                                                     .arg(m_writer.table(subject->type)),
                                                 {pg::param(run.repo.id), pg::param(subject->key)});
            if (!r.ok())
                return rollback(pg::databaseError(QStringLiteral("resolving a reaction subject"), r.errorMessage()));
            subjectId = r.rows() ? r.toInt(0, 0) : 0;
        }
        if (subjectId > 0 && !subject->gone) {
            catalog::RowWriter::Outcome outcome;
            const catalog::MapContext context{run.repo.id, subjectId, subject->type};
            if (Error e = m_writer.upsert(*catalog::findCollection(QStringLiteral("reaction")), subject->items, context, &outcome))
                return rollback(e);
            next.written += outcome.written;
            QStringList keep;
            for (const QJsonObject &o : std::as_const(subject->items))
                keep << QString::number(qint64(o.value(QStringLiteral("id")).toDouble()));
            if (Error e = m_db.run(QStringLiteral("DELETE FROM %1 WHERE subject_type = $1 AND subject_id = $2 AND NOT (id = ANY($3::bigint[]))")
                                       .arg(m_writer.table(QStringLiteral("reaction"))),
                                   {pg::param(subject->type), pg::param(subjectId),
                                    pg::param(QLatin1Char('{') + keep.join(QLatin1Char(',')) + QLatin1Char('}'))},
                                   QStringLiteral("replacing reactions")))
                return rollback(e);
        }
        if (Error e = m_db.run(QStringLiteral("DELETE FROM hubsync.reaction_todo WHERE repository_id = $1 AND subject_type = $2 AND subject_key = $3"),
                               {pg::param(run.repo.id), pg::param(subject->type), pg::param(subject->key)}, QStringLiteral("reaction work list")))
            return rollback(e);
        next.fetched += subject->items.size();
    }
    if (Error e = m_cursors.save(next))
        return rollback(e);
    if (Error e = m_db.run(QStringLiteral("COMMIT")))
        return rollback(e);
    m_records += next.written - run.cursor.written;
    run.cursor = next;
    run.wave.clear();
    return {};
}

} // namespace hubsync::sync
