#include "proxy/upstream.h"

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

UpstreamConnection::UpstreamConnection(UpstreamTarget target, QObject *parent)
    : QObject(parent)
    , m_target(std::move(target)) {}

UpstreamConnection::~UpstreamConnection() {
    // Abort rather than close: the session is gone, nobody waits for a flush.
    if (m_tcp)
        m_tcp->abort();
    if (m_local)
        m_local->abort();
}

void UpstreamConnection::open(int connectTimeoutMs, qint64 readBufferSize) {
    m_connectTimer = new QTimer(this);
    m_connectTimer->setSingleShot(true);
    connect(m_connectTimer, &QTimer::timeout, this,
            [this, connectTimeoutMs] { fail(QStringLiteral("no answer within %1 s").arg(connectTimeoutMs / 1000)); });
    const auto onConnected = [this] {
        m_connectTimer->stop();
        m_connected = true;
        Q_EMIT connected();
    };
    if (m_target.isUnixSocket()) {
        m_local = new QLocalSocket(this);
        m_device = m_local;
        m_local->setReadBufferSize(readBufferSize);
        connect(m_local, &QLocalSocket::connected, this, onConnected);
        connect(m_local, &QLocalSocket::disconnected, this, [this] {
            if (!m_done) {
                m_done = true;
                Q_EMIT disconnected();
            }
        });
        connect(m_local, &QLocalSocket::errorOccurred, this, [this](QLocalSocket::LocalSocketError error) {
            if (error == QLocalSocket::PeerClosedError)
                return; // disconnected() follows
            fail(m_local->errorString());
        });
    } else {
        m_tcp = new QTcpSocket(this);
        m_device = m_tcp;
        m_tcp->setReadBufferSize(readBufferSize);
        connect(m_tcp, &QTcpSocket::connected, this, [this, onConnected] {
            // Small protocol messages must not wait for Nagle.
            m_tcp->setSocketOption(QAbstractSocket::LowDelayOption, 1);
            onConnected();
        });
        connect(m_tcp, &QTcpSocket::disconnected, this, [this] {
            if (!m_done) {
                m_done = true;
                Q_EMIT disconnected();
            }
        });
        connect(m_tcp, &QTcpSocket::errorOccurred, this, [this](QAbstractSocket::SocketError error) {
            if (error == QAbstractSocket::RemoteHostClosedError)
                return;
            fail(m_tcp->errorString());
        });
    }
    connect(m_device, &QIODevice::readyRead, this, &UpstreamConnection::readyRead);
    connect(m_device, &QIODevice::bytesWritten, this, &UpstreamConnection::bytesWritten);
    m_connectTimer->start(connectTimeoutMs);
    if (m_local)
        m_local->connectToServer(m_target.socketPath());
    else
        m_tcp->connectToHost(m_target.host, m_target.port);
}

void UpstreamConnection::fail(const QString &message) {
    if (m_done)
        return;
    m_done = true;
    m_connectTimer->stop();
    Q_EMIT failed(message);
}

qint64 UpstreamConnection::write(const QByteArray &bytes) {
    if (!m_device || !m_connected)
        return -1;
    const qint64 written = m_device->write(bytes);
    // To the kernel now rather than at the next turn of the event loop: one wake-up less per message.
    if (auto *tcp = qobject_cast<QAbstractSocket *>(m_device))
        tcp->flush();
    else if (auto *local = qobject_cast<QLocalSocket *>(m_device))
        local->flush();
    return written;
}

QByteArray UpstreamConnection::read(qint64 maxSize) {
    return m_device && m_device->isOpen() ? m_device->read(maxSize) : QByteArray();
}

qint64 UpstreamConnection::bytesAvailable() const {
    return m_device ? m_device->bytesAvailable() : 0;
}

qint64 UpstreamConnection::bytesToWrite() const {
    return m_device ? m_device->bytesToWrite() : 0;
}

void UpstreamConnection::close() {
    if (m_tcp)
        m_tcp->disconnectFromHost();
    if (m_local)
        m_local->disconnectFromServer();
}

} // namespace hubsync::proxy
