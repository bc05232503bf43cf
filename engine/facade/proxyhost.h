#pragma once

#include "core/config.h"
#include "core/errors.h"
#include "proxy/proxyserver.h"

#include <QObject>
#include <QThread>

#include <atomic>
#include <memory>

namespace hubsync {

namespace sync {
class Api;
}
namespace proxy {
class WriteThrough;
}

// Runs the Postgres proxy, and its write-through to GitHub, on a thread of their own. A proxy client
// can hold locks (a transaction left open, SELECT .. FOR UPDATE, LOCK TABLE): the sync engine's
// synchronous writes then wait for them, and if the proxy shared the engine's thread it could never
// relay the client's COMMIT that releases them. Write-through gets its own GitHub client on the proxy
// thread (same credentials and base URL as the engine's; QNetworkAccessManager is thread-bound).
class ProxyHost final : public QObject {
    Q_OBJECT
public:
    explicit ProxyHost(proxy::ProxyOptions options, QObject *parent = nullptr);
    ~ProxyHost() override; // closes every session and joins the thread
    Q_DISABLE_COPY_MOVE(ProxyHost)

    // Both block until the proxy thread has done the work.
    Error listen();
    // github: the effective GitHub settings (the sandbox's URL and token already filled in).
    Error enableWriteThrough(const Config &github, const QString &conninfo);

    [[nodiscard]] quint16 port() const { return m_port; }
    [[nodiscard]] QHostAddress address() const { return m_options.listenAddress; }
    // Thread-safe: a write-through is between its first GitHub call and its commit.
    [[nodiscard]] bool isWriting() const { return m_writing.load() > 0; }

Q_SIGNALS:
    // A write-through finished and none is running (emitted on the proxy thread; connect queued).
    void writesIdle();

private:
    template <typename Fn>
    void runOnThread(Fn fn);

    proxy::ProxyOptions m_options;
    QThread m_thread;
    QObject *m_context = nullptr; // lives on m_thread; the objects below are used only there
    std::unique_ptr<sync::Api> m_api;
    std::unique_ptr<proxy::WriteThrough> m_writeThrough; // outlives m_proxy: sessions reconcile through it
    std::unique_ptr<proxy::ProxyServer> m_proxy;
    quint16 m_port = 0;
    std::atomic<int> m_writing{0};
};

} // namespace hubsync
