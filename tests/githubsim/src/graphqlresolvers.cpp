// GraphQL resolvers: what each field of the schema slice returns for the simulated world.

#include "graphqlservice.h"

namespace hubsync::githubsim {

using graphql::Selection;

namespace {

QString cursorFor(qint64 sortKey, qint64 id) {
    return QString::fromLatin1(
        QByteArray("cursor:v2:" + QByteArray::number(sortKey) + ':' + QByteArray::number(id)).toBase64());
}

bool parseCursor(const QString &cursor, qint64 *sortKey, qint64 *id) {
    const QList<QByteArray> parts = QByteArray::fromBase64(cursor.toLatin1()).split(':');
    if (parts.size() != 4 || parts[0] != "cursor" || parts[1] != "v2")
        return false;
    bool a = false, b = false;
    *sortKey = parts[2].toLongLong(&a);
    *id = parts[3].toLongLong(&b);
    return a && b;
}

// A connection asked for nothing but its totalCount (`reactors { totalCount }`) needs no first/last.
bool countOnly(const Selection &s) {
    return !s.selections.isEmpty() && std::all_of(s.selections.cbegin(), s.selections.cend(), [](const Selection &x) {
        return x.kind == Selection::Kind::Field &&
               (x.name == QLatin1String("totalCount") || x.name == QLatin1String("__typename"));
    });
}

// REST reaction content -> GraphQL ReactionContent.
QString reactionEnum(const QString &content) {
    static const QHash<QString, QString> names{
        {QStringLiteral("+1"), QStringLiteral("THUMBS_UP")},      {QStringLiteral("-1"), QStringLiteral("THUMBS_DOWN")},
        {QStringLiteral("laugh"), QStringLiteral("LAUGH")},       {QStringLiteral("hooray"), QStringLiteral("HOORAY")},
        {QStringLiteral("confused"), QStringLiteral("CONFUSED")}, {QStringLiteral("heart"), QStringLiteral("HEART")},
        {QStringLiteral("rocket"), QStringLiteral("ROCKET")},     {QStringLiteral("eyes"), QStringLiteral("EYES")}};
    return names.value(content);
}

QJsonValue time(qint64 secs) {
    return secs > 0 ? QJsonValue(QString::fromLatin1(isoTime(secs))) : QJsonValue();
}

} // namespace

std::optional<GraphqlService::Obj> GraphqlService::nodeById(const QString &id) const {
    QString type, key;
    if (!parseNodeId(id, &type, &key))
        return std::nullopt;
    const World &world = m_server.m_world;
    const qint64 n = key.toLongLong();
    Obj o;
    o.type = type;
    const auto inRepo = [&](qint64 base, qint64 *local) {
        const qint64 rest = n - base;
        if (rest < 0)
            return -1;
        *local = rest % ids::slotStride;
        return world.repo(int(rest / ids::slotStride)) ? int(rest / ids::slotStride) : -1;
    };
    qint64 local = 0;
    if (type == QLatin1String("Repository")) {
        o.slot = world.repoById(n);
        return o.slot >= 0 ? std::optional<Obj>(o) : std::nullopt;
    }
    if (type == QLatin1String("User")) {
        o.key = world.userById(n);
        return o.key >= 0 ? std::optional<Obj>(o) : std::nullopt;
    }
    if (type == QLatin1String("Issue") || type == QLatin1String("PullRequest")) {
        o.slot = inRepo(type == QLatin1String("Issue") ? ids::issue : ids::pull, &local);
        const auto issue = o.slot >= 0 ? world.issue(*world.repo(o.slot), local) : std::nullopt;
        if (!issue || issue->pull != (type == QLatin1String("PullRequest")))
            return std::nullopt;
        o.key = local;
        return o;
    }
    if (type == QLatin1String("Discussion")) {
        o.slot = inRepo(ids::discussion, &local);
        if (o.slot < 0 || local >= world.repo(o.slot)->discussions.size() ||
            world.repo(o.slot)->discussions[local].deleted)
            return std::nullopt;
        o.index = int(local);
        return o;
    }
    if (type == QLatin1String("IssueComment")) {
        qint64 commentLocal = 0;
        if (!world.commentFromId(n, &o.slot, &commentLocal) || !world.comment(*world.repo(o.slot), commentLocal))
            return std::nullopt;
        o.key = commentLocal;
        return o;
    }
    if (type == QLatin1String("DiscussionComment")) {
        o.slot = inRepo(ids::discussionComment, &local);
        if (o.slot < 0)
            return std::nullopt;
        const Repo &r = *world.repo(o.slot);
        for (int d = 0; d < r.discussions.size(); ++d) {
            for (int k = 0; k < r.discussions[d].comments.size(); ++k) {
                if (r.discussions[d].comments[k].id == n && !r.discussions[d].deleted) {
                    o.index = d;
                    o.sub = k;
                    return o;
                }
            }
        }
    }
    return std::nullopt;
}

GraphqlService::Val GraphqlService::connection(Exec &e, const QString &type,
                                               const QList<std::pair<QString, Obj>> &ordered, const QJsonObject &args,
                                               const Selection &s, const QStringList &path) {
    // ordered: (cursor, node) in the connection's order. Cursors are keyset cursors (sort key, id), so a
    // page boundary stays put when items before it change.
    const QJsonValue firstValue = args.value(QStringLiteral("first"));
    if (args.value(QStringLiteral("last")).isDouble() || args.value(QStringLiteral("before")).isString()) {
        error(e, QStringLiteral("UNSUPPORTED"), QStringLiteral("The simulator paginates forwards only (first/after)."),
              &s, path);
        return Val::null();
    }
    if (!firstValue.isDouble() && !countOnly(s)) {
        error(e, QStringLiteral("MISSING_PAGINATION_BOUNDARIES"),
              QStringLiteral("You must provide a `first` or `last` value to properly paginate the `%1` connection.")
                  .arg(s.name),
              &s, path);
        return Val::null();
    }
    const qint64 first = firstValue.isDouble() ? firstValue.toInteger() : 0;
    if (first < 0 || first > 100) {
        error(e, QStringLiteral("EXCESSIVE_PAGINATION"),
              QStringLiteral("Requesting %1 records on the `%2` connection exceeds the `first` limit of 100 records.")
                  .arg(first)
                  .arg(s.name),
              &s, path);
        return Val::null();
    }
    qsizetype start = 0;
    const QString after = args.value(QStringLiteral("after")).toString();
    if (!after.isEmpty()) {
        qint64 key = 0, id = 0;
        if (!parseCursor(after, &key, &id)) {
            error(e, QStringLiteral("INVALID_CURSOR_ARGUMENTS"),
                  QStringLiteral("`%1` does not appear to be a valid cursor.").arg(after), &s, path);
            return Val::null();
        }
        start = ordered.size();
        for (qsizetype i = 0; i < ordered.size(); ++i) {
            if (ordered[i].first == after) {
                start = i + 1;
                break;
            }
        }
        if (start == ordered.size()) { // the item under the cursor is gone: continue after its position
            qint64 k2 = 0, id2 = 0;
            for (qsizetype i = 0; i < ordered.size(); ++i) {
                parseCursor(ordered[i].first, &k2, &id2);
                if (k2 > key || (k2 == key && id2 > id)) {
                    start = i;
                    break;
                }
            }
        }
    }
    const qsizetype end = qMin<qsizetype>(ordered.size(), start + first);
    Obj c;
    c.type = type;
    QJsonArray items;
    for (qsizetype i = start; i < end; ++i)
        items.append(int(i));
    c.extra =
        QJsonObject{{QStringLiteral("total"), int(ordered.size())},
                    {QStringLiteral("start"), int(start)},
                    {QStringLiteral("end"), int(end)},
                    {QStringLiteral("startCursor"), end > start ? QJsonValue(ordered[start].first) : QJsonValue()},
                    {QStringLiteral("endCursor"), end > start ? QJsonValue(ordered[end - 1].first) : QJsonValue()}};
    // The page's nodes travel in the object: resolve() reads them back by position.
    QJsonArray nodes;
    for (qsizetype i = start; i < end; ++i) {
        const Obj &n = ordered[i].second;
        nodes.append(QJsonObject{{QStringLiteral("t"), n.type},
                                 {QStringLiteral("s"), n.slot},
                                 {QStringLiteral("i"), n.index},
                                 {QStringLiteral("u"), n.sub},
                                 {QStringLiteral("k"), n.key},
                                 {QStringLiteral("c"), ordered[i].first}});
    }
    c.extra.insert(QStringLiteral("nodes"), nodes);
    return Val::of(c);
}

GraphqlService::Val GraphqlService::reactionConnection(Exec &e, const Repo &r, int slot, qint64 subject, bool comment,
                                                       const QJsonObject &args, const Selection &s,
                                                       const QStringList &path) {
    const World &world = m_server.m_world;
    const QList<Reaction> list = comment ? world.commentReactions(r, subject) : world.issueReactions(r, subject);
    const QString content = args.value(QStringLiteral("content")).toString();
    QList<std::pair<QString, Obj>> ordered;
    for (int k = 0; k < list.size(); ++k) {
        if (!content.isEmpty() && reactionEnum(list[k].content) != content)
            continue;
        Obj o;
        o.type = QStringLiteral("Reaction");
        o.slot = slot;
        o.key = subject;
        o.index = comment ? 1 : 0;
        o.sub = k;
        ordered.append({cursorFor(list[k].id, list[k].id), o});
    }
    std::sort(ordered.begin(), ordered.end(), [](const auto &a, const auto &b) {
        qint64 ka = 0, kb = 0, ia = 0, ib = 0;
        parseCursor(a.first, &ka, &ia);
        parseCursor(b.first, &kb, &ib);
        return ka < kb;
    });
    return connection(e, QStringLiteral("ReactionConnection"), ordered, args, s, path);
}

GraphqlService::Val GraphqlService::reactionGroups(const Repo &, int slot, qint64 subject, bool comment) const {
    // All eight groups, as GitHub lists them, each counting its reactors.
    Val list;
    list.kind = Val::Kind::List;
    for (int k = 0; k < World::reactionContents().size(); ++k) {
        Obj o;
        o.type = QStringLiteral("ReactionGroup");
        o.slot = slot;
        o.key = subject;
        o.index = comment ? 1 : 0;
        o.sub = k;
        list.list << Val::of(o);
    }
    return list;
}

GraphqlService::Val GraphqlService::resolveQuery(Exec &e, const QString &field, const QJsonObject &args,
                                                 const Selection &s, const QStringList &path) {
    World &world = m_server.m_world;
    const Identity &id = e.ctx.identity;
    const auto visible = [&](int slot) {
        return slot >= 0 &&
               (id.kind != Identity::Kind::Installation || m_server.installationSees(slot, id.installationId));
    };
    if (field == QLatin1String("repository")) {
        const QString owner = args.value(QStringLiteral("owner")).toString();
        const QString name = args.value(QStringLiteral("name")).toString();
        const int slot = world.findRepo(owner, name);
        if (!visible(slot)) {
            error(e, QStringLiteral("NOT_FOUND"),
                  QStringLiteral("Could not resolve to a Repository with the name '%1/%2'.").arg(owner, name), &s,
                  path);
            return Val::null();
        }
        Obj o;
        o.type = QStringLiteral("Repository");
        o.slot = slot;
        return Val::of(o);
    }
    if (field == QLatin1String("node") || field == QLatin1String("nodes")) {
        const QJsonArray wanted = field == QLatin1String("node") ? QJsonArray{args.value(QStringLiteral("id"))}
                                                                 : args.value(QStringLiteral("ids")).toArray();
        if (wanted.size() > maxNodeIds) {
            error(e, QStringLiteral("EXCESSIVE_PAGINATION"),
                  QStringLiteral("You may request at most %1 ids with `nodes`; %2 were given.")
                      .arg(maxNodeIds)
                      .arg(wanted.size()),
                  &s, path);
            return Val::null();
        }
        Val list;
        list.kind = Val::Kind::List;
        for (const QJsonValue &v : wanted) {
            auto o = nodeById(v.toString());
            if (o && o->slot >= 0 && !visible(o->slot))
                o.reset();
            if (!o) {
                error(e, QStringLiteral("NOT_FOUND"),
                      QStringLiteral("Could not resolve to a node with the global id of '%1'").arg(v.toString()), &s,
                      path);
                list.list << Val::null();
            } else {
                list.list << Val::of(*o);
            }
        }
        return field == QLatin1String("node") ? list.list.first() : list;
    }
    if (field == QLatin1String("rateLimit")) {
        const RateLimiter::State &q =
            m_server.m_limits.bucket(id.quotaKey, QStringLiteral("graphql"), false, world.now());
        Obj o;
        o.type = QStringLiteral("RateLimit");
        o.extra = QJsonObject{{QStringLiteral("limit"), q.limit},
                              {QStringLiteral("cost"), e.cost},
                              {QStringLiteral("remaining"), qMax<qint64>(0, q.remaining() - e.cost)},
                              {QStringLiteral("used"), q.used + e.cost},
                              {QStringLiteral("resetAt"), time(q.reset)},
                              {QStringLiteral("nodeCount"), e.nodeCount}};
        return Val::of(o);
    }
    if (field == QLatin1String("viewer") || field == QLatin1String("user")) {
        const int u = field == QLatin1String("viewer")
                          ? id.user
                          : world.userByLogin(args.value(QStringLiteral("login")).toString());
        if (u < 0) {
            error(e, field == QLatin1String("viewer") ? QStringLiteral("FORBIDDEN") : QStringLiteral("NOT_FOUND"),
                  field == QLatin1String("viewer")
                      ? QStringLiteral("Resource not accessible by integration")
                      : QStringLiteral("Could not resolve to a User with the login of '%1'.")
                            .arg(args.value(QStringLiteral("login")).toString()),
                  &s, path);
            return Val::null();
        }
        Obj o;
        o.type = QStringLiteral("User");
        o.key = u;
        return Val::of(o);
    }
    return Val::null();
}

GraphqlService::Val GraphqlService::resolveMutation(Exec &e, const QString &field, const QJsonObject &args,
                                                    const Selection &s, const QStringList &path) {
    if (field != QLatin1String("deleteIssue"))
        return resolveDiscussionMutation(e, field, args, s, path);
    World &world = m_server.m_world;
    const QJsonObject input = args.value(QStringLiteral("input")).toObject();
    const QString issueId = input.value(QStringLiteral("issueId")).toString();
    const auto node = nodeById(issueId);
    if (!node || node->type != QLatin1String("Issue") ||
        (e.ctx.identity.kind == Identity::Kind::Installation &&
         !m_server.installationSees(node->slot, e.ctx.identity.installationId))) {
        error(e, QStringLiteral("NOT_FOUND"),
              QStringLiteral("Could not resolve to a node with the global id of '%1'").arg(issueId), &s, path);
        return Val::null();
    }
    if (!e.ctx.identity.canWrite) {
        const QString who =
            e.ctx.identity.user >= 0 ? world.userLogin(e.ctx.identity.user) : QStringLiteral("hubsync-sim[bot]");
        error(e, QStringLiteral("FORBIDDEN"),
              QStringLiteral("%1 does not have the correct permissions to execute `DeleteIssue`").arg(who), &s, path);
        return Val::null();
    }
    world.deleteIssue(node->slot, node->key, e.ctx.identity.user < 0 ? 0 : e.ctx.identity.user);
    Obj o;
    o.type = QStringLiteral("DeleteIssuePayload");
    o.slot = node->slot;
    o.extra = QJsonObject{{QStringLiteral("clientMutationId"), input.value(QStringLiteral("clientMutationId"))}};
    return Val::of(o);
}

// createDiscussion, updateDiscussion, deleteDiscussion, addDiscussionComment, updateDiscussionComment and
// deleteDiscussionComment, with GitHub's errors: an unknown node id (NOT_FOUND), no write access
// (FORBIDDEN), an empty title or body (UNPROCESSABLE).
GraphqlService::Val GraphqlService::resolveDiscussionMutation(Exec &e, const QString &field, const QJsonObject &args,
                                                              const Selection &s, const QStringList &path) {
    World &world = m_server.m_world;
    const QJsonObject input = args.value(QStringLiteral("input")).toObject();
    const int actor = e.ctx.identity.user < 0 ? 0 : e.ctx.identity.user;
    const auto visible = [&](const std::optional<Obj> &node, const char *type) {
        return node && node->type == QLatin1String(type) &&
               (e.ctx.identity.kind != Identity::Kind::Installation ||
                m_server.installationSees(node->slot, e.ctx.identity.installationId));
    };
    const auto notFound = [&](const QString &id) {
        error(e, QStringLiteral("NOT_FOUND"),
              QStringLiteral("Could not resolve to a node with the global id of '%1'").arg(id), &s, path);
        return Val::null();
    };
    const auto unprocessable = [&](const QString &message) {
        error(e, QStringLiteral("UNPROCESSABLE"), message, &s, path);
        return Val::null();
    };
    if (!e.ctx.identity.canWrite) {
        const QString who =
            e.ctx.identity.user >= 0 ? world.userLogin(e.ctx.identity.user) : QStringLiteral("hubsync-sim[bot]");
        QString name = field;
        name[0] = name[0].toUpper();
        error(e, QStringLiteral("FORBIDDEN"),
              QStringLiteral("%1 does not have the correct permissions to execute `%2`").arg(who, name), &s, path);
        return Val::null();
    }
    // A category node id is the repository's id * 10 + the category's index.
    const auto category = [&](const QString &id, int slot) -> int {
        QString type, key;
        if (!parseNodeId(id, &type, &key) || type != QLatin1String("DiscussionCategory"))
            return -1;
        const qint64 n = key.toLongLong();
        const Repo *r = world.repo(slot);
        return r && n / 10 == r->id && n % 10 < World::discussionCategories().size() ? int(n % 10) : -1;
    };
    Obj payload;
    payload.extra = QJsonObject{{QStringLiteral("clientMutationId"), input.value(QStringLiteral("clientMutationId"))}};
    const auto discussionPayload = [&](int slot, int index) {
        payload.type = QStringLiteral("DiscussionPayload");
        payload.extra.insert(QStringLiteral("node"), QJsonObject{{QStringLiteral("t"), QStringLiteral("Discussion")},
                                                                 {QStringLiteral("s"), slot},
                                                                 {QStringLiteral("i"), index}});
        return Val::of(payload);
    };
    const auto commentPayload = [&](int slot, int index, int sub) {
        payload.type = QStringLiteral("DiscussionCommentPayload");
        if (sub >= 0)
            payload.extra.insert(QStringLiteral("node"),
                                 QJsonObject{{QStringLiteral("t"), QStringLiteral("DiscussionComment")},
                                             {QStringLiteral("s"), slot},
                                             {QStringLiteral("i"), index},
                                             {QStringLiteral("u"), sub}});
        return Val::of(payload);
    };
    const QString title = input.value(QStringLiteral("title")).toString();
    const QString body = input.value(QStringLiteral("body")).toString();
    if (field == QLatin1String("createDiscussion")) {
        const QString repoId = input.value(QStringLiteral("repositoryId")).toString();
        const auto repo = nodeById(repoId);
        if (!visible(repo, "Repository"))
            return notFound(repoId);
        const int cat = category(input.value(QStringLiteral("categoryId")).toString(), repo->slot);
        if (cat < 0)
            return notFound(input.value(QStringLiteral("categoryId")).toString());
        if (title.trimmed().isEmpty() || body.trimmed().isEmpty())
            return unprocessable(title.trimmed().isEmpty() ? QStringLiteral("Title can't be blank")
                                                           : QStringLiteral("Body can't be blank"));
        const auto d = world.createDiscussion(repo->slot, title, body, cat, actor);
        return discussionPayload(repo->slot, world.discussionIndex(*world.repo(repo->slot), d->number));
    }
    if (field == QLatin1String("updateDiscussion") || field == QLatin1String("deleteDiscussion")) {
        const QString id = input
                               .value(field == QLatin1String("updateDiscussion") ? QStringLiteral("discussionId")
                                                                                 : QStringLiteral("id"))
                               .toString();
        const auto node = nodeById(id);
        if (!visible(node, "Discussion"))
            return notFound(id);
        const Discussion &current = world.repo(node->slot)->discussions[node->index];
        if (field == QLatin1String("deleteDiscussion")) {
            world.deleteDiscussion(node->slot, current.number, actor);
            return discussionPayload(node->slot, node->index);
        }
        int cat = current.category;
        if (input.contains(QStringLiteral("categoryId"))) {
            cat = category(input.value(QStringLiteral("categoryId")).toString(), node->slot);
            if (cat < 0)
                return notFound(input.value(QStringLiteral("categoryId")).toString());
        }
        if ((input.contains(QStringLiteral("title")) && title.trimmed().isEmpty()) ||
            (input.contains(QStringLiteral("body")) && body.trimmed().isEmpty()))
            return unprocessable(input.contains(QStringLiteral("title")) && title.trimmed().isEmpty()
                                     ? QStringLiteral("Title can't be blank")
                                     : QStringLiteral("Body can't be blank"));
        world.editDiscussion(
            node->slot, current.number,
            [&](Discussion &d) {
                if (input.contains(QStringLiteral("title")))
                    d.title = title;
                if (input.contains(QStringLiteral("body")))
                    d.body = body;
                d.category = cat;
            },
            cat != current.category ? QStringLiteral("category_changed") : QStringLiteral("edited"), actor);
        return discussionPayload(node->slot, node->index);
    }
    if (field == QLatin1String("addDiscussionComment")) {
        const QString id = input.value(QStringLiteral("discussionId")).toString();
        const auto node = nodeById(id);
        if (!visible(node, "Discussion"))
            return notFound(id);
        if (body.trimmed().isEmpty())
            return unprocessable(QStringLiteral("Body can't be blank"));
        qint64 replyTo = 0;
        if (const QString reply = input.value(QStringLiteral("replyToId")).toString(); !reply.isEmpty()) {
            const auto parent = nodeById(reply);
            if (!visible(parent, "DiscussionComment") || parent->index != node->index)
                return notFound(reply);
            replyTo = world.repo(node->slot)->discussions[node->index].comments[parent->sub].id;
        }
        const auto c = world.createDiscussionComment(
            node->slot, world.repo(node->slot)->discussions[node->index].number, body, replyTo, actor);
        if (!c)
            return notFound(id);
        const QList<DiscussionComment> &comments = world.repo(node->slot)->discussions[node->index].comments;
        int sub = -1;
        for (int k = 0; k < comments.size(); ++k)
            if (comments[k].id == c->id)
                sub = k;
        return commentPayload(node->slot, node->index, sub);
    }
    if (field == QLatin1String("updateDiscussionComment") || field == QLatin1String("deleteDiscussionComment")) {
        const QString id = input
                               .value(field == QLatin1String("updateDiscussionComment") ? QStringLiteral("commentId")
                                                                                        : QStringLiteral("id"))
                               .toString();
        const auto node = nodeById(id);
        if (!visible(node, "DiscussionComment"))
            return notFound(id);
        const qint64 commentId = world.repo(node->slot)->discussions[node->index].comments[node->sub].id;
        if (field == QLatin1String("deleteDiscussionComment")) {
            world.deleteDiscussionComment(node->slot, commentId, actor);
            return commentPayload(node->slot, node->index, -1);
        }
        if (body.trimmed().isEmpty())
            return unprocessable(QStringLiteral("Body can't be blank"));
        world.editDiscussionComment(node->slot, commentId, body, actor);
        return commentPayload(node->slot, node->index, node->sub);
    }
    return Val::null();
}

GraphqlService::Val GraphqlService::resolve(Exec &e, const Obj &p, const QString &field, const QJsonObject &args,
                                            const Selection &s, const QStringList &path) {
    World &world = m_server.m_world;
    const Renderer &render = m_server.m_renderer;
    const auto obj = [](const QString &type, int slot, qint64 key, int index = -1, int sub = -1) {
        Obj o;
        o.type = type;
        o.slot = slot;
        o.key = key;
        o.index = index;
        o.sub = sub;
        return Val::of(o);
    };
    const auto user = [&](int u) { return u < 0 ? Val::null() : obj(QStringLiteral("User"), -1, u); };
    const Repo *r = p.slot >= 0 ? world.repo(p.slot) : nullptr;

    if (p.type == QLatin1String("DiscussionCategoryConnection")) {
        if (field == QLatin1String("totalCount"))
            return Val::of(qint64(World::discussionCategories().size()));
        Val nodes;
        nodes.kind = Val::Kind::List;
        for (int k = 0; k < World::discussionCategories().size(); ++k)
            nodes.list << obj(QStringLiteral("DiscussionCategory"), p.slot, k);
        return nodes;
    }
    if (p.type.endsWith(QLatin1String("Connection"))) {
        const QJsonArray nodes = p.extra.value(QStringLiteral("nodes")).toArray();
        const auto nodeAt = [](const QJsonObject &n) {
            Obj o;
            o.type = n.value(QStringLiteral("t")).toString();
            o.slot = n.value(QStringLiteral("s")).toInt();
            o.index = n.value(QStringLiteral("i")).toInt();
            o.sub = n.value(QStringLiteral("u")).toInt();
            o.key = n.value(QStringLiteral("k")).toInteger();
            return o;
        };
        if (field == QLatin1String("totalCount"))
            return Val::of(p.extra.value(QStringLiteral("total")));
        if (field == QLatin1String("pageInfo")) {
            Obj info;
            info.type = QStringLiteral("PageInfo");
            info.extra =
                QJsonObject{{QStringLiteral("hasNextPage"), p.extra.value(QStringLiteral("end")).toInt() <
                                                                p.extra.value(QStringLiteral("total")).toInt()},
                            {QStringLiteral("hasPreviousPage"), p.extra.value(QStringLiteral("start")).toInt() > 0},
                            {QStringLiteral("startCursor"), p.extra.value(QStringLiteral("startCursor"))},
                            {QStringLiteral("endCursor"), p.extra.value(QStringLiteral("endCursor"))}};
            return Val::of(info);
        }
        Val list;
        list.kind = Val::Kind::List;
        for (const QJsonValue &n : nodes) {
            if (field == QLatin1String("nodes")) {
                list.list << Val::of(nodeAt(n.toObject()));
            } else { // edges
                Obj edge;
                edge.type = p.type.chopped(10) + QStringLiteral("Edge");
                edge.extra = QJsonObject{{QStringLiteral("cursor"), n.toObject().value(QStringLiteral("c"))},
                                         {QStringLiteral("node"), n}};
                list.list << Val::of(edge);
            }
        }
        return list;
    }
    if (p.type.endsWith(QLatin1String("Edge"))) {
        if (field == QLatin1String("cursor"))
            return Val::of(p.extra.value(QStringLiteral("cursor")));
        const QJsonObject n = p.extra.value(QStringLiteral("node")).toObject();
        return obj(n.value(QStringLiteral("t")).toString(), n.value(QStringLiteral("s")).toInt(),
                   n.value(QStringLiteral("k")).toInteger(), n.value(QStringLiteral("i")).toInt(),
                   n.value(QStringLiteral("u")).toInt());
    }
    if (p.type == QLatin1String("PageInfo") || p.type == QLatin1String("RateLimit"))
        return Val::of(p.extra.value(field));
    if (p.type == QLatin1String("DiscussionPayload") || p.type == QLatin1String("DiscussionCommentPayload")) {
        if (field == QLatin1String("clientMutationId"))
            return Val::of(p.extra.value(field));
        const QJsonObject n = p.extra.value(QStringLiteral("node")).toObject();
        if (n.isEmpty())
            return Val::null(); // a deleted comment
        return obj(n.value(QStringLiteral("t")).toString(), n.value(QStringLiteral("s")).toInt(), 0,
                   n.value(QStringLiteral("i")).toInt(), n.value(QStringLiteral("u")).toInt(-1));
    }
    if (p.type == QLatin1String("DeleteIssuePayload")) {
        if (field == QLatin1String("clientMutationId"))
            return Val::of(p.extra.value(field));
        return world.repo(p.slot) ? obj(QStringLiteral("Repository"), p.slot, 0) : Val::null();
    }
    if (p.type == QLatin1String("User") || p.type == QLatin1String("Organization")) {
        const int u = int(p.key);
        const qint64 dbId = world.userId(u);
        if (field == QLatin1String("id"))
            return Val::of(nodeId("User", dbId));
        if (field == QLatin1String("databaseId"))
            return Val::of(dbId);
        if (field == QLatin1String("login"))
            return Val::of(world.userLogin(u));
        if (field == QLatin1String("name"))
            return Val::of(world.userLogin(u));
        if (field == QLatin1String("url"))
            return Val::of(render.baseUrl() + QLatin1Char('/') + world.userLogin(u));
        if (field == QLatin1String("avatarUrl"))
            return Val::of(render.baseUrl() + QStringLiteral("/avatars/u/") + QString::number(dbId));
        if (field == QLatin1String("isSiteAdmin"))
            return Val::of(false);
        return Val::null();
    }
    if (!r)
        return Val::null();
    if (p.type == QLatin1String("Repository")) {
        if (field == QLatin1String("id"))
            return Val::of(nodeId("Repository", r->id));
        if (field == QLatin1String("databaseId"))
            return Val::of(r->id);
        if (field == QLatin1String("name"))
            return Val::of(r->name);
        if (field == QLatin1String("nameWithOwner"))
            return Val::of(r->fullName());
        if (field == QLatin1String("url"))
            return Val::of(render.repoHtml(*r));
        if (field == QLatin1String("isPrivate"))
            return Val::of(r->isPrivate);
        if (field == QLatin1String("createdAt"))
            return Val::of(time(r->created));
        if (field == QLatin1String("updatedAt"))
            return Val::of(time(r->updated));
        if (field == QLatin1String("hasDiscussionsEnabled"))
            return Val::of(r->hasDiscussions);
        if (field == QLatin1String("owner")) {
            const int u = world.userByLogin(r->owner);
            Obj o;
            o.type = u >= 0 ? QStringLiteral("User") : QStringLiteral("Organization");
            o.key = u;
            return u >= 0 ? Val::of(o) : Val::null();
        }
        if (field == QLatin1String("issues") || field == QLatin1String("pullRequests")) {
            const bool pulls = field == QLatin1String("pullRequests");
            const QJsonObject orderBy = args.value(QStringLiteral("orderBy")).toObject();
            const QString orderField = orderBy.value(QStringLiteral("field")).toString(QStringLiteral("CREATED_AT"));
            if (orderField != QLatin1String("CREATED_AT")) {
                error(e, QStringLiteral("UNSUPPORTED"),
                      QStringLiteral("The simulator orders %1 by CREATED_AT only.").arg(field), &s, path);
                return Val::null();
            }
            const bool ascending = orderBy.value(QStringLiteral("direction")).toString() != QLatin1String("DESC");
            QStringList states;
            for (const QJsonValue &v : args.value(QStringLiteral("states")).toArray())
                states << v.toString();
            const bool open = states.isEmpty() || states.contains(QStringLiteral("OPEN"));
            const bool closed = states.isEmpty() || states.contains(QStringLiteral("CLOSED")) ||
                                states.contains(QStringLiteral("MERGED"));
            ListQuery q;
            q.kind = pulls ? ListQuery::Kind::PullsOnly : ListQuery::Kind::IssuesOnly;
            q.state = open && closed ? QStringLiteral("all") : open ? QStringLiteral("open") : QStringLiteral("closed");
            q.sort = QStringLiteral("created");
            q.ascending = ascending;
            const auto numbers = world.issueNumbers(*r, q);
            QList<std::pair<QString, Obj>> ordered;
            ordered.reserve(numbers->size());
            // Numbers grow with creation time: the number is the keyset cursor's key.
            for (const qint64 number : *numbers) {
                Obj o;
                o.type = pulls ? QStringLiteral("PullRequest") : QStringLiteral("Issue");
                o.slot = p.slot;
                o.key = number;
                ordered.append({cursorFor(ascending ? number : -number, ascending ? number : -number), o});
            }
            return connection(e, pulls ? QStringLiteral("PullRequestConnection") : QStringLiteral("IssueConnection"),
                              ordered, args, s, path);
        }
        if (field == QLatin1String("pullRequest")) {
            const qint64 number = args.value(QStringLiteral("number")).toInteger();
            if (const auto issue = world.issue(*r, number); issue && issue->pull)
                return obj(QStringLiteral("PullRequest"), p.slot, number);
            error(e, QStringLiteral("NOT_FOUND"),
                  QStringLiteral("Could not resolve to a PullRequest with the number of %1.").arg(number), &s, path);
            return Val::null();
        }
        if (field == QLatin1String("discussion") || field == QLatin1String("issue")) {
            const qint64 number = args.value(QStringLiteral("number")).toInteger();
            if (field == QLatin1String("discussion")) {
                const int d = world.discussionIndex(*r, number);
                if (d >= 0)
                    return obj(QStringLiteral("Discussion"), p.slot, 0, d);
            } else if (const auto issue = world.issue(*r, number); issue && !issue->pull) {
                return obj(QStringLiteral("Issue"), p.slot, number);
            }
            error(
                e, QStringLiteral("NOT_FOUND"),
                QStringLiteral("Could not resolve to %1 with the number of %2.")
                    .arg(field == QLatin1String("issue") ? QStringLiteral("an Issue") : QStringLiteral("a Discussion"))
                    .arg(number),
                &s, path);
            return Val::null();
        }
        if (field == QLatin1String("discussionCategories"))
            return obj(QStringLiteral("DiscussionCategoryConnection"), p.slot, 0);
        if (field == QLatin1String("discussions")) {
            const QJsonObject orderBy = args.value(QStringLiteral("orderBy")).toObject();
            const bool byCreated = orderBy.value(QStringLiteral("field")).toString() == QLatin1String("CREATED_AT");
            const bool ascending = orderBy.value(QStringLiteral("direction")).toString() == QLatin1String("ASC");
            QList<int> order;
            for (int d = 0; d < r->discussions.size(); ++d) {
                if (!r->discussions[d].deleted)
                    order << d;
            }
            const auto key = [&](int d) { return byCreated ? r->discussions[d].created : r->discussions[d].updated; };
            std::stable_sort(order.begin(), order.end(), [&](int a, int b) {
                const qint64 ka = key(a), kb = key(b);
                if (ka != kb)
                    return ascending ? ka < kb : ka > kb;
                return ascending ? r->discussions[a].id < r->discussions[b].id
                                 : r->discussions[a].id > r->discussions[b].id;
            });
            QList<std::pair<QString, Obj>> ordered;
            for (const int d : std::as_const(order)) {
                Obj o;
                o.type = QStringLiteral("Discussion");
                o.slot = p.slot;
                o.index = d;
                // Descending keyset cursors negate the key so "after" always means "greater".
                ordered.append(
                    {cursorFor(ascending ? key(d) : -key(d), ascending ? r->discussions[d].id : -r->discussions[d].id),
                     o});
            }
            return connection(e, QStringLiteral("DiscussionConnection"), ordered, args, s, path);
        }
        return Val::null();
    }
    if (p.type == QLatin1String("Issue") || p.type == QLatin1String("PullRequest")) {
        const auto issue = world.issue(*r, p.key);
        if (!issue)
            return Val::null();
        const qint64 dbId = issue->pull ? world.pullId(*r, issue->number) : world.issueId(*r, issue->number);
        if (field == QLatin1String("id"))
            return Val::of(nodeId(issue->pull ? "PullRequest" : "Issue", dbId));
        if (field == QLatin1String("databaseId"))
            return Val::of(dbId);
        if (field == QLatin1String("number"))
            return Val::of(issue->number);
        if (field == QLatin1String("title"))
            return Val::of(issue->title);
        if (field == QLatin1String("body"))
            return Val::of(issue->body);
        if (field == QLatin1String("url"))
            return Val::of(render.repoHtml(*r) + (issue->pull ? QStringLiteral("/pull/") : QStringLiteral("/issues/")) +
                           QString::number(issue->number));
        if (field == QLatin1String("state"))
            return Val::of(issue->pull && issue->merged ? QStringLiteral("MERGED")
                           : issue->closed              ? QStringLiteral("CLOSED")
                                                        : QStringLiteral("OPEN"));
        if (field == QLatin1String("closed"))
            return Val::of(issue->closed);
        if (field == QLatin1String("locked"))
            return Val::of(issue->locked);
        if (field == QLatin1String("createdAt"))
            return Val::of(time(issue->created));
        if (field == QLatin1String("updatedAt"))
            return Val::of(time(issue->updated));
        if (field == QLatin1String("author"))
            return user(issue->user);
        if (field == QLatin1String("repository"))
            return obj(QStringLiteral("Repository"), p.slot, 0);
        if (field == QLatin1String("fullDatabaseId"))
            return Val::of(QString::number(dbId));
        if (field == QLatin1String("comments")) {
            const auto locals = world.commentLocals(*r, issue->number, false, true, -1);
            QList<std::pair<QString, Obj>> ordered;
            for (const qint64 local : *locals) {
                const auto comment = world.comment(*r, local);
                if (!comment)
                    continue;
                Obj o;
                o.type = QStringLiteral("IssueComment");
                o.slot = p.slot;
                o.key = local;
                ordered.append({cursorFor(comment->created, world.commentId(*r, local)), o});
            }
            return connection(e, QStringLiteral("IssueCommentConnection"), ordered, args, s, path);
        }
        if (field == QLatin1String("reactions"))
            return reactionConnection(e, *r, p.slot, issue->number, false, args, s, path);
        if (field == QLatin1String("reactionGroups"))
            return reactionGroups(*r, p.slot, issue->number, false);
        return Val::null();
    }
    if (p.type == QLatin1String("IssueComment")) {
        const auto comment = world.comment(*r, p.key);
        if (!comment)
            return Val::null();
        const qint64 id = world.commentId(*r, p.key);
        const auto thread = world.issue(*r, comment->number);
        const bool pull = thread && thread->pull;
        if (field == QLatin1String("id"))
            return Val::of(nodeId("IssueComment", id));
        if (field == QLatin1String("databaseId"))
            return Val::of(id);
        if (field == QLatin1String("fullDatabaseId"))
            return Val::of(QString::number(id));
        if (field == QLatin1String("body"))
            return Val::of(comment->body);
        if (field == QLatin1String("url"))
            return Val::of(render.repoHtml(*r) + (pull ? QStringLiteral("/pull/") : QStringLiteral("/issues/")) +
                           QString::number(comment->number) + QStringLiteral("#issuecomment-") + QString::number(id));
        if (field == QLatin1String("createdAt"))
            return Val::of(time(comment->created));
        if (field == QLatin1String("updatedAt"))
            return Val::of(time(comment->updated));
        if (field == QLatin1String("author"))
            return user(comment->user);
        if (field == QLatin1String("authorAssociation"))
            return Val::of(comment->user == 0 ? QStringLiteral("OWNER") : QStringLiteral("MEMBER"));
        if (field == QLatin1String("issue") || field == QLatin1String("pullRequest")) {
            if (!thread || pull != (field == QLatin1String("pullRequest")))
                return Val::null();
            return obj(pull ? QStringLiteral("PullRequest") : QStringLiteral("Issue"), p.slot, comment->number);
        }
        if (field == QLatin1String("reactions"))
            return reactionConnection(e, *r, p.slot, p.key, true, args, s, path);
        if (field == QLatin1String("reactionGroups"))
            return reactionGroups(*r, p.slot, p.key, true);
        return Val::null();
    }
    if (p.type == QLatin1String("Reaction")) {
        const QList<Reaction> list = p.index == 1 ? world.commentReactions(*r, p.key) : world.issueReactions(*r, p.key);
        if (p.sub < 0 || p.sub >= list.size())
            return Val::null();
        const Reaction &x = list[p.sub];
        if (field == QLatin1String("id"))
            return Val::of(nodeId("Reaction", x.id));
        if (field == QLatin1String("databaseId"))
            return Val::of(x.id);
        if (field == QLatin1String("content"))
            return Val::of(reactionEnum(x.content));
        if (field == QLatin1String("createdAt"))
            return Val::of(time(x.created));
        if (field == QLatin1String("user"))
            return user(x.user);
        return Val::null();
    }
    if (p.type == QLatin1String("ReactionGroup")) {
        const QString content = World::reactionContents().value(p.sub);
        const QList<Reaction> list = p.index == 1 ? world.commentReactions(*r, p.key) : world.issueReactions(*r, p.key);
        qint64 count = 0, firstAt = 0;
        for (const Reaction &x : list) {
            if (x.content == content) {
                ++count;
                firstAt = firstAt == 0 ? x.created : qMin(firstAt, x.created);
            }
        }
        if (field == QLatin1String("content"))
            return Val::of(reactionEnum(content));
        if (field == QLatin1String("createdAt"))
            return Val::of(time(firstAt));
        if (field == QLatin1String("viewerHasReacted"))
            return Val::of(false);
        if (field == QLatin1String("reactors")) {
            Obj o;
            o.type = QStringLiteral("ReactorConnection");
            o.extra = QJsonObject{{QStringLiteral("total"), count}};
            return Val::of(o);
        }
        return Val::null();
    }
    if (p.type == QLatin1String("DiscussionCategory")) {
        const QString name = World::discussionCategories().value(int(p.key));
        const qint64 categoryId = r->id * 10 + p.key;
        if (field == QLatin1String("id"))
            return Val::of(nodeId("DiscussionCategory", categoryId));
        if (field == QLatin1String("name"))
            return Val::of(name);
        if (field == QLatin1String("slug"))
            return Val::of(name.toLower().remove(QLatin1Char('&')));
        if (field == QLatin1String("emoji"))
            return Val::of(QStringLiteral(":speech_balloon:"));
        if (field == QLatin1String("description"))
            return Val::of(QStringLiteral("Discussions about ") + name);
        if (field == QLatin1String("isAnswerable"))
            return Val::of(p.key == 3);
        return Val::null();
    }
    if (p.index < 0 || p.index >= r->discussions.size())
        return Val::null();
    const Discussion &d = r->discussions[p.index];
    // The connection of the comments answering `parent` (0: the discussion's top-level comments).
    const auto commentsReplyingTo = [&](qint64 parent) {
        QList<std::pair<QString, Obj>> ordered;
        for (int k = 0; k < d.comments.size(); ++k) {
            if (d.comments[k].replyTo != parent)
                continue;
            Obj o;
            o.type = QStringLiteral("DiscussionComment");
            o.slot = p.slot;
            o.index = p.index;
            o.sub = k;
            ordered.append({cursorFor(d.comments[k].created, d.comments[k].id), o});
        }
        return connection(e, QStringLiteral("DiscussionCommentConnection"), ordered, args, s, path);
    };
    const QString discussionUrl = render.repoHtml(*r) + QStringLiteral("/discussions/") + QString::number(d.number);
    if (p.type == QLatin1String("Discussion")) {
        if (field == QLatin1String("id"))
            return Val::of(nodeId("Discussion", d.id));
        if (field == QLatin1String("databaseId"))
            return Val::of(d.id);
        if (field == QLatin1String("number"))
            return Val::of(d.number);
        if (field == QLatin1String("title"))
            return Val::of(d.title);
        if (field == QLatin1String("body") || field == QLatin1String("bodyText"))
            return Val::of(d.body);
        if (field == QLatin1String("url"))
            return Val::of(discussionUrl);
        if (field == QLatin1String("createdAt"))
            return Val::of(time(d.created));
        if (field == QLatin1String("updatedAt"))
            return Val::of(time(d.updated));
        if (field == QLatin1String("locked"))
            return Val::of(d.locked);
        if (field == QLatin1String("closed"))
            return Val::of(false);
        if (field == QLatin1String("upvoteCount"))
            return Val::of(d.upvotes);
        if (field == QLatin1String("answerChosenAt"))
            return Val::of(time(d.answerChosenAt));
        if (field == QLatin1String("author"))
            return user(d.author);
        if (field == QLatin1String("repository"))
            return obj(QStringLiteral("Repository"), p.slot, 0);
        if (field == QLatin1String("category"))
            return obj(QStringLiteral("DiscussionCategory"), p.slot, d.category, p.index);
        if (field == QLatin1String("comments")) {
            // Top-level comments only: replies are listed under their parent's `replies`, as on GitHub.
            return commentsReplyingTo(0);
        }
        return Val::null();
    }
    if (p.type == QLatin1String("DiscussionComment")) {
        if (p.sub < 0 || p.sub >= d.comments.size())
            return Val::null();
        const DiscussionComment &c = d.comments[p.sub];
        if (field == QLatin1String("id"))
            return Val::of(nodeId("DiscussionComment", c.id));
        if (field == QLatin1String("databaseId"))
            return Val::of(c.id);
        if (field == QLatin1String("body") || field == QLatin1String("bodyText"))
            return Val::of(c.body);
        if (field == QLatin1String("url"))
            return Val::of(discussionUrl + QStringLiteral("#discussioncomment-") + QString::number(c.id));
        if (field == QLatin1String("createdAt"))
            return Val::of(time(c.created));
        if (field == QLatin1String("updatedAt"))
            return Val::of(time(c.updated));
        if (field == QLatin1String("upvoteCount"))
            return Val::of(c.upvotes);
        if (field == QLatin1String("isAnswer"))
            return Val::of(d.answerChosenAt > 0 && p.sub == 0);
        if (field == QLatin1String("author"))
            return user(c.author);
        if (field == QLatin1String("discussion"))
            return obj(QStringLiteral("Discussion"), p.slot, 0, p.index);
        if (field == QLatin1String("replies"))
            return commentsReplyingTo(c.id);
        if (field == QLatin1String("replyTo")) {
            for (int k = 0; k < d.comments.size(); ++k) {
                if (c.replyTo != 0 && d.comments[k].id == c.replyTo)
                    return obj(QStringLiteral("DiscussionComment"), p.slot, 0, p.index, k);
            }
            return Val::null();
        }
    }
    return Val::null();
}

} // namespace hubsync::githubsim
