// Renderer, part 2: pull requests, comments, reactions, commits, releases, refs and discussions.

#include "render.h"

#include <QUrl>

namespace hubsync::githubsim {

void Renderer::pull(JsonWriter &w, const Repo &r, const Issue &i) const {
    const QString api = repoApi(r) + QStringLiteral("/pulls/") + QString::number(i.number);
    const QString issueApi = repoApi(r) + QStringLiteral("/issues/") + QString::number(i.number);
    const QString html = repoHtml(r) + QStringLiteral("/pull/") + QString::number(i.number);
    const qint64 id = m_world.pullId(r, i.number);
    const QString headSha = r.commits > 0 ? m_world.commitSha(r, i.headCommit) : QString(40, QLatin1Char('0'));
    const QString baseSha = r.commits > 0 ? m_world.commitSha(r, 0) : QString(40, QLatin1Char('0'));
    const QString statuses = repoApi(r) + QStringLiteral("/statuses/") + headSha;
    w.beginObject()
        .field("url", api)
        .field("id", id)
        .field("node_id", nodeId("PullRequest", id))
        .field("html_url", html)
        .field("diff_url", html + QStringLiteral(".diff"))
        .field("patch_url", html + QStringLiteral(".patch"))
        .field("issue_url", issueApi)
        .field("commits_url", api + QStringLiteral("/commits"))
        .field("review_comments_url", api + QStringLiteral("/comments"))
        .field("review_comment_url", repoApi(r) + QStringLiteral("/pulls/comments{/number}"))
        .field("comments_url", issueApi + QStringLiteral("/comments"))
        .field("statuses_url", statuses)
        .field("number", i.number)
        .field("state", i.closed ? "closed" : "open")
        .field("locked", i.locked)
        .field("title", i.title);
    w.key("user");
    user(w, i.user);
    w.field("body", i.body.isEmpty() ? QJsonValue() : QJsonValue(i.body));
    w.key("labels").beginArray();
    for (const qint64 labelId : i.labelIds) {
        if (const Label *l = m_world.labelById(r, labelId))
            label(w, r, *l);
    }
    w.endArray();
    w.nullField("milestone");
    w.key("active_lock_reason");
    if (i.locked && !i.lockReason.isEmpty())
        w.value(i.lockReason);
    else
        w.null();
    w.time("created_at", i.created)
        .time("updated_at", i.updated)
        .time("closed_at", i.closed ? i.closedAt : 0)
        .time("merged_at", i.merged ? i.closedAt : 0);
    w.key("merge_commit_sha");
    if (i.merged && r.commits > 0)
        w.value(m_world.commitSha(r, (i.headCommit + 1) % r.commits));
    else
        w.null();
    w.key("assignee");
    user(w, i.assignees.isEmpty() ? -1 : i.assignees.first());
    w.key("assignees").beginArray();
    for (const int a : i.assignees)
        user(w, a);
    w.endArray();
    w.key("requested_reviewers").beginArray().endArray();
    w.key("requested_teams").beginArray().endArray();
    const auto side = [&](const char *name, const QString &ref, const QString &sha) {
        w.key(name).beginObject().field("label", r.owner + QLatin1Char(':') + ref).field("ref", ref).field("sha", sha);
        w.key("user");
        owner(w, r);
        w.key("repo");
        repository(w, r, false);
        w.endObject();
    };
    side("head", i.headRef.isEmpty() ? QStringLiteral("feature/pr-%1").arg(i.number) : i.headRef, headSha);
    side("base", i.baseRef, baseSha);
    const auto href = [&](const char *name, const QString &url) {
        w.key(name).beginObject().field("href", url).endObject();
    };
    w.key("_links").beginObject();
    href("self", api);
    href("html", html);
    href("issue", issueApi);
    href("comments", issueApi + QStringLiteral("/comments"));
    href("review_comments", api + QStringLiteral("/comments"));
    href("review_comment", repoApi(r) + QStringLiteral("/pulls/comments{/number}"));
    href("commits", api + QStringLiteral("/commits"));
    href("statuses", statuses);
    w.endObject();
    w.field("author_association", i.user == 0 ? "OWNER" : "MEMBER")
        .nullField("auto_merge")
        .field("draft", i.draft)
        .field("merged", i.merged)
        .field("mergeable", QJsonValue())
        .field("rebaseable", QJsonValue())
        .field("mergeable_state", "unknown");
    w.key("merged_by");
    user(w, i.merged ? i.closedBy : -1);
    const quint64 h = mix(m_world.spec().seed, r.slot, i.number, 61);
    w.field("comments", i.comments)
        .field("review_comments", int(h % 4))
        .field("maintainer_can_modify", false)
        .field("commits", 1 + int(h % 7))
        .field("additions", int(h % 400))
        .field("deletions", int((h >> 10) % 200))
        .field("changed_files", 1 + int((h >> 20) % 12))
        .endObject();
}

void Renderer::comment(JsonWriter &w, const Repo &r, const Comment &c) const {
    const qint64 id = m_world.commentId(r, c.local);
    const QString api = repoApi(r) + QStringLiteral("/issues/comments/") + QString::number(id);
    const std::optional<Issue> thread = m_world.issue(r, c.number);
    const bool pull = thread && thread->pull;
    w.beginObject()
        .field("id", id)
        .field("node_id", nodeId("IssueComment", id))
        .field("url", api)
        .field("html_url", repoHtml(r) + (pull ? QStringLiteral("/pull/") : QStringLiteral("/issues/")) +
                               QString::number(c.number) + QStringLiteral("#issuecomment-") + QString::number(id))
        .field("body", c.body);
    w.key("user");
    user(w, c.user);
    w.time("created_at", c.created)
        .time("updated_at", c.updated)
        .field("issue_url", repoApi(r) + QStringLiteral("/issues/") + QString::number(c.number))
        .field("author_association", c.user == 0 ? "OWNER" : "MEMBER");
    w.key("reactions");
    reactionRollup(w, api + QStringLiteral("/reactions"), m_world.commentReactions(r, c.local));
    w.nullField("performed_via_github_app").endObject();
}

void Renderer::reaction(JsonWriter &w, const Reaction &x) const {
    w.beginObject().field("id", x.id).field("node_id", nodeId("Reaction", x.id));
    w.key("user");
    user(w, x.user);
    w.field("content", x.content).time("created_at", x.created).endObject();
}

void Renderer::commit(JsonWriter &w, const Repo &r, qint64 k) const {
    const QString sha = m_world.commitSha(r, k);
    const QString api = repoApi(r) + QStringLiteral("/commits/") + sha;
    const quint64 h = mix(m_world.spec().seed, r.slot, k, 71);
    const int author = 1 + int(h % quint64(m_world.spec().users));
    const bool linked = h % 9 != 0; // some commits have an e-mail GitHub cannot map to a user
    const QString date = QString::fromLatin1(isoTime(m_world.commitTime(r, k)));
    const QString name = m_world.userLogin(author);
    w.beginObject()
        .field("url", api)
        .field("sha", sha)
        .field("node_id", nodeId("Commit", QString::number(r.id) + QLatin1Char(':') + sha))
        .field("html_url", repoHtml(r) + QStringLiteral("/commit/") + sha)
        .field("comments_url", api + QStringLiteral("/comments"));
    w.key("commit").beginObject().field("url", repoApi(r) + QStringLiteral("/git/commits/") + sha);
    w.key("author")
        .beginObject()
        .field("name", name)
        .field("email", name + QStringLiteral("@users.example.com"))
        .field("date", date)
        .endObject();
    w.key("committer")
        .beginObject()
        .field("name", name)
        .field("email", name + QStringLiteral("@users.example.com"))
        .field("date", date)
        .endObject();
    w.field("message", QStringLiteral("Change %1 in %2\n\nGenerated commit.").arg(r.commits - k).arg(r.name));
    const QString tree = m_world.commitSha(r, -1 - k);
    w.key("tree")
        .beginObject()
        .field("url", repoApi(r) + QStringLiteral("/git/trees/") + tree)
        .field("sha", tree)
        .endObject();
    w.field("comment_count", 0);
    w.key("verification")
        .beginObject()
        .field("verified", false)
        .field("reason", "unsigned")
        .nullField("signature")
        .nullField("payload")
        .endObject();
    w.endObject();
    w.key("author");
    user(w, linked ? author : -1);
    w.key("committer");
    user(w, linked ? author : -1);
    w.key("parents").beginArray();
    if (k + 1 < r.commits) {
        const QString parent = m_world.commitSha(r, k + 1);
        w.beginObject()
            .field("url", repoApi(r) + QStringLiteral("/commits/") + parent)
            .field("sha", parent)
            .field("html_url", repoHtml(r) + QStringLiteral("/commit/") + parent)
            .endObject();
    }
    w.endArray().endObject();
}

void Renderer::release(JsonWriter &w, const Repo &r, const Release &rel) const {
    const QString api = repoApi(r) + QStringLiteral("/releases/") + QString::number(rel.id);
    w.beginObject()
        .field("url", api)
        .field("html_url", repoHtml(r) + QStringLiteral("/releases/tag/") + rel.tag)
        .field("assets_url", api + QStringLiteral("/assets"))
        .field("upload_url", api + QStringLiteral("/assets{?name,label}"))
        .field("tarball_url", repoApi(r) + QStringLiteral("/tarball/") + rel.tag)
        .field("zipball_url", repoApi(r) + QStringLiteral("/zipball/") + rel.tag)
        .field("id", rel.id)
        .field("node_id", nodeId("Release", rel.id))
        .field("tag_name", rel.tag)
        .field("target_commitish", rel.target)
        .field("name", rel.name)
        .field("body", rel.body)
        .field("draft", rel.draft)
        .field("prerelease", rel.prerelease)
        .time("created_at", rel.created)
        .time("published_at", rel.published);
    w.key("author");
    user(w, rel.author);
    w.key("assets").beginArray().endArray().endObject();
}

void Renderer::ref(JsonWriter &w, const Repo &r, const Ref &x) const {
    const bool tag = x.ref.startsWith(QLatin1String("refs/tags/"));
    w.beginObject()
        .field("ref", x.ref)
        .field("node_id", nodeId("Ref", QString::number(r.id) + QLatin1Char(':') + x.ref))
        .field("url", repoApi(r) + QStringLiteral("/git/") + x.ref);
    w.key("object")
        .beginObject()
        .field("type", tag ? "tag" : "commit")
        .field("sha", x.sha)
        .field("url", repoApi(r) + (tag ? QStringLiteral("/git/tags/") : QStringLiteral("/git/commits/")) + x.sha)
        .endObject();
    w.endObject();
}

void Renderer::branch(JsonWriter &w, const Repo &r, const Ref &x) const {
    const QString name = x.ref.mid(11); // refs/heads/
    w.beginObject().field("name", name);
    w.key("commit")
        .beginObject()
        .field("sha", x.sha)
        .field("url", repoApi(r) + QStringLiteral("/commits/") + x.sha)
        .endObject();
    // Only main is protected; the others carry GitHub's "protection disabled" object.
    const bool isProtected = name == QLatin1String("main");
    w.field("protected", isProtected);
    w.key("protection")
        .beginObject()
        .field("enabled", isProtected)
        .key("required_status_checks")
        .beginObject()
        .field("enforcement_level", isProtected ? "non_admins" : "off")
        .key("contexts")
        .beginArray();
    if (isProtected)
        w.value("ci");
    w.endArray().key("checks").beginArray().endArray().endObject().endObject();
    w.field("protection_url", repoApi(r) + QStringLiteral("/branches/") + name + QStringLiteral("/protection"));
    w.endObject();
}

void Renderer::tag(JsonWriter &w, const Repo &r, const Ref &x) const {
    const QString name = x.ref.mid(10); // refs/tags/
    w.beginObject().field("name", name);
    w.key("commit")
        .beginObject()
        .field("sha", x.sha)
        .field("url", repoApi(r) + QStringLiteral("/commits/") + x.sha)
        .endObject();
    w.field("zipball_url", repoApi(r) + QStringLiteral("/zipball/") + name)
        .field("tarball_url", repoApi(r) + QStringLiteral("/tarball/") + name)
        .field("node_id", nodeId("Ref", QString::number(r.id) + QLatin1Char(':') + x.ref))
        .endObject();
}

void Renderer::discussion(JsonWriter &w, const Repo &r, const Discussion &d) const {
    const QStringList &categories = World::discussionCategories();
    const qint64 categoryId = r.id * 10 + d.category;
    w.beginObject().field("repository_url", repoApi(r));
    w.key("category")
        .beginObject()
        .field("id", categoryId)
        .field("node_id", nodeId("DiscussionCategory", categoryId))
        .field("repository_id", r.id)
        .field("emoji", ":speech_balloon:")
        .field("name", categories[d.category])
        .field("description", QStringLiteral("Discussions about ") + categories[d.category])
        .time("created_at", r.created)
        .time("updated_at", r.created)
        .field("slug", categories[d.category].toLower().remove(QLatin1Char('&')))
        .field("is_answerable", d.category == 3)
        .endObject();
    w.nullField("answer_html_url").time("answer_chosen_at", d.answerChosenAt).nullField("answer_chosen_by");
    w.field("html_url", repoHtml(r) + QStringLiteral("/discussions/") + QString::number(d.number))
        .field("id", d.id)
        .field("node_id", nodeId("Discussion", d.id))
        .field("number", d.number)
        .field("title", d.title);
    w.key("user");
    user(w, d.author);
    w.field("state", d.locked ? "locked" : "open")
        .field("locked", d.locked)
        .field("comments", int(d.comments.size()))
        .time("created_at", d.created)
        .time("updated_at", d.updated)
        .field("author_association", "MEMBER")
        .nullField("active_lock_reason")
        .field("body", d.body)
        .endObject();
}

void Renderer::discussionComment(JsonWriter &w, const Repo &r, const Discussion &d, const DiscussionComment &c) const {
    int children = 0;
    for (const DiscussionComment &other : d.comments)
        children += other.replyTo == c.id;
    w.beginObject()
        .field("id", c.id)
        .field("node_id", nodeId("DiscussionComment", c.id))
        .field("html_url", repoHtml(r) + QStringLiteral("/discussions/") + QString::number(d.number) +
                               QStringLiteral("#discussioncomment-") + QString::number(c.id));
    w.key("parent_id");
    if (c.replyTo != 0)
        w.value(c.replyTo);
    else
        w.null();
    w.field("child_comment_count", children)
        .field("repository_url", r.fullName())
        .field("discussion_id", d.id)
        .field("author_association", "MEMBER");
    w.key("user");
    user(w, c.author);
    w.time("created_at", c.created).time("updated_at", c.updated).field("body", c.body);
    w.key("reactions");
    reactionRollup(w, m_base + QStringLiteral("/reactions/discussion-comment/") + QString::number(c.id), {});
    w.endObject();
}

} // namespace hubsync::githubsim
