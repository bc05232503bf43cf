// The application icon compiled from resources/hubsync.qrc: every size the window manager, taskbar and
// tray ask for is there, really has that size, and is drawn (not an empty canvas).

#include <QIcon>
#include <QImage>
#include <QTest>

class TestResources : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void iconImage_data() {
        QTest::addColumn<int>("size");
        for (const int size : iconSizes())
            QTest::newRow(qPrintable(QString::number(size))) << size;
    }

    void iconImage() {
        QFETCH(int, size);
        const QImage image(iconPath(size));
        QVERIFY2(!image.isNull(), qPrintable(iconPath(size)));
        QCOMPARE(image.size(), QSize(size, size));
        QVERIFY(image.hasAlphaChannel());
        // Opaque in the middle (the database), transparent in the corner (outside the rounded tile).
        QCOMPARE(qAlpha(image.pixel(size / 2, size / 2)), 255);
        QCOMPARE(qAlpha(image.pixel(0, 0)), 0);
    }

    void iconHasEverySize() {
        QIcon icon;
        for (const int size : iconSizes())
            icon.addFile(iconPath(size), QSize(size, size));
        QVERIFY(!icon.isNull());
        const QList<QSize> available = icon.availableSizes();
        for (const int size : iconSizes()) {
            QVERIFY2(available.contains(QSize(size, size)), qPrintable(QString::number(size)));
            QCOMPARE(icon.pixmap(QSize(size, size), 1.0).size(), QSize(size, size));
        }
    }

private:
    static QList<int> iconSizes() { return {16, 32, 48, 64, 128, 256}; }
    static QString iconPath(int size) { return QStringLiteral(":/icons/hubsync-%1.png").arg(size); }
};

QTEST_MAIN(TestResources)
#include "tst_resources.moc"
