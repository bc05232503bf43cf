#include "catalog/schema.h"
#include "core/config.h"
#include "pgtestinstance.h"
#include "simulatorprocess.h"
#include "store/migrations.h"
#include "store/pg.h"
#include "sync/backfill.h"
#include "sync/githubapi.h"

#include <QDateTime>
#include <QElapsedTimer>
#include <QJsonArray>
#include <QJsonObject>
#include <QProcess>
#include <QRandomGenerator>
#include <QSet>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

using namespace hubsync;
using hubsync::test::PgTestInstance;
using hubsync::test::SimulatorProcess;

namespace {
const QByteArray token = "ghp_backfilltest0123456789";

// Every synced table with the order its fingerprint sorts rows by.
const QList<QPair<QString, QString>> &syncedTables() {
    static const QList<QPair<QString, QString>> tables{
        {QStringLiteral("repository"), QStringLiteral("t->>'id'")},
        {QStringLiteral("issue"), QStringLiteral("t->>'id'")},
        {QStringLiteral("pull_request"), QStringLiteral("t->>'id'")},
        {QStringLiteral("comment"), QStringLiteral("t->>'id'")},
        {QStringLiteral("commit"), QStringLiteral("t->>'sha'")},
        {QStringLiteral("release"), QStringLiteral("t->>'id'")},
        {QStringLiteral("label"), QStringLiteral("t->>'id'")},
        {QStringLiteral("ref"), QStringLiteral("t::text")},
        {QStringLiteral("reaction"), QStringLiteral("t->>'id'")},
        {QStringLiteral("discussion"), QStringLiteral("t->>'id'")},
        {QStringLiteral("discussion_comment"), QStringLiteral("t->>'id'")},
        {QStringLiteral("user"), QStringLiteral("t->>'id'")},
        {QStringLiteral("issue_label"), QStringLiteral("t::text")},
        {QStringLiteral("pull_request_label"), QStringLiteral("t::text")}};
    return tables;
}

QJsonValue at(const QJsonObject &object, const QString &path) {
    QJsonValue value = object;
    for (const QString &part : path.split(QLatin1Char('.')))
        value = value.toObject().value(part);
    return value;
}

int rollup(const QJsonObject &o) {
    return o.value(QStringLiteral("reactions")).toObject().value(QStringLiteral("total_count")).toInt();
}

// A stored value equals GitHub's: null and absent are alike, timestamps compare as instants
// (Postgres writes +00:00 where GitHub writes Z).
bool sameValue(const QJsonValue &stored, const QJsonValue &truth) {
    if ((stored.isNull() || stored.isUndefined()) && (truth.isNull() || truth.isUndefined()))
        return true;
    if (stored.isString() && truth.isString()) {
        const QDateTime a = QDateTime::fromString(stored.toString(), Qt::ISODate);
        const QDateTime b = QDateTime::fromString(truth.toString(), Qt::ISODate);
        if (a.isValid() && b.isValid())
            return a == b;
    }
    return stored == truth;
}

QString show(const QJsonValue &v) {
    return QString::fromUtf8(QJsonDocument(QJsonArray{v}).toJson(QJsonDocument::Compact));
}

// One row of a table, picked by SQL that returns the row as jsonb plus where to ask GitHub for the
// same object: `_path` for a REST GET (`_find`: the id to pick from a list answer), or `graphql` run
// with the row's `_variables`, answering at `_root`.
struct Sample {
    QString table;
    QString sql;
    QList<QPair<QString, QString>> fields; // column -> path in GitHub's answer
    QString graphql = {};
};

QList<Sample> samples() {
    const QString repo = QStringLiteral(" JOIN github.repository r ON r.id = t.repository_id ");
    const QString base = QStringLiteral("'/repos/' || r.full_name || ");
    const auto fields = [](const char *list) {
        QList<QPair<QString, QString>> out;
        for (const QString &f : QString::fromLatin1(list).split(QLatin1Char(' '))) {
            const qsizetype eq = f.indexOf(QLatin1Char('='));
            out << (eq < 0 ? qMakePair(f, f) : qMakePair(f.left(eq), f.mid(eq + 1)));
        }
        return out;
    };
    const QString discussionQuery = QStringLiteral(
        "query($owner: String!, $name: String!, $number: Int!) { repository(owner: $owner, name: $name) {"
        " discussion(number: $number) { id databaseId number title body url createdAt updatedAt locked upvoteCount"
        " answerChosenAt author { login ... on User { databaseId } } category { name } comments(first: 1) {"
        " totalCount } } } }");
    const QString commentQuery = QStringLiteral(
        "query($id: ID!) { node(id: $id) { ... on DiscussionComment { id databaseId body url createdAt updatedAt"
        " upvoteCount author { login ... on User { databaseId } } replyTo { id } discussion { databaseId } } } }");
    return {
        {QStringLiteral("repository"),
         QStringLiteral("SELECT to_jsonb(t) || jsonb_build_object('_path', '/repos/' || t.full_name)"
                        " FROM github.repository t ORDER BY t.id LIMIT 1"),
         fields("id node_id name full_name owner_id=owner.id owner_login=owner.login private visibility description "
                "fork html_url homepage language default_branch archived disabled has_issues has_discussions "
                "topics stargazers_count watchers_count forks_count open_issues_count size pushed_at created_at "
                "updated_at")},
        {QStringLiteral("user"),
         QStringLiteral("SELECT to_jsonb(t) || jsonb_build_object('_path', '/users/' || t.login)"
                        " FROM github.\"user\" t WHERE t.type = 'User' ORDER BY t.id LIMIT 1"),
         fields("id node_id login type site_admin avatar_url html_url")},
        {QStringLiteral("label"),
         QStringLiteral("SELECT to_jsonb(t) || jsonb_build_object('_path', ") + base +
             QStringLiteral("'/labels/' || t.name) FROM github.label t") + repo +
             QStringLiteral("ORDER BY t.description IS NULL, t.id LIMIT 1"),
         fields("id node_id name color description default")},
        {QStringLiteral("issue"),
         QStringLiteral("SELECT to_jsonb(t) || jsonb_build_object('_path', ") + base +
             QStringLiteral("'/issues/' || t.number) FROM github.issue t") + repo +
             QStringLiteral("ORDER BY t.closed_at IS NULL, t.reactions_total = 0, t.id LIMIT 1"),
         fields("id node_id number title body state locked active_lock_reason user_id=user.id "
                "milestone_number=milestone.number milestone_title=milestone.title author_association html_url "
                "comments reactions_total=reactions.total_count closed_at created_at updated_at state_reason")},
        {QStringLiteral("pull_request"),
         QStringLiteral("SELECT to_jsonb(t) || jsonb_build_object('_path', ") + base +
             QStringLiteral("'/pulls/' || t.number) FROM github.pull_request t") + repo +
             QStringLiteral("ORDER BY t.merged_at IS NULL, t.id LIMIT 1"),
         fields("id node_id number title body state locked user_id=user.id author_association html_url closed_at "
                "created_at updated_at draft merged_at merge_commit_sha head_ref=head.ref head_sha=head.sha "
                "base_ref=base.ref base_sha=base.sha")},
        {QStringLiteral("comment"),
         QStringLiteral("SELECT to_jsonb(t) || jsonb_build_object('_path', ") + base +
             QStringLiteral("'/issues/comments/' || t.id) FROM github.comment t") + repo +
             QStringLiteral("ORDER BY t.reactions_total = 0, t.id LIMIT 1"),
         fields("id node_id user_id=user.id body author_association html_url reactions_total=reactions.total_count "
                "created_at updated_at")},
        {QStringLiteral("commit"),
         QStringLiteral("SELECT to_jsonb(t) || jsonb_build_object('_path', ") + base +
             QStringLiteral("'/commits/' || t.sha) FROM github.commit t") + repo +
             QStringLiteral("ORDER BY t.author_id IS NULL, t.sha LIMIT 1"),
         fields("sha node_id message=commit.message author_name=commit.author.name "
                "author_email=commit.author.email author_date=commit.author.date "
                "committer_name=commit.committer.name committer_email=commit.committer.email "
                "committer_date=commit.committer.date author_id=author.id committer_id=committer.id "
                "tree_sha=commit.tree.sha html_url")},
        {QStringLiteral("release"),
         QStringLiteral("SELECT to_jsonb(t) || jsonb_build_object('_path', ") + base +
             QStringLiteral("'/releases/' || t.id) FROM github.release t") + repo +
             QStringLiteral("ORDER BY t.id LIMIT 1"),
         fields("id node_id tag_name target_commitish name body draft prerelease author_id=author.id html_url "
                "created_at published_at")},
        {QStringLiteral("ref"),
         QStringLiteral("SELECT to_jsonb(t) || jsonb_build_object('_path', ") + base +
             QStringLiteral("'/git/ref/' || substr(t.name, 6)) FROM github.ref t") + repo +
             QStringLiteral("ORDER BY t.ref_type DESC, t.name LIMIT 1"),
         fields("name=ref node_id sha=object.sha object_type=object.type")},
        {QStringLiteral("reaction"),
         QStringLiteral("SELECT to_jsonb(t) || jsonb_build_object('_find', t.id, '_path', ") + base +
             QStringLiteral(
                 "'/issues/comments/' || t.subject_id || '/reactions?per_page=100') FROM github.reaction t") +
             repo + QStringLiteral("WHERE t.subject_type = 'comment' ORDER BY t.id LIMIT 1"),
         fields("id node_id content user_id=user.id created_at")},
        {QStringLiteral("discussion"),
         QStringLiteral("SELECT to_jsonb(t) || jsonb_build_object('_root', 'repository.discussion', '_variables',"
                        " jsonb_build_object('owner', split_part(r.full_name, '/', 1), 'name',"
                        " split_part(r.full_name, '/', 2), 'number', t.number)) FROM github.discussion t") +
             repo + QStringLiteral("ORDER BY t.answer_chosen_at IS NULL, t.id LIMIT 1"),
         fields("id=databaseId node_id=id number title body category=category.name user_id=author.databaseId locked "
                "upvote_count=upvoteCount answer_chosen_at=answerChosenAt comments=comments.totalCount html_url=url "
                "created_at=createdAt updated_at=updatedAt"),
         discussionQuery},
        {QStringLiteral("discussion_comment"),
         QStringLiteral("SELECT to_jsonb(t) || jsonb_build_object('_root', 'node', '_variables',"
                        " jsonb_build_object('id', t.node_id))"
                        " FROM github.discussion_comment t ORDER BY t.reply_to_node_id IS NULL, t.id LIMIT 1"),
         fields("id=databaseId node_id=id discussion_id=discussion.databaseId user_id=author.databaseId body "
                "reply_to_node_id=replyTo.id upvote_count=upvoteCount html_url=url created_at=createdAt "
                "updated_at=updatedAt"),
         commentQuery},
    };
}

} // namespace

