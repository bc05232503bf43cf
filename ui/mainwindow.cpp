#include "ui/mainwindow.h"

#include "ui/progressview.h"
#include "ui/repositorypicker.h"
#include "ui/tablebrowser.h"

#include <QAbstractItemView>
#include <QAction>
#include <QApplication>
#include <QClipboard>
#include <QCloseEvent>
#include <QCoreApplication>
#include <QDateTime>
#include <QGuiApplication>
#include <QHBoxLayout>
#include <QKeySequence>
#include <QLabel>
#include <QMenuBar>
#include <QMessageBox>
#include <QPushButton>
#include <QSettings>
#include <QStatusBar>
#include <QTabWidget>
#include <QTableView>
#include <QTimer>
#include <QVBoxLayout>

#include <algorithm>

namespace hubsync {

namespace {

constexpr auto geometryKey = "window/geometry";
constexpr auto stateKey = "window/state";
constexpr auto tabKey = "window/tab";
constexpr auto tableKey = "browser/table";
constexpr auto filterKey = "browser/filter";
constexpr auto filterColumnKey = "browser/filterColumn";

} // namespace

MainWindow::MainWindow(const Config &config, QWidget *parent)
    : QMainWindow(parent)
    , m_controller(config) {
    setWindowTitle(QStringLiteral("HubSync"));
    auto *central = new QWidget(this);
    auto *layout = new QVBoxLayout(central);

    // In-window notifications, used when the desktop has no system tray (and for errors, which must
    // stay in sight until read).
    m_bannerBox = new QWidget(central);
    m_bannerBox->setObjectName(QStringLiteral("notificationBar"));
    auto *bannerLayout = new QHBoxLayout(m_bannerBox);
    bannerLayout->setContentsMargins(0, 0, 0, 0);
    m_banner = new QLabel(m_bannerBox);
    m_banner->setObjectName(QStringLiteral("notificationBanner"));
    m_banner->setWordWrap(true);
    m_banner->setTextInteractionFlags(Qt::TextSelectableByMouse);
    auto *dismiss = new QPushButton(tr("Dismiss"), m_bannerBox);
    bannerLayout->addWidget(m_banner, 1);
    bannerLayout->addWidget(dismiss);
    connect(dismiss, &QPushButton::clicked, m_bannerBox, &QWidget::hide);
    m_bannerBox->hide();
    layout->addWidget(m_bannerBox);

    m_tabs = new QTabWidget(central);
    m_tabs->setObjectName(QStringLiteral("mainTabs"));
    m_progress = new ProgressView(m_tabs);
    m_picker = new RepositoryPicker(config.keepRemovedRepos, m_tabs);
    m_browser = new TableBrowser(config.schema, EngineController::syncedTables(), m_tabs);
    m_tabs->addTab(m_progress, tr("Sync progress"));
    m_tabs->addTab(m_picker, tr("Repositories"));
    m_tabs->addTab(m_browser, tr("Tables"));
    layout->addWidget(m_tabs, 1);
    setCentralWidget(central);

    m_status = new QLabel(tr("Starting…"), this);
    m_status->setObjectName(QStringLiteral("engineStatus"));
    m_quota = new QLabel(this);
    m_quota->setObjectName(QStringLiteral("statusQuota"));
    statusBar()->addWidget(m_status, 1);
    statusBar()->addPermanentWidget(m_quota);
    resize(1100, 700);

    createMenus();

    m_notifier = new Notifier(this, this);
    connect(m_notifier, &Notifier::showInWindow, this, &MainWindow::showBanner);
    connect(m_notifier, &Notifier::activated, this, [this] {
        showNormal();
        raise();
        activateWindow();
    });

    connect(&m_controller, &EngineController::statusChanged, this, &MainWindow::showStatus);
    connect(&m_controller, &EngineController::progress, m_progress, &ProgressView::showProgress);
    connect(&m_controller, &EngineController::progress, this, &MainWindow::showQuota);
    connect(&m_controller, &EngineController::warning, m_progress, &ProgressView::showWarning);
    connect(&m_controller, &EngineController::liveEvent, m_progress, &ProgressView::showLiveEvent);
    connect(&m_controller, &EngineController::liveEvent, this, [this](const LiveSyncEvent &event) {
        if (event.failed)
            m_notifier->notify(Notifier::Kind::Error, tr("Live sync"), event.summary);
    });
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
        m_controller.listRepositories();
        m_browser->reload();
    });

    // The browser goes through the proxy, so edits reach GitHub; the proxy's endpoint, if it starts,
    // arrives before the engine's next status (both come from the engine thread, in order).
    connect(&m_controller, &EngineController::databaseReady, this, [this](const DatabaseEndpoint &endpoint) {
        m_database = endpoint;
        m_awaitingProxy = true;
    });
    connect(&m_controller, &EngineController::proxyReady, this, [this](const DatabaseEndpoint &endpoint) {
        m_awaitingProxy = false;
        m_browser->connectTo(endpoint, true);
    });
    connect(&m_controller, &EngineController::visibleRepositories, m_picker, &RepositoryPicker::showRepositories);
    connect(m_picker, &RepositoryPicker::refreshRequested, &m_controller, &EngineController::listRepositories);
    connect(m_picker, &RepositoryPicker::selectionChangeRequested, &m_controller,
            &EngineController::changeRepositorySelection);
    connect(m_browser, &TableBrowser::stateChanged, this, &MainWindow::saveSettings);
    connect(m_browser, &TableBrowser::editFinished, this, [this](const EditOutcome &outcome) {
        if (!outcome.ok)
            m_notifier->notify(Notifier::Kind::Error, tr("GitHub refused the edit"), outcome.failure.text());
    });

    restoreSettings();
    m_controller.start();
}

