#pragma once

#include <QList>
#include <QString>

namespace hubsync::githubsim {

// Plain data of the simulated objects. Timestamps are seconds since the epoch (0 = null); users are
// user indexes into the generated pool (see World::userId). JSON shapes live in render.cpp.

struct Label {
    qint64 id = 0;
    QString name;
    QString color;
    QString description;
    bool isDefault = false;
};

// An issue or a pull request (they share the number space, as on GitHub).
struct Issue {
    qint64 number = 0;
    bool pull = false;
    QString title;
    QString body;
    bool closed = false;
    QString stateReason; // completed | not_planned | reopened | empty
    bool locked = false;
    QString lockReason;
    int user = 0;
    QList<int> assignees;
    QList<qint64> labelIds;
    int comments = 0;
    qint64 created = 0;
    qint64 updated = 0;
    qint64 closedAt = 0;
    int closedBy = -1;
    // Pull requests only.
    bool draft = false;
    bool merged = false;
    QString headRef;
    int headCommit = 0;                       // commit index the head points at
    QString baseRef = QStringLiteral("main"); // the branch it merges into
};

struct Comment {
    qint64 local = 0;  // index within the repository; the REST id derives from it
    qint64 number = 0; // the issue or pull request it belongs to
    int user = 0;
    QString body;
    qint64 created = 0;
    qint64 updated = 0;
};

struct Reaction {
    qint64 id = 0;
    int user = 0;
    QString content; // +1 -1 laugh confused heart hooray rocket eyes
    qint64 created = 0;
};

struct Release {
    qint64 id = 0;
    QString tag;
    QString name;
    QString body;
    QString target = QStringLiteral("main");
    bool draft = false;
    bool prerelease = false;
    int author = 0;
    qint64 created = 0;
    qint64 published = 0;
};

struct Ref {
    QString ref; // refs/heads/main, refs/tags/v1.0.0
    QString sha;
};

struct DiscussionComment {
    qint64 id = 0;
    int discussion = 0; // index into Repo::discussions
    int author = 0;
    QString body;
    qint64 created = 0;
    qint64 updated = 0;
    int upvotes = 0;
    qint64 replyTo = 0; // id of the parent comment, 0 for top-level
};

struct Discussion {
    qint64 id = 0;
    qint64 number = 0;
    QString title;
    QString body;
    int author = 0;
    int category = 0;
    bool locked = false;
    int upvotes = 0;
    qint64 created = 0;
    qint64 updated = 0;
    qint64 answerChosenAt = 0;
    bool deleted = false;
    QList<DiscussionComment> comments;
};

} // namespace hubsync::githubsim
