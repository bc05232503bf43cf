// /_sim/ content changes "as another user" (body field "as": a login; default octocat). Writes that
// GitHub's REST API can make reuse the REST handlers (same validation, same webhooks); the rest
// (pull requests, issue deletion, discussions) are here.

#include "server.h"

#include <QJsonArray>
#include <QJsonDocument>

namespace hubsync::githubsim {

void Server::registerControlContentRoutes() {
    addControl("POST", QStringLiteral("/_sim/repos/{owner}/{repo}/pulls"), [this](Context &c) {
        const QString title = c.body.value(QStringLiteral("title")).toString();
        if (title.trimmed().isEmpty())
            return validationFailed(QStringLiteral("PullRequest"), QStringLiteral("title"),
                                    QStringLiteral("missing_field"));
        Issue fields;
        fields.pull = true;
        fields.title = title;
        fields.body = c.body.value(QStringLiteral("body")).toString();
        fields.draft = c.body.value(QStringLiteral("draft")).toBool();
        fields.headRef =
            c.body.value(QStringLiteral("head")).toString(QStringLiteral("feature/%1").arg(c.repo->nextNumber));
        for (const QJsonValue &l : c.body.value(QStringLiteral("labels")).toArray())
            if (const Label *label = m_world.labelByName(*c.repo, l.toString()))
                fields.labelIds << label->id;
        const Issue created = m_world.createIssue(c.slot, fields, c.identity.user);
        QByteArray out;
        JsonWriter w(&out);
        m_renderer.pull(w, *m_world.repo(c.slot), created);
        return json(201, out);
    });
    // Branch protection: {"protected": true|false}. A protected branch is neither moved nor deleted through the
    // git refs API (GitHub answers 422 "Reference update failed").
    addControl("PUT", QStringLiteral("/_sim/repos/{owner}/{repo}/branches/{branch}/protection"), [this](Context &c) {
        const QString ref = QStringLiteral("refs/heads/") + c.params.value(QStringLiteral("branch"));
        QStringList &protectedRefs = m_world.repo(c.slot)->protectedRefs;
        protectedRefs.removeAll(ref);
        if (c.body.value(QStringLiteral("protected")).toBool(true))
            protectedRefs << ref;
        return json(200, QByteArrayLiteral("{\"ok\":true}"));
    });
    addControl("DELETE", QStringLiteral("/_sim/repos/{owner}/{repo}/issues/{number}"), [this](Context &c) {
        return m_world.deleteIssue(c.slot, c.params.value(QStringLiteral("number")).toLongLong(), c.identity.user)
                   ? noContent()
                   : notFound();
    });

    const auto categoryOf = [](const QJsonValue &v) {
        const qsizetype byName = World::discussionCategories().indexOf(v.toString());
        return byName >= 0 ? int(byName) : v.toInt(1);
    };
    const auto renderDiscussion = [this](Context &c, const Discussion &d, int status) {
        QByteArray out;
        JsonWriter w(&out);
        m_renderer.discussion(w, *m_world.repo(c.slot), d);
        return json(status, out);
    };
    addControl("POST", QStringLiteral("/_sim/repos/{owner}/{repo}/discussions"),
               [this, categoryOf, renderDiscussion](Context &c) {
                   const QString title = c.body.value(QStringLiteral("title")).toString();
                   if (title.trimmed().isEmpty())
                       return validationFailed(QStringLiteral("Discussion"), QStringLiteral("title"),
                                               QStringLiteral("missing_field"));
                   const auto d =
                       m_world.createDiscussion(c.slot, title, c.body.value(QStringLiteral("body")).toString(),
                                                categoryOf(c.body.value(QStringLiteral("category"))), c.identity.user);
                   return renderDiscussion(c, *d, 201);
               });
    addControl("PATCH", QStringLiteral("/_sim/repos/{owner}/{repo}/discussions/{number}"),
               [this, categoryOf, renderDiscussion](Context &c) {
                   const QJsonObject b = c.body;
                   QString action = QStringLiteral("edited");
                   if (b.contains(QStringLiteral("locked")))
                       action = b.value(QStringLiteral("locked")).toBool() ? QStringLiteral("locked")
                                                                           : QStringLiteral("unlocked");
                   else if (b.contains(QStringLiteral("answered")))
                       action = b.value(QStringLiteral("answered")).toBool() ? QStringLiteral("answered")
                                                                             : QStringLiteral("unanswered");
                   else if (b.contains(QStringLiteral("category")))
                       action = QStringLiteral("category_changed");
                   const auto d = m_world.editDiscussion(
                       c.slot, c.params.value(QStringLiteral("number")).toLongLong(),
                       [&](Discussion &x) {
                           if (b.contains(QStringLiteral("title")))
                               x.title = b.value(QStringLiteral("title")).toString();
                           if (b.contains(QStringLiteral("body")))
                               x.body = b.value(QStringLiteral("body")).toString();
                           if (b.contains(QStringLiteral("locked")))
                               x.locked = b.value(QStringLiteral("locked")).toBool();
                           if (b.contains(QStringLiteral("category")))
                               x.category = qBound(0, categoryOf(b.value(QStringLiteral("category"))), 3);
                           if (b.contains(QStringLiteral("upvotes")))
                               x.upvotes = b.value(QStringLiteral("upvotes")).toInt();
                           if (b.contains(QStringLiteral("answered")))
                               x.answerChosenAt = b.value(QStringLiteral("answered")).toBool() ? m_world.now() : 0;
                       },
                       action, c.identity.user);
                   return d ? renderDiscussion(c, *d, 200) : notFound();
               });
    addControl("DELETE", QStringLiteral("/_sim/repos/{owner}/{repo}/discussions/{number}"), [this](Context &c) {
        return m_world.deleteDiscussion(c.slot, c.params.value(QStringLiteral("number")).toLongLong(), c.identity.user)
                   ? noContent()
                   : notFound();
    });
    const auto renderDiscussionComment = [this](Context &c, const DiscussionComment &dc, int status) {
        QByteArray out;
        JsonWriter w(&out);
        const Repo &r = *m_world.repo(c.slot);
        m_renderer.discussionComment(w, r, r.discussions[dc.discussion], dc);
        return json(status, out);
    };
    addControl("POST", QStringLiteral("/_sim/repos/{owner}/{repo}/discussions/{number}/comments"),
               [this, renderDiscussionComment](Context &c) {
                   const QString body = c.body.value(QStringLiteral("body")).toString();
                   if (body.trimmed().isEmpty())
                       return validationFailed(QStringLiteral("DiscussionComment"), QStringLiteral("body"),
                                               QStringLiteral("missing_field"));
                   const auto dc = m_world.createDiscussionComment(
                       c.slot, c.params.value(QStringLiteral("number")).toLongLong(), body,
                       c.body.value(QStringLiteral("reply_to")).toInteger(), c.identity.user);
                   return dc ? renderDiscussionComment(c, *dc, 201) : notFound();
               });
    addControl("PATCH", QStringLiteral("/_sim/repos/{owner}/{repo}/discussion-comments/{id}"),
               [this, renderDiscussionComment](Context &c) {
                   const auto dc =
                       m_world.editDiscussionComment(c.slot, c.params.value(QStringLiteral("id")).toLongLong(),
                                                     c.body.value(QStringLiteral("body")).toString(), c.identity.user);
                   return dc ? renderDiscussionComment(c, *dc, 200) : notFound();
               });
    addControl("DELETE", QStringLiteral("/_sim/repos/{owner}/{repo}/discussion-comments/{id}"), [this](Context &c) {
        return m_world.deleteDiscussionComment(c.slot, c.params.value(QStringLiteral("id")).toLongLong(),
                                               c.identity.user)
                   ? noContent()
                   : notFound();
    });

    // Everything else under /_sim/repos/{owner}/{repo}/ is the REST write of the same path, made by
    // the acting user: issues, comments, reactions, labels, releases, git refs, lock/unlock.
    for (const char *method : {"POST", "PATCH", "PUT", "DELETE"}) {
        addControl(method, QStringLiteral("/_sim/repos/{owner}/{repo}/{+rest}"), [this, method](Context &c) {
            const QString path = QStringLiteral("/repos/") + c.repo->fullName() + QLatin1Char('/') +
                                 c.params.value(QStringLiteral("rest"));
            QHash<QString, QString> params;
            bool known = false;
            const Route *route = match(method, path, &params, &known, false);
            if (!route)
                return notFound();
            Context inner{c.request, params, c.identity, c.slot, c.repo, c.body, route->pattern};
            return route->handler(inner);
        });
    }
}

} // namespace hubsync::githubsim
