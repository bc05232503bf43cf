// Backfill, part 3: reactions, fetched only for subjects whose rollup says they have some. Each subject
// costs one request (usually a single page). Subjects are fetched in waves; a wave's reactions are
// written in one transaction together with their removal from the work list, so a crash loses nothing
// and a million reactions do not mean a million commits.

#include "catalog/catalog.h"
#include "store/pg.h"
#include "sync/backfill_p.h"

namespace hubsync::sync {

namespace {
constexpr int waveSize = 64;
}

void Backfill::nextReactionSubject(RepoRun &run) {
    const pg::Result r =
        m_db.execParams(QStringLiteral("SELECT subject_type, subject_key, api_path FROM hubsync.reaction_todo"
                                       " WHERE repository_id = $1 AND schema = $2"
                                       " ORDER BY subject_type, subject_key LIMIT $3"),
                        {pg::param(run.repo.id), pg::param(m_options.schema), pg::param(qint64(waveSize))});
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
        RepoRun *target = &run;
        m_api.get(subject->path, whileAlive(this, [target, subject](Backfill &self, const Page &page) {
                      if (!self.m_failed)
                          self.onReactionPage(*target, subject, page);
                  }));
    }
}

void Backfill::onReactionPage(RepoRun &run, const std::shared_ptr<ReactionSubject> &subject, const Page &page) {
    if (page.quotaRemaining >= 0) {
        m_quotaRemaining = page.quotaRemaining;
        m_quotaReset = page.quotaReset;
    }
    subject->gone =
        page.error && (page.error.kind == Error::Kind::GitHubNotFound || page.error.kind == Error::Kind::GitHubGone);
    if (page.error && !subject->gone) {
        fail(Error::make(page.error.kind, QStringLiteral("%1 reactions: %2").arg(run.repo.fullName, page.error.message),
                         page.error.httpStatus, page.error.detail));
        return;
    }
    if (!subject->gone) {
        QList<QJsonObject> items;
        if (!parseArray(page.body, items)) {
            fail(Error::make(Error::Kind::GitHubUnavailable,
                             QStringLiteral("%1 reactions: malformed body").arg(run.repo.fullName)));
            return;
        }
        subject->items << items;
        if (!page.nextUrl.isEmpty()) {
            RepoRun *target = &run;
            m_api.get(page.nextUrl, whileAlive(this, [target, subject](Backfill &self, const Page &next) {
                          if (!self.m_failed)
                              self.onReactionPage(*target, subject, next);
                      }));
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

// Replaces each subject's reactions and ticks the subjects off the work list, atomically, with a
// handful of set-based statements for the whole wave.
Error Backfill::writeReactionWave(RepoRun &run) {
    if (Error e = m_writer.begin())
        return e;
    const auto rollback = [this](const Error &e) {
        m_writer.rollback();
        return e;
    };
    const auto array = [](const QStringList &items) -> QString {
        return QLatin1Char('{') + items.join(QLatin1Char(',')) + QLatin1Char('}');
    };

    // Issues and pull requests are listed by number; reaction rows point at their REST ids.
    QHash<QString, qint64> idByNumber; // "type:number" -> id
    for (const QString &type : {QStringLiteral("issue"), QStringLiteral("pull_request")}) {
        QStringList numbers;
        for (const auto &subject : std::as_const(run.wave)) {
            if (subject->type == type)
                numbers << QString::number(subject->key);
        }
        if (numbers.isEmpty())
            continue;
        const pg::Result r = m_db.execParams(
            QStringLiteral("SELECT number, id FROM %1 WHERE repository_id = $1 AND number = ANY($2::bigint[])")
                .arg(m_writer.table(type)),
            {pg::param(run.repo.id), pg::param(array(numbers))});
        if (!r.ok())
            return rollback(pg::databaseError(QStringLiteral("resolving reaction subjects"), r.errorMessage()));
        for (int i = 0; i < r.rows(); ++i)
            idByNumber.insert(type + QLatin1Char(':') + r.text(i, 0), r.toInt(i, 1));
    }

    QList<QJsonObject> reactions;
    QList<catalog::MapContext> contexts;
    QStringList types, ids, keep, todoTypes, todoKeys;
    Cursor next = run.cursor;
    for (const auto &subject : std::as_const(run.wave)) {
        todoTypes << subject->type;
        todoKeys << QString::number(subject->key);
        next.fetched += subject->items.size();
        const qint64 subjectId =
            subject->type == QStringLiteral("comment")
                ? subject->key
                : idByNumber.value(subject->type + QLatin1Char(':') + QString::number(subject->key));
        if (subjectId <= 0 || subject->gone)
            continue;
        types << subject->type;
        ids << QString::number(subjectId);
        for (const QJsonObject &o : std::as_const(subject->items)) {
            reactions << o;
            contexts << catalog::MapContext{run.repo.id, subjectId, subject->type};
            keep << QString::number(qint64(o.value(QStringLiteral("id")).toDouble()));
        }
    }
    catalog::RowWriter::Outcome outcome;
    if (Error e = m_writer.upsert(*catalog::findCollection(QStringLiteral("reaction")), reactions, contexts, &outcome))
        return rollback(e);
    next.written += outcome.written;
    // Reactions GitHub no longer lists for these subjects are gone.
    if (!ids.isEmpty()) {
        if (Error e = m_db.run(
                QStringLiteral(
                    "DELETE FROM %1 AS r USING unnest($1::text[], $2::bigint[]) AS s(type, id)"
                    " WHERE r.subject_type = s.type AND r.subject_id = s.id AND NOT (r.id = ANY($3::bigint[]))")
                    .arg(m_writer.table(QStringLiteral("reaction"))),
                {pg::param(array(types)), pg::param(array(ids)), pg::param(array(keep))},
                QStringLiteral("replacing reactions")))
            return rollback(e);
    }
    if (Error e = m_db.run(
            QStringLiteral("DELETE FROM hubsync.reaction_todo t USING unnest($3::text[], $4::bigint[]) AS s(type, key)"
                           " WHERE t.repository_id = $1 AND t.schema = $2 AND t.subject_type = s.type"
                           " AND t.subject_key = s.key"),
            {pg::param(run.repo.id), pg::param(m_options.schema), pg::param(array(todoTypes)),
             pg::param(array(todoKeys))},
            QStringLiteral("reaction work list")))
        return rollback(e);
    if (Error e = m_cursors.save(next))
        return rollback(e);
    if (Error e = m_writer.commit())
        return rollback(e);
    m_records += next.written - run.cursor.written;
    run.cursor = next;
    run.wave.clear();
    return {};
}

} // namespace hubsync::sync