// The main job end to end: the real simulator, the real sync engine, a real PostgreSQL.
class TestBackfill : public QObject {
    Q_OBJECT
private:
    static QString freshDatabase(const QString &name) {
        const QString dsn = PgTestInstance::shared().createDatabase(name);
        if (dsn.isEmpty() || migrate(dsn, QStringLiteral("github")))
            return {};
        return dsn;
    }

    static Error migrate(const QString &dsn, const QString &schema) {
        pg::Connection c;
        if (Error e = c.open(dsn))
            return e;
        return Migrator(c, schema).migrate(catalog::allMigrations());
    }

    static Config tokenConfig(const QString &apiUrl, const QByteArray &tok = token) {
        Config config;
        config.githubApiUrl = apiUrl;
        config.githubGraphqlUrl = apiUrl + QStringLiteral("/graphql");
        config.token = QString::fromUtf8(tok);
        return config;
    }

    // Runs one in-process backfill to completion; returns the error (none on success).
    static Error backfill(const QString &dsn, const Config &config, const QString &schema = QStringLiteral("github"),
                          const QStringList &repos = {}, int parallelRepos = 4) {
        pg::Connection db;
        if (Error e = db.open(dsn))
            return e;
        Error error;
        auto api = sync::makeGitHubApi(config, nullptr, &error);
        if (error)
            return error;
        sync::Backfill::Options options;
        options.schema = schema;
        options.repos = repos;
        options.restOnly = config.restOnly;
        options.parallelRepos = parallelRepos;
        sync::Backfill backfill(*api, db, options);
        QSignalSpy done(&backfill, &sync::Backfill::finished);
        QSignalSpy failed(&backfill, &sync::Backfill::failed);
        backfill.start();
        if (!QTest::qWaitFor([&] { return !done.isEmpty() || !failed.isEmpty(); }, 120000))
            return Error::make(Error::Kind::Internal, QStringLiteral("backfill timed out"));
        return failed.isEmpty() ? Error() : failed.first().first().value<Error>();
    }

    // The simulator's arguments for a generated dataset, answering this test's token.
    // The simulator's counters (GET /_sim/counters), and among them the requests per endpoint.
    static QJsonObject simCounters(const SimulatorProcess &sim) {
        return sim.request("GET", QStringLiteral("/_sim/counters")).json().object();
    }
    static QJsonObject requestsByEndpoint(const SimulatorProcess &sim) {
        return simCounters(sim).value(QStringLiteral("requests_by_endpoint")).toObject();
    }

    static QStringList datasetArgs(const QString &dataset, int seed) {
        return {QStringLiteral("--dataset"), dataset,
                QStringLiteral("--seed"),    QString::number(seed),
                QStringLiteral("--token"),   QString::fromUtf8(token)};
    }

    // Every table of the two databases holds the same rows; both are dropped afterwards.
    static void compareAndDrop(const QString &left, const QString &right) {
        {
            pg::Connection a, b;
            QVERIFY(!a.open(left));
            QVERIFY(!b.open(right));
            compareTables(a, b);
        }
        PgTestInstance::shared().dropDatabase(left);
        PgTestInstance::shared().dropDatabase(right);
    }

    // GraphQL points the simulator's token has spent (its /rate_limit graphql pool).
    static qint64 graphqlUsed(const SimulatorProcess &sim) {
        return sim.request("GET", QStringLiteral("/rate_limit"), token)
            .json()
            .object()
            .value(QStringLiteral("resources"))
            .toObject()
            .value(QStringLiteral("graphql"))
            .toObject()
            .value(QStringLiteral("used"))
            .toInteger();
    }

    static qint64 count(pg::Connection &db, const QString &table, const QString &schema = QStringLiteral("github")) {
        return db.exec(QStringLiteral("SELECT count(*) FROM %1.\"%2\"").arg(db.quoteIdentifier(schema), table))
            .toInt(0, 0);
    }

