#pragma once

#include "core/errors.h"

#include <QString>

#include <memory>

class QNetworkAccessManager;
class QProcess;

namespace hubsync {

// --sandbox: runs the bundled GitHub simulator (the `githubsim` executable installed next to hubsync)
// with sample data on a loopback port, so HubSync can be tried without GitHub access.
class Sandbox final {
public:
    Sandbox();
    ~Sandbox();
    Q_DISABLE_COPY_MOVE(Sandbox)

    // Starts the simulator and waits (up to 30 s) for its "listening on" line.
    Error start(const QString &dataset = QStringLiteral("small"));
    void stop();

    // Points the simulator's webhooks at `url`, signed with `secret` (asynchronous; failures are logged).
    void deliverWebhooksTo(const QString &url, const QString &secret);

    [[nodiscard]] QString apiUrl() const { return m_apiUrl; }
    [[nodiscard]] QString token() const { return m_token; }

    // Where the simulator binary is looked for: $HUBSYNC_GITHUBSIM, next to this executable, then PATH.
    static QString findSimulator();

private:
    std::unique_ptr<QProcess> m_process;
    std::unique_ptr<QNetworkAccessManager> m_network;
    QString m_apiUrl;
    QString m_token;
};

} // namespace hubsync
