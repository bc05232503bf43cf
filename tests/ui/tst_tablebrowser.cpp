#include "ui/mainwindow.h"
#include "ui/tablebrowser.h"
#include "ui/tablepagemodel.h"
#include "uitestsupport.h"

#include <QAction>
#include <QClipboard>
#include <QGuiApplication>
#include <QItemSelectionModel>
#include <QJsonArray>
#include <QJsonObject>
#include <QSet>
#include <QSignalSpy>
#include <QTableView>
#include <QTest>

#include <functional>
#include <memory>

using namespace hubsync;
using hubsync::test::UiFixture;

// The table browser on a real backfilled database, through the real proxy, against the simulator.
class TestTableBrowser : public QObject {
    Q_OBJECT
private:
    std::unique_ptr<UiFixture> m_fixture;
    std::unique_ptr<MainWindow> m_window;

    TableBrowser *browser() const { return m_window->browser(); }

    // Runs `action` and waits for the page it makes the browser load.
    TablePage load(const std::function<void()> &action) {
        QSignalSpy loaded(browser(), &TableBrowser::pageLoaded);
        action();
        if (!loaded.wait(20000))
            return {};
        return loaded.last().at(0).value<TablePage>();
    }

    EditOutcome edit(const std::function<void()> &action) {
        QSignalSpy finished(browser(), &TableBrowser::editFinished);
        action();
        if (!finished.wait(30000))
            return {};
        return finished.last().at(0).value<EditOutcome>();
    }

    static bool writeThroughMissing(const EditOutcome &outcome) {
        return !outcome.ok && outcome.failure.sqlState == QStringLiteral("0A000") &&
               outcome.failure.message.contains(QStringLiteral("not enabled"));
    }

    // The first issue on the current page and where it lives on GitHub.
    struct IssueRef {
        int row = -1;
        qint64 id = 0;
        QString repository;
        QString number;
    };
    IssueRef firstIssue() {
        IssueRef ref;
        ref.row = 0;
        ref.id = browser()->model()->idAt(0);
        ref.repository = m_fixture->scalar(
            QStringLiteral("SELECT r.full_name FROM github.issue i JOIN github.repository r ON r.id = i.repository_id"
                           " WHERE i.id = %1")
                .arg(ref.id));
        ref.number = m_fixture->scalar(QStringLiteral("SELECT number FROM github.issue WHERE id = %1").arg(ref.id));
        return ref;
    }

    QJsonObject simulatorIssue(const IssueRef &ref) const {
        return m_fixture->simulator()
            .request("GET", QStringLiteral("/repos/%1/issues/%2").arg(ref.repository, ref.number), m_fixture->token())
            .json()
            .object();
    }

private Q_SLOTS:
    void initTestCase() {
        m_fixture = std::make_unique<UiFixture>();
        // More commits than one page holds.
        const QString error =
            m_fixture->start(QStringLiteral("browser"), {QStringLiteral("--commits-per-repo"), QStringLiteral("150")});
        QVERIFY2(error.isEmpty(), qPrintable(error));
        m_window = std::make_unique<MainWindow>(m_fixture->config());
        m_window->show();
        QVERIFY(QTest::qWaitForWindowExposed(m_window.get()));
        QTRY_VERIFY_WITH_TIMEOUT(m_window->statusText().contains(QStringLiteral("backfill complete")), 90000);
        QTRY_VERIFY_WITH_TIMEOUT(browser()->isConnected(), 20000);
    }

    void cleanupTestCase() {
        m_window.reset();
        m_fixture.reset();
    }