MainWindow::~MainWindow() {
    saveSettings();
}

QString MainWindow::statusText() const {
    return m_status->text();
}

QString MainWindow::bannerText() const {
    return m_bannerBox->isHidden() ? QString() : m_banner->text();
}

QString MainWindow::quotaText() const {
    return m_quota->text();
}

void MainWindow::showStatus(const EngineStatus &status) {
    m_status->setText(tr("%1 — %2").arg(stateName(status.state), status.message));
    m_progress->showStatus(status);
    if (m_awaitingProxy) {
        // No proxy (--backfill-only, or its port was taken): the browser reads the database directly.
        m_awaitingProxy = false;
        m_browser->connectTo(m_database, false);
    }
    if (!m_listedRepositories && status.state == EngineStatus::State::Backfilling) {
        m_listedRepositories = true; // connected to GitHub: the picker can list what it sees
        m_controller.listRepositories();
    }
}

void MainWindow::showQuota(const CollectionProgress &progress) {
    // GitHub's two budgets, REST requests and GraphQL points, are separate pools.
    const auto reset = [this](qint64 epoch) {
        return epoch > 0 ? QDateTime::fromSecsSinceEpoch(epoch).toLocalTime().toString(QStringLiteral("HH:mm"))
                         : tr("unknown");
    };
    if (progress.quotaRemaining >= 0)
        m_restQuota = tr("REST %1 left, resets %2").arg(progress.quotaRemaining).arg(reset(progress.quotaResetEpoch));
    if (progress.graphqlRemaining >= 0)
        m_graphqlQuota =
            tr("GraphQL %1 left, resets %2").arg(progress.graphqlRemaining).arg(reset(progress.graphqlResetEpoch));
    if (m_restQuota.isEmpty() && m_graphqlQuota.isEmpty())
        return;
    QStringList pools{m_restQuota, m_graphqlQuota};
    pools.removeAll(QString());
    m_quota->setText(tr("API quota: %1").arg(pools.join(QStringLiteral(" · "))));
}

void MainWindow::showBanner(Notifier::Kind kind, const QString &title, const QString &message) {
    m_bannerBox->setStyleSheet(
        kind == Notifier::Kind::Error
            ? QStringLiteral("#notificationBar { background: #fde7e9; } QLabel { color: #8a0010; padding: 6px; }")
            : QStringLiteral("#notificationBar { background: #e6f4ea; } QLabel { color: #0d5223; padding: 6px; }"));
    m_bannerBox->setAttribute(Qt::WA_StyledBackground, true);
    QString text = message.toHtmlEscaped();
    text.replace(QLatin1Char('\n'), QStringLiteral("<br>"));
    m_banner->setText(QStringLiteral("<b>%1</b> — %2").arg(title.toHtmlEscaped(), text));
    m_bannerBox->show();
}

