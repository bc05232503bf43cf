#include "proxy/session.h"

#include "core/log.h"
#include "proxy/protocol/errorfields.h"
#include "proxy/protocol/messages_frontend.h"

#include <QTimer>

namespace hubsync::proxy {

namespace {

// One read from a socket. Small enough that the other side's buffer overshoots the back-pressure limit
// by at most this much, big enough that a bulk transfer needs few wake-ups.
constexpr qint64 readChunk = 64 * 1024;
// A client that does not read its last bytes (a FATAL, say) is cut off after this.
constexpr int closeGraceMs = 5000;

const QString category = QStringLiteral("proxy");

} // namespace

Session::Session(quint64 id, ByteStream *client, SessionHost &host, QObject *parent)
    : QObject(parent)
    , m_id(id)
    , m_host(host)
    , m_client(client)
    , m_clientReader(protocol::MessageReader::Mode::Startup,
                     protocol::FrameLimits{host.limits().maxClientMessageLength, protocol::postgresMaxStartupLength}) {
    m_client->setParent(this);
    m_client->setReadyReadHandler([this] { pumpClient(); });
    connect(m_client, &ByteStream::bytesWritten, this, [this] {
        // The client drained some of its buffer: resume reading the server.
        if (m_upstreamPaused && pendingToClient() < m_host.limits().maxPendingBytes)
            pumpUpstream();
    });
    connect(m_client, &ByteStream::closed, this, [this](const QString &error) {
        if (!error.isEmpty())
            logDebug(category, QStringLiteral("session %1: client socket: %2").arg(m_id).arg(error));
        onClientDisconnected();
    });

    m_timer = new QTimer(this);
    m_timer->setSingleShot(true);
    connect(m_timer, &QTimer::timeout, this, &Session::onTimeout);
    m_lastActivity.start();
    m_timer->start(m_host.limits().startupTimeoutMs);

