#include "uitestsupport.h"

#include "pgtestinstance.h"
#include "store/pg.h"

#include <QAbstractButton>
#include <QAbstractItemView>
#include <QAbstractSpinBox>
#include <QAccessible>
#include <QComboBox>
#include <QCoreApplication>
#include <QDir>
#include <QLineEdit>
#include <QMenu>
#include <QPlainTextEdit>
#include <QSet>
#include <QSettings>
#include <QTextEdit>

namespace hubsync::test {

UiFixture::UiFixture() {
    // QSettings of the window under test live in a directory of this test alone.
    QSettings::setPath(QSettings::NativeFormat, QSettings::UserScope, m_settings.path());
    QSettings::setPath(QSettings::IniFormat, QSettings::UserScope, m_settings.path());
}

UiFixture::~UiFixture() {
    m_sim.stop();
    if (!m_dsn.isEmpty())
        PgTestInstance::shared().dropDatabase(m_dsn);
}

QString UiFixture::start(const QString &name, const QStringList &simulatorArguments) {
    if (!m_sim.start(QStringList{QStringLiteral("--dataset"), QStringLiteral("small"), QStringLiteral("--token"),
                                 QString::fromLatin1(token())} +
                     simulatorArguments))
        return m_sim.error();
    m_dsn = PgTestInstance::shared().createDatabase(name);
    if (m_dsn.isEmpty())
        return PgTestInstance::shared().error();
    return {};
}

Config UiFixture::config(const QStringList &repos) const {
    Config config;
    config.githubApiUrl = m_sim.baseUrl();
    config.githubGraphqlUrl = m_sim.baseUrl() + QStringLiteral("/graphql");
    config.token = QString::fromLatin1(token());
    config.database = m_dsn;
    config.repos = repos;
    config.proxyListen = QStringLiteral("127.0.0.1:0");
    config.pollIntervalSeconds = 5;
    return config;
}

QString UiFixture::scalar(const QString &sql) const {
    pg::Connection db;
    if (db.open(m_dsn))
        return {};
    const pg::Result r = db.exec(sql);
    return r.ok() && r.rows() > 0 ? r.text(0, 0) : QString();
}

int distinctColours(const QImage &image) {
    QSet<QRgb> colours;
    const QImage rgb = image.convertToFormat(QImage::Format_RGB32);
    for (int y = 0; y < rgb.height(); y += 2) {
        const auto *line = reinterpret_cast<const QRgb *>(rgb.constScanLine(y));
        for (int x = 0; x < rgb.width(); x += 2)
            colours.insert(line[x]);
    }
    return int(colours.size());
}

QString screenshotDirectory() {
    const QString binDir = qEnvironmentVariable("HUBSYNC_BIN_DIR");
    const QString dir =
        (binDir.isEmpty() ? QCoreApplication::applicationDirPath() : binDir) + QStringLiteral("/../screenshots");
    QDir().mkpath(dir);
    return QDir(dir).absolutePath();
}

QStringList unnamedControls(const QWidget *root) {
    QStringList unnamed;
    for (QWidget *widget : root->findChildren<QWidget *>()) {
        const bool control = qobject_cast<QAbstractButton *>(widget) || qobject_cast<QLineEdit *>(widget) ||
                             qobject_cast<QComboBox *>(widget) || qobject_cast<QAbstractItemView *>(widget) ||
                             qobject_cast<QAbstractSpinBox *>(widget) || qobject_cast<QPlainTextEdit *>(widget) ||
                             qobject_cast<QTextEdit *>(widget);
        if (!control || widget->focusPolicy() == Qt::NoFocus || qobject_cast<QMenu *>(widget->parentWidget()))
            continue;
        QAccessibleInterface *accessible = QAccessible::queryAccessibleInterface(widget);
        if (!accessible || accessible->text(QAccessible::Name).trimmed().isEmpty())
            unnamed << QStringLiteral("%1 %2").arg(QString::fromLatin1(widget->metaObject()->className()),
                                                   widget->objectName());
    }
    return unnamed;
}

} // namespace hubsync::test
