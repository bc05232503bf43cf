#pragma once

#include "dataset.h"
#include "records.h"

#include <QHash>
#include <QJsonObject>
#include <QList>
#include <QString>
#include <QStringList>

#include <array>
#include <functional>
#include <map>
#include <memory>
#include <optional>

namespace hubsync::githubsim {

// One repository: generated content (described by its sizes) plus overlays of what changed at run time.
// Small collections (labels, releases, refs, discussions) are materialised at start; issues, comments,
// reactions and commits are computed on demand.
struct Repo {
    int slot = 0;
    qint64 id = 0;
    QString owner;
    QString name;
    QString description;
    bool isPrivate = false;
    bool deleted = false;
    bool hasDiscussions = true;
    bool hasIssues = true;     // false: the issue endpoints answer 410 "Issues are disabled for this repo"
    QStringList protectedRefs; // branches under protection ("refs/heads/main"): not moved or deleted through the API
    qint64 created = 0;
    qint64 updated = 0;
    qint64 pushed = 0;

    // Generated sizes (zero for repositories created at run time).
    qint64 genIssues = 0;
    qint64 genPulls = 0;
    int commentsPerThread = 0;
    qint64 commits = 0;
    qint64 base = 0;          // timestamp origin of this repository's generated history
    qint64 spacing = 1;       // seconds between generated threads
    qint64 commitSpacing = 1; // seconds between generated commits

    QList<Label> labels;
    QList<Release> releases;
    QList<Ref> refs;
    QList<Discussion> discussions;

    std::map<qint64, std::optional<Issue>> issues;     // number -> changed issue; nullopt = deleted
    std::map<qint64, std::optional<Comment>> comments; // local index -> changed comment; nullopt = deleted
    QHash<qint64, QList<Reaction>> issueReactions;     // number -> reactions, replaces the generated list
    QHash<qint64, QList<Reaction>> commentReactions;   // comment local -> reactions
    qint64 nextNumber = 1;
    qint64 nextComment = 0;
    qint64 nextReaction = 900'000'000;
    qint64 nextLabel = 0;
    qint64 nextRelease = 0;
    qint64 nextDiscussionComment = 0;

    [[nodiscard]] QString fullName() const { return owner + QLatin1Char('/') + name; }
    [[nodiscard]] qint64 genThreads() const { return genIssues + genPulls; }
};

// What changed, for webhooks: copies of the objects as they are after the change (before it, for deletions).
struct Change {
    Change(QString e, QString a, int s, int by)
        : event(std::move(e))
        , action(std::move(a))
        , slot(s)
        , actor(by) {}
    QString event;
    QString action;
    int slot = -1;
    int actor = 0;
    std::optional<Issue> issue;
    std::optional<Comment> comment;
    std::optional<Label> label;
    int assignee = -1;
    std::optional<Release> release;
    std::optional<Ref> ref;
    std::optional<Discussion> discussion;
    std::optional<DiscussionComment> discussionComment;
    QJsonObject changes; // GitHub's "changes" object for edits
};

struct ListQuery {
    enum class Kind { IssuesAndPulls, IssuesOnly, PullsOnly };
    Kind kind = Kind::IssuesAndPulls;
    QString state = QStringLiteral("open"); // open | closed | all
    QString sort = QStringLiteral("created");
    bool ascending = false;
    qint64 since = -1; // updated_at >= since
};

class World final {
public:
    explicit World(DatasetSpec spec);
    Q_DISABLE_COPY_MOVE(World)

    [[nodiscard]] const DatasetSpec &spec() const { return m_spec; }
    [[nodiscard]] quint64 version() const { return m_version; }
    void setChangeHandler(std::function<void(const Change &)> handler) { m_onChange = std::move(handler); }
    // The clock for run-time changes (tests may pin it).
    void setClock(std::function<qint64()> clock) { m_clock = std::move(clock); }
    [[nodiscard]] qint64 now() const { return m_clock(); }

    // Users: a generated pool; index 0 is the authenticated "viewer" of personal access tokens.
    [[nodiscard]] int userCount() const { return m_spec.users + 1; }
    [[nodiscard]] qint64 userId(int u) const { return ids::user + u; }
    [[nodiscard]] QString userLogin(int u) const;
    [[nodiscard]] int userByLogin(const QString &login) const; // -1 when unknown
    [[nodiscard]] int userById(qint64 id) const;               // -1 when unknown
    [[nodiscard]] QString viewerLogin() const { return userLogin(0); }
    void setViewerLogin(const QString &login) { m_viewerLogin = login; }

    // Repositories
    [[nodiscard]] int slotCount() const { return int(m_repos.size()); }
    [[nodiscard]] const Repo *repo(int slot) const; // nullptr when deleted or unknown
    [[nodiscard]] Repo *repo(int slot);
    [[nodiscard]] int findRepo(const QString &owner, const QString &name) const; // case-insensitive, -1
    [[nodiscard]] int repoById(qint64 id) const;
    [[nodiscard]] QList<int> liveRepos() const;
    int createRepo(const QString &owner, const QString &name, const QString &description, bool isPrivate, int actor);
    bool deleteRepo(int slot, int actor);
    // Repository settings a user changes (a `repository` `edited` webhook follows).
    void setRepoFeatures(int slot, bool hasIssues, bool hasDiscussions, int actor);

    // Issues and pull requests
    [[nodiscard]] std::optional<Issue> issue(const Repo &r, qint64 number) const;
    [[nodiscard]] qint64 issueId(const Repo &r, qint64 number) const {
        return ids::issue + r.slot * ids::slotStride + number;
    }
    [[nodiscard]] qint64 pullId(const Repo &r, qint64 number) const {
        return ids::pull + r.slot * ids::slotStride + number;
    }
    [[nodiscard]] std::shared_ptr<const QList<qint64>> issueNumbers(const Repo &r, const ListQuery &q) const;
    [[nodiscard]] bool issueDeleted(const Repo &r, qint64 number) const;

