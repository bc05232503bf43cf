#pragma once

// Private parts of Backfill shared by its implementation files.

#include "core/guarded.h"
#include "sync/backfill.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QSet>

#include <deque>
#include <functional>
#include <memory>

namespace hubsync::sync {

struct Backfill::RepoRun {
    Repository repo;
    Step step = Step::Label;
    Cursor cursor;
    int pagesAtSize = 0; // GraphQL pages answered in full since the size last changed (growPage())
    QElapsedTimer stepClock;
    qint64 fetchedAtStepStart = 0;

    // Pages queued on a writer lane (REST steps, see PageWriters).
    int lane = 0;
    int pendingWrites = 0;
    bool fetchWhenWritten = false;     // pagesAhead reached: the next fetch waits for a commit
    std::function<void()> whenWritten; // runs once pendingWrites is back to 0

    // Reactions: subjects being fetched (several at once; each one is written in its own transaction).
    // Reactions are fetched in waves of subjects; a wave is written in one transaction.
    QList<std::shared_ptr<struct ReactionSubject>> wave;
    int waveOutstanding = 0;

    // Discussions with more comments than the first page carried.
    struct MoreComments {
        QString nodeId;
        qint64 discussionId = 0;
        QString after;
        bool replies = false; // nodeId is a comment whose replies go on (else a discussion's comments)
    };
    std::deque<MoreComments> moreComments;
    std::deque<std::pair<QString, qint64>> replyOwners; // (comment node id, discussion id) with replies to fetch
    int replyBatch = 100; // comments whose replies one nodes(ids:) query asks for (at most 100 ids)
    // A page of discussions is written only once all of its comments are in, together with its cursor.
    QList<QJsonObject> pageDiscussions;
    QList<QPair<qint64, QJsonObject>> pageComments; // (discussion id, comment)
    QString pageNextCursor;
    bool pageHasNext = false;

    // Comments through GraphQL: the page being assembled (REST-shaped), the threads whose comments go on
    // beyond their first 100, and the cursor marker of the next page.
    struct MoreThreadComments {
        QString threadId; // the or pull request's node id
        qint64 number = 0;
        bool pull = false;
        QString after;
    };
    QList<QJsonObject> threadComments;
    std::deque<MoreThreadComments> moreThreadComments;
    QString threadPageNext;
};

struct ReactionSubject {
    QString type;             // issue, pull_request, comment
    qint64 key = 0;           // issue number or comment id
    QString path;             // REST: the reactions list
    QString nodeId;           // GraphQL: the subject's node id (empty: fetched through REST)
    QList<QJsonObject> items; // REST-shaped reactions
    bool gone = false;
};

// Whether a GraphQL answer's errors are all NOT_FOUND: objects deleted since they were listed, which come
// back null and have nothing left to sync. Any other error (alone or beside those) is a real failure.
bool onlyNotFound(const GraphqlResult &result);
// Whether the answer says the query was too heavy for GitHub: a partial answer (RESOURCE_LIMITS_EXCEEDED) or
// none at all (502/504 and timeouts, which the client has already retried). The caller asks for less.
bool tooLarge(const GraphqlResult &result);
// The page size a GraphQL walk asks for: the one that last worked (kept with its cursor), else `largest`.
inline int learntPageSize(const Cursor &cursor, int largest) {
    return cursor.pageSize > 0 ? qMin(cursor.pageSize, largest) : largest;
}

// Parses a JSON array body; returns false (and leaves items empty) for anything else.
bool parseArray(const QByteArray &body, QList<QJsonObject> &items);
// Same for a list page, with the document the client already parsed, and each object's JSON text as
// received in `raw` (parallel to `items`; empty when the body could not be split that way).
bool parseArray(const Page &page, QList<QJsonObject> &items, QList<QByteArray> &raw);

// The repositories the credentials can see: an installation lists them under /installation/repositories
// ({total_count, repositories}), a token lists what its user can reach (/user/repos, a bare array).
// Shared by the backfill and the poller's repository-list walk.
QString repositoryListPath(bool installation, int perPage);
// One page of that list; false when the body is malformed.
bool parseRepositoryPage(const QByteArray &body, bool installation, QList<QJsonObject> &items);

} // namespace hubsync::sync
