#include "ui/mainwindow.h"

#include <QLabel>
#include <QVBoxLayout>

namespace hubsync {

MainWindow::MainWindow(const Config &config, QWidget *parent)
    : QMainWindow(parent)
    , m_controller(config)
{
    setWindowTitle(QStringLiteral("HubSync"));
    auto *central = new QWidget(this);
    auto *layout = new QVBoxLayout(central);
    m_status = new QLabel(tr("Starting…"), central);
    m_status->setObjectName(QStringLiteral("engineStatus"));
    m_status->setWordWrap(true);
    layout->addWidget(m_status);
    setCentralWidget(central);
    resize(900, 600);

    connect(&m_controller, &EngineController::statusChanged, this, &MainWindow::showStatus);
    connect(&m_controller, &EngineController::failed, this,
            [this](const Error &error) { m_status->setText(tr("Error: %1").arg(error.message)); });
    m_controller.start();
}

MainWindow::~MainWindow() = default;

QString MainWindow::statusText() const { return m_status->text(); }

void MainWindow::showStatus(const EngineStatus &status)
{
    m_status->setText(tr("%1 — %2").arg(stateName(status.state), status.message));
}

} // namespace hubsync
