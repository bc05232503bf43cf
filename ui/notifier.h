#pragma once

#include <QObject>
#include <QString>

class QSystemTrayIcon;
class QMenu;
class QWidget;

namespace hubsync {

// Shows high-level events (backfill complete, errors) in the system tray, or, where no tray exists
// (plain X servers, offscreen), through the window's own notification banner via showInWindow.
class Notifier final : public QObject {
    Q_OBJECT
public:
    enum class Kind { Information, Error };

    explicit Notifier(QWidget *window, QObject *parent = nullptr);
    ~Notifier() override;

    [[nodiscard]] bool usesTray() const { return m_tray != nullptr; }
    void notify(Kind kind, const QString &title, const QString &message);
    [[nodiscard]] QString lastMessage() const { return m_lastMessage; }

Q_SIGNALS:
    void showInWindow(hubsync::Notifier::Kind kind, const QString &title, const QString &message);
    void activated(); // tray icon clicked: bring the window back

private:
    QWidget *m_window = nullptr;
    QSystemTrayIcon *m_tray = nullptr;
    QMenu *m_menu = nullptr;
    QString m_lastMessage;
};

} // namespace hubsync
