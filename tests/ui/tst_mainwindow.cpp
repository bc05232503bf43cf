#include "pgtestinstance.h"
#include "ui/mainwindow.h"
#include "ui/notifier.h"
#include "ui/progressmodel.h"
#include "ui/progressview.h"
#include "ui/tablebrowser.h"
#include "uitestsupport.h"

#include <QAction>
#include <QLabel>
#include <QMenuBar>
#include <QRegularExpression>
#include <QSignalSpy>
#include <QSystemTrayIcon>
#include <QTabWidget>
#include <QTest>

using namespace hubsync;
using hubsync::test::PgTestInstance;
using hubsync::test::UiFixture;

class TestMainWindow : public QObject {
    Q_OBJECT

    // A window whose engine fails fast: no database at that address.
    static Config withoutDatabase(int connectTimeoutSeconds = 1) {
        Config config;
        config.database =
            QStringLiteral("host=/nonexistent-dir port=1 dbname=x connect_timeout=%1").arg(connectTimeoutSeconds);
        return config;
    }

private Q_SLOTS:
    void showsBackfillProgressAndCompletion() {
        UiFixture fixture;
        const QString error = fixture.start(QStringLiteral("mainwindow"));
        QVERIFY2(error.isEmpty(), qPrintable(error));
        MainWindow window(fixture.config());
        QSignalSpy progress(&window.controller(), &EngineController::progress);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        QTRY_VERIFY_WITH_TIMEOUT(window.statusText().contains(QStringLiteral("backfill complete")), 60000);

        // One row per repository x collection, all at 100% once the backfill is done.
        ProgressModel *model = window.progressView()->model();
        QVERIFY(model->rowCount() >= 9 * 3);
        for (int row = 0; row < model->rowCount(); ++row)
            QCOMPARE(model->index(row, ProgressModel::Progress).data(ProgressModel::FractionRole).toDouble(), 1.0);
        QCOMPARE(window.progressView()->overallPercent(), 100);
        QCOMPARE(model->totalWritten(),
                 fixture.scalar(QStringLiteral("SELECT sum(written) FROM hubsync.sync_cursor")).toLongLong());

        // Rate and ETA came with the events while it ran; quota left and its reset are on screen.
        bool sawRate = false;
        for (const QList<QVariant> &args : std::as_const(progress)) {
            const auto p = args.at(0).value<CollectionProgress>();
            sawRate = sawRate || (!p.done && p.recordsPerSecond > 0);
        }
        QVERIFY(sawRate);
        bool rateShown = false;
        for (int row = 0; row < model->rowCount(); ++row)
            rateShown = rateShown || model->index(row, ProgressModel::Rate).data().toDouble() > 0;
        QVERIFY(rateShown);
        // Both of GitHub's budgets: REST requests and GraphQL points (discussions and reactions).
        for (const QString &pool : {QStringLiteral("quota left: REST "), QStringLiteral(" · GraphQL ")})
            QVERIFY2(window.progressView()->quotaText().contains(pool), qPrintable(window.progressView()->quotaText()));
        for (const QString &pool : {QStringLiteral("API quota: REST "), QStringLiteral(" · GraphQL ")})
            QVERIFY2(window.quotaText().contains(pool), qPrintable(window.quotaText()));

        // Live sync afterwards: the mode, then the first polling cycle with its time.
        QTRY_VERIFY_WITH_TIMEOUT(window.progressView()->liveText().contains(QStringLiteral("polling every 5 s")),
                                 10000);
        QTRY_VERIFY_WITH_TIMEOUT(window.progressView()->liveText().contains(QStringLiteral("last poll at")), 30000);

        // Without a system tray (offscreen), the completion notice shows inside the window.
        if (!window.notifier()->usesTray())
            QTRY_VERIFY(window.bannerText().contains(QStringLiteral("Backfill complete")));
        QVERIFY(window.notifier()->lastMessage().contains(QStringLiteral("Backfill complete")));

        // Sync > Sync now (F5): a polling cycle at once, well before the next one is due (every 5 s).
        QSignalSpy live(&window.controller(), &EngineController::liveEvent);
        QVERIFY(live.wait(15000)); // a cycle just ended: the next timed one is 5 s away
        auto *syncNow = window.findChild<QAction *>(QStringLiteral("actionSyncNow"));
        QVERIFY(syncNow);
        QCOMPARE(syncNow->shortcut(), QKeySequence(QKeySequence::Refresh));
        live.clear();
        syncNow->trigger();
        QTRY_VERIFY_WITH_TIMEOUT(!live.isEmpty(), 3500);
        QCOMPARE(live.first().at(0).value<LiveSyncEvent>().source, LiveSyncEvent::Source::Poll);

        // View > Tables (Ctrl+3) and Help > About with every version in it.
        auto *tables = window.findChild<QAction *>(QStringLiteral("actionShowTables"));
        QVERIFY(tables);
        QCOMPARE(tables->shortcut(), QKeySequence(QStringLiteral("Ctrl+3")));
        tables->trigger();
        QCOMPARE(window.tabs()->currentWidget(), window.browser());
        const QString about = window.aboutText();
        QVERIFY2(about.contains(QStringLiteral(HUBSYNC_VERSION)) && about.contains(QString::fromLatin1(qVersion())),
                 qPrintable(about));
        QVERIFY2(QRegularExpression(QStringLiteral("PostgreSQL server</td><td>\\d+\\.\\d+")).match(about).hasMatch(),
                 qPrintable(about));
        QVERIFY2(QRegularExpression(QStringLiteral("libpq</td><td>\\d+\\.\\d+")).match(about).hasMatch(),
                 qPrintable(about));
        QStringList menus;
        for (const QAction *menu : window.menuBar()->actions())
            menus << menu->text();
        QCOMPARE(menus, (QStringList{QStringLiteral("&File"), QStringLiteral("&Edit"), QStringLiteral("&View"),
                                     QStringLiteral("&Sync"), QStringLiteral("&Help")}));
    }

