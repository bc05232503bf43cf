// WebhookApplier, part 2: what each webhook event means for the synced tables. Payload shapes follow
// GitHub's (../shared/github-fixtures/webhooks): the objects are the REST shapes of the same resources,
// except discussions (the tables hold GraphQL's shape, which the backfill reads) and push/create,
// which name a ref and commits without the fields the tables need: those are re-fetched.

#include "catalog/catalog.h"
#include "store/pg.h"
#include "sync/repositorystate.h"
#include "sync/webhookapplier.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QUrl>

namespace hubsync::sync {

namespace {

qint64 idOf(const QJsonObject &o) {
    return qint64(o.value(QStringLiteral("id")).toDouble());
}

QJsonObject objectAt(const QJsonObject &o, const char *key) {
    return o.value(QLatin1String(key)).toObject();
}

// Discussion webhooks carry the REST shape, which lacks what the tables hold from GraphQL (upvote
// counts, the node id a reply points to): the object is re-read through GraphQL, as the backfill reads it.
QString discussionNodeQuery() {
    return QStringLiteral("query($id: ID!) { node(id: $id) { ... on Discussion { ") + catalog::discussionFields() +
           QStringLiteral(" comments(first: 1) { totalCount } } } }");
}

QString discussionCommentNodeQuery() {
    return QStringLiteral("query($id: ID!) { node(id: $id) { ... on DiscussionComment { ") +
           catalog::discussionCommentFields() + QStringLiteral(" discussion { ") + catalog::discussionFields() +
           QStringLiteral(" comments(first: 1) { totalCount } } } } }");
}

QJsonObject graphqlNode(const Page &page) {
    return QJsonDocument::fromJson(page.body).object().value(QStringLiteral("node")).toObject();
}

// create/delete events name a branch or tag by its short name and type: the full ref, or empty for
// anything else (repository creation sends ref_type "repository").
QString fullRefOf(const QJsonObject &payload) {
    const QString type = payload.value(QStringLiteral("ref_type")).toString();
    if (type != QStringLiteral("branch") && type != QStringLiteral("tag"))
        return {};
    return (type == QStringLiteral("branch") ? QStringLiteral("refs/heads/") : QStringLiteral("refs/tags/")) +
           payload.value(QStringLiteral("ref")).toString();
}

QString refPath(const Repository &repo, const QString &fullRef) {
    // GET /repos/{o}/{r}/git/ref/{ref} takes the ref without its "refs/" prefix.
    return QStringLiteral("/repos/%1/git/ref/%2")
        .arg(repo.fullName, QString::fromLatin1(QUrl::toPercentEncoding(fullRef.mid(5), "/")));
}

} // namespace

WebhookApplier::Plan WebhookApplier::planIssues(const QString &action, const QJsonObject &payload,
                                                const Repository &repo) {
    const QJsonObject issue = objectAt(payload, "issue");
    Plan plan;
    // Pull requests get their own pull_request events with the complete object.
    if (issue.contains(QStringLiteral("pull_request"))) {
        plan.ignored = QStringLiteral("issue event of a pull request");
        return plan;
    }
    const catalog::MapContext context{repo.id, 0, {}};
    if (action == QStringLiteral("deleted")) {
        // GitHub deletes the issue's comments and reactions with it, and sends no event for them.
        plan.write = [this, issue, id = repo.id](const QList<Page> &, QString *note) {
            if (Error e = removeDependents(id, QStringLiteral("issue"), idOf(issue),
                                           qint64(issue.value(QStringLiteral("number")).toDouble())))
                return e;
            return remove(QStringLiteral("issue"), idOf(issue), note);
        };
        return plan;
    }
    if (action == QStringLiteral("transferred")) {
        // The issue leaves this repository; GitHub gives it a new id in the new one.
        const QJsonObject changes = objectAt(payload, "changes");
        const QJsonObject newIssue = objectAt(changes, "new_issue");
        const qint64 newRepoId = idOf(objectAt(changes, "new_repository"));
        plan.write = [this, issue, newIssue, newRepoId](const QList<Page> &, QString *note) {
            if (Error e = remove(QStringLiteral("issue"), idOf(issue), note))
                return e;
            Repository target;
            bool synced = false;
            if (Error e = findRepository(newRepoId, &target, &synced))
                return e;
            if (!synced || newIssue.isEmpty())
                return Error{};
            return upsert(QStringLiteral("issue"), {newIssue}, catalog::MapContext{newRepoId, 0, {}}, note);
        };
        return plan;
    }
    plan.write = [this, issue, context](const QList<Page> &, QString *note) {
        return upsert(QStringLiteral("issue"), {issue}, context, note);
    };
    return plan;
}

WebhookApplier::Plan WebhookApplier::planPullRequest(const QString &, const QJsonObject &payload,
                                                     const Repository &repo) {
    const QJsonObject pr = objectAt(payload, "pull_request");
    Plan plan;
    plan.write = [this, pr, id = repo.id](const QList<Page> &, QString *note) {
        return upsert(QStringLiteral("pull_request"), {pr}, catalog::MapContext{id, 0, {}}, note);
    };
    return plan;
}

WebhookApplier::Plan WebhookApplier::planIssueComment(const QString &action, const QJsonObject &payload,
                                                      const Repository &repo) {
    const QJsonObject comment = objectAt(payload, "comment");
    const QJsonObject issue = objectAt(payload, "issue");
    Plan plan;
    plan.write = [this, action, comment, issue, id = repo.id](const QList<Page> &, QString *note) {
        const catalog::MapContext context{id, 0, {}};
        if (action == QStringLiteral("deleted")) {
            if (Error e = removeDependents(id, QStringLiteral("comment"), idOf(comment), 0))
                return e;
            if (Error e = remove(QStringLiteral("comment"), idOf(comment), note))
                return e;
        } else if (Error e = upsert(QStringLiteral("comment"), {comment}, context, note)) {
            return e;
        }
        // The issue's comment count changed with it. A pull request's issue-shaped object lacks the
        // pull request's own fields (head, base, merge state), so only issues are refreshed from it.
        if (issue.contains(QStringLiteral("pull_request")) || issue.isEmpty())
            return Error{};
        QString ignored;
        return upsert(QStringLiteral("issue"), {issue}, context, &ignored);
    };
    return plan;
}

WebhookApplier::Plan WebhookApplier::planSimple(const QString &table, const QString &key, const QString &action,
                                                const QJsonObject &payload, const Repository &repo) {
    const QJsonObject object = payload.value(key).toObject();
    Plan plan;
    plan.write = [this, table, action, object, id = repo.id](const QList<Page> &, QString *note) {
        if (action == QStringLiteral("deleted"))
            return remove(table, idOf(object), note);
        return upsert(table, {object}, catalog::MapContext{id, 0, {}}, note);
    };
    return plan;
}

// A label deleted or renamed on GitHub changes its issues without an issues event: their label_names
// follow here, before the label row itself (the issue_label links follow it through the foreign key).
WebhookApplier::Plan WebhookApplier::planLabel(const QString &action, const QJsonObject &payload,
                                               const Repository &repo) {
    Plan plan = planSimple(QStringLiteral("label"), QStringLiteral("label"), action, payload, repo);
    const QString name = payload.value(QStringLiteral("label")).toObject().value(QStringLiteral("name")).toString();
    const QString oldName = payload.value(QStringLiteral("changes"))
                                .toObject()
                                .value(QStringLiteral("name"))
                                .toObject()
                                .value(QStringLiteral("from"))
                                .toString();
    plan.write = [this, action, name, oldName, id = repo.id, write = std::move(plan.write)](const QList<Page> &pages,
                                                                                            QString *note) {
        const QString issues = m_db.quoteIdentifier(m_options.schema) + QStringLiteral(".issue");
        if (action == QStringLiteral("deleted")) {
            if (Error e = m_db.run(
                    QStringLiteral("UPDATE %1 SET label_names = label_names - $2 WHERE repository_id = $1"
                                   " AND label_names ? $2")
                        .arg(issues),
                    {pg::param(id), pg::param(name)}, QStringLiteral("removing a deleted label from its issues")))
                return e;
        } else if (!oldName.isEmpty() && oldName != name) {
            if (Error e =
                    m_db.run(QStringLiteral("UPDATE %1 SET label_names = (SELECT jsonb_agg(CASE WHEN n = $2 THEN $3"
                                            " ELSE n END) FROM jsonb_array_elements_text(label_names) n)"
                                            " WHERE repository_id = $1 AND label_names ? $2")
                                 .arg(issues),
                             {pg::param(id), pg::param(oldName), pg::param(name)},
                             QStringLiteral("renaming a label on its issues")))
                return e;
        }
        return write(pages, note);
    };
    return plan;
}

WebhookApplier::Plan WebhookApplier::planDiscussion(const QString &action, const QJsonObject &payload,
                                                    const Repository &repo) {
    const QJsonObject discussion = objectAt(payload, "discussion");
    Plan plan;
    if (action == QStringLiteral("deleted") || action == QStringLiteral("transferred")) {
        plan.write = [this, discussion](const QList<Page> &, QString *note) {
            return remove(QStringLiteral("discussion"), idOf(discussion), note);
        };
        return plan;
    }
    plan.graphqlFetches << qMakePair(discussionNodeQuery(),
                                     QJsonObject{{QStringLiteral("id"), discussion.value(QStringLiteral("node_id"))}});
    plan.write = [this, discussion, id = repo.id](const QList<Page> &pages, QString *note) {
        const QJsonObject node = graphqlNode(pages.at(0));
        if (node.isEmpty()) // deleted again before we asked; its own event follows
            return remove(QStringLiteral("discussion"), idOf(discussion), note);
        return upsertDiscussion(node, id, note);
    };
    return plan;
}

WebhookApplier::Plan WebhookApplier::planDiscussionComment(const QString &action, const QJsonObject &payload,
                                                           const Repository &repo) {
    const QJsonObject comment = objectAt(payload, "comment");
    Plan plan;
    if (action == QStringLiteral("deleted")) {
        plan.write = [this, comment](const QList<Page> &, QString *note) {
            return remove(QStringLiteral("discussion_comment"), idOf(comment), note);
        };
        return plan;
    }
    plan.graphqlFetches << qMakePair(discussionCommentNodeQuery(),
                                     QJsonObject{{QStringLiteral("id"), comment.value(QStringLiteral("node_id"))}});
    plan.write = [this, comment, id = repo.id](const QList<Page> &pages, QString *note) {
        const QJsonObject node = graphqlNode(pages.at(0));
        const QJsonObject discussion = node.value(QStringLiteral("discussion")).toObject();
        if (node.isEmpty() || discussion.isEmpty())
            return remove(QStringLiteral("discussion_comment"), idOf(comment), note);
        QString ignored;
        if (Error e = upsertDiscussion(discussion, id, &ignored))
            return e;
        if (const QJsonObject user = catalog::restUserFromGraphql(node.value(QStringLiteral("author")).toObject());
            !user.isEmpty()) {
            if (Error e = upsert(QStringLiteral("user"), {user}, {}, &ignored))
                return e;
        }
        return upsert(QStringLiteral("discussion_comment"), {node},
                      catalog::MapContext{id, qint64(discussion.value(QStringLiteral("databaseId")).toDouble()), {}},
                      note);
    };
    return plan;
}

Error WebhookApplier::upsertDiscussion(const QJsonObject &node, qint64 repositoryId, QString *note) {
    QString ignored;
    if (const QJsonObject user = catalog::restUserFromGraphql(node.value(QStringLiteral("author")).toObject());
        !user.isEmpty()) {
        if (Error e = upsert(QStringLiteral("user"), {user}, {}, &ignored))
            return e;
    }
    return upsert(QStringLiteral("discussion"), {node}, catalog::MapContext{repositoryId, 0, {}}, note);
}

WebhookApplier::Plan WebhookApplier::planPush(const QJsonObject &payload, const Repository &repo) {
    const QString ref = payload.value(QStringLiteral("ref")).toString();
    Plan plan;
    if (!ref.startsWith(QStringLiteral("refs/heads/")) && !ref.startsWith(QStringLiteral("refs/tags/"))) {
        plan.ignored = QStringLiteral("push to %1 (neither a branch nor a tag)").arg(ref);
        return plan;
    }
    if (payload.value(QStringLiteral("deleted")).toBool()) {
        plan.write = [this, ref, id = repo.id](const QList<Page> &, QString *note) { return removeRef(id, ref, note); };
        return plan;
    }
    // The payload's commits are not the REST shape (no node_id, parents, user ids): fetch the pushed ones.
    const QString after = payload.value(QStringLiteral("after")).toString();
    const qsizetype pushed = payload.value(QStringLiteral("commits")).toArray().size();
    plan.fetches << refPath(repo, ref);
    if (pushed > 0 && !after.isEmpty())
        plan.fetches << QStringLiteral("/repos/%1/commits?sha=%2&per_page=%3")
                            .arg(repo.fullName, after)
                            .arg(std::min<qsizetype>(100, pushed));
    plan.write = [this, ref, repo](const QList<Page> &pages, QString *note) {
        if (Error e = upsertRefPage(pages.at(0), repo, ref, note))
            return e;
        if (pages.size() < 2 || pages.at(1).error)
            return Error{};
        QList<QJsonObject> commits;
        for (const QJsonValue &v : QJsonDocument::fromJson(pages.at(1).body).array())
            commits << v.toObject();
        return upsert(QStringLiteral("commit"), commits, catalog::MapContext{repo.id, 0, {}}, note);
    };
    return plan;
}

WebhookApplier::Plan WebhookApplier::planCreate(const QJsonObject &payload, const Repository &repo) {
    Plan plan;
    const QString ref = fullRefOf(payload);
    if (ref.isEmpty()) {
        plan.ignored = QStringLiteral("created %1").arg(payload.value(QStringLiteral("ref_type")).toString());
        return plan;
    }
    plan.fetches << refPath(repo, ref);
    plan.write = [this, ref, repo](const QList<Page> &pages, QString *note) {
        return upsertRefPage(pages.at(0), repo, ref, note);
    };
    return plan;
}

WebhookApplier::Plan WebhookApplier::planDelete(const QJsonObject &payload, const Repository &repo) {
    Plan plan;
    const QString ref = fullRefOf(payload);
    if (ref.isEmpty()) {
        plan.ignored = QStringLiteral("deleted %1").arg(payload.value(QStringLiteral("ref_type")).toString());
        return plan;
    }
    plan.write = [this, ref, id = repo.id](const QList<Page> &, QString *note) { return removeRef(id, ref, note); };
    return plan;
}

WebhookApplier::Plan WebhookApplier::planRepository(const QString &action, const QJsonObject &payload,
                                                    const Repository &repo) {
    const QJsonObject object = objectAt(payload, "repository");
    Plan plan;
    if (action == QStringLiteral("deleted")) {
        plan.write = [this, id = repo.id](const QList<Page> &, QString *) { return removeRepositories({id}); };
        plan.afterCommit = [this, id = repo.id] { Q_EMIT repositoriesRemoved({id}); };
        return plan;
    }
    plan.write = [this, object](const QList<Page> &, QString *note) {
        return upsert(QStringLiteral("repository"), {object}, {}, note);
    };
    return plan;
}

WebhookApplier::Plan WebhookApplier::planInstallation(const QString &action) {
    Plan plan;
    if (action == QStringLiteral("deleted") || action == QStringLiteral("suspend")) {
        const QString reason = action == QStringLiteral("deleted")
                                   ? QStringLiteral("the GitHub App was uninstalled; syncing stopped")
                                   : QStringLiteral("the GitHub App installation was suspended; syncing stopped until "
                                                    "it is unsuspended");
        plan.afterCommit = [this, reason] { Q_EMIT installationStopped(reason); };
    } else if (action == QStringLiteral("unsuspend")) {
        plan.afterCommit = [this] { Q_EMIT installationResumed(); };
    } else {
        plan.ignored = QStringLiteral("installation %1").arg(action);
    }
    return plan;
}

WebhookApplier::Plan WebhookApplier::planInstallationRepositories(const QString &action, const QJsonObject &payload) {
    Plan plan;
    if (action == QStringLiteral("added")) {
        QStringList names;
        for (const QJsonValue &v : payload.value(QStringLiteral("repositories_added")).toArray())
            names << v.toObject().value(QStringLiteral("full_name")).toString();
        names.removeAll(QString());
        QList<qint64> ids;
        for (const QJsonValue &v : payload.value(QStringLiteral("repositories_added")).toArray())
            ids << idOf(v.toObject());
        // A repository added back after a removal with --keep-removed-repos is synced again.
        plan.write = [this, ids](const QList<Page> &, QString *) { return resumeSyncingRepositories(m_db, ids); };
        plan.afterCommit = [this, names] { Q_EMIT repositoriesAdded(names); };
        return plan;
    }
    if (action == QStringLiteral("removed")) {
        QList<qint64> ids;
        for (const QJsonValue &v : payload.value(QStringLiteral("repositories_removed")).toArray())
            ids << idOf(v.toObject());
        ids.removeAll(0);
        plan.write = [this, ids](const QList<Page> &, QString *) { return removeRepositories(ids); };
        plan.afterCommit = [this, ids] { Q_EMIT repositoriesRemoved(ids); };
        return plan;
    }
    plan.ignored = QStringLiteral("installation_repositories %1").arg(action);
    return plan;
}

} // namespace hubsync::sync
