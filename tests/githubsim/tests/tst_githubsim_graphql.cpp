// The GraphQL endpoint: parser, validation errors in GitHub's shapes, execution semantics (aliases,
// fragments, directives, only requested fields), discussion pagination, node(id), deleteIssue, rateLimit.

#include "graphqlparser.h"
#include "simclient.h"

#include <QTest>

using namespace hubsync::githubsim;
using namespace hubsync::githubsim::test;

namespace {

QJsonObject gql(SimClient &sim, const QString &query, const QJsonObject &variables = {},
                const QByteArray &token = "ghp_sandbox", Reply *raw = nullptr) {
    const Reply r = sim.request(
        "POST", QStringLiteral("/graphql"),
        QJsonDocument(QJsonObject{{QStringLiteral("query"), query}, {QStringLiteral("variables"), variables}}).toJson(),
        token);
    if (raw)
        *raw = r;
    return r.object();
}

QString firstError(const QJsonObject &o) {
    return o.value(QStringLiteral("errors")).toArray().first().toObject().value(QStringLiteral("message")).toString();
}

ServerOptions options() {
    ServerOptions o;
    o.dataset = *DatasetSpec::named(QStringLiteral("small"));
    o.dataset.discussionsPerRepo = 7;
    o.dataset.commentsPerDiscussion = 5;
    o.readOnlyTokens << "ghp_readonly";
    o.tokens << "ghp_sandbox";
    return o;
}

} // namespace

