// Write-through beyond issues: comments, labels and releases written through the proxy with psql, on a
// real PostgreSQL backfilled from the GitHub simulator. Each table gets an accepted write of every kind
// (checked on the simulator's REST API and in the table), refusals by HubSync and by GitHub (SQLSTATE,
// nothing changed on either side), and a multi-row statement whose later row fails.

#include "livesyncfixture.h"
#include "proxytestsupport.h"
#include "store/pg.h"
#include "writingproxy.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QStandardPaths>
#include <QTest>
#include <QUrl>

using namespace hubsync;

namespace {

const QByteArray writeToken = QByteArrayLiteral("ghp_writer");
const QByteArray readToken = QByteArrayLiteral("ghp_reader");

struct Thread {
    qint64 repositoryId = 0;
    qint64 number = 0;
    QString repo; // owner/name
};

} // namespace

class TestWriteThroughTables : public QObject {
    Q_OBJECT

    test::SimulatorProcess m_sim;
    QString m_dsn;
    QString m_user;
    QString m_database;
    pg::Connection m_db;
    test::WritingProxy m_proxy;
    test::WritingProxy m_readOnly;

    test::ProcessResult psql(const QString &sql, quint16 port = 0) {
        return test::runProcess(
            QStringLiteral("psql"),
            {QStringLiteral("-X"), QStringLiteral("-At"), QStringLiteral("-v"), QStringLiteral("ON_ERROR_STOP=1"),
             QStringLiteral("-v"), QStringLiteral("VERBOSITY=verbose"), QStringLiteral("-h"),
             QStringLiteral("127.0.0.1"), QStringLiteral("-p"), QString::number(port ? port : m_proxy.server->port()),
             QStringLiteral("-U"), m_user, QStringLiteral("-d"), m_database, QStringLiteral("-c"), sql});
    }

    QString value(const QString &sql, const pg::Params &params = {}) {
        const pg::Result r = m_db.execParams(sql, params);
        return r.ok() && r.rows() > 0 ? r.text(0, 0) : QString();
    }

    // An open issue with at least one comment (offset-th of them).
    Thread thread(int offset) {
        const pg::Result r = m_db.execParams(
            QStringLiteral("SELECT i.repository_id, i.number, r.full_name FROM github.issue i JOIN github.repository r"
                           " ON r.id = i.repository_id WHERE i.state = 'open' AND NOT i.locked AND EXISTS (SELECT 1"
                           " FROM github.comment c WHERE c.repository_id = i.repository_id AND c.issue_number ="
                           " i.number) ORDER BY i.id OFFSET $1 LIMIT 1"),
            {pg::param(qint64(offset))});
        Thread t;
        if (r.ok() && r.rows() == 1)
            t = Thread{r.toInt(0, 0), r.toInt(0, 1), r.text(0, 2)};
        return t;
    }

    QList<qint64> commentsOf(const Thread &t) {
        QList<qint64> ids;
        const pg::Result r = m_db.execParams(
            QStringLiteral("SELECT id FROM github.comment WHERE repository_id = $1 AND issue_number = $2 ORDER BY id"),
            {pg::param(t.repositoryId), pg::param(t.number)});
        for (int row = 0; r.ok() && row < r.rows(); ++row)
            ids << r.toInt(row, 0);
        return ids;
    }

    test::SimulatorProcess::Response onGitHub(const QString &path) { return m_sim.request("GET", path, writeToken); }

    // The first output line of a psql -At result, split into its fields.
    static QList<QByteArray> fields(const test::ProcessResult &r) { return r.out.split('\n').first().split('|'); }

private Q_SLOTS:
    void initTestCase() {
        if (QStandardPaths::findExecutable(QStringLiteral("psql")).isEmpty())
            QSKIP("psql is not installed");
        QVERIFY2(m_sim.start({QStringLiteral("--dataset"), QStringLiteral("small"), QStringLiteral("--token"),
                              QString::fromLatin1(writeToken), QStringLiteral("--read-only-token"),
                              QString::fromLatin1(readToken)}),
                 qPrintable(m_sim.error()));
        m_dsn = test::freshSyncDatabase(QStringLiteral("writethrough_tables"));
        QVERIFY2(!m_dsn.isEmpty(), qPrintable(test::PgTestInstance::shared().error()));
        const Config config = test::simulatorConfig(m_sim.baseUrl(), QString::fromLatin1(writeToken));
        const QString backfill = test::runBackfill(m_dsn, config);
        QVERIFY2(backfill.isEmpty(), qPrintable(backfill));
        QVERIFY(!m_db.open(m_dsn));
        const DatabaseEndpoint endpoint = pg::endpointOf(m_dsn);
        m_user = endpoint.user;
        m_database = endpoint.database;
        QString opened = m_proxy.open(m_dsn, config);
        QVERIFY2(opened.isEmpty(), qPrintable(opened));
        opened = m_readOnly.open(m_dsn, test::simulatorConfig(m_sim.baseUrl(), QString::fromLatin1(readToken)));
        QVERIFY2(opened.isEmpty(), qPrintable(opened));
    }