    // Bytes may have arrived before the signal was connected.
    QTimer::singleShot(0, this, &Session::pumpClient);
}

Session::~Session() {
    releaseKey();
    // The client left inside a transaction block (or during a write-through): PostgreSQL rolls its rows
    // back, GitHub keeps the changes, so the table takes GitHub's version.
    QList<AppliedChange> applied = std::exchange(m_uncommitted, {});
    if (m_wt)
        applied += m_wt->applied;
    if (WriteThrough *writer = m_host.writeThrough(); writer && !applied.isEmpty())
        writer->reconcile(applied);
}

void Session::releaseKey() {
    if (m_hasKey)
        m_host.releaseBackendKey(m_clientKey);
    m_hasKey = false;
}

const Classification *Session::preparedStatement(const QByteArray &name) const {
    const auto it = m_statements.constFind(name);
    return it == m_statements.cend() ? nullptr : &*it;
}

void Session::setState(State state) {
    if (m_state == State::Closing)
        return; // final
    m_state = state;
    if (state == State::Ready && m_host.limits().idleTimeoutMs > 0) {
        m_lastActivity.start();
        m_timer->start(m_host.limits().idleTimeoutMs);
    }
}

void Session::touch() {
    m_lastActivity.start();
}

void Session::onTimeout() {
    if (m_finished)
        return;
    const SessionLimits &limits = m_host.limits();
    if (m_state == State::Startup || m_state == State::Authenticating) {
        fatal("08006", QStringLiteral("the connection did not finish authentication within %1 s")
                           .arg(limits.startupTimeoutMs / 1000));
        return;
    }
    if (m_state == State::Closing) {
        finish();
        return;
    }
    // Busy sessions are never idle; setState(Ready) restarts the timer when they are done.
    if (limits.idleTimeoutMs <= 0 || m_state != State::Ready)
        return;
    const qint64 idle = m_lastActivity.elapsed();
    if (idle < limits.idleTimeoutMs) {
        // Recently active (a notification, say): look again once the rest of the idle time has passed.
        m_timer->start(int(qMax<qint64>(limits.idleTimeoutMs - idle, 10)));
        return;
    }
    // 57P05 is what idle_session_timeout uses; clients reconnect on it.
    fatal("57P05", QStringLiteral("terminating connection due to idle-session timeout of the HubSync proxy"));
}

qint64 Session::pendingToClient() const {
    return m_toClient.size() + m_client->bytesToWrite();
}

qint64 Session::pendingToUpstream() const {
    return m_toUpstream.size() + (m_upstream ? m_upstream->bytesToWrite() : 0);
}

void Session::pumpClient() {
    // Re-entrancy: a slot called from inside processing (a synchronous signal) must not read ahead.
    if (m_pumpingClient || m_finished || m_clientGone || m_state == State::Closing)
        return; // (closing: what the client still sends is dropped by its stream)
    m_pumpingClient = true;
    if (std::exchange(m_clientPaused, false))
        m_client->setReading(true);
    while (m_state != State::Closing) {
        if (pendingToUpstream() + m_heldBytes >= m_host.limits().maxPendingBytes) {
            m_clientPaused = true;
            m_client->setReading(false); // the data waits in the kernel, and the client's TCP window closes
            break;
        }
        const QByteArray chunk = m_client->read(readChunk);
        if (chunk.isEmpty())
            break;
        touch();
        m_host.countBytes(chunk.size(), 0);
        m_clientReader.feed(chunk);
        protocol::Frame frame;
        for (;;) {
            const protocol::MessageReader::Status status = m_clientReader.next(frame);
            if (status == protocol::MessageReader::Status::NeedMore)
                break;
            if (status == protocol::MessageReader::Status::Error) {
                malformed(m_clientReader.error());
                break;
            }
            if (m_clientReader.mode() == protocol::MessageReader::Mode::Startup)
                handleStartupFrame(frame);
            else if (writeThroughBusy())
                holdFrame(frame); // replayed in order once the write-through is done
            else
                handleClientFrame(frame);
            if (m_state == State::Closing)
                break;
        }
        flushToUpstream();
        flushToClient();
    }
    m_pumpingClient = false;
}

void Session::pumpUpstream() {
    if (m_pumpingUpstream || m_finished || !m_upstream)
        return;
    m_pumpingUpstream = true;
    if (std::exchange(m_upstreamPaused, false))
        m_upstream->setReading(true);
    for (;;) {
        if (m_clientGone)
            break;
        if (pendingToClient() >= m_host.limits().maxPendingBytes) {
            m_upstreamPaused = true;
            m_upstream->setReading(false);
            break;
        }
        const QByteArray chunk = m_upstream->read(readChunk);
        if (chunk.isEmpty())
            break;
        touch();
        if (m_wtInternal) {
            wtFeed(chunk); // write-through is talking to the server itself
            flushToClient();
            flushToUpstream();
            continue;
        }
        relayFromUpstream(chunk);
        if (m_state == State::Closing)
            break;
    }
    m_pumpingUpstream = false;
}

void Session::relayFromUpstream(const QByteArray &chunk) {
    const bool ok = m_backend.feed(chunk, m_toClient, [this](char type, QByteArrayView payload, QByteArray &out) {
        handleBackendMessage(type, payload, out);
    });
    flushToClient();
    flushToUpstream();
    if (!ok) {
        logWarning(category, QStringLiteral("session %1: %2").arg(m_id).arg(m_backend.error()));
        fatal("08P01", QStringLiteral("the database server sent an invalid message"), m_backend.error());
        return;
    }
    if (m_wt && !m_wt->started)
        tryStartWriteThrough();
}

// Empties an outgoing buffer for the next messages. A small one keeps its memory, so the next transaction's
// messages are appended without an allocation; a large one (COPY, a big result) gives it back.
void Session::recycle(QByteArray &buffer) {
    constexpr qsizetype keptCapacity = 16 * 1024;
    if (buffer.isDetached() && buffer.capacity() <= keptCapacity)
        buffer.resize(0);
    else
        buffer.clear();
}

void Session::flushToClient() {
    if (m_toClient.isEmpty() || m_clientGone)
        return;
    m_host.countBytes(0, m_toClient.size());
    m_client->write(m_toClient);
    recycle(m_toClient);
}

void Session::flushToUpstream() {
    if (m_toUpstream.isEmpty() || !m_upstream || !m_upstream->isConnected())
        return;
    m_upstream->write(m_toUpstream);
    recycle(m_toUpstream);
}

void Session::fatal(QByteArrayView sqlState, const QString &message, const QString &detail) {
    if (m_state == State::Closing)
        return;
    logInfo(category, QStringLiteral("session %1: closing: %2").arg(m_id).arg(message),
            {{QStringLiteral("sqlstate"), QString::fromLatin1(sqlState)}});
    protocol::ErrorFields fields = protocol::ErrorFields::make("FATAL", sqlState, message.toUtf8());
    if (!detail.isEmpty())
        fields.set(protocol::field::detail, detail.toUtf8());
    // Only at a message boundary: a FATAL inside a half-relayed DataRow would garble both.
    if (m_backend.atBoundary())
        sendToClient(protocol::ErrorResponse{fields}.encode());
    flushToClient();
    closeGracefully();
}

void Session::closeGracefully() {
    setState(State::Closing);
    m_toUpstream.clear();
    if (m_upstream) {
        // Terminate lets the backend end cleanly instead of logging an unexpected EOF. The connection
        // outlives the session until its last bytes are out (or the grace period ends).
        UpstreamConnection *upstream = std::exchange(m_upstream, nullptr);
        upstream->disconnect(this);
        upstream->setParent(parent());
        upstream->closeAndDelete(protocol::Terminate{}.encode(), closeGraceMs);
    }
    flushToClient();
    if (m_clientGone) {
        finish();
        return;
    }
    // Sends what is still buffered, then closes: closed() ends the session (or the grace period does).
    m_client->closeGracefully();
    if (!m_finished)
        m_timer->start(closeGraceMs);
}

void Session::finish() {
    if (m_finished)
        return;
    m_finished = true;
    m_clientGone = true;
    releaseKey(); // a cancel for a finished session must find nothing
    m_timer->stop();
    if (m_upstream) {
        m_upstream->deleteLater();
        m_upstream = nullptr;
    }
    m_client->abort();
    Q_EMIT finished(m_id);
}

void Session::onClientDisconnected() {
    if (m_finished)
        return;
    m_clientGone = true;
    if (m_state == State::Closing) {
        finish();
        return;
    }
    // The client went away (possibly mid-transaction): closing our upstream connection makes the backend
    // roll back, exactly as if the client had been connected directly.
    closeGracefully();
}

void Session::onUpstreamDisconnected() {
    if (m_finished)
        return;
    // Relay what the server said last (usually a FATAL), then close the client side too.
    pumpUpstream();
    if (m_state != State::Closing && !m_backend.atBoundary())
        logWarning(category, QStringLiteral("session %1: the database closed the connection mid-message").arg(m_id));
    closeGracefully();
}

void Session::onUpstreamFailed(const QString &message) {
    if (m_finished)
        return;
    pumpUpstream();
    // Class 08 is right here: the client's database connection is really gone.
    fatal("08006", QStringLiteral("the HubSync proxy lost its connection to the database server at %1: %2")
                       .arg(m_host.upstream().describe(), message));
}

} // namespace hubsync::proxy