class TestGithubsimGraphql : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void parser_data() {
        QTest::addColumn<QString>("source");
        QTest::addColumn<bool>("valid");
        QTest::newRow("shorthand") << "{ viewer { login } }" << true;
        QTest::newRow("named with variables and defaults")
            << "query Q($a: Int = 3, $b: [String!]!, $c: Input) { x(a: $a, b: $b, c: {k: [1, 2.5, \"s\", ENUM, null, "
               "true]}) { y } }"
            << true;
        QTest::newRow("fragments, aliases, directives")
            << "query { ...F a: b @include(if: true) { ... on T { c } } } fragment F on Query { d }" << true;
        QTest::newRow("block string and comments")
            << "# comment\nquery { f(s: \"\"\"multi\nline\"\"\") { g } }" << true;
        QTest::newRow("unterminated") << "{ viewer { login }" << false;
        QTest::newRow("empty selection") << "{ }" << false;
        QTest::newRow("bad token") << "{ viewer % }" << false;
        QTest::newRow("unterminated string") << "{ f(a: \"abc) }" << false;
        QTest::newRow("too deep") << QString(60, QLatin1Char('{')) + QString(60, QLatin1Char('}')) << false;
    }
    void parser() {
        QFETCH(QString, source);
        QFETCH(bool, valid);
        graphql::ParseError error;
        const auto doc = graphql::parse(source, &error);
        QCOMPARE(bool(doc), valid);
        if (!valid)
            QVERIFY(!error.message.isEmpty());
    }

    void executionSemantics() {
        SimClient sim(options());
        const QJsonObject o = gql(sim, QStringLiteral(R"(query($o: String!, $skip: Boolean!) {
            r: repository(owner: $o, name: "repo-0") { __typename nameWithOwner ...Ids
              first: discussions(first: 1, orderBy: {field: CREATED_AT, direction: ASC}) { nodes { number author { __typename login ... on User { databaseId } } } }
              hidden: databaseId @skip(if: $skip) }
          }
          fragment Ids on Repository { id databaseId })"),
                                  {{QStringLiteral("o"), QStringLiteral("octo-org")}, {QStringLiteral("skip"), true}});
        QVERIFY2(!o.contains(QStringLiteral("errors")), QJsonDocument(o).toJson().constData());
        const QJsonObject r = o.value(QStringLiteral("data")).toObject().value(QStringLiteral("r")).toObject();
        QCOMPARE(QStringList(r.keys()),
                 (QStringList{QStringLiteral("__typename"), QStringLiteral("databaseId"), QStringLiteral("first"),
                              QStringLiteral("id"), QStringLiteral("nameWithOwner")}));
        QCOMPARE(r.value(QStringLiteral("__typename")).toString(), QStringLiteral("Repository"));
        QCOMPARE(r.value(QStringLiteral("databaseId")).toInteger(),
                 sim.get(QStringLiteral("/repos/octo-org/repo-0")).object().value(QStringLiteral("id")).toInteger());
        const QJsonObject author = r.value(QStringLiteral("first"))
                                       .toObject()
                                       .value(QStringLiteral("nodes"))
                                       .toArray()
                                       .first()
                                       .toObject()
                                       .value(QStringLiteral("author"))
                                       .toObject();
        QCOMPARE(author.value(QStringLiteral("__typename")).toString(), QStringLiteral("User"));
        QVERIFY(author.value(QStringLiteral("databaseId")).toInteger() > 0);
        // Response keys follow the query's order (aliases included).
        Reply raw;
        gql(sim, QStringLiteral("{ repository(owner: \"octo-org\", name: \"repo-0\") { zeta: name alpha: id } }"), {},
            "ghp_sandbox", &raw);
        QVERIFY(raw.body.indexOf("\"zeta\"") < raw.body.indexOf("\"alpha\""));
    }

    void errorsLikeGitHub_data() {
        QTest::addColumn<QString>("query");
        QTest::addColumn<QString>("message");
        QTest::addColumn<bool>("hasData");
        QTest::newRow("unknown field") << "{ repository(owner: \"octo-org\", name: \"repo-0\") { nope } }"
                                       << "Field 'nope' doesn't exist on type 'Repository'" << false;
        QTest::newRow("unknown argument") << "{ repository(owner: \"octo-org\", name: \"repo-0\", color: 1) { id } }"
                                          << "Field 'repository' doesn't accept argument 'color'" << false;
        QTest::newRow("object without selection")
            << "{ repository(owner: \"octo-org\", name: \"repo-0\") }"
            << "Field must have selections (field 'repository' returns Repository" << false;
        QTest::newRow("selection on scalar") << "{ repository(owner: \"octo-org\", name: \"repo-0\") { id { x } } }"
                                             << "Selections can't be made on scalars" << false;
        QTest::newRow("unknown fragment type")
            << "{ repository(owner: \"octo-org\", name: \"repo-0\") { ... on Nothing { id } } }"
            << "No such type Nothing, so it can't be a fragment condition" << false;
        QTest::newRow("undeclared variable") << "{ repository(owner: $o, name: \"repo-0\") { id } }"
                                             << "Variable $o is used by" << false;
        QTest::newRow("missing required variable")
            << "query($o: String!) { repository(owner: $o, name: \"repo-0\") { id } }"
            << "Variable $o of type String! was provided invalid value" << false;
        QTest::newRow("not found") << "{ repository(owner: \"octo-org\", name: \"nope\") { id } }"
                                   << "Could not resolve to a Repository with the name 'octo-org/nope'." << true;
        QTest::newRow("pagination without first")
            << "{ repository(owner: \"octo-org\", name: \"repo-0\") { discussions { nodes { id } } } }"
            << "You must provide a `first` or `last` value" << true;
        QTest::newRow("first over 100")
            << "{ repository(owner: \"octo-org\", name: \"repo-0\") { discussions(first: 101) { totalCount } } }"
            << "Requesting 101 records on the `discussions` connection exceeds the `first` limit of 100 records."
            << true;
        QTest::newRow("parse error") << "{ repository("
                                     << "Parse error on" << false;
    }
    void errorsLikeGitHub() {
        QFETCH(QString, query);
        QFETCH(QString, message);
        QFETCH(bool, hasData);
        SimClient sim(options());
        Reply raw;
        const QJsonObject o = gql(sim, query, {}, "ghp_sandbox", &raw);
        QCOMPARE(raw.status, 200);
        QVERIFY2(firstError(o).startsWith(message), qPrintable(firstError(o)));
        QVERIFY(o.value(QStringLiteral("errors")).toArray().first().toObject().contains(QStringLiteral("type")));
        QCOMPARE(o.contains(QStringLiteral("data")), hasData);
    }

    void discussionPaginationWalks_data() {
        QTest::addColumn<QString>("orderBy");
        QTest::newRow("updated asc") << "{field: UPDATED_AT, direction: ASC}";
        QTest::newRow("updated desc") << "{field: UPDATED_AT, direction: DESC}";
        QTest::newRow("created asc") << "{field: CREATED_AT, direction: ASC}";
    }
    void discussionPaginationWalks() {
        QFETCH(QString, orderBy);
        SimClient sim(options());
        const QString query =
            QStringLiteral("query($after: String) { repository(owner: \"octo-org\", name: \"repo-1\") { "
                           "discussions(first: 2, after: $after, orderBy: %1) {"
                           " totalCount pageInfo { hasNextPage endCursor } nodes { databaseId updatedAt createdAt"
                           " comments(first: 2) { totalCount pageInfo { hasNextPage endCursor } nodes { databaseId "
                           "replyTo { id } } } } } } }")
                .arg(orderBy);
        QJsonValue after;
        QList<qint64> seen;
        QStringList keys;
        int pages = 0;
        for (;;) {
            const QJsonObject o = gql(sim, query, {{QStringLiteral("after"), after}});
            QVERIFY2(!o.contains(QStringLiteral("errors")), QJsonDocument(o).toJson().constData());
            const QJsonObject conn =
                o[QStringLiteral("data")][QStringLiteral("repository")][QStringLiteral("discussions")].toObject();
            QCOMPARE(conn.value(QStringLiteral("totalCount")).toInt(), 7);
            ++pages;
            for (const QJsonValue &n : conn.value(QStringLiteral("nodes")).toArray()) {
                seen << n.toObject().value(QStringLiteral("databaseId")).toInteger();
                keys << n.toObject()
                            .value(orderBy.contains(QStringLiteral("CREATED")) ? QStringLiteral("createdAt")
                                                                               : QStringLiteral("updatedAt"))
                            .toString();
                // Walk this discussion's comments to the end through node(id).
                QJsonObject comments = n.toObject().value(QStringLiteral("comments")).toObject();
                int count = int(comments.value(QStringLiteral("nodes")).toArray().size());
                while (comments[QStringLiteral("pageInfo")][QStringLiteral("hasNextPage")].toBool()) {
                    const QJsonObject more = gql(
                        sim,
                        QStringLiteral("query($id: ID!, $after: String) { node(id: $id) { ... on Discussion { "
                                       "comments(first: 2, after: $after) {"
                                       " totalCount pageInfo { hasNextPage endCursor } nodes { databaseId } } } } }"),
                        {{QStringLiteral("id"),
                          nodeId("Discussion", n.toObject().value(QStringLiteral("databaseId")).toInteger())},
                         {QStringLiteral("after"), comments[QStringLiteral("pageInfo")][QStringLiteral("endCursor")]}});
                    comments =
                        more[QStringLiteral("data")][QStringLiteral("node")][QStringLiteral("comments")].toObject();
                    count += int(comments.value(QStringLiteral("nodes")).toArray().size());
                }
                // 5 comments, of which the 2nd and 5th answer the one before them: replies are listed under
                // their parent's `replies`, not among the discussion's comments (as on GitHub).
                QCOMPARE(count, 3);
            }
            if (!conn[QStringLiteral("pageInfo")][QStringLiteral("hasNextPage")].toBool())
                break;
            after = conn[QStringLiteral("pageInfo")][QStringLiteral("endCursor")];
        }
        QCOMPARE(pages, 4);
        QCOMPARE(seen.size(), 7);
        QCOMPARE(QSet<qint64>(seen.cbegin(), seen.cend()).size(), 7);
        QStringList sorted = keys;
        std::sort(sorted.begin(), sorted.end());
        if (orderBy.contains(QStringLiteral("DESC")))
            std::reverse(sorted.begin(), sorted.end());
        QCOMPARE(keys, sorted);
    }

    void deleteIssueRemovesItEverywhere() {
        SimClient sim(options());
        const QJsonObject issue = sim.get(QStringLiteral("/repos/octo-org/repo-0/issues/1")).object();
        const QString nodeId = issue.value(QStringLiteral("node_id")).toString();
        const QString mutation =
            QStringLiteral("mutation($id: ID!) { deleteIssue(input: {issueId: $id, clientMutationId: \"m1\"}) { "
                           "clientMutationId repository { nameWithOwner } } }");
        const QJsonObject denied = gql(sim, mutation, {{QStringLiteral("id"), nodeId}}, "ghp_readonly");
        QCOMPARE(denied.value(QStringLiteral("errors"))
                     .toArray()
                     .first()
                     .toObject()
                     .value(QStringLiteral("type"))
                     .toString(),
                 QStringLiteral("FORBIDDEN"));
        const QJsonObject done = gql(sim, mutation, {{QStringLiteral("id"), nodeId}});
        QVERIFY2(!done.contains(QStringLiteral("errors")), QJsonDocument(done).toJson().constData());
        QCOMPARE(
            done[QStringLiteral("data")][QStringLiteral("deleteIssue")][QStringLiteral("clientMutationId")].toString(),
            QStringLiteral("m1"));
        QCOMPARE(done[QStringLiteral("data")][QStringLiteral("deleteIssue")][QStringLiteral("repository")]
                     [QStringLiteral("nameWithOwner")]
                         .toString(),
                 QStringLiteral("octo-org/repo-0"));
        QCOMPARE(sim.get(QStringLiteral("/repos/octo-org/repo-0/issues/1")).status, 404);
        for (const QJsonValue &v : sim.walk(QStringLiteral("/repos/octo-org/repo-0/issues?state=all&per_page=100")))
            QVERIFY(v.toObject().value(QStringLiteral("number")).toInt() != 1);
        for (const QJsonValue &v : sim.walk(QStringLiteral("/repos/octo-org/repo-0/issues/comments?per_page=100")))
            QVERIFY(!v.toObject().value(QStringLiteral("issue_url")).toString().endsWith(QStringLiteral("/issues/1")));
        const QJsonArray deliveries = sim.control("GET", QStringLiteral("/_sim/deliveries")).array();
        QCOMPARE(deliveries.first().toObject().value(QStringLiteral("event")).toString(), QStringLiteral("issues"));
        QCOMPARE(deliveries.first().toObject().value(QStringLiteral("action")).toString(), QStringLiteral("deleted"));
        QCOMPARE(firstError(gql(sim, mutation, {{QStringLiteral("id"), nodeId}})),
                 QStringLiteral("Could not resolve to a node with the global id of '%1'").arg(nodeId));
        QVERIFY(gql(sim, QStringLiteral("query($id: ID!) { node(id: $id) { id } }"),
                    {{QStringLiteral("id"), nodeId}})[QStringLiteral("data")][QStringLiteral("node")]
                    .isNull());
    }

    void graphqlSpendsItsOwnQuota() {
        SimClient sim(options());
        Reply raw;
        const QJsonObject o =
            gql(sim, QStringLiteral("{ rateLimit { limit cost remaining used resetAt } }"), {}, "ghp_sandbox", &raw);
        QCOMPARE(raw.header("X-RateLimit-Resource"), QByteArray("graphql"));
        const QJsonObject rl = o[QStringLiteral("data")][QStringLiteral("rateLimit")].toObject();
        QCOMPARE(rl.value(QStringLiteral("cost")).toInt(), 1);
        QCOMPARE(rl.value(QStringLiteral("remaining")).toInt(), raw.header("X-RateLimit-Remaining").toInt());
        QVERIFY(parseIsoTime(rl.value(QStringLiteral("resetAt")).toString()) > 0);
        // GitHub's cost: each connection is one request per parent; two of (1 + 100 comment pages) = 202 -> 2 points.
        gql(sim,
            QStringLiteral("{ repository(owner: \"octo-org\", name: \"repo-0\") { a: discussions(first: 100) { nodes { "
                           "comments(first: 100) { totalCount } } }"
                           " b: discussions(first: 100) { nodes { comments(first: 100) { totalCount } } } } }"),
            {}, "ghp_sandbox", &raw);
        QCOMPARE(raw.header("X-RateLimit-Used").toInt(), 3);
        QCOMPARE(sim.get(QStringLiteral("/repos/octo-org/repo-0")).header("X-RateLimit-Used").toInt(),
                 1); // core is separate
        QCOMPARE(sim.request("POST", QStringLiteral("/graphql"), R"({"query": "{ viewer { login } }"})", {}).status,
                 401);
        QCOMPARE(sim.request("POST", QStringLiteral("/graphql"), "{oops").status, 400);
    }

    // GitHub's documented cost and node-limit examples ("Rate limits and node limits for the GraphQL API"), on
    // the simulator's schema: a connection costs one request per parent, `nodes(ids:)` multiplies by its ids.
    void costAndNodeLimitsAsDocumented() {
        SimClient sim(options());
        const auto rateLimit = [](const QJsonObject &o) {
            return o[QStringLiteral("data")][QStringLiteral("rateLimit")].toObject();
        };
        // 1 + 100 + 100 x 50 = 5,101 requests -> 51 points; nodes 100 + 5,000 + 300,000.
        QJsonObject o = gql(sim, QStringLiteral(R"({ repository(owner: "octo-org", name: "repo-0") {
              issues(first: 100) { nodes { comments(first: 50) { nodes { reactions(first: 60) { totalCount } } } } } }
              rateLimit { cost nodeCount } })"));
        QVERIFY2(!o.contains(QStringLiteral("errors")), qPrintable(firstError(o)));
        QCOMPARE(rateLimit(o).value(QStringLiteral("cost")).toInt(), 51);
        QCOMPARE(rateLimit(o).value(QStringLiteral("nodeCount")).toInteger(), 305100);
        // Rounded to the nearest point: 1 + 49 x 3 = 148 -> 1.
        o = gql(sim, QStringLiteral(R"({ repository(owner: "octo-org", name: "repo-0") { issues(first: 49) {
              nodes { a: comments(first: 100) { totalCount } b: reactions(first: 100) { totalCount }
                      c: comments(first: 5) { totalCount } } } } rateLimit { cost } })"));
        QCOMPARE(rateLimit(o).value(QStringLiteral("cost")).toInt(), 1);
        // Count-only connections (reaction groups' reactors) need no first and cost nothing.
        o = gql(sim, QStringLiteral(R"({ repository(owner: "octo-org", name: "repo-0") { issues(first: 100) {
              nodes { reactionGroups { content reactors { totalCount } } } } } rateLimit { cost } })"));
        QVERIFY2(!o.contains(QStringLiteral("errors")), qPrintable(firstError(o)));
        QCOMPARE(rateLimit(o).value(QStringLiteral("cost")).toInt(), 1);
        o = gql(sim, QStringLiteral(R"({ repository(owner: "octo-org", name: "repo-0") { issues(first: 1) {
              nodes { reactions { nodes { id } } } } } })"));
        QCOMPARE(o[QStringLiteral("errors")][0][QStringLiteral("type")].toString(),
                 QStringLiteral("MISSING_PAGINATION_BOUNDARIES"));
        // 100 + 10,000 + 1,000,000 nodes: refused before it runs.
        o = gql(sim, QStringLiteral(R"({ repository(owner: "octo-org", name: "repo-0") { issues(first: 100) {
              nodes { comments(first: 100) { nodes { reactions(first: 100) { totalCount } } } } } } })"));
        QCOMPARE(o[QStringLiteral("errors")][0][QStringLiteral("type")].toString(),
                 QStringLiteral("MAX_NODE_LIMIT_EXCEEDED"));
        QCOMPARE(firstError(o), QStringLiteral("This query requests up to 1,010,100 nodes which exceeds the maximum "
                                               "limit of 500,000."));
        QVERIFY(!o.contains(QStringLiteral("data")));
        // nodes(ids: 100) { reactions(first: 100) } = 100 requests -> 1 point; 101 ids are refused.
        QJsonArray ids;
        const QJsonArray listed =
            sim.get(QStringLiteral("/repos/octo-org/repo-0/issues?state=all&per_page=100")).array();
        for (const QJsonValue &issue : listed) {
            if (!issue.toObject().contains(QStringLiteral("pull_request")))
                ids.append(issue[QStringLiteral("node_id")].toString());
        }
        QVERIFY(!ids.isEmpty());
        while (ids.size() < 101) // GitHub resolves repeated ids, too
            ids.append(ids.first());
        while (ids.size() > 101)
            ids.removeLast();
        const QString byIds = QStringLiteral("query($ids: [ID!]!) { nodes(ids: $ids) { ... on Reactable { reactions("
                                             "first: 100) { totalCount } } } rateLimit { cost } }");
        o = gql(sim, byIds, {{QStringLiteral("ids"), ids}});
        QCOMPARE(o[QStringLiteral("errors")][0][QStringLiteral("type")].toString(),
                 QStringLiteral("EXCESSIVE_PAGINATION"));
        ids.removeLast();
        o = gql(sim, byIds, {{QStringLiteral("ids"), ids}});
        QVERIFY2(!o.contains(QStringLiteral("errors")), qPrintable(firstError(o)));
        QCOMPARE(rateLimit(o).value(QStringLiteral("cost")).toInt(), 1);
        QCOMPARE(o[QStringLiteral("data")][QStringLiteral("nodes")].toArray().size(), 100);
    }

    // Issues, pull requests, their comments and reactions through GraphQL are GitHub's REST objects.
    void issuesCommentsAndReactionsMatchRest() {
        SimClient sim(options());
        int reacted = 0, commented = 0;
        const QJsonObject o = gql(sim, QStringLiteral(R"({ repository(owner: "octo-org", name: "repo-0") {
              issues(first: 100) { totalCount nodes { number databaseId fullDatabaseId id
                comments(first: 100) { nodes { id databaseId body createdAt authorAssociation
                  author { __typename login ... on User { databaseId isSiteAdmin } }
                  reactionGroups { content reactors { totalCount } } } }
                reactions(first: 100) { totalCount nodes { databaseId content createdAt user { databaseId } } } } }
              pullRequests(first: 100) { totalCount nodes { number databaseId comments(first: 100) { totalCount } } } } })"));
        QVERIFY2(!o.contains(QStringLiteral("errors")), qPrintable(firstError(o)));
        const QJsonObject repo = o[QStringLiteral("data")][QStringLiteral("repository")].toObject();
        static const QHash<QString, QString> rest{{QStringLiteral("THUMBS_UP"), QStringLiteral("+1")},
                                                  {QStringLiteral("THUMBS_DOWN"), QStringLiteral("-1")},
                                                  {QStringLiteral("LAUGH"), QStringLiteral("laugh")},
                                                  {QStringLiteral("HOORAY"), QStringLiteral("hooray")},
                                                  {QStringLiteral("CONFUSED"), QStringLiteral("confused")},
                                                  {QStringLiteral("HEART"), QStringLiteral("heart")},
                                                  {QStringLiteral("ROCKET"), QStringLiteral("rocket")},
                                                  {QStringLiteral("EYES"), QStringLiteral("eyes")}};
        const QJsonArray issues = repo[QStringLiteral("issues")][QStringLiteral("nodes")].toArray();
        QCOMPARE(issues.size(), 12);
        for (const QJsonValue &v : issues) {
            const QJsonObject issue = v.toObject();
            const int number = issue.value(QStringLiteral("number")).toInt();
            const QJsonObject r = sim.get(QStringLiteral("/repos/octo-org/repo-0/issues/%1").arg(number)).object();
            QCOMPARE(issue.value(QStringLiteral("databaseId")).toInteger(), r.value(QStringLiteral("id")).toInteger());
            QCOMPARE(issue.value(QStringLiteral("fullDatabaseId")).toString(),
                     QString::number(r.value(QStringLiteral("id")).toInteger()));
            QCOMPARE(issue.value(QStringLiteral("id")).toString(), r.value(QStringLiteral("node_id")).toString());
            const QJsonArray reactions =
                sim.get(QStringLiteral("/repos/octo-org/repo-0/issues/%1/reactions?per_page=100").arg(number)).array();
            const QJsonArray gqlReactions = issue[QStringLiteral("reactions")][QStringLiteral("nodes")].toArray();
            QCOMPARE(gqlReactions.size(), reactions.size());
            reacted += int(reactions.size());
            for (qsizetype k = 0; k < reactions.size(); ++k) {
                const QJsonObject a = reactions[k].toObject(), b = gqlReactions[k].toObject();
                QCOMPARE(b.value(QStringLiteral("databaseId")).toInteger(), a.value(QStringLiteral("id")).toInteger());
                QCOMPARE(rest.value(b.value(QStringLiteral("content")).toString()),
                         a.value(QStringLiteral("content")).toString());
                QCOMPARE(b.value(QStringLiteral("createdAt")).toString(),
                         a.value(QStringLiteral("created_at")).toString());
                QCOMPARE(b[QStringLiteral("user")][QStringLiteral("databaseId")].toInteger(),
                         a[QStringLiteral("user")][QStringLiteral("id")].toInteger());
            }
            const QJsonArray comments =
                sim.get(QStringLiteral("/repos/octo-org/repo-0/issues/%1/comments?per_page=100").arg(number)).array();
            const QJsonArray gqlComments = issue[QStringLiteral("comments")][QStringLiteral("nodes")].toArray();
            QCOMPARE(gqlComments.size(), comments.size());
            for (qsizetype k = 0; k < comments.size(); ++k) {
                const QJsonObject a = comments[k].toObject(), b = gqlComments[k].toObject();
                ++commented;
                QCOMPARE(b.value(QStringLiteral("databaseId")).toInteger(), a.value(QStringLiteral("id")).toInteger());
                QCOMPARE(b.value(QStringLiteral("id")).toString(), a.value(QStringLiteral("node_id")).toString());
                QCOMPARE(b.value(QStringLiteral("body")).toString(), a.value(QStringLiteral("body")).toString());
                QCOMPARE(b.value(QStringLiteral("authorAssociation")).toString(),
                         a.value(QStringLiteral("author_association")).toString());
                QCOMPARE(b[QStringLiteral("author")][QStringLiteral("login")].toString(),
                         a[QStringLiteral("user")][QStringLiteral("login")].toString());
                QCOMPARE(b[QStringLiteral("author")][QStringLiteral("__typename")].toString(), QStringLiteral("User"));
                const QJsonObject rollup = a.value(QStringLiteral("reactions")).toObject();
                const QJsonArray groups = b.value(QStringLiteral("reactionGroups")).toArray();
                QCOMPARE(groups.size(), 8);
                int total = 0;
                for (const QJsonValue &g : groups) {
                    const int count = g[QStringLiteral("reactors")][QStringLiteral("totalCount")].toInt();
                    QCOMPARE(count, rollup.value(rest.value(g[QStringLiteral("content")].toString())).toInt(-1));
                    total += count;
                }
                QCOMPARE(total, rollup.value(QStringLiteral("total_count")).toInt());
            }
        }
        QVERIFY(reacted > 0);
        QVERIFY(commented > 0);
        const QJsonArray pulls = repo[QStringLiteral("pullRequests")][QStringLiteral("nodes")].toArray();
        QCOMPARE(pulls.size(), 6);
        for (const QJsonValue &v : pulls) {
            const int number = v[QStringLiteral("number")].toInt();
            QCOMPARE(v[QStringLiteral("databaseId")].toInteger(),
                     sim.get(QStringLiteral("/repos/octo-org/repo-0/pulls/%1").arg(number))
                         .object()
                         .value(QStringLiteral("id"))
                         .toInteger());
            QCOMPARE(
                v[QStringLiteral("comments")][QStringLiteral("totalCount")].toInt(),
                int(sim.get(QStringLiteral("/repos/octo-org/repo-0/issues/%1/comments").arg(number)).array().size()));
        }
    }
};

QTEST_GUILESS_MAIN(TestGithubsimGraphql)
#include "tst_githubsim_graphql.moc"