    void commentCreatedEditedDeleted() {
        const Thread t = thread(0);
        QVERIFY(t.number > 0);
        test::ProcessResult r = psql(QStringLiteral("INSERT INTO github.comment (repository_id, issue_number, body) "
                                                    "VALUES (%1, %2, 'said through the proxy') RETURNING id, "
                                                    "issue_number, node_id IS NOT NULL, user_id IS NOT NULL")
                                         .arg(t.repositoryId)
                                         .arg(t.number));
        QVERIFY2(r.ok(), r.describe().constData());
        QVERIFY2(r.out.contains("INSERT 0 1"), r.out.constData());
        const QList<QByteArray> created = fields(r);
        QCOMPARE(created.size(), 4);
        const qint64 id = created.at(0).toLongLong();
        QVERIFY2(id > 0, r.out.constData()); // GitHub's id, not the placeholder
        QCOMPARE(created.at(1).toLongLong(), t.number);
        QCOMPARE(created.at(2), QByteArray("t"));
        QCOMPARE(created.at(3), QByteArray("t")); // the author is stored, as the foreign key needs
        const QString path = QStringLiteral("/repos/%1/issues/comments/%2").arg(t.repo).arg(id);
        QCOMPARE(onGitHub(path).json().object().value(QStringLiteral("body")).toString(),
                 QStringLiteral("said through the proxy"));
        QCOMPARE(value(QStringLiteral("SELECT raw->>'body' FROM github.comment WHERE id = $1"), {pg::param(id)}),
                 QStringLiteral("said through the proxy"));
        QCOMPARE(value(QStringLiteral("SELECT count(*) FROM github.comment WHERE id < 0")), QStringLiteral("0"));

        r = psql(QStringLiteral("UPDATE github.comment SET body = 'edited through the proxy' WHERE id = %1 RETURNING "
                                "body, updated_at >= created_at")
                     .arg(id));
        QVERIFY2(r.ok(), r.describe().constData());
        QVERIFY2(r.out.contains("edited through the proxy|t"), r.out.constData());
        QCOMPARE(onGitHub(path).json().object().value(QStringLiteral("body")).toString(),
                 QStringLiteral("edited through the proxy"));

        r = psql(QStringLiteral("DELETE FROM github.comment WHERE id = %1").arg(id));
        QVERIFY2(r.ok(), r.describe().constData());
        QVERIFY2(r.out.contains("DELETE 1"), r.out.constData());
        QCOMPARE(onGitHub(path).status, 404);
        QCOMPARE(value(QStringLiteral("SELECT count(*) FROM github.comment WHERE id = $1"), {pg::param(id)}),
                 QStringLiteral("0"));
        // Every call is in the write log under the table and row it changed.
        QCOMPARE(value(QStringLiteral("SELECT string_agg(split_part(operation, ' ', 1), ',' ORDER BY id) FROM"
                                      " hubsync.write_log WHERE table_name = 'comment' AND row_id = $1"),
                       {pg::param(id)}),
                 QStringLiteral("POST,PATCH,DELETE")); // the stale check's GET is logged only when it fails
    }

    void commentRefusals() {
        const Thread t = thread(1);
        QVERIFY(t.number > 0);
        const QString count = value(QStringLiteral("SELECT count(*) FROM github.comment"));
        // Refused by HubSync before GitHub: a required column, a column GitHub sets.
        test::ProcessResult r =
            psql(QStringLiteral("INSERT INTO github.comment (repository_id, issue_number) VALUES (%1, %2)")
                     .arg(t.repositoryId)
                     .arg(t.number));
        QVERIFY(!r.ok());
        QVERIFY2(r.err.contains("ERROR:  23502:") && r.err.contains("body"), r.err.constData());
        r = psql(QStringLiteral("INSERT INTO github.comment (repository_id, issue_number, body, html_url) VALUES (%1, "
                                "%2, 'x', 'https://example.invalid/')")
                     .arg(t.repositoryId)
                     .arg(t.number));
        QVERIFY(!r.ok());
        QVERIFY2(r.err.contains("ERROR:  0A000:") && r.err.contains("html_url is assigned by GitHub"),
                 r.err.constData());
        const qint64 id = commentsOf(t).value(0);
        r = psql(QStringLiteral("UPDATE github.comment SET issue_number = issue_number + 1 WHERE id = %1").arg(id));
        QVERIFY(!r.ok());
        QVERIFY2(r.err.contains("ERROR:  0A000:") && r.err.contains("issue_number"), r.err.constData());
        QVERIFY2(r.err.contains("comment rows take body"), r.err.constData()); // HINT: what may change
        // raw is not captured (it is big), but a statement that changes it is still refused.
        r = psql(QStringLiteral("UPDATE github.comment SET raw = '{\"body\": \"forged\"}' WHERE id = %1").arg(id));
        QVERIFY(!r.ok());
        QVERIFY2(r.err.contains("ERROR:  0A000:") && r.err.contains("raw"), r.err.constData());

        // Refused by GitHub: an issue that does not exist, an empty body.
        r = psql(QStringLiteral("INSERT INTO github.comment (repository_id, issue_number, body) VALUES (%1, 987654, "
                                "'lost')")
                     .arg(t.repositoryId));
        QVERIFY(!r.ok());
        QVERIFY2(r.err.contains("ERROR:  42704:") && r.err.contains("HTTP 404"), r.err.constData());
        const QString before = onGitHub(QStringLiteral("/repos/%1/issues/comments/%2").arg(t.repo).arg(id))
                                   .json()
                                   .object()
                                   .value(QStringLiteral("body"))
                                   .toString();
        r = psql(QStringLiteral("UPDATE github.comment SET body = ' ' WHERE id = %1").arg(id));
        QVERIFY(!r.ok());
        QVERIFY2(r.err.contains("ERROR:  23514:") && r.err.contains("HTTP 422"), r.err.constData());
        QVERIFY2(r.err.contains("\"field\":\"body\""), r.err.constData()); // GitHub's errors[] in the DETAIL
        QCOMPARE(onGitHub(QStringLiteral("/repos/%1/issues/comments/%2").arg(t.repo).arg(id))
                     .json()
                     .object()
                     .value(QStringLiteral("body"))
                     .toString(),
                 before);
        QCOMPARE(value(QStringLiteral("SELECT body FROM github.comment WHERE id = $1"), {pg::param(id)}), before);

        // Without write permission: 42501 and the permission named.
        r = psql(QStringLiteral("UPDATE github.comment SET body = 'not allowed' WHERE id = %1").arg(id),
                 m_readOnly.server->port());
        QVERIFY(!r.ok());
        QVERIFY2(r.err.contains("ERROR:  42501:") && r.err.contains("issues: write"), r.err.constData());
        QCOMPARE(value(QStringLiteral("SELECT count(*) FROM github.comment")), count);
    }