    // A fingerprint of a table's content that ignores _synced_at (and the JSON paths in `ignore`).
    static QString fingerprint(pg::Connection &db, const QString &table, const QString &key,
                               const QString &schema = QStringLiteral("github"), const QString &ignore = {}) {
        return db
            .exec(
                QStringLiteral("SELECT count(*) || ':' || coalesce(md5(string_agg(t::text, '|' ORDER BY %2)), '') FROM "
                               "(SELECT * FROM %3.\"%1\") t0, LATERAL (SELECT to_jsonb(t0) - '_synced_at' %4 AS t) j")
                    .arg(table, key, db.quoteIdentifier(schema), ignore))
            .text(0, 0);
    }

    // Every table of `schema` in `b` holds exactly what it holds in `a`. A repository's `permissions`
    // describe the caller, not the repository: a token and an App installation see different ones.
    static void compareTables(pg::Connection &a, pg::Connection &b, const QString &schema = QStringLiteral("github"),
                              bool ignoreCallerPermissions = false) {
        for (const auto &[table, key] : syncedTables()) {
            const QString ignore = ignoreCallerPermissions && table == QStringLiteral("repository")
                                       ? QStringLiteral("#- '{raw,permissions}'")
                                       : QString();
            const QString left = fingerprint(a, table, key, QStringLiteral("github"), ignore);
            const QString right = fingerprint(b, table, key, schema, ignore);
            QVERIFY2(left == right, qPrintable(QStringLiteral("%1: %2 vs %3").arg(table, left, right)));
        }
    }

    static QJsonObject graphql(const SimulatorProcess &sim, const QString &query, const QJsonObject &variables) {
        const QByteArray body =
            QJsonDocument(QJsonObject{{QStringLiteral("query"), query}, {QStringLiteral("variables"), variables}})
                .toJson(QJsonDocument::Compact);
        return sim.request("POST", QStringLiteral("/graphql"), token, body)
            .json()
            .object()
            .value(QStringLiteral("data"))
            .toObject();
    }

    // What each table must hold by the simulator's own API: REST lists, GraphQL for discussions; users
    // are the distinct accounts embedded in all of those answers.
    static QHash<QString, qint64> truthCounts(const SimulatorProcess &sim) {
        QHash<QString, qint64> n;
        QSet<qint64> users;
        const auto addUsers = [&users](const QJsonObject &o, const QStringList &paths) {
            for (const QString &path : paths) {
                const QJsonValue v = at(o, path);
                for (const QJsonValue &u : v.isArray() ? v.toArray() : QJsonArray{v}) {
                    const QJsonObject user = u.toObject();
                    const QJsonValue id = user.contains(QStringLiteral("databaseId"))
                                              ? user.value(QStringLiteral("databaseId"))
                                              : user.value(QStringLiteral("id"));
                    if (id.isDouble() && !user.value(QStringLiteral("login")).toString().isEmpty())
                        users.insert(qint64(id.toDouble()));
                }
            }
        };
        const QJsonArray repos = sim.listAll(QStringLiteral("/user/repos?per_page=100"), token);
        n[QStringLiteral("repository")] = repos.size();
        for (const QJsonValue &r : repos) {
            addUsers(r.toObject(), {QStringLiteral("owner")});
            const QString name = r.toObject().value(QStringLiteral("full_name")).toString();
            const QString base = QStringLiteral("/repos/") + name;
            const auto list = [&](const QString &path) {
                return sim.listAll(base + path + QStringLiteral("per_page=100"), token);
            };
            const auto reactionsOf = [&](const QString &subject) {
                for (const QJsonValue &x : list(subject + QStringLiteral("/reactions?"))) {
                    ++n[QStringLiteral("reaction")];
                    addUsers(x.toObject(), {QStringLiteral("user")});
                }
            };
            for (const QJsonValue &i : list(QStringLiteral("/issues?state=all&"))) {
                const QJsonObject issue = i.toObject();
                // Pull requests come back in the issue list too; they are not issues, but their
                // reactions (visible only through this list's rollups) are synced.
                if (!issue.contains(QStringLiteral("pull_request"))) {
                    ++n[QStringLiteral("issue")];
                    n[QStringLiteral("issue_label")] += issue.value(QStringLiteral("labels")).toArray().size();
                    addUsers(issue, {QStringLiteral("user"), QStringLiteral("assignees"), QStringLiteral("closed_by")});
                }
                if (rollup(issue) > 0)
                    reactionsOf(QStringLiteral("/issues/%1").arg(issue.value(QStringLiteral("number")).toInt()));
            }
            for (const QJsonValue &p : list(QStringLiteral("/pulls?state=all&"))) {
                ++n[QStringLiteral("pull_request")];
                n[QStringLiteral("pull_request_label")] +=
                    p.toObject().value(QStringLiteral("labels")).toArray().size();
                addUsers(p.toObject(), {QStringLiteral("user"), QStringLiteral("assignees"),
                                        QStringLiteral("merged_by"), QStringLiteral("requested_reviewers")});
            }
            for (const QJsonValue &c : list(QStringLiteral("/issues/comments?"))) {
                ++n[QStringLiteral("comment")];
                addUsers(c.toObject(), {QStringLiteral("user")});
                if (rollup(c.toObject()) > 0)
                    reactionsOf(QStringLiteral("/issues/comments/%1")
                                    .arg(qint64(c.toObject().value(QStringLiteral("id")).toDouble())));
            }
            for (const QJsonValue &c : list(QStringLiteral("/commits?"))) {
                ++n[QStringLiteral("commit")];
                addUsers(c.toObject(), {QStringLiteral("author"), QStringLiteral("committer")});
            }
            for (const QJsonValue &rel : list(QStringLiteral("/releases?"))) {
                ++n[QStringLiteral("release")];
                addUsers(rel.toObject(), {QStringLiteral("author")});
            }
            n[QStringLiteral("label")] += list(QStringLiteral("/labels?")).size();
            for (const QJsonValue &ref : list(QStringLiteral("/git/refs?"))) {
                const QString refName = ref.toObject().value(QStringLiteral("ref")).toString();
                n[QStringLiteral("ref")] += refName.startsWith(QStringLiteral("refs/heads/")) ||
                                            refName.startsWith(QStringLiteral("refs/tags/"));
            }
            const QJsonObject discussions =
                at(graphql(sim,
                           QStringLiteral("query($owner: String!, $name: String!) { repository(owner: $owner, name:"
                                          " $name) { discussions(first: 100) { totalCount nodes { author { login ..."
                                          " on User { databaseId } } comments(first: 50) { totalCount nodes {"
                                          " author { login ... on User { databaseId } } replies(first: 50) {"
                                          " totalCount nodes { author { login ... on User { databaseId } } } } } }"
                                          " } } } }"),
                           QJsonObject{{QStringLiteral("owner"), name.section(QLatin1Char('/'), 0, 0)},
                                       {QStringLiteral("name"), name.section(QLatin1Char('/'), 1)}}),
                   QStringLiteral("repository.discussions"))
                    .toObject();
            n[QStringLiteral("discussion")] += discussions.value(QStringLiteral("totalCount")).toInt();
            // Comments are top-level comments and their replies, which GitHub lists only under their parent.
            // Authors from the first 100 discussions and 50 comments and replies of each (255,100 nodes, within
            // GitHub's limit of 500,000): all of them in the datasets used here.
            for (const QJsonValue &d : discussions.value(QStringLiteral("nodes")).toArray()) {
                addUsers(d.toObject(), {QStringLiteral("author")});
                const QJsonObject comments = d.toObject().value(QStringLiteral("comments")).toObject();
                n[QStringLiteral("discussion_comment")] += comments.value(QStringLiteral("totalCount")).toInt();
                for (const QJsonValue &c : comments.value(QStringLiteral("nodes")).toArray()) {
                    addUsers(c.toObject(), {QStringLiteral("author")});
                    const QJsonObject replies = c.toObject().value(QStringLiteral("replies")).toObject();
                    n[QStringLiteral("discussion_comment")] += replies.value(QStringLiteral("totalCount")).toInt();
                    for (const QJsonValue &reply : replies.value(QStringLiteral("nodes")).toArray())
                        addUsers(reply.toObject(), {QStringLiteral("author")});
                }
            }
        }
        n[QStringLiteral("user")] = users.size();
        return n;
    }

