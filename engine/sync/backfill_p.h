#pragma once

// Private parts of Backfill shared by its implementation files.

#include "sync/backfill.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QPointer>

#include <deque>

namespace hubsync::sync {

struct Backfill::RepoRun {
    Repository repo;
    Step step = Step::Label;
    Cursor cursor;
    QElapsedTimer stepClock;
    qint64 fetchedAtStepStart = 0;

    // Reactions: the subject being fetched and its pages so far.
    QString subjectType;
    qint64 subjectKey = 0;
    QString subjectPath;
    QList<QJsonObject> reactionItems;

    // Discussions with more comments than the first page carried.
    struct MoreComments {
        QString nodeId;
        qint64 discussionId = 0;
        QString after;
    };
    std::deque<MoreComments> moreComments;
    // A page of discussions is written only once all of its comments are in, together with its cursor.
    QList<QJsonObject> pageDiscussions;
    QList<QPair<qint64, QJsonObject>> pageComments; // (discussion id, comment)
    QString pageNextCursor;
    bool pageHasNext = false;
};

// Parses a JSON array body; returns false (and leaves items empty) for anything else.
bool parseArray(const QByteArray &body, QList<QJsonObject> &items);

} // namespace hubsync::sync