    // Row 2 of 2 is refused by GitHub: row 1 is changed back on GitHub, and the table keeps both.
    void commentMultiRowCompensated() {
        const Thread t = thread(2);
        const QList<qint64> ids = commentsOf(t);
        if (ids.size() < 2)
            QSKIP("the dataset has no issue with two comments");
        const QString path = QStringLiteral("/repos/%1/issues/comments/%2").arg(t.repo).arg(ids.at(0));
        const QString firstBody = onGitHub(path).json().object().value(QStringLiteral("body")).toString();
        const test::ProcessResult r =
            psql(QStringLiteral("UPDATE github.comment SET body = CASE WHEN id = %1 THEN 'first changed' ELSE '' END"
                                " WHERE id IN (%1, %2)")
                     .arg(ids.at(0))
                     .arg(ids.at(1)));
        QVERIFY(!r.ok());
        QVERIFY2(r.err.contains("ERROR:  23514:"), r.err.constData());
        QVERIFY2(r.err.contains("row 2 of 2"), r.err.constData());
        QVERIFY2(r.err.contains("changed back"), r.err.constData()); // DETAIL: what became of row 1
        QCOMPARE(onGitHub(path).json().object().value(QStringLiteral("body")).toString(), firstBody);
        QCOMPARE(value(QStringLiteral("SELECT body FROM github.comment WHERE id = $1"), {pg::param(ids.at(0))}),
                 firstBody);
    }

    void commentChangedOnGitHubIsRefreshed() {
        const Thread t = thread(0);
        const qint64 id = commentsOf(t).value(0);
        const QString path = QStringLiteral("/repos/%1/issues/comments/%2").arg(t.repo).arg(id);
        const auto edited = m_sim.request(
            "PATCH", path, writeToken,
            QJsonDocument(QJsonObject{{QStringLiteral("body"), QStringLiteral("edited on GitHub")}}).toJson());
        QCOMPARE(edited.status, 200);
        const test::ProcessResult r =
            psql(QStringLiteral("UPDATE github.comment SET body = 'edited through the proxy' WHERE id = %1").arg(id));
        QVERIFY(!r.ok());
        QVERIFY2(r.err.contains("ERROR:  40001:"), r.err.constData());
        QCOMPARE(value(QStringLiteral("SELECT body FROM github.comment WHERE id = $1"), {pg::param(id)}),
                 QStringLiteral("edited on GitHub"));
    }

    void labelCreatedRenamedDeleted() {
        const Thread t = thread(0);
        // A label with the issue that carries it: renaming and deleting it changes the issue's label_names.
        const pg::Result linked = m_db.execParams(
            QStringLiteral("SELECT l.id, l.name, i.id FROM github.label l JOIN github.issue_label il ON il.label_id ="
                           " l.id JOIN github.issue i ON i.id = il.issue_id WHERE l.repository_id = $1 AND"
                           " i.label_names @> jsonb_build_array(l.name) ORDER BY l.id LIMIT 1"),
            {pg::param(t.repositoryId)});
        QVERIFY(linked.ok());
        if (linked.rows() == 0)
            QSKIP("the dataset has no labelled issue in this repository");
        const qint64 labelId = linked.toInt(0, 0);
        const QString name = linked.text(0, 1);
        const qint64 issueId = linked.toInt(0, 2);

        test::ProcessResult r = psql(QStringLiteral("INSERT INTO github.label (repository_id, name, color, description)"
                                                    " VALUES (%1, 'made by sql', '#FF8800', 'through the proxy')"
                                                    " RETURNING id, color, node_id IS NOT NULL")
                                         .arg(t.repositoryId));
        QVERIFY2(r.ok(), r.describe().constData());
        QList<QByteArray> created = fields(r);
        QVERIFY2(created.at(0).toLongLong() > 0, r.out.constData());
        QCOMPARE(created.at(1), QByteArray("ff8800")); // GitHub's spelling of the colour
        QCOMPARE(created.at(2), QByteArray("t"));
        QCOMPARE(onGitHub(QStringLiteral("/repos/%1/labels/made%20by%20sql").arg(t.repo)).status, 200);

        r = psql(QStringLiteral("UPDATE github.label SET name = '%1 renamed' WHERE id = %2 RETURNING name")
                     .arg(name)
                     .arg(labelId));
        QVERIFY2(r.ok(), r.describe().constData());
        const QString renamed = name + QStringLiteral(" renamed");
        QCOMPARE(onGitHub(QStringLiteral("/repos/%1/labels/%2")
                              .arg(t.repo, QString::fromLatin1(QUrl::toPercentEncoding(renamed))))
                     .status,
                 200);
        QCOMPARE(value(QStringLiteral("SELECT label_names @> jsonb_build_array($2::text) AND NOT label_names @>"
                                      " jsonb_build_array($3::text) FROM github.issue WHERE id = $1"),
                       {pg::param(issueId), pg::param(renamed), pg::param(name)}),
                 QStringLiteral("t"));

        r = psql(QStringLiteral("DELETE FROM github.label WHERE id = %1").arg(labelId));
        QVERIFY2(r.ok(), r.describe().constData());
        QCOMPARE(onGitHub(QStringLiteral("/repos/%1/labels/%2")
                              .arg(t.repo, QString::fromLatin1(QUrl::toPercentEncoding(renamed))))
                     .status,
                 404);
        QCOMPARE(
            value(QStringLiteral("SELECT label_names @> jsonb_build_array($2::text) FROM github.issue WHERE id = $1"),
                  {pg::param(issueId), pg::param(renamed)}),
            QStringLiteral("f"));
        QCOMPARE(
            value(QStringLiteral("SELECT count(*) FROM github.issue_label WHERE label_id = $1"), {pg::param(labelId)}),
            QStringLiteral("0"));
    }

