#pragma once

// The PostgreSQL wire-protocol proxy in front of the user's database.
//
// Design
// ------
// * Sessions. ProxyServer listens (loopback by default) and gives every accepted client a Session with a
//   connection of its own to PostgreSQL (TCP, or the Unix socket of a socket directory), so session state
//   (prepared statements, SET, temp tables, LISTEN, transactions) behaves exactly as with a direct
//   connection. When a client ends cleanly, its server connection may be kept for the next client with
//   the same StartupMessage, reset with DISCARD ALL (ServerPool, serverpool.h: only connections the
//   server admitted without a password). The StartupMessage and the whole authentication exchange (trust, password,
//   md5, SCRAM-SHA-256) are relayed unchanged: the proxy never sees or needs a password. After that, messages are
//   relayed byte for byte; the client side is framed and validated (a malformed message ends the session with FATAL
//   08P01), the server side is relayed in chunks with only a handful of small messages inspected (BackendStream). Each
//   direction is bounded: a side is not read while the other side's unsent bytes exceed SessionLimits::maxPendingBytes,
//   so a slow client throttles the server through TCP flow control instead of filling our memory. Each session has an
//   explicit state (Session::State) and tracks the transaction status from ReadyForQuery.
// * Gate. Every Query and Parse is classified with libpg_query (StatementClassifier, cached by text and
//   per named prepared statement) and handed to a StatementGate before it is forwarded. The default gate
//   forwards everything except writes to synced tables: writes to the tables write-through covers
//   (writableTables(): issue, comment, label, ...) go to write-through, or are refused (0A000) without
//   it; the other synced tables (commit, user, repository) answer 25006, and forms that
//   cannot be mapped to GitHub calls (MERGE, ON CONFLICT DO UPDATE, COPY FROM, writable CTEs, several
//   writes in one string) answer 0A000 with the reason. A refusal is sent to the server as a statement
//   that fails to parse, and the server's error is rewritten into the gate's ErrorResponse (S, V, C, M, D,
//   H): PostgreSQL itself then aborts the transaction, skips to Sync and answers ReadyForQuery, in order
//   with anything pipelined before it (see session_frontend.cpp). The server log shows a syntax error at
//   "hubsync_proxy_refused_N_" with a comment naming the proxy. The gate only sees SQL text: writes hidden
//   in functions, rules or views, and unqualified names resolved through search_path, are blind spots.
// * Limits. maxConnections counts sessions past their StartupMessage (more get FATAL 53300; a few extra
//   sockets are accepted so that a CancelRequest gets through when full); startup must finish within
//   startupTimeoutMs; idleTimeoutMs (off by default) closes sessions idle between statements with 57P05.
// * Cancel. The server's BackendKeyData reaches the client with the server's pid and a secret generated
//   by the proxy; the proxy keeps the mapping while the session lives. A CancelRequest arriving on a new
//   connection is looked up and sent, with the server's real key, over a short new connection to the
//   server; unknown keys are ignored, as PostgreSQL does.
// * TLS. With a certificate and key configured, SSLRequest is answered 'S' and the client connection is
//   encrypted with QSslSocket (TLS 1.2+); without, 'N' (libpq's default sslmode=prefer then continues in
//   plain text, which is fine on loopback). The upstream connection never uses TLS, so the server offers
//   SCRAM-SHA-256 without channel binding; a client with channel_binding=require is refused by libpq.
//   GSSENCRequest is always answered 'N'; PostgreSQL 17's direct TLS (no SSLRequest) is not supported.
//
// * Write-through. With a WriteThrough set (setWriteThrough), writes to the writable tables are applied
//   to GitHub first, by each table's TableWriter, and stored as GitHub answered them
//   (session_writethrough.cpp, writethrough.h, tablewriter.h); without one
//   they are refused with 0A000.

#include "core/errors.h"
#include "proxy/classifier.h"
#include "proxy/session.h"
#include "proxy/statementgate.h"
#include "proxy/upstream.h"

#include <QHash>
#include <QHostAddress>
#include <QObject>
#include <QSet>
#include <QString>

#include <memory>

