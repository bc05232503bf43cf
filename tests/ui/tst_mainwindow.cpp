#include "pgtestinstance.h"
#include "ui/mainwindow.h"

#include <QLabel>
#include <QTest>

using namespace hubsync;
using hubsync::test::PgTestInstance;

class TestMainWindow : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void showsEngineStatusFromARealDatabase()
    {
        const QString dsn = PgTestInstance::shared().createDatabase(QStringLiteral("mainwindow"));
        QVERIFY2(!dsn.isEmpty(), qPrintable(PgTestInstance::shared().error()));
        {
            Config config;
            config.database = dsn;
            MainWindow window(config);
            window.show();
            QVERIFY(QTest::qWaitForWindowExposed(&window));
            QTRY_VERIFY_WITH_TIMEOUT(window.statusText().startsWith(QStringLiteral("live")), 30000);
            const QImage shot = window.grab().toImage();
            QVERIFY(!shot.isNull());
            QVERIFY(shot.width() > 100 && shot.height() > 100);
        }
        PgTestInstance::shared().dropDatabase(dsn);
    }

    void showsDatabaseErrors()
    {
        Config config;
        config.database = QStringLiteral("host=/nonexistent-dir port=1 dbname=x connect_timeout=2");
        MainWindow window(config);
        window.show();
        QTRY_VERIFY_WITH_TIMEOUT(window.statusText().contains(QStringLiteral("database error")), 30000);
    }
};

QTEST_MAIN(TestMainWindow)
#include "tst_mainwindow.moc"