    void labelRefusals() {
        const Thread t = thread(0);
        const QString count = value(QStringLiteral("SELECT count(*) FROM github.label"));
        test::ProcessResult r = psql(
            QStringLiteral("INSERT INTO github.label (repository_id, name, color) VALUES (%1, 'bad colour', 'zzz')")
                .arg(t.repositoryId));
        QVERIFY(!r.ok());
        QVERIFY2(r.err.contains("ERROR:  23514:") && r.err.contains("\"field\":\"color\""), r.err.constData());
        const QString existing =
            value(QStringLiteral("SELECT name FROM github.label WHERE repository_id = $1 ORDER BY id LIMIT 1"),
                  {pg::param(t.repositoryId)});
        r = psql(QStringLiteral("INSERT INTO github.label (repository_id, name) VALUES (%1, '%2')")
                     .arg(t.repositoryId)
                     .arg(existing));
        QVERIFY(!r.ok());
        QVERIFY2(r.err.contains("ERROR:  23514:") && r.err.contains("already_exists"), r.err.constData());
        QCOMPARE(value(QStringLiteral("SELECT count(*) FROM github.label")), count);
        // Two inserts in one transaction, the second refused: the first is deleted again on GitHub.
        r = psql(QStringLiteral("INSERT INTO github.label (repository_id, name, color) VALUES (%1, 'kept?', 'aaaaaa'),"
                                " (%1, 'never', 'nothex')")
                     .arg(t.repositoryId));
        QVERIFY(!r.ok());
        QVERIFY2(r.err.contains("deleted again"), r.err.constData());
        QCOMPARE(onGitHub(QStringLiteral("/repos/%1/labels/kept%3F").arg(t.repo)).status, 404);
        QCOMPARE(value(QStringLiteral("SELECT count(*) FROM github.label")), count);
    }

    void releaseCreatedEditedDeleted() {
        const Thread t = thread(0);
        test::ProcessResult r =
            psql(QStringLiteral("INSERT INTO github.release (repository_id, tag_name, name, body, draft) VALUES (%1,"
                                " 'v9.9.9', 'Nine', 'notes', true) RETURNING id, draft, author_id IS NOT NULL")
                     .arg(t.repositoryId));
        QVERIFY2(r.ok(), r.describe().constData());
        const QList<QByteArray> created = fields(r);
        const qint64 id = created.at(0).toLongLong();
        QVERIFY2(id > 0, r.out.constData());
        QCOMPARE(created.at(1), QByteArray("t"));
        const QString path = QStringLiteral("/repos/%1/releases/%2").arg(t.repo).arg(id);
        QCOMPARE(onGitHub(path).json().object().value(QStringLiteral("name")).toString(), QStringLiteral("Nine"));

        r = psql(QStringLiteral("UPDATE github.release SET name = 'Nine, final', draft = false WHERE id = %1 RETURNING"
                                " name, draft")
                     .arg(id));
        QVERIFY2(r.ok(), r.describe().constData());
        QVERIFY2(r.out.contains("Nine, final|f"), r.out.constData());
        const QJsonObject edited = onGitHub(path).json().object();
        QCOMPARE(edited.value(QStringLiteral("name")).toString(), QStringLiteral("Nine, final"));
        QCOMPARE(edited.value(QStringLiteral("draft")).toBool(), false);

        // A second release of the same tag: GitHub says already_exists.
        r = psql(QStringLiteral("INSERT INTO github.release (repository_id, tag_name) VALUES (%1, 'v9.9.9')")
                     .arg(t.repositoryId));
        QVERIFY(!r.ok());
        QVERIFY2(r.err.contains("ERROR:  23514:") && r.err.contains("already_exists"), r.err.constData());

        r = psql(QStringLiteral("DELETE FROM github.release WHERE id = %1").arg(id));
        QVERIFY2(r.ok(), r.describe().constData());
        QCOMPARE(onGitHub(path).status, 404);
        QCOMPARE(value(QStringLiteral("SELECT count(*) FROM github.release WHERE id = $1"), {pg::param(id)}),
                 QStringLiteral("0"));
    }

    // Writes to several tables in one transaction: each statement goes to GitHub as it runs, and the
    // table keeps GitHub's rows at COMMIT.
    void transactionAcrossTables() {
        const Thread t = thread(0);
        const test::ProcessResult r = test::runProcess(
            QStringLiteral("psql"),
            {QStringLiteral("-X"), QStringLiteral("-At"), QStringLiteral("-v"), QStringLiteral("ON_ERROR_STOP=1"),
             QStringLiteral("-h"), QStringLiteral("127.0.0.1"), QStringLiteral("-p"),
             QString::number(m_proxy.server->port()), QStringLiteral("-U"), m_user, QStringLiteral("-d"), m_database},
            test::ProcessOptions{
                {},
                QStringLiteral("BEGIN;\n"
                               "INSERT INTO github.label (repository_id, name) VALUES (%1, 'in a block');\n"
                               "INSERT INTO github.comment (repository_id, issue_number, body) VALUES "
                               "(%1, %2, 'in a block');\n"
                               "COMMIT;\n")
                    .arg(t.repositoryId)
                    .arg(t.number)
                    .toUtf8()});
        QVERIFY2(r.ok(), r.describe().constData());
        QCOMPARE(value(QStringLiteral("SELECT count(*) FROM github.label WHERE name = 'in a block' AND id > 0")),
                 QStringLiteral("1"));
        QCOMPARE(value(QStringLiteral("SELECT count(*) FROM github.comment WHERE body = 'in a block' AND id > 0")),
                 QStringLiteral("1"));
        QCOMPARE(onGitHub(QStringLiteral("/repos/%1/labels/in%20a%20block").arg(t.repo)).status, 200);
    }

