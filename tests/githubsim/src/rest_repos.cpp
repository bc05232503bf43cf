// REST: users, repository listings and single repositories, rate_limit; webhook payloads.

#include "server.h"

#include <QJsonArray>

namespace hubsync::githubsim {

namespace {
const QString reposDocs = QStringLiteral("https://docs.github.com/rest/repos/repos");
}

void Server::registerRepoRoutes() {
    addRoute("GET", QStringLiteral("/user"), [this](Context &c) {
        if (c.identity.kind == Identity::Kind::Anonymous)
            return message(401, QStringLiteral("Requires authentication"),
                           QStringLiteral("https://docs.github.com/rest/users/users#get-the-authenticated-user"));
        if (c.identity.user < 0)
            return message(403, QStringLiteral("Resource not accessible by integration"));
        QByteArray out;
        JsonWriter w(&out);
        m_renderer.user(w, c.identity.user);
        return json(200, out);
    });
    addRoute("GET", QStringLiteral("/users/{login}"), [this](Context &c) {
        const int u = m_world.userByLogin(c.params.value(QStringLiteral("login")));
        if (u < 0)
            return notFound();
        QByteArray out;
        JsonWriter w(&out);
        m_renderer.user(w, u);
        return json(200, out);
    });

    // Listing the repositories a credential can see.
    const auto listRepos = [this](Context &c, const QList<int> &slots, const QString &defaultSort) {
        QList<int> sorted = slots;
        const QString sort = c.request.query.queryItemValue(QStringLiteral("sort")).isEmpty()
                                 ? defaultSort
                                 : c.request.query.queryItemValue(QStringLiteral("sort"));
        QString direction = c.request.query.queryItemValue(QStringLiteral("direction"));
        if (direction.isEmpty())
            direction = sort == QLatin1String("full_name") ? QStringLiteral("asc") : QStringLiteral("desc");
        std::stable_sort(sorted.begin(), sorted.end(), [&](int a, int b) {
            const Repo &x = *m_world.repo(a);
            const Repo &y = *m_world.repo(b);
            if (sort == QLatin1String("full_name"))
                return x.fullName().compare(y.fullName(), Qt::CaseInsensitive) < 0;
            if (sort == QLatin1String("updated"))
                return x.updated < y.updated;
            if (sort == QLatin1String("pushed"))
                return x.pushed < y.pushed;
            return x.created != y.created ? x.created < y.created : a < b;
        });
        if (direction == QLatin1String("desc"))
            std::reverse(sorted.begin(), sorted.end());
        return page(c, sorted.size(), [&](JsonWriter &w, qint64 from, qint64 to) {
            for (qint64 i = from; i < to; ++i)
                m_renderer.repository(w, *m_world.repo(sorted[i]));
        });
    };
    addRoute("GET", QStringLiteral("/user/repos"), [this, listRepos](Context &c) {
        if (c.identity.kind == Identity::Kind::Anonymous)
            return message(401, QStringLiteral("Requires authentication"),
                           reposDocs + QStringLiteral("#list-repositories-for-the-authenticated-user"));
        if (c.identity.user < 0)
            return message(403, QStringLiteral("Resource not accessible by integration"), reposDocs);
        return listRepos(c, m_world.liveRepos(), QStringLiteral("full_name"));
    });
    addRoute("GET", QStringLiteral("/orgs/{org}/repos"), [this, listRepos](Context &c) {
        QList<int> slots;
        bool orgKnown = false;
        for (const int s : m_world.liveRepos()) {
            const Repo &r = *m_world.repo(s);
            if (r.owner.compare(c.params.value(QStringLiteral("org")), Qt::CaseInsensitive) != 0)
                continue;
            orgKnown = true;
            const bool visible = c.identity.kind == Identity::Kind::Installation
                                     ? installationSees(s, c.identity.installationId)
                                 : c.identity.kind == Identity::Kind::Anonymous ? !r.isPrivate
                                                                                : c.identity.user >= 0;
            if (visible)
                slots << s;
        }
        if (!orgKnown && c.params.value(QStringLiteral("org")).compare(m_world.spec().owner, Qt::CaseInsensitive) != 0)
            return notFound();
        return listRepos(c, slots, QStringLiteral("created"));
    });
    addRoute("GET", QStringLiteral("/installation/repositories"), [this](Context &c) {
        if (c.identity.kind != Identity::Kind::Installation)
            return message(403,
                           QStringLiteral("You must authenticate with an installation access token in order to list "
                                          "repositories for an installation."),
                           QStringLiteral("https://docs.github.com/rest/apps/"
                                          "installations#list-repositories-accessible-to-the-app-installation"));
        const QList<int> slots =
            c.identity.installationId == m_options.personalInstallationId ? QList<int>() : installationSlots();
        return page(
            c, slots.size(),
            [&](JsonWriter &w, qint64 from, qint64 to) {
                for (qint64 i = from; i < to; ++i)
                    m_renderer.repository(w, *m_world.repo(slots[i]), false);
            },
            "repositories",
            [this](JsonWriter &w) { w.field("repository_selection", m_installationAll ? "all" : "selected"); });
    });
    addRoute("GET", QStringLiteral("/repos/{owner}/{repo}"), [this](Context &c) {
        QByteArray out;
        JsonWriter w(&out);
        m_renderer.repository(w, *c.repo);
        return json(200, out);
    });
    addRoute("POST", QStringLiteral("/orgs/{org}/repos"), [this](Context &c) {
        if (c.identity.kind == Identity::Kind::Anonymous)
            return message(401, QStringLiteral("Requires authentication"));
        if (!c.identity.canWrite || c.identity.user < 0)
            return message(403, QStringLiteral("Resource not accessible by integration"));
        const QString name = c.body.value(QStringLiteral("name")).toString();
        static const QRegularExpression valid(QStringLiteral("^[A-Za-z0-9._-]{1,100}$"));
        if (!valid.match(name).hasMatch())
            return validationFailed(QStringLiteral("Repository"), QStringLiteral("name"),
                                    QStringLiteral("missing_field"), reposDocs);
        if (m_world.findRepo(c.params.value(QStringLiteral("org")), name) >= 0)
            return validationFailed(QStringLiteral("Repository"), QStringLiteral("name"), QStringLiteral("custom"),
                                    reposDocs, QStringLiteral("name already exists on this account"));
        const int slot = m_world.createRepo(c.params.value(QStringLiteral("org")), name,
                                            c.body.value(QStringLiteral("description")).toString(),
                                            c.body.value(QStringLiteral("private")).toBool(), c.identity.user);
        QByteArray out;
        JsonWriter w(&out);
        m_renderer.repository(w, *m_world.repo(slot));
        HttpResponse r = json(201, out);
        r.setHeader("Location", (m_renderer.repoApi(*m_world.repo(slot))).toUtf8());
        return r;
    });
    addRoute("DELETE", QStringLiteral("/repos/{owner}/{repo}"), [this](Context &c) {
        m_world.deleteRepo(c.slot, c.identity.user < 0 ? 0 : c.identity.user);
        return noContent();
    });
    addRoute("GET", QStringLiteral("/rate_limit"), [this](Context &c) {
        const qint64 now = m_world.now();
        const bool anonymous = c.identity.kind == Identity::Kind::Anonymous;
        QByteArray out;
        JsonWriter w(&out);
        const auto bucket = [&](const char *name) {
            const RateLimiter::State &s =
                m_limits.bucket(c.identity.quotaKey, QString::fromLatin1(name), anonymous, now);
            w.key(name)
                .beginObject()
                .field("limit", s.limit)
                .field("used", s.used)
                .field("remaining", s.remaining())
                .field("reset", s.reset)
                .endObject();
        };
        w.beginObject().key("resources").beginObject();
        bucket("core");
        bucket("search");
        bucket("graphql");
        bucket("integration_manifest");
        w.endObject();
        const RateLimiter::State &core = m_limits.bucket(c.identity.quotaKey, QStringLiteral("core"), anonymous, now);
        w.key("rate")
            .beginObject()
            .field("limit", core.limit)
            .field("used", core.used)
            .field("remaining", core.remaining())
            .field("reset", core.reset)
            .endObject();
        w.endObject();
        return json(200, out);
    });
}

QByteArray Server::payload(const Change &change) const {
    const Repo *r = m_world.repo(change.slot);
    if (!r) // every event concerns a repository; deletions are announced before the repository goes
        return {};
    QByteArray out;
    JsonWriter w(&out);
    w.beginObject();
    if (!change.action.isEmpty())
        w.field("action", change.action);
    if ((change.event == QLatin1String("issues") || change.event == QLatin1String("pull_request")) && change.issue) {
        if (change.event == QLatin1String("issues")) {
            w.key("issue");
            m_renderer.issue(w, *r, *change.issue);
        } else {
            w.field("number", change.issue->number);
            w.key("pull_request");
            m_renderer.pull(w, *r, *change.issue);
        }
        if (change.label) {
            w.key("label");
            m_renderer.label(w, *r, *change.label);
        }
        if (change.assignee >= 0) {
            w.key("assignee");
            m_renderer.user(w, change.assignee);
        }
    } else if (change.event == QLatin1String("issue_comment") && change.comment) {
        if (change.issue) {
            w.key("issue");
            m_renderer.issue(w, *r, *change.issue);
        }
        w.key("comment");
        m_renderer.comment(w, *r, *change.comment);
    } else if (change.event == QLatin1String("label") && change.label) {
        w.key("label");
        m_renderer.label(w, *r, *change.label);
    } else if (change.event == QLatin1String("release") && change.release) {
        w.key("release");
        m_renderer.release(w, *r, *change.release);
    } else if ((change.event == QLatin1String("create") || change.event == QLatin1String("delete")) && change.ref) {
        const bool tag = change.ref->ref.startsWith(QLatin1String("refs/tags/"));
        w.field("ref", change.ref->ref.section(QLatin1Char('/'), 2))
            .field("ref_type", tag ? "tag" : "branch")
            .field("master_branch", "main")
            .nullField("description")
            .field("pusher_type", "user");
    } else if (change.event == QLatin1String("push") && change.ref) {
        w.field("ref", change.ref->ref).field("before", QString(40, QLatin1Char('0'))).field("after", change.ref->sha);
        w.field("created", false).field("deleted", false).field("forced", true).nullField("base_ref");
        w.field("compare", m_renderer.repoHtml(*r) + QStringLiteral("/compare/") + change.ref->sha);
        w.key("commits").beginArray().endArray().nullField("head_commit");
    } else if (change.event == QLatin1String("discussion") && change.discussion) {
        w.key("discussion");
        m_renderer.discussion(w, *r, *change.discussion);
    } else if (change.event == QLatin1String("discussion_comment") && change.discussion && change.discussionComment) {
        w.key("comment");
        m_renderer.discussionComment(w, *r, *change.discussion, *change.discussionComment);
        w.key("discussion");
        m_renderer.discussion(w, *r, *change.discussion);
    } else if (change.event != QLatin1String("repository")) { // repository events: the object below is the subject

        return {};
    }
    if (!change.changes.isEmpty())
        w.field("changes", QJsonValue(change.changes));
    w.key("repository");
    m_renderer.repository(w, *r, false);
    if (r->owner.compare(m_world.spec().owner, Qt::CaseInsensitive) == 0) {
        w.key("organization")
            .beginObject()
            .field("login", r->owner)
            .field("id", ids::organization)
            .field("node_id", nodeId("Organization", ids::organization))
            .field("url", baseUrl() + QStringLiteral("/orgs/") + r->owner)
            .endObject();
    }
    w.key("sender");
    m_renderer.user(w, change.actor);
    if (m_auth.hasApp())
        w.key("installation")
            .beginObject()
            .field("id", m_auth.installationId())
            .field("node_id", nodeId("Installation", m_auth.installationId()))
            .endObject();
    w.endObject();
    return out;
}

} // namespace hubsync::githubsim
