#pragma once

#include <QString>

namespace hubsync::sync {

// One step of a repository's sync, in the order a backfill runs them. Labels first (issues link to
// them), reactions last (they are found through the rollups of issues and comments).
enum class Step { Label, Ref, Issue, PullRequest, Comment, Commit, Release, Discussion, Reaction, Done };
QString stepTable(Step step);

struct Repository {
    qint64 id = 0;
    QString fullName;
    bool hasIssues = true;
    bool hasDiscussions = true;
};

} // namespace hubsync::sync