    void reactionsAddedAndRemoved() {
        const Thread t = thread(0);
        const QString issueId =
            value(QStringLiteral("SELECT id FROM github.issue WHERE repository_id = $1 AND number = $2"),
                  {pg::param(t.repositoryId), pg::param(t.number)});
        const qint64 commentId = commentsOf(t).value(0);
        // repository_id is left out: the subject's is used.
        test::ProcessResult r = psql(QStringLiteral("INSERT INTO github.reaction (subject_type, subject_id, content)"
                                                    " VALUES ('issue', %1, 'heart'), ('comment', %2, 'rocket')"
                                                    " RETURNING id, repository_id, user_id IS NOT NULL")
                                         .arg(issueId)
                                         .arg(commentId));
        QVERIFY2(r.ok(), r.describe().constData());
        QVERIFY2(r.out.contains("INSERT 0 2"), r.out.constData());
        const QList<QByteArray> lines = r.out.split('\n');
        const QList<QByteArray> onIssue = lines.at(0).split('|');
        const QList<QByteArray> onComment = lines.at(1).split('|');
        QVERIFY2(onIssue.at(0).toLongLong() > 0 && onComment.at(0).toLongLong() > 0, r.out.constData());
        QCOMPARE(onIssue.at(1).toLongLong(), t.repositoryId);
        QCOMPARE(onIssue.at(2), QByteArray("t"));
        const auto reactionIds = [&](const QString &path) {
            QList<qint64> ids;
            for (const QJsonValue &v : onGitHub(path).json().array())
                ids << qint64(v.toObject().value(QStringLiteral("id")).toDouble());
            return ids;
        };
        const QString issueReactions = QStringLiteral("/repos/%1/issues/%2/reactions").arg(t.repo).arg(t.number);
        const QString commentReactions =
            QStringLiteral("/repos/%1/issues/comments/%2/reactions").arg(t.repo).arg(commentId);
        QVERIFY(reactionIds(issueReactions).contains(onIssue.at(0).toLongLong()));
        QVERIFY(reactionIds(commentReactions).contains(onComment.at(0).toLongLong()));
        QCOMPARE(value(QStringLiteral("SELECT subject_type || ':' || content FROM github.reaction WHERE id = $1"),
                       {pg::param(onComment.at(0).toLongLong())}),
                 QStringLiteral("comment:rocket"));

        // GitHub's refusal of an unknown content, and HubSync's of a change in place.
        r = psql(QStringLiteral("INSERT INTO github.reaction (subject_type, subject_id, content) VALUES ('issue', %1,"
                                " 'bogus')")
                     .arg(issueId));
        QVERIFY(!r.ok());
        QVERIFY2(r.err.contains("ERROR:  23514:") && r.err.contains("\"field\":\"content\""), r.err.constData());
        r = psql(QStringLiteral("UPDATE github.reaction SET content = 'laugh' WHERE id = %1").arg(onIssue.at(0)));
        QVERIFY(!r.ok());
        QVERIFY2(r.err.contains("ERROR:  0A000:") && r.err.contains("DELETE it and INSERT"), r.err.constData());

        r = psql(
            QStringLiteral("DELETE FROM github.reaction WHERE id IN (%1, %2)").arg(onIssue.at(0), onComment.at(0)));
        QVERIFY2(r.ok(), r.describe().constData());
        QVERIFY2(r.out.contains("DELETE 2"), r.out.constData());
        QVERIFY(!reactionIds(issueReactions).contains(onIssue.at(0).toLongLong()));
        QVERIFY(!reactionIds(commentReactions).contains(onComment.at(0).toLongLong()));
    }

    // issue_label rows add and remove labels on GitHub, and issue.label_names follows them.
    void labelLinksFollowTheIssue() {
        const Thread t = thread(1);
        const pg::Result pick = m_db.execParams(
            QStringLiteral("SELECT i.id, l.id, l.name FROM github.issue i JOIN github.label l ON l.repository_id ="
                           " i.repository_id WHERE i.repository_id = $1 AND i.number = $2 AND NOT EXISTS (SELECT 1"
                           " FROM github.issue_label il WHERE il.issue_id = i.id AND il.label_id = l.id)"
                           " ORDER BY l.id LIMIT 1"),
            {pg::param(t.repositoryId), pg::param(t.number)});
        QVERIFY(pick.ok() && pick.rows() == 1);
        const qint64 issueId = pick.toInt(0, 0);
        const qint64 labelId = pick.toInt(0, 1);
        const QString name = pick.text(0, 2);
        const QString issuePath = QStringLiteral("/repos/%1/issues/%2").arg(t.repo).arg(t.number);
        const auto labelsOnGitHub = [&] {
            QStringList names;
            for (const QJsonValue &l : onGitHub(issuePath).json().object().value(QStringLiteral("labels")).toArray())
                names << l.toObject().value(QStringLiteral("name")).toString();
            return names;
        };
        const QString hasName =
            QStringLiteral("SELECT label_names @> jsonb_build_array($2::text) FROM github.issue WHERE id = $1");

        test::ProcessResult r =
            psql(QStringLiteral("INSERT INTO github.issue_label (issue_id, label_id) VALUES (%1, %2)"
                                " RETURNING issue_id, label_id")
                     .arg(issueId)
                     .arg(labelId));
        QVERIFY2(r.ok(), r.describe().constData());
        QVERIFY2(r.out.contains(QStringLiteral("%1|%2").arg(issueId).arg(labelId).toUtf8()), r.out.constData());
        QVERIFY(labelsOnGitHub().contains(name));
        QCOMPARE(value(hasName, {pg::param(issueId), pg::param(name)}), QStringLiteral("t"));

        r = psql(QStringLiteral("DELETE FROM github.issue_label WHERE issue_id = %1 AND label_id = %2")
                     .arg(issueId)
                     .arg(labelId));
        QVERIFY2(r.ok(), r.describe().constData());
        QVERIFY2(r.out.contains("DELETE 1"), r.out.constData());
        QVERIFY(!labelsOnGitHub().contains(name));
        QCOMPARE(value(hasName, {pg::param(issueId), pg::param(name)}), QStringLiteral("f"));

        r = psql(QStringLiteral("UPDATE github.issue_label SET label_id = label_id WHERE issue_id = %1").arg(issueId));
        if (!r.out.contains("UPDATE 0")) {
            QVERIFY(!r.ok());
            QVERIFY2(r.err.contains("ERROR:  0A000:") && r.err.contains("DELETE it and INSERT"), r.err.constData());
        }
    }

