#include "servicerunner.h"

#include "core/log.h"
#include "psqlcommand.h"

#include <QCoreApplication>
#include <QDateTime>
#include <QSocketNotifier>

#ifdef Q_OS_UNIX
#include <sys/socket.h>
#include <unistd.h>

#include <csignal>
#endif

namespace hubsync {

ServiceRunner::ServiceRunner(const Config &config, QObject *parent)
    : QObject(parent)
    , m_config(config)
    , m_controller(config) {
    connect(&m_controller, &EngineController::statusChanged, this, [this](const EngineStatus &status) {
        QString line = QStringLiteral("%1: %2").arg(stateName(status.state), status.message);
        if (status.state == EngineStatus::State::Live && !status.liveSyncMode.isEmpty())
            line += QStringLiteral(" (live sync: %1)").arg(status.liveSyncMode);
        logInfo(QStringLiteral("service"), line);
    });
    // One line when a repository x collection finishes, and at most one every 5 s while it runs.
    connect(&m_controller, &EngineController::progress, this, [this](const CollectionProgress &p) {
        const QString key = p.repository + QLatin1Char(' ') + p.collection;
        const qint64 now = QDateTime::currentMSecsSinceEpoch();
        if (!p.done && now - m_lastProgressLine.value(key, 0) < 5000)
            return;
        m_lastProgressLine.insert(key, now);
        QString line = QStringLiteral("%1 %2: %3 fetched, %4 written")
                           .arg(p.repository, p.collection)
                           .arg(p.fetched)
                           .arg(p.written);
        if (p.done)
            line += QStringLiteral(" (done)");
        else if (p.recordsPerSecond > 0)
            line += QStringLiteral(", %1 records/s").arg(p.recordsPerSecond, 0, 'f', 0);
        if (p.etaSeconds >= 0 && !p.done)
            line += QStringLiteral(", ETA %1 s").arg(p.etaSeconds);
        if (p.quotaRemaining >= 0)
            line += QStringLiteral(", quota left: REST %1").arg(p.quotaRemaining);
        if (p.graphqlRemaining >= 0)
            line +=
                (p.quotaRemaining >= 0 ? QStringLiteral(", GraphQL %1") : QStringLiteral(", quota left: GraphQL %1"))
                    .arg(p.graphqlRemaining);
        logInfo(QStringLiteral("progress"), line);
    });
    connect(&m_controller, &EngineController::warning, this,
            [](const QString &message) { logWarning(QStringLiteral("service"), message); });
    // What the desktop notifies about live sync (a delivery that could not be applied) is logged here.
    connect(&m_controller, &EngineController::liveEvent, this, [](const LiveSyncEvent &event) {
        if (event.failed)
            logWarning(QStringLiteral("service"), QStringLiteral("live sync: %1").arg(event.summary));
    });
    connect(&m_controller, &EngineController::backfillComplete, this, [this](const BackfillSummary &s) {
        logInfo(QStringLiteral("service"),
                QStringLiteral("backfill complete: %1 records in %2 s").arg(s.records).arg(s.seconds, 0, 'f', 1));
        if (!m_endpoint.host.isEmpty())
            logInfo(QStringLiteral("service"),
                    QStringLiteral("query the data with: %1")
                        .arg(psqlCommandLine(m_config,
                                             QStringLiteral("host=%1 port=%2 user=%3 dbname=%4")
                                                 .arg(m_endpoint.host)
                                                 .arg(m_endpoint.port)
                                                 .arg(m_endpoint.user, m_endpoint.database),
                                             QStringLiteral("SELECT * FROM %1.issue LIMIT 5").arg(m_config.schema))));
        if (m_config.backfillOnly)
            QCoreApplication::exit(static_cast<int>(ExitCode::Ok));
    });
    connect(&m_controller, &EngineController::databaseReady, this,
            [this](const DatabaseEndpoint &endpoint) { m_endpoint = endpoint; });
    connect(&m_controller, &EngineController::failed, this, [](const Error &error) {
        logError(QStringLiteral("service"), error.message);
        QCoreApplication::exit(static_cast<int>(exitCodeFor(error)));
    });
}

void ServiceRunner::start() {
    logInfo(QStringLiteral("service"),
            QStringLiteral("HubSync %1 starting in service mode").arg(QStringLiteral(HUBSYNC_VERSION)));
    m_controller.start();
}

#ifdef Q_OS_UNIX
namespace {
int signalPipe[2] = {-1, -1};

void onSignal(int) {
    const char byte = 1;
    [[maybe_unused]] const auto written = ::write(signalPipe[1], &byte, 1);
}
} // namespace

void installQuitOnSignals() {
    if (::socketpair(AF_UNIX, SOCK_STREAM, 0, signalPipe) != 0)
        return;
    auto *notifier = new QSocketNotifier(signalPipe[0], QSocketNotifier::Read, QCoreApplication::instance());
    QObject::connect(notifier, &QSocketNotifier::activated, QCoreApplication::instance(), [] {
        char byte = 0;
        [[maybe_unused]] const auto got = ::read(signalPipe[0], &byte, 1);
        logInfo(QStringLiteral("app"), QStringLiteral("stopping on signal"));
        QCoreApplication::quit();
    });
    struct sigaction action = {};
    action.sa_handler = onSignal;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESTART;
    sigaction(SIGINT, &action, nullptr);
    sigaction(SIGTERM, &action, nullptr);
    sigaction(SIGHUP, &action, nullptr); // the terminal went away (or a desktop session ended)
}
#else
void installQuitOnSignals() {}
#endif

} // namespace hubsync
