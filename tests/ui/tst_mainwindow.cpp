#include "pgtestinstance.h"
#include "ui/mainwindow.h"
#include "ui/notifier.h"
#include "ui/progressmodel.h"
#include "ui/progressview.h"

#include <QLabel>
#include <QTest>

using namespace hubsync;
using hubsync::test::PgTestInstance;

class TestMainWindow : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void showsBackfillProgressAndCompletion() {
        const QString dsn = PgTestInstance::shared().createDatabase(QStringLiteral("mainwindow"));
        QVERIFY2(!dsn.isEmpty(), qPrintable(PgTestInstance::shared().error()));
        qputenv("HUBSYNC_GITHUBSIM", qgetenv("HUBSYNC_BIN_DIR") + "/githubsim");
        {
            Config config;
            config.database = dsn;
            config.sandbox = true;
            MainWindow window(config);
            window.show();
            QVERIFY(QTest::qWaitForWindowExposed(&window));
            QTRY_VERIFY_WITH_TIMEOUT(window.statusText().contains(QStringLiteral("backfill complete")), 60000);
            // Progress rows arrived from the real backfill, one per repository x collection.
            QVERIFY(window.progressView()->model()->rowCount() >= 9);
            QVERIFY(window.progressView()->model()->totalWritten() > 0);
            // Without a system tray (offscreen), the completion notice shows inside the window.
            if (!window.notifier()->usesTray())
                QTRY_VERIFY(window.bannerText().contains(QStringLiteral("Backfill complete")));
            QVERIFY(window.notifier()->lastMessage().contains(QStringLiteral("Backfill complete")));
            const QImage shot = window.grab().toImage();
            QVERIFY(!shot.isNull());
            QVERIFY(shot.width() > 100 && shot.height() > 100);
        }
        PgTestInstance::shared().dropDatabase(dsn);
    }

    void showsDatabaseErrors() {
        Config config;
        config.database = QStringLiteral("host=/nonexistent-dir port=1 dbname=x connect_timeout=2");
        MainWindow window(config);
        window.show();
        QTRY_VERIFY_WITH_TIMEOUT(window.statusText().contains(QStringLiteral("database error")), 30000);
    }
};

QTEST_MAIN(TestMainWindow)
#include "tst_mainwindow.moc"
