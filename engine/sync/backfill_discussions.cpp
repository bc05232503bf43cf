// Backfill, part 4: discussions and their comments, which only GitHub's GraphQL API serves.

#include "catalog/catalog.h"
#include "store/pg.h"
#include "sync/backfill_p.h"

namespace hubsync::sync {

namespace {

const char *const cursorPrefix = "graphql:";

QString replyFields() {
    return QStringLiteral("totalCount pageInfo { hasNextPage endCursor } nodes { ") +
           catalog::discussionCommentFields() + QStringLiteral(" }");
}

// Top-level comments, each with its first replies: GitHub nests one level, and a reply is listed only
// under its parent's `replies`, never among the discussion's `comments`.
QString commentFields() {
    return QStringLiteral("totalCount pageInfo { hasNextPage endCursor } nodes { ") +
           catalog::discussionCommentFields() + QStringLiteral(" replies(first: 100) { ") + replyFields() +
           QStringLiteral(" } }");
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

QString moreRepliesQuery() {
    return QStringLiteral("query($id: ID!, $after: String) { node(id: $id) { ... on DiscussionComment {"
                          " replies(first: 100, after: $after) { ") +
           replyFields() + QStringLiteral(" } } } }");
}

// Adds a page of comments (or of one comment's replies) to the discussion page being assembled, and
// remembers where the connection goes on. (A template: Backfill::RepoRun is private to Backfill.)
template <typename Run>
void collectComments(Run &run, qint64 discussionId, const QString &ownerNodeId, const QJsonObject &connection,
                     bool replies) {
    for (const QJsonValue &value : connection.value(QStringLiteral("nodes")).toArray()) {
        QJsonObject comment = value.toObject();
        const QJsonObject nested = comment.take(QStringLiteral("replies")).toObject();
        run.pageComments << qMakePair(discussionId, comment);
        if (!replies && !nested.isEmpty())
            collectComments(run, discussionId, comment.value(QStringLiteral("id")).toString(), nested, true);
    }
    const QJsonObject info = connection.value(QStringLiteral("pageInfo")).toObject();
    if (info.value(QStringLiteral("hasNextPage")).toBool())
        run.moreComments.push_back(
            {ownerNodeId, discussionId, info.value(QStringLiteral("endCursor")).toString(), replies});
}

} // namespace

void Backfill::fetchDiscussions(RepoRun &run) {
    const QStringList parts = run.repo.fullName.split(QLatin1Char('/'));
    QJsonObject variables{{QStringLiteral("owner"), parts.value(0)},
                          {QStringLiteral("name"), parts.value(1)},
                          {QStringLiteral("first"), qMin(m_options.perPage, 50)}};
    if (run.cursor.nextUrl.startsWith(QLatin1String(cursorPrefix)))
        variables.insert(QStringLiteral("after"), run.cursor.nextUrl.mid(int(qstrlen(cursorPrefix))));
    RepoRun *target = &run;
    m_api.graphql(discussionsQuery(), variables,
                  whileAlive(this, [target](Backfill &self, const GraphqlResult &result) {
                      if (!self.m_failed)
                          self.onDiscussions(*target, result);
                  }));
}

void Backfill::onDiscussions(RepoRun &run, const GraphqlResult &result) {
    if (result.error) {
        if (handleStepError(run, result.error, result.error.httpStatus))
            advance(run);
        return;
    }
    const QJsonObject repository = result.data.value(QStringLiteral("repository")).toObject();
    const QJsonObject connection = repository.value(QStringLiteral("discussions")).toObject();
    if (repository.isEmpty() || connection.isEmpty()) {
        // Discussions disabled, or a repository GraphQL cannot see: nothing to sync.
        handleStepError(run, Error::make(Error::Kind::GitHubNotFound, QStringLiteral("no discussions")), 404);
        advance(run);
        return;
    }
    run.cursor.total = connection.value(QStringLiteral("totalCount")).toInteger(-1);
    const QJsonObject pageInfo = connection.value(QStringLiteral("pageInfo")).toObject();
    run.pageHasNext = pageInfo.value(QStringLiteral("hasNextPage")).toBool();
    run.pageNextCursor = pageInfo.value(QStringLiteral("endCursor")).toString();
    run.pageDiscussions.clear();
    run.pageComments.clear();
    run.moreComments.clear();
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
    if (run.moreComments.empty()) {
        writeDiscussionPage(run);
        return;
    }
    const RepoRun::MoreComments more = run.moreComments.front();
    RepoRun *target = &run;
    m_api.graphql(more.replies ? moreRepliesQuery() : moreCommentsQuery(),
                  QJsonObject{{QStringLiteral("id"), more.nodeId}, {QStringLiteral("after"), more.after}},
                  whileAlive(this, [target, more](Backfill &self, const GraphqlResult &result) {
                      if (self.m_failed)
                          return;
                      RepoRun &r = *target;
                      if (result.error) {
                          self.fail(Error::make(
                              result.error.kind,
                              QStringLiteral("%1 discussion comments: %2").arg(r.repo.fullName, result.error.message)));
                          return;
                      }
                      const QJsonObject connection =
                          result.data.value(QStringLiteral("node"))
                              .toObject()
                              .value(more.replies ? QStringLiteral("replies") : QStringLiteral("comments"))
                              .toObject();
                      r.moreComments.pop_front();
                      collectComments(r, more.discussionId, more.nodeId, connection, more.replies);
                      self.fetchMoreDiscussionComments(r);
                  }));
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