    // One row of every table equals GitHub's answer for that object, field by field; one issue's and
    // one pull request's label links equal GitHub's labels of that issue or pull request.
    static void compareSamples(pg::Connection &db, const SimulatorProcess &sim) {
        for (const Sample &sample : samples()) {
            const pg::Result r = db.exec(sample.sql);
            QVERIFY2(r.ok() && r.rows() == 1, qPrintable(sample.table + QStringLiteral(": ") + r.errorMessage()));
            const QJsonObject row = QJsonDocument::fromJson(r.text(0, 0).toUtf8()).object();
            QJsonObject truth;
            if (!sample.graphql.isEmpty()) {
                truth = at(graphql(sim, sample.graphql, row.value(QStringLiteral("_variables")).toObject()),
                           row.value(QStringLiteral("_root")).toString())
                            .toObject();
            } else {
                const SimulatorProcess::Response response =
                    sim.request("GET", row.value(QStringLiteral("_path")).toString(), token);
                QVERIFY2(response.status == 200, qPrintable(row.value(QStringLiteral("_path")).toString()));
                if (row.contains(QStringLiteral("_find"))) {
                    for (const QJsonValue &v : response.json().array()) {
                        if (v.toObject().value(QStringLiteral("id")) == row.value(QStringLiteral("_find")))
                            truth = v.toObject();
                    }
                } else {
                    truth = response.json().object();
                }
            }
            QVERIFY2(!truth.isEmpty(), qPrintable(sample.table + QStringLiteral(": GitHub has no such object")));
            for (const auto &[column, path] : sample.fields) {
                QVERIFY2(row.contains(column), qPrintable(sample.table + QStringLiteral(" has no column ") + column));
                QVERIFY2(sameValue(row.value(column), at(truth, path)),
                         qPrintable(QStringLiteral("%1.%2: stored %3, GitHub %4")
                                        .arg(sample.table, column, show(row.value(column)), show(at(truth, path)))));
            }
        }
        for (const auto &[table, parent, endpoint] : {std::tuple{"issue_label", "issue", "issues"},
                                                      std::tuple{"pull_request_label", "pull_request", "pulls"}}) {
            const pg::Result r = db.exec(
                QStringLiteral(
                    "SELECT '/repos/' || r.full_name || '/%3/' || p.number, string_agg(l.label_id::text, ','"
                    " ORDER BY l.label_id) FROM github.%1 l JOIN github.%2 p ON p.id = l.%2_id JOIN github.repository"
                    " r ON r.id = p.repository_id GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1")
                    .arg(QLatin1String(table), QLatin1String(parent), QLatin1String(endpoint)));
            QVERIFY2(r.ok() && r.rows() == 1, table);
            QList<qint64> ids;
            for (const QJsonValue &label :
                 sim.request("GET", r.text(0, 0), token).json().object().value(QStringLiteral("labels")).toArray())
                ids << qint64(label.toObject().value(QStringLiteral("id")).toDouble());
            std::sort(ids.begin(), ids.end());
            QStringList expected;
            for (const qint64 id : std::as_const(ids))
                expected << QString::number(id);
            QCOMPARE(r.text(0, 1), expected.join(QLatin1Char(',')));
        }
    }

private Q_SLOTS:
    void initTestCase() { QVERIFY2(QFileInfo::exists(SimulatorProcess::binary()), "githubsim was not built"); }

    void everyCollectionMatchesTheRestApi() {
        SimulatorProcess sim;
        QVERIFY2(sim.start({QStringLiteral("--dataset"), QStringLiteral("small"), QStringLiteral("--seed"),
                            QStringLiteral("7"), QStringLiteral("--token"), QString::fromUtf8(token)}),
                 qPrintable(sim.error()));
        const QString dsn = freshDatabase(QStringLiteral("backfill_small"));
        QVERIFY(!dsn.isEmpty());
        const Error e = backfill(dsn, tokenConfig(sim.baseUrl()));
        QVERIFY2(!e, qPrintable(e.message));

        pg::Connection db;
        QVERIFY(!db.open(dsn));
        const QHash<QString, qint64> truth = truthCounts(sim);
        // The simulator's own counts (what the budget benchmark checks `large` against) agree with its API.
        const QJsonObject counts = sim.request("GET", QStringLiteral("/_sim/health?counts=true"))
                                       .json()
                                       .object()
                                       .value(QStringLiteral("counts"))
                                       .toObject();
        QCOMPARE(counts.size(), 11);
        for (auto it = counts.constBegin(); it != counts.constEnd(); ++it)
            QVERIFY2(it.value().toInteger() == truth.value(it.key()),
                     qPrintable(QStringLiteral("%1: /_sim/health counts %2, the API lists %3")
                                    .arg(it.key())
                                    .arg(it.value().toInteger())
                                    .arg(truth.value(it.key()))));
        for (const auto &[table, key] : syncedTables()) {
            const qint64 stored = count(db, table);
            QVERIFY2(truth.value(table) > 0, qPrintable(table)); // every collection of `small` has rows
            QVERIFY2(
                stored == truth.value(table),
                qPrintable(
                    QStringLiteral("%1: %2 rows, GitHub lists %3").arg(table).arg(stored).arg(truth.value(table))));
        }
        compareSamples(db, sim);
        if (QTest::currentTestFailed())
            return;

        // A second run is a no-op that finds every cursor done and duplicates nothing.
        QStringList before;
        for (const auto &[table, key] : syncedTables())
            before << fingerprint(db, table, key);
        QVERIFY(!backfill(dsn, tokenConfig(sim.baseUrl())));
        QStringList after;
        for (const auto &[table, key] : syncedTables())
            after << fingerprint(db, table, key);
        QCOMPARE(after, before);
        PgTestInstance::shared().dropDatabase(dsn);
    }

