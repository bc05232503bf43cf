// Backfill, part 3: reactions, fetched only for subjects whose rollup says they have some. Through GraphQL,
// the reactions of 100 subjects come in one nodes(ids:) query that costs one point (GitHub prices a nested
// connection at one request per parent: 100 requests, 1 point); through REST each subject costs a request.
// Subjects whose node id is not known yet (a row not written) and every subject under --rest-only (or once
// GitHub refused GraphQL to these credentials) go through REST. Subjects are fetched in waves; a wave's
// reactions are written in one transaction together with their removal from the work list, so a crash
// loses nothing and a million reactions do not mean a million commits.

#include "catalog/catalog.h"
#include "core/log.h"
#include "store/pg.h"
#include "sync/backfill_p.h"

namespace hubsync::sync {

namespace {

constexpr int restWaveSize = 64;
constexpr int graphqlWaveSize = 100; // nodes(ids:) takes at most 100 ids

QString reactionConnectionFields() {
    return QStringLiteral("totalCount pageInfo { hasNextPage endCursor } nodes { databaseId id content createdAt"
                          " user { login databaseId id url avatarUrl isSiteAdmin } }");
}

QString reactionsQuery() {
    return QStringLiteral("query($ids: [ID!]!) { nodes(ids: $ids) { ... on Reactable { id reactions(first: 100) { ") +
           reactionConnectionFields() + QStringLiteral(" } } } }");
}

QString moreReactionsQuery() {
    return QStringLiteral("query($id: ID!, $after: String) { node(id: $id) { ... on Reactable {"
                          " reactions(first: 100, after: $after) { ") +
           reactionConnectionFields() + QStringLiteral(" } } } }");
}

// A page of GraphQL reactions as the REST objects GitHub's reactions endpoint lists.
void addRestReactions(ReactionSubject &subject, const QJsonObject &connection, const QString &apiBase) {
    for (const QJsonValue &value : connection.value(QStringLiteral("nodes")).toArray())
        subject.items << catalog::restReactionFromGraphql(value.toObject(), apiBase);
}

} // namespace

bool onlyNotFound(const GraphqlResult &result) {
    return !result.errors.isEmpty() &&
           std::all_of(result.errors.cbegin(), result.errors.cend(), [](const QJsonValue &e) {
               return e.toObject().value(QStringLiteral("type")).toString() == QLatin1String("NOT_FOUND");
           });
}

bool tooLarge(const GraphqlResult &result) {
    if (result.error.kind == Error::Kind::GitHubUnavailable)
        return true;
    return std::any_of(result.errors.cbegin(), result.errors.cend(), [](const QJsonValue &e) {
        return e.toObject().value(QStringLiteral("type")).toString() == QLatin1String("RESOURCE_LIMITS_EXCEEDED");
    });
}

// A GraphQL error that ends the run: "<owner/name> <what>: <GitHub's message>".
void Backfill::failQuery(const RepoRun &run, const QString &what, const GraphqlResult &result) {
    fail(Error::make(result.error.kind, QStringLiteral("%1 %2: %3").arg(run.repo.fullName, what, result.error.message),
                     result.error.httpStatus, result.error.detail));
}

// GitHub could not answer a page of `size` (too heavy, see tooLarge()): the walk asks for half as many from
// now on, kept with its cursor so that a restart does not learn it again. Returns true when the caller asks
// again (never the same query: the size changed).
bool Backfill::halvePage(RepoRun &run, int size, const GraphqlResult &result, const QString &what,
                         const QString &unit) {
    if (!result.error || size <= 1 || !tooLarge(result))
        return false;
    run.cursor.pageSize = size / 2;
    run.pagesAtSize = 0;
    logInfo(QStringLiteral("backfill"), QStringLiteral("%1 %2: GitHub could not answer in full (%3); asking for %4 %5")
                                            .arg(run.repo.fullName, what, result.error.message)
                                            .arg(run.cursor.pageSize)
                                            .arg(unit));
    return true;
}

// A page of `size` GitHub answered in full. Below `largest`, every pagesBeforeGrowing such pages the walk
// tries twice the size again: a 502 may have been a passing failure rather than the query's weight, and a
// query that is really too heavy costs one refusal per that many pages.
void Backfill::growPage(RepoRun &run, int size, int largest, const QString &what, const QString &unit) {
    constexpr int pagesBeforeGrowing = 20;
    if (size >= largest || ++run.pagesAtSize < pagesBeforeGrowing)
        return;
    run.pagesAtSize = 0;
    run.cursor.pageSize = std::min(largest, size * 2);
    logInfo(QStringLiteral("backfill"), QStringLiteral("%1 %2: %3 pages answered in full; asking for %4 %5 again")
                                            .arg(run.repo.fullName, what)
                                            .arg(pagesBeforeGrowing)
                                            .arg(run.cursor.pageSize)
                                            .arg(unit));
}

void Backfill::nextReactionSubject(RepoRun &run) {
    const bool graphql = !m_options.restOnly && !m_graphqlRefused;
    // The node id of each subject comes from its row, written by an earlier step (or a poll or webhook).
    const pg::Result r = m_db.execParams(
        QStringLiteral("SELECT t.subject_type, t.subject_key, t.api_path, CASE t.subject_type"
                       " WHEN 'issue' THEN (SELECT node_id FROM %1 WHERE repository_id = $1 AND number = t.subject_key)"
                       " WHEN 'pull_request' THEN (SELECT node_id FROM %2 WHERE repository_id = $1"
                       " AND number = t.subject_key)"
                       " WHEN 'comment' THEN (SELECT node_id FROM %3 WHERE id = t.subject_key) END"
                       " FROM hubsync.reaction_todo t WHERE t.repository_id = $1 AND t.schema = $2"
                       " ORDER BY t.subject_type, t.subject_key LIMIT $3")
            .arg(m_writer.table(QStringLiteral("issue")), m_writer.table(QStringLiteral("pull_request")),
                 m_writer.table(QStringLiteral("comment"))),
        {pg::param(run.repo.id), pg::param(m_options.schema),
         pg::param(qint64(graphql ? graphqlWaveSize : restWaveSize))});
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
    QList<std::shared_ptr<ReactionSubject>> byNode;
    for (int i = 0; i < r.rows(); ++i) {
        auto subject = std::make_shared<ReactionSubject>();
        subject->type = r.text(i, 0);
        subject->key = r.toInt(i, 1);
        subject->path = r.text(i, 2);
        subject->nodeId = graphql ? r.text(i, 3) : QString();
        run.wave << subject;
        if (!subject->nodeId.isEmpty())
            byNode << subject;
    }
    // GraphQL subjects go in queries of the size that last worked for this repository (100 at first).
    const int batch = learntPageSize(run.cursor, graphqlWaveSize);
    QList<QList<std::shared_ptr<ReactionSubject>>> batches;
    for (qsizetype i = 0; i < byNode.size(); i += batch)
        batches << byNode.mid(i, batch);
    run.waveOutstanding = int(run.wave.size() - byNode.size() + batches.size());
    for (const auto &subject : std::as_const(run.wave)) {
        if (subject->nodeId.isEmpty())
            fetchRestReactions(run, subject);
    }
    for (const auto &subjects : std::as_const(batches))
        fetchGraphqlReactions(run, subjects);
}

void Backfill::fetchRestReactions(RepoRun &run, const std::shared_ptr<ReactionSubject> &subject) {
    RepoRun *target = &run;
    m_api.get(subject->path, whileAlive(this, [target, subject](Backfill &self, const Page &page) {
                  if (!self.m_failed)
                      self.onReactionPage(*target, subject, page);
              }));
}

void Backfill::fetchGraphqlReactions(RepoRun &run, const QList<std::shared_ptr<ReactionSubject>> &subjects) {
    QJsonArray ids;
    for (const auto &subject : subjects)
        ids.append(subject->nodeId);
    RepoRun *target = &run;
    m_api.graphql(reactionsQuery(), QJsonObject{{QStringLiteral("ids"), ids}},
                  whileAlive(this,
                             [target, subjects](Backfill &self, const GraphqlResult &result) {
                                 self.noteGraphqlQuota(result);
                                 if (!self.m_failed)
                                     self.onReactionNodes(*target, subjects, result);
                             }),
                  subjects.size() > 1 ? GraphqlRetry::Shrink : GraphqlRetry::Default);
}

// Whether GitHub refuses GraphQL itself to these credentials (a fine-grained token some GitHub Enterprise
// Server versions do not let into GraphQL, an App without the permission): REST does the rest of the run.
bool Backfill::graphqlRefused(const GraphqlResult &result) {
    // Refused as a whole (no data at all; a partial answer refusing one object is that object's error): the
    // credentials may not use GraphQL, or this GitHub (an older Enterprise Server) does not know the query.
    const bool refusedKind = result.error.kind == Error::Kind::GitHubPermission ||
                             result.error.kind == Error::Kind::GitHubAuth ||
                             result.error.kind == Error::Kind::GitHubValidation;
    const bool noData = std::all_of(result.data.constBegin(), result.data.constEnd(),
                                    [](const QJsonValue &v) { return v.isNull() || v.isUndefined(); });
    if (!refusedKind || !noData)
        return false;
    if (!m_graphqlRefused)
        Q_EMIT warning(QStringLiteral("GitHub's GraphQL API refused a query (%1); fetching reactions and comments "
                                      "through REST instead, which spends more of the REST budget")
                           .arg(result.error.message));
    m_graphqlRefused = true;
    return true;
}

void Backfill::onReactionNodes(RepoRun &run, const QList<std::shared_ptr<ReactionSubject>> &subjects,
                               const GraphqlResult &result) {
    if (result.error && subjects.size() > 1 && tooLarge(result)) {
        // Too heavy for GitHub: the same subjects in two queries of half the size (never the same query
        // again), and that size from now on, kept with the step's cursor.
        const qsizetype half = (subjects.size() + 1) / 2;
        run.cursor.pageSize = int(half);
        logInfo(QStringLiteral("backfill"), QStringLiteral("%1 reactions: GitHub could not answer in full (%2); asking "
                                                           "for %3 subjects a query")
                                                .arg(run.repo.fullName, result.error.message)
                                                .arg(half));
        ++run.waveOutstanding;
        fetchGraphqlReactions(run, subjects.mid(0, half));
        fetchGraphqlReactions(run, subjects.mid(half));
        return;
    }
    if (result.error && graphqlRefused(result)) {
        run.waveOutstanding += int(subjects.size()) - 1;
        for (const auto &subject : subjects) {
            subject->nodeId.clear();
            fetchRestReactions(run, subject);
        }
        return;
    }
    // A subject deleted since it was queued comes back null, with a NOT_FOUND error for its path: it has
    // no reactions left. Any other error fails the run, as a REST error would.
    if (result.error && !onlyNotFound(result)) {
        failQuery(run, QStringLiteral("reactions"), result);
        return;
    }
    const QJsonArray nodes = result.data.value(QStringLiteral("nodes")).toArray();
    const QString apiBase = m_api.apiBaseUrl();
    for (qsizetype i = 0; i < subjects.size(); ++i) {
        ReactionSubject &subject = *subjects[i];
        const QJsonObject node = nodes.at(i).toObject();
        if (node.isEmpty()) {
            subject.gone = true;
            continue;
        }
        const QJsonObject connection = node.value(QStringLiteral("reactions")).toObject();
        addRestReactions(subject, connection, apiBase);
        const QJsonObject pageInfo = connection.value(QStringLiteral("pageInfo")).toObject();
        if (pageInfo.value(QStringLiteral("hasNextPage")).toBool()) {
            ++run.waveOutstanding;
            fetchMoreGraphqlReactions(run, subjects[i], pageInfo.value(QStringLiteral("endCursor")).toString());
        }
    }
    reactionSubjectDone(run);
}

void Backfill::fetchMoreGraphqlReactions(RepoRun &run, const std::shared_ptr<ReactionSubject> &subject,
                                         const QString &after) {
    RepoRun *target = &run;
    m_api.graphql(
        moreReactionsQuery(), QJsonObject{{QStringLiteral("id"), subject->nodeId}, {QStringLiteral("after"), after}},
        whileAlive(this, [target, subject](Backfill &self, const GraphqlResult &result) {
            self.noteGraphqlQuota(result);
            if (self.m_failed)
                return;
            RepoRun &r = *target;
            const QJsonObject node = result.data.value(QStringLiteral("node")).toObject();
            if (result.error && !onlyNotFound(result)) {
                self.failQuery(r, QStringLiteral("reactions"), result);
                return;
            }
            if (node.isEmpty()) {
                subject->gone = true;
                self.reactionSubjectDone(r);
                return;
            }
            const QJsonObject connection = node.value(QStringLiteral("reactions")).toObject();
            addRestReactions(*subject, connection, self.m_api.apiBaseUrl());
            const QJsonObject pageInfo = connection.value(QStringLiteral("pageInfo")).toObject();
            if (pageInfo.value(QStringLiteral("hasNextPage")).toBool()) {
                self.fetchMoreGraphqlReactions(r, subject, pageInfo.value(QStringLiteral("endCursor")).toString());
                return;
            }
            self.reactionSubjectDone(r);
        }));
}

void Backfill::onReactionPage(RepoRun &run, const std::shared_ptr<ReactionSubject> &subject, const Page &page) {
    noteRestQuota(page);
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
    reactionSubjectDone(run);
}

void Backfill::reactionSubjectDone(RepoRun &run) {
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