    // pull_request_label rows label pull requests on GitHub.
    void pullRequestLabels() {
        const pg::Result pick = m_db.execParams(
            QStringLiteral("SELECT p.id, p.number, r.full_name, l.id, l.name FROM github.pull_request p JOIN"
                           " github.repository r ON r.id = p.repository_id JOIN github.label l ON l.repository_id ="
                           " p.repository_id WHERE NOT EXISTS (SELECT 1 FROM github.pull_request_label pl WHERE"
                           " pl.pull_request_id = p.id AND pl.label_id = l.id) ORDER BY p.id, l.id LIMIT 1"),
            {});
        if (!pick.ok() || pick.rows() == 0)
            QSKIP("the dataset has no pull request to label");
        const QString path = QStringLiteral("/repos/%1/issues/%2").arg(pick.text(0, 2)).arg(pick.toInt(0, 1));
        const auto labelled = [&] {
            for (const QJsonValue &l : onGitHub(path).json().object().value(QStringLiteral("labels")).toArray())
                if (l.toObject().value(QStringLiteral("name")).toString() == pick.text(0, 4))
                    return true;
            return false;
        };
        test::ProcessResult r = psql(QStringLiteral("INSERT INTO github.pull_request_label (pull_request_id, label_id)"
                                                    " VALUES (%1, %2)")
                                         .arg(pick.toInt(0, 0))
                                         .arg(pick.toInt(0, 3)));
        QVERIFY2(r.ok(), r.describe().constData());
        QVERIFY(labelled());
        r = psql(QStringLiteral("DELETE FROM github.pull_request_label WHERE pull_request_id = %1 AND label_id = %2")
                     .arg(pick.toInt(0, 0))
                     .arg(pick.toInt(0, 3)));
        QVERIFY2(r.ok(), r.describe().constData());
        QVERIFY(!labelled());
    }

    // Branches: created at a commit, moved forward, refused a move backwards, deleted.
    void refsCreatedMovedDeleted() {
        const Thread t = thread(0);
        const pg::Result commits = m_db.execParams(
            QStringLiteral("SELECT sha FROM github.commit WHERE repository_id = $1 ORDER BY committer_date DESC"
                           " LIMIT 2"),
            {pg::param(t.repositoryId)});
        if (!commits.ok() || commits.rows() < 2)
            QSKIP("the dataset has fewer than two commits in this repository");
        const QString newer = commits.text(0, 0);
        const QString older = commits.text(1, 0);
        const QString path = QStringLiteral("/repos/%1/git/ref/heads/from-sql").arg(t.repo);
        const QString sha =
            QStringLiteral("SELECT sha FROM github.ref WHERE repository_id = $1 AND name = 'refs/heads/from-sql'");

        test::ProcessResult r = psql(QStringLiteral("INSERT INTO github.ref (repository_id, name, sha) VALUES (%1,"
                                                    " 'refs/heads/from-sql', '%2') RETURNING ref_type, sha")
                                         .arg(t.repositoryId)
                                         .arg(older));
        QVERIFY2(r.ok(), r.describe().constData());
        QVERIFY2(r.out.contains(QByteArray(QByteArray("branch|") + older.toUtf8())), r.out.constData());
        QCOMPARE(onGitHub(path)
                     .json()
                     .object()
                     .value(QStringLiteral("object"))
                     .toObject()
                     .value(QStringLiteral("sha"))
                     .toString(),
                 older);

        r = psql(QStringLiteral("UPDATE github.ref SET sha = '%1' WHERE repository_id = %2 AND name ="
                                " 'refs/heads/from-sql'")
                     .arg(newer)
                     .arg(t.repositoryId));
        QVERIFY2(r.ok(), r.describe().constData());
        QCOMPARE(onGitHub(path)
                     .json()
                     .object()
                     .value(QStringLiteral("object"))
                     .toObject()
                     .value(QStringLiteral("sha"))
                     .toString(),
                 newer);
        QCOMPARE(value(sha, {pg::param(t.repositoryId)}), newer);

        // Backwards is not a fast-forward: GitHub refuses, and nothing moves.
        r = psql(QStringLiteral("UPDATE github.ref SET sha = '%1' WHERE repository_id = %2 AND name ="
                                " 'refs/heads/from-sql'")
                     .arg(older)
                     .arg(t.repositoryId));
        QVERIFY(!r.ok());
        QVERIFY2(r.err.contains("ERROR:  23514:") && r.err.contains("fast forward"), r.err.constData());
        QCOMPARE(value(sha, {pg::param(t.repositoryId)}), newer);

        r = psql(QStringLiteral("INSERT INTO github.ref (repository_id, name, sha) VALUES (%1, 'from-sql-2', '%2')")
                     .arg(t.repositoryId)
                     .arg(older));
        QVERIFY(!r.ok());
        QVERIFY2(r.err.contains("refs/heads/"), r.err.constData());

        // A protected branch is neither moved nor deleted: GitHub's 422, and the row stays.
        QCOMPARE(m_sim
                     .request("PUT", QStringLiteral("/_sim/repos/%1/branches/from-sql/protection").arg(t.repo), {},
                              QJsonDocument(QJsonObject{{QStringLiteral("protected"), true}}).toJson())
                     .status,
                 200);
        r = psql(QStringLiteral("DELETE FROM github.ref WHERE repository_id = %1 AND name = 'refs/heads/from-sql'")
                     .arg(t.repositoryId));
        QVERIFY(!r.ok());
        QVERIFY2(r.err.contains("ERROR:  23514:") && r.err.contains("Reference update failed"), r.err.constData());
        QCOMPARE(value(sha, {pg::param(t.repositoryId)}), newer);
        QCOMPARE(m_sim
                     .request("PUT", QStringLiteral("/_sim/repos/%1/branches/from-sql/protection").arg(t.repo), {},
                              QJsonDocument(QJsonObject{{QStringLiteral("protected"), false}}).toJson())
                     .status,
                 200);

        r = psql(QStringLiteral("DELETE FROM github.ref WHERE repository_id = %1 AND name = 'refs/heads/from-sql'")
                     .arg(t.repositoryId));
        QVERIFY2(r.ok(), r.describe().constData());
        QCOMPARE(onGitHub(path).status, 404);
        QCOMPARE(value(sha, {pg::param(t.repositoryId)}), QString());
    }

