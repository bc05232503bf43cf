#pragma once

#include "core/config.h"
#include "facade/engine.h"
#include "ui/notifier.h"

#include <QMainWindow>

class QLabel;
class QTabWidget;

namespace hubsync {

class ProgressView;

// The desktop window. It talks to the engine only through EngineController (the facade).
class MainWindow final : public QMainWindow {
    Q_OBJECT
public:
    explicit MainWindow(const Config &config, QWidget *parent = nullptr);
    ~MainWindow() override;
    Q_DISABLE_COPY_MOVE(MainWindow)

    [[nodiscard]] QString statusText() const;
    [[nodiscard]] ProgressView *progressView() const { return m_progress; }
    [[nodiscard]] Notifier *notifier() const { return m_notifier; }
    [[nodiscard]] QString bannerText() const;

protected:
    void closeEvent(QCloseEvent *event) override;

private:
    void showStatus(const EngineStatus &status);
    void showBanner(Notifier::Kind kind, const QString &title, const QString &message);

    EngineController m_controller;
    QLabel *m_status = nullptr;
    QLabel *m_banner = nullptr;
    QTabWidget *m_tabs = nullptr;
    ProgressView *m_progress = nullptr;
    Notifier *m_notifier = nullptr;
    bool m_quitting = false;
};

} // namespace hubsync
