#pragma once

#include "core/config.h"
#include "facade/engine.h"
#include "ui/notifier.h"

#include <QMainWindow>

class QLabel;
class QPushButton;
class QTabWidget;

namespace hubsync {

class ProgressView;
class RepositoryPicker;
class TableBrowser;

// The desktop window. It talks to the engine only through EngineController (the facade); the table
// browser reads and edits through the engine's Postgres proxy.
class MainWindow final : public QMainWindow {
    Q_OBJECT
public:
    explicit MainWindow(const Config &config, QWidget *parent = nullptr);
    ~MainWindow() override;
    Q_DISABLE_COPY_MOVE(MainWindow)

    [[nodiscard]] QString statusText() const;
    [[nodiscard]] ProgressView *progressView() const { return m_progress; }
    [[nodiscard]] RepositoryPicker *picker() const { return m_picker; }
    [[nodiscard]] TableBrowser *browser() const { return m_browser; }
    [[nodiscard]] QTabWidget *tabs() const { return m_tabs; }
    [[nodiscard]] Notifier *notifier() const { return m_notifier; }
    [[nodiscard]] EngineController &controller() { return m_controller; }
    [[nodiscard]] QString bannerText() const;
    [[nodiscard]] QString quotaText() const;
    // What Help > About HubSync shows (rich text): the versions of HubSync, Qt, libpq and the server.
    [[nodiscard]] QString aboutText() const;

protected:
    void closeEvent(QCloseEvent *event) override;
    void changeEvent(QEvent *event) override;

private:
    void showStatus(const EngineStatus &status);
    void showBanner(Notifier::Kind kind, const QString &title, const QString &message);
    void showQuota(const CollectionProgress &progress);
    void restoreSettings();
    void saveSettings() const;
    void createMenus();
    void showAbout();

    EngineController m_controller;
    QLabel *m_status = nullptr;
    QLabel *m_quota = nullptr;
    QString m_restQuota; // the last figures of each pool, shown together
    QString m_graphqlQuota;
    QWidget *m_bannerBox = nullptr;
    QLabel *m_banner = nullptr;
    QTabWidget *m_tabs = nullptr;
    ProgressView *m_progress = nullptr;
    RepositoryPicker *m_picker = nullptr;
    TableBrowser *m_browser = nullptr;
    Notifier *m_notifier = nullptr;
    DatabaseEndpoint m_database;
    bool m_awaitingProxy = false;
    bool m_listedRepositories = false;
};

} // namespace hubsync