    void pullRequestUpdated() {
        const pg::Result pr = m_db.execParams(
            QStringLiteral(
                "SELECT p.id, p.number, r.full_name, p.repository_id FROM github.pull_request p JOIN"
                " github.repository r ON r.id = p.repository_id WHERE p.state = 'open' ORDER BY p.id LIMIT 1"),
            {});
        if (!pr.ok() || pr.rows() == 0)
            QSKIP("the dataset has no open pull request");
        const qint64 id = pr.toInt(0, 0);
        const QString path = QStringLiteral("/repos/%1/pulls/%2").arg(pr.text(0, 2)).arg(pr.toInt(0, 1));
        test::ProcessResult r = psql(
            QStringLiteral("UPDATE github.pull_request SET title = 'retitled through the proxy' WHERE id = %1 RETURNING"
                           " title")
                .arg(id));
        QVERIFY2(r.ok(), r.describe().constData());
        QCOMPARE(onGitHub(path).json().object().value(QStringLiteral("title")).toString(),
                 QStringLiteral("retitled through the proxy"));
        // A base branch that does not exist: GitHub's 422.
        r = psql(QStringLiteral("UPDATE github.pull_request SET base_ref = 'no-such-branch' WHERE id = %1").arg(id));
        QVERIFY(!r.ok());
        QVERIFY2(r.err.contains("ERROR:  23514:") && r.err.contains("\"field\":\"base\""), r.err.constData());
        QCOMPARE(value(QStringLiteral("SELECT base_ref FROM github.pull_request WHERE id = $1"), {pg::param(id)}),
                 QStringLiteral("main"));
        // What SQL cannot do to a pull request, and what to do instead.
        r = psql(QStringLiteral("INSERT INTO github.pull_request (repository_id, title) VALUES (%1, 'x')")
                     .arg(pr.toInt(0, 3)));
        QVERIFY(!r.ok());
        QVERIFY2(r.err.contains("ERROR:  0A000:") && r.err.contains("head branch"), r.err.constData());
        r = psql(QStringLiteral("DELETE FROM github.pull_request WHERE id = %1").arg(id));
        QVERIFY(!r.ok());
        QVERIFY2(r.err.contains("ERROR:  0A000:") && r.err.contains("state = 'closed'"), r.err.constData());
        r = psql(
            QStringLiteral("UPDATE github.pull_request SET state = 'closed' WHERE id = %1 RETURNING state").arg(id));
        QVERIFY2(r.ok(), r.describe().constData());
        QCOMPARE(onGitHub(path).json().object().value(QStringLiteral("state")).toString(), QStringLiteral("closed"));
    }

