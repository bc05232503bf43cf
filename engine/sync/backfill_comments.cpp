// Backfill, part 2b: issue and pull request comments through GraphQL. GitHub's REST API lists a
// repository's comments at 100 a request; GraphQL gives 100 issues (or pull requests) with their first 100
// comments each for one point (101 requests: the page and one per issue), in a pool of its own. The
// comments are turned into the objects the REST list sends, so the rows and `raw` are the same whichever
// API fed them, and they are written by the same page writers, with the same cursor, as REST pages.
// The walk goes over the issues, then the pull requests; a thread with more than 100 comments goes on with
// node(id:) pages before its page is written. --rest-only (or GitHub refusing GraphQL) walks REST instead.

#include "catalog/catalog.h"
#include "core/log.h"
#include "sync/backfill_p.h"

namespace hubsync::sync {

namespace {

const char *const issuesMarker = "graphql:issues:"; // + the connection's end cursor (empty: the start)
const char *const pullsMarker = "graphql:pullRequests:";
constexpr int threadsPerPage = 100;

QString commentConnectionFields() {
    return QStringLiteral("pageInfo { hasNextPage endCursor } nodes { id fullDatabaseId body url createdAt updatedAt"
                          " authorAssociation author { __typename login ... on User { id databaseId url avatarUrl"
                          " isSiteAdmin } ... on Bot { id databaseId url avatarUrl } }"
                          " reactionGroups { content reactors { totalCount } } }");
}

QString threadsQuery(bool pulls) {
    return QStringLiteral("query($owner: String!, $name: String!, $first: Int!, $after: String) {"
                          " repository(owner: $owner, name: $name) { %1(first: $first, after: $after,"
                          " orderBy: {field: CREATED_AT, direction: ASC}) { pageInfo { hasNextPage endCursor }"
                          " nodes { id number comments(first: 100) { ")
               .arg(pulls ? QStringLiteral("pullRequests") : QStringLiteral("issues")) +
           commentConnectionFields() + QStringLiteral(" } } } } }");
}

QString moreThreadCommentsQuery(bool pull) {
    return QStringLiteral("query($id: ID!, $after: String) { node(id: $id) { ... on %1 {"
                          " comments(first: 100, after: $after) { ")
               .arg(pull ? QStringLiteral("PullRequest") : QStringLiteral("Issue")) +
           commentConnectionFields() + QStringLiteral(" } } } }");
}

} // namespace

bool Backfill::commentsThroughGraphql(const RepoRun &run) {
    if (m_options.restOnly || m_graphqlRefused)
        return false;
    if (!run.cursor.nextUrl.isEmpty()) // a walk goes on the way it started
        return run.cursor.nextUrl.startsWith(QLatin1String("graphql:"));
    // Comments cost the same through either API (a unit per 100): a new walk goes to the pool with more of
    // its budget left, so that both pools run out together and the backfill ends when they do.
    const Pool pool = poolWithMoreLeft(m_restPool, m_graphqlPool);
    if (pool == Pool::Rest)
        logInfo(QStringLiteral("backfill"),
                QStringLiteral("%1 comment: through REST, whose pool has more left (%2 of %3) than GraphQL's (%4 of "
                               "%5)")
                    .arg(run.repo.fullName)
                    .arg(m_restPool.remaining)
                    .arg(m_restPool.limit)
                    .arg(m_graphqlPool.remaining)
                    .arg(m_graphqlPool.limit));
    return pool == Pool::Graphql;
}

void Backfill::fetchCommentThreads(RepoRun &run) {
    if (!run.cursor.sinceLimit.isValid()) {
        // Threads are walked by creation, not by update: a comment edited behind the walk is not seen again
        // at its end. The poller goes on from `since`, so it must not pass the moment the walk began: the
        // issue walk's newest update (it ran before; an edit to a comment does not move its issue), or five
        // minutes ago when there is none.
        Error error;
        const Cursor issues = m_cursors.load(run.repo.id, stepTable(Step::Issue), &error);
        run.cursor.sinceLimit =
            !error && issues.since.isValid() ? issues.since : QDateTime::currentDateTimeUtc().addSecs(-300);
    }
    const QString &marker = run.cursor.nextUrl;
    const bool pulls = marker.startsWith(QLatin1String(pullsMarker));
    const QString after = marker.mid(int(qstrlen(pulls ? pullsMarker : issuesMarker)));
    const QStringList parts = run.repo.fullName.split(QLatin1Char('/'));
    const int size = learntPageSize(run.cursor, threadsPerPage);
    QJsonObject variables{{QStringLiteral("owner"), parts.value(0)},
                          {QStringLiteral("name"), parts.value(1)},
                          {QStringLiteral("first"), size}};
    if (!after.isEmpty())
        variables.insert(QStringLiteral("after"), after);
    RepoRun *target = &run;
    m_api.graphql(threadsQuery(pulls), variables,
                  whileAlive(this,
                             [target, pulls, size](Backfill &self, const GraphqlResult &result) {
                                 self.noteGraphqlQuota(result);
                                 if (!self.m_failed)
                                     self.onCommentThreads(*target, pulls, size, result);
                             }),
                  size > 1 ? GraphqlRetry::Shrink : GraphqlRetry::Default);
}

// GitHub refused GraphQL to these credentials: this walk starts again through REST (upserts make the
// pages already written harmless).
bool Backfill::commentsFallBackToRest(RepoRun &run, const GraphqlResult &result) {
    if (!graphqlRefused(result))
        return false;
    run.cursor.nextUrl.clear();
    run.threadComments.clear();
    run.moreThreadComments.clear();
    fetchNext(run);
    return true;
}

void Backfill::onCommentThreads(RepoRun &run, bool pulls, int size, const GraphqlResult &result) {
    if (halvePage(run, size, result, QStringLiteral("comments"), QStringLiteral("threads a query"))) {
        fetchCommentThreads(run);
        return;
    }
    if (result.error && commentsFallBackToRest(run, result))
        return;
    const QJsonObject connection = result.data.value(QStringLiteral("repository"))
                                       .toObject()
                                       .value(pulls ? QStringLiteral("pullRequests") : QStringLiteral("issues"))
                                       .toObject();
    if (result.error || connection.isEmpty()) {
        const Error error = result.error ? result.error
                                         : Error::make(Error::Kind::GitHubNotFound,
                                                       QStringLiteral("GraphQL does not list this repository"));
        afterWrites(run, [this, &run, error] {
            if (handleStepError(run, error, error.httpStatus))
                advance(run);
        });
        return;
    }
    growPage(run, size, threadsPerPage, QStringLiteral("comments"), QStringLiteral("threads a query"));
    run.threadComments.clear();
    run.moreThreadComments.clear();
    for (const QJsonValue &value : connection.value(QStringLiteral("nodes")).toArray()) {
        const QJsonObject thread = value.toObject();
        collectThreadComments(run, thread.value(QStringLiteral("id")).toString(),
                              thread.value(QStringLiteral("number")).toInteger(), pulls,
                              thread.value(QStringLiteral("comments")).toObject());
    }
    const QJsonObject pageInfo = connection.value(QStringLiteral("pageInfo")).toObject();
    const QString end = pageInfo.value(QStringLiteral("endCursor")).toString();
    if (pageInfo.value(QStringLiteral("hasNextPage")).toBool() && !end.isEmpty())
        run.threadPageNext = QString::fromLatin1(pulls ? pullsMarker : issuesMarker) + end;
    else // the issues are done: the pull requests come next; after them, the walk is done
        run.threadPageNext = pulls ? QString() : QString::fromLatin1(pullsMarker);
    fetchMoreThreadComments(run);
}

void Backfill::collectThreadComments(RepoRun &run, const QString &threadId, qint64 number, bool pull,
                                     const QJsonObject &comments) {
    const QString apiBase = m_api.apiBaseUrl();
    for (const QJsonValue &value : comments.value(QStringLiteral("nodes")).toArray())
        run.threadComments << catalog::restIssueCommentFromGraphql(value.toObject(), apiBase, run.repo.fullName,
                                                                   number);
    const QJsonObject pageInfo = comments.value(QStringLiteral("pageInfo")).toObject();
    if (pageInfo.value(QStringLiteral("hasNextPage")).toBool())
        run.moreThreadComments.push_back(
            {threadId, number, pull, pageInfo.value(QStringLiteral("endCursor")).toString()});
}

void Backfill::fetchMoreThreadComments(RepoRun &run) {
    if (run.moreThreadComments.empty()) {
        // The page is complete: written like a REST page, its cursor pointing at the next one.
        QList<QJsonObject> items = std::exchange(run.threadComments, {});
        deliverPage(run, std::move(items), {}, run.threadPageNext);
        return;
    }
    const RepoRun::MoreThreadComments next = run.moreThreadComments.front();
    run.moreThreadComments.pop_front();
    RepoRun *target = &run;
    m_api.graphql(
        moreThreadCommentsQuery(next.pull),
        QJsonObject{{QStringLiteral("id"), next.threadId}, {QStringLiteral("after"), next.after}},
        whileAlive(this, [target, next](Backfill &self, const GraphqlResult &result) {
            self.noteGraphqlQuota(result);
            if (self.m_failed)
                return;
            RepoRun &r = *target;
            if (result.error && self.commentsFallBackToRest(r, result))
                return;
            // A thread deleted since its page was read (NOT_FOUND) has no comments left to sync.
            if (result.error && !onlyNotFound(result)) {
                self.failQuery(r, QStringLiteral("comment"), result);
                return;
            }
            const QJsonObject comments =
                result.data.value(QStringLiteral("node")).toObject().value(QStringLiteral("comments")).toObject();
            self.collectThreadComments(r, next.threadId, next.number, next.pull, comments);
            self.fetchMoreThreadComments(r);
        }));
}

} // namespace hubsync::sync
