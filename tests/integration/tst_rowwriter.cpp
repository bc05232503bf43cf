#include "catalog/catalog.h"
#include "catalog/rowwriter.h"
#include "catalog/schema.h"
#include "pgtestinstance.h"
#include "store/pg.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QTest>

using namespace hubsync;
using namespace hubsync::catalog;
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

// tst_rowwriter_copy runs the same cases with HUBSYNC_TEST_SMALL_BATCH=0: every batch through COPY.
int smallBatchRows() {
    bool ok = false;
    const int rows = qEnvironmentVariableIntValue("HUBSYNC_TEST_SMALL_BATCH", &ok);
    return ok ? rows : 20;
}

} // namespace

// The catalog's schema, mapping and guarded upserts, on real GitHub example bodies and a real server.
class TestRowWriter : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void init() {
        m_dsn = PgTestInstance::shared().createDatabase(QString::fromLatin1(QTest::currentTestFunction()));
        QVERIFY2(!m_dsn.isEmpty(), qPrintable(PgTestInstance::shared().error()));
        QVERIFY(!m_db.open(m_dsn));
        Migrator migrator(m_db, QStringLiteral("github"));
        const Error e = migrator.migrate(allMigrations());
        QVERIFY2(!e, qPrintable(e.message));
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
        writer.setSmallBatchRows(smallBatchRows());
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
        writer.setSmallBatchRows(smallBatchRows());
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
        writer.setSmallBatchRows(smallBatchRows());
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
        writer.setSmallBatchRows(smallBatchRows());
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

private:
    QString m_dsn;
    pg::Connection m_db;
};

QTEST_GUILESS_MAIN(TestRowWriter)
#include "tst_rowwriter.moc"
