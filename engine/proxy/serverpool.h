#pragma once

// Server connections a client left, kept for the next client that sends the same StartupMessage (session
// pooling, what pgbouncer's pool_mode=session does). A new backend costs PostgreSQL a fork, catalog cache
// loading and a page fault for every shared buffer it touches; a kept one has paid all three, which is
// most of what pooling proxies win over a plain relay with short-lived client connections.
//
// What makes a reuse safe, and what is given to the next client:
// * Only connections the server admitted without asking for a password are kept (trust, peer: the
//   authentication exchange was a bare AuthenticationOk). The server would admit the next client with
//   the same StartupMessage from the same proxy in the same way, so reuse grants nothing a new
//   connection would not; the proxy still never sees a password. Connections that proved a password
//   (SCRAM, md5, password) are closed when their client leaves, as before.
// * The StartupMessage must match byte for byte: user, database, options, application_name and every
//   other startup parameter the backend was started with.
// * The connection is parked only when its client ended cleanly with Terminate while idle (no
//   transaction, nothing in flight). The pool then runs DISCARD ALL (what a new session would see:
//   settings, prepared statements, portals, temp tables, LISTENs and advisory locks all gone) and keeps
//   the connection only if that answers without an error and leaves it idle.
// * The next client gets what the server said at startup, updated by every ParameterStatus since
//   (including DISCARD ALL's), a BackendKeyData of its own for the server's keys, and ReadyForQuery.
// * Kept at most `idleTimeoutMs`, at most `maxIdle` of them; a connection the server closes (a restart,
//   pg_terminate_backend) simply leaves the pool.

#include "proxy/protocol/framing.h"
#include "proxy/protocol/messages_backend.h"

#include <QByteArray>
#include <QElapsedTimer>
#include <QList>
#include <QObject>
#include <QPair>

#include <memory>
#include <optional>

class QTimer;

namespace hubsync::proxy {

class UpstreamConnection;

// A server connection between two clients, and what the next client must be told about it.
struct PooledServer final {
    UpstreamConnection *connection = nullptr;
    QByteArray startupPacket; // as the first client sent it (length word included): the pool's key
    QList<QPair<QByteArray, QByteArray>> parameters; // ParameterStatus name and value, in first-seen order
    protocol::BackendKeyData serverKey;

    // Records a ParameterStatus: a new value replaces the old one in place.
    void setParameter(const QByteArray &name, const QByteArray &value);
};

class ServerPool final : public QObject {
    Q_OBJECT
public:
    ServerPool(int maxIdle, int idleTimeoutMs, QObject *parent = nullptr);
    ~ServerPool() override;
    Q_DISABLE_COPY_MOVE(ServerPool)

    [[nodiscard]] bool isEnabled() const { return m_maxIdle > 0 && m_idleTimeoutMs > 0; }
    // Takes the connection (reparented to the pool) and resets it; it is offered to take() once the
    // reset succeeded, and closed otherwise.
    void park(PooledServer server);
    // A reset, idle connection started with exactly this StartupMessage (the most recently parked one).
    std::optional<PooledServer> take(const QByteArray &startupPacket);
    // Closes every kept connection (the proxy stops).
    void clear();

    // Connections kept now, idle or being reset.
    [[nodiscard]] int size() const { return int(m_entries.size()); }
    [[nodiscard]] quint64 reused() const { return m_reused; }

private:
    struct Entry;
    void onReadable(Entry *entry);
    void drop(Entry *entry, bool terminate);
    void sweep();

    const int m_maxIdle;
    const int m_idleTimeoutMs;
    QList<Entry *> m_entries; // owned; oldest first
    QTimer *m_sweep = nullptr;
    quint64 m_reused = 0;
};

} // namespace hubsync::proxy
