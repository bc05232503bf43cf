// Session, startup phase: the untyped packets before a session exists, TLS toward the client, the
// connection to the server, and the cancel keys.

#include "core/log.h"
#include "proxy/protocol/auth.h"
#include "proxy/protocol/startup.h"
#include "proxy/session.h"

#include <QTimer>
#include <QtNetwork/qtnetworkglobal.h> // QT_CONFIG(ssl)
#if QT_CONFIG(ssl)
#include <QSslSocket>
#endif

namespace hubsync::proxy {

void Session::handleStartupFrame(const protocol::Frame &frame) {
    const protocol::Result<protocol::StartupPacket> packet = protocol::decodeStartupPacket(frame.payload);
    if (!packet) {
        malformed(packet.error());
        return;
    }
    if (std::holds_alternative<protocol::SslRequest>(*packet)) {
        answerSslRequest();
    } else if (std::holds_alternative<protocol::GssEncRequest>(*packet)) {
        sendToClient(QByteArrayLiteral("N")); // no GSSAPI encryption; libpq then tries SSL or plain
    } else if (const auto *cancel = std::get_if<protocol::CancelRequest>(&*packet)) {
        // A cancel connection gets no answer at all, like PostgreSQL: the client just sees it close.
        m_host.forwardCancel(cancel->processId, cancel->secretKey);
        closeGracefully();
    } else {
        if (!m_host.admitSession()) {
            fatal("53300", QStringLiteral("sorry, too many clients already"));
            return;
        }
        m_admitted = true;
        m_clientReader.setMode(protocol::MessageReader::Mode::Typed);
        setState(State::Authenticating);
        // Relayed as received: user, database and options are the server's business, and so is the
        // whole authentication exchange that follows. A kept connection started the same way skips both.
        const QByteArray startupPacket = frame.toWire();
        if (ServerPool *pool = m_host.serverPool()) {
            if (std::optional<PooledServer> server = pool->take(startupPacket)) {
                adoptServer(std::move(*server));
                return;
            }
        }
        startUpstream(startupPacket);
    }
}

void Session::answerSslRequest() {
    // Bytes after the request but before our answer would be read as plaintext and then trusted as if
    // they had come over TLS (CVE-2021-23214); a real client never sends them.
    if (m_clientReader.buffered() > 0) {
        malformed(QStringLiteral("received unencrypted data after SSL request"));
        return;
    }
    if (m_tlsStarted) {
        malformed(QStringLiteral("SSLRequest on a connection that is already encrypted"));
        return;
    }
#if QT_CONFIG(ssl)
    QSslSocket *tls = m_client->tlsSocket();
    if (m_host.tlsAvailable() && tls) {
        m_tlsStarted = true;
        flushToClient();
        // In unencrypted mode QSslSocket writes straight to the plain socket, so 'S' leaves before the
        // handshake's first record.
        tls->write(QByteArrayLiteral("S"));
        connect(tls, &QSslSocket::sslErrors, this, [this](const QList<QSslError> &errors) {
            // A server without client certificates sees no peer verification errors; anything here is fatal.
            logInfo(QStringLiteral("proxy"), QStringLiteral("session %1: TLS handshake failed: %2")
                                                 .arg(m_id)
                                                 .arg(errors.isEmpty() ? QString() : errors.first().errorString()));
        });
        connect(tls, &QSslSocket::encrypted, this, &Session::pumpClient);
        tls->startServerEncryption();
        return;
    }
#endif
    sendToClient(QByteArrayLiteral("N"));
}

void Session::startUpstream(const QByteArray &startupPacket) {
    m_server.startupPacket = startupPacket;
    m_upstream = new UpstreamConnection(m_host.upstream(), this, m_host.streamPoller());
    connect(m_upstream, &UpstreamConnection::connected, this, &Session::onUpstreamConnected);
    attachUpstream();
    sendToUpstream(startupPacket);
    m_upstream->open(m_host.limits().connectTimeoutMs, 256 * 1024);
}

void Session::attachUpstream() {
    m_upstream->setReadyReadHandler([this] { pumpUpstream(); });
    connect(m_upstream, &UpstreamConnection::bytesWritten, this, [this] {
        if (m_clientPaused && pendingToUpstream() < m_host.limits().maxPendingBytes)
            pumpClient();
    });
    connect(m_upstream, &UpstreamConnection::disconnected, this, &Session::onUpstreamDisconnected);
    connect(m_upstream, &UpstreamConnection::failed, this, &Session::onUpstreamFailed);
}

void Session::adoptServer(PooledServer server) {
    m_upstream = std::exchange(server.connection, nullptr);
    m_upstream->setParent(this);
    attachUpstream();
    m_server = std::move(server);
    // What the server said at its own startup, as it stands now: the client cannot tell a kept
    // connection from a new one, except that it is ready sooner.
    sendToClient(protocol::Authentication{}.encode());
    for (const auto &[name, value] : std::as_const(m_server.parameters))
        sendToClient(protocol::ParameterStatus{name, value}.encode());
    registerKey(m_server.serverKey);
    sendToClient(m_clientKey.encode());
    sendToClient(protocol::ReadyForQuery{protocol::TransactionStatus::Idle}.encode());
    m_transactionStatus = protocol::TransactionStatus::Idle;
    m_timer->stop();
    setState(State::Ready);
    flushToClient();
    logDebug(QStringLiteral("proxy"), QStringLiteral("session %1: reusing a kept server connection (pid %2)")
                                          .arg(m_id)
                                          .arg(m_server.serverKey.processId));
}

// Called at the client's Terminate: keeps the server connection for the next client when nothing of this
// session can leak into the next one (see serverpool.h). False = close it as usual.
bool Session::parkServer() {
    ServerPool *pool = m_host.serverPool();
    if (!pool || !pool->isEnabled() || m_passwordAuth || !m_upstream || !m_upstream->isConnected() ||
        m_server.serverKey.secretKey.isEmpty())
        return false;
    const bool quiet = m_state == State::Ready && m_transactionStatus == protocol::TransactionStatus::Idle && !m_wt &&
                       !m_wtInternal && m_held.isEmpty() && !m_extendedOpen && m_segment.isEmpty() && !m_sessionBlock &&
                       m_uncommitted.isEmpty() && m_refusals.isEmpty() && m_syncPointsAnswered == m_syncPointsSent &&
                       m_backend.atBoundary() && pendingToUpstream() == 0;
    if (!quiet)
        return false;
    releaseKey(); // a cancel with this client's key must not reach the next client's statements
    UpstreamConnection *upstream = std::exchange(m_upstream, nullptr);
    upstream->disconnect(this);
    if (std::exchange(m_upstreamPaused, false))
        upstream->setReading(true);
    PooledServer server = std::move(m_server);
    server.connection = upstream;
    pool->park(std::move(server));
    return true;
}

void Session::onUpstreamConnected() {
    flushToUpstream();
    if (m_clientPaused)
        pumpClient();
}

void Session::rewriteBackendKey(QByteArrayView payload, QByteArray &out) {
    const protocol::Result<protocol::BackendKeyData> key = protocol::BackendKeyData::decode(payload);
    if (!key) {
        BackendStream::appendWire(out, protocol::BackendKeyData::type, payload);
        return;
    }
    registerKey(*key);
    out += m_clientKey.encode();
}

void Session::registerKey(const protocol::BackendKeyData &serverKey) {
    releaseKey();
    m_server.serverKey = serverKey;
    // The client gets the server's pid (so pg_backend_pid() and logs agree) with a secret of our own: a
    // CancelRequest is only forwarded when it names a live session of this proxy.
    m_clientKey = m_host.registerBackendKey(serverKey);
    m_hasKey = true;
}

} // namespace hubsync::proxy
