// GraphQL for the simulated GitHub: the discussion queries HubSync sends, deleteIssue and rateLimit.
// Not a general GraphQL executor: the operation is recognised by its root field, arguments come from
// the variables, and the selection returned is the full set of fields HubSync asks for.

#include "simserver.h"

#include <QJsonArray>

namespace githubsim {

namespace {

QJsonObject connectionOf(const QList<QJsonObject> &all, int first, const QString &after)
{
    bool ok = true;
    const int offset = after.isEmpty() ? 0 : QString::fromLatin1(QByteArray::fromBase64(after.toLatin1())).section(QLatin1Char(':'), 1).toInt(&ok);
    const int from = ok ? qMax(0, offset) : 0;
    const int count = qBound(1, first, 100);
    QJsonArray nodes;
    for (int i = from; i < qMin<int>(from + count, int(all.size())); ++i)
        nodes.append(all[i]);
    const int end = from + int(nodes.size());
    return QJsonObject{{QStringLiteral("totalCount"), all.size()},
                       {QStringLiteral("pageInfo"),
                        QJsonObject{{QStringLiteral("hasNextPage"), end < all.size()},
                                    {QStringLiteral("endCursor"), QString::fromLatin1(QByteArray("cursor:" + QByteArray::number(end)).toBase64())}}},
                       {QStringLiteral("nodes"), nodes}};
}

QJsonObject graphError(const QString &type, const QString &message)
{
    return QJsonObject{{QStringLiteral("errors"), QJsonArray{QJsonObject{{QStringLiteral("type"), type}, {QStringLiteral("message"), message}}}}};
}

} // namespace

Reply Server::graphql(const QByteArray &body)
{
    const QJsonDocument doc = QJsonDocument::fromJson(body);
    if (!doc.isObject() || !doc.object().value(QStringLiteral("query")).isString())
        return error(400, QStringLiteral("Problems parsing JSON"));
    const QString query = doc.object().value(QStringLiteral("query")).toString();
    const QJsonObject vars = doc.object().value(QStringLiteral("variables")).toObject();

    if (query.contains(QStringLiteral("deleteIssue"))) {
        const QString nodeId = vars.value(QStringLiteral("id")).toString(
            vars.value(QStringLiteral("input")).toObject().value(QStringLiteral("issueId")).toString());
        const auto key = m_world.issueByNodeId(nodeId);
        if (!key)
            return json(200, graphError(QStringLiteral("NOT_FOUND"), QStringLiteral("Could not resolve to a node with the global id of '%1'").arg(nodeId)));
        const auto before = m_world.issue(key->first, key->second);
        if (!before || !m_world.deleteIssue(key->first, key->second))
            return json(200, graphError(QStringLiteral("NOT_FOUND"), QStringLiteral("Could not resolve to a node with the global id of '%1'").arg(nodeId)));
        webhook(QStringLiteral("issues"), QStringLiteral("deleted"), key->first, *before);
        return json(200, QJsonObject{{QStringLiteral("data"),
                                      QJsonObject{{QStringLiteral("deleteIssue"),
                                                   QJsonObject{{QStringLiteral("clientMutationId"), QJsonValue()},
                                                               {QStringLiteral("repository"),
                                                                QJsonObject{{QStringLiteral("id"), m_world.repository(key->first).value(QStringLiteral("node_id"))}}}}}}}});
    }
    if (query.contains(QStringLiteral("discussions("))) {
        const int r = m_world.repoIndex(vars.value(QStringLiteral("owner")).toString(), vars.value(QStringLiteral("name")).toString());
        if (r < 0)
            return json(200, QJsonObject{{QStringLiteral("data"), QJsonObject{{QStringLiteral("repository"), QJsonValue()}}},
                                         {QStringLiteral("errors"), graphError(QStringLiteral("NOT_FOUND"), QStringLiteral("Could not resolve to a Repository"))
                                                                        .value(QStringLiteral("errors"))}});
        QList<QJsonObject> discussions;
        for (int d = 1; d <= m_world.spec().discussions; ++d) {
            QJsonObject o = m_world.discussion(r, d);
            o.insert(QStringLiteral("comments"), connectionOf(m_world.discussionComments(r, d), 100, {}));
            discussions << o;
        }
        if (query.contains(QStringLiteral("direction: DESC")))
            std::reverse(discussions.begin(), discussions.end());
        const QJsonObject repo = m_world.repository(r);
        return json(200, QJsonObject{{QStringLiteral("data"),
                                      QJsonObject{{QStringLiteral("repository"),
                                                   QJsonObject{{QStringLiteral("id"), repo.value(QStringLiteral("node_id"))},
                                                               {QStringLiteral("databaseId"), repo.value(QStringLiteral("id"))},
                                                               {QStringLiteral("discussions"),
                                                                connectionOf(discussions, vars.value(QStringLiteral("first")).toInt(10),
                                                                             vars.value(QStringLiteral("after")).toString())}}}}}});
    }
    if (query.contains(QStringLiteral("node(")) && query.contains(QStringLiteral("comments("))) {
        const QString id = vars.value(QStringLiteral("id")).toString();
        for (int r = 0; r < m_world.spec().repos; ++r) {
            for (int d = 1; d <= m_world.spec().discussions; ++d) {
                if (m_world.discussion(r, d).value(QStringLiteral("id")).toString() == id)
                    return json(200, QJsonObject{{QStringLiteral("data"),
                                                  QJsonObject{{QStringLiteral("node"),
                                                               QJsonObject{{QStringLiteral("comments"),
                                                                            connectionOf(m_world.discussionComments(r, d), 100,
                                                                                         vars.value(QStringLiteral("after")).toString())}}}}}});
            }
        }
        return json(200, graphError(QStringLiteral("NOT_FOUND"), QStringLiteral("Could not resolve to a node with the global id of '%1'").arg(id)));
    }
    if (query.contains(QStringLiteral("rateLimit"))) {
        const Quota &q = m_quotas.value(QStringLiteral("graphql"));
        return json(200, QJsonObject{{QStringLiteral("data"),
                                      QJsonObject{{QStringLiteral("rateLimit"), QJsonObject{{QStringLiteral("limit"), m_options.rateLimit},
                                                                                         {QStringLiteral("cost"), 1},
                                                                                         {QStringLiteral("remaining"), m_options.rateLimit - q.used}}}}}});
    }
    return json(200, graphError(QStringLiteral("UNSUPPORTED"), QStringLiteral("The simulator does not answer this query")));
}

} // namespace githubsim