void MainWindow::createMenus() {
    const auto add = [this](QMenu *menu, const QString &name, const QString &text, const QKeySequence &keys,
                            auto slot) {
        QAction *action = menu->addAction(text);
        action->setObjectName(name);
        if (!keys.isEmpty())
            action->setShortcut(keys);
        connect(action, &QAction::triggered, this, slot);
        return action;
    };
    QMenu *file = menuBar()->addMenu(tr("&File"));
    add(file, QStringLiteral("actionQuit"), tr("&Quit"), QKeySequence::Quit, [this] {
        saveSettings();
        QCoreApplication::quit(); // the sync stops too (closing the window only hides it to the tray)
    });

    QMenu *edit = menuBar()->addMenu(tr("&Edit"));
    // Text fields handle Ctrl+C themselves (they take the shortcut first); this copies table cells.
    add(edit, QStringLiteral("actionCopy"), tr("&Copy"), QKeySequence::Copy, [this] {
        auto *view = qobject_cast<QAbstractItemView *>(QApplication::focusWidget());
        if (!view && m_tabs->currentWidget() == m_browser)
            view = m_browser->view();
        const QString text = TableBrowser::selectionText(view);
        if (!text.isEmpty())
            QGuiApplication::clipboard()->setText(text);
    });

    QMenu *view = menuBar()->addMenu(tr("&View"));
    static const char *const tabActions[] = {"actionShowProgress", "actionShowRepositories", "actionShowTables"};
    for (int i = 0; i < m_tabs->count() && i < int(std::size(tabActions)); ++i) {
        add(view, QString::fromLatin1(tabActions[i]), m_tabs->tabText(i),
            QKeySequence(QStringLiteral("Ctrl+%1").arg(i + 1)), [this, i] { m_tabs->setCurrentIndex(i); });
    }

    QMenu *sync = menuBar()->addMenu(tr("&Sync"));
    add(sync, QStringLiteral("actionSyncNow"), tr("Sync &now"), QKeySequence::Refresh, [this] {
        m_controller.syncNow();
        m_status->setText(tr("Checking GitHub for changes…"));
    });
    add(sync, QStringLiteral("actionRefreshRepositories"), tr("&Refresh the repository list"), QKeySequence(),
        [this] { m_controller.listRepositories(); });
    add(sync, QStringLiteral("actionReloadTable"), tr("Reload the &table"), QKeySequence(QStringLiteral("Ctrl+R")),
        [this] { m_browser->reload(); });

    QMenu *help = menuBar()->addMenu(tr("&Help"));
    add(help, QStringLiteral("actionAbout"), tr("&About HubSync"), QKeySequence(), &MainWindow::showAbout);
    add(help, QStringLiteral("actionAboutQt"), tr("About &Qt"), QKeySequence(), [this] { QMessageBox::aboutQt(this); });
}

QString MainWindow::aboutText() const {
    const QString server = m_database.serverVersion.isEmpty() ? tr("not connected yet") : m_database.serverVersion;
    const QString where = m_database.isValid()
                              ? QStringLiteral("%1 on %2").arg(m_database.database, m_database.host).toHtmlEscaped()
                              : tr("not connected yet");
    return tr("<h3>HubSync %1</h3><p>Keeps GitHub's data in your PostgreSQL database, and writes changes back "
              "to GitHub through its Postgres proxy.</p>"
              "<table><tr><td>Qt</td><td>%2 (built with %3)</td></tr>"
              "<tr><td>PostgreSQL server</td><td>%4</td></tr>"
              "<tr><td>libpq</td><td>%5</td></tr>"
              "<tr><td>Database</td><td>%6</td></tr></table>")
        .arg(QStringLiteral(HUBSYNC_VERSION), QString::fromLatin1(qVersion()), QStringLiteral(QT_VERSION_STR), server,
             EngineController::libpqVersion(), where);
}

void MainWindow::showAbout() {
    QMessageBox::about(this, tr("About HubSync"), aboutText());
}

void MainWindow::restoreSettings() {
    // Read everything first: applying the table emits stateChanged, which saves.
    const QSettings settings;
    const QByteArray geometry = settings.value(QLatin1String(geometryKey)).toByteArray();
    const QByteArray state = settings.value(QLatin1String(stateKey)).toByteArray();
    const int tab = settings.value(QLatin1String(tabKey), 0).toInt();
    const QString table = settings.value(QLatin1String(tableKey)).toString();
    const QString filter = settings.value(QLatin1String(filterKey)).toString();
    const QString column = settings.value(QLatin1String(filterColumnKey)).toString();
    restoreGeometry(geometry);
    restoreState(state);
    m_tabs->setCurrentIndex(std::clamp(tab, 0, m_tabs->count() - 1));
    if (!table.isEmpty())
        m_browser->setTable(table);
    if (!filter.isEmpty() || !column.isEmpty())
        m_browser->setFilter(filter, column);
}

void MainWindow::saveSettings() const {
    QSettings settings;
    settings.setValue(QLatin1String(geometryKey), saveGeometry());
    settings.setValue(QLatin1String(stateKey), saveState());
    settings.setValue(QLatin1String(tabKey), m_tabs->currentIndex());
    settings.setValue(QLatin1String(tableKey), m_browser->currentTable());
    settings.setValue(QLatin1String(filterKey), m_browser->filterText());
    settings.setValue(QLatin1String(filterColumnKey), m_browser->filterColumn());
}

void MainWindow::closeEvent(QCloseEvent *event) {
    saveSettings();
    // Close to the tray instead of quitting when a tray exists; the sync keeps running (the tray menu's
    // Quit ends it).
    if (m_notifier->usesTray()) {
        hide();
        event->ignore();
        return;
    }
    QMainWindow::closeEvent(event);
}

void MainWindow::changeEvent(QEvent *event) {
    QMainWindow::changeEvent(event);
    // Minimise to the tray: the window leaves the task bar, the tray icon brings it back.
    if (event->type() == QEvent::WindowStateChange && isMinimized() && m_notifier->usesTray())
        QTimer::singleShot(0, this, &QWidget::hide);
}

} // namespace hubsync
