// Session, startup phase: the untyped packets before a session exists, TLS toward the client, the
// connection to the server, and the cancel keys.

#include "core/log.h"
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
        // whole authentication exchange that follows.
        startUpstream(frame.toWire());
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
    m_upstream = new UpstreamConnection(m_host.upstream(), this, m_host.streamPoller());
    connect(m_upstream, &UpstreamConnection::connected, this, &Session::onUpstreamConnected);
    m_upstream->setReadyReadHandler([this] { pumpUpstream(); });
    connect(m_upstream, &UpstreamConnection::bytesWritten, this, [this] {
        if (m_clientPaused && pendingToUpstream() < m_host.limits().maxPendingBytes)
            pumpClient();
    });
    connect(m_upstream, &UpstreamConnection::disconnected, this, &Session::onUpstreamDisconnected);
    connect(m_upstream, &UpstreamConnection::failed, this, &Session::onUpstreamFailed);
    sendToUpstream(startupPacket);
    m_upstream->open(m_host.limits().connectTimeoutMs, 256 * 1024);
}

void Session::onUpstreamConnected() {
    flushToUpstream();
    if (m_clientPaused)
        pumpClient();
}

void Session::rewriteBackendKey(const QByteArray &payload, QByteArray &out) {
    const protocol::Result<protocol::BackendKeyData> key = protocol::BackendKeyData::decode(payload);
    if (!key) {
        out += BackendStream::wire(protocol::BackendKeyData::type, payload);
        return;
    }
    releaseKey();
    // The client gets the server's pid (so pg_backend_pid() and logs agree) with a secret of our own: a
    // CancelRequest is only forwarded when it names a live session of this proxy.
    m_clientKey = m_host.registerBackendKey(*key);
    m_hasKey = true;
    out += m_clientKey.encode();
}

} // namespace hubsync::proxy