    void pagesThroughALargeTable() {
        const qint64 total = m_fixture->scalar(QStringLiteral("SELECT count(*) FROM github.commit")).toLongLong();
        QCOMPARE(total, 450);
        TablePage page = load([this] { browser()->setTable(QStringLiteral("commit")); });
        QVERIFY2(page.error.isEmpty(), qPrintable(page.error));
        QCOMPARE(page.rows.size(), TableBrowser::pageSize);
        QCOMPARE(page.total, total);
        QVERIFY(!page.columns.contains(QStringLiteral("raw")));
        const int shaColumn = int(page.columns.indexOf(QStringLiteral("sha")));
        QVERIFY(shaColumn >= 0);
        QSet<QString> seen;
        int pages = 0;
        while (true) {
            ++pages;
            for (const QVariantList &row : std::as_const(page.rows))
                seen.insert(row.at(shaColumn).toString());
            if (page.offset + page.rows.size() >= total)
                break;
            page = load([this] { browser()->nextPage(); });
            QVERIFY(page.rows.size() > 0);
        }
        // Five pages, no row twice, none skipped; the last one is partial.
        QCOMPARE(pages, 5);
        QCOMPARE(page.rows.size(), 50);
        QCOMPARE(seen.size(), total);
        QVERIFY2(browser()->statusText().contains(QStringLiteral("rows 401–450 of 450")),
                 qPrintable(browser()->statusText()));
        page = load([this] { browser()->previousPage(); });
        QCOMPARE(page.offset, 300);
    }

    // The browser's session ends underneath it (the server restarted, an administrator ended it): the
    // next page is read on a new session, without an error and without reopening the window.
    void readsOnAfterItsSessionEnded() {
        load([this] { browser()->setTable(QStringLiteral("commit")); });
        QVERIFY(m_fixture
                    ->scalar(QStringLiteral("SELECT count(pg_terminate_backend(pid, 5000)) FROM pg_stat_activity"
                                            " WHERE application_name = 'hubsync-browser'"))
                    .toInt() > 0);
        const TablePage page = load([this] { browser()->nextPage(); });
        QVERIFY2(page.error.isEmpty(), qPrintable(page.error));
        QCOMPARE(page.rows.size(), TableBrowser::pageSize);
        QCOMPARE(page.offset, TableBrowser::pageSize);
    }

    // Edit > Copy (Ctrl+C) on selected cells: rows by lines, cells by tabs, in the view's order.
    void copiesSelectedCells() {
        const TablePage page = load([this] {
            browser()->setTable(QStringLiteral("commit"));
            browser()->setSort(QStringLiteral("sha"), false);
        });
        QTableView *view = browser()->view();
        const int sha = int(page.columns.indexOf(QStringLiteral("sha")));
        const int other = sha == 0 ? 1 : 0;
        m_window->tabs()->setCurrentWidget(browser());
        view->clearSelection();
        QVERIFY(TableBrowser::selectionText(view).isEmpty());
        auto *selection = view->selectionModel();
        for (const int row : {2, 0})
            for (const int column : {sha, other})
                selection->select(view->model()->index(row, column), QItemSelectionModel::Select);
        const auto cell = [view](int row, int column) { return view->model()->index(row, column).data().toString(); };
        const int first = qMin(sha, other);
        const int second = qMax(sha, other);
        const QString expected = cell(0, first) + QLatin1Char('\t') + cell(0, second) + QLatin1Char('\n') +
                                 cell(2, first) + QLatin1Char('\t') + cell(2, second);
        QCOMPARE(TableBrowser::selectionText(view), expected);
        view->setFocus();
        auto *copy = m_window->findChild<QAction *>(QStringLiteral("actionCopy"));
        QVERIFY(copy);
        QGuiApplication::clipboard()->clear();
        copy->trigger();
        QCOMPARE(QGuiApplication::clipboard()->text(), expected);
        QVERIFY(QGuiApplication::clipboard()->text().contains(
            m_fixture->scalar(QStringLiteral("SELECT sha FROM github.commit ORDER BY sha LIMIT 1"))));
    }

    void sortsByAColumn() {
        load([this] { browser()->setTable(QStringLiteral("commit")); });
        const TablePage page = load([this] { browser()->setSort(QStringLiteral("sha"), true); });
        const int shaColumn = int(page.columns.indexOf(QStringLiteral("sha")));
        QCOMPARE(page.rows.first().at(shaColumn).toString(),
                 m_fixture->scalar(QStringLiteral("SELECT sha FROM github.commit ORDER BY sha DESC LIMIT 1")));
        QCOMPARE(
            page.rows.at(99).at(shaColumn).toString(),
            m_fixture->scalar(QStringLiteral("SELECT sha FROM github.commit ORDER BY sha DESC OFFSET 99 LIMIT 1")));
        // Clicking the header does the same through the model.
        const TablePage ascending =
            load([this, shaColumn] { browser()->view()->sortByColumn(shaColumn, Qt::AscendingOrder); });
        QCOMPARE(ascending.rows.first().at(shaColumn).toString(),
                 m_fixture->scalar(QStringLiteral("SELECT sha FROM github.commit ORDER BY sha LIMIT 1")));
    }

