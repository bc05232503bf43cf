#include "ui/notifier.h"

#include <QApplication>
#include <QMenu>
#include <QStyle>
#include <QSystemTrayIcon>
#include <QWidget>

namespace hubsync {

Notifier::Notifier(QWidget *window, QObject *parent)
    : QObject(parent)
    , m_window(window) {
    if (!QSystemTrayIcon::isSystemTrayAvailable())
        return;
    m_tray = new QSystemTrayIcon(this);
    const QIcon icon = QApplication::windowIcon().isNull()
                           ? QApplication::style()->standardIcon(QStyle::SP_DriveNetIcon)
                           : QApplication::windowIcon();
    m_tray->setIcon(icon);
    m_tray->setToolTip(QStringLiteral("HubSync"));
    m_menu = new QMenu(window);
    m_menu->addAction(tr("Show HubSync"), this, &Notifier::activated);
    m_menu->addAction(tr("Quit"), qApp, &QCoreApplication::quit);
    m_tray->setContextMenu(m_menu);
    connect(m_tray, &QSystemTrayIcon::activated, this, [this](QSystemTrayIcon::ActivationReason reason) {
        if (reason == QSystemTrayIcon::Trigger || reason == QSystemTrayIcon::DoubleClick)
            Q_EMIT activated();
    });
    m_tray->show();
}

Notifier::~Notifier() = default;

void Notifier::notify(Kind kind, const QString &title, const QString &message) {
    m_lastMessage = title + QStringLiteral(": ") + message;
    if (m_tray && m_tray->isVisible() && QSystemTrayIcon::supportsMessages()) {
        m_tray->showMessage(title, message,
                            kind == Kind::Error ? QSystemTrayIcon::Critical : QSystemTrayIcon::Information, 10000);
        return;
    }
    Q_EMIT showInWindow(kind, title, message);
}

} // namespace hubsync