    // Conversation comments (issues and pull requests)
    [[nodiscard]] std::optional<Comment> comment(const Repo &r, qint64 local) const;
    [[nodiscard]] qint64 commentId(const Repo &r, qint64 local) const {
        return ids::comment + r.slot * ids::slotStride + local;
    }
    [[nodiscard]] bool commentFromId(qint64 id, int *slot, qint64 *local) const;
    // Repository-wide (number 0) or one thread's comments, ordered by (sort, id).
    [[nodiscard]] std::shared_ptr<const QList<qint64>> commentLocals(const Repo &r, qint64 number, bool byUpdated,
                                                                     bool ascending, qint64 since) const;

    // Reactions
    [[nodiscard]] QList<Reaction> issueReactions(const Repo &r, qint64 number) const;
    [[nodiscard]] QList<Reaction> commentReactions(const Repo &r, qint64 local) const;

    // Commits (index 0 = newest, as GitHub lists them)
    [[nodiscard]] QString commitSha(const Repo &r, qint64 k) const;
    [[nodiscard]] qint64 commitTime(const Repo &r, qint64 k) const {
        return r.base + (r.commits - k) * r.commitSpacing;
    }
    [[nodiscard]] qint64 commitIndex(const Repo &r, const QString &sha) const; // -1

    [[nodiscard]] static const QStringList &reactionContents();
    [[nodiscard]] static const QStringList &discussionCategories();
    // The labels GitHub gives every new repository: name, colour, description.
    [[nodiscard]] static const QList<std::array<const char *, 3>> &defaultLabels();

    // Changes. `actor` is the user index the change is made by. Each returns nullopt / false when the
    // target does not exist; REST validation happens before these are called.
    Issue createIssue(int slot, const Issue &fields, int actor);
    // One edit, announced by `events` (each gets the edited issue; an empty event name means "issues" or
    // "pull_request"). GitHub sends several events for one PATCH: edited, closed, labeled ...
    std::optional<Issue> updateIssue(int slot, qint64 number, const std::function<void(Issue &)> &edit,
                                     QList<Change> events, int actor);
    bool deleteIssue(int slot, qint64 number, int actor);

    std::optional<Comment> createComment(int slot, qint64 number, const QString &body, int actor);
    std::optional<Comment> editComment(int slot, qint64 local, const QString &body, int actor);
    bool deleteComment(int slot, qint64 local, int actor);

    std::optional<Reaction> addReaction(int slot, qint64 number, qint64 commentLocal, const QString &content, int actor,
                                        bool *existed);
    bool deleteReaction(int slot, qint64 reactionId);

    std::optional<Label> createLabel(int slot, const Label &label, int actor);
    std::optional<Label> editLabel(int slot, const QString &name, const Label &patch, int actor);
    bool deleteLabel(int slot, const QString &name, int actor);
    [[nodiscard]] const Label *labelByName(const Repo &r, const QString &name) const;
    [[nodiscard]] const Label *labelById(const Repo &r, qint64 id) const;

    std::optional<Release> createRelease(int slot, const Release &release, int actor);
    std::optional<Release> editRelease(int slot, qint64 id, const std::function<void(Release &)> &edit, int actor);
    bool deleteRelease(int slot, qint64 id, int actor);

    std::optional<Ref> createRef(int slot, const QString &ref, const QString &sha, int actor);
    std::optional<Ref> updateRef(int slot, const QString &ref, const QString &sha, int actor);
    bool deleteRef(int slot, const QString &ref, int actor);

    std::optional<Discussion> createDiscussion(int slot, const QString &title, const QString &body, int category,
                                               int actor);
    std::optional<Discussion> editDiscussion(int slot, qint64 number, const std::function<void(Discussion &)> &edit,
                                             const QString &action, int actor);
    bool deleteDiscussion(int slot, qint64 number, int actor);
    std::optional<DiscussionComment> createDiscussionComment(int slot, qint64 number, const QString &body,
                                                             qint64 replyTo, int actor);
    std::optional<DiscussionComment> editDiscussionComment(int slot, qint64 id, const QString &body, int actor);
    bool deleteDiscussionComment(int slot, qint64 id, int actor);
    [[nodiscard]] int discussionIndex(const Repo &r, qint64 number) const; // -1

private:
    void generateRepo(Repo &r, int index);
    [[nodiscard]] Issue generatedIssue(const Repo &r, qint64 number) const;
    [[nodiscard]] bool generatedIsPull(const Repo &r, qint64 number) const;
    [[nodiscard]] bool generatedClosed(const Repo &r, qint64 number) const;
    [[nodiscard]] qint64 generatedCreated(const Repo &r, qint64 number) const { return r.base + number * r.spacing; }
    [[nodiscard]] qint64 generatedUpdated(const Repo &r, qint64 number) const;
    [[nodiscard]] Comment generatedComment(const Repo &r, qint64 local) const;
    [[nodiscard]] QList<Reaction> generatedReactions(const Repo &r, qint64 target, bool onComment) const;
    [[nodiscard]] qint64 stamp(qint64 previous) const; // now, but strictly after `previous`
    void changed(Change change);

    DatasetSpec m_spec;
    QList<Repo> m_repos;
    QString m_viewerLogin = QStringLiteral("sim-user");
    quint64 m_version = 1;
    std::function<void(const Change &)> m_onChange;
    std::function<qint64()> m_clock;
    mutable QHash<QString, std::shared_ptr<const QList<qint64>>> m_listCache;
    mutable quint64 m_listCacheVersion = 0;
};

} // namespace hubsync::githubsim
