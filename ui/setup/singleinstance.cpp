#include "ui/setup/singleinstance.h"

#include <QCryptographicHash>
#include <QDir>
#include <QLocalServer>
#include <QLocalSocket>
#include <QTimer>

namespace hubsync {

namespace {
constexpr int ConnectTimeoutMs = 1000;
const QByteArray activateMessage = QByteArrayLiteral("activate\n");
} // namespace

SingleInstance::SingleInstance(QString name, QObject *parent)
    : QObject(parent)
    , m_name(std::move(name)) {}

SingleInstance::~SingleInstance() = default;

QString SingleInstance::nameFor(const QString &dataDir) {
    const QByteArray key = (qEnvironmentVariable("USER") + QLatin1Char('\n') + QDir(dataDir).absolutePath()).toUtf8();
    return QStringLiteral("hubsync-") +
           QString::fromLatin1(QCryptographicHash::hash(key, QCryptographicHash::Sha256).toHex().left(16));
}

bool SingleInstance::claim(QString *error) {
    {
        QLocalSocket socket;
        socket.connectToServer(m_name);
        if (socket.waitForConnected(ConnectTimeoutMs)) {
            socket.write(activateMessage);
            if (!socket.waitForBytesWritten(ConnectTimeoutMs))
                *error = QStringLiteral("HubSync is already running but did not answer");
            socket.disconnectFromServer();
            return false;
        }
    }
    // Nobody answered: a socket file left by a crashed instance is stale.
    QLocalServer::removeServer(m_name);
    m_server = new QLocalServer(this);
    m_server->setSocketOptions(QLocalServer::UserAccessOption);
    if (!m_server->listen(m_name)) {
        // Someone else won a simultaneous start; behave as the second instance.
        *error = QStringLiteral("cannot listen on %1: %2").arg(m_name, m_server->errorString());
        return false;
    }
    connect(m_server, &QLocalServer::newConnection, this, &SingleInstance::onConnection);
    return true;
}

void SingleInstance::onConnection() {
    while (QLocalSocket *socket = m_server->nextPendingConnection()) {
        // A peer that never finishes its line is dropped; one that sends more than a line is ignored.
        auto *timeout = new QTimer(socket);
        timeout->setSingleShot(true);
        connect(timeout, &QTimer::timeout, socket, &QLocalSocket::abort);
        connect(socket, &QLocalSocket::disconnected, socket, &QObject::deleteLater);
        const auto readLine = [this, socket] {
            if (socket->bytesAvailable() > MaxMessageBytes) {
                socket->abort();
                return;
            }
            if (!socket->canReadLine())
                return;
            const QByteArray line = socket->readLine(MaxMessageBytes);
            if (line == activateMessage)
                Q_EMIT activated();
            socket->disconnectFromServer();
        };
        connect(socket, &QLocalSocket::readyRead, this, readLine);
        timeout->start(2000);
        if (socket->bytesAvailable() > 0)
            readLine();
    }
}

} // namespace hubsync