    // --schema: a second data schema in the same database gets its own tables and its own cursors, so
    // it is backfilled completely even though the first schema's cursors are all done.
    void secondSchemaInTheSameDatabaseIsComplete() {
        SimulatorProcess sim;
        QVERIFY2(sim.start({QStringLiteral("--dataset"), QStringLiteral("small"), QStringLiteral("--seed"),
                            QStringLiteral("5"), QStringLiteral("--token"), QString::fromUtf8(token)}),
                 qPrintable(sim.error()));
        const QString dsn = freshDatabase(QStringLiteral("two_schemas"));
        QVERIFY(!dsn.isEmpty());
        Error e = backfill(dsn, tokenConfig(sim.baseUrl()));
        QVERIFY2(!e, qPrintable(e.message));
        e = migrate(dsn, QStringLiteral("other"));
        QVERIFY2(!e, qPrintable(e.message));
        e = backfill(dsn, tokenConfig(sim.baseUrl()), QStringLiteral("other"));
        QVERIFY2(!e, qPrintable(e.message));

        pg::Connection db;
        QVERIFY(!db.open(dsn));
        const QHash<QString, qint64> truth = truthCounts(sim);
        for (const auto &[table, key] : syncedTables()) {
            QVERIFY2(truth.value(table) > 0, qPrintable(table));
            QCOMPARE(count(db, table, QStringLiteral("github")), truth.value(table));
            QCOMPARE(count(db, table, QStringLiteral("other")), truth.value(table));
        }
        compareTables(db, db, QStringLiteral("other"));
        QCOMPARE(db.exec(QStringLiteral("SELECT string_agg(DISTINCT schema, ',' ORDER BY schema) FROM "
                                        "hubsync.sync_cursor WHERE phase = 'done'"))
                     .text(0, 0),
                 QStringLiteral("github,other"));
        QCOMPARE(db.exec(QStringLiteral("SELECT count(*) FROM hubsync.reaction_todo")).toInt(0, 0), qint64(0));
        PgTestInstance::shared().dropDatabase(dsn);
    }

    // GitHub App authentication end to end: JWT -> installation token, repositories from
    // /installation/repositories, tokens that expire during the backfill and are minted again.
    void githubAppInstallationEqualsTheTokenRun() {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const QString key = dir.filePath(QStringLiteral("app.pem"));
        SimulatorProcess sim;
        QVERIFY2(sim.start({QStringLiteral("--dataset"), QStringLiteral("small"), QStringLiteral("--seed"),
                            QStringLiteral("7"), QStringLiteral("--token"), QString::fromUtf8(token),
                            QStringLiteral("--app-id"), QStringLiteral("1"), QStringLiteral("--app-key-out"), key,
                            QStringLiteral("--installation-id"), QStringLiteral("1"),
                            QStringLiteral("--token-lifetime-seconds"), QStringLiteral("2")}),
                 qPrintable(sim.error()));
        const QString byToken = freshDatabase(QStringLiteral("auth_token"));
        const QString byApp = freshDatabase(QStringLiteral("auth_app"));
        QVERIFY(!byToken.isEmpty() && !byApp.isEmpty());
        Error e = backfill(byToken, tokenConfig(sim.baseUrl()));
        QVERIFY2(!e, qPrintable(e.message));

        // Slow answers make the App's backfill outlast several token lifetimes.
        QCOMPARE(sim.request("PUT", QStringLiteral("/_sim/faults"), {}, R"({"faults": [], "latency_ms": 120})").status,
                 200);
        QCOMPARE(sim.request("POST", QStringLiteral("/_sim/counters/reset")).status, 200);
        Config app = tokenConfig(sim.baseUrl(), {});
        app.appId = 1;
        app.appKeyFile = key;
        app.installationId = 1;
        QElapsedTimer clock;
        clock.start();
        e = backfill(byApp, app);
        QVERIFY2(!e, qPrintable(e.message));
        const QJsonObject requests = requestsByEndpoint(sim);
        QVERIFY(requests.value(QStringLiteral("GET /installation/repositories")).toInt() > 0);
        QCOMPARE(requests.value(QStringLiteral("GET /user/repos")).toInt(), 0);
        const int minted = requests.value(QStringLiteral("POST /app/installations/{id}/access_tokens")).toInt();
        qInfo("App backfill: %lld ms, %d installation tokens", clock.elapsed(), minted);
        QVERIFY2(minted > 1, "the installation token was never minted again after it expired");

        pg::Connection a, b;
        QVERIFY(!a.open(byToken));
        QVERIFY(!b.open(byApp));
        compareTables(a, b, QStringLiteral("github"), true);
        PgTestInstance::shared().dropDatabase(byToken);
        PgTestInstance::shared().dropDatabase(byApp);
    }

    // Reactions through GraphQL (nodes(ids:), 100 subjects a query) and through REST (a request per subject),
    // comments through GraphQL (100 issues with their comments a query) and through REST's comment list, give
    // the same rows, `raw` included; GraphQL spends far fewer units. Discussions go through GraphQL either
    // way, within GitHub's node limit.
    void graphqlAndRestOnlyBackfillsAreEqual() {
        SimulatorProcess sim;
        QVERIFY2(sim.start(datasetArgs(QStringLiteral("small"), 11)), qPrintable(sim.error()));
        const QString viaGraphql = freshDatabase(QStringLiteral("via_graphql"));
        const QString viaRest = freshDatabase(QStringLiteral("via_rest"));
        QVERIFY(!viaGraphql.isEmpty() && !viaRest.isEmpty());
        const auto spent = [&sim](const Config &config, const QString &dsn, QJsonObject *requests, qint64 *points) {
            QCOMPARE(sim.request("POST", QStringLiteral("/_sim/counters/reset")).status, 200);
            const qint64 before = graphqlUsed(sim);
            const Error e = backfill(dsn, config);
            QVERIFY2(!e, qPrintable(e.message));
            *requests = requestsByEndpoint(sim);
            *points = graphqlUsed(sim) - before;
        };
        QJsonObject graphqlRequests, restRequests;
        qint64 graphqlPoints = 0, restPoints = 0;
        spent(tokenConfig(sim.baseUrl()), viaGraphql, &graphqlRequests, &graphqlPoints);
        Config restOnly = tokenConfig(sim.baseUrl());
        restOnly.restOnly = true;
        spent(restOnly, viaRest, &restRequests, &restPoints);
        if (QTest::currentTestFailed())
            return;

        const auto total = [](const QJsonObject &requests) {
            qint64 n = 0;
            for (auto it = requests.constBegin(); it != requests.constEnd(); ++it) {
                if (!it.key().startsWith(QLatin1String("POST /graphql")))
                    n += it.value().toInteger();
            }
            return n;
        };
        const QString commentList = QStringLiteral("GET /repos/{owner}/{repo}/issues/comments");
        const auto reactionGets = [](const QJsonObject &requests) {
            qint64 n = 0;
            for (auto it = requests.constBegin(); it != requests.constEnd(); ++it) {
                if (it.key().endsWith(QLatin1String("/reactions")))
                    n += it.value().toInteger();
            }
            return n;
        };
        pg::Connection a, b;
        QVERIFY(!a.open(viaGraphql));
        QVERIFY(!b.open(viaRest));
        QVERIFY(count(a, QStringLiteral("reaction")) > 0);
        compareTables(a, b);
        const qint64 subjects = b.exec(QStringLiteral("SELECT count(DISTINCT (subject_type, subject_id)) FROM "
                                                      "github.reaction"))
                                    .toInt(0, 0);
        qInfo("REST-only: %lld REST requests (%lld for reactions of %lld subjects, %lld comment pages) and %lld "
              "GraphQL points; default: %lld REST requests and %lld GraphQL points",
              total(restRequests), reactionGets(restRequests), subjects, restRequests.value(commentList).toInteger(),
              restPoints, total(graphqlRequests), graphqlPoints);
        QCOMPARE(reactionGets(graphqlRequests), 0);
        QCOMPARE(graphqlRequests.value(commentList).toInteger(), 0);
        QVERIFY(reactionGets(restRequests) >= subjects);
        QCOMPARE(total(restRequests) - total(graphqlRequests),
                 reactionGets(restRequests) + restRequests.value(commentList).toInteger());
        // One point per 100 subjects of a repository, against a request per subject; one per 100 issues or
        // pull requests of a repository with their comments (an empty list costs its one query too).
        const qint64 waves = b.exec(QStringLiteral("SELECT sum(ceil(n / 100.0))::bigint FROM (SELECT repository_id,"
                                                   " count(DISTINCT (subject_type, subject_id)) n FROM github.reaction"
                                                   " GROUP BY repository_id) r"))
                                 .toInt(0, 0);
        const qint64 threadPages =
            b.exec(QStringLiteral("SELECT sum(greatest(1, ceil((SELECT count(*) FROM github.issue i WHERE"
                                  " i.repository_id = r.id) / 100.0)) + greatest(1, ceil((SELECT count(*) FROM"
                                  " github.pull_request p WHERE p.repository_id = r.id) / 100.0)))::bigint FROM"
                                  " github.repository r"))
                .toInt(0, 0);
        QVERIFY2(graphqlPoints - restPoints <= waves + threadPages,
                 qPrintable(QStringLiteral("%1 points for %2 subjects and %3 pages of issues and pull requests")
                                .arg(graphqlPoints - restPoints)
                                .arg(subjects)
                                .arg(threadPages)));
        PgTestInstance::shared().dropDatabase(viaGraphql);
        PgTestInstance::shared().dropDatabase(viaRest);
    }