namespace hubsync::proxy {

struct ProxyOptions final {
    QHostAddress listenAddress = QHostAddress(QHostAddress::LocalHost);
    quint16 listenPort = 0; // 0 = any free port (see ProxyServer::port())
    UpstreamTarget upstream;
    int maxConnections = 100; // sessions past the StartupMessage; more get FATAL 53300
    // Server connections kept for the next client with the same StartupMessage (serverpool.h): at most
    // this many, for this long. Either 0 = every server connection closes with its client.
    int serverPoolSize = 32;
    int serverIdleTimeoutMs = 600000; // pgbouncer's server_idle_timeout
    SessionLimits limits;
    QString schema = QStringLiteral("github");
    QSet<QString> syncedTables; // empty = every synced table of the catalog
    // PEM files; both empty = no TLS toward clients.
    QString tlsCertificateFile;
    QString tlsKeyFile;
};

struct ProxyStats final {
    quint64 connectionsAccepted = 0;
    quint64 sessionsStarted = 0;   // sent a StartupMessage and were admitted
    quint64 sessionsRefused = 0;   // over maxConnections
    int activeSessions = 0;        // admitted and not yet finished
    quint64 statementsRefused = 0; // by the gate
    quint64 cancelsForwarded = 0;
    quint64 cancelsIgnored = 0; // unknown keys
    qint64 bytesFromClients = 0;
    qint64 bytesToClients = 0;
    quint64 serversReused = 0; // sessions that got a kept server connection instead of a new one
    int serversKept = 0;       // kept server connections now (idle, or being reset)
};

class ProxyServer final : public QObject, private SessionHost {
    Q_OBJECT
public:
    explicit ProxyServer(ProxyOptions options, QObject *parent = nullptr);
    ~ProxyServer() override;
    Q_DISABLE_COPY_MOVE(ProxyServer)

    // Replaces the default gate; call before listen().
    void setGate(std::unique_ptr<StatementGate> gate);
    // Turns on write-through of writes to GitHub's tables (nullptr turns it off). `writer` must outlive the
    // server or be unset first; sessions opened before keep working with the new setting.
    void setWriteThrough(WriteThrough *writer);

    Error listen();
    // Stops listening and closes every session.
    void close();
    [[nodiscard]] bool isListening() const;
    [[nodiscard]] quint16 port() const;
    [[nodiscard]] QHostAddress address() const;
    [[nodiscard]] const ProxyOptions &options() const { return m_options; }
    [[nodiscard]] ProxyStats stats() const;
    // The live sessions (including those still in startup), for status displays and tests.
    [[nodiscard]] QList<const Session *> sessions() const;

Q_SIGNALS:
    void sessionFinished(quint64 id);

private:
    class Listener;
    struct CancelKey {
        qint32 processId = 0;
        QByteArray secret;
        friend bool operator==(const CancelKey &, const CancelKey &) = default;
        friend size_t qHash(const CancelKey &key, size_t seed = 0) {
            return qHashMulti(seed, key.processId, key.secret);
        }
    };

    void accept(qintptr descriptor);
    ByteStream *acceptedStream(qintptr descriptor, bool tls, QString *error);
    void onSessionFinished(quint64 id);

    // SessionHost
    [[nodiscard]] const UpstreamTarget &upstream() const override { return m_options.upstream; }
    [[nodiscard]] const SessionLimits &limits() const override { return m_options.limits; }
    StatementClassifier &classifier() override { return m_classifier; }
    StatementGate &gate() override { return *m_gate; }
    WriteThrough *writeThrough() override { return m_writeThrough; }
    [[nodiscard]] bool tlsAvailable() const override { return m_tls; }
    StreamPoller *streamPoller() override { return m_poller; }
    ServerPool *serverPool() override { return m_pool; }
    bool admitSession() override;
    protocol::BackendKeyData registerBackendKey(const protocol::BackendKeyData &upstream) override;
    void releaseBackendKey(const protocol::BackendKeyData &client) override;
    void forwardCancel(qint32 processId, const QByteArray &secretKey) override;
    void countRefusal() override { ++m_stats.statementsRefused; }
    void countBytes(qint64 fromClients, qint64 toClients) override;

    ProxyOptions m_options;
    StatementClassifier m_classifier;
    std::unique_ptr<StatementGate> m_gate;
    WriteThrough *m_writeThrough = nullptr;
    std::unique_ptr<Listener> m_listener;
    StreamPoller *m_poller = nullptr; // a child; sessions are deleted before it
    ServerPool *m_pool = nullptr;     // a child; deleted before the poller too
    bool m_tls = false;
    struct TlsMaterial;
    std::unique_ptr<TlsMaterial> m_tlsMaterial;

    quint64 m_nextSessionId = 1;
    QHash<quint64, Session *> m_sessions;
    QHash<CancelKey, QByteArray> m_cancelKeys; // client-facing key -> the server's secret
    ProxyStats m_stats;
};

} // namespace hubsync::proxy
