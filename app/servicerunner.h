#pragma once

#include "core/config.h"
#include "facade/engine.h"

#include <QHash>
#include <QObject>

namespace hubsync {

// Runs the engine without a window: logs the same events the GUI shows and turns the outcome into
// the exit codes of the command-line contract.
class ServiceRunner final : public QObject {
    Q_OBJECT
public:
    explicit ServiceRunner(const Config &config, QObject *parent = nullptr);
    Q_DISABLE_COPY_MOVE(ServiceRunner)

    void start();

private:
    Config m_config;
    EngineController m_controller;
    QHash<QString, qint64> m_lastProgressLine;
    DatabaseEndpoint m_endpoint;
};

// Makes SIGINT/SIGTERM/SIGHUP quit the event loop cleanly, in either mode, so that the embedded database
// and the sandbox simulator are stopped before the process exits.
void installQuitOnSignals();

} // namespace hubsync