    // Comments cost the same through either API: each repository's comment walk goes to the pool with more
    // of its budget left. A GraphQL pool far smaller than REST's fills up with the first repository's
    // discussions, reactions and comments, and the later repositories' comments go through REST.
    void commentsGoToThePoolWithMoreLeft() {
        SimulatorProcess sim;
        QVERIFY2(sim.start(datasetArgs(QStringLiteral("small"), 23) +
                           QStringList{QStringLiteral("--graphql-rate-limit"), QStringLiteral("60"),
                                       QStringLiteral("--rate-window-seconds"), QStringLiteral("600")}),
                 qPrintable(sim.error()));
        const QString dsn = freshDatabase(QStringLiteral("two_pools"));
        QVERIFY(!dsn.isEmpty());
        // One repository at a time, so that each walk starts after the previous one spent its budget.
        const Error e = backfill(dsn, tokenConfig(sim.baseUrl()), QStringLiteral("github"), {}, 1);
        QVERIFY2(!e, qPrintable(e.message));
        const QJsonObject requests = requestsByEndpoint(sim);
        const qint64 restCommentPages =
            requests.value(QStringLiteral("GET /repos/{owner}/{repo}/issues/comments")).toInteger();
        qInfo("REST comment pages: %lld, GraphQL queries: %lld", restCommentPages,
              requests.value(QStringLiteral("POST /graphql")).toInteger());
        QVERIFY2(restCommentPages > 0, "every comment walk went through GraphQL");
        pg::Connection db;
        QVERIFY(!db.open(dsn));
        // Fewer REST pages than all repositories' comments need: the first walk (both pools fresh) went
        // through GraphQL.
        const qint64 allPages = db.exec(QStringLiteral("SELECT sum(greatest(1, ceil(n / 100.0)))::bigint FROM (SELECT"
                                                       " r.id, count(c.id) n FROM github.repository r LEFT JOIN"
                                                       " github.comment c ON c.repository_id = r.id GROUP BY r.id) t"))
                                    .toInt(0, 0);
        QVERIFY2(restCommentPages < allPages, "every comment walk went through REST");
        QCOMPARE(count(db, QStringLiteral("comment")), truthCounts(sim).value(QStringLiteral("comment")));
        PgTestInstance::shared().dropDatabase(dsn);
    }

    // A comment walk saved halfway through GraphQL goes on through REST when REST is forced (--rest-only, or
    // GitHub refusing GraphQL): it starts again from the first page instead of sending its GraphQL marker
    // as a URL.
    void graphqlWalkGoesOnThroughRest() {
        SimulatorProcess sim;
        QVERIFY2(sim.start(datasetArgs(QStringLiteral("small"), 29)), qPrintable(sim.error()));
        const QString dsn = freshDatabase(QStringLiteral("walk_switch"));
        QVERIFY(!dsn.isEmpty());
        Error e = backfill(dsn, tokenConfig(sim.baseUrl()));
        QVERIFY2(!e, qPrintable(e.message));
        pg::Connection db;
        QVERIFY(!db.open(dsn));
        // As a run stopped after its first page of issue threads leaves it.
        QVERIFY(!db.run(QStringLiteral("UPDATE hubsync.sync_cursor SET phase = 'backfill', next_url ="
                                       " 'graphql:issues:Y3Vyc29yOnYyOjE6MQ==' WHERE collection = 'comment'")));
        QVERIFY(!db.run(QStringLiteral("DELETE FROM github.comment")));
        Config restOnly = tokenConfig(sim.baseUrl());
        restOnly.restOnly = true;
        e = backfill(dsn, restOnly);
        QVERIFY2(!e, qPrintable(e.message));
        QCOMPARE(count(db, QStringLiteral("comment")), truthCounts(sim).value(QStringLiteral("comment")));
        QCOMPARE(db.exec(QStringLiteral("SELECT count(*) FROM hubsync.sync_cursor WHERE collection = 'comment'"
                                        " AND (phase <> 'done' OR next_url IS NOT NULL)"))
                     .toInt(0, 0),
                 qint64(0));
        db.close();
        PgTestInstance::shared().dropDatabase(dsn);
    }

    // GitHub failing now and then (10 % of all requests, and GraphQL answering 502 three times in a row)
    // costs retries, not data: the tables end equal to a clean run's.
    void faultsEndLikeACleanRun() {
        SimulatorProcess sim;
        QVERIFY2(sim.start(datasetArgs(QStringLiteral("small"), 17)), qPrintable(sim.error()));
        const QString clean = freshDatabase(QStringLiteral("faults_clean"));
        const QString faulty = freshDatabase(QStringLiteral("faults_faulty"));
        QVERIFY(!clean.isEmpty() && !faulty.isEmpty());
        Error e = backfill(clean, tokenConfig(sim.baseUrl()));
        QVERIFY2(!e, qPrintable(e.message));
        QCOMPARE(sim.request("PUT", QStringLiteral("/_sim/faults"), {},
                             R"({"fail_rate": 0.1, "faults": [{"method": "POST", "path": "^/graphql$", "count": 3,)"
                             R"( "kind": "status", "status": 502}]})")
                     .status,
                 200);
        e = backfill(faulty, tokenConfig(sim.baseUrl()));
        QVERIFY2(!e, qPrintable(e.message));
        const qint64 injected = simCounters(sim).value(QStringLiteral("faults_injected")).toInteger();
        QVERIFY2(injected > 3, qPrintable(QString::number(injected)));
        compareAndDrop(clean, faulty);
    }

    // GitHub cannot finish queries over 1,000 nodes, charged all the same: answered RESOURCE_LIMITS_EXCEEDED,
    // or cut off by the time limit (a 502 after a while). Every GraphQL walk asks for half as much until its
    // queries fit, never the same query twice (a 502 of a query that can shrink is not retried), keeps the
    // size that worked with its cursor, and the tables end equal to a clean run's.
    void heavyQueriesShrinkUntilTheyFit_data() {
        QTest::addColumn<QByteArray>("faults");
        QTest::newRow("resource limits") << QByteArray(R"({"graphql_node_budget": 1000})");
        QTest::newRow("time limit, 502") << QByteArray(R"({"graphql_slow_nodes": 1000, "graphql_slow_delay_ms": 300})");
    }

