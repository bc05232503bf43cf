#include "proxy/proxyserver.h"

#include "core/log.h"
#include "proxy/protocol/startup.h"
#include "proxy/writethrough.h"

#include <QFile>
#include <QRandomGenerator>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTimer>
#if QT_CONFIG(ssl)
#include <QSslCertificate>
#include <QSslConfiguration>
#include <QSslKey>
#include <QSslSocket>
#endif

namespace hubsync::proxy {

namespace {

const QString category = QStringLiteral("proxy");
// Connections still in startup (or sending a CancelRequest) beyond maxConnections: room for cancels
// while the server is full, without letting a flood of idle sockets in.
constexpr int extraStartupConnections = 16;
constexpr int cancelTimeoutMs = 10000;
// Where a Qt socket stays (TLS, platforms without SocketStream): it stops reading from the kernel when
// this much is unread, which is the back-pressure toward the client.
constexpr qint64 socketReadBuffer = 256 * 1024;

} // namespace

class ProxyServer::Listener final : public QTcpServer {
public:
    explicit Listener(ProxyServer &server)
        : m_server(server) {}

protected:
    void incomingConnection(qintptr descriptor) override { m_server.accept(descriptor); }

private:
    ProxyServer &m_server;
};

struct ProxyServer::TlsMaterial {
#if QT_CONFIG(ssl)
    QSslConfiguration configuration;
#endif
};

ProxyServer::ProxyServer(ProxyOptions options, QObject *parent)
    : QObject(parent)
    , m_options(std::move(options))
    , m_classifier(m_options.schema, m_options.syncedTables.isEmpty() ? syncedTableNames() : m_options.syncedTables,
                   [] {
                       const QStringList tables = writableTables();
                       return QSet<QString>(tables.cbegin(), tables.cend());
                   }())
    , m_gate(std::make_unique<DefaultStatementGate>(m_options.schema)) {
#ifdef Q_OS_UNIX
    m_poller = StreamPoller::create(this);
#endif
    m_pool = new ServerPool(m_options.serverPoolSize, m_options.serverIdleTimeoutMs, this);
}

ProxyServer::~ProxyServer() {
    // Sessions call back into this object (keys, counters) while they are destroyed.
    const QList<Session *> sessions = m_sessions.values();
    m_sessions.clear();
    qDeleteAll(sessions);
    delete std::exchange(m_pool, nullptr);
}

void ProxyServer::setGate(std::unique_ptr<StatementGate> gate) {
    if (gate)
        m_gate = std::move(gate);
    m_gate->setWriteThroughEnabled(m_writeThrough != nullptr);
}

void ProxyServer::setWriteThrough(WriteThrough *writer) {
    m_writeThrough = writer;
    m_gate->setWriteThroughEnabled(writer != nullptr);
}

Error ProxyServer::listen() {
    if (m_listener && m_listener->isListening())
        return {};
    const bool wantTls = !m_options.tlsCertificateFile.isEmpty() || !m_options.tlsKeyFile.isEmpty();
    if (wantTls) {
#if QT_CONFIG(ssl)
        if (!QSslSocket::supportsSsl())
            return Error::make(Error::Kind::Usage, QStringLiteral("TLS for the proxy needs OpenSSL, which Qt cannot "
                                                                  "load on this system"));
        const QList<QSslCertificate> chain = QSslCertificate::fromPath(m_options.tlsCertificateFile);
        if (chain.isEmpty())
            return Error::make(Error::Kind::Usage,
                               QStringLiteral("no PEM certificate in %1").arg(m_options.tlsCertificateFile));
        QFile keyFile(m_options.tlsKeyFile);
        if (!keyFile.open(QIODevice::ReadOnly))
            return Error::make(
                Error::Kind::Usage,
                QStringLiteral("cannot read the TLS key %1: %2").arg(keyFile.fileName(), keyFile.errorString()));
        const QByteArray pem = keyFile.readAll();
        QSslKey key;
        for (const QSsl::KeyAlgorithm algorithm : {QSsl::Rsa, QSsl::Ec, QSsl::Dsa}) {
            key = QSslKey(pem, algorithm, QSsl::Pem);
            if (!key.isNull())
                break;
        }
        if (key.isNull())
            return Error::make(Error::Kind::Usage,
                               QStringLiteral("%1 holds no unencrypted PEM private key").arg(keyFile.fileName()));
        m_tlsMaterial = std::make_unique<TlsMaterial>();
        QSslConfiguration configuration = QSslConfiguration::defaultConfiguration();
        configuration.setLocalCertificateChain(chain);
        configuration.setPrivateKey(key);
        configuration.setPeerVerifyMode(QSslSocket::VerifyNone);
        configuration.setProtocol(QSsl::TlsV1_2OrLater);
        m_tlsMaterial->configuration = configuration;
        m_tls = true;
#else
        return Error::make(Error::Kind::Usage, QStringLiteral("this build of HubSync has no TLS support"));
#endif
    }
    m_listener = std::make_unique<Listener>(*this);
    m_listener->setMaxPendingConnections(m_options.maxConnections + extraStartupConnections);
    if (!m_listener->listen(m_options.listenAddress, m_options.listenPort)) {
        const QString message = m_listener->errorString();
        m_listener.reset();
        return Error::make(Error::Kind::Io, QStringLiteral("the proxy cannot listen on %1:%2: %3")
                                                .arg(m_options.listenAddress.toString())
                                                .arg(m_options.listenPort)
                                                .arg(message));
    }
    logInfo(category, QStringLiteral("proxy listening on %1:%2 for %3%4")
                          .arg(address().toString())
                          .arg(port())
                          .arg(m_options.upstream.describe(), m_tls ? QStringLiteral(" (TLS available)") : QString()));
    return {};
}

void ProxyServer::close() {
    if (m_listener)
        m_listener->close();
    const QList<Session *> sessions = m_sessions.values();
    m_sessions.clear();
    m_stats.activeSessions = 0;
    qDeleteAll(sessions);
    m_pool->clear();
}

bool ProxyServer::isListening() const {
    return m_listener && m_listener->isListening();
}

quint16 ProxyServer::port() const {
    return m_listener ? m_listener->serverPort() : 0;
}

QHostAddress ProxyServer::address() const {
    return m_listener ? m_listener->serverAddress() : QHostAddress();
}

ProxyStats ProxyServer::stats() const {
    ProxyStats stats = m_stats;
    stats.serversReused = m_pool->reused();
    stats.serversKept = m_pool->size();
    return stats;
}

QList<const Session *> ProxyServer::sessions() const {
    QList<const Session *> out;
    out.reserve(m_sessions.size());
    for (const Session *session : m_sessions)
        out << session;
    return out;
}

// The accepted connection as a stream: over a QSslSocket (unencrypted until the client's SSLRequest)
// when TLS is offered, else plain, a SocketStream where the platform has one. nullptr with the reason in
// `error` when the descriptor cannot be taken over.
ByteStream *ProxyServer::acceptedStream(qintptr descriptor, bool tls, QString *error) {
    QTcpSocket *socket = nullptr;
#if QT_CONFIG(ssl)
    if (tls) {
        auto *tlsSocket = new QSslSocket;
        tlsSocket->setSslConfiguration(m_tlsMaterial->configuration);
        socket = tlsSocket;
    }
#else
    Q_UNUSED(tls)
#endif
#ifdef Q_OS_UNIX
    if (!socket)
        return new SocketStream(descriptor, m_poller);
#endif
    if (!socket)
        socket = new QTcpSocket;
    if (!socket->setSocketDescriptor(descriptor)) {
        *error = socket->errorString();
        delete socket;
        return nullptr;
    }
    socket->setReadBufferSize(socketReadBuffer);
    socket->setSocketOption(QAbstractSocket::LowDelayOption, 1);
    return new DeviceStream(socket);
}

void ProxyServer::accept(qintptr descriptor) {
    ++m_stats.connectionsAccepted;
    // Too many sockets in flight: drop at once; admitted sessions are refused politely (53300).
    const bool full = m_sessions.size() >= m_options.maxConnections + extraStartupConnections;
    QString error;
    ByteStream *stream = acceptedStream(descriptor, m_tls && !full, &error);
    if (!stream) {
        logWarning(category, QStringLiteral("cannot take over an accepted connection: %1").arg(error));
        return;
    }
    if (full) {
        stream->abort();
        delete stream;
        ++m_stats.sessionsRefused;
        return;
    }
    const quint64 id = m_nextSessionId++;
    auto *session = new Session(id, stream, *this, this);
    m_sessions.insert(id, session);
    connect(session, &Session::finished, this, &ProxyServer::onSessionFinished);
}

void ProxyServer::onSessionFinished(quint64 id) {
    Session *session = m_sessions.take(id);
    if (!session)
        return;
    if (session->isAdmitted())
        --m_stats.activeSessions;
    session->deleteLater();
    Q_EMIT sessionFinished(id);
}

bool ProxyServer::admitSession() {
    if (m_stats.activeSessions >= m_options.maxConnections) {
        ++m_stats.sessionsRefused;
        return false;
    }
    ++m_stats.activeSessions;
    ++m_stats.sessionsStarted;
    return true;
}

protocol::BackendKeyData ProxyServer::registerBackendKey(const protocol::BackendKeyData &upstream) {
    protocol::BackendKeyData client;
    client.processId = upstream.processId;
    const qsizetype length =
        qBound(protocol::minCancelKeyLength, upstream.secretKey.size(), protocol::maxCancelKeyLength);
    do {
        client.secretKey.resize(length);
        for (qsizetype i = 0; i < length; ++i)
            client.secretKey[i] = char(QRandomGenerator::system()->bounded(256));
    } while (m_cancelKeys.contains(CancelKey{client.processId, client.secretKey}));
    m_cancelKeys.insert(CancelKey{client.processId, client.secretKey}, upstream.secretKey);
    return client;
}

void ProxyServer::releaseBackendKey(const protocol::BackendKeyData &client) {
    m_cancelKeys.remove(CancelKey{client.processId, client.secretKey});
}

void ProxyServer::forwardCancel(qint32 processId, const QByteArray &secretKey) {
    const auto it = m_cancelKeys.constFind(CancelKey{processId, secretKey});
    if (it == m_cancelKeys.cend()) {
        ++m_stats.cancelsIgnored;
        logDebug(category, QStringLiteral("ignoring a CancelRequest for unknown backend %1").arg(processId));
        return;
    }
    ++m_stats.cancelsForwarded;
    const QByteArray packet = protocol::CancelRequest{processId, *it}.encode();
    auto *connection = new UpstreamConnection(m_options.upstream, this);
    connect(connection, &UpstreamConnection::connected, connection, [connection, packet] {
        connection->write(packet);
        connection->close(); // flushes the packet first; the server closes its side when done
    });
    connect(connection, &UpstreamConnection::disconnected, connection, &QObject::deleteLater);
    connect(connection, &UpstreamConnection::failed, connection, [connection, processId](const QString &message) {
        logWarning(category,
                   QStringLiteral("cannot forward a cancel request for backend %1: %2").arg(processId).arg(message));
        connection->deleteLater();
    });
    QTimer::singleShot(cancelTimeoutMs, connection, &QObject::deleteLater);
    connection->open(m_options.limits.connectTimeoutMs, 4096);
}

void ProxyServer::countBytes(qint64 fromClients, qint64 toClients) {
    m_stats.bytesFromClients += fromClients;
    m_stats.bytesToClients += toClients;
}

} // namespace hubsync::proxy
