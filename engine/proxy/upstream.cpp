#include "proxy/upstream.h"

#include "proxy/bytestream.h"

#include <QLocalSocket>
#include <QTcpSocket>
#include <QTimer>

namespace hubsync::proxy {

QString UpstreamTarget::socketPath() const {
    return host + QStringLiteral("/.s.PGSQL.%1").arg(port);
}

QString UpstreamTarget::describe() const {
    if (isUnixSocket())
        return socketPath();
    if (host.contains(QLatin1Char(':')))
        return QStringLiteral("[%1]:%2").arg(host).arg(port);
    return QStringLiteral("%1:%2").arg(host).arg(port);
}

UpstreamConnection::UpstreamConnection(UpstreamTarget target, QObject *parent, StreamPoller *poller)
    : QObject(parent)
    , m_target(std::move(target))
    , m_poller(poller) {}

UpstreamConnection::~UpstreamConnection() {
    // Abort rather than close: the session is gone, nobody waits for a flush.
    if (m_tcp)
        m_tcp->abort();
    if (m_local)
        m_local->abort();
    if (m_stream)
        m_stream->abort();
}

void UpstreamConnection::open(int connectTimeoutMs, qint64 readBufferSize) {
    m_connectTimer = new QTimer(this);
    m_connectTimer->setSingleShot(true);
    connect(m_connectTimer, &QTimer::timeout, this,
            [this, connectTimeoutMs] { fail(QStringLiteral("no answer within %1 s").arg(connectTimeoutMs / 1000)); });
    if (m_target.isUnixSocket()) {
        m_local = new QLocalSocket(this);
        m_local->setReadBufferSize(readBufferSize);
        connect(m_local, &QLocalSocket::connected, this, &UpstreamConnection::onConnected);
        connect(m_local, &QLocalSocket::errorOccurred, this, [this] { fail(m_local->errorString()); });
    } else {
        m_tcp = new QTcpSocket(this);
        m_tcp->setReadBufferSize(readBufferSize);
        connect(m_tcp, &QTcpSocket::connected, this, &UpstreamConnection::onConnected);
        connect(m_tcp, &QTcpSocket::errorOccurred, this, [this] { fail(m_tcp->errorString()); });
    }
    m_connectTimer->start(connectTimeoutMs);
    if (m_local)
        m_local->connectToServer(m_target.socketPath());
    else
        m_tcp->connectToHost(m_target.host, m_target.port);
}

void UpstreamConnection::onConnected() {
    m_connectTimer->stop();
    // Not inside the socket's own connected() signal: Qt still uses the socket after its slots return.
    QMetaObject::invokeMethod(this, &UpstreamConnection::takeOver, Qt::QueuedConnection);
}

void UpstreamConnection::takeOver() {
    if (m_done)
        return; // failed in between (the socket's error handler ran)
    if (m_local) {
        m_local->disconnect(this);
        m_stream = streamFor(std::exchange(m_local, nullptr), m_poller, this);
    } else {
        m_tcp->disconnect(this);
        // Small protocol messages must not wait for Nagle (a SocketStream sets it itself).
        m_tcp->setSocketOption(QAbstractSocket::LowDelayOption, 1);
        m_stream = streamFor(std::exchange(m_tcp, nullptr), m_poller, this);
    }
    if (m_readyReadHandler)
        m_stream->setReadyReadHandler(m_readyReadHandler);
    else
        connect(m_stream, &ByteStream::readyRead, this, &UpstreamConnection::readyRead);
    connect(m_stream, &ByteStream::bytesWritten, this, &UpstreamConnection::bytesWritten);
    connect(m_stream, &ByteStream::closed, this, [this](const QString &error) {
        if (!error.isEmpty()) {
            fail(error);
            return;
        }
        if (!m_done) {
            m_done = true;
            Q_EMIT disconnected();
        }
    });
    m_connected = true;
    Q_EMIT connected();
}

void UpstreamConnection::fail(const QString &message) {
    if (m_done)
        return;
    m_done = true;
    m_connectTimer->stop();
    Q_EMIT failed(message);
}

qint64 UpstreamConnection::write(const QByteArray &bytes) {
    if (!m_stream || !m_connected)
        return -1;
    m_stream->write(bytes);
    return bytes.size();
}

QByteArray UpstreamConnection::read(qint64 maxSize) {
    return m_stream ? m_stream->read(maxSize) : QByteArray();
}

qint64 UpstreamConnection::bytesToWrite() const {
    return m_stream ? m_stream->bytesToWrite() : 0;
}

void UpstreamConnection::setReading(bool on) {
    if (m_stream)
        m_stream->setReading(on);
}

void UpstreamConnection::setReadyReadHandler(std::function<void()> handler) {
    m_readyReadHandler = std::move(handler);
    if (m_stream)
        m_stream->setReadyReadHandler(m_readyReadHandler);
}

void UpstreamConnection::closeAndDelete(const QByteArray &lastBytes, int graceMs) {
    if (m_connected && !lastBytes.isEmpty())
        write(lastBytes);
    connect(this, &UpstreamConnection::disconnected, this, &QObject::deleteLater);
    connect(this, &UpstreamConnection::failed, this, &QObject::deleteLater);
    QTimer::singleShot(graceMs, this, &QObject::deleteLater);
    close();
}

void UpstreamConnection::close() {
    if (m_stream)
        m_stream->closeGracefully();
    else if (m_tcp)
        m_tcp->abort();
    else if (m_local)
        m_local->abort();
}

} // namespace hubsync::proxy