    void heavyQueriesShrinkUntilTheyFit() {
        QFETCH(QByteArray, faults);
        SimulatorProcess sim;
        QVERIFY2(sim.start(datasetArgs(QStringLiteral("small"), 19)), qPrintable(sim.error()));
        const QString clean = freshDatabase(QStringLiteral("heavy_clean"));
        const QString limited = freshDatabase(QStringLiteral("heavy_limited"));
        QVERIFY(!clean.isEmpty() && !limited.isEmpty());
        Error e = backfill(clean, tokenConfig(sim.baseUrl()));
        QVERIFY2(!e, qPrintable(e.message));
        QCOMPARE(sim.request("PUT", QStringLiteral("/_sim/faults"), {}, faults).status, 200);
        QElapsedTimer took;
        took.start();
        e = backfill(limited, tokenConfig(sim.baseUrl()));
        QVERIFY2(!e, qPrintable(e.message));
        const QJsonObject counters = simCounters(sim);
        const qint64 queries = counters.value(QStringLiteral("requests_by_endpoint"))
                                   .toObject()
                                   .value(QStringLiteral("POST /graphql"))
                                   .toInteger();
        qInfo("GraphQL queries %lld (%lld answered with an error status), %lld ms", queries,
              counters.value(QStringLiteral("errors")).toInteger(), took.elapsed());
        // A refusal comes back as an answer, so it is never retried: the 502s must cost no more queries.
        static qint64 refusedRunQueries = 0;
        if (QByteArray(QTest::currentDataTag()) == "resource limits")
            refusedRunQueries = queries;
        else if (refusedRunQueries > 0)
            QCOMPARE(queries, refusedRunQueries);
        pg::Connection b;
        QVERIFY(!b.open(limited));
        // 100 threads or discussions with their first 100 comments ask for 10,100 nodes: halved down to 6
        // (606 nodes). n subjects with 100 reactions each ask for 101 n: at most 9 a query.
        const pg::Result sizes = b.exec(QStringLiteral(
            "SELECT collection, min(page_size), max(page_size), count(*) FILTER (WHERE page_size IS NULL) FROM"
            " hubsync.sync_cursor WHERE collection IN ('comment', 'discussion', 'reaction') GROUP BY collection"
            " ORDER BY collection"));
        QVERIFY(sizes.ok());
        QStringList seen;
        for (int i = 0; i < sizes.rows(); ++i)
            seen << QStringLiteral("%1 %2-%3 (%4 unset)")
                        .arg(sizes.text(i, 0), sizes.text(i, 1), sizes.text(i, 2), sizes.text(i, 3));
        const QString all = seen.join(QStringLiteral(", "));
        QVERIFY2(all.startsWith(QStringLiteral("comment 6-6 (0 unset), discussion 6-6 (0 unset), reaction ")),
                 qPrintable(all));
        QVERIFY2(sizes.rows() == 3 && sizes.toInt(2, 2) <= 9 && sizes.toInt(2, 1) >= 1, qPrintable(all));
        b.close();
        compareAndDrop(clean, limited);
    }

    // A passing 502 on the first comment page halves the walk's page, as a query too heavy would; after 20
    // pages answered in full the walk asks for twice as much again, so one failure does not cost the rest of
    // the backfill (and later runs, which read the size from the cursor) twice the points.
    void pageGrowsBackAfterAPassingFailure() {
        SimulatorProcess sim;
        QVERIFY2(
            sim.start(datasetArgs(QStringLiteral("small"), 31) +
                      QStringList{QStringLiteral("--repos"), QStringLiteral("1"), QStringLiteral("--issues-per-repo"),
                                  QStringLiteral("2500"), QStringLiteral("--comments-per-issue"), QStringLiteral("1")}),
            qPrintable(sim.error()));
        QCOMPARE(sim.request("PUT", QStringLiteral("/_sim/faults"), {},
                             R"({"faults": [{"method": "POST", "path": "^/graphql$", "count": 1, "status": 502}]})")
                     .status,
                 200);
        const QString dsn = freshDatabase(QStringLiteral("grows_back"));
        QVERIFY(!dsn.isEmpty());
        const Error e = backfill(dsn, tokenConfig(sim.baseUrl()));
        QVERIFY2(!e, qPrintable(e.message));
        pg::Connection db;
        QVERIFY(!db.open(dsn));
        QCOMPARE(db.exec(QStringLiteral("SELECT page_size FROM hubsync.sync_cursor WHERE collection = 'comment'"))
                     .text(0, 0),
                 QStringLiteral("100"));
        const QJsonObject counters = simCounters(sim);
        QCOMPARE(counters.value(QStringLiteral("faults_injected")).toInteger(), 1);
        // 1 refused + 20 pages of 50 + 15 of 100 for the issues, then the pull requests and discussions.
        qInfo("GraphQL queries: %lld", counters.value(QStringLiteral("requests_by_endpoint"))
                                           .toObject()
                                           .value(QStringLiteral("POST /graphql"))
                                           .toInteger());
        QCOMPARE(count(db, QStringLiteral("comment")), truthCounts(sim).value(QStringLiteral("comment")));
        PgTestInstance::shared().dropDatabase(dsn);
    }

    // A discussion with more comments than one page holds, and a comment with more replies than one page:
    // the comments go on with node(id:) pages, the replies of many comments come through one nodes(ids:)
    // query, and those of the long thread go on page by page. The same for an issue's comments.
    void threadsBeyondOnePage() {
        SimulatorProcess sim;
        QVERIFY2(sim.start(datasetArgs(QStringLiteral("small"), 13)), qPrintable(sim.error()));
        const int number = at(graphql(sim,
                                      QStringLiteral("query { repository(owner: \"octo-org\", name: \"repo-0\") {"
                                                     " discussions(first: 1) { nodes { number } } } }"),
                                      {}),
                              QStringLiteral("repository.discussions.nodes"))
                               .toArray()
                               .first()
                               .toObject()
                               .value(QStringLiteral("number"))
                               .toInt();
        QVERIFY(number > 0);
        const QString path = QStringLiteral("/_sim/repos/octo-org/repo-0/discussions/%1/comments").arg(number);
        const auto comment = [&](const QJsonObject &body) {
            const auto answer = sim.request("POST", path, {}, QJsonDocument(body).toJson(QJsonDocument::Compact));
            return answer.status == 201 ? answer.json().object() : QJsonObject();
        };
        const QJsonObject thread = comment({{QStringLiteral("body"), QStringLiteral("a long thread")}});
        QVERIFY(!thread.isEmpty());
        for (int i = 0; i < 104; ++i)
            QVERIFY(!comment({{QStringLiteral("body"), QStringLiteral("comment %1").arg(i)}}).isEmpty());
        for (int i = 0; i < 102; ++i)
            QVERIFY(!comment({{QStringLiteral("body"), QStringLiteral("reply %1").arg(i)},
                              {QStringLiteral("reply_to"), thread.value(QStringLiteral("id"))}})
                         .isEmpty());
        // And an issue with more comments than one page of the comments walk holds.
        for (int i = 0; i < 103; ++i)
            QCOMPARE(sim.request("POST", QStringLiteral("/repos/octo-org/repo-0/issues/1/comments"), token,
                                 QJsonDocument(QJsonObject{{QStringLiteral("body"), QStringLiteral("note %1").arg(i)}})
                                     .toJson(QJsonDocument::Compact))
                         .status,
                     201);
        const QString dsn = freshDatabase(QStringLiteral("long_discussion"));
        QVERIFY(!dsn.isEmpty());
        const Error e = backfill(dsn, tokenConfig(sim.baseUrl()));
        QVERIFY2(!e, qPrintable(e.message));
        pg::Connection db;
        QVERIFY(!db.open(dsn));
        const QHash<QString, qint64> truth = truthCounts(sim);
        QCOMPARE(count(db, QStringLiteral("discussion_comment")), truth.value(QStringLiteral("discussion_comment")));
        QCOMPARE(count(db, QStringLiteral("comment")), truth.value(QStringLiteral("comment")));
        QVERIFY(
            db.exec(QStringLiteral("SELECT count(*) FROM github.comment c JOIN github.repository r ON r.id ="
                                   " c.repository_id WHERE r.full_name = 'octo-org/repo-0' AND c.body LIKE 'note %'"))
                .toInt(0, 0) == 103);
        QCOMPARE(
            db.execParams(QStringLiteral("SELECT count(*) FROM github.discussion_comment WHERE reply_to_node_id = $1"),
                          {pg::param(thread.value(QStringLiteral("node_id")).toString())})
                .toInt(0, 0),
            qint64(102));
        QVERIFY(db.exec(QStringLiteral("SELECT count(*) FROM github.discussion_comment c JOIN github.discussion d ON"
                                       " d.id = c.discussion_id JOIN github.repository r ON r.id = d.repository_id"
                                       " WHERE r.full_name = 'octo-org/repo-0' AND d.number = %1")
                            .arg(number))
                    .toInt(0, 0) >= 1 + 104 + 102);
        PgTestInstance::shared().dropDatabase(dsn);
    }

