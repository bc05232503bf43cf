#include "ui/mainwindow.h"

#include "ui/progressview.h"

#include <QCloseEvent>
#include <QLabel>
#include <QStatusBar>
#include <QTabWidget>
#include <QVBoxLayout>

namespace hubsync {

MainWindow::MainWindow(const Config &config, QWidget *parent)
    : QMainWindow(parent)
    , m_controller(config) {
    setWindowTitle(QStringLiteral("HubSync"));
    auto *central = new QWidget(this);
    auto *layout = new QVBoxLayout(central);

    // In-window notifications, used when the desktop has no system tray.
    m_banner = new QLabel(central);
    m_banner->setObjectName(QStringLiteral("notificationBanner"));
    m_banner->setWordWrap(true);
    m_banner->hide();
    layout->addWidget(m_banner);

    m_tabs = new QTabWidget(central);
    m_progress = new ProgressView(m_tabs);
    m_tabs->addTab(m_progress, tr("Sync progress"));
    layout->addWidget(m_tabs, 1);
    setCentralWidget(central);

    m_status = new QLabel(tr("Starting…"), this);
    m_status->setObjectName(QStringLiteral("engineStatus"));
    statusBar()->addWidget(m_status, 1);
    resize(1000, 650);

    m_notifier = new Notifier(this, this);
    connect(m_notifier, &Notifier::showInWindow, this, &MainWindow::showBanner);
    connect(m_notifier, &Notifier::activated, this, [this] {
        showNormal();
        raise();
        activateWindow();
    });

    connect(&m_controller, &EngineController::statusChanged, this, &MainWindow::showStatus);
    connect(&m_controller, &EngineController::progress, m_progress, &ProgressView::showProgress);
    connect(&m_controller, &EngineController::warning, m_progress, &ProgressView::showWarning);
    connect(&m_controller, &EngineController::failed, this, [this](const Error &error) {
        m_status->setText(tr("Error: %1").arg(error.message));
        m_progress->showError(error.message);
        m_notifier->notify(Notifier::Kind::Error, tr("HubSync error"), error.message);
    });
    connect(&m_controller, &EngineController::backfillComplete, this, [this](const BackfillSummary &summary) {
        m_notifier->notify(Notifier::Kind::Information, tr("Backfill complete"),
                           tr("%1 records from %2 repositories in %3 s")
                               .arg(summary.records)
                               .arg(summary.repositories)
                               .arg(summary.seconds, 0, 'f', 1));
    });
    m_controller.start();
}

MainWindow::~MainWindow() = default;

QString MainWindow::statusText() const {
    return m_status->text();
}

QString MainWindow::bannerText() const {
    return m_banner->isVisible() ? m_banner->text() : QString();
}

void MainWindow::showStatus(const EngineStatus &status) {
    m_status->setText(tr("%1 — %2").arg(stateName(status.state), status.message));
    m_progress->showStatus(status);
}

void MainWindow::showBanner(Notifier::Kind kind, const QString &title, const QString &message) {
    m_banner->setStyleSheet(kind == Notifier::Kind::Error
                                ? QStringLiteral("QLabel { background: #fde7e9; color: #8a0010; padding: 6px; }")
                                : QStringLiteral("QLabel { background: #e6f4ea; color: #0d5223; padding: 6px; }"));
    m_banner->setText(QStringLiteral("<b>%1</b> — %2").arg(title.toHtmlEscaped(), message.toHtmlEscaped()));
    m_banner->show();
}

void MainWindow::closeEvent(QCloseEvent *event) {
    // Minimise to the tray instead of quitting when a tray exists; the sync keeps running.
    if (m_notifier->usesTray() && !m_quitting) {
        hide();
        event->ignore();
        return;
    }
    QMainWindow::closeEvent(event);
}

} // namespace hubsync
