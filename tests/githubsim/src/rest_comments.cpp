// REST: issue comments (repository-wide and per thread) and reactions on issues and comments.

#include "server.h"

namespace hubsync::githubsim {

namespace {

const QString commentsDocs = QStringLiteral("https://docs.github.com/rest/issues/comments");
const QString reactionsDocs = QStringLiteral("https://docs.github.com/rest/reactions/reactions");

qint64 idParam(const Server::Context &c, const char *name) {
    bool ok = false;
    const qint64 n = c.params.value(QString::fromLatin1(name)).toLongLong(&ok);
    return ok && n > 0 ? n : -1;
}

} // namespace

void Server::registerCommentRoutes() {
    // Resolves a comment id inside the request's repository (ids of other repositories are 404 here).
    const auto commentLocal = [this](const Context &c) -> qint64 {
        int slot = -1;
        qint64 local = -1;
        if (!m_world.commentFromId(idParam(c, "id"), &slot, &local) || slot != c.slot ||
            !m_world.comment(*c.repo, local))
            return -1;
        return local;
    };
    const auto renderComments = [this](Context &c, const std::shared_ptr<const QList<qint64>> &locals) {
        return page(c, locals->size(), [&](JsonWriter &w, qint64 from, qint64 to) {
            for (qint64 i = from; i < to; ++i)
                m_renderer.comment(w, *c.repo, *m_world.comment(*c.repo, locals->at(i)));
        });
    };
    addRoute("GET", QStringLiteral("/repos/{owner}/{repo}/issues/comments"), [this, renderComments](Context &c) {
        const QUrlQuery &q = c.request.query;
        const bool byUpdated = q.queryItemValue(QStringLiteral("sort")) == QLatin1String("updated");
        // Without sort the direction is ignored and the order is ascending by id, as GitHub documents.
        const bool ascending = !q.hasQueryItem(QStringLiteral("sort")) ||
                               q.queryItemValue(QStringLiteral("direction")) != QLatin1String("desc");
        const qint64 since = q.hasQueryItem(QStringLiteral("since"))
                                 ? parseIsoTime(q.queryItemValue(QStringLiteral("since"), QUrl::FullyDecoded))
                                 : -1;
        return renderComments(c, m_world.commentLocals(*c.repo, 0, byUpdated, ascending, since));
    });
    addRoute("GET", QStringLiteral("/repos/{owner}/{repo}/issues/{number}/comments"),
             [this, renderComments](Context &c) {
                 const qint64 number = idParam(c, "number");
                 if (!m_world.issue(*c.repo, number))
                     return m_world.issueDeleted(*c.repo, number)
                                ? message(410, QStringLiteral("This issue was deleted"), commentsDocs)
                                : notFound();
                 const QUrlQuery &q = c.request.query;
                 const qint64 since = q.hasQueryItem(QStringLiteral("since"))
                                          ? parseIsoTime(q.queryItemValue(QStringLiteral("since"), QUrl::FullyDecoded))
                                          : -1;
                 return renderComments(c, m_world.commentLocals(*c.repo, number, false, true, since));
             });
    addRoute("GET", QStringLiteral("/repos/{owner}/{repo}/issues/comments/{id}"), [this, commentLocal](Context &c) {
        const qint64 local = commentLocal(c);
        if (local < 0)
            return notFound();
        QByteArray out;
        JsonWriter w(&out);
        m_renderer.comment(w, *c.repo, *m_world.comment(*c.repo, local));
        return json(200, out);
    });
    addRoute("POST", QStringLiteral("/repos/{owner}/{repo}/issues/{number}/comments"), [this](Context &c) {
        const qint64 number = idParam(c, "number");
        if (m_world.issueDeleted(*c.repo, number))
            return message(410, QStringLiteral("This issue was deleted"), commentsDocs);
        const auto thread = m_world.issue(*c.repo, number);
        if (!thread)
            return notFound();
        const QString body = c.body.value(QStringLiteral("body")).toString();
        if (body.trimmed().isEmpty())
            return validationFailed(QStringLiteral("IssueComment"), QStringLiteral("body"),
                                    QStringLiteral("missing_field"),
                                    commentsDocs + QStringLiteral("#create-an-issue-comment"));
        if (thread->locked && c.identity.user != 0)
            return message(403, QStringLiteral("Unable to create comment because issue is locked."), commentsDocs);
        const auto created = m_world.createComment(c.slot, number, body, c.identity.user < 0 ? 0 : c.identity.user);
        QByteArray out;
        JsonWriter w(&out);
        m_renderer.comment(w, *m_world.repo(c.slot), *created);
        HttpResponse r = json(201, out);
        r.setHeader("Location", (m_renderer.repoApi(*c.repo) + QStringLiteral("/issues/comments/") +
                                 QString::number(m_world.commentId(*c.repo, created->local)))
                                    .toUtf8());
        return r;
    });
    addRoute("PATCH", QStringLiteral("/repos/{owner}/{repo}/issues/comments/{id}"), [this, commentLocal](Context &c) {
        const qint64 local = commentLocal(c);
        if (local < 0)
            return notFound();
        const QString body = c.body.value(QStringLiteral("body")).toString();
        if (body.trimmed().isEmpty())
            return validationFailed(QStringLiteral("IssueComment"), QStringLiteral("body"),
                                    QStringLiteral("missing_field"), commentsDocs);
        const auto edited = m_world.editComment(c.slot, local, body, c.identity.user < 0 ? 0 : c.identity.user);
        QByteArray out;
        JsonWriter w(&out);
        m_renderer.comment(w, *m_world.repo(c.slot), *edited);
        return json(200, out);
    });
    addRoute("DELETE", QStringLiteral("/repos/{owner}/{repo}/issues/comments/{id}"), [this, commentLocal](Context &c) {
        const qint64 local = commentLocal(c);
        if (local < 0)
            return notFound();
        m_world.deleteComment(c.slot, local, c.identity.user < 0 ? 0 : c.identity.user);
        return noContent();
    });

    // Reactions
    const auto listReactions = [this](Context &c, const QList<Reaction> &all) {
        QList<Reaction> list = all;
        const QString content = c.request.query.queryItemValue(QStringLiteral("content"));
        if (!content.isEmpty())
            list.removeIf([&](const Reaction &x) { return x.content != content; });
        return page(c, list.size(), [&](JsonWriter &w, qint64 from, qint64 to) {
            for (qint64 i = from; i < to; ++i)
                m_renderer.reaction(w, list[i]);
        });
    };
    addRoute("GET", QStringLiteral("/repos/{owner}/{repo}/issues/{number}/reactions"),
             [this, listReactions](Context &c) {
                 const qint64 number = idParam(c, "number");
                 if (!m_world.issue(*c.repo, number))
                     return m_world.issueDeleted(*c.repo, number)
                                ? message(410, QStringLiteral("This issue was deleted"), reactionsDocs)
                                : notFound();
                 return listReactions(c, m_world.issueReactions(*c.repo, number));
             });
    addRoute("GET", QStringLiteral("/repos/{owner}/{repo}/issues/comments/{id}/reactions"),
             [this, listReactions, commentLocal](Context &c) {
                 const qint64 local = commentLocal(c);
                 return local < 0 ? notFound() : listReactions(c, m_world.commentReactions(*c.repo, local));
             });
    const auto addReaction = [this](Context &c, qint64 number, qint64 local) {
        const QString content = c.body.value(QStringLiteral("content")).toString();
        if (!World::reactionContents().contains(content))
            return validationFailed(QStringLiteral("Reaction"), QStringLiteral("content"), QStringLiteral("invalid"),
                                    reactionsDocs);
        bool existed = false;
        const auto reaction =
            m_world.addReaction(c.slot, number, local, content, c.identity.user < 0 ? 0 : c.identity.user, &existed);
        if (!reaction)
            return notFound();
        QByteArray out;
        JsonWriter w(&out);
        m_renderer.reaction(w, *reaction);
        return json(existed ? 200 : 201, out);
    };
    addRoute("POST", QStringLiteral("/repos/{owner}/{repo}/issues/{number}/reactions"),
             [addReaction](Context &c) { return addReaction(c, idParam(c, "number"), -1); });
    addRoute("POST", QStringLiteral("/repos/{owner}/{repo}/issues/comments/{id}/reactions"),
             [this, addReaction, commentLocal](Context &c) {
                 const qint64 local = commentLocal(c);
                 return local < 0 ? notFound() : addReaction(c, 0, local);
             });
    addRoute("DELETE", QStringLiteral("/repos/{owner}/{repo}/issues/{number}/reactions/{reaction}"),
             [this](Context &c) {
                 return m_world.deleteReaction(c.slot, idParam(c, "reaction")) ? noContent() : notFound();
             });
    addRoute("DELETE", QStringLiteral("/repos/{owner}/{repo}/issues/comments/{id}/reactions/{reaction}"),
             [this](Context &c) {
                 return m_world.deleteReaction(c.slot, idParam(c, "reaction")) ? noContent() : notFound();
             });
}

} // namespace hubsync::githubsim