    void killedAtRandomPointsEqualsACleanRun() {
        SimulatorProcess sim;
        QVERIFY2(sim.start(datasetArgs(QStringLiteral("medium"), 3)), qPrintable(sim.error()));
        const QString clean = freshDatabase(QStringLiteral("kill_clean"));
        const QString killed = freshDatabase(QStringLiteral("kill_killed"));
        QVERIFY(!clean.isEmpty() && !killed.isEmpty());
        QVERIFY(!backfill(clean, tokenConfig(sim.baseUrl())));

        const QString binary = qEnvironmentVariable("HUBSYNC_BIN_DIR") + QStringLiteral("/hubsync");
        const QStringList args{QStringLiteral("--service"),        QStringLiteral("--backfill-only"),
                               QStringLiteral("--database"),       killed,
                               QStringLiteral("--github-api-url"), sim.baseUrl()};
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("GITHUB_TOKEN"), QString::fromUtf8(token));
        int kills = 0;
        int exitCode = -1;
        for (int attempt = 0; attempt < 40 && exitCode != 0; ++attempt) {
            QProcess p;
            p.setProcessEnvironment(env);
            p.setProcessChannelMode(QProcess::ForwardedErrorChannel);
            p.setStandardOutputFile(QProcess::nullDevice());
            p.start(binary, args);
            QVERIFY(p.waitForStarted());
            const int killAfter = 150 + int(QRandomGenerator::global()->bounded(900));
            // A run may also end before its kill comes (the last pages were few): then it is the last run.
            const bool ended = attempt < 8 && p.waitForFinished(killAfter);
            if (attempt < 8 && !ended) {
                p.kill(); // SIGKILL: no cleanup, mid-transaction
                p.waitForFinished();
                ++kills;
                continue;
            }
            QVERIFY(ended || p.waitForFinished(120000));
            exitCode = p.exitCode();
        }
        QCOMPARE(exitCode, 0);
        qInfo("killed the backfill %d times", kills);
        QVERIFY(kills > 0);

        compareAndDrop(clean, killed); // every synced table, link tables included
    }

    // GitHub's secondary limit on points per minute (here per 2 s, small): HubSync paces itself below it, so
    // the backfill never gets a secondary-limit answer; without pacing it gets them, waits for Retry-After
    // each time and ends with the same rows.
    void pointsPerMinuteArePaced() {
        SimulatorProcess sim;
        QVERIFY2(sim.start(datasetArgs(QStringLiteral("small"), 29) +
                           QStringList{QStringLiteral("--points-per-minute"), QStringLiteral("15,5"),
                                       QStringLiteral("--points-window-seconds"), QStringLiteral("2")}),
                 qPrintable(sim.error()));
        const auto secondaryLimited = [&sim] {
            return simCounters(sim).value(QStringLiteral("secondary_limited")).toInteger();
        };
        const QString paced = freshDatabase(QStringLiteral("points_paced"));
        const QString unpaced = freshDatabase(QStringLiteral("points_unpaced"));
        QVERIFY(!paced.isEmpty() && !unpaced.isEmpty());
        Config config = tokenConfig(sim.baseUrl());
        config.restPointsPerMinute = 15;
        config.graphqlPointsPerMinute = 5;
        config.pointsWindowSeconds = 2;
        Error e = backfill(paced, config);
        QVERIFY2(!e, qPrintable(e.message));
        QCOMPARE(secondaryLimited(), 0);
        config.restPointsPerMinute = 0;
        config.graphqlPointsPerMinute = 0;
        e = backfill(unpaced, config);
        QVERIFY2(!e, qPrintable(e.message));
        QVERIFY2(secondaryLimited() > 0, "the unpaced backfill never met the limit: the test proves nothing");
        compareAndDrop(paced, unpaced);
    }

    void rateLimitExhaustionWaitsForTheReset() {
        SimulatorProcess sim;
        QVERIFY2(sim.start({QStringLiteral("--dataset"), QStringLiteral("small"), QStringLiteral("--token"),
                            QString::fromUtf8(token), QStringLiteral("--rate-limit"), QStringLiteral("15"),
                            QStringLiteral("--rate-window-seconds"), QStringLiteral("2")}),
                 qPrintable(sim.error()));
        const QString dsn = freshDatabase(QStringLiteral("ratelimit"));
        const Error e = backfill(dsn, tokenConfig(sim.baseUrl()));
        QVERIFY2(!e, qPrintable(e.message));
        pg::Connection db;
        QVERIFY(!db.open(dsn));
        QVERIFY(count(db, QStringLiteral("issue")) > 0);
        PgTestInstance::shared().dropDatabase(dsn);
    }

    void badInputGivesClearErrors() {
        SimulatorProcess sim;
        QVERIFY(sim.start({QStringLiteral("--dataset"), QStringLiteral("small"), QStringLiteral("--token"),
                           QString::fromUtf8(token)}));
        const QString dsn = freshDatabase(QStringLiteral("badinput"));
        Error e = backfill(dsn, tokenConfig(sim.baseUrl(), "ghp_wrong_token_000000"));
        QCOMPARE(e.kind, Error::Kind::GitHubAuth);
        QCOMPARE(exitCodeFor(e), ExitCode::GitHubAuth);
        e = backfill(dsn, tokenConfig(sim.baseUrl()), QStringLiteral("github"), {QStringLiteral("nobody/nothing")});
        QCOMPARE(e.kind, Error::Kind::GitHubNotFound);
        QVERIFY2(e.message.contains(QStringLiteral("nobody/nothing")), qPrintable(e.message));
        PgTestInstance::shared().dropDatabase(dsn);
    }
};

QTEST_GUILESS_MAIN(TestBackfill)
#include "tst_backfill.moc"