    void filtersRows() {
        load([this] { browser()->setTable(QStringLiteral("issue")); });
        // A word from a real title, in the wrong case.
        const QString title = m_fixture->scalar(QStringLiteral("SELECT title FROM github.issue ORDER BY id LIMIT 1"));
        const QString word = title.split(QLatin1Char(' ')).first().toUpper();
        QVERIFY(!word.isEmpty());
        TablePage page = load([this, word] { browser()->setFilter(word, QStringLiteral("title")); });
        const qint64 expected =
            m_fixture
                ->scalar(
                    QStringLiteral("SELECT count(*) FROM github.issue WHERE title ILIKE '%' || '%1' || '%'").arg(word))
                .toLongLong();
        QVERIFY(expected > 0);
        QCOMPARE(page.total, expected);
        const int titleColumn = int(page.columns.indexOf(QStringLiteral("title")));
        for (const QVariantList &row : std::as_const(page.rows))
            QVERIFY(row.at(titleColumn).toString().contains(word, Qt::CaseInsensitive));
        // Wildcards typed by the user match themselves.
        page = load([this] { browser()->setFilter(QStringLiteral("%"), QStringLiteral("title")); });
        QCOMPARE(page.total,
                 m_fixture->scalar(QStringLiteral("SELECT count(*) FROM github.issue WHERE strpos(title, '%') > 0"))
                     .toLongLong());
        // Any text column, then no filter at all.
        page = load([this, word] { browser()->setFilter(word.toLower(), QString()); });
        QVERIFY(page.total >= expected);
        page = load([this] { browser()->setFilter(QString(), QString()); });
        QCOMPARE(page.total, m_fixture->scalar(QStringLiteral("SELECT count(*) FROM github.issue")).toLongLong());
        // Issues show their labels' names beside them (label_names once the write-through's column exists).
        QVERIFY(page.columns.contains(QStringLiteral("labels")) ||
                page.columns.contains(QStringLiteral("label_names")));
    }

    // GitHub refuses an invalid state (422 -> 23514 once write-through is in; until then the proxy refuses
    // every issue write with 0A000): the error is shown with its SQLSTATE, the cell and the row stay.
    void refusedEditRevertsTheCell() {
        TablePage page = load([this] { browser()->setTable(QStringLiteral("issue")); });
        page = load([this] { browser()->setFilter(QString(), QString()); });
        const IssueRef issue = firstIssue();
        const int stateColumn = browser()->model()->columnIndex(QStringLiteral("state"));
        const QModelIndex cell = browser()->model()->index(issue.row, stateColumn);
        const QString before = cell.data(Qt::EditRole).toString();
        QVERIFY(browser()->model()->flags(cell) & Qt::ItemIsEditable);
        const EditOutcome outcome = edit(
            [this, cell] { QVERIFY(!browser()->model()->setData(cell, QStringLiteral("sideways"), Qt::EditRole)); });
        QVERIFY(!outcome.ok);
        QVERIFY(!outcome.failure.sqlState.isEmpty());
        QVERIFY(!outcome.failure.message.isEmpty());
        const QString shown = browser()->errorText();
        QVERIFY2(shown.contains(QStringLiteral("SQLSTATE %1").arg(outcome.failure.sqlState)), qPrintable(shown));
        QVERIFY2(shown.contains(outcome.failure.message), qPrintable(shown));
        QCOMPARE(browser()->model()->index(issue.row, stateColumn).data(Qt::EditRole).toString(), before);
        QVERIFY(!browser()->model()->index(issue.row, stateColumn).data(TablePageModel::PendingRole).toBool());
        QCOMPARE(m_fixture->scalar(QStringLiteral("SELECT state FROM github.issue WHERE id = %1").arg(issue.id)),
                 before);
        QCOMPARE(simulatorIssue(issue).value(QStringLiteral("state")).toString(), before);
        if (!m_window->notifier()->usesTray())
            QVERIFY(m_window->bannerText().contains(QStringLiteral("GitHub refused the edit")));
    }

