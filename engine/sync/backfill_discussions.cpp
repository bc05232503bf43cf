// Backfill, part 4: discussions and their comments, which only GitHub's GraphQL API serves.

#include "catalog/catalog.h"
#include "core/log.h"
#include "store/pg.h"
#include "sync/backfill_p.h"

namespace hubsync::sync {

namespace {

const char *const cursorPrefix = "graphql:";

// GraphQL's cost and node limits price a connection once per parent, and nested connections multiply:
// discussions(first: 100) { comments(first: 100) { replies(first: 100) } } asks for 1,010,100 nodes, twice
// the limit, and costs 101 points. So the page query nests one level (100 discussions with their first 100
// comments: 10,100 nodes, 1 point) and asks only how many replies each comment has; the replies of up to
// 100 comments then come in one nodes(ids:) query (1 point). Discussions beyond the first page of comments
// and comments beyond the first page of replies go on with node(id:) queries of their own.
constexpr int maxPageSize = 100;

QString replyFields() {
    return QStringLiteral("totalCount pageInfo { hasNextPage endCursor } nodes { ") +
           catalog::discussionCommentFields() + QStringLiteral(" }");
}

// Top-level comments with the number of their replies: GitHub nests one level, and a reply is listed only
// under its parent's `replies`, never among the discussion's `comments`.
QString commentFields() {
    return QStringLiteral("totalCount pageInfo { hasNextPage endCursor } nodes { ") +
           catalog::discussionCommentFields() + QStringLiteral(" replies { totalCount } }");
}

QString discussionsQuery() {
    return QStringLiteral("query($owner: String!, $name: String!, $first: Int!, $after: String) {"
                          " repository(owner: $owner, name: $name) {"
                          " discussions(first: $first, after: $after, orderBy: {field: UPDATED_AT, direction: ASC}) {"
                          " totalCount pageInfo { hasNextPage endCursor }"
                          " nodes { ") +
           catalog::discussionFields() + QStringLiteral(" comments(first: 100) { ") + commentFields() +
           QStringLiteral(" } } } } }");
}

QString moreCommentsQuery() {
    return QStringLiteral("query($id: ID!, $after: String) { node(id: $id) { ... on Discussion { comments(first: 100, "
                          "after: $after) { ") +
           commentFields() + QStringLiteral(" } } } }");
}

QString repliesQuery() {
    return QStringLiteral("query($ids: [ID!]!) { nodes(ids: $ids) { ... on DiscussionComment { id"
                          " replies(first: 100) { ") +
           replyFields() + QStringLiteral(" } } } }");
}

QString moreRepliesQuery() {
    return QStringLiteral("query($id: ID!, $after: String) { node(id: $id) { ... on DiscussionComment {"
                          " replies(first: 100, after: $after) { ") +
           replyFields() + QStringLiteral(" } } } }");
}

// Adds a page of comments (or of one comment's replies) to the discussion page being assembled, and
// remembers what is still to fetch: the rest of the connection, and the replies of comments that have
// some. (A template: Backfill::RepoRun is private to Backfill.)
template <typename Run>
void collectComments(Run &run, qint64 discussionId, const QString &ownerNodeId, const QJsonObject &connection,
                     bool replies) {
    for (const QJsonValue &value : connection.value(QStringLiteral("nodes")).toArray()) {
        QJsonObject comment = value.toObject();
        const QJsonObject nested = comment.take(QStringLiteral("replies")).toObject();
        if (!replies && nested.value(QStringLiteral("totalCount")).toInteger() > 0)
            run.replyOwners.push_back({comment.value(QStringLiteral("id")).toString(), discussionId});
        run.pageComments << qMakePair(discussionId, comment);
    }
    const QJsonObject info = connection.value(QStringLiteral("pageInfo")).toObject();
    if (info.value(QStringLiteral("hasNextPage")).toBool())
        run.moreComments.push_back(
            {ownerNodeId, discussionId, info.value(QStringLiteral("endCursor")).toString(), replies});
}

} // namespace

void Backfill::fetchDiscussions(RepoRun &run) {
    const QStringList parts = run.repo.fullName.split(QLatin1Char('/'));
    const int size = learntPageSize(run.cursor, maxPageSize);
    QJsonObject variables{{QStringLiteral("owner"), parts.value(0)},
                          {QStringLiteral("name"), parts.value(1)},
                          {QStringLiteral("first"), size}};
    if (run.cursor.nextUrl.startsWith(QLatin1String(cursorPrefix)))
        variables.insert(QStringLiteral("after"), run.cursor.nextUrl.mid(int(qstrlen(cursorPrefix))));
    RepoRun *target = &run;
    m_api.graphql(discussionsQuery(), variables,
                  whileAlive(this,
                             [target, size](Backfill &self, const GraphqlResult &result) {
                                 self.noteGraphqlQuota(result);
                                 if (!self.m_failed)
                                     self.onDiscussions(*target, result, size);
                             }),
                  size > 1 ? GraphqlRetry::Shrink : GraphqlRetry::Default);
}

void Backfill::onDiscussions(RepoRun &run, const GraphqlResult &result, int size) {
    const QJsonObject repository = result.data.value(QStringLiteral("repository")).toObject();
    const QJsonObject connection = repository.value(QStringLiteral("discussions")).toObject();
    if (halvePage(run, size, result, QStringLiteral("discussions"), QStringLiteral("discussions a page"))) {
        fetchDiscussions(run);
        return;
    }
    if (result.error) {
        if (handleStepError(run, result.error, result.error.httpStatus))
            advance(run);
        return;
    }
    if (repository.isEmpty() || connection.isEmpty()) {
        // Discussions disabled, or a repository GraphQL cannot see: nothing to sync.
        handleStepError(run, Error::make(Error::Kind::GitHubNotFound, QStringLiteral("no discussions")), 404);
        advance(run);
        return;
    }
    run.cursor.pageSize = size;
    growPage(run, size, maxPageSize, QStringLiteral("discussions"), QStringLiteral("discussions a page"));
    run.cursor.total = connection.value(QStringLiteral("totalCount")).toInteger(-1);
    const QJsonObject pageInfo = connection.value(QStringLiteral("pageInfo")).toObject();
    run.pageHasNext = pageInfo.value(QStringLiteral("hasNextPage")).toBool();
    run.pageNextCursor = pageInfo.value(QStringLiteral("endCursor")).toString();
    run.pageDiscussions.clear();
    run.pageComments.clear();
    run.moreComments.clear();
    run.replyOwners.clear();
    for (const QJsonValue &value : connection.value(QStringLiteral("nodes")).toArray()) {
        QJsonObject discussion = value.toObject();
        const qint64 discussionId = qint64(discussion.value(QStringLiteral("databaseId")).toDouble());
        if (discussionId <= 0)
            continue;
        collectComments(run, discussionId, discussion.value(QStringLiteral("id")).toString(),
                        discussion.value(QStringLiteral("comments")).toObject(), false);
        run.pageDiscussions << discussion;
    }
    fetchMoreDiscussionComments(run);
}

void Backfill::fetchMoreDiscussionComments(RepoRun &run) {
    // Comments first (their pages add comments with replies), then the replies, 100 comments a query,
    // then the rest of any comment's replies.
    RepoRun *target = &run;
    const auto failed = [](Backfill &self, RepoRun &r, const GraphqlResult &result) {
        self.noteGraphqlQuota(result);
        if (!result.error)
            return false;
        self.failQuery(r, QStringLiteral("discussion comments"), result);
        return true;
    };
    // The next page of one discussion's comments, or of one comment's replies.
    const auto follow = [this, target, failed](const RepoRun::MoreComments &next) {
        m_api.graphql(next.replies ? moreRepliesQuery() : moreCommentsQuery(),
                      QJsonObject{{QStringLiteral("id"), next.nodeId}, {QStringLiteral("after"), next.after}},
                      whileAlive(this, [target, next, failed](Backfill &self, const GraphqlResult &result) {
                          if (self.m_failed || failed(self, *target, result))
                              return;
                          const QJsonObject connection =
                              result.data.value(QStringLiteral("node"))
                                  .toObject()
                                  .value(next.replies ? QStringLiteral("replies") : QStringLiteral("comments"))
                                  .toObject();
                          collectComments(*target, next.discussionId, next.nodeId, connection, next.replies);
                          self.fetchMoreDiscussionComments(*target);
                      }));
    };
    const auto more = std::find_if(run.moreComments.cbegin(), run.moreComments.cend(),
                                   [](const RepoRun::MoreComments &m) { return !m.replies; });
    if (more != run.moreComments.cend()) {
        const RepoRun::MoreComments next = *more;
        run.moreComments.erase(more);
        follow(next);
        return;
    }
    if (!run.replyOwners.empty()) {
        QJsonArray ids;
        QHash<QString, qint64> discussionOf;
        std::deque<std::pair<QString, qint64>> owners; // as taken, to put back if the query is too heavy
        while (!run.replyOwners.empty() && ids.size() < run.replyBatch) {
            const auto &[nodeId, discussionId] = run.replyOwners.front();
            ids.append(nodeId);
            discussionOf.insert(nodeId, discussionId);
            owners.push_back(run.replyOwners.front());
            run.replyOwners.pop_front();
        }
        m_api.graphql(
            repliesQuery(), QJsonObject{{QStringLiteral("ids"), ids}},
            whileAlive(this,
                       [target, discussionOf, failed, owners](Backfill &self, const GraphqlResult &result) {
                           self.noteGraphqlQuota(result);
                           if (self.m_failed)
                               return;
                           if (result.error && owners.size() > 1 && tooLarge(result)) {
                               // Too heavy for GitHub: the same comments again, in queries of half the size.
                               target->replyBatch = int(owners.size() + 1) / 2;
                               target->replyOwners.insert(target->replyOwners.begin(), owners.cbegin(), owners.cend());
                               self.fetchMoreDiscussionComments(*target);
                               return;
                           }
                           // A comment deleted since its page was read comes back null with a NOT_FOUND error: it has
                           // no replies left to sync. Any other error fails the page.
                           if (result.error && !onlyNotFound(result) && failed(self, *target, result))
                               return;
                           for (const QJsonValue &value : result.data.value(QStringLiteral("nodes")).toArray()) {
                               const QJsonObject comment = value.toObject();
                               const QString nodeId = comment.value(QStringLiteral("id")).toString();
                               if (!discussionOf.contains(nodeId))
                                   continue;
                               collectComments(*target, discussionOf.value(nodeId), nodeId,
                                               comment.value(QStringLiteral("replies")).toObject(), true);
                           }
                           self.fetchMoreDiscussionComments(*target);
                       }),
            owners.size() > 1 ? GraphqlRetry::Shrink : GraphqlRetry::Default);
        return;
    }
    if (!run.moreComments.empty()) {
        const RepoRun::MoreComments next = run.moreComments.front();
        run.moreComments.pop_front();
        follow(next);
        return;
    }
    writeDiscussionPage(run);
}

void Backfill::writeDiscussionPage(RepoRun &run) {
    const auto rollback = [this](const Error &e) {
        m_writer.rollback();
        fail(e);
    };
    if (Error e = m_writer.begin()) {
        fail(e);
        return;
    }
    QList<QJsonObject> users;
    for (const QJsonObject &d : std::as_const(run.pageDiscussions))
        users << catalog::restUserFromGraphql(d.value(QStringLiteral("author")).toObject());
    for (const auto &pair : std::as_const(run.pageComments))
        users << catalog::restUserFromGraphql(pair.second.value(QStringLiteral("author")).toObject());
    users.removeIf([](const QJsonObject &u) { return u.isEmpty(); });
    catalog::RowWriter::Outcome outcome;
    if (Error e =
            m_writer.upsert(*catalog::findCollection(QStringLiteral("user")), users, catalog::MapContext{}, nullptr)) {
        rollback(e);
        return;
    }
    if (Error e = m_writer.upsert(*catalog::findCollection(QStringLiteral("discussion")), run.pageDiscussions,
                                  {run.repo.id, 0, {}}, &outcome)) {
        rollback(e);
        return;
    }
    // Group comments per discussion: the discussion id comes from the mapping context.
    QHash<qint64, QList<QJsonObject>> byDiscussion;
    for (const auto &pair : std::as_const(run.pageComments))
        byDiscussion[pair.first] << pair.second;
    for (auto it = byDiscussion.cbegin(); it != byDiscussion.cend(); ++it) {
        if (Error e = m_writer.upsert(*catalog::findCollection(QStringLiteral("discussion_comment")), it.value(),
                                      {run.repo.id, it.key(), {}}, &outcome)) {
            rollback(e);
            return;
        }
    }
    for (const QJsonObject &d : std::as_const(run.pageDiscussions)) {
        const QDateTime updated = QDateTime::fromString(d.value(QStringLiteral("updatedAt")).toString(), Qt::ISODate);
        if (updated.isValid() && (!run.cursor.since.isValid() || updated > run.cursor.since))
            run.cursor.since = updated;
    }
    run.cursor.fetched += run.pageDiscussions.size() + run.pageComments.size();
    run.cursor.written += outcome.written;
    run.cursor.done = !run.pageHasNext || run.pageNextCursor.isEmpty();
    run.cursor.nextUrl = run.cursor.done ? QString() : QString::fromLatin1(cursorPrefix) + run.pageNextCursor;
    if (Error e = m_cursors.save(run.cursor)) {
        rollback(e);
        return;
    }
    if (Error e = m_writer.commit()) {
        rollback(e);
        return;
    }
    m_records += outcome.written;
    if (run.cursor.done) {
        advance(run); // emits the final progress of this step
        return;
    }
    emitProgress(run);
    fetchDiscussions(run);
}

} // namespace hubsync::sync
