#include "catalog/catalog.h"
#include "catalog/rowwriter.h"
#include "livesyncfixture.h"
#include "pgtestinstance.h"
#include "store/pg.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QTest>

using namespace hubsync;
using namespace hubsync::catalog;
using hubsync::test::freshSyncDatabase;
using hubsync::test::PgTestInstance;

namespace {

QJsonValue fixture(const QString &relative) {
    QFile file(qEnvironmentVariable("HUBSYNC_FIXTURES") + QStringLiteral("/rest/examples/") + relative);
    if (!file.open(QIODevice::ReadOnly))
        return {};
    const QJsonDocument doc = QJsonDocument::fromJson(file.readAll());
    return doc.isArray() ? QJsonValue(doc.array()) : QJsonValue(doc.object());
}

QList<QJsonObject> objects(const QJsonValue &value) {
    QList<QJsonObject> list;
    if (value.isArray()) {
        for (const QJsonValue &v : value.toArray())
            list << v.toObject();
    } else if (value.isObject()) {
        list << value.toObject();
    }
    return list;
}

} // namespace

// The catalog's schema, mapping and guarded upserts, on real GitHub example bodies and a real server.
class TestRowWriter : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void init() {
        QString error;
        m_dsn = freshSyncDatabase(QString::fromLatin1(QTest::currentTestFunction()), &error);
        QVERIFY2(!m_dsn.isEmpty(), qPrintable(error));
        QVERIFY(!m_db.open(m_dsn));
        QVERIFY2(!fixture(QStringLiteral("issues.get.json")).isUndefined(), "fixtures not found (HUBSYNC_FIXTURES)");
    }

    void cleanup() {
        m_db.close();
        PgTestInstance::shared().dropDatabase(m_dsn);
    }

    void schemaHasEveryTable() {
        const QStringList expected{QStringLiteral("repository"),
                                   QStringLiteral("pull_request"),
                                   QStringLiteral("commit"),
                                   QStringLiteral("issue"),
                                   QStringLiteral("release"),
                                   QStringLiteral("comment"),
                                   QStringLiteral("discussion"),
                                   QStringLiteral("discussion_comment"),
                                   QStringLiteral("label"),
                                   QStringLiteral("issue_label"),
                                   QStringLiteral("pull_request_label"),
                                   QStringLiteral("reaction"),
                                   QStringLiteral("ref"),
                                   QStringLiteral("user")};
        for (const QString &table : expected) {
            const pg::Result r = m_db.execParams(QStringLiteral("SELECT to_regclass($1) IS NOT NULL"),
                                                 {pg::param(QStringLiteral("github.\"%1\"").arg(table))});
            QVERIFY2(r.text(0, 0) == QStringLiteral("t"), qPrintable(table));
        }
        const pg::Result fks = m_db.exec(QStringLiteral("SELECT count(*) FROM pg_constraint WHERE contype = 'f' AND "
                                                        "condeferrable AND connamespace = 'github'::regnamespace"));
        QVERIFY(fks.toInt(0, 0) >= 20);
    }

    void everyFixtureMaps() {
        RowWriter writer(m_db, QStringLiteral("github"));
        QVERIFY(!m_db.run(QStringLiteral("BEGIN")));
        const QJsonObject repo = fixture(QStringLiteral("repos.get.default-response.json")).toObject();
        const qint64 repoId = qint64(repo.value(QStringLiteral("id")).toDouble());
        MapContext ctx{repoId, 0, {}};
        RowWriter::Outcome out;
        QVERIFY(!writer.upsert(*findCollection(QStringLiteral("repository")), {repo}, ctx, &out));
        QCOMPARE(out.written, 1);

        const QList<QPair<QString, QString>> cases{
            {QStringLiteral("issue"), QStringLiteral("issues.get.json")},
            {QStringLiteral("pull_request"), QStringLiteral("pulls.list.json")},
            {QStringLiteral("comment"), QStringLiteral("issues.list-comments-for-repo.json")},
            {QStringLiteral("release"), QStringLiteral("repos.list-releases.json")},
            {QStringLiteral("commit"), QStringLiteral("repos.list-commits.json")},
            {QStringLiteral("label"), QStringLiteral("issues.list-labels-for-repo.json")},
            {QStringLiteral("ref"), QStringLiteral("git.list-matching-refs.json")}};
        for (const auto &[table, file] : cases) {
            const QList<QJsonObject> items = objects(fixture(file));
            QVERIFY2(!items.isEmpty(), qPrintable(file));
            RowWriter::Outcome o;
            const Error e = writer.upsert(*findCollection(table), items, ctx, &o);
            QVERIFY2(!e, qPrintable(table + QStringLiteral(": ") + e.message));
            QVERIFY2(o.written == items.size() && o.malformed == 0, qPrintable(table));
        }
        MapContext reactionCtx{repoId, 1, QStringLiteral("issue")};
        QVERIFY(!writer.upsert(*findCollection(QStringLiteral("reaction")),
                               objects(fixture(QStringLiteral("reactions.list-for-issue.json"))), reactionCtx));
        const Error commit = m_db.run(QStringLiteral("COMMIT")); // deferred FKs are checked here
        QVERIFY2(!commit, qPrintable(commit.message));

        const QJsonObject issue = fixture(QStringLiteral("issues.get.json")).toObject();
        const pg::Result r = m_db.execParams(
            QStringLiteral("SELECT number, title, state, locked, user_id, repository_id, created_at = $2::timestamptz,"
                           " raw->>'title', node_id FROM github.issue WHERE id = $1"),
            {pg::param(qint64(issue.value(QStringLiteral("id")).toDouble())),
             pg::param(issue.value(QStringLiteral("created_at")).toString())});
        QCOMPARE(r.rows(), 1);
        QCOMPARE(r.toInt(0, 0), qint64(issue.value(QStringLiteral("number")).toDouble()));
        QCOMPARE(r.text(0, 1), issue.value(QStringLiteral("title")).toString());
        QCOMPARE(r.text(0, 2), issue.value(QStringLiteral("state")).toString());
        QCOMPARE(r.toInt(0, 4),
                 qint64(issue.value(QStringLiteral("user")).toObject().value(QStringLiteral("id")).toDouble()));
        QCOMPARE(r.toInt(0, 5), repoId);
        QCOMPARE(r.text(0, 6), QStringLiteral("t"));
        QCOMPARE(r.text(0, 7), issue.value(QStringLiteral("title")).toString());
        QCOMPARE(r.text(0, 8), issue.value(QStringLiteral("node_id")).toString());
        // Embedded users became user rows without any extra request.
        QVERIFY(m_db.exec(QStringLiteral("SELECT count(*) FROM github.\"user\"")).toInt(0, 0) >= 1);
        const pg::Result commitRow =
            m_db.exec(QStringLiteral("SELECT author_name, author_date IS NOT NULL FROM github.commit LIMIT 1"));
        QVERIFY(!commitRow.text(0, 0).isEmpty());
        QCOMPARE(commitRow.text(0, 1), QStringLiteral("t"));
        const pg::Result refRow = m_db.exec(QStringLiteral("SELECT ref_type, sha FROM github.ref LIMIT 1"));
        QCOMPARE(refRow.text(0, 0), QStringLiteral("branch"));
    }

    void olderDataNeverOverwritesNewer() {
        RowWriter writer(m_db, QStringLiteral("github"));
        const QJsonObject repo = fixture(QStringLiteral("repos.get.default-response.json")).toObject();
        MapContext ctx{qint64(repo.value(QStringLiteral("id")).toDouble()), 0, {}};
        QVERIFY(!writer.upsert(*findCollection(QStringLiteral("repository")), {repo}, ctx));
        QJsonObject issue = fixture(QStringLiteral("issues.get.json")).toObject();
        issue[QStringLiteral("updated_at")] = QStringLiteral("2024-05-01T10:00:00Z");
        issue[QStringLiteral("title")] = QStringLiteral("newer");
        QVERIFY(!writer.upsert(*findCollection(QStringLiteral("issue")), {issue}, ctx));

        QJsonObject older = issue;
        older[QStringLiteral("updated_at")] = QStringLiteral("2024-04-01T10:00:00Z");
        older[QStringLiteral("title")] = QStringLiteral("older");
        RowWriter::Outcome out;
        QVERIFY(!writer.upsert(*findCollection(QStringLiteral("issue")), {older}, ctx, &out));
        QCOMPARE(out.written, 0);
        QCOMPARE(out.stale, 1);
        QCOMPARE(m_db.exec(QStringLiteral("SELECT title FROM github.issue")).text(0, 0), QStringLiteral("newer"));

        // Within one batch the newest version of a key wins too.
        QJsonObject newest = issue;
        newest[QStringLiteral("updated_at")] = QStringLiteral("2024-06-01T10:00:00Z");
        newest[QStringLiteral("title")] = QStringLiteral("newest");
        QVERIFY(!writer.upsert(*findCollection(QStringLiteral("issue")), {newest, older}, ctx, &out));
        QCOMPARE(m_db.exec(QStringLiteral("SELECT title, count(*) OVER () FROM github.issue")).text(0, 0),
                 QStringLiteral("newest"));
    }

    void labelLinksAreReplaced() {
        RowWriter writer(m_db, QStringLiteral("github"));
        const QJsonObject repo = fixture(QStringLiteral("repos.get.default-response.json")).toObject();
        MapContext ctx{qint64(repo.value(QStringLiteral("id")).toDouble()), 0, {}};
        QVERIFY(!writer.upsert(*findCollection(QStringLiteral("repository")), {repo}, ctx));
        QJsonObject issue = fixture(QStringLiteral("issues.get.json")).toObject();
        const qint64 id = qint64(issue.value(QStringLiteral("id")).toDouble());
        QVERIFY(!issue.value(QStringLiteral("labels")).toArray().isEmpty());
        QVERIFY(!m_db.run(QStringLiteral("BEGIN")));
        QVERIFY(!writer.upsert(*findCollection(QStringLiteral("issue")), {issue}, ctx));
        QVERIFY(!writer.replaceLabels(QStringLiteral("issue_label"), {issue}, {id}, ctx));
        const Error committed = m_db.run(QStringLiteral("COMMIT"));
        QVERIFY2(!committed, qPrintable(committed.message));
        const qint64 before = m_db.exec(QStringLiteral("SELECT count(*) FROM github.issue_label")).toInt(0, 0);
        QCOMPARE(before, qint64(issue.value(QStringLiteral("labels")).toArray().size()));

        issue[QStringLiteral("labels")] = QJsonArray();
        QVERIFY(!writer.replaceLabels(QStringLiteral("issue_label"), {issue}, {id}, ctx));
        QCOMPARE(m_db.exec(QStringLiteral("SELECT count(*) FROM github.issue_label")).toInt(0, 0), qint64(0));
        QVERIFY(m_db.exec(QStringLiteral("SELECT count(*) FROM github.label")).toInt(0, 0) >= 1); // labels stay
    }

    void malformedObjectsAreCountedNotFatal() {
        RowWriter writer(m_db, QStringLiteral("github"));
        const QJsonObject repo = fixture(QStringLiteral("repos.get.default-response.json")).toObject();
        MapContext ctx{qint64(repo.value(QStringLiteral("id")).toDouble()), 0, {}};
        QVERIFY(!writer.upsert(*findCollection(QStringLiteral("repository")), {repo}, ctx));
        QJsonObject good = fixture(QStringLiteral("issues.get.json")).toObject();
        QJsonObject noId = good;
        noId.remove(QStringLiteral("id"));
        QJsonObject badDate = good;
        badDate[QStringLiteral("id")] = 42;
        badDate[QStringLiteral("created_at")] = QStringLiteral("yesterday");
        badDate[QStringLiteral("number")] = QStringLiteral("not a number"); // number is required -> skipped
        RowWriter::Outcome out;
        QVERIFY(!writer.upsert(*findCollection(QStringLiteral("issue")), {good, noId, badDate}, ctx, &out));
        QCOMPARE(out.malformed, 2);
        QCOMPARE(out.written, 1);
    }

    // Values go to the server as binary text[] elements: nothing needs escaping, NULLs stay NULL.
    void awkwardValuesRoundTrip() {
        RowWriter writer(m_db, QStringLiteral("github"));
        const QJsonObject repo = fixture(QStringLiteral("repos.get.default-response.json")).toObject();
        MapContext ctx{qint64(repo.value(QStringLiteral("id")).toDouble()), 0, {}};
        QVERIFY(!writer.upsert(*findCollection(QStringLiteral("repository")), {repo}, ctx));
        QJsonObject issue = fixture(QStringLiteral("issues.get.json")).toObject();
        const QString title = QStringLiteral("tab\there \\N \"quoted\" {braces,comma} \u00e9\nnew line\r\\");
        issue[QStringLiteral("title")] = title;
        issue[QStringLiteral("body")] = QJsonValue::Null;
        QList<QJsonObject> many;
        for (int i = 0; i < 150; ++i) { // one statement, whatever the batch size
            QJsonObject copy = issue;
            copy[QStringLiteral("id")] = 1000 + i;
            copy[QStringLiteral("number")] = 5000 + i;
            many << copy;
        }
        RowWriter::Outcome out;
        QVERIFY(!writer.upsert(*findCollection(QStringLiteral("issue")), many, ctx, &out));
        QCOMPARE(out.written, 150);
        QCOMPARE(out.appliedIds.size(), 150);
        const pg::Result r = m_db.exec(QStringLiteral(
            "SELECT count(*), count(DISTINCT title), min(title), count(body), min(raw->>'title') FROM github.issue"));
        QCOMPARE(r.toInt(0, 0), qint64(150));
        QCOMPARE(r.toInt(0, 1), qint64(1));
        QCOMPARE(r.text(0, 2), title);
        QCOMPARE(r.toInt(0, 3), qint64(0));
        QCOMPARE(r.text(0, 4), title);
    }

    // The raw column takes the object's text as received when the caller has it.
    void rawTextIsStoredAsReceived() {
        RowWriter writer(m_db, QStringLiteral("github"));
        const QJsonObject repo = fixture(QStringLiteral("repos.get.default-response.json")).toObject();
        MapContext ctx{qint64(repo.value(QStringLiteral("id")).toDouble()), 0, {}};
        QVERIFY(!writer.upsert(*findCollection(QStringLiteral("repository")), {repo}, ctx));
        // 2^53 + 1 survives only in the text: a parsed double would round it.
        const QByteArray body =
            QByteArrayLiteral("[ {\"id\": 7, \"number\": 3, \"title\": \"a ] , b\", "
                              "\"big\": 9007199254740993, \"nested\": {\"x\": [1, {\"y\": \"}\"}]}} ,"
                              "\n {\"id\": 8, \"number\": 4, \"n\": 1.5e3} ]");
        QList<QByteArray> elements;
        QVERIFY(splitJsonArray(body, elements));
        QCOMPARE(elements.size(), 2);
        QVERIFY(elements[0].startsWith("{\"id\": 7") && elements[0].endsWith("]}}"));
        QVERIFY(elements[1].isEmpty()); // exponent: serialise the parsed value instead
        const QJsonArray array = QJsonDocument::fromJson(body).array();
        RowWriter::Outcome out;
        QVERIFY(!writer.upsert(*findCollection(QStringLiteral("issue")), {array[0].toObject(), array[1].toObject()},
                               ctx, &out, elements));
        QCOMPARE(out.written, 2);
        const pg::Result r = m_db.exec(QStringLiteral(
            "SELECT raw->>'big', raw->'nested'->'x'->1->>'y', (SELECT raw->>'n' FROM github.issue WHERE id = 8)"
            " FROM github.issue WHERE id = 7"));
        QCOMPARE(r.text(0, 0), QStringLiteral("9007199254740993"));
        QCOMPARE(r.text(0, 1), QStringLiteral("}"));
        QCOMPARE(r.text(0, 2), QStringLiteral("1500"));

        QList<QByteArray> none;
        QVERIFY(splitJsonArray(QByteArrayLiteral(" [ ] "), none));
        QVERIFY(none.isEmpty());
        QVERIFY(!splitJsonArray(QByteArrayLiteral("{\"a\": 1}"), none));
        QVERIFY(!splitJsonArray(QByteArrayLiteral("[{\"a\": 1}"), none)); // cut off
    }

    // Users embedded in many objects are written once per content inside the writer's own transactions;
    // a rolled-back transaction forgets them, a changed user is written again.
    void unchangedUsersAreWrittenOnce() {
        RowWriter writer(m_db, QStringLiteral("github"));
        const QJsonObject repo = fixture(QStringLiteral("repos.get.default-response.json")).toObject();
        MapContext ctx{qint64(repo.value(QStringLiteral("id")).toDouble()), 0, {}};
        QVERIFY(!writer.upsert(*findCollection(QStringLiteral("repository")), {repo}, ctx));
        QJsonObject issue = fixture(QStringLiteral("issues.get.json")).toObject();
        QJsonObject user = issue.value(QStringLiteral("user")).toObject();
        const qint64 userId = qint64(user.value(QStringLiteral("id")).toDouble());
        const auto syncedAt = [&] {
            return m_db.execParams(QStringLiteral("SELECT _synced_at, login FROM github.\"user\" WHERE id = $1"),
                                   {pg::param(userId)});
        };
        const auto writeIssue = [&](const QJsonObject &object, bool commit) {
            QVERIFY(!writer.begin());
            QVERIFY(!writer.upsert(*findCollection(QStringLiteral("issue")), {object}, ctx));
            if (commit)
                QVERIFY(!writer.commit());
            else
                writer.rollback();
        };
        // The repository's owner may be the same user: start without that row.
        QVERIFY(!m_db.run(QStringLiteral("DELETE FROM github.\"user\" WHERE id = $1"), {pg::param(userId)}));
        writeIssue(issue, false); // rolled back: nothing known
        QCOMPARE(syncedAt().rows(), 0);
        writeIssue(issue, true);
        const QString first = syncedAt().text(0, 0);
        QVERIFY(!first.isEmpty());
        issue[QStringLiteral("updated_at")] = QStringLiteral("2030-01-01T00:00:00Z");
        writeIssue(issue, true); // same user object: not written again
        QCOMPARE(syncedAt().text(0, 0), first);
        user[QStringLiteral("login")] = QStringLiteral("renamed");
        issue[QStringLiteral("user")] = user;
        issue[QStringLiteral("updated_at")] = QStringLiteral("2030-01-02T00:00:00Z");
        writeIssue(issue, true); // changed: written
        QCOMPARE(syncedAt().text(0, 1), QStringLiteral("renamed"));
        // Outside the writer's own transactions every user is written (it cannot know what commits).
        QVERIFY(!m_db.run(QStringLiteral("DELETE FROM github.\"user\" WHERE id = $1"), {pg::param(userId)}));
        QVERIFY(!writer.upsert(*findCollection(QStringLiteral("issue")), {issue}, ctx));
        QCOMPARE(syncedAt().text(0, 1), QStringLiteral("renamed"));
    }

private:
    QString m_dsn;
    pg::Connection m_db;
};

QTEST_GUILESS_MAIN(TestRowWriter)
#include "tst_rowwriter.moc"