    // Discussions and their comments go through GitHub's GraphQL mutations.
    void discussionsWritten() {
        const pg::Result repo = m_db.execParams(
            QStringLiteral("SELECT d.repository_id, r.full_name FROM github.discussion d JOIN github.repository r ON"
                           " r.id = d.repository_id ORDER BY d.id LIMIT 1"),
            {});
        if (!repo.ok() || repo.rows() == 0)
            QSKIP("the dataset has no discussions");
        const qint64 repositoryId = repo.toInt(0, 0);
        const QString owner = repo.text(0, 1).section(QLatin1Char('/'), 0, 0);
        const QString name = repo.text(0, 1).section(QLatin1Char('/'), 1);
        const auto onGitHubDiscussion = [&](qint64 number) {
            const QByteArray query =
                QJsonDocument(
                    QJsonObject{{QStringLiteral("query"),
                                 QStringLiteral("{ repository(owner: \"%1\", name: \"%2\") { discussion(number:"
                                                " %3) { title body category { name } comments(first: 10) {"
                                                " nodes { body } } } } }")
                                     .arg(owner, name)
                                     .arg(number)}})
                    .toJson();
            return m_sim.request("POST", QStringLiteral("/graphql"), writeToken, query)
                .json()
                .object()
                .value(QStringLiteral("data"))
                .toObject()
                .value(QStringLiteral("repository"))
                .toObject()
                .value(QStringLiteral("discussion"))
                .toObject();
        };

        test::ProcessResult r =
            psql(QStringLiteral("INSERT INTO github.discussion (repository_id, title, body) VALUES (%1,"
                                " 'asked through SQL', 'Is this on GitHub?') RETURNING id, number,"
                                " category, node_id IS NOT NULL")
                     .arg(repositoryId));
        QVERIFY2(r.ok(), r.describe().constData());
        const QList<QByteArray> created = fields(r);
        const qint64 id = created.at(0).toLongLong();
        const qint64 number = created.at(1).toLongLong();
        QVERIFY2(id > 0 && number > 0, r.out.constData());
        QCOMPARE(created.at(2), QByteArray("General")); // the category when none is named
        QCOMPARE(onGitHubDiscussion(number).value(QStringLiteral("title")).toString(),
                 QStringLiteral("asked through SQL"));

        r = psql(
            QStringLiteral("UPDATE github.discussion SET title = 'renamed through SQL', category = 'Ideas' WHERE id ="
                           " %1 RETURNING title, category")
                .arg(id));
        QVERIFY2(r.ok(), r.describe().constData());
        QVERIFY2(r.out.contains("renamed through SQL|Ideas"), r.out.constData());
        QJsonObject github = onGitHubDiscussion(number);
        QCOMPARE(github.value(QStringLiteral("title")).toString(), QStringLiteral("renamed through SQL"));
        QCOMPARE(github.value(QStringLiteral("category")).toObject().value(QStringLiteral("name")).toString(),
                 QStringLiteral("Ideas"));
        // Refusals: a category the repository does not have, an empty body (GitHub's UNPROCESSABLE).
        r = psql(QStringLiteral("UPDATE github.discussion SET category = 'Nonsense' WHERE id = %1").arg(id));
        QVERIFY(!r.ok());
        QVERIFY2(r.err.contains("ERROR:  23503:") && r.err.contains("Q&A"), r.err.constData());
        r = psql(QStringLiteral("UPDATE github.discussion SET body = ' ' WHERE id = %1").arg(id));
        QVERIFY(!r.ok());
        QVERIFY2(r.err.contains("ERROR:  22023:") && r.err.contains("Body can't be blank"), r.err.constData());

        // A comment, left out repository_id filled from the discussion.
        r = psql(QStringLiteral("INSERT INTO github.discussion_comment (discussion_id, body) VALUES (%1, 'answered"
                                " through SQL') RETURNING id, repository_id")
                     .arg(id));
        QVERIFY2(r.ok(), r.describe().constData());
        const qint64 commentId = fields(r).at(0).toLongLong();
        QVERIFY2(commentId > 0, r.out.constData());
        QCOMPARE(fields(r).at(1).toLongLong(), repositoryId);
        r = psql(QStringLiteral("UPDATE github.discussion_comment SET body = 'edited through SQL' WHERE id = %1")
                     .arg(commentId));
        QVERIFY2(r.ok(), r.describe().constData());
        github = onGitHubDiscussion(number);
        QCOMPARE(github.value(QStringLiteral("comments"))
                     .toObject()
                     .value(QStringLiteral("nodes"))
                     .toArray()
                     .at(0)
                     .toObject()
                     .value(QStringLiteral("body"))
                     .toString(),
                 QStringLiteral("edited through SQL"));
        r = psql(QStringLiteral("DELETE FROM github.discussion_comment WHERE id = %1").arg(commentId));
        QVERIFY2(r.ok(), r.describe().constData());
        QVERIFY(onGitHubDiscussion(number)
                    .value(QStringLiteral("comments"))
                    .toObject()
                    .value(QStringLiteral("nodes"))
                    .toArray()
                    .isEmpty());

        r = psql(QStringLiteral("DELETE FROM github.discussion WHERE id = %1").arg(id));
        QVERIFY2(r.ok(), r.describe().constData());
        QVERIFY(onGitHubDiscussion(number).isEmpty());
        QCOMPARE(value(QStringLiteral("SELECT count(*) FROM github.discussion WHERE id = $1"), {pg::param(id)}),
                 QStringLiteral("0"));
    }

    // Every written table through an extended-protocol driver (psycopg 3, server-side binding).
    void extendedProtocolDriver() {
        const QString python = test::pythonWith(QStringLiteral("psycopg"));
        if (python.isEmpty())
            QSKIP("psycopg 3 is not installed (see installer/install-deps.sh)");
        const Thread t = thread(2);
        const QString issueId =
            value(QStringLiteral("SELECT id FROM github.issue WHERE repository_id = $1 AND number = $2"),
                  {pg::param(t.repositoryId), pg::param(t.number)});
        const QString dsn = QStringLiteral("host=127.0.0.1 port=%1 dbname=%2 user=%3 connect_timeout=10")
                                .arg(m_proxy.server->port())
                                .arg(m_database, m_user);
        test::ProcessOptions options;
        options.timeoutMs = 180000; // GitHub's writes are paced a second apart
        const test::ProcessResult r =
            test::runProcess(python,
                             {qEnvironmentVariable("HUBSYNC_SOURCE_DIR", QStringLiteral(HUBSYNC_TEST_SOURCE_DIR)) +
                                  QStringLiteral("/tests/proxy/clients/psycopg3_tables.py"),
                              dsn, QString::number(t.repositoryId), issueId, QString::number(t.number)},
                             options);
        QVERIFY2(r.ok() && r.out.contains("OK psycopg3 tables"), r.describe().constData());
        // Every table's calls are in the write log.
        QCOMPARE(value(QStringLiteral("SELECT string_agg(DISTINCT table_name, ',' ORDER BY table_name) FROM"
                                      " hubsync.write_log WHERE client = (SELECT client FROM hubsync.write_log WHERE"
                                      " request->>'body' = 'psycopg one' LIMIT 1)")),
                 QStringLiteral("comment,discussion,discussion_comment,issue_label,label,pull_request,"
                                "pull_request_label,reaction,ref,release"));
    }

    void readOnlyTablesSayWhichAreWritable() {
        const test::ProcessResult r = psql(QStringLiteral("UPDATE github.commit SET message = 'x'"));
        QVERIFY(!r.ok());
        QVERIFY2(r.err.contains("ERROR:  25006:"), r.err.constData());
        QVERIFY2(r.err.contains("github.comment") && r.err.contains("github.discussion"), r.err.constData());
    }
};

QTEST_GUILESS_MAIN(TestWriteThroughTables)
#include "tst_writethrough_tables.moc"
