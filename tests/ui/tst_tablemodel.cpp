#include "ui/tablepagemodel.h"
#include "ui/tableworker.h"

#include <QTest>

using namespace hubsync;

// The pure parts of the table browser: reading libpq's error text, list columns, the page model's
// refusal to change a cell before the database has accepted the edit.
class TestTableModel : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void parsesErrors_data() {
        QTest::addColumn<QString>("state");
        QTest::addColumn<QString>("text");
        QTest::addColumn<QString>("message");
        QTest::addColumn<QString>("detail");
        QTest::addColumn<QString>("hint");
        QTest::newRow("full") << "23514"
                              << "ERROR:  Validation Failed\nDETAIL:  HTTP 422; errors: [{\"field\":\"state\"}]\n"
                                 "HINT:  state is open or closed\n(23514)"
                              << "Validation Failed"
                              << "HTTP 422; errors: [{\"field\":\"state\"}]"
                              << "state is open or closed";
        QTest::newRow("message only") << "42501"
                                      << "ERROR:  Resource not accessible by integration\n(42501)"
                                      << "Resource not accessible by integration"
                                      << ""
                                      << "";
        QTest::newRow("continued lines") << "0A000"
                                         << "ERROR:  first part\nsecond part\nHINT:  do this\n"
                                         << "first part second part"
                                         << ""
                                         << "do this";
        QTest::newRow("no severity") << ""
                                     << "server closed the connection unexpectedly"
                                     << "server closed the connection unexpectedly"
                                     << ""
                                     << "";
        QTest::newRow("syntax position") << "42601"
                                         << "ERROR:  syntax error at or near \"x\"\nLINE 1: x\n        ^\n"
                                         << "syntax error at or near \"x\""
                                         << ""
                                         << "";
    }
    void parsesErrors() {
        QFETCH(QString, state);
        QFETCH(QString, text);
        const SqlFailure f = parseSqlFailure(state, text);
        QTEST(f.message, "message");
        QTEST(f.detail, "detail");
        QTEST(f.hint, "hint");
        QCOMPARE(f.sqlState, state);
        if (!state.isEmpty())
            QVERIFY(f.text().contains(QStringLiteral("(SQLSTATE %1)").arg(state)));
    }

    void listColumns() {
        QCOMPARE(TablePageModel::listText(QStringLiteral("[\"bug\", \"docs\"]")), QStringLiteral("bug, docs"));
        QCOMPARE(TablePageModel::listText(QStringLiteral("[12, 34]")), QStringLiteral("12, 34"));
        QCOMPARE(TablePageModel::listJson(QStringLiteral("label_names"), QStringLiteral(" bug ,docs,, ")),
                 QStringLiteral("[\"bug\",\"docs\"]"));
        QCOMPARE(TablePageModel::listJson(QStringLiteral("assignee_ids"), QStringLiteral("12, 34")),
                 QStringLiteral("[12,34]"));
        QCOMPARE(TablePageModel::listJson(QStringLiteral("label_names"), QString()), QStringLiteral("[]"));
    }

    void editsWaitForTheDatabase() {
        TablePageModel model;
        TablePage page;
        page.table = QStringLiteral("issue");
        page.columns = {QStringLiteral("id"), QStringLiteral("title"), QStringLiteral("label_names"),
                        QStringLiteral("number")};
        page.editableColumns = {QStringLiteral("title"), QStringLiteral("label_names")};
        page.rows = {{qint64(7), QStringLiteral("Old"), QStringLiteral("[\"bug\"]"), 3}};
        model.setPage(page);
        QVERIFY(model.flags(model.index(0, 1)) & Qt::ItemIsEditable);
        QVERIFY(!(model.flags(model.index(0, 3)) & Qt::ItemIsEditable));
        QList<QVariantList> requested;
        connect(&model, &TablePageModel::editRequested, this,
                [&requested](qint64 id, const QString &column, const QVariant &value) {
                    requested << QVariantList{id, column, value};
                });
        QVERIFY(!model.setData(model.index(0, 1), QStringLiteral("New"), Qt::EditRole));
        QCOMPARE(model.index(0, 1).data().toString(), QStringLiteral("Old")); // unchanged until accepted
        QVERIFY(!model.setData(model.index(0, 2), QStringLiteral("bug, docs"), Qt::EditRole));
        QVERIFY(!model.setData(model.index(0, 3), 4, Qt::EditRole));                     // not editable: no request
        QVERIFY(!model.setData(model.index(0, 1), QStringLiteral("Old"), Qt::EditRole)); // no change: no request
        QCOMPARE(requested.size(), 2);
        QCOMPARE(requested[0], (QVariantList{qint64(7), QStringLiteral("title"), QStringLiteral("New")}));
        QCOMPARE(requested[1],
                 (QVariantList{qint64(7), QStringLiteral("label_names"), QStringLiteral("[\"bug\",\"docs\"]")}));
        model.setPending(7, QStringLiteral("title"), true);
        QVERIFY(model.index(0, 1).data(TablePageModel::PendingRole).toBool());
        model.setPending(7, QStringLiteral("title"), false);
        QVERIFY(!model.index(0, 1).data(TablePageModel::PendingRole).toBool());
    }
};

QTEST_MAIN(TestTableModel)
#include "tst_tablemodel.moc"