    // A title edit GitHub accepts: the row holds GitHub's answer, and GitHub (the simulator) has it.
    void acceptedEditReachesGitHub() {
        load([this] { browser()->setTable(QStringLiteral("issue")); });
        const IssueRef issue = firstIssue();
        const int titleColumn = browser()->model()->columnIndex(QStringLiteral("title"));
        const QModelIndex cell = browser()->model()->index(issue.row, titleColumn);
        const QString title = QStringLiteral("Edited from the HubSync browser");
        QSignalSpy reloaded(browser(), &TableBrowser::pageLoaded);
        const EditOutcome outcome =
            edit([this, cell, title] { browser()->model()->setData(cell, title, Qt::EditRole); });
        if (writeThroughMissing(outcome))
            QSKIP("the proxy in this build refuses issue writes (write-through not enabled)");
        QVERIFY2(outcome.ok, qPrintable(outcome.failure.text()));
        QVERIFY(reloaded.wait(20000) || reloaded.count() > 0);
        const int row = browser()->model()->rowOfId(issue.id);
        QVERIFY(row >= 0);
        QCOMPARE(browser()->model()->index(row, titleColumn).data(Qt::EditRole).toString(), title);
        QCOMPARE(m_fixture->scalar(QStringLiteral("SELECT title FROM github.issue WHERE id = %1").arg(issue.id)),
                 title);
        QCOMPARE(simulatorIssue(issue).value(QStringLiteral("title")).toString(), title);
        QVERIFY(browser()->errorText().isEmpty());

        // Labels, edited as a list of names.
        const int labelsColumn = browser()->model()->columnIndex(QStringLiteral("label_names"));
        QVERIFY2(labelsColumn >= 0, "the issue table has no label_names column");
        const QModelIndex labels = browser()->model()->index(row, labelsColumn);
        const EditOutcome labelled = edit(
            [this, labels] { browser()->model()->setData(labels, QStringLiteral("bug, needs-triage"), Qt::EditRole); });
        QVERIFY2(labelled.ok, qPrintable(labelled.failure.text()));
        QStringList names;
        for (const QJsonValue &l : simulatorIssue(issue).value(QStringLiteral("labels")).toArray())
            names << l.toObject().value(QStringLiteral("name")).toString();
        names.sort();
        QCOMPARE(names, (QStringList{QStringLiteral("bug"), QStringLiteral("needs-triage")}));
        QTRY_COMPARE_WITH_TIMEOUT(
            browser()->model()->index(browser()->model()->rowOfId(issue.id), labelsColumn).data().toString(),
            QStringLiteral("bug, needs-triage"), 20000);
    }

    void createsAndDeletesAnIssue() {
        load([this] { browser()->setTable(QStringLiteral("issue")); });
        const qint64 repositoryId =
            m_fixture->scalar(QStringLiteral("SELECT id FROM github.repository ORDER BY full_name LIMIT 1"))
                .toLongLong();
        const QString title = QStringLiteral("Created from the HubSync browser");
        const EditOutcome created = edit(
            [this, repositoryId, title] { browser()->createIssue(repositoryId, title, QStringLiteral("body text")); });
        if (writeThroughMissing(created)) {
            QVERIFY(browser()->errorText().contains(QStringLiteral("0A000")));
            QCOMPARE(
                m_fixture->scalar(QStringLiteral("SELECT count(*) FROM github.issue WHERE title = '%1'").arg(title)),
                QStringLiteral("0"));
            QSKIP("the proxy in this build refuses issue writes (write-through not enabled)");
        }
        QVERIFY2(created.ok, qPrintable(created.failure.text()));
        const qint64 id =
            m_fixture->scalar(QStringLiteral("SELECT id FROM github.issue WHERE title = '%1'").arg(title)).toLongLong();
        QVERIFY(id > 0);
        IssueRef ref;
        ref.id = id;
        ref.repository = m_fixture->scalar(
            QStringLiteral("SELECT full_name FROM github.repository WHERE id = %1").arg(repositoryId));
        ref.number = m_fixture->scalar(QStringLiteral("SELECT number FROM github.issue WHERE id = %1").arg(id));
        QCOMPARE(simulatorIssue(ref).value(QStringLiteral("title")).toString(), title);

        const EditOutcome deleted = edit([this, id] { browser()->deleteRow(id); });
        QVERIFY2(deleted.ok, qPrintable(deleted.failure.text()));
        QCOMPARE(m_fixture->scalar(QStringLiteral("SELECT count(*) FROM github.issue WHERE id = %1").arg(id)),
                 QStringLiteral("0"));
        QCOMPARE(m_fixture->simulator()
                     .request("GET", QStringLiteral("/repos/%1/issues/%2").arg(ref.repository, ref.number),
                              m_fixture->token())
                     .status,
                 404);
    }