    void showsDatabaseErrorsInTheWindow() {
        UiFixture fixture; // settings only
        const Config config = withoutDatabase(2);
        MainWindow window(config);
        window.show();
        QTRY_VERIFY_WITH_TIMEOUT(window.statusText().contains(QStringLiteral("database error")), 30000);
        QTRY_VERIFY(!window.progressView()->errorText().isEmpty());
        if (!window.notifier()->usesTray())
            QTRY_VERIFY(window.bannerText().contains(QStringLiteral("HubSync error")));
    }

    // No tray under offscreen/Xvfb: notifications of every kind land in the window's notification bar.
    void notificationsFallBackToTheWindow() {
        UiFixture fixture;
        const Config config = withoutDatabase();
        MainWindow window(config);
        window.show();
        if (QSystemTrayIcon::isSystemTrayAvailable())
            QSKIP("a system tray exists here: notifications go to the tray");
        QVERIFY(!window.notifier()->usesTray());
        QSignalSpy inWindow(window.notifier(), &Notifier::showInWindow);
        window.notifier()->notify(Notifier::Kind::Information, QStringLiteral("Backfill complete"),
                                  QStringLiteral("42 records"));
        QCOMPARE(inWindow.count(), 1);
        QVERIFY(window.bannerText().contains(QStringLiteral("42 records")));
        window.notifier()->notify(Notifier::Kind::Error, QStringLiteral("GitHub refused the edit"),
                                  QStringLiteral("line one\nline two"));
        QVERIFY(window.bannerText().contains(QStringLiteral("line one<br>line two")));
        // Closing without a tray really closes (nothing would bring the window back).
        window.close();
        QVERIFY(!window.isVisible());
    }

    // Screen readers name every control: a button by its text, an input by its accessible name or label.
    void everyControlHasAnAccessibleName() {
        UiFixture fixture;
        const Config config = withoutDatabase();
        MainWindow window(config);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        const QStringList unnamed = test::unnamedControls(&window);
        QVERIFY2(unnamed.isEmpty(), qPrintable(unnamed.join(QStringLiteral(", "))));
    }

    void remembersGeometryTableAndFilter() {
        UiFixture fixture;
        const Config config = withoutDatabase();
        {
            MainWindow window(config);
            window.show();
            QVERIFY(QTest::qWaitForWindowExposed(&window));
            window.resize(900, 640);
            window.tabs()->setCurrentIndex(2);
            window.browser()->setTable(QStringLiteral("pull_request"));
            window.browser()->setFilter(QStringLiteral("fix"), QStringLiteral("title"));
            window.close();
        }
        MainWindow again(config);
        again.show();
        QVERIFY(QTest::qWaitForWindowExposed(&again));
        QCOMPARE(again.size(), QSize(900, 640));
        QCOMPARE(again.tabs()->currentIndex(), 2);
        QCOMPARE(again.browser()->currentTable(), QStringLiteral("pull_request"));
        QCOMPARE(again.browser()->filterText(), QStringLiteral("fix"));
        QCOMPARE(again.browser()->filterColumn(), QStringLiteral("title"));
    }
};

QTEST_MAIN(TestMainWindow)
#include "tst_mainwindow.moc"
