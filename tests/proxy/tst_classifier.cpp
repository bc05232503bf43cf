#include "proxy/classifier.h"

#include <QTest>

using namespace hubsync::proxy;
using K = Classification::Kind;
using C = Classification::Command;

Q_DECLARE_METATYPE(Classification::Kind)
Q_DECLARE_METATYPE(Classification::Command)

class TestClassifier : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void classify_data() {
        QTest::addColumn<QString>("sql");
        QTest::addColumn<Classification::Kind>("kind");
        QTest::addColumn<Classification::Command>("command");
        QTest::addColumn<QString>("reasonContains");

        QTest::newRow("select") << "SELECT * FROM github.issue WHERE state = 'open'" << K::PassThrough << C::None << "";
        QTest::newRow("select for update")
            << "SELECT * FROM github.issue FOR UPDATE" << K::PassThrough << C::None << "";
        QTest::newRow("syntax error") << "SELEC oops" << K::PassThrough << C::None << "";
        QTest::newRow("other schema") << "UPDATE public.issue SET title = 'x'" << K::PassThrough << C::None << "";
        QTest::newRow("user table") << "INSERT INTO notes VALUES (1)" << K::PassThrough << C::None << "";
        QTest::newRow("ddl") << "CREATE TABLE t (x int)" << K::PassThrough << C::None << "";
        QTest::newRow("update") << "UPDATE github.issue SET title = $1 WHERE id = $2" << K::Write << C::Update << "";
        QTest::newRow("unqualified update")
            << "update issue set state='closed' where number=3" << K::Write << C::Update << "";
        QTest::newRow("insert returning")
            << "INSERT INTO github.issue (repository_id, title) VALUES (1, 'x') RETURNING id" << K::Write << C::Insert
            << "";
        QTest::newRow("insert do nothing")
            << "INSERT INTO github.issue (id) VALUES (1) ON CONFLICT DO NOTHING" << K::Write << C::Insert << "";
        QTest::newRow("delete") << "DELETE FROM github.issue WHERE id = 5" << K::Write << C::Delete << "";
        QTest::newRow("upsert")
            << "INSERT INTO github.issue (id, title) VALUES (1,'x') ON CONFLICT (id) DO UPDATE SET title = 'y'"
            << K::Unsupported << C::None << "ON CONFLICT DO UPDATE";
        QTest::newRow("merge")
            << "MERGE INTO github.issue i USING s ON i.id = s.id WHEN MATCHED THEN UPDATE SET title = s.t"
            << K::Unsupported << C::None << "MERGE";
        QTest::newRow("copy from") << "COPY github.issue FROM STDIN" << K::Unsupported << C::None << "COPY";
        QTest::newRow("copy to") << "COPY github.issue TO STDOUT" << K::PassThrough << C::None << "";
        QTest::newRow("truncate") << "TRUNCATE github.issue" << K::Unsupported << C::None << "TRUNCATE";
        QTest::newRow("writable cte") << "WITH d AS (DELETE FROM github.issue WHERE id = 1 RETURNING *) SELECT * FROM d"
                                      << K::Unsupported << C::None << "WITH";
        QTest::newRow("two writes")
            << "UPDATE github.issue SET title='a' WHERE id=1; UPDATE github.issue SET title='b' WHERE id=2"
            << K::Unsupported << C::None << "statement of its own";
        QTest::newRow("write plus select") << "UPDATE github.issue SET title='a' WHERE id=1; SELECT 1" << K::Unsupported
                                           << C::None << "statement of its own";
        QTest::newRow("read-only table") << "UPDATE github.pull_request SET title = 'x'" << K::ReadOnlyTable << C::None
                                         << "read-only";
        QTest::newRow("read-only user") << "DELETE FROM github.\"user\"" << K::ReadOnlyTable << C::None << "read-only";
        QTest::newRow("insert select into label")
            << "INSERT INTO github.label SELECT * FROM github.label" << K::ReadOnlyTable << C::None << "read-only";
        QTest::newRow("comment update") << "UPDATE github.comment SET body = 'x' WHERE id = 4" << K::Write << C::Update
                                        << "";
        QTest::newRow("two writable tables")
            << "WITH c AS (DELETE FROM github.comment WHERE id = 4 RETURNING 1) UPDATE github.issue SET title = 'x'"
            << K::Unsupported << C::None << "one GitHub table";
        QTest::newRow("read-only names the writable")
            << "DELETE FROM github.pull_request" << K::ReadOnlyTable << C::None << "github.comment, github.issue";
        QTest::newRow("multi select") << "SELECT 1; SELECT 2" << K::PassThrough << C::None << "";
        QTest::newRow("empty") << "" << K::PassThrough << C::None << "";
        QTest::newRow("comment only") << "-- nothing" << K::PassThrough << C::None << "";
    }

    void classify() {
        QFETCH(QString, sql);
        QFETCH(Classification::Kind, kind);
        QFETCH(Classification::Command, command);
        QFETCH(QString, reasonContains);
        StatementClassifier classifier(QStringLiteral("github"),
                                       {QStringLiteral("issue"), QStringLiteral("pull_request"),
                                        QStringLiteral("label"), QStringLiteral("user"), QStringLiteral("comment")},
                                       {QStringLiteral("issue"), QStringLiteral("comment")});
        const Classification c = classifier.classify(sql);
        QCOMPARE(c.kind, kind);
        QCOMPARE(c.command, command);
        QVERIFY2(c.reason.contains(reasonContains), qPrintable(c.reason));
        // Cached answer is identical.
        QCOMPARE(classifier.classify(sql).kind, kind);
    }

    void returningIsDetected() {
        StatementClassifier classifier(QStringLiteral("github"), {QStringLiteral("issue")});
        QVERIFY(
            classifier.classify(QStringLiteral("UPDATE github.issue SET title='x' WHERE id=1 RETURNING id")).returning);
        QVERIFY(!classifier.classify(QStringLiteral("UPDATE github.issue SET title='x' WHERE id=1")).returning);
    }

    void readsSkipTheParser() {
        QVERIFY(!StatementClassifier::mayWrite("SELECT * FROM github.issue WHERE state = 'open'"));
        QVERIFY(!StatementClassifier::mayWrite("BEGIN"));
        QVERIFY(StatementClassifier::mayWrite("select updated_at from github.issue")); // false positive: parsed
        QVERIFY(StatementClassifier::mayWrite("/* c */ UpDaTe github.issue SET title = 'x'"));
        QVERIFY(StatementClassifier::mayWrite("WITH d AS (DELETE FROM github.issue RETURNING *) SELECT 1"));
        QVERIFY(StatementClassifier::mayWrite("TRUNCATE github.label"));
        QVERIFY(StatementClassifier::mayWrite("select 1; merge into t using s on true when matched then delete"));
        QVERIFY(StatementClassifier::mayWrite("\\copy"));                          // a keyword right at the end
        QVERIFY(!StatementClassifier::mayWrite("SELECT 1 -- upd"));                // a keyword cut short at the end
        QVERIFY(!StatementClassifier::mayWrite("SELECT 'über', 'İnsert' FROM t")); // only ASCII spells keywords
        QVERIFY(!StatementClassifier::mayWrite(""));
        QVERIFY(!StatementClassifier::mayWrite("SELECT abalance FROM pgbench_accounts WHERE aid = 42"));
        QVERIFY(
            StatementClassifier::mayWrite("MERGE INTO github.issue i USING s ON true WHEN MATCHED THEN DO NOTHING"));
        QVERIFY(StatementClassifier::mayWrite("TRUNCATE github.label"));
        QVERIFY(StatementClassifier::mayWrite("COPY github.issue FROM STDIN"));
        QVERIFY(StatementClassifier::mayWrite("insert into github.issue values (1)"));
    }

    void hostileInputDoesNotCrash() {
        StatementClassifier classifier(QStringLiteral("github"), {QStringLiteral("issue")});
        QString deep = QStringLiteral("SELECT ");
        for (int i = 0; i < 2000; ++i)
            deep += QLatin1Char('(');
        classifier.classify(deep);
        classifier.classify(QString(100000, QLatin1Char(';')));
        classifier.classify(QStringLiteral("UPDATE github.issue SET title = E'\\x00'"));
    }
};

QTEST_GUILESS_MAIN(TestClassifier)
#include "tst_classifier.moc"