    // Comments are edited and deleted like issues: the body cell goes to GitHub, and so does the deletion.
    void editsAndDeletesAComment() {
        load([this] { browser()->setTable(QStringLiteral("comment")); });
        QVERIFY(browser()->model()->page().editableColumns.contains(QStringLiteral("body")));
        QVERIFY(!browser()->model()->page().editableColumns.contains(QStringLiteral("issue_number")));
        const qint64 id = browser()->model()->idAt(0);
        QVERIFY(id > 0);
        const QString repository = m_fixture->scalar(
            QStringLiteral("SELECT r.full_name FROM github.comment c JOIN github.repository r ON r.id = c.repository_id"
                           " WHERE c.id = %1")
                .arg(id));
        const QString path = QStringLiteral("/repos/%1/issues/comments/%2").arg(repository).arg(id);
        const QModelIndex cell = browser()->model()->index(0, browser()->model()->columnIndex(QStringLiteral("body")));
        const QString body = QStringLiteral("Edited comment from the HubSync browser");
        const EditOutcome outcome = edit([this, cell, body] { browser()->model()->setData(cell, body, Qt::EditRole); });
        if (writeThroughMissing(outcome))
            QSKIP("the proxy in this build refuses writes (write-through not enabled)");
        QVERIFY2(outcome.ok, qPrintable(outcome.failure.text()));
        QCOMPARE(m_fixture->simulator()
                     .request("GET", path, m_fixture->token())
                     .json()
                     .object()
                     .value(QStringLiteral("body"))
                     .toString(),
                 body);

        const EditOutcome deleted = edit([this, id] { browser()->deleteRow(id); });
        QVERIFY2(deleted.ok, qPrintable(deleted.failure.text()));
        QCOMPARE(m_fixture->scalar(QStringLiteral("SELECT count(*) FROM github.comment WHERE id = %1").arg(id)),
                 QStringLiteral("0"));
        QCOMPARE(m_fixture->simulator().request("GET", path, m_fixture->token()).status, 404);
    }

    // A new row of another table than issue: a label, made from the columns the proxy takes for one.
    void createsALabel() {
        load([this] { browser()->setTable(QStringLiteral("label")); });
        const qint64 repositoryId =
            m_fixture->scalar(QStringLiteral("SELECT id FROM github.repository ORDER BY full_name LIMIT 1"))
                .toLongLong();
        const QString repository = m_fixture->scalar(
            QStringLiteral("SELECT full_name FROM github.repository WHERE id = %1").arg(repositoryId));
        const EditOutcome created = edit([this, repositoryId] {
            browser()->createRow({{QStringLiteral("repository_id"), repositoryId},
                                  {QStringLiteral("name"), QStringLiteral("from the browser")},
                                  {QStringLiteral("color"), QStringLiteral("123abc")}});
        });
        if (writeThroughMissing(created))
            QSKIP("the proxy in this build refuses writes (write-through not enabled)");
        QVERIFY2(created.ok, qPrintable(created.failure.text()));
        QCOMPARE(m_fixture->scalar(QStringLiteral("SELECT color FROM github.label WHERE name = 'from the browser'")),
                 QStringLiteral("123abc"));
        QCOMPARE(m_fixture->simulator()
                     .request("GET", QStringLiteral("/repos/%1/labels/from%20the%20browser").arg(repository),
                              m_fixture->token())
                     .status,
                 200);
        // A column the table does not take is refused before anything is sent.
        const EditOutcome refused = edit([this] {
            browser()->createRow({{QStringLiteral("node_id"), QStringLiteral("forged")}});
        });
        QVERIFY(!refused.ok);
        QVERIFY(refused.failure.text().contains(QStringLiteral("node_id")));
    }
};

QTEST_MAIN(TestTableBrowser)
#include "tst_tablebrowser.moc"
