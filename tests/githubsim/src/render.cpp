#include "render.h"

#include <QUrl>

namespace hubsync::githubsim {

namespace {
constexpr int maxCachedUsers = 20000;
}

Renderer::Renderer(const World &world)
    : m_world(world) {}

void Renderer::setBaseUrl(const QString &baseUrl) {
    m_base = baseUrl;
    m_userCache.clear();
    m_repoCache.clear();
}

void Renderer::user(JsonWriter &w, int u) const {
    if (u < 0) {
        w.null();
        return;
    }
    if (const auto it = m_userCache.constFind(u); it != m_userCache.constEnd()) {
        w.raw(*it);
        return;
    }
    QByteArray out;
    JsonWriter j(&out);
    const QString login = m_world.userLogin(u);
    const qint64 id = m_world.userId(u);
    const QString api = m_base + QStringLiteral("/users/") + login;
    j.beginObject()
        .field("login", login)
        .field("id", id)
        .field("node_id", nodeId("User", id))
        .field("avatar_url", m_base + QStringLiteral("/avatars/u/") + QString::number(id))
        .field("gravatar_id", "")
        .field("url", api)
        .field("html_url", m_base + QLatin1Char('/') + login)
        .field("followers_url", api + QStringLiteral("/followers"))
        .field("following_url", api + QStringLiteral("/following{/other_user}"))
        .field("gists_url", api + QStringLiteral("/gists{/gist_id}"))
        .field("starred_url", api + QStringLiteral("/starred{/owner}{/repo}"))
        .field("subscriptions_url", api + QStringLiteral("/subscriptions"))
        .field("organizations_url", api + QStringLiteral("/orgs"))
        .field("repos_url", api + QStringLiteral("/repos"))
        .field("events_url", api + QStringLiteral("/events{/privacy}"))
        .field("received_events_url", api + QStringLiteral("/received_events"))
        .field("type", "User")
        .field("site_admin", false)
        .endObject();
    if (m_userCache.size() < maxCachedUsers)
        m_userCache.insert(u, out);
    w.raw(out);
}

void Renderer::owner(JsonWriter &w, const Repo &r) const {
    const int u = m_world.userByLogin(r.owner);
    if (u >= 0 && r.owner.compare(m_world.spec().owner, Qt::CaseInsensitive) != 0) {
        user(w, u);
        return;
    }
    const QString api = m_base + QStringLiteral("/users/") + r.owner;
    // The dataset's organisation has the fixed id every other object (webhooks, installations) uses.
    const qint64 id = r.owner.compare(m_world.spec().owner, Qt::CaseInsensitive) == 0
                          ? ids::organization
                          : ids::organization + 1 + qint64(qHash(r.owner.toLower(), 0) % 100000);
    w.beginObject()
        .field("login", r.owner)
        .field("id", id)
        .field("node_id", nodeId("Organization", id))
        .field("avatar_url", m_base + QStringLiteral("/avatars/u/") + QString::number(id))
        .field("gravatar_id", "")
        .field("url", api)
        .field("html_url", m_base + QLatin1Char('/') + r.owner)
        .field("followers_url", api + QStringLiteral("/followers"))
        .field("following_url", api + QStringLiteral("/following{/other_user}"))
        .field("gists_url", api + QStringLiteral("/gists{/gist_id}"))
        .field("starred_url", api + QStringLiteral("/starred{/owner}{/repo}"))
        .field("subscriptions_url", api + QStringLiteral("/subscriptions"))
        .field("organizations_url", api + QStringLiteral("/orgs"))
        .field("repos_url", api + QStringLiteral("/repos"))
        .field("events_url", api + QStringLiteral("/events{/privacy}"))
        .field("received_events_url", api + QStringLiteral("/received_events"))
        .field("type", "Organization")
        .field("site_admin", false)
        .endObject();
}

void Renderer::repository(JsonWriter &w, const Repo &r, bool withPermissions) const {
    if (m_repoCacheVersion != m_world.version()) {
        m_repoCache.clear();
        m_repoCacheVersion = m_world.version();
    }
    const int cacheKey = r.slot * 2 + (withPermissions ? 1 : 0);
    if (const auto it = m_repoCache.constFind(cacheKey); it != m_repoCache.constEnd()) {
        w.raw(*it);
        return;
    }
    QByteArray out;
    JsonWriter j(&out);
    const QString api = repoApi(r);
    const QString html = repoHtml(r);
    qint64 openIssues = 0;
    {
        ListQuery q;
        q.kind = ListQuery::Kind::IssuesAndPulls;
        q.state = QStringLiteral("open");
        openIssues = m_world.issueNumbers(r, q)->size();
    }
    j.beginObject()
        .field("id", r.id)
        .field("node_id", nodeId("Repository", r.id))
        .field("name", r.name)
        .field("full_name", r.fullName());
    j.key("owner");
    owner(j, r);
    j.field("private", r.isPrivate)
        .field("html_url", html)
        .field("description", r.description)
        .field("fork", false)
        .field("url", api);
    static const std::pair<const char *, const char *> urls[] = {
        {"archive_url", "/{archive_format}{/ref}"},
        {"assignees_url", "/assignees{/user}"},
        {"blobs_url", "/git/blobs{/sha}"},
        {"branches_url", "/branches{/branch}"},
        {"collaborators_url", "/collaborators{/collaborator}"},
        {"comments_url", "/comments{/number}"},
        {"commits_url", "/commits{/sha}"},
        {"compare_url", "/compare/{base}...{head}"},
        {"contents_url", "/contents/{+path}"},
        {"contributors_url", "/contributors"},
        {"deployments_url", "/deployments"},
        {"downloads_url", "/downloads"},
        {"events_url", "/events"},
        {"forks_url", "/forks"},
        {"git_commits_url", "/git/commits{/sha}"},
        {"git_refs_url", "/git/refs{/sha}"},
        {"git_tags_url", "/git/tags{/sha}"},
        {"git_url", nullptr},
        {"issue_comment_url", "/issues/comments{/number}"},
        {"issue_events_url", "/issues/events{/number}"},
        {"issues_url", "/issues{/number}"},
        {"keys_url", "/keys{/key_id}"},
        {"labels_url", "/labels{/name}"},
        {"languages_url", "/languages"},
        {"merges_url", "/merges"},
        {"milestones_url", "/milestones{/number}"},
        {"notifications_url", "/notifications{?since,all,participating}"},
        {"pulls_url", "/pulls{/number}"},
        {"releases_url", "/releases{/id}"},
        {"ssh_url", nullptr},
        {"stargazers_url", "/stargazers"},
        {"statuses_url", "/statuses/{sha}"},
        {"subscribers_url", "/subscribers"},
        {"subscription_url", "/subscription"},
        {"tags_url", "/tags"},
        {"teams_url", "/teams"},
        {"trees_url", "/git/trees{/sha}"}};
    const QString host = QUrl(m_base).host();
    for (const auto &[name, suffix] : urls) {
        if (qstrcmp(name, "git_url") == 0)
            j.field(name, QStringLiteral("git://%1/%2.git").arg(host, r.fullName()));
        else if (qstrcmp(name, "ssh_url") == 0)
            j.field(name, QStringLiteral("git@%1:%2.git").arg(host, r.fullName()));
        else
            j.field(name, api + QLatin1String(suffix));
    }
    const qint64 stars = qint64(mix(m_world.spec().seed, r.slot, 90) % 500);
    j.field("clone_url", html + QStringLiteral(".git"))
        .nullField("mirror_url")
        .field("hooks_url", api + QStringLiteral("/hooks"))
        .field("svn_url", html)
        .nullField("homepage")
        .field("language", r.slot % 3 == 0   ? "C++"
                           : r.slot % 3 == 1 ? "Python"
                                             : "TypeScript")
        .field("forks_count", stars / 10)
        .field("stargazers_count", stars)
        .field("watchers_count", stars)
        .field("size", r.commits * 3 + 100)
        .field("default_branch", "main")
        .field("open_issues_count", openIssues)
        .field("is_template", false);
    j.key("topics").beginArray().value("github").value("sync").endArray();
    j.field("has_issues", r.hasIssues)
        .field("has_projects", true)
        .field("has_wiki", true)
        .field("has_pages", false)
        .field("has_downloads", true)
        .field("has_discussions", r.hasDiscussions)
        .field("archived", false)
        .field("disabled", false)
        .field("visibility", r.isPrivate ? "private" : "public")
        .time("pushed_at", r.pushed)
        .time("created_at", r.created)
        .time("updated_at", r.updated);
    if (withPermissions)
        j.key("permissions")
            .beginObject()
            .field("admin", true)
            .field("maintain", true)
            .field("push", true)
            .field("triage", true)
            .field("pull", true)
            .endObject();
    j.field("allow_rebase_merge", true)
        .field("temp_clone_token", "")
        .field("allow_squash_merge", true)
        .field("allow_auto_merge", false)
        .field("delete_branch_on_merge", false)
        .field("allow_merge_commit", true)
        .field("allow_forking", true)
        .field("web_commit_signoff_required", false)
        .field("license", QJsonValue())
        .field("forks", stars / 10)
        .field("open_issues", openIssues)
        .field("watchers", stars)
        .endObject();
    m_repoCache.insert(cacheKey, out);
    w.raw(out);
}

void Renderer::repositoryMinimal(JsonWriter &w, const Repo &r) const {
    w.beginObject()
        .field("id", r.id)
        .field("node_id", nodeId("Repository", r.id))
        .field("name", r.name)
        .field("full_name", r.fullName())
        .field("private", r.isPrivate)
        .endObject();
}

void Renderer::label(JsonWriter &w, const Repo &r, const Label &l) const {
    w.beginObject()
        .field("id", l.id)
        .field("node_id", nodeId("Label", l.id))
        .field("url", repoApi(r) + QStringLiteral("/labels/") + QString::fromUtf8(QUrl::toPercentEncoding(l.name)))
        .field("name", l.name)
        .field("description", l.description.isEmpty() ? QJsonValue() : QJsonValue(l.description))
        .field("color", l.color)
        .field("default", l.isDefault)
        .endObject();
}

void Renderer::reactionRollup(JsonWriter &w, const QString &url, const QList<Reaction> &reactions) const {
    int counts[8] = {};
    const QStringList &contents = World::reactionContents();
    for (const Reaction &x : reactions) {
        const qsizetype k = contents.indexOf(x.content);
        if (k >= 0)
            ++counts[k];
    }
    w.beginObject().field("url", url).field("total_count", int(reactions.size()));
    for (int k = 0; k < 8; ++k)
        w.field(contents[k].toLatin1().constData(), counts[k]);
    w.endObject();
}

void Renderer::issue(JsonWriter &w, const Repo &r, const Issue &i) const {
    const QString api = repoApi(r) + QStringLiteral("/issues/") + QString::number(i.number);
    const qint64 id = m_world.issueId(r, i.number);
    w.beginObject()
        .field("id", id)
        .field("node_id", nodeId("Issue", id))
        .field("url", api)
        .field("repository_url", repoApi(r))
        .field("labels_url", api + QStringLiteral("/labels{/name}"))
        .field("comments_url", api + QStringLiteral("/comments"))
        .field("events_url", api + QStringLiteral("/events"))
        .field("html_url", repoHtml(r) + (i.pull ? QStringLiteral("/pull/") : QStringLiteral("/issues/")) +
                               QString::number(i.number))
        .field("number", i.number)
        .field("state", i.closed ? "closed" : "open")
        .field("title", i.title)
        .field("body", i.body.isEmpty() ? QJsonValue() : QJsonValue(i.body));
    w.key("user");
    user(w, i.user);
    w.key("labels").beginArray();
    for (const qint64 labelId : i.labelIds) {
        if (const Label *l = m_world.labelById(r, labelId))
            label(w, r, *l);
    }
    w.endArray();
    w.key("assignee");
    user(w, i.assignees.isEmpty() ? -1 : i.assignees.first());
    w.key("assignees").beginArray();
    for (const int a : i.assignees)
        user(w, a);
    w.endArray();
    w.nullField("milestone").field("locked", i.locked);
    w.key("active_lock_reason");
    if (i.locked && !i.lockReason.isEmpty())
        w.value(i.lockReason);
    else
        w.null();
    w.field("comments", i.comments);
    if (i.pull) {
        const QString pullApi = repoApi(r) + QStringLiteral("/pulls/") + QString::number(i.number);
        const QString html = repoHtml(r) + QStringLiteral("/pull/") + QString::number(i.number);
        w.key("pull_request")
            .beginObject()
            .field("url", pullApi)
            .field("html_url", html)
            .field("diff_url", html + QStringLiteral(".diff"))
            .field("patch_url", html + QStringLiteral(".patch"))
            .time("merged_at", i.merged ? i.closedAt : 0)
            .endObject();
    }
    w.time("closed_at", i.closed ? i.closedAt : 0).time("created_at", i.created).time("updated_at", i.updated);
    if (i.pull)
        w.field("draft", i.draft);
    w.key("closed_by");
    user(w, i.closed ? i.closedBy : -1);
    w.field("author_association", i.user == 0 ? "OWNER" : "MEMBER");
    w.key("state_reason");
    if (i.stateReason.isEmpty())
        w.null();
    else
        w.value(i.stateReason);
    w.key("reactions");
    reactionRollup(w, api + QStringLiteral("/reactions"), m_world.issueReactions(r, i.number));
    w.field("timeline_url", api + QStringLiteral("/timeline")).nullField("performed_via_github_app");
    w.endObject();
}

} // namespace hubsync::githubsim
