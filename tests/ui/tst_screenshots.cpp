#include "ui/mainwindow.h"
#include "ui/progressview.h"
#include "ui/repositorypicker.h"
#include "ui/tablebrowser.h"
#include "ui/tablepagemodel.h"
#include "uitestsupport.h"

#include <QApplication>
#include <QSignalSpy>
#include <QTabWidget>
#include <QTest>

using namespace hubsync;
using hubsync::test::UiFixture;

// Screenshots of each main screen, under the X server run-all.sh starts (xcb) or offscreen, saved in
// <build dir>/screenshots and checked not blank.
class TestScreenshots : public QObject {
    Q_OBJECT
private:
    static void shoot(QWidget *window, const QString &name) {
        QTest::qWait(200); // let pending paints land
        const QImage image = window->grab().toImage();
        QVERIFY(!image.isNull());
        const QString path = hubsync::test::screenshotDirectory() + QLatin1Char('/') + name + QStringLiteral(".png");
        QVERIFY2(image.save(path), qPrintable(path));
        const int colours = hubsync::test::distinctColours(image);
        qInfo("%s: %dx%d, %d colours (%s platform)", qPrintable(path), image.width(), image.height(), colours,
              qPrintable(QGuiApplication::platformName()));
        QVERIFY2(colours > 16, qPrintable(QStringLiteral("%1 looks blank: %2 colours").arg(name).arg(colours)));
    }

private Q_SLOTS:
    void eachMainScreen() {
        UiFixture fixture;
        const QString error = fixture.start(QStringLiteral("screenshots"));
        QVERIFY2(error.isEmpty(), qPrintable(error));
        MainWindow window(fixture.config({QStringLiteral("octo-org/repo-0"), QStringLiteral("octo-org/repo-1")}));
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        QTRY_VERIFY_WITH_TIMEOUT(window.statusText().contains(QStringLiteral("backfill complete")), 60000);

        window.tabs()->setCurrentWidget(window.progressView());
        shoot(&window, QStringLiteral("progress"));

        window.tabs()->setCurrentWidget(window.picker());
        QTRY_COMPARE_WITH_TIMEOUT(window.picker()->model()->rowCount(), 3, 20000);
        QVERIFY(window.picker()->model()->setChecked(QStringLiteral("octo-org/repo-2"), true));
        shoot(&window, QStringLiteral("picker"));

        window.tabs()->setCurrentWidget(window.browser());
        QTRY_VERIFY_WITH_TIMEOUT(window.browser()->isConnected(), 20000);
        QSignalSpy loaded(window.browser(), &TableBrowser::pageLoaded);
        window.browser()->setTable(QStringLiteral("issue"));
        QVERIFY(loaded.wait(20000));
        shoot(&window, QStringLiteral("browser"));

        // Error state: an edit GitHub (or this build's proxy) refuses.
        QSignalSpy finished(window.browser(), &TableBrowser::editFinished);
        const QModelIndex cell =
            window.browser()->model()->index(0, window.browser()->model()->columnIndex(QStringLiteral("state")));
        window.browser()->model()->setData(cell, QStringLiteral("sideways"), Qt::EditRole);
        QVERIFY(finished.wait(30000));
        QVERIFY(!window.browser()->errorText().isEmpty());
        shoot(&window, QStringLiteral("error"));
    }
};

int main(int argc, char **argv) {
    // With an X server (run-all.sh runs the suite under Xvfb) the screenshots are real xcb windows.
    if (!qEnvironmentVariableIsEmpty("DISPLAY"))
        qputenv("QT_QPA_PLATFORM", "xcb");
    QApplication app(argc, argv);
    TestScreenshots test;
    return QTest::qExec(&test, argc, argv);
}

#include "tst_screenshots.moc"
