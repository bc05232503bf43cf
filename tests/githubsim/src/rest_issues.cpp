// REST: issues (which include pull requests, as on GitHub), pulls, labels and labels on issues.

#include "server.h"

#include <QJsonArray>

#include <algorithm>

namespace hubsync::githubsim {

namespace {

const QString issuesDocs = QStringLiteral("https://docs.github.com/rest/issues/issues");
const QString labelsDocs = QStringLiteral("https://docs.github.com/rest/issues/labels");

bool validColor(const QString &color) {
    static const QRegularExpression hex(QStringLiteral("^[0-9a-fA-F]{6}$"));
    return hex.match(color).hasMatch();
}

qint64 numberParam(const Server::Context &c) {
    bool ok = false;
    const qint64 n = c.params.value(QStringLiteral("number")).toLongLong(&ok);
    return ok && n > 0 ? n : -1;
}

} // namespace

void Server::registerIssueRoutes() {
    // Lists: GitHub's defaults are state=open, sort=created, direction=desc.
    const auto listThreads = [this](Context &c, ListQuery::Kind kind) {
        const QUrlQuery &q = c.request.query;
        ListQuery lq;
        lq.kind = kind;
        const QString state = q.queryItemValue(QStringLiteral("state"));
        if (state == QLatin1String("closed") || state == QLatin1String("all"))
            lq.state = state;
        const QString sort = q.queryItemValue(QStringLiteral("sort"));
        if (sort == QLatin1String("updated") || sort == QLatin1String("comments"))
            lq.sort = sort;
        lq.ascending = q.queryItemValue(QStringLiteral("direction")) == QLatin1String("asc");
        if (q.hasQueryItem(QStringLiteral("since")) && kind != ListQuery::Kind::PullsOnly)
            lq.since = parseIsoTime(q.queryItemValue(QStringLiteral("since"), QUrl::FullyDecoded));
        const auto numbers = m_world.issueNumbers(*c.repo, lq);
        return page(c, numbers->size(), [&](JsonWriter &w, qint64 from, qint64 to) {
            for (qint64 i = from; i < to; ++i) {
                const auto issue = m_world.issue(*c.repo, numbers->at(i));
                if (kind == ListQuery::Kind::PullsOnly)
                    m_renderer.pull(w, *c.repo, *issue);
                else
                    m_renderer.issue(w, *c.repo, *issue);
            }
        });
    };
    addRoute("GET", QStringLiteral("/repos/{owner}/{repo}/issues"),
             [listThreads](Context &c) { return listThreads(c, ListQuery::Kind::IssuesAndPulls); });
    addRoute("GET", QStringLiteral("/repos/{owner}/{repo}/pulls"),
             [listThreads](Context &c) { return listThreads(c, ListQuery::Kind::PullsOnly); });

    addRoute("GET", QStringLiteral("/repos/{owner}/{repo}/issues/{number}"), [this](Context &c) {
        const auto issue = m_world.issue(*c.repo, numberParam(c));
        if (!issue)
            return notFound();
        QByteArray out;
        JsonWriter w(&out);
        m_renderer.issue(w, *c.repo, *issue);
        return json(200, out);
    });
    // Title, body and state as the issue PATCH has them (the same events), and the base branch.
    addRoute("PATCH", QStringLiteral("/repos/{owner}/{repo}/pulls/{number}"), [this](Context &c) {
        const qint64 number = numberParam(c);
        const auto current = m_world.issue(*c.repo, number);
        if (!current || !current->pull)
            return notFound();
        const QString docs = QStringLiteral("https://docs.github.com/rest/pulls/pulls#update-a-pull-request");
        const QString base = c.body.value(QStringLiteral("base")).toString();
        if (c.body.contains(QStringLiteral("base"))) {
            const bool exists = std::any_of(c.repo->refs.cbegin(), c.repo->refs.cend(), [&](const Ref &ref) {
                return ref.ref == QStringLiteral("refs/heads/") + base;
            });
            if (!exists)
                return validationFailed(QStringLiteral("PullRequest"), QStringLiteral("base"),
                                        QStringLiteral("invalid"), docs);
        }
        QJsonObject issueFields;
        for (const char *field : {"title", "body", "state"})
            if (c.body.contains(QLatin1String(field)))
                issueFields.insert(QLatin1String(field), c.body.value(QLatin1String(field)));
        if (!issueFields.isEmpty()) {
            Context inner{c.request, c.params, c.identity, c.slot, c.repo, issueFields, c.routeTemplate};
            bool known = false;
            QHash<QString, QString> params;
            const Route *route =
                match("PATCH", QStringLiteral("/repos/%1/issues/%2").arg(c.repo->fullName()).arg(number), &params,
                      &known, false);
            const HttpResponse patched = route->handler(inner);
            if (patched.status != 200)
                return patched;
        }
        if (!base.isEmpty() && base != current->baseRef) {
            Change e(QString(), QStringLiteral("edited"), c.slot, c.identity.user < 0 ? 0 : c.identity.user);
            e.changes = QJsonObject{
                {QStringLiteral("base"),
                 QJsonObject{{QStringLiteral("ref"), QJsonObject{{QStringLiteral("from"), current->baseRef}}}}}};
            m_world.updateIssue(
                c.slot, number, [&](Issue &i) { i.baseRef = base; }, {e}, c.identity.user < 0 ? 0 : c.identity.user);
        }
        QByteArray out;
        JsonWriter w(&out);
        m_renderer.pull(w, *m_world.repo(c.slot), *m_world.issue(*m_world.repo(c.slot), number));
        return json(200, out);
    });
    addRoute("GET", QStringLiteral("/repos/{owner}/{repo}/pulls/{number}"), [this](Context &c) {
        const auto issue = m_world.issue(*c.repo, numberParam(c));
        if (!issue || !issue->pull)
            return notFound();
        QByteArray out;
        JsonWriter w(&out);
        m_renderer.pull(w, *c.repo, *issue);
        return json(200, out);
    });

    addRoute("POST", QStringLiteral("/repos/{owner}/{repo}/issues"), [this](Context &c) {
        const QJsonValue title = c.body.value(QStringLiteral("title"));
        const QString docs = issuesDocs + QStringLiteral("#create-an-issue");
        if (!(title.isString() && !title.toString().trimmed().isEmpty()) && !title.isDouble())
            return validationFailed(QStringLiteral("Issue"), QStringLiteral("title"), QStringLiteral("missing_field"),
                                    docs);
        if (c.body.contains(QStringLiteral("assignee")) && c.body.contains(QStringLiteral("assignees")))
            return message(422,
                           QStringLiteral("You cannot pass both `assignee` and `assignees`. Only one may be provided."),
                           docs);
        Issue fields;
        fields.title = title.isString() ? title.toString() : QString::number(title.toDouble());
        if (fields.title.size() > 256)
            return validationFailed(QStringLiteral("Issue"), QStringLiteral("title"), QStringLiteral("custom"), docs,
                                    QStringLiteral("title is too long (maximum is 256 characters)"));
        fields.body = c.body.value(QStringLiteral("body")).toString();
        if (fields.body.size() > 65536)
            return validationFailed(QStringLiteral("Issue"), QStringLiteral("body"), QStringLiteral("custom"), docs,
                                    QStringLiteral("body is too long (maximum is 65536 characters)"));
        QJsonArray assignees = c.body.value(QStringLiteral("assignees")).toArray();
        if (c.body.value(QStringLiteral("assignee")).isString())
            assignees.append(c.body.value(QStringLiteral("assignee")));
        for (const QJsonValue &a : std::as_const(assignees)) {
            const int u = m_world.userByLogin(a.toString());
            if (u < 0)
                return validationFailed(QStringLiteral("Issue"), QStringLiteral("assignees"), QStringLiteral("invalid"),
                                        docs);
            fields.assignees << u;
        }
        for (const QJsonValue &l : c.body.value(QStringLiteral("labels")).toArray()) {
            const QString name = l.isObject() ? l.toObject().value(QStringLiteral("name")).toString() : l.toString();
            if (name.isEmpty())
                continue;
            const Label *label = m_world.labelByName(*c.repo, name);
            if (!label) { // GitHub creates labels that do not exist yet
                Label fresh;
                fresh.name = name;
                fresh.color = QStringLiteral("ededed");
                const auto created = m_world.createLabel(c.slot, fresh, c.identity.user < 0 ? 0 : c.identity.user);
                label = created ? m_world.labelById(*m_world.repo(c.slot), created->id) : nullptr;
            }
            if (label && !fields.labelIds.contains(label->id))
                fields.labelIds << label->id;
        }
        const Issue created = m_world.createIssue(c.slot, fields, c.identity.user < 0 ? 0 : c.identity.user);
        QByteArray out;
        JsonWriter w(&out);
        m_renderer.issue(w, *m_world.repo(c.slot), created);
        HttpResponse r = json(201, out);
        r.setHeader(
            "Location",
            (m_renderer.repoApi(*c.repo) + QStringLiteral("/issues/") + QString::number(created.number)).toUtf8());
        return r;
    });

    addRoute("PATCH", QStringLiteral("/repos/{owner}/{repo}/issues/{number}"), [this](Context &c) {
        const qint64 number = numberParam(c);
        const QString docs = issuesDocs + QStringLiteral("#update-an-issue");
        if (m_world.issueDeleted(*c.repo, number))
            return message(410, QStringLiteral("This issue was deleted"), docs);
        const auto current = m_world.issue(*c.repo, number);
        if (!current)
            return notFound();
        const QJsonObject &b = c.body;
        if (b.contains(QStringLiteral("assignee")) && b.contains(QStringLiteral("assignees")))
            return message(422,
                           QStringLiteral("You cannot pass both `assignee` and `assignees`. Only one may be provided."),
                           docs);
        if (b.contains(QStringLiteral("title")) && (!b.value(QStringLiteral("title")).isString() ||
                                                    b.value(QStringLiteral("title")).toString().trimmed().isEmpty()))
            return validationFailed(QStringLiteral("Issue"), QStringLiteral("title"), QStringLiteral("missing_field"),
                                    docs);
        const QString state = b.value(QStringLiteral("state")).toString();
        if (b.contains(QStringLiteral("state")) && state != QLatin1String("open") && state != QLatin1String("closed"))
            return validationFailed(QStringLiteral("Issue"), QStringLiteral("state"), QStringLiteral("invalid"), docs);
        const QString reason = b.value(QStringLiteral("state_reason")).toString();
        if (b.contains(QStringLiteral("state_reason")) && !b.value(QStringLiteral("state_reason")).isNull() &&
            reason != QLatin1String("completed") && reason != QLatin1String("not_planned") &&
            reason != QLatin1String("reopened"))
            return validationFailed(QStringLiteral("Issue"), QStringLiteral("state_reason"), QStringLiteral("invalid"),
                                    docs);
        QList<int> assignees = current->assignees;
        if (b.contains(QStringLiteral("assignees")) || b.contains(QStringLiteral("assignee"))) {
            assignees.clear();
            QJsonArray list = b.value(QStringLiteral("assignees")).toArray();
            if (b.value(QStringLiteral("assignee")).isString())
                list.append(b.value(QStringLiteral("assignee")));
            for (const QJsonValue &a : std::as_const(list)) {
                const int u = m_world.userByLogin(a.toString());
                if (u < 0)
                    return validationFailed(QStringLiteral("Issue"), QStringLiteral("assignees"),
                                            QStringLiteral("invalid"), docs);
                if (!assignees.contains(u))
                    assignees << u;
            }
        }
        QList<qint64> labelIds = current->labelIds;
        if (b.contains(QStringLiteral("labels"))) {
            labelIds.clear();
            for (const QJsonValue &l : b.value(QStringLiteral("labels")).toArray()) {
                const QString name =
                    l.isObject() ? l.toObject().value(QStringLiteral("name")).toString() : l.toString();
                const Label *label = m_world.labelByName(*c.repo, name);
                if (!label && !name.isEmpty()) {
                    Label fresh;
                    fresh.name = name;
                    fresh.color = QStringLiteral("ededed");
                    if (const auto created =
                            m_world.createLabel(c.slot, fresh, c.identity.user < 0 ? 0 : c.identity.user))
                        label = m_world.labelById(*m_world.repo(c.slot), created->id);
                }
                if (label && !labelIds.contains(label->id))
                    labelIds << label->id;
            }
        }
        // The events GitHub sends for this edit, in its order.
        QList<Change> events;
        const int actor = c.identity.user < 0 ? 0 : c.identity.user;
        QJsonObject changes;
        if (b.contains(QStringLiteral("title")) && b.value(QStringLiteral("title")).toString() != current->title)
            changes.insert(QStringLiteral("title"), QJsonObject{{QStringLiteral("from"), current->title}});
        if (b.contains(QStringLiteral("body")) && b.value(QStringLiteral("body")).toString() != current->body)
            changes.insert(QStringLiteral("body"), QJsonObject{{QStringLiteral("from"), current->body}});
        if (!changes.isEmpty()) {
            Change e(QString(), QStringLiteral("edited"), c.slot, actor);
            e.changes = changes;
            events << e;
        }
        if (!state.isEmpty() && (state == QLatin1String("closed")) != current->closed)
            events << Change(QString(),
                             state == QLatin1String("closed") ? QStringLiteral("closed") : QStringLiteral("reopened"),
                             c.slot, actor);
        for (const qint64 id : std::as_const(labelIds)) {
            if (!current->labelIds.contains(id)) {
                Change e(QString(), QStringLiteral("labeled"), c.slot, actor);
                e.label = *m_world.labelById(*m_world.repo(c.slot), id);
                events << e;
            }
        }
        for (const qint64 id : current->labelIds) {
            const Label *l = m_world.labelById(*m_world.repo(c.slot), id);
            if (!labelIds.contains(id) && l) {
                Change e(QString(), QStringLiteral("unlabeled"), c.slot, actor);
                e.label = *l;
                events << e;
            }
        }
        for (const int u : std::as_const(assignees)) {
            if (!current->assignees.contains(u)) {
                Change e(QString(), QStringLiteral("assigned"), c.slot, actor);
                e.assignee = u;
                events << e;
            }
        }
        for (const int u : current->assignees) {
            if (!assignees.contains(u)) {
                Change e(QString(), QStringLiteral("unassigned"), c.slot, actor);
                e.assignee = u;
                events << e;
            }
        }
        const auto updated = m_world.updateIssue(
            c.slot, number,
            [&](Issue &i) {
                if (b.contains(QStringLiteral("title")))
                    i.title = b.value(QStringLiteral("title")).toString();
                if (b.contains(QStringLiteral("body")))
                    i.body = b.value(QStringLiteral("body")).toString();
                if (!state.isEmpty() && (state == QLatin1String("closed")) != i.closed) {
                    i.closed = state == QLatin1String("closed");
                    i.stateReason = i.closed ? (reason.isEmpty() || reason == QLatin1String("reopened")
                                                    ? QStringLiteral("completed")
                                                    : reason)
                                             : QStringLiteral("reopened");
                    if (i.pull)
                        i.stateReason.clear();
                } else if (!reason.isEmpty() && i.closed && !i.pull) {
                    i.stateReason = reason;
                }
                i.assignees = assignees;
                i.labelIds = labelIds;
            },
            events, actor);
        QByteArray out;
        JsonWriter w(&out);
        m_renderer.issue(w, *m_world.repo(c.slot), *updated);
        return json(200, out);
    });

    const auto lockRoute = [this](Context &c, bool lock) {
        const qint64 number = numberParam(c);
        if (m_world.issueDeleted(*c.repo, number))
            return message(410, QStringLiteral("This issue was deleted"), issuesDocs);
        const auto current = m_world.issue(*c.repo, number);
        if (!current)
            return notFound();
        const QString reason = c.body.value(QStringLiteral("lock_reason")).toString();
        if (lock && !reason.isEmpty() && reason != QLatin1String("off-topic") &&
            reason != QLatin1String("too heated") && reason != QLatin1String("resolved") &&
            reason != QLatin1String("spam"))
            return validationFailed(QStringLiteral("Issue"), QStringLiteral("lock_reason"), QStringLiteral("invalid"),
                                    issuesDocs + QStringLiteral("#lock-an-issue"));
        if (!lock && !current->locked)
            return notFound(); // GitHub answers 404 when unlocking an issue that is not locked
        if (current->locked != lock || current->lockReason != reason)
            m_world.updateIssue(
                c.slot, number,
                [&](Issue &i) {
                    i.locked = lock;
                    i.lockReason = lock ? reason : QString();
                },
                {Change(QString(), lock ? QStringLiteral("locked") : QStringLiteral("unlocked"), c.slot, 0)},
                c.identity.user < 0 ? 0 : c.identity.user);
        return noContent();
    };
    addRoute("PUT", QStringLiteral("/repos/{owner}/{repo}/issues/{number}/lock"),
             [lockRoute](Context &c) { return lockRoute(c, true); });
    addRoute("DELETE", QStringLiteral("/repos/{owner}/{repo}/issues/{number}/lock"),
             [lockRoute](Context &c) { return lockRoute(c, false); });

    // Labels of a repository
    addRoute("GET", QStringLiteral("/repos/{owner}/{repo}/labels"), [this](Context &c) {
        return page(c, c.repo->labels.size(), [&](JsonWriter &w, qint64 from, qint64 to) {
            for (qint64 i = from; i < to; ++i)
                m_renderer.label(w, *c.repo, c.repo->labels[i]);
        });
    });
    addRoute("GET", QStringLiteral("/repos/{owner}/{repo}/labels/{name}"), [this](Context &c) {
        const Label *l = m_world.labelByName(*c.repo, c.params.value(QStringLiteral("name")));
        if (!l)
            return notFound();
        QByteArray out;
        JsonWriter w(&out);
        m_renderer.label(w, *c.repo, *l);
        return json(200, out);
    });
    addRoute("POST", QStringLiteral("/repos/{owner}/{repo}/labels"), [this](Context &c) {
        const QString docs = QStringLiteral("https://docs.github.com/rest/reference/issues#create-a-label");
        Label l;
        l.name = c.body.value(QStringLiteral("name")).toString();
        l.color = c.body.value(QStringLiteral("color")).toString(QStringLiteral("ededed"));
        if (l.color.startsWith(QLatin1Char('#')))
            l.color.remove(0, 1);
        l.description = c.body.value(QStringLiteral("description")).toString();
        if (l.name.trimmed().isEmpty())
            return validationFailed(QStringLiteral("Label"), QStringLiteral("name"), QStringLiteral("missing_field"),
                                    docs);
        if (!validColor(l.color))
            return validationFailed(QStringLiteral("Label"), QStringLiteral("color"), QStringLiteral("invalid"), docs);
        if (m_world.labelByName(*c.repo, l.name))
            return validationFailed(QStringLiteral("Label"), QStringLiteral("name"), QStringLiteral("already_exists"),
                                    docs);
        const auto created = m_world.createLabel(c.slot, l, c.identity.user < 0 ? 0 : c.identity.user);
        QByteArray out;
        JsonWriter w(&out);
        m_renderer.label(w, *m_world.repo(c.slot), *created);
        return json(201, out);
    });
    addRoute("PATCH", QStringLiteral("/repos/{owner}/{repo}/labels/{name}"), [this](Context &c) {
        const QString docs = labelsDocs + QStringLiteral("#update-a-label");
        if (!m_world.labelByName(*c.repo, c.params.value(QStringLiteral("name"))))
            return notFound();
        Label patch;
        patch.name = c.body.value(QStringLiteral("new_name")).toString(c.body.value(QStringLiteral("name")).toString());
        patch.color = c.body.value(QStringLiteral("color")).toString();
        if (patch.color.startsWith(QLatin1Char('#')))
            patch.color.remove(0, 1);
        if (c.body.contains(QStringLiteral("description")))
            patch.description = c.body.value(QStringLiteral("description")).toString(QStringLiteral(""));
        if (!patch.color.isEmpty() && !validColor(patch.color))
            return validationFailed(QStringLiteral("Label"), QStringLiteral("color"), QStringLiteral("invalid"), docs);
        const Label *clash = patch.name.isEmpty() ? nullptr : m_world.labelByName(*c.repo, patch.name);
        if (clash && clash->name.compare(c.params.value(QStringLiteral("name")), Qt::CaseInsensitive) != 0)
            return validationFailed(QStringLiteral("Label"), QStringLiteral("name"), QStringLiteral("already_exists"),
                                    docs);
        const auto edited = m_world.editLabel(c.slot, c.params.value(QStringLiteral("name")), patch,
                                              c.identity.user < 0 ? 0 : c.identity.user);
        QByteArray out;
        JsonWriter w(&out);
        m_renderer.label(w, *m_world.repo(c.slot), *edited);
        return json(200, out);
    });
    addRoute("DELETE", QStringLiteral("/repos/{owner}/{repo}/labels/{name}"), [this](Context &c) {
        return m_world.deleteLabel(c.slot, c.params.value(QStringLiteral("name")),
                                   c.identity.user < 0 ? 0 : c.identity.user)
                   ? noContent()
                   : notFound();
    });

    // Labels on an issue or pull request
    const auto issueLabels = [this](Context &c, qint64 number) {
        const auto issue = m_world.issue(*m_world.repo(c.slot), number);
        QByteArray out;
        JsonWriter w(&out);
        w.beginArray();
        for (const qint64 id : issue->labelIds) {
            if (const Label *l = m_world.labelById(*m_world.repo(c.slot), id))
                m_renderer.label(w, *m_world.repo(c.slot), *l);
        }
        w.endArray();
        return json(200, out);
    };
    addRoute("GET", QStringLiteral("/repos/{owner}/{repo}/issues/{number}/labels"), [this, issueLabels](Context &c) {
        return m_world.issue(*c.repo, numberParam(c)) ? issueLabels(c, numberParam(c)) : notFound();
    });
    const auto setLabels = [this, issueLabels](Context &c, bool replace) {
        const qint64 number = numberParam(c);
        const auto current = m_world.issue(*c.repo, number);
        if (!current)
            return m_world.issueDeleted(*c.repo, number)
                       ? message(410, QStringLiteral("This issue was deleted"), issuesDocs)
                       : notFound();
        QJsonArray names = c.body.value(QStringLiteral("labels")).toArray();
        QJsonArray all;
        if (!replace) {
            for (const qint64 id : current->labelIds) {
                if (const Label *l = m_world.labelById(*c.repo, id))
                    all.append(l->name);
            }
        }
        for (const QJsonValue &v : std::as_const(names))
            all.append(v.isObject() ? v.toObject().value(QStringLiteral("name")) : v);
        // Reuse PATCH's label handling (creation of unknown labels, labeled/unlabeled events).
        HttpRequest inner = c.request;
        Context patchContext{
            inner, c.params, c.identity, c.slot, c.repo, QJsonObject{{QStringLiteral("labels"), all}}, c.routeTemplate};
        bool known = false;
        QHash<QString, QString> params;
        const Route *route = match("PATCH", QStringLiteral("/repos/%1/issues/%2").arg(c.repo->fullName()).arg(number),
                                   &params, &known, false);
        const HttpResponse patched = route->handler(patchContext);
        if (patched.status != 200)
            return patched;
        return issueLabels(c, number);
    };
    addRoute("POST", QStringLiteral("/repos/{owner}/{repo}/issues/{number}/labels"),
             [setLabels](Context &c) { return setLabels(c, false); });
    addRoute("PUT", QStringLiteral("/repos/{owner}/{repo}/issues/{number}/labels"),
             [setLabels](Context &c) { return setLabels(c, true); });
    addRoute("DELETE", QStringLiteral("/repos/{owner}/{repo}/issues/{number}/labels/{name}"),
             [this, setLabels](Context &c) {
                 const auto current = m_world.issue(*c.repo, numberParam(c));
                 if (!current)
                     return notFound();
                 const Label *target = m_world.labelByName(*c.repo, c.params.value(QStringLiteral("name")));
                 if (!target || !current->labelIds.contains(target->id))
                     return message(404, QStringLiteral("Label does not exist"), labelsDocs);
                 QJsonArray keep;
                 for (const qint64 id : current->labelIds) {
                     const Label *l = m_world.labelById(*c.repo, id);
                     if (l && l->id != target->id)
                         keep.append(l->name);
                 }
                 c.body = QJsonObject{{QStringLiteral("labels"), keep}};
                 return setLabels(c, true);
             });
}

} // namespace hubsync::githubsim
