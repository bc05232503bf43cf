#include "ui/mainwindow.h"
#include "ui/repositorypicker.h"
#include "uitestsupport.h"

#include <QJsonArray>
#include <QJsonObject>
#include <QSignalSpy>
#include <QSortFilterProxyModel>
#include <QTest>

using namespace hubsync;
using hubsync::test::UiFixture;

class TestRepositoryPicker : public QObject {
    Q_OBJECT
private:
    static int rowOf(const RepositoryListModel *model, const QString &name) {
        for (int row = 0; row < model->rowCount(); ++row) {
            if (model->repositories()[row].fullName == name)
                return row;
        }
        return -1;
    }
    static bool isSynced(const RepositoryListModel *model, const QString &name) {
        const int row = rowOf(model, name);
        return row >= 0 && model->repositories()[row].synced;
    }
    static qint64 records(const RepositoryListModel *model, const QString &name) {
        const int row = rowOf(model, name);
        return row >= 0 ? model->repositories()[row].syncedRecords : -1;
    }

private Q_SLOTS:
    // Starts with one of the three repositories; the picker lists all three, searching narrows the list,
    // checking a second one backfills it (its rows appear), unchecking the first stops syncing it.
    void checksBackfillsAndStopsRepositories() {
        UiFixture fixture;
        const QString error = fixture.start(QStringLiteral("picker"));
        QVERIFY2(error.isEmpty(), qPrintable(error));
        const QString first = QStringLiteral("octo-org/repo-0");
        const QString added = QStringLiteral("octo-org/repo-2");
        MainWindow window(fixture.config({first}));
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        RepositoryPicker *picker = window.picker();
        RepositoryListModel *model = picker->model();
        QTRY_VERIFY_WITH_TIMEOUT(window.statusText().contains(QStringLiteral("backfill complete")), 60000);

        // Every repository the token can see, with what is synced and its counts.
        QTRY_COMPARE_WITH_TIMEOUT(model->rowCount(), 3, 20000);
        QTRY_VERIFY(records(model, first) > 0);
        QVERIFY(isSynced(model, first));
        QVERIFY(!isSynced(model, added));
        QCOMPARE(records(model, added), 0);
        QVERIFY(model->repositories()[rowOf(model, added)].openIssues > 0);
        QVERIFY2(picker->summaryText().contains(QStringLiteral("3 repositories visible, 1 synced")),
                 qPrintable(picker->summaryText()));

        // Search: case-insensitive, on the name.
        picker->setSearch(QStringLiteral("REPO-2"));
        QCOMPARE(picker->filtered()->rowCount(), 1);
        QCOMPARE(picker->filtered()->index(0, RepositoryListModel::Name).data().toString(), added);
        picker->setSearch(QString());
        QCOMPARE(picker->filtered()->rowCount(), 3);

        // Only the chosen repository is in the database so far.
        QCOMPARE(fixture.scalar(QStringLiteral("SELECT count(*) FROM github.repository")), QStringLiteral("1"));

        // Check the new one through the view's check box data, then apply: it is backfilled.
        QSignalSpy complete(&window.controller(), &EngineController::backfillComplete);
        const QModelIndex checkIndex = picker->filtered()->index(
            picker->filtered()->mapFromSource(model->index(rowOf(model, added), 0)).row(), RepositoryListModel::Name);
        QVERIFY(picker->filtered()->setData(checkIndex, Qt::Checked, Qt::CheckStateRole));
        QCOMPARE(model->toAdd(), QStringList{added});
        QCOMPARE(model->index(rowOf(model, added), RepositoryListModel::Status).data().toString(),
                 QStringLiteral("will be backfilled"));
        picker->apply();
        QTRY_VERIFY_WITH_TIMEOUT(complete.count() >= 1, 60000);
        const QString issues = fixture.scalar(QStringLiteral(
            "SELECT count(*) FROM github.issue i JOIN github.repository r ON r.id = i.repository_id WHERE r.full_name ="
            " 'octo-org/repo-2'"));
        QVERIFY2(issues.toInt() > 0, qPrintable(issues));
        // Ground truth: the simulator's issues of that repository (PRs are in their own table).
        int simIssues = 0;
        for (const QJsonValue &v : fixture.simulator().listAll(
                 QStringLiteral("/repos/octo-org/repo-2/issues?state=all&per_page=100"), fixture.token())) {
            if (!v.toObject().contains(QStringLiteral("pull_request")))
                ++simIssues;
        }
        QCOMPARE(issues.toInt(), simIssues);
        QTRY_VERIFY_WITH_TIMEOUT(isSynced(model, added) && records(model, added) > 0, 20000);
        QVERIFY(model->toAdd().isEmpty());

        // Uncheck the first, dropping its rows: the repository row stays, marked as not synced.
        QVERIFY(model->setChecked(first, false));
        QCOMPARE(model->toRemove(), QStringList{first});
        Q_EMIT picker->selectionChangeRequested(model->toAdd(), model->toRemove(), false);
        QTRY_VERIFY_WITH_TIMEOUT(!isSynced(model, first), 20000);
        QCOMPARE(fixture.scalar(QStringLiteral("SELECT count(*) FROM github.issue i JOIN github.repository r ON r.id ="
                                               " i.repository_id WHERE r.full_name = 'octo-org/repo-0'")),
                 QStringLiteral("0"));
        QCOMPARE(
            fixture.scalar(QStringLiteral("SELECT count(*) FROM github.repository r JOIN hubsync.removed_repository"
                                          " m ON m.repository_id = r.id WHERE r.full_name = 'octo-org/repo-0'")),
            QStringLiteral("1"));
        QVERIFY(isSynced(model, added));
    }

    // Keeping the rows of a repository that stops syncing (the --keep-removed-repos semantics).
    void stopsSyncingAndKeepsRows() {
        UiFixture fixture;
        const QString error =
            fixture.start(QStringLiteral("pickerkeep"), {QStringLiteral("--repos"), QStringLiteral("2")});
        QVERIFY2(error.isEmpty(), qPrintable(error));
        Config config = fixture.config();
        config.keepRemovedRepos = true;
        MainWindow window(config);
        window.show();
        RepositoryListModel *model = window.picker()->model();
        QTRY_VERIFY_WITH_TIMEOUT(window.statusText().contains(QStringLiteral("backfill complete")), 60000);
        QTRY_COMPARE_WITH_TIMEOUT(model->rowCount(), 2, 20000);
        const QString name = QStringLiteral("octo-org/repo-1");
        QVERIFY(isSynced(model, name));
        const QString before = fixture.scalar(QStringLiteral(
            "SELECT count(*) FROM github.issue i JOIN github.repository r ON r.id = i.repository_id WHERE r.full_name ="
            " 'octo-org/repo-1'"));
        QVERIFY(before.toInt() > 0);
        QVERIFY(model->setChecked(name, false));
        window.picker()->apply(); // the check box defaults to keeping rows, as --keep-removed-repos says
        QTRY_VERIFY_WITH_TIMEOUT(!isSynced(model, name), 20000);
        QCOMPARE(fixture.scalar(QStringLiteral("SELECT count(*) FROM github.issue i JOIN github.repository r ON r.id ="
                                               " i.repository_id WHERE r.full_name = 'octo-org/repo-1'")),
                 before);
        QCOMPARE(fixture.scalar(QStringLiteral("SELECT count(*) FROM hubsync.removed_repository")),
                 QStringLiteral("1"));
    }
};

QTEST_MAIN(TestRepositoryPicker)
#include "tst_repositorypicker.moc"
