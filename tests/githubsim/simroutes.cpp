// The REST routes, the control API and the GraphQL subset of the simulated GitHub.

#include "simserver.h"

#include <QJsonArray>
#include <QRegularExpression>

#include <algorithm>

namespace githubsim {

namespace {

struct Paging {
    int perPage = 30;
    int page = 1;
    bool valid = true;
};

Paging paging(const QUrlQuery &query)
{
    Paging p;
    bool ok = true;
    if (query.hasQueryItem(QStringLiteral("per_page"))) {
        p.perPage = query.queryItemValue(QStringLiteral("per_page")).toInt(&ok);
        p.perPage = ok ? qBound(1, p.perPage, 100) : 30; // GitHub caps per_page at 100
    }
    if (query.hasQueryItem(QStringLiteral("page"))) {
        p.page = query.queryItemValue(QStringLiteral("page")).toInt(&ok);
        if (!ok || p.page < 1)
            p.page = 1;
    }
    return p;
}

QDateTime sinceOf(const QUrlQuery &query, bool *valid)
{
    *valid = true;
    if (!query.hasQueryItem(QStringLiteral("since")))
        return {};
    const QDateTime t = QDateTime::fromString(query.queryItemValue(QStringLiteral("since"), QUrl::FullyDecoded), Qt::ISODate);
    *valid = t.isValid();
    return t;
}

} // namespace

Reply Server::route(const QByteArray &method, const QString &rawPath, const QUrlQuery &query, const QByteArray &body)
{
    QString path = rawPath;
    while (path.size() > 1 && path.endsWith(QLatin1Char('/')))
        path.chop(1);
    const Paging pg = paging(query);
    const auto page = [&](const QList<QJsonObject> &all) {
        const qint64 from = qint64(pg.page - 1) * pg.perPage;
        return listReply(all.mid(from, pg.perPage), all.size(), path, query, pg.perPage, pg.page);
    };

    // /repositories/{id}/... is how GitHub's own Link headers address a repository.
    static const QRegularExpression byId(QStringLiteral("^/repositories/(\\d+)(/.*)?$"));
    if (const auto m = byId.match(path); m.hasMatch()) {
        const int r = int(m.captured(1).toLongLong() - 1296269);
        if (r < 0 || r >= m_world.spec().repos)
            return error(404, QStringLiteral("Not Found"));
        path = QStringLiteral("/repos/%1/%2%3").arg(m_world.spec().owner, m_world.repoName(r), m.captured(2));
    }

    if (method == "GET" && path == QStringLiteral("/user"))
        return json(200, QJsonObject{{QStringLiteral("login"), QStringLiteral("sandbox-user")}, {QStringLiteral("id"), 1},
                                     {QStringLiteral("type"), QStringLiteral("User")}});
    if (method == "GET" && (path == QStringLiteral("/user/repos") || path == QStringLiteral("/orgs/%1/repos").arg(m_world.spec().owner))) {
        QList<QJsonObject> repos;
        for (int r = 0; r < m_world.spec().repos; ++r)
            repos << m_world.repository(r);
        return page(repos);
    }
    if (method == "GET" && path == QStringLiteral("/installation/repositories")) {
        QList<QJsonObject> repos;
        for (int r = 0; r < m_world.spec().repos; ++r)
            repos << m_world.repository(r);
        const qint64 from = qint64(pg.page - 1) * pg.perPage;
        Reply reply = listReply(repos.mid(from, pg.perPage), repos.size(), path, query, pg.perPage, pg.page);
        reply.body = QJsonDocument(QJsonObject{{QStringLiteral("total_count"), repos.size()},
                                               {QStringLiteral("repositories"), QJsonDocument::fromJson(reply.body).array()}})
                         .toJson(QJsonDocument::Compact);
        return reply;
    }

    static const QRegularExpression repoPath(QStringLiteral("^/repos/([^/]+)/([^/]+)(/.*)?$"));
    const auto m = repoPath.match(path);
    if (!m.hasMatch())
        return error(404, QStringLiteral("Not Found"));
    const int r = m_world.repoIndex(m.captured(1), m.captured(2));
    if (r < 0)
        return error(404, QStringLiteral("Not Found"));
    const QString rest = m.captured(3);
    bool sinceValid = true;
    const QDateTime since = sinceOf(query, &sinceValid);
    if (!sinceValid)
        return json(422, QJsonObject{{QStringLiteral("message"), QStringLiteral("Validation Failed")},
                                     {QStringLiteral("errors"), QJsonArray{QJsonObject{{QStringLiteral("resource"), QStringLiteral("Search")},
                                                                                      {QStringLiteral("field"), QStringLiteral("since")},
                                                                                      {QStringLiteral("code"), QStringLiteral("invalid")}}}}});
    const bool descending = query.queryItemValue(QStringLiteral("direction")) != QStringLiteral("asc");
    const QString state = query.queryItemValue(QStringLiteral("state")).isEmpty() ? QStringLiteral("open")
                                                                                   : query.queryItemValue(QStringLiteral("state"));
    if (state != QStringLiteral("open") && state != QStringLiteral("closed") && state != QStringLiteral("all"))
        return json(422, QJsonObject{{QStringLiteral("message"), QStringLiteral("Validation Failed")},
                                     {QStringLiteral("errors"), QJsonArray{QJsonObject{{QStringLiteral("resource"), QStringLiteral("Issue")},
                                                                                      {QStringLiteral("field"), QStringLiteral("state")},
                                                                                      {QStringLiteral("code"), QStringLiteral("invalid")}}}}});

    if (method == "GET" && rest.isEmpty())
        return json(200, m_world.repository(r));

    if (method == "GET" && (rest == QStringLiteral("/issues") || rest == QStringLiteral("/pulls"))) {
        const bool pulls = rest == QStringLiteral("/pulls");
        QList<qint64> numbers = m_world.issueNumbersByUpdate(r, true, pulls, pulls ? QDateTime() : since, state);
        if (descending)
            std::reverse(numbers.begin(), numbers.end());
        const qint64 from = qint64(pg.page - 1) * pg.perPage;
        QList<QJsonObject> items;
        for (qint64 i = from; i < qMin<qint64>(from + pg.perPage, numbers.size()); ++i)
            items << *(pulls ? m_world.pull(r, numbers[i]) : m_world.issue(r, numbers[i]));
        return listReply(items, numbers.size(), path, query, pg.perPage, pg.page);
    }
    static const QRegularExpression issuePath(QStringLiteral("^/(issues|pulls)/(\\d+)(/[a-z]+)?$"));
    if (const auto im = issuePath.match(rest); im.hasMatch()) {
        const qint64 number = im.captured(2).toLongLong();
        const QString sub = im.captured(3);
        const bool isPulls = im.captured(1) == QStringLiteral("pulls");
        const auto current = m_world.issue(r, number);
        if (!current) {
            const bool existed = number >= 1 && number < m_world.spec().issues + m_world.spec().pulls + 1000000;
            return existed && number <= m_world.spec().issues + m_world.spec().pulls ? error(410, QStringLiteral("This issue was deleted"))
                                                                                   : error(404, QStringLiteral("Not Found"));
        }
        if (method == "GET" && sub.isEmpty())
            return isPulls ? (m_world.isPull(r, number) ? json(200, *m_world.pull(r, number)) : error(404, QStringLiteral("Not Found")))
                           : json(200, *current);
        if (method == "GET" && sub == QStringLiteral("/comments"))
            return page(m_world.commentsOfIssue(r, number));
        if (method == "GET" && sub == QStringLiteral("/reactions"))
            return page(m_world.reactionsOfIssue(r, number));
        if (!isPulls && method == "PATCH" && sub.isEmpty()) {
            const QJsonObject fields = QJsonDocument::fromJson(body).object();
            if (body.isEmpty() || !QJsonDocument::fromJson(body).isObject())
                return error(400, QStringLiteral("Problems parsing JSON"));
            if (fields.contains(QStringLiteral("state")) && fields.value(QStringLiteral("state")).toString() != QStringLiteral("open") &&
                fields.value(QStringLiteral("state")).toString() != QStringLiteral("closed"))
                return json(422, QJsonObject{{QStringLiteral("message"), QStringLiteral("Validation Failed")},
                                             {QStringLiteral("errors"), QJsonArray{QJsonObject{{QStringLiteral("resource"), QStringLiteral("Issue")},
                                                                                              {QStringLiteral("field"), QStringLiteral("state")},
                                                                                              {QStringLiteral("code"), QStringLiteral("invalid")}}}}});
            if (fields.contains(QStringLiteral("title")) && fields.value(QStringLiteral("title")).toString().trimmed().isEmpty())
                return json(422, QJsonObject{{QStringLiteral("message"), QStringLiteral("Validation Failed")},
                                             {QStringLiteral("errors"), QJsonArray{QJsonObject{{QStringLiteral("resource"), QStringLiteral("Issue")},
                                                                                              {QStringLiteral("field"), QStringLiteral("title")},
                                                                                              {QStringLiteral("code"), QStringLiteral("missing_field")}}}}});
            const QString before = current->value(QStringLiteral("state")).toString();
            const QJsonObject updated = *m_world.editIssue(r, number, fields);
            const QString after = updated.value(QStringLiteral("state")).toString();
            webhook(QStringLiteral("issues"), before == after ? QStringLiteral("edited") : (after == QStringLiteral("closed") ? QStringLiteral("closed") : QStringLiteral("reopened")), r, updated);
            return json(200, updated);
        }
        if (!isPulls && (method == "PUT" || method == "DELETE") && sub == QStringLiteral("/lock")) {
            const bool lock = method == "PUT";
            const QJsonObject updated = *m_world.editIssue(r, number, QJsonObject{{QStringLiteral("locked"), lock},
                                                                                   {QStringLiteral("active_lock_reason"),
                                                                                    lock ? QJsonDocument::fromJson(body).object().value(QStringLiteral("lock_reason")) : QJsonValue()}});
            webhook(QStringLiteral("issues"), lock ? QStringLiteral("locked") : QStringLiteral("unlocked"), r, updated);
            Reply reply;
            reply.status = 204;
            return reply;
        }
        return error(404, QStringLiteral("Not Found"));
    }
    if (method == "POST" && rest == QStringLiteral("/issues")) {
        const QJsonDocument doc = QJsonDocument::fromJson(body);
        if (!doc.isObject())
            return error(400, QStringLiteral("Problems parsing JSON"));
        const QJsonObject fields = doc.object();
        if (!fields.value(QStringLiteral("title")).isString() || fields.value(QStringLiteral("title")).toString().trimmed().isEmpty())
            return json(422, QJsonObject{{QStringLiteral("message"), QStringLiteral("Validation Failed")},
                                         {QStringLiteral("errors"), QJsonArray{QJsonObject{{QStringLiteral("resource"), QStringLiteral("Issue")},
                                                                                          {QStringLiteral("field"), QStringLiteral("title")},
                                                                                          {QStringLiteral("code"), QStringLiteral("missing_field")}}}},
                                         {QStringLiteral("documentation_url"), QStringLiteral("https://docs.github.com/rest/issues/issues#create-an-issue")}});
        QJsonObject created = m_world.createIssue(r, fields);
        if (fields.contains(QStringLiteral("labels")) || fields.contains(QStringLiteral("assignees")))
            created = *m_world.editIssue(r, created.value(QStringLiteral("number")).toInteger(), fields);
        webhook(QStringLiteral("issues"), QStringLiteral("opened"), r, created);
        return json(201, created);
    }
    if (method == "GET" && rest == QStringLiteral("/issues/comments")) {
        qint64 total = 0;
        const qint64 from = qint64(pg.page - 1) * pg.perPage;
        const QList<QJsonObject> items = m_world.commentsByUpdate(r, since, from, pg.perPage, &total);
        return listReply(items, total, path, query, pg.perPage, pg.page);
    }
    static const QRegularExpression commentPath(QStringLiteral("^/issues/comments/(\\d+)(/reactions)?$"));
    if (const auto cm = commentPath.match(rest); cm.hasMatch() && method == "GET") {
        const qint64 id = cm.captured(1).toLongLong();
        const auto c = m_world.comment(r, id);
        if (!c)
            return error(404, QStringLiteral("Not Found"));
        return cm.captured(2).isEmpty() ? json(200, *c) : page(m_world.reactionsOfComment(r, id));
    }
    if (method == "GET" && rest == QStringLiteral("/commits")) {
        const int total = m_world.spec().commits;
        const qint64 from = qint64(pg.page - 1) * pg.perPage;
        QList<QJsonObject> items;
        for (qint64 k = from; k < qMin<qint64>(from + pg.perPage, total); ++k)
            items << m_world.commit(r, int(k));
        if (total == 0)
            return error(409, QStringLiteral("Git Repository is empty."));
        return listReply(items, total, path, query, pg.perPage, pg.page);
    }
    if (method == "GET" && rest == QStringLiteral("/releases")) {
        QList<QJsonObject> all;
        for (int k = m_world.spec().releases - 1; k >= 0; --k)
            all << m_world.release(r, k);
        return page(all);
    }
    if (method == "GET" && rest == QStringLiteral("/labels"))
        return page(m_world.labels(r));
    if (method == "GET" && (rest == QStringLiteral("/git/refs") || rest.startsWith(QStringLiteral("/git/matching-refs/")))) {
        const QString prefix = rest == QStringLiteral("/git/refs") ? QString() : QStringLiteral("refs/") + rest.mid(19);
        QList<QJsonObject> refs;
        for (const QJsonObject &ref : m_world.refs(r)) {
            if (ref.value(QStringLiteral("ref")).toString().startsWith(prefix))
                refs << ref;
        }
        return page(refs);
    }
    if (method == "GET" && (rest == QStringLiteral("/branches") || rest == QStringLiteral("/tags"))) {
        const QString prefix = rest == QStringLiteral("/branches") ? QStringLiteral("refs/heads/") : QStringLiteral("refs/tags/");
        QList<QJsonObject> list;
        for (const QJsonObject &ref : m_world.refs(r)) {
            const QString name = ref.value(QStringLiteral("ref")).toString();
            if (name.startsWith(prefix))
                list << QJsonObject{{QStringLiteral("name"), name.mid(prefix.size())},
                                    {QStringLiteral("commit"), QJsonObject{{QStringLiteral("sha"), ref.value(QStringLiteral("object")).toObject().value(QStringLiteral("sha"))}}},
                                    {QStringLiteral("protected"), name == QStringLiteral("refs/heads/main")}};
        }
        return page(list);
    }
    return error(404, QStringLiteral("Not Found"));
}

Reply Server::control(const QByteArray &method, const QString &path, const QByteArray &body)
{
    const QJsonObject fields = QJsonDocument::fromJson(body).object();
    if (method == "GET" && path == QStringLiteral("/_sim/counters")) {
        QJsonObject by;
        for (auto it = m_requestsByEndpoint.cbegin(); it != m_requestsByEndpoint.cend(); ++it)
            by.insert(it.key(), it.value());
        return json(200, QJsonObject{{QStringLiteral("requests_total"), m_requests},
                                     {QStringLiteral("not_modified"), m_notModified},
                                     {QStringLiteral("quota_spent"), m_quotaSpent},
                                     {QStringLiteral("requests_by_endpoint"), by},
                                     {QStringLiteral("records"), m_world.spec().approximateRecords()}});
    }
    if (method == "POST" && path == QStringLiteral("/_sim/counters/reset")) {
        m_requests = m_notModified = m_quotaSpent = 0;
        m_requestsByEndpoint.clear();
        return json(200, QJsonObject{});
    }
    if (method == "POST" && path == QStringLiteral("/_sim/ratelimit")) {
        m_forceRemaining = fields.value(QStringLiteral("remaining")).toInteger(-1);
        return json(200, QJsonObject{});
    }
    if (method == "POST" && path == QStringLiteral("/_sim/webhooks")) {
        m_options.webhookUrl = fields.value(QStringLiteral("url")).toString();
        m_options.webhookSecret = fields.value(QStringLiteral("secret")).toString().toUtf8();
        return json(200, QJsonObject{});
    }
    if (method == "GET" && path == QStringLiteral("/_sim/deliveries"))
        return json(200, m_deliveries);
    static const QRegularExpression issues(QStringLiteral("^/_sim/repos/([^/]+)/([^/]+)/issues(?:/(\\d+))?$"));
    static const QRegularExpression labels(QStringLiteral("^/_sim/repos/([^/]+)/([^/]+)/labels/(.+)$"));
    if (const auto m = issues.match(path); m.hasMatch()) {
        const int r = m_world.repoIndex(m.captured(1), m.captured(2));
        if (r < 0)
            return error(404, QStringLiteral("Not Found"));
        const qint64 number = m.captured(3).toLongLong();
        if (method == "POST" && number == 0) {
            const QJsonObject created = m_world.createIssue(r, fields);
            webhook(QStringLiteral("issues"), QStringLiteral("opened"), r, created);
            return json(201, created);
        }
        if (method == "PATCH" && number > 0) {
            const auto updated = m_world.editIssue(r, number, fields);
            if (!updated)
                return error(404, QStringLiteral("Not Found"));
            webhook(QStringLiteral("issues"), QStringLiteral("edited"), r, *updated);
            return json(200, *updated);
        }
        if (method == "DELETE" && number > 0) {
            const auto before = m_world.issue(r, number);
            if (!before || !m_world.deleteIssue(r, number))
                return error(404, QStringLiteral("Not Found"));
            webhook(QStringLiteral("issues"), QStringLiteral("deleted"), r, *before);
            Reply reply;
            reply.status = 204;
            return reply;
        }
    }
    if (const auto m = labels.match(path); m.hasMatch() && method == "DELETE") {
        const int r = m_world.repoIndex(m.captured(1), m.captured(2));
        if (r < 0 || !m_world.deleteLabel(r, QUrl::fromPercentEncoding(m.captured(3).toUtf8())))
            return error(404, QStringLiteral("Not Found"));
        Reply reply;
        reply.status = 204;
        return reply;
    }
    return error(404, QStringLiteral("Not Found"));
}

} // namespace githubsim
